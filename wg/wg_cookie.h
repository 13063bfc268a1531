/* wg_cookie.h - MAC1/MAC2 and cookie replies (paper §5.4.4, §5.4.7). */
#ifndef WG_COOKIE_H
#define WG_COOKIE_H

#include "wg_internal.h"

/* Write mac1 and mac2 of an outgoing handshake message of len bytes. */
void wg_cookie_add_macs(struct wg_peer *peer, uint8_t *msg, size_t len, mn_ns now);
bool wg_cookie_check_mac1(const struct wg_dev *dev, const uint8_t *msg, size_t len);
/* mac2 valid for a cookie bound to src. */
bool wg_cookie_check_mac2(struct wg_dev *dev, const uint8_t *msg, size_t len,
			  const struct mn_addr *src, mn_ns now);
/* Build a cookie reply to msg (whose sender index is at offset 4). */
void wg_cookie_create_reply(struct wg_dev *dev, uint8_t out[WG_COOKIE_LEN], const uint8_t *msg,
			    size_t len, const struct mn_addr *src, mn_ns now);
int wg_cookie_consume_reply(struct wg_dev *dev, const uint8_t msg[WG_COOKIE_LEN], mn_ns now);

#endif
