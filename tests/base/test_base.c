/* Tests for the common base: errors, addresses, prefixes, seeded RNG. */
#include <arpa/inet.h>
#include <string.h>

#include "check_main.h"
#include "mn_addr.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "mn_time.h"

START_TEST(test_strerror)
{
	ck_assert_str_eq(mn_strerror(MN_OK), "success");
	ck_assert_str_eq(mn_strerror(MN_EAUTH), "authentication failed");
	ck_assert_str_eq(mn_strerror(12345), "unknown error");
}
END_TEST

START_TEST(test_addr_parse_format)
{
	struct mn_addr a, b;
	char buf[MN_ADDR_STRLEN];
	ck_assert_int_eq(mn_addr_parse(&a, "198.18.0.1:51820"), MN_OK);
	ck_assert_str_eq(mn_addr_format(&a, buf, sizeof(buf)), "198.18.0.1:51820");
	ck_assert_int_eq(mn_addr_parse(&b, "[2001:2::1]:7"), MN_OK);
	ck_assert_str_eq(mn_addr_format(&b, buf, sizeof(buf)), "[2001:2::1]:7");
	ck_assert(!mn_addr_eq(&a, &b));
	ck_assert_int_eq(mn_addr_parse(&b, "198.18.0.1:51820"), MN_OK);
	ck_assert(mn_addr_eq(&a, &b));
	ck_assert_int_lt(mn_addr_parse(&a, "198.18.0.1"), 0);
	ck_assert_int_lt(mn_addr_parse(&a, "198.18.0.1:65536"), 0);
	ck_assert_int_lt(mn_addr_parse(&a, "[2001:2::1:7"), 0);
	ck_assert_int_lt(mn_addr_parse(&a, "host:7"), 0);
	ck_assert_int_lt(mn_addr_parse(&a, "1.2.3.4:"), 0);
}
END_TEST

START_TEST(test_addr_unmap)
{
	struct mn_addr a, b;
	ck_assert_int_eq(mn_addr_parse(&a, "[::ffff:198.18.0.9]:5"), MN_OK);
	mn_addr_unmap(&a);
	ck_assert_int_eq(mn_addr_parse(&b, "198.18.0.9:5"), MN_OK);
	ck_assert(mn_addr_eq(&a, &b));
}
END_TEST

START_TEST(test_prefix)
{
	struct mn_prefix p;
	char buf[MN_PREFIX_STRLEN];
	ck_assert_int_eq(mn_prefix_parse(&p, "100.64.1.77/10"), MN_OK);
	ck_assert_str_eq(mn_prefix_format(&p, buf, sizeof(buf)), "100.64.0.0/10");
	ck_assert_int_eq(mn_prefix_parse(&p, "fd00::1"), MN_OK);
	ck_assert_int_eq(p.bits, 128);
	ck_assert_int_eq(mn_prefix_parse(&p, "fd12:3456::ff/33"), MN_OK);
	ck_assert_str_eq(mn_prefix_format(&p, buf, sizeof(buf)), "fd12:3456::/33");
	ck_assert_int_eq(mn_prefix_parse(&p, "0.0.0.0/0"), MN_OK);
	ck_assert_int_eq(mn_prefix_parse(&p, "1.2.3.4/33"), MN_ERANGE);
	ck_assert_int_eq(mn_prefix_parse(&p, "1.2.3.4/"), MN_ESYNTAX);
	ck_assert_int_eq(mn_prefix_parse(&p, "1.2.3.4/x"), MN_ESYNTAX);
	ck_assert_int_eq(mn_prefix_parse(&p, "::/129"), MN_ERANGE);
	ck_assert_int_eq(mn_prefix_parse(&p, ""), MN_ESYNTAX);
}
END_TEST

START_TEST(test_seeded_rng)
{
	struct mn_seeded_rng s1, s2;
	uint8_t a[100], b[100];
	mn_seeded_rng_init(&s1, 42);
	mn_seeded_rng_init(&s2, 42);
	struct mn_rng r1 = mn_seeded_rng_iface(&s1), r2 = mn_seeded_rng_iface(&s2);
	mn_rng_bytes(&r1, a, 37);
	mn_rng_bytes(&r1, a + 37, 63);
	mn_rng_bytes(&r2, b, 100);
	ck_assert_mem_eq(a, b, 100);
	mn_seeded_rng_init(&s2, 43);
	mn_rng_bytes(&r2, b, 100);
	ck_assert(memcmp(a, b, 100) != 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_lt(mn_rng_uniform(&r1, 7), 7);
}
END_TEST

START_TEST(test_time_wrap)
{
	ck_assert(mn_time_after_eq(5, UINT64_MAX - 5));
	ck_assert(mn_time_before(UINT64_MAX - 5, 5));
	/* the earlier deadline across the wrap; MN_NEVER is none */
	ck_assert_uint_eq(mn_min_deadline(5, UINT64_MAX - 5), UINT64_MAX - 5);
	ck_assert_uint_eq(mn_min_deadline(UINT64_MAX - 5, 5), UINT64_MAX - 5);
	ck_assert_uint_eq(mn_min_deadline(3, 7), 3);
	ck_assert_uint_eq(mn_min_deadline(MN_NEVER, 7), 7);
	ck_assert_uint_eq(mn_min_deadline(7, MN_NEVER), 7);
	ck_assert_uint_eq(mn_min_deadline(UINT64_MAX - 5, MN_NEVER), UINT64_MAX - 5);
	ck_assert_uint_eq(mn_min_deadline(MN_NEVER, MN_NEVER), MN_NEVER);
}
END_TEST

static Suite *base_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_addr_parse_format);
	tcase_add_test(tc, test_addr_unmap);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_seeded_rng);
	tcase_add_test(tc, test_time_wrap);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(base_suite)
