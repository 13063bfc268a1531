/* wg.c - the WireGuard device: lifecycle, static keys, MTU and drop
 * counters. Peers are in wg_peer.c, the data path in wg_send.c and
 * wg_receive.c, the timers in wg_timers.c (module table: wg_internal.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "wg_internal.h"
#include "wg_noise.h"
#include "wg_peer.h"
#include "wg_send.h"

#define DEFAULT_MTU 1420

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

int wg_dev_new(struct wg_dev **out, const struct mn_rng *rng)
{
	struct wg_dev *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return MN_ENOMEM;
	dev->rng = *rng;
	dev->mtu = DEFAULT_MTU;
	if (wg_peer_table_init(dev) < 0 || wg_index_table_init(&dev->index) < 0 ||
	    wg_send_init(dev) < 0) {
		wg_index_table_free(&dev->index);
		wg_peer_table_free(dev);
		free(dev);
		return MN_ENOMEM;
	}
	mn_rng_bytes(&dev->rng, dev->peer_hash_key, sizeof(dev->peer_hash_key));
	wg_ratelimit_init(&dev->ratelimit, &dev->rng);
	allowedips_init(&dev->table);
	wg_timerq_init(&dev->timerq);
	*out = dev;
	return MN_OK;
}

void wg_dev_del(struct wg_dev *dev)
{
	if (!dev)
		return;
	wg_dev_peer_remove_all(dev);
	wg_send_free(dev);
	allowedips_free(&dev->table);
	wg_timerq_free(&dev->timerq);
	wg_index_table_free(&dev->index);
	wg_peer_table_free(dev);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

void wg_dev_set_mtu(struct wg_dev *dev, uint32_t mtu)
{
	dev->mtu = mtu;
}

void wg_dev_force_under_load(struct wg_dev *dev, bool on)
{
	dev->ratelimit.force_under_load = on;
}

int wg_dev_set_private_key(struct wg_dev *dev, const uint8_t sk[WG_KEY_LEN])
{
	static const uint8_t zero[WG_KEY_LEN];
	uint8_t key[WG_KEY_LEN];

	if (!sk || sodium_memcmp(sk, zero, WG_KEY_LEN) == 0) {
		if (!dev->has_key)
			return MN_OK;
		dev->has_key = false;
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
		wg_peer_clear_sessions(p);
		wg_noise_forget_static(p);
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
