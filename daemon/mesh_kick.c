/* mesh_kick.c - kick, and re-anchoring a join (mesh_kick.h). */
#include "mesh_kick.h"

#include <string.h>

#include "mesh_root.h"
#include "mn_err.h"

static const char *liveness(enum swim_state st)
{
	return st == SWIM_ALIVE ? "alive" : st == SWIM_SUSPECT ? "suspect" : "dead";
}

/* The root's re-admission of member child (its record decoded in *cm),
 * sent to it. */
static int readmit(const struct mesh_kick_env *e, const struct rec_key *root,
		   const struct rec_member *cm)
{
	struct rec_admission adm;
	uint8_t buf[REC_ADMISSION_LEN];
	size_t len;
	int rc;

	if ((rc = rec_admit(e->look.net, &cm->invite, root, REC_BY_ROOT, cm->adm.node_pk,
			    cm->adm.proof, cm->adm.ipv4, cm->adm.admitted_ms, NULL, e->memo,
			    &adm)) < 0 ||
	    (rc = rec_admission_encode(&adm, buf, sizeof(buf), &len)) < 0)
		return rc;
	return node_send_control(e->node, cm->adm.node_pk, NODE_T_READMIT, buf, len);
}

/* "plan" and "check": every member target admitted (whose record still
 * names it), a re-admission sent to each, a line each. */
static void children(const struct mesh_kick_env *e, const uint8_t target[REC_PK_LEN],
		     struct control_reply *r)
{
	struct rec_key root;
	const uint8_t *pk;

	if (mesh_root_key(e->dir, e->look.net, &root, r) < 0)
		return;
	for (uint32_t k = 1; (pk = mesh_lookup_pk(&e->look, k)); k++) {
		struct swim_member_info mi;
		struct swim_rec_info ri;
		struct rec_member cm;
		int rc;

		if (swim_member(e->look.swim, pk, &mi) != MN_OK || !mi.rec ||
		    mi.rec->admitter_kind != REC_BY_MEMBER ||
		    memcmp(mi.rec->admitter_pk, target, REC_PK_LEN) ||
		    rec_member_decode(&cm, mi.rec->bytes, mi.rec->len) != MN_OK ||
		    swim_rec_info(e->look.net, mi.rec, &ri) != MN_OK)
			continue;
		rc = readmit(e, &root, &cm);
		control_reply_printf(r, "%s %s%s%s\n", ri.name, liveness(mi.state),
				     rc < 0 ? " " : "", rc < 0 ? mn_strerror(rc) : "");
	}
	rec_key_wipe(&root);
}

/* The tombstone to the kicked member itself first (sealed, while it is
 * still a member here: the others drop it and will not tell it), then
 * into gossip. */
static void kick_revoke(const struct mesh_kick_env *e, const uint8_t target[REC_PK_LEN],
		   struct control_reply *r)
{
	uint8_t buf[REC_REVOKE_MAX];
	size_t len;
	int rc;

	if (mesh_root_tomb(e->dir, e->look.net, target, e->now, buf, &len, r) < 0)
		return;
	node_send_control(e->node, target, NODE_T_REVOKED, buf, len);
	if ((rc = swim_revoke(e->look.swim, buf, len, e->now)) < 0 && rc != MN_EEXIST)
		control_reply_error(r, "cannot revoke: %s", mn_strerror(rc));
}

void mesh_kick_request(const struct mesh_kick_env *e, int argc, char **argv,
		       struct control_reply *r)
{
	uint8_t target[REC_PK_LEN];

	if (argc != 3 || (strcmp(argv[1], "plan") && strcmp(argv[1], "check") &&
			  strcmp(argv[1], "revoke"))) {
		control_reply_error(r, "kick: plan|check|revoke NODE");
		return;
	}
	if (mesh_lookup_find(&e->look, argv[2], target) < 0) {
		control_reply_error(r, "no member %s", argv[2]);
		return;
	}
	if (!memcmp(target, e->look.self_pk, REC_PK_LEN)) {
		control_reply_error(r, "cannot kick this node itself (meshnode leave)");
		return;
	}
	if (!strcmp(argv[1], "revoke"))
		kick_revoke(e, target, r);
	else
		children(e, target, r);
}

int mesh_kick_on_revoked(const struct mesh_kick_env *e, const uint8_t *pt, size_t len)
{
	int rc = swim_revoke(e->look.swim, pt, len, e->now);

	return rc == MN_EEXIST ? MN_OK : rc;
}

int mesh_kick_on_readmit(const struct mesh_kick_env *e, const uint8_t *pt, size_t len)
{
	struct swim_member_info mi;
	struct rec_admission adm;
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX];
	size_t blen;
	int rc;

	if ((rc = rec_admission_decode(&adm, pt, len)) < 0)
		return rc;
	if ((rc = swim_member(e->look.swim, e->look.self_pk, &mi)) < 0 ||
	    (rc = rec_member_decode(&m, mi.rec->bytes, mi.rec->len)) < 0)
		return rc;
	if (!memcmp(m.adm.sig, adm.sig, REC_SIG_LEN))
		return MN_OK; /* carried already */
	if (!rec_admission_reanchors(&m.adm, &adm))
		return MN_EPROTO;
	if ((rc = rec_admission_verify(e->look.net, &m.invite, &adm, NULL, e->memo)) < 0)
		return rc;
	m.adm = adm;
	m.version = rec_next_version(m.version, (uint64_t)e->now.wall / MN_NS_PER_MS);
	if ((rc = rec_member_sign(e->look.net, e->key, &m)) < 0 ||
	    (rc = rec_member_encode(&m, buf, sizeof(buf), &blen)) < 0)
		return rc;
	return swim_publish(e->look.swim, buf, blen, e->now);
}
