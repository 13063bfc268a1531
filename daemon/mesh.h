/* mesh.h - the mesh daemon: one node (node/node.h) run from its state
 * directory (mesh_state.h) on a libuv loop: the driver (TUN, the one UDP
 * port, timers) carrying the node core (driver_node.h), netlink for the
 * node's address and route actions, the UAPI socket (`wg show IFACE`),
 * the control socket (control.h), and swim's events persisted in one
 * transaction per loop turn (store/swim_persist.h). Messages go to stderr
 * (the log file, in the background). */
#ifndef MESH_H
#define MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_state.h"

struct mesh_opts {
	const char *dir;
	/* Called once the interface exists and the control socket listens,
	 * before the loop runs (`up` in the background returns then). */
	void (*on_ready)(void *ctx);
	void *ctx;
};

/* Take DIR/meshnode.lock (flock, close-on-exec): MN_EBUSY when a daemon
 * holds it (one daemon per directory), MN_EIO otherwise (errno set). The
 * lock lives as long as the descriptor (and its copies across fork). */
int mesh_lock(const char *dir, int *fd);

/* Run until SIGINT, SIGTERM, a `down` request, our own revocation, the
 * interface's deletion, or a store failure. Returns the exit status: 0 on
 * a requested stop, 1 on a failure (message printed). */
int mesh_run(const struct mesh_opts *opts);

#endif
