/* mesh_kick.h - `meshnode kick NODE` in the daemon, and the other side
 * of it: a member re-anchoring its own join (doc/membership.md "Kick").
 *
 * Revoking a member's key drops every member it admitted (their chains
 * hold its key). So before the tombstone, the root countersigns each of
 * those members' joins: a new admission with the same node key, IPv4, join
 * proof and admitted_ms, signed by the root (rec_admission_reanchors), sent
 * to the member over the sealed channel (NODE_T_READMIT). The member signs
 * a new version of its record carrying it and publishes it; from then on
 * its chain no longer names the kicked key. Then the tombstone.
 *
 * Control requests (the CLI runs them in this order):
 *   kick plan NODE     the members NODE admitted: a re-admission is sent to
 *                      each; one line each, "NAME LIVENESS"
 *   kick check NODE    the same for those whose record still names NODE as
 *                      admitter (sent again: a datagram may be lost); empty
 *                      when every one has re-anchored
 *   kick revoke NODE   the root's tombstone against NODE's key: sent to NODE
 *                      itself (NODE_T_REVOKED: once revoked, no member talks
 *                      to it), then handed to gossip (and stored) before the
 *                      answer
 * All need the root key (DIR/root.key). NODE: mesh_lookup.h. */
#ifndef MESH_KICK_H
#define MESH_KICK_H

#include "control.h"
#include "mesh_lookup.h"
#include "mn_time.h"
#include "node.h"
#include "record.h"

struct mesh_kick_env {
	struct mesh_lookup look;
	const char *dir;            /* the state directory (root.key) */
	struct node *node;
	const struct rec_key *key;  /* our node key (to re-sign our record) */
	struct rec_memo *memo;
	struct mn_time now;
};

/* argv[0] is "kick". */
void mesh_kick_request(const struct mesh_kick_env *e, int argc, char **argv,
		       struct control_reply *r);

/* A NODE_T_READMIT for us: when it re-anchors our own join and verifies,
 * our record is signed again with it and published. MN_OK (also when we
 * already carry it), MN_EPROTO / MN_EAUTH when it is not ours or does not
 * verify, what swim_publish returns. */
int mesh_kick_on_readmit(const struct mesh_kick_env *e, const uint8_t *pt, size_t len);

/* A NODE_T_REVOKED: a tombstone sent to us directly (our own, by the node
 * that kicked us): into swim like any other (swim_revoke verifies it; our
 * own revocation then stops the daemon, NODE_ACT_REVOKED). */
int mesh_kick_on_revoked(const struct mesh_kick_env *e, const uint8_t *pt, size_t len);

#endif
