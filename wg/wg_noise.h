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
/* The consume functions allocate the keypair of the session the message
 * completes (*kp_out, the caller's until it passes it to
 * wg_noise_begin_session or wg_noise_keypair_free) after the message
 * authenticated and before anything changes: MN_ENOMEM leaves everything
 * as it was, the message not consumed.
 * On success *peer_out is the sender; its handshake is CONSUMED_INITIATION. */
int wg_noise_consume_initiation(struct wg_dev *dev, const uint8_t msg[WG_INITIATION_LEN],
				struct mn_time now, struct wg_peer **peer_out,
				struct wg_keypair **kp_out);
int wg_noise_create_response(struct wg_peer *peer, uint8_t msg[WG_RESPONSE_LEN]);
/* On success *peer_out is the sender; its handshake is CONSUMED_RESPONSE. */
int wg_noise_consume_response(struct wg_dev *dev, const uint8_t msg[WG_RESPONSE_LEN],
			      struct wg_peer **peer_out, struct wg_keypair **kp_out);
/* Make kp (from the consume function, now owned by the peer, or freed on
 * error) the finished handshake's session and install it (initiator: as
 * current; responder: as next, confirmed by the first data packet).
 * MN_ESTATE when the handshake is not finished; it cannot run out of memory. */
int wg_noise_begin_session(struct wg_peer *peer, struct wg_keypair *kp, struct mn_time now);
/* Unlink, wipe and free a keypair; NULL is a no-op. */
void wg_noise_keypair_free(struct wg_dev *dev, struct wg_keypair *kp);

#endif
