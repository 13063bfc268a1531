/* swim_scale.c - parameter sets, their check, and the scaling with the member
 * count (memberlist's and Lifeguard's formulas, in Q16 fixed point).
 */
#include "swim_internal.h"

/* ---- parameters and scaling ---- */

void swim_params_lan(struct swim_params *p)
{
	memset(p, 0, sizeof(*p));
	/* memberlist DefaultLANConfig */
	p->probe_interval_ns = 1 * MN_NS_PER_SEC;
	p->probe_timeout_ns = 500 * MN_NS_PER_MS;
	p->indirect_checks = 3;
	p->retransmit_mult = 4;
	p->suspicion_mult = 4;
	p->suspicion_max_mult = 6;
	p->awareness_max = 8;
	p->gossip_interval_ns = 200 * MN_NS_PER_MS;
	p->gossip_nodes = 3;
	p->gossip_to_dead_ns = 30 * MN_NS_PER_SEC;
	p->pushpull_interval_ns = 30 * MN_NS_PER_SEC;
	/* ours (doc/gossip.md) */
	p->suspicion_floor_ns = 5 * MN_NS_PER_SEC;
	p->pushpull_dead_one_in = 4;
	p->dead_probe_interval_ns = 5 * MN_NS_PER_SEC;
	p->inc_jump_max = SWIM_INC_JUMP_DEFAULT;
}

void swim_params_wan(struct swim_params *p)
{
	swim_params_lan(p);
	/* memberlist DefaultWANConfig */
	p->probe_interval_ns = 5 * MN_NS_PER_SEC;
	p->probe_timeout_ns = 3 * MN_NS_PER_SEC;
	p->suspicion_mult = 6;
	p->gossip_nodes = 4;
	p->gossip_to_dead_ns = 60 * MN_NS_PER_SEC;
	p->pushpull_interval_ns = 60 * MN_NS_PER_SEC;
	/* ours */
	p->suspicion_floor_ns = 15 * MN_NS_PER_SEC;
	p->dead_probe_interval_ns = 15 * MN_NS_PER_SEC;
	/* memberlist: 500 ms; 300 ms heals a WAN partition faster for a few
	 * more bytes (doc/gossip.md §9, "Found by the simulator"). */
	p->gossip_interval_ns = 300 * MN_NS_PER_MS;
}

#define HOUR_NS (3600 * MN_NS_PER_SEC)

int swim_params_check(const struct swim_params *p)
{
	if (!p || p->probe_interval_ns == 0 || p->probe_interval_ns > HOUR_NS / 6 ||
	    p->probe_timeout_ns == 0 || p->probe_timeout_ns >= p->probe_interval_ns)
		return MN_EINVAL;
	if (p->indirect_checks > SWIM_MAX_INDIRECT || p->retransmit_mult == 0 ||
	    p->retransmit_mult > 64 || p->suspicion_mult == 0 || p->suspicion_mult > 32 ||
	    p->suspicion_max_mult == 0 || p->suspicion_max_mult > 32 ||
	    p->awareness_max == 0 || p->awareness_max > 64)
		return MN_EINVAL;
	if (p->suspicion_floor_ns > 24 * HOUR_NS || p->gossip_nodes > 16 ||
	    (p->gossip_nodes && (p->gossip_interval_ns == 0 || p->gossip_interval_ns > HOUR_NS)) ||
	    p->gossip_to_dead_ns > 24 * HOUR_NS || p->pushpull_interval_ns > 24 * HOUR_NS ||
	    p->dead_probe_interval_ns > 24 * HOUR_NS || p->inc_jump_max == 0)
		return MN_EINVAL;
	return MN_OK;
}

/* log2(x) in Q16 for x >= 1: the integer part from the top bit, then 16
 * fraction bits by repeated squaring of the mantissa (kept in Q31). */
static uint64_t log2_q16(uint64_t x)
{
	uint32_t ip = 63 - (uint32_t)__builtin_clzll(x);
	uint64_t m = (x << (63 - ip)) >> 32; /* [2^31, 2^32): 1.0 .. 2.0 in Q31 */
	uint64_t frac = 0;

	for (int i = 0; i < 16; i++) {
		m = (m * m) >> 31;
		frac <<= 1;
		if (m >= (UINT64_C(1) << 32)) {
			m >>= 1;
			frac |= 1;
		}
	}
	return ((uint64_t)ip << 16) | frac;
}

/* 1000 * log10(x), rounded; log10(2) = 1292913987 / 2^32. */
static uint64_t log10_milli(uint64_t x)
{
	return (log2_q16(x) * UINT64_C(1292913987) * 1000 + (UINT64_C(1) << 47)) >> 48;
}

uint32_t scale_n(const struct swim *s)
{
	return s->npresent ? s->npresent : 1;
}

static mn_ns scale_min(const struct swim_params *p, uint32_t n)
{
	uint64_t scale = log10_milli(n ? n : 1);
	mn_ns t;

	if (scale < 1000)
		scale = 1000;
	t = p->suspicion_mult * scale * p->probe_interval_ns / 1000;
	return t < p->suspicion_floor_ns ? p->suspicion_floor_ns : t;
}

uint32_t scale_k(const struct swim_params *p, uint32_t n)
{
	uint32_t k = p->suspicion_mult > 2 ? p->suspicion_mult - 2 : 0;

	if (n < k + 2)
		k = 0;
	return k > SWIM_MAX_CONFIRM ? SWIM_MAX_CONFIRM : k;
}

/* Lifeguard: max - (max - min) * log(C + 1) / log(K + 1), not below min. */
mn_ns scale_timeout(const struct swim_params *p, uint32_t n, uint32_t c)
{
	mn_ns lo = scale_min(p, n), hi = p->suspicion_max_mult * lo;
	uint32_t k = scale_k(p, n);
	uint64_t frac;
	mn_ns cut;

	if (k == 0 || c >= k)
		return lo;
	frac = (log2_q16(c + 1) << 16) / log2_q16(k + 1);
	/* ((hi - lo) * frac) >> 16 without the 64-bit product (it wraps past
	 * hi - lo ~ 78 h, which swim_params_check allows): split hi - lo at
	 * bit 16. Exact; frac <= 2^16. */
	cut = (((hi - lo) >> 16) * frac) + ((((hi - lo) & 0xffff) * frac) >> 16);
	return hi - cut < lo ? lo : hi - cut;
}

uint32_t scale_retransmit(const struct swim_params *p, uint32_t n)
{
	uint64_t target = (uint64_t)n + 1, p10 = 1;
	uint32_t d = 0;

	while (p10 < target) {
		p10 *= 10;
		d++;
	}
	return p->retransmit_mult * (d ? d : 1);
}

mn_ns scale_pushpull(const struct swim_params *p, uint32_t n)
{
	return p->pushpull_interval_ns * (n <= 32 ? 1 : mn_ceil_log2(n) - 4);
}

void swim_scale(const struct swim_params *p, uint32_t n, struct swim_scaled *out)
{
	memset(out, 0, sizeof(*out));
	out->susp_min_ns = scale_min(p, n);
	out->susp_max_ns = p->suspicion_max_mult * out->susp_min_ns;
	out->k = scale_k(p, n);
	for (uint32_t c = 0; c <= SWIM_MAX_CONFIRM; c++)
		out->susp_timeout_ns[c] = scale_timeout(p, n, c);
	out->retransmit_limit = scale_retransmit(p, n);
	out->pushpull_interval_ns = scale_pushpull(p, n);
}

