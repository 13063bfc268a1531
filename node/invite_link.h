/* invite_link.h - the text a newcomer is handed: `meshnode join LINK`.
 *
 * A link carries everything a newcomer needs and nothing it could get from
 * a member later (doc/invite-link.md has the byte layout and the reasons):
 * the network's name (readable, for people), its root public key (every
 * record verifies against it; the network id is its hash), the overlay IPv4
 * prefix, the signed invite, the invite's secret seed (the capability: it
 * signs the newcomer's join proof), and up to INVITE_LINK_MEMBERS members
 * with up to INVITE_LINK_ENDPOINTS reachable endpoints each, the inviter
 * first. The link works while the inviter is down as long as any listed
 * member answers.
 *
 * Text: "mn1." NETWORK "." BASE32(payload || checksum), lowercase RFC 4648
 * base32 without padding. Every character is shell-safe (no quoting), and
 * the whole link upper-cased is QR alphanumeric ([0-9A-Z.] only), which
 * `meshnode invite --qr` uses; the decoder takes either case. The checksum
 * (4 bytes of BLAKE2b over the tag, the name and the payload) catches a
 * changed character or a truncation before anything else is looked at.
 *
 * Pure: no I/O, no clock, no randomness. The invite's signature is not
 * checked here (invite_link_decode checks structure and that the invite key
 * is the seed's); verify it with rec_invite_verify against the network the
 * link names (invite_link_network).
 *
 * Errors:
 *   MN_ESYNTAX   not a link: wrong prefix or separators, a bad network name,
 *                a character outside the alphabet, empty
 *   MN_EPROTO    the checksum does not match (a changed or missing
 *                character), or the payload is malformed: bad prefix length,
 *                invite that does not decode, invite key not the seed's,
 *                endpoint family or port, counts out of range, trailing bytes
 *   MN_ETRUNC    the payload ends early (after a matching checksum: only a
 *                link made that way)
 *   MN_EMSGSIZE  the output buffer is too small
 *   MN_EINVAL    a struct that cannot be encoded (name, counts, endpoints)
 */
#ifndef NODE_INVITE_LINK_H
#define NODE_INVITE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "mn_addr.h"
#include "record.h"

#define INVITE_LINK_VERSION "mn1"
#define INVITE_LINK_MEMBERS 4   /* members listed at most */
#define INVITE_LINK_ENDPOINTS 2 /* endpoints per member at most (an IPv4, an IPv6) */
#define INVITE_LINK_CHECK_LEN 4 /* checksum bytes */

/* Payload: root key 32, IPv4 prefix 5, seed 32, invite, member count 1,
 * per member 1 + per endpoint (family 1, address 4|16, port 2), checksum. */
#define INVITE_LINK_PAYLOAD_MAX                                               \
	(REC_PK_LEN + 5 + REC_SEED_LEN + REC_INVITE_MAX + 1 +                 \
	 INVITE_LINK_MEMBERS * (1 + INVITE_LINK_ENDPOINTS * (1 + 16 + 2)) +   \
	 INVITE_LINK_CHECK_LEN)
/* "mn1." name "." base32 payload, and a NUL. */
#define INVITE_LINK_TEXT_MAX                                                  \
	(sizeof(INVITE_LINK_VERSION) + REC_NAME_MAX + 1 +                     \
	 (INVITE_LINK_PAYLOAD_MAX * 8 + 4) / 5 + 1)

struct invite_link_member {
	uint8_t nendpoints; /* 1..INVITE_LINK_ENDPOINTS */
	struct mn_addr endpoints[INVITE_LINK_ENDPOINTS];
};

struct invite_link {
	char network[REC_NAME_MAX + 1]; /* NUL-terminated, rec_name_ok */
	uint8_t root_pk[REC_PK_LEN];
	struct mn_prefix v4;            /* overlay IPv4 prefix, 1..30 bits */
	uint8_t seed[REC_SEED_LEN];     /* the invite's secret: wipe after use */
	struct rec_invite invite;
	uint8_t nmembers;               /* 0..INVITE_LINK_MEMBERS */
	struct invite_link_member members[INVITE_LINK_MEMBERS];
};

/* Write l as text into out[cap] (NUL-terminated; *len without the NUL). */
int invite_link_encode(const struct invite_link *l, char *out, size_t cap, size_t *len);
/* Parse text (NUL-terminated, surrounding whitespace allowed) into *l. On
 * error *l is zeroed: no secret is left behind. */
int invite_link_decode(struct invite_link *l, const char *text);
/* The payload part of decoding (after the base32 and the checksum), for
 * tests and fuzzing: payload[len] without the checksum. */
int invite_link_decode_payload(struct invite_link *l, const uint8_t *payload, size_t len);
/* The network the link names (root key and IPv4 prefix), for verifying its
 * invite and every record a member sends. */
int invite_link_network(const struct invite_link *l, struct rec_network *net);
/* Wipe the secret seed (and everything else). */
void invite_link_wipe(struct invite_link *l);

#endif
