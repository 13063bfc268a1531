/* Tests for gossip/oatab (open addressing, backward-shift deletion) against
 * a naive reference: a plain array of live (key, value) pairs. Random puts
 * and deletions with colliding keys (few distinct low bits) on a small
 * table; after every step every live value is found by walking its key's
 * chain, nothing else is, and no chain holds an empty slot before a value
 * that belongs to it. Seeded; the seed is printed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "oatab.h"

#define NSLOTS 64
#define MAXLIVE (NSLOTS / 2) /* the caller's half-full rule */
#define NVALUES 1000

static uint64_t keys[NVALUES]; /* the caller's array: value -> key */

static uint64_t key_of(const void *ctx, uint32_t v)
{
	(void)ctx;
	return keys[v];
}

/* Position of v in its key's chain, or UINT32_MAX when the walk misses it. */
static uint32_t find(const struct oatab *t, uint32_t v)
{
	for (uint32_t pos = oatab_home(t, keys[v]); t->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(t, pos))
		if (t->slot[pos] == v)
			return pos;
	return UINT32_MAX;
}

START_TEST(against_reference)
{
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct oatab t;
	uint32_t live[MAXLIVE], nlive = 0, next_value = 0;
	uint64_t seed = 20261207;

	printf("oatab against_reference: seed=%llu\n", (unsigned long long)seed);
	mn_seeded_rng_init(&srng, seed);
	rng = mn_seeded_rng_iface(&srng);
	ck_assert_int_eq(oatab_init(&t, NSLOTS), MN_OK);
	for (int step = 0; step < 20000; step++) {
		bool put = nlive == 0 || (nlive < MAXLIVE && mn_rng_uniform(&rng, 2) == 0);

		if (put) {
			uint32_t v = next_value++ % NVALUES;

			/* 8 home slots for 64: long chains that wrap and collide */
			keys[v] = ((uint64_t)mn_rng_u32(&rng) << 32) |
				  (mn_rng_uniform(&rng, 8) * 8 + 60) % NSLOTS;
			for (uint32_t i = 0; i < nlive; i++) /* values are unique */
				ck_assert_uint_ne(live[i], v);
			oatab_put(&t, keys[v], v);
			live[nlive++] = v;
		} else {
			uint32_t i = mn_rng_uniform(&rng, nlive);
			uint32_t pos = find(&t, live[i]);

			ck_assert_uint_ne(pos, UINT32_MAX);
			oatab_del_at(&t, pos, key_of, NULL);
			live[i] = live[--nlive];
		}
		/* every live value found; the table holds exactly the live ones */
		uint32_t used = 0;
		for (uint32_t i = 0; i < nlive; i++)
			ck_assert_msg(find(&t, live[i]) != UINT32_MAX, "step %d: value %u lost",
				      step, live[i]);
		for (uint32_t pos = 0; pos < oatab_slots(&t); pos++)
			used += t.slot[pos] != OATAB_EMPTY;
		ck_assert_uint_eq(used, nlive);
	}
	oatab_clear(&t);
	for (uint32_t pos = 0; pos < oatab_slots(&t); pos++)
		ck_assert_uint_eq(t.slot[pos], OATAB_EMPTY);
	oatab_free(&t);
}
END_TEST

static Suite *oatab_suite(void)
{
	Suite *s = suite_create("oatab");
	TCase *tc = tcase_create("oatab");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, against_reference);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(oatab_suite)
