/* node_net.h - the in-test mesh of tests/node/test_node*.c: a few node
 * cores (node/node.h) over an in-test network on a virtual clock
 * (tests/vnet.h), built from signed records (tests/gossip/gossip_fixture.h),
 * with the driver's side recorded: TUN packets, actions, deaths, hooks.
 * Node i sits at 198.18.0.(i+1):51820 until moved; its overlay IPv4 is
 * 100.64.0.(i+1). static inline so each test file takes what it uses. */
#ifndef TESTS_NODE_NET_H
#define TESTS_NODE_NET_H

#include <arpa/inet.h>
#include <string.h>

#include "gossip/gossip_fixture.h"
#include "check_main.h"
#include "mn_wire.h"
#include "node.h"
#include "vnet.h"

#define TN_MAX 3
#define SEC MN_NS_PER_SEC
#define MS MN_NS_PER_MS
#define MONO0 (1000 * SEC) /* the nodes' mono clock at the network's time 0 */
#define WALL0 (GF_T0_MS * MN_NS_PER_MS + 3600 * SEC)
#define QCAP 4096
#define LATENCY (1 * MS)
#define ACT_LOG 64
#define T_NODE 0x70 /* a sealed type neither swim nor the node owns */
#define T_JOIN 0x30 /* an unsealed control type: the test's stand-in for join */
#define PKT_MAX 128

struct tnet;

struct tnode {
	struct tnet *t;
	struct node *nd;
	struct rec_key key;
	uint8_t rec[REC_MEMBER_MAX];
	size_t rec_len;
	struct mn_addr addr;
	uint8_t v4[4], v6[16];
	struct mn_seeded_rng srng;
	/* the TUN side */
	uint32_t ntun;
	uint8_t tun[PKT_MAX];
	size_t tun_len;
	/* what the node told its driver */
	struct node_action acts[ACT_LOG];
	uint32_t nacts;
	uint32_t dead[TN_MAX];       /* SWIM_EV_DEAD by subject */
	uint32_t nctl;               /* sealed T_NODE messages */
	uint8_t ctl_from[REC_PK_LEN];
	uint64_t ctl_saw_wg;         /* RX_WG when the control hook ran */
	uint32_t nunsealed;
};

struct tnet {
	struct gfix f;
	uint32_t nn;
	struct tnode n[TN_MAX];
	struct vnet v;
	struct node_txb *txb;
	bool cut_control;            /* drop control datagrams between nodes 0 and 1 */
};

static inline struct mn_time at(const struct tnet *t)
{
	struct mn_time m = { MONO0 + t->v.now, WALL0 + t->v.now };
	return m;
}

static inline int32_t node_of_pk(const struct tnet *t, const uint8_t *pk)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (memcmp(t->n[i].key.pk, pk, REC_PK_LEN) == 0)
			return (int32_t)i;
	return -1;
}

static inline int32_t node_at(const struct tnet *t, const struct mn_addr *a)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (mn_addr_eq(a, &t->n[i].addr))
			return (int32_t)i;
	return -1;
}

/* ---- the driver's side: events, actions, hooks ---- */

static inline void on_event(void *ctx, const struct swim_event *ev)
{
	struct tnode *tn = ctx;
	int32_t subj;

	if (ev->kind == SWIM_EV_DEAD && (subj = node_of_pk(tn->t, ev->rec->pk)) >= 0)
		tn->dead[subj]++;
}

static inline void on_action(void *ctx, const struct node_action *a)
{
	struct tnode *tn = ctx;

	ck_assert_uint_lt(tn->nacts, ACT_LOG);
	tn->acts[tn->nacts++] = *a;
}

static inline int on_control(void *ctx, const struct swim_control *m, struct mn_time now)
{
	struct tnode *tn = ctx;

	(void)now;
	if (m->type != T_NODE)
		return MN_ENOENT;
	tn->nctl++;
	memcpy(tn->ctl_from, m->from->pk, REC_PK_LEN);
	tn->ctl_saw_wg = node_stat(tn->nd, NODE_STAT_RX_WG);
	return MN_OK;
}

static inline int on_unsealed(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
		       struct mn_time now)
{
	struct tnode *tn = ctx;

	(void)from;
	(void)now;
	if (len < SEAL_O_FROM || buf[SEAL_O_TYPE] != T_JOIN)
		return MN_ENOENT;
	tn->nunsealed++;
	return MN_OK;
}

/* ---- records ---- */

/* Node i's record at version, advertising routes (the invite allows them). */
static inline void sign_record(struct tnet *t, uint32_t i, uint64_t version,
			const struct mn_prefix *routes, uint8_t nroutes)
{
	struct tnode *tn = &t->n[i];
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN];

	memset(&m, 0, sizeof(m));
	m.invite = t->f.inv;
	rec_join_proof(&t->f.net, &t->f.invkey, tn->key.pk, proof);
	ck_assert_int_eq(rec_admit(&t->f.net, &t->f.inv, &t->f.root, REC_BY_ROOT, tn->key.pk,
				   proof, tn->v4, GF_T0_MS + 1000, NULL, NULL, &m.adm), MN_OK);
	m.version = version;
	snprintf(m.name, sizeof(m.name), "node%u", i);
	m.name_len = (uint8_t)strlen(m.name);
	m.nroutes = nroutes;
	if (nroutes)
		memcpy(m.routes, routes, nroutes * sizeof(*routes));
	ck_assert_int_eq(rec_member_sign(&t->f.net, &tn->key, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, tn->rec, sizeof(tn->rec), &tn->rec_len), MN_OK);
}

static inline mn_ns deadline_of(void *ctx, uint32_t i);
static inline void on_timer(void *ctx, uint32_t i);
static inline void deliver(void *ctx, struct vnet_pkt *p);

static inline struct tnet *tn_new(const char *name, uint64_t seed, uint32_t nn)
{
	struct tnet *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	gfix_init(&t->f, gfix_seed(name, seed));
	/* members may advertise routes (the invite is pinned in every record) */
	t->f.inv.flags = REC_INV_ROUTES;
	ck_assert_int_eq(rec_invite_sign(&t->f.net, &t->f.root, &t->f.inv), MN_OK);
	vnet_init(&t->v, QCAP, MONO0, LATENCY, nn,
		  &(struct vnet){ .deadline = deadline_of, .timer = on_timer, .deliver = deliver,
				  .ctx = t });
	t->txb = calloc(1, sizeof(*t->txb));
	ck_assert_ptr_nonnull(t->txb);
	t->nn = nn;
	for (uint32_t i = 0; i < nn; i++) {
		struct tnode *tn = &t->n[i];
		tn->t = t;
		rec_key_generate(&tn->key, &t->f.rng);
		memcpy(tn->v4, (uint8_t[]){ 100, 64, 0, (uint8_t)(i + 1) }, 4);
		rec_ipv6(&t->f.net, tn->key.pk, tn->v6);
		sign_record(t, i, GF_T0_MS + 5000, NULL, 0);
		vnet_host(i + 1, &tn->addr);
	}
	return t;
}

/* The configuration of a node with this identity and record, LAN
 * parameters, and a generator seeded with seed (srng must outlive it). */
static inline void node_config_for(struct node_config *c, const struct rec_network *net,
				   const struct rec_key *key, const uint8_t *rec, size_t rec_len,
				   struct mn_seeded_rng *srng, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	swim_params_lan(&c->swim.params);
	c->swim.net = net;
	c->swim.key = key;
	c->swim.record = rec;
	c->swim.record_len = rec_len;
	mn_seeded_rng_init(srng, seed);
	c->swim.rng = mn_seeded_rng_iface(srng);
}

static inline void tn_boot(struct tnet *t, uint32_t i)
{
	struct tnode *tn = &t->n[i];
	struct node_config c;

	node_config_for(&c, &t->f.net, &tn->key, tn->rec, tn->rec_len, &tn->srng,
			t->f.seed * 100 + i + 1);
	c.swim.event = on_event;
	c.swim.event_ctx = tn;
	c.action = on_action;
	c.action_ctx = tn;
	c.control = on_control;
	c.unsealed = on_unsealed;
	c.hook_ctx = tn;
	ck_assert_int_eq(node_new(&tn->nd, &c, at(t)), MN_OK);
}

/* Boot every node; node i learns `knows` others (with their addresses):
 * the next ones around the ring. */
static inline void tn_boot_all(struct tnet *t, uint32_t knows)
{
	for (uint32_t i = 0; i < t->nn; i++)
		tn_boot(t, i);
	for (uint32_t i = 0; i < t->nn; i++)
		for (uint32_t k = 1; k <= knows; k++) {
			const struct tnode *o = &t->n[(i + k) % t->nn];
			ck_assert_int_eq(swim_learn(node_swim(t->n[i].nd), o->rec, o->rec_len,
						    &o->addr, at(t)), MN_OK);
		}
}

static inline void tn_free(struct tnet *t)
{
	for (uint32_t i = 0; i < t->nn; i++) {
		node_del(t->n[i].nd);
		rec_key_wipe(&t->n[i].key);
	}
	vnet_free(&t->v);
	free(t->txb);
	gfix_free(&t->f);
	free(t);
}

/* ---- the network ---- */

/* Send what node i has: the batch's datagrams, then whatever it queued. */
static inline void flush(struct tnet *t, uint32_t i)
{
	for (;;) {
		for (uint32_t k = 0; k < t->txb->n; k++) {
			const struct node_tx *x = &t->txb->tx[k];
			struct vnet_pkt *p = vnet_slot(&t->v, &t->n[i].addr);
			ck_assert_uint_le(x->len, sizeof(p->buf));
			p->dst = x->dst;
			p->len = (uint16_t)x->len;
			memcpy(p->buf, x->buf, x->len);
			vnet_push(&t->v);
		}
		node_txb_reset(t->txb);
		if (node_poll_tx(t->n[i].nd, t->txb) == 0)
			break;
	}
}

static inline bool dropped(const struct tnet *t, const struct vnet_pkt *p, int32_t to)
{
	int32_t from = node_at(t, &p->src);

	return t->cut_control && demux_classify(p->buf, p->len) == DEMUX_CONTROL &&
	       ((from == 0 && to == 1) || (from == 1 && to == 0));
}

static inline void deliver(void *ctx, struct vnet_pkt *p)
{
	struct tnet *t = ctx;
	int32_t to = node_at(t, &p->dst);
	struct tnode *tn;
	size_t off, len;

	if (to < 0 || dropped(t, p, to))
		return;
	tn = &t->n[to];
	if (node_recv(tn->nd, &p->src, p->buf, p->len, at(t), &off, &len) == 1) {
		ck_assert_uint_le(len, PKT_MAX);
		tn->ntun++;
		tn->tun_len = len;
		memcpy(tn->tun, p->buf + off, len);
	}
	flush(t, (uint32_t)to);
}

static inline mn_ns deadline_of(void *ctx, uint32_t i)
{
	return node_next_deadline(((struct tnet *)ctx)->n[i].nd);
}

static inline void on_timer(void *ctx, uint32_t i)
{
	struct tnet *t = ctx;

	node_on_timer(t->n[i].nd, at(t));
	flush(t, i);
}

static inline void tn_run(struct tnet *t, mn_ns until)
{
	vnet_run(&t->v, until);
}

/* ---- IP packets ---- */

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_LEN 12 /* header and a 4-byte sequence number */

/* The UDP datagram every test packet carries: port 4000 to 4000, seq. */
static inline void put_udp(uint8_t *u, uint32_t seq)
{
	mn_put_be16(u, 4000);
	mn_put_be16(u + 2, 4000);
	mn_put_be16(u + 4, UDP_LEN);
	mn_put_be16(u + 6, 0);
	mn_put_be32(u + 8, seq);
}

/* An IPv4 UDP packet src -> dst carrying seq. */
static inline size_t ip4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint32_t seq)
{
	uint32_t sum = 0;

	memset(p, 0, IP4_HDR);
	p[0] = 0x45;
	mn_put_be16(p + 2, IP4_HDR + UDP_LEN);
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	for (int k = 0; k < IP4_HDR; k += 2)
		sum += mn_get_be16(p + k);
	sum = (sum & 0xffff) + (sum >> 16);
	mn_put_be16(p + 10, (uint16_t)~(sum + (sum >> 16)));
	put_udp(p + IP4_HDR, seq);
	return IP4_HDR + UDP_LEN;
}

/* An IPv6 UDP packet src -> dst carrying seq. */
static inline size_t ip6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint32_t seq)
{
	memset(p, 0, IP6_HDR);
	p[0] = 0x60;
	mn_put_be16(p + 4, UDP_LEN);
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	put_udp(p + IP6_HDR, seq);
	return IP6_HDR + UDP_LEN;
}

/* Node i's TUN side reads pkt; whatever it sends goes on the network. */
static inline int tun_write(struct tnet *t, uint32_t i, const uint8_t *pkt, size_t len)
{
	int rc;

	node_txb_reset(t->txb);
	memcpy(node_txb_slot(t->txb) + WG_HEADROOM, pkt, len);
	rc = node_tun_in(t->n[i].nd, t->txb, len, at(t));
	flush(t, i);
	return rc;
}

/* Node i sends a packet to node j's overlay IPv4; true when j's TUN gets it. */
static inline bool ping4(struct tnet *t, uint32_t i, uint32_t j, uint32_t seq)
{
	uint8_t pkt[PKT_MAX];
	size_t len = ip4(pkt, t->n[i].v4, t->n[j].v4, seq);
	uint32_t before = t->n[j].ntun;

	tun_write(t, i, pkt, len);
	tn_run(t, t->v.now + 200 * MS);
	return t->n[j].ntun == before + 1 && t->n[j].tun_len == len &&
	       memcmp(t->n[j].tun, pkt, len) == 0;
}

/* Two nodes up, with a WireGuard session each way. */
static inline void tn_session(struct tnet *t)
{
	tn_boot_all(t, 1);
	tn_run(t, 5 * SEC);
	ck_assert(ping4(t, 0, 1, 1));
	ck_assert(ping4(t, 1, 0, 2));
}

static inline uint32_t count_acts(const struct tnode *tn, uint32_t from, enum node_action_kind kind)
{
	uint32_t c = 0;

	for (uint32_t k = from; k < tn->nacts; k++)
		c += tn->acts[k].kind == kind;
	return c;
}

static inline void prefix_of(struct mn_prefix *p, int family, const uint8_t *addr, uint8_t bits)
{
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->bits = bits;
	memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
}

static inline bool prefix_eq(const struct mn_prefix *a, const struct mn_prefix *b)
{
	return a->family == b->family && a->bits == b->bits && memcmp(a->addr, b->addr, 16) == 0;
}

/* Take node i's pending datagrams off the network (to hand-deliver them). */
static inline uint32_t take(struct tnet *t, struct vnet_pkt *out, uint32_t max)
{
	struct vnet_pkt *p;
	uint32_t k = 0;

	while (k < max && (p = vnet_pop(&t->v)))
		out[k++] = *p;
	return k;
}

#endif
