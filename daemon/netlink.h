/* netlink.h - the few rtnetlink requests the driver needs.
 *
 * Set a link's MTU, bring it up, add interface addresses, add and remove
 * routes through an interface; and listen for a link's deletion and MTU
 * changes (the link monitor, at the end). Each call sends one request and waits for the
 * kernel's acknowledgement (bounded by NETLINK_TIMEOUT_MS): this is the control
 * path (start-up, `wg set`), never the packet path. No shelling out to `ip`.
 *
 * Errors: MN_OK on success; MN_EEXIST when the address or route is already
 * there; MN_ENOENT when the link, address or route does not exist; MN_EIO for
 * anything else. On every failure errno holds the kernel's (or the socket
 * layer's) errno, so callers can print strerror(errno).
 */
#ifndef NETLINK_H
#define NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "mn_addr.h"

#define NETLINK_TIMEOUT_MS 2000

/* The routes this driver installs carry this protocol number, so deleting
 * one never removes a route the kernel (proto kernel) or an admin made. */
#define NETLINK_ROUTE_PROTO 4 /* RTPROT_STATIC, what `ip route add ... proto static` sets */

struct netlink_sock {
	int fd;
	uint32_t seq;
};

int netlink_open(struct netlink_sock *nl);
void netlink_close(struct netlink_sock *nl);

int netlink_link_set_mtu(struct netlink_sock *nl, int ifindex, uint32_t mtu);
int netlink_link_set_up(struct netlink_sock *nl, int ifindex);
/* addr keeps its host bits: 100.64.0.1/24 is address 100.64.0.1 on a /24. */
int netlink_addr_add(struct netlink_sock *nl, int ifindex, const struct mn_prefix *addr);
/* dst is a normalized prefix; the route goes through ifindex, main table. */
int netlink_route_add(struct netlink_sock *nl, int ifindex, const struct mn_prefix *dst);
int netlink_route_del(struct netlink_sock *nl, int ifindex, const struct mn_prefix *dst);

/* ---- link monitor ----
 * A second socket, subscribed to the kernel's link and address
 * notifications (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR),
 * tells when our interface is deleted (`ip link del`, what `wg-quick down`
 * does) or its MTU changed (`ip link set mtu`), and when a global address
 * of another interface came or went (the host moved: the mesh re-proves
 * its address). It is non-blocking and read when it polls readable. */

/* What the queued notifications said about one interface. */
struct netlink_link_news {
	bool gone;      /* RTM_DELLINK seen, or the link no longer exists */
	uint32_t mtu;   /* the last MTU announced, 0 if none */
	bool overrun;   /* some were lost (ENOBUFS): check the link yourself */
	bool addrs;     /* a global (scope universe) address of another
			 * interface was added or removed */
};

/* Open a non-blocking, close-on-exec socket subscribed to link changes.
 * MN_EIO on failure (errno set). Close it with netlink_close(). */
int netlink_monitor_open(struct netlink_sock *nl);

/* Read every queued notification and fold those about ifindex (and the
 * other interfaces' addresses) into *news (which the caller zeroes). MN_OK, or MN_EIO on a socket error (errno
 * set). */
int netlink_monitor_read(struct netlink_sock *nl, int ifindex, struct netlink_link_news *news);

#endif
