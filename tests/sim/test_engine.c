/* test_engine.c - the engine driving a scripted core: ordering, pause,
 * crash, restart, partitions, moves, timers, determinism. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "demo_core.h"
#include "mn_err.h"
#include "sim.h"
#include "simtest.h"

/* Flat 1 ms latency, no jitter, no loss: every delay is exactly 1 ms. */
#define FLAT "latency 1ms\njitter 0\nduration 60s\n"
#define MS MN_NS_PER_MS

static struct tcore *core(struct sim *s, uint32_t i)
{
	return sim_core(s, i);
}

static mn_ns mono(struct sim *s, uint32_t i)
{
	return sim_node_time(s, i).mono;
}

START_TEST(boot_gives_each_node_its_env)
{
	struct sim *s = simtest_sim("nodes 3\nclock_skew 2s\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert(sim_node_up(s, i));
		const struct sim_env *e = sim_env(s, i);
		ck_assert_uint_eq(e->node_id, i);
		ck_assert_uint_eq(e->nodes, 3);
		ck_assert_uint_eq(e->boot, 0);
		ck_assert_uint_eq(net_lookup(sim_net(s), &e->addr), i);
		struct mn_time t = sim_node_time(s, i);
		ck_assert_uint_gt(t.mono, 0); /* monotonic clocks do not start at 0 */
		mn_ns skew = t.wall > SIM_WALL_EPOCH_NS ? t.wall - SIM_WALL_EPOCH_NS
							: SIM_WALL_EPOCH_NS - t.wall;
		ck_assert_uint_le(skew, 2 * MN_NS_PER_SEC);
	}
	ck_assert_uint_ne(mono(s, 0), mono(s, 1));
	sim_del(s);
}
END_TEST

START_TEST(same_instant_datagrams_keep_their_order)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 10 * MS), 0);
	for (int i = 0; i < 5; i++)
		tcore_send(core(s, 0), 1);
	sim_kick(s, 0);
	mn_ns expect = mono(s, 1) + 1 * MS;
	ck_assert_int_eq(sim_run_until(s, 20 * MS), 0);
	struct tcore *c = core(s, 1);
	ck_assert_uint_eq(c->rx, 5);
	for (uint32_t i = 0; i < 5; i++) {
		ck_assert_int_eq(c->log[i].what, 'r');
		ck_assert_uint_eq(c->log[i].seq, i + 1);
		ck_assert_uint_eq(c->log[i].from, 0);
		ck_assert_uint_eq(c->log[i].mono, expect);
	}
	struct mn_addr a0;
	net_host_addr(sim_net(s), 0, &a0);
	ck_assert(mn_addr_eq(&c->last_from, &a0));
	sim_del(s);
}
END_TEST

START_TEST(timers_move_earlier_and_later)
{
	struct sim *s = simtest_sim("nodes 1\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	struct tcore *c = core(s, 0);
	mn_ns base = mono(s, 0);

	/* later: the early event pops, finds nothing due, re-arms */
	c->deadline = base + 2000 * MS;
	sim_kick(s, 0);
	c->deadline = base + 3000 * MS;
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 2500 * MS), 0);
	ck_assert_uint_eq(c->fired, 0);
	ck_assert_int_eq(sim_run_until(s, 3000 * MS), 0);
	ck_assert_uint_eq(c->fired, 1);
	ck_assert_uint_eq(c->log[0].mono, base + 3000 * MS);

	/* earlier: a new event; the old one is skipped */
	c->deadline = base + 10000 * MS;
	sim_kick(s, 0);
	c->deadline = base + 4000 * MS;
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 20000 * MS), 0);
	ck_assert_uint_eq(c->fired, 2);
	ck_assert_uint_eq(c->log[1].mono, base + 4000 * MS);

	/* a deadline in the past fires now */
	c->deadline = 1;
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 20000 * MS), 0);
	ck_assert_uint_eq(c->fired, 3);
	ck_assert_uint_eq(c->log[2].mono, base + 20000 * MS);

	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(t.timers, 3);
	ck_assert_uint_ge(t.spurious_timers, 1);
	ck_assert_uint_ge(t.stale_timers, 1);
	sim_del(s);
}
END_TEST

START_TEST(periodic_timer)
{
	struct sim *s = simtest_sim("nodes 1\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	struct tcore *c = core(s, 0);
	c->deadline = mono(s, 0) + 100 * MS;
	c->period = 100 * MS;
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 1000 * MS), 0);
	ck_assert_uint_eq(c->fired, 10);
	sim_del(s);
}
END_TEST

START_TEST(runaway_timer_stops_the_run)
{
	struct sim *s = simtest_sim("nodes 1\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	struct tcore *c = core(s, 0);
	c->deadline = mono(s, 0) + 5 * MS;
	c->never_advance = true;
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 100 * MS), MN_ESTATE);
	ck_assert_ptr_nonnull(strstr(sim_error(s), "timer fired"));
	sim_del(s);
}
END_TEST

START_TEST(pause_defers_until_resume)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	struct tcore *c1 = core(s, 1);
	c1->deadline = mono(s, 1) + 500 * MS;
	sim_kick(s, 1);
	sim_pause(s, 1, 1000 * MS);
	ck_assert(sim_node_paused(s, 1));

	ck_assert_int_eq(sim_run_until(s, 100 * MS), 0);
	for (int i = 0; i < 3; i++)
		tcore_send(core(s, 0), 1);
	sim_kick(s, 0);
	ck_assert_int_eq(sim_run_until(s, 999 * MS), 0);
	ck_assert_uint_eq(c1->rx, 0);
	ck_assert_uint_eq(c1->fired, 0);

	/* pausing again for less does not shorten it */
	sim_pause(s, 1, 1 * MS);
	ck_assert_int_eq(sim_run_until(s, 1000 * MS), 0);
	ck_assert(!sim_node_paused(s, 1));
	ck_assert_uint_eq(c1->fired, 1);
	ck_assert_uint_eq(c1->rx, 3);
	/* one loop turn at resume: the overdue timer, then the buffered datagrams */
	mn_ns at = mono(s, 1);
	ck_assert_int_eq(c1->log[0].what, 't');
	for (uint32_t i = 1; i <= 3; i++) {
		ck_assert_int_eq(c1->log[i].what, 'r');
		ck_assert_uint_eq(c1->log[i].seq, i);
		ck_assert_uint_eq(c1->log[i].mono, at);
	}
	sim_del(s);
}
END_TEST

START_TEST(paused_receive_buffer_is_bounded)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	sim_pause(s, 1, 10000 * MS);
	struct tcore *c0 = core(s, 0);
	for (int burst = 0; burst < 8; burst++) {
		for (int i = 0; i < 200; i++)
			tcore_send(c0, 1);
		sim_kick(s, 0);
		ck_assert_int_eq(sim_run_until(s, (mn_ns)(burst + 1) * 100 * MS), 0);
	}
	ck_assert_int_eq(sim_run_until(s, 10000 * MS), 0);
	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(core(s, 1)->rx, SIM_MAX_DEFERRED);
	ck_assert_uint_eq(t.drops[NET_DROP_RCVBUF], 1600 - SIM_MAX_DEFERRED);
	sim_del(s);
}
END_TEST

START_TEST(crash_drops_state_restart_recreates)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	tcore_send(core(s, 1), 0);
	sim_kick(s, 1);
	ck_assert_int_eq(sim_run_until(s, 10 * MS), 0);
	ck_assert_uint_eq(core(s, 0)->rx, 1);

	/* a crash with datagrams in flight and a timer pending */
	core(s, 0)->deadline = mono(s, 0) + 5 * MS;
	sim_kick(s, 0);
	tcore_send(core(s, 1), 0);
	sim_kick(s, 1);
	sim_crash(s, 0);
	ck_assert(!sim_node_up(s, 0));
	ck_assert_ptr_null(sim_core(s, 0));
	ck_assert_int_eq(sim_run_until(s, 20 * MS), 0);
	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(t.drops[NET_DROP_DOWN], 1);
	ck_assert_uint_eq(t.timers, 0);
	ck_assert_uint_eq(t.crashes, 1);

	ck_assert_int_eq(sim_restart(s, 0), 0);
	ck_assert(sim_node_up(s, 0));
	ck_assert_uint_eq(core(s, 0)->rx, 0); /* fresh state */
	ck_assert_uint_eq(sim_env(s, 0)->boot, 1);
	const struct tcore_persist *p = *sim_env(s, 0)->persist;
	ck_assert_uint_eq(p->boots, 2); /* the durable slot survived */
	ck_assert_uint_eq(p->crashes, 1);
	tcore_send(core(s, 1), 0);
	sim_kick(s, 1);
	ck_assert_int_eq(sim_run_until(s, 30 * MS), 0);
	ck_assert_uint_eq(core(s, 0)->rx, 1);
	sim_del(s);
}
END_TEST

/* Run a phase with every node broadcasting each 100 ms; count[i][j] is how
 * many datagrams j received from i. */
enum { PN = 8 };
static void phase(struct sim *s, mn_ns until, uint32_t count[PN][PN])
{
	for (uint32_t i = 0; i < PN; i++)
		core(s, i)->nlog = 0;
	ck_assert_int_eq(sim_run_until(s, until), 0);
	memset(count, 0, sizeof(uint32_t) * PN * PN);
	for (uint32_t j = 0; j < PN; j++) {
		struct tcore *c = core(s, j);
		for (uint32_t k = 0; k < c->nlog; k++) {
			if (c->log[k].what == 'r')
				count[c->log[k].from][j]++;
		}
	}
}

START_TEST(partitions_block_exactly_the_cut)
{
	struct sim *s = simtest_sim("nodes 8\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	for (uint32_t i = 0; i < PN; i++) {
		struct tcore *c = core(s, i);
		c->broadcast = true;
		c->period = 100 * MS;
		c->deadline = mono(s, i) + 10 * MS + i * MS;
		sim_kick(s, i);
	}
	uint32_t count[PN][PN];
	bool in[PN] = { true, true, true };
	phase(s, 1000 * MS, count);
	for (uint32_t i = 0; i < PN; i++)
		for (uint32_t j = 0; j < PN; j++)
			ck_assert_uint_eq(count[i][j], i == j ? 0 : 10);

	sim_partition(s, in, false);
	phase(s, 2000 * MS, count);
	for (uint32_t i = 0; i < PN; i++)
		for (uint32_t j = 0; j < PN; j++)
			ck_assert_uint_eq(count[i][j], i == j || in[i] != in[j] ? 0 : 10);

	sim_partition(s, in, true); /* only traffic into {0,1,2} is cut */
	phase(s, 3000 * MS, count);
	for (uint32_t i = 0; i < PN; i++)
		for (uint32_t j = 0; j < PN; j++)
			ck_assert_uint_eq(count[i][j], i == j || (!in[i] && in[j]) ? 0 : 10);

	sim_heal(s);
	phase(s, 4000 * MS, count);
	for (uint32_t i = 0; i < PN; i++)
		for (uint32_t j = 0; j < PN; j++)
			ck_assert_uint_eq(count[i][j], i == j ? 0 : 10);
	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(t.drops[NET_DROP_PARTITION], 3 * 5 * 2 * 10 + 5 * 3 * 10);
	sim_del(s);
}
END_TEST

START_TEST(address_change)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	struct mn_addr before = sim_env(s, 1)->addr;
	ck_assert_int_eq(sim_move(s, 1), 0);
	ck_assert(!mn_addr_eq(&before, &sim_env(s, 1)->addr));
	ck_assert_uint_eq(core(s, 1)->addr_changes, 1);
	/* tcore sends to the boot address: nobody lives there now */
	tcore_send(core(s, 0), 1);
	sim_kick(s, 0);
	/* and node 1's datagrams now come from its new address */
	tcore_send(core(s, 1), 0);
	sim_kick(s, 1);
	ck_assert_int_eq(sim_run_until(s, 10 * MS), 0);
	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(t.drops[NET_DROP_NO_HOST], 1);
	ck_assert_uint_eq(core(s, 1)->rx, 0);
	ck_assert(mn_addr_eq(&core(s, 0)->last_from, &sim_env(s, 1)->addr));

	/* a move while paused reaches the core at resume */
	sim_pause(s, 1, 50 * MS);
	ck_assert_int_eq(sim_move(s, 1), 0);
	ck_assert_uint_eq(core(s, 1)->addr_changes, 1);
	ck_assert_int_eq(sim_run_until(s, 100 * MS), 0);
	ck_assert_uint_eq(core(s, 1)->addr_changes, 2);
	sim_del(s);
}
END_TEST

static const char demo_faults[] =
	"core demo\n"
	"nodes 60\n"
	"profile wan\n"
	"duration 40s\n"
	"loss 5%\n"
	"dup 1%\n"
	"every 5s inject\n"
	"at 3s crash 5% for up to 4s\n"
	"at 4s pause 10% for up to 2s\n"
	"at 6s partition 30%\n"
	"at 9s partition 20% oneway\n"
	"at 12s heal\n"
	"at 13s move 5%\n";

START_TEST(same_seed_same_trace)
{
	char a[TRACE_HEX_LEN], b[TRACE_HEX_LEN], c[TRACE_HEX_LEN], d[TRACE_HEX_LEN];
	char text[sizeof(demo_faults) + 32];
	snprintf(text, sizeof(text), "%sseed 7\n", demo_faults);
	printf("engine same_seed_same_trace seed=7 and seed=8\n");
	simtest_run_hash(text, a);
	simtest_run_hash(text, b);
	ck_assert_str_eq(a, b);
	snprintf(text, sizeof(text), "%sseed 8\n", demo_faults);
	simtest_run_hash(text, c);
	ck_assert_str_ne(a, c);
	/* only the network changes: still a different trace */
	snprintf(text, sizeof(text), "%sseed 7\nloss 6%%\n", demo_faults);
	simtest_run_hash(text, d);
	ck_assert_str_ne(a, d);
}
END_TEST

/* Two engines stepped in turn in one process give the same traces as one
 * run alone: nothing is shared between them. */
START_TEST(engines_do_not_share_state)
{
	char text[sizeof(demo_faults) + 32], alone[TRACE_HEX_LEN], a[TRACE_HEX_LEN],
		b[TRACE_HEX_LEN];
	snprintf(text, sizeof(text), "%sseed 3\n", demo_faults);
	simtest_run_hash(text, alone);
	struct sim *x = simtest_sim(text, NULL), *y = simtest_sim(text, NULL);
	for (mn_ns t = 0; t <= 40 * MN_NS_PER_SEC; t += 700 * MS) {
		ck_assert_int_eq(sim_run_until(x, t), 0);
		ck_assert_int_eq(sim_run_until(y, t + 300 * MS), 0);
	}
	ck_assert_int_eq(sim_run(x), 0);
	ck_assert_int_eq(sim_run(y), 0);
	sim_trace_hex(x, a);
	sim_trace_hex(y, b);
	ck_assert_str_eq(a, alone);
	ck_assert_str_eq(b, alone);
	sim_del(x);
	sim_del(y);
}
END_TEST

/* The demo core keeps its version across a crash only when it persists it. */
START_TEST(persisted_state_survives_a_crash)
{
	for (int persist = 0; persist < 2; persist++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "core demo\ncore_param persist %d\nnodes 5\nduration 6s\n"
			 "at 1s inject\nat 5s crash all\nat 5500ms restart all\n",
			 persist);
		struct sim *s = simtest_sim(text, NULL);
		ck_assert_int_eq(sim_run(s), 0);
		for (uint32_t i = 0; i < 5; i++) {
			ck_assert(sim_node_up(s, i));
			ck_assert_uint_eq(sim_env(s, i)->boot, 1);
			ck_assert_uint_eq(demo_version(sim_core(s, i)), (uint64_t)persist);
		}
		ck_assert_uint_eq(sim_stats(s)->datums[0].holders, persist ? 5 : 0);
		sim_del(s);
	}
}
END_TEST

START_TEST(datums_spread_and_are_measured)
{
	struct sim *s = simtest_sim("core demo\nnodes 50\nduration 20s\nat 1s inject\n"
				    "at 8s crash 4\nat 10s inject\n", NULL);
	ck_assert_int_eq(sim_run(s), 0);
	const struct stats *st = sim_stats(s);
	ck_assert_uint_eq(st->ndatums, 2);
	for (uint32_t i = 0; i < 2; i++) {
		for (int l = 0; l < STATS_REACH_LEVELS; l++)
			ck_assert_uint_ne(st->datums[i].reach[l], MN_NEVER);
		ck_assert_uint_le(st->datums[i].reach[0], st->datums[i].reach[1]);
		ck_assert_uint_le(st->datums[i].reach[1], st->datums[i].reach[2]);
		ck_assert_uint_le(st->datums[i].reach[2], st->datums[i].reach[3]);
		ck_assert_uint_eq(st->datums[i].holders, 46); /* every node up */
	}
	ck_assert_uint_eq(st->up, 46);
	int64_t v;
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("reach100_ms"), &v));
	ck_assert_int_gt(v, 0);
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("datums_incomplete"), &v));
	ck_assert_int_eq(v, 0);
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("crashes"), &v));
	ck_assert_int_eq(v, 4000);
	sim_del(s);
}
END_TEST

/* `steady T` opens the window of the steady_* rates; the demo core sends
 * at a constant rate, so both windows give about the same rate. */
START_TEST(steady_window_rates)
{
	int64_t all, steady;
	int ia = sim_metric_find("pkts_per_node_s"), is = sim_metric_find("steady_pkts_per_node_s");
	struct sim *s = simtest_sim("core demo\nnodes 20\nduration 20s\nsteady 10s\n", NULL);

	ck_assert_int_eq(sim_run(s), 0);
	ck_assert(sim_metric(s, (uint32_t)ia, &all));
	ck_assert(sim_metric(s, (uint32_t)is, &steady));
	ck_assert_int_gt(steady, all * 9 / 10);
	ck_assert_int_lt(steady, all * 11 / 10);
	sim_del(s);
	s = simtest_sim("core demo\nnodes 20\nduration 2s\n", NULL);
	ck_assert_int_eq(sim_run(s), 0);
	ck_assert(!sim_metric(s, (uint32_t)is, &steady)); /* no window, no value */
	sim_del(s);
}
END_TEST

START_TEST(observations_are_judged_against_the_truth)
{
	struct sim *s = simtest_sim("nodes 3\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 0), 0);
	const struct sim_env *e = sim_env(s, 0);
	ck_assert_int_eq(sim_run_until(s, 1000 * MS), 0);
	sim_env_observe(e, SIM_OBS_SUSPECT, 1); /* 1 is up: false */
	sim_crash(s, 2);
	ck_assert_int_eq(sim_run_until(s, 3500 * MS), 0);
	sim_env_observe(e, SIM_OBS_SUSPECT, 2);
	sim_env_observe(e, SIM_OBS_DEAD, 2);
	sim_env_observe(e, SIM_OBS_DEAD, 1);
	const struct stats *st = sim_stats(s);
	ck_assert_uint_eq(st->obs[SIM_OBS_SUSPECT], 2);
	ck_assert_uint_eq(st->obs_false[SIM_OBS_SUSPECT], 1);
	ck_assert_uint_eq(st->obs[SIM_OBS_DEAD], 2);
	ck_assert_uint_eq(st->obs_false[SIM_OBS_DEAD], 1);
	ck_assert_uint_eq(st->detections, 1);
	ck_assert_uint_eq(st->detect_max_ns, 2500 * MS);
	/* node 1 never declared node 2 dead */
	ck_assert_uint_eq(stats_undetected(st), 1);
	ck_assert_int_eq(sim_run_until(s, 4000 * MS), 0);
	sim_env_observe(e, SIM_OBS_DEAD, 2); /* a repeat is not timed again */
	ck_assert_uint_eq(st->detections, 1);
	sim_env_observe(sim_env(s, 1), SIM_OBS_DEAD, 2);
	ck_assert_uint_eq(st->detections, 2);
	ck_assert_uint_eq(st->detect_max_ns, 3000 * MS);
	ck_assert_uint_eq(stats_undetected(st), 0);
	/* after a restart and a new crash, verdicts count afresh */
	ck_assert_int_eq(sim_restart(s, 2), 0);
	sim_crash(s, 2);
	ck_assert_uint_eq(stats_undetected(st), 2);
	sim_del(s);
}
END_TEST

START_TEST(scenario_actions_pick_nodes)
{
	struct sim *s = simtest_sim("nodes 100\nstandby 10\n" FLAT
				    "at 1s crash 10%\nat 2s pause 5 for 1s\nat 3s restart 4\n"
				    "at 4s join 10\nat 5s crash node 99\nat 6s move all\n",
				    &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 1500 * MS), 0);
	struct sim_totals t;
	sim_totals(s, &t);
	ck_assert_uint_eq(t.crashes, 10);
	ck_assert_int_eq(sim_run_until(s, 2500 * MS), 0);
	sim_totals(s, &t);
	ck_assert_uint_eq(t.pauses, 5);
	ck_assert_int_eq(sim_run_until(s, 4500 * MS), 0);
	sim_totals(s, &t);
	ck_assert_uint_eq(t.restarts, 4);
	ck_assert_uint_eq(sim_stats(s)->up, 104);
	ck_assert(sim_node_up(s, 105));
	ck_assert_int_eq(sim_run_until(s, 6500 * MS), 0);
	sim_totals(s, &t);
	ck_assert_uint_eq(t.moves, 110);
	sim_del(s);
}
END_TEST

START_TEST(inject_needs_a_core_with_datums)
{
	struct sim *s = simtest_sim("nodes 2\n" FLAT "at 1s inject\n", &tcore_ops);
	ck_assert_int_eq(sim_run(s), MN_EINVAL);
	ck_assert_ptr_nonnull(strstr(sim_error(s), "has no datums"));
	ck_assert(!sim_passed(s));
	sim_del(s);
}
END_TEST

/* A core without ops->revoke: the API refuses, and nothing changes. */
START_TEST(revoke_needs_a_core_with_revocation)
{
	struct sim *s = simtest_sim("nodes 3\n" FLAT, &tcore_ops);
	ck_assert_int_eq(sim_run_until(s, 1000 * MS), 0);
	ck_assert_int_eq(sim_revoke(s, 1, 0), MN_EINVAL);
	ck_assert(sim_node_up(s, 1));
	ck_assert(!sim_node_revoked(s, 1));
	int64_t v;
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("revocations"), &v));
	ck_assert_int_eq(v, 0);
	/* no revoked node: nothing to hold, even without has_member */
	ck_assert(sim_metric(s, (uint32_t)sim_metric_find("revoked_held"), &v));
	ck_assert_int_eq(v, 0);
	ck_assert(!sim_metric(s, (uint32_t)sim_metric_find("revoke_reach100_ms"), &v));
	sim_del(s);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("sim_engine");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, boot_gives_each_node_its_env);
	tcase_add_test(tc, same_instant_datagrams_keep_their_order);
	tcase_add_test(tc, timers_move_earlier_and_later);
	tcase_add_test(tc, periodic_timer);
	tcase_add_test(tc, runaway_timer_stops_the_run);
	tcase_add_test(tc, pause_defers_until_resume);
	tcase_add_test(tc, paused_receive_buffer_is_bounded);
	tcase_add_test(tc, crash_drops_state_restart_recreates);
	tcase_add_test(tc, partitions_block_exactly_the_cut);
	tcase_add_test(tc, address_change);
	tcase_add_test(tc, same_seed_same_trace);
	tcase_add_test(tc, engines_do_not_share_state);
	tcase_add_test(tc, persisted_state_survives_a_crash);
	tcase_add_test(tc, datums_spread_and_are_measured);
	tcase_add_test(tc, steady_window_rates);
	tcase_add_test(tc, observations_are_judged_against_the_truth);
	tcase_add_test(tc, scenario_actions_pick_nodes);
	tcase_add_test(tc, inject_needs_a_core_with_datums);
	tcase_add_test(tc, revoke_needs_a_core_with_revocation);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(engine_suite)
