/* wg_peer.h - peers inside the device: the public-key table and what the
 * other modules do to a peer as a whole (the public setters are in wg.h). */
#ifndef WG_PEER_H
#define WG_PEER_H

#include "wg_internal.h"

/* The public-key table: MN_ENOMEM, or MN_OK with an empty table. */
int wg_peer_table_init(struct wg_dev *dev);
/* Frees the buckets (the peers must be gone). */
void wg_peer_table_free(struct wg_dev *dev);
struct wg_peer *wg_peer_by_key(const struct wg_dev *dev, const uint8_t pk[32]);
/* Drop every keypair and the handshake in progress. */
void wg_peer_clear_sessions(struct wg_peer *peer);

#endif
