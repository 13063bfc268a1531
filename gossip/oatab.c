/* oatab.c - open-addressing index (see oatab.h). */
#include "oatab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

int oatab_init(struct oatab *t, uint32_t nslots)
{
	t->slot = malloc((size_t)nslots * sizeof(*t->slot));
	if (!t->slot)
		return MN_ENOMEM;
	t->mask = nslots - 1;
	oatab_clear(t);
	return MN_OK;
}

void oatab_free(struct oatab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->mask = 0;
}

void oatab_clear(struct oatab *t)
{
	memset(t->slot, 0xff, (size_t)oatab_slots(t) * sizeof(*t->slot));
}

void oatab_put(struct oatab *t, uint64_t key, uint32_t v)
{
	uint32_t pos = oatab_home(t, key);

	while (t->slot[pos] != OATAB_EMPTY)
		pos = oatab_next(t, pos);
	t->slot[pos] = v;
}

void oatab_del_at(struct oatab *t, uint32_t pos, uint64_t (*key_of)(const void *ctx, uint32_t v),
		  const void *ctx)
{
	for (uint32_t hole = pos, next = oatab_next(t, pos);; next = oatab_next(t, next)) {
		uint32_t v = t->slot[next];
		if (v == OATAB_EMPTY) {
			t->slot[hole] = OATAB_EMPTY;
			return;
		}
		uint32_t home = oatab_home(t, key_of(ctx, v));
		/* move v into the hole unless its home lies cyclically in (hole, next] */
		bool stays = hole <= next ? (home > hole && home <= next)
					  : (home > hole || home <= next);
		if (!stays) {
			t->slot[hole] = v;
			hole = next;
		}
	}
}
