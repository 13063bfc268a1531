/* seal.c - per-pair sealed control messages (layout and key schedule in
 * seal.h; reasoning in doc/gossip.md).
 *
 * AEAD: XChaCha20-Poly1305-IETF (libsodium), 24-byte nonce = counter (8) ||
 * random (16), associated data = the 44-byte clear header.
 * Key agreement: X25519 (RFC 7748) on keys converted from Ed25519 (RFC 8032)
 * with libsodium's birational map; direction keys by keyed BLAKE2b (RFC 7693).
 */
#include "seal.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

#define TAG_LEN 16

static const char tag_seal[TAG_LEN] = "mn/v1/seal";
/* Memo keys over X25519 public keys (-3, -4); "mn/v1/x25519" and -2 named
 * Ed25519 keys instead and are retired. */
static const char tag_x25519[TAG_LEN] = "mn/v1/x25519-3";
static const char tag_x25519_pair[TAG_LEN] = "mn/v1/x25519-4";

_Static_assert(SEAL_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(SEAL_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(SEAL_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key");
_Static_assert(SEAL_KEY_LEN == crypto_scalarmult_BYTES, "x25519");
_Static_assert(SEAL_O_NONCE + SEAL_NONCE_LEN == SEAL_HDR_LEN, "header");
_Static_assert(SEAL_O_TO + SEAL_ID_LEN == SEAL_O_NONCE, "header ids");
_Static_assert(SEAL_MAGIC0 >= 0x40, "first byte must not look like WireGuard or STUN");
_Static_assert(SEAL_REPLAY_WINDOW == 64, "window is one uint64_t");

uint64_t seal_key_id(const uint8_t pk[REC_PK_LEN])
{
	return mn_get_be64(pk);
}

bool seal_is_control(const uint8_t *buf, size_t len)
{
	return len >= SEAL_O_TYPE + 1 && buf[SEAL_O_MAGIC] == SEAL_MAGIC0 &&
	       buf[SEAL_O_MAGIC + 1] == SEAL_MAGIC1;
}

int seal_self_init(struct seal_self *self, const struct rec_key *key, uint64_t boot)
{
	uint8_t xpk[SEAL_KEY_LEN];

	memset(self, 0, sizeof(*self));
	if (boot > SEAL_BOOT_MAX)
		return MN_EINVAL;
	if (crypto_sign_ed25519_sk_to_curve25519(self->xsk, key->sk) != 0 ||
	    crypto_scalarmult_base(self->xpk, self->xsk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, key->pk) != 0) {
		seal_self_wipe(self);
		return MN_ECRYPTO;
	}
	/* The pair-keyed memo names us by xpk, and peers derive our key from
	 * pk: both must be the public half of the secret we use (a key pair
	 * whose halves disagree, e.g. a secret changed without its public key,
	 * would otherwise be answered from the memo with the old pair's keys). */
	if (memcmp(xpk, self->xpk, SEAL_KEY_LEN) != 0) {
		seal_self_wipe(self);
		return MN_EINVAL;
	}
	memcpy(self->pk, key->pk, REC_PK_LEN);
	self->id = seal_key_id(key->pk);
	/* never zero (0 means "none yet") */
	self->ctr_base = (boot << SEAL_CTR_BOOT_SHIFT) | 1;
	return MN_OK;
}

void seal_self_wipe(struct seal_self *self)
{
	sodium_memzero(self, sizeof(*self));
}

void seal_keys_wipe(struct seal_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

static void dir_key(uint8_t out[SEAL_KEY_LEN], const uint8_t shared[SEAL_KEY_LEN],
		    const uint8_t *from_pk, const uint8_t *to_pk)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, shared, SEAL_KEY_LEN, SEAL_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)tag_seal, TAG_LEN);
	crypto_generichash_update(&st, from_pk, REC_PK_LEN);
	crypto_generichash_update(&st, to_pk, REC_PK_LEN);
	crypto_generichash_final(&st, out, SEAL_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

int seal_x25519_pk(uint8_t xpk[SEAL_KEY_LEN], const uint8_t pk[REC_PK_LEN])
{
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, pk) != 0) {
		memset(xpk, 0, SEAL_KEY_LEN);
		return MN_ECRYPTO;
	}
	return MN_OK;
}

int seal_keys_derive(struct seal_keys *out, const struct seal_self *self,
		     const uint8_t peer_pk[REC_PK_LEN], const struct seal_memo *memo)
{
	uint8_t xpk[SEAL_KEY_LEN];

	memset(out, 0, sizeof(*out));
	if (sodium_memcmp(peer_pk, self->pk, REC_PK_LEN) == 0)
		return MN_EINVAL;
	if (!memo || !memo->conv_get || !memo->conv_get(memo->ctx, peer_pk, xpk)) {
		if (seal_x25519_pk(xpk, peer_pk) != MN_OK)
			return MN_ECRYPTO;
		if (memo && memo->conv_put)
			memo->conv_put(memo->ctx, peer_pk, xpk);
	}
	return seal_keys_derive_x(out, self, peer_pk, xpk, memo);
}

int seal_keys_derive_x(struct seal_keys *out, const struct seal_self *self,
		       const uint8_t peer_pk[REC_PK_LEN], const uint8_t peer_xpk[SEAL_KEY_LEN],
		       const struct seal_memo *memo)
{
	uint8_t mkey[SEAL_MEMO_KEY_LEN];
	uint8_t shared[SEAL_KEY_LEN];
	crypto_generichash_state st;
	bool hit = false;
	int err = MN_OK;

	memset(out, 0, sizeof(*out));
	if (sodium_memcmp(peer_pk, self->pk, REC_PK_LEN) == 0 ||
	    sodium_memcmp(peer_xpk, self->xpk, SEAL_KEY_LEN) == 0)
		return MN_EINVAL;
	if (memo && memo->get) {
		crypto_generichash_init(&st, NULL, 0, sizeof(mkey));
		if (memo->pair_keyed) {
			/* our half is the public key of the secret in use */
			bool lower = memcmp(self->xpk, peer_xpk, SEAL_KEY_LEN) < 0;
			crypto_generichash_update(&st, (const uint8_t *)tag_x25519_pair, TAG_LEN);
			crypto_generichash_update(&st, lower ? self->xpk : peer_xpk, SEAL_KEY_LEN);
			crypto_generichash_update(&st, lower ? peer_xpk : self->xpk, SEAL_KEY_LEN);
		} else {
			crypto_generichash_update(&st, (const uint8_t *)tag_x25519, TAG_LEN);
			crypto_generichash_update(&st, self->xsk, SEAL_KEY_LEN);
			crypto_generichash_update(&st, peer_xpk, SEAL_KEY_LEN);
		}
		crypto_generichash_final(&st, mkey, sizeof(mkey));
		sodium_memzero(&st, sizeof(st));
		hit = memo->get(memo->ctx, mkey, shared);
	}
	if (!hit) {
		/* Fails on an all-zero result (low-order point, or a key that
		 * did not convert and was left zero). */
		if (crypto_scalarmult(shared, self->xsk, peer_xpk) != 0) {
			err = MN_ECRYPTO;
			goto out;
		}
		if (memo && memo->get && memo->put)
			memo->put(memo->ctx, mkey, shared);
	}
	dir_key(out->tx, shared, self->pk, peer_pk);
	dir_key(out->rx, shared, peer_pk, self->pk);
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(mkey, sizeof(mkey));
	return err;
}

int seal_parse(struct seal_hdr *h, const uint8_t *buf, size_t len)
{
	if (len < SEAL_O_TYPE + 1)
		return MN_ETRUNC;
	if (buf[SEAL_O_MAGIC] != SEAL_MAGIC0 || buf[SEAL_O_MAGIC + 1] != SEAL_MAGIC1 ||
	    buf[SEAL_O_VERSION] != SEAL_VERSION)
		return MN_EPROTO;
	if (len < SEAL_OVERHEAD)
		return MN_ETRUNC;
	h->type = buf[SEAL_O_TYPE];
	h->from = mn_get_be64(buf + SEAL_O_FROM);
	h->to = mn_get_be64(buf + SEAL_O_TO);
	h->ctr = mn_get_be64(buf + SEAL_O_NONCE);
	return MN_OK;
}

int seal_seal(const struct seal_self *self, const struct seal_keys *k, struct seal_pair *pair,
	      uint64_t peer_id, uint8_t type, const uint8_t *pt, size_t ptlen,
	      const struct mn_rng *rng, uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned long long clen = 0;
	uint64_t ctr;

	if (cap < SEAL_OVERHEAD || ptlen > cap - SEAL_OVERHEAD)
		return MN_EMSGSIZE;
	/* the per-boot count must not run into the next boot's range */
	if (pair->tx_ctr >= (self->ctr_base | ((UINT64_C(1) << SEAL_CTR_BOOT_SHIFT) - 1)))
		return MN_EFULL;
	ctr = pair->tx_ctr + 1;
	if (ctr < self->ctr_base)
		ctr = self->ctr_base;
	out[SEAL_O_MAGIC] = SEAL_MAGIC0;
	out[SEAL_O_MAGIC + 1] = SEAL_MAGIC1;
	out[SEAL_O_VERSION] = SEAL_VERSION;
	out[SEAL_O_TYPE] = type;
	mn_put_be64(out + SEAL_O_FROM, self->id);
	mn_put_be64(out + SEAL_O_TO, peer_id);
	mn_put_be64(out + SEAL_O_NONCE, ctr);
	mn_rng_bytes(rng, out + SEAL_O_NONCE + 8, SEAL_NONCE_LEN - 8);
	/* pt may not overlap out (libsodium allows only exact aliasing). */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_HDR_LEN, &clen, pt, ptlen,
						   out, SEAL_HDR_LEN, NULL,
						   out + SEAL_O_NONCE, k->tx);
	pair->tx_ctr = ctr;
	*outlen = SEAL_HDR_LEN + (size_t)clen;
	return MN_OK;
}

/* The replay test without recording: MN_OK when ctr is new and in the window. */
static int window_check(const struct seal_pair *p, uint64_t ctr)
{
	if (ctr == 0)
		return MN_EREPLAY;
	if (ctr > p->rx_top)
		return MN_OK;
	if (p->rx_top - ctr >= SEAL_REPLAY_WINDOW)
		return MN_EREPLAY;
	if (p->rx_mask & (UINT64_C(1) << (p->rx_top - ctr)))
		return MN_EREPLAY;
	return MN_OK;
}

static void window_mark(struct seal_pair *p, uint64_t ctr)
{
	if (ctr > p->rx_top) {
		uint64_t shift = ctr - p->rx_top;
		p->rx_mask = shift >= SEAL_REPLAY_WINDOW ? 0 : p->rx_mask << shift;
		p->rx_mask |= 1;
		p->rx_top = ctr;
	} else {
		p->rx_mask |= UINT64_C(1) << (p->rx_top - ctr);
	}
}

int seal_open(const struct seal_keys *k, struct seal_pair *pair, const struct seal_hdr *h,
	      const uint8_t *buf, size_t len, uint8_t *pt, size_t cap, size_t *ptlen)
{
	unsigned long long mlen = 0;
	int err;

	if (len < SEAL_OVERHEAD)
		return MN_ETRUNC;
	if (cap < len - SEAL_OVERHEAD)
		return MN_EMSGSIZE;
	err = window_check(pair, h->ctr);
	if (err)
		return err;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL, buf + SEAL_HDR_LEN,
						       len - SEAL_HDR_LEN, buf, SEAL_HDR_LEN,
						       buf + SEAL_O_NONCE, k->rx) != 0)
		return MN_EAUTH;
	/* The header the caller parsed is the one authenticated (it is the
	 * associated data); re-read the counter from it to be sure. */
	if (mn_get_be64(buf + SEAL_O_NONCE) != h->ctr)
		return MN_EINVAL;
	window_mark(pair, h->ctr);
	*ptlen = (size_t)mlen;
	return MN_OK;
}
