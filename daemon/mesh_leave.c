/* mesh_leave.c - leaving the network (mesh_leave.h). */
#include "mesh_leave.h"

#include <string.h>

#include "mn_err.h"

int mesh_leave(const struct mesh_lookup *look, struct node *node, const struct rec_key *key,
	       struct mn_time now)
{
	struct swim_member_info mi;
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX];
	const uint8_t *pk;
	size_t len;
	int rc;

	if ((rc = swim_member(look->swim, look->self_pk, &mi)) < 0 ||
	    (rc = rec_member_decode(&m, mi.rec->bytes, mi.rec->len)) < 0)
		return rc;
	m.flags |= REC_MEM_LEFT;
	m.version = rec_next_version(m.version, (uint64_t)now.wall / MN_NS_PER_MS);
	if ((rc = rec_member_sign(look->net, key, &m)) < 0 ||
	    (rc = rec_member_encode(&m, buf, sizeof(buf), &len)) < 0 ||
	    (rc = swim_publish(look->swim, buf, len, now)) < 0)
		return rc;
	for (uint32_t k = 1; (pk = mesh_lookup_pk(look, k)); k++)
		if (swim_member(look->swim, pk, &mi) == MN_OK && mi.state != SWIM_DEAD)
			node_send_control(node, pk, NODE_T_LEFT, buf, len);
	return MN_OK;
}

int mesh_leave_on_left(struct swim *swim, const uint8_t from_pk[REC_PK_LEN], const uint8_t *pt,
		       size_t len, struct mn_time now)
{
	struct rec_member m;
	int rc;

	if ((rc = rec_member_decode(&m, pt, len)) < 0)
		return rc;
	if (!(m.flags & REC_MEM_LEFT) || memcmp(m.adm.node_pk, from_pk, REC_PK_LEN))
		return MN_EPROTO;
	rc = swim_learn(swim, pt, len, NULL, now);
	return rc == MN_EEXIST ? MN_OK : rc;
}
