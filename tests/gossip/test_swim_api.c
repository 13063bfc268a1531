/* Tests for what swim offers the node core (gossip/swim_node.c and the
 * hooks in swim.h): new member vs newer version, address-change notices,
 * output that names its member, the open control channel, authenticated
 * traffic as evidence of life, what the data plane reads of a record.
 *
 * A few swim instances over a tiny in-test network: datagrams are
 * delivered in order after a fixed latency, on a virtual clock. Each test
 * prints its seed (MN_TEST_SEED=N replays another). Node i sits at
 * 198.18.0.(i+1):51820 until moved. */
#include <arpa/inet.h>
#include <string.h>

#include "check_main.h"
#include "gossip_fixture.h"
#include "mn_wire.h"
#include "swim.h"
#include "vnet.h"

#define AN_MAX 3
#define SEC MN_NS_PER_SEC
#define MS MN_NS_PER_MS
#define MONO0 (1000 * SEC) /* the nodes' mono clock at the network's time 0 */
#define WALL0 (GF_T0_MS * MN_NS_PER_MS + 3600 * SEC)
#define AQ_CAP 4096
#define LATENCY (1 * MS)
#define LOG_MAX 64
#define T_NODE 0x20 /* a sealed type swim does not own */

struct anet;

struct anode {
	struct anet *t;
	struct swim *s;
	struct rec_key key;
	uint8_t rec[REC_MEMBER_MAX];
	size_t rec_len;
	struct mn_addr addr;
	struct mn_seeded_rng srng;
	/* SWIM_EV_RECORD: first flags in order, for records of other members */
	bool firsts[LOG_MAX];
	uint32_t nrecords;
	uint32_t ndead;
	/* address notices */
	struct swim_addr_change addrs[LOG_MAX];
	uint32_t naddrs;
	/* control messages */
	uint8_t ctl_from[REC_PK_LEN];
	uint8_t ctl_type;
	uint8_t ctl_pt[64];
	size_t ctl_len;
	uint32_t nctl;
};

struct anet {
	struct gfix f;
	uint32_t nn;
	struct anode n[AN_MAX];
	struct vnet v;
	bool cut;       /* drop everything */
	int32_t cut_to; /* drop everything to this node (-1: none) */
	bool hooks;     /* boot with the node-core hooks */
};

static struct mn_time at(const struct anet *t)
{
	struct mn_time m = { MONO0 + t->v.now, WALL0 + t->v.now };
	return m;
}

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct anode *nd = ctx;

	if (ev->kind == SWIM_EV_DEAD)
		nd->ndead++;
	if (ev->kind != SWIM_EV_RECORD || memcmp(ev->rec->pk, nd->key.pk, REC_PK_LEN) == 0)
		return;
	if (nd->nrecords < LOG_MAX)
		nd->firsts[nd->nrecords] = ev->first;
	nd->nrecords++;
}

static void on_addr(void *ctx, const struct swim_addr_change *c)
{
	struct anode *nd = ctx;

	if (nd->naddrs < LOG_MAX)
		nd->addrs[nd->naddrs] = *c;
	nd->naddrs++;
}

static int on_control(void *ctx, const struct swim_control *m, struct mn_time now)
{
	struct anode *nd = ctx;

	(void)now;
	memcpy(nd->ctl_from, m->from->pk, REC_PK_LEN);
	nd->ctl_type = m->type;
	nd->ctl_len = m->len < sizeof(nd->ctl_pt) ? m->len : sizeof(nd->ctl_pt);
	memcpy(nd->ctl_pt, m->pt, nd->ctl_len);
	nd->nctl++;
	return MN_OK;
}

static mn_ns deadline_of(void *ctx, uint32_t i);
static void on_timer(void *ctx, uint32_t i);
static void deliver(void *ctx, struct vnet_pkt *p);

static struct anet *an_new(const char *name, uint64_t seed, uint32_t nn, bool hooks)
{
	struct anet *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	t->cut_to = -1;
	gfix_init(&t->f, gfix_seed(name, seed));
	vnet_init(&t->v, AQ_CAP, MONO0, LATENCY, nn,
		  &(struct vnet){ .deadline = deadline_of, .timer = on_timer, .deliver = deliver,
				  .ctx = t });
	t->nn = nn;
	t->hooks = hooks;
	for (uint32_t i = 0; i < nn; i++) {
		struct anode *nd = &t->n[i];
		nd->t = t;
		rec_key_generate(&nd->key, &t->f.rng);
		gfix_record(&t->f, &nd->key, i, GF_T0_MS + 5000, NULL, nd->rec, sizeof(nd->rec),
			    &nd->rec_len);
		vnet_host(i + 1, &nd->addr);
	}
	return t;
}

static void an_boot(struct anet *t, uint32_t i)
{
	struct anode *nd = &t->n[i];
	struct swim_config c;

	memset(&c, 0, sizeof(c));
	swim_params_lan(&c.params);
	c.net = &t->f.net;
	c.key = &nd->key;
	c.record = nd->rec;
	c.record_len = nd->rec_len;
	mn_seeded_rng_init(&nd->srng, t->f.seed * 100 + i + 1);
	c.rng = mn_seeded_rng_iface(&nd->srng);
	c.event = on_event;
	c.event_ctx = nd;
	if (t->hooks) {
		c.addr_changed = on_addr;
		c.control = on_control;
		c.hook_ctx = nd;
	}
	ck_assert_int_eq(swim_new(&nd->s, &c, at(t)), MN_OK);
}

/* Boot every node knowing every other with its address. */
static void an_boot_all(struct anet *t)
{
	for (uint32_t i = 0; i < t->nn; i++)
		an_boot(t, i);
	for (uint32_t i = 0; i < t->nn; i++)
		for (uint32_t j = 0; j < t->nn; j++)
			if (i != j)
				ck_assert_int_eq(swim_learn(t->n[i].s, t->n[j].rec, t->n[j].rec_len,
							    &t->n[j].addr, at(t)), MN_OK);
}

static void an_free(struct anet *t)
{
	for (uint32_t i = 0; i < t->nn; i++) {
		swim_del(t->n[i].s);
		rec_key_wipe(&t->n[i].key);
	}
	vnet_free(&t->v);
	gfix_free(&t->f);
	free(t);
}

static int32_t node_at(const struct anet *t, const struct mn_addr *a)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (mn_addr_eq(a, &t->n[i].addr))
			return (int32_t)i;
	return -1;
}

static void drain(struct anet *t, uint32_t i)
{
	struct anode *nd = &t->n[i];
	const struct swim_rec *to;
	struct vnet_pkt *p;
	size_t len;

	for (;;) {
		p = vnet_slot(&t->v, &nd->addr);
		if (swim_poll_tx_to(nd->s, p->buf, sizeof(p->buf), &len, &p->dst, &to) != 1)
			break;
		/* every datagram a node sends here is for a member: the one
		 * living at the destination */
		ck_assert_ptr_nonnull(to);
		if (node_at(t, &p->dst) >= 0)
			ck_assert_mem_eq(to->pk, t->n[node_at(t, &p->dst)].key.pk, REC_PK_LEN);
		p->len = (uint16_t)len;
		vnet_push(&t->v);
	}
}

static mn_ns deadline_of(void *ctx, uint32_t i)
{
	return swim_next_deadline(((struct anet *)ctx)->n[i].s);
}

static void on_timer(void *ctx, uint32_t i)
{
	struct anet *t = ctx;

	swim_on_timer(t->n[i].s, at(t));
	drain(t, i);
}

static void deliver(void *ctx, struct vnet_pkt *p)
{
	struct anet *t = ctx;
	int32_t to = node_at(t, &p->dst);

	if (to < 0 || t->cut || to == t->cut_to)
		return;
	swim_recv(t->n[to].s, &p->src, p->buf, p->len, at(t));
	drain(t, (uint32_t)to);
}

static void an_run(struct anet *t, mn_ns until)
{
	vnet_run(&t->v, until);
}

START_TEST(test_api_record_first)
{
	struct anet *t = an_new("test_api_record_first", 11, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];
	uint8_t v2[REC_MEMBER_MAX];
	size_t v2_len;

	an_boot(t, 0);
	/* a new member, then a newer version of it, then the same again */
	ck_assert_int_eq(swim_learn(a->s, b->rec, b->rec_len, NULL, at(t)), MN_OK);
	gfix_record(&t->f, &b->key, 1, GF_T0_MS + 6000, NULL, v2, sizeof(v2), &v2_len);
	ck_assert_int_eq(swim_learn(a->s, v2, v2_len, NULL, at(t)), MN_OK);
	ck_assert_int_eq(swim_learn(a->s, v2, v2_len, NULL, at(t)), MN_EEXIST);
	ck_assert_uint_eq(a->nrecords, 2);
	ck_assert(a->firsts[0]);
	ck_assert(!a->firsts[1]);
	/* removed and learned again: new to the instance once more */
	ck_assert_uint_eq(swim_remove(a->s, b->key.pk, at(t)), 1);
	ck_assert_int_eq(swim_restore(a->s, b->rec, b->rec_len, NULL, at(t)), MN_OK);
	ck_assert_uint_eq(a->nrecords, 3);
	ck_assert(a->firsts[2]);
	an_free(t);
}
END_TEST

START_TEST(test_api_addr_notice)
{
	struct anet *t = an_new("test_api_addr_notice", 12, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];
	struct mn_addr moved;
	struct swim_member_info mi;

	an_boot_all(t);
	/* learning b with its address told it, as a hint */
	ck_assert_uint_eq(a->naddrs, 1);
	ck_assert_mem_eq(a->addrs[0].rec->pk, b->key.pk, REC_PK_LEN);
	ck_assert(mn_addr_eq(&a->addrs[0].addr, &b->addr));
	ck_assert(!a->addrs[0].direct);
	/* the same address, now direct: told once; again: nothing to tell */
	ck_assert_int_eq(swim_set_addr(a->s, b->key.pk, &b->addr), MN_OK);
	ck_assert_uint_eq(a->naddrs, 2);
	ck_assert(mn_addr_eq(&a->addrs[1].addr, &b->addr));
	ck_assert(a->addrs[1].direct);
	ck_assert_int_eq(swim_set_addr(a->s, b->key.pk, &b->addr), MN_OK);
	ck_assert_uint_eq(a->naddrs, 2);

	/* b moves: its traffic from the new address, once proven there,
	 * moves a's view, and a is told, direct */
	an_run(t, 3 * SEC);
	vnet_host(9, &moved);
	b->addr = moved;
	an_run(t, 10 * SEC);
	ck_assert_int_eq(swim_member(a->s, b->key.pk, &mi), MN_OK);
	ck_assert(mn_addr_eq(&mi.addr, &moved));
	ck_assert_uint_ge(a->naddrs, 3);
	ck_assert(mn_addr_eq(&a->addrs[a->naddrs - 1].addr, &moved));
	ck_assert(a->addrs[a->naddrs - 1].direct);
	printf("test_api_addr_notice: %u notices at a\n", a->naddrs);
	an_free(t);
}
END_TEST

START_TEST(test_api_control_channel)
{
	struct anet *t = an_new("test_api_control_channel", 13, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];
	static const uint8_t msg[] = "call me maybe";
	struct vnet_pkt copy;
	struct mn_addr dst;
	size_t len;
	const struct swim_rec *to;
	uint8_t stranger[REC_PK_LEN];

	an_boot_all(t);
	/* drop what the boot queued */
	while (swim_poll_tx(a->s, copy.buf, sizeof(copy.buf), &len, &dst) == 1)
		;
	while (swim_poll_tx(b->s, copy.buf, sizeof(copy.buf), &len, &dst) == 1)
		;
	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, SWIM_T_PING, msg, sizeof(msg), NULL),
			 MN_EINVAL);
	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, SWIM_T_OWN_LAST, msg, sizeof(msg),
					   NULL), MN_EINVAL);
	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, T_NODE, msg, SWIM_PT_MAX + 1, NULL),
			 MN_EMSGSIZE);
	memset(stranger, 7, sizeof(stranger));
	ck_assert_int_eq(swim_send_control(b->s, stranger, T_NODE, msg, sizeof(msg), NULL),
			 MN_ENOENT);
	ck_assert_int_eq(swim_send_control(b->s, b->key.pk, T_NODE, msg, sizeof(msg), NULL),
			 MN_ENOENT);

	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, T_NODE, msg, sizeof(msg), NULL),
			 MN_OK);
	ck_assert_int_eq(swim_poll_tx_to(b->s, copy.buf, sizeof(copy.buf), &len, &dst, &to), 1);
	ck_assert_ptr_nonnull(to);
	ck_assert_mem_eq(to->pk, a->key.pk, REC_PK_LEN);
	ck_assert(mn_addr_eq(&dst, &a->addr));
	ck_assert_uint_eq(len, sizeof(msg) + SEAL_OVERHEAD);
	ck_assert_uint_eq(copy.buf[SEAL_O_TYPE], T_NODE);

	ck_assert_int_eq(swim_recv(a->s, &b->addr, copy.buf, len, at(t)), MN_OK);
	ck_assert_uint_eq(a->nctl, 1);
	ck_assert_mem_eq(a->ctl_from, b->key.pk, REC_PK_LEN);
	ck_assert_uint_eq(a->ctl_type, T_NODE);
	ck_assert_uint_eq(a->ctl_len, sizeof(msg));
	ck_assert_mem_eq(a->ctl_pt, msg, sizeof(msg));
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_CONTROL_IN), 1);
	ck_assert_uint_eq(swim_stat(b->s, SWIM_STAT_CONTROL_OUT), 1);
	/* the pair's replay window covers it */
	ck_assert_int_eq(swim_recv(a->s, &b->addr, copy.buf, len, at(t)), MN_EREPLAY);
	ck_assert_uint_eq(a->nctl, 1);
	/* tampered: not opened, not handed on */
	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, T_NODE, msg, sizeof(msg), &a->addr),
			 MN_OK);
	ck_assert_int_eq(swim_poll_tx(b->s, copy.buf, sizeof(copy.buf), &len, &dst), 1);
	copy.buf[len - 1] ^= 1;
	ck_assert_int_eq(swim_recv(a->s, &b->addr, copy.buf, len, at(t)), MN_EAUTH);
	ck_assert_uint_eq(a->nctl, 1);
	an_free(t);
}
END_TEST

/* A sealed datagram from a member we hold no record of (its alive updates
 * all missed us): we ask a member for its record at once, and hold it
 * within a few round trips, long before its probe of us could fail and its
 * HELLO follow (a probe interval at least) or gossip bring it (b's next
 * round is 200 ms away). Junk ids are asked for at most SWIM_UNKNOWN_WANTS
 * per probe interval. */
START_TEST(test_api_unknown_sender)
{
	struct anet *t = an_new("test_api_unknown_sender", 17, 3, true);
	struct anode *a = &t->n[0], *b = &t->n[1], *c = &t->n[2];
	static const uint8_t msg[] = "hello from c";
	struct swim_member_info mi;
	struct vnet_pkt copy;
	struct mn_addr dst;
	size_t len;

	for (uint32_t i = 0; i < 3; i++)
		an_boot(t, i);
	/* a knows b; b knows a and c; c knows a and b */
	ck_assert_int_eq(swim_learn(a->s, b->rec, b->rec_len, &b->addr, at(t)), MN_OK);
	ck_assert_int_eq(swim_learn(b->s, a->rec, a->rec_len, &a->addr, at(t)), MN_OK);
	ck_assert_int_eq(swim_learn(b->s, c->rec, c->rec_len, &c->addr, at(t)), MN_OK);
	ck_assert_int_eq(swim_learn(c->s, a->rec, a->rec_len, &a->addr, at(t)), MN_OK);
	ck_assert_int_eq(swim_learn(c->s, b->rec, b->rec_len, &b->addr, at(t)), MN_OK);
	for (uint32_t i = 0; i < 3; i++)
		while (swim_poll_tx(t->n[i].s, copy.buf, sizeof(copy.buf), &len, &dst) == 1)
			;
	ck_assert_int_eq(swim_send_control(c->s, a->key.pk, T_NODE, msg, sizeof(msg), NULL),
			 MN_OK);
	ck_assert_int_eq(swim_poll_tx(c->s, copy.buf, sizeof(copy.buf), &len, &dst), 1);
	ck_assert_int_eq(swim_recv(a->s, &c->addr, copy.buf, len, at(t)), MN_ENOKEY);
	ck_assert_int_eq(swim_recv(a->s, &c->addr, copy.buf, len, at(t)), MN_ENOKEY);
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_UNKNOWN_WANTS), 1);
	drain(t, 0);
	an_run(t, t->v.now + 50 * MN_NS_PER_MS);
	ck_assert_int_eq(swim_member(a->s, c->key.pk, &mi), MN_OK);
	/* made-up ids: SWIM_UNKNOWN_WANTS asked for in this probe interval */
	for (uint32_t k = 0; k < 2 * SWIM_UNKNOWN_WANTS; k++) {
		ck_assert_int_eq(swim_send_control(c->s, a->key.pk, T_NODE, msg, sizeof(msg), NULL),
				 MN_OK);
		ck_assert_int_eq(swim_poll_tx(c->s, copy.buf, sizeof(copy.buf), &len, &dst), 1);
		mn_put_be64(copy.buf + SEAL_O_FROM, 0x5eed0000u + k);
		swim_recv(a->s, &c->addr, copy.buf, len, at(t));
	}
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_UNKNOWN_WANTS), 1 + SWIM_UNKNOWN_WANTS - 1);
	an_free(t);
}
END_TEST

/* Without a control hook, other types are dropped as before. */
START_TEST(test_api_control_no_hook)
{
	struct anet *t = an_new("test_api_control_no_hook", 14, 2, false);
	struct anode *a = &t->n[0], *b = &t->n[1];
	uint8_t buf[SWIM_MTU];
	struct mn_addr dst;
	size_t len;

	an_boot_all(t);
	while (swim_poll_tx(b->s, buf, sizeof(buf), &len, &dst) == 1)
		;
	ck_assert_int_eq(swim_send_control(b->s, a->key.pk, T_NODE, buf, 8, NULL), MN_OK);
	ck_assert_int_eq(swim_poll_tx(b->s, buf, sizeof(buf), &len, &dst), 1);
	ck_assert_int_eq(swim_recv(a->s, &b->addr, buf, len, at(t)), MN_EPROTO);
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_DROP_MALFORMED), 1);
	ck_assert_uint_eq(swim_stat(a->s, SWIM_STAT_CONTROL_IN), 0);
	an_free(t);
}
END_TEST

/* The network between a and b is cut; a hears b's (WireGuard) traffic
 * every evidence_ns (0: never). Returns how many times a declared b dead. */
static uint32_t cut_run(const char *name, uint64_t seed, mn_ns evidence_ns, uint64_t *held)
{
	struct anet *t = an_new(name, seed, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];
	uint32_t dead;

	an_boot_all(t);
	an_run(t, 5 * SEC);
	t->cut = true;
	for (mn_ns s = 5 * SEC; s < 180 * SEC; s += evidence_ns ? evidence_ns : SEC) {
		an_run(t, s);
		if (evidence_ns)
			swim_heard_from(a->s, b->key.pk, at(t));
	}
	dead = a->ndead;
	*held = swim_stat(a->s, SWIM_STAT_EVIDENCE_HELD);
	an_free(t);
	return dead;
}

/* The same through gossip itself: b receives nothing, a receives b's
 * sealed pings (b probes a, its only member). a suspects b (its pings go
 * unanswered) but does not declare it dead while b's datagrams arrive:
 * they are evidence, as its WireGuard traffic is (a member back from a
 * restart whose refutation missed a: swim-restart). b, which hears
 * nothing, declares a dead. */
START_TEST(test_api_sealed_evidence)
{
	struct anet *t = an_new("test_api_sealed_evidence", 16, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];

	an_boot_all(t);
	an_run(t, 5 * SEC);
	t->cut_to = 1;
	an_run(t, 180 * SEC);
	ck_assert_uint_ge(swim_stat(a->s, SWIM_STAT_SUSPICIONS), 1);
	ck_assert_uint_ge(swim_stat(a->s, SWIM_STAT_EVIDENCE_HELD), 1);
	ck_assert_uint_eq(a->ndead, 0);
	ck_assert_uint_ge(b->ndead, 1);
	printf("test_api_sealed_evidence: %" PRIu64 " suspicions re-armed at a\n",
	       swim_stat(a->s, SWIM_STAT_EVIDENCE_HELD));
	an_free(t);
}
END_TEST

START_TEST(test_api_evidence_keeps_alive)
{
	uint64_t held;

	/* control: with nothing heard, b dies at a */
	ck_assert_uint_ge(cut_run("test_api_evidence_none", 15, 0, &held), 1);
	ck_assert_uint_eq(held, 0);
	/* b's traffic every 5 s (a WireGuard keepalive's order): never dead */
	ck_assert_uint_eq(cut_run("test_api_evidence_5s", 15, 5 * SEC, &held), 0);
	printf("test_api_evidence: %" PRIu64 " suspicions re-armed\n", held);
}
END_TEST

START_TEST(test_api_rec_info)
{
	struct anet *t = an_new("test_api_rec_info", 16, 2, true);
	struct anode *a = &t->n[0], *b = &t->n[1];
	struct swim_member_info mi;
	struct swim_rec_info ri;
	uint8_t v6[16];

	an_boot_all(t);
	ck_assert_int_eq(swim_member(a->s, b->key.pk, &mi), MN_OK);
	ck_assert_int_eq(swim_rec_info(&t->f.net, mi.rec, &ri), MN_OK);
	/* gfix_record: node n is 100.64.0.(n + 1), named "node<n>" */
	ck_assert_uint_eq(ri.ipv4[0], 100);
	ck_assert_uint_eq(ri.ipv4[1], 64);
	ck_assert_uint_eq(ri.ipv4[2], 0);
	ck_assert_uint_eq(ri.ipv4[3], 2);
	rec_ipv6(&t->f.net, b->key.pk, v6);
	ck_assert_mem_eq(ri.ipv6, v6, 16);
	ck_assert_str_eq(ri.name, "node1");
	ck_assert_uint_eq(ri.nroutes, 0);
	an_free(t);
}
END_TEST

static Suite *swim_api_suite(void)
{
	Suite *s = suite_create("swim_api");
	TCase *tc = tcase_create("node core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_api_record_first);
	tcase_add_test(tc, test_api_addr_notice);
	tcase_add_test(tc, test_api_control_channel);
	tcase_add_test(tc, test_api_control_no_hook);
	tcase_add_test(tc, test_api_unknown_sender);
	tcase_add_test(tc, test_api_evidence_keeps_alive);
	tcase_add_test(tc, test_api_sealed_evidence);
	tcase_add_test(tc, test_api_rec_info);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(swim_api_suite)
