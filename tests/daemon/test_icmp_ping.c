/* Tests for daemon/icmp_ping: the Internet checksum against RFC 1071's
 * worked example, echo requests built byte for byte, and which datagrams
 * a raw socket delivers count as our reply. No socket is opened (that
 * needs root; tests/net/t_mesh_ping.sh does it). */
#include <netinet/in.h>
#include <string.h>

#include "check_main.h"
#include "icmp_ping.h"
#include "mn_wire.h"

START_TEST(test_checksum_rfc1071)
{
	/* RFC 1071 §3, "Numerical Examples": the sum of these bytes is ddf2,
	 * so the checksum is its complement, 220d. */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* an echo request with identifier 0, sequence 0 and no data */
	static const uint8_t empty_echo[] = { 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
	static const uint8_t odd[] = { 0x01 }; /* padded: 0100 */
	uint8_t with_sum[sizeof(rfc)];

	ck_assert_uint_eq(icmp_checksum(rfc, sizeof(rfc)), 0x220d);
	ck_assert_uint_eq(icmp_checksum(empty_echo, sizeof(empty_echo)), 0xf7ff);
	ck_assert_uint_eq(icmp_checksum(odd, sizeof(odd)), 0xfeff);
	ck_assert_uint_eq(icmp_checksum(odd, 0), 0xffff);
	/* a message holding its own checksum sums to 0 */
	memcpy(with_sum, empty_echo, sizeof(with_sum));
	mn_put_be16(with_sum + ICMP_OFF_CSUM, 0xf7ff);
	ck_assert_uint_eq(icmp_checksum(with_sum, sizeof(with_sum)), 0);
}
END_TEST

START_TEST(test_build_v4)
{
	uint8_t b[ICMP_PING_LEN];

	icmp_ping_build(b, AF_INET, 0x1234, 1);
	ck_assert_uint_eq(b[ICMP_OFF_TYPE], 8);
	ck_assert_uint_eq(b[ICMP_OFF_CODE], 0);
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_ID), 0x1234);
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_SEQ), 1);
	for (int i = 0; i < ICMP_PING_DATA_LEN; i++)
		ck_assert_uint_eq(b[ICMP_OFF_DATA + i], i);
	/* computed apart (python: RFC 1071 over 08 00 00 00 12 34 00 01 00..37) */
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_CSUM), 0xeeb7);
	ck_assert_uint_eq(icmp_checksum(b, sizeof(b)), 0);
}
END_TEST

START_TEST(test_build_v6)
{
	uint8_t b[ICMP_PING_LEN];

	icmp_ping_build(b, AF_INET6, 0xbeef, 65535);
	ck_assert_uint_eq(b[ICMP_OFF_TYPE], 128);
	ck_assert_uint_eq(b[ICMP_OFF_CODE], 0);
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_CSUM), 0); /* the kernel's to fill */
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_ID), 0xbeef);
	ck_assert_uint_eq(mn_get_be16(b + ICMP_OFF_SEQ), 65535);
}
END_TEST

enum { IHL_WORDS = 5, OPT_WORDS = 6 };

/* The reply a peer sends to request (id, seq), behind an IPv4 header of
 * ihl words, into out; its length. */
static size_t v4_reply(uint8_t *out, int ihl, uint16_t id, uint16_t seq)
{
	size_t h = (size_t)ihl * 4;
	uint8_t *icmp = out + h;

	memset(out, 0, h);
	out[IPV4_OFF_VER_IHL] = (uint8_t)(0x40 | ihl);
	out[IPV4_OFF_PROTO] = IPV4_PROTO_ICMP;
	icmp_ping_build(icmp, AF_INET, id, seq);
	icmp[ICMP_OFF_TYPE] = 0;
	mn_put_be16(icmp + ICMP_OFF_CSUM, 0);
	mn_put_be16(icmp + ICMP_OFF_CSUM, icmp_checksum(icmp, ICMP_PING_LEN));
	/* computed apart for (0x1234, 1): the request's, less 0800 */
	if (id == 0x1234 && seq == 1)
		ck_assert_uint_eq(mn_get_be16(icmp + ICMP_OFF_CSUM), 0xf6b7);
	return h + ICMP_PING_LEN;
}

START_TEST(test_reply_v4)
{
	uint8_t b[OPT_WORDS * 4 + ICMP_PING_LEN];
	uint16_t seq = 0;
	size_t n;

	n = v4_reply(b, IHL_WORDS, 0x1234, 1);
	ck_assert(icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq));
	ck_assert_uint_eq(seq, 1);
	ck_assert(!icmp_ping_is_reply(b, n, AF_INET, 0x1235, &seq)); /* another pinger's */
	/* with IP options: the header length is read, not assumed */
	n = v4_reply(b, OPT_WORDS, 0x1234, 7);
	ck_assert(icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq));
	ck_assert_uint_eq(seq, 7);
	/* every shorter datagram is refused (the checksum covers the data) */
	for (size_t len = 0; len < n; len++)
		ck_assert_msg(!icmp_ping_is_reply(b, len, AF_INET, 0x1234, &seq), "len %zu", len);
	/* any one byte changed in the ICMP message: refused (checksum, or the
	 * type, code, identifier) */
	for (size_t i = OPT_WORDS * 4; i < n; i++) {
		b[i] ^= 0x01;
		ck_assert_msg(!icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq), "byte %zu", i);
		b[i] ^= 0x01;
	}
	/* not ICMP; not IPv4; a header length past the datagram or under 20 */
	n = v4_reply(b, IHL_WORDS, 0x1234, 1);
	b[IPV4_OFF_PROTO] = 17;
	ck_assert(!icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq));
	b[IPV4_OFF_PROTO] = IPV4_PROTO_ICMP;
	b[IPV4_OFF_VER_IHL] = 0x65;
	ck_assert(!icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq));
	b[IPV4_OFF_VER_IHL] = 0x4f;
	ck_assert(!icmp_ping_is_reply(b, 40, AF_INET, 0x1234, &seq));
	b[IPV4_OFF_VER_IHL] = 0x44;
	ck_assert(!icmp_ping_is_reply(b, n, AF_INET, 0x1234, &seq));
}
END_TEST

START_TEST(test_own_request_is_no_reply)
{
	/* pinging a local address, a raw socket sees our request too */
	uint8_t b[IHL_WORDS * 4 + ICMP_PING_LEN] = { 0x45 };
	uint16_t seq;

	b[IPV4_OFF_PROTO] = IPV4_PROTO_ICMP;
	icmp_ping_build(b + IHL_WORDS * 4, AF_INET, 0x1234, 1);
	ck_assert(!icmp_ping_is_reply(b, sizeof(b), AF_INET, 0x1234, &seq));
}
END_TEST

START_TEST(test_reply_v6)
{
	uint8_t b[ICMP_PING_LEN];
	uint16_t seq = 0;

	icmp_ping_build(b, AF_INET6, 0xbeef, 3);
	ck_assert(!icmp_ping_is_reply(b, sizeof(b), AF_INET6, 0xbeef, &seq)); /* a request */
	b[ICMP_OFF_TYPE] = 129;
	mn_put_be16(b + ICMP_OFF_CSUM, 0x5a5a); /* the kernel checked it: not us */
	ck_assert(icmp_ping_is_reply(b, sizeof(b), AF_INET6, 0xbeef, &seq));
	ck_assert_uint_eq(seq, 3);
	ck_assert(icmp_ping_is_reply(b, ICMP_HDR_LEN, AF_INET6, 0xbeef, &seq));
	ck_assert(!icmp_ping_is_reply(b, ICMP_HDR_LEN - 1, AF_INET6, 0xbeef, &seq));
	ck_assert(!icmp_ping_is_reply(b, sizeof(b), AF_INET6, 0xbeee, &seq));
	b[ICMP_OFF_CODE] = 1;
	ck_assert(!icmp_ping_is_reply(b, sizeof(b), AF_INET6, 0xbeef, &seq));
	b[ICMP_OFF_CODE] = 0;
	/* an ICMPv4 reply type means nothing on a v6 socket */
	b[ICMP_OFF_TYPE] = 0;
	ck_assert(!icmp_ping_is_reply(b, sizeof(b), AF_INET6, 0xbeef, &seq));
}
END_TEST

static Suite *icmp_ping_suite(void)
{
	Suite *s = suite_create("icmp_ping");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_checksum_rfc1071);
	tcase_add_test(tc, test_build_v4);
	tcase_add_test(tc, test_build_v6);
	tcase_add_test(tc, test_reply_v4);
	tcase_add_test(tc, test_own_request_is_no_reply);
	tcase_add_test(tc, test_reply_v6);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(icmp_ping_suite)
