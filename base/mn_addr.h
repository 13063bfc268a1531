/* mn_addr.h - underlay socket addresses and IP prefixes.
 *
 * The core treats addresses as plain values: compared, hashed, formatted.
 * Nothing here resolves names or touches a socket.
 */
#ifndef MN_ADDR_H
#define MN_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 UDP endpoint. sa.sa_family == AF_UNSPEC means "none". */
struct mn_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	};
};

/* Longest "[ipv6%scope]:port" text plus NUL. */
#define MN_ADDR_STRLEN 64

bool mn_addr_is_set(const struct mn_addr *a);
/* Same family, address, port (and IPv6 scope id). */
bool mn_addr_eq(const struct mn_addr *a, const struct mn_addr *b);
socklen_t mn_addr_socklen(const struct mn_addr *a);
/* Parse a numeric "1.2.3.4:51820" or "[2001:db8::1]:51820".
 * MN_ESYNTAX when it is not one; no name resolution. */
int mn_addr_parse(struct mn_addr *out, const char *s);
/* Format as above into buf (>= MN_ADDR_STRLEN); "(none)" when unset. */
const char *mn_addr_format(const struct mn_addr *a, char *buf, size_t len);
/* Convert an IPv4-mapped IPv6 address (::ffff:a.b.c.d) to plain IPv4, in place. */
void mn_addr_unmap(struct mn_addr *a);

/* An IP prefix: family AF_INET (bits <= 32) or AF_INET6 (bits <= 128).
 * Bits past `bits` in addr are zero after mn_prefix_parse/normalize. */
struct mn_prefix {
	uint8_t family;
	uint8_t bits;
	uint8_t addr[16];
};

#define MN_PREFIX_STRLEN 50

/* Parse "100.64.0.1/32", "fd00::/8" or a bare address (full length).
 * Host bits are cleared. MN_ESYNTAX / MN_ERANGE on bad input. */
int mn_prefix_parse(struct mn_prefix *out, const char *s);
const char *mn_prefix_format(const struct mn_prefix *p, char *buf, size_t len);
void mn_prefix_normalize(struct mn_prefix *p);

#endif
