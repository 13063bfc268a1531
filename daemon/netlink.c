/* netlink.c - rtnetlink requests: link MTU/up, addresses, routes.
 *
 * The messages are the kernel's rtnetlink ABI (rtnetlink(7)): a struct
 * nlmsghdr, the family header of the request (ifinfomsg, ifaddrmsg, rtmsg),
 * then attributes. They are host-endian kernel structures, not a wire format,
 * so they are built with the kernel's own types and macros.
 */
#include "netlink.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mn_err.h"

#define NETLINK_REQ_MAX 256   /* our largest request: header + rtmsg + 3 attributes */
#define NETLINK_RESP_MAX 8192 /* an ack, or an error echoing our request */

struct netlink_msg {
	union {
		struct nlmsghdr h;
		uint8_t raw[NETLINK_REQ_MAX];
	};
};

/* A bound NETLINK_ROUTE socket, subscribed to groups (0: none). */
static int open_socket(struct netlink_sock *nl, int extra_type, uint32_t groups)
{
	struct sockaddr_nl local;

	nl->seq = 0;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | extra_type, NETLINK_ROUTE);
	if (nl->fd < 0)
		return MN_EIO;
	memset(&local, 0, sizeof(local));
	local.nl_family = AF_NETLINK; /* nl_pid 0: the kernel picks our port id */
	local.nl_groups = groups;
	if (bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int e = errno;
		close(nl->fd);
		nl->fd = -1;
		errno = e;
		return MN_EIO;
	}
	return MN_OK;
}

int netlink_open(struct netlink_sock *nl)
{
	struct timeval tv = {
		.tv_sec = NETLINK_TIMEOUT_MS / 1000,
		.tv_usec = (NETLINK_TIMEOUT_MS % 1000) * 1000,
	};
	int rc = open_socket(nl, 0, 0);

	if (rc == MN_OK && setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;
		netlink_close(nl);
		errno = e;
		return MN_EIO;
	}
	return rc;
}

void netlink_close(struct netlink_sock *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static void *msg_init(struct netlink_msg *m, uint16_t type, uint16_t flags, size_t fixed)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(fixed);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&m->h);
}

static int msg_attr(struct netlink_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	size_t alen = RTA_LENGTH(len);
	struct rtattr *rta;

	if (off + RTA_ALIGN(alen) > sizeof(m->raw)) {
		errno = EMSGSIZE;
		return MN_EMSGSIZE;
	}
	rta = (struct rtattr *)(m->raw + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)alen;
	memcpy(RTA_DATA(rta), data, len);
	m->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
	return MN_OK;
}

static int map_errno(int e)
{
	errno = e;
	switch (e) {
	case EEXIST:
		return MN_EEXIST;
	case ENOENT:
	case ESRCH:
	case ENODEV:
	case EADDRNOTAVAIL:
		return MN_ENOENT;
	default:
		return MN_EIO;
	}
}

/* Send one request and wait for its acknowledgement. */
static int transact(struct netlink_sock *nl, struct netlink_msg *m)
{
	union {
		struct nlmsghdr h;
		uint8_t raw[NETLINK_RESP_MAX];
	} resp;
	struct sockaddr_nl kernel;
	ssize_t n;

	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	m->h.nlmsg_seq = ++nl->seq;
	do {
		n = sendto(nl->fd, m->raw, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return map_errno(errno);

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		struct nlmsghdr *h;
		size_t left;

		n = recvfrom(nl->fd, resp.raw, sizeof(resp.raw), 0, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return map_errno(errno == EAGAIN ? ETIMEDOUT : errno);
		if (from.nl_pid != 0)
			continue; /* only the kernel answers requests */
		left = (size_t)n;
		for (h = &resp.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_seq != m->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return MN_OK;
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return map_errno(EPROTO);
			e = NLMSG_DATA(h);
			return e->error == 0 ? MN_OK : map_errno(-e->error);
		}
	}
}

static int link_change(struct netlink_sock *nl, int ifindex, uint32_t mtu, bool up)
{
	struct netlink_msg m;
	struct ifinfomsg *ifi = msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	int rc;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (mtu && (rc = msg_attr(&m, IFLA_MTU, &mtu, sizeof(mtu))) < 0)
		return rc;
	return transact(nl, &m);
}

int netlink_link_set_mtu(struct netlink_sock *nl, int ifindex, uint32_t mtu)
{
	return link_change(nl, ifindex, mtu, false);
}

int netlink_link_set_up(struct netlink_sock *nl, int ifindex)
{
	return link_change(nl, ifindex, 0, true);
}

static size_t family_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int netlink_addr_add(struct netlink_sock *nl, int ifindex, const struct mn_prefix *addr)
{
	struct netlink_msg m;
	struct ifaddrmsg *ifa = msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	size_t alen = family_len(addr->family);
	int rc;

	if (!alen) {
		errno = EAFNOSUPPORT;
		return MN_EIO;
	}
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = addr->bits;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* IFA_LOCAL == IFA_ADDRESS: a plain (not point-to-point) address. */
	if ((rc = msg_attr(&m, IFA_LOCAL, addr->addr, alen)) < 0 ||
	    (rc = msg_attr(&m, IFA_ADDRESS, addr->addr, alen)) < 0)
		return rc;
	return transact(nl, &m);
}

static int route_change(struct netlink_sock *nl, int ifindex, const struct mn_prefix *dst, bool add)
{
	struct netlink_msg m;
	struct rtmsg *rt;
	size_t alen = family_len(dst->family);
	uint32_t oif = (uint32_t)ifindex;
	int rc;

	if (!alen) {
		errno = EAFNOSUPPORT;
		return MN_EIO;
	}
	rt = msg_init(&m, add ? RTM_NEWROUTE : RTM_DELROUTE,
		      add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(*rt));
	rt->rtm_family = dst->family;
	rt->rtm_dst_len = dst->bits;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = NETLINK_ROUTE_PROTO;
	rt->rtm_type = RTN_UNICAST;
	if (!add)
		rt->rtm_scope = RT_SCOPE_NOWHERE; /* "any scope" when deleting */
	else if (dst->family == AF_INET)
		rt->rtm_scope = RT_SCOPE_LINK; /* directly through the device */
	else
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
	if (dst->bits && (rc = msg_attr(&m, RTA_DST, dst->addr, alen)) < 0)
		return rc;
	if ((rc = msg_attr(&m, RTA_OIF, &oif, sizeof(oif))) < 0)
		return rc;
	return transact(nl, &m);
}

int netlink_route_add(struct netlink_sock *nl, int ifindex, const struct mn_prefix *dst)
{
	return route_change(nl, ifindex, dst, true);
}

int netlink_route_del(struct netlink_sock *nl, int ifindex, const struct mn_prefix *dst)
{
	return route_change(nl, ifindex, dst, false);
}

/* ---- link monitor ---- */

int netlink_monitor_open(struct netlink_sock *nl)
{
	return open_socket(nl, SOCK_NONBLOCK,
			   RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
}

/* An address of another interface than ours, global in scope: link-local
 * ones (fe80::/10, which every link up brings) and the loopback's say
 * nothing about where the host is. */
static void addr_news_fold(const struct nlmsghdr *h, int ifindex, struct netlink_link_news *news)
{
	const struct ifaddrmsg *ifa;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	ifa = NLMSG_DATA(h);
	if ((int)ifa->ifa_index != ifindex && ifa->ifa_scope == RT_SCOPE_UNIVERSE)
		news->addrs = true;
}

static void link_news_fold(const struct nlmsghdr *h, int ifindex, struct netlink_link_news *news)
{
	const struct ifinfomsg *ifi;
	const struct rtattr *rta;
	size_t left;

	if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
		addr_news_fold(h, ifindex, news);
		return;
	}
	if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
		return;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	ifi = NLMSG_DATA(h);
	if (ifi->ifi_index != ifindex)
		return;
	if (h->nlmsg_type == RTM_DELLINK) {
		news->gone = true;
		return;
	}
	left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type == IFLA_MTU && RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			memcpy(&news->mtu, RTA_DATA(rta), sizeof(uint32_t));
}

int netlink_monitor_read(struct netlink_sock *nl, int ifindex, struct netlink_link_news *news)
{
	union {
		struct nlmsghdr h;
		uint8_t raw[NETLINK_RESP_MAX];
	} buf;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(nl->fd, buf.raw, sizeof(buf.raw), 0, (struct sockaddr *)&from,
				     &fromlen);
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return MN_OK;
		if (n < 0 && errno == ENOBUFS) {
			news->overrun = true; /* notifications were lost */
			continue;
		}
		if (n < 0)
			return MN_EIO;
		if (from.nl_pid != 0)
			continue; /* only the kernel sends notifications */
		left = (size_t)n;
		for (const struct nlmsghdr *h = &buf.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			link_news_fold(h, ifindex, news);
	}
}
