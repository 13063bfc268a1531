/* udp.h - non-blocking UDP sockets with batched receive and send.
 *
 * One socket per address family (the IPv6 one is IPV6_V6ONLY), both bound to
 * the same port. Datagrams move in batches of up to UDP_BATCH through
 * recvmmsg(2)/sendmmsg(2); buffers stay the caller's.
 *
 * Next steps (DESIGN.md §3): IP_PKTINFO/IPV6_RECVPKTINFO to answer from the
 * address a datagram arrived on (multi-homed hosts), and UDP GSO/GRO
 * (UDP_SEGMENT, UDP_GRO) to move many datagrams per syscall at once.
 */
#ifndef UDP_H
#define UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mn_addr.h"

enum udp_limits {
	UDP_BATCH = 64,                 /* datagrams per recvmmsg/sendmmsg */
	UDP_SOCKBUF_BYTES = 4 << 20,    /* SO_RCVBUF/SO_SNDBUF we ask for */
	UDP_RANDOM_PORT_TRIES = 16      /* random v4 ports tried until v6 binds too */
};

/* Open a non-blocking UDP socket of family AF_INET or AF_INET6 (V6ONLY)
 * bound to port (0 = any) on the wildcard address, with SO_MARK fwmark when
 * nonzero. MN_EBUSY: the port is in use; MN_ENOENT: the family is not
 * available on this host; MN_EIO: other failure. errno is set on failure. */
int udp_open(int family, uint16_t port, uint32_t fwmark, int *fd);
int udp_local_port(int fd, uint16_t *port);
/* SO_MARK; 0 clears it. */
int udp_set_fwmark(int fd, uint32_t mark);

/* Open both families on one port: the IPv4 port is chosen first when port
 * is 0. A family the host lacks is left at -1; failing both is an error.
 * On success *bound is the port. Errors as udp_open. */
int udp_open_pair(uint16_t port, uint32_t fwmark, int *fd4, int *fd6, uint16_t *bound);

/* A batch of datagrams: message headers, their iovecs and peer addresses. */
/* A batch for recvmmsg, or for sendmmsg where consecutive datagrams to one
 * destination are merged into one UDP_SEGMENT (GSO) message when `gso` is
 * set: all of a message's datagrams but the last have the same length, the
 * last is no longer. The kernel splits it again; one syscall and one route
 * lookup then carry up to UDP_GSO_MAX_SEGS datagrams. */
struct udp_batch {
	struct mmsghdr msg[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct mn_addr addr[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	uint16_t seg[UDP_BATCH];  /* message i's segment size */
	uint32_t bytes[UDP_BATCH]; /* message i's total bytes */
	unsigned n;               /* messages */
	unsigned ndgram;          /* datagrams (iovecs) */
	bool gso;                 /* merge into UDP_SEGMENT messages */
};

enum {
	UDP_GSO_MAX_SEGS = 64,
	UDP_GSO_MAX_BYTES = 60000,
};

/* Receive up to max (<= UDP_BATCH) datagrams, datagram i into bufs[i] of
 * cap bytes. Returns the count (0 when nothing is waiting); b->n is set,
 * lengths are b->msg[i].msg_len and senders b->addr[i] (IPv4-mapped ones
 * unmapped). A datagram longer than cap has MSG_TRUNC in msg_hdr.msg_flags.
 * MN_EIO on a socket error (errno set). */
int udp_recv_batch(int fd, struct udp_batch *b, uint8_t *const *bufs, size_t cap, unsigned max);

static inline void udp_batch_reset(struct udp_batch *b)
{
	b->n = 0;
	b->ndgram = 0;
}

/* Queue buf[0..len) for dst; false when the batch is full. The buffer must
 * stay untouched until udp_send_batch(). */
bool udp_batch_add(struct udp_batch *b, uint8_t *buf, size_t len, const struct mn_addr *dst);

/* Send everything queued and reset the batch. Returns how many datagrams
 * were dropped: the rest of the batch on EAGAIN/ENOBUFS (the socket buffer is
 * full), or single datagrams the kernel refused (unreachable, too big). A GSO
 * message the kernel refuses as such (no checksum offload on the route's
 * device) is resent datagram by datagram and GSO is turned off for b. */
unsigned udp_send_batch(int fd, struct udp_batch *b);

#endif
