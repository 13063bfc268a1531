/* Tests for uapi against locked peers (wg_peer_set_locked: the mesh's
 * members): nothing in a set request may change them or take their
 * prefixes, a refused request changes nothing, replace_peers keeps them,
 * and an unlocked peer on the same device stays fully settable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check_main.h"
#include "mn_err.h"
#include "mn_rng.h"
#include "uapi.h"
#include "wg.h"
#include "wgkey.h"

#define SEED UINT64_C(0x6c6f636b65640001)

/* RFC 7748 §6.1 private keys (Alice: the device, Bob: another). */
#define A_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define B_PRIV "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define H32(b) b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b
#define MESH H32("01")  /* the locked (mesh) peer */
#define PHONE H32("02") /* a hand-added peer */
#define NEW H32("03")   /* a peer a request creates */
#define ZERO H32("00")

struct lfx {
	struct mn_seeded_rng seeded;
	struct wg_dev *dev;
	struct mn_time now;
	struct wg_peer *mesh, *phone;
	const struct uapi_host *host; /* NULL: none */
};

static struct wg_peer *peer(const struct lfx *fx, const char *hex)
{
	uint8_t pk[WG_KEY_LEN];

	ck_assert_int_eq(wgkey_from_hex(pk, hex), 0);
	return wg_dev_peer_find(fx->dev, pk);
}

static struct mn_prefix pfx(const char *s)
{
	struct mn_prefix p;

	ck_assert_int_eq(mn_prefix_parse(&p, s), 0);
	return p;
}

/* One request; its errno. */
static int req(struct lfx *fx, const char *r)
{
	char *resp;
	size_t n;
	int err = 1;

	ck_assert_int_eq(uapi_handle(fx->dev, fx->host, r, strlen(r), fx->now, &resp, &n), MN_OK);
	ck_assert_int_eq(sscanf(resp, "errno=%d", &err), 1);
	sodium_memzero(resp, n);
	free(resp);
	return err;
}

/* A device with key A; the mesh peer (locked: 100.64.0.1/32, fd00::1/128,
 * a route 10.1.0.0/16, an endpoint) and the phone (unlocked: 100.100.0.2/32). */
static void lfx_init(struct lfx *fx)
{
	struct mn_seeded_rng *sr = &fx->seeded;
	struct mn_rng rng;

	memset(fx, 0, sizeof(*fx));
	printf("uapi_locked: seed=0x%016llx\n", (unsigned long long)SEED);
	mn_seeded_rng_init(sr, SEED);
	rng = mn_seeded_rng_iface(sr);
	ck_assert_int_eq(wg_dev_new(&fx->dev, &rng), MN_OK);
	fx->now.mono = 1000 * MN_NS_PER_SEC;
	fx->now.wall = UINT64_C(1700000000) * MN_NS_PER_SEC;
	ck_assert_int_eq(req(fx, "set=1\nprivate_key=" A_PRIV "\n"
				 "public_key=" MESH "\nendpoint=198.18.0.2:51820\n"
				 "allowed_ip=100.64.0.1/32\nallowed_ip=fd00::1/128\n"
				 "allowed_ip=10.1.0.0/16\n"
				 "public_key=" PHONE "\nallowed_ip=100.100.0.2/32\n\n"),
			 0);
	fx->mesh = peer(fx, MESH);
	fx->phone = peer(fx, PHONE);
	ck_assert_ptr_nonnull(fx->mesh);
	ck_assert_ptr_nonnull(fx->phone);
	wg_peer_set_locked(fx->mesh, true);
	ck_assert(wg_peer_locked(fx->mesh));
	ck_assert(!wg_peer_locked(fx->phone));
}

static struct wg_peer *route(const struct lfx *fx, const char *addr)
{
	struct mn_prefix p = pfx(addr);
	return wg_dev_allowedips_lookup(fx->dev, p.family, p.addr);
}

struct snap {
	char text[4096];
	size_t len;
};

/* The whole device as a get shows it: "nothing changed" is "same text". */
static void snap(struct lfx *fx, struct snap *s)
{
	char *resp;
	size_t n;

	ck_assert_int_eq(uapi_handle(fx->dev, NULL, "get=1\n\n", 7, fx->now, &resp, &n), MN_OK);
	ck_assert_uint_lt(n, sizeof(s->text));
	memcpy(s->text, resp, n);
	s->len = n;
	sodium_memzero(resp, n);
	free(resp);
}

static void refused_changes_nothing(struct lfx *fx, const char *r)
{
	struct snap before, after;

	snap(fx, &before);
	ck_assert_msg(req(fx, r) == -EPERM, "not refused:\n%s", r);
	snap(fx, &after);
	ck_assert_msg(before.len == after.len && memcmp(before.text, after.text, before.len) == 0,
		      "refused request changed the device:\n%s", r);
	sodium_memzero(&before, sizeof(before));
	sodium_memzero(&after, sizeof(after));
}

/* refused_changes_nothing for fmt (one %s) with each of v[0 .. n). */
static void refused_each(struct lfx *fx, const char *fmt, const char *const *v, size_t n)
{
	char r[256];

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_lt(snprintf(r, sizeof(r), fmt, v[i]), (int)sizeof(r));
		refused_changes_nothing(fx, r);
	}
}

START_TEST(test_locked_peer_settings_refused)
{
	static const char *const lines[] = {
		"remove=true",
		"preshared_key=" H32("07"),
		"endpoint=203.0.113.9:1234",
		"persistent_keepalive_interval=25",
		"replace_allowed_ips=true",
		"allowed_ip=100.64.0.1/32", /* even one it holds */
		"allowed_ip=192.0.2.0/24",
	};
	struct lfx fx;

	lfx_init(&fx);
	refused_each(&fx, "set=1\npublic_key=" MESH "\n%s\n\n", lines,
		     sizeof(lines) / sizeof(lines[0]));
	ck_assert_ptr_eq(peer(&fx, MESH), fx.mesh);
	ck_assert_ptr_eq(route(&fx, "100.64.0.1"), fx.mesh);
	/* naming it with nothing to change is fine */
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" MESH "\n\n"), 0);
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" MESH "\nupdate_only=true\n"
				  "protocol_version=1\n\n"),
			 0);
	/* a malformed line is still malformed */
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" MESH "\nbogus=1\n\n"), -EINVAL);
	/* the device's owner still removes it */
	wg_dev_peer_remove(fx.dev, fx.mesh);
	ck_assert(!wg_dev_has_locked(fx.dev));
	wg_dev_del(fx.dev);
}
END_TEST

START_TEST(test_unlocked_peer_settable)
{
	struct lfx fx;
	struct wg_peer_info info;

	lfx_init(&fx);
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" PHONE "\npreshared_key=" H32("07") "\n"
				  "endpoint=203.0.113.9:1234\npersistent_keepalive_interval=25\n"
				  "replace_allowed_ips=true\nallowed_ip=100.100.0.9/32\n\n"),
			 0);
	wg_peer_info(fx.phone, &info);
	ck_assert_uint_eq(info.persistent_keepalive_secs, 25);
	ck_assert(!sodium_is_zero(info.preshared_key, WG_KEY_LEN));
	ck_assert(mn_addr_is_set(&info.endpoint));
	sodium_memzero(&info, sizeof(info));
	ck_assert_ptr_null(route(&fx, "100.100.0.2"));
	ck_assert_ptr_eq(route(&fx, "100.100.0.9"), fx.phone);
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" PHONE "\nallowed_ip=0.0.0.0/0\n\n"), 0);
	/* 0.0.0.0/0 covers the mesh peer's prefixes; longest match keeps them */
	ck_assert_ptr_eq(route(&fx, "8.8.8.8"), fx.phone);
	ck_assert_ptr_eq(route(&fx, "100.64.0.1"), fx.mesh);
	ck_assert_ptr_eq(route(&fx, "10.1.2.3"), fx.mesh);
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" PHONE "\nremove=true\n\n"), 0);
	ck_assert_ptr_null(peer(&fx, PHONE));
	wg_dev_del(fx.dev);
}
END_TEST

START_TEST(test_allowed_ip_conflicts)
{
	static const char *const taken[] = {
		"100.64.0.1/32", /* the member's address */
		"10.1.0.0/16",   /* its route, equal */
		"10.1.2.0/24",   /* inside its route */
		"10.1.2.3/32",
		"fd00::1/128",
	};
	static const char *const free_ok[] = {
		"100.64.0.0/10", /* wider: longest match still picks the member */
		"10.0.0.0/8",
		"100.64.0.2/32",
		"fd00::/64",
	};
	struct lfx fx;
	char r[256];

	lfx_init(&fx);
	/* on an existing unlocked peer, and on a new one (not created) */
	refused_each(&fx, "set=1\npublic_key=" PHONE "\nallowed_ip=%s\n\n", taken,
		     sizeof(taken) / sizeof(taken[0]));
	refused_each(&fx, "set=1\npublic_key=" NEW "\nallowed_ip=%s\n\n", taken,
		     sizeof(taken) / sizeof(taken[0]));
	ck_assert_ptr_null(peer(&fx, NEW));
	for (size_t i = 0; i < sizeof(free_ok) / sizeof(free_ok[0]); i++) {
		snprintf(r, sizeof(r), "set=1\npublic_key=" PHONE "\nallowed_ip=%s\n\n", free_ok[i]);
		ck_assert_msg(req(&fx, r) == 0, "refused: %s", free_ok[i]);
	}
	ck_assert_ptr_eq(route(&fx, "100.64.0.1"), fx.mesh);
	ck_assert_ptr_eq(route(&fx, "100.64.0.2"), fx.phone);
	ck_assert_ptr_eq(route(&fx, "100.64.9.9"), fx.phone);
	ck_assert_ptr_eq(route(&fx, "10.1.2.3"), fx.mesh);
	ck_assert_ptr_eq(route(&fx, "10.2.0.1"), fx.phone);
	ck_assert_ptr_eq(route(&fx, "fd00::1"), fx.mesh);
	/* Unlocked, the prefix moves (WireGuard's "last set wins"). */
	wg_peer_set_locked(fx.mesh, false);
	ck_assert_int_eq(req(&fx, "set=1\npublic_key=" PHONE "\nallowed_ip=100.64.0.1/32\n\n"), 0);
	ck_assert_ptr_eq(route(&fx, "100.64.0.1"), fx.phone);
	wg_dev_del(fx.dev);
}
END_TEST

START_TEST(test_refused_request_is_atomic)
{
	struct lfx fx;

	lfx_init(&fx);
	/* Changes to unlocked peers and a new peer come first, the refused
	 * line last: none of it applies. */
	refused_changes_nothing(&fx, "set=1\npublic_key=" PHONE "\nendpoint=203.0.113.9:1234\n"
				     "replace_allowed_ips=true\nallowed_ip=100.100.0.7/32\n"
				     "public_key=" NEW "\nallowed_ip=100.100.0.8/32\n"
				     "public_key=" MESH "\nremove=true\n\n");
	ck_assert_ptr_null(peer(&fx, NEW));
	ck_assert_ptr_eq(route(&fx, "100.100.0.2"), fx.phone);
	refused_changes_nothing(&fx, "set=1\nreplace_peers=true\n"
				     "public_key=" NEW "\nallowed_ip=100.100.0.8/32\n"
				     "public_key=" PHONE "\nallowed_ip=100.64.0.1/32\n\n");
	ck_assert_ptr_eq(peer(&fx, PHONE), fx.phone);
	wg_dev_del(fx.dev);
}
END_TEST

START_TEST(test_replace_peers_keeps_locked)
{
	struct lfx fx;
	struct snap s;

	lfx_init(&fx);
	/* wg setconf with only the hand-added peers */
	ck_assert_int_eq(req(&fx, "set=1\nreplace_peers=true\n"
				  "public_key=" NEW "\nallowed_ip=100.100.0.3/32\n\n"),
			 0);
	ck_assert_ptr_eq(peer(&fx, MESH), fx.mesh);
	ck_assert_ptr_null(peer(&fx, PHONE));
	ck_assert_ptr_nonnull(peer(&fx, NEW));
	ck_assert_ptr_eq(route(&fx, "100.64.0.1"), fx.mesh);
	ck_assert_ptr_eq(route(&fx, "10.1.2.3"), fx.mesh);
	ck_assert_ptr_null(route(&fx, "100.100.0.2"));
	/* a get lists both (wg show) */
	snap(&fx, &s);
	s.text[s.len] = 0;
	ck_assert_ptr_nonnull(strstr(s.text, "public_key=" MESH "\n"));
	ck_assert_ptr_nonnull(strstr(s.text, "public_key=" NEW "\n"));
	ck_assert_ptr_nonnull(strstr(s.text, "allowed_ip=100.64.0.1/32\n"));
	sodium_memzero(&s, sizeof(s));
	/* with no peers at all, too */
	ck_assert_int_eq(req(&fx, "set=1\nreplace_peers=true\n\n"), 0);
	ck_assert_ptr_eq(peer(&fx, MESH), fx.mesh);
	ck_assert_ptr_null(peer(&fx, NEW));
	wg_dev_del(fx.dev);
}
END_TEST

static uint16_t port_of(void *ctx)
{
	return *(uint16_t *)ctx;
}

static int set_port(void *ctx, uint16_t port)
{
	*(uint16_t *)ctx = port;
	return MN_OK;
}

START_TEST(test_identity_with_locked_peers)
{
	uint16_t port = 51820;
	struct uapi_host host = { .ctx = &port, .get_listen_port = port_of,
				  .set_listen_port = set_port };
	struct lfx fx;

	lfx_init(&fx);
	fx.host = &host;
	ck_assert_int_eq(req(&fx, "set=1\nlisten_port=51820\n\n"), 0);
	refused_changes_nothing(&fx, "set=1\nlisten_port=51821\n\n");
	refused_changes_nothing(&fx, "set=1\nlisten_port=0\n\n");
	ck_assert_uint_eq(port, 51820);
	/* what wg setconf sends for a file without [Interface] keys */
	refused_changes_nothing(&fx, "set=1\nprivate_key=" ZERO "\nlisten_port=0\nfwmark=0\n"
				     "replace_peers=true\npublic_key=" NEW "\n\n");
	/* the same key again (as `wg showconf | wg setconf` sends it): fine */
	ck_assert_int_eq(req(&fx, "set=1\nprivate_key=" A_PRIV "\n\n"), 0);
	refused_changes_nothing(&fx, "set=1\nprivate_key=" B_PRIV "\n\n");
	refused_changes_nothing(&fx, "set=1\nprivate_key=" ZERO "\n\n");
	ck_assert(wg_dev_has_locked(fx.dev));
	wg_peer_set_locked(fx.mesh, false);
	ck_assert(!wg_dev_has_locked(fx.dev));
	ck_assert_int_eq(req(&fx, "set=1\nprivate_key=" B_PRIV "\nlisten_port=0\n\n"), 0);
	ck_assert_uint_eq(port, 0);
	wg_dev_del(fx.dev);
}
END_TEST

static Suite *uapi_locked_suite(void)
{
	Suite *s = suite_create("uapi_locked");
	TCase *tc = tcase_create("locked");
	tcase_add_test(tc, test_locked_peer_settings_refused);
	tcase_add_test(tc, test_unlocked_peer_settable);
	tcase_add_test(tc, test_allowed_ip_conflicts);
	tcase_add_test(tc, test_refused_request_is_atomic);
	tcase_add_test(tc, test_replace_peers_keeps_locked);
	tcase_add_test(tc, test_identity_with_locked_peers);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(uapi_locked_suite)
