/* swim_persist.h - a swim node's durable state in its store (store.h): the
 * driver-side glue between gossip/swim.h and one node's LMDB environment.
 * The simulator's swim core (sim/swim_core.c) drives it; the daemon is
 * meant to drive it the same way. Not core code: it does I/O.
 *
 * What it keeps (DESIGN.md §8):
 *   STORE_META     "identity": the identity key's 32-byte Ed25519 seed;
 *                  "incarnation", "boot": 32-bit big-endian
 *   STORE_MEMBERS  member public key -> the exact record bytes held
 *   STORE_REVOKED  BLAKE2b-256 of a tombstone -> its canonical bytes: a
 *                  name for exactly that tombstone (a root's and an
 *                  admin's against one key are two entries, as swim keeps
 *                  both; putting one again is harmless)
 *
 * Writes: swim_persist_event turns each swim event into its write. The
 * writes of one driver call (a loop turn: boot, datagram, timer, ...) go
 * into one store_txn, begun at the first write and committed by
 * swim_persist_commit, which the driver calls when the call returns, so
 * SWIM_EV_BOOT is durable before the first datagram leaves. A transaction
 * full at STORE_MAX_OPS is committed and another begun.
 *
 * Restore (a restart), in this order: swim_persist_load_meta (key,
 * incarnation, boot number), swim_persist_load_self (the node's own record
 * for swim_config.record), swim_new; then the tombstones
 * (swim_persist_read_tombs, swim_persist_restore_tombs) before any record,
 * so that a revoked member's record still in the store is refused as it
 * comes back; then the records (swim_persist_foreach_record), each handed
 * to swim_restore with the address the driver has for it (STORE_PATHS is
 * not written yet). Around everything swim reports while it is being
 * restored, swim_persist_restoring(sp, true): the store holds it already,
 * so SWIM_EV_RECORD and SWIM_EV_REVOKED are not written back then.
 *
 * Failure: a store that fails is a node that cannot go on (a real node
 * exits). Each failure calls hooks.fail with why ("swim store: WHAT:
 * error"); after one, every write is skipped.
 */
#ifndef SWIM_PERSIST_H
#define SWIM_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "swim.h"

enum swim_persist_limits {
	SWIM_PERSIST_TOMB_ID_LEN = 32, /* STORE_REVOKED key: BLAKE2b-256 of the tombstone */
	SWIM_PERSIST_WHY_LEN = 256,    /* hooks.fail's message, at most */
};

enum swim_persist_count {
	SWIM_PERSIST_COMMITS, /* transactions committed */
	SWIM_PERSIST_WRITES,  /* puts and deletes done */
};

struct swim_persist_hooks {
	void *ctx;
	/* The store failed with err (an mn_err code): why names the step. */
	void (*fail)(void *ctx, int err, const char *why);
	/* One more of what (may be NULL). */
	void (*count)(void *ctx, enum swim_persist_count what);
};

/* A tombstone as kept: its canonical bytes under their id. */
struct swim_persist_tomb {
	uint8_t id[SWIM_PERSIST_TOMB_ID_LEN];
	uint16_t len;
	uint8_t bytes[REC_REVOKE_MAX];
};

/* Tombstones by ascending id, STORE_REVOKED's key order (so a store kept
 * in memory restores them in the order LMDB would). Zeroed is empty. */
struct swim_persist_tombs {
	struct swim_persist_tomb *v;
	uint32_t n, cap;
};

/* The id of a tombstone: BLAKE2b-256 of its bytes. */
void swim_persist_tomb_id(const uint8_t *tomb, size_t len,
			  uint8_t id[SWIM_PERSIST_TOMB_ID_LEN]);
/* Keep a tombstone in id order; one kept already is left (MN_OK).
 * MN_EMSGSIZE longer than REC_REVOKE_MAX, MN_EFULL SWIM_MAX_TOMBS kept,
 * MN_ENOMEM. */
int swim_persist_tombs_put(struct swim_persist_tombs *t, const uint8_t id[SWIM_PERSIST_TOMB_ID_LEN],
			   const uint8_t *tomb, size_t len);
void swim_persist_tombs_free(struct swim_persist_tombs *t);

struct swim_persist;

/* Open the environment in dir (make_dir: create dir first, mode 0700), map
 * size map_bytes, store_open_lmdb_flags flags. hooks is copied. On failure
 * hooks.fail is called, *out is NULL and the error returned (MN_EIO with
 * errno set by the failing call, MN_ENOMEM). */
int swim_persist_open(struct swim_persist **out, const char *dir, size_t map_bytes,
		      unsigned flags, bool make_dir, const struct swim_persist_hooks *hooks);
/* Close: what no swim_persist_commit committed is lost. NULL is a no-op. */
void swim_persist_close(struct swim_persist *sp);
/* The store underneath, for the driver's own tables and keys (mesh_meta.h):
 * its transactions are separate from the ones swim_persist_commit makes. */
struct store *swim_persist_store(struct swim_persist *sp);
/* The end of a driver call: commit what it wrote (nothing: no-op). */
void swim_persist_commit(struct swim_persist *sp);
/* The first failure's error, MN_OK if none (sp NULL: MN_OK). */
int swim_persist_failed(const struct swim_persist *sp);
/* What swim reports from now on comes from this store (on) or not (off). */
void swim_persist_restoring(struct swim_persist *sp, bool on);

/* The write a swim event asks for (swim_config.event's driver calls it for
 * every event): SWIM_EV_RECORD puts the record, SWIM_EV_REMOVED deletes
 * it, SWIM_EV_SELF_INC and SWIM_EV_BOOT put the number, SWIM_EV_REVOKED
 * puts the tombstone; the others write nothing. */
void swim_persist_event(struct swim_persist *sp, const struct swim_event *ev);

/* A new node: its identity and incarnation 0 (committed with the next
 * swim_persist_commit, with SWIM_EV_BOOT and its own record). */
int swim_persist_first_boot(struct swim_persist *sp, const struct rec_key *key);
/* Whether the store holds a node identity (MN_OK), none (MN_ENOENT), or
 * cannot be read (another error). Reads no secret out. */
int swim_persist_has_identity(struct swim_persist *sp);
/* Restart: the identity into *key, the incarnation (*inc_lost and *inc 0
 * when none is stored: swim_config.incarnation_lost) and the boot number.
 * A store without its identity or boot number is a lost store (the node
 * would be a new member with a new key): an error. expect_pk (may be NULL):
 * the public key the identity must have (MN_EAUTH otherwise). */
int swim_persist_load_meta(struct swim_persist *sp, const uint8_t *expect_pk,
			   struct rec_key *key, uint32_t *inc, bool *inc_lost, uint32_t *boot);
/* Restart: the node's own record (key pk), its exact bytes into buf. */
int swim_persist_load_self(struct swim_persist *sp, const uint8_t pk[REC_PK_LEN], uint8_t *buf,
			   size_t cap, size_t *len);
/* Restart: every tombstone of STORE_REVOKED appended to *out in key order;
 * a value longer than any tombstone is skipped, as are those past
 * SWIM_MAX_TOMBS. */
int swim_persist_read_tombs(struct swim_persist *sp, struct swim_persist_tombs *out);
/* Restart: every record of STORE_MEMBERS in key order; rec is valid only
 * inside the call; fn's non-zero return stops and is returned. */
int swim_persist_foreach_record(struct swim_persist *sp,
				int (*fn)(void *ctx, const uint8_t *pk, size_t pklen,
					  const uint8_t *rec, size_t len),
				void *ctx);
/* Restart: hand the tombstones to swim_restore_revoke in order (refusals
 * are counted by swim). Call with restoring on. */
void swim_persist_restore_tombs(struct swim *s, const struct swim_persist_tombs *t,
				struct mn_time now);

#endif
