/* wg_timers.h - the events that arm and disarm a peer's timers (named
 * after the kernel's wg_timers_*); the rules are at the top of wg_timers.c. */
#ifndef WG_TIMERS_H
#define WG_TIMERS_H

#include "wg_internal.h"

/* The earliest of the peer's timers, MN_NEVER when none is armed. */
mn_ns wg_timers_peer_deadline(const struct wg_peer *peer);
/* Re-key the peer in the device's deadline heap after its timers changed
 * (the wg_timers_* events below do it themselves). */
void wg_timers_rearm(struct wg_peer *peer);

void wg_timers_data_sent(struct wg_peer *peer, mn_ns now);
void wg_timers_data_received(struct wg_peer *peer, mn_ns now);
void wg_timers_any_authenticated_sent(struct wg_peer *peer);
void wg_timers_any_authenticated_received(struct wg_peer *peer);
/* Any authenticated packet in either direction (persistent keepalive). */
void wg_timers_traversal(struct wg_peer *peer, mn_ns now);
void wg_timers_handshake_initiated(struct wg_peer *peer, mn_ns now);
void wg_timers_handshake_complete(struct wg_peer *peer, struct mn_time now);
void wg_timers_session_derived(struct wg_peer *peer, mn_ns now);

#endif
