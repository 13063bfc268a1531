/* Tests for the join protocol's IPv4 allocator (join_alloc_ipv4 in
 * node/join.h): keys spread evenly over a prefix, never on the network or
 * broadcast address, the same key gets the same address, a prefix filled
 * address by address ends full, a held start probes on and wraps, bad
 * prefixes are refused. Keys come from a seeded generator (seed printed). */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "join.h"
#include "mn_err.h"
#include "mn_wire.h"

/* The allocator's held set: a bitmap over a /16 at most. */
struct held_set {
	uint32_t base;
	uint8_t bits[65536 / 8];
};

static bool h_held(void *ctx, const uint8_t ipv4[4])
{
	struct held_set *h = ctx;
	uint32_t off = mn_get_be32(ipv4) - h->base;

	ck_assert_uint_lt(off, 65536);
	return h->bits[off / 8] >> (off % 8) & 1;
}

static void h_set(struct held_set *h, const uint8_t ipv4[4])
{
	uint32_t off = mn_get_be32(ipv4) - h->base;

	h->bits[off / 8] |= (uint8_t)(1u << (off % 8));
}

START_TEST(ipv4_allocator)
{
	static struct held_set h;
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct mn_prefix p;
	uint8_t pk[REC_PK_LEN], ip[4], again[4];
	unsigned quarter[4] = { 0 };

	printf("test_join: seed=14\n");
	mn_seeded_rng_init(&srng, 14);
	rng = mn_seeded_rng_iface(&srng);

	/* spread: 1000 keys over an empty /24 land in every quarter roughly
	 * evenly, never on .0 or .255, and the same key gets the same address */
	ck_assert_int_eq(mn_prefix_parse(&p, "10.1.2.0/24"), MN_OK);
	memset(&h, 0, sizeof(h));
	h.base = mn_get_be32(p.addr);
	for (unsigned i = 0; i < 1000; i++) {
		mn_rng_bytes(&rng, pk, sizeof(pk));
		ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_OK);
		ck_assert(ip[0] == 10 && ip[1] == 1 && ip[2] == 2);
		ck_assert(ip[3] != 0 && ip[3] != 255);
		quarter[ip[3] / 64]++;
		ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, again), MN_OK);
		ck_assert_mem_eq(ip, again, 4);
	}
	for (unsigned q = 0; q < 4; q++)
		ck_assert_msg(quarter[q] > 180 && quarter[q] < 320, "quarter %u: %u", q,
			      quarter[q]);

	/* filling the /24: 254 distinct addresses, then full */
	for (unsigned i = 0; i < 254; i++) {
		mn_rng_bytes(&rng, pk, sizeof(pk));
		ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_OK);
		ck_assert(!h_held(&h, ip));
		ck_assert(ip[3] != 0 && ip[3] != 255);
		h_set(&h, ip);
	}
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_EFULL);

	/* a /30 has two hosts; a held start probes on (wrapping) */
	ck_assert_int_eq(mn_prefix_parse(&p, "10.9.0.4/30"), MN_OK);
	memset(&h, 0, sizeof(h));
	h.base = mn_get_be32(p.addr);
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_OK);
	h_set(&h, ip);
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, again), MN_OK);
	ck_assert_mem_ne(ip, again, 4);
	ck_assert(again[3] == 5 || again[3] == 6);
	h_set(&h, again);
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_EFULL);

	/* bad prefixes */
	ck_assert_int_eq(mn_prefix_parse(&p, "10.9.0.4/31"), MN_OK);
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_EINVAL);
	ck_assert_int_eq(mn_prefix_parse(&p, "fd00::/64"), MN_OK);
	ck_assert_int_eq(join_alloc_ipv4(&p, pk, h_held, &h, ip), MN_EINVAL);
}
END_TEST

static Suite *join_alloc_suite(void)
{
	Suite *s = suite_create("join_alloc");
	TCase *tc = tcase_create("join_alloc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ipv4_allocator);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(join_alloc_suite)
