/* sim.h - the simulator engine.
 *
 * One object runs a whole scenario: a virtual clock in nanoseconds, one
 * event queue ordered by (time, sequence number), the network model, and a
 * node core per node driven through struct sim_core_ops (simcore.h). There
 * are no globals; two engines in one process do not interact.
 *
 * Determinism: the run depends only on the scenario and its seed. The seed
 * is expanded into independent ChaCha20 streams: one per node (the core's
 * env->rng), one for the network (loss, duplication, jitter, latencies) and
 * one for faults (which nodes crash, pause, move; pause lengths; boot
 * times), so changing the loss rate does not change which nodes crash.
 * Nothing iterates over pointer-keyed tables and every decision is integer
 * arithmetic. The trace hash (trace.h) proves two runs equal.
 *
 * Events: a datagram delivery, a node's timer, a scenario action, a paused
 * node resuming, a crashed node restarting, a node booting, and the
 * agreement check of the calm phase. Each node has at most one live timer
 * event: when a core's deadline moves earlier a new event is pushed and the
 * old one is skipped when it pops (its sequence number no longer matches);
 * when it moves later the early event pops, finds the deadline not yet due
 * and re-arms, without calling the core.
 *
 * Faults: a crashed node's core is dropped (ops->crash) and datagrams to it
 * are lost; a restart creates a new core (env->boot counts restarts,
 * env->persist survives). A paused node runs nothing: datagrams for it wait
 * in a bounded receive buffer and its timers wait, both handled at resume,
 * timers first (as a libuv loop turn does), with the clock jumped forward.
 * A revoked node is stopped for good and leaves the run's membership: it
 * is never restarted and no metric counts it as a node up (sim_revoke).
 */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_time.h"
#include "net.h"
#include "scn.h"
#include "simcore.h"
#include "stats.h"
#include "trace.h"

enum sim_limits {
	SIM_MAX_EVENTS = 1 << 26,      /* pending events */
	SIM_MAX_INFLIGHT = 1 << 24,    /* datagrams in flight */
	SIM_MAX_DEFERRED = 1024,       /* receive buffer of a paused node, datagrams */
	SIM_MAX_TX_PER_EVENT = 1 << 16, /* datagrams one core call may queue */
	SIM_MAX_TIMER_SPIN = 1 << 16,  /* timer firings of one node at one instant */
	SIM_ERR_LEN = 256,
};

/* Wall clock of the run's start: 2025-01-01T00:00:00Z. */
#define SIM_WALL_EPOCH_NS (UINT64_C(1735689600) * MN_NS_PER_SEC)

struct sim;

/* Build a run from a finished scenario (scn_finish). ops == NULL uses the
 * core the scenario names; tests pass their own. Nodes boot at time 0 (or
 * spread over boot_spread). MN_EINVAL with a message naming the line for an
 * unknown metric or a bad core_param. The scenario is copied. */
int sim_new(struct sim **out, const struct scn *s, const struct sim_core_ops *ops, char *err,
	    size_t errlen);
void sim_del(struct sim *s);

/* Process every event due at or before t (at most the scenario's duration:
 * the clock never passes it), then set the clock to t. Returns MN_OK, or
 * the engine error that stopped the run (see sim_error). */
int sim_run_until(struct sim *s, mn_ns t);
/* Run to the scenario's duration and evaluate the expectations. */
int sim_run(struct sim *s);
mn_ns sim_now(const struct sim *s);
/* Why the run stopped early, or NULL. */
const char *sim_error(const struct sim *s);

/* ---- nodes and faults (the scenario's actions, also for tests) ---- */
uint32_t sim_nodes(const struct sim *s);
struct net *sim_net(struct sim *s);
void *sim_core(const struct sim *s, uint32_t node);
const struct sim_env *sim_env(const struct sim *s, uint32_t node);
bool sim_node_up(const struct sim *s, uint32_t node);
bool sim_node_paused(const struct sim *s, uint32_t node);

/* The node's clock now, as its core sees it. */
struct mn_time sim_node_time(const struct sim *s, uint32_t node);
/* Drain and re-arm a node whose core was changed from outside the engine
 * (tests; later, control commands); no-op unless it is up and running. */
void sim_kick(struct sim *s, uint32_t node);

void sim_crash(struct sim *s, uint32_t node);
int sim_restart(struct sim *s, uint32_t node); /* also boots a standby node */
/* Pause for dur from now; pausing a paused node extends the pause. */
void sim_pause(struct sim *s, uint32_t node, mn_ns dur);
void sim_sleep(struct sim *s, uint32_t node, mn_ns dur, bool moving);
int sim_move(struct sim *s, uint32_t node);
/* Inject the next datum at node; MN_ESTATE if down or paused. */
int sim_inject(struct sim *s, uint32_t node);
/* Revoke node target (up or down, booted, not revoked yet) from node
 * carrier (up, running, another node), as an admin's node would: target
 * stops for good (no restart, join or move), then carrier's core signs and
 * spreads a tombstone (ops->revoke), timed like a datum. MN_EINVAL when
 * the core cannot revoke, MN_ESTATE for nodes in the wrong state. */
int sim_revoke(struct sim *s, uint32_t target, uint32_t carrier);
bool sim_node_revoked(const struct sim *s, uint32_t node);
/* Node id (up, running, honest) turns hostile as b says (ops->rogue): it
 * stays so, restarts included, and the honest_* metrics leave it out, as
 * observer and as subject. MN_EINVAL when the core has no rogues,
 * MN_ESTATE for a node in the wrong state. */
int sim_rogue(struct sim *s, uint32_t id, enum sim_rogue b);
bool sim_node_rogue(const struct sim *s, uint32_t node);
/* Symmetric (oneway false) or one-way partition: `in` marks group 1. With
 * oneway, only traffic into group 1 is blocked. */
void sim_partition(struct sim *s, const bool *in, bool oneway);
void sim_heal(struct sim *s);

/* ---- results ---- */

struct sim_totals {
	uint64_t events, timers, delivered, tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	uint64_t crashes, restarts, pauses, sleeps, moves, datums, revocations;
	uint64_t drops[NET_DROP__COUNT];
	uint64_t stale_timers, spurious_timers;
	size_t queue_peak, inflight_peak;
};
void sim_totals(const struct sim *s, struct sim_totals *out);
const struct stats *sim_stats(const struct sim *s);
void sim_trace_hex(const struct sim *s, char out[TRACE_HEX_LEN]);
uint64_t sim_core_counter(const struct sim *s, uint32_t idx);
const struct sim_core_ops *sim_ops(const struct sim *s);
const struct scn *sim_scn(const struct sim *s);

/* Metrics are fixed point x1000 ("milli"); a metric with no value (a
 * datum that never reached 100%, a run that never converged) reads false. */
#define SIM_METRIC_NAME_LEN 32
uint32_t sim_metric_count(void);
const char *sim_metric_name(uint32_t i);
const char *sim_metric_help(uint32_t i);
bool sim_metric(const struct sim *s, uint32_t i, int64_t *milli);
/* Index of a metric by name, or -1. */
int sim_metric_find(const char *name);
/* Index of one of the core's own metrics (ops->metric_names) by name, or
 * -1. sim_metric answers it as metric sim_metric_count() + index. */
int sim_core_metric_find(const struct sim_core_ops *ops, const char *name);

/* After sim_run: whether expectation i held, and the value it saw. */
bool sim_expect_ok(const struct sim *s, uint32_t i, int64_t *milli, bool *has_value);
/* true when the run finished without an engine error and every
 * expectation held. */
bool sim_passed(const struct sim *s);

#endif
