/* fuzz_memo.c - memoized public-key primitives for the fuzz targets.
 *
 * A target that rebuilds its state for every input (fresh devices, a fresh
 * swim instance: the only way to be sure no input sees another's state)
 * repeats the same key generation, X25519 and key conversions each time,
 * and those dominated the run time: a handshake is about ten X25519s. These
 * definitions take the place of libsodium's for everything linked into the
 * target (a definition in the executable wins over the shared library's),
 * and answer a repeated call from a small direct-mapped table.
 *
 * Every function cached is pure: the same arguments always give the same
 * result and return value, so a hit is indistinguishable from a miss and
 * the table cannot carry anything from one input to the next but time.
 * A slot is only ever replaced by a full entry; a hit compares every input
 * byte. Bounded: a fixed number of slots, nothing allocated.
 *
 * The real functions are reached by names the project does not call:
 * crypto_scalarmult_curve25519{,_base} (what libsodium's generic names
 * call) and, for the Ed25519 -> X25519 conversion, the next definition
 * (dlsym RTLD_NEXT).
 */
/* RTLD_NEXT needs _GNU_SOURCE: AM_CPPFLAGS defines it for every file */
#include <dlfcn.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256 /* per function; the targets' setup uses a few dozen */

struct entry {
	bool used;
	int rc;
	uint8_t in[64]; /* the arguments, concatenated */
	uint8_t out[32];
};

struct table {
	struct entry e[SLOTS];
};

static struct table dh, base, conv;

static struct entry *slot(struct table *t, const uint8_t *in, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15u, w;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, in + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
	}
	return &t->e[(h >> 32) % SLOTS];
}

/* The entry for these arguments: a hit (true, result in e->out and
 * e->rc) or the slot to fill with store(). */
static bool lookup(struct table *t, const uint8_t *in, size_t len, struct entry **e)
{
	*e = slot(t, in, len);
	return (*e)->used && memcmp((*e)->in, in, len) == 0;
}

static int store(struct entry *e, const uint8_t *in, size_t len, const uint8_t *out, int rc)
{
	e->used = true;
	e->rc = rc;
	memcpy(e->in, in, len);
	memcpy(e->out, out, 32);
	return rc;
}

/* Each wrapper copies its arguments first: the output may alias them. */
int crypto_scalarmult(unsigned char *q, const unsigned char *n, const unsigned char *p)
{
	struct entry *e;
	uint8_t in[64];

	memcpy(in, n, 32);
	memcpy(in + 32, p, 32);
	if (lookup(&dh, in, 64, &e)) {
		memcpy(q, e->out, 32);
		return e->rc;
	}
	return store(e, in, 64, q, crypto_scalarmult_curve25519(q, in, in + 32));
}

int crypto_scalarmult_base(unsigned char *q, const unsigned char *n)
{
	struct entry *e;
	uint8_t in[32];

	memcpy(in, n, 32);
	if (lookup(&base, in, 32, &e)) {
		memcpy(q, e->out, 32);
		return e->rc;
	}
	return store(e, in, 32, q, crypto_scalarmult_curve25519_base(q, in));
}

int crypto_sign_ed25519_pk_to_curve25519(unsigned char *x, const unsigned char *ed)
{
	static int (*real)(unsigned char *, const unsigned char *);
	struct entry *e;
	uint8_t in[32];

	memcpy(in, ed, 32);
	if (!real) {
		real = (int (*)(unsigned char *, const unsigned char *))dlsym(
			RTLD_NEXT, "crypto_sign_ed25519_pk_to_curve25519");
		if (!real)
			abort();
	}
	if (lookup(&conv, in, 32, &e)) {
		memcpy(x, e->out, 32);
		return e->rc;
	}
	return store(e, in, 32, x, real(x, in));
}
