/* Allocation failure inside the WireGuard core (nghttp2's failmalloc_test):
 * fail the i-th allocation in turn, once or from then on (sticky), while
 * two devices (wg_pair.h) configure themselves, or run a handshake and
 * exchange data. Every call must answer a documented code: a negative one
 * only with a drop counted (wg.h), or MN_ENOMEM from the configuration
 * calls. Afterwards, with allocations working again, the devices must
 * recover by themselves (timers and retries) and carry data both ways,
 * and every block allocated must be freed (failmalloc_live(); and
 * LeakSanitizer in the sanitizer build). And what must not allocate at
 * all, counted the same way: a cookie reply, a queued handshake message;
 * and that a handshake message whose keypair cannot be allocated changes
 * nothing. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "failmalloc.h"
#include "mn_err.h"
#include "wg.h"
#include "wg_pair.h"

static uint64_t drops_total(const struct wg_dev *dev)
{
	uint64_t n = 0;
	for (int r = 0; r < WG_DROP__COUNT; r++)
		n += wg_dev_drops(dev, (enum wg_drop)r);
	return n;
}

/* libcheck is linked into the binary, so its asserts allocate too (even
 * passing ones mark their point): while allocations fail, the helpers
 * below note the first broken rule here instead, and the test asserts
 * after disarming. */
static char broken[200];

static void note(bool ok, const char *what, int rc)
{
	if (!ok && !broken[0])
		snprintf(broken, sizeof(broken), "%s: rc %d", what, rc);
}

/* Deliver; a refusal must be counted as a drop. */
static int deliver_counted(struct side *to, const struct side *from, struct dgram *d)
{
	size_t off, len;
	uint64_t before = drops_total(to->dev);
	int rc = wg_dev_udp_in(to->dev, &from->addr, d->buf, d->len, now, &off, &len);
	note(rc <= 1, "udp_in answered", rc);
	note(rc >= 0 || drops_total(to->dev) > before, "udp_in refused without a drop", rc);
	return rc;
}

/* Send from s's TUN to the other side; true when the other side got it. */
static bool send_counted(struct side *s, struct side *to, const char *src, const char *dst)
{
	struct dgram d;
	uint64_t before = drops_total(s->dev);
	uint64_t oom_before = wg_dev_drops(s->dev, WG_DROP_NO_MEMORY);
	ip4(d.buf + WG_HEADROOM, 100, src, dst, 0xab);
	int rc = wg_dev_tun_in(s->dev, d.buf, BUFCAP, 100, now, &d.dst, &d.len);
	note(rc <= 1 && (rc >= 0 || rc == MN_ENOMEM), "tun_in answered", rc);
	note(rc >= 0 || drops_total(s->dev) > before, "tun_in refused without a drop", rc);
	/* an allocation failure is counted as what it is, not as a full queue */
	note(rc != MN_ENOMEM || wg_dev_drops(s->dev, WG_DROP_NO_MEMORY) > oom_before,
	     "tun_in out of memory not counted as NO_MEMORY", rc);
	return rc == 1 && deliver_counted(to, s, &d) == 1;
}

/* Deliver everything s has queued to the other side; the count. */
static int carry_from(struct side *s, struct side *to)
{
	struct dgram d;
	int n = 0, rc;
	while ((rc = wg_dev_poll_tx(s->dev, d.buf, BUFCAP, &d.len, &d.dst)) == 1) {
		deliver_counted(to, s, &d);
		n++;
	}
	note(rc == 0, "poll_tx answered", rc);
	return n;
}

/* Carry everything queued both ways until quiet. */
static void carry(void)
{
	for (int i = 0; i < 20; i++)
		if (carry_from(&A, &B) + carry_from(&B, &A) == 0)
			return;
	note(false, "the devices did not settle", 0);
}

/* Run both devices' timers at the next deadline, at most `cap` ahead. */
static void step_timers(mn_ns cap)
{
	mn_ns da = wg_dev_next_deadline(A.dev), db = wg_dev_next_deadline(B.dev);
	mn_ns dl = mn_min_deadline(mn_min_deadline(da, db), now.mono + cap);
	if (mn_time_before(now.mono, dl))
		advance(dl - now.mono);
	wg_dev_on_timer(A.dev, now);
	wg_dev_on_timer(B.dev, now);
	carry();
}

/* A handshake started by A's packet, then data both ways. */
static void scenario(void)
{
	send_counted(&A, &B, "100.64.0.1", "100.64.0.2");
	carry();
	send_counted(&B, &A, "100.64.0.2", "100.64.0.1");
	send_counted(&A, &B, "100.64.0.1", "100.64.0.2");
	carry();
	step_timers(WG_KEEPALIVE_TIMEOUT); /* a keepalive or a retry */
}

/* Until data goes both ways, as it must once allocations work again:
 * retries and new handshakes bring it back within REKEY_ATTEMPT_TIME. */
static void recover(void)
{
	mn_ns start = now.mono;
	bool ab = false, ba = false;
	while (!(ab && ba) && now.mono - start < WG_REKEY_ATTEMPT_TIME) {
		ab = ab || send_counted(&A, &B, "100.64.0.1", "100.64.0.2");
		carry();
		ba = ba || send_counted(&B, &A, "100.64.0.2", "100.64.0.1");
		carry();
		step_timers(MN_NS_PER_SEC);
	}
	ck_assert_msg(ab && ba, "no recovery within REKEY_ATTEMPT_TIME");
}

START_TEST(test_failmalloc_handshake_and_data)
{
	bool sticky = _i;
	unsigned long n;

	failmalloc_track(true);
	for (n = 0;; n++) {
		long live = failmalloc_live();
		pair_setup();
		broken[0] = 0;
		failmalloc_arm(n, sticky);
		scenario();
		unsigned long failed = failmalloc_failed();
		failmalloc_disarm();
		ck_assert_msg(!broken[0], "allocation %lu: %s", n, broken);
		recover();
		ck_assert_msg(!broken[0], "allocation %lu, recovering: %s", n, broken);
		pair_teardown();
		ck_assert_msg(failmalloc_live() == live, "allocation %lu: %ld blocks leaked", n,
			      failmalloc_live() - live);
		if (failed == 0)
			break; /* the scenario made fewer than n + 1 allocations */
	}
	failmalloc_track(false);
	printf("wg failmalloc (%s): handshake and data make %lu allocations\n",
	       sticky ? "sticky" : "once", n);
	/* the staged packets and the keypairs (handshake messages wait in
	 * the device's preallocated control buffers) */
	ck_assert_uint_ge(n, 4);
}
END_TEST

/* Configuration: a device, its key, a peer, allowed IPs. Each call either
 * works or answers MN_ENOMEM, leaving what exists usable. */
START_TEST(test_failmalloc_configure)
{
	bool sticky = _i;
	unsigned long n;

	failmalloc_track(true);
	for (n = 0;; n++) {
		struct mn_seeded_rng seed;
		struct wg_dev *dev = NULL;
		struct wg_peer *peer;
		struct mn_prefix p;
		uint8_t sk[32], pk[32];
		long live = failmalloc_live();
		int rc, again = MN_OK;

		mn_seeded_rng_init(&seed, 42);
		struct mn_rng rng = mn_seeded_rng_iface(&seed);
		failmalloc_arm(n, sticky);
		rc = wg_dev_new(&dev, &rng);
		if (rc == MN_OK) {
			memset(sk, 7, 32);
			memset(pk, 9, 32);
			rc = wg_dev_set_private_key(dev, sk);
			if (rc == MN_OK)
				rc = wg_dev_peer_add(dev, pk, &peer);
			if (rc == MN_OK) {
				mn_prefix_parse(&p, "100.64.0.0/16");
				rc = wg_peer_allowedip_add(peer, &p);
				if (rc == MN_OK) {
					mn_prefix_parse(&p, "fd00::/64");
					rc = wg_peer_allowedip_add(peer, &p);
				}
			}
		}
		unsigned long failed = failmalloc_failed();
		failmalloc_disarm();
		/* what exists still works: the peer can be added now */
		if (rc == MN_ENOMEM && dev)
			again = wg_dev_peer_add(dev, pk, &peer);
		wg_dev_del(dev);
		long leaked = failmalloc_live() - live;
		ck_assert_msg(rc == MN_OK || rc == MN_ENOMEM, "allocation %lu: %s", n,
			      mn_strerror(rc));
		ck_assert_int_eq(rc == MN_ENOMEM, failed > 0);
		ck_assert_int_ne(again, MN_ENOMEM);
		ck_assert_msg(leaked == 0, "allocation %lu: %ld blocks leaked", n, leaked);
		if (failed == 0)
			break;
	}
	failmalloc_track(false);
	ck_assert_uint_ge(n, 3);
}
END_TEST

/* ---- what must not allocate ---- */

/* Allocations made by fn, counted by failing every one of them (sticky,
 * from the first): libcheck allocates too, so fn must not assert. */
static unsigned long allocations_in(void (*fn)(void))
{
	failmalloc_arm(0, true);
	fn();
	unsigned long n = failmalloc_failed();
	failmalloc_disarm();
	return n;
}

static struct dgram held, out[8];
static int rc_in, n_out;

/* Deliver `held` to B from 8 source ports, then take what B queued. */
static void flood_b(void)
{
	struct side from = A;
	n_out = 0;
	for (int i = 0; i < 8; i++) {
		struct dgram d = held;
		from.addr.in4.sin_port = htons((uint16_t)(40000 + i));
		rc_in = deliver(&B, &from, &d, NULL, NULL);
	}
	while (n_out < 8 && wg_dev_poll_tx(B.dev, out[n_out].buf, BUFCAP, &out[n_out].len,
					   &out[n_out].dst) == 1)
		n_out++;
}

/* Under load, an initiation without mac2 costs B a cookie reply (DESIGN.md
 * §2: no allocation before the sender proved its address): any member can
 * send those, from any source. */
START_TEST(test_cookie_reply_allocates_nothing)
{
	struct dgram d;

	pair_setup();
	wg_dev_force_under_load(B.dev, true);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, &held, 1), 1);
	ck_assert_uint_eq(held.len, WG_INITIATION_LEN);
	unsigned long n = allocations_in(flood_b);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(rc_in, MN_EBUSY);
	ck_assert_int_eq(n_out, 8); /* a cookie reply to each source */
	for (int i = 0; i < n_out; i++) {
		ck_assert_uint_eq(out[i].len, WG_COOKIE_LEN);
		ck_assert_uint_eq(ntohs(out[i].dst.in4.sin_port), 40000 + i);
	}
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NEED_COOKIE), 8);
	ck_assert_uint_eq(wg_dev_drops(B.dev, WG_DROP_NO_MEMORY), 0);
	pair_teardown();
}
END_TEST

static void retransmit_a(void)
{
	wg_dev_on_timer(A.dev, now);
	n_out = wg_dev_poll_tx(A.dev, out[0].buf, BUFCAP, &out[0].len, &out[0].dst);
}

/* Handshake messages go through the control queue: queueing one allocates
 * nothing (the initiator's retry), and the responder's answer allocates
 * its keypair only. */
START_TEST(test_control_queue_allocates_nothing)
{
	struct dgram d;

	pair_setup();
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, &held, 1), 1); /* lost */
	advance(wg_dev_next_deadline(A.dev) - now.mono);
	ck_assert_uint_eq(allocations_in(retransmit_a), 0);
	ck_assert_int_eq(n_out, 1);
	ck_assert_uint_eq(out[0].len, WG_INITIATION_LEN);
	ck_assert_uint_eq(wg_dev_drops(A.dev, WG_DROP_NO_MEMORY), 0);

	/* B's keypair may be allocated; nothing after it */
	held = out[0];
	failmalloc_arm(1, true);
	rc_in = deliver(&B, &A, &held, NULL, NULL);
	n_out = wg_dev_poll_tx(B.dev, out[0].buf, BUFCAP, &out[0].len, &out[0].dst);
	unsigned long failed = failmalloc_failed();
	failmalloc_disarm();
	ck_assert_uint_eq(failed, 0);
	ck_assert_int_eq(rc_in, 0);
	ck_assert_int_eq(n_out, 1);
	ck_assert_uint_eq(out[0].len, WG_RESPONSE_LEN);
	ck_assert_int_eq(deliver(&A, &B, &out[0], NULL, NULL), 0);
	pair_teardown();
}
END_TEST

/* ---- an allocation failure in the middle of a handshake ---- */

/* The handshake message arrives from a new address while the keypair it
 * would complete cannot be allocated: the message is refused as if it had
 * not arrived (MN_ENOMEM, counted), so the peer's endpoint stays, nothing
 * is sent, and the same message, delivered again once memory is back,
 * completes the handshake. */
static void refused_then_accepted(struct side *to, struct side *from, struct dgram *msg)
{
	struct side roamed = *from;
	struct wg_peer_info info;
	struct dgram d = *msg, q[4];

	mn_addr_parse(&roamed.addr, "198.18.0.77:4242");
	failmalloc_arm(0, false); /* the next allocation fails: the keypair */
	int rc = deliver(to, &roamed, &d, NULL, NULL);
	unsigned long failed = failmalloc_failed();
	failmalloc_disarm();
	ck_assert_uint_eq(failed, 1);
	ck_assert_int_eq(rc, MN_ENOMEM);
	ck_assert_uint_eq(wg_dev_drops(to->dev, WG_DROP_NO_MEMORY), 1);
	wg_peer_info(to->peer, &info);
	ck_assert(mn_addr_eq(&info.endpoint, &from->addr));
	ck_assert_int_eq(drain(to, q, 4), 0);

	d = *msg;
	ck_assert_int_eq(deliver(to, from, &d, NULL, NULL), 0);
}

START_TEST(test_response_out_of_memory_changes_nothing)
{
	struct dgram d, q[4];
	uint8_t pkt[BUFCAP];
	size_t plen;

	pair_setup();
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), 0);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_RESPONSE_LEN);
	refused_then_accepted(&A, &B, &q[0]);
	/* A's staged packet goes out under the new session */
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], pkt, &plen), 1);
	ck_assert_uint_eq(plen, 40);
	pair_teardown();
}
END_TEST

START_TEST(test_initiation_out_of_memory_changes_nothing)
{
	struct dgram d, q[4];

	pair_setup();
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_INITIATION_LEN);
	refused_then_accepted(&B, &A, &q[0]);
	ck_assert_int_eq(drain(&B, q, 4), 1);
	ck_assert_uint_eq(q[0].len, WG_RESPONSE_LEN);
	ck_assert_int_eq(deliver(&A, &B, &q[0], NULL, NULL), 0);
	ck_assert_int_eq(drain(&A, q, 4), 1);
	ck_assert_int_eq(deliver(&B, &A, &q[0], NULL, NULL), 1);
	pair_teardown();
}
END_TEST

static Suite *wg_failmalloc_suite(void)
{
	Suite *s = suite_create("wg failmalloc");
	TCase *tc = tcase_create("wg failmalloc");
	/* loop index: 0 fails one allocation, 1 every allocation from the i-th */
	tcase_add_loop_test(tc, test_failmalloc_handshake_and_data, 0, 2);
	tcase_add_loop_test(tc, test_failmalloc_configure, 0, 2);
	/* some 30 short runs each: 0.02 s plain; virtual time throughout */
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tc = tcase_create("wg no allocation");
	tcase_add_test(tc, test_cookie_reply_allocates_nothing);
	tcase_add_test(tc, test_control_queue_allocates_nothing);
	suite_add_tcase(s, tc);
	tc = tcase_create("wg handshake out of memory");
	tcase_add_test(tc, test_response_out_of_memory_changes_nothing);
	tcase_add_test(tc, test_initiation_out_of_memory_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wg_failmalloc_suite)
