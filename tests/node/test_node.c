/* Tests for the node core (node/node.h): a few node cores wired together in
 * memory over a tiny network (datagrams delivered in order after a fixed
 * latency, per-test drop rules), on a virtual clock, built from signed
 * records (tests/gossip/gossip_fixture.h). They learn each other, become
 * WireGuard peers and carry IP packets; removed members are torn down; a
 * newer record changes only its own routes; a batch handles control before
 * bulk data; an address change moves the path; a relayed packet does not;
 * WireGuard traffic keeps a member whose gossip is cut from being declared
 * dead.
 *
 * Each test prints its seed (MN_TEST_SEED=N replays another). Node i sits at
 * 198.18.0.(i+1):51820 until moved; its overlay IPv4 is 100.64.0.(i+1). */
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
#define T_NODE 0x21 /* a sealed type swim does not own */
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

static struct mn_time at(const struct tnet *t)
{
	struct mn_time m = { MONO0 + t->v.now, WALL0 + t->v.now };
	return m;
}

static int32_t node_of_pk(const struct tnet *t, const uint8_t *pk)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (memcmp(t->n[i].key.pk, pk, REC_PK_LEN) == 0)
			return (int32_t)i;
	return -1;
}

static int32_t node_at(const struct tnet *t, const struct mn_addr *a)
{
	for (uint32_t i = 0; i < t->nn; i++)
		if (mn_addr_eq(a, &t->n[i].addr))
			return (int32_t)i;
	return -1;
}

/* ---- the driver's side: events, actions, hooks ---- */

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct tnode *tn = ctx;
	int32_t subj;

	if (ev->kind == SWIM_EV_DEAD && (subj = node_of_pk(tn->t, ev->rec->pk)) >= 0)
		tn->dead[subj]++;
}

static void on_action(void *ctx, const struct node_action *a)
{
	struct tnode *tn = ctx;

	ck_assert_uint_lt(tn->nacts, ACT_LOG);
	tn->acts[tn->nacts++] = *a;
}

static int on_control(void *ctx, const struct swim_control *m, struct mn_time now)
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

static int on_unsealed(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
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
static void sign_record(struct tnet *t, uint32_t i, uint64_t version,
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

static mn_ns deadline_of(void *ctx, uint32_t i);
static void on_timer(void *ctx, uint32_t i);
static void deliver(void *ctx, struct vnet_pkt *p);

static struct tnet *tn_new(const char *name, uint64_t seed, uint32_t nn)
{
	struct tnet *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	gfix_init(&t->f, gfix_seed(name, seed));
	/* members may advertise routes (the invite is pinned in every record) */
	t->f.inv.flags = REC_INV_ROUTES;
	ck_assert_int_eq(rec_invite_sign(&t->f.net, &t->f.root, &t->f.inv), MN_OK);
	vnet_init(&t->v, QCAP, MONO0, LATENCY);
	t->v.nodes = nn;
	t->v.deadline = deadline_of;
	t->v.timer = on_timer;
	t->v.deliver = deliver;
	t->v.ctx = t;
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

static void tn_boot(struct tnet *t, uint32_t i)
{
	struct tnode *tn = &t->n[i];
	struct node_config c;

	memset(&c, 0, sizeof(c));
	swim_params_lan(&c.swim.params);
	c.swim.net = &t->f.net;
	c.swim.key = &tn->key;
	c.swim.record = tn->rec;
	c.swim.record_len = tn->rec_len;
	mn_seeded_rng_init(&tn->srng, t->f.seed * 100 + i + 1);
	c.swim.rng = mn_seeded_rng_iface(&tn->srng);
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
static void tn_boot_all(struct tnet *t, uint32_t knows)
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

static void tn_free(struct tnet *t)
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
static void flush(struct tnet *t, uint32_t i)
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

static bool dropped(const struct tnet *t, const struct vnet_pkt *p, int32_t to)
{
	int32_t from = node_at(t, &p->src);

	return t->cut_control && demux_classify(p->buf, p->len) == DEMUX_CONTROL &&
	       ((from == 0 && to == 1) || (from == 1 && to == 0));
}

static void deliver(void *ctx, struct vnet_pkt *p)
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

static mn_ns deadline_of(void *ctx, uint32_t i)
{
	return node_next_deadline(((struct tnet *)ctx)->n[i].nd);
}

static void on_timer(void *ctx, uint32_t i)
{
	struct tnet *t = ctx;

	node_on_timer(t->n[i].nd, at(t));
	flush(t, i);
}

static void tn_run(struct tnet *t, mn_ns until)
{
	vnet_run(&t->v, until);
}

/* ---- IP packets ---- */

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_LEN 12 /* header and a 4-byte sequence number */

/* The UDP datagram every test packet carries: port 4000 to 4000, seq. */
static void put_udp(uint8_t *u, uint32_t seq)
{
	mn_put_be16(u, 4000);
	mn_put_be16(u + 2, 4000);
	mn_put_be16(u + 4, UDP_LEN);
	mn_put_be16(u + 6, 0);
	mn_put_be32(u + 8, seq);
}

/* An IPv4 UDP packet src -> dst carrying seq. */
static size_t ip4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint32_t seq)
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
static size_t ip6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint32_t seq)
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
static int tun_write(struct tnet *t, uint32_t i, const uint8_t *pkt, size_t len)
{
	int rc;

	node_txb_reset(t->txb);
	memcpy(node_txb_slot(t->txb) + WG_HEADROOM, pkt, len);
	rc = node_tun_in(t->n[i].nd, t->txb, len, at(t));
	flush(t, i);
	return rc;
}

/* Node i sends a packet to node j's overlay IPv4; true when j's TUN gets it. */
static bool ping4(struct tnet *t, uint32_t i, uint32_t j, uint32_t seq)
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
static void tn_session(struct tnet *t)
{
	tn_boot_all(t, 1);
	tn_run(t, 5 * SEC);
	ck_assert(ping4(t, 0, 1, 1));
	ck_assert(ping4(t, 1, 0, 2));
}

static uint32_t count_acts(const struct tnode *tn, uint32_t from, enum node_action_kind kind)
{
	uint32_t c = 0;

	for (uint32_t k = from; k < tn->nacts; k++)
		c += tn->acts[k].kind == kind;
	return c;
}

static void prefix_of(struct mn_prefix *p, int family, const uint8_t *addr, uint8_t bits)
{
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->bits = bits;
	memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
}

static bool prefix_eq(const struct mn_prefix *a, const struct mn_prefix *b)
{
	return a->family == b->family && a->bits == b->bits && memcmp(a->addr, b->addr, 16) == 0;
}

/* ---- tests ---- */

START_TEST(test_node_mesh_forms)
{
	struct tnet *t = tn_new("test_node_mesh_forms", 21, 3);
	struct node_peer_info pi;
	struct mn_prefix want4, want6;
	uint8_t pkt[PKT_MAX];
	size_t len;

	/* each node knows only the next one: gossip brings the rest */
	tn_boot_all(t, 1);
	tn_run(t, 15 * SEC);
	for (uint32_t i = 0; i < 3; i++) {
		struct tnode *tn = &t->n[i];
		ck_assert_uint_eq(node_peer_count(tn->nd), 2);
		/* our own addresses first, then a route per member address */
		ck_assert_int_eq(tn->acts[0].kind, NODE_ACT_ADDR);
		ck_assert_int_eq(tn->acts[1].kind, NODE_ACT_ADDR);
		prefix_of(&want4, AF_INET, tn->v4, 32);
		ck_assert(prefix_eq(&tn->acts[0].prefix, &want4));
		ck_assert_uint_eq(count_acts(tn, 0, NODE_ACT_ROUTE_ADD), 4);
		ck_assert_uint_eq(count_acts(tn, 0, NODE_ACT_ROUTE_DEL), 0);
		for (uint32_t j = 0; j < 3; j++) {
			if (j == i)
				continue;
			ck_assert_int_eq(node_peer(tn->nd, t->n[j].key.pk, &pi), MN_OK);
			prefix_of(&want4, AF_INET, t->n[j].v4, 32);
			prefix_of(&want6, AF_INET6, t->n[j].v6, 128);
			ck_assert_uint_eq(pi.nprefixes, 2);
			ck_assert(prefix_eq(&pi.prefixes[0], &want4));
			ck_assert(prefix_eq(&pi.prefixes[1], &want6));
			ck_assert_int_eq(pi.choice.kind, PATH_DIRECT);
			ck_assert(mn_addr_eq(&pi.choice.dst, &t->n[j].addr));
		}
	}
	/* IP packets, each way, both families */
	ck_assert(ping4(t, 0, 1, 1));
	ck_assert(ping4(t, 1, 0, 2));
	ck_assert(ping4(t, 2, 1, 3));
	len = ip6(pkt, t->n[2].v6, t->n[0].v6, 4);
	ck_assert_int_ge(tun_write(t, 2, pkt, len), 0);
	tn_run(t, t->v.now + 200 * MS);
	ck_assert_uint_eq(t->n[0].tun_len, len);
	ck_assert_mem_eq(t->n[0].tun, pkt, len);
	/* a destination no member has */
	len = ip4(pkt, t->n[0].v4, (uint8_t[]){ 100, 64, 0, 99 }, 5);
	ck_assert_int_eq(tun_write(t, 0, pkt, len), MN_ENOROUTE);
	/* a member sending from an address that is not its own: refused */
	len = ip4(pkt, t->n[2].v4, t->n[0].v4, 6);
	tun_write(t, 1, pkt, len);
	tn_run(t, t->v.now + 200 * MS);
	ck_assert_uint_ge(wg_dev_drops(node_wg(t->n[1].nd), WG_DROP_NO_ROUTE) +
				  wg_dev_drops(node_wg(t->n[0].nd), WG_DROP_NOT_ALLOWED), 1);
	tn_free(t);
}
END_TEST

START_TEST(test_node_revoked_torn_down)
{
	struct tnet *t = tn_new("test_node_revoked_torn_down", 22, 3);
	struct rec_revoke rv;
	uint8_t tomb[REC_REVOKE_MAX], pkt[PKT_MAX];
	size_t tlen, len;
	uint32_t mark[3];

	tn_boot_all(t, 2);
	tn_run(t, 5 * SEC);
	ck_assert(ping4(t, 0, 2, 1));
	for (uint32_t i = 0; i < 3; i++)
		mark[i] = t->n[i].nacts;
	/* the root revokes node 2; node 0 publishes the tombstone */
	memset(&rv, 0, sizeof(rv));
	rv.signer = REC_BY_ROOT;
	memcpy(rv.target_pk, t->n[2].key.pk, REC_PK_LEN);
	rv.revoked_ms = GF_T0_MS + 9000;
	ck_assert_int_eq(rec_revoke_sign(&t->f.net, &t->f.root, &rv), MN_OK);
	ck_assert_int_eq(rec_revoke_encode(&rv, tomb, sizeof(tomb), &tlen), MN_OK);
	ck_assert_int_eq(swim_revoke(node_swim(t->n[0].nd), tomb, tlen, at(t)), MN_OK);
	flush(t, 0);
	tn_run(t, t->v.now + 10 * SEC);
	for (uint32_t i = 0; i < 2; i++) {
		struct tnode *tn = &t->n[i];
		struct node_peer_info pi;
		ck_assert_uint_eq(node_peer_count(tn->nd), 1);
		ck_assert_int_eq(node_peer(tn->nd, t->n[2].key.pk, &pi), MN_ENOENT);
		/* its two routes removed, nothing else touched */
		ck_assert_uint_eq(count_acts(tn, mark[i], NODE_ACT_ROUTE_DEL), 2);
		ck_assert_uint_eq(count_acts(tn, mark[i], NODE_ACT_ROUTE_ADD), 0);
		ck_assert_uint_eq(node_stat(tn->nd, NODE_STAT_PEERS_REMOVED), 1);
	}
	len = ip4(pkt, t->n[0].v4, t->n[2].v4, 2);
	ck_assert_int_eq(tun_write(t, 0, pkt, len), MN_ENOROUTE);
	ck_assert(ping4(t, 0, 1, 3));
	/* the revoked node, told of its own revocation, is told to stop */
	ck_assert_uint_eq(count_acts(&t->n[2], mark[2], NODE_ACT_REVOKED), 0);
	ck_assert_int_eq(swim_revoke(node_swim(t->n[2].nd), tomb, tlen, at(t)), MN_OK);
	ck_assert_uint_eq(count_acts(&t->n[2], mark[2], NODE_ACT_REVOKED), 1);
	tn_free(t);
}
END_TEST

/* Node i signs and publishes a new version of its record; it spreads. */
static void publish(struct tnet *t, uint32_t i, uint64_t version, const struct mn_prefix *routes,
		    uint8_t nroutes)
{
	sign_record(t, i, version, routes, nroutes);
	ck_assert_int_eq(swim_publish(node_swim(t->n[i].nd), t->n[i].rec, t->n[i].rec_len, at(t)),
			 MN_OK);
	flush(t, i);
	tn_run(t, t->v.now + 10 * SEC);
}

START_TEST(test_node_record_update_routes)
{
	struct tnet *t = tn_new("test_node_record_update_routes", 23, 3);
	struct mn_prefix route;
	struct node_peer_info pi;
	uint8_t pkt[PKT_MAX];
	uint32_t mark[3];
	uint64_t drops;
	size_t len;

	tn_boot_all(t, 2);
	tn_run(t, 5 * SEC);
	ck_assert_int_eq(mn_prefix_parse(&route, "192.0.2.0/24"), MN_OK);
	for (uint32_t i = 0; i < 3; i++)
		mark[i] = t->n[i].nacts;
	/* node 1 advertises a route in a newer version */
	publish(t, 1, GF_T0_MS + 6000, &route, 1);
	for (uint32_t i = 0; i < 3; i += 2) {
		struct tnode *tn = &t->n[i];
		ck_assert_int_eq(node_peer(tn->nd, t->n[1].key.pk, &pi), MN_OK);
		ck_assert_uint_eq(pi.nprefixes, 3);
		ck_assert(prefix_eq(&pi.prefixes[2], &route));
		/* one change, one action: the /32 and /128 are not touched */
		ck_assert_uint_eq(count_acts(tn, mark[i], NODE_ACT_ROUTE_ADD), 1);
		ck_assert(prefix_eq(&tn->acts[mark[i]].prefix, &route));
		ck_assert_mem_eq(tn->acts[mark[i]].member, t->n[1].key.pk, REC_PK_LEN);
		ck_assert_uint_eq(count_acts(tn, mark[i], NODE_ACT_ROUTE_DEL), 0);
		ck_assert_uint_eq(node_stat(tn->nd, NODE_STAT_PEERS_ADDED), 2);
		mark[i] = tn->nacts;
	}
	/* the route's addresses are node 1's now: its packets from there pass */
	len = ip4(pkt, (uint8_t[]){ 192, 0, 2, 7 }, t->n[0].v4, 1);
	tun_write(t, 1, pkt, len);
	tn_run(t, t->v.now + 200 * MS);
	ck_assert_mem_eq(t->n[0].tun, pkt, len);
	/* node 2 claims the same route: node 1 keeps it, at node 0 */
	publish(t, 2, GF_T0_MS + 6000, &route, 1);
	ck_assert_uint_eq(node_stat(t->n[0].nd, NODE_STAT_PREFIX_CONFLICT), 1);
	ck_assert_uint_eq(count_acts(&t->n[0], mark[0], NODE_ACT_ROUTE_ADD), 0);
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[2].key.pk, &pi), MN_OK);
	ck_assert_uint_eq(pi.nprefixes, 2);
	drops = wg_dev_drops(node_wg(t->n[0].nd), WG_DROP_NOT_ALLOWED);
	tun_write(t, 2, pkt, len);
	tn_run(t, t->v.now + 200 * MS);
	ck_assert_uint_eq(wg_dev_drops(node_wg(t->n[0].nd), WG_DROP_NOT_ALLOWED), drops + 1);
	/* and a version of node 1 without it removes just that route */
	publish(t, 1, GF_T0_MS + 7000, NULL, 0);
	for (uint32_t i = 0; i < 3; i += 2) {
		ck_assert_uint_eq(count_acts(&t->n[i], mark[i], NODE_ACT_ROUTE_DEL), 1);
		ck_assert_uint_eq(count_acts(&t->n[i], mark[i], NODE_ACT_ROUTE_ADD), 0);
		ck_assert(prefix_eq(&t->n[i].acts[mark[i]].prefix, &route));
		ck_assert_int_eq(node_peer(t->n[i].nd, t->n[1].key.pk, &pi), MN_OK);
		ck_assert_uint_eq(pi.nprefixes, 2);
	}
	tn_free(t);
}
END_TEST

/* Take node i's pending datagrams off the network (to hand-deliver them). */
static uint32_t take(struct tnet *t, struct vnet_pkt *out, uint32_t max)
{
	struct vnet_pkt *p;
	uint32_t k = 0;

	while (k < max && (p = vnet_pop(&t->v)))
		out[k++] = *p;
	return k;
}

START_TEST(test_node_urgent_first)
{
	struct tnet *t = tn_new("test_node_urgent_first", 24, 2);
	static struct vnet_pkt got[8];
	static const uint8_t note[] = "nat: ping";
	static uint8_t stun[20], junk[5] = "hello", join[24];
	struct node_rx rx[6];
	uint8_t pkt[PKT_MAX];
	struct tnode *b = &t->n[1];
	struct node_peer_info pi;
	uint64_t wg_before, swim_rx;
	size_t len;

	tn_session(t);
	tn_run(t, t->v.now + 1 * SEC);
	/* two data packets and a sealed message of the node's own, held */
	ck_assert_uint_eq(t->v.n, 0);
	len = ip4(pkt, t->n[0].v4, b->v4, 10);
	ck_assert_int_eq(tun_write(t, 0, pkt, len), 1);
	ck_assert_int_eq(node_send_control(t->n[0].nd, b->key.pk, T_NODE, note, sizeof(note)),
			 MN_OK);
	flush(t, 0);
	len = ip4(pkt, t->n[0].v4, b->v4, 11);
	ck_assert_int_eq(tun_write(t, 0, pkt, len), 1);
	ck_assert_uint_eq(take(t, got, 8), 3);
	ck_assert_int_eq(demux_classify(got[0].buf, got[0].len), DEMUX_WG_DATA);
	ck_assert_int_eq(demux_classify(got[1].buf, got[1].len), DEMUX_CONTROL);
	/* a STUN header, junk, an unsealed control datagram (join's kind) */
	mn_put_be32(stun + 4, DEMUX_STUN_COOKIE);
	join[0] = SEAL_MAGIC0;
	join[1] = SEAL_MAGIC1;
	join[SEAL_O_VERSION] = SEAL_VERSION;
	join[SEAL_O_TYPE] = T_JOIN;
	/* data first in the batch: control still goes first */
	rx[0] = (struct node_rx){ .from = t->n[0].addr, .buf = got[0].buf, .len = got[0].len };
	rx[1] = (struct node_rx){ .from = t->n[0].addr, .buf = stun, .len = sizeof(stun) };
	rx[2] = (struct node_rx){ .from = t->n[0].addr, .buf = got[1].buf, .len = got[1].len };
	rx[3] = (struct node_rx){ .from = t->n[0].addr, .buf = got[2].buf, .len = got[2].len };
	rx[4] = (struct node_rx){ .from = t->n[0].addr, .buf = junk, .len = sizeof(junk) };
	rx[5] = (struct node_rx){ .from = t->n[0].addr, .buf = join, .len = sizeof(join) };
	vnet_host(200, &rx[0].local); /* where the driver saw it arrive */
	wg_before = node_stat(b->nd, NODE_STAT_RX_WG);
	swim_rx = swim_stat(node_swim(b->nd), SWIM_STAT_RX_DGRAMS);
	ck_assert_uint_eq(node_recv_batch(b->nd, rx, 6, at(t)), 2);
	ck_assert_uint_eq(b->nctl, 1);
	ck_assert_mem_eq(b->ctl_from, t->n[0].key.pk, REC_PK_LEN);
	ck_assert_uint_eq(b->ctl_saw_wg, wg_before); /* no data handled before it */
	ck_assert_uint_eq(node_stat(b->nd, NODE_STAT_RX_WG), wg_before + 2);
	ck_assert_int_eq(rx[0].kind, DEMUX_WG_DATA);
	ck_assert_int_eq(rx[0].rc, 1);
	ck_assert_int_eq(rx[3].rc, 1);
	ck_assert_uint_eq(mn_get_be32(rx[3].buf + rx[3].pkt_off + IP4_HDR + 8), 11);
	ck_assert_int_eq(rx[1].kind, DEMUX_STUN);
	ck_assert_int_lt(rx[1].rc, 0);
	ck_assert_int_eq(rx[4].kind, DEMUX_OTHER);
	ck_assert_int_lt(rx[4].rc, 0);
	ck_assert_int_eq(rx[2].rc, 0);
	ck_assert_int_eq(rx[5].rc, 0);
	ck_assert_uint_eq(node_stat(b->nd, NODE_STAT_RX_STUN), 1);
	ck_assert_uint_eq(node_stat(b->nd, NODE_STAT_RX_OTHER), 1);
	/* the unsealed one went to its hook, not to swim: swim saw one */
	ck_assert_uint_eq(b->nunsealed, 1);
	ck_assert_uint_eq(swim_stat(node_swim(b->nd), SWIM_STAT_RX_DGRAMS), swim_rx + 1);
	/* the path keeps the local address its direct traffic arrives on */
	ck_assert_int_eq(node_peer(b->nd, t->n[0].key.pk, &pi), MN_OK);
	ck_assert(mn_addr_eq(&pi.path.local, &rx[0].local));
	tn_free(t);
}
END_TEST

START_TEST(test_node_addr_moves_path)
{
	struct tnet *t = tn_new("test_node_addr_moves_path", 25, 2);
	struct node_peer_info pi;
	struct wg_peer_info wi;
	struct mn_addr moved;
	uint64_t rx_before;

	tn_session(t);
	/* long enough for every WireGuard keepalive to be sent */
	tn_run(t, t->v.now + 30 * SEC);
	vnet_host(9, &moved);
	t->n[1].addr = moved;
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[1].key.pk, &pi), MN_OK);
	wg_peer_info(wg_dev_peer_find(node_wg(t->n[0].nd), pi.wg_pk), &wi);
	rx_before = wi.rx_bytes;
	/* only gossip flows: swim proves the new address, the path follows */
	tn_run(t, t->v.now + 5 * SEC);
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[1].key.pk, &pi), MN_OK);
	wg_peer_info(wg_dev_peer_find(node_wg(t->n[0].nd), pi.wg_pk), &wi);
	ck_assert_uint_eq(wi.rx_bytes, rx_before); /* not WireGuard's roaming */
	ck_assert_int_eq(pi.choice.kind, PATH_DIRECT);
	ck_assert(mn_addr_eq(&pi.choice.dst, &moved));
	ck_assert(mn_addr_eq(&wi.endpoint, &moved));
	ck_assert(ping4(t, 0, 1, 3));
	tn_free(t);
}
END_TEST

START_TEST(test_node_relayed_keeps_path)
{
	struct tnet *t = tn_new("test_node_relayed_keeps_path", 26, 2);
	static struct vnet_pkt got[4];
	struct node_peer_info pi;
	struct wg_peer_info wi;
	struct mn_addr relay, roamed;
	uint8_t pkt[PKT_MAX];
	size_t len, off, plen;

	tn_session(t);
	tn_run(t, t->v.now + 1 * SEC);
	vnet_host(99, &relay);
	len = ip4(pkt, t->n[1].v4, t->n[0].v4, 3);
	ck_assert_int_eq(tun_write(t, 1, pkt, len), 1);
	ck_assert_uint_eq(take(t, got, 4), 1);
	/* through a relay: decrypted, but the direct path stays */
	ck_assert_int_eq(node_recv_relayed(t->n[0].nd, &relay, got[0].buf, got[0].len, at(t),
					   &off, &plen), 1);
	ck_assert_mem_eq(got[0].buf + off, pkt, len);
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[1].key.pk, &pi), MN_OK);
	wg_peer_info(wg_dev_peer_find(node_wg(t->n[0].nd), pi.wg_pk), &wi);
	ck_assert(mn_addr_eq(&pi.choice.dst, &t->n[1].addr));
	ck_assert(mn_addr_eq(&wi.endpoint, &t->n[1].addr));
	ck_assert_uint_eq(pi.path.relay_rx, at(t).mono);
	/* a control datagram is not relayed here */
	ck_assert_int_eq(node_recv_relayed(t->n[0].nd, &relay, (uint8_t *)"MN\x01\x10", 4, at(t),
					   &off, &plen), MN_EPROTO);
	/* directly from a new address: the path roams with it */
	vnet_host(77, &roamed);
	len = ip4(pkt, t->n[1].v4, t->n[0].v4, 4);
	ck_assert_int_eq(tun_write(t, 1, pkt, len), 1);
	ck_assert_uint_eq(take(t, got, 4), 1);
	ck_assert_int_eq(node_recv(t->n[0].nd, &roamed, got[0].buf, got[0].len, at(t), &off,
				   &plen), 1);
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[1].key.pk, &pi), MN_OK);
	wg_peer_info(wg_dev_peer_find(node_wg(t->n[0].nd), pi.wg_pk), &wi);
	ck_assert(mn_addr_eq(&pi.choice.dst, &roamed));
	ck_assert(mn_addr_eq(&wi.endpoint, &roamed));
	tn_free(t);
}
END_TEST

/* Gossip between nodes 0 and 1 is cut for 150 s (two nodes: no helper
 * for an indirect probe). With wg_every, they exchange a packet that often
 * (0: never). Returns how often node 0 declared node 1 dead. */
static uint32_t cut_gossip(const char *name, mn_ns wg_every)
{
	struct tnet *t = tn_new(name, 27, 2);
	uint32_t dead;

	tn_boot_all(t, 1);
	tn_run(t, 5 * SEC);
	ck_assert(ping4(t, 0, 1, 1));
	t->cut_control = true;
	for (mn_ns s = t->v.now; s < 155 * SEC; s += wg_every ? wg_every : SEC) {
		if (wg_every) {
			ck_assert(ping4(t, 0, 1, 2));
			ck_assert(ping4(t, 1, 0, 3));
		}
		tn_run(t, s);
	}
	dead = t->n[0].dead[1];
	if (wg_every)
		ck_assert_uint_gt(node_stat(t->n[0].nd, NODE_STAT_EVIDENCE), 0);
	printf("%s: node 0 declared node 1 dead %u times; %" PRIu64 " suspicions held\n", name,
	       dead, swim_stat(node_swim(t->n[0].nd), SWIM_STAT_EVIDENCE_HELD));
	tn_free(t);
	return dead;
}

START_TEST(test_node_wg_evidence)
{
	/* control: gossip cut and nothing else, node 1 dies at node 0 */
	ck_assert_uint_ge(cut_gossip("test_node_wg_evidence_none", 0), 1);
	/* its WireGuard traffic keeps it from being declared dead */
	ck_assert_uint_eq(cut_gossip("test_node_wg_evidence_5s", 5 * SEC), 0);
}
END_TEST

START_TEST(test_node_config)
{
	struct tnet *t = tn_new("test_node_config", 28, 1);
	struct node_config c;
	struct node *nd;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_EINVAL);
	ck_assert_ptr_null(nd);
	swim_params_lan(&c.swim.params);
	c.swim.net = &t->f.net;
	c.swim.key = &t->n[0].key;
	c.swim.record = t->n[0].rec;
	c.swim.record_len = t->n[0].rec_len;
	mn_seeded_rng_init(&t->n[0].srng, 5);
	c.swim.rng = mn_seeded_rng_iface(&t->n[0].srng);
	c.mtu = NODE_MTU_MAX + 1;
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_EINVAL);
	c.mtu = NODE_MTU_MIN - 1;
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_EINVAL);
	c.mtu = NODE_MTU_MIN;
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_OK);
	ck_assert_uint_eq(node_mtu(nd), NODE_MTU_MIN);
	node_del(nd);
	c.mtu = 0;
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_OK);
	ck_assert_uint_eq(node_mtu(nd), NODE_MTU_DEFAULT);
	ck_assert_uint_eq(node_peer_count(nd), 0);
	ck_assert_str_eq(node_stat_name(NODE_STAT_EVIDENCE),
			 "authenticated WireGuard traffic told to swim");
	node_del(nd);
	node_del(NULL);
	tn_free(t);
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_node_mesh_forms);
	tcase_add_test(tc, test_node_revoked_torn_down);
	tcase_add_test(tc, test_node_record_update_routes);
	tcase_add_test(tc, test_node_urgent_first);
	tcase_add_test(tc, test_node_addr_moves_path);
	tcase_add_test(tc, test_node_relayed_keeps_path);
	tcase_add_test(tc, test_node_wg_evidence);
	tcase_add_test(tc, test_node_config);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(node_suite)
