/* annpool.c - interned announcements: a chained hash table that doubles
 * at one blob per bucket. Chains are walked only to find equal bytes, never
 * iterated for output, so a run replays whatever the allocator does. */
#include "annpool.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

static const uint8_t hash_key[crypto_shorthash_KEYBYTES] = "mn/v1/ann-hash";

struct annpool {
	struct annblob **bucket;
	uint32_t mask;  /* buckets - 1 */
	uint32_t count;
	uint64_t bytes;
};

static uint64_t hash_bytes(const uint8_t *b, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, b, len, hash_key);
	return mn_get_be64(h);
}

int annpool_new(struct annpool **out)
{
	struct annpool *p = calloc(1, sizeof(*p));

	if (!p || !(p->bucket = calloc(64, sizeof(*p->bucket)))) {
		free(p);
		return MN_ENOMEM;
	}
	p->mask = 63;
	*out = p;
	return MN_OK;
}

void annpool_del(struct annpool *p)
{
	if (!p)
		return;
	for (uint32_t j = 0; j <= p->mask; j++) {
		struct annblob *a = p->bucket[j], *next;
		for (; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(p->bucket);
	free(p);
}

static void grow(struct annpool *p)
{
	uint32_t n = (p->mask + 1) * 2;
	struct annblob **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return; /* longer chains, still correct */
	for (uint32_t j = 0; j <= p->mask; j++) {
		struct annblob *a = p->bucket[j], *next;
		for (; a; a = next) {
			next = a->next;
			a->next = nb[a->hash & (n - 1)];
			nb[a->hash & (n - 1)] = a;
		}
	}
	free(p->bucket);
	p->bucket = nb;
	p->mask = n - 1;
}

static struct annblob *find(struct annpool *p, const uint8_t *b, size_t len, uint64_t h)
{
	struct annblob *a;

	for (a = p->bucket[h & p->mask]; a; a = a->next)
		if (a->hash == h && a->len == len && memcmp(a->b, b, len) == 0) {
			a->ref++;
			return a;
		}
	return NULL;
}

const struct annblob *annpool_find(struct annpool *p, const uint8_t *b, size_t len)
{
	if (len == 0 || len > UINT8_MAX)
		return NULL;
	return find(p, b, len, hash_bytes(b, len));
}

const struct annblob *annpool_get(struct annpool *p, const uint8_t *b, size_t len)
{
	uint64_t h;
	struct annblob *a;

	if (len == 0 || len > UINT8_MAX)
		return NULL;
	h = hash_bytes(b, len);
	if ((a = find(p, b, len, h)))
		return a;
	if (!(a = malloc(sizeof(*a) + len)))
		return NULL;
	a->hash = h;
	a->ref = 1;
	a->len = (uint8_t)len;
	memcpy(a->b, b, len);
	a->next = p->bucket[h & p->mask];
	p->bucket[h & p->mask] = a;
	p->count++;
	p->bytes += sizeof(*a) + len;
	if (p->count > p->mask + 1)
		grow(p);
	return a;
}

void annpool_put(struct annpool *p, const struct annblob *a)
{
	struct annblob **pp;

	if (!a || --((struct annblob *)a)->ref > 0)
		return;
	for (pp = &p->bucket[a->hash & p->mask]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			p->count--;
			p->bytes -= sizeof(*a) + a->len;
			free((void *)a);
			return;
		}
}

uint32_t annpool_count(const struct annpool *p)
{
	return p->count;
}

uint64_t annpool_bytes(const struct annpool *p)
{
	return p->bytes;
}
