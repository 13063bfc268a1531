/* driver.c - libuv loop driving a wg_dev over TUN and UDP (see driver.h).
 *
 * Timer rule: one uv_timer, armed after every event to the device's next
 * deadline. A deadline that moves later leaves the timer armed at the
 * earlier time: it fires, finds nothing due (on_timer only calls
 * wg_dev_on_timer() once the deadline has passed) and re-arms. That keeps
 * the per-packet cost to one comparison instead of a timer heap update.
 */
#include "driver.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver_internal.h"
#include "mn_err.h"
#include "netlink.h"
#include "offload.h"
#include "tun.h"

static void vlog(const struct driver *drv, const char *fmt, va_list ap)
{
	fprintf(stderr, "meshnode: %s: ", drv->ifname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void driver__log(const struct driver *drv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(drv, fmt, ap);
	va_end(ap);
}

void driver__info(const struct driver *drv, const char *fmt, ...)
{
	va_list ap;

	if (drv->opts.quiet)
		return;
	va_start(ap, fmt);
	vlog(drv, fmt, ap);
	va_end(ap);
}

struct mn_time driver_now(void)
{
	struct timespec m, w;
	struct mn_time t;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	t.mono = (mn_ns)m.tv_sec * MN_NS_PER_SEC + (mn_ns)m.tv_nsec;
	t.wall = (mn_ns)w.tv_sec * MN_NS_PER_SEC + (mn_ns)w.tv_nsec;
	return t;
}

static mn_ns mono_now(void)
{
	struct timespec m;

	clock_gettime(CLOCK_MONOTONIC, &m);
	return (mn_ns)m.tv_sec * MN_NS_PER_SEC + (mn_ns)m.tv_nsec;
}

/* ---- timer ---- */

static void on_timer(uv_timer_t *t);

/* ---- the default core: the wg_dev itself ---- */

static mn_ns dev_next_deadline(void *ctx)
{
	return wg_dev_next_deadline(ctx);
}

static void dev_on_timer(void *ctx, struct mn_time now)
{
	wg_dev_on_timer(ctx, now);
}

static int dev_poll_tx(void *ctx, uint8_t *buf, size_t cap, size_t *len, struct mn_addr *dst)
{
	return wg_dev_poll_tx(ctx, buf, cap, len, dst);
}

static int dev_udp_in(void *ctx, const struct mn_addr *src, uint8_t *buf, size_t len,
		      struct mn_time now, size_t *pkt_off, size_t *pkt_len)
{
	return wg_dev_udp_in(ctx, src, buf, len, now, pkt_off, pkt_len);
}

static int dev_tun_in(void *ctx, uint8_t *buf, size_t cap, size_t len, struct mn_time now,
		      struct mn_addr *dst, size_t *out_len)
{
	return wg_dev_tun_in(ctx, buf, cap, len, now, dst, out_len);
}

static const struct driver_core dev_core = {
	.next_deadline = dev_next_deadline,
	.on_timer = dev_on_timer,
	.poll_tx = dev_poll_tx,
	.udp_in = dev_udp_in,
	.tun_in = dev_tun_in,
};

static void rearm(struct driver *drv)
{
	mn_ns d, now;
	uint64_t ms = 0;

	if (!drv->timer_init || drv->closing)
		return;
	d = drv->core.next_deadline(drv->cctx);
	if (d == MN_NEVER) {
		if (drv->armed != MN_NEVER) {
			uv_timer_stop(&drv->timer);
			drv->armed = MN_NEVER;
		}
		return;
	}
	if (drv->armed != MN_NEVER && !mn_time_before(d, drv->armed))
		return; /* fires no later than needed; on_timer re-checks */
	now = mono_now();
	if (mn_time_before(now, d))
		ms = (d - now + MN_NS_PER_MS - 1) / MN_NS_PER_MS;
	/* uv_timer counts from the loop's cached time: refresh it so the
	 * timer does not fire early by however long this turn has run. */
	uv_update_time(drv->loop);
	uv_timer_start(&drv->timer, on_timer, ms, 0);
	drv->armed = d;
}

/* ---- sending ---- */

static void flush_one(struct driver *drv, struct udp_batch *b, const struct driver_sock *s)
{
	unsigned n = b->ndgram, lost;

	if (!n)
		return;
	if (!s) { /* closed since the batch was queued (shutdown) */
		drv->stats.no_socket += n;
		udp_batch_reset(b);
		return;
	}
	lost = udp_send_batch(s->fd, b);
	drv->stats.udp_tx += n - lost;
	drv->stats.udp_tx_drop += lost;
}

static void tx_flush(struct driver *drv)
{
	flush_one(drv, &drv->tx4, drv->sock4);
	flush_one(drv, &drv->tx6, drv->sock6);
}

/* Queue one datagram; the buffer must stay untouched until tx_flush(). */
static void tx_queue(struct driver *drv, uint8_t *buf, size_t len, const struct mn_addr *dst)
{
	struct udp_batch *b;

	if (dst->sa.sa_family == AF_INET && drv->sock4)
		b = &drv->tx4;
	else if (dst->sa.sa_family == AF_INET6 && drv->sock6)
		b = &drv->tx6;
	else {
		drv->stats.no_socket++;
		return;
	}
	if (!udp_batch_add(b, buf, len, dst)) {
		tx_flush(drv);
		udp_batch_add(b, buf, len, dst);
	}
}

static void on_idle(uv_idle_t *h);

/* Send what the device queued: handshakes, cookie replies, keepalives and
 * packets a handshake released. Bounded per call; if more is left, an idle
 * handle continues on the next loop turn after I/O has had its go. */
static void drain_tx(struct driver *drv)
{
	for (unsigned round = 0; round < DRIVER_DRAIN_BATCHES; round++) {
		unsigned used = 0, polled = 0;

		while (used < DRIVER_BATCH && polled < 2 * DRIVER_BATCH) {
			struct mn_addr dst;
			size_t len;
			int rc = drv->core.poll_tx(drv->cctx, drv->bufs[used], drv->buf_size, &len, &dst);

			polled++;
			if (rc == 0)
				break;
			if (rc < 0) {
				drv->stats.core_drop++;
				continue;
			}
			tx_queue(drv, drv->bufs[used], len, &dst);
			used++;
		}
		tx_flush(drv);
		if (used < DRIVER_BATCH && polled < 2 * DRIVER_BATCH) {
			if (drv->idle_init && uv_is_active((uv_handle_t *)&drv->idle))
				uv_idle_stop(&drv->idle);
			return;
		}
	}
	if (drv->idle_init && !drv->closing)
		uv_idle_start(&drv->idle, on_idle);
}

static void on_idle(uv_idle_t *h)
{
	struct driver *drv = h->data;

	uv_idle_stop(h);
	drain_tx(drv);
	rearm(drv);
}

static void on_timer(uv_timer_t *t)
{
	struct driver *drv = t->data;
	struct mn_time now = driver_now();
	mn_ns d = drv->core.next_deadline(drv->cctx);

	drv->armed = MN_NEVER;
	if (d != MN_NEVER && mn_time_after_eq(now.mono, d))
		drv->core.on_timer(drv->cctx, now);
	drain_tx(drv);
	rearm(drv);
}

void driver_kick(struct driver *drv)
{
	if (drv->closing)
		return;
	drain_tx(drv);
	rearm(drv);
}

/* ---- the two directions ---- */

static void tun_dead(struct driver *drv, bool deleted, const char *why)
{
	char name[IF_NAMESIZE];

	if (drv->dead)
		return;
	drv->dead = true;
	if (!deleted && !if_indextoname((unsigned)drv->ifindex, name))
		deleted = true;
	uv_poll_stop(&drv->tun_poll);
	if (drv->mon_poll_init)
		uv_poll_stop(&drv->mon_poll);
	if (!deleted)
		driver__log(drv, "TUN device gone (%s): was the interface deleted?", why);
	if (drv->opts.on_dead)
		drv->opts.on_dead(drv->opts.ctx, deleted, why);
}

/* Write the coalesced items; each is one write() of up to 64 KiB. */
static void gro_flush(struct driver *drv)
{
	for (unsigned i = 0; i < drv->gro.n; i++) {
		size_t len = offload_gro_finish(&drv->gro, i);
		if (tun_write(drv->tun_fd, drv->gro.items[i].buf, len) < 0)
			drv->stats.tun_tx_drop += drv->gro.items[i].nseg;
		else
			drv->stats.tun_tx += drv->gro.items[i].nseg;
	}
	offload_gro_reset(&drv->gro);
}

/* A decrypted packet at pkt (inside a receive buffer, at WG_HEADROOM, so
 * the vnet header fits in front of it) for the TUN device. */
static void tun_deliver(struct driver *drv, uint8_t *pkt, size_t len)
{
	if (drv->offload) {
		if (offload_gro_full(&drv->gro))
			gro_flush(drv);
		offload_gro_add(&drv->gro, pkt, len);
		return;
	}
	_Static_assert(WG_HEADROOM >= OFFLOAD_VNET_HDR_LEN, "room for the vnet header");
	memset(pkt - OFFLOAD_VNET_HDR_LEN, 0, OFFLOAD_VNET_HDR_LEN);
	if (tun_write(drv->tun_fd, pkt - OFFLOAD_VNET_HDR_LEN, len + OFFLOAD_VNET_HDR_LEN) < 0)
		drv->stats.tun_tx_drop++;
	else
		drv->stats.tun_tx++;
}

/* The received datagrams drv->bufs[0 .. n), one udp_in each. */
static void udp_in_each(struct driver *drv, unsigned n, struct mn_time now)
{
	for (unsigned i = 0; i < n; i++) {
		size_t off, len;
		int rc;

		if (drv->rx.msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			drv->stats.udp_rx_trunc++;
			continue;
		}
		rc = drv->core.udp_in(drv->cctx, &drv->rx.addr[i], drv->bufs[i],
				     drv->rx.msg[i].msg_len, now, &off, &len);
		if (rc < 0) {
			drv->stats.core_drop++;
			continue;
		}
		if (rc == 0 || drv->dead)
			continue;
		tun_deliver(drv, drv->bufs[i] + off, len);
	}
}

/* The same as one batch for the core (udp_in_batch). */
static void udp_in_batch(struct driver *drv, unsigned n, struct mn_time now)
{
	struct driver_rx rx[DRIVER_BATCH];
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		if (drv->rx.msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			drv->stats.udp_rx_trunc++;
			continue;
		}
		rx[m] = (struct driver_rx){ .src = &drv->rx.addr[i], .buf = drv->bufs[i],
					    .len = drv->rx.msg[i].msg_len };
		m++;
	}
	if (!m)
		return;
	drv->core.udp_in_batch(drv->cctx, rx, m, now);
	for (unsigned i = 0; i < m; i++) {
		if (rx[i].rc < 0)
			drv->stats.core_drop++;
		else if (rx[i].rc == 1 && !drv->dead)
			tun_deliver(drv, rx[i].buf + rx[i].pkt_off, rx[i].pkt_len);
	}
}

static void on_udp(uv_poll_t *h, int status, int events)
{
	struct driver_sock *s = h->data;
	struct driver *drv = s->drv;
	struct mn_time now;

	if (status < 0) {
		/* POLLERR: libuv has stopped the handle. Unconnected UDP
		 * sockets without IP_RECVERR should never get here; if one
		 * does, clear the error and keep listening. */
		int err;
		socklen_t len = sizeof(err);

		(void)getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		uv_poll_start(h, UV_READABLE, on_udp);
		return;
	}
	now = driver_now();
	for (unsigned round = 0; round < DRIVER_BATCHES_PER_WAKE; round++) {
		int n = udp_recv_batch(s->fd, &drv->rx, drv->bufs, drv->buf_size, DRIVER_BATCH);

		if (n <= 0)
			break;
		drv->stats.udp_rx += (unsigned)n;
		if (drv->core.udp_in_batch)
			udp_in_batch(drv, (unsigned)n, now);
		else
			udp_in_each(drv, (unsigned)n, now);
		gro_flush(drv);
		drain_tx(drv);
		if (n < DRIVER_BATCH)
			break;
	}
	rearm(drv);
}

/* Encrypt and queue the segments of one TUN read sitting in
 * drv->bufs[first .. first + n). */
static void tun_segments_out(struct driver *drv, unsigned first, int n, const size_t *seg_len,
			     struct mn_time now)
{
	for (int i = 0; i < n; i++) {
		uint8_t *buf = drv->bufs[first + (unsigned)i];
		struct mn_addr dst;
		size_t out_len;
		int rc = drv->core.tun_in(drv->cctx, buf, drv->buf_size, seg_len[i], now, &dst,
					  &out_len);

		if (rc < 0)
			drv->stats.core_drop++;
		if (rc == 1)
			tx_queue(drv, buf, out_len, &dst);
	}
}

static void on_tun(uv_poll_t *h, int status, int events)
{
	struct driver *drv = h->data;
	struct mn_time now;
	size_t seg_len[DRIVER_BATCH];

	if (status < 0) {
		tun_dead(drv, false, uv_strerror(status));
		return;
	}
	now = driver_now();
	for (unsigned round = 0; round < DRIVER_BATCHES_PER_WAKE; round++) {
		unsigned used = 0, reads;

		for (reads = 0; reads < DRIVER_BATCH; reads++) {
			struct offload_vnet vh;
			ssize_t n = tun_read(drv->tun_fd, drv->super, DRIVER_SUPER_LEN);
			int nseg;

			if (n < 0) {
				tx_flush(drv);
				/* EBADFD: the device was detached from our fd,
				 * which is what deleting the interface does. */
				tun_dead(drv, errno == EBADFD, strerror(errno));
				rearm(drv);
				return;
			}
			if (n == 0)
				break;
			if ((size_t)n <= OFFLOAD_VNET_HDR_LEN) {
				drv->stats.tun_rx_bad++;
				continue;
			}
			offload_vnet_get(&vh, drv->super);
			/* Split a super-packet into MTU segments straight into
			 * the send buffers, a batch at a time. */
			size_t first = 0, total = 1;
			while (first < total) {
				if (used == DRIVER_BATCH) {
					tx_flush(drv);
					used = 0;
				}
				nseg = offload_segment(&vh, drv->super + OFFLOAD_VNET_HDR_LEN,
						       (size_t)n - OFFLOAD_VNET_HDR_LEN, first,
						       drv->bufs[used], drv->buf_size, WG_HEADROOM,
						       WG_TAILROOM, DRIVER_BATCH - used, seg_len, &total);
				if (nseg <= 0) {
					drv->stats.tun_rx_bad++;
					break;
				}
				drv->stats.tun_rx += (unsigned)nseg;
				tun_segments_out(drv, used, nseg, seg_len, now);
				used += (unsigned)nseg;
				first += (size_t)nseg;
			}
		}
		tx_flush(drv);
		drain_tx(drv);
		if (reads < DRIVER_BATCH)
			break;
	}
	rearm(drv);
}

/* ---- sockets ---- */

static void sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static void sock_del(struct driver_sock *s)
{
	if (!s)
		return;
	/* The fd may be closed right after uv_poll_stop (uv_poll docs). */
	uv_poll_stop(&s->poll);
	close(s->fd);
	s->fd = -1;
	uv_close((uv_handle_t *)&s->poll, sock_closed);
}

/* Takes ownership of fd (closed on failure). */
static int sock_new(struct driver *drv, int fd, struct driver_sock **out)
{
	struct driver_sock *s;
	int rc;

	*out = NULL;
	if (fd < 0)
		return MN_OK;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return MN_ENOMEM;
	}
	s->drv = drv;
	s->fd = fd;
	if ((rc = uv_poll_init(drv->loop, &s->poll, fd)) < 0) {
		driver__log(drv, "uv_poll_init(udp): %s", uv_strerror(rc));
		close(fd);
		free(s);
		return MN_EIO;
	}
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_udp);
	*out = s;
	return MN_OK;
}

static const char *families(const struct driver *drv)
{
	if (drv->sock4 && drv->sock6)
		return "IPv4, IPv6";
	return drv->sock4 ? "IPv4 only" : "IPv6 only";
}

int driver_set_listen_port(struct driver *drv, uint16_t port)
{
	struct driver_sock *s4, *s6;
	int fd4, fd6, rc;
	uint16_t bound;

	if (port && port == drv->port)
		return MN_OK;
	rc = udp_open_pair(port, drv->fwmark, &fd4, &fd6, &bound);
	if (rc < 0) {
		if (rc == MN_EBUSY)
			driver__log(drv, "UDP port %u is in use", port);
		else
			driver__log(drv, "cannot bind UDP port %u: %s", port, strerror(errno));
		return rc;
	}
	if ((rc = sock_new(drv, fd6, &s6)) < 0) {
		if (fd4 >= 0)
			close(fd4);
		return rc;
	}
	if ((rc = sock_new(drv, fd4, &s4)) < 0) {
		sock_del(s6);
		return rc;
	}
	sock_del(drv->sock4);
	sock_del(drv->sock6);
	drv->sock4 = s4;
	drv->sock6 = s6;
	drv->port = bound;
	driver__info(drv, "listening on UDP port %u (%s)", bound, families(drv));
	return MN_OK;
}

uint16_t driver_listen_port(const struct driver *drv)
{
	return drv->port;
}

int driver_set_fwmark(struct driver *drv, uint32_t mark)
{
	int rc;

	if (drv->sock4 && (rc = udp_set_fwmark(drv->sock4->fd, mark)) < 0)
		return rc;
	if (drv->sock6 && (rc = udp_set_fwmark(drv->sock6->fd, mark)) < 0)
		return rc;
	drv->fwmark = mark;
	return MN_OK;
}

uint32_t driver_fwmark(const struct driver *drv)
{
	return drv->fwmark;
}

const char *driver_ifname(const struct driver *drv)
{
	return drv->ifname;
}

void driver_get_stats(const struct driver *drv, struct driver_stats *out)
{
	*out = drv->stats;
}

/* ---- the link monitor ---- */

static size_t buf_size_for(uint32_t mtu)
{
	size_t need = WG_HEADROOM + (size_t)mtu + WG_TAILROOM;

	need = (need + 1023) & ~(size_t)1023;
	return need < DRIVER_BUF_MIN ? DRIVER_BUF_MIN : need;
}


/* Someone else set the interface's MTU (wg-quick does, after creating it):
 * pad to it and size the buffers for it. The buffers hold nothing between
 * callbacks, so they can be replaced here. */
static void follow_mtu(struct driver *drv, uint32_t mtu)
{
	size_t size = buf_size_for(mtu);

	if (mtu < DRIVER_MTU_MIN || mtu > DRIVER_MTU_FOLLOW_MAX) {
		driver__log(drv, "MTU set to %u; keeping buffers for %u", mtu, drv->mtu);
		return;
	}
	if (size > drv->buf_size) {
		uint8_t *arena = aligned_alloc(64, size * DRIVER_BATCH);

		if (!arena) {
			driver__log(drv, "MTU set to %u: out of memory for the buffers; "
				"larger packets will be dropped", mtu);
			return;
		}
		free(drv->arena);
		drv->arena = arena;
		drv->buf_size = size;
		for (unsigned i = 0; i < DRIVER_BATCH; i++)
			drv->bufs[i] = drv->arena + i * drv->buf_size;
	}
	drv->mtu = mtu;
	wg_dev_set_mtu(drv->dev, mtu);
	driver__info(drv, "MTU now %u", mtu);
}

static void on_monitor(uv_poll_t *h, int status, int events)
{
	struct driver *drv = h->data;
	struct netlink_link_news news;
	char name[IF_NAMESIZE];

	(void)events;
	memset(&news, 0, sizeof(news));
	if (status < 0 || netlink_monitor_read(&drv->mon, drv->ifindex, &news) < 0) {
		driver__log(drv, "link monitor failed (%s); interface deletion is now only "
			"seen through the TUN", status < 0 ? uv_strerror(status) : strerror(errno));
		uv_poll_stop(h);
		return;
	}
	if (news.overrun && !if_indextoname((unsigned)drv->ifindex, name))
		news.gone = true;
	if (news.gone) {
		tx_flush(drv);
		tun_dead(drv, true, "interface deleted");
		return;
	}
	if (news.mtu && news.mtu != drv->mtu)
		follow_mtu(drv, news.mtu);
	if ((news.addrs || news.overrun) && drv->opts.on_addrs_changed)
		drv->opts.on_addrs_changed(drv->opts.ctx);
}

/* ---- life cycle ---- */

static void driver_free(struct driver *drv)
{
	void (*done)(void *) = drv->done;
	void *ctx = drv->done_ctx;

	free(drv->routes);
	free(drv->arena);
	free(drv->super);
	free(drv->gro_arena);
	free(drv);
	if (done)
		done(ctx);
}

static void handle_closed(uv_handle_t *h)
{
	struct driver *drv = h->data;

	if (--drv->closing == 0)
		driver_free(drv);
}

void driver_close(struct driver *drv, void (*done)(void *ctx), void *ctx)
{
	drv->done = done;
	drv->done_ctx = ctx;
	drv->closing = 1; /* held until every close below is started */
	if (drv->tun_poll_init)
		uv_poll_stop(&drv->tun_poll);
	if (drv->tun_fd >= 0)
		close(drv->tun_fd); /* the interface, its addresses and routes go */
	drv->tun_fd = -1;
	if (drv->tun_poll_init) {
		drv->closing++;
		uv_close((uv_handle_t *)&drv->tun_poll, handle_closed);
	}
	if (drv->timer_init) {
		drv->closing++;
		uv_close((uv_handle_t *)&drv->timer, handle_closed);
	}
	if (drv->idle_init) {
		drv->closing++;
		uv_close((uv_handle_t *)&drv->idle, handle_closed);
	}
	if (drv->mon_poll_init) {
		drv->closing++;
		uv_close((uv_handle_t *)&drv->mon_poll, handle_closed);
	}
	sock_del(drv->sock4);
	sock_del(drv->sock6);
	drv->sock4 = drv->sock6 = NULL;
	netlink_close(&drv->nl);
	netlink_close(&drv->mon); /* uv_poll_stop'ed above by uv_close */
	if (--drv->closing == 0)
		driver_free(drv);
}

static int setup_link(struct driver *drv)
{
	char pbuf[MN_PREFIX_STRLEN];
	int rc;

	if ((rc = netlink_link_set_mtu(&drv->nl, drv->ifindex, drv->mtu)) < 0) {
		driver__log(drv, "cannot set MTU %u: %s", drv->mtu, strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < drv->opts.n_addresses; i++) {
		const struct mn_prefix *a = &drv->opts.addresses[i];

		rc = netlink_addr_add(&drv->nl, drv->ifindex, a);
		if (rc < 0 && rc != MN_EEXIST) {
			driver__log(drv, "cannot add address %s: %s",
				mn_prefix_format(a, pbuf, sizeof(pbuf)), strerror(errno));
			return rc;
		}
	}
	if ((rc = netlink_link_set_up(&drv->nl, drv->ifindex)) < 0) {
		driver__log(drv, "cannot bring the interface up: %s", strerror(errno));
		return rc;
	}
	driver__info(drv, "interface up (mtu %u, %zu address%s)", drv->mtu, drv->opts.n_addresses,
		drv->opts.n_addresses == 1 ? "" : "es");
	return MN_OK;
}

int driver_new(struct driver **out, uv_loop_t *loop, struct wg_dev *dev,
	       const struct driver_opts *opts)
{
	struct driver *drv;
	int rc, uvrc;

	*out = NULL;
	if (!tun_name_ok(opts->ifname) || opts->n_addresses > DRIVER_MAX_ADDRESSES)
		return MN_EINVAL;
	if (opts->mtu && (opts->mtu < DRIVER_MTU_MIN || opts->mtu > DRIVER_MTU_MAX))
		return MN_EINVAL;
	drv = calloc(1, sizeof(*drv));
	if (!drv)
		return MN_ENOMEM;
	drv->loop = loop;
	drv->dev = dev;
	drv->core = opts->core ? *opts->core : dev_core;
	drv->cctx = opts->core ? opts->core_ctx : (void *)dev;
	drv->opts = *opts;
	snprintf(drv->ifname, sizeof(drv->ifname), "%s", opts->ifname);
	drv->mtu = opts->mtu ? opts->mtu : DRIVER_DEFAULT_MTU;
	drv->fwmark = opts->fwmark;
	drv->tun_fd = -1;
	drv->nl.fd = -1;
	drv->mon.fd = -1;
	drv->armed = MN_NEVER;

	drv->buf_size = buf_size_for(drv->mtu);
	drv->arena = aligned_alloc(64, drv->buf_size * DRIVER_BATCH);
	if (!drv->arena) {
		rc = MN_ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < DRIVER_BATCH; i++)
		drv->bufs[i] = drv->arena + i * drv->buf_size;
	drv->super = malloc(DRIVER_SUPER_LEN);
	if (!drv->super) {
		rc = MN_ENOMEM;
		goto fail;
	}
	wg_dev_set_mtu(dev, drv->mtu);
	drv->tx4.gso = drv->tx6.gso = true;

	if ((rc = netlink_open(&drv->nl)) < 0 || (rc = netlink_monitor_open(&drv->mon)) < 0) {
		driver__log(drv, "rtnetlink socket: %s", strerror(errno));
		goto fail;
	}
	if ((rc = tun_open(drv->ifname, &drv->tun_fd, &drv->ifindex, &drv->offload)) < 0) {
		if (rc == MN_EBUSY)
			driver__log(drv, "interface exists and is in use by another process");
		else if (rc == MN_EEXIST)
			driver__log(drv, "an interface of another kind has this name");
		else
			driver__log(drv, "cannot create TUN device: %s", strerror(errno));
		goto fail;
	}
	if ((rc = setup_link(drv)) < 0)
		goto fail;
	if (drv->offload) {
		uint8_t *gbufs[OFFLOAD_GRO_ITEMS];
		size_t one = OFFLOAD_VNET_HDR_LEN + OFFLOAD_MAX_SUPER;
		drv->gro_arena = malloc(one * OFFLOAD_GRO_ITEMS);
		if (!drv->gro_arena) {
			rc = MN_ENOMEM;
			goto fail;
		}
		for (unsigned i = 0; i < OFFLOAD_GRO_ITEMS; i++)
			gbufs[i] = drv->gro_arena + i * one;
		offload_gro_init(&drv->gro, gbufs);
	} else {
		driver__info(drv, "TUN offloads unavailable: one packet per read and write");
	}

	/* From here on handles exist: failures go through driver_close(). */
	if ((uvrc = uv_poll_init(loop, &drv->tun_poll, drv->tun_fd)) < 0) {
		driver__log(drv, "uv_poll_init(tun): %s", uv_strerror(uvrc));
		rc = MN_EIO;
		goto fail;
	}
	drv->tun_poll.data = drv;
	drv->tun_poll_init = true;
	uv_timer_init(loop, &drv->timer);
	drv->timer.data = drv;
	drv->timer_init = true;
	uv_idle_init(loop, &drv->idle);
	drv->idle.data = drv;
	drv->idle_init = true;
	if ((uvrc = uv_poll_init(loop, &drv->mon_poll, drv->mon.fd)) < 0) {
		driver__log(drv, "uv_poll_init(netlink): %s", uv_strerror(uvrc));
		rc = MN_EIO;
		goto fail;
	}
	drv->mon_poll.data = drv;
	drv->mon_poll_init = true;

	if ((rc = driver_set_listen_port(drv, opts->listen_port)) < 0)
		goto fail;
	if ((rc = driver_sync_routes(drv)) < 0)
		goto fail;
	uv_poll_start(&drv->tun_poll, UV_READABLE, on_tun);
	uv_poll_start(&drv->mon_poll, UV_READABLE, on_monitor);
	driver_kick(drv);
	*out = drv;
	return MN_OK;
fail:
	driver_close(drv, NULL, NULL);
	return rc;
}
