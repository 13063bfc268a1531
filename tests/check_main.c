#include "check_main.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_SUITES 64
/* Test-only registry, filled by constructors before main. */
static Suite *(*suites[MAX_SUITES])(void);
static int nsuites;

void mn_test_register(Suite *(*fn)(void))
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "too many suites\n");
		abort();
	}
	suites[nsuites++] = fn;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	if (nsuites == 0) {
		fprintf(stderr, "no suites registered\n");
		return 1;
	}
	SRunner *sr = srunner_create(NULL);
	for (int i = 0; i < nsuites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
