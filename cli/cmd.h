/* cmd.h - the commands of the `meshnode` program, one file per command
 * group (cmd_key.c: genkey, pubkey; cmd_wg.c: wg; cmd_wg_userspace.c: the
 * program run as meshnode-wg), dispatched by main.c. Each returns the exit
 * status: 0 success, 1 failure (a message on stderr), CMD_EXIT_USAGE for a
 * usage error. Each takes the arguments after its own name and answers
 * -h/--help with its usage on stdout (exit 0). */
#ifndef CMD_H
#define CMD_H

#include <stdbool.h>

#include "iface.h"

#define PROG "meshnode"

enum { CMD_EXIT_USAGE = 2 };

const char *cmd_version(void);

int cmd_genkey(void);
int cmd_pubkey(void);
/* argv: the arguments after "wg". */
int cmd_wg(int argc, char **argv);
/* argv: the arguments after the program name meshnode-wg. */
int cmd_wg_userspace(int argc, char **argv);

/* The mesh (cmd_mesh.c): argv the arguments after the command's name. */
int cmd_init(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* cmd_join.c */
int cmd_invite(int argc, char **argv);
int cmd_join(int argc, char **argv);
/* cmd_kick.c */
int cmd_kick(int argc, char **argv);
int cmd_leave(int argc, char **argv);
int cmd_admin(int argc, char **argv);

/* Shared by wg and meshnode-wg: the interface ifname configured from the
 * file path (NULL: no key, no peers, no address), run by iface_run with
 * opts (NULL: defaults). Returns the exit status. */
int cmd_wg_run(const char *ifname, const char *path, const struct iface_opts *opts);
/* true if ifname is a usable interface name; else says why, as prog. */
bool cmd_wg_name_ok(const char *prog, const char *ifname);

/* The mesh's ping (cmd_ping.c) and the root key's backup (cmd_backup.c):
 * argv the arguments after the command's name. */
int cmd_ping(int argc, char **argv);
int cmd_backup_root(int argc, char **argv);
int cmd_restore_root(int argc, char **argv);

#endif
