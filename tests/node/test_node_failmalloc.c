/* Allocation failure inside the node core (nghttp2's failmalloc_test):
 * fail the i-th allocation in turn, once or from then on (sticky), while a
 * node starts, learns a member (which makes a WireGuard peer with its
 * prefixes), and drops it again. Every call must answer MN_OK or MN_ENOMEM
 * (or what it answers with allocations working); a member without its peer
 * or prefixes must be counted (PEER_FAILED, PREFIX_FAILED). Afterwards,
 * with allocations working again, a newer record makes the peer whole, and
 * every block allocated is freed (failmalloc_live(); and LeakSanitizer in
 * the sanitizer build). */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "node_net.h"
#include "wg/failmalloc.h"

#define FM_MAX_STEPS 2000

/* libcheck allocates in its asserts: while allocations fail, the first
 * broken rule is noted here and asserted after disarming. */
static char broken[200];

static void note(bool ok, const char *what, int rc)
{
	if (!ok && !broken[0])
		snprintf(broken, sizeof(broken), "%s: rc %d", what, rc);
}

struct fm {
	struct gfix f;
	struct rec_key self, other;
	uint8_t self_rec[REC_MEMBER_MAX], v1[REC_MEMBER_MAX], v2[REC_MEMBER_MAX];
	size_t self_len, v1_len, v2_len;
	struct mn_addr other_addr;
	struct mn_seeded_rng srng;
};

static struct mn_time fm_now(void)
{
	struct mn_time t = { MONO0, GF_T0_MS * MN_NS_PER_MS + 3600 * MN_NS_PER_SEC };
	return t;
}

/* One run with allocation n failing (sticky: and every later one). true
 * when no allocation failed (the run went through). */
static bool fm_run(struct fm *x, unsigned long n, bool sticky)
{
	struct node_config c;
	struct node *nd = NULL;
	struct node_peer_info pi;
	unsigned long failed;
	long base;
	int rc;

	node_config_for(&c, &x->f.net, &x->self, x->self_rec, x->self_len, &x->srng, x->f.seed + n);

	failmalloc_track(true);
	base = failmalloc_live();
	failmalloc_arm(n, sticky);
	rc = node_new(&nd, &c, fm_now());
	note(rc == MN_OK || rc == MN_ENOMEM, "node_new answered", rc);
	note((rc == MN_OK) == (nd != NULL), "node_new and its node", rc);
	if (nd) {
		rc = swim_learn(node_swim(nd), x->v1, x->v1_len, &x->other_addr, fm_now());
		note(rc == MN_OK || rc == MN_ENOMEM, "learn answered", rc);
		if (rc == MN_OK) {
			bool peer = node_peer(nd, x->other.pk, &pi) == MN_OK;
			note(peer || node_stat(nd, NODE_STAT_PEER_FAILED) > 0,
			     "a member without a peer, not counted", rc);
			note(!peer || pi.nprefixes == 2 ||
				     node_stat(nd, NODE_STAT_PREFIX_FAILED) > 0,
			     "a peer missing prefixes, not counted", rc);
		}
	}
	failed = failmalloc_failed();
	failmalloc_disarm();
	ck_assert_msg(!broken[0], "n=%lu sticky=%d: %s", n, sticky, broken);
	if (nd) {
		/* a newer version, allocations working: the peer is whole */
		ck_assert_int_eq(swim_learn(node_swim(nd), x->v2, x->v2_len, &x->other_addr,
					    fm_now()), MN_OK);
		ck_assert_int_eq(node_peer(nd, x->other.pk, &pi), MN_OK);
		ck_assert_uint_eq(pi.nprefixes, 2);
		ck_assert_uint_eq(swim_remove(node_swim(nd), x->other.pk, fm_now()), 1);
		ck_assert_uint_eq(node_peer_count(nd), 0);
		node_del(nd);
	}
	ck_assert_int_eq(failmalloc_live(), base);
	failmalloc_track(false);
	return failed == 0;
}

START_TEST(test_node_failmalloc)
{
	struct fm *x = calloc(1, sizeof(*x));
	unsigned long n;

	ck_assert_ptr_nonnull(x);
	gfix_init(&x->f, gfix_seed("test_node_failmalloc", 31));
	rec_key_generate(&x->self, &x->f.rng);
	rec_key_generate(&x->other, &x->f.rng);
	gfix_record(&x->f, &x->self, 0, GF_T0_MS + 5000, NULL, x->self_rec, sizeof(x->self_rec),
		    &x->self_len);
	gfix_record(&x->f, &x->other, 1, GF_T0_MS + 5000, NULL, x->v1, sizeof(x->v1), &x->v1_len);
	gfix_record(&x->f, &x->other, 1, GF_T0_MS + 6000, NULL, x->v2, sizeof(x->v2), &x->v2_len);
	vnet_host(2, &x->other_addr);
	for (int sticky = 0; sticky <= 1; sticky++) {
		for (n = 0; n < FM_MAX_STEPS && !fm_run(x, n, sticky); n++)
			;
		ck_assert_uint_lt(n, FM_MAX_STEPS);
		printf("test_node_failmalloc: %s: %lu allocations failed in turn\n",
		       sticky ? "sticky" : "once", n);
	}
	rec_key_wipe(&x->self);
	rec_key_wipe(&x->other);
	gfix_free(&x->f);
	free(x);
}
END_TEST

static Suite *node_failmalloc_suite(void)
{
	Suite *s = suite_create("node_failmalloc");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_node_failmalloc);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(node_failmalloc_suite)
