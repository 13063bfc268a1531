/* evq.c - a 4-ary min-heap on (time, seq).
 *
 * Four children per node halve the depth of a binary heap. Keys and values
 * live in separate arrays, and the key array is shifted by EVQ_PAD slots so
 * that the four 16-byte keys of every sibling group fill exactly one 64-byte
 * cache line: a sift-down step reads one line and picks the smallest of four
 * with conditional moves instead of unpredictable branches. */
#include "evq.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

#define EVQ_INITIAL_CAP 1024
#define EVQ_ARITY 4
#define EVQ_PAD 3     /* children of i start at 4i+1+3: a multiple of 4 */
#define EVQ_ALIGN 64

static evq_key key_of(mn_ns time, uint64_t seq)
{
	return (evq_key)time << 64 | seq;
}

static int alloc_arrays(struct evq *q, size_t cap)
{
	size_t kbytes = ((cap + EVQ_PAD) * sizeof(evq_key) + EVQ_ALIGN - 1) & ~(size_t)(EVQ_ALIGN - 1);
	evq_key *key = aligned_alloc(EVQ_ALIGN, kbytes);
	struct evq_val *val = malloc(cap * sizeof(*val));
	if (!key || !val) {
		free(key);
		free(val);
		return MN_ENOMEM;
	}
	if (q->key) {
		memcpy(key + EVQ_PAD, q->key + EVQ_PAD, q->len * sizeof(*key));
		memcpy(val, q->val, q->len * sizeof(*val));
		free(q->key);
		free(q->val);
	}
	q->key = key;
	q->val = val;
	q->cap = cap;
	return MN_OK;
}

int evq_init(struct evq *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
	q->next_seq = 1;
	return alloc_arrays(q, max < EVQ_INITIAL_CAP ? max : EVQ_INITIAL_CAP);
}

void evq_free(struct evq *q)
{
	free(q->key);
	free(q->val);
	q->key = NULL;
	q->val = NULL;
	q->len = q->cap = 0;
}

mn_ns evq_next_time(const struct evq *q)
{
	return q->len ? (mn_ns)(q->key[EVQ_PAD] >> 64) : MN_NEVER;
}

int evq_push(struct evq *q, mn_ns time, uint32_t kind, uint32_t ref, uint64_t *seq)
{
	return evq_push_aux(q, time, kind, ref, 0, seq);
}

int evq_push_aux(struct evq *q, mn_ns time, uint32_t kind, uint32_t ref, uint32_t aux,
		 uint64_t *seq)
{
	if (q->len == q->max)
		return MN_EFULL;
	if (q->len == q->cap) {
		int err = alloc_arrays(q, q->cap * 2 < q->max ? q->cap * 2 : q->max);
		if (err)
			return err;
	}
	uint64_t s = q->next_seq++;
	if (seq)
		*seq = s;
	evq_key k = key_of(time, s);
	evq_key *key = q->key + EVQ_PAD;

	/* sift up: move parents down into the hole until k fits */
	size_t i = q->len++;
	while (i > 0) {
		size_t parent = (i - 1) / EVQ_ARITY;
		if (k >= key[parent])
			break;
		key[i] = key[parent];
		q->val[i] = q->val[parent];
		i = parent;
	}
	key[i] = k;
	q->val[i] = (struct evq_val){ ref, kind, aux };
	return MN_OK;
}

bool evq_pop(struct evq *q, struct evq_ev *out)
{
	if (q->len == 0)
		return false;
	evq_key *key = q->key + EVQ_PAD;
	struct evq_val *val = q->val;
	out->time = (mn_ns)(key[0] >> 64);
	out->seq = (uint64_t)key[0];
	out->ref = val[0].ref;
	out->kind = val[0].kind;
	out->aux = val[0].aux;
	size_t n = --q->len;
	if (n == 0)
		return true;
	evq_key last = key[n];
	struct evq_val lastv = val[n];

	/* sift down: move the smallest child up into the hole until last fits */
	size_t i = 0;
	for (;;) {
		size_t c = EVQ_ARITY * i + 1;
		if (c >= n)
			break;
		size_t m;
		evq_key mk;
		if (c + EVQ_ARITY <= n) {
			/* a full sibling group, one cache line: select without branches */
			size_t a = key[c + 1] < key[c] ? c + 1 : c;
			size_t b = key[c + 3] < key[c + 2] ? c + 3 : c + 2;
			m = key[b] < key[a] ? b : a;
		} else {
			m = c;
			for (size_t k = c + 1; k < n; k++)
				m = key[k] < key[m] ? k : m;
		}
		mk = key[m];
		if (mk >= last)
			break;
		key[i] = mk;
		val[i] = val[m];
		i = m;
	}
	key[i] = last;
	val[i] = lastv;
	return true;
}
