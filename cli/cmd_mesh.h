/* cmd_mesh.h - what the mesh commands share (cmd_mesh.c: init, up,
 * down, status; cmd_join.c: invite, join; cmd_ping.c: ping; cmd_backup.c:
 * backup-root, restore-root): the options every one takes (--state,
 * --iface, --port), their parsing and check against the state directory,
 * and starting the daemon. */
#ifndef CMD_MESH_H
#define CMD_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_state.h"

enum { MESH_OPT_MAX = 12 /* options one command takes */ };

/* The usage lines of the common options. */
#define COMMON_OPTS                                                            \
	"  --state DIR     state directory (default " MESH_STATE_DIR_DEFAULT ")\n" \
	"  --iface NAME    interface name (default " MESH_IFACE_DEFAULT ")\n"      \
	"  --port N        UDP port (default 51820)\n"

struct mesh_args {
	const char *state, *iface, *port_text;
	uint16_t port;
	/* command options */
	const char *network, *prefix, *name;
	bool foreground, json;
	/* mesh_up --foreground: called once the daemon is up (join prints then) */
	void (*on_ready)(void *ctx);
	void *ready_ctx;
};

/* An option: "--name VALUE", "--name=VALUE" (value) or a flag. */
struct opt {
	const char *name;
	const char **value; /* NULL: a flag */
	bool *flag;
};

/* Parse argv: opts[0..2] are set here to the common options, the caller's
 * from opts[3] on (a zeroed array of MESH_OPT_MAX). -1 to go on, else the
 * exit status (usage printed or an error said). */
int mesh_parse_common(const char *cmd, const char *usage, struct opt *opts, int argc,
		      char **argv, struct mesh_args *a);
/* --iface and --port against the stored values; always (need_init) or
 * only when one is given. Creates nothing in a directory without a store. */
bool mesh_stored_match(const char *cmd, const struct mesh_args *a, bool need_init);
/* Start the daemon of a->state as `up` does (a->foreground: run it here;
 * a->on_ready then called once it is up). The exit status. */
int mesh_up(const struct mesh_args *a, const char *cmd);
/* The usage lines of the common options. */

/* Send request to the daemon of a->state: MN_OK (0) with its answer's body
 * in *body (free it), else the exit status after saying why on stderr as
 * cmd ("not running", the daemon's reason); *body may still need free. */
int mesh_call(const char *cmd, const struct mesh_args *a, const char *request, char **body);

/* CLOCK_MONOTONIC in ms. */
int64_t ms_now(void);
/* Wait (polling) until no daemon holds state's lock, at most until
 * deadline_ms (ms_now's clock): true once it is gone. */
bool mesh_wait_exit(const char *state, int64_t deadline_ms);
enum { MESH_DOWN_TIMEOUT_MS = 10000 /* `down` and `leave` wait this long for the exit */ };

#endif
