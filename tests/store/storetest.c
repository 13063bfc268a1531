/* storetest.c - helpers for the store tests; see storetest.h. */
#include "storetest.h"

#include <stdio.h>
#include <unistd.h>

void storetest_rm_env(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}
