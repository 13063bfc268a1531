/* stats.c - datum spread and failure-detection bookkeeping. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

static const uint32_t level_ppm[STATS_REACH_LEVELS] = { 500000, 990000, 999900, 1000000 };

uint32_t stats_level_ppm(int level)
{
	return level_ppm[level];
}

int stats_init(struct stats *st, uint32_t nodes)
{
	memset(st, 0, sizeof(*st));
	st->nodes = nodes;
	st->datums = calloc(STATS_MAX_DATUMS, sizeof(*st->datums));
	st->down_since = malloc((nodes ? nodes : 1) * sizeof(*st->down_since));
	st->declared = calloc(nodes ? nodes : 1, sizeof(*st->declared));
	st->revoked = calloc(nodes ? nodes : 1, sizeof(*st->revoked));
	st->rogue = calloc(nodes ? nodes : 1, sizeof(*st->rogue));
	if (!st->datums || !st->down_since || !st->declared || !st->revoked || !st->rogue) {
		stats_free(st);
		return MN_ENOMEM;
	}
	/* every slot starts down (not booted) */
	for (uint32_t i = 0; i < nodes; i++)
		st->down_since[i] = 0;
	return MN_OK;
}

void stats_free(struct stats *st)
{
	if (st->datums) {
		for (uint32_t i = 0; i < st->ndatums; i++)
			free(st->datums[i].bits);
	}
	if (st->declared) {
		for (uint32_t i = 0; i < st->nodes; i++)
			free(st->declared[i]);
	}
	free(st->declared);
	free(st->datums);
	free(st->down_since);
	free(st->revoked);
	free(st->rogue);
	st->rogue = NULL;
	st->datums = NULL;
	st->down_since = NULL;
	st->declared = NULL;
	st->revoked = NULL;
}

/* Fibonacci hashing of the key itself. */
static uint32_t slot_of(uint64_t key)
{
	return (uint32_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 51) & (STATS_INDEX_SLOTS - 1);
}

static struct stats_datum *find(struct stats *st, uint64_t key)
{
	for (uint32_t s = slot_of(key), n = 0; n < STATS_INDEX_SLOTS;
	     s = (s + 1) & (STATS_INDEX_SLOTS - 1), n++) {
		uint32_t v = st->index[s];
		if (v == 0)
			return NULL;
		if (st->datums[v - 1].key == key)
			return &st->datums[v - 1];
	}
	return NULL;
}

static size_t bitmap_words(uint32_t nodes)
{
	return (nodes + 63) / 64 + 1;
}

static bool bit(const uint64_t *bits, uint32_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static bool has(const struct stats_datum *d, uint32_t node)
{
	return bit(d->bits, node);
}

/* Record every level the datum has newly reached. */
static void check_levels(struct stats *st, struct stats_datum *d, mn_ns now)
{
	for (int l = 0; l < STATS_REACH_LEVELS; l++) {
		if (d->reach[l] != MN_NEVER)
			continue;
		if ((uint64_t)d->holders * 1000000 >= (uint64_t)st->up * level_ppm[l])
			d->reach[l] = now - d->injected;
	}
}

int stats_datum_add(struct stats *st, enum stats_kind kind, uint64_t key, uint32_t origin,
		    mn_ns now)
{
	if (find(st, key))
		return MN_EEXIST;
	if (st->ndatums == STATS_MAX_DATUMS) {
		st->dropped_datums++;
		return MN_EFULL;
	}
	struct stats_datum *d = &st->datums[st->ndatums];
	d->bits = calloc(bitmap_words(st->nodes), sizeof(*d->bits));
	if (!d->bits)
		return MN_ENOMEM;
	d->key = key;
	d->kind = kind;
	d->injected = now;
	d->holders = 0;
	for (int l = 0; l < STATS_REACH_LEVELS; l++)
		d->reach[l] = MN_NEVER;
	uint32_t s = slot_of(key);
	while (st->index[s])
		s = (s + 1) & (STATS_INDEX_SLOTS - 1);
	st->index[s] = ++st->ndatums;
	stats_learned(st, origin, key, now);
	return MN_OK;
}

void stats_learned(struct stats *st, uint32_t node, uint64_t key, mn_ns now)
{
	if (st->ndatums == 0 || node >= st->nodes || !stats_is_up(st, node))
		return;
	struct stats_datum *d = find(st, key);
	if (!d || has(d, node))
		return;
	d->bits[node / 64] |= UINT64_C(1) << (node % 64);
	d->holders++;
	check_levels(st, d, now);
}

void stats_node_up(struct stats *st, uint32_t node)
{
	if (stats_is_up(st, node))
		return;
	st->down_since[node] = MN_NEVER;
	st->up++;
}

void stats_node_down(struct stats *st, uint32_t node, mn_ns now)
{
	if (!stats_is_up(st, node))
		return;
	st->down_since[node] = now;
	st->up--;
	if (!st->declared[node])
		st->declared[node] = malloc(bitmap_words(st->nodes) * sizeof(uint64_t));
	if (st->declared[node])
		memset(st->declared[node], 0, bitmap_words(st->nodes) * sizeof(uint64_t));
	/* the node forgets; fewer nodes up may complete a level */
	for (uint32_t i = 0; i < st->ndatums; i++) {
		struct stats_datum *d = &st->datums[i];
		if (has(d, node)) {
			d->bits[node / 64] &= ~(UINT64_C(1) << (node % 64));
			d->holders--;
		}
		check_levels(st, d, now);
	}
}

void stats_node_revoked(struct stats *st, uint32_t node, mn_ns now)
{
	if (node >= st->nodes)
		return;
	stats_node_down(st, node, now);
	st->revoked[node] = true;
}

void stats_node_rogue(struct stats *st, uint32_t node)
{
	if (node >= st->nodes || st->rogue[node])
		return;
	st->rogue[node] = true;
	st->rogues++;
}

void stats_observe(struct stats *st, uint32_t observer, enum sim_obs kind, uint32_t subject,
		   mn_ns now)
{
	if ((unsigned)kind >= SIM_OBS__COUNT || subject >= st->nodes || observer >= st->nodes)
		return;
	st->obs[kind]++;
	if (stats_is_up(st, subject)) {
		if (kind == SIM_OBS_ALIVE)
			return;
		if (kind == SIM_OBS_DEAD && st->obs_false[kind] < STATS_FALSE_KEEP)
			st->false_dead[st->obs_false[kind]] = (struct stats_false_death){
				.observer = observer, .subject = subject, .at = now
			};
		st->obs_false[kind]++;
		if (!st->rogue[observer] && !st->rogue[subject])
			st->obs_false_honest[kind]++;
		return;
	}
	if (kind == SIM_OBS_DEAD && st->declared[subject] && !st->revoked[subject]) {
		uint64_t *seen = st->declared[subject];
		if (bit(seen, observer))
			return; /* said before: time only the first verdict */
		seen[observer / 64] |= UINT64_C(1) << (observer % 64);
		mn_ns t = now - st->down_since[subject];
		st->detections++;
		st->detect_sum_ns += t;
		if (t > st->detect_max_ns)
			st->detect_max_ns = t;
	}
}

uint64_t stats_undetected(const struct stats *st)
{
	uint64_t missing = 0;
	for (uint32_t s = 0; s < st->nodes; s++) {
		if (stats_is_up(st, s) || !st->declared[s] || st->revoked[s])
			continue; /* up, never booted, or no longer a member */
		for (uint32_t o = 0; o < st->nodes; o++) {
			if (stats_is_up(st, o) && !bit(st->declared[s], o))
				missing++;
		}
	}
	return missing;
}
