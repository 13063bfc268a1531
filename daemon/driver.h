/* driver.h - the real driver: a libuv loop driving a wg_dev (or a core that
 * wraps one, struct driver_core: the mesh node core).
 *
 * The driver owns the I/O the core never touches: a Linux TUN device with
 * its MTU, addresses and routes (rtnetlink), one non-blocking UDP socket per
 * address family under uv_poll (recvmmsg/sendmmsg batches), the clock, and
 * one uv_timer armed to the device's next deadline. It feeds events to the
 * device and sends what the device returns (see wg.h):
 *
 *   UDP readable -> recvmmsg a batch -> wg_dev_udp_in() each -> write(tun)
 *   TUN readable -> read a batch     -> wg_dev_tun_in() each -> sendmmsg
 *   after every batch and timer      -> wg_dev_poll_tx() until empty -> sendmmsg
 *   then                             -> re-arm the timer to wg_dev_next_deadline()
 *
 * The packet path allocates nothing: DRIVER_BATCH buffers, sized from the MTU,
 * are allocated once and reused by every callback (each callback finishes its
 * batch before it returns, so no buffer is held across loop turns). Each
 * callback handles at most DRIVER_BATCHES_PER_WAKE batches and returns to the
 * loop, so neither direction starves the other or the timers.
 *
 * A link monitor (netlink.h) watches the interface: deleted -> on_dead;
 * MTU changed by someone else (`ip link set mtu`, wg-quick) -> the device's
 * padding and the buffers follow it.
 *
 * Threading: everything runs on the loop thread. The device pointer is
 * borrowed; it must outlive the driver. Whoever changes the device outside
 * the driver's own callbacks (the UAPI server, a daemon) calls driver_kick()
 * afterwards so queued datagrams go out and the timer follows the new
 * deadline.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mn_addr.h"
#include "mn_time.h"
#include "offload.h"
#include "uapi.h"
#include "udp.h"
#include "wg.h"

enum driver_limits {
	DRIVER_BATCH = UDP_BATCH,        /* packets per recvmmsg / TUN read burst / sendmmsg */
	DRIVER_BATCHES_PER_WAKE = 2,     /* batches per readable callback before yielding */
	DRIVER_DRAIN_BATCHES = 16,       /* poll_tx batches per drain; the rest on the next turn */
	DRIVER_DEFAULT_MTU = 1420,       /* wg-quick's default */
	DRIVER_MTU_MIN = 576,            /* IPv6 addresses further need 1280 (kernel rule) */
	DRIVER_MTU_MAX = 9000,           /* jumbo frames; buffers are sized from the MTU */
	DRIVER_MTU_FOLLOW_MAX = 65535,   /* largest MTU set from outside that buffers follow */
	/* one TUN read: vnet header + largest IP packet */
	DRIVER_SUPER_LEN = OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER,
	DRIVER_BUF_MIN = 2048,           /* buffer floor: room for peers with an MTU up to 2000 */
	DRIVER_MAX_ROUTES = 1 << 16,     /* routes installed for AllowedIPs */
	DRIVER_MAX_ADDRESSES = 256       /* interface addresses */
};

/* One received datagram of a batch (driver_core.udp_in_batch). */
struct driver_rx {
	const struct mn_addr *src;
	uint8_t *buf;
	size_t len;
	int rc;                 /* out, as udp_in's result */
	size_t pkt_off, pkt_len; /* out, when rc == 1 */
};

/* What the driver runs: by default the wg_dev given to driver_new (its
 * wg_dev_* calls); a daemon that wraps the device in something larger (the
 * mesh node core, node/node.h) passes these instead, with the same
 * contracts as the wg_dev calls they stand for (wg.h). The wg_dev is still
 * the driver's for its MTU, the routes of driver_sync_routes and the UAPI. */
struct driver_core {
	mn_ns (*next_deadline)(void *ctx);
	void (*on_timer)(void *ctx, struct mn_time now);
	int (*poll_tx)(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst);
	int (*udp_in)(void *ctx, const struct mn_addr *src, uint8_t *buf, size_t len,
		      struct mn_time now, size_t *pkt_off, size_t *pkt_len);
	int (*tun_in)(void *ctx, uint8_t *buf, size_t cap, size_t len, struct mn_time now,
		      struct mn_addr *dst, size_t *out_len);
	/* Optional (NULL: udp_in for each): a whole receive batch at once,
	 * for a core that orders it (the node core handles control before
	 * data). Each entry as udp_in: rc, and the packet for the TUN at
	 * buf[pkt_off .. pkt_off + pkt_len) when rc == 1; delivered in
	 * arrival order. */
	void (*udp_in_batch)(void *ctx, struct driver_rx *rx, unsigned n, struct mn_time now);
};

struct driver_opts {
	const char *ifname;                 /* TUN device to create */
	uint32_t mtu;                       /* 0 = DRIVER_DEFAULT_MTU */
	uint16_t listen_port;               /* 0 = random */
	uint32_t fwmark;                    /* 0 = none */
	const struct mn_prefix *addresses;  /* host bits kept: 100.64.0.1/24; */
	size_t n_addresses;                 /* read during driver_new() only */
	bool no_routes;                     /* leave routes alone (wg-quick makes them) */
	bool quiet;                         /* log errors only, not what was set up */
	/* Called once if the TUN device goes away under us; the driver has
	 * stopped reading it. deleted: the interface was deleted (`ip link
	 * del`, what `wg-quick down` does), as opposed to a TUN read error.
	 * May be NULL. */
	void (*on_dead)(void *ctx, bool deleted, const char *why);
	/* Called when a global address of another interface came or went (or
	 * notifications were lost): the host may have moved. May be NULL; a
	 * burst of changes calls it once per monitor read. */
	void (*on_addrs_changed)(void *ctx);
	void *ctx;
	const struct driver_core *core; /* NULL: the wg_dev itself; else copied */
	void *core_ctx;                 /* the core's calls get this */
};

/* Counters of what the driver saw (the device counts its own drops by
 * reason: wg_dev_drops()). */
struct driver_stats {
	uint64_t udp_rx, udp_tx;   /* datagrams received / handed to the kernel */
	uint64_t tun_rx, tun_tx;   /* packets read from / written to the TUN */
	uint64_t udp_rx_trunc;     /* datagrams larger than a buffer */
	uint64_t udp_tx_drop;      /* socket buffer full, unreachable, too big */
	uint64_t tun_tx_drop;      /* TUN writes the kernel refused */
	uint64_t tun_rx_bad;       /* TUN reads we could not segment */
	uint64_t no_socket;        /* datagrams for a family we have no socket for */
	uint64_t core_drop;        /* packets the device refused */
};

struct driver;

/* The clock the core runs on: CLOCK_MONOTONIC and CLOCK_REALTIME in ns. */
struct mn_time driver_now(void);

/* Create the TUN device, set its MTU, add the addresses, bring it up, bind
 * the UDP sockets, install a route per AllowedIPs prefix of the device's
 * peers (default routes are skipped with a warning; none with no_routes),
 * and start polling.
 * Prints one line per step of interest to stderr.
 * Errors: MN_EINVAL bad options; MN_EBUSY the port or interface is in use;
 * MN_EEXIST the name is taken by another kind of interface; MN_EIO or
 * MN_ENOENT a system call failed (a message naming it went to stderr).
 * On failure everything created is being torn down; handles may still be
 * closing, so run the loop once more before closing it. */
int driver_new(struct driver **out, uv_loop_t *loop, struct wg_dev *dev,
	       const struct driver_opts *opts);

/* Stop, close the TUN device (the interface disappears) and the sockets,
 * and free the driver once libuv has closed its handles; done(ctx) is called
 * then (may be NULL). The device is not touched. */
void driver_close(struct driver *drv, void (*done)(void *ctx), void *ctx);

/* Send what the device queued and re-arm the timer. */
void driver_kick(struct driver *drv);

/* Make the routes through the interface match the peers' AllowedIPs: add the
 * missing ones, remove the ones this driver added that are no longer wanted.
 * Returns the first error (the other routes are still tried). Nothing with
 * the no_routes option. */
int driver_sync_routes(struct driver *drv);

/* Add (add) or remove one route through the interface, whatever
 * no_routes says: for a daemon that decides its routes itself (the mesh's
 * route actions). Not remembered by driver_sync_routes. MN_OK, MN_EEXIST
 * (add: there already), MN_ENOENT (remove: not there), MN_EIO (errno set). */
int driver_route(struct driver *drv, bool add, const struct mn_prefix *dst);

uint16_t driver_listen_port(const struct driver *drv);
/* Rebind both sockets to port (0 = random). MN_EBUSY when it is in use; the
 * old sockets stay then. Same port: nothing to do. */
int driver_set_listen_port(struct driver *drv, uint16_t port);
uint32_t driver_fwmark(const struct driver *drv);
int driver_set_fwmark(struct driver *drv, uint32_t mark);

/* Fill in the UAPI callbacks (listen port, fwmark, peers_changed -> routes)
 * with this driver as their context. */
void driver_uapi_host(struct driver *drv, struct uapi_host *host);

const char *driver_ifname(const struct driver *drv);
void driver_get_stats(const struct driver *drv, struct driver_stats *out);

#endif
