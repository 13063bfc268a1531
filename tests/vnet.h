/* vnet.h - an in-test network on a virtual clock, shared by the tests that
 * wire a few cores together (tests/gossip/test_swim_api.c,
 * tests/node/test_node.c): datagrams delivered in order after a fixed
 * latency, nodes woken at their deadlines, underlay addresses from
 * 198.18.0.0/15. The test supplies the nodes through three callbacks.
 * static inline so each test file takes what it uses. */
#ifndef TESTS_VNET_H
#define TESTS_VNET_H

#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mn_addr.h"
#include "mn_time.h"

#define VNET_MTU 1500

struct vnet_pkt {
	mn_ns at;
	struct mn_addr src, dst;
	uint16_t len;
	uint8_t buf[VNET_MTU];
};

struct vnet {
	struct vnet_pkt *q;          /* a ring of cap */
	uint32_t head, n, cap;
	mn_ns now;                   /* the network's time */
	mn_ns mono0;                 /* the nodes' mono clock at the network's time 0 */
	mn_ns latency;
	uint32_t nodes;
	mn_ns (*deadline)(void *ctx, uint32_t i); /* node i's, on its mono clock */
	void (*timer)(void *ctx, uint32_t i);     /* fire node i's timers, send */
	void (*deliver)(void *ctx, struct vnet_pkt *p); /* may modify it */
	void *ctx;
};

/* A network of `nodes` (the callbacks' i), a queue of cap datagrams. */
static inline void vnet_init(struct vnet *v, uint32_t cap, mn_ns mono0, mn_ns latency,
			     uint32_t nodes, const struct vnet *callbacks)
{
	memset(v, 0, sizeof(*v));
	v->q = calloc(cap, sizeof(*v->q));
	ck_assert_ptr_nonnull(v->q);
	v->cap = cap;
	v->mono0 = mono0;
	v->latency = latency;
	v->nodes = nodes;
	v->deadline = callbacks->deadline;
	v->timer = callbacks->timer;
	v->deliver = callbacks->deliver;
	v->ctx = callbacks->ctx;
}

static inline void vnet_free(struct vnet *v)
{
	free(v->q);
	v->q = NULL;
}

/* 198.18.0.h:51820 */
static inline void vnet_host(uint32_t h, struct mn_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons(51820);
	a->in4.sin_addr.s_addr = htonl(0xC6120000u | h);
}

/* The slot for the next datagram sent now from src; vnet_push commits it
 * once its dst, buf and len are filled. */
static inline struct vnet_pkt *vnet_slot(struct vnet *v, const struct mn_addr *src)
{
	struct vnet_pkt *p;

	ck_assert_uint_lt(v->n, v->cap);
	p = &v->q[(v->head + v->n) % v->cap];
	p->at = v->now + v->latency;
	p->src = *src;
	return p;
}

static inline void vnet_push(struct vnet *v)
{
	v->n++;
}

/* Take the datagram at the head; NULL when none. */
static inline struct vnet_pkt *vnet_pop(struct vnet *v)
{
	struct vnet_pkt *p;

	if (!v->n)
		return NULL;
	p = &v->q[v->head];
	v->head = (v->head + 1) % v->cap;
	v->n--;
	return p;
}

/* Run until the network's time `until`: each step the datagram at the
 * head or the earliest node deadline, whichever is due first (the
 * datagram on a tie). */
static inline void vnet_run(struct vnet *v, mn_ns until)
{
	for (;;) {
		mn_ns next = v->n ? v->q[v->head].at : MN_NEVER;
		int32_t who = -1;

		for (uint32_t i = 0; i < v->nodes; i++) {
			mn_ns d = v->deadline(v->ctx, i);
			if (d != MN_NEVER && d - v->mono0 < next) {
				next = d - v->mono0;
				who = (int32_t)i;
			}
		}
		if (next > until)
			break;
		if (next > v->now)
			v->now = next;
		if (who >= 0)
			v->timer(v->ctx, (uint32_t)who);
		else
			v->deliver(v->ctx, vnet_pop(v));
	}
	v->now = until;
}

#endif
