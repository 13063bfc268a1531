/* mesh_invite.h - `meshnode invite` in the daemon: invites signed by the
 * root key this node holds (DIR/root.key), the link that carries them
 * (node/invite_link.h, doc/invite-link.md), the list of invites made here
 * and their withdrawal.
 *
 * Control requests (control.h), answered by mesh_invite_request:
 *   invite make USES SECONDS [VIA]   a new invite: USES 1..65535, valid for
 *                                    SECONDS (negative: already expired,
 *                                    for tests), VIA a comma-separated list
 *                                    of member names or overlay addresses
 *                                    (or "-"); the answer's body is the
 *                                    link and a newline
 *   invite list                      "ID USED/MAX EXPIRES_IN_S" per invite
 *                                    made here that is still usable
 *   invite revoke ID                 a root tombstone against the invite
 *                                    whose id (its key in hex, the first
 *                                    MESH_INVITE_ID_HEX digits or more)
 *                                    is ID, handed to gossip: withdrawn
 *                                    everywhere
 *
 * Invites made here are kept in the store (STORE_CERTS: invite key ->
 * the encoded invite) for `list`; the secret seed is not kept (it is in
 * the link only).
 *
 * The link lists this node first with its own endpoints (one IPv4, one
 * IPv6 address of its interfaces other than loopback, link-local and the
 * mesh interface, at the daemon's UDP port), then up to three other
 * members that are alive, at the address gossip reaches them; or, with
 * VIA, exactly the members named. */
#ifndef MESH_INVITE_H
#define MESH_INVITE_H

#include <stdint.h>

#include "control.h"
#include "mesh_admit.h"
#include "mn_rng.h"
#include "mn_time.h"
#include "record.h"
#include "store.h"
#include "swim.h"

#define MESH_INVITE_ID_HEX 16 /* the id shown: the invite key's first 8 bytes */
#define MESH_INVITE_ID_MIN_HEX 8

struct mesh_invite_env {
	const struct rec_network *net;
	const char *network;         /* the network's name */
	const char *dir;             /* the state directory (root.key) */
	struct swim *swim;
	struct store *store;
	struct mesh_admit *admit;    /* use counts */
	const uint8_t (*members)[REC_PK_LEN]; /* every member but us */
	uint32_t n_members;
	const uint8_t *self_pk;
	const char *iface;           /* the mesh interface: its addresses are no endpoints */
	uint16_t port;               /* our UDP port */
	const struct mn_rng *rng;
	struct mn_time now;
};

/* argv[0] is "invite". */
void mesh_invite_request(const struct mesh_invite_env *e, int argc, char **argv,
			 struct control_reply *r);

/* This host's endpoints for members, port our UDP port: the first IPv4
 * and the first IPv6 address (global or unique local) of an interface
 * that is up, not loopback and not the mesh interface iface. Returns how
 * many (0..2). What a link lists for us, and what we announce
 * (swim_set_local_addrs). */
uint32_t mesh_own_endpoints(const char *iface, uint16_t port, struct mn_addr out[2]);

#endif
