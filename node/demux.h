/* demux.h - which of the three kinds a datagram on the one UDP port is
 * (DESIGN.md §2), from its first bytes and its size, before anything is
 * parsed, allocated or decrypted.
 *
 *   WireGuard  first byte 1..4, the next three zero, and the exact size of
 *              its type (initiation 148, response 92, cookie reply 64, data
 *              >= 32) -- tested first: it is the bulk of the traffic
 *   STUN       top two bits of the first byte zero, the magic cookie
 *              0x2112A442 at offset 4, and 20 + the length field == the
 *              datagram's size (RFC 8489 §5; a WireGuard packet can pass a
 *              looser test)
 *   control    meshnode's own magic 'M' 'N' (first byte >= 0x40, so it can
 *              be neither of the above): sealed member traffic, and
 *              the unsealed join messages (node/join.h: join_is_join)
 *   other      anything else: dropped and counted by the caller
 *
 * demux_is_urgent() says what a batch handles before bulk data: everything
 * but WireGuard data messages, so a busy tunnel cannot starve probes or
 * handshakes (DESIGN.md §5).
 *
 * Pure, allocation-free, constant work per datagram. */
#ifndef NODE_DEMUX_H
#define NODE_DEMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum demux_kind {
	DEMUX_OTHER = 0,
	DEMUX_WG_INITIATION,
	DEMUX_WG_RESPONSE,
	DEMUX_WG_COOKIE,
	DEMUX_WG_DATA,
	DEMUX_STUN,
	DEMUX_CONTROL,
	DEMUX_KINDS
};

#define DEMUX_STUN_HEADER_LEN 20
#define DEMUX_STUN_COOKIE UINT32_C(0x2112A442)

enum demux_kind demux_classify(const uint8_t *buf, size_t len);

static inline bool demux_is_wg(enum demux_kind k)
{
	return k >= DEMUX_WG_INITIATION && k <= DEMUX_WG_DATA;
}

static inline bool demux_is_urgent(enum demux_kind k)
{
	return k != DEMUX_WG_DATA && k != DEMUX_OTHER;
}

/* A short name for counters and logs ("wg-data", "stun", ...). */
const char *demux_kind_name(enum demux_kind k);

#endif
