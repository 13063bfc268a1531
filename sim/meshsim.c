/* meshsim - run a scenario on the simulator and judge it.
 *
 *   meshsim SCENARIO [--seed N] [--nodes N] [--duration T] [--set LINE]...
 *           [--json] [--quiet]
 *   meshsim --metrics
 *
 * Options override the scenario file (--set adds any scenario line, e.g.
 * --set 'loss 5%'). Exit status 0 exactly when the verdict passes, 1 when
 * it fails (expectation or engine error), 2 on usage or scenario errors.
 * This file is the only part of the simulator that reads a real clock, and
 * only to report how long the run took.
 *
 * libsodium's generator is replaced by a seeded one for the whole process
 * (randombytes_set_implementation is process-wide by libsodium's design, so
 * its state is this program's one global). Cores must draw from env->rng;
 * the replacement makes a stray randombytes_buf() replay all the same, and
 * the run counts such calls ("stray_randombytes") so they get fixed.
 *
 * A core may keep files for the run (the swim core's per-node LMDB
 * environments under $TMPDIR): SIGINT, SIGTERM and SIGHUP stop the run
 * between events and sim_del removes them (a second signal kills at once).
 * The soft limit on open files is raised to the hard one (3 per node with
 * LMDB).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mn_err.h"
#include "mn_rng.h"
#include "scn.h"
#include "sim.h"

enum meshsim_limits {
	MAX_SETS = 32,
	CMD_LEN = 4096,
	NUM_LEN = 32,
};

/* The run is stepped a virtual second at a time to notice a signal (the
 * run is the same however it is stepped). */
#define STEP_NS MN_NS_PER_SEC

static volatile sig_atomic_t stop_signal; /* the signal that asks us to stop, 0 none */

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = (int)SA_RESETHAND; /* a second one kills */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct opts {
	const char *path;
	bool json, quiet;
	bool has_seed, has_nodes, has_duration;
	uint64_t seed;
	uint32_t nodes;
	const char *duration;
	const char *sets[MAX_SETS];
	int nsets;
};

/* The process-wide seeded stand-in for libsodium's generator. */
static struct {
	struct mn_seeded_rng rng;
	uint64_t calls;
} sodium_rng;

static const char *seeded_name(void)
{
	return "meshsim-seeded";
}

static void seeded_buf(void *const buf, const size_t size)
{
	struct mn_rng r = mn_seeded_rng_iface(&sodium_rng.rng);
	sodium_rng.calls++;
	mn_rng_bytes(&r, buf, size);
}

static uint32_t seeded_random(void)
{
	uint32_t v;
	seeded_buf(&v, sizeof(v));
	return v;
}

static randombytes_implementation seeded_impl = {
	.implementation_name = seeded_name,
	.random = seeded_random,
	.buf = seeded_buf,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: meshsim SCENARIO [--seed N] [--nodes N] [--duration T]\n"
		   "               [--set 'LINE']... [--json] [--quiet]\n"
		   "       meshsim --metrics\n");
}

static mn_ns wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (mn_ns)ts.tv_sec * MN_NS_PER_SEC + (mn_ns)ts.tv_nsec;
}

/* Fixed point x1000 as the shortest decimal. */
static const char *milli_str(int64_t v, char buf[NUM_LEN])
{
	const char *sign = v < 0 ? "-" : "";
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (u % 1000 == 0) {
		snprintf(buf, NUM_LEN, "%s%" PRIu64, sign, u / 1000);
		return buf;
	}
	snprintf(buf, NUM_LEN, "%s%" PRIu64 ".%03" PRIu64, sign, u / 1000, u % 1000);
	size_t n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	return buf;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Append s single-quoted for a POSIX shell. */
static void shell_quote(char *cmd, size_t cap, const char *s)
{
	size_t n = strlen(cmd);
	if (n + 1 < cap)
		cmd[n++] = '\'';
	for (; *s && n + 5 < cap; s++) {
		if (*s == '\'') {
			memcpy(cmd + n, "'\\''", 4);
			n += 4;
		} else {
			cmd[n++] = *s;
		}
	}
	if (n + 1 < cap)
		cmd[n++] = '\'';
	cmd[n] = '\0';
}

static void replay_cmd(const struct opts *o, const struct scn *s, const char *argv0, char *cmd,
		       size_t cap)
{
	cmd[0] = '\0';
	shell_quote(cmd, cap, argv0);
	strncat(cmd, " ", cap - strlen(cmd) - 1);
	shell_quote(cmd, cap, o->path);
	char tail[128];
	snprintf(tail, sizeof(tail), " --seed %" PRIu64 " --nodes %u", s->seed, s->nodes);
	strncat(cmd, tail, cap - strlen(cmd) - 1);
	if (o->has_duration) {
		strncat(cmd, " --duration ", cap - strlen(cmd) - 1);
		shell_quote(cmd, cap, o->duration);
	}
	for (int i = 0; i < o->nsets; i++) {
		strncat(cmd, " --set ", cap - strlen(cmd) - 1);
		shell_quote(cmd, cap, o->sets[i]);
	}
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "set", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (scn_parse_u64(optarg, &o->seed)) {
				fprintf(stderr, "meshsim: bad --seed '%s'\n", optarg);
				return 2;
			}
			o->has_seed = true;
			break;
		case 'n':
			if (scn_parse_u64(optarg, &v) || v == 0 || v > SCN_MAX_NODES) {
				fprintf(stderr, "meshsim: bad --nodes '%s' (1..%d)\n", optarg,
					SCN_MAX_NODES);
				return 2;
			}
			o->nodes = (uint32_t)v;
			o->has_nodes = true;
			break;
		case 'd':
			o->duration = optarg;
			o->has_duration = true;
			break;
		case 'S':
			if (o->nsets == MAX_SETS) {
				fprintf(stderr, "meshsim: more than %d --set\n", MAX_SETS);
				return 2;
			}
			o->sets[o->nsets++] = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'm':
			for (uint32_t i = 0; i < sim_metric_count(); i++)
				printf("%-22s %s\n", sim_metric_name(i), sim_metric_help(i));
			for (const char *const *nm = simcore_names(); *nm; nm++) {
				const struct sim_core_ops *ops = simcore_find(*nm);
				for (uint32_t i = 0; ops->metric && i < ops->nmetrics; i++)
					printf("%-22s (core %s) %s\n", ops->metric_names[i], ops->name,
					       ops->metric_helps[i]);
			}
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o->path = argv[optind];
	return 0;
}

static int load(const struct opts *o, struct scn *s)
{
	char err[SCN_ERR_LEN + 64];
	scn_init(s, o->path);
	if (scn_load(s, o->path, err, sizeof(err)))
		goto out_err;
	for (int i = 0; i < o->nsets; i++) {
		if (scn_feed(s, o->sets[i], "--set", (uint32_t)i + 1, err, sizeof(err)))
			goto out_err;
	}
	if (o->has_duration) {
		char line[SCN_LINE_MAX];
		snprintf(line, sizeof(line), "duration %s", o->duration);
		if (scn_feed(s, line, "--duration", 1, err, sizeof(err)))
			goto out_err;
	}
	if (o->has_nodes)
		s->nodes = o->nodes;
	if (o->has_seed)
		s->seed = o->seed;
	if (scn_finish(s, err, sizeof(err)))
		goto out_err;
	return 0;
out_err:
	fprintf(stderr, "meshsim: %s\n", err);
	return 2;
}

static void print_text(const struct sim *sim, const struct scn *s, bool pass, mn_ns wall,
		       const char *hex, bool quiet)
{
	char a[NUM_LEN], b[NUM_LEN];
	int64_t v;
	if (!quiet) {
		for (uint32_t i = 0; i < sim_metric_count(); i++) {
			if (sim_metric(sim, i, &v))
				printf("  %-22s %s\n", sim_metric_name(i), milli_str(v, a));
			else
				printf("  %-22s -\n", sim_metric_name(i));
		}
		const struct sim_core_ops *ops = sim_ops(sim);
		for (uint32_t i = 0; ops->metric && i < ops->nmetrics; i++) {
			if (sim_metric(sim, sim_metric_count() + i, &v))
				printf("  %-22s %s\n", ops->metric_names[i], milli_str(v, a));
			else
				printf("  %-22s -\n", ops->metric_names[i]);
		}
		for (uint32_t i = 0; i < ops->ncounters; i++)
			printf("  %s.%-17s %" PRIu64 "\n", ops->name, ops->counter_names[i],
			       sim_core_counter(sim, i));
	}
	for (uint32_t i = 0; i < s->nexpects; i++) {
		const struct scn_expect *e = &s->expects[i];
		bool has;
		bool ok = sim_expect_ok(sim, i, &v, &has);
		printf("expect %s %s %s (line %u): %s -> %s\n", e->metric, scn_cmp_name(e->cmp),
		       milli_str(e->milli, a), e->line, has ? milli_str(v, b) : "no value",
		       ok ? "ok" : "FAILED");
	}
	const struct stats *st = sim_stats(sim);
	uint64_t nfalse = st->obs_false[SIM_OBS_DEAD];
	for (uint64_t i = 0; i < nfalse && i < STATS_FALSE_KEEP; i++)
		printf("false death: node %u declared node %u dead at %.3f s\n",
		       st->false_dead[i].observer, st->false_dead[i].subject,
		       (double)st->false_dead[i].at / 1e9);
	if (sim_error(sim))
		printf("error: %s\n", sim_error(sim));
	if (sodium_rng.calls)
		printf("warning: cores called libsodium's randombytes %" PRIu64
		       " times instead of env->rng\n", sodium_rng.calls);
	struct sim_totals t;
	sim_totals(sim, &t);
	double secs = (double)wall / 1e9;
	printf("verdict=%s seed=%" PRIu64 " nodes=%u trace_hash=%s wall=%.2fs events=%" PRIu64
	       " (%.2f M/s)\n",
	       pass ? "pass" : "FAIL", s->seed, s->nodes, hex, secs, t.events,
	       secs > 0 ? (double)t.events / secs / 1e6 : 0.0);
}

static void print_json(const struct sim *sim, const struct scn *s, bool pass, mn_ns wall,
		       const char *hex, const char *replay)
{
	char a[NUM_LEN];
	int64_t v;
	printf("{\"verdict\":\"%s\",\"seed\":%" PRIu64 ",\"trace_hash\":\"%s\",", pass ? "pass" : "fail",
	       s->seed, hex);
	printf("\"scenario\":");
	json_str(stdout, s->source);
	printf(",\"core\":");
	json_str(stdout, sim_ops(sim)->name);
	printf(",\"nodes\":%u,\"standby\":%u,\"duration_ms\":%" PRIu64 ",\"calm_ms\":", s->nodes,
	       s->standby, s->duration_ns / MN_NS_PER_MS);
	if (s->calm_ns == MN_NEVER)
		printf("null");
	else
		printf("%" PRIu64, s->calm_ns / MN_NS_PER_MS);
	printf(",\"wall_ms\":%" PRIu64 ",\"stray_randombytes\":%" PRIu64 ",\"error\":",
	       wall / MN_NS_PER_MS, sodium_rng.calls);
	if (sim_error(sim))
		json_str(stdout, sim_error(sim));
	else
		printf("null");
	printf(",\"metrics\":{");
	for (uint32_t i = 0; i < sim_metric_count(); i++) {
		printf("%s\"%s\":%s", i ? "," : "", sim_metric_name(i),
		       sim_metric(sim, i, &v) ? milli_str(v, a) : "null");
	}
	const struct sim_core_ops *ops = sim_ops(sim);
	printf("},\"core_metrics\":{");
	for (uint32_t i = 0; ops->metric && i < ops->nmetrics; i++) {
		printf("%s\"%s\":%s", i ? "," : "", ops->metric_names[i],
		       sim_metric(sim, sim_metric_count() + i, &v) ? milli_str(v, a) : "null");
	}
	printf("},\"core_counters\":{");
	for (uint32_t i = 0; i < ops->ncounters; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", ops->counter_names[i],
		       sim_core_counter(sim, i));
	printf("},\"expectations\":[");
	for (uint32_t i = 0; i < s->nexpects; i++) {
		const struct scn_expect *e = &s->expects[i];
		bool has;
		bool ok = sim_expect_ok(sim, i, &v, &has);
		printf("%s{\"line\":%u,\"metric\":\"%s\",\"cmp\":\"%s\",\"threshold\":%s,", i ? "," : "",
		       e->line, e->metric, scn_cmp_name(e->cmp), milli_str(e->milli, a));
		printf("\"value\":%s,\"ok\":%s}", has ? milli_str(v, a) : "null", ok ? "true" : "false");
	}
	const struct stats *st = sim_stats(sim);
	uint64_t nfalse = st->obs_false[SIM_OBS_DEAD];
	printf("],\"false_deaths_seen\":[");
	for (uint64_t i = 0; i < nfalse && i < STATS_FALSE_KEEP; i++)
		printf("%s{\"observer\":%u,\"subject\":%u,\"at_ms\":%" PRIu64 "}", i ? "," : "",
		       st->false_dead[i].observer, st->false_dead[i].subject,
		       st->false_dead[i].at / MN_NS_PER_MS);
	printf("],\"replay\":");
	json_str(stdout, replay);
	printf("}\n");
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	raise_nofile_limit();
	catch_stop_signals();
	struct scn *s = malloc(sizeof(*s));
	if (!s)
		return 2;
	if (load(&o, s)) {
		free(s);
		return 2;
	}
	/* before sodium_init, which fixes the implementation */
	mn_seeded_rng_init(&sodium_rng.rng, s->seed ^ UINT64_C(0x736f6469756d2121));
	randombytes_set_implementation(&seeded_impl);
	if (sodium_init() < 0) {
		fprintf(stderr, "meshsim: libsodium init failed\n");
		free(s);
		return 2;
	}

	char err[SCN_ERR_LEN + 64];
	struct sim *sim;
	if (sim_new(&sim, s, NULL, err, sizeof(err))) {
		fprintf(stderr, "meshsim: %s\n", err);
		free(s);
		return 2;
	}
	char replay[CMD_LEN];
	replay_cmd(&o, s, argv[0], replay, sizeof(replay));
	if (!o.json && !o.quiet)
		printf("meshsim %s: core=%s nodes=%u seed=%" PRIu64 " duration=%" PRIu64 "s\n",
		       s->source, sim_ops(sim)->name, s->nodes, s->seed,
		       s->duration_ns / MN_NS_PER_SEC);

	mn_ns t0 = wall_ns();
	sodium_rng.calls = 0;
	for (mn_ns t = STEP_NS; t < s->duration_ns && !stop_signal; t += STEP_NS)
		if (sim_run_until(sim, t))
			break;
	if (stop_signal) {
		fprintf(stderr, "meshsim: stopped by signal %d at %" PRIu64 " ms (virtual)\n",
			(int)stop_signal, sim_now(sim) / MN_NS_PER_MS);
		sim_del(sim);
		free(s);
		return 128 + stop_signal;
	}
	sim_run(sim);
	mn_ns wall = wall_ns() - t0;
	bool pass = sim_passed(sim);
	char hex[TRACE_HEX_LEN];
	sim_trace_hex(sim, hex);

	if (o.json)
		print_json(sim, s, pass, wall, hex, replay);
	else
		print_text(sim, s, pass, wall, hex, o.quiet);
	if (!pass) {
		fprintf(o.json ? stderr : stdout, "seed=%" PRIu64 "\nreplay: %s\n", s->seed, replay);
	}
	sim_del(sim);
	free(s);
	return pass ? 0 : 1;
}
