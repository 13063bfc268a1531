/* wg_peer.c - peers: the table by public key (a keyed hash, so nobody
 * picks buckets; doubled whenever the peers outnumber the buckets, so a
 * lookup stays O(1) at any size), insertion-ordered iteration, lifecycle
 * and settings. */
#include "wg_peer.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg_noise.h"
#include "wg_send.h"
#include "wg_timers.h"

static size_t peer_bucket(const struct wg_dev *dev, const uint8_t pk[32], unsigned bits)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, pk, 32, dev->peer_hash_key);
	return (size_t)(mn_get_le64(h) & (((uint64_t)1 << bits) - 1));
}

int wg_peer_table_init(struct wg_dev *dev)
{
	dev->peer_bits = WG_PEER_MIN_BITS;
	dev->peer_buckets = calloc((size_t)1 << dev->peer_bits, sizeof(*dev->peer_buckets));
	return dev->peer_buckets ? MN_OK : MN_ENOMEM;
}

void wg_peer_table_free(struct wg_dev *dev)
{
	free(dev->peer_buckets);
	dev->peer_buckets = NULL;
}

/* Double the buckets and rehash; on allocation failure keep the old ones
 * (chains get longer, nothing breaks). */
static void peer_table_grow(struct wg_dev *dev)
{
	unsigned bits = dev->peer_bits + 1;
	struct wg_peer **nb = calloc((size_t)1 << bits, sizeof(*nb));

	if (!nb)
		return;
	for (struct wg_peer *p = dev->peers_first; p; p = p->list_next) {
		size_t b = peer_bucket(dev, p->public_key, bits);
		p->hash_next = nb[b];
		nb[b] = p;
	}
	free(dev->peer_buckets);
	dev->peer_buckets = nb;
	dev->peer_bits = bits;
}

struct wg_peer *wg_peer_by_key(const struct wg_dev *dev, const uint8_t pk[32])
{
	for (struct wg_peer *p = dev->peer_buckets[peer_bucket(dev, pk, dev->peer_bits)]; p;
	     p = p->hash_next)
		if (sodium_memcmp(p->public_key, pk, 32) == 0)
			return p;
	return NULL;
}

struct wg_peer *wg_dev_peer_find(const struct wg_dev *dev, const uint8_t pk[WG_KEY_LEN])
{
	return wg_peer_by_key(dev, pk);
}

void wg_peer_clear_sessions(struct wg_peer *peer)
{
	struct wg_dev *dev = peer->dev;
	wg_noise_keypair_free(dev, peer->cur);
	wg_noise_keypair_free(dev, peer->prev);
	wg_noise_keypair_free(dev, peer->next);
	peer->cur = peer->prev = peer->next = NULL;
	wg_noise_handshake_clear(dev, &peer->hs);
}

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
	if (wg_timerq_reserve(&dev->timerq, dev->n_peers + 1) < 0)
		return MN_ENOMEM;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return MN_ENOMEM;
	peer->dev = dev;
	memcpy(peer->public_key, pk, WG_KEY_LEN);
	allowedips_owner_init(&peer->allowedips, peer);
	peer->hs.entry.peer = peer;
	peer->t_retransmit = peer->t_send_keepalive = peer->t_new_handshake = MN_NEVER;
	peer->t_zero_keys = peer->t_persistent_keepalive = MN_NEVER;
	peer->deadline = MN_NEVER;
	peer->timerq_pos = WG_TIMERQ_NONE;
	wg_noise_peer_keys(peer);

	if (dev->n_peers >= (size_t)1 << dev->peer_bits)
		peer_table_grow(dev);
	size_t b = peer_bucket(dev, pk, dev->peer_bits);
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
	wg_peer_set_locked(peer, false);
	allowedips_remove_owner(&dev->table, &peer->allowedips);
	wg_peer_clear_sessions(peer);
	wg_send_staged_purge(peer);
	wg_timerq_set(&dev->timerq, peer, MN_NEVER);
	for (struct wg_peer **pp =
		     &dev->peer_buckets[peer_bucket(dev, peer->public_key, dev->peer_bits)];
	     *pp; pp = &(*pp)->hash_next) {
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
	wg_timers_rearm(peer);
}

int wg_peer_allowedip_add(struct wg_peer *peer, const struct mn_prefix *p)
{
	return allowedips_insert(&peer->dev->table, p, &peer->allowedips);
}

int wg_peer_allowedip_remove(struct wg_peer *peer, const struct mn_prefix *p)
{
	return allowedips_remove(&peer->dev->table, p, &peer->allowedips);
}

struct wg_peer *wg_dev_allowedips_lookup(const struct wg_dev *dev, int family,
					 const uint8_t *addr)
{
	return allowedips_lookup(&dev->table, family, addr);
}

void wg_peer_set_user(struct wg_peer *peer, void *user)
{
	peer->user = user;
}

void *wg_peer_user(const struct wg_peer *peer)
{
	return peer->user;
}

void wg_peer_set_locked(struct wg_peer *peer, bool locked)
{
	if (peer->locked == locked)
		return;
	peer->locked = locked;
	if (locked)
		peer->dev->n_locked++;
	else
		peer->dev->n_locked--;
}

bool wg_peer_locked(const struct wg_peer *peer)
{
	return peer->locked;
}

bool wg_dev_has_locked(const struct wg_dev *dev)
{
	return dev->n_locked > 0;
}

static bool value_locked(const void *value)
{
	return ((const struct wg_peer *)value)->locked;
}

struct wg_peer *wg_dev_locked_covering(const struct wg_dev *dev, const struct mn_prefix *p)
{
	return allowedips_covering(&dev->table, p, value_locked);
}

void wg_peer_allowedips_clear(struct wg_peer *peer)
{
	allowedips_remove_owner(&peer->dev->table, &peer->allowedips);
}

void wg_peer_allowedips_foreach(const struct wg_peer *peer,
				bool (*fn)(void *ctx, const struct mn_prefix *p), void *ctx)
{
	allowedips_foreach(&peer->allowedips, fn, ctx);
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
	out->handshake_rtt = peer->handshake_rtt;
}
