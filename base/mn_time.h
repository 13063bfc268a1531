/* mn_time.h - time as the core sees it.
 *
 * The core never reads a clock. Every event carries an mn_time: `mono` is a
 * monotonic clock for timers, `wall` is the wall clock for the few places a
 * protocol needs one (WireGuard's TAI64N timestamps, invite expiry, `wg show`
 * handshake ages). Both are nanoseconds in a uint64_t; the simulator supplies
 * virtual values for both. MN_NEVER is "no deadline".
 */
#ifndef MN_TIME_H
#define MN_TIME_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t mn_ns;

#define MN_NEVER UINT64_MAX
#define MN_NS_PER_US UINT64_C(1000)
#define MN_NS_PER_MS UINT64_C(1000000)
#define MN_NS_PER_SEC UINT64_C(1000000000)

struct mn_time {
	mn_ns mono; /* monotonic, for timers */
	mn_ns wall; /* nanoseconds since the Unix epoch */
};

/* Overflow-safe comparisons for monotonic instants: right whenever the two
 * are less than 2^63 ns (292 years) apart, so a mono clock may start
 * anywhere and wrap. MN_NEVER is not an instant: test for it first. */
static inline bool mn_time_after_eq(mn_ns a, mn_ns b)
{
	return (int64_t)(a - b) >= 0;
}

static inline bool mn_time_before(mn_ns a, mn_ns b)
{
	return (int64_t)(a - b) < 0;
}

/* true when `when` is set (nonzero) and now >= when + age */
static inline bool mn_elapsed(mn_ns now, mn_ns when, mn_ns age)
{
	return now - when >= age;
}

/* The earlier of two deadlines, MN_NEVER being none: wrap-safe like the
 * comparisons above (a plain minimum picks the wrong one across a wrap). */
static inline mn_ns mn_min_deadline(mn_ns a, mn_ns b)
{
	if (a == MN_NEVER)
		return b;
	if (b == MN_NEVER)
		return a;
	return mn_time_before(b, a) ? b : a;
}

#endif
