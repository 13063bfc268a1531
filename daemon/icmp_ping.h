/* icmp_ping.h - ICMP echo for `meshnode ping`: the echo request and reply
 * of ICMP (RFC 792) and ICMPv6 (RFC 4443 §4.1), the Internet checksum
 * (RFC 1071), and a raw socket that sends one request and waits for its
 * reply.
 *
 * The message (both families), big-endian:
 *   type (1) | code (1) = 0 | checksum (2) | identifier (2) | sequence (2) |
 *   data (ICMP_PING_DATA_LEN: bytes 0, 1, 2, ... as ping(8) sends)
 * ICMP's checksum covers the message; ICMPv6's also covers a pseudo-header
 * with both addresses, which the kernel computes for a raw ICMPv6 socket
 * (RFC 3542 §3.1), so a v6 request leaves it zero.
 *
 * A raw IPv4 socket delivers every ICMP datagram with its IPv4 header (our
 * own requests too, when we ping a local address); a raw ICMPv6 socket
 * delivers the ICMPv6 message alone. A reply is ours when its type is
 * echo reply, its source is the address pinged, and identifier and
 * sequence are the ones sent; anything else is ignored. */
#ifndef ICMP_PING_H
#define ICMP_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum icmp_layout {
	ICMP_OFF_TYPE = 0,
	ICMP_OFF_CODE = 1,
	ICMP_OFF_CSUM = 2,
	ICMP_OFF_ID = 4,
	ICMP_OFF_SEQ = 6,
	ICMP_OFF_DATA = 8,
	ICMP_HDR_LEN = ICMP_OFF_DATA,
	ICMP_PING_DATA_LEN = 56, /* ping(8)'s default */
	ICMP_PING_LEN = ICMP_HDR_LEN + ICMP_PING_DATA_LEN,
};

/* The IPv4 header fields a raw socket's datagram is checked by (RFC 791). */
enum ipv4_layout {
	IPV4_OFF_VER_IHL = 0, /* version (high nibble), header length in words */
	IPV4_OFF_PROTO = 9,
	IPV4_HDR_MIN = 20,
	IPV4_PROTO_ICMP = 1,
};

enum icmp_type {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_ECHO_REQUEST = 8,
	ICMP6_ECHO_REQ = 128,
	ICMP6_ECHO_REP = 129,
};

enum icmp_ping_limits {
	ICMP_PING_RX_MAX = 2048, /* a received datagram; longer ones are not ours */
};

/* The Internet checksum of p[0..len) (RFC 1071: the ones' complement of
 * the ones' complement sum of big-endian 16-bit words, an odd last byte
 * padded with zero), to be stored big-endian. Over a message that holds
 * its correct checksum it is 0. */
uint16_t icmp_checksum(const uint8_t *p, size_t len);

/* An echo request into buf[ICMP_PING_LEN]; family AF_INET (checksum
 * filled) or AF_INET6 (checksum left 0 for the kernel). */
void icmp_ping_build(uint8_t buf[ICMP_PING_LEN], int family, uint16_t id, uint16_t seq);

/* Is buf[0..len), as a raw socket of family delivered it, an echo reply
 * with identifier id? Its sequence number into *seq. For AF_INET the IPv4
 * header is checked and skipped and the ICMP checksum verified. */
bool icmp_ping_is_reply(const uint8_t *buf, size_t len, int family, uint16_t id,
			uint16_t *seq);

/* ---- the socket ---- */

struct icmp_pinger {
	int fd;
	int family;
	uint8_t dst[16]; /* 4 or 16 bytes used */
	uint16_t id;
};

/* A raw socket of family (AF_INET: IPPROTO_ICMP; AF_INET6: IPPROTO_ICMPV6,
 * filtered to echo replies) to ping dst (4 or 16 bytes) with identifier
 * id. MN_EIO with errno set when the socket cannot be made (EPERM: it
 * needs root or CAP_NET_RAW). */
int icmp_ping_open(struct icmp_pinger *p, int family, const uint8_t *dst, uint16_t id);
/* Send request seq and wait at most timeout_ms for its reply: MN_OK with
 * the round trip in *rtt_ns, MN_EEXPIRED when none came in time, MN_EIO
 * (errno set) when sending or receiving failed. Replies to earlier
 * sequence numbers (late ones) are ignored. */
int icmp_ping_once(struct icmp_pinger *p, uint16_t seq, int timeout_ms, uint64_t *rtt_ns);
void icmp_ping_close(struct icmp_pinger *p);

#endif
