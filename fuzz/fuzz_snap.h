/* fuzz_snap.h - snapshots of heap state for fuzz targets.
 *
 * A target builds its starting state once, between snap_record(true) and
 * snap_record(false): every malloc, calloc and realloc in that window is
 * served from a fixed arena (the target links with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so the core
 * libraries' calls come here). snap_take() copies the arena; before each
 * input, snap_restore() writes the copy back byte for byte, so the objects
 * and every pointer between them are exactly as they were when taken, at
 * the same addresses. Outside the window allocations go to the sanitizer's
 * heap as usual; freeing an arena block does nothing but poison it (the
 * next restore brings it back), so a target tears its state down after each
 * input as it always did, and LeakSanitizer still sees what the input leaked.
 *
 * Guarantee: everything the state can reach lives in the arena (allocated
 * in the window) or in memory the target itself restores. State reachable
 * from a static the target does not restore is not covered. Only these four
 * calls are routed: a block from strdup or posix_memalign in the window
 * would live on the heap, be freed by the first teardown, and the next
 * input's use of it would fail loudly as a use after free.
 *
 * Arena blocks keep ASan's checks: each is followed by a poisoned redzone,
 * and a freed block is poisoned until the next restore. */
#ifndef FUZZ_SNAP_H
#define FUZZ_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A copy of the arena up to its fill mark. */
struct snap {
	uint8_t *bytes;
	size_t len;
};

/* Serve allocations from the arena (on) or the heap (off). */
void snap_record(bool on);
/* Copy the arena as it is now into s (allocated once, never freed). */
void snap_take(struct snap *s);
/* The arena back to s; blocks allocated after s was taken are poisoned. */
void snap_restore(const struct snap *s);

#endif
