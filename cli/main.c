/* main.c - the `meshnode` command line: usage and dispatch (cmd.h).
 *
 *   meshnode genkey                      private key, base64 (like `wg genkey`)
 *   meshnode pubkey                      base64 private key on stdin -> public key
 *   meshnode wg IFACE [--config FILE]    a WireGuard interface, in the foreground
 *   meshnode init | up | down | status   the mesh (cmd_mesh.c)
 *   meshnode invite | join               admission (cmd_join.c)
 *   meshnode kick NODE | leave | admin   members' roles (cmd_kick.c)
 *   meshnode ping NODE [-c N]            through the mesh (cmd_ping.c)
 *   meshnode backup-root | restore-root  the root key, encrypted (cmd_backup.c)
 *   meshnode version | help
 *   meshnode-wg [-f] IFACE               (the same binary under that name) the
 *                                        userspace WireGuard wg-quick runs
 *
 * Every command answers -h/--help with its usage on stdout (exit 0).
 * Exit status: 0 success, 1 failure (a message on stderr), 2 usage error.
 */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char usage_text[] =
	"usage: " PROG " <command> [arguments]\n"
	"\n"
	"commands:\n"
	"  genkey                    print a new private key (base64)\n"
	"  pubkey                    read a base64 private key on stdin, print its public key\n"
	"  wg IFACE [--config FILE]  run a WireGuard interface in the foreground until\n"
	"                            SIGINT or SIGTERM or its deletion; FILE is a wg-quick\n"
	"                            style config (scripts and DNS are ignored); `wg show\n"
	"                            IFACE` and `wg set IFACE ...` work on it; SIGUSR1\n"
	"                            prints the packet and drop counters\n"
	"  init --network NAME       create a mesh network, this node its first member\n"
	"  up [--foreground]         start the mesh daemon (state in --state DIR)\n"
	"  down                      stop it\n"
	"  status [--json]           this node and every member\n"
	"  invite [--uses N] [--expires D] [--qr]\n"
	"                            make an invite link (root or admin)\n"
	"  join LINK [--name NAME]   become a member with an invite link, and start\n"
	"                            the daemon\n"
	"  kick NODE                 revoke a member (root); those it admitted stay\n"
	"  leave [--force]           leave the network for good; keys wiped\n"
	"  admin add NODE            make a member an admin (root): it can invite\n"
	"  ping NODE [-c N]          ping a member through the mesh, showing its path\n"
	"  backup-root --out FILE    the root key, encrypted with a passphrase\n"
	"  restore-root --in FILE    put a backed-up root key into this node's state\n"
	"  version                   print the version\n"
	"  help                      this text\n"
	"\n"
	"`" PROG " COMMAND --help` describes a command. Run as meshnode-wg, this program\n"
	"takes wireguard-go's arguments, for wg-quick: see `meshnode-wg --help`.\n";

/* The commands that take no arguments: name, usage. */
static const struct {
	const char *name, *usage;
} plain_cmds[] = {
	{ "genkey", "usage: " PROG " genkey\n\n"
		    "Print a new private key, base64, as `wg genkey` (umask 077 first).\n" },
	{ "pubkey", "usage: " PROG " pubkey < PRIVATE > PUBLIC\n\n"
		    "Read a base64 private key on stdin, print its public key, as `wg pubkey`.\n" },
	{ "version", "usage: " PROG " version\n\nPrint the version.\n" },
	{ "help", "usage: " PROG " help\n\nPrint the list of commands.\n" },
};

const char *cmd_version(void)
{
	return PACKAGE_VERSION;
}

/* For a command without arguments: -1 to go on, else the exit status
 * (--help answered, or a usage error reported). */
static int no_args(const char *name, const char *usage, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
	}
	if (argc == 0)
		return -1;
	if (argv[0][0] == '-')
		fprintf(stderr, PROG " %s: unknown option %s\n", name, argv[0]);
	else
		fprintf(stderr, PROG " %s: unexpected argument %s\n", name, argv[0]);
	fputs(usage, stderr);
	return CMD_EXIT_USAGE;
}

/* "meshnode-wg" when argv0 ends in that name (a link to this binary). */
static bool called_as_wg_userspace(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	return base && !strcmp(base, "meshnode-wg");
}

int main(int argc, char **argv)
{
	const bool userspace = argc > 0 && called_as_wg_userspace(argv[0]);
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct sigaction sa;
	int rc = -1;

	if (!userspace) {
		if (!cmd) {
			fputs(usage_text, stderr);
			return CMD_EXIT_USAGE;
		}
		if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(cmd, "--version")) {
			printf(PROG " %s\n", PACKAGE_VERSION);
			return 0;
		}
		for (size_t i = 0; i < sizeof(plain_cmds) / sizeof(plain_cmds[0]); i++)
			if (!strcmp(cmd, plain_cmds[i].name) &&
			    (rc = no_args(cmd, plain_cmds[i].usage, argc - 2, argv + 2)) >= 0)
				return rc;
		if (!strcmp(cmd, "help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(cmd, "version")) {
			printf(PROG " %s\n", PACKAGE_VERSION);
			return 0;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, PROG ": libsodium failed to initialise\n");
		return 1;
	}
	/* A UAPI client that hangs up mid-reply must not kill us: take EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (userspace)
		return cmd_wg_userspace(argc - 1, argv + 1);
	if (!strcmp(cmd, "genkey"))
		return cmd_genkey();
	if (!strcmp(cmd, "pubkey"))
		return cmd_pubkey();
	if (!strcmp(cmd, "wg"))
		return cmd_wg(argc - 2, argv + 2);
	if (!strcmp(cmd, "init"))
		return cmd_init(argc - 2, argv + 2);
	if (!strcmp(cmd, "up"))
		return cmd_up(argc - 2, argv + 2);
	if (!strcmp(cmd, "down"))
		return cmd_down(argc - 2, argv + 2);
	if (!strcmp(cmd, "ping"))
		return cmd_ping(argc - 2, argv + 2);
	if (!strcmp(cmd, "backup-root"))
		return cmd_backup_root(argc - 2, argv + 2);
	if (!strcmp(cmd, "restore-root"))
		return cmd_restore_root(argc - 2, argv + 2);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 2, argv + 2);
	if (!strcmp(cmd, "invite"))
		return cmd_invite(argc - 2, argv + 2);
	if (!strcmp(cmd, "join"))
		return cmd_join(argc - 2, argv + 2);
	if (!strcmp(cmd, "kick"))
		return cmd_kick(argc - 2, argv + 2);
	if (!strcmp(cmd, "leave"))
		return cmd_leave(argc - 2, argv + 2);
	if (!strcmp(cmd, "admin"))
		return cmd_admin(argc - 2, argv + 2);
	if (cmd[0] == '-')
		fprintf(stderr, PROG ": unknown option %s\n\n", cmd);
	else
		fprintf(stderr, PROG ": unknown command %s\n\n", cmd);
	fputs(usage_text, stderr);
	return CMD_EXIT_USAGE;
}
