/* wg_index.c - the receiver-index table: a fixed array of hash buckets. */
#include "wg_index.h"

#include <stddef.h>

#include "wg_internal.h"

static unsigned index_bucket(uint32_t id)
{
	/* ids are drawn at random, but mix anyway so a peer cannot pick buckets */
	return (id * UINT32_C(2654435761)) >> (32 - 14);
}
_Static_assert(WG_INDEX_BUCKETS == 1u << 14, "index_bucket shift");

struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id)
{
	for (struct wg_index *e = dev->index_buckets[index_bucket(id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

void wg_index_add_id(struct wg_dev *dev, struct wg_index *e)
{
	unsigned b = index_bucket(e->id);
	e->next = dev->index_buckets[b];
	dev->index_buckets[b] = e;
	e->linked = true;
}

void wg_index_add(struct wg_dev *dev, struct wg_index *e)
{
	do
		e->id = mn_rng_u32(&dev->rng);
	while (wg_index_find(dev, e->id));
	wg_index_add_id(dev, e);
}

void wg_index_del(struct wg_dev *dev, struct wg_index *e)
{
	if (!e->linked)
		return;
	for (struct wg_index **pp = &dev->index_buckets[index_bucket(e->id)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->linked = false;
	e->next = NULL;
}
