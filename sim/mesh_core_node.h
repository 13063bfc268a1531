/* mesh_core_node.h - inside the mesh core: the per-run and per-node state
 * shared by mesh_core.c (the ops table, node lifecycle, I/O),
 * mesh_core_join.c (the run's network, the joiner, the admitter's member
 * table) and mesh_core_metrics.c (full view, pings, metrics). Not for use
 * outside those three. */
#ifndef MESH_CORE_NODE_H
#define MESH_CORE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "join.h"
#include "mesh_core.h"
#include "node.h"
#include "annpool.h"
#include "rtab.h"
#include "simcore.h"
#include "xmemo.h"

#define MSC_NONE UINT32_MAX

enum msc_counter {
	MC_JOIN_STARTS,   /* joiner state machines started (a retry is one more) */
	MC_JOIN_ACCEPTS,  /* joiners admitted */
	MC_JOIN_RETRIES,  /* joins that timed out or were refused, started again */
	MC_ADMISSIONS,    /* admissions signed by members (join_admitter ACCEPTED) */
	MC_RESTARTS,      /* members restarted from their kept state */
	MC_PINGS_SENT,    /* ping packets handed to node_tun_in */
	MC_PINGS_DELIVERED,
	MC_TUN_DROPPED,   /* node_tun_in refused a ping */
	MC_ED25519,       /* signatures verified (the run's memo) */
	MC_X25519,        /* X25519 computed (seal memo misses) */
	MC__COUNT
};

enum msc_metric {
	MM_JOINS,             /* joiners admitted */
	MM_JOINS_INCOMPLETE,  /* joiners that never reached the full view */
	MM_FULL_VIEW_P50,     /* join start to full view, median over joiners (ms) */
	MM_FULL_VIEW_P99,
	MM_FULL_VIEW_MAX,
	MM_VIEW_MISSING,      /* (live member, live member) pairs not held at the end */
	MM_PEERS_MISSING,     /* the same for WireGuard peers */
	MM_IPV4_DUP,          /* IPv4 addresses held by two node keys (all live views) */
	MM_PINGS,             /* pings planned */
	MM_PINGS_DELIVERED,
	MM_PINGS_LOST,
	MM_PING_MS_MAX,       /* slowest ping, TUN in to TUN out (handshake included) */
	MM__COUNT
};

enum msc_limits {
	MSC_JQ = 4,               /* admitter replies queued per call */
	MSC_MAX_PINGS = 64,
	MSC_PING_LEN = 40,        /* IPv4 header + payload of a ping */
	MSC_NAME_LEN = 16,
	MSC_MEMO_SLOTS = 1 << 16, /* Ed25519 memo */
	SIM_MAX_CHAIN = 64,       /* admitters learned before our admitter */
};

#define MSC_CHECK_NS (100 * MN_NS_PER_MS)     /* full-view check period */
#define MSC_JOIN_TIMEOUT_NS (20 * MN_NS_PER_SEC) /* then another member */
#define MSC_JOIN_IDLE_NS (1 * MN_NS_PER_SEC)     /* no member runs: look again */

struct msc;

struct msc_ping {
	uint32_t src, dst;
	mn_ns sent, delivered;    /* run time (wall - epoch); MN_NEVER: not yet */
};

struct msc_shared {
	uint32_t nodes;
	struct swim_params params;
	struct mn_seeded_rng srng;   /* the core's own stream: the ping plan */
	struct mn_rng rng;
	/* the network: the root; per node id one single-use root invite (a
	 * member refuses to admit with the invite it joined with, so one
	 * invite for all cannot work), signed at the first join start */
	struct rec_network net;
	struct rec_key root;         /* secret */
	uint8_t (*inv_seed)[REC_SEED_LEN]; /* secret, per node id */
	struct rec_invite *inv;      /* per node id */
	bool *inv_signed;
	struct rtab *rt;             /* every record of the run, interned */
	struct annpool *anns;        /* every address announcement held, interned */
	struct swim_store store;
	struct rec_memo memo;
	uint8_t (*memo_slots)[REC_MEMO_KEY_LEN];
	struct xmemo xm;
	/* per node id */
	struct msc **cores;          /* the running core, NULL when down */
	struct mn_addr *addr;        /* underlay address (set at boot) */
	uint8_t (*pk)[REC_PK_LEN];   /* its node key (set at first boot) */
	bool *has_pk;
	const struct swim_rec **rec; /* its member record, NULL before admission */
	struct rec_admission *adm;   /* its admission (rec != NULL) */
	uint32_t *adm_by;            /* the member that admitted it, MSC_NONE */
	mn_ns *join_start;           /* run time of its first join start; MN_NEVER */
	mn_ns *full_at;              /* run time of full view; MN_NEVER */
	/* scratch */
	struct node_txb *txb;        /* the batch of the node being polled */
	const struct msc *txb_owner;
	uint32_t txb_pos;
	uint8_t rx[SIM_MAX_DGRAM];
	mn_ns next_check;            /* run time of the next full-view check */
	/* pings (core_param ping_pair, pings, ping_at) */
	uint32_t npings;             /* npairs chosen (ping_pair), then random ones */
	uint32_t npairs;
	mn_ns ping_at;               /* run time */
	bool ping_planned;
	struct msc_ping ping[MSC_MAX_PINGS];
	uint64_t memo_reported;
};

/* What survives a crash: identity, record, what swim asked to persist. */
struct msc_persist {
	struct rec_key key;          /* secret */
	const struct swim_rec *rec;  /* our record (interned), NULL while joining */
	uint32_t inc, boot;
	uint32_t admitter;           /* the member that admitted us; MSC_NONE */
	struct mn_addr admitter_addr; /* where it answered */
	uint8_t *held;               /* per node id: held as a member */
};

struct msc {
	const struct sim_env *env;
	struct msc_shared *sh;
	struct msc_persist *ps;
	uint32_t id;
	struct node *n;              /* NULL while joining */
	bool joining;
	struct join j;
	uint32_t via;                /* the member the joiner asks; MSC_NONE: none yet */
	mn_ns retry_at;              /* via MSC_NONE: when to look for a member again */
	struct join_admitter adm;
	bool adm_ok;
	mn_ns wall_off;              /* now.wall - now.mono */
	bool ping_done;
	struct seal_memo xmemo;
	uint8_t jq[MSC_JQ][JOIN_DGRAM_MAX];
	size_t jq_len[MSC_JQ];
	struct mn_addr jq_dst[MSC_JQ];
	uint32_t jq_n, jq_head;
};

/* Run time (the engine's clock) of a node's wall clock: no clock skew in
 * mesh scenarios. */
mn_ns msc_run_time(struct mn_time now);

/* ---- mesh_core_join.c ---- */

/* The network, from the core's seed: root, invite, rtab, memo. */
int msc_network_new(struct msc_shared *sh, uint64_t seed, char *err, size_t errlen);
void msc_network_free(struct msc_shared *sh);
/* Node 0's first boot: admitted by the root, as `meshnode init` makes it. */
int msc_genesis(struct msc *c, struct mn_time now);
/* Start (or restart) the joiner through a random running member. */
int msc_join_start(struct msc *c, struct mn_time now);
/* The joiner was admitted: sign our record, intern it (ps->rec). */
int msc_join_done(struct msc *c, struct mn_time now);
/* The admitter over our member table (after node_new). */
int msc_admitter_init(struct msc *c);
/* node_config.unsealed */
int msc_unsealed(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
		 struct mn_time now);
/* Node id of a node key; MSC_NONE. */
uint32_t msc_id_of(const struct msc_shared *sh, const uint8_t pk[REC_PK_LEN]);

/* ---- mesh_core_metrics.c ---- */

/* A core call at now: run the full-view check when one is due. */
void msc_check(struct msc_shared *sh, struct mn_time now);
/* The ping deadline of node c (mono), MN_NEVER when none is due. */
mn_ns msc_ping_deadline(const struct msc *c);
/* The ping deadline passed: plan the pings (first node), send ours. */
void msc_ping_fire(struct msc *c, struct mn_time now);
/* An IP packet came out of c's node core. */
void msc_tun_out(struct msc *c, const uint8_t *pkt, size_t len, struct mn_time now);
bool msc_metric(const void *shared, uint32_t idx, int64_t *milli);
extern const char *const msc_metric_names[MM__COUNT];
extern const char *const msc_metric_helps[MM__COUNT];

#endif
