/* wg_ratelimit.c - handshake load estimate and per-source token buckets. */
#include "wg_ratelimit.h"

#include <sodium.h>
#include <string.h>

#include "mn_wire.h"
#include "wg.h"

#define LOAD_WINDOW MN_NS_PER_SEC
#define COST (MN_NS_PER_SEC / WG_RATELIMIT_PER_SEC) /* one packet's share of a second */

_Static_assert((WG_RATELIMIT_SETS & (WG_RATELIMIT_SETS - 1)) == 0, "sets: a power of two");

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

/* The keyed hash of the source's /32 or /64 (the kernel's grouping). */
static uint64_t source_tag(const struct wg_ratelimit *rl, const struct mn_addr *src)
{
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
	return mn_get_le64(h);
}

/* How long until the entry's bucket is full; <= 0 when it is (wrap-safe). */
static int64_t debt(const struct wg_ratelimit_entry *e, mn_ns now)
{
	return (int64_t)(e->full_at - now);
}

bool wg_ratelimit_allow(struct wg_ratelimit *rl, const struct mn_addr *src, mn_ns now)
{
	uint64_t tag = source_tag(rl, src);
	struct wg_ratelimit_entry *set = &rl->entries[(tag & (WG_RATELIMIT_SETS - 1)) *
						      WG_RATELIMIT_WAYS];
	struct wg_ratelimit_entry *e = NULL, *victim = &set[0];

	for (unsigned w = 0; w < WG_RATELIMIT_WAYS; w++) {
		if (set[w].tag == tag && debt(&set[w], now) > 0) {
			e = &set[w];
			break;
		}
		if (debt(&set[w], now) < debt(victim, now))
			victim = &set[w];
	}
	if (!e) {
		/* A free entry (full bucket) if the set has one, else the
		 * busy one nearest to full: see the header. */
		e = victim;
		e->tag = tag;
		e->full_at = now;
	}
	int64_t d = debt(e, now);
	if (d > (WG_RATELIMIT_BURST - 1) * (int64_t)COST)
		return false;
	e->full_at = (d > 0 ? e->full_at : now) + COST;
	return true;
}
