/* wg_send.c - the sending side: TUN packets in, datagrams out.
 *
 * A packet goes out at once, encrypted in place, when its peer has a usable
 * session and nothing staged; otherwise it is copied to the peer's staged
 * queue (bounded per peer, oldest dropped; bounded in bytes for the whole
 * device, newest dropped) and a handshake starts. Control messages and
 * released staged packets wait in the device's control queue for
 * wg_dev_poll_tx().
 */
#include "wg_send.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg_cookie.h"
#include "wg_noise.h"
#include "wg_timers.h"

/* ---- the outgoing control queue ----
 *
 * One FIFO for wg_dev_poll_tx(): released staged packets, in the buffers
 * they were staged in, and control messages, copied into one of the
 * device's WG_MAX_TX_QUEUE control buffers. Anyone holding our public key
 * can make us queue a cookie reply (mac1 is all it takes), so that must
 * not cost an allocation (DESIGN.md §2); with a buffer per queue entry, a
 * free one is there whenever the queue has room. The free buffers are a
 * stack, and not zeroed (148 KiB a device, malloc'd): the one just sent is
 * the next used, so a device that never has much queued touches a page of
 * them, not all. */

_Static_assert(WG_MAX_TX_QUEUE <= UINT16_MAX + 1, "control buffer indices are 16-bit");

int wg_send_init(struct wg_dev *dev)
{
	dev->control_bufs = malloc(WG_MAX_TX_QUEUE * sizeof(*dev->control_bufs));
	if (!dev->control_bufs)
		return MN_ENOMEM;
	for (unsigned i = 0; i < WG_MAX_TX_QUEUE; i++)
		dev->control_free[i] = (uint16_t)(WG_MAX_TX_QUEUE - 1 - i);
	dev->n_control_free = WG_MAX_TX_QUEUE;
	return MN_OK;
}

static void push(struct wg_dev *dev, uint8_t *buf, size_t len, const struct mn_addr *dst,
		 bool control)
{
	struct wg_tx *t = &dev->txq[(dev->tx_head + dev->tx_count++) % WG_MAX_TX_QUEUE];
	t->buf = buf;
	t->len = len;
	t->dst = *dst;
	t->control = control;
}

/* Take the oldest entry off the queue; the caller releases it. */
static struct wg_tx *pop(struct wg_dev *dev)
{
	struct wg_tx *t = &dev->txq[dev->tx_head];
	dev->tx_head = (dev->tx_head + 1) % WG_MAX_TX_QUEUE;
	dev->tx_count--;
	return t;
}

static void release(struct wg_dev *dev, struct wg_tx *t)
{
	if (t->control)
		dev->control_free[dev->n_control_free++] =
			(uint16_t)((size_t)(t->buf - dev->control_bufs[0]) / WG_MAX_CONTROL);
	else
		free(t->buf);
	t->buf = NULL;
}

static void control_push_owned(struct wg_dev *dev, uint8_t *buf, size_t len,
			       const struct mn_addr *dst)
{
	if (dev->tx_count == WG_MAX_TX_QUEUE) {
		wg_drop(dev, WG_DROP_TX_FULL);
		free(buf);
		return;
	}
	push(dev, buf, len, dst, false);
}

void wg_send_control(struct wg_dev *dev, const uint8_t *data, size_t len,
		     const struct mn_addr *dst)
{
	if (len > WG_MAX_CONTROL) { /* a caller's bug: the buffers hold no more */
		wg_drop(dev, WG_DROP_BAD_SIZE);
		return;
	}
	if (dev->tx_count == WG_MAX_TX_QUEUE) {
		wg_drop(dev, WG_DROP_TX_FULL);
		return;
	}
	uint8_t *buf = dev->control_bufs[dev->control_free[--dev->n_control_free]];
	memcpy(buf, data, len);
	push(dev, buf, len, dst, true);
}

void wg_send_free(struct wg_dev *dev)
{
	while (dev->tx_count)
		release(dev, pop(dev));
	free(dev->control_bufs);
	dev->control_bufs = NULL;
}

int wg_dev_poll_tx(struct wg_dev *dev, uint8_t *buf, size_t cap, size_t *len,
		   struct mn_addr *dst)
{
	if (dev->tx_count == 0)
		return 0;
	struct wg_tx *t = pop(dev);
	int rc = 1;
	if (t->len > cap) {
		rc = MN_EMSGSIZE;
	} else {
		memcpy(buf, t->buf, t->len);
		*len = t->len;
		*dst = t->dst;
	}
	release(dev, t);
	return rc;
}

/* ---- the staged queue ---- */

/* The size of a staged packet's buffer, as counted in dev->staged_bytes. */
static size_t staged_size(size_t len)
{
	return WG_HEADROOM + len + WG_TAILROOM;
}

/* Staged packets are plaintext: wiped before they go back to the heap. */
static void staged_free(struct wg_staged *s)
{
	if (s->buf) {
		sodium_memzero(s->buf, staged_size(s->len));
		free(s->buf);
	}
	s->buf = NULL;
}

/* Take the oldest staged packet off the ring (the caller owns it now; it
 * no longer counts as staged). */
static struct wg_staged *staged_pop(struct wg_peer *peer)
{
	struct wg_staged *s = &peer->staged[peer->staged_head];
	peer->staged_head = (peer->staged_head + 1) % WG_MAX_STAGED_PER_PEER;
	peer->staged_count--;
	peer->dev->staged_bytes -= staged_size(s->len);
	return s;
}

void wg_send_staged_purge(struct wg_peer *peer)
{
	while (peer->staged_count)
		staged_free(staged_pop(peer));
}

/* Copy a packet to the peer's staged queue. MN_EFULL (counted) when the
 * device holds its cap of staged bytes; MN_ENOMEM (not counted). */
static int stage_packet(struct wg_peer *peer, const uint8_t *pkt, size_t len)
{
	struct wg_dev *dev = peer->dev;
	size_t size = staged_size(len);

	if (len && dev->staged_bytes + size > WG_MAX_STAGED_BYTES) {
		wg_drop(dev, WG_DROP_STAGED_DEVICE_FULL);
		return MN_EFULL;
	}
	uint8_t *buf = malloc(size);
	if (!buf)
		return MN_ENOMEM;
	if (peer->staged_count == WG_MAX_STAGED_PER_PEER) {
		/* drop the oldest, as WireGuard does */
		staged_free(staged_pop(peer));
		wg_drop(dev, WG_DROP_STAGED_FULL);
	}
	if (len)
		memcpy(buf + WG_HEADROOM, pkt, len);
	struct wg_staged *s =
		&peer->staged[(peer->staged_head + peer->staged_count++) % WG_MAX_STAGED_PER_PEER];
	s->buf = buf;
	s->len = len;
	dev->staged_bytes += size;
	return MN_OK;
}

/* ---- handshakes and data ---- */

void wg_send_handshake(struct wg_peer *peer, const uint8_t *msg, size_t len, mn_ns now)
{
	wg_timers_traversal(peer, now);
	wg_timers_any_authenticated_sent(peer);
	/* Initiations and responses alike count for the one-per-REKEY_TIMEOUT
	 * limit, so traffic queued before the initiator's first data does not
	 * start a second handshake (as the kernel does). */
	peer->last_sent_handshake = now;
	peer->sent_any_handshake = true;
	peer->tx_bytes += len;
	wg_send_control(peer->dev, msg, len, &peer->endpoint);
}

void wg_send_initiation(struct wg_peer *peer, struct mn_time now, bool is_retry)
{
	uint8_t msg[WG_INITIATION_LEN];

	if (!is_retry)
		peer->handshake_attempts = 0;
	/* rate limit: one initiation per REKEY_TIMEOUT */
	if (peer->sent_any_handshake &&
	    !mn_elapsed(now.mono, peer->last_sent_handshake, WG_REKEY_TIMEOUT))
		return;
	if (!mn_addr_is_set(&peer->endpoint))
		return;
	if (wg_noise_create_initiation(peer, msg, now) < 0)
		return;
	wg_cookie_add_macs(peer, msg, sizeof(msg), now.mono);
	wg_send_handshake(peer, msg, sizeof(msg), now.mono);
	wg_timers_handshake_initiated(peer, now.mono);
}

static bool keypair_can_send(const struct wg_keypair *kp, mn_ns now)
{
	return kp && !mn_elapsed(now, kp->created, WG_REJECT_AFTER_TIME) &&
	       kp->send_counter < WG_REJECT_AFTER_MESSAGES;
}

/* Encrypt the packet at buf + WG_HEADROOM (len bytes) in place; returns the
 * datagram length. Padding to 16 bytes, never past the MTU (paper §5.4.6). */
static size_t encrypt_packet(struct wg_dev *dev, struct wg_keypair *kp, uint8_t *buf, size_t len)
{
	size_t padded = (len + 15) & ~(size_t)15;
	if (padded > dev->mtu)
		padded = len > dev->mtu ? len : dev->mtu;
	memset(buf + WG_HEADROOM + len, 0, padded - len);
	uint64_t counter = kp->send_counter++;
	buf[0] = WG_MSG_DATA;
	buf[1] = buf[2] = buf[3] = 0;
	mn_put_le32(buf + 4, kp->remote_index);
	mn_put_le64(buf + 8, counter);
	wg_aead_seal(buf + WG_HEADROOM, buf + WG_HEADROOM, padded, counter, kp->send_key, NULL, 0);
	return WG_HEADROOM + padded + WG_AEAD_TAG_LEN;
}

static void keep_key_fresh(struct wg_peer *peer, struct mn_time now)
{
	struct wg_keypair *kp = peer->cur;
	if (kp && (kp->send_counter > WG_REKEY_AFTER_MESSAGES ||
		   (kp->initiator && mn_elapsed(now.mono, kp->created, WG_REKEY_AFTER_TIME))))
		wg_send_initiation(peer, now, false);
}

static void after_data_sent(struct wg_peer *peer, size_t dgram_len, bool is_data,
			    struct mn_time now)
{
	peer->tx_bytes += dgram_len;
	wg_timers_traversal(peer, now.mono);
	wg_timers_any_authenticated_sent(peer);
	if (is_data)
		wg_timers_data_sent(peer, now.mono);
	keep_key_fresh(peer, now);
}

void wg_send_staged(struct wg_peer *peer, struct mn_time now)
{
	struct wg_dev *dev = peer->dev;

	if (!peer->staged_count)
		return;
	if (!keypair_can_send(peer->cur, now.mono) || !mn_addr_is_set(&peer->endpoint)) {
		wg_send_initiation(peer, now, false);
		return;
	}
	while (peer->staged_count) {
		struct wg_staged *s = staged_pop(peer);
		if (!keypair_can_send(peer->cur, now.mono)) {
			staged_free(s);
			continue;
		}
		size_t n = encrypt_packet(dev, peer->cur, s->buf, s->len);
		control_push_owned(dev, s->buf, n, &peer->endpoint);
		s->buf = NULL;
		after_data_sent(peer, n, s->len > 0, now);
	}
}

bool wg_peer_keepalive_now(struct wg_peer *peer, struct mn_time now)
{
	if (!keypair_can_send(peer->cur, now.mono) || !mn_addr_is_set(&peer->endpoint))
		return false;
	wg_send_keepalive(peer, now);
	return true;
}

void wg_send_keepalive(struct wg_peer *peer, struct mn_time now)
{
	if (peer->staged_count == 0 && stage_packet(peer, NULL, 0) < 0)
		return;
	wg_send_staged(peer, now);
}

/* Destination of an IP packet: family and a pointer to the address. */
static int ip_dst(const uint8_t *pkt, size_t len, int *family, const uint8_t **addr)
{
	if (len >= 20 && pkt[0] >> 4 == 4) {
		*family = AF_INET;
		*addr = pkt + 16;
		return MN_OK;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		*family = AF_INET6;
		*addr = pkt + 24;
		return MN_OK;
	}
	return MN_EPROTO;
}

struct wg_peer *wg_dev_route(const struct wg_dev *dev, const uint8_t *pkt, size_t len)
{
	const uint8_t *daddr;
	int family;

	if (ip_dst(pkt, len, &family, &daddr) < 0)
		return NULL;
	return allowedips_lookup(&dev->table, family, daddr);
}

int wg_dev_tun_in(struct wg_dev *dev, uint8_t *buf, size_t cap, size_t len,
		  struct mn_time now, struct mn_addr *dst, size_t *out_len)
{
	const uint8_t *pkt = buf + WG_HEADROOM, *daddr;
	struct wg_peer *peer;
	int family;

	if (!dev->has_key) {
		wg_drop(dev, WG_DROP_NO_KEY);
		return MN_ENOKEY;
	}
	if (cap < WG_HEADROOM + len + WG_TAILROOM) {
		wg_drop(dev, WG_DROP_BAD_SIZE);
		return MN_EMSGSIZE;
	}
	if (ip_dst(pkt, len, &family, &daddr) < 0) {
		wg_drop(dev, WG_DROP_BAD_PACKET);
		return MN_EPROTO;
	}
	peer = allowedips_lookup(&dev->table, family, daddr);
	if (!peer) {
		wg_drop(dev, WG_DROP_NO_ROUTE);
		return MN_ENOROUTE;
	}
	if (!mn_addr_is_set(&peer->endpoint)) {
		wg_drop(dev, WG_DROP_NO_ENDPOINT);
		return MN_ENOROUTE;
	}
	if (peer->staged_count == 0 && keypair_can_send(peer->cur, now.mono)) {
		*out_len = encrypt_packet(dev, peer->cur, buf, len);
		*dst = peer->endpoint;
		after_data_sent(peer, *out_len, true, now);
		return 1;
	}
	int rc = stage_packet(peer, pkt, len);
	if (rc == MN_EFULL) {
		/* Dropped, but what the peer waits for must still happen (its
		 * staged packets released, or its handshake started), or it
		 * would wait for the other peers' queues to drain. */
		if (peer->staged_count)
			wg_send_staged(peer, now);
		else
			wg_send_initiation(peer, now, false);
		return rc;
	}
	if (rc < 0) {
		wg_drop(dev, WG_DROP_NO_MEMORY);
		return rc;
	}
	wg_send_staged(peer, now);
	return 0;
}
