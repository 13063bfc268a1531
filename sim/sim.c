/* sim.c - the engine: the clock and event loop, the data path, node
 * timers, the agreement check, setup and teardown. Faults and the
 * scenario's actions: sim_faults.c; metrics and the verdict:
 * sim_metrics.c. */
#include "sim.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evq.h"
#include "mn_err.h"
#include "mn_wire.h"
#include "pool.h"
#include "sim_engine.h"

__attribute__((format(printf, 3, 4)))
void sim__die(struct sim *s, int code, const char *fmt, ...)
{
	if (s->err)
		return;
	s->err = code ? code : MN_ESTATE;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
}

static uint64_t derive_seed(uint64_t seed, enum stream stream, uint32_t index)
{
	uint8_t in[24], out[crypto_generichash_BYTES_MIN];
	memcpy(in, "meshsim\0", 8);
	mn_put_le64(in + 8, seed);
	mn_put_le32(in + 16, (uint32_t)stream);
	mn_put_le32(in + 20, index);
	crypto_generichash(out, sizeof(out), in, sizeof(in), NULL, 0);
	return mn_get_le64(out);
}

/* Uniform in [0, n) for 64-bit n > 0, by rejection. */
uint64_t sim__draw_u64(const struct mn_rng *r, uint64_t n)
{
	if (n <= UINT32_MAX)
		return mn_rng_uniform(r, (uint32_t)n);
	uint64_t min = (0 - n) % n, v;
	do {
		uint8_t b[8];
		mn_rng_bytes(r, b, sizeof(b));
		v = mn_get_le64(b);
	} while (v < min);
	return v % n;
}

struct mn_time sim__node_time(const struct node *n, mn_ns now)
{
	struct mn_time t = {
		.mono = n->mono_base + now,
		.wall = (mn_ns)((int64_t)(SIM_WALL_EPOCH_NS + now) + n->wall_skew_ns),
	};
	return t;
}

/* A core deadline (node mono scale) as virtual time, never in the past. */
static mn_ns to_sim(const struct node *n, mn_ns deadline, mn_ns now)
{
	mn_ns mono = n->mono_base + now;
	if (mn_time_before(deadline, mono))
		return now;
	return now + (deadline - mono);
}

int sim__push_aux(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint32_t aux,
		    uint64_t *seq)
{
	int err = evq_push_aux(&s->q, t, kind, ref, aux, seq);
	if (err) {
		sim__die(s, err, "event queue: %s (%zu pending)", mn_strerror(err), evq_len(&s->q));
		return err;
	}
	if (evq_len(&s->q) > s->tot.queue_peak)
		s->tot.queue_peak = evq_len(&s->q);
	return MN_OK;
}

int sim__push(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint64_t *seq)
{
	return sim__push_aux(s, t, kind, ref, ref, seq);
}

/* ---- env callbacks ---- */

static void env_learned(void *ctx, uint64_t key)
{
	struct node *n = ctx;
	stats_learned(&n->sim->st, n->id, key, n->sim->now);
}

static void env_observe(void *ctx, enum sim_obs kind, uint32_t subject)
{
	struct node *n = ctx;
	stats_observe(&n->sim->st, n->id, kind, subject, n->sim->now);
}

static void env_count(void *ctx, uint32_t idx, uint64_t delta)
{
	struct node *n = ctx;
	if (idx < n->sim->ops->ncounters && idx < SIM_MAX_CORE_COUNTERS)
		n->sim->counters[idx] += delta;
}

static void env_halt(void *ctx, int err, const char *why)
{
	struct node *n = ctx;
	sim__die(n->sim, err, "node %u: %s", n->id, why);
}

static bool env_bootstrap_addr(void *ctx, uint32_t id, struct mn_addr *out)
{
	struct node *n = ctx;
	if (id >= n->sim->nnodes)
		return false;
	net_addr_v4(out, n->sim->nodes[id].boot_ip, NET_DEFAULT_PORT);
	return true;
}

/* ---- the data path ---- */

static void send_dgram(struct sim *s, struct node *n, const struct mn_addr *dst, size_t len)
{
	struct net_fate f;
	n->tx_pkts++;
	n->tx_bytes += len;
	net_send(s->net, n->id, dst, len, s->now, &f);
	for (uint32_t c = 0; c < f.copies; c++) {
		uint32_t h;
		if (pool_alloc(&s->pool, len, &h)) {
			net_count_drop(s->net, NET_DROP_QUEUE);
			continue;
		}
		struct pool_pkt *p = pool_get(&s->pool, h);
		p->src_host = n->id;
		p->dup = c;
		p->sent = s->now;
		p->src = f.src;
		p->dst = *dst;
		memcpy(p->data, s->txbuf, len);
		/* aux: the host addressed now, a prefetch hint only */
		if (sim__push_aux(s, s->now + f.delay_ns[c], EV_DELIVER, h, f.to, NULL)) {
			pool_put(&s->pool, h);
			return;
		}
	}
}

static void drain(struct sim *s, struct node *n)
{
	for (uint32_t i = 0;; i++) {
		size_t len = 0;
		struct mn_addr dst;
		memset(&dst, 0, sizeof(dst));
		int rc = s->ops->poll_tx(n->core, s->txbuf, sizeof(s->txbuf), &len, &dst);
		if (rc == 0)
			return;
		if (i == SIM_MAX_TX_PER_EVENT) {
			sim__die(s, MN_EFULL, "node %u queued more than %d datagrams in one step", n->id,
			    SIM_MAX_TX_PER_EVENT);
			return;
		}
		if (rc < 0)
			continue; /* the core dropped one; ask again */
		if (len > sizeof(s->txbuf)) {
			sim__die(s, MN_EMSGSIZE, "node %u: poll_tx returned %zu bytes", n->id, len);
			return;
		}
		send_dgram(s, n, &dst, len);
	}
}

static void arm(struct sim *s, struct node *n)
{
	mn_ns d = s->ops->next_deadline(n->core);
	if (d == MN_NEVER)
		return;
	mn_ns t = to_sim(n, d, s->now);
	if (n->timer_seq && n->timer_at <= t)
		return; /* the pending event comes first and re-arms */
	if (n->timer_seq)
		s->tot.stale_timers++;
	if (sim__push(s, t, EV_TIMER, n->id, &n->timer_seq) == MN_OK)
		n->timer_at = t;
}

/* After any call into a core: send what it queued, re-arm its timer. */
void sim__after(struct sim *s, struct node *n)
{
	drain(s, n);
	arm(s, n);
}

static void recv_dgram(struct sim *s, struct node *n, const struct pool_pkt *p)
{
	trace_dgram(s->trace, s->now, n->id, &p->src, p->data, p->len);
	n->rx_pkts++;
	n->rx_bytes += p->len;
	s->ops->recv(n->core, &p->src, p->data, p->len, sim__node_time(n, s->now));
	sim__after(s, n);
}

static void on_deliver(struct sim *s, uint32_t h)
{
	struct pool_pkt *p = pool_get(&s->pool, h);
	uint32_t host;
	enum net_drop why;
	if (!net_arrive(s->net, p->src_host, &p->src, &p->dst, s->now, &host, &why))
		goto out_free;
	if (host >= s->nnodes) {
		net_count_drop(s->net, NET_DROP_NO_HOST); /* a box with no node of its own */
		goto out_free;
	}
	struct node *n = &s->nodes[host];
	if (n->state != NODE_UP) {
		net_count_drop(s->net, NET_DROP_DOWN);
		goto out_free;
	}
	if (n->paused && n->asleep) {
		net_count_drop(s->net, NET_DROP_DOWN); /* suspended: off the network */
		goto out_free;
	}
	if (n->paused) {
		if (n->defer_len == SIM_MAX_DEFERRED) {
			net_count_drop(s->net, NET_DROP_RCVBUF);
			goto out_free;
		}
		p->next = POOL_NIL;
		if (n->defer_len++)
			pool_get(&s->pool, n->defer_tail)->next = h;
		else
			n->defer_head = h;
		n->defer_tail = h;
		return;
	}
	recv_dgram(s, n, p);
out_free:
	pool_put(&s->pool, h);
}

static void fire(struct sim *s, struct node *n)
{
	mn_ns d = s->ops->next_deadline(n->core);
	if (d == MN_NEVER) {
		s->tot.spurious_timers++;
		return;
	}
	if (to_sim(n, d, s->now) > s->now) {
		s->tot.spurious_timers++;
		arm(s, n);
		return;
	}
	if (n->spin_at == s->now && n->spins++ == SIM_MAX_TIMER_SPIN) {
		sim__die(s, MN_ESTATE, "node %u: timer fired %d times at one instant", n->id,
		    SIM_MAX_TIMER_SPIN);
		return;
	}
	if (n->spin_at != s->now) {
		n->spin_at = s->now;
		n->spins = 0;
	}
	trace_timer(s->trace, s->now, n->id);
	s->tot.timers++;
	s->ops->on_timer(n->core, sim__node_time(n, s->now));
	sim__after(s, n);
}

static void on_timer(struct sim *s, const struct evq_ev *e)
{
	struct node *n = &s->nodes[e->ref];
	if (e->seq != n->timer_seq)
		return; /* superseded by an earlier deadline */
	n->timer_seq = 0;
	if (n->state != NODE_UP)
		return;
	if (n->paused) {
		n->timer_due = true;
		return;
	}
	fire(s, n);
}

void sim__drop_deferred(struct sim *s, struct node *n)
{
	while (n->defer_len) {
		uint32_t h = n->defer_head;
		n->defer_head = pool_get(&s->pool, h)->next;
		n->defer_len--;
		pool_put(&s->pool, h);
		net_count_drop(s->net, NET_DROP_DOWN);
	}
}

static void on_resume(struct sim *s, const struct evq_ev *e)
{
	struct node *n = &s->nodes[e->ref];
	if (e->seq != n->resume_seq)
		return;
	n->resume_seq = 0;
	n->paused = false;
	if (n->asleep) {
		/* its monotonic clock stood still: what was due before is due now */
		n->asleep = false;
		n->mono_base -= s->now - n->slept_at;
		stats_node_up(&s->st, n->id);
	}
	if (n->state != NODE_UP)
		return;
	trace_record(s->trace, TRACE_FAULT, s->now, F_RESUME, n->id, n->defer_len);
	if (n->moved_while_paused) {
		n->moved_while_paused = false;
		if (s->ops->addr_changed)
			sim__addr_changed(s, n);
	}
	/* one loop turn of the starved process: timers first, then the socket */
	if (n->timer_due) {
		n->timer_due = false;
		fire(s, n);
	}
	while (n->defer_len && !s->err) {
		uint32_t h = n->defer_head;
		struct pool_pkt *p = pool_get(&s->pool, h);
		n->defer_head = p->next;
		n->defer_len--;
		recv_dgram(s, n, p);
		pool_put(&s->pool, h);
	}
	arm(s, n);
}

static bool agree(const struct sim *s)
{
	bool first = true;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		if (n->state != NODE_UP || n->paused)
			continue;
		uint64_t d = s->ops->view_digest(n->core);
		if (first)
			digest = d;
		else if (d != digest)
			return false;
		first = false;
	}
	return true;
}

static void on_check(struct sim *s)
{
	if (s->converged_at != MN_NEVER)
		return;
	if (agree(s)) {
		s->converged_at = s->now;
		return;
	}
	mn_ns next = s->now + s->scn.check_interval_ns;
	if (next <= s->scn.duration_ns)
		sim__push(s, next, EV_CHECK, 0, NULL);
}

static void on_steady(struct sim *s)
{
	for (uint32_t i = 0; i < s->nnodes; i++) {
		s->steady_tx_pkts += s->nodes[i].tx_pkts;
		s->steady_tx_bytes += s->nodes[i].tx_bytes;
	}
	s->steady_started = true;
}

static void dispatch(struct sim *s, const struct evq_ev *e)
{
	switch (e->kind) {
	case EV_DELIVER:
		on_deliver(s, e->ref);
		break;
	case EV_TIMER:
		on_timer(s, e);
		break;
	case EV_ACTION:
		sim__on_action(s, e->ref);
		break;
	case EV_RESUME:
		on_resume(s, e);
		break;
	case EV_RESTART:
		if (e->seq == s->nodes[e->ref].restart_seq)
			sim_restart(s, e->ref);
		break;
	case EV_BOOT:
		sim_restart(s, e->ref);
		break;
	case EV_CHECK:
		on_check(s);
		break;
	case EV_STEADY:
		on_steady(s);
		break;
	}
}

/* Start loading what the next event touches while this one runs: with
 * thousands of nodes a node's state is rarely in cache. Changes no state. */
static void prefetch_next(const struct sim *s)
{
	const struct evq_val *v = evq_next_val(&s->q);
	if (!v)
		return;
	if (v->kind == EV_DELIVER)
		__builtin_prefetch(pool_get(&s->pool, v->ref));
	if (v->aux < s->nnodes)
		__builtin_prefetch(&s->nodes[v->aux]);
}

int sim_run_until(struct sim *s, mn_ns t)
{
	struct evq_ev e;
	if (t > s->scn.duration_ns)
		t = s->scn.duration_ns; /* the run ends at its duration */
	while (!s->err) {
		mn_ns next = evq_next_time(&s->q);
		if (next == MN_NEVER || next > t)
			break;
		evq_pop(&s->q, &e);
		prefetch_next(s);
		s->now = e.time;
		s->tot.events++;
		dispatch(s, &e);
	}
	if (!s->err && t > s->now)
		s->now = t;
	return s->err;
}

/* ---- setup ---- */

static int init_nodes(struct sim *s)
{
	struct mn_seeded_rng clock;
	mn_seeded_rng_init(&clock, derive_seed(s->scn.seed, STREAM_CLOCK, 0));
	struct mn_rng clk = mn_seeded_rng_iface(&clock);
	for (uint32_t i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		uint32_t host;
		int err = net_host_add(s->net, &host);
		if (err)
			return err;
		n->sim = s;
		n->id = i;
		n->state = NODE_STANDBY;
		n->boot_ip = s->net->hosts[host].ip;
		n->spin_at = MN_NEVER;
		mn_seeded_rng_init(&n->rng, derive_seed(s->scn.seed, STREAM_NODE, i));
		/* mono starts anywhere in the first ~12 days of "uptime" */
		n->mono_base = MN_NS_PER_SEC + sim__draw_u64(&clk, UINT64_C(1) << 50);
		if (s->scn.clock_skew_ns)
			n->wall_skew_ns = (int64_t)sim__draw_u64(&clk, 2 * s->scn.clock_skew_ns + 1) -
					  (int64_t)s->scn.clock_skew_ns;
		n->env = (struct sim_env){
			.node_id = i,
			.nodes = s->nnodes,
			.rng = mn_seeded_rng_iface(&n->rng),
			.shared = s->shared,
			.persist = &n->persist,
			.ctx = n,
			.learned = env_learned,
			.observe = env_observe,
			.count = env_count,
			.bootstrap_addr = env_bootstrap_addr,
			.halt = env_halt,
		};
		net_host_addr(s->net, host, &n->env.addr);
	}
	return MN_OK;
}

static int schedule(struct sim *s)
{
	int err = MN_OK;
	for (uint32_t i = 0; i < s->scn.nodes && !err; i++) {
		mn_ns t = s->scn.boot_spread_ns ?
				  sim__draw_u64(&s->fault, s->scn.boot_spread_ns + 1) : 0;
		err = sim__push(s, t, EV_BOOT, i, NULL);
	}
	for (uint32_t i = 0; i < s->scn.nactions && !err; i++) {
		if (s->scn.actions[i].at_ns <= s->scn.duration_ns)
			err = sim__push(s, s->scn.actions[i].at_ns, EV_ACTION, i, NULL);
	}
	/* The first check runs just after everything else at that instant (a
	 * restart that ends the last fault included), then every interval. */
	if (!err && s->ops->view_digest && s->scn.calm_ns < s->scn.duration_ns)
		err = sim__push(s, s->scn.calm_ns + 1, EV_CHECK, 0, NULL);
	if (!err && s->scn.steady_set && s->scn.steady_ns < s->scn.duration_ns)
		err = sim__push(s, s->scn.steady_ns, EV_STEADY, 0, NULL);
	return err;
}

int sim_new(struct sim **out, const struct scn *scn, const struct sim_core_ops *ops, char *err,
	    size_t errlen)
{
	if (!ops)
		ops = simcore_find(scn->core);
	if (!ops) {
		snprintf(err, errlen, "%s: unknown core '%s'", scn->source, scn->core);
		return MN_EINVAL;
	}
	for (uint32_t i = 0; i < scn->nexpects; i++) {
		if (sim_metric_find(scn->expects[i].metric) < 0 &&
		    sim_core_metric_find(ops, scn->expects[i].metric) < 0) {
			snprintf(err, errlen, "%s:%u: unknown metric '%s'", scn->source,
				 scn->expects[i].line, scn->expects[i].metric);
			return MN_EINVAL;
		}
	}
	for (uint32_t i = 0; i < scn->nactions; i++) {
		if (scn->actions[i].op == SCN_REVOKE && !ops->revoke) {
			snprintf(err, errlen, "%s:%u: core %s cannot revoke (core swim can)",
				 scn->source, scn->actions[i].line, ops->name);
			return MN_EINVAL;
		}
		if (scn->actions[i].op == SCN_ROGUE && !ops->rogue) {
			snprintf(err, errlen, "%s:%u: core %s has no rogue members (core swim has)",
				 scn->source, scn->actions[i].line, ops->name);
			return MN_EINVAL;
		}
	}
	if (ops->ncounters > SIM_MAX_CORE_COUNTERS) {
		snprintf(err, errlen, "core %s exports %u counters (max %d)", ops->name, ops->ncounters,
			 SIM_MAX_CORE_COUNTERS);
		return MN_EINVAL;
	}
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return MN_ENOMEM;
	s->scn = *scn;
	s->ops = ops;
	s->nnodes = scn->nodes + scn->standby;
	s->converged_at = MN_NEVER;
	for (uint32_t i = 0; i < scn->nexpects; i++)
		s->expect_metric[i] = sim_metric_find(scn->expects[i].metric) >= 0 ?
					      sim_metric_find(scn->expects[i].metric) :
					      (int)sim_metric_count() +
						      sim_core_metric_find(ops, scn->expects[i].metric);
	pool_init(&s->pool, SIM_MAX_INFLIGHT);
	mn_seeded_rng_init(&s->net_rng, derive_seed(scn->seed, STREAM_NET, 0));
	mn_seeded_rng_init(&s->fault_rng, derive_seed(scn->seed, STREAM_FAULT, 0));
	s->fault = mn_seeded_rng_iface(&s->fault_rng);
	struct mn_rng net_rng = mn_seeded_rng_iface(&s->net_rng);

	int rc = evq_init(&s->q, SIM_MAX_EVENTS);
	if (!rc)
		rc = stats_init(&s->st, s->nnodes);
	if (!rc)
		rc = trace_new(&s->trace);
	if (!rc)
		rc = net_new(&s->net, &scn->net, &net_rng, s->nnodes);
	if (!rc) {
		s->nodes = calloc(s->nnodes, sizeof(*s->nodes));
		s->cand = calloc(s->nnodes, sizeof(*s->cand));
		s->in_group = calloc(s->nnodes, sizeof(*s->in_group));
		if (!s->nodes || !s->cand || !s->in_group)
			rc = MN_ENOMEM;
	}
	if (rc) {
		snprintf(err, errlen, "%s: %s", scn->source, mn_strerror(rc));
		goto out_fail;
	}
	if (ops->shared_new) {
		struct sim_core_args args = {
			.params = scn->params,
			.nparams = scn->nparams,
			.nodes = s->nnodes,
			.booted = scn->nodes,
			.profile = scn->profile,
			.seed = derive_seed(scn->seed, STREAM_CORE, 0),
		};
		rc = ops->shared_new(&s->shared, &args, err, errlen);
		if (rc)
			goto out_fail;
	} else if (scn->nparams) {
		snprintf(err, errlen, "%s:%u: core %s takes no core_param", scn->source,
			 scn->params[0].line, ops->name);
		rc = MN_EINVAL;
		goto out_fail;
	}
	rc = init_nodes(s);
	if (!rc)
		rc = schedule(s);
	if (rc) {
		snprintf(err, errlen, "%s: %s", scn->source, mn_strerror(rc));
		goto out_fail;
	}
	*out = s;
	return MN_OK;
out_fail:
	sim_del(s);
	return rc;
}

void sim_del(struct sim *s)
{
	if (!s)
		return;
	if (s->nodes) {
		for (uint32_t i = 0; i < s->nnodes; i++) {
			struct node *n = &s->nodes[i];
			if (n->core)
				s->ops->destroy(n->core);
			if (n->persist && s->ops->persist_free)
				s->ops->persist_free(n->persist);
		}
	}
	if (s->shared && s->ops->shared_del)
		s->ops->shared_del(s->shared);
	free(s->nodes);
	free(s->cand);
	free(s->in_group);
	net_del(s->net);
	trace_del(s->trace);
	stats_free(&s->st);
	evq_free(&s->q);
	pool_free(&s->pool);
	free(s);
}

mn_ns sim_now(const struct sim *s) { return s->now; }
const char *sim_error(const struct sim *s) { return s->err ? s->errmsg : NULL; }
uint32_t sim_nodes(const struct sim *s) { return s->nnodes; }
struct net *sim_net(struct sim *s) { return s->net; }
void *sim_core(const struct sim *s, uint32_t node) { return s->nodes[node].core; }
const struct sim_env *sim_env(const struct sim *s, uint32_t node) { return &s->nodes[node].env; }
bool sim_node_up(const struct sim *s, uint32_t node) { return s->nodes[node].state == NODE_UP; }
bool sim_node_paused(const struct sim *s, uint32_t node) { return s->nodes[node].paused; }
bool sim_node_rogue(const struct sim *s, uint32_t node)
{
	return node < s->nnodes && s->nodes[node].rogue;
}

bool sim_node_revoked(const struct sim *s, uint32_t node)
{
	return s->nodes[node].state == NODE_REVOKED;
}
const struct stats *sim_stats(const struct sim *s) { return &s->st; }
const struct sim_core_ops *sim_ops(const struct sim *s) { return s->ops; }
const struct scn *sim_scn(const struct sim *s) { return &s->scn; }

