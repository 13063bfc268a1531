/* driver_internal.h - what driver.c and driver_routes.c share: the
 * driver's state and its log helpers. Not an API: callers use driver.h. */
#ifndef DAEMON_DRIVER_INTERNAL_H
#define DAEMON_DRIVER_INTERNAL_H

#include <stdbool.h>

#include "driver.h"
#include "netlink.h"
#include "offload.h"
#include "tun.h"

struct driver_sock {
	uv_poll_t poll;
	struct driver *drv;
	int fd;
};

struct driver {
	uv_loop_t *loop;
	struct wg_dev *dev;
	struct driver_core core; /* the wg_dev's calls, or opts.core's */
	void *cctx;
	struct driver_opts opts;
	char ifname[TUN_NAME_MAX + 1];
	uint32_t mtu;

	int tun_fd;
	int ifindex;
	bool offload;   /* TSO/GRO with the TUN (tun_open) */
	uint8_t *super; /* one TUN read: vnet header + up to 64 KiB */
	uint8_t *gro_arena;
	struct offload_gro gro;
	uv_poll_t tun_poll;
	bool tun_poll_init;
	bool dead; /* the TUN went away; on_dead was called */

	uv_timer_t timer;
	bool timer_init;
	mn_ns armed; /* deadline the timer is armed for, MN_NEVER when stopped */

	uv_idle_t idle; /* continues a drain that hit DRIVER_DRAIN_BATCHES */
	bool idle_init;

	struct driver_sock *sock4, *sock6;
	uint16_t port;
	uint32_t fwmark;

	struct netlink_sock nl;
	struct netlink_sock mon; /* link monitor: deletion, MTU changes */
	uv_poll_t mon_poll;
	bool mon_poll_init;

	/* The packet path: DRIVER_BATCH buffers of buf_size bytes, one arena. */
	size_t buf_size;
	uint8_t *arena;
	uint8_t *bufs[DRIVER_BATCH];
	struct udp_batch rx;
	struct udp_batch tx4, tx6;

	/* Routes this driver installed, sorted (prefix_cmp). */
	struct mn_prefix *routes;
	size_t n_routes;
	bool warned_default[2]; /* 0.0.0.0/0, ::/0 */

	unsigned closing; /* handles whose close callback is pending */
	void (*done)(void *ctx);
	void *done_ctx;

	struct driver_stats stats;
};

/* Errors and warnings, always (driver__log); what was set up, unless the
 * quiet option is on (driver__info). One line each, prefixed with the
 * interface's name, on stderr. */
void driver__log(const struct driver *drv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void driver__info(const struct driver *drv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
