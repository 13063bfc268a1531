/* wg_timerq.h - the device's peers ordered by their next timer deadline: a
 * binary min-heap, each peer keeping its own position, so arming or
 * disarming a peer's timers costs O(log peers), the device's next deadline
 * O(1), and a wake visits only the peers that are due.
 * Checked in tests against a scan of every peer (test_wg_scale.c). */
#ifndef WG_TIMERQ_H
#define WG_TIMERQ_H

#include <stddef.h>

#include "mn_time.h"

struct wg_peer;

/* A peer's position when it is not in the heap (no timer armed). */
#define WG_TIMERQ_NONE ((size_t)-1)

struct wg_timerq {
	struct wg_peer **heap; /* heap[0] has the earliest deadline */
	size_t n, cap;
};

void wg_timerq_init(struct wg_timerq *q);
void wg_timerq_free(struct wg_timerq *q);
/* Make room for n peers, so that wg_timerq_set() never allocates: call it
 * before a peer joins the device. MN_ENOMEM (the heap unchanged). */
int wg_timerq_reserve(struct wg_timerq *q, size_t n);
/* Set the peer's deadline (peer->deadline) and move it to its place: out of
 * the heap for MN_NEVER. The peer's timerq_pos starts as WG_TIMERQ_NONE. */
void wg_timerq_set(struct wg_timerq *q, struct wg_peer *peer, mn_ns deadline);
/* The peer with the earliest deadline; NULL when no timer is armed. */
struct wg_peer *wg_timerq_first(const struct wg_timerq *q);

#endif
