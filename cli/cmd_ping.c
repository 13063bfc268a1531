/* cmd_ping.c - `meshnode ping NODE [-c N]`: ICMP echo to a member's
 * overlay address through the mesh (the mesh issue).
 *
 * NODE is looked up by the running daemon (the control request `peer
 * NODE`, daemon/mesh_status.h): a name pings the member's overlay IPv4, an
 * address pings that address. Requests go out one a second from a raw
 * socket (daemon/icmp_ping.h) with a random identifier; each waits at most
 * PING_TIMEOUT_MS for its reply. After each reply a fresh `peer` query
 * says which path carries the member now, printed with the round trip:
 *   pong from NAME (ADDR) via direct IP:PORT in 0.41 ms
 *   pong from NAME (ADDR) via self in 0.05 ms      (this node: the kernel answers)
 *   timeout: no reply from NAME (ADDR) within 1 s
 * then "N sent, M received". Exit 0 if any reply came; 1 if none did
 * ("no reply from NODE"), if the daemon is not running ("not running") or
 * NODE is no member ("no member NODE"); 2 on bad usage (-c 0 among it). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "control.h"
#include "driver.h"
#include "icmp_ping.h"
#include "mesh_status.h"
#include "mn_err.h"
#include "os_rng.h"

enum cmd_ping_limits {
	PING_COUNT_DEFAULT = 4,
	PING_COUNT_MAX = 65535,   /* sequence numbers 1..65535 */
	PING_INTERVAL_MS = 1000,  /* between two requests */
	PING_TIMEOUT_MS = 1000,   /* a request's wait for its reply */
	PING_OPTS = 5,            /* the 3 common, -c, the end */
	PING_OPT_COUNT = 3,       /* the slot of -c */
	PING_REQ_MAX = 128,       /* "peer NODE" */
};

static const char ping_usage[] =
	"usage: " PROG " ping NODE [-c N] [--state DIR] [--iface NAME] [--port N]\n\n"
	"Ping a member through the mesh: ICMP echo requests to its overlay address,\n"
	"one a second, each waiting at most 1 s for its reply. NODE is a member's\n"
	"name (pinged over IPv4) or an overlay IPv4 or IPv6 address; this node's own\n"
	"answer too (path self). Each reply prints the path that carries the member\n"
	"(direct IP:PORT, relay, none) and the round trip. Exit 0 if any reply\n"
	"came, 1 if none did. Needs root (a raw socket) and the running daemon.\n\n"
	"  -c N            send N requests (default 4, at most 65535)\n" COMMON_OPTS;

/* The options that take a value, for finding NODE among the arguments. */
static bool takes_value(const struct opt *opts, const char *arg)
{
	for (const struct opt *o = opts; o->name; o++)
		if (o->value && !strcmp(o->name, arg))
			return true;
	return false;
}

/* Move NODE (the first argument that is neither an option nor an
 * option's value) out of argv into *node; the others keep their order. */
static int take_node(const struct opt *opts, int argc, char **argv, const char **node)
{
	int out = 0;

	*node = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-') {
			argv[out++] = argv[i];
			if (takes_value(opts, argv[i]) && i + 1 < argc)
				argv[out++] = argv[++i];
		} else if (!*node) {
			*node = argv[i];
		} else {
			argv[out++] = argv[i];
		}
	}
	return out;
}

static bool node_ok(const char *node)
{
	uint8_t a[16];

	return rec_name_ok(node, strlen(node)) || inet_pton(AF_INET, node, a) == 1 ||
	       inet_pton(AF_INET6, node, a) == 1;
}

/* The daemon's `peer node` answer into *p (zeroed first); the control
 * call's status, MN_EPROTO for an answer that is not a peer line. *body
 * is the error's reason (free it). */
static int ask(const char *sock, const char *node, struct mesh_peer *p, char **body)
{
	char req[PING_REQ_MAX];
	int rc;

	memset(p, 0, sizeof(*p));
	*body = NULL;
	snprintf(req, sizeof(req), "peer %s", node);
	rc = control_call(sock, req, CONTROL_TIMEOUT_MS, body);
	if (rc == MN_OK && mesh_status_peer_parse(p, *body) < 0)
		rc = MN_EPROTO;
	return rc;
}

/* ask, saying why it failed; 0 or the exit status. */
static int query(const char *sock, const char *node, struct mesh_peer *p)
{
	char *body;
	int rc = ask(sock, node, p, &body);

	if (rc == MN_ENOENT)
		fprintf(stderr, PROG " ping: not running\n");
	else if (rc == MN_EINVAL)
		fprintf(stderr, PROG " ping: %s\n", body);
	else if (rc < 0)
		fprintf(stderr, PROG " ping: the daemon's answer: %s\n", mn_strerror(rc));
	free(body);
	return rc < 0 ? 1 : 0;
}

/* A reply came: the path from a fresh query ("?" if it fails now). */
static void print_pong(const char *sock, const char *node, const struct mesh_peer *first,
		       const char *addr, uint64_t rtt_ns)
{
	struct mesh_peer p;
	char *body;

	if (ask(sock, node, &p, &body) < 0)
		snprintf(p.path, sizeof(p.path), "?");
	free(body);
	printf("pong from %s (%s) via %s", first->name, addr, p.path);
	if (p.endpoint[0] && strcmp(p.endpoint, "-"))
		printf(" %s", p.endpoint);
	printf(" in %.2f ms\n", (double)rtt_ns / (double)MN_NS_PER_MS);
}

/* N requests to addr; the number of replies, or -1 when the socket failed. */
static int ping_loop(const char *sock, const char *node, const struct mesh_peer *peer,
		     int family, const char *addr, long count)
{
	struct mn_rng rng = os_rng();
	struct icmp_pinger pg;
	uint8_t dst[16];
	int replies = 0;

	inet_pton(family, addr, dst);
	if (icmp_ping_open(&pg, family, dst, (uint16_t)mn_rng_u32(&rng)) < 0) {
		fprintf(stderr, PROG " ping: raw socket: %s%s\n", strerror(errno),
			errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	for (long seq = 1; seq <= count; seq++) {
		mn_ns start = driver_now().mono, waited;
		uint64_t rtt_ns;
		int rc = icmp_ping_once(&pg, (uint16_t)seq, PING_TIMEOUT_MS, &rtt_ns);

		if (rc == MN_OK) {
			replies++;
			print_pong(sock, node, peer, addr, rtt_ns);
		} else if (rc == MN_EEXPIRED) {
			printf("timeout: no reply from %s (%s) within %d s\n", peer->name, addr,
			       PING_TIMEOUT_MS / 1000);
		} else {
			printf("send to %s (%s) failed: %s\n", peer->name, addr, strerror(errno));
		}
		fflush(stdout);
		waited = driver_now().mono - start;
		if (seq < count && waited < (mn_ns)PING_INTERVAL_MS * MN_NS_PER_MS)
			usleep((useconds_t)(((mn_ns)PING_INTERVAL_MS * MN_NS_PER_MS - waited) /
					    MN_NS_PER_US));
	}
	icmp_ping_close(&pg);
	printf("%ld sent, %d received\n", count, replies);
	return replies;
}

int cmd_ping(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct opt opts[PING_OPTS] = { 0 };
	const char *node, *count_text = NULL, *addr;
	char sock[MESH_SOCK_PATH_MAX];
	struct mesh_peer peer;
	uint8_t v6[16];
	long count = PING_COUNT_DEFAULT;
	int rc, family;

	opts[0] = (struct opt){ "--state", &a.state, NULL }; /* for take_node */
	opts[1] = (struct opt){ "--iface", &a.iface, NULL };
	opts[2] = (struct opt){ "--port", &a.port_text, NULL };
	opts[PING_OPT_COUNT] = (struct opt){ "-c", &count_text, NULL };
	argc = take_node(opts, argc, argv, &node);
	if ((rc = mesh_parse_common("ping", ping_usage, opts, argc, argv, &a)) >= 0)
		return rc;
	if (!node) {
		fprintf(stderr, PROG " ping: NODE is required (a member's name or overlay "
			"address)\n");
		return CMD_EXIT_USAGE;
	}
	if (!node_ok(node)) {
		fprintf(stderr, PROG " ping: %s: not a member name nor an IPv4 or IPv6 address\n",
			node);
		return CMD_EXIT_USAGE;
	}
	if (count_text) {
		char *end;

		errno = 0;
		count = strtol(count_text, &end, 10);
		if (errno || *end || end == count_text || count < 1 || count > PING_COUNT_MAX) {
			fprintf(stderr, PROG " ping: -c: not a count of 1 to %d: %s\n",
				PING_COUNT_MAX, count_text);
			return CMD_EXIT_USAGE;
		}
	}
	if (!mesh_stored_match("ping", &a, false))
		return 1;
	mesh_state_sock_path(sock, a.state);
	if ((rc = query(sock, node, &peer)) != 0)
		return rc;
	family = inet_pton(AF_INET6, node, v6) == 1 ? AF_INET6 : AF_INET;
	addr = family == AF_INET6 ? peer.ipv6 : peer.ipv4;
	if ((rc = ping_loop(sock, node, &peer, family, addr, count)) < 0)
		return 1;
	if (rc == 0) {
		fprintf(stderr, PROG " ping: no reply from %s\n", node);
		return 1;
	}
	return 0;
}
