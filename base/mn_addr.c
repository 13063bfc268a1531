#include "mn_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"

bool mn_addr_is_set(const struct mn_addr *a)
{
	return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

bool mn_addr_eq(const struct mn_addr *a, const struct mn_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return a->sa.sa_family == AF_UNSPEC;
}

socklen_t mn_addr_socklen(const struct mn_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (a->sa.sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	if (*s < '0' || *s > '9')
		return MN_ESYNTAX;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return MN_ERANGE;
	*port = (uint16_t)v;
	return MN_OK;
}

int mn_addr_parse(struct mn_addr *out, const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	uint16_t port;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return MN_ESYNTAX;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		if ((rc = parse_port(close + 2, &port)) < 0)
			return rc;
		if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) != 1)
			return MN_ESYNTAX;
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(port);
		return MN_OK;
	}
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return MN_ESYNTAX;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	if ((rc = parse_port(colon + 1, &port)) < 0)
		return rc;
	if (inet_pton(AF_INET, host, &out->in4.sin_addr) != 1)
		return MN_ESYNTAX;
	out->in4.sin_family = AF_INET;
	out->in4.sin_port = htons(port);
	return MN_OK;
}

const char *mn_addr_format(const struct mn_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in4.sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->in4.sin_port));
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->in6.sin6_port));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

void mn_addr_unmap(struct mn_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (a->sa.sa_family != AF_INET6 ||
	    memcmp(&a->in6.sin6_addr, mapped, sizeof(mapped)) != 0)
		return;
	struct sockaddr_in in4;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = a->in6.sin6_port;
	memcpy(&in4.sin_addr, (const uint8_t *)&a->in6.sin6_addr + 12, 4);
	memset(a, 0, sizeof(*a));
	a->in4 = in4;
}

void mn_prefix_normalize(struct mn_prefix *p)
{
	unsigned total = p->family == AF_INET ? 4 : 16;
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;
		if (i >= total || lo >= p->bits) {
			p->addr[i] = 0;
		} else if (p->bits - lo < 8) {
			p->addr[i] &= (uint8_t)(0xff << (8 - (p->bits - lo)));
		}
	}
}

int mn_prefix_parse(struct mn_prefix *out, const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;

	memset(out, 0, sizeof(*out));
	if (hlen == 0 || hlen >= sizeof(host))
		return MN_ESYNTAX;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return MN_ESYNTAX;
	unsigned max = out->family == AF_INET ? 32 : 128;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return MN_ESYNTAX;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || *end)
			return MN_ESYNTAX;
		if (bits > max)
			return MN_ERANGE;
	} else {
		bits = max;
	}
	out->bits = (uint8_t)bits;
	mn_prefix_normalize(out);
	return MN_OK;
}

const char *mn_prefix_format(const struct mn_prefix *p, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	inet_ntop(p->family == AF_INET ? AF_INET : AF_INET6, p->addr, host, sizeof(host));
	snprintf(buf, len, "%s/%u", host, p->bits);
	return buf;
}
