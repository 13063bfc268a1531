/* swim_core.h - the membership protocol as a simulator core (`core swim`).
 *
 * Every node runs the real gossip/swim.c with real records, real sealing
 * and real signature checks; this adapter is the wiring between struct
 * sim_core_ops (simcore.h) and gossip/swim.h (doc/gossip.md §11).
 *
 * Per run (shared_new): the network (root key, an admin granted by it, one
 * admin-issued invite) from the core's seed; one rtab interning every
 * record once; the Ed25519 verification memo and the X25519 memo, both
 * keyed by exact inputs; a key id -> node id map; every node's record
 * history (each version it signed).
 *
 * Per node (create): an identity key from env->rng (seed keypair), a record
 * admitted by the admin, swim_new, and a few random running nodes as
 * bootstrap contacts (the invite's seed list). Restart reloads the key, the
 * incarnation and every record the node held from env->persist: a
 * memory-backed stand-in for the LMDB store (DESIGN.md §8; real LMDB per
 * node is the next step for runs up to ~1,000 nodes).
 *
 * Datums: inject signs and publishes the node's next record version; a
 * node "holds" version k of node i once it adopted version k or newer. The
 * key is (i + 1) << 32 | k, k the version's sequence number (1 = the record
 * signed at first boot).
 *
 * core_param keys (doc: sim/README.md):
 *   profile lan|wan        swim parameters (default: the network profile)
 *   bootstrap N            contacts per booting node (1..16, default 3)
 *   x25519_memo N          X25519 memo entries, a power of two (default
 *                          scaled with the node count)
 *   probe_interval T, probe_timeout T, indirect_checks N,
 *   retransmit_mult N, suspicion_mult N, suspicion_max_mult N,
 *   suspicion_floor T, awareness_max N, gossip_interval T, gossip_nodes N,
 *   gossip_to_dead T, pushpull_interval T, pushpull_dead_one_in N,
 *   dead_probe_interval T, inc_jump_max N
 *                          override one field of struct swim_params
 */
#ifndef SWIM_CORE_H
#define SWIM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "simcore.h"
#include "swim.h"

extern const struct sim_core_ops swim_core_ops;

enum swim_core_limits {
	SWC_MAX_BOOTSTRAP = 16,
	SWC_MAX_VERSIONS = 4096, /* record versions one node may sign in a run */
	SWC_LEARN_STEP = 64,     /* versions reported as held per adoption */
};

/* The swim parameters a scenario's core_param lines give, for `profile`
 * (the network profile, overridden by a `profile` param). MN_EINVAL with
 * a message in err for a bad or unknown key. Other adapter keys
 * (bootstrap, x25519_memo) are accepted and ignored here. */
int swim_core_params(const struct sim_param *params, uint32_t nparams, const char *profile,
		     struct swim_params *out, char *err, size_t errlen);

/* What the parameters promise for a crash (doc/gossip.md §8), with n nodes,
 * healthy observers and no loss: every live node declares the crashed one
 * dead within
 *
 *   10 * probe_interval      some observer's round-robin reaches it (each
 *                            interval misses with probability <= 1/e, so
 *                            ten miss with < 5e-5)
 *   + probe_interval         that probe runs out: suspicion starts
 *   + ceil(log2 n) * gossip_interval   the suspicion reaches every node
 *   + susp_max               each node's own timer, with no confirmation
 */
mn_ns swim_core_detect_bound(const struct swim_params *p, uint32_t n);

#endif
