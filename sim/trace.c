/* trace.c - BLAKE2b over the event trace. */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

/* tag, time, node, family, address, port, length */
#define DGRAM_HDR (1 + 8 + 4 + 1 + 16 + 2 + 2)
#define RECORD_LEN (1 + 8 + 4 + 4 + 8)

int trace_new(struct trace **out)
{
	size_t size = (sizeof(struct trace) + 63) & ~(size_t)63;
	struct trace *t = aligned_alloc(64, size);
	if (!t)
		return MN_ENOMEM;
	memset(t, 0, sizeof(*t));
	crypto_generichash_init(&t->st, NULL, 0, TRACE_HASH_LEN);
	*out = t;
	return MN_OK;
}

void trace_del(struct trace *t)
{
	free(t);
}

static void flush(struct trace *t)
{
	crypto_generichash_update(&t->st, t->buf, t->len);
	t->len = 0;
}

static uint8_t *reserve(struct trace *t, size_t n)
{
	if (t->len + n > TRACE_BUF)
		flush(t);
	uint8_t *p = t->buf + t->len;
	t->len += n;
	t->records++;
	return p;
}

void trace_dgram(struct trace *t, mn_ns now, uint32_t node, const struct mn_addr *src,
		 const uint8_t *data, size_t len)
{
	uint8_t *p = reserve(t, DGRAM_HDR);
	p[0] = TRACE_DGRAM;
	mn_put_le64(p + 1, now);
	mn_put_le32(p + 9, node);
	memset(p + 13, 0, 1 + 16 + 2);
	if (src->sa.sa_family == AF_INET) {
		p[13] = 4;
		memcpy(p + 14, &src->in4.sin_addr, 4);
		memcpy(p + 30, &src->in4.sin_port, 2);
	} else if (src->sa.sa_family == AF_INET6) {
		p[13] = 6;
		memcpy(p + 14, &src->in6.sin6_addr, 16);
		memcpy(p + 30, &src->in6.sin6_port, 2);
	}
	p[32] = (uint8_t)len;
	p[33] = (uint8_t)(len >> 8);
	if (t->len + len <= TRACE_BUF) {
		memcpy(t->buf + t->len, data, len);
		t->len += len;
	} else {
		flush(t);
		crypto_generichash_update(&t->st, data, len);
	}
}

void trace_timer(struct trace *t, mn_ns now, uint32_t node)
{
	uint8_t *p = reserve(t, 1 + 8 + 4);
	p[0] = TRACE_TIMER;
	mn_put_le64(p + 1, now);
	mn_put_le32(p + 9, node);
}

void trace_record(struct trace *t, enum trace_tag tag, mn_ns now, uint32_t kind, uint32_t node,
		  uint64_t arg)
{
	uint8_t *p = reserve(t, RECORD_LEN);
	p[0] = (uint8_t)tag;
	mn_put_le64(p + 1, now);
	mn_put_le32(p + 9, kind);
	mn_put_le32(p + 13, node);
	mn_put_le64(p + 17, arg);
}

void trace_hash(const struct trace *t, uint8_t out[TRACE_HASH_LEN])
{
	crypto_generichash_state st = t->st; /* the state holds no pointers */
	crypto_generichash_update(&st, t->buf, t->len);
	crypto_generichash_final(&st, out, TRACE_HASH_LEN);
}

void trace_hex(const struct trace *t, char out[TRACE_HEX_LEN])
{
	uint8_t h[TRACE_HASH_LEN];
	trace_hash(t, h);
	sodium_bin2hex(out, TRACE_HEX_LEN, h, sizeof(h));
}
