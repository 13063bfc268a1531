/* Tests for the node core (node/node.h), the one port and the paths: a
 * batch handles control before bulk data and dispatches every kind; an
 * address change learned by gossip alone moves the path and the WireGuard
 * endpoint; a relayed packet does not, a direct one does; with gossip cut
 * between two nodes, tunnel traffic keeps each from declaring the other
 * dead; the transmit batch fills slot by slot and holds output back when
 * full. Over the in-test mesh of node_net.h; each test prints its seed. */
#include "check_main.h"
#include "node_net.h"

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

/* One transmit batch: node_tun_in fills it slot by slot, a full batch
 * refuses (counted) and holds back queued output until the next one. */
START_TEST(test_node_batch_full)
{
	struct tnet *t = tn_new("test_node_batch_full", 29, 2);
	static const uint8_t note[] = "x";
	uint8_t pkt[PKT_MAX];
	size_t len;

	tn_session(t);
	tn_run(t, t->v.now + 1 * SEC);
	node_txb_reset(t->txb);
	for (uint32_t k = 0; k < NODE_TX_BATCH; k++) {
		len = ip4(pkt, t->n[0].v4, t->n[1].v4, k);
		memcpy(node_txb_slot(t->txb) + WG_HEADROOM, pkt, len);
		ck_assert_int_eq(node_tun_in(t->n[0].nd, t->txb, len, at(t)), 1);
		ck_assert_uint_eq(t->txb->n, k + 1);
		ck_assert_ptr_eq(t->txb->tx[k].buf, t->txb->slot[k] + NODE_RELAY_HEADROOM);
		ck_assert(mn_addr_eq(&t->txb->tx[k].dst, &t->n[1].addr));
	}
	ck_assert_ptr_null(node_txb_slot(t->txb));
	ck_assert_int_eq(node_tun_in(t->n[0].nd, t->txb, len, at(t)), MN_EFULL);
	ck_assert_uint_eq(node_stat(t->n[0].nd, NODE_STAT_TUN_IN_DROPPED), 1);
	ck_assert_int_eq(node_send_control(t->n[0].nd, t->n[1].key.pk, T_NODE, note, sizeof(note)),
			 MN_OK);
	ck_assert_uint_eq(node_poll_tx(t->n[0].nd, t->txb), 0);
	node_txb_reset(t->txb);
	ck_assert_uint_eq(node_poll_tx(t->n[0].nd, t->txb), 1);
	ck_assert_int_eq(demux_classify(t->txb->tx[0].buf, t->txb->tx[0].len), DEMUX_CONTROL);
	tn_free(t);
}
END_TEST

static Suite *node_paths_suite(void)
{
	Suite *s = suite_create("node_paths");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_node_urgent_first);
	tcase_add_test(tc, test_node_addr_moves_path);
	tcase_add_test(tc, test_node_relayed_keeps_path);
	tcase_add_test(tc, test_node_wg_evidence);
	tcase_add_test(tc, test_node_batch_full);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(node_paths_suite)
