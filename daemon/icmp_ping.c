/* icmp_ping.c - ICMP echo for `meshnode ping` (icmp_ping.h). */
#include "icmp_ping.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver.h"
#include "mn_err.h"
#include "mn_time.h"
#include "mn_wire.h"

_Static_assert(ICMP_PING_LEN == 64, "a ping(8)-sized echo request");

uint16_t icmp_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += mn_get_be16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void icmp_ping_build(uint8_t buf[ICMP_PING_LEN], int family, uint16_t id, uint16_t seq)
{
	buf[ICMP_OFF_TYPE] = family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQ;
	buf[ICMP_OFF_CODE] = 0;
	mn_put_be16(buf + ICMP_OFF_CSUM, 0);
	mn_put_be16(buf + ICMP_OFF_ID, id);
	mn_put_be16(buf + ICMP_OFF_SEQ, seq);
	for (int i = 0; i < ICMP_PING_DATA_LEN; i++)
		buf[ICMP_OFF_DATA + i] = (uint8_t)i;
	if (family == AF_INET)
		mn_put_be16(buf + ICMP_OFF_CSUM, icmp_checksum(buf, ICMP_PING_LEN));
}

bool icmp_ping_is_reply(const uint8_t *buf, size_t len, int family, uint16_t id,
			uint16_t *seq)
{
	if (family == AF_INET) {
		size_t ihl;

		if (len < IPV4_HDR_MIN || buf[IPV4_OFF_VER_IHL] >> 4 != 4 ||
		    buf[IPV4_OFF_PROTO] != IPV4_PROTO_ICMP)
			return false;
		ihl = (size_t)(buf[IPV4_OFF_VER_IHL] & 0x0f) * 4;
		if (ihl < IPV4_HDR_MIN || ihl > len)
			return false;
		buf += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR_LEN || buf[ICMP_OFF_CODE] != 0 ||
	    buf[ICMP_OFF_TYPE] != (family == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REP) ||
	    mn_get_be16(buf + ICMP_OFF_ID) != id)
		return false;
	if (family == AF_INET && icmp_checksum(buf, len) != 0)
		return false;
	*seq = mn_get_be16(buf + ICMP_OFF_SEQ);
	return true;
}

/* ---- the socket ---- */

static uint64_t mono_ns(void)
{
	return driver_now().mono;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static socklen_t sockaddr_of(const struct icmp_pinger *p, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (p->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, p->dst, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	memcpy(&in6->sin6_addr, p->dst, 16);
	return sizeof(*in6);
}

/* Did ss come from the address we ping? */
static bool from_dst(const struct icmp_pinger *p, const struct sockaddr_storage *ss)
{
	if (p->family == AF_INET)
		return ss->ss_family == AF_INET &&
		       !memcmp(&((const struct sockaddr_in *)ss)->sin_addr, p->dst, 4);
	return ss->ss_family == AF_INET6 &&
	       !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, p->dst, 16);
}

int icmp_ping_open(struct icmp_pinger *p, int family, const uint8_t *dst, uint16_t id)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (family != AF_INET && family != AF_INET6)
		return MN_EINVAL;
	p->family = family;
	p->id = id;
	memcpy(p->dst, dst, addr_len(family));
	p->fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (p->fd < 0)
		return MN_EIO;
	if (family == AF_INET6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REP, &f);
		if (setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) != 0) {
			int e = errno;

			icmp_ping_close(p);
			errno = e;
			return MN_EIO;
		}
	}
	return MN_OK;
}

int icmp_ping_once(struct icmp_pinger *p, uint16_t seq, int timeout_ms, uint64_t *rtt_ns)
{
	uint8_t req[ICMP_PING_LEN], buf[ICMP_PING_RX_MAX];
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(p, &ss);
	uint64_t t0, deadline;

	icmp_ping_build(req, p->family, p->id, seq);
	t0 = mono_ns();
	deadline = t0 + (uint64_t)timeout_ms * MN_NS_PER_MS;
	if (sendto(p->fd, req, sizeof(req), 0, (struct sockaddr *)&ss, sl) != (ssize_t)sizeof(req))
		return MN_EIO;
	for (;;) {
		uint64_t now = mono_ns();
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };
		uint16_t got;
		ssize_t n;
		int r;

		if (now >= deadline)
			return MN_EEXPIRED;
		/* round up, so a wait never ends just short of the deadline */
		r = poll(&pf, 1, (int)((deadline - now + MN_NS_PER_MS - 1) / MN_NS_PER_MS));
		if (r < 0 && errno != EINTR)
			return MN_EIO;
		if (r <= 0)
			continue;
		sl = sizeof(ss);
		n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return MN_EIO;
		}
		if ((size_t)n < sizeof(buf) && from_dst(p, &ss) &&
		    icmp_ping_is_reply(buf, (size_t)n, p->family, p->id, &got) && got == seq) {
			*rtt_ns = mono_ns() - t0;
			return MN_OK;
		}
	}
}

void icmp_ping_close(struct icmp_pinger *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
