/* failmalloc.h - fail the i-th allocation, for parser and state machine tests
 * (nghttp2's failmalloc_test).
 *
 * The test binary is linked with --wrap=malloc, --wrap=calloc,
 * --wrap=realloc and --wrap=free, so every such call made by code linked
 * into it goes through here: the core library, the tests, and libcheck
 * when it is linked statically (its asserts allocate, even passing ones:
 * assert only while disarmed), but not the C library's own calls.
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
/* Leak counting: with tracking on, every block allocated through the
 * wrappers (armed or not) is remembered until freed. failmalloc_live() is
 * the number still allocated (-1 if more than the table holds): compare it
 * before and after a piece of work. Turning tracking on forgets the past. */
void failmalloc_track(bool on);
long failmalloc_live(void);

#endif
