/* test_scenarios.c - shipped scenarios run end to end, with verdicts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "scn.h"
#include "sim.h"
#include "simtest.h"

START_TEST(smoke_passes_and_replays)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN];
	struct sim *s = simtest_run_file("smoke.scn", NULL, 1);
	ck_assert_msg(sim_passed(s), "smoke failed: %s", sim_error(s) ? sim_error(s) : "expectation");
	sim_trace_hex(s, a);
	int64_t v;
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("drop_partition"), &v));
	ck_assert_int_gt(v, 0);
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("drop_loss"), &v));
	ck_assert_int_gt(v, 0);
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("dup_pkts"), &v));
	ck_assert_int_gt(v, 0);
	sim_del(s);
	s = simtest_run_file("smoke.scn", NULL, 1);
	sim_trace_hex(s, b);
	ck_assert_str_eq(a, b);
	sim_del(s);
}
END_TEST

START_TEST(smoke_passes_with_other_seeds)
{
	for (uint64_t seed = 2; seed <= 4; seed++) {
		struct sim *s = simtest_run_file("smoke.scn", NULL, seed);
		ck_assert_msg(sim_passed(s), "smoke seed=%llu failed", (unsigned long long)seed);
		sim_del(s);
	}
}
END_TEST

START_TEST(a_broken_expectation_fails_the_verdict)
{
	struct sim *s = simtest_run_file("smoke.scn", "expect reach99_ms <= 1us", 1);
	ck_assert(!sim_passed(s));
	int64_t v;
	bool has;
	ck_assert(!sim_expect_ok(s, sim_scn(s)->nexpects - 1, &v, &has));
	ck_assert(has);
	ck_assert_int_gt(v, 1);
	sim_del(s);

	/* a run that never converges has no value to compare: from 25 s the
	 * network loses everything and a new datum is stuck at its origin */
	s = simtest_run_file("smoke.scn", "at 25s loss 100%\nat 25s inject\ncalm 25s\n", 1);
	ck_assert(!sim_expect_ok(s, 0, &v, &has));
	ck_assert(!has);
	ck_assert(!sim_passed(s));
	sim_del(s);
}
END_TEST

START_TEST(partition_heal)
{
	struct sim *s = simtest_run_file("partition-heal.scn", NULL, 1);
	ck_assert_msg(sim_passed(s), "partition-heal failed");
	sim_del(s);
}
END_TEST

static Suite *scenarios_suite(void)
{
	Suite *s = suite_create("sim_scenarios");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, smoke_passes_and_replays);
	tcase_add_test(tc, smoke_passes_with_other_seeds);
	tcase_add_test(tc, a_broken_expectation_fails_the_verdict);
	tcase_add_test(tc, partition_heal);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(scenarios_suite)
