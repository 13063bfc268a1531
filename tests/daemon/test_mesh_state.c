/* Tests for daemon/mesh_state (the state directory and `meshnode init`)
 * and daemon/control (the control socket's protocol, server and client).
 * init draws its keys from the OS generator (as the command does): the
 * checks are properties of what it wrote, not values. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "control.h"
#include "mesh_state.h"
#include "mn_err.h"
#include "store.h"
#include "swim_persist.h"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mnstate-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char path[MESH_PATH_MAX];
	const char *files[] = { "data.mdb", "lock.mdb", MESH_ROOT_KEY_FILE, MESH_CONTROL_FILE };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		mesh_state_path(path, sizeof(path), dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

START_TEST(test_paths)
{
	char sock[MESH_SOCK_PATH_MAX], longdir[MESH_SOCK_PATH_MAX];

	ck_assert_int_eq(mesh_state_sock_path(sock, "/var/lib/meshnode"), MN_OK);
	ck_assert_str_eq(sock, "/var/lib/meshnode/control.sock");
	/* the longest directory whose socket path still fits, and one more */
	size_t fit = MESH_SOCK_PATH_MAX - 1 - strlen("/" MESH_CONTROL_FILE);
	memset(longdir, 'd', fit);
	longdir[fit] = 0;
	ck_assert_int_eq(mesh_state_sock_path(sock, longdir), MN_OK);
	longdir[fit] = 'd';
	longdir[fit + 1] = 0;
	ck_assert_int_eq(mesh_state_sock_path(sock, longdir), MN_EMSGSIZE);
}
END_TEST

START_TEST(test_default_name)
{
	char name[REC_NAME_MAX + 1];
	char longhost[2 * REC_NAME_MAX];

	mesh_state_default_name(name, "Web_Server-01.example.org");
	ck_assert_str_eq(name, "web-server-01");
	mesh_state_default_name(name, "--x--");
	ck_assert_str_eq(name, "x");
	mesh_state_default_name(name, "");
	ck_assert_str_eq(name, "node");
	mesh_state_default_name(name, "___");
	ck_assert_str_eq(name, "node");
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = 0;
	mesh_state_default_name(name, longhost);
	ck_assert_uint_eq(strlen(name), REC_NAME_MAX);
	ck_assert(rec_name_ok(name, strlen(name)));
}
END_TEST

static void init_opts(struct mesh_init *in)
{
	memset(in, 0, sizeof(*in));
	in->dir = dir;
	in->network = "testnet";
	in->name = "alpha";
	in->iface = "mesh7";
	in->port = 51999;
	ck_assert_int_eq(mn_prefix_parse(&in->v4, "10.20.0.0/16"), MN_OK);
}

static void fail_hook(void *ctx, int err, const char *why)
{
	(void)ctx;
	ck_abort_msg("store failed: %s (%d)", why, err);
}

START_TEST(test_init_writes_a_network)
{
	struct swim_persist_hooks hooks = { .fail = fail_hook };
	struct swim_persist *sp;
	struct mesh_init in;
	struct mesh_meta meta;
	struct rec_network net;
	struct rec_member m;
	struct rec_key key;
	struct stat st;
	uint8_t rec[REC_MEMBER_MAX];
	size_t len;
	uint32_t inc, boot;
	bool lost;
	char why[MESH_WHY_MAX], path[MESH_PATH_MAX];

	mkdir_tmp();
	chmod(dir, 0755);
	init_opts(&in);
	ck_assert_int_eq(mesh_state_init(&in, why), MN_OK);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	ck_assert_int_eq(swim_persist_open(&sp, dir, 0, 0, false, &hooks), MN_OK);
	ck_assert_int_eq(mesh_meta_get(swim_persist_store(sp), &meta), MN_OK);
	ck_assert_str_eq(meta.network, "testnet");
	ck_assert_str_eq(meta.iface, "mesh7");
	ck_assert_uint_eq(meta.port, 51999);
	ck_assert_uint_eq(meta.v4.bits, 16);
	/* the identity, the first boot, our record: admitted by the root at
	 * the prefix's first host, verifying under the stored root key */
	ck_assert_int_eq(swim_persist_load_meta(sp, meta.node_pk, &key, &inc, &lost, &boot),
			 MN_OK);
	ck_assert_uint_eq(boot, 1);
	ck_assert(!lost);
	ck_assert_int_eq(swim_persist_load_self(sp, meta.node_pk, rec, sizeof(rec), &len), MN_OK);
	ck_assert_int_eq(rec_network_init(&net, meta.root_pk, &meta.v4), MN_OK);
	ck_assert_int_eq(rec_member_decode(&m, rec, len), MN_OK);
	ck_assert_int_eq(rec_member_verify(&net, &m, NULL, NULL), MN_OK);
	ck_assert_str_eq(m.name, "alpha");
	ck_assert_uint_eq(m.adm.admitter, REC_BY_ROOT);
	const uint8_t first[4] = { 10, 20, 0, 1 };
	ck_assert_mem_eq(m.adm.ipv4, first, 4);
	ck_assert_mem_eq(m.adm.node_pk, key.pk, REC_PK_LEN);
	rec_key_wipe(&key);
	swim_persist_close(sp);

	/* a second init is refused, and changes nothing */
	in.network = "other";
	ck_assert_int_eq(mesh_state_init(&in, why), MN_EEXIST);
	ck_assert_ptr_nonnull(strstr(why, "already initialized (network testnet)"));
	rm_tmp();
}
END_TEST

START_TEST(test_init_refuses)
{
	struct mesh_init in;
	char why[MESH_WHY_MAX], longdir[MESH_SOCK_PATH_MAX + 8];

	init_opts(&in);
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = 0;
	in.dir = longdir;
	ck_assert_int_eq(mesh_state_init(&in, why), MN_EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
	ck_assert_int_eq(access(longdir, F_OK), -1);
	in.dir = "/nonexistent-parent-mn/state";
	ck_assert_int_lt(mesh_state_init(&in, why), 0);
	ck_assert(why[0]);
}
END_TEST

/* A member's record under a fresh invite of the root: admitted at ip by
 * admitter (kind), named name, into buf. */
static size_t member_rec(const struct rec_network *net, const struct rec_key *root,
			 const struct rec_key *admitter, enum rec_signer kind,
			 const struct rec_key *node, uint8_t inv_seed, uint8_t last_ip,
			 const char *name, uint8_t *buf)
{
	const uint64_t now_ms = UINT64_C(1700000000000);
	uint8_t seed[REC_SEED_LEN], proof[REC_SIG_LEN], ip[4] = { 10, 20, 0, last_ip };
	struct rec_key inv_key;
	struct rec_member m;
	size_t len;

	memset(seed, inv_seed, sizeof(seed));
	rec_key_from_seed(&inv_key, seed);
	memset(&m, 0, sizeof(m));
	m.invite.signer = REC_BY_ROOT;
	memcpy(m.invite.invite_pk, inv_key.pk, REC_PK_LEN);
	m.invite.expires_ms = now_ms + 60000;
	m.invite.max_uses = 1;
	ck_assert_int_eq(rec_invite_sign(net, root, &m.invite), MN_OK);
	rec_join_proof(net, &inv_key, node->pk, proof);
	ck_assert_int_eq(rec_admit(net, &m.invite, admitter, kind, node->pk, proof, ip, now_ms,
				   NULL, NULL, &m.adm), MN_OK);
	m.version = 1;
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.name_len = (uint8_t)strlen(name);
	ck_assert_int_eq(rec_member_sign(net, node, &m), MN_OK);
	ck_assert_int_eq(rec_member_encode(&m, buf, REC_MEMBER_MAX, &len), MN_OK);
	return len;
}

/* join with more members than the admitter: each stored with its address,
 * unless this node's own rules refuse it (here: a taken IPv4). */
START_TEST(test_join_stores_known)
{
	struct swim_persist_hooks hooks = { .fail = fail_hook };
	struct swim_persist *sp;
	struct rec_key k[5]; /* root, admitter, us, b, c */
	struct rec_network net;
	struct mesh_init in;
	struct mn_addr at[3], got;
	uint8_t rec[4][REC_MEMBER_MAX], seed[REC_SEED_LEN], buf[REC_MEMBER_MAX];
	size_t len[4], n;
	char why[MESH_WHY_MAX];

	for (int i = 0; i < 5; i++) {
		memset(seed, 0x40 + i, sizeof(seed));
		rec_key_from_seed(&k[i], seed);
	}
	init_opts(&in);
	ck_assert_int_eq(rec_network_init(&net, k[0].pk, &in.v4), MN_OK);
	len[0] = member_rec(&net, &k[0], &k[0], REC_BY_ROOT, &k[1], 1, 1, "admitter", rec[0]);
	len[1] = member_rec(&net, &k[0], &k[1], REC_BY_MEMBER, &k[2], 2, 5, "us", rec[1]);
	len[2] = member_rec(&net, &k[0], &k[0], REC_BY_ROOT, &k[3], 3, 7, "b", rec[2]);
	len[3] = member_rec(&net, &k[0], &k[0], REC_BY_ROOT, &k[4], 4, 7, "c", rec[3]);
	ck_assert_int_eq(mn_addr_parse(&at[0], "198.18.0.1:51820"), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&at[1], "198.18.0.3:51820"), MN_OK);
	ck_assert_int_eq(mn_addr_parse(&at[2], "198.18.0.4:51820"), MN_OK);
	const struct mesh_state_known known[2] = {
		{ .rec = rec[2], .rec_len = len[2], .pk = k[3].pk, .at = &at[1] },
		{ .rec = rec[3], .rec_len = len[3], .pk = k[4].pk, .at = &at[2] },
	};
	mkdir_tmp();
	ck_assert_int_eq(mesh_state_join(&in, &(struct mesh_state_joined){
		.net = &net, .node = &k[2], .rec = rec[1], .rec_len = len[1],
		.admitter = rec[0], .admitter_len = len[0], .admitter_pk = k[1].pk,
		.admitter_at = &at[0], .known = known, .n_known = 2 }, why), MN_OK);

	ck_assert_int_eq(swim_persist_open(&sp, dir, 0, 0, false, &hooks), MN_OK);
	struct store *st = swim_persist_store(sp);
	ck_assert_int_eq(swim_persist_load_self(sp, k[1].pk, buf, sizeof(buf), &n), MN_OK);
	ck_assert_int_eq(swim_persist_load_self(sp, k[3].pk, buf, sizeof(buf), &n), MN_OK);
	ck_assert_mem_eq(buf, rec[2], len[2]);
	ck_assert_int_eq(mesh_path_get(st, k[1].pk, &got), MN_OK);
	ck_assert(mn_addr_eq(&got, &at[0]));
	ck_assert_int_eq(mesh_path_get(st, k[3].pk, &got), MN_OK);
	ck_assert(mn_addr_eq(&got, &at[1]));
	/* c's IPv4 is b's: refused (a held IPv4 is never taken), not stored */
	ck_assert_int_eq(store_get(st, STORE_MEMBERS, k[4].pk, REC_PK_LEN, buf, sizeof(buf), &n),
			 MN_ENOENT);
	swim_persist_close(sp);
	for (int i = 0; i < 5; i++)
		rec_key_wipe(&k[i]);
	rm_tmp();
}
END_TEST

/* ---- the control socket ---- */

struct ctl_fixture {
	uv_loop_t loop;
	struct control_server *srv;
	int requests;
};

static void handler(void *ctx, int argc, char **argv, struct control_reply *r)
{
	struct ctl_fixture *f = ctx;

	f->requests++;
	if (!strcmp(argv[0], "echo")) {
		for (int i = 1; i < argc; i++)
			control_reply_printf(r, "%s%s", i > 1 ? " " : "", argv[i]);
		control_reply_printf(r, "\n");
	} else if (!strcmp(argv[0], "big")) {
		for (int i = 0; i < 10000; i++)
			control_reply_printf(r, "line %d\n", i);
	} else if (!strcmp(argv[0], "stop")) {
		control_server_close(f->srv);
	} else {
		control_reply_error(r, "unknown request %s", argv[0]);
	}
}

/* The client in a child process (control_call blocks), the server here. */
static void child_calls(const char *sock)
{
	char *body;
	int ok = 1;

	ok &= control_call(sock, "echo a b", CONTROL_TIMEOUT_MS, &body) == MN_OK &&
	      !strcmp(body, "a b\n");
	free(body);
	ok &= control_call(sock, "nope", CONTROL_TIMEOUT_MS, &body) == MN_EINVAL &&
	      !strcmp(body, "unknown request nope");
	free(body);
	ok &= control_call(sock, "big", CONTROL_TIMEOUT_MS, &body) == MN_OK &&
	      strlen(body) > 10000 && strstr(body, "line 9999\n");
	free(body);
	ok &= control_call(sock, "stop", CONTROL_TIMEOUT_MS, &body) == MN_OK && !body[0];
	free(body);
	_exit(ok ? 0 : 1);
}

START_TEST(test_control_roundtrip)
{
	struct ctl_fixture f = { 0 };
	char sock[MESH_SOCK_PATH_MAX], *body = NULL;
	struct stat st;
	int status;
	pid_t pid;

	mkdir_tmp();
	ck_assert_int_eq(mesh_state_sock_path(sock, dir), MN_OK);
	ck_assert_int_eq(control_call(sock, "echo", 1000, &body), MN_ENOENT);
	ck_assert_int_eq(uv_loop_init(&f.loop), 0);
	ck_assert_int_eq(control_server_new(&f.srv, &f.loop, sock, handler, &f), MN_OK);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_calls(sock);
	uv_run(&f.loop, UV_RUN_DEFAULT); /* until "stop" closed the server */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(f.requests, 4);
	ck_assert_int_eq(access(sock, F_OK), -1); /* removed at close */
	ck_assert_int_eq(uv_loop_close(&f.loop), 0);
	rm_tmp();
}
END_TEST

static Suite *mesh_state_suite(void)
{
	Suite *s = suite_create("mesh_state");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_default_name);
	tcase_add_test(tc, test_init_writes_a_network);
	tcase_add_test(tc, test_init_refuses);
	tcase_add_test(tc, test_join_stores_known);
	tcase_add_test(tc, test_control_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

MN_TEST_SUITE(mesh_state_suite)
