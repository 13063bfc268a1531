#include "offload.h"

#include <string.h>
#include <sys/socket.h>

#include "mn_err.h"
#include "mn_wire.h"

enum { TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_CWR = 0x80 };
#define IPPROTO_TCP_NUM 6

void offload_vnet_get(struct offload_vnet *h, const uint8_t p[OFFLOAD_VNET_HDR_LEN])
{
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = mn_get_le16(p + 2);
	h->gso_size = mn_get_le16(p + 4);
	h->csum_start = mn_get_le16(p + 6);
	h->csum_offset = mn_get_le16(p + 8);
}

void offload_vnet_put(uint8_t p[OFFLOAD_VNET_HDR_LEN], const struct offload_vnet *h)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	mn_put_le16(p + 2, h->hdr_len);
	mn_put_le16(p + 4, h->gso_size);
	mn_put_le16(p + 6, h->csum_start);
	mn_put_le16(p + 8, h->csum_offset);
}

uint32_t offload_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* 64-bit accumulator over 32-bit big-endian words, folded at the end */
	uint64_t s = sum;
	while (len >= 4) {
		s += mn_get_be32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		s += mn_get_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	/* keep it a 32-bit partial sum */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t offload_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum for TCP over IPv4 or IPv6 (RFC 9293 §3.1, RFC 8200 §8.1). */
static uint32_t pseudo_sum(const uint8_t *ip, int family, size_t l4_len)
{
	uint32_t s;
	if (family == AF_INET)
		s = offload_csum_add(0, ip + 12, 8);
	else
		s = offload_csum_add(0, ip + 8, 32);
	return s + IPPROTO_TCP_NUM + (uint32_t)(l4_len & 0xffff) + (uint32_t)(l4_len >> 16);
}

static void ip4_fix_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	ip[10] = ip[11] = 0;
	mn_put_be16(ip + 10, (uint16_t)~offload_csum_fold(offload_csum_add(0, ip, ihl)));
}

int offload_segment(const struct offload_vnet *h, const uint8_t *pkt, size_t len, size_t first,
		    uint8_t *out, size_t stride, size_t headroom, size_t tailroom, size_t max_segs,
		    size_t *seg_len, size_t *total)
{
	size_t room = stride > headroom + tailroom ? stride - headroom - tailroom : 0;
	uint8_t gso = h->gso_type & ~OFFLOAD_GSO_ECN;

	*total = 1;
	if (gso == OFFLOAD_GSO_NONE) {
		if (len > room)
			return MN_EFULL;
		if (first >= 1 || max_segs < 1)
			return 0;
		uint8_t *o = out + headroom;
		memcpy(o, pkt, len);
		if (h->flags & OFFLOAD_F_NEEDS_CSUM) {
			size_t at = (size_t)h->csum_start + h->csum_offset;
			if (h->csum_start > len || at + 2 > len)
				return MN_EPROTO;
			/* the field holds the pseudo-header sum already */
			uint16_t c = ~offload_csum_fold(
				offload_csum_add(0, o + h->csum_start, len - h->csum_start));
			/* UDP sends an all-zero result as 0xffff: zero means "no
			 * checksum", which IPv6 forbids (RFC 768, RFC 8200 §8.1) */
			if (c == 0 && h->csum_offset == 6)
				c = 0xffff;
			mn_put_be16(o + at, c);
		}
		seg_len[0] = len;
		return 1;
	}
	if (gso != OFFLOAD_GSO_TCPV4 && gso != OFFLOAD_GSO_TCPV6)
		return MN_EPROTO;

	int family = gso == OFFLOAD_GSO_TCPV4 ? AF_INET : AF_INET6;
	size_t tcp_off = h->csum_start;
	if (len < 20 || (family == AF_INET && ((pkt[0] >> 4) != 4 || (pkt[0] & 0x0f) < 5 ||
					      tcp_off != (size_t)(pkt[0] & 0x0f) * 4 ||
					      pkt[9] != IPPROTO_TCP_NUM)))
		return MN_EPROTO;
	if (family == AF_INET6 && ((pkt[0] >> 4) != 6 || tcp_off < 40))
		return MN_EPROTO;
	if (tcp_off + 20 > len)
		return MN_EPROTO;
	size_t tcp_hlen = (size_t)(pkt[tcp_off + 12] >> 4) * 4;
	size_t hlen = tcp_off + tcp_hlen;
	if (tcp_hlen < 20 || hlen > len || h->gso_size == 0)
		return MN_EPROTO;
	size_t payload = len - hlen, mss = h->gso_size;
	size_t nseg = payload ? (payload + mss - 1) / mss : 1;
	*total = nseg;
	if (hlen + (payload < mss ? payload : mss) > room)
		return MN_EFULL;
	if (first >= nseg)
		return 0;
	size_t end = nseg - first > max_segs ? first + max_segs : nseg;

	uint32_t seq = mn_get_be32(pkt + tcp_off + 4);
	uint16_t id = family == AF_INET ? mn_get_be16(pkt + 4) : 0;
	uint8_t flags = pkt[tcp_off + 13];
	for (size_t i = first; i < end; i++) {
		size_t off = i * mss, n = payload - off < mss ? payload - off : mss;
		uint8_t *o = out + (i - first) * stride + headroom, *tcp = o + tcp_off;
		memcpy(o, pkt, hlen);
		memcpy(o + hlen, pkt + hlen + off, n);
		if (family == AF_INET) {
			mn_put_be16(o + 2, (uint16_t)(hlen + n));
			mn_put_be16(o + 4, (uint16_t)(id + i));
			ip4_fix_csum(o);
		} else {
			mn_put_be16(o + 4, (uint16_t)(hlen + n - 40));
		}
		mn_put_be32(tcp + 4, seq + (uint32_t)off);
		uint8_t f = flags;
		if (i + 1 < nseg)
			f &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			f &= (uint8_t)~TCP_CWR;
		tcp[13] = f;
		tcp[16] = tcp[17] = 0;
		uint32_t s = pseudo_sum(o, family, tcp_hlen + n);
		s = offload_csum_add(s, tcp, tcp_hlen + n);
		mn_put_be16(tcp + 16, (uint16_t)~offload_csum_fold(s));
		seg_len[i - first] = hlen + n;
	}
	return (int)(end - first);
}

/* ---- GRO ---- */

void offload_gro_init(struct offload_gro *g, uint8_t *const *bufs)
{
	memset(g, 0, sizeof(*g));
	for (unsigned i = 0; i < OFFLOAD_GRO_ITEMS; i++)
		g->items[i].buf = bufs[i];
}

void offload_gro_reset(struct offload_gro *g)
{
	g->n = 0;
}

/* A TCP segment that may start or extend a coalesced item: plain IPv4 (no
 * options, not a fragment) or IPv6 without extension headers, flags ACK or
 * ACK|PSH, some payload. Returns the TCP header offset, or 0. */
static size_t coalescible(const uint8_t *p, size_t len, int *family, size_t *hlen)
{
	size_t tcp_off;
	if (len >= 40 && p[0] == 0x45) {
		if (p[9] != IPPROTO_TCP_NUM || (mn_get_be16(p + 6) & 0x3fff) ||
		    mn_get_be16(p + 2) != len)
			return 0;
		*family = AF_INET;
		tcp_off = 20;
	} else if (len >= 60 && p[0] >> 4 == 6) {
		if (p[6] != IPPROTO_TCP_NUM || (size_t)mn_get_be16(p + 4) + 40 != len)
			return 0;
		*family = AF_INET6;
		tcp_off = 40;
	} else {
		return 0;
	}
	size_t tcp_hlen = (size_t)(p[tcp_off + 12] >> 4) * 4;
	uint8_t f = p[tcp_off + 13];
	if (tcp_hlen < 20 || tcp_off + tcp_hlen >= len || (f != TCP_ACK && f != (TCP_ACK | TCP_PSH)))
		return 0;
	*hlen = tcp_off + tcp_hlen;
	return tcp_off;
}

/* Same flow and everything but seq/PSH/lengths/checksums/id identical. */
static bool same_flow(const uint8_t *a, const uint8_t *b, int family, size_t tcp_off, size_t hlen)
{
	if (family == AF_INET) {
		/* tos, ttl, protocol, DF, addresses */
		if (a[1] != b[1] || a[8] != b[8] || a[6] != b[6] || memcmp(a + 12, b + 12, 8))
			return false;
	} else {
		if (memcmp(a, b, 4) || a[7] != b[7] || memcmp(a + 8, b + 8, 32))
			return false;
	}
	const uint8_t *ta = a + tcp_off, *tb = b + tcp_off;
	/* ports; ack; data offset; window; options */
	return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 5) == 0 &&
	       memcmp(ta + 14, tb + 14, 2) == 0 && memcmp(ta + 20, tb + 20, hlen - tcp_off - 20) == 0;
}

static bool same_addrs_ports(const uint8_t *a, const uint8_t *b, int family, size_t tcp_off)
{
	if (family == AF_INET) {
		if (memcmp(a + 12, b + 12, 8))
			return false;
	} else if (memcmp(a + 8, b + 8, 32)) {
		return false;
	}
	return memcmp(a + tcp_off, b + tcp_off, 4) == 0;
}

/* The kernel will not check checksums of a merged (CHECKSUM_PARTIAL)
 * packet, so a segment joins or opens a merge only if its own are right. */
static bool csums_ok(const uint8_t *p, size_t len, int family, size_t tcp_off)
{
	if (family == AF_INET && offload_csum_fold(offload_csum_add(0, p, 20)) != 0xffff)
		return false;
	uint32_t s = pseudo_sum(p, family, len - tcp_off);
	return offload_csum_fold(offload_csum_add(s, p + tcp_off, len - tcp_off)) == 0xffff;
}

static void new_item(struct offload_gro *g, const uint8_t *pkt, size_t len, int family,
		     size_t tcp_off, size_t hlen)
{
	struct offload_gro_item *it = &g->items[g->n++];
	memcpy(it->buf + OFFLOAD_VNET_HDR_LEN, pkt, len);
	it->len = len;
	it->nseg = 1;
	it->family = (uint8_t)family;
	if (tcp_off) {
		it->tcp_off = (uint8_t)tcp_off;
		it->hlen = (uint8_t)hlen;
		it->gso_size = (uint16_t)(len - hlen);
		it->next_seq = mn_get_be32(pkt + tcp_off + 4) + (uint32_t)(len - hlen);
		it->closed = (pkt[tcp_off + 13] & TCP_PSH) != 0;
	} else {
		it->tcp_off = 0;
		it->closed = true;
	}
}

void offload_gro_add(struct offload_gro *g, const uint8_t *pkt, size_t len)
{
	int family = 0;
	size_t hlen = 0, tcp_off = coalescible(pkt, len, &family, &hlen);

	if (tcp_off && !csums_ok(pkt, len, family, tcp_off))
		tcp_off = 0; /* delivered alone; the kernel drops it */

	if (tcp_off) {
		/* only the newest item of this flow may grow */
		for (unsigned i = g->n; i-- > 0;) {
			struct offload_gro_item *it = &g->items[i];
			const uint8_t *head = it->buf + OFFLOAD_VNET_HDR_LEN;
			if (!it->tcp_off || it->family != family || it->tcp_off != tcp_off ||
			    !same_addrs_ports(head, pkt, family, tcp_off))
				continue;
			size_t n = len - hlen;
			if (it->closed || it->hlen != hlen || n > it->gso_size ||
			    mn_get_be32(pkt + tcp_off + 4) != it->next_seq ||
			    it->len + n > OFFLOAD_MAX_SUPER ||
			    !same_flow(head, pkt, family, tcp_off, hlen))
				break;
			memcpy(it->buf + OFFLOAD_VNET_HDR_LEN + it->len, pkt + hlen, n);
			it->len += n;
			it->nseg++;
			it->next_seq += (uint32_t)n;
			if (n < it->gso_size || (pkt[tcp_off + 13] & TCP_PSH)) {
				it->closed = true;
				/* carry PSH to the merged segment */
				uint8_t *t = it->buf + OFFLOAD_VNET_HDR_LEN + tcp_off;
				t[13] |= pkt[tcp_off + 13] & TCP_PSH;
			}
			return;
		}
	}
	if (g->n == OFFLOAD_GRO_ITEMS)
		return; /* caller must flush first; counted as a drop by the caller */
	new_item(g, pkt, len, family, tcp_off, hlen);
}

size_t offload_gro_finish(struct offload_gro *g, unsigned i)
{
	struct offload_gro_item *it = &g->items[i];
	uint8_t *p = it->buf + OFFLOAD_VNET_HDR_LEN;
	struct offload_vnet h = { 0 };

	if (it->nseg > 1) {
		uint8_t *tcp = p + it->tcp_off;
		if (it->family == AF_INET) {
			mn_put_be16(p + 2, (uint16_t)it->len);
			ip4_fix_csum(p);
			h.gso_type = OFFLOAD_GSO_TCPV4;
		} else {
			mn_put_be16(p + 4, (uint16_t)(it->len - 40));
			h.gso_type = OFFLOAD_GSO_TCPV6;
		}
		/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum */
		mn_put_be16(tcp + 16,
			    offload_csum_fold(pseudo_sum(p, it->family, it->len - it->tcp_off)));
		h.flags = OFFLOAD_F_NEEDS_CSUM;
		h.hdr_len = it->hlen;
		h.gso_size = it->gso_size;
		h.csum_start = it->tcp_off;
		h.csum_offset = 16;
	}
	offload_vnet_put(it->buf, &h);
	return OFFLOAD_VNET_HDR_LEN + it->len;
}
