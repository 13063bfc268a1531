/* mesh_core.h - the mesh node as a simulator core (`core mesh`): the node
 * core (node/node.h: gossip and WireGuard on one port) with the join
 * protocol (node/join.h) in front of it.
 *
 * Node 0 is the genesis, admitted by the root as `meshnode init` makes it.
 * Every other node boots without a record and runs the joiner: an invite
 * link (its own single-use root invite) naming one running member
 * picked at random with the node's own rng; on ACCEPT it signs its record
 * (carrying the admission) and starts its node core with it. Members answer
 * join messages through node_config.unsealed, their admitter asking their
 * member table (what swim's events told them they hold). A crashed member
 * restarts from what it kept (key, record, incarnation, boot number, the
 * records it held); a joiner that crashed starts over.
 *
 * core_param:
 *   profile lan|wan  swim's parameters (default: the scenario's profile)
 *   ping_pair A:B    a ping from node A to node B (repeat for more) ...
 *   pings N          ... and N more between random pairs of running members
 *   ping_at T        ... at run time T: A writes an IPv4 packet to its TUN
 *                    side for B's overlay address; delivered when B's node
 *                    core hands it out decrypted (64 pings in all at most)
 *
 * Metrics of its own (sim_core_ops.metric): joins, joins_incomplete,
 * full_view_p50_ms / p99 / max (join start to every live member holding the
 * joiner and the joiner holding every live member), view_missing,
 * peers_missing, ipv4_dup, pings, pings_delivered, pings_lost, ping_ms_max.
 */
#ifndef MESH_CORE_H
#define MESH_CORE_H

#include "node.h"
#include "simcore.h"

extern const struct sim_core_ops mesh_core_ops;

/* The node core of a running node, NULL while it is joining (tests). */
const struct node *mesh_core_node(const void *core);

#endif
