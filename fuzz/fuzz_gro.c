/* fuzz_gro - TUN GRO coalescing (offload_gro_add) on packets a peer controls.
 *
 * The daemon feeds offload_gro_add() every IP packet it decrypts, so each
 * byte of it comes from a peer. An input is a sequence of packets, each a
 * 2-byte big-endian length then the bytes (a length past the end takes what
 * is left; packets are capped at OFFLOAD_MAX_SUPER, the largest the data
 * path hands over). Items are flushed as the daemon does: before the table
 * is full and at the end.
 *
 * Besides "no crash, no undefined behaviour", checks the contract: an item
 * never exceeds OFFLOAD_MAX_SUPER; a finished item's length is the vnet
 * header plus its packet; a merged item carries a TCP GSO header whose
 * fields describe it, and segmenting it again (offload_segment) yields
 * exactly its nseg segments with the header repeated on each.
 *
 * Seeds: fuzz/corpus/gro/ (in-order IPv4 and IPv6 TCP segments of one flow,
 * with valid checksums, so the fuzzer starts from inputs that merge).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mn_wire.h"
#include "offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEG_STRIDE 2048 /* re-segmentation check for items of small segments */
#define SEG_MAX 64

static uint8_t *bufs[OFFLOAD_GRO_ITEMS];
static struct offload_gro gro;
static uint8_t segs[SEG_MAX * SEG_STRIDE];

static void check_item(unsigned i)
{
	struct offload_gro_item *it = &gro.items[i];
	size_t total = offload_gro_finish(&gro, i);
	struct offload_vnet h;

	if (it->len > OFFLOAD_MAX_SUPER || total != OFFLOAD_VNET_HDR_LEN + it->len)
		abort();
	offload_vnet_get(&h, it->buf);
	if (it->nseg <= 1) {
		if (h.gso_type != OFFLOAD_GSO_NONE || h.flags)
			abort();
		return;
	}
	const uint8_t *p = it->buf + OFFLOAD_VNET_HDR_LEN;
	if (h.hdr_len != it->hlen || h.gso_size != it->gso_size || h.csum_start != it->tcp_off ||
	    h.csum_offset != 16 || !(h.flags & OFFLOAD_F_NEEDS_CSUM))
		abort();
	if (it->family == AF_INET ? mn_get_be16(p + 2) != it->len
				: (size_t)mn_get_be16(p + 4) + 40 != it->len)
		abort();
	if (it->nseg > SEG_MAX || (size_t)it->hlen + it->gso_size > SEG_STRIDE)
		return;
	size_t seg_len[SEG_MAX], nseg = 0, bytes = 0;
	int n = offload_segment(&h, p, it->len, 0, segs, SEG_STRIDE, 0, 0, SEG_MAX, seg_len, &nseg);
	if (n != it->nseg || nseg != it->nseg)
		abort();
	for (int k = 0; k < n; k++)
		bytes += seg_len[k];
	if (bytes != it->len + (size_t)(n - 1) * it->hlen)
		abort();
}

static void flush(void)
{
	for (unsigned i = 0; i < gro.n; i++)
		check_item(i);
	offload_gro_reset(&gro);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!bufs[0]) {
		for (unsigned i = 0; i < OFFLOAD_GRO_ITEMS; i++)
			if (!(bufs[i] = malloc(OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER)))
				abort();
	}
	offload_gro_init(&gro, bufs);
	while (size >= 2) {
		size_t len = mn_get_be16(data);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (offload_gro_full(&gro))
			flush();
		offload_gro_add(&gro, data, len);
		data += len;
		size -= len;
	}
	flush();
	return 0;
}
