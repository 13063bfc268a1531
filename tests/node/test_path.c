/* Tests for node/path: the chooser, the strength rule for direct
 * addresses (hint < proven, unless the proven one went stale), roaming only
 * from direct packets, the relay seam. Deterministic: no randomness. */
#include <arpa/inet.h>
#include <string.h>

#include "check_main.h"
#include "path.h"

#define SEC MN_NS_PER_SEC
#define T0 (5000 * SEC)

static struct mn_addr host(uint32_t h)
{
	struct mn_addr a;

	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	a.in4.sin_port = htons(51820);
	a.in4.sin_addr.s_addr = htonl(0xC6120000u | h); /* 198.18.0.h */
	return a;
}

static void assert_choice(const struct path *p, enum path_kind kind, const struct mn_addr *dst)
{
	struct path_choice c;

	path_choose(p, &c);
	ck_assert_int_eq(c.kind, kind);
	if (dst)
		ck_assert(mn_addr_eq(&c.dst, dst));
}

START_TEST(test_path_none_then_hint)
{
	struct path p;
	struct mn_addr a = host(1);

	path_init(&p);
	assert_choice(&p, PATH_NONE, NULL);
	ck_assert(!path_offer(&p, NULL, PATH_SRC_HINT, T0));
	ck_assert(path_offer(&p, &a, PATH_SRC_HINT, T0));
	assert_choice(&p, PATH_DIRECT, &a);
	ck_assert_int_eq(p.src, PATH_SRC_HINT);
	/* the same address again changes nothing */
	ck_assert(!path_offer(&p, &a, PATH_SRC_HINT, T0 + SEC));
	/* proven at the same address: stronger, same choice */
	ck_assert(!path_offer(&p, &a, PATH_SRC_PROVEN, T0 + SEC));
	ck_assert_int_eq(p.src, PATH_SRC_PROVEN);
}
END_TEST

START_TEST(test_path_hint_yields_until_stale)
{
	struct path p;
	struct mn_addr a = host(1), b = host(2), c = host(3);

	path_init(&p);
	ck_assert(path_offer(&p, &a, PATH_SRC_PROVEN, T0));
	/* a weaker source does not move a fresh proven address */
	ck_assert(!path_offer(&p, &b, PATH_SRC_HINT, T0 + PATH_STALE_NS - 1));
	assert_choice(&p, PATH_DIRECT, &a);
	/* a proven one does */
	ck_assert(path_offer(&p, &c, PATH_SRC_PROVEN, T0 + SEC));
	assert_choice(&p, PATH_DIRECT, &c);
	/* once nothing confirmed it for PATH_STALE_NS, a hint moves it */
	ck_assert(!path_offer(&p, &b, PATH_SRC_HINT, T0 + SEC + PATH_STALE_NS - 1));
	ck_assert(path_offer(&p, &b, PATH_SRC_HINT, T0 + SEC + PATH_STALE_NS));
	assert_choice(&p, PATH_DIRECT, &b);
	ck_assert_int_eq(p.src, PATH_SRC_HINT);
}
END_TEST

START_TEST(test_path_roams_on_direct_only)
{
	struct path p;
	struct mn_addr a = host(1), b = host(2), relay = host(99), local = host(200);
	struct path_rx direct = { &b, &local, NULL }, relayed = { &relay, &local, &relay };

	path_init(&p);
	ck_assert(path_offer(&p, &a, PATH_SRC_HINT, T0));
	/* through a relay: the relay's address never becomes the peer's */
	ck_assert(!path_on_rx(&p, &relayed, T0 + SEC));
	assert_choice(&p, PATH_DIRECT, &a);
	ck_assert_uint_eq(p.relay_rx, T0 + SEC);
	ck_assert(!mn_addr_is_set(&p.local));
	/* directly from a new address: roaming, proven, local kept */
	ck_assert(path_on_rx(&p, &direct, T0 + 2 * SEC));
	assert_choice(&p, PATH_DIRECT, &b);
	ck_assert_int_eq(p.src, PATH_SRC_PROVEN);
	ck_assert(mn_addr_eq(&p.local, &local));
	/* a later relayed packet still leaves it */
	ck_assert(!path_on_rx(&p, &relayed, T0 + 3 * SEC));
	assert_choice(&p, PATH_DIRECT, &b);
	/* the same source again only confirms */
	ck_assert(!path_on_rx(&p, &direct, T0 + 4 * SEC));
	ck_assert_uint_eq(p.confirmed, T0 + 4 * SEC);
}
END_TEST

START_TEST(test_path_relay_seam)
{
	struct path p;
	struct mn_addr a = host(1), relay = host(99);

	path_init(&p);
	ck_assert(path_set_relay(&p, &relay));
	assert_choice(&p, PATH_RELAY, &relay);
	/* a direct address, once known, is chosen over the relay */
	ck_assert(path_offer(&p, &a, PATH_SRC_HINT, T0));
	assert_choice(&p, PATH_DIRECT, &a);
	ck_assert(!path_set_relay(&p, NULL));
	assert_choice(&p, PATH_DIRECT, &a);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_path_none_then_hint);
	tcase_add_test(tc, test_path_hint_yields_until_stale);
	tcase_add_test(tc, test_path_roams_on_direct_only);
	tcase_add_test(tc, test_path_relay_seam);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(path_suite)
