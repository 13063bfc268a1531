/* wg_index.h - the device's receiver-index table (the kernel's
 * peerlookup.c index hashtable): our random 32-bit index of every
 * handshake in progress and every keypair, which incoming responses and
 * data packets name. Chained buckets, doubled whenever the entries
 * outnumber them, so a lookup stays O(1) at any number of peers. */
#ifndef WG_INDEX_H
#define WG_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_dev;
struct wg_peer;
struct wg_keypair;

/* The table starts with 1 << WG_INDEX_MIN_BITS buckets; each peer has at
 * most four entries (a handshake and three keypairs). */
#define WG_INDEX_MIN_BITS 4
#define WG_INDEX_MAX_BITS 20

/* An entry of the table, chained in a hash bucket. */
struct wg_index {
	uint32_t id;
	bool linked;
	struct wg_peer *peer;
	struct wg_keypair *kp; /* NULL: the peer's handshake */
	struct wg_index *next;
};

struct wg_index_table {
	struct wg_index **buckets; /* 1 << bits of them */
	unsigned bits;
	size_t count; /* entries linked */
};

/* MN_ENOMEM, or MN_OK with an empty table. */
int wg_index_table_init(struct wg_index_table *t);
/* Frees the buckets; the entries are their owners'. */
void wg_index_table_free(struct wg_index_table *t);

/* Link e under a fresh random id (from the device's generator), unique in
 * the table. Never fails: when the table cannot grow, chains get longer. */
void wg_index_add(struct wg_dev *dev, struct wg_index *e);
/* Link e under its preset id (moving an index from a handshake to a keypair). */
void wg_index_add_id(struct wg_dev *dev, struct wg_index *e);
/* Unlink e; no-op when it is not linked. */
void wg_index_del(struct wg_dev *dev, struct wg_index *e);
struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id);

#endif
