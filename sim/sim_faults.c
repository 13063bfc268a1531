/* sim_faults.c - faults (crash, restart, pause, move, inject, revoke,
 * rogue, partition) and the scenario's actions that apply them to picked nodes. */
#include <string.h>

#include "mn_err.h"
#include "sim.h"
#include "sim_engine.h"

/* ---- faults ---- */

static int start_node(struct sim *s, struct node *n)
{
	net_host_addr(s->net, n->id, &n->env.addr);
	n->state = NODE_UP;
	stats_node_up(&s->st, n->id);
	trace_record(s->trace, TRACE_FAULT, s->now, F_BOOT, n->id, n->env.boot);
	int err = s->ops->create(&n->core, &n->env, sim__node_time(n, s->now));
	if (err) {
		n->core = NULL;
		n->state = NODE_DOWN;
		stats_node_down(&s->st, n->id, s->now);
		sim__die(s, err, "node %u: %s create: %s", n->id, s->ops->name, mn_strerror(err));
		return err;
	}
	sim__after(s, n);
	return MN_OK;
}

struct mn_time sim_node_time(const struct sim *s, uint32_t id)
{
	return sim__node_time(&s->nodes[id], s->now);
}

void sim_kick(struct sim *s, uint32_t id)
{
	struct node *n = &s->nodes[id];
	if (n->state == NODE_UP && !n->paused)
		sim__after(s, n);
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
	sim__drop_deferred(s, n);
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
	sim__push(s, until, EV_RESUME, id, &n->resume_seq);
}

/* A suspend (a laptop's lid): paused, its monotonic clock stopped (the
 * wall clock runs on), datagrams to it lost; with moving, it wakes on a
 * new underlay address. */
void sim_sleep(struct sim *s, uint32_t id, mn_ns dur, bool moving)
{
	struct node *n = &s->nodes[id];

	if (n->state != NODE_UP || n->paused || dur == 0)
		return;
	sim_pause(s, id, dur);
	n->asleep = true;
	n->slept_at = s->now;
	/* down for the statistics: declaring it dead is a detection, not a
	 * false death (and it counts as not holding datums: scenarios that
	 * put a node to sleep inject none) */
	stats_node_down(&s->st, id, s->now);
	s->tot.sleeps++;
	if (moving && sim_move(s, id))
		sim__die(s, MN_EFULL, "sleep: no free underlay address");
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
		sim__addr_changed(s, n);
	}
	return MN_OK;
}

void sim__addr_changed(struct sim *s, struct node *n)
{
	uint64_t key = 0;

	s->ops->addr_changed(n->core, &n->env.addr, sim__node_time(n, s->now), &key);
	if (key)
		stats_datum_add(&s->st, STATS_MOVE, key, n->id, s->now);
	sim__after(s, n);
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
	int err = s->ops->inject(n->core, datum, sim__node_time(n, s->now), &key);
	if (err) {
		sim__die(s, err, "node %u: inject: %s", id, mn_strerror(err));
		return err;
	}
	trace_record(s->trace, TRACE_INJECT, s->now, datum, id, key);
	s->tot.datums++;
	stats_datum_add(&s->st, STATS_INJECT, key, id, s->now);
	sim__after(s, n);
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
	int err = s->ops->revoke(n->core, target, sim__node_time(n, s->now), &key);
	if (err) {
		sim__die(s, err, "node %u: revoke node %u: %s", carrier, target, mn_strerror(err));
		return err;
	}
	stats_datum_add(&s->st, STATS_REVOKE, key, carrier, s->now);
	sim__after(s, n);
	return MN_OK;
}

int sim_rogue(struct sim *s, uint32_t id, enum sim_rogue b)
{
	struct node *n = &s->nodes[id];
	int err;

	if (!s->ops->rogue)
		return MN_EINVAL;
	if (n->state != NODE_UP || n->paused || n->rogue)
		return MN_ESTATE;
	trace_record(s->trace, TRACE_FAULT, s->now, F_ROGUE, id, b);
	n->rogue = true;
	stats_node_rogue(&s->st, id);
	err = s->ops->rogue(n->core, b, sim__node_time(n, s->now));
	if (err) {
		sim__die(s, err, "node %u: rogue %s: %s", id, sim_rogue_name(b), mn_strerror(err));
		return err;
	}
	sim__after(s, n);
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
static bool can_turn(const struct node *n) { return can_run(n) && !n->rogue; }

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
	return 1 + sim__draw_u64(&s->fault, a->for_ns);
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
		sim__die(s, MN_ESTATE, "line %u: no running node left to carry the tombstone", a->line);
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
				sim__push(s, s->now + draw_for(s, a), EV_RESTART, n->id, &n->restart_seq);
		}
		break;
	case SCN_RESTART:
	case SCN_JOIN: /* a join boots a standby slot: sim_restart does both */
		k = pick(s, a, a->op == SCN_JOIN ? can_join : can_restart);
		for (uint32_t i = 0; i < k && !s->err; i++)
			sim_restart(s, s->cand[i]);
		break;
	case SCN_PAUSE:
		k = pick(s, a, can_run);
		for (uint32_t i = 0; i < k; i++)
			sim_pause(s, s->cand[i], draw_for(s, a));
		break;
	case SCN_SLEEP:
		k = pick(s, a, can_run);
		for (uint32_t i = 0; i < k && !s->err; i++)
			sim_sleep(s, s->cand[i], draw_for(s, a), a->moving);
		break;
	case SCN_MOVE:
		k = pick(s, a, is_member);
		for (uint32_t i = 0; i < k; i++) {
			if (sim_move(s, s->cand[i]))
				sim__die(s, MN_EFULL, "line %u: no free underlay address", a->line);
		}
		break;
	case SCN_INJECT:
		k = pick(s, a, can_run);
		for (uint32_t i = 0; i < k && !s->err; i++) {
			if (sim_inject(s, s->cand[i]) == MN_EINVAL)
				sim__die(s, MN_EINVAL, "line %u: core %s has no datums to inject", a->line,
				    s->ops->name);
		}
		break;
	case SCN_REVOKE:
		revoke_picked(s, a);
		break;
	case SCN_ROGUE:
		k = pick(s, a, can_turn);
		for (uint32_t i = 0; i < k && !s->err; i++)
			sim_rogue(s, s->cand[i], (enum sim_rogue)a->rogue);
		break;
	default:
		break;
	}
}

void sim__on_action(struct sim *s, uint32_t idx)
{
	const struct scn_action *a = &s->scn.actions[idx];
	run_action(s, a);
	if (a->every_ns) {
		mn_ns next = s->now + a->every_ns;
		if (next <= a->until_ns && next <= s->scn.duration_ns)
			sim__push(s, next, EV_ACTION, idx, NULL);
	}
}

