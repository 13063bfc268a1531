/* test_pool.c - datagram slots in flight. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "pool.h"
#include "simcore.h"

START_TEST(sizes_and_limits)
{
	struct pool p;
	uint32_t h;
	pool_init(&p, 3);
	ck_assert_int_eq(pool_alloc(&p, SIM_MAX_DGRAM + 1, &h), MN_EMSGSIZE);
	ck_assert_int_eq(pool_alloc(&p, 0, &h), 0);
	ck_assert_int_eq(pool_alloc(&p, 64, &h), 0);
	ck_assert_int_eq(pool_alloc(&p, SIM_MAX_DGRAM, &h), 0);
	ck_assert_uint_eq(pool_get(&p, h)->len, SIM_MAX_DGRAM);
	uint32_t h2;
	ck_assert_int_eq(pool_alloc(&p, 10, &h2), MN_EFULL);
	pool_put(&p, h);
	ck_assert_int_eq(pool_alloc(&p, 10, &h2), 0);
	ck_assert_uint_eq(p.peak, 3);
	pool_free(&p);
}
END_TEST

START_TEST(slots_keep_their_bytes)
{
	enum { N = 10000 };
	uint32_t *hs = malloc(N * sizeof(*hs));
	ck_assert_ptr_nonnull(hs);
	struct pool p;
	pool_init(&p, N);
	for (uint32_t i = 0; i < N; i++) {
		size_t len = (i * 37) % (SIM_MAX_DGRAM + 1);
		ck_assert_int_eq(pool_alloc(&p, len, &hs[i]), 0);
		struct pool_pkt *pkt = pool_get(&p, hs[i]);
		ck_assert_uint_eq(pkt->next, POOL_NIL);
		memset(pkt->data, (int)(i & 0xff), len);
	}
	/* free every other one and reuse the slots */
	for (uint32_t i = 0; i < N; i += 2)
		pool_put(&p, hs[i]);
	for (uint32_t i = 0; i < N; i += 2) {
		size_t len = (i * 37) % (SIM_MAX_DGRAM + 1);
		ck_assert_int_eq(pool_alloc(&p, len, &hs[i]), 0);
		memset(pool_get(&p, hs[i])->data, (int)(i & 0xff), len);
	}
	for (uint32_t i = 0; i < N; i++) {
		struct pool_pkt *pkt = pool_get(&p, hs[i]);
		size_t len = (i * 37) % (SIM_MAX_DGRAM + 1);
		ck_assert_uint_eq(pkt->len, len);
		size_t bad = 0;
		for (size_t k = 0; k < len; k++)
			bad += pkt->data[k] != (i & 0xff);
		ck_assert_uint_eq(bad, 0);
	}
	ck_assert_uint_eq(p.inuse, N);
	pool_free(&p);
	free(hs);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("sim_pool");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sizes_and_limits);
	tcase_add_test(tc, slots_keep_their_bytes);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(pool_suite)
