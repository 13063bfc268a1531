/* cmd_mesh.h - what the mesh commands share (cmd_mesh.c defines it; ping
 * in cmd_ping.c, backup-root and restore-root in cmd_backup.c use it):
 * the options every one takes (--state, --iface, --port) and their check
 * against the state directory. */
#ifndef CMD_MESH_H
#define CMD_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_state.h"

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
};

/* An option: "--name VALUE", "--name=VALUE" (value) or a flag. */
struct opt {
	const char *name;
	const char **value; /* NULL: a flag */
	bool *flag;
};

/* Parse argv (the arguments after the command's name) against opts, whose
 * first three slots it fills with the common options (a command's own
 * start at opts[3]; the array ends with a zeroed slot), into a, defaults
 * applied, values checked. -1 to go on, else the exit status (--help
 * answered: 0; a usage error said: CMD_EXIT_USAGE; a state path too long
 * for the control socket: 1). */
int parse_common(const char *cmd, const char *usage, struct opt *opts, int argc,
		 char **argv, struct mesh_args *a);

/* --iface and --port of a against the values stored in its state
 * directory: always (need_init: the directory must be initialized) or
 * only when one was given. false after saying why on stderr. */
bool stored_match(const char *cmd, const struct mesh_args *a, bool need_init);

#endif
