/* swim.h - membership liveness and dissemination: SWIM with Lifeguard, a
 * sans-I/O core (DESIGN.md §1, §5; doc/gossip.md has the wire formats,
 * timers and parameters).
 *
 * What it does:
 *   - failure detection: each probe period, ping the next member of a
 *     shuffled round-robin order; no ack within the probe timeout -> ask k
 *     others to ping it (ping-req), who answer ack or, Lifeguard, nack; no
 *     ack by the end of the period -> suspect it. A suspicion becomes a death
 *     after a timeout that shrinks, between log-scaled bounds, as independent
 *     confirmations arrive; the suspect refutes with a higher incarnation.
 *     Lifeguard's local health score stretches our own probe interval and
 *     timeout when we miss acks or nacks, and a suspect hears of its
 *     suspicion directly (buddy system).
 *   - dissemination: alive/suspect/dead updates ride on every message
 *     (fewest-sent first, each at most retransmit_mult * ceil(log10(N+1))
 *     times), plus a fan-out to a few random members every gossip interval.
 *     Record versions ride on alive updates; a member that sees a newer
 *     version asks the sender for the record (WANT -> RECORD).
 *   - anti-entropy: periodic push-pull with a random member over a hashed
 *     digest tree (16-way prefixes of the key id), descending only where the
 *     hashes differ, then exchanging entries (id, version, incarnation,
 *     state) and fetching missing or newer records. Every message fits 1200
 *     bytes.
 *   - dead members stay members and keep being probed at a slow per-node
 *     rate (dead_probe_interval_ns), so partitions of hours heal on their own.
 *   - revocation: signed tombstones (record.h) are verified, kept forever in
 *     a table of their own, piggybacked like updates and reconciled by
 *     push-pull over a second digest (of tombstone ids); an effective one
 *     drops its key in every role (swim_revoke).
 *
 * Liveness (alive/suspect/dead, incarnations) is soft state kept here;
 * membership is the signed records of gossip/record.h, verified before use
 * and never dropped because a member is down.
 *
 * Sans-I/O: no clock, no sockets, no RNG of its own, no globals. The driver
 *   feeds datagrams     swim_recv(s, from, buf, len, now)
 *   fires timers        swim_on_timer(s, now) when swim_next_deadline(s) passed
 *   drains output       swim_poll_tx(s, buf, cap, &len, &dst) until it returns 0
 * after every call that may send (recv, on_timer, learn, publish, revoke).
 * now.mono drives every timer (it need not start at zero, and may wrap:
 * instants are only compared with mn_time.h's wrap-safe helpers); now.wall
 * is not read (seal counters start from the persisted boot number, cfg->boot).
 *
 * Security (doc/gossip.md §9): every datagram is sealed per pair
 * (gossip/seal.h); a datagram from a non-member costs one hash lookup and a
 * drop; records are verified with rec_member_verify() before use; a received
 * "dead" is only a suspicion (one accuser never evicts); incarnation jumps
 * by third parties are bounded; a reply is never larger than its request
 * unless the requester echoed an address token we sent to that address.
 * The one unsealed message, HELLO (a member's own signed record, sent once
 * to a member that never spoke to us after a probe of it failed), is
 * verified under a budget of SWIM_HELLO_PER_SEC; what a member makes us
 * verify that we did not ask for (records sent unasked, forged tombstones
 * and announcements) under a budget per member (SWIM_UNASKED_*).
 *
 * Memory (10,000 nodes x 10,000 members must fit): per member 88 bytes in
 * the table plus 8-16 bytes of index and 8-16 of the overlay IPv4
 * index (swim_trust.c); a removed member's slot is reused by the next
 * member added, so the table is as large as the most members held at
 * once (at most swim_config.max_members); record bytes are NOT copied per
 * node: a member holds a pointer to a struct swim_rec owned by a record
 * store (struct swim_store) that the caller supplies and may share between
 * any number of swim instances of one network (the simulator interns each
 * distinct record once per run; see gossip/rtab.h). Suspicions, queued
 * updates and output datagrams live in small bounded pools; tombstones
 * (about 330 bytes each) in a table grown on demand up to SWIM_MAX_TOMBS;
 * orphans in a pool of SWIM_ORPHANS_MAX slots (about 14 KB) allocated only
 * while one is held.
 *
 * Ownership: the swim instance owns its tables; it holds one store
 * reference per member record and per orphan (released on replacement,
 * removal, adoption or drop, and swim_del). Buffers passed in stay the caller's. net, the store, memo,
 * revoked and seal_memo are borrowed and must outlive the instance.
 * Not thread-safe; callbacks run synchronously inside the calls above and
 * must not call back into the same instance.
 *
 * Errors:
 *   MN_EINVAL    bad parameters or arguments
 *   MN_ENOKEY    datagram from a sender that is not a member
 *   MN_EBUSY     HELLO over its verification budget
 *   MN_ENOMEM    allocation failed (state unchanged)
 *   MN_EPROTO    malformed record or datagram
 *   MN_EAUTH     record or datagram fails authentication; or a newer version
 *                of a member's record whose invite and admission differ from
 *                those of the version held (admissions are pinned); or a
 *                record or tombstone naming a key in a second role
 *                (doc/membership.md "One key, one role")
 *   MN_EREVOKED  a key in the record's chain is revoked
 *   MN_ENOENT    unknown member; or a member-admitted record whose admitter
 *                is not (yet) a member: not a member now, but kept as an
 *                orphan and adopted when the admitter arrives (see
 *                swim_learn)
 *   MN_EEXIST    the record is not newer than the one held
 *   MN_EFULL     the member table is full (swim_config.max_members members
 *                held at once, ourselves included); or the record's invite is used
 *                up and its admission lost the race (doc/membership.md
 *                "Trust at join"; MN_EAUTH also covers an admitter's own
 *                invite, MN_ERANGE an IPv4 held by another member)
 *   MN_EREPLAY   replayed datagram
 *   MN_EMSGSIZE  poll_tx buffer too small (the datagram is dropped)
 */
#ifndef GOSSIP_SWIM_H
#define GOSSIP_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"
#include "record.h"
#include "seal.h"

/* Limits: everything bounded (STYLE.md). */
enum swim_limits {
	SWIM_MTU = 1200,              /* every datagram we send fits this */
	SWIM_MAX_MEMBERS = 1 << 17,
	SWIM_MAX_BCAST = 1024,        /* queued dissemination updates */
	SWIM_MAX_TXQ = 256,           /* output datagrams awaiting poll_tx */
	SWIM_MAX_INDIRECT = 8,        /* ping-req helpers per probe */
	SWIM_MAX_RELAY = 32,          /* ping-reqs we serve at once */
	SWIM_MAX_WANTS = 64,          /* records being fetched at once */
	SWIM_WANT_BATCH = 32,         /* ids per WANT message */
	SWIM_UNKNOWN_WANTS = 4,       /* unknown senders' records asked for per probe interval */
	SWIM_MAX_CONFIRM = 4,         /* Lifeguard K is capped here */
	SWIM_PP_LIST_MAX = 24,        /* entries listed per digest range */
	SWIM_PP_BURST = 8,            /* datagrams per push-pull reply */
	SWIM_RECORD_BURST = 16,       /* datagrams per WANT reply (proven requester only) */
	SWIM_KEYCACHE = 64,           /* pair keys cached (direct-mapped) */
	SWIM_PING_PAD = 512,          /* pings to an unproven address are padded to this */
	SWIM_PROBE_SCAN = 256,        /* members skipped looking for a probe target */
	SWIM_PICK_TRIES = 32,         /* random draws looking for a gossip target */
	SWIM_INC_JUMP_DEFAULT = 1024,
	SWIM_INC_RISE_BURST = 4,      /* our incarnation's rises at once; one more per probe interval */
	SWIM_HELLO_PER_SEC = 10,      /* unknown-sender HELLOs verified per second */
	SWIM_HELLO_BURST = 20,
	SWIM_UNASKED_PER_IV = 5,      /* signature checks a member may make us run unasked per
				       * probe interval (one admin-chain record) */
	SWIM_UNASKED_BURST = 10,      /* ... at once (two records: one RECORD datagram) */
	SWIM_UNASKED_SLOTS = 64,      /* those budgets, direct-mapped by member index */
	SWIM_ASKED_MAX = 256,         /* ids our WANTs named lately, whose RECORDs are free */
	SWIM_ANNOUNCE_BATCH = 16,     /* a newcomer's HELLOs per gossip interval (probe_announce) */
	SWIM_ANNOUNCE_IVS = 4,        /* for this many probe intervals after the join */
	SWIM_MAX_ANNS = 64,           /* address announcements held (swim_ann.c) */
	SWIM_JOIN_SYNC_MORE = 3,      /* a newcomer's push-pulls after its join sync, a probe
				       * interval apart, each with another random member */
	SWIM_REPROVE_ROUNDS = 3,      /* re-proving pings after a move or a restart: to every
				       * member, then to those that did not ack (probe_reprove_round) */
	SWIM_JOIN_SYNC_BACKOFF = 4,   /* an unanswered join sync again after 1, 2 .. 16 probe intervals */
	SWIM_MAX_TOMBS = 4096,        /* tombstones kept (forever); more are refused */
	SWIM_TOMB_ROOT_RESERVE = 512, /* of them only the root's may use */
	SWIM_TOMB_PENDING_MAX = 16,   /* pending tombstones (no record names the target yet) per admin */
	SWIM_MAX_TOMB_BCAST = 64,     /* tombstones queued for piggybacking */
	SWIM_TOMB_PER_MSG = 2,        /* tombstones piggybacked per message */
	SWIM_TLIST_MAX = 32,          /* tombstone ids listed per digest range */
	SWIM_ORPHANS_MAX = 256,       /* records kept until their admitter is held */
};

/* Message types (the seal header's type byte). */
enum swim_msg {
	SWIM_T_PING = 0x10,
	SWIM_T_ACK = 0x11,
	SWIM_T_PING_REQ = 0x12,
	SWIM_T_NACK = 0x13,
	SWIM_T_GOSSIP = 0x14,
	SWIM_T_PP = 0x15,
	SWIM_T_WANT = 0x16,
	SWIM_T_RECORD = 0x17,
	SWIM_T__FIRST = SWIM_T_PING,
	SWIM_T__LAST = SWIM_T_RECORD,
	/* The one unsealed message: magic, version, type, from id, to id, then
	 * the sender's signed record (self-certifying, verified, rate-limited). */
	SWIM_T_HELLO = 0x1f,
};

/* Item kinds inside messages; 0 is padding (ends the item list). */
enum swim_item {
	SWIM_I_PAD = 0,
	SWIM_I_ALIVE = 1,
	SWIM_I_SUSPECT = 2,
	SWIM_I_DEAD = 3,
	SWIM_I_REVOKE = 4,    /* a tombstone: in update lists and in push-pull */
	SWIM_I_ADDR = 5,      /* a member's signed address announcement (swim_ann.c) */
	SWIM_I_VIEW = 6,      /* our view digest, settled (in ACKs: swim_digest.c) */
	SWIM_I_RANGE = 0x21,
	SWIM_I_LIST = 0x22,
	SWIM_I_TRANGE = 0x23, /* a range of tombstone ids (push-pull) */
	SWIM_I_TLIST = 0x24,  /* the tombstone ids in a range (push-pull) */
};

/* Wire sizes (doc/gossip.md). */
enum swim_sizes {
	SWIM_ADDR_LEN = 19,           /* family, 16 address bytes, port */
	SWIM_BODY_HDR = 16,           /* token, echo */
	SWIM_ITEM_ALIVE_LEN = 1 + 8 + 4 + 8, /* 21 */
	SWIM_ITEM_SUSPECT_LEN = 1 + 8 + 4 + 8,               /* 21 */
	SWIM_ITEM_RANGE_LEN = 1 + 1 + 8 + 2 + 8,             /* 20 */
	SWIM_ITEM_LIST_HDR = 1 + 1 + 8 + 1 + 1,              /* 12 */
	SWIM_ENTRY_LEN = 8 + 8 + 4 + 1,                      /* 21 */
	SWIM_ITEM_REVOKE_HDR = 1 + 2,                        /* then the tombstone */
	SWIM_ANN_ADDRS = 4,                                  /* addresses per list of an announcement */
	SWIM_ITEM_ADDR_HDR = 1 + 8 + 8 + 1 + 1,              /* kind, id, seq, counts: 19 */
	SWIM_ITEM_ADDR_MAX = SWIM_ITEM_ADDR_HDR + 2 * SWIM_ANN_ADDRS * SWIM_ADDR_LEN + 64, /* 235 */
	SWIM_ITEM_TLIST_HDR = 1 + 1 + 8 + 1 + 1,             /* 12, then 8 per id */
	SWIM_ITEM_VIEW_LEN = 1 + 8,                          /* kind, view digest: 9 */
	SWIM_PING_LEN = SEAL_OVERHEAD + SWIM_BODY_HDR + 5,   /* 81 */
	SWIM_ACK_LEN = SEAL_OVERHEAD + SWIM_BODY_HDR + 4,    /* 80 */
	SWIM_PING_REQ_LEN = SEAL_OVERHEAD + SWIM_BODY_HDR + 12, /* 88 */
	SWIM_PT_MAX = SWIM_MTU - SEAL_OVERHEAD,              /* 1140 */
	SWIM_HELLO_HDR = SEAL_O_NONCE,                       /* 20 */
	SWIM_HELLO_ANN_LEN = SWIM_HELLO_HDR,                 /* its announcement's length */
	SWIM_HELLO_ANN = SWIM_HELLO_HDR + 1,                 /* the announcement, then the record */
};

enum swim_state {
	SWIM_ALIVE = 1,
	SWIM_SUSPECT = 2,
	SWIM_DEAD = 3,
};

/* Parameters. Times in nanoseconds (mono). Values that scale with the
 * member count N are computed from these (doc/gossip.md):
 *   suspicion min = max(floor, suspicion_mult * max(1, log10 N) * probe_interval)
 *   suspicion max = suspicion_max_mult * min
 *   confirmations wanted K = suspicion_mult - 2 (0 when N - 2 < K), <= SWIM_MAX_CONFIRM
 *   retransmit limit = retransmit_mult * ceil(log10(N + 1))
 *   push-pull interval = pushpull_interval * (N <= 32 ? 1 : ceil(log2 N) - 4) */
struct swim_params {
	mn_ns probe_interval_ns;
	mn_ns probe_timeout_ns;
	uint32_t indirect_checks;
	uint32_t retransmit_mult;
	uint32_t suspicion_mult;
	uint32_t suspicion_max_mult;
	mn_ns suspicion_floor_ns;     /* ours: >= a relay client's re-homing time */
	uint32_t awareness_max;       /* Lifeguard S: score in [0, S - 1] */
	mn_ns gossip_interval_ns;
	uint32_t gossip_nodes;
	mn_ns gossip_to_dead_ns;
	mn_ns pushpull_interval_ns;   /* 0 disables push-pull */
	uint32_t pushpull_dead_one_in;/* ours: 1 push-pull in this many goes to a dead member (0: never) */
	mn_ns dead_probe_interval_ns; /* ours: probe one random dead member this often (0: never) */
	uint32_t inc_jump_max;        /* ours: largest incarnation jump accepted from a third party */
};

/* The values that scale with the member count n (n includes ourselves). */
struct swim_scaled {
	mn_ns susp_min_ns;       /* K confirmations reached */
	mn_ns susp_max_ns;       /* no confirmation */
	uint32_t k;              /* confirmations wanted */
	mn_ns susp_timeout_ns[SWIM_MAX_CONFIRM + 1]; /* with c = 0 .. confirmations */
	uint32_t retransmit_limit;
	mn_ns pushpull_interval_ns;
};
void swim_scale(const struct swim_params *p, uint32_t n, struct swim_scaled *out);

/* memberlist's DefaultLANConfig / DefaultWANConfig plus our additions. */
void swim_params_lan(struct swim_params *p);
void swim_params_wan(struct swim_params *p);
/* MN_EINVAL for zero intervals, timeout >= interval, counts out of range. */
int swim_params_check(const struct swim_params *p);

/* ---- records, shared ---- */

/* One verified member record, interned by a store. Immutable once returned
 * by the store except `user` and `store_ref` (the store's). */
struct swim_rec {
	uint8_t pk[REC_PK_LEN];          /* the node key */
	uint8_t invite_pk[REC_PK_LEN];
	uint8_t admitter_pk[REC_PK_LEN];
	uint8_t admin_pk[REC_PK_LEN];    /* all zero: root-issued invite */
	/* pk converted to X25519 once, when the record is interned, so sealing
	 * to the member never converts again (all zero: it does not convert) */
	uint8_t xpk[SEAL_KEY_LEN];
	uint64_t version;
	uint64_t user;                   /* free for the store's owner (the simulator: node id) */
	uint32_t store_ref;              /* the store's own bookkeeping */
	uint8_t admitter_kind;           /* enum rec_signer */
	uint8_t flags;                   /* the record's REC_MEM_* */
	uint16_t len;
	uint16_t chain_len;              /* invite + admission: bytes[2 .. 2 + chain_len) */
	uint8_t bytes[];                 /* the canonical encoding, len bytes */
};

/* A new swim_rec (calloc'd; the caller frees it) holding the encoding
 * b[len] of the decoded record m, its fields filled from m and its key
 * converted to X25519 (xpk; zero if it does not convert); user and
 * store_ref are zero. NULL when out of memory or len > UINT16_MAX. */
struct swim_rec *swim_rec_new(const uint8_t *b, size_t len, const struct rec_member *m);

/* Where record bytes live. Every record a swim instance uses comes from
 * find or add; each returned pointer is a reference the instance later gives
 * back with release (exactly once). The store must return the same record
 * only for exactly the same bytes.
 *   find    the record with exactly these bytes if the store holds it AND it
 *           was verified (by swim, against the same network) when added;
 *           NULL otherwise (may be NULL: always verify).
 *   add     copy a record swim has just verified; NULL on allocation failure.
 *   release drop a reference (may be NULL: records live as long as the store).
 * A NULL store in swim_config means private copies (malloc per record). */
struct swim_store {
	const struct swim_rec *(*find)(void *ctx, const uint8_t *bytes, size_t len);
	const struct swim_rec *(*add)(void *ctx, const uint8_t *bytes, size_t len,
				      const struct rec_member *m);
	void (*release)(void *ctx, const struct swim_rec *r);
	void *ctx;
};

/* ---- events ---- */

enum swim_event_kind {
	SWIM_EV_ALIVE,    /* a suspect or dead member is alive again */
	SWIM_EV_SUSPECT,  /* we now suspect the member */
	SWIM_EV_DEAD,     /* we declared the member dead */
	SWIM_EV_RECORD,   /* a new member or a newer record was adopted: persist it */
	SWIM_EV_SELF_INC, /* our own incarnation changed: persist it */
	SWIM_EV_REMOVED,  /* swim_remove() dropped the member */
	SWIM_EV_BOOT,     /* from swim_new: this boot's number (ev->boot); persist it
			   * durably before the first swim_poll_tx (seal counters) */
	SWIM_EV_REVOKED,  /* a tombstone was added to the table (ev->tomb): persist it
			   * (STORE_REVOKED; putting it again is harmless). ev->rec is
			   * the target's record while it is a member, else NULL. */
};

struct swim_event {
	enum swim_event_kind kind;
	const struct swim_rec *rec; /* the subject's record (ours for SELF_INC) */
	uint32_t inc;
	uint32_t boot;              /* this boot's number (every event) */
	mn_ns at;
	const uint8_t *tomb;        /* SWIM_EV_REVOKED: the tombstone's canonical bytes, */
	size_t tomb_len;            /* valid during the callback; NULL / 0 otherwise */
	bool first;                 /* SWIM_EV_RECORD: the member is new to this instance
				     * (learned, restored, or back after a removal); false:
				     * a newer version of a member it holds */
};

/* ---- for the node core: addresses and the open control channel ----
 *
 * The node core (node/) runs swim beside the WireGuard core on one UDP port
 * and one sealed channel per pair of members. */

/* A member's address changed, or became direct (swim_config.addr_changed).
 * Every change is told, whatever its source: a learned or restored record's
 * address, a third party's hint, the member's own traffic, swim_set_addr. */
struct swim_addr_change {
	const struct swim_rec *rec; /* the member (borrowed, during the call) */
	struct mn_addr addr;        /* its new address */
	bool direct;                /* seen on its own traffic at an address it proved it
				     * receives on (an echoed token), or set by
				     * swim_set_addr; false: a hint (learned, gossiped) */
	bool announced;             /* the member's own signed announcement moved it
				     * (swim_set_local_addrs): as strong as direct */
	mn_ns at;
};

/* swim owns the sealed message types SWIM_T_OWN_FIRST .. SWIM_T_OWN_LAST
 * (those above and the ones it may add); every other type is open to the
 * layer above: swim authenticates it as its own (the sender a member, the
 * pair's keys and replay window, the receiver us) and hands the opened
 * payload to swim_config.control instead of dropping it. Without a control
 * hook such datagrams are dropped (DROP_MALFORMED) as before. */
enum {
	SWIM_T_OWN_FIRST = 0x10,
	SWIM_T_OWN_LAST = 0x1f,
};

struct swim_control {
	const struct swim_rec *from; /* the sender's record (borrowed, during the call) */
	struct mn_addr src;          /* where the datagram came from */
	uint8_t type;                /* not swim's own */
	const uint8_t *pt;           /* the opened payload, valid during the call */
	size_t len;
};

/* True for the sealed types swim owns. */
static inline bool swim_type_own(uint8_t type)
{
	return type >= SWIM_T_OWN_FIRST && type <= SWIM_T_OWN_LAST;
}

/* ---- counters ---- */

#define SWIM_STAT_MAP(X)                                            \
	X(RX_DGRAMS, "datagrams received")                          \
	X(RX_BYTES, "bytes received")                               \
	X(TX_DGRAMS, "datagrams sent")                              \
	X(TX_BYTES, "bytes sent")                                   \
	X(DROP_NOT_SEALED, "dropped: not a sealed control datagram")\
	X(DROP_NOT_FOR_US, "dropped: other receiver or our own id")  \
	X(DROP_NON_MEMBER, "dropped: sender not a member")          \
	X(DROP_REPLAY, "dropped: replayed")                         \
	X(DROP_AUTH, "dropped: authentication failed")              \
	X(DROP_MALFORMED, "dropped: malformed body")                \
	X(DROP_TX_FULL, "dropped: output queue full")               \
	X(DROP_RELAY_FULL, "dropped: too many ping-reqs")           \
	X(DROP_INC_JUMP, "ignored: incarnation jump too large")     \
	X(DROP_HELLO, "dropped: HELLO known, invalid or over budget")\
	X(UNASKED_CHECKS, "signature checks charged to members: records unasked, forgeries pushed")\
	X(UNASKED_REFUSED, "records, tombstones, announcements left unverified: sender over budget")\
	X(CAPPED_REPLY, "replies cut to the request size")          \
	X(PINGS, "probes sent")                                     \
	X(ACKS, "probes acked")                                     \
	X(PING_REQS, "ping-reqs sent")                              \
	X(INDIRECT_ACKS, "probes acked through a helper")           \
	X(NACKS, "nacks received")                                  \
	X(PROBES_FAILED, "probes failed")                           \
	X(DEAD_PROBES, "dead members probed")                       \
	X(SUSPICIONS, "suspicions started")                         \
	X(DEATHS, "deaths declared by our timer")                   \
	X(LAST_CALLS, "suspicions that ran out: last calls made")    \
	X(REFUTES, "refutations of our own suspicion")              \
	X(GOSSIPS, "gossip messages sent")                          \
	X(PUSHPULLS, "push-pull rounds started")                    \
	X(WANTS, "record requests sent")                            \
	X(HELLOS, "HELLOs sent")                                    \
	X(RECORDS_LEARNED, "records adopted")                       \
	X(RECORDS_REFUSED, "records refused")                       \
	X(TOMBS_KEPT, "tombstones added to the table")              \
	X(TOMBS_REFUSED, "tombstones refused: malformed, forged, out of scope")\
	X(TOMBS_FULL, "tombstones refused: table full")                \
	X(REFUSED_OWN_INVITE, "records refused: admitter used its own invite")\
	X(REFUSED_ADDR_HELD, "records refused: IPv4 held by another member")\
	X(REFUSED_USED_UP, "records refused: invite used up (race lost)")\
	X(REFUSED_KEY_ROLE, "records and tombstones refused: a key in two roles")\
	X(USES_LOST, "members dropped: lost a use-limit race")         \
	X(ADDR_LOST, "our IPv4 lost to a winning admission")         \
	X(EVIDENCE_HELD, "suspicions re-armed: authenticated traffic from the suspect")\
	X(CONTROL_IN, "sealed messages of other types passed to the control hook")\
	X(CONTROL_OUT, "sealed messages of other types sent (swim_send_control)")\
	X(ORPHANS_KEPT, "orphans kept: records waiting for their admitter")\
	X(ORPHANS_ADOPTED, "orphans adopted once their admitter was held")\
	X(ORPHANS_EVICTED, "orphans dropped: the pool was full (the oldest)")\
	X(ORPHANS_EXPIRED, "orphans dropped: their admitter did not come in time")\
	X(ORPHANS_REVOKED, "orphans dropped: a key of their chain was removed")\
	X(LEFT, "members whose record says they left")                \
	X(REPROVE_PINGS, "pings after our own address changed or a restart")  \
	X(UNKNOWN_WANTS, "records asked for: a sealed datagram from an unknown id") \
	X(ANNOUNCE_HELLOS, "HELLOs of our announcement as a newcomer")   \
	X(ADDR_ANNOUNCED, "address announcements of our own signed")     \
	X(ADDR_ADOPTED, "members' address announcements adopted")        \
	X(ADDR_MOVED, "members moved to the address they announced")    \
	X(DROP_ADDR, "address announcements dropped: bad signature or unknown member")\
	X(VIEW_PUSHPULLS, "push-pulls brought forward: a settled view differed from ours")\
	X(ADDR_WANTS, "records asked for: a member with no address or announcement")\
	X(INC_OWN_WORD, "incarnations set back to the member's own word: a third party's was far above")

enum swim_stat {
#define SWIM_STAT_ENUM(n, s) SWIM_STAT_##n,
	SWIM_STAT_MAP(SWIM_STAT_ENUM)
#undef SWIM_STAT_ENUM
	SWIM_STAT__COUNT
};

const char *swim_stat_name(enum swim_stat st);

/* ---- instance ---- */

struct swim;
struct annpool;

struct swim_config {
	struct swim_params params;
	const struct rec_network *net;
	const struct rec_key *key;      /* our identity; copied into the seal state, sk not kept */
	const uint8_t *record;          /* our own signed record (copied via the store) */
	size_t record_len;
	uint32_t incarnation;           /* last persisted incarnation (0 on first boot) */
	bool incarnation_lost;          /* the store lost it (not a first boot): refute
					 * once without the inc_jump_max bound */
	uint32_t boot;                  /* last persisted SWIM_EV_BOOT number (0 on first
					 * boot); this boot is boot + 1, the high bits of
					 * every seal counter (seal.h). Kept with the
					 * identity key: a lost one is a new identity. */
	struct mn_rng rng;              /* copied; its ctx must outlive the instance */
	uint32_t max_members;           /* members held at once, ourselves included (0:
					 * SWIM_MAX_MEMBERS; more is MN_EINVAL): a node
					 * that wants a smaller table, and the tests */
	const struct swim_store *store; /* NULL: private copies */
	struct annpool *anns;           /* interned announcements (annpool.h), shared by
					 * instances; NULL: a private pool */
	struct rec_memo *memo;          /* signature memo, may be NULL */
	const struct rec_revoked *revoked; /* revocations beside swim's own tombstone
					    * table (swim_revoke), may be NULL */
	const struct seal_memo *seal_memo; /* X25519 memo, may be NULL */
	void (*event)(void *ctx, const struct swim_event *ev); /* may be NULL */
	void *event_ctx;
	/* The node core's hooks (see "for the node core" below); each may be NULL. */
	void (*addr_changed)(void *ctx, const struct swim_addr_change *c);
	int (*control)(void *ctx, const struct swim_control *msg, struct mn_time now);
	void *hook_ctx;
};

/* Verifies our own record (its key must be cfg->key). Emits SWIM_EV_BOOT.
 * MN_EFULL when cfg->boot + 1 exceeds SEAL_BOOT_MAX. */
int swim_new(struct swim **out, const struct swim_config *cfg, struct mn_time now);
/* Releases everything and wipes secrets. NULL is fine. */
void swim_del(struct swim *s);

/* ---- membership input ---- */

/* Learn a member record (from the store at start, an invite's bootstrap
 * list, the join protocol). addr, when not NULL, is where to reach it.
 * MN_OK when added or replaced by a newer version (SWIM_EV_RECORD), MN_EEXIST
 * when not newer (addr is still taken if we had none), or a verification
 * error.
 *
 * Orphans (doc/gossip.md "Orphans"): a verified member-admitted record
 * whose admitter is not a member yet answers MN_ENOENT and is not a member,
 * but it is kept (with addr, and whether it was learned or restored) in a
 * pool of SWIM_ORPHANS_MAX, the oldest evicted when full. When its admitter
 * becomes a member, by any path, it is adopted as if learned (or restored)
 * then: SWIM_EV_RECORD, addr taken, an alive update queued for a learned
 * one; what it admitted follows in the same call. So records may come in
 * any order (a store in key order, a chain newest first). Orphans are
 * dropped when a key of their chain is removed (swim_remove, tombstones),
 * or when their admitter has not come within a few push-pull intervals. */
int swim_learn(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
	       struct mn_time now);
/* The same for a record from our own store (a restart): adopted, but not
 * announced, since the other members already hold it (an orphan too, when
 * adopted later). Any order: an orphan waits for its admitter. (swim_learn queues
 * an alive update per record: restoring a store of N members would send N
 * updates times the retransmit limit, pushing out real news.) */
int swim_restore(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
		 struct mn_time now);
/* Our own new record version (signed by the caller with rec_member_sign and
 * rec_next_version): adopted, our incarnation bumped, announced. */
int swim_publish(struct swim *s, const uint8_t *rec, size_t len, struct mn_time now);
/* Where a member is, from a source the caller trusts (e.g. a signed endpoint
 * announcement). MN_ENOENT for a non-member. */
int swim_set_addr(struct swim *s, const uint8_t pk[REC_PK_LEN], const struct mn_addr *addr);
/* Authenticated traffic from the member (e.g. a WireGuard packet) is
 * evidence that it lives (DESIGN.md §5): it acks a running probe of it, and
 * a suspicion of it that runs out after such evidence is re-armed for the
 * full suspicion timeout instead of becoming a death or a last call
 * (SWIM_STAT_EVIDENCE_HELD). Evidence does not make a suspect alive: only
 * its refutation does (a higher incarnation), so the view stays the one
 * SWIM agrees on; it only keeps this node from declaring the death while
 * the member's traffic still arrives. Cheap (one hash lookup): call it for
 * each authenticated packet, or rate-limit it per member. */
void swim_heard_from(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now);
/* Send our record (an unsealed HELLO) to member pk now, so that its next
 * datagram from us opens there: a newcomer introduces itself to the
 * member that admitted it, and the join sync's push-pull (if it has not
 * run yet) follows at the next swim_on_timer instead of at a random point
 * of the first probe interval. Once per member per boot (a HELLO the
 * probe path would send counts).
 * MN_ENOENT: not a member, or no address; MN_EEXIST: already sent or the
 * member has spoken to us this boot. */
int swim_introduce(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now);
/* A newcomer's announcement, on its first start after the join: for
 * SWIM_ANNOUNCE_IVS probe intervals, our HELLO to every member we hold
 * (and learn: the join sync's) that has not spoken to us,
 * SWIM_ANNOUNCE_BATCH per gossip interval, so that no member depends on
 * the epidemic alone to hear of us (doc/gossip.md §4). */
void swim_announce(struct swim *s, struct mn_time now);
/* The join sync's push-pull (with a random member) at the next
 * swim_on_timer rather than at a random point of the first probe
 * interval, if it has not run yet: a daemon restarting from its store
 * catches up on what it missed at once. */
void swim_sync_soon(struct swim *s);
/* Our own address changed (the daemon saw it on the host: a laptop moved
 * to another network, a DHCP renewal). Members still send to the old
 * address and believe only an address we prove we receive on (an echoed
 * token), so: a ping to every member we probe, now, outside the probe
 * schedule. Its ack carries a token for the new address, which one more
 * ping echoes as soon as the ack arrives, and the member moves us there
 * (swim_config.addr_changed, direct): two round trips. Members whose ack
 * did not come are pinged again one probe timeout later. Acks match no
 * probe: they count only for what they carry. 2 datagrams per member
 * (3 with a loss), each at most SWIM_PING_PAD bytes. A call during the
 * rounds starts them over. Members the pings miss learn the address from
 * our signed announcement (swim_set_local_addrs), passed on by gossip. */
void swim_local_addr_changed(struct swim *s, struct mn_time now);
/* Where members should send to us: n (1..SWIM_ANN_ADDRS) endpoints, the
 * preferred first. announce false: only noted (at start: where we are),
 * nothing sent. announce true: a signed address announcement (seq:
 * max(wall ms, last + 1)) saying where we are and where we were (the set
 * noted or announced before), which members pass on as they got it,
 * newest wins; a member that sends to us where we were, or nowhere yet,
 * moves to the first of the new it may send to (doc/gossip.md §5,
 * "Address announcements"); one that reaches us elsewhere (through a NAT)
 * keeps that. Call swim_local_addr_changed after it, whose re-proving
 * pings prove the address to every member directly.
 * MN_EEXIST: the same endpoints as before (nothing sent);
 * MN_EINVAL: none, too many, or one members may not send to (unset, port
 * 0, loopback, multicast, link local). */
int swim_set_local_addrs(struct swim *s, const struct mn_addr *addrs, uint32_t n, bool announce,
			 struct mn_time now);
/* Drop a member and every member whose chain holds this key (revocation).
 * Returns the number removed. */
uint32_t swim_remove(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now);

/* ---- revocation tombstones (doc/membership.md "Revocation", doc/gossip.md §5) ----
 *
 * A tombstone is the canonical encoding of a struct rec_revoke
 * (rec_revoke_sign, rec_revoke_encode). swim verifies it (rec_revoke_verify:
 * signature, grant, REVOKE right, target not the root, signing admin not
 * revoked) and keeps every valid one forever, in a table of its own,
 * bounded by SWIM_MAX_TOMBS. A root tombstone is effective at once. An admin
 * one is effective once a record naming its target (as node key or invite
 * key) shows the target in the admin's scope (rec_revoke_authorized); it is
 * refused (MN_EAUTH) when a record held shows it out of scope, and kept
 * pending while no record names the target (an unused invite, a member not
 * known yet), settled when one arrives. An effective tombstone refuses its
 * key in every role: the members whose record holds it as node, invite,
 * admitter or admin key are dropped (swim_remove, SWIM_EV_REMOVED, and
 * transitively what they admitted), their records are refused from then on
 * (MN_EREVOKED), their datagrams and HELLOs dropped as from non-members. A
 * tombstone signed by an admin that gets revoked counts for nothing: it is
 * dropped from the table (members it removed stay removed: they carry that
 * admin in their chain). If our own key is revoked, we are not removed from
 * our own table (the driver sees SWIM_EV_REVOKED naming our record and
 * should stop); everyone else drops us.
 *
 * Errors: MN_EEXIST already held; MN_EPROTO malformed; MN_EAUTH a bad
 * signature, no REVOKE right, a target that is the root or (admin) out of
 * scope; MN_EREVOKED the signing admin is revoked; MN_EFULL SWIM_MAX_TOMBS
 * held (refused and counted in SWIM_STAT_TOMBS_FULL: a node that can keep no
 * more tombstones does not learn new revocations, an operator's alarm);
 * MN_ENOMEM. */

/* Publish a tombstone here (meshnode kick): kept, applied, and spread by
 * piggybacking (3 x the updates' retransmit limit) and push-pull. MN_OK when
 * kept, effective or pending (swim_revoked() tells which). */
int swim_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now);
/* The same for a tombstone from our own store at start: kept and applied,
 * not announced (the others hold it; push-pull carries it to any that
 * does not). Order against swim_restore() does not matter. */
int swim_restore_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now);
/* true when pk is the target of an effective tombstone here, or revoked by
 * cfg->revoked. */
bool swim_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN]);

/* ---- events from the driver ---- */

/* A datagram (any datagram starting with the seal magic) from `from`.
 * MN_OK when processed, else the reason it was dropped (also counted). A
 * sealed message of a type swim does not own, once authenticated, answers
 * what the control hook answers. */
int swim_recv(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len,
	      struct mn_time now);
/* Take one queued datagram: 1 with buf[0 .. *len) for *dst, 0 when none. */
int swim_poll_tx(struct swim *s, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst);
/* The same, and *to names the member the datagram is for (borrowed, valid
 * until the next call into s); NULL when it is for no member or for one
 * removed since it was queued. */
int swim_poll_tx_to(struct swim *s, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst,
		    const struct swim_rec **to);
/* Seal pt[0 .. len) as a message of a type swim does not own for the member
 * pk, on the pair's channel (its keys and counters), and queue it for
 * swim_poll_tx to dst, or to the member's address when dst is NULL.
 * MN_EINVAL a type swim owns; MN_EMSGSIZE len > SWIM_PT_MAX; MN_ENOENT not
 * a member (or ourselves); MN_ENOROUTE no dst and no address known;
 * MN_ECRYPTO its key does not convert; MN_EFULL the output queue is full
 * (counted in DROP_TX_FULL). */
int swim_send_control(struct swim *s, const uint8_t pk[REC_PK_LEN], uint8_t type,
		      const uint8_t *pt, size_t len, const struct mn_addr *dst);
/* Earliest mono time swim_on_timer has work; MN_NEVER for none. */
mn_ns swim_next_deadline(const struct swim *s);
void swim_on_timer(struct swim *s, struct mn_time now);

/* ---- queries ---- */

struct swim_member_info {
	enum swim_state state;
	uint32_t inc;
	uint64_t version;
	struct mn_addr addr;        /* AF_UNSPEC when unknown */
	const struct swim_rec *rec; /* borrowed, valid until the next call into s */
	mn_ns since;                /* mono time of the last state change */
};

/* MN_ENOENT for a non-member. Our own entry is always alive. */
int swim_member(const struct swim *s, const uint8_t pk[REC_PK_LEN], struct swim_member_info *out);

/* What the data plane reads of a member record: the addresses it owns in
 * the overlay and the routes it advertises (verified with the record). */
struct swim_rec_info {
	uint8_t ipv4[4];       /* from its admission */
	uint8_t ipv6[16];      /* derived from its key (rec_ipv6) */
	uint8_t flags;         /* REC_MEM_* */
	uint8_t nroutes;
	struct mn_prefix routes[REC_MAX_ROUTES];
	char name[REC_NAME_MAX + 1];
};
/* Decode r (a record swim verified) under net. MN_EPROTO only if r's bytes
 * are not a record (never for one swim handed out). */
int swim_rec_info(const struct rec_network *net, const struct swim_rec *r,
		  struct swim_rec_info *out);

struct swim_counts {
	uint32_t members; /* including ourselves */
	uint32_t alive, suspect, dead;
	uint32_t queued;  /* dissemination updates waiting */
	uint32_t tombs;   /* tombstones kept (effective or pending) */
};
void swim_counts(const struct swim *s, struct swim_counts *out);

/* Lifeguard local health score, 0 (healthy) .. awareness_max - 1. */
uint32_t swim_health(const struct swim *s);
uint32_t swim_incarnation(const struct swim *s);
uint64_t swim_stat(const struct swim *s, enum swim_stat st);
/* Races our own admission lost here (doc/membership.md "Trust at join"):
 * SWIM_LOST_* bits, 0 for none. ADDR: a member holds our overlay IPv4 and
 * its admission wins the race rule (its record is refused here; we keep
 * ours): ask a member for a re-admission at a free address. USE: a lower
 * admission took our invite's last use: the others drop us; re-join with
 * another invite. Counted in SWIM_STAT_ADDR_LOST / SWIM_STAT_USES_LOST; the
 * node core checks it after swim_learn, swim_restore and swim_recv when
 * those counters moved. */
enum swim_lost_kind {
	SWIM_LOST_ADDR = 0x01,
	SWIM_LOST_USE = 0x02,
};
uint32_t swim_lost(const struct swim *s);
/* What this node believes, as one number: XOR over members of a hash of
 * (key id, record version, dead or not). Nodes agree when equal. */
uint64_t swim_view_digest(const struct swim *s);

#endif
