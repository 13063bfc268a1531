/* xmemo.h - the X25519 memo of a swim run: the shared secret of each pair
 * of nodes that talk, computed once per run (seal.h's struct seal_memo,
 * pair-keyed: both ends of a pair share one entry).
 *
 * The key is a BLAKE2b output, so its first bytes place it; it may sit in
 * any of XMEMO_WAYS slots from there. An all-zero key marks a free slot (a
 * hash output of zero does not happen). When all the slots are taken, the
 * one the key's next bytes name is replaced: bounded, deterministic.
 *
 * The values are secrets: xmemo_free wipes the entries in use. The table
 * is one calloc: untouched slots of a large memo map no memory.
 */
#ifndef XMEMO_H
#define XMEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "seal.h"

enum xmemo_limits {
	XMEMO_MIN = 1 << 12,         /* entries, at least (core_param x25519_memo) */
	XMEMO_MAX = 1 << 26,         /* and at most */
	XMEMO_PER_NODE = 1024,       /* pairs a node keys in ~15 min (probes) */
	XMEMO_DEFAULT_MAX = 1 << 25, /* 2 GB: 10,000 nodes x 10 min keys ~8.4 M pairs */
	XMEMO_WAYS = 8,              /* slots probed from a key's home */
};

struct xmemo_ent {
	uint8_t key[SEAL_MEMO_KEY_LEN];
	uint8_t val[SEAL_KEY_LEN]; /* secret */
};

struct xmemo {
	struct xmemo_ent *slots;
	uint32_t mask;
};

/* The default size for a run of nodes: room for every pair (at most a
 * quarter full), or for the pairs the nodes key in a long run, whichever
 * is fewer; a power of two from XMEMO_MIN to XMEMO_DEFAULT_MAX. */
uint64_t xmemo_default_entries(uint32_t nodes);
/* entries: a power of two, XMEMO_MIN .. XMEMO_MAX. MN_ENOMEM. */
int xmemo_init(struct xmemo *m, uint64_t entries);
void xmemo_free(struct xmemo *m);

/* The secret of the pair key names into shared, if memoized. */
bool xmemo_get(const struct xmemo *m, const uint8_t key[SEAL_MEMO_KEY_LEN],
	       uint8_t shared[SEAL_KEY_LEN]);
void xmemo_put(struct xmemo *m, const uint8_t key[SEAL_MEMO_KEY_LEN],
	       const uint8_t shared[SEAL_KEY_LEN]);

#endif
