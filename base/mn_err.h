/* mn_err.h - the one error enum of meshnode.
 *
 * Every fallible function returns 0 (MN_OK) or one of these negative codes;
 * results travel through out-parameters. The list is one X-macro so the enum
 * and mn_strerror() cannot drift apart (libuv's UV_ERRNO_MAP).
 */
#ifndef MN_ERR_H
#define MN_ERR_H

#define MN_ERRNO_MAP(X)                                                   \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(ETRUNC, -3, "message truncated")                                    \
	X(EMSGSIZE, -4, "message too large")                                  \
	X(EPROTO, -5, "malformed message")                                    \
	X(EAUTH, -6, "authentication failed")                                 \
	X(EREPLAY, -7, "replayed or too old")                                 \
	X(ENOKEY, -8, "unknown key")                                          \
	X(ENOENT, -9, "not found")                                            \
	X(EEXIST, -10, "already exists")                                      \
	X(EFULL, -11, "limit reached")                                        \
	X(ENOROUTE, -12, "no route to destination")                           \
	X(ESTATE, -13, "operation not valid in this state")                   \
	X(EIO, -14, "i/o error")                                              \
	X(ESYNTAX, -15, "syntax error")                                       \
	X(ERANGE, -16, "value out of range")                                  \
	X(EBUSY, -17, "busy, try again later")                                \
	X(EEXPIRED, -18, "expired")                                           \
	X(EREVOKED, -19, "revoked")                                           \
	X(ECRYPTO, -20, "cryptographic operation failed")

enum mn_err {
	MN_OK = 0,
#define MN_ERR_ENUM(name, val, msg) MN_##name = (val),
	MN_ERRNO_MAP(MN_ERR_ENUM)
#undef MN_ERR_ENUM
};

/* Static string for a code; never NULL ("unknown error" for foreign values). */
const char *mn_strerror(int err);

#endif
