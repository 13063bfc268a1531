/* test_swim_persist.c - store/swim_persist: a swim node's state written
 * from its events (one transaction per call), read back at a restart as
 * it was written, and failures reported through the hook. The simulator's
 * swim scenarios run it end to end (tests/sim/test_swim_store.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* rmdir */

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "store.h"
#include "storetest.h"
#include "swim_persist.h"

static char root[64], node_dir[96];

struct seen {
	int fails, last_err, commits, writes;
	char why[SWIM_PERSIST_WHY_LEN];
};

static void on_fail(void *ctx, int err, const char *why)
{
	struct seen *s = ctx;
	s->fails++;
	s->last_err = err;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void on_count(void *ctx, enum swim_persist_count what)
{
	struct seen *s = ctx;
	if (what == SWIM_PERSIST_COMMITS)
		s->commits++;
	else
		s->writes++;
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/mnpersist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(node_dir, sizeof(node_dir), "%s/7", root);
}

static void teardown(void)
{
	storetest_rm_env(node_dir);
	rmdir(root);
}

static void key_of(struct rec_key *k, uint64_t seed)
{
	struct mn_seeded_rng s;
	mn_seeded_rng_init(&s, seed);
	struct mn_rng r = mn_seeded_rng_iface(&s);
	rec_key_generate(k, &r);
}

/* A record as swim reports it: only pk, len and bytes are read. */
static struct swim_rec *fake_rec(const uint8_t pk[REC_PK_LEN], uint8_t fill, uint16_t len)
{
	struct swim_rec *r = calloc(1, sizeof(*r) + len);
	ck_assert_ptr_nonnull(r);
	memcpy(r->pk, pk, REC_PK_LEN);
	r->len = len;
	memset(r->bytes, fill, len);
	return r;
}

static int count_rec(void *ctx, const uint8_t *pk, size_t pklen, const uint8_t *rec, size_t len)
{
	(void)pk;
	(void)rec;
	(void)len;
	ck_assert_uint_eq(pklen, REC_PK_LEN);
	(*(int *)ctx)++;
	return 0;
}

START_TEST(first_boot_then_restart)
{
	struct seen seen = { 0 };
	const struct swim_persist_hooks hooks = { .ctx = &seen, .fail = on_fail, .count = on_count };
	struct swim_persist *sp;
	struct rec_key me, other, back;
	struct swim_rec *mine, *theirs;
	uint8_t tomb[40], buf[REC_MEMBER_MAX];
	uint32_t inc, boot;
	bool inc_lost;
	size_t len;

	key_of(&me, 1);
	key_of(&other, 2);
	mine = fake_rec(me.pk, 0xaa, 300);
	theirs = fake_rec(other.pk, 0xbb, 200);
	memset(tomb, 0x5c, sizeof(tomb));

	/* first boot: one call's writes are one transaction */
	ck_assert_int_eq(swim_persist_open(&sp, node_dir, 1 << 20, STORE_NOSYNC, true, &hooks),
			 MN_OK);
	ck_assert_int_eq(swim_persist_first_boot(sp, &me), MN_OK);
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_BOOT, .boot = 4 });
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_RECORD, .rec = mine });
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_RECORD, .rec = theirs });
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_SELF_INC, .inc = 9 });
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_REVOKED, .tomb = tomb,
						     .tomb_len = sizeof(tomb) });
	ck_assert_int_eq(seen.commits, 0);
	swim_persist_commit(sp);
	ck_assert_int_eq(seen.commits, 1);
	ck_assert_int_eq(seen.writes, 7); /* identity, inc 0, boot, 2 records, inc, tombstone */
	/* what swim reports while being restored is not written back */
	swim_persist_restoring(sp, true);
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_RECORD, .rec = theirs });
	swim_persist_restoring(sp, false);
	swim_persist_commit(sp);
	ck_assert_int_eq(seen.commits, 1);
	/* an uncommitted delete is lost at close */
	swim_persist_event(sp, &(struct swim_event){ .kind = SWIM_EV_REMOVED, .rec = theirs });
	swim_persist_close(sp);

	/* restart: everything comes back as written */
	ck_assert_int_eq(swim_persist_open(&sp, node_dir, 1 << 20, STORE_NOSYNC, false, &hooks),
			 MN_OK);
	ck_assert_int_eq(swim_persist_load_meta(sp, me.pk, &back, &inc, &inc_lost, &boot), MN_OK);
	ck_assert_mem_eq(back.pk, me.pk, REC_PK_LEN);
	ck_assert_uint_eq(inc, 9);
	ck_assert(!inc_lost);
	ck_assert_uint_eq(boot, 4);
	ck_assert_int_eq(swim_persist_load_self(sp, me.pk, buf, sizeof(buf), &len), MN_OK);
	ck_assert_uint_eq(len, 300);
	ck_assert_mem_eq(buf, mine->bytes, 300);
	int nrec = 0;
	ck_assert_int_eq(swim_persist_foreach_record(sp, count_rec, &nrec), MN_OK);
	ck_assert_int_eq(nrec, 2);
	struct swim_persist_tombs tombs = { 0 };
	ck_assert_int_eq(swim_persist_read_tombs(sp, &tombs), MN_OK);
	ck_assert_uint_eq(tombs.n, 1);
	ck_assert_uint_eq(tombs.v[0].len, sizeof(tomb));
	ck_assert_mem_eq(tombs.v[0].bytes, tomb, sizeof(tomb));
	uint8_t id[SWIM_PERSIST_TOMB_ID_LEN];
	swim_persist_tomb_id(tomb, sizeof(tomb), id);
	ck_assert_mem_eq(tombs.v[0].id, id, sizeof(id));
	swim_persist_tombs_free(&tombs);
	ck_assert_int_eq(seen.fails, 0);

	/* the store of another key is refused, through the hook */
	ck_assert_int_eq(swim_persist_load_meta(sp, other.pk, &back, &inc, &inc_lost, &boot),
			 MN_EAUTH);
	ck_assert_int_eq(seen.fails, 1);
	ck_assert_int_eq(swim_persist_failed(sp), MN_EAUTH);
	ck_assert_str_eq(seen.why, "swim store: identity key of another node: "
				   "authentication failed");
	swim_persist_close(sp);
	rec_key_wipe(&me);
	rec_key_wipe(&other);
	rec_key_wipe(&back);
	free(mine);
	free(theirs);
}
END_TEST

START_TEST(failures_name_the_step)
{
	struct seen seen = { 0 };
	const struct swim_persist_hooks hooks = { .ctx = &seen, .fail = on_fail };
	struct swim_persist *sp = (void *)1;
	struct rec_key k, back;
	uint32_t inc, boot;
	bool inc_lost;
	char dir[160];

	/* no such parent directory */
	snprintf(dir, sizeof(dir), "%s/none/7", root);
	ck_assert_int_eq(swim_persist_open(&sp, dir, 1 << 20, 0, true, &hooks), MN_EIO);
	ck_assert_ptr_null(sp);
	ck_assert_int_eq(seen.fails, 1);
	ck_assert_ptr_nonnull(strstr(seen.why, "swim store: mkdir "));
	/* an empty environment: the identity is lost */
	ck_assert_int_eq(swim_persist_open(&sp, node_dir, 1 << 20, 0, true, &hooks), MN_OK);
	ck_assert_int_eq(swim_persist_load_meta(sp, NULL, &back, &inc, &inc_lost, &boot),
			 MN_ENOENT);
	ck_assert_ptr_nonnull(strstr(seen.why, "swim store: identity key: "));
	/* and after a failure nothing is written */
	key_of(&k, 3);
	ck_assert_int_eq(swim_persist_first_boot(sp, &k), MN_ENOENT);
	swim_persist_commit(sp);
	swim_persist_close(sp);
	rec_key_wipe(&k);
}
END_TEST

START_TEST(tombstones_in_id_order)
{
	struct swim_persist_tombs t = { 0 };
	uint8_t a[REC_REVOKE_MAX + 1], id[SWIM_PERSIST_TOMB_ID_LEN];

	for (int i = 0; i < 20; i++) {
		memset(a, i, 40);
		swim_persist_tomb_id(a, 40, id);
		ck_assert_int_eq(swim_persist_tombs_put(&t, id, a, 40), MN_OK);
		ck_assert_int_eq(swim_persist_tombs_put(&t, id, a, 40), MN_OK); /* kept once */
	}
	ck_assert_uint_eq(t.n, 20);
	for (uint32_t i = 1; i < t.n; i++)
		ck_assert_int_lt(memcmp(t.v[i - 1].id, t.v[i].id, SWIM_PERSIST_TOMB_ID_LEN), 0);
	memset(id, 0xff, sizeof(id));
	ck_assert_int_eq(swim_persist_tombs_put(&t, id, a, sizeof(a)), MN_EMSGSIZE);
	swim_persist_tombs_free(&t);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

static Suite *swim_persist_suite(void)
{
	Suite *s = suite_create("store_swim_persist");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_boot_then_restart);
	tcase_add_test(tc, failures_name_the_step);
	tcase_add_test(tc, tombstones_in_id_order);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(swim_persist_suite)
