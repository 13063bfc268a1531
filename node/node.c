/* node.c - the node core's lifecycle, the one-port dispatcher, the shared
 * transmit batch and the timers (node.h).
 *
 * Timers: the node has none of its own. Its deadline is the earlier of
 * swim's (probes, suspicions, gossip, push-pull, ...: gossip/swim.c) and
 * the WireGuard device's (handshake retransmits, keepalives, key expiry:
 * wg/wg_timers.c); node_on_timer fires whichever is due.
 */
#include "node_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

static const char *const stat_names[NODE_STAT__COUNT] = {
#define NODE_STAT_NAME(n, s) s,
	NODE_STAT_MAP(NODE_STAT_NAME)
#undef NODE_STAT_NAME
};

const char *node_stat_name(enum node_stat st)
{
	return (unsigned)st < NODE_STAT__COUNT ? stat_names[st] : "unknown";
}

/* ---- the transmit batch ---- */

void node_txb_reset(struct node_txb *b)
{
	b->n = 0;
}

uint8_t *node_txb_slot(struct node_txb *b)
{
	return b->n < NODE_TX_BATCH ? b->slot[b->n] + NODE_RELAY_HEADROOM : NULL;
}

static void txb_commit(struct node_txb *b, const struct mn_addr *dst, size_t len)
{
	struct node_tx *t = &b->tx[b->n];

	t->dst = *dst;
	t->buf = b->slot[b->n] + NODE_RELAY_HEADROOM;
	t->len = len;
	b->n++;
}

/* ---- lifecycle ---- */

/* swim's open channel: the node's own sealed types. */
static int on_control(void *ctx, const struct swim_control *msg, struct mn_time now)
{
	struct node *n = ctx;

	if (n->control)
		return n->control(n->hook_ctx, msg, now);
	node_bump(n, NODE_STAT_RX_CONTROL_UNHANDLED);
	return MN_ENOENT;
}

static void own_addresses(struct node *n)
{
	struct swim_member_info mi;
	struct swim_rec_info ri;
	struct node_action a;

	if (!n->action || swim_member(n->swim, n->self_pk, &mi) != MN_OK ||
	    swim_rec_info(n->net, mi.rec, &ri) != MN_OK)
		return;
	memset(&a, 0, sizeof(a));
	a.kind = NODE_ACT_ADDR;
	a.prefix.family = AF_INET;
	a.prefix.bits = 32;
	memcpy(a.prefix.addr, ri.ipv4, 4);
	n->action(n->action_ctx, &a);
	memset(&a.prefix, 0, sizeof(a.prefix));
	a.prefix.family = AF_INET6;
	a.prefix.bits = 128;
	memcpy(a.prefix.addr, ri.ipv6, 16);
	n->action(n->action_ctx, &a);
}

int node_new(struct node **out, const struct node_config *cfg, struct mn_time now)
{
	uint8_t xsk[WG_KEY_LEN];
	struct swim_config sc;
	struct node *n;
	int err;

	*out = NULL;
	if (!cfg || !cfg->swim.key || !cfg->swim.net || cfg->mtu > NODE_MTU_MAX ||
	    (cfg->mtu && cfg->mtu < NODE_MTU_MIN))
		return MN_EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return MN_ENOMEM;
	n->net = cfg->swim.net;
	memcpy(n->self_pk, cfg->swim.key->pk, REC_PK_LEN);
	n->mtu = cfg->mtu ? cfg->mtu : NODE_MTU_DEFAULT;
	n->event = cfg->swim.event;
	n->event_ctx = cfg->swim.event_ctx;
	n->action = cfg->action;
	n->action_ctx = cfg->action_ctx;
	n->unsealed = cfg->unsealed;
	n->control = cfg->control;
	n->hook_ctx = cfg->hook_ctx;
	n->unsealed_q = calloc(NODE_UNSEALED_QUEUE, sizeof(*n->unsealed_q));
	err = MN_ENOMEM;
	if (!n->unsealed_q)
		goto fail;

	/* WireGuard first: swim's events, from swim_new on, program it. Its
	 * key is our identity key converted, as every member converts ours. */
	err = wg_dev_new(&n->wg, &cfg->swim.rng);
	if (err)
		goto fail;
	err = MN_ECRYPTO;
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, cfg->swim.key->sk) != 0)
		goto fail;
	err = wg_dev_set_private_key(n->wg, xsk);
	if (err)
		goto fail;
	wg_dev_set_mtu(n->wg, n->mtu);

	sc = cfg->swim;
	sc.event = peer_on_event;
	sc.event_ctx = n;
	sc.addr_changed = peer_on_addr;
	sc.control = on_control;
	sc.hook_ctx = n;
	err = swim_new(&n->swim, &sc, now);
	if (err)
		goto fail;
	own_addresses(n);
	sodium_memzero(xsk, sizeof(xsk));
	*out = n;
	return MN_OK;
fail:
	sodium_memzero(xsk, sizeof(xsk));
	node_del(n);
	return err;
}

void node_del(struct node *n)
{
	if (!n)
		return;
	peer_free_all(n);
	wg_dev_del(n->wg);
	swim_del(n->swim);
	free(n->unsealed_q);
	free(n);
}

struct swim *node_swim(const struct node *n)
{
	return n->swim;
}

struct wg_dev *node_wg(const struct node *n)
{
	return n->wg;
}

/* ---- the dispatcher ---- */

static int wg_in(struct node *n, struct node_rx *rx, const struct mn_addr *relay,
		 struct mn_time now)
{
	/* WireGuard roams to every authenticated source: right for a direct
	 * packet (the path takes it too, as PROVEN), wrong for a relayed one */
	struct wg_rx_meta meta = { .no_roam = relay != NULL };
	const struct mn_addr *local = mn_addr_is_set(&rx->local) ? &rx->local : NULL;
	int rc;

	node_bump(n, NODE_STAT_RX_WG);
	if (rx->kind == DEMUX_WG_INITIATION && rx->len == WG_INITIATION_LEN) {
		/* copied first: the core may work in place */
		uint8_t copy[WG_INITIATION_LEN];

		memcpy(copy, rx->buf, WG_INITIATION_LEN);
		rc = wg_dev_udp_in_ex(n->wg, &rx->from, rx->buf, rx->len, now, &rx->pkt_off,
				      &rx->pkt_len, &meta);
		if (rc == MN_ENOKEY && !relay) {
			struct node_stashed *st = &n->stash[n->stash_next];

			memcpy(st->buf, copy, WG_INITIATION_LEN);
			st->from = rx->from;
			st->local = rx->local;
			st->at = now.mono;
			n->stash_next = (n->stash_next + 1) % NODE_STASH;
			node_bump(n, NODE_STAT_STASHED);
		}
	} else {
		rc = wg_dev_udp_in_ex(n->wg, &rx->from, rx->buf, rx->len, now, &rx->pkt_off,
				      &rx->pkt_len, &meta);
	}
	if (meta.peer)
		peer_on_auth(n, meta.peer, &rx->from, local, relay, now);
	if (rc < 0)
		node_bump(n, NODE_STAT_RX_WG_DROPPED);
	else if (rc == 1)
		node_bump(n, NODE_STAT_TUN_OUT);
	return rc;
}

static int control_in(struct node *n, struct node_rx *rx, struct mn_time now)
{
	int rc;

	node_bump(n, NODE_STAT_RX_CONTROL);
	if (n->unsealed) {
		rc = n->unsealed(n->hook_ctx, &rx->from, rx->buf, rx->len, now);
		if (rc != MN_ENOENT)
			return rc < 0 ? rc : 0;
	}
	rc = swim_recv(n->swim, &rx->from, rx->buf, rx->len, now);
	if (rc < 0)
		node_bump(n, NODE_STAT_RX_CONTROL_DROPPED);
	return rc < 0 ? rc : 0;
}

static int dispatch(struct node *n, struct node_rx *rx, const struct mn_addr *relay,
		    struct mn_time now)
{
	n->now = now;
	switch (rx->kind) {
	case DEMUX_WG_INITIATION:
	case DEMUX_WG_RESPONSE:
	case DEMUX_WG_COOKIE:
	case DEMUX_WG_DATA:
		return wg_in(n, rx, relay, now);
	case DEMUX_CONTROL:
		return control_in(n, rx, now);
	case DEMUX_STUN:
		/* every node will answer Binding requests (nat/, next) */
		node_bump(n, NODE_STAT_RX_STUN);
		return MN_EPROTO;
	case DEMUX_OTHER:
	case DEMUX_KINDS:
		break;
	}
	node_bump(n, NODE_STAT_RX_OTHER);
	return MN_EPROTO;
}

uint32_t node_recv_batch(struct node *n, struct node_rx *rx, uint32_t count, struct mn_time now)
{
	uint32_t tun = 0;

	for (uint32_t j = 0; j < count; j++) {
		rx[j].kind = demux_classify(rx[j].buf, rx[j].len);
		rx[j].rc = 0;
		rx[j].pkt_off = rx[j].pkt_len = 0;
	}
	/* control and handshakes before bulk data: a busy tunnel does not
	 * starve probes (DESIGN.md §5) */
	for (int urgent = 1; urgent >= 0; urgent--) {
		for (uint32_t j = 0; j < count; j++) {
			if (demux_is_urgent(rx[j].kind) != (bool)urgent)
				continue;
			rx[j].rc = dispatch(n, &rx[j], NULL, now);
			tun += rx[j].rc == 1;
		}
	}
	return tun;
}

static int recv_one(struct node *n, const struct mn_addr *from, const struct mn_addr *relay,
		    uint8_t *buf, size_t len, struct mn_time now, size_t *pkt_off,
		    size_t *pkt_len)
{
	struct node_rx rx;

	memset(&rx, 0, sizeof(rx));
	rx.from = *from;
	rx.local.sa.sa_family = AF_UNSPEC;
	rx.buf = buf;
	rx.len = len;
	rx.kind = demux_classify(buf, len);
	if (relay && !demux_is_wg(rx.kind)) {
		node_bump(n, NODE_STAT_RX_OTHER);
		return MN_EPROTO;
	}
	rx.rc = dispatch(n, &rx, relay, now);
	*pkt_off = rx.pkt_off;
	*pkt_len = rx.pkt_len;
	return rx.rc;
}

int node_recv(struct node *n, const struct mn_addr *from, uint8_t *buf, size_t len,
	      struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
	return recv_one(n, from, NULL, buf, len, now, pkt_off, pkt_len);
}

int node_recv_relayed(struct node *n, const struct mn_addr *relay, uint8_t *buf, size_t len,
		      struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
	return recv_one(n, relay, relay, buf, len, now, pkt_off, pkt_len);
}

void node_replay_stash(struct node *n)
{
	for (uint32_t k = 0; k < NODE_STASH; k++) {
		struct node_stashed *st = &n->stash[k];
		struct node_rx rx;

		if (!st->at || n->now.mono - st->at > WG_REKEY_TIMEOUT)
			continue;
		st->at = 0; /* once: a replay that fails again is not kept again */
		memset(&rx, 0, sizeof(rx));
		rx.from = st->from;
		rx.local = st->local;
		rx.buf = st->buf;
		rx.len = WG_INITIATION_LEN;
		rx.kind = DEMUX_WG_INITIATION;
		/* not through wg_in: a failure must not stash it again */
		struct wg_rx_meta meta = { 0 };
		int rc = wg_dev_udp_in_ex(n->wg, &rx.from, rx.buf, rx.len, n->now, &rx.pkt_off,
					  &rx.pkt_len, &meta);
		if (meta.peer)
			peer_on_auth(n, meta.peer, &rx.from,
				     mn_addr_is_set(&rx.local) ? &rx.local : NULL, NULL, n->now);
		if (rc >= 0)
			node_bump(n, NODE_STAT_REPLAYED);
	}
}

/* ---- the transmit side ---- */

int node_tun_in(struct node *n, struct node_txb *b, size_t len, struct mn_time now)
{
	uint8_t *slot = node_txb_slot(b);
	struct mn_addr dst;
	size_t out_len;
	int rc;

	if (!slot)
		rc = MN_EFULL;
	else if (len > n->mtu)
		rc = MN_EMSGSIZE;
	else
		rc = wg_dev_tun_in(n->wg, slot, NODE_SLOT_CAP, len, now, &dst, &out_len);
	if (rc == 1)
		txb_commit(b, &dst, out_len);
	else if (rc == 0)
		peer_on_staged(n, slot + WG_HEADROOM, len, now);
	else if (rc < 0)
		node_bump(n, NODE_STAT_TUN_IN_DROPPED);
	return rc;
}

uint32_t node_poll_tx(struct node *n, struct node_txb *b)
{
	const struct swim_rec *to;
	struct mn_addr dst;
	uint32_t added = 0;
	uint8_t *slot;
	size_t len;
	int rc;

	/* Unsealed replies first (a joiner waits on them), then gossip.
	 * swim names the member each datagram is for: the seam
	 * where gossip to a member without a direct path will go through its
	 * relay (DESIGN.md §5); today every datagram goes to swim's address. */
	while (n->unsealed_n && (slot = node_txb_slot(b))) {
		const struct node_unsealed *u = &n->unsealed_q[n->unsealed_head];

		memcpy(slot, u->buf, u->len);
		txb_commit(b, &u->dst, u->len);
		n->unsealed_head = (n->unsealed_head + 1) % NODE_UNSEALED_QUEUE;
		n->unsealed_n--;
		added++;
	}
	while ((slot = node_txb_slot(b)) &&
	       (rc = swim_poll_tx_to(n->swim, slot, NODE_SLOT_CAP, &len, &dst, &to)) != 0) {
		if (rc != 1)
			continue;
		txb_commit(b, &dst, len);
		node_bump(n, NODE_STAT_TX_CONTROL);
		added++;
	}
	while ((slot = node_txb_slot(b)) &&
	       (rc = wg_dev_poll_tx(n->wg, slot, NODE_SLOT_CAP, &len, &dst)) != 0) {
		if (rc != 1)
			continue;
		txb_commit(b, &dst, len);
		node_bump(n, NODE_STAT_TX_WG);
		added++;
	}
	return added;
}

int node_send_unsealed(struct node *n, const struct mn_addr *dst, const uint8_t *buf,
		       size_t len)
{
	struct node_unsealed *u;

	if (len > NODE_UNSEALED_MAX || n->unsealed_n == NODE_UNSEALED_QUEUE) {
		node_bump(n, NODE_STAT_TX_UNSEALED_DROPPED);
		return len > NODE_UNSEALED_MAX ? MN_EMSGSIZE : MN_EFULL;
	}
	u = &n->unsealed_q[(n->unsealed_head + n->unsealed_n) % NODE_UNSEALED_QUEUE];
	u->dst = *dst;
	u->len = (uint16_t)len;
	memcpy(u->buf, buf, len);
	n->unsealed_n++;
	node_bump(n, NODE_STAT_TX_UNSEALED);
	return MN_OK;
}

/* ---- timers ---- */

mn_ns node_next_deadline(const struct node *n)
{
	return mn_min_deadline(swim_next_deadline(n->swim), wg_dev_next_deadline(n->wg));
}

static bool due(mn_ns deadline, mn_ns now)
{
	return deadline != MN_NEVER && mn_time_after_eq(now, deadline);
}

void node_on_timer(struct node *n, struct mn_time now)
{
	n->now = now;
	if (due(swim_next_deadline(n->swim), now.mono))
		swim_on_timer(n->swim, now);
	if (due(wg_dev_next_deadline(n->wg), now.mono))
		wg_dev_on_timer(n->wg, now);
}

void node_local_addrs_changed(struct node *n, const struct mn_addr *addrs, uint32_t naddrs,
			      struct mn_time now)
{
	struct wg_peer *wp = NULL;

	n->now = now;
	node_bump(n, NODE_STAT_LOCAL_MOVES);
	while ((wp = wg_dev_peer_next(n->wg, wp)))
		if (wg_peer_user(wp) && wg_peer_keepalive_now(wp, now))
			node_bump(n, NODE_STAT_MOVE_KEEPALIVES);
	if (naddrs)
		swim_set_local_addrs(n->swim, addrs, naddrs, true, now);
	swim_local_addr_changed(n->swim, now);
}

/* ---- the node's own sealed messages, queries ---- */

int node_send_control(struct node *n, const uint8_t pk[REC_PK_LEN], uint8_t type,
		      const uint8_t *pt, size_t len)
{
	return swim_send_control(n->swim, pk, type, pt, len, NULL);
}

int node_peer(const struct node *n, const uint8_t pk[REC_PK_LEN], struct node_peer_info *out)
{
	const struct node_peer *np = peer_find(n, pk);

	memset(out, 0, sizeof(*out));
	if (!np)
		return MN_ENOENT;
	memcpy(out->wg_pk, np->wg_pk, WG_KEY_LEN);
	out->path = np->path;
	path_choose(&np->path, &out->choice);
	out->nprefixes = np->nprefixes;
	memcpy(out->prefixes, np->prefixes, np->nprefixes * sizeof(np->prefixes[0]));
	return MN_OK;
}

uint32_t node_peer_count(const struct node *n)
{
	return n->npeers;
}

uint64_t node_stat(const struct node *n, enum node_stat st)
{
	return (unsigned)st < NODE_STAT__COUNT ? n->stats[st] : 0;
}

uint32_t node_mtu(const struct node *n)
{
	return n->mtu;
}
