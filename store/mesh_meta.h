/* mesh_meta.h - what a mesh node's state directory says about its network
 * and itself, beside swim's state (swim_persist.h): one value under the
 * key "mesh" in STORE_META, written by `meshnode init` (and `join`), read
 * by every later command.
 *
 * The value, fixed length, big-endian (named offsets in mesh_meta.c):
 *   format (1) = MESH_META_FORMAT
 *   root_pk (32)             the network's root public key
 *   node_pk (32)             this node's identity public key
 *   v4 (4) + v4 bits (1)     the overlay IPv4 prefix
 *   port (2)                 the UDP port
 *   iface len (1) + iface (TUN_NAME_MAX = 15, zero padded)
 *   network len (1) + network name (REC_NAME_MAX = 63, zero padded)
 *
 * Its presence is what makes a state directory initialized: it is written
 * last, in a transaction of its own, after the identity and the node's own
 * record are committed. */
#ifndef MESH_META_H
#define MESH_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "record.h"
#include "store.h"

#define MESH_META_FORMAT 1
#define MESH_META_KEY "mesh"
#define MESH_META_IFACE_MAX 15 /* IFNAMSIZ - 1, as tun.h's TUN_NAME_MAX */

struct mesh_meta {
	uint8_t root_pk[REC_PK_LEN];
	uint8_t node_pk[REC_PK_LEN];
	struct mn_prefix v4;
	uint16_t port;
	char iface[MESH_META_IFACE_MAX + 1];
	char network[REC_NAME_MAX + 1];
};

enum mesh_meta_layout {
	MESH_META_OFF_FORMAT = 0,
	MESH_META_OFF_ROOT = 1,
	MESH_META_OFF_NODE = MESH_META_OFF_ROOT + REC_PK_LEN,
	MESH_META_OFF_V4 = MESH_META_OFF_NODE + REC_PK_LEN,
	MESH_META_OFF_V4_BITS = MESH_META_OFF_V4 + 4,
	MESH_META_OFF_PORT = MESH_META_OFF_V4_BITS + 1,
	MESH_META_OFF_IFACE_LEN = MESH_META_OFF_PORT + 2,
	MESH_META_OFF_IFACE = MESH_META_OFF_IFACE_LEN + 1,
	MESH_META_OFF_NET_LEN = MESH_META_OFF_IFACE + MESH_META_IFACE_MAX,
	MESH_META_OFF_NET = MESH_META_OFF_NET_LEN + 1,
	MESH_META_LEN = MESH_META_OFF_NET + REC_NAME_MAX, /* 152 */
};

/* Encode m (MN_EINVAL: an empty or overlong name, a v4 prefix that is not
 * IPv4, a bad network name) into buf[MESH_META_LEN]. */
int mesh_meta_encode(const struct mesh_meta *m, uint8_t buf[MESH_META_LEN]);
/* MN_ETRUNC / MN_EPROTO for anything but a value mesh_meta_encode wrote. */
int mesh_meta_decode(struct mesh_meta *m, const uint8_t *buf, size_t len);

/* Put m into t (committed with t). */
int mesh_meta_put(struct store_txn *t, const struct mesh_meta *m);
/* Read it back: MN_ENOENT when the directory is not initialized. */
int mesh_meta_get(struct store *s, struct mesh_meta *m);

/* ---- last known good paths (STORE_PATHS) ----
 *
 * Member node key -> the direct address that last proved good (the
 * member's own authenticated traffic came from it), so a restart reaches
 * the members at once, without waiting for gossip. The value, 19 bytes:
 *   family (1: 4 or 6) | address (16; IPv4 in the first 4, rest zero) |
 *   port (2, big-endian)
 * (an IPv6 scope id is not kept). */
enum mesh_path_layout {
	MESH_PATH_OFF_FAMILY = 0,
	MESH_PATH_OFF_ADDR = 1,
	MESH_PATH_OFF_PORT = MESH_PATH_OFF_ADDR + 16,
	MESH_PATH_LEN = MESH_PATH_OFF_PORT + 2,
};
#define MESH_PATH_FAMILY_V4 4
#define MESH_PATH_FAMILY_V6 6

/* MN_EINVAL for an address that is neither IPv4 nor IPv6. */
int mesh_path_encode(const struct mn_addr *a, uint8_t buf[MESH_PATH_LEN]);
/* MN_ETRUNC / MN_EPROTO for anything mesh_path_encode did not write. */
int mesh_path_decode(struct mn_addr *a, const uint8_t *buf, size_t len);
int mesh_path_put(struct store_txn *t, const uint8_t pk[REC_PK_LEN], const struct mn_addr *a);
int mesh_path_del(struct store_txn *t, const uint8_t pk[REC_PK_LEN]);
/* MN_ENOENT when none is stored for pk. */
int mesh_path_get(struct store *s, const uint8_t pk[REC_PK_LEN], struct mn_addr *a);

#endif
