/* join_admit.c - the member's side of a join, and the IPv4 allocator
 * (join.h).
 *
 * Order of checks on a REQUEST, cheap before expensive, nothing kept per
 * joiner: the cookie (a hash: a mismatch is dropped unanswered and
 * counted), the structure, the network id hint (WRONG_NETWORK without any
 * signature check), the invite's chain (rec_invite_verify), our own invite
 * (a member may not admit under the invite it joined with), an admission we
 * already made for the node key (answered again: idempotent), BUSY, the use
 * limit, the name, an IPv4, and last rec_admit, which checks the expiry
 * with REC_SKEW_MS and the join proof, and signs.
 */
#include "join.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

#define TAG_LEN 16

static const char tag_cookie[TAG_LEN] = "mn/v1/join-ck";
static const char tag_alloc[TAG_LEN] = "mn/v1/ipv4-alloc";

/* ---- the IPv4 allocator ---- */

int join_alloc_ipv4(const struct mn_prefix *v4, const uint8_t node_pk[REC_PK_LEN],
		    join_held_fn held, void *ctx, uint8_t out[4])
{
	crypto_generichash_state st;
	uint8_t h[8];
	uint64_t size, start, probes;
	uint32_t base;

	if (v4->family != AF_INET || v4->bits < 1 || v4->bits > 30)
		return MN_EINVAL;
	size = UINT64_C(1) << (32 - v4->bits);
	base = mn_get_be32(v4->addr) & (uint32_t)~(size - 1);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag_alloc, TAG_LEN);
	crypto_generichash_update(&st, node_pk, REC_PK_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	start = mn_get_be64(h) % size;
	probes = size < JOIN_ALLOC_PROBES ? size : JOIN_ALLOC_PROBES;
	for (uint64_t i = 0; i < probes; i++) {
		uint64_t off = (start + i) % size;

		if (off == 0 || off == size - 1)
			continue; /* network, broadcast */
		mn_put_be32(out, base + (uint32_t)off);
		if (!held(ctx, out))
			return MN_OK;
	}
	memset(out, 0, 4);
	return MN_EFULL;
}

/* ---- cookies ---- */

static void new_secret(struct join_admitter *adm, uint8_t s[JOIN_SECRET_LEN])
{
	mn_rng_bytes(adm->cfg.rng, s, JOIN_SECRET_LEN);
}

/* Rotate every JOIN_SECRET_ROTATE_NS; after two periods of silence the
 * previous secret is too old to keep as well. */
static void rotate(struct join_admitter *adm, mn_ns now)
{
	if (adm->keyed && !mn_elapsed(now, adm->rotated, JOIN_SECRET_ROTATE_NS))
		return;
	if (adm->keyed && !mn_elapsed(now, adm->rotated, 2 * JOIN_SECRET_ROTATE_NS))
		memcpy(adm->prev_secret, adm->secret, JOIN_SECRET_LEN);
	else
		new_secret(adm, adm->prev_secret);
	new_secret(adm, adm->secret);
	adm->rotated = now;
	adm->keyed = true;
}

static void cookie_with(const uint8_t secret[JOIN_SECRET_LEN], const struct mn_addr *from,
			const uint8_t nonce[JOIN_NONCE_LEN], uint8_t cookie[JOIN_COOKIE_LEN])
{
	struct mn_addr a = *from;
	uint8_t where[1 + 16 + 2] = { 0 };
	crypto_generichash_state st;

	mn_addr_unmap(&a);
	if (a.sa.sa_family == AF_INET) {
		where[0] = 4;
		memcpy(where + 1, &a.in4.sin_addr, 4);
		memcpy(where + 17, &a.in4.sin_port, 2);
	} else if (a.sa.sa_family == AF_INET6) {
		where[0] = 6;
		memcpy(where + 1, &a.in6.sin6_addr, 16);
		memcpy(where + 17, &a.in6.sin6_port, 2);
	}
	crypto_generichash_init(&st, secret, JOIN_SECRET_LEN, JOIN_COOKIE_LEN);
	crypto_generichash_update(&st, (const uint8_t *)tag_cookie, TAG_LEN);
	crypto_generichash_update(&st, where, sizeof(where));
	crypto_generichash_update(&st, nonce, JOIN_NONCE_LEN);
	crypto_generichash_final(&st, cookie, JOIN_COOKIE_LEN);
	sodium_memzero(&st, sizeof(st)); /* it held the secret */
}

void join_admitter_cookie(struct join_admitter *adm, const struct mn_addr *from,
			  const uint8_t nonce[JOIN_NONCE_LEN], mn_ns now_mono,
			  uint8_t cookie[JOIN_COOKIE_LEN])
{
	rotate(adm, now_mono);
	cookie_with(adm->secret, from, nonce, cookie);
}

static bool cookie_ok(struct join_admitter *adm, const struct mn_addr *from,
		      const struct join_request *r)
{
	uint8_t want[JOIN_COOKIE_LEN];
	bool ok;

	cookie_with(adm->secret, from, r->nonce, want);
	ok = sodium_memcmp(want, r->cookie, JOIN_COOKIE_LEN) == 0;
	if (!ok) {
		cookie_with(adm->prev_secret, from, r->nonce, want);
		ok = sodium_memcmp(want, r->cookie, JOIN_COOKIE_LEN) == 0;
	}
	return ok;
}

/* ---- the admitter ---- */

int join_admitter_init(struct join_admitter *adm, const struct join_admitter_cfg *cfg)
{
	const struct join_admitter_ops *ops = cfg->ops;
	struct rec_member self;

	memset(adm, 0, sizeof(*adm));
	if (!cfg->net || !cfg->key || !cfg->rng || !cfg->record || !ops || !ops->find ||
	    !ops->uses || !ops->name_taken || !ops->held || !ops->admitted ||
	    (unsigned)cfg->kind > REC_BY_MEMBER)
		return MN_EINVAL;
	if (rec_member_decode(&self, cfg->record, cfg->record_len) != MN_OK)
		return MN_EINVAL;
	if (cfg->kind == REC_BY_MEMBER) {
		if (memcmp(self.adm.node_pk, cfg->key->pk, REC_PK_LEN) != 0)
			return MN_EINVAL;
		memcpy(adm->own_invite_pk, self.invite.invite_pk, REC_PK_LEN);
		adm->have_own_invite = true;
	}
	adm->cfg = *cfg;
	return MN_OK;
}

void join_admitter_wipe(struct join_admitter *adm)
{
	sodium_memzero(adm, sizeof(*adm));
}

static int refuse(struct join_admitter *adm, const struct join_request *r,
		  enum join_reason why, uint8_t *out, size_t cap, size_t *outlen)
{
	adm->count[JOIN_C_REFUSED]++;
	return join_refuse_encode(r->nonce, why, out, cap, outlen);
}

static int send_accept(struct join_admitter *adm, const struct join_request *r,
		  const struct rec_admission *a, uint8_t *out, size_t cap, size_t *outlen)
{
	return join_accept_encode(r->nonce, a, adm->cfg.record, adm->cfg.record_len, out, cap,
				  outlen);
}

static enum join_reason reason_of(int err)
{
	switch (err) {
	case MN_EREVOKED:
		return JOIN_R_REVOKED;
	case MN_EEXPIRED:
		return JOIN_R_EXPIRED;
	case MN_EPROTO:
	case MN_EINVAL:
		return JOIN_R_MALFORMED;
	default:
		return JOIN_R_INVALID;
	}
}

/* A REQUEST whose cookie matched. */
static int admit(struct join_admitter *adm, const struct join_request *r, uint64_t now_ms,
		 uint8_t *out, size_t cap, size_t *outlen)
{
	const struct join_admitter_cfg *c = &adm->cfg;
	struct rec_admission a;
	uint8_t ipv4[4];
	int err;

	if (sodium_memcmp(r->nethint, c->net->id, JOIN_NETHINT_LEN) != 0)
		return refuse(adm, r, JOIN_R_WRONG_NETWORK, out, cap, outlen);
	if ((err = rec_invite_verify(c->net, &r->invite, c->rv, c->memo)))
		return refuse(adm, r, reason_of(err), out, cap, outlen);
	if (adm->have_own_invite &&
	    memcmp(r->invite.invite_pk, adm->own_invite_pk, REC_PK_LEN) == 0)
		return refuse(adm, r, JOIN_R_OWN_INVITE, out, cap, outlen);
	err = c->ops->find(c->ctx, r->node_pk, &a);
	if (err == MN_OK && memcmp(a.proof, r->proof, REC_SIG_LEN) == 0 &&
	    memcmp(a.admitter_pk, c->key->pk, REC_PK_LEN) == 0) {
		adm->count[JOIN_C_REPLAYED]++;
		return send_accept(adm, r, &a, out, cap, outlen);
	}
	if (err != MN_ENOENT)
		return refuse(adm, r, JOIN_R_MEMBER, out, cap, outlen);
	if (c->ops->busy && c->ops->busy(c->ctx))
		return refuse(adm, r, JOIN_R_BUSY, out, cap, outlen);
	if (c->ops->uses(c->ctx, r->invite.invite_pk) >= r->invite.max_uses)
		return refuse(adm, r, JOIN_R_USED_UP, out, cap, outlen);
	if (c->ops->name_taken(c->ctx, r->name, r->node_pk))
		return refuse(adm, r, JOIN_R_NAME_TAKEN, out, cap, outlen);
	if (join_alloc_ipv4(&c->net->v4, r->node_pk, c->ops->held, c->ctx, ipv4))
		return refuse(adm, r, JOIN_R_NO_ADDRESS, out, cap, outlen);
	if ((err = rec_admit(c->net, &r->invite, c->key, c->kind, r->node_pk, r->proof, ipv4,
			     now_ms, c->rv, c->memo, &a)))
		return refuse(adm, r, reason_of(err), out, cap, outlen);
	c->ops->admitted(c->ctx, &a, r->invite.invite_pk, r->name);
	adm->count[JOIN_C_ACCEPTED]++;
	return send_accept(adm, r, &a, out, cap, outlen);
}

int join_admitter_recv(struct join_admitter *adm, const struct mn_addr *from,
		       const uint8_t *buf, size_t len, mn_ns now_mono, uint64_t now_wall_ms,
		       uint8_t *out, size_t cap, size_t *outlen)
{
	struct join_request r;
	enum join_type type;
	uint8_t cookie[JOIN_COOKIE_LEN];
	int err;

	*outlen = 0;
	if (cap < JOIN_DGRAM_MAX)
		return MN_EMSGSIZE;
	if ((err = join_peek_type(buf, len, &type))) {
		adm->count[JOIN_C_DROP_MALFORMED]++;
		return MN_EPROTO;
	}
	rotate(adm, now_mono);
	switch (type) {
	case JOIN_T_HELLO:
		if ((err = join_hello_decode(r.nonce, buf, len))) {
			adm->count[JOIN_C_DROP_MALFORMED]++;
			return MN_EPROTO;
		}
		cookie_with(adm->secret, from, r.nonce, cookie);
		adm->count[JOIN_C_COOKIES]++;
		return join_cookie_encode(r.nonce, cookie, out, cap, outlen);
	case JOIN_T_REQUEST:
		break;
	default:
		adm->count[JOIN_C_DROP_TYPE]++;
		return MN_EPROTO;
	}
	/* The cookie sits at a fixed offset: check it before parsing the rest,
	 * so an unproven address costs one hash. */
	if (len < JOIN_REQ_O_COOKIE + JOIN_COOKIE_LEN) {
		adm->count[JOIN_C_DROP_MALFORMED]++;
		return MN_EPROTO;
	}
	memcpy(r.nonce, buf + JOIN_O_NONCE, JOIN_NONCE_LEN);
	memcpy(r.cookie, buf + JOIN_REQ_O_COOKIE, JOIN_COOKIE_LEN);
	if (!cookie_ok(adm, from, &r)) {
		adm->count[JOIN_C_DROP_COOKIE]++;
		return MN_EAUTH;
	}
	if (join_request_decode(&r, buf, len) != MN_OK) {
		memcpy(r.nonce, buf + JOIN_O_NONCE, JOIN_NONCE_LEN);
		return refuse(adm, &r, JOIN_R_MALFORMED, out, cap, outlen);
	}
	return admit(adm, &r, now_wall_ms, out, cap, outlen);
}
