/* wg_ratelimit.h - handshake admission under load (the kernel's
 * ratelimiter.c and its under-load test).
 *
 * The device is "under load" while handshake messages arrive faster than
 * WG_MAX_HANDSHAKES_PER_SEC (or when forced); then it answers with cookie
 * replies, and a source that proved its address with a cookie still gets
 * only its token bucket's share: WG_RATELIMIT_PER_SEC per IPv4 /32 or IPv6
 * /64, bursts of WG_RATELIMIT_BURST, in a fixed table indexed by a keyed
 * hash (sources that collide share a bucket; the key is secret, so nobody
 * aims at one).
 */
#ifndef WG_RATELIMIT_H
#define WG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"

#define WG_RATELIMIT_SLOTS (1u << 12)
#define WG_RATELIMIT_PER_SEC 20
#define WG_RATELIMIT_BURST 5

struct wg_ratelimit_bucket {
	mn_ns last;
	mn_ns tokens; /* in ns of allowance; one packet costs 1 s / PER_SEC */
};

struct wg_ratelimit {
	/* load estimate: handshakes seen in the current one-second window */
	mn_ns load_window_start;
	unsigned load_window_count;
	mn_ns under_load_until;
	bool force_under_load;

	struct wg_ratelimit_bucket buckets[WG_RATELIMIT_SLOTS];
	uint8_t key[16];
};

/* rl is zeroed by the caller (embedded in a calloc'd device); draws the hash key. */
void wg_ratelimit_init(struct wg_ratelimit *rl, struct mn_rng *rng);
/* Count one handshake message; true when the device is under load. */
bool wg_ratelimit_under_load(struct wg_ratelimit *rl, mn_ns now);
/* Take a token from src's bucket; false when it has none left. */
bool wg_ratelimit_allow(struct wg_ratelimit *rl, const struct mn_addr *src, mn_ns now);

#endif
