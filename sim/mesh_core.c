/* mesh_core.c - the mesh node (node/node.h, node/join.h) driven by the
 * simulator: the sim_core_ops table, node lifecycle and I/O; see
 * mesh_core.h.
 *
 * Beside it: mesh_core_join.c (the run's network, the joiner, the
 * admitter's member table), mesh_core_metrics.c (the full-view check,
 * pings, the core's metrics), mesh_core_node.h (the state they share).
 *
 * Per call:
 *   joining   recv -> join_recv, on_timer -> join_on_timer, poll_tx ->
 *             join_poll_tx, next_deadline -> join_next_deadline; on
 *             JOIN_DONE the record is signed and node_new starts the node,
 *             which learns its admitter from the ACCEPT; on a refusal or
 *             the timeout the join starts again through another member
 *   member    recv -> node_recv (join messages reach the admitter through
 *             node_config.unsealed; an IP packet that comes out is a
 *             ping's), on_timer -> node_on_timer, poll_tx -> the admitter's
 *             replies then node_poll_tx through one transmit batch the run
 *             shares (the engine drains one node before it calls another)
 *
 * Persistence: in memory (struct msc_persist): key, record, incarnation,
 * boot number, which members the node held. A restart builds the node from
 * them: node_new with its record, then swim_restore of each held member's
 * record at its address.
 *
 * Determinism: keys, nonces and member picks come from env->rng; tables are
 * indexed by node id. */
#include "mesh_core.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh_core_node.h"
#include "mn_err.h"
#include "scn.h"
#include "sim.h"

static const char *const counter_names[MC__COUNT] = {
	"join_starts", "join_accepts", "join_retries", "admissions", "restarts",
	"pings_sent", "pings_delivered", "tun_dropped", "ed25519_verified", "x25519_computed",
};
_Static_assert((int)MC__COUNT <= (int)SIM_MAX_CORE_COUNTERS, "counters fit the engine");

mn_ns msc_run_time(struct mn_time now)
{
	return now.wall - SIM_WALL_EPOCH_NS;
}

/* ---- shared ---- */

static void shared_del(void *p)
{
	struct msc_shared *sh = p;

	if (!sh)
		return;
	msc_network_free(sh);
	xmemo_free(&sh->xm);
	free(sh->cores);
	free(sh->addr);
	free(sh->pk);
	free(sh->has_pk);
	free(sh->rec);
	free(sh->adm);
	free(sh->adm_by);
	free(sh->join_start);
	free(sh->full_at);
	free(sh->txb);
	free(sh);
}

static int params(struct msc_shared *sh, const struct sim_core_args *a, char *err, size_t errlen)
{
	const char *prof = a->profile ? a->profile : "lan";
	uint32_t nrandom = 0;

	for (uint32_t i = 0; i < a->nparams; i++) {
		const struct sim_param *p = &a->params[i];
		uint64_t v;
		if (strcmp(p->key, "profile") == 0) {
			if (strcmp(p->value, "lan") != 0 && strcmp(p->value, "wan") != 0)
				return simcore_param_err(err, errlen, p, "want lan or wan");
			prof = p->value;
		} else if (strcmp(p->key, "pings") == 0) {
			if (scn_parse_u64(p->value, &v) || v > MSC_MAX_PINGS)
				return simcore_param_err(err, errlen, p, "want 0..64");
			nrandom = (uint32_t)v;
		} else if (strcmp(p->key, "ping_pair") == 0) {
			unsigned src, dst;
			char end;
			if (sscanf(p->value, "%u:%u%c", &src, &dst, &end) != 2 || src == dst ||
			    src >= sh->nodes || dst >= sh->nodes)
				return simcore_param_err(err, errlen, p, "want A:B, two node ids");
			if (sh->npairs == MSC_MAX_PINGS)
				return simcore_param_err(err, errlen, p, "too many pings");
			sh->ping[sh->npairs].src = src;
			sh->ping[sh->npairs].dst = dst;
			sh->npairs++;
		} else if (strcmp(p->key, "ping_at") == 0) {
			if (scn_parse_duration(p->value, &sh->ping_at))
				return simcore_param_err(err, errlen, p, "want a duration");
		} else {
			return simcore_param_err(err, errlen, p, "unknown key (see sim/mesh_core.h)");
		}
	}
	if (sh->npairs + nrandom > MSC_MAX_PINGS)
		return simcore_param_err(err, errlen, &a->params[a->nparams - 1],
					 "more than 64 pings in all");
	sh->npings = sh->npairs + nrandom;
	if (strcmp(prof, "wan") == 0)
		swim_params_wan(&sh->params);
	else
		swim_params_lan(&sh->params);
	return MN_OK;
}

static int shared_new(void **out, const struct sim_core_args *a, char *err, size_t errlen)
{
	struct msc_shared *sh = calloc(1, sizeof(*sh));
	uint32_t n = a->nodes ? a->nodes : 1;
	int rc;

	if (!sh)
		return MN_ENOMEM;
	sh->nodes = n;
	if ((rc = params(sh, a, err, errlen)))
		goto fail;
	sh->cores = calloc(n, sizeof(*sh->cores));
	sh->addr = calloc(n, sizeof(*sh->addr));
	sh->pk = calloc(n, sizeof(*sh->pk));
	sh->has_pk = calloc(n, sizeof(*sh->has_pk));
	sh->rec = calloc(n, sizeof(*sh->rec));
	sh->adm = calloc(n, sizeof(*sh->adm));
	sh->adm_by = malloc(n * sizeof(*sh->adm_by));
	sh->join_start = malloc(n * sizeof(*sh->join_start));
	sh->full_at = malloc(n * sizeof(*sh->full_at));
	sh->txb = malloc(sizeof(*sh->txb));
	rc = xmemo_init(&sh->xm, xmemo_default_entries(n));
	if (rc || !sh->cores || !sh->addr || !sh->pk || !sh->has_pk || !sh->rec || !sh->adm ||
	    !sh->adm_by || !sh->join_start || !sh->full_at || !sh->txb) {
		rc = MN_ENOMEM;
		snprintf(err, errlen, "mesh: %s", mn_strerror(rc));
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		sh->adm_by[i] = MSC_NONE;
		sh->join_start[i] = MN_NEVER;
		sh->full_at[i] = MN_NEVER;
	}
	for (uint32_t k = 0; k < MSC_MAX_PINGS; k++)
		sh->ping[k].sent = sh->ping[k].delivered = MN_NEVER;
	if ((rc = msc_network_new(sh, a->seed, err, errlen)))
		goto fail;
	*out = sh;
	return MN_OK;
fail:
	shared_del(sh);
	return rc;
}

static void persist_free(void *p)
{
	struct msc_persist *ps = p;

	if (!ps)
		return;
	rec_key_wipe(&ps->key);
	free(ps->held);
	free(ps);
}

/* ---- memos, events ---- */

static bool xm_get(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], uint8_t shared[SEAL_KEY_LEN])
{
	struct msc *c = ctx;

	return xmemo_get(&c->sh->xm, key, shared);
}

static void xm_put(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		   const uint8_t shared[SEAL_KEY_LEN])
{
	struct msc *c = ctx;

	xmemo_put(&c->sh->xm, key, shared);
	sim_env_count(c->env, MC_X25519, 1);
}

static uint32_t subject(const struct msc *c, const struct swim_rec *r)
{
	uint32_t id;

	if (!r)
		return MSC_NONE;
	id = (uint32_t)(r->user & UINT32_MAX);
	return id != 0 && id <= c->sh->nodes ? id - 1 : msc_id_of(c->sh, r->pk);
}

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct msc *c = ctx;
	uint32_t subj = subject(c, ev->rec);

	switch (ev->kind) {
	case SWIM_EV_SUSPECT:
	case SWIM_EV_DEAD:
	case SWIM_EV_ALIVE:
		if (subj != MSC_NONE)
			sim_env_observe(c->env,
					ev->kind == SWIM_EV_SUSPECT ? SIM_OBS_SUSPECT :
					ev->kind == SWIM_EV_DEAD    ? SIM_OBS_DEAD :
								      SIM_OBS_ALIVE,
					subj);
		break;
	case SWIM_EV_RECORD:
		if (subj != MSC_NONE && subj != c->id)
			c->ps->held[subj] = 1;
		break;
	case SWIM_EV_REMOVED:
		if (subj != MSC_NONE)
			c->ps->held[subj] = 0;
		break;
	case SWIM_EV_SELF_INC:
		c->ps->inc = ev->inc;
		break;
	case SWIM_EV_BOOT:
		c->ps->boot = ev->boot;
		break;
	default:
		break;
	}
}

static void report(struct msc *c)
{
	struct msc_shared *sh = c->sh;

	if (sh->memo.verified != sh->memo_reported) {
		sim_env_count(c->env, MC_ED25519, sh->memo.verified - sh->memo_reported);
		sh->memo_reported = sh->memo.verified;
	}
}

/* ---- lifecycle ---- */

static void halt_rc(struct msc *c, int rc, const char *what)
{
	char why[96];

	snprintf(why, sizeof(why), "%s: %s", what, mn_strerror(rc));
	sim_env_halt(c->env, rc, why);
}

/* The first start after the join: the admitter's record from the ACCEPT,
 * at the address that answered (kept, as a daemon keeps it in its store).
 * swim holds it without its own admitter (it admitted us); the rest of its
 * chain comes by push-pull, and records that come before their admitter
 * wait in swim's orphan pool. */
static void learn_first(struct msc *c, struct mn_time now)
{
	uint8_t buf[REC_MEMBER_MAX];
	size_t len;

	c->ps->admitter = msc_id_of(c->sh, c->j.admitter.adm.node_pk);
	c->ps->admitter_addr = c->j.admitted_by;
	/* then as the daemon's first start (daemon/mesh.c, introduce): the
	 * HELLO, the join sync at once, the announcement */
	if (rec_member_encode(&c->j.admitter, buf, sizeof(buf), &len) == MN_OK &&
	    swim_learn(node_swim(c->n), buf, len, &c->ps->admitter_addr, now) == MN_OK)
	{
		swim_introduce(node_swim(c->n), c->j.admitter.adm.node_pk, now);
		swim_announce(node_swim(c->n), now);
	}
}

/* A restart: the members we held, back into swim in one pass, in store
 * (node id) order; a record whose admitter comes later waits in swim's
 * orphan pool and is adopted with it. */
static void restore(struct msc *c, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	uint8_t *held = malloc(sh->nodes);
	uint32_t a;

	if (!held) {
		halt_rc(c, MN_ENOMEM, "restart");
		return;
	}
	memcpy(held, c->ps->held, sh->nodes);
	memset(c->ps->held, 0, sh->nodes); /* SWIM_EV_RECORD sets what swim takes back */
	for (uint32_t i = 0; i < sh->nodes; i++)
		if (held[i] && sh->rec[i])
			swim_restore(node_swim(c->n), sh->rec[i]->bytes, sh->rec[i]->len,
				     &sh->addr[i], now);
	free(held);
	/* crashed before it held anyone (its admitter had not answered yet):
	 * its admitter again, else nobody would ever know it */
	a = c->ps->admitter;
	if (a != MSC_NONE && sh->rec[a] && !c->ps->held[a])
		swim_learn(node_swim(c->n), sh->rec[a]->bytes, sh->rec[a]->len,
			   &c->ps->admitter_addr, now);
}

/* Start the node core with our record, and the admitter answering through
 * it; then, on a restart, the members we held, else (after the join) the
 * member that admitted us. The genesis starts alone. */
static int start_node(struct msc *c, struct mn_time now, bool restart)
{
	struct msc_shared *sh = c->sh;
	struct node_config cfg;
	int rc;

	c->xmemo.get = xm_get;
	c->xmemo.put = xm_put;
	c->xmemo.ctx = c;
	c->xmemo.pair_keyed = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.swim.params = sh->params;
	cfg.swim.net = &sh->net;
	cfg.swim.key = &c->ps->key;
	cfg.swim.record = c->ps->rec->bytes;
	cfg.swim.record_len = c->ps->rec->len;
	cfg.swim.incarnation = c->ps->inc;
	cfg.swim.boot = c->ps->boot;
	cfg.swim.rng = c->env->rng;
	cfg.swim.store = &sh->store;
	cfg.swim.anns = sh->anns;
	cfg.swim.memo = &sh->memo;
	cfg.swim.seal_memo = &c->xmemo;
	cfg.swim.event = on_event;
	cfg.swim.event_ctx = c;
	cfg.unsealed = msc_unsealed;
	cfg.hook_ctx = c;
	if ((rc = node_new(&c->n, &cfg, now)))
		return rc;
	if ((rc = msc_admitter_init(c)))
		return rc;
	/* where we are, signed, as the daemon's start does (daemon/mesh.c):
	 * it goes with our HELLO and our record */
	swim_set_local_addrs(node_swim(c->n), &c->env->addr, 1, false, now);
	if (restart)
		restore(c, now);
	else if (c->id != 0)
		learn_first(c, now);
	return MN_OK;
}

static void node_free(struct msc *c)
{
	if (c->sh->txb_owner == c)
		c->sh->txb_owner = NULL;
	node_del(c->n);
	join_admitter_wipe(&c->adm);
	sodium_memzero(&c->j, sizeof(c->j));
	c->sh->cores[c->id] = NULL;
	free(c);
}

static int create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct msc_shared *sh = env->shared;
	struct msc *c = calloc(1, sizeof(*c));
	bool first = false;
	int rc;

	if (!c)
		return MN_ENOMEM;
	c->env = env;
	c->sh = sh;
	c->id = env->node_id;
	c->wall_off = (mn_ns)(now.wall - now.mono);
	sh->addr[c->id] = env->addr;
	if (!*env->persist) {
		struct msc_persist *ps = calloc(1, sizeof(*ps));
		if (!ps || !(ps->held = calloc(sh->nodes, 1))) {
			free(ps);
			free(c);
			return MN_ENOMEM;
		}
		rec_key_generate(&ps->key, &env->rng);
		ps->admitter = MSC_NONE;
		memcpy(sh->pk[c->id], ps->key.pk, REC_PK_LEN);
		sh->has_pk[c->id] = true;
		*env->persist = ps;
		first = true;
	}
	c->ps = *env->persist;
	sh->cores[c->id] = c;
	if (first && c->id == 0 && (rc = msc_genesis(c, now)))
		goto fail;
	if (c->ps->rec) {
		if ((rc = start_node(c, now, !first)))
			goto fail;
		if (!first)
			sim_env_count(env, MC_RESTARTS, 1);
	} else if ((rc = msc_join_start(c, now))) {
		goto fail;
	}
	*out = c;
	return MN_OK;
fail:
	node_free(c);
	return rc;
}

static void destroy(void *core)
{
	node_free(core);
}

static void crash(void *core)
{
	report(core);
	node_free(core);
}

/* ---- the joiner ---- */

static void join_after(struct msc *c, struct mn_time now)
{
	int rc;

	if (c->j.state == JOIN_DONE) {
		if ((rc = msc_join_done(c, now)) || (rc = start_node(c, now, false)))
			halt_rc(c, rc, "joined, but the node does not start");
	} else if (c->j.state == JOIN_REFUSED || c->j.state == JOIN_TIMEOUT) {
		sim_env_count(c->env, MC_JOIN_RETRIES, 1);
		if ((rc = msc_join_start(c, now)))
			halt_rc(c, rc, "join_start");
	}
}

/* ---- calls ---- */

static void on_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		    struct mn_time now)
{
	struct msc *c = core;
	struct msc_shared *sh = c->sh;
	size_t off, plen;

	msc_check(sh, now);
	if (c->joining) {
		if (join_recv(&c->j, from, buf, len, now.mono) == MN_OK)
			join_after(c, now);
		return;
	}
	memcpy(sh->rx, buf, len);
	if (node_recv(c->n, from, sh->rx, len, now, &off, &plen) == 1)
		msc_tun_out(c, sh->rx + off, plen, now);
}

static int poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct msc *c = core;
	struct msc_shared *sh = c->sh;
	struct node_txb *b = sh->txb;

	if (c->jq_head < c->jq_n) {
		uint32_t k = c->jq_head++;
		memcpy(buf, c->jq[k], c->jq_len[k]);
		*len = c->jq_len[k];
		*dst = c->jq_dst[k];
		if (c->jq_head == c->jq_n)
			c->jq_head = c->jq_n = 0;
		return 1;
	}
	if (c->joining)
		return join_poll_tx(&c->j, dst, buf, cap, len) ? 1 : 0;
	if (sh->txb_owner != c || sh->txb_pos == b->n) {
		node_txb_reset(b);
		sh->txb_pos = 0;
		sh->txb_owner = c;
		if (node_poll_tx(c->n, b) == 0) {
			sh->txb_owner = NULL;
			return 0;
		}
	}
	const struct node_tx *t = &b->tx[sh->txb_pos++];
	if (t->len > cap)
		return 0;
	memcpy(buf, t->buf, t->len);
	*len = t->len;
	*dst = t->dst;
	return 1;
}

static mn_ns next_deadline(const void *core)
{
	const struct msc *c = core;
	mn_ns d, p;

	if (c->joining)
		return c->via == MSC_NONE ? c->retry_at : join_next_deadline(&c->j);
	d = node_next_deadline(c->n);
	p = msc_ping_deadline(c);
	return p < d ? p : d;
}

static void on_timer(void *core, struct mn_time now)
{
	struct msc *c = core;

	msc_check(c->sh, now);
	if (c->joining) {
		join_on_timer(&c->j, now.mono);
		join_after(c, now);
		return;
	}
	if (now.mono >= node_next_deadline(c->n))
		node_on_timer(c->n, now);
	if (now.mono >= msc_ping_deadline(c))
		msc_ping_fire(c, now);
	report(c);
}

static bool has_member(const void *core, uint32_t subj)
{
	const struct msc *c = core;

	return subj < c->sh->nodes && c->n && c->ps->held[subj];
}

const struct node *mesh_core_node(const void *core)
{
	const struct msc *c = core;

	return c->n;
}

const struct sim_core_ops mesh_core_ops = {
	.name = "mesh",
	.counter_names = counter_names,
	.ncounters = MC__COUNT,
	.shared_new = shared_new,
	.shared_del = shared_del,
	.create = create,
	.destroy = destroy,
	.crash = crash,
	.persist_free = persist_free,
	.recv = on_recv,
	.poll_tx = poll_tx,
	.next_deadline = next_deadline,
	.on_timer = on_timer,
	.has_member = has_member,
	.metric_names = msc_metric_names,
	.metric_helps = msc_metric_helps,
	.nmetrics = MM__COUNT,
	.metric = msc_metric,
};
