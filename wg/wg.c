/* wg.c - the WireGuard device: peers, the receiver-index table, the data
 * path and the timers (paper §6).
 *
 * Timers, each an absolute monotonic deadline per peer (MN_NEVER = idle),
 * folded into wg_dev_next_deadline():
 *   retransmit       REKEY_TIMEOUT + jitter(0..333 ms) after an initiation is
 *                    sent; resend until REKEY_ATTEMPT_TIME (18 tries), then give
 *                    up, drop staged packets and schedule zeroing the keys.
 *   send_keepalive   KEEPALIVE_TIMEOUT after data is received when we have sent
 *                    nothing since: send an empty (keepalive) packet.
 *   new_handshake    KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after data is sent
 *                    and nothing authenticated has come back: initiate again.
 *   zero_keys        3 * REJECT_AFTER_TIME after a session is derived: erase all
 *                    keypairs and handshake state.
 *   persistent       the peer's persistent-keepalive interval after any
 *                    authenticated packet in either direction: send a keepalive.
 * Rekey on send: the initiator of the current session starts a new handshake
 * after REKEY_AFTER_TIME or REKEY_AFTER_MESSAGES; on receive, once the
 * session is older than REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT.
 * Sessions are refused after REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg_internal.h"

#define MAX_TIMER_HANDSHAKES (WG_REKEY_ATTEMPT_TIME / WG_REKEY_TIMEOUT)
#define REKEY_JITTER_MAX (MN_NS_PER_SEC / 3)
#define DEFAULT_MTU 1420
#define LOAD_WINDOW MN_NS_PER_SEC

static const char *const drop_names[] = {
#define WG_DROP_NAME(n, s) s,
	WG_DROP_MAP(WG_DROP_NAME)
#undef WG_DROP_NAME
};

const char *wg_drop_name(enum wg_drop d)
{
	return (unsigned)d < WG_DROP__COUNT ? drop_names[d] : "unknown";
}

void wg_drop(struct wg_dev *dev, enum wg_drop reason)
{
	dev->drops[reason]++;
}

uint64_t wg_dev_drops(const struct wg_dev *dev, enum wg_drop reason)
{
	return (unsigned)reason < WG_DROP__COUNT ? dev->drops[reason] : 0;
}

/* ---- receiver index table ---- */

static unsigned index_bucket(uint32_t id)
{
	/* ids are drawn at random, but mix anyway so a peer cannot pick buckets */
	return (id * UINT32_C(2654435761)) >> (32 - 14);
}
_Static_assert(WG_INDEX_BUCKETS == 1u << 14, "index_bucket shift");

struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id)
{
	for (struct wg_index *e = dev->index_buckets[index_bucket(id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

void wg_index_add_id(struct wg_dev *dev, struct wg_index *e)
{
	unsigned b = index_bucket(e->id);
	e->next = dev->index_buckets[b];
	dev->index_buckets[b] = e;
	e->linked = true;
}

void wg_index_add(struct wg_dev *dev, struct wg_index *e)
{
	do
		e->id = mn_rng_u32(&dev->rng);
	while (wg_index_find(dev, e->id));
	wg_index_add_id(dev, e);
}

void wg_index_del(struct wg_dev *dev, struct wg_index *e)
{
	if (!e->linked)
		return;
	for (struct wg_index **pp = &dev->index_buckets[index_bucket(e->id)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->linked = false;
	e->next = NULL;
}

/* ---- peers by public key ---- */

static unsigned peer_bucket(const struct wg_dev *dev, const uint8_t pk[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, pk, 32, dev->peer_hash_key);
	return mn_get_le32(h) & (WG_PEER_BUCKETS - 1);
}

struct wg_peer *wg_peer_by_key(const struct wg_dev *dev, const uint8_t pk[32])
{
	for (struct wg_peer *p = dev->peer_buckets[peer_bucket(dev, pk)]; p; p = p->hash_next)
		if (sodium_memcmp(p->public_key, pk, 32) == 0)
			return p;
	return NULL;
}

struct wg_peer *wg_dev_peer_find(const struct wg_dev *dev, const uint8_t pk[WG_KEY_LEN])
{
	return wg_peer_by_key(dev, pk);
}

/* ---- the outgoing control queue ---- */

static void txq_push_owned(struct wg_dev *dev, uint8_t *buf, size_t len,
			   const struct mn_addr *dst)
{
	if (dev->tx_count == WG_MAX_TX_QUEUE) {
		wg_drop(dev, WG_DROP_TX_FULL);
		free(buf);
		return;
	}
	struct wg_tx *t = &dev->txq[(dev->tx_head + dev->tx_count++) % WG_MAX_TX_QUEUE];
	t->buf = buf;
	t->len = len;
	t->dst = *dst;
}

static void txq_push(struct wg_dev *dev, const uint8_t *data, size_t len,
		     const struct mn_addr *dst)
{
	uint8_t *buf = malloc(len);
	if (!buf) {
		wg_drop(dev, WG_DROP_TX_FULL);
		return;
	}
	memcpy(buf, data, len);
	txq_push_owned(dev, buf, len, dst);
}

int wg_dev_poll_tx(struct wg_dev *dev, uint8_t *buf, size_t cap, size_t *len,
		   struct mn_addr *dst)
{
	if (dev->tx_count == 0)
		return 0;
	struct wg_tx *t = &dev->txq[dev->tx_head];
	dev->tx_head = (dev->tx_head + 1) % WG_MAX_TX_QUEUE;
	dev->tx_count--;
	int rc = 1;
	if (t->len > cap) {
		rc = MN_EMSGSIZE;
	} else {
		memcpy(buf, t->buf, t->len);
		*len = t->len;
		*dst = t->dst;
	}
	free(t->buf);
	t->buf = NULL;
	return rc;
}

/* ---- device ---- */

int wg_dev_new(struct wg_dev **out, const struct mn_rng *rng)
{
	struct wg_dev *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return MN_ENOMEM;
	dev->rng = *rng;
	dev->mtu = DEFAULT_MTU;
	mn_rng_bytes(&dev->rng, dev->peer_hash_key, sizeof(dev->peer_hash_key));
	mn_rng_bytes(&dev->rng, dev->ratelimit_key, sizeof(dev->ratelimit_key));
	allowedips_init(&dev->table);
	*out = dev;
	return MN_OK;
}

void wg_dev_del(struct wg_dev *dev)
{
	if (!dev)
		return;
	wg_dev_peer_remove_all(dev);
	while (dev->tx_count) {
		free(dev->txq[dev->tx_head].buf);
		dev->tx_head = (dev->tx_head + 1) % WG_MAX_TX_QUEUE;
		dev->tx_count--;
	}
	allowedips_free(&dev->table);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

void wg_dev_set_mtu(struct wg_dev *dev, uint32_t mtu)
{
	dev->mtu = mtu;
}

void wg_dev_force_under_load(struct wg_dev *dev, bool on)
{
	dev->force_under_load = on;
}

/* Staged packets are plaintext: wiped before they go back to the heap. */
static void staged_free(struct wg_staged *s)
{
	if (s->buf) {
		sodium_memzero(s->buf, WG_HEADROOM + s->len + WG_TAILROOM);
		free(s->buf);
	}
	s->buf = NULL;
}

static void staged_purge(struct wg_peer *peer)
{
	while (peer->staged_count) {
		staged_free(&peer->staged[peer->staged_head]);
		peer->staged_head = (peer->staged_head + 1) % WG_MAX_STAGED_PER_PEER;
		peer->staged_count--;
	}
}

static void peer_clear_sessions(struct wg_peer *peer)
{
	struct wg_dev *dev = peer->dev;
	wg_keypair_free(dev, peer->cur);
	wg_keypair_free(dev, peer->prev);
	wg_keypair_free(dev, peer->next);
	peer->cur = peer->prev = peer->next = NULL;
	wg_handshake_clear(dev, &peer->hs);
}

int wg_dev_set_private_key(struct wg_dev *dev, const uint8_t sk[WG_KEY_LEN])
{
	static const uint8_t zero[WG_KEY_LEN];
	uint8_t key[WG_KEY_LEN];

	if (!sk || sodium_memcmp(sk, zero, WG_KEY_LEN) == 0) {
		if (!dev->has_key)
			return MN_OK;
		dev->has_key = false;
		for (struct wg_peer *p = dev->peers_first; p; p = p->list_next)
			sodium_memzero(p->ss, sizeof(p->ss));
		sodium_memzero(dev->priv, sizeof(dev->priv));
		memset(dev->pub, 0, sizeof(dev->pub));
	} else {
		memcpy(key, sk, WG_KEY_LEN);
		wg_clamp(key);
		if (dev->has_key && sodium_memcmp(key, dev->priv, WG_KEY_LEN) == 0) {
			sodium_memzero(key, sizeof(key));
			return MN_OK;
		}
		uint8_t pub[WG_KEY_LEN];
		if (wg_pubkey(pub, key) < 0) {
			sodium_memzero(key, sizeof(key));
			return MN_EINVAL;
		}
		memcpy(dev->priv, key, WG_KEY_LEN);
		memcpy(dev->pub, pub, WG_KEY_LEN);
		sodium_memzero(key, sizeof(key));
		dev->has_key = true;
		wg_noise_device_keys(dev);
		/* A peer with our own public key cannot exist (wireguard-go). */
		struct wg_peer *self = wg_peer_by_key(dev, pub);
		if (self)
			wg_dev_peer_remove(dev, self);
	}
	for (struct wg_peer *p = dev->peers_first; p; p = p->list_next) {
		peer_clear_sessions(p);
		wg_noise_precompute(p);
	}
	return MN_OK;
}

bool wg_dev_private_key(const struct wg_dev *dev, uint8_t sk[WG_KEY_LEN])
{
	if (dev->has_key)
		memcpy(sk, dev->priv, WG_KEY_LEN);
	return dev->has_key;
}

bool wg_dev_public_key(const struct wg_dev *dev, uint8_t pk[WG_KEY_LEN])
{
	if (dev->has_key)
		memcpy(pk, dev->pub, WG_KEY_LEN);
	return dev->has_key;
}

/* ---- peers ---- */

int wg_dev_peer_add(struct wg_dev *dev, const uint8_t pk[WG_KEY_LEN], struct wg_peer **out)
{
	struct wg_peer *peer = wg_peer_by_key(dev, pk);
	if (peer) {
		*out = peer;
		return MN_EEXIST;
	}
	if (dev->has_key && sodium_memcmp(pk, dev->pub, WG_KEY_LEN) == 0)
		return MN_EINVAL;
	if (dev->n_peers >= WG_MAX_PEERS)
		return MN_EFULL;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return MN_ENOMEM;
	peer->dev = dev;
	memcpy(peer->public_key, pk, WG_KEY_LEN);
	peer->hs.entry.peer = peer;
	peer->t_retransmit = peer->t_send_keepalive = peer->t_new_handshake = MN_NEVER;
	peer->t_zero_keys = peer->t_persistent_keepalive = MN_NEVER;
	wg_noise_precompute(peer);

	unsigned b = peer_bucket(dev, pk);
	peer->hash_next = dev->peer_buckets[b];
	dev->peer_buckets[b] = peer;
	peer->list_prev = dev->peers_last;
	if (dev->peers_last)
		dev->peers_last->list_next = peer;
	else
		dev->peers_first = peer;
	dev->peers_last = peer;
	dev->n_peers++;
	*out = peer;
	return MN_OK;
}

void wg_dev_peer_remove(struct wg_dev *dev, struct wg_peer *peer)
{
	allowedips_remove_value(&dev->table, peer);
	peer_clear_sessions(peer);
	staged_purge(peer);
	for (struct wg_peer **pp = &dev->peer_buckets[peer_bucket(dev, peer->public_key)]; *pp;
	     pp = &(*pp)->hash_next) {
		if (*pp == peer) {
			*pp = peer->hash_next;
			break;
		}
	}
	if (peer->list_prev)
		peer->list_prev->list_next = peer->list_next;
	else
		dev->peers_first = peer->list_next;
	if (peer->list_next)
		peer->list_next->list_prev = peer->list_prev;
	else
		dev->peers_last = peer->list_prev;
	dev->n_peers--;
	sodium_memzero(peer, sizeof(*peer));
	free(peer);
}

void wg_dev_peer_remove_all(struct wg_dev *dev)
{
	while (dev->peers_first)
		wg_dev_peer_remove(dev, dev->peers_first);
}

struct wg_peer *wg_dev_peer_next(const struct wg_dev *dev, const struct wg_peer *prev)
{
	return prev ? prev->list_next : dev->peers_first;
}

void wg_peer_set_psk(struct wg_peer *peer, const uint8_t psk[WG_KEY_LEN])
{
	if (psk)
		memcpy(peer->psk, psk, WG_KEY_LEN);
	else
		sodium_memzero(peer->psk, WG_KEY_LEN);
}

void wg_peer_set_endpoint(struct wg_peer *peer, const struct mn_addr *ep)
{
	peer->endpoint = *ep;
	mn_addr_unmap(&peer->endpoint);
}

int wg_peer_allowedip_add(struct wg_peer *peer, const struct mn_prefix *p)
{
	return allowedips_insert(&peer->dev->table, p, peer);
}

void wg_peer_allowedips_clear(struct wg_peer *peer)
{
	allowedips_remove_value(&peer->dev->table, peer);
}

void wg_peer_allowedips_foreach(const struct wg_peer *peer,
				bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx)
{
	allowedips_foreach_value(&peer->dev->table, (void *)peer, fn, ctx);
}

void wg_peer_info(const struct wg_peer *peer, struct wg_peer_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->public_key, peer->public_key, WG_KEY_LEN);
	memcpy(out->preshared_key, peer->psk, WG_KEY_LEN);
	out->endpoint = peer->endpoint;
	out->last_handshake_wall = peer->last_handshake_wall;
	out->rx_bytes = peer->rx_bytes;
	out->tx_bytes = peer->tx_bytes;
	out->persistent_keepalive_secs = peer->keepalive_secs;
}

/* ---- timer events (named after the kernel's wg_timers_*) ---- */

static mn_ns jitter(struct wg_dev *dev)
{
	return mn_rng_uniform(&dev->rng, (uint32_t)REKEY_JITTER_MAX);
}

static void timers_data_sent(struct wg_peer *peer, mn_ns now)
{
	if (peer->t_new_handshake == MN_NEVER)
		peer->t_new_handshake =
			now + WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT + jitter(peer->dev);
}

static void timers_data_received(struct wg_peer *peer, mn_ns now)
{
	if (peer->t_send_keepalive == MN_NEVER)
		peer->t_send_keepalive = now + WG_KEEPALIVE_TIMEOUT;
	else
		peer->need_another_keepalive = true;
}

static void timers_any_authenticated_sent(struct wg_peer *peer)
{
	peer->t_send_keepalive = MN_NEVER;
}

static void timers_any_authenticated_received(struct wg_peer *peer)
{
	peer->t_new_handshake = MN_NEVER;
}

static void timers_traversal(struct wg_peer *peer, mn_ns now)
{
	if (peer->keepalive_secs)
		peer->t_persistent_keepalive = now + peer->keepalive_secs * MN_NS_PER_SEC;
}

static void timers_handshake_complete(struct wg_peer *peer, struct mn_time now)
{
	peer->t_retransmit = MN_NEVER;
	peer->handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	peer->last_handshake_wall = now.wall;
}

static void timers_session_derived(struct wg_peer *peer, mn_ns now)
{
	peer->t_zero_keys = now + 3 * WG_REJECT_AFTER_TIME;
}

/* ---- sending ---- */

static void send_initiation(struct wg_peer *peer, struct mn_time now, bool is_retry)
{
	struct wg_dev *dev = peer->dev;
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
	timers_traversal(peer, now.mono);
	timers_any_authenticated_sent(peer);
	peer->last_sent_handshake = now.mono;
	peer->sent_any_handshake = true;
	peer->tx_bytes += sizeof(msg);
	txq_push(dev, msg, sizeof(msg), &peer->endpoint);
	peer->t_retransmit = now.mono + WG_REKEY_TIMEOUT + jitter(dev);
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

static void keep_key_fresh_send(struct wg_peer *peer, struct mn_time now)
{
	struct wg_keypair *kp = peer->cur;
	if (kp && (kp->send_counter > WG_REKEY_AFTER_MESSAGES ||
		   (kp->initiator && mn_elapsed(now.mono, kp->created, WG_REKEY_AFTER_TIME))))
		send_initiation(peer, now, false);
}

static void after_data_sent(struct wg_peer *peer, size_t dgram_len, bool is_data,
			    struct mn_time now)
{
	peer->tx_bytes += dgram_len;
	timers_traversal(peer, now.mono);
	timers_any_authenticated_sent(peer);
	if (is_data)
		timers_data_sent(peer, now.mono);
	keep_key_fresh_send(peer, now);
}

/* Release the staged queue through a valid session, or start a handshake. */
static void send_staged(struct wg_peer *peer, struct mn_time now)
{
	struct wg_dev *dev = peer->dev;

	if (!peer->staged_count)
		return;
	if (!keypair_can_send(peer->cur, now.mono) || !mn_addr_is_set(&peer->endpoint)) {
		send_initiation(peer, now, false);
		return;
	}
	while (peer->staged_count) {
		struct wg_staged *s = &peer->staged[peer->staged_head];
		peer->staged_head = (peer->staged_head + 1) % WG_MAX_STAGED_PER_PEER;
		peer->staged_count--;
		if (!keypair_can_send(peer->cur, now.mono)) {
			staged_free(s);
			continue;
		}
		size_t n = encrypt_packet(dev, peer->cur, s->buf, s->len);
		txq_push_owned(dev, s->buf, n, &peer->endpoint);
		s->buf = NULL;
		after_data_sent(peer, n, s->len > 0, now);
	}
}

static int stage_packet(struct wg_peer *peer, const uint8_t *pkt, size_t len)
{
	struct wg_dev *dev = peer->dev;
	uint8_t *buf = malloc(WG_HEADROOM + len + WG_TAILROOM);
	if (!buf)
		return MN_ENOMEM;
	if (peer->staged_count == WG_MAX_STAGED_PER_PEER) {
		/* drop the oldest, as WireGuard does */
		staged_free(&peer->staged[peer->staged_head]);
		peer->staged_head = (peer->staged_head + 1) % WG_MAX_STAGED_PER_PEER;
		peer->staged_count--;
		wg_drop(dev, WG_DROP_STAGED_FULL);
	}
	if (len)
		memcpy(buf + WG_HEADROOM, pkt, len);
	struct wg_staged *s =
		&peer->staged[(peer->staged_head + peer->staged_count++) % WG_MAX_STAGED_PER_PEER];
	s->buf = buf;
	s->len = len;
	return MN_OK;
}

static void send_keepalive(struct wg_peer *peer, struct mn_time now)
{
	if (peer->staged_count == 0 && stage_packet(peer, NULL, 0) < 0)
		return;
	send_staged(peer, now);
}

void wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t secs, mn_ns now)
{
	uint16_t old = peer->keepalive_secs;
	peer->keepalive_secs = secs;
	if (!secs) {
		peer->t_persistent_keepalive = MN_NEVER;
	} else if (!old && mn_addr_is_set(&peer->endpoint) && peer->dev->has_key) {
		/* Send one at once (as wireguard-go); with no session this starts
		 * the handshake. Only the monotonic clock is known here, so defer
		 * to the timer, which has both. */
		peer->t_persistent_keepalive = now;
	}
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
	if (stage_packet(peer, pkt, len) < 0) {
		wg_drop(dev, WG_DROP_STAGED_FULL);
		return MN_ENOMEM;
	}
	send_staged(peer, now);
	return 0;
}

/* ---- receiving ---- */

static bool note_handshake_load(struct wg_dev *dev, mn_ns now)
{
	if (mn_elapsed(now, dev->load_window_start, LOAD_WINDOW)) {
		dev->load_window_start = now;
		dev->load_window_count = 0;
	}
	if (++dev->load_window_count > WG_MAX_HANDSHAKES_PER_SEC)
		dev->under_load_until = now + LOAD_WINDOW;
	return dev->force_under_load || mn_time_before(now, dev->under_load_until);
}

/* Token bucket of the source's /32 or /64 (kernel ratelimiter.c semantics). */
static bool ratelimit_allow(struct wg_dev *dev, const struct mn_addr *src, mn_ns now)
{
	const mn_ns cost = MN_NS_PER_SEC / WG_RATELIMIT_PER_SEC;
	uint8_t key[9], h[crypto_shorthash_BYTES];
	size_t n;

	if (src->sa.sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &src->in4.sin_addr, 4);
		n = 5;
	} else {
		key[0] = 6;
		memcpy(key + 1, &src->in6.sin6_addr, 8);
		n = 9;
	}
	crypto_shorthash(h, key, n, dev->ratelimit_key);
	struct wg_bucket *b = &dev->ratelimit[mn_get_le32(h) & (WG_RATELIMIT_SLOTS - 1)];
	if (b->last == 0 || mn_elapsed(now, b->last, WG_RATELIMIT_BURST * cost)) {
		b->tokens = WG_RATELIMIT_BURST * cost;
	} else {
		b->tokens += now - b->last;
		if (b->tokens > WG_RATELIMIT_BURST * cost)
			b->tokens = WG_RATELIMIT_BURST * cost;
	}
	b->last = now ? now : 1;
	if (b->tokens < cost)
		return false;
	b->tokens -= cost;
	return true;
}

static void set_endpoint_from(struct wg_peer *peer, const struct mn_addr *src)
{
	/* Roaming: the endpoint follows the latest authenticated packet. */
	if (!mn_addr_eq(&peer->endpoint, src))
		peer->endpoint = *src;
}

static int handle_handshake(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf,
			    size_t len, struct mn_time now)
{
	struct wg_peer *peer = NULL;
	int rc;

	if (!wg_cookie_check_mac1(dev, buf, len)) {
		wg_drop(dev, WG_DROP_BAD_MAC1);
		return MN_EAUTH;
	}
	if (note_handshake_load(dev, now.mono)) {
		if (!wg_cookie_check_mac2(dev, buf, len, src, now.mono)) {
			uint8_t reply[WG_COOKIE_LEN];
			wg_cookie_create_reply(dev, reply, buf, len, src, now.mono);
			txq_push(dev, reply, sizeof(reply), src);
			wg_drop(dev, WG_DROP_NEED_COOKIE);
			return MN_EBUSY;
		}
		/* The source proved its address; it still gets only its share
		 * of our DH work. */
		if (!ratelimit_allow(dev, src, now.mono)) {
			wg_drop(dev, WG_DROP_RATELIMITED);
			return MN_EBUSY;
		}
	}

	if (buf[0] == WG_MSG_INITIATION) {
		uint8_t resp[WG_RESPONSE_LEN];
		rc = wg_noise_consume_initiation(dev, buf, now, &peer);
		if (rc < 0) {
			wg_drop(dev, rc == MN_ENOKEY  ? WG_DROP_UNKNOWN_PEER :
				     rc == MN_EREPLAY ? WG_DROP_REPLAY_TIMESTAMP :
							WG_DROP_BAD_HANDSHAKE);
			return rc;
		}
		set_endpoint_from(peer, src);
		peer->rx_bytes += len;
		timers_any_authenticated_received(peer);
		timers_traversal(peer, now.mono);
		if (wg_noise_create_response(peer, resp) < 0) {
			wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
			return MN_ECRYPTO;
		}
		wg_cookie_add_macs(peer, resp, sizeof(resp), now.mono);
		/* Send the response only with a session behind it. */
		if ((rc = wg_noise_begin_session(peer, now)) < 0) {
			wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
			return rc;
		}
		timers_session_derived(peer, now.mono);
		timers_traversal(peer, now.mono);
		timers_any_authenticated_sent(peer);
		/* A response counts as our handshake for the rate limit, so
		 * traffic queued before the initiator's first data does not
		 * start a second handshake (as the kernel does). */
		peer->last_sent_handshake = now.mono;
		peer->sent_any_handshake = true;
		peer->tx_bytes += sizeof(resp);
		txq_push(dev, resp, sizeof(resp), &peer->endpoint);
		return 0;
	}

	rc = wg_noise_consume_response(dev, buf, &peer);
	if (rc < 0) {
		wg_drop(dev, rc == MN_ENOKEY ? WG_DROP_UNKNOWN_INDEX : WG_DROP_BAD_HANDSHAKE);
		return rc;
	}
	set_endpoint_from(peer, src);
	peer->rx_bytes += len;
	timers_any_authenticated_received(peer);
	timers_traversal(peer, now.mono);
	if ((rc = wg_noise_begin_session(peer, now)) < 0) {
		wg_drop(dev, WG_DROP_BAD_HANDSHAKE);
		return rc;
	}
	timers_session_derived(peer, now.mono);
	timers_handshake_complete(peer, now);
	/* Confirm the session to the responder: staged data, or a keepalive. */
	send_keepalive(peer, now);
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
		       struct mn_time now, size_t *pkt_off, size_t *pkt_len)
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
		wg_keypair_free(dev, peer->prev);
		peer->prev = peer->cur;
		peer->cur = kp;
		peer->next = NULL;
		timers_handshake_complete(peer, now);
		send_staged(peer, now);
	}
	if (kp == peer->cur && kp->initiator && !peer->sent_lastminute_handshake &&
	    mn_elapsed(now.mono, kp->created,
		       WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT)) {
		peer->sent_lastminute_handshake = true;
		send_initiation(peer, now, false);
	}
	set_endpoint_from(peer, src);
	peer->rx_bytes += len;
	timers_any_authenticated_received(peer);
	timers_traversal(peer, now.mono);

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
	timers_data_received(peer, now.mono);
	*pkt_off = WG_HEADROOM;
	*pkt_len = ip_len;
	return 1;
}

int wg_dev_udp_in(struct wg_dev *dev, const struct mn_addr *src, uint8_t *buf, size_t len,
		  struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
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
		return handle_handshake(dev, src, buf, len, now);
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
		return handle_data(dev, src, buf, len, now, pkt_off, pkt_len);
	default:
		wg_drop(dev, WG_DROP_BAD_TYPE);
		return MN_EPROTO;
	}
	wg_drop(dev, WG_DROP_BAD_SIZE);
	return MN_EPROTO;
}

/* ---- timers ---- */

static mn_ns peer_deadline(const struct wg_peer *p)
{
	mn_ns d = p->t_retransmit;
	d = mn_min_deadline(d, p->t_send_keepalive);
	d = mn_min_deadline(d, p->t_new_handshake);
	d = mn_min_deadline(d, p->t_zero_keys);
	return mn_min_deadline(d, p->t_persistent_keepalive);
}

mn_ns wg_dev_next_deadline(const struct wg_dev *dev)
{
	mn_ns d = MN_NEVER;
	for (const struct wg_peer *p = dev->peers_first; p; p = p->list_next)
		d = mn_min_deadline(d, peer_deadline(p));
	return d;
}

static bool due(mn_ns deadline, mn_ns now)
{
	return deadline != MN_NEVER && mn_time_after_eq(now, deadline);
}

static void peer_on_timer(struct wg_peer *peer, struct mn_time now)
{
	if (due(peer->t_retransmit, now.mono)) {
		peer->t_retransmit = MN_NEVER;
		if (peer->handshake_attempts > MAX_TIMER_HANDSHAKES) {
			/* Give up: REKEY_ATTEMPT_TIME has passed. */
			peer->t_send_keepalive = MN_NEVER;
			staged_purge(peer);
			if (peer->t_zero_keys == MN_NEVER)
				peer->t_zero_keys = now.mono + 3 * WG_REJECT_AFTER_TIME;
		} else {
			peer->handshake_attempts++;
			send_initiation(peer, now, true);
		}
	}
	if (due(peer->t_send_keepalive, now.mono)) {
		peer->t_send_keepalive = MN_NEVER;
		send_keepalive(peer, now);
		if (peer->need_another_keepalive) {
			peer->need_another_keepalive = false;
			peer->t_send_keepalive = now.mono + WG_KEEPALIVE_TIMEOUT;
		}
	}
	if (due(peer->t_new_handshake, now.mono)) {
		peer->t_new_handshake = MN_NEVER;
		send_initiation(peer, now, false);
	}
	if (due(peer->t_zero_keys, now.mono)) {
		peer->t_zero_keys = MN_NEVER;
		peer_clear_sessions(peer);
	}
	if (due(peer->t_persistent_keepalive, now.mono)) {
		peer->t_persistent_keepalive = MN_NEVER;
		if (peer->keepalive_secs)
			send_keepalive(peer, now);
	}
}

/* Backpressure: a peer's due timers run only while the control queue has
 * room for what they may emit; the rest stay due, so next_deadline() is
 * already past and the driver comes back once it has drained the queue. */
#define TX_ROOM_PER_PEER 4

void wg_dev_on_timer(struct wg_dev *dev, struct mn_time now)
{
	for (struct wg_peer *p = dev->peers_first; p; p = p->list_next) {
		if (dev->tx_count + TX_ROOM_PER_PEER > WG_MAX_TX_QUEUE)
			break;
		peer_on_timer(p, now);
	}
}
