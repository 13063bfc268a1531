/* rtab.c - shared record table (see rtab.h). */
#include "rtab.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "oatab.h"

#define RTAB_MAX (UINT32_C(1) << 24)
#define EMPTY UINT32_MAX
/* swim_rec.store_ref: the pin bit, and references from swim (unpinned only) */
#define PINNED UINT32_C(0x80000000)
#define REFS (PINNED - 1)

/* Fixed: the table's order must not depend on anything but the bytes. */
static const uint8_t hash_key[crypto_shorthash_KEYBYTES] = "mn/v1/rtab-hash";

struct rtab {
	struct swim_rec **recs; /* by index; NULL: a free index */
	uint64_t *hashes;       /* parallel to recs; a free index: the next free one */
	uint32_t n, top, cap, max; /* held, indices ever used, allocated, limit */
	uint32_t free_head;     /* freed indices, reused first (EMPTY: none) */
	struct oatab index;     /* recs indices by hash */
	uint64_t bytes;
};

static uint64_t hash_bytes(const uint8_t *b, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, b, len, hash_key);
	return mn_get_le64(h);
}

int rtab_new(struct rtab **out, uint32_t max_records)
{
	struct rtab *t;

	*out = NULL;
	if (max_records == 0 || max_records > RTAB_MAX)
		return MN_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return MN_ENOMEM;
	t->max = max_records;
	t->free_head = EMPTY;
	if (oatab_init(&t->index, 16) != MN_OK) {
		free(t);
		return MN_ENOMEM;
	}
	*out = t;
	return MN_OK;
}

void rtab_del(struct rtab *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->top; i++)
		free(t->recs[i]);
	free(t->recs);
	free(t->hashes);
	oatab_free(&t->index);
	free(t);
}

static uint32_t lookup(const struct rtab *t, const uint8_t *b, size_t len, uint64_t h)
{
	const struct oatab *x = &t->index;

	for (uint32_t pos = oatab_home(x, h); x->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(x, pos)) {
		uint32_t i = x->slot[pos];
		if (t->hashes[i] == h && t->recs[i]->len == len &&
		    memcmp(t->recs[i]->bytes, b, len) == 0)
			return i;
	}
	return EMPTY;
}

static uint64_t index_key(const void *ctx, uint32_t i)
{
	const struct rtab *t = ctx;

	return t->hashes[i];
}

static void index_del(struct rtab *t, uint32_t i)
{
	uint32_t pos = oatab_home(&t->index, t->hashes[i]);

	while (t->index.slot[pos] != i)
		pos = oatab_next(&t->index, pos);
	oatab_del_at(&t->index, pos, index_key, t);
}

/* Room for one more record: arrays and a slot table kept at most half full. */
static int grow(struct rtab *t)
{
	if (t->free_head == EMPTY && t->top == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct swim_rec **recs = realloc(t->recs, cap * sizeof(*recs));
		if (!recs)
			return MN_ENOMEM;
		t->recs = recs;
		uint64_t *hashes = realloc(t->hashes, cap * sizeof(*hashes));
		if (!hashes)
			return MN_ENOMEM;
		t->hashes = hashes;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > oatab_slots(&t->index)) {
		struct oatab index;
		if (oatab_init(&index, oatab_slots(&t->index) * 2) != MN_OK)
			return MN_ENOMEM;
		for (uint32_t i = 0; i < t->top; i++)
			if (t->recs[i])
				oatab_put(&index, t->hashes[i], i);
		oatab_free(&t->index);
		t->index = index;
	}
	return MN_OK;
}

static struct swim_rec *insert(struct rtab *t, const uint8_t *b, size_t len, uint64_t h,
			       const struct rec_member *m)
{
	struct swim_rec *r;
	uint32_t i;

	if (t->n >= t->max || len > UINT16_MAX || grow(t) != MN_OK)
		return NULL;
	r = swim_rec_new(b, len, m);
	if (!r)
		return NULL;
	if (t->free_head != EMPTY) {
		i = t->free_head;
		t->free_head = (uint32_t)t->hashes[i];
	} else {
		i = t->top++;
	}
	t->recs[i] = r;
	t->hashes[i] = h;
	oatab_put(&t->index, h, i);
	t->n++;
	t->bytes += len;
	return r;
}

/* A reference for swim (pinned records are not counted). */
static const struct swim_rec *ref(struct swim_rec *r)
{
	if (r && !(r->store_ref & PINNED))
		r->store_ref++;
	return r;
}

static const struct swim_rec *st_find(void *ctx, const uint8_t *b, size_t len)
{
	struct rtab *t = ctx;
	uint32_t i = lookup(t, b, len, hash_bytes(b, len));

	return i == EMPTY ? NULL : ref(t->recs[i]);
}

static const struct swim_rec *st_add(void *ctx, const uint8_t *b, size_t len,
				     const struct rec_member *m)
{
	struct rtab *t = ctx;
	uint64_t h = hash_bytes(b, len);
	uint32_t i = lookup(t, b, len, h);

	if (i != EMPTY)
		return ref(t->recs[i]);
	return ref(insert(t, b, len, h, m));
}

/* The last reference to an unpinned record frees it and its place. */
static void st_release(void *ctx, const struct swim_rec *cr)
{
	struct rtab *t = ctx;
	uint32_t i;

	if (!cr || (cr->store_ref & PINNED) || (cr->store_ref & REFS) == 0)
		return;
	struct swim_rec *r = (struct swim_rec *)cr;
	if (--r->store_ref != 0)
		return;
	i = lookup(t, r->bytes, r->len, hash_bytes(r->bytes, r->len));
	if (i == EMPTY || t->recs[i] != r)
		return;
	index_del(t, i);
	t->recs[i] = NULL;
	t->hashes[i] = t->free_head;
	t->free_head = i;
	t->n--;
	t->bytes -= r->len;
	free(r);
}

void rtab_store(struct rtab *t, struct swim_store *out)
{
	memset(out, 0, sizeof(*out));
	out->find = st_find;
	out->add = st_add;
	out->release = st_release;
	out->ctx = t;
}

int rtab_add_verified(struct rtab *t, const struct rec_network *net, const uint8_t *bytes,
		      size_t len, uint64_t user, const struct rec_revoked *rv,
		      struct rec_memo *memo, const struct swim_rec **out)
{
	struct rec_member m;
	struct swim_rec *r;
	uint64_t h = hash_bytes(bytes, len);
	uint32_t i = lookup(t, bytes, len, h);
	int err;

	if (out)
		*out = NULL;
	if (i != EMPTY) {
		r = t->recs[i];
	} else {
		err = rec_member_decode(&m, bytes, len);
		if (err)
			return err;
		err = rec_member_verify(net, &m, rv, memo);
		if (err)
			return err;
		if (t->n >= t->max)
			return MN_EFULL;
		r = insert(t, bytes, len, h, &m);
		if (!r)
			return MN_ENOMEM;
	}
	r->store_ref |= PINNED;
	if (r->user == 0)
		r->user = user;
	if (out)
		*out = r;
	return MN_OK;
}

uint32_t rtab_count(const struct rtab *t)
{
	return t->n;
}

uint64_t rtab_bytes(const struct rtab *t)
{
	return t->bytes;
}
