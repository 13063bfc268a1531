/* join_wire.h - the join protocol's five messages (doc/join.md).
 *
 * Join messages travel unsealed (the joiner has no key the member knows
 * yet) on the one UDP port, as meshnode control datagrams: they open with
 * the control magic 'M' 'N' (SEAL_MAGIC0/1), so demux_classify() calls them
 * DEMUX_CONTROL. The third byte tells them from sealed messages: sealed
 * ones carry their format version SEAL_VERSION (1) there, join messages
 * JOIN_FORMAT ('J', 0x4A), which seal_parse() refuses; join_is_join() is
 * the test the node core makes before handing a control datagram to
 * gossip. The fourth byte is the message type.
 *
 *   HELLO    joiner -> member   nonce, zero padding to JOIN_HELLO_LEN
 *   COOKIE   member -> joiner   nonce echoed, cookie
 *   REQUEST  joiner -> member   nonce, cookie, network id hint, node key,
 *                               join proof, name, invite
 *   ACCEPT   member -> joiner   nonce, admission, the admitter's record
 *   REFUSE   member -> joiner   nonce, reason
 *
 * A HELLO is larger than the COOKIE that answers it, so an unproven source
 * address gets no amplification (DESIGN.md §2); ACCEPT and REFUSE answer
 * only a REQUEST whose cookie proved the address.
 *
 * Parsers check structure only (lengths, type, zero padding, name
 * alphabet, the embedded objects' decoders), never a signature, and copy
 * everything out: nothing points into the input. Errors: MN_ETRUNC short,
 * MN_EPROTO malformed (wrong magic, format or type, wrong length, nonzero
 * padding, bad name or reason, embedded object that does not decode),
 * MN_EMSGSIZE output too small.
 */
#ifndef NODE_JOIN_WIRE_H
#define NODE_JOIN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define JOIN_FORMAT 0x4A /* 'J': where sealed messages carry SEAL_VERSION */
#define JOIN_NONCE_LEN 16
#define JOIN_COOKIE_LEN 16
#define JOIN_NETHINT_LEN 8 /* first bytes of the network id */

enum join_type {
	JOIN_T_HELLO = 1,
	JOIN_T_COOKIE = 2,
	JOIN_T_REQUEST = 3,
	JOIN_T_ACCEPT = 4,
	JOIN_T_REFUSE = 5,
};

/* Why a member refused. The first five are final: another member would
 * give the same answer, so the joiner stops. BUSY and OWN_INVITE are about
 * this member only: the joiner tries the next one. */
enum join_reason {
	JOIN_R_USED_UP = 1,    /* the invite's max_uses admissions exist */
	JOIN_R_EXPIRED = 2,    /* past expires + REC_SKEW_MS by the member's clock */
	JOIN_R_REVOKED = 3,    /* the invite, its admin or the node key is revoked */
	JOIN_R_NAME_TAKEN = 4, /* another member holds the requested name */
	JOIN_R_WRONG_NETWORK = 5, /* the invite is for another network */
	JOIN_R_NO_ADDRESS = 6, /* no free IPv4 in the network's prefix */
	JOIN_R_MALFORMED = 7,  /* the request does not parse past the cookie */
	JOIN_R_INVALID = 8,    /* the invite or the join proof does not verify */
	JOIN_R_MEMBER = 9,     /* the node key is already a member (another admission) */
	JOIN_R_BUSY = 10,      /* this member cannot admit now: try another */
	JOIN_R_OWN_INVITE = 11, /* this member joined with this invite: try another */
	JOIN_R_MAX = JOIN_R_OWN_INVITE,
};

/* Byte offsets. Every message: magic 2, format 1, type 1, nonce 16. */
enum join_layout {
	JOIN_O_MAGIC = 0,
	JOIN_O_FORMAT = 2,
	JOIN_O_TYPE = 3,
	JOIN_O_NONCE = 4,
	JOIN_HDR_LEN = JOIN_O_NONCE + JOIN_NONCE_LEN, /* 20 */

	JOIN_HELLO_PAD = JOIN_HDR_LEN,
	JOIN_HELLO_LEN = 64,

	JOIN_COOKIE_O_COOKIE = JOIN_HDR_LEN,
	JOIN_COOKIE_LEN_MSG = JOIN_COOKIE_O_COOKIE + JOIN_COOKIE_LEN, /* 36 */

	JOIN_REQ_O_COOKIE = JOIN_HDR_LEN,
	JOIN_REQ_O_NETHINT = JOIN_REQ_O_COOKIE + JOIN_COOKIE_LEN,     /* 36 */
	JOIN_REQ_O_NODE = JOIN_REQ_O_NETHINT + JOIN_NETHINT_LEN,      /* 44 */
	JOIN_REQ_O_PROOF = JOIN_REQ_O_NODE + REC_PK_LEN,              /* 76 */
	JOIN_REQ_O_NAME_LEN = JOIN_REQ_O_PROOF + REC_SIG_LEN,         /* 140 */
	JOIN_REQ_O_NAME = JOIN_REQ_O_NAME_LEN + 1,                    /* 141 */
	JOIN_REQ_O_INVITE = JOIN_REQ_O_NAME + REC_NAME_MAX,           /* 204 */
	JOIN_REQ_MIN = JOIN_REQ_O_INVITE + REC_INVITE_ROOT_LEN,       /* 314 */
	JOIN_REQ_MAX = JOIN_REQ_O_INVITE + REC_INVITE_MAX,            /* 421 */

	JOIN_ACC_O_ADM = JOIN_HDR_LEN,
	JOIN_ACC_O_RECORD = JOIN_ACC_O_ADM + REC_ADMISSION_LEN,       /* 227 */
	JOIN_ACC_MIN = JOIN_ACC_O_RECORD + REC_MEMBER_MIN,            /* 622 */
	JOIN_ACC_MAX = JOIN_ACC_O_RECORD + REC_MEMBER_MAX,            /* 1079 */

	JOIN_REF_O_REASON = JOIN_HDR_LEN,
	JOIN_REF_LEN = JOIN_REF_O_REASON + 1,                         /* 21 */

	JOIN_DGRAM_MAX = JOIN_ACC_MAX,
};

_Static_assert(JOIN_HELLO_LEN >= JOIN_COOKIE_LEN_MSG,
	       "a HELLO must not be smaller than its COOKIE (no amplification)");
_Static_assert(JOIN_REF_LEN <= JOIN_REQ_MIN, "a REFUSE never exceeds its REQUEST");
_Static_assert(JOIN_ACC_MAX <= REC_DGRAM_MAX, "an ACCEPT fits one datagram");
_Static_assert(JOIN_REQ_O_INVITE == 204 && JOIN_ACC_O_RECORD == 227, "layout moved");

/* A parsed REQUEST (nothing verified). */
struct join_request {
	uint8_t nonce[JOIN_NONCE_LEN];
	uint8_t cookie[JOIN_COOKIE_LEN];
	uint8_t nethint[JOIN_NETHINT_LEN];
	uint8_t node_pk[REC_PK_LEN];
	uint8_t proof[REC_SIG_LEN];
	char name[REC_NAME_MAX + 1]; /* NUL-terminated, rec_name_ok */
	struct rec_invite invite;
};

/* A parsed ACCEPT (nothing verified). */
struct join_accept {
	uint8_t nonce[JOIN_NONCE_LEN];
	struct rec_admission adm;
	struct rec_member admitter; /* the admitting node's own record */
};

/* True when buf is a join message by its first three bytes. */
bool join_is_join(const uint8_t *buf, size_t len);
/* The type byte of a join message (MN_ETRUNC, MN_EPROTO when not one). */
int join_peek_type(const uint8_t *buf, size_t len, enum join_type *type);

int join_hello_encode(const uint8_t nonce[JOIN_NONCE_LEN], uint8_t *buf, size_t cap,
		      size_t *len);
int join_hello_decode(uint8_t nonce[JOIN_NONCE_LEN], const uint8_t *buf, size_t len);
int join_cookie_encode(const uint8_t nonce[JOIN_NONCE_LEN],
		       const uint8_t cookie[JOIN_COOKIE_LEN], uint8_t *buf, size_t cap,
		       size_t *len);
int join_cookie_decode(uint8_t nonce[JOIN_NONCE_LEN], uint8_t cookie[JOIN_COOKIE_LEN],
		       const uint8_t *buf, size_t len);
int join_request_encode(const struct join_request *r, uint8_t *buf, size_t cap, size_t *len);
int join_request_decode(struct join_request *r, const uint8_t *buf, size_t len);
/* record[record_len] is the admitter's encoded member record, sent as is. */
int join_accept_encode(const uint8_t nonce[JOIN_NONCE_LEN], const struct rec_admission *adm,
		       const uint8_t *record, size_t record_len, uint8_t *buf, size_t cap,
		       size_t *len);
int join_accept_decode(struct join_accept *a, const uint8_t *buf, size_t len);
int join_refuse_encode(const uint8_t nonce[JOIN_NONCE_LEN], enum join_reason reason,
		       uint8_t *buf, size_t cap, size_t *len);
int join_refuse_decode(uint8_t nonce[JOIN_NONCE_LEN], enum join_reason *reason,
		       const uint8_t *buf, size_t len);

/* For `meshnode join` to print: "the invite has been used up" etc.; never
 * NULL. */
const char *join_reason_str(enum join_reason r);
/* Final: another member would refuse the same way (not BUSY, OWN_INVITE). */
bool join_reason_final(enum join_reason r);

#endif
