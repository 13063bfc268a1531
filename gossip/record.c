/* record.c - signed membership records: encodings, signing, chain checks.
 *
 * Byte layouts (all integers big-endian; doc/membership.md has the tables):
 *
 *   grant      ver type rights admin_pk[32] not_after[8]            sig[64]
 *   invite     ver type signer flags invite_pk[32] expires[8] uses[2]
 *              [grant, when signer = admin]                         sig[64]
 *   admission  ver type admitter node_pk[32] ipv4[4] admitted[8]
 *              admitter_pk[32] proof[64]                            sig[64]
 *   member     ver type invite admission flags version[8] name_len name
 *              nroutes (family bits addr[ceil(bits/8)])*            sig[64]
 *   revoke     ver type signer target_pk[32] revoked[8]
 *              [grant, when signer = admin]                         sig[64]
 *
 * What each signature covers: tag[16] || network id[32] || bytes, where tag
 * is the zero-padded purpose string below and bytes are
 *   grant, invite, member, revoke: the object's own bytes before sig;
 *   admission: the whole invite encoding, then the admission before sig
 *              (so an admission cannot be moved onto another invite);
 *   join proof: the node key.
 *
 * Encodings are canonical (reserved bits zero, host bits of routes zero, the
 * name in a fixed alphabet, no trailing bytes), so verifying the re-encoded
 * form of a decoded struct is verifying the received bytes.
 *
 * Trust model: DESIGN.md §4. Signatures are Ed25519 (RFC 8032) as libsodium
 * implements it (strict: canonical S, no small-order keys); hashes are
 * BLAKE2b (RFC 7693); the IPv6 prefix is an RFC 4193 ULA.
 */
#include "record.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

#define TAG_LEN 16

static const char tag_netid[TAG_LEN] = "mn/v1/netid";
static const char tag_ipv6[TAG_LEN] = "mn/v1/ipv6";
static const char tag_grant[TAG_LEN] = "mn/v1/grant";
static const char tag_invite[TAG_LEN] = "mn/v1/invite";
static const char tag_join[TAG_LEN] = "mn/v1/join";
static const char tag_adm[TAG_LEN] = "mn/v1/admission";
static const char tag_member[TAG_LEN] = "mn/v1/member";
static const char tag_revoke[TAG_LEN] = "mn/v1/revoke";
static const char tag_addr[TAG_LEN] = "mn/v1/addr";

/* Offsets. */
enum {
	O_VER = 0,
	O_TYPE = 1,

	G_RIGHTS = 2,
	G_ADMIN = 3,
	G_NOT_AFTER = G_ADMIN + REC_PK_LEN,    /* 35 */
	G_SIG = G_NOT_AFTER + 8,               /* 43 */
	G_END = G_SIG + REC_SIG_LEN,           /* 107 */

	I_SIGNER = 2,
	I_FLAGS = 3,
	I_PK = 4,
	I_EXPIRES = I_PK + REC_PK_LEN,         /* 36 */
	I_USES = I_EXPIRES + 8,                /* 44 */
	I_GRANT = I_USES + 2,                  /* 46: grant or sig */
	I_END_ROOT = I_GRANT + REC_SIG_LEN,    /* 110 */

	A_KIND = 2,
	A_NODE = 3,
	A_IPV4 = A_NODE + REC_PK_LEN,          /* 35 */
	A_AT = A_IPV4 + 4,                     /* 39 */
	A_ADMITTER = A_AT + 8,                 /* 47 */
	A_PROOF = A_ADMITTER + REC_PK_LEN,     /* 79 */
	A_SIG = A_PROOF + REC_SIG_LEN,         /* 143 */
	A_END = A_SIG + REC_SIG_LEN,           /* 207 */

	R_SIGNER = 2,
	R_TARGET = 3,
	R_AT = R_TARGET + REC_PK_LEN,          /* 35 */
	R_GRANT = R_AT + 8,                    /* 43: grant or sig */
	R_END_ROOT = R_GRANT + REC_SIG_LEN,    /* 107 */

	/* member body after invite and admission */
	M_BODY_FIXED = 1 + 8 + 1,              /* flags, version, name_len */
};

_Static_assert(G_END == REC_GRANT_LEN, "grant size");
_Static_assert(I_END_ROOT == REC_INVITE_ROOT_LEN, "invite size");
_Static_assert(A_END == REC_ADMISSION_LEN, "admission size");
_Static_assert(R_END_ROOT == REC_REVOKE_ROOT_LEN, "revoke size");
_Static_assert(I_USES == REC_INVITE_USES_OFF && A_IPV4 == REC_ADM_IPV4_OFF &&
	       A_SIG == REC_ADM_SIG_OFF, "offsets record.h publishes");
_Static_assert(REC_RACE_LEN <= crypto_generichash_BYTES_MAX, "race hash");
_Static_assert(REC_MEMBER_FIXED == 2 + M_BODY_FIXED + 1 + REC_SIG_LEN, "member size");
_Static_assert(REC_MEMBER_MAX <= REC_DGRAM_MAX, "a record must fit one datagram");
_Static_assert(REC_PK_LEN == crypto_sign_PUBLICKEYBYTES, "ed25519 pk");
_Static_assert(REC_SK_LEN == crypto_sign_SECRETKEYBYTES, "ed25519 sk");
_Static_assert(REC_SEED_LEN == crypto_sign_SEEDBYTES, "ed25519 seed");
_Static_assert(REC_SIG_LEN == crypto_sign_BYTES, "ed25519 sig");
_Static_assert(REC_MEMO_KEY_LEN >= crypto_generichash_BYTES_MIN, "memo key");

/* The longest signed message: tag, network id, a whole member record. */
#define MSG_MAX (TAG_LEN + REC_NETID_LEN + REC_MEMBER_MAX)
#define MEMO_MAX_SLOTS (UINT32_C(1) << 24)

/* ---- bounded cursors ---- */

struct rd {
	const uint8_t *b;
	size_t len, off;
};

/* The next n bytes, or NULL (and nothing consumed) if the input ends first. */
static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->len - r->off < n)
		return NULL;
	const uint8_t *p = r->b + r->off;
	r->off += n;
	return p;
}

struct wr {
	uint8_t *b;
	size_t cap, len;
};

static uint8_t *put(struct wr *w, size_t n)
{
	if (w->cap - w->len < n)
		return NULL;
	uint8_t *p = w->b + w->len;
	w->len += n;
	return p;
}

/* ---- keys, network ---- */

void rec_key_from_seed(struct rec_key *k, const uint8_t seed[REC_SEED_LEN])
{
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

void rec_key_generate(struct rec_key *k, const struct mn_rng *rng)
{
	uint8_t seed[REC_SEED_LEN];

	mn_rng_bytes(rng, seed, sizeof(seed));
	rec_key_from_seed(k, seed);
	sodium_memzero(seed, sizeof(seed));
}

void rec_key_wipe(struct rec_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

int rec_network_init(struct rec_network *net, const uint8_t root_pk[REC_PK_LEN],
		     const struct mn_prefix *v4)
{
	crypto_generichash_state st;

	memset(net, 0, sizeof(*net));
	if (v4) {
		if (v4->family != AF_INET || v4->bits < 1 || v4->bits > 30)
			return MN_EINVAL;
		net->v4 = *v4;
		mn_prefix_normalize(&net->v4);
	} else {
		net->v4.family = AF_INET;
		net->v4.bits = 10;
		net->v4.addr[0] = 100;
		net->v4.addr[1] = 64;
	}
	memcpy(net->root_pk, root_pk, REC_PK_LEN);
	crypto_generichash_init(&st, NULL, 0, REC_NETID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)tag_netid, TAG_LEN);
	crypto_generichash_update(&st, root_pk, REC_PK_LEN);
	crypto_generichash_final(&st, net->id, REC_NETID_LEN);
	/* RFC 4193: fd00::/8, then a 40-bit global id; ours is the network id's. */
	net->v6.family = AF_INET6;
	net->v6.bits = 48;
	net->v6.addr[0] = 0xfd;
	memcpy(net->v6.addr + 1, net->id, 5);
	return MN_OK;
}

void rec_ipv6(const struct rec_network *net, const uint8_t node_pk[REC_PK_LEN],
	      uint8_t out[16])
{
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag_ipv6, TAG_LEN);
	crypto_generichash_update(&st, net->id, REC_NETID_LEN);
	crypto_generichash_update(&st, node_pk, REC_PK_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, net->v6.addr, 6);
	memcpy(out + 6, h, 10);
}

static bool is_revoked(const struct rec_revoked *rv, const uint8_t pk[REC_PK_LEN])
{
	return rv && rv->is_revoked(rv->ctx, pk);
}

/* One key, one role (doc/membership.md "One key, one role"): the root,
 * admin, invite and node keys of one chain are distinct keys. Public keys:
 * no need for a constant-time compare. */
static bool same_key(const uint8_t a[REC_PK_LEN], const uint8_t b[REC_PK_LEN])
{
	return memcmp(a, b, REC_PK_LEN) == 0;
}

/* ---- signatures and the memo ---- */

int rec_memo_init(struct rec_memo *m, uint8_t (*slots)[REC_MEMO_KEY_LEN],
		  size_t nslots)
{
	memset(m, 0, sizeof(*m));
	if (!slots || nslots == 0 || nslots > MEMO_MAX_SLOTS ||
	    (nslots & (nslots - 1)) != 0)
		return MN_EINVAL;
	memset(slots, 0, nslots * REC_MEMO_KEY_LEN);
	m->slot = slots;
	m->mask = (uint32_t)(nslots - 1);
	return MN_OK;
}

/* tag || network id || p1 || p2 into out (MSG_MAX bytes). */
static size_t sig_msg(uint8_t out[MSG_MAX], const char tag[TAG_LEN],
		      const struct rec_network *net, const uint8_t *p1, size_t n1,
		      const uint8_t *p2, size_t n2)
{
	/* Callers pass encodings bounded by the size constants above. */
	size_t len = TAG_LEN + REC_NETID_LEN + n1 + n2;
	if (len > MSG_MAX)
		return 0;
	memcpy(out, tag, TAG_LEN);
	memcpy(out + TAG_LEN, net->id, REC_NETID_LEN);
	if (n1)
		memcpy(out + TAG_LEN + REC_NETID_LEN, p1, n1);
	if (n2)
		memcpy(out + TAG_LEN + REC_NETID_LEN + n1, p2, n2);
	return len;
}

static int check_sig(struct rec_memo *memo, const uint8_t pk[REC_PK_LEN],
		     const uint8_t *msg, size_t len, const uint8_t sig[REC_SIG_LEN])
{
	uint8_t key[REC_MEMO_KEY_LEN];
	uint8_t *slot = NULL;

	if (len == 0)
		return MN_EINVAL;
	if (memo) {
		crypto_generichash_state st;
		crypto_generichash_init(&st, NULL, 0, sizeof(key));
		crypto_generichash_update(&st, pk, REC_PK_LEN);
		crypto_generichash_update(&st, msg, len);
		crypto_generichash_update(&st, sig, REC_SIG_LEN);
		crypto_generichash_final(&st, key, sizeof(key));
		slot = memo->slot[mn_get_le32(key) & memo->mask];
		if (sodium_memcmp(slot, key, sizeof(key)) == 0) {
			memo->hits++;
			return MN_OK;
		}
	}
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0) {
		if (memo)
			memo->failed++;
		return MN_EAUTH;
	}
	if (memo) {
		memcpy(slot, key, sizeof(key));
		memo->verified++;
	}
	return MN_OK;
}

static int make_sig(const struct rec_key *k, const uint8_t *msg, size_t len,
		    uint8_t sig[REC_SIG_LEN])
{
	if (len == 0)
		return MN_EINVAL;
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
	return MN_OK;
}

/* ---- field checks shared by encoders and decoders ---- */

bool rec_name_ok(const char *name, size_t len)
{
	if (len < 1 || len > REC_NAME_MAX)
		return false;
	if (name[0] == '-' || name[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool route_ok(const struct mn_prefix *p)
{
	struct mn_prefix n;

	if (p->family == AF_INET) {
		if (p->bits > 32)
			return false;
	} else if (p->family == AF_INET6) {
		if (p->bits > 128)
			return false;
	} else {
		return false;
	}
	n = *p;
	mn_prefix_normalize(&n);
	return memcmp(n.addr, p->addr, sizeof(n.addr)) == 0;
}

static bool signer_ok(uint8_t s)
{
	return s == REC_BY_ROOT || s == REC_BY_ADMIN;
}

/* ---- grant ---- */

static int put_grant(struct wr *w, const struct rec_grant *g)
{
	uint8_t *p;

	if (g->rights & ~REC_RIGHTS_ALL)
		return MN_EPROTO;
	if (!(p = put(w, REC_GRANT_LEN)))
		return MN_EMSGSIZE;
	p[O_VER] = REC_FORMAT;
	p[O_TYPE] = REC_T_GRANT;
	p[G_RIGHTS] = g->rights;
	memcpy(p + G_ADMIN, g->admin_pk, REC_PK_LEN);
	mn_put_be64(p + G_NOT_AFTER, g->not_after_ms);
	memcpy(p + G_SIG, g->sig, REC_SIG_LEN);
	return MN_OK;
}

static int get_grant(struct rd *r, struct rec_grant *g)
{
	const uint8_t *p;

	if (!(p = take(r, REC_GRANT_LEN)))
		return MN_ETRUNC;
	if (p[O_VER] != REC_FORMAT || p[O_TYPE] != REC_T_GRANT)
		return MN_EPROTO;
	if (p[G_RIGHTS] & ~REC_RIGHTS_ALL)
		return MN_EPROTO;
	g->rights = p[G_RIGHTS];
	memcpy(g->admin_pk, p + G_ADMIN, REC_PK_LEN);
	g->not_after_ms = mn_get_be64(p + G_NOT_AFTER);
	memcpy(g->sig, p + G_SIG, REC_SIG_LEN);
	return MN_OK;
}

int rec_grant_encode(const struct rec_grant *g, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, cap, 0 };
	int err = put_grant(&w, g);

	*len = err ? 0 : w.len;
	return err;
}

int rec_grant_decode(struct rec_grant *g, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	int err;

	memset(g, 0, sizeof(*g));
	if ((err = get_grant(&r, g)))
		return err;
	return r.off == len ? MN_OK : MN_EPROTO;
}

/* Grant signature and revocation; the rights are the caller's to judge. */
static int check_grant(const struct rec_network *net, const struct rec_grant *g,
		       const struct rec_revoked *rv, struct rec_memo *memo)
{
	uint8_t enc[REC_GRANT_LEN], msg[MSG_MAX];
	size_t len;
	int err;

	if ((err = rec_grant_encode(g, enc, sizeof(enc), &len)))
		return err;
	if (is_revoked(rv, g->admin_pk))
		return MN_EREVOKED;
	if (same_key(g->admin_pk, net->root_pk))
		return MN_EAUTH;
	len = sig_msg(msg, tag_grant, net, enc, G_SIG, NULL, 0);
	return check_sig(memo, net->root_pk, msg, len, g->sig);
}

int rec_grant_verify(const struct rec_network *net, const struct rec_grant *g,
		     const struct rec_revoked *rv, struct rec_memo *memo)
{
	return check_grant(net, g, rv, memo);
}

int rec_grant_sign(const struct rec_network *net, const struct rec_key *root,
		   struct rec_grant *g)
{
	uint8_t enc[REC_GRANT_LEN], msg[MSG_MAX];
	size_t len;
	int err;

	memset(g->sig, 0, REC_SIG_LEN);
	if (sodium_memcmp(root->pk, net->root_pk, REC_PK_LEN) != 0)
		return MN_EINVAL;
	if ((err = rec_grant_encode(g, enc, sizeof(enc), &len)))
		return err;
	len = sig_msg(msg, tag_grant, net, enc, G_SIG, NULL, 0);
	if ((err = make_sig(root, msg, len, g->sig)))
		goto out;
	err = check_grant(net, g, NULL, NULL);
out:
	if (err)
		memset(g->sig, 0, REC_SIG_LEN);
	return err;
}

/* ---- invite ---- */

static int put_invite(struct wr *w, const struct rec_invite *inv)
{
	uint8_t *p;
	int err;

	if (!signer_ok(inv->signer) || (inv->flags & ~REC_INV_FLAGS_ALL) ||
	    inv->max_uses == 0)
		return MN_EPROTO;
	if (!(p = put(w, I_GRANT)))
		return MN_EMSGSIZE;
	p[O_VER] = REC_FORMAT;
	p[O_TYPE] = REC_T_INVITE;
	p[I_SIGNER] = inv->signer;
	p[I_FLAGS] = inv->flags;
	memcpy(p + I_PK, inv->invite_pk, REC_PK_LEN);
	mn_put_be64(p + I_EXPIRES, inv->expires_ms);
	mn_put_be16(p + I_USES, inv->max_uses);
	if (inv->signer == REC_BY_ADMIN && (err = put_grant(w, &inv->grant)))
		return err;
	if (!(p = put(w, REC_SIG_LEN)))
		return MN_EMSGSIZE;
	memcpy(p, inv->sig, REC_SIG_LEN);
	return MN_OK;
}

static int get_invite(struct rd *r, struct rec_invite *inv)
{
	const uint8_t *p;
	int err;

	if (!(p = take(r, I_GRANT)))
		return MN_ETRUNC;
	if (p[O_VER] != REC_FORMAT || p[O_TYPE] != REC_T_INVITE)
		return MN_EPROTO;
	if (!signer_ok(p[I_SIGNER]) || (p[I_FLAGS] & ~REC_INV_FLAGS_ALL))
		return MN_EPROTO;
	inv->signer = p[I_SIGNER];
	inv->flags = p[I_FLAGS];
	memcpy(inv->invite_pk, p + I_PK, REC_PK_LEN);
	inv->expires_ms = mn_get_be64(p + I_EXPIRES);
	inv->max_uses = mn_get_be16(p + I_USES);
	if (inv->max_uses == 0)
		return MN_EPROTO;
	if (inv->signer == REC_BY_ADMIN && (err = get_grant(r, &inv->grant)))
		return err;
	if (!(p = take(r, REC_SIG_LEN)))
		return MN_ETRUNC;
	memcpy(inv->sig, p, REC_SIG_LEN);
	return MN_OK;
}

int rec_invite_encode(const struct rec_invite *inv, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, cap, 0 };
	int err = put_invite(&w, inv);

	*len = err ? 0 : w.len;
	return err;
}

int rec_invite_decode(struct rec_invite *inv, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	int err;

	memset(inv, 0, sizeof(*inv));
	if ((err = get_invite(&r, inv)))
		return err;
	return r.off == len ? MN_OK : MN_EPROTO;
}

/* The key that signed the invite. */
static const uint8_t *invite_signer_pk(const struct rec_network *net,
				       const struct rec_invite *inv)
{
	return inv->signer == REC_BY_ADMIN ? inv->grant.admin_pk : net->root_pk;
}

/* The invite chain given its encoding enc[len]. */
static int check_invite(const struct rec_network *net, const struct rec_invite *inv,
			const uint8_t *enc, size_t len, const struct rec_revoked *rv,
			struct rec_memo *memo)
{
	uint8_t msg[MSG_MAX];
	size_t mlen;
	int err;

	if (is_revoked(rv, inv->invite_pk))
		return MN_EREVOKED;
	if (same_key(inv->invite_pk, net->root_pk))
		return MN_EAUTH;
	if (inv->signer == REC_BY_ADMIN) {
		const struct rec_grant *g = &inv->grant;
		if (is_revoked(rv, g->admin_pk))
			return MN_EREVOKED;
		/* Rights before signatures: refusing is cheaper than verifying. */
		if (same_key(inv->invite_pk, g->admin_pk))
			return MN_EAUTH;
		if (!(g->rights & REC_RIGHT_INVITE))
			return MN_EAUTH;
		if ((inv->flags & REC_INV_ROUTES) && !(g->rights & REC_RIGHT_ROUTES))
			return MN_EAUTH;
		if (inv->expires_ms > g->not_after_ms)
			return MN_EAUTH;
		if ((err = check_grant(net, g, rv, memo)))
			return err;
	}
	mlen = sig_msg(msg, tag_invite, net, enc, len - REC_SIG_LEN, NULL, 0);
	return check_sig(memo, invite_signer_pk(net, inv), msg, mlen, inv->sig);
}

int rec_invite_verify(const struct rec_network *net, const struct rec_invite *inv,
		      const struct rec_revoked *rv, struct rec_memo *memo)
{
	uint8_t enc[REC_INVITE_MAX];
	size_t len;
	int err;

	if ((err = rec_invite_encode(inv, enc, sizeof(enc), &len)))
		return err;
	return check_invite(net, inv, enc, len, rv, memo);
}

int rec_invite_sign(const struct rec_network *net, const struct rec_key *signer,
		    struct rec_invite *inv)
{
	uint8_t enc[REC_INVITE_MAX], msg[MSG_MAX];
	size_t len, mlen;
	int err;

	memset(inv->sig, 0, REC_SIG_LEN);
	if (!signer_ok(inv->signer))
		return MN_EINVAL;
	if (inv->signer == REC_BY_ROOT)
		memset(&inv->grant, 0, sizeof(inv->grant));
	if (sodium_memcmp(signer->pk, invite_signer_pk(net, inv), REC_PK_LEN) != 0)
		return MN_EINVAL;
	if ((err = rec_invite_encode(inv, enc, sizeof(enc), &len)))
		return err;
	mlen = sig_msg(msg, tag_invite, net, enc, len - REC_SIG_LEN, NULL, 0);
	if ((err = make_sig(signer, msg, mlen, inv->sig)))
		goto out;
	err = rec_invite_verify(net, inv, NULL, NULL);
out:
	if (err)
		memset(inv->sig, 0, REC_SIG_LEN);
	return err;
}

/* ---- admission ---- */

static int put_admission(struct wr *w, const struct rec_admission *a)
{
	uint8_t *p;

	if (a->admitter > REC_BY_MEMBER)
		return MN_EPROTO;
	if (!(p = put(w, REC_ADMISSION_LEN)))
		return MN_EMSGSIZE;
	p[O_VER] = REC_FORMAT;
	p[O_TYPE] = REC_T_ADMISSION;
	p[A_KIND] = a->admitter;
	memcpy(p + A_NODE, a->node_pk, REC_PK_LEN);
	memcpy(p + A_IPV4, a->ipv4, 4);
	mn_put_be64(p + A_AT, a->admitted_ms);
	memcpy(p + A_ADMITTER, a->admitter_pk, REC_PK_LEN);
	memcpy(p + A_PROOF, a->proof, REC_SIG_LEN);
	memcpy(p + A_SIG, a->sig, REC_SIG_LEN);
	return MN_OK;
}

static int get_admission(struct rd *r, struct rec_admission *a)
{
	const uint8_t *p;

	if (!(p = take(r, REC_ADMISSION_LEN)))
		return MN_ETRUNC;
	if (p[O_VER] != REC_FORMAT || p[O_TYPE] != REC_T_ADMISSION)
		return MN_EPROTO;
	if (p[A_KIND] > REC_BY_MEMBER)
		return MN_EPROTO;
	a->admitter = p[A_KIND];
	memcpy(a->node_pk, p + A_NODE, REC_PK_LEN);
	memcpy(a->ipv4, p + A_IPV4, 4);
	a->admitted_ms = mn_get_be64(p + A_AT);
	memcpy(a->admitter_pk, p + A_ADMITTER, REC_PK_LEN);
	memcpy(a->proof, p + A_PROOF, REC_SIG_LEN);
	memcpy(a->sig, p + A_SIG, REC_SIG_LEN);
	return MN_OK;
}

int rec_admission_encode(const struct rec_admission *a, uint8_t *buf, size_t cap,
			 size_t *len)
{
	struct wr w = { buf, cap, 0 };
	int err = put_admission(&w, a);

	*len = err ? 0 : w.len;
	return err;
}

int rec_admission_decode(struct rec_admission *a, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	int err;

	memset(a, 0, sizeof(*a));
	if ((err = get_admission(&r, a)))
		return err;
	return r.off == len ? MN_OK : MN_EPROTO;
}

/* Inside the network's IPv4 prefix, and not its network or broadcast address. */
static bool ipv4_ok(const struct rec_network *net, const uint8_t ip[4])
{
	uint32_t a = mn_get_be32(ip), pfx = mn_get_be32(net->v4.addr);
	uint32_t mask;

	/* rec_network_init allows 1..30 bits; stay defined for any struct. */
	if (net->v4.bits < 1 || net->v4.bits > 30)
		return false;
	mask = ~UINT32_C(0) << (32 - net->v4.bits);
	if ((a & mask) != pfx)
		return false;
	return (a & ~mask) != 0 && (a & ~mask) != ~mask;
}

/* Dated after the invite's expiry plus REC_SKEW_MS. Both times are signed,
 * so this needs no clock; an expiry within REC_SKEW_MS of UINT64_MAX never
 * passes (no overflow). rec_admit applies it to its own clock. */
static bool admitted_late(const struct rec_invite *inv, uint64_t at_ms)
{
	return inv->expires_ms < UINT64_MAX - REC_SKEW_MS &&
	       at_ms > inv->expires_ms + REC_SKEW_MS;
}

/* The two prefixes share an address (same family, and the shorter one
 * covers the longer one's leading bits). */
static bool prefix_overlap(const struct mn_prefix *a, const struct mn_prefix *b)
{
	unsigned bits = a->bits < b->bits ? a->bits : b->bits;
	unsigned bytes = bits / 8, rest = bits % 8;

	if (a->family != b->family)
		return false;
	if (memcmp(a->addr, b->addr, bytes) != 0)
		return false;
	return rest == 0 || ((a->addr[bytes] ^ b->addr[bytes]) & (0xff00u >> rest) & 0xff) == 0;
}

/* The admission of a against an invite already checked, whose encoding is
 * ienc[ilen]; aenc is a's encoding. */
static int check_admission(const struct rec_network *net, const struct rec_invite *inv,
			   const uint8_t *ienc, size_t ilen,
			   const struct rec_admission *a, const uint8_t *aenc,
			   const struct rec_revoked *rv, struct rec_memo *memo)
{
	uint8_t msg[MSG_MAX];
	size_t mlen;
	int err;

	switch (a->admitter) {
	case REC_BY_ROOT:
		if (sodium_memcmp(a->admitter_pk, net->root_pk, REC_PK_LEN) != 0)
			return MN_EAUTH;
		break;
	case REC_BY_ADMIN:
		/* Only the admin that issued the invite: its grant is the one
		 * the chain carries. */
		if (inv->signer != REC_BY_ADMIN)
			return MN_EPROTO;
		if (sodium_memcmp(a->admitter_pk, inv->grant.admin_pk, REC_PK_LEN) != 0)
			return MN_EAUTH;
		break;
	case REC_BY_MEMBER:
		/* A key cannot vouch for itself. */
		if (sodium_memcmp(a->admitter_pk, a->node_pk, REC_PK_LEN) == 0)
			return MN_EAUTH;
		if (is_revoked(rv, a->admitter_pk))
			return MN_EREVOKED;
		/* A member admitter is a node key: not the chain's root, admin
		 * or invite key. */
		if (same_key(a->admitter_pk, net->root_pk) ||
		    same_key(a->admitter_pk, inv->invite_pk) ||
		    (inv->signer == REC_BY_ADMIN && same_key(a->admitter_pk, inv->grant.admin_pk)))
			return MN_EAUTH;
		break;
	default:
		return MN_EPROTO;
	}
	/* The node key is none of the chain's other keys: one that is also an
	 * admin or invite key could be revoked by whoever may revoke it in
	 * its other role (doc/membership.md "One key, one role"). */
	if (same_key(a->node_pk, net->root_pk) || same_key(a->node_pk, inv->invite_pk) ||
	    (inv->signer == REC_BY_ADMIN && same_key(a->node_pk, inv->grant.admin_pk)))
		return MN_EAUTH;
	if (!ipv4_ok(net, a->ipv4))
		return MN_ERANGE;
	if (admitted_late(inv, a->admitted_ms))
		return MN_EEXPIRED;
	if (is_revoked(rv, a->node_pk))
		return MN_EREVOKED;
	/* The join proof: the invite holder vouches for this node key. */
	mlen = sig_msg(msg, tag_join, net, a->node_pk, REC_PK_LEN, NULL, 0);
	if ((err = check_sig(memo, inv->invite_pk, msg, mlen, a->proof)))
		return err;
	mlen = sig_msg(msg, tag_adm, net, ienc, ilen, aenc, A_SIG);
	return check_sig(memo, a->admitter_pk, msg, mlen, a->sig);
}

int rec_admission_verify(const struct rec_network *net, const struct rec_invite *inv,
			 const struct rec_admission *a, const struct rec_revoked *rv,
			 struct rec_memo *memo)
{
	uint8_t ienc[REC_INVITE_MAX], aenc[REC_ADMISSION_LEN];
	size_t ilen, alen;
	int err;

	if ((err = rec_invite_encode(inv, ienc, sizeof(ienc), &ilen)) ||
	    (err = rec_admission_encode(a, aenc, sizeof(aenc), &alen)))
		return err;
	if ((err = check_invite(net, inv, ienc, ilen, rv, memo)))
		return err;
	return check_admission(net, inv, ienc, ilen, a, aenc, rv, memo);
}

void rec_join_proof(const struct rec_network *net, const struct rec_key *invite_key,
		    const uint8_t node_pk[REC_PK_LEN], uint8_t proof[REC_SIG_LEN])
{
	uint8_t msg[MSG_MAX];
	size_t len = sig_msg(msg, tag_join, net, node_pk, REC_PK_LEN, NULL, 0);

	make_sig(invite_key, msg, len, proof);
}

int rec_admit(const struct rec_network *net, const struct rec_invite *inv,
	      const struct rec_key *admitter, enum rec_signer kind,
	      const uint8_t node_pk[REC_PK_LEN], const uint8_t proof[REC_SIG_LEN],
	      const uint8_t ipv4[4], uint64_t now_ms, const struct rec_revoked *rv,
	      struct rec_memo *memo, struct rec_admission *out)
{
	uint8_t ienc[REC_INVITE_MAX], aenc[REC_ADMISSION_LEN], msg[MSG_MAX];
	size_t ilen, alen, mlen;
	int err;

	memset(out, 0, sizeof(*out));
	if ((unsigned)kind > REC_BY_MEMBER)
		return MN_EINVAL;
	if ((err = rec_invite_encode(inv, ienc, sizeof(ienc), &ilen)))
		return err;
	if ((err = check_invite(net, inv, ienc, ilen, rv, memo)))
		return err;
	/* The one clock check of the whole chain (DESIGN.md §4): the invite
	 * must not have expired, give or take REC_SKEW_MS, by the admitter's
	 * clock now, which becomes the signed admitted_ms. Verifiers compare
	 * admitted_ms with the expiry (both signed), never a clock, so no
	 * member expires with its invite. */
	if (admitted_late(inv, now_ms))
		return MN_EEXPIRED;
	out->admitter = (uint8_t)kind;
	memcpy(out->node_pk, node_pk, REC_PK_LEN);
	memcpy(out->ipv4, ipv4, 4);
	out->admitted_ms = now_ms;
	memcpy(out->admitter_pk, admitter->pk, REC_PK_LEN);
	memcpy(out->proof, proof, REC_SIG_LEN);
	if ((err = rec_admission_encode(out, aenc, sizeof(aenc), &alen)))
		goto out;
	mlen = sig_msg(msg, tag_adm, net, ienc, ilen, aenc, A_SIG);
	if ((err = make_sig(admitter, msg, mlen, out->sig)))
		goto out;
	if ((err = rec_admission_encode(out, aenc, sizeof(aenc), &alen)))
		goto out;
	/* Kind, key, address, revocation, proof, and our own signature. */
	err = check_admission(net, inv, ienc, ilen, out, aenc, rv, memo);
out:
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

bool rec_admission_reanchors(const struct rec_admission *a, const struct rec_admission *b)
{
	return (b->admitter == REC_BY_ROOT || b->admitter == REC_BY_ADMIN) &&
	       !memcmp(a->node_pk, b->node_pk, REC_PK_LEN) && !memcmp(a->ipv4, b->ipv4, 4) &&
	       !memcmp(a->proof, b->proof, REC_SIG_LEN) && a->admitted_ms == b->admitted_ms;
}

/* ---- member record ---- */

static int put_route(struct wr *w, const struct mn_prefix *rt)
{
	size_t n = ((size_t)rt->bits + 7) / 8;
	uint8_t *p;

	if (!route_ok(rt))
		return MN_EPROTO;
	if (!(p = put(w, 2 + n)))
		return MN_EMSGSIZE;
	p[0] = rt->family == AF_INET ? 4 : 6;
	p[1] = rt->bits;
	memcpy(p + 2, rt->addr, n);
	return MN_OK;
}

static int get_route(struct rd *r, struct mn_prefix *rt)
{
	const uint8_t *p;
	size_t n;

	memset(rt, 0, sizeof(*rt));
	if (!(p = take(r, 2)))
		return MN_ETRUNC;
	if (p[0] == 4)
		rt->family = AF_INET;
	else if (p[0] == 6)
		rt->family = AF_INET6;
	else
		return MN_EPROTO;
	if (p[1] > (rt->family == AF_INET ? 32 : 128))
		return MN_EPROTO;
	rt->bits = p[1];
	n = ((size_t)rt->bits + 7) / 8;
	if (!(p = take(r, n)))
		return MN_ETRUNC;
	memcpy(rt->addr, p, n);
	return route_ok(rt) ? MN_OK : MN_EPROTO;
}

/* The encoding, and where the admission starts in it. */
static int put_member(struct wr *w, const struct rec_member *m, size_t *adm_off)
{
	uint8_t *p;
	int err;

	if ((m->flags & ~REC_MEM_FLAGS_ALL) || m->nroutes > REC_MAX_ROUTES ||
	    m->name_len > REC_NAME_MAX || !rec_name_ok(m->name, m->name_len))
		return MN_EPROTO;
	if (m->adm.admitter == REC_BY_ADMIN && m->invite.signer != REC_BY_ADMIN)
		return MN_EPROTO;
	if (!(p = put(w, 2)))
		return MN_EMSGSIZE;
	p[O_VER] = REC_FORMAT;
	p[O_TYPE] = REC_T_MEMBER;
	if ((err = put_invite(w, &m->invite)))
		return err;
	*adm_off = w->len;
	if ((err = put_admission(w, &m->adm)))
		return err;
	if (!(p = put(w, M_BODY_FIXED + m->name_len + 1)))
		return MN_EMSGSIZE;
	p[0] = m->flags;
	mn_put_be64(p + 1, m->version);
	p[9] = m->name_len;
	memcpy(p + M_BODY_FIXED, m->name, m->name_len);
	p[M_BODY_FIXED + m->name_len] = m->nroutes;
	for (unsigned i = 0; i < m->nroutes; i++)
		if ((err = put_route(w, &m->routes[i])))
			return err;
	if (!(p = put(w, REC_SIG_LEN)))
		return MN_EMSGSIZE;
	memcpy(p, m->sig, REC_SIG_LEN);
	return MN_OK;
}

int rec_member_encode(const struct rec_member *m, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, cap, 0 };
	size_t adm_off;
	int err = put_member(&w, m, &adm_off);

	*len = err ? 0 : w.len;
	return err;
}

int rec_member_decode(struct rec_member *m, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	const uint8_t *p;
	int err;

	memset(m, 0, sizeof(*m));
	if (!(p = take(&r, 2)))
		return MN_ETRUNC;
	if (p[O_VER] != REC_FORMAT || p[O_TYPE] != REC_T_MEMBER)
		return MN_EPROTO;
	if ((err = get_invite(&r, &m->invite)) || (err = get_admission(&r, &m->adm)))
		return err;
	if (m->adm.admitter == REC_BY_ADMIN && m->invite.signer != REC_BY_ADMIN)
		return MN_EPROTO;
	if (!(p = take(&r, M_BODY_FIXED)))
		return MN_ETRUNC;
	if (p[0] & ~REC_MEM_FLAGS_ALL)
		return MN_EPROTO;
	m->flags = p[0];
	m->version = mn_get_be64(p + 1);
	m->name_len = p[9];
	if (m->name_len < 1 || m->name_len > REC_NAME_MAX)
		return MN_EPROTO;
	if (!(p = take(&r, m->name_len)))
		return MN_ETRUNC;
	memcpy(m->name, p, m->name_len);
	if (!rec_name_ok(m->name, m->name_len))
		return MN_EPROTO;
	if (!(p = take(&r, 1)))
		return MN_ETRUNC;
	if (p[0] > REC_MAX_ROUTES)
		return MN_EPROTO;
	m->nroutes = p[0];
	for (unsigned i = 0; i < m->nroutes; i++)
		if ((err = get_route(&r, &m->routes[i])))
			return err;
	if (!(p = take(&r, REC_SIG_LEN)))
		return MN_ETRUNC;
	memcpy(m->sig, p, REC_SIG_LEN);
	return r.off == len ? MN_OK : MN_EPROTO;
}

/* Everything but the record's own signature, over its encoding enc[len]. */
static int check_member_chain(const struct rec_network *net, const struct rec_member *m,
			      const uint8_t *enc, size_t adm_off,
			      const struct rec_revoked *rv, struct rec_memo *memo)
{
	const uint8_t *ienc = enc + 2;
	size_t ilen = adm_off - 2;
	int err;

	if (m->nroutes > 0 && !(m->invite.flags & REC_INV_ROUTES))
		return MN_EAUTH;
	/* No route may cover a member's overlay address: none overlaps the
	 * network's IPv4 prefix or IPv6 /48 (doc/membership.md, rule 3). */
	for (unsigned i = 0; i < m->nroutes; i++)
		if (prefix_overlap(&m->routes[i], &net->v4) ||
		    prefix_overlap(&m->routes[i], &net->v6))
			return MN_EAUTH;
	if ((err = check_invite(net, &m->invite, ienc, ilen, rv, memo)))
		return err;
	return check_admission(net, &m->invite, ienc, ilen, &m->adm, enc + adm_off,
			       rv, memo);
}

int rec_member_verify(const struct rec_network *net, const struct rec_member *m,
		      const struct rec_revoked *rv, struct rec_memo *memo)
{
	uint8_t enc[REC_MEMBER_MAX], msg[MSG_MAX];
	struct wr w = { enc, sizeof(enc), 0 };
	size_t adm_off, mlen;
	int err;

	if ((err = put_member(&w, m, &adm_off)))
		return err;
	if ((err = check_member_chain(net, m, enc, adm_off, rv, memo)))
		return err;
	mlen = sig_msg(msg, tag_member, net, enc, w.len - REC_SIG_LEN, NULL, 0);
	return check_sig(memo, m->adm.node_pk, msg, mlen, m->sig);
}

int rec_member_sign(const struct rec_network *net, const struct rec_key *node,
		    struct rec_member *m)
{
	uint8_t enc[REC_MEMBER_MAX], msg[MSG_MAX];
	struct wr w = { enc, sizeof(enc), 0 };
	size_t adm_off, mlen;
	int err;

	memset(m->sig, 0, REC_SIG_LEN);
	if (sodium_memcmp(node->pk, m->adm.node_pk, REC_PK_LEN) != 0)
		return MN_EINVAL;
	if ((err = put_member(&w, m, &adm_off)))
		return err;
	mlen = sig_msg(msg, tag_member, net, enc, w.len - REC_SIG_LEN, NULL, 0);
	if ((err = make_sig(node, msg, mlen, m->sig)))
		goto out;
	err = rec_member_verify(net, m, NULL, NULL);
out:
	if (err)
		memset(m->sig, 0, REC_SIG_LEN);
	return err;
}

/* ---- revocation ---- */

static int put_revoke(struct wr *w, const struct rec_revoke *t)
{
	uint8_t *p;
	int err;

	if (!signer_ok(t->signer))
		return MN_EPROTO;
	if (!(p = put(w, R_GRANT)))
		return MN_EMSGSIZE;
	p[O_VER] = REC_FORMAT;
	p[O_TYPE] = REC_T_REVOKE;
	p[R_SIGNER] = t->signer;
	memcpy(p + R_TARGET, t->target_pk, REC_PK_LEN);
	mn_put_be64(p + R_AT, t->revoked_ms);
	if (t->signer == REC_BY_ADMIN && (err = put_grant(w, &t->grant)))
		return err;
	if (!(p = put(w, REC_SIG_LEN)))
		return MN_EMSGSIZE;
	memcpy(p, t->sig, REC_SIG_LEN);
	return MN_OK;
}

int rec_revoke_encode(const struct rec_revoke *t, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, cap, 0 };
	int err = put_revoke(&w, t);

	*len = err ? 0 : w.len;
	return err;
}

int rec_revoke_decode(struct rec_revoke *t, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	const uint8_t *p;
	int err;

	memset(t, 0, sizeof(*t));
	if (!(p = take(&r, R_GRANT)))
		return MN_ETRUNC;
	if (p[O_VER] != REC_FORMAT || p[O_TYPE] != REC_T_REVOKE || !signer_ok(p[R_SIGNER]))
		return MN_EPROTO;
	t->signer = p[R_SIGNER];
	memcpy(t->target_pk, p + R_TARGET, REC_PK_LEN);
	t->revoked_ms = mn_get_be64(p + R_AT);
	if (t->signer == REC_BY_ADMIN && (err = get_grant(&r, &t->grant)))
		return err;
	if (!(p = take(&r, REC_SIG_LEN)))
		return MN_ETRUNC;
	memcpy(t->sig, p, REC_SIG_LEN);
	return r.off == len ? MN_OK : MN_EPROTO;
}

int rec_revoke_verify(const struct rec_network *net, const struct rec_revoke *t,
		      const struct rec_revoked *rv, struct rec_memo *memo)
{
	uint8_t enc[REC_REVOKE_MAX], msg[MSG_MAX];
	size_t len, mlen;
	int err;

	if ((err = rec_revoke_encode(t, enc, sizeof(enc), &len)))
		return err;
	/* The root is the trust anchor; replacing it is a new network. */
	if (sodium_memcmp(t->target_pk, net->root_pk, REC_PK_LEN) == 0)
		return MN_EAUTH;
	if (t->signer == REC_BY_ADMIN) {
		const struct rec_grant *g = &t->grant;
		if (is_revoked(rv, g->admin_pk))
			return MN_EREVOKED;
		/* An admin never revokes itself (only the root revokes admins). */
		if (!(g->rights & REC_RIGHT_REVOKE) || t->revoked_ms > g->not_after_ms ||
		    same_key(t->target_pk, g->admin_pk))
			return MN_EAUTH;
		if ((err = check_grant(net, g, rv, memo)))
			return err;
	}
	mlen = sig_msg(msg, tag_revoke, net, enc, len - REC_SIG_LEN, NULL, 0);
	return check_sig(memo, t->signer == REC_BY_ADMIN ? t->grant.admin_pk : net->root_pk,
			 msg, mlen, t->sig);
}

int rec_revoke_sign(const struct rec_network *net, const struct rec_key *signer,
		    struct rec_revoke *t)
{
	uint8_t enc[REC_REVOKE_MAX], msg[MSG_MAX];
	const uint8_t *want;
	size_t len, mlen;
	int err;

	memset(t->sig, 0, REC_SIG_LEN);
	if (!signer_ok(t->signer))
		return MN_EINVAL;
	if (t->signer == REC_BY_ROOT)
		memset(&t->grant, 0, sizeof(t->grant));
	want = t->signer == REC_BY_ADMIN ? t->grant.admin_pk : net->root_pk;
	if (sodium_memcmp(signer->pk, want, REC_PK_LEN) != 0)
		return MN_EINVAL;
	if ((err = rec_revoke_encode(t, enc, sizeof(enc), &len)))
		return err;
	mlen = sig_msg(msg, tag_revoke, net, enc, len - REC_SIG_LEN, NULL, 0);
	if ((err = make_sig(signer, msg, mlen, t->sig)))
		goto out;
	err = rec_revoke_verify(net, t, NULL, NULL);
out:
	if (err)
		memset(t->sig, 0, REC_SIG_LEN);
	return err;
}

/* An admin tombstone reaches only what that admin issued: its invites. */
static bool issued_by(const struct rec_revoke *t, const struct rec_invite *inv)
{
	return inv->signer == REC_BY_ADMIN &&
	       sodium_memcmp(inv->grant.admin_pk, t->grant.admin_pk, REC_PK_LEN) == 0;
}

int rec_revoke_authorized_invite(const struct rec_revoke *t, const struct rec_invite *inv)
{
	if (t->signer == REC_BY_ROOT)
		return MN_OK;
	if (t->signer == REC_BY_ADMIN && issued_by(t, inv) &&
	    sodium_memcmp(t->target_pk, inv->invite_pk, REC_PK_LEN) == 0)
		return MN_OK;
	return MN_EAUTH;
}

int rec_revoke_authorized(const struct rec_revoke *t, const struct rec_member *m)
{
	if (t->signer == REC_BY_ROOT)
		return MN_OK;
	if (t->signer == REC_BY_ADMIN && issued_by(t, &m->invite) &&
	    sodium_memcmp(t->target_pk, m->adm.node_pk, REC_PK_LEN) == 0)
		return MN_OK;
	return rec_revoke_authorized_invite(t, &m->invite);
}

/* ---- races ---- */

void rec_race_hash(const uint8_t adm_sig[REC_SIG_LEN], uint8_t out[REC_RACE_LEN])
{
	crypto_generichash(out, REC_RACE_LEN, adm_sig, REC_SIG_LEN, NULL, 0);
}

/* ---- versions ---- */

uint64_t rec_next_version(uint64_t stored, uint64_t wall_ms)
{
	uint64_t next = stored == UINT64_MAX ? UINT64_MAX : stored + 1;

	return next > wall_ms ? next : wall_ms;
}

int rec_member_cmp(const struct rec_member *a, const struct rec_member *b)
{
	int c;

	if (a->version != b->version)
		return a->version > b->version ? 1 : -1;
	/* Ed25519 signatures are deterministic: equal content, equal sig. */
	c = memcmp(a->sig, b->sig, REC_SIG_LEN);
	return c < 0 ? 1 : c > 0 ? -1 : 0;
}

/* ---- address announcements ---- */

int rec_addr_sign(const struct rec_network *net, const struct rec_key *node, const uint8_t *body,
		  size_t len, uint8_t sig[REC_SIG_LEN])
{
	uint8_t msg[MSG_MAX];
	size_t mlen;

	if (len > REC_ADDR_BODY_MAX)
		return MN_EMSGSIZE;
	mlen = sig_msg(msg, tag_addr, net, body, len, NULL, 0);
	return make_sig(node, msg, mlen, sig);
}

int rec_addr_verify(const struct rec_network *net, const uint8_t pk[REC_PK_LEN],
		    const uint8_t *body, size_t len, const uint8_t sig[REC_SIG_LEN],
		    struct rec_memo *memo)
{
	uint8_t msg[MSG_MAX];
	size_t mlen;

	if (len > REC_ADDR_BODY_MAX)
		return MN_EMSGSIZE;
	mlen = sig_msg(msg, tag_addr, net, body, len, NULL, 0);
	return check_sig(memo, pk, msg, mlen, sig);
}
