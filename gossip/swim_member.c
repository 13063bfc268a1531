/* swim_member.c - the member table: the index by key id, liveness state,
 * learning (verifying, adopting) records, and removal.
 */
#include "swim_internal.h"

void member_emit(struct swim *s, enum swim_event_kind kind, uint32_t i)
{
	struct swim_event ev;

	if (!s->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.rec = s->m[i].rec;
	ev.inc = s->m[i].inc;
	ev.boot = s->boot;
	ev.at = s->now;
	if (kind == SWIM_EV_RECORD) {
		ev.first = !(s->m[i].flags & M_RECORD_TOLD);
		s->m[i].flags |= M_RECORD_TOLD;
	}
	s->event(s->event_ctx, &ev);
}

/* ---- member index (oatab.h: by key id) ---- */

uint32_t member_find(const struct swim *s, uint64_t id)
{
	const struct oatab *t = &s->index;

	for (uint32_t pos = oatab_home(t, id); t->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(t, pos))
		if (member_id(s, t->slot[pos]) == id)
			return t->slot[pos];
	return NONE;
}

uint32_t member_find_pk(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	uint32_t i = member_find(s, seal_key_id(pk));

	if (i == NONE || memcmp(s->m[i].rec->pk, pk, REC_PK_LEN) != 0)
		return NONE;
	return i;
}

static int index_grow(struct swim *s)
{
	struct oatab t;

	if (oatab_init(&t, oatab_slots(&s->index) * 2) != MN_OK)
		return MN_ENOMEM;
	for (uint32_t i = 0; i < s->n; i++)
		if (present(&s->m[i]))
			oatab_put(&t, member_id(s, i), i);
	oatab_free(&s->index);
	s->index = t;
	return MN_OK;
}

static uint64_t index_key(const void *ctx, uint32_t i)
{
	return member_id(ctx, i);
}

static void index_del(struct swim *s, uint64_t id)
{
	const struct oatab *t = &s->index;

	for (uint32_t pos = oatab_home(t, id); t->slot[pos] != OATAB_EMPTY;
	     pos = oatab_next(t, pos)) {
		if (member_id(s, t->slot[pos]) == id) {
			oatab_del_at(&s->index, pos, index_key, s);
			return;
		}
	}
}

/* ---- liveness state ---- */

static void count_state(struct swim *s, uint8_t state, int d)
{
	if (state == SWIM_ALIVE)
		s->nalive += (uint32_t)d;
	else if (state == SWIM_SUSPECT)
		s->nsuspect += (uint32_t)d;
	else if (state == SWIM_DEAD)
		s->ndead += (uint32_t)d;
}

/* Set state and incarnation, keeping counts, digests and events right. */
void member_set_state(struct swim *s, uint32_t i, uint8_t state, uint32_t inc)
{
	struct member *m = &s->m[i];
	uint8_t old = m->state;

	if (old == state && m->inc == inc)
		return;
	if ((m->flags & M_LEFT) && state != SWIM_DEAD)
		return; /* it left: nothing brings it back */
	digest_toggle(s, i);
	count_state(s, old, -1);
	m->state = state;
	m->inc = inc;
	count_state(s, state, 1);
	digest_toggle(s, i);
	if (old != state) {
		m->since = s->now;
		/* back from the dead: a cut between us healed, or it restarted;
		 * our views went apart meanwhile (swim_on_timer) */
		if (old == SWIM_DEAD && state == SWIM_ALIVE && i != 0)
			s->pp_back = i;
		if (state == SWIM_ALIVE)
			member_emit(s, SWIM_EV_ALIVE, i);
		else if (state == SWIM_SUSPECT)
			member_emit(s, SWIM_EV_SUSPECT, i);
		else
			member_emit(s, SWIM_EV_DEAD, i);
	}
}

/* ---- slots ----
 *
 * A removed member's slot is free, and the next member added takes it: a
 * list of free slots linked through leaf_next (a free slot is in no digest
 * leaf), the last freed first; the table grows only when none is free. So
 * churn (revocations, lost use races, a network's turnover) never fills
 * the table: s->n is the most members held at once, never above
 * max_members, and the free slots every scan over 1 .. s->n still walks
 * (probe order, random picks, push-pull, trust and tombstone scans) are
 * s->n minus the members held, each waiting for the next member.
 *
 * Members never move. Compaction (the last member into the hole) would
 * keep s->n at the members held, but every index held elsewhere would
 * have to follow the member moved, and callers hold indices across calls
 * that may remove (member_adopt). Instead, at removal everything that
 * names the slot forgets it (slot_forget), so nothing of the old member is
 * taken for the new one's. */

static void keycache_forget(struct swim *s, uint32_t i)
{
	struct key_cache *c = &s->keycache[i % SWIM_KEYCACHE];

	if (c->member == i) {
		seal_keys_wipe(&c->k);
		c->member = NONE;
	}
}

/* Slot i's member is being removed: every index of it held elsewhere is
 * dropped (its suspicion, queued update, digest links, index and trust
 * entries go in member_remove; the slot itself is zeroed there: seal pair
 * window, token, address, flags). GONE, not NONE, where "there was one"
 * counts (a push-pull brought forward, a record request's source, a helper
 * that never answered): it then acts as the stale index did when slots
 * were never reused. Anything new that holds a member index either is
 * cleared here or must not outlive its member. */
static void slot_forget(struct swim *s, uint32_t i)
{
	keycache_forget(s, i);
	/* the running probe ends with its target; a helper no longer counts */
	if (s->probe.member == i)
		s->probe.member = NONE;
	for (uint32_t j = 0; j < s->probe.nhelpers; j++)
		if (s->probe.helpers[j] == i)
			s->probe.helpers[j] = GONE;
	/* ping-reqs we serve for it, or about it */
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++)
		if (s->relay[j].used && (s->relay[j].target == i || s->relay[j].requester == i))
			s->relay[j].used = false;
	/* accusers of other members' suspicions: a confirmation by the next
	 * occupant is a new one */
	for (uint32_t h = 0; h < s->heap_n; h++) {
		struct susp *p = &s->susps[s->heap[h]];
		for (uint32_t j = 0; j < p->naccusers; j++) {
			if (p->accusers[j] == i)
				p->accusers[j] = GONE;
			if (p->senders[j] == i)
				p->senders[j] = GONE;
		}
	}
	/* output sealed for it names no member (swim_poll_tx_to) */
	for (uint32_t j = 0; j < s->tx_n; j++)
		if (s->tx[(s->tx_head + j) % s->tx_cap].to == i)
			s->tx[(s->tx_head + j) % s->tx_cap].to = NONE;
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++)
		if (s->wants[j].used && s->wants[j].from == i)
			s->wants[j].from = GONE;
	if (s->buddy[i % BUDDY_SLOTS].member == i)
		s->buddy[i % BUDDY_SLOTS].member = NONE;
	if (s->probe_again == i)
		s->probe_again = NONE;
	if (s->last_from == i)
		s->last_from = GONE;
	if (s->pp_back == i)
		s->pp_back = GONE;
	if (s->pp_view == i)
		s->pp_view = GONE;
}

/* ---- members ---- */

static int member_add(struct swim *s, const struct swim_rec *r, uint32_t *out)
{
	uint32_t i;
	struct member *m;

	if (s->slot_free == NONE) {
		if (s->n >= s->max_members)
			return MN_EFULL;
		if (s->n == s->cap) {
			uint32_t cap = s->cap * 2;
			struct member *nm = realloc(s->m, cap * sizeof(*nm));
			if (!nm)
				return MN_ENOMEM;
			s->m = nm;
			s->cap = cap;
		}
	}
	if ((s->npresent + 1) * 2 > oatab_slots(&s->index) && index_grow(s) != MN_OK)
		return MN_ENOMEM;
	if (s->npresent + 1 > (UINT32_C(1) << s->leaf_bits) * LEAF_FILL && s->leaf_bits < LEAF_BITS_MAX &&
	    digest_resize(s, s->leaf_bits + 1) != MN_OK)
		return MN_ENOMEM;
	if (s->slot_free != NONE) {
		i = s->slot_free;
		s->slot_free = s->m[i].leaf_next;
	} else {
		i = s->n++;
	}
	m = &s->m[i];
	memset(m, 0, sizeof(*m));
	m->rec = r;
	m->leaf_next = NONE;
	m->susp = NONE;
	m->queued = QUEUE_NONE;
	m->state = SWIM_ALIVE;
	m->since = s->now;
	oatab_put(&s->index, member_id(s, i), i);
	digest_link(s, i);
	digest_toggle(s, i);
	s->npresent++;
	count_state(s, SWIM_ALIVE, 1);
	*out = i;
	return MN_OK;
}

bool member_key_revoked(const struct swim *s, const uint8_t pk[REC_PK_LEN])
{
	return s->revoked && s->revoked->is_revoked &&
	       s->revoked->is_revoked(s->revoked->ctx, pk);
}

bool member_rec_revoked(const struct swim *s, const struct swim_rec *r)
{
	static const uint8_t zero[REC_PK_LEN];

	return member_key_revoked(s, r->pk) || member_key_revoked(s, r->invite_pk) ||
	       member_key_revoked(s, r->admitter_pk) ||
	       (memcmp(r->admin_pk, zero, REC_PK_LEN) != 0 && member_key_revoked(s, r->admin_pk));
}

/* The key is r's node, invite, admitter or admin key. */
bool member_rec_names(const struct swim_rec *r, const uint8_t pk[REC_PK_LEN])
{
	return memcmp(r->pk, pk, REC_PK_LEN) == 0 || memcmp(r->invite_pk, pk, REC_PK_LEN) == 0 ||
	       memcmp(r->admitter_pk, pk, REC_PK_LEN) == 0 ||
	       memcmp(r->admin_pk, pk, REC_PK_LEN) == 0;
}

/* a replaces b: higher version, or on equal versions the lower signature
 * (rec_member_cmp's rule; the signature is a record's last 64 bytes). */
bool member_rec_newer(const struct swim_rec *a, const struct swim_rec *b)
{
	if (a->version != b->version)
		return a->version > b->version;
	return memcmp(a->bytes + a->len - REC_SIG_LEN, b->bytes + b->len - REC_SIG_LEN,
		      REC_SIG_LEN) < 0;
}

void member_release(struct swim *s, const struct swim_rec *r)
{
	if (r && s->store.release)
		s->store.release(s->store.ctx, r);
}

/* A record that says its node left (REC_MEM_LEFT): dead for good, no
 * suspicion, no probe, no gossip to it; the record stays (an older version
 * must not bring it back). Not for ourselves: the leaving node publishes
 * it and stops. */
static void member_depart(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];

	if (i == 0 || !present(m) || !(m->rec->flags & REC_MEM_LEFT) || (m->flags & M_LEFT))
		return;
	susp_end(s, i);
	dissem_drop(s, i);
	member_set_state(s, i, SWIM_DEAD, m->inc);
	m->flags |= M_LEFT;
	bump(s, SWIM_STAT_LEFT, 1);
}

/* b re-anchors a's join: the same invite, and an admission by the root or
 * an admin of the same node key, IPv4, proof and time (verified with b). */
static bool reanchored(const struct swim_rec *a, const struct swim_rec *b)
{
	struct rec_member ma, mb;
	size_t inv_len = a->chain_len - REC_ADMISSION_LEN;

	if (b->chain_len != a->chain_len || a->chain_len < REC_ADMISSION_LEN ||
	    b->admitter_kind == REC_BY_MEMBER ||
	    memcmp(b->bytes + CHAIN_OFF, a->bytes + CHAIN_OFF, inv_len) != 0)
		return false;
	return rec_member_decode(&ma, a->bytes, a->len) == MN_OK &&
	       rec_member_decode(&mb, b->bytes, b->len) == MN_OK &&
	       rec_admission_reanchors(&ma.adm, &mb.adm);
}

/* r is the member that admitted us (our record is member-admitted): held
 * without its own admitter (doc/join.md "After the ACCEPT"). */
bool member_own_admitter(const struct swim *s, const struct swim_rec *r)
{
	const struct swim_rec *me = s->n ? s->m[0].rec : NULL;

	return me && me->admitter_kind == REC_BY_MEMBER &&
	       memcmp(me->admitter_pk, r->pk, REC_PK_LEN) == 0;
}

/* A record member `payer` sent us in a RECORD (dm, decoded from b[len]),
 * before any signature (swim_budget.c). MN_OK: verify it; *owed is what
 * payer owes if it then fails authentication. Asked for: verified while
 * payer's budget holds its chain's checks, owed only if it fails (an
 * honest answer never does, but a member that made us ask, by announcing
 * made-up ids, could answer with forgeries). Unasked: cheap refusals
 * first, so they cost no budget (a version not newer than the one held,
 * MN_EEXIST: nothing to learn; a revoked key; a key in a second role),
 * then charged before it is verified. MN_EBUSY: over budget, unverified. */
static int unasked(struct swim *s, const struct rec_member *dm, const uint8_t *b, size_t len,
		   uint32_t payer, uint32_t *owed)
{
	const uint8_t *admin = dm->invite.signer == REC_BY_ADMIN ? dm->invite.grant.admin_pk : NULL;
	/* grant (an admin's invite), invite, join proof, admission, record */
	uint32_t checks = admin ? 5 : 4, i;

	*owed = 0;
	if (budget_answer(s, seal_key_id(dm->adm.node_pk), payer)) {
		if (!budget_holds(s, payer, checks))
			return MN_EBUSY;
		*owed = checks;
		return MN_OK;
	}
	i = member_find_pk(s, dm->adm.node_pk);
	if (i != NONE) {
		const struct swim_rec *h = s->m[i].rec;
		if (dm->version < h->version ||
		    (dm->version == h->version &&
		     memcmp(b + len - REC_SIG_LEN, h->bytes + h->len - REC_SIG_LEN, REC_SIG_LEN) >= 0))
			return MN_EEXIST;
	}
	if (member_key_revoked(s, dm->adm.node_pk) || member_key_revoked(s, dm->invite.invite_pk) ||
	    member_key_revoked(s, dm->adm.admitter_pk) || (admin && member_key_revoked(s, admin))) {
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EREVOKED;
	}
	if (i == NONE && trust_roles_clash(s, dm->adm.node_pk, dm->invite.invite_pk, admin)) {
		bump(s, SWIM_STAT_REFUSED_KEY_ROLE, 1);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EAUTH;
	}
	return budget_take(s, payer, checks) ? MN_OK : MN_EBUSY;
}

/* Verify (unless the store vouches for these exact bytes) and adopt a record
 * (member_adopt). payer: the member whose RECORD carried it, who pays for
 * the verification unless we asked it for the record (swim_budget.c), or
 * NONE (the caller's, or a HELLO's under its own budget). *out gets the
 * member index on MN_OK and MN_EEXIST. */
int member_learn_at(struct swim *s, const uint8_t *b, size_t len, const struct waddr *addr,
		    bool announce, uint32_t payer, uint32_t *out)
{
	const struct swim_rec *r = NULL;
	struct rec_member dm;
	uint32_t owed = 0;
	int err;

	*out = NONE;
	s->orphans.kept = NULL;
	if (len < REC_MEMBER_MIN || len > REC_MEMBER_MAX)
		return MN_EPROTO;
	if (s->store.find)
		r = s->store.find(s->store.ctx, b, len);
	if (!r) {
		err = rec_member_decode(&dm, b, len);
		if (!err && payer != NONE && (err = unasked(s, &dm, b, len, payer, &owed)) != MN_OK)
			return err; /* counted there */
		if (!err)
			err = rec_member_verify(s->net, &dm, s->revoked, s->memo);
		if (err) {
			if (err == MN_EAUTH && owed)
				budget_charge(s, payer, owed);
			bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
			return err;
		}
		r = s->store.add(s->store.ctx, b, len, &dm);
		if (!r)
			return MN_ENOMEM;
	}
	return member_adopt(s, r, addr, announce, out);
}

/* Learned or restored, no address; only our own record and HELLOs, whose
 * admitters are checked before. */
int member_learn(struct swim *s, const uint8_t *b, size_t len, uint32_t *out)
{
	return member_learn_at(s, b, len, NULL, true, NONE, out);
}

/* A verified record (r: a store reference, consumed) into the table: a new
 * member, a newer version, or, when its member admitter is not held, an
 * orphan kept with addr and announce for its adoption (MN_ENOENT). */
int member_adopt(struct swim *s, const struct swim_rec *r, const struct waddr *addr,
		 bool announce, uint32_t *out)
{
	uint64_t id;
	uint32_t i;
	int err;

	*out = NONE;
	/* A new node key: one key, one role (swim_trust.c), before the record
	 * settles any tombstone pending against one of its keys. */
	i = s->n ? member_find(s, seal_key_id(r->pk)) : NONE;
	if (i == NONE && (err = trust_roles(s, r)) != MN_OK) {
		member_release(s, r);
		return err;
	}
	tomb_settle(s, r);
	if (member_rec_revoked(s, r)) {
		member_release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EREVOKED;
	}
	/* A member-admitted record holds while its admitter is a member. Our
	 * own admitter is exempt: our record stands or falls with it, and a
	 * newcomer must reach it before it can learn the admitter's own chain
	 * (doc/join.md "After the ACCEPT"). Any other waits in the orphan
	 * pool for its admitter (swim_orphan.c). */
	if (r->admitter_kind == REC_BY_MEMBER && memcmp(r->pk, s->self.pk, REC_PK_LEN) != 0 &&
	    (s->n == 0 || member_find_pk(s, r->admitter_pk) == NONE) && !member_own_admitter(s, r)) {
		orphan_keep(s, r, addr, announce);
		return MN_ENOENT;
	}
	id = seal_key_id(r->pk);
	i = s->n ? member_find(s, id) : NONE;
	if (i == NONE) {
		/* a node key not held yet: trust at join (swim_trust.c) */
		err = trust_admit(s, r);
		if (!err)
			err = member_add(s, r, &i);
		if (err) {
			member_release(s, r);
			trust_flush(s);
			return err;
		}
		trust_add(s, i);
		*out = i;
		bump(s, SWIM_STAT_RECORDS_LEARNED, 1);
		member_emit(s, SWIM_EV_RECORD, i);
		member_depart(s, i);
		trust_flush(s);
		orphan_adopt(s); /* what waited for it as its admitter */
		if (member_find(s, id) != i) {
			/* dropped at once: it was admitted (through others) by
			 * a member that just lost a use race (and an orphan
			 * adopted since may hold its slot) */
			*out = NONE;
			return MN_ENOENT;
		}
		return MN_OK;
	}
	*out = i;
	if (memcmp(s->m[i].rec->pk, r->pk, REC_PK_LEN) != 0) {
		/* another key with the same 8-byte id: the first one keeps it */
		*out = NONE;
		member_release(s, r);
		return MN_EEXIST;
	}
	if (s->m[i].rec == r || !member_rec_newer(r, s->m[i].rec)) {
		member_release(s, r);
		return MN_EEXIST;
	}
	/* A member's admission is pinned: every later version carries the
	 * invite and admission bytes of the one we hold (doc/membership.md,
	 * "Versions"), or a second invite could swap its chain (another IPv4,
	 * route rights, an admitter that was never revoked). One exception:
	 * the same join countersigned by the root or an admin ("Kick"). */
	if ((r->chain_len != s->m[i].rec->chain_len ||
	     memcmp(r->bytes + CHAIN_OFF, s->m[i].rec->bytes + CHAIN_OFF, r->chain_len) != 0) &&
	    !reanchored(s->m[i].rec, r)) {
		member_release(s, r);
		bump(s, SWIM_STAT_RECORDS_REFUSED, 1);
		return MN_EAUTH;
	}
	digest_toggle(s, i);
	const struct swim_rec *old = s->m[i].rec;
	s->m[i].rec = r;
	digest_toggle(s, i);
	member_release(s, old);
	bump(s, SWIM_STAT_RECORDS_LEARNED, 1);
	member_emit(s, SWIM_EV_RECORD, i);
	member_depart(s, i);
	return MN_OK;
}

void member_remove(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];

	if (i == 0 || !present(m))
		return;
	member_emit(s, SWIM_EV_REMOVED, i);
	trust_del(s, i);
	ann_forget(s, i);
	susp_end(s, i);
	dissem_drop(s, i);
	digest_toggle(s, i);
	digest_unlink(s, i);
	index_del(s, member_id(s, i));
	count_state(s, m->state, -1);
	s->npresent--;
	slot_forget(s, i);
	member_release(s, m->rec);
	memset(m, 0, sizeof(*m)); /* the seal pair window, token, address, flags */
	m->state = ST_REMOVED;
	m->susp = NONE;
	m->queued = QUEUE_NONE;
	m->leaf_next = s->slot_free;
	s->slot_free = i;
}

void member_set_addr(struct swim *s, uint32_t i, const struct mn_addr *addr, bool direct)
{
	struct waddr w;

	wire_addr_from(&w, addr);
	member_set_waddr(s, i, &w, direct);
}

void member_set_waddr(struct swim *s, uint32_t i, const struct waddr *w, bool direct)
{
	if (i == 0 || w->family == 0)
		return;
	if (direct || !(s->m[i].flags & M_ADDR_DIRECT) || s->m[i].addr.family == 0) {
		hook_addr_put(s, i, w, direct);
	}
}

/* After member_learn_at or member_adopt answered err with member i: where
 * it is (unless we know better), and, learned rather than restored, an
 * alive update for a new member or a newer record. */
void member_took(struct swim *s, int err, uint32_t i, const struct waddr *addr, bool announce)
{
	if (i != NONE && addr)
		member_set_waddr(s, i, addr, false);
	if (announce && err == MN_OK && i != 0 && s->m[i].state == SWIM_ALIVE)
		dissem_queue_alive(s, i);
}
