/* Tests for store/mesh_meta: the value round-trips through its encoding
 * and a store, every truncation and a bad format byte are refused, and
 * bad fields are refused on both sides; the same for a last known good
 * path (IPv4, IPv6), which a delete removes. */
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "mesh_meta.h"
#include "mn_err.h"

static void sample(struct mesh_meta *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < REC_PK_LEN; i++) {
		m->root_pk[i] = (uint8_t)i;
		m->node_pk[i] = (uint8_t)(0xa0 + i);
	}
	ck_assert_int_eq(mn_prefix_parse(&m->v4, "100.64.0.0/10"), MN_OK);
	m->port = 51820;
	strcpy(m->iface, "mesh0");
	strcpy(m->network, "home-lab");
}

START_TEST(test_roundtrip)
{
	struct mesh_meta m, back;
	uint8_t buf[MESH_META_LEN];

	sample(&m);
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_OK);
	ck_assert_int_eq(mesh_meta_decode(&back, buf, sizeof(buf)), MN_OK);
	ck_assert_mem_eq(back.root_pk, m.root_pk, REC_PK_LEN);
	ck_assert_mem_eq(back.node_pk, m.node_pk, REC_PK_LEN);
	ck_assert_mem_eq(back.v4.addr, m.v4.addr, 4);
	ck_assert_uint_eq(back.v4.bits, 10);
	ck_assert_uint_eq(back.port, 51820);
	ck_assert_str_eq(back.iface, "mesh0");
	ck_assert_str_eq(back.network, "home-lab");
	for (size_t len = 0; len < sizeof(buf); len++)
		ck_assert_int_eq(mesh_meta_decode(&back, buf, len), MN_ETRUNC);
	buf[MESH_META_OFF_FORMAT] = MESH_META_FORMAT + 1;
	ck_assert_int_eq(mesh_meta_decode(&back, buf, sizeof(buf)), MN_EPROTO);
}
END_TEST

START_TEST(test_bad_fields)
{
	struct mesh_meta m;
	uint8_t buf[MESH_META_LEN];

	sample(&m);
	strcpy(m.network, "Bad_Name");
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_EINVAL);
	sample(&m);
	m.iface[0] = 0;
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_EINVAL);
	sample(&m);
	strcpy(m.iface, "a/b");
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_EINVAL);
	sample(&m);
	ck_assert_int_eq(mn_prefix_parse(&m.v4, "fd00::/8"), MN_OK);
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_EINVAL);
	/* a stored value with a bad name byte is refused on the way back */
	sample(&m);
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_OK);
	buf[MESH_META_OFF_NET] = '_';
	ck_assert_int_eq(mesh_meta_decode(&m, buf, sizeof(buf)), MN_EPROTO);
	sample(&m);
	ck_assert_int_eq(mesh_meta_encode(&m, buf), MN_OK);
	buf[MESH_META_OFF_IFACE_LEN] = MESH_META_IFACE_MAX + 1;
	ck_assert_int_eq(mesh_meta_decode(&m, buf, sizeof(buf)), MN_EPROTO);
}
END_TEST

START_TEST(test_through_store)
{
	struct store *s;
	struct store_txn *t;
	struct mesh_meta m, back;

	sample(&m);
	ck_assert_int_eq(store_open_memory(&s), MN_OK);
	ck_assert_int_eq(mesh_meta_get(s, &back), MN_ENOENT);
	ck_assert_int_eq(store_txn_begin(s, &t), MN_OK);
	ck_assert_int_eq(mesh_meta_put(t, &m), MN_OK);
	ck_assert_int_eq(store_txn_commit(t), MN_OK);
	ck_assert_int_eq(mesh_meta_get(s, &back), MN_OK);
	ck_assert_str_eq(back.network, "home-lab");
	ck_assert_uint_eq(back.port, 51820);
	store_close(s);
}
END_TEST

START_TEST(test_paths)
{
	const char *addrs[] = { "198.18.0.7:51820", "[2001:2::7]:65535" };
	uint8_t pk[REC_PK_LEN] = { 7 }, other[REC_PK_LEN] = { 8 };
	uint8_t buf[MESH_PATH_LEN];
	struct mn_addr a, back;
	char text[MN_ADDR_STRLEN];
	struct store *s;
	struct store_txn *t;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		ck_assert_int_eq(mn_addr_parse(&a, addrs[i]), MN_OK);
		ck_assert_int_eq(mesh_path_encode(&a, buf), MN_OK);
		ck_assert_int_eq(mesh_path_decode(&back, buf, sizeof(buf)), MN_OK);
		ck_assert_str_eq(mn_addr_format(&back, text, sizeof(text)), addrs[i]);
		for (size_t len = 0; len < sizeof(buf); len++)
			ck_assert_int_eq(mesh_path_decode(&back, buf, len), MN_ETRUNC);
	}
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mesh_path_encode(&a, buf), MN_EINVAL);
	ck_assert_int_eq(mn_addr_parse(&a, addrs[0]), MN_OK);
	ck_assert_int_eq(mesh_path_encode(&a, buf), MN_OK);
	buf[MESH_PATH_OFF_ADDR + 5] = 1; /* IPv4 with bytes past its 4 */
	ck_assert_int_eq(mesh_path_decode(&back, buf, sizeof(buf)), MN_EPROTO);
	buf[MESH_PATH_OFF_ADDR + 5] = 0;
	buf[MESH_PATH_OFF_FAMILY] = 5;
	ck_assert_int_eq(mesh_path_decode(&back, buf, sizeof(buf)), MN_EPROTO);

	ck_assert_int_eq(store_open_memory(&s), MN_OK);
	ck_assert_int_eq(mesh_path_get(s, pk, &back), MN_ENOENT);
	ck_assert_int_eq(store_txn_begin(s, &t), MN_OK);
	ck_assert_int_eq(mesh_path_put(t, pk, &a), MN_OK);
	ck_assert_int_eq(store_txn_commit(t), MN_OK);
	ck_assert_int_eq(mesh_path_get(s, pk, &back), MN_OK);
	ck_assert(mn_addr_eq(&a, &back));
	ck_assert_int_eq(mesh_path_get(s, other, &back), MN_ENOENT);
	ck_assert_int_eq(store_txn_begin(s, &t), MN_OK);
	ck_assert_int_eq(mesh_path_del(t, pk), MN_OK);
	ck_assert_int_eq(store_txn_commit(t), MN_OK);
	ck_assert_int_eq(mesh_path_get(s, pk, &back), MN_ENOENT);
	store_close(s);
}
END_TEST

static Suite *mesh_meta_suite(void)
{
	Suite *s = suite_create("mesh_meta");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_through_store);
	tcase_add_test(tc, test_paths);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(mesh_meta_suite)
