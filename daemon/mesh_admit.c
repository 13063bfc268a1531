/* mesh_admit.c - the daemon's join admitter table (mesh_admit.h). */
#include "mesh_admit.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

/* The STORE_INVITES value. */
enum admit_layout {
	ADMIT_O_FORMAT = 0,
	ADMIT_O_INVITE = 1,
	ADMIT_O_NAME_LEN = ADMIT_O_INVITE + REC_PK_LEN,
	ADMIT_O_NAME = ADMIT_O_NAME_LEN + 1,
	ADMIT_O_ADM = ADMIT_O_NAME + REC_NAME_MAX,
	ADMIT_LEN = ADMIT_O_ADM + REC_ADMISSION_LEN,
};

/* ---- members, as the admitter sees them ---- */

/* Member k: 0 is us, 1.. the daemon's list. NULL past the end. */
static const uint8_t *member_pk(const struct mesh_admit *a, uint32_t k)
{
	if (k == 0)
		return a->self_pk;
	return k - 1 < *a->n_members ? (*a->members)[k - 1] : NULL;
}

/* Member k's record decoded (MN_ENOENT when swim no longer holds it). */
static int member_rec(const struct mesh_admit *a, uint32_t k, struct swim_rec_info *ri,
		      const struct swim_rec **rec)
{
	struct swim_member_info mi;
	const uint8_t *pk = member_pk(a, k);

	if (!pk || swim_member(a->swim, pk, &mi) != MN_OK || !mi.rec ||
	    swim_rec_info(a->net, mi.rec, ri) != MN_OK)
		return MN_ENOENT;
	*rec = mi.rec;
	return MN_OK;
}

static bool is_member(const struct mesh_admit *a, const uint8_t pk[REC_PK_LEN])
{
	struct swim_member_info mi;

	return swim_member(a->swim, pk, &mi) == MN_OK;
}

/* ---- the ops ---- */

static int t_find(void *ctx, const uint8_t node_pk[REC_PK_LEN], struct rec_admission *out)
{
	struct mesh_admit *a = ctx;
	struct swim_member_info mi;
	struct rec_member dm;

	for (uint32_t i = 0; i < a->n_pending; i++) {
		if (!memcmp(a->pending[i].adm.node_pk, node_pk, REC_PK_LEN)) {
			*out = a->pending[i].adm;
			return MN_OK;
		}
	}
	if (swim_member(a->swim, node_pk, &mi) != MN_OK || !mi.rec ||
	    rec_member_decode(&dm, mi.rec->bytes, mi.rec->len) != MN_OK)
		return MN_ENOENT;
	*out = dm.adm;
	return dm.adm.admitter == REC_BY_MEMBER &&
	       !memcmp(dm.adm.admitter_pk, a->self_pk, REC_PK_LEN) ? MN_OK : MN_EEXIST;
}

unsigned mesh_admit_uses(struct mesh_admit *a, const uint8_t invite_pk[REC_PK_LEN])
{
	struct swim_member_info mi;
	unsigned n = 0;
	const uint8_t *pk;

	for (uint32_t k = 0; (pk = member_pk(a, k)); k++)
		n += swim_member(a->swim, pk, &mi) == MN_OK && mi.rec &&
		     !memcmp(mi.rec->invite_pk, invite_pk, REC_PK_LEN);
	for (uint32_t i = 0; i < a->n_pending; i++)
		n += !memcmp(a->pending[i].invite_pk, invite_pk, REC_PK_LEN) &&
		     !is_member(a, a->pending[i].adm.node_pk);
	return n;
}

static unsigned t_uses(void *ctx, const uint8_t invite_pk[REC_PK_LEN])
{
	return mesh_admit_uses(ctx, invite_pk);
}

static bool t_name_taken(void *ctx, const char *name, const uint8_t node_pk[REC_PK_LEN])
{
	struct mesh_admit *a = ctx;
	struct swim_rec_info ri;
	const struct swim_rec *r;

	for (uint32_t k = 0; member_pk(a, k); k++)
		if (member_rec(a, k, &ri, &r) == MN_OK && !strcmp(ri.name, name) &&
		    memcmp(r->pk, node_pk, REC_PK_LEN))
			return true;
	for (uint32_t i = 0; i < a->n_pending; i++)
		if (!strcmp(a->pending[i].name, name) &&
		    memcmp(a->pending[i].adm.node_pk, node_pk, REC_PK_LEN))
			return true;
	return false;
}

static bool t_held(void *ctx, const uint8_t ipv4[4])
{
	struct mesh_admit *a = ctx;
	struct swim_rec_info ri;
	const struct swim_rec *r;

	for (uint32_t k = 0; member_pk(a, k); k++)
		if (member_rec(a, k, &ri, &r) == MN_OK && !memcmp(ri.ipv4, ipv4, 4))
			return true;
	for (uint32_t i = 0; i < a->n_pending; i++)
		if (!memcmp(a->pending[i].adm.ipv4, ipv4, 4))
			return true;
	return false;
}

static void pending_add(struct mesh_admit *a, const struct mesh_admit_pending *p)
{
	if (a->n_pending == MESH_ADMIT_PENDING) {
		memmove(a->pending, a->pending + 1, (a->n_pending - 1) * sizeof(*a->pending));
		a->n_pending--;
	}
	a->pending[a->n_pending++] = *p;
}

static void t_admitted(void *ctx, const struct rec_admission *adm,
		       const uint8_t invite_pk[REC_PK_LEN], const char *name)
{
	struct mesh_admit *a = ctx;
	struct mesh_admit_pending p;
	struct store_txn *t;
	uint8_t v[ADMIT_LEN];
	size_t alen, nlen = strlen(name);
	int rc;

	memset(&p, 0, sizeof(p));
	memcpy(p.invite_pk, invite_pk, REC_PK_LEN);
	memcpy(p.name, name, nlen < REC_NAME_MAX ? nlen : REC_NAME_MAX);
	p.adm = *adm;
	pending_add(a, &p);
	memset(v, 0, sizeof(v));
	v[ADMIT_O_FORMAT] = MESH_ADMIT_FORMAT;
	memcpy(v + ADMIT_O_INVITE, invite_pk, REC_PK_LEN);
	v[ADMIT_O_NAME_LEN] = (uint8_t)strlen(p.name);
	memcpy(v + ADMIT_O_NAME, p.name, strlen(p.name));
	if ((rc = rec_admission_encode(adm, v + ADMIT_O_ADM, REC_ADMISSION_LEN, &alen)) == MN_OK &&
	    (rc = store_txn_begin(a->store, &t)) == MN_OK) {
		if ((rc = store_put(t, STORE_INVITES, adm->node_pk, REC_PK_LEN, v, sizeof(v))) ==
		    MN_OK)
			rc = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	if (rc < 0)
		a->store_errors++;
}

static const struct join_admitter_ops table_ops = {
	.find = t_find,
	.uses = t_uses,
	.name_taken = t_name_taken,
	.held = t_held,
	.admitted = t_admitted,
};

/* ---- start ---- */

static int load_one(void *ctx, const uint8_t *key, size_t klen, const uint8_t *v, size_t vlen)
{
	struct mesh_admit *a = ctx;
	struct mesh_admit_pending p;

	if (klen != REC_PK_LEN || vlen != ADMIT_LEN || v[ADMIT_O_FORMAT] != MESH_ADMIT_FORMAT ||
	    v[ADMIT_O_NAME_LEN] > REC_NAME_MAX)
		return 0; /* not ours to read: skipped */
	memset(&p, 0, sizeof(p));
	memcpy(p.invite_pk, v + ADMIT_O_INVITE, REC_PK_LEN);
	memcpy(p.name, v + ADMIT_O_NAME, v[ADMIT_O_NAME_LEN]);
	if (rec_admission_decode(&p.adm, v + ADMIT_O_ADM, REC_ADMISSION_LEN) != MN_OK ||
	    memcmp(p.adm.node_pk, key, REC_PK_LEN))
		return 0;
	pending_add(a, &p);
	return 0;
}

static bool is_revoked(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	return swim_revoked(ctx, pk);
}

int mesh_admit_init(struct mesh_admit *a, const struct mesh_admit_cfg *cfg)
{
	struct swim_member_info mi;
	int rc;

	memset(a, 0, sizeof(*a));
	a->net = cfg->net;
	a->swim = cfg->swim;
	a->store = cfg->store;
	a->self_pk = cfg->key->pk;
	a->members = cfg->members;
	a->n_members = cfg->n_members;
	a->rv.is_revoked = is_revoked;
	a->rv.ctx = cfg->swim;
	if ((rc = swim_member(cfg->swim, cfg->key->pk, &mi)) < 0)
		return rc;
	if (!mi.rec || mi.rec->len > sizeof(a->record))
		return MN_EINVAL;
	memcpy(a->record, mi.rec->bytes, mi.rec->len);
	a->record_len = mi.rec->len;
	if (!(a->pending = calloc(MESH_ADMIT_PENDING, sizeof(*a->pending))))
		return MN_ENOMEM;
	if ((rc = store_foreach(cfg->store, STORE_INVITES, load_one, a)) < 0)
		goto fail;
	rc = join_admitter_init(&a->adm, &(struct join_admitter_cfg){
		.net = cfg->net, .key = cfg->key, .kind = REC_BY_MEMBER,
		.record = a->record, .record_len = a->record_len, .ops = &table_ops, .ctx = a,
		.rv = &a->rv, .memo = cfg->memo, .rng = cfg->rng,
	});
	if (rc == MN_OK)
		return MN_OK;
fail:
	mesh_admit_free(a);
	return rc;
}

void mesh_admit_free(struct mesh_admit *a)
{
	join_admitter_wipe(&a->adm);
	free(a->pending);
	a->pending = NULL;
	a->n_pending = 0;
}

int mesh_admit_recv(struct mesh_admit *a, const struct mn_addr *from, const uint8_t *buf,
		    size_t len, struct mn_time now, uint8_t *out, size_t cap, size_t *outlen)
{
	struct swim_member_info mi;

	*outlen = 0;
	if (!join_is_join(buf, len))
		return MN_ENOENT;
	/* our record as it is now (a kick may have re-anchored it since) */
	if (swim_member(a->swim, a->self_pk, &mi) == MN_OK && mi.rec &&
	    mi.rec->len <= sizeof(a->record)) {
		memcpy(a->record, mi.rec->bytes, mi.rec->len);
		a->record_len = mi.rec->len;
		a->adm.cfg.record_len = mi.rec->len;
	}
	return join_admitter_recv(&a->adm, from, buf, len, now.mono,
				  (uint64_t)now.wall / MN_NS_PER_MS, out, cap, outlen);
}
