/* mesh_admin.c - admins (mesh_admin.h). */
#include "mesh_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mesh_root.h"
#include "mesh_state.h"
#include "mn_err.h"

/* DIR/admin.key: the message as it came (grant, seed), hex, one line. */
enum { ADMIN_FILE_LEN = 2 * MESH_ADMIN_MSG_LEN + 1 };

static int admin_path(const char *dir, char *path, size_t cap, const char *suffix)
{
	char file[64];

	snprintf(file, sizeof(file), "%s%s", MESH_ADMIN_KEY_FILE, suffix);
	return mesh_state_path(path, cap, dir, file);
}

/* Decode and check msg: a grant by this network's root for the seed's key. */
static int parse(const struct rec_network *net, const uint8_t *msg, size_t len,
		 struct rec_grant *g, struct rec_key *key)
{
	int rc;

	if (len != MESH_ADMIN_MSG_LEN)
		return MN_EPROTO;
	if ((rc = rec_grant_decode(g, msg, REC_GRANT_LEN)) < 0 ||
	    (rc = rec_grant_verify(net, g, NULL, NULL)) < 0)
		return rc;
	rec_key_from_seed(key, msg + REC_GRANT_LEN);
	if (memcmp(key->pk, g->admin_pk, REC_PK_LEN)) {
		rec_key_wipe(key);
		return MN_EAUTH;
	}
	return MN_OK;
}

int mesh_admin_key(const char *dir, const struct rec_network *net, struct rec_key *key,
		   struct rec_grant *grant)
{
	char path[MESH_PATH_MAX], hex[ADMIN_FILE_LEN + 1];
	uint8_t msg[MESH_ADMIN_MSG_LEN];
	size_t len;
	ssize_t n;
	int fd, rc;

	if (admin_path(dir, path, sizeof(path), "") < 0)
		return MN_EMSGSIZE;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MN_ENOENT : MN_EIO;
	n = read(fd, hex, sizeof(hex) - 1);
	close(fd);
	rc = MN_EPROTO;
	if (n >= ADMIN_FILE_LEN - 1) {
		hex[ADMIN_FILE_LEN - 1] = 0;
		if (sodium_hex2bin(msg, sizeof(msg), hex, ADMIN_FILE_LEN - 1, NULL, &len, NULL) ==
			    0 && len == sizeof(msg))
			rc = parse(net, msg, sizeof(msg), grant, key);
	}
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(msg, sizeof(msg));
	return rc;
}

/* DIR/admin.key written whole (a temporary file, then renamed), 0600. */
static int store_msg(const char *dir, const uint8_t *msg)
{
	char path[MESH_PATH_MAX], tmp[MESH_PATH_MAX], hex[ADMIN_FILE_LEN + 1];
	int fd, rc = MN_OK;

	if (admin_path(dir, path, sizeof(path), "") < 0 ||
	    admin_path(dir, tmp, sizeof(tmp), ".tmp") < 0)
		return MN_EMSGSIZE;
	sodium_bin2hex(hex, sizeof(hex), msg, MESH_ADMIN_MSG_LEN);
	hex[ADMIN_FILE_LEN - 1] = '\n';
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		rc = MN_EIO;
	} else {
		if (write(fd, hex, ADMIN_FILE_LEN) != ADMIN_FILE_LEN || fsync(fd) != 0)
			rc = MN_EIO;
		close(fd);
		if (rc == MN_OK && rename(tmp, path) != 0)
			rc = MN_EIO;
		if (rc < 0)
			unlink(tmp);
	}
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

/* ---- the root's side ---- */

static void req_add(const struct mesh_admin_env *e, const uint8_t member[REC_PK_LEN],
		    struct control_reply *r)
{
	struct rec_key root, admin;
	struct rec_grant g;
	char id[17];
	int rc;

	if (mesh_root_key(e->dir, e->look.net, &root, r) < 0)
		return;
	rec_key_generate(&admin, e->rng);
	memset(&g, 0, sizeof(g));
	g.rights = REC_RIGHT_INVITE | REC_RIGHT_REVOKE;
	memcpy(g.admin_pk, admin.pk, REC_PK_LEN);
	g.not_after_ms = UINT64_MAX;
	size_t len;
	if ((rc = rec_grant_sign(e->look.net, &root, &g)) < 0 ||
	    (rc = rec_grant_encode(&g, e->sent->msg, REC_GRANT_LEN, &len)) < 0) {
		control_reply_error(r, "admin: cannot sign the grant: %s", mn_strerror(rc));
		goto out;
	}
	crypto_sign_ed25519_sk_to_seed(e->sent->msg + REC_GRANT_LEN, admin.sk);
	memcpy(e->sent->member, member, REC_PK_LEN);
	memcpy(e->sent->admin_pk, admin.pk, REC_PK_LEN);
	e->sent->valid = true;
	e->sent->acked = false;
	if ((rc = node_send_control(e->node, member, NODE_T_ADMIN, e->sent->msg,
				    MESH_ADMIN_MSG_LEN)) < 0) {
		control_reply_error(r, "admin: cannot send the grant: %s", mn_strerror(rc));
		goto out;
	}
	sodium_bin2hex(id, sizeof(id), admin.pk, 8);
	control_reply_printf(r, "%s\n", id);
out:
	rec_key_wipe(&admin);
	rec_key_wipe(&root);
}

static void req_check(const struct mesh_admin_env *e, const uint8_t member[REC_PK_LEN],
		      struct control_reply *r)
{
	if (!e->sent->valid || memcmp(e->sent->member, member, REC_PK_LEN)) {
		control_reply_error(r, "admin: no grant sent to that member");
		return;
	}
	if (!e->sent->acked)
		node_send_control(e->node, member, NODE_T_ADMIN, e->sent->msg, MESH_ADMIN_MSG_LEN);
	control_reply_printf(r, "%s\n", e->sent->acked ? "acked" : "pending");
}

void mesh_admin_request(const struct mesh_admin_env *e, int argc, char **argv,
			struct control_reply *r)
{
	uint8_t member[REC_PK_LEN];

	if (argc != 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "check"))) {
		control_reply_error(r, "admin: add|check NODE");
		return;
	}
	if (mesh_lookup_find(&e->look, argv[2], member) < 0) {
		control_reply_error(r, "no member %s", argv[2]);
		return;
	}
	if (!memcmp(member, e->look.self_pk, REC_PK_LEN)) {
		control_reply_error(r, "admin: this node holds the root key already");
		return;
	}
	if (!strcmp(argv[1], "add"))
		req_add(e, member, r);
	else
		req_check(e, member, r);
}

void mesh_admin_on_ack(const struct mesh_admin_env *e, const uint8_t from_pk[REC_PK_LEN],
		       const uint8_t *pt, size_t len)
{
	if (e->sent->valid && !memcmp(e->sent->member, from_pk, REC_PK_LEN) &&
	    len == REC_PK_LEN && !memcmp(pt, e->sent->admin_pk, REC_PK_LEN)) {
		e->sent->acked = true;
		sodium_memzero(e->sent->msg, sizeof(e->sent->msg)); /* delivered */
	}
}

/* ---- the member's side ---- */

int mesh_admin_on_grant(const struct mesh_admin_env *e, const uint8_t from_pk[REC_PK_LEN],
			const uint8_t *pt, size_t len)
{
	struct rec_grant g;
	struct rec_key key;
	int rc;

	(void)from_pk;
	if ((rc = parse(e->look.net, pt, len, &g, &key)) < 0)
		return rc;
	rec_key_wipe(&key);
	if ((rc = store_msg(e->dir, pt)) < 0)
		return rc;
	return node_send_control(e->node, from_pk, NODE_T_ADMIN_ACK, g.admin_pk, REC_PK_LEN);
}
