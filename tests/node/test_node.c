/* Tests for the node core (node/node.h), membership into the data plane:
 * a few node cores wired together in memory (node_net.h) learn each other,
 * become WireGuard peers and carry IP packets; removed members are torn
 * down; a newer record changes only its own routes, and a route two
 * members claim stays with the first. Each test prints its seed
 * (MN_TEST_SEED=N replays another). */
#include "check_main.h"
#include "node_net.h"

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

START_TEST(test_node_left_torn_down)
{
	/* node 2's last record says it left: node 0 tears its peer down */
	struct tnet *t = tn_new("test_node_left_torn_down", 31, 3);
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX], pkt[PKT_MAX];
	size_t len;
	uint32_t mark;

	tn_boot_all(t, 2);
	tn_run(t, 5 * SEC);
	ck_assert(ping4(t, 0, 2, 1));
	mark = t->n[0].nacts;
	ck_assert_int_eq(rec_member_decode(&m, t->n[2].rec, t->n[2].rec_len), MN_OK);
	m.flags |= REC_MEM_LEFT;
	m.version++;
	ck_assert_int_eq(rec_member_sign(&t->f.net, &t->n[2].key, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, buf, sizeof(buf), &len), MN_OK);
	ck_assert_int_eq(swim_learn(node_swim(t->n[0].nd), buf, len, NULL, at(t)), MN_OK);
	ck_assert_uint_eq(node_peer_count(t->n[0].nd), 1);
	ck_assert_uint_eq(count_acts(&t->n[0], mark, NODE_ACT_ROUTE_DEL), 2);
	len = ip4(pkt, t->n[0].v4, t->n[2].v4, 2);
	ck_assert_int_eq(tun_write(t, 0, pkt, len), MN_ENOROUTE);
	ck_assert(ping4(t, 0, 1, 3));
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

START_TEST(test_node_config)
{
	struct tnet *t = tn_new("test_node_config", 28, 1);
	struct node_config c;
	struct node *nd;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_EINVAL);
	ck_assert_ptr_null(nd);
	node_config_for(&c, &t->f.net, &t->n[0].key, t->n[0].rec, t->n[0].rec_len, &t->n[0].srng,
			5);
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

START_TEST(test_node_send_unsealed)
{
	/* replies queued (also from inside the unsealed hook's caller) leave
	 * first, in order; the ring's bound and the length cap are counted */
	struct tnet *t = tn_new("test_node_send_unsealed", 29, 1);
	struct node_config c;
	struct node *nd;
	struct node_txb *b = malloc(sizeof(*b));
	uint8_t big[NODE_UNSEALED_MAX + 1], msg[8];
	struct mn_addr dst;

	ck_assert_ptr_nonnull(b);
	node_config_for(&c, &t->f.net, &t->n[0].key, t->n[0].rec, t->n[0].rec_len, &t->n[0].srng,
			5);
	ck_assert_int_eq(node_new(&nd, &c, at(t)), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&dst, "198.18.0.9:4000"), MN_OK);
	memset(big, 0xab, sizeof(big));
	ck_assert_int_eq(node_send_unsealed(nd, &dst, big, sizeof(big)), MN_EMSGSIZE);
	for (uint32_t i = 0; i < NODE_UNSEALED_QUEUE; i++) {
		memset(msg, (int)i, sizeof(msg));
		ck_assert_int_eq(node_send_unsealed(nd, &dst, msg, sizeof(msg)), MN_OK);
	}
	ck_assert_int_eq(node_send_unsealed(nd, &dst, msg, sizeof(msg)), MN_EFULL);
	ck_assert_uint_eq(node_stat(nd, NODE_STAT_TX_UNSEALED), NODE_UNSEALED_QUEUE);
	ck_assert_uint_eq(node_stat(nd, NODE_STAT_TX_UNSEALED_DROPPED), 2);
	node_txb_reset(b);
	ck_assert_uint_ge(node_poll_tx(nd, b), NODE_UNSEALED_QUEUE);
	for (uint32_t i = 0; i < NODE_UNSEALED_QUEUE; i++) {
		memset(msg, (int)i, sizeof(msg));
		ck_assert_uint_eq(b->tx[i].len, sizeof(msg));
		ck_assert_mem_eq(b->tx[i].buf, msg, sizeof(msg));
		ck_assert(mn_addr_eq(&b->tx[i].dst, &dst));
	}
	/* drained: room again, and the ring wraps */
	ck_assert_int_eq(node_send_unsealed(nd, &dst, big, NODE_UNSEALED_MAX), MN_OK);
	node_txb_reset(b);
	ck_assert_uint_ge(node_poll_tx(nd, b), 1);
	ck_assert_uint_eq(b->tx[0].len, NODE_UNSEALED_MAX);
	node_del(nd);
	free(b);
	tn_free(t);
}
END_TEST

/* Nodes 0 and 1 up, node 1 knowing node 0 and not the other way round;
 * node 1's first packet for node 0 (pkt, its length returned) into its
 * TUN side. */
static size_t one_way_known(struct tnet *t, uint8_t pkt[PKT_MAX])
{
	size_t len;

	tn_boot(t, 0);
	tn_boot(t, 1);
	ck_assert_int_eq(swim_learn(node_swim(t->n[1].nd), t->n[0].rec, t->n[0].rec_len,
				    &t->n[0].addr, at(t)), MN_OK);
	len = ip4(pkt, t->n[1].v4, t->n[0].v4, 1);
	ck_assert_int_ge(tun_write(t, 1, pkt, len), 0);
	return len;
}

START_TEST(test_node_initiation_replayed)
{
	/* node 1 knows node 0, node 0 does not know node 1 yet (gossip is
	 * cut): node 1's handshake reaches node 0 before its record does. Once
	 * node 0 learns the record, the kept initiation is answered at once,
	 * not after node 1's 5 s retry. */
	struct tnet *t = tn_new("test_node_initiation_replayed", 30, 2);
	uint8_t pkt[PKT_MAX];
	size_t len;

	t->cut_control = true;
	len = one_way_known(t, pkt);
	tn_run(t, t->v.now + 100 * MS);
	ck_assert_uint_eq(node_stat(t->n[0].nd, NODE_STAT_STASHED), 1);
	ck_assert_uint_eq(t->n[0].ntun, 0);
	ck_assert_int_eq(swim_learn(node_swim(t->n[0].nd), t->n[1].rec, t->n[1].rec_len,
				    &t->n[1].addr, at(t)), MN_OK);
	flush(t, 0);
	tn_run(t, t->v.now + 200 * MS);
	ck_assert_uint_eq(node_stat(t->n[0].nd, NODE_STAT_REPLAYED), 1);
	ck_assert_uint_eq(t->n[0].ntun, 1);
	ck_assert_uint_eq(t->n[0].tun_len, len);
	ck_assert_mem_eq(t->n[0].tun, pkt, len);
	tn_free(t);
}
END_TEST

/* Node 1 knows node 0, node 0 has not heard of node 1 (the epidemic
 * missed it, as it can: doc/gossip.md §4), and control traffic flows.
 * Node 1's first packet for node 0 waits on a handshake: node 1 sends its
 * HELLO first (peer_on_staged), so node 0 learns it and answers the
 * initiation at once, not after node 1's probe of node 0 failed (a probe
 * timeout at least, 500 ms here; minutes in a large mesh). */
START_TEST(test_node_staged_introduces)
{
	struct tnet *t = tn_new("test_node_staged_introduces", 31, 2);
	uint8_t pkt[PKT_MAX];
	size_t len;

	len = one_way_known(t, pkt);
	ck_assert_int_ge(tun_write(t, 1, pkt, len), 0); /* one HELLO, not one per packet */
	tn_run(t, t->v.now + 100 * MS);
	ck_assert_uint_eq(node_stat(t->n[1].nd, NODE_STAT_INTRODUCED), 1);
	ck_assert_uint_eq(swim_stat(node_swim(t->n[1].nd), SWIM_STAT_HELLOS), 1);
	ck_assert_uint_eq(node_stat(t->n[0].nd, NODE_STAT_STASHED), 0);
	ck_assert_uint_eq(t->n[0].ntun, 2);
	ck_assert_mem_eq(t->n[0].tun, pkt, len);
	tn_free(t);
}
END_TEST

/* Node 2's address changes and it says so (node_local_addrs_changed):
 * node 0, which has a WireGuard session with it, moves its path at once
 * (the keepalive from the new address roams it); node 1, which has none,
 * moves once gossip re-proved the address (two probe timeouts), and
 * packets get through both ways. */
START_TEST(test_node_local_move)
{
	struct tnet *t = tn_new("test_node_local_move", 41, 3);
	struct node_peer_info pi;
	struct swim_params p;

	tn_boot_all(t, 2);
	tn_run(t, 10 * SEC);
	ck_assert(ping4(t, 0, 2, 1));
	ck_assert(ping4(t, 2, 0, 2));
	t->n[2].addr.in4.sin_addr.s_addr = htonl(0xC6120063u); /* 198.18.0.99 */
	node_local_addrs_changed(t->n[2].nd, &t->n[2].addr, 1, at(t));
	flush(t, 2);
	ck_assert_uint_eq(node_stat(t->n[2].nd, NODE_STAT_LOCAL_MOVES), 1);
	ck_assert_uint_eq(node_stat(t->n[2].nd, NODE_STAT_MOVE_KEEPALIVES), 1);
	tn_run(t, t->v.now + 20 * MS);
	ck_assert_int_eq(node_peer(t->n[0].nd, t->n[2].key.pk, &pi), MN_OK);
	ck_assert(mn_addr_eq(&pi.choice.dst, &t->n[2].addr));
	ck_assert(ping4(t, 0, 2, 3));
	swim_params_lan(&p); /* node_config_for's */
	tn_run(t, t->v.now + 2 * p.probe_timeout_ns + 20 * MS);
	ck_assert_int_eq(node_peer(t->n[1].nd, t->n[2].key.pk, &pi), MN_OK);
	ck_assert(mn_addr_eq(&pi.choice.dst, &t->n[2].addr));
	ck_assert(ping4(t, 1, 2, 4));
	ck_assert(ping4(t, 2, 1, 5));
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
	tcase_add_test(tc, test_node_left_torn_down);
	tcase_add_test(tc, test_node_record_update_routes);
	tcase_add_test(tc, test_node_config);
	tcase_add_test(tc, test_node_send_unsealed);
	tcase_add_test(tc, test_node_initiation_replayed);
	tcase_add_test(tc, test_node_staged_introduces);
	tcase_add_test(tc, test_node_local_move);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(node_suite)
