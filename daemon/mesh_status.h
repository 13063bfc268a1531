/* mesh_status.h - `meshnode status`: this node, then every member, as text
 * or as the JSON of doc/status-json.md, from the node core. */
#ifndef MESH_STATUS_H
#define MESH_STATUS_H

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

#endif
