/* Tests for wgconf: a full file, every key, every error naming its line,
 * warnings, CRLF, files, and random garbage. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check_main.h"
#include "failmalloc.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "wgconf.h"
#include "wgkey.h"

#define PRIV "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=" /* RFC 7748 alice */
#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="   /* 32 x 0x01 */
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="   /* 32 x 0x02 */
#define K3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="   /* 32 x 0x03 */

static const char full_conf[] =
	"# meshnode test configuration\n"                              /* 1 */
	"[Interface]\n"                                                 /* 2 */
	"PrivateKey = " PRIV "\n"                                       /* 3 */
	"listenport=51820\n"                                            /* 4 */
	"Address = 100.64.0.1/24, fd00:6d6e::1/64\n"                    /* 5 */
	"  address\t=\t100.64.9.9   # a second Address line adds up\n" /* 6 */
	"MTU = 1380\n"                                                  /* 7 */
	"FwMark = 0xca6c\n"                                             /* 8 */
	"DNS = 198.18.0.53, example.test\n"                             /* 9 */
	"Table = off\n"                                                 /* 10 */
	"PostUp = nft add rule inet f c iifname %i accept; echo up\n"   /* 11 */
	"SaveConfig = true\n"                                           /* 12 */
	"\n"                                                            /* 13 */
	"[Peer]   # laptop\n"                                           /* 14 */
	"PublicKey = " K1 "\n"                                          /* 15 */
	"PresharedKey = " K2 "\n"                                       /* 16 */
	"AllowedIPs = 100.64.0.2/32,fd00:6d6e::2/128\n"                 /* 17 */
	"ALLOWEDIPS = 100.64.128.7/17\n"                                /* 18 */
	"Endpoint = 198.18.0.2:51820\n"                                 /* 19 */
	"PersistentKeepalive = 25\n"                                    /* 20 */
	"\n"                                                            /* 21 */
	"[PEER]\n"                                                      /* 22 */
	"publickey = " K3 "\n"                                          /* 23 */
	"AllowedIPs = 0.0.0.0/0, ::/0\n"                                /* 24 */
	"Endpoint = [2001:2::7]:51821\n"                                /* 25 */
	"persistentkeepalive = off\n";                                  /* 26 */

struct warns {
	unsigned lines[16];
	char last[256];
	int n;
};

static void collect(void *ctx, unsigned line, const char *msg)
{
	struct warns *w = ctx;
	if (w->n < 16)
		w->lines[w->n] = line;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static struct mn_prefix pfx(int family, const char *addr, unsigned bits)
{
	struct mn_prefix p;
	memset(&p, 0, sizeof(p));
	p.family = (uint8_t)family;
	p.bits = (uint8_t)bits;
	ck_assert_int_eq(inet_pton(family, addr, p.addr), 1);
	return p;
}

static void assert_pfx(const struct mn_prefix *got, int family, const char *addr, unsigned bits)
{
	struct mn_prefix want = pfx(family, addr, bits);
	char a[MN_PREFIX_STRLEN];
	ck_assert_msg(got->family == want.family && got->bits == want.bits &&
			      memcmp(got->addr, want.addr, 16) == 0,
		      "prefix %s, wanted %s/%u", mn_prefix_format(got, a, sizeof(a)), addr, bits);
}

static void check_full(const struct wgconf *c)
{
	uint8_t k[WG_KEY_LEN];

	ck_assert(c->has_private_key);
	ck_assert_int_eq(wgkey_from_base64(k, PRIV), MN_OK);
	ck_assert_mem_eq(c->private_key, k, WG_KEY_LEN);
	ck_assert(c->has_listen_port);
	ck_assert_uint_eq(c->listen_port, 51820);
	ck_assert_uint_eq(c->n_addresses, 3);
	assert_pfx(&c->addresses[0], AF_INET, "100.64.0.1", 24); /* host bits kept */
	assert_pfx(&c->addresses[1], AF_INET6, "fd00:6d6e::1", 64);
	assert_pfx(&c->addresses[2], AF_INET, "100.64.9.9", 32);  /* bare: /32 */
	ck_assert_uint_eq(c->mtu, 1380);
	ck_assert_uint_eq(c->fwmark, 0xca6c);
	ck_assert_uint_eq(c->n_peers, 2);

	const struct wgconf_peer *p = &c->peers[0];
	memset(k, 1, sizeof(k));
	ck_assert_mem_eq(p->public_key, k, WG_KEY_LEN);
	ck_assert(p->has_psk);
	memset(k, 2, sizeof(k));
	ck_assert_mem_eq(p->psk, k, WG_KEY_LEN);
	ck_assert_uint_eq(p->n_allowed_ips, 3);
	assert_pfx(&p->allowed_ips[0], AF_INET, "100.64.0.2", 32);
	assert_pfx(&p->allowed_ips[1], AF_INET6, "fd00:6d6e::2", 128);
	assert_pfx(&p->allowed_ips[2], AF_INET, "100.64.128.0", 17); /* normalized */
	ck_assert_str_eq(p->endpoint, "198.18.0.2:51820");
	ck_assert_uint_eq(p->persistent_keepalive, 25);

	p = &c->peers[1];
	memset(k, 3, sizeof(k));
	ck_assert_mem_eq(p->public_key, k, WG_KEY_LEN);
	ck_assert(!p->has_psk);
	ck_assert_uint_eq(p->n_allowed_ips, 2);
	assert_pfx(&p->allowed_ips[0], AF_INET, "0.0.0.0", 0);
	assert_pfx(&p->allowed_ips[1], AF_INET6, "::", 0);
	ck_assert_str_eq(p->endpoint, "[2001:2::7]:51821");
	ck_assert_uint_eq(p->persistent_keepalive, 0);
}

START_TEST(test_full_file)
{
	struct wgconf c;
	struct warns w = { 0 };
	char err[256];

	ck_assert_int_eq(wgconf_parse(&c, full_conf, strlen(full_conf), err, sizeof(err), collect,
				      &w),
			 MN_OK);
	check_full(&c);
	/* DNS, Table, PostUp, SaveConfig ignored and reported; the host bits
	 * of 100.64.128.7/17 reported too. */
	ck_assert_int_eq(w.n, 5);
	ck_assert_uint_eq(w.lines[0], 9);
	ck_assert_uint_eq(w.lines[1], 10);
	ck_assert_uint_eq(w.lines[2], 11);
	ck_assert_uint_eq(w.lines[3], 12);
	ck_assert_uint_eq(w.lines[4], 18);
	ck_assert_ptr_nonnull(strstr(w.last, "100.64.128.0/17"));
	wgconf_free(&c);
	ck_assert_uint_eq(c.n_peers, 0);
	ck_assert_ptr_null(c.peers);

	/* No warn callback is fine too. */
	ck_assert_int_eq(wgconf_parse(&c, full_conf, strlen(full_conf), NULL, 0, NULL, NULL),
			 MN_OK);
	wgconf_free(&c);
}
END_TEST

START_TEST(test_crlf)
{
	size_t n = strlen(full_conf);
	char *crlf = malloc(2 * n + 1);
	size_t o = 0;
	struct wgconf c;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		if (full_conf[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = full_conf[i];
	}
	ck_assert_int_eq(wgconf_parse(&c, crlf, o, err, sizeof(err), NULL, NULL), MN_OK);
	check_full(&c);
	wgconf_free(&c);
	/* and no final line ending at all */
	ck_assert_int_eq(wgconf_parse(&c, crlf, o - 2, err, sizeof(err), NULL, NULL), MN_OK);
	check_full(&c);
	wgconf_free(&c);
	free(crlf);
}
END_TEST

START_TEST(test_values)
{
	static const struct {
		const char *text;
		uint32_t fwmark, mtu;
		uint16_t port, keepalive;
	} ok[] = {
		{ "[Interface]\nFwMark = off\n", 0, 0, 0, 0 },
		{ "[Interface]\nFwMark = OFF\n", 0, 0, 0, 0 },
		{ "[Interface]\nFwMark = 0\n", 0, 0, 0, 0 },
		{ "[Interface]\nFwMark = 4294967295\n", 0xffffffff, 0, 0, 0 },
		{ "[Interface]\nFwMark = 0xFFFFFFFF\n", 0xffffffff, 0, 0, 0 },
		{ "[Interface]\nFwMark = 0x0\n", 0, 0, 0, 0 },
		{ "[Interface]\nMTU = 68\n", 0, 68, 0, 0 },
		{ "[Interface]\nMTU = 65535\n", 0, 65535, 0, 0 },
		{ "[Interface]\nListenPort = 0\n", 0, 0, 0, 0 },
		{ "[Interface]\nListenPort = 65535\n", 0, 0, 65535, 0 },
		{ "[Interface]\nListenPort = 1\nListenPort = 2\n", 0, 0, 2, 0 }, /* last wins */
		{ "[Peer]\nPublicKey=" K1 "\nPersistentKeepalive = 65535\n", 0, 0, 0, 65535 },
		{ "[Peer]\nPublicKey=" K1 "\nPersistentKeepalive = 0\n", 0, 0, 0, 0 },
		{ "[Peer]\nPublicKey=" K1 "\nPersistentKeepalive = Off\n", 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct wgconf c;
		char err[256] = "";
		int rc = wgconf_parse(&c, ok[i].text, strlen(ok[i].text), err, sizeof(err), NULL,
				      NULL);
		ck_assert_msg(rc == MN_OK, "case %zu: %s", i, err);
		ck_assert_uint_eq(c.fwmark, ok[i].fwmark);
		ck_assert_uint_eq(c.mtu, ok[i].mtu);
		ck_assert_uint_eq(c.listen_port, ok[i].port);
		if (c.n_peers)
			ck_assert_uint_eq(c.peers[0].persistent_keepalive, ok[i].keepalive);
		wgconf_free(&c);
	}
}
END_TEST

START_TEST(test_empty_and_odd_but_valid)
{
	static const char *const ok[] = {
		"",
		"\n\n\n",
		"# only a comment",
		"[Interface]",
		"[ interface ]\n",
		"[Interface]\n[Interface]\nListenPort = 1\n",
		"[Interface]\nAddress =\n",                /* empty list */
		"[Peer]\nPublicKey=" K1 "\nAllowedIPs=\n",
		"[Peer]\nPublicKey=" K1 "\nEndpoint = vpn.example.test:51820\n",
		"[Peer]\nPublicKey=" K1 "\nEndpoint = [fe80::1%eth0]:51820\n",
		"[Peer]\nPublicKey=" K1 "\nPresharedKey = "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* zero psk: none */
		"\t[Interface]\t\n\tPrivateKey\t=\t" PRIV "\t#\tc\n",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct wgconf c;
		char err[256] = "";
		int rc = wgconf_parse(&c, ok[i], strlen(ok[i]), err, sizeof(err), NULL, NULL);
		ck_assert_msg(rc == MN_OK, "case %zu: %s", i, err);
		if (c.n_peers)
			ck_assert(!c.peers[0].has_psk);
		wgconf_free(&c);
	}
}
END_TEST

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen */
	int rc;
	const char *msg; /* expected "line N: ..." prefix and a part of it */
};

#define B(t, rc, m) { t, 0, rc, m }

static const struct bad_case bad[] = {
	B("PrivateKey = " PRIV "\n", MN_ESYNTAX, "line 1: PrivateKey outside of a section"),
	B("# c\n\nListenPort = 1\n[Interface]\n", MN_ESYNTAX, "line 3: ListenPort outside"),
	B("[Interface]\nPrivateKey = abc\n", MN_ESYNTAX, "line 2: PrivateKey is not a base64 key"),
	B("[Interface]\nPrivateKey = " K1 "x\n", MN_ESYNTAX, "line 2: PrivateKey is not"),
	B("[Interface]\nPrivateKey =\n", MN_ESYNTAX, "line 2: PrivateKey is not"),
	B("[Interface]\n\n# c\nListenPort = 65536\n", MN_ERANGE, "line 4: ListenPort must be"),
	B("[Interface]\nListenPort = 12a\n", MN_ESYNTAX, "line 2: ListenPort must be"),
	B("[Interface]\nListenPort = 99999999999999999999x\n", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nListenPort = -1", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nListenPort = +1", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nListenPort =\n", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nListenPort = 5 1\n", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nListenPort = http\n", MN_ESYNTAX, "line 2: ListenPort"),
	B("[Interface]\nMTU = 67\n", MN_ERANGE, "line 2: MTU must be 68-65535"),
	B("[Interface]\nMTU = 0\n", MN_ERANGE, "line 2: MTU"),
	B("[Interface]\nMTU = 65536\n", MN_ERANGE, "line 2: MTU"),
	B("[Interface]\nMTU = 1420.5\n", MN_ESYNTAX, "line 2: MTU"),
	B("[Interface]\nFwMark = 0x100000000\n", MN_ERANGE, "line 2: FwMark"),
	B("[Interface]\nFwMark = 4294967296\n", MN_ERANGE, "line 2: FwMark"),
	B("[Interface]\nFwMark = 0x\n", MN_ESYNTAX, "line 2: FwMark"),
	B("[Interface]\nFwMark = 0xg\n", MN_ESYNTAX, "line 2: FwMark"),
	B("[Interface]\nFwMark = -1\n", MN_ESYNTAX, "line 2: FwMark"),
	B("[Interface]\nFwMark = on\n", MN_ESYNTAX, "line 2: FwMark"),
	B("[Interface]\nAddress = 100.64.0.1/33\n", MN_ERANGE, "line 2: Address entry '100.64.0.1/33'"),
	B("[Interface]\nAddress = fd00::1/129\n", MN_ERANGE, "line 2: Address entry"),
	B("[Interface]\nAddress = 100.64.0.1/\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nAddress = 100.64.0.1/x\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nAddress = 100.64.0.1/2/4\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nAddress = 100.64.0\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nAddress = host.example\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nAddress = 100.64.0.1,,fd00::1\n", MN_ESYNTAX, "line 2: empty entry in the Address list"),
	B("[Interface]\nAddress = 100.64.0.1,\n", MN_ESYNTAX, "line 2: empty entry"),
	B("[Interface]\nAddress = 100.64.0.1 /24\n", MN_ESYNTAX, "line 2: Address entry"),
	B("[Interface]\nSaveConfig = maybe\n", MN_ESYNTAX, "line 2: SaveConfig must be true or false"),
	B("[Interface]\nFoo = 1\n", MN_ESYNTAX, "line 2: unknown key 'Foo'"),
	B("[Interface]\nPublicKey = " K1 "\n", MN_ESYNTAX, "line 2: PublicKey belongs in [Peer], not [Interface]"),
	B("[Peer]\nPublicKey = " K1 "\nListenPort = 1\n", MN_ESYNTAX, "line 3: ListenPort belongs in [Interface], not [Peer]"),
	B("[Peer]\nPublicKey = " K1 "\nDNS = 198.18.0.53\n", MN_ESYNTAX, "line 3: DNS belongs in [Interface]"),
	B("[Foo]\n", MN_ESYNTAX, "line 1: unknown section [Foo]"),
	B("[Interface]\n[Peers]\n", MN_ESYNTAX, "line 2: unknown section [Peers]"),
	B("[Interface\n", MN_ESYNTAX, "line 1: a section header is"),
	B("[Interface] x\n", MN_ESYNTAX, "line 1: a section header is"),
	B("[Interface]\njust some words\n", MN_ESYNTAX, "line 2: expected Key = Value"),
	B("[Interface]\n = 5\n", MN_ESYNTAX, "line 2: missing key"),
	B("[Peer]\nAllowedIPs = 100.64.0.0/10\n", MN_ESYNTAX, "line 1: [Peer] has no PublicKey"),
	B("[Peer]\nPublicKey=" K1 "\n[Peer]\n\n[Peer]\nPublicKey=" K2 "\n", MN_ESYNTAX,
	  "line 3: [Peer] has no PublicKey"),
	B("[Peer]\nPublicKey=" K1 "\n[Peer]\nPublicKey=" K2 "\n[Peer]\n#x\nPublicKey=" K1 "\n",
	  MN_ESYNTAX, "line 7: PublicKey is the same as the peer's on line 2"),
	B("[Peer]\nPublicKey=" K1 "\n[Peer]\nPublicKey=" K1 "\n[Peer]\nPublicKey=" K1 "\n",
	  MN_ESYNTAX, "line 4: PublicKey is the same as the peer's on line 2"),
	B("[Peer]\nPublicKey=" K2 "\n[Peer]\nPublicKey=" K1 "\n[Peer]\n[Peer]\nPublicKey=" K2 "\n",
	  MN_ESYNTAX, "line 5: [Peer] has no PublicKey"),
	B("[Peer]\nPublicKey = " K1 "\nPresharedKey = " K1 "=\n", MN_ESYNTAX, "line 3: PresharedKey is not"),
	B("[Peer]\nPublicKey = " K1 "\nAllowedIPs = 1.2.3.4/8/9\n", MN_ESYNTAX, "line 3: AllowedIPs entry"),
	B("[Peer]\nPublicKey = " K1 "\nAllowedIPs = +100.64.0.0/10\n", MN_ESYNTAX, "line 3: AllowedIPs entry"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = host\n", MN_ESYNTAX, "line 3: Endpoint 'host' is not"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = host:0\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = host:65536\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = host:\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = :51820\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = [fd00::1:51820\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = fd00::1:51820\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = [zz::q]:1\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = []:1\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nEndpoint = ex ample.test:1\n", MN_ESYNTAX, "line 3: Endpoint"),
	B("[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = 65536\n", MN_ERANGE, "line 3: PersistentKeepalive must be"),
	B("[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = on\n", MN_ESYNTAX, "line 3: PersistentKeepalive"),
	/* a pasted key is never echoed back */
	B("[Interface]\n" K1 "\n", MN_ESYNTAX, "line 2: unknown key"),
	{ "[Interface]\nListenPort = 1\0\n", sizeof("[Interface]\nListenPort = 1\0\n") - 1,
	  MN_ESYNTAX, "line 2: NUL byte" },
	{ "\0", 1, MN_ESYNTAX, "line 1: NUL byte" },
};

START_TEST(test_errors)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wgconf c;
		char err[256];
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		size_t plen = strcspn(bad[i].msg, ":") + 1;
		int rc;

		memset(err, 'x', sizeof(err));
		memset(&c, 0x5a, sizeof(c));
		rc = wgconf_parse(&c, bad[i].text, len, err, sizeof(err), NULL, NULL);
		ck_assert_msg(rc == bad[i].rc, "case %zu: rc %d (%s), wanted %d", i, rc, err,
			      bad[i].rc);
		ck_assert_msg(strncmp(err, bad[i].msg, plen) == 0 && strstr(err, bad[i].msg + plen + 1),
			      "case %zu: got '%s', wanted '%s'", i, err, bad[i].msg);
		/* freed and zeroed on error */
		ck_assert_ptr_null(c.peers);
		ck_assert_ptr_null(c.addresses);
		ck_assert(!c.has_private_key);
		ck_assert(sodium_is_zero(c.private_key, sizeof(c.private_key)));
		/* keys never appear in messages */
		ck_assert_ptr_null(strstr(err, "AQEB"));
		ck_assert_ptr_null(strstr(err, "dwdt"));
	}
}
END_TEST

START_TEST(test_error_after_good_lines)
{
	/* An error deep in a full file names its own line, after the peers
	 * were allocated (nothing leaks: see the sanitizer build). */
	size_t n = strlen(full_conf);
	char *text = malloc(n + 64);
	struct wgconf c;
	char err[256];

	memcpy(text, full_conf, n);
	strcpy(text + n, "AllowedIPs = 100.64.0.0/10, nonsense\n");
	ck_assert_int_eq(wgconf_parse(&c, text, strlen(text), err, sizeof(err), NULL, NULL),
			 MN_ESYNTAX);
	ck_assert_str_eq(err, "line 27: AllowedIPs entry 'nonsense' is not an IP address with "
			      "an optional /prefix-length");
	free(text);
}
END_TEST

START_TEST(test_long_line_and_limits)
{
	struct wgconf c;
	char err[256];
	size_t n = WGCONF_MAX_LINE + 100;
	char *text = malloc(n + 64);
	size_t o;

	o = (size_t)sprintf(text, "[Interface]\n# fine\n");
	memset(text + o, 'A', n);
	o += n;
	text[o++] = '\n';
	ck_assert_int_eq(wgconf_parse(&c, text, o, err, sizeof(err), NULL, NULL), MN_ERANGE);
	ck_assert_str_eq(err, "line 3: line is longer than 4096 bytes");

	/* exactly WGCONF_MAX_LINE is accepted (a comment) */
	o = (size_t)sprintf(text, "[Interface]\n#");
	memset(text + o, 'A', WGCONF_MAX_LINE - 1);
	o += WGCONF_MAX_LINE - 1;
	memcpy(text + o, "\r\n", 2); /* the CR does not count */
	o += 2;
	ck_assert_int_eq(wgconf_parse(&c, text, o, err, sizeof(err), NULL, NULL), MN_OK);
	wgconf_free(&c);
	free(text);

	/* more Address entries than allowed */
	size_t cap = 32 + (WGCONF_MAX_ADDRESSES + 1) * 32;
	text = malloc(cap);
	o = (size_t)sprintf(text, "[Interface]\n");
	for (int i = 0; i <= WGCONF_MAX_ADDRESSES; i++)
		o += (size_t)sprintf(text + o, "Address = 100.64.%d.%d\n", i / 256, i % 256);
	ck_assert_int_eq(wgconf_parse(&c, text, o, err, sizeof(err), NULL, NULL), MN_ERANGE);
	ck_assert_str_eq(err, "line 258: more than 256 Address entries");
	free(text);

	/* a tiny error buffer still gets a terminated (truncated) message */
	char small[8];
	ck_assert_int_eq(wgconf_parse(&c, "[x]", 3, small, sizeof(small), NULL, NULL), MN_ESYNTAX);
	ck_assert_str_eq(small, "line 1:");
}
END_TEST

START_TEST(test_load)
{
	char path[] = "/tmp/meshnode-wgconf-XXXXXX";
	char err[512], want[512];
	struct wgconf c;
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(full_conf, f);
	fclose(f);
	ck_assert_int_eq(wgconf_load(&c, path, err, sizeof(err), NULL, NULL), MN_OK);
	check_full(&c);
	wgconf_free(&c);

	f = fopen(path, "a");
	fputs("[Interface]\nMTU = 9\n", f);
	fclose(f);
	ck_assert_int_eq(wgconf_load(&c, path, err, sizeof(err), NULL, NULL), MN_ERANGE);
	snprintf(want, sizeof(want), "%s:28: MTU must be 68-65535, not '9'", path);
	ck_assert_str_eq(err, want);
	unlink(path);

	ck_assert_int_eq(wgconf_load(&c, path, err, sizeof(err), NULL, NULL), MN_EIO);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(wgconf_load(&c, "/", err, sizeof(err), NULL, NULL), MN_EIO);
	ck_assert_str_eq(err, "/: read error");
	ck_assert_int_eq(wgconf_load(&c, "/dev/null", NULL, 0, NULL, NULL), MN_OK);
	wgconf_free(&c);
}
END_TEST

static void parse_any(const char *text, size_t len)
{
	struct wgconf c;
	char err[128];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = wgconf_parse(&c, text, len, err, sizeof(err), NULL, NULL);
	if (rc == MN_OK) {
		wgconf_free(&c);
		return;
	}
	ck_assert(rc == MN_ESYNTAX || rc == MN_ERANGE);
	ck_assert_msg(strncmp(err, "line ", 5) == 0, "message '%.*s'", 60, err);
	ck_assert_ptr_nonnull(memchr(err, 0, sizeof(err)));
}

START_TEST(test_garbage)
{
	struct mn_seeded_rng s;
	struct mn_rng r;
	uint64_t seed = 0x6761726261676521;
	size_t n = strlen(full_conf);
	char buf[1024];

	printf("wgconf garbage: seed=%llu\n", (unsigned long long)seed);
	mn_seeded_rng_init(&s, seed);
	r = mn_seeded_rng_iface(&s);
	for (int i = 0; i < 3000; i++) {
		size_t len = mn_rng_uniform(&r, sizeof(buf));
		mn_rng_bytes(&r, buf, len);
		parse_any(buf, len);
	}
	/* a valid file with a few bytes changed, inserted or cut */
	for (int i = 0; i < 3000; i++) {
		size_t len = n;
		memcpy(buf, full_conf, n);
		int edits = 1 + (int)mn_rng_uniform(&r, 4);
		for (int e = 0; e < edits; e++) {
			size_t at = mn_rng_uniform(&r, (uint32_t)len);
			static const char pick[] = "\n\r\t =,[]#:/0xAQ\0\xff";
			buf[at] = pick[mn_rng_uniform(&r, sizeof(pick))];
		}
		len = mn_rng_uniform(&r, (uint32_t)n + 1);
		parse_any(buf, len);
	}
}
END_TEST

/* Fail the i-th allocation in turn: every failure is MN_ENOMEM naming a
 * line, leaves nothing allocated (the sanitizer build checks for leaks),
 * and enough budget parses the file. */
START_TEST(test_failmalloc)
{
	bool sticky = _i; /* loop test: fail one allocation, then all from the i-th */
	char path[] = "/tmp/meshnode-wgconf-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	unsigned long n;
	struct wgconf c;
	char err[512];
	int rc;

	for (n = 0;; n++) {
		failmalloc_arm(n, sticky);
		rc = wgconf_parse(&c, full_conf, strlen(full_conf), err, sizeof(err), NULL, NULL);
		failmalloc_disarm();
		if (rc == MN_OK)
			break;
		ck_assert_int_eq(rc, MN_ENOMEM);
		ck_assert_msg(strncmp(err, "line ", 5) == 0 && strstr(err, ": out of memory"),
			      "%s", err);
		ck_assert_ptr_null(c.peers);
		ck_assert_ptr_null(c.addresses);
	}
	ck_assert_uint_ge(n, 8);
	check_full(&c);
	wgconf_free(&c);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(full_conf, f);
	fclose(f);
	for (n = 0;; n++) {
		failmalloc_arm(n, sticky);
		rc = wgconf_load(&c, path, err, sizeof(err), NULL, NULL);
		failmalloc_disarm();
		if (rc == MN_OK)
			break;
		ck_assert_int_eq(rc, MN_ENOMEM);
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0 && strstr(err, "out of memory"),
			      "%s", err);
	}
	check_full(&c);
	wgconf_free(&c);
	unlink(path);
}
END_TEST

static Suite *wgconf_suite(void)
{
	Suite *s = suite_create("wgconf");
	TCase *tc = tcase_create("wgconf");
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_empty_and_odd_but_valid);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_error_after_good_lines);
	tcase_add_test(tc, test_long_line_and_limits);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_garbage);
	tcase_add_loop_test(tc, test_failmalloc, 0, 2);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(wgconf_suite)
