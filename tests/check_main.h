/* check_main.h - self-registering Check suites.
 *
 * Each test file ends with MN_TEST_SUITE(name_suite); one main per layer
 * runs them all. Set CK_RUN_SUITE=name to run one. Tests print the seeds
 * they draw so a failure replays. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>

void mn_test_register(Suite *(*fn)(void));

#define MN_TEST_SUITE(fn)                                             \
	__attribute__((constructor)) static void register_##fn(void) \
	{                                                             \
		mn_test_register(fn);                                 \
	}

#endif
