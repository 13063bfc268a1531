/* sim.c - the event loop, nodes, faults and metrics. */
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

__attribute__((format(printf, 3, 4)))
static void die(struct sim *s, int code, const char *fmt, ...)
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
static uint64_t draw_u64(const struct mn_rng *r, uint64_t n)
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

static struct mn_time node_time(const struct node *n, mn_ns now)
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

static int push_aux(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint32_t aux,
		    uint64_t *seq)
{
	int err = evq_push_aux(&s->q, t, kind, ref, aux, seq);
	if (err) {
		die(s, err, "event queue: %s (%zu pending)", mn_strerror(err), evq_len(&s->q));
		return err;
	}
	if (evq_len(&s->q) > s->tot.queue_peak)
		s->tot.queue_peak = evq_len(&s->q);
	return MN_OK;
}

static int push(struct sim *s, mn_ns t, enum ev_kind kind, uint32_t ref, uint64_t *seq)
{
	return push_aux(s, t, kind, ref, ref, seq);
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
	die(n->sim, err, "node %u: %s", n->id, why);
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
		if (push_aux(s, s->now + f.delay_ns[c], EV_DELIVER, h, f.to, NULL)) {
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
			die(s, MN_EFULL, "node %u queued more than %d datagrams in one step", n->id,
			    SIM_MAX_TX_PER_EVENT);
			return;
		}
		if (rc < 0)
			continue; /* the core dropped one; ask again */
		if (len > sizeof(s->txbuf)) {
			die(s, MN_EMSGSIZE, "node %u: poll_tx returned %zu bytes", n->id, len);
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
	if (push(s, t, EV_TIMER, n->id, &n->timer_seq) == MN_OK)
		n->timer_at = t;
}

/* After any call into a core: send what it queued, re-arm its timer. */
static void after(struct sim *s, struct node *n)
{
	drain(s, n);
	arm(s, n);
}

static void recv_dgram(struct sim *s, struct node *n, const struct pool_pkt *p)
{
	trace_dgram(s->trace, s->now, n->id, &p->src, p->data, p->len);
	n->rx_pkts++;
	n->rx_bytes += p->len;
	s->ops->recv(n->core, &p->src, p->data, p->len, node_time(n, s->now));
	after(s, n);
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
		die(s, MN_ESTATE, "node %u: timer fired %d times at one instant", n->id,
		    SIM_MAX_TIMER_SPIN);
		return;
	}
	if (n->spin_at != s->now) {
		n->spin_at = s->now;
		n->spins = 0;
	}
	trace_timer(s->trace, s->now, n->id);
	s->tot.timers++;
	s->ops->on_timer(n->core, node_time(n, s->now));
	after(s, n);
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

static void drop_deferred(struct sim *s, struct node *n)
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
	if (n->state != NODE_UP)
		return;
	trace_record(s->trace, TRACE_FAULT, s->now, F_RESUME, n->id, n->defer_len);
	if (n->moved_while_paused) {
		n->moved_while_paused = false;
		if (s->ops->addr_changed) {
			s->ops->addr_changed(n->core, &n->env.addr, node_time(n, s->now));
			after(s, n);
		}
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

/* ---- faults ---- */

static int start_node(struct sim *s, struct node *n)
{
	net_host_addr(s->net, n->id, &n->env.addr);
	n->state = NODE_UP;
	stats_node_up(&s->st, n->id);
	trace_record(s->trace, TRACE_FAULT, s->now, F_BOOT, n->id, n->env.boot);
	int err = s->ops->create(&n->core, &n->env, node_time(n, s->now));
	if (err) {
		n->core = NULL;
		n->state = NODE_DOWN;
		stats_node_down(&s->st, n->id, s->now);
		die(s, err, "node %u: %s create: %s", n->id, s->ops->name, mn_strerror(err));
		return err;
	}
	after(s, n);
	return MN_OK;
}

struct mn_time sim_node_time(const struct sim *s, uint32_t id)
{
	return node_time(&s->nodes[id], s->now);
}

void sim_kick(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	if (n->state == NODE_UP && !n->paused)
		after(s, n);
}

/* The process dies: the core goes, and with it the pending timer, resume
 * and restart and the datagrams waiting in a paused node's buffer. */
static void stop_node(struct sim *s, struct node *n)
{
	if (s->ops->crash)
		s->ops->crash(n->core);
	else
		s->ops->destroy(n->core);
	n->core = NULL;
	n->state = NODE_DOWN;
	n->paused = n->timer_due = n->moved_while_paused = false;
	n->timer_seq = n->resume_seq = n->restart_seq = 0;
	drop_deferred(s, n);
}

void sim_crash(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	if (n->state != NODE_UP)
		return;
	trace_record(s->trace, TRACE_FAULT, s->now, F_CRASH, id, 0);
	stop_node(s, n);
	stats_node_down(&s->st, id, s->now);
	s->tot.crashes++;
}

int sim_restart(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	if (n->state == NODE_UP)
		return MN_OK;
	if (n->state == NODE_REVOKED)
		return MN_ESTATE;
	if (n->state == NODE_DOWN) {
		n->env.boot++;
		s->tot.restarts++;
	}
	n->restart_seq = 0;
	return start_node(s, n);
}

void sim_pause(struct sim *s, uint32_t id, mn_ns dur)
{
	struct node *n = &s->nodes[id];
	if (n->state != NODE_UP || dur == 0)
		return;
	mn_ns until = s->now + dur;
	if (n->paused && n->resume_at >= until)
		return;
	if (!n->paused) {
		s->tot.pauses++;
		trace_record(s->trace, TRACE_FAULT, s->now, F_PAUSE, id, dur);
	}
	n->paused = true;
	n->resume_at = until;
	push(s, until, EV_RESUME, id, &n->resume_seq);
}

int sim_move(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	int err = net_host_move(s->net, id);
	if (err)
		return err;
	net_host_addr(s->net, id, &n->env.addr);
	s->tot.moves++;
	trace_record(s->trace, TRACE_FAULT, s->now, F_MOVE, id, s->net->hosts[id].ip);
	if (n->state != NODE_UP)
		return MN_OK;
	if (n->paused) {
		n->moved_while_paused = true;
	} else if (s->ops->addr_changed) {
		s->ops->addr_changed(n->core, &n->env.addr, node_time(n, s->now));
		after(s, n);
	}
	return MN_OK;
}

int sim_inject(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	if (n->state != NODE_UP || n->paused)
		return MN_ESTATE;
	if (!s->ops->inject)
		return MN_EINVAL;
	uint32_t datum = ++s->datums;
	uint64_t key;
	int err = s->ops->inject(n->core, datum, node_time(n, s->now), &key);
	if (err) {
		die(s, err, "node %u: inject: %s", id, mn_strerror(err));
		return err;
	}
	trace_record(s->trace, TRACE_INJECT, s->now, datum, id, key);
	s->tot.datums++;
	stats_datum_add(&s->st, STATS_INJECT, key, id, s->now);
	after(s, n);
	return MN_OK;
}

/* The target stops for good first (a kicked member's process is of no
 * further interest: every other node drops it, and its own copy of the
 * news would change nothing), then the carrier, as an admin's node, signs
 * and spreads the tombstone. */
int sim_revoke(struct sim *s, uint32_t target, uint32_t carrier)
{
	struct node *t = &s->nodes[target], *n = &s->nodes[carrier];
	if (!s->ops->revoke)
		return MN_EINVAL;
	if (target == carrier || (t->state != NODE_UP && t->state != NODE_DOWN) ||
	    n->state != NODE_UP || n->paused)
		return MN_ESTATE;
	trace_record(s->trace, TRACE_FAULT, s->now, F_REVOKE, target, carrier);
	if (t->state == NODE_UP)
		stop_node(s, t);
	t->state = NODE_REVOKED;
	t->restart_seq = 0; /* a pending `crash ... for T` restart is void */
	stats_node_revoked(&s->st, target, s->now);
	s->tot.revocations++;
	uint64_t key;
	int err = s->ops->revoke(n->core, target, node_time(n, s->now), &key);
	if (err) {
		die(s, err, "node %u: revoke node %u: %s", carrier, target, mn_strerror(err));
		return err;
	}
	stats_datum_add(&s->st, STATS_REVOKE, key, carrier, s->now);
	after(s, n);
	return MN_OK;
}

void sim_partition(struct sim *s, const bool *in, bool oneway)
{
	net_heal(s->net);
	uint64_t members = 0;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		if (in[i]) {
			net_set_group(s->net, i, 1);
			members++;
		}
	}
	net_block(s->net, 0, 1);
	if (!oneway)
		net_block(s->net, 1, 0);
	trace_record(s->trace, TRACE_FAULT, s->now, F_PARTITION, oneway, members);
}

void sim_heal(struct sim *s)
{
	net_heal(s->net);
	trace_record(s->trace, TRACE_FAULT, s->now, F_HEAL, 0, 0);
}

/* ---- scenario actions ---- */

static bool can_crash(const struct node *n) { return n->state == NODE_UP; }
static bool can_restart(const struct node *n) { return n->state == NODE_DOWN; }
static bool can_run(const struct node *n) { return n->state == NODE_UP && !n->paused; }
/* booted and not revoked: up or down (moves, revocations) */
static bool is_member(const struct node *n) { return n->state == NODE_UP || n->state == NODE_DOWN; }
static bool can_join(const struct node *n) { return n->state == NODE_STANDBY; }
static bool any_node(const struct node *n) { return true; }

/* The nodes an action applies to, in s->cand; returns how many. */
static uint32_t pick(struct sim *s, const struct scn_action *a, bool (*ok)(const struct node *))
{
	if (a->pick == SCN_PICK_NODE) {
		if (a->amount >= s->nnodes || !ok(&s->nodes[a->amount]))
			return 0;
		s->cand[0] = a->amount;
		return 1;
	}
	uint32_t nc = 0;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		if (ok(&s->nodes[i]))
			s->cand[nc++] = i;
	}
	uint32_t k = nc;
	if (a->pick == SCN_PICK_COUNT) {
		k = a->amount < nc ? a->amount : nc;
	} else if (a->pick == SCN_PICK_PPM) {
		k = (uint32_t)((uint64_t)nc * a->amount / NET_PPM);
		if (k == 0 && a->amount > 0 && nc > 0)
			k = 1;
	}
	if (k == nc)
		return k;
	/* partial Fisher-Yates: the first k are a uniform sample */
	for (uint32_t i = 0; i < k; i++) {
		uint32_t j = i + mn_rng_uniform(&s->fault, nc - i);
		uint32_t t = s->cand[i];
		s->cand[i] = s->cand[j];
		s->cand[j] = t;
	}
	return k;
}

static mn_ns draw_for(struct sim *s, const struct scn_action *a)
{
	if (!a->for_upto)
		return a->for_ns;
	return 1 + draw_u64(&s->fault, a->for_ns);
}

static void set_net(struct sim *s, const struct scn_action *a)
{
	struct net_params p = s->net->p;
	if (a->op == SCN_LOSS)
		p.loss_ppm = a->ppm;
	else if (a->op == SCN_DUP)
		p.dup_ppm = a->ppm;
	else
		p.jitter_ns = a->ns;
	net_set_params(s->net, &p);
	trace_record(s->trace, TRACE_FAULT, s->now, F_NET, a->op, a->op == SCN_JITTER ? a->ns : a->ppm);
}

/* One running node outside s->in_group, uniformly; NONE_ID when none. */
static uint32_t pick_carrier(struct sim *s)
{
	uint32_t nc = 0, r;
	for (uint32_t i = 0; i < s->nnodes; i++)
		nc += can_run(&s->nodes[i]) && !s->in_group[i];
	if (nc == 0)
		return NONE_ID;
	r = mn_rng_uniform(&s->fault, nc);
	for (uint32_t i = 0; i < s->nnodes; i++) {
		if (can_run(&s->nodes[i]) && !s->in_group[i] && r-- == 0)
			return i;
	}
	return NONE_ID;
}

/* `revoke PICK`: one admin's node, a running node that is not a target,
 * revokes every picked node (one tombstone each). */
static void revoke_picked(struct sim *s, const struct scn_action *a)
{
	uint32_t k = pick(s, a, is_member), carrier;
	if (k == 0)
		return;
	memset(s->in_group, 0, s->nnodes * sizeof(*s->in_group));
	for (uint32_t i = 0; i < k; i++)
		s->in_group[s->cand[i]] = true;
	carrier = pick_carrier(s);
	if (carrier == NONE_ID) {
		die(s, MN_ESTATE, "line %u: no running node left to carry the tombstone", a->line);
		return;
	}
	for (uint32_t i = 0; i < k && !s->err; i++)
		sim_revoke(s, s->cand[i], carrier);
}

static void run_action(struct sim *s, const struct scn_action *a)
{
	uint32_t k;
	switch (a->op) {
	case SCN_HEAL:
		sim_heal(s);
		break;
	case SCN_LOSS:
	case SCN_DUP:
	case SCN_JITTER:
		set_net(s, a);
		break;
	case SCN_PARTITION:
		k = pick(s, a, any_node);
		memset(s->in_group, 0, s->nnodes * sizeof(*s->in_group));
		for (uint32_t i = 0; i < k; i++)
			s->in_group[s->cand[i]] = true;
		sim_partition(s, s->in_group, a->oneway);
		break;
	case SCN_CRASH:
		k = pick(s, a, can_crash);
		for (uint32_t i = 0; i < k; i++) {
			struct node *n = &s->nodes[s->cand[i]];
			sim_crash(s, n->id);
			if (a->for_ns)
				push(s, s->now + draw_for(s, a), EV_RESTART, n->id, &n->restart_seq);
		}
		break;
	case SCN_RESTART:
		k = pick(s, a, can_restart);
		for (uint32_t i = 0; i < k && !s->err; i++)
			sim_restart(s, s->cand[i]);
		break;
	case SCN_PAUSE:
		k = pick(s, a, can_run);
		for (uint32_t i = 0; i < k; i++)
			sim_pause(s, s->cand[i], draw_for(s, a));
		break;
	case SCN_MOVE:
		k = pick(s, a, is_member);
		for (uint32_t i = 0; i < k; i++) {
			if (sim_move(s, s->cand[i]))
				die(s, MN_EFULL, "line %u: no free underlay address", a->line);
		}
		break;
	case SCN_INJECT:
		k = pick(s, a, can_run);
		for (uint32_t i = 0; i < k && !s->err; i++) {
			if (sim_inject(s, s->cand[i]) == MN_EINVAL)
				die(s, MN_EINVAL, "line %u: core %s has no datums to inject", a->line,
				    s->ops->name);
		}
		break;
	case SCN_JOIN:
		k = pick(s, a, can_join);
		for (uint32_t i = 0; i < k && !s->err; i++)
			sim_restart(s, s->cand[i]);
		break;
	case SCN_REVOKE:
		revoke_picked(s, a);
		break;
	default:
		break;
	}
}

static void on_action(struct sim *s, uint32_t idx)
{
	const struct scn_action *a = &s->scn.actions[idx];
	run_action(s, a);
	if (a->every_ns) {
		mn_ns next = s->now + a->every_ns;
		if (next <= a->until_ns && next <= s->scn.duration_ns)
			push(s, next, EV_ACTION, idx, NULL);
	}
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
		push(s, next, EV_CHECK, 0, NULL);
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
		on_action(s, e->ref);
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
		n->mono_base = MN_NS_PER_SEC + draw_u64(&clk, UINT64_C(1) << 50);
		if (s->scn.clock_skew_ns)
			n->wall_skew_ns = (int64_t)draw_u64(&clk, 2 * s->scn.clock_skew_ns + 1) -
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
		mn_ns t = s->scn.boot_spread_ns ? draw_u64(&s->fault, s->scn.boot_spread_ns + 1) : 0;
		err = push(s, t, EV_BOOT, i, NULL);
	}
	for (uint32_t i = 0; i < s->scn.nactions && !err; i++) {
		if (s->scn.actions[i].at_ns <= s->scn.duration_ns)
			err = push(s, s->scn.actions[i].at_ns, EV_ACTION, i, NULL);
	}
	/* The first check runs just after everything else at that instant (a
	 * restart that ends the last fault included), then every interval. */
	if (!err && s->ops->view_digest && s->scn.calm_ns < s->scn.duration_ns)
		err = push(s, s->scn.calm_ns + 1, EV_CHECK, 0, NULL);
	if (!err && s->scn.steady_set && s->scn.steady_ns < s->scn.duration_ns)
		err = push(s, s->scn.steady_ns, EV_STEADY, 0, NULL);
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
		if (sim_metric_find(scn->expects[i].metric) < 0) {
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
		s->expect_metric[i] = sim_metric_find(scn->expects[i].metric);
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

/* ---- results ---- */

static bool compare(int64_t v, enum scn_cmp c, int64_t t)
{
	switch (c) {
	case SCN_LE: return v <= t;
	case SCN_LT: return v < t;
	case SCN_GE: return v >= t;
	case SCN_GT: return v > t;
	case SCN_EQ: return v == t;
	case SCN_NE: return v != t;
	}
	return false;
}

int sim_run(struct sim *s)
{
	int err = sim_run_until(s, s->scn.duration_ns);
	s->finished = true;
	for (uint32_t i = 0; i < s->scn.nexpects; i++) {
		const struct scn_expect *e = &s->scn.expects[i];
		s->expect_has[i] = sim_metric(s, (uint32_t)s->expect_metric[i], &s->expect_val[i]);
		s->expect_ok[i] = !err && s->expect_has[i] &&
				  compare(s->expect_val[i], e->cmp, e->milli);
	}
	return err;
}

mn_ns sim_now(const struct sim *s) { return s->now; }
const char *sim_error(const struct sim *s) { return s->err ? s->errmsg : NULL; }
uint32_t sim_nodes(const struct sim *s) { return s->nnodes; }
struct net *sim_net(struct sim *s) { return s->net; }
void *sim_core(const struct sim *s, uint32_t node) { return s->nodes[node].core; }
const struct sim_env *sim_env(const struct sim *s, uint32_t node) { return &s->nodes[node].env; }
bool sim_node_up(const struct sim *s, uint32_t node) { return s->nodes[node].state == NODE_UP; }
bool sim_node_paused(const struct sim *s, uint32_t node) { return s->nodes[node].paused; }
bool sim_node_revoked(const struct sim *s, uint32_t node)
{
	return s->nodes[node].state == NODE_REVOKED;
}
const struct stats *sim_stats(const struct sim *s) { return &s->st; }
const struct sim_core_ops *sim_ops(const struct sim *s) { return s->ops; }
const struct scn *sim_scn(const struct sim *s) { return &s->scn; }

uint64_t sim_core_counter(const struct sim *s, uint32_t idx)
{
	return idx < SIM_MAX_CORE_COUNTERS ? s->counters[idx] : 0;
}

void sim_trace_hex(const struct sim *s, char out[TRACE_HEX_LEN])
{
	trace_hex(s->trace, out);
}

void sim_totals(const struct sim *s, struct sim_totals *out)
{
	*out = s->tot;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		out->tx_pkts += s->nodes[i].tx_pkts;
		out->tx_bytes += s->nodes[i].tx_bytes;
		out->rx_pkts += s->nodes[i].rx_pkts;
		out->rx_bytes += s->nodes[i].rx_bytes;
	}
	out->delivered = out->rx_pkts;
	memcpy(out->drops, s->net->drops, sizeof(out->drops));
	out->inflight_peak = s->pool.peak;
}

bool sim_expect_ok(const struct sim *s, uint32_t i, int64_t *milli, bool *has_value)
{
	*milli = s->expect_val[i];
	*has_value = s->expect_has[i];
	return s->expect_ok[i];
}

bool sim_passed(const struct sim *s)
{
	if (!s->finished || s->err)
		return false;
	for (uint32_t i = 0; i < s->scn.nexpects; i++) {
		if (!s->expect_ok[i])
			return false;
	}
	return true;
}

/* ---- metrics ---- */

#define METRIC_MAP(X)                                                                   \
	X(nodes, "nodes booted at the start")                                             \
	X(up, "nodes up at the end")                                                      \
	X(events, "events processed")                                                     \
	X(timers, "core timer firings")                                                   \
	X(tx_pkts, "datagrams sent by cores")                                             \
	X(rx_pkts, "datagrams delivered to cores")                                        \
	X(tx_bytes, "bytes sent by cores")                                                \
	X(rx_bytes, "bytes delivered to cores")                                           \
	X(dup_pkts, "datagrams the network duplicated")                                   \
	X(drop_loss, "dropped: random loss")                                              \
	X(drop_partition, "dropped: partition")                                           \
	X(drop_no_host, "dropped: nobody at the address")                                 \
	X(drop_no_port, "dropped: no listener on the port")                               \
	X(drop_bad_addr, "dropped: not an underlay address")                              \
	X(drop_filtered, "dropped: middlebox")                                            \
	X(drop_oversize, "dropped: above the path MTU")                                   \
	X(drop_queue, "dropped: too many in flight")                                      \
	X(drop_down, "dropped: receiver down")                                            \
	X(drop_rcvbuf, "dropped: paused receiver's buffer full")                          \
	X(pkts_per_node_s, "datagrams sent per node per second (mean)")                   \
	X(bytes_per_node_s, "bytes sent per node per second (mean)")                      \
	X(bytes_per_node_s_max, "bytes sent per second by the busiest node")              \
	X(steady_pkts_per_node_s, "datagrams sent per node per second from `steady` on")  \
	X(steady_bytes_per_node_s, "bytes sent per node per second from `steady` on")     \
	X(datums, "datums injected")                                                      \
	X(datums_incomplete, "datums that never reached every node up")                   \
	X(reach50_ms, "slowest datum to reach 50% of nodes up")                           \
	X(reach99_ms, "slowest datum to reach 99% of nodes up")                           \
	X(reach9999_ms, "slowest datum to reach 99.99% of nodes up")                      \
	X(reach100_ms, "slowest datum to reach every node up")                            \
	X(reach99_ms_mean, "mean time for a datum to reach 99%")                          \
	X(revocations, "nodes revoked")                                                   \
	X(revocations_incomplete, "tombstones that never reached every node up")          \
	X(revoke_reach50_ms, "slowest tombstone to reach 50% of nodes up")                \
	X(revoke_reach99_ms, "slowest tombstone to reach 99% of nodes up")                \
	X(revoke_reach100_ms, "slowest tombstone to reach every node up")                 \
	X(revoked_held, "(node up, revoked node) pairs where it is still a member")        \
	X(converge_ms, "calm phase start to every live node agreeing")                    \
	X(suspicions, "suspicions reported")                                              \
	X(false_suspicions, "suspicions of nodes that were up")                           \
	X(deaths, "deaths declared")                                                      \
	X(false_deaths, "deaths declared of nodes that were up")                          \
	X(detect_ms_max, "slowest crash-to-declared-dead, over observers")                \
	X(detect_ms_mean, "mean crash-to-declared-dead")                                  \
	X(undetected, "(node up, node down) pairs at the end without a death declared")   \
	X(crashes, "node crashes")                                                        \
	X(restarts, "node restarts")                                                      \
	X(pauses, "node pauses")                                                          \
	X(moves, "address changes")                                                       \
	X(inflight_peak, "most datagrams in flight at once")                              \
	X(queue_peak, "most events pending at once")

enum metric {
#define METRIC_ENUM(n, h) M_##n,
	METRIC_MAP(METRIC_ENUM)
#undef METRIC_ENUM
	M__COUNT
};

static const char *const metric_names[M__COUNT] = {
#define METRIC_NAME(n, h) #n,
	METRIC_MAP(METRIC_NAME)
#undef METRIC_NAME
};

static const char *const metric_helps[M__COUNT] = {
#define METRIC_HELP(n, h) h,
	METRIC_MAP(METRIC_HELP)
#undef METRIC_HELP
};

_Static_assert(M_drop_rcvbuf - M_drop_loss + 1 == NET_DROP__COUNT, "a metric per drop reason");

uint32_t sim_metric_count(void) { return M__COUNT; }

const char *sim_metric_name(uint32_t i)
{
	return i < M__COUNT ? metric_names[i] : NULL;
}

const char *sim_metric_help(uint32_t i)
{
	return i < M__COUNT ? metric_helps[i] : NULL;
}

int sim_metric_find(const char *name)
{
	for (int i = 0; i < M__COUNT; i++) {
		if (strcmp(metric_names[i], name) == 0)
			return i;
	}
	return -1;
}

static int64_t ns_to_milli_ms(mn_ns ns)
{
	return (int64_t)(ns / MN_NS_PER_US);
}

/* count per node per second, x1000 */
static int64_t rate(uint64_t count, uint64_t nodes, mn_ns duration)
{
	if (nodes == 0 || duration == 0)
		return 0;
	unsigned __int128 v = (unsigned __int128)count * 1000 * MN_NS_PER_SEC;
	return (int64_t)(v / ((unsigned __int128)nodes * duration));
}

static uint32_t datums_of(const struct stats *st, enum stats_kind kind)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < st->ndatums; i++)
		n += st->datums[i].kind == kind;
	return n;
}

static uint32_t incomplete(const struct stats *st, enum stats_kind kind)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < st->ndatums; i++)
		n += st->datums[i].kind == kind &&
		     st->datums[i].reach[STATS_REACH_LEVELS - 1] == MN_NEVER;
	return n;
}

/* Worst time over datums of a kind to reach a level; false if one never
 * did, or there are none. */
static bool reach_max(const struct stats *st, enum stats_kind kind, int level, int64_t *out)
{
	mn_ns worst = 0;
	uint32_t n = 0;
	for (uint32_t i = 0; i < st->ndatums; i++) {
		if (st->datums[i].kind != kind)
			continue;
		mn_ns t = st->datums[i].reach[level];
		if (t == MN_NEVER)
			return false;
		if (t > worst)
			worst = t;
		n++;
	}
	if (n == 0)
		return false;
	*out = ns_to_milli_ms(worst);
	return true;
}

/* (node up, revoked node) pairs where the node still holds the revoked one
 * as a member; false when the core cannot tell and a node was revoked. */
static bool revoked_held(const struct sim *s, int64_t *out)
{
	uint64_t held = 0;
	for (uint32_t r = 0; r < s->nnodes; r++) {
		if (s->nodes[r].state != NODE_REVOKED)
			continue;
		if (!s->ops->has_member)
			return false;
		for (uint32_t i = 0; i < s->nnodes; i++) {
			const struct node *n = &s->nodes[i];
			held += n->state == NODE_UP && s->ops->has_member(n->core, r);
		}
	}
	*out = (int64_t)held;
	return true;
}

bool sim_metric(const struct sim *s, uint32_t i, int64_t *v)
{
	struct sim_totals t;
	const struct stats *st = &s->st;
	sim_totals(s, &t);
	mn_ns dur = s->now;
	switch ((enum metric)i) {
	case M_nodes: *v = s->scn.nodes; break;
	case M_up: *v = st->up; break;
	case M_events: *v = (int64_t)t.events; break;
	case M_timers: *v = (int64_t)t.timers; break;
	case M_tx_pkts: *v = (int64_t)t.tx_pkts; break;
	case M_rx_pkts: *v = (int64_t)t.rx_pkts; break;
	case M_tx_bytes: *v = (int64_t)t.tx_bytes; break;
	case M_rx_bytes: *v = (int64_t)t.rx_bytes; break;
	case M_dup_pkts: *v = (int64_t)s->net->duplicated; break;
	case M_drop_loss: case M_drop_partition: case M_drop_no_host: case M_drop_no_port:
	case M_drop_bad_addr: case M_drop_filtered: case M_drop_oversize: case M_drop_queue:
	case M_drop_down: case M_drop_rcvbuf:
		*v = (int64_t)t.drops[i - M_drop_loss];
		break;
	case M_pkts_per_node_s:
		*v = rate(t.tx_pkts, s->scn.nodes, dur);
		return true;
	case M_bytes_per_node_s:
		*v = rate(t.tx_bytes, s->scn.nodes, dur);
		return true;
	case M_steady_pkts_per_node_s:
	case M_steady_bytes_per_node_s:
		if (!s->steady_started || dur <= s->scn.steady_ns)
			return false;
		*v = rate(i == M_steady_pkts_per_node_s ? t.tx_pkts - s->steady_tx_pkts :
							  t.tx_bytes - s->steady_tx_bytes,
			  s->scn.nodes, dur - s->scn.steady_ns);
		return true;
	case M_bytes_per_node_s_max: {
		uint64_t most = 0;
		for (uint32_t k = 0; k < s->nnodes; k++) {
			if (s->nodes[k].tx_bytes > most)
				most = s->nodes[k].tx_bytes;
		}
		*v = rate(most, 1, dur);
		return true;
	}
	case M_datums: *v = datums_of(st, STATS_INJECT); break;
	case M_datums_incomplete: *v = incomplete(st, STATS_INJECT); break;
	case M_reach50_ms: return reach_max(st, STATS_INJECT, 0, v);
	case M_reach99_ms: return reach_max(st, STATS_INJECT, 1, v);
	case M_reach9999_ms: return reach_max(st, STATS_INJECT, 2, v);
	case M_reach100_ms: return reach_max(st, STATS_INJECT, 3, v);
	case M_reach99_ms_mean: {
		mn_ns sum = 0;
		uint32_t n = 0;
		for (uint32_t k = 0; k < st->ndatums; k++) {
			if (st->datums[k].kind == STATS_INJECT && st->datums[k].reach[1] != MN_NEVER) {
				sum += st->datums[k].reach[1];
				n++;
			}
		}
		if (n == 0)
			return false;
		*v = ns_to_milli_ms(sum / n);
		return true;
	}
	case M_revocations: *v = (int64_t)t.revocations; break;
	case M_revocations_incomplete: *v = incomplete(st, STATS_REVOKE); break;
	case M_revoke_reach50_ms: return reach_max(st, STATS_REVOKE, 0, v);
	case M_revoke_reach99_ms: return reach_max(st, STATS_REVOKE, 1, v);
	case M_revoke_reach100_ms: return reach_max(st, STATS_REVOKE, 3, v);
	case M_revoked_held:
		if (!revoked_held(s, v))
			return false;
		break;
	case M_converge_ms:
		if (s->converged_at == MN_NEVER)
			return false;
		*v = ns_to_milli_ms(s->converged_at - s->scn.calm_ns);
		return true;
	case M_suspicions: *v = (int64_t)st->obs[SIM_OBS_SUSPECT]; break;
	case M_false_suspicions: *v = (int64_t)st->obs_false[SIM_OBS_SUSPECT]; break;
	case M_deaths: *v = (int64_t)st->obs[SIM_OBS_DEAD]; break;
	case M_false_deaths: *v = (int64_t)st->obs_false[SIM_OBS_DEAD]; break;
	case M_detect_ms_max:
		if (!st->detections)
			return false;
		*v = ns_to_milli_ms(st->detect_max_ns);
		return true;
	case M_detect_ms_mean:
		if (!st->detections)
			return false;
		*v = ns_to_milli_ms(st->detect_sum_ns / st->detections);
		return true;
	case M_undetected:
		*v = (int64_t)stats_undetected(st);
		break;
	case M_crashes: *v = (int64_t)t.crashes; break;
	case M_restarts: *v = (int64_t)t.restarts; break;
	case M_pauses: *v = (int64_t)t.pauses; break;
	case M_moves: *v = (int64_t)t.moves; break;
	case M_inflight_peak: *v = (int64_t)t.inflight_peak; break;
	case M_queue_peak: *v = (int64_t)t.queue_peak; break;
	default:
		return false;
	}
	*v *= 1000; /* counts to fixed point */
	return true;
}
