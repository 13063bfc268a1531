/* offload.h - TUN offloads: TCP segmentation of the super-packets a TUN
 * device with IFF_VNET_HDR and TUNSETOFFLOAD(TSO) hands us, and the reverse,
 * coalescing in-order TCP segments of one flow into one super-packet to
 * write (GRO). Each syscall then moves up to 64 KiB instead of one MTU.
 *
 * Pure byte work on caller-owned buffers; nothing allocates. Formats:
 * the legacy virtio_net_hdr (virtio spec §5.1.6, 10 bytes, little-endian on
 * the hosts we run on), IPv4 (RFC 791), IPv6 (RFC 8200, no extension
 * headers are coalesced), TCP (RFC 9293), the Internet checksum (RFC 1071).
 */
#ifndef OFFLOAD_H
#define OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFLOAD_VNET_HDR_LEN 10
#define OFFLOAD_MAX_SUPER 65535 /* largest IP packet */

enum {
	OFFLOAD_F_NEEDS_CSUM = 1,
	OFFLOAD_F_DATA_VALID = 2,
	OFFLOAD_GSO_NONE = 0,
	OFFLOAD_GSO_TCPV4 = 1,
	OFFLOAD_GSO_TCPV6 = 4,
	OFFLOAD_GSO_ECN = 0x80,
};

struct offload_vnet {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void offload_vnet_get(struct offload_vnet *h, const uint8_t p[OFFLOAD_VNET_HDR_LEN]);
void offload_vnet_put(uint8_t p[OFFLOAD_VNET_HDR_LEN], const struct offload_vnet *h);

/* One's-complement sum helpers (RFC 1071). */
uint32_t offload_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t offload_csum_fold(uint32_t sum);

/* Split the packet pkt[0..len) described by h into segments, writing
 * segments first, first+1, ... (at most max_segs of them) to
 * out + i * stride + headroom, so the caller can encrypt in place with
 * headroom for its own header, with full IP and TCP checksums; call again
 * with a larger `first` for the rest (a 64 KiB super-packet of small MSS
 * has more segments than a batch). A packet without GSO but with
 * NEEDS_CSUM gets its checksum completed (1 segment). Returns the number of
 * segments written with their lengths in seg_len[], and *total, or
 * MN_EPROTO (malformed/unsupported) or MN_EFULL (a segment larger than
 * stride - headroom - tailroom). */
int offload_segment(const struct offload_vnet *h, const uint8_t *pkt, size_t len, size_t first,
		    uint8_t *out, size_t stride, size_t headroom, size_t tailroom, size_t max_segs,
		    size_t *seg_len, size_t *total);

/* GRO: coalesce a batch of IP packets bound for the TUN device.
 *
 * offload_gro_add() takes packets in arrival order. A TCP segment that
 * continues an open item of the same flow (next sequence number, same ack,
 * window, flags ACK or ACK|PSH, identical options, same segment size) is
 * appended to it; anything else opens a new item (when there is room) or is
 * passed through untouched. offload_gro_flush() then yields each item as a
 * vnet header + packet ready for one write(). */
#define OFFLOAD_GRO_ITEMS 64

struct offload_gro_item {
	uint8_t *buf; /* OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER bytes, caller's */
	size_t len;   /* packet bytes after the vnet header */
	uint16_t gso_size;
	uint16_t nseg;
	uint8_t family;
	uint8_t hlen;      /* IP + TCP header length */
	uint8_t tcp_off;   /* offset of the TCP header */
	bool closed;       /* a short or PSH segment ended it */
	uint32_t next_seq;
};

struct offload_gro {
	struct offload_gro_item items[OFFLOAD_GRO_ITEMS];
	unsigned n;
};

/* bufs: OFFLOAD_GRO_ITEMS buffers of OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER bytes. */
void offload_gro_init(struct offload_gro *g, uint8_t *const *bufs);
/* Take a packet (copied). Every packet becomes or joins an item, so
 * writing the items in order keeps the arrival order of every flow.
 * The caller flushes before the OFFLOAD_GRO_ITEMS-th item (offload_gro_full). */
void offload_gro_add(struct offload_gro *g, const uint8_t *pkt, size_t len);
static inline bool offload_gro_full(const struct offload_gro *g)
{
	return g->n == OFFLOAD_GRO_ITEMS;
}
/* Finish item i: fix lengths and checksums, fill its vnet header. Returns
 * the total bytes (vnet header included) to write from items[i].buf. */
size_t offload_gro_finish(struct offload_gro *g, unsigned i);
void offload_gro_reset(struct offload_gro *g);

#endif
