/* wg_send.h - the sending side of the device: the control queue that
 * wg_dev_poll_tx() drains, handshake initiations, and the per-peer queue
 * of packets staged while a handshake runs. */
#ifndef WG_SEND_H
#define WG_SEND_H

#include "wg_internal.h"

/* Allocate a new device's control buffers; MN_ENOMEM. */
int wg_send_init(struct wg_dev *dev);
/* Drop everything still queued and free the control buffers (teardown). */
void wg_send_free(struct wg_dev *dev);
/* Queue a copy of a control message (handshake, cookie reply; len <=
 * WG_MAX_CONTROL) to dst, in a preallocated buffer: never allocates.
 * Dropped and counted when the queue is full. */
void wg_send_control(struct wg_dev *dev, const uint8_t *data, size_t len,
		     const struct mn_addr *dst);
/* Queue a finished handshake message (initiation or response) to the
 * peer's endpoint, with its timer events and the handshake rate limit. */
void wg_send_handshake(struct wg_peer *peer, const uint8_t *msg, size_t len, mn_ns now);
/* Send a handshake initiation unless one went out less than REKEY_TIMEOUT
 * ago; is_retry keeps the attempt count (the retransmit timer). */
void wg_send_initiation(struct wg_peer *peer, struct mn_time now, bool is_retry);
/* Release the staged queue through a valid session, or start a handshake. */
void wg_send_staged(struct wg_peer *peer, struct mn_time now);
/* An empty data packet (through the staged queue). */
void wg_send_keepalive(struct wg_peer *peer, struct mn_time now);
/* Wipe and drop the staged packets. */
void wg_send_staged_purge(struct wg_peer *peer);

#endif
