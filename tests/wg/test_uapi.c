/* Tests for uapi: the wg(8) text protocol against a real wg_dev. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check_main.h"
#include "failmalloc.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "uapi.h"
#include "wg.h"
#include "wgkey.h"

/* RFC 7748 §6.1 key pairs (Alice, Bob). */
#define A_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define A_PRIV_CLAMPED "70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a"
#define A_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define B_PRIV "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define B_PUB "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"

#define H32(b) b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b
#define K1 H32("01")
#define K2 H32("02")
#define K3 H32("03")
#define K4 H32("04")
#define K9 H32("09")
#define ZERO H32("00")

struct host {
	uint16_t port;
	uint32_t mark;
	int port_rc;
	int changed;
};

static uint16_t get_port(void *ctx)
{
	return ((struct host *)ctx)->port;
}

static int set_port(void *ctx, uint16_t port)
{
	struct host *h = ctx;
	if (h->port_rc)
		return h->port_rc;
	h->port = port;
	return MN_OK;
}

static uint32_t get_mark(void *ctx)
{
	return ((struct host *)ctx)->mark;
}

static int set_mark(void *ctx, uint32_t mark)
{
	((struct host *)ctx)->mark = mark;
	return MN_OK;
}

static void changed(void *ctx)
{
	((struct host *)ctx)->changed++;
}

struct fixture {
	struct mn_seeded_rng seeded;
	struct wg_dev *dev;
	struct host h;
	struct uapi_host host;
	struct mn_time now;
};

static void fx_init(struct fixture *fx, uint64_t seed)
{
	struct mn_rng rng;

	memset(fx, 0, sizeof(*fx));
	mn_seeded_rng_init(&fx->seeded, seed);
	rng = mn_seeded_rng_iface(&fx->seeded);
	ck_assert_int_eq(wg_dev_new(&fx->dev, &rng), MN_OK);
	fx->host = (struct uapi_host){ &fx->h, get_port, set_port, get_mark, set_mark, changed };
	fx->now.mono = 1000 * MN_NS_PER_SEC;
	fx->now.wall = UINT64_C(1700000000) * MN_NS_PER_SEC + 123456789;
}

static void fx_free(struct fixture *fx)
{
	wg_dev_del(fx->dev);
}

/* One request; returns the reply as a NUL-terminated string (caller frees). */
static char *call_n(struct fixture *fx, const char *req, size_t len)
{
	char *resp, *s;
	size_t n;

	ck_assert_int_eq(uapi_handle(fx->dev, &fx->host, req, len, fx->now, &resp, &n), MN_OK);
	ck_assert_ptr_nonnull(resp);
	ck_assert_uint_ge(n, 2);
	ck_assert(resp[n - 1] == '\n' && resp[n - 2] == '\n');
	s = malloc(n + 1);
	memcpy(s, resp, n);
	s[n] = 0;
	sodium_memzero(resp, n);
	free(resp);
	return s;
}

static char *call(struct fixture *fx, const char *req)
{
	return call_n(fx, req, strlen(req));
}

/* Sends req and checks the reply is exactly want. */
static void expect(struct fixture *fx, const char *req, const char *want)
{
	char *got = call(fx, req);
	ck_assert_msg(strcmp(got, want) == 0, "request:\n%s\nreply:\n%s\nwanted:\n%s", req, got,
		      want);
	free(got);
}

static void expect_errno(struct fixture *fx, const char *req, int err)
{
	char want[32];
	snprintf(want, sizeof(want), "errno=%d\n\n", err);
	expect(fx, req, want);
}

START_TEST(test_get_empty)
{
	struct fixture fx;
	char *resp;
	size_t n;

	fx_init(&fx, 1);
	expect(&fx, "get=1\n\n", "errno=0\n\n");
	fx.h.port = 51820;
	fx.h.mark = 7;
	expect(&fx, "get=1\n\n", "listen_port=51820\nfwmark=7\nerrno=0\n\n");
	/* no host at all */
	ck_assert_int_eq(uapi_handle(fx.dev, NULL, "get=1\n\n", 7, fx.now, &resp, &n), MN_OK);
	ck_assert_uint_eq(n, 9);
	ck_assert(memcmp(resp, "errno=0\n\n", 9) == 0);
	free(resp);
	ck_assert_int_eq(uapi_handle(fx.dev, NULL, "set=1\nlisten_port=1\n\n", 21, fx.now, &resp,
				     &n),
			 MN_OK);
	ck_assert_uint_eq(n, 11);
	ck_assert(memcmp(resp, "errno=-95\n\n", 11) == 0); /* EOPNOTSUPP */
	free(resp);
	ck_assert_int_eq(fx.h.changed, 0);
	fx_free(&fx);
}
END_TEST

static const char two_peers_set[] =
	"set=1\n"
	"private_key=" A_PRIV "\n"
	"listen_port=51820\n"
	"fwmark=51820\n"
	"replace_peers=true\n"
	"public_key=" K1 "\n"
	"preshared_key=" K2 "\n"
	"endpoint=198.18.0.2:51820\n"
	"persistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\n"
	"allowed_ip=fd00::2/128\n"
	"allowed_ip=100.64.0.2/32\n"
	"public_key=" K3 "\n"
	"protocol_version=1\n"
	"endpoint=[2001:2::7]:51821\n"
	"allowed_ip=0.0.0.0/0\n"
	"allowed_ip=::/0\n"
	"\n";

/* What get says after two_peers_set: the key clamped (as the kernel
 * reports it), allowed IPs in the order they were set (as the kernel and
 * wireguard-go list them). */
static const char two_peers_get[] =
	"private_key=" A_PRIV_CLAMPED "\n"
	"listen_port=51820\n"
	"fwmark=51820\n"
	"public_key=" K1 "\n"
	"preshared_key=" K2 "\n"
	"protocol_version=1\n"
	"endpoint=198.18.0.2:51820\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=fd00::2/128\n"
	"allowed_ip=100.64.0.2/32\n"
	"public_key=" K3 "\n"
	"protocol_version=1\n"
	"endpoint=[2001:2::7]:51821\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=0.0.0.0/0\n"
	"allowed_ip=::/0\n"
	"errno=0\n"
	"\n";

START_TEST(test_set_get_round_trip)
{
	struct fixture fx;
	uint8_t pk[WG_KEY_LEN], want[WG_KEY_LEN];

	fx_init(&fx, 2);
	expect(&fx, two_peers_set, "errno=0\n\n");
	ck_assert_int_eq(fx.h.changed, 1);
	ck_assert_uint_eq(fx.h.port, 51820);
	ck_assert_uint_eq(fx.h.mark, 51820);
	ck_assert(wg_dev_public_key(fx.dev, pk));
	ck_assert_int_eq(wgkey_from_hex(want, A_PUB), MN_OK);
	ck_assert_mem_eq(pk, want, WG_KEY_LEN);
	expect(&fx, "get=1\n\n", two_peers_get);
	ck_assert_int_eq(fx.h.changed, 1); /* get changes nothing */

	/* Sending the same set again is idempotent. */
	expect(&fx, two_peers_set, "errno=0\n\n");
	expect(&fx, "get=1\n\n", two_peers_get);

	/* An empty set is valid and changes nothing. */
	fx.h.changed = 0;
	expect(&fx, "set=1\n\n", "errno=0\n\n");
	expect(&fx, "set=1\nlisten_port=51820\n\n", "errno=0\n\n");
	ck_assert_int_eq(fx.h.changed, 0);

	/* Clearing a psk and the fwmark. */
	expect(&fx, "set=1\nfwmark=0\npublic_key=" K1 "\npreshared_key=" ZERO "\n\n",
	       "errno=0\n\n");
	char *got = call(&fx, "get=1\n\n");
	ck_assert_ptr_null(strstr(got, "preshared_key="));
	ck_assert_ptr_null(strstr(got, "fwmark="));
	free(got);
	fx_free(&fx);
}
END_TEST

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(test_replace_remove_update_only)
{
	struct fixture fx;
	char *got;

	fx_init(&fx, 3);
	expect(&fx, two_peers_set, "errno=0\n\n");

	/* replace_peers drops both and adds K4 */
	expect(&fx, "set=1\nreplace_peers=true\npublic_key=" K4 "\nallowed_ip=100.64.0.4/32\n\n",
	       "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_int_eq(count(got, "public_key="), 1);
	ck_assert_ptr_nonnull(strstr(got, "public_key=" K4 "\n"));
	free(got);

	/* remove an existing peer, and a missing one (created, then removed) */
	expect(&fx, "set=1\npublic_key=" K4 "\nremove=true\npublic_key=" K9 "\nremove=true\n\n",
	       "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_int_eq(count(got, "public_key="), 0);
	free(got);

	/* update_only: a missing peer is not created (before or after other
	 * keys), an existing one is updated */
	expect(&fx, two_peers_set, "errno=0\n\n");
	expect(&fx,
	       "set=1\n"
	       "public_key=" K9 "\nupdate_only=true\nallowed_ip=100.64.0.9/32\n"
	       "public_key=" K4 "\nallowed_ip=100.64.0.4/32\nupdate_only=true\n"
	       "public_key=" K3 "\nupdate_only=true\nendpoint=198.18.0.3:1\n"
	       "\n",
	       "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_int_eq(count(got, "public_key="), 2);
	ck_assert_ptr_null(strstr(got, K9));
	ck_assert_ptr_null(strstr(got, K4));
	ck_assert_ptr_null(strstr(got, "100.64.0.9/32"));
	ck_assert_ptr_null(strstr(got, "100.64.0.4/32"));
	ck_assert_ptr_nonnull(strstr(got, "endpoint=198.18.0.3:1\n"));
	free(got);

	/* replace_allowed_ips on one peer leaves the other alone; an allowed
	 * IP moves to the peer that adds it last (cryptokey routing) */
	expect(&fx,
	       "set=1\npublic_key=" K1 "\nreplace_allowed_ips=true\nallowed_ip=100.64.1.0/24\n"
	       "public_key=" K3 "\nallowed_ip=100.64.1.0/24\n\n",
	       "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_int_eq(count(got, "allowed_ip="), 3);
	ck_assert_ptr_nonnull(strstr(got, "allowed_ip=100.64.1.0/24\n"));
	ck_assert_ptr_null(strstr(got, "allowed_ip=100.64.0.2/32\n"));
	ck_assert_ptr_nonnull(strstr(got, "allowed_ip=::/0\n"));
	ck_assert(strstr(got, "allowed_ip=100.64.1.0/24") > strstr(got, "public_key=" K3));
	free(got);
	fx_free(&fx);
}
END_TEST

START_TEST(test_private_key_rules)
{
	struct fixture fx;
	char *got;

	fx_init(&fx, 4);
	expect(&fx, two_peers_set, "errno=0\n\n");
	/* A peer with our own public key is ignored (wireguard-go's dummy). */
	fx.h.changed = 0;
	expect(&fx, "set=1\npublic_key=" A_PUB "\nallowed_ip=100.64.7.0/24\nendpoint=198.18.0.9:9\n\n",
	       "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_ptr_null(strstr(got, A_PUB));
	ck_assert_ptr_null(strstr(got, "100.64.7.0/24"));
	free(got);

	/* Taking the private key of a peer removes that peer. */
	expect(&fx, "set=1\npublic_key=" B_PUB "\nallowed_ip=100.64.8.0/24\n\n", "errno=0\n\n");
	expect(&fx, "set=1\nprivate_key=" B_PRIV "\n\n", "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_ptr_null(strstr(got, B_PUB));
	ck_assert_int_eq(count(got, "public_key="), 2);
	free(got);

	/* All zero removes the key, as `wg set wg0 private-key /dev/null` sends it. */
	expect(&fx, "set=1\nprivate_key=" ZERO "\n\n", "errno=0\n\n");
	got = call(&fx, "get=1\n\n");
	ck_assert_ptr_null(strstr(got, "private_key="));
	ck_assert_int_eq(count(got, "public_key="), 2);
	free(got);
	ck_assert(!wg_dev_public_key(fx.dev, (uint8_t[WG_KEY_LEN]){ 0 }));
	fx_free(&fx);
}
END_TEST

struct bad_req {
	const char *req;
	size_t len; /* 0: strlen */
	int err;
};

static const struct bad_req bad[] = {
	{ "set=1\nlisten_port=65536\n\n", 0, -EINVAL },
	{ "set=1\nlisten_port=-1\n\n", 0, -EINVAL },
	{ "set=1\nlisten_port=\n\n", 0, -EINVAL },
	{ "set=1\nlisten_port= 1\n\n", 0, -EINVAL },
	{ "set=1\nfwmark=0x10\n\n", 0, -EINVAL },
	{ "set=1\nfwmark=4294967296\n\n", 0, -EINVAL },
	{ "set=1\nbogus=1\n\n", 0, -EINVAL },
	{ "set=1\nlisten_port\n\n", 0, -EPROTO },
	{ "set=1\nprivate_key=" K1 "0\n\n", 0, -EINVAL },
	{ "set=1\nprivate_key=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n", 0, -EINVAL },
	{ "set=1\nreplace_peers=1\n\n", 0, -EINVAL },
	{ "set=1\nreplace_peers=false\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=zz\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nallowed_ip=100.64.0.1\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nallowed_ip=100.64.0.1/33\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nallowed_ip=fd00::/129\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nprotocol_version=2\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nremove=false\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nupdate_only=yes\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nreplace_allowed_ips=0\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\npreshared_key=" K1 "00\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\npersistent_keepalive_interval=65536\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nlisten_port=5\n\n", 0, -EINVAL }, /* device key, peer section */
	{ "set=1\nendpoint=198.18.0.1:5\n\n", 0, -EINVAL },           /* peer key, no peer */
	{ "set=1\npublic_key=" K1 "\nendpoint=host.example:5\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nendpoint=198.18.0.1\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nlast_handshake_time_sec=0\n\n", 0, -EINVAL },
	{ "set=1\npublic_key=" K1 "\nendpoint=198.18.0.1:5\n", 0, -EPROTO }, /* no blank line */
	{ "set=1\n", 0, -EPROTO },
	{ "set=1\n\nget=1\n\n", 0, -EPROTO }, /* one request at a time */
	{ "set=1\npublic_key=" K1 "\n\nremove=true\n\n", 0, -EPROTO },
	{ "set=1\nlisten_port=1\0\n\n", sizeof("set=1\nlisten_port=1\0\n\n") - 1, -EPROTO },
	{ "set=1\r\nlisten_port=1\r\n\r\n", 0, -EINVAL },
	{ "get=1\n", 0, -EINVAL },
	{ "get=1\n\nx", 0, -EINVAL },
	{ "get=2\n\n", 0, -EINVAL },
	{ "foo=1\n\n", 0, -EINVAL },
	{ "", 0, -EINVAL },
	{ "\n", 0, -EINVAL },
};

START_TEST(test_bad_requests)
{
	struct fixture fx;

	fx_init(&fx, 5);
	expect(&fx, two_peers_set, "errno=0\n\n");
	fx.h.changed = 0;
	/* the exact form wg(8) and wireguard-go use */
	expect(&fx, "set=1\nbogus=1\n\n", "errno=-22\n\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[32], *got;
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].req);

		snprintf(want, sizeof(want), "errno=%d\n\n", bad[i].err);
		got = call_n(&fx, bad[i].req, len);
		ck_assert_msg(strcmp(got, want) == 0, "case %zu: got '%s', wanted '%s'", i, got, want);
		free(got);
		/* a malformed request changes nothing */
		expect(&fx, "get=1\n\n", two_peers_get);
	}
	ck_assert_int_eq(fx.h.changed, 0);

	/* Checked whole before anything is applied: the bad last line keeps
	 * replace_peers from running. */
	expect_errno(&fx, "set=1\nreplace_peers=true\npublic_key=" K4 "\nallowed_ip=bad\n\n", -EINVAL);
	expect(&fx, "get=1\n\n", two_peers_get);
	ck_assert_int_eq(fx.h.changed, 0);

	/* A long line, and a request over the limit. */
	size_t big = UAPI_MAX_REQUEST + 1;
	char *req = malloc(big);
	memcpy(req, "set=1\nbogus=", 12);
	memset(req + 12, 'x', big - 12);
	req[big - 2] = '\n';
	req[big - 1] = '\n';
	char *got = call_n(&fx, req, 4096);
	ck_assert_str_eq(got, "errno=-71\n\n"); /* cut: no blank line */
	free(got);
	req[4094] = '\n';
	req[4095] = '\n';
	got = call_n(&fx, req, 4096);
	ck_assert_str_eq(got, "errno=-22\n\n"); /* line too long */
	free(got);
	got = call_n(&fx, req, big);
	ck_assert_str_eq(got, "errno=-90\n\n"); /* EMSGSIZE */
	free(got);
	free(req);
	fx_free(&fx);
}
END_TEST

START_TEST(test_host_failures)
{
	struct fixture fx;

	fx_init(&fx, 6);
	fx.h.port_rc = MN_EBUSY;
	/* Failures only the host can report stop the set where they happen
	 * (as in wireguard-go): the lines before it stay applied. */
	expect_errno(&fx,
		     "set=1\nprivate_key=" A_PRIV "\nlisten_port=51820\npublic_key=" K1 "\n\n",
		     -EADDRINUSE);
	char *got = call(&fx, "get=1\n\n");
	ck_assert_ptr_nonnull(strstr(got, "private_key=" A_PRIV_CLAMPED "\n"));
	ck_assert_ptr_null(strstr(got, "public_key="));
	free(got);
	ck_assert_int_eq(fx.h.changed, 1); /* the private key changed */
	fx_free(&fx);
}
END_TEST

/* ---- a real handshake, to see the counters and the handshake time ---- */

static size_t ipv4_packet(uint8_t *p, const char *src, const char *dst, size_t payload)
{
	size_t len = 20 + payload;
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	ck_assert_int_eq(inet_pton(AF_INET, src, p + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, p + 16), 1);
	return len;
}

START_TEST(test_handshake_counters)
{
	struct fixture a, b;
	uint8_t buf[2048];
	size_t len, off, plen;
	struct mn_addr dst, a_addr, b_addr;
	char *got, want[128];

	fx_init(&a, 7);
	fx_init(&b, 8);
	ck_assert_int_eq(mn_addr_parse(&a_addr, "198.18.0.1:51820"), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&b_addr, "198.18.0.2:51820"), MN_OK);
	expect(&a,
	       "set=1\nprivate_key=" A_PRIV "\npublic_key=" B_PUB
	       "\nendpoint=198.18.0.2:51820\nallowed_ip=100.64.0.2/32\n\n",
	       "errno=0\n\n");
	expect(&b, "set=1\nprivate_key=" B_PRIV "\npublic_key=" A_PUB "\nallowed_ip=100.64.0.1/32\n\n",
	       "errno=0\n\n");

	/* A sends a packet: staged, and an initiation goes out. */
	len = ipv4_packet(buf + WG_HEADROOM, "100.64.0.1", "100.64.0.2", 8);
	ck_assert_int_eq(wg_dev_tun_in(a.dev, buf, sizeof(buf), len, a.now, &dst, &len), 0);
	ck_assert_int_eq(wg_dev_poll_tx(a.dev, buf, sizeof(buf), &len, &dst), 1);
	ck_assert_uint_eq(len, WG_INITIATION_LEN);
	ck_assert(mn_addr_eq(&dst, &b_addr));
	ck_assert_int_ge(wg_dev_udp_in(b.dev, &a_addr, buf, len, b.now, &off, &plen), 0);
	ck_assert_int_eq(wg_dev_poll_tx(b.dev, buf, sizeof(buf), &len, &dst), 1);
	ck_assert_uint_eq(len, WG_RESPONSE_LEN);
	ck_assert_int_ge(wg_dev_udp_in(a.dev, &b_addr, buf, len, a.now, &off, &plen), 0);
	/* the staged packet is released */
	ck_assert_int_eq(wg_dev_poll_tx(a.dev, buf, sizeof(buf), &len, &dst), 1);
	ck_assert_int_eq(wg_dev_udp_in(b.dev, &a_addr, buf, len, b.now, &off, &plen), 1);

	got = call(&a, "get=1\n\n");
	snprintf(want, sizeof(want), "last_handshake_time_sec=%llu\nlast_handshake_time_nsec=%llu\n",
		 (unsigned long long)(a.now.wall / MN_NS_PER_SEC),
		 (unsigned long long)(a.now.wall % MN_NS_PER_SEC));
	ck_assert_msg(strstr(got, want), "%s", got);
	ck_assert_ptr_null(strstr(got, "tx_bytes=0\n"));
	free(got);
	got = call(&b, "get=1\n\n");
	ck_assert_ptr_null(strstr(got, "rx_bytes=0\n"));
	/* B learned A's endpoint from the authenticated packets (roaming) */
	ck_assert_ptr_nonnull(strstr(got, "endpoint=198.18.0.1:51820\n"));
	free(got);
	fx_free(&a);
	fx_free(&b);
}
END_TEST

START_TEST(test_garbage)
{
	struct fixture fx;
	struct mn_seeded_rng s;
	struct mn_rng r;
	uint64_t seed = 0x7561706967617262;
	size_t n = strlen(two_peers_set);
	char buf[2048];

	printf("uapi garbage: seed=%llu\n", (unsigned long long)seed);
	fx_init(&fx, 9);
	mn_seeded_rng_init(&s, seed);
	r = mn_seeded_rng_iface(&s);
	for (int i = 0; i < 2000; i++) {
		size_t len = mn_rng_uniform(&r, 256);
		if (i & 1) {
			memcpy(buf, "set=1\n", 6);
			mn_rng_bytes(&r, buf + 6, len);
			len += 6;
		} else {
			mn_rng_bytes(&r, buf, len);
		}
		free(call_n(&fx, buf, len));
	}
	for (int i = 0; i < 2000; i++) {
		memcpy(buf, two_peers_set, n);
		int edits = 1 + (int)mn_rng_uniform(&r, 3);
		for (int e = 0; e < edits; e++) {
			static const char pick[] = "\n=/:[]01fx.\0";
			buf[mn_rng_uniform(&r, (uint32_t)n)] = pick[mn_rng_uniform(&r, sizeof(pick))];
		}
		char *got = call_n(&fx, buf, mn_rng_uniform(&r, (uint32_t)n + 1));
		ck_assert_int_eq(strncmp(got, "errno=", 6), 0);
		free(got);
		got = call(&fx, "get=1\n\n");
		ck_assert_ptr_nonnull(strstr(got, "errno=0\n\n"));
		free(got);
	}
	fx_free(&fx);
}
END_TEST

/* Fail the i-th allocation in turn, for a set (allocations in the device's
 * routing table) and a get (the reply): each attempt either works, answers
 * errno=-ENOMEM, or returns MN_ENOMEM with no reply; nothing leaks. */
START_TEST(test_failmalloc)
{
	bool sticky = _i; /* loop test: fail one allocation, then all from the i-th */
	unsigned long n;
	int outcomes[3] = { 0 };

	for (n = 0;; n++) {
		struct fixture fx;
		char *resp = NULL;
		size_t len = 0;
		int rc;

		fx_init(&fx, 10);
		failmalloc_arm(n, sticky);
		rc = uapi_handle(fx.dev, &fx.host, two_peers_set, strlen(two_peers_set), fx.now,
				 &resp, &len);
		failmalloc_disarm();
		if (rc == MN_ENOMEM) {
			ck_assert_ptr_null(resp);
			outcomes[0]++;
			fx_free(&fx);
			continue;
		}
		ck_assert_int_eq(rc, MN_OK);
		if (len == 11 && memcmp(resp, "errno=-12\n\n", 11) == 0) {
			outcomes[1]++;
			free(resp);
			fx_free(&fx);
			continue;
		}
		ck_assert_msg(len == 9 && memcmp(resp, "errno=0\n\n", 9) == 0, "%.*s", (int)len, resp);
		free(resp);
		for (unsigned long g = 0;; g++) {
			failmalloc_arm(g, sticky);
			rc = uapi_handle(fx.dev, &fx.host, "get=1\n\n", 7, fx.now, &resp, &len);
			failmalloc_disarm();
			if (rc == MN_ENOMEM) {
				ck_assert_ptr_null(resp);
				continue;
			}
			ck_assert_int_eq(rc, MN_OK);
			if (len == 11 && memcmp(resp, "errno=-12\n\n", 11) == 0) {
				free(resp);
				continue;
			}
			ck_assert_uint_eq(len, strlen(two_peers_get));
			ck_assert(memcmp(resp, two_peers_get, len) == 0);
			free(resp);
			break;
		}
		outcomes[2]++;
		fx_free(&fx);
		break;
	}
	if (!sticky) /* a device failure, with a reply to say so */
		ck_assert_int_gt(outcomes[1], 0);
	else /* nothing after the first failure works, not even a reply */
		ck_assert_int_eq(outcomes[1], 0);
	ck_assert_int_eq(outcomes[2], 1);
}
END_TEST

/* The reference: the ends of the requests in a whole stream, found at
 * once (a blank line ends a request; so does a "\n" that opens one). */
static size_t whole_ends(const char *buf, size_t len, size_t *ends, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' && (i == start || buf[i - 1] == '\n')) {
			ck_assert_uint_lt(n, max);
			ends[n++] = i + 1;
			start = i + 1;
		}
	}
	return n;
}

/* Read in pieces of `piece` bytes, as the server gets them: the same ends. */
static void check_pieces(const char *buf, size_t len, size_t piece, const size_t *want,
			 size_t n_want)
{
	size_t start = 0, scanned = 0, n = 0;
	bool line_start = true;

	for (size_t have = 0; have < len;) {
		have = have + piece < len ? have + piece : len;
		size_t end = uapi_request_end(buf + scanned, have - scanned, &line_start);
		if (!end) {
			scanned = have;
			continue;
		}
		ck_assert_uint_lt(n, n_want);
		ck_assert_uint_eq(scanned + end, want[n]);
		n++;
		start = scanned = scanned + end;
		line_start = true;
		have = start; /* what followed the end is scanned next */
	}
	ck_assert_uint_eq(n, n_want);
}

START_TEST(test_request_end_in_pieces)
{
	static const char stream[] = "get=1\n\n"
				     "set=1\nprivate_key=" A_PRIV "\nlisten_port=1\n\n"
				     "\n"
				     "set=1\nx\n\n\n"
				     "get=1\n\n"
				     "set=1\npublic_key=" K1 "\n";
	size_t len = sizeof(stream) - 1, ends[16];
	size_t n = whole_ends(stream, len, ends, 16);

	ck_assert_uint_eq(n, 6); /* the last request has not ended */
	for (size_t piece = 1; piece <= len; piece++)
		check_pieces(stream, len, piece, ends, n);
}
END_TEST

static Suite *uapi_suite(void)
{
	Suite *s = suite_create("uapi");
	TCase *tc = tcase_create("uapi");
	tcase_add_test(tc, test_get_empty);
	tcase_add_test(tc, test_set_get_round_trip);
	tcase_add_test(tc, test_replace_remove_update_only);
	tcase_add_test(tc, test_private_key_rules);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_host_failures);
	tcase_add_test(tc, test_handshake_counters);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_request_end_in_pieces);
	tcase_add_loop_test(tc, test_failmalloc, 0, 2);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
MN_TEST_SUITE(uapi_suite)
