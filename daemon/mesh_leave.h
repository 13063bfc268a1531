/* mesh_leave.h - `meshnode leave` in the daemon (doc/membership.md
 * "Leave"): this node's last record, flagged REC_MEM_LEFT, published and
 * sent to every member that is alive (NODE_T_LEFT: it stops soon, and the
 * others would otherwise wait for push-pull); every member then drops it
 * from its list and tears its tunnel down. Not a revocation: the members
 * it admitted keep their membership. The daemon stops shortly after
 * (MESH_LEAVE_LINGER_MS, to answer requests for the record); the command
 * then wipes the keys from the state directory. */
#ifndef MESH_LEAVE_H
#define MESH_LEAVE_H

#include <stddef.h>
#include <stdint.h>

#include "mesh_lookup.h"
#include "mn_time.h"
#include "node.h"
#include "record.h"

#define MESH_LEAVE_LINGER_MS 1500

/* Sign and publish our last record and send it to the members alive.
 * MN_OK; else the error (nothing sent). */
int mesh_leave(const struct mesh_lookup *look, struct node *node, const struct rec_key *key,
	       struct mn_time now);
/* A NODE_T_LEFT from member from_pk: its last record, taken when it is its
 * own and says it left (swim_learn verifies it). */
int mesh_leave_on_left(struct swim *swim, const uint8_t from_pk[REC_PK_LEN], const uint8_t *pt,
		       size_t len, struct mn_time now);

#endif
