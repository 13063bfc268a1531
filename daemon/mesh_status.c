/* mesh_status.c - the status answer (mesh_status.h, doc/status-json.md).
 * Names (member and network) are [a-z0-9-] (rec_name_ok), so they need no
 * escaping in JSON. */
#include "mesh_status.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "mn_err.h"
#include "wg.h"

enum { STATUS_HEX_NETID = 2 * REC_NETID_LEN + 1 };

struct member_view {
	char name[REC_NAME_MAX + 1];
	char ipv4[INET_ADDRSTRLEN], ipv6[INET6_ADDRSTRLEN];
	const char *liveness;          /* alive, suspect, dead */
	const char *path;              /* direct, relay, none */
	char endpoint[MN_ADDR_STRLEN]; /* "" for none */
	bool has_handshake;
	uint64_t last_handshake;       /* epoch seconds */
	mn_ns rtt;                     /* the last handshake's round trip, 0 unknown */
	uint64_t rx, tx;
};

static const char *liveness_name(enum swim_state st)
{
	return st == SWIM_SUSPECT ? "suspect" : st == SWIM_DEAD ? "dead" : "alive";
}

/* What we know of member pk; false when swim does not hold it now. */
static bool member_view(const struct mesh_status_in *in, const uint8_t *pk, struct member_view *v)
{
	struct swim *s = node_swim(in->node);
	struct swim_member_info mi;
	struct swim_rec_info ri;
	struct node_peer_info pi;

	memset(v, 0, sizeof(*v));
	if (swim_member(s, pk, &mi) < 0 || swim_rec_info(in->net, mi.rec, &ri) < 0 ||
	    (ri.flags & REC_MEM_LEFT))
		return false; /* departed members are not listed */
	snprintf(v->name, sizeof(v->name), "%s", ri.name);
	inet_ntop(AF_INET, ri.ipv4, v->ipv4, sizeof(v->ipv4));
	inet_ntop(AF_INET6, ri.ipv6, v->ipv6, sizeof(v->ipv6));
	v->liveness = liveness_name(mi.state);
	v->path = "none";
	if (node_peer(in->node, pk, &pi) == MN_OK) {
		struct wg_peer *p = wg_dev_peer_find(node_wg(in->node), pi.wg_pk);

		if (pi.choice.kind != PATH_NONE) {
			v->path = pi.choice.kind == PATH_RELAY ? "relay" : "direct";
			mn_addr_format(&pi.choice.dst, v->endpoint, sizeof(v->endpoint));
		}
		if (p) {
			struct wg_peer_info wi;

			wg_peer_info(p, &wi);
			v->has_handshake = wi.last_handshake_wall != 0;
			v->last_handshake = (uint64_t)(wi.last_handshake_wall / MN_NS_PER_SEC);
			v->rtt = wi.handshake_rtt;
			v->rx = wi.rx_bytes;
			v->tx = wi.tx_bytes;
		}
	}
	return true;
}

static void self_view(const struct mesh_status_in *in, struct member_view *v)
{
	if (!member_view(in, in->meta->node_pk, v))
		snprintf(v->name, sizeof(v->name), "?");
}

static void write_json(struct control_reply *r, const struct mesh_status_in *in)
{
	struct member_view v;
	char netid[STATUS_HEX_NETID];
	bool first = true;

	for (int i = 0; i < REC_NETID_LEN; i++)
		snprintf(netid + 2 * i, 3, "%02x", in->net->id[i]);
	self_view(in, &v);
	control_reply_printf(r, "{\"self\": {\"name\": \"%s\", \"ipv4\": \"%s\", \"ipv6\": \"%s\", "
			     "\"network\": \"%s\", \"network_id\": \"%s\", \"interface\": \"%s\", "
			     "\"port\": %u},\n \"members\": [",
			     v.name, v.ipv4, v.ipv6, in->meta->network, netid, in->iface,
			     (unsigned)in->port);
	for (uint32_t i = 0; i < in->n_members; i++) {
		if (!member_view(in, in->members[i], &v))
			continue;
		control_reply_printf(r, "%s\n  {\"name\": \"%s\", \"ipv4\": \"%s\", \"ipv6\": \"%s\", "
				     "\"liveness\": \"%s\", \"path\": \"%s\", ",
				     first ? "" : ",", v.name, v.ipv4, v.ipv6, v.liveness, v.path);
		if (v.endpoint[0])
			control_reply_printf(r, "\"endpoint\": \"%s\", ", v.endpoint);
		else
			control_reply_printf(r, "\"endpoint\": null, ");
		control_reply_printf(r, "\"via\": null, ");
		if (v.rtt)
			control_reply_printf(r, "\"rtt_ms\": %.3f, ", (double)v.rtt / MN_NS_PER_MS);
		else
			control_reply_printf(r, "\"rtt_ms\": null, ");
		if (v.has_handshake)
			control_reply_printf(r, "\"last_handshake\": %llu, ",
					     (unsigned long long)v.last_handshake);
		else
			control_reply_printf(r, "\"last_handshake\": null, ");
		control_reply_printf(r, "\"rx_bytes\": %llu, \"tx_bytes\": %llu}",
				     (unsigned long long)v.rx, (unsigned long long)v.tx);
		first = false;
	}
	control_reply_printf(r, "%s]}\n", first ? "" : "\n ");
}

static void write_text(struct control_reply *r, const struct mesh_status_in *in)
{
	struct member_view v;
	uint32_t shown = 0;

	self_view(in, &v);
	control_reply_printf(r, "node %s  %s  %s\n  network %s, interface %s, port %u\n",
			     v.name, v.ipv4, v.ipv6, in->meta->network, in->iface,
			     (unsigned)in->port);
	for (uint32_t i = 0; i < in->n_members; i++) {
		if (!member_view(in, in->members[i], &v))
			continue;
		if (!shown++)
			control_reply_printf(r, "\nmembers:\n");
		control_reply_printf(r, "  %s  %s  %s  %s  path %s%s%s", v.name, v.ipv4, v.ipv6,
				     v.liveness, v.path, v.endpoint[0] ? " " : "", v.endpoint);
		if (v.has_handshake)
			control_reply_printf(r, "  handshake at %llu",
					     (unsigned long long)v.last_handshake);
		if (v.rtt)
			control_reply_printf(r, "  rtt %.3f ms", (double)v.rtt / MN_NS_PER_MS);
		control_reply_printf(r, "  rx %llu tx %llu bytes\n", (unsigned long long)v.rx,
				     (unsigned long long)v.tx);
	}
	if (!shown)
		control_reply_printf(r, "\nno other members yet\n");
}

void mesh_status_write(struct control_reply *r, bool json, const struct mesh_status_in *in)
{
	if (json)
		write_json(r, in);
	else
		write_text(r, in);
}

/* ---- peer NODE ---- */

/* node in the form member_view prints: an address canonical (inet_ntop),
 * anything else (a name) as it is. */
static void node_key(char out[INET6_ADDRSTRLEN], const char *node)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, node, a) == 1)
		inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN);
	else if (inet_pton(AF_INET6, node, a) == 1)
		inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
	else
		snprintf(out, INET6_ADDRSTRLEN, "%s", node);
}

static bool view_is(const struct member_view *v, const char *key)
{
	return !strcmp(v->name, key) || !strcmp(v->ipv4, key) || !strcmp(v->ipv6, key);
}

static void write_peer(struct control_reply *r, const struct member_view *v, const char *path)
{
	control_reply_printf(r, "%s %s %s %s %s\n", v->name, v->ipv4, v->ipv6, path,
			     v->endpoint[0] ? v->endpoint : "-");
}

void mesh_status_peer(struct control_reply *r, const struct mesh_status_in *in, const char *node)
{
	struct member_view v;
	char key[INET6_ADDRSTRLEN];

	node_key(key, node);
	if (member_view(in, in->meta->node_pk, &v) && view_is(&v, key)) {
		v.endpoint[0] = 0;
		write_peer(r, &v, "self");
		return;
	}
	for (uint32_t i = 0; i < in->n_members; i++) {
		if (member_view(in, in->members[i], &v) && view_is(&v, key)) {
			write_peer(r, &v, v.path);
			return;
		}
	}
	control_reply_error(r, "no member %s", node);
}

/* The next word of *s (ended by ' ' or '\n') into out[cap]; false when
 * there is none or it does not fit. */
static bool next_word(const char **s, char *out, size_t cap)
{
	size_t n = strcspn(*s, " \n");

	if (n == 0 || n >= cap)
		return false;
	memcpy(out, *s, n);
	out[n] = 0;
	*s += n;
	return true;
}

int mesh_status_peer_parse(struct mesh_peer *out, const char *body)
{
	struct {
		char *buf;
		size_t cap;
	} words[] = {
		{ out->name, sizeof(out->name) },   { out->ipv4, sizeof(out->ipv4) },
		{ out->ipv6, sizeof(out->ipv6) },   { out->path, sizeof(out->path) },
		{ out->endpoint, sizeof(out->endpoint) },
	};
	static const char *const paths[] = { "self", "direct", "relay", "none" };
	const char *s = body;
	uint8_t a[16];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (i && *s++ != ' ')
			return MN_EPROTO;
		if (!next_word(&s, words[i].buf, words[i].cap))
			return MN_EPROTO;
	}
	if (strcmp(s, "\n") || inet_pton(AF_INET, out->ipv4, a) != 1 ||
	    inet_pton(AF_INET6, out->ipv6, a) != 1)
		return MN_EPROTO;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!strcmp(out->path, paths[i]))
			return MN_OK;
	return MN_EPROTO;
}
