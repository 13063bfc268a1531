/* mesh_root.c - the root key in the daemon (mesh_root.h). */
#include "mesh_root.h"

#include <string.h>

#include "mesh_state.h"
#include "mn_err.h"

int mesh_root_key(const char *dir, const struct rec_network *net, struct rec_key *root,
		  struct control_reply *r)
{
	int rc = mesh_state_read_root_key(dir, root);

	if (rc == MN_OK && memcmp(root->pk, net->root_pk, REC_PK_LEN)) {
		rec_key_wipe(root);
		rc = MN_EAUTH;
	}
	if (rc == MN_ENOENT)
		control_reply_error(r, "only the root may do this: this node does not hold the "
				    "root key (%s is on the node that ran init)", MESH_ROOT_KEY_FILE);
	else if (rc < 0)
		control_reply_error(r, "%s: %s", MESH_ROOT_KEY_FILE,
				    rc == MN_EAUTH ? "not this network's root key" : mn_strerror(rc));
	return rc;
}

int mesh_root_tomb(const char *dir, const struct rec_network *net,
		   const uint8_t target[REC_PK_LEN], struct mn_time now, uint8_t *buf, size_t *len,
		   struct control_reply *r)
{
	struct rec_revoke t;
	struct rec_key root;
	int rc;

	if ((rc = mesh_root_key(dir, net, &root, r)) < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	t.signer = REC_BY_ROOT;
	memcpy(t.target_pk, target, REC_PK_LEN);
	t.revoked_ms = (uint64_t)now.wall / MN_NS_PER_MS;
	if ((rc = rec_revoke_sign(net, &root, &t)) < 0 ||
	    (rc = rec_revoke_encode(&t, buf, REC_REVOKE_MAX, len)) < 0)
		control_reply_error(r, "cannot sign the revocation: %s", mn_strerror(rc));
	rec_key_wipe(&root);
	return rc;
}

int mesh_root_revoke(const char *dir, const struct rec_network *net, struct swim *swim,
		     const uint8_t target[REC_PK_LEN], struct mn_time now, struct control_reply *r)
{
	uint8_t buf[REC_REVOKE_MAX];
	size_t len;
	int rc;

	if ((rc = mesh_root_tomb(dir, net, target, now, buf, &len, r)) < 0)
		return rc;
	if ((rc = swim_revoke(swim, buf, len, now)) < 0 && rc != MN_EEXIST) {
		control_reply_error(r, "cannot revoke: %s", mn_strerror(rc));
		return rc;
	}
	return MN_OK;
}
