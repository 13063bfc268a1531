/* uapi.h - WireGuard's cross-platform userspace API (the text protocol that
 * `wg` speaks on /var/run/wireguard/IFACE.sock), applied to a wg_dev.
 *
 * Pure: the driver owns the socket, reads one request (through its
 * terminating blank line), calls uapi_handle() and writes the reply back.
 * Keys are hex on this socket. Every reply ends with "errno=N\n\n"
 * (N = 0 or the negative-errno form wireguard-go uses).
 */
#ifndef UAPI_H
#define UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mn_time.h"
#include "wg.h"

/* Device settings that live in the driver, not the core. */
struct uapi_host {
	void *ctx;
	uint16_t (*get_listen_port)(void *ctx);
	/* 0 on success, negative MN_ code (MN_EBUSY = port in use) otherwise. */
	int (*set_listen_port)(void *ctx, uint16_t port);
	uint32_t (*get_fwmark)(void *ctx);
	int (*set_fwmark)(void *ctx, uint32_t mark);
	/* Called after a set= request changed peers or their allowed IPs, so the
	 * driver may update routes. May be NULL. */
	void (*peers_changed)(void *ctx);
};

/* Largest request the driver buffers (past it, it answers errno=-EMSGSIZE).
 * A peer as `wg setconf` sends it takes ~200 bytes (key, endpoint, two
 * allowed IPs; ~330 with a preshared key and a keepalive), so 64 MiB holds
 * 200,000 peers and more: past WG_MAX_PEERS, which then answers -ENOSPC.
 * Memory follows the bytes that arrive, not this bound. */
#define UAPI_MAX_REQUEST (64 << 20)

/* Find where a request ends in a stream read in pieces: the offset in
 * buf[0..len) just past its blank line, or 0 when it is not there yet.
 * *line_start says whether buf[0] starts a line: true at the start of a
 * request (a lone "\n" is a request, and malformed), and kept by the call
 * for the next piece when no end was found. */
size_t uapi_request_end(const char *buf, size_t len, bool *line_start);

/* Handle one request of len bytes ("get=1\n\n" or "set=1\n...\n\n").
 * On return *resp is a malloc'd reply of *resp_len bytes which the caller
 * frees; returns MN_OK, or MN_ENOMEM with *resp NULL. A malformed request
 * is not an error of this function: its reply carries the errno.
 * A get reply holds the private key: sodium_memzero it before freeing.
 * host may be NULL (or have NULL getters/setters): listen_port and fwmark
 * then read as 0 and setting them answers errno=-EOPNOTSUPP. A set may queue
 * a keepalive (persistent_keepalive_interval): call wg_dev_poll_tx after. */
int uapi_handle(struct wg_dev *dev, const struct uapi_host *host, const char *req, size_t len,
		struct mn_time now, char **resp, size_t *resp_len);

#endif
