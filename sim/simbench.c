/* simbench - how fast the engine is on its own.
 *
 *   simbench             the queue, then 1,000 nodes x 10 min and 10,000 x 1 min
 *   simbench NODES...    only the engine, NODES x 1 min each
 *
 * 1. The event queue alone: the "hold" model (pop the earliest event, push
 *    one a random delay later) at several queue sizes.
 * 2. The whole engine with a null core that does as little as a core can:
 *    every 200 ms (+-50%) each node sends one 64-byte datagram to a random
 *    node, which receives it and does nothing. Every datagram and timer still
 *    goes through the network model, the pool, the queue and the trace hash,
 *    so events/s here is the engine's own ceiling.
 * Like meshsim, only this driver reads the real clock.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evq.h"
#include "mn_err.h"
#include "scn.h"
#include "sim.h"

enum simbench_limits {
	NULL_MSG_LEN = 64,
	HOLD_OPS = 4000000,
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the null core's own cheap stream, seeded from env->rng. */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(0x2545f4914f6cdd1d);
}

struct null_core {
	const struct sim_env *env;
	uint64_t x;
	mn_ns next;
	bool pending;
	uint32_t to;
};

static int n_create(void **out, const struct sim_env *env, struct mn_time now)
{
	struct null_core *c = calloc(1, sizeof(*c));
	if (!c)
		return MN_ENOMEM;
	c->env = env;
	mn_rng_bytes(&env->rng, &c->x, sizeof(c->x));
	c->x |= 1;
	c->next = now.mono + 100 * MN_NS_PER_MS + next_rand(&c->x) % (200 * MN_NS_PER_MS);
	*out = c;
	return MN_OK;
}

static void n_destroy(void *core)
{
	free(core);
}

static void n_recv(void *core, const struct mn_addr *from, const uint8_t *buf, size_t len,
		   struct mn_time now)
{
}

static int n_poll_tx(void *core, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	struct null_core *c = core;
	if (!c->pending)
		return 0;
	c->pending = false;
	memset(buf, 0x4d, NULL_MSG_LEN);
	*len = NULL_MSG_LEN;
	c->env->bootstrap_addr(c->env->ctx, c->to, dst);
	return 1;
}

static mn_ns n_next_deadline(const void *core)
{
	const struct null_core *c = core;
	return c->next;
}

static void n_on_timer(void *core, struct mn_time now)
{
	struct null_core *c = core;
	c->to = (uint32_t)(next_rand(&c->x) % c->env->nodes);
	c->pending = true;
	c->next = now.mono + 100 * MN_NS_PER_MS + next_rand(&c->x) % (200 * MN_NS_PER_MS);
}

static const struct sim_core_ops null_ops = {
	.name = "null",
	.create = n_create,
	.destroy = n_destroy,
	.recv = n_recv,
	.poll_tx = n_poll_tx,
	.next_deadline = n_next_deadline,
	.on_timer = n_on_timer,
};

static void bench_evq(size_t pending)
{
	struct evq q;
	uint64_t x = 0x9e3779b97f4a7c15;
	if (evq_init(&q, pending + 1))
		exit(1);
	for (size_t i = 0; i < pending; i++)
		evq_push(&q, next_rand(&x) % MN_NS_PER_SEC, 0, (uint32_t)i, NULL);
	double t0 = wall_s();
	struct evq_ev e;
	for (int i = 0; i < HOLD_OPS; i++) {
		evq_pop(&q, &e);
		evq_push(&q, e.time + next_rand(&x) % MN_NS_PER_SEC, 0, e.ref, NULL);
	}
	double dt = wall_s() - t0;
	printf("evq hold, %8zu pending: %6.1f M pop+push/s (%.0f ns each)\n", pending,
	       HOLD_OPS / dt / 1e6, dt / HOLD_OPS * 1e9);
	evq_free(&q);
}

static int bench_engine(uint32_t nodes, const char *duration)
{
	char text[256], err[SCN_ERR_LEN];
	struct scn *s = malloc(sizeof(*s));
	if (!s)
		return 1;
	snprintf(text, sizeof(text), "nodes %u\nprofile lan\nduration %s\n", nodes, duration);
	scn_init(s, "simbench");
	if (scn_feed(s, text, NULL, 1, err, sizeof(err)) || scn_finish(s, err, sizeof(err))) {
		fprintf(stderr, "simbench: %s\n", err);
		free(s);
		return 1;
	}
	struct sim *sim;
	if (sim_new(&sim, s, &null_ops, err, sizeof(err))) {
		fprintf(stderr, "simbench: %s\n", err);
		free(s);
		return 1;
	}
	double t0 = wall_s();
	int rc = sim_run(sim);
	double dt = wall_s() - t0;
	struct sim_totals t;
	sim_totals(sim, &t);
	char hex[TRACE_HEX_LEN];
	sim_trace_hex(sim, hex);
	printf("engine, null core, %6u nodes x %s: %5.2f s wall, %10" PRIu64
	       " events, %5.2f M events/s (%.0f ns each), %.1f s simulated per wall s\n",
	       nodes, duration, dt, t.events, (double)t.events / dt / 1e6,
	       dt / (double)t.events * 1e9, (double)s->duration_ns / 1e9 / dt);
	sim_del(sim);
	free(s);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			if (bench_engine((uint32_t)strtoul(argv[i], NULL, 10), "60s"))
				return 1;
		}
		return 0;
	}
	bench_evq(1000);
	bench_evq(100000);
	bench_evq(1000000);
	return bench_engine(1000, "10m") || bench_engine(10000, "60s");
}
