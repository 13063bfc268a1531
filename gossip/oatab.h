/* oatab.h - an index of uint32_t values by 64-bit key: open addressing with
 * linear probing from the key's low bits, and backward-shift deletion (no
 * tombstones). Shared by swim's member and tombstone indices and rtab.
 *
 * The values are indices into the caller's own array, which holds the keys;
 * OATAB_EMPTY is never a value. The caller keeps the table at most half full
 * (growing means building a larger table with oatab_put and swapping it in),
 * and finds a value by walking the key's chain:
 *
 *   for (uint32_t pos = oatab_home(t, key); t->slot[pos] != OATAB_EMPTY;
 *        pos = oatab_next(t, pos))
 *
 * The probe order depends only on the order of puts and deletions, never on
 * addresses, so a run replays (the simulator's trace hashes rely on it).
 */
#ifndef GOSSIP_OATAB_H
#define GOSSIP_OATAB_H

#include <stdint.h>

#define OATAB_EMPTY UINT32_MAX

struct oatab {
	uint32_t *slot;
	uint32_t mask;  /* slots - 1 */
};

/* nslots: a power of two. Every slot empty. MN_ENOMEM. */
int oatab_init(struct oatab *t, uint32_t nslots);
void oatab_free(struct oatab *t);
/* Empty every slot, keeping the size. */
void oatab_clear(struct oatab *t);

static inline uint32_t oatab_slots(const struct oatab *t)
{
	return t->mask + 1;
}

static inline uint32_t oatab_home(const struct oatab *t, uint64_t key)
{
	return (uint32_t)key & t->mask;
}

static inline uint32_t oatab_next(const struct oatab *t, uint32_t pos)
{
	return (pos + 1) & t->mask;
}

/* Insert v under key, at the first empty slot of key's chain (the table
 * must have room). */
void oatab_put(struct oatab *t, uint64_t key, uint32_t v);

/* Remove the value at pos (found by walking its chain), moving the values
 * after it back so every chain stays unbroken; key_of gives a value's key. */
void oatab_del_at(struct oatab *t, uint32_t pos, uint64_t (*key_of)(const void *ctx, uint32_t v),
		  const void *ctx);

#endif
