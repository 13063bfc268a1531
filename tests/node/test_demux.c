/* Tests for the one-port demultiplexer (node/demux.h): the RFC 5769 STUN
 * vectors, every WireGuard type at its exact size and one byte off, a
 * Binding success response that starts like a WireGuard initiation, sealed
 * control datagrams, junk; and which kinds a batch handles first. */
#include <string.h>

#include "check_main.h"
#include "demux.h"
#include "mn_wire.h"
#include "wg.h"

/* RFC 5769 §2.1: sample request (software, priority, ice-controlled,
 * username, message-integrity, fingerprint), 108 bytes. Only the header
 * matters to the demux; the body is the vector's. */
static const uint8_t rfc5769_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.2: sample IPv4 response header (type 0x0101, length 0x3c). */
static const uint8_t rfc5769_response_hdr[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

START_TEST(stun_vectors)
{
	uint8_t resp[20 + 0x3c];

	ck_assert_int_eq(demux_classify(rfc5769_request, sizeof(rfc5769_request)), DEMUX_STUN);
	/* the length field must match the size exactly */
	ck_assert_int_eq(demux_classify(rfc5769_request, sizeof(rfc5769_request) - 1),
			 DEMUX_OTHER);
	memset(resp, 0x5a, sizeof(resp));
	memcpy(resp, rfc5769_response_hdr, sizeof(rfc5769_response_hdr));
	/* starts with 0x01 like a WireGuard initiation, but is STUN */
	ck_assert_int_eq(demux_classify(resp, sizeof(resp)), DEMUX_STUN);
	/* wrong cookie, or the top bits set */
	resp[4] ^= 1;
	ck_assert_int_eq(demux_classify(resp, sizeof(resp)), DEMUX_OTHER);
	resp[4] ^= 1;
	resp[0] |= 0x40;
	ck_assert_int_ne(demux_classify(resp, sizeof(resp)), DEMUX_STUN);
}
END_TEST

START_TEST(wireguard_sizes)
{
	static const struct {
		uint8_t type;
		size_t len;
		enum demux_kind kind;
	} cases[] = {
		{ WG_MSG_INITIATION, WG_INITIATION_LEN, DEMUX_WG_INITIATION },
		{ WG_MSG_RESPONSE, WG_RESPONSE_LEN, DEMUX_WG_RESPONSE },
		{ WG_MSG_COOKIE, WG_COOKIE_LEN, DEMUX_WG_COOKIE },
		{ WG_MSG_DATA, WG_DATA_MIN_LEN, DEMUX_WG_DATA },
		{ WG_MSG_DATA, 1500, DEMUX_WG_DATA },
	};
	uint8_t buf[1500];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0xee, sizeof(buf));
		buf[0] = cases[i].type;
		buf[1] = buf[2] = buf[3] = 0;
		ck_assert_int_eq(demux_classify(buf, cases[i].len), cases[i].kind);
		ck_assert(demux_is_wg(cases[i].kind));
		if (cases[i].type != WG_MSG_DATA) {
			ck_assert_int_eq(demux_classify(buf, cases[i].len - 1), DEMUX_OTHER);
			ck_assert_int_eq(demux_classify(buf, cases[i].len + 1), DEMUX_OTHER);
		}
		buf[2] = 1; /* reserved bytes must be zero */
		ck_assert_int_eq(demux_classify(buf, cases[i].len), DEMUX_OTHER);
	}
	memset(buf, 0, sizeof(buf));
	buf[0] = WG_MSG_DATA;
	ck_assert_int_eq(demux_classify(buf, WG_DATA_MIN_LEN - 1), DEMUX_OTHER);
	buf[0] = 5;
	ck_assert_int_eq(demux_classify(buf, WG_INITIATION_LEN), DEMUX_OTHER);
}
END_TEST

START_TEST(control_and_junk)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof(buf));
	buf[0] = 'M';
	buf[1] = 'N';
	buf[2] = 1;
	ck_assert_int_eq(demux_classify(buf, sizeof(buf)), DEMUX_CONTROL);
	buf[1] = 'X';
	ck_assert_int_eq(demux_classify(buf, sizeof(buf)), DEMUX_OTHER);
	ck_assert_int_eq(demux_classify(buf, 0), DEMUX_OTHER);
	ck_assert_int_eq(demux_classify((const uint8_t *)"\x01", 1), DEMUX_OTHER);
	memset(buf, 0xff, sizeof(buf));
	ck_assert_int_eq(demux_classify(buf, sizeof(buf)), DEMUX_OTHER);
	ck_assert_str_eq(demux_kind_name(DEMUX_STUN), "stun");
	ck_assert_str_eq(demux_kind_name((enum demux_kind)99), "other");
}
END_TEST

START_TEST(urgent_first)
{
	ck_assert(!demux_is_urgent(DEMUX_WG_DATA));
	ck_assert(!demux_is_urgent(DEMUX_OTHER));
	ck_assert(demux_is_urgent(DEMUX_WG_INITIATION));
	ck_assert(demux_is_urgent(DEMUX_WG_RESPONSE));
	ck_assert(demux_is_urgent(DEMUX_WG_COOKIE));
	ck_assert(demux_is_urgent(DEMUX_STUN));
	ck_assert(demux_is_urgent(DEMUX_CONTROL));
}
END_TEST

static Suite *demux_suite(void)
{
	Suite *s = suite_create("demux");
	TCase *tc = tcase_create("demux");

	tcase_add_test(tc, stun_vectors);
	tcase_add_test(tc, wireguard_sizes);
	tcase_add_test(tc, control_and_junk);
	tcase_add_test(tc, urgent_first);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(demux_suite)
