/* swim_tomb.c - revocation tombstones: their table, their effect, their
 * dissemination and push-pull reconciliation.
 */
#include "swim_internal.h"

/* ---- tombstones ----
 *
 * Revocation tombstones (doc/membership.md "Revocation: who may revoke
 * whom"; doc/gossip.md §3, §5): verified with rec_revoke_verify, kept
 * forever in their own table (SWIM_MAX_TOMBS, then refused and counted),
 * applied once effective, spread like updates (piggybacked, at most
 * retransmit_limit times each) and reconciled by push-pull over the set of
 * their ids: a grow-only set, the same on every member once push-pull has
 * run, whatever the order things arrived in. Only two things leave it: an
 * admin tombstone a record shows out of the admin's scope, and the
 * tombstones of an admin that is itself revoked ("counts for nothing");
 * both are refused everywhere, so the sets still converge. */

#define TOMB_WORK_MAX (2 * SWIM_MAX_TOMBS) /* table entries a PP message may walk */
/* Tombstones are retransmitted this many times the updates' limit: they are
 * rare, and a member that misses every copy accepts the revoked key until
 * its next push-pull, minutes at scale (doc/gossip.md §9, "Found by the
 * simulator"). */
#define TOMB_RETRANSMIT_MULT 3

_Static_assert(SWIM_MAX_TOMBS <= UINT16_MAX && (SWIM_MAX_TOMBS & (SWIM_MAX_TOMBS - 1)) == 0,
	       "tombstone counts fit a range's u16; the table doubles up to the bound");
_Static_assert(SWIM_ITEM_LIST_HDR + SWIM_ITEM_SUSPECT_LEN + SWIM_ITEM_SUSPECT_LEN +
	       SWIM_TOMB_PER_MSG * (SWIM_ITEM_REVOKE_HDR + REC_REVOKE_MAX) <=
	       SWIM_PT_MAX - SWIM_BODY_HDR, "piggybacked tombstones fit any full message");
_Static_assert(SWIM_ITEM_TLIST_HDR + 8 * SWIM_TLIST_MAX <= SWIM_PT_MAX - SWIM_BODY_HDR - 1,
	       "a full TLIST fits one datagram");

static uint64_t tomb_id(const struct swim *s, const uint8_t *b, size_t len)
{
	uint8_t in[1 + REC_REVOKE_MAX];

	in[0] = 't';
	memcpy(in + 1, b, len);
	return sip(s->digest_key, in, 1 + len);
}

/* The first position of ord whose id is >= id. */
static uint32_t tomb_lower(const struct tombs *tb, uint64_t id)
{
	uint32_t lo = 0, hi = tb->nvalid;

	while (lo < hi) {
		uint32_t h = lo + (hi - lo) / 2;
		if (tb->ord[h].id < id)
			lo = h + 1;
		else
			hi = h;
	}
	return lo;
}

/* The positions [*lo, *hi) of ord whose ids start with prefix/bits. */
static void tomb_span(const struct tombs *tb, uint32_t bits, uint64_t prefix, uint32_t *lo,
		      uint32_t *hi)
{
	uint64_t last = prefix | ~prefix_mask(bits);

	*lo = tomb_lower(tb, prefix);
	*hi = last == UINT64_MAX ? tb->nvalid : tomb_lower(tb, last + 1);
}

static void tomb_sum(const struct tombs *tb, uint32_t bits, uint64_t prefix, uint64_t *hash,
		     uint32_t *count)
{
	uint32_t lo, hi;

	*hash = 0;
	*count = 0;
	if (tb->nvalid == 0)
		return;
	tomb_span(tb, bits, prefix, &lo, &hi);
	*hash = tb->prefix_xor[hi] ^ tb->prefix_xor[lo];
	*count = hi - lo;
}

static uint32_t tomb_find_id(const struct tombs *tb, uint64_t id)
{
	uint32_t pos = tomb_lower(tb, id);

	return pos < tb->nvalid && tb->ord[pos].id == id ? tb->ord[pos].slot : NONE;
}

static void tomb_prefix_xor(struct tombs *tb, uint32_t from)
{
	for (uint32_t k = from; k < tb->nvalid; k++)
		tb->prefix_xor[k + 1] = tb->prefix_xor[k] ^ tb->ord[k].id;
}

static void tomb_reidx(struct tombs *tb)
{
	oatab_clear(&tb->by_target);
	for (uint32_t k = 0; k < tb->n; k++)
		if (!(tb->t[k].flags & T_VOID))
			oatab_put(&tb->by_target, seal_key_id(tb->t[k].target), k);
}

/* Each valid slot whose target is pk, from *pos (start at
 * oatab_home(&tb->by_target, seal_key_id(pk))); NONE at the end. */
static uint32_t tomb_next_target(const struct tombs *tb, const uint8_t pk[REC_PK_LEN],
				 uint32_t *pos)
{
	const struct oatab *t = &tb->by_target;

	for (; t->slot[*pos] != OATAB_EMPTY; *pos = oatab_next(t, *pos)) {
		uint32_t k = t->slot[*pos];
		if (memcmp(tb->t[k].target, pk, REC_PK_LEN) == 0) {
			*pos = oatab_next(t, *pos);
			return k;
		}
	}
	return NONE;
}

static bool tomb_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	const struct tombs *tb = &s->tombs;
	uint32_t pos, k;

	if (tb->nvalid == 0)
		return false;
	pos = oatab_home(&tb->by_target, seal_key_id(pk));
	while ((k = tomb_next_target(tb, pk, &pos)) != NONE)
		if (tb->t[k].flags & T_EFFECTIVE)
			return true;
	return false;
}

/* A pending (admin, not yet effective) tombstone against pk, or NONE. */
static uint32_t tomb_pending_for(const struct tombs *tb, const uint8_t pk[REC_PK_LEN])
{
	uint32_t pos = oatab_home(&tb->by_target, seal_key_id(pk)), k;

	while ((k = tomb_next_target(tb, pk, &pos)) != NONE)
		if (!(tb->t[k].flags & T_EFFECTIVE))
			return k;
	return NONE;
}

/* The rec_revoked every check in swim uses (s->revoked). */
static bool tomb_is_revoked(void *ctx, const uint8_t pk[REC_PK_LEN])
{
	const struct swim *s = ctx;
	const struct rec_revoked *u = s->tombs.user_revoked;

	return tomb_revoked(s, pk) || (u && u->is_revoked && u->is_revoked(u->ctx, pk));
}

void tomb_init(struct swim *s, const struct rec_revoked *user)
{
	s->tombs.user_revoked = user;
	s->tombs.revoked.is_revoked = tomb_is_revoked;
	s->tombs.revoked.ctx = s;
	s->revoked = &s->tombs.revoked;
}

void tomb_free(struct swim *s)
{
	free(s->tombs.t);
	free(s->tombs.ord);
	free(s->tombs.prefix_xor);
	oatab_free(&s->tombs.by_target);
}

/* Double the table (8 slots first), up to SWIM_MAX_TOMBS. */
static int tomb_grow(struct tombs *tb)
{
	uint32_t cap = tb->cap ? tb->cap * 2 : 8;
	struct tomb *t;
	struct tomb_ord *o;
	uint64_t *pxor;
	struct oatab by_target;

	if (cap > SWIM_MAX_TOMBS)
		return MN_EFULL;
	if (!(t = realloc(tb->t, cap * sizeof(*t))))
		return MN_ENOMEM;
	tb->t = t;
	if (!(o = realloc(tb->ord, cap * sizeof(*o))))
		return MN_ENOMEM;
	tb->ord = o;
	if (!(pxor = realloc(tb->prefix_xor, (cap + 1) * sizeof(*pxor))))
		return MN_ENOMEM;
	tb->prefix_xor = pxor;
	if (oatab_init(&by_target, 2 * cap) != MN_OK)
		return MN_ENOMEM;
	oatab_free(&tb->by_target);
	tb->by_target = by_target;
	tb->cap = cap;
	tb->prefix_xor[0] = 0;
	tomb_reidx(tb);
	return MN_OK;
}

static void tomb_unqueue(struct tombs *tb, uint32_t k)
{
	uint32_t u = 0;

	for (uint32_t j = 0; j < tb->ntx; j++)
		if (tb->tx[j].slot != k)
			tb->tx[u++] = tb->tx[j];
	tb->ntx = u;
}

/* Queue slot k for piggybacking; when the queue is full the most-sent
 * entry makes room (push-pull is the backstop). */
static void tomb_queue(struct tombs *tb, uint32_t k)
{
	uint32_t j = tb->ntx;

	if (tb->ntx == SWIM_MAX_TOMB_BCAST) {
		j = 0;
		for (uint32_t x = 1; x < tb->ntx; x++)
			if (tb->tx[x].transmits > tb->tx[j].transmits)
				j = x;
	} else {
		tb->ntx++;
	}
	tb->tx[j].slot = k;
	tb->tx[j].transmits = 0;
}

static int tomb_insert(struct tombs *tb, const uint8_t *b, size_t len, const struct rec_revoke *t,
		       uint64_t id, uint8_t flags, uint32_t *out)
{
	struct tomb *e;
	uint32_t k, pos;
	int err;

	for (k = 0; k < tb->n && !(tb->t[k].flags & T_VOID); k++)
		;
	if (k == tb->n) {
		if (tb->n == tb->cap && (err = tomb_grow(tb)) != MN_OK)
			return err;
		tb->n++;
	}
	e = &tb->t[k];
	memset(e, 0, sizeof(*e));
	e->id = id;
	memcpy(e->target, t->target_pk, REC_PK_LEN);
	if (t->signer == REC_BY_ADMIN)
		memcpy(e->admin, t->grant.admin_pk, REC_PK_LEN);
	e->len = (uint16_t)len;
	e->flags = flags;
	memcpy(e->bytes, b, len);
	pos = tomb_lower(tb, id);
	memmove(tb->ord + pos + 1, tb->ord + pos, (tb->nvalid - pos) * sizeof(*tb->ord));
	tb->ord[pos].id = id;
	tb->ord[pos].slot = k;
	tb->nvalid++;
	tomb_prefix_xor(tb, pos);
	oatab_put(&tb->by_target, seal_key_id(e->target), k);
	if (!(flags & T_EFFECTIVE))
		tb->pending++;
	*out = k;
	return MN_OK;
}

/* Drop slot k from the table (it is refused from now on). */
static void tomb_void(struct tombs *tb, uint32_t k)
{
	struct tomb *e = &tb->t[k];
	uint32_t pos = tomb_lower(tb, e->id);

	if (e->flags & T_VOID)
		return;
	if (!(e->flags & T_EFFECTIVE))
		tb->pending--;
	e->flags = T_VOID;
	memmove(tb->ord + pos, tb->ord + pos + 1, (tb->nvalid - pos - 1) * sizeof(*tb->ord));
	tb->nvalid--;
	tomb_prefix_xor(tb, pos);
	tomb_reidx(tb);
	tomb_unqueue(tb, k);
}

static void tomb_emit(struct swim *s, uint32_t k)
{
	const struct tomb *t = &s->tombs.t[k];
	struct swim_event ev;
	uint32_t i = member_find_pk(s, t->target);

	if (!s->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SWIM_EV_REVOKED;
	if (i != NONE) {
		ev.rec = s->m[i].rec;
		ev.inc = s->m[i].inc;
	}
	ev.boot = s->boot;
	ev.at = s->now;
	ev.tomb = t->bytes;
	ev.tomb_len = t->len;
	s->event(s->event_ctx, &ev);
}

/* Effective tombstones drop their targets in every role: the members whose
 * record holds the key (and, transitively, what they admitted), and the
 * tombstones signed by it as an admin ("counts for nothing"). Inside
 * swim_recv this waits until the datagram is done (tomb_flush at its end),
 * so no handler loses the member it is answering. */
void tomb_flush(struct swim *s)
{
	struct tombs *tb = &s->tombs;
	struct mn_time now = { s->now, 0 };

	if (!tb->due)
		return;
	tb->due = false;
	for (uint32_t k = 0; k < tb->n; k++) {
		struct tomb *t = &tb->t[k];
		if ((t->flags & (T_EFFECTIVE | T_APPLIED | T_VOID)) != T_EFFECTIVE)
			continue;
		t->flags |= T_APPLIED;
		swim_remove(s, t->target, now);
		for (uint32_t j = 0; j < tb->n; j++)
			if ((tb->t[j].flags & (T_ADMIN | T_VOID)) == T_ADMIN &&
			    memcmp(tb->t[j].admin, t->target, REC_PK_LEN) == 0)
				tomb_void(tb, j);
	}
}

static void tomb_effect(struct swim *s)
{
	s->tombs.due = true;
	if (!s->in_rx)
		tomb_flush(s);
}

/* An admin tombstone against the records we hold: MN_OK when one naming its
 * target (as node or invite key) puts the target in the admin's scope,
 * MN_EAUTH when records name it but none does, MN_ENOENT when none does
 * (pending). A scan of the members: tombstones are rare. */
static int tomb_scope(const struct swim *s, const struct rec_revoke *t)
{
	struct rec_member dm;
	int res = MN_ENOENT;

	if (t->signer == REC_BY_ROOT)
		return MN_OK;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct swim_rec *r = s->m[i].rec;
		if (!present(&s->m[i]) || (memcmp(r->pk, t->target_pk, REC_PK_LEN) != 0 &&
					   memcmp(r->invite_pk, t->target_pk, REC_PK_LEN) != 0))
			continue;
		if (rec_member_decode(&dm, r->bytes, r->len) != MN_OK)
			continue;
		if (rec_revoke_authorized(t, &dm) == MN_OK)
			return MN_OK;
		res = MN_EAUTH;
	}
	return res;
}

/* A verified record r names the target of pending admin tombstones (as its
 * node or invite key): each becomes effective (r is then refused by the
 * revocation check after this) or, out of the admin's scope, is dropped. */
void tomb_settle(struct swim *s, const struct swim_rec *r)
{
	struct tombs *tb = &s->tombs;
	struct rec_member dm;
	struct rec_revoke t;
	bool decoded = false;
	uint32_t k;

	while (tb->pending) {
		k = tomb_pending_for(tb, r->pk);
		if (k == NONE)
			k = tomb_pending_for(tb, r->invite_pk);
		if (k == NONE)
			return;
		if (!decoded && rec_member_decode(&dm, r->bytes, r->len) != MN_OK)
			return;
		decoded = true;
		if (rec_revoke_decode(&t, tb->t[k].bytes, tb->t[k].len) == MN_OK &&
		    rec_revoke_authorized(&t, &dm) == MN_OK) {
			tb->t[k].flags |= T_EFFECTIVE;
			tb->pending--;
			tomb_effect(s);
		} else {
			bump(s, SWIM_STAT_TOMBS_REFUSED, 1);
			tomb_void(tb, k);
		}
	}
}

/* pk is an admin key (a verified grant named it): the admin tombstones
 * waiting for a record naming pk leave the table, refused. Only the root
 * revokes an admin, whatever record names its key in another role
 * (doc/membership.md "One key, one role"). */
void tomb_admin_known(struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	struct tombs *tb = &s->tombs;
	uint32_t k;

	while (tb->pending && (k = tomb_pending_for(tb, pk)) != NONE) {
		bump(s, SWIM_STAT_TOMBS_REFUSED, 1);
		bump(s, SWIM_STAT_REFUSED_KEY_ROLE, 1);
		tomb_void(tb, k);
	}
}

/* An admin's tombstone that is neither void nor in effect yet: against a key
 * no record names (doc/membership.md "Revocation"). */
static bool tomb_admin_pending(const struct tomb *e)
{
	return (e->flags & (T_VOID | T_EFFECTIVE | T_ADMIN)) == T_ADMIN;
}

/* Room for tombstone t (effective: in scope now), evicting if need be. Bounds (doc/membership.md
 * "Revocation"): admins' tombstones fill at most SWIM_MAX_TOMBS -
 * SWIM_TOMB_ROOT_RESERVE slots, and each admin holds at most
 * SWIM_TOMB_PENDING_MAX pending (against keys no record names yet: kept
 * forever otherwise, and any admin can sign them for random keys); the
 * root's always find room, a pending admin one giving way when the table
 * is full, until the root's own fill it. So a rogue admin cannot make
 * itself impossible to revoke by filling the table. */
static bool tomb_make_room(struct tombs *tb, const struct rec_revoke *t, bool effective)
{
	if (t->signer == REC_BY_ADMIN) {
		uint32_t pending = 0;
		if (tb->nvalid >= SWIM_MAX_TOMBS - SWIM_TOMB_ROOT_RESERVE)
			return false;
		for (uint32_t k = 0; !effective && tb->pending && k < tb->n; k++) {
			const struct tomb *e = &tb->t[k];
			pending += tomb_admin_pending(e) &&
				   memcmp(e->admin, t->grant.admin_pk, REC_PK_LEN) == 0;
		}
		return pending < SWIM_TOMB_PENDING_MAX;
	}
	if (tb->nvalid < SWIM_MAX_TOMBS)
		return true;
	for (uint32_t k = 0; tb->pending && k < tb->n; k++) {
		if (tomb_admin_pending(&tb->t[k])) {
			tomb_void(tb, k);
			return true;
		}
	}
	return false;
}

/* Verify and keep a tombstone, apply it if effective, queue it (announce).
 * Cheap checks first: size, decoding, already held (no crypto at all for a
 * tombstone heard again); then, one a member sent (from), its budget
 * (swim_budget.c: it pays for a tombstone that is not kept, and one it
 * cannot pay for is not verified, MN_EBUSY); then rec_revoke_verify
 * against our table (an admin we hold revoked signs nothing), then the
 * scope. */
static int tomb_accept(struct swim *s, const uint8_t *b, size_t len, bool announce,
		       uint32_t from)
{
	struct tombs *tb = &s->tombs;
	struct rec_revoke t;
	uint64_t id;
	uint32_t k, checks = 0;
	int err, scope;

	err = len >= REC_REVOKE_ROOT_LEN && len <= REC_REVOKE_MAX ? rec_revoke_decode(&t, b, len)
								  : MN_EPROTO;
	if (err)
		goto refused;
	id = tomb_id(s, b, len);
	/* held (or, 2^-64, another one with the same id: the first stays) */
	if (tomb_find_id(tb, id) != NONE)
		return MN_EEXIST;
	if (from != NONE) {
		checks = t.signer == REC_BY_ADMIN ? 2 : 1; /* grant, tombstone */
		if (!budget_holds(s, from, checks))
			return MN_EBUSY;
	}
	err = rec_revoke_verify(s->net, &t, &tb->revoked, s->memo);
	if (!err)
		err = trust_tomb_roles(s, &t);
	if (err)
		goto refused;
	scope = tomb_scope(s, &t);
	if (scope == MN_EAUTH) {
		err = MN_EAUTH;
		goto refused;
	}
	if (!tomb_make_room(tb, &t, scope == MN_OK)) {
		bump(s, SWIM_STAT_TOMBS_FULL, 1);
		if (checks)
			budget_charge(s, from, checks);
		return MN_EFULL;
	}
	err = tomb_insert(tb, b, len, &t, id,
			  (uint8_t)((t.signer == REC_BY_ADMIN ? T_ADMIN : 0) |
				    (scope == MN_OK ? T_EFFECTIVE : 0)), &k);
	if (err)
		return err;
	bump(s, SWIM_STAT_TOMBS_KEPT, 1);
	tomb_emit(s, k);
	if (announce)
		tomb_queue(tb, k);
	if (tb->t[k].flags & T_EFFECTIVE)
		tomb_effect(s);
	return MN_OK;
refused:
	bump(s, SWIM_STAT_TOMBS_REFUSED, 1);
	if (checks && err != MN_ENOMEM)
		budget_charge(s, from, checks);
	return err;
}

/* ---- tombstones on the wire ---- */

static void put_tomb_item(uint8_t *p, const struct tomb *t)
{
	p[UPD_KIND] = SWIM_I_REVOKE;
	mn_put_be16(p + REVOKE_LEN, t->len);
	memcpy(p + REVOKE_TOMB, t->bytes, t->len);
}

/* Queued tombstones ride first, after a buddy item: fewest transmissions
 * first, SWIM_TOMB_PER_MSG at most (the updates behind them keep room),
 * each TOMB_RETRANSMIT_MULT * retransmit_limit times. */
void tomb_piggyback(struct swim *s, struct out *o)
{
	struct tombs *tb = &s->tombs;
	bool picked[SWIM_MAX_TOMB_BCAST] = { false };
	uint32_t limit = TOMB_RETRANSMIT_MULT * dissem_retransmit_limit(s), u = 0;

	if (tb->ntx == 0)
		return;
	for (uint32_t n = 0; n < SWIM_TOMB_PER_MSG; n++) {
		uint32_t best = NONE;
		const struct tomb *t;
		uint8_t *p;
		for (uint32_t j = 0; j < tb->ntx; j++)
			if (!picked[j] && (best == NONE || tb->tx[j].transmits < tb->tx[best].transmits))
				best = j;
		if (best == NONE)
			break;
		picked[best] = true;
		t = &tb->t[tb->tx[best].slot];
		p = wire_out_put(o, SWIM_ITEM_REVOKE_HDR + t->len);
		if (!p)
			continue; /* a root one (110 bytes) may still fit */
		put_tomb_item(p, t);
		tb->tx[best].transmits++;
	}
	for (uint32_t j = 0; j < tb->ntx; j++)
		if (tb->tx[j].transmits < limit)
			tb->tx[u++] = tb->tx[j];
	tb->ntx = u;
}

/* A REVOKE item's length when well formed (its framing only), else 0. */
size_t tomb_item_len(const uint8_t *p, size_t avail)
{
	size_t l;

	if (avail < SWIM_ITEM_REVOKE_HDR)
		return 0;
	l = mn_get_be16(p + REVOKE_LEN);
	if (l < REC_REVOKE_ROOT_LEN || l > REC_REVOKE_MAX || avail - SWIM_ITEM_REVOKE_HDR < l)
		return 0;
	return SWIM_ITEM_REVOKE_HDR + l;
}

/* A REVOKE item (framing checked) from member `from`: accepted and passed
 * on if new. */
size_t tomb_item_apply(struct swim *s, const uint8_t *p, uint32_t from)
{
	size_t l = mn_get_be16(p + REVOKE_LEN);

	tomb_accept(s, p + REVOKE_TOMB, l, true, from);
	return SWIM_ITEM_REVOKE_HDR + l;
}

bool tomb_pp_kind(uint8_t kind)
{
	return kind == SWIM_I_TRANGE || kind == SWIM_I_TLIST || kind == SWIM_I_REVOKE;
}

/* A push-pull tombstone item's length when well formed, else 0. A TLIST's
 * ids are in its range and strictly ascending. */
size_t tomb_pp_len(const uint8_t *p, size_t avail)
{
	uint64_t prefix, mask, prev = 0;
	size_t len;

	if (p[DIG_KIND] == SWIM_I_REVOKE)
		return tomb_item_len(p, avail);
	if (p[DIG_KIND] == SWIM_I_TRANGE)
		return pp_range_len(p, avail);
	len = pp_list_len(p, avail, 8, UINT8_MAX);
	if (len == 0)
		return 0;
	prefix = mn_get_be64(p + DIG_PREFIX);
	mask = prefix_mask(p[DIG_BITS]);
	for (uint32_t j = 0; j < p[LIST_N]; j++) {
		uint64_t id = mn_get_be64(p + LIST_ENTRIES + 8 * j);
		if ((id & mask) != prefix || (j > 0 && id <= prev))
			return 0;
		prev = id;
	}
	return len;
}

static void tombs_sum(const void *ctx, uint32_t bits, uint64_t prefix, uint64_t *hash,
		      uint32_t *count)
{
	tomb_sum(ctx, bits, prefix, hash, count);
}

static void put_trange(uint8_t *p, const struct tombs *tb, uint32_t bits, uint64_t prefix)
{
	uint32_t c;
	uint64_t h;

	tomb_sum(tb, bits, prefix, &h, &c);
	pp_put_range(p, SWIM_I_TRANGE, bits, prefix, c, h);
}

/* Our tombstone ids in a range (at most SWIM_TLIST_MAX of them). */
static void tomb_put_list(struct swim *s, struct pp_reply *w, uint32_t bits, uint64_t prefix,
			  bool want_reply)
{
	const struct tombs *tb = &s->tombs;
	uint32_t lo = 0, hi = 0, n;
	uint8_t *p;

	if (tb->nvalid)
		tomb_span(tb, bits, prefix, &lo, &hi);
	n = hi - lo > SWIM_TLIST_MAX ? SWIM_TLIST_MAX : hi - lo;
	p = pp_reply_put(s, w, SWIM_ITEM_TLIST_HDR + (size_t)n * 8);
	if (!p)
		return;
	pp_put_list_hdr(p, SWIM_I_TLIST, bits, prefix, want_reply, n);
	for (uint32_t j = 0; j < n; j++)
		mn_put_be64(p + LIST_ENTRIES + 8 * j, tb->ord[lo + j].id);
}

/* One push-pull tombstone item (checked by pp_check), the reply into w.
 *   REVOKE  a tombstone: accepted (and passed on) if new.
 *   TRANGE  equal -> nothing; both counts together <= SWIM_TLIST_MAX (or a
 *           64-bit range) -> our TLIST, reply wanted; else the 16 children.
 *   TLIST   their ids in the range: we send the tombstones of ours they
 *           lack; if they hold ids we lack and want a reply, our TLIST
 *           (or, holding more than a list carries, our TRANGE of it, so
 *           they descend), whereupon they send what we lack.
 * The TLIST merge walks our part of the range; per message at most
 * TOMB_WORK_MAX entries are walked (honest descents are disjoint ranges). */
size_t tomb_pp(struct swim *s, struct pp_reply *w, const uint8_t *p, uint32_t from,
	       uint32_t *work)
{
	struct tombs *tb = &s->tombs;
	uint32_t bits = p[DIG_BITS], lo = 0, hi = 0, ne, k, j;
	uint64_t prefix;
	const uint8_t *ids;
	bool lack = false;

	if (p[DIG_KIND] == SWIM_I_REVOKE)
		return tomb_item_apply(s, p, from);
	prefix = mn_get_be64(p + DIG_PREFIX);
	if (p[DIG_KIND] == SWIM_I_TRANGE) {
		uint32_t mine_n, theirs_n = mn_get_be16(p + RANGE_COUNT);
		uint64_t h;
		if (w->full)
			return SWIM_ITEM_RANGE_LEN;
		tomb_sum(tb, bits, prefix, &h, &mine_n);
		if (h == mn_get_be64(p + RANGE_HASH) && mine_n == theirs_n)
			return SWIM_ITEM_RANGE_LEN;
		if (bits == 64 || mine_n + theirs_n <= SWIM_TLIST_MAX)
			tomb_put_list(s, w, bits, prefix, true);
		else
			pp_put_children(s, w, SWIM_I_TRANGE, bits, prefix, tombs_sum, tb);
		return SWIM_ITEM_RANGE_LEN;
	}
	ne = p[LIST_N];
	ids = p + LIST_ENTRIES;
	if (tb->nvalid)
		tomb_span(tb, bits, prefix, &lo, &hi);
	*work += hi - lo + ne;
	if (w->full || *work > TOMB_WORK_MAX)
		return SWIM_ITEM_TLIST_HDR + (size_t)ne * 8;
	for (k = lo, j = 0; k < hi || j < ne;) {
		uint64_t theirs = j < ne ? mn_get_be64(ids + 8 * j) : 0;
		if (j == ne || (k < hi && tb->ord[k].id < theirs)) {
			const struct tomb *t = &tb->t[tb->ord[k].slot];
			uint8_t *q = w->full ? NULL : pp_reply_put(s, w, SWIM_ITEM_REVOKE_HDR + t->len);
			if (q)
				put_tomb_item(q, t);
			k++;
		} else if (k == hi || theirs < tb->ord[k].id) {
			lack = true;
			j++;
		} else {
			k++;
			j++;
		}
	}
	if (p[LIST_FLAGS] && lack && !w->full) {
		uint8_t *q;
		if (hi - lo <= SWIM_TLIST_MAX)
			tomb_put_list(s, w, bits, prefix, false);
		else if ((q = pp_reply_put(s, w, SWIM_ITEM_RANGE_LEN)) != NULL)
			put_trange(q, tb, bits, prefix);
	}
	return SWIM_ITEM_TLIST_HDR + (size_t)ne * 8;
}

/* The opening's second item: the root range of our tombstone ids. */
void tomb_pp_open(struct swim *s, struct out *o)
{
	uint8_t *p = wire_out_put(o, SWIM_ITEM_RANGE_LEN);

	if (p)
		put_trange(p, &s->tombs, 0, 0);
}

int swim_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now)
{
	s->now = now.mono;
	return tomb_accept(s, tomb, len, true, NONE);
}

int swim_restore_revoke(struct swim *s, const uint8_t *tomb, size_t len, struct mn_time now)
{
	s->now = now.mono;
	return tomb_accept(s, tomb, len, false, NONE);
}

bool swim_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	return member_key_revoked(s, pk);
}
