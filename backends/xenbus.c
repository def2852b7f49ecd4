/* xenbus.c — the backends' dom0 connection to the in-process xenstore, with watch callbacks. */
#include "backends/xenbus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xb_watch {
	char *path, token[24];
	xenbus_watch_fn *fn;
	void *arg;
	struct xb_watch *next;
};

struct xb_event {
	char *path, *token;
	struct xb_event *next;
};

struct xenbus {
	struct xs_store *s;
	struct xs_conn *c;
	struct xb_watch *watches;
	struct xb_event *head, **tail;
	unsigned long next_token;
	bool dispatching;
};

/* The engine's output: only watch events matter here (requests are direct calls). */
static void xb_output(void *opaque, const struct xsd_sockmsg *hdr, const void *payload)
{
	struct xenbus *xb = opaque;
	if (hdr->type != XS_WATCH_EVENT)
		return;
	const char *p = payload;
	size_t plen = strnlen(p, hdr->len);
	if (plen + 1 >= hdr->len)
		return;
	struct xb_event *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->path = strndup(p, plen);
	e->token = strndup(p + plen + 1, hdr->len - plen - 1);
	if (!e->path || !e->token) {
		free(e->path);
		free(e->token);
		free(e);
		return;
	}
	*xb->tail = e;
	xb->tail = &e->next;
}

struct xenbus *xenbus_new(struct xs_store *s)
{
	struct xenbus *xb = calloc(1, sizeof(*xb));
	if (!xb)
		return NULL;
	xb->tail = &xb->head;
	xb->s = s;
	xb->c = xs_conn_new(s, 0, xb_output, xb);
	if (!xb->c) {
		free(xb);
		return NULL;
	}
	return xb;
}

struct xs_store *xenbus_store(struct xenbus *xb)
{
	return xb->s;
}

void xenbus_free(struct xenbus *xb)
{
	if (!xb)
		return;
	xs_conn_free(xb->c);
	for (struct xb_watch *w = xb->watches, *n; w; w = n) {
		n = w->next;
		free(w->path);
		free(w);
	}
	for (struct xb_event *e = xb->head, *n; e; e = n) {
		n = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	free(xb);
}

int xenbus_watch(struct xenbus *xb, const char *path, xenbus_watch_fn *fn, void *arg)
{
	struct xb_watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return -ENOMEM;
	}
	snprintf(w->token, sizeof(w->token), "xenner-%lu", ++xb->next_token);
	w->fn = fn;
	w->arg = arg;
	int rc = xs_watch(xb->c, path, w->token);
	if (rc) {
		free(w->path);
		free(w);
		return rc;
	}
	w->next = xb->watches;
	xb->watches = w;
	xs_watch_initial(xb->c, path, w->token);
	return 0;
}

void xenbus_unwatch(struct xenbus *xb, const char *path, void *arg)
{
	for (struct xb_watch **pw = &xb->watches; *pw; pw = &(*pw)->next) {
		struct xb_watch *w = *pw;
		if (w->arg == arg && !strcmp(w->path, path)) {
			xs_unwatch(xb->c, w->path, w->token);
			*pw = w->next;
			free(w->path);
			free(w);
			return;
		}
	}
}

void xenbus_dispatch(struct xenbus *xb)
{
	if (xb->dispatching)
		return;                 /* a callback's writes: the outer loop runs them */
	xb->dispatching = true;
	while (xb->head) {
		struct xb_event *e = xb->head;
		xb->head = e->next;
		if (!xb->head)
			xb->tail = &xb->head;
		for (struct xb_watch *w = xb->watches; w; w = w->next)
			if (!strcmp(w->token, e->token)) {
				w->fn(w->arg, e->path);
				break;
			}
		free(e->path);
		free(e->token);
		free(e);
	}
	xb->dispatching = false;
}

char *xenbus_read(struct xenbus *xb, const char *path)
{
	char *buf = malloc(XENSTORE_PAYLOAD_MAX + 1);
	size_t len;
	if (!buf || xs_read(xb->c, 0, path, buf, XENSTORE_PAYLOAD_MAX, &len)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

long long xenbus_read_uint(struct xenbus *xb, const char *path, unsigned long long max)
{
	char *v = xenbus_read(xb, path);
	long long r = -1;
	if (v && v[0] >= '0' && v[0] <= '9' && strlen(v) <= 20) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (!errno && !*end && n <= max)
			r = (long long)n;
	}
	free(v);
	return r;
}

int xenbus_write(struct xenbus *xb, const char *path, const char *value)
{
	return xs_write(xb->c, 0, path, value, strlen(value));
}

int xenbus_vprintf(struct xenbus *xb, const char *path, const char *fmt, va_list ap)
{
	char buf[256];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -E2BIG;
	return xenbus_write(xb, path, buf);
}

int xenbus_printf(struct xenbus *xb, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = xenbus_vprintf(xb, path, fmt, ap);
	va_end(ap);
	return rc;
}

int xenbus_rm(struct xenbus *xb, const char *path)
{
	return xs_rm(xb->c, 0, path);
}
