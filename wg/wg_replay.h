/* wg_replay.h - the sliding replay window for transport counters
 * (WireGuard paper §5.4.6, RFC 6479's bitmap-ring idea): a ring of 64-bit
 * words; the newest counter moves the window, older ones within
 * WG_REPLAY_WINDOW are accepted once each. */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define WG_REPLAY_WORDS 128 /* 8192 bits */
#define WG_REPLAY_WINDOW (WG_REPLAY_WORDS * 64 - 64)

struct wg_replay {
	uint64_t top; /* highest accepted counter + 1; 0 = none yet */
	uint64_t bits[WG_REPLAY_WORDS];
};

void wg_replay_init(struct wg_replay *r);
/* Cheap pre-check before decrypting: false when c is certainly not acceptable
 * (too old, already seen, or at/over the reject limit). Does not modify. */
bool wg_replay_check(const struct wg_replay *r, uint64_t c);
/* After authentication: accept c once. False if too old or seen. */
bool wg_replay_accept(struct wg_replay *r, uint64_t c);

#endif
