/* mesh_status.h - `meshnode status`: this node, then every member, as text
 * or as the JSON of doc/status-json.md, from the node core. */
#ifndef MESH_STATUS_H
#define MESH_STATUS_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "mesh_meta.h"
#include "node.h"

struct mesh_status_in {
	const struct node *node;
	const struct rec_network *net;
	const struct mesh_meta *meta;
	const uint8_t (*members)[REC_PK_LEN]; /* every member but us */
	uint32_t n_members;
	const char *iface;
	uint16_t port;
};

void mesh_status_write(struct control_reply *r, bool json, const struct mesh_status_in *in);

/* ---- the `peer NODE` request (what `meshnode ping` asks) ----
 *
 * NODE is a member's name or its overlay IPv4 or IPv6 address (any text
 * form inet_pton reads). The answer's body is one line of five words:
 *   NAME IPV4 IPV6 PATH ENDPOINT\n
 * PATH: direct, relay or none as in status; "self" when NODE is this
 * node (the kernel answers a ping to our own addresses, so it works).
 * ENDPOINT: IP:PORT or [IP6]:PORT of the path in use, "-" for none (and
 * for self). A NODE that is no member: the error "no member NODE". */
void mesh_status_peer(struct control_reply *r, const struct mesh_status_in *in, const char *node);

enum { MESH_PEER_PATH_MAX = 8 }; /* "direct" and its NUL, with room */

struct mesh_peer {
	char name[REC_NAME_MAX + 1];
	char ipv4[INET_ADDRSTRLEN], ipv6[INET6_ADDRSTRLEN];
	char path[MESH_PEER_PATH_MAX];
	char endpoint[MN_ADDR_STRLEN]; /* "-" for none */
};
/* Read the body of a `peer` answer (the client side). MN_EPROTO for
 * anything but one line of five words that fit, with an IPv4 and an IPv6
 * address and a known PATH. */
int mesh_status_peer_parse(struct mesh_peer *out, const char *body);

#endif
