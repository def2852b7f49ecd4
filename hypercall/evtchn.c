/* evtchn.c — event_channel_op, event delivery (2-level ABI), upcalls and the stub's interrupts. */
#include "hypercall.h"
#include "apic.h"

/*
 * The port state machine is evtchn_table.c; this file copies arguments,
 * takes the event lock and turns "port p is pending" into Xen's bits in
 * shared_info/vcpu_info plus a kick of the vCPU concerned. Semantics and
 * errors: Xen 4.17 xen/common/event_channel.c, event_2l.c, and
 * xen/arch/x86/x86_64/entry.S (test_guest_events) for the upcall.
 */

#define T (&dom.ev.t)

static void ev_lock(void)
{
	spin_lock(&dom.ev.lock);
}

static void ev_unlock(void)
{
	spin_unlock(&dom.ev.lock);
}

static struct {
	unsigned nr_dom0;
	uint32_t dom0_ports[EVTCHN_DOM0_BOOT_MAX];
} boot_host;

void evtchn_set_host(const uint32_t *dom0_ports, unsigned n)
{
	if (n > EVTCHN_DOM0_BOOT_MAX)
		panic("boot description: %u dom0 ports (at most %u)", n, EVTCHN_DOM0_BOOT_MAX);
	boot_host.nr_dom0 = n;
	for (unsigned i = 0; i < n; i++)
		boot_host.dom0_ports[i] = dom0_ports[i];
}

void evtchn_init(void)
{
	_Static_assert(EVTCHN_MAX_VCPUS == MAX_VCPUS, "evtchn_table.h");
	_Static_assert(HOST_EVTCHN_PORTS % 32 == 0, "hostabi.h");
	evtchn_table_init(T, (domid_t)dom.bi.domid, dom.bi.nr_vcpus, EVTCHN_MAX_PORTS - 1);
	dom.ev.to_host = (uint32_t *)dom.host->to_host;
	dom.ev.to_guest = (uint32_t *)dom.host->to_guest;
	for (unsigned i = 0; i < boot_host.nr_dom0; i++) {
		uint32_t p = boot_host.dom0_ports[i];
		if (p >= HOST_EVTCHN_PORTS || evtchn_bind_dom0_boot(T, p, p))
			panic("boot description: cannot bind port %u to dom0", p);
	}
}

/* A vCPU's vcpu_info, also for vCPUs that were never brought up (shared_info's slot). */
static struct vcpu_info *vcpu_info_of(unsigned id)
{
	struct vcpu *v = dom.vcpus[id];
	return v ? v->vcpu_info : &dom.shared_info->vcpu_info[id];
}

/* Xen's evtchn_port_set_pending() for a usable port; event lock held. */
static void set_pending_locked(unsigned vcpu_id, uint32_t port)
{
	bool upcall = evtchn_2l_set_pending(dom.shared_info, vcpu_info_of(vcpu_id), port);
	trace(TRACE_EVENTS, "event: port %u pending for vcpu%u%s", port, vcpu_id,
	      upcall ? " (upcall now pending)" : "");
	if (upcall && dom.vcpus[vcpu_id])
		vcpu_kick(dom.vcpus[vcpu_id]);
	sched_check_pollers(port);
}

void evtchn_send_virq(struct vcpu *v, unsigned virq)
{
	unsigned notify;
	ev_lock();
	uint32_t port = evtchn_virq_port(T, v->id, virq, &notify);
	if (port)
		set_pending_locked(notify, port);
	ev_unlock();
}

bool evtchn_virq_bound(unsigned vcpu, unsigned virq)
{
	unsigned notify;
	ev_lock();
	bool bound = evtchn_virq_port(T, vcpu, virq, &notify) != 0;
	ev_unlock();
	return bound;
}

int evtchn_port_poll(uint32_t port)
{
	int rc = -XEN_EINVAL;
	ev_lock();
	if (evtchn_port_valid(T, port) && evtchn_usable(&T->port[port]))
		rc = evtchn_2l_is_pending(dom.shared_info, port);
	ev_unlock();
	return rc;
}

void evtchn_send_to_dom0(uint32_t dom0_port)
{
	if (dom0_port >= HOST_EVTCHN_PORTS)
		return;
	uint32_t bit = 1u << (dom0_port % 32);
	if (__atomic_fetch_or(&dom.ev.to_host[dom0_port / 32], bit, __ATOMIC_SEQ_CST) & bit)
		return;         /* marked already: the host has a doorbell to answer */
	trace(TRACE_EVENTS, "event: to dom0 port %u (doorbell)", dom0_port);
	__asm__ volatile("outl %0, %w1" : : "a"(dom0_port), "Nd"(HOST_DOORBELL_PORT) : "memory");
}

/*
 * The host's request (hostabi.h, host_page.req): dom0 binds its end of a
 * channel to one of our ports that waits unbound for dom0, or closes its
 * end. Event lock held.
 */
static void host_request_locked(void)
{
	volatile typeof(dom.host->req) *q = &dom.host->req;
	if (__atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != HOST_REQ_PENDING)
		return;
	uint32_t gport = q->guest_port, dport = q->dom0_port;
	int rc = -XEN_EINVAL;
	switch (q->op) {
	case HOST_EVTCHN_BIND:
		rc = dport < HOST_EVTCHN_PORTS ? evtchn_dom0_bind(T, gport, dport) : -XEN_EINVAL;
		break;
	case HOST_EVTCHN_UNBIND:
		rc = evtchn_dom0_unbind(T, dport);
		break;
	}
	trace(TRACE_EVENTS, "event: dom0 %s port %u <-> our port %u: %d",
	      q->op == HOST_EVTCHN_BIND ? "binds" : "closes", dport, gport, rc);
	q->result = rc;
	__atomic_store_n(&q->state, HOST_REQ_DONE, __ATOMIC_RELEASE);
}

void evtchn_host_notify(void)
{
	ev_lock();
	host_request_locked();
	for (unsigned w = 0; w < HOST_EVTCHN_PORTS / 32; w++) {
		uint32_t m = __atomic_exchange_n(&dom.ev.to_guest[w], 0, __ATOMIC_SEQ_CST);
		while (m) {
			uint32_t port = evtchn_dom0_peer(T, w * 32 + (unsigned)__builtin_ctz(m));
			m &= m - 1;
			/* Nothing if our end was closed: dom0's port is unbound, the event lost. */
			if (port)
				set_pending_locked(T->port[port].notify_vcpu, port);
		}
	}
	ev_unlock();
}

/*
 * Xen's test_guest_events: the 16-bit word {upcall_pending, upcall_mask}
 * minus 1 must be below 0xff, i.e. pending non-zero and mask zero. Xen
 * bounces even to a callback address of 0; the stub waits until the
 * guest has registered one (callback.c), since such a guest would die.
 */
void evtchn_check_upcall(struct vcpu *v, struct regs *r)
{
	const struct vcpu_info *vi = v->vcpu_info;
	if (likely(!vi->evtchn_upcall_pending) || vi->evtchn_upcall_mask || !v->cb.event_address)
		return;
	v->stats->upcall++;
	trace(TRACE_EVENTS, "event: upcall to %lx", (ulong)v->cb.event_address);
	create_bounce_frame(v, r, v->cb.event_address, v->cb.event_cs, true, false, 0);
}

void evtchn_interrupt(struct vcpu *v, struct regs *r, unsigned vector)
{
	switch (vector) {
	case VEC_TIMER:
		apic_eoi();
		time_timer_interrupt(v);
		break;
	case VEC_KICK:
		/* The upcall check on the way back to the guest does the rest. */
		apic_eoi();
		tlb_service_requests(v);
		time_kick(v);
		break;
	case VEC_HOST_NOTIFY:
		apic_eoi();
		evtchn_host_notify();
		break;
	case VEC_SPURIOUS:
		break;
	default:
		apic_eoi();
		trace(TRACE_UNKNOWN, "unexpected interrupt, vector %u", vector);
		break;
	}
}

/* ---- EVTCHNOP_* ---- */

/*
 * Close a port (Xen's evtchn_close + evtchn_free); event lock held. The
 * caller runs time_virq_timer_bound() for a closed VIRQ_TIMER after
 * dropping the lock (it may raise VIRQ_TIMER itself).
 */
static int close_port(uint32_t port, struct evtchn *old)
{
	int rc = evtchn_close(T, port, old);
	if (rc)
		return rc;
	evtchn_2l_clear_pending(dom.shared_info, port);
	/* A port bound to dom0: the host is not told yet (see evtchn_send_to_dom0). */
	return 0;
}

static void virq_timer_bound(unsigned vcpu, bool bound)
{
	if (vcpu < MAX_VCPUS && dom.vcpus[vcpu])
		time_virq_timer_bound(dom.vcpus[vcpu], bound);
}

static long send(uint32_t port)
{
	struct evtchn_send_target to;
	int rc = evtchn_send_target(T, port, &to);
	if (rc)
		return rc;
	if (to.kind == EVTCHN_SEND_LOCAL)
		set_pending_locked(to.vcpu, to.port);
	else if (to.kind == EVTCHN_SEND_DOM0)
		evtchn_send_to_dom0(to.port);
	return 0;
}

static long unmask(uint32_t port)
{
	if (!evtchn_port_valid(T, port))
		return -XEN_EINVAL;
	const struct evtchn *c = &T->port[port];
	if (evtchn_usable(c) &&
	    evtchn_2l_unmask(dom.shared_info, vcpu_info_of(c->notify_vcpu), port) &&
	    dom.vcpus[c->notify_vcpu])
		vcpu_kick(dom.vcpus[c->notify_vcpu]);
	return 0;
}

static long bind_interdomain(struct evtchn_bind_interdomain *a)
{
	int port = evtchn_bind_interdomain(T, a->remote_dom, a->remote_port);
	if (port < 0)
		return port;
	a->local_port = (uint32_t)port;
	/* Notifications sent while the remote end was unbound are lost: Xen marks it pending. */
	set_pending_locked(T->port[port].notify_vcpu, (uint32_t)port);
	return 0;
}

static long store_port(uint32_t *dst, int port)
{
	if (port < 0)
		return port;
	*dst = (uint32_t)port;
	return 0;
}

/* Copy in, act under the event lock, copy out on success (Xen's do_event_channel_op). */
#define COPY_IN(a)                                                      \
	do {                                                            \
		if (copy_from_guest(&(a), arg, sizeof(a)))              \
			return -XEN_EFAULT;                             \
	} while (0)
#define LOCKED(call) ({ ev_lock(); long rc_ = (call); ev_unlock(); rc_; })
#define COPY_OUT(a, rc) \
	((rc) < 0 ? (rc) : copy_to_guest(arg, &(a), sizeof(a)) ? -XEN_EFAULT : 0)

static long evtchn_op(unsigned cmd, ulong arg)
{
	long rc;
	switch (cmd) {
	case EVTCHNOP_alloc_unbound: {
		struct evtchn_alloc_unbound a;
		COPY_IN(a);
		rc = LOCKED(store_port(&a.port, evtchn_alloc_unbound(T, a.dom, a.remote_dom)));
		return COPY_OUT(a, rc);
	}
	case EVTCHNOP_bind_interdomain: {
		struct evtchn_bind_interdomain a;
		COPY_IN(a);
		rc = LOCKED(bind_interdomain(&a));
		return COPY_OUT(a, rc);
	}
	case EVTCHNOP_bind_virq: {
		struct evtchn_bind_virq a;
		COPY_IN(a);
		rc = LOCKED(store_port(&a.port, evtchn_bind_virq(T, a.virq, a.vcpu)));
		if (!rc && a.virq == VIRQ_TIMER)
			virq_timer_bound(a.vcpu, true);
		return COPY_OUT(a, rc);
	}
	case EVTCHNOP_bind_ipi: {
		struct evtchn_bind_ipi a;
		COPY_IN(a);
		rc = LOCKED(store_port(&a.port, evtchn_bind_ipi(T, a.vcpu)));
		return COPY_OUT(a, rc);
	}
	case EVTCHNOP_bind_pirq: {
		/* A domU has no physical IRQs: Xen's pirq_access_permitted() refuses. */
		struct evtchn_bind_pirq a;
		COPY_IN(a);
		return -XEN_EPERM;
	}
	case EVTCHNOP_close: {
		struct evtchn_close a;
		struct evtchn old;
		COPY_IN(a);
		rc = LOCKED(close_port(a.port, &old));
		if (!rc && old.state == ECS_VIRQ && old.virq == VIRQ_TIMER)
			virq_timer_bound(old.notify_vcpu, false);
		return rc;
	}
	case EVTCHNOP_send: {
		struct evtchn_send a;
		COPY_IN(a);
		return LOCKED(send(a.port));
	}
	case EVTCHNOP_status: {
		struct evtchn_status a;
		COPY_IN(a);
		rc = LOCKED(evtchn_status(T, &a));
		return COPY_OUT(a, rc);
	}
	case EVTCHNOP_bind_vcpu: {
		struct evtchn_bind_vcpu a;
		COPY_IN(a);
		return LOCKED(evtchn_bind_vcpu(T, a.port, a.vcpu));
	}
	case EVTCHNOP_unmask: {
		struct evtchn_unmask a;
		COPY_IN(a);
		return LOCKED(unmask(a.port));
	}
	case EVTCHNOP_reset: {
		/* Close every port of our own domain. */
		struct evtchn_reset a;
		struct evtchn old;
		COPY_IN(a);
		ev_lock();
		rc = evtchn_domain_check(T, a.dom);
		for (uint32_t p = 1; !rc && p < T->valid; p++)
			if (T->port[p].state != ECS_FREE)
				close_port(p, &old);
		ev_unlock();
		for (unsigned v = 0; !rc && v < MAX_VCPUS; v++)
			virq_timer_bound(v, false);
		return rc;
	}
	case EVTCHNOP_set_priority: {
		/* 2-level ports have no priority: Xen says -ENOSYS for a valid port. */
		struct evtchn_set_priority a;
		COPY_IN(a);
		return LOCKED(evtchn_port_valid(T, a.port) ? -XEN_ENOSYS : -XEN_EINVAL);
	}
	case EVTCHNOP_init_control:
	case EVTCHNOP_expand_array:
		return HYPERCALL_UNSUPPORTED;   /* the FIFO ABI: not yet */
	default:
		return -XEN_ENOSYS;
	}
}

long do_event_channel_op(HC_ARGS)
{
	return evtchn_op((unsigned)a1, a2);
}

/* The pre-3.0.2 interface: struct evtchn_op {cmd; union u} in one buffer. */
long do_event_channel_op_compat(HC_ARGS)
{
	struct evtchn_op op;
	if (copy_from_guest(&op, a1, sizeof(op)))
		return -XEN_EFAULT;
	switch (op.cmd) {
	case EVTCHNOP_bind_interdomain:
	case EVTCHNOP_bind_virq:
	case EVTCHNOP_bind_pirq:
	case EVTCHNOP_close:
	case EVTCHNOP_send:
	case EVTCHNOP_status:
	case EVTCHNOP_alloc_unbound:
	case EVTCHNOP_bind_ipi:
	case EVTCHNOP_bind_vcpu:
	case EVTCHNOP_unmask:
		return evtchn_op(op.cmd, a1 + offsetof(struct evtchn_op, u));
	default:
		return -XEN_ENOSYS;
	}
}
