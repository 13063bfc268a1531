/* mesh_lookup.h - a member named on a command line: by its name, its
 * overlay IPv4 or IPv6 address, its node key (64 hex digits) or its
 * WireGuard public key (base64, as `wg show` prints it). Used by the
 * daemon's requests that take a NODE (invite --via, kick). */
#ifndef MESH_LOOKUP_H
#define MESH_LOOKUP_H

#include <stdint.h>

#include "record.h"
#include "swim.h"

struct mesh_lookup {
	const struct rec_network *net;
	struct swim *swim;
	const uint8_t *self_pk;               /* we are member 0 */
	const uint8_t (*members)[REC_PK_LEN]; /* every member but us */
	uint32_t n_members;
};

/* Member k's key: 0 is us, 1.. the others; NULL past the end. */
const uint8_t *mesh_lookup_pk(const struct mesh_lookup *l, uint32_t k);
/* pk of the member text names; MN_ENOENT when none does. */
int mesh_lookup_find(const struct mesh_lookup *l, const char *text, uint8_t pk[REC_PK_LEN]);

#endif
