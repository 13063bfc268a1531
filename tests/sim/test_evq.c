/* test_evq.c - the event queue against a naive sorted list. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "evq.h"
#include "mn_err.h"
#include "mn_rng.h"

START_TEST(ties_run_in_schedule_order)
{
	struct evq q;
	ck_assert_int_eq(evq_init(&q, 1000), 0);
	/* interleave two instants; within one, the push order must hold */
	for (uint32_t i = 0; i < 200; i++)
		ck_assert_int_eq(evq_push(&q, i % 2 ? 5 : 7, 0, i, NULL), 0);
	struct evq_ev e;
	uint32_t expect_odd = 1, expect_even = 0;
	for (uint32_t i = 0; i < 200; i++) {
		ck_assert(evq_pop(&q, &e));
		if (i < 100) {
			ck_assert_uint_eq(e.time, 5);
			ck_assert_uint_eq(e.ref, expect_odd);
			expect_odd += 2;
		} else {
			ck_assert_uint_eq(e.time, 7);
			ck_assert_uint_eq(e.ref, expect_even);
			expect_even += 2;
		}
	}
	ck_assert(!evq_pop(&q, &e));
	evq_free(&q);
}
END_TEST

START_TEST(seq_numbers_increase)
{
	struct evq q;
	uint64_t a, b;
	ck_assert_int_eq(evq_init(&q, 10), 0);
	ck_assert_int_eq(evq_push(&q, 100, 0, 0, &a), 0);
	ck_assert_int_eq(evq_push(&q, 1, 0, 0, &b), 0);
	ck_assert_uint_gt(a, 0);
	ck_assert_uint_eq(b, a + 1);
	evq_free(&q);
}
END_TEST

START_TEST(cap_is_enforced)
{
	struct evq q;
	ck_assert_int_eq(evq_init(&q, 3), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(evq_push(&q, (mn_ns)i, 0, 0, NULL), 0);
	ck_assert_int_eq(evq_push(&q, 9, 0, 0, NULL), MN_EFULL);
	struct evq_ev e;
	ck_assert(evq_pop(&q, &e));
	ck_assert_int_eq(evq_push(&q, 9, 0, 0, NULL), 0);
	evq_free(&q);
}
END_TEST

/* The reference: an array kept sorted by (time, seq) with insertion. */
struct ref {
	struct evq_ev *v;
	size_t len;
};

static void ref_push(struct ref *r, struct evq_ev e)
{
	size_t i = r->len;
	while (i > 0 && evq_before(&e, &r->v[i - 1])) {
		r->v[i] = r->v[i - 1];
		i--;
	}
	r->v[i] = e;
	r->len++;
}

static struct evq_ev ref_pop(struct ref *r)
{
	struct evq_ev e = r->v[0];
	memmove(r->v, r->v + 1, (r->len - 1) * sizeof(*r->v));
	r->len--;
	return e;
}

START_TEST(heap_matches_sorted_list)
{
	const uint64_t seed = 0x5eed0001;
	printf("evq heap_matches_sorted_list seed=%llu\n", (unsigned long long)seed);
	struct mn_seeded_rng sr;
	mn_seeded_rng_init(&sr, seed);
	struct mn_rng rng = mn_seeded_rng_iface(&sr);
	enum { OPS = 40000, MAXLEN = 4096 };
	struct evq q;
	struct ref r = { malloc(MAXLEN * sizeof(struct evq_ev)), 0 };
	ck_assert_ptr_nonnull(r.v);
	ck_assert_int_eq(evq_init(&q, MAXLEN), 0);
	mn_ns now = 0;
	for (int op = 0; op < OPS; op++) {
		/* bursts of pushes and pops; few distinct times so ties abound */
		bool do_push = r.len == 0 || (r.len < MAXLEN && mn_rng_uniform(&rng, 100) < 55);
		if (do_push) {
			mn_ns t = now + mn_rng_uniform(&rng, 8);
			uint32_t ref = mn_rng_u32(&rng);
			uint64_t seq;
			ck_assert_int_eq(evq_push(&q, t, ref & 7, ref, &seq), 0);
			ref_push(&r, (struct evq_ev){ .time = t, .seq = seq, .ref = ref, .kind = ref & 7 });
		} else {
			struct evq_ev a, b = ref_pop(&r);
			ck_assert(evq_pop(&q, &a));
			ck_assert_uint_eq(a.time, b.time);
			ck_assert_uint_eq(a.seq, b.seq);
			ck_assert_uint_eq(a.ref, b.ref);
			ck_assert_uint_eq(a.kind, b.kind);
			ck_assert(a.time >= now);
			now = a.time;
		}
		ck_assert_uint_eq(evq_len(&q), r.len);
	}
	while (r.len) {
		struct evq_ev a, b = ref_pop(&r);
		ck_assert(evq_pop(&q, &a));
		ck_assert_uint_eq(a.seq, b.seq);
	}
	evq_free(&q);
	free(r.v);
}
END_TEST

START_TEST(grows_past_initial_capacity)
{
	struct evq q;
	enum { N = 100000 };
	ck_assert_int_eq(evq_init(&q, N), 0);
	for (uint32_t i = 0; i < N; i++)
		ck_assert_int_eq(evq_push(&q, (mn_ns)((i * 7919u) % N), 0, i, NULL), 0);
	struct evq_ev e, prev = { 0 };
	for (uint32_t i = 0; i < N; i++) {
		ck_assert(evq_pop(&q, &e));
		ck_assert(i == 0 || !evq_before(&e, &prev));
		prev = e;
	}
	evq_free(&q);
}
END_TEST

static Suite *evq_suite(void)
{
	Suite *s = suite_create("sim_evq");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ties_run_in_schedule_order);
	tcase_add_test(tc, seq_numbers_increase);
	tcase_add_test(tc, cap_is_enforced);
	tcase_add_test(tc, heap_matches_sorted_list);
	tcase_add_test(tc, grows_past_initial_capacity);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(evq_suite)
