/* path.c - one peer's path and the (trivial) chooser; see path.h. */
#include "path.h"

#include <string.h>

void path_init(struct path *p)
{
	memset(p, 0, sizeof(*p));
	p->remote.sa.sa_family = AF_UNSPEC;
	p->local.sa.sa_family = AF_UNSPEC;
	p->relay.sa.sa_family = AF_UNSPEC;
}

void path_choose(const struct path *p, struct path_choice *out)
{
	memset(out, 0, sizeof(*out));
	if (mn_addr_is_set(&p->remote)) {
		out->kind = PATH_DIRECT;
		out->dst = p->remote;
	} else if (mn_addr_is_set(&p->relay)) {
		out->kind = PATH_RELAY;
		out->dst = p->relay;
	} else {
		out->kind = PATH_NONE;
		out->dst.sa.sa_family = AF_UNSPEC;
	}
}

/* Whether the chooser's answer differs from before. */
static bool moved(const struct path *p, const struct path_choice *before)
{
	struct path_choice now;

	path_choose(p, &now);
	return now.kind != before->kind ||
	       (now.kind != PATH_NONE && !mn_addr_eq(&now.dst, &before->dst));
}

/* Take addr as the direct address if the rule in path.h allows it. */
static void put_remote(struct path *p, const struct mn_addr *addr, enum path_src src, mn_ns now)
{
	if (mn_addr_is_set(&p->remote) && mn_addr_eq(&p->remote, addr)) {
		if (src >= p->src) {
			p->src = src;
			p->confirmed = now;
		}
		return;
	}
	if (mn_addr_is_set(&p->remote) && src < p->src &&
	    !mn_elapsed(now, p->confirmed, PATH_STALE_NS))
		return;
	p->remote = *addr;
	p->src = src;
	p->confirmed = now;
	/* the local address belonged to the old remote */
	memset(&p->local, 0, sizeof(p->local));
	p->local.sa.sa_family = AF_UNSPEC;
}

bool path_offer(struct path *p, const struct mn_addr *addr, enum path_src src, mn_ns now)
{
	struct path_choice before;

	if (!addr || !mn_addr_is_set(addr) || src == PATH_SRC_NONE)
		return false;
	path_choose(p, &before);
	put_remote(p, addr, src, now);
	return moved(p, &before);
}

bool path_on_rx(struct path *p, const struct path_rx *rx, mn_ns now)
{
	struct path_choice before;

	if (rx->relay) {
		/* never the relay's address as the peer's own (DESIGN.md §3) */
		p->relay_rx = now;
		return false;
	}
	if (!rx->from || !mn_addr_is_set(rx->from))
		return false;
	path_choose(p, &before);
	put_remote(p, rx->from, PATH_SRC_PROVEN, now);
	if (rx->local && mn_addr_is_set(rx->local))
		p->local = *rx->local;
	return moved(p, &before);
}

bool path_set_relay(struct path *p, const struct mn_addr *relay)
{
	struct path_choice before;

	path_choose(p, &before);
	if (relay && mn_addr_is_set(relay)) {
		p->relay = *relay;
	} else {
		memset(&p->relay, 0, sizeof(p->relay));
		p->relay.sa.sa_family = AF_UNSPEC;
	}
	return moved(p, &before);
}
