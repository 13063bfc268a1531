/* mesh_join.h - `meshnode join LINK`: become a member through any member
 * the link lists (node/join.h runs the protocol; this runs it on a UDP
 * socket pair of the node's port, blocking, before any daemon exists),
 * then write the new state directory (mesh_state_join).
 *
 * Nothing is written unless a member admits us: a malformed, expired,
 * used-up, withdrawn or revoked link, one for another network than the
 * state directory's, or no answer within the timeout leave the directory
 * as it was. The order of checks: the link's text (its checksum), the
 * state directory (another network, or already a member), the invite's
 * signature against the network the link names, its expiry by our clock
 * (with REC_SKEW_MS, as members judge it), then the members. */
#ifndef MESH_JOIN_H
#define MESH_JOIN_H

#include <stdint.h>

#include "mesh_state.h"
#include "record.h"

struct mesh_join_in {
	const char *dir;
	const char *link;       /* the link's text */
	const char *name;       /* NULL: from the host name */
	const char *iface;
	uint16_t port;
	int timeout_ms;
};

struct mesh_join_out {
	char name[REC_NAME_MAX + 1];
	char network[REC_NAME_MAX + 1];
	uint8_t ipv4[4];
	uint8_t ipv6[16];
	char admitted_by[REC_NAME_MAX + 1]; /* the admitting member's name */
};

/* MN_OK and *out when admitted and stored; else an error and why (one
 * line): MN_ESYNTAX / MN_EPROTO / MN_ETRUNC the link, MN_EEXIST the state
 * directory, MN_EAUTH / MN_EEXPIRED the invite, MN_EINVAL a refusal
 * (why: the member's reason), MN_ETIMEDOUT no member answered, MN_EBUSY
 * the port is in use, MN_EIO. */
int mesh_join(const struct mesh_join_in *in, struct mesh_join_out *out, char why[MESH_WHY_MAX]);

#endif
