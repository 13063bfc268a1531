/* trace.h - the run's trace hash.
 *
 * Every delivered datagram (time, receiver, source, bytes), every timer that
 * fires, and every fault the scenario applies is folded, in the order the
 * engine processes them, into one BLAKE2b-256 hash. The same scenario and
 * seed give the same hash; a different hash means the runs diverged. Records
 * are buffered so short ones cost a memcpy, not a hash call.
 */
#ifndef TRACE_H
#define TRACE_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "mn_time.h"

#define TRACE_HASH_LEN 32
#define TRACE_HEX_LEN (2 * TRACE_HASH_LEN + 1)

enum trace_limits {
	TRACE_BUF = 4096,
};

/* What a record is; the tag is hashed with it. */
enum trace_tag {
	TRACE_DGRAM = 'D',
	TRACE_TIMER = 'T',
	TRACE_FAULT = 'F',
	TRACE_INJECT = 'I',
};

struct trace {
	crypto_generichash_state st; /* needs 64-byte alignment: use trace_new */
	uint8_t buf[TRACE_BUF];
	size_t len;
	uint64_t records;
};

int trace_new(struct trace **out);
void trace_del(struct trace *t);

void trace_dgram(struct trace *t, mn_ns now, uint32_t node, const struct mn_addr *src,
		 const uint8_t *data, size_t len);
void trace_timer(struct trace *t, mn_ns now, uint32_t node);
/* A fault or scenario step: kind is the engine's, arg any detail. */
void trace_record(struct trace *t, enum trace_tag tag, mn_ns now, uint32_t kind, uint32_t node,
		  uint64_t arg);
/* The hash of everything so far (the trace may continue afterwards). */
void trace_hash(const struct trace *t, uint8_t out[TRACE_HASH_LEN]);
void trace_hex(const struct trace *t, char out[TRACE_HEX_LEN]);

#endif
