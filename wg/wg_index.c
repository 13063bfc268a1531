/* wg_index.c - the receiver-index table: chained hash buckets, doubled
 * when the entries outnumber them (load factor at most 1). */
#include "wg_index.h"

#include <stdlib.h>

#include "mn_err.h"
#include "wg_internal.h"

static size_t index_bucket(uint32_t id, unsigned bits)
{
	/* ids are drawn at random, but mix anyway: the top bits of a
	 * multiplicative (Fibonacci) hash */
	return (uint32_t)(id * UINT32_C(2654435761)) >> (32 - bits);
}

int wg_index_table_init(struct wg_index_table *t)
{
	t->bits = WG_INDEX_MIN_BITS;
	t->count = 0;
	t->buckets = calloc((size_t)1 << t->bits, sizeof(*t->buckets));
	return t->buckets ? MN_OK : MN_ENOMEM;
}

void wg_index_table_free(struct wg_index_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

/* Double the buckets and rehash; on allocation failure keep the old ones. */
static void grow(struct wg_index_table *t)
{
	unsigned bits = t->bits + 1;
	struct wg_index **nb = calloc((size_t)1 << bits, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i < (size_t)1 << t->bits; i++) {
		struct wg_index *e = t->buckets[i], *next;
		for (; e; e = next) {
			size_t b = index_bucket(e->id, bits);
			next = e->next;
			e->next = nb[b];
			nb[b] = e;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->bits = bits;
}

struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id)
{
	const struct wg_index_table *t = &dev->index;

	for (struct wg_index *e = t->buckets[index_bucket(id, t->bits)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

void wg_index_add_id(struct wg_dev *dev, struct wg_index *e)
{
	struct wg_index_table *t = &dev->index;
	size_t b;

	if (t->count >= (size_t)1 << t->bits && t->bits < WG_INDEX_MAX_BITS)
		grow(t);
	b = index_bucket(e->id, t->bits);
	e->next = t->buckets[b];
	t->buckets[b] = e;
	e->linked = true;
	t->count++;
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
	struct wg_index_table *t = &dev->index;

	if (!e->linked)
		return;
	for (struct wg_index **pp = &t->buckets[index_bucket(e->id, t->bits)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->count--;
			break;
		}
	}
	e->linked = false;
	e->next = NULL;
}
