/* driver_node.h - the node core (node/node.h) as the driver's core
 * (driver.h, struct driver_core): the driver's buffers in, the node's
 * transmit batch underneath.
 *
 * The driver hands one packet or datagram at a time in its own buffers;
 * the node fills transmit batches (struct node_txb). tun_in copies the
 * packet into a batch slot, lets node_tun_in encrypt it there and copies
 * the datagram back; poll_tx hands out what node_poll_tx put in a batch,
 * one datagram per call. One copy each way on the TUN side; the
 * datagram side works in place, a receive batch at a time
 * (node_recv_batch: control and handshakes before data). (Next: the
 * driver filling a node_txb itself, without the copies.) */
#ifndef DAEMON_DRIVER_NODE_H
#define DAEMON_DRIVER_NODE_H

#include "driver.h"
#include "node.h"

struct driver_node {
	struct node *node;   /* borrowed */
	struct node_txb *tun_b;   /* node_tun_in's batch (one packet at a time) */
	struct node_txb *out_b;   /* node_poll_tx's batch, handed out in order */
	uint32_t out_next;        /* the next of out_b->tx to hand out */
	struct node_rx rx[DRIVER_BATCH]; /* udp_in_batch's, for node_recv_batch */
};

/* MN_ENOMEM; else c is ready and *core its calls (ctx: c). */
int driver_node_init(struct driver_node *c, struct node *node);
void driver_node_free(struct driver_node *c);
extern const struct driver_core driver_node_calls;

#endif
