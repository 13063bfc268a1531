/* swim_core_params.c - the swim core's core_param lines: swim's parameters
 * (swim_core_params), the adapter's own keys (swim_core_config) and the
 * detection bound the parameters promise; see swim_core.h. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mn_bits.h"
#include "mn_err.h"
#include "scn.h"
#include "swim_core.h"
#include "xmemo.h"

enum pkind { P_DUR, P_U32 };

static const struct {
	const char *key;
	enum pkind kind;
	size_t off;
} pfields[] = {
	{ "probe_interval", P_DUR, offsetof(struct swim_params, probe_interval_ns) },
	{ "probe_timeout", P_DUR, offsetof(struct swim_params, probe_timeout_ns) },
	{ "indirect_checks", P_U32, offsetof(struct swim_params, indirect_checks) },
	{ "retransmit_mult", P_U32, offsetof(struct swim_params, retransmit_mult) },
	{ "suspicion_mult", P_U32, offsetof(struct swim_params, suspicion_mult) },
	{ "suspicion_max_mult", P_U32, offsetof(struct swim_params, suspicion_max_mult) },
	{ "suspicion_floor", P_DUR, offsetof(struct swim_params, suspicion_floor_ns) },
	{ "awareness_max", P_U32, offsetof(struct swim_params, awareness_max) },
	{ "gossip_interval", P_DUR, offsetof(struct swim_params, gossip_interval_ns) },
	{ "gossip_nodes", P_U32, offsetof(struct swim_params, gossip_nodes) },
	{ "gossip_to_dead", P_DUR, offsetof(struct swim_params, gossip_to_dead_ns) },
	{ "pushpull_interval", P_DUR, offsetof(struct swim_params, pushpull_interval_ns) },
	{ "pushpull_dead_one_in", P_U32, offsetof(struct swim_params, pushpull_dead_one_in) },
	{ "dead_probe_interval", P_DUR, offsetof(struct swim_params, dead_probe_interval_ns) },
	{ "inc_jump_max", P_U32, offsetof(struct swim_params, inc_jump_max) },
};

/* The adapter's own keys: swim_core_config reads them. */
static bool adapter_key(const char *key)
{
	return strcmp(key, "profile") == 0 || strcmp(key, "bootstrap") == 0 ||
	       strcmp(key, "x25519_memo") == 0 || strcmp(key, "preload") == 0 ||
	       strcmp(key, "store") == 0 || strcmp(key, "revoker") == 0;
}

int swim_core_params(const struct sim_param *params, uint32_t nparams, const char *profile,
		     struct swim_params *out, char *err, size_t errlen)
{
	const char *prof = profile ? profile : "lan";

	for (uint32_t i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "profile") != 0)
			continue;
		if (strcmp(params[i].value, "lan") != 0 && strcmp(params[i].value, "wan") != 0)
			return simcore_param_err(err, errlen, &params[i], "want lan or wan");
		prof = params[i].value;
	}
	if (strcmp(prof, "wan") == 0)
		swim_params_wan(out);
	else
		swim_params_lan(out);
	for (uint32_t i = 0; i < nparams; i++) {
		const struct sim_param *p = &params[i];
		size_t k, nf = sizeof(pfields) / sizeof(pfields[0]);
		if (adapter_key(p->key))
			continue;
		for (k = 0; k < nf && strcmp(pfields[k].key, p->key) != 0; k++)
			;
		if (k == nf)
			return simcore_param_err(err, errlen, p, "unknown key (see sim/swim_core.h)");
		uint8_t *f = (uint8_t *)out + pfields[k].off;
		if (pfields[k].kind == P_DUR) {
			mn_ns v;
			if (scn_parse_duration(p->value, &v))
				return simcore_param_err(err, errlen, p, "want a duration");
			memcpy(f, &v, sizeof(v));
		} else {
			uint64_t v;
			if (scn_parse_u64(p->value, &v) || v > UINT32_MAX)
				return simcore_param_err(err, errlen, p, "want a 32-bit count");
			uint32_t v32 = (uint32_t)v;
			memcpy(f, &v32, sizeof(v32));
		}
	}
	if (swim_params_check(out) != MN_OK) {
		snprintf(err, errlen, "core_param: the swim parameters are out of range "
				      "(swim_params_check)");
		return MN_EINVAL;
	}
	return MN_OK;
}

int swim_core_config(const struct sim_core_args *a, uint32_t nodes, struct swim_core_config *out,
		     char *err, size_t errlen)
{
	const char *store = "auto";
	int rc;

	memset(out, 0, sizeof(*out));
	out->bootstrap = 3;
	rc = swim_core_params(a->params, a->nparams, a->profile, &out->p, err, errlen);
	for (uint32_t i = 0; i < a->nparams && !rc; i++) {
		const struct sim_param *p = &a->params[i];
		uint64_t v;
		if (strcmp(p->key, "bootstrap") == 0) {
			if (scn_parse_u64(p->value, &v) || v < 1 || v > SWC_MAX_BOOTSTRAP)
				rc = simcore_param_err(err, errlen, p, "want 1 .. 16");
			out->bootstrap = (uint32_t)v;
		} else if (strcmp(p->key, "preload") == 0) {
			if (scn_parse_u64(p->value, &v) || v > 1)
				rc = simcore_param_err(err, errlen, p, "want 0 or 1");
			out->preload = v == 1;
		} else if (strcmp(p->key, "x25519_memo") == 0) {
			if (scn_parse_u64(p->value, &v) || v < XMEMO_MIN || v > XMEMO_MAX ||
			    (v & (v - 1)))
				rc = simcore_param_err(err, errlen, p, "want a power of two, 2^12 .. 2^26");
			out->x25519_memo = v;
		} else if (strcmp(p->key, "revoker") == 0) {
			if (strcmp(p->value, "admin") != 0 && strcmp(p->value, "root") != 0)
				rc = simcore_param_err(err, errlen, p, "want admin or root");
			out->revoke_by_root = strcmp(p->value, "root") == 0;
		} else if (strcmp(p->key, "store") == 0) {
			if (strcmp(p->value, "lmdb") != 0 && strcmp(p->value, "memory") != 0 &&
			    strcmp(p->value, "auto") != 0)
				rc = simcore_param_err(err, errlen, p, "want lmdb, memory or auto");
			store = p->value;
		}
	}
	out->lmdb = strcmp(store, "lmdb") == 0 ||
		    (strcmp(store, "auto") == 0 && nodes <= SWC_LMDB_AUTO_MAX);
	if (!rc && !out->x25519_memo)
		out->x25519_memo = xmemo_default_entries(nodes);
	return rc;
}

mn_ns swim_core_detect_bound(const struct swim_params *p, uint32_t n)
{
	struct swim_scaled sc;

	swim_scale(p, n, &sc);
	return 11 * p->probe_interval_ns + mn_ceil_log2(n) * p->gossip_interval_ns + sc.susp_max_ns +
	       2 * p->probe_timeout_ns; /* the last call */
}
