/* main.c - the `meshnode` command line: usage and dispatch (cmd.h).
 *
 *   meshnode genkey                      private key, base64 (like `wg genkey`)
 *   meshnode pubkey                      base64 private key on stdin -> public key
 *   meshnode wg IFACE --config FILE      a WireGuard interface, in the foreground
 *   meshnode version | help
 *
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  genkey                    print a new private key (base64)\n"
		"  pubkey                    read a base64 private key on stdin, print its public key\n"
		"  wg IFACE --config FILE    run a WireGuard interface in the foreground until\n"
		"                            SIGINT or SIGTERM; FILE is a wg-quick style config\n"
		"                            (scripts and DNS are ignored); `wg show IFACE` and\n"
		"                            `wg set IFACE ...` work on it; SIGUSR1 prints the\n"
		"                            packet and drop counters\n"
		"  version                   print the version\n"
		"  help                      this text\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct sigaction sa;

	if (!cmd) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf(PROG " %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, PROG ": libsodium failed to initialise\n");
		return 1;
	}
	/* A UAPI client that hangs up mid-reply must not kill us: take EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (!strcmp(cmd, "genkey") && argc == 2)
		return cmd_genkey();
	if (!strcmp(cmd, "pubkey") && argc == 2)
		return cmd_pubkey();
	if (!strcmp(cmd, "wg"))
		return cmd_wg(argc - 2, argv + 2);
	fprintf(stderr, PROG ": unknown command or arguments: %s\n\n", cmd);
	usage(stderr);
	return CMD_EXIT_USAGE;
}
