/* mesh_state.h - a mesh node's state directory: its files, and `meshnode
 * init` (a new network with this node its first member and admin).
 *
 * DIR (0700, root's):
 *   data.mdb, lock.mdb   the LMDB store (0600): swim's state (swim_persist.h:
 *                        identity seed, incarnation, boot, records,
 *                        tombstones) and the mesh metadata (mesh_meta.h)
 *   root.key             the network's root key seed, base64 (0600): only
 *                        on the node that created the network
 *   admin.key            an admin's grant and key seed, hex (0600): only on
 *                        members the root made admins (mesh_admin.h)
 *   control.sock         the daemon's control socket (control.h), 0600
 *   meshnode.lock        flock'd by the running daemon: one per directory
 *   meshnode.log         the background daemon's log
 */
#ifndef MESH_STATE_H
#define MESH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh_meta.h"
#include "mn_addr.h"
#include "record.h"
#include "swim.h"

#define MESH_STATE_DIR_DEFAULT "/var/lib/meshnode"
#define MESH_IFACE_DEFAULT "mesh0"
#define MESH_PORT_DEFAULT 51820
#define MESH_PREFIX_DEFAULT "100.64.0.0/10"
#define MESH_STORE_FILE "data.mdb" /* LMDB's data file: there once a store was made */
#define MESH_CONTROL_FILE "control.sock"
#define MESH_LOCK_FILE "meshnode.lock"
#define MESH_LOG_FILE "meshnode.log"
#define MESH_ROOT_KEY_FILE "root.key"
#define MESH_ADMIN_KEY_FILE "admin.key" /* an admin's key and grant (mesh_admin.h) */

enum mesh_state_limits {
	MESH_SOCK_PATH_MAX = 108,    /* sizeof(sun_path), with its NUL */
	MESH_PATH_MAX = 4096,        /* PATH_MAX */
	MESH_WHY_MAX = 256,          /* an error message */
	MESH_INVITE_TTL_MS = 60000,  /* the genesis invite: used once, at once */
	MESH_MEMO_SLOTS = 1024,      /* signature memo of a daemon */
};

/* DIR/file into buf; MN_EMSGSIZE when it does not fit. */
int mesh_state_path(char *buf, size_t cap, const char *dir, const char *file);
/* DIR/control.sock into buf[MESH_SOCK_PATH_MAX]; MN_EMSGSIZE when the path is
 * too long to be a unix socket's. */
int mesh_state_sock_path(char buf[MESH_SOCK_PATH_MAX], const char *dir);

/* The swim parameters a daemon runs with (swim_params_wan: the mesh spans
 * the internet). */
void mesh_state_params(struct swim_params *p);

struct mesh_init {
	const char *dir;
	const char *network;  /* a rec_name_ok name */
	const char *name;     /* this node's name; NULL: from the host name */
	const char *iface;
	uint16_t port;
	struct mn_prefix v4;  /* the overlay IPv4 prefix */
};

/* Create the state directory (its parent must exist) and a new network in
 * it: the root key (root.key), this node's identity, an invite signed by
 * the root and this node's admission by the root at the prefix's first
 * host address, its signed member record, the metadata. MN_EEXIST when dir
 * holds an initialized (or half-initialized) store. On failure why says
 * what failed (one line). */
int mesh_state_init(const struct mesh_init *in, char why[MESH_WHY_MAX]);

/* A member a new state directory starts out holding (beside its admitter,
 * for a join): its record, its key and its last known good address
 * (STORE_PATHS, mesh_meta.h; NULL: none). */
struct mesh_state_known {
	const uint8_t *rec;
	size_t rec_len;
	const uint8_t *pk;
	const struct mn_addr *at;
};

/* What `meshnode join` brings home (daemon/mesh_join.h). */
struct mesh_state_joined {
	const struct rec_network *net;
	const struct rec_key *node;    /* our new identity */
	const uint8_t *rec;            /* our record, signed, with the admission */
	size_t rec_len;
	const uint8_t *admitter;       /* the admitting member's record */
	size_t admitter_len;
	const uint8_t *admitter_pk;
	const struct mn_addr *admitter_at; /* where it answered */
	/* More members, learned in order after the admitter: `join` brings
	 * none; a member's copy of the records it holds may (the test tool
	 * tests/net/forge_admission.c). A record this node's own rules refuse
	 * is not stored (its address is, and nothing reads it). */
	const struct mesh_state_known *known;
	size_t n_known;
};

/* The state directory of a node that was just admitted: as init, without
 * a root key, with the admitter's record and address stored (the daemon
 * reaches it at once), and j->known's. in->name is unused (the record has
 * it); in->v4 is the network's. MN_EEXIST when dir is initialized already. */
int mesh_state_join(const struct mesh_init *in, const struct mesh_state_joined *j,
		    char why[MESH_WHY_MAX]);

/* Who a made state directory belongs to. */
struct mesh_state_member {
	const struct rec_network *net;
	const struct rec_key *node;    /* its identity */
	const uint8_t *rec;            /* its record, signed */
	size_t rec_len;
};

/* The state directory of a member that has held known[0 .. n) for a
 * while, as a restart finds it: as mesh_state_join, with every known
 * member's record and address stored, no root key. For tools that build a
 * network's members without running their joins (bench/mesh_fill.c).
 * Records are learned in order: an admitter before what it admitted (or
 * at most SWIM_ORPHANS_MAX records after it). MN_EEXIST when dir is
 * initialized already; a record swim refuses fails the whole (why says
 * so). */
int mesh_state_make(const struct mesh_init *in, const struct mesh_state_member *self,
		    const struct mesh_state_known *known, size_t n, char why[MESH_WHY_MAX]);

/* DIR/root.key into *root: MN_ENOENT when this node does not hold the
 * root key, MN_EPROTO when the file is not one init wrote, MN_EIO. Wipe
 * *root after use (rec_key_wipe). */
int mesh_state_read_root_key(const char *dir, struct rec_key *root);

/* After `leave`: the store (identity, records: every key of this node),
 * the admin key if any, and, with root_too, the root key, overwritten with zeros and removed; the
 * log stays. MN_EIO when a file could not be wiped. */
int mesh_state_wipe(const char *dir, bool root_too);

/* This host's name as a member name: lower case, anything outside
 * [a-z0-9-] made '-', trimmed of '-' at the ends, at most REC_NAME_MAX;
 * "node" when nothing is left. */
void mesh_state_default_name(char out[REC_NAME_MAX + 1], const char *host);

#endif
