/* join.h - the join protocol: a newcomer holding an invite link becomes a
 * member by asking any member listed in the link (doc/join.md,
 * doc/mesh-design.md "Join protocol"; messages in join_wire.h).
 *
 *   joiner                                member (admitter)
 *     HELLO (nonce, padded)        ->
 *                                  <-     COOKIE (nonce, MAC of address+nonce)
 *     REQUEST (cookie, invite,     ->     checks the cookie, the invite, use
 *       proof, node key, name)            limit, name, picks an IPv4, signs
 *                                  <-     ACCEPT (admission, admitter record)
 *                                         or REFUSE (reason)
 *
 * Both sides are pure (sans-I/O): no clock, no socket, no OS randomness.
 * The admitter is stateless per joiner: the cookie is a keyed BLAKE2b-128
 * over the joiner's address, port and nonce under a secret rotated every
 * JOIN_SECRET_ROTATE_NS (the previous secret still accepted), so a REQUEST
 * is only looked at from an address that received the COOKIE. What it
 * needs from the member table (use counts, names, held addresses, its own
 * earlier admissions) it asks through struct join_admitter_ops.
 *
 * Admitter timers: one, implicit: the cookie secret rotates on the first
 * datagram after JOIN_SECRET_ROTATE_NS has passed (no deadline to arm).
 *
 * Joiner timers (join_next_deadline):
 *   retry     RTO after each HELLO or REQUEST: JOIN_RTO_NS << round (the
 *             rounds over all endpoints completed so far), doubling per
 *             retry, never above JOIN_RTO_MAX_NS; after JOIN_TRIES sends of
 *             one step without an answer, the next endpoint (members in
 *             link order, each member's endpoints in order, round robin)
 *   overall   the caller's timeout from join_start: JOIN_TIMEOUT
 */
#ifndef NODE_JOIN_H
#define NODE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "invite_link.h"
#include "join_wire.h"
#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"
#include "record.h"

#define JOIN_SECRET_LEN 32
#define JOIN_SECRET_ROTATE_NS (120 * MN_NS_PER_SEC)
#define JOIN_RTO_NS (500 * MN_NS_PER_MS)
#define JOIN_RTO_MAX_NS (4 * MN_NS_PER_SEC)
#define JOIN_TRIES 3 /* sends of one step to one endpoint */
#define JOIN_ROUNDS_TO_MAX 4 /* JOIN_RTO_NS << 4 > JOIN_RTO_MAX_NS */
#define JOIN_ALLOC_PROBES 65536 /* addresses the IPv4 allocator looks at, at most */

/* ---- the IPv4 allocator ---- */

/* Is ipv4 held by a member (or otherwise unusable)? */
typedef bool (*join_held_fn)(void *ctx, const uint8_t ipv4[4]);

/* A free host address of prefix v4 (IPv4, 1..30 bits) for node_pk: start
 * at BLAKE2b("mn/v1/ipv4-alloc" tag || node_pk) modulo the prefix's size,
 * skip the network and broadcast addresses and every held one, probe
 * upwards (wrapping) over at most JOIN_ALLOC_PROBES addresses. The same
 * key and table give the same address at every member. MN_EFULL when none
 * is free, MN_EINVAL for a bad prefix. */
int join_alloc_ipv4(const struct mn_prefix *v4, const uint8_t node_pk[REC_PK_LEN],
		    join_held_fn held, void *ctx, uint8_t out[4]);

/* ---- the member's side ---- */

/* What the admitter asks of the member table. Every function is required
 * but busy. */
struct join_admitter_ops {
	/* The admission this admitter already made for node_pk (MN_OK and
	 * *out), or any other admission the table holds for it (MN_EEXIST and
	 * *out), or MN_ENOENT. Makes a replayed REQUEST idempotent. */
	int (*find)(void *ctx, const uint8_t node_pk[REC_PK_LEN], struct rec_admission *out);
	/* Admissions the table holds under the invite with this key. */
	unsigned (*uses)(void *ctx, const uint8_t invite_pk[REC_PK_LEN]);
	/* Another node key holds this name. */
	bool (*name_taken)(void *ctx, const char *name, const uint8_t node_pk[REC_PK_LEN]);
	/* The IPv4 is held (join_alloc_ipv4's held). */
	join_held_fn held;
	/* A new admission was signed: the caller keeps it (find must return it
	 * from now on) and counts it as a use of invite_pk. */
	void (*admitted)(void *ctx, const struct rec_admission *adm,
			 const uint8_t invite_pk[REC_PK_LEN], const char *name);
	/* Optional: refuse with BUSY now (not synced yet, rate limit). */
	bool (*busy)(void *ctx);
};

struct join_admitter_cfg {
	const struct rec_network *net;
	/* The signing key and its role: this node's key as REC_BY_MEMBER, or
	 * the root / an admin key when the node holds one. Must outlive the
	 * admitter. */
	const struct rec_key *key;
	enum rec_signer kind;
	/* This node's own encoded member record, sent with each ACCEPT. */
	const uint8_t *record;
	size_t record_len;
	const struct join_admitter_ops *ops;
	void *ctx;
	const struct rec_revoked *rv; /* may be NULL */
	struct rec_memo *memo;        /* may be NULL */
	const struct mn_rng *rng;     /* draws the cookie secrets */
};

/* What the admitter counts (drops first: nothing dropped is answered). */
enum join_counter {
	JOIN_C_DROP_MALFORMED, /* not a join message, or a HELLO that does not parse */
	JOIN_C_DROP_TYPE,      /* a type members do not receive (COOKIE, ACCEPT, REFUSE) */
	JOIN_C_DROP_COOKIE,    /* a REQUEST whose cookie does not match its address */
	JOIN_C_COOKIES,        /* COOKIEs sent */
	JOIN_C_ACCEPTED,       /* new admissions signed */
	JOIN_C_REPLAYED,       /* ACCEPTs repeating an earlier admission */
	JOIN_C_REFUSED,        /* REFUSEs sent */
	JOIN_COUNTERS
};

struct join_admitter {
	struct join_admitter_cfg cfg;
	uint8_t own_invite_pk[REC_PK_LEN]; /* the invite this node joined with */
	bool have_own_invite;
	uint8_t secret[JOIN_SECRET_LEN];      /* secret */
	uint8_t prev_secret[JOIN_SECRET_LEN]; /* secret */
	mn_ns rotated;
	bool keyed;
	uint64_t count[JOIN_COUNTERS];
};

/* MN_EINVAL for a missing op, key, rng or network, or a record that does
 * not decode or is not this node's (for REC_BY_MEMBER: its node key must
 * be cfg->key). */
int join_admitter_init(struct join_admitter *adm, const struct join_admitter_cfg *cfg);
/* One datagram from `from`. MN_OK with the reply in out[*outlen] (*outlen
 * 0: no reply); a datagram dropped unanswered returns its reason (MN_EPROTO,
 * MN_EAUTH for a bad cookie) and is counted. cap >= JOIN_DGRAM_MAX. */
int join_admitter_recv(struct join_admitter *adm, const struct mn_addr *from,
		       const uint8_t *buf, size_t len, mn_ns now_mono, uint64_t now_wall_ms,
		       uint8_t *out, size_t cap, size_t *outlen);
/* The cookie for (from, nonce) under the current secret (tests, fuzzing). */
void join_admitter_cookie(struct join_admitter *adm, const struct mn_addr *from,
			  const uint8_t nonce[JOIN_NONCE_LEN], mn_ns now_mono,
			  uint8_t cookie[JOIN_COOKIE_LEN]);
void join_admitter_wipe(struct join_admitter *adm);

/* ---- the joiner's side ---- */

enum join_state {
	JOIN_IDLE = 0,
	JOIN_HELLO_SENT,   /* waiting for a COOKIE */
	JOIN_REQUEST_SENT, /* waiting for ACCEPT or REFUSE */
	JOIN_DONE,         /* admitted: join_result() */
	JOIN_REFUSED,      /* a final refusal: join_reason() */
	JOIN_TIMEOUT,      /* the overall timeout passed */
};

#define JOIN_TARGETS_MAX (INVITE_LINK_MEMBERS * INVITE_LINK_ENDPOINTS)

struct join {
	enum join_state state;
	struct rec_network net;
	struct rec_invite invite;
	uint8_t node_pk[REC_PK_LEN];
	uint8_t proof[REC_SIG_LEN];
	char name[REC_NAME_MAX + 1];
	const struct mn_rng *rng;
	struct mn_addr targets[JOIN_TARGETS_MAX];
	unsigned ntargets, target;
	unsigned round;      /* completed rounds over all targets */
	unsigned tries;      /* sends of the current step */
	mn_ns rto, retry_at, deadline;
	uint8_t nonce[JOIN_NONCE_LEN];
	uint8_t cookie[JOIN_COOKIE_LEN];
	bool tx_pending;
	enum join_reason reason;   /* JOIN_REFUSED; else the last non-final one (0: none) */
	struct rec_admission adm;  /* JOIN_DONE */
	struct rec_member admitter;
	struct mn_addr admitted_by; /* the endpoint that answered */
	uint64_t dropped;           /* datagrams ignored (no match, bad, unverified) */
};

/* Start joining with link as node_pk named name (rec_name_ok), giving up
 * timeout after now (MN_NEVER: never). The join proof is made here from the link's secret
 * seed; the joiner keeps no secret. rng draws nonces and must outlive j.
 * MN_EINVAL for a bad name, a link with no member endpoint, or a link
 * whose invite does not verify against the network it names. */
int join_start(struct join *j, const struct invite_link *link,
	       const uint8_t node_pk[REC_PK_LEN], const char *name, mn_ns now,
	       mn_ns timeout, const struct mn_rng *rng);
/* When join_on_timer wants to run (MN_NEVER once finished). */
mn_ns join_next_deadline(const struct join *j);
void join_on_timer(struct join *j, mn_ns now);
/* A datagram for the joiner. MN_OK when it moved the state machine; an
 * error (and j->dropped counted) when ignored. */
int join_recv(struct join *j, const struct mn_addr *from, const uint8_t *buf, size_t len,
	      mn_ns now);
/* The next datagram to send, if any: true with *to and buf[*len]. */
bool join_poll_tx(struct join *j, struct mn_addr *to, uint8_t *buf, size_t cap, size_t *len);

#endif
