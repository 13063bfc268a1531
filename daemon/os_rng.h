/* os_rng.h - the OS random generator behind the daemon's mn_rng.
 *
 * The core draws randomness only from the mn_rng it is given (base/mn_rng.h);
 * this is the one place the daemon fills it from the system (libsodium's
 * randombytes_buf, i.e. getrandom(2)). The simulator and the tests use
 * mn_seeded_rng instead. */
#ifndef MN_OS_RNG_H
#define MN_OS_RNG_H

#include "mn_rng.h"

/* A generator backed by the OS. Stateless; never fails. */
struct mn_rng os_rng(void);

#endif
