/* backend.h — what every split-device backend shares: xenbus state, the event channel, the queue thread. */
#ifndef BACKENDS_BACKEND_H
#define BACKENDS_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "backends/grant.h"
#include "backends/xenbus.h"

/*
 * What a backend needs of xenner: dom0's xenstore connection (event thread
 * only), the guest's grant table, and its event channels. notify() and
 * the gnt_* calls are thread-safe; bind/unbind/on_port are called on the
 * event thread.
 */
struct backend_host {
	struct xenbus *xb;
	struct gnt_host *gnt;
	unsigned domid, guest_bits, nr_vcpus;
	bool trace;                             /* --trace events: say what the backends do */
	bool guest_gone;                        /* shutting down: no more event-channel requests */
	int (*bind)(void *host, unsigned guest_port, unsigned *dom0_port);
	void (*unbind)(void *host, unsigned dom0_port);
	/* Run fn(arg) on the event thread when the guest signals dom0_port (NULL: stop). */
	void (*on_port)(void *host, unsigned dom0_port, void (*fn)(void *arg), void *arg);
	void (*notify)(void *host, unsigned dom0_port);
	void *host;
};

/*
 * One device's xenbus side, as Linux's backends drive it: the frontend and
 * backend directories, the backend's state, and frontend_changed() on a
 * watch of the frontend's state (connect on Initialised/Connected,
 * disconnect and Closing/Closed, InitWait again after a close). The device
 * gives connect (0, or -errno: the backend goes Closing) and disconnect.
 */
struct xb_device {
	struct backend_host *h;
	char fe[128], be[128];
	char name[48];                          /* "blkback xvda", for messages */
	int be_state;
	int (*connect)(struct xb_device *x);
	void (*disconnect)(struct xb_device *x);
};

/*
 * Fill x for device devid of kind ("vbd", "vif") of h's domain: the
 * frontend and backend paths libxl uses, a name for messages, and the
 * backend's connect/disconnect.
 */
void xb_device_init(struct xb_device *x, struct backend_host *h, const char *kind, unsigned devid,
		    const char *name, int (*connect)(struct xb_device *), void (*disconnect)(struct xb_device *));
void xb_say(const struct xb_device *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define xb_trace(x, ...) do { if ((x)->h->trace) xb_say(x, __VA_ARGS__); } while (0)
void xb_set_state(struct xb_device *x, int state);
/* Write "<dir>/<key>" = printf(fmt, ...) (dir: x->be or x->fe). */
int xb_printf(struct xb_device *x, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The frontend's "<dir>/<key>" as a number in [0, max], or -1. */
long long xb_read_uint(struct xb_device *x, const char *dir, const char *key, unsigned long long max);
/* multi-queue-num-queues (absent: 1), checked against max; -EINVAL (said) if out of range. */
int xb_frontend_queues(struct xb_device *x, unsigned max);
/* Where queue i of nr keeps its keys: the frontend dir itself for one queue, else its queue-<i>. */
void xb_queue_dir(const struct xb_device *x, unsigned nr, unsigned i, char *dir, size_t cap);
/* Start watching the frontend's state; 0 or -errno. */
int xb_watch_frontend(struct xb_device *x);
/* Guest gone: stop watching, disconnect, Closed. */
void xb_close(struct xb_device *x);

/*
 * A queue's event channel and thread: the guest's port bound to a dom0
 * port whose events kick the thread (an eventfd), the thread started.
 */
struct be_queue {
	unsigned guest_port, dom0_port;
	int kick_fd;
	pthread_t thread;
	bool running;
	volatile bool stop;
};

/* An idle queue (call before anything else). */
void be_queue_init(struct be_queue *q);
/* Bind guest_port, then run fn(arg) on a new thread. 0, or -errno with a message said. */
int be_queue_start(struct xb_device *x, struct be_queue *q, unsigned guest_port,
		   void *(*fn)(void *), void *arg);
/* Stop the thread, unbind (unless the guest is gone), close: idle again. */
void be_queue_stop(struct xb_device *x, struct be_queue *q);
void be_queue_kick(struct be_queue *q);
/* On the queue's thread: wait up to timeout_ms for a kick or for other_fd (-1: none) to be readable. */
void be_queue_wait(struct be_queue *q, int other_fd, int timeout_ms);

#endif
