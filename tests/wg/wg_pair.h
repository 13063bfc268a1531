/* wg_pair.h - two WireGuard devices in memory, A and B, each the other's
 * peer, for the device tests (test_wg.c, test_wg_limits.c,
 * test_wg_failmalloc.c): seeded generators, a virtual clock `now` the tests
 * move with advance(), and helpers that carry datagrams between them.
 * Test-only: the globals are one per test file, and Check runs each test
 * alone. A has B at 100.64.0.2/32 and fd00::2/128; B has A at 100.64.0.1/32. */
#ifndef WG_PAIR_H
#define WG_PAIR_H

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "wg.h"
#include "wg_crypto.h"

struct side {
	struct mn_seeded_rng seed;
	struct mn_rng rng;
	struct wg_dev *dev;
	struct wg_peer *peer; /* the other side */
	uint8_t priv[32], pub[32];
	struct mn_addr addr;
};

static struct side A, B;
static struct mn_time now;

static inline void side_init(struct side *s, uint64_t seed, const char *addr)
{
	mn_seeded_rng_init(&s->seed, seed);
	s->rng = mn_seeded_rng_iface(&s->seed);
	ck_assert_int_eq(wg_dev_new(&s->dev, &s->rng), MN_OK);
	mn_rng_bytes(&s->rng, s->priv, 32);
	wg_clamp(s->priv);
	ck_assert_int_eq(wg_pubkey(s->pub, s->priv), MN_OK);
	ck_assert_int_eq(wg_dev_set_private_key(s->dev, s->priv), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&s->addr, addr), MN_OK);
}

static inline void pair_setup(void)
{
	struct mn_prefix p;
	now.mono = 1000 * MN_NS_PER_SEC;
	now.wall = 1700000000ULL * MN_NS_PER_SEC;
	side_init(&A, 1, "198.18.0.1:51820");
	side_init(&B, 2, "198.18.0.2:51820");
	ck_assert_int_eq(wg_dev_peer_add(A.dev, B.pub, &A.peer), MN_OK);
	ck_assert_int_eq(wg_dev_peer_add(B.dev, A.pub, &B.peer), MN_OK);
	wg_peer_set_endpoint(A.peer, &B.addr);
	wg_peer_set_endpoint(B.peer, &A.addr);
	mn_prefix_parse(&p, "100.64.0.2/32");
	ck_assert_int_eq(wg_peer_allowedip_add(A.peer, &p), MN_OK);
	mn_prefix_parse(&p, "fd00::2/128");
	ck_assert_int_eq(wg_peer_allowedip_add(A.peer, &p), MN_OK);
	mn_prefix_parse(&p, "100.64.0.1/32");
	ck_assert_int_eq(wg_peer_allowedip_add(B.peer, &p), MN_OK);
}

static inline void pair_teardown(void)
{
	wg_dev_del(A.dev);
	wg_dev_del(B.dev);
	A.dev = B.dev = NULL;
}

static inline void advance(mn_ns dt)
{
	now.mono += dt;
	now.wall += dt;
}

/* A minimal IPv4 packet of total length len from src to dst. */
static inline size_t ip4(uint8_t *p, size_t len, const char *src, const char *dst, uint8_t fill)
{
	memset(p, fill, len);
	p[0] = 0x45;
	p[1] = 0;
	mn_put_be16(p + 2, (uint16_t)len);
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return len;
}

#define BUFCAP 2048
struct dgram {
	uint8_t buf[BUFCAP];
	size_t len;
	struct mn_addr dst;
};

/* Drain one side's control queue into out[] (at most n); returns the count. */
static inline int drain(struct side *s, struct dgram *out, int n)
{
	int k = 0;
	for (;;) {
		struct dgram tmp;
		int rc = wg_dev_poll_tx(s->dev, tmp.buf, BUFCAP, &tmp.len, &tmp.dst);
		ck_assert_int_ge(rc, 0);
		if (rc == 0)
			return k;
		ck_assert_int_lt(k, n);
		out[k++] = tmp;
	}
}

/* Deliver a datagram to `to`, as if from `from`. Returns udp_in's code; a
 * delivered IP packet is copied to pkt (if not NULL). */
static inline int deliver(struct side *to, const struct side *from, struct dgram *d, uint8_t *pkt,
		   size_t *pkt_len)
{
	size_t off = 0, len = 0;
	int rc = wg_dev_udp_in(to->dev, &from->addr, d->buf, d->len, now, &off, &len);
	if (rc == 1 && pkt) {
		memcpy(pkt, d->buf + off, len);
		*pkt_len = len;
	}
	return rc;
}

/* Deliver everything both sides queue, back and forth, until quiet. */
static inline void exchange(void)
{
	struct dgram q[8];
	for (int i = 0; i < 20; i++) {
		int na = drain(&A, q, 8);
		for (int k = 0; k < na; k++)
			deliver(&B, &A, &q[k], NULL, NULL);
		int nb = drain(&B, q, 8);
		for (int k = 0; k < nb; k++)
			deliver(&A, &B, &q[k], NULL, NULL);
		if (na == 0 && nb == 0)
			return;
	}
	ck_abort_msg("exchange did not settle");
}

/* Send an IP packet from s's TUN; returns tun_in's code, datagram in *d. */
static inline int tun_send(struct side *s, const char *src, const char *dst, size_t len, struct dgram *d)
{
	ip4(d->buf + WG_HEADROOM, len, src, dst, 0xab);
	return wg_dev_tun_in(s->dev, d->buf, BUFCAP, len, now, &d->dst, &d->len);
}

/* Full handshake started by A's first packet; returns after B got the data. */
static inline void handshake_a_to_b(void)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;

	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 100, &d), 0); /* staged */
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
	ck_assert(mn_addr_eq(&q[0].dst, &B.addr));
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_RESPONSE_LEN);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	/* the staged packet is released, no extra keepalive */
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_DATA_HEADER_LEN + 112 + 16);
	ck_assert_int_eq(deliver(&B, &A, &q[0], pkt, &plen), 1);
	ck_assert_uint_eq(plen, 100);
	ck_assert_uint_eq(pkt[50], 0xab);
}

/* B under load: A's first packet is staged and its initiation answered
 * with a cookie reply, returned in *cookie, not yet delivered to A. */
static inline void initiation_refused_with_cookie(struct dgram *cookie)
{
	struct dgram d, q[4];

	wg_dev_force_under_load(B.dev, true);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), MN_EBUSY);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_COOKIE_LEN);
	ck_assert(mn_addr_eq(&q[0].dst, &A.addr));
	*cookie = q[0];
}

#endif
