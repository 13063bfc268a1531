/* test_swim_scenarios.c - the membership protocol (core swim) in the
 * simulator: the CI-sized scenarios of issue 3's targets with their
 * verdicts, determinism, the crash bound recomputed from the parameters,
 * the memos that keep large runs from being quadratic in crypto, and the
 * two gossip/ hooks the adapter relies on (the pair-keyed X25519 memo,
 * swim_restore).
 *
 * Seeds are printed; the big versions of these scenarios are benchmarks
 * (bench/meshsim.sh), not tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "gossip/gossip_fixture.h"
#include "mn_err.h"
#include "rtab.h"
#include "scn.h"
#include "seal.h"
#include "sim.h"
#include "simtest.h"
#include "swim.h"
#include "swim_core.h"

/* No Ed25519 check per (node, member): the run verifies each distinct
 * record once (a join proof, an admission and a member signature), plus the
 * grant and the invite. */
static void assert_linear_crypto(const struct sim *s)
{
	uint64_t nodes = sim_nodes(s);

	uint64_t records = nodes + (uint64_t)simtest_metric(s, "datums") / 1000;

	ck_assert_uint_le(simtest_counter(s, "ed25519_verified"), 3 * records + 8);
	/* about one X25519 per pair, however many datagrams the pair sends (the
	 * memo is bounded: a rare eviction costs a second one) */
	ck_assert_uint_le(simtest_counter(s, "x25519_computed"), nodes * (nodes - 1) / 2 * 101 / 100);
}

START_TEST(lan_ci)
{
	struct sim *s = simtest_run_file("swim-lan-ci.scn", NULL, 1);

	simtest_assert_passed(s, "swim-lan-ci");
	assert_linear_crypto(s);
	ck_assert_int_eq(simtest_metric(s, "datums"), 17 * 1000);
	/* the cold join ran the join path */
	ck_assert_uint_gt(simtest_counter(s, "hellos"), 0);
	ck_assert_uint_gt(simtest_counter(s, "pushpulls"), 0);
	printf("swim-lan-ci: join %lld ms, reach 50/99/99.99%% %lld/%lld/%lld ms, "
	       "%lld.%03lld pkts and %lld B per node per s, %lld false suspicions\n",
	       (long long)simtest_metric(s, "converge_ms") / 1000,
	       (long long)simtest_metric(s, "reach50_ms") / 1000,
	       (long long)simtest_metric(s, "reach99_ms") / 1000,
	       (long long)simtest_metric(s, "reach9999_ms") / 1000,
	       (long long)simtest_metric(s, "steady_pkts_per_node_s") / 1000,
	       (long long)simtest_metric(s, "steady_pkts_per_node_s") % 1000,
	       (long long)simtest_metric(s, "steady_bytes_per_node_s") / 1000,
	       (long long)simtest_metric(s, "false_suspicions") / 1000);
	sim_del(s);
}
END_TEST

START_TEST(loss_ci_and_determinism)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN], c[TRACE_HEX_LEN];
	struct sim *s = simtest_run_file("swim-loss-ci.scn", NULL, 1);

	simtest_assert_passed(s, "swim-loss-ci");
	ck_assert_int_gt(simtest_metric(s, "pauses"), 0);
	ck_assert_int_gt(simtest_metric(s, "drop_loss"), 0);
	/* Lifeguard's case: suspicions happen and are refuted, nobody dies */
	ck_assert_int_gt(simtest_metric(s, "false_suspicions"), 0);
	ck_assert_int_eq(simtest_metric(s, "false_deaths"), 0);
	ck_assert_uint_gt(simtest_counter(s, "refutes"), 0);
	printf("swim-loss-ci: %lld false suspicions, %llu refutations, reach 99.99%% %lld ms\n",
	       (long long)simtest_metric(s, "false_suspicions") / 1000,
	       (unsigned long long)simtest_counter(s, "refutes"),
	       (long long)simtest_metric(s, "reach9999_ms") / 1000);
	sim_trace_hex(s, a);
	sim_del(s);

	/* same scenario and seed: the same run, bit for bit */
	s = simtest_run_file("swim-loss-ci.scn", NULL, 1);
	sim_trace_hex(s, b);
	ck_assert_str_eq(a, b);
	sim_del(s);
	/* and the seed matters; seed 2 passes too (seeds 2 and 3 of the other
	 * scenarios: more_seeds) */
	s = simtest_run_file("swim-loss-ci.scn", NULL, 2);
	simtest_assert_passed(s, "swim-loss-ci");
	sim_trace_hex(s, c);
	ck_assert_str_ne(a, c);
	sim_del(s);
}
END_TEST

START_TEST(crash_ci_within_bound)
{
	struct sim *s = simtest_run_file("swim-crash-ci.scn", NULL, 1);
	const struct scn *scn = sim_scn(s);
	struct swim_params p;
	char err[256];
	bool found = false;

	simtest_assert_passed(s, "swim-crash-ci");
	/* the scenario's threshold is the bound the parameters promise */
	ck_assert_int_eq(swim_core_params(scn->params, scn->nparams, scn->profile, &p, err,
					  sizeof(err)), MN_OK);
	mn_ns bound = swim_core_detect_bound(&p, scn->nodes);
	for (uint32_t i = 0; i < scn->nexpects; i++) {
		if (strcmp(scn->expects[i].metric, "detect_ms_max") != 0)
			continue;
		ck_assert_int_eq(scn->expects[i].milli, (int64_t)(bound / MN_NS_PER_US));
		found = true;
	}
	ck_assert(found);
	ck_assert_int_le(simtest_metric(s, "detect_ms_max"), (int64_t)(bound / MN_NS_PER_US));
	ck_assert_int_eq(simtest_metric(s, "undetected"), 0);
	/* two crashed for good, two came back from their store */
	ck_assert_int_eq(simtest_metric(s, "crashes"), 4 * 1000);
	ck_assert_int_eq(simtest_metric(s, "restarts"), 2 * 1000);
	ck_assert_int_eq(simtest_metric(s, "up"), 98 * 1000);
	/* the restarted came back one incarnation up and told every member
	 * directly: 99 each, the echoes of their acks, and the second round
	 * for those whose ack was lost */
	ck_assert_uint_ge(simtest_counter(s, "reprove_pings"), 2 * 2 * 99);
	ck_assert_uint_le(simtest_counter(s, "reprove_pings"), 2 * 3 * 99);
	printf("swim-crash-ci: detection max %lld ms mean %lld ms (bound %llu ms)\n",
	       (long long)simtest_metric(s, "detect_ms_max") / 1000,
	       (long long)simtest_metric(s, "detect_ms_mean") / 1000,
	       (unsigned long long)(bound / MN_NS_PER_MS));
	sim_del(s);
}
END_TEST

START_TEST(partition_ci_heals)
{
	struct sim *s = simtest_run_file("swim-partition-ci.scn", NULL, 1);

	simtest_assert_passed(s, "swim-partition-ci");
	ck_assert_int_gt(simtest_metric(s, "drop_partition"), 0);
	/* each side declared the other dead while it lasted (and the metric
	 * counts those as false: the subjects were up) */
	ck_assert_int_gt(simtest_metric(s, "deaths"), 0);
	ck_assert_uint_gt(simtest_counter(s, "dead_probes"), 0);
	printf("swim-partition-ci: agreement %lld ms after the heal\n",
	       (long long)simtest_metric(s, "converge_ms") / 1000);
	sim_del(s);
}
END_TEST

START_TEST(bad_core_params)
{
	struct sim_param p = { "probe_intervl", "1s", 7 };
	struct swim_params sp;
	char err[256];

	ck_assert_int_eq(swim_core_params(&p, 1, "lan", &sp, err, sizeof(err)), MN_EINVAL);
	ck_assert_str_eq(err, "core_param:7: probe_intervl 1s: unknown key (see sim/swim_core.h)");
	snprintf(p.key, sizeof(p.key), "probe_timeout");
	snprintf(p.value, sizeof(p.value), "2s"); /* not below the 1 s interval */
	ck_assert_int_eq(swim_core_params(&p, 1, "lan", &sp, err, sizeof(err)), MN_EINVAL);
	snprintf(p.key, sizeof(p.key), "profile");
	snprintf(p.value, sizeof(p.value), "wan");
	ck_assert_int_eq(swim_core_params(&p, 1, "lan", &sp, err, sizeof(err)), MN_OK);
	ck_assert_uint_eq(sp.probe_interval_ns, 5 * MN_NS_PER_SEC);
}
END_TEST

/* ---- the gossip/ hooks ---- */

struct pmemo {
	uint8_t key[4][SEAL_MEMO_KEY_LEN], val[4][SEAL_KEY_LEN];
	uint8_t ed[4][REC_PK_LEN], x[4][SEAL_KEY_LEN];
	int n, nconv, hits, conv_hits;
};

static bool pm_get(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], uint8_t shared[SEAL_KEY_LEN])
{
	struct pmemo *m = ctx;

	for (int i = 0; i < m->n; i++) {
		if (memcmp(m->key[i], key, SEAL_MEMO_KEY_LEN) == 0) {
			memcpy(shared, m->val[i], SEAL_KEY_LEN);
			m->hits++;
			return true;
		}
	}
	return false;
}

static void pm_put(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], const uint8_t shared[SEAL_KEY_LEN])
{
	struct pmemo *m = ctx;

	ck_assert_int_lt(m->n, 4);
	memcpy(m->key[m->n], key, SEAL_MEMO_KEY_LEN);
	memcpy(m->val[m->n++], shared, SEAL_KEY_LEN);
}

static bool pm_conv_get(void *ctx, const uint8_t ed[REC_PK_LEN], uint8_t x[SEAL_KEY_LEN])
{
	struct pmemo *m = ctx;

	for (int i = 0; i < m->nconv; i++) {
		if (memcmp(m->ed[i], ed, REC_PK_LEN) == 0) {
			memcpy(x, m->x[i], SEAL_KEY_LEN);
			m->conv_hits++;
			return true;
		}
	}
	return false;
}

static void pm_conv_put(void *ctx, const uint8_t ed[REC_PK_LEN], const uint8_t x[SEAL_KEY_LEN])
{
	struct pmemo *m = ctx;

	ck_assert_int_lt(m->nconv, 4);
	memcpy(m->ed[m->nconv], ed, REC_PK_LEN);
	memcpy(m->x[m->nconv++], x, SEAL_KEY_LEN);
}

START_TEST(pair_keyed_memo)
{
	struct gfix f;
	struct rec_key a, b, c;
	struct seal_self sa, sb, sc;
	struct seal_keys ab, ba, ab0, ba0, cb, cb0;
	struct pmemo m;
	struct seal_memo memo = { .get = pm_get, .put = pm_put, .ctx = &m, .pair_keyed = true,
				  .conv_get = pm_conv_get, .conv_put = pm_conv_put };

	gfix_init(&f, gfix_seed("pair_keyed_memo", 11));
	memset(&m, 0, sizeof(m));
	rec_key_generate(&a, &f.rng);
	rec_key_generate(&b, &f.rng);
	rec_key_generate(&c, &f.rng);
	ck_assert_int_eq(seal_self_init(&sa, &a, 1000), MN_OK);
	ck_assert_int_eq(seal_self_init(&sb, &b, 1000), MN_OK);
	ck_assert_int_eq(seal_self_init(&sc, &c, 1000), MN_OK);
	/* without a memo: the reference */
	ck_assert_int_eq(seal_keys_derive(&ab0, &sa, b.pk, NULL), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&ba0, &sb, a.pk, NULL), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&cb0, &sc, b.pk, NULL), MN_OK);
	/* a keys the pair; b finds it: one X25519 for both ends */
	ck_assert_int_eq(seal_keys_derive(&ab, &sa, b.pk, &memo), MN_OK);
	ck_assert_int_eq(m.n, 1);
	ck_assert_int_eq(seal_keys_derive(&ba, &sb, a.pk, &memo), MN_OK);
	ck_assert_int_eq(m.n, 1);
	ck_assert_int_eq(m.hits, 1);
	ck_assert_mem_eq(&ab, &ab0, sizeof(ab));
	ck_assert_mem_eq(&ba, &ba0, sizeof(ba));
	ck_assert_mem_eq(ab.tx, ba.rx, SEAL_KEY_LEN);
	/* another pair is another entry; b's key, converted when a keyed the
	 * first pair, is not converted again (the memo key names the X25519
	 * keys, so each end converts its peer's key once, hit or miss) */
	ck_assert_int_eq(m.nconv, 2);
	ck_assert_int_eq(seal_keys_derive(&cb, &sc, b.pk, &memo), MN_OK);
	ck_assert_int_eq(m.n, 2);
	ck_assert_int_eq(m.nconv, 2);
	ck_assert_int_eq(m.conv_hits, 1);
	ck_assert_mem_eq(&cb, &cb0, sizeof(cb));
	seal_self_wipe(&sa);
	seal_self_wipe(&sb);
	seal_self_wipe(&sc);
	rec_key_wipe(&a);
	rec_key_wipe(&b);
	rec_key_wipe(&c);
	gfix_free(&f);
}
END_TEST

/* swim_restore adopts a record like swim_learn but queues no update. */
START_TEST(restore_is_not_news)
{
	struct gfix f;
	struct rec_key k[3];
	uint8_t rec[3][REC_MEMBER_MAX];
	size_t len[3];
	struct mn_seeded_rng srng;
	struct swim_config cfg;
	struct swim *s;
	struct swim_counts before, after;
	struct mn_time now = { 5 * MN_NS_PER_SEC, GF_T0_MS * MN_NS_PER_MS };

	gfix_init(&f, gfix_seed("restore_is_not_news", 12));
	for (int i = 0; i < 3; i++) {
		rec_key_generate(&k[i], &f.rng);
		gfix_record(&f, &k[i], (uint32_t)i, GF_T0_MS, NULL, rec[i], sizeof(rec[i]), &len[i]);
	}
	memset(&cfg, 0, sizeof(cfg));
	swim_params_lan(&cfg.params);
	cfg.net = &f.net;
	cfg.key = &k[0];
	cfg.record = rec[0];
	cfg.record_len = len[0];
	mn_seeded_rng_init(&srng, 12);
	cfg.rng = mn_seeded_rng_iface(&srng);
	ck_assert_int_eq(swim_new(&s, &cfg, now), MN_OK);
	swim_counts(s, &before);
	ck_assert_int_eq(swim_restore(s, rec[1], len[1], NULL, now), MN_OK);
	swim_counts(s, &after);
	ck_assert_uint_eq(after.members, before.members + 1);
	ck_assert_uint_eq(after.queued, before.queued);
	ck_assert_int_eq(swim_restore(s, rec[1], len[1], NULL, now), MN_EEXIST);
	ck_assert_int_eq(swim_learn(s, rec[2], len[2], NULL, now), MN_OK);
	swim_counts(s, &after);
	ck_assert_uint_eq(after.members, before.members + 2);
	ck_assert_uint_eq(after.queued, before.queued + 1);
	swim_del(s);
	for (int i = 0; i < 3; i++)
		rec_key_wipe(&k[i]);
	gfix_free(&f);
}
END_TEST

/* Every CI scenario passes at seeds 1, 2 and 3, so that parameters that
 * pass at one lucky seed are caught: seed 1 runs in the tests above (and
 * in test_swim_revoke.c), seed 2 of swim-loss-ci in
 * loss_ci_and_determinism, the rest here. */
static const struct {
	const char *file;
	uint64_t seed;
} more_seeds_runs[] = {
	{ "swim-lan-ci.scn", 2 },       { "swim-lan-ci.scn", 3 },
	{ "swim-loss-ci.scn", 3 },
	{ "swim-crash-ci.scn", 2 },     { "swim-crash-ci.scn", 3 },
	{ "swim-partition-ci.scn", 2 }, { "swim-partition-ci.scn", 3 },
	{ "swim-revoke-ci.scn", 2 },    { "swim-revoke-ci.scn", 3 },
	/* laptops asleep for an hour, some waking on another network: back
	 * in every member's view within 5 s */
	{ "swim-sleep.scn", 1 },        { "swim-sleep.scn", 2 },        { "swim-sleep.scn", 3 },
	{ "swim-sleep-wan.scn", 1 },    { "swim-sleep-wan.scn", 2 },    { "swim-sleep-wan.scn", 3 },
	/* 15% loss on WAN: records at 99% within 30 s, agreement within
	 * 60 s after the loss ends */
	{ "swim-heavyloss.scn", 1 },    { "swim-heavyloss.scn", 2 },    { "swim-heavyloss.scn", 3 },
	/* restarts under 3% loss, also with short pauses around them: no
	 * member declared dead once it is back */
	{ "swim-restart.scn", 1 },      { "swim-restart.scn", 2 },      { "swim-restart.scn", 3 },
	{ "swim-restart-pause.scn", 1 }, { "swim-restart-pause.scn", 2 },
	{ "swim-restart-pause.scn", 3 },
	/* nodes that booted over 20 s: every crash found within the bound
	 * the parameters promise, on WAN and on LAN */
	{ "swim-bootspread-wan.scn", 1 }, { "swim-bootspread-wan.scn", 2 },
	{ "swim-bootspread-wan.scn", 3 },
	{ "swim-bootspread.scn", 1 },   { "swim-bootspread.scn", 2 },   { "swim-bootspread.scn", 3 },
	/* a one-way cut heals: agreement within 60 s, no record lost */
	{ "swim-oneway.scn", 1 },       { "swim-oneway.scn", 2 },       { "swim-oneway.scn", 3 },
};

/* A member's address changes (swim-move-ci, swim-move-wan-ci; five at
 * once, swim-move-together; under 3% loss, swim-move-loss): every node
 * follows within the target, at three seeds each. */
static const struct {
	const char *file;
	int64_t moves;
} move_files[] = {
	{ "swim-move-ci.scn", 10 },
	{ "swim-move-wan-ci.scn", 10 },
	{ "swim-move-together.scn", 10 },
	{ "swim-move-loss.scn", 18 },
};

START_TEST(move_ci)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct sim *s = simtest_run_file(move_files[_i].file, NULL, seed);

		simtest_assert_passed(s, move_files[_i].file);
		ck_assert_int_eq(simtest_metric(s, "moves"), move_files[_i].moves * 1000);
		printf("%s seed=%llu: every node at the new address after %lld us at worst\n",
		       move_files[_i].file, (unsigned long long)seed,
		       (long long)simtest_metric(s, "move_reach100_ms"));
		sim_del(s);
	}
}
END_TEST

START_TEST(more_seeds)
{
	struct sim *s = simtest_run_file(more_seeds_runs[_i].file, NULL, more_seeds_runs[_i].seed);

	simtest_assert_passed(s, more_seeds_runs[_i].file);
	sim_del(s);
}
END_TEST

/* ---- rogue members (issue 11) ---- */

/* Each rogue behaviour's scenario at three seeds: its verdict, that the
 * attack ran (5 rogues, crafted datagrams sent) and that it reached the
 * defence the scenario is about. Each fails with that defence removed
 * (sim/README.md, "Rogue members"). */
static const struct {
	const char *file;
	const char *reached;   /* a counter the attack must have moved */
} rogue_files[] = {
	{ "swim-rogue-suspect.scn", "refutes" },
	{ "swim-rogue-accuse.scn", "refutes" },
	{ "swim-rogue-addr.scn", "addr_refused" },
	{ "swim-rogue-junk.scn", "unasked_refused" },
};

START_TEST(rogue_ci)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct sim *s = simtest_run_file(rogue_files[_i].file, NULL, seed);

		simtest_assert_passed(s, rogue_files[_i].file);
		ck_assert_int_eq(simtest_metric(s, "rogues"), 5 * 1000);
		ck_assert_uint_gt(simtest_counter(s, "rogue_sent"), 0);
		ck_assert_uint_gt(simtest_counter(s, rogue_files[_i].reached), 0);
		printf("%s seed=%llu: %llu crafted, %s %llu, honest false suspicions %lld, "
		       "sig checks per honest node max %lld\n",
		       rogue_files[_i].file, (unsigned long long)seed,
		       (unsigned long long)simtest_counter(s, "rogue_sent"), rogue_files[_i].reached,
		       (unsigned long long)simtest_counter(s, rogue_files[_i].reached),
		       (long long)simtest_metric(s, "honest_false_suspicions") / 1000,
		       (long long)simtest_metric(s, "sig_checks_max") / 1000);
		sim_del(s);
	}
}
END_TEST

/* A run with rogues replays bit for bit. */
START_TEST(rogue_replay)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN];
	struct sim *s = simtest_run_file("swim-rogue-suspect.scn", NULL, 1);

	sim_trace_hex(s, a);
	sim_del(s);
	s = simtest_run_file("swim-rogue-suspect.scn", NULL, 1);
	sim_trace_hex(s, b);
	sim_del(s);
	ck_assert_str_eq(a, b);
}
END_TEST

static Suite *swim_scenarios_suite(void)
{
	Suite *s = suite_create("sim_swim");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300); /* bounds a wait (sanitizers, shared cores) */
	/* store auto is LMDB at these sizes: its files go in a $TMPDIR of
	 * the test case's own, removed even if a test fails */
	tcase_add_unchecked_fixture(tc, simtest_tmpdir_setup, simtest_tmpdir_teardown);
	tcase_add_test(tc, bad_core_params);
	tcase_add_test(tc, pair_keyed_memo);
	tcase_add_test(tc, restore_is_not_news);
	tcase_add_test(tc, lan_ci);
	tcase_add_test(tc, loss_ci_and_determinism);
	tcase_add_test(tc, crash_ci_within_bound);
	tcase_add_test(tc, partition_ci_heals);
	suite_add_tcase(s, tc);

	tc = tcase_create("more_seeds");
	/* each run: ~1.2 s CPU, 2.4 s wall plain on a shared 2-core VM;
	 * swim-move-loss's three seeds 14 s plain */
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, simtest_tmpdir_setup, simtest_tmpdir_teardown);
	tcase_add_loop_test(tc, move_ci, 0, (int)(sizeof(move_files) / sizeof(move_files[0])));
	tcase_add_loop_test(tc, more_seeds, 0,
			    (int)(sizeof(more_seeds_runs) / sizeof(more_seeds_runs[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("rogue");
	/* each run: 1.5-3 s wall plain on a shared 2-core VM; 14 runs */
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, simtest_tmpdir_setup, simtest_tmpdir_teardown);
	tcase_add_loop_test(tc, rogue_ci, 0, (int)(sizeof(rogue_files) / sizeof(rogue_files[0])));
	tcase_add_test(tc, rogue_replay);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(swim_scenarios_suite)
