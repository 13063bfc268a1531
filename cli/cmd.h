/* cmd.h - the commands of the `meshnode` program, one file per command
 * group (cmd_key.c: genkey, pubkey; cmd_wg.c: wg), dispatched by main.c.
 * Each returns the exit status: 0 success, 1 failure (a message on
 * stderr), CMD_EXIT_USAGE for a usage error. */
#ifndef CMD_H
#define CMD_H

#define PROG "meshnode"

enum { CMD_EXIT_USAGE = 2 };

int cmd_genkey(void);
int cmd_pubkey(void);
/* argv: the arguments after "wg". */
int cmd_wg(int argc, char **argv);

#endif
