/* test_net.c - the network model: addresses, latency, loss, duplication,
 * partitions and the middlebox seam. */
#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "net.h"

static struct mn_seeded_rng sr_for(uint64_t seed)
{
	struct mn_seeded_rng sr;
	mn_seeded_rng_init(&sr, seed);
	return sr;
}

static struct net *make_net(struct mn_seeded_rng *sr, const struct net_params *p, uint32_t hosts)
{
	struct mn_rng rng = mn_seeded_rng_iface(sr);
	struct net *n;
	ck_assert_int_eq(net_new(&n, p, &rng, hosts), 0);
	for (uint32_t i = 0; i < hosts; i++) {
		uint32_t id;
		ck_assert_int_eq(net_host_add(n, &id), 0);
		ck_assert_uint_eq(id, i);
	}
	return n;
}

START_TEST(profiles)
{
	struct net_params p;
	ck_assert_int_eq(net_profile("lan", &p), 0);
	ck_assert_int_eq(net_params_check(&p), 0);
	ck_assert_uint_eq(p.regions, 1);
	ck_assert_int_eq(net_profile("wan", &p), 0);
	ck_assert_int_eq(net_params_check(&p), 0);
	ck_assert_uint_gt(p.regions, 1);
	ck_assert_int_eq(net_profile("moon", &p), MN_ENOENT);
	p.loss_ppm = NET_PPM + 1;
	ck_assert_int_eq(net_params_check(&p), MN_ERANGE);
	net_profile("lan", &p);
	p.jitter_ns = NET_MAX_LATENCY_NS + 1;
	ck_assert_int_eq(net_params_check(&p), MN_ERANGE);
	net_profile("lan", &p);
	p.access_min_ns = p.access_max_ns + 1;
	ck_assert_int_eq(net_params_check(&p), MN_EINVAL);
}
END_TEST

START_TEST(addresses_in_the_underlay)
{
	struct net_params p;
	net_profile("lan", &p);
	struct mn_seeded_rng sr = sr_for(1);
	struct net *n = make_net(&sr, &p, 300);
	for (uint32_t i = 0; i < 300; i++) {
		struct mn_addr a;
		uint32_t ip;
		uint16_t port;
		net_host_addr(n, i, &a);
		ck_assert(net_addr_get_v4(&a, &ip, &port));
		ck_assert_uint_eq(ip & 0xffff0000u, 0xc6120000u); /* 198.18.0.0/16 */
		ck_assert_uint_eq(port, NET_DEFAULT_PORT);
		ck_assert_uint_eq(net_lookup(n, &a), i);
	}
	/* moving frees the old address and claims a new one */
	struct mn_addr old, now;
	net_host_addr(n, 7, &old);
	ck_assert_int_eq(net_host_move(n, 7), 0);
	net_host_addr(n, 7, &now);
	ck_assert(!mn_addr_eq(&old, &now));
	ck_assert_uint_eq(net_lookup(n, &old), NET_NOBODY);
	ck_assert_uint_eq(net_lookup(n, &now), 7);
	net_del(n);
}
END_TEST

START_TEST(bad_destinations)
{
	struct net_params p;
	net_profile("lan", &p);
	struct mn_seeded_rng sr = sr_for(2);
	struct net *n = make_net(&sr, &p, 4);
	struct net_fate f;
	struct mn_addr a;

	net_addr_v4(&a, 0xc6130001u, NET_DEFAULT_PORT); /* 198.19.0.1: inside space */
	net_send(n, 0, &a, 10, 0, &f);
	ck_assert_uint_eq(f.copies, 0);
	ck_assert_int_eq(f.reason, NET_DROP_BAD_ADDR);

	memset(&a, 0, sizeof(a));
	a.in6.sin6_family = AF_INET6;
	net_send(n, 0, &a, 10, 0, &f);
	ck_assert_int_eq(f.reason, NET_DROP_BAD_ADDR);

	net_addr_v4(&a, 0xc612ff00u, NET_DEFAULT_PORT); /* free public address */
	net_send(n, 0, &a, 10, 0, &f);
	ck_assert_int_eq(f.reason, NET_DROP_NO_HOST);

	net_host_addr(n, 1, &a);
	net_send(n, 0, &a, 1473, 0, &f);
	ck_assert_int_eq(f.reason, NET_DROP_OVERSIZE);

	/* a wrong port is noticed on arrival */
	a.in4.sin_port = htons(9);
	net_send(n, 0, &a, 10, 0, &f);
	ck_assert_uint_eq(f.copies, 1);
	uint32_t host;
	enum net_drop why;
	ck_assert(!net_arrive(n, 0, &f.src, &a, 0, &host, &why));
	ck_assert_int_eq(why, NET_DROP_NO_PORT);
	ck_assert_uint_eq(n->drops[NET_DROP_NO_PORT], 1);
	net_del(n);
}
END_TEST

START_TEST(latency_within_the_profile)
{
	struct net_params p;
	net_profile("wan", &p);
	struct mn_seeded_rng sr = sr_for(3);
	struct net *n = make_net(&sr, &p, 64);
	struct net_fate f;
	for (uint32_t i = 0; i < 64; i++) {
		for (uint32_t j = 0; j < 64; j++) {
			struct mn_addr a;
			net_host_addr(n, j, &a);
			net_send(n, i, &a, 100, 0, &f);
			ck_assert_uint_eq(f.copies, 1);
			mn_ns lo = 2 * p.access_min_ns + (i % 4 == j % 4 ? p.core_intra_ns : p.core_min_ns);
			mn_ns hi = 2 * p.access_max_ns + (i % 4 == j % 4 ? p.core_intra_ns : p.core_max_ns) +
				   p.jitter_ns;
			ck_assert_uint_ge(f.delay_ns[0], lo);
			ck_assert_uint_le(f.delay_ns[0], hi);
		}
	}
	/* the core latency between two regions is symmetric */
	ck_assert_uint_eq(n->core_ns[1][3], n->core_ns[3][1]);
	net_del(n);
}
END_TEST

/* Send count datagrams 0 -> 1 and count the copies. */
static void rates(uint32_t loss_ppm, uint32_t dup_ppm, uint32_t count, uint64_t seed,
		  uint32_t *lost, uint32_t *duped)
{
	struct net_params p;
	net_profile("lan", &p);
	p.loss_ppm = loss_ppm;
	p.dup_ppm = dup_ppm;
	struct mn_seeded_rng sr = sr_for(seed);
	struct net *n = make_net(&sr, &p, 2);
	struct mn_addr a;
	net_host_addr(n, 1, &a);
	*lost = *duped = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct net_fate f;
		net_send(n, 0, &a, 100, 0, &f);
		*lost += f.copies == 0;
		*duped += f.copies == 2;
	}
	ck_assert_uint_eq(n->drops[NET_DROP_LOSS], *lost);
	ck_assert_uint_eq(n->duplicated, *duped);
	net_del(n);
}

/* |observed - expected| within 5 standard deviations of a binomial */
static void within_bounds(uint32_t observed, double n, double p)
{
	double mean = n * p, sd = sqrt(n * p * (1 - p));
	ck_assert_msg(fabs(observed - mean) <= 5 * sd, "observed %u, expected %.0f +- %.0f", observed,
		      mean, 5 * sd);
}

START_TEST(loss_and_dup_rates)
{
	const uint64_t seed = 42;
	const uint32_t n = 200000;
	printf("net loss_and_dup_rates seed=%llu\n", (unsigned long long)seed);
	uint32_t lost, duped;
	rates(50000, 10000, n, seed, &lost, &duped); /* 5% loss, 1% dup */
	within_bounds(lost, n, 0.05);
	within_bounds(duped, n - lost, 0.01);
	rates(0, 0, n, seed, &lost, &duped);
	ck_assert_uint_eq(lost, 0);
	ck_assert_uint_eq(duped, 0);
	rates(NET_PPM, 0, 1000, seed, &lost, &duped);
	ck_assert_uint_eq(lost, 1000);
	rates(500000, 0, n, seed + 1, &lost, &duped);
	within_bounds(lost, n, 0.5);
}
END_TEST

START_TEST(partitions_block_exactly_the_cut)
{
	struct net_params p;
	net_profile("lan", &p);
	struct mn_seeded_rng sr = sr_for(4);
	enum { H = 20 };
	struct net *n = make_net(&sr, &p, H);
	for (int oneway = 0; oneway < 2; oneway++) {
		net_heal(n);
		for (uint32_t i = 0; i < H; i += 3)
			net_set_group(n, i, 1);
		net_block(n, 0, 1);
		if (!oneway)
			net_block(n, 1, 0);
		for (uint32_t i = 0; i < H; i++) {
			for (uint32_t j = 0; j < H; j++) {
				bool gi = i % 3 == 0, gj = j % 3 == 0;
				bool cut = oneway ? (!gi && gj) : gi != gj;
				ck_assert_int_eq(net_blocked(n, i, j), cut);
				struct mn_addr a;
				struct net_fate f;
				net_host_addr(n, j, &a);
				net_send(n, i, &a, 50, 0, &f);
				ck_assert_uint_eq(f.copies, cut ? 0 : 1);
				if (cut)
					ck_assert_int_eq(f.reason, NET_DROP_PARTITION);
			}
		}
	}
	/* a datagram sent before the cut is stopped on arrival */
	net_heal(n);
	struct mn_addr a;
	struct net_fate f;
	net_host_addr(n, 1, &a);
	net_send(n, 0, &a, 50, 0, &f);
	ck_assert_uint_eq(f.copies, 1);
	net_set_group(n, 1, 2);
	net_block(n, 0, 2);
	uint32_t host;
	enum net_drop why;
	ck_assert(!net_arrive(n, 0, &f.src, &a, 0, &host, &why));
	ck_assert_int_eq(why, NET_DROP_PARTITION);
	net_heal(n);
	ck_assert(net_arrive(n, 0, &f.src, &a, 0, &host, &why));
	ck_assert_uint_eq(host, 1);
	net_del(n);
}
END_TEST

/* A toy static 1:1 NAT, enough to exercise the middlebox seam: host
 * `inside` appears on the open network as the box's address. */
struct toy_nat {
	uint32_t inside;
	struct mn_addr outside;
	uint32_t egress, ingress;
	bool filter;
};

static bool toy_egress(void *ctx, uint32_t host, struct mn_addr *src, const struct mn_addr *dst,
		       mn_ns now)
{
	struct toy_nat *t = ctx;
	t->egress++;
	*src = t->outside;
	return !t->filter;
}

static bool toy_ingress(void *ctx, const struct mn_addr *src, struct mn_addr *dst, uint32_t *host,
			mn_ns now)
{
	struct toy_nat *t = ctx;
	t->ingress++;
	if (t->filter)
		return false;
	*host = t->inside;
	net_addr_v4(dst, 0xc6130002u, NET_DEFAULT_PORT); /* 198.19.0.2 inside */
	return true;
}

static const struct net_mbox_ops toy_ops = { toy_egress, toy_ingress };

START_TEST(middlebox_seam)
{
	struct net_params p;
	net_profile("lan", &p);
	struct mn_seeded_rng sr = sr_for(5);
	struct net *n = make_net(&sr, &p, 3); /* 0 public, 1 box, 2 inside */
	struct toy_nat t = { .inside = 2 };
	net_host_addr(n, 1, &t.outside);
	net_host_set_mbox(n, 1, &toy_ops, &t);
	net_host_set_upstream(n, 2, 1);

	/* out: the source becomes the box's address; latency includes its hop */
	struct mn_addr to0;
	struct net_fate f;
	net_host_addr(n, 0, &to0);
	net_send(n, 2, &to0, 40, 0, &f);
	ck_assert_uint_eq(f.copies, 1);
	ck_assert(mn_addr_eq(&f.src, &t.outside));
	ck_assert_uint_eq(t.egress, 1);
	ck_assert_uint_ge(f.delay_ns[0], n->hosts[2].access_ns + n->hosts[1].access_ns +
						 n->hosts[0].access_ns);

	/* in: arriving at the box's address reaches the inside host */
	struct mn_addr dst = t.outside, src;
	net_host_addr(n, 0, &src);
	uint32_t host;
	enum net_drop why;
	ck_assert(net_arrive(n, 0, &src, &dst, 0, &host, &why));
	ck_assert_uint_eq(host, 2);
	ck_assert_uint_eq(t.ingress, 1);

	/* a partition applies to the box that represents the inside host */
	net_set_group(n, 1, 1);
	net_block(n, 1, 0);
	ck_assert(net_blocked(n, 2, 0));
	net_heal(n);

	t.filter = true;
	net_send(n, 2, &to0, 40, 0, &f);
	ck_assert_int_eq(f.reason, NET_DROP_FILTERED);
	dst = t.outside;
	ck_assert(!net_arrive(n, 0, &src, &dst, 0, &host, &why));
	ck_assert_int_eq(why, NET_DROP_FILTERED);
	net_del(n);
}
END_TEST

START_TEST(same_seed_same_draws)
{
	struct net_params p;
	net_profile("wan", &p);
	p.loss_ppm = 100000;
	p.dup_ppm = 100000;
	struct mn_seeded_rng s1 = sr_for(77), s2 = sr_for(77);
	struct net *a = make_net(&s1, &p, 10), *b = make_net(&s2, &p, 10);
	for (int i = 0; i < 5000; i++) {
		struct mn_addr d;
		struct net_fate fa, fb;
		net_host_addr(a, (uint32_t)(i % 10), &d);
		net_send(a, (uint32_t)(i * 7 % 10), &d, 10, 0, &fa);
		net_send(b, (uint32_t)(i * 7 % 10), &d, 10, 0, &fb);
		ck_assert_uint_eq(fa.copies, fb.copies);
		for (uint32_t c = 0; c < fa.copies; c++)
			ck_assert_uint_eq(fa.delay_ns[c], fb.delay_ns[c]);
	}
	net_del(a);
	net_del(b);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("sim_net");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, profiles);
	tcase_add_test(tc, addresses_in_the_underlay);
	tcase_add_test(tc, bad_destinations);
	tcase_add_test(tc, latency_within_the_profile);
	tcase_add_test(tc, loss_and_dup_rates);
	tcase_add_test(tc, partitions_block_exactly_the_cut);
	tcase_add_test(tc, middlebox_seam);
	tcase_add_test(tc, same_seed_same_draws);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(net_suite)
