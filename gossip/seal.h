/* seal.h - sealed control messages between members (DESIGN.md §2).
 *
 * Every meshnode control datagram (gossip now; disco, relay control later)
 * travels sealed between two members:
 *
 *   offset size field
 *    0     2    magic 'M' 'N' (0x4D 0x4E): first byte >= 0x40, so the one UDP
 *               port tells it from WireGuard (types 1..4) and STUN (top two
 *               bits zero) by the first byte alone
 *    2     1    format version = 1
 *    3     1    message type (the layer above owns the values)
 *    4     8    sender key id   = first 8 bytes of its Ed25519 public key
 *   12     8    receiver key id
 *   20    24    nonce = counter (8, big-endian) || 16 random bytes
 *   44     n    ciphertext (XChaCha20-Poly1305, IETF construction)
 *   44+n  16    tag
 *
 * The whole 44-byte header is the AEAD's associated data, so sender id,
 * receiver id, type and counter are bound. The key is per pair and per
 * direction:
 *
 *   shared   = X25519(our X25519 secret, peer's X25519 public)
 *   k(A->B)  = BLAKE2b-256(key = shared, "mn/v1/seal" tag[16] || pkA || pkB)
 *
 * with both X25519 keys converted from the members' Ed25519 identity keys
 * (crypto_sign_ed25519_{pk,sk}_to_curve25519: one identity key, converted;
 * doc/gossip.md). A crypto_box-style shared key alone is the same in both
 * directions, so a message from A to B reflected back to A would open as
 * if B had sent it; here it fails three ways (receiver id, direction key,
 * associated data).
 *
 * Counters are per pair and direction, strictly increasing, and start each
 * boot at the node's counter base: its boot number (persisted with its
 * identity key and raised before each boot) in the top 24 bits, a per-boot
 * count in the low 40. So a restarted sender is never mistaken for a
 * replayer, whatever its wall clock says. The receiver keeps a 64-message
 * replay window per pair (struct seal_pair, embedded in the caller's member
 * entry). The random half of the nonce keeps a reused counter (a boot
 * number that was not persisted) harmless for confidentiality.
 *
 * Pure: no I/O, no clock, no globals; randomness comes from the caller's
 * mn_rng. Secrets: struct seal_self and struct seal_keys hold secret keys;
 * wipe them (seal_self_wipe, seal_keys_wipe) when done.
 *
 * Errors:
 *   MN_EPROTO    not a sealed control datagram (magic, version)
 *   MN_ETRUNC    shorter than header + tag
 *   MN_EAUTH     the tag does not verify (wrong key, tampered, reflected)
 *   MN_EREPLAY   counter already seen or older than the window
 *   MN_ECRYPTO   a peer key that does not convert or gives a low-order result
 *   MN_EINVAL    bad arguments (the peer is ourselves, boot > SEAL_BOOT_MAX,
 *                an identity key whose public half is not its secret's)
 *   MN_EMSGSIZE  output buffer too small
 *   MN_EFULL     the pair's counter is exhausted (2^40 messages in one boot)
 */
#ifndef GOSSIP_SEAL_H
#define GOSSIP_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_rng.h"
#include "record.h"

#define SEAL_MAGIC0 0x4D /* 'M' */
#define SEAL_MAGIC1 0x4E /* 'N' */
#define SEAL_VERSION 1

enum seal_layout {
	SEAL_O_MAGIC = 0,
	SEAL_O_VERSION = 2,
	SEAL_O_TYPE = 3,
	SEAL_O_FROM = 4,
	SEAL_O_TO = 12,
	SEAL_O_NONCE = 20,
	SEAL_HDR_LEN = 44,
	SEAL_ID_LEN = 8,
	SEAL_NONCE_LEN = 24,
	SEAL_TAG_LEN = 16,
	SEAL_OVERHEAD = SEAL_HDR_LEN + SEAL_TAG_LEN, /* 60 */
	SEAL_KEY_LEN = 32,
	SEAL_MEMO_KEY_LEN = 32,
	SEAL_REPLAY_WINDOW = 64,
	SEAL_CTR_BOOT_SHIFT = 40,     /* counter = boot << 40 | per-boot count */
};

#define SEAL_BOOT_MAX ((UINT32_C(1) << (64 - SEAL_CTR_BOOT_SHIFT)) - 1)

/* Our side: identity public key, converted X25519 secret, the X25519
 * public key of that secret, key id, counter base. xsk is secret. Written
 * only by seal_self_init (xpk must be the public half of xsk: the
 * pair-keyed memo trusts it). */
struct seal_self {
	uint8_t pk[REC_PK_LEN];
	uint8_t xsk[SEAL_KEY_LEN];
	uint8_t xpk[SEAL_KEY_LEN];
	uint64_t id;
	uint64_t ctr_base;
};

/* The two direction keys of one pair. Secret. */
struct seal_keys {
	uint8_t tx[SEAL_KEY_LEN]; /* us -> peer */
	uint8_t rx[SEAL_KEY_LEN]; /* peer -> us */
};

/* Per-pair counters, embedded in the caller's per-member state; zero it
 * when the pair is created. 24 bytes. */
struct seal_pair {
	uint64_t tx_ctr;  /* last counter sent; 0 = none yet */
	uint64_t rx_top;  /* highest counter accepted; 0 = none yet */
	uint64_t rx_mask; /* bit i: rx_top - i was accepted */
};

/* A parsed header (before authentication: nothing here is trusted yet). */
struct seal_hdr {
	uint8_t type;
	uint64_t from; /* sender key id */
	uint64_t to;   /* receiver key id */
	uint64_t ctr;
};

/* Precompute cache hook for the X25519 step (~35 us), so the simulator can
 * share one memo across all its nodes (DESIGN.md §8). The key is
 * BLAKE2b-256("mn/v1/x25519-3" tag || our X25519 secret || peer X25519
 * public key): the exact inputs, never an id. get returns true and fills
 * shared on a hit; put stores a result. Both run on the caller's thread;
 * the values are secrets (a process-internal memo only). NULL hooks mean
 * "no memo".
 *
 * Two optional additions for a process that runs both ends of every pair
 * (the simulator: measured on a 2-core VM, the conversion costs 91 us and
 * the X25519 63 us, and SWIM keys a new pair every probe):
 *   pair_keyed  the key is BLAKE2b-256("mn/v1/x25519-4" tag || the lower ||
 *               the higher of the two X25519 public keys): X25519(a, B) =
 *               X25519(b, A), so both ends share one entry. Our half is
 *               self->xpk, the public key of the secret actually in use
 *               (seal_self_init computes it from xsk and checks it against
 *               the identity key), never self->pk: so a hit only ever
 *               answers for the secret we hold, whatever the process does
 *               with other identities or an old key.
 *   conv_get / conv_put  the peer key's Ed25519 -> X25519 conversion, keyed
 *               by the Ed25519 public key itself (the value is public).
 *               Only seal_keys_derive() (the Ed25519 form) asks it; swim
 *               converts each member key once, when its record is interned
 *               (swim_rec.xpk), and uses seal_keys_derive_x().
 * Zero-initialised (as every existing user leaves them) they are off. */
struct seal_memo {
	bool (*get)(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		    uint8_t shared[SEAL_KEY_LEN]);
	void (*put)(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		    const uint8_t shared[SEAL_KEY_LEN]);
	void *ctx;
	bool pair_keyed;
	bool (*conv_get)(void *ctx, const uint8_t ed_pk[REC_PK_LEN], uint8_t x_pk[SEAL_KEY_LEN]);
	void (*conv_put)(void *ctx, const uint8_t ed_pk[REC_PK_LEN],
			 const uint8_t x_pk[SEAL_KEY_LEN]);
};

/* The key id of an Ed25519 public key: its first 8 bytes, big-endian. */
uint64_t seal_key_id(const uint8_t pk[REC_PK_LEN]);

/* True when buf starts like a sealed control datagram (magic only; the
 * cheapest demultiplexing test). */
bool seal_is_control(const uint8_t *buf, size_t len);

/* Our side from our identity key. boot (0 .. SEAL_BOOT_MAX) sets the
 * counter base boot << SEAL_CTR_BOOT_SHIFT (| 1), so counters of this boot
 * exceed every counter of earlier boots with lower numbers. The caller
 * persists boot before sending anything under it. MN_ECRYPTO if the key
 * does not convert, MN_EINVAL if boot is too large or key->pk is not the
 * public half of key->sk (checked on the X25519 side: the public key of
 * the converted secret must be the converted public key). */
int seal_self_init(struct seal_self *self, const struct rec_key *key, uint64_t boot);
void seal_self_wipe(struct seal_self *self);

/* A peer's X25519 public key from its Ed25519 one (libsodium's birational
 * map). MN_ECRYPTO (and xpk zeroed) for a key that does not convert. */
int seal_x25519_pk(uint8_t xpk[SEAL_KEY_LEN], const uint8_t pk[REC_PK_LEN]);

/* Derive the pair keys with peer_pk, converting it (through memo->conv_get
 * when set). memo may be NULL. */
int seal_keys_derive(struct seal_keys *out, const struct seal_self *self,
		     const uint8_t peer_pk[REC_PK_LEN], const struct seal_memo *memo);
/* The same with the peer's X25519 key already converted (seal_x25519_pk):
 * no conversion at all. MN_ECRYPTO for an all-zero or low-order peer_xpk. */
int seal_keys_derive_x(struct seal_keys *out, const struct seal_self *self,
		       const uint8_t peer_pk[REC_PK_LEN], const uint8_t peer_xpk[SEAL_KEY_LEN],
		       const struct seal_memo *memo);
void seal_keys_wipe(struct seal_keys *k);

/* Parse the clear header. MN_ETRUNC, MN_EPROTO. */
int seal_parse(struct seal_hdr *h, const uint8_t *buf, size_t len);

/* Seal pt (ptlen bytes) of the given type for the peer with key id peer_id
 * into out (cap >= ptlen + SEAL_OVERHEAD). Advances pair->tx_ctr. */
int seal_seal(const struct seal_self *self, const struct seal_keys *k, struct seal_pair *pair,
	      uint64_t peer_id, uint8_t type, const uint8_t *pt, size_t ptlen,
	      const struct mn_rng *rng, uint8_t *out, size_t cap, size_t *outlen);

/* Open a datagram whose header h was parsed from buf and whose sender is
 * the peer of k/pair (the caller looked h->from up and checked h->to is
 * itself). Checks the replay window first (cheap), authenticates, and only
 * then records the counter. pt gets len - SEAL_OVERHEAD bytes (cap at
 * least that). */
int seal_open(const struct seal_keys *k, struct seal_pair *pair, const struct seal_hdr *h,
	      const uint8_t *buf, size_t len, uint8_t *pt, size_t cap, size_t *ptlen);

#endif
