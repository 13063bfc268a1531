/* swim_core.c - gossip/swim.c driven by the simulator: the sim_core_ops
 * table and the adapter behind it; see swim_core.h.
 *
 * Beside it: swim_core_store.c (where a node keeps its state in a run, and
 * the restart), swim_core_node.h (the state both share), swim_fixture.c
 * (the run's keys, grant, invite and records), xmemo.c (the X25519 memo),
 * swim_core_params.c (core_param lines) and store/swim_persist.c (a node's
 * LMDB store, as the daemon keeps it).
 *
 * Timers: none of its own. Every call maps to one swim call:
 *   recv -> swim_recv, poll_tx -> swim_poll_tx, next_deadline ->
 *   swim_next_deadline, on_timer -> swim_on_timer, view_digest ->
 *   swim_view_digest, crash/destroy -> swim_del,
 *   inject -> swim_publish of the node's next record version,
 *   revoke -> swim_revoke of a tombstone the fixture signs,
 *   has_member -> swim_member, addr_changed -> swim_publish as well (see
 *   below).
 *
 * Events: SWIM_EV_SUSPECT/DEAD/ALIVE -> sim_env_observe(subject id);
 * SWIM_EV_RECORD -> the held version moves up, each newly held version is
 * reported with sim_env_learned, and the record is persisted;
 * SWIM_EV_SELF_INC -> persisted incarnation; SWIM_EV_BOOT -> persisted boot
 * number; SWIM_EV_REMOVED -> the record is deleted from the store;
 * SWIM_EV_REVOKED -> the revocation is reported held with sim_env_learned
 * and the tombstone stored (STORE_REVOKED; store memory: swc_persist).
 *
 * Persistence (core_param store, see swim_core.h): with `store lmdb` each
 * node has its own LMDB environment in a directory of the run's temporary
 * directory, driven through store/swim_persist.h: the writes swim's events
 * ask for during one call of the engine (create, recv, on_timer, inject,
 * revoke, addr_changed, a preload inside one of them) are one transaction,
 * committed when the call returns (call_end), so SWIM_EV_BOOT is committed
 * before the first datagram leaves. A crash aborts what is open (nothing,
 * between calls) and closes the environment; a restart opens it again and
 * the node is rebuilt from it alone: identity, incarnation and boot number,
 * every tombstone through swim_restore_revoke, then every record through
 * swim_restore. With `store memory` struct swc_persist is the stand-in
 * (key, incarnation, boot, held[] naming the records, the tombstones),
 * for runs too large for an environment per node (DESIGN.md §8). Both
 * rebuild the same node, in the same order, so a run's trace does not
 * depend on the backend.
 *
 * Memory per node, beside swim's own ~100 bytes per member: this struct,
 * and in the persisted slot the key and one uint16_t per node id (the
 * version held), so 10,000 x 10,000 stays within a few hundred MB here.
 * With LMDB, per node: 3 file descriptors and two mappings while it runs,
 * and 1-2 KB of file (page cache, mapped) per record it holds.
 *
 * Determinism: keys and contacts come from the node's env->rng, the network
 * from the core's seed; tables here are indexed by node id or by the first
 * bytes of a hash, and nothing is iterated in pointer order.
 */
#include "swim_core.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "rtab.h"
#include "sim.h"
#include "swim_core_node.h"

/* ---- counters ---- */

static const char *const counter_names[C__COUNT] = {
	"pings", "acks", "ping_reqs", "indirect_acks", "nacks", "probes_failed",
	"suspicions", "deaths", "last_calls", "refutes", "gossips", "pushpulls", "dead_probes",
	"wants", "hellos", "records_learned", "capped_replies", "reprove_pings",
	"unasked_checks", "unasked_refused", "addr_refused", "rx_dropped",
	"ed25519_verified", "x25519_computed", "x25519_memo_hits", "incarnation_max",
	"store_commits", "store_writes", "rogue_sent",
};
_Static_assert((int)C__COUNT <= (int)SIM_MAX_CORE_COUNTERS, "counters fit the engine");

/* swim stats reported one to one, in enum swc_counter order up to C_DROPS */
static const enum swim_stat stat_map[C_DROPS] = {
	SWIM_STAT_PINGS, SWIM_STAT_ACKS, SWIM_STAT_PING_REQS, SWIM_STAT_INDIRECT_ACKS,
	SWIM_STAT_NACKS, SWIM_STAT_PROBES_FAILED, SWIM_STAT_SUSPICIONS, SWIM_STAT_DEATHS,
	SWIM_STAT_LAST_CALLS, SWIM_STAT_REFUTES, SWIM_STAT_GOSSIPS, SWIM_STAT_PUSHPULLS, SWIM_STAT_DEAD_PROBES,
	SWIM_STAT_WANTS, SWIM_STAT_HELLOS, SWIM_STAT_RECORDS_LEARNED, SWIM_STAT_CAPPED_REPLY,
	SWIM_STAT_REPROVE_PINGS, SWIM_STAT_UNASKED_CHECKS, SWIM_STAT_UNASKED_REFUSED,
	SWIM_STAT_DROP_ADDR,
};

static const enum swim_stat drop_stats[] = {
	SWIM_STAT_DROP_NOT_SEALED, SWIM_STAT_DROP_NOT_FOR_US, SWIM_STAT_DROP_NON_MEMBER,
	SWIM_STAT_DROP_REPLAY, SWIM_STAT_DROP_AUTH, SWIM_STAT_DROP_MALFORMED,
	SWIM_STAT_DROP_TX_FULL, SWIM_STAT_DROP_RELAY_FULL, SWIM_STAT_DROP_INC_JUMP,
	SWIM_STAT_DROP_HELLO,
};

/* ---- shared state ---- */

/* ---- memos ---- */

static bool xm_get(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN], uint8_t shared[SEAL_KEY_LEN])
{
	struct swc *c = ctx;

	if (!xmemo_get(&c->sh->xm, key, shared))
		return false;
	sim_env_count(c->env, C_X25519_HITS, 1);
	return true;
}

static void xm_put(void *ctx, const uint8_t key[SEAL_MEMO_KEY_LEN],
		   const uint8_t shared[SEAL_KEY_LEN])
{
	struct swc *c = ctx;

	xmemo_put(&c->sh->xm, key, shared);
	sim_env_count(c->env, C_X25519, 1);
}

/* ---- datums ---- */

static uint64_t datum_key(uint32_t id, uint32_t seq)
{
	return (uint64_t)(id + 1) << 32 | seq;
}

/* The datum of node id's revocation: the top bit sets it apart from the
 * record versions' keys (node ids stay below 2^16, so theirs below 2^48). */
static uint64_t revoke_key(uint32_t id)
{
	return UINT64_C(1) << 63 | id;
}

/* The datum of node id sending from addr (a move, timed by the move_*
 * metrics): bit 62 sets it apart from the two kinds above. */
static uint64_t move_key(uint32_t id, const struct mn_addr *addr)
{
	uint32_t ip = addr->sa.sa_family == AF_INET ? ntohl(addr->in4.sin_addr.s_addr) : 0;

	return UINT64_C(1) << 62 | (uint64_t)id << 32 | ip;
}

/* ---- the record store ---- */

/* The rtab behind a shortcut: when the adapter hands swim an interned
 * record (restore, preload), the bytes swim looks up are that record's own
 * bytes, the same memory, so no hashing of ~500 bytes is needed to find it
 * (10^8 lookups in a 10,000-node preload). Anything else goes to the rtab,
 * which hashes and compares the bytes in full. */
static const struct swim_rec *find_hint(void *ctx, const uint8_t *bytes, size_t len)
{
	struct swc_shared *sh = ctx;

	if (sh->hint && bytes == sh->hint->bytes && len == sh->hint->len)
		return sh->hint;
	return sh->rt_store.find(sh->rt_store.ctx, bytes, len);
}

static const struct swim_rec *add_through(void *ctx, const uint8_t *bytes, size_t len,
					  const struct rec_member *m)
{
	struct swc_shared *sh = ctx;

	return sh->rt_store.add(sh->rt_store.ctx, bytes, len, m);
}

/* ---- shared ---- */

static void shared_del(void *p)
{
	struct swc_shared *sh = p;

	if (!sh)
		return;
	if (sh->dir)
		swc_run_dir_del(sh);
	swim_fixture_free(&sh->fx);
	xmemo_free(&sh->xm);
	free(sh->boot_addr);
	free(sh->up);
	free(sh->rogue);
	free(sh->cores);
	free(sh->sig_req);
	free(sh);
}

static int shared_new(void **out, const struct sim_core_args *a, char *err, size_t errlen)
{
	struct swc_shared *sh = calloc(1, sizeof(*sh));
	uint32_t nodes = a->nodes ? a->nodes : 1;
	int rc;

	if (!sh)
		return MN_ENOMEM;
	sh->nodes = nodes;
	sh->booted = a->booted < nodes ? a->booted : nodes;
	if ((rc = swim_core_config(a, nodes, &sh->cfg, err, errlen)))
		goto fail;
	if (sh->cfg.lmdb && (rc = swc_run_dir_new(sh, err, errlen)))
		goto fail;
	rc = xmemo_init(&sh->xm, sh->cfg.x25519_memo);
	sh->up = calloc(nodes, sizeof(*sh->up));
	sh->boot_addr = calloc(nodes, sizeof(*sh->boot_addr));
	sh->rogue = calloc(nodes, sizeof(*sh->rogue));
	sh->cores = calloc(nodes, sizeof(*sh->cores));
	sh->sig_req = calloc(nodes, sizeof(*sh->sig_req));
	sh->victim = NONE;
	if (rc || !sh->up || !sh->boot_addr || !sh->rogue || !sh->cores || !sh->sig_req) {
		rc = MN_ENOMEM;
		snprintf(err, errlen, "swim: %s", mn_strerror(rc));
		goto fail;
	}
	if ((rc = swim_fixture_init(&sh->fx, nodes, a->seed, err, errlen)))
		goto fail;
	rtab_store(sh->fx.rt, &sh->rt_store);
	sh->store = sh->rt_store;
	sh->store.find = find_hint;
	sh->store.ctx = sh;
	sh->store.add = add_through;
	*out = sh;
	return MN_OK;
fail:
	shared_del(sh);
	return rc;
}

/* ---- counters ---- */

static void report(struct swc *c)
{
	struct swc_shared *sh = c->sh;
	uint64_t drops = 0;

	for (uint32_t j = 0; j < C_DROPS; j++) {
		uint64_t v = swim_stat(c->s, stat_map[j]);
		if (v != c->reported[j]) {
			sim_env_count(c->env, j, v - c->reported[j]);
			c->reported[j] = v;
		}
	}
	for (size_t j = 0; j < sizeof(drop_stats) / sizeof(drop_stats[0]); j++)
		drops += swim_stat(c->s, drop_stats[j]);
	if (drops != c->reported[C_DROPS]) {
		sim_env_count(c->env, C_DROPS, drops - c->reported[C_DROPS]);
		c->reported[C_DROPS] = drops;
	}
	if (sh->fx.memo.verified != sh->memo_reported) {
		sim_env_count(c->env, C_ED25519, sh->fx.memo.verified - sh->memo_reported);
		sh->memo_reported = sh->fx.memo.verified;
	}
}

/* ---- events ---- */

static void held_up(struct swc *c, uint32_t subj, uint32_t seq)
{
	uint16_t *held = &c->ps->held[subj];
	uint32_t from = (uint32_t)*held + 1;

	if (seq <= *held)
		return;
	if (seq - from >= SWC_LEARN_STEP)
		from = seq - SWC_LEARN_STEP + 1;
	*held = (uint16_t)seq;
	for (uint32_t k = from; k <= seq; k++)
		sim_env_learned(c->env, datum_key(subj, k));
}

/* SWIM_EV_REVOKED: swim added a tombstone to its table. The node now holds
 * the revocation of its target (the datum the engine times), and keeps it
 * (store memory here; store lmdb in on_event). */
static void on_revoked(struct swc *c, const struct swim_event *ev)
{
	struct rec_revoke t;
	uint32_t target;

	if (rec_revoke_decode(&t, ev->tomb, ev->tomb_len) == MN_OK &&
	    (target = swim_fixture_id_of(&c->sh->fx, t.target_pk)) != NONE)
		sim_env_learned(c->env, revoke_key(target));
	swc_keep_tomb(c, ev);
}

/* swim moved a member to another address: where this node now sends it
 * (a move's datum once it is the mover's new one). */
static void on_addr(void *ctx, const struct swim_addr_change *ch)
{
	struct swc *c = ctx;
	uint32_t subj = swim_fixture_subject(&c->sh->fx, ch->rec);

	if (subj != NONE)
		sim_env_learned(c->env, move_key(subj, &ch->addr));
}

static void on_event(void *ctx, const struct swim_event *ev)
{
	struct swc *c = ctx;
	struct swc_shared *sh = c->sh;
	uint32_t subj = swim_fixture_subject(&sh->fx, ev->rec);

	switch (ev->kind) {
	case SWIM_EV_SUSPECT:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_SUSPECT, subj);
		break;
	case SWIM_EV_DEAD:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_DEAD, subj);
		break;
	case SWIM_EV_ALIVE:
		if (subj != NONE)
			sim_env_observe(c->env, SIM_OBS_ALIVE, subj);
		break;
	case SWIM_EV_RECORD:
		/* persist: the store now holds this version (memory: held[]) */
		if (subj != NONE && swim_fixture_seq(ev->rec) != 0)
			held_up(c, subj, swim_fixture_seq(ev->rec));
		break;
	case SWIM_EV_SELF_INC:
		if (!c->sp)
			c->ps->inc = ev->inc;
		if (ev->inc > sh->inc_max) {
			sim_env_count(c->env, C_INC_MAX, ev->inc - sh->inc_max);
			sh->inc_max = ev->inc;
		}
		break;
	case SWIM_EV_REMOVED:
		if (subj != NONE)
			c->ps->held[subj] = 0;
		break;
	case SWIM_EV_BOOT:
		if (!c->sp)
			c->ps->boot = ev->boot;
		break;
	case SWIM_EV_REVOKED:
		on_revoked(c, ev);
		break;
	}
	if (c->sp)
		swim_persist_event(c->sp, ev); /* store lmdb: the write the event asks for */
}

/* ---- lifecycle ---- */

/* Every engine call into a node begins and ends here: the signature
 * checks it asked for are the node's (sig_checks_*), and what it wrote is
 * committed (store lmdb). */
static void call_begin(struct swc *c)
{
	c->sig_mark = swc_sig_total(c->sh);
}

static void call_end(struct swc *c)
{
	c->sh->sig_req[c->env->node_id] += swc_sig_total(c->sh) - c->sig_mark;
	c->sig_mark = swc_sig_total(c->sh);
	swc_call_end(c);
}

static bool contact_ok(const struct swc *c, uint32_t id, const uint32_t *got, uint32_t n)
{
	if (id == c->env->node_id || !c->sh->up[id] || !c->sh->fx.cur[id])
		return false;
	for (uint32_t j = 0; j < n; j++)
		if (got[j] == id)
			return false;
	return true;
}

void swc_learn_one(struct swc *c, uint32_t id, const struct swim_rec *r, struct mn_time now,
		      bool announce)
{
	const struct mn_addr *addr = &c->sh->boot_addr[id];

	if (addr->sa.sa_family == AF_UNSPEC)
		return;
	c->sh->hint = r;
	if (announce)
		swim_learn(c->s, r->bytes, r->len, addr, now);
	else
		swim_restore(c->s, r->bytes, r->len, addr, now);
	c->sh->hint = NULL;
}

/* First boot: a few random running nodes, as an invite's seed list would
 * name them, with the address each had when the run started. */
static void bootstrap(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;
	uint32_t got[SWC_MAX_BOOTSTRAP], n = 0, nodes = sh->nodes, want = sh->cfg.bootstrap;

	for (uint32_t t = 0; t < 32 * want && n < want; t++) {
		uint32_t id = mn_rng_uniform(&c->env->rng, nodes);
		if (contact_ok(c, id, got, n))
			got[n++] = id;
	}
	if (n < want) {
		/* few nodes run yet: take them in order from a random start */
		uint32_t start = mn_rng_uniform(&c->env->rng, nodes);
		for (uint32_t k = 0; k < nodes && n < want; k++) {
			uint32_t id = (start + k) % nodes;
			if (contact_ok(c, id, got, n))
				got[n++] = id;
		}
	}
	for (uint32_t j = 0; j < n; j++)
		swc_learn_one(c, got[j], sh->fx.cur[got[j]], now, true);
}

/* `preload 1`: a node of the initial set starts with every initial node's
 * record in its store, as after an earlier run of the network, so a
 * measurement starts from an established membership instead of thousands
 * of simultaneous cold joins (doc/gossip.md §13: the join protocol that
 * would hand a newcomer the member list is still to do). Done at the
 * node's first call rather than in create, so that with every initial node
 * booting at time 0 (boot_spread 0) all their records exist by then. */
static void preload(struct swc *c, struct mn_time now)
{
	struct swc_shared *sh = c->sh;

	c->preload_due = false;
	for (uint32_t id = 0; id < sh->booted; id++) {
		if (id != c->env->node_id && sh->fx.cur[id])
			swc_learn_one(c, id, sh->fx.cur[id], now, false);
	}
}

/* The end of a boot (crash, destroy, a failed create): whatever no call
 * committed is lost (nothing, between calls) and the environment closes. */
static void node_free(struct swc *c)
{
	swim_del(c->s);
	swim_persist_close(c->sp);
	rec_key_wipe(&c->key);
	c->sh->up[c->env->node_id] = 0;
	c->sh->cores[c->env->node_id] = NULL;
	free(c);
}

static int create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct swc_shared *sh = env->shared;
	struct swc *c = calloc(1, sizeof(*c));
	struct swim_config cfg;
	const struct swim_rec *me;
	uint8_t me_buf[REC_MEMBER_MAX];
	const uint8_t *me_bytes;
	size_t me_len;
	uint32_t inc = 0, boot = 0;
	bool inc_lost = false, first = false;
	int rc = MN_OK;

	if (!c)
		return MN_ENOMEM;
	c->env = env;
	c->sh = sh;
	call_begin(c);
	if (sh->boot_addr[env->node_id].sa.sa_family == AF_UNSPEC &&
	    !env->bootstrap_addr(env->ctx, env->node_id, &sh->boot_addr[env->node_id])) {
		free(c);
		return MN_EINVAL;
	}
	if (!*env->persist) {
		struct swc_persist *ps = calloc(1, sizeof(*ps));
		if (!ps || !(ps->held = calloc(sh->nodes, sizeof(*ps->held)))) {
			free(ps);
			free(c);
			return MN_ENOMEM;
		}
		if (!sh->dir)
			rec_key_generate(&ps->key, &env->rng);
		*env->persist = ps;
		first = true;
	}
	c->ps = *env->persist;
	/* identity, incarnation, boot number */
	if (!sh->dir) {
		c->key = c->ps->key;
		inc = c->ps->inc;
		boot = c->ps->boot;
	} else if (first) {
		rc = swc_store_first_boot(c);
	} else {
		rc = swc_store_restart(c, &inc, &inc_lost, &boot);
	}
	if (sh->dir && rc)
		goto fail;
	if (!sh->fx.hist[env->node_id].n &&
	    (rc = swim_fixture_sign_record(&sh->fx, env->node_id, &c->key,
					   now.wall / MN_NS_PER_MS, &me)) != MN_OK)
		goto fail;
	/* our own record: the newest we signed, or on a restart with store
	 * lmdb the one the store holds (the interned record when the bytes
	 * are one of the run's, else swim_new verifies them as any record) */
	me = sh->fx.cur[env->node_id];
	me_bytes = me->bytes;
	me_len = me->len;
	if (sh->dir && !first) {
		if ((rc = swim_persist_load_self(c->sp, c->key.pk, me_buf, sizeof(me_buf), &me_len)))
			goto fail;
		me = sh->rt_store.find(sh->rt_store.ctx, me_buf, me_len);
		me_bytes = me ? me->bytes : me_buf;
	}
	/* what the node held is reported again as swim adopts it (the engine
	 * forgot it at the crash) */
	if (sh->dir)
		memset(c->ps->held, 0, sh->nodes * sizeof(*c->ps->held));
	c->ps->held[env->node_id] = 0;
	c->xmemo.get = xm_get;
	c->xmemo.put = xm_put;
	c->xmemo.ctx = c;
	/* no conversion hooks: swim converts each key once, when its record
	 * is interned (swim_rec.xpk) */
	c->xmemo.pair_keyed = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = sh->cfg.p;
	cfg.net = &sh->fx.net;
	cfg.key = &c->key;
	cfg.record = me_bytes;
	cfg.record_len = me_len;
	cfg.incarnation = inc;
	cfg.incarnation_lost = inc_lost;
	cfg.boot = boot;
	cfg.rng = env->rng;
	cfg.store = &sh->store;
	cfg.anns = sh->fx.anns;
	cfg.memo = &sh->fx.memo;
	cfg.seal_memo = &c->xmemo;
	cfg.event = on_event;
	cfg.event_ctx = c;
	cfg.addr_changed = on_addr;
	cfg.hook_ctx = c;
	sh->hint = me;
	swc_set_restoring(c, !first); /* our own record, from the store */
	rc = swim_new(&c->s, &cfg, now);
	swc_set_restoring(c, false);
	sh->hint = NULL;
	if (rc)
		goto fail;
	/* where we are: a move's announcement says we were here */
	swim_set_local_addrs(c->s, &env->addr, 1, false, now);
	sh->up[env->node_id] = 1;
	sh->cores[env->node_id] = c;
	if (sh->rogue[env->node_id]) /* a rogue restarted: it goes on */
		c->rogue_at = now.mono + sh->cfg.p.gossip_interval_ns;
	if (first && sh->cfg.preload && env->node_id < sh->booted)
		c->preload_due = true;
	else if (first)
		bootstrap(c, now);
	else
		rc = swc_restore(c, now);
	if (!rc) {
		call_end(c); /* SWIM_EV_BOOT is durable before anything is sent */
		rc = c->store_err;
	}
	if (rc)
		goto fail;
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
	struct swc *c = core;

	report(c);
	node_free(c);
}

static void on_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		    struct mn_time now)
{
	struct swc *c = core;

	call_begin(c);
	if (c->preload_due)
		preload(c, now);
	swim_recv(c->s, from, buf, len, now); /* drops are counted by swim */
	call_end(c);
}

static int poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct swc *c = core;

	return swim_poll_tx(c->s, buf, cap, len, dst);
}

static mn_ns next_deadline(const void *core)
{
	const struct swc *c = core;
	mn_ns d = swim_next_deadline(c->s), r = swc_rogue_deadline(c);

	if (r != MN_NEVER && (d == MN_NEVER || mn_time_before(r, d)))
		return r;
	return d;
}

static void on_timer(void *core, struct mn_time now)
{
	struct swc *c = core;
	mn_ns d;

	call_begin(c);
	if (c->preload_due)
		preload(c, now);
	swc_rogue_on_timer(c, now);
	/* an honest node's timer is swim's alone; a rogue's may be its round */
	d = swim_next_deadline(c->s);
	if (swc_rogue_deadline(c) == MN_NEVER || (d != MN_NEVER && mn_time_after_eq(now.mono, d)))
		swim_on_timer(c->s, now);
	report(c);
	call_end(c);
}

/* The node's next record version, published. */
static int publish(struct swc *c, struct mn_time now, uint32_t *seq)
{
	const struct swim_rec *r;
	int rc;

	if (c->preload_due)
		preload(c, now);
	rc = swim_fixture_sign_record(&c->sh->fx, c->env->node_id, &c->key,
				      now.wall / MN_NS_PER_MS, &r);
	if (rc)
		return rc;
	*seq = c->sh->fx.hist[c->env->node_id].n;
	c->sh->hint = r;
	rc = swim_publish(c->s, r->bytes, r->len, now);
	c->sh->hint = NULL;
	return rc;
}

static int inject(void *core, uint32_t datum, struct mn_time now, uint64_t *key)
{
	struct swc *c = core;
	uint32_t seq;
	int rc;

	call_begin(c);
	rc = publish(c, now, &seq);
	(void)datum;
	call_end(c);
	if (rc)
		return rc;
	*key = datum_key(c->env->node_id, seq);
	return MN_OK;
}

/* The host moved, as the daemon sees it (its address watch): peers learn a
 * member's address from its own authenticated traffic once it proves it
 * receives there, so the node re-proves it to every member at once
 * (swim_local_addr_changed, as the daemon's node_local_addrs_changed does),
 * and publishes a new record version. The move is timed until each node
 * sends to the new address (on_addr). */
static void addr_changed(void *core, const struct mn_addr *addr, struct mn_time now,
			 uint64_t *key)
{
	struct swc *c = core;
	uint32_t seq;

	call_begin(c);
	publish(c, now, &seq);
	swim_set_local_addrs(c->s, addr, 1, true, now);
	swim_local_addr_changed(c->s, now);
	*key = move_key(c->env->node_id, addr);
	call_end(c);
}

/* This node is the admin's node of a `meshnode kick`: swim_revoke keeps,
 * applies and spreads the tombstone (SWIM_EV_REVOKED stores it here as on
 * every node that hears of it). */
static int revoke(void *core, uint32_t target, struct mn_time now, uint64_t *key)
{
	struct swc *c = core;
	uint8_t buf[REC_REVOKE_MAX];
	size_t len;
	int rc;

	if (target >= c->sh->nodes || !c->sh->fx.hist[target].n)
		return MN_EINVAL; /* never booted: no key to revoke */
	call_begin(c);
	if (c->preload_due)
		preload(c, now);
	rc = swim_fixture_sign_tomb(&c->sh->fx, target, c->sh->cfg.revoke_by_root,
				    now.wall / MN_NS_PER_MS, buf, sizeof(buf), &len);
	if (!rc)
		rc = swim_revoke(c->s, buf, len, now);
	call_end(c);
	if (rc)
		return rc;
	*key = revoke_key(target);
	return MN_OK;
}

static bool has_member(const void *core, uint32_t subject)
{
	const struct swc *c = core;
	struct swim_member_info mi;

	if (subject >= c->sh->nodes || !c->sh->fx.hist[subject].n)
		return false;
	return swim_member(c->s, swim_fixture_pk(&c->sh->fx, subject), &mi) == MN_OK;
}

static uint64_t view_digest(const void *core)
{
	const struct swc *c = core;

	return swim_view_digest(c->s);
}

const struct swim *swim_core_swim(const void *core)
{
	const struct swc *c = core;

	return c->s;
}

const uint8_t *swim_core_pk(const void *core)
{
	const struct swc *c = core;

	return c->key.pk;
}

const struct sim_core_ops swim_core_ops = {
	.name = "swim",
	.counter_names = counter_names,
	.ncounters = C__COUNT,
	.shared_new = shared_new,
	.shared_del = shared_del,
	.create = create,
	.destroy = destroy,
	.crash = crash,
	.persist_free = swc_persist_free,
	.recv = on_recv,
	.poll_tx = poll_tx,
	.next_deadline = next_deadline,
	.on_timer = on_timer,
	.inject = inject,
	.revoke = revoke,
	.has_member = has_member,
	.addr_changed = addr_changed,
	.view_digest = view_digest,
	.rogue = swc_rogue,
	.metric_names = swc_metric_names,
	.metric_helps = swc_metric_helps,
	.nmetrics = SWC_NMETRICS,
	.metric = swc_metric,
};
