/* xs_socket.c — xenstored's unix socket on the in-process store. */
#include "backends/xs_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct xs_client {
	struct xs_server *srv;
	int fd;
	struct xs_conn *c;
	/* Input: one message at a time (header, then its payload). */
	uint8_t in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t in_len;
	/* Output not yet written. */
	uint8_t *out;
	size_t out_len, out_cap;
	bool dead;
};

struct xs_server {
	struct xs_store *s;
	struct xs_server_loop loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct xs_client *clients[XS_SOCKET_MAX_CLIENTS];
};

static void client_close(struct xs_client *cl)
{
	struct xs_server *srv = cl->srv;
	for (unsigned i = 0; i < XS_SOCKET_MAX_CLIENTS; i++)
		if (srv->clients[i] == cl)
			srv->clients[i] = NULL;
	srv->loop.unwatch(srv->loop.loop, cl->fd);
	close(cl->fd);
	xs_conn_free(cl->c);
	free(cl->out);
	free(cl);
}

static void client_flush(struct xs_client *cl)
{
	while (cl->out_len && !cl->dead) {
		ssize_t n = send(cl->fd, cl->out, cl->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			cl->dead = true;
			return;
		}
		memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
		cl->out_len -= (size_t)n;
	}
}

/* The engine's output for this client: queue, then write what the socket takes. */
static void client_output(void *opaque, const struct xsd_sockmsg *hdr, const void *payload)
{
	struct xs_client *cl = opaque;
	size_t need = sizeof(*hdr) + hdr->len;
	if (cl->dead)
		return;
	if (cl->out_len + need > XS_SOCKET_OUT_MAX) {
		cl->dead = true;        /* not reading: dropped at the next chance */
		return;
	}
	if (cl->out_len + need > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 8192;
		while (cap < cl->out_len + need)
			cap *= 2;
		uint8_t *p = realloc(cl->out, cap);
		if (!p) {
			cl->dead = true;
			return;
		}
		cl->out = p;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, hdr, sizeof(*hdr));
	memcpy(cl->out + cl->out_len + sizeof(*hdr), payload, hdr->len);
	cl->out_len += need;
	client_flush(cl);
}

static void client_input(void *arg)
{
	struct xs_client *cl = arg;
	const size_t hl = sizeof(struct xsd_sockmsg);
	for (;;) {
		size_t want = hl;
		if (cl->in_len >= hl) {
			const struct xsd_sockmsg *h = (const void *)cl->in;
			if (h->len > XENSTORE_PAYLOAD_MAX) {
				cl->dead = true;        /* xenstored drops such a client too */
				break;
			}
			want = hl + h->len;
		}
		if (cl->in_len == want) {
			struct xsd_sockmsg h;
			memcpy(&h, cl->in, hl);
			cl->in_len = 0;
			if (xs_handle_message(cl->srv->s, cl->c, &h, cl->in + hl))
				cl->dead = true;
			if (cl->dead)
				break;
			continue;
		}
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, want - cl->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			cl->dead = true;
			break;
		}
		cl->in_len += (size_t)n;
	}
	if (cl->dead)
		client_close(cl);
}

static void server_accept(void *arg)
{
	struct xs_server *srv = arg;
	int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	unsigned slot;
	for (slot = 0; slot < XS_SOCKET_MAX_CLIENTS && srv->clients[slot]; slot++)
		;
	struct xs_client *cl = slot < XS_SOCKET_MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
	if (!cl) {
		close(fd);              /* too many clients */
		return;
	}
	cl->srv = srv;
	cl->fd = fd;
	cl->c = xs_conn_new(srv->s, 0, client_output, cl);
	if (!cl->c || srv->loop.watch(srv->loop.loop, fd, client_input, cl)) {
		if (cl->c)
			xs_conn_free(cl->c);
		close(fd);
		free(cl);
		return;
	}
	srv->clients[slot] = cl;
}

struct xs_server *xs_server_new(struct xs_store *s, const char *path, const struct xs_server_loop *loop,
				char *err, size_t errlen)
{
	struct xs_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->s = s;
	srv->loop = *loop;
	srv->fd = -1;
	if (strlen(path) >= sizeof(srv->path)) {
		snprintf(err, errlen, "%s: path too long for a unix socket (at most %zu bytes)", path,
			 sizeof(srv->path) - 1);
		goto fail;
	}
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			goto fail;
		}
		unlink(path);           /* a stale socket of an earlier run */
	}
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, srv->path, strlen(srv->path) + 1);
	if (srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&a, sizeof(a)) || listen(srv->fd, 16)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (loop->watch(loop->loop, srv->fd, server_accept, srv)) {
		snprintf(err, errlen, "%s: cannot watch the socket", path);
		unlink(path);
		goto fail;
	}
	return srv;
fail:
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	return NULL;
}

void xs_server_flush(struct xs_server *srv)
{
	for (unsigned i = 0; i < XS_SOCKET_MAX_CLIENTS; i++) {
		struct xs_client *cl = srv->clients[i];
		if (!cl)
			continue;
		client_flush(cl);
		if (cl->dead)
			client_close(cl);
	}
}

unsigned xs_server_nr_clients(const struct xs_server *srv)
{
	unsigned n = 0;
	for (unsigned i = 0; i < XS_SOCKET_MAX_CLIENTS; i++)
		n += srv->clients[i] != NULL;
	return n;
}

void xs_server_free(struct xs_server *srv)
{
	if (!srv)
		return;
	for (unsigned i = 0; i < XS_SOCKET_MAX_CLIENTS; i++)
		if (srv->clients[i])
			client_close(srv->clients[i]);
	srv->loop.unwatch(srv->loop.loop, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
}
