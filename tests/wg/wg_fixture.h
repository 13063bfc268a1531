/* wg_fixture.h - the deterministic device used to record handshake fixtures
 * against wireguard-go (tests/fixtures/record-wg-fixture.sh) and to replay
 * them in test_wg.c. Both must build the device the same way so the
 * recorded initiation is reproduced byte for byte. A change to the order in
 * which the device draws randomness changes our initiation: re-record then
 * (the script needs root and wireguard-go, about 5 s). */
#ifndef WG_FIXTURE_H
#define WG_FIXTURE_H

#include <sodium.h>
#include <string.h>

#include "wg.h"
#include "wg_crypto.h"

/* Our side: private key from this seed; the wireguard-go side's key is fixed. */
#define FIX_SEED 0x6d6e666978ULL
#define FIX_WGO_PRIV "a8d1f2b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e4f"
#define FIX_WALL_NS (1767225600ULL * MN_NS_PER_SEC) /* 2026-01-01T00:00:00Z */
#define FIX_MONO_NS (5000 * MN_NS_PER_SEC)
#define FIX_OUR_ADDR "198.18.250.1:51900"
#define FIX_WGO_ADDR "198.18.250.2:51901"

struct wg_fixture {
	struct mn_seeded_rng seed;     /* the device's stream (ephemerals, indices) */
	struct mn_seeded_rng key_seed; /* our static key, independent of the device */
	struct mn_rng rng;
	struct wg_dev *dev;
	struct wg_peer *peer;
	uint8_t our_pub[32], wgo_pub[32];
};

static inline int wg_fixture_init(struct wg_fixture *f)
{
	uint8_t priv[32], wgo_priv[32];
	struct mn_addr ep;
	struct mn_prefix p;

	memset(f, 0, sizeof(*f));
	mn_seeded_rng_init(&f->seed, FIX_SEED);
	mn_seeded_rng_init(&f->key_seed, FIX_SEED + 1);
	f->rng = mn_seeded_rng_iface(&f->seed);
	if (wg_dev_new(&f->dev, &f->rng) < 0)
		return -1;
	struct mn_rng key_rng = mn_seeded_rng_iface(&f->key_seed);
	mn_rng_bytes(&key_rng, priv, 32);
	wg_clamp(priv);
	wg_pubkey(f->our_pub, priv);
	wg_dev_set_private_key(f->dev, priv);
	sodium_hex2bin(wgo_priv, 32, FIX_WGO_PRIV, 64, NULL, NULL, NULL);
	wg_clamp(wgo_priv);
	wg_pubkey(f->wgo_pub, wgo_priv);
	if (wg_dev_peer_add(f->dev, f->wgo_pub, &f->peer) < 0)
		return -1;
	mn_addr_parse(&ep, FIX_WGO_ADDR);
	wg_peer_set_endpoint(f->peer, &ep);
	mn_prefix_parse(&p, "100.64.250.2/32");
	wg_peer_allowedip_add(f->peer, &p);
	return 0;
}

/* Our initiation (the first thing the device sends for a packet to the peer). */
static inline int wg_fixture_initiation(struct wg_fixture *f, uint8_t out[WG_INITIATION_LEN])
{
	uint8_t buf[256];
	struct mn_addr dst;
	size_t len;
	struct mn_time now = { FIX_MONO_NS, FIX_WALL_NS };

	memset(buf, 0, sizeof(buf));
	buf[WG_HEADROOM] = 0x45;
	buf[WG_HEADROOM + 3] = 20;
	memcpy(buf + WG_HEADROOM + 12, "\x64\x40\xfa\x01", 4);
	memcpy(buf + WG_HEADROOM + 16, "\x64\x40\xfa\x02", 4);
	if (wg_dev_tun_in(f->dev, buf, sizeof(buf), 20, now, &dst, &len) != 0)
		return -1;
	if (wg_dev_poll_tx(f->dev, out, WG_INITIATION_LEN, &len, &dst) != 1 ||
	    len != WG_INITIATION_LEN)
		return -1;
	return 0;
}

#endif
