/* swim_core.h - the membership protocol as a simulator core (`core swim`).
 *
 * Every node runs the real gossip/swim.c with real records, real sealing
 * and real signature checks; this adapter is the wiring between struct
 * sim_core_ops (simcore.h) and gossip/swim.h (doc/gossip.md §11).
 *
 * Per run (shared_new): the network (root key, an admin granted by it, one
 * admin-issued invite) from the core's seed; one rtab interning every
 * record once; the Ed25519 verification memo; a key id -> node id map;
 * every node's record history (each version it signed): swim_fixture.h.
 * The X25519 memo (xmemo.h). Both memos are keyed by exact inputs.
 *
 * Per node (create): an identity key from env->rng (seed keypair), a record
 * admitted by the admin, swim_new, and a few random running nodes as
 * bootstrap contacts (the invite's seed list). Restart reloads the key, the
 * incarnation, the boot number and every record the node held from its
 * store (DESIGN.md §8):
 *
 *   store lmdb    each node has its own LMDB environment, kept through
 *                 store/swim_persist.h (the daemon's glue as well), in
 *                 $TMPDIR/meshsim-XXXXXX/<node id>/ ($TMPDIR unset: /tmp),
 *                 made by shared_new and removed with everything in it by
 *                 shared_del, whether the run passed, failed or stopped.
 *                 STORE_META: "identity" (the key's 32-byte seed),
 *                 "incarnation", "boot" (32-bit big-endian); STORE_MEMBERS:
 *                 node public key -> the exact record bytes held;
 *                 STORE_REVOKED: BLAKE2b-256 of a tombstone -> its bytes,
 *                 every tombstone swim kept (SWIM_EV_REVOKED). The writes
 *                 of one engine call are one transaction, committed as the
 *                 call returns; commits skip fsync (STORE_NOSYNC: a
 *                 simulated crash is a process death, not a power loss). A
 *                 crash closes the environment; the restart reopens it and
 *                 rebuilds the node from it alone. A store that lost the
 *                 node's identity or boot number (its directory deleted,
 *                 say) stops the run with an error naming the node: a new
 *                 key would be a new member, which a node id cannot become.
 *                 Records that fail verification are refused as swim
 *                 refuses any. 3 file descriptors per node: shared_new
 *                 checks `ulimit -n`.
 *   store memory  env->persist is the stand-in: the key, the incarnation,
 *                 the boot number, per node id the version held (2 bytes
 *                 per member) and the tombstones, for runs too big for an
 *                 environment per node.
 *   store auto    (default) lmdb up to SWC_LMDB_AUTO_MAX node slots, memory
 *                 above.
 *
 * Both rebuild the same node in the same order (tombstones by ascending
 * hash, then records by node id): a scenario and seed give the same trace
 * hash with either.
 *
 * Revocation (ops->revoke, the `revoke` action): the node signs a tombstone
 * against the target's key with the admin key that admitted every node (or
 * the root's, `revoker root`) and hands it to swim_revoke. Every node that
 * adds it to its table reports the datum (1 << 63 | target id) and stores
 * it; a restart feeds the stored ones to swim_restore_revoke before any
 * record.
 *
 * Datums: inject signs and publishes the node's next record version; a
 * node "holds" version k of node i once it adopted version k or newer. The
 * key is (i + 1) << 32 | k, k the version's sequence number (1 = the record
 * signed at first boot).
 *
 * core_param keys (doc: sim/README.md):
 *   profile lan|wan        swim parameters (default: the network profile)
 *   store lmdb|memory|auto where a node persists (above; default auto)
 *   preload 0|1            the initial nodes start with every initial
 *                          node's record in their store (default 0)
 *   bootstrap N            contacts per booting node (1..16, default 3)
 *   x25519_memo N          X25519 memo entries, a power of two (default
 *                          scaled with the node count)
 *   revoker admin|root     who signs the tombstones of `revoke` (default
 *                          admin)
 *   probe_interval T, probe_timeout T, indirect_checks N,
 *   retransmit_mult N, suspicion_mult N, suspicion_max_mult N,
 *   suspicion_floor T, awareness_max N, gossip_interval T, gossip_nodes N,
 *   gossip_to_dead T, pushpull_interval T, pushpull_dead_one_in N,
 *   dead_probe_interval T, inc_jump_max N
 *                          override one field of struct swim_params
 */
#ifndef SWIM_CORE_H
#define SWIM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simcore.h"
#include "swim.h"

extern const struct sim_core_ops swim_core_ops;

enum swim_core_limits {
	SWC_MAX_BOOTSTRAP = 16,
	SWC_LEARN_STEP = 64,     /* versions reported as held per adoption */
	SWC_LMDB_AUTO_MAX = 1000, /* store auto: LMDB up to this many node slots */
};

/* The swim parameters a scenario's core_param lines give, for `profile`
 * (the network profile, overridden by a `profile` param). MN_EINVAL with
 * a message in err for a bad or unknown key. Other adapter keys
 * (store, preload, bootstrap, x25519_memo, revoker) are accepted and
 * ignored here. */
int swim_core_params(const struct sim_param *params, uint32_t nparams, const char *profile,
		     struct swim_params *out, char *err, size_t errlen);

/* Everything the core_param lines set (swim_core_params.c): swim's
 * parameters and the adapter's keys, for a run of nodes node slots. */
struct swim_core_config {
	struct swim_params p;
	uint32_t bootstrap;      /* contacts per booting node */
	bool preload;
	bool revoke_by_root;     /* revoker root */
	bool lmdb;               /* store lmdb, or auto at nodes <= SWC_LMDB_AUTO_MAX */
	uint64_t x25519_memo;    /* X25519 memo entries (default: xmemo_default_entries) */
};

/* MN_EINVAL with a message in err for a bad or unknown key. */
int swim_core_config(const struct sim_core_args *a, uint32_t nodes, struct swim_core_config *out,
		     char *err, size_t errlen);

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

/* The node's swim instance, for tests and tools that read a node's state
 * with swim's queries (swim_counts, swim_member, swim_stat). core is what
 * sim_core() returns in a swim run; valid until the node crashes. */
const struct swim *swim_core_swim(const void *core);
/* The node's identity public key (REC_PK_LEN bytes), while it runs: what a
 * tombstone against it names. */
const uint8_t *swim_core_pk(const void *core);

#endif
