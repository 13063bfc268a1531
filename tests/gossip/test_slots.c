/* Tests for the member table's slots (gossip/swim_member.c, "slots";
 * doc/gossip.md §10): a removed member's slot goes to the next member
 * added, so churn never fills the table, and the new occupant starts clean
 * (nothing of the old one: suspicion, queued update, token, address, seal
 * window, probe or relay state, output addressed to the old one).
 *
 * The table is capped small (swim_config.max_members) so that reuse is the
 * only way a member can be added. The churn test drives one instance
 * through swim_learn and swim_remove against a naive model; the others run
 * a few instances over vnet.h's in-test network. Each test prints its seed
 * (MN_TEST_SEED=N replays another). Node i sits at 198.18.0.(i+1):51820. */
#include <arpa/inet.h>
#include <string.h>

#include "check_main.h"
#include "gossip_fixture.h"
#include "mn_wire.h"
#include "seal.h"
#include "swim.h"
#include "vnet.h"

#define SEC MN_NS_PER_SEC
#define MS MN_NS_PER_MS
#define MONO0 (1000 * SEC) /* the nodes' mono clock at the network's time 0 */
#define WALL0 (GF_T0_MS * MN_NS_PER_MS + 3600 * SEC)
#define MEMO_SLOTS 1024
#define T_NODE 0x20        /* a sealed type swim does not own */

/* ---- the churn test: one instance, no network ---- */

#define CH_CAP 6       /* members held at once, ourselves included */
#define CH_KEYS 24     /* candidate members, each added and removed many times */
#define CH_STEPS 800
#define CH_CHECK 50    /* steps between comparisons with a fresh instance */

struct churn {
	struct gfix f;
	struct rec_key self_key;
	uint8_t self_rec[REC_MEMBER_MAX];
	size_t self_len;
	struct rec_key key[CH_KEYS];
	uint8_t rec[CH_KEYS][REC_MEMBER_MAX];
	size_t len[CH_KEYS];
	bool held[CH_KEYS]; /* the model: who is a member now */
	uint32_t nheld;
	uint8_t (*memo_slots)[REC_MEMO_KEY_LEN];
	struct rec_memo memo;
};

static const struct mn_time ch_now = { MONO0, WALL0 };

static struct swim *churn_swim(struct churn *c, struct mn_seeded_rng *srng, uint64_t seed)
{
	struct swim_config cfg;
	struct swim *s;

	memset(&cfg, 0, sizeof(cfg));
	swim_params_lan(&cfg.params);
	cfg.net = &c->f.net;
	cfg.key = &c->self_key;
	cfg.record = c->self_rec;
	cfg.record_len = c->self_len;
	mn_seeded_rng_init(srng, seed);
	cfg.rng = mn_seeded_rng_iface(srng);
	cfg.memo = &c->memo;
	cfg.max_members = CH_CAP;
	ck_assert_int_eq(swim_new(&s, &cfg, ch_now), MN_OK);
	return s;
}

/* The instance holds exactly the model's members, and its view digest (an
 * XOR over its members: the digest leaves' sum) is that of a fresh
 * instance that learned only them. */
static void churn_check(struct churn *c, struct swim *s, bool fresh)
{
	struct swim_member_info mi;
	struct swim_counts k;

	swim_counts(s, &k);
	ck_assert_uint_eq(k.members, c->nheld + 1);
	ck_assert_uint_eq(k.alive, c->nheld + 1);
	for (uint32_t j = 0; j < CH_KEYS; j++)
		ck_assert_int_eq(swim_member(s, c->key[j].pk, &mi), c->held[j] ? MN_OK : MN_ENOENT);
	if (!fresh)
		return;
	struct mn_seeded_rng srng;
	struct swim *ref = churn_swim(c, &srng, c->f.seed + 1);
	for (uint32_t j = 0; j < CH_KEYS; j++)
		if (c->held[j])
			ck_assert_int_eq(swim_learn(ref, c->rec[j], c->len[j], NULL, ch_now), MN_OK);
	ck_assert_uint_eq(swim_view_digest(ref), swim_view_digest(s));
	swim_del(ref);
}

/* Issue 11, hole 9: a removed member's slot was never reused, so a
 * long-lived node whose members come and go (revocations, lost use races)
 * refused every record once it had added the table's capacity in its
 * life, however few it held. CH_CAP - 1 members at most are held here,
 * and 50 times that are added over the run: every addition the cap allows
 * must succeed, and one past the cap must still be refused. */
START_TEST(test_slot_churn)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct mn_seeded_rng srng, prng;
	struct mn_rng pick;
	uint32_t adds = 0, full = 0;
	struct swim *s;

	ck_assert_ptr_nonnull(c);
	gfix_init(&c->f, gfix_seed("test_slot_churn", 0x5107));
	c->memo_slots = calloc(MEMO_SLOTS, REC_MEMO_KEY_LEN);
	ck_assert_ptr_nonnull(c->memo_slots);
	ck_assert_int_eq(rec_memo_init(&c->memo, c->memo_slots, MEMO_SLOTS), MN_OK);
	rec_key_generate(&c->self_key, &c->f.rng);
	gfix_record(&c->f, &c->self_key, 0, GF_T0_MS + 5000, NULL, c->self_rec,
		    sizeof(c->self_rec), &c->self_len);
	for (uint32_t j = 0; j < CH_KEYS; j++) {
		rec_key_generate(&c->key[j], &c->f.rng);
		gfix_record(&c->f, &c->key[j], j + 1, GF_T0_MS + 5000, NULL, c->rec[j],
			    sizeof(c->rec[j]), &c->len[j]);
	}
	mn_seeded_rng_init(&prng, c->f.seed ^ 0xc4);
	pick = mn_seeded_rng_iface(&prng);
	s = churn_swim(c, &srng, c->f.seed + 1);

	for (uint32_t step = 0; step < CH_STEPS; step++) {
		/* a removal one step in three, or when full three in four: the
		 * table keeps running into its cap */
		uint32_t r = mn_rng_uniform(&pick, 12);
		bool rm = c->nheld > 0 && (r < 4 || (c->nheld + 1 == CH_CAP && r < 9));
		uint32_t j = mn_rng_uniform(&pick, CH_KEYS);
		while (c->held[j] != rm)
			j = (j + 1) % CH_KEYS;
		if (rm) {
			ck_assert_uint_eq(swim_remove(s, c->key[j].pk, ch_now), 1);
			c->held[j] = false;
			c->nheld--;
		} else if (c->nheld + 1 == CH_CAP) {
			ck_assert_int_eq(swim_learn(s, c->rec[j], c->len[j], NULL, ch_now), MN_EFULL);
			full++;
		} else {
			int err = swim_learn(s, c->rec[j], c->len[j], NULL, ch_now);
			ck_assert_msg(err == MN_OK,
				      "addition %u (step %u), %u of %u held: %s", adds + 1, step,
				      c->nheld + 1, CH_CAP, mn_strerror(err));
			c->held[j] = true;
			c->nheld++;
			adds++;
		}
		churn_check(c, s, step % CH_CHECK == 0);
	}
	churn_check(c, s, true);
	printf("test_slot_churn: %u additions through a table of %u, %u refused at the cap\n",
	       adds, CH_CAP, full);
	ck_assert_uint_ge(adds, 50 * (CH_CAP - 1));
	ck_assert_uint_gt(full, 0);

	swim_del(s);
	for (uint32_t j = 0; j < CH_KEYS; j++)
		rec_key_wipe(&c->key[j]);
	rec_key_wipe(&c->self_key);
	free(c->memo_slots);
	gfix_free(&c->f);
	free(c);
}
END_TEST

/* ---- a few instances over vnet ---- */

#define SN_MAX 5
#define SQ_CAP 4096

struct snet;

struct snode {
	struct snet *t;
	struct swim *s;
	struct rec_key key;
	uint8_t rec[REC_MEMBER_MAX];
	size_t rec_len;
	struct mn_addr addr;
	struct mn_seeded_rng srng;
	bool cut; /* everything to and from it is dropped */
	/* events, by subject node */
	uint32_t n_suspect[SN_MAX], n_dead[SN_MAX];
	/* datagrams it sent, by destination node and type: SWIM_T_* - 0x10 */
	uint32_t sent[SN_MAX][16];
	mn_ns ping_at[SN_MAX];  /* its last PING to each */
	uint32_t to_none;       /* datagrams swim_poll_tx_to named no member for */
};

struct snet {
	struct gfix f;
	uint32_t nn;
	struct snode n[SN_MAX];
	struct vnet v;
};

static struct mn_time sn_at(const struct snet *t)
{
	struct mn_time m = { MONO0 + t->v.now, WALL0 + t->v.now };
	return m;
}

static int32_t sn_of_pk(const struct snet *t, const uint8_t *pk)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (memcmp(t->n[i].key.pk, pk, REC_PK_LEN) == 0)
			return (int32_t)i;
	return -1;
}

static int32_t sn_of_addr(const struct snet *t, const struct mn_addr *a)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (mn_addr_eq(a, &t->n[i].addr))
			return (int32_t)i;
	return -1;
}

static void sn_event(void *ctx, const struct swim_event *ev)
{
	struct snode *nd = ctx;
	int32_t subj = ev->rec ? sn_of_pk(nd->t, ev->rec->pk) : -1;

	if (subj < 0)
		return;
	if (ev->kind == SWIM_EV_SUSPECT)
		nd->n_suspect[subj]++;
	else if (ev->kind == SWIM_EV_DEAD)
		nd->n_dead[subj]++;
}

static mn_ns sn_deadline(void *ctx, uint32_t i);
static void sn_timer(void *ctx, uint32_t i);
static void sn_deliver(void *ctx, struct vnet_pkt *p);

static struct snet *sn_new(const char *name, uint64_t seed, uint32_t nn)
{
	struct snet *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	gfix_init(&t->f, gfix_seed(name, seed));
	vnet_init(&t->v, SQ_CAP, MONO0, 1 * MS, nn,
		  &(struct vnet){ .deadline = sn_deadline, .timer = sn_timer,
				  .deliver = sn_deliver, .ctx = t });
	t->nn = nn;
	for (uint32_t i = 0; i < nn; i++) {
		struct snode *nd = &t->n[i];
		nd->t = t;
		rec_key_generate(&nd->key, &t->f.rng);
		gfix_record(&t->f, &nd->key, i, GF_T0_MS + 5000, NULL, nd->rec, sizeof(nd->rec),
			    &nd->rec_len);
		vnet_host(i + 1, &nd->addr);
	}
	return t;
}

/* Boot node i with a table of max_members (0: the default), knowing the
 * nodes of the mask `knows` (bit j: node j) with their addresses. */
static void sn_boot(struct snet *t, uint32_t i, uint32_t max_members, uint32_t knows)
{
	struct snode *nd = &t->n[i];
	struct swim_config c;

	memset(&c, 0, sizeof(c));
	swim_params_lan(&c.params);
	c.net = &t->f.net;
	c.key = &nd->key;
	c.record = nd->rec;
	c.record_len = nd->rec_len;
	c.max_members = max_members;
	mn_seeded_rng_init(&nd->srng, t->f.seed * 100 + i + 1);
	c.rng = mn_seeded_rng_iface(&nd->srng);
	c.event = sn_event;
	c.event_ctx = nd;
	ck_assert_int_eq(swim_new(&nd->s, &c, sn_at(t)), MN_OK);
	for (uint32_t j = 0; j < t->nn; j++)
		if (j != i && (knows & (1u << j)))
			ck_assert_int_eq(swim_learn(nd->s, t->n[j].rec, t->n[j].rec_len,
						    &t->n[j].addr, sn_at(t)), MN_OK);
}

static void sn_free(struct snet *t)
{
	for (uint32_t i = 0; i < t->nn; i++) {
		swim_del(t->n[i].s);
		rec_key_wipe(&t->n[i].key);
	}
	vnet_free(&t->v);
	gfix_free(&t->f);
	free(t);
}

/* Send what node i queued. A datagram names the member it is for
 * (swim_poll_tx_to) only if that member lives at its destination: never
 * one that took the slot of the member it was sealed for. */
static void sn_drain(struct snet *t, uint32_t i)
{
	struct snode *nd = &t->n[i];
	const struct swim_rec *to;
	struct vnet_pkt *p;
	size_t len;

	for (;;) {
		p = vnet_slot(&t->v, &nd->addr);
		if (swim_poll_tx_to(nd->s, p->buf, sizeof(p->buf), &len, &p->dst, &to) != 1)
			break;
		int32_t d = sn_of_addr(t, &p->dst);
		ck_assert_int_ge(d, 0);
		if (to)
			ck_assert_msg(memcmp(to->pk, t->n[d].key.pk, REC_PK_LEN) == 0,
				      "node %u: a datagram to node %d names node %d", i, d,
				      sn_of_pk(t, to->pk));
		else
			nd->to_none++;
		uint8_t type = p->buf[SEAL_O_TYPE];
		if (type >= 0x10 && type <= 0x1f)
			nd->sent[d][type - 0x10]++;
		if (type == SWIM_T_PING)
			nd->ping_at[d] = t->v.now;
		p->len = (uint16_t)len;
		vnet_push(&t->v);
	}
}

static mn_ns sn_deadline(void *ctx, uint32_t i)
{
	struct snet *t = ctx;

	return t->n[i].s ? swim_next_deadline(t->n[i].s) : MN_NEVER;
}

static void sn_timer(void *ctx, uint32_t i)
{
	struct snet *t = ctx;

	swim_on_timer(t->n[i].s, sn_at(t));
	sn_drain(t, i);
}

static void sn_deliver(void *ctx, struct vnet_pkt *p)
{
	struct snet *t = ctx;
	int32_t from = sn_of_addr(t, &p->src), to = sn_of_addr(t, &p->dst);

	if (to < 0 || !t->n[to].s || t->n[to].cut || (from >= 0 && t->n[from].cut))
		return;
	swim_recv(t->n[to].s, &p->src, p->buf, p->len, sn_at(t));
	sn_drain(t, (uint32_t)to);
}

static uint32_t sent(const struct snode *nd, uint32_t to, uint8_t type)
{
	return nd->sent[to][type - 0x10];
}

static enum swim_state state_of(const struct snode *nd, const struct snode *subj)
{
	struct swim_member_info mi;

	ck_assert_int_eq(swim_member(nd->s, subj->key.pk, &mi), MN_OK);
	return mi.state;
}

/* A slot reused by a new member (C) holds nothing of the member removed
 * from it (B), caught in the middle of things: B suspect at A (a
 * suspicion running, its SUSPECT update queued), a ping to it in flight
 * (A's probe of it, or one A relays for X's probe of it), tokens and seal
 * windows from 10 s of traffic, and a datagram for it still in A's output.
 * A's table holds 3 (A, X and one more), so C gets in only through B's
 * slot. Then C must be a plain new member: alive at its own address,
 * never suspected (an inherited suspicion would run out; an inherited
 * SUSPECT update would reach X as one about C; an inherited replay window
 * would drop C's datagrams, below B's counters, and its acks with them),
 * and the datagram sealed for B names no member. */
START_TEST(test_slot_reuse_clean)
{
	enum { A, X, B, C, D };
	struct snet *t = sn_new("test_slot_reuse_clean", 0x5108, 5);
	struct snode *a = &t->n[A], *x = &t->n[X], *b = &t->n[B], *c = &t->n[C];
	struct swim_member_info mi;
	struct swim_counts k;
	mn_ns until;

	sn_boot(t, A, 3, 1u << X | 1u << B);
	sn_boot(t, X, 0, 1u << A | 1u << B);
	sn_boot(t, B, 0, 1u << A | 1u << X);
	sn_drain(t, A);
	sn_drain(t, X);
	sn_drain(t, B);
	vnet_run(&t->v, 10 * SEC);
	ck_assert_uint_gt(sent(b, A, SWIM_T_ACK), 2);
	ck_assert_int_eq(swim_member(a->s, b->key.pk, &mi), MN_OK);
	ck_assert(mn_addr_eq(&mi.addr, &b->addr));

	/* B falls silent; stop at the first instant A holds it suspect (its
	 * SUSPECT update just queued). A ping to it is in flight then when
	 * one went less than a probe interval ago (a probe of it runs that
	 * long, a ping-req served for X's as long): so with the default seed,
	 * A's own probe of B, in its indirect phase. */
	b->cut = true;
	until = t->v.now + 30 * SEC;
	while (state_of(a, b) != SWIM_SUSPECT) {
		ck_assert_uint_lt(t->v.now, until);
		vnet_run(&t->v, t->v.now + 1 * MS);
	}
	printf("test_slot_reuse_clean: B removed at %" PRIu64 " ms, %s\n", t->v.now / MS,
	       a->ping_at[B] + 1 * SEC > t->v.now ? "a ping to it in flight" : "no ping in flight");
	swim_counts(a->s, &k);
	ck_assert_uint_gt(k.queued, 0);
	ck_assert_uint_eq(k.suspect, 1);
	/* and a datagram for B waits in A's output */
	ck_assert_int_eq(swim_send_control(a->s, b->key.pk, T_NODE, (const uint8_t *)"b", 1, NULL),
			 MN_OK);

	/* B is removed everywhere (a revocation would do it); C takes its slot */
	ck_assert_uint_eq(swim_remove(a->s, b->key.pk, sn_at(t)), 1);
	ck_assert_uint_eq(swim_remove(x->s, b->key.pk, sn_at(t)), 1);
	swim_counts(a->s, &k);
	ck_assert_uint_eq(k.members, 2);
	ck_assert_uint_eq(k.suspect, 0);
	ck_assert_int_eq(swim_learn(a->s, c->rec, c->rec_len, &c->addr, sn_at(t)), MN_OK);
	/* the table is at its cap: C is in B's slot */
	ck_assert_int_eq(swim_learn(a->s, t->n[D].rec, t->n[D].rec_len, &t->n[D].addr, sn_at(t)),
			 MN_EFULL);
	ck_assert_int_eq(swim_member(a->s, c->key.pk, &mi), MN_OK);
	ck_assert_int_eq(mi.state, SWIM_ALIVE);
	ck_assert_uint_eq(mi.inc, 0);
	ck_assert(mn_addr_eq(&mi.addr, &c->addr));
	/* C never spoke to A: A holds no token of it (B's would say it had),
	 * so A may introduce itself */
	ck_assert_int_eq(swim_introduce(a->s, c->key.pk, sn_at(t)), MN_OK);
	swim_counts(a->s, &k);
	ck_assert_uint_eq(k.members, 3);
	ck_assert_uint_eq(k.suspect, 0);
	ck_assert_uint_eq(a->to_none, 0);
	sn_drain(t, A); /* the datagram sealed for B names nobody */
	ck_assert_uint_eq(a->to_none, 1);

	/* C comes up (holding A and X); well past a suspicion timeout later
	 * it is a member like any other, at A and at X */
	sn_boot(t, C, 0, 1u << A | 1u << X);
	sn_drain(t, C);
	vnet_run(&t->v, t->v.now + 40 * SEC);
	ck_assert_uint_gt(sent(c, A, SWIM_T_ACK), 5);
	ck_assert_int_eq(state_of(a, c), SWIM_ALIVE);
	ck_assert_int_eq(state_of(x, c), SWIM_ALIVE);
	ck_assert_int_eq(state_of(c, a), SWIM_ALIVE);
	ck_assert_uint_eq(a->n_suspect[C] + a->n_dead[C], 0);
	ck_assert_uint_eq(x->n_suspect[C] + x->n_dead[C], 0);
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_DROP_REPLAY), 0);
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_DROP_AUTH), 0);
	swim_counts(a->s, &k);
	ck_assert_uint_eq(k.members, 3);
	ck_assert_uint_eq(k.alive, 3);
	sn_free(t);
}
END_TEST

/* The helpers of a running probe are member indices too: A probes X (cut
 * off), asks B and H to ping it, and B is removed before the probe ends;
 * C takes B's slot (A's table holds 4). When the probe fails, a helper
 * that never nacked and never spoke to us is sent our HELLO (it may not
 * know us): none may go to C, which was nobody's helper. C is never up;
 * what A sends it is counted at A. */
START_TEST(test_slot_reuse_helper)
{
	enum { A, X, B, H, C };
	struct snet *t = sn_new("test_slot_reuse_helper", 0x5109, 5);
	struct snode *a = &t->n[A], *x = &t->n[X], *b = &t->n[B];
	const uint32_t all = 1u << A | 1u << X | 1u << B | 1u << H;
	mn_ns until;
	uint32_t reqs;

	sn_boot(t, A, 4, all);
	for (uint32_t i = X; i <= H; i++)
		sn_boot(t, i, 0, all);
	for (uint32_t i = A; i <= H; i++)
		sn_drain(t, i);
	vnet_run(&t->v, 10 * SEC);
	ck_assert_uint_eq(swim_health(a->s), 0);

	/* X falls silent; stop when A asks B to ping it */
	x->cut = true;
	reqs = sent(a, B, SWIM_T_PING_REQ);
	until = t->v.now + 30 * SEC;
	while (sent(a, B, SWIM_T_PING_REQ) == reqs) {
		ck_assert_uint_lt(t->v.now, until);
		vnet_run(&t->v, t->v.now + 1 * MS);
	}
	b->cut = true;
	ck_assert_uint_eq(swim_remove(a->s, b->key.pk, sn_at(t)), 1);
	ck_assert_int_eq(swim_learn(a->s, t->n[C].rec, t->n[C].rec_len, &t->n[C].addr, sn_at(t)),
			 MN_OK);
	sn_drain(t, A);
	/* the probe of X ends within half a probe interval (its ping-reqs
	 * went at the probe timeout); one of C itself would end a whole
	 * interval after that */
	vnet_run(&t->v, t->v.now + 900 * MS);
	ck_assert_uint_gt(a->n_suspect[X], 0);
	ck_assert_uint_eq(sent(a, C, SWIM_T_HELLO), 0);
	sn_free(t);
}
END_TEST

static Suite *slots_suite(void)
{
	Suite *s = suite_create("swim_slots");
	TCase *tc = tcase_create("member slots");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slot_churn);
	tcase_add_test(tc, test_slot_reuse_clean);
	tcase_add_test(tc, test_slot_reuse_helper);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(slots_suite)
