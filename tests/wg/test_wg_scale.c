/* Tests for the device at mesh size: the structures that keep the cost per
 * peer flat, each checked against a naive reference.
 *   timers   the deadline heap (wg_timerq.c) against a scan of every peer's
 *            timers, under random timer events, wakes, removals and adds.
 *   static   the static-static DH is computed at a peer's first handshake,
 *            not when it is added, and again after our key changes.
 *   staged   the device-wide cap on staged bytes, its count against a sum
 *            over every peer's queue.
 *   tables   the public-key and receiver-index tables grow with their
 *            contents, checked against a linear search.
 *
 * These reach into wg_internal.h: the reference reads every peer's timers. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "wg.h"
#include "wg_crypto.h"
#include "wg_internal.h"
#include "wg_pair.h"
#include "wg_send.h"
#include "wg_timers.h"

struct scale {
	struct mn_seeded_rng dev_seed, test_seed;
	struct mn_rng dev_rng, rng; /* the device's stream; the test's choices */
	struct wg_dev *dev;
	struct mn_time now;
	unsigned next_key;
};

static void scale_init(struct scale *s, uint64_t seed, mn_ns start)
{
	uint8_t sk[WG_KEY_LEN];

	memset(s, 0, sizeof(*s));
	mn_seeded_rng_init(&s->dev_seed, seed);
	mn_seeded_rng_init(&s->test_seed, seed ^ UINT64_C(0x5ca1e));
	s->dev_rng = mn_seeded_rng_iface(&s->dev_seed);
	s->rng = mn_seeded_rng_iface(&s->test_seed);
	ck_assert_int_eq(wg_dev_new(&s->dev, &s->dev_rng), MN_OK);
	mn_rng_bytes(&s->rng, sk, sizeof(sk));
	ck_assert_int_eq(wg_dev_set_private_key(s->dev, sk), MN_OK);
	s->now.mono = start;
	s->now.wall = UINT64_C(1767225600) * MN_NS_PER_SEC;
}

/* A new peer with a key of its own (any 32 bytes are a key), and an endpoint
 * when with_endpoint (without one, a handshake due stops before the crypto). */
static struct wg_peer *scale_add_peer(struct scale *s, bool with_endpoint)
{
	uint8_t pk[WG_KEY_LEN];
	struct wg_peer *p;
	struct mn_addr ep;
	char text[64];
	unsigned k = s->next_key++;

	mn_rng_bytes(&s->rng, pk, sizeof(pk));
	ck_assert_int_eq(wg_dev_peer_add(s->dev, pk, &p), MN_OK);
	if (!with_endpoint)
		return p;
	snprintf(text, sizeof(text), "198.18.%u.%u:51820", (k >> 8) & 255, k & 255);
	ck_assert_int_eq(mn_addr_parse(&ep, text), MN_OK);
	wg_peer_set_endpoint(p, &ep);
	return p;
}

static struct wg_peer *nth_peer(const struct wg_dev *dev, size_t i)
{
	struct wg_peer *p = wg_dev_peer_next(dev, NULL);
	while (i--)
		p = wg_dev_peer_next(dev, p);
	return p;
}

static void drain_tx(struct wg_dev *dev)
{
	static uint8_t buf[WG_HEADROOM + 65535 + WG_TAILROOM];
	struct mn_addr dst;
	size_t len;

	while (wg_dev_poll_tx(dev, buf, sizeof(buf), &len, &dst) == 1)
		;
}

/* ---- timers: the heap against a scan of every peer ---- */

/* The reference: the earliest deadline of any peer, by looking at all of them. */
static mn_ns scan_next_deadline(const struct wg_dev *dev)
{
	mn_ns d = MN_NEVER;
	for (const struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p))
		d = mn_min_deadline(d, wg_timers_peer_deadline(p));
	return d;
}

/* Check's every ck_assert is a write to its log pipe: the checks run for
 * every peer at every step, so they test plainly and fail through this. */
#define expect(cond)                                                        \
	do {                                                                \
		if (!(cond))                                                \
			ck_abort_msg("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* The heap holds exactly the armed peers, each at the position it records,
 * keyed by its current earliest timer, no child earlier than its parent;
 * and its top agrees with the scan. */
static void check_timerq(const struct wg_dev *dev)
{
	const struct wg_timerq *q = &dev->timerq;
	size_t armed = 0;

	for (const struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p)) {
		mn_ns d = wg_timers_peer_deadline(p);
		expect(p->deadline == d);
		if (d == MN_NEVER) {
			expect(p->timerq_pos == WG_TIMERQ_NONE);
			continue;
		}
		armed++;
		expect(p->timerq_pos < q->n);
		expect(q->heap[p->timerq_pos] == p);
	}
	expect(q->n == armed);
	for (size_t i = 1; i < q->n; i++)
		expect(!mn_time_before(q->heap[i]->deadline, q->heap[(i - 1) / 2]->deadline));
	expect(wg_dev_next_deadline(dev) == scan_next_deadline(dev));
}

struct timers_snapshot {
	mn_ns t[5];
};

static void snapshot(const struct wg_peer *p, struct timers_snapshot *out)
{
	out->t[0] = p->t_retransmit;
	out->t[1] = p->t_send_keepalive;
	out->t[2] = p->t_new_handshake;
	out->t[3] = p->t_zero_keys;
	out->t[4] = p->t_persistent_keepalive;
}

static bool is_due(mn_ns deadline, mn_ns at)
{
	return deadline != MN_NEVER && mn_time_after_eq(at, deadline);
}

#define TIMER_PEERS 300
#define TIMER_STEPS 20000

/* One wake checked against the scan: every peer due before it has run (its
 * deadline is now later than `now`) unless the control queue filled up, and
 * no peer that was not due has been touched. */
static void wake_and_check(struct scale *s, struct timers_snapshot *before, size_t *n_due)
{
	struct wg_dev *dev = s->dev;
	struct wg_peer *p;
	size_t i = 0;

	drain_tx(dev);
	for (p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p), i++)
		snapshot(p, &before[i]);
	wg_dev_on_timer(dev, s->now);
	i = 0;
	for (p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p), i++) {
		struct timers_snapshot after;
		mn_ns was = MN_NEVER;

		for (int k = 0; k < 5; k++)
			was = mn_min_deadline(was, before[i].t[k]);
		snapshot(p, &after);
		if (!is_due(was, s->now.mono)) {
			expect(memcmp(&after, &before[i], sizeof(after)) == 0);
			continue;
		}
		(*n_due)++;
		if (is_due(p->deadline, s->now.mono))
			expect(dev->tx_count + 4 > WG_MAX_TX_QUEUE); /* backpressure */
	}
	check_timerq(dev);
}

static void timers_random(uint64_t seed, mn_ns start)
{
	static struct timers_snapshot before[TIMER_PEERS];
	struct scale s;
	size_t events = 0, wakes = 0, n_due = 0, churn = 0;

	printf("wg timers vs scan: seed=0x%016" PRIx64 " start=%" PRIu64 "\n", seed, start);
	fflush(stdout);
	scale_init(&s, seed, start);
	for (int i = 0; i < TIMER_PEERS; i++)
		scale_add_peer(&s, i % 8 == 0);
	check_timerq(s.dev);

	for (int step = 0; step < TIMER_STEPS; step++) {
		struct wg_peer *p = nth_peer(s.dev, mn_rng_uniform(&s.rng, TIMER_PEERS));
		unsigned op = mn_rng_uniform(&s.rng, 12);

		switch (op) {
		case 0: wg_timers_data_sent(p, s.now.mono); break;
		case 1: wg_timers_data_received(p, s.now.mono); break;
		case 2: wg_timers_any_authenticated_sent(p); break;
		case 3: wg_timers_any_authenticated_received(p); break;
		case 4: wg_timers_traversal(p, s.now.mono); break;
		case 5: wg_timers_handshake_initiated(p, s.now.mono); break;
		case 6: wg_timers_handshake_complete(p, s.now); break;
		case 7: wg_timers_session_derived(p, s.now.mono); break;
		case 8:
			wg_peer_set_persistent_keepalive(p, (uint16_t)mn_rng_uniform(&s.rng, 4) * 10,
							 s.now.mono);
			break;
		case 9:
			/* Churn: a peer leaves, another joins (the count stays). */
			wg_dev_peer_remove(s.dev, p);
			scale_add_peer(&s, mn_rng_uniform(&s.rng, 8) == 0);
			churn++;
			break;
		default:
			wake_and_check(&s, before, &n_due);
			wakes++;
			break;
		}
		events++;
		check_timerq(s.dev);
		/* Mostly small steps, so several timers are due at once;
		 * now and then one past every timer (zero_keys: 540 s). */
		if (mn_rng_uniform(&s.rng, 500) == 0)
			s.now.mono += 600 * MN_NS_PER_SEC;
		else
			s.now.mono += mn_rng_uniform(&s.rng, 200) * MN_NS_PER_MS;
		s.now.wall += MN_NS_PER_SEC / 10;
	}
	printf("wg timers vs scan: %zu events, %zu wakes, %zu due peers run, %zu churned\n",
	       events, wakes, n_due, churn);
	ck_assert_uint_gt(n_due, 0);
	wg_dev_del(s.dev);
}

START_TEST(test_timers_vs_scan)
{
	timers_random(UINT64_C(0x6d6e74696d657201), 5000 * MN_NS_PER_SEC);
}
END_TEST

/* The same across the wrap of the monotonic clock: the heap orders
 * deadlines as the rest of the core compares them. */
START_TEST(test_timers_vs_scan_wrap)
{
	timers_random(UINT64_C(0x6d6e74696d657202), UINT64_MAX - 900 * MN_NS_PER_SEC);
}
END_TEST

/* Many peers due at once and little room in the control queue: a wake
 * runs what fits, the rest stay due at the top of the heap, and the next
 * wake (after the driver drained the queue) runs them. */
START_TEST(test_timers_backpressure)
{
	struct scale s;
	struct wg_peer *p;
	size_t armed;
	int wakes = 0;

	scale_init(&s, UINT64_C(0x6d6e74696d657203), 1000 * MN_NS_PER_SEC);
	for (int i = 0; i < 2 * WG_MAX_TX_QUEUE; i++) {
		p = scale_add_peer(&s, true);
		wg_timers_data_sent(p, s.now.mono); /* new_handshake in ~15 s */
	}
	check_timerq(s.dev);
	s.now.mono += 20 * MN_NS_PER_SEC;
	while (is_due(wg_dev_next_deadline(s.dev), s.now.mono)) {
		ck_assert_int_lt(wakes, 2 * WG_MAX_TX_QUEUE);
		armed = s.dev->tx_count;
		wg_dev_on_timer(s.dev, s.now);
		ck_assert_uint_gt(s.dev->tx_count, armed); /* progress every wake */
		ck_assert_uint_le(s.dev->tx_count, WG_MAX_TX_QUEUE);
		check_timerq(s.dev);
		drain_tx(s.dev);
		wakes++;
	}
	ck_assert_int_gt(wakes, 1);
	ck_assert_uint_eq(wg_dev_drops(s.dev, WG_DROP_TX_FULL), 0);
	/* Every peer sent its initiation: each now waits on its retransmit. */
	for (p = wg_dev_peer_next(s.dev, NULL); p; p = wg_dev_peer_next(s.dev, p)) {
		ck_assert_uint_ne(p->t_retransmit, MN_NEVER);
		ck_assert_uint_eq(p->t_new_handshake, MN_NEVER);
	}
	wg_dev_del(s.dev);
}
END_TEST

/* ---- static: the static-static DH, lazily ---- */

#define EXTRA_PEERS 2000

/* How many of dev's peers hold a computed static-static DH. */
static size_t peers_with_ss(const struct wg_dev *dev)
{
	size_t n = 0;
	for (const struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p))
		n += p->ss_known;
	return n;
}

/* The DH the handshake must use: computed here, the slow way. */
static void check_ss(const struct wg_peer *peer, const uint8_t priv[32], const uint8_t pub[32])
{
	uint8_t want[32];
	ck_assert_int_eq(wg_dh(want, priv, pub), MN_OK);
	ck_assert(peer->ss_known && peer->ss_valid);
	ck_assert_mem_eq(peer->ss, want, 32);
}

START_TEST(test_static_dh_lazy)
{
	struct mn_seeded_rng seed;
	struct mn_rng rng;
	struct wg_peer *p;
	struct mn_prefix pfx;
	uint8_t pk[32], new_priv[32], new_pub[32];

	pair_setup();
	mn_seeded_rng_init(&seed, UINT64_C(0x6d6e737301));
	rng = mn_seeded_rng_iface(&seed);
	for (int i = 0; i < EXTRA_PEERS; i++) {
		mn_rng_bytes(&rng, pk, sizeof(pk));
		ck_assert_int_eq(wg_dev_peer_add(A.dev, pk, &p), MN_OK);
	}
	/* Adding costs no DH at all. */
	ck_assert_uint_eq(peers_with_ss(A.dev), 0);
	ck_assert_uint_eq(peers_with_ss(B.dev), 0);

	/* The first handshake computes it for the two peers involved only. */
	handshake_a_to_b();
	ck_assert_uint_eq(peers_with_ss(A.dev), 1);
	ck_assert_uint_eq(peers_with_ss(B.dev), 1);
	check_ss(A.peer, A.priv, B.pub);
	check_ss(B.peer, B.priv, A.pub);

	/* A new private key: every peer forgets it... */
	mn_rng_bytes(&rng, new_priv, sizeof(new_priv));
	wg_clamp(new_priv);
	ck_assert_int_eq(wg_pubkey(new_pub, new_priv), MN_OK);
	ck_assert_int_eq(wg_dev_set_private_key(A.dev, new_priv), MN_OK);
	ck_assert_uint_eq(peers_with_ss(A.dev), 0);
	memcpy(A.priv, new_priv, 32);
	memcpy(A.pub, new_pub, 32);
	/* ...and B learns A's new key as a new peer. */
	wg_dev_peer_remove(B.dev, B.peer);
	ck_assert_int_eq(wg_dev_peer_add(B.dev, A.pub, &B.peer), MN_OK);
	wg_peer_set_endpoint(B.peer, &A.addr);
	mn_prefix_parse(&pfx, "100.64.0.1/32");
	ck_assert_int_eq(wg_peer_allowedip_add(B.peer, &pfx), MN_OK);

	/* The next handshake works, with the DH of the new key. */
	advance(WG_REKEY_TIMEOUT + MN_NS_PER_SEC);
	handshake_a_to_b();
	check_ss(A.peer, A.priv, B.pub);
	check_ss(B.peer, B.priv, A.pub);
	ck_assert_uint_eq(peers_with_ss(A.dev), 1);

	/* No key: nothing to compute, nothing kept. */
	ck_assert_int_eq(wg_dev_set_private_key(A.dev, NULL), MN_OK);
	ck_assert_uint_eq(peers_with_ss(A.dev), 0);
	ck_assert(sodium_is_zero(A.peer->ss, 32));
	pair_teardown();
}
END_TEST

/* A peer whose public key is a low-order point: the DH gives zero, and no
 * handshake with it is ever started (nor computed twice). */
START_TEST(test_static_dh_low_order)
{
	static const uint8_t zero_point[32] = { 0 };
	struct dgram d;

	pair_setup();
	wg_dev_peer_remove(A.dev, A.peer);
	ck_assert_int_eq(wg_dev_peer_add(A.dev, zero_point, &A.peer), MN_OK);
	wg_peer_set_endpoint(A.peer, &B.addr);
	struct mn_prefix pfx;
	mn_prefix_parse(&pfx, "100.64.0.2/32");
	ck_assert_int_eq(wg_peer_allowedip_add(A.peer, &pfx), MN_OK);
	ck_assert_int_eq(tun_send(&A, "100.64.0.1", "100.64.0.2", 40, &d), 0); /* staged */
	ck_assert(A.peer->ss_known);
	ck_assert(!A.peer->ss_valid);
	ck_assert_int_eq(drain(&A, &d, 1), 0); /* no initiation */
	pair_teardown();
}
END_TEST

/* ---- staged: the device-wide byte cap ---- */

#define STAGED_PEERS 200
#define STAGED_LEN 1400

/* The reference: every peer's staged buffers, added up. */
static size_t scan_staged_bytes(const struct wg_dev *dev)
{
	size_t sum = 0;
	for (const struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p))
		for (unsigned i = 0; i < p->staged_count; i++)
			sum += WG_HEADROOM + WG_TAILROOM +
			       p->staged[(p->staged_head + i) % WG_MAX_STAGED_PER_PEER].len;
	return sum;
}

/* An IPv4 packet of STAGED_LEN bytes to 100.64.0.0 + k + 1, from the TUN. */
static int tun_to(struct scale *s, unsigned k)
{
	static uint8_t buf[WG_HEADROOM + STAGED_LEN + WG_TAILROOM];
	struct mn_addr dst;
	size_t len;
	char daddr[32];

	snprintf(daddr, sizeof(daddr), "100.64.%u.%u", (k + 1) >> 8, (k + 1) & 255);
	ip4(buf + WG_HEADROOM, STAGED_LEN, "100.64.255.254", daddr, 0x5a);
	return wg_dev_tun_in(s->dev, buf, sizeof(buf), STAGED_LEN, s->now, &dst, &len);
}

START_TEST(test_staged_device_cap)
{
	const size_t size = WG_HEADROOM + STAGED_LEN + WG_TAILROOM;
	const size_t fits = WG_MAX_STAGED_BYTES / size;
	struct wg_peer *peers[STAGED_PEERS];
	struct scale s;
	struct mn_prefix pfx;
	size_t staged = 0, refused = 0;
	char text[32];

	scale_init(&s, UINT64_C(0x6d6e737402), 2000 * MN_NS_PER_SEC);
	for (unsigned k = 0; k < STAGED_PEERS; k++) {
		peers[k] = scale_add_peer(&s, true);
		snprintf(text, sizeof(text), "100.64.%u.%u/32", (k + 1) >> 8, (k + 1) & 255);
		ck_assert_int_eq(mn_prefix_parse(&pfx, text), MN_OK);
		ck_assert_int_eq(wg_peer_allowedip_add(peers[k], &pfx), MN_OK);
	}
	/* Every peer's queue full, were it not for the device's cap. */
	ck_assert_uint_gt((size_t)STAGED_PEERS * WG_MAX_STAGED_PER_PEER, fits);
	for (unsigned k = 0; k < STAGED_PEERS; k++) {
		for (int i = 0; i < WG_MAX_STAGED_PER_PEER; i++) {
			int rc = tun_to(&s, k);
			if (rc == 0)
				staged++;
			else if (rc == MN_EFULL)
				refused++;
			else
				ck_abort_msg("tun_in: %d", rc);
		}
	}
	ck_assert_uint_eq(staged, fits);
	ck_assert_uint_eq(refused, (size_t)STAGED_PEERS * WG_MAX_STAGED_PER_PEER - fits);
	ck_assert_uint_eq(wg_dev_drops(s.dev, WG_DROP_STAGED_DEVICE_FULL), refused);
	ck_assert_uint_eq(wg_dev_drops(s.dev, WG_DROP_STAGED_FULL), 0);
	ck_assert_uint_eq(s.dev->staged_bytes, scan_staged_bytes(s.dev));
	ck_assert_uint_le(s.dev->staged_bytes, WG_MAX_STAGED_BYTES);
	/* Each peer, the refused ones too, started its handshake. */
	for (unsigned k = 0; k < STAGED_PEERS; k++)
		ck_assert(peers[k]->sent_any_handshake);

	/* A keepalive still goes into an empty queue (at most one per peer). */
	struct wg_peer *last = peers[STAGED_PEERS - 1];
	ck_assert_uint_eq(last->staged_count, 0);
	wg_send_keepalive(last, s.now);
	ck_assert_uint_eq(last->staged_count, 1);
	ck_assert_uint_eq(s.dev->staged_bytes, scan_staged_bytes(s.dev));

	/* A peer that goes away gives its room back to the others. */
	size_t before = s.dev->staged_bytes;
	size_t freed = peers[0]->staged_count * size;
	ck_assert_uint_gt(freed, 0);
	wg_dev_peer_remove(s.dev, peers[0]);
	ck_assert_uint_eq(s.dev->staged_bytes, before - freed);
	ck_assert_int_eq(tun_to(&s, STAGED_PEERS - 2), 0);
	ck_assert_uint_eq(s.dev->staged_bytes, scan_staged_bytes(s.dev));

	wg_dev_peer_remove_all(s.dev);
	ck_assert_uint_eq(s.dev->staged_bytes, 0);
	wg_dev_del(s.dev);
}
END_TEST

/* ---- tables: grown with the peers, against a linear search ---- */

#define TABLE_PEERS 5000

/* The reference: the peer with key pk, found by walking them all. */
static struct wg_peer *walk_find(const struct wg_dev *dev, const uint8_t pk[32])
{
	for (struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p))
		if (memcmp(p->public_key, pk, 32) == 0)
			return p;
	return NULL;
}

static void check_peer_table(const struct wg_dev *dev, struct scale *s)
{
	uint8_t pk[32];

	for (struct wg_peer *p = wg_dev_peer_next(dev, NULL); p; p = wg_dev_peer_next(dev, p))
		expect(wg_dev_peer_find(dev, p->public_key) == p);
	for (int i = 0; i < 50; i++) {
		mn_rng_bytes(&s->rng, pk, sizeof(pk));
		expect(wg_dev_peer_find(dev, pk) == walk_find(dev, pk));
	}
	/* never more peers than buckets: chains stay short at any size */
	expect(dev->n_peers <= (size_t)1 << dev->peer_bits);
}

START_TEST(test_peer_table_grows)
{
	static uint8_t gone[TABLE_PEERS / 3 + 1][32];
	struct scale s;
	struct wg_peer *p, *next;
	size_t n_gone = 0, i = 0;

	scale_init(&s, UINT64_C(0x6d6e737403), 3000 * MN_NS_PER_SEC);
	ck_assert_uint_eq(s.dev->peer_bits, WG_PEER_MIN_BITS);
	for (int k = 1; k <= TABLE_PEERS; k++) {
		scale_add_peer(&s, false);
		if (k % 500 == 0)
			check_peer_table(s.dev, &s);
	}
	ck_assert_uint_ge((size_t)1 << s.dev->peer_bits, TABLE_PEERS);
	/* Every third goes: the rest are still found, those not. */
	for (p = wg_dev_peer_next(s.dev, NULL); p; p = next, i++) {
		next = wg_dev_peer_next(s.dev, p);
		if (i % 3 == 0) {
			memcpy(gone[n_gone++], p->public_key, 32);
			wg_dev_peer_remove(s.dev, p);
		}
	}
	check_peer_table(s.dev, &s);
	for (i = 0; i < n_gone; i++)
		expect(wg_dev_peer_find(s.dev, gone[i]) == NULL);
	ck_assert_uint_eq(s.dev->n_peers, TABLE_PEERS - n_gone);
	wg_dev_del(s.dev);
}
END_TEST

#define INDEX_ENTRIES 20000

/* The reference: the entry linked under id, by looking at all of them. */
static struct wg_index *scan_index(struct wg_index *e, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].linked && e[i].id == id)
			return &e[i];
	return NULL;
}

START_TEST(test_index_table_grows)
{
	static struct wg_index e[INDEX_ENTRIES];
	struct scale s;

	memset(e, 0, sizeof(e));
	scale_init(&s, UINT64_C(0x6d6e737404), 3000 * MN_NS_PER_SEC);
	ck_assert_uint_eq(s.dev->index.bits, WG_INDEX_MIN_BITS);
	for (size_t i = 0; i < INDEX_ENTRIES; i++) {
		wg_index_add(s.dev, &e[i]);
		expect(s.dev->index.count <= (size_t)1 << s.dev->index.bits);
	}
	ck_assert_uint_eq(s.dev->index.count, INDEX_ENTRIES);
	for (size_t i = 0; i < INDEX_ENTRIES; i++)
		expect(wg_index_find(s.dev, e[i].id) == &e[i]);
	/* Half go; the ids left, gone and never drawn agree with the scan. */
	for (size_t i = 0; i < INDEX_ENTRIES; i += 2)
		wg_index_del(s.dev, &e[i]);
	wg_index_del(s.dev, &e[0]); /* not linked any more: a no-op */
	ck_assert_uint_eq(s.dev->index.count, INDEX_ENTRIES / 2);
	for (size_t i = 0; i < INDEX_ENTRIES; i++)
		expect(wg_index_find(s.dev, e[i].id) == (i % 2 ? &e[i] : NULL));
	for (int k = 0; k < 200; k++) {
		uint32_t id = mn_rng_u32(&s.rng);
		expect(wg_index_find(s.dev, id) == scan_index(e, INDEX_ENTRIES, id));
	}
	for (size_t i = 1; i < INDEX_ENTRIES; i += 2)
		wg_index_del(s.dev, &e[i]);
	ck_assert_uint_eq(s.dev->index.count, 0);
	wg_dev_del(s.dev);
}
END_TEST

static Suite *wg_scale_suite(void)
{
	Suite *s = suite_create("wg_scale");
	TCase *tc = tcase_create("timers");
	/* A bound on a wait for slow sanitizer runs on shared cores, not a target. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_timers_vs_scan);
	tcase_add_test(tc, test_timers_vs_scan_wrap);
	tcase_add_test(tc, test_timers_backpressure);
	suite_add_tcase(s, tc);
	tc = tcase_create("static");
	tcase_add_test(tc, test_static_dh_lazy);
	tcase_add_test(tc, test_static_dh_low_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("staged");
	tcase_add_test(tc, test_staged_device_cap);
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_peer_table_grows);
	tcase_add_test(tc, test_index_table_grows);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wg_scale_suite)
