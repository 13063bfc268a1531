/* mesh_admit.h - the daemon's side of the join protocol: the member
 * table a join admitter (node/join.h) asks, over swim's members and the
 * admissions this node signed whose records have not arrived yet.
 *
 * Admissions signed here are kept in the store (STORE_INVITES: node key ->
 * invite key, name, admission) the moment they are signed, so a restart
 * does not hand an invite's last use out twice, a replayed REQUEST gets
 * the same admission, and a name or an IPv4 given to a joiner whose record
 * has not spread yet is not given again. The value (big-endian, named
 * offsets in mesh_admit.c):
 *   format (1) | invite key (32) | name length (1) | name (REC_NAME_MAX,
 *   zero padded) | admission (REC_ADMISSION_LEN)
 *
 * What the admitter asks is answered by scans: over the members (the
 * daemon's list) and the pending admissions, at most MESH_ADMIT_PENDING of
 * them in memory (the oldest forgotten first; the store keeps them all).
 * Joins are rare; a scan of a few thousand members per REQUEST is cheap.
 */
#ifndef MESH_ADMIT_H
#define MESH_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "join.h"
#include "mn_addr.h"
#include "mn_time.h"
#include "record.h"
#include "store.h"
#include "swim.h"

enum mesh_admit_limits {
	MESH_ADMIT_PENDING = 1024,
	MESH_ADMIT_FORMAT = 1,
};

struct mesh_admit_pending {
	uint8_t invite_pk[REC_PK_LEN];
	char name[REC_NAME_MAX + 1];
	struct rec_admission adm;
};

struct mesh_admit {
	struct join_admitter adm;
	const struct rec_network *net;
	struct swim *swim;          /* borrowed */
	struct store *store;        /* borrowed */
	const uint8_t *self_pk;     /* borrowed: our node key */
	/* the members but us: the daemon's list, borrowed (it may move) */
	uint8_t (*const *members)[REC_PK_LEN];
	const uint32_t *n_members;
	uint8_t record[REC_MEMBER_MAX]; /* ours, sent with every ACCEPT */
	size_t record_len;
	struct mesh_admit_pending *pending;
	uint32_t n_pending;
	struct rec_revoked rv;
	uint64_t store_errors;      /* admissions that could not be stored */
};

struct mesh_admit_cfg {
	const struct rec_network *net;
	const struct rec_key *key;  /* our node key (we admit as a member) */
	struct swim *swim;
	struct store *store;
	struct rec_memo *memo;
	const struct mn_rng *rng;
	uint8_t (*const *members)[REC_PK_LEN];
	const uint32_t *n_members;
};

/* Our record from swim, the pending admissions from the store. MN_ENOMEM,
 * what join_admitter_init or the store returns. */
int mesh_admit_init(struct mesh_admit *a, const struct mesh_admit_cfg *cfg);
void mesh_admit_free(struct mesh_admit *a);

/* A control datagram: MN_ENOENT when it is not a join message (swim's);
 * else the admitter's result, with its reply (if any) in out[*outlen]
 * for `from`. cap >= JOIN_DGRAM_MAX. */
int mesh_admit_recv(struct mesh_admit *a, const struct mn_addr *from, const uint8_t *buf,
		    size_t len, struct mn_time now, uint8_t *out, size_t cap, size_t *outlen);

/* Admissions of invite_pk: members holding it and pending ones (for
 * `meshnode invite --list`). */
unsigned mesh_admit_uses(struct mesh_admit *a, const uint8_t invite_pk[REC_PK_LEN]);

#endif
