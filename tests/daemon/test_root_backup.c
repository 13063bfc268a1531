/* Tests for daemon/root_backup: the encrypted root key backup. Argon2id
 * at libsodium's minimum limits (the file records them, so a test file is
 * a real one); salt and nonce from a seeded generator (seed printed).
 * A reference file is built here from libsodium directly, as
 * doc/backup-root.md describes the format, and must equal the codec's. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "mesh_state.h"
#include "mn_err.h"
#include "root_backup.h"
#include "store.h"
#include "swim_persist.h"
#include "wgkey.h"

enum { TEST_SEED = 9 };

#define OPS ((uint64_t)crypto_pwhash_OPSLIMIT_MIN)
#define MEM ((uint64_t)crypto_pwhash_MEMLIMIT_MIN)
#define PASS "correct horse battery staple"

static struct mn_seeded_rng srng;
static struct mn_rng rng;

static void setup(void)
{
	printf("root_backup: seed=%d\n", TEST_SEED);
	mn_seeded_rng_init(&srng, TEST_SEED);
	rng = mn_seeded_rng_iface(&srng);
}

static void make_seed(uint8_t seed[REC_SEED_LEN], uint8_t fill)
{
	for (int i = 0; i < REC_SEED_LEN; i++)
		seed[i] = (uint8_t)(fill + i);
}

/* A backup of (network, seed fill) under pass into buf; its length. */
static size_t backup(char *buf, const char *network, uint8_t fill, const char *pass)
{
	uint8_t seed[REC_SEED_LEN];
	size_t len = 0;

	make_seed(seed, fill);
	ck_assert_int_eq(root_backup_encode(buf, ROOT_BACKUP_TEXT_MAX, &len, network, seed, pass,
					    strlen(pass), OPS, MEM, &rng), MN_OK);
	return len;
}

static void b64_line(char *out, size_t cap, const char *word, const uint8_t *bin, size_t n)
{
	char b64[128];

	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out + strlen(out), cap - strlen(out), "%s %s\n", word, b64);
}

/* The reference: a backup of network "home" built from libsodium by hand
 * into out[ROOT_BACKUP_TEXT_MAX], naming the public key of pk_seed and
 * sealing sealed_seed (the same seed for a true backup). */
static void reference(char *out, const uint8_t pk_seed[REC_SEED_LEN],
		      const uint8_t sealed_seed[REC_SEED_LEN], const uint8_t salt[16],
		      const uint8_t nonce[24])
{
	uint8_t pk[REC_PK_LEN], sk[64], key[32], sealed[REC_SEED_LEN + 16];

	crypto_sign_seed_keypair(pk, sk, pk_seed);
	snprintf(out, ROOT_BACKUP_TEXT_MAX, "meshnode-root-backup v1\nnetwork home\n");
	b64_line(out, ROOT_BACKUP_TEXT_MAX, "root-pk", pk, sizeof(pk));
	snprintf(out + strlen(out), ROOT_BACKUP_TEXT_MAX - strlen(out),
		 "kdf argon2id13 ops %" PRIu64 " mem %" PRIu64 "\n", OPS, MEM);
	b64_line(out, ROOT_BACKUP_TEXT_MAX, "salt", salt, 16);
	b64_line(out, ROOT_BACKUP_TEXT_MAX, "nonce", nonce, 24);
	ck_assert_int_eq(crypto_pwhash(key, sizeof(key), PASS, strlen(PASS), salt, OPS, MEM,
				       crypto_pwhash_ALG_ARGON2ID13), 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, sealed_seed, REC_SEED_LEN,
						   (const uint8_t *)out, strlen(out), NULL,
						   nonce, key);
	b64_line(out, ROOT_BACKUP_TEXT_MAX, "sealed", sealed, sizeof(sealed));
}

START_TEST(test_reference_file)
{
	struct mn_seeded_rng ref_srng;
	struct mn_rng ref_rng;
	uint8_t seed[REC_SEED_LEN], salt[16], nonce[24];
	char want[ROOT_BACKUP_TEXT_MAX], got[ROOT_BACKUP_TEXT_MAX + 1];
	size_t len;

	/* the same draws as the codec's: salt, then nonce */
	mn_seeded_rng_init(&ref_srng, TEST_SEED);
	ref_rng = mn_seeded_rng_iface(&ref_srng);
	mn_rng_bytes(&ref_rng, salt, sizeof(salt));
	mn_rng_bytes(&ref_rng, nonce, sizeof(nonce));
	make_seed(seed, 1);
	reference(want, seed, seed, salt, nonce);
	len = backup(got, "home", 1, PASS);
	got[len] = 0;
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_int_eq(root_backup_decode(seed, NULL, want, strlen(want), PASS, strlen(PASS)),
			 MN_OK);
}
END_TEST

START_TEST(test_round_trip)
{
	char text[ROOT_BACKUP_TEXT_MAX];
	uint8_t seed[REC_SEED_LEN], want[REC_SEED_LEN], pk[REC_PK_LEN], sk[64];
	struct root_backup_info info, clear;
	size_t len = backup(text, "home-lab", 7, PASS);

	make_seed(want, 7);
	crypto_sign_seed_keypair(pk, sk, want);
	ck_assert_int_eq(root_backup_info(&clear, text, len), MN_OK);
	ck_assert_str_eq(clear.network, "home-lab");
	ck_assert_mem_eq(clear.root_pk, pk, REC_PK_LEN);
	ck_assert_uint_eq(clear.ops, OPS);
	ck_assert_uint_eq(clear.mem, MEM);
	ck_assert_int_eq(root_backup_decode(seed, &info, text, len, PASS, strlen(PASS)), MN_OK);
	ck_assert_mem_eq(seed, want, REC_SEED_LEN);
	ck_assert_str_eq(info.network, "home-lab");
	ck_assert_mem_eq(info.root_pk, pk, REC_PK_LEN);
	/* another salt and nonce each time: two backups of one key differ */
	char again[ROOT_BACKUP_TEXT_MAX];
	size_t len2 = backup(again, "home-lab", 7, PASS);
	ck_assert(len2 != len || memcmp(again, text, len));
}
END_TEST

START_TEST(test_wrong_passphrase)
{
	static const char *wrong[] = { "correct horse battery stapl", "correct horse battery staplE",
				       PASS " ", "x" };
	char text[ROOT_BACKUP_TEXT_MAX];
	uint8_t seed[REC_SEED_LEN], zero[REC_SEED_LEN] = { 0 };
	size_t len = backup(text, "home", 3, PASS);

	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		memset(seed, 0xaa, sizeof(seed));
		ck_assert_int_eq(root_backup_decode(seed, NULL, text, len, wrong[i],
						    strlen(wrong[i])), MN_EAUTH);
		ck_assert_mem_eq(seed, zero, REC_SEED_LEN); /* wiped */
	}
	ck_assert_int_eq(root_backup_decode(seed, NULL, text, len, "", 0), MN_EAUTH);
}
END_TEST

START_TEST(test_every_byte_flipped)
{
	char text[ROOT_BACKUP_TEXT_MAX];
	uint8_t seed[REC_SEED_LEN];
	size_t len = backup(text, "home", 5, PASS);

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			text[i] = (char)(text[i] ^ (1 << bit));
			int rc = root_backup_decode(seed, NULL, text, len, PASS, strlen(PASS));
			ck_assert_msg(rc == MN_EPROTO || rc == MN_EAUTH,
				      "byte %zu bit %d: %d", i, bit, rc);
			text[i] = (char)(text[i] ^ (1 << bit));
		}
	}
	ck_assert_int_eq(root_backup_decode(seed, NULL, text, len, PASS, strlen(PASS)), MN_OK);
}
END_TEST

START_TEST(test_truncated_or_extended)
{
	char text[ROOT_BACKUP_TEXT_MAX + 1];
	uint8_t seed[REC_SEED_LEN];
	struct root_backup_info info;
	size_t len = backup(text, "home", 5, PASS);

	for (size_t n = 0; n < len; n++) {
		ck_assert_msg(root_backup_info(&info, text, n) == MN_EPROTO, "info of %zu", n);
		ck_assert_msg(root_backup_decode(seed, NULL, text, n, PASS, strlen(PASS)) ==
			      MN_EPROTO, "%zu bytes", n);
	}
	text[len] = '\n'; /* anything after the last line */
	ck_assert_int_eq(root_backup_decode(seed, NULL, text, len + 1, PASS, strlen(PASS)),
			 MN_EPROTO);
}
END_TEST

/* text's lines [from, to) (0-based) into out (appended). */
static void lines(char *out, const char *text, size_t len, int from, int to)
{
	size_t n = strlen(out);
	int line = 0;

	for (size_t i = 0; i < len; i++) {
		if (line >= from && line < to)
			out[n++] = text[i];
		if (text[i] == '\n')
			line++;
	}
	out[n] = 0;
}

START_TEST(test_header_swapped)
{
	char a[ROOT_BACKUP_TEXT_MAX], b[ROOT_BACKUP_TEXT_MAX], mix[2 * ROOT_BACKUP_TEXT_MAX];
	uint8_t seed[REC_SEED_LEN];
	struct root_backup_info info;
	size_t la = backup(a, "alpha", 1, PASS), lb = backup(b, "beta", 2, PASS);

	/* a's file claiming beta's network and root key */
	mix[0] = 0;
	lines(mix, a, la, 0, 1);
	lines(mix, b, lb, 1, 3);
	lines(mix, a, la, 3, 7);
	ck_assert_int_eq(root_backup_info(&info, mix, strlen(mix)), MN_OK);
	ck_assert_str_eq(info.network, "beta");
	ck_assert_int_eq(root_backup_decode(seed, NULL, mix, strlen(mix), PASS, strlen(PASS)),
			 MN_EAUTH);
	/* only the name changed */
	mix[0] = 0;
	lines(mix, a, la, 0, 1);
	lines(mix, b, lb, 1, 2);
	lines(mix, a, la, 2, 7);
	ck_assert_int_eq(root_backup_decode(seed, NULL, mix, strlen(mix), PASS, strlen(PASS)),
			 MN_EAUTH);
	/* b's whole header over a's sealed seed */
	mix[0] = 0;
	lines(mix, b, lb, 0, 6);
	lines(mix, a, la, 6, 7);
	ck_assert_int_eq(root_backup_decode(seed, NULL, mix, strlen(mix), PASS, strlen(PASS)),
			 MN_EAUTH);
}
END_TEST

START_TEST(test_seed_not_of_root_pk)
{
	/* sealed correctly (header as associated data) but around another
	 * seed than root-pk's: refused */
	char text[ROOT_BACKUP_TEXT_MAX];
	uint8_t seed[REC_SEED_LEN], other[REC_SEED_LEN], salt[16] = { 1 }, nonce[24] = { 2 };

	make_seed(seed, 1);
	make_seed(other, 2);
	reference(text, seed, seed, salt, nonce);
	ck_assert_int_eq(root_backup_decode(seed, NULL, text, strlen(text), PASS, strlen(PASS)),
			 MN_OK);
	reference(text, seed, other, salt, nonce);
	ck_assert_int_eq(root_backup_decode(seed, NULL, text, strlen(text), PASS, strlen(PASS)),
			 MN_EAUTH);
}
END_TEST

START_TEST(test_limits)
{
	char text[ROOT_BACKUP_TEXT_MAX], big[ROOT_BACKUP_TEXT_MAX + 64];
	uint8_t seed[REC_SEED_LEN];
	size_t len;
	char *kdf;

	make_seed(seed, 1);
	/* the encoder refuses what the decoder would */
	ck_assert_int_eq(root_backup_encode(text, sizeof(text), &len, "home", seed, "", 0, OPS,
					    MEM, &rng), MN_EINVAL);
	ck_assert_int_eq(root_backup_encode(text, sizeof(text), &len, "Home!", seed, PASS,
					    strlen(PASS), OPS, MEM, &rng), MN_EINVAL);
	ck_assert_int_eq(root_backup_encode(text, sizeof(text), &len, "home", seed, PASS,
					    strlen(PASS), ROOT_BACKUP_OPS_MAX + 1, MEM, &rng),
			 MN_EINVAL);
	ck_assert_int_eq(root_backup_encode(text, sizeof(text), &len, "home", seed, PASS,
					    strlen(PASS), OPS, ROOT_BACKUP_MEM_MAX + 1, &rng),
			 MN_EINVAL);
	ck_assert_int_eq(root_backup_encode(text, sizeof(text), &len, "home", seed, PASS,
					    strlen(PASS), OPS, MEM - 1, &rng), MN_EINVAL);
	ck_assert_int_eq(root_backup_encode(text, 100, &len, "home", seed, PASS, strlen(PASS),
					    OPS, MEM, &rng), MN_EMSGSIZE);
	/* a file asking for more than the bounds is refused before Argon2id */
	len = backup(text, "home", 1, PASS);
	memcpy(big, text, len);
	big[len] = 0;
	kdf = strstr(big, " mem ");
	ck_assert_ptr_nonnull(kdf);
	char tail[ROOT_BACKUP_TEXT_MAX];
	snprintf(tail, sizeof(tail), "%s", strchr(kdf, '\n'));
	sprintf(kdf, " mem 1099511627776%s", tail); /* 1 TiB */
	ck_assert_int_eq(root_backup_decode(seed, NULL, big, strlen(big), PASS, strlen(PASS)),
			 MN_EPROTO);
	kdf = strstr(big, " ops ");
	kdf[5] = '0'; /* ops 0 */
	ck_assert_int_eq(root_backup_decode(seed, NULL, big, strlen(big), PASS, strlen(PASS)),
			 MN_EPROTO);
}
END_TEST

/* ---- files ---- */

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mnbackup-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_write_new)
{
	char path[MESH_PATH_MAX], buf[16];
	struct stat st;
	size_t len;

	mkdir_tmp();
	mesh_state_path(path, sizeof(path), dir, "backup");
	ck_assert_int_eq(root_backup_write_new(path, "first", 5), MN_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* never over an existing file */
	ck_assert_int_eq(root_backup_write_new(path, "second", 6), MN_EEXIST);
	ck_assert_int_eq(root_backup_read_file(path, buf, sizeof(buf), &len), MN_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(buf, "first", 5);
	/* no temporary left behind: the directory holds the one file */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	ck_assert_int_eq(system(cmd), 0);
	/* reading: a file longer than the buffer, exactly as long, missing */
	ck_assert_int_eq(root_backup_read_file(path, buf, 4, &len), MN_EMSGSIZE);
	ck_assert_int_eq(root_backup_read_file(path, buf, 5, &len), MN_OK);
	ck_assert_uint_eq(len, 5);
	mesh_state_path(path, sizeof(path), dir, "nothing");
	ck_assert_int_eq(root_backup_read_file(path, buf, sizeof(buf), &len), MN_ENOENT);
	/* a directory that does not exist */
	mesh_state_path(path, sizeof(path), dir, "no/such");
	ck_assert_int_eq(root_backup_write_new(path, "x", 1), MN_EIO);
	rm_tmp();
}
END_TEST

static void fail_hook(void *ctx, int err, const char *why)
{
	(void)ctx;
	ck_abort_msg("store failed: %s (%d)", why, err);
}

START_TEST(test_root_key_of_init)
{
	/* the seed read from what init wrote is the network's root key, and
	 * written back it is the same file */
	struct swim_persist_hooks hooks = { .fail = fail_hook };
	struct swim_persist *sp;
	struct mesh_init in = { 0 };
	struct mesh_meta meta;
	struct rec_key root;
	uint8_t seed[REC_SEED_LEN];
	char why[MESH_WHY_MAX], path[MESH_PATH_MAX], before[64], after[64];
	size_t lb, la;

	mkdir_tmp();
	in.dir = dir;
	in.network = "testnet";
	in.name = "alpha";
	in.iface = "mesh9";
	in.port = 51998;
	ck_assert_int_eq(mn_prefix_parse(&in.v4, "100.64.0.0/10"), MN_OK);
	ck_assert_int_eq(mesh_state_init(&in, why), MN_OK);
	ck_assert_int_eq(swim_persist_open(&sp, dir, 0, 0, false, &hooks), MN_OK);
	ck_assert_int_eq(mesh_meta_get(swim_persist_store(sp), &meta), MN_OK);
	swim_persist_close(sp);
	ck_assert_int_eq(root_backup_read_key(dir, seed), MN_OK);
	rec_key_from_seed(&root, seed);
	ck_assert_mem_eq(root.pk, meta.root_pk, REC_PK_LEN);
	rec_key_wipe(&root);
	mesh_state_path(path, sizeof(path), dir, MESH_ROOT_KEY_FILE);
	ck_assert_int_eq(root_backup_read_file(path, before, sizeof(before), &lb), MN_OK);
	ck_assert_int_eq(root_backup_write_key(dir, seed), MN_EEXIST);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(root_backup_read_key(dir, seed), MN_ENOENT);
	ck_assert_int_eq(mesh_state_init(&in, why), MN_EEXIST); /* still initialized */
	/* restored: what init wrote, byte for byte */
	memset(seed, 0, sizeof(seed));
	before[lb - 1] = 0;
	ck_assert_int_eq(wgkey_from_base64(seed, before), MN_OK);
	before[lb - 1] = '\n';
	ck_assert_int_eq(root_backup_write_key(dir, seed), MN_OK);
	ck_assert_int_eq(root_backup_read_file(path, after, sizeof(after), &la), MN_OK);
	ck_assert_uint_eq(la, lb);
	ck_assert_mem_eq(after, before, lb);
	/* a damaged root.key */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(root_backup_write_new(path, "not a key\n", 10), MN_OK);
	ck_assert_int_eq(root_backup_read_key(dir, seed), MN_EPROTO);
	rm_tmp();
}
END_TEST

static Suite *root_backup_suite(void)
{
	Suite *s = suite_create("root_backup");
	TCase *tc = tcase_create("codec");
	TCase *tf = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60); /* hundreds of Argon2id runs at the minimum limits */
	tcase_add_test(tc, test_reference_file);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_wrong_passphrase);
	tcase_add_test(tc, test_every_byte_flipped);
	tcase_add_test(tc, test_truncated_or_extended);
	tcase_add_test(tc, test_header_swapped);
	tcase_add_test(tc, test_seed_not_of_root_pk);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, NULL);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, test_write_new);
	tcase_add_test(tf, test_root_key_of_init);
	suite_add_tcase(s, tf);
	return s;
}

MN_TEST_SUITE(root_backup_suite)
