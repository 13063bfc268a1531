/* join_wire.c - encoders and parsers of the join messages (join_wire.h,
 * doc/join.md has the tables). */
#include "join_wire.h"

#include <string.h>

#include "mn_err.h"
#include "seal.h"

bool join_is_join(const uint8_t *buf, size_t len)
{
	return len > JOIN_O_TYPE && buf[JOIN_O_MAGIC] == SEAL_MAGIC0 &&
	       buf[JOIN_O_MAGIC + 1] == SEAL_MAGIC1 && buf[JOIN_O_FORMAT] == JOIN_FORMAT;
}

int join_peek_type(const uint8_t *buf, size_t len, enum join_type *type)
{
	if (len <= JOIN_O_TYPE)
		return MN_ETRUNC;
	if (!join_is_join(buf, len))
		return MN_EPROTO;
	*type = (enum join_type)buf[JOIN_O_TYPE];
	return MN_OK;
}

/* Header of a message of type t and length len into buf[cap]. */
static int put_hdr(enum join_type t, const uint8_t nonce[JOIN_NONCE_LEN], uint8_t *buf,
		   size_t cap, size_t len)
{
	if (cap < len)
		return MN_EMSGSIZE;
	memset(buf, 0, len);
	buf[JOIN_O_MAGIC] = SEAL_MAGIC0;
	buf[JOIN_O_MAGIC + 1] = SEAL_MAGIC1;
	buf[JOIN_O_FORMAT] = JOIN_FORMAT;
	buf[JOIN_O_TYPE] = (uint8_t)t;
	memcpy(buf + JOIN_O_NONCE, nonce, JOIN_NONCE_LEN);
	return MN_OK;
}

/* Check the header of a message expected to be of type t and at least
 * min bytes long; copy its nonce out. */
static int get_hdr(enum join_type t, uint8_t nonce[JOIN_NONCE_LEN], const uint8_t *buf,
		   size_t len, size_t min)
{
	enum join_type got;
	int err;

	if ((err = join_peek_type(buf, len, &got)))
		return err;
	if (got != t)
		return MN_EPROTO;
	if (len < min)
		return MN_ETRUNC;
	memcpy(nonce, buf + JOIN_O_NONCE, JOIN_NONCE_LEN);
	return MN_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int join_hello_encode(const uint8_t nonce[JOIN_NONCE_LEN], uint8_t *buf, size_t cap,
		      size_t *len)
{
	int err = put_hdr(JOIN_T_HELLO, nonce, buf, cap, JOIN_HELLO_LEN);

	if (!err)
		*len = JOIN_HELLO_LEN;
	return err;
}

int join_hello_decode(uint8_t nonce[JOIN_NONCE_LEN], const uint8_t *buf, size_t len)
{
	int err = get_hdr(JOIN_T_HELLO, nonce, buf, len, JOIN_HELLO_LEN);

	if (err)
		return err;
	if (len != JOIN_HELLO_LEN || !all_zero(buf + JOIN_HELLO_PAD, len - JOIN_HELLO_PAD))
		return MN_EPROTO;
	return MN_OK;
}

int join_cookie_encode(const uint8_t nonce[JOIN_NONCE_LEN],
		       const uint8_t cookie[JOIN_COOKIE_LEN], uint8_t *buf, size_t cap,
		       size_t *len)
{
	int err = put_hdr(JOIN_T_COOKIE, nonce, buf, cap, JOIN_COOKIE_LEN_MSG);

	if (err)
		return err;
	memcpy(buf + JOIN_COOKIE_O_COOKIE, cookie, JOIN_COOKIE_LEN);
	*len = JOIN_COOKIE_LEN_MSG;
	return MN_OK;
}

int join_cookie_decode(uint8_t nonce[JOIN_NONCE_LEN], uint8_t cookie[JOIN_COOKIE_LEN],
		       const uint8_t *buf, size_t len)
{
	int err = get_hdr(JOIN_T_COOKIE, nonce, buf, len, JOIN_COOKIE_LEN_MSG);

	if (err)
		return err;
	if (len != JOIN_COOKIE_LEN_MSG)
		return MN_EPROTO;
	memcpy(cookie, buf + JOIN_COOKIE_O_COOKIE, JOIN_COOKIE_LEN);
	return MN_OK;
}

int join_request_encode(const struct join_request *r, uint8_t *buf, size_t cap, size_t *len)
{
	size_t name_len = strnlen(r->name, REC_NAME_MAX + 1), ilen;
	int err;

	if (!rec_name_ok(r->name, name_len))
		return MN_EINVAL;
	if ((err = put_hdr(JOIN_T_REQUEST, r->nonce, buf, cap, JOIN_REQ_O_INVITE)))
		return err;
	memcpy(buf + JOIN_REQ_O_COOKIE, r->cookie, JOIN_COOKIE_LEN);
	memcpy(buf + JOIN_REQ_O_NETHINT, r->nethint, JOIN_NETHINT_LEN);
	memcpy(buf + JOIN_REQ_O_NODE, r->node_pk, REC_PK_LEN);
	memcpy(buf + JOIN_REQ_O_PROOF, r->proof, REC_SIG_LEN);
	buf[JOIN_REQ_O_NAME_LEN] = (uint8_t)name_len;
	memcpy(buf + JOIN_REQ_O_NAME, r->name, name_len);
	if ((err = rec_invite_encode(&r->invite, buf + JOIN_REQ_O_INVITE,
				     cap - JOIN_REQ_O_INVITE, &ilen)))
		return err;
	*len = JOIN_REQ_O_INVITE + ilen;
	return MN_OK;
}

int join_request_decode(struct join_request *r, const uint8_t *buf, size_t len)
{
	uint8_t name_len;
	int err;

	memset(r, 0, sizeof(*r));
	if ((err = get_hdr(JOIN_T_REQUEST, r->nonce, buf, len, JOIN_REQ_MIN)))
		goto fail;
	err = MN_EPROTO;
	if (len > JOIN_REQ_MAX)
		goto fail;
	name_len = buf[JOIN_REQ_O_NAME_LEN];
	if (name_len > REC_NAME_MAX ||
	    !rec_name_ok((const char *)buf + JOIN_REQ_O_NAME, name_len) ||
	    !all_zero(buf + JOIN_REQ_O_NAME + name_len, REC_NAME_MAX - name_len))
		goto fail;
	if ((err = rec_invite_decode(&r->invite, buf + JOIN_REQ_O_INVITE,
				     len - JOIN_REQ_O_INVITE)))
		goto fail;
	memcpy(r->cookie, buf + JOIN_REQ_O_COOKIE, JOIN_COOKIE_LEN);
	memcpy(r->nethint, buf + JOIN_REQ_O_NETHINT, JOIN_NETHINT_LEN);
	memcpy(r->node_pk, buf + JOIN_REQ_O_NODE, REC_PK_LEN);
	memcpy(r->proof, buf + JOIN_REQ_O_PROOF, REC_SIG_LEN);
	memcpy(r->name, buf + JOIN_REQ_O_NAME, name_len);
	return MN_OK;
fail:
	memset(r, 0, sizeof(*r));
	/* A full-length request whose invite is cut short is malformed: the
	 * invite runs to the end of the datagram. */
	return err == MN_ETRUNC && len >= JOIN_REQ_MIN ? MN_EPROTO : err;
}

int join_accept_encode(const uint8_t nonce[JOIN_NONCE_LEN], const struct rec_admission *adm,
		       const uint8_t *record, size_t record_len, uint8_t *buf, size_t cap,
		       size_t *len)
{
	size_t alen;
	int err;

	if (record_len < REC_MEMBER_MIN || record_len > REC_MEMBER_MAX)
		return MN_EINVAL;
	if ((err = put_hdr(JOIN_T_ACCEPT, nonce, buf, cap, JOIN_ACC_O_RECORD + record_len)))
		return err;
	if ((err = rec_admission_encode(adm, buf + JOIN_ACC_O_ADM, REC_ADMISSION_LEN, &alen)))
		return err;
	memcpy(buf + JOIN_ACC_O_RECORD, record, record_len);
	*len = JOIN_ACC_O_RECORD + record_len;
	return MN_OK;
}

int join_accept_decode(struct join_accept *a, const uint8_t *buf, size_t len)
{
	int err;

	memset(a, 0, sizeof(*a));
	if ((err = get_hdr(JOIN_T_ACCEPT, a->nonce, buf, len, JOIN_ACC_MIN)))
		goto fail;
	err = MN_EPROTO;
	if (len > JOIN_ACC_MAX)
		goto fail;
	if ((err = rec_admission_decode(&a->adm, buf + JOIN_ACC_O_ADM, REC_ADMISSION_LEN)))
		goto fail;
	if ((err = rec_member_decode(&a->admitter, buf + JOIN_ACC_O_RECORD,
				     len - JOIN_ACC_O_RECORD)))
		goto fail;
	return MN_OK;
fail:
	memset(a, 0, sizeof(*a));
	return err == MN_ETRUNC && len >= JOIN_ACC_MIN ? MN_EPROTO : err;
}

int join_refuse_encode(const uint8_t nonce[JOIN_NONCE_LEN], enum join_reason reason,
		       uint8_t *buf, size_t cap, size_t *len)
{
	int err;

	if (reason < JOIN_R_USED_UP || reason > JOIN_R_MAX)
		return MN_EINVAL;
	if ((err = put_hdr(JOIN_T_REFUSE, nonce, buf, cap, JOIN_REF_LEN)))
		return err;
	buf[JOIN_REF_O_REASON] = (uint8_t)reason;
	*len = JOIN_REF_LEN;
	return MN_OK;
}

int join_refuse_decode(uint8_t nonce[JOIN_NONCE_LEN], enum join_reason *reason,
		       const uint8_t *buf, size_t len)
{
	int err = get_hdr(JOIN_T_REFUSE, nonce, buf, len, JOIN_REF_LEN);

	if (err)
		return err;
	if (len != JOIN_REF_LEN || buf[JOIN_REF_O_REASON] < JOIN_R_USED_UP ||
	    buf[JOIN_REF_O_REASON] > JOIN_R_MAX)
		return MN_EPROTO;
	*reason = (enum join_reason)buf[JOIN_REF_O_REASON];
	return MN_OK;
}

const char *join_reason_str(enum join_reason r)
{
	static const char *const str[JOIN_R_MAX + 1] = {
		[JOIN_R_USED_UP] = "the invite has been used up",
		[JOIN_R_EXPIRED] = "the invite has expired",
		[JOIN_R_REVOKED] = "the invite, its issuer or this node's key has been revoked",
		[JOIN_R_NAME_TAKEN] = "another member already has this name",
		[JOIN_R_WRONG_NETWORK] = "the member belongs to another network",
		[JOIN_R_NO_ADDRESS] = "the network has no free IPv4 address",
		[JOIN_R_MALFORMED] = "the member could not read the request",
		[JOIN_R_INVALID] = "the invite or the join proof does not verify",
		[JOIN_R_MEMBER] = "this node key is already a member",
		[JOIN_R_BUSY] = "the member is busy",
		[JOIN_R_OWN_INVITE] = "the member joined with this invite and cannot admit with it",
	};

	return r >= JOIN_R_USED_UP && r <= JOIN_R_MAX ? str[r] : "unknown reason";
}

bool join_reason_final(enum join_reason r)
{
	return r != JOIN_R_BUSY && r != JOIN_R_OWN_INVITE;
}
