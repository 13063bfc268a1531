/* mesh_root.h - what the daemon does with the root key it holds
 * (DIR/root.key, the node that ran init, or restore-root): read it for a
 * control request, and sign a root tombstone into gossip. */
#ifndef MESH_ROOT_H
#define MESH_ROOT_H

#include "control.h"
#include "mn_time.h"
#include "record.h"
#include "swim.h"

/* The root key into *root (wipe it after use). On failure the reply says
 * why: no root key here (MN_ENOENT), not this network's (MN_EAUTH), a bad
 * file. */
int mesh_root_key(const char *dir, const struct rec_network *net, struct rec_key *root,
		  struct control_reply *r);
/* A root tombstone against target (a node or invite key), signed now,
 * into buf[REC_REVOKE_MAX] (*len). Errors answered in r. */
int mesh_root_tomb(const char *dir, const struct rec_network *net,
		   const uint8_t target[REC_PK_LEN], struct mn_time now, uint8_t *buf, size_t *len,
		   struct control_reply *r);
/* The same, handed to swim (swim_revoke; one it holds already is fine). */
int mesh_root_revoke(const char *dir, const struct rec_network *net, struct swim *swim,
		     const uint8_t target[REC_PK_LEN], struct mn_time now, struct control_reply *r);

#endif
