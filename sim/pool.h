/* pool.h - storage for datagrams in flight.
 *
 * The network holds every datagram between send and delivery. Slots come in
 * a few size classes carved from chunks that are never returned until the
 * pool is freed, so the data path allocates only when the number in flight
 * reaches a new high. A packet is named by a 32-bit handle (class in the top
 * bits, slot below), never by a pointer, so event entries stay plain values.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_time.h"

#define POOL_NIL UINT32_MAX

enum pool_limits {
	POOL_CLASSES = 5,
	POOL_CHUNK_SHIFT = 12, /* 4096 slots per chunk */
	POOL_CLASS_SHIFT = 29, /* handle = class << 29 | slot */
	POOL_MAX_CHUNKS = 1 << (POOL_CLASS_SHIFT - POOL_CHUNK_SHIFT),
};

struct pool_pkt {
	uint32_t next;        /* free list or a node's deferred queue */
	uint32_t src_host;    /* the host that sent it */
	uint32_t dup;         /* 1 for the network's duplicate copy */
	uint32_t len;
	mn_ns sent;           /* virtual send time */
	struct mn_addr src;   /* source as the receiver sees it */
	struct mn_addr dst;   /* destination as addressed on the wire */
	uint8_t data[];       /* len bytes */
};

struct pool_class {
	uint8_t **chunks;
	uint32_t nchunks;
	uint32_t used;        /* slots ever carved */
	uint32_t free;        /* free list head, POOL_NIL when empty */
	size_t stride;        /* bytes per slot */
	size_t cap;           /* payload bytes per slot */
};

struct pool {
	struct pool_class cls[POOL_CLASSES];
	size_t inuse, max, peak;
};

/* max bounds the packets in flight at once. */
void pool_init(struct pool *p, size_t max);
void pool_free(struct pool *p);

/* A slot for a datagram of len bytes: MN_EMSGSIZE past the largest class,
 * MN_EFULL at the cap, MN_ENOMEM. The header is zeroed except len. */
int pool_alloc(struct pool *p, size_t len, uint32_t *h);
struct pool_pkt *pool_get(const struct pool *p, uint32_t h);
void pool_put(struct pool *p, uint32_t h);

#endif
