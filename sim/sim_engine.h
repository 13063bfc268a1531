/* sim_engine.h - inside the engine: the node and run state that sim.c (the
 * event loop, the data path, setup), sim_faults.c (faults and the
 * scenario's actions) and sim_metrics.c (metrics and the verdict) share.
 * Not for use outside sim.h's implementation; sim__ names are internal. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "evq.h"
#include "mn_rng.h"
#include "pool.h"
#include "sim.h"

enum ev_kind {
	EV_DELIVER, /* ref: packet handle */
	EV_TIMER,   /* ref: node */
	EV_ACTION,  /* ref: scenario action */
	EV_RESUME,  /* ref: node */
	EV_RESTART, /* ref: node */
	EV_BOOT,    /* ref: node */
	EV_CHECK,   /* agreement check of the calm phase */
	EV_STEADY,  /* start of the steady-state window (`steady T`) */
};

/* What trace_record(TRACE_FAULT, ...) records. */
enum fault_kind {
	F_BOOT = 1, F_CRASH, F_PAUSE, F_RESUME, F_MOVE, F_PARTITION, F_HEAL, F_NET, F_REVOKE,
	F_ROGUE,
};

/* Independent random streams derived from the seed. */
enum stream { STREAM_NODE, STREAM_NET, STREAM_FAULT, STREAM_CLOCK, STREAM_CORE };

/* A revoked node is down for good: its key is refused everywhere, so no
 * restart, join or move brings it back. */
enum node_state { NODE_STANDBY, NODE_UP, NODE_DOWN, NODE_REVOKED };

#define NONE_ID UINT32_MAX

struct node {
	/* hot: touched by every event for the node */
	void *core;
	uint32_t id;
	enum node_state state;
	bool paused;
	bool timer_due;             /* a timer came due while paused */
	bool moved_while_paused;
	bool asleep;                /* the pause is a suspend (sim_sleep) */
	bool rogue;                 /* hostile (sim_rogue): out of the honest metrics */
	mn_ns slept_at;
	uint64_t timer_seq;         /* the live timer event, 0 when none */
	mn_ns timer_at;
	mn_ns mono_base;            /* mono = mono_base + virtual time */
	int64_t wall_skew_ns;
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	uint32_t defer_head, defer_tail, defer_len; /* receive buffer while paused */
	/* cold */
	struct sim *sim;
	void *persist;
	uint32_t boot_ip;           /* address at the start, for bootstrap_addr */
	uint64_t resume_seq, restart_seq;
	mn_ns resume_at;
	mn_ns spin_at;
	uint32_t spins;
	struct sim_env env;
	struct mn_seeded_rng rng;
};

struct sim {
	struct scn scn;
	const struct sim_core_ops *ops;
	void *shared;
	mn_ns now;
	struct evq q;
	struct pool pool;
	struct net *net;
	struct trace *trace;
	struct stats st;
	struct node *nodes;
	uint32_t nnodes;
	uint32_t *cand;             /* scratch for picking nodes */
	bool *in_group;             /* scratch for partitions */
	struct mn_seeded_rng net_rng, fault_rng;
	struct mn_rng fault;
	uint8_t txbuf[SIM_MAX_DGRAM];
	uint32_t datums;
	struct sim_totals tot;
	uint64_t counters[SIM_MAX_CORE_COUNTERS];
	mn_ns converged_at;
	/* totals sent at the start of the steady-state window */
	uint64_t steady_tx_pkts, steady_tx_bytes;
	bool steady_started;
	bool finished;
	int err;
	char errmsg[SIM_ERR_LEN];
	int expect_metric[SCN_MAX_EXPECTS];
	bool expect_ok[SCN_MAX_EXPECTS], expect_has[SCN_MAX_EXPECTS];
	int64_t expect_val[SCN_MAX_EXPECTS];
};

/* Stop the run with an error (the first one stays). */
__attribute__((format(printf, 3, 4)))
void sim__die(struct sim *s, int code, const char *fmt, ...);
/* Uniform in [0, n) for 64-bit n > 0. */
uint64_t sim__draw_u64(const struct mn_rng *r, uint64_t n);
/* Node n's clock at virtual time now. */
struct mn_time sim__node_time(const struct node *n, mn_ns now);
/* Schedule an event (aux: a prefetch hint); *seq (may be NULL) gets its
 * sequence number. A full queue stops the run. */
int sim__push_aux(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint32_t aux,
		  uint64_t *seq);
int sim__push(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint64_t *seq);
/* After any call into a core: send what it queued, re-arm its timer. */
void sim__after(struct sim *s, struct node *n);
/* Tell node n's core its address changed (sim_move, or at resume for a
 * node moved while paused); a key it gives is timed as a STATS_MOVE datum. */
void sim__addr_changed(struct sim *s, struct node *n);
/* Drop what waits in a paused node's receive buffer (it went down). */
void sim__drop_deferred(struct sim *s, struct node *n);
/* EV_ACTION: run scenario action idx (and schedule its next turn). */
void sim__on_action(struct sim *s, uint32_t idx);

#endif
