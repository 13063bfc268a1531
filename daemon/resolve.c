/* resolve.c - endpoint text to a socket address (getaddrinfo). */
#include "resolve.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mn_err.h"

int resolve_endpoint(const char *text, struct mn_addr *out, char *err, size_t errlen)
{
	char host[RESOLVE_HOST_MAX];
	const char *port, *end;
	struct addrinfo hints, *res = NULL, *ai;
	int rc = EAI_NONAME;

	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':') {
			snprintf(err, errlen, "endpoint \"%s\": expected [IPv6]:port", text);
			return MN_ESYNTAX;
		}
		text++;
		port = end + 2;
	} else {
		end = strrchr(text, ':');
		if (!end || memchr(text, ':', (size_t)(end - text))) {
			snprintf(err, errlen, "endpoint \"%s\": expected host:port "
				 "(IPv6 addresses in brackets)", text);
			return MN_ESYNTAX;
		}
		port = end + 1;
	}
	if (end == text || (size_t)(end - text) >= sizeof(host) || !*port) {
		snprintf(err, errlen, "endpoint \"%s\": bad host or port", text);
		return MN_ESYNTAX;
	}
	memcpy(host, text, (size_t)(end - text));
	host[end - text] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		for (int tries = 0; tries < RESOLVE_TRIES; tries++) {
			rc = getaddrinfo(host, port, &hints, &res);
			if (rc != EAI_AGAIN)
				break;
			sleep(RESOLVE_WAIT_S);
		}
	}
	if (rc != 0) {
		snprintf(err, errlen, "endpoint \"%s\": %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return MN_ENOENT;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*out))
			break;
	if (!ai) {
		freeaddrinfo(res);
		snprintf(err, errlen, "endpoint \"%s\": no IPv4 or IPv6 address", host);
		return MN_ENOENT;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	mn_addr_unmap(out);
	return MN_OK;
}
