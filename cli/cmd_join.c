/* cmd_join.c - `meshnode invite` (asks the running daemon: control
 * request "invite ...", daemon/mesh_invite.h) and `meshnode join`
 * (daemon/mesh_join.h, then up as `meshnode up`). */
#include <arpa/inet.h>
#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "control.h"
#include "mesh_join.h"
#include "mn_err.h"

enum cmd_join_limits {
	JOIN_TIMEOUT_DEFAULT_S = 30,
	JOIN_TIMEOUT_MAX_S = 3600,
	INVITE_USES_DEFAULT = 1,
	INVITE_EXPIRES_DEFAULT_S = 24 * 3600,
	INVITE_EXPIRES_MAX_S = 365 * 24 * 3600,
	INVITE_EXPIRED_TEST_S = -3600, /* --expired-for-test: an hour ago */
	QR_QUIET = 2,                  /* modules of margin around the code */
};

static const char invite_usage[] =
	"usage: " PROG " invite [--uses N] [--expires DURATION] [--via NODE,...] [--qr]\n"
	"       " PROG " invite --list\n"
	"       " PROG " invite --revoke ID\n\n"
	"Make an invite link (the root or an admin only) and print it alone on one\n"
	"line. Whoever runs `" PROG " join LINK` with it becomes a member.\n\n"
	"  --uses N          how many nodes may join with it (default 1)\n"
	"  --expires D       how long it is valid: 30m, 24h, 7d, 90s (default 24h)\n"
	"  --via NODE,...    list these members in the link (names or overlay\n"
	"                    addresses; default: this node and up to 3 live members)\n"
	"  --qr              also draw it as a QR code on stderr\n"
	"  --list            the invites made here that are still usable:\n"
	"                    ID USED/MAX EXPIRES_IN_SECONDS\n"
	"  --revoke ID       withdraw an invite, everywhere\n" COMMON_OPTS;
static const char join_usage[] =
	"usage: " PROG " join LINK [--name NODENAME] [--foreground] [--timeout SECONDS] [--json]\n"
	"                     [--state DIR] [--iface NAME] [--port N]\n\n"
	"Become a member of the network the invite link is for, through any member it\n"
	"lists that answers, then start the daemon as `" PROG " up` does. Prints this\n"
	"node's name, overlay IPv4 and IPv6. Nothing is written when no member admits\n"
	"it.\n\n"
	"  --name NODENAME   this node's name (default: from the host name)\n"
	"  --foreground      run the daemon in the foreground\n"
	"  --timeout S       give up after S seconds (default 30)\n"
	"  --json            print {\"name\", \"ipv4\", \"ipv6\", \"network\"}\n" COMMON_OPTS;

/* "90s", "30m", "24h", "7d" (a bare number: seconds). -1 when bad. */
static long long parse_duration(const char *s)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end == 'd')
		mul = 86400;
	else if (*end == 's' || !*end)
		mul = 1;
	else
		return -1;
	if (*end && end[1])
		return -1;
	return v > INVITE_EXPIRES_MAX_S / mul ? -1 : v * mul;
}

/* The link as a QR code on stderr: upper case fits QR's alphanumeric mode. */
static void print_qr(const char *link)
{
	char *up = strdup(link);
	QRcode *q;

	if (!up)
		return;
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	q = QRcode_encodeString(up, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	free(up);
	if (!q) {
		fprintf(stderr, PROG " invite: cannot draw the QR code: %s\n", strerror(errno));
		return;
	}
	/* two modules per line (upper and lower half blocks), dark on light */
	for (int y = -QR_QUIET; y < q->width + QR_QUIET; y += 2) {
		for (int x = -QR_QUIET; x < q->width + QR_QUIET; x++) {
			bool top = y >= 0 && y < q->width && x >= 0 && x < q->width &&
				   (q->data[y * q->width + x] & 1);
			bool bot = y + 1 >= 0 && y + 1 < q->width && x >= 0 && x < q->width &&
				   (q->data[(y + 1) * q->width + x] & 1);
			fputs(top && bot ? " " : top ? "\u2584" : bot ? "\u2580" : "\u2588", stderr);
		}
		fputc('\n', stderr);
	}
	QRcode_free(q);
}

int cmd_invite(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	const char *uses_text = NULL, *expires_text = NULL, *via = NULL, *revoke = NULL;
	bool qr = false, list = false, expired_test = false;
	char req[CONTROL_REQ_MAX], *body = NULL;
	long long secs = INVITE_EXPIRES_DEFAULT_S;
	unsigned long uses = INVITE_USES_DEFAULT;
	int rc;

	opts[3] = (struct opt){ "--uses", &uses_text, NULL };
	opts[4] = (struct opt){ "--expires", &expires_text, NULL };
	opts[5] = (struct opt){ "--via", &via, NULL };
	opts[6] = (struct opt){ "--qr", NULL, &qr };
	opts[7] = (struct opt){ "--list", NULL, &list };
	opts[8] = (struct opt){ "--revoke", &revoke, NULL };
	opts[9] = (struct opt){ "--expired-for-test", NULL, &expired_test };
	if ((rc = mesh_parse_common("invite", invite_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (list + !!revoke > 1 ||
	    ((list || revoke) && (uses_text || expires_text || via || qr || expired_test))) {
		fprintf(stderr, PROG " invite: --list and --revoke take no other option\n");
		return CMD_EXIT_USAGE;
	}
	if (uses_text) {
		char *end;

		errno = 0;
		uses = strtoul(uses_text, &end, 10);
		if (errno || *end || !uses || uses > 65535) {
			fprintf(stderr, PROG " invite: --uses: 1 to 65535: %s\n", uses_text);
			return CMD_EXIT_USAGE;
		}
	}
	if (expires_text && (secs = parse_duration(expires_text)) < 0) {
		fprintf(stderr, PROG " invite: --expires: a duration like 30m, 24h, 7d (at most "
			"365d): %s\n", expires_text);
		return CMD_EXIT_USAGE;
	}
	if (expired_test)
		secs = INVITE_EXPIRED_TEST_S;
	if (via && (!via[0] || strchr(via, ' '))) {
		fprintf(stderr, PROG " invite: --via: names or addresses separated by commas\n");
		return CMD_EXIT_USAGE;
	}
	if (!mesh_stored_match("invite", &a, false))
		return 1;
	if (list)
		snprintf(req, sizeof(req), "invite list");
	else if (revoke)
		snprintf(req, sizeof(req), "invite revoke %s", revoke);
	else
		snprintf(req, sizeof(req), "invite make %lu %lld%s%s", uses, secs, via ? " " : "",
			 via ? via : "");
	if ((rc = mesh_call("invite", &a, req, &body)) == 0) {
		fputs(body, stdout);
		fflush(stdout);
		if (qr && body[0]) {
			body[strcspn(body, "\n")] = 0;
			print_qr(body);
		}
	}
	free(body);
	return rc;
}

/* ---- join ---- */

struct joined {
	const struct mesh_join_out *out;
	bool json;
};

static void print_joined(const struct joined *j)
{
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET, j->out->ipv4, v4, sizeof(v4));
	inet_ntop(AF_INET6, j->out->ipv6, v6, sizeof(v6));
	if (j->json)
		printf("{\"name\": \"%s\", \"ipv4\": \"%s\", \"ipv6\": \"%s\", \"network\": \"%s\"}\n",
		       j->out->name, v4, v6, j->out->network);
	else
		printf("%s %s %s\n", j->out->name, v4, v6);
	fflush(stdout);
}

static void joined_ready(void *ctx)
{
	print_joined(ctx);
}

int cmd_join(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[MESH_OPT_MAX] = { 0 };
	const char *timeout_text = NULL, *link = NULL;
	struct mesh_join_out out;
	struct mesh_join_in in;
	struct joined jd = { .out = &out };
	char why[MESH_WHY_MAX];
	long timeout = JOIN_TIMEOUT_DEFAULT_S;
	int rc;

	/* the link is the one argument that is not an option */
	if (argc >= 1 && argv[0][0] != '-') {
		link = argv[0];
		argc--;
		argv++;
	}
	opts[3] = (struct opt){ "--name", &a.name, NULL };
	opts[4] = (struct opt){ "--foreground", NULL, &a.foreground };
	opts[5] = (struct opt){ "--timeout", &timeout_text, NULL };
	opts[6] = (struct opt){ "--json", NULL, &a.json };
	if ((rc = mesh_parse_common("join", join_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!link) {
		fprintf(stderr, PROG " join: the invite link is missing\n");
		return CMD_EXIT_USAGE;
	}
	if (a.name && !rec_name_ok(a.name, strlen(a.name))) {
		fprintf(stderr, PROG " join: --name: bad name %s (1-%d of a-z 0-9 -, no - at "
			"either end)\n", a.name, REC_NAME_MAX);
		return CMD_EXIT_USAGE;
	}
	if (timeout_text) {
		char *end;

		errno = 0;
		timeout = strtol(timeout_text, &end, 10);
		if (errno || *end || timeout < 1 || timeout > JOIN_TIMEOUT_MAX_S) {
			fprintf(stderr, PROG " join: --timeout: 1 to %d seconds: %s\n",
				JOIN_TIMEOUT_MAX_S, timeout_text);
			return CMD_EXIT_USAGE;
		}
	}
	memset(&in, 0, sizeof(in));
	in.dir = a.state;
	in.link = link;
	in.name = a.name;
	in.iface = a.iface ? a.iface : MESH_IFACE_DEFAULT;
	in.port = a.port_text ? a.port : MESH_PORT_DEFAULT;
	in.timeout_ms = (int)timeout * 1000;
	if ((rc = mesh_join(&in, &out, why)) < 0) {
		fprintf(stderr, PROG " join: %s\n", why);
		return 1;
	}
	jd.json = a.json;
	if (a.foreground) {
		a.on_ready = joined_ready;
		a.ready_ctx = &jd;
		return mesh_up(&a, "join");
	}
	if ((rc = mesh_up(&a, "join")) != 0) {
		fprintf(stderr, PROG " join: admitted (%s), but the daemon did not start: "
			"`" PROG " up --state %s` starts it\n", out.name, a.state);
		return rc;
	}
	print_joined(&jd);
	return 0;
}
