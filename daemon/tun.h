/* tun.h - a Linux TUN device (IFF_TUN | IFF_NO_PI): raw IP packets.
 *
 * The device exists while its file descriptor is open: closing the fd makes
 * the interface, its addresses and its routes disappear.
 *
 * Next step (DESIGN.md §3): IFF_VNET_HDR with TUNSETOFFLOAD lets one read or
 * write carry a GSO super-packet, which is the TUN side of batching; without
 * it there is no batched read or write on a TUN fd, one packet per syscall.
 */
#ifndef TUN_H
#define TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TUN_NAME_MAX 15 /* IFNAMSIZ - 1 */

/* true when name is usable as an interface name and as a file name under
 * /var/run/wireguard: 1..15 bytes of [A-Za-z0-9_.=+-], not "." or "..". */
bool tun_name_ok(const char *name);

/* Create (or attach to a persistent) TUN device called name, non-blocking,
 * close-on-exec, with IFF_VNET_HDR: every read and write starts with a
 * virtio_net_hdr (offload.h). On success *fd and *ifindex are set, and
 * *offload tells whether the kernel accepted TCP segmentation offload
 * (reads may then be TCP super-packets, and GRO super-packets may be written).
 * MN_EBUSY: the device exists and another process holds it;
 * MN_EEXIST: an interface of another kind has that name;
 * MN_EIO: anything else (errno set, e.g. EPERM without CAP_NET_ADMIN). */
int tun_open(const char *name, int *fd, int *ifindex, bool *offload);

/* One packet. Return the length (> 0), 0 when there is nothing to read
 * (EAGAIN) or on an error that only lost this packet, MN_EIO when the device
 * is gone (errno set). EINTR is retried. */
ssize_t tun_read(int fd, uint8_t *buf, size_t cap);
/* 0 when written; MN_EIO when the kernel refused it (dropped, errno set). */
int tun_write(int fd, const uint8_t *pkt, size_t len);

#endif
