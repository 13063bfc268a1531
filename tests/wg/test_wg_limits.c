/* Tests for the WireGuard core's limits and less travelled paths, between
 * two in-memory devices (wg_pair.h) under virtual time: the automatic
 * "under load" switch to cookies, the cookie secret's rotation, the send
 * counter limits, the initiator's last-minute rekey on receive, the IPv6
 * data path, and datagrams that arrive after their peer was removed.
 *
 * Everything goes through wg.h except the send counter: no test can send
 * 2^60 packets, so set_send_counter() writes it through wg_internal.h. */
#include <arpa/inet.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "wg.h"
#include "wg_internal.h"
#include "wg_pair.h"

/* The only internal access of this file (struct wg_keypair in wg_internal.h). */
static void set_send_counter(struct wg_peer *peer, uint64_t counter)
{
	ck_assert_ptr_nonnull(peer->cur);
	peer->cur->send_counter = counter;
}

/* The counter field of a transport data message (paper §5.4.6). */
static uint64_t data_counter(const struct dgram *d)
{
	ck_assert_uint_eq(d->buf[0], WG_MSG_DATA);
	return mn_get_le64(d->buf + 8);
}

/* ---- under load: detected from the handshake rate ---- */

START_TEST(test_under_load_detected_from_rate)
{
	struct dgram init, d, q[4];
	const mn_ns step = MN_NS_PER_SEC / 2048; /* 1024 messages take half a second */

	/* one initiation from A, delivered over and over: each has a valid
	 * mac1, so each counts towards B's load (and is then a replayed
	 * timestamp, except the first) */
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	init = q[0];
	mn_ns window = now.mono;
	for (int i = 0; i < WG_MAX_HANDSHAKES_PER_SEC; i++) {
		d = init;
		ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), i == 0 ? 0 : MN_EREPLAY);
		advance(step);
	}
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 0);
	/* the rate is per second: a new second starts a new count */
	advance(window + MN_NS_PER_SEC - now.mono);
	for (int i = 0; i < WG_MAX_HANDSHAKES_PER_SEC; i++) {
		d = init;
		ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_EREPLAY);
		advance(step);
	}
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1); /* the response to the first */
	/* the 1,025th in one second: under load, a cookie instead of a DH */
	d = init;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_EBUSY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 1);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_COOKIE_LEN);
	/* still under load for a second after the last excess message */
	advance(MN_NS_PER_SEC - MN_NS_PER_SEC / 1000);
	d = init;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_EBUSY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 2);
	/* a quiet second later the load is gone: the message reaches the
	 * handshake again (and is refused there as a replay) */
	advance(MN_NS_PER_SEC + MN_NS_PER_SEC / 1000);
	d = init;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_EREPLAY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 2);
}
END_TEST

/* ---- cookies: the secret rotates every two minutes ---- */

START_TEST(test_cookie_secret_rotates)
{
	struct dgram d, q[4], with_mac2;
	mn_ns start = now.mono;

	/* B's secret is born with its first cookie, at `start` */
	initiation_refused_with_cookie(&q[0]);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC / 2);
	wg_dev_on_timer(A.dev, now);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	with_mac2 = q[0];
	/* its mac2 holds while the secret lives: just under two minutes */
	advance(start + WG_COOKIE_SECRET_MAX_AGE - MN_NS_PER_SEC - now.mono);
	d = with_mac2;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), 0);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 1);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_RESPONSE_LEN);
	/* two minutes on, B has a new secret: the same message (which would
	 * otherwise be a replayed timestamp) needs a new cookie */
	advance(2 * MN_NS_PER_SEC);
	d = with_mac2;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_EBUSY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 2);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_COOKIE_LEN);
	/* A takes the new cookie; its next initiation gets through */
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC / 2);
	wg_dev_on_timer(A.dev, now);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), 0);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 2);
}
END_TEST

START_TEST(test_cookie_maker_expires_before_secret)
{
	struct dgram d, q[4];

	/* A uses a cookie for mac2 only while it is younger than the secret's
	 * two minutes less the paper's latency allowance (5 s). */
	initiation_refused_with_cookie(&q[0]);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	mn_ns got_cookie = now.mono;
	/* 116 s on, B's secret is still valid, but A no longer uses its
	 * cookie: the initiation goes without mac2 and B asks again */
	advance(got_cookie + WG_COOKIE_SECRET_MAX_AGE - 4 * MN_NS_PER_SEC - now.mono);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), MN_EBUSY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 2);
}
END_TEST

/* ---- the send counter's limits ---- */

START_TEST(test_rekey_after_messages)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;

	handshake_a_to_b();
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC); /* past the handshake rate limit */
	/* the initiator: the packet numbered REKEY_AFTER_MESSAGES - 1 is the
	 * last sent without a new handshake (kernel keep_key_fresh: counter >
	 * REKEY_AFTER_MESSAGES after sending) */
	set_send_counter(A.peer, WG_REKEY_AFTER_MESSAGES - 1);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 1);
	ck_assert_uint_eq(data_counter(&d), WG_REKEY_AFTER_MESSAGES - 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 0);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
	/* the responder rekeys on its message count too (only the age rule
	 * is the initiator's); past the handshake rate limit */
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC);
	set_send_counter(B.peer, WG_REKEY_AFTER_MESSAGES);
	ck_assert_int_eq(tun_send(&B, "100.64.0.2", "100.64.0.1", 40, &d), 1);
	ck_assert_int_eq(deliver(&A, &B, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
}
END_TEST

START_TEST(test_reject_after_messages)
{
	struct dgram d, init, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;

	handshake_a_to_b();
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC); /* past the handshake rate limit */
	/* the last counter the keypair may use is REJECT_AFTER_MESSAGES - 1 */
	set_send_counter(A.peer, WG_REJECT_AFTER_MESSAGES - 1);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 1);
	ck_assert_uint_eq(data_counter(&d), WG_REJECT_AFTER_MESSAGES - 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 1); /* far past REKEY_AFTER_MESSAGES */
	init = q[0];
	/* then it sends nothing more: the packet waits for the new session */
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 0); /* the handshake is already under way */
	ck_assert_int_eq(deliver(&B, &A, &init, NULL, NULL), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	/* both staged packets leave under the new keypair, from counter 0 */
	ck_assert_int_eq(drain(&A, q, 4), 2);
	ck_assert_uint_eq(data_counter(&q[0]), 0);
	ck_assert_uint_eq(data_counter(&q[1]), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], pkt, &plen), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[1], pkt, &plen), 1);
}
END_TEST

/* ---- the initiator's last-minute rekey on receive ---- */

START_TEST(test_lastminute_rekey_on_receive)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;
	mn_ns born = now.mono;
	const mn_ns last_minute = WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT;

	handshake_a_to_b(); /* A is the initiator, the keypair is born now */
	/* B (the responder) keeps sending; A only receives. Before the last
	 * minute, receiving starts nothing. */
	advance(born + last_minute - MN_NS_PER_SEC - now.mono);
	ck_assert_int_eq(tun_send(&B, "100.64.0.2", "100.64.0.1", 40, &d), 1);
	ck_assert_int_eq(deliver(&A, &B, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 0);
	ck_assert_int_eq(drain(&B, q, 4), 0);
	/* past REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT, the
	 * next packet received makes A initiate */
	advance(2 * MN_NS_PER_SEC);
	ck_assert_int_eq(tun_send(&B, "100.64.0.2", "100.64.0.1", 40, &d), 1);
	ck_assert_int_eq(deliver(&A, &B, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
	/* once per keypair: later packets (past the handshake rate limit) do not */
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC);
	ck_assert_int_eq(tun_send(&B, "100.64.0.2", "100.64.0.1", 40, &d), 1);
	ck_assert_int_eq(deliver(&A, &B, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&A, q, 4), 0);
}
END_TEST

START_TEST(test_lastminute_rekey_is_the_initiators)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;
	mn_ns born = now.mono;

	handshake_a_to_b();
	/* B, the responder, receives in the last minute: it does not initiate */
	advance(born + WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - now.mono);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), 1);
	ck_assert_int_eq(drain(&B, q, 4), 0);
}
END_TEST

/* ---- IPv6 ---- */

/* A minimal IPv6 packet (UDP, no extension headers) of total length len. */
static size_t ip6(uint8_t *p, size_t len, const char *src, const char *dst, uint8_t fill)
{
	memset(p, fill, len);
	p[0] = 0x60;
	p[1] = p[2] = p[3] = 0;
	mn_put_be16(p + 4, (uint16_t)(len - 40));
	p[6] = 17;
	p[7] = 64;
	ck_assert_int_eq(inet_pton(AF_INET6, src, p + 8), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, dst, p + 24), 1);
	return len;
}

static int tun_send6(struct side *s, const char *src, const char *dst, size_t len,
		     struct dgram *d)
{
	ip6(d->buf + WG_HEADROOM, len, src, dst, 0x6c);
	return wg_dev_tun_in(s->dev, d->buf, BUFCAP, len, now, &d->dst, &d->len);
}

START_TEST(test_ipv6_data_path)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP], want[BUFCAP];
	size_t plen;
	struct mn_prefix p;

	mn_prefix_parse(&p, "fd00::1/128");
	ck_assert_int_eq(wg_peer_allowedip_add(B.peer, &p), MN_OK);
	/* a v6 packet is staged behind the handshake and released after it */
	ck_assert_int_eq(tun_send6(&A, "fd00::1", "fd00::2", 61, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_DATA_HEADER_LEN + 64 + 16); /* padded to 16 */
	ck_assert_int_eq(deliver(&B, &A, &q[0], pkt, &plen), 1);
	ip6(want, 61, "fd00::1", "fd00::2", 0x6c);
	ck_assert_uint_eq(plen, 61); /* the padding is cut by the IPv6 length */
	ck_assert_mem_eq(pkt, want, 61);
	/* both ways, directly */
	ck_assert_int_eq(tun_send6(&B, "fd00::2", "fd00::1", 1280, &d), 1);
	ck_assert_uint_eq(d.len, WG_DATA_HEADER_LEN + 1280 + 16);
	ck_assert_int_eq(deliver(&A, &B, &d, pkt, &plen), 1);
	ck_assert_uint_eq(plen, 1280);
	ck_assert_int_eq(tun_send6(&A, "fd00::1", "fd00::2", 40, &d), 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), 1);
	ck_assert_uint_eq(plen, 40);
	/* routing by the v6 destination, checking by the v6 source */
	ck_assert_int_eq(tun_send6(&A, "fd00::1", "fd00::99", 60, &d), MN_ENOROUTE);
	ck_assert_int_eq(tun_send6(&A, "fd00::77", "fd00::2", 60, &d), 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), MN_EAUTH);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NOT_ALLOWED), 1);
	/* a payload length past the decrypted bytes is not an IP packet */
	ip6(d.buf + WG_HEADROOM, 60, "fd00::1", "fd00::2", 0x6c);
	mn_put_be16(d.buf + WG_HEADROOM + 4, 100);
	ck_assert_int_eq(wg_dev_tun_in(A.dev, d.buf, BUFCAP, 60, now, &d.dst, &d.len), 1);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), MN_EPROTO);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_BAD_PACKET), 1);
	/* shorter than an IPv6 header: dropped on the way in */
	ip6(d.buf + WG_HEADROOM, 40, "fd00::1", "fd00::2", 0x6c);
	ck_assert_int_eq(wg_dev_tun_in(A.dev, d.buf, BUFCAP, 39, now, &d.dst, &d.len),
			 MN_EPROTO);
}
END_TEST

/* ---- datagrams for a removed peer ---- */

START_TEST(test_data_after_peer_removed)
{
	struct dgram d, keepalive, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;

	handshake_a_to_b();
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 1);
	/* B's keepalive, still in flight when A drops B */
	advance(WG_KEEPALIVE_TIMEOUT);
	wg_dev_on_timer(B.dev, now);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	keepalive = q[0];
	wg_dev_peer_remove(B.dev, B.peer);
	B.peer = NULL;
	wg_dev_peer_remove(A.dev, A.peer);
	A.peer = NULL;
	/* the datagrams name receiver indices that are gone */
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), MN_ENOKEY);
	ck_assert_int_eq(deliver(&A, &B, &keepalive, pkt, &plen), MN_ENOKEY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_UNKNOWN_INDEX), 1);
	ck_assert_uint_eq(wg_dev_drops(A.dev, WG_DROP_UNKNOWN_INDEX), 1);
	ck_assert_uint_eq(wg_dev_next_deadline(A.dev), MN_NEVER);
	ck_assert_uint_eq(wg_dev_next_deadline(B.dev), MN_NEVER);
	/* the peer added again starts from nothing: the old keys stay gone */
	ck_assert_int_eq(wg_dev_peer_add(B.dev, A.pub, &B.peer), MN_OK);
	ck_assert_int_eq(deliver(&B, &A, &d, pkt, &plen), MN_ENOKEY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_UNKNOWN_INDEX), 2);
	/* and with no route to it, B's traffic for A goes nowhere */
	ck_assert_int_eq(tun_send(&B, "100.64.0.2", "100.64.0.1", 40, &d), MN_ENOROUTE);
}
END_TEST

START_TEST(test_handshake_after_peer_removed)
{
	struct dgram d, q[4], init, resp;

	/* A initiates with a packet staged; B answers; A drops B before the
	 * response arrives */
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	init = q[0];
	d = init;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	resp = q[0];
	wg_dev_peer_remove(A.dev, A.peer);
	A.peer = NULL;
	ck_assert_int_eq(deliver(&A, &B, &resp, NULL, NULL), MN_ENOKEY);
	ck_assert_uint_eq(wg_dev_drops(A.dev, WG_DROP_UNKNOWN_INDEX), 1);
	ck_assert_int_eq(drain(&A, q, 4), 0); /* the staged packet went with the peer */
	/* B drops A: A's initiation now names an unknown static key */
	wg_dev_peer_remove(B.dev, B.peer);
	B.peer = NULL;
	advance(MN_NS_PER_SEC);
	d = init;
	ck_assert_int_eq(deliver(&B, &A, &d, NULL, NULL), MN_ENOKEY);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_UNKNOWN_PEER), 1);
}
END_TEST

START_TEST(test_cookie_after_peer_removed)
{
	struct dgram q[4];

	initiation_refused_with_cookie(&q[0]);
	wg_dev_peer_remove(A.dev, A.peer);
	A.peer = NULL;
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), MN_EAUTH);
	ck_assert_uint_eq(wg_dev_drops(A.dev, WG_DROP_BAD_AUTH), 1);
}
END_TEST

static Suite *wg_limits_suite(void)
{
	Suite *s = suite_create("wg limits");
	TCase *tc = tcase_create("load and cookies");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, test_under_load_detected_from_rate);
	tcase_add_test(tc, test_cookie_secret_rotates);
	tcase_add_test(tc, test_cookie_maker_expires_before_secret);
	/* ~2,000 handshake messages: 0.1 s plain, about ten times that with
	 * sanitizers; virtual time, so nothing depends on the machine's speed */
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	tc = tcase_create("keypair limits");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, test_rekey_after_messages);
	tcase_add_test(tc, test_reject_after_messages);
	tcase_add_test(tc, test_lastminute_rekey_on_receive);
	tcase_add_test(tc, test_lastminute_rekey_is_the_initiators);
	suite_add_tcase(s, tc);

	tc = tcase_create("ipv6 and removal");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, test_ipv6_data_path);
	tcase_add_test(tc, test_data_after_peer_removed);
	tcase_add_test(tc, test_handshake_after_peer_removed);
	tcase_add_test(tc, test_cookie_after_peer_removed);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wg_limits_suite)
