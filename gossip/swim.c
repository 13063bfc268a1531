/* swim.c - SWIM failure detection and dissemination with Lifeguard, push-pull
 * anti-entropy over a hashed digest tree, sealed per pair (see swim.h).
 *
 * Papers: SWIM (Das, Gupta, Motivala, DSN 2002): §3.1 ping / ping-req,
 * §4.1 piggybacked infection-style dissemination, §4.2 suspicion and
 * incarnations, §4.3 round-robin probe target selection over a shuffled list.
 * Lifeguard (Dadgar, Phillips, Currey, 2018): LHA-Probe (local health
 * multiplier scaling probe interval and timeout, nacks from ping-req
 * helpers), LHA-Suspicion (timeout shrinking with independent
 * confirmations), buddy system (a suspect is told directly).
 *
 * Timers (each folded into swim_next_deadline()):
 *
 *   probe        every probe_interval * (health + 1): finish the running
 *                probe (no ack -> suspect the target and raise health by the
 *                nacks we missed, or by 1 without helpers; an ack -> lower
 *                health by 1), then ping the next member of the shuffled
 *                round-robin order (alive or suspect, with an address).
 *   ack timeout  probe start + probe_timeout * (health + 1), no ack yet ->
 *                ping-req through indirect_checks random alive members.
 *   relay        a ping-req we serve: we ping the target; at 80% of our probe
 *                timeout without its ack we nack the requester (Lifeguard);
 *                after one probe interval we forget the request.
 *   suspicion    per suspect: start + max(min, max - (max - min) *
 *                log(C + 1) / log(K + 1)) with C confirmations from distinct
 *                accusers -> dead, announced.
 *   gossip       every gossip_interval while updates are queued: a GOSSIP
 *                to gossip_nodes random members (alive, suspect, or dead for
 *                less than gossip_to_dead).
 *   push-pull    once within a probe interval of start (the join sync),
 *                then at a phase drawn uniformly in [0, pushpull_interval *
 *                scale(N)), then every pushpull_interval * scale(N) +-10%:
 *                a digest exchange with a random alive member, a dead one
 *                one time in pushpull_dead_one_in (partition healing).
 *   dead probe   first deadline uniform in [0, dead_probe_interval) after
 *                start, then every dead_probe_interval +-10% (re-armed while
 *                no member is dead too, so it keeps its phase): ping one
 *                random dead member, telling it it is dead; if it lives it
 *                refutes in its ack. Nodes started together must not probe
 *                and push-pull in network-wide waves (doc/gossip.md §6).
 *   want retry   a record request unanswered for probe_interval (the WANT
 *                or the RECORD was lost), or one that did not fit the WANT
 *                of its datagram: asked (again) of the member that
 *                announced the version (a random alive one once that is
 *                gone), at most WANT_TRIES times; push-pull is the backstop.
 *   (tokens)     not a timer: address tokens are keyed by the mono time
 *                divided by TOK_EPOCH and accepted for two epochs.
 *   (tombstones) no timer of their own: queued ones ride the gossip timer
 *                (piggybacked, retransmit limit), the rest push-pull.
 *
 * Mono instants may wrap: they are compared only with mn_time.h's helpers
 * (mn_time_before, mn_time_after_eq, mn_min_deadline), never with < or >.
 *
 * Integer arithmetic only for anything that decides (DESIGN.md §8): logs are
 * Q16 fixed point.
 */
#include "swim.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_bits.h"
#include "mn_err.h"
#include "mn_wire.h"

#define NONE UINT32_MAX
#define BQ_NONE UINT16_MAX
#define TAG_LEN 16
#define TOK_EPOCH_NS (600 * MN_NS_PER_SEC)
#define LEAF_BITS_MIN 4
#define LEAF_BITS_MAX 16
#define LEAF_FILL 16          /* grow the digest when leaves average more */
#define MAX_PICK 64           /* queued updates per message */
#define NACK_PCT 80           /* helper nacks at this share of the probe timeout */
#define MEMBERS_INIT 16
#define ENTRY_LIST_MAX 48     /* entries accepted in one received LIST */
#define WANT_TRIES 3          /* re-sends of an unanswered record request */
#define JITTER_PCT 10         /* periodic dead-probe and push-pull timers: +-10% */
#define BUDDY_SLOTS 64        /* recent buddy GOSSIPs remembered */
#define CHAIN_OFF 2           /* a record's invite + admission follow its format and type bytes */

static const char tag_digest[TAG_LEN] = "mn/v1/digest";

_Static_assert(SWIM_MAX_BCAST < BQ_NONE, "queue slots fit uint16_t");
_Static_assert(SWIM_PT_MAX + SEAL_OVERHEAD == SWIM_MTU, "plaintext size");
_Static_assert(SWIM_ITEM_ALIVE_LEN == 40, "alive item");
_Static_assert(SWIM_ITEM_SUSPECT_LEN == 21, "suspect item");
_Static_assert(SWIM_ITEM_LIST_HDR + SWIM_PP_LIST_MAX * SWIM_ENTRY_LEN <=
	       SWIM_PT_MAX - SWIM_BODY_HDR - 1, "a full LIST fits one datagram");
_Static_assert(16 * SWIM_ITEM_RANGE_LEN <= SWIM_PT_MAX - SWIM_BODY_HDR - 1,
	       "a range's children fit one datagram");
_Static_assert(REC_MEMBER_MAX + 26 <= SWIM_PT_MAX - SWIM_BODY_HDR - 1,
	       "a record fits one RECORD message");
_Static_assert(SWIM_MAX_INDIRECT <= 8, "helper nack mask is 8 bits");

/* ---- internal types ---- */

enum { ST_REMOVED = 0 }; /* a member slot that was removed (never reused) */

enum member_flags {
	M_ADDR_DIRECT = 0x01, /* address seen on its own authenticated traffic */
	M_INC_KNOWN = 0x02,   /* inc came from the network, not a default 0 */
	M_HELLO_SENT = 0x04,  /* we sent it our record in a HELLO this boot */
};

/* An underlay address, compact: 20 bytes instead of a 28-byte sockaddr.
 * IPv6 scope ids are not kept (no link-local gossip). */
struct waddr {
	uint8_t ip[16];
	uint16_t port;
	uint8_t family; /* 0 none, 4, 6 */
	uint8_t pad;
};

struct member {
	const struct swim_rec *rec; /* a store reference; NULL when removed */
	struct seal_pair pair;      /* seal counters and replay window */
	uint64_t tok;               /* address token it gave us; we echo it */
	mn_ns since;                /* last state change */
	uint32_t inc;               /* incarnation */
	uint32_t leaf_next;         /* next member in its digest leaf */
	uint32_t susp;              /* suspicion slot or NONE */
	uint16_t bq;                /* queued-update slot or BQ_NONE */
	uint8_t state;              /* enum swim_state, ST_REMOVED */
	uint8_t flags;              /* M_* */
	struct waddr addr;
	uint32_t inc_own;           /* highest incarnation it announced itself (or the
				     * first we learned): third parties are bounded by it */
};
_Static_assert(sizeof(struct member) <= 88, "members stay small: 10^8 of them in a run");

struct susp {
	mn_ns start, deadline;
	uint32_t member;            /* NONE: free (heap then links the free list) */
	uint32_t heap;              /* position in the heap */
	uint8_t nacc;               /* accusers counted: confirmations = nacc - 1 */
	bool last_call;             /* the timeout ran out once: a final ping went out */
	uint32_t acc[SWIM_MAX_CONFIRM + 1]; /* their member indices (0: our own probe) */
};

struct bcast {
	uint64_t order;     /* larger = newer */
	uint64_t accuser;
	uint32_t member;
	uint32_t inc;
	uint16_t transmits;
	uint8_t kind;       /* SWIM_I_ALIVE / SUSPECT / DEAD; 0 = free slot */
};

struct probe {
	uint32_t member;    /* NONE: idle */
	uint32_t seq;
	mn_ns ack_at, end;
	bool indirect;
	bool intro;         /* the target could open our ping (see probe_start) */
	uint8_t nhelpers, nacks, nack_mask;
	uint32_t helpers[SWIM_MAX_INDIRECT];
};

struct relay {
	bool used, nacked;
	uint32_t requester, target, req_seq, our_seq;
	mn_ns nack_at, expire;
	size_t cap;         /* reply cap from the ping-req */
};

struct want {
	uint64_t id;
	mn_ns at;           /* last asked */
	uint32_t from;      /* member asked (it announced the version), or NONE */
	uint8_t tries;      /* re-sends so far */
	bool used;
	bool waiting;       /* did not fit its datagram's WANT: not asked yet */
};

struct txd {
	struct mn_addr dst;
	uint16_t len;
	uint8_t buf[SWIM_MTU];
};

struct kcache {
	uint32_t member;
	struct seal_keys k;
};

/* Revocation tombstones, kept forever (see "tombstones" below): slots in
 * arrival order; the live ones also by ascending id, with prefix XORs so any
 * id range's count and hash take two binary searches, and by target key id. */
enum tomb_flags {
	T_ADMIN = 0x01,     /* signed by an admin, not the root */
	T_EFFECTIVE = 0x02, /* refuses its target (root; admin once seen in scope) */
	T_APPLIED = 0x04,   /* the target's members were dropped */
	T_VOID = 0x08,      /* a free slot: out of scope, or its admin was revoked */
};

struct tomb {
	uint64_t id;                     /* SipHash(dkey, 't' || bytes): the digest key */
	uint8_t target[REC_PK_LEN];
	uint8_t admin[REC_PK_LEN];       /* the signing admin (T_ADMIN) */
	uint16_t len;
	uint8_t flags;                   /* T_* */
	uint8_t bytes[REC_REVOKE_MAX];   /* canonical encoding */
};

struct tomb_ord {
	uint64_t id;
	uint32_t slot;
};

struct tombs {
	struct tomb *t;
	uint32_t n, cap;            /* slots used (void ones included), allocated */
	uint32_t live, pending;     /* not void; admin ones not (yet) effective */
	struct tomb_ord *ord;       /* the live ones by ascending id */
	uint64_t *px;               /* px[k] = XOR of ord[0 .. k).id */
	uint32_t *idx;              /* target key id -> slot, open addressing */
	uint32_t idx_mask;
	struct {
		uint32_t slot;
		uint32_t transmits;
	} tx[SWIM_MAX_TOMB_BCAST];  /* queued for piggybacking */
	uint32_t ntx;
	bool due;                   /* effective ones to apply (deferred inside swim_recv) */
	struct rec_revoked rv;      /* what swim checks: this table, then the caller's hook */
	const struct rec_revoked *user;
};

struct swim {
	struct swim_params p;
	const struct rec_network *net;
	struct seal_self self;      /* secret */
	struct mn_rng rng;
	struct swim_store store;
	struct rec_memo *memo;
	const struct rec_revoked *revoked;
	const struct seal_memo *seal_memo;
	void (*event)(void *ctx, const struct swim_event *ev);
	void *event_ctx;
	mn_ns now;
	uint32_t boot;              /* this boot's number: seal counters' high bits */

	/* members: index 0 is ourselves */
	struct member *m;
	uint32_t n, cap;
	uint32_t *idx;              /* open addressing over member indices */
	uint32_t idx_mask;
	uint32_t nlive, nalive, nsuspect, ndead;

	/* digest tree leaves and the view digest */
	uint8_t dkey[crypto_shorthash_KEYBYTES];
	uint32_t lb;                /* leaf bits */
	uint64_t *leaf_hash;
	uint32_t *leaf_count;
	uint32_t *leaf_head;
	uint64_t view;

	uint8_t tok_key[crypto_shorthash_KEYBYTES]; /* secret */

	/* dissemination queue: slots, and their order (fewest sent, newest first) */
	struct bcast *bq;
	uint32_t bq_cap;            /* slots allocated */
	uint16_t *bq_ord;
	uint32_t bq_n;
	uint32_t bq_free_hint;
	uint64_t bq_seq;

	/* suspicions: pool with a free list, and a min-heap on deadline */
	struct susp *sp;
	uint32_t sp_cap, sp_free;
	uint32_t *heap;
	uint32_t heap_n;

	struct probe probe;
	uint32_t perm_pos, perm_size, perm_a, perm_b;
	uint32_t seq;
	uint32_t health;
	mn_ns next_probe, next_gossip, next_pp, next_dead;
	uint32_t pp_rounds;

	struct relay relay[SWIM_MAX_RELAY];
	struct want wants[SWIM_MAX_WANTS];
	uint64_t want_ids[SWIM_WANT_BATCH];
	uint32_t nwant;
	mn_ns want_next;            /* no want is due before this (MN_NEVER: none) */

	struct txd *tx;
	uint32_t tx_head, tx_n, tx_cap;

	struct kcache kc[SWIM_KEYCACHE]; /* secret */

	/* HELLO verification budget: a token bucket in mono time */
	uint32_t hello_tokens;
	mn_ns hello_at;
	mn_ns hello_sent_at;        /* when we last sent a HELLO */

	/* Inside swim_recv: accusations of ourselves are gathered and refuted
	 * once, at the highest, when the datagram is done (refute_flush). */
	bool in_rx;
	bool refute_accused;
	uint64_t refute_inc;        /* highest incarnation to refute, + 1; 0: none */
	bool jumped;                /* refuted a claim above our own incarnation at jump_at */
	mn_ns jump_at;

	/* Buddy GOSSIPs sent, direct-mapped by member: one per member per
	 * probe interval (a collision only allows an extra one). */
	struct {
		uint32_t member;
		mn_ns at;
	} buddy[BUDDY_SLOTS];

	struct tombs tombs;

	uint64_t stats[SWIM_STAT__COUNT];
};

/* The context of one received message. */
struct rx {
	uint32_t from;
	struct waddr addr;
	size_t len;      /* the request's datagram length */
	size_t cap;      /* largest reply datagram */
	uint32_t burst;  /* reply datagrams allowed */
	bool proven;     /* it echoed a token we sent to this address */
};

/* One outgoing message under construction. */
struct out {
	uint32_t to;
	uint8_t type;
	size_t len, cap;  /* plaintext used / allowed */
	struct waddr dst;
	uint8_t pt[SWIM_PT_MAX];
};

/* Tombstones: hooks called from the protocol below, defined with the table. */
struct ppw;
static void tomb_init(struct swim *s, const struct rec_revoked *user);
static void tomb_free(struct swim *s);
static void tomb_settle(struct swim *s, const struct swim_rec *r);
static void tomb_flush(struct swim *s);
static void tomb_piggyback(struct swim *s, struct out *o);
static size_t tomb_item_len(const uint8_t *p, size_t avail);
static size_t tomb_item_apply(struct swim *s, const uint8_t *p);
static bool tomb_pp_kind(uint8_t kind);
static size_t tomb_pp_len(const uint8_t *p, size_t avail);
static size_t tomb_pp(struct swim *s, struct ppw *w, const uint8_t *p, uint32_t *work);
static void tomb_pp_open(struct swim *s, struct out *o);

static const char *const stat_names[SWIM_STAT__COUNT] = {
#define SWIM_STAT_NAME(n, s) s,
	SWIM_STAT_MAP(SWIM_STAT_NAME)
#undef SWIM_STAT_NAME
};

const char *swim_stat_name(enum swim_stat st)
{
	return (unsigned)st < SWIM_STAT__COUNT ? stat_names[st] : "unknown";
}

/* ---- parameters and scaling ---- */

void swim_params_lan(struct swim_params *p)
{
	memset(p, 0, sizeof(*p));
	/* memberlist DefaultLANConfig */
	p->probe_interval_ns = 1 * MN_NS_PER_SEC;
	p->probe_timeout_ns = 500 * MN_NS_PER_MS;
	p->indirect_checks = 3;
	p->retransmit_mult = 4;
	p->suspicion_mult = 4;
	p->suspicion_max_mult = 6;
	p->awareness_max = 8;
	p->gossip_interval_ns = 200 * MN_NS_PER_MS;
	p->gossip_nodes = 3;
	p->gossip_to_dead_ns = 30 * MN_NS_PER_SEC;
	p->pushpull_interval_ns = 30 * MN_NS_PER_SEC;
	/* ours (doc/gossip.md) */
	p->suspicion_floor_ns = 5 * MN_NS_PER_SEC;
	p->pushpull_dead_one_in = 4;
	p->dead_probe_interval_ns = 5 * MN_NS_PER_SEC;
	p->inc_jump_max = SWIM_INC_JUMP_DEFAULT;
}

void swim_params_wan(struct swim_params *p)
{
	swim_params_lan(p);
	/* memberlist DefaultWANConfig */
	p->probe_interval_ns = 5 * MN_NS_PER_SEC;
	p->probe_timeout_ns = 3 * MN_NS_PER_SEC;
	p->suspicion_mult = 6;
	p->gossip_nodes = 4;
	p->gossip_to_dead_ns = 60 * MN_NS_PER_SEC;
	p->pushpull_interval_ns = 60 * MN_NS_PER_SEC;
	/* ours */
	p->suspicion_floor_ns = 15 * MN_NS_PER_SEC;
	p->dead_probe_interval_ns = 15 * MN_NS_PER_SEC;
	/* memberlist: 500 ms. After a 1,000-node WAN partition healed, 300 ms
	 * converged in 44.1 s instead of 56.9 s for 14 % more bytes per node
	 * (1109 against 977 B/s; 200 ms: 19.7 s, 1245 B/s; doc/gossip.md §7). */
	p->gossip_interval_ns = 300 * MN_NS_PER_MS;
}

#define HOUR_NS (3600 * MN_NS_PER_SEC)

int swim_params_check(const struct swim_params *p)
{
	if (!p || p->probe_interval_ns == 0 || p->probe_interval_ns > HOUR_NS / 6 ||
	    p->probe_timeout_ns == 0 || p->probe_timeout_ns >= p->probe_interval_ns)
		return MN_EINVAL;
	if (p->indirect_checks > SWIM_MAX_INDIRECT || p->retransmit_mult == 0 ||
	    p->retransmit_mult > 64 || p->suspicion_mult == 0 || p->suspicion_mult > 32 ||
	    p->suspicion_max_mult == 0 || p->suspicion_max_mult > 32 ||
	    p->awareness_max == 0 || p->awareness_max > 64)
		return MN_EINVAL;
	if (p->suspicion_floor_ns > 24 * HOUR_NS || p->gossip_nodes > 16 ||
	    (p->gossip_nodes && (p->gossip_interval_ns == 0 || p->gossip_interval_ns > HOUR_NS)) ||
	    p->gossip_to_dead_ns > 24 * HOUR_NS || p->pushpull_interval_ns > 24 * HOUR_NS ||
	    p->dead_probe_interval_ns > 24 * HOUR_NS || p->inc_jump_max == 0)
		return MN_EINVAL;
	return MN_OK;
}

/* log2(x) in Q16 for x >= 1: the integer part from the top bit, then 16
 * fraction bits by repeated squaring of the mantissa (kept in Q31). */
static uint64_t log2_q16(uint64_t x)
{
	uint32_t ip = 63 - (uint32_t)__builtin_clzll(x);
	uint64_t m = (x << (63 - ip)) >> 32; /* [2^31, 2^32): 1.0 .. 2.0 in Q31 */
	uint64_t frac = 0;

	for (int i = 0; i < 16; i++) {
		m = (m * m) >> 31;
		frac <<= 1;
		if (m >= (UINT64_C(1) << 32)) {
			m >>= 1;
			frac |= 1;
		}
	}
	return ((uint64_t)ip << 16) | frac;
}

/* 1000 * log10(x), rounded; log10(2) = 1292913987 / 2^32. */
static uint64_t log10_milli(uint64_t x)
{
	return (log2_q16(x) * UINT64_C(1292913987) * 1000 + (UINT64_C(1) << 47)) >> 48;
}

static uint32_t members_n(const struct swim *s)
{
	return s->nlive ? s->nlive : 1;
}

static mn_ns scale_min(const struct swim_params *p, uint32_t n)
{
	uint64_t scale = log10_milli(n ? n : 1);
	mn_ns t;

	if (scale < 1000)
		scale = 1000;
	t = p->suspicion_mult * scale * p->probe_interval_ns / 1000;
	return t < p->suspicion_floor_ns ? p->suspicion_floor_ns : t;
}

static uint32_t scale_k(const struct swim_params *p, uint32_t n)
{
	uint32_t k = p->suspicion_mult > 2 ? p->suspicion_mult - 2 : 0;

	if (n < k + 2)
		k = 0;
	return k > SWIM_MAX_CONFIRM ? SWIM_MAX_CONFIRM : k;
}

/* Lifeguard: max - (max - min) * log(C + 1) / log(K + 1), not below min. */
static mn_ns scale_timeout(const struct swim_params *p, uint32_t n, uint32_t c)
{
	mn_ns lo = scale_min(p, n), hi = p->suspicion_max_mult * lo;
	uint32_t k = scale_k(p, n);
	uint64_t frac;
	mn_ns cut;

	if (k == 0 || c >= k)
		return lo;
	frac = (log2_q16(c + 1) << 16) / log2_q16(k + 1);
	/* ((hi - lo) * frac) >> 16 without the 64-bit product (it wraps past
	 * hi - lo ~ 78 h, which swim_params_check allows): split hi - lo at
	 * bit 16. Exact; frac <= 2^16. */
	cut = (((hi - lo) >> 16) * frac) + ((((hi - lo) & 0xffff) * frac) >> 16);
	return hi - cut < lo ? lo : hi - cut;
}

static uint32_t scale_retransmit(const struct swim_params *p, uint32_t n)
{
	uint64_t target = (uint64_t)n + 1, p10 = 1;
	uint32_t d = 0;

	while (p10 < target) {
		p10 *= 10;
		d++;
	}
	return p->retransmit_mult * (d ? d : 1);
}

static mn_ns scale_pushpull(const struct swim_params *p, uint32_t n)
{
	return p->pushpull_interval_ns * (n <= 32 ? 1 : mn_ceil_log2(n) - 4);
}

void swim_scale(const struct swim_params *p, uint32_t n, struct swim_scaled *out)
{
	memset(out, 0, sizeof(*out));
	out->susp_min_ns = scale_min(p, n);
	out->susp_max_ns = p->suspicion_max_mult * out->susp_min_ns;
	out->k = scale_k(p, n);
	for (uint32_t c = 0; c <= SWIM_MAX_CONFIRM; c++)
		out->susp_timeout_ns[c] = scale_timeout(p, n, c);
	out->retransmit_limit = scale_retransmit(p, n);
	out->pushpull_interval_ns = scale_pushpull(p, n);
}

static uint32_t susp_k(const struct swim *s)
{
	return scale_k(&s->p, members_n(s));
}

static mn_ns susp_timeout(const struct swim *s, uint32_t c)
{
	return scale_timeout(&s->p, members_n(s), c);
}

static uint32_t retransmit_limit(const struct swim *s)
{
	return scale_retransmit(&s->p, members_n(s));
}

static mn_ns probe_interval(const struct swim *s)
{
	return s->p.probe_interval_ns * (s->health + 1);
}

static mn_ns probe_timeout(const struct swim *s)
{
	return s->p.probe_timeout_ns * (s->health + 1);
}

static void health_add(struct swim *s, uint32_t d)
{
	uint32_t top = s->p.awareness_max - 1;

	s->health = s->health + d > top ? top : s->health + d;
}

static void health_sub(struct swim *s)
{
	if (s->health > 0)
		s->health--;
}

/* ---- small helpers ---- */

static uint32_t rnd(struct swim *s, uint32_t n)
{
	return n ? mn_rng_uniform(&s->rng, n) : 0;
}

/* Uniform in [0, span), at millisecond resolution (as the probe phase). */
static mn_ns rnd_span(struct swim *s, mn_ns span)
{
	mn_ns ms = span / MN_NS_PER_MS;

	return (mn_ns)rnd(s, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms) * MN_NS_PER_MS;
}

/* One period of a periodic timer: interval +-JITTER_PCT, uniform (mean
 * interval), so timers that started in phase drift apart. */
static mn_ns rnd_period(struct swim *s, mn_ns interval)
{
	mn_ns j = interval / 100 * JITTER_PCT;

	return interval - j + rnd_span(s, 2 * j + MN_NS_PER_MS);
}

static uint64_t mid(const struct swim *s, uint32_t i)
{
	return seal_key_id(s->m[i].rec->pk);
}

static bool live(const struct member *m)
{
	return m->state != ST_REMOVED;
}

static void bump(struct swim *s, enum swim_stat st, uint64_t d)
{
	s->stats[st] += d;
}

static void emit(struct swim *s, enum swim_event_kind kind, uint32_t i)
{
	struct swim_event ev;

	if (!s->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.rec = s->m[i].rec;
	ev.inc = s->m[i].inc;
	ev.boot = s->boot;
	ev.at = s->now;
	s->event(s->event_ctx, &ev);
}

static void waddr_from(struct waddr *w, const struct mn_addr *a)
{
	memset(w, 0, sizeof(*w));
	if (!a)
		return;
	if (a->sa.sa_family == AF_INET) {
		w->family = 4;
		memcpy(w->ip, &a->in4.sin_addr, 4);
		w->port = ntohs(a->in4.sin_port);
	} else if (a->sa.sa_family == AF_INET6) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		const uint8_t *ip = (const uint8_t *)&a->in6.sin6_addr;
		if (memcmp(ip, mapped, 12) == 0) {
			w->family = 4;
			memcpy(w->ip, ip + 12, 4);
		} else {
			w->family = 6;
			memcpy(w->ip, ip, 16);
		}
		w->port = ntohs(a->in6.sin6_port);
	}
}

static void waddr_to(const struct waddr *w, struct mn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (w->family == 4) {
		a->in4.sin_family = AF_INET;
		memcpy(&a->in4.sin_addr, w->ip, 4);
		a->in4.sin_port = htons(w->port);
	} else if (w->family == 6) {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, w->ip, 16);
		a->in6.sin6_port = htons(w->port);
	} else {
		a->sa.sa_family = AF_UNSPEC;
	}
}

static void waddr_put(uint8_t *p, const struct waddr *w)
{
	p[0] = w->family;
	memcpy(p + 1, w->ip, 16);
	mn_put_be16(p + 17, w->port);
}

/* false for a family byte we do not know, or address bytes past an IPv4. */
static bool waddr_get(struct waddr *w, const uint8_t *p)
{
	static const uint8_t zero[16];

	memset(w, 0, sizeof(*w));
	w->family = p[0];
	memcpy(w->ip, p + 1, 16);
	w->port = mn_get_be16(p + 17);
	if (w->family == 0)
		return memcmp(p + 1, zero, 16) == 0 && w->port == 0;
	if (w->family == 4)
		return memcmp(p + 5, zero, 12) == 0 && w->port != 0;
	return w->family == 6 && w->port != 0;
}

/* An address a third party may point us at: global or private unicast only
 * (not unspecified, loopback, link-local, multicast, broadcast or reserved),
 * so a member cannot aim our probes at our own host or a whole segment. */
static bool hint_ok(const struct waddr *w)
{
	static const uint8_t zero[10];
	const uint8_t *ip = w->ip;

	if (w->family == 4)
		return ip[0] != 0 && ip[0] != 127 && ip[0] < 224 && !(ip[0] == 169 && ip[1] == 254);
	if (w->family != 6)
		return false;
	/* ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96 */
	if (memcmp(ip, zero, 10) == 0 && ((ip[10] == 0 && ip[11] == 0) ||
					  (ip[10] == 0xff && ip[11] == 0xff)))
		return false;
	return ip[0] != 0xff && !(ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);
}

/* ---- member index (open addressing, linear probing) ---- */

static uint32_t find(const struct swim *s, uint64_t id)
{
	for (uint32_t pos = (uint32_t)id & s->idx_mask;; pos = (pos + 1) & s->idx_mask) {
		uint32_t i = s->idx[pos];
		if (i == NONE)
			return NONE;
		if (mid(s, i) == id)
			return i;
	}
}

static uint32_t find_pk(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	uint32_t i = find(s, seal_key_id(pk));

	if (i == NONE || memcmp(s->m[i].rec->pk, pk, REC_PK_LEN) != 0)
		return NONE;
	return i;
}

static void idx_put(uint32_t *tab, uint32_t mask, uint64_t id, uint32_t i)
{
	uint32_t pos = (uint32_t)id & mask;

	while (tab[pos] != NONE)
		pos = (pos + 1) & mask;
	tab[pos] = i;
}

static int idx_grow(struct swim *s)
{
	uint32_t nslots = (s->idx_mask + 1) * 2;
	uint32_t *tab = malloc(nslots * sizeof(*tab));

	if (!tab)
		return MN_ENOMEM;
	memset(tab, 0xff, nslots * sizeof(*tab));
	for (uint32_t i = 0; i < s->n; i++)
		if (live(&s->m[i]))
			idx_put(tab, nslots - 1, mid(s, i), i);
	free(s->idx);
	s->idx = tab;
	s->idx_mask = nslots - 1;
	return MN_OK;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void idx_del(struct swim *s, uint64_t id)
{
	uint32_t mask = s->idx_mask, pos = (uint32_t)id & mask;

	while (s->idx[pos] != NONE && mid(s, s->idx[pos]) != id)
		pos = (pos + 1) & mask;
	if (s->idx[pos] == NONE)
		return;
	for (uint32_t hole = pos, next = (pos + 1) & mask;; next = (next + 1) & mask) {
		uint32_t i = s->idx[next];
		if (i == NONE) {
			s->idx[hole] = NONE;
			return;
		}
		uint32_t home = (uint32_t)mid(s, i) & mask;
		/* move i into the hole unless its home lies cyclically in (hole, next] */
		bool stays = hole <= next ? (home > hole && home <= next)
					  : (home > hole || home <= next);
		if (!stays) {
			s->idx[hole] = i;
			hole = next;
		}
	}
}

/* ---- digest tree and view digest ---- */

static uint64_t sip(const uint8_t key[crypto_shorthash_KEYBYTES], const uint8_t *in, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, in, len, key);
	return mn_get_le64(h);
}

/* The digest hash of (id, version, incarnation, dead or not): what
 * push-pull reconciles. Dead is in it so that a member that missed a death
 * (it restarted, or the DEAD updates were over before it heard one) learns
 * it at its next push-pull instead of when its own round-robin reaches the
 * dead member, N - 1 probe intervals later. Suspect is not: it is a
 * member's own, short-lived doubt. */
static uint64_t entry_hash(const struct swim *s, uint64_t id, uint64_t version, uint32_t inc,
			   uint8_t state)
{
	uint8_t in[1 + 8 + 8 + 4 + 1];

	in[0] = 'd';
	mn_put_be64(in + 1, id);
	mn_put_be64(in + 9, version);
	mn_put_be32(in + 17, inc);
	in[21] = state == SWIM_DEAD ? 1 : 0;
	return sip(s->dkey, in, sizeof(in));
}

/* The view hash of (id, version, up): what nodes must agree on. */
static uint64_t view_hash(const struct swim *s, uint32_t i)
{
	const struct member *m = &s->m[i];
	uint8_t in[1 + 8 + 8 + 1];

	in[0] = 'v';
	mn_put_be64(in + 1, mid(s, i));
	mn_put_be64(in + 9, m->rec->version);
	in[17] = m->state == SWIM_DEAD ? 0 : 1;
	return sip(s->dkey, in, sizeof(in));
}

static uint32_t leaf_of(const struct swim *s, uint64_t id)
{
	return (uint32_t)(id >> (64 - s->lb));
}

/* Add or remove (XOR) member i's contribution to its leaf and the view. */
static void hash_toggle(struct swim *s, uint32_t i)
{
	const struct member *m = &s->m[i];
	uint64_t id = mid(s, i);

	s->leaf_hash[leaf_of(s, id)] ^= entry_hash(s, id, m->rec->version, m->inc, m->state);
	s->view ^= view_hash(s, i);
}

static void leaf_link(struct swim *s, uint32_t i)
{
	uint32_t l = leaf_of(s, mid(s, i));

	s->m[i].leaf_next = s->leaf_head[l];
	s->leaf_head[l] = i;
	s->leaf_count[l]++;
}

static void leaf_unlink(struct swim *s, uint32_t i)
{
	uint32_t l = leaf_of(s, mid(s, i));
	uint32_t *pp = &s->leaf_head[l];

	while (*pp != NONE && *pp != i)
		pp = &s->m[*pp].leaf_next;
	if (*pp == i) {
		*pp = s->m[i].leaf_next;
		s->leaf_count[l]--;
	}
}

/* Rebuild the leaves with lb bits (grown as members arrive). */
static int digest_resize(struct swim *s, uint32_t lb)
{
	size_t nl = (size_t)1 << lb;
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
	s->lb = lb;
	for (uint32_t i = 0; i < s->n; i++) {
		if (!live(&s->m[i]))
			continue;
		uint64_t id = mid(s, i);
		leaf_link(s, i);
		s->leaf_hash[leaf_of(s, id)] ^= entry_hash(s, id, s->m[i].rec->version, s->m[i].inc,
							   s->m[i].state);
	}
	return MN_OK;
}

static uint64_t pmask(uint32_t bits)
{
	return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX : ~(UINT64_MAX >> bits);
}

/* Calls fn on each member whose id starts with prefix/bits; stops when fn
 * returns false. */
static void range_each(const struct swim *s, uint32_t bits, uint64_t prefix,
		       bool (*fn)(const struct swim *s, uint32_t i, void *ctx), void *ctx)
{
	uint64_t mask = pmask(bits);
	uint32_t lo, span;

	if (bits <= s->lb) {
		lo = (uint32_t)(prefix >> (64 - s->lb));
		span = UINT32_C(1) << (s->lb - bits);
	} else {
		lo = (uint32_t)(prefix >> (64 - s->lb));
		span = 1;
	}
	for (uint32_t l = lo; l < lo + span; l++)
		for (uint32_t i = s->leaf_head[l]; i != NONE; i = s->m[i].leaf_next)
			if ((mid(s, i) & mask) == prefix && !fn(s, i, ctx))
				return;
}

static void range_sum(const struct swim *s, uint32_t bits, uint64_t prefix, uint64_t *hash,
		      uint32_t *count)
{
	uint64_t h = 0, mask = pmask(bits);
	uint32_t c = 0;

	if (bits <= s->lb) {
		uint32_t lo = (uint32_t)(prefix >> (64 - s->lb));
		uint32_t span = UINT32_C(1) << (s->lb - bits);
		for (uint32_t l = lo; l < lo + span; l++) {
			h ^= s->leaf_hash[l];
			c += s->leaf_count[l];
		}
	} else {
		uint32_t l = (uint32_t)(prefix >> (64 - s->lb));
		for (uint32_t i = s->leaf_head[l]; i != NONE; i = s->m[i].leaf_next) {
			uint64_t id = mid(s, i);
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

/* ---- liveness state ---- */

static void count_state(struct swim *s, uint8_t state, int d)
{
	if (state == SWIM_ALIVE)
		s->nalive += (uint32_t)d;
	else if (state == SWIM_SUSPECT)
		s->nsuspect += (uint32_t)d;
	else if (state == SWIM_DEAD)
		s->ndead += (uint32_t)d;
}

/* Set state and incarnation, keeping counts, digests and events right. */
static void live_set(struct swim *s, uint32_t i, uint8_t state, uint32_t inc)
{
	struct member *m = &s->m[i];
	uint8_t old = m->state;

	if (old == state && m->inc == inc)
		return;
	hash_toggle(s, i);
	count_state(s, old, -1);
	m->state = state;
	m->inc = inc;
	count_state(s, state, 1);
	hash_toggle(s, i);
	if (old != state) {
		m->since = s->now;
		if (state == SWIM_ALIVE)
			emit(s, SWIM_EV_ALIVE, i);
		else if (state == SWIM_SUSPECT)
			emit(s, SWIM_EV_SUSPECT, i);
		else
			emit(s, SWIM_EV_DEAD, i);
	}
}

/* ---- dissemination queue ---- */

static bool bq_less(const struct swim *s, uint16_t a, uint16_t b)
{
	const struct bcast *x = &s->bq[a], *y = &s->bq[b];

	return x->transmits < y->transmits ||
	       (x->transmits == y->transmits && x->order > y->order);
}

static void bq_unorder(struct swim *s, uint16_t slot)
{
	for (uint32_t i = 0; i < s->bq_n; i++) {
		if (s->bq_ord[i] == slot) {
			memmove(s->bq_ord + i, s->bq_ord + i + 1,
				(s->bq_n - i - 1) * sizeof(*s->bq_ord));
			s->bq_n--;
			return;
		}
	}
}

static void bq_free(struct swim *s, uint16_t slot)
{
	struct bcast *b = &s->bq[slot];

	if (b->member != NONE && b->member < s->n && s->m[b->member].bq == slot)
		s->m[b->member].bq = BQ_NONE;
	memset(b, 0, sizeof(*b));
	b->member = NONE;
	if (slot < s->bq_free_hint)
		s->bq_free_hint = slot;
}

static void bq_drop(struct swim *s, uint32_t i)
{
	uint16_t slot = s->m[i].bq;

	if (slot == BQ_NONE)
		return;
	bq_unorder(s, slot);
	bq_free(s, slot);
}

/* A free slot, growing the pool, or by evicting the most-sent oldest item. */
static uint16_t bq_alloc(struct swim *s)
{
	for (uint32_t j = s->bq_free_hint; j < s->bq_cap; j++) {
		if (s->bq[j].kind == 0) {
			s->bq_free_hint = j + 1;
			return (uint16_t)j;
		}
	}
	if (s->bq_cap < SWIM_MAX_BCAST) {
		uint32_t cap = s->bq_cap ? s->bq_cap * 2 : 16;
		if (cap > SWIM_MAX_BCAST)
			cap = SWIM_MAX_BCAST;
		struct bcast *nb = realloc(s->bq, cap * sizeof(*nb));
		uint16_t *no = nb ? realloc(s->bq_ord, cap * sizeof(*no)) : NULL;
		if (nb)
			s->bq = nb;
		if (no) {
			s->bq_ord = no;
			for (uint32_t j = s->bq_cap; j < cap; j++) {
				memset(&s->bq[j], 0, sizeof(s->bq[j]));
				s->bq[j].member = NONE;
			}
			uint32_t slot = s->bq_cap;
			s->bq_cap = cap;
			s->bq_free_hint = slot + 1;
			return (uint16_t)slot;
		}
	}
	if (s->bq_n == 0)
		return BQ_NONE;
	uint16_t victim = s->bq_ord[--s->bq_n];
	bq_free(s, victim);
	return victim;
}

/* Queue an update about member i, replacing any older one about it. */
static void bq_put(struct swim *s, uint32_t i, uint8_t kind, uint32_t inc, uint64_t accuser)
{
	struct member *m = &s->m[i];
	uint16_t slot;
	struct bcast *b;

	bq_drop(s, i);
	slot = bq_alloc(s);
	if (slot == BQ_NONE)
		return;
	b = &s->bq[slot];
	b->member = i;
	b->kind = kind;
	b->inc = inc;
	b->accuser = accuser;
	b->transmits = 0;
	b->order = ++s->bq_seq;
	memmove(s->bq_ord + 1, s->bq_ord, s->bq_n * sizeof(*s->bq_ord));
	s->bq_ord[0] = slot;
	s->bq_n++;
	m->bq = slot;
}

static void bq_alive(struct swim *s, uint32_t i)
{
	bq_put(s, i, SWIM_I_ALIVE, s->m[i].inc, 0);
}

/* ---- suspicions ---- */

static bool heap_less(const struct swim *s, uint32_t a, uint32_t b)
{
	const struct susp *x = &s->sp[s->heap[a]], *y = &s->sp[s->heap[b]];

	return mn_time_before(x->deadline, y->deadline) ||
	       (x->deadline == y->deadline && x->member < y->member);
}

static void heap_swap(struct swim *s, uint32_t a, uint32_t b)
{
	uint32_t t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->sp[s->heap[a]].heap = a;
	s->sp[s->heap[b]].heap = b;
}

static void heap_fix(struct swim *s, uint32_t pos)
{
	while (pos > 0 && heap_less(s, pos, (pos - 1) / 2)) {
		heap_swap(s, pos, (pos - 1) / 2);
		pos = (pos - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * pos + 1, r = l + 1, best = pos;
		if (l < s->heap_n && heap_less(s, l, best))
			best = l;
		if (r < s->heap_n && heap_less(s, r, best))
			best = r;
		if (best == pos)
			return;
		heap_swap(s, pos, best);
		pos = best;
	}
}

static bool susp_grow(struct swim *s)
{
	uint32_t cap = s->sp_cap ? s->sp_cap * 2 : 8;
	struct susp *sp;
	uint32_t *hp;

	if (s->sp_cap >= SWIM_MAX_MEMBERS)
		return false;
	sp = realloc(s->sp, cap * sizeof(*sp));
	if (!sp)
		return false;
	s->sp = sp;
	hp = realloc(s->heap, cap * sizeof(*hp));
	if (!hp)
		return false;
	s->heap = hp;
	for (uint32_t j = s->sp_cap; j < cap; j++) {
		s->sp[j].member = NONE;
		s->sp[j].heap = j + 1 < cap ? j + 1 : s->sp_free;
	}
	s->sp_free = s->sp_cap;
	s->sp_cap = cap;
	return true;
}

/* Member i becomes suspect (the caller set the state); acc is the member
 * index of who suspected it first (accuser_of), NONE when no member vouches
 * for the accusation: then the first member accuser to confirm it only
 * takes that place. The pool grows to the member count; if that allocation
 * fails the member stays suspect until refuted (out of memory). */
static void susp_start(struct swim *s, uint32_t i, uint32_t acc)
{
	struct susp *p;
	uint32_t slot;

	if (s->m[i].susp != NONE)
		return;
	if (s->sp_free == NONE && !susp_grow(s))
		return;
	slot = s->sp_free;
	p = &s->sp[slot];
	s->sp_free = p->heap;
	memset(p, 0, sizeof(*p));
	p->member = i;
	p->start = s->now;
	p->nacc = 0;
	if (acc != NONE)
		p->acc[p->nacc++] = acc;
	p->deadline = s->now + susp_timeout(s, 0);
	p->heap = s->heap_n;
	s->heap[s->heap_n++] = slot;
	heap_fix(s, p->heap);
	s->m[i].susp = slot;
	bump(s, SWIM_STAT_SUSPICIONS, 1);
}

/* A confirmation by member acc (accuser_of): true when it is a new,
 * independent one. */
static bool susp_confirm(struct swim *s, uint32_t i, uint32_t acc)
{
	uint32_t slot = s->m[i].susp;
	struct susp *p;

	if (slot == NONE || acc == NONE)
		return false;
	p = &s->sp[slot];
	if (p->nacc > susp_k(s))
		return false;
	for (uint32_t j = 0; j < p->nacc; j++)
		if (p->acc[j] == acc)
			return false;
	p->acc[p->nacc++] = acc;
	mn_ns d = p->start + susp_timeout(s, p->nacc - 1u);
	/* after the last call its answers are awaited in full: a confirmation
	 * then would otherwise pull the deadline back into the past, and the
	 * member die at the next timer without them */
	if (!p->last_call && mn_time_before(d, p->deadline)) {
		p->deadline = d;
		heap_fix(s, p->heap);
	}
	return true;
}

static void susp_end(struct swim *s, uint32_t i)
{
	uint32_t slot = s->m[i].susp;
	uint32_t pos;

	if (slot == NONE)
		return;
	pos = s->sp[slot].heap;
	s->heap_n--;
	if (pos != s->heap_n) {
		heap_swap(s, pos, s->heap_n);
		heap_fix(s, pos);
	}
	s->sp[slot].member = NONE;
	s->sp[slot].heap = s->sp_free;
	s->sp_free = slot;
	s->m[i].susp = NONE;
}

/* ---- members ---- */

static int member_add(struct swim *s, const struct swim_rec *r, uint32_t *out)
{
	uint32_t i;
	struct member *m;

	if (s->n >= SWIM_MAX_MEMBERS)
		return MN_EFULL;
	if (s->n == s->cap) {
		uint32_t cap = s->cap * 2;
		struct member *nm = realloc(s->m, cap * sizeof(*nm));
		if (!nm)
			return MN_ENOMEM;
		s->m = nm;
		s->cap = cap;
	}
	if ((s->nlive + 1) * 2 > s->idx_mask + 1 && idx_grow(s) != MN_OK)
		return MN_ENOMEM;
	if (s->nlive + 1 > (UINT32_C(1) << s->lb) * LEAF_FILL && s->lb < LEAF_BITS_MAX &&
	    digest_resize(s, s->lb + 1) != MN_OK)
		return MN_ENOMEM;
	i = s->n++;
	m = &s->m[i];
	memset(m, 0, sizeof(*m));
	m->rec = r;
	m->leaf_next = NONE;
	m->susp = NONE;
	m->bq = BQ_NONE;
	m->state = SWIM_ALIVE;
	m->since = s->now;
	idx_put(s->idx, s->idx_mask, mid(s, i), i);
	leaf_link(s, i);
	hash_toggle(s, i);
	s->nlive++;
	count_state(s, SWIM_ALIVE, 1);
	*out = i;
	return MN_OK;
}

static bool is_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	return s->revoked && s->revoked->is_revoked &&
	       s->revoked->is_revoked(s->revoked->ctx, pk);
}

static bool rec_revoked(const struct swim *s, const struct swim_rec *r)
{
	static const uint8_t zero[REC_PK_LEN];

	return is_revoked(s, r->pk) || is_revoked(s, r->invite_pk) ||
	       is_revoked(s, r->admitter_pk) ||
	       (memcmp(r->admin_pk, zero, REC_PK_LEN) != 0 && is_revoked(s, r->admin_pk));
}

/* a replaces b: higher version, or on equal versions the lower signature
 * (rec_member_cmp's rule; the signature is a record's last 64 bytes). */
static bool rec_newer(const struct swim_rec *a, const struct swim_rec *b)
{
	if (a->version != b->version)
		return a->version > b->version;
	return memcmp(a->bytes + a->len - REC_SIG_LEN, b->bytes + b->len - REC_SIG_LEN,
		      REC_SIG_LEN) < 0;
}

static void release(struct swim *s, const struct swim_rec *r)
{
	if (r && s->store.release)
		s->store.release(s->store.ctx, r);
}

static void kc_forget(struct swim *s, uint32_t i)
{
	struct kcache *c = &s->kc[i % SWIM_KEYCACHE];

	if (c->member == i) {
		seal_keys_wipe(&c->k);
		c->member = NONE;
	}
}

/* Verify (unless the store vouches for these exact bytes) and adopt a record.
 * *out gets the member index on MN_OK and MN_EEXIST. */
static int learn_bytes(struct swim *s, const uint8_t *b, size_t len, uint32_t *out)
{
	const struct swim_rec *r = NULL;
	struct rec_member dm;
	uint32_t i;
	int err;

	*out = NONE;
	if (len < REC_MEMBER_MIN || len > REC_MEMBER_MAX)
		return MN_EPROTO;
	if (s->store.find)
		r = s->store.find(s->store.ctx, b, len);
	if (!r) {
		err = rec_member_decode(&dm, b, len);
		if (!err)
			err = rec_member_verify(s->net, &dm, s->revoked, s->memo);
		if (err) {
			bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
			return err;
		}
		r = s->store.add(s->store.ctx, b, len, &dm);
		if (!r)
			return MN_ENOMEM;
	}
	tomb_settle(s, r);
	if (rec_revoked(s, r)) {
		release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EREVOKED;
	}
	/* A member-admitted record holds while its admitter is a member. */
	if (r->admitter_kind == REC_BY_MEMBER && memcmp(r->pk, s->self.pk, REC_PK_LEN) != 0 &&
	    (s->n == 0 || find_pk(s, r->admitter_pk) == NONE)) {
		release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_ENOENT;
	}
	i = s->n ? find(s, seal_key_id(r->pk)) : NONE;
	if (i == NONE) {
		err = member_add(s, r, &i);
		if (err) {
			release(s, r);
			return err;
		}
		*out = i;
		bump(s, SWIM_STAT_RECORDS_LEARNED, 1);
		emit(s, SWIM_EV_RECORD, i);
		return MN_OK;
	}
	*out = i;
	if (memcmp(s->m[i].rec->pk, r->pk, REC_PK_LEN) != 0) {
		/* another key with the same 8-byte id: the first one keeps it */
		*out = NONE;
		release(s, r);
		return MN_EEXIST;
	}
	if (s->m[i].rec == r || !rec_newer(r, s->m[i].rec)) {
		release(s, r);
		return MN_EEXIST;
	}
	/* A member's admission is pinned: every later version carries the
	 * invite and admission bytes of the one we hold (doc/membership.md,
	 * "Versions"), or a second invite could swap its chain (another IPv4,
	 * route rights, an admitter that was never revoked). */
	if (r->chain_len != s->m[i].rec->chain_len ||
	    memcmp(r->bytes + CHAIN_OFF, s->m[i].rec->bytes + CHAIN_OFF, r->chain_len) != 0) {
		release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EAUTH;
	}
	hash_toggle(s, i);
	const struct swim_rec *old = s->m[i].rec;
	s->m[i].rec = r;
	hash_toggle(s, i);
	release(s, old);
	bump(s, SWIM_STAT_RECORDS_LEARNED, 1);
	emit(s, SWIM_EV_RECORD, i);
	return MN_OK;
}

static void member_remove(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];

	if (i == 0 || !live(m))
		return;
	emit(s, SWIM_EV_REMOVED, i);
	susp_end(s, i);
	bq_drop(s, i);
	kc_forget(s, i);
	hash_toggle(s, i);
	leaf_unlink(s, i);
	idx_del(s, mid(s, i));
	count_state(s, m->state, -1);
	s->nlive--;
	if (s->probe.member == i)
		s->probe.member = NONE;
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++)
		if (s->relay[j].used && (s->relay[j].target == i || s->relay[j].requester == i))
			s->relay[j].used = false;
	release(s, m->rec);
	memset(m, 0, sizeof(*m));
	m->state = ST_REMOVED;
	m->susp = NONE;
	m->bq = BQ_NONE;
	m->leaf_next = NONE;
}

/* ---- keys, tokens, output ---- */

static const struct seal_keys *keys_for(struct swim *s, uint32_t i)
{
	struct kcache *c = &s->kc[i % SWIM_KEYCACHE];

	if (c->member == i)
		return &c->k;
	if (c->member != NONE)
		seal_keys_wipe(&c->k);
	c->member = NONE;
	if (seal_keys_derive_x(&c->k, &s->self, s->m[i].rec->pk, s->m[i].rec->xpk,
			       s->seal_memo) != MN_OK)
		return NULL;
	c->member = i;
	return &c->k;
}

static uint64_t tok_make(const struct swim *s, uint32_t i, const struct waddr *a, uint64_t epoch)
{
	uint8_t in[8 + 1 + 16 + 2 + 8];
	uint64_t t;

	mn_put_be64(in, mid(s, i));
	in[8] = a->family;
	memcpy(in + 9, a->ip, 16);
	mn_put_be16(in + 25, a->port);
	mn_put_be64(in + 27, epoch);
	t = sip(s->tok_key, in, sizeof(in));
	return t ? t : 1;
}

static bool tok_check(const struct swim *s, uint32_t i, const struct waddr *a, uint64_t echo)
{
	uint64_t e = s->now / TOK_EPOCH_NS;
	/* the epoch before the first one after mono wraps is the last one */
	uint64_t prev = e > 0 ? e - 1 : UINT64_MAX / TOK_EPOCH_NS;

	if (echo == 0 || a->family == 0)
		return false;
	return echo == tok_make(s, i, a, e) || echo == tok_make(s, i, a, prev);
}

/* Start a message to member i. dgram_cap bounds the whole datagram; dst
 * NULL means the member's address. */
static void out_begin(struct swim *s, struct out *o, uint32_t i, uint8_t type, size_t dgram_cap,
		      const struct waddr *dst)
{
	if (dgram_cap > SWIM_MTU)
		dgram_cap = SWIM_MTU;
	o->to = i;
	o->type = type;
	o->dst = dst ? *dst : s->m[i].addr;
	o->cap = dgram_cap > SEAL_OVERHEAD ? dgram_cap - SEAL_OVERHEAD : 0;
	o->len = 0;
	if (o->cap < SWIM_BODY_HDR) {
		o->cap = 0;
		return;
	}
	mn_put_be64(o->pt, tok_make(s, i, &o->dst, s->now / TOK_EPOCH_NS));
	mn_put_be64(o->pt + 8, s->m[i].tok);
	o->len = SWIM_BODY_HDR;
}

static uint8_t *out_put(struct out *o, size_t n)
{
	uint8_t *p;

	if (o->cap - o->len < n || o->len < SWIM_BODY_HDR)
		return NULL;
	p = o->pt + o->len;
	o->len += n;
	return p;
}

static void out_pad(struct out *o, size_t dgram_len)
{
	size_t want = dgram_len > SEAL_OVERHEAD ? dgram_len - SEAL_OVERHEAD : 0;

	if (want > o->cap)
		want = o->cap;
	if (o->len >= SWIM_BODY_HDR && want > o->len) {
		memset(o->pt + o->len, 0, want - o->len);
		o->len = want;
	}
}

static struct txd *tx_slot(struct swim *s)
{
	if (s->tx_n == s->tx_cap) {
		uint32_t cap = s->tx_cap ? s->tx_cap * 2 : 4;
		struct txd *t;
		if (cap > SWIM_MAX_TXQ || !(t = malloc(cap * sizeof(*t))))
			return NULL;
		for (uint32_t j = 0; j < s->tx_n; j++)
			t[j] = s->tx[(s->tx_head + j) % s->tx_cap];
		free(s->tx);
		s->tx = t;
		s->tx_head = 0;
		s->tx_cap = cap;
	}
	return &s->tx[(s->tx_head + s->tx_n++) % s->tx_cap];
}

static void out_send(struct swim *s, struct out *o)
{
	const struct seal_keys *k;
	struct txd *t;
	size_t len;

	if (o->len < SWIM_BODY_HDR || o->dst.family == 0)
		return;
	k = keys_for(s, o->to);
	if (!k)
		return;
	t = tx_slot(s);
	if (!t) {
		bump(s, SWIM_STAT_DROP_TX_FULL, 1);
		return;
	}
	if (seal_seal(&s->self, k, &s->m[o->to].pair, mid(s, o->to), o->type, o->pt, o->len,
		      &s->rng, t->buf, sizeof(t->buf), &len) != MN_OK) {
		s->tx_n--;
		return;
	}
	t->len = (uint16_t)len;
	waddr_to(&o->dst, &t->dst);
	bump(s, SWIM_STAT_TX_DGRAMS, 1);
	bump(s, SWIM_STAT_TX_BYTES, len);
}

/* ---- items ---- */

static void put_suspect_item(struct swim *s, uint8_t *p, uint8_t kind, uint32_t i, uint32_t inc,
			     uint64_t accuser)
{
	p[0] = kind;
	mn_put_be64(p + 1, mid(s, i));
	mn_put_be32(p + 9, inc);
	mn_put_be64(p + 13, accuser);
}

static void put_alive_item(struct swim *s, uint8_t *p, uint32_t i, uint32_t inc)
{
	static const struct waddr none;
	const struct member *m = &s->m[i];

	p[0] = SWIM_I_ALIVE;
	mn_put_be64(p + 1, mid(s, i));
	mn_put_be32(p + 9, inc);
	mn_put_be64(p + 13, m->rec->version);
	waddr_put(p + 21, i == 0 ? &none : &m->addr);
}

static size_t item_len(uint8_t kind)
{
	return kind == SWIM_I_ALIVE ? SWIM_ITEM_ALIVE_LEN : SWIM_ITEM_SUSPECT_LEN;
}

/* Fill the rest of o with updates: first what we think of the receiver if
 * it is suspect or dead (Lifeguard buddy system), then the queue, fewest
 * transmissions first. */
static void piggyback(struct swim *s, struct out *o)
{
	uint16_t picked[MAX_PICK];
	uint32_t np = 0, limit = retransmit_limit(s), u = 0;
	const struct member *to = &s->m[o->to];
	uint8_t *p;

	if (o->to != 0 && (to->state == SWIM_SUSPECT || to->state == SWIM_DEAD)) {
		p = out_put(o, SWIM_ITEM_SUSPECT_LEN);
		if (p)
			put_suspect_item(s, p, to->state == SWIM_DEAD ? SWIM_I_DEAD : SWIM_I_SUSPECT,
					 o->to, to->inc, s->self.id);
	}
	tomb_piggyback(s, o);
	for (uint32_t j = 0; j < s->bq_n && np < MAX_PICK; j++) {
		struct bcast *b = &s->bq[s->bq_ord[j]];
		if (b->member == o->to)
			continue;
		p = out_put(o, item_len(b->kind));
		if (!p) {
			if (o->cap - o->len < SWIM_ITEM_SUSPECT_LEN)
				break;
			continue;
		}
		if (b->kind == SWIM_I_ALIVE)
			put_alive_item(s, p, b->member, b->inc);
		else
			put_suspect_item(s, p, b->kind, b->member, b->inc, b->accuser);
		picked[np++] = (uint16_t)j;
	}
	if (np == 0)
		return;
	/* Count the transmissions, drop the exhausted, and restore the order:
	 * the unpicked keep theirs, the picked (still sorted among themselves)
	 * are merged back in from the end. */
	uint16_t keep[MAX_PICK];
	uint32_t nk = 0, pj = 0;
	for (uint32_t j = 0; j < s->bq_n; j++) {
		uint16_t slot = s->bq_ord[j];
		if (pj < np && picked[pj] == j) {
			pj++;
			struct bcast *b = &s->bq[slot];
			if (++b->transmits >= limit)
				bq_free(s, slot);
			else
				keep[nk++] = slot;
		} else {
			s->bq_ord[u++] = slot;
		}
	}
	int32_t a = (int32_t)u - 1, c = (int32_t)nk - 1, w = (int32_t)(u + nk) - 1;
	while (c >= 0) {
		if (a >= 0 && bq_less(s, keep[c], s->bq_ord[a]))
			s->bq_ord[w--] = s->bq_ord[a--];
		else
			s->bq_ord[w--] = keep[c--];
	}
	s->bq_n = u + nk;
}

/* ---- wants ---- */

/* Fetch the record of id, from whoever told us (rx: the sender; NULL: a
 * random alive member on retry). Up to SWIM_WANT_BATCH ids go in this
 * datagram's WANT (flush_wants); the rest wait in the table, asked one
 * probe interval later of the same member (want_retry). */
static void want(struct swim *s, const struct rx *rx, uint64_t id)
{
	struct want *w = NULL, *oldest = &s->wants[0];

	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *x = &s->wants[j];
		if (x->used && x->id == id) {
			if (s->now - x->at < s->p.probe_interval_ns)
				return;
			w = x;
			break;
		}
		if (!x->used && !w)
			w = x;
		/* full: replace the oldest request already sent (its RECORD may
		 * still come) before one still waiting for its first WANT */
		if (x->used && (oldest->waiting > x->waiting ||
				(oldest->waiting == x->waiting && mn_time_before(x->at, oldest->at))))
			oldest = x;
	}
	if (!w)
		w = oldest;
	for (uint32_t j = 0; j < s->nwant; j++)
		if (s->want_ids[j] == id)
			return;
	if (!w->used || w->id != id)
		w->tries = 0;
	w->used = true;
	w->id = id;
	w->at = s->now;
	w->from = NONE;
	w->waiting = false;
	s->want_next = mn_min_deadline(s->want_next, s->now + s->p.probe_interval_ns);
	/* Not in this datagram's WANT: kept, and asked of the sender one probe
	 * interval from now. Forgotten, they waited for the next push-pull
	 * (swim-lan-ci seed 4: a late joiner learnt of more members at its
	 * push-pull than one WANT holds; three waited 120 s more). */
	if (s->nwant == SWIM_WANT_BATCH) {
		w->from = rx ? rx->from : NONE;
		w->waiting = true;
		return;
	}
	s->want_ids[s->nwant++] = id;
}

static void want_done(struct swim *s, uint64_t id)
{
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++)
		if (s->wants[j].used && s->wants[j].id == id)
			s->wants[j].used = false;
}

static void flush_wants(struct swim *s, const struct rx *rx)
{
	struct out o;
	uint8_t *p;
	uint32_t n = 0;

	if (s->nwant == 0)
		return;
	out_begin(s, &o, rx->from, SWIM_T_WANT, rx->cap, &rx->addr);
	p = out_put(&o, 1);
	if (p) {
		while (n < s->nwant) {
			uint8_t *q = out_put(&o, 8);
			if (!q)
				break;
			mn_put_be64(q, s->want_ids[n++]);
		}
		*p = (uint8_t)n;
	}
	if (n < s->nwant)
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
	if (n > 0) {
		out_send(s, &o);
		bump(s, SWIM_STAT_WANTS, 1);
	}
	/* who was asked, for a retry (want_retry) */
	for (uint32_t j = 0; j < n; j++)
		for (uint32_t k = 0; k < SWIM_MAX_WANTS; k++)
			if (s->wants[k].used && s->wants[k].id == s->want_ids[j])
				s->wants[k].from = rx->from;
	/* ids that did not fit stay wanted: asked of the sender one probe
	 * interval from now (want_retry) */
	for (uint32_t j = n; j < s->nwant; j++)
		for (uint32_t k = 0; k < SWIM_MAX_WANTS; k++)
			if (s->wants[k].used && s->wants[k].id == s->want_ids[j]) {
				s->wants[k].from = rx->from;
				s->wants[k].waiting = true;
			}
	s->nwant = 0;
}

/* ---- applying updates (SWIM §4.2 ordering, with our defences) ---- */

static bool jump_ok(struct swim *s, const struct rx *rx, uint32_t i, uint32_t inc)
{
	const struct member *m = &s->m[i];

	if (inc == UINT32_MAX) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return false;
	}
	/* Nothing to bound against before we know an incarnation of it. */
	if (!(m->flags & M_INC_KNOWN))
		return true;
	/* The member itself may raise its own; anyone else only within
	 * inc_jump_max of what the member itself announced (inc_own), never of
	 * a value a third party set: otherwise a run of items in one datagram
	 * (or one per datagram) would walk it up step by step. */
	if (inc > m->inc_own && inc - m->inc_own > s->p.inc_jump_max && (!rx || rx->from != i)) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return false;
	}
	return true;
}

/* An incarnation of member i was accepted: the first one we learn, or one
 * the member announced itself, moves the anchor third parties are bounded by. */
static void inc_note(struct swim *s, const struct rx *rx, uint32_t i, uint32_t inc)
{
	struct member *m = &s->m[i];

	if (!(m->flags & M_INC_KNOWN)) {
		m->flags |= M_INC_KNOWN;
		m->inc_own = inc;
	} else if (rx && rx->from == i && inc > m->inc_own) {
		m->inc_own = inc;
	}
}

static void refute(struct swim *s, uint32_t inc, bool accused);

/* Inside swim_recv, accusations of ourselves are refuted once per datagram,
 * at the highest (53 SUSPECT items would otherwise cost 53 increments). */
static void refute_rx(struct swim *s, uint32_t inc, bool accused)
{
	if (!s->in_rx) {
		refute(s, inc, accused);
		return;
	}
	if ((uint64_t)inc + 1 > s->refute_inc)
		s->refute_inc = (uint64_t)inc + 1;
	s->refute_accused |= accused;
}

static void refute_flush(struct swim *s)
{
	if (s->refute_inc)
		refute(s, (uint32_t)(s->refute_inc - 1), s->refute_accused);
	s->refute_inc = 0;
	s->refute_accused = false;
}

/* Someone thinks we are suspect or dead at inc (or alive at a higher one):
 * refute with a higher incarnation. */
static void refute(struct swim *s, uint32_t inc, bool accused)
{
	if (inc < s->m[0].inc || inc >= UINT32_MAX - 1)
		return;
	/* Bounded, so nobody pushes us to UINT32_MAX where we could no longer
	 * refute (observers bound third parties the same way, against what we
	 * said, so an honest accusation is always within it); unbounded only
	 * when our own was lost (swim_config.incarnation_lost). */
	if ((s->m[0].flags & M_INC_KNOWN) && inc - s->m[0].inc > s->p.inc_jump_max) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return;
	}
	/* A claim above our own incarnation is no honest member's (they only
	 * repeat ours) unless our store lagged: refute one at most once per
	 * probe interval, well inside the shortest suspicion, so a member
	 * cannot walk us up inc_jump_max per datagram it sends. */
	if (inc > s->m[0].inc && (s->m[0].flags & M_INC_KNOWN)) {
		if (s->jumped && s->now - s->jump_at < s->p.probe_interval_ns) {
			bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
			return;
		}
		s->jumped = true;
		s->jump_at = s->now;
	}
	s->m[0].flags |= M_INC_KNOWN;
	live_set(s, 0, SWIM_ALIVE, inc + 1);
	bq_alive(s, 0);
	emit(s, SWIM_EV_SELF_INC, 0);
	if (accused) {
		bump(s, SWIM_STAT_REFUTES, 1);
		health_add(s, 1); /* Lifeguard: being suspected hints at our own trouble */
	}
}

static void apply_alive(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			uint64_t version, const struct waddr *hint)
{
	uint32_t i = find(s, id);
	struct member *m;

	if (i == NONE) {
		want(s, rx, id);
		return;
	}
	if (hint && !hint_ok(hint))
		hint = NULL;
	m = &s->m[i];
	if (i == 0) {
		if (inc > m->inc)
			refute_rx(s, inc, false);
		return;
	}
	if (version > m->rec->version)
		want(s, rx, id);
	if (inc <= m->inc) {
		if (rx && rx->from == i)
			inc_note(s, rx, i, inc);
		if (hint && hint->family && m->addr.family == 0)
			m->addr = *hint;
		return;
	}
	if (!jump_ok(s, rx, i, inc))
		return;
	inc_note(s, rx, i, inc);
	if (hint && hint->family && !(m->flags & M_ADDR_DIRECT))
		m->addr = *hint;
	susp_end(s, i);
	live_set(s, i, SWIM_ALIVE, inc);
	/* An update carries the version we hold: while we fetch a newer one we
	 * were told of, passing the incarnation on would spread it with our
	 * stale version, and whoever took that first would never ask for the
	 * record (measured: after a 30-minute WAN partition of 1,000 nodes,
	 * such nodes stayed on an old record until push-pull, 6 minutes). The
	 * record's arrival announces it (h_record). */
	if (version <= m->rec->version)
		bq_alive(s, i);
}

/* The member index an accusation of member subj counts for: NONE unless
 * the accuser id names a current member (its record verified, its chain not
 * revoked) other than ourselves and the subject. An id on the wire costs
 * nothing to make up, so only members are independent confirmations (a
 * stranger's or a made-up id must not shrink the timeout). rx NULL: our
 * own failed probe, which counts as us. */
static uint32_t accuser_of(const struct swim *s, const struct rx *rx, uint32_t subj,
			   uint64_t accuser)
{
	uint32_t a;

	if (!rx)
		return 0;
	a = find(s, accuser);
	if (a == NONE || a == 0 || a == subj || rec_revoked(s, s->m[a].rec))
		return NONE;
	return a;
}

/* Suspect or dead at inc, according to accuser. A "dead" from anyone else is
 * only a suspicion here: one accuser never evicts; our own timer decides. */
static void apply_suspect(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			  uint64_t accuser)
{
	uint32_t i = find(s, id);
	struct member *m;

	/* A member we do not know yet: fetch its record, as for an alive
	 * update. Dropped, a suspicion of a member most nodes do not know yet
	 * never reached those who could relay its refutation. The accusation
	 * itself is not kept: the record's arrival (and push-pull) brings the
	 * member's state. */
	if (i == NONE) {
		want(s, rx, id);
		return;
	}
	m = &s->m[i];
	if (i == 0) {
		if (inc >= m->inc)
			refute_rx(s, inc, true);
		else
			bq_alive(s, 0); /* a stale accusation: say where we are now */
		return;
	}
	if (inc < m->inc || !jump_ok(s, rx, i, inc))
		return;
	inc_note(s, rx, i, inc);
	if (m->state == SWIM_ALIVE) {
		live_set(s, i, SWIM_SUSPECT, inc);
		susp_start(s, i, accuser_of(s, rx, i, accuser));
		bq_put(s, i, SWIM_I_SUSPECT, inc, accuser);
	} else if (m->state == SWIM_SUSPECT) {
		if (inc > m->inc)
			live_set(s, i, SWIM_SUSPECT, inc);
		if (susp_confirm(s, i, accuser_of(s, rx, i, accuser)))
			bq_put(s, i, SWIM_I_SUSPECT, m->inc, accuser);
	}
	/* dead stays dead until an alive with a higher incarnation */
}

static int items_check(const uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off < n) {
		uint8_t kind = b[off];
		struct waddr w;
		if (kind == SWIM_I_PAD)
			return MN_OK;
		if (kind == SWIM_I_ALIVE) {
			if (n - off < SWIM_ITEM_ALIVE_LEN || !waddr_get(&w, b + off + 21))
				return MN_EPROTO;
			off += SWIM_ITEM_ALIVE_LEN;
		} else if (kind == SWIM_I_SUSPECT || kind == SWIM_I_DEAD) {
			if (n - off < SWIM_ITEM_SUSPECT_LEN)
				return MN_EPROTO;
			off += SWIM_ITEM_SUSPECT_LEN;
		} else if (kind == SWIM_I_REVOKE) {
			size_t l = tomb_item_len(b + off, n - off);
			if (l == 0)
				return MN_EPROTO;
			off += l;
		} else {
			return MN_EPROTO;
		}
	}
	return MN_OK;
}

static void items_apply(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off < n && b[off] != SWIM_I_PAD) {
		const uint8_t *p = b + off;
		uint64_t id = mn_get_be64(p + 1);
		uint32_t inc = mn_get_be32(p + 9);
		if (p[0] == SWIM_I_ALIVE) {
			struct waddr w;
			waddr_get(&w, p + 21);
			apply_alive(s, rx, id, inc, mn_get_be64(p + 13), &w);
			off += SWIM_ITEM_ALIVE_LEN;
		} else if (p[0] == SWIM_I_REVOKE) {
			off += tomb_item_apply(s, p);
		} else {
			apply_suspect(s, rx, id, inc, mn_get_be64(p + 13));
			off += SWIM_ITEM_SUSPECT_LEN;
		}
	}
	/* a message has one item list: refute now, so the reply carries it */
	refute_flush(s);
}

/* ---- probing ---- */

/* cap bounds the datagram: SWIM_MTU for our own probes; for a ping we send
 * on someone's ping-req, that ping-req's reply cap (the target's address
 * may be a hint a third party gave us: it must not become an amplifier). */
static void send_ping(struct swim *s, uint32_t i, uint32_t seq, size_t cap)
{
	struct out o;
	uint8_t *p;

	out_begin(s, &o, i, SWIM_T_PING, cap, NULL);
	p = out_put(&o, 5);
	if (!p)
		return;
	mn_put_be32(p, seq);
	p[4] = 0;
	piggyback(s, &o);
	/* No token from it yet: pad, so its ack may carry as much as this. */
	if (s->m[i].tok == 0 && cap >= SWIM_PING_PAD)
		out_pad(&o, SWIM_PING_PAD);
	out_send(s, &o);
}

static bool probe_ok(const struct member *m)
{
	return (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT) && m->addr.family != 0;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The next member of a round-robin pass over a shuffled order (SWIM §4.3).
 * A pass is the permutation pos -> (a * pos + b) mod size with gcd(a, size)
 * = 1, redrawn at every pass; members joining mid-pass wait for the next. */
static uint32_t next_target(struct swim *s)
{
	for (uint32_t tries = 0; tries < SWIM_PROBE_SCAN; tries++) {
		if (s->perm_pos >= s->perm_size) {
			s->perm_size = s->n - 1;
			s->perm_pos = 0;
			if (s->perm_size == 0)
				return NONE;
			s->perm_a = 1;
			for (int t = 0; t < 16 && s->perm_size > 2; t++) {
				uint32_t a = 1 + rnd(s, s->perm_size - 1);
				if (gcd(a, s->perm_size) == 1) {
					s->perm_a = a;
					break;
				}
			}
			s->perm_b = rnd(s, s->perm_size);
		}
		uint32_t i = 1 + (uint32_t)(((uint64_t)s->perm_a * s->perm_pos + s->perm_b) %
					    s->perm_size);
		s->perm_pos++;
		if (i < s->n && probe_ok(&s->m[i]))
			return i;
	}
	return NONE;
}

enum pick_kind { PICK_ALIVE, PICK_GOSSIP, PICK_DEAD };

static bool pick_ok(const struct swim *s, uint32_t i, enum pick_kind k)
{
	const struct member *m = &s->m[i];

	if (m->addr.family == 0)
		return false;
	switch (k) {
	case PICK_ALIVE:
		return m->state == SWIM_ALIVE;
	case PICK_GOSSIP:
		return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT ||
		       (m->state == SWIM_DEAD && s->now - m->since < s->p.gossip_to_dead_ns);
	case PICK_DEAD:
		return m->state == SWIM_DEAD;
	}
	return false;
}

/* A random member of kind k not in excl: random draws, then a scan from a
 * random start so that one is found whenever it exists. */
static uint32_t pick(struct swim *s, enum pick_kind k, const uint32_t *excl, uint32_t nexcl)
{
	uint32_t n = s->n, start = 0;

	if (n <= 1)
		return NONE;
	for (uint32_t t = 0; t < SWIM_PICK_TRIES + n - 1; t++) {
		uint32_t i;
		if (t < SWIM_PICK_TRIES) {
			i = 1 + rnd(s, n - 1);
		} else {
			if (t == SWIM_PICK_TRIES)
				start = rnd(s, n - 1);
			i = 1 + (t - SWIM_PICK_TRIES + start) % (n - 1);
		}
		if (!pick_ok(s, i, k))
			continue;
		bool skip = false;
		for (uint32_t j = 0; j < nexcl; j++)
			if (excl[j] == i)
				skip = true;
		if (!skip)
			return i;
	}
	return NONE;
}

/* Our own record, unsealed, to a member that may not know us yet (it has
 * never sent us anything this boot): its sealed traffic would be
 * undecryptable there. Once per member per boot. */
static void send_hello(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];
	const struct swim_rec *me = s->m[0].rec;
	struct txd *t;

	if ((m->flags & M_HELLO_SENT) || m->tok != 0 || m->addr.family == 0)
		return;
	m->flags |= M_HELLO_SENT;
	s->hello_sent_at = s->now;
	t = tx_slot(s);
	if (!t) {
		bump(s, SWIM_STAT_DROP_TX_FULL, 1);
		return;
	}
	t->buf[SEAL_O_MAGIC] = SEAL_MAGIC0;
	t->buf[SEAL_O_MAGIC + 1] = SEAL_MAGIC1;
	t->buf[SEAL_O_VERSION] = SEAL_VERSION;
	t->buf[SEAL_O_TYPE] = SWIM_T_HELLO;
	mn_put_be64(t->buf + SEAL_O_FROM, s->self.id);
	mn_put_be64(t->buf + SEAL_O_TO, mid(s, i));
	memcpy(t->buf + SWIM_HELLO_HDR, me->bytes, me->len);
	t->len = (uint16_t)(SWIM_HELLO_HDR + me->len);
	waddr_to(&m->addr, &t->dst);
	bump(s, SWIM_STAT_HELLOS, 1);
	bump(s, SWIM_STAT_TX_DGRAMS, 1);
	bump(s, SWIM_STAT_TX_BYTES, t->len);
}

static void probe_finish(struct swim *s, bool acked)
{
	uint32_t i = s->probe.member, missed = 0;

	if (i == NONE)
		return;
	s->probe.member = NONE;
	if (acked) {
		bump(s, SWIM_STAT_ACKS, 1);
		health_sub(s);
		return;
	}
	bump(s, SWIM_STAT_PROBES_FAILED, 1);
	/* Helpers that never spoke to us this boot may not know us yet: no
	 * nack from them says nothing about our health; introduce ourselves. */
	for (uint32_t j = 0; j < s->probe.nhelpers; j++) {
		uint32_t h = s->probe.helpers[j];
		if (s->probe.nack_mask & (1u << j))
			continue;
		if (s->m[h].tok == 0)
			send_hello(s, h);
		else
			missed++;
	}
	/* The same for the target: a failed probe of a member that never spoke
	 * to us, before it had our record, is no evidence. */
	if (s->m[i].tok == 0 && !s->probe.intro) {
		send_hello(s, i);
		return;
	}
	/* Lifeguard: missed nacks say our own receive path may be at fault;
	 * without any helper a failed probe counts once. */
	if (s->probe.nhelpers)
		health_add(s, missed);
	else
		health_add(s, 1);
	/* suspect it, or confirm our own suspicion of it */
	if (i < s->n && (s->m[i].state == SWIM_ALIVE || s->m[i].state == SWIM_SUSPECT))
		apply_suspect(s, NULL, mid(s, i), s->m[i].inc, s->self.id);
}

static void probe_start(struct swim *s)
{
	uint32_t i = next_target(s);

	if (i == NONE)
		return;
	memset(&s->probe, 0, sizeof(s->probe));
	s->probe.member = i;
	s->probe.seq = ++s->seq;
	s->probe.ack_at = s->now + probe_timeout(s);
	s->probe.end = s->now + probe_interval(s);
	/* It can open our ping if it spoke to us this boot, or if our HELLO
	 * went out before the ping. A HELLO of this very instant (to a silent
	 * helper of the probe that just ended) races the ping, and jitter
	 * makes it lose as often as not (swim-lan-ci, a loss-free cold join:
	 * every false suspicion of seeds 1-30, and the false death of 24).
	 * Conservative: another member's HELLO at this instant also counts. */
	s->probe.intro = s->m[i].tok != 0 ||
			 ((s->m[i].flags & M_HELLO_SENT) && s->hello_sent_at != s->now);
	send_ping(s, i, s->probe.seq, SWIM_MTU);
	bump(s, SWIM_STAT_PINGS, 1);
}

static void send_ping_req(struct swim *s, uint32_t h, uint32_t seq, uint32_t t)
{
	struct out o;
	uint8_t *p;

	out_begin(s, &o, h, SWIM_T_PING_REQ, SWIM_MTU, NULL);
	p = out_put(&o, 12);
	if (!p)
		return;
	mn_put_be32(p, seq);
	mn_put_be64(p + 4, mid(s, t));
	piggyback(s, &o);
	out_send(s, &o);
	bump(s, SWIM_STAT_PING_REQS, 1);
}

/* Ask indirect_checks random alive members to ping member t for us under
 * seq; the helpers picked go to helpers[] (room for SWIM_MAX_INDIRECT),
 * their number is returned. */
static uint32_t ask_helpers(struct swim *s, uint32_t t, uint32_t seq, uint32_t *helpers)
{
	uint32_t excl[SWIM_MAX_INDIRECT + 1];
	uint32_t n = 0;

	excl[0] = t;
	while (n < s->p.indirect_checks) {
		uint32_t h = pick(s, PICK_ALIVE, excl, n + 1);
		if (h == NONE)
			break;
		excl[n + 1] = h;
		helpers[n++] = h;
		send_ping_req(s, h, seq, t);
	}
	return n;
}

static void probe_indirect(struct swim *s)
{
	s->probe.indirect = true;
	s->probe.nhelpers = ask_helpers(s, s->probe.member, s->probe.seq, s->probe.helpers);
}

/* A suspicion of member i ran out: ask it once more, directly (the ping
 * leads with our suspicion, so a live member refutes in its ack) and
 * through indirect_checks others at once (each answers with its own view
 * of i, send_small). Acks of this seq match no probe: only the updates
 * they carry count, and only a higher incarnation ends the suspicion. */
static void last_call(struct swim *s, uint32_t i)
{
	uint32_t helpers[SWIM_MAX_INDIRECT];
	uint32_t seq = ++s->seq;

	if (s->m[i].addr.family)
		send_ping(s, i, seq, SWIM_MTU);
	ask_helpers(s, i, seq, helpers);
	bump(s, SWIM_STAT_LAST_CALLS, 1);
}

/* An ACK or NACK: the seq, then items. about (NONE: none) names the target
 * of a ping-req we answer: our view of it leads, if we hold it alive, so
 * the requester hears the target's latest incarnation from us whether or
 * not the target answers, and whether or not its ack carried it (its own
 * alive update may have run out of retransmissions long ago). That is what
 * ends a suspicion whose refutation this requester missed while it spread
 * (swim-loss-1k-1h seed 1: 998 of 999 members took a refutation, the last
 * never got one copy in 72 s and declared a live member dead). */
static void send_small(struct swim *s, uint32_t to, uint8_t type, uint32_t seq, size_t cap,
		       bool items, uint32_t about)
{
	struct out o;
	uint8_t *p;

	out_begin(s, &o, to, type, cap, NULL);
	p = out_put(&o, 4);
	if (!p)
		return;
	mn_put_be32(p, seq);
	if (about != NONE && about < s->n && s->m[about].state == SWIM_ALIVE &&
	    (p = out_put(&o, SWIM_ITEM_ALIVE_LEN)) != NULL)
		put_alive_item(s, p, about, s->m[about].inc);
	if (items)
		piggyback(s, &o);
	out_send(s, &o);
}

/* ---- handlers ---- */

static int h_ping(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct out o;
	uint8_t *p;

	if (n < 5 || items_check(b + 5, n - 5) != MN_OK)
		return MN_EPROTO;
	items_apply(s, rx, b + 5, n - 5);
	out_begin(s, &o, rx->from, SWIM_T_ACK, rx->cap, &rx->addr);
	p = out_put(&o, 4);
	if (!p)
		return MN_OK;
	memcpy(p, b, 4);
	piggyback(s, &o);
	if (!rx->proven)
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
	out_send(s, &o);
	return MN_OK;
}

static int h_ack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	uint32_t seq;
	struct probe *pr = &s->probe;

	if (n < 4 || items_check(b + 4, n - 4) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b);
	items_apply(s, rx, b + 4, n - 4);
	if (pr->member != NONE && seq == pr->seq) {
		if (rx->from == pr->member) {
			probe_finish(s, true);
		} else {
			for (uint32_t j = 0; j < pr->nhelpers; j++) {
				if (pr->helpers[j] == rx->from) {
					bump(s, SWIM_STAT_INDIRECT_ACKS, 1);
					probe_finish(s, true);
					break;
				}
			}
		}
	}
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		struct relay *r = &s->relay[j];
		if (r->used && r->our_seq == seq && r->target == rx->from) {
			r->used = false;
			send_small(s, r->requester, SWIM_T_ACK, r->req_seq, r->cap, false, r->target);
		}
	}
	return MN_OK;
}

static int h_ping_req(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	uint32_t seq, t;
	struct relay *r = NULL;

	if (n < 12 || items_check(b + 12, n - 12) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b);
	items_apply(s, rx, b + 12, n - 12);
	t = find(s, mn_get_be64(b + 4));
	if (t == NONE || t == 0 || t == rx->from || !probe_ok(&s->m[t])) {
		send_small(s, rx->from, SWIM_T_NACK, seq, rx->cap, false, NONE);
		return MN_OK;
	}
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		if (!s->relay[j].used) {
			r = &s->relay[j];
			break;
		}
	}
	if (!r) {
		bump(s, SWIM_STAT_DROP_RELAY_FULL, 1);
		return MN_OK;
	}
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->requester = rx->from;
	r->target = t;
	r->req_seq = seq;
	r->our_seq = ++s->seq;
	r->nack_at = s->now + s->p.probe_timeout_ns * NACK_PCT / 100;
	r->expire = s->now + s->p.probe_interval_ns;
	r->cap = rx->cap;
	send_ping(s, t, r->our_seq, rx->cap);
	return MN_OK;
}

static int h_nack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct probe *pr = &s->probe;
	uint32_t seq;

	if (n < 4 || items_check(b + 4, n - 4) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b);
	items_apply(s, rx, b + 4, n - 4);
	if (pr->member == NONE || seq != pr->seq)
		return MN_OK;
	for (uint32_t j = 0; j < pr->nhelpers; j++) {
		if (pr->helpers[j] == rx->from && !(pr->nack_mask & (1u << j))) {
			pr->nack_mask |= (uint8_t)(1u << j);
			pr->nacks++;
			bump(s, SWIM_STAT_NACKS, 1);
		}
	}
	return MN_OK;
}

static int h_gossip(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	if (items_check(b, n) != MN_OK)
		return MN_EPROTO;
	items_apply(s, rx, b, n);
	return MN_OK;
}

/* ---- push-pull ---- */

/* A reply that may span several datagrams (when the requester proved its
 * address) or must fit the request's size (when it did not). */
struct ppw {
	struct out o;
	uint32_t sent, burst;
	size_t cap;
	bool full;
};

static void ppw_begin(struct swim *s, struct ppw *w, uint32_t to, size_t cap, uint32_t burst,
		      const struct waddr *dst)
{
	w->sent = 0;
	w->burst = burst;
	w->cap = cap;
	w->full = false;
	out_begin(s, &w->o, to, SWIM_T_PP, cap, dst);
	uint8_t *p = out_put(&w->o, 1);
	if (p)
		*p = 0;
	else
		w->full = true;
}

static void ppw_flush(struct swim *s, struct ppw *w)
{
	if (w->o.len > SWIM_BODY_HDR + 1) {
		out_send(s, &w->o);
		w->sent++;
	}
}

/* Room for n more bytes, starting another datagram if allowed. */
static uint8_t *ppw_put(struct swim *s, struct ppw *w, size_t n)
{
	uint8_t *p;
	struct waddr dst;

	if (w->full)
		return NULL;
	p = out_put(&w->o, n);
	if (p)
		return p;
	if (w->sent + 1 >= w->burst) {
		w->full = true;
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
		return NULL;
	}
	dst = w->o.dst;
	ppw_flush(s, w);
	out_begin(s, &w->o, w->o.to, SWIM_T_PP, w->cap, &dst);
	p = out_put(&w->o, 1);
	if (!p) {
		w->full = true;
		return NULL;
	}
	*p = 0;
	p = out_put(&w->o, n);
	if (!p)
		w->full = true;
	return p;
}

static void put_entry(const struct swim *s, uint8_t *p, uint32_t i)
{
	const struct member *m = &s->m[i];

	mn_put_be64(p, mid(s, i));
	mn_put_be64(p + 8, m->rec->version);
	mn_put_be32(p + 16, m->inc);
	p[20] = m->state;
}

static void put_range(uint8_t *p, uint32_t bits, uint64_t prefix, uint32_t count, uint64_t hash)
{
	p[0] = SWIM_I_RANGE;
	p[1] = (uint8_t)bits;
	mn_put_be64(p + 2, prefix);
	mn_put_be16(p + 10, count > UINT16_MAX ? UINT16_MAX : (uint16_t)count);
	mn_put_be64(p + 12, hash);
}

struct collect {
	uint32_t idx[SWIM_PP_LIST_MAX];
	uint32_t n;
	const uint8_t *theirs;  /* their entries, for deltas; NULL: take all */
	uint32_t ntheirs;
};

static uint8_t state_rank(uint8_t st)
{
	return st == SWIM_ALIVE ? 0 : st == SWIM_SUSPECT ? 1 : 2;
}

/* Collect members for a LIST: all of the range, or (theirs set) those the
 * peer lacks or holds older (version, incarnation, or state at equal inc). */
static bool collect_fn(const struct swim *s, uint32_t i, void *ctx)
{
	struct collect *c = ctx;
	const struct member *m = &s->m[i];

	for (uint32_t j = 0; c->theirs && j < c->ntheirs; j++) {
		const uint8_t *e = c->theirs + (size_t)j * SWIM_ENTRY_LEN;
		if (mn_get_be64(e) != mid(s, i))
			continue;
		uint64_t v = mn_get_be64(e + 8);
		uint32_t inc = mn_get_be32(e + 16);
		bool newer = m->rec->version > v || m->inc > inc ||
			     (m->inc == inc && state_rank(m->state) > state_rank(e[20]));
		if (!newer)
			return true;
		break;
	}
	c->idx[c->n++] = i;
	return c->n < SWIM_PP_LIST_MAX;
}

static void emit_list(struct swim *s, struct ppw *w, uint32_t bits, uint64_t prefix,
		      bool want_reply, const struct collect *c)
{
	uint8_t *p = ppw_put(s, w, SWIM_ITEM_LIST_HDR + (size_t)c->n * SWIM_ENTRY_LEN);

	if (!p)
		return;
	p[0] = SWIM_I_LIST;
	p[1] = (uint8_t)bits;
	mn_put_be64(p + 2, prefix);
	p[10] = want_reply ? 1 : 0;
	p[11] = (uint8_t)c->n;
	for (uint32_t j = 0; j < c->n; j++)
		put_entry(s, p + SWIM_ITEM_LIST_HDR + (size_t)j * SWIM_ENTRY_LEN, c->idx[j]);
}

static bool range_ok(uint32_t bits, uint64_t prefix)
{
	return bits <= 64 && bits % 4 == 0 && (prefix & ~pmask(bits)) == 0;
}

static int pp_check(const uint8_t *b, size_t n)
{
	size_t off = 1;

	if (n < 1 || b[0] > 1)
		return MN_EPROTO;
	while (off < n && b[off] != SWIM_I_PAD) {
		const uint8_t *p = b + off;
		if (p[0] == SWIM_I_RANGE) {
			if (n - off < SWIM_ITEM_RANGE_LEN || !range_ok(p[1], mn_get_be64(p + 2)))
				return MN_EPROTO;
			off += SWIM_ITEM_RANGE_LEN;
		} else if (p[0] == SWIM_I_LIST) {
			if (n - off < SWIM_ITEM_LIST_HDR || !range_ok(p[1], mn_get_be64(p + 2)) ||
			    p[10] > 1 || p[11] > ENTRY_LIST_MAX)
				return MN_EPROTO;
			size_t len = SWIM_ITEM_LIST_HDR + (size_t)p[11] * SWIM_ENTRY_LEN;
			if (n - off < len)
				return MN_EPROTO;
			uint64_t mask = pmask(p[1]), prefix = mn_get_be64(p + 2);
			for (uint32_t j = 0; j < p[11]; j++) {
				const uint8_t *e = p + SWIM_ITEM_LIST_HDR + (size_t)j * SWIM_ENTRY_LEN;
				if ((mn_get_be64(e) & mask) != prefix || e[20] < SWIM_ALIVE ||
				    e[20] > SWIM_DEAD)
					return MN_EPROTO;
			}
			off += len;
		} else if (tomb_pp_kind(p[0])) {
			size_t l = tomb_pp_len(p, n - off);
			if (l == 0)
				return MN_EPROTO;
			off += l;
		} else {
			return MN_EPROTO;
		}
	}
	return MN_OK;
}

static void pp_entries(struct swim *s, const struct rx *rx, const uint8_t *e, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++, e += SWIM_ENTRY_LEN) {
		uint64_t id = mn_get_be64(e);
		uint64_t version = mn_get_be64(e + 8);
		uint32_t inc = mn_get_be32(e + 16);
		if (e[20] == SWIM_ALIVE)
			apply_alive(s, rx, id, inc, version, NULL);
		else
			apply_suspect(s, rx, id, inc, mid(s, rx->from));
		uint32_t i = find(s, id);
		/* a down member is still a member: fetch its record too */
		if (i == NONE || (i != 0 && version > s->m[i].rec->version))
			want(s, rx, id);
	}
}

static int h_pp(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct ppw w;
	size_t off = 1;
	uint32_t tomb_work = 0;

	if (pp_check(b, n) != MN_OK)
		return MN_EPROTO;
	ppw_begin(s, &w, rx->from, rx->cap, rx->burst, &rx->addr);
	while (off < n && b[off] != SWIM_I_PAD) {
		const uint8_t *p = b + off;
		if (tomb_pp_kind(p[0])) {
			off += tomb_pp(s, &w, p, &tomb_work);
			continue;
		}
		uint32_t bits = p[1];
		uint64_t prefix = mn_get_be64(p + 2);
		/* Work per message stays bounded: a range costs a walk over
		 * 2^(leaf bits - bits) leaves, so the root (all of them) is
		 * looked at only as a message's first item, where an opening
		 * or a root LIST puts it; deeper items cost 1/16 of that or less. */
		bool scan = bits > 0 || off == 1;
		if (p[0] == SWIM_I_RANGE) {
			uint32_t theirs_n = mn_get_be16(p + 10), mine_n;
			uint64_t h;
			off += SWIM_ITEM_RANGE_LEN;
			if (w.full || !scan)
				continue;
			range_sum(s, bits, prefix, &h, &mine_n);
			if (h == mn_get_be64(p + 12) && mine_n == theirs_n)
				continue;
			if (bits == 64 || mine_n + theirs_n <= SWIM_PP_LIST_MAX) {
				struct collect c = { .n = 0 };
				range_each(s, bits, prefix, collect_fn, &c);
				emit_list(s, &w, bits, prefix, true, &c);
			} else {
				/* descend: the 16 children, 4 more bits each */
				uint8_t *q = ppw_put(s, &w, 16 * SWIM_ITEM_RANGE_LEN);
				if (!q)
					continue;
				for (uint32_t k = 0; k < 16; k++) {
					uint64_t cp = prefix | ((uint64_t)k << (60 - bits));
					uint32_t cc;
					uint64_t ch;
					range_sum(s, bits + 4, cp, &ch, &cc);
					put_range(q + k * SWIM_ITEM_RANGE_LEN, bits + 4, cp, cc, ch);
				}
			}
		} else {
			uint32_t ne = p[11];
			const uint8_t *e = p + SWIM_ITEM_LIST_HDR;
			off += SWIM_ITEM_LIST_HDR + (size_t)ne * SWIM_ENTRY_LEN;
			pp_entries(s, rx, e, ne);
			if (p[10] && scan && !w.full) {
				struct collect c = { .n = 0, .theirs = e, .ntheirs = ne };
				range_each(s, bits, prefix, collect_fn, &c);
				if (c.n)
					emit_list(s, &w, bits, prefix, false, &c);
			}
		}
	}
	ppw_flush(s, &w);
	return MN_OK;
}

static void pp_start(struct swim *s)
{
	struct out o;
	uint32_t i = NONE, cnt;
	uint64_t h;
	uint8_t *p;

	s->pp_rounds++;
	if (s->ndead && s->p.pushpull_dead_one_in &&
	    s->pp_rounds % s->p.pushpull_dead_one_in == 0)
		i = pick(s, PICK_DEAD, NULL, 0);
	if (i == NONE)
		i = pick(s, PICK_ALIVE, NULL, 0);
	if (i == NONE)
		i = pick(s, PICK_DEAD, NULL, 0);
	if (i == NONE)
		return;
	out_begin(s, &o, i, SWIM_T_PP, SWIM_MTU, NULL);
	p = out_put(&o, 1 + SWIM_ITEM_RANGE_LEN);
	if (!p)
		return;
	p[0] = 1;
	range_sum(s, 0, 0, &h, &cnt);
	put_range(p + 1, 0, 0, cnt, h);
	tomb_pp_open(s, &o);
	/* Unproven: pay for the reply up front (DESIGN.md §2). */
	if (s->m[i].tok == 0)
		out_pad(&o, SWIM_MTU);
	out_send(s, &o);
	bump(s, SWIM_STAT_PUSHPULLS, 1);
}

/* ---- records on the wire ---- */

static int h_want(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct out o;
	uint32_t cnt, sent = 0, k = 0;
	uint8_t *np = NULL;

	if (n < 1 || b[0] > SWIM_WANT_BATCH || n < 1 + (size_t)b[0] * 8)
		return MN_EPROTO;
	cnt = b[0];
	o.len = 0;
	for (uint32_t j = 0; j < cnt; j++) {
		uint32_t i = find(s, mn_get_be64(b + 1 + 8 * j));
		if (i == NONE)
			continue;
		const struct member *m = &s->m[i];
		size_t need = 4 + 1 + SWIM_ADDR_LEN + 2 + m->rec->len;
		uint8_t *p = NULL;
		if (o.len >= SWIM_BODY_HDR && np)
			p = out_put(&o, need);
		if (!p) {
			if (np && k) {
				*np = (uint8_t)k;
				out_send(s, &o);
				sent++;
			}
			if (sent >= rx->burst) {
				bump(s, SWIM_STAT_CAPPED_REPLY, 1);
				return MN_OK;
			}
			out_begin(s, &o, rx->from, SWIM_T_RECORD, rx->cap, &rx->addr);
			np = out_put(&o, 1);
			k = 0;
			p = np ? out_put(&o, need) : NULL;
			if (!p) {
				/* does not fit the request's size: the peer proves its
				 * address first, then asks again */
				bump(s, SWIM_STAT_CAPPED_REPLY, 1);
				return MN_OK;
			}
		}
		mn_put_be32(p, m->inc);
		p[4] = i == 0 ? SWIM_ALIVE : m->state;
		waddr_put(p + 5, i == 0 ? &(struct waddr){ .family = 0 } : &m->addr);
		mn_put_be16(p + 5 + SWIM_ADDR_LEN, m->rec->len);
		memcpy(p + 7 + SWIM_ADDR_LEN, m->rec->bytes, m->rec->len);
		k++;
	}
	if (np && k) {
		*np = (uint8_t)k;
		out_send(s, &o);
	}
	return MN_OK;
}

static int h_record(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	size_t off = 1;
	uint32_t cnt;

	if (n < 1)
		return MN_EPROTO;
	cnt = b[0];
	/* check the framing first */
	for (uint32_t j = 0; j < cnt; j++) {
		struct waddr w;
		if (n - off < 7 + SWIM_ADDR_LEN)
			return MN_EPROTO;
		uint16_t len = mn_get_be16(b + off + 5 + SWIM_ADDR_LEN);
		if (b[off + 4] < SWIM_ALIVE || b[off + 4] > SWIM_DEAD ||
		    !waddr_get(&w, b + off + 5) || n - off - 7 - SWIM_ADDR_LEN < len)
			return MN_EPROTO;
		off += 7 + SWIM_ADDR_LEN + len;
	}
	off = 1;
	for (uint32_t j = 0; j < cnt; j++) {
		const uint8_t *p = b + off;
		uint32_t inc = mn_get_be32(p);
		uint8_t st = p[4];
		struct waddr w;
		uint16_t len = mn_get_be16(p + 5 + SWIM_ADDR_LEN);
		uint32_t i;
		waddr_get(&w, p + 5);
		off += 7 + SWIM_ADDR_LEN + len;
		int err = learn_bytes(s, p + 7 + SWIM_ADDR_LEN, len, &i);
		if (err != MN_OK && err != MN_EEXIST)
			continue;
		if (i == NONE)
			continue;
		want_done(s, mid(s, i));
		if (err == MN_OK && i != 0 && s->m[i].state == SWIM_ALIVE)
			bq_alive(s, i); /* spread the new version */
		if (st == SWIM_ALIVE)
			apply_alive(s, rx, mid(s, i), inc, 0, &w);
		else
			apply_suspect(s, rx, mid(s, i), inc, mid(s, rx->from));
		if (i != 0 && s->m[i].addr.family == 0 && hint_ok(&w))
			s->m[i].addr = w;
	}
	return MN_OK;
}

/* ---- tombstones ----
 *
 * Revocation tombstones (doc/membership.md "Revocation: who may revoke
 * whom"; doc/gossip.md §3, §5): verified with rec_revoke_verify, kept
 * forever in their own table (SWIM_MAX_TOMBS, then refused and counted),
 * applied once effective, spread like updates (piggybacked, at most
 * retransmit_limit times each) and reconciled by push-pull over the set of
 * their ids: a grow-only set, the same on every member once push-pull has
 * run, whatever the order things arrived in. Only two things leave it: an
 * admin tombstone a record shows out of the admin's scope, and the
 * tombstones of an admin that is itself revoked ("counts for nothing");
 * both are refused everywhere, so the sets still converge. */

#define TOMB_WORK_MAX (2 * SWIM_MAX_TOMBS) /* table entries a PP message may walk */
/* Tombstones are retransmitted this many times the updates' limit: they are
 * rare, and a member that misses every copy accepts the revoked key until
 * its next push-pull (minutes at scale). At N = 8 the update limit (4) left
 * one member in ~40 runs without one; 12 makes that ~1e-5. */
#define TOMB_RETRANSMIT_MULT 3

_Static_assert(SWIM_MAX_TOMBS <= UINT16_MAX && (SWIM_MAX_TOMBS & (SWIM_MAX_TOMBS - 1)) == 0,
	       "tombstone counts fit a range's u16; the table doubles up to the bound");
_Static_assert(SWIM_ITEM_LIST_HDR + SWIM_ITEM_SUSPECT_LEN + SWIM_ITEM_SUSPECT_LEN +
	       SWIM_TOMB_PER_MSG * (SWIM_ITEM_REVOKE_HDR + REC_REVOKE_MAX) <=
	       SWIM_PT_MAX - SWIM_BODY_HDR, "piggybacked tombstones fit any full message");
_Static_assert(SWIM_ITEM_TLIST_HDR + 8 * SWIM_TLIST_MAX <= SWIM_PT_MAX - SWIM_BODY_HDR - 1,
	       "a full TLIST fits one datagram");

static uint64_t tomb_id(const struct swim *s, const uint8_t *b, size_t len)
{
	uint8_t in[1 + REC_REVOKE_MAX];

	in[0] = 't';
	memcpy(in + 1, b, len);
	return sip(s->dkey, in, 1 + len);
}

/* The first position of ord whose id is >= id. */
static uint32_t tomb_lower(const struct tombs *tb, uint64_t id)
{
	uint32_t lo = 0, hi = tb->live;

	while (lo < hi) {
		uint32_t h = lo + (hi - lo) / 2;
		if (tb->ord[h].id < id)
			lo = h + 1;
		else
			hi = h;
	}
	return lo;
}

/* The positions [*lo, *hi) of ord whose ids start with prefix/bits. */
static void tomb_span(const struct tombs *tb, uint32_t bits, uint64_t prefix, uint32_t *lo,
		      uint32_t *hi)
{
	uint64_t last = prefix | ~pmask(bits);

	*lo = tomb_lower(tb, prefix);
	*hi = last == UINT64_MAX ? tb->live : tomb_lower(tb, last + 1);
}

static void tomb_sum(const struct tombs *tb, uint32_t bits, uint64_t prefix, uint64_t *hash,
		     uint32_t *count)
{
	uint32_t lo, hi;

	*hash = 0;
	*count = 0;
	if (tb->live == 0)
		return;
	tomb_span(tb, bits, prefix, &lo, &hi);
	*hash = tb->px[hi] ^ tb->px[lo];
	*count = hi - lo;
}

static uint32_t tomb_find_id(const struct tombs *tb, uint64_t id)
{
	uint32_t pos = tomb_lower(tb, id);

	return pos < tb->live && tb->ord[pos].id == id ? tb->ord[pos].slot : NONE;
}

static void tomb_px(struct tombs *tb, uint32_t from)
{
	for (uint32_t k = from; k < tb->live; k++)
		tb->px[k + 1] = tb->px[k] ^ tb->ord[k].id;
}

static void tomb_reidx(struct tombs *tb)
{
	memset(tb->idx, 0xff, ((size_t)tb->idx_mask + 1) * sizeof(*tb->idx));
	for (uint32_t k = 0; k < tb->n; k++)
		if (!(tb->t[k].flags & T_VOID))
			idx_put(tb->idx, tb->idx_mask, seal_key_id(tb->t[k].target), k);
}

/* Each live slot whose target is pk, from *pos (start at pk's home
 * position: seal_key_id(pk) & idx_mask); NONE at the end. */
static uint32_t tomb_next_target(const struct tombs *tb, const uint8_t pk[REC_PK_LEN],
				 uint32_t *pos)
{
	for (;; *pos = (*pos + 1) & tb->idx_mask) {
		uint32_t k = tb->idx[*pos];
		if (k == NONE)
			return NONE;
		if (memcmp(tb->t[k].target, pk, REC_PK_LEN) == 0) {
			*pos = (*pos + 1) & tb->idx_mask;
			return k;
		}
	}
}

static bool tomb_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	const struct tombs *tb = &s->tombs;
	uint32_t pos, k;

	if (tb->live == 0)
		return false;
	pos = (uint32_t)seal_key_id(pk) & tb->idx_mask;
	while ((k = tomb_next_target(tb, pk, &pos)) != NONE)
		if (tb->t[k].flags & T_EFFECTIVE)
			return true;
	return false;
}

/* A pending (admin, not yet effective) tombstone against pk, or NONE. */
static uint32_t tomb_pending_for(const struct tombs *tb, const uint8_t pk[REC_PK_LEN])
{
	uint32_t pos = (uint32_t)seal_key_id(pk) & tb->idx_mask, k;

	while ((k = tomb_next_target(tb, pk, &pos)) != NONE)
		if (!(tb->t[k].flags & T_EFFECTIVE))
			return k;
	return NONE;
}

/* The rec_revoked every check in swim uses (s->revoked). */
static bool tomb_rv(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	const struct swim *s = ctx;
	const struct rec_revoked *u = s->tombs.user;

	return tomb_revoked(s, pk) || (u && u->is_revoked && u->is_revoked(u->ctx, pk));
}

static void tomb_init(struct swim *s, const struct rec_revoked *user)
{
	s->tombs.user = user;
	s->tombs.rv.is_revoked = tomb_rv;
	s->tombs.rv.ctx = s;
	s->revoked = &s->tombs.rv;
}

static void tomb_free(struct swim *s)
{
	free(s->tombs.t);
	free(s->tombs.ord);
	free(s->tombs.px);
	free(s->tombs.idx);
}

/* Double the table (8 slots first), up to SWIM_MAX_TOMBS. */
static int tomb_grow(struct tombs *tb)
{
	uint32_t cap = tb->cap ? tb->cap * 2 : 8;
	struct tomb *t;
	struct tomb_ord *o;
	uint64_t *px;
	uint32_t *idx;

	if (cap > SWIM_MAX_TOMBS)
		return MN_EFULL;
	if (!(t = realloc(tb->t, cap * sizeof(*t))))
		return MN_ENOMEM;
	tb->t = t;
	if (!(o = realloc(tb->ord, cap * sizeof(*o))))
		return MN_ENOMEM;
	tb->ord = o;
	if (!(px = realloc(tb->px, (cap + 1) * sizeof(*px))))
		return MN_ENOMEM;
	tb->px = px;
	if (!(idx = malloc(2 * cap * sizeof(*idx))))
		return MN_ENOMEM;
	free(tb->idx);
	tb->idx = idx;
	tb->idx_mask = 2 * cap - 1;
	tb->cap = cap;
	tb->px[0] = 0;
	tomb_reidx(tb);
	return MN_OK;
}

static void tomb_unqueue(struct tombs *tb, uint32_t k)
{
	uint32_t u = 0;

	for (uint32_t j = 0; j < tb->ntx; j++)
		if (tb->tx[j].slot != k)
			tb->tx[u++] = tb->tx[j];
	tb->ntx = u;
}

/* Queue slot k for piggybacking; when the queue is full the most-sent
 * entry makes room (push-pull is the backstop). */
static void tomb_queue(struct tombs *tb, uint32_t k)
{
	uint32_t j = tb->ntx;

	if (tb->ntx == SWIM_MAX_TOMB_BCAST) {
		j = 0;
		for (uint32_t x = 1; x < tb->ntx; x++)
			if (tb->tx[x].transmits > tb->tx[j].transmits)
				j = x;
	} else {
		tb->ntx++;
	}
	tb->tx[j].slot = k;
	tb->tx[j].transmits = 0;
}

static int tomb_insert(struct tombs *tb, const uint8_t *b, size_t len, const struct rec_revoke *t,
		       uint64_t id, uint8_t flags, uint32_t *out)
{
	struct tomb *e;
	uint32_t k, pos;
	int err;

	for (k = 0; k < tb->n && !(tb->t[k].flags & T_VOID); k++)
		;
	if (k == tb->n) {
		if (tb->n == tb->cap && (err = tomb_grow(tb)) != MN_OK)
			return err;
		tb->n++;
	}
	e = &tb->t[k];
	memset(e, 0, sizeof(*e));
	e->id = id;
	memcpy(e->target, t->target_pk, REC_PK_LEN);
	if (t->signer == REC_BY_ADMIN)
		memcpy(e->admin, t->grant.admin_pk, REC_PK_LEN);
	e->len = (uint16_t)len;
	e->flags = flags;
	memcpy(e->bytes, b, len);
	pos = tomb_lower(tb, id);
	memmove(tb->ord + pos + 1, tb->ord + pos, (tb->live - pos) * sizeof(*tb->ord));
	tb->ord[pos].id = id;
	tb->ord[pos].slot = k;
	tb->live++;
	tomb_px(tb, pos);
	idx_put(tb->idx, tb->idx_mask, seal_key_id(e->target), k);
	if (!(flags & T_EFFECTIVE))
		tb->pending++;
	*out = k;
	return MN_OK;
}

/* Drop slot k from the table (it is refused from now on). */
static void tomb_void(struct tombs *tb, uint32_t k)
{
	struct tomb *e = &tb->t[k];
	uint32_t pos = tomb_lower(tb, e->id);

	if (e->flags & T_VOID)
		return;
	if (!(e->flags & T_EFFECTIVE))
		tb->pending--;
	e->flags = T_VOID;
	memmove(tb->ord + pos, tb->ord + pos + 1, (tb->live - pos - 1) * sizeof(*tb->ord));
	tb->live--;
	tomb_px(tb, pos);
	tomb_reidx(tb);
	tomb_unqueue(tb, k);
}

static void tomb_emit(struct swim *s, uint32_t k)
{
	const struct tomb *t = &s->tombs.t[k];
	struct swim_event ev;
	uint32_t i = find_pk(s, t->target);

	if (!s->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SWIM_EV_REVOKED;
	if (i != NONE) {
		ev.rec = s->m[i].rec;
		ev.inc = s->m[i].inc;
	}
	ev.boot = s->boot;
	ev.at = s->now;
	ev.tomb = t->bytes;
	ev.tomb_len = t->len;
	s->event(s->event_ctx, &ev);
}

/* Effective tombstones drop their targets in every role: the members whose
 * record holds the key (and, transitively, what they admitted), and the
 * tombstones signed by it as an admin ("counts for nothing"). Inside
 * swim_recv this waits until the datagram is done (tomb_flush at its end),
 * so no handler loses the member it is answering. */
static void tomb_flush(struct swim *s)
{
	struct tombs *tb = &s->tombs;
	struct mn_time now = { s->now, 0 };

	if (!tb->due)
		return;
	tb->due = false;
	for (uint32_t k = 0; k < tb->n; k++) {
		struct tomb *t = &tb->t[k];
		if ((t->flags & (T_EFFECTIVE | T_APPLIED | T_VOID)) != T_EFFECTIVE)
			continue;
		t->flags |= T_APPLIED;
		swim_remove(s, t->target, now);
		for (uint32_t j = 0; j < tb->n; j++)
			if ((tb->t[j].flags & (T_ADMIN | T_VOID)) == T_ADMIN &&
			    memcmp(tb->t[j].admin, t->target, REC_PK_LEN) == 0)
				tomb_void(tb, j);
	}
}

static void tomb_effect(struct swim *s)
{
	s->tombs.due = true;
	if (!s->in_rx)
		tomb_flush(s);
}

/* An admin tombstone against the records we hold: MN_OK when one naming its
 * target (as node or invite key) puts the target in the admin's scope,
 * MN_EAUTH when records name it but none does, MN_ENOENT when none does
 * (pending). A scan of the members: tombstones are rare. */
static int tomb_scope(const struct swim *s, const struct rec_revoke *t)
{
	struct rec_member dm;
	int res = MN_ENOENT;

	if (t->signer == REC_BY_ROOT)
		return MN_OK;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct swim_rec *r = s->m[i].rec;
		if (!live(&s->m[i]) || (memcmp(r->pk, t->target_pk, REC_PK_LEN) != 0 &&
					memcmp(r->invite_pk, t->target_pk, REC_PK_LEN) != 0))
			continue;
		if (rec_member_decode(&dm, r->bytes, r->len) != MN_OK)
			continue;
		if (rec_revoke_authorized(t, &dm) == MN_OK)
			return MN_OK;
		res = MN_EAUTH;
	}
	return res;
}

/* A verified record r names the target of pending admin tombstones (as its
 * node or invite key): each becomes effective (r is then refused by the
 * revocation check after this) or, out of the admin's scope, is dropped. */
static void tomb_settle(struct swim *s, const struct swim_rec *r)
{
	struct tombs *tb = &s->tombs;
	struct rec_member dm;
	struct rec_revoke t;
	bool decoded = false;
	uint32_t k;

	while (tb->pending) {
		k = tomb_pending_for(tb, r->pk);
		if (k == NONE)
			k = tomb_pending_for(tb, r->invite_pk);
		if (k == NONE)
			return;
		if (!decoded && rec_member_decode(&dm, r->bytes, r->len) != MN_OK)
			return;
		decoded = true;
		if (rec_revoke_decode(&t, tb->t[k].bytes, tb->t[k].len) == MN_OK &&
		    rec_revoke_authorized(&t, &dm) == MN_OK) {
			tb->t[k].flags |= T_EFFECTIVE;
			tb->pending--;
			tomb_effect(s);
		} else {
			bump(s, SWIM_STAT_TOMBS_REFUSED, 1);
			tomb_void(tb, k);
		}
	}
}

/* Verify and keep a tombstone, apply it if effective, queue it (announce).
 * Cheap checks first: size, decoding, already held (no crypto at all for a
 * tombstone heard again); then rec_revoke_verify against our table (an
 * admin we hold revoked signs nothing), then the scope. */
static int tomb_accept(struct swim *s, const uint8_t *b, size_t len, bool announce)
{
	struct tombs *tb = &s->tombs;
	struct rec_revoke t;
	uint64_t id;
	uint32_t k;
	int err, scope;

	err = len >= REC_REVOKE_ROOT_LEN && len <= REC_REVOKE_MAX ? rec_revoke_decode(&t, b, len)
								  : MN_EPROTO;
	if (err)
		goto refused;
	id = tomb_id(s, b, len);
	/* held (or, 2^-64, another one with the same id: the first stays) */
	if (tomb_find_id(tb, id) != NONE)
		return MN_EEXIST;
	err = rec_revoke_verify(s->net, &t, &tb->rv, s->memo);
	if (err)
		goto refused;
	scope = tomb_scope(s, &t);
	if (scope == MN_EAUTH) {
		err = MN_EAUTH;
		goto refused;
	}
	if (tb->live >= SWIM_MAX_TOMBS) {
		bump(s, SWIM_STAT_TOMBS_FULL, 1);
		return MN_EFULL;
	}
	err = tomb_insert(tb, b, len, &t, id,
			  (uint8_t)((t.signer == REC_BY_ADMIN ? T_ADMIN : 0) |
				    (scope == MN_OK ? T_EFFECTIVE : 0)), &k);
	if (err)
		return err;
	bump(s, SWIM_STAT_TOMBS_KEPT, 1);
	tomb_emit(s, k);
	if (announce)
		tomb_queue(tb, k);
	if (tb->t[k].flags & T_EFFECTIVE)
		tomb_effect(s);
	return MN_OK;
refused:
	bump(s, SWIM_STAT_TOMBS_REFUSED, 1);
	return err;
}

/* ---- tombstones on the wire ---- */

static void put_tomb_item(uint8_t *p, const struct tomb *t)
{
	p[0] = SWIM_I_REVOKE;
	mn_put_be16(p + 1, t->len);
	memcpy(p + SWIM_ITEM_REVOKE_HDR, t->bytes, t->len);
}

/* Queued tombstones ride first, after a buddy item: fewest transmissions
 * first, SWIM_TOMB_PER_MSG at most (the updates behind them keep room),
 * each TOMB_RETRANSMIT_MULT * retransmit_limit times. */
static void tomb_piggyback(struct swim *s, struct out *o)
{
	struct tombs *tb = &s->tombs;
	bool picked[SWIM_MAX_TOMB_BCAST] = { false };
	uint32_t limit = TOMB_RETRANSMIT_MULT * retransmit_limit(s), u = 0;

	if (tb->ntx == 0)
		return;
	for (uint32_t n = 0; n < SWIM_TOMB_PER_MSG; n++) {
		uint32_t best = NONE;
		const struct tomb *t;
		uint8_t *p;
		for (uint32_t j = 0; j < tb->ntx; j++)
			if (!picked[j] && (best == NONE || tb->tx[j].transmits < tb->tx[best].transmits))
				best = j;
		if (best == NONE)
			break;
		picked[best] = true;
		t = &tb->t[tb->tx[best].slot];
		p = out_put(o, SWIM_ITEM_REVOKE_HDR + t->len);
		if (!p)
			continue; /* a root one (110 bytes) may still fit */
		put_tomb_item(p, t);
		tb->tx[best].transmits++;
	}
	for (uint32_t j = 0; j < tb->ntx; j++)
		if (tb->tx[j].transmits < limit)
			tb->tx[u++] = tb->tx[j];
	tb->ntx = u;
}

/* A REVOKE item's length when well formed (its framing only), else 0. */
static size_t tomb_item_len(const uint8_t *p, size_t avail)
{
	size_t l;

	if (avail < SWIM_ITEM_REVOKE_HDR)
		return 0;
	l = mn_get_be16(p + 1);
	if (l < REC_REVOKE_ROOT_LEN || l > REC_REVOKE_MAX || avail - SWIM_ITEM_REVOKE_HDR < l)
		return 0;
	return SWIM_ITEM_REVOKE_HDR + l;
}

/* A REVOKE item (framing checked): accepted and passed on if new. */
static size_t tomb_item_apply(struct swim *s, const uint8_t *p)
{
	size_t l = mn_get_be16(p + 1);

	tomb_accept(s, p + SWIM_ITEM_REVOKE_HDR, l, true);
	return SWIM_ITEM_REVOKE_HDR + l;
}

static bool tomb_pp_kind(uint8_t kind)
{
	return kind == SWIM_I_TRANGE || kind == SWIM_I_TLIST || kind == SWIM_I_REVOKE;
}

/* A push-pull tombstone item's length when well formed, else 0. A TLIST's
 * ids are in its range and strictly ascending. */
static size_t tomb_pp_len(const uint8_t *p, size_t avail)
{
	uint64_t prefix, mask, prev = 0;
	size_t len;

	if (p[0] == SWIM_I_REVOKE)
		return tomb_item_len(p, avail);
	if (p[0] == SWIM_I_TRANGE)
		return avail >= SWIM_ITEM_RANGE_LEN && range_ok(p[1], mn_get_be64(p + 2)) ?
			       SWIM_ITEM_RANGE_LEN : 0;
	if (avail < SWIM_ITEM_TLIST_HDR || !range_ok(p[1], mn_get_be64(p + 2)) || p[10] > 1)
		return 0;
	len = SWIM_ITEM_TLIST_HDR + (size_t)p[11] * 8;
	if (avail < len)
		return 0;
	prefix = mn_get_be64(p + 2);
	mask = pmask(p[1]);
	for (uint32_t j = 0; j < p[11]; j++) {
		uint64_t id = mn_get_be64(p + SWIM_ITEM_TLIST_HDR + 8 * j);
		if ((id & mask) != prefix || (j > 0 && id <= prev))
			return 0;
		prev = id;
	}
	return len;
}

static void put_trange(uint8_t *p, const struct tombs *tb, uint32_t bits, uint64_t prefix)
{
	uint32_t c;
	uint64_t h;

	tomb_sum(tb, bits, prefix, &h, &c);
	put_range(p, bits, prefix, c, h);
	p[0] = SWIM_I_TRANGE;
}

/* Our tombstone ids in a range (at most SWIM_TLIST_MAX of them). */
static void tomb_put_list(struct swim *s, struct ppw *w, uint32_t bits, uint64_t prefix,
			  bool want_reply)
{
	const struct tombs *tb = &s->tombs;
	uint32_t lo = 0, hi = 0, n;
	uint8_t *p;

	if (tb->live)
		tomb_span(tb, bits, prefix, &lo, &hi);
	n = hi - lo > SWIM_TLIST_MAX ? SWIM_TLIST_MAX : hi - lo;
	p = ppw_put(s, w, SWIM_ITEM_TLIST_HDR + (size_t)n * 8);
	if (!p)
		return;
	p[0] = SWIM_I_TLIST;
	p[1] = (uint8_t)bits;
	mn_put_be64(p + 2, prefix);
	p[10] = want_reply ? 1 : 0;
	p[11] = (uint8_t)n;
	for (uint32_t j = 0; j < n; j++)
		mn_put_be64(p + SWIM_ITEM_TLIST_HDR + 8 * j, tb->ord[lo + j].id);
}

/* One push-pull tombstone item (checked by pp_check), the reply into w.
 *   REVOKE  a tombstone: accepted (and passed on) if new.
 *   TRANGE  equal -> nothing; both counts together <= SWIM_TLIST_MAX (or a
 *           64-bit range) -> our TLIST, reply wanted; else the 16 children.
 *   TLIST   their ids in the range: we send the tombstones of ours they
 *           lack; if they hold ids we lack and want a reply, our TLIST
 *           (or, holding more than a list carries, our TRANGE of it, so
 *           they descend), whereupon they send what we lack.
 * The TLIST merge walks our part of the range; per message at most
 * TOMB_WORK_MAX entries are walked (honest descents are disjoint ranges). */
static size_t tomb_pp(struct swim *s, struct ppw *w, const uint8_t *p, uint32_t *work)
{
	struct tombs *tb = &s->tombs;
	uint32_t bits = p[1], lo = 0, hi = 0, ne, k, j;
	uint64_t prefix;
	const uint8_t *ids;
	bool lack = false;

	if (p[0] == SWIM_I_REVOKE)
		return tomb_item_apply(s, p);
	prefix = mn_get_be64(p + 2);
	if (p[0] == SWIM_I_TRANGE) {
		uint32_t mine_n, theirs_n = mn_get_be16(p + 10);
		uint64_t h;
		uint8_t *q;
		if (w->full)
			return SWIM_ITEM_RANGE_LEN;
		tomb_sum(tb, bits, prefix, &h, &mine_n);
		if (h == mn_get_be64(p + 12) && mine_n == theirs_n)
			return SWIM_ITEM_RANGE_LEN;
		if (bits == 64 || mine_n + theirs_n <= SWIM_TLIST_MAX) {
			tomb_put_list(s, w, bits, prefix, true);
		} else if ((q = ppw_put(s, w, 16 * SWIM_ITEM_RANGE_LEN)) != NULL) {
			for (uint32_t c = 0; c < 16; c++)
				put_trange(q + c * SWIM_ITEM_RANGE_LEN, tb, bits + 4,
					   prefix | ((uint64_t)c << (60 - bits)));
		}
		return SWIM_ITEM_RANGE_LEN;
	}
	ne = p[11];
	ids = p + SWIM_ITEM_TLIST_HDR;
	if (tb->live)
		tomb_span(tb, bits, prefix, &lo, &hi);
	*work += hi - lo + ne;
	if (w->full || *work > TOMB_WORK_MAX)
		return SWIM_ITEM_TLIST_HDR + (size_t)ne * 8;
	for (k = lo, j = 0; k < hi || j < ne;) {
		uint64_t theirs = j < ne ? mn_get_be64(ids + 8 * j) : 0;
		if (j == ne || (k < hi && tb->ord[k].id < theirs)) {
			const struct tomb *t = &tb->t[tb->ord[k].slot];
			uint8_t *q = w->full ? NULL : ppw_put(s, w, SWIM_ITEM_REVOKE_HDR + t->len);
			if (q)
				put_tomb_item(q, t);
			k++;
		} else if (k == hi || theirs < tb->ord[k].id) {
			lack = true;
			j++;
		} else {
			k++;
			j++;
		}
	}
	if (p[10] && lack && !w->full) {
		uint8_t *q;
		if (hi - lo <= SWIM_TLIST_MAX)
			tomb_put_list(s, w, bits, prefix, false);
		else if ((q = ppw_put(s, w, SWIM_ITEM_RANGE_LEN)) != NULL)
			put_trange(q, tb, bits, prefix);
	}
	return SWIM_ITEM_TLIST_HDR + (size_t)ne * 8;
}

/* The opening's second item: the root range of our tombstone ids. */
static void tomb_pp_open(struct swim *s, struct out *o)
{
	uint8_t *p = out_put(o, SWIM_ITEM_RANGE_LEN);

	if (p)
		put_trange(p, &s->tombs, 0, 0);
}

int swim_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now)
{
	s->now = now.mono;
	return tomb_accept(s, tomb, len, true);
}

int swim_restore_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now)
{
	s->now = now.mono;
	return tomb_accept(s, tomb, len, false);
}

bool swim_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	return is_revoked(s, pk);
}

/* ---- the event entry points ---- */

static void set_hint(struct swim *s, uint32_t i, const struct mn_addr *addr, bool direct);

typedef int (*handler_fn)(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);

static const handler_fn handlers[SWIM_T__LAST - SWIM_T__FIRST + 1] = {
	[SWIM_T_PING - SWIM_T__FIRST] = h_ping,
	[SWIM_T_ACK - SWIM_T__FIRST] = h_ack,
	[SWIM_T_PING_REQ - SWIM_T__FIRST] = h_ping_req,
	[SWIM_T_NACK - SWIM_T__FIRST] = h_nack,
	[SWIM_T_GOSSIP - SWIM_T__FIRST] = h_gossip,
	[SWIM_T_PP - SWIM_T__FIRST] = h_pp,
	[SWIM_T_WANT - SWIM_T__FIRST] = h_want,
	[SWIM_T_RECORD - SWIM_T__FIRST] = h_record,
};

/* An unsealed HELLO: a member we do not know yet sends its signed record.
 * Verifying costs up to four Ed25519 checks, so unknown senders share a
 * budget of SWIM_HELLO_PER_SEC (burst SWIM_HELLO_BURST); a known sender
 * costs one lookup and a drop. */
static int h_hello(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len)
{
	uint64_t id_from = mn_get_be64(buf + SEAL_O_FROM);
	uint32_t i;
	int err;

	if (len < SWIM_HELLO_HDR + REC_MEMBER_MIN || len > SWIM_HELLO_HDR + REC_MEMBER_MAX) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		return MN_EPROTO;
	}
	if (mn_get_be64(buf + SEAL_O_TO) != s->self.id || id_from == s->self.id) {
		bump(s, SWIM_STAT_DROP_NOT_FOR_US, 1);
		return MN_EAUTH;
	}
	if (find(s, id_from) != NONE) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EEXIST;
	}
	/* Everything that costs no signature first, so junk never spends the
	 * budget a genuine newcomer needs: the record decodes, names the
	 * sender's key, no key of its chain is revoked, and a member admitter
	 * is a member. A record the store already verified costs nothing. */
	const uint8_t *r = buf + SWIM_HELLO_HDR;
	size_t rlen = len - SWIM_HELLO_HDR;
	struct rec_member dm;
	if (rec_member_decode(&dm, r, rlen) != MN_OK || seal_key_id(dm.adm.node_pk) != id_from ||
	    is_revoked(s, dm.adm.node_pk) || is_revoked(s, dm.invite.invite_pk) ||
	    is_revoked(s, dm.adm.admitter_pk) ||
	    (dm.invite.signer == REC_BY_ADMIN && is_revoked(s, dm.invite.grant.admin_pk)) ||
	    (dm.adm.admitter == REC_BY_MEMBER && find_pk(s, dm.adm.admitter_pk) == NONE)) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EPROTO;
	}
	const struct swim_rec *known = s->store.find ? s->store.find(s->store.ctx, r, rlen) : NULL;
	if (known) {
		release(s, known);
		goto learn;
	}
	if (s->now - s->hello_at >= MN_NS_PER_SEC / SWIM_HELLO_PER_SEC) {
		uint64_t add = (s->now - s->hello_at) / (MN_NS_PER_SEC / SWIM_HELLO_PER_SEC);
		s->hello_tokens = add >= SWIM_HELLO_BURST ? SWIM_HELLO_BURST :
				  (uint32_t)(s->hello_tokens + add > SWIM_HELLO_BURST ?
					     SWIM_HELLO_BURST : s->hello_tokens + add);
		s->hello_at = s->now;
	}
	if (s->hello_tokens == 0) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EBUSY;
	}
	s->hello_tokens--;
learn:
	err = learn_bytes(s, r, rlen, &i);
	if (err) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return err;
	}
	set_hint(s, i, from, false);
	bq_alive(s, i);
	return MN_OK;
}

/* True (and remembered) when member i may get a buddy GOSSIP now. */
static bool buddy_due(struct swim *s, uint32_t i)
{
	uint32_t slot = i % BUDDY_SLOTS;

	if (s->buddy[slot].member == i && s->now - s->buddy[slot].at < s->p.probe_interval_ns)
		return false;
	s->buddy[slot].member = i;
	s->buddy[slot].at = s->now;
	return true;
}

int swim_recv(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len,
	      struct mn_time now)
{
	uint8_t pt[SWIM_PT_MAX];
	struct seal_hdr h;
	const struct seal_keys *k;
	struct member *m;
	struct rx rx;
	size_t ptlen = 0;
	uint32_t i;
	int err;

	s->now = now.mono;
	bump(s, SWIM_STAT_RX_DGRAMS, 1);
	bump(s, SWIM_STAT_RX_BYTES, len);
	if (len >= SWIM_HELLO_HDR && seal_is_control(buf, len) &&
	    buf[SEAL_O_VERSION] == SEAL_VERSION && buf[SEAL_O_TYPE] == SWIM_T_HELLO)
		return h_hello(s, from, buf, len);
	err = seal_parse(&h, buf, len);
	if (err) {
		bump(s, SWIM_STAT_DROP_NOT_SEALED, 1);
		return err;
	}
	if (h.to != s->self.id || h.from == s->self.id) {
		bump(s, SWIM_STAT_DROP_NOT_FOR_US, 1);
		return MN_EAUTH;
	}
	if (h.type < SWIM_T__FIRST || h.type > SWIM_T__LAST || len > SWIM_MTU) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		return MN_EPROTO;
	}
	/* The one lookup a non-member costs. */
	i = find(s, h.from);
	if (i == NONE) {
		bump(s, SWIM_STAT_DROP_NON_MEMBER, 1);
		return MN_ENOKEY;
	}
	k = keys_for(s, i);
	if (!k) {
		bump(s, SWIM_STAT_DROP_AUTH, 1);
		return MN_EAUTH;
	}
	m = &s->m[i];
	err = seal_open(k, &m->pair, &h, buf, len, pt, sizeof(pt), &ptlen);
	if (err) {
		bump(s, err == MN_EREPLAY ? SWIM_STAT_DROP_REPLAY : SWIM_STAT_DROP_AUTH, 1);
		return err;
	}
	if (ptlen < SWIM_BODY_HDR) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		err = MN_EPROTO;
		goto out;
	}
	memset(&rx, 0, sizeof(rx));
	rx.from = i;
	rx.len = len;
	waddr_from(&rx.addr, from);
	rx.proven = tok_check(s, i, &rx.addr, mn_get_be64(pt + 8));
	rx.cap = rx.proven ? SWIM_MTU : len;
	rx.burst = rx.proven ? SWIM_PP_BURST : 1;
	if (h.type == SWIM_T_WANT && rx.proven)
		rx.burst = SWIM_RECORD_BURST;
	m->tok = mn_get_be64(pt);
	/* Roaming: its authenticated traffic says where it is now, once it
	 * proved it receives there (echoed a token of this boot for that
	 * address). Authenticated is not enough: after we restart, the replay
	 * window is empty and a captured datagram opens once more, from
	 * anywhere. A member that moved proves the new address one round trip
	 * later: our reply to it goes to the source and carries a token for it. */
	if (rx.addr.family && (rx.proven || m->addr.family == 0)) {
		m->addr = rx.addr;
		if (rx.proven)
			m->flags |= M_ADDR_DIRECT;
	}
	/* Any authenticated message from the probed member shows it alive,
	 * an ACK too, whatever its seq: one for a ping we sent on someone's
	 * ping-req was not counted, the probe failed and, the member having
	 * spoken to us (tok), we suspected it (swim-lan-ci, seed 15). */
	if (s->probe.member == i)
		probe_finish(s, true);
	s->nwant = 0;
	s->in_rx = true;
	err = handlers[h.type - SWIM_T__FIRST](s, &rx, pt + SWIM_BODY_HDR, ptlen - SWIM_BODY_HDR);
	s->in_rx = false;
	refute_flush(s);
	if (err) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		s->nwant = 0;
		goto out;
	}
	/* Buddy system (Lifeguard): the sender is suspect or dead to us, so
	 * tell it. Everything we send it starts with that update (piggyback; a
	 * ping's ack carries it); anything else it sends gets at most one GOSSIP
	 * per member per probe interval. Unlimited, two members holding each
	 * other suspect at an incarnation neither can refute answered each
	 * other's GOSSIPs forever, a storm that grew with every round. (Never
	 * answering a GOSSIP instead cost the simulator's cold join: a member
	 * held dead that only gossips learnt it too late to converge.) */
	m = &s->m[i];
	if (h.type != SWIM_T_PING && (m->state == SWIM_SUSPECT || m->state == SWIM_DEAD) &&
	    buddy_due(s, i)) {
		struct out o;
		out_begin(s, &o, i, SWIM_T_GOSSIP, rx.cap, &rx.addr);
		piggyback(s, &o);
		if (o.len > SWIM_BODY_HDR)
			out_send(s, &o);
	}
	flush_wants(s, &rx);
out:
	tomb_flush(s); /* tombstones accepted in this datagram take effect */
	/* the body holds address tokens: keep them off the stack */
	sodium_memzero(pt, sizeof(pt));
	return err;
}

int swim_poll_tx(struct swim *s, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct txd *t;

	if (s->tx_n == 0)
		return 0;
	t = &s->tx[s->tx_head];
	s->tx_head = (s->tx_head + 1) % s->tx_cap;
	s->tx_n--;
	if (cap < t->len)
		return MN_EMSGSIZE;
	memcpy(buf, t->buf, t->len);
	*len = t->len;
	*dst = t->dst;
	return 1;
}

mn_ns swim_next_deadline(const struct swim *s)
{
	mn_ns d = s->next_probe;

	if (s->probe.member != NONE)
		d = mn_min_deadline(d, s->probe.indirect ? s->probe.end : s->probe.ack_at);
	if (s->heap_n)
		d = mn_min_deadline(d, s->sp[s->heap[0]].deadline);
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		const struct relay *r = &s->relay[j];
		if (r->used)
			d = mn_min_deadline(d, r->nacked ? r->expire : r->nack_at);
	}
	if ((s->bq_n || s->tombs.ntx) && s->p.gossip_nodes)
		d = mn_min_deadline(d, s->next_gossip);
	if (s->p.pushpull_interval_ns)
		d = mn_min_deadline(d, s->next_pp);
	if (s->ndead && s->p.dead_probe_interval_ns)
		d = mn_min_deadline(d, s->next_dead);
	return mn_min_deadline(d, s->want_next);
}

static bool want_due(const struct swim *s, const struct want *w)
{
	return w->used && mn_time_after_eq(s->now, w->at + s->p.probe_interval_ns);
}

/* Record requests nobody answered: without this, a lost WANT or RECORD
 * leaves the member on its old record until the next push-pull (minutes
 * at scale), since the version's announcements are over by then. */
static void want_retry(struct swim *s)
{
	mn_ns next = MN_NEVER;

	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		uint32_t to = w->from, n = 0;
		struct out o;
		uint8_t *p;
		if (!w->used)
			continue;
		if (!want_due(s, w)) {
			next = mn_min_deadline(next, w->at + s->p.probe_interval_ns);
			continue;
		}
		if (w->tries >= WANT_TRIES) {
			w->used = false;
			continue;
		}
		if (to == NONE || to == 0 || to >= s->n || !live(&s->m[to]) ||
		    s->m[to].state == SWIM_DEAD)
			to = pick(s, PICK_ALIVE, NULL, 0);
		if (to == NONE) {
			w->used = false;
			continue;
		}
		out_begin(s, &o, to, SWIM_T_WANT, SWIM_MTU, NULL);
		p = out_put(&o, 1);
		/* this one, and every other due one asked of the same member */
		for (uint32_t k = j; p && k < SWIM_MAX_WANTS && n < SWIM_WANT_BATCH; k++) {
			struct want *x = &s->wants[k];
			uint8_t *q;
			if (k != j && (!want_due(s, x) || x->tries >= WANT_TRIES || x->from != to))
				continue;
			q = out_put(&o, 8);
			if (!q)
				break;
			mn_put_be64(q, x->id);
			x->tries++;
			x->waiting = false;
			x->at = s->now;
			x->from = to;
			n++;
		}
		if (n == 0) {
			w->used = false;
			continue;
		}
		*p = (uint8_t)n;
		out_send(s, &o);
		bump(s, SWIM_STAT_WANTS, 1);
		next = mn_min_deadline(next, s->now + s->p.probe_interval_ns);
	}
	s->want_next = next;
}

static void gossip_round(struct swim *s)
{
	uint32_t excl[16];
	uint32_t n = 0;

	for (uint32_t j = 0; j < s->p.gossip_nodes && (s->bq_n || s->tombs.ntx); j++) {
		uint32_t i = pick(s, PICK_GOSSIP, excl, n);
		struct out o;
		if (i == NONE)
			break;
		excl[n++] = i;
		out_begin(s, &o, i, SWIM_T_GOSSIP, SWIM_MTU, NULL);
		piggyback(s, &o);
		if (o.len > SWIM_BODY_HDR) {
			out_send(s, &o);
			bump(s, SWIM_STAT_GOSSIPS, 1);
		}
	}
}

void swim_on_timer(struct swim *s, struct mn_time now)
{
	mn_ns t = now.mono;

	s->now = t;
	/* suspicions that ran out: a last call, then dead. The first time a
	 * suspicion's timeout runs out we ask the suspect once more, directly
	 * and through helpers (last_call), and wait two probe timeouts: a
	 * refutation that missed this node while it spread (a gossip miss
	 * under loss) does not become a false death (swim-loss-1k-1h seed 1:
	 * one observer of 1,000 declared a live member dead). Costs 1 +
	 * 2 x indirect_checks datagrams per suspicion that runs out, and
	 * 2 x probe_timeout on the detection bound (doc/gossip.md §8). */
	while (s->heap_n && mn_time_after_eq(t, s->sp[s->heap[0]].deadline)) {
		struct susp *sp = &s->sp[s->heap[0]];
		uint32_t i = sp->member;
		if (!sp->last_call) {
			sp->last_call = true;
			sp->deadline = t + 2 * s->p.probe_timeout_ns;
			heap_fix(s, sp->heap);
			last_call(s, i);
			continue;
		}
		susp_end(s, i);
		live_set(s, i, SWIM_DEAD, s->m[i].inc);
		bq_put(s, i, SWIM_I_DEAD, s->m[i].inc, s->self.id);
		bump(s, SWIM_STAT_DEATHS, 1);
	}
	/* ping-reqs we serve */
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		struct relay *r = &s->relay[j];
		if (!r->used)
			continue;
		if (!r->nacked && mn_time_after_eq(t, r->nack_at)) {
			r->nacked = true;
			send_small(s, r->requester, SWIM_T_NACK, r->req_seq, r->cap, false, r->target);
		}
		if (mn_time_after_eq(t, r->expire))
			r->used = false;
	}
	/* the probe */
	if (s->probe.member != NONE && mn_time_after_eq(t, s->probe.end))
		probe_finish(s, false);
	if (s->probe.member != NONE && !s->probe.indirect && mn_time_after_eq(t, s->probe.ack_at))
		probe_indirect(s);
	if (mn_time_after_eq(t, s->next_probe)) {
		probe_finish(s, false);
		s->next_probe = t + probe_interval(s);
		probe_start(s);
	}
	/* dead members: one ping each dead_probe_interval. Re-armed while none
	 * is dead too (it is no deadline then: it fires late, at the next
	 * timer), so the first death does not fire it at once everywhere. */
	if (s->p.dead_probe_interval_ns && mn_time_after_eq(t, s->next_dead)) {
		uint32_t i = s->ndead ? pick(s, PICK_DEAD, NULL, 0) : NONE;
		s->next_dead = t + rnd_period(s, s->p.dead_probe_interval_ns);
		if (i != NONE) {
			send_ping(s, i, ++s->seq, SWIM_MTU);
			bump(s, SWIM_STAT_DEAD_PROBES, 1);
		}
	}
	if ((s->bq_n || s->tombs.ntx) && s->p.gossip_nodes &&
	    mn_time_after_eq(t, s->next_gossip)) {
		s->next_gossip = t + s->p.gossip_interval_ns;
		gossip_round(s);
	}
	if (s->p.pushpull_interval_ns && mn_time_after_eq(t, s->next_pp)) {
		mn_ns iv = scale_pushpull(&s->p, members_n(s));
		/* after the join sync, a random phase (memberlist staggers its
		 * push-pull timer at start the same way), then jittered periods */
		s->next_pp = t + (s->pp_rounds == 0 ? rnd_span(s, iv) : rnd_period(s, iv));
		pp_start(s);
	}
	if (s->want_next != MN_NEVER && mn_time_after_eq(t, s->want_next))
		want_retry(s);
}

/* ---- lifecycle and API ---- */

static const struct swim_rec *priv_add(void *ctx, const uint8_t *b, size_t len,
				       const struct rec_member *m)
{
	struct swim_rec *r;

	(void)ctx;
	if (len > UINT16_MAX)
		return NULL;
	r = calloc(1, sizeof(*r) + len);
	if (!r)
		return NULL;
	swim_rec_fill(r, m);
	r->len = (uint16_t)len;
	memcpy(r->bytes, b, len);
	r->store_ref = 1;
	return r;
}

static void priv_release(void *ctx, const struct swim_rec *r)
{
	(void)ctx;
	free((void *)r);
}

void swim_rec_fill(struct swim_rec *r, const struct rec_member *m)
{
	memcpy(r->pk, m->adm.node_pk, REC_PK_LEN);
	memcpy(r->invite_pk, m->invite.invite_pk, REC_PK_LEN);
	memcpy(r->admitter_pk, m->adm.admitter_pk, REC_PK_LEN);
	if (m->invite.signer == REC_BY_ADMIN)
		memcpy(r->admin_pk, m->invite.grant.admin_pk, REC_PK_LEN);
	else
		memset(r->admin_pk, 0, REC_PK_LEN);
	r->version = m->version;
	r->admitter_kind = m->adm.admitter;
	r->chain_len = (uint16_t)((m->invite.signer == REC_BY_ADMIN ? REC_INVITE_ADMIN_LEN :
				   REC_INVITE_ROOT_LEN) + REC_ADMISSION_LEN);
	/* Once per record, not per pair key: the 64-slot pair-key cache
	 * thrashes past 64 active members, and each miss would convert again. */
	seal_x25519_pk(r->xpk, m->adm.node_pk);
}

int swim_new(struct swim **out, const struct swim_config *cfg, struct mn_time now)
{
	struct swim *s;
	uint8_t h[32];
	crypto_generichash_state st;
	uint32_t self;
	int err;

	*out = NULL;
	if (!cfg || !cfg->net || !cfg->key || !cfg->record || !cfg->rng.fill ||
	    swim_params_check(&cfg->params) != MN_OK)
		return MN_EINVAL;
	if (cfg->store && !cfg->store->add)
		return MN_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MN_ENOMEM;
	s->p = cfg->params;
	s->net = cfg->net;
	s->rng = cfg->rng;
	if (cfg->store) {
		s->store = *cfg->store;
	} else {
		s->store.add = priv_add;
		s->store.release = priv_release;
	}
	s->memo = cfg->memo;
	tomb_init(s, cfg->revoked);
	s->seal_memo = cfg->seal_memo;
	s->event = cfg->event;
	s->event_ctx = cfg->event_ctx;
	s->now = now.mono;
	s->probe.member = NONE;
	s->sp_free = NONE;
	s->want_next = MN_NEVER;
	for (uint32_t j = 0; j < SWIM_KEYCACHE; j++)
		s->kc[j].member = NONE;
	/* The boot number, not the wall clock, keeps this boot's counters above
	 * every earlier boot's (a clock behind the last boot would otherwise
	 * silence us to every peer for the whole boot). */
	err = MN_EFULL;
	if (cfg->boot >= SEAL_BOOT_MAX)
		goto fail;
	s->boot = cfg->boot + 1;
	err = seal_self_init(&s->self, cfg->key, s->boot);
	if (err)
		goto fail;
	mn_rng_bytes(&s->rng, s->tok_key, sizeof(s->tok_key));
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag_digest, TAG_LEN);
	crypto_generichash_update(&st, cfg->net->id, REC_NETID_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(s->dkey, h, sizeof(s->dkey));

	err = MN_ENOMEM;
	s->cap = MEMBERS_INIT;
	s->m = malloc(s->cap * sizeof(*s->m));
	s->idx = malloc(2 * MEMBERS_INIT * sizeof(*s->idx));
	if (!s->m || !s->idx)
		goto fail;
	memset(s->idx, 0xff, 2 * MEMBERS_INIT * sizeof(*s->idx));
	s->idx_mask = 2 * MEMBERS_INIT - 1;
	if (digest_resize(s, LEAF_BITS_MIN) != MN_OK)
		goto fail;

	/* Our own record is member 0. */
	err = learn_bytes(s, cfg->record, cfg->record_len, &self);
	if (err)
		goto fail;
	if (self != 0 || memcmp(s->m[0].rec->pk, cfg->key->pk, REC_PK_LEN) != 0) {
		err = MN_EINVAL;
		goto fail;
	}
	live_set(s, 0, SWIM_ALIVE, cfg->incarnation);
	/* A persisted 0 is a known value: only a lost one lifts the bound. */
	if (cfg->incarnation || !cfg->incarnation_lost)
		s->m[0].flags |= M_INC_KNOWN;
	bq_alive(s, 0);
	emit(s, SWIM_EV_BOOT, 0);

	s->seq = mn_rng_u32(&s->rng);
	s->next_probe = s->now + rnd(s, (uint32_t)(s->p.probe_interval_ns / MN_NS_PER_MS) + 1) *
				   MN_NS_PER_MS;
	s->next_gossip = s->now;
	/* A push-pull soon after start, as memberlist does on join: a node that
	 * boots knowing a few members gets the rest in one exchange. */
	s->next_pp = s->now + rnd(s, (uint32_t)(s->p.probe_interval_ns / MN_NS_PER_MS) + 1) *
				 MN_NS_PER_MS;
	s->next_dead = s->now + rnd_span(s, s->p.dead_probe_interval_ns);
	s->hello_tokens = SWIM_HELLO_BURST;
	s->hello_at = s->now;
	s->hello_sent_at = MN_NEVER;
	*out = s;
	return MN_OK;
fail:
	swim_del(s);
	return err;
}

void swim_del(struct swim *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n; i++)
		if (live(&s->m[i]))
			release(s, s->m[i].rec);
	free(s->m);
	free(s->idx);
	free(s->leaf_hash);
	free(s->leaf_count);
	free(s->leaf_head);
	free(s->bq);
	free(s->bq_ord);
	free(s->sp);
	free(s->heap);
	free(s->tx);
	tomb_free(s);
	sodium_memzero(s, sizeof(*s)); /* seal secret, token key, pair keys */
	free(s);
}

static void set_hint(struct swim *s, uint32_t i, const struct mn_addr *addr, bool direct)
{
	struct waddr w;

	waddr_from(&w, addr);
	if (i == 0 || w.family == 0)
		return;
	if (direct || !(s->m[i].flags & M_ADDR_DIRECT) || s->m[i].addr.family == 0) {
		s->m[i].addr = w;
		if (direct)
			s->m[i].flags |= M_ADDR_DIRECT;
	}
}

static int learn_at(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
		    struct mn_time now, bool announce)
{
	uint32_t i;
	int err;

	s->now = now.mono;
	err = learn_bytes(s, rec, len, &i);
	if (i != NONE && addr)
		set_hint(s, i, addr, false);
	if (announce && err == MN_OK && i != 0 && s->m[i].state == SWIM_ALIVE)
		bq_alive(s, i);
	return err;
}

int swim_learn(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
	       struct mn_time now)
{
	return learn_at(s, rec, len, addr, now, true);
}

int swim_restore(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
		 struct mn_time now)
{
	return learn_at(s, rec, len, addr, now, false);
}

int swim_publish(struct swim *s, const uint8_t *rec, size_t len, struct mn_time now)
{
	struct rec_member dm;
	uint32_t i;
	int err;

	s->now = now.mono;
	err = rec_member_decode(&dm, rec, len);
	if (err)
		return err;
	if (memcmp(dm.adm.node_pk, s->self.pk, REC_PK_LEN) != 0)
		return MN_EINVAL;
	err = learn_bytes(s, rec, len, &i);
	if (err)
		return err;
	refute(s, s->m[0].inc, false); /* bump: the alive update carries the version */
	return MN_OK;
}

int swim_set_addr(struct swim *s, const uint8_t pk[REC_PK_LEN], const struct mn_addr *addr)
{
	uint32_t i = find_pk(s, pk);

	if (i == NONE || !live(&s->m[i]))
		return MN_ENOENT;
	set_hint(s, i, addr, true);
	return MN_OK;
}

void swim_heard_from(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now)
{
	uint32_t i = find_pk(s, pk);

	s->now = now.mono;
	if (i != NONE && s->probe.member == i)
		probe_finish(s, true);
}

uint32_t swim_remove(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now)
{
	uint32_t removed = 0, pass;

	s->now = now.mono;
	for (uint32_t i = 1; i < s->n; i++) {
		const struct swim_rec *r = s->m[i].rec;
		if (!live(&s->m[i]))
			continue;
		if (memcmp(r->pk, pk, REC_PK_LEN) == 0 || memcmp(r->invite_pk, pk, REC_PK_LEN) == 0 ||
		    memcmp(r->admitter_pk, pk, REC_PK_LEN) == 0 ||
		    memcmp(r->admin_pk, pk, REC_PK_LEN) == 0) {
			member_remove(s, i);
			removed++;
		}
	}
	/* Then, transitively, members whose member-admitter is gone. */
	do {
		pass = 0;
		for (uint32_t i = 1; i < s->n; i++) {
			const struct swim_rec *r = s->m[i].rec;
			if (live(&s->m[i]) && r->admitter_kind == REC_BY_MEMBER &&
			    find_pk(s, r->admitter_pk) == NONE) {
				member_remove(s, i);
				pass++;
			}
		}
		removed += pass;
	} while (pass);
	return removed;
}

int swim_member(const struct swim *s, const uint8_t pk[REC_PK_LEN], struct swim_member_info *out)
{
	uint32_t i = find_pk(s, pk);
	const struct member *m;

	memset(out, 0, sizeof(*out));
	if (i == NONE)
		return MN_ENOENT;
	m = &s->m[i];
	out->state = (enum swim_state)m->state;
	out->inc = m->inc;
	out->version = m->rec->version;
	waddr_to(&m->addr, &out->addr);
	out->rec = m->rec;
	out->since = m->since;
	return MN_OK;
}

void swim_counts(const struct swim *s, struct swim_counts *out)
{
	out->members = s->nlive;
	out->alive = s->nalive;
	out->suspect = s->nsuspect;
	out->dead = s->ndead;
	out->queued = s->bq_n;
	out->tombs = s->tombs.live;
}

uint32_t swim_health(const struct swim *s)
{
	return s->health;
}

uint32_t swim_incarnation(const struct swim *s)
{
	return s->m[0].inc;
}

uint64_t swim_stat(const struct swim *s, enum swim_stat st)
{
	return (unsigned)st < SWIM_STAT__COUNT ? s->stats[st] : 0;
}

uint64_t swim_view_digest(const struct swim *s)
{
	return s->view;
}
