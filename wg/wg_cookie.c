/* wg_cookie.c - MAC1, MAC2 and cookie replies (WireGuard paper §5.4.4, §5.4.7).
 *
 * msg.mac1 = MAC(HASH(LABEL_MAC1 ‖ Sm_pub), msg[0:offsetof(mac1)])
 * msg.mac2 = MAC(τ, msg[0:offsetof(mac2)]) when a fresh cookie τ is known
 * τ = MAC(Rm, Am): Rm a secret changing every two minutes, Am the source
 * address ‖ port. The reply carries τ sealed with XAEAD under
 * HASH(LABEL_COOKIE ‖ Sm_pub) and the mac1 it answers as associated data.
 */
#include "wg_cookie.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

/* A cookie is used for mac2 only while it is comfortably younger than the
 * responder's secret (the paper's "Latency" allowance). */
#define COOKIE_LATENCY (5 * MN_NS_PER_SEC)

void wg_cookie_add_macs(struct wg_peer *peer, uint8_t *msg, size_t len, mn_ns now)
{
	uint8_t *mac1 = msg + len - 2 * WG_MAC_LEN, *mac2 = msg + len - WG_MAC_LEN;

	wg_mac(mac1, peer->mac1_key, 32, msg, len - 2 * WG_MAC_LEN);
	memcpy(peer->last_mac1, mac1, WG_MAC_LEN);
	peer->have_last_mac1 = true;
	if (peer->cookie_valid &&
	    !mn_elapsed(now, peer->cookie_birth, WG_COOKIE_SECRET_MAX_AGE - COOKIE_LATENCY))
		wg_mac(mac2, peer->cookie, WG_MAC_LEN, msg, len - WG_MAC_LEN);
	else
		memset(mac2, 0, WG_MAC_LEN);
}

bool wg_cookie_check_mac1(const struct wg_dev *dev, const uint8_t *msg, size_t len)
{
	uint8_t mac[WG_MAC_LEN];
	wg_mac(mac, dev->mac1_key, 32, msg, len - 2 * WG_MAC_LEN);
	return sodium_memcmp(mac, msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN) == 0;
}

/* τ = MAC(Rm, Am) with Am = address bytes ‖ big-endian port. */
static void make_cookie(struct wg_dev *dev, uint8_t out[WG_MAC_LEN], const struct mn_addr *src,
			mn_ns now)
{
	uint8_t am[18];
	size_t n;

	if (!dev->cookie_secret_valid ||
	    mn_elapsed(now, dev->cookie_secret_birth, WG_COOKIE_SECRET_MAX_AGE)) {
		mn_rng_bytes(&dev->rng, dev->cookie_secret, sizeof(dev->cookie_secret));
		dev->cookie_secret_birth = now;
		dev->cookie_secret_valid = true;
	}
	if (src->sa.sa_family == AF_INET) {
		memcpy(am, &src->in4.sin_addr, 4);
		memcpy(am + 4, &src->in4.sin_port, 2);
		n = 6;
	} else {
		memcpy(am, &src->in6.sin6_addr, 16);
		memcpy(am + 16, &src->in6.sin6_port, 2);
		n = 18;
	}
	wg_mac(out, dev->cookie_secret, 32, am, n);
}

bool wg_cookie_check_mac2(struct wg_dev *dev, const uint8_t *msg, size_t len,
			  const struct mn_addr *src, mn_ns now)
{
	uint8_t cookie[WG_MAC_LEN], mac[WG_MAC_LEN];
	make_cookie(dev, cookie, src, now);
	wg_mac(mac, cookie, WG_MAC_LEN, msg, len - WG_MAC_LEN);
	sodium_memzero(cookie, sizeof(cookie));
	return sodium_memcmp(mac, msg + len - WG_MAC_LEN, WG_MAC_LEN) == 0;
}

/* Cookie reply: type(4) receiver(4) nonce(24) cookie(16+16) */
enum { COOKIE_RECEIVER = 4, COOKIE_NONCE = 8, COOKIE_SEALED = 32 };
_Static_assert(COOKIE_SEALED + WG_MAC_LEN + WG_AEAD_TAG_LEN == WG_COOKIE_LEN, "cookie size");

void wg_cookie_create_reply(struct wg_dev *dev, uint8_t out[WG_COOKIE_LEN], const uint8_t *msg,
			    size_t len, const struct mn_addr *src, mn_ns now)
{
	uint8_t cookie[WG_MAC_LEN];

	memset(out, 0, WG_COOKIE_LEN);
	out[0] = WG_MSG_COOKIE;
	memcpy(out + COOKIE_RECEIVER, msg + 4, 4); /* the sender index of msg */
	mn_rng_bytes(&dev->rng, out + COOKIE_NONCE, WG_XNONCE_LEN);
	make_cookie(dev, cookie, src, now);
	wg_xaead_seal(out + COOKIE_SEALED, cookie, WG_MAC_LEN, out + COOKIE_NONCE, dev->cookie_key,
		      msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN);
	sodium_memzero(cookie, sizeof(cookie));
}

int wg_cookie_consume_reply(struct wg_dev *dev, const uint8_t msg[WG_COOKIE_LEN], mn_ns now)
{
	struct wg_index *e = wg_index_find(dev, mn_get_le32(msg + COOKIE_RECEIVER));
	struct wg_peer *peer;
	uint8_t cookie[WG_MAC_LEN];
	int rc;

	if (!e)
		return MN_ENOKEY;
	peer = e->peer;
	if (!peer->have_last_mac1)
		return MN_ESTATE;
	rc = wg_xaead_open(cookie, msg + COOKIE_SEALED, WG_MAC_LEN + WG_AEAD_TAG_LEN,
			   msg + COOKIE_NONCE, peer->cookie_key, peer->last_mac1, WG_MAC_LEN);
	if (rc == MN_OK) {
		memcpy(peer->cookie, cookie, WG_MAC_LEN);
		peer->cookie_birth = now;
		peer->cookie_valid = true;
		peer->have_last_mac1 = false;
	}
	sodium_memzero(cookie, sizeof(cookie));
	return rc;
}
