/* swim_budget.c - a CPU budget per member for the signature checks it
 * makes us run on things we did not ask for (doc/gossip.md §5, "Checks
 * members make us run").
 *
 * A RECORD entry costs up to five Ed25519 checks (grant, invite, join
 * proof, admission, record), a tombstone two, an address announcement
 * one, and one that fails is never memoized: without a bound a member
 * could make us verify forgeries without end.
 *
 * - A record we asked for costs nothing while it verifies: one of our
 *   last SWIM_ASKED_MAX WANT ids named it, to that member, and no entry
 *   has answered that WANT yet (a ring apart from the want table, whose
 *   entries give way to newer requests before their RECORDs come: doc/
 *   gossip.md §2, "Lost record requests"). It is verified while its
 *   sender's budget holds its chain's count, which is charged if it fails
 *   authentication: an honest answer never does, but a member can make us
 *   ask (an ALIVE item for a made-up id) and answer with forgeries. Join
 *   syncs and new versions are never slowed.
 * - A record sent unasked is charged to its sender, before any signature,
 *   its chain's count (4, or 5 with an admin's grant); one the budget
 *   cannot pay for is left unverified (MN_EBUSY): it comes again when we
 *   ask for it.
 * - Tombstones and announcements are pushed by design, and a member passes
 *   on only those that verified for it: one is verified only while its
 *   sender's budget holds its cost, which is charged when it fails (or, a
 *   tombstone, is not kept). An honest member is not charged for them.
 *
 * The budget is a token bucket of SWIM_UNASKED_BURST checks refilled at
 * SWIM_UNASKED_PER_IV per probe interval, kept here and not in struct
 * member (88 bytes, 10^8 of them in a run): SWIM_UNASKED_SLOTS buckets,
 * direct-mapped by member index; members that share one share its budget.
 * So whatever the number of members pushing, what they make us check
 * unasked stays under SWIM_UNASKED_SLOTS budgets. Refusals are counted in
 * UNASKED_REFUSED, the checks charged in UNASKED_CHECKS.
 */
#include "swim_internal.h"

void budget_init(struct swim *s)
{
	for (uint32_t k = 0; k < SWIM_UNASKED_SLOTS; k++) {
		s->unasked[k].tokens = SWIM_UNASKED_BURST;
		s->unasked[k].at = s->now;
	}
	for (uint32_t k = 0; k < SWIM_ASKED_MAX; k++)
		s->asked_to[k] = NONE;
}

/* A WANT names id, to member `to`: its RECORD entry is asked for. */
void budget_asked(struct swim *s, uint64_t id, uint32_t to)
{
	s->asked_id[s->asked_next] = id;
	s->asked_to[s->asked_next] = to;
	s->asked_next = (s->asked_next + 1) % SWIM_ASKED_MAX;
}

/* A RECORD entry from member `from` carries the record of id: true when a
 * WANT of ours asked `from` for it, once per WANT (the request is then
 * answered: the same id again is unasked until we ask again). */
bool budget_answer(struct swim *s, uint64_t id, uint32_t from)
{
	for (uint32_t k = 0; k < SWIM_ASKED_MAX; k++) {
		if (s->asked_to[k] == from && s->asked_id[k] == id) {
			s->asked_to[k] = NONE;
			return true;
		}
	}
	return false;
}

/* Member i's bucket, its tokens brought to now (one per probe interval /
 * SWIM_UNASKED_PER_IV, up to SWIM_UNASKED_BURST). */
static struct unasked *bucket(struct swim *s, uint32_t i)
{
	struct unasked *u = &s->unasked[i % SWIM_UNASKED_SLOTS];
	mn_ns period = s->p.probe_interval_ns / SWIM_UNASKED_PER_IV;
	uint64_t n;

	if (period == 0)
		period = 1;
	n = (s->now - u->at) / period;
	if (u->tokens + n >= SWIM_UNASKED_BURST) {
		u->tokens = SWIM_UNASKED_BURST;
		u->at = s->now;
	} else if (n > 0) {
		u->tokens += (uint32_t)n;
		u->at += n * period;
	}
	return u;
}

/* Member i's budget holds `checks` now: true; false is counted in
 * UNASKED_REFUSED (verify nothing then). Nothing is charged. */
bool budget_holds(struct swim *s, uint32_t i, uint32_t checks)
{
	if (bucket(s, i)->tokens >= checks)
		return true;
	bump(s, SWIM_STAT_UNASKED_REFUSED, 1);
	return false;
}

/* Charge member i for `checks` signature checks (down to an empty budget). */
void budget_charge(struct swim *s, uint32_t i, uint32_t checks)
{
	struct unasked *u = bucket(s, i);

	u->tokens = u->tokens > checks ? u->tokens - checks : 0;
	bump(s, SWIM_STAT_UNASKED_CHECKS, checks);
}

/* Before verifying what member i sent unasked, at a cost of up to `checks`
 * signature checks: charged and true when its budget holds them; false,
 * counted, when it does not. */
bool budget_take(struct swim *s, uint32_t i, uint32_t checks)
{
	if (!budget_holds(s, i, checks))
		return false;
	budget_charge(s, i, checks);
	return true;
}
