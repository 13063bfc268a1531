#include "wg_replay.h"

#include <string.h>

#include "wg.h"

void wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/* Counters are stored shifted by one so that top == 0 means "nothing seen".
 * A counter up to WG_REPLAY_WINDOW behind the highest is still accepted
 * (once), as the kernel's counter_validate and wireguard-go's replay.go do;
 * that is 127 words back, so never the newest counter's word of the ring. */
bool wg_replay_check(const struct wg_replay *r, uint64_t c)
{
	if (c >= WG_REJECT_AFTER_MESSAGES)
		return false;
	uint64_t n = c + 1;
	if (n > r->top)
		return true;
	if (r->top - n > WG_REPLAY_WINDOW)
		return false;
	uint64_t word = (n >> 6) % WG_REPLAY_WORDS;
	return !(r->bits[word] & (UINT64_C(1) << (n & 63)));
}

bool wg_replay_accept(struct wg_replay *r, uint64_t c)
{
	if (c >= WG_REJECT_AFTER_MESSAGES)
		return false;
	uint64_t n = c + 1;
	if (n > r->top) {
		/* Advance: clear the words between the old top and the new one. */
		uint64_t cur = r->top >> 6, next = n >> 6;
		uint64_t gap = next - cur;
		if (gap > WG_REPLAY_WORDS)
			gap = WG_REPLAY_WORDS;
		for (uint64_t i = 1; i <= gap; i++)
			r->bits[(cur + i) % WG_REPLAY_WORDS] = 0;
		r->top = n;
	} else if (r->top - n > WG_REPLAY_WINDOW) {
		return false;
	}
	uint64_t *w = &r->bits[(n >> 6) % WG_REPLAY_WORDS];
	uint64_t bit = UINT64_C(1) << (n & 63);
	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}
