/* mesh_core_join.c - the mesh core's network (root, invite, records), the
 * genesis, the joiner's start and finish, and the admitter's view of the
 * member table; see mesh_core.h.
 *
 * The admitter answers from what the member holds (ps->held, kept from
 * swim's SWIM_EV_RECORD / SWIM_EV_REMOVED) and the admissions it signed
 * itself; the per-id facts it reads (a member's IPv4, name, invite) are the
 * ones its record carries. Tables are indexed by node id, never iterated in
 * pointer order. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh_core_node.h"
#include "mn_err.h"
#include "sim.h"

#define MSC_INVITE_TTL_MS (UINT64_C(365) * 24 * 3600 * 1000) /* past any run */
#define MSC_NETWORK_NAME "sim"

int msc_network_new(struct msc_shared *sh, uint64_t seed, char *err, size_t errlen)
{
	int rc;

	mn_seeded_rng_init(&sh->srng, seed);
	sh->rng = mn_seeded_rng_iface(&sh->srng);
	rec_key_generate(&sh->root, &sh->rng);
	sh->memo_slots = calloc(MSC_MEMO_SLOTS, REC_MEMO_KEY_LEN);
	sh->inv_seed = calloc(sh->nodes, sizeof(*sh->inv_seed));
	sh->inv = calloc(sh->nodes, sizeof(*sh->inv));
	sh->inv_signed = calloc(sh->nodes, sizeof(*sh->inv_signed));
	if (!sh->memo_slots || !sh->inv_seed || !sh->inv || !sh->inv_signed) {
		rc = MN_ENOMEM;
		goto out;
	}
	mn_rng_bytes(&sh->rng, sh->inv_seed, (size_t)sh->nodes * REC_SEED_LEN);
	if ((rc = rec_network_init(&sh->net, sh->root.pk, NULL)) ||
	    (rc = rec_memo_init(&sh->memo, sh->memo_slots, MSC_MEMO_SLOTS)) ||
	    (rc = rtab_new(&sh->rt, sh->nodes * 2 + 8)) ||
	    (rc = annpool_new(&sh->anns)))
		goto out;
	rtab_store(sh->rt, &sh->store);
out:
	if (rc)
		snprintf(err, errlen, "mesh: building the network: %s", mn_strerror(rc));
	return rc;
}

void msc_network_free(struct msc_shared *sh)
{
	rtab_del(sh->rt);
	annpool_del(sh->anns);
	free(sh->memo_slots);
	rec_key_wipe(&sh->root);
	if (sh->inv_seed)
		sodium_memzero(sh->inv_seed, (size_t)sh->nodes * REC_SEED_LEN);
	free(sh->inv_seed);
	free(sh->inv);
	free(sh->inv_signed);
}

/* Node id's invite, signed by the root at its first use. */
static int invite_of(struct msc_shared *sh, uint32_t id, const struct rec_invite **out)
{
	struct rec_invite *inv = &sh->inv[id];
	struct rec_key ik;
	int rc;

	if (!sh->inv_signed[id]) {
		rec_key_from_seed(&ik, sh->inv_seed[id]);
		memset(inv, 0, sizeof(*inv));
		inv->signer = REC_BY_ROOT;
		memcpy(inv->invite_pk, ik.pk, REC_PK_LEN);
		rec_key_wipe(&ik);
		inv->expires_ms = SIM_WALL_EPOCH_NS / MN_NS_PER_MS + MSC_INVITE_TTL_MS;
		inv->max_uses = 1;
		if ((rc = rec_invite_sign(&sh->net, &sh->root, inv)))
			return rc;
		sh->inv_signed[id] = true;
	}
	*out = inv;
	return MN_OK;
}

uint32_t msc_id_of(const struct msc_shared *sh, const uint8_t pk[REC_PK_LEN])
{
	for (uint32_t i = 0; i < sh->nodes; i++) {
		if (sh->has_pk[i] && memcmp(sh->pk[i], pk, REC_PK_LEN) == 0)
			return i;
	}
	return MSC_NONE;
}

/* ---- our record ---- */

/* Sign our first record around admission adm, intern it, keep it. */
static int make_record(struct msc *c, const struct rec_admission *adm, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX];
	size_t len;
	int rc;

	memset(&m, 0, sizeof(m));
	m.invite = sh->inv[c->id];
	m.adm = *adm;
	m.version = rec_next_version(0, now.wall / MN_NS_PER_MS);
	snprintf(m.name, sizeof(m.name), "n%u", c->id);
	m.name_len = (uint8_t)strlen(m.name);
	if ((rc = rec_member_sign(&sh->net, &c->ps->key, &m)) ||
	    (rc = rec_member_encode(&m, buf, sizeof(buf), &len)) ||
	    (rc = rtab_add_verified(sh->rt, &sh->net, buf, len, (uint64_t)c->id + 1, NULL,
				    &sh->memo, &c->ps->rec)))
		return rc;
	sh->rec[c->id] = c->ps->rec;
	sh->adm[c->id] = *adm;
	return MN_OK;
}

static bool none_held(void *ctx, const uint8_t ipv4[4])
{
	(void)ctx;
	(void)ipv4;
	return false;
}

int msc_genesis(struct msc *c, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	const struct rec_invite *inv;
	struct rec_admission adm;
	struct rec_key ik;
	uint8_t proof[REC_SIG_LEN], ipv4[4];
	int rc;

	if ((rc = invite_of(sh, c->id, &inv)))
		return rc;
	rec_key_from_seed(&ik, sh->inv_seed[c->id]);
	rec_join_proof(&sh->net, &ik, c->ps->key.pk, proof);
	rec_key_wipe(&ik);
	if ((rc = join_alloc_ipv4(&sh->net.v4, c->ps->key.pk, none_held, NULL, ipv4)) ||
	    (rc = rec_admit(&sh->net, inv, &sh->root, REC_BY_ROOT, c->ps->key.pk, proof, ipv4,
			    now.wall / MN_NS_PER_MS, NULL, &sh->memo, &adm)))
		return rc;
	return make_record(c, &adm, now);
}

/* ---- the joiner ---- */

/* A random running member other than us; MSC_NONE when there is none. */
static uint32_t pick_member(struct msc *c)
{
	struct msc_shared *sh = c->sh;
	uint32_t start = mn_rng_uniform(&c->env->rng, sh->nodes);

	for (uint32_t k = 0; k < sh->nodes; k++) {
		uint32_t id = (start + k) % sh->nodes;
		if (id != c->id && sh->cores[id] && sh->cores[id]->n)
			return id;
	}
	return MSC_NONE;
}

int msc_join_start(struct msc *c, struct mn_time now)
{
	struct msc_shared *sh = c->sh;
	const struct rec_invite *inv;
	struct invite_link link;
	char name[MSC_NAME_LEN];
	int rc;

	if ((rc = invite_of(sh, c->id, &inv)))
		return rc;
	c->joining = true;
	c->via = pick_member(c);
	if (c->via == MSC_NONE) {
		/* nobody to ask yet: the joiner sits idle until the next timer */
		memset(&c->j, 0, sizeof(c->j));
		c->j.state = JOIN_TIMEOUT;
		c->retry_at = now.mono + MSC_JOIN_IDLE_NS;
		return MN_OK;
	}
	memset(&link, 0, sizeof(link));
	snprintf(link.network, sizeof(link.network), "%s", MSC_NETWORK_NAME);
	memcpy(link.root_pk, sh->root.pk, REC_PK_LEN);
	link.v4 = sh->net.v4;
	memcpy(link.seed, sh->inv_seed[c->id], REC_SEED_LEN);
	link.invite = *inv;
	link.nmembers = 1;
	link.members[0].nendpoints = 1;
	link.members[0].endpoints[0] = sh->addr[c->via];
	snprintf(name, sizeof(name), "n%u", c->id);
	rc = join_start(&c->j, &link, c->ps->key.pk, name, now.mono, MSC_JOIN_TIMEOUT_NS,
			&c->env->rng);
	invite_link_wipe(&link);
	if (sh->join_start[c->id] == MN_NEVER)
		sh->join_start[c->id] = msc_run_time(now);
	sim_env_count(c->env, MC_JOIN_STARTS, 1);
	return rc;
}

int msc_join_done(struct msc *c, struct mn_time now)
{
	int rc = make_record(c, &c->j.adm, now);

	if (!rc) {
		c->joining = false;
		sim_env_count(c->env, MC_JOIN_ACCEPTS, 1);
	}
	return rc;
}

/* ---- the admitter's member table ---- */

static bool holds(const struct msc *c, uint32_t id)
{
	return id == c->id || c->ps->held[id] || c->sh->adm_by[id] == c->id;
}

static int t_find(void *ctx, const uint8_t node_pk[REC_PK_LEN], struct rec_admission *out)
{
	struct msc *c = ctx;
	uint32_t id = msc_id_of(c->sh, node_pk);

	if (id == MSC_NONE || !holds(c, id) || c->sh->adm_by[id] == MSC_NONE)
		return MN_ENOENT;
	*out = c->sh->adm[id];
	return c->sh->adm_by[id] == c->id ? MN_OK : MN_EEXIST;
}

static unsigned t_uses(void *ctx, const uint8_t invite_pk[REC_PK_LEN])
{
	struct msc *c = ctx;
	unsigned n = 0;

	for (uint32_t i = 0; i < c->sh->nodes; i++) {
		const struct swim_rec *r = c->sh->rec[i];
		n += holds(c, i) && r && memcmp(r->invite_pk, invite_pk, REC_PK_LEN) == 0;
	}
	return n;
}

static bool t_name_taken(void *ctx, const char *name, const uint8_t node_pk[REC_PK_LEN])
{
	struct msc *c = ctx;
	char mine[MSC_NAME_LEN];

	/* every record of the run is named n<id> */
	for (uint32_t i = 0; i < c->sh->nodes; i++) {
		if (!holds(c, i) || !c->sh->rec[i] ||
		    memcmp(c->sh->rec[i]->pk, node_pk, REC_PK_LEN) == 0)
			continue;
		snprintf(mine, sizeof(mine), "n%u", i);
		if (strcmp(mine, name) == 0)
			return true;
	}
	return false;
}

static bool t_held(void *ctx, const uint8_t ipv4[4])
{
	struct msc *c = ctx;

	for (uint32_t i = 0; i < c->sh->nodes; i++) {
		if (holds(c, i) && c->sh->adm_by[i] != MSC_NONE &&
		    memcmp(c->sh->adm[i].ipv4, ipv4, 4) == 0)
			return true;
	}
	return false;
}

static void t_admitted(void *ctx, const struct rec_admission *adm,
		       const uint8_t invite_pk[REC_PK_LEN], const char *name)
{
	struct msc *c = ctx;
	uint32_t id = msc_id_of(c->sh, adm->node_pk);

	(void)invite_pk;
	(void)name;
	sim_env_count(c->env, MC_ADMISSIONS, 1);
	if (id == MSC_NONE)
		return;
	c->sh->adm[id] = *adm;
	c->sh->adm_by[id] = c->id;
}

static const struct join_admitter_ops table_ops = {
	.find = t_find,
	.uses = t_uses,
	.name_taken = t_name_taken,
	.held = t_held,
	.admitted = t_admitted,
};

int msc_admitter_init(struct msc *c)
{
	const struct swim_rec *me = c->ps->rec;
	int rc = join_admitter_init(&c->adm, &(struct join_admitter_cfg){
		.net = &c->sh->net, .key = &c->ps->key, .kind = REC_BY_MEMBER,
		.record = me->bytes, .record_len = me->len, .ops = &table_ops, .ctx = c,
		.memo = &c->sh->memo, .rng = &c->env->rng });

	c->adm_ok = rc == MN_OK;
	return rc;
}

int msc_unsealed(void *ctx, const struct mn_addr *from, const uint8_t *buf, size_t len,
		 struct mn_time now)
{
	struct msc *c = ctx;
	size_t outlen = 0;
	int rc;

	if (!join_is_join(buf, len))
		return MN_ENOENT;
	if (!c->adm_ok || c->jq_n == MSC_JQ)
		return MN_EBUSY;
	rc = join_admitter_recv(&c->adm, from, buf, len, now.mono, now.wall / MN_NS_PER_MS,
				c->jq[c->jq_n], JOIN_DGRAM_MAX, &outlen);
	if (rc == MN_OK && outlen) {
		c->jq_len[c->jq_n] = outlen;
		c->jq_dst[c->jq_n] = *from;
		c->jq_n++;
	}
	return rc;
}
