/* scn.h - scenario files.
 *
 * A scenario is a small line-based text file (sim/scenarios/NAME.scn, format in
 * sim/README.md): one directive per line, `#` starts a comment, words are
 * separated by blanks. It names the core, the number of nodes, the network
 * profile and its overrides, a timeline of faults (`at 30s partition 50%`,
 * `every 10s pause 1% for up to 1s`), and the expectations the verdict
 * checks (`expect converge_within 60s`, `expect reach99_ms <= 3000`).
 *
 * Parsing is incremental so the command line can override a file: scn_init,
 * scn_feed (the file, then each --set line), set fields directly (--nodes,
 * --seed), scn_finish. Every error names the source and line:
 * "lan.scn:12: unknown directive 'partitoin'".
 */
#ifndef SCN_H
#define SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_time.h"
#include "net.h"
#include "simcore.h"

enum scn_limits {
	SCN_MAX_FILE = 1 << 20,
	SCN_LINE_MAX = 256,
	SCN_MAX_WORDS = 16,
	SCN_MAX_ACTIONS = 256,
	SCN_MAX_EXPECTS = 32,
	SCN_NAME_LEN = 48,
	SCN_MAX_NODES = 60000,   /* below NET_MAX_HOSTS: leaves room for boxes */
	SCN_ERR_LEN = 256,
};
#define SCN_MAX_DURATION (30 * 24 * 3600 * MN_NS_PER_SEC)

enum scn_op {
	SCN_PARTITION, /* pick P% into group 1; block both ways, or only into it */
	SCN_HEAL,
	SCN_CRASH,     /* optionally "for T" / "for up to T": then restart */
	SCN_RESTART,
	SCN_PAUSE,     /* "for T" / "for up to T" */
	SCN_MOVE,      /* new underlay address */
	SCN_INJECT,    /* a new datum from a random live node */
	SCN_JOIN,      /* boot standby nodes */
	SCN_LOSS,
	SCN_DUP,
	SCN_JITTER,
	SCN_REVOKE,    /* a signed tombstone against each picked node (stopped) */
	SCN_SLEEP,     /* "for T" / "for up to T" [moving]: suspended, monotonic clock
			* stopped, off the network; "moving": wakes on a new address */
	SCN_ROGUE,     /* BEHAVIOUR: the picked members turn hostile (enum sim_rogue) */
	SCN_OP__COUNT
};

/* Which nodes an action applies to, among the ones it can apply to. */
enum scn_pick {
	SCN_PICK_PPM,   /* a share of them, at least one */
	SCN_PICK_COUNT, /* n of them (fewer if there are fewer) */
	SCN_PICK_ALL,
	SCN_PICK_NODE,  /* node id */
};

struct scn_action {
	uint32_t line;
	enum scn_op op;
	mn_ns at_ns;         /* first occurrence */
	mn_ns every_ns;      /* 0: once */
	mn_ns until_ns;      /* last possible occurrence; MN_NEVER: run end */
	enum scn_pick pick;
	uint32_t amount;     /* ppm, count or node id */
	mn_ns for_ns;        /* crash and pause duration; 0: crash for good */
	bool for_upto;       /* per node uniform in (0, for_ns] */
	bool oneway;         /* partition: only traffic into the picked group */
	bool moving;         /* sleep: a new underlay address on waking */
	uint8_t rogue;       /* rogue: the behaviour (enum sim_rogue) */
	uint32_t ppm;        /* loss, dup */
	mn_ns ns;            /* jitter */
};

enum scn_cmp { SCN_LE, SCN_LT, SCN_GE, SCN_GT, SCN_EQ, SCN_NE };

struct scn_expect {
	uint32_t line;
	char metric[SCN_NAME_LEN];
	enum scn_cmp cmp;
	int64_t milli;       /* threshold, fixed point x1000 */
};

struct scn {
	char source[SCN_NAME_LEN]; /* for messages: the file name */
	char core[SIM_CORE_NAME_LEN];
	struct sim_param params[SIM_MAX_CORE_PARAMS];
	uint32_t nparams;
	uint32_t nodes;      /* booted at the start */
	uint32_t standby;    /* extra slots, booted by `join` */
	uint64_t seed;
	mn_ns duration_ns;
	mn_ns boot_spread_ns; /* nodes boot uniformly in [0, boot_spread] */
	mn_ns clock_skew_ns; /* wall clocks differ by up to +-skew */
	mn_ns calm_ns;       /* start of the calm phase; MN_NEVER until scn_finish */
	bool calm_set;
	mn_ns check_interval_ns;
	mn_ns steady_ns;     /* start of the steady-state window for steady_* metrics */
	bool steady_set;
	char profile[SCN_NAME_LEN];
	struct net_params net; /* the profile with overrides, after scn_finish */
	struct scn_action actions[SCN_MAX_ACTIONS];
	uint32_t nactions;
	struct scn_expect expects[SCN_MAX_EXPECTS];
	uint32_t nexpects;

	/* overrides of the profile, applied by scn_finish */
	bool has_latency, has_jitter, has_loss, has_dup;
	mn_ns latency_ns, jitter_ns;
	uint32_t loss_ppm, dup_ppm;
};

/* Defaults: core demo, 10 nodes, seed 1, profile lan, 60 s. */
void scn_init(struct scn *s, const char *source);
/* Parse lines of text. source names them in errors (NULL: s->source);
 * first_line numbers the first. MN_ESYNTAX / MN_ERANGE / MN_EFULL with
 * "source:line: message" in err. */
int scn_feed(struct scn *s, const char *text, const char *source, uint32_t first_line,
	     char *err, size_t errlen);
/* Read and feed a file (at most SCN_MAX_FILE bytes); MN_EIO if unreadable. */
int scn_load(struct scn *s, const char *path, char *err, size_t errlen);
/* Apply the profile and overrides, check the whole, and fix the calm
 * phase: `calm T` if given, else the end of the last fault (MN_NEVER when a
 * fault repeats to the end of the run). */
int scn_finish(struct scn *s, char *err, size_t errlen);

/* Value syntax, shared with cores that parse their own params:
 * durations "250ms", "1.5s", "10m", "2h", "0" (units ns us ms s m h);
 * shares "5%", "0.25%" as parts per million; plain integers. */
int scn_parse_duration(const char *w, mn_ns *out);
int scn_parse_ppm(const char *w, uint32_t *out);
int scn_parse_u64(const char *w, uint64_t *out);
/* A threshold: a number with up to three decimals, or a duration (in ms),
 * or a share ("90%" is 90), as fixed point x1000. */
int scn_parse_milli(const char *w, int64_t *out);

const char *scn_op_name(enum scn_op op);
const char *scn_cmp_name(enum scn_cmp c);
/* The end of an action's effect for one occurrence at t (t + for). */
mn_ns scn_action_end(const struct scn_action *a, mn_ns t);

#endif
