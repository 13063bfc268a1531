/* stats.h - what the run measures about the cores, against the truth.
 *
 * Datums: something one node originates (a new record version; a
 * revocation tombstone) whose spread is timed. The engine registers each by
 * the key the core chose and its kind; nodes report the keys they hold
 * (sim_env_learned) and stats records when the holders first reach 50%,
 * 99%, 99.99% and 100% of the nodes that are up. A crash forgets what the
 * node held.
 *
 * A revoked node is down for good and no longer a member: it counts in no
 * level, and nobody owes it a death verdict (it is removed, not dead).
 *
 * Observations: suspicions and deaths a core reports, classified against
 * whether the subject is really down; for subjects that are down, the time
 * from the crash to each observer's verdict.
 *
 * Keys are looked up in an open-addressing table keyed by the 64-bit key
 * itself (never by a pointer) and never iterated, so nothing here can
 * change the order of the run.
 */
#ifndef STATS_H
#define STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "mn_time.h"
#include "simcore.h"

enum stats_limits {
	STATS_MAX_DATUMS = 4096,
	STATS_INDEX_SLOTS = 8192, /* power of two, > 2 x STATS_MAX_DATUMS */
	STATS_REACH_LEVELS = 4,   /* 50%, 99%, 99.99%, 100% */
};

#define STATS_FALSE_KEEP 8

/* What a datum is: the metrics keep the kinds apart. */
enum stats_kind {
	STATS_INJECT, /* `inject`: a new record version */
	STATS_REVOKE, /* `revoke`: a tombstone */
	STATS_MOVE,   /* `move`: the mover's new address, held by a node that sends there */
};

struct stats_datum {
	uint64_t key;
	enum stats_kind kind;
	mn_ns injected;
	uint32_t holders;              /* up nodes holding it */
	mn_ns reach[STATS_REACH_LEVELS]; /* time to each level, MN_NEVER until */
	uint64_t *bits;                /* one bit per node */
};

struct stats {
	uint32_t nodes;                /* node slots */
	uint32_t up;                   /* nodes up now */
	struct stats_datum *datums;
	uint32_t ndatums;
	uint32_t dropped_datums;       /* injected past STATS_MAX_DATUMS */
	uint32_t index[STATS_INDEX_SLOTS]; /* datum + 1, 0 = empty */
	mn_ns *down_since;             /* per node, MN_NEVER when up */
	uint64_t obs[SIM_OBS__COUNT];
	uint64_t obs_false[SIM_OBS__COUNT]; /* about a subject that is up */
	uint64_t detections;           /* DEAD about a subject that is down */
	mn_ns detect_sum_ns, detect_max_ns;
	/* per node, allocated at its first crash: which observers declared
	 * it dead since its last crash (one bit per observer) */
	uint64_t **declared;
	bool *revoked;                 /* per node: revoked (down for good) */
	bool *rogue;                   /* per node: hostile (sim_rogue) */
	uint32_t rogues;
	/* obs_false with an honest observer and an honest subject */
	uint64_t obs_false_honest[SIM_OBS__COUNT];
	/* the first false deaths, for the report: who declared whom, when */
	struct stats_false_death {
		uint32_t observer, subject;
		mn_ns at;
	} false_dead[STATS_FALSE_KEEP];
};

int stats_init(struct stats *st, uint32_t nodes);
void stats_free(struct stats *st);

void stats_node_up(struct stats *st, uint32_t node);
void stats_node_down(struct stats *st, uint32_t node, mn_ns now);
static inline bool stats_is_up(const struct stats *st, uint32_t node)
{
	return st->down_since[node] == MN_NEVER;
}
/* The node is revoked: down (if it was up) and out of the detection
 * bookkeeping for good. */
void stats_node_revoked(struct stats *st, uint32_t node, mn_ns now);

/* The node turned hostile: its observations and the observations of it
 * leave the honest counts. */
void stats_node_rogue(struct stats *st, uint32_t node);

/* A datum originated at node `origin`: MN_EEXIST for a key already
 * registered, MN_EFULL past STATS_MAX_DATUMS (counted, not fatal). */
int stats_datum_add(struct stats *st, enum stats_kind kind, uint64_t key, uint32_t origin,
		    mn_ns now);
void stats_learned(struct stats *st, uint32_t node, uint64_t key, mn_ns now);
void stats_observe(struct stats *st, uint32_t observer, enum sim_obs kind, uint32_t subject,
		   mn_ns now);
/* (observer up, subject down) pairs where the observer never declared the
 * subject dead since its crash (revoked subjects excluded). */
uint64_t stats_undetected(const struct stats *st);

/* Level l's threshold in parts per million: 500000, 990000, 999900, 1000000. */
uint32_t stats_level_ppm(int level);

#endif
