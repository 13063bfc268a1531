#include "os_rng.h"

#include <sodium.h>

static void os_fill(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	randombytes_buf(out, len);
}

struct mn_rng os_rng(void)
{
	struct mn_rng r = { os_fill, NULL };
	return r;
}
