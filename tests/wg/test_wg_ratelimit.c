/* The handshake rate limiter (wg_ratelimit.h) under virtual time: against a
 * naive reference (one exact token bucket per source, in a plain array),
 * and under a flood from far more sources than the limiter has entries,
 * where a source that keeps to its rate must still be admitted every time.
 * Seeds are fixed and printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mn_rng.h"
#include "wg_ratelimit.h"

static struct mn_addr v6(uint16_t a, uint16_t b, uint16_t c, uint16_t d, uint16_t host)
{
	struct mn_addr s;
	memset(&s, 0, sizeof(s));
	s.in6.sin6_family = AF_INET6;
	s.in6.sin6_port = htons(51820);
	uint16_t w[8] = { a, b, c, d, 0, 0, 0, host };
	for (int i = 0; i < 8; i++) {
		s.in6.sin6_addr.s6_addr[2 * i] = (uint8_t)(w[i] >> 8);
		s.in6.sin6_addr.s6_addr[2 * i + 1] = (uint8_t)w[i];
	}
	return s;
}

static struct mn_addr v4(uint32_t ip, uint16_t port)
{
	struct mn_addr s;
	memset(&s, 0, sizeof(s));
	s.in4.sin_family = AF_INET;
	s.in4.sin_port = htons(port);
	s.in4.sin_addr.s_addr = htonl(ip);
	return s;
}

static struct wg_ratelimit *limiter_new(uint64_t seed)
{
	struct mn_seeded_rng s;
	mn_seeded_rng_init(&s, seed);
	struct mn_rng rng = mn_seeded_rng_iface(&s);
	struct wg_ratelimit *rl = calloc(1, sizeof(*rl));
	ck_assert_ptr_nonnull(rl);
	wg_ratelimit_init(rl, &rng);
	return rl;
}

/* ---- the naive reference: the kernel's rule, one bucket per source ---- */

struct ref_bucket {
	uint8_t key[9]; /* family, then the /32 or the /64 */
	mn_ns last, tokens;
};

static void ref_key(uint8_t key[9], const struct mn_addr *src)
{
	memset(key, 0, 9);
	if (src->sa.sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &src->in4.sin_addr, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, &src->in6.sin6_addr, 8);
	}
}

static bool ref_allow(struct ref_bucket *b, size_t *n, const struct mn_addr *src, mn_ns now)
{
	const mn_ns cost = MN_NS_PER_SEC / WG_RATELIMIT_PER_SEC, full = WG_RATELIMIT_BURST * cost;
	uint8_t key[9];
	size_t i;

	ref_key(key, src);
	for (i = 0; i < *n && memcmp(b[i].key, key, 9) != 0; i++)
		;
	if (i == *n) {
		memcpy(b[i].key, key, 9);
		b[i].tokens = full;
		b[i].last = now;
		(*n)++;
	}
	b[i].tokens += now - b[i].last;
	if (b[i].tokens > full)
		b[i].tokens = full;
	b[i].last = now;
	if (b[i].tokens < cost)
		return false;
	b[i].tokens -= cost;
	return true;
}

/* Sources: IPv4 /32s, IPv6 /64s with two hosts each (one bucket), and an
 * IPv4 address whose bytes open an IPv6 /64 too (two buckets). */
#define REF_SOURCES 300

static struct mn_addr ref_source(unsigned i)
{
	if (i % 3 == 0)
		return v4(0xc6120000u + i, (uint16_t)(1000 + i));
	if (i % 3 == 1)
		return v6(0x2001, 0x0db8, (uint16_t)i, 7, (uint16_t)(i & 1 ? 1 : 2));
	return v6(0xc612, (uint16_t)(i / 3), 0, 0, 1); /* opens like 198.18.x.y */
}

START_TEST(test_ratelimit_vs_reference)
{
	const uint64_t seed = 11;
	struct wg_ratelimit *rl = limiter_new(seed);
	static struct ref_bucket ref[REF_SOURCES];
	struct mn_seeded_rng s;
	size_t nref = 0;
	mn_ns now = 1000 * MN_NS_PER_SEC;
	unsigned admitted = 0, refused = 0;

	printf("ratelimit vs reference: seed=%llu\n", (unsigned long long)seed);
	mn_seeded_rng_init(&s, seed);
	struct mn_rng rng = mn_seeded_rng_iface(&s);
	/* 60,000 messages over about 3 s: each source sends ~67/s on average,
	 * in bursts and lulls, so buckets run dry, refill and go idle */
	for (int k = 0; k < 60000; k++) {
		now += mn_rng_uniform(&rng, 100000); /* 0..100 us */
		if (k % 20000 == 19999)
			now += MN_NS_PER_SEC; /* a quiet second: every bucket refills */
		struct mn_addr src = ref_source(mn_rng_uniform(&rng, REF_SOURCES));
		bool want = ref_allow(ref, &nref, &src, now);
		bool got = wg_ratelimit_allow(rl, &src, now);
		ck_assert_msg(got == want, "message %d: limiter %d, reference %d", k, got, want);
		if (want)
			admitted++;
		else
			refused++;
	}
	ck_assert_uint_gt(admitted, 10000);
	ck_assert_uint_gt(refused, 10000);
	free(rl);
}
END_TEST

/* Many sources flood; one source keeps to half its rate. Whatever the other
 * sources do, it is refused only when its own bucket is empty: every one of
 * its handshakes is admitted. The attackers are twelve times as many
 * distinct /64s as the limiter has entries: were entries shared by hash,
 * every one would be drained. */
START_TEST(test_ratelimit_flood_spares_a_modest_source)
{
	const unsigned attackers = 12 * WG_RATELIMIT_ENTRIES;
	const mn_ns tick = MN_NS_PER_SEC / (2 * WG_RATELIMIT_PER_SEC); /* each attacker: 2x its rate */
	struct wg_ratelimit *rl = limiter_new(7);
	struct mn_addr legit = v6(0xfd00, 0x0011, 0x2233, 0x4455, 1);
	mn_ns now = 1000 * MN_NS_PER_SEC;
	unsigned sent = 0, admitted = 0;

	printf("ratelimit flood: seed=7, %u attacking /64s\n", attackers);
	for (int t = 0; t < 4 * 2 * WG_RATELIMIT_PER_SEC; t++, now += tick) { /* 4 s */
		for (unsigned i = 0; i < attackers; i++) {
			struct mn_addr a = v6(0x2001, 0x0db8, (uint16_t)(i >> 16), (uint16_t)i, 1);
			wg_ratelimit_allow(rl, &a, now);
		}
		if (t % 4 == 0) { /* 10/s: half the rate */
			sent++;
			admitted += wg_ratelimit_allow(rl, &legit, now);
		}
	}
	ck_assert_uint_eq(sent, 40);
	ck_assert_uint_eq(admitted, sent);
	free(rl);
}
END_TEST

static Suite *wg_ratelimit_suite(void)
{
	Suite *s = suite_create("wg ratelimit");
	TCase *tc = tcase_create("wg ratelimit");
	tcase_add_test(tc, test_ratelimit_vs_reference);
	tcase_add_test(tc, test_ratelimit_flood_spares_a_modest_source);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wg_ratelimit_suite)
