/* cmd_kick.c - `meshnode kick NODE` (the root): re-anchor the members NODE
 * admitted, then revoke it (daemon/mesh_kick.h has the three requests and
 * doc/membership.md "Kick" the reasons). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "control.h"

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
