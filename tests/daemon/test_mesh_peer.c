/* Tests for the client side of the control request `peer NODE`
 * (daemon/mesh_status.h): the answer line read back, and every line that
 * is not one refused. The daemon's side runs in tests/net/t_mesh_ping.sh. */
#include <string.h>

#include "check_main.h"
#include "mesh_status.h"
#include "mn_err.h"

START_TEST(test_peer_line)
{
	struct mesh_peer p;

	ck_assert_int_eq(mesh_status_peer_parse(&p, "beta 100.64.0.2 fd00::2 direct "
						"198.18.0.2:51820\n"), MN_OK);
	ck_assert_str_eq(p.name, "beta");
	ck_assert_str_eq(p.ipv4, "100.64.0.2");
	ck_assert_str_eq(p.ipv6, "fd00::2");
	ck_assert_str_eq(p.path, "direct");
	ck_assert_str_eq(p.endpoint, "198.18.0.2:51820");
	ck_assert_int_eq(mesh_status_peer_parse(&p, "alpha 100.64.0.1 fd00::1 self -\n"), MN_OK);
	ck_assert_str_eq(p.path, "self");
	ck_assert_str_eq(p.endpoint, "-");
	ck_assert_int_eq(mesh_status_peer_parse(&p, "g 100.64.0.3 fd00::3 relay "
						"[2001:2::9]:51820\n"), MN_OK);
	ck_assert_str_eq(p.endpoint, "[2001:2::9]:51820");
}
END_TEST

START_TEST(test_peer_line_refused)
{
	static const char *bad[] = {
		"",
		"\n",
		"beta 100.64.0.2 fd00::2 direct\n",             /* four words */
		"beta 100.64.0.2 fd00::2 direct - x\n",         /* six */
		"beta 100.64.0.2 fd00::2 direct -",             /* no end of line */
		"beta 100.64.0.2 fd00::2 direct -\n\n",         /* two lines */
		"beta  100.64.0.2 fd00::2 direct -\n",          /* an empty word */
		" beta 100.64.0.2 fd00::2 direct -\n",
		"beta 100.64.0.2 fd00::2 directly -\n",         /* a path word too long */
		"beta 100.64.0.2000 fd00::2 direct -\n",        /* no IPv4 address */
		"beta 100.64.0.2 fd00::2::3 direct -\n",        /* no IPv6 address */
		"beta 100.64.0.2 fd00::2 around -\n",           /* no such path */
	};
	char longname[2 * REC_NAME_MAX + 64];
	struct mesh_peer p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mesh_status_peer_parse(&p, bad[i]) == MN_EPROTO, "line %zu", i);
	memset(longname, 'a', REC_NAME_MAX + 1);
	snprintf(longname + REC_NAME_MAX + 1, sizeof(longname) - REC_NAME_MAX - 1,
		 " 100.64.0.2 fd00::2 direct -\n");
	ck_assert_int_eq(mesh_status_peer_parse(&p, longname), MN_EPROTO);
	/* the longest name fits */
	memmove(longname + REC_NAME_MAX, longname + REC_NAME_MAX + 1, strlen(longname + REC_NAME_MAX));
	ck_assert_int_eq(mesh_status_peer_parse(&p, longname), MN_OK);
	ck_assert_uint_eq(strlen(p.name), REC_NAME_MAX);
}
END_TEST

static Suite *mesh_peer_suite(void)
{
	Suite *s = suite_create("mesh_peer");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_peer_line);
	tcase_add_test(tc, test_peer_line_refused);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(mesh_peer_suite)
