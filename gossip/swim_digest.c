/* swim_digest.c - the digest tree push-pull reconciles (hashes per leaf of
 * key id prefixes) and the view digest nodes must agree on.
 */
#include "swim_internal.h"

/* ---- digest tree and view digest ---- */

/* The SipHash inputs (doc/gossip.md §3): every member hashes the same bytes. */
enum {
	H_TAG = 0,          /* 'd' (digest entry) or 'v' (view) */
	H_ID = 1,
	H_VERSION = 9,
	H_INC = 17,         /* digest entry */
	H_DEAD = 21,        /* digest entry: 1 when dead */
	H_ENTRY_LEN = 22,
	H_UP = 17,          /* view: 0 when dead */
	H_VIEW_LEN = 18,
};

/* The digest hash of (id, version, incarnation, dead or not): what
 * push-pull reconciles. Dead is in it so that a member that missed a death
 * (it restarted, or the DEAD updates were over before it heard one) learns
 * it at its next push-pull instead of when its own round-robin reaches the
 * dead member, N - 1 probe intervals later. Suspect is not: it is a
 * member's own, short-lived doubt. */
static uint64_t entry_hash(const struct swim *s, uint64_t id, uint64_t version, uint32_t inc,
			   uint8_t state)
{
	uint8_t in[H_ENTRY_LEN];

	in[H_TAG] = 'd';
	mn_put_be64(in + H_ID, id);
	mn_put_be64(in + H_VERSION, version);
	mn_put_be32(in + H_INC, inc);
	in[H_DEAD] = state == SWIM_DEAD ? 1 : 0;
	return sip(s->digest_key, in, sizeof(in));
}

/* The view hash of (id, version, up): what nodes must agree on. */
static uint64_t view_hash(const struct swim *s, uint32_t i)
{
	const struct member *m = &s->m[i];
	uint8_t in[H_VIEW_LEN];

	in[H_TAG] = 'v';
	mn_put_be64(in + H_ID, member_id(s, i));
	mn_put_be64(in + H_VERSION, m->rec->version);
	in[H_UP] = m->state == SWIM_DEAD ? 0 : 1;
	return sip(s->digest_key, in, sizeof(in));
}

static uint32_t leaf_of(const struct swim *s, uint64_t id)
{
	return (uint32_t)(id >> (64 - s->leaf_bits));
}

/* Add or remove (XOR) member i's contribution to its leaf and the view. */
void digest_toggle(struct swim *s, uint32_t i)
{
	const struct member *m = &s->m[i];
	uint64_t id = member_id(s, i);

	s->leaf_hash[leaf_of(s, id)] ^= entry_hash(s, id, m->rec->version, m->inc, m->state);
	s->view ^= view_hash(s, i);
}

/* ---- settled views (doc/gossip.md §2, "Settled views that differ") ----
 *
 * An update goes out retransmit_limit times; a member that missed every copy
 * (heavy loss, a one-way cut, a request given up) never asks for what it
 * missed, and the periodic push-pull that would find it is minutes away at
 * scale. So an ACK carries the acker's view digest once that view has not
 * changed for the settle time, and a prober whose own view has settled too
 * and differs pushes-pulls with the acker: two settled views that differ
 * are not news in flight, one of them missed something. At most one such
 * push-pull per settle time; a member lying about its digest gets no more
 * than that. */

/* Twice an update's retransmissions at the gossip interval: 7.2 s on WAN
 * at 150 members, 4.8 s on LAN at 1,000, 8 s at 10,000. (A floor of two
 * probe intervals, 10 s on WAN, found the last newcomer of
 * mesh-join-storm's seed 17 behind 25 s after the storm: too late.) */
static mn_ns view_settle_ns(const struct swim *s)
{
	return 2 * (mn_ns)dissem_retransmit_limit(s) * s->p.gossip_interval_ns;
}

/* Take the time of a change of our view (called often enough: every timer
 * and every ACK or VIEW item). */
void view_note(struct swim *s)
{
	if (s->view != s->view_seen) {
		s->view_seen = s->view;
		s->view_at = s->now;
	}
}

static bool view_settled(struct swim *s)
{
	view_note(s);
	return mn_elapsed(s->now, s->view_at, view_settle_ns(s));
}

void view_put_item(struct swim *s, struct out *o)
{
	uint8_t *p;

	if (view_settled(s) && (p = wire_out_put(o, SWIM_ITEM_VIEW_LEN)) != NULL) {
		p[0] = SWIM_I_VIEW;
		mn_put_be64(p + 1, s->view);
	}
}

void view_item_apply(struct swim *s, const struct rx *rx, const uint8_t *p)
{
	/* Not while our join's own syncs go on: those pick random members on
	 * purpose (a newcomer that syncs with the newcomers pinging it forms
	 * an island: mesh-join-storm). */
	if (rx && rx->from != NONE && rx->from != 0 && s->pp_synced && !s->pp_more &&
	    mn_get_be64(p + 1) != s->view && view_settled(s) &&
	    (!s->view_pp || mn_elapsed(s->now, s->view_pp_at, view_settle_ns(s)))) {
		s->view_pp = true;
		s->view_pp_at = s->now;
		s->pp_view = rx->from; /* swim_on_timer: a push-pull with it, now */
		bump(s, SWIM_STAT_VIEW_PUSHPULLS, 1);
	}
}

void digest_link(struct swim *s, uint32_t i)
{
	uint32_t l = leaf_of(s, member_id(s, i));

	s->m[i].leaf_next = s->leaf_head[l];
	s->leaf_head[l] = i;
	s->leaf_count[l]++;
}

void digest_unlink(struct swim *s, uint32_t i)
{
	uint32_t l = leaf_of(s, member_id(s, i));
	uint32_t *pp = &s->leaf_head[l];

	while (*pp != NONE && *pp != i)
		pp = &s->m[*pp].leaf_next;
	if (*pp == i) {
		*pp = s->m[i].leaf_next;
		s->leaf_count[l]--;
	}
}

/* Rebuild the leaves with leaf_bits bits (grown as members arrive). */
int digest_resize(struct swim *s, uint32_t leaf_bits)
{
	size_t nl = (size_t)1 << leaf_bits;
	uint64_t *h = calloc(nl, sizeof(*h));
	uint32_t *c = calloc(nl, sizeof(*c));
	uint32_t *hd = malloc(nl * sizeof(*hd));

	if (!h || !c || !hd) {
		free(h);
		free(c);
		free(hd);
		return MN_ENOMEM;
	}
	memset(hd, 0xff, nl * sizeof(*hd));
	free(s->leaf_hash);
	free(s->leaf_count);
	free(s->leaf_head);
	s->leaf_hash = h;
	s->leaf_count = c;
	s->leaf_head = hd;
	s->leaf_bits = leaf_bits;
	for (uint32_t i = 0; i < s->n; i++) {
		if (!present(&s->m[i]))
			continue;
		uint64_t id = member_id(s, i);
		digest_link(s, i);
		s->leaf_hash[leaf_of(s, id)] ^= entry_hash(s, id, s->m[i].rec->version, s->m[i].inc,
							   s->m[i].state);
	}
	return MN_OK;
}

/* Calls fn on each member whose id starts with prefix/bits; stops when fn
 * returns false. */
void digest_range_each(const struct swim *s, uint32_t bits, uint64_t prefix,
		       bool (*fn)(const struct swim *s, uint32_t i, void *ctx), void *ctx)
{
	uint64_t mask = prefix_mask(bits);
	uint32_t lo, span;

	if (bits <= s->leaf_bits) {
		lo = (uint32_t)(prefix >> (64 - s->leaf_bits));
		span = UINT32_C(1) << (s->leaf_bits - bits);
	} else {
		lo = (uint32_t)(prefix >> (64 - s->leaf_bits));
		span = 1;
	}
	for (uint32_t l = lo; l < lo + span; l++)
		for (uint32_t i = s->leaf_head[l]; i != NONE; i = s->m[i].leaf_next)
			if ((member_id(s, i) & mask) == prefix && !fn(s, i, ctx))
				return;
}

void digest_range_sum(const struct swim *s, uint32_t bits, uint64_t prefix, uint64_t *hash,
		      uint32_t *count)
{
	uint64_t h = 0, mask = prefix_mask(bits);
	uint32_t c = 0;

	if (bits <= s->leaf_bits) {
		uint32_t lo = (uint32_t)(prefix >> (64 - s->leaf_bits));
		uint32_t span = UINT32_C(1) << (s->leaf_bits - bits);
		for (uint32_t l = lo; l < lo + span; l++) {
			h ^= s->leaf_hash[l];
			c += s->leaf_count[l];
		}
	} else {
		uint32_t l = (uint32_t)(prefix >> (64 - s->leaf_bits));
		for (uint32_t i = s->leaf_head[l]; i != NONE; i = s->m[i].leaf_next) {
			uint64_t id = member_id(s, i);
			if ((id & mask) == prefix) {
				h ^= entry_hash(s, id, s->m[i].rec->version, s->m[i].inc,
						s->m[i].state);
				c++;
			}
		}
	}
	*hash = h;
	*count = c;
}
