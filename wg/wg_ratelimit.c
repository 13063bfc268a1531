/* wg_ratelimit.c - handshake load estimate and per-source token buckets. */
#include "wg_ratelimit.h"

#include <sodium.h>
#include <string.h>

#include "mn_wire.h"
#include "wg.h"

#define LOAD_WINDOW MN_NS_PER_SEC

void wg_ratelimit_init(struct wg_ratelimit *rl, struct mn_rng *rng)
{
	mn_rng_bytes(rng, rl->key, sizeof(rl->key));
}

bool wg_ratelimit_under_load(struct wg_ratelimit *rl, mn_ns now)
{
	if (mn_elapsed(now, rl->load_window_start, LOAD_WINDOW)) {
		rl->load_window_start = now;
		rl->load_window_count = 0;
	}
	if (++rl->load_window_count > WG_MAX_HANDSHAKES_PER_SEC)
		rl->under_load_until = now + LOAD_WINDOW;
	return rl->force_under_load || mn_time_before(now, rl->under_load_until);
}

/* Token bucket of the source's /32 or /64 (kernel ratelimiter.c semantics). */
bool wg_ratelimit_allow(struct wg_ratelimit *rl, const struct mn_addr *src, mn_ns now)
{
	const mn_ns cost = MN_NS_PER_SEC / WG_RATELIMIT_PER_SEC;
	uint8_t key[9], h[crypto_shorthash_BYTES];
	size_t n;

	if (src->sa.sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &src->in4.sin_addr, 4);
		n = 5;
	} else {
		key[0] = 6;
		memcpy(key + 1, &src->in6.sin6_addr, 8);
		n = 9;
	}
	crypto_shorthash(h, key, n, rl->key);
	struct wg_ratelimit_bucket *b = &rl->buckets[mn_get_le32(h) & (WG_RATELIMIT_SLOTS - 1)];
	if (b->last == 0 || mn_elapsed(now, b->last, WG_RATELIMIT_BURST * cost)) {
		b->tokens = WG_RATELIMIT_BURST * cost;
	} else {
		b->tokens += now - b->last;
		if (b->tokens > WG_RATELIMIT_BURST * cost)
			b->tokens = WG_RATELIMIT_BURST * cost;
	}
	b->last = now ? now : 1;
	if (b->tokens < cost)
		return false;
	b->tokens -= cost;
	return true;
}
