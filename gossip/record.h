/* record.h - the signed membership data model (DESIGN.md §4).
 *
 * Five signed objects, each with a compact, canonical binary encoding
 * (doc/membership.md has the byte layouts):
 *
 *   grant      root -> admin key: the admin may issue invites (and revoke
 *              within its scope) until not_after.
 *   invite     root or admin -> invite key: a short-lived, use-limited
 *              capability. The newcomer holds the invite's secret key.
 *   admission  an admitter (a member, the root, or the invite's admin) ->
 *              node key + overlay IPv4, countersigning the newcomer's join
 *              proof (the invite key's signature over the node key).
 *   member     the node's own, self-signed record: flags, version, name,
 *              routes, carrying its invite and admission so that anyone
 *              holding the network root key verifies it offline.
 *   revoke     root or admin tombstone against a key, kept forever.
 *
 * Every signature covers a 16-byte purpose tag and the network id, so no
 * signature is valid in another role or another network; the network id is
 * bound this way rather than carried in each object.
 *
 * This module is pure: no I/O, no clock (times are wall-clock milliseconds
 * passed in), no randomness of its own (keys come from seeds or an mn_rng).
 * Decoded structs hold copies, never pointers into the input buffer.
 *
 * Errors, throughout:
 *   MN_ETRUNC    the input ends before the object does
 *   MN_EPROTO    malformed: bad version/type byte, reserved bits set, bad
 *                name or route, trailing bytes, inconsistent kinds
 *   MN_EAUTH     a signature does not verify, or a signer acts beyond its
 *                rights (wrong network root included: every root signature
 *                then fails), or one key serves two roles in one chain (a
 *                node key that is also its invite, admin or root key, and
 *                so on: doc/membership.md "One key, one role")
 *   MN_EREVOKED  a key in the chain is revoked
 *   MN_EEXPIRED  the invite had expired when the admission was asked for:
 *                rec_admit by its clock; verifiers when the signed
 *                admitted_ms is past the signed expires_ms + REC_SKEW_MS
 *                (no clock)
 *   MN_ERANGE    an admission assigns an IPv4 address outside the network
 *   MN_EMSGSIZE  the output buffer is too small
 *   MN_EINVAL    bad arguments to a signing function
 */
#ifndef GOSSIP_RECORD_H
#define GOSSIP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"

#define REC_FORMAT 1 /* the version byte opening every encoding */

enum rec_type {
	REC_T_GRANT = 1,
	REC_T_INVITE = 2,
	REC_T_ADMISSION = 3,
	REC_T_MEMBER = 4,
	REC_T_REVOKE = 5,
};

/* Who signed an invite, an admission or a tombstone. */
enum rec_signer {
	REC_BY_ROOT = 0,
	REC_BY_ADMIN = 1,  /* the admin whose grant the object carries */
	REC_BY_MEMBER = 2, /* admissions only: any current member */
};

/* Grant rights. */
#define REC_RIGHT_INVITE 0x01 /* may sign invites */
#define REC_RIGHT_REVOKE 0x02 /* may revoke its own invites and their members */
#define REC_RIGHT_ROUTES 0x04 /* may issue invites that allow routes */
#define REC_RIGHTS_ALL 0x07

/* Invite flags. */
#define REC_INV_ROUTES 0x01 /* members admitted with it may advertise routes */
#define REC_INV_FLAGS_ALL 0x01

/* Member record flags. */
#define REC_MEM_RELAY 0x01 /* volunteers as a relay */
#define REC_MEM_LEFT 0x02  /* the node's last record: it left for good (doc/membership.md "Leave") */
#define REC_MEM_FLAGS_ALL 0x03

#define REC_PK_LEN 32
#define REC_SK_LEN 64
#define REC_SEED_LEN 32
#define REC_SIG_LEN 64
#define REC_NETID_LEN 32
#define REC_NAME_MAX 63    /* one DNS label: [a-z0-9-], no '-' at the ends */
#define REC_MAX_ROUTES 16

/* Clock-skew tolerance for the one place a clock matters: the admitter
 * accepts an invite until expires_ms + REC_SKEW_MS by its own clock, and
 * every verifier refuses an admission dated later than that. Part of the
 * verification rule: a release may raise it, never lower it (that would
 * refuse members admitted under the old value). */
#define REC_SKEW_MS (5 * 60 * 1000)

/* The race rule (doc/membership.md "Races"): of two admissions that compete
 * for one IPv4 address or one use of an invite, the one whose admitter
 * signature has the lower BLAKE2b-256 (compared as bytes) wins. */
#define REC_RACE_LEN 32
void rec_race_hash(const uint8_t adm_sig[REC_SIG_LEN], uint8_t out[REC_RACE_LEN]);

/* Offsets into canonical encodings, for tables that keep record bytes
 * (gossip/swim): an invite's max uses (big-endian u16), an admission's IPv4
 * and admitter signature. A member record's invite starts at byte 2 and its
 * admission follows the invite. */
#define REC_INVITE_USES_OFF 44
#define REC_ADM_IPV4_OFF 35
#define REC_ADM_SIG_OFF 143

/* Encoded sizes in bytes. */
#define REC_GRANT_LEN 107
#define REC_INVITE_ROOT_LEN 110
#define REC_INVITE_ADMIN_LEN (REC_INVITE_ROOT_LEN + REC_GRANT_LEN) /* 217 */
#define REC_INVITE_MAX REC_INVITE_ADMIN_LEN
#define REC_ADMISSION_LEN 207
#define REC_ROUTE_MAX_LEN 18 /* family, bits, up to 16 address bytes */
/* header 2, flags 1, version 8, name length 1, route count 1, signature 64 */
#define REC_MEMBER_FIXED 77
#define REC_MEMBER_MIN (REC_MEMBER_FIXED + REC_INVITE_ROOT_LEN + \
			REC_ADMISSION_LEN + 1) /* 395 */
#define REC_MEMBER_MAX (REC_MEMBER_FIXED + REC_INVITE_MAX + REC_ADMISSION_LEN + \
			REC_NAME_MAX + REC_MAX_ROUTES * REC_ROUTE_MAX_LEN) /* 852 */
#define REC_REVOKE_ROOT_LEN 107
#define REC_REVOKE_ADMIN_LEN (REC_REVOKE_ROOT_LEN + REC_GRANT_LEN) /* 214 */
#define REC_REVOKE_MAX REC_REVOKE_ADMIN_LEN
#define REC_DGRAM_MAX 1200 /* a record with its chain fits one datagram */

/* An Ed25519 key pair. sk is secret: rec_key_wipe() it when done. */
struct rec_key {
	uint8_t pk[REC_PK_LEN];
	uint8_t sk[REC_SK_LEN];
};

/* Deterministic key from a 32-byte seed (crypto_sign_seed_keypair). */
void rec_key_from_seed(struct rec_key *k, const uint8_t seed[REC_SEED_LEN]);
/* Key from a seed drawn from rng; the seed is wiped. */
void rec_key_generate(struct rec_key *k, const struct mn_rng *rng);
void rec_key_wipe(struct rec_key *k);

/* A member or network name: 1..REC_NAME_MAX of [a-z0-9-], no '-' at
 * either end (one DNS label). */
bool rec_name_ok(const char *name, size_t len);

/* What every verifier knows about its network. */
struct rec_network {
	uint8_t root_pk[REC_PK_LEN];
	uint8_t id[REC_NETID_LEN]; /* BLAKE2b-256("mn/v1/netid" tag || root_pk) */
	struct mn_prefix v4;       /* overlay IPv4 prefix, default 100.64.0.0/10 */
	struct mn_prefix v6;       /* ULA fd00::/8 + 40 bits of id: a /48 */
};

/* v4 NULL means 100.64.0.0/10. MN_EINVAL unless v4 is IPv4 with 1..30 bits. */
int rec_network_init(struct rec_network *net, const uint8_t root_pk[REC_PK_LEN],
		     const struct mn_prefix *v4);
/* A node's overlay IPv6: the network's /48 then 80 bits of
 * BLAKE2b("mn/v1/ipv6" tag || network id || node_pk). */
void rec_ipv6(const struct rec_network *net, const uint8_t node_pk[REC_PK_LEN],
	      uint8_t out[16]);

/* Revocation lookup, supplied by whoever keeps the tombstones: true when pk
 * is the target of an effective tombstone (a root one, or an admin one that
 * rec_revoke_authorized() accepted). NULL everywhere means "none revoked". */
struct rec_revoked {
	bool (*is_revoked)(void *ctx, const uint8_t pk[REC_PK_LEN]);
	void *ctx;
};

/* Verification memo: remembers signature checks that passed, keyed by
 * BLAKE2b-256(pk || message || signature), so identical bytes are verified
 * once (the simulator shares one across all its nodes). Only successes are
 * stored; a different input of any kind misses and is verified by libsodium.
 * Direct-mapped over caller-owned slots: bounded, no allocation, deterministic
 * eviction. Not thread-safe. Every verifying function takes one or NULL. */
#define REC_MEMO_KEY_LEN 32
struct rec_memo {
	uint8_t (*slot)[REC_MEMO_KEY_LEN]; /* caller-owned, nslots entries */
	uint32_t mask;
	uint64_t hits;     /* checks answered from the memo */
	uint64_t verified; /* checks that ran crypto_sign_verify_detached and passed */
	uint64_t failed;   /* ... and failed (never stored) */
};

/* nslots must be a power of two in 1..2^24; slots must outlive the memo.
 * MN_EINVAL otherwise. */
int rec_memo_init(struct rec_memo *m, uint8_t (*slots)[REC_MEMO_KEY_LEN],
		  size_t nslots);

/* ---- grant: root signs an admin key ---- */
struct rec_grant {
	uint8_t rights; /* REC_RIGHT_* */
	uint8_t admin_pk[REC_PK_LEN];
	/* The admin's invites must expire, and its tombstones be dated, at or
	 * before this (UINT64_MAX: no limit). Retiring an admin = letting this
	 * pass; revoking it cascades to everything it issued. */
	uint64_t not_after_ms;
	uint8_t sig[REC_SIG_LEN];
};

/* ---- invite ---- */
struct rec_invite {
	uint8_t signer; /* REC_BY_ROOT or REC_BY_ADMIN */
	uint8_t flags;  /* REC_INV_* */
	uint8_t invite_pk[REC_PK_LEN]; /* also the invite's id */
	uint64_t expires_ms; /* the admission's admitted_ms must not pass it + REC_SKEW_MS */
	uint16_t max_uses;   /* >= 1; enforced by the membership table */
	struct rec_grant grant; /* when signer == REC_BY_ADMIN */
	uint8_t sig[REC_SIG_LEN];
};

/* ---- admission ---- */
struct rec_admission {
	uint8_t admitter; /* enum rec_signer */
	uint8_t node_pk[REC_PK_LEN];
	uint8_t ipv4[4];
	uint64_t admitted_ms; /* the admitter's wall clock when it signed */
	/* The admitter's key. For REC_BY_MEMBER this is also the reference to
	 * the admitter's own admission (members are keyed by node key): the
	 * membership table must accept the record only while this key is a
	 * verified, unrevoked member. For ROOT / ADMIN it must equal the root
	 * key / the invite's admin key. */
	uint8_t admitter_pk[REC_PK_LEN];
	/* The join proof: the invite key's signature over the node key. */
	uint8_t proof[REC_SIG_LEN];
	uint8_t sig[REC_SIG_LEN];
};

/* ---- member record ---- */
struct rec_member {
	struct rec_invite invite;
	struct rec_admission adm; /* adm.node_pk is the record's key */
	uint8_t flags;            /* REC_MEM_* */
	uint64_t version;         /* newer wins; see rec_next_version() */
	uint8_t name_len;         /* 1..REC_NAME_MAX */
	char name[REC_NAME_MAX + 1]; /* NUL-terminated */
	uint8_t nroutes;
	struct mn_prefix routes[REC_MAX_ROUTES]; /* host bits zero */
	uint8_t sig[REC_SIG_LEN];
};

/* ---- revocation tombstone ---- */
struct rec_revoke {
	uint8_t signer; /* REC_BY_ROOT or REC_BY_ADMIN */
	uint8_t target_pk[REC_PK_LEN];
	uint64_t revoked_ms; /* informational; <= grant.not_after_ms for admins */
	struct rec_grant grant; /* when signer == REC_BY_ADMIN */
	uint8_t sig[REC_SIG_LEN];
};

/* Encoders write the canonical form into buf (cap bytes) and its length to
 * *len; MN_EMSGSIZE if cap is short, MN_EPROTO if the struct holds values the
 * format cannot carry (bad kind, reserved bits, bad name or route).
 * Decoders check structure only (no signature): they reject every
 * truncation (MN_ETRUNC) and any trailing byte (MN_EPROTO). Decoding then
 * encoding gives back the input bytes exactly. */
int rec_grant_encode(const struct rec_grant *g, uint8_t *buf, size_t cap, size_t *len);
int rec_grant_decode(struct rec_grant *g, const uint8_t *buf, size_t len);
int rec_invite_encode(const struct rec_invite *inv, uint8_t *buf, size_t cap, size_t *len);
int rec_invite_decode(struct rec_invite *inv, const uint8_t *buf, size_t len);
int rec_admission_encode(const struct rec_admission *a, uint8_t *buf, size_t cap, size_t *len);
int rec_admission_decode(struct rec_admission *a, const uint8_t *buf, size_t len);
int rec_member_encode(const struct rec_member *m, uint8_t *buf, size_t cap, size_t *len);
int rec_member_decode(struct rec_member *m, const uint8_t *buf, size_t len);
int rec_revoke_encode(const struct rec_revoke *t, uint8_t *buf, size_t cap, size_t *len);
int rec_revoke_decode(struct rec_revoke *t, const uint8_t *buf, size_t len);

/* Verifiers check a decoded object and its whole chain offline against
 * net->root_pk, cheap checks (revocation, rights, one key per role) before
 * signatures. rv and memo may be NULL. No verifier takes a time: nothing
 * expires after admission. */
int rec_grant_verify(const struct rec_network *net, const struct rec_grant *g,
		     const struct rec_revoked *rv, struct rec_memo *memo);
/* Grant (if any; its admin key is not the root), admin rights (INVITE;
 * ROUTES if the invite allows routes; expires_ms <= not_after_ms),
 * revocation of admin and invite keys, an invite key that is neither the
 * root nor the admin key, the invite signature. */
int rec_invite_verify(const struct rec_network *net, const struct rec_invite *inv,
		      const struct rec_revoked *rv, struct rec_memo *memo);
/* The invite chain, then the admission against it: admitter kind and key
 * (a member admitter is none of the chain's root, admin and invite keys),
 * a node key that is none of them either, IPv4 inside net->v4 (MN_ERANGE),
 * admitted_ms at most the invite's expires_ms + REC_SKEW_MS (MN_EEXPIRED),
 * revocation of node and admitter keys, the join proof, the admitter's
 * signature (which covers the invite). */
int rec_admission_verify(const struct rec_network *net, const struct rec_invite *inv,
			 const struct rec_admission *a, const struct rec_revoked *rv,
			 struct rec_memo *memo);
/* The invite and admission it carries, routes only if the invite allows them
 * and none overlaps net->v4 or net->v6 (MN_EAUTH otherwise: no route may
 * cover a member's overlay address), the node's own signature. Does not
 * check that a REC_BY_MEMBER admitter is itself a member, nor use limits or
 * address uniqueness: those need the member table (gossip/swim). */
int rec_member_verify(const struct rec_network *net, const struct rec_member *m,
		      const struct rec_revoked *rv, struct rec_memo *memo);
/* Grant and rights for admins (REVOKE; revoked_ms <= not_after_ms; the
 * target is not the admin itself), signer not revoked, target not the root
 * (MN_EAUTH), the signature. A verified admin tombstone still only takes
 * effect through rec_revoke_authorized(). */
int rec_revoke_verify(const struct rec_network *net, const struct rec_revoke *t,
		      const struct rec_revoked *rv, struct rec_memo *memo);

/* Who may revoke whom. The root may revoke any key but its own. An admin may
 * revoke an invite it issued and the node key of a member admitted with one
 * of its invites; nothing else (in particular no admin and no one else's
 * members). Given a verified tombstone t and a verified record m naming its
 * target: MN_OK when t may take effect against t->target_pk, MN_EAUTH when
 * it exceeds its signer's rights. The _invite form judges against an invite.
 * An effective tombstone makes its target refused in every role: as node,
 * admitter, admin or invite key, so what it admitted or issued falls too. */
int rec_revoke_authorized(const struct rec_revoke *t, const struct rec_member *m);
int rec_revoke_authorized_invite(const struct rec_revoke *t, const struct rec_invite *inv);

/* ---- making objects (each self-verifies its result before returning; on
 * any error the signature field is zeroed) ---- */

/* Fill g->rights, admin_pk, not_after_ms first. MN_EINVAL unless root is
 * the network's root key. */
int rec_grant_sign(const struct rec_network *net, const struct rec_key *root,
		   struct rec_grant *g);
/* Fill everything but sig (and grant, for an admin signer) first. signer is
 * the root key or the grant's admin key, matching inv->signer. */
int rec_invite_sign(const struct rec_network *net, const struct rec_key *signer,
		    struct rec_invite *inv);
/* The newcomer's join proof: the invite secret key signs the node key. */
void rec_join_proof(const struct rec_network *net, const struct rec_key *invite_key,
		    const uint8_t node_pk[REC_PK_LEN], uint8_t proof[REC_SIG_LEN]);
/* The admitter's side of a join, at its wall clock now_ms: verifies the
 * invite and the proof, refuses an invite expired by more than REC_SKEW_MS
 * (MN_EEXPIRED), and signs the admission of node_pk at ipv4 into *out.
 * kind says whether admitter is the root, the invite's admin or a member.
 * Use limits are the membership table's business, not this function's. */
int rec_admit(const struct rec_network *net, const struct rec_invite *inv,
	      const struct rec_key *admitter, enum rec_signer kind,
	      const uint8_t node_pk[REC_PK_LEN], const uint8_t proof[REC_SIG_LEN],
	      const uint8_t ipv4[4], uint64_t now_ms, const struct rec_revoked *rv,
	      struct rec_memo *memo, struct rec_admission *out);
/* b re-anchors the join that a records: the same node key, IPv4, join
 * proof and admitted_ms, countersigned by the root or an admin (not a
 * member). A member whose admitter is revoked keeps its membership by
 * carrying b instead of a (doc/membership.md "Kick"): sign b with
 * rec_admit(net, inv, root or admin, kind, a->node_pk, a->proof, a->ipv4,
 * a->admitted_ms, ...). Structural only: verify b as usual. */
bool rec_admission_reanchors(const struct rec_admission *a, const struct rec_admission *b);
/* Fill invite, adm, flags, version, name (name_len = strlen), routes first.
 * node must be adm.node_pk's key. */
int rec_member_sign(const struct rec_network *net, const struct rec_key *node,
		    struct rec_member *m);
/* Fill signer, target_pk, revoked_ms (and grant, for an admin) first. */
int rec_revoke_sign(const struct rec_network *net, const struct rec_key *signer,
		    struct rec_revoke *t);

/* ---- address announcements ---- */

/* A node's signed word on where it is (gossip/swim_ann.c owns the body's
 * format, at most REC_ADDR_BODY_MAX bytes): signed by its node key over
 * the tag "mn/v1/addr", the network id and the body. */
#define REC_ADDR_BODY_MAX 256
int rec_addr_sign(const struct rec_network *net, const struct rec_key *node, const uint8_t *body,
		  size_t len, uint8_t sig[REC_SIG_LEN]);
int rec_addr_verify(const struct rec_network *net, const uint8_t pk[REC_PK_LEN],
		    const uint8_t *body, size_t len, const uint8_t sig[REC_SIG_LEN],
		    struct rec_memo *memo);

/* ---- versions ---- */

/* The version for a node's next record: max(stored + 1, wall_ms), so it
 * never goes back after a restore from an old store, nor when the wall clock
 * steps back. Saturates at UINT64_MAX. */
uint64_t rec_next_version(uint64_t stored, uint64_t wall_ms);
/* Order two verified records of the same node key: > 0 when a should
 * replace b, < 0 when b wins, 0 when identical. Higher version wins; on equal
 * versions (a node that lost its store), the lower signature wins, so every
 * member picks the same one. */
int rec_member_cmp(const struct rec_member *a, const struct rec_member *b);

#endif
