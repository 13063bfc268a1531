/* mesh.c - the mesh daemon (mesh.h). */
#include "mesh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <uv.h>

#include "control.h"
#include "driver.h"
#include "driver_node.h"
#include "mesh_admin.h"
#include "mesh_admit.h"
#include "mesh_invite.h"
#include "mesh_kick.h"
#include "mesh_leave.h"
#include "mesh_state.h"
#include "mesh_status.h"
#include "mn_err.h"
#include "os_rng.h"
#include "swim_persist.h"
#include "uapi_server.h"

enum mesh_limits {
	MESH_ADDRS_MAX = 2,        /* our overlay /32 and /128 */
	MESH_PATH_SAVE_MS = 5000,  /* how often proven paths are compared with the store */
	MESH_MOVE_SETTLE_MS = 300, /* quiet after the last address change before we act */
};

struct mesh {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm, sigusr1;
	uv_check_t check; /* after every loop turn: commit what swim wrote */
	uv_timer_t path_timer; /* saves the last known good paths */
	uv_timer_t leave_timer; /* after `leave`: the stop */
	uv_timer_t move_timer;  /* the host's addresses changed: tell once they settle */
	bool handles_init;
	struct mesh_opts opts;
	struct mesh_meta meta;
	struct rec_network net;
	struct rec_key key;
	struct rec_memo memo;
	struct mn_rng rng;          /* the OS generator (cookie secrets, invite keys) */
	uint8_t (*memo_slots)[REC_MEMO_KEY_LEN];
	struct swim_persist *sp;
	struct node *node;
	struct driver_node core;
	struct driver *drv;
	struct uapi_server *uapi;
	struct control_server *ctl;
	struct mesh_admit admit;
	bool admit_ready;
	struct mesh_admin_sent admin_sent; /* the last grant sent (admin add) */
	struct mn_prefix addrs[MESH_ADDRS_MAX];
	size_t n_addrs;
	uint8_t (*members)[REC_PK_LEN]; /* every member but us (swim has no iterator) */
	struct mn_addr *saved;          /* members[i]'s path as in STORE_PATHS (or unset) */
	uint32_t n_members, cap_members;
	bool first_start;         /* the first since init or join created the store */
	int exit_code;
	bool stopping;
	const char *why;   /* a stop's reason, said last (`up` shows the log's last line) */
};

int mesh_lock(const char *dir, int *fd)
{
	char path[MESH_PATH_MAX];

	*fd = -1;
	if (mesh_state_path(path, sizeof(path), dir, MESH_LOCK_FILE) < 0)
		return MN_EMSGSIZE;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return MN_EIO;
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? MN_EBUSY : MN_EIO;
		close(*fd);
		*fd = -1;
		return rc;
	}
	return MN_OK;
}

static void save_paths(struct mesh *m);
static void print_counters(const struct mesh *m);

/* Close every handle that is open (again and again: a stop during start
 * leaves handles that start_io makes after it). */
static void close_handles(struct mesh *m)
{
	if (m->handles_init) {
		uv_close((uv_handle_t *)&m->sigint, NULL);
		uv_close((uv_handle_t *)&m->sigterm, NULL);
		uv_close((uv_handle_t *)&m->sigusr1, NULL);
		uv_close((uv_handle_t *)&m->check, NULL);
		uv_close((uv_handle_t *)&m->path_timer, NULL);
		uv_close((uv_handle_t *)&m->leave_timer, NULL);
		uv_close((uv_handle_t *)&m->move_timer, NULL);
		m->handles_init = false;
		save_paths(m);
	}
	if (m->ctl)
		control_server_close(m->ctl);
	if (m->uapi)
		uapi_server_close(m->uapi);
	if (m->drv)
		driver_close(m->drv, NULL, NULL);
	m->ctl = NULL;
	m->uapi = NULL;
	m->drv = NULL;
}

static void mesh_stop(struct mesh *m, int code)
{
	if (m->stopping)
		return;
	m->stopping = true;
	m->exit_code = code;
	print_counters(m);
	close_handles(m);
}

/* ---- the member list, from swim's events ---- */

static void members_add(struct mesh *m, const uint8_t *pk)
{
	if (!memcmp(pk, m->meta.node_pk, REC_PK_LEN))
		return;
	for (uint32_t i = 0; i < m->n_members; i++)
		if (!memcmp(m->members[i], pk, REC_PK_LEN))
			return;
	if (m->n_members == m->cap_members) {
		uint32_t cap = m->cap_members ? 2 * m->cap_members : 16;
		void *v = cap > SWIM_MAX_MEMBERS ? NULL : realloc(m->members, cap * sizeof(*m->members));
		void *w = v ? realloc(m->saved, cap * sizeof(*m->saved)) : NULL;

		if (v)
			m->members = v;
		if (!w) {
			fprintf(stderr, "meshnode: member list full or out of memory\n");
			return;
		}
		m->saved = w;
		m->cap_members = cap;
	}
	memset(&m->saved[m->n_members], 0, sizeof(*m->saved));
	memcpy(m->members[m->n_members++], pk, REC_PK_LEN);
}

static void members_del(struct mesh *m, const uint8_t *pk)
{
	for (uint32_t i = 0; i < m->n_members; i++) {
		if (!memcmp(m->members[i], pk, REC_PK_LEN)) {
			struct store_txn *t;

			memmove(m->members[i], m->members[i + 1],
				(m->n_members - i - 1) * sizeof(*m->members));
			memmove(&m->saved[i], &m->saved[i + 1],
				(m->n_members - i - 1) * sizeof(*m->saved));
			m->n_members--;
			if (store_txn_begin(swim_persist_store(m->sp), &t) == MN_OK) {
				mesh_path_del(t, pk);
				store_txn_commit(t);
			}
			return;
		}
	}
}

/* Every member's proven direct address that differs from the stored one
 * into STORE_PATHS, in one transaction. */
static void save_paths(struct mesh *m)
{
	struct store_txn *t = NULL;
	int rc = MN_OK;

	for (uint32_t i = 0; i < m->n_members && rc == MN_OK; i++) {
		struct node_peer_info pi;

		if (node_peer(m->node, m->members[i], &pi) < 0 || pi.path.src != PATH_SRC_PROVEN ||
		    !mn_addr_is_set(&pi.path.remote) || mn_addr_eq(&pi.path.remote, &m->saved[i]))
			continue;
		if (!t && (rc = store_txn_begin(swim_persist_store(m->sp), &t)) < 0)
			break;
		if ((rc = mesh_path_put(t, m->members[i], &pi.path.remote)) == MN_OK)
			m->saved[i] = pi.path.remote;
	}
	if (t && rc == MN_OK)
		rc = store_txn_commit(t);
	else if (t)
		store_txn_abort(t);
	if (rc < 0)
		fprintf(stderr, "meshnode: cannot save the members' paths: %s\n", mn_strerror(rc));
}

static void on_path_timer(uv_timer_t *h)
{
	save_paths(h->data);
}

/* A member's liveness changed: one log line, as `meshnode status` would
 * now show it. */
static void log_liveness(const struct mesh *m, const struct swim_event *ev)
{
	static const char *const said[] = {
		[SWIM_EV_ALIVE] = "alive again", [SWIM_EV_SUSPECT] = "suspect",
		[SWIM_EV_DEAD] = "dead",
	};
	struct swim_rec_info ri;
	char v4[INET_ADDRSTRLEN];

	if (swim_rec_info(&m->net, ev->rec, &ri) != MN_OK)
		return;
	inet_ntop(AF_INET, ri.ipv4, v4, sizeof(v4));
	fprintf(stderr, "meshnode: member %s (%s) is %s\n", ri.name, v4, said[ev->kind]);
}

static void on_swim_event(void *ctx, const struct swim_event *ev)
{
	struct mesh *m = ctx;

	swim_persist_event(m->sp, ev);
	if (ev->kind == SWIM_EV_RECORD && ev->rec)
		members_add(m, ev->rec->pk);
	else if (ev->kind == SWIM_EV_REMOVED && ev->rec)
		members_del(m, ev->rec->pk);
	else if ((ev->kind == SWIM_EV_ALIVE || ev->kind == SWIM_EV_SUSPECT ||
		  ev->kind == SWIM_EV_DEAD) && ev->rec && !m->stopping)
		log_liveness(m, ev);
}

static void on_store_fail(void *ctx, int err, const char *why)
{
	struct mesh *m = ctx;

	(void)err;
	fprintf(stderr, "meshnode: %s: stopping\n", why);
	mesh_stop(m, 1);
}

/* ---- the node's actions ---- */

static void on_action(void *ctx, const struct node_action *a)
{
	struct mesh *m = ctx;
	char pbuf[MN_PREFIX_STRLEN];
	int rc;

	switch (a->kind) {
	case NODE_ACT_ADDR:
		if (m->n_addrs < MESH_ADDRS_MAX)
			m->addrs[m->n_addrs++] = a->prefix;
		break;
	case NODE_ACT_ROUTE_ADD:
	case NODE_ACT_ROUTE_DEL:
		if (!m->drv)
			break; /* before the interface: none at start (restore follows it) */
		rc = driver_route(m->drv, a->kind == NODE_ACT_ROUTE_ADD, &a->prefix);
		if (rc < 0 && rc != MN_EEXIST && rc != MN_ENOENT)
			fprintf(stderr, "meshnode: route %s %s: %s\n",
				a->kind == NODE_ACT_ROUTE_ADD ? "add" : "del",
				mn_prefix_format(&a->prefix, pbuf, sizeof(pbuf)), strerror(errno));
		break;
	case NODE_ACT_REVOKED:
		m->why = "this node was revoked from the network";
		mesh_stop(m, 1);
		break;
	}
}

/* ---- join requests (unsealed, before swim) ---- */

static int on_unsealed(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
		       struct mn_time now)
{
	struct mesh *m = ctx;
	uint8_t out[JOIN_DGRAM_MAX];
	size_t outlen;
	int rc;

	if (!m->admit_ready)
		return join_is_join(buf, len) ? MN_EBUSY : MN_ENOENT;
	rc = mesh_admit_recv(&m->admit, from, buf, len, now, out, sizeof(out), &outlen);
	if (rc == MN_OK && outlen)
		node_send_unsealed(m->node, from, out, outlen);
	return rc;
}

/* ---- loop handles ---- */

/* The driver's counters and every nonzero one of the node (SIGUSR1, and
 * at the end). */
static void print_counters(const struct mesh *m)
{
	struct driver_stats st;

	if (m->drv) {
		driver_get_stats(m->drv, &st);
		fprintf(stderr, "meshnode: %s: udp rx %llu tx %llu (tx dropped %llu, truncated "
			"%llu); tun rx %llu tx %llu (tx dropped %llu); core dropped %llu\n",
			m->meta.iface, (unsigned long long)st.udp_rx, (unsigned long long)st.udp_tx,
			(unsigned long long)st.udp_tx_drop, (unsigned long long)st.udp_rx_trunc,
			(unsigned long long)st.tun_rx, (unsigned long long)st.tun_tx,
			(unsigned long long)st.tun_tx_drop, (unsigned long long)st.core_drop);
	}
	for (int i = 0; m->node && i < NODE_STAT__COUNT; i++) {
		uint64_t n = node_stat(m->node, (enum node_stat)i);

		if (n)
			fprintf(stderr, "meshnode: %s:   %llu %s\n", m->meta.iface,
				(unsigned long long)n, node_stat_name((enum node_stat)i));
	}
	for (int i = 0; m->node && i < SWIM_STAT__COUNT; i++) {
		uint64_t n = swim_stat(node_swim(m->node), (enum swim_stat)i);

		if (n)
			fprintf(stderr, "meshnode: %s:   gossip: %llu %s\n", m->meta.iface,
				(unsigned long long)n, swim_stat_name((enum swim_stat)i));
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct mesh *m = h->data;

	if (signum == SIGUSR1) {
		print_counters(m);
		return;
	}
	fprintf(stderr, "meshnode: %s, shutting down\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
	mesh_stop(m, 0);
}

static void on_check(uv_check_t *h)
{
	struct mesh *m = h->data;

	swim_persist_commit(m->sp);
}

static void on_tun_dead(void *ctx, bool deleted, const char *why)
{
	struct mesh *m = ctx;

	fprintf(stderr, "meshnode: %s: %s, shutting down\n", m->meta.iface,
		deleted ? "interface deleted" : why);
	mesh_stop(m, 1);
}

/* The host's addresses settled after a change (a laptop on another
 * network, a DHCP renewal, an address removed and another added): the
 * members learn where we are now (node_local_addrs_changed). */
static void on_move_timer(uv_timer_t *h)
{
	struct mesh *m = h->data;

	if (m->stopping || !m->drv)
		return;
	struct mn_addr own[2];
	uint32_t n = mesh_own_endpoints(m->meta.iface, m->meta.port, own);

	fprintf(stderr, "meshnode: local addresses changed: telling the members\n");
	node_local_addrs_changed(m->node, own, n, driver_now());
	driver_kick(m->drv);
}

/* Changes come in bursts (a removal then an addition; IPv6 addresses
 * twice, tentative then after duplicate detection): act once they pause. */
static void on_addrs_changed(void *ctx)
{
	struct mesh *m = ctx;

	if (m->handles_init)
		uv_timer_start(&m->move_timer, on_move_timer, MESH_MOVE_SETTLE_MS, 0);
}

static void on_uapi_request(void *ctx)
{
	struct mesh *m = ctx;

	if (m->drv)
		driver_kick(m->drv);
}

/* ---- control requests (control.h): one function per request word ---- */

/* What status and peer read. */
static struct mesh_status_in status_in(const struct mesh *m)
{
	return (struct mesh_status_in){
		.node = m->node, .net = &m->net, .meta = &m->meta,
		.members = (const uint8_t (*)[REC_PK_LEN])m->members,
		.n_members = m->n_members, .iface = m->meta.iface,
		.port = m->drv ? driver_listen_port(m->drv) : m->meta.port,
	};
}

static void req_status(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_status_in in = status_in(m);

	if (argc == 2 && strcmp(argv[1], "json")) {
		control_reply_error(r, "status: unknown argument %s", argv[1]);
		return;
	}
	mesh_status_write(r, argc == 2, &in);
}

static void req_invite(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_invite_env e = {
		.net = &m->net, .network = m->meta.network, .dir = m->opts.dir,
		.swim = node_swim(m->node), .store = swim_persist_store(m->sp),
		.admit = &m->admit, .members = (const uint8_t (*)[REC_PK_LEN])m->members,
		.n_members = m->n_members, .self_pk = m->meta.node_pk, .iface = m->meta.iface,
		.port = m->drv ? driver_listen_port(m->drv) : m->meta.port, .rng = &m->rng,
		.now = driver_now(),
	};

	if (!m->admit_ready) {
		control_reply_error(r, "invite: the join admitter did not start (see the log)");
		return;
	}
	mesh_invite_request(&e, argc, argv, r);
	swim_persist_commit(m->sp); /* a revocation: stored before the answer */
}

static void req_peer(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_status_in in = status_in(m);

	(void)argc;
	mesh_status_peer(r, &in, argv[1]);
}

static struct mesh_kick_env kick_env(struct mesh *m)
{
	return (struct mesh_kick_env){
		.look = { .net = &m->net, .swim = node_swim(m->node), .self_pk = m->meta.node_pk,
			  .members = (const uint8_t (*)[REC_PK_LEN])m->members,
			  .n_members = m->n_members },
		.dir = m->opts.dir, .node = m->node, .key = &m->key, .memo = &m->memo,
		.now = driver_now(),
	};
}

static void req_kick(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_kick_env e = kick_env(m);

	mesh_kick_request(&e, argc, argv, r);
	swim_persist_commit(m->sp); /* a tombstone: stored before the answer */
	driver_kick(m->drv);        /* re-admissions and the tombstone leave now */
}

/* ---- the node's own sealed messages ---- */

static struct mesh_admin_env admin_env(struct mesh *m)
{
	struct mesh_kick_env k = kick_env(m);

	return (struct mesh_admin_env){ .look = k.look, .dir = m->opts.dir, .node = m->node,
					.rng = &m->rng, .sent = &m->admin_sent, .now = k.now };
}

static void req_admin(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_admin_env e = admin_env(m);

	mesh_admin_request(&e, argc, argv, r);
	driver_kick(m->drv);
}

static int on_node_msg(void *ctx, const struct swim_control *msg, struct mn_time now)
{
	struct mesh *m = ctx;
	struct mesh_admin_env ae;
	struct mesh_kick_env e;
	int rc;

	e = kick_env(m);
	e.now = now;
	ae = admin_env(m);
	ae.now = now;
	switch (msg->type) {
	case NODE_T_READMIT:
		if ((rc = mesh_kick_on_readmit(&e, msg->pt, msg->len)) < 0)
			fprintf(stderr, "meshnode: a re-admission was refused: %s\n",
				mn_strerror(rc));
		return rc;
	case NODE_T_REVOKED:
		return mesh_kick_on_revoked(&e, msg->pt, msg->len);
	case NODE_T_LEFT:
		return mesh_leave_on_left(node_swim(m->node), msg->from->pk, msg->pt, msg->len, now);
	case NODE_T_ADMIN:
		if ((rc = mesh_admin_on_grant(&ae, msg->from->pk, msg->pt, msg->len)) < 0)
			fprintf(stderr, "meshnode: a grant was refused: %s\n", mn_strerror(rc));
		else
			fprintf(stderr, "meshnode: this node is an admin now (%s)\n",
				MESH_ADMIN_KEY_FILE);
		return rc;
	case NODE_T_ADMIN_ACK:
		mesh_admin_on_ack(&ae, msg->from->pk, msg->pt, msg->len);
		return MN_OK;
	default:
		return MN_EPROTO;
	}
}

static void on_leave_timer(uv_timer_t *h)
{
	struct mesh *m = h->data;

	fprintf(stderr, "meshnode: left the network, shutting down\n");
	mesh_stop(m, 0);
}

static void req_leave(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	struct mesh_kick_env e = kick_env(m);
	struct rec_key root;
	char path[MESH_PATH_MAX];
	int rc;

	if ((argc == 1 || strcmp(argv[1], "force")) &&
	    mesh_state_read_root_key(m->opts.dir, &root) == MN_OK) {
		rec_key_wipe(&root);
		mesh_state_path(path, sizeof(path), m->opts.dir, MESH_ROOT_KEY_FILE);
		control_reply_error(r, "this node holds the network's root key (%s): without it "
				    "nobody can invite or kick; back it up (meshnode backup-root) "
				    "and restore it on another member first, or leave with --force",
				    path);
		return;
	}
	if (argc == 2 && strcmp(argv[1], "force")) {
		control_reply_error(r, "leave: unknown argument %s", argv[1]);
		return;
	}
	if ((rc = mesh_leave(&e.look, m->node, &m->key, driver_now())) < 0) {
		control_reply_error(r, "leave: %s", mn_strerror(rc));
		return;
	}
	swim_persist_commit(m->sp);
	driver_kick(m->drv);
	uv_timer_start(&m->leave_timer, on_leave_timer, MESH_LEAVE_LINGER_MS, 0);
}

static void req_down(struct mesh *m, int argc, char **argv, struct control_reply *r)
{
	(void)argc;
	(void)argv;
	(void)r;
	fprintf(stderr, "meshnode: stop requested (meshnode down), shutting down\n");
	mesh_stop(m, 0);
}

/* The requests: word, words allowed with it (min, max), handler. invite,
 * join, ping and kick come here next. */
static const struct {
	const char *word;
	int min_args, max_args;
	void (*fn)(struct mesh *m, int argc, char **argv, struct control_reply *r);
} requests[] = {
	{ "status", 1, 2, req_status },
	{ "peer", 2, 2, req_peer },
	{ "down", 1, 1, req_down },
	{ "invite", 2, 5, req_invite },
	{ "kick", 3, 3, req_kick },
	{ "leave", 1, 2, req_leave },
	{ "admin", 3, 3, req_admin },
};

static void on_control(void *ctx, int argc, char **argv, struct control_reply *r)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (strcmp(argv[0], requests[i].word))
			continue;
		if (argc < requests[i].min_args || argc > requests[i].max_args)
			control_reply_error(r, "%s: wrong number of arguments", argv[0]);
		else
			requests[i].fn(ctx, argc, argv, r);
		return;
	}
	control_reply_error(r, "unknown request %s", argv[0]);
}

/* ---- start ---- */

static int restore_record(void *ctx, const uint8_t *pk, size_t pklen, const uint8_t *rec,
			  size_t len)
{
	struct mesh *m = ctx;
	struct mn_addr addr;
	bool has_addr;
	int rc;

	if (pklen != REC_PK_LEN || !memcmp(pk, m->meta.node_pk, REC_PK_LEN))
		return 0;
	/* its last known good address: reached at once, not after gossip */
	has_addr = mesh_path_get(swim_persist_store(m->sp), pk, &addr) == MN_OK;
	rc = swim_restore(node_swim(m->node), rec, len, has_addr ? &addr : NULL, driver_now());
	if (rc == MN_OK && has_addr && m->n_members &&
	    !memcmp(m->members[m->n_members - 1], pk, REC_PK_LEN))
		m->saved[m->n_members - 1] = addr;
	if (rc < 0 && rc != MN_EEXIST && rc != MN_ENOENT) /* ENOENT: kept for its admitter */
		fprintf(stderr, "meshnode: a stored record was refused: %s\n", mn_strerror(rc));
	return 0;
}

/* Every stored record, in passes. The store comes in key order, so a
 * member-admitted record may come before its admitter: swim keeps it as
 * an orphan until the admitter comes, but only SWIM_ORPHANS_MAX of them,
 * evicting the oldest (a member that admitted 1,000 others, in a store
 * where half of them sort before it, would lose hundreds). Another pass
 * offers the evicted ones again (the held ones are found by their bytes,
 * not verified again), as long as a pass evicts and adds members: at most
 * one pass per record, in practice one per link of the longest chain that
 * overflowed the pool. */
static int restore_records(struct mesh *m)
{
	struct swim *s = node_swim(m->node);
	uint64_t evicted;
	uint32_t held;
	int rc;

	do {
		evicted = swim_stat(s, SWIM_STAT_ORPHANS_EVICTED);
		held = m->n_members;
		rc = swim_persist_foreach_record(m->sp, restore_record, m);
	} while (rc == MN_OK && swim_stat(s, SWIM_STAT_ORPHANS_EVICTED) != evicted &&
		 m->n_members > held);
	return rc;
}

/* A newcomer's first start knows its admitter and the members the link
 * named, with their records: our HELLO to the admitter goes first so that
 * the join sync's push-pull opens there (after a restart the admitter
 * knows us and drops it: one datagram), then the announcement to every
 * member as the sync brings them in (swim_announce). Every start runs the
 * join sync at once. */
static void introduce(struct mesh *m)
{
	struct swim_member_info mi;

	if (swim_member(node_swim(m->node), m->meta.node_pk, &mi) == MN_OK && mi.rec &&
	    mi.rec->admitter_kind == REC_BY_MEMBER)
		swim_introduce(node_swim(m->node), mi.rec->admitter_pk, driver_now());
	if (m->first_start)
		swim_announce(node_swim(m->node), driver_now());
	swim_sync_soon(node_swim(m->node)); /* a restart catches up at once */
}

/* The store into the node: identity, own record, then tombstones and
 * records (swim_persist.h "Restore"). */
static int start_node(struct mesh *m)
{
	struct swim_persist_hooks hooks = { .ctx = m, .fail = on_store_fail };
	struct swim_persist_tombs tombs = { 0 };
	struct node_config cfg;
	uint8_t self[REC_MEMBER_MAX];
	size_t self_len;
	uint32_t inc, boot;
	bool inc_lost;
	int rc;

	if ((rc = swim_persist_open(&m->sp, m->opts.dir, 0, 0, false, &hooks)) < 0)
		return rc;
	if ((rc = mesh_meta_get(swim_persist_store(m->sp), &m->meta)) < 0) {
		fprintf(stderr, "meshnode: %s: %s\n", m->opts.dir,
			rc == MN_ENOENT ? "not initialized (meshnode init)" : mn_strerror(rc));
		return rc;
	}
	if ((rc = rec_network_init(&m->net, m->meta.root_pk, &m->meta.v4)) < 0 ||
	    (rc = swim_persist_load_meta(m->sp, m->meta.node_pk, &m->key, &inc, &inc_lost,
					 &boot)) < 0 ||
	    (rc = swim_persist_load_self(m->sp, m->meta.node_pk, self, sizeof(self),
					 &self_len)) < 0) {
		fprintf(stderr, "meshnode: %s: the store does not hold this node's identity and "
			"record: %s\n", m->opts.dir, mn_strerror(rc));
		return rc;
	}
	if (!(m->memo_slots = calloc(MESH_MEMO_SLOTS, sizeof(*m->memo_slots))))
		return MN_ENOMEM;
	rec_memo_init(&m->memo, m->memo_slots, MESH_MEMO_SLOTS);
	memset(&cfg, 0, sizeof(cfg));
	mesh_state_params(&cfg.swim.params);
	cfg.swim.net = &m->net;
	cfg.swim.key = &m->key;
	cfg.swim.record = self;
	cfg.swim.record_len = self_len;
	cfg.swim.incarnation = inc;
	cfg.swim.incarnation_lost = inc_lost;
	cfg.swim.boot = boot;
	/* init and join run swim once to write the store (mesh_state.c,
	 * state_create): boot 1 */
	m->first_start = boot <= 1;
	m->rng = os_rng();
	cfg.swim.rng = m->rng;
	cfg.swim.memo = &m->memo;
	cfg.swim.event = on_swim_event;
	cfg.swim.event_ctx = m;
	cfg.action = on_action;
	cfg.action_ctx = m;
	cfg.unsealed = on_unsealed;
	cfg.control = on_node_msg;
	cfg.hook_ctx = m;
	if ((rc = node_new(&m->node, &cfg, driver_now())) < 0) {
		fprintf(stderr, "meshnode: cannot start the node: %s\n", mn_strerror(rc));
		return rc;
	}
	swim_persist_commit(m->sp); /* the boot number, before any datagram leaves */
	swim_persist_restoring(m->sp, true);
	if ((rc = swim_persist_read_tombs(m->sp, &tombs)) == MN_OK) {
		swim_persist_restore_tombs(node_swim(m->node), &tombs, driver_now());
		rc = restore_records(m);
	}
	swim_persist_tombs_free(&tombs);
	swim_persist_restoring(m->sp, false);
	swim_persist_commit(m->sp);
	if (rc == MN_OK && (rc = swim_persist_failed(m->sp)) == MN_OK) {
		struct mn_addr own[2];
		uint32_t n = mesh_own_endpoints(m->meta.iface, m->meta.port, own);

		/* where we are: a move's announcement says we were here */
		if (n)
			swim_set_local_addrs(node_swim(m->node), own, n, false, driver_now());
		introduce(m);
		rc = mesh_admit_init(&m->admit, &(struct mesh_admit_cfg){
			.net = &m->net, .key = &m->key, .swim = node_swim(m->node),
			.store = swim_persist_store(m->sp), .memo = &m->memo, .rng = &m->rng,
			.members = &m->members, .n_members = &m->n_members,
		});
		m->admit_ready = rc == MN_OK;
		if (rc < 0)
			fprintf(stderr, "meshnode: cannot start the join admitter: %s\n",
				mn_strerror(rc));
	}
	return rc;
}

static int start_io(struct mesh *m)
{
	struct driver_opts dopts;
	struct uapi_host host;
	char sock[MESH_SOCK_PATH_MAX];
	int rc;

	if ((rc = driver_node_init(&m->core, m->node)) < 0)
		return rc;
	memset(&dopts, 0, sizeof(dopts));
	dopts.ifname = m->meta.iface;
	dopts.mtu = node_mtu(m->node);
	dopts.listen_port = m->meta.port;
	dopts.addresses = m->addrs;
	dopts.n_addresses = m->n_addrs;
	dopts.no_routes = true; /* the node's route actions make them */
	dopts.on_dead = on_tun_dead;
	dopts.on_addrs_changed = on_addrs_changed;
	dopts.ctx = m;
	dopts.core = &driver_node_calls;
	dopts.core_ctx = &m->core;
	if ((rc = driver_new(&m->drv, &m->loop, node_wg(m->node), &dopts)) < 0) {
		fprintf(stderr, "meshnode: %s: cannot set up the interface on port %u: %s\n",
			m->meta.iface, (unsigned)m->meta.port, mn_strerror(rc));
		return rc;
	}
	driver_uapi_host(m->drv, &host);
	if ((rc = uapi_server_new(&m->uapi, &m->loop, m->meta.iface, node_wg(m->node), &host,
				  on_uapi_request, m)) < 0) {
		fprintf(stderr, "meshnode: %s: cannot serve the UAPI socket: %s\n", m->meta.iface,
			rc == MN_EBUSY ? "another process serves it" : strerror(errno));
		return rc;
	}
	mesh_state_sock_path(sock, m->opts.dir);
	if ((rc = control_server_new(&m->ctl, &m->loop, sock, on_control, m)) < 0) {
		fprintf(stderr, "meshnode: %s: %s\n", sock,
			rc == MN_EBUSY ? "another daemon answers there" : strerror(errno));
		return rc;
	}
	uv_signal_init(&m->loop, &m->sigint);
	uv_signal_init(&m->loop, &m->sigterm);
	uv_signal_init(&m->loop, &m->sigusr1);
	uv_check_init(&m->loop, &m->check);
	uv_timer_init(&m->loop, &m->path_timer);
	uv_timer_init(&m->loop, &m->leave_timer);
	uv_timer_init(&m->loop, &m->move_timer);
	m->sigint.data = m->sigterm.data = m->sigusr1.data = m;
	m->check.data = m->path_timer.data = m->leave_timer.data = m->move_timer.data = m;
	m->handles_init = true;
	uv_signal_start(&m->sigint, on_signal, SIGINT);
	uv_signal_start(&m->sigterm, on_signal, SIGTERM);
	uv_signal_start(&m->sigusr1, on_signal, SIGUSR1);
	uv_check_start(&m->check, on_check);
	uv_timer_start(&m->path_timer, on_path_timer, MESH_PATH_SAVE_MS, MESH_PATH_SAVE_MS);
	/* the routes of members restored before the interface existed */
	for (uint32_t i = 0; i < m->n_members; i++) {
		struct node_peer_info pi;

		if (node_peer(m->node, m->members[i], &pi) == MN_OK)
			for (uint32_t j = 0; j < pi.nprefixes; j++)
				driver_route(m->drv, true, &pi.prefixes[j]);
	}
	driver_kick(m->drv);
	return MN_OK;
}

int mesh_run(const struct mesh_opts *opts)
{
	struct mesh *m = calloc(1, sizeof(*m));
	int rc, code;

	if (!m) {
		fprintf(stderr, "meshnode: out of memory\n");
		return 1;
	}
	m->opts = *opts;
	m->exit_code = 1;
	if ((rc = uv_loop_init(&m->loop)) < 0) {
		fprintf(stderr, "meshnode: uv_loop_init: %s\n", uv_strerror(rc));
		free(m);
		return 1;
	}
	if ((rc = start_node(m)) == MN_OK && !m->stopping && (rc = start_io(m)) == MN_OK &&
	    !m->stopping) {
		fprintf(stderr, "meshnode: %s up: network %s, UDP port %u\n", m->meta.iface,
			m->meta.network, (unsigned)driver_listen_port(m->drv));
		m->exit_code = 0;
		if (m->opts.on_ready)
			m->opts.on_ready(m->opts.ctx);
		uv_run(&m->loop, UV_RUN_DEFAULT);
	}
	if (!m->stopping)
		mesh_stop(m, 1);
	close_handles(m); /* what start_io made after a stop during the start */
	uv_run(&m->loop, UV_RUN_DEFAULT); /* let closing handles finish */
	if (m->why)
		fprintf(stderr, "meshnode: stopped: %s\n", m->why);
	if (uv_loop_close(&m->loop) < 0)
		fprintf(stderr, "meshnode: warning: event loop closed with open handles\n");
	swim_persist_commit(m->sp);
	code = m->exit_code;
	if (m->admit_ready)
		mesh_admit_free(&m->admit);
	node_del(m->node);
	driver_node_free(&m->core);
	swim_persist_close(m->sp);
	rec_key_wipe(&m->key);
	sodium_memzero(&m->admin_sent, sizeof(m->admin_sent));
	free(m->memo_slots);
	free(m->members);
	free(m->saved);
	free(m);
	return code;
}
