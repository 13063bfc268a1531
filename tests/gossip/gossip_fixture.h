/* gossip_fixture.h - a network with signed member records for the gossip
 * tests: one root, two root-issued invites, members admitted by the root
 * under the first, or by another member under the second (a member may not
 * admit under the invite it was admitted with: doc/membership.md "Trust at
 * join"). Keys come from a seeded generator; the seed is printed by the
 * caller. static inline so each test file takes what it uses. */
#ifndef TESTS_GOSSIP_FIXTURE_H
#define TESTS_GOSSIP_FIXTURE_H

#include <check.h>
#include <inttypes.h>
#include <sodium.h>
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
	struct rec_key root, invkey, invkey2;
	struct rec_network net;
	struct rec_invite inv;  /* the root admits under it */
	struct rec_invite inv2; /* members admit under it */
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
	/* invkey2 from the root key, not the generator: the keys tests draw
	 * after gfix_init stay what they were */
	uint8_t seed2[REC_SEED_LEN];
	crypto_generichash(seed2, sizeof(seed2), f->root.pk, REC_PK_LEN, NULL, 0);
	rec_key_from_seed(&f->invkey2, seed2);
	sodium_memzero(seed2, sizeof(seed2));
	f->inv2 = f->inv;
	memcpy(f->inv2.invite_pk, f->invkey2.pk, REC_PK_LEN);
	ck_assert_int_eq(rec_invite_sign(&f->net, &f->root, &f->inv2), MN_OK);
}

static inline void gfix_free(struct gfix *f)
{
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->invkey);
	rec_key_wipe(&f->invkey2);
}

/* node's signed record (named "node<n>") with version, under inv (its
 * secret key invkey) at overlay address ip, admitted by admitter as kind. */
static inline void gfix_record_ex(struct gfix *f, const struct rec_invite *inv,
				  const struct rec_key *invkey, const struct rec_key *node,
				  uint32_t n, uint64_t version, const struct rec_key *admitter,
				  enum rec_signer kind, const uint8_t ip[4], uint8_t *buf,
				  size_t cap, size_t *len)
{
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN];

	memset(&m, 0, sizeof(m));
	m.invite = *inv;
	rec_join_proof(&f->net, invkey, node->pk, proof);
	ck_assert_int_eq(rec_admit(&f->net, inv, admitter, kind, node->pk, proof, ip,
				   GF_T0_MS + 1000, NULL, NULL, &m.adm), MN_OK);
	m.version = version;
	snprintf(m.name, sizeof(m.name), "node%u", n);
	m.name_len = (uint8_t)strlen(m.name);
	ck_assert_int_eq(rec_member_sign(&f->net, node, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, buf, cap, len), MN_OK);
}

/* The signed record of node (number n, for the name and IPv4 100.64.x.n+1)
 * with version, admitted by the root under inv, or by `admitter` (a member
 * key) under inv2 when not NULL. */
static inline void gfix_record(struct gfix *f, const struct rec_key *node, uint32_t n,
			       uint64_t version, const struct rec_key *admitter,
			       uint8_t *buf, size_t cap, size_t *len)
{
	const uint8_t ip[4] = { 100, 64, (uint8_t)((n + 1) >> 8), (uint8_t)(n + 1) };

	if (admitter)
		gfix_record_ex(f, &f->inv2, &f->invkey2, node, n, version, admitter,
			       REC_BY_MEMBER, ip, buf, cap, len);
	else
		gfix_record_ex(f, &f->inv, &f->invkey, node, n, version, &f->root, REC_BY_ROOT,
			       ip, buf, cap, len);
}

#endif
