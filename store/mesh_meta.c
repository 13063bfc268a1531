/* mesh_meta.c - the mesh metadata value (see mesh_meta.h). */
#include "mesh_meta.h"

#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "mn_err.h"
#include "mn_wire.h"

static bool iface_ok(const char *s, size_t len)
{
	if (len == 0 || len > MESH_META_IFACE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

int mesh_meta_encode(const struct mesh_meta *m, uint8_t buf[MESH_META_LEN])
{
	size_t ilen = strnlen(m->iface, sizeof(m->iface));
	size_t nlen = strnlen(m->network, sizeof(m->network));

	if (!iface_ok(m->iface, ilen) || !rec_name_ok(m->network, nlen) ||
	    m->v4.family != AF_INET || m->v4.bits > 32)
		return MN_EINVAL;
	memset(buf, 0, MESH_META_LEN);
	buf[MESH_META_OFF_FORMAT] = MESH_META_FORMAT;
	memcpy(buf + MESH_META_OFF_ROOT, m->root_pk, REC_PK_LEN);
	memcpy(buf + MESH_META_OFF_NODE, m->node_pk, REC_PK_LEN);
	memcpy(buf + MESH_META_OFF_V4, m->v4.addr, 4);
	buf[MESH_META_OFF_V4_BITS] = m->v4.bits;
	mn_put_be16(buf + MESH_META_OFF_PORT, m->port);
	buf[MESH_META_OFF_IFACE_LEN] = (uint8_t)ilen;
	memcpy(buf + MESH_META_OFF_IFACE, m->iface, ilen);
	buf[MESH_META_OFF_NET_LEN] = (uint8_t)nlen;
	memcpy(buf + MESH_META_OFF_NET, m->network, nlen);
	return MN_OK;
}

int mesh_meta_decode(struct mesh_meta *m, const uint8_t *buf, size_t len)
{
	size_t ilen, nlen;

	if (len < MESH_META_LEN)
		return MN_ETRUNC;
	if (len > MESH_META_LEN || buf[MESH_META_OFF_FORMAT] != MESH_META_FORMAT)
		return MN_EPROTO;
	memset(m, 0, sizeof(*m));
	ilen = buf[MESH_META_OFF_IFACE_LEN];
	nlen = buf[MESH_META_OFF_NET_LEN];
	if (ilen > MESH_META_IFACE_MAX || nlen > REC_NAME_MAX || buf[MESH_META_OFF_V4_BITS] > 32)
		return MN_EPROTO;
	memcpy(m->root_pk, buf + MESH_META_OFF_ROOT, REC_PK_LEN);
	memcpy(m->node_pk, buf + MESH_META_OFF_NODE, REC_PK_LEN);
	m->v4.family = AF_INET;
	memcpy(m->v4.addr, buf + MESH_META_OFF_V4, 4);
	m->v4.bits = buf[MESH_META_OFF_V4_BITS];
	m->port = mn_get_be16(buf + MESH_META_OFF_PORT);
	memcpy(m->iface, buf + MESH_META_OFF_IFACE, ilen);
	memcpy(m->network, buf + MESH_META_OFF_NET, nlen);
	if (!iface_ok(m->iface, ilen) || !rec_name_ok(m->network, nlen))
		return MN_EPROTO;
	return MN_OK;
}

int mesh_meta_put(struct store_txn *t, const struct mesh_meta *m)
{
	uint8_t buf[MESH_META_LEN];
	int rc = mesh_meta_encode(m, buf);

	if (rc < 0)
		return rc;
	return store_put(t, STORE_META, MESH_META_KEY, strlen(MESH_META_KEY), buf, sizeof(buf));
}

int mesh_meta_get(struct store *s, struct mesh_meta *m)
{
	uint8_t buf[MESH_META_LEN + 1];
	size_t len;
	int rc = store_get(s, STORE_META, MESH_META_KEY, strlen(MESH_META_KEY), buf, sizeof(buf),
			   &len);

	if (rc == MN_EMSGSIZE)
		return MN_EPROTO;
	if (rc < 0)
		return rc;
	return mesh_meta_decode(m, buf, len);
}

/* ---- last known good paths ---- */

int mesh_path_encode(const struct mn_addr *a, uint8_t buf[MESH_PATH_LEN])
{
	memset(buf, 0, MESH_PATH_LEN);
	if (a->sa.sa_family == AF_INET) {
		buf[MESH_PATH_OFF_FAMILY] = MESH_PATH_FAMILY_V4;
		memcpy(buf + MESH_PATH_OFF_ADDR, &a->in4.sin_addr, 4);
		memcpy(buf + MESH_PATH_OFF_PORT, &a->in4.sin_port, 2); /* network order */
	} else if (a->sa.sa_family == AF_INET6) {
		buf[MESH_PATH_OFF_FAMILY] = MESH_PATH_FAMILY_V6;
		memcpy(buf + MESH_PATH_OFF_ADDR, &a->in6.sin6_addr, 16);
		memcpy(buf + MESH_PATH_OFF_PORT, &a->in6.sin6_port, 2);
	} else {
		return MN_EINVAL;
	}
	return MN_OK;
}

int mesh_path_decode(struct mn_addr *a, const uint8_t *buf, size_t len)
{
	if (len < MESH_PATH_LEN)
		return MN_ETRUNC;
	if (len > MESH_PATH_LEN)
		return MN_EPROTO;
	memset(a, 0, sizeof(*a));
	switch (buf[MESH_PATH_OFF_FAMILY]) {
	case MESH_PATH_FAMILY_V4:
		for (int i = 4; i < 16; i++)
			if (buf[MESH_PATH_OFF_ADDR + i])
				return MN_EPROTO;
		a->in4.sin_family = AF_INET;
		memcpy(&a->in4.sin_addr, buf + MESH_PATH_OFF_ADDR, 4);
		memcpy(&a->in4.sin_port, buf + MESH_PATH_OFF_PORT, 2);
		return MN_OK;
	case MESH_PATH_FAMILY_V6:
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, buf + MESH_PATH_OFF_ADDR, 16);
		memcpy(&a->in6.sin6_port, buf + MESH_PATH_OFF_PORT, 2);
		return MN_OK;
	default:
		return MN_EPROTO;
	}
}

int mesh_path_put(struct store_txn *t, const uint8_t pk[REC_PK_LEN], const struct mn_addr *a)
{
	uint8_t buf[MESH_PATH_LEN];
	int rc = mesh_path_encode(a, buf);

	if (rc < 0)
		return rc;
	return store_put(t, STORE_PATHS, pk, REC_PK_LEN, buf, sizeof(buf));
}

int mesh_path_del(struct store_txn *t, const uint8_t pk[REC_PK_LEN])
{
	return store_del(t, STORE_PATHS, pk, REC_PK_LEN);
}

int mesh_path_get(struct store *s, const uint8_t pk[REC_PK_LEN], struct mn_addr *a)
{
	uint8_t buf[MESH_PATH_LEN + 1];
	size_t len;
	int rc = store_get(s, STORE_PATHS, pk, REC_PK_LEN, buf, sizeof(buf), &len);

	if (rc == MN_EMSGSIZE)
		return MN_EPROTO;
	if (rc < 0)
		return rc;
	return mesh_path_decode(a, buf, len);
}
