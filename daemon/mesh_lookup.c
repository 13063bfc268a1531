/* mesh_lookup.c - a member by name, address or key (mesh_lookup.h). */
#include "mesh_lookup.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>

#include "mn_err.h"
#include "wgkey.h"

const uint8_t *mesh_lookup_pk(const struct mesh_lookup *l, uint32_t k)
{
	if (k == 0)
		return l->self_pk;
	return k - 1 < l->n_members ? l->members[k - 1] : NULL;
}

int mesh_lookup_find(const struct mesh_lookup *l, const char *text, uint8_t pk[REC_PK_LEN])
{
	uint8_t a4[4], a6[16], key[REC_PK_LEN], wgk[WG_KEY_LEN];
	bool is4 = inet_pton(AF_INET, text, a4) == 1, is6 = inet_pton(AF_INET6, text, a6) == 1;
	bool is_key = strlen(text) == 2 * REC_PK_LEN &&
		      sodium_hex2bin(key, sizeof(key), text, strlen(text), NULL, NULL, NULL) == 0;
	bool is_wg = strlen(text) == WGKEY_B64_LEN - 1 && wgkey_from_base64(wgk, text) == 0;
	const uint8_t *cand;

	for (uint32_t k = 0; (cand = mesh_lookup_pk(l, k)); k++) {
		struct swim_member_info mi;
		struct swim_rec_info ri;

		if (swim_member(l->swim, cand, &mi) != MN_OK || !mi.rec ||
		    swim_rec_info(l->net, mi.rec, &ri) != MN_OK)
			continue;
		if ((is4 && !memcmp(ri.ipv4, a4, 4)) || (is6 && !memcmp(ri.ipv6, a6, 16)) ||
		    (is_key && !memcmp(cand, key, REC_PK_LEN)) ||
		    (is_wg && !memcmp(mi.rec->xpk, wgk, WG_KEY_LEN)) ||
		    (!is4 && !is6 && !strcmp(ri.name, text))) {
			memcpy(pk, cand, REC_PK_LEN);
			return MN_OK;
		}
	}
	return MN_ENOENT;
}
