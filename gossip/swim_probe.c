/* swim_probe.c - probing (SWIM §3.1, §4.3): ping, ping-req through
 * helpers and their nacks (Lifeguard), the last call, and HELLO.
 */
#include "swim_internal.h"

/* ---- probing ---- */

/* Lifeguard LHA-Probe: the local health multiplier stretches the probe
 * interval and timeout. */
mn_ns probe_interval(const struct swim *s)
{
	return s->p.probe_interval_ns * (s->health + 1);
}

mn_ns probe_timeout(const struct swim *s)
{
	return s->p.probe_timeout_ns * (s->health + 1);
}

void probe_health_add(struct swim *s, uint32_t d)
{
	uint32_t top = s->p.awareness_max - 1;

	s->health = s->health + d > top ? top : s->health + d;
}

void probe_health_sub(struct swim *s)
{
	if (s->health > 0)
		s->health--;
}

/* Start a PING, ACK, NACK or PING_REQ to member to: its seq, and room for
 * the rest of its fixed part (items_off bytes in all); NULL if that does
 * not fit. */
static uint8_t *begin_seq(struct swim *s, struct out *o, uint32_t to, uint8_t type, size_t cap,
			  size_t items_off, uint32_t seq)
{
	uint8_t *p;

	wire_out_begin(s, o, to, type, cap, NULL);
	p = wire_out_put(o, items_off);
	if (p)
		mn_put_be32(p + MSG_SEQ, seq);
	return p;
}

/* cap bounds the datagram: SWIM_MTU for our own probes; for a ping we send
 * on someone's ping-req, that ping-req's reply cap (the target's address
 * may be a hint a third party gave us: it must not become an amplifier). */
static void send_ping(struct swim *s, uint32_t i, uint32_t seq, size_t cap, bool lead_self)
{
	struct out o;
	uint8_t *p;

	p = begin_seq(s, &o, i, SWIM_T_PING, cap, PING_ITEMS, seq);
	if (!p)
		return;
	p[PING_FLAGS] = 0;
	if (lead_self && (p = wire_out_put(&o, SWIM_ITEM_ALIVE_LEN)) != NULL)
		dissem_put_alive_item(s, p, 0, s->m[0].inc);
	dissem_piggyback(s, &o);
	/* No token from it yet: pad, so its ack may carry as much as this. */
	if (s->m[i].tok == 0 && cap >= SWIM_PING_PAD)
		wire_out_pad(&o, SWIM_PING_PAD);
	wire_out_send(s, &o);
}

void probe_send_ping(struct swim *s, uint32_t i, uint32_t seq, size_t cap)
{
	send_ping(s, i, seq, cap, false);
}

static bool probe_ok(const struct member *m)
{
	return (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT) && m->addr.family != 0;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The next member of a round-robin pass over a shuffled order (SWIM §4.3).
 * A pass is the permutation pos -> (a * pos + b) mod size with gcd(a, size)
 * = 1 over the slots, redrawn at every pass; members appended mid-pass
 * wait for the next, one that takes a free slot is probed when the pass
 * reaches it. */
static uint32_t next_target(struct swim *s)
{
	uint32_t again = s->probe_again;

	s->probe_again = NONE;
	if (again != NONE && again < s->n && probe_ok(&s->m[again]))
		return again;
	for (uint32_t tries = 0; tries < SWIM_PROBE_SCAN; tries++) {
		if (s->perm_pos >= s->perm_size) {
			s->perm_size = s->n - 1;
			s->perm_pos = 0;
			if (s->perm_size == 0)
				return NONE;
			s->perm_mul = 1;
			for (int t = 0; t < 16 && s->perm_size > 2; t++) {
				uint32_t a = 1 + rnd(s, s->perm_size - 1);
				if (gcd(a, s->perm_size) == 1) {
					s->perm_mul = a;
					break;
				}
			}
			s->perm_add = rnd(s, s->perm_size);
		}
		uint32_t i = 1 + (uint32_t)(((uint64_t)s->perm_mul * s->perm_pos + s->perm_add) %
					    s->perm_size);
		s->perm_pos++;
		if (i < s->n && probe_ok(&s->m[i]))
			return i;
	}
	return NONE;
}

static bool pick_ok(const struct swim *s, uint32_t i, enum pick_kind k)
{
	const struct member *m = &s->m[i];

	if (m->addr.family == 0 || (m->flags & M_LEFT))
		return false;
	switch (k) {
	case PICK_ALIVE:
		return m->state == SWIM_ALIVE;
	case PICK_GOSSIP:
		return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT ||
		       (m->state == SWIM_DEAD && s->now - m->since < s->p.gossip_to_dead_ns);
	case PICK_DEAD:
		return m->state == SWIM_DEAD;
	}
	return false;
}

/* A random member of kind k not in excl: random draws, then a scan from a
 * random start so that one is found whenever it exists. */
uint32_t probe_pick(struct swim *s, enum pick_kind k, const uint32_t *excl, uint32_t nexcl)
{
	uint32_t n = s->n, start = 0;

	if (n <= 1)
		return NONE;
	for (uint32_t t = 0; t < SWIM_PICK_TRIES + n - 1; t++) {
		uint32_t i;
		if (t < SWIM_PICK_TRIES) {
			i = 1 + rnd(s, n - 1);
		} else {
			if (t == SWIM_PICK_TRIES)
				start = rnd(s, n - 1);
			i = 1 + (t - SWIM_PICK_TRIES + start) % (n - 1);
		}
		if (!pick_ok(s, i, k))
			continue;
		bool skip = false;
		for (uint32_t j = 0; j < nexcl; j++)
			if (excl[j] == i)
				skip = true;
		if (!skip)
			return i;
	}
	return NONE;
}

/* Our own record, unsealed, to member i. */
static void hello_to(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];
	const struct swim_rec *me = s->m[0].rec;
	struct tx_dgram *t;

	t = wire_tx_slot(s);
	if (!t) {
		bump(s, SWIM_STAT_DROP_TX_FULL, 1);
		return;
	}
	t->buf[SEAL_O_MAGIC] = SEAL_MAGIC0;
	t->buf[SEAL_O_MAGIC + 1] = SEAL_MAGIC1;
	t->buf[SEAL_O_VERSION] = SEAL_VERSION;
	t->buf[SEAL_O_TYPE] = SWIM_T_HELLO;
	mn_put_be64(t->buf + SEAL_O_FROM, s->self.id);
	mn_put_be64(t->buf + SEAL_O_TO, member_id(s, i));
	/* our announcement, then our record: where we are, in our own word,
	 * for the member to hand on with the record */
	size_t alen = 0;
	const uint8_t *ann = ann_held(s, 0, &alen);
	t->buf[SWIM_HELLO_ANN_LEN] = (uint8_t)alen;
	if (alen)
		memcpy(t->buf + SWIM_HELLO_ANN, ann, alen);
	memcpy(t->buf + SWIM_HELLO_ANN + alen, me->bytes, me->len);
	t->len = (uint16_t)(SWIM_HELLO_ANN + alen + me->len);
	t->to = i;
	wire_addr_to(&m->addr, &t->dst);
	bump(s, SWIM_STAT_HELLOS, 1);
	bump(s, SWIM_STAT_TX_DGRAMS, 1);
	bump(s, SWIM_STAT_TX_BYTES, t->len);
}

/* Our own record, unsealed, to a member that may not know us yet (it has
 * never sent us anything this boot): its sealed traffic would be
 * undecryptable there. Once per member per boot; from then on our pings
 * count as ones it can open (probe_start). */
static void send_hello(struct swim *s, uint32_t i)
{
	struct member *m = &s->m[i];

	if ((m->flags & M_HELLO_SENT) || m->tok != 0 || m->addr.family == 0)
		return;
	m->flags |= M_HELLO_SENT;
	s->hello_sent_at = s->now;
	hello_to(s, i);
}

void swim_local_addr_changed(struct swim *s, struct mn_time now)
{
	s->now = now.mono;
	s->reprove_left = SWIM_REPROVE_ROUNDS;
	s->reprove_lead = false;
	probe_reprove_round(s);
}

/* A ping of swim_local_addr_changed or of a restart. A restart's lead
 * with our own alive, so a member that suspects us (or declared us dead
 * while we were down) hears our incarnation from us at once, whatever the
 * piggyback queue holds (a move's do not: doc/gossip.md §4; nor does
 * our address announcement lead them: its 101 bytes took room the
 * updates behind it needed, and swim-move-wan-ci seed 5 never agreed
 * again). */
static void send_reprove_ping(struct swim *s, uint32_t i, uint32_t seq)
{
	send_ping(s, i, seq, SWIM_PING_PAD, s->reprove_lead);
	bump(s, SWIM_STAT_REPROVE_PINGS, 1);
}

/* The first round pings every member we probe and marks it; an ack from
 * a marked member (probe_reprove_ack) brings a token for our new address,
 * echoed at once by one more ping, which proves the address there. The
 * later rounds (SWIM_REPROVE_ROUNDS in all) ping the members still marked
 * (no ack yet: ping or ack lost, or slow), and after the last the marks
 * go. */
void probe_reprove_round(struct swim *s)
{
	uint32_t seq = ++s->seq;
	bool first = s->reprove_left == SWIM_REPROVE_ROUNDS, last = s->reprove_left == 1;

	for (uint32_t i = 1; i < s->n; i++) {
		struct member *m = &s->m[i];
		bool marked = m->flags & M_REPROVE;

		if (first || last)
			m->flags &= (uint8_t)~M_REPROVE;
		if (!probe_ok(m) || (!first && !marked))
			continue;
		if (first)
			m->flags |= M_REPROVE;
		send_reprove_ping(s, i, seq);
	}
	s->reprove_left--;
	/* The second round soon (a 25th of the probe timeout: 20 ms on LAN,
	 * 120 ms on WAN), for a ping lost on the way: after a restart, each
	 * member that missed ours holds us suspect or dead until another
	 * reaches it, and any suspicion of us running out meanwhile is a
	 * false death (swim-restart: the deaths left came 5-22 ms after the
	 * restart, at members whose ping was lost and asked again 125-500 ms
	 * later). The third a quarter probe timeout after it, for slow acks. */
	s->reprove_at = s->now + (first ? s->p.probe_timeout_ns / 25 : s->p.probe_timeout_ns / 4);
}

void probe_reprove_ack(struct swim *s, uint32_t i)
{
	if (!(s->m[i].flags & M_REPROVE))
		return;
	s->m[i].flags &= (uint8_t)~M_REPROVE;
	send_reprove_ping(s, i, ++s->seq);
}

void swim_sync_soon(struct swim *s)
{
	if (s->pp_rounds == 0)
		s->next_pp = s->now;
}

int swim_introduce(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now)
{
	uint32_t i = member_find_pk(s, pk);

	s->now = now.mono;
	if (i == NONE || i == 0 || s->m[i].addr.family == 0)
		return MN_ENOENT;
	if ((s->m[i].flags & M_HELLO_SENT) || s->m[i].tok != 0)
		return MN_EEXIST;
	send_hello(s, i);
	swim_sync_soon(s); /* the join sync right behind it */
	if (!ann_held_seq(s, i))
		pp_want_own(s, i);
	return MN_OK;
}

void swim_announce(struct swim *s, struct mn_time now)
{
	s->now = now.mono;
	s->announce_until = s->now + SWIM_ANNOUNCE_IVS * s->p.probe_interval_ns;
	s->announce_at = s->now;
	s->pp_more = SWIM_JOIN_SYNC_MORE; /* after the join sync (swim_on_timer) */
}

/* A newcomer's announcement (swim_announce): our
 * HELLO to every member that has not spoken to us, a batch per gossip
 * interval, including those the join sync brings in. The epidemic alone
 * misses a member now and then: a record is retransmitted only
 * retransmit_mult x log N times, and departed members not yet found dead
 * take their share of the sends (a newcomer then stayed unknown there for
 * a push-pull interval; doc/gossip.md §4). One datagram per member, once;
 * a member that knows us already drops it after one lookup. Not an
 * introduction (M_HELLO_SENT): in a join storm the receiver's HELLO budget
 * drops some, and our failed probe of such a member must send the HELLO
 * again, not suspect it (one false suspicion per join in a storm of 150). */
void probe_announce(struct swim *s)
{
	uint32_t sent = 0;

	for (uint32_t i = 1; i < s->n && sent < SWIM_ANNOUNCE_BATCH; i++) {
		struct member *m = &s->m[i];

		if (m->tok != 0 || (m->flags & (M_HELLO_SENT | M_ANNOUNCED)) ||
		    m->addr.family == 0 || m->state == SWIM_DEAD)
			continue;
		m->flags |= M_ANNOUNCED;
		hello_to(s, i);
		bump(s, SWIM_STAT_ANNOUNCE_HELLOS, 1);
		sent++;
	}
	if (mn_time_after_eq(s->now, s->announce_until) && sent < SWIM_ANNOUNCE_BATCH)
		s->announce_until = 0;
	else
		s->announce_at = s->now + s->p.gossip_interval_ns;
}

/* A dead probe of a member that never spoke to us this boot although our
 * HELLO went out: the HELLO again first. It was down when the first came,
 * or has lost our record since; our sealed pings are undecryptable there,
 * so without it we would never be heard of again (a newcomer that holds
 * only its admitter, which crashed before it learned the newcomer). */
void probe_hello_again(struct swim *s, uint32_t i)
{
	if (s->m[i].tok == 0 && (s->m[i].flags & M_HELLO_SENT)) {
		s->m[i].flags &= (uint8_t)~M_HELLO_SENT;
		send_hello(s, i);
	}
}

/* The HELLO to a member that has never spoken to us this boot, whether or
 * not one went out before (a repeated join sync: pp_start). */
void probe_hello_unheard(struct swim *s, uint32_t i)
{
	if (s->m[i].tok == 0) {
		s->m[i].flags &= (uint8_t)~M_HELLO_SENT;
		send_hello(s, i);
	}
}

void probe_finish(struct swim *s, bool acked)
{
	uint32_t i = s->probe.member, missed = 0;

	if (i == NONE)
		return;
	s->probe.member = NONE;
	if (acked) {
		bump(s, SWIM_STAT_ACKS, 1);
		probe_health_sub(s);
		return;
	}
	bump(s, SWIM_STAT_PROBES_FAILED, 1);
	/* Helpers that never spoke to us this boot may not know us yet: no
	 * nack from them says nothing about our health; introduce ourselves. */
	for (uint32_t j = 0; j < s->probe.nhelpers; j++) {
		uint32_t h = s->probe.helpers[j];
		if (h == GONE || (s->probe.nack_mask & (1u << j)))
			continue; /* removed since (slot_forget): no evidence either way */
		if (s->m[h].tok == 0)
			send_hello(s, h);
		else
			missed++;
	}
	/* The same for the target: a failed probe of a member that never spoke
	 * to us, before it had our record, is no evidence. Our HELLO goes, and
	 * the member is probed again at the next interval, when a failure is:
	 * left to the round-robin, the next probe came N probe intervals later
	 * (~1,000 s at 200 on WAN), and a member that booted late, having
	 * spoken to few, crashed unnoticed (swim-bootspread-wan: 190 survivors
	 * holding it alive 300 s after the crash). */
	if (s->m[i].tok == 0 && !s->probe.intro) {
		send_hello(s, i);
		s->probe_again = i;
		return;
	}
	/* Lifeguard: missed nacks say our own receive path may be at fault;
	 * without any helper a failed probe counts once. */
	if (s->probe.nhelpers)
		probe_health_add(s, missed);
	else
		probe_health_add(s, 1);
	/* suspect it, or confirm our own suspicion of it */
	if (i < s->n && (s->m[i].state == SWIM_ALIVE || s->m[i].state == SWIM_SUSPECT))
		dissem_apply_suspect(s, NULL, member_id(s, i), s->m[i].inc, s->self.id);
}

void probe_start(struct swim *s)
{
	uint32_t i = next_target(s);

	if (i == NONE)
		return;
	memset(&s->probe, 0, sizeof(s->probe));
	s->probe.member = i;
	s->probe.seq = ++s->seq;
	s->probe.ack_at = s->now + probe_timeout(s);
	s->probe.end = s->now + probe_interval(s);
	/* It can open our ping if it spoke to us this boot, or if our HELLO
	 * went out before the ping. A HELLO of this very instant (to a silent
	 * helper of the probe that just ended) races the ping, and jitter
	 * makes it lose as often as not (doc/gossip.md §9, "Found by the
	 * simulator"). Conservative: another member's HELLO at this instant
	 * also counts. */
	s->probe.intro = s->m[i].tok != 0 ||
			 ((s->m[i].flags & M_HELLO_SENT) && s->hello_sent_at != s->now);
	probe_send_ping(s, i, s->probe.seq, SWIM_MTU);
	bump(s, SWIM_STAT_PINGS, 1);
}

static void send_ping_req(struct swim *s, uint32_t h, uint32_t seq, uint32_t t)
{
	struct out o;
	uint8_t *p;

	p = begin_seq(s, &o, h, SWIM_T_PING_REQ, SWIM_MTU, PING_REQ_ITEMS, seq);
	if (!p)
		return;
	mn_put_be64(p + PING_REQ_TARGET, member_id(s, t));
	dissem_piggyback(s, &o);
	wire_out_send(s, &o);
	bump(s, SWIM_STAT_PING_REQS, 1);
}

/* Ask indirect_checks random alive members to ping member t for us under
 * seq; the helpers picked go to helpers[] (room for SWIM_MAX_INDIRECT),
 * their number is returned. */
static uint32_t ask_helpers(struct swim *s, uint32_t t, uint32_t seq, uint32_t *helpers)
{
	uint32_t excl[SWIM_MAX_INDIRECT + 1];
	uint32_t n = 0;

	excl[0] = t;
	while (n < s->p.indirect_checks) {
		uint32_t h = probe_pick(s, PICK_ALIVE, excl, n + 1);
		if (h == NONE)
			break;
		excl[n + 1] = h;
		helpers[n++] = h;
		send_ping_req(s, h, seq, t);
	}
	return n;
}

void probe_indirect(struct swim *s)
{
	s->probe.indirect = true;
	s->probe.nhelpers = ask_helpers(s, s->probe.member, s->probe.seq, s->probe.helpers);
}

/* A suspicion of member i ran out: ask it once more, directly (the ping
 * leads with our suspicion, so a live member refutes in its ack) and
 * through indirect_checks others at once (each answers with its own view
 * of i, probe_send_small). Acks of this seq match no probe: only the updates
 * they carry count, and only a higher incarnation ends the suspicion. */
void probe_last_call(struct swim *s, uint32_t i)
{
	uint32_t helpers[SWIM_MAX_INDIRECT];
	uint32_t seq = ++s->seq;

	if (s->m[i].addr.family)
		probe_send_ping(s, i, seq, SWIM_MTU);
	ask_helpers(s, i, seq, helpers);
	bump(s, SWIM_STAT_LAST_CALLS, 1);
}

/* An ACK or NACK: the seq, then items. about (NONE: none) names the target
 * of a ping-req we answer: our view of it leads, if we hold it alive, so
 * the requester hears the target's latest incarnation from us whether or
 * not the target answers, and whether or not its ack carried it (its own
 * alive update may have run out of retransmissions long ago). That is what
 * ends a suspicion whose refutation this requester missed while it spread
 * (doc/gossip.md §9, "Found by the simulator"). */
void probe_send_small(struct swim *s, uint32_t to, uint8_t type, uint32_t seq, size_t cap,
		      bool items, uint32_t about)
{
	struct out o;
	uint8_t *p;

	if (!begin_seq(s, &o, to, type, cap, ACK_ITEMS, seq))
		return;
	if (about != NONE && about < s->n && s->m[about].state == SWIM_ALIVE &&
	    (p = wire_out_put(&o, SWIM_ITEM_ALIVE_LEN)) != NULL)
		dissem_put_alive_item(s, p, about, s->m[about].inc);
	if (items)
		dissem_piggyback(s, &o);
	wire_out_send(s, &o);
}

/* ---- handlers ---- */

int probe_on_ping(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct out o;
	uint8_t *p;

	if (n < PING_ITEMS || dissem_items_check(b + PING_ITEMS, n - PING_ITEMS) != MN_OK)
		return MN_EPROTO;
	dissem_items_apply(s, rx, b + PING_ITEMS, n - PING_ITEMS);
	wire_out_begin(s, &o, rx->from, SWIM_T_ACK, rx->cap, &rx->addr);
	p = wire_out_put(&o, ACK_ITEMS);
	if (!p)
		return MN_OK;
	memcpy(p + MSG_SEQ, b + MSG_SEQ, 4);
	view_put_item(s, &o);
	dissem_piggyback(s, &o);
	if (!rx->proven)
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
	wire_out_send(s, &o);
	return MN_OK;
}

int probe_on_ack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	uint32_t seq;
	struct probe *pr = &s->probe;

	if (n < ACK_ITEMS || dissem_items_check(b + ACK_ITEMS, n - ACK_ITEMS) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b + MSG_SEQ);
	dissem_items_apply(s, rx, b + ACK_ITEMS, n - ACK_ITEMS);
	probe_reprove_ack(s, rx->from);
	if (pr->member != NONE && seq == pr->seq) {
		if (rx->from == pr->member) {
			probe_finish(s, true);
		} else {
			for (uint32_t j = 0; j < pr->nhelpers; j++) {
				if (pr->helpers[j] == rx->from) {
					bump(s, SWIM_STAT_INDIRECT_ACKS, 1);
					probe_finish(s, true);
					break;
				}
			}
		}
	}
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		struct relay *r = &s->relay[j];
		if (r->used && r->our_seq == seq && r->target == rx->from) {
			r->used = false;
			probe_send_small(s, r->requester, SWIM_T_ACK, r->req_seq, r->cap, false, r->target);
		}
	}
	return MN_OK;
}

int probe_on_ping_req(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	uint32_t seq, t;
	struct relay *r = NULL;

	if (n < PING_REQ_ITEMS ||
	    dissem_items_check(b + PING_REQ_ITEMS, n - PING_REQ_ITEMS) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b + MSG_SEQ);
	dissem_items_apply(s, rx, b + PING_REQ_ITEMS, n - PING_REQ_ITEMS);
	t = member_find(s, mn_get_be64(b + PING_REQ_TARGET));
	if (t == NONE || t == 0 || t == rx->from || !probe_ok(&s->m[t])) {
		probe_send_small(s, rx->from, SWIM_T_NACK, seq, rx->cap, false, NONE);
		return MN_OK;
	}
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		if (!s->relay[j].used) {
			r = &s->relay[j];
			break;
		}
	}
	if (!r) {
		bump(s, SWIM_STAT_DROP_RELAY_FULL, 1);
		return MN_OK;
	}
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->requester = rx->from;
	r->target = t;
	r->req_seq = seq;
	r->our_seq = ++s->seq;
	r->nack_at = s->now + s->p.probe_timeout_ns * NACK_PCT / 100;
	r->expire = s->now + s->p.probe_interval_ns;
	r->cap = rx->cap;
	probe_send_ping(s, t, r->our_seq, rx->cap);
	return MN_OK;
}

int probe_on_nack(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct probe *pr = &s->probe;
	uint32_t seq;

	if (n < ACK_ITEMS || dissem_items_check(b + ACK_ITEMS, n - ACK_ITEMS) != MN_OK)
		return MN_EPROTO;
	seq = mn_get_be32(b + MSG_SEQ);
	dissem_items_apply(s, rx, b + ACK_ITEMS, n - ACK_ITEMS);
	if (pr->member == NONE || seq != pr->seq)
		return MN_OK;
	for (uint32_t j = 0; j < pr->nhelpers; j++) {
		if (pr->helpers[j] == rx->from && !(pr->nack_mask & (1u << j))) {
			pr->nack_mask |= (uint8_t)(1u << j);
			pr->nacks++;
			bump(s, SWIM_STAT_NACKS, 1);
		}
	}
	return MN_OK;
}

/* One signature check of a HELLO's from the budget: false when none is left. */
static bool hello_budget(struct swim *s)
{
	if (s->now - s->hello_at >= MN_NS_PER_SEC / SWIM_HELLO_PER_SEC) {
		uint64_t add = (s->now - s->hello_at) / (MN_NS_PER_SEC / SWIM_HELLO_PER_SEC);
		s->hello_tokens = add >= SWIM_HELLO_BURST ? SWIM_HELLO_BURST :
				  (uint32_t)(s->hello_tokens + add > SWIM_HELLO_BURST ?
					     SWIM_HELLO_BURST : s->hello_tokens + add);
		s->hello_at = s->now;
	}
	if (s->hello_tokens == 0)
		return false;
	s->hello_tokens--;
	return true;
}

/* An unsealed HELLO: a member we do not know yet sends its signed record.
 * Verifying costs up to four Ed25519 checks, so unknown senders share a
 * budget of SWIM_HELLO_PER_SEC (burst SWIM_HELLO_BURST); a known sender
 * costs one lookup and a drop. */
int probe_on_hello(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len)
{
	uint64_t id_from = mn_get_be64(buf + SEAL_O_FROM);
	uint32_t i;
	int err;

	if (len < SWIM_HELLO_ANN + REC_MEMBER_MIN ||
	    len < (size_t)SWIM_HELLO_ANN + buf[SWIM_HELLO_ANN_LEN] + REC_MEMBER_MIN ||
	    len > (size_t)SWIM_HELLO_ANN + buf[SWIM_HELLO_ANN_LEN] + REC_MEMBER_MAX) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		return MN_EPROTO;
	}
	if (mn_get_be64(buf + SEAL_O_TO) != s->self.id || id_from == s->self.id) {
		bump(s, SWIM_STAT_DROP_NOT_FOR_US, 1);
		return MN_EAUTH;
	}
	if ((i = member_find(s, id_from)) != NONE) {
		/* a member that thinks we do not know it (we were down, or
		 * learned its record from its admitter): its record is ours
		 * already, its announcement may not be, and is what we hand on
		 * with the record (one signature check, from the HELLO budget) */
		size_t alen = buf[SWIM_HELLO_ANN_LEN];
		if (i != 0 && alen && ann_wellformed(buf + SWIM_HELLO_ANN, alen, s->m[i].rec->pk) &&
		    ann_seq(buf + SWIM_HELLO_ANN) > ann_held_seq(s, i) && hello_budget(s))
			ann_take(s, i, buf + SWIM_HELLO_ANN, alen, NONE); /* the HELLO budget paid */
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EEXIST;
	}
	/* Everything that costs no signature first, so junk never spends the
	 * budget a genuine newcomer needs: the record decodes, names the
	 * sender's key, no key of its chain is revoked, a member admitter is a
	 * member, and no key of its chain holds another role here. A record
	 * the store already verified costs nothing. */
	size_t alen = buf[SWIM_HELLO_ANN_LEN];
	const uint8_t *r = buf + SWIM_HELLO_ANN + alen;
	size_t rlen = len - SWIM_HELLO_ANN - alen;
	struct rec_member dm;
	if (rec_member_decode(&dm, r, rlen) != MN_OK || seal_key_id(dm.adm.node_pk) != id_from ||
	    member_key_revoked(s, dm.adm.node_pk) || member_key_revoked(s, dm.invite.invite_pk) ||
	    member_key_revoked(s, dm.adm.admitter_pk) ||
	    (dm.invite.signer == REC_BY_ADMIN && member_key_revoked(s, dm.invite.grant.admin_pk)) ||
	    (dm.adm.admitter == REC_BY_MEMBER && member_find_pk(s, dm.adm.admitter_pk) == NONE) ||
	    trust_roles_clash(s, dm.adm.node_pk, dm.invite.invite_pk,
			      dm.invite.signer == REC_BY_ADMIN ? dm.invite.grant.admin_pk : NULL)) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EPROTO;
	}
	const struct swim_rec *known = s->store.find ? s->store.find(s->store.ctx, r, rlen) : NULL;
	if (known) {
		member_release(s, known);
		/* the record costs nothing, its announcement one check */
		if (alen && !ann_interned(s, buf + SWIM_HELLO_ANN, alen) && !hello_budget(s))
			alen = 0;
		goto learn;
	}
	if (!hello_budget(s)) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return MN_EBUSY;
	}
learn:
	err = member_learn(s, r, rlen, &i);
	if (err) {
		bump(s, SWIM_STAT_DROP_HELLO, 1);
		return err;
	}
	/* where it says it is; the source only when it says nothing we may
	 * send to (a HELLO is unsealed: anyone can send a copy from anywhere,
	 * and a NAT's mapping is proven by its next datagram anyway) */
	if (alen)
		ann_take(s, i, buf + SWIM_HELLO_ANN, alen, NONE); /* the HELLO budget paid */
	if (s->m[i].addr.family == 0)
		member_set_addr(s, i, from, false);
	dissem_queue_alive(s, i);
	return MN_OK;
}
