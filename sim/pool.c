/* pool.c - size-classed slabs for datagrams in flight. */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "simcore.h"

/* Payload capacity per class: small control messages, probes with
 * piggybacked gossip, anti-entropy chunks, full-size datagrams. */
static const size_t class_cap[POOL_CLASSES] = { 64, 256, 512, 1024, SIM_MAX_DGRAM };

#define CHUNK_SLOTS ((uint32_t)1 << POOL_CHUNK_SHIFT)
#define SLOT_MASK (((uint32_t)1 << POOL_CLASS_SHIFT) - 1)

void pool_init(struct pool *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	for (int i = 0; i < POOL_CLASSES; i++) {
		struct pool_class *c = &p->cls[i];
		c->free = POOL_NIL;
		c->cap = class_cap[i];
		/* keep every header 8-byte aligned */
		c->stride = (sizeof(struct pool_pkt) + c->cap + 7) & ~(size_t)7;
	}
}

void pool_free(struct pool *p)
{
	for (int i = 0; i < POOL_CLASSES; i++) {
		struct pool_class *c = &p->cls[i];
		for (uint32_t k = 0; k < c->nchunks; k++)
			free(c->chunks[k]);
		free(c->chunks);
		c->chunks = NULL;
		c->nchunks = c->used = 0;
		c->free = POOL_NIL;
	}
	p->inuse = 0;
}

static struct pool_pkt *slot(const struct pool_class *c, uint32_t i)
{
	return (struct pool_pkt *)(c->chunks[i >> POOL_CHUNK_SHIFT] +
				   (size_t)(i & (CHUNK_SLOTS - 1)) * c->stride);
}

static int carve(struct pool_class *c, uint32_t *i)
{
	if ((c->used & (CHUNK_SLOTS - 1)) == 0) {
		if (c->nchunks == POOL_MAX_CHUNKS)
			return MN_EFULL;
		uint8_t **chunks = realloc(c->chunks, (c->nchunks + 1) * sizeof(*chunks));
		if (!chunks)
			return MN_ENOMEM;
		c->chunks = chunks;
		chunks[c->nchunks] = malloc(CHUNK_SLOTS * c->stride);
		if (!chunks[c->nchunks])
			return MN_ENOMEM;
		c->nchunks++;
	}
	*i = c->used++;
	return MN_OK;
}

int pool_alloc(struct pool *p, size_t len, uint32_t *h)
{
	int k = 0;
	while (k < POOL_CLASSES && class_cap[k] < len)
		k++;
	if (k == POOL_CLASSES)
		return MN_EMSGSIZE;
	if (p->inuse == p->max)
		return MN_EFULL;

	struct pool_class *c = &p->cls[k];
	uint32_t i;
	if (c->free != POOL_NIL) {
		i = c->free;
		c->free = slot(c, i)->next;
	} else {
		int err = carve(c, &i);
		if (err)
			return err;
	}
	struct pool_pkt *pkt = slot(c, i);
	memset(pkt, 0, sizeof(*pkt));
	pkt->len = (uint32_t)len;
	pkt->next = POOL_NIL;
	*h = (uint32_t)k << POOL_CLASS_SHIFT | i;
	if (++p->inuse > p->peak)
		p->peak = p->inuse;
	return MN_OK;
}

struct pool_pkt *pool_get(const struct pool *p, uint32_t h)
{
	return slot(&p->cls[h >> POOL_CLASS_SHIFT], h & SLOT_MASK);
}

void pool_put(struct pool *p, uint32_t h)
{
	struct pool_class *c = &p->cls[h >> POOL_CLASS_SHIFT];
	uint32_t i = h & SLOT_MASK;
	slot(c, i)->next = c->free;
	c->free = i;
	p->inuse--;
}
