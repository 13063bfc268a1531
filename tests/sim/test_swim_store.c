/* test_swim_store.c - where a swim node persists in the simulator
 * (core_param store, sim/swim_core.h): with `store lmdb` every node has its
 * own LMDB environment and a restart is rebuilt from it alone.
 *
 *   lmdb_restart_from_store      a crashed node's directory holds its key,
 *                                incarnation, boot number and records; the
 *                                restart comes back with all of them and a
 *                                higher boot number
 *   lmdb_restore_reads_the_store records deleted or damaged in the
 *                                directory while the node is down are
 *                                missing (refused, for the damaged one)
 *                                after the restart: the node read LMDB, not
 *                                the memory stand-in; gossip heals the store
 *   lmdb_lost_store_stops_the_run a deleted directory or emptied
 *                                environment stops the run with an error
 *                                naming the node, and the run's directory
 *                                is still removed
 *   crash_ci_store_modes         swim-crash-ci passes with lmdb and with
 *                                memory, lmdb replays bit for bit, and both
 *                                give the same run
 *
 * The test case runs in its own $TMPDIR (fixture); each test checks that
 * its runs left nothing in it. Seeds are printed. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "record.h"
#include "scn.h"
#include "sim.h"
#include "simtest.h"
#include "store.h"
#include "swim.h"
#include "swim_core.h"

enum { MAX_STORED = 64, NODES = 16, K = 3 }; /* K: the node that crashes */

/* A small established network, crashes and restarts done by the tests. */
static const char small_lmdb[] = "core swim\n"
				 "core_param preload 1\n"
				 "core_param store lmdb\n"
				 "nodes 16\n"
				 "profile lan\n"
				 "seed 5\n"
				 "duration 120s\n";

/* Every run removed its directory, passed or not. */
static void assert_cleaned_up(void)
{
	ck_assert_int_eq(simtest_entries(simtest_tmpdir()), 0);
}

/* What a node's LMDB environment holds (read while the node is down: one
 * process must not open an environment twice). */
struct stored {
	uint8_t pk[REC_PK_LEN]; /* from the identity seed */
	uint32_t inc, boot;
	uint32_t n;
	uint8_t key[MAX_STORED][REC_PK_LEN];
	uint8_t val[MAX_STORED][REC_MEMBER_MAX];
	size_t len[MAX_STORED];
	bool has_self;
};

static int collect(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct stored *st = ctx;

	ck_assert_uint_eq(kl, REC_PK_LEN);
	ck_assert_uint_le(vl, REC_MEMBER_MAX);
	ck_assert_uint_lt(st->n, MAX_STORED);
	memcpy(st->key[st->n], k, kl);
	memcpy(st->val[st->n], v, vl);
	st->len[st->n++] = vl;
	return 0;
}

static uint32_t meta_u32(struct store *db, const char *key)
{
	uint8_t b[4];
	size_t len;

	ck_assert_int_eq(store_get(db, STORE_META, key, strlen(key), b, sizeof(b), &len), MN_OK);
	ck_assert_uint_eq(len, 4);
	return mn_get_be32(b);
}

static void read_store(uint32_t node, struct stored *st)
{
	char dir[512];
	struct store *db;
	uint8_t seed[REC_SEED_LEN];
	struct rec_key key;
	size_t len;

	simtest_node_dir(node, dir, sizeof(dir));
	memset(st, 0, sizeof(*st));
	ck_assert_int_eq(store_open_lmdb(&db, dir, 0), MN_OK);
	ck_assert_int_eq(store_get(db, STORE_META, "identity", 8, seed, sizeof(seed), &len), MN_OK);
	ck_assert_uint_eq(len, REC_SEED_LEN);
	rec_key_from_seed(&key, seed);
	memcpy(st->pk, key.pk, REC_PK_LEN);
	rec_key_wipe(&key);
	st->inc = meta_u32(db, "incarnation");
	st->boot = meta_u32(db, "boot");
	ck_assert_int_eq(store_foreach(db, STORE_MEMBERS, collect, st), MN_OK);
	for (uint32_t i = 0; i < st->n; i++)
		if (memcmp(st->key[i], st->pk, REC_PK_LEN) == 0)
			st->has_self = true;
	store_close(db);
}

static const struct swim *node_swim(const struct sim *s, uint32_t node)
{
	ck_assert(sim_node_up(s, node));
	return swim_core_swim(sim_core(s, node));
}

START_TEST(lmdb_restart_from_store)
{
	struct sim *s = simtest_sim(small_lmdb, NULL);
	struct stored *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct swim_counts cnt;
	struct swim_member_info mi;
	uint32_t inc_before;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	printf("lmdb_restart_from_store seed=%llu\n", (unsigned long long)sim_scn(s)->seed);
	ck_assert_int_eq(sim_run_until(s, 5 * MN_NS_PER_SEC), MN_OK);
	/* a new record version: incarnation 1, version 2 of K's record */
	ck_assert_int_eq(sim_inject(s, K), MN_OK);
	ck_assert_int_eq(sim_run_until(s, 10 * MN_NS_PER_SEC), MN_OK);
	inc_before = swim_incarnation(node_swim(s, K));
	ck_assert_uint_ge(inc_before, 1);
	swim_counts(node_swim(s, K), &cnt);
	ck_assert_uint_eq(cnt.members, NODES);

	sim_crash(s, K);
	read_store(K, a);
	ck_assert_uint_eq(a->boot, 1); /* the first boot is number 1 */
	ck_assert_uint_eq(a->inc, inc_before);
	ck_assert_uint_eq(a->n, NODES); /* every record it held, its own too */
	ck_assert(a->has_self);

	ck_assert_int_eq(sim_restart(s, K), MN_OK);
	/* before any datagram: the same members, the same key, its own
	 * incarnation at least what it was */
	swim_counts(node_swim(s, K), &cnt);
	ck_assert_uint_eq(cnt.members, a->n);
	for (uint32_t i = 0; i < a->n; i++) {
		ck_assert_int_eq(swim_member(node_swim(s, K), a->key[i], &mi), MN_OK);
		ck_assert_uint_eq(mi.rec->len, a->len[i]);
		ck_assert_mem_eq(mi.rec->bytes, a->val[i], a->len[i]);
	}
	ck_assert_int_eq(swim_member(node_swim(s, K), a->pk, &mi), MN_OK);
	ck_assert_uint_ge(swim_incarnation(node_swim(s, K)), inc_before);

	ck_assert_int_eq(sim_run_until(s, 30 * MN_NS_PER_SEC), MN_OK);
	sim_crash(s, K);
	read_store(K, b);
	ck_assert_mem_eq(b->pk, a->pk, REC_PK_LEN);
	ck_assert_uint_eq(b->boot, a->boot + 1);
	ck_assert_uint_ge(b->inc, a->inc);
	ck_assert_uint_eq(b->n, NODES);
	ck_assert_int_eq(sim_restart(s, K), MN_OK);
	ck_assert_int_eq(sim_run(s), MN_OK);
	ck_assert_ptr_null(sim_error(s));
	ck_assert_uint_gt(simtest_counter(s, "store_commits"), NODES);
	sim_del(s);
	assert_cleaned_up();
	free(a);
	free(b);
}
END_TEST

/* While node is down: delete one record from its environment and overwrite
 * another (one commit of the test's own). */
static void tamper(uint32_t node, const uint8_t *del_key, const uint8_t *bad_key,
		   const uint8_t *bad_val, size_t bad_len)
{
	char dir[512];
	struct store *db;
	struct store_txn *t;

	simtest_node_dir(node, dir, sizeof(dir));
	ck_assert_int_eq(store_open_lmdb(&db, dir, 0), MN_OK);
	ck_assert_int_eq(store_txn_begin(db, &t), MN_OK);
	ck_assert_int_eq(store_del(t, STORE_MEMBERS, del_key, REC_PK_LEN), MN_OK);
	ck_assert_int_eq(store_put(t, STORE_MEMBERS, bad_key, REC_PK_LEN, bad_val, bad_len), MN_OK);
	ck_assert_int_eq(store_txn_commit(t), MN_OK);
	store_close(db);
}

START_TEST(lmdb_restore_reads_the_store)
{
	struct sim *s = simtest_sim(small_lmdb, NULL);
	struct stored *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct swim_counts cnt;
	struct swim_member_info mi;
	uint8_t bad[REC_MEMBER_MAX];
	uint32_t x = 0, z = 1;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	printf("lmdb_restore_reads_the_store seed=%llu\n", (unsigned long long)sim_scn(s)->seed);
	ck_assert_int_eq(sim_run_until(s, 5 * MN_NS_PER_SEC), MN_OK);
	sim_crash(s, K);
	read_store(K, a);
	ck_assert_uint_eq(a->n, NODES);
	/* two records of others: x deleted, z's last byte (its signature)
	 * flipped */
	if (memcmp(a->key[x], a->pk, REC_PK_LEN) == 0)
		x = 2;
	if (memcmp(a->key[z], a->pk, REC_PK_LEN) == 0)
		z = 2;
	memcpy(bad, a->val[z], a->len[z]);
	bad[a->len[z] - 1] ^= 1;
	tamper(K, a->key[x], a->key[z], bad, a->len[z]);

	ck_assert_int_eq(sim_restart(s, K), MN_OK);
	/* the memory stand-in still says K held all 16; LMDB says 15, one of
	 * which fails verification */
	swim_counts(node_swim(s, K), &cnt);
	ck_assert_uint_eq(cnt.members, NODES - 2);
	ck_assert_int_eq(swim_member(node_swim(s, K), a->key[x], &mi), MN_ENOENT);
	ck_assert_int_eq(swim_member(node_swim(s, K), a->key[z], &mi), MN_ENOENT);
	ck_assert_uint_eq(swim_stat(node_swim(s, K), SWIM_STAT_RECORDS_REFUSED), 1);
	for (uint32_t i = 0; i < a->n; i++)
		if (i != x && i != z)
			ck_assert_int_eq(swim_member(node_swim(s, K), a->key[i], &mi), MN_OK);

	/* the others still know x and z: push-pull brings them back, and
	 * each adoption is written to the store again */
	ck_assert_int_eq(sim_run_until(s, 90 * MN_NS_PER_SEC), MN_OK);
	swim_counts(node_swim(s, K), &cnt);
	ck_assert_uint_eq(cnt.members, NODES);
	sim_crash(s, K);
	read_store(K, b);
	ck_assert_uint_eq(b->n, NODES);
	for (uint32_t i = 0; i < b->n; i++) {
		ck_assert_mem_eq(b->key[i], a->key[i], REC_PK_LEN);
		ck_assert_uint_eq(b->len[i], a->len[i]);
		ck_assert_mem_eq(b->val[i], a->val[i], a->len[i]);
	}
	ck_assert_ptr_null(sim_error(s));
	sim_del(s);
	assert_cleaned_up();
	free(a);
	free(b);
}
END_TEST

static void rm_env(const char *dir, bool rmdir_too)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	ck_assert_int_eq(unlink(path), 0);
	if (rmdir_too)
		ck_assert_int_eq(rmdir(dir), 0);
}

/* A node whose store is gone cannot come back as itself (its key is
 * gone): the run stops, loudly, and still cleans up. */
START_TEST(lmdb_lost_store_stops_the_run)
{
	char dir[512];

	for (int keep_dir = 0; keep_dir < 2; keep_dir++) {
		struct sim *s = simtest_sim(small_lmdb, NULL);
		const char *err;

		printf("lmdb_lost_store_stops_the_run seed=%llu keep_dir=%d\n",
		       (unsigned long long)sim_scn(s)->seed, keep_dir);
		ck_assert_int_eq(sim_run_until(s, 5 * MN_NS_PER_SEC), MN_OK);
		sim_crash(s, K);
		simtest_node_dir(K, dir, sizeof(dir));
		rm_env(dir, !keep_dir);
		ck_assert_int_ne(sim_restart(s, K), MN_OK);
		err = sim_error(s);
		ck_assert_ptr_nonnull(err);
		printf("  %s\n", err);
		ck_assert_ptr_nonnull(strstr(err, "node 3: swim store: "));
		if (keep_dir)
			/* LMDB made a new, empty environment: no identity in it */
			ck_assert_ptr_nonnull(strstr(err, "identity key"));
		else
			ck_assert_ptr_nonnull(strstr(err, "opening"));
		ck_assert(!sim_node_up(s, K));
		ck_assert_int_ne(sim_run(s), MN_OK);
		ck_assert(!sim_passed(s));
		sim_del(s);
		assert_cleaned_up();
	}
}
END_TEST

static struct sim *run_crash_ci(const char *store, uint64_t seed)
{
	struct scn *s = malloc(sizeof(*s));
	char path[1024], line[64], err[SCN_ERR_LEN + 64];
	struct sim *sim;

	ck_assert_ptr_nonnull(s);
	snprintf(path, sizeof(path), "%s/swim-crash-ci.scn", SIM_SCENARIO_DIR);
	scn_init(s, NULL);
	ck_assert_msg(scn_load(s, path, err, sizeof(err)) == 0, "%s", err);
	snprintf(line, sizeof(line), "core_param store %s\n", store);
	ck_assert_msg(scn_feed(s, line, "test", 1, err, sizeof(err)) == 0, "%s", err);
	s->seed = seed;
	ck_assert_msg(scn_finish(s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(sim_new(&sim, s, NULL, err, sizeof(err)) == 0, "%s", err);
	free(s);
	printf("scenario swim-crash-ci.scn store %s seed=%llu\n", store, (unsigned long long)seed);
	fflush(stdout);
	/* memory: no directory; lmdb: one */
	ck_assert_int_eq(simtest_entries(simtest_tmpdir()), strcmp(store, "lmdb") == 0);
	sim_run(sim);
	ck_assert_msg(!sim_error(sim), "engine stopped: %s", sim_error(sim));
	ck_assert_msg(sim_passed(sim), "swim-crash-ci with store %s failed", store);
	return sim;
}

START_TEST(crash_ci_store_modes)
{
	char mem[TRACE_HEX_LEN], l1[TRACE_HEX_LEN], l2[TRACE_HEX_LEN];
	struct sim *s;

	s = run_crash_ci("memory", 1);
	ck_assert_uint_eq(simtest_counter(s, "store_commits"), 0);
	sim_trace_hex(s, mem);
	sim_del(s);

	s = run_crash_ci("lmdb", 1);
	/* one commit per boot and per preload at least; two restarts */
	ck_assert_uint_ge(simtest_counter(s, "store_commits"), 2 * 100 + 2);
	sim_trace_hex(s, l1);
	sim_del(s);
	s = run_crash_ci("lmdb", 1);
	sim_trace_hex(s, l2);
	sim_del(s);
	assert_cleaned_up();
	ck_assert_str_eq(l1, l2);
	/* the backend is not part of the run: the restarted nodes come back
	 * with the same key, records, incarnation and boot number either way */
	ck_assert_str_eq(l1, mem);
}
END_TEST

static Suite *swim_store_suite(void)
{
	Suite *s = suite_create("sim_swim_store");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300); /* bounds a wait (sanitizers, shared cores) */
	tcase_add_unchecked_fixture(tc, simtest_tmpdir_setup, simtest_tmpdir_teardown);
	tcase_add_test(tc, lmdb_restart_from_store);
	tcase_add_test(tc, lmdb_restore_reads_the_store);
	tcase_add_test(tc, lmdb_lost_store_stops_the_run);
	tcase_add_test(tc, crash_ci_store_modes);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(swim_store_suite)
