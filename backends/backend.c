/* backend.c — the xenbus state machine and the queue plumbing every backend shares. */
#include "backends/backend.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xen/io/xenbus.h>

void xb_device_init(struct xb_device *x, struct backend_host *h, const char *kind, unsigned devid,
		    const char *name, int (*connect)(struct xb_device *), void (*disconnect)(struct xb_device *))
{
	x->h = h;
	x->connect = connect;
	x->disconnect = disconnect;
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->fe, sizeof(x->fe), "/local/domain/%u/device/%s/%u", h->domid, kind, devid);
	snprintf(x->be, sizeof(x->be), "/local/domain/0/backend/%s/%u/%u", kind, h->domid, devid);
}

void xb_say(const struct xb_device *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "xenner: %s: ", x->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int xb_printf(struct xb_device *x, const char *dir, const char *key, const char *fmt, ...)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	va_list ap;
	va_start(ap, fmt);
	int rc = xenbus_vprintf(x->h->xb, path, fmt, ap);
	va_end(ap);
	return rc;
}

int xb_frontend_queues(struct xb_device *x, unsigned max)
{
	long long n = xb_read_uint(x, x->fe, "multi-queue-num-queues", UINT32_MAX);
	if (n == 0 || n > max) {
		xb_say(x, "the frontend asks for %lld queues (1 to %u offered)", n, max);
		return -EINVAL;
	}
	return n < 0 ? 1 : (int)n;
}

void xb_queue_dir(const struct xb_device *x, unsigned nr, unsigned i, char *dir, size_t cap)
{
	/* One queue: flat keys, even if multi-queue-num-queues says 1, as Linux's backends read them. */
	if (nr <= 1)
		snprintf(dir, cap, "%s", x->fe);
	else
		snprintf(dir, cap, "%s/queue-%u", x->fe, i);
}

long long xb_read_uint(struct xb_device *x, const char *dir, const char *key, unsigned long long max)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read_uint(x->h->xb, path, max);
}

void xb_set_state(struct xb_device *x, int state)
{
	x->be_state = state;
	xb_printf(x, x->be, "state", "%d", state);
	xb_trace(x, "backend state %d", state);
}

/* Linux's backends' frontend_changed(). */
static void frontend_changed(void *arg, const char *changed)
{
	struct xb_device *x = arg;
	(void)changed;
	long long fs = xb_read_uint(x, x->fe, "state", 255);
	xb_trace(x, "frontend state %lld", fs);
	switch (fs) {
	case XenbusStateInitialising:
		if (x->be_state == XenbusStateClosed)
			xb_set_state(x, XenbusStateInitWait);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (x->be_state == XenbusStateConnected)
			break;
		x->disconnect(x);
		if (x->connect(x)) {
			x->disconnect(x);
			xb_set_state(x, XenbusStateClosing);
			break;
		}
		xb_set_state(x, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		x->disconnect(x);
		xb_set_state(x, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		x->disconnect(x);
		xb_set_state(x, XenbusStateClosed);
		break;
	case XenbusStateInitWait:
	case XenbusStateReconfiguring:
	case XenbusStateReconfigured:
		break;
	default:                        /* gone (Unknown), or garbage */
		if (x->be_state != XenbusStateClosed && x->be_state != XenbusStateInitWait) {
			x->disconnect(x);
			xb_set_state(x, XenbusStateClosed);
		}
		break;
	}
}

static void state_path(const struct xb_device *x, char *path, size_t cap)
{
	snprintf(path, cap, "%s/state", x->fe);
}

int xb_watch_frontend(struct xb_device *x)
{
	char path[160];
	state_path(x, path, sizeof(path));
	return xenbus_watch(x->h->xb, path, frontend_changed, x);
}

void xb_close(struct xb_device *x)
{
	char path[160];
	state_path(x, path, sizeof(path));
	xenbus_unwatch(x->h->xb, path, x);
	x->disconnect(x);
	xb_set_state(x, XenbusStateClosed);
}

void be_queue_init(struct be_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->kick_fd = -1;
}

void be_queue_kick(struct be_queue *q)
{
	uint64_t one = 1;
	if (write(q->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "xenner: backend queue eventfd: %s\n", strerror(errno));
}

static void kick_trampoline(void *arg)
{
	be_queue_kick(arg);
}

int be_queue_start(struct xb_device *x, struct be_queue *q, unsigned guest_port,
		   void *(*fn)(void *), void *arg)
{
	struct backend_host *h = x->h;
	q->guest_port = guest_port;
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0)
		return -errno;
	int rc = h->bind(h->host, guest_port, &q->dom0_port);
	if (rc) {
		xb_say(x, "cannot bind event channel %u: %d", guest_port, rc);
		q->dom0_port = 0;
		return -EINVAL;
	}
	h->on_port(h->host, q->dom0_port, kick_trampoline, q);
	q->stop = false;
	rc = pthread_create(&q->thread, NULL, fn, arg);
	if (rc)
		return -rc;
	q->running = true;
	return 0;
}

void be_queue_stop(struct xb_device *x, struct be_queue *q)
{
	struct backend_host *h = x->h;
	if (q->running) {
		q->stop = true;
		be_queue_kick(q);
		pthread_join(q->thread, NULL);
		q->running = false;
	}
	if (q->dom0_port) {
		h->on_port(h->host, q->dom0_port, NULL, NULL);
		if (!h->guest_gone)
			h->unbind(h->host, q->dom0_port);
		q->dom0_port = 0;
	}
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	q->kick_fd = -1;
}

void be_queue_wait(struct be_queue *q, int other_fd, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = q->kick_fd, .events = POLLIN },
		{ .fd = other_fd, .events = POLLIN },
	};
	if (poll(p, 2, timeout_ms) > 0 && (p[0].revents & POLLIN)) {
		uint64_t n;
		if (read(q->kick_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			q->stop = true;
	}
}
