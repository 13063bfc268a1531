/* uapi_server.h - the WireGuard UAPI unix socket, served on a libuv loop.
 *
 * Listens on /var/run/wireguard/IFACE.sock (what `wg` looks for). Each client
 * sends requests ending with a blank line ("get=1\n\n", "set=1\n...\n\n");
 * each is handed to uapi_handle() and the reply written back. A connection
 * stays open for more requests until the client closes it (`wg` sends one).
 *
 * The socket directory is shared by every network namespace of the host, so
 * a socket file is only ever removed after connect() to it was refused: a
 * live owner, in any namespace, keeps its socket (DESIGN.md §3).
 */
#ifndef UAPI_SERVER_H
#define UAPI_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "uapi.h"
#include "wg.h"

#define UAPI_SERVER_DIR "/var/run/wireguard"
#define UAPI_SERVER_PATH_MAX 108 /* sizeof(sun_path) */

enum uapi_server_limits {
	UAPI_SERVER_MAX_CLIENTS = 32, /* more connections are closed at once */
	UAPI_SERVER_BACKLOG = 16
};

struct uapi_server;

/* "/var/run/wireguard/IFACE.sock" into buf; MN_EINVAL if it does not fit. */
int uapi_server_path(char *buf, size_t len, const char *ifname);

/* Make sure path can be bound: create the directory (0755) if needed; if a
 * socket file is there, connect to it: MN_EBUSY when a live process answers
 * (it owns the name), else the stale file is removed. MN_EEXIST when path is
 * something other than a socket; MN_EIO otherwise (errno set). */
int uapi_server_claim(const char *path);

/* Claim, bind and listen on the interface's socket. host is copied; dev and
 * host->ctx must outlive the server. after(after_ctx), if not NULL, runs
 * after each handled request (the driver sends what the request queued and
 * re-arms its timer: driver_kick). Errors as uapi_server_claim, MN_ENOMEM. */
int uapi_server_new(struct uapi_server **out, uv_loop_t *loop, const char *ifname,
		    struct wg_dev *dev, const struct uapi_host *host,
		    void (*after)(void *ctx), void *after_ctx);

/* Bind a unix socket server at path (mode 0777 & ~mask) and listen
 * (listener->data = data). On failure the listener is being closed
 * (on_close), errno is set and MN_EBUSY (the path is taken) or MN_EIO
 * returned. Shared with the control socket (control.h). */
int uapi_pipe_listen(uv_loop_t *loop, uv_pipe_t *listener, void *data, const char *path,
		     mode_t mask, int backlog, uv_connection_cb on_conn,
		     uv_close_cb on_close);

const char *uapi_server_sock_path(const struct uapi_server *srv);

/* Stop listening, remove the socket file, drop every client; the server is
 * freed once libuv has closed its handles. */
void uapi_server_close(struct uapi_server *srv);

#endif
