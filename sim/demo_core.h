/* demo_core.h - the engine's test core (`core demo`).
 *
 * NOT the membership protocol: a stand-in that exercises the engine until
 * SWIM plugs in. Every node ticks every `interval` (jittered +-50% from its
 * own rng), sends a PING to `fanout` nodes chosen uniformly at random, and
 * answers each PING with a PONG. Both carry the highest datum version the
 * sender holds, and a receiver adopts a higher one: push-pull gossip of one
 * number, which spreads in O(log N) rounds.
 *
 * It cheats where a real protocol cannot: peers' current addresses come
 * from a run-wide directory that a node updates itself when its address
 * changes (an oracle, not a membership view). Crashed nodes are simply
 * pinged without answer.
 *
 * core_param keys: interval (duration, default 200ms), fanout (1..8,
 * default 1), size (bytes per datagram, 18..SIM_MAX_DGRAM, default 64),
 * persist (0/1: keep the version across a crash, default 0).
 */
#ifndef DEMO_CORE_H
#define DEMO_CORE_H

#include "simcore.h"

extern const struct sim_core_ops demo_core_ops;

/* Counter indices (demo_core_ops.counter_names). */
enum demo_counter {
	DEMO_PINGS_SENT,
	DEMO_PINGS_RECV,
	DEMO_PONGS_RECV,
	DEMO_BAD_RECV,
	DEMO_TXQ_FULL,
	DEMO__COUNTERS
};

/* The version node `core` holds (for tests). */
uint64_t demo_version(const void *core);

#endif
