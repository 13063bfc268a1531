#include "demux.h"

#include "mn_wire.h"
#include "seal.h"
#include "wg.h"

/* STUN header offsets (RFC 8489 §5). */
enum {
	STUN_O_TYPE = 0,
	STUN_O_LENGTH = 2,
	STUN_O_COOKIE = 4,
};

static enum demux_kind classify_wg(const uint8_t *buf, size_t len)
{
	if (buf[1] != 0 || buf[2] != 0 || buf[3] != 0)
		return DEMUX_OTHER;
	switch (buf[0]) {
	case WG_MSG_INITIATION:
		return len == WG_INITIATION_LEN ? DEMUX_WG_INITIATION : DEMUX_OTHER;
	case WG_MSG_RESPONSE:
		return len == WG_RESPONSE_LEN ? DEMUX_WG_RESPONSE : DEMUX_OTHER;
	case WG_MSG_COOKIE:
		return len == WG_COOKIE_LEN ? DEMUX_WG_COOKIE : DEMUX_OTHER;
	case WG_MSG_DATA:
		return len >= WG_DATA_MIN_LEN ? DEMUX_WG_DATA : DEMUX_OTHER;
	default:
		return DEMUX_OTHER;
	}
}

static bool is_stun(const uint8_t *buf, size_t len)
{
	return len >= DEMUX_STUN_HEADER_LEN && (buf[STUN_O_TYPE] & 0xC0) == 0 &&
	       mn_get_be32(buf + STUN_O_COOKIE) == DEMUX_STUN_COOKIE &&
	       (size_t)mn_get_be16(buf + STUN_O_LENGTH) + DEMUX_STUN_HEADER_LEN == len;
}

enum demux_kind demux_classify(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return DEMUX_OTHER;
	/* A STUN Binding success response (type 0x0101) also starts with 1:
	 * only a full WireGuard match ends the search here. */
	if (buf[0] >= WG_MSG_INITIATION && buf[0] <= WG_MSG_DATA) {
		enum demux_kind k = classify_wg(buf, len);

		if (k != DEMUX_OTHER)
			return k;
	}
	if (is_stun(buf, len))
		return DEMUX_STUN;
	if (seal_is_control(buf, len))
		return DEMUX_CONTROL;
	return DEMUX_OTHER;
}

const char *demux_kind_name(enum demux_kind k)
{
	static const char *const names[DEMUX_KINDS] = {
		[DEMUX_OTHER] = "other",
		[DEMUX_WG_INITIATION] = "wg-initiation",
		[DEMUX_WG_RESPONSE] = "wg-response",
		[DEMUX_WG_COOKIE] = "wg-cookie",
		[DEMUX_WG_DATA] = "wg-data",
		[DEMUX_STUN] = "stun",
		[DEMUX_CONTROL] = "control",
	};

	return (unsigned)k < DEMUX_KINDS ? names[k] : "other";
}
