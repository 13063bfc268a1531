/* mesh_state.c - the state directory and `meshnode init` (mesh_state.h). */
#include "mesh_state.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "mn_err.h"
#include "os_rng.h"
#include "store.h"
#include "swim_persist.h"
#include "wgkey.h"

int mesh_state_path(char *buf, size_t cap, const char *dir, const char *file)
{
	int n = snprintf(buf, cap, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= cap ? MN_EMSGSIZE : MN_OK;
}

int mesh_state_sock_path(char buf[MESH_SOCK_PATH_MAX], const char *dir)
{
	return mesh_state_path(buf, MESH_SOCK_PATH_MAX, dir, MESH_CONTROL_FILE);
}

void mesh_state_params(struct swim_params *p)
{
	swim_params_wan(p);
}

void mesh_state_default_name(char out[REC_NAME_MAX + 1], const char *host)
{
	size_t n = 0;

	for (const char *c = host; *c && *c != '.' && n < REC_NAME_MAX; c++) {
		char ch = *c;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && n == 0)
			continue;
		out[n++] = ch;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = 0;
	if (!n)
		snprintf(out, REC_NAME_MAX + 1, "node");
}

struct init_ctx {
	struct swim_persist *sp;
	char *why;
};

static void init_fail(void *ctx, int err, const char *why)
{
	struct init_ctx *c = ctx;

	(void)err;
	if (!c->why[0])
		snprintf(c->why, MESH_WHY_MAX, "%s", why);
}

static void init_event(void *ctx, const struct swim_event *ev)
{
	struct init_ctx *c = ctx;

	swim_persist_event(c->sp, ev);
}

int mesh_state_read_root_key(const char *dir, struct rec_key *root)
{
	char path[MESH_PATH_MAX], b64[WGKEY_B64_LEN + 1];
	uint8_t seed[REC_SEED_LEN];
	ssize_t n;
	int fd, rc;

	if (mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE) < 0)
		return MN_EMSGSIZE;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MN_ENOENT : MN_EIO;
	n = read(fd, b64, sizeof(b64) - 1);
	close(fd);
	if (n < WGKEY_B64_LEN - 1)
		return MN_EPROTO;
	b64[WGKEY_B64_LEN - 1] = 0;
	rc = wgkey_from_base64(seed, b64) == 0 ? MN_OK : MN_EPROTO;
	if (rc == MN_OK)
		rec_key_from_seed(root, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

/* The root key's seed, base64, in a new file of mode 0600. */
static int write_root_key(const char *dir, const struct rec_key *root, char *why)
{
	char path[MESH_PATH_MAX], b64[WGKEY_B64_LEN];
	uint8_t seed[REC_SEED_LEN];
	int fd, rc = MN_OK;

	if (mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE) < 0) {
		snprintf(why, MESH_WHY_MAX, "state directory path too long");
		return MN_EMSGSIZE;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(why, MESH_WHY_MAX, "%s: %s", MESH_ROOT_KEY_FILE, strerror(errno));
		return errno == EEXIST ? MN_EEXIST : MN_EIO;
	}
	crypto_sign_ed25519_sk_to_seed(seed, root->sk);
	wgkey_to_base64(b64, seed);
	b64[WGKEY_B64_LEN - 1] = '\n';
	if (write(fd, b64, sizeof(b64)) != (ssize_t)sizeof(b64) || fsync(fd) != 0) {
		snprintf(why, MESH_WHY_MAX, "%s: %s", MESH_ROOT_KEY_FILE, strerror(errno));
		rc = MN_EIO;
	}
	close(fd);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

/* The genesis: an invite by the root, this node's admission by the root
 * at the prefix's first host, its member record, encoded into buf. */
static int genesis_record(const struct rec_network *net, const struct rec_key *root,
			  const struct rec_key *node, const struct mesh_init *in,
			  const struct mn_rng *rng, uint8_t *buf, size_t cap, size_t *len)
{
	struct rec_key inv_key;
	struct rec_member m;
	uint8_t proof[REC_SIG_LEN], ip[4];
	uint64_t now_ms = (uint64_t)(driver_now().wall / MN_NS_PER_MS);
	char host[REC_NAME_MAX + 2] = "";
	int rc;

	memset(&m, 0, sizeof(m));
	rec_key_generate(&inv_key, rng);
	m.invite.signer = REC_BY_ROOT;
	m.invite.flags = REC_INV_ROUTES;
	memcpy(m.invite.invite_pk, inv_key.pk, REC_PK_LEN);
	m.invite.expires_ms = now_ms + MESH_INVITE_TTL_MS;
	m.invite.max_uses = 1;
	if ((rc = rec_invite_sign(net, root, &m.invite)) < 0)
		goto out;
	rec_join_proof(net, &inv_key, node->pk, proof);
	memcpy(ip, net->v4.addr, 4);
	ip[3] |= 1; /* the first host: the network address with its last bit set */
	if ((rc = rec_admit(net, &m.invite, root, REC_BY_ROOT, node->pk, proof, ip, now_ms,
			    NULL, NULL, &m.adm)) < 0)
		goto out;
	m.version = rec_next_version(0, now_ms);
	if (in->name) {
		snprintf(m.name, sizeof(m.name), "%s", in->name);
	} else {
		gethostname(host, sizeof(host) - 1);
		mesh_state_default_name(m.name, host);
	}
	m.name_len = (uint8_t)strlen(m.name);
	if ((rc = rec_member_sign(net, node, &m)) < 0)
		goto out;
	rc = rec_member_encode(&m, buf, cap, len);
out:
	rec_key_wipe(&inv_key);
	return rc;
}

/* MN_OK when dir holds no store of a node yet. */
static int check_fresh(struct swim_persist *sp, char *why)
{
	struct mesh_meta meta;
	int rc = mesh_meta_get(swim_persist_store(sp), &meta);

	if (rc != MN_ENOENT) {
		snprintf(why, MESH_WHY_MAX, "already initialized (network %s)",
			 rc == MN_OK ? meta.network : "unreadable");
		return MN_EEXIST;
	}
	if (swim_persist_has_identity(sp) != MN_ENOENT) {
		snprintf(why, MESH_WHY_MAX, "holds a node identity but no network "
			 "(an interrupted init?): remove it first");
		return MN_EEXIST;
	}
	return MN_OK;
}

/* What a new state directory gets: init's and join's common part. */
struct state_new {
	const struct mesh_init *in;
	const struct rec_network *net;
	const struct rec_key *node;
	const struct rec_key *root;        /* NULL: not the root holder */
	const uint8_t *rec;                /* our record */
	size_t rec_len;
	const struct mesh_state_known *known; /* join: the admitter first; make: every member */
	size_t n_known;
	size_t n_strict; /* known[0 .. n_strict) must be accepted; the rest are
			  * stored if this node's own rules accept them */
};

/* The last known good paths of the known members, a transaction per
 * STORE_MAX_OPS of them (before the metadata's own). */
static int put_paths(struct store *st, const struct mesh_state_known *k, size_t n)
{
	struct store_txn *t;
	int rc = MN_OK;

	for (size_t i = 0; i < n && rc == MN_OK;) {
		if ((rc = store_txn_begin(st, &t)) < 0)
			break;
		for (size_t ops = 0; i < n && ops < STORE_MAX_OPS && rc == MN_OK; i++, ops++)
			if (k[i].at)
				rc = mesh_path_put(t, k[i].pk, k[i].at);
		if (rc == MN_OK)
			rc = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	return rc;
}

/* The directory (made if missing), then in the store: identity and
 * incarnation, swim's boot, our record (and the known members' with their
 * addresses), the root key file if any, the metadata last. */
static int state_create(const struct state_new *n, char why[MESH_WHY_MAX])
{
	const struct mesh_init *in = n->in;
	struct init_ctx c = { .why = why };
	struct swim_persist_hooks hooks = { .ctx = &c, .fail = init_fail };
	struct swim_config cfg;
	struct swim *s = NULL;
	struct mesh_meta meta;
	struct store_txn *t;
	char sock[MESH_SOCK_PATH_MAX];
	int rc;

	why[0] = 0;
	if (mesh_state_sock_path(sock, in->dir) < 0) {
		snprintf(why, MESH_WHY_MAX, "state directory path too long: %s/%s must fit in "
			 "%d bytes (a unix socket's path)", in->dir, MESH_CONTROL_FILE,
			 MESH_SOCK_PATH_MAX - 1);
		return MN_EMSGSIZE;
	}
	if (mkdir(in->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, MESH_WHY_MAX, "%s: %s", in->dir, strerror(errno));
		return MN_EIO;
	}
	if (chmod(in->dir, 0700) != 0) {
		snprintf(why, MESH_WHY_MAX, "%s: %s", in->dir, strerror(errno));
		return MN_EIO;
	}
	if ((rc = swim_persist_open(&c.sp, in->dir, 0, 0, false, &hooks)) < 0)
		return rc;
	if ((rc = check_fresh(c.sp, why)) < 0)
		goto close;
	if ((rc = swim_persist_first_boot(c.sp, n->node)) < 0)
		goto close;
	memset(&cfg, 0, sizeof(cfg));
	mesh_state_params(&cfg.params);
	cfg.net = n->net;
	cfg.key = n->node;
	cfg.record = n->rec;
	cfg.record_len = n->rec_len;
	cfg.rng = os_rng();
	cfg.event = init_event;
	cfg.event_ctx = &c;
	if ((rc = swim_new(&s, &cfg, driver_now())) < 0) {
		snprintf(why, MESH_WHY_MAX, "cannot start membership: %s", mn_strerror(rc));
		goto close;
	}
	for (size_t i = 0; i < n->n_known && rc == MN_OK; i++) {
		rc = swim_learn(s, n->known[i].rec, n->known[i].rec_len, n->known[i].at,
				driver_now());
		if (rc < 0 && i >= n->n_strict)
			rc = MN_OK; /* refused here: not stored (its path is, unread) */
		else if (rc < 0)
			snprintf(why, MESH_WHY_MAX, "%s record is refused: %s",
				 n->n_strict == 1 ? "the admitting member's" : "a member's",
				 mn_strerror(rc));
	}
	swim_persist_commit(c.sp);
	swim_del(s);
	if (rc < 0 || (rc = swim_persist_failed(c.sp)) < 0)
		goto close;
	if (n->root && (rc = write_root_key(in->dir, n->root, why)) < 0)
		goto close;
	/* last: the metadata makes the directory initialized */
	memset(&meta, 0, sizeof(meta));
	memcpy(meta.root_pk, n->net->root_pk, REC_PK_LEN);
	memcpy(meta.node_pk, n->node->pk, REC_PK_LEN);
	meta.v4 = n->net->v4;
	meta.port = in->port;
	snprintf(meta.iface, sizeof(meta.iface), "%s", in->iface);
	snprintf(meta.network, sizeof(meta.network), "%s", in->network);
	if ((rc = put_paths(swim_persist_store(c.sp), n->known, n->n_known)) == MN_OK &&
	    (rc = store_txn_begin(swim_persist_store(c.sp), &t)) == MN_OK) {
		if ((rc = mesh_meta_put(t, &meta)) == MN_OK)
			rc = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	if (rc < 0 && !why[0])
		snprintf(why, MESH_WHY_MAX, "cannot write the network metadata: %s", mn_strerror(rc));
close:
	swim_persist_close(c.sp);
	if (rc < 0 && !why[0])
		snprintf(why, MESH_WHY_MAX, "%s", mn_strerror(rc));
	return rc;
}

int mesh_state_init(const struct mesh_init *in, char why[MESH_WHY_MAX])
{
	struct mn_rng rng = os_rng();
	struct rec_key root, node;
	struct rec_network net;
	uint8_t rec[REC_MEMBER_MAX];
	size_t rec_len;
	int rc;

	why[0] = 0;
	rec_key_generate(&root, &rng);
	rec_key_generate(&node, &rng);
	if ((rc = rec_network_init(&net, root.pk, &in->v4)) < 0)
		snprintf(why, MESH_WHY_MAX, "bad overlay prefix (IPv4, 1 to 30 bits)");
	else if ((rc = genesis_record(&net, &root, &node, in, &rng, rec, sizeof(rec),
				      &rec_len)) < 0)
		snprintf(why, MESH_WHY_MAX, "cannot sign this node's record: %s", mn_strerror(rc));
	else
		rc = state_create(&(struct state_new){ .in = in, .net = &net, .node = &node,
						       .root = &root, .rec = rec,
						       .rec_len = rec_len }, why);
	rec_key_wipe(&root);
	rec_key_wipe(&node);
	return rc;
}

int mesh_state_join(const struct mesh_init *in, const struct mesh_state_joined *j,
		    char why[MESH_WHY_MAX])
{
	struct mesh_state_known *known = calloc(1 + j->n_known, sizeof(*known));
	int rc;

	if (!known) {
		snprintf(why, MESH_WHY_MAX, "out of memory");
		return MN_ENOMEM;
	}
	known[0] = (struct mesh_state_known){ .rec = j->admitter, .rec_len = j->admitter_len,
					      .pk = j->admitter_pk, .at = j->admitter_at };
	for (size_t i = 0; i < j->n_known; i++)
		known[1 + i] = j->known[i];
	rc = state_create(&(struct state_new){
		.in = in, .net = j->net, .node = j->node, .rec = j->rec, .rec_len = j->rec_len,
		.known = known, .n_known = 1 + j->n_known, .n_strict = 1 }, why);
	free(known);
	return rc;
}

int mesh_state_make(const struct mesh_init *in, const struct mesh_state_member *self,
		    const struct mesh_state_known *known, size_t n, char why[MESH_WHY_MAX])
{
	return state_create(&(struct state_new){
		.in = in, .net = self->net, .node = self->node, .rec = self->rec,
		.rec_len = self->rec_len, .known = known, .n_known = n, .n_strict = n }, why);
}

/* path overwritten with zeros (its whole length), synced, removed. */
static int wipe_file(const char *dir, const char *file)
{
	char path[MESH_PATH_MAX];
	uint8_t zero[4096] = { 0 };
	struct stat st;
	int fd, rc = MN_OK;

	if (mesh_state_path(path, sizeof(path), dir, file) < 0)
		return MN_EMSGSIZE;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MN_OK : MN_EIO;
	if (fstat(fd, &st) == 0) {
		for (off_t off = 0; off < st.st_size && rc == MN_OK; off += (off_t)sizeof(zero)) {
			size_t n = (size_t)(st.st_size - off) < sizeof(zero) ?
					   (size_t)(st.st_size - off) : sizeof(zero);
			if (pwrite(fd, zero, n, off) != (ssize_t)n)
				rc = MN_EIO;
		}
		if (fsync(fd) != 0)
			rc = MN_EIO;
	}
	close(fd);
	if (unlink(path) != 0)
		rc = MN_EIO;
	return rc;
}

int mesh_state_wipe(const char *dir, bool root_too)
{
	static const char *const files[] = { MESH_STORE_FILE, "lock.mdb", MESH_ADMIN_KEY_FILE,
					     MESH_ROOT_KEY_FILE };
	int rc = MN_OK;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int r;

		if (!root_too && !strcmp(files[i], MESH_ROOT_KEY_FILE))
			continue;
		if ((r = wipe_file(dir, files[i])) < 0)
			rc = r;
	}
	return rc;
}
