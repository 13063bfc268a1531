/* control.c - the control socket (control.h). */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mn_err.h"
#include "uapi_server.h"

#define CONTROL_SOCK_UMASK 0177 /* the socket file: 0600 */

/* ---- answers ---- */

static void reply_vappend(struct control_reply *r, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (r->nomem)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (r->len + (size_t)n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		char *b;

		while (cap < r->len + (size_t)n + 1)
			cap *= 2;
		if (cap > CONTROL_REPLY_MAX || !(b = realloc(r->buf, cap))) {
			r->nomem = true;
			return;
		}
		r->buf = b;
		r->cap = cap;
	}
	vsnprintf(r->buf + r->len, (size_t)n + 1, fmt, ap);
	r->len += (size_t)n;
}

void control_reply_printf(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
}

void control_reply_error(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	r->len = 0;
	r->failed = true;
	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
}

/* ---- the server ---- */

struct control_server {
	uv_loop_t *loop;
	uv_pipe_t listener;
	control_handler fn;
	void *ctx;
	char path[UAPI_SERVER_PATH_MAX];
	unsigned open_handles;
	unsigned n_clients;
	bool closing;
};

struct control_client {
	uv_pipe_t pipe;
	uv_write_t wreq;
	struct control_server *srv;
	char req[CONTROL_REQ_MAX];
	size_t len;
	char *out;
	bool answered;
};

static void handle_closed(struct control_server *srv)
{
	if (--srv->open_handles == 0 && srv->closing)
		free(srv);
}

static void client_closed(uv_handle_t *h)
{
	struct control_client *c = h->data;
	struct control_server *srv = c->srv;

	srv->n_clients--;
	free(c->out);
	free(c);
	handle_closed(srv);
}

static void client_close(struct control_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void written(uv_write_t *w, int status)
{
	(void)status;
	client_close(w->data);
}

static void answer(struct control_client *c)
{
	struct control_reply r = { 0 };
	char *argv[CONTROL_ARGS_MAX];
	int argc = 0;
	uv_buf_t b;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	for (char *w = strtok(c->req, " "); w && argc < CONTROL_ARGS_MAX; w = strtok(NULL, " "))
		argv[argc++] = w;
	if (argc == 0)
		control_reply_error(&r, "empty request");
	else
		c->srv->fn(c->srv->ctx, argc, argv, &r);
	if (r.nomem) {
		free(r.buf);
		r = (struct control_reply){ 0 };
		control_reply_error(&r, "answer too large or out of memory");
	}
	/* "ok\n" or "error " before the body */
	size_t head = r.failed ? 6 : 3;
	c->out = malloc(head + r.len + 2);
	if (!c->out) {
		free(r.buf);
		client_close(c);
		return;
	}
	memcpy(c->out, r.failed ? "error " : "ok\n", head);
	if (r.len)
		memcpy(c->out + head, r.buf, r.len);
	size_t n = head + r.len;
	if (r.failed && (n == head || c->out[n - 1] != '\n'))
		c->out[n++] = '\n';
	free(r.buf);
	b = uv_buf_init(c->out, (unsigned)n);
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, written) < 0)
		client_close(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct control_client *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct control_client *c = s->data;
	char *nl;

	(void)b;
	if (nread == 0 || c->answered)
		return;
	if (nread < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	c->req[c->len] = 0;
	if ((nl = memchr(c->req, '\n', c->len))) {
		*nl = 0;
		answer(c);
	} else if (c->len == sizeof(c->req) - 1) {
		client_close(c); /* longer than any request */
	}
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct control_server *srv = listener->data;
	struct control_client *c;

	if (status < 0 || srv->closing || !(c = calloc(1, sizeof(*c))))
		return;
	uv_pipe_init(srv->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->srv = srv;
	srv->open_handles++;
	srv->n_clients++;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0 ||
	    srv->n_clients > CONTROL_MAX_CLIENTS ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_close(c);
}

static void listener_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

int control_server_new(struct control_server **out, uv_loop_t *loop, const char *path,
		       control_handler fn, void *ctx)
{
	struct control_server *srv;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(srv->path))
		return MN_EMSGSIZE;
	if ((rc = uapi_server_claim(path)) < 0)
		return rc;
	if (!(srv = calloc(1, sizeof(*srv))))
		return MN_ENOMEM;
	srv->loop = loop;
	srv->fn = fn;
	srv->ctx = ctx;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->open_handles = 1;
	if ((rc = uapi_pipe_listen(loop, &srv->listener, srv, srv->path, CONTROL_SOCK_UMASK,
				   CONTROL_BACKLOG, on_connection, listener_closed)) < 0) {
		srv->closing = true;
		return rc;
	}
	*out = srv;
	return MN_OK;
}

void control_server_close(struct control_server *srv)
{
	if (srv->closing)
		return;
	srv->closing = true;
	/* Clients being answered finish on their own (their close frees them);
	 * libuv unlinks the bound path. */
	uv_close((uv_handle_t *)&srv->listener, listener_closed);
}

/* ---- the client ---- */

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, by deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	while ((left = deadline - ms_now()) > 0) {
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return MN_OK;
		if (n < 0 && errno != EINTR)
			return MN_EIO;
	}
	return MN_EBUSY;
}

static int read_all(int fd, int64_t deadline, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int rc = MN_OK;

	if (!buf)
		return MN_ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *b = cap * 2 > CONTROL_REPLY_MAX ? NULL : realloc(buf, cap * 2);
			if (!b) {
				rc = MN_EPROTO;
				break;
			}
			buf = b;
			cap *= 2;
		}
		if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = MN_EIO;
			break;
		}
		len += (size_t)n;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = 0;
	*out = buf;
	*outlen = len;
	return MN_OK;
}

int control_call(const char *path, const char *request, int timeout_ms, char **body)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = ms_now() + timeout_ms;
	size_t rlen = strlen(request), len;
	char *buf;
	int fd, rc;

	*body = NULL;
	if (strlen(path) >= sizeof(sa.sun_path) || rlen + 1 > CONTROL_REQ_MAX)
		return MN_EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return MN_EIO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno == ENOENT || errno == ECONNREFUSED ? MN_ENOENT : MN_EIO;
		close(fd);
		return rc;
	}
	if (write(fd, request, rlen) != (ssize_t)rlen || write(fd, "\n", 1) != 1) {
		close(fd);
		return MN_EIO;
	}
	rc = read_all(fd, deadline, &buf, &len);
	close(fd);
	if (rc < 0)
		return rc;
	if (!strncmp(buf, "ok\n", 3)) {
		memmove(buf, buf + 3, len - 3 + 1);
		*body = buf;
		return MN_OK;
	}
	if (!strncmp(buf, "error ", 6)) {
		memmove(buf, buf + 6, len - 6 + 1);
		if (len > 6 && buf[len - 7] == '\n')
			buf[len - 7] = 0;
		*body = buf;
		return MN_EINVAL;
	}
	free(buf);
	return MN_EPROTO;
}
