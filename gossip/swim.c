/* swim.c - SWIM failure detection and dissemination with Lifeguard, push-pull
 * anti-entropy over a hashed digest tree, sealed per pair (see swim.h).
 *
 * Papers: SWIM (Das, Gupta, Motivala, DSN 2002): §3.1 ping / ping-req,
 * §4.1 piggybacked infection-style dissemination, §4.2 suspicion and
 * incarnations, §4.3 round-robin probe target selection over a shuffled list.
 * Lifeguard (Dadgar, Phillips, Currey, 2018): LHA-Probe (local health
 * multiplier scaling probe interval and timeout, nacks from ping-req
 * helpers), LHA-Suspicion (timeout shrinking with independent
 * confirmations), buddy system (a suspect is told directly).
 *
 * Timers (each folded into swim_next_deadline()):
 *
 *   probe        every probe_interval * (health + 1): finish the running
 *                probe (no ack -> suspect the target and raise health by the
 *                nacks we missed, or by 1 without helpers; an ack -> lower
 *                health by 1), then ping the next member of the shuffled
 *                round-robin order (alive or suspect, with an address).
 *   ack timeout  probe start + probe_timeout * (health + 1), no ack yet ->
 *                ping-req through indirect_checks random alive members.
 *   relay        a ping-req we serve: we ping the target; at 80% of our probe
 *                timeout without its ack we nack the requester (Lifeguard);
 *                after one probe interval we forget the request.
 *   suspicion    per suspect: start + max(min, max - (max - min) *
 *                log(C + 1) / log(K + 1)) with C confirmations from distinct
 *                accusers -> dead, announced.
 *   gossip       every gossip_interval while updates are queued: a GOSSIP
 *                to gossip_nodes random members (alive, suspect, or dead for
 *                less than gossip_to_dead).
 *   push-pull    once within a probe interval of start (the join sync),
 *                again 1, 2, 4, 8, then every 16 probe intervals (our
 *                HELLO first, a suspect member may be picked) until a
 *                member has spoken to us this boot (so it holds us),
 *                then at a phase drawn uniformly in [0, pushpull_interval *
 *                scale(N)) after the join sync, then every
 *                pushpull_interval * scale(N) +-10%:
 *                a digest exchange with a random alive member, a dead one
 *                one time in pushpull_dead_one_in (partition healing).
 *   dead probe   first deadline uniform in [0, dead_probe_interval) after
 *                start, then every dead_probe_interval +-10% (re-armed while
 *                no member is dead too, so it keeps its phase): ping one
 *                random dead member, telling it it is dead; if it lives it
 *                refutes in its ack. A HELLO of ours it never answered
 *                goes first, again (probe_hello_again). Nodes started together must not probe
 *                and push-pull in network-wide waves (doc/gossip.md §6).
 *   want retry   a record request unanswered for probe_interval (the WANT
 *                or the RECORD was lost), or one that did not fit the WANT
 *                of its datagram: asked (again) of the member that
 *                announced the version (a random alive one once that is
 *                gone), at most WANT_TRIES times; push-pull is the backstop.
 *   (tokens)     not a timer: address tokens are keyed by the mono time
 *                divided by TOK_EPOCH and accepted for two epochs.
 *   (tombstones) no timer of their own: queued ones ride the gossip timer
 *                (piggybacked, retransmit limit), the rest push-pull.
 *   (orphans)    no deadline of their own: at every timer call, those kept
 *                3 x max(suspicion timeout, push-pull interval) ago are
 *                dropped (swim_orphan.c).
 *
 * Mono instants may wrap: they are compared only with mn_time.h's helpers
 * (mn_time_before, mn_time_after_eq, mn_min_deadline), never with < or >.
 *
 * Integer arithmetic only for anything that decides (DESIGN.md §8): logs are
 * Q16 fixed point.
 */
#include "swim_internal.h"

static const char tag_digest[TAG_LEN] = "mn/v1/digest";

static const char *const stat_names[SWIM_STAT__COUNT] = {
#define SWIM_STAT_NAME(n, s) s,
	SWIM_STAT_MAP(SWIM_STAT_NAME)
#undef SWIM_STAT_NAME
};

const char *swim_stat_name(enum swim_stat st)
{
	return (unsigned)st < SWIM_STAT__COUNT ? stat_names[st] : "unknown";
}

/* ---- the event entry points ---- */

typedef int (*handler_fn)(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n);

static const handler_fn handlers[SWIM_T__LAST - SWIM_T__FIRST + 1] = {
	[SWIM_T_PING - SWIM_T__FIRST] = probe_on_ping,
	[SWIM_T_ACK - SWIM_T__FIRST] = probe_on_ack,
	[SWIM_T_PING_REQ - SWIM_T__FIRST] = probe_on_ping_req,
	[SWIM_T_NACK - SWIM_T__FIRST] = probe_on_nack,
	[SWIM_T_GOSSIP - SWIM_T__FIRST] = dissem_on_gossip,
	[SWIM_T_PP - SWIM_T__FIRST] = pp_on_pushpull,
	[SWIM_T_WANT - SWIM_T__FIRST] = pp_on_want,
	[SWIM_T_RECORD - SWIM_T__FIRST] = pp_on_record,
};

/* True (and remembered) when member i may get a buddy GOSSIP now. */
static bool buddy_due(struct swim *s, uint32_t i)
{
	uint32_t slot = i % BUDDY_SLOTS;

	if (s->buddy[slot].member == i && s->now - s->buddy[slot].at < s->p.probe_interval_ns)
		return false;
	s->buddy[slot].member = i;
	s->buddy[slot].at = s->now;
	return true;
}

int swim_recv(struct swim *s, const struct mn_addr *from, const uint8_t *buf, size_t len,
	      struct mn_time now)
{
	uint8_t pt[SWIM_PT_MAX];
	struct seal_hdr h;
	const struct seal_keys *k;
	struct member *m;
	struct rx rx;
	size_t ptlen = 0;
	uint32_t i;
	bool own;
	int err;

	s->now = now.mono;
	bump(s, SWIM_STAT_RX_DGRAMS, 1);
	bump(s, SWIM_STAT_RX_BYTES, len);
	if (len >= SWIM_HELLO_HDR && seal_is_control(buf, len) &&
	    buf[SEAL_O_VERSION] == SEAL_VERSION && buf[SEAL_O_TYPE] == SWIM_T_HELLO)
		return probe_on_hello(s, from, buf, len);
	err = seal_parse(&h, buf, len);
	if (err) {
		bump(s, SWIM_STAT_DROP_NOT_SEALED, 1);
		return err;
	}
	if (h.to != s->self.id || h.from == s->self.id) {
		bump(s, SWIM_STAT_DROP_NOT_FOR_US, 1);
		return MN_EAUTH;
	}
	/* types swim does not own pass to the control hook, once authenticated */
	own = h.type >= SWIM_T__FIRST && h.type <= SWIM_T__LAST;
	if ((!own && (!s->control || swim_type_own(h.type))) || len > SWIM_MTU) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		return MN_EPROTO;
	}
	/* The one lookup a non-member costs. */
	i = member_find(s, h.from);
	if (i == NONE) {
		bump(s, SWIM_STAT_DROP_NON_MEMBER, 1);
		pp_want_unknown(s, h.from);
		return MN_ENOKEY;
	}
	k = wire_keys(s, i);
	if (!k) {
		bump(s, SWIM_STAT_DROP_AUTH, 1);
		return MN_EAUTH;
	}
	m = &s->m[i];
	err = seal_open(k, &m->pair, &h, buf, len, pt, sizeof(pt), &ptlen);
	if (err) {
		bump(s, err == MN_EREPLAY ? SWIM_STAT_DROP_REPLAY : SWIM_STAT_DROP_AUTH, 1);
		return err;
	}
	if (!own) {
		err = hook_control_in(s, i, from, h.type, pt, ptlen, now);
		goto out;
	}
	if (ptlen < SWIM_BODY_HDR) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		err = MN_EPROTO;
		goto out;
	}
	memset(&rx, 0, sizeof(rx));
	rx.from = i;
	rx.len = len;
	wire_addr_from(&rx.addr, from);
	rx.proven = wire_tok_check(s, i, &rx.addr, mn_get_be64(pt + BODY_ECHO));
	rx.cap = rx.proven ? SWIM_MTU : len;
	rx.burst = rx.proven ? SWIM_PP_BURST : 1;
	if (h.type == SWIM_T_WANT && rx.proven)
		rx.burst = SWIM_RECORD_BURST;
	m->tok = mn_get_be64(pt + BODY_TOK);
	s->heard = true;
	s->last_from = i;
	/* Roaming: its authenticated traffic says where it is now, once it
	 * proved it receives there (echoed a token of this boot for that
	 * address). Authenticated is not enough: after we restart, the replay
	 * window is empty and a captured datagram opens once more, from
	 * anywhere. A member that moved proves the new address one round trip
	 * later: our reply to it goes to the source and carries a token for it. */
	if (rx.addr.family && (rx.proven || m->addr.family == 0)) {
		hook_addr_put(s, i, &rx.addr, rx.proven);
	}
	/* Any authenticated message from the probed member shows it alive,
	 * an ACK too, whatever its seq: one for a ping we sent on someone's
	 * ping-req counts (doc/gossip.md §9, "Found by the simulator"). */
	if (s->probe.member == i)
		probe_finish(s, true);
	/* and from a suspect, evidence: its suspicion re-arms at the timeout
	 * instead of ending in a death, as for its WireGuard traffic
	 * (swim_heard_from); a member back from a restart whose refutation
	 * missed us is not declared dead while it talks to us */
	if (m->susp != NONE)
		s->susps[m->susp].evidence = true;
	s->nwant = 0;
	s->in_rx = true;
	err = handlers[h.type - SWIM_T__FIRST](s, &rx, pt + SWIM_BODY_HDR, ptlen - SWIM_BODY_HDR);
	s->in_rx = false;
	dissem_refute_flush(s);
	if (err) {
		bump(s, SWIM_STAT_DROP_MALFORMED, 1);
		s->nwant = 0;
		goto out;
	}
	/* Buddy system (Lifeguard): the sender is suspect or dead to us, so
	 * tell it. Everything we send it starts with that update (dissem_piggyback; a
	 * ping's ack carries it); anything else it sends gets at most one GOSSIP
	 * per member per probe interval: unlimited, two members holding each
	 * other suspect at an incarnation neither can refute answer each
	 * other's GOSSIPs forever; never, a member held dead that only gossips
	 * learns it too late (doc/gossip.md §9, "Found by the simulator"). */
	m = &s->m[i];
	if (h.type != SWIM_T_PING && (m->state == SWIM_SUSPECT || m->state == SWIM_DEAD) &&
	    buddy_due(s, i)) {
		struct out o;
		wire_out_begin(s, &o, i, SWIM_T_GOSSIP, rx.cap, &rx.addr);
		dissem_piggyback(s, &o);
		if (o.len > SWIM_BODY_HDR)
			wire_out_send(s, &o);
	}
	pp_flush_wants(s, &rx);
out:
	tomb_flush(s); /* tombstones accepted in this datagram take effect */
	trust_flush(s); /* and use-limit races lost in it */
	/* the body holds address tokens: keep them off the stack */
	sodium_memzero(pt, sizeof(pt));
	return err;
}

int swim_poll_tx(struct swim *s, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	return swim_poll_tx_to(s, buf, cap, len, dst, NULL);
}

mn_ns swim_next_deadline(const struct swim *s)
{
	mn_ns d = s->next_probe;

	if (s->probe.member != NONE)
		d = mn_min_deadline(d, s->probe.indirect ? s->probe.end : s->probe.ack_at);
	if (s->heap_n)
		d = mn_min_deadline(d, s->susps[s->heap[0]].deadline);
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		const struct relay *r = &s->relay[j];
		if (r->used)
			d = mn_min_deadline(d, r->nacked ? r->expire : r->nack_at);
	}
	if ((s->nqueued || s->tombs.ntx || s->ann_ntx) && s->p.gossip_nodes)
		d = mn_min_deadline(d, s->next_gossip);
	if (s->p.pushpull_interval_ns)
		d = mn_min_deadline(d, s->next_pp);
	if (s->ndead && s->p.dead_probe_interval_ns)
		d = mn_min_deadline(d, s->next_dead);
	if (s->reprove_left)
		d = mn_min_deadline(d, s->reprove_at);
	if (s->announce_until)
		d = mn_min_deadline(d, s->announce_at);
	if (s->refute_later)
		d = mn_min_deadline(d, dissem_rise_at(s));
	return mn_min_deadline(d, s->want_next);
}

void swim_on_timer(struct swim *s, struct mn_time now)
{
	mn_ns t = now.mono;

	s->now = t;
	/* suspicions that ran out: a last call, then dead. The first time a
	 * suspicion's timeout runs out we ask the suspect once more, directly
	 * and through helpers (probe_last_call), and wait two probe timeouts: a
	 * refutation that missed this node while it spread (a gossip miss
	 * under loss) does not become a false death. Costs 1 +
	 * 2 x indirect_checks datagrams per suspicion that runs out, and
	 * 2 x probe_timeout on the detection bound (doc/gossip.md §8, §9). */
	while (s->heap_n && mn_time_after_eq(t, s->susps[s->heap[0]].deadline)) {
		struct susp *sp = &s->susps[s->heap[0]];
		uint32_t i = sp->member;
		if (sp->evidence) {
			/* its authenticated traffic arrived since: it lives
			 * (swim_heard_from); wait for its refutation again */
			sp->evidence = false;
			sp->last_call = false;
			sp->start = t;
			sp->deadline = t + scale_timeout(&s->p, scale_n(s), 0);
			susp_heap_fix(s, sp->heap);
			bump(s, SWIM_STAT_EVIDENCE_HELD, 1);
			continue;
		}
		if (!sp->last_call) {
			sp->last_call = true;
			sp->deadline = t + 2 * s->p.probe_timeout_ns;
			susp_heap_fix(s, sp->heap);
			probe_last_call(s, i);
			continue;
		}
		susp_end(s, i);
		member_set_state(s, i, SWIM_DEAD, s->m[i].inc);
		dissem_queue(s, i, SWIM_I_DEAD, s->m[i].inc, s->self.id);
		bump(s, SWIM_STAT_DEATHS, 1);
	}
	/* ping-reqs we serve */
	for (uint32_t j = 0; j < SWIM_MAX_RELAY; j++) {
		struct relay *r = &s->relay[j];
		if (!r->used)
			continue;
		if (!r->nacked && mn_time_after_eq(t, r->nack_at)) {
			r->nacked = true;
			probe_send_small(s, r->requester, SWIM_T_NACK, r->req_seq, r->cap, false, r->target);
		}
		if (mn_time_after_eq(t, r->expire))
			r->used = false;
	}
	/* the probe */
	if (s->probe.member != NONE && mn_time_after_eq(t, s->probe.end))
		probe_finish(s, false);
	if (s->probe.member != NONE && !s->probe.indirect && mn_time_after_eq(t, s->probe.ack_at))
		probe_indirect(s);
	if (mn_time_after_eq(t, s->next_probe)) {
		probe_finish(s, false);
		s->next_probe = t + probe_interval(s);
		probe_start(s);
	}
	/* dead members: one ping each dead_probe_interval. Re-armed while none
	 * is dead too (it is no deadline then: it fires late, at the next
	 * timer), so the first death does not fire it at once everywhere. */
	if (s->p.dead_probe_interval_ns && mn_time_after_eq(t, s->next_dead)) {
		uint32_t i = s->ndead ? probe_pick(s, PICK_DEAD, NULL, 0) : NONE;
		s->next_dead = t + rnd_period(s, s->p.dead_probe_interval_ns);
		if (i != NONE) {
			probe_hello_again(s, i);
			probe_send_ping(s, i, ++s->seq, SWIM_MTU);
			bump(s, SWIM_STAT_DEAD_PROBES, 1);
		}
	}
	if ((s->nqueued || s->tombs.ntx || s->ann_ntx) && s->p.gossip_nodes &&
	    mn_time_after_eq(t, s->next_gossip)) {
		s->next_gossip = t + s->p.gossip_interval_ns;
		dissem_round(s);
	}
	if (s->pp_rounds && !s->pp_synced && s->heard) {
		/* the join sync was heard: the push-pull timer as drawn */
		s->pp_synced = true;
		s->next_pp = s->pp_planned;
		/* A newcomer (swim_announce) synced with one member, which may
		 * itself be behind (a join storm: members that joined before us
		 * but after its own view settled, known to nobody's gossip any
		 * more, would wait for the periodic push-pull, minutes away):
		 * a few more exchanges, each with another random member. */
		if (s->pp_more)
			s->next_pp = mn_min_deadline(s->next_pp, t + s->p.probe_interval_ns);
	}
	if (s->pp_back != NONE && s->pp_synced &&
	    mn_elapsed(t, s->pp_back_at, s->p.probe_interval_ns)) {
		/* A member we held dead is alive: a cut between us healed (or
		 * it restarted). What changed on either side while we held
		 * each other dead went out in updates that did not cross, and
		 * only a push-pull finds it, minutes away at scale: one with
		 * that member now, at most one per probe interval
		 * (swim-oneway: agreement 2-9 s after the heal, against
		 * 130-190 s or never). */
		s->pp_back_at = t;
		s->next_pp = t;
	}
	if (s->pp_view != NONE && s->pp_synced) {
		/* a settled view differs from ours (view_item_apply, at most one
		 * per settle time): a push-pull with its member, now */
		s->next_pp = t;
	}
	if (s->want_lost && s->pp_synced) {
		/* Record requests were lost: they gave way in a full table
		 * (a join sync or a storm names more members than it holds)
		 * or were given up after WANT_TRIES re-sends (heavy loss).
		 * Nothing else names those ids again once their updates are
		 * over, and the periodic push-pull is minutes away at scale:
		 * one with a random member a probe interval from now, when
		 * the table has room again (at most one per probe interval
		 * while requests keep being lost). */
		s->want_lost = false;
		s->next_pp = mn_min_deadline(s->next_pp, t + s->p.probe_interval_ns);
	}
	if (s->p.pushpull_interval_ns && mn_time_after_eq(t, s->next_pp)) {
		mn_ns iv = scale_pushpull(&s->p, scale_n(s));
		/* after the join sync, a random phase (memberlist staggers its
		 * push-pull timer at start the same way), then jittered periods */
		s->next_pp = t + (s->pp_rounds == 0 ? rnd_span(s, iv) : rnd_period(s, iv));
		if (!s->pp_synced) {
			/* the join sync again until a member speaks to us, backing off */
			uint32_t k = s->pp_rounds < SWIM_JOIN_SYNC_BACKOFF ? s->pp_rounds :
								   SWIM_JOIN_SYNC_BACKOFF;
			s->pp_planned = s->next_pp;
			s->next_pp = mn_min_deadline(s->next_pp, t + (s->p.probe_interval_ns << k));
		} else if (s->pp_more) {
			s->pp_more--;
			if (s->pp_more)
				s->next_pp = mn_min_deadline(s->next_pp,
							     t + s->p.probe_interval_ns);
		}
		pp_start(s);
	}
	if (s->refute_later && dissem_rise_left(s))
		dissem_refute(s, s->m[0].inc, false);
	if (s->want_next != MN_NEVER && mn_time_after_eq(t, s->want_next))
		pp_want_retry(s);
	if (s->reprove_left && mn_time_after_eq(t, s->reprove_at))
		probe_reprove_round(s);
	if (s->announce_until && mn_time_after_eq(t, s->announce_at))
		probe_announce(s);
	orphan_expire(s);
	view_note(s);
}

/* ---- lifecycle and API ---- */

static const struct swim_rec *priv_add(void *ctx, const uint8_t *b, size_t len,
				       const struct rec_member *m)
{
	struct swim_rec *r;

	(void)ctx;
	r = swim_rec_new(b, len, m);
	if (!r)
		return NULL;
	r->store_ref = 1;
	return r;
}

static void priv_release(void *ctx, const struct swim_rec *r)
{
	(void)ctx;
	free((void *)r);
}

struct swim_rec *swim_rec_new(const uint8_t *b, size_t len, const struct rec_member *m)
{
	struct swim_rec *r;

	if (len > UINT16_MAX)
		return NULL;
	r = calloc(1, sizeof(*r) + len);
	if (!r)
		return NULL;
	r->len = (uint16_t)len;
	memcpy(r->bytes, b, len);
	memcpy(r->pk, m->adm.node_pk, REC_PK_LEN);
	memcpy(r->invite_pk, m->invite.invite_pk, REC_PK_LEN);
	memcpy(r->admitter_pk, m->adm.admitter_pk, REC_PK_LEN);
	if (m->invite.signer == REC_BY_ADMIN)
		memcpy(r->admin_pk, m->invite.grant.admin_pk, REC_PK_LEN);
	else
		memset(r->admin_pk, 0, REC_PK_LEN);
	r->version = m->version;
	r->admitter_kind = m->adm.admitter;
	r->flags = m->flags;
	r->chain_len = (uint16_t)((m->invite.signer == REC_BY_ADMIN ? REC_INVITE_ADMIN_LEN :
				   REC_INVITE_ROOT_LEN) + REC_ADMISSION_LEN);
	/* Once per record, not per pair key: the 64-slot pair-key cache
	 * thrashes past 64 active members, and each miss would convert again. */
	seal_x25519_pk(r->xpk, m->adm.node_pk);
	return r;
}

int swim_new(struct swim **out, const struct swim_config *cfg, struct mn_time now)
{
	struct swim *s;
	uint8_t h[32];
	crypto_generichash_state st;
	uint32_t self;
	int err;

	*out = NULL;
	if (!cfg || !cfg->net || !cfg->key || !cfg->record || !cfg->rng.fill ||
	    swim_params_check(&cfg->params) != MN_OK || cfg->max_members > SWIM_MAX_MEMBERS)
		return MN_EINVAL;
	if (cfg->store && !cfg->store->add)
		return MN_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MN_ENOMEM;
	s->p = cfg->params;
	s->max_members = cfg->max_members ? cfg->max_members : SWIM_MAX_MEMBERS;
	s->net = cfg->net;
	s->rng = cfg->rng;
	if (cfg->store) {
		s->store = *cfg->store;
	} else {
		s->store.add = priv_add;
		s->store.release = priv_release;
	}
	s->memo = cfg->memo;
	tomb_init(s, cfg->revoked);
	s->seal_memo = cfg->seal_memo;
	s->event = cfg->event;
	s->event_ctx = cfg->event_ctx;
	s->addr_changed = cfg->addr_changed;
	s->control = cfg->control;
	s->hook_ctx = cfg->hook_ctx;
	s->now = now.mono;
	s->probe.member = NONE;
	s->slot_free = NONE;
	s->susp_free = NONE;
	s->want_next = MN_NEVER;
	s->last_from = NONE;
	s->pp_back = NONE;
	s->pp_view = NONE;
	s->probe_again = NONE;
	for (uint32_t j = 0; j < SWIM_KEYCACHE; j++)
		s->keycache[j].member = NONE;
	budget_init(s);
	/* The boot number, not the wall clock, keeps this boot's counters above
	 * every earlier boot's (a clock behind the last boot would otherwise
	 * silence us to every peer for the whole boot). */
	err = MN_EFULL;
	if (cfg->boot >= SEAL_BOOT_MAX)
		goto fail;
	s->boot = cfg->boot + 1;
	s->sign = *cfg->key;
	err = seal_self_init(&s->self, cfg->key, s->boot);
	if (err)
		goto fail;
	mn_rng_bytes(&s->rng, s->tok_key, sizeof(s->tok_key));
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)tag_digest, TAG_LEN);
	crypto_generichash_update(&st, cfg->net->id, REC_NETID_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(s->digest_key, h, sizeof(s->digest_key));

	err = MN_ENOMEM;
	s->cap = MEMBERS_INIT;
	s->m = malloc(s->cap * sizeof(*s->m));
	if (!s->m || oatab_init(&s->index, 2 * MEMBERS_INIT) != MN_OK || trust_init(s) != MN_OK ||
	    ann_init(s, cfg->anns) != MN_OK)
		goto fail;
	if (digest_resize(s, LEAF_BITS_MIN) != MN_OK)
		goto fail;

	/* Our own record is member 0. */
	err = member_learn(s, cfg->record, cfg->record_len, &self);
	if (err)
		goto fail;
	if (self != 0 || memcmp(s->m[0].rec->pk, cfg->key->pk, REC_PK_LEN) != 0) {
		err = MN_EINVAL;
		goto fail;
	}
	member_set_state(s, 0, SWIM_ALIVE, cfg->incarnation);
	/* A persisted 0 is a known value: only a lost one lifts the bound. */
	if (cfg->incarnation || !cfg->incarnation_lost)
		s->m[0].flags |= M_INC_KNOWN;
	dissem_queue_alive(s, 0);
	member_emit(s, SWIM_EV_BOOT, 0);
	/* A restart says so to every member it restores, directly, at the
	 * first timer (after the restore): the re-proving pings of
	 * swim_local_addr_changed (which also cover a reboot onto another
	 * address), our own alive leading. A member that suspected us while
	 * we were down, or declared us dead, answers with that (the buddy
	 * system), and we refute at once instead of when its gossip reaches
	 * us (doc/gossip.md §4, also on raising our incarnation instead). */
	if (cfg->boot > 0 && s->m[0].inc < UINT32_MAX - 1) {
		/* A restart refutes at once: whoever suspected us while we were
		 * down, or declared us dead, holds our last incarnation, and the
		 * alive leading our pings must override that, not wait for their
		 * answer to tell us (one round trip, in which their suspicion can
		 * run out: swim-restart). */
		member_set_state(s, 0, SWIM_ALIVE, s->m[0].inc + 1);
		member_emit(s, SWIM_EV_SELF_INC, 0);
	}
	if (cfg->boot > 0) {
		s->reprove_lead = true;
		s->reprove_left = SWIM_REPROVE_ROUNDS;
		s->reprove_at = s->now;
	}

	s->seq = mn_rng_u32(&s->rng);
	s->next_probe = s->now + rnd(s, (uint32_t)(s->p.probe_interval_ns / MN_NS_PER_MS) + 1) *
				   MN_NS_PER_MS;
	s->next_gossip = s->now;
	/* A push-pull soon after start, as memberlist does on join: a node that
	 * boots knowing a few members gets the rest in one exchange. */
	s->next_pp = s->now + rnd(s, (uint32_t)(s->p.probe_interval_ns / MN_NS_PER_MS) + 1) *
				 MN_NS_PER_MS;
	s->pp_planned = s->next_pp;
	s->next_dead = s->now + rnd_span(s, s->p.dead_probe_interval_ns);
	s->hello_tokens = SWIM_HELLO_BURST;
	s->rise_tokens = SWIM_INC_RISE_BURST;
	s->rise_at = s->now;
	s->hello_at = s->now;
	s->hello_sent_at = MN_NEVER;
	*out = s;
	return MN_OK;
fail:
	swim_del(s);
	return err;
}

void swim_del(struct swim *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n; i++)
		if (present(&s->m[i]))
			member_release(s, s->m[i].rec);
	free(s->m);
	oatab_free(&s->index);
	free(s->leaf_hash);
	free(s->leaf_count);
	free(s->leaf_head);
	free(s->queue);
	free(s->queue_order);
	free(s->susps);
	free(s->heap);
	free(s->tx);
	orphan_free(s);
	tomb_free(s);
	trust_free(s);
	ann_free(s);
	sodium_memzero(s, sizeof(*s)); /* seal secret, token key, pair keys */
	free(s);
}

static int learn_at(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
		    struct mn_time now, bool announce)
{
	struct waddr w;
	uint32_t i;
	int err;

	s->now = now.mono;
	if (addr)
		wire_addr_from(&w, addr);
	err = member_learn_at(s, rec, len, addr ? &w : NULL, announce, NONE, &i);
	member_took(s, err, i, addr ? &w : NULL, announce);
	return err;
}

int swim_learn(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
	       struct mn_time now)
{
	return learn_at(s, rec, len, addr, now, true);
}

int swim_restore(struct swim *s, const uint8_t *rec, size_t len, const struct mn_addr *addr,
		 struct mn_time now)
{
	return learn_at(s, rec, len, addr, now, false);
}

int swim_publish(struct swim *s, const uint8_t *rec, size_t len, struct mn_time now)
{
	struct rec_member dm;
	uint32_t i;
	int err;

	s->now = now.mono;
	err = rec_member_decode(&dm, rec, len);
	if (err)
		return err;
	if (memcmp(dm.adm.node_pk, s->self.pk, REC_PK_LEN) != 0)
		return MN_EINVAL;
	err = member_learn(s, rec, len, &i);
	if (err)
		return err;
	dissem_bump(s); /* the alive update carries the version */
	return MN_OK;
}

int swim_set_addr(struct swim *s, const uint8_t pk[REC_PK_LEN], const struct mn_addr *addr)
{
	uint32_t i = member_find_pk(s, pk);

	if (i == NONE || !present(&s->m[i]))
		return MN_ENOENT;
	member_set_addr(s, i, addr, true);
	return MN_OK;
}

void swim_heard_from(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now)
{
	uint32_t i = member_find_pk(s, pk);

	s->now = now.mono;
	if (i == NONE || i == 0)
		return;
	if (s->probe.member == i)
		probe_finish(s, true);
	if (s->m[i].susp != NONE)
		s->susps[s->m[i].susp].evidence = true;
}

uint32_t swim_remove(struct swim *s, const uint8_t pk[REC_PK_LEN], struct mn_time now)
{
	uint32_t removed = 0, pass;

	s->now = now.mono;
	for (uint32_t i = 1; i < s->n; i++) {
		if (present(&s->m[i]) && member_rec_names(s->m[i].rec, pk)) {
			member_remove(s, i);
			removed++;
		}
	}
	orphan_drop_key(s, pk); /* and the orphans it would have unlocked */
	/* Then, transitively, members whose member-admitter is gone (not our
	 * own admitter: it is held without its admitter). */
	do {
		pass = 0;
		for (uint32_t i = 1; i < s->n; i++) {
			const struct swim_rec *r = s->m[i].rec;
			if (present(&s->m[i]) && r->admitter_kind == REC_BY_MEMBER &&
			    member_find_pk(s, r->admitter_pk) == NONE && !member_own_admitter(s, r)) {
				member_remove(s, i);
				pass++;
			}
		}
		removed += pass;
	} while (pass);
	return removed;
}

int swim_member(const struct swim *s, const uint8_t pk[REC_PK_LEN], struct swim_member_info *out)
{
	uint32_t i = member_find_pk(s, pk);
	const struct member *m;

	memset(out, 0, sizeof(*out));
	if (i == NONE)
		return MN_ENOENT;
	m = &s->m[i];
	out->state = (enum swim_state)m->state;
	out->inc = m->inc;
	out->version = m->rec->version;
	wire_addr_to(&m->addr, &out->addr);
	out->rec = m->rec;
	out->since = m->since;
	return MN_OK;
}

void swim_counts(const struct swim *s, struct swim_counts *out)
{
	out->members = s->npresent;
	out->alive = s->nalive;
	out->suspect = s->nsuspect;
	out->dead = s->ndead;
	out->queued = s->nqueued;
	out->tombs = s->tombs.nvalid;
}

uint32_t swim_health(const struct swim *s)
{
	return s->health;
}

uint32_t swim_incarnation(const struct swim *s)
{
	return s->m[0].inc;
}

uint64_t swim_stat(const struct swim *s, enum swim_stat st)
{
	return (unsigned)st < SWIM_STAT__COUNT ? s->stats[st] : 0;
}

uint64_t swim_view_digest(const struct swim *s)
{
	return s->view;
}
