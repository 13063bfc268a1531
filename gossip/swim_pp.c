/* swim_pp.c - push-pull anti-entropy over the digest tree, and record
 * requests (WANT, RECORD) with their retries.
 */
#include "swim_internal.h"

/* ---- wants ---- */

/* How long a request waits for its RECORD before it is asked again: the
 * probe timeout, the round trip a member is given to answer a ping. A
 * probe interval (5 s on WAN) put a request lost under 15% loss 5 s behind
 * per loss (swim-heavyloss: reach99 in steps of 5 s, up to 31 s). */
static mn_ns want_wait(const struct swim *s)
{
	return s->p.probe_timeout_ns;
}

/* Fetch the record of id, from whoever told us (rx: the sender; NULL: a
 * random alive member on retry). Up to SWIM_WANT_BATCH ids go in this
 * datagram's WANT (pp_flush_wants); the rest wait in the table, asked one
 * probe timeout later of the same member (pp_want_retry). Not while an
 * orphan of that id waits for its admitter: it is adopted then (and a
 * newer version fetched as for any member); evicted, it is asked for again
 * at the next mention. */
void pp_want(struct swim *s, const struct rx *rx, uint64_t id)
{
	struct want *w = NULL, *oldest = &s->wants[0];

	if (orphan_held(s, id))
		return;
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *x = &s->wants[j];
		if (x->used && x->id == id) {
			if (s->now - x->at < want_wait(s))
				return;
			w = x;
			break;
		}
		if (!x->used && !w)
			w = x;
		/* full: replace the oldest request already sent (its RECORD may
		 * still come) before one still waiting for its first WANT */
		if (x->used && (oldest->waiting > x->waiting ||
				(oldest->waiting == x->waiting && mn_time_before(x->at, oldest->at))))
			oldest = x;
	}
	if (!w) {
		/* full: a request is lost; a push-pull soon finds it again
		 * (want_lost, swim_on_timer) */
		w = oldest;
		s->want_lost = true;
	}
	for (uint32_t j = 0; j < s->nwant; j++)
		if (s->want_ids[j] == id)
			return;
	if (!w->used || w->id != id)
		w->tries = 0;
	w->used = true;
	w->id = id;
	w->at = s->now;
	w->from = NONE;
	w->waiting = false;
	s->want_next = mn_min_deadline(s->want_next, s->now + want_wait(s));
	/* Not in this datagram's WANT: kept, and asked of the sender one probe
	 * interval from now, not left to the next push-pull
	 * (doc/gossip.md §9, "Found by the simulator"). */
	if (s->nwant == SWIM_WANT_BATCH) {
		w->from = rx ? rx->from : NONE;
		w->waiting = true;
		return;
	}
	s->want_ids[s->nwant++] = id;
}

/* A sealed datagram from an id we hold no record of: most likely a member
 * whose alive updates all missed us (a newcomer in a small network, whose
 * update is retransmitted only a few times), so its traffic is dropped here
 * until it probes us and its HELLO follows (up to members x probe
 * interval). Ask a random member for its record at the next timer, as a
 * want retry does. Anyone can put any id in a header: at most
 * SWIM_UNKNOWN_WANTS ids per probe interval, never one already wanted,
 * never more than the want table holds (it takes a free slot only). */
void pp_want_unknown(struct swim *s, uint64_t id)
{
	struct want *w = NULL;

	if (mn_elapsed(s->now, s->unknown_at, s->p.probe_interval_ns)) {
		s->unknown_at = s->now;
		s->unknown_n = 0;
	}
	if (s->unknown_n >= SWIM_UNKNOWN_WANTS || orphan_held(s, id))
		return;
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		if (s->wants[j].used && s->wants[j].id == id)
			return;
		if (!s->wants[j].used && !w)
			w = &s->wants[j];
	}
	if (!w)
		return;
	s->unknown_n++;
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->id = id;
	/* first the member we heard from last: it is up, and reachable (a
	 * random one may be a departed member still held alive) */
	w->from = s->last_from;
	w->anyone = true;
	w->waiting = true;
	/* due at once (want_due: a probe interval after `at`) */
	w->at = s->now - want_wait(s);
	s->want_next = mn_min_deadline(s->want_next, s->now);
	bump(s, SWIM_STAT_UNKNOWN_WANTS, 1);
}

/* A member mentioned (an alive update, a LIST entry) whom we hold with
 * no address and no announcement: where it is comes only in its own
 * signed word, with its record (pp_on_want) if the sender holds it, so
 * its record is asked of the sender as a newer version would be. Not
 * held: the mention fetches it anyway (dissem_apply_alive). */
void pp_want_addr(struct swim *s, const struct rx *rx, uint64_t id)
{
	uint32_t i = member_find(s, id);

	if (i != NONE && i != 0 && s->m[i].addr.family == 0 && !ann_held_seq(s, i)) {
		bump(s, SWIM_STAT_ADDR_WANTS, 1);
		pp_want(s, rx, id);
	}
}

/* The answer to our request for id's record came without its
 * announcement: asked again, of another member, as an unanswered one
 * (pp_want_retry), up to WANT_TRIES. */
static void want_elsewhere(struct swim *s, uint64_t id)
{
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		if (w->used && w->id == id) {
			w->anyone = true;
			if (w->tries == 0)
				w->tries = 1;
		}
	}
}

/* Member i's own record, asked of it at the next timer: what we hold of
 * it came without its announcement (a newcomer's admitter, from the
 * ACCEPT), and its answer carries it (pp_on_want), for us to hand on with
 * the record. Takes a free slot only. */
void pp_want_own(struct swim *s, uint32_t i)
{
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		if (w->used && w->id == member_id(s, i))
			return;
	}
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		if (w->used)
			continue;
		memset(w, 0, sizeof(*w));
		w->used = true;
		w->id = member_id(s, i);
		w->from = i;
		w->waiting = true;
		w->at = s->now - want_wait(s); /* due at once (want_due) */
		s->want_next = mn_min_deadline(s->want_next, s->now);
		bump(s, SWIM_STAT_ADDR_WANTS, 1);
		return;
	}
}

static void want_done(struct swim *s, uint64_t id)
{
	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++)
		if (s->wants[j].used && s->wants[j].id == id)
			s->wants[j].used = false;
}

void pp_flush_wants(struct swim *s, const struct rx *rx)
{
	struct out o;
	uint8_t *p;
	uint32_t n = 0;

	if (s->nwant == 0)
		return;
	wire_out_begin(s, &o, rx->from, SWIM_T_WANT, rx->cap, &rx->addr);
	p = wire_out_put(&o, WANT_IDS);
	if (p) {
		while (n < s->nwant) {
			uint8_t *q = wire_out_put(&o, 8);
			if (!q)
				break;
			mn_put_be64(q, s->want_ids[n++]);
		}
		p[WANT_N] = (uint8_t)n;
	}
	if (n < s->nwant)
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
	if (n > 0) {
		wire_out_send(s, &o);
		bump(s, SWIM_STAT_WANTS, 1);
	}
	/* who was asked, for a retry (pp_want_retry) and for the answer
	 * (budget_asked: kept apart, the table may give the entry away) */
	for (uint32_t j = 0; j < n; j++) {
		budget_asked(s, s->want_ids[j], rx->from);
		for (uint32_t k = 0; k < SWIM_MAX_WANTS; k++)
			if (s->wants[k].used && s->wants[k].id == s->want_ids[j])
				s->wants[k].from = rx->from;
	}
	/* ids that did not fit stay wanted: asked of the sender one probe
	 * interval from now (pp_want_retry) */
	for (uint32_t j = n; j < s->nwant; j++)
		for (uint32_t k = 0; k < SWIM_MAX_WANTS; k++)
			if (s->wants[k].used && s->wants[k].id == s->want_ids[j]) {
				s->wants[k].from = rx->from;
				s->wants[k].waiting = true;
			}
	s->nwant = 0;
}

/* ---- push-pull ---- */

static void reply_begin(struct swim *s, struct pp_reply *w, uint32_t to, size_t cap, uint32_t burst,
			const struct waddr *dst)
{
	w->sent = 0;
	w->burst = burst;
	w->cap = cap;
	w->full = false;
	wire_out_begin(s, &w->o, to, SWIM_T_PP, cap, dst);
	uint8_t *p = wire_out_put(&w->o, 1);
	if (p)
		*p = 0;
	else
		w->full = true;
}

static void reply_flush(struct swim *s, struct pp_reply *w)
{
	if (w->o.len > SWIM_BODY_HDR + 1) {
		wire_out_send(s, &w->o);
		w->sent++;
	}
}

/* Room for n more bytes, starting another datagram if allowed. */
uint8_t *pp_reply_put(struct swim *s, struct pp_reply *w, size_t n)
{
	uint8_t *p;
	struct waddr dst;

	if (w->full)
		return NULL;
	p = wire_out_put(&w->o, n);
	if (p)
		return p;
	if (w->sent + 1 >= w->burst) {
		w->full = true;
		bump(s, SWIM_STAT_CAPPED_REPLY, 1);
		return NULL;
	}
	dst = w->o.dst;
	reply_flush(s, w);
	wire_out_begin(s, &w->o, w->o.to, SWIM_T_PP, w->cap, &dst);
	p = wire_out_put(&w->o, 1);
	if (!p) {
		w->full = true;
		return NULL;
	}
	*p = 0;
	p = wire_out_put(&w->o, n);
	if (!p)
		w->full = true;
	return p;
}

static void put_entry(const struct swim *s, uint8_t *p, uint32_t i)
{
	const struct member *m = &s->m[i];

	mn_put_be64(p + ENTRY_ID, member_id(s, i));
	mn_put_be64(p + ENTRY_VERSION, m->rec->version);
	mn_put_be32(p + ENTRY_INC, m->inc);
	p[ENTRY_STATE] = m->state;
}

/* A RANGE or TRANGE item. */
void pp_put_range(uint8_t *p, uint8_t kind, uint32_t bits, uint64_t prefix, uint32_t count,
		  uint64_t hash)
{
	p[DIG_KIND] = kind;
	p[DIG_BITS] = (uint8_t)bits;
	mn_put_be64(p + DIG_PREFIX, prefix);
	mn_put_be16(p + RANGE_COUNT, count > UINT16_MAX ? UINT16_MAX : (uint16_t)count);
	mn_put_be64(p + RANGE_HASH, hash);
}

/* A LIST's or TLIST's header; its n entries follow at LIST_ENTRIES. */
void pp_put_list_hdr(uint8_t *p, uint8_t kind, uint32_t bits, uint64_t prefix, bool want_reply,
		     uint32_t n)
{
	p[DIG_KIND] = kind;
	p[DIG_BITS] = (uint8_t)bits;
	mn_put_be64(p + DIG_PREFIX, prefix);
	p[LIST_FLAGS] = want_reply ? 1 : 0;
	p[LIST_N] = (uint8_t)n;
}

/* Descend: a range's 16 children (4 more bits each) as RANGE or TRANGE
 * items, their hashes and counts from sum (over members or tombstones). */
void pp_put_children(struct swim *s, struct pp_reply *w, uint8_t kind, uint32_t bits,
		     uint64_t prefix, pp_sum_fn sum, const void *ctx)
{
	uint8_t *q = pp_reply_put(s, w, 16 * SWIM_ITEM_RANGE_LEN);

	for (uint32_t k = 0; q && k < 16; k++) {
		uint64_t cp = prefix | ((uint64_t)k << (60 - bits));
		uint32_t cc;
		uint64_t ch;
		sum(ctx, bits + 4, cp, &ch, &cc);
		pp_put_range(q + k * SWIM_ITEM_RANGE_LEN, kind, bits + 4, cp, cc, ch);
	}
}

static void members_sum(const void *ctx, uint32_t bits, uint64_t prefix, uint64_t *hash,
			uint32_t *count)
{
	digest_range_sum(ctx, bits, prefix, hash, count);
}

struct collect {
	uint32_t idx[SWIM_PP_LIST_MAX];
	uint32_t n;
	const uint8_t *theirs;  /* their entries, for deltas; NULL: take all */
	uint32_t ntheirs;
};

static uint8_t state_rank(uint8_t st)
{
	return st == SWIM_ALIVE ? 0 : st == SWIM_SUSPECT ? 1 : 2;
}

/* Collect members for a LIST: all of the range, or (theirs set) those the
 * peer lacks or holds older (version, incarnation, or state at equal inc). */
static bool collect_fn(const struct swim *s, uint32_t i, void *ctx)
{
	struct collect *c = ctx;
	const struct member *m = &s->m[i];

	for (uint32_t j = 0; c->theirs && j < c->ntheirs; j++) {
		const uint8_t *e = c->theirs + (size_t)j * SWIM_ENTRY_LEN;
		if (mn_get_be64(e + ENTRY_ID) != member_id(s, i))
			continue;
		uint64_t v = mn_get_be64(e + ENTRY_VERSION);
		uint32_t inc = mn_get_be32(e + ENTRY_INC);
		bool newer = m->rec->version > v || m->inc > inc ||
			     (m->inc == inc && state_rank(m->state) > state_rank(e[ENTRY_STATE]));
		if (!newer)
			return true;
		break;
	}
	c->idx[c->n++] = i;
	return c->n < SWIM_PP_LIST_MAX;
}

static void emit_list(struct swim *s, struct pp_reply *w, uint32_t bits, uint64_t prefix,
		      bool want_reply, const struct collect *c)
{
	uint8_t *p = pp_reply_put(s, w, SWIM_ITEM_LIST_HDR + (size_t)c->n * SWIM_ENTRY_LEN);

	if (!p)
		return;
	pp_put_list_hdr(p, SWIM_I_LIST, bits, prefix, want_reply, c->n);
	for (uint32_t j = 0; j < c->n; j++)
		put_entry(s, p + LIST_ENTRIES + (size_t)j * SWIM_ENTRY_LEN, c->idx[j]);
}

bool pp_range_ok(uint32_t bits, uint64_t prefix)
{
	return bits <= 64 && bits % 4 == 0 && (prefix & ~prefix_mask(bits)) == 0;
}

/* A RANGE's (or TRANGE's: the same layout) length when well formed, else 0. */
size_t pp_range_len(const uint8_t *p, size_t avail)
{
	return avail >= SWIM_ITEM_RANGE_LEN &&
	       pp_range_ok(p[DIG_BITS], mn_get_be64(p + DIG_PREFIX)) ? SWIM_ITEM_RANGE_LEN : 0;
}

/* A LIST's or TLIST's length (entries of entry_len bytes, at most max_n)
 * when its header is well formed and its entries fit, else 0. */
size_t pp_list_len(const uint8_t *p, size_t avail, size_t entry_len, uint32_t max_n)
{
	size_t len;

	if (avail < LIST_ENTRIES || !pp_range_ok(p[DIG_BITS], mn_get_be64(p + DIG_PREFIX)) ||
	    p[LIST_FLAGS] > 1 || p[LIST_N] > max_n)
		return 0;
	len = LIST_ENTRIES + (size_t)p[LIST_N] * entry_len;
	return avail < len ? 0 : len;
}

/* A LIST's entries are in its range and name a liveness state. */
static size_t list_len(const uint8_t *p, size_t avail)
{
	size_t len = pp_list_len(p, avail, SWIM_ENTRY_LEN, ENTRY_LIST_MAX);
	uint64_t mask, prefix;

	if (len == 0)
		return 0;
	mask = prefix_mask(p[DIG_BITS]);
	prefix = mn_get_be64(p + DIG_PREFIX);
	for (uint32_t j = 0; j < p[LIST_N]; j++) {
		const uint8_t *e = p + LIST_ENTRIES + (size_t)j * SWIM_ENTRY_LEN;
		if ((mn_get_be64(e + ENTRY_ID) & mask) != prefix || e[ENTRY_STATE] < SWIM_ALIVE ||
		    e[ENTRY_STATE] > SWIM_DEAD)
			return 0;
	}
	return len;
}

/* A push-pull item's length when well formed, else 0. */
static size_t pp_item_len(const uint8_t *p, size_t avail)
{
	if (p[DIG_KIND] == SWIM_I_RANGE)
		return pp_range_len(p, avail);
	if (p[DIG_KIND] == SWIM_I_LIST)
		return list_len(p, avail);
	if (tomb_pp_kind(p[DIG_KIND]))
		return tomb_pp_len(p, avail);
	return 0;
}

static int pp_check(const uint8_t *b, size_t n)
{
	if (n < PP_ITEMS || b[PP_FLAGS] > 1)
		return MN_EPROTO;
	return wire_items_check(b, n, PP_ITEMS, pp_item_len);
}

static void pp_entries(struct swim *s, const struct rx *rx, const uint8_t *e, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++, e += SWIM_ENTRY_LEN) {
		uint64_t id = mn_get_be64(e + ENTRY_ID);
		uint64_t version = mn_get_be64(e + ENTRY_VERSION);
		uint32_t inc = mn_get_be32(e + ENTRY_INC);
		if (e[ENTRY_STATE] == SWIM_ALIVE) {
			dissem_apply_alive(s, rx, id, inc, version);
			pp_want_addr(s, rx, id);
		} else
			dissem_apply_suspect(s, rx, id, inc, member_id(s, rx->from));
		uint32_t i = member_find(s, id);
		/* a down member is still a member: fetch its record too */
		if (i == NONE || (i != 0 && version > s->m[i].rec->version))
			pp_want(s, rx, id);
	}
}

int pp_on_pushpull(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct pp_reply w;
	size_t off = PP_ITEMS;
	uint32_t tomb_work = 0;

	if (pp_check(b, n) != MN_OK)
		return MN_EPROTO;
	reply_begin(s, &w, rx->from, rx->cap, rx->burst, &rx->addr);
	while (off < n && b[off] != SWIM_I_PAD) {
		const uint8_t *p = b + off;
		if (tomb_pp_kind(p[DIG_KIND])) {
			off += tomb_pp(s, &w, p, rx->from, &tomb_work);
			continue;
		}
		uint32_t bits = p[DIG_BITS];
		uint64_t prefix = mn_get_be64(p + DIG_PREFIX);
		/* Work per message stays bounded: a range costs a walk over
		 * 2^(leaf bits - bits) leaves, so the root (all of them) is
		 * looked at only as a message's first item, where an opening
		 * or a root LIST puts it; deeper items cost 1/16 of that or less. */
		bool scan = bits > 0 || off == PP_ITEMS;
		if (p[DIG_KIND] == SWIM_I_RANGE) {
			uint32_t theirs_n = mn_get_be16(p + RANGE_COUNT), mine_n;
			uint64_t h;
			off += SWIM_ITEM_RANGE_LEN;
			if (w.full || !scan)
				continue;
			digest_range_sum(s, bits, prefix, &h, &mine_n);
			if (h == mn_get_be64(p + RANGE_HASH) && mine_n == theirs_n)
				continue;
			if (bits == 64 || mine_n + theirs_n <= SWIM_PP_LIST_MAX) {
				struct collect c = { .n = 0 };
				digest_range_each(s, bits, prefix, collect_fn, &c);
				emit_list(s, &w, bits, prefix, true, &c);
			} else {
				pp_put_children(s, &w, SWIM_I_RANGE, bits, prefix, members_sum, s);
			}
		} else {
			uint32_t ne = p[LIST_N];
			const uint8_t *e = p + LIST_ENTRIES;
			off += SWIM_ITEM_LIST_HDR + (size_t)ne * SWIM_ENTRY_LEN;
			pp_entries(s, rx, e, ne);
			if (p[LIST_FLAGS] && scan && !w.full) {
				struct collect c = { .n = 0, .theirs = e, .ntheirs = ne };
				digest_range_each(s, bits, prefix, collect_fn, &c);
				if (c.n)
					emit_list(s, &w, bits, prefix, false, &c);
			}
		}
	}
	reply_flush(s, &w);
	return MN_OK;
}

/* The member *slot names if it is still here and alive, else NONE; the
 * slot is emptied either way. */
static uint32_t take_alive(struct swim *s, uint32_t *slot)
{
	uint32_t i = *slot;

	*slot = NONE;
	return i != NONE && i < s->n && present(&s->m[i]) && s->m[i].state == SWIM_ALIVE ? i : NONE;
}

void pp_start(struct swim *s)
{
	struct out o;
	uint32_t i = NONE, cnt;
	uint64_t h;
	uint8_t *p;

	s->pp_rounds++;
	/* a member back from the dead first, then one whose settled view
	 * differs (swim_on_timer); both are spent by this round */
	i = take_alive(s, &s->pp_back);
	uint32_t view = take_alive(s, &s->pp_view);
	if (i == NONE)
		i = view;
	if (i == NONE && s->ndead && s->p.pushpull_dead_one_in &&
	    s->pp_rounds % s->p.pushpull_dead_one_in == 0)
		i = probe_pick(s, PICK_DEAD, NULL, 0);
	if (i == NONE)
		i = probe_pick(s, PICK_ALIVE, NULL, 0);
	if (i == NONE && !s->pp_synced) /* a join sync: a suspect member too */
		i = probe_pick(s, PICK_GOSSIP, NULL, 0);
	if (i == NONE)
		i = probe_pick(s, PICK_DEAD, NULL, 0);
	if (i == NONE)
		return;
	/* a join sync again: it may not hold us (it was down when our HELLO
	 * came), so the HELLO goes first, again */
	if (!s->pp_synced && s->pp_rounds > 1)
		probe_hello_unheard(s, i);
	wire_out_begin(s, &o, i, SWIM_T_PP, SWIM_MTU, NULL);
	p = wire_out_put(&o, PP_ITEMS + SWIM_ITEM_RANGE_LEN);
	if (!p)
		return;
	p[PP_FLAGS] = 1; /* an opening */
	digest_range_sum(s, 0, 0, &h, &cnt);
	pp_put_range(p + PP_ITEMS, SWIM_I_RANGE, 0, 0, cnt, h);
	tomb_pp_open(s, &o);
	/* Unproven: pay for the reply up front (DESIGN.md §2). */
	if (s->m[i].tok == 0)
		wire_out_pad(&o, SWIM_MTU);
	wire_out_send(s, &o);
	bump(s, SWIM_STAT_PUSHPULLS, 1);
}

/* ---- records on the wire ---- */

int pp_on_want(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	struct out o;
	uint32_t cnt, sent = 0, k = 0;
	uint8_t *np = NULL;

	if (n < WANT_IDS || b[WANT_N] > SWIM_WANT_BATCH || n < WANT_IDS + (size_t)b[WANT_N] * 8)
		return MN_EPROTO;
	cnt = b[WANT_N];
	o.len = 0;
	for (uint32_t j = 0; j < cnt; j++) {
		uint32_t i = member_find(s, mn_get_be64(b + WANT_IDS + 8 * j));
		if (i == NONE)
			continue;
		const struct member *m = &s->m[i];
		size_t alen = 0;
		const uint8_t *ann = ann_held(s, i, &alen);
		size_t need = RE_RECORD + m->rec->len + alen;
		uint8_t *p = NULL;
		if (o.len >= SWIM_BODY_HDR && np)
			p = wire_out_put(&o, need);
		if (!p) {
			if (np && k) {
				np[RECORD_N] = (uint8_t)k;
				wire_out_send(s, &o);
				sent++;
			}
			if (sent >= rx->burst) {
				bump(s, SWIM_STAT_CAPPED_REPLY, 1);
				return MN_OK;
			}
			wire_out_begin(s, &o, rx->from, SWIM_T_RECORD, rx->cap, &rx->addr);
			np = wire_out_put(&o, RECORD_ENTRIES);
			k = 0;
			p = np ? wire_out_put(&o, need) : NULL;
			if (!p) {
				/* does not fit the request's size: the peer proves its
				 * address first, then asks again */
				bump(s, SWIM_STAT_CAPPED_REPLY, 1);
				return MN_OK;
			}
		}
		mn_put_be32(p + RE_INC, m->inc);
		p[RE_STATE] = i == 0 ? SWIM_ALIVE : m->state;
		/* where it is: its own signed word, never ours (doc/gossip.md §5) */
		p[RE_ANN_LEN] = (uint8_t)alen;
		mn_put_be16(p + RE_LEN, m->rec->len);
		memcpy(p + RE_RECORD, m->rec->bytes, m->rec->len);
		if (alen)
			memcpy(p + RE_RECORD + m->rec->len, ann, alen);
		k++;
	}
	if (np && k) {
		np[RECORD_N] = (uint8_t)k;
		wire_out_send(s, &o);
	}
	return MN_OK;
}

int pp_on_record(struct swim *s, const struct rx *rx, const uint8_t *b, size_t n)
{
	size_t off = RECORD_ENTRIES;
	uint32_t cnt;

	if (n < RECORD_ENTRIES)
		return MN_EPROTO;
	cnt = b[RECORD_N];
	/* check the framing first */
	for (uint32_t j = 0; j < cnt; j++) {
		if (n - off < RE_RECORD)
			return MN_EPROTO;
		size_t len = (size_t)mn_get_be16(b + off + RE_LEN) + b[off + RE_ANN_LEN];
		if (b[off + RE_STATE] < SWIM_ALIVE || b[off + RE_STATE] > SWIM_DEAD ||
		    n - off - RE_RECORD < len)
			return MN_EPROTO;
		off += RE_RECORD + len;
	}
	off = RECORD_ENTRIES;
	for (uint32_t j = 0; j < cnt; j++) {
		const uint8_t *p = b + off;
		uint32_t inc = mn_get_be32(p + RE_INC);
		uint8_t st = p[RE_STATE], alen = p[RE_ANN_LEN];
		uint16_t len = mn_get_be16(p + RE_LEN);
		uint32_t i;
		off += RE_RECORD + len + alen;
		/* one we did not ask the sender for costs its budget
		 * (swim_budget.c) */
		int err = member_learn_at(s, p + RE_RECORD, len, NULL, true, rx->from, &i);
		if (err == MN_ENOENT && s->orphans.kept) {
			if (alen)
				orphan_keep_ann(s, p + RE_RECORD + len, alen, rx->from);
			/* kept until its admitter is held: asked no more, and
			 * its admitter asked of the sender, who holds it */
			want_done(s, seal_key_id(s->orphans.kept->pk));
			pp_want(s, rx, seal_key_id(s->orphans.kept->admitter_pk));
			continue;
		}
		if (err != MN_OK && err != MN_EEXIST)
			continue;
		if (i == NONE)
			continue;
		if (i != 0 && !alen && s->m[i].addr.family == 0 && !ann_held_seq(s, i))
			want_elsewhere(s, member_id(s, i)); /* it did not know where either */
		else
			want_done(s, member_id(s, i));
		if (err == MN_OK && i != 0 && s->m[i].state == SWIM_ALIVE)
			dissem_queue_alive(s, i); /* spread the new version */
		if (alen && i != 0)
			ann_take(s, i, p + RE_RECORD + len, alen, rx->from);
		if (st == SWIM_ALIVE)
			dissem_apply_alive(s, rx, member_id(s, i), inc, 0);
		else
			dissem_apply_suspect(s, rx, member_id(s, i), inc, member_id(s, rx->from));
	}
	pp_want_more(s, rx);
	return MN_OK;
}

static bool want_due(const struct swim *s, const struct want *w)
{
	return w->used && mn_time_after_eq(s->now, w->at + want_wait(s));
}

/* A RECORD from member `from` came: the ids that did not fit an earlier
 * WANT to it (waiting), asked of it now, one WANT of up to
 * SWIM_WANT_BATCH. Each answer brings the next batch, so a newcomer's
 * join sync fetches N records in N / SWIM_WANT_BATCH round trips, not
 * one batch per probe interval (5 s on WAN: a 70-member mesh took over
 * 10 s to reach every member, doc/gossip.md §9). The sender proved its
 * address to send the RECORD; the pace is its own replies'. */
void pp_want_more(struct swim *s, const struct rx *rx)
{
	uint32_t from = rx->from;
	struct out o;
	uint8_t *p = NULL;
	uint32_t n = 0;

	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		if (!w->used || !w->waiting || w->from != from || w->tries >= WANT_TRIES)
			continue;
		if (n == 0) {
			wire_out_begin(s, &o, from, SWIM_T_WANT, SWIM_MTU, &rx->addr);
			p = wire_out_put(&o, WANT_IDS);
			if (!p)
				return;
		}
		uint8_t *q = wire_out_put(&o, 8);
		if (!q)
			break;
		mn_put_be64(q, w->id);
		budget_asked(s, w->id, from);
		w->waiting = false;
		w->at = s->now;
		n++;
		if (n == SWIM_WANT_BATCH)
			break;
	}
	if (n == 0)
		return;
	p[WANT_N] = (uint8_t)n;
	wire_out_send(s, &o);
	bump(s, SWIM_STAT_WANTS, 1);
	s->want_next = mn_min_deadline(s->want_next, s->now + want_wait(s));
}

/* Record requests nobody answered: without this, a lost WANT or RECORD
 * leaves the member on its old record until the next push-pull (minutes
 * at scale), since the version's announcements are over by then. */
void pp_want_retry(struct swim *s)
{
	mn_ns next = MN_NEVER;

	for (uint32_t j = 0; j < SWIM_MAX_WANTS; j++) {
		struct want *w = &s->wants[j];
		uint32_t to = w->from, n = 0;
		struct out o;
		uint8_t *p;
		if (!w->used)
			continue;
		if (!want_due(s, w)) {
			next = mn_min_deadline(next, w->at + want_wait(s));
			continue;
		}
		if (w->tries >= WANT_TRIES) {
			w->used = false;
			s->want_lost = true; /* a push-pull finds it again */
			continue;
		}
		if (w->anyone && w->tries > 0 && to != NONE) {
			/* unanswered: another member (the same if it is the only one) */
			uint32_t other = probe_pick(s, PICK_ALIVE, &to, 1);
			if (other != NONE)
				to = other;
		}
		if (to == NONE || to == 0 || to >= s->n || !present(&s->m[to]) ||
		    s->m[to].state == SWIM_DEAD)
			to = probe_pick(s, PICK_ALIVE, NULL, 0);
		if (to == NONE) {
			w->used = false;
			continue;
		}
		wire_out_begin(s, &o, to, SWIM_T_WANT, SWIM_MTU, NULL);
		p = wire_out_put(&o, WANT_IDS);
		/* this one, and every other due one asked of the same member */
		for (uint32_t k = j; p && k < SWIM_MAX_WANTS && n < SWIM_WANT_BATCH; k++) {
			struct want *x = &s->wants[k];
			uint8_t *q;
			if (k != j && (!want_due(s, x) || x->tries >= WANT_TRIES || x->from != to))
				continue;
			q = wire_out_put(&o, 8);
			if (!q)
				break;
			mn_put_be64(q, x->id);
			budget_asked(s, x->id, to);
			x->tries++;
			x->waiting = false;
			x->at = s->now;
			x->from = to;
			n++;
		}
		if (n == 0) {
			w->used = false;
			continue;
		}
		p[WANT_N] = (uint8_t)n;
		/* Unproven: pay for the RECORD up front (DESIGN.md §2), as a
		 * push-pull opening does, or its reply is cut to this size. */
		if (s->m[to].tok == 0)
			wire_out_pad(&o, SWIM_MTU);
		wire_out_send(s, &o);
		bump(s, SWIM_STAT_WANTS, 1);
		next = mn_min_deadline(next, s->now + want_wait(s));
	}
	s->want_next = next;
}
