/* mn_bits.h - small integer helpers shared by the layers. */
#ifndef MN_BITS_H
#define MN_BITS_H

#include <stdint.h>

/* The smallest k with 2^k >= x (0 for x <= 1). */
static inline uint32_t mn_ceil_log2(uint64_t x)
{
	return x <= 1 ? 0 : 64 - (uint32_t)__builtin_clzll(x - 1);
}

#endif
