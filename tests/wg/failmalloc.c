#include "failmalloc.h"

#include <stddef.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* Test-only state (see the header). */
static bool armed, sticky_fail;
static unsigned long budget, failed;

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

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fail_now() ? NULL : __real_realloc(p, size);
}
