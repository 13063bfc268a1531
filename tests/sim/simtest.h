/* simtest.h - helpers for the simulator tests: a scripted test core and
 * scenario construction from text. */
#ifndef SIMTEST_H
#define SIMTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "scn.h"
#include "sim.h"
#include "simcore.h"

enum tcore_limits {
	TCORE_LOG = 4096,
	TCORE_TXQ = 256,
	TCORE_MSG_LEN = 16,
};

/* What a tcore saw, in order. */
struct tcore_entry {
	char what;           /* 'r' datagram, 't' timer */
	mn_ns mono;
	uint32_t from;       /* sender node id (datagrams) */
	uint32_t seq;
};

struct tcore {
	const struct sim_env *env;
	mn_ns deadline;      /* mono, MN_NEVER for none; the test sets it */
	mn_ns period;        /* when nonzero, re-arm deadline += period on fire */
	bool broadcast;      /* on each fire, send to every other node */
	bool never_advance;  /* misbehave: leave the deadline in the past */
	uint32_t fired, rx, addr_changes;
	uint32_t seq;
	uint64_t digest;
	struct tcore_entry log[TCORE_LOG];
	uint32_t nlog;
	struct { uint32_t to; uint32_t seq; } txq[TCORE_TXQ];
	uint32_t ntx;
	struct mn_addr last_from;
};

/* What a tcore keeps in env->persist: survives crashes. */
struct tcore_persist {
	uint32_t boots, crashes;
};

extern const struct sim_core_ops tcore_ops;

/* Queue a datagram from core c to node `to`'s address at boot. */
void tcore_send(struct tcore *c, uint32_t to);

/* scn_init + scn_feed(text) + scn_finish, failing the test on error. */
void simtest_scn(struct scn *s, const char *text);
/* As above, then sim_new with ops (NULL: the scenario's core). */
struct sim *simtest_sim(const char *text, const struct sim_core_ops *ops);
/* Hex trace hash of a whole run of the scenario text. */
void simtest_run_hash(const char *text, char out[TRACE_HEX_LEN]);

/* An unchecked fixture (tcase_add_unchecked_fixture): the test case runs
 * with $TMPDIR set to a directory of its own, where the swim core's LMDB
 * runs put their files; teardown removes it with whatever a failed test
 * left in it. */
void simtest_tmpdir_setup(void);
void simtest_tmpdir_teardown(void);
const char *simtest_tmpdir(void);
/* Entries in dir, "." and ".." aside. */
int simtest_entries(const char *dir);
/* $TMPDIR/meshsim-XXXXXX/<node>: the directory of a node of the only run
 * in the test's $TMPDIR (fails the test unless there is exactly one). */
void simtest_node_dir(uint32_t node, char *out, size_t cap);

/* A metric's value (x1000, as sim_metric), the engine's or the core's,
 * failing the test if it has none. */
int64_t simtest_metric(const struct sim *s, const char *name);
/* Load the shipped scenario SIM_SCENARIO_DIR/name, feed extra lines (NULL:
 * none), set the seed, run it (printing "scenario NAME seed=N"); the caller
 * frees. Fails the test on a scenario error. */
struct sim *simtest_run_file(const char *name, const char *extra, uint64_t seed);
/* A core counter's value by name (ops->counter_names), failing the test
 * if the core has no such counter. */
uint64_t simtest_counter(const struct sim *s, const char *name);
/* The run's verdict passed; a failed expectation is named (name: the
 * scenario) in the failure message. */
void simtest_assert_passed(const struct sim *s, const char *name);

#endif
