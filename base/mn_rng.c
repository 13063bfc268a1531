#include "mn_rng.h"

#include <sodium.h>
#include <string.h>

#include "mn_wire.h"

uint32_t mn_rng_uniform(const struct mn_rng *r, uint32_t n)
{
	/* Rejection sampling: discard the low (2^32 mod n) values. */
	uint32_t min = (uint32_t)(-n) % n;
	uint32_t v;
	do {
		v = mn_rng_u32(r);
	} while (v < min);
	return v % n;
}

static void seeded_fill(void *ctx, uint8_t *out, size_t len)
{
	struct mn_seeded_rng *s = ctx;
	while (len > 0) {
		if (s->avail == 0) {
			uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
			mn_put_le64(nonce, s->block++);
			memset(s->buf, 0, sizeof(s->buf));
			crypto_stream_chacha20_xor(s->buf, s->buf, sizeof(s->buf),
						   nonce, s->key);
			s->avail = sizeof(s->buf);
		}
		size_t take = len < s->avail ? len : s->avail;
		memcpy(out, s->buf + sizeof(s->buf) - s->avail, take);
		s->avail -= take;
		out += take;
		len -= take;
	}
}

void mn_seeded_rng_init(struct mn_seeded_rng *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	mn_put_le64(s->key, seed);
	memcpy(s->key + 8, "meshnode-seeded-rng-v1..", 24);
}

struct mn_rng mn_seeded_rng_iface(struct mn_seeded_rng *s)
{
	struct mn_rng r = { seeded_fill, s };
	return r;
}
