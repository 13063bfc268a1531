/* cmd_wg_userspace.c - `meshnode-wg [-f|--foreground] IFACE`: the program
 * wg-quick runs when the kernel has no WireGuard module
 * (WG_QUICK_USERSPACE_IMPLEMENTATION=meshnode-wg), with wireguard-go's
 * arguments and environment:
 *
 *   - create IFACE and its UAPI socket with no key, no peers and no
 *     address; wg-quick sets everything else through `wg setconf`, `ip`;
 *   - go to the background once both exist: the parent exits 0 then, or
 *     with the child's status if it failed before (its errors still reach
 *     the terminal); -f, --foreground or WG_PROCESS_FOREGROUND=1 stay;
 *   - LOG_LEVEL: error (the default), verbose or debug, silent. In the
 *     background stdout and stderr go to /dev/null unless LOG_LEVEL is set
 *     and not silent (as wireguard-go);
 *   - install no routes (wg-quick does), and exit 0 when the interface is
 *     deleted (`wg-quick down` runs `ip link del`), removing the socket.
 * Decisions: doc/meshnode-wg.md, "Use with wg-quick". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "iface.h"

#define PROG_WG "meshnode-wg"

static const char userspace_usage[] =
	"usage: " PROG_WG " [-f|--foreground] IFACE\n"
	"\n"
	"A userspace WireGuard interface for wg-quick, with wireguard-go's arguments:\n"
	"creates IFACE and /var/run/wireguard/IFACE.sock with no key, no peers and no\n"
	"address, then goes to the background; configure it with `wg setconf`, `ip`.\n"
	"It exits when IFACE is deleted (`ip link del IFACE`, `wg-quick down`).\n"
	"\n"
	"  -f, --foreground  stay in the foreground (also WG_PROCESS_FOREGROUND=1)\n"
	"  -h, --help        this text\n"
	"      --version     print the version\n"
	"\n"
	"environment:\n"
	"  LOG_LEVEL=error|verbose|debug|silent   what to print (default error)\n"
	"\n"
	"wg-quick: WG_QUICK_USERSPACE_IMPLEMENTATION=" PROG_WG " wg-quick up CONF\n";

enum log_level { LOG_SILENT, LOG_ERROR, LOG_VERBOSE };

struct background {
	int ready_fd;     /* write end of the pipe the parent waits on; -1 = none */
	bool keep_output; /* LOG_LEVEL set and not silent: keep stdout/stderr */
};

static void redirect_to_null(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	if (null != fd)
		dup2(null, fd); /* dup2 clears close-on-exec on fd */
	if (null != fd)
		close(null);
}

/* The interface and the socket exist: let the parent go. */
static void on_ready(void *ctx)
{
	struct background *bg = ctx;
	char ok = 1;
	ssize_t n;

	if (bg->ready_fd < 0)
		return;
	if (!bg->keep_output) {
		fflush(stdout);
		fflush(stderr);
		redirect_to_null(STDOUT_FILENO);
		redirect_to_null(STDERR_FILENO);
	}
	do
		n = write(bg->ready_fd, &ok, 1);
	while (n < 0 && errno == EINTR);
	close(bg->ready_fd);
	bg->ready_fd = -1;
}

/* Fork; the parent waits for the child's on_ready (exit 0) or its death
 * (its exit status) and never returns. The child returns 0 in a new session
 * with stdin on /dev/null, *ready_fd set. -1 if fork or pipe failed. */
static int go_background(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char ok;
	ssize_t n;
	int st;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		if (chdir("/") < 0) {
			/* stay where we are: nothing depends on it */
		}
		redirect_to_null(STDIN_FILENO);
		*ready_fd = p[1];
		return 0;
	}
	close(p[1]);
	do
		n = read(p[0], &ok, 1);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 1)
		_exit(0);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			_exit(1);
	}
	_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

static enum log_level log_level_from_env(bool *set)
{
	const char *v = getenv("LOG_LEVEL");

	*set = v && *v;
	if (!*set)
		return LOG_ERROR;
	if (!strcmp(v, "verbose") || !strcmp(v, "debug"))
		return LOG_VERBOSE;
	if (!strcmp(v, "silent"))
		return LOG_SILENT;
	return LOG_ERROR; /* "error", and anything else, as wireguard-go */
}

int cmd_wg_userspace(int argc, char **argv)
{
	const char *ifname = NULL, *env_fg = getenv("WG_PROCESS_FOREGROUND");
	bool foreground = env_fg && !strcmp(env_fg, "1"), level_set;
	enum log_level level = log_level_from_env(&level_set);
	struct background bg = { .ready_fd = -1 };
	struct iface_opts opts;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(userspace_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf(PROG_WG " (" PROG ") %s\n", cmd_version());
			return 0;
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--foreground")) {
			foreground = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, PROG_WG ": unknown option %s\n", argv[i]);
			return CMD_EXIT_USAGE;
		} else if (!ifname) {
			ifname = argv[i];
		} else {
			fprintf(stderr, PROG_WG ": unexpected argument %s\n", argv[i]);
			return CMD_EXIT_USAGE;
		}
	}
	if (!ifname) {
		fputs(userspace_usage, stderr);
		return CMD_EXIT_USAGE;
	}
	if (!cmd_wg_name_ok(PROG_WG, ifname))
		return CMD_EXIT_USAGE;

	if (level == LOG_SILENT) {
		redirect_to_null(STDOUT_FILENO);
		redirect_to_null(STDERR_FILENO);
	}
	if (!foreground && go_background(&bg.ready_fd) < 0) {
		fprintf(stderr, PROG_WG ": cannot go to the background: %s\n", strerror(errno));
		return 1;
	}
	bg.keep_output = level_set && level != LOG_SILENT;
	memset(&opts, 0, sizeof(opts));
	opts.no_routes = true;
	opts.quiet = level != LOG_VERBOSE;
	opts.on_ready = on_ready;
	opts.ctx = &bg;
	return cmd_wg_run(ifname, NULL, &opts);
}
