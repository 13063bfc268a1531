/* wg_receive.c - the receiving side: datagrams in, IP packets for the TUN
 * out. Handshake messages pass mac1, then (under load) mac2 and the
 * source's rate limit before any DH work; data packets pass the index,
 * the key's age, the replay window, the tag and the AllowedIPs check. */
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg_cookie.h"
#include "wg_internal.h"
#include "wg_noise.h"
#include "wg_send.h"
#include "wg_timers.h"

static void set_endpoint_from(struct wg_peer *peer, const struct mn_addr *src)
{
	/* Roaming: the endpoint follows the latest authenticated packet. */
	if (!mn_addr_eq(&peer->endpoint, src))
		peer->endpoint = *src;
}

/* Authenticated packet from peer: roaming (unless the caller owns the
 * peer's path), counters, timers; the caller learns who it was. */
static void authenticated_from(struct wg_peer *peer, const struct mn_addr *src, size_t len,
			       mn_ns now, struct wg_rx_meta *meta)
{
	if (meta)
		meta->peer = peer;
	if (!meta || !meta->no_roam)
		set_endpoint_from(peer, src);
	peer->rx_bytes += len;
	wg_timers_any_authenticated_received(peer);
	wg_timers_traversal(peer, now);
}

/* Since our last handshake message: the one this message answers (an
 * initiation or response sent since would have replaced the session it
 * completes). At least 1 ns: 0 means unknown. */
static mn_ns handshake_rtt(const struct wg_peer *peer, mn_ns now)
{
	return now > peer->last_sent_handshake ? now - peer->last_sent_handshake : 1;
}

static int handle_handshake(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf,
			    size_t len, struct mn_time now, struct wg_rx_meta *meta)
{
	struct wg_peer *peer = NULL;
	struct wg_keypair *kp;
	int rc;

	if (!wg_cookie_check_mac1(dev, buf, len)) {
		wg_drop(dev, WG_DROP_BAD_MAC1);
		return MN_EAUTH;
	}
	if (wg_ratelimit_under_load(&dev->ratelimit, now.mono)) {
		if (!wg_cookie_check_mac2(dev, buf, len, src, now.mono)) {
			uint8_t reply[WG_COOKIE_LEN];
			wg_cookie_create_reply(dev, reply, buf, len, src, now.mono);
			wg_send_control(dev, reply, sizeof(reply), src);
			wg_drop(dev, WG_DROP_NEED_COOKIE);
			return MN_EBUSY;
		}
		/* The source proved its address; it still gets only its share
		 * of our DH work. */
		if (!wg_ratelimit_allow(&dev->ratelimit, src, now.mono)) {
			wg_drop(dev, WG_DROP_RATELIMITED);
			return MN_EBUSY;
		}
	}

	/* The keypair is allocated inside the consume step, before the
	 * message changes anything: out of memory, it is refused whole (the
	 * endpoint is not moved either), and a retransmission can succeed. */
	if (buf[0] == WG_MSG_INITIATION) {
		uint8_t resp[WG_RESPONSE_LEN];
		rc = wg_noise_consume_initiation(dev, buf, now, &peer, &kp);
		if (rc < 0) {
			wg_drop(dev, rc == MN_ENOKEY  ? WG_DROP_UNKNOWN_PEER :
				     rc == MN_EREPLAY ? WG_DROP_REPLAY_TIMESTAMP :
				     rc == MN_ENOMEM  ? WG_DROP_NO_MEMORY :
							WG_DROP_BAD_HANDSHAKE);
			return rc;
		}
		authenticated_from(peer, src, len, now.mono, meta);
		if (wg_noise_create_response(peer, resp) < 0) {
			wg_noise_keypair_free(dev, kp);
			wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
			return MN_ECRYPTO;
		}
		wg_cookie_add_macs(peer, resp, sizeof(resp), now.mono);
		/* Send the response only with a session behind it. */
		if ((rc = wg_noise_begin_session(peer, kp, now)) < 0) {
			wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
			return rc;
		}
		wg_timers_session_derived(peer, now.mono);
		wg_send_handshake(peer, resp, sizeof(resp), now.mono);
		return 0;
	}

	rc = wg_noise_consume_response(dev, buf, &peer, &kp);
	if (rc < 0) {
		wg_drop(dev, rc == MN_ENOKEY ? WG_DROP_UNKNOWN_INDEX :
			     rc == MN_ENOMEM ? WG_DROP_NO_MEMORY :
					       WG_DROP_BAD_HANDSHAKE);
		return rc;
	}
	authenticated_from(peer, src, len, now.mono, meta);
	if ((rc = wg_noise_begin_session(peer, kp, now)) < 0) {
		wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
		return rc;
	}
	/* A response answers our latest initiation only (a retransmission
	 * made a new one, and the old one's index is gone). */
	peer->handshake_rtt = handshake_rtt(peer, now.mono);
	wg_timers_session_derived(peer, now.mono);
	wg_timers_handshake_complete(peer, now);
	/* Confirm the session to the responder: staged data, or a keepalive. */
	wg_send_keepalive(peer, now);
	return 0;
}

/* Length of the IP packet in a decrypted payload and its source address. */
static int ip_src(const uint8_t *p, size_t len, size_t *ip_len, int *family, const uint8_t **addr)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		size_t tot = mn_get_be16(p + 2);
		if (tot < 20 || tot > len)
			return MN_EPROTO;
		*ip_len = tot;
		*family = AF_INET;
		*addr = p + 12;
		return MN_OK;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		size_t tot = 40 + (size_t)mn_get_be16(p + 4);
		if (tot > len)
			return MN_EPROTO;
		*ip_len = tot;
		*family = AF_INET6;
		*addr = p + 8;
		return MN_OK;
	}
	return MN_EPROTO;
}

static int handle_data(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		       struct mn_time now, size_t *pkt_off, size_t *pkt_len,
		       struct wg_rx_meta *meta)
{
	struct wg_index *e = wg_index_find(dev, mn_get_le32(buf + 4));
	uint64_t counter = mn_get_le64(buf + 8);
	struct wg_keypair *kp;
	struct wg_peer *peer;
	const uint8_t *saddr;
	size_t plain_len = len - WG_DATA_MIN_LEN, ip_len;
	int family;

	if (!e || !e->kp) {
		wg_drop(dev, WG_DROP_UNKNOWN_INDEX);
		return MN_ENOKEY;
	}
	kp = e->kp;
	peer = e->peer;
	if (mn_elapsed(now.mono, kp->created, WG_REJECT_AFTER_TIME)) {
		wg_drop(dev, WG_DROP_EXPIRED_KEY);
		return MN_EEXPIRED;
	}
	if (!wg_replay_check(&kp->replay, counter)) {
		wg_drop(dev, WG_DROP_REPLAY);
		return MN_EREPLAY;
	}
	if (wg_aead_open(buf + WG_HEADROOM, buf + WG_HEADROOM, len - WG_HEADROOM, counter,
			 kp->recv_key, NULL, 0) < 0) {
		wg_drop(dev, WG_DROP_BAD_AUTH);
		return MN_EAUTH;
	}
	if (!wg_replay_accept(&kp->replay, counter)) {
		wg_drop(dev, WG_DROP_REPLAY);
		return MN_EREPLAY;
	}

	if (kp == peer->next) {
		/* The initiator used the session we answered: it is confirmed. */
		wg_noise_keypair_free(dev, peer->prev);
		peer->prev = peer->cur;
		peer->cur = kp;
		peer->next = NULL;
		peer->handshake_rtt = handshake_rtt(peer, now.mono);
		wg_timers_handshake_complete(peer, now);
		wg_send_staged(peer, now);
	}
	if (kp == peer->cur && kp->initiator && !peer->sent_lastminute_handshake &&
	    mn_elapsed(now.mono, kp->created,
		       WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT)) {
		peer->sent_lastminute_handshake = true;
		wg_send_initiation(peer, now, false);
	}
	authenticated_from(peer, src, len, now.mono, meta);

	if (plain_len == 0)
		return 0; /* keepalive */
	if (ip_src(buf + WG_HEADROOM, plain_len, &ip_len, &family, &saddr) < 0) {
		wg_drop(dev, WG_DROP_BAD_PACKET);
		return MN_EPROTO;
	}
	if (allowedips_lookup(&dev->table, family, saddr) != peer) {
		wg_drop(dev, WG_DROP_NOT_ALLOWED);
		return MN_EAUTH;
	}
	wg_timers_data_received(peer, now.mono);
	*pkt_off = WG_HEADROOM;
	*pkt_len = ip_len;
	return 1;
}

int wg_dev_udp_in(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		  struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
	return wg_dev_udp_in_ex(dev, src, buf, len, now, pkt_off, pkt_len, NULL);
}

int wg_dev_udp_in_ex(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		     struct mn_time now, size_t *pkt_off, size_t *pkt_len,
		     struct wg_rx_meta *meta)
{
	if (meta)
		meta->peer = NULL;
	if (!dev->has_key) {
		wg_drop(dev, WG_DROP_NO_KEY);
		return MN_ENOKEY;
	}
	if (len < 4) {
		wg_drop(dev, WG_DROP_BAD_SIZE);
		return MN_ETRUNC;
	}
	if (buf[1] | buf[2] | buf[3]) {
		wg_drop(dev, WG_DROP_BAD_TYPE);
		return MN_EPROTO;
	}
	switch (buf[0]) {
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
		if (len != (buf[0] == WG_MSG_INITIATION ? WG_INITIATION_LEN : WG_RESPONSE_LEN))
			break;
		return handle_handshake(dev, src, buf, len, now, meta);
	case WG_MSG_COOKIE:
		if (len != WG_COOKIE_LEN)
			break;
		if (wg_cookie_consume_reply(dev, buf, now.mono) < 0) {
			wg_drop(dev, WG_DROP_BAD_AUTH);
			return MN_EAUTH;
		}
		return 0;
	case WG_MSG_DATA:
		if (len < WG_DATA_MIN_LEN)
			break;
		return handle_data(dev, src, buf, len, now, pkt_off, pkt_len, meta);
	default:
		wg_drop(dev, WG_DROP_BAD_TYPE);
		return MN_EPROTO;
	}
	wg_drop(dev, WG_DROP_BAD_SIZE);
	return MN_EPROTO;
}
