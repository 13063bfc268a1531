/* Tests for trust at join in the member table (gossip/swim_trust.c,
 * doc/membership.md "Trust at join"): a member may not admit under its own
 * invite, a held IPv4 is never taken (and the node that lost its own learns
 * it), use limits hold across the network with races settled by the lower
 * rec_race_hash, the same set at every member whatever the arrival order.
 *
 * swim instances fed with swim_learn only (no datagrams). Every test prints
 * its seed (MN_TEST_SEED=N replays another). */
#include <sodium.h>
#include <string.h>

#include "check_main.h"
#include "gossip_fixture.h"
#include "mn_wire.h"
#include "seal.h"
#include "swim.h"

#define NCAND 12  /* candidates for races */
#define NOBS 5    /* observers in the order test */
#define NORDERS 6 /* arrival orders per observer */

static const struct mn_time now0 = { 1000 * MN_NS_PER_SEC, GF_T0_MS * MN_NS_PER_MS };

/* A node's key, its record and its admission's race hash. */
struct cand {
	struct rec_key key;
	uint8_t rec[REC_MEMBER_MAX];
	size_t len;
	uint8_t race[REC_RACE_LEN];
};

/* A swim instance and what its events told. */
struct obs {
	struct swim *s;
	struct mn_seeded_rng srng;
	uint32_t removed;
};

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct obs *o = ctx;

	if (ev->kind == SWIM_EV_REMOVED)
		o->removed++;
}

static void race_of(struct cand *c)
{
	struct rec_member m;

	ck_assert_int_eq(rec_member_decode(&m, c->rec, c->len), MN_OK);
	rec_race_hash(m.adm.sig, c->race);
}

/* c: a new key's record under inv (key ik) at 100.64.b.d, admitted by
 * admitter (NULL: the root). */
static void cand_make(struct gfix *f, struct cand *c, const struct rec_invite *inv,
		      const struct rec_key *ik, const struct rec_key *admitter, uint32_t n,
		      uint8_t b, uint8_t d)
{
	const uint8_t ip[4] = { 100, 64, b, d };

	rec_key_generate(&c->key, &f->rng);
	gfix_record_ex(f, inv, ik, &c->key, n, GF_T0_MS, admitter ? admitter : &f->root,
		       admitter ? REC_BY_MEMBER : REC_BY_ROOT, ip, c->rec, sizeof(c->rec),
		       &c->len);
	race_of(c);
}

/* A root invite (key *ik) for max_uses. */
static void invite_make(struct gfix *f, struct rec_invite *inv, struct rec_key *ik,
			uint16_t max_uses)
{
	rec_key_generate(ik, &f->rng);
	memset(inv, 0, sizeof(*inv));
	inv->signer = REC_BY_ROOT;
	memcpy(inv->invite_pk, ik->pk, REC_PK_LEN);
	inv->expires_ms = GF_T0_MS + UINT64_C(86400000);
	inv->max_uses = max_uses;
	ck_assert_int_eq(rec_invite_sign(&f->net, &f->root, inv), MN_OK);
}

/* An instance whose own record is c's. */
static void obs_new(struct gfix *f, struct obs *o, const struct cand *c, uint64_t seed)
{
	struct swim_config cfg;

	memset(o, 0, sizeof(*o));
	memset(&cfg, 0, sizeof(cfg));
	swim_params_lan(&cfg.params);
	cfg.net = &f->net;
	cfg.key = &c->key;
	cfg.record = c->rec;
	cfg.record_len = c->len;
	mn_seeded_rng_init(&o->srng, seed);
	cfg.rng = mn_seeded_rng_iface(&o->srng);
	cfg.event = on_event;
	cfg.event_ctx = o;
	ck_assert_int_eq(swim_new(&o->s, &cfg, now0), MN_OK);
}

/* An observer admitted by the root under f->inv at 100.64.0.(n+1). */
static void obs_plain(struct gfix *f, struct obs *o, struct cand *self, uint32_t n)
{
	cand_make(f, self, &f->inv, &f->invkey, NULL, n, 0, (uint8_t)(n + 1));
	obs_new(f, o, self, f->seed + 100 + n);
}

static int learn(struct obs *o, const struct cand *c)
{
	return swim_learn(o->s, c->rec, c->len, NULL, now0);
}

static bool holds(const struct obs *o, const struct cand *c)
{
	struct swim_member_info mi;

	return swim_member(o->s, c->key.pk, &mi) == MN_OK;
}

static int race_cmp(const struct cand *a, const struct cand *b)
{
	return memcmp(a->race, b->race, REC_RACE_LEN);
}

/* Mesh issue, "Trust at join", rule 1: a member admitter may not admit
 * under the invite it was itself admitted with (so a multi-use link's
 * holder cannot mint members with the link's secret and admit them
 * itself); under another invite it may, and a holder of a multi-use link
 * still joins through someone else. */
START_TEST(test_trust_own_invite)
{
	struct gfix f;
	struct rec_invite k;
	struct rec_key ik;
	struct cand self, m, n1, n2, n3, n4;
	struct obs o;

	gfix_init(&f, gfix_seed("test_trust_own_invite", 0x7401));
	invite_make(&f, &k, &ik, 10);
	obs_plain(&f, &o, &self, 0);
	cand_make(&f, &m, &k, &ik, NULL, 1, 1, 2);          /* M: joined with link K */
	cand_make(&f, &n1, &k, &ik, &m.key, 2, 1, 3);       /* M admits under K: no */
	cand_make(&f, &n2, &f.inv2, &f.invkey2, &m.key, 3, 1, 4); /* under another: yes */
	cand_make(&f, &n3, &k, &ik, NULL, 4, 1, 5);         /* K's next use, by the root */
	cand_make(&f, &n4, &f.inv, &f.invkey, &self.key, 5, 1, 6); /* we admit under ours */
	ck_assert_int_eq(learn(&o, &m), MN_OK);
	ck_assert_int_eq(learn(&o, &n1), MN_EAUTH);
	ck_assert(!holds(&o, &n1));
	ck_assert_int_eq(learn(&o, &n4), MN_EAUTH);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_REFUSED_OWN_INVITE), 2);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_RECORDS_REFUSED), 2);
	ck_assert_int_eq(learn(&o, &n2), MN_OK);
	ck_assert_int_eq(learn(&o, &n3), MN_OK);
	ck_assert_int_eq(learn(&o, &n1), MN_EAUTH);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_REFUSED_OWN_INVITE), 3);
	swim_del(o.s);
	gfix_free(&f);
}
END_TEST

/* Rule 2: an IPv4 held by a member is never taken by a later admission of
 * another key, whatever its race hash; the holder's own newer versions
 * pass; once the holder is removed, the address is free again. */
START_TEST(test_trust_addr_held)
{
	struct gfix f;
	struct cand self, x, y[4], z;
	struct obs o;
	uint8_t rec[REC_MEMBER_MAX];
	size_t len;

	gfix_init(&f, gfix_seed("test_trust_addr_held", 0x7402));
	obs_plain(&f, &o, &self, 0);
	cand_make(&f, &x, &f.inv, &f.invkey, NULL, 1, 1, 2);
	ck_assert_int_eq(learn(&o, &x), MN_OK);
	for (uint32_t k = 0; k < 4; k++) { /* some of them win the race rule: still no */
		cand_make(&f, &y[k], &f.inv, &f.invkey, NULL, 2 + k, 1, 2);
		ck_assert_int_eq(learn(&o, &y[k]), MN_ERANGE);
		ck_assert(!holds(&o, &y[k]));
	}
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_REFUSED_ADDR_HELD), 4);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_RECORDS_REFUSED), 4);
	ck_assert_uint_eq(swim_lost(o.s), 0);
	ck_assert(holds(&o, &x));
	/* x's next version: the same admission, the same address */
	gfix_record_ex(&f, &f.inv, &f.invkey, &x.key, 1, GF_T0_MS + 1, &f.root, REC_BY_ROOT,
		       (const uint8_t[]){ 100, 64, 1, 2 }, rec, sizeof(rec), &len);
	ck_assert_int_eq(swim_learn(o.s, rec, len, NULL, now0), MN_OK);
	/* removed: the address is free */
	ck_assert_uint_eq(swim_remove(o.s, x.key.pk, now0), 1);
	cand_make(&f, &z, &f.inv, &f.invkey, NULL, 9, 1, 2);
	ck_assert_int_eq(learn(&o, &z), MN_OK);
	swim_del(o.s);
	gfix_free(&f);
}
END_TEST

/* Rule 2, the race: two nodes admitted with one IPv4 on two sides of a
 * partition. Each refuses the other's record (a held address is never
 * taken); the one whose admission has the higher race hash learns it lost
 * (swim_lost, once), the winner learns nothing. */
START_TEST(test_trust_addr_lost)
{
	struct gfix f;
	struct cand a, b;
	struct obs oa, ob;
	const struct cand *lo, *hi;
	struct obs *olo, *ohi;

	gfix_init(&f, gfix_seed("test_trust_addr_lost", 0x7403));
	cand_make(&f, &a, &f.inv, &f.invkey, NULL, 1, 1, 9);
	cand_make(&f, &b, &f.inv, &f.invkey, NULL, 2, 1, 9);
	obs_new(&f, &oa, &a, f.seed + 1);
	obs_new(&f, &ob, &b, f.seed + 2);
	lo = race_cmp(&a, &b) < 0 ? &a : &b;
	hi = lo == &a ? &b : &a;
	olo = lo == &a ? &oa : &ob;
	ohi = lo == &a ? &ob : &oa;
	ck_assert_int_eq(learn(olo, hi), MN_ERANGE);
	ck_assert_int_eq(learn(ohi, lo), MN_ERANGE);
	ck_assert_uint_eq(swim_lost(olo->s), 0);
	ck_assert_uint_eq(swim_lost(ohi->s), SWIM_LOST_ADDR);
	ck_assert_uint_eq(swim_stat(ohi->s, SWIM_STAT_ADDR_LOST), 1);
	ck_assert_int_eq(learn(ohi, lo), MN_ERANGE); /* push-pull offers it again */
	ck_assert_uint_eq(swim_stat(ohi->s, SWIM_STAT_ADDR_LOST), 1);
	ck_assert_uint_eq(swim_stat(ohi->s, SWIM_STAT_REFUSED_ADDR_HELD), 2);
	ck_assert(!holds(ohi, lo) && !holds(olo, hi));
	swim_del(oa.s);
	swim_del(ob.s);
	gfix_free(&f);
}
END_TEST

/* indices of c[0 .. n) sorted by race hash (insertion sort: n is small) */
static void by_race(const struct cand *c, uint32_t n, uint32_t *ord)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;
		for (; j > 0 && race_cmp(&c[ord[j - 1]], &c[i]) > 0; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
}

/* Rule 3: an invite for 3 uses, 7 admissions under it fed one by one: the
 * table holds the 3 lowest race hashes seen so far at every step; a record
 * that beats the highest held one drops it (SWIM_EV_REMOVED, counted, and
 * the member it admitted with it); one that does not is refused (MN_EFULL,
 * counted). */
START_TEST(test_trust_use_limit)
{
	enum { USES = 3, N = 7 };
	struct gfix f;
	struct rec_invite k;
	struct rec_key ik;
	struct cand self, c[N], d;
	struct obs o;
	uint32_t ord[N], hi, fed[N], nfed = 0, refused = 0, lost = 0;

	gfix_init(&f, gfix_seed("test_trust_use_limit", 0x7404));
	invite_make(&f, &k, &ik, USES);
	obs_plain(&f, &o, &self, 0);
	for (uint32_t i = 0; i < N; i++)
		cand_make(&f, &c[i], &k, &ik, NULL, 10 + i, 1, (uint8_t)(10 + i));
	by_race(c, N, ord);
	hi = ord[N - 1];
	/* the highest first; it admits d (under another invite) */
	cand_make(&f, &d, &f.inv2, &f.invkey2, &c[hi].key, 30, 1, 30);
	for (uint32_t step = 0; step < N; step++) {
		uint32_t i = step == 0 ? hi : ord[(step - 1)];
		int want_ok, err;
		uint32_t below = 0; /* fed ones with a lower hash */
		for (uint32_t j = 0; j < nfed; j++)
			below += race_cmp(&c[fed[j]], &c[i]) < 0;
		want_ok = below < USES;
		err = learn(&o, &c[i]);
		ck_assert_int_eq(err, (want_ok ? MN_OK : MN_EFULL));
		refused += !want_ok;
		lost += want_ok && nfed >= USES; /* it beat a held one */
		fed[nfed++] = i;
		if (step == 0)
			ck_assert_int_eq(learn(&o, &d), MN_OK);
		/* held: exactly the USES lowest fed so far */
		for (uint32_t j = 0; j < nfed; j++) {
			uint32_t rank = 0;
			for (uint32_t q = 0; q < nfed; q++)
				rank += race_cmp(&c[fed[q]], &c[fed[j]]) < 0;
			ck_assert_msg(holds(&o, &c[fed[j]]) == (rank < USES), "step %u cand %u",
				      step, fed[j]);
		}
	}
	/* hi went with the 4th lowest: d, admitted by it, went too */
	ck_assert(!holds(&o, &c[hi]) && !holds(&o, &d));
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_REFUSED_USED_UP), refused);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_USES_LOST), lost);
	ck_assert_uint_eq(o.removed, lost + 1);
	ck_assert_uint_eq(refused + lost, N - USES);
	ck_assert_uint_eq(swim_lost(o.s), 0);
	swim_del(o.s);
	gfix_free(&f);
}
END_TEST

/* Rule 3 is deterministic: NOBS members each fed the same records (two
 * invites of 1 and 3 uses, admissions beyond both, members admitted by the
 * candidates under a third) in NORDERS seeded orders, twice over (gossip
 * offers a refused record again), all end with the same set: the lowest
 * race hashes under each invite and what those admitted. */
START_TEST(test_trust_use_orders)
{
	enum { N1 = 4, N2 = 7, ND = 3, N = N1 + N2 + ND };
	struct gfix f;
	struct rec_invite k1, k2;
	struct rec_key ik1, ik2;
	struct cand c[N], self[NOBS];
	uint32_t ord1[N1], ord2[N2], perm[N];
	bool want[N];

	gfix_init(&f, gfix_seed("test_trust_use_orders", 0x7405));
	invite_make(&f, &k1, &ik1, 1);
	invite_make(&f, &k2, &ik2, 3);
	for (uint32_t i = 0; i < N1 + N2; i++)
		cand_make(&f, &c[i], i < N1 ? &k1 : &k2, i < N1 ? &ik1 : &ik2, NULL, 10 + i, 1,
			  (uint8_t)(10 + i));
	by_race(c, N1, ord1);
	by_race(c + N1, N2, ord2);
	memset(want, 0, sizeof(want));
	want[ord1[0]] = true;
	for (uint32_t r = 0; r < 3; r++)
		want[N1 + ord2[r]] = true;
	/* the d's: admitted by a winner, by a loser under k1, by a loser under k2 */
	const uint32_t by[ND] = { ord1[0], ord1[N1 - 1], N1 + ord2[N2 - 1] };
	for (uint32_t j = 0; j < ND; j++) {
		cand_make(&f, &c[N1 + N2 + j], &f.inv2, &f.invkey2, &c[by[j]].key, 40 + j, 2,
			  (uint8_t)(40 + j));
		want[N1 + N2 + j] = want[by[j]];
	}
	for (uint32_t ob = 0; ob < NOBS; ob++) {
		for (uint32_t r = 0; r < NORDERS; r++) {
			struct obs o;
			obs_plain(&f, &o, &self[ob], ob);
			for (uint32_t i = 0; i < N; i++)
				perm[i] = i;
			for (uint32_t i = N - 1; i > 0; i--) {
				uint32_t j = mn_rng_uniform(&f.rng, i + 1), t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			for (uint32_t pass = 0; pass < 2; pass++)
				for (uint32_t i = 0; i < N; i++)
					learn(&o, &c[perm[i]]);
			for (uint32_t i = 0; i < N; i++)
				ck_assert_msg(holds(&o, &c[i]) == want[i],
					      "observer %u order %u: cand %u held %d", ob, r, i,
					      holds(&o, &c[i]));
			swim_del(o.s);
			rec_key_wipe(&self[ob].key);
		}
	}
	for (uint32_t i = 0; i < N; i++)
		rec_key_wipe(&c[i].key);
	gfix_free(&f);
}
END_TEST

/* Rule 3 for our own admission: a lower admission under our (single-use)
 * invite takes the use; we learn it (swim_lost), stay member 0 here, and
 * no longer count, so a third admission must beat the winner. A higher one
 * is refused and we lose nothing. */
START_TEST(test_trust_use_self)
{
	struct gfix f;
	struct rec_invite k;
	struct rec_key ik;
	struct cand c[6];
	uint32_t ord[6];
	struct obs o, o2;
	struct swim_member_info mi;

	gfix_init(&f, gfix_seed("test_trust_use_self", 0x7406));
	invite_make(&f, &k, &ik, 1);
	for (uint32_t i = 0; i < 6; i++)
		cand_make(&f, &c[i], &k, &ik, NULL, 10 + i, 1, (uint8_t)(10 + i));
	by_race(c, 6, ord);
	/* we are the 3rd lowest: the 4th is refused, the 2nd wins */
	obs_new(&f, &o, &c[ord[2]], f.seed + 1);
	ck_assert_int_eq(learn(&o, &c[ord[3]]), MN_EFULL);
	ck_assert_uint_eq(swim_lost(o.s), 0);
	ck_assert_int_eq(learn(&o, &c[ord[1]]), MN_OK);
	ck_assert_uint_eq(swim_lost(o.s), SWIM_LOST_USE);
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_USES_LOST), 1);
	ck_assert_int_eq(swim_member(o.s, c[ord[2]].key.pk, &mi), MN_OK);
	ck_assert_int_eq(learn(&o, &c[ord[4]]), MN_EFULL);
	ck_assert_int_eq(learn(&o, &c[ord[0]]), MN_OK);
	ck_assert(!holds(&o, &c[ord[1]]));
	ck_assert_uint_eq(o.removed, 1);
	/* the lowest never loses */
	obs_new(&f, &o2, &c[ord[0]], f.seed + 2);
	for (uint32_t i = 1; i < 6; i++)
		ck_assert_int_eq(learn(&o2, &c[ord[i]]), MN_EFULL);
	ck_assert_uint_eq(swim_lost(o2.s), 0);
	swim_del(o.s);
	swim_del(o2.s);
	gfix_free(&f);
}
END_TEST

/* Rule 3 from the wire: the member that loses a use race is the sender of
 * the RECORD that beats it. Its removal waits for the end of the datagram
 * (the handler still answers it, then it goes), as tombstones do. */
START_TEST(test_trust_use_rx)
{
	enum { CRAFT_BOOT = 100000 };
	struct gfix f;
	struct rec_invite k;
	struct rec_key ik;
	struct cand self, x, y;
	struct obs o;
	struct seal_self me;
	struct seal_keys sk;
	struct seal_pair pair;
	struct mn_addr from;
	uint8_t body[SWIM_PT_MAX], dg[SWIM_MTU];
	size_t bl = SWIM_BODY_HDR, dl;

	gfix_init(&f, gfix_seed("test_trust_use_rx", 0x7407));
	invite_make(&f, &k, &ik, 1);
	obs_plain(&f, &o, &self, 0);
	cand_make(&f, &x, &k, &ik, NULL, 10, 1, 10);
	do /* y must beat x */
		cand_make(&f, &y, &k, &ik, NULL, 11, 1, 11);
	while (race_cmp(&y, &x) > 0);
	ck_assert_int_eq(learn(&o, &x), MN_OK);
	/* x sends a RECORD with y's record, then its own */
	memset(body, 0, sizeof(body));
	body[bl++] = 2;
	for (uint32_t e = 0; e < 2; e++) {
		const struct cand *c = e == 0 ? &y : &x;
		mn_put_be32(body + bl, 0);
		body[bl + 4] = SWIM_ALIVE;
		body[bl + 5] = 0; /* no announcement */
		mn_put_be16(body + bl + 6, (uint16_t)c->len);
		memcpy(body + bl + 8, c->rec, c->len);
		bl += 8 + c->len;
	}
	memset(&pair, 0, sizeof(pair));
	ck_assert_int_eq(seal_self_init(&me, &x.key, CRAFT_BOOT), MN_OK);
	ck_assert_int_eq(seal_keys_derive(&sk, &me, self.key.pk, NULL), MN_OK);
	ck_assert_int_eq(seal_seal(&me, &sk, &pair, seal_key_id(self.key.pk), SWIM_T_RECORD, body,
				   bl, &f.rng, dg, sizeof(dg), &dl), MN_OK);
	seal_self_wipe(&me);
	seal_keys_wipe(&sk);
	ck_assert_int_eq(mn_addr_parse(&from, "198.18.0.10:51820"), MN_OK);
	ck_assert_int_eq(swim_recv(o.s, &from, dg, dl, now0), MN_OK);
	ck_assert(holds(&o, &y));
	ck_assert(!holds(&o, &x));
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_USES_LOST), 1);
	ck_assert_uint_eq(o.removed, 1);
	/* x was still a member for its own record's entry (not newer: not
	 * judged again), so nothing was refused in the datagram */
	ck_assert_uint_eq(swim_stat(o.s, SWIM_STAT_RECORDS_REFUSED), 0);
	/* x's records and datagrams are a non-member's now */
	ck_assert_int_eq(learn(&o, &x), MN_EFULL);
	swim_del(o.s);
	gfix_free(&f);
}
END_TEST

/* ---- one key, one role ---- */

/* A root grant (INVITE and REVOKE, no end) to a fresh admin key k. */
static void admin_make(struct gfix *f, struct rec_key *k, struct rec_grant *g)
{
	rec_key_generate(k, &f->rng);
	memset(g, 0, sizeof(*g));
	g->rights = REC_RIGHT_INVITE | REC_RIGHT_REVOKE;
	memcpy(g->admin_pk, k->pk, REC_PK_LEN);
	g->not_after_ms = UINT64_MAX;
	ck_assert_int_eq(rec_grant_sign(&f->net, &f->root, g), MN_OK);
}

/* An invite by admin k (grant g) whose key is pk. */
static void admin_invite(struct gfix *f, const struct rec_key *k, const struct rec_grant *g,
			 const uint8_t pk[REC_PK_LEN], struct rec_invite *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->signer = REC_BY_ADMIN;
	memcpy(inv->invite_pk, pk, REC_PK_LEN);
	inv->expires_ms = GF_T0_MS + UINT64_C(86400000);
	inv->max_uses = 10;
	inv->grant = *g;
	ck_assert_int_eq(rec_invite_sign(&f->net, k, inv), MN_OK);
}

/* c: node key `node` (NULL: a fresh one) admitted by admin k under inv
 * (its key's secret ik) at 100.64.2.d. */
static void admin_cand(struct gfix *f, struct cand *c, const struct rec_key *node,
		       const struct rec_invite *inv, const struct rec_key *ik,
		       const struct rec_key *k, uint32_t n, uint8_t d)
{
	const uint8_t ip[4] = { 100, 64, 2, d };

	if (node)
		c->key = *node;
	else
		rec_key_generate(&c->key, &f->rng);
	gfix_record_ex(f, inv, ik, &c->key, n, GF_T0_MS, k, REC_BY_ADMIN, ip, c->rec,
		       sizeof(c->rec), &c->len);
	race_of(c);
}

/* Admin k's (grant g) tombstone against target. */
static size_t admin_tomb(struct gfix *f, const struct rec_key *k, const struct rec_grant *g,
			 const uint8_t target[REC_PK_LEN], uint8_t *buf)
{
	struct rec_revoke t;
	size_t len;

	memset(&t, 0, sizeof(t));
	t.signer = REC_BY_ADMIN;
	memcpy(t.target_pk, target, REC_PK_LEN);
	t.revoked_ms = GF_T0_MS + 7000;
	t.grant = *g;
	ck_assert_int_eq(rec_revoke_sign(&f->net, k, &t), MN_OK);
	ck_assert_int_eq(rec_revoke_encode(&t, buf, REC_REVOKE_MAX, &len), MN_OK);
	return len;
}

static uint32_t tombs_held(const struct obs *o)
{
	struct swim_counts c;

	swim_counts(o->s, &c);
	return c.tombs;
}

/* Hole 7 (doc/membership.md "One key, one role"): admin A may revoke its
 * own invites and their members, never admin B nor B's members. Before
 * the rule A did both, in four orders of arrival:
 *   o1  B's admin key kb is also the node key of a member admitted under
 *       A's invite (kb's holder joined a machine with it): A's tombstone
 *       against its "own member" kb is in scope, and a tombstone refuses
 *       its key in every role: B fell, and with it every member admitted
 *       under B's invites (BM here).
 *   o2  A signed an invite naming B's invite key ib (A holds B's link,
 *       whose secret signs join proofs) and admitted XN with it: A's
 *       tombstone against "its" invite ib took effect, and BM (under ib)
 *       fell.
 *   o3  as o1, the node record first: B's records are then refused here
 *       (kb holds its first role), but B's grant, verified, still makes
 *       kb an admin key, which no admin revokes.
 *   o4  A's tombstone against kb first, pending (no record names kb), then
 *       BM, then the node record: it settled the tombstone in A's scope.
 * Now the second role is refused (MN_EAUTH, REFUSED_KEY_ROLE), and so is
 * an admin's tombstone against an admin key: kb is never revoked, BM stays
 * wherever it is held. */
START_TEST(test_trust_key_roles)
{
	struct gfix f;
	struct rec_key ka, kb, ia, ib;
	struct rec_grant ga, gb;
	struct rec_invite inva, invb, inva_b;
	struct cand s1, s2, s3, s4, bm, kbn, xn, am;
	struct obs o1, o2, o3, o4;
	uint8_t tkb[REC_REVOKE_MAX], tib[REC_REVOKE_MAX];
	size_t tkb_len, tib_len;
	int e_kbn, e_tkb, e_xn, e_tib, e3_bm, e3_tkb, e4_tkb, e4_kbn;

	gfix_init(&f, gfix_seed("test_trust_key_roles", 0x7408));
	admin_make(&f, &ka, &ga);
	admin_make(&f, &kb, &gb);
	rec_key_generate(&ia, &f.rng);
	rec_key_generate(&ib, &f.rng);
	admin_invite(&f, &ka, &ga, ia.pk, &inva);
	admin_invite(&f, &kb, &gb, ib.pk, &invb);
	admin_invite(&f, &ka, &ga, ib.pk, &inva_b); /* A's invite, B's invite key */
	admin_cand(&f, &bm, NULL, &invb, &ib, &kb, 1, 1);    /* B's member */
	admin_cand(&f, &kbn, &kb, &inva, &ia, &ka, 2, 2);   /* node key kb, A's invite */
	admin_cand(&f, &xn, NULL, &inva_b, &ib, &ka, 3, 3); /* A's invite naming ib */
	admin_cand(&f, &am, NULL, &inva, &ia, &ka, 4, 4);   /* A's member */
	tkb_len = admin_tomb(&f, &ka, &ga, kb.pk, tkb);
	tib_len = admin_tomb(&f, &ka, &ga, ib.pk, tib);
	obs_plain(&f, &o1, &s1, 0);
	obs_plain(&f, &o2, &s2, 0);
	obs_plain(&f, &o3, &s3, 0);
	obs_plain(&f, &o4, &s4, 0);

	ck_assert_int_eq(learn(&o1, &bm), MN_OK);
	e_kbn = learn(&o1, &kbn);
	e_tkb = swim_revoke(o1.s, tkb, tkb_len, now0);

	ck_assert_int_eq(learn(&o2, &bm), MN_OK);
	e_xn = learn(&o2, &xn);
	e_tib = swim_revoke(o2.s, tib, tib_len, now0);

	ck_assert_int_eq(learn(&o3, &kbn), MN_OK);
	e3_bm = learn(&o3, &bm);
	e3_tkb = swim_revoke(o3.s, tkb, tkb_len, now0);

	e4_tkb = swim_revoke(o4.s, tkb, tkb_len, now0);
	ck_assert_uint_eq(tombs_held(&o4), 1); /* pending: no record names kb */
	ck_assert_int_eq(learn(&o4, &bm), MN_OK);
	e4_kbn = learn(&o4, &kbn);

	/* what the attack was after: B and its member */
	ck_assert_msg(holds(&o1, &bm) && holds(&o2, &bm) && holds(&o4, &bm),
		      "an admin's tombstone removed another admin's member");
	ck_assert(!swim_revoked(o1.s, kb.pk) && !swim_revoked(o3.s, kb.pk) &&
		  !swim_revoked(o4.s, kb.pk));
	ck_assert(!swim_revoked(o2.s, ib.pk));
	/* and how: each second role refused */
	ck_assert_int_eq(e_kbn, MN_EAUTH);
	ck_assert(!holds(&o1, &kbn));
	ck_assert_int_eq(e_tkb, MN_EAUTH);
	ck_assert_uint_eq(swim_stat(o1.s, SWIM_STAT_REFUSED_KEY_ROLE), 2);
	ck_assert_uint_eq(swim_stat(o1.s, SWIM_STAT_RECORDS_REFUSED), 1);
	ck_assert_uint_eq(swim_stat(o1.s, SWIM_STAT_TOMBS_REFUSED), 1);
	ck_assert_int_eq(e_xn, MN_EAUTH);
	ck_assert(!holds(&o2, &xn));
	ck_assert_int_eq(e_tib, MN_EAUTH); /* only BM names ib: out of A's scope */
	ck_assert_uint_eq(swim_stat(o2.s, SWIM_STAT_REFUSED_KEY_ROLE), 1);
	ck_assert_int_eq(e3_bm, MN_EAUTH); /* kb is a member's node key here */
	ck_assert(holds(&o3, &kbn) && !holds(&o3, &bm));
	ck_assert_int_eq(e3_tkb, MN_EAUTH);
	ck_assert_uint_eq(swim_stat(o3.s, SWIM_STAT_REFUSED_KEY_ROLE), 2);
	ck_assert_int_eq(e4_tkb, MN_OK);
	ck_assert_int_eq(e4_kbn, MN_EAUTH);
	ck_assert_uint_eq(tombs_held(&o4), 0); /* dropped once kb was known an admin key */
	ck_assert_uint_eq(swim_stat(o4.s, SWIM_STAT_REFUSED_KEY_ROLE), 2);
	/* the rule takes no legitimate revocation: A's own member */
	ck_assert_int_eq(learn(&o2, &am), MN_OK);
	tkb_len = admin_tomb(&f, &ka, &ga, am.key.pk, tkb);
	ck_assert_int_eq(swim_revoke(o2.s, tkb, tkb_len, now0), MN_OK);
	ck_assert(!holds(&o2, &am) && holds(&o2, &bm) && swim_revoked(o2.s, am.key.pk));
	swim_del(o1.s);
	swim_del(o2.s);
	swim_del(o3.s);
	swim_del(o4.s);
	rec_key_wipe(&ka);
	rec_key_wipe(&kb);
	rec_key_wipe(&ia);
	rec_key_wipe(&ib);
	gfix_free(&f);
}
END_TEST

static Suite *trust_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("trust");

	tcase_add_test(tc, test_trust_own_invite);
	tcase_add_test(tc, test_trust_addr_held);
	tcase_add_test(tc, test_trust_addr_lost);
	tcase_add_test(tc, test_trust_use_limit);
	tcase_add_test(tc, test_trust_use_orders);
	tcase_add_test(tc, test_trust_use_self);
	tcase_add_test(tc, test_trust_use_rx);
	tcase_add_test(tc, test_trust_key_roles);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(trust_suite)
