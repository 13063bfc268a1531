/* annpool.h - interned copies of signed address announcements, shared by
 * any number of swim instances (doc/gossip.md §5, "Address announcements").
 *
 * Every member holds the newest announcement of every other member it has
 * verified, to hand it on with that member's record; 10,000 simulated
 * nodes x 10,000 members x ~120 bytes would not fit, so equal bytes are
 * stored once and counted. A swim instance without a shared pool makes a
 * private one (the daemon). The pool never verifies: swim interns only
 * what it verified itself, so bytes found in it were verified by an
 * instance of the same network (one pool per network, as for rtab) and
 * are not verified again. Not thread-safe. Lookups hash the
 * bytes with SipHash-2-4 under a fixed key and compare them in full.
 */
#ifndef GOSSIP_ANNPOOL_H
#define GOSSIP_ANNPOOL_H

#include <stddef.h>
#include <stdint.h>

struct annpool;

/* An interned announcement: len bytes at b. */
struct annblob {
	struct annblob *next; /* the pool's chain */
	uint64_t hash;
	uint32_t ref;
	uint8_t len;
	uint8_t b[];
};

int annpool_new(struct annpool **out);
/* Every blob must have been put back first. */
void annpool_del(struct annpool *p);
/* The interned copy of b[len] (1..255 bytes), one reference taken; NULL
 * when out of memory. */
const struct annblob *annpool_get(struct annpool *p, const uint8_t *b, size_t len);
/* The same, only if b[len] is interned already; NULL otherwise. */
const struct annblob *annpool_find(struct annpool *p, const uint8_t *b, size_t len);
/* Give a reference back (NULL: nothing); the last one frees the blob. */
void annpool_put(struct annpool *p, const struct annblob *a);
/* Distinct blobs held, and their bytes (the simulator's memory report). */
uint32_t annpool_count(const struct annpool *p);
uint64_t annpool_bytes(const struct annpool *p);

#endif
