#include "failmalloc.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

/* Test-only state (see the header). */
static bool armed, sticky_fail;
static unsigned long budget, failed;

/* Blocks allocated while tracking: an open-addressing set of pointers
 * (TOMB marks a freed slot; the set is rebuilt when those pile up). A free
 * of a pointer not in the set (allocated before tracking, or by the C
 * library, as libcheck's strdup) is passed on and not counted. */
#define TRACK_SLOTS (1u << 16)
#define TOMB ((void *)1)
static void *tracked[TRACK_SLOTS], *rebuild[TRACK_SLOTS];
static bool tracking, overflow;
static long live;
static unsigned tombs;

void failmalloc_arm(unsigned long n, bool sticky)
{
	budget = n;
	failed = 0;
	sticky_fail = sticky;
	armed = true;
}

void failmalloc_disarm(void)
{
	armed = false;
}

unsigned long failmalloc_failed(void)
{
	return failed;
}

static size_t slot_of(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * UINT64_C(0x9e3779b97f4a7c15) >> 48) % TRACK_SLOTS;
}

static void track(void *p)
{
	size_t i = slot_of(p);
	for (unsigned k = 0; k < TRACK_SLOTS; k++, i = (i + 1) % TRACK_SLOTS) {
		if (!tracked[i] || tracked[i] == TOMB) {
			if (tracked[i] == TOMB)
				tombs--;
			tracked[i] = p;
			live++;
			return;
		}
	}
	overflow = true;
}

static void untrack(void *p)
{
	size_t i = slot_of(p);
	for (unsigned k = 0; k < TRACK_SLOTS && tracked[i]; k++, i = (i + 1) % TRACK_SLOTS) {
		if (tracked[i] == p) {
			tracked[i] = TOMB;
			live--;
			break;
		}
	}
	if (++tombs < TRACK_SLOTS / 4)
		return;
	size_t n = 0;
	for (size_t j = 0; j < TRACK_SLOTS; j++)
		if (tracked[j] && tracked[j] != TOMB)
			rebuild[n++] = tracked[j];
	memset(tracked, 0, sizeof(tracked));
	tombs = 0;
	live = 0;
	for (size_t j = 0; j < n; j++)
		track(rebuild[j]);
}

void failmalloc_track(bool on)
{
	if (on && !tracking) {
		memset(tracked, 0, sizeof(tracked));
		live = 0;
		tombs = 0;
		overflow = false;
	}
	tracking = on;
}

long failmalloc_live(void)
{
	return overflow ? -1 : live;
}

static bool fail_now(void)
{
	if (!armed)
		return false;
	if (budget > 0) {
		budget--;
		return false;
	}
	failed++;
	if (!sticky_fail)
		armed = false;
	return true;
}

static void *counted(void *p)
{
	if (p && tracking)
		track(p);
	return p;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : counted(__real_malloc(size));
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : counted(__real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t size)
{
	if (fail_now())
		return NULL;
	void *q = __real_realloc(p, size);
	if (q || size == 0) { /* p is gone (moved, or freed by a zero size) */
		if (p && tracking)
			untrack(p);
		counted(q);
	}
	return q;
}

void __wrap_free(void *p)
{
	if (p && tracking)
		untrack(p);
	__real_free(p);
}
