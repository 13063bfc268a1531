/* cmd_kick.c - a member goes: `meshnode kick NODE` (the root): re-anchor
 * the members NODE admitted, then revoke it (daemon/mesh_kick.h has the
 * three requests and doc/membership.md "Kick" the reasons); `meshnode
 * leave`: this node's last record, then the keys wiped
 * (daemon/mesh_leave.h, doc/membership.md "Leave"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "control.h"
#include "mesh_state.h"

enum cmd_kick_limits {
	KICK_WAIT_MS = 10000,  /* for the members NODE admitted to re-anchor */
	KICK_POLL_MS = 200,
};

static const char kick_usage[] =
	"usage: " PROG " kick NODE [--state DIR] [--iface NAME] [--port N]\n\n"
	"Revoke a member (the root only): every member drops it and tears its tunnel\n"
	"down, and it cannot come back with its key. NODE is a name, an overlay\n"
	"address, a node key (hex) or a WireGuard public key. The members NODE\n"
	"admitted keep their membership: the root countersigns their joins first\n"
	"(those that are down then lose it, and are named).\n\n" COMMON_OPTS;

/* Members in body (lines "NAME LIVENESS ...") that are not dead. */
static unsigned live_lines(const char *body)
{
	unsigned n = 0;

	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *sp = strchr(p, ' ');

		n += sp && strncmp(sp + 1, "dead", 4) != 0;
	}
	return n;
}

int cmd_kick(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	char req[CONTROL_REQ_MAX], *body = NULL;
	const char *node = NULL;
	int rc;

	if (argc >= 1 && argv[0][0] != '-') {
		node = argv[0];
		argc--;
		argv++;
	}
	if ((rc = mesh_parse_common("kick", kick_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!node || !node[0] || strchr(node, ' ')) {
		fprintf(stderr, PROG " kick: NODE is missing\n");
		return CMD_EXIT_USAGE;
	}
	if (!mesh_stored_match("kick", &a, false))
		return 1;
	snprintf(req, sizeof(req), "kick plan %s", node);
	if ((rc = mesh_call("kick", &a, req, &body)) != 0)
		goto out;
	if (body[0])
		printf("re-anchoring the members %s admitted:\n%s", node, body);
	snprintf(req, sizeof(req), "kick check %s", node);
	for (int waited = 0; live_lines(body) && waited < KICK_WAIT_MS; waited += KICK_POLL_MS) {
		usleep(KICK_POLL_MS * 1000);
		free(body);
		body = NULL;
		if ((rc = mesh_call("kick", &a, req, &body)) != 0)
			goto out;
	}
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(stderr, PROG " kick: %.*s: still admitted by %s only; it loses its "
			"membership (a new invite lets it back)\n", len, p, node);
		p += len + (nl != NULL);
	}
	free(body);
	body = NULL;
	snprintf(req, sizeof(req), "kick revoke %s", node);
	if ((rc = mesh_call("kick", &a, req, &body)) == 0)
		printf("kicked %s\n", node);
out:
	free(body);
	return rc;
}

static const char leave_usage[] =
	"usage: " PROG " leave [--force] [--state DIR] [--iface NAME] [--port N]\n\n"
	"Leave the network for good: a last record signed by this node tells every\n"
	"member it left (they drop it from their lists; the members it admitted\n"
	"stay), then the daemon stops and the keys are wiped from the state\n"
	"directory. A node holding the root key refuses unless --force (back the\n"
	"root key up first: " PROG " backup-root).\n\n"
	"  --force         leave even with the root key here (it is wiped too)\n" COMMON_OPTS;

int cmd_leave(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	bool force = false;
	char *body = NULL;
	int rc;

	opts[3] = (struct opt){ "--force", NULL, &force };
	if ((rc = mesh_parse_common("leave", leave_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!mesh_stored_match("leave", &a, true))
		return 1;
	rc = mesh_call("leave", &a, force ? "leave force" : "leave", &body);
	free(body);
	if (rc != 0)
		return rc;
	if (!mesh_wait_exit(a.state, ms_now() + MESH_DOWN_TIMEOUT_MS)) {
		fprintf(stderr, PROG " leave: left, but the daemon did not exit within %d s; "
			"the keys are still in %s\n", MESH_DOWN_TIMEOUT_MS / 1000, a.state);
		return 1;
	}
	if (mesh_state_wipe(a.state, force) < 0) {
		fprintf(stderr, PROG " leave: left, but the keys could not all be wiped from %s\n",
			a.state);
		return 1;
	}
	printf("left the network; keys wiped from %s\n", a.state);
	return 0;
}

static const char admin_usage[] =
	"usage: " PROG " admin add NODE [--state DIR] [--iface NAME] [--port N]\n\n"
	"Make a member an admin (the root only): it can then invite, so the network\n"
	"does not depend on the machine that ran init. NODE is a name, an overlay\n"
	"address or a key. Waits (at most 10 s) until NODE confirms.\n\n" COMMON_OPTS;

int cmd_admin(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	char req[CONTROL_REQ_MAX], *body = NULL;
	const char *node = NULL;
	int rc;

	if (argc >= 1 && !strcmp(argv[0], "add")) {
		argc--;
		argv++;
		if (argc >= 1 && argv[0][0] != '-') {
			node = argv[0];
			argc--;
			argv++;
		}
	} else if (argc >= 1 && argv[0][0] != '-') {
		fprintf(stderr, PROG " admin: unknown subcommand %s (add)\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	if ((rc = mesh_parse_common("admin", admin_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!node || !node[0] || strchr(node, ' ')) {
		fprintf(stderr, PROG " admin: admin add NODE\n");
		return CMD_EXIT_USAGE;
	}
	if (!mesh_stored_match("admin", &a, false))
		return 1;
	snprintf(req, sizeof(req), "admin add %s", node);
	if ((rc = mesh_call("admin", &a, req, &body)) != 0)
		goto out;
	snprintf(req, sizeof(req), "admin check %s", node);
	for (int waited = 0; waited < KICK_WAIT_MS; waited += KICK_POLL_MS) {
		usleep(KICK_POLL_MS * 1000);
		free(body);
		body = NULL;
		if ((rc = mesh_call("admin", &a, req, &body)) != 0)
			goto out;
		if (!strncmp(body, "acked", 5)) {
			printf("%s is an admin\n", node);
			goto out;
		}
	}
	fprintf(stderr, PROG " admin: %s did not confirm within %d s (is it up?)\n", node,
		KICK_WAIT_MS / 1000);
	rc = 1;
out:
	free(body);
	return rc;
}
