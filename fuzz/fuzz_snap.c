/* fuzz_snap.c - the arena behind fuzz_snap.h.
 *
 * Layout: blocks one after another from arena[0], each a header (its size,
 * a freed mark), the bytes rounded up to ALIGN, then REDZONE poisoned bytes.
 * Nothing is ever reused inside the arena; the window is setup only. */
#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_snap.h"

#define ARENA_CAP (4u << 20) /* the largest setup (two devices) uses ~250 KB */
#define ALIGN 16
#define REDZONE 32

struct hdr {
	size_t size;
	size_t freed;
};
_Static_assert(sizeof(struct hdr) % ALIGN == 0, "blocks stay aligned");

static _Alignas(ALIGN) uint8_t arena[ARENA_CAP];
static size_t fill; /* the next block's offset */
static size_t top;  /* the highest fill so far: past it, all is poisoned already */
static bool recording;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static bool in_arena(const void *p)
{
	return (const uint8_t *)p >= arena && (const uint8_t *)p < arena + ARENA_CAP;
}

static struct hdr *hdr_of(void *p)
{
	return (struct hdr *)p - 1;
}

/* Poison what no live block owns: redzones, freed blocks, past the fill
 * (up to top: beyond it, nothing was ever unpoisoned). */
static void poison(void)
{
	size_t off = 0;

	while (off < fill) {
		struct hdr *h = (struct hdr *)(arena + off);
		uint8_t *p = (uint8_t *)(h + 1);
		size_t span = round_up(h->size) + REDZONE;
		if (h->freed)
			ASAN_POISON_MEMORY_REGION(p, span);
		else
			ASAN_POISON_MEMORY_REGION(p + h->size, span - h->size);
		off += sizeof(*h) + span;
	}
	if (top > fill)
		ASAN_POISON_MEMORY_REGION(arena + fill, top - fill);
}

static void *arena_alloc(size_t n)
{
	size_t need = sizeof(struct hdr) + round_up(n) + REDZONE;
	struct hdr *h;

	if (n > ARENA_CAP || need > ARENA_CAP - fill)
		abort(); /* raise ARENA_CAP */
	h = (struct hdr *)(arena + fill);
	ASAN_UNPOISON_MEMORY_REGION(h, need);
	h->size = n;
	h->freed = 0;
	fill += need;
	if (fill > top)
		top = fill;
	ASAN_POISON_MEMORY_REGION((uint8_t *)(h + 1) + n, need - sizeof(*h) - n);
	return h + 1;
}

static void arena_free(void *p)
{
	struct hdr *h = hdr_of(p);

	if (h->freed)
		abort(); /* double free of a snapshot block */
	h->freed = 1;
	ASAN_POISON_MEMORY_REGION(p, round_up(h->size) + REDZONE);
}

void *__wrap_malloc(size_t n)
{
	return recording ? arena_alloc(n) : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (!recording)
		return __real_calloc(n, size);
	if (size && n > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(n * size);
	memset(p, 0, n * size);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (!in_arena(p)) {
		if (!recording)
			return __real_realloc(p, n);
		if (p)
			abort(); /* a heap block grown by the setup: allocate it in the window */
		return arena_alloc(n);
	}
	q = recording ? arena_alloc(n) : __real_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, hdr_of(p)->size < n ? hdr_of(p)->size : n);
	arena_free(p);
	return q;
}

void __wrap_free(void *p)
{
	if (in_arena(p))
		arena_free(p);
	else
		__real_free(p);
}

void snap_record(bool on)
{
	if (on && top == 0)
		ASAN_POISON_MEMORY_REGION(arena, ARENA_CAP);
	recording = on;
}

void snap_take(struct snap *s)
{
	if (!s->bytes && !(s->bytes = __real_malloc(ARENA_CAP)))
		abort();
	ASAN_UNPOISON_MEMORY_REGION(arena, fill);
	memcpy(s->bytes, arena, fill);
	s->len = fill;
	poison();
}

void snap_restore(const struct snap *s)
{
	ASAN_UNPOISON_MEMORY_REGION(arena, s->len);
	memcpy(arena, s->bytes, s->len);
	fill = s->len;
	poison();
}
