/* control.h - the daemon's control socket (DIR/control.sock, mode 0600),
 * what `meshnode down`, `status` (and next `invite`, `join`, `ping`,
 * `kick`) talk to.
 *
 * Protocol: the client connects and sends one request, a line of words
 * separated by single spaces ending in "\n" (at most CONTROL_REQ_MAX
 * bytes with it); the server answers and closes. The answer's first line
 * is "ok" or "error REASON" (REASON: one line for the user); what follows
 * is the body (`status`: the text, or the JSON of doc/status-json.md).
 *
 * Requests (the daemon's handler decides; unknown words are an error):
 *   status          the human-readable status
 *   status json     the JSON status
 *   down            stop the daemon (answered "ok" before it stops)
 *   peer NODE       one member by name or overlay address, one line (mesh_status.h)
 * Next: "invite ...", "join LINK", "ping NAME", "kick NAME": words the
 * same way, the answer's body their output.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

enum control_limits {
	CONTROL_REQ_MAX = 4096,          /* a request line, with its "\n" */
	CONTROL_ARGS_MAX = 16,           /* words in a request */
	CONTROL_REPLY_MAX = 1 << 22,     /* an answer (a status of many members) */
	CONTROL_MAX_CLIENTS = 16,        /* more connections are closed at once */
	CONTROL_BACKLOG = 8,
	CONTROL_TIMEOUT_MS = 5000,       /* the client's wait for an answer */
};

/* An answer being built (the handler's output). */
struct control_reply {
	char *buf;
	size_t len, cap;
	bool failed; /* control_reply_error was called */
	bool nomem;
};

/* Append to the body. */
void control_reply_printf(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make the answer "error REASON" (the body is dropped). */
void control_reply_error(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The handler: argv[0 .. argc) the request's words (argc >= 1). */
typedef void (*control_handler)(void *ctx, int argc, char **argv, struct control_reply *r);

struct control_server;

/* Claim path (a live owner: MN_EBUSY; a stale socket is removed), bind it
 * with mode 0600 and listen. ctx must outlive the server. */
int control_server_new(struct control_server **out, uv_loop_t *loop, const char *path,
		       control_handler fn, void *ctx);
/* Stop listening, remove the socket file; freed once libuv closed it all. */
void control_server_close(struct control_server *srv);

/* The client side (blocking, at most timeout_ms): send request (without
 * its "\n"), read the whole answer into *body (malloc'd, NUL-terminated;
 * the status line removed). MN_OK for "ok"; MN_EINVAL for "error"
 * (*body is then the reason); MN_ENOENT when nothing listens at path (not
 * running); MN_EIO / MN_EBUSY (timeout) / MN_EPROTO otherwise. */
int control_call(const char *path, const char *request, int timeout_ms, char **body);

#endif
