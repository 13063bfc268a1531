/* Tests for gossip/record: encodings, the admission chain, revocation,
 * invite expiry at admission, versions, the verification memo.
 *
 * Keys come from mn_seeded_rng; every test prints its seed (set
 * MN_TEST_SEED=N to replay another). test_write_corpus writes the fuzz
 * seeds to a temporary directory and checks them; MN_RECORD_CORPUS=DIR
 * writes them there instead (to refresh fuzz/corpus/record/). */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "record.h"

#define T0 UINT64_C(1700000000000) /* wall ms */
#define DAY_MS UINT64_C(86400000)
#define ENC_MAX 2048

/* The fuzz target's root seed (fuzz/fuzz_record.c), so the corpus reaches
 * its signature checks. */
static const uint8_t fuzz_root_seed[REC_SEED_LEN] = "meshnode fuzz_record root seed!";

struct fx {
	uint64_t seed;
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	struct rec_key root, admin, admin2, invkey, node, peer;
	struct rec_network net;
	struct rec_grant grant;  /* admin: all rights, 30 days */
	struct rec_grant grant2; /* admin2: invite + revoke, 30 days */
};

/* alt != 0 picks another stream (another network) than the test's seed. */
static void fx_init_alt(struct fx *f, const char *test, const uint8_t *root_seed,
			uint64_t alt)
{
	const char *env = getenv("MN_TEST_SEED");

	memset(f, 0, sizeof(*f));
	f->seed = (env ? strtoull(env, NULL, 0) : UINT64_C(0x5eed0003)) + alt;
	printf("%s: seed=%" PRIu64 "\n", test, f->seed);
	mn_seeded_rng_init(&f->srng, f->seed);
	f->rng = mn_seeded_rng_iface(&f->srng);
	if (root_seed)
		rec_key_from_seed(&f->root, root_seed);
	else
		rec_key_generate(&f->root, &f->rng);
	rec_key_generate(&f->admin, &f->rng);
	rec_key_generate(&f->admin2, &f->rng);
	rec_key_generate(&f->invkey, &f->rng);
	rec_key_generate(&f->node, &f->rng);
	rec_key_generate(&f->peer, &f->rng);
	ck_assert_int_eq(rec_network_init(&f->net, f->root.pk, NULL), MN_OK);

	f->grant.rights = REC_RIGHTS_ALL;
	memcpy(f->grant.admin_pk, f->admin.pk, REC_PK_LEN);
	f->grant.not_after_ms = T0 + 30 * DAY_MS;
	ck_assert_int_eq(rec_grant_sign(&f->net, &f->root, &f->grant), MN_OK);
	f->grant2.rights = REC_RIGHT_INVITE | REC_RIGHT_REVOKE;
	memcpy(f->grant2.admin_pk, f->admin2.pk, REC_PK_LEN);
	f->grant2.not_after_ms = T0 + 30 * DAY_MS;
	ck_assert_int_eq(rec_grant_sign(&f->net, &f->root, &f->grant2), MN_OK);
}

static void fx_init(struct fx *f, const char *test, const uint8_t *root_seed)
{
	fx_init_alt(f, test, root_seed, 0);
}

static void fx_free(struct fx *f)
{
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->admin);
	rec_key_wipe(&f->admin2);
	rec_key_wipe(&f->invkey);
	rec_key_wipe(&f->node);
	rec_key_wipe(&f->peer);
}

/* An invite for f->invkey, from the root, admin (grant) or admin2 (grant2). */
enum issuer { BY_ROOT, BY_ADMIN, BY_ADMIN2 };

static void make_invite(struct fx *f, struct rec_invite *inv, enum issuer who,
			uint8_t flags)
{
	const struct rec_key *k = who == BY_ROOT ? &f->root :
				  who == BY_ADMIN ? &f->admin : &f->admin2;

	memset(inv, 0, sizeof(*inv));
	inv->signer = who == BY_ROOT ? REC_BY_ROOT : REC_BY_ADMIN;
	inv->flags = flags;
	memcpy(inv->invite_pk, f->invkey.pk, REC_PK_LEN);
	inv->expires_ms = T0 + DAY_MS;
	inv->max_uses = 3;
	if (who == BY_ADMIN)
		inv->grant = f->grant;
	else if (who == BY_ADMIN2)
		inv->grant = f->grant2;
	ck_assert_int_eq(rec_invite_sign(&f->net, k, inv), MN_OK);
}

static const uint8_t ip_ok[4] = { 100, 64, 0, 7 };

/* f->node's record: invite from who, admitted by kind, nroutes routes. */
static void make_member(struct fx *f, struct rec_member *m, enum issuer who,
			enum rec_signer kind, unsigned nroutes, const char *name)
{
	uint8_t proof[REC_SIG_LEN];
	const struct rec_key *adm = kind == REC_BY_ROOT ? &f->root :
				    kind == REC_BY_ADMIN ? (who == BY_ADMIN ? &f->admin : &f->admin2) :
				    &f->peer;

	memset(m, 0, sizeof(*m));
	make_invite(f, &m->invite, who, nroutes ? REC_INV_ROUTES : 0);
	rec_join_proof(&f->net, &f->invkey, f->node.pk, proof);
	ck_assert_int_eq(rec_admit(&f->net, &m->invite, adm, kind, f->node.pk, proof,
				   ip_ok, T0 + 1000, NULL, NULL, &m->adm), MN_OK);
	m->flags = REC_MEM_RELAY;
	m->version = rec_next_version(0, T0 + 2000);
	m->name_len = (uint8_t)strlen(name);
	memcpy(m->name, name, m->name_len);
	for (unsigned i = 0; i < nroutes; i++) {
		struct mn_prefix *r = &m->routes[i];
		if (i % 2 == 0) {
			r->family = AF_INET;
			r->bits = 24;
			r->addr[0] = 198;
			r->addr[1] = 18;
			r->addr[2] = (uint8_t)i;
		} else {
			r->family = AF_INET6;
			r->bits = 128;
			r->addr[0] = 0x20;
			r->addr[1] = 0x01;
			r->addr[3] = 0x02;
			r->addr[15] = (uint8_t)i;
		}
	}
	m->nroutes = (uint8_t)nroutes;
	ck_assert_int_eq(rec_member_sign(&f->net, &f->node, m), MN_OK);
}

static void make_revoke(struct fx *f, struct rec_revoke *t, enum issuer who,
			const uint8_t target[REC_PK_LEN])
{
	const struct rec_key *k = who == BY_ROOT ? &f->root :
				  who == BY_ADMIN ? &f->admin : &f->admin2;

	memset(t, 0, sizeof(*t));
	t->signer = who == BY_ROOT ? REC_BY_ROOT : REC_BY_ADMIN;
	memcpy(t->target_pk, target, REC_PK_LEN);
	t->revoked_ms = T0 + 5000;
	if (who == BY_ADMIN)
		t->grant = f->grant;
	else if (who == BY_ADMIN2)
		t->grant = f->grant2;
	ck_assert_int_eq(rec_revoke_sign(&f->net, k, t), MN_OK);
}

/* Sign as doc/membership.md says, independently of record.c, to craft
 * validly signed objects that break a rule. */
static void raw_sign(const struct rec_network *net, const char *tag,
		     const struct rec_key *k, const uint8_t *p1, size_t n1,
		     const uint8_t *p2, size_t n2, uint8_t sig[REC_SIG_LEN])
{
	uint8_t msg[16 + 32 + ENC_MAX];
	size_t off = 0;

	memset(msg, 0, 16);
	memcpy(msg, tag, strlen(tag));
	off = 16;
	memcpy(msg + off, net->id, 32);
	off += 32;
	memcpy(msg + off, p1, n1);
	off += n1;
	if (n2)
		memcpy(msg + off, p2, n2);
	off += n2;
	crypto_sign_detached(sig, NULL, msg, off, k->sk);
}

/* A revocation set for tests. */
struct revset {
	const uint8_t *keys[8];
	unsigned n;
};

static bool revset_has(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	const struct revset *s = ctx;
	for (unsigned i = 0; i < s->n; i++)
		if (memcmp(s->keys[i], pk, REC_PK_LEN) == 0)
			return true;
	return false;
}

static int verify_revoked(struct fx *f, const struct rec_member *m, const uint8_t *key)
{
	struct revset s = { { key }, 1 };
	struct rec_revoked rv = { revset_has, &s };
	return rec_member_verify(&f->net, m, &rv, NULL);
}

/* ---- keys, network ---- */

START_TEST(test_keys_seeded)
{
	struct fx f;
	struct mn_seeded_rng s;
	struct mn_rng r;
	struct rec_key a, b;
	uint8_t seed[REC_SEED_LEN], pk[REC_PK_LEN], sk[REC_SK_LEN];

	fx_init(&f, "keys_seeded", NULL);
	/* Same seed, same keys: the root is the first key drawn. */
	mn_seeded_rng_init(&s, f.seed);
	r = mn_seeded_rng_iface(&s);
	rec_key_generate(&a, &r);
	ck_assert_mem_eq(a.pk, f.root.pk, REC_PK_LEN);
	ck_assert_mem_eq(a.sk, f.root.sk, REC_SK_LEN);
	mn_seeded_rng_init(&s, f.seed + 1);
	rec_key_generate(&b, &r);
	ck_assert(memcmp(a.pk, b.pk, REC_PK_LEN) != 0);
	/* rec_key_from_seed is crypto_sign_seed_keypair. */
	memset(seed, 7, sizeof(seed));
	rec_key_from_seed(&a, seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	ck_assert_mem_eq(a.pk, pk, REC_PK_LEN);
	ck_assert_mem_eq(a.sk, sk, REC_SK_LEN);
	rec_key_wipe(&a);
	ck_assert(sodium_is_zero((const uint8_t *)&a, sizeof(a)));
	rec_key_wipe(&b);
	fx_free(&f);
}
END_TEST

START_TEST(test_network)
{
	struct fx f;
	struct rec_network n2;
	struct mn_prefix p;
	uint8_t a[16], b[16];
	char buf[MN_PREFIX_STRLEN];

	fx_init(&f, "network", NULL);
	ck_assert_int_eq(rec_network_init(&n2, f.root.pk, NULL), MN_OK);
	ck_assert_mem_eq(n2.id, f.net.id, REC_NETID_LEN);
	ck_assert_str_eq(mn_prefix_format(&f.net.v4, buf, sizeof(buf)), "100.64.0.0/10");
	ck_assert_int_eq(f.net.v6.family, AF_INET6);
	ck_assert_int_eq(f.net.v6.bits, 48);
	ck_assert_int_eq(f.net.v6.addr[0], 0xfd);
	ck_assert_mem_eq(f.net.v6.addr + 1, f.net.id, 5);
	ck_assert_int_eq(rec_network_init(&n2, f.admin.pk, NULL), MN_OK);
	ck_assert(memcmp(n2.id, f.net.id, REC_NETID_LEN) != 0);

	rec_ipv6(&f.net, f.node.pk, a);
	rec_ipv6(&f.net, f.peer.pk, b);
	ck_assert_mem_eq(a, f.net.v6.addr, 6);
	ck_assert_mem_eq(b, f.net.v6.addr, 6);
	ck_assert(memcmp(a, b, 16) != 0);
	rec_ipv6(&n2, f.node.pk, b);
	ck_assert(memcmp(a + 6, b + 6, 10) != 0);

	ck_assert_int_eq(mn_prefix_parse(&p, "100.100.0.0/16"), MN_OK);
	ck_assert_int_eq(rec_network_init(&n2, f.root.pk, &p), MN_OK);
	ck_assert_int_eq(n2.v4.bits, 16);
	ck_assert_int_eq(mn_prefix_parse(&p, "100.64.0.0/31"), MN_OK);
	ck_assert_int_eq(rec_network_init(&n2, f.root.pk, &p), MN_EINVAL);
	ck_assert_int_eq(mn_prefix_parse(&p, "fd00::/8"), MN_OK);
	ck_assert_int_eq(rec_network_init(&n2, f.root.pk, &p), MN_EINVAL);
	fx_free(&f);
}
END_TEST

/* ---- encodings ---- */

/* Every encoding of the objects below, for the generic encoding tests. */
enum kind { K_GRANT, K_INVITE, K_ADMISSION, K_MEMBER, K_REVOKE };

struct sample {
	const char *name;
	enum kind kind;
	uint8_t enc[ENC_MAX];
	size_t len;
};

#define NSAMPLES 9

static int decode_any(enum kind k, const uint8_t *buf, size_t len, uint8_t *re, size_t *relen)
{
	static struct rec_member m; /* large; tests run one at a time */
	struct rec_grant g;
	struct rec_invite inv;
	struct rec_admission a;
	struct rec_revoke t;
	int err;

	switch (k) {
	case K_GRANT:
		if ((err = rec_grant_decode(&g, buf, len)))
			return err;
		return rec_grant_encode(&g, re, ENC_MAX, relen);
	case K_INVITE:
		if ((err = rec_invite_decode(&inv, buf, len)))
			return err;
		return rec_invite_encode(&inv, re, ENC_MAX, relen);
	case K_ADMISSION:
		if ((err = rec_admission_decode(&a, buf, len)))
			return err;
		return rec_admission_encode(&a, re, ENC_MAX, relen);
	case K_MEMBER:
		if ((err = rec_member_decode(&m, buf, len)))
			return err;
		return rec_member_encode(&m, re, ENC_MAX, relen);
	case K_REVOKE:
		if ((err = rec_revoke_decode(&t, buf, len)))
			return err;
		return rec_revoke_encode(&t, re, ENC_MAX, relen);
	}
	return MN_EINVAL;
}

static void make_samples(struct fx *f, struct sample *s)
{
	static struct rec_member m;
	struct rec_invite inv;
	struct rec_revoke t;
	unsigned i = 0;

	s[i] = (struct sample){ "grant", K_GRANT, { 0 }, 0 };
	ck_assert_int_eq(rec_grant_encode(&f->grant, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_GRANT_LEN);

	make_invite(f, &inv, BY_ROOT, 0);
	s[i] = (struct sample){ "invite_root", K_INVITE, { 0 }, 0 };
	ck_assert_int_eq(rec_invite_encode(&inv, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_INVITE_ROOT_LEN);

	make_invite(f, &inv, BY_ADMIN, REC_INV_ROUTES);
	s[i] = (struct sample){ "invite_admin", K_INVITE, { 0 }, 0 };
	ck_assert_int_eq(rec_invite_encode(&inv, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_INVITE_ADMIN_LEN);

	make_member(f, &m, BY_ROOT, REC_BY_MEMBER, 0, "laptop");
	s[i] = (struct sample){ "admission", K_ADMISSION, { 0 }, 0 };
	ck_assert_int_eq(rec_admission_encode(&m.adm, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_ADMISSION_LEN);

	s[i] = (struct sample){ "member_root", K_MEMBER, { 0 }, 0 };
	ck_assert_int_eq(rec_member_encode(&m, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_MEMBER_FIXED + REC_INVITE_ROOT_LEN +
					      REC_ADMISSION_LEN + 6);

	make_member(f, &m, BY_ADMIN, REC_BY_ADMIN, 4, "db-1");
	s[i] = (struct sample){ "member_admin", K_MEMBER, { 0 }, 0 };
	ck_assert_int_eq(rec_member_encode(&m, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	i++;

	make_member(f, &m, BY_ROOT, REC_BY_ROOT, 0, "genesis");
	s[i] = (struct sample){ "member_genesis", K_MEMBER, { 0 }, 0 };
	ck_assert_int_eq(rec_member_encode(&m, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	i++;

	make_revoke(f, &t, BY_ROOT, f->peer.pk);
	s[i] = (struct sample){ "revoke_root", K_REVOKE, { 0 }, 0 };
	ck_assert_int_eq(rec_revoke_encode(&t, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_REVOKE_ROOT_LEN);

	make_revoke(f, &t, BY_ADMIN, f->invkey.pk);
	s[i] = (struct sample){ "revoke_admin", K_REVOKE, { 0 }, 0 };
	ck_assert_int_eq(rec_revoke_encode(&t, s[i].enc, ENC_MAX, &s[i].len), MN_OK);
	ck_assert_uint_eq(s[i++].len, REC_REVOKE_ADMIN_LEN);
	ck_assert_uint_eq(i, NSAMPLES);
}

static struct sample samples[NSAMPLES];

START_TEST(test_roundtrip)
{
	struct fx f;
	static struct rec_member m, m2;
	struct rec_invite inv, inv2;
	struct rec_revoke t, t2;
	uint8_t re[ENC_MAX];
	size_t relen;

	fx_init(&f, "roundtrip", NULL);
	make_samples(&f, samples);
	for (unsigned i = 0; i < NSAMPLES; i++) {
		ck_assert_msg(decode_any(samples[i].kind, samples[i].enc, samples[i].len,
					 re, &relen) == MN_OK, "%s", samples[i].name);
		ck_assert_uint_eq(relen, samples[i].len);
		ck_assert_mem_eq(re, samples[i].enc, relen);
	}
	/* Field by field for the richest forms. */
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, REC_MAX_ROUTES, "a-long-name-0123456789");
	ck_assert_int_eq(rec_member_encode(&m, re, sizeof(re), &relen), MN_OK);
	ck_assert_int_eq(rec_member_decode(&m2, re, relen), MN_OK);
	ck_assert_int_eq(m2.invite.signer, REC_BY_ADMIN);
	ck_assert_mem_eq(m2.invite.grant.admin_pk, f.admin.pk, REC_PK_LEN);
	ck_assert_uint_eq(m2.invite.grant.not_after_ms, T0 + 30 * DAY_MS);
	ck_assert_uint_eq(m2.invite.max_uses, 3);
	ck_assert_int_eq(m2.adm.admitter, REC_BY_MEMBER);
	ck_assert_mem_eq(m2.adm.admitter_pk, f.peer.pk, REC_PK_LEN);
	ck_assert_mem_eq(m2.adm.node_pk, f.node.pk, REC_PK_LEN);
	ck_assert_mem_eq(m2.adm.ipv4, ip_ok, 4);
	ck_assert_uint_eq(m2.adm.admitted_ms, T0 + 1000);
	ck_assert_uint_eq(m2.version, T0 + 2000);
	ck_assert_int_eq(m2.flags, REC_MEM_RELAY);
	ck_assert_str_eq(m2.name, "a-long-name-0123456789");
	ck_assert_uint_eq(m2.nroutes, REC_MAX_ROUTES);
	ck_assert_mem_eq(m2.routes, m.routes, sizeof(m.routes));
	ck_assert_mem_eq(&m2.adm, &m.adm, sizeof(m.adm));
	ck_assert_mem_eq(m2.sig, m.sig, REC_SIG_LEN);
	ck_assert_int_eq(rec_member_verify(&f.net, &m2, NULL, NULL), MN_OK);

	make_invite(&f, &inv, BY_ADMIN, 0);
	ck_assert_int_eq(rec_invite_encode(&inv, re, sizeof(re), &relen), MN_OK);
	ck_assert_int_eq(rec_invite_decode(&inv2, re, relen), MN_OK);
	ck_assert_mem_eq(&inv2, &inv, sizeof(inv));

	make_revoke(&f, &t, BY_ADMIN, f.node.pk);
	ck_assert_int_eq(rec_revoke_encode(&t, re, sizeof(re), &relen), MN_OK);
	ck_assert_int_eq(rec_revoke_decode(&t2, re, relen), MN_OK);
	ck_assert_mem_eq(&t2, &t, sizeof(t));
	ck_assert_int_eq(rec_revoke_verify(&f.net, &t2, NULL, NULL), MN_OK);

	/* A short output buffer is refused, never overrun. */
	ck_assert_int_eq(rec_member_encode(&m, re, relen - 1, &relen), MN_EMSGSIZE);
	fx_free(&f);
}
END_TEST

START_TEST(test_truncation_trailing)
{
	struct fx f;
	uint8_t buf[ENC_MAX + 1], re[ENC_MAX];
	size_t relen;

	fx_init(&f, "truncation_trailing", NULL);
	make_samples(&f, samples);
	for (unsigned i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		/* Every truncation, from a heap copy of exactly that length so
		 * ASan catches a read past the end. */
		for (size_t n = 0; n < s->len; n++) {
			uint8_t *p = malloc(n ? n : 1);
			ck_assert_ptr_nonnull(p);
			memcpy(p, s->enc, n);
			int err = decode_any(s->kind, p, n, re, &relen);
			free(p);
			ck_assert_msg(err == MN_ETRUNC, "%s truncated to %zu: %d",
				      s->name, n, err);
		}
		/* Any trailing byte. */
		memcpy(buf, s->enc, s->len);
		for (unsigned v = 0; v < 256; v += 85) {
			buf[s->len] = (uint8_t)v;
			ck_assert_int_eq(decode_any(s->kind, buf, s->len + 1, re, &relen),
					 MN_EPROTO);
		}
		/* Wrong version byte, wrong type byte. */
		memcpy(buf, s->enc, s->len);
		buf[0] = REC_FORMAT + 1;
		ck_assert_int_eq(decode_any(s->kind, buf, s->len, re, &relen), MN_EPROTO);
		buf[0] = REC_FORMAT;
		buf[1] ^= 0x40;
		ck_assert_int_eq(decode_any(s->kind, buf, s->len, re, &relen), MN_EPROTO);
	}
	fx_free(&f);
}
END_TEST

/* Flip every bit of enc; each result must fail to decode or to verify. */
static void flip_all(struct fx *f, const uint8_t *enc, size_t len, enum kind k,
		     struct rec_memo *memo, const struct rec_invite *inv_for_adm)
{
	static struct rec_member m;
	struct rec_invite inv;
	struct rec_revoke t;
	struct rec_admission a;
	uint8_t buf[ENC_MAX];
	int err;

	for (size_t i = 0; i < len * 8; i++) {
		memcpy(buf, enc, len);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		switch (k) {
		case K_MEMBER:
			err = rec_member_decode(&m, buf, len);
			if (err == MN_OK)
				err = rec_member_verify(&f->net, &m, NULL, memo);
			break;
		case K_INVITE:
			err = rec_invite_decode(&inv, buf, len);
			if (err == MN_OK)
				err = rec_invite_verify(&f->net, &inv, NULL, memo);
			break;
		case K_ADMISSION:
			err = rec_admission_decode(&a, buf, len);
			if (err == MN_OK)
				err = rec_admission_verify(&f->net, inv_for_adm, &a, NULL, memo);
			break;
		case K_REVOKE:
			err = rec_revoke_decode(&t, buf, len);
			if (err == MN_OK)
				err = rec_revoke_verify(&f->net, &t, NULL, memo);
			break;
		default:
			err = MN_OK;
			break;
		}
		ck_assert_msg(err < 0, "bit %zu of a %zu-byte object accepted", i, len);
	}
}

START_TEST(test_bitflip)
{
	struct fx f;
	static struct rec_member m;
	static uint8_t slots[1024][REC_MEMO_KEY_LEN];
	struct rec_memo memo;
	struct rec_revoke t;
	uint8_t enc[ENC_MAX];
	size_t len;

	fx_init(&f, "bitflip", NULL);
	ck_assert_int_eq(rec_memo_init(&memo, slots, 1024), MN_OK);

	/* Admin chain, member admitter, routes: with the memo, so the intact
	 * parts are memo hits and the flipped part is verified for real. */
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 3, "flip-me");
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, &memo), MN_OK);
	flip_all(&f, enc, len, K_MEMBER, &memo, NULL);
	ck_assert_uint_gt(memo.hits, 0);

	/* Root chain, no memo at all. */
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "x");
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	flip_all(&f, enc, len, K_MEMBER, NULL, NULL);

	/* The standalone objects. */
	ck_assert_int_eq(rec_invite_encode(&m.invite, enc, sizeof(enc), &len), MN_OK);
	flip_all(&f, enc, len, K_INVITE, &memo, NULL);
	ck_assert_int_eq(rec_admission_encode(&m.adm, enc, sizeof(enc), &len), MN_OK);
	flip_all(&f, enc, len, K_ADMISSION, &memo, &m.invite);
	make_revoke(&f, &t, BY_ADMIN, f.invkey.pk);
	ck_assert_int_eq(rec_revoke_encode(&t, enc, sizeof(enc), &len), MN_OK);
	flip_all(&f, enc, len, K_REVOKE, &memo, NULL);
	make_revoke(&f, &t, BY_ROOT, f.node.pk);
	ck_assert_int_eq(rec_revoke_encode(&t, enc, sizeof(enc), &len), MN_OK);
	flip_all(&f, enc, len, K_REVOKE, NULL, NULL);
	fx_free(&f);
}
END_TEST

/* ---- the chain ---- */

START_TEST(test_chain_variants)
{
	struct fx f;
	static struct rec_member m;
	uint8_t ip6[16];

	fx_init(&f, "chain_variants", NULL);
	/* Genesis: the root admits the first node itself. */
	make_member(&f, &m, BY_ROOT, REC_BY_ROOT, 0, "genesis");
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	/* Without an admin, admitted by a member. */
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "plain");
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	ck_assert_int_eq(rec_admission_verify(&f.net, &m.invite, &m.adm, NULL, NULL), MN_OK);
	/* With an admin, admitted by the admin or by a member. */
	make_member(&f, &m, BY_ADMIN, REC_BY_ADMIN, 0, "via-admin");
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 2, "via-admin-member");
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	ck_assert_int_eq(rec_invite_verify(&f.net, &m.invite, NULL, NULL), MN_OK);
	ck_assert_int_eq(rec_grant_verify(&f.net, &m.invite.grant, NULL, NULL), MN_OK);
	rec_ipv6(&f.net, m.adm.node_pk, ip6);
	ck_assert_mem_eq(ip6, f.net.v6.addr, 6);

	/* The admission is bound to its invite: moved onto another invite of
	 * the same key and signer, it fails. */
	{
		struct rec_invite other = m.invite;
		other.max_uses = 200;
		ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &other), MN_OK);
		ck_assert_int_eq(rec_admission_verify(&f.net, &other, &m.adm, NULL, NULL),
				 MN_EAUTH);
	}
	fx_free(&f);
}
END_TEST

START_TEST(test_wrong_root)
{
	struct fx f, g;
	static struct rec_member m;
	struct rec_revoke t;
	struct rec_invite inv;

	fx_init(&f, "wrong_root", NULL);
	/* Another network: another seed, another root. */
	fx_init_alt(&g, "wrong_root/other", NULL, 99);
	ck_assert(memcmp(f.net.id, g.net.id, REC_NETID_LEN) != 0);

	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "a");
	ck_assert_int_eq(rec_member_verify(&g.net, &m, NULL, NULL), MN_EAUTH);
	make_member(&f, &m, BY_ADMIN, REC_BY_ADMIN, 0, "b");
	ck_assert_int_eq(rec_member_verify(&g.net, &m, NULL, NULL), MN_EAUTH);
	ck_assert_int_eq(rec_grant_verify(&g.net, &f.grant, NULL, NULL), MN_EAUTH);
	make_invite(&f, &inv, BY_ROOT, 0);
	ck_assert_int_eq(rec_invite_verify(&g.net, &inv, NULL, NULL), MN_EAUTH);
	make_revoke(&f, &t, BY_ROOT, f.node.pk);
	ck_assert_int_eq(rec_revoke_verify(&g.net, &t, NULL, NULL), MN_EAUTH);

	/* Same root key, but signatures bind the network id: a network whose
	 * id differs (here forged by hand) refuses everything. */
	g.net = f.net;
	g.net.id[0] ^= 1;
	ck_assert_int_eq(rec_invite_verify(&g.net, &inv, NULL, NULL), MN_EAUTH);
	/* Signing with a key that is not the root is refused up front. */
	ck_assert_int_eq(rec_grant_sign(&f.net, &f.admin, &g.grant), MN_EINVAL);
	fx_free(&f);
	fx_free(&g);
}
END_TEST

START_TEST(test_revoked)
{
	struct fx f;
	static struct rec_member m;
	struct rec_revoke t;
	struct rec_admission a;
	uint8_t proof[REC_SIG_LEN];

	fx_init(&f, "revoked", NULL);
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 0, "n");
	ck_assert_int_eq(verify_revoked(&f, &m, f.root.pk), MN_OK); /* not in chain */
	ck_assert_int_eq(verify_revoked(&f, &m, f.admin2.pk), MN_OK);
	ck_assert_int_eq(verify_revoked(&f, &m, f.node.pk), MN_EREVOKED);
	ck_assert_int_eq(verify_revoked(&f, &m, f.invkey.pk), MN_EREVOKED);
	ck_assert_int_eq(verify_revoked(&f, &m, f.admin.pk), MN_EREVOKED);
	ck_assert_int_eq(verify_revoked(&f, &m, f.peer.pk), MN_EREVOKED); /* admitter */

	/* A revoked invite admits nobody. */
	{
		struct revset s = { { f.invkey.pk }, 1 };
		struct rec_revoked rv = { revset_has, &s };
		rec_join_proof(&f.net, &f.invkey, f.node.pk, proof);
		ck_assert_int_eq(rec_admit(&f.net, &m.invite, &f.peer, REC_BY_MEMBER,
					   f.node.pk, proof, ip_ok, T0, &rv, NULL, &a),
				 MN_EREVOKED);
		ck_assert(sodium_is_zero(a.sig, REC_SIG_LEN));
	}
	/* Tombstones of a revoked admin count for nothing. */
	make_revoke(&f, &t, BY_ADMIN, f.node.pk);
	{
		struct revset s = { { f.admin.pk }, 1 };
		struct rec_revoked rv = { revset_has, &s };
		ck_assert_int_eq(rec_revoke_verify(&f.net, &t, &rv, NULL), MN_EREVOKED);
		ck_assert_int_eq(rec_revoke_verify(&f.net, &t, NULL, NULL), MN_OK);
	}
	fx_free(&f);
}
END_TEST

START_TEST(test_revoke_rights)
{
	struct fx f;
	static struct rec_member m_admin, m_admin2, m_root;
	struct rec_revoke t;
	struct rec_grant weak;
	uint8_t enc[ENC_MAX];
	size_t len;

	fx_init(&f, "revoke_rights", NULL);
	make_member(&f, &m_admin, BY_ADMIN, REC_BY_MEMBER, 0, "of-admin");
	make_member(&f, &m_admin2, BY_ADMIN2, REC_BY_MEMBER, 0, "of-admin2");
	make_member(&f, &m_root, BY_ROOT, REC_BY_MEMBER, 0, "of-root");

	/* The root may revoke anyone. */
	make_revoke(&f, &t, BY_ROOT, f.node.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_OK);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_root), MN_OK);
	make_revoke(&f, &t, BY_ROOT, f.admin.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_OK);

	/* An admin: members admitted with its invites, and its invites. */
	make_revoke(&f, &t, BY_ADMIN, f.node.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_OK);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin2), MN_EAUTH);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_root), MN_EAUTH);
	make_revoke(&f, &t, BY_ADMIN, f.invkey.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_OK);
	ck_assert_int_eq(rec_revoke_authorized_invite(&t, &m_admin.invite), MN_OK);
	ck_assert_int_eq(rec_revoke_authorized_invite(&t, &m_admin2.invite), MN_EAUTH);
	ck_assert_int_eq(rec_revoke_authorized_invite(&t, &m_root.invite), MN_EAUTH);
	/* ...but not the member that admitted its members, nor another admin. */
	make_revoke(&f, &t, BY_ADMIN, f.peer.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_EAUTH);
	make_revoke(&f, &t, BY_ADMIN, f.admin2.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin2), MN_EAUTH);
	make_revoke(&f, &t, BY_ADMIN2, f.node.pk);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin2), MN_OK);
	ck_assert_int_eq(rec_revoke_authorized(&t, &m_admin), MN_EAUTH);

	/* An admin without the revoke right cannot sign a tombstone, and a
	 * hand-made one does not verify. */
	weak.rights = REC_RIGHT_INVITE;
	memcpy(weak.admin_pk, f.admin.pk, REC_PK_LEN);
	weak.not_after_ms = T0 + DAY_MS;
	ck_assert_int_eq(rec_grant_sign(&f.net, &f.root, &weak), MN_OK);
	memset(&t, 0, sizeof(t));
	t.signer = REC_BY_ADMIN;
	t.grant = weak;
	memcpy(t.target_pk, f.node.pk, REC_PK_LEN);
	t.revoked_ms = T0;
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.admin, &t), MN_EAUTH);
	ck_assert(sodium_is_zero(t.sig, REC_SIG_LEN));
	ck_assert_int_eq(rec_revoke_encode(&t, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/revoke", &f.admin, enc, len - REC_SIG_LEN, NULL, 0, t.sig);
	ck_assert_int_eq(rec_revoke_verify(&f.net, &t, NULL, NULL), MN_EAUTH);
	/* Dated after the grant lapsed. */
	t.grant = f.grant;
	t.revoked_ms = f.grant.not_after_ms + 1;
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.admin, &t), MN_EAUTH);
	t.revoked_ms = f.grant.not_after_ms;
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.admin, &t), MN_OK);
	/* The root cannot be revoked, by anyone. */
	make_revoke(&f, &t, BY_ROOT, f.node.pk);
	memcpy(t.target_pk, f.root.pk, REC_PK_LEN);
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.root, &t), MN_EAUTH);
	/* Signing as someone else is refused. */
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.admin, &t), MN_EINVAL);
	fx_free(&f);
}
END_TEST

/* One key, one role (doc/membership.md): within one chain the root, admin,
 * invite and node keys are distinct, a member admitter is none of the
 * first three, and an admin does not revoke itself. Each object below is
 * validly signed (the signing functions sign, then verify their result):
 * only the rule refuses it, in every verifier. */
START_TEST(test_key_one_role)
{
	struct fx f;
	struct rec_grant g;
	struct rec_invite inv, ainv;
	struct rec_admission a;
	struct rec_revoke t;
	uint8_t proof[REC_SIG_LEN], enc[ENC_MAX];
	size_t len;

	fx_init(&f, "key_one_role", NULL);
	/* a grant to the root key, signed by hand too */
	memset(&g, 0, sizeof(g));
	g.rights = REC_RIGHTS_ALL;
	memcpy(g.admin_pk, f.root.pk, REC_PK_LEN);
	g.not_after_ms = UINT64_MAX;
	ck_assert_int_eq(rec_grant_sign(&f.net, &f.root, &g), MN_EAUTH);
	ck_assert_int_eq(rec_grant_encode(&g, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/grant", &f.root, enc, len - REC_SIG_LEN, NULL, 0, g.sig);
	ck_assert_int_eq(rec_grant_verify(&f.net, &g, NULL, NULL), MN_EAUTH);
	/* an invite whose key is the root's, or its own admin's */
	memset(&inv, 0, sizeof(inv));
	inv.signer = REC_BY_ROOT;
	memcpy(inv.invite_pk, f.root.pk, REC_PK_LEN);
	inv.expires_ms = T0 + DAY_MS;
	inv.max_uses = 3;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.root, &inv), MN_EAUTH);
	ck_assert_int_eq(rec_invite_encode(&inv, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/invite", &f.root, enc, len - REC_SIG_LEN, NULL, 0, inv.sig);
	ck_assert_int_eq(rec_invite_verify(&f.net, &inv, NULL, NULL), MN_EAUTH);
	make_invite(&f, &ainv, BY_ADMIN, 0);
	memcpy(ainv.invite_pk, f.admin.pk, REC_PK_LEN);
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &ainv), MN_EAUTH);
	/* a node key that is the chain's invite, admin or root key */
	make_invite(&f, &inv, BY_ROOT, 0);
	make_invite(&f, &ainv, BY_ADMIN, 0);
	rec_join_proof(&f.net, &f.invkey, f.invkey.pk, proof);
	ck_assert_int_eq(rec_admit(&f.net, &inv, &f.root, REC_BY_ROOT, f.invkey.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	rec_join_proof(&f.net, &f.invkey, f.admin.pk, proof);
	ck_assert_int_eq(rec_admit(&f.net, &ainv, &f.admin, REC_BY_ADMIN, f.admin.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	ck_assert_int_eq(rec_admit(&f.net, &ainv, &f.peer, REC_BY_MEMBER, f.admin.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	rec_join_proof(&f.net, &f.invkey, f.root.pk, proof);
	ck_assert_int_eq(rec_admit(&f.net, &inv, &f.peer, REC_BY_MEMBER, f.root.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	/* a member admitter that is the chain's invite, admin or root key */
	rec_join_proof(&f.net, &f.invkey, f.node.pk, proof);
	ck_assert_int_eq(rec_admit(&f.net, &inv, &f.invkey, REC_BY_MEMBER, f.node.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	ck_assert_int_eq(rec_admit(&f.net, &ainv, &f.admin, REC_BY_MEMBER, f.node.pk, proof,
				   ip_ok, T0, NULL, NULL, &a), MN_EAUTH);
	ck_assert_int_eq(rec_admit(&f.net, &inv, &f.root, REC_BY_MEMBER, f.node.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_EAUTH);
	/* and each the right way round */
	ck_assert_int_eq(rec_admit(&f.net, &inv, &f.peer, REC_BY_MEMBER, f.node.pk, proof, ip_ok,
				   T0, NULL, NULL, &a), MN_OK);
	ck_assert_int_eq(rec_admit(&f.net, &ainv, &f.admin, REC_BY_ADMIN, f.node.pk, proof,
				   ip_ok, T0, NULL, NULL, &a), MN_OK);
	/* an admin's tombstone against its own key */
	memset(&t, 0, sizeof(t));
	t.signer = REC_BY_ADMIN;
	t.grant = f.grant;
	memcpy(t.target_pk, f.admin.pk, REC_PK_LEN);
	t.revoked_ms = T0;
	ck_assert_int_eq(rec_revoke_sign(&f.net, &f.admin, &t), MN_EAUTH);
	ck_assert_int_eq(rec_revoke_encode(&t, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/revoke", &f.admin, enc, len - REC_SIG_LEN, NULL, 0, t.sig);
	ck_assert_int_eq(rec_revoke_verify(&f.net, &t, NULL, NULL), MN_EAUTH);
	fx_free(&f);
}
END_TEST

START_TEST(test_admin_rights)
{
	struct fx f;
	struct rec_invite inv;
	struct rec_grant g;
	uint8_t enc[ENC_MAX];
	size_t len;

	fx_init(&f, "admin_rights", NULL);
	/* No invite right. */
	g.rights = REC_RIGHT_REVOKE;
	memcpy(g.admin_pk, f.admin.pk, REC_PK_LEN);
	g.not_after_ms = T0 + DAY_MS;
	ck_assert_int_eq(rec_grant_sign(&f.net, &f.root, &g), MN_OK);
	memset(&inv, 0, sizeof(inv));
	inv.signer = REC_BY_ADMIN;
	inv.grant = g;
	memcpy(inv.invite_pk, f.invkey.pk, REC_PK_LEN);
	inv.expires_ms = T0;
	inv.max_uses = 1;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &inv), MN_EAUTH);
	/* Routes without the routes right (admin2 lacks it). */
	inv.grant = f.grant2;
	inv.flags = REC_INV_ROUTES;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin2, &inv), MN_EAUTH);
	inv.flags = 0;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin2, &inv), MN_OK);
	/* An invite outliving its admin's grant: refused when signed, and a
	 * hand-signed one does not verify. */
	inv.grant = f.grant;
	inv.expires_ms = f.grant.not_after_ms + 1;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &inv), MN_EAUTH);
	ck_assert_int_eq(rec_invite_encode(&inv, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/invite", &f.admin, enc, len - REC_SIG_LEN, NULL, 0, inv.sig);
	ck_assert_int_eq(rec_invite_verify(&f.net, &inv, NULL, NULL), MN_EAUTH);
	inv.expires_ms = f.grant.not_after_ms;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &inv), MN_OK);
	/* raw_sign follows the documented format exactly (Ed25519 is
	 * deterministic, so the signatures are equal). */
	{
		uint8_t sig[REC_SIG_LEN];
		ck_assert_int_eq(rec_invite_encode(&inv, enc, sizeof(enc), &len), MN_OK);
		raw_sign(&f.net, "mn/v1/invite", &f.admin, enc, len - REC_SIG_LEN, NULL, 0, sig);
		ck_assert_mem_eq(sig, inv.sig, REC_SIG_LEN);
	}
	/* Signer mismatch, bad fields. */
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.root, &inv), MN_EINVAL);
	inv.max_uses = 0;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &inv), MN_EPROTO);
	inv.max_uses = 1;
	inv.flags = 0x80;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &inv), MN_EPROTO);
	g.rights = 0x80;
	ck_assert_int_eq(rec_grant_sign(&f.net, &f.root, &g), MN_EPROTO);
	fx_free(&f);
}
END_TEST

START_TEST(test_invite_expiry)
{
	struct fx f;
	static struct rec_member m;
	struct rec_invite inv;
	struct rec_admission a;
	uint8_t proof[REC_SIG_LEN];
	const uint64_t exp = T0 + DAY_MS;

	fx_init(&f, "invite_expiry", NULL);
	make_invite(&f, &inv, BY_ROOT, 0);
	ck_assert_uint_eq(inv.expires_ms, exp);
	rec_join_proof(&f.net, &f.invkey, f.node.pk, proof);
#define ADMIT(now) rec_admit(&f.net, &inv, &f.peer, REC_BY_MEMBER, f.node.pk, proof, \
			     ip_ok, (now), NULL, NULL, &a)
	ck_assert_int_eq(ADMIT(0), MN_OK);
	ck_assert_int_eq(ADMIT(exp), MN_OK);
	ck_assert_int_eq(ADMIT(exp + REC_SKEW_MS - 1), MN_OK);
	ck_assert_int_eq(ADMIT(exp + REC_SKEW_MS + 1), MN_EEXPIRED);
	ck_assert(sodium_is_zero((const uint8_t *)&a, sizeof(a)));
	ck_assert_int_eq(ADMIT(UINT64_MAX), MN_EEXPIRED);
	/* The last accepted instant; the record made from it stays valid:
	 * verification takes no clock. */
	ck_assert_int_eq(ADMIT(exp + REC_SKEW_MS), MN_OK);
	ck_assert_uint_eq(a.admitted_ms, exp + REC_SKEW_MS);
	memset(&m, 0, sizeof(m));
	m.invite = inv;
	m.adm = a;
	m.version = 1;
	m.name_len = 1;
	m.name[0] = 'z';
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_OK);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	/* An invite that never expires. */
	inv.expires_ms = UINT64_MAX;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.root, &inv), MN_OK);
	ck_assert_int_eq(ADMIT(UINT64_MAX), MN_OK);
#undef ADMIT
	fx_free(&f);
}
END_TEST

/* m's admission re-dated at_ms and re-signed by f->peer (a member), then the
 * record re-signed by f->node. */
static void redate(struct fx *f, struct rec_member *m, uint64_t at_ms)
{
	uint8_t ienc[ENC_MAX], aenc[ENC_MAX], menc[ENC_MAX];
	size_t ilen, alen, mlen;

	m->adm.admitted_ms = at_ms;
	ck_assert_int_eq(rec_invite_encode(&m->invite, ienc, ENC_MAX, &ilen), MN_OK);
	ck_assert_int_eq(rec_admission_encode(&m->adm, aenc, ENC_MAX, &alen), MN_OK);
	raw_sign(&f->net, "mn/v1/admission", &f->peer, ienc, ilen, aenc, alen - REC_SIG_LEN,
		 m->adm.sig);
	ck_assert_int_eq(rec_member_encode(m, menc, ENC_MAX, &mlen), MN_OK);
	raw_sign(&f->net, "mn/v1/member", &f->node, menc, mlen - REC_SIG_LEN, NULL, 0, m->sig);
}

/* Mesh issue, "Trust at join": an admission dated after its invite's expiry
 * plus REC_SKEW_MS is refused by every verifier (both times are signed; no
 * clock), up to the last millisecond; an invite that never expires (expiry
 * within REC_SKEW_MS of UINT64_MAX) takes any date without overflowing. */
START_TEST(test_admission_late)
{
	struct fx f;
	static struct rec_member m;
	const uint64_t exp = T0 + DAY_MS;

	fx_init(&f, "admission_late", NULL);
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "late");
	ck_assert_uint_eq(m.invite.expires_ms, exp);
	redate(&f, &m, exp + REC_SKEW_MS);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	ck_assert_int_eq(rec_admission_verify(&f.net, &m.invite, &m.adm, NULL, NULL), MN_OK);
	redate(&f, &m, exp + REC_SKEW_MS + 1);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_EEXPIRED);
	ck_assert_int_eq(rec_admission_verify(&f.net, &m.invite, &m.adm, NULL, NULL),
			 MN_EEXPIRED);
	redate(&f, &m, UINT64_MAX);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_EEXPIRED);
	/* never expires: the sentinel and its neighbours */
	for (uint64_t e = UINT64_MAX - REC_SKEW_MS; e != 0; e++) {
		m.invite.expires_ms = e;
		ck_assert_int_eq(rec_invite_sign(&f.net, &f.root, &m.invite), MN_OK);
		redate(&f, &m, UINT64_MAX);
		ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
		if (e == UINT64_MAX - REC_SKEW_MS + 2)
			e = UINT64_MAX - 2; /* skip to the top */
	}
	/* just below the sentinel: it does expire */
	m.invite.expires_ms = UINT64_MAX - REC_SKEW_MS - 1;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.root, &m.invite), MN_OK);
	redate(&f, &m, UINT64_MAX);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_EEXPIRED);
	redate(&f, &m, UINT64_MAX - 1);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	fx_free(&f);
}
END_TEST

/* Mesh issue, "Trust at join": no route a record advertises may overlap
 * the network's overlay IPv4 prefix or IPv6 /48 (it would cover another
 * member's address); routes beside them pass. The honest signer refuses
 * them too. */
START_TEST(test_route_overlay)
{
	struct fx f;
	static struct rec_member m;
	struct {
		const char *route;
		int want;
	} cases[] = {
		{ "100.64.0.7/32", MN_EAUTH },     /* a member's /32 */
		{ "100.100.0.0/16", MN_EAUTH },    /* inside the prefix */
		{ "100.64.0.0/10", MN_EAUTH },     /* the prefix itself */
		{ "100.0.0.0/8", MN_EAUTH },       /* covering it */
		{ "0.0.0.0/0", MN_EAUTH },         /* a default route */
		{ "100.128.0.0/9", MN_OK },        /* right after it */
		{ "100.0.0.0/10", MN_OK },         /* right before it */
		{ "100.63.255.255/32", MN_OK },
		{ "::/0", MN_EAUTH },
		{ "fd00::/8", MN_EAUTH },          /* covering the /48 */
		{ "fe80::/10", MN_OK },
		{ "2001:db8::/32", MN_OK },
	};
	char v6[64], buf[MN_PREFIX_STRLEN];
	struct mn_prefix p;

	fx_init(&f, "route_overlay", NULL);
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 1, "router");
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]) + 3; i++) {
		const char *rt = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].route : v6;
		int want = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].want : MN_EAUTH;
		if (i >= sizeof(cases) / sizeof(cases[0])) {
			/* the network's /48, a /64 in it, a member's /128 in it */
			unsigned k = i - (unsigned)(sizeof(cases) / sizeof(cases[0]));
			p = f.net.v6;
			if (k == 1) {
				p.bits = 64;
				p.addr[7] = 9;
			} else if (k == 2) {
				rec_ipv6(&f.net, f.peer.pk, p.addr);
				p.bits = 128;
			}
			snprintf(v6, sizeof(v6), "%s", mn_prefix_format(&p, buf, sizeof(buf)));
		}
		ck_assert_int_eq(mn_prefix_parse(&p, rt), MN_OK);
		m.routes[0] = p;
		ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), want);
		redate(&f, &m, m.adm.admitted_ms); /* signed by hand, whatever the route */
		ck_assert_msg(rec_member_verify(&f.net, &m, NULL, NULL) == want, "route %s", rt);
	}
	/* another overlay prefix moves the forbidden range with it */
	ck_assert_int_eq(mn_prefix_parse(&p, "10.0.0.0/8"), MN_OK);
	ck_assert_int_eq(rec_network_init(&f.net, f.root.pk, &p), MN_OK);
	ck_assert_int_eq(mn_prefix_parse(&m.routes[0], "100.64.0.0/10"), MN_OK);
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_ERANGE); /* ip_ok is outside */
	ck_assert_int_eq(mn_prefix_parse(&m.routes[0], "10.1.0.0/16"), MN_OK);
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EAUTH);
	fx_free(&f);
}
END_TEST

START_TEST(test_admit_checks)
{
	struct fx f;
	struct rec_invite inv, inv_admin;
	struct rec_admission a;
	uint8_t proof[REC_SIG_LEN], bad[REC_SIG_LEN];
	uint8_t ienc[ENC_MAX], aenc[ENC_MAX];
	size_t ilen, alen;
	static const uint8_t outside[4] = { 198, 18, 0, 1 };
	static const uint8_t netaddr[4] = { 100, 64, 0, 0 };
	static const uint8_t bcast[4] = { 100, 127, 255, 255 };

	fx_init(&f, "admit_checks", NULL);
	make_invite(&f, &inv, BY_ROOT, 0);
	make_invite(&f, &inv_admin, BY_ADMIN, 0);
	rec_join_proof(&f.net, &f.invkey, f.node.pk, proof);
#define ADMIT(i, k, kind, pr, ip) rec_admit(&f.net, (i), (k), (kind), f.node.pk, (pr), \
					    (ip), T0, NULL, NULL, &a)
	/* The join proof must be the invite key's, over this node key. */
	rec_join_proof(&f.net, &f.peer, f.node.pk, bad);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, bad, ip_ok), MN_EAUTH);
	rec_join_proof(&f.net, &f.invkey, f.peer.pk, bad);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, bad, ip_ok), MN_EAUTH);
	/* Addresses outside the network, or its network/broadcast address. */
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, proof, outside), MN_ERANGE);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, proof, netaddr), MN_ERANGE);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, proof, bcast), MN_ERANGE);
	/* Kinds: ROOT needs the root key, ADMIN the invite's admin, MEMBER
	 * anyone but the node itself. */
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_ROOT, proof, ip_ok), MN_EAUTH);
	ck_assert_int_eq(ADMIT(&inv, &f.admin, REC_BY_ADMIN, proof, ip_ok), MN_EPROTO);
	ck_assert_int_eq(ADMIT(&inv_admin, &f.admin2, REC_BY_ADMIN, proof, ip_ok), MN_EAUTH);
	ck_assert_int_eq(ADMIT(&inv_admin, &f.admin, REC_BY_ADMIN, proof, ip_ok), MN_OK);
	ck_assert_int_eq(ADMIT(&inv, &f.node, REC_BY_MEMBER, proof, ip_ok), MN_EAUTH);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, (enum rec_signer)7, proof, ip_ok), MN_EINVAL);
	ck_assert_int_eq(ADMIT(&inv, &f.peer, REC_BY_MEMBER, proof, ip_ok), MN_OK);
#undef ADMIT
	/* A validly signed admission to an outside address still fails. */
	memcpy(a.ipv4, outside, 4);
	ck_assert_int_eq(rec_invite_encode(&inv, ienc, sizeof(ienc), &ilen), MN_OK);
	ck_assert_int_eq(rec_admission_encode(&a, aenc, sizeof(aenc), &alen), MN_OK);
	raw_sign(&f.net, "mn/v1/admission", &f.peer, ienc, ilen, aenc, alen - REC_SIG_LEN,
		 a.sig);
	ck_assert_int_eq(rec_admission_verify(&f.net, &inv, &a, NULL, NULL), MN_ERANGE);
	/* A custom network prefix moves the allowed range. */
	{
		struct rec_network n2;
		struct mn_prefix p;
		ck_assert_int_eq(mn_prefix_parse(&p, "100.100.0.0/16"), MN_OK);
		ck_assert_int_eq(rec_network_init(&n2, f.root.pk, &p), MN_OK);
		ck_assert_int_eq(rec_admit(&n2, &inv, &f.peer, REC_BY_MEMBER, f.node.pk,
					   proof, ip_ok, T0, NULL, NULL, &a), MN_ERANGE);
	}
	fx_free(&f);
}
END_TEST

START_TEST(test_member_fields)
{
	struct fx f;
	static struct rec_member m, good;
	static const char *bad_names[] = {
		"", "Laptop", "-x", "x-", "a.b", "a b", "caf\xc3\xa9",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	uint8_t enc[ENC_MAX];
	size_t len;

	fx_init(&f, "member_fields", NULL);
	make_member(&f, &good, BY_ROOT, REC_BY_MEMBER, 1, "ok");
	for (unsigned i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		m = good;
		memset(m.name, 0, sizeof(m.name));
		m.name_len = (uint8_t)strlen(bad_names[i]);
		memcpy(m.name, bad_names[i], m.name_len < REC_NAME_MAX ? m.name_len : REC_NAME_MAX);
		ck_assert_msg(rec_member_sign(&f.net, &f.node, &m) < 0, "%s", bad_names[i]);
	}
	/* 63 characters is fine. */
	m = good;
	m.name_len = REC_NAME_MAX;
	memset(m.name, 'a', REC_NAME_MAX);
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_OK);
	/* Host bits in a route, bad prefix lengths, too many routes. */
	m = good;
	m.routes[0].addr[3] = 1;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EPROTO);
	m = good;
	m.routes[0].bits = 33;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EPROTO);
	m = good;
	m.routes[0].family = 99;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EPROTO);
	m = good;
	m.nroutes = REC_MAX_ROUTES + 1;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EPROTO);
	m = good;
	m.flags = 0x80;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EPROTO);
	/* Signing another node's record. */
	m = good;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.peer, &m), MN_EINVAL);
	/* Routes need an invite that allows them; a node that signs some
	 * anyway is refused. */
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "no-routes");
	m.routes[0] = good.routes[0];
	m.nroutes = 1;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_EAUTH);
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	raw_sign(&f.net, "mn/v1/member", &f.node, enc, len - REC_SIG_LEN, NULL, 0, m.sig);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_EAUTH);
	/* Hand-encoded bad route on the wire: host bit set. */
	ck_assert_int_eq(rec_member_encode(&good, enc, sizeof(enc), &len), MN_OK);
	/* The single route (198.18.0.0/24) is 2 + 3 bytes before the signature. */
	ck_assert_int_eq(enc[len - REC_SIG_LEN - 5], 4);
	ck_assert_int_eq(enc[len - REC_SIG_LEN - 4], 24);
	enc[len - REC_SIG_LEN - 4] = 23; /* 198.18.0.0/23 ... */
	enc[len - REC_SIG_LEN - 1] = 1;  /* ... with host bit 9 set */
	ck_assert_int_eq(rec_member_decode(&m, enc, len), MN_EPROTO);
	fx_free(&f);
}
END_TEST

/* ---- versions ---- */

START_TEST(test_version)
{
	struct fx f;
	static struct rec_member a, b;

	fx_init(&f, "version", NULL);
	ck_assert_uint_eq(rec_next_version(0, T0), T0);
	ck_assert_uint_eq(rec_next_version(T0, T0), T0 + 1);
	ck_assert_uint_eq(rec_next_version(5, 3), 6);
	/* Restored from an old store: the wall clock carries it forward. */
	ck_assert_uint_eq(rec_next_version(T0 - DAY_MS, T0), T0);
	/* Wall clock stepped back: never lower than what was stored. */
	ck_assert_uint_eq(rec_next_version(T0 + 500, T0), T0 + 501);
	ck_assert_uint_eq(rec_next_version(UINT64_MAX, 0), UINT64_MAX);
	ck_assert_uint_eq(rec_next_version(UINT64_MAX - 1, 0), UINT64_MAX);

	make_member(&f, &a, BY_ROOT, REC_BY_MEMBER, 0, "v");
	b = a;
	ck_assert_int_eq(rec_member_cmp(&a, &b), 0);
	b.version = rec_next_version(a.version, T0);
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &b), MN_OK);
	ck_assert_int_gt(rec_member_cmp(&b, &a), 0);
	ck_assert_int_lt(rec_member_cmp(&a, &b), 0);
	/* Equal versions, different content: both sides agree on one. */
	b = a;
	b.flags = 0;
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &b), MN_OK);
	ck_assert_int_ne(rec_member_cmp(&a, &b), 0);
	ck_assert_int_eq(rec_member_cmp(&a, &b), -rec_member_cmp(&b, &a));
	fx_free(&f);
}
END_TEST

/* ---- memo ---- */

/* An address announcement's signature (gossip/swim_ann.c's body): good
 * under the node's key in its network only; any changed byte, another
 * key or another network fails; too long a body is refused. */
START_TEST(test_addr_sig)
{
	struct fx f;
	struct rec_network other;
	uint8_t body[64], sig[REC_SIG_LEN], big[REC_ADDR_BODY_MAX + 1];

	fx_init(&f, "addr_sig", NULL);
	for (size_t k = 0; k < sizeof(body); k++)
		body[k] = (uint8_t)(k * 7 + 1);
	ck_assert_int_eq(rec_addr_sign(&f.net, &f.node, body, sizeof(body), sig), MN_OK);
	ck_assert_int_eq(rec_addr_verify(&f.net, f.node.pk, body, sizeof(body), sig, NULL), MN_OK);
	ck_assert_int_eq(rec_addr_verify(&f.net, f.peer.pk, body, sizeof(body), sig, NULL),
			 MN_EAUTH);
	for (size_t k = 0; k < sizeof(body); k += 13) {
		body[k] ^= 1;
		ck_assert_int_eq(rec_addr_verify(&f.net, f.node.pk, body, sizeof(body), sig, NULL),
				 MN_EAUTH);
		body[k] ^= 1;
	}
	ck_assert_int_eq(rec_network_init(&other, f.admin.pk, NULL), MN_OK);
	ck_assert_int_eq(rec_addr_verify(&other, f.node.pk, body, sizeof(body), sig, NULL),
			 MN_EAUTH);
	memset(big, 1, sizeof(big));
	ck_assert_int_eq(rec_addr_sign(&f.net, &f.node, big, sizeof(big), sig), MN_EMSGSIZE);
	ck_assert_int_eq(rec_addr_verify(&f.net, f.node.pk, big, sizeof(big), sig, NULL),
			 MN_EMSGSIZE);
}
END_TEST

START_TEST(test_memo)
{
	struct fx f;
	static struct rec_member m, forged;
	/* Roomy, so the five entries below do not evict each other. */
	static uint8_t slots[1 << 16][REC_MEMO_KEY_LEN];
	struct rec_memo memo, tiny;
	uint64_t v;

	fx_init(&f, "memo", NULL);
	ck_assert_int_eq(rec_memo_init(&memo, slots, 0), MN_EINVAL);
	ck_assert_int_eq(rec_memo_init(&memo, slots, 48), MN_EINVAL);
	ck_assert_int_eq(rec_memo_init(&memo, NULL, 64), MN_EINVAL);
	ck_assert_int_eq(rec_memo_init(&memo, slots, 1 << 16), MN_OK);

	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 0, "memo");
	/* grant, invite, proof, admission, record: five real checks, then
	 * five hits for the same bytes. */
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, &memo), MN_OK);
	ck_assert_uint_eq(memo.verified, 5);
	ck_assert_uint_eq(memo.hits, 0);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, &memo), MN_OK);
	ck_assert_uint_eq(memo.verified, 5);
	ck_assert_uint_eq(memo.hits, 5);

	/* Same key, same message, another signature: not a hit, refused, and
	 * not remembered. */
	forged = m;
	forged.sig[10] ^= 4;
	v = memo.verified;
	ck_assert_int_eq(rec_member_verify(&f.net, &forged, NULL, &memo), MN_EAUTH);
	ck_assert_int_eq(rec_member_verify(&f.net, &forged, NULL, &memo), MN_EAUTH);
	ck_assert_uint_eq(memo.verified, v);
	ck_assert_uint_eq(memo.hits, 5 + 2 * 4); /* the intact chain hits */
	/* A different network shares no entries: its root differs, and so
	 * does every message. */
	{
		struct rec_network n2;
		ck_assert_int_eq(rec_network_init(&n2, f.admin.pk, NULL), MN_OK);
		ck_assert_int_eq(rec_member_verify(&n2, &m, NULL, &memo), MN_EAUTH);
	}
	/* Revocation is never memoized: it is checked on every call. */
	ck_assert_int_eq(verify_revoked(&f, &m, f.node.pk), MN_EREVOKED);

	/* One slot: constant eviction, still correct. */
	ck_assert_int_eq(rec_memo_init(&tiny, slots, 1), MN_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, &tiny), MN_OK);
	ck_assert_int_eq(rec_member_verify(&f.net, &forged, NULL, &tiny), MN_EAUTH);
	fx_free(&f);
}
END_TEST

/* ---- sizes ---- */

START_TEST(test_sizes)
{
	struct fx f;
	static struct rec_member m;
	uint8_t enc[ENC_MAX];
	size_t len;

	fx_init(&f, "sizes", NULL);
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "a");
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	ck_assert_uint_eq(len, REC_MEMBER_MIN);
	printf("sizes: grant %d, invite %d/%d, admission %d, revoke %d/%d\n",
	       REC_GRANT_LEN, REC_INVITE_ROOT_LEN, REC_INVITE_ADMIN_LEN,
	       REC_ADMISSION_LEN, REC_REVOKE_ROOT_LEN, REC_REVOKE_ADMIN_LEN);
	printf("sizes: member min %zu", len);
	make_member(&f, &m, BY_ROOT, REC_BY_MEMBER, 0, "laptop");
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	printf(", typical root chain %zu", len);
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 0, "laptop");
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	printf(", typical admin chain %zu", len);

	/* The largest: admin chain, 63-char name, 16 IPv6 /128 routes. */
	make_member(&f, &m, BY_ADMIN, REC_BY_MEMBER, 0, "x");
	m.invite.flags = REC_INV_ROUTES;
	ck_assert_int_eq(rec_invite_sign(&f.net, &f.admin, &m.invite), MN_OK);
	{
		uint8_t proof[REC_SIG_LEN];
		rec_join_proof(&f.net, &f.invkey, f.node.pk, proof);
		ck_assert_int_eq(rec_admit(&f.net, &m.invite, &f.peer, REC_BY_MEMBER,
					   f.node.pk, proof, ip_ok, T0, NULL, NULL, &m.adm),
				 MN_OK);
	}
	m.name_len = REC_NAME_MAX;
	memset(m.name, 'w', REC_NAME_MAX);
	m.nroutes = REC_MAX_ROUTES;
	for (unsigned i = 0; i < REC_MAX_ROUTES; i++) {
		m.routes[i].family = AF_INET6;
		m.routes[i].bits = 128;
		memset(m.routes[i].addr, 0xfd, 16);
		m.routes[i].addr[15] = (uint8_t)i;
	}
	ck_assert_int_eq(rec_member_sign(&f.net, &f.node, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, enc, sizeof(enc), &len), MN_OK);
	printf(", max %zu of %d\n", len, REC_DGRAM_MAX);
	ck_assert_uint_eq(len, REC_MEMBER_MAX);
	ck_assert_uint_le(len, REC_DGRAM_MAX);
	ck_assert_int_eq(rec_member_verify(&f.net, &m, NULL, NULL), MN_OK);
	fx_free(&f);
}
END_TEST

/* ---- fuzz corpus ---- */

/* Reads a written seed back and checks it does what fuzz_record needs of
 * it: it decodes as its kind, re-encodes to the same bytes, and verifies
 * against a network built, as the fuzz target builds it, from the root seed
 * alone, so the fuzzer starts past every signature check. */
static void check_corpus_file(const char *path, const struct sample *s,
			      const struct rec_network *net)
{
	static struct rec_member m;
	static uint8_t buf[ENC_MAX + 1];
	uint8_t re[ENC_MAX];
	struct rec_grant g;
	struct rec_invite inv;
	struct rec_revoke t;
	size_t len, relen;
	FILE *fp = fopen(path, "rb");

	ck_assert_msg(fp != NULL, "%s", path);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ck_assert_msg(len == s->len && memcmp(buf, s->enc, len) == 0, "%s: written %zu of %zu",
		      s->name, len, s->len);
	ck_assert_msg(decode_any(s->kind, buf, len, re, &relen) == MN_OK, "%s", s->name);
	ck_assert_msg(relen == len && memcmp(re, buf, len) == 0, "%s re-encodes", s->name);
	switch (s->kind) {
	case K_GRANT:
		ck_assert_int_eq(rec_grant_decode(&g, buf, len), MN_OK);
		ck_assert_int_eq(rec_grant_verify(net, &g, NULL, NULL), MN_OK);
		break;
	case K_INVITE:
		ck_assert_int_eq(rec_invite_decode(&inv, buf, len), MN_OK);
		ck_assert_int_eq(rec_invite_verify(net, &inv, NULL, NULL), MN_OK);
		break;
	case K_ADMISSION: /* verified with its invite, inside every member */
		break;
	case K_MEMBER:
		ck_assert_int_eq(rec_member_decode(&m, buf, len), MN_OK);
		ck_assert_msg(rec_member_verify(net, &m, NULL, NULL) == MN_OK, "%s", s->name);
		ck_assert_int_eq(rec_admission_verify(net, &m.invite, &m.adm, NULL, NULL), MN_OK);
		break;
	case K_REVOKE:
		ck_assert_int_eq(rec_revoke_decode(&t, buf, len), MN_OK);
		ck_assert_msg(rec_revoke_verify(net, &t, NULL, NULL) == MN_OK, "%s", s->name);
		break;
	}
}

/* Writes the fuzz seeds to MN_RECORD_CORPUS if set (to refresh
 * fuzz/corpus/record/), else to a temporary directory, and checks each. */
START_TEST(test_write_corpus)
{
	const char *dir = getenv("MN_RECORD_CORPUS");
	char tmp[] = "/tmp/mn_record_corpus.XXXXXX";
	struct rec_network net;
	struct rec_key root;
	struct fx f;

	if (!dir) {
		ck_assert_ptr_nonnull(mkdtemp(tmp));
		dir = tmp;
	}
	fx_init(&f, "write_corpus", fuzz_root_seed);
	rec_key_from_seed(&root, fuzz_root_seed);
	ck_assert_int_eq(rec_network_init(&net, root.pk, NULL), MN_OK);
	rec_key_wipe(&root);
	make_samples(&f, samples);
	for (unsigned i = 0; i < NSAMPLES; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, samples[i].name);
		FILE *fp = fopen(path, "wb");
		ck_assert_msg(fp != NULL, "%s", path);
		ck_assert_uint_eq(fwrite(samples[i].enc, 1, samples[i].len, fp), samples[i].len);
		ck_assert_int_eq(fclose(fp), 0);
		check_corpus_file(path, &samples[i], &net);
		if (dir == tmp)
			ck_assert_int_eq(remove(path), 0);
	}
	if (dir == tmp)
		ck_assert_int_eq(rmdir(tmp), 0);
	fx_free(&f);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");
	TCase *slow = tcase_create("record_exhaustive");

	tcase_add_test(tc, test_keys_seeded);
	tcase_add_test(tc, test_network);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_chain_variants);
	tcase_add_test(tc, test_wrong_root);
	tcase_add_test(tc, test_revoked);
	tcase_add_test(tc, test_revoke_rights);
	tcase_add_test(tc, test_admin_rights);
	tcase_add_test(tc, test_key_one_role);
	tcase_add_test(tc, test_invite_expiry);
	tcase_add_test(tc, test_admit_checks);
	tcase_add_test(tc, test_admission_late);
	tcase_add_test(tc, test_route_overlay);
	tcase_add_test(tc, test_member_fields);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_memo);
	tcase_add_test(tc, test_addr_sig);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_write_corpus);
	tcase_set_timeout(tc, 60);
	/* Thousands of signature checks: a bound, not a target (sanitizers). */
	tcase_add_test(slow, test_truncation_trailing);
	tcase_add_test(slow, test_bitflip);
	tcase_set_timeout(slow, 600);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, slow);
	return s;
}
MN_TEST_SUITE(record_suite)
