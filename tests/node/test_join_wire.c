/* Tests for the join protocol's pure parts: the IPv4 allocator
 * (join_alloc_ipv4 in node/join.h): keys spread evenly over a prefix, never
 * on the network or broadcast address, the same key gets the same address,
 * a prefix filled address by address ends full, a held start probes on and
 * wraps, bad prefixes are refused; and the messages (node/join_wire.h):
 * round trips, every truncation, nonzero padding, reasons and their
 * strings, join messages demultiplexed as control and refused by the seal
 * parser. Keys come from a seeded generator (seed printed). */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "demux.h"
#include "join.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "seal.h"

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

	printf("test_join_wire: seed=14\n");
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

START_TEST(wire_round_trip)
{
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, ik;
	struct rec_network net;
	struct join_request r, back;
	uint8_t buf[JOIN_DGRAM_MAX], nonce[JOIN_NONCE_LEN] = { 3 }, cookie[JOIN_COOKIE_LEN] = { 4 };
	size_t len;
	enum join_reason why;

	printf("test_join_wire: seed=15\n");
	mn_seeded_rng_init(&srng, 15);
	rng = mn_seeded_rng_iface(&srng);
	rec_key_generate(&root, &rng);
	rec_key_generate(&ik, &rng);
	ck_assert_int_eq(rec_network_init(&net, root.pk, NULL), MN_OK);
	memset(&r, 0, sizeof(r));
	r.invite.signer = REC_BY_ROOT;
	r.invite.max_uses = 1;
	memcpy(r.invite.invite_pk, ik.pk, REC_PK_LEN);
	ck_assert_int_eq(rec_invite_sign(&net, &root, &r.invite), MN_OK);
	memcpy(r.nonce, nonce, JOIN_NONCE_LEN);
	memcpy(r.cookie, cookie, JOIN_COOKIE_LEN);
	mn_rng_bytes(&rng, r.node_pk, REC_PK_LEN);
	rec_join_proof(&net, &ik, r.node_pk, r.proof);
	strcpy(r.name, "laptop");
	ck_assert_int_eq(join_request_encode(&r, buf, sizeof(buf), &len), MN_OK);
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(len, JOIN_REQ_MIN);
	ck_assert_int_eq(join_request_decode(&r, buf, len), MN_OK);
	ck_assert_str_eq(r.name, "laptop");
	ck_assert_mem_eq(r.cookie, cookie, JOIN_COOKIE_LEN);
	ck_assert_mem_eq(r.nonce, nonce, JOIN_NONCE_LEN);
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_ne(join_request_decode(&back, buf, cut), MN_OK);
	buf[len] = 0;
	ck_assert_int_eq(join_request_decode(&back, buf, len + 1), MN_EPROTO);
	buf[JOIN_REQ_O_NAME + 7] = 'x'; /* a byte past the name */
	ck_assert_int_eq(join_request_decode(&back, buf, len), MN_EPROTO);
	/* refuse: every reason has a string; unknown ones do not encode */
	for (int i = JOIN_R_USED_UP; i <= JOIN_R_MAX; i++) {
		ck_assert_int_eq(join_refuse_encode(nonce, (enum join_reason)i, buf, sizeof(buf),
						    &len), MN_OK);
		ck_assert_int_eq(join_refuse_decode(nonce, &why, buf, len), MN_OK);
		ck_assert_int_eq(why, i);
		ck_assert_str_ne(join_reason_str(why), "unknown reason");
	}
	ck_assert_int_eq(join_refuse_encode(nonce, 0, buf, sizeof(buf), &len), MN_EINVAL);
	buf[JOIN_REF_O_REASON] = JOIN_R_MAX + 1;
	ck_assert_int_eq(join_refuse_decode(nonce, &why, buf, len), MN_EPROTO);
	/* join messages are control datagrams the seal parser refuses */
	ck_assert_int_eq(join_hello_encode(nonce, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(demux_classify(buf, len), DEMUX_CONTROL);
	ck_assert(join_is_join(buf, len));
	{
		struct seal_hdr h;

		ck_assert_int_eq(seal_parse(&h, buf, len), MN_EPROTO);
		buf[JOIN_O_FORMAT] = SEAL_VERSION;
		ck_assert(!join_is_join(buf, len));
	}
	rec_key_wipe(&root);
	rec_key_wipe(&ik);
}
END_TEST

static Suite *join_wire_suite(void)
{
	Suite *s = suite_create("join_wire");
	TCase *tc = tcase_create("join_wire");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ipv4_allocator);
	tcase_add_test(tc, wire_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(join_wire_suite)
