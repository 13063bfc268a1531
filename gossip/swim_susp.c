/* swim_susp.c - suspicion (SWIM §4.2; Lifeguard LHA-Suspicion: timeouts
 * that shrink with independent confirmations), kept in a pool with a
 * min-heap on deadline.
 */
#include "swim_internal.h"

/* ---- suspicions ---- */

static uint32_t susp_k(const struct swim *s)
{
	return scale_k(&s->p, scale_n(s));
}

static mn_ns susp_timeout(const struct swim *s, uint32_t c)
{
	return scale_timeout(&s->p, scale_n(s), c);
}

static bool heap_less(const struct swim *s, uint32_t a, uint32_t b)
{
	const struct susp *x = &s->susps[s->heap[a]], *y = &s->susps[s->heap[b]];

	return mn_time_before(x->deadline, y->deadline) ||
	       (x->deadline == y->deadline && x->member < y->member);
}

static void heap_swap(struct swim *s, uint32_t a, uint32_t b)
{
	uint32_t t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->susps[s->heap[a]].heap = a;
	s->susps[s->heap[b]].heap = b;
}

void susp_heap_fix(struct swim *s, uint32_t pos)
{
	while (pos > 0 && heap_less(s, pos, (pos - 1) / 2)) {
		heap_swap(s, pos, (pos - 1) / 2);
		pos = (pos - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * pos + 1, r = l + 1, best = pos;
		if (l < s->heap_n && heap_less(s, l, best))
			best = l;
		if (r < s->heap_n && heap_less(s, r, best))
			best = r;
		if (best == pos)
			return;
		heap_swap(s, pos, best);
		pos = best;
	}
}

static bool susp_grow(struct swim *s)
{
	uint32_t cap = s->susp_cap ? s->susp_cap * 2 : 8;
	struct susp *sp;
	uint32_t *hp;

	if (s->susp_cap >= SWIM_MAX_MEMBERS)
		return false;
	sp = realloc(s->susps, cap * sizeof(*sp));
	if (!sp)
		return false;
	s->susps = sp;
	hp = realloc(s->heap, cap * sizeof(*hp));
	if (!hp)
		return false;
	s->heap = hp;
	for (uint32_t j = s->susp_cap; j < cap; j++) {
		s->susps[j].member = NONE;
		s->susps[j].heap = j + 1 < cap ? j + 1 : s->susp_free;
	}
	s->susp_free = s->susp_cap;
	s->susp_cap = cap;
	return true;
}

/* Member i becomes suspect (the caller set the state); acc is the member
 * index of who suspected it first (accuser_of), NONE when no member vouches
 * for the accusation: then the first member accuser to confirm it only
 * takes that place. The pool grows to the member count; if that allocation
 * fails the member stays suspect until refuted (out of memory). */
void susp_start(struct swim *s, uint32_t i, uint32_t acc, uint32_t sender)
{
	struct susp *p;
	uint32_t slot;

	if (s->m[i].susp != NONE)
		return;
	if (s->susp_free == NONE && !susp_grow(s))
		return;
	slot = s->susp_free;
	p = &s->susps[slot];
	s->susp_free = p->heap;
	memset(p, 0, sizeof(*p));
	p->member = i;
	p->start = s->now;
	p->naccusers = 0;
	if (acc != NONE) {
		p->senders[p->naccusers] = sender;
		p->accusers[p->naccusers++] = acc;
	}
	p->deadline = s->now + susp_timeout(s, 0);
	p->heap = s->heap_n;
	s->heap[s->heap_n++] = slot;
	susp_heap_fix(s, p->heap);
	s->m[i].susp = slot;
	bump(s, SWIM_STAT_SUSPICIONS, 1);
}

/* A confirmation by member acc (accuser_of), in a datagram from member
 * sender (0: our own probe): true when it is a new, independent one. A
 * sender vouches for one accuser per suspicion, whatever it names: an
 * accuser id is a claim, not a signature, and one member naming K others
 * cut the timeout from its maximum to its minimum (issue 11, hole 5). K
 * members that each name themselves still can; so can K that relay. */
bool susp_confirm(struct swim *s, uint32_t i, uint32_t acc, uint32_t sender)
{
	uint32_t slot = s->m[i].susp;
	struct susp *p;

	if (slot == NONE || acc == NONE)
		return false;
	p = &s->susps[slot];
	if (p->naccusers > susp_k(s))
		return false;
	for (uint32_t j = 0; j < p->naccusers; j++)
		if (p->accusers[j] == acc || (sender != 0 && p->senders[j] == sender))
			return false;
	p->senders[p->naccusers] = sender;
	p->accusers[p->naccusers++] = acc;
	mn_ns d = p->start + susp_timeout(s, p->naccusers - 1u);
	/* after the last call its answers are awaited in full: a confirmation
	 * then would otherwise pull the deadline back into the past, and the
	 * member die at the next timer without them */
	if (!p->last_call && mn_time_before(d, p->deadline)) {
		p->deadline = d;
		susp_heap_fix(s, p->heap);
	}
	return true;
}

void susp_end(struct swim *s, uint32_t i)
{
	uint32_t slot = s->m[i].susp;
	uint32_t pos;

	if (slot == NONE)
		return;
	pos = s->susps[slot].heap;
	s->heap_n--;
	if (pos != s->heap_n) {
		heap_swap(s, pos, s->heap_n);
		susp_heap_fix(s, pos);
	}
	s->susps[slot].member = NONE;
	s->susps[slot].heap = s->susp_free;
	s->susp_free = slot;
	s->m[i].susp = NONE;
}
