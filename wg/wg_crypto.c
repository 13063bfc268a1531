#include "wg_crypto.h"

#include <blake2.h>
#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

#define BLAKE2S_BLOCK 64

void wg_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len)
{
	blake2s(out, in, NULL, WG_HASH_LEN, len, 0);
}

void wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	blake2s_state s;
	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, a, alen);
	blake2s_update(&s, b, blen);
	blake2s_final(&s, out, WG_HASH_LEN);
}

void wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const void *in,
	    size_t len)
{
	/* libb2 order: blake2s(out, in, key, outlen, inlen, keylen) */
	blake2s(out, in, key, WG_MAC_LEN, len, keylen);
}

void wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[32], const void *in, size_t len)
{
	uint8_t pad[BLAKE2S_BLOCK], inner[WG_HASH_LEN];
	blake2s_state s;

	/* ipad: key zero-padded to the block, xor 0x36 */
	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, 32);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, pad, sizeof(pad));
	blake2s_update(&s, in, len);
	blake2s_final(&s, inner, WG_HASH_LEN);

	/* opad = ipad ^ 0x36 ^ 0x5c */
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, pad, sizeof(pad));
	blake2s_update(&s, inner, sizeof(inner));
	blake2s_final(&s, out, WG_HASH_LEN);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&s, sizeof(s));
}

void wg_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t key[32], const void *in,
	    size_t len)
{
	uint8_t prk[WG_HASH_LEN], t[WG_HASH_LEN + 1];

	/* HKDF-Extract, then Expand: Ti = HMAC(prk, T(i-1) ‖ i) */
	wg_hmac(prk, key, in, len);
	t[0] = 1;
	wg_hmac(t, prk, t, 1);
	memcpy(t1, t, WG_HASH_LEN);
	if (t2) {
		t[WG_HASH_LEN] = 2;
		wg_hmac(t, prk, t, WG_HASH_LEN + 1);
		memcpy(t2, t, WG_HASH_LEN);
	}
	if (t3) {
		t[WG_HASH_LEN] = 3;
		wg_hmac(t, prk, t, WG_HASH_LEN + 1);
		memcpy(t3, t, WG_HASH_LEN);
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
}

static void nonce12(uint8_t n[12], uint64_t counter)
{
	memset(n, 0, 4);
	mn_put_le64(n + 4, counter);
}

void wg_aead_seal(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter,
		  const uint8_t key[32], const uint8_t *ad, size_t adlen)
{
	uint8_t n[12];
	nonce12(n, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							   adlen, NULL, n, key);
}

int wg_aead_open(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter,
		 const uint8_t key[32], const uint8_t *ad, size_t adlen)
{
	uint8_t n[12];
	if (len < WG_AEAD_TAG_LEN)
		return MN_ETRUNC;
	nonce12(n, counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(dst, NULL, src,
							       len - WG_AEAD_TAG_LEN,
							       src + len - WG_AEAD_TAG_LEN, ad,
							       adlen, n, key) != 0)
		return MN_EAUTH;
	return MN_OK;
}

void wg_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len,
		   const uint8_t nonce[WG_XNONCE_LEN], const uint8_t key[32], const uint8_t *ad,
		   size_t adlen)
{
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							    adlen, NULL, nonce, key);
}

int wg_xaead_open(uint8_t *dst, const uint8_t *src, size_t len,
		  const uint8_t nonce[WG_XNONCE_LEN], const uint8_t key[32], const uint8_t *ad,
		  size_t adlen)
{
	if (len < WG_AEAD_TAG_LEN)
		return MN_ETRUNC;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(dst, NULL, src,
								len - WG_AEAD_TAG_LEN,
								src + len - WG_AEAD_TAG_LEN, ad,
								adlen, nonce, key) != 0)
		return MN_EAUTH;
	return MN_OK;
}

int wg_dh(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
	/* libsodium refuses (returns -1 on) an all-zero shared secret. */
	if (crypto_scalarmult(out, priv, pub) != 0) {
		sodium_memzero(out, 32);
		return MN_ECRYPTO;
	}
	return MN_OK;
}

int wg_pubkey(uint8_t pub[32], const uint8_t priv[32])
{
	_Static_assert(crypto_scalarmult_BYTES == 32, "x25519 sizes");
	/* crypto_scalarmult_base clamps a copy of the scalar itself. */
	if (crypto_scalarmult_base(pub, priv) != 0) {
		sodium_memzero(pub, 32);
		return MN_ECRYPTO;
	}
	return MN_OK;
}

/* RFC 7748 §5 decodeScalar25519: clear the three low bits (a multiple of the
 * cofactor), clear bit 255, set bit 254. */
void wg_clamp(uint8_t key[32])
{
	key[0] &= 248;
	key[31] &= 127;
	key[31] |= 64;
}

void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t wall_ns)
{
	uint64_t secs = wall_ns / 1000000000u;
	uint32_t nsec = (uint32_t)(wall_ns % 1000000000u) & ~(uint32_t)0xffffff;
	mn_put_be64(out, UINT64_C(0x400000000000000a) + secs);
	mn_put_be32(out + 8, nsec);
}
