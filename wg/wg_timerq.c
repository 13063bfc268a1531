/* wg_timerq.c - a binary min-heap of peers by deadline (see wg_timerq.h).
 * heap[i]'s children are heap[2i+1] and heap[2i+2]; no child is earlier
 * than its parent. Every move writes the peer's new index into
 * peer->timerq_pos, so a peer is found in O(1) and re-placed in O(log n). */
#include "wg_timerq.h"

#include <stdlib.h>

#include "mn_err.h"
#include "wg_internal.h"

void wg_timerq_init(struct wg_timerq *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
}

void wg_timerq_free(struct wg_timerq *q)
{
	free(q->heap);
	wg_timerq_init(q);
}

int wg_timerq_reserve(struct wg_timerq *q, size_t n)
{
	size_t cap = q->cap ? q->cap : 16;
	struct wg_peer **heap;

	if (n <= q->cap)
		return MN_OK;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*heap))
			return MN_ENOMEM;
		cap *= 2;
	}
	heap = realloc(q->heap, cap * sizeof(*heap));
	if (!heap)
		return MN_ENOMEM;
	q->heap = heap;
	q->cap = cap;
	return MN_OK;
}

/* Deadlines in the heap are instants, never MN_NEVER: wrap-safe order. */
static bool earlier(const struct wg_peer *a, const struct wg_peer *b)
{
	return mn_time_before(a->deadline, b->deadline);
}

static void put(struct wg_timerq *q, size_t i, struct wg_peer *p)
{
	q->heap[i] = p;
	p->timerq_pos = i;
}

static void sift_up(struct wg_timerq *q, size_t i)
{
	struct wg_peer *p = q->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!earlier(p, q->heap[parent]))
			break;
		put(q, i, q->heap[parent]);
		i = parent;
	}
	put(q, i, p);
}

static void sift_down(struct wg_timerq *q, size_t i)
{
	struct wg_peer *p = q->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && earlier(q->heap[c + 1], q->heap[c]))
			c++;
		if (!earlier(q->heap[c], p))
			break;
		put(q, i, q->heap[c]);
		i = c;
	}
	put(q, i, p);
}

static void remove_at(struct wg_timerq *q, size_t i)
{
	struct wg_peer *gone = q->heap[i], *last = q->heap[--q->n];

	gone->timerq_pos = WG_TIMERQ_NONE;
	if (last == gone)
		return;
	put(q, i, last);
	/* The last leaf may belong above or below the hole. */
	if (i > 0 && earlier(last, q->heap[(i - 1) / 2]))
		sift_up(q, i);
	else
		sift_down(q, i);
}

void wg_timerq_set(struct wg_timerq *q, struct wg_peer *peer, mn_ns deadline)
{
	size_t i = peer->timerq_pos;
	mn_ns old = peer->deadline;

	peer->deadline = deadline;
	if (deadline == MN_NEVER) {
		if (i != WG_TIMERQ_NONE)
			remove_at(q, i);
		return;
	}
	if (i == WG_TIMERQ_NONE) {
		/* wg_timerq_reserve() made room when the peer joined. */
		put(q, q->n++, peer);
		sift_up(q, q->n - 1);
	} else if (mn_time_before(deadline, old)) {
		sift_up(q, i);
	} else {
		sift_down(q, i);
	}
}

struct wg_peer *wg_timerq_first(const struct wg_timerq *q)
{
	return q->n ? q->heap[0] : NULL;
}
