/* cmd_backup.c - `meshnode backup-root --out FILE` and `meshnode
 * restore-root --in FILE`: the network's root key (DIR/root.key),
 * encrypted with a passphrase (daemon/root_backup.h; doc/backup-root.md).
 *
 * The passphrase is read from --passphrase-file F (the file's bytes, less
 * one final "\n" or "\r\n") or else from the environment variable
 * MESHNODE_PASSPHRASE (wiped from this process's environment once read);
 * never from a terminal. None, or an empty one: a usage error (2). Both
 * commands run without the daemon, which never reads root.key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_mesh.h"
#include "mn_err.h"
#include "os_rng.h"
#include "root_backup.h"
#include "store.h"

#define PASS_ENV "MESHNODE_PASSPHRASE"

enum cmd_backup_limits {
	BACKUP_OPTS = 6,          /* the 3 common, the file, the passphrase file, the end */
	BACKUP_OPT_FILE = 3,
	BACKUP_OPT_PASS = 4,
	PASS_BUF = ROOT_BACKUP_PASS_MAX + 2, /* room for "\r\n" */
	MIB = 1024 * 1024,
};

#define PASS_OPTS                                                                        \
	"  --passphrase-file F  read the passphrase from F (less one final newline);\n"      \
	"                  else it is taken from the environment variable " PASS_ENV "\n"

static const char backup_usage[] =
	"usage: " PROG " backup-root --out FILE [--passphrase-file F] [--state DIR]\n"
	"                            [--iface NAME] [--port N]\n\n"
	"Write the network's root key (DIR/" MESH_ROOT_KEY_FILE ", on the node that ran init),\n"
	"encrypted with a passphrase, to FILE: text, mode 0600, never over an existing\n"
	"file. The network's name and root public key stay readable in it. Each guess\n"
	"at the passphrase costs Argon2id (about 1 s and 256 MiB): choose a long one.\n"
	"`" PROG " restore-root` puts the key back. Format: doc/backup-root.md.\n\n"
	"  --out FILE      the backup to write\n" PASS_OPTS COMMON_OPTS;
static const char restore_usage[] =
	"usage: " PROG " restore-root --in FILE [--passphrase-file F] [--state DIR]\n"
	"                             [--iface NAME] [--port N]\n\n"
	"Put the root key of a backup (" PROG " backup-root) into this node's state\n"
	"directory as DIR/" MESH_ROOT_KEY_FILE ". The node must be initialized in the\n"
	"backup's network (its name and root key are checked before the passphrase is\n"
	"tried) and hold no root key yet. A wrong passphrase and a changed byte are\n"
	"told apart from nothing: both are \"wrong passphrase or damaged file\".\n\n"
	"  --in FILE       the backup to read\n" PASS_OPTS COMMON_OPTS;

/* The passphrase into buf[PASS_BUF], its length into *len: 0, or the exit
 * status after saying why. */
static int get_pass(const char *cmd, const char *file, char *buf, size_t *len)
{
	char *env;
	int rc;

	*len = 0;
	if (file) {
		if ((rc = root_backup_read_file(file, buf, PASS_BUF, len)) < 0) {
			fprintf(stderr, PROG " %s: --passphrase-file %s: %s\n", cmd, file,
				rc == MN_EMSGSIZE ? "too long" : rc == MN_ENOENT ?
				"no such file" : strerror(errno));
			return 1;
		}
		if (*len && buf[*len - 1] == '\n' && --*len && buf[*len - 1] == '\r')
			--*len;
	} else if ((env = getenv(PASS_ENV))) {
		*len = strlen(env);
		if (*len <= ROOT_BACKUP_PASS_MAX)
			memcpy(buf, env, *len);
		sodium_memzero(env, *len);
		unsetenv(PASS_ENV);
	} else {
		fprintf(stderr, PROG " %s: no passphrase: give --passphrase-file F or set "
			PASS_ENV " (it is never prompted for)\n", cmd);
		return CMD_EXIT_USAGE;
	}
	if (*len == 0) {
		fprintf(stderr, PROG " %s: the passphrase is empty\n", cmd);
		return CMD_EXIT_USAGE;
	}
	if (*len > ROOT_BACKUP_PASS_MAX) {
		fprintf(stderr, PROG " %s: the passphrase is longer than %d bytes\n", cmd,
			ROOT_BACKUP_PASS_MAX);
		return CMD_EXIT_USAGE;
	}
	return 0;
}

/* The state directory's metadata (initialized, --iface and --port
 * matching): 0, or 1 after saying why. */
static int load_meta(const char *cmd, const struct mesh_args *a, struct mesh_meta *meta)
{
	struct store *st;
	int rc;

	if (!mesh_stored_match(cmd, a, true))
		return 1;
	if ((rc = store_open_lmdb(&st, a->state, 0)) == MN_OK) {
		rc = mesh_meta_get(st, meta);
		store_close(st);
	}
	if (rc < 0) {
		fprintf(stderr, PROG " %s: %s: %s\n", cmd, a->state, mn_strerror(rc));
		return 1;
	}
	return 0;
}

/* Parse the options of backup-root or restore-root: -1 to go on (file,
 * pass read), else the exit status. */
static int parse_args(const char *cmd, const char *usage, const char *file_opt, int argc,
		      char **argv, struct mesh_args *a, const char **file, char *pass,
		      size_t *pass_len)
{
	struct opt opts[BACKUP_OPTS] = { 0 };
	const char *pass_file = NULL;
	int rc;

	*file = NULL;
	opts[BACKUP_OPT_FILE] = (struct opt){ file_opt, file, NULL };
	opts[BACKUP_OPT_PASS] = (struct opt){ "--passphrase-file", &pass_file, NULL };
	if ((rc = mesh_parse_common(cmd, usage, opts, argc, argv, a)) >= 0)
		return rc;
	if (!*file || !**file) {
		fprintf(stderr, PROG " %s: %s FILE is required\n", cmd, file_opt);
		return CMD_EXIT_USAGE;
	}
	return (rc = get_pass(cmd, pass_file, pass, pass_len)) ? rc : -1;
}

static void print_failure(const char *cmd, const char *what, int rc)
{
	fprintf(stderr, PROG " %s: %s: %s\n", cmd, what,
		rc == MN_EIO ? strerror(errno) : mn_strerror(rc));
}

int cmd_backup_root(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct mesh_meta meta;
	struct rec_key root = { 0 };
	struct mn_rng rng = os_rng();
	uint8_t seed[REC_SEED_LEN] = { 0 };
	char pass[PASS_BUF], text[ROOT_BACKUP_TEXT_MAX];
	const char *out;
	size_t pass_len = 0, len;
	int rc, status = 1;

	if ((status = parse_args("backup-root", backup_usage, "--out", argc, argv, &a, &out, pass,
				 &pass_len)) >= 0)
		goto out;
	status = 1;
	if (load_meta("backup-root", &a, &meta) != 0)
		goto out;
	if (access(out, F_OK) == 0) {
		fprintf(stderr, PROG " backup-root: %s exists: not overwritten\n", out);
		goto out;
	}
	if ((rc = root_backup_read_key(a.state, seed)) < 0) {
		if (rc == MN_ENOENT)
			fprintf(stderr, PROG " backup-root: %s holds no root key (%s: only on the "
				"node that ran init, or where one was restored)\n", a.state,
				MESH_ROOT_KEY_FILE);
		else
			print_failure("backup-root", MESH_ROOT_KEY_FILE, rc);
		goto out;
	}
	rec_key_from_seed(&root, seed);
	if (sodium_memcmp(root.pk, meta.root_pk, REC_PK_LEN) != 0) {
		fprintf(stderr, PROG " backup-root: %s/%s is not the root key of network %s\n",
			a.state, MESH_ROOT_KEY_FILE, meta.network);
		goto out;
	}
	rc = root_backup_encode(text, sizeof(text), &len, meta.network, seed, pass, pass_len,
				ROOT_BACKUP_OPS_DEFAULT, ROOT_BACKUP_MEM_DEFAULT, &rng);
	if (rc == MN_OK)
		rc = root_backup_write_new(out, text, len);
	if (rc == MN_EEXIST)
		fprintf(stderr, PROG " backup-root: %s exists: not overwritten\n", out);
	else if (rc == MN_ENOMEM)
		fprintf(stderr, PROG " backup-root: Argon2id needs %llu MiB: out of memory\n",
			(unsigned long long)ROOT_BACKUP_MEM_DEFAULT / MIB);
	else if (rc < 0)
		print_failure("backup-root", out, rc);
	else
		status = 0;
out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(seed, sizeof(seed));
	rec_key_wipe(&root);
	return status;
}

/* The backup text[0..len) names the network of meta? Says why not. */
static bool same_network(const char *in, const char *text, size_t len,
			 const struct mesh_meta *meta)
{
	struct root_backup_info info;

	if (root_backup_info(&info, text, len) < 0) {
		fprintf(stderr, PROG " restore-root: %s: not a meshnode root backup, or damaged\n",
			in);
		return false;
	}
	if (strcmp(info.network, meta->network)) {
		fprintf(stderr, PROG " restore-root: %s: a backup of network %s; this node is in "
			"network %s\n", in, info.network, meta->network);
		return false;
	}
	if (memcmp(info.root_pk, meta->root_pk, REC_PK_LEN)) {
		fprintf(stderr, PROG " restore-root: %s: a backup of another network named %s "
			"(another root key)\n", in, info.network);
		return false;
	}
	return true;
}

int cmd_restore_root(int argc, char **argv)
{
	struct mesh_args a = { 0 };
	struct mesh_meta meta;
	uint8_t seed[REC_SEED_LEN] = { 0 };
	char pass[PASS_BUF], text[ROOT_BACKUP_TEXT_MAX], path[MESH_PATH_MAX];
	const char *in;
	size_t pass_len = 0, len;
	int rc, status;

	if ((status = parse_args("restore-root", restore_usage, "--in", argc, argv, &a, &in,
				 pass, &pass_len)) >= 0)
		goto out;
	status = 1;
	if (load_meta("restore-root", &a, &meta) != 0)
		goto out;
	if (mesh_state_path(path, sizeof(path), a.state, MESH_ROOT_KEY_FILE) == MN_OK &&
	    access(path, F_OK) == 0) {
		fprintf(stderr, PROG " restore-root: %s already holds a root key (%s)\n", a.state,
			path);
		goto out;
	}
	if ((rc = root_backup_read_file(in, text, sizeof(text), &len)) < 0) {
		if (rc == MN_EMSGSIZE)
			fprintf(stderr, PROG " restore-root: %s: not a meshnode root backup (too "
				"long)\n", in);
		else
			print_failure("restore-root", in, rc);
		goto out;
	}
	if (!same_network(in, text, len, &meta))
		goto out;
	rc = root_backup_decode(seed, NULL, text, len, pass, pass_len);
	if (rc == MN_OK)
		rc = root_backup_write_key(a.state, seed);
	if (rc == MN_EAUTH || rc == MN_EPROTO)
		fprintf(stderr, PROG " restore-root: %s: wrong passphrase or damaged file\n", in);
	else if (rc == MN_ENOMEM)
		fprintf(stderr, PROG " restore-root: %s: Argon2id could not get its memory\n", in);
	else if (rc == MN_EEXIST)
		fprintf(stderr, PROG " restore-root: %s already holds a root key\n", a.state);
	else if (rc < 0)
		print_failure("restore-root", path, rc);
	else
		status = 0;
out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(seed, sizeof(seed));
	return status;
}
