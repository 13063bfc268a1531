/* wgconf.c - wg-quick style configuration files.
 *
 * The grammar is the one wg(8) `setconf` and wg-quick(8) read:
 *   - lines end in LF or CRLF; `#` starts a comment that runs to the end of
 *     the line; blank lines are skipped;
 *   - `[Interface]` and `[Peer]` open sections (case-insensitive; any other
 *     section is an error); each `[Peer]` starts a new peer, and every peer
 *     needs a PublicKey that no other peer has;
 *   - `Key = Value`, key case-insensitive, whitespace around the `=` and
 *     around the commas of a list ignored; a key outside a section, or in the
 *     wrong one, is an error;
 *   - Address and AllowedIPs are comma lists and may repeat (entries add up);
 *     any other key given twice takes its last value, as in wg(8);
 *   - keys are base64 (wg genkey); ListenPort 0-65535; FwMark "off" or
 *     0-0xffffffff in decimal or 0x hex; PersistentKeepalive "off" or
 *     0-65535; MTU 68-65535 (wg-quick hands it to `ip link`, whose IPv4
 *     floor is 68); Endpoint is host:port or [v6]:port, kept as text.
 * What is stricter than wg(8): numbers are plain digits (no service names),
 * whitespace inside a value is an error (wg(8) deletes it), an Endpoint host
 * with a ':' needs brackets, and AllowedIPs have no +/- incremental forms.
 *
 * Robustness: the input is untrusted bytes. It is bounded (WGCONF_MAX_*),
 * NUL bytes are refused, every error names its line, and a message never
 * quotes a value that may be a key.
 */
#include "wgconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "mn_err.h"
#include "wgkey.h"

enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER };

static const char *const section_names[] = { "", "Interface", "Peer" };

/* What the parser remembers about a peer beyond struct wgconf_peer. */
struct peer_meta {
	unsigned section_line; /* line of its [Peer] header */
	unsigned key_line;     /* line of its (last) PublicKey; 0 = none */
	size_t allowed_cap;
};

struct parser {
	struct wgconf *c;
	struct peer_meta *meta; /* parallel to c->peers */
	size_t meta_cap, peers_cap, addrs_cap;
	enum section sec;
	unsigned line;
	const char *path; /* wgconf_load: "PATH:N: ..."; else "line N: ..." */
	char *err;
	size_t errlen;
	void (*warn)(void *ctx, unsigned line, const char *msg);
	void *warn_ctx;
};

#define MSG_LEN 256
#define QUOTE_MAX 64 /* characters of user text quoted in a message */

static int fail(struct parser *p, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int rc, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	if (!p->err || p->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->path)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errlen, "line %u: %s", p->line, msg);
	return rc;
}

static void warnf(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(struct parser *p, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	if (!p->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->warn(p->warn_ctx, p->line, msg);
}

/* Printable rendering of untrusted text for a message: bytes outside
 * 0x20..0x7e as \xNN, '\'' and '\\' escaped, cut at QUOTE_MAX with "...". */
static const char *quote(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o + 5 >= len)
			break;
		if (ch < 0x20 || ch > 0x7e || ch == '\'' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		} else {
			buf[o++] = (char)ch;
		}
	}
	if (s[i] && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
	return buf;
}
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Strict unsigned number: decimal digits, or (allow_hex) 0x and hex digits.
 * MN_ESYNTAX when it is not a number, MN_ERANGE when it exceeds max. */
static int parse_uint(const char *s, bool allow_hex, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (allow_hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return MN_ESYNTAX;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return MN_ESYNTAX;
		v = v * base + d;
		if (v > max) {
			/* keep scanning: "99x" is a syntax error, not a range one */
			for (s++; *s; s++)
				if (!((*s >= '0' && *s <= '9') ||
				      (base == 16 && ((*s >= 'a' && *s <= 'f') ||
						      (*s >= 'A' && *s <= 'F')))))
					return MN_ESYNTAX;
			return MN_ERANGE;
		}
	}
	*out = (uint32_t)v;
	return MN_OK;
}

/* "addr" or "addr/bits", IPv4 or IPv6; host bits are kept. An address with
 * a ':' is IPv6, as in wg(8). */
static int parse_prefix(struct mn_prefix *out, const char *s)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	uint32_t bits;
	int rc;

	memset(out, 0, sizeof(*out));
	if (hlen == 0 || hlen >= sizeof(host))
		return MN_ESYNTAX;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, out->addr) != 1)
			return MN_ESYNTAX;
		out->family = AF_INET6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, host, out->addr) != 1)
			return MN_ESYNTAX;
		out->family = AF_INET;
		max = 32;
	}
	if (slash) {
		if ((rc = parse_uint(slash + 1, false, UINT32_MAX, &bits)) < 0)
			return MN_ESYNTAX;
		if (bits > max)
			return MN_ERANGE;
	} else {
		bits = max;
	}
	out->bits = (uint8_t)bits;
	return MN_OK;
}

static bool is_hostname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* "host:port" (a name or IPv4 address) or "[v6%scope]:port", port 1-65535.
 * Names are not resolved here; only their characters are checked. */
static bool endpoint_ok(const char *v)
{
	const char *port;
	uint32_t portnum;

	if (v[0] == '[') {
		char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
		uint8_t bin[16];
		const char *close = strchr(v, ']');
		char *pct;
		size_t n;

		if (!close || close[1] != ':')
			return false;
		n = (size_t)(close - v - 1);
		if (n == 0 || n >= sizeof(addr))
			return false;
		memcpy(addr, v + 1, n);
		addr[n] = 0;
		pct = strchr(addr, '%');
		if (pct) {
			const char *z;
			*pct = 0;
			if (!pct[1] || strlen(pct + 1) >= IF_NAMESIZE)
				return false;
			for (z = pct + 1; *z; z++)
				if (!is_hostname_char(*z))
					return false;
		}
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return false;
		port = close + 2;
	} else {
		const char *h;
		const char *colon = strchr(v, ':');
		if (!colon || colon == v || (size_t)(colon - v) > 253)
			return false;
		for (h = v; h < colon; h++)
			if (!is_hostname_char(*h))
				return false;
		port = colon + 1;
	}
	return parse_uint(port, false, 65535, &portnum) == MN_OK && portnum != 0;
}

/* Make room for `need` elements; `have` are in use. Arrays holding secrets
 * are moved by hand so no copy of a key is left in freed memory. */
static int grow(void **arr, size_t *cap, size_t have, size_t need, size_t elem, bool secret)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return MN_OK;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap < need)
		ncap = need;
	if (ncap > SIZE_MAX / elem)
		return MN_ENOMEM;
	if (secret) {
		n = malloc(ncap * elem);
		if (!n)
			return MN_ENOMEM;
		if (have) {
			memcpy(n, *arr, have * elem);
			sodium_memzero(*arr, have * elem);
		}
		free(*arr);
	} else {
		n = realloc(*arr, ncap * elem);
		if (!n)
			return MN_ENOMEM;
	}
	*arr = n;
	*cap = ncap;
	return MN_OK;
}

static struct wgconf_peer *cur_peer(struct parser *p)
{
	return &p->c->peers[p->c->n_peers - 1];
}

static struct peer_meta *cur_meta(struct parser *p)
{
	return &p->meta[p->c->n_peers - 1];
}

/* ---- values ---- */

struct keydef;
typedef int (*key_fn)(struct parser *p, const struct keydef *kd, char *value);

struct keydef {
	const char *name;
	enum section sec;
	key_fn fn;
};

static int bad_number(struct parser *p, int rc, const char *name, const char *value,
		      const char *range)
{
	char q[QUOTE_BUF];
	return fail(p, rc, "%s must be %s, not '%s'", name, range, quote(q, sizeof(q), value));
}

static int set_private_key(struct parser *p, const struct keydef *kd, char *value)
{
	/* Never quote the value: it is (meant to be) a secret. */
	if (wgkey_from_base64(p->c->private_key, value) < 0)
		return fail(p, MN_ESYNTAX, "%s is not a base64 key (44 characters ending in '=')",
			    kd->name);
	p->c->has_private_key = true;
	return MN_OK;
}

static int set_listen_port(struct parser *p, const struct keydef *kd, char *value)
{
	uint32_t v;
	int rc = parse_uint(value, false, 65535, &v);
	if (rc < 0)
		return bad_number(p, rc, kd->name, value, "a port number 0-65535");
	p->c->listen_port = (uint16_t)v;
	p->c->has_listen_port = true;
	return MN_OK;
}

static int set_mtu(struct parser *p, const struct keydef *kd, char *value)
{
	uint32_t v;
	int rc = parse_uint(value, false, 65535, &v);
	if (rc == MN_OK && v < 68)
		rc = MN_ERANGE;
	if (rc < 0)
		return bad_number(p, rc, kd->name, value, "68-65535");
	p->c->mtu = v;
	return MN_OK;
}

static int set_fwmark(struct parser *p, const struct keydef *kd, char *value)
{
	uint32_t v;
	int rc;

	if (strcasecmp(value, "off") == 0) {
		p->c->fwmark = 0;
		return MN_OK;
	}
	rc = parse_uint(value, true, UINT32_MAX, &v);
	if (rc < 0)
		return bad_number(p, rc, kd->name, value, "off or 0-0xffffffff");
	p->c->fwmark = v;
	return MN_OK;
}

/* Calls fn on each trimmed entry of a comma list; an empty value is an
 * empty list, an empty entry ("a,,b", "a,") is an error. */
static int for_each_entry(struct parser *p, const struct keydef *kd, char *value,
			  int (*fn)(struct parser *p, const struct keydef *kd, const char *entry))
{
	char *s = value;
	int rc;

	if (!*value)
		return MN_OK;
	for (;;) {
		char *comma = strchr(s, ',');
		char *entry;
		if (comma)
			*comma = 0;
		entry = trim(s);
		if (!*entry)
			return fail(p, MN_ESYNTAX, "empty entry in the %s list", kd->name);
		if ((rc = fn(p, kd, entry)) < 0)
			return rc;
		if (!comma)
			return MN_OK;
		s = comma + 1;
	}
}

static int prefix_entry(struct parser *p, const struct keydef *kd, const char *entry,
			struct mn_prefix *out)
{
	char q[QUOTE_BUF];
	int rc = parse_prefix(out, entry);
	if (rc == MN_ERANGE)
		return fail(p, rc, "%s entry '%s' has a prefix length too long for its family",
			    kd->name, quote(q, sizeof(q), entry));
	if (rc < 0)
		return fail(p, rc, "%s entry '%s' is not an IP address with an optional /prefix-length",
			    kd->name, quote(q, sizeof(q), entry));
	return MN_OK;
}

static int address_entry(struct parser *p, const struct keydef *kd, const char *entry)
{
	struct wgconf *c = p->c;
	struct mn_prefix pfx;
	int rc;

	if ((rc = prefix_entry(p, kd, entry, &pfx)) < 0)
		return rc;
	if (c->n_addresses >= WGCONF_MAX_ADDRESSES)
		return fail(p, MN_ERANGE, "more than %d %s entries", WGCONF_MAX_ADDRESSES,
			    kd->name);
	if (grow((void **)&c->addresses, &p->addrs_cap, c->n_addresses, c->n_addresses + 1,
		 sizeof(*c->addresses), false) < 0)
		return fail(p, MN_ENOMEM, "out of memory");
	c->addresses[c->n_addresses++] = pfx; /* host bits kept: 100.64.0.1/24 */
	return MN_OK;
}

static int add_addresses(struct parser *p, const struct keydef *kd, char *value)
{
	return for_each_entry(p, kd, value, address_entry);
}

static int allowed_entry(struct parser *p, const struct keydef *kd, const char *entry)
{
	struct wgconf_peer *peer = cur_peer(p);
	struct peer_meta *meta = cur_meta(p);
	struct mn_prefix pfx, norm;
	int rc;

	if ((rc = prefix_entry(p, kd, entry, &pfx)) < 0)
		return rc;
	norm = pfx;
	mn_prefix_normalize(&norm);
	if (memcmp(norm.addr, pfx.addr, sizeof(pfx.addr)) != 0) {
		char a[MN_PREFIX_STRLEN], b[MN_PREFIX_STRLEN];
		/* wg(8) warns the same way; the kernel masks them off. */
		warnf(p, "%s entry %s has host bits set; using %s", kd->name,
		      mn_prefix_format(&pfx, a, sizeof(a)), mn_prefix_format(&norm, b, sizeof(b)));
	}
	if (peer->n_allowed_ips >= WGCONF_MAX_ALLOWED_IPS)
		return fail(p, MN_ERANGE, "more than %d %s entries for one peer",
			    WGCONF_MAX_ALLOWED_IPS, kd->name);
	if (grow((void **)&peer->allowed_ips, &meta->allowed_cap, peer->n_allowed_ips,
		 peer->n_allowed_ips + 1, sizeof(*peer->allowed_ips), false) < 0)
		return fail(p, MN_ENOMEM, "out of memory");
	peer->allowed_ips[peer->n_allowed_ips++] = norm;
	return MN_OK;
}

static int add_allowed_ips(struct parser *p, const struct keydef *kd, char *value)
{
	return for_each_entry(p, kd, value, allowed_entry);
}

static int set_public_key(struct parser *p, const struct keydef *kd, char *value)
{
	if (wgkey_from_base64(cur_peer(p)->public_key, value) < 0)
		return fail(p, MN_ESYNTAX, "%s is not a base64 key (44 characters ending in '=')",
			    kd->name);
	cur_meta(p)->key_line = p->line;
	return MN_OK;
}

static int set_psk(struct parser *p, const struct keydef *kd, char *value)
{
	struct wgconf_peer *peer = cur_peer(p);

	if (wgkey_from_base64(peer->psk, value) < 0) {
		peer->has_psk = false;
		return fail(p, MN_ESYNTAX, "%s is not a base64 key (44 characters ending in '=')",
			    kd->name);
	}
	/* An all-zero key is "no preshared key" to WireGuard. */
	peer->has_psk = !sodium_is_zero(peer->psk, sizeof(peer->psk));
	return MN_OK;
}

static int set_endpoint(struct parser *p, const struct keydef *kd, char *value)
{
	struct wgconf_peer *peer = cur_peer(p);
	char q[QUOTE_BUF];
	size_t n = strlen(value);
	char *copy;

	if (!endpoint_ok(value))
		return fail(p, MN_ESYNTAX,
			    "%s '%s' is not host:port or [IPv6]:port with a port 1-65535",
			    kd->name, quote(q, sizeof(q), value));
	copy = malloc(n + 1);
	if (!copy)
		return fail(p, MN_ENOMEM, "out of memory");
	memcpy(copy, value, n + 1);
	free(peer->endpoint);
	peer->endpoint = copy;
	return MN_OK;
}

static int set_keepalive(struct parser *p, const struct keydef *kd, char *value)
{
	uint32_t v;
	int rc;

	if (strcasecmp(value, "off") == 0) {
		cur_peer(p)->persistent_keepalive = 0;
		return MN_OK;
	}
	rc = parse_uint(value, false, 65535, &v);
	if (rc < 0)
		return bad_number(p, rc, kd->name, value, "off or 0-65535 seconds");
	cur_peer(p)->persistent_keepalive = (uint16_t)v;
	return MN_OK;
}

/* wg-quick's own [Interface] keys: accepted, never acted upon (no scripts,
 * no DNS, no routing tables from a config file), and reported. */
static int ignore_key(struct parser *p, const struct keydef *kd, char *value)
{
	warnf(p, "%s is a wg-quick setting that meshnode ignores", kd->name);
	return MN_OK;
}

static int ignore_bool(struct parser *p, const struct keydef *kd, char *value)
{
	char q[QUOTE_BUF];

	/* wg-quick itself refuses anything but true/false here. */
	if (strcasecmp(value, "true") != 0 && strcasecmp(value, "false") != 0)
		return fail(p, MN_ESYNTAX, "%s must be true or false, not '%s'", kd->name,
			    quote(q, sizeof(q), value));
	return ignore_key(p, kd, value);
}

static const struct keydef keydefs[] = {
	{ "PrivateKey", SEC_INTERFACE, set_private_key },
	{ "ListenPort", SEC_INTERFACE, set_listen_port },
	{ "Address", SEC_INTERFACE, add_addresses },
	{ "MTU", SEC_INTERFACE, set_mtu },
	{ "FwMark", SEC_INTERFACE, set_fwmark },
	{ "DNS", SEC_INTERFACE, ignore_key },
	{ "Table", SEC_INTERFACE, ignore_key },
	{ "PreUp", SEC_INTERFACE, ignore_key },
	{ "PostUp", SEC_INTERFACE, ignore_key },
	{ "PreDown", SEC_INTERFACE, ignore_key },
	{ "PostDown", SEC_INTERFACE, ignore_key },
	{ "SaveConfig", SEC_INTERFACE, ignore_bool },
	{ "PublicKey", SEC_PEER, set_public_key },
	{ "PresharedKey", SEC_PEER, set_psk },
	{ "AllowedIPs", SEC_PEER, add_allowed_ips },
	{ "Endpoint", SEC_PEER, set_endpoint },
	{ "PersistentKeepalive", SEC_PEER, set_keepalive },
};

/* ---- lines ---- */

static int new_peer(struct parser *p)
{
	struct wgconf *c = p->c;

	if (c->n_peers >= WG_MAX_PEERS)
		return fail(p, MN_ERANGE, "more than %d peers", WG_MAX_PEERS);
	if (grow((void **)&c->peers, &p->peers_cap, c->n_peers, c->n_peers + 1,
		 sizeof(*c->peers), true) < 0 ||
	    grow((void **)&p->meta, &p->meta_cap, c->n_peers, c->n_peers + 1,
		 sizeof(*p->meta), false) < 0)
		return fail(p, MN_ENOMEM, "out of memory");
	memset(&c->peers[c->n_peers], 0, sizeof(c->peers[0]));
	memset(&p->meta[c->n_peers], 0, sizeof(p->meta[0]));
	p->meta[c->n_peers].section_line = p->line;
	c->n_peers++;
	return MN_OK;
}

static int parse_section(struct parser *p, char *s)
{
	char q[QUOTE_BUF];
	size_t n = strlen(s);
	char *name;

	if (n < 2 || s[n - 1] != ']')
		return fail(p, MN_ESYNTAX, "a section header is [Interface] or [Peer]");
	s[n - 1] = 0;
	name = trim(s + 1);
	if (strcasecmp(name, "Interface") == 0) {
		p->sec = SEC_INTERFACE;
		return MN_OK;
	}
	if (strcasecmp(name, "Peer") == 0) {
		p->sec = SEC_PEER;
		return new_peer(p);
	}
	return fail(p, MN_ESYNTAX, "unknown section [%s]; expected [Interface] or [Peer]",
		    quote(q, sizeof(q), name));
}

/* A key is quoted back only when it looks like a key name, never when it
 * could be a pasted base64 secret ("abc...xyz=" parses as a key). */
static bool quotable_key(const char *k)
{
	size_t n = 0;
	for (; *k; k++, n++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')) || n >= 24)
			return false;
	return true;
}

static int parse_line(struct parser *p, char *s)
{
	char *hash = strchr(s, '#');
	char *eq, *key, *value;
	const struct keydef *kd = NULL;

	if (hash)
		*hash = 0;
	s = trim(s);
	if (!*s)
		return MN_OK;
	if (*s == '[')
		return parse_section(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, MN_ESYNTAX, "expected Key = Value or a [Section] header");
	*eq = 0;
	key = trim(s);
	value = trim(eq + 1);
	if (!*key)
		return fail(p, MN_ESYNTAX, "missing key before '='");
	for (size_t i = 0; i < sizeof(keydefs) / sizeof(keydefs[0]); i++) {
		if (strcasecmp(key, keydefs[i].name) == 0) {
			kd = &keydefs[i];
			break;
		}
	}
	if (!kd) {
		if (quotable_key(key))
			return fail(p, MN_ESYNTAX, "unknown key '%s'", key);
		return fail(p, MN_ESYNTAX, "unknown key");
	}
	if (p->sec == SEC_NONE)
		return fail(p, MN_ESYNTAX, "%s outside of a section; put it under [%s]", kd->name,
			    section_names[kd->sec]);
	if (kd->sec != p->sec)
		return fail(p, MN_ESYNTAX, "%s belongs in [%s], not [%s]", kd->name,
			    section_names[kd->sec], section_names[p->sec]);
	return kd->fn(p, kd, value);
}

struct key_ref {
	const uint8_t *key;
	unsigned line;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = memcmp(x->key, y->key, WG_KEY_LEN);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Whole-file checks once every line is read: each peer has a PublicKey and
 * no two peers share one. Reports the earliest offending line. */
static int finish(struct parser *p)
{
	struct wgconf *c = p->c;
	unsigned bad = 0, first = 0;
	bool missing = false;
	struct key_ref *refs;
	size_t n = 0;

	for (size_t i = 0; i < c->n_peers; i++) {
		if (!p->meta[i].key_line) {
			bad = p->meta[i].section_line;
			missing = true;
			break;
		}
	}
	if (c->n_peers > 1) {
		refs = malloc(c->n_peers * sizeof(*refs));
		if (!refs)
			return fail(p, MN_ENOMEM, "out of memory");
		for (size_t i = 0; i < c->n_peers; i++) {
			if (!p->meta[i].key_line)
				continue;
			refs[n].key = c->peers[i].public_key;
			refs[n].line = p->meta[i].key_line;
			n++;
		}
		qsort(refs, n, sizeof(*refs), key_ref_cmp);
		for (size_t i = 1, run = 0; i < n; i++) {
			if (memcmp(refs[i].key, refs[run].key, WG_KEY_LEN) != 0) {
				run = i;
				continue;
			}
			if (!bad || refs[i].line < bad) {
				bad = refs[i].line;
				first = refs[run].line;
				missing = false;
			}
		}
		free(refs);
	}
	if (!bad)
		return MN_OK;
	p->line = bad;
	if (missing)
		return fail(p, MN_ESYNTAX, "[Peer] has no PublicKey");
	return fail(p, MN_ESYNTAX, "PublicKey is the same as the peer's on line %u", first);
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	char line[WGCONF_MAX_LINE + 1];
	size_t pos = 0;
	int rc = MN_OK;

	memset(p->c, 0, sizeof(*p->c));
	if (p->err && p->errlen)
		p->err[0] = 0;
	if (len > WGCONF_MAX_BYTES) {
		p->line = 1;
		return fail(p, MN_ERANGE, "input is larger than %d bytes", WGCONF_MAX_BYTES);
	}
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		pos += n + (nl ? 1 : 0);
		p->line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > WGCONF_MAX_LINE) {
			rc = fail(p, MN_ERANGE, "line is longer than %d bytes", WGCONF_MAX_LINE);
			break;
		}
		if (memchr(start, 0, n)) {
			rc = fail(p, MN_ESYNTAX, "NUL byte in line");
			break;
		}
		memcpy(line, start, n);
		line[n] = 0;
		rc = parse_line(p, line);
		sodium_memzero(line, n);
		if (rc < 0)
			break;
	}
	if (rc == MN_OK)
		rc = finish(p);
	return rc;
}

static int run(struct parser *p, const char *text, size_t len)
{
	int rc = parse_text(p, text, len);
	free(p->meta);
	p->meta = NULL;
	if (rc < 0)
		wgconf_free(p->c);
	return rc;
}

int wgconf_parse(struct wgconf *out, const char *text, size_t len, char *err, size_t errlen,
		 void (*warn)(void *ctx, unsigned line, const char *msg), void *warn_ctx)
{
	struct parser p = {
		.c = out, .err = err, .errlen = errlen, .warn = warn, .warn_ctx = warn_ctx,
	};
	return run(&p, text, len);
}

/* Reads the whole file, at most WGCONF_MAX_BYTES + 1 bytes (to tell "too
 * large"). The text holds keys: every buffer it passed through is wiped. */
static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t errlen)
{
	const size_t max = (size_t)WGCONF_MAX_BYTES + 1;
	FILE *f = fopen(path, "re");
	struct stat st;
	size_t cap = 64 * 1024, len = 0;
	char *buf;
	int rc = MN_OK;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MN_EIO;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < max)
		cap = (size_t)st.st_size + 1; /* + 1: EOF is seen without growing */
	buf = malloc(cap);
	if (!buf) {
		rc = MN_ENOMEM;
		goto out;
	}
	for (;;) {
		size_t got;
		if (len == cap) {
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			char *n;
			if (cap >= max) {
				snprintf(err, errlen, "%s: larger than %d bytes", path,
					 WGCONF_MAX_BYTES);
				rc = MN_ERANGE;
				goto out;
			}
			n = malloc(ncap);
			if (!n) {
				rc = MN_ENOMEM;
				goto out;
			}
			memcpy(n, buf, len);
			sodium_memzero(buf, len);
			free(buf);
			buf = n;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error", path);
				rc = MN_EIO;
			}
			break;
		}
	}
out:
	if (rc == MN_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	fclose(f);
	if (rc < 0) {
		if (buf) {
			sodium_memzero(buf, len);
			free(buf);
		}
		return rc;
	}
	*out = buf;
	*out_len = len;
	return MN_OK;
}

int wgconf_load(struct wgconf *out, const char *path, char *err, size_t errlen,
		void (*warn)(void *ctx, unsigned line, const char *msg), void *warn_ctx)
{
	struct parser p = {
		.c = out, .path = path, .err = err, .errlen = errlen,
		.warn = warn, .warn_ctx = warn_ctx,
	};
	char scratch[1];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!err || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = 0;
	if ((rc = read_file(path, &text, &len, err, errlen)) < 0)
		return rc;
	rc = run(&p, text, len);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

void wgconf_free(struct wgconf *c)
{
	for (size_t i = 0; i < c->n_peers; i++) {
		free(c->peers[i].allowed_ips);
		free(c->peers[i].endpoint);
	}
	if (c->peers) {
		sodium_memzero(c->peers, c->n_peers * sizeof(*c->peers));
		free(c->peers);
	}
	free(c->addresses);
	sodium_memzero(c, sizeof(*c));
}
