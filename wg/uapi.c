/* uapi.c - WireGuard's cross-platform userspace API, applied to a wg_dev.
 *
 * The protocol (wireguard.com/xplatform, "Configuration Protocol"): a request
 * is "get=1\n\n", or "set=1\n" followed by key=value lines and an empty line.
 * A get reply is key=value lines; every reply ends with "errno=N\n\n".
 *
 * errno: the page says N is "the corresponding integer from errno.h". Which
 * sign is settled by the two programs that must agree with us:
 *   - wireguard-go (ipc/uapi_unix.go) defines IpcErrorInvalid = -EINVAL,
 *     IpcErrorProtocol = -EPROTO, IpcErrorPortInUse = -EADDRINUSE,
 *     IpcErrorIO = -EIO, and device/uapi.go writes "errno=%d" with that
 *     code: an invalid value is answered "errno=-22".
 *   - wg(8) (wireguard-tools ipc-uapi.h) reads a set reply with
 *     fscanf("errno=%d\n\n", &ret) and returns ret as a negative errno;
 *     a get reply must end "errno=0" then the empty line (it parses the
 *     number as unsigned and fails any other reply with EPROTO).
 * So we write errno=0 on success and the negative errno.h value on failure.
 *
 * get (order as wireguard-go writes it): private_key (when set),
 * listen_port and fwmark (when nonzero), then per peer public_key,
 * preshared_key (when set; wireguard-go writes zeros, wg(8) ignores them),
 * protocol_version=1, endpoint (when known), last_handshake_time_sec/_nsec,
 * tx_bytes, rx_bytes, persistent_keepalive_interval, allowed_ip lines.
 *
 * set: device keys private_key (all zero removes it, as wg(8) sends it),
 * listen_port, fwmark, replace_peers; then public_key opens a peer (created
 * if absent; our own key selects a "dummy" that swallows the section, as in
 * wireguard-go) with remove, update_only, preshared_key, endpoint (numeric),
 * persistent_keepalive_interval, replace_allowed_ips, allowed_ip,
 * protocol_version. Values are checked as wireguard-go checks them.
 *
 * Unlike wireguard-go, which applies each line as it reads it, a set is
 * first checked whole: a request with any malformed line changes nothing.
 * Failures only the device can report (peer table full, out of memory,
 * port in use) stop the request where they happen, as in wireguard-go.
 *
 * Locked peers (wg_peer_set_locked: the mesh node core's members) belong to
 * the device's owner; the UAPI lists them but may not change them. The
 * check pass refuses the whole request, errno=-EPERM (wg(8): "Operation not
 * permitted"), when it would
 *   - set anything on a locked peer: remove, preshared_key, endpoint,
 *     persistent_keepalive_interval, replace_allowed_ips, allowed_ip (a
 *     section naming one with only update_only or protocol_version is fine);
 *   - give any other peer an allowed_ip equal to or inside a prefix a
 *     locked peer holds: the owner's routes win, never "last set wins". A
 *     wider prefix (0.0.0.0/0 to an exit peer) is allowed: cryptokey
 *     routing still sends the locked peer's longer prefix to it;
 *   - change or clear the private key, or change the listen port, while a
 *     peer is locked: the owner's identity and the address its peers know
 *     (the same value again is fine).
 * replace_peers=true (wg setconf) removes the unlocked peers only and keeps
 * the locked ones. wg(8)'s setconf sends a private key and a listen port
 * even when the file has none (zero: clear the key, any port), so its file
 * must carry the device's own (`wg showconf` prints them); `wg addconf`
 * needs neither. wg syncconf sends an explicit remove for every peer
 * missing from the file, so on a device with locked peers it is refused
 * unless the file names them without settings. None of these depend on what
 * the request itself changes, so the check pass decides them for the apply
 * pass.
 */
#include "uapi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mn_err.h"
#include "wg_crypto.h"
#include "wgkey.h"

/* Longest line we accept; the longest valid one ("preshared_key=" and 64 hex
 * digits, or an endpoint) is well under it. */
#define UAPI_MAX_LINE 256

/* ---- reply buffer ---- */

/* Growable text; it may hold keys, so growing moves by hand and wipes. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool sb_reserve(struct sbuf *b, size_t n)
{
	size_t ncap;
	char *np;

	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	ncap = b->cap ? b->cap : 512;
	while (ncap - b->len < n) {
		if (ncap > SIZE_MAX / 2)
			goto oom;
		ncap *= 2;
	}
	np = malloc(ncap);
	if (!np)
		goto oom;
	if (b->p) {
		memcpy(np, b->p, b->len);
		sodium_memzero(b->p, b->len);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return true;
oom:
	b->oom = true;
	return false;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For non-secret lines only (the stack copy is not wiped). */
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[UAPI_MAX_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = true; /* cannot happen: every line we print is short */
		return;
	}
	sb_put(b, tmp, (size_t)n);
}

static void sb_key(struct sbuf *b, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[WGKEY_HEX_LEN];

	wgkey_to_hex(hex, key);
	sb_put(b, name, strlen(name));
	sb_put(b, "=", 1);
	sb_put(b, hex, WGKEY_HEX_LEN - 1);
	sb_put(b, "\n", 1);
	sodium_memzero(hex, sizeof(hex));
}

static void sb_wipe(struct sbuf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->len);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

/* ---- get ---- */

static bool put_allowed_ip(void *ctx, const struct mn_prefix *p)
{
	char buf[MN_PREFIX_STRLEN];

	sb_printf(ctx, "allowed_ip=%s\n", mn_prefix_format(p, buf, sizeof(buf)));
	return true;
}

static void do_get(struct wg_dev *dev, const struct uapi_host *host, struct sbuf *b)
{
	uint8_t key[WG_KEY_LEN];
	const struct wg_peer *peer;
	uint16_t port = 0;
	uint32_t mark = 0;

	if (wg_dev_private_key(dev, key))
		sb_key(b, "private_key", key);
	sodium_memzero(key, sizeof(key));
	if (host && host->get_listen_port)
		port = host->get_listen_port(host->ctx);
	if (port)
		sb_printf(b, "listen_port=%u\n", port);
	if (host && host->get_fwmark)
		mark = host->get_fwmark(host->ctx);
	if (mark)
		sb_printf(b, "fwmark=%" PRIu32 "\n", mark);

	for (peer = wg_dev_peer_next(dev, NULL); peer; peer = wg_dev_peer_next(dev, peer)) {
		struct wg_peer_info info;
		char ep[MN_ADDR_STRLEN];

		wg_peer_info(peer, &info);
		sb_key(b, "public_key", info.public_key);
		if (!sodium_is_zero(info.preshared_key, sizeof(info.preshared_key)))
			sb_key(b, "preshared_key", info.preshared_key);
		sb_printf(b, "protocol_version=1\n");
		if (mn_addr_is_set(&info.endpoint))
			sb_printf(b, "endpoint=%s\n", mn_addr_format(&info.endpoint, ep, sizeof(ep)));
		sb_printf(b, "last_handshake_time_sec=%" PRIu64 "\n",
			  info.last_handshake_wall / MN_NS_PER_SEC);
		sb_printf(b, "last_handshake_time_nsec=%" PRIu64 "\n",
			  info.last_handshake_wall % MN_NS_PER_SEC);
		sb_printf(b, "tx_bytes=%" PRIu64 "\n", info.tx_bytes);
		sb_printf(b, "rx_bytes=%" PRIu64 "\n", info.rx_bytes);
		sb_printf(b, "persistent_keepalive_interval=%u\n", info.persistent_keepalive_secs);
		sodium_memzero(&info, sizeof(info));
		wg_peer_allowedips_foreach(peer, put_allowed_ip, b);
	}
}

/* ---- set ---- */

struct set_state {
	struct wg_dev *dev;
	const struct uapi_host *host;
	struct mn_time now;
	bool apply;          /* false: only check the request */
	bool in_peer;        /* a public_key line has been seen */
	struct wg_peer *peer; /* NULL in a peer section: the dummy (ignored) peer */
	bool created;        /* the current peer was created by this section */
	bool locked;         /* the current section names a locked peer */
	bool changed;        /* peers or allowed IPs changed */
};

/* Plain decimal as Go's strconv.ParseUint(s, 10, bits) takes it. */
static bool parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool is_true(const char *v)
{
	return strcmp(v, "true") == 0;
}

static int dev_errno(int rc)
{
	switch (rc) {
	case MN_ENOMEM:
		return -ENOMEM;
	case MN_EFULL:
		return -ENOSPC;
	default:
		return -EINVAL;
	}
}

/* Would setting sk (all zero: none) change the private key of a device with
 * locked peers? */
static bool private_key_locked(const struct wg_dev *dev, uint8_t sk[WG_KEY_LEN])
{
	uint8_t cur[WG_KEY_LEN];
	bool has, same;

	if (!wg_dev_has_locked(dev))
		return false;
	has = wg_dev_private_key(dev, cur);
	if (sodium_is_zero(sk, WG_KEY_LEN)) {
		same = !has;
	} else {
		wg_clamp(sk); /* as wg_dev_set_private_key compares it */
		same = has && sodium_memcmp(cur, sk, WG_KEY_LEN) == 0;
	}
	sodium_memzero(cur, sizeof(cur));
	return !same;
}

/* replace_peers: every peer but the locked ones. */
static void remove_unlocked(struct wg_dev *dev)
{
	struct wg_peer *p = wg_dev_peer_next(dev, NULL), *next;

	for (; p; p = next) {
		next = wg_dev_peer_next(dev, p);
		if (!wg_peer_locked(p))
			wg_dev_peer_remove(dev, p);
	}
}

static int set_device_key(struct set_state *st, const char *key, const char *value)
{
	const struct uapi_host *h = st->host;
	uint64_t v;
	int rc;

	if (strcmp(key, "private_key") == 0) {
		uint8_t sk[WG_KEY_LEN];
		if (wgkey_from_hex(sk, value) < 0)
			return -EINVAL;
		if (private_key_locked(st->dev, sk)) {
			sodium_memzero(sk, sizeof(sk));
			return -EPERM;
		}
		rc = MN_OK;
		if (st->apply) {
			/* All zero removes the key; a new key may also remove
			 * the peer that has its public key. */
			rc = wg_dev_set_private_key(st->dev,
						    sodium_is_zero(sk, sizeof(sk)) ? NULL : sk);
			st->changed = true;
		}
		sodium_memzero(sk, sizeof(sk));
		return rc < 0 ? dev_errno(rc) : 0;
	}
	if (strcmp(key, "listen_port") == 0) {
		if (!parse_dec(value, UINT16_MAX, &v))
			return -EINVAL;
		if (wg_dev_has_locked(st->dev) &&
		    v != (h && h->get_listen_port ? h->get_listen_port(h->ctx) : 0))
			return -EPERM;
		if (!st->apply)
			return 0;
		if (!h || !h->set_listen_port)
			return -EOPNOTSUPP;
		/* wireguard-go answers any failure to rebind with EADDRINUSE */
		rc = h->set_listen_port(h->ctx, (uint16_t)v);
		return rc == MN_ENOMEM ? -ENOMEM : rc < 0 ? -EADDRINUSE : 0;
	}
	if (strcmp(key, "fwmark") == 0) {
		if (!parse_dec(value, UINT32_MAX, &v))
			return -EINVAL;
		if (!st->apply)
			return 0;
		if (!h || !h->set_fwmark)
			return -EOPNOTSUPP;
		rc = h->set_fwmark(h->ctx, (uint32_t)v);
		return rc == MN_ENOMEM ? -ENOMEM : rc < 0 ? -EADDRINUSE : 0;
	}
	if (strcmp(key, "replace_peers") == 0) {
		if (!is_true(value))
			return -EINVAL;
		if (st->apply) {
			remove_unlocked(st->dev);
			st->changed = true;
		}
		return 0;
	}
	return -EINVAL;
}

static int open_peer(struct set_state *st, const char *value)
{
	uint8_t pk[WG_KEY_LEN], own[WG_KEY_LEN];
	int rc;

	if (wgkey_from_hex(pk, value) < 0)
		return -EINVAL;
	st->in_peer = true;
	st->peer = wg_dev_peer_find(st->dev, pk);
	st->created = false;
	/* Locked peers stay as they are through the request, so both passes
	 * see the same mark. */
	st->locked = st->peer && wg_peer_locked(st->peer);
	if (!st->apply) {
		st->peer = NULL;
		return 0;
	}
	/* Our own public key: the section is read and ignored (wireguard-go). */
	if (wg_dev_public_key(st->dev, own) && sodium_memcmp(own, pk, WG_KEY_LEN) == 0) {
		st->peer = NULL;
		return 0;
	}
	if (st->peer)
		return 0;
	rc = wg_dev_peer_add(st->dev, pk, &st->peer);
	if (rc == MN_EEXIST)
		return 0;
	if (rc < 0) {
		st->peer = NULL;
		return dev_errno(rc);
	}
	st->created = true;
	st->changed = true;
	return 0;
}

/* The peer keys that change a peer: all but update_only and protocol_version. */
static bool changes_peer(const char *key)
{
	static const char *const keys[] = {
		"remove", "preshared_key", "endpoint", "persistent_keepalive_interval",
		"replace_allowed_ips", "allowed_ip",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static int set_peer_key(struct set_state *st, const char *key, const char *value)
{
	struct wg_peer *peer = st->apply ? st->peer : NULL;
	int rc;

	if (strcmp(key, "update_only") == 0) {
		if (!is_true(value))
			return -EINVAL;
		/* Only update an existing peer: undo the creation. */
		if (peer && st->created) {
			wg_dev_peer_remove(st->dev, peer);
			st->peer = NULL;
		}
		return 0;
	}
	if (strcmp(key, "protocol_version") == 0)
		return strcmp(value, "1") == 0 ? 0 : -EINVAL;
	if (st->locked && changes_peer(key))
		return -EPERM;
	if (strcmp(key, "remove") == 0) {
		if (!is_true(value))
			return -EINVAL;
		if (peer) {
			wg_dev_peer_remove(st->dev, peer);
			st->peer = NULL;
			st->changed = true;
		}
		return 0;
	}
	if (strcmp(key, "preshared_key") == 0) {
		uint8_t psk[WG_KEY_LEN];
		if (wgkey_from_hex(psk, value) < 0)
			return -EINVAL;
		if (peer) {
			wg_peer_set_psk(peer, sodium_is_zero(psk, sizeof(psk)) ? NULL : psk);
			st->changed = true;
		}
		sodium_memzero(psk, sizeof(psk));
		return 0;
	}
	if (strcmp(key, "endpoint") == 0) {
		struct mn_addr ep;
		/* numeric only, as wireguard-go's ParseEndpoint; wg(8) resolves names */
		if (mn_addr_parse(&ep, value) < 0)
			return -EINVAL;
		if (peer) {
			wg_peer_set_endpoint(peer, &ep);
			st->changed = true;
		}
		return 0;
	}
	if (strcmp(key, "persistent_keepalive_interval") == 0) {
		struct wg_peer_info info;
		uint64_t secs;
		if (!parse_dec(value, UINT16_MAX, &secs))
			return -EINVAL;
		if (peer) {
			/* Only a change counts: wireguard-go sends its immediate
			 * keepalive when the interval is switched on, not when
			 * `wg setconf` repeats the value already set. */
			wg_peer_info(peer, &info);
			if (info.persistent_keepalive_secs != secs)
				wg_peer_set_persistent_keepalive(peer, (uint16_t)secs, st->now.mono);
			sodium_memzero(&info, sizeof(info));
			st->changed = true;
		}
		return 0;
	}
	if (strcmp(key, "replace_allowed_ips") == 0) {
		if (!is_true(value))
			return -EINVAL;
		if (peer) {
			wg_peer_allowedips_clear(peer);
			st->changed = true;
		}
		return 0;
	}
	if (strcmp(key, "allowed_ip") == 0) {
		struct mn_prefix pfx;
		/* address/length, the length required (Go's netip.ParsePrefix) */
		if (!strchr(value, '/') || mn_prefix_parse(&pfx, value) < 0)
			return -EINVAL;
		if (wg_dev_locked_covering(st->dev, &pfx))
			return -EPERM;
		if (peer) {
			rc = wg_peer_allowedip_add(peer, &pfx);
			st->changed = true;
			if (rc < 0)
				return dev_errno(rc);
		}
		return 0;
	}
	return -EINVAL;
}

static int set_line(struct set_state *st, char *line)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return -EPROTO;
	*eq = 0;
	if (strcmp(line, "public_key") == 0)
		return open_peer(st, eq + 1);
	if (st->in_peer)
		return set_peer_key(st, line, eq + 1);
	return set_device_key(st, line, eq + 1);
}

/* Runs every line of body (blen bytes: "key=value\n" lines then "\n"; the
 * framing is already checked) through set_line; stops at the first error. */
static int set_pass(struct set_state *st, const char *body, size_t blen)
{
	char line[UAPI_MAX_LINE + 1];
	size_t pos = 0;
	int rc = 0;

	while (pos < blen) {
		const char *nl = memchr(body + pos, '\n', blen - pos);
		size_t n = (size_t)(nl - (body + pos));

		if (n == 0)
			break; /* the terminating empty line */
		if (n > UAPI_MAX_LINE) {
			rc = -EINVAL;
			break;
		}
		memcpy(line, body + pos, n);
		line[n] = 0;
		rc = set_line(st, line);
		sodium_memzero(line, n);
		if (rc < 0)
			break;
		pos += n + 1;
	}
	return rc;
}

/* "key=value\n" lines, then exactly one empty line, then nothing. */
static bool set_framing_ok(const char *body, size_t blen)
{
	size_t pos = 0;

	while (pos < blen) {
		const char *nl = memchr(body + pos, '\n', blen - pos);
		if (!nl)
			return false;
		if (nl == body + pos)
			return pos + 1 == blen;
		pos = (size_t)(nl - body) + 1;
	}
	return false;
}

static int do_set(struct wg_dev *dev, const struct uapi_host *host, const char *body,
		  size_t blen, struct mn_time now)
{
	struct set_state st = { .dev = dev, .host = host, .now = now };
	int rc;

	if (!set_framing_ok(body, blen))
		return -EPROTO;
	if ((rc = set_pass(&st, body, blen)) < 0)
		return rc;
	memset(&st, 0, sizeof(st));
	st.dev = dev;
	st.host = host;
	st.now = now;
	st.apply = true;
	rc = set_pass(&st, body, blen);
	if (st.changed && host && host->peers_changed)
		host->peers_changed(host->ctx);
	return rc;
}

size_t uapi_request_end(const char *buf, size_t len, bool *line_start)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			*line_start = false;
		else if (*line_start)
			return i + 1;
		else
			*line_start = true;
	}
	return 0;
}

int uapi_handle(struct wg_dev *dev, const struct uapi_host *host, const char *req, size_t len,
		struct mn_time now, char **resp, size_t *resp_len)
{
	static const char get_req[] = "get=1\n\n";
	static const char set_hdr[] = "set=1\n";
	struct sbuf b = { 0 };
	int err;

	*resp = NULL;
	*resp_len = 0;
	if (len > UAPI_MAX_REQUEST)
		err = -EMSGSIZE;
	else if (memchr(req, 0, len))
		err = -EPROTO;
	else if (len == sizeof(get_req) - 1 && memcmp(req, get_req, len) == 0) {
		do_get(dev, host, &b);
		err = 0;
	} else if (len >= sizeof(set_hdr) - 1 && memcmp(req, set_hdr, sizeof(set_hdr) - 1) == 0)
		err = do_set(dev, host, req + sizeof(set_hdr) - 1, len - (sizeof(set_hdr) - 1), now);
	else
		err = -EINVAL; /* unknown operation, or a get with trailing bytes */

	sb_printf(&b, "errno=%d\n\n", err);
	if (b.oom) {
		/* Drop a partial reply (it may hold keys) and say ENOMEM if we can. */
		sb_wipe(&b);
		sb_printf(&b, "errno=%d\n\n", -ENOMEM);
		if (b.oom) {
			sb_wipe(&b);
			return MN_ENOMEM;
		}
	}
	*resp = b.p;
	*resp_len = b.len;
	return MN_OK;
}
