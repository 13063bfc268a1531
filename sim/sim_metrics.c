/* sim_metrics.c - results: totals, metrics (defined once, in METRIC_MAP)
 * and the verdict against the scenario's expectations. */
#include <string.h>

#include "mn_err.h"
#include "sim.h"
#include "sim_engine.h"

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
	X(bytes_per_node_s, "bytes sent per node per second (mean; standby slots count)")  \
	X(bytes_per_node_s_max, "bytes sent per second by the busiest node")              \
	X(steady_pkts_per_node_s, "datagrams sent per node per second from `steady` on")  \
	X(steady_bytes_per_node_s, "bytes sent per node per second from `steady` on (mean)") \
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
	X(move_reach99_ms, "slowest move until 99% of nodes up send to the new address")  \
	X(move_reach100_ms, "slowest move until every node up sends to the new address")  \
	X(moves_incomplete, "moves whose new address some node up never adopted")        \
	X(converge_ms, "calm phase start to every live node agreeing")                    \
	X(suspicions, "suspicions reported")                                              \
	X(false_suspicions, "suspicions of nodes that were up")                           \
	X(deaths, "deaths declared")                                                      \
	X(false_deaths, "deaths declared of nodes that were up")                          \
	X(rogues, "nodes turned hostile (`rogue`)")                                       \
	X(honest_false_suspicions, "false suspicions by an honest node of an honest one") \
	X(honest_false_deaths, "false deaths declared by an honest node of an honest one") \
	X(detect_ms_max, "slowest crash-to-declared-dead, over observers")                \
	X(detect_ms_mean, "mean crash-to-declared-dead")                                  \
	X(undetected, "(node up, node down) pairs at the end without a death declared")   \
	X(crashes, "node crashes")                                                        \
	X(restarts, "node restarts")                                                      \
	X(pauses, "node pauses")                                                          \
	X(sleeps, "node suspends (sleep: monotonic clock stopped)")                       \
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

int sim_core_metric_find(const struct sim_core_ops *ops, const char *name)
{
	for (uint32_t i = 0; ops->metric && i < ops->nmetrics; i++) {
		if (strcmp(ops->metric_names[i], name) == 0)
			return (int)i;
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
	if (i >= M__COUNT) {
		/* the core's own (sim_core_metric_find) */
		uint32_t j = i - M__COUNT;
		return s->ops->metric && j < s->ops->nmetrics && s->ops->metric(s->shared, j, v);
	}
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
		*v = rate(t.tx_pkts, s->scn.nodes + s->scn.standby, dur);
		return true;
	case M_bytes_per_node_s:
		*v = rate(t.tx_bytes, s->scn.nodes + s->scn.standby, dur);
		return true;
	case M_steady_pkts_per_node_s:
	case M_steady_bytes_per_node_s:
		if (!s->steady_started || dur <= s->scn.steady_ns)
			return false;
		*v = rate(i == M_steady_pkts_per_node_s ? t.tx_pkts - s->steady_tx_pkts :
							  t.tx_bytes - s->steady_tx_bytes,
			  s->scn.nodes + s->scn.standby, dur - s->scn.steady_ns);
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
	case M_move_reach99_ms: return reach_max(st, STATS_MOVE, 1, v);
	case M_move_reach100_ms: return reach_max(st, STATS_MOVE, 3, v);
	case M_moves_incomplete: *v = incomplete(st, STATS_MOVE); break;
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
	case M_rogues: *v = st->rogues; break;
	case M_honest_false_suspicions: *v = (int64_t)st->obs_false_honest[SIM_OBS_SUSPECT]; break;
	case M_honest_false_deaths: *v = (int64_t)st->obs_false_honest[SIM_OBS_DEAD]; break;
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
	case M_sleeps: *v = (int64_t)t.sleeps; break;
	case M_moves: *v = (int64_t)t.moves; break;
	case M_inflight_peak: *v = (int64_t)t.inflight_peak; break;
	case M_queue_peak: *v = (int64_t)t.queue_peak; break;
	default:
		return false;
	}
	*v *= 1000; /* counts to fixed point */
	return true;
}
