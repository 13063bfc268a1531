/* wg_crypto.h - WireGuard's primitives (paper §5.4), nothing hand-rolled:
 * BLAKE2s from libb2, X25519 and ChaCha20-Poly1305 from libsodium.
 *
 *   HASH(x)        BLAKE2s-256
 *   MAC(k, x)      keyed BLAKE2s with a 16-byte digest (output length set,
 *                  not a truncated 32-byte hash)
 *   HMAC(k, x)     RFC 2104 over BLAKE2s-256, 64-byte block
 *   KDFn(k, x)     HKDF (RFC 5869) with HMAC-BLAKE2s, n outputs of 32 bytes
 *   AEAD(k, c, p, a)  ChaCha20-Poly1305 (RFC 8439), nonce 4 zero bytes ‖ le64(c)
 *   XAEAD          XChaCha20-Poly1305 with a 24-byte nonce
 *   DH             X25519; an all-zero result is an error
 */
#ifndef WG_CRYPTO_H
#define WG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define WG_HASH_LEN 32
#define WG_MAC_LEN 16
#define WG_AEAD_TAG_LEN 16
#define WG_XNONCE_LEN 24
#define WG_TAI64N_LEN 12

void wg_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len);
/* HASH(a ‖ b) without a copy. */
void wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen);
/* keylen: 32 for mac1 and the cookie, 16 when the key is a cookie (mac2). */
void wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const void *in,
	    size_t len);
void wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[32], const void *in, size_t len);
/* HKDF: writes up to three 32-byte outputs (NULL to skip t2/t3). */
void wg_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t key[32], const void *in,
	    size_t len);

/* In place allowed (dst == src). dst has len + 16 bytes. */
void wg_aead_seal(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter,
		  const uint8_t key[32], const uint8_t *ad, size_t adlen);
/* src has len >= 16 bytes including the tag; dst receives len - 16 bytes.
 * MN_EAUTH on a bad tag (dst then undefined). */
int wg_aead_open(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter,
		 const uint8_t key[32], const uint8_t *ad, size_t adlen);
void wg_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len,
		   const uint8_t nonce[WG_XNONCE_LEN], const uint8_t key[32], const uint8_t *ad,
		   size_t adlen);
int wg_xaead_open(uint8_t *dst, const uint8_t *src, size_t len,
		  const uint8_t nonce[WG_XNONCE_LEN], const uint8_t key[32], const uint8_t *ad,
		  size_t adlen);

/* X25519. MN_ECRYPTO when the result is all zero (low-order point). */
int wg_dh(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32]);
/* Public key of a private one (wg pubkey); MN_ECRYPTO (pub zeroed) when
 * the result is all zero. */
int wg_pubkey(uint8_t pub[32], const uint8_t priv[32]);
/* Curve25519 clamping of a private key (wg genkey). */
void wg_clamp(uint8_t key[32]);

/* TAI64N of a wall-clock time in ns since the epoch, nanoseconds whitened to
 * 2^24 ns so the timestamp leaks little about the clock (as wireguard-go). */
void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t wall_ns);

#endif
