/* test_mesh_scenarios.c - the mesh node (core mesh, sim/mesh_core.h) in
 * the simulator: mesh-join-ci at seeds 1-3 (joins one at a time through
 * random members under crash/restart churn, full views, WireGuard peers,
 * no IPv4 twice, pings delivered), determinism, a verdict that fails when
 * it must (a partition that never heals), the core's own metrics and
 * parameters as the scenario loader sees them, and mesh-join-storm at
 * seeds 1-3 (150 join 50 within 10 s).
 *
 * Seeds are printed; mesh-join-1k is a benchmark (bench/meshsim.sh). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mesh_core.h"
#include "mn_err.h"
#include "scn.h"
#include "sim.h"
#include "simtest.h"

/* One of the core's own metrics (x1000), failing the test without a value. */
static int64_t core_metric(const struct sim *s, const char *name)
{
	int i = sim_core_metric_find(sim_ops(s), name);
	int64_t v = -1;

	ck_assert_msg(i >= 0, "no core metric %s", name);
	ck_assert_msg(sim_metric(s, sim_metric_count() + (uint32_t)i, &v), "%s has no value",
		      name);
	return v;
}

START_TEST(join_ci)
{
	uint64_t seed = (uint64_t)_i + 1;
	struct sim *s = simtest_run_file("mesh-join-ci.scn", NULL, seed);

	simtest_assert_passed(s, "mesh-join-ci");
	ck_assert_int_eq(core_metric(s, "joins"), 99 * 1000);
	ck_assert_int_eq(core_metric(s, "view_missing"), 0);
	ck_assert_int_eq(core_metric(s, "ipv4_dup"), 0);
	ck_assert_int_eq(core_metric(s, "pings_delivered"), 6 * 1000);
	/* the churn ran and members came back from what they kept */
	ck_assert_int_gt(simtest_metric(s, "crashes"), 0);
	ck_assert_uint_gt(simtest_counter(s, "restarts"), 0);
	ck_assert_uint_ge(simtest_counter(s, "admissions"), 99);
	/* every node is up at the end (and, by the verdict, a peer of every other) */
	ck_assert_int_eq(simtest_metric(s, "up"), 100 * 1000);
	printf("mesh-join-ci seed=%llu: full view p50 %lld ms, p99 %lld ms; ping max %lld us; "
	       "%llu join retries, %llu restarts\n",
	       (unsigned long long)seed, (long long)core_metric(s, "full_view_p50_ms") / 1000,
	       (long long)core_metric(s, "full_view_p99_ms") / 1000,
	       (long long)core_metric(s, "ping_ms_max"),
	       (unsigned long long)simtest_counter(s, "join_retries"),
	       (unsigned long long)simtest_counter(s, "restarts"));
	sim_del(s);
}
END_TEST

/* A join storm (mesh-join-storm): 150 join a mesh of 50 within 10 s;
 * every view is full 30 s after the last join, at seeds 1-3. */
START_TEST(join_storm)
{
	uint64_t seed = (uint64_t)_i + 1;
	struct sim *s = simtest_run_file("mesh-join-storm.scn", NULL, seed);

	simtest_assert_passed(s, "mesh-join-storm");
	ck_assert_int_eq(core_metric(s, "joins"), 199 * 1000);
	ck_assert_int_eq(simtest_metric(s, "up"), 200 * 1000);
	printf("mesh-join-storm seed=%llu: full view p50 %lld ms, slowest %lld ms; busiest node "
	       "%lld bytes/s\n", (unsigned long long)seed,
	       (long long)core_metric(s, "full_view_p50_ms") / 1000,
	       (long long)core_metric(s, "full_view_max_ms") / 1000,
	       (long long)simtest_metric(s, "bytes_per_node_s_max") / 1000);
	sim_del(s);
}
END_TEST

START_TEST(join_ci_determinism)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN], c[TRACE_HEX_LEN];
	struct sim *s;

	s = simtest_run_file("mesh-join-ci.scn", NULL, 1);
	sim_trace_hex(s, a);
	sim_del(s);
	s = simtest_run_file("mesh-join-ci.scn", NULL, 1);
	sim_trace_hex(s, b);
	sim_del(s);
	s = simtest_run_file("mesh-join-ci.scn", NULL, 2);
	sim_trace_hex(s, c);
	sim_del(s);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
}
END_TEST

/* A cut that never heals: joiners on one side are never held on the
 * other, so the views stay incomplete and the verdict fails on them. */
static const char cut_text[] = "core mesh\n"
			       "nodes 1\n"
			       "standby 19\n"
			       "duration 90s\n"
			       "every 2s from 1s join 1\n"
			       "at 20s partition 50%\n"
			       "expect view_missing == 0\n"
			       "expect ipv4_dup == 0\n";

START_TEST(verdict_fails_when_cut)
{
	struct sim *s = simtest_sim(cut_text, NULL);
	int64_t v;
	bool has;

	sim_run(s);
	ck_assert(!sim_passed(s));
	ck_assert(!sim_expect_ok(s, 0, &v, &has));
	ck_assert(has);
	ck_assert_int_gt(v, 0);
	ck_assert(sim_expect_ok(s, 1, &v, &has)); /* the one that holds still holds */
	ck_assert_int_gt(core_metric(s, "joins_incomplete"), 0);
	sim_del(s);
}
END_TEST

/* An expectation that cannot hold fails the real scenario. */
START_TEST(verdict_fails_on_bound)
{
	struct sim *s = simtest_run_file("mesh-join-ci.scn", "expect full_view_p50_ms <= 1ms\n", 1);
	const struct scn *scn = sim_scn(s);
	int64_t v;
	bool has;

	ck_assert(!sim_passed(s));
	ck_assert(!sim_expect_ok(s, scn->nexpects - 1, &v, &has));
	ck_assert(has);
	sim_del(s);
}
END_TEST

static int load(const char *text, char *err, size_t errlen)
{
	struct scn *s = malloc(sizeof(*s));
	struct sim *sim = NULL;
	int rc;

	ck_assert_ptr_nonnull(s);
	simtest_scn(s, text);
	rc = sim_new(&sim, s, NULL, err, errlen);
	free(s);
	sim_del(sim);
	return rc;
}

START_TEST(metrics_and_params)
{
	char err[SCN_ERR_LEN + 64];

	/* a core metric is known to its core only */
	ck_assert_int_eq(load("core mesh\nexpect full_view_p99_ms <= 1s\n", err, sizeof(err)), 0);
	ck_assert_int_eq(load("core demo\nexpect full_view_p99_ms <= 1s\n", err, sizeof(err)),
			 MN_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown metric 'full_view_p99_ms'"));
	ck_assert_int_eq(load("core mesh\nexpect full_view_p98_ms <= 1s\n", err, sizeof(err)),
			 MN_EINVAL);
	/* its parameters */
	ck_assert_int_eq(load("core mesh\ncore_param pings 65\n", err, sizeof(err)), MN_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "pings 65"));
	ck_assert_int_eq(load("core mesh\ncore_param ping_at soon\n", err, sizeof(err)),
			 MN_EINVAL);
	ck_assert_int_eq(load("core mesh\nnodes 4\ncore_param ping_pair 1:4\n", err, sizeof(err)),
			 MN_EINVAL);
	ck_assert_int_eq(load("core mesh\nnodes 4\ncore_param ping_pair 2:2\n", err, sizeof(err)),
			 MN_EINVAL);
	ck_assert_int_eq(load("core mesh\nnodes 4\ncore_param ping_pair 1:3\n", err, sizeof(err)),
			 0);
	ck_assert_int_eq(load("core mesh\ncore_param bootstrap 3\n", err, sizeof(err)),
			 MN_EINVAL);
	ck_assert_int_eq(load("core mesh\ncore_param profile wan\ncore_param pings 2\n", err,
			      sizeof(err)),
			 0);
}
END_TEST

static Suite *mesh_scenarios_suite(void)
{
	Suite *s = suite_create("sim_mesh");
	TCase *tc = tcase_create("core");

	/* each mesh-join-ci run: ~1 s CPU plain, a few times that under
	 * ASan/UBSan; generous for a shared 2-core VM */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, metrics_and_params);
	tcase_add_test(tc, verdict_fails_when_cut);
	tcase_add_loop_test(tc, join_ci, 0, 3);
	tcase_add_loop_test(tc, join_storm, 0, 3);
	tcase_add_test(tc, join_ci_determinism);
	tcase_add_test(tc, verdict_fails_on_bound);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(mesh_scenarios_suite)
