/* root_backup.c - the root key's encrypted backup (root_backup.h). */
#include "root_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mesh_state.h"
#include "mn_err.h"
#include "wgkey.h"

_Static_assert(ROOT_BACKUP_SALT_LEN == crypto_pwhash_SALTBYTES, "salt");
_Static_assert(ROOT_BACKUP_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(ROOT_BACKUP_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key");
_Static_assert(ROOT_BACKUP_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(ROOT_BACKUP_OPS_MIN == crypto_pwhash_OPSLIMIT_MIN, "ops min");
_Static_assert(ROOT_BACKUP_MEM_MIN == crypto_pwhash_MEMLIMIT_MIN, "mem min");
_Static_assert(REC_SEED_LEN == WG_KEY_LEN, "root.key holds a seed in a key's base64");

/* The lines after the magic, in order: their first word. */
enum backup_line {
	LINE_NETWORK,
	LINE_ROOT_PK,
	LINE_KDF,
	LINE_SALT,
	LINE_NONCE,
	LINE_SEALED,
	LINE__COUNT,
};
static const char *const line_word[LINE__COUNT] = {
	[LINE_NETWORK] = "network", [LINE_ROOT_PK] = "root-pk", [LINE_KDF] = "kdf",
	[LINE_SALT] = "salt",       [LINE_NONCE] = "nonce",     [LINE_SEALED] = "sealed",
};

#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

enum backup_text_limits {
	B64_MAX = 128,   /* the base64 of the longest field (sealed: 64 characters) */
	DIGITS_MAX = 20, /* a uint64_t in decimal */
};

/* A backup taken apart; pointers into the text. */
struct parsed {
	struct root_backup_info info;
	uint8_t salt[ROOT_BACKUP_SALT_LEN];
	uint8_t nonce[ROOT_BACKUP_NONCE_LEN];
	uint8_t sealed[ROOT_BACKUP_SEALED_LEN];
	size_t ad_len; /* the bytes before the sealed line */
};

static bool limits_ok(uint64_t ops, uint64_t mem)
{
	return ops >= ROOT_BACKUP_OPS_MIN && ops <= ROOT_BACKUP_OPS_MAX &&
	       mem >= ROOT_BACKUP_MEM_MIN && mem <= ROOT_BACKUP_MEM_MAX;
}

/* Argon2id of pass and salt into key. */
static int derive(uint8_t key[ROOT_BACKUP_KEY_LEN], const char *pass, size_t pass_len,
		  const uint8_t salt[ROOT_BACKUP_SALT_LEN], uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, ROOT_BACKUP_KEY_LEN, pass, pass_len, salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MN_ENOMEM;
	return MN_OK;
}

/* ---- writing ---- */

struct text {
	char *p;
	size_t len, cap;
	bool over;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->over || n > t->cap - t->len) {
		t->over = true;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_b64(struct text *t, const char *word, const uint8_t *bin, size_t n)
{
	char b64[B64_MAX];

	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	put_str(t, word);
	put_str(t, " ");
	put_str(t, b64);
	put_str(t, "\n");
}

int root_backup_encode(char *out, size_t cap, size_t *len, const char *network,
		       const uint8_t seed[REC_SEED_LEN], const char *pass, size_t pass_len,
		       uint64_t ops, uint64_t mem, const struct mn_rng *rng)
{
	struct text t = { .p = out, .cap = cap };
	struct rec_key root;
	uint8_t salt[ROOT_BACKUP_SALT_LEN], nonce[ROOT_BACKUP_NONCE_LEN];
	uint8_t key[ROOT_BACKUP_KEY_LEN], sealed[ROOT_BACKUP_SEALED_LEN];
	char line[B64_MAX];
	int rc;

	if (!rec_name_ok(network, strlen(network)) || pass_len == 0 ||
	    pass_len > ROOT_BACKUP_PASS_MAX || !limits_ok(ops, mem))
		return MN_EINVAL;
	rec_key_from_seed(&root, seed);
	mn_rng_bytes(rng, salt, sizeof(salt));
	mn_rng_bytes(rng, nonce, sizeof(nonce));
	put_str(&t, ROOT_BACKUP_MAGIC "\n");
	snprintf(line, sizeof(line), "%s %s\n", line_word[LINE_NETWORK], network);
	put_str(&t, line);
	put_b64(&t, line_word[LINE_ROOT_PK], root.pk, REC_PK_LEN);
	snprintf(line, sizeof(line), "%s " ROOT_BACKUP_KDF " ops %" PRIu64 " mem %" PRIu64 "\n",
		 line_word[LINE_KDF], ops, mem);
	put_str(&t, line);
	put_b64(&t, line_word[LINE_SALT], salt, sizeof(salt));
	put_b64(&t, line_word[LINE_NONCE], nonce, sizeof(nonce));
	if (t.over) {
		rc = MN_EMSGSIZE;
		goto out;
	}
	if ((rc = derive(key, pass, pass_len, salt, ops, mem)) < 0)
		goto out;
	/* the header so far is the associated data */
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, seed, REC_SEED_LEN,
						   (const uint8_t *)out, t.len, NULL, nonce, key);
	put_b64(&t, line_word[LINE_SEALED], sealed, sizeof(sealed));
	rc = t.over ? MN_EMSGSIZE : MN_OK;
	*len = t.len;
out:
	sodium_memzero(key, sizeof(key));
	rec_key_wipe(&root);
	return rc;
}

/* ---- reading ---- */

/* The next line of text (without its "\n") at *pos: false when there is
 * none ended by "\n". */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line,
		      size_t *n)
{
	const char *nl;

	if (*pos >= len || !(nl = memchr(text + *pos, '\n', len - *pos)))
		return false;
	*line = text + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return true;
}

/* line is "WORD REST": REST and its length, or false. */
static bool after_word(const char *line, size_t n, const char *word, const char **rest,
		       size_t *rest_n)
{
	size_t w = strlen(word);

	if (n <= w + 1 || memcmp(line, word, w) || line[w] != ' ')
		return false;
	*rest = line + w + 1;
	*rest_n = n - w - 1;
	return true;
}

/* Exactly want bytes of standard base64 with padding. Characters are
 * checked against the alphabet first: libsodium's decoder reads a byte
 * with its high bit set as if it were clear, so one file would have two
 * spellings. */
static bool b64_field(uint8_t *bin, size_t want, const char *s, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	for (size_t i = 0; i < n; i++)
		if (!strchr(B64_ALPHABET, s[i]) || !s[i])
			return false;
	return n < B64_MAX &&
	       sodium_base642bin(bin, want, s, n, NULL, &got, &end,
				 sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       end == s + n && got == want;
}

/* A decimal number of s[0..n), all of it, no leading zero; advances. */
static bool number(const char **s, size_t *n, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < *n && (*s)[i] >= '0' && (*s)[i] <= '9') {
		if (i == DIGITS_MAX - 1 || (i == 1 && (*s)[0] == '0'))
			return false;
		*v = *v * 10 + (uint64_t)((*s)[i] - '0');
		i++;
	}
	*s += i;
	*n -= i;
	return i > 0;
}

/* A literal of s[0..n); advances. */
static bool literal(const char **s, size_t *n, const char *lit)
{
	size_t l = strlen(lit);

	if (*n < l || memcmp(*s, lit, l))
		return false;
	*s += l;
	*n -= l;
	return true;
}

/* "argon2id13 ops N mem N" */
static bool kdf_field(struct root_backup_info *info, const char *s, size_t n)
{
	return literal(&s, &n, ROOT_BACKUP_KDF " ops ") && number(&s, &n, &info->ops) &&
	       literal(&s, &n, " mem ") && number(&s, &n, &info->mem) && n == 0 &&
	       limits_ok(info->ops, info->mem);
}

static int parse(struct parsed *p, const char *text, size_t len)
{
	const char *line, *rest;
	size_t pos = 0, n, rn;

	memset(p, 0, sizeof(*p));
	if (len > ROOT_BACKUP_TEXT_MAX || !next_line(text, len, &pos, &line, &n) ||
	    n != strlen(ROOT_BACKUP_MAGIC) || memcmp(line, ROOT_BACKUP_MAGIC, n))
		return MN_EPROTO;
	for (int i = 0; i < LINE__COUNT; i++) {
		bool ok;

		if (i == LINE_SEALED)
			p->ad_len = pos;
		if (!next_line(text, len, &pos, &line, &n) ||
		    !after_word(line, n, line_word[i], &rest, &rn))
			return MN_EPROTO;
		switch (i) {
		case LINE_NETWORK:
			ok = rn <= REC_NAME_MAX && rec_name_ok(rest, rn);
			if (ok)
				memcpy(p->info.network, rest, rn);
			break;
		case LINE_ROOT_PK:
			ok = b64_field(p->info.root_pk, REC_PK_LEN, rest, rn);
			break;
		case LINE_KDF:
			ok = kdf_field(&p->info, rest, rn);
			break;
		case LINE_SALT:
			ok = b64_field(p->salt, sizeof(p->salt), rest, rn);
			break;
		case LINE_NONCE:
			ok = b64_field(p->nonce, sizeof(p->nonce), rest, rn);
			break;
		default:
			ok = b64_field(p->sealed, sizeof(p->sealed), rest, rn);
			break;
		}
		if (!ok)
			return MN_EPROTO;
	}
	return pos == len ? MN_OK : MN_EPROTO;
}

int root_backup_info(struct root_backup_info *out, const char *text, size_t len)
{
	struct parsed p;
	int rc = parse(&p, text, len);

	if (rc == MN_OK)
		*out = p.info;
	return rc;
}

int root_backup_decode(uint8_t seed[REC_SEED_LEN], struct root_backup_info *info,
		       const char *text, size_t len, const char *pass, size_t pass_len)
{
	struct parsed p;
	struct rec_key root = { 0 };
	uint8_t key[ROOT_BACKUP_KEY_LEN];
	int rc;

	sodium_memzero(seed, REC_SEED_LEN);
	if ((rc = parse(&p, text, len)) < 0)
		return rc;
	if (pass_len == 0 || pass_len > ROOT_BACKUP_PASS_MAX)
		return MN_EAUTH;
	if ((rc = derive(key, pass, pass_len, p.salt, p.info.ops, p.info.mem)) < 0)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, p.sealed,
						       sizeof(p.sealed), (const uint8_t *)text,
						       p.ad_len, p.nonce, key) != 0) {
		rc = MN_EAUTH;
		goto out;
	}
	/* the seed must be root-pk's (a file sealed under a known passphrase
	 * around some other seed is no backup of this root) */
	rec_key_from_seed(&root, seed);
	if (sodium_memcmp(root.pk, p.info.root_pk, REC_PK_LEN) != 0) {
		rc = MN_EAUTH;
		goto out;
	}
	if (info)
		*info = p.info;
out:
	if (rc < 0)
		sodium_memzero(seed, REC_SEED_LEN);
	sodium_memzero(key, sizeof(key));
	rec_key_wipe(&root);
	return rc;
}

/* ---- files ---- */

int root_backup_read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? MN_ENOENT : MN_EIO;
	/* one byte past cap tells "longer" from "exactly cap" */
	while ((n = read(fd, buf + got, cap - got)) > 0) {
		got += (size_t)n;
		if (got == cap) {
			char extra;

			n = read(fd, &extra, 1);
			break;
		}
	}
	close(fd);
	if (n < 0)
		return MN_EIO;
	if (got == cap && n > 0)
		return MN_EMSGSIZE;
	*len = got;
	return MN_OK;
}

/* Rename from to to unless to exists: renameat2's RENAME_NOREPLACE, or on
 * a filesystem without it a hard link (which refuses an existing name too). */
static int rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

/* fsync the directory holding path, so the new name is durable. */
static void sync_dir(const char *path)
{
	char copy[MESH_PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

int root_backup_write_new(const char *path, const void *data, size_t len)
{
	char tmp[MESH_PATH_MAX];
	int fd, e;

	if (access(path, F_OK) == 0)
		return MN_EEXIST;
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return MN_EIO;
	}
	if ((fd = mkstemp(tmp)) < 0) /* mode 0600 */
		return MN_EIO;
	if (fchmod(fd, 0600) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		e = errno;
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename_new(tmp, path) != 0) {
		e = errno;
		goto fail;
	}
	sync_dir(path);
	return MN_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return e == EEXIST ? MN_EEXIST : MN_EIO;
}

int root_backup_read_key(const char *dir, uint8_t seed[REC_SEED_LEN])
{
	char path[MESH_PATH_MAX], b64[WGKEY_B64_LEN + 1];
	size_t len;
	int rc;

	if (mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE) < 0)
		return MN_EMSGSIZE;
	if ((rc = root_backup_read_file(path, b64, sizeof(b64) - 1, &len)) < 0)
		return rc == MN_EMSGSIZE ? MN_EPROTO : rc;
	/* 44 characters and a newline */
	if (len != WGKEY_B64_LEN || b64[len - 1] != '\n') {
		rc = MN_EPROTO;
		goto out;
	}
	b64[len - 1] = 0;
	rc = wgkey_from_base64(seed, b64) == 0 ? MN_OK : MN_EPROTO;
out:
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

int root_backup_write_key(const char *dir, const uint8_t seed[REC_SEED_LEN])
{
	char path[MESH_PATH_MAX], b64[WGKEY_B64_LEN];
	int rc;

	if (mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE) < 0)
		return MN_EMSGSIZE;
	wgkey_to_base64(b64, seed);
	b64[WGKEY_B64_LEN - 1] = '\n';
	rc = root_backup_write_new(path, b64, sizeof(b64));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}
