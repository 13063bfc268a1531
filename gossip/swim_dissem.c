/* swim_dissem.c - dissemination (SWIM §4.1): the queue of updates
 * piggybacked on every message, and applying received updates with the
 * incarnation rules (SWIM §4.2), refutation included.
 */
#include "swim_internal.h"

/* ---- dissemination queue ---- */

uint32_t dissem_retransmit_limit(const struct swim *s)
{
	return scale_retransmit(&s->p, scale_n(s));
}

static bool queue_less(const struct swim *s, uint16_t a, uint16_t b)
{
	const struct update *x = &s->queue[a], *y = &s->queue[b];

	return x->transmits < y->transmits ||
	       (x->transmits == y->transmits && x->order > y->order);
}

static void queue_unorder(struct swim *s, uint16_t slot)
{
	for (uint32_t i = 0; i < s->nqueued; i++) {
		if (s->queue_order[i] == slot) {
			memmove(s->queue_order + i, s->queue_order + i + 1,
				(s->nqueued - i - 1) * sizeof(*s->queue_order));
			s->nqueued--;
			return;
		}
	}
}

static void queue_free(struct swim *s, uint16_t slot)
{
	struct update *b = &s->queue[slot];

	if (b->member != NONE && b->member < s->n && s->m[b->member].queued == slot)
		s->m[b->member].queued = QUEUE_NONE;
	memset(b, 0, sizeof(*b));
	b->member = NONE;
	if (slot < s->queue_free_hint)
		s->queue_free_hint = slot;
}

void dissem_drop(struct swim *s, uint32_t i)
{
	uint16_t slot = s->m[i].queued;

	if (slot == QUEUE_NONE)
		return;
	queue_unorder(s, slot);
	queue_free(s, slot);
}

/* A free slot, growing the pool, or by evicting the most-sent oldest item. */
static uint16_t queue_alloc(struct swim *s)
{
	for (uint32_t j = s->queue_free_hint; j < s->queue_cap; j++) {
		if (s->queue[j].kind == 0) {
			s->queue_free_hint = j + 1;
			return (uint16_t)j;
		}
	}
	if (s->queue_cap < SWIM_MAX_BCAST) {
		uint32_t cap = s->queue_cap ? s->queue_cap * 2 : 16;
		if (cap > SWIM_MAX_BCAST)
			cap = SWIM_MAX_BCAST;
		struct update *nb = realloc(s->queue, cap * sizeof(*nb));
		uint16_t *no = nb ? realloc(s->queue_order, cap * sizeof(*no)) : NULL;
		if (nb)
			s->queue = nb;
		if (no) {
			s->queue_order = no;
			for (uint32_t j = s->queue_cap; j < cap; j++) {
				memset(&s->queue[j], 0, sizeof(s->queue[j]));
				s->queue[j].member = NONE;
			}
			uint32_t slot = s->queue_cap;
			s->queue_cap = cap;
			s->queue_free_hint = slot + 1;
			return (uint16_t)slot;
		}
	}
	if (s->nqueued == 0)
		return QUEUE_NONE;
	uint16_t victim = s->queue_order[--s->nqueued];
	queue_free(s, victim);
	return victim;
}

/* Queue an update about member i, replacing any older one about it. */
void dissem_queue(struct swim *s, uint32_t i, uint8_t kind, uint32_t inc, uint64_t accuser)
{
	struct member *m = &s->m[i];
	uint16_t slot;
	struct update *b;

	dissem_drop(s, i);
	slot = queue_alloc(s);
	if (slot == QUEUE_NONE)
		return;
	b = &s->queue[slot];
	b->member = i;
	b->kind = kind;
	b->inc = inc;
	b->accuser = accuser;
	b->transmits = 0;
	b->order = ++s->queue_seq;
	memmove(s->queue_order + 1, s->queue_order, s->nqueued * sizeof(*s->queue_order));
	s->queue_order[0] = slot;
	s->nqueued++;
	m->queued = slot;
}

void dissem_queue_alive(struct swim *s, uint32_t i)
{
	dissem_queue(s, i, SWIM_I_ALIVE, s->m[i].inc, 0);
}

/* ---- items ---- */

static void put_suspect_item(struct swim *s, uint8_t *p, uint8_t kind, uint32_t i, uint32_t inc,
			     uint64_t accuser)
{
	p[UPD_KIND] = kind;
	mn_put_be64(p + UPD_ID, member_id(s, i));
	mn_put_be32(p + UPD_INC, inc);
	mn_put_be64(p + UPD_ACCUSER, accuser);
}

void dissem_put_alive_item(struct swim *s, uint8_t *p, uint32_t i, uint32_t inc)
{
	p[UPD_KIND] = SWIM_I_ALIVE;
	mn_put_be64(p + UPD_ID, member_id(s, i));
	mn_put_be32(p + UPD_INC, inc);
	mn_put_be64(p + UPD_VERSION, s->m[i].rec->version);
}

static size_t item_len(uint8_t kind)
{
	return kind == SWIM_I_ALIVE ? SWIM_ITEM_ALIVE_LEN : SWIM_ITEM_SUSPECT_LEN;
}

/* Fill the rest of o with updates: first what we think of the receiver if
 * it is suspect or dead (Lifeguard buddy system), then the queue, fewest
 * transmissions first. */
void dissem_piggyback(struct swim *s, struct out *o)
{
	uint16_t picked[MAX_PICK];
	uint32_t np = 0, limit = dissem_retransmit_limit(s), u = 0;
	const struct member *to = &s->m[o->to];
	uint8_t *p;

	if (o->to != 0 && (to->state == SWIM_SUSPECT || to->state == SWIM_DEAD)) {
		p = wire_out_put(o, SWIM_ITEM_SUSPECT_LEN);
		if (p)
			put_suspect_item(s, p, to->state == SWIM_DEAD ? SWIM_I_DEAD : SWIM_I_SUSPECT,
					 o->to, to->inc, s->self.id);
	}
	tomb_piggyback(s, o);
	ann_piggyback(s, o);
	for (uint32_t j = 0; j < s->nqueued && np < MAX_PICK; j++) {
		struct update *b = &s->queue[s->queue_order[j]];
		if (b->member == o->to)
			continue;
		p = wire_out_put(o, item_len(b->kind));
		if (!p) {
			if (o->cap - o->len < SWIM_ITEM_SUSPECT_LEN)
				break;
			continue;
		}
		if (b->kind == SWIM_I_ALIVE)
			dissem_put_alive_item(s, p, b->member, b->inc);
		else
			put_suspect_item(s, p, b->kind, b->member, b->inc, b->accuser);
		picked[np++] = (uint16_t)j;
	}
	if (np == 0)
		return;
	/* Count the transmissions, drop the exhausted, and restore the order:
	 * the unpicked keep theirs, the picked (still sorted among themselves)
	 * are merged back in from the end. */
	uint16_t keep[MAX_PICK];
	uint32_t nk = 0, pj = 0;
	for (uint32_t j = 0; j < s->nqueued; j++) {
		uint16_t slot = s->queue_order[j];
		if (pj < np && picked[pj] == j) {
			pj++;
			struct update *b = &s->queue[slot];
			if (++b->transmits >= limit)
				queue_free(s, slot);
			else
				keep[nk++] = slot;
		} else {
			s->queue_order[u++] = slot;
		}
	}
	int32_t a = (int32_t)u - 1, c = (int32_t)nk - 1, w = (int32_t)(u + nk) - 1;
	while (c >= 0) {
		if (a >= 0 && queue_less(s, keep[c], s->queue_order[a]))
			s->queue_order[w--] = s->queue_order[a--];
		else
			s->queue_order[w--] = keep[c--];
	}
	s->nqueued = u + nk;
}

/* ---- applying updates (SWIM §4.2 ordering, with our defences) ---- */

static bool jump_ok(struct swim *s, const struct rx *rx, uint32_t i, uint32_t inc)
{
	const struct member *m = &s->m[i];

	if (inc == UINT32_MAX) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return false;
	}
	/* Nothing to bound against before we know an incarnation of it. */
	if (!(m->flags & M_INC_KNOWN))
		return true;
	/* The member itself may raise its own; anyone else only within
	 * inc_jump_max of what the member itself announced (inc_own), never of
	 * a value a third party set: otherwise a run of items in one datagram
	 * (or one per datagram) would walk it up step by step. */
	if (inc > m->inc_own && inc - m->inc_own > s->p.inc_jump_max && (!rx || rx->from != i)) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return false;
	}
	return true;
}

/* An incarnation of member i was accepted: the first one we learn, or one
 * the member announced itself, moves the anchor third parties are bounded by. */
static void inc_note(struct swim *s, const struct rx *rx, uint32_t i, uint32_t inc)
{
	struct member *m = &s->m[i];

	if (!(m->flags & M_INC_KNOWN)) {
		m->flags |= M_INC_KNOWN;
		m->inc_own = inc;
	} else if (rx && rx->from == i && inc > m->inc_own) {
		m->inc_own = inc;
	}
}

/* Member i itself says it is alive at inc, more than inc_jump_max below
 * the incarnation we hold. No member holds a value that far above the
 * member's own word but through the one value nobody bounds, the first we
 * learn of it (from a bootstrap list, a RECORD or LIST entry: issue 11,
 * hole 3), or when the member lost its own incarnation with its store
 * (it refutes from its word at once): its word wins, and a suspicion at
 * the third party's value ends. A lying first view could otherwise never
 * be refuted (the member cannot jump that far) and its first lost probe
 * made the member dead here for good. */
static void own_word(struct swim *s, uint32_t i, uint32_t inc)
{
	struct member *m = &s->m[i];

	bump(s, SWIM_STAT_INC_OWN_WORD, 1);
	m->inc_own = inc;
	m->flags |= M_INC_KNOWN;
	susp_end(s, i);
	member_set_state(s, i, SWIM_ALIVE, inc);
}

/* Inside swim_recv, accusations of ourselves are refuted once per datagram,
 * at the highest (53 SUSPECT items would otherwise cost 53 increments). */
static void refute_rx(struct swim *s, uint32_t inc, bool accused)
{
	if (!s->in_rx) {
		dissem_refute(s, inc, accused);
		return;
	}
	if ((uint64_t)inc + 1 > s->refute_inc)
		s->refute_inc = (uint64_t)inc + 1;
	s->refute_accused |= accused;
}

void dissem_refute_flush(struct swim *s)
{
	if (s->refute_inc)
		dissem_refute(s, (uint32_t)(s->refute_inc - 1), s->refute_accused);
	s->refute_inc = 0;
	s->refute_accused = false;
}

/* Rises of our incarnation left now (the bucket refilled first). */
uint32_t dissem_rise_left(struct swim *s)
{
	mn_ns iv = s->p.probe_interval_ns;

	if (s->rise_tokens < SWIM_INC_RISE_BURST && mn_elapsed(s->now, s->rise_at, iv)) {
		uint64_t k = (uint64_t)(s->now - s->rise_at) / (uint64_t)iv;
		if (k >= (uint64_t)(SWIM_INC_RISE_BURST - s->rise_tokens)) {
			s->rise_tokens = SWIM_INC_RISE_BURST;
		} else {
			s->rise_tokens = (uint8_t)(s->rise_tokens + k);
			s->rise_at += (mn_ns)k * iv;
		}
	}
	if (s->rise_tokens == SWIM_INC_RISE_BURST)
		s->rise_at = s->now;
	return s->rise_tokens;
}

/* When a rise is next allowed (swim_next_deadline, for refute_later). */
mn_ns dissem_rise_at(const struct swim *s)
{
	return s->rise_at + s->p.probe_interval_ns;
}

static void raise_inc(struct swim *s, uint32_t inc, bool accused)
{
	if (dissem_rise_left(s))
		s->rise_tokens--;
	s->refute_later = false;
	s->m[0].flags |= M_INC_KNOWN;
	member_set_state(s, 0, SWIM_ALIVE, inc);
	dissem_queue_alive(s, 0);
	member_emit(s, SWIM_EV_SELF_INC, 0);
	accused |= s->refute_later_accused;
	s->refute_later_accused = false;
	if (accused) {
		bump(s, SWIM_STAT_REFUTES, 1);
		probe_health_add(s, 1); /* Lifeguard: being suspected hints at our own trouble */
	}
}

/* Someone thinks we are suspect or dead at inc (or alive at a higher one):
 * refute with a higher incarnation. */
void dissem_refute(struct swim *s, uint32_t inc, bool accused)
{
	if (inc < s->m[0].inc)
		return;
	/* Bounded, so nobody pushes us to UINT32_MAX where we could no longer
	 * refute (observers bound third parties the same way, against what we
	 * said, so an honest accusation is always within it); unbounded only
	 * when our own was lost (swim_config.incarnation_lost). Such a claim is
	 * a lie someone told the accuser, most likely as its first view of us
	 * (issue 11, hole 3): our own word of where we are goes out instead,
	 * which an observer takes over any third party's (dissem_apply_alive). */
	if (inc >= UINT32_MAX - 1 ||
	    ((s->m[0].flags & M_INC_KNOWN) && inc - s->m[0].inc > s->p.inc_jump_max)) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		dissem_queue_alive(s, 0);
		return;
	}
	/* A claim above our own incarnation is no honest member's (they only
	 * repeat ours) unless our store lagged: refute one at most once per
	 * probe interval, so a member cannot walk us up inc_jump_max per
	 * datagram it sends. */
	if (inc > s->m[0].inc && (s->m[0].flags & M_INC_KNOWN) && s->jumped &&
	    s->now - s->jump_at < s->p.probe_interval_ns) {
		bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		return;
	}
	/* And our incarnation rises at most SWIM_INC_RISE_BURST times at once,
	 * once per probe interval after that, whatever arrives: a member could
	 * otherwise walk it up one per datagram it sends (a SUSPECT at exactly
	 * ours is refuted, and the next names the new one), toward the top of
	 * the range where we can no longer refute, a durable write per step.
	 * With none left, an accusation at our own incarnation is refuted when
	 * one is back (the shortest suspicion is several probe intervals: an
	 * honest one is refuted in time); a claim above ours is dropped. The
	 * burst keeps honest refutations immediate: one rise per probe
	 * interval, deferring the second, cost swim-move-loss two seeds of 20. */
	if (!dissem_rise_left(s)) {
		if (inc == s->m[0].inc) {
			s->refute_later = true;
			s->refute_later_accused |= accused;
		} else {
			bump(s, SWIM_STAT_DROP_INC_JUMP, 1);
		}
		return;
	}
	if (inc > s->m[0].inc && (s->m[0].flags & M_INC_KNOWN)) {
		s->jumped = true;
		s->jump_at = s->now;
	}
	raise_inc(s, inc + 1, accused);
}

/* A new version of our own record (swim_publish): its alive update goes out
 * now, whatever the bound above (our own publishing is not an attacker's
 * to drive; a move must be announced at once). */
void dissem_bump(struct swim *s)
{
	if (s->m[0].inc < UINT32_MAX - 1)
		raise_inc(s, s->m[0].inc + 1, false);
}

void dissem_apply_alive(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			uint64_t version)
{
	uint32_t i = member_find(s, id);
	struct member *m;

	if (i == NONE) {
		pp_want(s, rx, id);
		return;
	}
	m = &s->m[i];
	if (i == 0) {
		if (inc > m->inc)
			refute_rx(s, inc, false);
		return;
	}
	if (version > m->rec->version)
		pp_want(s, rx, id);
	if (inc <= m->inc) {
		if (rx && rx->from == i && m->inc - inc > s->p.inc_jump_max) {
			own_word(s, i, inc);
			return;
		}
		if (rx && rx->from == i)
			inc_note(s, rx, i, inc);
		return;
	}
	if (!jump_ok(s, rx, i, inc))
		return;
	inc_note(s, rx, i, inc);
	susp_end(s, i);
	member_set_state(s, i, SWIM_ALIVE, inc);
	/* An update carries the version we hold: while we fetch a newer one we
	 * were told of, passing the incarnation on would spread it with our
	 * stale version, and whoever took that first would never ask for the
	 * record, staying on the old one until push-pull (doc/gossip.md §9,
	 * "Found by the simulator").
	 * The record's arrival announces it (pp_on_record). */
	if (version <= m->rec->version)
		dissem_queue_alive(s, i);
}

/* The member index an accusation of member subj counts for: NONE unless
 * the accuser id names a current member (its record verified, its chain not
 * revoked) other than ourselves and the subject. An id on the wire costs
 * nothing to make up, so only members are independent confirmations (a
 * stranger's or a made-up id must not shrink the timeout). rx NULL: our
 * own failed probe, which counts as us. */
static uint32_t accuser_of(const struct swim *s, const struct rx *rx, uint32_t subj,
			   uint64_t accuser)
{
	uint32_t a;

	if (!rx)
		return 0;
	a = member_find(s, accuser);
	if (a == NONE || a == 0 || a == subj || member_rec_revoked(s, s->m[a].rec))
		return NONE;
	return a;
}

/* Suspect or dead at inc, according to accuser. A "dead" from anyone else is
 * only a suspicion here: one accuser never evicts; our own timer decides. */
void dissem_apply_suspect(struct swim *s, const struct rx *rx, uint64_t id, uint32_t inc,
			  uint64_t accuser)
{
	uint32_t i = member_find(s, id);
	struct member *m;

	/* A member we do not know yet: fetch its record, as for an alive
	 * update. Dropped, a suspicion of a member most nodes do not know yet
	 * never reached those who could relay its refutation. The accusation
	 * itself is not kept: the record's arrival (and push-pull) brings the
	 * member's state. */
	if (i == NONE) {
		pp_want(s, rx, id);
		return;
	}
	m = &s->m[i];
	if (i == 0) {
		if (inc >= m->inc)
			refute_rx(s, inc, true);
		else
			dissem_queue_alive(s, 0); /* a stale accusation: say where we are now */
		return;
	}
	if (inc < m->inc || !jump_ok(s, rx, i, inc))
		return;
	inc_note(s, rx, i, inc);
	if (m->state == SWIM_ALIVE) {
		member_set_state(s, i, SWIM_SUSPECT, inc);
		susp_start(s, i, accuser_of(s, rx, i, accuser), rx ? rx->from : 0);
		dissem_queue(s, i, SWIM_I_SUSPECT, inc, accuser);
	} else if (m->state == SWIM_SUSPECT) {
		if (inc > m->inc)
			member_set_state(s, i, SWIM_SUSPECT, inc);
		if (susp_confirm(s, i, accuser_of(s, rx, i, accuser), rx ? rx->from : 0))
			dissem_queue(s, i, SWIM_I_SUSPECT, m->inc, accuser);
	}
	/* dead stays dead until an alive with a higher incarnation */
}

/* An update item's length when well formed, else 0. */
static size_t update_len(const uint8_t *p, size_t avail)
{

	switch (p[UPD_KIND]) {
	case SWIM_I_ALIVE:
		return avail >= SWIM_ITEM_ALIVE_LEN ? SWIM_ITEM_ALIVE_LEN : 0;
	case SWIM_I_SUSPECT:
	case SWIM_I_DEAD:
		return avail >= SWIM_ITEM_SUSPECT_LEN ? SWIM_ITEM_SUSPECT_LEN : 0;
	case SWIM_I_REVOKE:
		return tomb_item_len(p, avail);
	case SWIM_I_ADDR:
		return ann_item_len(p, avail);
	case SWIM_I_VIEW:
		return avail >= SWIM_ITEM_VIEW_LEN ? SWIM_ITEM_VIEW_LEN : 0;
	default:
		return 0;
	}
}

int dissem_items_check(const uint8_t *b, size_t n)
{
	return wire_items_check(b, n, 0, update_len);
}

void dissem_items_apply(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	const uint8_t *view = NULL;
	size_t off = 0;

	while (off < n && b[off] != SWIM_I_PAD) {
		const uint8_t *p = b + off;
		uint64_t id = mn_get_be64(p + UPD_ID);
		uint32_t inc = mn_get_be32(p + UPD_INC);
		if (p[UPD_KIND] == SWIM_I_ALIVE) {
			dissem_apply_alive(s, rx, id, inc, mn_get_be64(p + UPD_VERSION));
			pp_want_addr(s, rx, id);
			off += SWIM_ITEM_ALIVE_LEN;
		} else if (p[UPD_KIND] == SWIM_I_REVOKE) {
			off += tomb_item_apply(s, p, rx->from);
		} else if (p[UPD_KIND] == SWIM_I_ADDR) {
			off += ann_item_apply(s, p, rx->from);
		} else if (p[UPD_KIND] == SWIM_I_VIEW) {
			view = p; /* compared once the updates beside it are in */
			off += SWIM_ITEM_VIEW_LEN;
		} else {
			dissem_apply_suspect(s, rx, id, inc, mn_get_be64(p + UPD_ACCUSER));
			off += SWIM_ITEM_SUSPECT_LEN;
		}
	}
	/* a message has one item list: refute now, so the reply carries it */
	dissem_refute_flush(s);
	if (view)
		view_item_apply(s, rx, view);
}

int dissem_on_gossip(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	if (dissem_items_check(b, n) != MN_OK)
		return MN_EPROTO;
	dissem_items_apply(s, rx, b, n);
	return MN_OK;
}

void dissem_round(struct swim *s)
{
	uint32_t excl[16];
	uint32_t n = 0;

	for (uint32_t j = 0; j < s->p.gossip_nodes && (s->nqueued || s->tombs.ntx || s->ann_ntx);
	     j++) {
		uint32_t i = probe_pick(s, PICK_GOSSIP, excl, n);
		struct out o;
		if (i == NONE)
			break;
		excl[n++] = i;
		wire_out_begin(s, &o, i, SWIM_T_GOSSIP, SWIM_MTU, NULL);
		dissem_piggyback(s, &o);
		if (o.len > SWIM_BODY_HDR) {
			wire_out_send(s, &o);
			bump(s, SWIM_STAT_GOSSIPS, 1);
		}
	}
}
