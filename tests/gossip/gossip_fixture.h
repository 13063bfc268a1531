/* gossip_fixture.h - a network with signed member records for the gossip
 * tests: one root, one root-issued invite, members admitted by the root (or
 * by another member). Keys come from a seeded generator; the seed is printed
 * by the caller. static inline so each test file takes what it uses. */
#ifndef TESTS_GOSSIP_FIXTURE_H
#define TESTS_GOSSIP_FIXTURE_H

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_rng.h"
#include "record.h"

#define GF_T0_MS UINT64_C(1700000000000) /* wall ms of the fixture's signatures */

struct gfix {
	uint64_t seed;
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, invkey;
	struct rec_network net;
	struct rec_invite inv;
};

/* MN_TEST_SEED overrides the default seed; the seed is printed with name. */
static inline uint64_t gfix_seed(const char *name, uint64_t dflt)
{
	const char *env = getenv("MN_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : dflt;

	printf("%s: seed=%" PRIu64 "\n", name, seed);
	fflush(stdout);
	return seed;
}

static inline void gfix_init(struct gfix *f, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->seed = seed;
	mn_seeded_rng_init(&f->srng, seed);
	f->rng = mn_seeded_rng_iface(&f->srng);
	rec_key_generate(&f->root, &f->rng);
	rec_key_generate(&f->invkey, &f->rng);
	ck_assert_int_eq(rec_network_init(&f->net, f->root.pk, NULL), MN_OK);
	f->inv.signer = REC_BY_ROOT;
	memcpy(f->inv.invite_pk, f->invkey.pk, REC_PK_LEN);
	f->inv.expires_ms = GF_T0_MS + UINT64_C(86400000);
	f->inv.max_uses = 1000;
	ck_assert_int_eq(rec_invite_sign(&f->net, &f->root, &f->inv), MN_OK);
}

static inline void gfix_free(struct gfix *f)
{
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->invkey);
}

/* The signed record of node (number n, for the name and IPv4) with version,
 * admitted by the root, or by `admitter` (a member key) when not NULL. */
static inline void gfix_record(struct gfix *f, const struct rec_key *node, uint32_t n,
			       uint64_t version, const struct rec_key *admitter,
			       uint8_t *buf, size_t cap, size_t *len)
{
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN];
	uint8_t ip[4] = { 100, 64, (uint8_t)((n + 1) >> 8), (uint8_t)(n + 1) };

	memset(&m, 0, sizeof(m));
	m.invite = f->inv;
	rec_join_proof(&f->net, &f->invkey, node->pk, proof);
	ck_assert_int_eq(rec_admit(&f->net, &f->inv, admitter ? admitter : &f->root,
				   admitter ? REC_BY_MEMBER : REC_BY_ROOT, node->pk, proof, ip,
				   GF_T0_MS + 1000, NULL, NULL, &m.adm), MN_OK);
	m.version = version;
	snprintf(m.name, sizeof(m.name), "node%u", n);
	m.name_len = (uint8_t)strlen(m.name);
	ck_assert_int_eq(rec_member_sign(&f->net, node, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, buf, cap, len), MN_OK);
}

#endif
