/* simcore.h - how the simulator drives a node core.
 *
 * The engine runs any sans-I/O core behind this table of operations. A core
 * is opaque to the engine: the engine feeds it datagrams and timer expiries
 * with the node's virtual time, drains the datagrams it wants sent, and asks
 * when it next wants to wake, exactly as the real driver does with libuv
 * (DESIGN.md §1). Every call happens on the one simulator thread, in the
 * order fixed by the event queue, so a core must be deterministic given
 * its inputs and its own random stream (env->rng).
 *
 * Life of a node:
 *
 *   create(env, now)          boot (env->boot == 0) or restart (> 0)
 *   repeat:
 *     recv(from, bytes, now)   a datagram arrived
 *     on_timer(now)            next_deadline() passed
 *     inject(datum, now)       the scenario asks it to originate a datum
 *     revoke(target, now)      the scenario asks it to revoke another node
 *     addr_changed(addr, now)  its host moved to a new underlay address
 *     after each of these:     poll_tx() until it returns 0, then
 *                              next_deadline()
 *   crash()                    the process died: volatile state is gone
 *     or destroy()             the run ended
 *
 * Time: `now` is the node's own clock. now.mono is a per-node monotonic
 * clock (it does not start at zero, so cores cannot assume it does);
 * now.wall is nanoseconds since the Unix epoch. next_deadline() answers on
 * the mono scale; MN_NEVER means no timer.
 *
 * Ownership: the engine owns every buffer it passes; a core copies what it
 * keeps. env stays valid and unchanged (except `addr`, updated before
 * addr_changed) from create until crash or destroy returns.
 */
#ifndef SIMCORE_H
#define SIMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_rng.h"
#include "mn_time.h"

/* What a core reports about what it believes, for the metrics. `subject` is
 * a node id (env->node_id of the node concerned). The engine knows the truth
 * and classifies: a suspicion or death of a node that is up is false. */
enum sim_obs {
	SIM_OBS_SUSPECT,  /* observer now suspects subject */
	SIM_OBS_DEAD,     /* observer declared subject dead */
	SIM_OBS_ALIVE,    /* observer again believes subject alive */
	SIM_OBS__COUNT
};

/* How a hostile member misbehaves (the scenario's `rogue PICK BEHAVIOUR`,
 * issue 11): it keeps running its honest protocol instance with its real
 * key, and on a timer of its own also sends crafted messages sealed with
 * that key. What each does is the core's (sim/README.md, "Rogue members"). */
enum sim_rogue {
	SIM_ROGUE_SUSPECT_FLOOD, /* SUSPECT and DEAD at a victim's incarnation */
	SIM_ROGUE_ACCUSE_OTHERS, /* SUSPECTs naming other real members as accusers */
	SIM_ROGUE_FALSE_ADDR,    /* announcements of others' addresses, signed by itself */
	SIM_ROGUE_JUNK_RECORDS,  /* forged records pushed unasked */
	SIM_ROGUE__COUNT
};

/* Limits every core shares with the engine. */
enum sim_core_limits {
	SIM_MAX_DGRAM = 1472,        /* largest UDP payload on a 1500-byte IPv4 path */
	SIM_MAX_CORE_PARAMS = 16,    /* `core_param` lines in a scenario */
	SIM_MAX_CORE_COUNTERS = 32,  /* named counters a core may export */
	SIM_CORE_NAME_LEN = 32,
	SIM_PARAM_LEN = 64,
};

struct sim_param {
	char key[SIM_PARAM_LEN];
	char value[SIM_PARAM_LEN];
	uint32_t line; /* scenario line, for error messages */
};

/* What a core learns about the run before any node boots (shared_new). */
struct sim_core_args {
	const struct sim_param *params; /* the scenario's core_param lines */
	uint32_t nparams;
	uint32_t nodes;      /* node slots (including standby) */
	uint32_t booted;     /* nodes booted at the start */
	const char *profile; /* the scenario's network profile: "lan" or "wan" */
	/* A seed of the core's own, derived from the run's seed (a stream
	 * independent of the nodes', network's and faults'): for what all
	 * nodes share, such as a network root key. */
	uint64_t seed;
};

/* One node's environment, filled by the engine. */
struct sim_env {
	uint32_t node_id;       /* 0 .. nodes-1, stable across restarts */
	uint32_t nodes;         /* node slots in the run (including standby) */
	uint32_t boot;          /* 0 on the first start, +1 per restart */
	struct mn_addr addr;    /* the node's current underlay address */
	struct mn_rng rng;      /* this node's own seeded stream */
	void *shared;           /* from ops->shared_new, one per run */
	/* A durable slot for the core's persisted state: *persist survives
	 * crash and restart and is freed by ops->persist_free at the end of the
	 * run; NULL at the start. The core decides what "persisted" means;
	 * whatever it keeps only in the core object is lost in a crash. */
	void **persist;

	/* Callbacks into the engine; ctx is the engine's node. */
	void *ctx;
	/* The node now holds datum `key` (see ops->inject). Cheap for keys
	 * that are not datums: call it freely. */
	void (*learned)(void *ctx, uint64_t key);
	void (*observe)(void *ctx, enum sim_obs kind, uint32_t subject);
	/* Add to the core's named counter idx (< ops->ncounters). */
	void (*count)(void *ctx, uint32_t idx, uint64_t delta);
	/* The address node `id` had when the run started, so a core can
	 * bootstrap the way a real node reads seeds from its invite. false
	 * for ids out of range. */
	bool (*bootstrap_addr)(void *ctx, uint32_t id, struct mn_addr *out);
	/* The node cannot go on (e.g. its store failed, where a real node
	 * would exit): the engine stops the run with err and "node N: why" as
	 * sim_error. For failures inside calls that return nothing (recv,
	 * on_timer, addr_changed); create may call it before returning its
	 * error, to say more than the code. The first failure of a run wins. */
	void (*halt)(void *ctx, int err, const char *why);
};

static inline void sim_env_learned(const struct sim_env *env, uint64_t key)
{
	env->learned(env->ctx, key);
}

static inline void sim_env_observe(const struct sim_env *env, enum sim_obs kind,
				   uint32_t subject)
{
	env->observe(env->ctx, kind, subject);
}

static inline void sim_env_count(const struct sim_env *env, uint32_t idx, uint64_t delta)
{
	env->count(env->ctx, idx, delta);
}

static inline void sim_env_halt(const struct sim_env *env, int err, const char *why)
{
	env->halt(env->ctx, err, why);
}

struct sim_core_ops {
	const char *name;
	const char *const *counter_names; /* ncounters names, JSON keys */
	uint32_t ncounters;

	/* Once per run, before any node: parse the scenario's core_param
	 * lines into the shared state every node sees as env->shared (e.g.
	 * protocol parameters, an interning table, a signature memo).
	 * MN_EINVAL with a message in err (naming the param's line) for a bad
	 * or unknown parameter. args and what it points to last only for the
	 * call. May be NULL. */
	int (*shared_new)(void **shared, const struct sim_core_args *args, char *err,
			  size_t errlen);
	void (*shared_del)(void *shared);

	/* Boot or restart a node. env outlives the core. MN_ENOMEM etc. end
	 * the run with an error. */
	int (*create)(void **core, const struct sim_env *env, struct mn_time now);
	/* End of the run: release everything. */
	void (*destroy)(void *core);
	/* The node crashed: release everything without any orderly shutdown.
	 * May be NULL (destroy is used). */
	void (*crash)(void *core);
	/* Free env->persist at the end of the run. May be NULL. */
	void (*persist_free)(void *persist);

	/* A datagram of len bytes (<= SIM_MAX_DGRAM) from `from`. */
	void (*recv)(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		     struct mn_time now);
	/* Take one queued datagram: 1 with buf[0..*len) and *dst filled, 0
	 * when nothing is queued. cap is SIM_MAX_DGRAM. */
	int (*poll_tx)(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst);
	/* Earliest mono time on_timer has work; MN_NEVER for none. Must not
	 * change state. */
	mn_ns (*next_deadline)(const void *core);
	void (*on_timer)(void *core, struct mn_time now);

	/* Originate datum number `datum` (1, 2, ... across the run). The core
	 * returns the key it will report through env->learned when a node
	 * holds it (SWIM: a hash of (origin, record version)). May be NULL
	 * when the core has no datums; `inject` lines then fail. */
	int (*inject)(void *core, uint32_t datum, struct mn_time now, uint64_t *key);
	/* Revoke node `target` from this node, as an admin's node does for
	 * `meshnode kick`: sign a tombstone against the target's identity with
	 * the key that may revoke and hand it to the protocol, which spreads
	 * it. target has booted at least once and is stopped for good by then.
	 * The core returns the key it will report through env->learned when a
	 * node holds the tombstone (timed like a datum). May be NULL: a
	 * scenario with `revoke` lines then fails to load (sim_new). */
	int (*revoke)(void *core, uint32_t target, struct mn_time now, uint64_t *key);
	/* Whether the node holds node `subject` as a member (the revoked_held
	 * metric: a revoked node must be dropped everywhere). Must not change
	 * state. May be NULL: the metric then has no value once a node is
	 * revoked. */
	bool (*has_member)(const void *core, uint32_t subject);
	/* The node turns hostile (the `rogue` action): from now on, and after
	 * any restart, it misbehaves as b says beside its honest protocol.
	 * MN_EINVAL for a behaviour the core does not have. May be NULL: a
	 * scenario with `rogue` lines then fails to load (sim_new). */
	int (*rogue)(void *core, enum sim_rogue b, struct mn_time now);
	/* The host's underlay address changed (env->addr is already the new
	 * one). *key (0 on entry): the key the core will report through
	 * env->learned when a node sends to the new address, timed like a
	 * datum by the move_* metrics; left 0, the move is not timed. May be
	 * NULL. */
	void (*addr_changed)(void *core, const struct mn_addr *addr, struct mn_time now,
			     uint64_t *key);
	/* A digest of what the node believes (membership, liveness, versions):
	 * live nodes agree when their digests are equal. Must not change
	 * state. May be NULL: `converge` expectations then fail. */
	uint64_t (*view_digest)(const void *core);

	/* Metrics of the core's own, beside the engine's (expectations may
	 * name them; meshsim prints them as "core_metrics"): nmetrics names
	 * and one-line meanings. metric answers metric idx (< nmetrics) at
	 * the end of the run from the shared object, fixed point x1000 as
	 * the engine's; false when it has no value. Must not change state.
	 * May be NULL (nmetrics 0). */
	const char *const *metric_names;
	const char *const *metric_helps;
	uint32_t nmetrics;
	bool (*metric)(const void *shared, uint32_t idx, int64_t *milli);
};

/* The cores built into meshsim; NULL for an unknown name. */
const struct sim_core_ops *simcore_find(const char *name);
/* A rogue behaviour's scenario name ("suspect_flood", ...), and back: -1
 * for an unknown name. */
const char *sim_rogue_name(enum sim_rogue b);
int sim_rogue_find(const char *name);
/* Names of the built-in cores, NULL-terminated (for help text). */
const char *const *simcore_names(void);
/* Write "core_param:LINE: KEY VALUE: WHY" to err and return MN_EINVAL: the
 * one error form every core uses for a core_param it refuses. */
int simcore_param_err(char *err, size_t errlen, const struct sim_param *p, const char *why);

#endif
