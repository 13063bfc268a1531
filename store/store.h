/* store.h - durable node state (DESIGN.md §7): one LMDB environment per
 * node state directory, or the same interface in memory (the simulator
 * beyond ~1,000 nodes, and tests).
 *
 * The core never calls this: it emits "persist" actions, the driver
 * collects a loop turn's worth into one store_txn and commits it once
 * (never per packet), and at start the driver loads the store back into
 * the core. Named tables hold identity/network metadata, member records,
 * certificates, revocations, consumed invites and last-known-good paths.
 *
 * Crash safety: LMDB commits are atomic and durable (no MDB_NOSYNC); a
 * kill -9 at any moment leaves the environment as of the last commit.
 * STORE_NOSYNC (the simulator only) survives a process death, not an OS
 * crash or power loss: see enum store_open_flags.
 *
 * Ownership: a value handed to a store_get/store_foreach callback is valid
 * only inside that call (LMDB maps the file; copy what you keep). Keys and
 * values are at most STORE_MAX_KEY / STORE_MAX_VALUE bytes.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_table {
	STORE_META,     /* identity, network id, root key, own version/incarnation */
	STORE_MEMBERS,  /* node key -> signed member record */
	STORE_CERTS,    /* admin grants, invites we issued */
	STORE_REVOKED,  /* tombstones, kept forever */
	STORE_INVITES,  /* consumed invite ids -> admission */
	STORE_PATHS,    /* node key -> last-known-good path */
	STORE__TABLES
};

enum store_limits {
	STORE_MAX_KEY = 64,
	STORE_MAX_VALUE = 4096,
	STORE_MAX_OPS = 4096,                       /* puts/dels in one transaction */
	STORE_DEFAULT_MAP_BYTES = 256 << 20,        /* LMDB map size */
};

struct store;
struct store_txn;

enum store_open_flags {
	/* Commit without fsync (MDB_NOSYNC). A commit still writes every page
	 * into the OS page cache before it returns, and LMDB's copy-on-write
	 * keeps the last commit intact, so a killed process (kill -9, a
	 * simulated crash) loses nothing it committed; an OS crash or power
	 * loss may lose the last commits, and on a file system that does not
	 * keep write order may leave an environment that does not open. For
	 * the simulator only, where a crash is a process death and a thousand
	 * nodes commit per loop turn: on this VM an fsync'd commit costs
	 * ~7 ms, which took swim-loss-ci (100 nodes, 1,227 commits) from 3 s
	 * to 12 s. The daemon never sets it. */
	STORE_NOSYNC = 1 << 0,
};

/* Open (creating as needed) the LMDB environment in directory dir (which
 * must exist), durable on every commit. MN_EIO with errno set on failure
 * (ENOENT: no such directory), MN_ENOMEM. map_bytes 0 is
 * STORE_DEFAULT_MAP_BYTES; a commit that does not fit is MN_EFULL. */
int store_open_lmdb(struct store **out, const char *dir, size_t map_bytes);
/* The same with enum store_open_flags (0 is store_open_lmdb). */
int store_open_lmdb_flags(struct store **out, const char *dir, size_t map_bytes,
			  unsigned flags);
/* A store that lives in memory only. */
int store_open_memory(struct store **out);
void store_close(struct store *s);

/* One write transaction. Operations are buffered and applied in order at
 * commit; a failed commit changes nothing. MN_EFULL past STORE_MAX_OPS,
 * MN_EINVAL for oversized keys/values. */
int store_txn_begin(struct store *s, struct store_txn **out);
int store_put(struct store_txn *t, enum store_table tb, const void *key, size_t klen,
	      const void *val, size_t vlen);
int store_del(struct store_txn *t, enum store_table tb, const void *key, size_t klen);
/* Commit and free the transaction (also on failure). */
int store_txn_commit(struct store_txn *t);
void store_txn_abort(struct store_txn *t);

/* Copy one value into buf (cap bytes); *vlen is its length. MN_ENOENT when
 * absent, MN_EMSGSIZE when cap is too small (*vlen still set). */
int store_get(struct store *s, enum store_table tb, const void *key, size_t klen, void *buf,
	      size_t cap, size_t *vlen);
/* Every entry of a table in key order (bytewise); stops early and returns
 * fn's value when fn returns non-zero. */
int store_foreach(struct store *s, enum store_table tb,
		  int (*fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
			    size_t vlen),
		  void *ctx);

#endif
