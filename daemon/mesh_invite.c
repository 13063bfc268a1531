/* mesh_invite.c - invites made by the daemon (mesh_invite.h). */
#include "mesh_invite.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invite_link.h"
#include "mesh_admin.h"
#include "mesh_lookup.h"
#include "mesh_root.h"
#include "mesh_state.h"
#include "mn_err.h"

static int find_member(const struct mesh_invite_env *e, const char *text,
		       uint8_t pk[REC_PK_LEN])
{
	struct mesh_lookup l = { .net = e->net, .swim = e->swim, .self_pk = e->self_pk,
				 .members = e->members, .n_members = e->n_members };

	return mesh_lookup_find(&l, text, pk);
}

/* ---- endpoints ---- */

static bool usable_v6(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
	       !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

uint32_t mesh_own_endpoints(const char *iface, uint16_t port, struct mn_addr out[2])
{
	struct ifaddrs *ifa, *p;
	bool have4 = false, have6 = false;
	uint32_t n = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (int want = AF_INET; want; want = want == AF_INET ? AF_INET6 : 0) {
		for (p = ifa; p; p = p->ifa_next) {
			struct mn_addr a;

			if (!p->ifa_addr || p->ifa_addr->sa_family != want ||
			    !(p->ifa_flags & IFF_UP) || (p->ifa_flags & IFF_LOOPBACK) ||
			    !strcmp(p->ifa_name, iface))
				continue;
			memset(&a, 0, sizeof(a));
			if (want == AF_INET && !have4 &&
			    (ntohl(((const struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr) >>
			     16) != 0xa9fe /* 169.254/16: link local */) {
				a.in4 = *(const struct sockaddr_in *)p->ifa_addr;
				a.in4.sin_port = htons(port);
				have4 = true;
			} else if (want == AF_INET6 && !have6 &&
				   usable_v6(&((const struct sockaddr_in6 *)p->ifa_addr)->sin6_addr)) {
				a.in6 = *(const struct sockaddr_in6 *)p->ifa_addr;
				a.in6.sin6_port = htons(port);
				a.in6.sin6_scope_id = 0;
				a.in6.sin6_flowinfo = 0;
				have6 = true;
			} else {
				continue;
			}
			out[n++] = a;
			break;
		}
	}
	freeifaddrs(ifa);
	return n;
}

/* Member pk into the link (us: our endpoints; another: where gossip
 * reaches it). false when it has no endpoint to list. */
static bool link_member(const struct mesh_invite_env *e, const uint8_t pk[REC_PK_LEN],
			struct invite_link_member *out)
{
	struct swim_member_info mi;

	memset(out, 0, sizeof(*out));
	if (!memcmp(pk, e->self_pk, REC_PK_LEN)) {
		out->nendpoints = (uint8_t)mesh_own_endpoints(e->iface, e->port, out->endpoints);
	} else if (swim_member(e->swim, pk, &mi) == MN_OK && mn_addr_is_set(&mi.addr)) {
		out->endpoints[0] = mi.addr;
		out->nendpoints = 1;
	}
	return out->nendpoints > 0;
}

/* The members the link lists: VIA's, else us and up to three alive
 * others. MN_ENOENT (with why) for a VIA name that is no member. */
static int link_members(const struct mesh_invite_env *e, const char *via, struct invite_link *l,
			struct control_reply *r)
{
	uint8_t pk[REC_PK_LEN];

	l->nmembers = 0;
	if (via && strcmp(via, "-")) {
		char list[CONTROL_REQ_MAX], *save = NULL;

		snprintf(list, sizeof(list), "%s", via);
		for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (l->nmembers == INVITE_LINK_MEMBERS) {
				control_reply_error(r, "invite: at most %d members in --via",
						    INVITE_LINK_MEMBERS);
				return MN_EINVAL;
			}
			if (find_member(e, tok, pk) < 0) {
				control_reply_error(r, "invite: no member %s", tok);
				return MN_ENOENT;
			}
			if (!link_member(e, pk, &l->members[l->nmembers])) {
				control_reply_error(r, "invite: no known endpoint for %s", tok);
				return MN_ENOENT;
			}
			l->nmembers++;
		}
		return MN_OK;
	}
	if (link_member(e, e->self_pk, &l->members[0]))
		l->nmembers++;
	for (uint32_t k = 0; k < e->n_members && l->nmembers < INVITE_LINK_MEMBERS; k++) {
		struct swim_member_info mi;

		if (swim_member(e->swim, e->members[k], &mi) == MN_OK && mi.state == SWIM_ALIVE &&
		    link_member(e, e->members[k], &l->members[l->nmembers]))
			l->nmembers++;
	}
	if (!l->nmembers) {
		control_reply_error(r, "invite: no member has an endpoint to list");
		return MN_ENOENT;
	}
	return MN_OK;
}

/* ---- requests ---- */

static uint64_t now_ms(const struct mesh_invite_env *e)
{
	return (uint64_t)e->now.wall / MN_NS_PER_MS;
}

/* The key invites are signed with: the root key if this node holds it,
 * else its admin key (the grant goes into the invite). */
static int signing_key(const struct mesh_invite_env *e, struct rec_key *key,
		       struct rec_invite *inv, struct control_reply *r)
{
	int rc = mesh_state_read_root_key(e->dir, key);

	if (rc == MN_OK && !memcmp(key->pk, e->net->root_pk, REC_PK_LEN)) {
		inv->signer = REC_BY_ROOT;
		return MN_OK;
	}
	if (rc == MN_OK)
		rec_key_wipe(key);
	if ((rc = mesh_admin_key(e->dir, e->net, key, &inv->grant)) == MN_OK) {
		inv->signer = REC_BY_ADMIN;
		return MN_OK;
	}
	control_reply_error(r, "only the root or an admin may invite: this node holds neither "
			    "key (meshnode admin add NODE, on the root, makes a member an admin)");
	return rc < 0 ? rc : MN_ENOENT;
}

static void req_make(const struct mesh_invite_env *e, int argc, char **argv,
		     struct control_reply *r)
{
	struct rec_key root, ik;
	struct invite_link l;
	uint8_t enc[REC_INVITE_MAX];
	char text[INVITE_LINK_TEXT_MAX], *end;
	unsigned long uses;
	long long secs;
	size_t len, enc_len;
	struct store_txn *t;
	int rc;

	if (argc < 4 || argc > 5) {
		control_reply_error(r, "invite make: USES SECONDS [VIA]");
		return;
	}
	uses = strtoul(argv[2], &end, 10);
	if (*end || !uses || uses > UINT16_MAX) {
		control_reply_error(r, "invite: uses must be 1 to %u", UINT16_MAX);
		return;
	}
	secs = strtoll(argv[3], &end, 10);
	if (*end || secs < -(long long)INT32_MAX || secs > (long long)INT32_MAX) {
		control_reply_error(r, "invite: bad expiry %s", argv[3]);
		return;
	}
	memset(&l, 0, sizeof(l));
	if (link_members(e, argc == 5 ? argv[4] : NULL, &l, r) < 0 ||
	    signing_key(e, &root, &l.invite, r) < 0)
		return;
	rec_key_generate(&ik, e->rng);
	l.invite.flags = 0; /* routes: a later issue (subnet routes) */
	memcpy(l.invite.invite_pk, ik.pk, REC_PK_LEN);
	l.invite.expires_ms = (uint64_t)((int64_t)now_ms(e) + secs * 1000);
	l.invite.max_uses = (uint16_t)uses;
	snprintf(l.network, sizeof(l.network), "%s", e->network);
	memcpy(l.root_pk, e->net->root_pk, REC_PK_LEN);
	l.v4 = e->net->v4;
	crypto_sign_ed25519_sk_to_seed(l.seed, ik.sk);
	if ((rc = rec_invite_sign(e->net, &root, &l.invite)) < 0 ||
	    (rc = rec_invite_encode(&l.invite, enc, sizeof(enc), &enc_len)) < 0 ||
	    (rc = invite_link_encode(&l, text, sizeof(text), &len)) < 0) {
		control_reply_error(r, "invite: cannot sign: %s", mn_strerror(rc));
		goto out;
	}
	if ((rc = store_txn_begin(e->store, &t)) == MN_OK) {
		if ((rc = store_put(t, STORE_CERTS, ik.pk, REC_PK_LEN, enc, enc_len)) == MN_OK)
			rc = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	if (rc < 0) {
		control_reply_error(r, "invite: cannot store it: %s", mn_strerror(rc));
		goto out;
	}
	control_reply_printf(r, "%s\n", text);
out:
	sodium_memzero(text, sizeof(text));
	invite_link_wipe(&l);
	rec_key_wipe(&ik);
	rec_key_wipe(&root);
}

/* `list` and `revoke` walk the invites made here. */
struct walk {
	const struct mesh_invite_env *e;
	struct control_reply *r;
	const char *id;                  /* revoke: the id asked for */
	uint8_t found[REC_PK_LEN];
	unsigned nfound;
};

static void id_hex(const uint8_t pk[REC_PK_LEN], char out[MESH_INVITE_ID_HEX + 1])
{
	sodium_bin2hex(out, MESH_INVITE_ID_HEX + 1, pk, MESH_INVITE_ID_HEX / 2);
}

static int list_one(void *ctx, const uint8_t *key, size_t klen, const uint8_t *v, size_t vlen)
{
	struct walk *w = ctx;
	struct rec_invite inv;
	char id[MESH_INVITE_ID_HEX + 1];
	uint64_t now = now_ms(w->e);
	unsigned used;

	if (klen != REC_PK_LEN || rec_invite_decode(&inv, v, vlen) != MN_OK)
		return 0;
	used = mesh_admit_uses(w->e->admit, inv.invite_pk);
	if (swim_revoked(w->e->swim, inv.invite_pk) || used >= inv.max_uses ||
	    inv.expires_ms + REC_SKEW_MS < now)
		return 0;
	id_hex(key, id);
	control_reply_printf(w->r, "%s %u/%u %" PRIu64 "\n", id, used, (unsigned)inv.max_uses,
			     inv.expires_ms > now ? (inv.expires_ms - now) / 1000 : 0);
	return 0;
}

static int match_one(void *ctx, const uint8_t *key, size_t klen, const uint8_t *v, size_t vlen)
{
	struct walk *w = ctx;
	char hex[2 * REC_PK_LEN + 1];

	(void)v;
	(void)vlen;
	if (klen != REC_PK_LEN)
		return 0;
	sodium_bin2hex(hex, sizeof(hex), key, REC_PK_LEN);
	if (!strncmp(hex, w->id, strlen(w->id))) {
		memcpy(w->found, key, REC_PK_LEN);
		w->nfound++;
	}
	return 0;
}

static void req_revoke(const struct mesh_invite_env *e, const char *id, struct control_reply *r)
{
	struct walk w = { .e = e, .r = r, .id = id };

	if (strlen(id) < MESH_INVITE_ID_MIN_HEX || strspn(id, "0123456789abcdef") != strlen(id)) {
		control_reply_error(r, "invite: an id is at least %d hex digits",
				    MESH_INVITE_ID_MIN_HEX);
		return;
	}
	store_foreach(e->store, STORE_CERTS, match_one, &w);
	if (w.nfound != 1) {
		control_reply_error(r, "invite: %s invite made here has the id %s",
				    w.nfound ? "more than one" : "no", id);
		return;
	}
	mesh_root_revoke(e->dir, e->net, e->swim, w.found, e->now, r);
}

void mesh_invite_request(const struct mesh_invite_env *e, int argc, char **argv,
			 struct control_reply *r)
{
	struct walk w = { .e = e, .r = r };

	if (argc >= 2 && !strcmp(argv[1], "make"))
		req_make(e, argc, argv, r);
	else if (argc == 2 && !strcmp(argv[1], "list"))
		store_foreach(e->store, STORE_CERTS, list_one, &w);
	else if (argc == 3 && !strcmp(argv[1], "revoke"))
		req_revoke(e, argv[2], r);
	else
		control_reply_error(r, "invite: make USES SECONDS [VIA] | list | revoke ID");
}
