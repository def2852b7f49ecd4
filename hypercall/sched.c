/* sched.c — sched_op and sched_op_compat: yield, block, poll, shutdown; waking vCPUs. */
#include "hypercall.h"
#include "apic.h"
#include <xen/sched.h>

/*
 * A vCPU "blocks" by halting in the stub with interrupts enabled: the
 * LAPIC timer (its own timers, poll timeout) and VEC_KICK from other vCPUs
 * wake it. Xen 4.17 xen/common/sched/core.c (vcpu_block, do_poll) for the
 * semantics: what ends a block or poll is a wake-up (vcpu_kick on a 0->1
 * upcall_pending, a polled port becoming pending, the poll timeout), not
 * the state at that moment.
 */

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->ev.woken, true, __ATOMIC_SEQ_CST);
	if (v != current() && v->online)
		apic_send_ipi(v->id, VEC_KICK);
}

void sched_poll_timeout(struct vcpu *v)
{
	if (__atomic_load_n(&v->ev.polling, __ATOMIC_SEQ_CST))
		vcpu_kick(v);
}

void sched_check_pollers(uint32_t port)
{
	if (likely(!__atomic_load_n(&dom.ev.nr_polling, __ATOMIC_SEQ_CST)))
		return;
	for (unsigned i = 0; i < MAX_VCPUS; i++) {
		struct vcpu *v = dom.vcpus[i];
		if (!v || !__atomic_load_n(&v->ev.polling, __ATOMIC_SEQ_CST))
			continue;
		int32_t want = __atomic_load_n(&v->ev.poll_port, __ATOMIC_SEQ_CST);
		if (want < 0 || (uint32_t)want == port)
			vcpu_kick(v);
	}
}

/*
 * Start blocking: from here on vcpu_kick() counts. The caller then checks
 * for a reason not to sleep and calls block_wait(); the seq-cst store and
 * the kicker's locked 0->1 update of the pending bits order the two sides.
 */
static void block_prepare(struct vcpu *v)
{
	__atomic_store_n(&v->ev.woken, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->ev.blocked, true, __ATOMIC_SEQ_CST);
}

/* Halt until kicked. `sti; hlt` is race-free: sti holds interrupts off until hlt has begun. */
static void block_wait(struct vcpu *v, unsigned kind)
{
	time_runstate_change(v, RUNSTATE_blocked);
	int32_t port = __atomic_load_n(&v->ev.poll_port, __ATOMIC_RELAXED);
	v->stats->wait_port = kind == STATS_WAIT_POLL && port >= 0 ? (uint64_t)port : ~0ull;
	v->stats->wait_since_ns = time_now_ns();
	v->stats->wait_kind = kind;
	while (!__atomic_load_n(&v->ev.woken, __ATOMIC_SEQ_CST)) {
		/* A timer overdue here lost its interrupt (the host watchdog woke us). */
		if (time_next_deadline(v) <= time_now_ns()) {
			v->stats->timer_rescue++;
			time_timers_run(v);
			continue;
		}
		v->stats->wait_timer_ns = time_next_deadline(v);
		v->stats->wait_armed_tsc = v->tm.armed_tsc;
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	}
	v->stats->wait_kind = STATS_WAIT_NONE;
	time_runstate_change(v, RUNSTATE_running);
}

static void block_done(struct vcpu *v)
{
	__atomic_store_n(&v->ev.blocked, false, __ATOMIC_SEQ_CST);
}

/* SCHEDOP_block: enable event delivery, then sleep unless an event is already pending. */
static long sched_block(struct vcpu *v)
{
	v->vcpu_info->evtchn_upcall_mask = 0;
	block_prepare(v);
	if (!__atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
		block_wait(v, STATS_WAIT_BLOCK);
	block_done(v);
	return 0;       /* the upcall is delivered on the way out */
}

/*
 * SCHEDOP_poll: sleep until one of the ports (any port of the domain if
 * more than one is given, as on Xen) becomes pending, an event upcall
 * becomes pending, or the absolute timeout passes. Returns at once if an
 * upcall is deliverable or a listed port is already pending.
 */
static long sched_poll(struct vcpu *v, ulong arg)
{
	struct sched_poll sp;
	if (copy_from_guest(&sp, arg, sizeof(sp)))
		return -XEN_EFAULT;
	if (sp.nr_ports > 128)          /* Xen's "fairly arbitrary limit" */
		return -XEN_EINVAL;
	ulong ports = (ulong)sp.ports.p;
	if (!arch_guest_va_ok(ports, sp.nr_ports * sizeof(evtchn_port_t)))
		return -XEN_EFAULT;

	__atomic_store_n(&v->ev.poll_port, -1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->ev.polling, true, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&dom.ev.nr_polling, 1, __ATOMIC_SEQ_CST);
	block_prepare(v);

	long rc = 0;
	const struct vcpu_info *vi = v->vcpu_info;
	if (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask)
		goto out;
	evtchn_port_t port = 0;
	for (unsigned i = 0; i < sp.nr_ports; i++) {
		if (copy_from_guest(&port, ports + i * sizeof(port), sizeof(port))) {
			rc = -XEN_EFAULT;
			goto out;
		}
		int pending = evtchn_port_poll(port);
		if (pending) {
			rc = pending < 0 ? pending : 0;
			goto out;
		}
	}
	if (sp.nr_ports == 1)
		__atomic_store_n(&v->ev.poll_port, (int32_t)port, __ATOMIC_SEQ_CST);
	if (sp.timeout)
		time_set_poll_timeout(v, sp.timeout);
	block_wait(v, STATS_WAIT_POLL);
	time_set_poll_timeout(v, 0);
out:
	__atomic_store_n(&v->ev.polling, false, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&dom.ev.nr_polling, 1, __ATOMIC_SEQ_CST);
	block_done(v);
	return rc;
}

/* SCHEDOP_shutdown_code: the first code set wins over the reason of the later shutdown. */
static int shutdown_code = -1;

static long shutdown(unsigned reason)
{
	if (shutdown_code >= 0)
		reason = (unsigned)shutdown_code;
	trace(TRACE_HYPERCALLS, "guest requests shutdown, reason %u", reason);
	domain_shutdown(reason);
}

long do_sched_op(HC_ARGS)
{
	ulong cmd = a1, arg = a2;
	struct vcpu *v = current();
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;
		if (copy_from_guest(&s, arg, sizeof(s)))
			return -XEN_EFAULT;
		return shutdown((uint8_t)s.reason);     /* Xen truncates it to 8 bits */
	}
	case SCHEDOP_shutdown_code: {
		struct sched_shutdown s;
		if (copy_from_guest(&s, arg, sizeof(s)))
			return -XEN_EFAULT;
		if (shutdown_code < 0)
			shutdown_code = (uint8_t)s.reason;
		return 0;
	}
	case SCHEDOP_poll:
		return sched_poll(v, arg);
	case SCHEDOP_remote_shutdown: {
		/* Only a device model or the control domain may: we are neither. */
		struct sched_remote_shutdown s;
		if (copy_from_guest(&s, arg, sizeof(s)))
			return -XEN_EFAULT;
		return s.domain_id == dom.bi.domid || s.domain_id == 0 ? -XEN_EPERM : -XEN_ESRCH;
	}
	case SCHEDOP_pin_override:
		return -XEN_EPERM;              /* the hardware domain's */
	case SCHEDOP_watchdog:
		return HYPERCALL_UNSUPPORTED;
	default:
		return -XEN_ENOSYS;
	}
}

long do_sched_op_compat(HC_ARGS)
{
	ulong cmd = a1, arg = a2;
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
		return sched_block(current());
	case SCHEDOP_shutdown:
		return shutdown((uint8_t)arg);
	default:
		return -XEN_ENOSYS;     /* Xen knows no other compat sub-op */
	}
}
