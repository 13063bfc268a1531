/* swim_internal.h - what the swim_*.c files share: limits, the internal
 * types (the swim object, members, suspicions, queued updates, messages
 * under construction) and the functions one file calls in another. Not an
 * API: everything outside gossip/swim_*.c uses swim.h.
 */
#ifndef SWIM_INTERNAL_H
#define SWIM_INTERNAL_H

#include "swim.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_bits.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "annpool.h"
#include "oatab.h"

#define NONE UINT32_MAX
#define GONE (UINT32_MAX - 1) /* a member index whose member was removed (slot_forget):
			       * names no member, as NONE, but says there was one */
#define QUEUE_NONE UINT16_MAX
#define TAG_LEN 16
#define TOK_EPOCH_NS (600 * MN_NS_PER_SEC)
#define LEAF_BITS_MIN 4
#define LEAF_BITS_MAX 16
#define LEAF_FILL 16          /* grow the digest when leaves average more */
#define MAX_PICK 64           /* queued updates per message */
#define NACK_PCT 80           /* helper nacks at this share of the probe timeout */
#define MEMBERS_INIT 16
#define ENTRY_LIST_MAX 48     /* entries accepted in one received LIST */
#define WANT_TRIES 6          /* re-sends of an unanswered record request (5 s apart on WAN:
			       * 30 s; at 15% loss a WANT and its RECORD both arrive 72%
			       * of the time, and 3 left 1 request in 160 unanswered) */
#define JITTER_PCT 10         /* periodic dead-probe and push-pull timers: +-10% */
#define BUDDY_SLOTS 64        /* recent buddy GOSSIPs remembered */
#define CHAIN_OFF 2           /* a record's invite + admission follow its format and type bytes */

_Static_assert(SWIM_MAX_BCAST < QUEUE_NONE, "queue slots fit uint16_t");
_Static_assert(SWIM_PT_MAX + SEAL_OVERHEAD == SWIM_MTU, "plaintext size");
_Static_assert(SWIM_ITEM_ALIVE_LEN == 21, "alive item");
_Static_assert(SWIM_ITEM_SUSPECT_LEN == 21, "suspect item");
_Static_assert(SWIM_ITEM_LIST_HDR + SWIM_PP_LIST_MAX * SWIM_ENTRY_LEN <=
	       SWIM_PT_MAX - SWIM_BODY_HDR - 1, "a full LIST fits one datagram");
_Static_assert(16 * SWIM_ITEM_RANGE_LEN <= SWIM_PT_MAX - SWIM_BODY_HDR - 1,
	       "a range's children fit one datagram");
_Static_assert(SWIM_MAX_INDIRECT <= 8, "helper nack mask is 8 bits");

/* Wire offsets (doc/gossip.md §3; sizes are swim.h's SWIM_*_LEN). */
enum {
	/* the body header, before every message */
	BODY_TOK = 0,                 /* an address token for the receiver */
	BODY_ECHO = 8,                /* the last token the receiver gave us */

	/* a compact address (SWIM_ADDR_LEN) */
	ADDR_FAMILY = 0,
	ADDR_IP = 1,
	ADDR_PORT = ADDR_IP + 16,     /* 17 */

	/* messages (after the body header) */
	MSG_SEQ = 0,                  /* PING, ACK, NACK, PING_REQ */
	PING_FLAGS = 4,
	PING_ITEMS = 5,
	ACK_ITEMS = 4,                /* ACK and NACK */
	PING_REQ_TARGET = 4,
	PING_REQ_ITEMS = PING_REQ_TARGET + 8, /* 12 */
	PP_FLAGS = 0,                 /* 1: an opening */
	PP_ITEMS = 1,
	WANT_N = 0,
	WANT_IDS = 1,                 /* WANT_N ids, 8 bytes each */
	RECORD_N = 0,
	RECORD_ENTRIES = 1,

	/* a RECORD entry */
	RE_INC = 0,
	RE_STATE = 4,
	RE_ANN_LEN = 5,               /* its announcement's length, 0: none */
	RE_LEN = 6,                   /* the record's */
	RE_RECORD = 8,                /* the record, then the announcement */

	/* an update item: ALIVE, SUSPECT, DEAD */
	UPD_KIND = 0,
	UPD_ID = 1,
	UPD_INC = 9,
	UPD_VERSION = 13,             /* ALIVE: the record version */
	UPD_ACCUSER = 13,             /* SUSPECT, DEAD */

	/* an address announcement item (swim_ann.c) */
	ANN_ID = 1,
	ANN_SEQ = 9,
	ANN_N = 17,                   /* addresses where it is */
	ANN_W = 18,                   /* addresses where it was */
	ANN_ADDRS = SWIM_ITEM_ADDR_HDR, /* n + w addresses, then the signature */

	/* a REVOKE item */
	REVOKE_LEN = 1,
	REVOKE_TOMB = 3,

	/* digest items: RANGE and TRANGE; LIST and TLIST */
	DIG_KIND = 0,
	DIG_BITS = 1,
	DIG_PREFIX = 2,
	RANGE_COUNT = 10,
	RANGE_HASH = 12,
	LIST_FLAGS = 10,              /* 1: reply wanted */
	LIST_N = 11,
	LIST_ENTRIES = 12,            /* LIST_N entries (LIST) or ids (TLIST) */

	/* a LIST entry */
	ENTRY_ID = 0,
	ENTRY_VERSION = 8,
	ENTRY_INC = 16,
	ENTRY_STATE = 20,
};
_Static_assert(BODY_ECHO + 8 == SWIM_BODY_HDR, "body header");
_Static_assert(ADDR_PORT + 2 == SWIM_ADDR_LEN, "address");
_Static_assert(SEAL_OVERHEAD + SWIM_BODY_HDR + PING_ITEMS == SWIM_PING_LEN, "ping");
_Static_assert(SEAL_OVERHEAD + SWIM_BODY_HDR + ACK_ITEMS == SWIM_ACK_LEN, "ack");
_Static_assert(SEAL_OVERHEAD + SWIM_BODY_HDR + PING_REQ_ITEMS == SWIM_PING_REQ_LEN, "ping-req");
_Static_assert(UPD_VERSION + 8 == SWIM_ITEM_ALIVE_LEN, "alive item");
_Static_assert(UPD_ACCUSER + 8 == SWIM_ITEM_SUSPECT_LEN, "suspect item");
_Static_assert((int)REVOKE_TOMB == (int)SWIM_ITEM_REVOKE_HDR, "revoke item");
_Static_assert(RANGE_HASH + 8 == SWIM_ITEM_RANGE_LEN, "range item");
_Static_assert((int)LIST_ENTRIES == (int)SWIM_ITEM_LIST_HDR &&
	       (int)LIST_ENTRIES == (int)SWIM_ITEM_TLIST_HDR,
	       "list items");
_Static_assert(ENTRY_STATE + 1 == SWIM_ENTRY_LEN, "list entry");
_Static_assert(SWIM_HELLO_ANN + SWIM_ITEM_ADDR_MAX + REC_MEMBER_MAX <= SWIM_MTU,
	       "a HELLO with its announcement fits one datagram");
_Static_assert(SWIM_BODY_HDR + RECORD_ENTRIES + RE_RECORD + REC_MEMBER_MAX + SWIM_ITEM_ADDR_MAX <=
	       SWIM_PT_MAX, "a RECORD entry with its announcement fits one datagram");
_Static_assert(RECORD_ENTRIES + RE_RECORD + REC_MEMBER_MAX <= SWIM_PT_MAX - SWIM_BODY_HDR,
	       "a record fits one RECORD message");

/* ---- internal types ---- */

enum { ST_REMOVED = 0 }; /* a free member slot: removed, reused by the next member added */

enum member_flags {
	M_ADDR_DIRECT = 0x01, /* address seen on its own authenticated traffic */
	M_INC_KNOWN = 0x02,   /* inc came from the network, not a default 0 */
	M_HELLO_SENT = 0x04,  /* we sent it our record in a HELLO this boot */
	M_LOST = 0x08,        /* lost a use-limit race: uncounted, removal due (swim_trust.c) */
	M_RECORD_TOLD = 0x10, /* SWIM_EV_RECORD was emitted for it (ev.first is false from then on) */
	M_LEFT = 0x20,        /* its record says it left (REC_MEM_LEFT): dead for good, never probed */
	M_REPROVE = 0x40,     /* our address changed: its ack's token is to be echoed at once */
	M_ANNOUNCED = 0x80,   /* our newcomer's announcement went to it (probe_announce): not
			       * an introduction, its HELLO budget may have dropped it */
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
	uint32_t leaf_next;         /* next member in its digest leaf; in a free slot,
				     * the next free slot (s->slot_free) */
	uint32_t susp;              /* suspicion slot or NONE */
	uint16_t queued;            /* its queued update's slot, or QUEUE_NONE */
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
	uint8_t naccusers;          /* accusers counted: confirmations = naccusers - 1 */
	bool last_call;             /* the timeout ran out once: a final ping went out */
	uint32_t accusers[SWIM_MAX_CONFIRM + 1]; /* their member indices (0: our own probe;
						  * GONE: removed since) */
	uint32_t senders[SWIM_MAX_CONFIRM + 1];  /* the member whose datagram vouched for
						  * each (0: ourselves; GONE: removed) */
	bool evidence;              /* authenticated traffic from it since start or re-arm
				     * (swim_heard_from): the timeout re-arms, no death */
};

/* A member's signed address announcement, the newest held (swim_ann.c):
 * passed on as received, transmits times so far. */
struct ann {
	uint64_t id;
	uint64_t seq;
	uint16_t transmits;
	uint8_t len;        /* of b, the whole item; 0: free */
	uint8_t b[SWIM_ITEM_ADDR_MAX];
};

/* An update about a member, queued for piggybacking (swim_dissem.c). */
struct update {
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
	uint32_t helpers[SWIM_MAX_INDIRECT]; /* member indices (GONE: removed since) */
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
	uint32_t from;      /* member asked (it announced the version), or NONE (GONE:
			     * removed since) */
	uint8_t tries;      /* re-sends so far */
	bool used;
	bool waiting;       /* did not fit its datagram's WANT: not asked yet */
	bool anyone;        /* an unknown sender's record: any member may hold it, so a
			     * re-send goes to another member (pp_want_unknown) */
};

/* A budget of signature checks on what members send unasked
 * (swim_budget.c): a token bucket in mono time. */
struct unasked {
	uint32_t tokens;    /* checks left at `at` */
	mn_ns at;           /* when the tokens were last counted */
};

struct tx_dgram {
	struct mn_addr dst;
	uint16_t len;
	uint8_t buf[SWIM_MTU];
	uint32_t to;        /* the member it is for, or NONE (swim_poll_tx_to) */
};

/* A member's seal keys, computed once (direct-mapped by member index). */
struct key_cache {
	uint32_t member;
	struct seal_keys k;
};

/* Revocation tombstones, kept forever (swim_tomb.c): slots in arrival
 * order; the valid (not void) ones also by ascending id, with prefix XORs
 * so any id range's count and hash take two binary searches, and by target
 * key id. */
enum tomb_flags {
	T_ADMIN = 0x01,     /* signed by an admin, not the root */
	T_EFFECTIVE = 0x02, /* refuses its target (root; admin once seen in scope) */
	T_APPLIED = 0x04,   /* the target's members were dropped */
	T_VOID = 0x08,      /* a free slot: out of scope, or its admin was revoked */
};

struct tomb {
	uint64_t id;                     /* SipHash(digest_key, 't' || bytes): the digest key */
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
	uint32_t nvalid, pending;   /* not void; admin ones not (yet) effective */
	struct tomb_ord *ord;       /* the valid ones by ascending id */
	uint64_t *prefix_xor;       /* prefix_xor[k] = XOR of ord[0 .. k).id */
	struct oatab by_target;     /* slots by target key id */
	struct {
		uint32_t slot;
		uint32_t transmits;
	} tx[SWIM_MAX_TOMB_BCAST];  /* queued for piggybacking */
	uint32_t ntx;
	bool due;                   /* effective ones to apply (deferred inside swim_recv) */
	struct rec_revoked revoked; /* what swim checks: this table, then the caller's hook */
	const struct rec_revoked *user_revoked;
};

/* Trust at join (swim_trust.c): the keys chains name in a role other than
 * node key (invite keys with the admissions held under each, admin keys),
 * and the members by overlay IPv4. Members with M_LOST are in neither
 * count. Node keys are the member index's. */
enum key_role {
	KEY_INVITE = 0x01,          /* an invite key of a record we took */
	KEY_ADMIN = 0x02,           /* granted by the root: any verified grant we saw */
};

struct key_use {
	uint8_t pk[REC_PK_LEN];
	uint8_t issuer[REC_PK_LEN]; /* an invite key's signer: its admin key, zero: the root */
	uint32_t count;             /* members held admitted under it (an invite key) */
	uint16_t max;               /* its use limit (the lowest seen under the key) */
	uint8_t roles;              /* KEY_* */
};

struct trust {
	struct oatab by_ip;         /* member indices by overlay IPv4 */
	uint32_t nip;               /* entries in by_ip */
	struct key_use *keys;       /* one entry per invite or admin key seen, never freed
				     * (each signed by the root or an admin: bounded by
				     * what they issued) */
	uint32_t nkeys, keys_cap;
	struct oatab key_index;     /* keys entries by key id */
	bool due;                   /* M_LOST members to remove (deferred inside swim_recv) */
	uint32_t lost;              /* SWIM_LOST_*: races our own admission lost */
};

/* Records kept until their member admitter is held (swim_orphan.c): slots
 * linked in the order they were kept (oldest first), indexed by node key
 * id. The slots are allocated with the first orphan and freed once none is
 * left. */
#define ORPHAN_NIL UINT16_MAX
_Static_assert(SWIM_ORPHANS_MAX < ORPHAN_NIL, "orphan slots fit uint16_t");

struct orphan {
	const struct swim_rec *rec; /* a store reference; NULL: a free slot */
	mn_ns at;                   /* when it was kept: the list is in this order */
	struct waddr addr;          /* where to reach it (family 0: not known) */
	const struct annblob *ann;  /* its announcement, verified (a reference), or NULL */
	uint16_t prev, next;        /* the list; a free slot's next links the free list */
	bool announce;              /* learned, not restored: announced when adopted */
};

struct orphans {
	struct orphan *o;           /* SWIM_ORPHANS_MAX slots, or NULL */
	struct oatab by_id;         /* slots by node key id */
	uint32_t n;                 /* held */
	uint16_t head, tail, free;  /* oldest, newest, a free slot (ORPHAN_NIL: none) */
	bool adopting;              /* orphan_adopt is running: no nested adoption */
	const struct swim_rec *kept;/* what the last member_learn_at kept, or NULL */
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

	/* members: index 0 is ourselves; slots of removed members are free
	 * and reused (swim_member.c, "slots") */
	struct member *m;
	uint32_t n, cap;            /* slots used (free ones included), allocated */
	uint32_t max_members;       /* swim_config.max_members: n stays within it */
	uint32_t slot_free;         /* the last slot freed, or NONE: a list through leaf_next */
	struct oatab index;         /* member indices by key id */
	uint32_t npresent, nalive, nsuspect, ndead; /* present: not removed */

	/* digest tree leaves and the view digest */
	uint8_t digest_key[crypto_shorthash_KEYBYTES];
	uint32_t leaf_bits;
	uint64_t *leaf_hash;
	uint32_t *leaf_count;
	uint32_t *leaf_head;
	uint64_t view;
	uint64_t view_seen;         /* the view when view_at was taken (view_note) */
	mn_ns view_at;              /* when we last saw our view change */
	uint32_t probe_again;       /* our next probe target, before the round-robin, or NONE */
	uint32_t pp_view;           /* a member whose settled view differs from ours, or NONE
				     * (GONE: removed since; the push-pull still comes) */
	mn_ns view_pp_at;           /* one last brought a push-pull forward */
	bool view_pp;               /* ... at all */

	uint8_t tok_key[crypto_shorthash_KEYBYTES]; /* secret */

	/* dissemination queue: slots, and their order (fewest sent, newest first) */
	struct update *queue;
	uint32_t queue_cap;         /* slots allocated */
	uint16_t *queue_order;
	uint32_t nqueued;
	uint32_t queue_free_hint;
	uint64_t queue_seq;

	/* suspicions: pool with a free list, and a min-heap on deadline */
	struct susp *susps;
	uint32_t susp_cap, susp_free;
	uint32_t *heap;
	uint32_t heap_n;

	struct probe probe;
	/* the round-robin probe order, a permutation redrawn every pass:
	 * member 1 + (perm_mul * perm_pos + perm_add) % perm_size */
	uint32_t perm_pos, perm_size, perm_mul, perm_add;
	uint32_t seq;
	uint32_t health;
	mn_ns next_probe, next_gossip, next_pp, next_dead;
	uint32_t last_from;     /* the member whose sealed datagram we opened last, or NONE
				 * (GONE: removed since) */
	mn_ns unknown_at;       /* pp_want_unknown: this probe interval's start */
	uint32_t unknown_n;     /* and the ids asked for in it */
	mn_ns reprove_at;       /* swim_local_addr_changed: the next round, or MN_NEVER */
	uint8_t reprove_left;   /* rounds still to send */
	bool reprove_lead;      /* a restart's rounds: our own alive leads each ping */
	struct ann *anns;       /* SWIM_MAX_ANNS, allocated at the first announcement */
	uint32_t ann_ntx;       /* those still passed on */
	struct annpool *annpool; /* cfg->anns, or our own (annpool_own) */
	bool annpool_own;
	const struct annblob **held; /* per member slot: its newest announcement
				      * verified (handed on with its record), or NULL */
	uint32_t held_cap;
	struct rec_key sign;    /* secret: our node key, for our announcements */
	struct waddr own_addrs[SWIM_ANN_ADDRS]; /* swim_set_local_addrs: where we are */
	uint8_t own_naddrs;
	uint64_t own_seq_seen;  /* the newest announcement of ours heard (an earlier boot's) */
	mn_ns announce_until;   /* a newcomer's HELLOs to every member (probe_announce), or 0 */
	mn_ns announce_at;      /* and its next batch */
	uint32_t pp_rounds;
	bool heard;        /* a member spoke to us this boot: it holds our record */
	bool pp_synced;    /* the join sync is done (swim.c, "push-pull") */
	mn_ns pp_planned;  /* the push-pull after the join sync, as drawn */
	uint8_t pp_more;   /* a newcomer's push-pulls still to run soon after its join sync
			    * (set by swim_announce) */

	struct relay relay[SWIM_MAX_RELAY];
	struct want wants[SWIM_MAX_WANTS];
	uint64_t want_ids[SWIM_WANT_BATCH];
	uint32_t nwant;
	mn_ns want_next;            /* no want is due before this (MN_NEVER: none) */
	uint32_t pp_back;           /* a member back from the dead since our last push-pull, or NONE
				     * (GONE: removed since; the push-pull still comes) */
	mn_ns pp_back_at;           /* when a push-pull was last brought forward for one */
	bool want_lost;             /* a request gave way in a full table, or was given up:
				     * a push-pull soon finds what it asked for again */

	struct tx_dgram *tx;
	uint32_t tx_head, tx_n, tx_cap;

	struct key_cache keycache[SWIM_KEYCACHE]; /* secret */

	/* HELLO verification budget: a token bucket in mono time */
	uint32_t hello_tokens;
	mn_ns hello_at;
	mn_ns hello_sent_at;        /* when we last sent a HELLO */
	/* the members' budgets of checks on what they send unasked,
	 * direct-mapped by member index (swim_budget.c) */
	struct unasked unasked[SWIM_UNASKED_SLOTS];
	/* the last SWIM_ASKED_MAX ids our WANTs named, and whom each asked
	 * (NONE: answered): its answer is free (swim_budget.c) */
	uint64_t asked_id[SWIM_ASKED_MAX];
	uint32_t asked_to[SWIM_ASKED_MAX];
	uint32_t asked_next;

	/* Inside swim_recv: accusations of ourselves are gathered and refuted
	 * once, at the highest, when the datagram is done (dissem_refute_flush). */
	bool in_rx;
	bool refute_accused;
	uint64_t refute_inc;        /* highest incarnation to refute, + 1; 0: none */
	bool jumped;                /* refuted a claim above our own incarnation at jump_at */
	mn_ns jump_at;
	uint8_t rise_tokens;        /* rises of our incarnation allowed now (dissem_refute): */
	mn_ns rise_at;              /* SWIM_INC_RISE_BURST, one back per probe interval since */
	bool refute_later;          /* an accusation at our own with none left: refuted */
	bool refute_later_accused;  /* when one is back (swim_on_timer) */

	/* Buddy GOSSIPs sent, direct-mapped by member: one per member per
	 * probe interval (a collision only allows an extra one). */
	struct {
		uint32_t member;
		mn_ns at;
	} buddy[BUDDY_SLOTS];

	struct tombs tombs;

	uint64_t stats[SWIM_STAT__COUNT];

	struct trust trust;
	struct orphans orphans;
	/* the node core's hooks (swim_node.c) */
	void (*addr_changed)(void *ctx, const struct swim_addr_change *c);
	int (*control)(void *ctx, const struct swim_control *msg, struct mn_time now);
	void *hook_ctx;
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

/* Whom probe_pick draws: see pick_ok in swim_probe.c. */
enum pick_kind { PICK_ALIVE, PICK_GOSSIP, PICK_DEAD };

/* A reply that may span several datagrams (when the requester proved its
 * address) or must fit the request's size (when it did not). */
struct pp_reply {
	struct out o;
	uint32_t sent, burst;
	size_t cap;
	bool full;
};

/* The hash and count of the ids in a digest range (members or tombstones). */
typedef void (*pp_sum_fn)(const void *ctx, uint32_t bits, uint64_t prefix, uint64_t *hash,
			  uint32_t *count);

/* ---- small helpers ---- */

static inline uint32_t rnd(struct swim *s, uint32_t n)
{
	return n ? mn_rng_uniform(&s->rng, n) : 0;
}

/* Uniform in [0, span), at millisecond resolution (as the probe phase). */
static inline mn_ns rnd_span(struct swim *s, mn_ns span)
{
	mn_ns ms = span / MN_NS_PER_MS;

	return (mn_ns)rnd(s, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms) * MN_NS_PER_MS;
}

/* One period of a periodic timer: interval +-JITTER_PCT, uniform (mean
 * interval), so timers that started in phase drift apart. */
static inline mn_ns rnd_period(struct swim *s, mn_ns interval)
{
	mn_ns j = interval / 100 * JITTER_PCT;

	return interval - j + rnd_span(s, 2 * j + MN_NS_PER_MS);
}

/* Member i's key id: its index key, digest id and seal address. */
static inline uint64_t member_id(const struct swim *s, uint32_t i)
{
	return seal_key_id(s->m[i].rec->pk);
}

/* Not a free slot (a removed member's, until the next member added takes
 * it); not about liveness. */
static inline bool present(const struct member *m)
{
	return m->state != ST_REMOVED;
}

static inline void bump(struct swim *s, enum swim_stat st, uint64_t d)
{
	s->stats[st] += d;
}

/* SipHash-2-4 (crypto_shorthash) of in under key, as a little-endian u64:
 * digest entries, tombstone ids, address tokens. */
static inline uint64_t sip(const uint8_t key[crypto_shorthash_KEYBYTES], const uint8_t *in,
			   size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, in, len, key);
	return mn_get_le64(h);
}

/* The mask of an id prefix of bits bits (0..64). */
static inline uint64_t prefix_mask(uint32_t bits)
{
	return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX : ~(UINT64_MAX >> bits);
}

/* ---- swim_node.c ---- */

/* Set member i's address to w (direct: seen on its own traffic there and
 * proven, which marks it M_ADDR_DIRECT) and, when the address changed or
 * just became direct, tell the node core (swim_config.addr_changed). Every
 * write of a member's address goes here. */
void hook_addr_put(struct swim *s, uint32_t i, const struct waddr *w, bool direct);
void hook_addr_announced(struct swim *s, uint32_t i, const struct waddr *w);
/* A sealed datagram of a type swim does not own, from member i, opened into
 * pt[0 .. ptlen): to the control hook. */
int hook_control_in(struct swim *s, uint32_t i, const struct mn_addr *from, uint8_t type,
		    const uint8_t *pt, size_t ptlen, struct mn_time now);

/* ---- swim_scale.c ---- */

uint32_t scale_n(const struct swim *s);
uint32_t scale_k(const struct swim_params *p, uint32_t n);
mn_ns scale_timeout(const struct swim_params *p, uint32_t n, uint32_t c);
uint32_t scale_retransmit(const struct swim_params *p, uint32_t n);
mn_ns scale_pushpull(const struct swim_params *p, uint32_t n);

/* ---- swim_member.c ---- */

void member_emit(struct swim *s, enum swim_event_kind kind, uint32_t i);
uint32_t member_find(const struct swim *s, uint64_t id);
uint32_t member_find_pk(const struct swim *s, const uint8_t pk[REC_PK_LEN]);
void member_set_state(struct swim *s, uint32_t i, uint8_t state, uint32_t inc);
bool member_key_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN]);
bool member_rec_revoked(const struct swim *s, const struct swim_rec *r);
bool member_rec_names(const struct swim_rec *r, const uint8_t pk[REC_PK_LEN]);
bool member_rec_newer(const struct swim_rec *a, const struct swim_rec *b);
bool member_own_admitter(const struct swim *s, const struct swim_rec *r);
void member_release(struct swim *s, const struct swim_rec *r);
int member_learn(struct swim *s, const uint8_t *b, size_t len, uint32_t *out);
int member_learn_at(struct swim *s, const uint8_t *b, size_t len, const struct waddr *addr,
		    bool announce, uint32_t payer, uint32_t *out);
int member_adopt(struct swim *s, const struct swim_rec *r, const struct waddr *addr,
		 bool announce, uint32_t *out);
void member_remove(struct swim *s, uint32_t i);
void member_set_addr(struct swim *s, uint32_t i, const struct mn_addr *addr, bool direct);
void member_set_waddr(struct swim *s, uint32_t i, const struct waddr *w, bool direct);
void member_took(struct swim *s, int err, uint32_t i, const struct waddr *addr, bool announce);

/* ---- swim_digest.c ---- */

void digest_toggle(struct swim *s, uint32_t i);
void view_note(struct swim *s);
void view_put_item(struct swim *s, struct out *o);
void view_item_apply(struct swim *s, const struct rx *rx, const uint8_t *p);
void digest_link(struct swim *s, uint32_t i);
void digest_unlink(struct swim *s, uint32_t i);
int digest_resize(struct swim *s, uint32_t leaf_bits);
void digest_range_each(const struct swim *s, uint32_t bits, uint64_t prefix,
		       bool (*fn)(const struct swim *s, uint32_t i, void *ctx), void *ctx);
void digest_range_sum(const struct swim *s, uint32_t bits, uint64_t prefix, uint64_t *hash,
		      uint32_t *count);

/* ---- swim_susp.c ---- */

void susp_heap_fix(struct swim *s, uint32_t pos);
void susp_start(struct swim *s, uint32_t i, uint32_t acc, uint32_t sender);
bool susp_confirm(struct swim *s, uint32_t i, uint32_t acc, uint32_t sender);
void susp_end(struct swim *s, uint32_t i);

/* ---- swim_dissem.c ---- */

uint32_t dissem_retransmit_limit(const struct swim *s);
void dissem_drop(struct swim *s, uint32_t i);
void dissem_queue(struct swim *s, uint32_t i, uint8_t kind, uint32_t inc, uint64_t accuser);
void dissem_queue_alive(struct swim *s, uint32_t i);
void dissem_put_alive_item(struct swim *s, uint8_t *p, uint32_t i, uint32_t inc);
void dissem_piggyback(struct swim *s, struct out *o);
void dissem_refute_flush(struct swim *s);
void dissem_refute(struct swim *s, uint32_t inc, bool accused);
void dissem_bump(struct swim *s);
uint32_t dissem_rise_left(struct swim *s);
mn_ns dissem_rise_at(const struct swim *s);
void dissem_apply_alive(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			uint64_t version);
void dissem_apply_suspect(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			  uint64_t accuser);
int dissem_items_check(const uint8_t *b, size_t n);
void dissem_items_apply(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int dissem_on_gossip(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
void dissem_round(struct swim *s);

/* ---- swim_wire.c ---- */

void wire_addr_from(struct waddr *w, const struct mn_addr *a);
void wire_addr_to(const struct waddr *w, struct mn_addr *a);
void wire_addr_put(uint8_t *p, const struct waddr *w);
bool wire_addr_get(struct waddr *w, const uint8_t *p);
bool wire_hint_ok(const struct waddr *w);
const struct seal_keys *wire_keys(struct swim *s, uint32_t i);
bool wire_tok_check(const struct swim *s, uint32_t i, const struct waddr *a, uint64_t echo);
void wire_out_begin(struct swim *s, struct out *o, uint32_t i, uint8_t type, size_t dgram_cap,
		    const struct waddr *dst);
uint8_t *wire_out_put(struct out *o, size_t n);
void wire_out_pad(struct out *o, size_t dgram_len);
struct tx_dgram *wire_tx_slot(struct swim *s);
void wire_out_send(struct swim *s, struct out *o);
int wire_items_check(const uint8_t *b, size_t n, size_t off,
		     size_t (*len_of)(const uint8_t *p, size_t avail));

/* ---- swim_probe.c ---- */

mn_ns probe_interval(const struct swim *s);
mn_ns probe_timeout(const struct swim *s);
void probe_health_add(struct swim *s, uint32_t d);
void probe_health_sub(struct swim *s);
void probe_send_ping(struct swim *s, uint32_t i, uint32_t seq, size_t cap);
uint32_t probe_pick(struct swim *s, enum pick_kind k, const uint32_t *excl, uint32_t nexcl);
void probe_finish(struct swim *s, bool acked);
void probe_hello_again(struct swim *s, uint32_t i);
/* swim_local_addr_changed's rounds, and the echo of a marked member's ack. */
void probe_reprove_round(struct swim *s);
void probe_announce(struct swim *s);
void pp_want_more(struct swim *s, const struct rx *rx);
/* swim_ann.c */
void ann_piggyback(struct swim *s, struct out *o);
size_t ann_item_len(const uint8_t *p, size_t avail);
/* from: the sender, charged a check that fails (swim_budget.c) */
size_t ann_item_apply(struct swim *s, const uint8_t *p, uint32_t from);
/* An announcement of member i that came with its record (pp_on_record):
 * verified, held, followed as a gossiped one is; not passed on. */
void ann_take(struct swim *s, uint32_t i, const uint8_t *p, size_t len, uint32_t from);
/* p[len] is an announcement item of the key pk (its framing, not its
 * signature). */
bool ann_wellformed(const uint8_t *p, size_t len, const uint8_t pk[REC_PK_LEN]);
uint64_t ann_seq(const uint8_t *p);
/* Member i's held announcement's seq, 0 when none. */
uint64_t ann_held_seq(const struct swim *s, uint32_t i);
/* p[len] was verified here or by another instance sharing the pool. */
bool ann_interned(struct swim *s, const uint8_t *p, size_t len);
/* p[len] (well formed) signed by pk: its interned copy (a reference), or
 * NULL (counted in DROP_ADDR). Checked only while member from's budget
 * holds one check, charged when it fails (NONE: the caller paid). */
const struct annblob *ann_verified(struct swim *s, const uint8_t pk[REC_PK_LEN],
				   const uint8_t *p, size_t len, uint32_t from);
/* b (a verified reference, given; newer than the one held) becomes member
 * i's announcement, and moves its address as the announcement rule says. */
void ann_follow(struct swim *s, uint32_t i, const struct annblob *b);
/* Member i's held announcement (*len bytes), or NULL. */
const uint8_t *ann_held(const struct swim *s, uint32_t i, size_t *len);
/* Member slot i is emptied: its announcement goes. */
void ann_forget(struct swim *s, uint32_t i);
int ann_init(struct swim *s, struct annpool *shared);
void ann_free(struct swim *s);
void probe_reprove_ack(struct swim *s, uint32_t i);
void probe_hello_unheard(struct swim *s, uint32_t i);
void pp_want_unknown(struct swim *s, uint64_t id);
void pp_want_own(struct swim *s, uint32_t i);
void probe_start(struct swim *s);
void probe_indirect(struct swim *s);
void probe_last_call(struct swim *s, uint32_t i);
void probe_send_small(struct swim *s, uint32_t to, uint8_t type, uint32_t seq, size_t cap,
		      bool items, uint32_t about);
int probe_on_ping(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int probe_on_ack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int probe_on_ping_req(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int probe_on_nack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int probe_on_hello(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len);

/* ---- swim_pp.c ---- */

void pp_want_addr(struct swim *s, const struct rx *rx, uint64_t id);
void pp_want(struct swim *s, const struct rx *rx, uint64_t id);
void pp_flush_wants(struct swim *s, const struct rx *rx);
uint8_t *pp_reply_put(struct swim *s, struct pp_reply *w, size_t n);
void pp_put_range(uint8_t *p, uint8_t kind, uint32_t bits, uint64_t prefix, uint32_t count,
		  uint64_t hash);
void pp_put_list_hdr(uint8_t *p, uint8_t kind, uint32_t bits, uint64_t prefix, bool want_reply,
		     uint32_t n);
void pp_put_children(struct swim *s, struct pp_reply *w, uint8_t kind, uint32_t bits,
		     uint64_t prefix, pp_sum_fn sum, const void *ctx);
bool pp_range_ok(uint32_t bits, uint64_t prefix);
size_t pp_range_len(const uint8_t *p, size_t avail);
size_t pp_list_len(const uint8_t *p, size_t avail, size_t entry_len, uint32_t max_n);
int pp_on_pushpull(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
void pp_start(struct swim *s);
int pp_on_want(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
int pp_on_record(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);
void pp_want_retry(struct swim *s);

/* ---- swim_trust.c ---- */

int trust_init(struct swim *s);
void trust_free(struct swim *s);
bool trust_roles_clash(const struct swim *s, const uint8_t node[REC_PK_LEN],
		       const uint8_t invite[REC_PK_LEN], const uint8_t *admin);
int trust_roles(struct swim *s, const struct swim_rec *r);
int trust_tomb_roles(struct swim *s, const struct rec_revoke *t);
int trust_admit(struct swim *s, const struct swim_rec *r);
void trust_add(struct swim *s, uint32_t i);
void trust_del(struct swim *s, uint32_t i);
void trust_flush(struct swim *s);

/* ---- swim_tomb.c ---- */

void tomb_init(struct swim *s, const struct rec_revoked *user);
void tomb_free(struct swim *s);
void tomb_flush(struct swim *s);
void tomb_settle(struct swim *s, const struct swim_rec *r);
void tomb_admin_known(struct swim *s, const uint8_t pk[REC_PK_LEN]);
void tomb_piggyback(struct swim *s, struct out *o);
size_t tomb_item_len(const uint8_t *p, size_t avail);
size_t tomb_item_apply(struct swim *s, const uint8_t *p, uint32_t from);
bool tomb_pp_kind(uint8_t kind);
size_t tomb_pp_len(const uint8_t *p, size_t avail);
size_t tomb_pp(struct swim *s, struct pp_reply *w, const uint8_t *p, uint32_t from,
	       uint32_t *work);
void tomb_pp_open(struct swim *s, struct out *o);

/* ---- swim_budget.c ---- */

void budget_init(struct swim *s);
void budget_asked(struct swim *s, uint64_t id, uint32_t to);
bool budget_answer(struct swim *s, uint64_t id, uint32_t from);
bool budget_holds(struct swim *s, uint32_t i, uint32_t checks);
void budget_charge(struct swim *s, uint32_t i, uint32_t checks);
bool budget_take(struct swim *s, uint32_t i, uint32_t checks);

/* ---- swim_orphan.c ---- */

void orphan_free(struct swim *s);
void orphan_keep(struct swim *s, const struct swim_rec *r, const struct waddr *addr,
		 bool announce);
void orphan_keep_ann(struct swim *s, const uint8_t *p, size_t len, uint32_t from);
bool orphan_held(const struct swim *s, uint64_t id);
void orphan_adopt(struct swim *s);
void orphan_drop_key(struct swim *s, const uint8_t pk[REC_PK_LEN]);
void orphan_expire(struct swim *s);

#endif
