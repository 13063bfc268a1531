/* driver_node.c - the node core behind the driver (driver_node.h). */
#include "driver_node.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

int driver_node_init(struct driver_node *c, struct node *node)
{
	memset(c, 0, sizeof(*c));
	c->node = node;
	c->tun_b = malloc(sizeof(*c->tun_b));
	c->out_b = malloc(sizeof(*c->out_b));
	if (!c->tun_b || !c->out_b) {
		driver_node_free(c);
		return MN_ENOMEM;
	}
	node_txb_reset(c->tun_b);
	node_txb_reset(c->out_b);
	return MN_OK;
}

void driver_node_free(struct driver_node *c)
{
	free(c->tun_b);
	free(c->out_b);
	c->tun_b = c->out_b = NULL;
}

static mn_ns core_next_deadline(void *ctx)
{
	struct driver_node *c = ctx;

	return node_next_deadline(c->node);
}

static void core_on_timer(void *ctx, struct mn_time now)
{
	struct driver_node *c = ctx;

	node_on_timer(c->node, now);
}

static int core_poll_tx(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct driver_node *c = ctx;
	const struct node_tx *tx;

	if (c->out_next == c->out_b->n) {
		node_txb_reset(c->out_b);
		c->out_next = 0;
		if (node_poll_tx(c->node, c->out_b) == 0)
			return 0;
	}
	tx = &c->out_b->tx[c->out_next++];
	if (tx->len > cap)
		return MN_EMSGSIZE;
	memcpy(buf, tx->buf, tx->len);
	*len = tx->len;
	*dst = tx->dst;
	return 1;
}

static int core_udp_in(void *ctx, const struct mn_addr *src, uint8_t *buf, size_t len,
		       struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
	struct driver_node *c = ctx;

	return node_recv(c->node, src, buf, len, now, pkt_off, pkt_len);
}

static void core_udp_in_batch(void *ctx, struct driver_rx *rx, unsigned n, struct mn_time now)
{
	struct driver_node *c = ctx;

	for (unsigned i = 0; i < n; i++) {
		memset(&c->rx[i], 0, sizeof(c->rx[i])); /* local: AF_UNSPEC, unknown */
		c->rx[i].from = *rx[i].src;
		c->rx[i].buf = rx[i].buf;
		c->rx[i].len = rx[i].len;
	}
	node_recv_batch(c->node, c->rx, n, now);
	for (unsigned i = 0; i < n; i++) {
		rx[i].rc = c->rx[i].rc;
		rx[i].pkt_off = c->rx[i].pkt_off;
		rx[i].pkt_len = c->rx[i].pkt_len;
	}
}

static int core_tun_in(void *ctx, uint8_t *buf, size_t cap, size_t len, struct mn_time now,
		       struct mn_addr *dst, size_t *out_len)
{
	struct driver_node *c = ctx;
	uint8_t *slot;
	const struct node_tx *tx;
	int rc;

	node_txb_reset(c->tun_b);
	slot = node_txb_slot(c->tun_b);
	if (len > NODE_SLOT_CAP - WG_HEADROOM - WG_TAILROOM)
		return MN_EMSGSIZE;
	memcpy(slot + WG_HEADROOM, buf + WG_HEADROOM, len);
	rc = node_tun_in(c->node, c->tun_b, len, now);
	if (rc != 1)
		return rc;
	tx = &c->tun_b->tx[c->tun_b->n - 1];
	if (tx->len > cap)
		return MN_EMSGSIZE;
	memcpy(buf, tx->buf, tx->len);
	*dst = tx->dst;
	*out_len = tx->len;
	return 1;
}

const struct driver_core driver_node_calls = {
	.next_deadline = core_next_deadline,
	.on_timer = core_on_timer,
	.poll_tx = core_poll_tx,
	.udp_in = core_udp_in,
	.tun_in = core_tun_in,
	.udp_in_batch = core_udp_in_batch,
};
