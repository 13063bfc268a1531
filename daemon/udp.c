/* udp.c - non-blocking UDP sockets, recvmmsg/sendmmsg batches. */
#include "udp.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "mn_err.h"

static int sys_err(int e)
{
	errno = e;
	if (e == EADDRINUSE)
		return MN_EBUSY;
	if (e == EAFNOSUPPORT || e == EPROTONOSUPPORT || e == EADDRNOTAVAIL)
		return MN_ENOENT;
	return MN_EIO;
}

/* Large buffers absorb bursts between two loop turns. The FORCE forms pass
 * the sysctl caps when we have CAP_NET_ADMIN; otherwise take what we get. */
static void set_bufsize(int fd)
{
	int v = UDP_SOCKBUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

int udp_set_fwmark(int fd, uint32_t mark)
{
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		return sys_err(errno);
	return MN_OK;
}

int udp_open(int family, uint16_t port, uint32_t fwmark, int *fd_out)
{
	struct mn_addr local;
	int fd, one = 1, e;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sys_err(errno);
	memset(&local, 0, sizeof(local));
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto fail;
		local.in6.sin6_family = AF_INET6;
		local.in6.sin6_port = htons(port);
		local.in6.sin6_addr = in6addr_any;
	} else {
		local.in4.sin_family = AF_INET;
		local.in4.sin_port = htons(port);
		local.in4.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	if (fwmark && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) < 0)
		goto fail;
	set_bufsize(fd);
	if (bind(fd, &local.sa, mn_addr_socklen(&local)) < 0)
		goto fail;
	*fd_out = fd;
	return MN_OK;
fail:
	e = errno;
	close(fd);
	return sys_err(e);
}

int udp_local_port(int fd, uint16_t *port)
{
	struct mn_addr a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, &a.sa, &len) < 0)
		return sys_err(errno);
	*port = ntohs(a.sa.sa_family == AF_INET6 ? a.in6.sin6_port : a.in4.sin_port);
	return MN_OK;
}

int udp_open_pair(uint16_t port, uint32_t fwmark, int *fd4, int *fd6, uint16_t *bound)
{
	int tries = port ? 1 : UDP_RANDOM_PORT_TRIES;
	int rc = MN_EIO;

	*fd4 = *fd6 = -1;
	while (tries-- > 0) {
		uint16_t p = port;
		int rc6;

		rc = udp_open(AF_INET, port, fwmark, fd4);
		if (rc == MN_ENOENT) {
			/* No IPv4 here: IPv6 alone decides the port. */
			*fd4 = -1;
			rc = udp_open(AF_INET6, port, fwmark, fd6);
			if (rc < 0)
				return rc;
			return udp_local_port(*fd6, bound) < 0 ? MN_EIO : MN_OK;
		}
		if (rc < 0)
			return rc;
		if ((rc = udp_local_port(*fd4, &p)) < 0)
			break;
		rc6 = udp_open(AF_INET6, p, fwmark, fd6);
		if (rc6 == MN_OK || rc6 == MN_ENOENT) {
			if (rc6 == MN_ENOENT)
				*fd6 = -1;
			*bound = p;
			return MN_OK;
		}
		/* The v6 side of the chosen port is taken: with a random
		 * port try another one, else report it. */
		rc = rc6;
		close(*fd4);
		*fd4 = -1;
		if (rc6 != MN_EBUSY)
			return rc6;
	}
	if (*fd4 >= 0) {
		close(*fd4);
		*fd4 = -1;
	}
	return rc;
}

int udp_recv_batch(int fd, struct udp_batch *b, uint8_t *const *bufs, size_t cap, unsigned max)
{
	int n;

	if (max > UDP_BATCH)
		max = UDP_BATCH;
	for (unsigned i = 0; i < max; i++) {
		struct msghdr *h = &b->msg[i].msg_hdr;

		b->iov[i].iov_base = bufs[i];
		b->iov[i].iov_len = cap;
		memset(h, 0, sizeof(*h));
		h->msg_name = &b->addr[i];
		h->msg_namelen = sizeof(b->addr[i]);
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		b->msg[i].msg_len = 0;
	}
	b->n = 0;
	do {
		n = recvmmsg(fd, b->msg, max, 0, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* ECONNREFUSED & co: an ICMP error queued on the socket,
		 * reported once; nothing to read right now. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ||
		    errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ENOBUFS)
			return 0;
		return sys_err(errno);
	}
	for (int i = 0; i < n; i++)
		mn_addr_unmap(&b->addr[i]);
	b->n = (unsigned)n;
	return n;
}

bool udp_batch_add(struct udp_batch *b, uint8_t *buf, size_t len, const struct mn_addr *dst)
{
	struct msghdr *h;
	unsigned i = b->n;

	if (b->ndgram >= UDP_BATCH)
		return false;
	if (b->gso && i > 0) {
		/* join the last message if this continues its segment train */
		unsigned m = i - 1;
		h = &b->msg[m].msg_hdr;
		if (b->iov[b->ndgram - 1].iov_len == b->seg[m] && len <= b->seg[m] &&
		    h->msg_iovlen < UDP_GSO_MAX_SEGS && b->bytes[m] + len <= UDP_GSO_MAX_BYTES &&
		    mn_addr_eq(&b->addr[m], dst)) {
			b->iov[b->ndgram].iov_base = buf;
			b->iov[b->ndgram].iov_len = len;
			b->ndgram++;
			h->msg_iovlen++;
			b->bytes[m] += (uint32_t)len;
			return true;
		}
	}
	b->addr[i] = *dst;
	b->iov[b->ndgram].iov_base = buf;
	b->iov[b->ndgram].iov_len = len;
	h = &b->msg[i].msg_hdr;
	memset(h, 0, sizeof(*h));
	h->msg_name = &b->addr[i];
	h->msg_namelen = mn_addr_socklen(dst);
	h->msg_iov = &b->iov[b->ndgram];
	h->msg_iovlen = 1;
	b->seg[i] = (uint16_t)len;
	b->bytes[i] = (uint32_t)len;
	b->ndgram++;
	b->n = i + 1;
	return true;
}

/* Attach UDP_SEGMENT to messages carrying more than one datagram. */
static void set_segments(struct udp_batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct msghdr *h = &b->msg[i].msg_hdr;
		if (h->msg_iovlen < 2)
			continue;
		h->msg_control = b->ctl[i].buf;
		h->msg_controllen = sizeof(b->ctl[i].buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(h);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &b->seg[i], sizeof(uint16_t));
	}
}

/* Send message i's datagrams one by one (GSO refused). Returns drops. */
static unsigned send_split(int fd, struct udp_batch *b, unsigned i)
{
	struct msghdr h = b->msg[i].msg_hdr;
	unsigned dropped = 0;
	struct iovec *iov = h.msg_iov;
	size_t n = h.msg_iovlen;

	h.msg_control = NULL;
	h.msg_controllen = 0;
	h.msg_iovlen = 1;
	for (size_t k = 0; k < n; k++) {
		h.msg_iov = &iov[k];
		ssize_t r;
		do
			r = sendmsg(fd, &h, MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			dropped++;
	}
	return dropped;
}

unsigned udp_send_batch(int fd, struct udp_batch *b)
{
	unsigned i = 0, dropped = 0;

	set_segments(b);
	while (i < b->n) {
		int n = sendmmsg(fd, b->msg + i, b->n - i, MSG_DONTWAIT);
		if (n > 0) {
			i += (unsigned)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			for (; i < b->n; i++)
				dropped += (unsigned)b->msg[i].msg_hdr.msg_iovlen;
			break;
		}
		if (b->msg[i].msg_hdr.msg_iovlen > 1 &&
		    (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP)) {
			/* the device cannot do UDP GSO: fall back for good */
			b->gso = false;
			dropped += send_split(fd, b, i);
			i++;
			continue;
		}
		/* The first remaining message was refused on its own
		 * (EMSGSIZE, ENETUNREACH, EPERM from a firewall, ...). */
		dropped += (unsigned)b->msg[i].msg_hdr.msg_iovlen;
		i++;
	}
	b->n = 0;
	b->ndgram = 0;
	return dropped;
}
