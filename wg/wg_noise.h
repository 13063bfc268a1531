/* wg_noise.h - the Noise_IKpsk2 handshake (paper §5.4.2-5.4.3) and the
 * keypairs it yields. Functions return MN_OK or an error; on error no
 * state changes. */
#ifndef WG_NOISE_H
#define WG_NOISE_H

#include "wg_internal.h"

/* The peer's mac1 and cookie keys (two hashes: done when it is added). */
void wg_noise_peer_keys(struct wg_peer *peer);
/* Forget the peer's static-static DH: our private key changed. It is
 * computed again at the next handshake with the peer. */
void wg_noise_forget_static(struct wg_peer *peer);
void wg_noise_device_keys(struct wg_dev *dev);  /* device mac1/cookie keys, H0 */
/* Forget a handshake in progress, keeping what guards against replay. */
void wg_noise_handshake_clear(struct wg_dev *dev, struct wg_handshake *hs);
int wg_noise_create_initiation(struct wg_peer *peer, uint8_t msg[WG_INITIATION_LEN],
			       struct mn_time now);
/* On success *peer_out is the sender; its handshake is CONSUMED_INITIATION. */
int wg_noise_consume_initiation(struct wg_dev *dev, const uint8_t msg[WG_INITIATION_LEN],
				struct mn_time now, struct wg_peer **peer_out);
int wg_noise_create_response(struct wg_peer *peer, uint8_t msg[WG_RESPONSE_LEN]);
int wg_noise_consume_response(struct wg_dev *dev, const uint8_t msg[WG_RESPONSE_LEN],
			      struct wg_peer **peer_out);
/* Turn a finished handshake into a keypair and install it (initiator: as
 * current; responder: as next, confirmed by the first data packet). */
int wg_noise_begin_session(struct wg_peer *peer, struct mn_time now);
/* Unlink, wipe and free a keypair; NULL is a no-op. */
void wg_noise_keypair_free(struct wg_dev *dev, struct wg_keypair *kp);

#endif
