/* events.c — the host end of event channels: guest doorbells in, notifications out. */
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <xenner/hostabi.h>
#include <xenner/util.h>
#include <xen/errno.h>

/*
 * Guest -> host: the stub marks the dom0-side port in the to_host bitmap
 * and writes HOST_DOORBELL_PORT; KVM turns that write into an eventfd
 * signal (ioeventfd) without an exit to user space, and the event thread
 * runs the port's handler. Host -> guest: the handler marks the guest's
 * port in the to_guest bitmap and signals an irqfd, which KVM injects as
 * an MSI with VEC_HOST_NOTIFY on vCPU 0; the stub sets those ports
 * pending and upcalls the guest. Both bitmaps live in the stub region.
 */
#define HOST_NOTIFY_GSI 24

struct port_handler {
	void (*fn)(void *opaque);
	void *opaque;
};

static struct port_handler handlers[HOST_EVTCHN_PORTS];

/* Other fds the event thread watches (xenstore clients, TAP devices, ...). */
#define MAX_WATCHED_FDS 64
static struct watched_fd {
	int fd;
	void (*fn)(void *opaque);
	void *opaque;
} watched[MAX_WATCHED_FDS];
static unsigned nr_watched;

void events_register(unsigned port, void (*fn)(void *), void *opaque)
{
	if (port >= HOST_EVTCHN_PORTS)
		die("internal error: event port %u out of range", port);
	__atomic_store_n(&handlers[port].opaque, opaque, __ATOMIC_RELEASE);
	__atomic_store_n(&handlers[port].fn, fn, __ATOMIC_RELEASE);
}

/* Event thread only (or before it starts). */
int events_watch_fd(int fd, void (*fn)(void *), void *opaque)
{
	for (unsigned i = 0; i < nr_watched; i++)
		if (watched[i].fd == fd) {
			watched[i].fn = fn;
			watched[i].opaque = opaque;
			return 0;
		}
	if (nr_watched == MAX_WATCHED_FDS)
		return -EMFILE;
	watched[nr_watched++] = (struct watched_fd){ fd, fn, opaque };
	return 0;
}

void events_unwatch_fd(int fd)
{
	for (unsigned i = 0; i < nr_watched; i++)
		if (watched[i].fd == fd) {
			watched[i] = watched[--nr_watched];
			return;
		}
}

/*
 * dom0's end of a channel to a guest port allocated unbound for dom0: the
 * request goes through the host page (hostabi.h) and the stub answers it
 * from its host-notify interrupt on vCPU 0, which needs no help from this
 * thread. Serialised; bounded in time.
 */
#define BIND_TIMEOUT_NS (2000 * 1000 * 1000ull)
static pthread_mutex_t bind_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t dom0_ports_used[HOST_EVTCHN_PORTS / 64];

static uint64_t monotonic_ns(void);

static int host_request(struct vm *vm, uint32_t op, uint32_t guest_port, uint32_t dom0_port)
{
	struct host_page *h = (struct host_page *)(vm->stub + vm->plan.events_off);
	h->req.op = op;
	h->req.guest_port = guest_port;
	h->req.dom0_port = dom0_port;
	h->req.result = 0;
	__atomic_store_n(&h->req.state, HOST_REQ_PENDING, __ATOMIC_RELEASE);
	uint64_t one = 1, t0 = monotonic_ns();
	if (write(vm->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_err("irqfd: %s", strerror(errno));
	for (unsigned spins = 0; __atomic_load_n(&h->req.state, __ATOMIC_ACQUIRE) != HOST_REQ_DONE; spins++) {
		if (monotonic_ns() - t0 > BIND_TIMEOUT_NS) {
			__atomic_store_n(&h->req.state, HOST_REQ_FREE, __ATOMIC_RELEASE);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, spins < 100 ? 20000 : 1000000 };
		nanosleep(&ts, NULL);
	}
	int rc = h->req.result;
	__atomic_store_n(&h->req.state, HOST_REQ_FREE, __ATOMIC_RELEASE);
	return rc;
}

int events_bind_guest_port(struct vm *vm, unsigned guest_port, unsigned *dom0_port)
{
	pthread_mutex_lock(&bind_lock);
	unsigned p;
	for (p = HOST_BACKEND_PORT_FIRST; p < HOST_EVTCHN_PORTS; p++)
		if (!(dom0_ports_used[p / 64] & 1ull << (p % 64)))
			break;
	int rc = -ENOSPC;
	if (p < HOST_EVTCHN_PORTS) {
		rc = host_request(vm, HOST_EVTCHN_BIND, guest_port, p);
		if (rc == 0) {
			dom0_ports_used[p / 64] |= 1ull << (p % 64);
			*dom0_port = p;
		}
	}
	pthread_mutex_unlock(&bind_lock);
	return rc;
}

void events_unbind(struct vm *vm, unsigned dom0_port)
{
	if (dom0_port < HOST_BACKEND_PORT_FIRST || dom0_port >= HOST_EVTCHN_PORTS)
		return;
	events_register(dom0_port, NULL, NULL);
	pthread_mutex_lock(&bind_lock);
	if (dom0_ports_used[dom0_port / 64] & 1ull << (dom0_port % 64)) {
		int rc = host_request(vm, HOST_EVTCHN_UNBIND, 0, dom0_port);
		/* A port the stub does not answer for stays taken: never reused. */
		if (rc == 0 || rc == -XEN_EINVAL)
			dom0_ports_used[dom0_port / 64] &= ~(1ull << (dom0_port % 64));
	}
	pthread_mutex_unlock(&bind_lock);
}

static void setup_doorbell(struct vm *vm)
{
	vm->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->doorbell_fd < 0)
		die("eventfd: %s", strerror(errno));
	struct kvm_ioeventfd io = {
		.addr = HOST_DOORBELL_PORT, .len = 4, .fd = vm->doorbell_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		die("KVM_IOEVENTFD: %s", strerror(errno));
}

static void setup_irqfd(struct vm *vm)
{
	vm->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->irq_fd < 0)
		die("eventfd: %s", strerror(errno));
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} routing;
	memset(&routing, 0, sizeof(routing));
	routing.r.nr = 1;
	routing.e[0].gsi = HOST_NOTIFY_GSI;
	routing.e[0].type = KVM_IRQ_ROUTING_MSI;
	routing.e[0].u.msi.address_lo = 0xfee00000u;    /* APIC ID 0: vCPU 0 */
	routing.e[0].u.msi.data = HOST_NOTIFY_VECTOR;   /* fixed delivery, edge */
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &routing) < 0)
		die("KVM_SET_GSI_ROUTING: %s", strerror(errno));
	struct kvm_irqfd irqfd = { .fd = (uint32_t)vm->irq_fd, .gsi = HOST_NOTIFY_GSI };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		die("KVM_IRQFD: %s", strerror(errno));
}

void events_setup(struct vm *vm)
{
	setup_doorbell(vm);
	setup_irqfd(vm);
	vm->to_host = (uint64_t *)(vm->stub + vm->plan.events_off);
	vm->to_guest = vm->to_host + HOST_EVTCHN_PORTS / 64;
}

void events_notify_guest(struct vm *vm, unsigned port)
{
	if (port >= HOST_EVTCHN_PORTS)
		return;
	__atomic_or_fetch(&vm->to_guest[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
	uint64_t one = 1;
	if (write(vm->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_err("irqfd: %s", strerror(errno));
}

/* Run the handlers of every port the guest has signalled. */
static void drain_doorbells(struct vm *vm)
{
	uint64_t n;
	while (read(vm->doorbell_fd, &n, sizeof(n)) > 0)
		;
	for (unsigned w = 0; w < HOST_EVTCHN_PORTS / 64; w++) {
		uint64_t bits = __atomic_exchange_n(&vm->to_host[w], 0, __ATOMIC_SEQ_CST);
		while (bits) {
			unsigned port = w * 64 + (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			void (*fn)(void *) = __atomic_load_n(&handlers[port].fn, __ATOMIC_ACQUIRE);
			if (fn)
				fn(__atomic_load_n(&handlers[port].opaque, __ATOMIC_ACQUIRE));
		}
	}
}

static uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * A vCPU halted in SCHEDOP_block/poll whose own timer deadline passed more
 * than WATCHDOG_SLACK_NS ago (by the host's clock, from when the host
 * first saw that wait) gets HOST_KICK_VECTOR: the stub then runs the
 * overdue timer itself (counted as timer_rescue in --stats). KVM's
 * TSC-deadline timer has been seen to stay silent for a halted vCPU under
 * nested KVM (the test VM); this keeps such a loss to ~100 ms.
 */
#define WATCHDOG_SLACK_NS (50 * 1000 * 1000ull)
static void timer_watchdog(struct vm *vm)
{
	static struct { uint64_t since, seen; } w[CONFIG_MAX_VCPUS];
	const struct stub_stats *st = (const struct stub_stats *)(vm->stub + vm->plan.stats_off);
	uint64_t now = monotonic_ns();
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		uint64_t kind = __atomic_load_n(&st[i].wait_kind, __ATOMIC_ACQUIRE);
		uint64_t since = st[i].wait_since_ns, timer = st[i].wait_timer_ns;
		if (kind != STATS_WAIT_BLOCK && kind != STATS_WAIT_POLL) {
			w[i].since = 0;
			continue;
		}
		if (w[i].since != since) {
			w[i].since = since;
			w[i].seen = now;
			continue;
		}
		if (timer == ~0ull)
			continue;
		uint64_t due = timer > since ? timer - since : 0;
		if (now - w[i].seen > due + WATCHDOG_SLACK_NS) {
			struct kvm_msi msi = { .address_lo = 0xfee00000u | i << 12,
					       .data = HOST_KICK_VECTOR };
			ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
			w[i].seen = now;        /* again after another period, if need be */
		}
	}
}

/*
 * The event thread: doorbells, plus one optional extra fd (console input)
 * whose handler runs when it is readable.
 */
static bool still_watched(const struct watched_fd *w)
{
	for (unsigned i = 0; i < nr_watched; i++)
		if (watched[i].fd == w->fd && watched[i].fn == w->fn && watched[i].opaque == w->opaque)
			return true;
	return false;
}

static pthread_t event_thread_id;
static volatile bool event_thread_stop;

static void *event_thread(void *arg)
{
	struct vm *vm = arg;
	while (!event_thread_stop) {
		struct pollfd p[2 + MAX_WATCHED_FDS] = {
			{ .fd = vm->doorbell_fd, .events = POLLIN },
			{ .fd = vm->input_fd, .events = POLLIN },
		};
		struct watched_fd w[MAX_WATCHED_FDS];
		unsigned nw = nr_watched;
		memcpy(w, watched, nw * sizeof(w[0]));
		for (unsigned i = 0; i < nw; i++)
			p[2 + i] = (struct pollfd){ .fd = w[i].fd, .events = POLLIN };
		int n = poll(p, 2 + nw, 100);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[0].revents & POLLIN)
			drain_doorbells(vm);
		if (vm->input_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP)) && vm->input_fn)
			vm->input_fn(vm);
		for (unsigned i = 0; n > 0 && i < nw; i++)
			if ((p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) && still_watched(&w[i]))
				w[i].fn(w[i].opaque);       /* an earlier handler may have dropped it */
		if (vm->poll_fn)
			vm->poll_fn(vm);        /* retries, e.g. console output that blocked */
		timer_watchdog(vm);
	}
	return NULL;
}

void events_start(struct vm *vm)
{
	pthread_t t;
	sigset_t all, old;
	event_thread_stop = false;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&t, NULL, event_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		die("cannot start the event thread: %s", strerror(r));
	event_thread_id = t;
}

void events_stop(struct vm *vm)
{
	if (!event_thread_id)
		return;
	event_thread_stop = true;
	pthread_join(event_thread_id, NULL);
	event_thread_id = 0;
}
