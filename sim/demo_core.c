/* demo_core.c - push-pull flood of one version number; see demo_core.h.
 *
 * Timers: one, the tick, at next_tick: send PINGs, draw the next tick in
 * [interval/2, 3*interval/2).
 *
 * Wire format (all little-endian):
 *   0  magic 0x4d ('M': first byte >= 0x40 marks meshnode control, DESIGN.md §2)
 *   1  type: 1 PING, 2 PONG
 *   2  sender node id (4)
 *   6  sequence number (4): a PONG echoes its PING's
 *  10  version (8)
 *  18  zero padding up to `size`
 */
#include "demo_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"
#include "scn.h"

enum demo_limits {
	DEMO_MAGIC = 0x4d,
	DEMO_PING = 1,
	DEMO_PONG = 2,
	DEMO_HDR_LEN = 18,
	DEMO_MAX_FANOUT = 8,
	DEMO_MAX_TXQ = 16,         /* fanout PINGs plus a PONG fit with room */
	DEMO_MAX_LEARN_STEP = 4096, /* versions reported per adoption */
};

static const char *const counter_names[DEMO__COUNTERS] = {
	"pings_sent", "pings_recv", "pongs_recv", "bad_recv", "txq_full",
};

struct demo_shared {
	mn_ns interval_ns;
	uint32_t fanout;
	uint32_t size;
	bool persist;
	uint32_t nodes;
	struct mn_addr *dir; /* the oracle: every node's current address */
};

struct demo_msg {
	uint32_t to;
	uint8_t type;
	uint32_t seq;
	uint64_t version;
};

struct demo {
	const struct sim_env *env;
	struct demo_shared *sh;
	uint64_t version;
	uint64_t *saved;     /* the persisted version, when persist=1 */
	mn_ns next_tick;
	uint32_t seq;
	struct demo_msg txq[DEMO_MAX_TXQ];
	uint32_t txq_head, txq_len;
};

static int shared_new(void **out, const struct sim_core_args *args, char *err, size_t errlen)
{
	const struct sim_param *params = args->params;
	uint32_t nparams = args->nparams, nodes = args->nodes;
	struct demo_shared *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return MN_ENOMEM;
	sh->interval_ns = 200 * MN_NS_PER_MS;
	sh->fanout = 1;
	sh->size = 64;
	sh->nodes = nodes;
	int rc = MN_OK;
	for (uint32_t i = 0; i < nparams && !rc; i++) {
		const struct sim_param *p = &params[i];
		uint64_t v;
		if (strcmp(p->key, "interval") == 0) {
			if (scn_parse_duration(p->value, &sh->interval_ns) || sh->interval_ns < 2 ||
			    sh->interval_ns > 3600 * MN_NS_PER_SEC)
				rc = simcore_param_err(err, errlen, p, "want a duration, 2ns .. 1h");
		} else if (strcmp(p->key, "fanout") == 0) {
			if (scn_parse_u64(p->value, &v) || v < 1 || v > DEMO_MAX_FANOUT)
				rc = simcore_param_err(err, errlen, p, "want 1 .. 8");
			sh->fanout = (uint32_t)v;
		} else if (strcmp(p->key, "size") == 0) {
			if (scn_parse_u64(p->value, &v) || v < DEMO_HDR_LEN || v > SIM_MAX_DGRAM)
				rc = simcore_param_err(err, errlen, p, "want 18 .. 1472 bytes");
			sh->size = (uint32_t)v;
		} else if (strcmp(p->key, "persist") == 0) {
			if (scn_parse_u64(p->value, &v) || v > 1)
				rc = simcore_param_err(err, errlen, p, "want 0 or 1");
			sh->persist = v == 1;
		} else {
			rc = simcore_param_err(err, errlen, p, "unknown (interval, fanout, size, persist)");
		}
	}
	if (!rc) {
		sh->dir = calloc(nodes ? nodes : 1, sizeof(*sh->dir));
		if (!sh->dir)
			rc = MN_ENOMEM;
	}
	if (rc) {
		free(sh->dir);
		free(sh);
		return rc;
	}
	*out = sh;
	return MN_OK;
}

static void shared_del(void *p)
{
	struct demo_shared *sh = p;
	free(sh->dir);
	free(sh);
}

static mn_ns draw_tick(struct demo *d, mn_ns now)
{
	/* uniform in [iv/2, 3iv/2): a 32-bit draw scaled by the interval */
	mn_ns iv = d->sh->interval_ns;
	uint64_t r = mn_rng_u32(&d->env->rng);
	return now + iv / 2 + (mn_ns)(((unsigned __int128)r * iv) >> 32);
}

/* Hold version v: report every datum between the old version and v. */
static void adopt(struct demo *d, uint64_t v)
{
	if (v <= d->version)
		return;
	uint64_t from = d->version + 1;
	if (v - from >= DEMO_MAX_LEARN_STEP)
		from = v - DEMO_MAX_LEARN_STEP + 1;
	for (uint64_t k = from; k <= v; k++)
		sim_env_learned(d->env, k);
	d->version = v;
	if (d->saved)
		*d->saved = v;
}

static void queue(struct demo *d, uint32_t to, uint8_t type, uint32_t seq)
{
	if (d->txq_len == DEMO_MAX_TXQ) {
		sim_env_count(d->env, DEMO_TXQ_FULL, 1);
		return;
	}
	struct demo_msg *m = &d->txq[(d->txq_head + d->txq_len++) % DEMO_MAX_TXQ];
	m->to = to;
	m->type = type;
	m->seq = seq;
	m->version = d->version;
}

static int create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct demo *d = calloc(1, sizeof(*d));
	if (!d)
		return MN_ENOMEM;
	d->env = env;
	d->sh = env->shared;
	d->sh->dir[env->node_id] = env->addr;
	if (d->sh->persist) {
		if (!*env->persist) {
			*env->persist = calloc(1, sizeof(uint64_t));
			if (!*env->persist) {
				free(d);
				return MN_ENOMEM;
			}
		}
		d->saved = *env->persist;
		adopt(d, *d->saved);
	}
	d->next_tick = draw_tick(d, now.mono);
	*out = d;
	return MN_OK;
}

static void destroy(void *core)
{
	free(core);
}

static void on_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		 struct mn_time now)
{
	struct demo *d = core;
	if (len < DEMO_HDR_LEN || buf[0] != DEMO_MAGIC ||
	    (buf[1] != DEMO_PING && buf[1] != DEMO_PONG)) {
		sim_env_count(d->env, DEMO_BAD_RECV, 1);
		return;
	}
	uint32_t sender = mn_get_le32(buf + 2);
	uint32_t seq = mn_get_le32(buf + 6);
	if (sender >= d->sh->nodes) {
		sim_env_count(d->env, DEMO_BAD_RECV, 1);
		return;
	}
	adopt(d, mn_get_le64(buf + 10));
	if (buf[1] == DEMO_PING) {
		sim_env_count(d->env, DEMO_PINGS_RECV, 1);
		queue(d, sender, DEMO_PONG, seq);
	} else {
		sim_env_count(d->env, DEMO_PONGS_RECV, 1);
	}
}

static int poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct demo *d = core;
	if (d->txq_len == 0)
		return 0;
	struct demo_msg *m = &d->txq[d->txq_head];
	d->txq_head = (d->txq_head + 1) % DEMO_MAX_TXQ;
	d->txq_len--;
	if (cap < d->sh->size)
		return MN_EMSGSIZE;
	memset(buf, 0, d->sh->size);
	buf[0] = DEMO_MAGIC;
	buf[1] = m->type;
	mn_put_le32(buf + 2, d->env->node_id);
	mn_put_le32(buf + 6, m->seq);
	mn_put_le64(buf + 10, m->version);
	*len = d->sh->size;
	*dst = d->sh->dir[m->to];
	return 1;
}

static mn_ns next_deadline(const void *core)
{
	const struct demo *d = core;
	return d->next_tick;
}

static void on_timer(void *core, struct mn_time now)
{
	struct demo *d = core;
	if (mn_time_before(now.mono, d->next_tick))
		return;
	uint32_t n = d->sh->nodes;
	for (uint32_t i = 0; i < d->sh->fanout && n > 1; i++) {
		/* uniform over the others: draw from n-1 and skip ourselves */
		uint32_t to = mn_rng_uniform(&d->env->rng, n - 1);
		if (to >= d->env->node_id)
			to++;
		queue(d, to, DEMO_PING, ++d->seq);
		sim_env_count(d->env, DEMO_PINGS_SENT, 1);
	}
	d->next_tick = draw_tick(d, now.mono);
}

static int inject(void *core, uint32_t datum, struct mn_time now, uint64_t *key)
{
	struct demo *d = core;
	adopt(d, datum);
	*key = datum;
	return MN_OK;
}

static void addr_changed(void *core, const struct mn_addr *addr, struct mn_time now,
			 uint64_t *key)
{
	struct demo *d = core;
	(void)key; /* the directory is global: nothing to time */
	d->sh->dir[d->env->node_id] = *addr;
}

static uint64_t view_digest(const void *core)
{
	const struct demo *d = core;
	return d->version;
}

static void persist_free(void *p)
{
	free(p);
}

uint64_t demo_version(const void *core)
{
	const struct demo *d = core;
	return d->version;
}

const struct sim_core_ops demo_core_ops = {
	.name = "demo",
	.counter_names = counter_names,
	.ncounters = DEMO__COUNTERS,
	.shared_new = shared_new,
	.shared_del = shared_del,
	.create = create,
	.destroy = destroy,
	.persist_free = persist_free,
	.recv = on_recv,
	.poll_tx = poll_tx,
	.next_deadline = next_deadline,
	.on_timer = on_timer,
	.inject = inject,
	.addr_changed = addr_changed,
	.view_digest = view_digest,
};
