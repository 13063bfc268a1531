#include "invite_link.h"

#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

/* The checksum's domain tag, zero-padded like the record tags. */
static const char check_tag[16] = "mn/v1/link";

/* Payload offsets up to the invite; the rest is variable. */
enum {
	OFF_ROOT = 0,
	OFF_V4_ADDR = OFF_ROOT + REC_PK_LEN,
	OFF_V4_BITS = OFF_V4_ADDR + 4,
	OFF_SEED = OFF_V4_BITS + 1,
	OFF_INVITE = OFF_SEED + REC_SEED_LEN,
	INVITE_OFF_SIGNER = 2, /* inside the invite: who signed (doc/membership.md) */
};

enum { EP_V4 = 4, EP_V6 = 6 };

/* ---- base32 (RFC 4648 alphabet, lowercase, no padding), branch-free on
 * the data: the payload holds a secret seed. ---- */

static char b32_char(unsigned v)
{
	/* v < 26: 'a' + v; else '2' + v - 26 */
	unsigned letter = (unsigned)((int)(v - 26) >> 8) & 1; /* 1 when v < 26 */
	return (char)(letter * ('a' + v) + (1 - letter) * ('2' + v - 26));
}

/* The 5-bit value of c, or -1; either case. */
static int b32_value(unsigned char c)
{
	unsigned lower = c | 0x20;
	int in_letters = ((int)(lower - 'a') >= 0) & ((int)('z' - lower) >= 0);
	int in_digits = ((int)(c - '2') >= 0) & ((int)('7' - c) >= 0);
	int v = in_letters * (int)(lower - 'a') + in_digits * (int)(c - '2' + 26);
	return (in_letters | in_digits) ? v : -1;
}

static size_t b32_encode(char *out, const uint8_t *in, size_t len)
{
	size_t n = 0;
	unsigned acc = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = b32_char((acc >> bits) & 31);
		}
	}
	if (bits > 0)
		out[n++] = b32_char((acc << (5 - bits)) & 31);
	return n;
}

/* Decode len characters into out[cap]; MN_ESYNTAX on a bad character or
 * non-zero padding bits, MN_EMSGSIZE past cap. */
static int b32_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	size_t n = 0;
	unsigned acc = 0, bits = 0;
	int bad = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b32_value((unsigned char)in[i]);
		bad |= v < 0;
		acc = (acc << 5) | ((unsigned)v & 31);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return MN_EMSGSIZE;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* the last character's unused low bits must be zero (canonical text) */
	if (bad || bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return MN_ESYNTAX;
	*outlen = n;
	return MN_OK;
}

/* ---- payload ---- */

static void checksum(uint8_t out[INVITE_LINK_CHECK_LEN], const char *name, size_t name_len,
		     const uint8_t *payload, size_t len)
{
	crypto_generichash_state st;
	uint8_t h[crypto_generichash_BYTES_MIN];
	uint8_t nlen = (uint8_t)name_len;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)check_tag, sizeof(check_tag));
	crypto_generichash_update(&st, &nlen, 1);
	crypto_generichash_update(&st, (const uint8_t *)name, name_len);
	crypto_generichash_update(&st, payload, len);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, h, INVITE_LINK_CHECK_LEN);
}

static uint16_t port_of(const struct mn_addr *a)
{
	return a->sa.sa_family == AF_INET ? a->in4.sin_port : a->in6.sin6_port;
}

static int put_endpoint(uint8_t *p, size_t cap, size_t *off, const struct mn_addr *a)
{
	size_t need;

	if (a->sa.sa_family == AF_INET) {
		need = 1 + 4 + 2;
		if (*off + need > cap)
			return MN_EMSGSIZE;
		p[*off] = EP_V4;
		memcpy(p + *off + 1, &a->in4.sin_addr, 4);
		memcpy(p + *off + 5, &a->in4.sin_port, 2); /* network order already */
	} else if (a->sa.sa_family == AF_INET6) {
		need = 1 + 16 + 2;
		if (*off + need > cap)
			return MN_EMSGSIZE;
		p[*off] = EP_V6;
		memcpy(p + *off + 1, &a->in6.sin6_addr, 16);
		memcpy(p + *off + 17, &a->in6.sin6_port, 2);
	} else {
		return MN_EINVAL;
	}
	if (port_of(a) == 0)
		return MN_EINVAL;
	*off += need;
	return MN_OK;
}

static int get_endpoint(const uint8_t *p, size_t len, size_t *off, struct mn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (*off >= len)
		return MN_ETRUNC;
	if (p[*off] == EP_V4) {
		if (*off + 7 > len)
			return MN_ETRUNC;
		a->in4.sin_family = AF_INET;
		memcpy(&a->in4.sin_addr, p + *off + 1, 4);
		memcpy(&a->in4.sin_port, p + *off + 5, 2);
		*off += 7;
	} else if (p[*off] == EP_V6) {
		if (*off + 19 > len)
			return MN_ETRUNC;
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, p + *off + 1, 16);
		memcpy(&a->in6.sin6_port, p + *off + 17, 2);
		*off += 19;
	} else {
		return MN_EPROTO;
	}
	return port_of(a) == 0 ? MN_EPROTO : MN_OK;
}

static bool v4_prefix_ok(const struct mn_prefix *v4)
{
	struct mn_prefix norm = *v4;

	if (v4->family != AF_INET || v4->bits < 1 || v4->bits > 30)
		return false;
	mn_prefix_normalize(&norm);
	return memcmp(norm.addr, v4->addr, 4) == 0; /* host bits zero */
}

/* The invite key must be the one the seed makes: a link whose secret does
 * not match its invite could never produce a valid join proof. */
static bool seed_matches(const uint8_t seed[REC_SEED_LEN], const struct rec_invite *inv)
{
	struct rec_key k;
	bool ok;

	rec_key_from_seed(&k, seed);
	ok = sodium_memcmp(k.pk, inv->invite_pk, REC_PK_LEN) == 0;
	rec_key_wipe(&k);
	return ok;
}

static int encode_payload(const struct invite_link *l, uint8_t *p, size_t cap, size_t *len)
{
	size_t off, inv_len;
	int err;

	if (cap < OFF_INVITE)
		return MN_EMSGSIZE;
	memcpy(p + OFF_ROOT, l->root_pk, REC_PK_LEN);
	memcpy(p + OFF_V4_ADDR, l->v4.addr, 4);
	p[OFF_V4_BITS] = l->v4.bits;
	memcpy(p + OFF_SEED, l->seed, REC_SEED_LEN);
	if ((err = rec_invite_encode(&l->invite, p + OFF_INVITE, cap - OFF_INVITE, &inv_len)))
		return err;
	off = OFF_INVITE + inv_len;
	if (off + 1 > cap)
		return MN_EMSGSIZE;
	p[off++] = l->nmembers;
	for (uint8_t m = 0; m < l->nmembers; m++) {
		const struct invite_link_member *mem = &l->members[m];

		if (mem->nendpoints < 1 || mem->nendpoints > INVITE_LINK_ENDPOINTS)
			return MN_EINVAL;
		if (off + 1 > cap)
			return MN_EMSGSIZE;
		p[off++] = mem->nendpoints;
		for (uint8_t e = 0; e < mem->nendpoints; e++)
			if ((err = put_endpoint(p, cap, &off, &mem->endpoints[e])))
				return err;
	}
	*len = off;
	return MN_OK;
}

static int decode_payload(struct invite_link *l, const uint8_t *p, size_t len)
{
	size_t off, inv_len;
	int err;

	if (len < OFF_INVITE + INVITE_OFF_SIGNER + 1)
		return MN_ETRUNC;
	memcpy(l->root_pk, p + OFF_ROOT, REC_PK_LEN);
	l->v4.family = AF_INET;
	memcpy(l->v4.addr, p + OFF_V4_ADDR, 4);
	l->v4.bits = p[OFF_V4_BITS];
	if (!v4_prefix_ok(&l->v4))
		return MN_EPROTO;
	memcpy(l->seed, p + OFF_SEED, REC_SEED_LEN);
	switch (p[OFF_INVITE + INVITE_OFF_SIGNER]) {
	case REC_BY_ROOT: inv_len = REC_INVITE_ROOT_LEN; break;
	case REC_BY_ADMIN: inv_len = REC_INVITE_ADMIN_LEN; break;
	default: return MN_EPROTO;
	}
	if (len < OFF_INVITE + inv_len)
		return MN_ETRUNC;
	if ((err = rec_invite_decode(&l->invite, p + OFF_INVITE, inv_len)))
		return err;
	if (!seed_matches(l->seed, &l->invite))
		return MN_EPROTO;
	off = OFF_INVITE + inv_len;
	if (off >= len)
		return MN_ETRUNC;
	l->nmembers = p[off++];
	if (l->nmembers > INVITE_LINK_MEMBERS)
		return MN_EPROTO;
	for (uint8_t m = 0; m < l->nmembers; m++) {
		struct invite_link_member *mem = &l->members[m];

		if (off >= len)
			return MN_ETRUNC;
		mem->nendpoints = p[off++];
		if (mem->nendpoints < 1 || mem->nendpoints > INVITE_LINK_ENDPOINTS)
			return MN_EPROTO;
		for (uint8_t e = 0; e < mem->nendpoints; e++)
			if ((err = get_endpoint(p, len, &off, &mem->endpoints[e])))
				return err;
	}
	return off == len ? MN_OK : MN_EPROTO;
}

/* ---- text ---- */

int invite_link_encode(const struct invite_link *l, char *out, size_t cap, size_t *len)
{
	uint8_t payload[INVITE_LINK_PAYLOAD_MAX];
	size_t plen, name_len = strnlen(l->network, sizeof(l->network)), n;
	int err;

	if (name_len > REC_NAME_MAX || !rec_name_ok(l->network, name_len) ||
	    l->nmembers > INVITE_LINK_MEMBERS || !v4_prefix_ok(&l->v4))
		return MN_EINVAL;
	if ((err = encode_payload(l, payload, sizeof(payload) - INVITE_LINK_CHECK_LEN, &plen)))
		goto out;
	checksum(payload + plen, l->network, name_len, payload, plen);
	plen += INVITE_LINK_CHECK_LEN;

	n = strlen(INVITE_LINK_VERSION) + 1 + name_len + 1 + (plen * 8 + 4) / 5;
	if (n + 1 > cap) {
		err = MN_EMSGSIZE;
		goto out;
	}
	n = 0;
	memcpy(out + n, INVITE_LINK_VERSION ".", 4);
	n += 4;
	memcpy(out + n, l->network, name_len);
	n += name_len;
	out[n++] = '.';
	n += b32_encode(out + n, payload, plen);
	out[n] = '\0';
	*len = n;
out:
	sodium_memzero(payload, sizeof(payload));
	return err;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int invite_link_decode(struct invite_link *l, const char *text)
{
	uint8_t payload[INVITE_LINK_PAYLOAD_MAX];
	uint8_t check[INVITE_LINK_CHECK_LEN];
	const char *end, *name, *dot, *b32;
	size_t name_len, plen = 0;
	int err = MN_ESYNTAX;

	memset(l, 0, sizeof(*l));
	while (is_space(*text))
		text++;
	end = text + strlen(text);
	while (end > text && is_space(end[-1]))
		end--;
	/* "mn1." in either case */
	if (end - text < 4 || (text[0] | 0x20) != 'm' || (text[1] | 0x20) != 'n' ||
	    text[2] != '1' || text[3] != '.')
		goto out;
	name = text + 4;
	dot = memchr(name, '.', (size_t)(end - name));
	if (!dot)
		goto out;
	name_len = (size_t)(dot - name);
	if (name_len > REC_NAME_MAX)
		goto out;
	for (size_t i = 0; i < name_len; i++)
		l->network[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] | 0x20 : name[i]);
	if (!rec_name_ok(l->network, name_len))
		goto out;
	b32 = dot + 1;
	if (b32 == end)
		goto out;
	if ((err = b32_decode(payload, sizeof(payload), &plen, b32, (size_t)(end - b32))))
		goto out;
	if (plen <= INVITE_LINK_CHECK_LEN) {
		err = MN_EPROTO;
		goto out;
	}
	plen -= INVITE_LINK_CHECK_LEN;
	checksum(check, l->network, name_len, payload, plen);
	if (sodium_memcmp(check, payload + plen, INVITE_LINK_CHECK_LEN) != 0) {
		err = MN_EPROTO;
		goto out;
	}
	err = decode_payload(l, payload, plen);
out:
	sodium_memzero(payload, sizeof(payload));
	if (err)
		invite_link_wipe(l);
	return err;
}

int invite_link_decode_payload(struct invite_link *l, const uint8_t *payload, size_t len)
{
	int err;

	memset(l, 0, sizeof(*l));
	if ((err = decode_payload(l, payload, len)))
		invite_link_wipe(l);
	return err;
}

int invite_link_network(const struct invite_link *l, struct rec_network *net)
{
	return rec_network_init(net, l->root_pk, &l->v4);
}

void invite_link_wipe(struct invite_link *l)
{
	sodium_memzero(l, sizeof(*l));
}
