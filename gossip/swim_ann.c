/* swim_ann.c - address announcements: a member says where it is and where
 * it was, signed by its node key and versioned, and members pass the newest
 * on as they got it (doc/gossip.md §5, "Address announcements").
 *
 * Item (SWIM_I_ADDR), SWIM_ITEM_ADDR_HDR + (n + w) x SWIM_ADDR_LEN + 64:
 *   kind, id (8), seq (8), n (1: 1..SWIM_ANN_ADDRS), w (1: 0..SWIM_ANN_ADDRS),
 *   n addresses (where it is, the preferred first), w addresses (where it
 *   was), signature
 * The signature (rec_addr_sign) covers id .. the last address. seq is the
 * announcer's max(wall ms, last + 1): newer wins everywhere, and a copy
 * that comes late changes nothing.
 */
#include "swim_internal.h"

#include "annpool.h"

#include <sodium.h>

/* Our own announcement is passed on this many times the retransmit limit
 * (a tombstone's factor): a member that misses it sends to where we were
 * until it hears of us otherwise. */
#define ANN_OWN_MULT 3

static uint32_t ann_limit(const struct swim *s, const struct ann *a)
{
	return dissem_retransmit_limit(s) * (a->id == s->self.id ? ANN_OWN_MULT : 1);
}

static size_t ann_len(uint32_t n, uint32_t w)
{
	return SWIM_ITEM_ADDR_HDR + (size_t)(n + w) * SWIM_ADDR_LEN + REC_SIG_LEN;
}

size_t ann_item_len(const uint8_t *p, size_t avail)
{
	size_t len;

	if (avail < SWIM_ITEM_ADDR_HDR || p[ANN_N] == 0 || p[ANN_N] > SWIM_ANN_ADDRS ||
	    p[ANN_W] > SWIM_ANN_ADDRS)
		return 0;
	len = ann_len(p[ANN_N], p[ANN_W]);
	if (avail < len)
		return 0;
	for (uint32_t j = 0; j < (uint32_t)p[ANN_N] + p[ANN_W]; j++) {
		struct waddr w;
		if (!wire_addr_get(&w, p + ANN_ADDRS + j * SWIM_ADDR_LEN) || w.family == 0)
			return 0;
	}
	return len;
}

static struct ann *ann_find(struct swim *s, uint64_t id)
{
	for (uint32_t j = 0; s->anns && j < SWIM_MAX_ANNS; j++)
		if (s->anns[j].len && s->anns[j].id == id)
			return &s->anns[j];
	return NULL;
}

/* The slot for id's newest announcement: its own, a free one, else the
 * one passed on most with the oldest seq (its member then takes any
 * announcement newer than none: a stale copy could move it back, until
 * its probe fails there and it announces again). */
static struct ann *ann_slot(struct swim *s, uint64_t id)
{
	struct ann *a = ann_find(s, id), *best = NULL;

	if (a)
		return a;
	if (!s->anns && !(s->anns = calloc(SWIM_MAX_ANNS, sizeof(*s->anns))))
		return NULL;
	for (uint32_t j = 0; j < SWIM_MAX_ANNS; j++) {
		struct ann *x = &s->anns[j];
		if (!x->len)
			return x;
		if (x->id == s->self.id)
			continue;
		if (!best || x->transmits > best->transmits ||
		    (x->transmits == best->transmits && x->seq < best->seq))
			best = x;
	}
	return best;
}

/* s->ann_ntx: set here, counted again by ann_piggyback (the retransmit
 * limit follows the member count) */
static void ann_store(struct swim *s, struct ann *a, const uint8_t *p, size_t len)
{
	a->id = mn_get_be64(p + ANN_ID);
	a->seq = mn_get_be64(p + ANN_SEQ);
	a->transmits = 0;
	a->len = (uint8_t)len;
	memcpy(a->b, p, len);
	s->ann_ntx++;
}

/* addr among the k addresses at p */
static bool ann_has(const uint8_t *p, uint32_t k, const struct waddr *addr)
{
	for (uint32_t j = 0; j < k; j++) {
		struct waddr x;
		wire_addr_get(&x, p + j * SWIM_ADDR_LEN);
		if (memcmp(&x, addr, sizeof(x)) == 0)
			return true;
	}
	return false;
}

uint64_t ann_held_seq(const struct swim *s, uint32_t i)
{
	return i < s->held_cap && s->held[i] ? mn_get_be64(s->held[i]->b + ANN_SEQ) : 0;
}

/* Make b (a reference, given) member i's held announcement. */
static bool ann_hold(struct swim *s, uint32_t i, const struct annblob *b)
{
	if (i >= s->held_cap) {
		uint32_t cap = s->held_cap ? s->held_cap : 16;
		while (cap <= i)
			cap *= 2;
		const struct annblob **nh = realloc(s->held, cap * sizeof(*nh));
		if (!nh) {
			annpool_put(s->annpool, b);
			return false;
		}
		memset(nh + s->held_cap, 0, (cap - s->held_cap) * sizeof(*nh));
		s->held = nh;
		s->held_cap = cap;
	}
	annpool_put(s->annpool, s->held[i]);
	s->held[i] = b;
	return true;
}

const uint8_t *ann_held(const struct swim *s, uint32_t i, size_t *len)
{
	if (i >= s->held_cap || !s->held[i])
		return NULL;
	*len = s->held[i]->len;
	return s->held[i]->b;
}

void ann_forget(struct swim *s, uint32_t i)
{
	if (i < s->held_cap && s->held[i]) {
		annpool_put(s->annpool, s->held[i]);
		s->held[i] = NULL;
	}
}

bool ann_interned(struct swim *s, const uint8_t *p, size_t len)
{
	const struct annblob *b = annpool_find(s->annpool, p, len);

	annpool_put(s->annpool, b);
	return b != NULL;
}

const struct annblob *ann_verified(struct swim *s, const uint8_t pk[REC_PK_LEN],
				   const uint8_t *p, size_t len, uint32_t from)
{
	const struct annblob *b = annpool_find(s->annpool, p, len);

	/* interned: verified by an instance of this network (annpool.h) */
	if (b)
		return b;
	/* one check, paid by the sender when it fails (swim_budget.c): an
	 * honest member passes on only announcements that verified */
	if (from != NONE && !budget_holds(s, from, 1))
		return NULL;
	if (rec_addr_verify(s->net, pk, p + ANN_ID, len - ANN_ID - REC_SIG_LEN,
			    p + len - REC_SIG_LEN, s->memo) != MN_OK) {
		if (from != NONE)
			budget_charge(s, from, 1);
		bump(s, SWIM_STAT_DROP_ADDR, 1);
		return NULL;
	}
	return annpool_get(s->annpool, p, len);
}

void ann_follow(struct swim *s, uint32_t i, const struct annblob *b)
{
	struct member *m = &s->m[i];
	const uint8_t *p = b->b, *old;
	size_t old_len;
	bool follow;
	struct waddr w;

	/* Follow it if we send to it where it says it was (or where the
	 * announcement we held said it is), or nowhere yet. An address it
	 * never announced is a NAT's mapping of it, proven by its own
	 * traffic: kept, and its own traffic moves it. */
	old = ann_held(s, i, &old_len);
	follow = m->addr.family == 0 ||
		 ann_has(p + ANN_ADDRS + p[ANN_N] * SWIM_ADDR_LEN, p[ANN_W], &m->addr) ||
		 (old && ann_has(old + ANN_ADDRS, old[ANN_N], &m->addr));
	if (!ann_hold(s, i, b))
		return;
	bump(s, SWIM_STAT_ADDR_ADOPTED, 1);
	if (!follow || ann_has(p + ANN_ADDRS, p[ANN_N], &m->addr))
		return; /* behind a NAT for us, or where we send already */
	/* the first address one may send to (not loopback, multicast, link
	 * local); ours to prove again (the token round trip) */
	for (uint32_t j = 0; j < p[ANN_N]; j++) {
		wire_addr_get(&w, p + ANN_ADDRS + j * SWIM_ADDR_LEN);
		if (!wire_hint_ok(&w))
			continue;
		hook_addr_announced(s, i, &w);
		bump(s, SWIM_STAT_ADDR_MOVED, 1);
		break;
	}
}

/* p[len], a well-formed announcement of member i (not us), newer than the
 * one held: verified, held, followed. false when it is not (dropped). */
static bool ann_accept(struct swim *s, uint32_t i, const uint8_t *p, size_t len, uint32_t from)
{
	const struct annblob *b = ann_verified(s, s->m[i].rec->pk, p, len, from);

	if (!b)
		return false;
	ann_follow(s, i, b);
	return true;
}

uint64_t ann_seq(const uint8_t *p)
{
	return mn_get_be64(p + ANN_SEQ);
}

bool ann_wellformed(const uint8_t *p, size_t len, const uint8_t pk[REC_PK_LEN])
{
	return len > 0 && p[0] == SWIM_I_ADDR && len == ann_item_len(p, len) &&
	       mn_get_be64(p + ANN_ID) == seal_key_id(pk);
}

/* Member index of announcement p, or NONE (counted) when it is not one we
 * take: ours (noted), a non-member's, or no newer than the one held. */
static uint32_t ann_subject(struct swim *s, const uint8_t *p)
{
	uint64_t id = mn_get_be64(p + ANN_ID), seq = mn_get_be64(p + ANN_SEQ);
	uint32_t i = member_find(s, id);

	if (i == 0) {
		/* ours, from before a restart: what we announce next must be newer */
		if (seq > s->own_seq_seen)
			s->own_seq_seen = seq;
		return NONE;
	}
	if (i == NONE || !present(&s->m[i])) {
		bump(s, SWIM_STAT_DROP_ADDR, 1);
		return NONE;
	}
	return ann_held_seq(s, i) >= seq ? NONE : i;
}

size_t ann_item_apply(struct swim *s, const uint8_t *p, uint32_t from)
{
	size_t len = ann_len(p[ANN_N], p[ANN_W]);
	uint32_t i = ann_subject(s, p);
	struct ann *a;

	if (i == NONE || !ann_accept(s, i, p, len, from))
		return len;
	if ((a = ann_slot(s, member_id(s, i)))) /* passed on as we got it */
		ann_store(s, a, p, len);
	return len;
}

void ann_take(struct swim *s, uint32_t i, const uint8_t *p, size_t len, uint32_t from)
{
	if (!ann_wellformed(p, len, s->m[i].rec->pk)) {
		bump(s, SWIM_STAT_DROP_ADDR, 1);
		return;
	}
	if (ann_subject(s, p) == i)
		ann_accept(s, i, p, len, from);
}

/* Announcements still passed on ride after the tombstones, one per
 * message, fewest transmissions first, each retransmit limit times (our
 * own ANN_OWN_MULT times that). */
void ann_piggyback(struct swim *s, struct out *o)
{
	uint32_t left = 0;
	uint64_t to = member_id(s, o->to);
	struct ann *best = NULL;
	uint8_t *p;

	if (!s->ann_ntx)
		return;
	for (uint32_t j = 0; j < SWIM_MAX_ANNS; j++) {
		struct ann *x = &s->anns[j];
		if (!x->len || x->transmits >= ann_limit(s, x))
			continue;
		left++;
		if (x->id != to && (!best || x->transmits < best->transmits))
			best = x;
	}
	/* one per message: it is big, and the updates behind it keep room */
	if (best && (p = wire_out_put(o, best->len))) {
		memcpy(p, best->b, best->len);
		if (++best->transmits >= ann_limit(s, best))
			left--;
	}
	s->ann_ntx = left;
}

int swim_set_local_addrs(struct swim *s, const struct mn_addr *addrs, uint32_t n, bool announce,
			 struct mn_time now)
{
	uint8_t b[SWIM_ITEM_ADDR_MAX];
	struct waddr cur[SWIM_ANN_ADDRS];
	const struct annblob *blob;
	struct ann *a;
	size_t len = ann_len(n, s->own_naddrs);
	uint64_t seq = ann_held_seq(s, 0), wall_ms = now.wall / MN_NS_PER_MS;

	s->now = now.mono;
	if (n == 0 || n > SWIM_ANN_ADDRS)
		return MN_EINVAL;
	memset(cur, 0, sizeof(cur));
	for (uint32_t j = 0; j < n; j++) {
		wire_addr_from(&cur[j], &addrs[j]);
		if (!wire_hint_ok(&cur[j]) || cur[j].port == 0)
			return MN_EINVAL;
	}
	if (n == s->own_naddrs && memcmp(cur, s->own_addrs, n * sizeof(cur[0])) == 0)
		return MN_EEXIST;
	memset(b, 0, sizeof(b));
	b[0] = SWIM_I_ADDR;
	mn_put_be64(b + ANN_ID, s->self.id);
	seq = seq >= wall_ms ? seq + 1 : wall_ms;
	if (seq <= s->own_seq_seen)
		seq = s->own_seq_seen + 1;
	mn_put_be64(b + ANN_SEQ, seq);
	b[ANN_N] = (uint8_t)n;
	b[ANN_W] = s->own_naddrs;
	for (uint32_t j = 0; j < n; j++)
		wire_addr_put(b + ANN_ADDRS + j * SWIM_ADDR_LEN, &cur[j]);
	for (uint32_t j = 0; j < s->own_naddrs; j++)
		wire_addr_put(b + ANN_ADDRS + (n + j) * SWIM_ADDR_LEN, &s->own_addrs[j]);
	if (rec_addr_sign(s->net, &s->sign, b + ANN_ID, len - ANN_ID - REC_SIG_LEN,
			  b + len - REC_SIG_LEN) != MN_OK)
		return MN_EINVAL;
	/* held: it goes with our record to whoever fetches it (pp_on_want) */
	if (!(blob = annpool_get(s->annpool, b, len)) || !ann_hold(s, 0, blob))
		return MN_ENOMEM;
	if (announce) {
		if (!(a = ann_slot(s, s->self.id)))
			return MN_ENOMEM;
		ann_store(s, a, b, len);
		bump(s, SWIM_STAT_ADDR_ANNOUNCED, 1);
	}
	memcpy(s->own_addrs, cur, sizeof(cur));
	s->own_naddrs = (uint8_t)n;
	return MN_OK;
}

int ann_init(struct swim *s, struct annpool *shared)
{
	s->annpool = shared;
	if (shared)
		return MN_OK;
	s->annpool_own = true;
	return annpool_new(&s->annpool);
}

void ann_free(struct swim *s)
{
	if (s->anns)
		sodium_memzero(s->anns, SWIM_MAX_ANNS * sizeof(*s->anns));
	free(s->anns);
	s->anns = NULL;
	for (uint32_t i = 0; i < s->held_cap; i++)
		ann_forget(s, i);
	free(s->held);
	s->held = NULL;
	s->held_cap = 0;
	if (s->annpool_own)
		annpool_del(s->annpool);
	s->annpool = NULL;
}
