/* failmalloc.h - fail the i-th allocation, for parser and state machine tests
 * (nghttp2's failmalloc_test).
 *
 * The test binary is linked with --wrap=malloc, --wrap=calloc and
 * --wrap=realloc, so every such call made by code linked into it (the core
 * library and the tests, not the C library or libcheck) goes through here.
 * Disarmed, it only passes the call on. Test-only: one process-wide counter,
 * which is fine because Check runs each test alone. */
#ifndef FAILMALLOC_H
#define FAILMALLOC_H

#include <stdbool.h>

/* Let n allocations succeed, then fail the next one and, when sticky, every
 * later one until disarmed. */
void failmalloc_arm(unsigned long n, bool sticky);
void failmalloc_disarm(void);
/* Allocations failed since the last arm. */
unsigned long failmalloc_failed(void);

#endif
