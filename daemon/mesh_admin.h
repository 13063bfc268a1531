/* mesh_admin.h - `meshnode admin add NODE` (doc/membership.md "Admins"):
 * the root makes another member an admin, so inviting does not depend on
 * the machine that ran init.
 *
 * The root generates an admin key (never a node key: one key, one role),
 * signs a grant for it (rights INVITE and REVOKE, no end) and sends grant
 * and secret seed to the member over the sealed channel (NODE_T_ADMIN).
 * The member verifies the grant against the network's root and that the
 * seed is the granted key's, keeps both in DIR/admin.key (0600) and
 * answers NODE_T_ADMIN_ACK. From then on `meshnode invite` on it signs
 * invites with the admin key, the grant inside them (REC_BY_ADMIN).
 *
 * Control requests (the root's daemon):
 *   admin add NODE     sign and send; the answer's body is the admin key's id
 *   admin check NODE   "acked" once NODE answered, else "pending" (and the
 *                      grant is sent again: a datagram may be lost)
 */
#ifndef MESH_ADMIN_H
#define MESH_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "mesh_lookup.h"
#include "mn_rng.h"
#include "mn_time.h"
#include "node.h"
#include "record.h"

#define MESH_ADMIN_MSG_LEN (REC_GRANT_LEN + REC_SEED_LEN)

/* What the root's daemon remembers of the grant it last sent. */
struct mesh_admin_sent {
	uint8_t member[REC_PK_LEN];
	uint8_t admin_pk[REC_PK_LEN];
	uint8_t msg[MESH_ADMIN_MSG_LEN]; /* secret: the admin key's seed */
	bool valid, acked;
};

struct mesh_admin_env {
	struct mesh_lookup look;
	const char *dir;
	struct node *node;
	const struct mn_rng *rng;
	struct mesh_admin_sent *sent;
	struct mn_time now;
};

/* argv[0] is "admin". */
void mesh_admin_request(const struct mesh_admin_env *e, int argc, char **argv,
			struct control_reply *r);
/* NODE_T_ADMIN from member from_pk: kept when it verifies (MN_OK and an
 * ACK sent), else the error. */
int mesh_admin_on_grant(const struct mesh_admin_env *e, const uint8_t from_pk[REC_PK_LEN],
			const uint8_t *pt, size_t len);
/* NODE_T_ADMIN_ACK: the member took the grant we sent. */
void mesh_admin_on_ack(const struct mesh_admin_env *e, const uint8_t from_pk[REC_PK_LEN],
		       const uint8_t *pt, size_t len);

/* This node's admin key and grant, from DIR/admin.key: MN_ENOENT when it
 * is no admin. Wipe *key after use. */
int mesh_admin_key(const char *dir, const struct rec_network *net, struct rec_key *key,
		   struct rec_grant *grant);

#endif
