/* wg_index.h - the device's receiver-index table (the kernel's
 * peerlookup.c index hashtable): our random 32-bit index of every
 * handshake in progress and every keypair, which incoming responses and
 * data packets name. */
#ifndef WG_INDEX_H
#define WG_INDEX_H

#include <stdbool.h>
#include <stdint.h>

struct wg_dev;
struct wg_peer;
struct wg_keypair;

#define WG_INDEX_BUCKETS (1u << 14)

/* An entry of the table, chained in a hash bucket. */
struct wg_index {
	uint32_t id;
	bool linked;
	struct wg_peer *peer;
	struct wg_keypair *kp; /* NULL: the peer's handshake */
	struct wg_index *next;
};

/* Link e under a fresh random id (from the device's generator), unique in the table. */
void wg_index_add(struct wg_dev *dev, struct wg_index *e);
/* Link e under its preset id (moving an index from a handshake to a keypair). */
void wg_index_add_id(struct wg_dev *dev, struct wg_index *e);
/* Unlink e; no-op when it is not linked. */
void wg_index_del(struct wg_dev *dev, struct wg_index *e);
struct wg_index *wg_index_find(const struct wg_dev *dev, uint32_t id);

#endif
