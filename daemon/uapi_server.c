/* uapi_server.c - the UAPI unix socket on a libuv loop (see uapi_server.h). */
#include "uapi_server.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "driver.h"
#include "mn_err.h"

#define UAPI_READ_CHUNK 4096 /* room we offer libuv per read */
#define UAPI_SOCK_UMASK 0077 /* the socket is root's business only */
/* All clients' request buffers together: one request of the largest size
 * and as much again for the others. Buffers grow only as bytes arrive. */
#define UAPI_SERVER_MAX_BUFFERED (2 * (size_t)UAPI_MAX_REQUEST)

struct client {
	uv_pipe_t pipe;
	uv_shutdown_t shutdown;
	struct uapi_server *srv;
	struct client *prev, *next;
	char *buf;
	size_t len, cap;
	size_t scanned;  /* buf[0..scanned) holds no request end */
	bool line_start; /* buf[scanned] starts a line (uapi_request_end) */
	/* Nonzero: the request in progress did not fit (-EMSGSIZE past
	 * UAPI_MAX_REQUEST, -ENOMEM past the server's budget); its bytes are
	 * dropped up to its blank line, then it is answered errno=discard_err,
	 * which `wg` prints (closing instead would kill it with SIGPIPE while
	 * it still writes, and it would say nothing). */
	int discard_err;
	bool closing;
};

struct reply {
	uv_write_t req;
	char *data;
	size_t len;
};

struct uapi_server {
	uv_loop_t *loop;
	uv_pipe_t listener;
	struct wg_dev *dev;
	struct uapi_host host;
	void (*after)(void *ctx);
	void *after_ctx;
	char path[UAPI_SERVER_PATH_MAX];
	struct client *clients;
	unsigned n_clients;
	size_t buffered; /* the clients' buffer capacities, <= UAPI_SERVER_MAX_BUFFERED */
	unsigned open_handles; /* listener + clients not yet closed */
	bool closing;
};

int uapi_server_path(char *buf, size_t len, const char *ifname)
{
	int n = snprintf(buf, len, "%s/%s.sock", UAPI_SERVER_DIR, ifname);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return MN_EINVAL;
	return MN_OK;
}

/* mkdir -p for the socket directory, 0755 for each part we create. */
static int make_dir(const char *dir)
{
	char tmp[UAPI_SERVER_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return MN_EINVAL;
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return MN_EIO;
		tmp[i] = dir[i];
	}
	return MN_OK;
}

int uapi_server_claim(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc, e;

	if (make_dir(UAPI_SERVER_DIR) < 0)
		return MN_EIO;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? MN_OK : MN_EIO;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return MN_EEXIST;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return MN_EINVAL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return MN_EIO;
	do {
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} while (rc < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		/* Someone answers (or its backlog is full): it is alive,
		 * maybe in another network namespace. Never take it over. */
		errno = EADDRINUSE;
		return MN_EBUSY;
	}
	if (e != ECONNREFUSED) {
		errno = e;
		return MN_EIO;
	}
	/* Refused: nobody listens; the file is left over from a dead process. */
	if (unlink(path) < 0 && errno != ENOENT)
		return MN_EIO;
	return MN_OK;
}

/* ---- clients ---- */

static void server_handle_closed(struct uapi_server *srv)
{
	if (--srv->open_handles == 0 && srv->closing)
		free(srv);
}

static void client_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	struct uapi_server *srv = c->srv;

	if (c->buf)
		sodium_memzero(c->buf, c->cap); /* set requests carry keys */
	free(c->buf);
	srv->buffered -= c->cap;
	free(c);
	server_handle_closed(srv);
}

static void client_close(struct client *c)
{
	struct uapi_server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_clients--;
	uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void client_shut(uv_shutdown_t *req, int status)
{
	client_close(req->data);
}

/* The client is done sending: close once our replies are out. */
static void client_finish(struct client *c)
{
	if (c->closing)
		return;
	c->shutdown.data = c;
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, client_shut) < 0)
		client_close(c);
}

static void reply_written(uv_write_t *req, int status)
{
	struct reply *r = (struct reply *)req;

	/* status < 0: the client went away (or we closed it); nothing to do
	 * but free, and the client may already be gone: don't touch it. */
	sodium_memzero(r->data, r->len); /* a get reply carries the private key */
	free(r->data);
	free(r);
}

/* Double the client's buffer, up to UAPI_MAX_REQUEST and within the
 * server's budget; on failure it keeps the old one. */
static void client_grow(struct client *c)
{
	struct uapi_server *srv = c->srv;
	size_t cap = c->cap ? c->cap * 2 : UAPI_READ_CHUNK * 2;
	char *nb;

	if (c->cap >= UAPI_MAX_REQUEST)
		return;
	if (cap > UAPI_MAX_REQUEST)
		cap = UAPI_MAX_REQUEST;
	if (srv->buffered - c->cap + cap > UAPI_SERVER_MAX_BUFFERED)
		return;
	/* Not realloc: the old buffer may hold keys and is wiped. */
	nb = malloc(cap);
	if (!nb)
		return;
	if (c->buf) {
		memcpy(nb, c->buf, c->len);
		sodium_memzero(c->buf, c->cap);
		free(c->buf);
	}
	srv->buffered += cap - c->cap;
	c->buf = nb;
	c->cap = cap;
}

/* The request in progress cannot be held: drop what we have of it (all
 * scanned: line_start goes on from its end) and the rest as it comes
 * (on_read), then answer err. */
static void client_discard(struct client *c, int err)
{
	c->discard_err = err;
	sodium_memzero(c->buf, c->len);
	c->len = 0;
	c->scanned = 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct client *c = h->data;

	if (!c->discard_err && c->cap - c->len < UAPI_READ_CHUNK)
		client_grow(c);
	/* Full, and on_read has served every complete request in it. */
	if (c->buf && c->len == c->cap)
		client_discard(c, c->cap >= UAPI_MAX_REQUEST ? -EMSGSIZE : -ENOMEM);
	/* No buffer at all gives a zero-length one: libuv reports UV_ENOBUFS. */
	*b = uv_buf_init(c->buf ? c->buf + c->len : NULL, (unsigned)(c->cap - c->len));
}

/* Length of the first complete request (through its blank line), 0 if none yet. */
static size_t request_end(struct client *c)
{
	size_t end = uapi_request_end(c->buf + c->scanned, c->len - c->scanned, &c->line_start);

	if (!end) {
		c->scanned = c->len;
		return 0;
	}
	end += c->scanned;
	c->scanned = 0;
	c->line_start = true; /* the next request */
	return end;
}

/* Write resp (resp_len bytes, malloc'd; ours now) to the client. */
static int send_reply(struct client *c, char *resp, size_t resp_len)
{
	struct reply *r = malloc(sizeof(*r));
	uv_buf_t b;

	if (!r) {
		sodium_memzero(resp, resp_len);
		free(resp);
		return MN_ENOMEM;
	}
	r->data = resp;
	r->len = resp_len;
	b = uv_buf_init(resp, (unsigned)resp_len);
	if (uv_write(&r->req, (uv_stream_t *)&c->pipe, &b, 1, reply_written) < 0) {
		sodium_memzero(resp, resp_len);
		free(resp);
		free(r);
		return MN_EIO;
	}
	return MN_OK;
}

static int serve_one(struct client *c, size_t len)
{
	struct uapi_server *srv = c->srv;
	char *resp = NULL;
	size_t resp_len = 0;
	int rc;

	rc = uapi_handle(srv->dev, &srv->host, c->buf, len, driver_now(), &resp, &resp_len);
	if (srv->after)
		srv->after(srv->after_ctx);
	if (rc < 0)
		return rc;
	return send_reply(c, resp, resp_len);
}

/* Drop the bytes of a request that did not fit, through its blank line.
 * Returns 1 when it ended (answered; the buffer holds what followed it), 0
 * when more is to come, <0 when the answer could not be sent. */
static int discard_some(struct client *c)
{
	char msg[32];
	size_t end = request_end(c);
	int n;

	if (!end) {
		sodium_memzero(c->buf, c->len);
		c->len = 0;
		c->scanned = 0;
		return 0;
	}
	memmove(c->buf, c->buf + end, c->len - end);
	sodium_memzero(c->buf + c->len - end, end);
	c->len -= end;
	n = snprintf(msg, sizeof(msg), "errno=%d\n\n", c->discard_err);
	c->discard_err = 0;
	char *resp = malloc((size_t)n);
	if (!resp)
		return MN_ENOMEM;
	memcpy(resp, msg, (size_t)n);
	return send_reply(c, resp, (size_t)n) < 0 ? MN_EIO : 1;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct client *c = s->data;
	int rc;

	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			client_finish(c);
		else
			client_close(c); /* error, or UV_ENOBUFS: no buffer at all */
		return;
	}
	c->len += (size_t)nread;
	if (c->discard_err && (rc = discard_some(c)) <= 0) {
		if (rc < 0)
			client_close(c);
		return;
	}
	while (!c->closing) {
		size_t end = request_end(c);

		if (end == 0)
			return; /* wait for the rest; on_alloc caps the size */
		if (serve_one(c, end) < 0) {
			client_close(c);
			return;
		}
		memmove(c->buf, c->buf + end, c->len - end);
		sodium_memzero(c->buf + c->len - end, end);
		c->len -= end;
	}
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct uapi_server *srv = listener->data;
	struct client *c;

	if (status < 0 || srv->closing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return; /* stays in the backlog; retried on the next readiness */
	uv_pipe_init(srv->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->srv = srv;
	c->line_start = true;
	srv->open_handles++;
	c->next = srv->clients;
	if (c->next)
		c->next->prev = c;
	srv->clients = c;
	srv->n_clients++;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0 ||
	    srv->n_clients > UAPI_SERVER_MAX_CLIENTS ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_close(c);
}

/* ---- server ---- */

static void listener_closed(uv_handle_t *h)
{
	server_handle_closed(h->data);
}

int uapi_server_new(struct uapi_server **out, uv_loop_t *loop, const char *ifname,
		    struct wg_dev *dev, const struct uapi_host *host,
		    void (*after)(void *ctx), void *after_ctx)
{
	struct uapi_server *srv;
	int rc;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return MN_ENOMEM;
	srv->loop = loop;
	srv->dev = dev;
	srv->host = *host;
	srv->after = after;
	srv->after_ctx = after_ctx;
	if ((rc = uapi_server_path(srv->path, sizeof(srv->path), ifname)) < 0 ||
	    (rc = uapi_server_claim(srv->path)) < 0) {
		int e = errno;
		free(srv);
		errno = e;
		return rc;
	}
	srv->open_handles = 1;
	if ((rc = uapi_pipe_listen(loop, &srv->listener, srv, srv->path, UAPI_SOCK_UMASK,
				   UAPI_SERVER_BACKLOG, on_connection, listener_closed)) < 0) {
		srv->closing = true;
		return rc;
	}
	*out = srv;
	return MN_OK;
}

int uapi_pipe_listen(uv_loop_t *loop, uv_pipe_t *listener, void *data, const char *path,
		     mode_t mask, int backlog, uv_connection_cb on_conn,
		     uv_close_cb on_close)
{
	mode_t old_mask;
	int rc;

	uv_pipe_init(loop, listener, 0);
	listener->data = data;
	/* The socket file gets mode 0777 & ~umask at bind(); set the umask
	 * around it (the loop thread is the only thread at start-up). */
	old_mask = umask(mask);
	rc = uv_pipe_bind(listener, path);
	umask(old_mask);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)listener, backlog, on_conn);
	if (rc < 0) {
		uv_close((uv_handle_t *)listener, on_close);
		errno = -rc;
		return rc == UV_EADDRINUSE ? MN_EBUSY : MN_EIO;
	}
	return MN_OK;
}

const char *uapi_server_sock_path(const struct uapi_server *srv)
{
	return srv->path;
}

void uapi_server_close(struct uapi_server *srv)
{
	if (srv->closing)
		return;
	srv->closing = true;
	/* libuv unlinks the bound path before closing the listening fd, so a
	 * socket another process binds afterwards is never removed by us. */
	uv_close((uv_handle_t *)&srv->listener, listener_closed);
	while (srv->clients)
		client_close(srv->clients);
}
