/* root_backup.h - the network's root key, encrypted with a passphrase
 * (`meshnode backup-root` / `restore-root`; doc/backup-root.md). DESIGN.md
 * §4: plan for the root holder being gone.
 *
 * The file is text, seven lines, each ended by "\n", in this order:
 *   meshnode-root-backup v1
 *   network NAME                     the network's name (rec_name_ok)
 *   root-pk BASE64                   the root public key (32 bytes)
 *   kdf argon2id13 ops N mem N       crypto_pwhash's limits (decimal; mem in bytes)
 *   salt BASE64                      16 bytes from the OS generator
 *   nonce BASE64                     24 bytes from the OS generator
 *   sealed BASE64                    48 bytes: the 32-byte root seed + tag
 * BASE64 is the standard alphabet with padding. The key is Argon2id
 * (crypto_pwhash, the limits above) of the passphrase and the salt;
 * sealed is XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf) of the
 * seed under that key and the nonce, with every byte before the "sealed"
 * line as associated data: the clear header cannot be changed, or moved
 * onto another file, without the tag failing.
 *
 * What the codec checks: the form above exactly (nothing before, between
 * or after), the limits within [ROOT_BACKUP_OPS_MIN, ROOT_BACKUP_OPS_MAX]
 * and [ROOT_BACKUP_MEM_MIN, ROOT_BACKUP_MEM_MAX] (so a crafted file cannot
 * make a restore run for hours or allocate without bound), the tag, and
 * that the seed decrypted is the seed of root-pk. */
#ifndef ROOT_BACKUP_H
#define ROOT_BACKUP_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_rng.h"
#include "record.h"

#define ROOT_BACKUP_MAGIC "meshnode-root-backup v1"
#define ROOT_BACKUP_KDF "argon2id13"
/* What `meshnode backup-root` writes with (libsodium's "moderate": about
 * a second and 256 MiB per guess). */
#define ROOT_BACKUP_OPS_DEFAULT crypto_pwhash_OPSLIMIT_MODERATE
#define ROOT_BACKUP_MEM_DEFAULT crypto_pwhash_MEMLIMIT_MODERATE

enum root_backup_limits {
	ROOT_BACKUP_SALT_LEN = 16,   /* crypto_pwhash_SALTBYTES */
	ROOT_BACKUP_NONCE_LEN = 24,  /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
	ROOT_BACKUP_KEY_LEN = 32,    /* crypto_aead_xchacha20poly1305_ietf_KEYBYTES */
	ROOT_BACKUP_TAG_LEN = 16,    /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
	ROOT_BACKUP_SEALED_LEN = REC_SEED_LEN + ROOT_BACKUP_TAG_LEN,
	ROOT_BACKUP_TEXT_MAX = 1024, /* a backup file (about 300 bytes) */
	ROOT_BACKUP_PASS_MAX = 1024, /* a passphrase, in bytes */
	ROOT_BACKUP_OPS_MIN = 1,     /* crypto_pwhash_OPSLIMIT_MIN */
	ROOT_BACKUP_OPS_MAX = 16,    /* 4x libsodium's "sensitive" */
	ROOT_BACKUP_MEM_MIN = 8192,  /* crypto_pwhash_MEMLIMIT_MIN */
};
/* libsodium's "sensitive" (1 GiB): a restore never allocates more. */
#define ROOT_BACKUP_MEM_MAX ((uint64_t)crypto_pwhash_MEMLIMIT_SENSITIVE)

/* The clear header of a backup. */
struct root_backup_info {
	char network[REC_NAME_MAX + 1];
	uint8_t root_pk[REC_PK_LEN];
	uint64_t ops, mem;
};

/* Encrypt seed (a root key's, of network) under pass[0..pass_len) with
 * the limits ops, mem and salt and nonce drawn from rng, into out[0..cap)
 * as the text above; its length into *len (no NUL is written). MN_EINVAL
 * for a bad network name, an empty or overlong passphrase, limits out of
 * bounds; MN_EMSGSIZE when cap is too small (ROOT_BACKUP_TEXT_MAX is
 * enough); MN_ENOMEM when Argon2id could not get its memory. */
int root_backup_encode(char *out, size_t cap, size_t *len, const char *network,
		       const uint8_t seed[REC_SEED_LEN], const char *pass, size_t pass_len,
		       uint64_t ops, uint64_t mem, const struct mn_rng *rng);

/* The clear header of text[0..len), without the passphrase (to refuse a
 * backup of another network before asking Argon2id). MN_EPROTO when text
 * is not in the form above (the header is not authenticated here). */
int root_backup_info(struct root_backup_info *out, const char *text, size_t len);

/* Decrypt text[0..len) with pass: the seed into seed, the header into
 * *info (may be NULL). MN_EPROTO: not in the form above; MN_EAUTH: the
 * wrong passphrase, or a changed byte (the two cannot be told apart);
 * MN_ENOMEM: Argon2id could not get its memory. seed is wiped on failure. */
int root_backup_decode(uint8_t seed[REC_SEED_LEN], struct root_backup_info *info,
		       const char *text, size_t len, const char *pass, size_t pass_len);

/* ---- files ---- */

/* Read the whole file at path into buf[0..cap) (no NUL added), its length
 * into *len. MN_ENOENT: no such file; MN_EMSGSIZE: longer than cap;
 * MN_EIO: another error (errno set). */
int root_backup_read_file(const char *path, char *buf, size_t cap, size_t *len);
/* Create path with data, mode 0600, atomically: a temporary file in the
 * same directory, synced, then renamed to path only if path does not
 * exist (MN_EEXIST; nothing written). MN_EIO otherwise (errno set). */
int root_backup_write_new(const char *path, const void *data, size_t len);

/* The root key's seed of state directory dir (DIR/root.key: base64 and a
 * newline, as `meshnode init` writes it). MN_ENOENT: no root key here;
 * MN_EPROTO: not a key; MN_EIO. */
int root_backup_read_key(const char *dir, uint8_t seed[REC_SEED_LEN]);
/* Write DIR/root.key from seed (root_backup_write_new: MN_EEXIST when one
 * is there). */
int root_backup_write_key(const char *dir, const uint8_t seed[REC_SEED_LEN]);

#endif
