/* test_swim_revoke.c - revocation (`meshnode kick`) in the simulator with
 * core swim: the `revoke` action, its metrics, and the tombstones each node
 * keeps in its store (sim/README.md, "The swim core").
 *
 *   revoke_ci_and_determinism   swim-revoke-ci passes (the tombstones reach
 *                               every node up within its bound, no live node
 *                               keeps a revoked member); same seed, same
 *                               trace; store memory gives the same run as
 *                               LMDB (both restore tombstones alike)
 *   restart_keeps_the_tombstone a node restarted after a revocation holds
 *                               the tombstone before it hears anything, and
 *                               refuses the revoked member's record even
 *                               when its store still has it (LMDB); for an
 *                               admin's and a root's tombstone, with LMDB
 *                               and with store memory
 *
 * The test case runs in its own $TMPDIR (fixture); each test checks that
 * its runs left nothing in it. Seeds are printed. */
#include <check.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mn_err.h"
#include "record.h"
#include "scn.h"
#include "sim.h"
#include "simtest.h"
#include "store.h"
#include "swim.h"
#include "swim_core.h"

enum { NODES = 16, K = 3, T = 9, C = 0 }; /* K restarts, T is revoked, C revokes */

static const struct swim *node_swim(const struct sim *s, uint32_t node)
{
	ck_assert(sim_node_up(s, node));
	return swim_core_swim(sim_core(s, node));
}

/* ---- the CI scenario ---- */

static struct sim *run_ci(const char *store, uint64_t seed)
{
	struct scn *s = malloc(sizeof(*s));
	char path[1024], line[64], err[SCN_ERR_LEN + 64];
	struct sim *sim;

	ck_assert_ptr_nonnull(s);
	snprintf(path, sizeof(path), "%s/swim-revoke-ci.scn", SIM_SCENARIO_DIR);
	scn_init(s, NULL);
	ck_assert_msg(scn_load(s, path, err, sizeof(err)) == 0, "%s", err);
	snprintf(line, sizeof(line), "core_param store %s\n", store);
	ck_assert_msg(scn_feed(s, line, "test", 1, err, sizeof(err)) == 0, "%s", err);
	s->seed = seed;
	ck_assert_msg(scn_finish(s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(sim_new(&sim, s, NULL, err, sizeof(err)) == 0, "%s", err);
	free(s);
	printf("scenario swim-revoke-ci.scn store %s seed=%llu\n", store, (unsigned long long)seed);
	fflush(stdout);
	sim_run(sim);
	return sim;
}

START_TEST(revoke_ci_and_determinism)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN], m[TRACE_HEX_LEN];
	struct sim *s = run_ci("lmdb", 1);

	simtest_assert_passed(s, "swim-revoke-ci");
	/* the two revoked nodes are gone for good; node 7 came back, and the
	 * two crashed at 100 s */
	ck_assert(sim_node_revoked(s, 3));
	ck_assert(sim_node_revoked(s, 5));
	ck_assert(!sim_node_up(s, 3));
	ck_assert(sim_node_up(s, 7));
	ck_assert_int_eq(simtest_metric(s, "up"), 98 * 1000);
	ck_assert_int_eq(simtest_metric(s, "crashes"), 4 * 1000);
	ck_assert_int_eq(simtest_metric(s, "restarts"), 3 * 1000);
	ck_assert_int_eq(simtest_metric(s, "datums"), 0); /* tombstones are not record versions */
	for (uint32_t i = 0; i < sim_nodes(s); i++) {
		struct swim_counts cnt;
		if (!sim_node_up(s, i))
			continue;
		swim_counts(node_swim(s, i), &cnt);
		ck_assert_uint_eq(cnt.tombs, 2);
		ck_assert_uint_eq(cnt.members, 98);
	}
	printf("swim-revoke-ci: tombstones reach 50/99/100%% in %lld/%lld/%lld us, "
	       "agreement %lld ms after the restarts\n",
	       (long long)simtest_metric(s, "revoke_reach50_ms"),
	       (long long)simtest_metric(s, "revoke_reach99_ms"),
	       (long long)simtest_metric(s, "revoke_reach100_ms"),
	       (long long)simtest_metric(s, "converge_ms") / 1000);
	sim_trace_hex(s, a);
	sim_del(s);

	s = run_ci("lmdb", 1);
	sim_trace_hex(s, b);
	sim_del(s);
	ck_assert_str_eq(a, b);
	/* the backend is not part of the run: restarts come back with the same
	 * tombstones, restored in the same order */
	s = run_ci("memory", 1);
	simtest_assert_passed(s, "swim-revoke-ci");
	sim_trace_hex(s, m);
	sim_del(s);
	ck_assert_str_eq(a, m);
	ck_assert_int_eq(simtest_entries(simtest_tmpdir()), 0);
}
END_TEST

/* ---- a restart after a revocation ---- */

/* A small established network; the test revokes, crashes and restarts. */
static struct sim *small(const char *store, const char *revoker)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "core swim\n"
		 "core_param preload 1\n"
		 "core_param store %s\n"
		 "core_param revoker %s\n"
		 "nodes %d\n"
		 "profile lan\n"
		 "seed 5\n"
		 "duration 60s\n",
		 store, revoker, NODES);
	return simtest_sim(text, NULL);
}

struct stored_tombs {
	uint32_t n;
	uint8_t key[4][STORE_MAX_KEY];
	size_t klen[4];
	uint8_t val[4][REC_REVOKE_MAX];
	size_t vlen[4];
};

static int collect_tomb(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct stored_tombs *st = ctx;

	ck_assert_uint_lt(st->n, 4);
	ck_assert_uint_le(kl, STORE_MAX_KEY);
	ck_assert_uint_le(vl, REC_REVOKE_MAX);
	memcpy(st->key[st->n], k, kl);
	st->klen[st->n] = kl;
	memcpy(st->val[st->n], v, vl);
	st->vlen[st->n++] = vl;
	return 0;
}

/* Whether STORE_MEMBERS holds pk. */
struct has_pk {
	const uint8_t *pk;
	bool found;
};

static int find_member(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct has_pk *h = ctx;

	(void)v;
	(void)vl;
	if (kl == REC_PK_LEN && memcmp(k, h->pk, REC_PK_LEN) == 0)
		h->found = true;
	return 0;
}

/* Read while the node is down (one process must not open an environment
 * twice): STORE_REVOKED, and whether STORE_MEMBERS holds pk. */
static bool read_store(uint32_t node, struct stored_tombs *st, const uint8_t *pk)
{
	char dir[512];
	struct store *db;
	struct has_pk h = { pk, false };

	simtest_node_dir(node, dir, sizeof(dir));
	memset(st, 0, sizeof(*st));
	ck_assert_int_eq(store_open_lmdb(&db, dir, 0), MN_OK);
	ck_assert_int_eq(store_foreach(db, STORE_REVOKED, collect_tomb, st), MN_OK);
	ck_assert_int_eq(store_foreach(db, STORE_MEMBERS, find_member, &h), MN_OK);
	store_close(db);
	return h.found;
}

/* Put a record back into node's STORE_MEMBERS: a store that still holds a
 * revoked member (written back from a backup, say). */
static void put_member(uint32_t node, const uint8_t *pk, const uint8_t *rec, size_t len)
{
	char dir[512];
	struct store *db;
	struct store_txn *t;

	simtest_node_dir(node, dir, sizeof(dir));
	ck_assert_int_eq(store_open_lmdb(&db, dir, 0), MN_OK);
	ck_assert_int_eq(store_txn_begin(db, &t), MN_OK);
	ck_assert_int_eq(store_put(t, STORE_MEMBERS, pk, REC_PK_LEN, rec, len), MN_OK);
	ck_assert_int_eq(store_txn_commit(t), MN_OK);
	store_close(db);
}

/* Every node up holds the one tombstone and has dropped pk; the tombstone
 * is effective on all but `pending` (NODES: none), where no record names pk
 * (an admin's tombstone then waits for one, swim.h). */
static void assert_dropped_everywhere(const struct sim *s, const uint8_t *pk, uint32_t pending)
{
	struct swim_member_info mi;
	struct swim_counts cnt;

	for (uint32_t i = 0; i < NODES; i++) {
		if (!sim_node_up(s, i))
			continue;
		swim_counts(node_swim(s, i), &cnt);
		ck_assert_uint_eq(cnt.tombs, 1);
		ck_assert_uint_eq(cnt.members, NODES - 1);
		ck_assert_int_eq(swim_member(node_swim(s, i), pk, &mi), MN_ENOENT);
		ck_assert(swim_revoked(node_swim(s, i), pk) == (i != pending));
	}
}

/* K's store after the revocation: the one tombstone, under the hash of
 * its bytes, against pk, signed as asked; pk's record deleted when K
 * dropped it. */
static void assert_stored(const uint8_t *pk, bool root)
{
	struct stored_tombs *st = malloc(sizeof(*st));
	struct rec_revoke t;
	uint8_t id[32];

	ck_assert_ptr_nonnull(st);
	ck_assert(!read_store(K, st, pk));
	ck_assert_uint_eq(st->n, 1);
	ck_assert_uint_eq(st->klen[0], sizeof(id));
	crypto_generichash(id, sizeof(id), st->val[0], st->vlen[0], NULL, 0);
	ck_assert_mem_eq(st->key[0], id, sizeof(id));
	ck_assert_int_eq(rec_revoke_decode(&t, st->val[0], st->vlen[0]), MN_OK);
	ck_assert_mem_eq(t.target_pk, pk, REC_PK_LEN);
	ck_assert_int_eq(t.signer, root ? REC_BY_ROOT : REC_BY_ADMIN);
	free(st);
}

static void restart_keeps(const char *store, const char *revoker)
{
	bool lmdb = strcmp(store, "lmdb") == 0, root = strcmp(revoker, "root") == 0;
	struct sim *s = small(store, revoker);
	struct swim_counts cnt;
	struct swim_member_info mi;
	uint8_t pk[REC_PK_LEN], rec[REC_MEMBER_MAX];
	size_t len;

	printf("restart_keeps_the_tombstone store %s revoker %s seed=%llu\n", store, revoker,
	       (unsigned long long)sim_scn(s)->seed);
	ck_assert_int_eq(sim_run_until(s, 5 * MN_NS_PER_SEC), MN_OK);
	/* T's key, and its record as the others hold it */
	memcpy(pk, swim_core_pk(sim_core(s, T)), REC_PK_LEN);
	ck_assert_int_eq(swim_member(node_swim(s, K), pk, &mi), MN_OK);
	len = mi.rec->len;
	memcpy(rec, mi.rec->bytes, len);

	ck_assert_int_eq(sim_revoke(s, T, T), MN_ESTATE); /* not its own carrier */
	ck_assert_int_eq(sim_revoke(s, T, C), MN_OK);
	ck_assert(sim_node_revoked(s, T));
	ck_assert(!sim_node_up(s, T));
	ck_assert_int_eq(sim_revoke(s, T, C), MN_ESTATE); /* once */
	ck_assert_int_eq(sim_restart(s, T), MN_ESTATE);  /* for good */
	ck_assert_int_eq(sim_run_until(s, 15 * MN_NS_PER_SEC), MN_OK);
	assert_dropped_everywhere(s, pk, NODES);
	ck_assert_int_eq(simtest_metric(s, "revocations"), 1000);
	ck_assert_int_eq(simtest_metric(s, "revocations_incomplete"), 0);
	ck_assert_int_eq(simtest_metric(s, "revoked_held"), 0);

	sim_crash(s, K);
	if (lmdb) {
		assert_stored(pk, root);
		/* the store holds T again: only the stored tombstone stands
		 * between the restart and T */
		put_member(K, pk, rec, len);
	}
	ck_assert_int_eq(sim_restart(s, K), MN_OK);
	/* before any datagram: the tombstone is back from the store */
	swim_counts(node_swim(s, K), &cnt);
	ck_assert_uint_eq(cnt.tombs, 1);
	ck_assert_uint_eq(cnt.members, NODES - 1);
	ck_assert_int_eq(swim_member(node_swim(s, K), pk, &mi), MN_ENOENT);
	if (lmdb) {
		/* T's record came back from the store and was refused; an
		 * admin's tombstone, pending while no record named T, took
		 * effect on it */
		ck_assert(swim_revoked(node_swim(s, K), pk));
		ck_assert_uint_eq(swim_stat(node_swim(s, K), SWIM_STAT_RECORDS_REFUSED), 1);
	} else {
		/* no record names T here: a root's tombstone is effective, an
		 * admin's waits for one (swim.h) */
		ck_assert(swim_revoked(node_swim(s, K), pk) == root);
	}
	ck_assert_int_eq(sim_run(s), MN_OK);
	ck_assert_ptr_null(sim_error(s));
	ck_assert(sim_passed(s));
	assert_dropped_everywhere(s, pk, lmdb || root ? NODES : K);
	ck_assert_int_eq(simtest_metric(s, "revoked_held"), 0);
	ck_assert_int_eq(simtest_metric(s, "undetected"), 0);
	sim_del(s);
	ck_assert_int_eq(simtest_entries(simtest_tmpdir()), 0);
}

START_TEST(restart_keeps_the_tombstone)
{
	restart_keeps("lmdb", "admin");
	restart_keeps("lmdb", "root");
	restart_keeps("memory", "admin");
	restart_keeps("memory", "root");
}
END_TEST

static Suite *swim_revoke_suite(void)
{
	Suite *s = suite_create("sim_swim_revoke");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300); /* bounds a wait (sanitizers, shared cores) */
	tcase_add_unchecked_fixture(tc, simtest_tmpdir_setup, simtest_tmpdir_teardown);
	tcase_add_test(tc, restart_keeps_the_tombstone);
	tcase_add_test(tc, revoke_ci_and_determinism);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(swim_revoke_suite)
