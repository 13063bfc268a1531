/* cmd_mesh.c - the mesh commands: init, up, down, status (the mesh issue;
 * daemon/mesh.h runs the node). Every one takes --state DIR, --iface NAME
 * and --port N; init stores the interface name and port, the others use
 * the stored ones and accept the same values again (another is an error). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "control.h"
#include "mesh.h"
#include "mesh_state.h"
#include "mn_err.h"
#include "store.h"
#include "tun.h"

enum cmd_mesh_limits {
	MESH_UP_TIMEOUT_MS = 20000,   /* `up` waits this long for the daemon to answer */
	MESH_DOWN_POLL_MS = 50,
	MESH_EXIT_REAP_MS = 2000,     /* a daemon that closed its ready pipe is exiting */
	MESH_LOG_TAIL = 512,          /* what `up` shows of the log on failure */
};

static const char init_usage[] =
	"usage: " PROG " init --network NAME [--prefix CIDR] [--name NODENAME] [--state DIR]\n"
	"                     [--iface NAME] [--port N]\n\n"
	"Create a network: its root key, this node its first member and admin. The\n"
	"interface name and port are stored in the state directory. Does not start\n"
	"the daemon (" PROG " up).\n\n"
	"  --network NAME  the network's name ([a-z0-9-], at most 63)\n"
	"  --prefix CIDR   overlay IPv4 prefix (default " MESH_PREFIX_DEFAULT ")\n"
	"  --name NODENAME this node's name (default: from the host name)\n" COMMON_OPTS;
static const char up_usage[] =
	"usage: " PROG " up [--foreground] [--state DIR] [--iface NAME] [--port N]\n\n"
	"Start the daemon from the state directory. Returns once it answers and its\n"
	"interface exists; it logs to DIR/" MESH_LOG_FILE ". With --foreground it runs\n"
	"until SIGINT or SIGTERM, logging to stderr. One daemon per state directory.\n\n"
	"  --foreground    stay in the foreground\n" COMMON_OPTS;
static const char down_usage[] =
	"usage: " PROG " down [--state DIR] [--iface NAME] [--port N]\n\n"
	"Stop the daemon and wait for it to exit (at most 10 s). Not running is fine.\n\n"
	COMMON_OPTS;
static const char status_usage[] =
	"usage: " PROG " status [--json] [--state DIR] [--iface NAME] [--port N]\n\n"
	"This node, then every member: addresses, liveness, path, handshake, bytes.\n"
	"--json prints the JSON of doc/status-json.md.\n\n"
	"  --json          JSON output\n" COMMON_OPTS;

/* Parse argv against opts; -1 to go on, else the exit status. */
static int parse(const char *cmd, const char *usage, const struct opt *opts, int argc,
		 char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct opt *o = NULL;
		size_t nlen;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (const struct opt *p = opts; p->name; p++)
			if (strlen(p->name) == nlen && !strncmp(p->name, a, nlen))
				o = p;
		if (!o) {
			fprintf(stderr, PROG " %s: %s %s\n", cmd,
				a[0] == '-' ? "unknown option" : "unexpected argument", a);
			return CMD_EXIT_USAGE;
		}
		if (!o->value) {
			if (eq) {
				fprintf(stderr, PROG " %s: %.*s takes no value\n", cmd, (int)nlen, a);
				return CMD_EXIT_USAGE;
			}
			*o->flag = true;
		} else if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			fprintf(stderr, PROG " %s: %s needs a value\n", cmd, a);
			return CMD_EXIT_USAGE;
		}
	}
	return -1;
}

int mesh_parse_common(const char *cmd, const char *usage, struct opt *opts, int argc,
			char **argv, struct mesh_args *a)
{
	int rc;
	char sock[MESH_SOCK_PATH_MAX];

	opts[0] = (struct opt){ "--state", &a->state, NULL };
	opts[1] = (struct opt){ "--iface", &a->iface, NULL };
	opts[2] = (struct opt){ "--port", &a->port_text, NULL };
	if ((rc = parse(cmd, usage, opts, argc, argv)) >= 0)
		return rc;
	if (!a->state)
		a->state = MESH_STATE_DIR_DEFAULT;
	if (!a->state[0]) {
		fprintf(stderr, PROG " %s: --state: empty path\n", cmd);
		return CMD_EXIT_USAGE;
	}
	if (a->iface && !cmd_wg_name_ok(PROG, a->iface))
		return CMD_EXIT_USAGE;
	if (a->port_text) {
		char *end;
		long v;

		errno = 0;
		v = strtol(a->port_text, &end, 10);
		if (errno || *end || end == a->port_text || v < 1 || v > 65535) {
			fprintf(stderr, PROG " %s: --port: not a port number (1-65535): %s\n", cmd,
				a->port_text);
			return CMD_EXIT_USAGE;
		}
		a->port = (uint16_t)v;
	}
	if (mesh_state_sock_path(sock, a->state) < 0) {
		fprintf(stderr, PROG " %s: state directory path too long: %s/%s must fit in %d "
			"bytes (a unix socket's path)\n", cmd, a->state, MESH_CONTROL_FILE,
			MESH_SOCK_PATH_MAX - 1);
		return 1;
	}
	return -1;
}

bool mesh_stored_match(const char *cmd, const struct mesh_args *a, bool need_init)
{
	struct store *st;
	struct mesh_meta meta;
	char data[MESH_PATH_MAX];
	int rc;

	if (!need_init && !a->iface && !a->port_text)
		return true;
	if (mesh_state_path(data, sizeof(data), a->state, MESH_STORE_FILE) < 0 ||
	    access(data, F_OK) != 0 || (rc = store_open_lmdb(&st, a->state, 0)) < 0) {
		fprintf(stderr, PROG " %s: %s: not initialized (" PROG " init)\n", cmd, a->state);
		return false;
	}
	rc = mesh_meta_get(st, &meta);
	store_close(st);
	if (rc < 0) {
		fprintf(stderr, PROG " %s: %s: %s\n", cmd, a->state,
			rc == MN_ENOENT ? "not initialized (" PROG " init)" : mn_strerror(rc));
		return false;
	}
	if (a->iface && strcmp(a->iface, meta.iface)) {
		fprintf(stderr, PROG " %s: --iface %s: this state directory's interface is %s\n",
			cmd, a->iface, meta.iface);
		return false;
	}
	if (a->port_text && a->port != meta.port) {
		fprintf(stderr, PROG " %s: --port %u: this state directory's port is %u\n", cmd,
			(unsigned)a->port, (unsigned)meta.port);
		return false;
	}
	return true;
}

int cmd_init(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	struct mesh_init in;
	char why[MESH_WHY_MAX];
	int rc;

	opts[3] = (struct opt){ "--network", &a.network, NULL };
	opts[4] = (struct opt){ "--prefix", &a.prefix, NULL };
	opts[5] = (struct opt){ "--name", &a.name, NULL };
	if ((rc = mesh_parse_common("init", init_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!a.network) {
		fprintf(stderr, PROG " init: --network NAME is required\n");
		return CMD_EXIT_USAGE;
	}
	if (!rec_name_ok(a.network, strlen(a.network))) {
		fprintf(stderr, PROG " init: --network: bad name %s (1-%d of a-z 0-9 -, no - at "
			"either end)\n", a.network, REC_NAME_MAX);
		return CMD_EXIT_USAGE;
	}
	if (a.name && !rec_name_ok(a.name, strlen(a.name))) {
		fprintf(stderr, PROG " init: --name: bad name %s (1-%d of a-z 0-9 -, no - at "
			"either end)\n", a.name, REC_NAME_MAX);
		return CMD_EXIT_USAGE;
	}
	memset(&in, 0, sizeof(in));
	if (mn_prefix_parse(&in.v4, a.prefix ? a.prefix : MESH_PREFIX_DEFAULT) < 0 ||
	    in.v4.family != AF_INET || in.v4.bits < 1 || in.v4.bits > 30) {
		fprintf(stderr, PROG " init: --prefix: not an IPv4 prefix of 1 to 30 bits: %s\n",
			a.prefix);
		return CMD_EXIT_USAGE;
	}
	mn_prefix_normalize(&in.v4);
	in.dir = a.state;
	in.network = a.network;
	in.name = a.name;
	in.iface = a.iface ? a.iface : MESH_IFACE_DEFAULT;
	in.port = a.port_text ? a.port : MESH_PORT_DEFAULT;
	if ((rc = mesh_state_init(&in, why)) < 0) {
		fprintf(stderr, PROG " init: %s: %s\n", a.state, why);
		return 1;
	}
	return 0;
}

/* ---- up ---- */

static void ready_pipe(void *ctx)
{
	int fd = *(int *)ctx;

	if (write(fd, "1", 1) != 1)
		fprintf(stderr, "meshnode: cannot tell the starting command we are up\n");
	close(fd);
}

/* The last line of the log, for a daemon that did not start. */
static void print_log_tail(const char *dir)
{
	char path[MESH_PATH_MAX], buf[MESH_LOG_TAIL + 1], *line;
	ssize_t n = 0;
	int fd;

	if (mesh_state_path(path, sizeof(path), dir, MESH_LOG_FILE) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > MESH_LOG_TAIL)
		lseek(fd, end - MESH_LOG_TAIL, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, MESH_LOG_TAIL);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (!strncmp(line, "meshnode: ", 10))
		line += 10;
	fprintf(stderr, PROG " up: failed to start: %s (log: %s)\n", line, path);
}

static int up_background(const struct mesh_args *a, int lock_fd)
{
	struct mesh_opts mo = { .dir = a->state, .on_ready = ready_pipe };
	char path[MESH_PATH_MAX], sock[MESH_SOCK_PATH_MAX], c = 0, *body = NULL;
	struct pollfd p;
	int fds[2], log_fd, status;
	pid_t pid;

	if (mesh_state_path(path, sizeof(path), a->state, MESH_LOG_FILE) < 0 ||
	    pipe2(fds, O_CLOEXEC) != 0 ||
	    (log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, PROG " up: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, PROG " up: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY);

		close(fds[0]);
		setsid();
		if (null_fd >= 0)
			dup2(null_fd, 0);
		dup2(log_fd, 1);
		dup2(log_fd, 2);
		mo.ctx = &fds[1];
		_exit(mesh_run(&mo));
	}
	close(fds[1]);
	close(log_fd);
	close(lock_fd); /* the daemon holds its copy */
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (poll(&p, 1, MESH_UP_TIMEOUT_MS) <= 0 || read(fds[0], &c, 1) != 1 || c != '1') {
		close(fds[0]);
		/* the pipe closes as the daemon exits, a moment before waitpid sees it */
		for (int k = 0; k < MESH_EXIT_REAP_MS / MESH_DOWN_POLL_MS &&
				waitpid(pid, &status, WNOHANG) == 0; k++)
			usleep(MESH_DOWN_POLL_MS * 1000);
		if (waitpid(pid, &status, WNOHANG) == 0)
			fprintf(stderr, PROG " up: the daemon did not come up within %d s (pid %d; "
				"log: %s)\n", MESH_UP_TIMEOUT_MS / 1000, (int)pid, path);
		else
			print_log_tail(a->state);
		return 1;
	}
	close(fds[0]);
	mesh_state_sock_path(sock, a->state);
	if (control_call(sock, "status", CONTROL_TIMEOUT_MS, &body) < 0) {
		free(body);
		fprintf(stderr, PROG " up: the daemon does not answer on %s (log: %s)\n", sock,
			path);
		return 1;
	}
	free(body);
	return 0;
}

int mesh_up(const struct mesh_args *a, const char *cmd)
{
	int rc, lock_fd;

	if ((rc = mesh_lock(a->state, &lock_fd)) < 0) {
		if (rc == MN_EBUSY)
			fprintf(stderr, PROG " %s: already running (state directory %s)\n", cmd,
				a->state);
		else
			fprintf(stderr, PROG " %s: %s: %s\n", cmd, a->state,
				errno == ENOENT ? "no such state directory (" PROG " init)" :
				strerror(errno));
		return 1;
	}
	if (!a->foreground)
		return up_background(a, lock_fd);
	struct mesh_opts mo = { .dir = a->state, .on_ready = a->on_ready, .ctx = a->ready_ctx };
	rc = mesh_run(&mo);
	close(lock_fd);
	return rc;
}

int cmd_up(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	int rc;

	opts[3] = (struct opt){ "--foreground", NULL, &a.foreground };
	if ((rc = mesh_parse_common("up", up_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!mesh_stored_match("up", &a, true))
		return 1;
	return mesh_up(&a, "up");
}

/* ---- down, status ---- */

int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_down(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	char sock[MESH_SOCK_PATH_MAX], *body = NULL;
	int64_t deadline;
	int rc;

	if ((rc = mesh_parse_common("down", down_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!mesh_stored_match("down", &a, false))
		return 1;
	mesh_state_sock_path(sock, a.state);
	deadline = ms_now() + MESH_DOWN_TIMEOUT_MS;
	rc = control_call(sock, "down", CONTROL_TIMEOUT_MS, &body);
	if (rc == MN_ENOENT)
		return 0; /* not running */
	if (rc < 0) {
		fprintf(stderr, PROG " down: %s: %s\n", sock, body ? body : mn_strerror(rc));
		free(body);
		return 1;
	}
	free(body);
	if (mesh_wait_exit(a.state, deadline))
		return 0;
	fprintf(stderr, PROG " down: the daemon did not exit within %d s\n",
		MESH_DOWN_TIMEOUT_MS / 1000);
	return 1;
}

bool mesh_wait_exit(const char *state, int64_t deadline_ms)
{
	int fd;

	/* gone once its lock is free */
	while (ms_now() < deadline_ms) {
		if (mesh_lock(state, &fd) == MN_OK) {
			close(fd);
			return true;
		}
		usleep(MESH_DOWN_POLL_MS * 1000);
	}
	return false;
}

int mesh_call(const char *cmd, const struct mesh_args *a, const char *request, char **body)
{
	char sock[MESH_SOCK_PATH_MAX];
	int rc;

	*body = NULL;
	mesh_state_sock_path(sock, a->state);
	rc = control_call(sock, request, CONTROL_TIMEOUT_MS, body);
	if (rc == MN_ENOENT) {
		fprintf(stderr, PROG " %s: not running (" PROG " up)\n", cmd);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, PROG " %s: %s\n", cmd, *body ? *body : mn_strerror(rc));
		return 1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	char *body = NULL;
	int rc;

	opts[3] = (struct opt){ "--json", NULL, &a.json };
	if ((rc = mesh_parse_common("status", status_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!mesh_stored_match("status", &a, false))
		return 1;
	if ((rc = mesh_call("status", &a, a.json ? "status json" : "status", &body)) != 0) {
		free(body);
		return rc;
	}
	fputs(body, stdout);
	free(body);
	return 0;
}
