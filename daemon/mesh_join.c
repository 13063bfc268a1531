/* mesh_join.c - `meshnode join` before the daemon (mesh_join.h). */
#include "mesh_join.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver.h"
#include "invite_link.h"
#include "join.h"
#include "mesh_meta.h"
#include "mn_err.h"
#include "os_rng.h"
#include "store.h"
#include "udp.h"

/* MN_OK when dir may take this network's membership: no store yet.
 * Opens nothing (and creates nothing) where no store exists. */
static int check_dir(const char *dir, const struct invite_link *l, char *why)
{
	char data[MESH_PATH_MAX];
	struct mesh_meta meta;
	struct store *st;
	int rc;

	if (mesh_state_path(data, sizeof(data), dir, MESH_STORE_FILE) < 0) {
		snprintf(why, MESH_WHY_MAX, "state directory path too long");
		return MN_EMSGSIZE;
	}
	if (access(data, F_OK) != 0)
		return MN_OK;
	if ((rc = store_open_lmdb(&st, dir, 0)) < 0) {
		snprintf(why, MESH_WHY_MAX, "%s: cannot open the store: %s", dir, mn_strerror(rc));
		return rc;
	}
	rc = mesh_meta_get(st, &meta);
	store_close(st);
	if (rc == MN_ENOENT)
		return MN_OK; /* a store without a network: mesh_state_join judges it */
	if (rc < 0) {
		snprintf(why, MESH_WHY_MAX, "%s: %s", dir, mn_strerror(rc));
		return rc;
	}
	if (memcmp(meta.root_pk, l->root_pk, REC_PK_LEN))
		snprintf(why, MESH_WHY_MAX, "%s belongs to network %s; the link is for another "
			 "network (%s)", dir, meta.network, l->network);
	else
		snprintf(why, MESH_WHY_MAX, "%s is already a member of network %s", dir,
			 meta.network);
	return MN_EEXIST;
}

static uint64_t wall_ms(void)
{
	return (uint64_t)driver_now().wall / MN_NS_PER_MS;
}

/* The protocol on the two sockets until it ends. */
static void run(struct join *j, int fd4, int fd6)
{
	uint8_t buf[JOIN_DGRAM_MAX + 1];
	struct pollfd p[2] = { { .fd = fd4, .events = POLLIN }, { .fd = fd6, .events = POLLIN } };

	for (;;) {
		struct mn_addr to, from;
		mn_ns now = driver_now().mono, d;
		size_t len;

		while (join_poll_tx(j, &to, buf, sizeof(buf), &len)) {
			int fd = to.sa.sa_family == AF_INET ? fd4 : fd6;

			if (fd >= 0)
				sendto(fd, buf, len, 0, &to.sa, mn_addr_socklen(&to));
		}
		d = join_next_deadline(j);
		if (d == MN_NEVER)
			return;
		now = driver_now().mono;
		if (mn_time_after_eq(now, d)) {
			join_on_timer(j, now);
			continue;
		}
		int wait_ms = (int)((d - now) / MN_NS_PER_MS) + 1;
		if (poll(p, 2, wait_ms) <= 0)
			continue;
		for (int k = 0; k < 2; k++) {
			socklen_t sl = sizeof(from);
			ssize_t n;

			if (p[k].fd < 0 || !(p[k].revents & POLLIN))
				continue;
			memset(&from, 0, sizeof(from));
			n = recvfrom(p[k].fd, buf, sizeof(buf), MSG_DONTWAIT, &from.sa, &sl);
			if (n > 0 && (size_t)n <= JOIN_DGRAM_MAX) {
				mn_addr_unmap(&from);
				join_recv(j, &from, buf, (size_t)n, driver_now().mono);
			}
		}
	}
}

/* Our record: the link's invite, the admission, our name; signed. */
static int sign_record(const struct rec_network *net, const struct join *j,
		       const struct rec_key *node, uint8_t *buf, size_t cap, size_t *len)
{
	struct rec_member m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.invite = j->invite;
	m.adm = j->adm;
	m.version = rec_next_version(0, wall_ms());
	snprintf(m.name, sizeof(m.name), "%s", j->name);
	m.name_len = (uint8_t)strlen(m.name);
	if ((rc = rec_member_sign(net, node, &m)) < 0)
		return rc;
	return rec_member_encode(&m, buf, cap, len);
}

/* Admitted: the state directory. */
static int store_joined(const struct mesh_join_in *in, const struct invite_link *l,
			const struct rec_network *net, const struct join *j,
			const struct rec_key *node, struct mesh_join_out *out, char *why)
{
	uint8_t rec[REC_MEMBER_MAX], adm_rec[REC_MEMBER_MAX];
	size_t rec_len, adm_len;
	struct mesh_init mi;
	int rc;

	if ((rc = sign_record(net, j, node, rec, sizeof(rec), &rec_len)) < 0 ||
	    (rc = rec_member_encode(&j->admitter, adm_rec, sizeof(adm_rec), &adm_len)) < 0) {
		snprintf(why, MESH_WHY_MAX, "admitted, but our record cannot be signed: %s",
			 mn_strerror(rc));
		return rc;
	}
	memset(&mi, 0, sizeof(mi));
	mi.dir = in->dir;
	mi.network = l->network;
	mi.iface = in->iface;
	mi.port = in->port;
	mi.v4 = l->v4;
	rc = mesh_state_join(&mi, &(struct mesh_state_joined){
		.net = net, .node = node, .rec = rec, .rec_len = rec_len, .admitter = adm_rec,
		.admitter_len = adm_len, .admitter_pk = j->admitter.adm.node_pk,
		.admitter_at = &j->admitted_by }, why);
	if (rc < 0)
		return rc;
	snprintf(out->name, sizeof(out->name), "%s", j->name);
	snprintf(out->network, sizeof(out->network), "%s", l->network);
	snprintf(out->admitted_by, sizeof(out->admitted_by), "%s", j->admitter.name);
	memcpy(out->ipv4, j->adm.ipv4, 4);
	rec_ipv6(net, node->pk, out->ipv6);
	return MN_OK;
}

int mesh_join(const struct mesh_join_in *in, struct mesh_join_out *out, char why[MESH_WHY_MAX])
{
	struct mn_rng rng = os_rng();
	struct invite_link l;
	struct rec_network net;
	struct rec_key node;
	struct join j;
	char name[REC_NAME_MAX + 1] = "", host[REC_NAME_MAX + 2] = "";
	int fd4 = -1, fd6 = -1, rc;
	uint16_t bound;

	why[0] = 0;
	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	rec_key_generate(&node, &rng);
	if ((rc = invite_link_decode(&l, in->link)) < 0) {
		snprintf(why, MESH_WHY_MAX, "not a valid invite link (%s)",
			 rc == MN_ESYNTAX ? "not of the form mn1.NETWORK.CODE" :
			 rc == MN_EPROTO ? "its checksum or content is wrong: a character "
					   "changed or missing?" : "truncated");
		goto out;
	}
	if ((rc = check_dir(in->dir, &l, why)) < 0)
		goto out;
	if ((rc = invite_link_network(&l, &net)) < 0 ||
	    (rc = rec_invite_verify(&net, &l.invite, NULL, NULL)) < 0) {
		snprintf(why, MESH_WHY_MAX, "the link's invite does not verify for network %s",
			 l.network);
		goto out;
	}
	if (l.invite.expires_ms + REC_SKEW_MS < wall_ms()) {
		rc = MN_EEXPIRED;
		snprintf(why, MESH_WHY_MAX, "the invite has expired");
		goto out;
	}
	if (in->name) {
		snprintf(name, sizeof(name), "%s", in->name);
	} else {
		gethostname(host, sizeof(host) - 1);
		mesh_state_default_name(name, host);
	}
	if ((rc = join_start(&j, &l, node.pk, name, driver_now().mono,
			     (mn_ns)in->timeout_ms * MN_NS_PER_MS, &rng)) < 0) {
		snprintf(why, MESH_WHY_MAX, "cannot start: %s",
			 l.nmembers ? mn_strerror(rc) : "the link lists no member");
		goto out;
	}
	if ((rc = udp_open_pair(in->port, 0, &fd4, &fd6, &bound)) < 0) {
		snprintf(why, MESH_WHY_MAX, "UDP port %u: %s", (unsigned)in->port,
			 rc == MN_EBUSY ? "in use (is a daemon running?)" : strerror(errno));
		goto out;
	}
	run(&j, fd4, fd6);
	if (j.state == JOIN_DONE) {
		rc = store_joined(in, &l, &net, &j, &node, out, why);
	} else if (j.state == JOIN_REFUSED) {
		rc = MN_EINVAL;
		snprintf(why, MESH_WHY_MAX, "refused: %s", join_reason_str(j.reason));
	} else {
		rc = MN_EBUSY;
		snprintf(why, MESH_WHY_MAX, "no member answered within %d s%s%s",
			 in->timeout_ms / 1000, j.reason ? "; the last said: " : "",
			 j.reason ? join_reason_str(j.reason) : "");
	}
out:
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	invite_link_wipe(&l);
	rec_key_wipe(&node);
	memset(&j, 0, sizeof(j));
	return rc;
}
