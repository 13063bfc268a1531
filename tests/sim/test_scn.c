/* test_scn.c - the scenario format: values, directives, errors with lines. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "scn.h"
#include "sim.h"
#include "simtest.h"

START_TEST(values)
{
	mn_ns t;
	ck_assert_int_eq(scn_parse_duration("250ms", &t), 0);
	ck_assert_uint_eq(t, 250 * MN_NS_PER_MS);
	ck_assert_int_eq(scn_parse_duration("1.5s", &t), 0);
	ck_assert_uint_eq(t, 1500 * MN_NS_PER_MS);
	ck_assert_int_eq(scn_parse_duration("10m", &t), 0);
	ck_assert_uint_eq(t, 600 * MN_NS_PER_SEC);
	ck_assert_int_eq(scn_parse_duration("2h", &t), 0);
	ck_assert_uint_eq(t, 7200 * MN_NS_PER_SEC);
	ck_assert_int_eq(scn_parse_duration("7us", &t), 0);
	ck_assert_uint_eq(t, 7000);
	ck_assert_int_eq(scn_parse_duration("0", &t), 0);
	ck_assert_uint_eq(t, 0);
	ck_assert_int_eq(scn_parse_duration("5", &t), MN_ESYNTAX);
	ck_assert_int_eq(scn_parse_duration("5 s", &t), MN_ESYNTAX);
	ck_assert_int_eq(scn_parse_duration("s", &t), MN_ESYNTAX);
	ck_assert_int_eq(scn_parse_duration("1.s", &t), MN_ESYNTAX);
	ck_assert_int_eq(scn_parse_duration("-1s", &t), MN_ESYNTAX);
	ck_assert_int_eq(scn_parse_duration("99999999999999999999s", &t), MN_ERANGE);

	uint32_t ppm;
	ck_assert_int_eq(scn_parse_ppm("5%", &ppm), 0);
	ck_assert_uint_eq(ppm, 50000);
	ck_assert_int_eq(scn_parse_ppm("0.25%", &ppm), 0);
	ck_assert_uint_eq(ppm, 2500);
	ck_assert_int_eq(scn_parse_ppm("100%", &ppm), 0);
	ck_assert_uint_eq(ppm, 1000000);
	ck_assert_int_eq(scn_parse_ppm("100.1%", &ppm), MN_ERANGE);
	ck_assert_int_eq(scn_parse_ppm("5", &ppm), MN_ESYNTAX);

	int64_t m;
	ck_assert_int_eq(scn_parse_milli("3000", &m), 0);
	ck_assert_int_eq(m, 3000000);
	ck_assert_int_eq(scn_parse_milli("3s", &m), 0); /* as milliseconds */
	ck_assert_int_eq(m, 3000000);
	ck_assert_int_eq(scn_parse_milli("0.5", &m), 0);
	ck_assert_int_eq(m, 500);
	ck_assert_int_eq(scn_parse_milli("90%", &m), 0);
	ck_assert_int_eq(m, 90000);
}
END_TEST

static const char full[] =
	"# a scenario using every directive\n"
	"core demo\n"
	"core_param interval 500ms\n"
	"nodes 100\n"
	"standby 5\n"
	"seed 99\n"
	"profile wan\n"
	"duration 10m   # trailing comment\n"
	"loss 5%\n"
	"dup 0.5%\n"
	"jitter 3ms\n"
	"check_interval 50ms\n"
	"boot_spread 2s\n"
	"clock_skew 1s\n"
	"at 30s partition 50%\n"
	"at 40s partition 10% oneway\n"
	"at 60s heal\n"
	"at 10s crash 1% for 20s\n"
	"at 12s crash node 3\n"
	"at 20s pause 5% for up to 2s\n"
	"every 30s from 5s until 100s pause 2 for 1s\n"
	"at 25s restart all\n"
	"at 26s move 10%\n"
	"at 27s join 5\n"
	"every 10s inject\n"
	"at 50s inject 3\n"
	"at 70s loss 0%\n"
	"at 28s sleep 2 for 3s moving\n"
	"at 29s sleep 1 for 1s\n"
	"expect converge_within 60s\n"
	"expect reach99_ms <= 3s\n"
	"expect false_deaths == 0\n";

START_TEST(every_directive)
{
	struct scn *s = malloc(sizeof(*s));
	simtest_scn(s, full);
	ck_assert_str_eq(s->core, "demo");
	ck_assert_uint_eq(s->nparams, 1);
	ck_assert_str_eq(s->params[0].key, "interval");
	ck_assert_uint_eq(s->params[0].line, 3);
	ck_assert_uint_eq(s->nodes, 100);
	ck_assert_uint_eq(s->standby, 5);
	ck_assert_uint_eq(s->seed, 99);
	ck_assert_uint_eq(s->duration_ns, 600 * MN_NS_PER_SEC);
	ck_assert_uint_eq(s->net.loss_ppm, 50000);
	ck_assert_uint_eq(s->net.dup_ppm, 5000);
	ck_assert_uint_eq(s->net.jitter_ns, 3 * MN_NS_PER_MS);
	ck_assert_uint_eq(s->net.regions, 4); /* from the wan profile */
	ck_assert_uint_eq(s->nactions, 15);

	const struct scn_action *a = &s->actions[0];
	ck_assert_int_eq(a->op, SCN_PARTITION);
	ck_assert_int_eq(a->pick, SCN_PICK_PPM);
	ck_assert_uint_eq(a->amount, 500000);
	ck_assert(!a->oneway);
	ck_assert(s->actions[1].oneway);
	a = &s->actions[3];
	ck_assert_int_eq(a->op, SCN_CRASH);
	ck_assert_uint_eq(a->for_ns, 20 * MN_NS_PER_SEC);
	ck_assert(!a->for_upto);
	ck_assert_int_eq(s->actions[4].pick, SCN_PICK_NODE);
	ck_assert_uint_eq(s->actions[4].amount, 3);
	ck_assert(s->actions[5].for_upto);
	a = &s->actions[6];
	ck_assert_uint_eq(a->every_ns, 30 * MN_NS_PER_SEC);
	ck_assert_uint_eq(a->at_ns, 5 * MN_NS_PER_SEC);
	ck_assert_uint_eq(a->until_ns, 100 * MN_NS_PER_SEC);
	ck_assert_int_eq(a->pick, SCN_PICK_COUNT);
	ck_assert_uint_eq(a->amount, 2);
	ck_assert_int_eq(s->actions[7].pick, SCN_PICK_ALL);
	ck_assert_uint_eq(s->actions[10].every_ns, 10 * MN_NS_PER_SEC);
	ck_assert_uint_eq(s->actions[11].amount, 3);
	ck_assert_uint_eq(s->actions[12].ppm, 0);
	ck_assert_int_eq(s->actions[13].op, SCN_SLEEP);
	ck_assert_uint_eq(s->actions[13].for_ns, 3 * MN_NS_PER_SEC);
	ck_assert(s->actions[13].moving);
	ck_assert_int_eq(s->actions[14].op, SCN_SLEEP);
	ck_assert(!s->actions[14].moving);

	/* calm: the last fault ends at 96s (pause at 95s for 1s) */
	ck_assert_uint_eq(s->calm_ns, 96 * MN_NS_PER_SEC);
	ck_assert_uint_eq(s->nexpects, 3);
	ck_assert_str_eq(s->expects[0].metric, "converge_ms");
	ck_assert_int_eq(s->expects[0].milli, 60000000);
	ck_assert_int_eq(s->expects[1].cmp, SCN_LE);
	ck_assert_int_eq(s->expects[2].cmp, SCN_EQ);
	free(s);
}
END_TEST

/* Feeding text must fail with exactly this message. */
static void fails_with(const char *text, const char *msg)
{
	struct scn *s = malloc(sizeof(*s));
	char err[SCN_ERR_LEN] = "";
	scn_init(s, "t.scn");
	int rc = scn_feed(s, text, NULL, 1, err, sizeof(err));
	if (rc == 0)
		rc = scn_finish(s, err, sizeof(err));
	ck_assert_msg(rc < 0, "'%s' parsed", text);
	ck_assert_msg(strcmp(err, msg) == 0, "got '%s', want '%s'", err, msg);
	free(s);
}

START_TEST(errors_name_the_line)
{
	fails_with("nodes 5\n\npartitoin 50%\n", "t.scn:3: unknown directive 'partitoin'");
	fails_with("duration 10\n", "t.scn:1: bad duration '10' (want e.g. 250ms, 1.5s, 10m)");
	fails_with("# c\nloss 5\n", "t.scn:2: bad share '5' (want e.g. 5%, 0.5%)");
	fails_with("loss 120%\n", "t.scn:1: share '120%' out of range (0% .. 100%)");
	fails_with("at 5s pause 3%\n", "t.scn:1: pause needs 'for T' or 'for up to T'");
	fails_with("at 5s sleep 3% moving\n", "t.scn:1: sleep needs 'for T' or 'for up to T'");
	fails_with("at 5s pause 3% for 1s moving\n", "t.scn:1: unexpected 'moving'");
	fails_with("at 5s partition all\n", "t.scn:1: partition needs a part of the nodes, not all");
	fails_with("at 5s revoke all\n", "t.scn:1: revoke needs a part of the nodes, not all (a "
		   "running node carries the tombstone)");
	fails_with("at 5s revoke 1 for 10s\n", "t.scn:1: unexpected 'for'");
	fails_with("at 5s explode 3%\n", "t.scn:1: unknown action 'explode'");
	fails_with("at\n", "t.scn:1: 'at' needs a time and an action");
	fails_with("at 5s\n", "t.scn:1: missing action after the time");
	fails_with("at 5s heal now\n", "t.scn:1: unexpected 'now'");
	fails_with("at 5s crash\n", "t.scn:1: 'crash' needs which nodes: P%, N, all or node K");
	fails_with("at 5s crash 2 for\n", "t.scn:1: 'for' needs a duration");
	fails_with("nodes\n", "t.scn:1: 'nodes' needs 1 more word");
	fails_with("nodes 70000\n", "t.scn:1: '70000' out of range (max 60000)");
	fails_with("core swim2\n", "t.scn:1: unknown core 'swim2'");
	fails_with("profile moon\n", "t.scn:1: unknown profile 'moon' (lan, wan)");
	fails_with("expect reach99_ms =< 3\n",
		   "t.scn:1: bad comparison '=<' (<= < >= > == !=)");
	fails_with("expect reach99_ms\n",
		   "t.scn:1: want 'expect METRIC OP VALUE' or 'expect converge_within T'");
	fails_with("every 0s inject\n", "t.scn:1: 'every' needs a period above 0");
	fails_with("every 5s from 10s until 5s inject\n", "t.scn:1: 'until' is before the first time");
	/* errors found when the whole is checked still name the line */
	fails_with("nodes 4\n\nat 1s crash node 9\n", "t.scn:3: node 9 does not exist (nodes 0..3)");
	fails_with("calm 30s\nat 20s crash 1 for 20s\n", "t.scn:2: this crash lasts past 'calm'");
	fails_with("calm 30s\nevery 5s loss 1%\n", "t.scn:2: this loss lasts past 'calm'");
	fails_with("nodes 0\n", "t.scn: a run needs at least one node");
	char longline[400];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	fails_with(longline, "t.scn:1: line longer than 255 bytes");
	fails_with("a b c d e f g h i j k l m n o p q\n", "t.scn:1: more than 16 words");
}
END_TEST

START_TEST(command_line_overrides)
{
	struct scn *s = malloc(sizeof(*s));
	char err[SCN_ERR_LEN];
	scn_init(s, "t.scn");
	ck_assert_int_eq(scn_feed(s, "nodes 10\nloss 5%\nprofile lan\n", NULL, 1, err, sizeof(err)), 0);
	/* a later line wins, wherever it comes from */
	ck_assert_int_eq(scn_feed(s, "loss 1%", "--set", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(scn_feed(s, "bogus", "--set", 2, err, sizeof(err)), MN_ESYNTAX);
	ck_assert_str_eq(err, "--set:2: unknown directive 'bogus'");
	s->nodes = 77;
	ck_assert_int_eq(scn_finish(s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s->net.loss_ppm, 10000);
	ck_assert_uint_eq(s->nodes, 77);
	free(s);
}
END_TEST

START_TEST(calm_phase)
{
	struct scn *s = malloc(sizeof(*s));
	simtest_scn(s, "at 30s partition 50%\nat 60s heal\nevery 5s inject\n");
	ck_assert_uint_eq(s->calm_ns, 60 * MN_NS_PER_SEC); /* inject is no fault */
	simtest_scn(s, "at 10s crash 1 for up to 25s\n");
	ck_assert_uint_eq(s->calm_ns, 35 * MN_NS_PER_SEC);
	simtest_scn(s, "every 10s crash 1\n");
	ck_assert_uint_eq(s->calm_ns, MN_NEVER);
	simtest_scn(s, "calm 45s\nat 10s crash 1\n");
	ck_assert_uint_eq(s->calm_ns, 45 * MN_NS_PER_SEC);
	simtest_scn(s, "nodes 3\n");
	ck_assert_uint_eq(s->calm_ns, 0);
	simtest_scn(s, "at 20s crash 1 for 5s\nat 30s revoke 1\nevery 5s inject\n");
	ck_assert_uint_eq(s->calm_ns, 30 * MN_NS_PER_SEC); /* revoke is a fault */
	free(s);
}
END_TEST

/* revoke takes the PICK of crash (without `for`: a revoked node is gone). */
START_TEST(revoke_action)
{
	struct scn *s = malloc(sizeof(*s));
	simtest_scn(s, "nodes 50\nat 30s revoke 2%\nat 40s revoke node 3\nevery 10s until 60s revoke 1\n");
	ck_assert_uint_eq(s->nactions, 3);
	ck_assert_int_eq(s->actions[0].op, SCN_REVOKE);
	ck_assert_int_eq(s->actions[0].pick, SCN_PICK_PPM);
	ck_assert_uint_eq(s->actions[0].amount, 20000);
	ck_assert_int_eq(s->actions[1].pick, SCN_PICK_NODE);
	ck_assert_uint_eq(s->actions[1].amount, 3);
	ck_assert_int_eq(s->actions[2].pick, SCN_PICK_COUNT);
	ck_assert_uint_eq(s->actions[2].amount, 1);
	ck_assert_uint_eq(s->actions[2].every_ns, 10 * MN_NS_PER_SEC);
	ck_assert_str_eq(scn_op_name(SCN_REVOKE), "revoke");
	ck_assert_uint_eq(s->calm_ns, 60 * MN_NS_PER_SEC);
	free(s);
}
END_TEST

/* rogue takes a PICK (not all) and a behaviour; a core without rogues
 * refuses it when the scenario loads. */
START_TEST(rogue_action)
{
	struct scn *s = malloc(sizeof(*s));
	char err[SCN_ERR_LEN];
	struct sim *sim;

	simtest_scn(s, "nodes 50\nat 10s rogue 5% suspect_flood\nat 20s rogue node 3 junk_records\n");
	ck_assert_uint_eq(s->nactions, 2);
	ck_assert_int_eq(s->actions[0].op, SCN_ROGUE);
	ck_assert_int_eq(s->actions[0].pick, SCN_PICK_PPM);
	ck_assert_uint_eq(s->actions[0].amount, 50000);
	ck_assert_int_eq(s->actions[0].rogue, SIM_ROGUE_SUSPECT_FLOOD);
	ck_assert_int_eq(s->actions[1].pick, SCN_PICK_NODE);
	ck_assert_int_eq(s->actions[1].rogue, SIM_ROGUE_JUNK_RECORDS);
	ck_assert_str_eq(scn_op_name(SCN_ROGUE), "rogue");
	for (int b = 0; b < SIM_ROGUE__COUNT; b++)
		ck_assert_int_eq(sim_rogue_find(sim_rogue_name((enum sim_rogue)b)), b);
	fails_with("at 5s rogue all false_addr\n", "t.scn:1: rogue needs a part of the nodes, not "
		   "all (the metrics judge the honest ones)");
	fails_with("at 5s rogue 2\n", "t.scn:1: rogue needs a behaviour: suspect_flood, "
		   "accuse_others, false_addr or junk_records");
	fails_with("at 5s rogue 2 lie\n", "t.scn:1: unknown rogue behaviour 'lie'");
	fails_with("at 5s rogue 2 false_addr now\n", "t.scn:1: unexpected 'now'");
	simtest_scn(s, "nodes 2\n\nat 1h rogue 1 accuse_others\n");
	ck_assert_int_eq(sim_new(&sim, s, NULL, err, sizeof(err)), MN_EINVAL);
	ck_assert_str_eq(err, "test.scn:3: core demo has no rogue members (core swim has)");
	free(s);
}
END_TEST

START_TEST(unknown_metric_and_param)
{
	struct scn *s = malloc(sizeof(*s));
	char err[SCN_ERR_LEN];
	struct sim *sim;
	simtest_scn(s, "nodes 2\n\nexpect reach98_ms <= 5\n");
	ck_assert_int_eq(sim_new(&sim, s, NULL, err, sizeof(err)), MN_EINVAL);
	ck_assert_str_eq(err, "test.scn:3: unknown metric 'reach98_ms'");
	simtest_scn(s, "nodes 2\ncore_param colour blue\n");
	ck_assert_int_eq(sim_new(&sim, s, NULL, err, sizeof(err)), MN_EINVAL);
	ck_assert_str_eq(err, "core_param:2: colour blue: unknown (interval, fanout, size, persist)");
	/* a core without revocation refuses the scenario when it loads, not
	 * when the line comes due */
	simtest_scn(s, "nodes 2\n\nat 1h revoke 1\n");
	ck_assert_int_eq(sim_new(&sim, s, NULL, err, sizeof(err)), MN_EINVAL);
	ck_assert_str_eq(err, "test.scn:3: core demo cannot revoke (core swim can)");
	free(s);
}
END_TEST

START_TEST(missing_file)
{
	struct scn *s = malloc(sizeof(*s));
	char err[SCN_ERR_LEN];
	scn_init(s, NULL);
	ck_assert_int_eq(scn_load(s, "/nonexistent/x.scn", err, sizeof(err)), MN_EIO);
	ck_assert_str_eq(err, "/nonexistent/x.scn: No such file or directory");
	free(s);
}
END_TEST

/* Every scenario we ship parses as shipped, and builds. The build runs
 * with at most SHIPPED_BUILD_NODES nodes: building the 10,000-node ones
 * whole takes seconds and gigabytes, which would make this test depend on
 * the machine; what the build checks (core, core_param, actions against
 * the node slots) does not need them all. */
enum { SHIPPED_BUILD_NODES = 200 };

static void load_shipped(struct scn *s, const char *path, uint32_t max_nodes)
{
	char err[SCN_ERR_LEN + 64];

	scn_init(s, NULL);
	ck_assert_msg(scn_load(s, path, err, sizeof(err)) == 0, "%s", err);
	if (max_nodes && s->nodes > max_nodes)
		s->nodes = max_nodes; /* as --nodes would */
	if (max_nodes && s->standby > max_nodes)
		s->standby = max_nodes;
	ck_assert_msg(scn_finish(s, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(shipped_scenarios_parse)
{
	DIR *d = opendir(SIM_SCENARIO_DIR);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	int n = 0;
	struct scn *s = malloc(sizeof(*s));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".scn") != 0)
			continue;
		char path[1024], err[SCN_ERR_LEN + 64];
		snprintf(path, sizeof(path), "%s/%s", SIM_SCENARIO_DIR, e->d_name);
		load_shipped(s, path, 0);
		load_shipped(s, path, SHIPPED_BUILD_NODES);
		struct sim *sim;
		ck_assert_msg(sim_new(&sim, s, NULL, err, sizeof(err)) == 0, "%s: %s", e->d_name,
			      err);
		sim_del(sim);
		n++;
	}
	closedir(d);
	free(s);
	ck_assert_int_ge(n, 3);
}
END_TEST

static Suite *scn_suite(void)
{
	Suite *s = suite_create("sim_scn");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, values);
	tcase_add_test(tc, every_directive);
	tcase_add_test(tc, errors_name_the_line);
	tcase_add_test(tc, command_line_overrides);
	tcase_add_test(tc, calm_phase);
	tcase_add_test(tc, revoke_action);
	tcase_add_test(tc, rogue_action);
	tcase_add_test(tc, unknown_metric_and_param);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, shipped_scenarios_parse);
	tcase_set_timeout(tc, 60); /* measured well under 1 s; a bound, not a speed test */
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(scn_suite)
