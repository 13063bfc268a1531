/* swim_core_rogue.c - rogue members in core swim (the `rogue` action,
 * issue 11) and the core's metrics, which judge the honest members only.
 *
 * A rogue keeps running its honest swim instance with its real key: it
 * stays a member, probes, answers probes and relays. On a timer of its
 * own it also crafts messages and seals them with that key and the
 * instance's pair counters (gossip/swim_rogue.h), to honest members it
 * draws with its node's rng:
 *
 *   every gossip_interval   one round, as its behaviour says:
 *     suspect_flood   to ROGUE_TARGETS members (the victim may be one): a
 *                     GOSSIP of a SUSPECT and a DEAD item about the victim
 *                     at the incarnation the rogue holds for it, naming
 *                     the rogue as accuser
 *     accuse_others   to ROGUE_TARGETS members other than the victim: a
 *                     GOSSIP of ROGUE_ACCUSERS SUSPECT items about the
 *                     victim at its incarnation, each naming another
 *                     honest member as accuser
 *     false_addr      to ROGUE_ADDR_TARGETS members, about a member X
 *                     drawn each round: a GOSSIP of an announcement that
 *                     X moved from its real address to ROGUE_FAKE_NET.x
 *                     (newest seq: the rogue's wall clock), signed by the
 *                     rogue's own key, and a RECORD entry of X's real
 *                     record carrying that announcement
 *     junk_records    to ROGUE_JUNK_TARGETS members: ROGUE_JUNK_DGRAMS
 *                     RECORD datagrams, unasked, each full of real
 *                     members' records whose own signature was lowered (so
 *                     not a copy of the one held: checked, and failing)
 *
 * All rogues of a run accuse one victim, drawn at the first round among
 * the honest members up (so every rogue of an action is known by then).
 *
 * Timers: the round above, folded into the node's deadline (swim_core.c
 * next_deadline); a restarted rogue starts again one interval later.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "swim_core_node.h"
#include "swim_rogue.h"

enum rogue_limits {
	ROGUE_TARGETS = 8,        /* members a round's accusations go to */
	ROGUE_ACCUSERS = 16,      /* accuse_others: accuser ids named per GOSSIP */
	ROGUE_ADDR_TARGETS = 4,   /* false_addr: members per round */
	ROGUE_JUNK_TARGETS = 4,   /* junk_records: members per round */
	ROGUE_JUNK_DGRAMS = 8,    /* ... and RECORD datagrams to each */
	ROGUE_DRAWS = 64,         /* draws before giving up on a free honest member */
	ROGUE_MSG_MAX = SWIM_PT_MAX - SWIM_BODY_HDR,
};

/* 198.19.0.0/16: announcements may name it (wire_hint_ok), and no host of
 * the run is there (the engine puts only hosts behind a NAT in it, and a
 * run with rogues models none): whoever followed one would lose the member.
 * Never 10/8, 172.16/12 or 192.168/16 (DESIGN.md §9). */
#define ROGUE_FAKE_NET 0xc6130000u

static bool honest(const struct swc_shared *sh, uint32_t id)
{
	return id < sh->nodes && sh->cores[id] && !sh->rogue[id] && sh->fx.hist[id].n;
}

/* An honest member up, drawn uniformly, other than the ones in not[];
 * NONE after ROGUE_DRAWS misses. */
static uint32_t draw_honest(struct swc *c, const uint32_t *not, uint32_t nnot)
{
	struct swc_shared *sh = c->sh;

	for (uint32_t t = 0; t < ROGUE_DRAWS; t++) {
		uint32_t id = mn_rng_uniform(&c->env->rng, sh->nodes), j;
		if (!honest(sh, id))
			continue;
		for (j = 0; j < nnot && not[j] != id; j++)
			;
		if (j == nnot)
			return id;
	}
	return NONE;
}

static uint32_t victim(struct swc *c)
{
	struct swc_shared *sh = c->sh;

	if (sh->victim == NONE || !honest(sh, sh->victim))
		sh->victim = draw_honest(c, NULL, 0);
	return sh->victim;
}

/* The incarnation this rogue holds for node id (0 if it holds none). */
static uint32_t inc_of(const struct swc *c, uint32_t id)
{
	struct swim_member_info mi;

	if (swim_member(c->s, swim_fixture_pk(&c->sh->fx, id), &mi) != MN_OK)
		return 0;
	return mi.inc;
}

static void send_to(struct swc *c, uint32_t to, uint8_t type, const uint8_t *msg, size_t len,
		    struct mn_time now)
{
	if (swim_rogue_send(c->s, swim_fixture_pk(&c->sh->fx, to), type, msg, len, now) == MN_OK)
		sim_env_count(c->env, C_ROGUE_SENT, 1);
}

/* A GOSSIP of msg[len] to n members (drawn; not in not[]). */
static void gossip_to(struct swc *c, uint32_t n, const uint32_t *not, uint32_t nnot,
		      const uint8_t *msg, size_t len, struct mn_time now)
{
	uint32_t got[ROGUE_TARGETS + 2];

	if (nnot)
		memcpy(got, not, nnot * sizeof(*not));
	for (uint32_t k = 0; k < n && nnot < ROGUE_TARGETS + 2; k++) {
		uint32_t to = draw_honest(c, got, nnot);
		if (to == NONE)
			return;
		got[nnot++] = to;
		send_to(c, to, SWIM_T_GOSSIP, msg, len, now);
	}
}

static void suspect_flood(struct swc *c, struct mn_time now)
{
	uint8_t msg[2 * SWIM_ITEM_SUSPECT_LEN];
	uint32_t v = victim(c), inc;
	uint64_t me = seal_key_id(c->key.pk);

	if (v == NONE)
		return;
	inc = inc_of(c, v);
	swim_rogue_put_accusation(msg, SWIM_I_SUSPECT, seal_key_id(swim_fixture_pk(&c->sh->fx, v)),
				  inc, me);
	swim_rogue_put_accusation(msg + SWIM_ITEM_SUSPECT_LEN, SWIM_I_DEAD,
				  seal_key_id(swim_fixture_pk(&c->sh->fx, v)), inc, me);
	gossip_to(c, ROGUE_TARGETS, NULL, 0, msg, sizeof(msg), now);
}

static void accuse_others(struct swc *c, struct mn_time now)
{
	uint8_t msg[ROGUE_ACCUSERS * SWIM_ITEM_SUSPECT_LEN];
	uint32_t v = victim(c), inc, acc[ROGUE_ACCUSERS + 1], n = 1;
	uint64_t vid;

	if (v == NONE)
		return;
	inc = inc_of(c, v);
	vid = seal_key_id(swim_fixture_pk(&c->sh->fx, v));
	acc[0] = v;
	while (n < ROGUE_ACCUSERS + 1) {
		uint32_t a = draw_honest(c, acc, n);
		if (a == NONE)
			break;
		swim_rogue_put_accusation(msg + (n - 1) * SWIM_ITEM_SUSPECT_LEN, SWIM_I_SUSPECT, vid,
					  inc, seal_key_id(swim_fixture_pk(&c->sh->fx, a)));
		acc[n++] = a;
	}
	if (n > 1)
		gossip_to(c, ROGUE_TARGETS, &v, 1, msg, (n - 1) * SWIM_ITEM_SUSPECT_LEN, now);
}

static void false_addr(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;
	uint8_t ann[SWIM_ITEM_ADDR_MAX], msg[ROGUE_MSG_MAX];
	uint32_t x = draw_honest(c, NULL, 0), targets[ROGUE_ADDR_TARGETS + 1], n = 1;
	struct mn_addr fake;
	size_t alen, rlen;

	if (x == NONE)
		return;
	memset(&fake, 0, sizeof(fake));
	fake.in4.sin_family = AF_INET;
	fake.in4.sin_addr.s_addr = htonl(ROGUE_FAKE_NET | (x & 0xffff));
	fake.in4.sin_port = sh->cores[x]->env->addr.in4.sin_port;
	alen = swim_rogue_put_ann(ann, sizeof(ann), &sh->fx.net, &c->key,
				  seal_key_id(swim_fixture_pk(&sh->fx, x)), now.wall / MN_NS_PER_MS,
				  &fake, &sh->cores[x]->env->addr);
	if (!alen)
		return;
	msg[0] = 1; /* RECORD: one entry */
	rlen = swim_rogue_put_record(msg + 1, sizeof(msg) - 1, inc_of(c, x), SWIM_ALIVE,
				     sh->fx.cur[x]->bytes, sh->fx.cur[x]->len, ann, alen);
	targets[0] = x;
	for (uint32_t k = 0; k < ROGUE_ADDR_TARGETS; k++) {
		uint32_t to = draw_honest(c, targets, n);
		if (to == NONE)
			return;
		targets[n++] = to;
		send_to(c, to, SWIM_T_GOSSIP, ann, alen, now);
		if (rlen)
			send_to(c, to, SWIM_T_RECORD, msg, 1 + rlen, now);
	}
}

/* A RECORD of real members' records (not to's), each with its own
 * signature lowered: the same version as the one held, and a signature
 * below it, so the receiver checks it (swim_member.c, unasked). */
static size_t junk_record_msg(struct swc *c, uint32_t to, uint8_t *msg, size_t cap)
{
	struct swc_shared *sh = c->sh;
	uint8_t rec[REC_MEMBER_MAX];
	size_t off = 1;
	uint32_t n = 0, not[2] = { to, c->env->node_id };

	for (;;) {
		uint32_t y = draw_honest(c, not, 2);
		const struct swim_rec *r;
		size_t len;
		if (y == NONE || !(r = sh->fx.cur[y]) || r->len > sizeof(rec))
			break;
		memcpy(rec, r->bytes, r->len);
		for (uint8_t *sig = rec + r->len - REC_SIG_LEN; sig < rec + r->len; sig++) {
			if (*sig) {
				*sig = 0;
				break;
			}
		}
		len = swim_rogue_put_record(msg + off, cap - off, inc_of(c, y), SWIM_ALIVE, rec,
					    r->len, NULL, 0);
		if (!len || n == UINT8_MAX)
			break;
		off += len;
		n++;
	}
	msg[0] = (uint8_t)n;
	return n ? off : 0;
}

static void junk_records(struct swc *c, struct mn_time now)
{
	uint8_t msg[ROGUE_MSG_MAX];
	uint32_t targets[ROGUE_JUNK_TARGETS], n = 0;

	for (uint32_t k = 0; k < ROGUE_JUNK_TARGETS; k++) {
		uint32_t to = draw_honest(c, targets, n);
		if (to == NONE)
			return;
		targets[n++] = to;
		for (uint32_t d = 0; d < ROGUE_JUNK_DGRAMS; d++) {
			size_t len = junk_record_msg(c, to, msg, sizeof(msg));
			if (len)
				send_to(c, to, SWIM_T_RECORD, msg, len, now);
		}
	}
}

int swc_rogue(void *core, enum sim_rogue b, struct mn_time now)
{
	struct swc *c = core;
	mn_ns iv = c->sh->cfg.p.gossip_interval_ns;

	if ((unsigned)b >= SIM_ROGUE__COUNT)
		return MN_EINVAL;
	c->sh->rogue[c->env->node_id] = (uint8_t)(b + 1);
	/* a random phase, so the rogues of one action do not fire together */
	c->rogue_at = now.mono + mn_rng_uniform(&c->env->rng, (uint32_t)(iv / MN_NS_PER_MS) + 1) *
				 MN_NS_PER_MS;
	return MN_OK;
}

mn_ns swc_rogue_deadline(const struct swc *c)
{
	return c->sh->rogue[c->env->node_id] ? c->rogue_at : MN_NEVER;
}

void swc_rogue_on_timer(struct swc *c, struct mn_time now)
{
	uint8_t b = c->sh->rogue[c->env->node_id];

	if (!b || !mn_time_after_eq(now.mono, c->rogue_at))
		return;
	c->rogue_at = now.mono + c->sh->cfg.p.gossip_interval_ns;
	switch ((enum sim_rogue)(b - 1)) {
	case SIM_ROGUE_SUSPECT_FLOOD: suspect_flood(c, now); break;
	case SIM_ROGUE_ACCUSE_OTHERS: accuse_others(c, now); break;
	case SIM_ROGUE_FALSE_ADDR: false_addr(c, now); break;
	case SIM_ROGUE_JUNK_RECORDS: junk_records(c, now); break;
	default: break;
	}
}

/* ---- metrics (judged at the end, over the honest members up) ---- */

#define SWC_METRIC_MAP(X)                                                                  \
	X(honest_evicted, "(honest node, honest node up) pairs where the first holds the "    \
			  "second dead or not at all (runs with rogues)")                       \
	X(honest_addr_false, "(honest node, honest node up) pairs where the first sends to " \
			     "an address that is not the second's (runs with rogues)")          \
	X(honest_inc_max, "highest incarnation of an honest node up")                       \
	X(sig_checks_max, "Ed25519 checks an honest node asked for in the run, memo hits "   \
			  "included: the busiest")                                              \
	X(sig_checks_mean, "the same, mean over the honest nodes up")

enum swc_metric {
#define SWC_METRIC_ENUM(n, h) SM_##n,
	SWC_METRIC_MAP(SWC_METRIC_ENUM)
#undef SWC_METRIC_ENUM
	SM__COUNT
};

const char *const swc_metric_names[SWC_NMETRICS] = {
#define SWC_METRIC_NAME(n, h) #n,
	SWC_METRIC_MAP(SWC_METRIC_NAME)
#undef SWC_METRIC_NAME
};

const char *const swc_metric_helps[SWC_NMETRICS] = {
#define SWC_METRIC_HELP(n, h) h,
	SWC_METRIC_MAP(SWC_METRIC_HELP)
#undef SWC_METRIC_HELP
};

_Static_assert(SM__COUNT == SWC_NMETRICS, "swim_core_node.h counts the metrics");

static bool any_rogue(const struct swc_shared *sh)
{
	for (uint32_t o = 0; o < sh->nodes; o++)
		if (sh->rogue[o])
			return true;
	return false;
}

/* Over the (honest observer, honest subject) pairs, both up. */
static void pairs(const struct swc_shared *sh, uint64_t *evicted, uint64_t *addr_false)
{
	*evicted = *addr_false = 0;
	for (uint32_t o = 0; o < sh->nodes; o++) {
		if (!honest(sh, o))
			continue;
		for (uint32_t j = 0; j < sh->nodes; j++) {
			struct swim_member_info mi;
			if (j == o || !honest(sh, j))
				continue;
			if (swim_member(sh->cores[o]->s, swim_fixture_pk(&sh->fx, j), &mi) != MN_OK ||
			    mi.state == SWIM_DEAD) {
				(*evicted)++;
				continue;
			}
			if (mn_addr_is_set(&mi.addr) && !mn_addr_eq(&mi.addr, &sh->cores[j]->env->addr))
				(*addr_false)++;
		}
	}
}

bool swc_metric(const void *shared, uint32_t idx, int64_t *milli)
{
	const struct swc_shared *sh = shared;
	uint64_t evicted, addr_false, most = 0, sum = 0, n = 0;
	uint32_t inc = 0;

	switch ((enum swc_metric)idx) {
	case SM_honest_evicted:
	case SM_honest_addr_false:
		/* N^2 lookups: only where rogues make them the question */
		if (!any_rogue(sh))
			return false;
		pairs(sh, &evicted, &addr_false);
		*milli = (int64_t)(idx == SM_honest_evicted ? evicted : addr_false) * 1000;
		return true;
	case SM_honest_inc_max:
		for (uint32_t o = 0; o < sh->nodes; o++) {
			struct swim_member_info mi;
			if (honest(sh, o) &&
			    swim_member(sh->cores[o]->s, swim_fixture_pk(&sh->fx, o), &mi) == MN_OK &&
			    mi.inc > inc)
				inc = mi.inc;
		}
		*milli = (int64_t)inc * 1000;
		return true;
	case SM_sig_checks_max:
	case SM_sig_checks_mean:
		for (uint32_t o = 0; o < sh->nodes; o++) {
			if (!honest(sh, o))
				continue;
			most = sh->sig_req[o] > most ? sh->sig_req[o] : most;
			sum += sh->sig_req[o];
			n++;
		}
		if (n == 0)
			return false;
		*milli = (int64_t)(idx == SM_sig_checks_max ? most * 1000 : sum * 1000 / n);
		return true;
	default:
		return false;
	}
}
