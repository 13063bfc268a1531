/* xmemo.c - the X25519 memo of a swim run; see xmemo.h. */
#include "xmemo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mn_err.h"
#include "mn_wire.h"

static const uint8_t zero_key[SEAL_MEMO_KEY_LEN];

uint64_t xmemo_default_entries(uint32_t nodes)
{
	uint64_t pairs = (uint64_t)nodes * (nodes - 1) / 2;
	uint64_t entries = XMEMO_MIN;

	if (pairs > (uint64_t)nodes * XMEMO_PER_NODE)
		pairs = (uint64_t)nodes * XMEMO_PER_NODE;
	while (entries < 4 * pairs && entries < XMEMO_DEFAULT_MAX)
		entries *= 2;
	return entries;
}

int xmemo_init(struct xmemo *m, uint64_t entries)
{
	m->mask = (uint32_t)(entries - 1);
	m->slots = calloc(entries, sizeof(*m->slots));
	return m->slots ? MN_OK : MN_ENOMEM;
}

void xmemo_free(struct xmemo *m)
{
	/* wipe the entries in use; reading the untouched rest of a memo of
	 * up to 2 GB maps no memory */
	for (size_t i = 0; m->slots && i <= m->mask; i++)
		if (memcmp(m->slots[i].key, zero_key, SEAL_MEMO_KEY_LEN) != 0)
			sodium_memzero(&m->slots[i], sizeof(m->slots[i]));
	free(m->slots);
	m->slots = NULL;
}

bool xmemo_get(const struct xmemo *m, const uint8_t key[SEAL_MEMO_KEY_LEN],
	       uint8_t shared[SEAL_KEY_LEN])
{
	uint32_t home = mn_get_le32(key);

	for (uint32_t w = 0; w < XMEMO_WAYS; w++) {
		const struct xmemo_ent *e = &m->slots[(home + w) & m->mask];
		if (memcmp(e->key, key, SEAL_MEMO_KEY_LEN) == 0) {
			memcpy(shared, e->val, SEAL_KEY_LEN);
			return true;
		}
		if (memcmp(e->key, zero_key, SEAL_MEMO_KEY_LEN) == 0)
			return false;
	}
	return false;
}

void xmemo_put(struct xmemo *m, const uint8_t key[SEAL_MEMO_KEY_LEN],
	       const uint8_t shared[SEAL_KEY_LEN])
{
	uint32_t home = mn_get_le32(key);
	struct xmemo_ent *e = &m->slots[(home + key[4] % XMEMO_WAYS) & m->mask];

	for (uint32_t w = 0; w < XMEMO_WAYS; w++) {
		struct xmemo_ent *f = &m->slots[(home + w) & m->mask];
		if (memcmp(f->key, zero_key, SEAL_MEMO_KEY_LEN) == 0) {
			e = f;
			break;
		}
	}
	memcpy(e->key, key, SEAL_MEMO_KEY_LEN);
	memcpy(e->val, shared, SEAL_KEY_LEN);
}
