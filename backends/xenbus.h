/* xenbus.h — the backends' own (dom0) connection to the in-process xenstore. */
#ifndef BACKENDS_XENBUS_H
#define BACKENDS_XENBUS_H

#include <stdarg.h>
#include <stdbool.h>
#include "backends/xenstore.h"

/*
 * A privileged connection plus watch callbacks, for the event thread only
 * (the store is not thread-safe). Watch events arrive while some other
 * connection (the guest's ring, a socket client) is inside the engine, so
 * they are queued and run by xenbus_dispatch(), which the event thread
 * calls after each engine call.
 */
struct xenbus;
typedef void xenbus_watch_fn(void *arg, const char *path);

struct xenbus *xenbus_new(struct xs_store *s);
struct xs_store *xenbus_store(struct xenbus *xb);
void xenbus_free(struct xenbus *xb);
/* Watch path: fn(arg, changed path) for it and everything below it (and once at once). */
int xenbus_watch(struct xenbus *xb, const char *path, xenbus_watch_fn *fn, void *arg);
void xenbus_unwatch(struct xenbus *xb, const char *path, void *arg);
/* Run queued watch callbacks (they may write, which may queue more). */
void xenbus_dispatch(struct xenbus *xb);

/* The value (NUL-terminated, malloc'd) or NULL if absent. */
char *xenbus_read(struct xenbus *xb, const char *path);
/* An unsigned decimal value in [0, max], or -1 if absent or not one. */
long long xenbus_read_uint(struct xenbus *xb, const char *path, unsigned long long max);
int xenbus_write(struct xenbus *xb, const char *path, const char *value);
int xenbus_printf(struct xenbus *xb, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xenbus_vprintf(struct xenbus *xb, const char *path, const char *fmt, va_list ap);
int xenbus_rm(struct xenbus *xb, const char *path);

#endif
