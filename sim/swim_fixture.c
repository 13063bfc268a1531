/* swim_fixture.c - the network a swim run is built on; see swim_fixture.h.
 *
 * Determinism: every key comes from the seed or from the caller; tables
 * are indexed by node id or by the first bytes of a key id, never
 * iterated in pointer order. */
#include "swim_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_bits.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "mn_wire.h"
#include "seal.h"
#include "sim.h"

#define INVITE_TTL_MS (UINT64_C(365) * 24 * 3600 * 1000) /* past any run */

/* root -> grant(admin) -> invite (signed by the admin); every node is
 * admitted by the admin. The root key is kept (like the admin's) for
 * root tombstones. */
static int network_new(struct swim_fixture *f, uint64_t seed, char *err, size_t errlen)
{
	struct mn_seeded_rng srng;
	struct mn_rng rng;
	int rc;

	mn_seeded_rng_init(&srng, seed);
	rng = mn_seeded_rng_iface(&srng);
	rec_key_generate(&f->root, &rng);
	rec_key_generate(&f->admin, &rng);
	rec_key_generate(&f->invkey, &rng);
	rc = rec_network_init(&f->net, f->root.pk, NULL);
	memset(&f->inv, 0, sizeof(f->inv));
	f->inv.signer = REC_BY_ADMIN;
	memcpy(f->inv.invite_pk, f->invkey.pk, REC_PK_LEN);
	f->inv.expires_ms = SIM_WALL_EPOCH_NS / MN_NS_PER_MS + INVITE_TTL_MS;
	f->inv.max_uses = UINT16_MAX;
	f->inv.grant.rights = REC_RIGHTS_ALL;
	memcpy(f->inv.grant.admin_pk, f->admin.pk, REC_PK_LEN);
	f->inv.grant.not_after_ms = UINT64_MAX;
	if (!rc)
		rc = rec_grant_sign(&f->net, &f->root, &f->inv.grant);
	if (!rc)
		rc = rec_invite_sign(&f->net, &f->admin, &f->inv);
	sodium_memzero(&srng, sizeof(srng));
	if (rc)
		snprintf(err, errlen, "swim: building the network: %s", mn_strerror(rc));
	return rc;
}

int swim_fixture_init(struct swim_fixture *f, uint32_t nodes, uint64_t seed, char *err,
		      size_t errlen)
{
	int rc = MN_ENOMEM;

	memset(f, 0, sizeof(*f));
	f->nodes = nodes;
	f->idmap_mask = (UINT32_C(1) << mn_ceil_log2((uint64_t)nodes * 2 + 2)) - 1;
	f->memo_slots = calloc(SWIM_FIXTURE_MEMO_SLOTS, REC_MEMO_KEY_LEN);
	f->hist = calloc(nodes, sizeof(*f->hist));
	f->idmap = calloc((size_t)f->idmap_mask + 1, sizeof(*f->idmap));
	f->cur = calloc(nodes, sizeof(*f->cur));
	if (!f->memo_slots || !f->hist || !f->idmap || !f->cur)
		goto fail_nomem;
	if ((rc = rec_memo_init(&f->memo, f->memo_slots, SWIM_FIXTURE_MEMO_SLOTS)) ||
	    (rc = rtab_new(&f->rt, nodes * 4 + 8 * SWIM_FIXTURE_MAX_VERSIONS)) ||
	    (rc = annpool_new(&f->anns)))
		goto fail_nomem;
	return network_new(f, seed, err, errlen);
fail_nomem:
	snprintf(err, errlen, "swim: %s", mn_strerror(rc));
	return rc;
}

void swim_fixture_free(struct swim_fixture *f)
{
	if (f->hist) {
		for (uint32_t i = 0; i < f->nodes; i++)
			free(f->hist[i].v);
	}
	rtab_del(f->rt);
	annpool_del(f->anns);
	rec_key_wipe(&f->root);
	rec_key_wipe(&f->admin);
	rec_key_wipe(&f->invkey);
	free(f->cur);
	free(f->memo_slots);
	free(f->hist);
	free(f->idmap);
	memset(f, 0, sizeof(*f));
}

/* ---- node ids ---- */

static void idmap_put(struct swim_fixture *f, const uint8_t pk[REC_PK_LEN], uint32_t id)
{
	uint64_t kid = seal_key_id(pk);
	uint32_t pos = (uint32_t)kid & f->idmap_mask;

	while (f->idmap[pos] != 0) {
		uint32_t o = f->idmap[pos] - 1;
		if (o == id)
			return;
		pos = (pos + 1) & f->idmap_mask;
	}
	f->idmap[pos] = id + 1;
}

uint32_t swim_fixture_id_of(const struct swim_fixture *f, const uint8_t pk[REC_PK_LEN])
{
	uint64_t kid = seal_key_id(pk);

	for (uint32_t pos = (uint32_t)kid & f->idmap_mask;; pos = (pos + 1) & f->idmap_mask) {
		uint32_t v = f->idmap[pos];
		if (v == 0)
			return SWIM_FIXTURE_NONE;
		const struct swim_fixture_hist *h = &f->hist[v - 1];
		if (h->n && memcmp(h->v[0]->pk, pk, REC_PK_LEN) == 0)
			return v - 1;
	}
}

uint32_t swim_fixture_subject(const struct swim_fixture *f, const struct swim_rec *r)
{
	uint32_t id;

	if (!r)
		return SWIM_FIXTURE_NONE;
	id = (uint32_t)(r->user & UINT32_MAX);
	if (id != 0 && id <= f->nodes)
		return id - 1;
	return swim_fixture_id_of(f, r->pk);
}

/* ---- signing ---- */

static uint64_t user_of(uint32_t id, uint32_t seq)
{
	return (uint64_t)seq << 32 | (id + 1);
}

int swim_fixture_sign_record(struct swim_fixture *f, uint32_t id, const struct rec_key *key,
			     uint64_t wall_ms, const struct swim_rec **out)
{
	struct swim_fixture_hist *h = &f->hist[id];
	struct rec_member m;
	uint8_t buf[REC_MEMBER_MAX];
	size_t len;
	int rc;

	if (h->n == SWIM_FIXTURE_MAX_VERSIONS)
		return MN_EFULL;
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 2;
		const struct swim_rec **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return MN_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	if (h->n) {
		const struct swim_rec *prev = h->v[h->n - 1];
		if ((rc = rec_member_decode(&m, prev->bytes, prev->len)))
			return rc;
		m.version = rec_next_version(prev->version, wall_ms);
	} else {
		uint8_t proof[REC_SIG_LEN];
		uint32_t ip = 0x64400000u + id + 1; /* 100.64.0.0/10, skipping .0 */
		uint8_t ip4[4];
		memset(&m, 0, sizeof(m));
		m.invite = f->inv;
		mn_put_be32(ip4, ip);
		rec_join_proof(&f->net, &f->invkey, key->pk, proof);
		rc = rec_admit(&f->net, &f->inv, &f->admin, REC_BY_ADMIN, key->pk, proof, ip4,
			       wall_ms, NULL, &f->memo, &m.adm);
		if (rc)
			return rc;
		m.version = rec_next_version(0, wall_ms);
		snprintf(m.name, sizeof(m.name), "n%u", id);
		m.name_len = (uint8_t)strlen(m.name);
	}
	if ((rc = rec_member_sign(&f->net, key, &m)) ||
	    (rc = rec_member_encode(&m, buf, sizeof(buf), &len)))
		return rc;
	/* The real verification, once per distinct record in the run. */
	rc = rtab_add_verified(f->rt, &f->net, buf, len, user_of(id, h->n + 1), NULL, &f->memo,
			       out);
	if (rc)
		return rc;
	h->v[h->n++] = *out;
	f->cur[id] = *out;
	if (h->n == 1)
		idmap_put(f, (*out)->pk, id);
	return MN_OK;
}

int swim_fixture_sign_tomb(const struct swim_fixture *f, uint32_t target, bool by_root,
			   uint64_t wall_ms, uint8_t *buf, size_t cap, size_t *len)
{
	struct rec_revoke t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.signer = by_root ? REC_BY_ROOT : REC_BY_ADMIN;
	memcpy(t.target_pk, swim_fixture_pk(f, target), REC_PK_LEN);
	t.revoked_ms = wall_ms;
	if (!by_root)
		t.grant = f->inv.grant;
	rc = rec_revoke_sign(&f->net, by_root ? &f->root : &f->admin, &t);
	if (!rc)
		rc = rec_revoke_encode(&t, buf, cap, len);
	return rc;
}
