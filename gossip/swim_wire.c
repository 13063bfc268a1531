/* swim_wire.c - wire helpers: compact addresses, seal keys per member,
 * address tokens, building messages and the transmit ring.
 */
#include "swim_internal.h"

/* ---- compact addresses ---- */

void wire_addr_from(struct waddr *w, const struct mn_addr *a)
{
	memset(w, 0, sizeof(*w));
	if (!a)
		return;
	if (a->sa.sa_family == AF_INET) {
		w->family = 4;
		memcpy(w->ip, &a->in4.sin_addr, 4);
		w->port = ntohs(a->in4.sin_port);
	} else if (a->sa.sa_family == AF_INET6) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		const uint8_t *ip = (const uint8_t *)&a->in6.sin6_addr;
		if (memcmp(ip, mapped, 12) == 0) {
			w->family = 4;
			memcpy(w->ip, ip + 12, 4);
		} else {
			w->family = 6;
			memcpy(w->ip, ip, 16);
		}
		w->port = ntohs(a->in6.sin6_port);
	}
}

void wire_addr_to(const struct waddr *w, struct mn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (w->family == 4) {
		a->in4.sin_family = AF_INET;
		memcpy(&a->in4.sin_addr, w->ip, 4);
		a->in4.sin_port = htons(w->port);
	} else if (w->family == 6) {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, w->ip, 16);
		a->in6.sin6_port = htons(w->port);
	} else {
		a->sa.sa_family = AF_UNSPEC;
	}
}

void wire_addr_put(uint8_t *p, const struct waddr *w)
{
	p[ADDR_FAMILY] = w->family;
	memcpy(p + ADDR_IP, w->ip, 16);
	mn_put_be16(p + ADDR_PORT, w->port);
}

/* false for a family byte we do not know, or address bytes past an IPv4. */
bool wire_addr_get(struct waddr *w, const uint8_t *p)
{
	static const uint8_t zero[16];

	memset(w, 0, sizeof(*w));
	w->family = p[ADDR_FAMILY];
	memcpy(w->ip, p + ADDR_IP, 16);
	w->port = mn_get_be16(p + ADDR_PORT);
	if (w->family == 0)
		return memcmp(p + ADDR_IP, zero, 16) == 0 && w->port == 0;
	if (w->family == 4)
		return memcmp(p + ADDR_IP + 4, zero, 12) == 0 && w->port != 0;
	return w->family == 6 && w->port != 0;
}

/* An address a third party may point us at: global or private unicast only
 * (not unspecified, loopback, link-local, multicast, broadcast or reserved),
 * so a member cannot aim our probes at our own host or a whole segment. */
bool wire_hint_ok(const struct waddr *w)
{
	static const uint8_t zero[10];
	const uint8_t *ip = w->ip;

	if (w->family == 4)
		return ip[0] != 0 && ip[0] != 127 && ip[0] < 224 && !(ip[0] == 169 && ip[1] == 254);
	if (w->family != 6)
		return false;
	/* ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96 */
	if (memcmp(ip, zero, 10) == 0 && ((ip[10] == 0 && ip[11] == 0) ||
					  (ip[10] == 0xff && ip[11] == 0xff)))
		return false;
	return ip[0] != 0xff && !(ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);
}

/* ---- keys, tokens, output ---- */

const struct seal_keys *wire_keys(struct swim *s, uint32_t i)
{
	struct key_cache *c = &s->keycache[i % SWIM_KEYCACHE];

	if (c->member == i)
		return &c->k;
	if (c->member != NONE)
		seal_keys_wipe(&c->k);
	c->member = NONE;
	if (seal_keys_derive_x(&c->k, &s->self, s->m[i].rec->pk, s->m[i].rec->xpk,
			       s->seal_memo) != MN_OK)
		return NULL;
	c->member = i;
	return &c->k;
}

static uint64_t tok_make(const struct swim *s, uint32_t i, const struct waddr *a, uint64_t epoch)
{
	enum { T_ID = 0, T_ADDR = 8, T_EPOCH = T_ADDR + SWIM_ADDR_LEN, T_LEN = T_EPOCH + 8 };
	uint8_t in[T_LEN];
	uint64_t t;

	mn_put_be64(in + T_ID, member_id(s, i));
	wire_addr_put(in + T_ADDR, a);
	mn_put_be64(in + T_EPOCH, epoch);
	t = sip(s->tok_key, in, sizeof(in));
	return t ? t : 1;
}

bool wire_tok_check(const struct swim *s, uint32_t i, const struct waddr *a, uint64_t echo)
{
	uint64_t e = s->now / TOK_EPOCH_NS;
	/* the epoch before the first one after mono wraps is the last one */
	uint64_t prev = e > 0 ? e - 1 : UINT64_MAX / TOK_EPOCH_NS;

	if (echo == 0 || a->family == 0)
		return false;
	return echo == tok_make(s, i, a, e) || echo == tok_make(s, i, a, prev);
}

/* Start a message to member i. dgram_cap bounds the whole datagram; dst
 * NULL means the member's address. */
void wire_out_begin(struct swim *s, struct out *o, uint32_t i, uint8_t type, size_t dgram_cap,
		    const struct waddr *dst)
{
	if (dgram_cap > SWIM_MTU)
		dgram_cap = SWIM_MTU;
	o->to = i;
	o->type = type;
	o->dst = dst ? *dst : s->m[i].addr;
	o->cap = dgram_cap > SEAL_OVERHEAD ? dgram_cap - SEAL_OVERHEAD : 0;
	o->len = 0;
	if (o->cap < SWIM_BODY_HDR) {
		o->cap = 0;
		return;
	}
	mn_put_be64(o->pt + BODY_TOK, tok_make(s, i, &o->dst, s->now / TOK_EPOCH_NS));
	mn_put_be64(o->pt + BODY_ECHO, s->m[i].tok);
	o->len = SWIM_BODY_HDR;
}

uint8_t *wire_out_put(struct out *o, size_t n)
{
	uint8_t *p;

	if (o->cap - o->len < n || o->len < SWIM_BODY_HDR)
		return NULL;
	p = o->pt + o->len;
	o->len += n;
	return p;
}

void wire_out_pad(struct out *o, size_t dgram_len)
{
	size_t want = dgram_len > SEAL_OVERHEAD ? dgram_len - SEAL_OVERHEAD : 0;

	if (want > o->cap)
		want = o->cap;
	if (o->len >= SWIM_BODY_HDR && want > o->len) {
		memset(o->pt + o->len, 0, want - o->len);
		o->len = want;
	}
}

struct tx_dgram *wire_tx_slot(struct swim *s)
{
	struct tx_dgram *t;

	if (s->tx_n == s->tx_cap) {
		uint32_t cap = s->tx_cap ? s->tx_cap * 2 : 4;
		if (cap > SWIM_MAX_TXQ || !(t = malloc(cap * sizeof(*t))))
			return NULL;
		for (uint32_t j = 0; j < s->tx_n; j++)
			t[j] = s->tx[(s->tx_head + j) % s->tx_cap];
		free(s->tx);
		s->tx = t;
		s->tx_head = 0;
		s->tx_cap = cap;
	}
	t = &s->tx[(s->tx_head + s->tx_n++) % s->tx_cap];
	t->to = NONE;
	return t;
}

void wire_out_send(struct swim *s, struct out *o)
{
	const struct seal_keys *k;
	struct tx_dgram *t;
	size_t len;

	if (o->len < SWIM_BODY_HDR || o->dst.family == 0)
		return;
	k = wire_keys(s, o->to);
	if (!k)
		return;
	t = wire_tx_slot(s);
	if (!t) {
		bump(s, SWIM_STAT_DROP_TX_FULL, 1);
		return;
	}
	if (seal_seal(&s->self, k, &s->m[o->to].pair, member_id(s, o->to), o->type, o->pt, o->len,
		      &s->rng, t->buf, sizeof(t->buf), &len) != MN_OK) {
		s->tx_n--;
		return;
	}
	t->len = (uint16_t)len;
	t->to = o->to;
	wire_addr_to(&o->dst, &t->dst);
	bump(s, SWIM_STAT_TX_DGRAMS, 1);
	bump(s, SWIM_STAT_TX_BYTES, len);
}

/* ---- item lists ---- */

/* Walk an item list from off to its end or its padding (a zero kind):
 * MN_OK when every item is well formed and fits, by len_of (an item's
 * length given the bytes left, 0 when malformed); else MN_EPROTO. */
int wire_items_check(const uint8_t *b, size_t n, size_t off,
		     size_t (*len_of)(const uint8_t *p, size_t avail))
{
	while (off < n && b[off] != SWIM_I_PAD) {
		size_t l = len_of(b + off, n - off);
		if (l == 0)
			return MN_EPROTO;
		off += l;
	}
	return MN_OK;
}
