/* fuzz_wg_recv - the datagram receive path of the WireGuard device.
 *
 * Each input is a sequence of datagrams, each a 2-byte big-endian length then
 * the bytes, delivered to device B from one of two source addresses. B knows
 * peer A and, when the first input byte is odd, already has a session with
 * it, built deterministically (seeded generators, fixed clock), so data
 * messages in the corpus authenticate and the fuzzer can reach past the MAC
 * and AEAD checks. Replies and decrypted packets are drained and dropped.
 *
 * Both starting states (a fresh pair, a pair after the handshake) are built
 * once, in LLVMFuzzerInitialize, inside a fuzz_snap.h window: the devices,
 * their peers and the two sides themselves live in the arena, and each
 * input starts from a byte-for-byte restore of one snapshot. So every input
 * meets exactly the state a fresh pair() (+ handshake()) would give, at a
 * fraction of the cost (no device allocation, no handshake per input).
 *
 * With MN_FUZZ_WRITE_SEEDS=DIR set, the target writes seed inputs (a valid
 * initiation, response, cookie reply, data and keepalive messages) to DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_snap.h"
#include "mn_wire.h"
#include "wg.h"
#include "wg_crypto.h"

struct side {
	struct mn_seeded_rng seed;
	struct mn_rng rng;
	struct wg_dev *dev;
	struct wg_peer *peer;
	uint8_t pub[32];
	struct mn_addr addr;
};

#define BUFCAP 2048

static void side_init(struct side *s, uint64_t seed, const char *addr)
{
	uint8_t priv[32];
	mn_seeded_rng_init(&s->seed, seed);
	s->rng = mn_seeded_rng_iface(&s->seed);
	if (wg_dev_new(&s->dev, &s->rng) < 0)
		abort();
	mn_rng_bytes(&s->rng, priv, 32);
	wg_clamp(priv);
	wg_pubkey(s->pub, priv);
	wg_dev_set_private_key(s->dev, priv);
	mn_addr_parse(&s->addr, addr);
}

static size_t ip4(uint8_t *p, size_t len)
{
	memset(p, 0x5a, len);
	p[0] = 0x45;
	mn_put_be16(p + 2, (uint16_t)len);
	p[9] = 17;
	memcpy(p + 12, "\x64\x40\x00\x01", 4);
	memcpy(p + 16, "\x64\x40\x00\x02", 4);
	return len;
}

static void pair(struct side *a, struct side *b, struct mn_time now)
{
	struct mn_prefix p;
	side_init(a, 1, "198.18.0.1:51820");
	side_init(b, 2, "198.18.0.2:51820");
	wg_dev_peer_add(a->dev, b->pub, &a->peer);
	wg_dev_peer_add(b->dev, a->pub, &b->peer);
	wg_peer_set_endpoint(a->peer, &b->addr);
	wg_peer_set_endpoint(b->peer, &a->addr);
	mn_prefix_parse(&p, "100.64.0.2/32");
	wg_peer_allowedip_add(a->peer, &p);
	mn_prefix_parse(&p, "100.64.0.1/32");
	wg_peer_allowedip_add(b->peer, &p);
	(void)now;
}

/* Move every queued datagram from one side to the other; optionally record them. */
static void pump(struct side *from, struct side *to, struct mn_time now, FILE *rec)
{
	uint8_t buf[BUFCAP];
	size_t len, off, plen;
	struct mn_addr dst;
	while (wg_dev_poll_tx(from->dev, buf, sizeof(buf), &len, &dst) == 1) {
		if (rec) {
			uint8_t l[2];
			mn_put_be16(l, (uint16_t)len);
			fwrite(l, 1, 2, rec);
			fwrite(buf, 1, len, rec);
		}
		wg_dev_udp_in(to->dev, &from->addr, buf, len, now, &off, &plen);
	}
}

static void handshake(struct side *a, struct side *b, struct mn_time now, FILE *rec)
{
	uint8_t buf[BUFCAP];
	struct mn_addr dst;
	size_t len;
	ip4(buf + WG_HEADROOM, 84);
	wg_dev_tun_in(a->dev, buf, sizeof(buf), 84, now, &dst, &len);
	pump(a, b, now, rec); /* initiation */
	pump(b, a, now, NULL); /* response */
	pump(a, b, now, rec); /* first data: confirms B's session */
}

/* sides[0] is A, sides[1] B; start[k] is the state after pair() and, for
 * k = 1, handshake(). */
static struct side *sides;
static struct snap start[2];

static const struct mn_time NOW = { 1000 * MN_NS_PER_SEC, 1700000000ULL * MN_NS_PER_SEC };

static void write_seeds(const char *dir)
{
	struct side a, b;
	char path[512];
	FILE *f;

	/* 0: the initiation and the first data message, fresh device */
	snprintf(path, sizeof(path), "%s/handshake", dir);
	f = fopen(path, "wb");
	if (!f)
		return;
	fputc(0, f);
	pair(&a, &b, NOW);
	handshake(&a, &b, NOW, f);
	fclose(f);
	/* 1: data and keepalive messages under the established session */
	snprintf(path, sizeof(path), "%s/data", dir);
	f = fopen(path, "wb");
	if (f) {
		uint8_t buf[BUFCAP], l[2];
		struct mn_addr dst;
		size_t len;
		fputc(1, f);
		for (size_t n = 20; n <= 1420; n += 350) {
			ip4(buf + WG_HEADROOM, n);
			if (wg_dev_tun_in(a.dev, buf, sizeof(buf), n, NOW, &dst, &len) == 1) {
				mn_put_be16(l, (uint16_t)len);
				fwrite(l, 1, 2, f);
				fwrite(buf, 1, len, f);
			}
		}
		fclose(f);
	}
	wg_dev_del(a.dev);
	wg_dev_del(b.dev);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MN_FUZZ_WRITE_SEEDS");
	if (dir)
		write_seeds(dir);
	snap_record(true);
	sides = malloc(2 * sizeof(*sides)); /* in the arena: restored with the devices */
	if (!sides)
		abort();
	pair(&sides[0], &sides[1], NOW);
	snap_take(&start[0]);
	handshake(&sides[0], &sides[1], NOW, NULL);
	/* A's session now matches what the "data" seed recorded */
	snap_take(&start[1]);
	snap_record(false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side *a = &sides[0], *b = &sides[1];
	uint8_t buf[BUFCAP];
	struct mn_time now = NOW;

	if (size < 1)
		return 0;
	snap_restore(&start[data[0] & 1]);
	size_t i = 1;
	while (i + 2 <= size) {
		size_t n = mn_get_be16(data + i);
		i += 2;
		if (n > size - i)
			n = size - i;
		if (n > sizeof(buf))
			n = sizeof(buf);
		memcpy(buf, data + i, n);
		i += n;
		size_t off = 0, plen = 0;
		/* even lengths from A's address, odd from elsewhere (roaming) */
		struct mn_addr src = a->addr;
		if (n & 1)
			mn_addr_parse(&src, "[2001:2::9]:4000");
		int rc = wg_dev_udp_in(b->dev, &src, buf, n, now, &off, &plen);
		if (rc == 1 && (off + plen > n || plen == 0))
			abort(); /* a delivered packet must lie inside the datagram */
		pump(b, a, now, NULL);
		now.mono += 7 * MN_NS_PER_SEC;
		now.wall += 7 * MN_NS_PER_SEC;
		wg_dev_on_timer(b->dev, now);
	}
	/* frees what the input allocated; the arena's blocks come back at the
	 * next restore */
	wg_dev_del(a->dev);
	wg_dev_del(b->dev);
	return 0;
}
