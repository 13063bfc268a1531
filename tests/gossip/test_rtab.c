/* Tests for gossip/rtab: the shared record table against a naive model
 * (reference counts per distinct record), pinned records, and the limit.
 * The store interface is driven directly with arbitrary bytes: the table
 * trusts its caller (swim) to have verified them. Seeds are printed
 * (MN_TEST_SEED). */
#include <string.h>

#include "check_main.h"
#include "gossip_fixture.h"
#include "rtab.h"
#include "swim.h"

#define MODEL_N 40 /* distinct records the model draws from */
#define MAX_HELD 24

struct model {
	uint8_t bytes[MODEL_N][64];
	size_t len[MODEL_N];
	uint32_t refs[MODEL_N];
	bool pinned[MODEL_N];
	const struct swim_rec *rec[MODEL_N];
};

static uint32_t held(const struct model *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < MODEL_N; i++)
		n += m->refs[i] || m->pinned[i];
	return n;
}

/* Random add / find / release against the model: the table holds exactly
 * the records with a reference or a pin, finds exactly those, and frees
 * the rest (their places are reused: the table never fills up with
 * released records). Exercises the slot table's backward-shift deletion. */
START_TEST(test_rtab_model)
{
	uint64_t seed = gfix_seed("test_rtab_model", 0x7ab1);
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rtab *t;
	struct swim_store st;
	struct rec_member dm;
	struct model *m = calloc(1, sizeof(*m));
	uint32_t full = 0;

	ck_assert_ptr_nonnull(m);
	mn_seeded_rng_init(&srng, seed);
	rng = mn_seeded_rng_iface(&srng);
	memset(&dm, 0, sizeof(dm));
	for (uint32_t i = 0; i < MODEL_N; i++) {
		m->len[i] = 8 + mn_rng_uniform(&rng, 56);
		mn_rng_bytes(&rng, m->bytes[i], m->len[i]);
		m->bytes[i][0] = (uint8_t)i; /* distinct */
	}
	ck_assert_int_eq(rtab_new(&t, MAX_HELD), MN_OK);
	rtab_store(t, &st);
	for (uint32_t step = 0; step < 20000; step++) {
		uint32_t i = mn_rng_uniform(&rng, MODEL_N);
		uint32_t op = mn_rng_uniform(&rng, 3);
		const struct swim_rec *r;
		if (op == 0) {
			r = st.add(st.ctx, m->bytes[i], m->len[i], &dm);
			if (!m->refs[i] && !m->pinned[i] && held(m) >= MAX_HELD) {
				ck_assert_ptr_null(r);
				full++;
				continue;
			}
			ck_assert_ptr_nonnull(r);
			if (m->refs[i] || m->pinned[i])
				ck_assert_ptr_eq(r, m->rec[i]);
			m->rec[i] = r;
			m->refs[i]++;
		} else if (op == 1) {
			r = st.find(st.ctx, m->bytes[i], m->len[i]);
			if (!m->refs[i] && !m->pinned[i]) {
				ck_assert_ptr_null(r);
				continue;
			}
			ck_assert_ptr_eq(r, m->rec[i]);
			ck_assert_mem_eq(r->bytes, m->bytes[i], m->len[i]);
			m->refs[i]++;
		} else if (m->refs[i]) {
			st.release(st.ctx, m->rec[i]);
			m->refs[i]--;
			if (!m->refs[i] && !m->pinned[i])
				m->rec[i] = NULL;
		}
		ck_assert_uint_eq(rtab_count(t), held(m));
	}
	ck_assert_uint_gt(full, 0);
	rtab_del(t);
	free(m);
}
END_TEST

/* A pinned record (rtab_add_verified) outlives every release, and swim may
 * be handed it without a reference. */
START_TEST(test_rtab_pinned)
{
	struct gfix f;
	struct rec_key k;
	uint8_t rec[REC_MEMBER_MAX];
	size_t len;
	struct rtab *t;
	struct swim_store st;
	const struct swim_rec *r, *p;
	struct rec_member dm;

	gfix_init(&f, gfix_seed("test_rtab_pinned", 0x7ab2));
	rec_key_generate(&k, &f.rng);
	gfix_record(&f, &k, 1, 5, NULL, rec, sizeof(rec), &len);
	ck_assert_int_eq(rtab_new(&t, 1), MN_OK);
	rtab_store(t, &st);
	/* learned by swim first (counted), then pinned by its owner */
	ck_assert_int_eq(rec_member_decode(&dm, rec, len), MN_OK);
	r = st.add(st.ctx, rec, len, &dm);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(rtab_add_verified(t, &f.net, rec, len, 7, NULL, NULL, &p), MN_OK);
	ck_assert_ptr_eq(p, r);
	ck_assert_uint_eq(p->user, 7);
	st.release(st.ctx, r);
	st.release(st.ctx, r); /* unbalanced: ignored for a pinned record */
	ck_assert_uint_eq(rtab_count(t), 1);
	ck_assert_ptr_eq(st.find(st.ctx, rec, len), p);
	rtab_del(t);
	rec_key_wipe(&k);
	gfix_free(&f);
}
END_TEST

static Suite *rtab_suite(void)
{
	Suite *s = suite_create("rtab");
	TCase *tc = tcase_create("rtab");

	tcase_add_test(tc, test_rtab_model);
	tcase_add_test(tc, test_rtab_pinned);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(rtab_suite)
