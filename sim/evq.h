/* evq.h - the simulator's event queue.
 *
 * A 4-ary min-heap of events ordered by (time, seq). The queue hands out
 * the sequence numbers itself, one per push, strictly increasing, so two
 * events due at the same instant run in the order they were scheduled and a
 * run never depends on how the heap happens to break ties. Entries are small
 * values (no pointers): what an event refers to is an index the engine
 * owns. The arrays grow by doubling up to the queue's cap.
 */
#ifndef EVQ_H
#define EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_time.h"

struct evq_ev {
	mn_ns time;
	uint64_t seq;
	uint32_t ref;  /* engine's index: node, packet, action */
	uint32_t kind; /* engine's event type */
	uint32_t aux;  /* engine's hint (the receiving node of a datagram) */
};

/* (time, seq) as one 128-bit key: one comparison orders two events. */
typedef unsigned __int128 evq_key;

struct evq_val {
	uint32_t ref, kind, aux;
};

struct evq {
	evq_key *key;          /* heap of keys, 64-byte aligned, offset by EVQ_PAD */
	struct evq_val *val;   /* what each key refers to, same positions */
	size_t len, cap, max;
	uint64_t next_seq;     /* starts at 1; 0 is "no event" to the engine */
};

/* max bounds the number of pending events; MN_ENOMEM on allocation failure. */
int evq_init(struct evq *q, size_t max);
void evq_free(struct evq *q);

/* Schedule an event; its sequence number goes to *seq when seq != NULL.
 * MN_EFULL when max events are pending, MN_ENOMEM when growing fails. */
int evq_push(struct evq *q, mn_ns time, uint32_t kind, uint32_t ref, uint64_t *seq);
/* The same with an aux value carried along (evq_ev.aux). */
int evq_push_aux(struct evq *q, mn_ns time, uint32_t kind, uint32_t ref, uint32_t aux,
		 uint64_t *seq);
/* Remove the earliest event into *out; false when empty. */
bool evq_pop(struct evq *q, struct evq_ev *out);
/* Time of the earliest event, MN_NEVER when empty. */
mn_ns evq_next_time(const struct evq *q);
/* What the earliest event refers to (to prefetch it); NULL when empty. */
static inline const struct evq_val *evq_next_val(const struct evq *q)
{
	return q->len ? &q->val[0] : NULL;
}

static inline size_t evq_len(const struct evq *q)
{
	return q->len;
}

static inline bool evq_before(const struct evq_ev *a, const struct evq_ev *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

#endif
