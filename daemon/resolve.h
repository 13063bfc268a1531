/* resolve.h - a peer endpoint as configured ("host:port", "[v6]:port") to a
 * socket address. Blocking (getaddrinfo, retried on a temporary failure):
 * call it at start-up, before the loop runs, or from the thread pool. */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stddef.h>

#include "mn_addr.h"

enum resolve_limits {
	RESOLVE_HOST_MAX = 256, /* endpoint host name */
	RESOLVE_TRIES = 5,      /* getaddrinfo attempts on a temporary failure */
	RESOLVE_WAIT_S = 1
};

/* Resolve "host:port" or "[v6]:port". A numeric address keeps its family;
 * a name takes the resolver's first IPv4 or IPv6 answer (AI_ADDRCONFIG:
 * only families this host has addresses for); IPv4-mapped addresses are
 * unmapped. MN_ESYNTAX for a malformed text, MN_ENOENT when the name does
 * not resolve; either way err holds a message naming the endpoint. */
int resolve_endpoint(const char *text, struct mn_addr *out, char *err, size_t errlen);

#endif
