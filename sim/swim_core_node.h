/* swim_core_node.h - inside the swim core: the adapter's per-run and
 * per-node state, shared by swim_core.c (the ops table, events, node
 * lifecycle) and swim_core_store.c (where a node keeps its state in a run,
 * and the restart that rebuilds it). Not for use outside those two. */
#ifndef SWIM_CORE_NODE_H
#define SWIM_CORE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simcore.h"
#include "swim.h"
#include "swim_core.h"
#include "swim_fixture.h"
#include "swim_persist.h"
#include "xmemo.h"

#define NONE SWIM_FIXTURE_NONE

enum swc_counter {
	C_PINGS, C_ACKS, C_PING_REQS, C_INDIRECT_ACKS, C_NACKS, C_PROBES_FAILED,
	C_SUSPICIONS, C_DEATHS, C_LAST_CALLS, C_REFUTES, C_GOSSIPS, C_PUSHPULLS, C_DEAD_PROBES,
	C_WANTS, C_HELLOS, C_RECORDS_LEARNED, C_CAPPED, C_REPROVE_PINGS,
	C_UNASKED_CHECKS, C_UNASKED_REFUSED, C_ADDR_REFUSED, C_DROPS,
	/* the adapter's own */
	C_ED25519, C_X25519, C_X25519_HITS, C_INC_MAX, C_STORE_COMMITS, C_STORE_WRITES,
	C_ROGUE_SENT,
	C__COUNT
};

struct swc_shared {
	struct swim_core_config cfg;
	uint32_t nodes;
	uint32_t booted;               /* ids below: nodes booted at the start */
	struct swim_fixture fx;        /* keys, invite, records, the rtab, the Ed25519 memo */
	struct swim_store rt_store;    /* the rtab's own store */
	struct swim_store store;       /* what nodes get: rt_store behind find_hint */
	const struct swim_rec *hint;   /* the interned record being handed to swim */
	uint64_t memo_reported;        /* fx.memo.verified already counted */
	struct xmemo xm;
	/* per node id: the address the node had when the run started (what
	 * bootstrap_addr answers; family AF_UNSPEC until the node booted) */
	struct mn_addr *boot_addr;
	uint8_t *up;                   /* per node id: a core is running */
	uint32_t inc_max;              /* highest incarnation any node reached */
	/* rogue members (swim_core_rogue.c) */
	uint8_t *rogue;                /* per node id: 0 honest, else enum sim_rogue + 1 */
	uint32_t victim;               /* the accusations' victim, NONE until drawn */
	struct swc **cores;            /* per node id: its running core, or NULL */
	/* per node id: Ed25519 checks its calls asked for, memo hits included
	 * (what a node that shares no memo would verify) */
	uint64_t *sig_req;
	/* store lmdb: the run's directory (mkdtemp), one subdirectory per
	 * node id, removed with everything in it by shared_del; NULL with
	 * store memory */
	char *dir;
	size_t map_bytes;              /* LMDB map size of each node */
};

/* What survives a crash. store memory: the node's store (key, inc, boot,
 * held[], tombs). store lmdb: only held[], for the statistics (which
 * versions a node reported with sim_env_learned); the node itself is
 * rebuilt from its LMDB environment, whose directory the node id names. */
struct swc_persist {
	struct rec_key key;   /* identity (secret); store memory only */
	uint32_t inc;         /* last SWIM_EV_SELF_INC; store memory only */
	uint32_t boot;        /* last SWIM_EV_BOOT (seal counters' high bits); memory only */
	uint16_t *held;       /* per node id: sequence of the record held, 0 none */
	/* every tombstone swim kept, in STORE_REVOKED's order (so both
	 * backends restore them in one order); store memory only */
	struct swim_persist_tombs tombs;
};

struct swc {
	const struct sim_env *env;
	struct swc_shared *sh;
	struct swc_persist *ps;
	struct swim *s;
	struct rec_key key;            /* identity (secret), for this boot */
	struct swim_persist *sp;       /* store lmdb: this boot's environment */
	bool restoring;                /* records come from the store: no writing back */
	int store_err;                 /* the store failed: the run is stopping */
	struct seal_memo xmemo;        /* ctx = this node, to count hits */
	bool preload_due;              /* preload at the first call (see preload()) */
	uint64_t reported[C_DROPS + 1];
	uint64_t sig_mark;             /* the memo's requests when this call began */
	mn_ns rogue_at;                /* a rogue's next round (mono) */
};

/* ---- swim_core.c ---- */

/* Learn node id's record r at the address id had when the run started
 * (what an invite lists, or the store's last-known address). announce:
 * swim_learn (news), else swim_restore (from our own store). */
void swc_learn_one(struct swc *c, uint32_t id, const struct swim_rec *r, struct mn_time now,
		   bool announce);

/* ---- swim_core_rogue.c ---- */

/* The metrics of core swim (ops->metric_names ...). */
#define SWC_NMETRICS 5
extern const char *const swc_metric_names[SWC_NMETRICS];
extern const char *const swc_metric_helps[SWC_NMETRICS];
bool swc_metric(const void *shared, uint32_t idx, int64_t *milli);
/* ops->rogue */
int swc_rogue(void *core, enum sim_rogue b, struct mn_time now);
/* A rogue's next round, or MN_NEVER for an honest node. */
mn_ns swc_rogue_deadline(const struct swc *c);
/* Its round, if due: crafted datagrams on the swim instance's ring. */
void swc_rogue_on_timer(struct swc *c, struct mn_time now);
/* Signature checks asked for since sig_mark, charged to the node. */
static inline uint64_t swc_sig_total(const struct swc_shared *sh)
{
	return sh->fx.memo.hits + sh->fx.memo.verified + sh->fx.memo.failed;
}

/* ---- swim_core_store.c ---- */

/* store lmdb: the run's directory (sh->dir) and the map size, after a
 * check that every node's environment can be open at once; removed with
 * everything in it by swc_run_dir_del. A message in err on failure. */
int swc_run_dir_new(struct swc_shared *sh, char *err, size_t errlen);
void swc_run_dir_del(struct swc_shared *sh);
/* Boot (store lmdb): the node's directory and environment, and its new
 * identity (c->key), committed at the end of create. */
int swc_store_first_boot(struct swc *c);
/* Restart (store lmdb): identity, incarnation and boot number. */
int swc_store_restart(struct swc *c, uint32_t *inc, bool *inc_lost, uint32_t *boot);
/* The end of an engine call: commit what it wrote (store lmdb). */
void swc_call_end(struct swc *c);
/* What swim reports from now on comes from the node's store (on) or not. */
void swc_set_restoring(struct swc *c, bool on);
/* SWIM_EV_REVOKED with store memory: keep the tombstone. */
void swc_keep_tomb(struct swc *c, const struct swim_event *ev);
/* Restart: the tombstones, then the records the node's store holds. */
int swc_restore(struct swc *c, struct mn_time now);
/* ops->persist_free */
void swc_persist_free(void *p);

#endif
