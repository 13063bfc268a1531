/* node_peer.c - members become WireGuard peers (node.h): swim's events and
 * address changes program the WireGuard core, one change at a time, and
 * tell the driver which routes to add or remove; authenticated WireGuard
 * traffic moves paths and counts as evidence of life.
 *
 * Rules, in the order they apply:
 *   - a member's WireGuard key is its node key converted to X25519 (the
 *     record's xpk, converted once when swim interned it); a key that does
 *     not convert makes no peer (PEER_NO_KEY)
 *   - its prefixes are its IPv4 /32 (admission), its IPv6 /128 (derived)
 *     and its advertised routes (verified with the record); a newer record
 *     removes the prefixes it no longer has and adds the new ones, nothing
 *     else (the wg core lists a peer's prefixes: O(its prefixes))
 *   - a prefix another member's peer holds exactly is not taken
 *     (PREFIX_CONFLICT): mesh peers never overlap, WireGuard's "last set
 *     wins" never applies between members (doc/mesh-design.md, overlay
 *     IPv4 rule 4). Checked by cryptokey routing's own lookup, so exact for
 *     member addresses (nothing is longer than a /32 or /128); an equal
 *     route hidden under a longer one of a third member is not seen.
 *   - removed (swim_remove, revocation) -> every prefix's route removed,
 *     the peer removed with its sessions and staged packets
 *   - our own record revoked -> NODE_ACT_REVOKED
 */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

static void act(struct node *n, enum node_action_kind kind, const struct mn_prefix *p,
		const uint8_t *member)
{
	struct node_action a;

	if (!n->action)
		return;
	memset(&a, 0, sizeof(a));
	a.kind = kind;
	if (p)
		a.prefix = *p;
	a.member = member;
	n->action(n->action_ctx, &a);
}

static bool prefix_eq(const struct mn_prefix *a, const struct mn_prefix *b)
{
	return a->family == b->family && a->bits == b->bits &&
	       memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static bool prefix_in(const struct mn_prefix *p, const struct mn_prefix *set, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		if (prefix_eq(p, &set[j]))
			return true;
	return false;
}

static struct node_peer *peer_of_rec(const struct node *n, const struct swim_rec *r)
{
	struct wg_peer *wp = wg_dev_peer_find(n->wg, r->xpk);

	return wp ? wg_peer_user(wp) : NULL;
}

struct node_peer *peer_find(const struct node *n, const uint8_t pk[REC_PK_LEN])
{
	struct swim_member_info mi;

	if (swim_member(n->swim, pk, &mi) != MN_OK || !mi.rec)
		return NULL;
	return peer_of_rec(n, mi.rec);
}

/* Another member's peer holds exactly p. */
static bool held_by_other(const struct node *n, const struct node_peer *np,
			  const struct mn_prefix *p)
{
	struct wg_peer *owner = wg_dev_allowedips_lookup(n->wg, p->family, p->addr);
	const struct node_peer *other;

	if (!owner || owner == np->wp)
		return false;
	other = wg_peer_user(owner);
	return other && prefix_in(p, other->prefixes, other->nprefixes);
}

/* Make the peer's prefixes exactly want[0 .. nwant) (less conflicts),
 * touching only those that change. */
static void sync_prefixes(struct node *n, struct node_peer *np, const struct mn_prefix *want,
			  uint32_t nwant)
{
	uint32_t kept = 0;

	for (uint32_t j = 0; j < np->nprefixes; j++) {
		struct mn_prefix p = np->prefixes[j];
		if (prefix_in(&p, want, nwant)) {
			np->prefixes[kept++] = p;
			continue;
		}
		wg_peer_allowedip_remove(np->wp, &p);
		act(n, NODE_ACT_ROUTE_DEL, &p, np->pk);
	}
	np->nprefixes = kept;
	for (uint32_t j = 0; j < nwant && np->nprefixes < NODE_PREFIXES_MAX; j++) {
		const struct mn_prefix *p = &want[j];
		if (prefix_in(p, np->prefixes, np->nprefixes))
			continue;
		if (held_by_other(n, np, p)) {
			node_bump(n, NODE_STAT_PREFIX_CONFLICT);
			continue;
		}
		if (wg_peer_allowedip_add(np->wp, p) != MN_OK) {
			node_bump(n, NODE_STAT_PREFIX_FAILED);
			continue;
		}
		np->prefixes[np->nprefixes++] = *p;
		act(n, NODE_ACT_ROUTE_ADD, p, np->pk);
	}
}

/* The prefixes a record gives its member. */
static uint32_t record_prefixes(const struct swim_rec_info *ri, struct mn_prefix *out)
{
	uint32_t k = 0;

	memset(&out[k], 0, sizeof(out[k]));
	out[k].family = AF_INET;
	out[k].bits = 32;
	memcpy(out[k].addr, ri->ipv4, 4);
	k++;
	memset(&out[k], 0, sizeof(out[k]));
	out[k].family = AF_INET6;
	out[k].bits = 128;
	memcpy(out[k].addr, ri->ipv6, 16);
	k++;
	for (uint32_t j = 0; j < ri->nroutes && k < NODE_PREFIXES_MAX; j++)
		out[k++] = ri->routes[j];
	return k;
}

/* Point WireGuard where the chooser says. A relay path needs the relay
 * transport (not yet): the endpoint stays until a direct one is known. */
static void apply_path(struct node *n, struct node_peer *np)
{
	struct path_choice c;

	path_choose(&np->path, &c);
	if (c.kind != PATH_DIRECT)
		return;
	wg_peer_set_endpoint(np->wp, &c.dst);
	node_bump(n, NODE_STAT_PATH_CHANGES);
}

static struct node_peer *peer_add(struct node *n, const struct swim_rec *r)
{
	static const uint8_t zero[SEAL_KEY_LEN];
	struct node_peer *np;
	struct wg_peer *wp;
	int err;

	if (memcmp(r->xpk, zero, sizeof(zero)) == 0) {
		node_bump(n, NODE_STAT_PEER_NO_KEY);
		return NULL;
	}
	np = calloc(1, sizeof(*np));
	if (!np) {
		node_bump(n, NODE_STAT_PEER_FAILED);
		return NULL;
	}
	err = wg_dev_peer_add(n->wg, r->xpk, &wp);
	if (err != MN_OK) {
		/* MN_EEXIST: a peer set outside the mesh (UAPI) with this key */
		free(np);
		node_bump(n, NODE_STAT_PEER_FAILED);
		return NULL;
	}
	memcpy(np->pk, r->pk, REC_PK_LEN);
	memcpy(np->wg_pk, r->xpk, WG_KEY_LEN);
	np->wp = wp;
	path_init(&np->path);
	wg_peer_set_user(wp, np);
	wg_peer_set_locked(wp, true); /* `wg set` may not change it (wg.h) */
	n->npeers++;
	node_bump(n, NODE_STAT_PEERS_ADDED);
	return np;
}

static void peer_remove(struct node *n, struct node_peer *np)
{
	for (uint32_t j = 0; j < np->nprefixes; j++)
		act(n, NODE_ACT_ROUTE_DEL, &np->prefixes[j], np->pk);
	wg_dev_peer_remove(n->wg, np->wp);
	n->npeers--;
	node_bump(n, NODE_STAT_PEERS_REMOVED);
	free(np);
}

static void on_record(struct node *n, const struct swim_rec *r)
{
	struct mn_prefix want[NODE_PREFIXES_MAX];
	struct swim_rec_info ri;
	struct node_peer *np;

	if (memcmp(r->pk, n->self_pk, REC_PK_LEN) == 0 || !n->wg)
		return;
	/* a record swim verified always decodes */
	if (swim_rec_info(n->net, r, &ri) != MN_OK)
		return;
	np = peer_of_rec(n, r);
	if (ri.flags & REC_MEM_LEFT) {
		/* it left for good (doc/membership.md "Leave") */
		if (np)
			peer_remove(n, np);
		return;
	}
	if (np) {
		sync_prefixes(n, np, want, record_prefixes(&ri, want));
		return;
	}
	if (!(np = peer_add(n, r)))
		return;
	sync_prefixes(n, np, want, record_prefixes(&ri, want));
	node_replay_stash(n);
}

void peer_on_event(void *ctx, const struct swim_event *ev)
{
	struct node *n = ctx;
	struct node_peer *np;

	switch (ev->kind) {
	case SWIM_EV_RECORD:
		/* first or newer version alike: the prefixes are synced */
		on_record(n, ev->rec);
		break;
	case SWIM_EV_REMOVED:
		if ((np = peer_of_rec(n, ev->rec)))
			peer_remove(n, np);
		break;
	case SWIM_EV_REVOKED:
		if (ev->rec && memcmp(ev->rec->pk, n->self_pk, REC_PK_LEN) == 0)
			act(n, NODE_ACT_REVOKED, NULL, n->self_pk);
		break;
	case SWIM_EV_ALIVE:
	case SWIM_EV_SUSPECT:
	case SWIM_EV_DEAD:
	case SWIM_EV_SELF_INC:
	case SWIM_EV_BOOT:
		/* a member that is down is still a member: its peer stays */
		break;
	}
	if (n->event)
		n->event(n->event_ctx, ev);
}

void peer_on_addr(void *ctx, const struct swim_addr_change *c)
{
	struct node *n = ctx;
	struct node_peer *np = peer_of_rec(n, c->rec);

	/* its own signed word that it moved counts as proof: the address we
	 * proved is where it was (swim_ann.c) */
	if (np && path_offer(&np->path, &c->addr,
			     c->direct || c->announced ? PATH_SRC_PROVEN : PATH_SRC_HINT, c->at))
		apply_path(n, np);
}

void peer_on_auth(struct node *n, struct wg_peer *wp, const struct mn_addr *from,
		  const struct mn_addr *local, const struct mn_addr *relay, struct mn_time now)
{
	struct node_peer *np = wg_peer_user(wp);
	struct path_rx rx = { from, local, relay };

	if (!np)
		return; /* a peer set outside the mesh */
	if (path_on_rx(&np->path, &rx, now.mono))
		apply_path(n, np);
	if (!np->evidence_told || mn_elapsed(now.mono, np->evidence_at, NODE_EVIDENCE_INTERVAL_NS)) {
		np->evidence_told = true;
		np->evidence_at = now.mono;
		swim_heard_from(n->swim, np->pk, now);
		node_bump(n, NODE_STAT_EVIDENCE);
	}
}

/* Traffic waits on a handshake with this member: our record to it first
 * (swim_introduce: once per boot, nothing if it has spoken to us), so its
 * WireGuard does not drop our initiation for lack of our record while
 * gossip brings it (a newcomer unheard of there: the epidemic can miss a
 * member, doc/gossip.md §4). Once per peer, not per packet. */
void peer_on_staged(struct node *n, const uint8_t *pkt, size_t len, struct mn_time now)
{
	struct wg_peer *wp = wg_dev_route(n->wg, pkt, len);
	struct node_peer *np = wp ? wg_peer_user(wp) : NULL;

	if (!np || np->introduced)
		return;
	switch (swim_introduce(n->swim, np->pk, now)) {
	case MN_OK:
		node_bump(n, NODE_STAT_INTRODUCED);
		/* fall through */
	case MN_EEXIST: /* sent before, or it has spoken to us */
		np->introduced = true;
		break;
	default: /* no address for it yet: again at the next staged packet */
		break;
	}
}

void peer_free_all(struct node *n)
{
	struct wg_peer *wp = NULL;

	if (!n->wg)
		return;
	while ((wp = wg_dev_peer_next(n->wg, wp)))
		free(wg_peer_user(wp));
}
