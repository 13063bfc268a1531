/* wg_ratelimit.h - handshake admission under load (the kernel's
 * ratelimiter.c and its under-load test).
 *
 * The device is "under load" while handshake messages arrive faster than
 * WG_MAX_HANDSHAKES_PER_SEC (or when forced); then it answers with cookie
 * replies, and a source that proved its address with a cookie still gets
 * only its token bucket's share: WG_RATELIMIT_PER_SEC per IPv4 /32 or IPv6
 * /64, bursts of WG_RATELIMIT_BURST. Only handshake messages under load
 * reach it; data packets never do.
 *
 * Each source has its own bucket, as in the kernel, in a fixed table of
 * WG_RATELIMIT_ENTRIES entries allocated with the device (16 bytes each:
 * 64 KiB, no allocation afterwards). An entry is named by a 64-bit keyed
 * hash of the source (SipHash under a secret key drawn at init), so two
 * sources share one only by an accident of 2^-64 that nobody can aim at.
 * The hash also picks the entry's set of WG_RATELIMIT_WAYS.
 *
 * An entry whose bucket has filled up again (idle for BURST / PER_SEC,
 * 250 ms) says nothing a missing entry would not: it is free, and is taken
 * over by the next source that needs one; there is no sweep. When all the
 * ways of a set are busy, a new source evicts the entry nearest to full.
 * The kernel refuses new sources instead when its table is full, so
 * whoever keeps the table full (here: a set) locks every new source out,
 * including a member whose entry went idle between its handshakes, which
 * is what an attacker with thousands of /64s would aim for. Evicting only
 * ever hands an evicted source a full bucket again, so a source is refused
 * only when its own bucket is empty: whatever others send, a source that
 * keeps to its rate is admitted every time. The price is precision against
 * the flood: sources beyond what a set holds (more than WAYS of them, in
 * one set, within 250 ms) escape their rate. With 2,000 sources busy
 * about one set in 300 overflows, and by then the per-source rule alone
 * admits 40,000 handshakes a second (four X25519 each), several cores'
 * worth: the limiter shares DH work out between sources, it never bounded
 * its total.
 */
#ifndef WG_RATELIMIT_H
#define WG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"

#define WG_RATELIMIT_PER_SEC 20
#define WG_RATELIMIT_BURST 5
#define WG_RATELIMIT_WAYS 16
#define WG_RATELIMIT_SETS 256
#define WG_RATELIMIT_ENTRIES (WG_RATELIMIT_SETS * WG_RATELIMIT_WAYS)

/* One source's token bucket, kept as the time it is full again (the
 * bucket holds BURST - (full_at - now) * PER_SEC tokens): a packet is
 * admitted while full_at - now <= (BURST - 1) / PER_SEC, and moves full_at
 * on by 1 / PER_SEC. Free when full_at <= now. */
struct wg_ratelimit_entry {
	uint64_t tag; /* keyed hash of the /32 or /64 */
	mn_ns full_at;
};

struct wg_ratelimit {
	/* load estimate: handshakes seen in the current one-second window */
	mn_ns load_window_start;
	unsigned load_window_count;
	mn_ns under_load_until;
	bool force_under_load;

	struct wg_ratelimit_entry entries[WG_RATELIMIT_ENTRIES]; /* WAYS per set */
	uint8_t key[16];
};

/* rl is zeroed by the caller (embedded in a calloc'd device); draws the hash key. */
void wg_ratelimit_init(struct wg_ratelimit *rl, struct mn_rng *rng);
/* Count one handshake message; true when the device is under load. */
bool wg_ratelimit_under_load(struct wg_ratelimit *rl, mn_ns now);
/* Take a token from src's bucket; false when it has none left. O(WAYS). */
bool wg_ratelimit_allow(struct wg_ratelimit *rl, const struct mn_addr *src, mn_ns now);

#endif
