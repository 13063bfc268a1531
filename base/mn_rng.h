/* mn_rng.h - the per-node random generator.
 *
 * Protocol code never calls randombytes_buf() itself: it draws from the
 * mn_rng its node was given. The daemon backs it with the OS generator (daemon/os_rng.h); the
 * simulator and the tests give each node a seeded stream so a run replays
 * from its seed. Key generation uses libsodium's *_seed_keypair forms with
 * seeds drawn from here.
 */
#ifndef MN_RNG_H
#define MN_RNG_H

#include <stddef.h>
#include <stdint.h>

struct mn_rng {
	/* Fill buf with len random bytes. Must not fail. */
	void (*fill)(void *ctx, uint8_t *buf, size_t len);
	void *ctx;
};

static inline void mn_rng_bytes(const struct mn_rng *r, void *buf, size_t len)
{
	r->fill(r->ctx, (uint8_t *)buf, len);
}

static inline uint32_t mn_rng_u32(const struct mn_rng *r)
{
	uint8_t b[4];
	r->fill(r->ctx, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* Uniform in [0, n) without modulo bias; n > 0. */
uint32_t mn_rng_uniform(const struct mn_rng *r, uint32_t n);

/* A deterministic generator: ChaCha20 keystream from a 64-bit seed.
 * Used by the simulator and tests. Embed it; no allocation. */
struct mn_seeded_rng {
	uint8_t key[32];
	uint64_t block; /* next keystream block */
	uint8_t buf[64];
	size_t avail;   /* unread bytes at the end of buf */
};

void mn_seeded_rng_init(struct mn_seeded_rng *s, uint64_t seed);
/* An mn_rng drawing from s (s must outlive it). */
struct mn_rng mn_seeded_rng_iface(struct mn_seeded_rng *s);

#endif
