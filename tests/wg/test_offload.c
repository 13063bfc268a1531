/* Tests for TUN offloads: checksums against a naive reference, TSO
 * segmentation, GRO coalescing, and segment -> coalesce -> segment round trips. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "mn_wire.h"
#include "offload.h"

/* Naive RFC 1071 checksum over 16-bit words. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t start)
{
	uint32_t s = start;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t ref_pseudo(const uint8_t *ip, int family, size_t l4len)
{
	uint32_t s = 6 + (uint32_t)l4len;
	if (family == AF_INET)
		s += ref_csum(ip + 12, 8, 0);
	else
		s += ref_csum(ip + 8, 32, 0);
	return s;
}

/* A valid TCP packet verifies to 0xffff over pseudo header + segment. */
static bool tcp_ok(const uint8_t *ip, size_t len, int family)
{
	size_t off = family == AF_INET ? (size_t)(ip[0] & 15) * 4 : 40;
	return ref_csum(ip + off, len - off, ref_pseudo(ip, family, len - off)) == 0xffff;
}

START_TEST(test_csum_vs_reference)
{
	struct mn_seeded_rng s;
	uint8_t buf[3000];
	mn_seeded_rng_init(&s, 99);
	struct mn_rng r = mn_seeded_rng_iface(&s);
	for (int i = 0; i < 500; i++) {
		size_t len = mn_rng_uniform(&r, sizeof(buf));
		mn_rng_bytes(&r, buf, len);
		ck_assert_uint_eq(offload_csum_fold(offload_csum_add(0, buf, len)),
				  ref_csum(buf, len, 0));
	}
}
END_TEST

/* A TCP super-packet as the kernel hands it over with TSO. */
static size_t super_packet(uint8_t *p, int family, size_t payload, uint8_t flags,
			   struct offload_vnet *h)
{
	size_t ipl = family == AF_INET ? 20 : 40, tcpl = 32, len = ipl + tcpl + payload;
	memset(p, 0, ipl + tcpl);
	if (family == AF_INET) {
		p[0] = 0x45;
		mn_put_be16(p + 2, (uint16_t)len);
		mn_put_be16(p + 4, 0x1234);
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = 6;
		inet_pton(AF_INET, "100.64.0.1", p + 12);
		inet_pton(AF_INET, "100.64.0.2", p + 16);
		mn_put_be16(p + 10, (uint16_t)~ref_csum(p, 20, 0));
	} else {
		p[0] = 0x60;
		mn_put_be16(p + 4, (uint16_t)(len - 40));
		p[6] = 6;
		p[7] = 64;
		inet_pton(AF_INET6, "fd00::1", p + 8);
		inet_pton(AF_INET6, "fd00::2", p + 24);
	}
	uint8_t *t = p + ipl;
	mn_put_be16(t, 40000);
	mn_put_be16(t + 2, 5201);
	mn_put_be32(t + 4, 0xfffff000); /* wraps during the packet */
	mn_put_be32(t + 8, 777);
	t[12] = (uint8_t)((tcpl / 4) << 4);
	t[13] = flags;
	mn_put_be16(t + 14, 500);
	memcpy(t + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12); /* NOP NOP TS */
	for (size_t i = 0; i < payload; i++)
		p[ipl + tcpl + i] = (uint8_t)(i * 7 + 3);
	memset(h, 0, sizeof(*h));
	h->flags = OFFLOAD_F_NEEDS_CSUM;
	h->gso_type = family == AF_INET ? OFFLOAD_GSO_TCPV4 : OFFLOAD_GSO_TCPV6;
	h->hdr_len = (uint16_t)(ipl + tcpl);
	h->gso_size = 1368;
	h->csum_start = (uint16_t)ipl;
	h->csum_offset = 16;
	/* partial checksum as the kernel leaves it */
	mn_put_be16(t + 16, ref_csum(NULL, 0, ref_pseudo(p, family, len - ipl)));
	return len;
}

/* Recompute the TCP checksum of an IPv4 test packet after editing it. */
static void fix_tcp4(uint8_t *ip, size_t len)
{
	ip[36] = ip[37] = 0;
	mn_put_be16(ip + 36, (uint16_t)~ref_csum(ip + 20, len - 20, ref_pseudo(ip, AF_INET, len - 20)));
}

#define STRIDE 1500
#define HEAD 16
static uint8_t segs[64 * STRIDE];
static uint8_t super[70000], gbufs[OFFLOAD_GRO_ITEMS][OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER];

static void check_segments(int family)
{
	size_t total;
	struct offload_vnet h;
	size_t seglen[64];
	size_t len = super_packet(super, family, 10000, 0x18 | 0x01 | 0x80, &h);
	size_t ipl = family == AF_INET ? 20 : 40, hl = ipl + 32;
	int n = offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total);
	ck_assert_int_eq(n, (10000 + 1367) / 1368);
	size_t got = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *o = segs + (size_t)i * STRIDE + HEAD, *t = o + ipl;
		size_t pl = seglen[i] - hl;
		ck_assert_uint_eq(pl, i + 1 < n ? 1368 : 10000 - 1368 * (size_t)(n - 1));
		ck_assert_mem_eq(o + hl, super + hl + got, pl);
		ck_assert_uint_eq(mn_get_be32(t + 4), 0xfffff000u + (uint32_t)got);
		if (family == AF_INET) {
			ck_assert_uint_eq(mn_get_be16(o + 2), seglen[i]);
			ck_assert_uint_eq(mn_get_be16(o + 4), 0x1234 + i);
			ck_assert_uint_eq(ref_csum(o, 20, 0), 0xffff);
		} else {
			ck_assert_uint_eq(mn_get_be16(o + 4), seglen[i] - 40);
		}
		ck_assert(tcp_ok(o, seglen[i], family));
		/* FIN/PSH only on the last, CWR only on the first */
		ck_assert_uint_eq(t[13] & 0x09, i + 1 < n ? 0 : 0x09);
		ck_assert_uint_eq(t[13] & 0x80, i == 0 ? 0x80 : 0);
		got += pl;
	}
	ck_assert_uint_eq(got, 10000);
}

START_TEST(test_segment_v4)
{
	check_segments(AF_INET);
}
END_TEST

START_TEST(test_segment_v6)
{
	check_segments(AF_INET6);
}
END_TEST

START_TEST(test_segment_limits_and_csum_only)
{
	size_t total;
	struct offload_vnet h;
	size_t seglen[64];
	size_t len = super_packet(super, AF_INET, 10000, 0x10, &h);
	/* a batch smaller than the packet: chunks, resumed at `first` */
	ck_assert_int_eq(offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 3, seglen, &total),
			 3);
	ck_assert_uint_eq(total, 8);
	ck_assert_int_eq(offload_segment(&h, super, len, 6, segs, STRIDE, HEAD, 32, 3, seglen, &total),
			 2);
	ck_assert_uint_eq(seglen[1], 20 + 32 + 10000 - 7 * 1368);
	ck_assert_uint_eq(mn_get_be32(segs + STRIDE + HEAD + 24), 0xfffff000u + 7 * 1368);
	ck_assert_int_eq(offload_segment(&h, super, len, 8, segs, STRIDE, HEAD, 32, 3, seglen, &total),
			 0);
	ck_assert_int_eq(offload_segment(&h, super, len, 0, segs, 600, HEAD, 32, 64, seglen, &total),
			 MN_EFULL);
	h.gso_type = 3; /* UDP UFO: not offered */
	ck_assert_int_eq(offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total),
			 MN_EPROTO);
	/* no GSO, checksum to complete */
	len = super_packet(super, AF_INET, 500, 0x18, &h);
	h.gso_type = OFFLOAD_GSO_NONE;
	ck_assert_int_eq(offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total), 1);
	ck_assert(tcp_ok(segs + HEAD, seglen[0], AF_INET));
	/* malformed: csum_start past the end */
	h.csum_start = 2000;
	ck_assert_int_eq(offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total),
			 MN_EPROTO);
}
END_TEST

static void gro_setup(struct offload_gro *g)
{
	uint8_t *b[OFFLOAD_GRO_ITEMS];
	for (int i = 0; i < OFFLOAD_GRO_ITEMS; i++)
		b[i] = gbufs[i];
	offload_gro_init(g, b);
}

static void check_round_trip(int family)
{
	size_t total;
	static struct offload_gro g;
	struct offload_vnet h, h2;
	size_t seglen[64], seglen2[64];
	size_t len = super_packet(super, family, 20000, 0x18, &h);
	int n = offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total);
	ck_assert_int_gt(n, 1);
	gro_setup(&g);
	for (int i = 0; i < n; i++)
		offload_gro_add(&g, segs + (size_t)i * STRIDE + HEAD, seglen[i]);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.items[0].nseg, n);
	size_t w = offload_gro_finish(&g, 0);
	ck_assert_uint_eq(w, OFFLOAD_VNET_HDR_LEN + len);
	offload_vnet_get(&h2, gbufs[0]);
	ck_assert_uint_eq(h2.gso_type, h.gso_type);
	ck_assert_uint_eq(h2.gso_size, 1368);
	ck_assert_uint_eq(h2.csum_start, h.csum_start);
	ck_assert_uint_eq(h2.hdr_len, h.hdr_len);
	ck_assert_uint_eq(h2.flags, OFFLOAD_F_NEEDS_CSUM);
	/* the merged packet equals the original super-packet */
	ck_assert_mem_eq(gbufs[0] + OFFLOAD_VNET_HDR_LEN, super, len);
	/* and segments back to the same bytes */
	static uint8_t segs2[64 * STRIDE];
	int n2 = offload_segment(&h2, gbufs[0] + OFFLOAD_VNET_HDR_LEN, len, 0, segs2, STRIDE,
				 HEAD, 32, 64, seglen2, &total);
	ck_assert_int_eq(n2, n);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(seglen2[i], seglen[i]);
		ck_assert_mem_eq(segs2 + (size_t)i * STRIDE + HEAD, segs + (size_t)i * STRIDE + HEAD,
				 seglen[i]);
	}
}

START_TEST(test_gro_round_trip_v4)
{
	check_round_trip(AF_INET);
}
END_TEST

START_TEST(test_gro_round_trip_v6)
{
	check_round_trip(AF_INET6);
}
END_TEST

START_TEST(test_gro_flows_gaps_and_others)
{
	size_t total;
	static struct offload_gro g;
	struct offload_vnet h;
	size_t seglen[64];
	size_t len = super_packet(super, AF_INET, 5 * 1368, 0x10, &h);
	int n = offload_segment(&h, super, len, 0, segs, STRIDE, HEAD, 32, 64, seglen, &total);
	ck_assert_int_eq(n, 5);
	gro_setup(&g);
	/* 0, 1, then 3 (gap), then 4; a UDP packet; segment 2 late */
	offload_gro_add(&g, segs + 0 * STRIDE + HEAD, seglen[0]);
	offload_gro_add(&g, segs + 1 * STRIDE + HEAD, seglen[1]);
	offload_gro_add(&g, segs + 3 * STRIDE + HEAD, seglen[3]);
	offload_gro_add(&g, segs + 4 * STRIDE + HEAD, seglen[4]);
	uint8_t udp[60] = { 0x45, 0, 0, 60 };
	udp[9] = 17;
	offload_gro_add(&g, udp, sizeof(udp));
	offload_gro_add(&g, segs + 2 * STRIDE + HEAD, seglen[2]);
	ck_assert_uint_eq(g.n, 4);
	ck_assert_uint_eq(g.items[0].nseg, 2);
	ck_assert_uint_eq(g.items[1].nseg, 2);
	ck_assert_uint_eq(g.items[2].nseg, 1);
	ck_assert_uint_eq(g.items[3].nseg, 1);
	/* single-segment items go out unchanged with an empty vnet header */
	size_t w = offload_gro_finish(&g, 2);
	ck_assert_uint_eq(w, OFFLOAD_VNET_HDR_LEN + sizeof(udp));
	offload_vnet_get(&h, gbufs[2]);
	ck_assert_uint_eq(h.gso_type, 0);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_mem_eq(gbufs[2] + OFFLOAD_VNET_HDR_LEN, udp, sizeof(udp));
	w = offload_gro_finish(&g, 3);
	ck_assert_mem_eq(gbufs[3] + OFFLOAD_VNET_HDR_LEN, segs + 2 * STRIDE + HEAD, seglen[2]);
	/* a second flow interleaved does not merge with the first */
	gro_setup(&g);
	offload_gro_add(&g, segs + 0 * STRIDE + HEAD, seglen[0]);
	uint8_t other[STRIDE];
	memcpy(other, segs + 1 * STRIDE + HEAD, seglen[1]);
	other[20] ^= 1; /* another source port */
	fix_tcp4(other, seglen[1]);
	offload_gro_add(&g, other, seglen[1]);
	offload_gro_add(&g, segs + 1 * STRIDE + HEAD, seglen[1]);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.items[0].nseg, 2);
	/* a segment with a bad TCP checksum neither joins nor opens a merge */
	gro_setup(&g);
	offload_gro_add(&g, segs + 0 * STRIDE + HEAD, seglen[0]);
	memcpy(other, segs + 1 * STRIDE + HEAD, seglen[1]);
	other[100] ^= 0x40;
	offload_gro_add(&g, other, seglen[1]);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.items[0].nseg, 1);
	ck_assert(g.items[1].closed);
	/* different TCP options (timestamp) do not merge */
	gro_setup(&g);
	offload_gro_add(&g, segs + 0 * STRIDE + HEAD, seglen[0]);
	memcpy(other, segs + 1 * STRIDE + HEAD, seglen[1]);
	other[20 + 27] ^= 1;
	fix_tcp4(other, seglen[1]);
	ck_assert(tcp_ok(other, seglen[1], AF_INET));
	offload_gro_add(&g, other, seglen[1]);
	ck_assert_uint_eq(g.n, 2);
}
END_TEST

static Suite *offload_suite(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("offload");
	tcase_add_test(tc, test_csum_vs_reference);
	tcase_add_test(tc, test_segment_v4);
	tcase_add_test(tc, test_segment_v6);
	tcase_add_test(tc, test_segment_limits_and_csum_only);
	tcase_add_test(tc, test_gro_round_trip_v4);
	tcase_add_test(tc, test_gro_round_trip_v6);
	tcase_add_test(tc, test_gro_flows_gaps_and_others);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(offload_suite)
