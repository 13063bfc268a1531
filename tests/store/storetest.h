/* storetest.h - helpers for the store tests. */
#ifndef STORETEST_H
#define STORETEST_H

/* Remove an LMDB environment's directory: its two files, then dir. */
void storetest_rm_env(const char *dir);

#endif
