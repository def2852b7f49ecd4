/* xs_socket.h — xenstored's unix socket: host tools (xenstore-ls, libxenstore) talk to the in-process store. */
#ifndef BACKENDS_XS_SOCKET_H
#define BACKENDS_XS_SOCKET_H

#include <stddef.h>
#include "backends/xenstore.h"

/*
 * Socket clients are dom0, as xenstored's are: privileged, with the full
 * xs_wire.h protocol (watches fire into the socket at any time). Each
 * client's queued output is bounded (XS_SOCKET_OUT_MAX): a client that
 * stops reading while its watches fire is dropped rather than grow memory.
 * Event thread only.
 */
#define XS_SOCKET_OUT_MAX (1u << 20)
#define XS_SOCKET_MAX_CLIENTS 32

struct xs_server;

/* How the server asks its event loop to watch (fn(arg) when readable) or forget an fd. */
struct xs_server_loop {
	int (*watch)(void *loop, int fd, void (*fn)(void *arg), void *arg);
	void (*unwatch)(void *loop, int fd);
	void *loop;
};

/*
 * Listen on path (a stale socket there is replaced; any other file is an
 * error). NULL with one line in err.
 */
struct xs_server *xs_server_new(struct xs_store *s, const char *path, const struct xs_server_loop *loop,
				char *err, size_t errlen);
/* Write what clients could not take yet (call now and then). */
void xs_server_flush(struct xs_server *srv);
/* Close every client, remove the socket file. */
void xs_server_free(struct xs_server *srv);
unsigned xs_server_nr_clients(const struct xs_server *srv);

#endif
