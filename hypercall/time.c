/* time.c — Xen system time from the TSC, wallclock, runstate, timers (set_timer_op, VCPUOP_*). */
#include "hypercall.h"
#include "apic.h"

/*
 * System time is one fixed affine function of the TSC for every vCPU:
 * ns = scale(tsc - origin), with Xen's mul/shift for tsc_khz. The tuple in
 * vcpu_time_info is written once and never drifts from the stub's own
 * reading, which is why XEN_PVCLOCK_TSC_STABLE_BIT holds (Xen sets it when
 * its clocksource is the TSC). The origin is the guest TSC the host read
 * (KVM_GET_MSRS) next to CLOCK_REALTIME before the first vCPU ran: system
 * time 0 is that instant, and the shared_info wallclock is that realtime.
 * Sources: Xen 4.17 xen/arch/x86/time.c (set_time_scale,
 * __update_vcpu_system_time), xen/common/time.c (wallclock),
 * xen/common/sched/core.c and domain.c (timers, VCPUOP_*).
 */

#define MS 1000000ull
#define STIME_DELTA_MAX (UINT64_MAX >> 2)
#define DEFAULT_PERIOD (10 * MS)        /* Xen gives every PV vCPU a 10 ms periodic timer */

static struct {
	uint64_t tsc_origin;
	uint64_t realtime_ns;           /* host CLOCK_REALTIME at the origin */
	struct time_scale scale;
} clock;

void time_set_origin(uint64_t tsc, uint64_t realtime_ns)
{
	clock.tsc_origin = tsc;
	clock.realtime_ns = realtime_ns;
}

uint64_t time_now_ns(void)
{
	uint64_t tsc = rdtsc();
	return tsc > clock.tsc_origin ? time_scale_delta(tsc - clock.tsc_origin, clock.scale) : 0;
}

/* The TSC at which the guest's clock first reads ns. */
static uint64_t tsc_at(uint64_t ns)
{
	uint64_t d = time_scale_ticks_for_ns(ns, clock.scale);
	return d > UINT64_MAX - clock.tsc_origin ? UINT64_MAX : clock.tsc_origin + d;
}

/* Xen's version_update_begin/end around a structure the guest reads lock-free. */
static uint32_t version_begin(uint32_t v)
{
	return (v + 1) | 1;
}

void time_init(void)
{
	if (dom.bi.tsc_khz == 0)
		panic("boot description: TSC frequency 0");
	clock.scale = time_scale_for_hz((uint64_t)dom.bi.tsc_khz * 1000);

	/* update_domain_wallclock_time(): wallclock at system time 0. */
	shared_info_t *s = dom.shared_info;
	uint64_t sec = clock.realtime_ns / 1000000000u;
	s->wc_version = version_begin(s->wc_version);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_sec = (uint32_t)sec;
	s->wc_nsec = (uint32_t)(clock.realtime_ns % 1000000000u);
	s->xen_wc_sec_hi = (uint32_t)(sec >> 32);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_version++;
}

/* The vcpu_time_info every vCPU gets (it never changes). */
static struct vcpu_time_info time_tuple(void)
{
	return (struct vcpu_time_info){
		.tsc_timestamp = clock.tsc_origin,
		.system_time = 0,
		.tsc_to_system_mul = clock.scale.mul,
		.tsc_shift = clock.scale.shift,
		.flags = XEN_PVCLOCK_TSC_STABLE_BIT,
	};
}

/*
 * Xen's force_update_vcpu_system_time(): rewrite the vcpu_time_info with
 * the odd/even version protocol, then the copy in the area the guest
 * registered (through the current page tables; a fault is ignored, as on
 * Xen).
 */
static void time_publish(struct vcpu *v)
{
	struct vcpu_time_info *u = &v->vcpu_info->time, t = time_tuple();
	t.version = u->version = version_begin(u->version);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*u = t;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u->version = t.version + 1;

	ulong area = v->tm.time_area;
	if (!area)
		return;
	if (copy_to_guest(area, &t.version, sizeof(t.version)))
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	copy_to_guest(area, &t, sizeof(t));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t.version++;
	copy_to_guest(area, &t.version, sizeof(t.version));
}

/* ---- runstate ---- */

/*
 * Copy the runstate to the guest's area (current page tables). With
 * VMASST_TYPE_runstate_update_flag, XEN_RUNSTATE_UPDATE in state_entry_time
 * brackets the update, as Xen's update_runstate_area() does.
 */
static void runstate_publish(struct vcpu *v)
{
	ulong area = v->tm.runstate_area;
	if (!area)
		return;
	struct vcpu_runstate_info rs = v->tm.runstate;
	bool flag = dom.vm_assist & (1ul << VMASST_TYPE_runstate_update_flag);
	/* The byte of state_entry_time that holds bit 63 (little endian). */
	ulong flag_byte = area + offsetof(struct vcpu_runstate_info, state_entry_time) + 7;
	uint8_t hi = (uint8_t)(rs.state_entry_time >> 56);
	if (flag) {
		uint8_t b = hi | (uint8_t)(XEN_RUNSTATE_UPDATE >> 56);
		copy_to_guest(flag_byte, &b, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
	}
	copy_to_guest(area, &rs, sizeof(rs));
	if (flag) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		copy_to_guest(flag_byte, &hi, 1);
	}
}

void time_runstate_change(struct vcpu *v, int state)
{
	struct vcpu_runstate_info *rs = &v->tm.runstate;
	uint64_t now = time_now_ns();
	if (now > rs->state_entry_time)
		rs->time[rs->state] += now - rs->state_entry_time;
	rs->state = state;
	rs->state_entry_time = now;
	runstate_publish(v);
}

/* Xen's vcpu_runstate_get(): the time in the current state counts up to now. */
static struct vcpu_runstate_info runstate_get(const struct vcpu *v)
{
	struct vcpu_runstate_info rs = v->tm.runstate;
	if (!v->online)
		rs.state = RUNSTATE_offline;
	uint64_t now = time_now_ns();
	if (now > rs.state_entry_time)
		rs.time[rs.state] += now - rs.state_entry_time;
	return rs;
}

/* ---- timers ---- */

static bool periodic_armed(const struct vcpu *v)
{
	return v->tm.period && v->tm.virq_timer_bound;
}

static uint64_t next_deadline(const struct vcpu *v)
{
	uint64_t next = UINT64_MAX;
	if (v->tm.singleshot_armed && v->tm.singleshot < next)
		next = v->tm.singleshot;
	if (periodic_armed(v) && v->tm.periodic_next < next)
		next = v->tm.periodic_next;
	if (v->tm.poll_armed && v->tm.poll_deadline < next)
		next = v->tm.poll_deadline;
	return next;
}

uint64_t time_next_deadline(const struct vcpu *v)
{
	return next_deadline(v);
}

static void timers_run(struct vcpu *v);

void time_timers_run(struct vcpu *v)
{
	v->tm.armed_tsc = 0;            /* re-arm the LAPIC whatever it holds */
	timers_run(v);
}

/*
 * Fire whatever is due on the current vCPU (VIRQ_TIMER, poll timeout),
 * then point its LAPIC at the next deadline. A deadline already past when
 * it is set fires here, before the guest runs again, as Xen's timer
 * softirq does on the way out of the hypercall.
 */
static void timers_run(struct vcpu *v)
{
	struct vcpu_time *tm = &v->tm;
	for (;;) {
		uint64_t now = time_now_ns();
		if (tm->singleshot_armed && now >= tm->singleshot) {
			tm->singleshot_armed = false;
			evtchn_send_virq(v, VIRQ_TIMER);
		}
		if (periodic_armed(v) && now >= tm->periodic_next) {
			/* vcpu_periodic_timer_work(): the next tick is a period after this one. */
			evtchn_send_virq(v, VIRQ_TIMER);
			tm->periodic_last = now;
			tm->periodic_next = now + tm->period;
		}
		if (tm->poll_armed && now >= tm->poll_deadline) {
			tm->poll_armed = false;
			sched_poll_timeout(v);
		}
		uint64_t next = next_deadline(v);
		uint64_t tsc = next == UINT64_MAX ? 0 : tsc_at(next);
		if (tsc && tsc <= rdtsc())
			continue;               /* became due meanwhile */
		if (tsc != tm->armed_tsc) {
			apic_set_tsc_deadline(tsc);
			tm->armed_tsc = tsc;
		}
		return;
	}
}

/* vcpu_set_periodic_timer(): a new period starts counting from the last tick. */
static void set_periodic(struct vcpu *v, uint64_t period)
{
	struct vcpu_time *tm = &v->tm;
	tm->period = period;
	if (period)
		tm->periodic_next = tm->periodic_last + period;
}

void time_init_vcpu(struct vcpu *v)
{
	struct vcpu_time *tm = &v->tm;
	uint64_t now = time_now_ns();
	/* Offline from its creation at boot (system time ~0) until now. */
	tm->runstate.time[RUNSTATE_offline] = now;
	tm->runstate.state = RUNSTATE_running;
	tm->runstate.state_entry_time = now;
	tm->periodic_last = now;
	if (!tm->period_set)
		set_periodic(v, DEFAULT_PERIOD);
	tm->virq_timer_bound = evtchn_virq_bound(v->id, VIRQ_TIMER);
	apic_init_cpu();
	tm->armed_tsc = 0;
	time_publish(v);
	timers_run(v);
}

void time_timer_interrupt(struct vcpu *v)
{
	v->tm.armed_tsc = 0;            /* the LAPIC disarms itself when it fires */
	timers_run(v);
}

static void remote_lock(struct vcpu_time *tm)
{
	spin_lock(&tm->remote_lock);
}

static void remote_unlock(struct vcpu_time *tm)
{
	spin_unlock(&tm->remote_lock);
}

void time_kick(struct vcpu *v)
{
	struct vcpu_time *tm = &v->tm;
	if (!__atomic_exchange_n(&tm->remote_request, false, __ATOMIC_SEQ_CST))
		return;
	remote_lock(tm);
	bool set = tm->remote_period_set;
	uint64_t period = tm->remote_period;
	tm->remote_period_set = false;
	remote_unlock(tm);
	if (set)
		set_periodic(v, period);
	timers_run(v);
}

/* Apply a timer change to v: now if it is the current vCPU, else at its next kick. */
static void timers_changed(struct vcpu *v)
{
	if (v == current())
		timers_run(v);
	else if (v->online) {
		__atomic_store_n(&v->tm.remote_request, true, __ATOMIC_SEQ_CST);
		apic_send_ipi(v->id, VEC_KICK);
	}
}

/* VCPUOP_set/stop_periodic_timer, for any vCPU of the domain. */
static void vcpu_set_periodic(struct vcpu *v, uint64_t period)
{
	v->tm.period_set = true;
	if (v == current() || !v->online) {
		set_periodic(v, period);
		if (v == current())
			timers_run(v);
		return;
	}
	remote_lock(&v->tm);
	v->tm.remote_period = period;
	v->tm.remote_period_set = true;
	remote_unlock(&v->tm);
	timers_changed(v);
}

void time_virq_timer_bound(struct vcpu *v, bool bound)
{
	struct vcpu_time *tm = &v->tm;
	if (v != current() && v->online) {
		/* Only the vCPU itself touches its timer state once it runs. */
		__atomic_store_n(&tm->virq_timer_bound, bound, __ATOMIC_SEQ_CST);
		timers_changed(v);
		return;
	}
	if (bound && !tm->virq_timer_bound && tm->period) {
		/*
		 * Xen's periodic timer ran all along, its ticks dropped while no
		 * port listened: the next one is due within a period.
		 */
		uint64_t now = time_now_ns();
		if (tm->periodic_next <= now)
			tm->periodic_next = now + tm->period - (now - tm->periodic_next) % tm->period;
	}
	tm->virq_timer_bound = bound;
	if (v == current())
		timers_run(v);
}

void time_set_poll_timeout(struct vcpu *v, uint64_t deadline)
{
	v->tm.poll_armed = deadline != 0;
	v->tm.poll_deadline = deadline;
	timers_run(v);
}

long do_set_timer_op(HC_ARGS)
{
	struct vcpu *v = current();
#if STUB_BITS == 64
	uint64_t timeout = a1;
#else
	uint64_t timeout = (uint64_t)a2 << 32 | a1;     /* compat: lo, hi */
#endif
	uint64_t now = time_now_ns();
	int64_t offset = (int64_t)(timeout - now);
	if (timeout == 0) {
		v->tm.singleshot_armed = false;
	} else if ((int64_t)timeout < 0 || (offset > 0 && (uint32_t)(offset >> 50) != 0)) {
		/* Xen's Linux workaround: a wrapped or ~13-day timeout fires in 100 ms. */
		v->tm.singleshot = now + 100 * MS;
		v->tm.singleshot_armed = true;
	} else {
		v->tm.singleshot = timeout;
		v->tm.singleshot_armed = true;
	}
	timers_run(v);
	return 0;
}

/* A guest handle argument: only the pointer (Xen's compat reads 4 bytes for 32-bit guests). */
static int handle_from_guest(ulong arg, ulong *addr)
{
	return copy_from_guest(addr, arg, sizeof(*addr));
}

long time_vcpu_op(int cmd, struct vcpu *v, ulong arg)
{
	switch (cmd) {
	case VCPUOP_set_periodic_timer: {
		struct vcpu_set_periodic_timer set;
		if (copy_from_guest(&set, arg, sizeof(set)))
			return -XEN_EFAULT;
		if (set.period_ns < MS || set.period_ns > STIME_DELTA_MAX)
			return -XEN_EINVAL;
		vcpu_set_periodic(v, set.period_ns);
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		vcpu_set_periodic(v, 0);
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer set;
		if (v != current())
			return -XEN_EINVAL;
		if (copy_from_guest(&set, arg, sizeof(set)))
			return -XEN_EFAULT;
		/*
		 * VCPU_SSHOTTMR_future is ignored, as by Xen since 4.17.3 and 4.18
		 * ("xen/vcpu: ignore VCPU_SSHOTTMR_future"): Linux before 4.7 retries
		 * -ETIME forever instead of taking the event. A past deadline fires now.
		 */
		v->tm.singleshot = set.timeout_abs_ns;
		v->tm.singleshot_armed = true;
		timers_run(v);
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		if (v != current())
			return -XEN_EINVAL;
		v->tm.singleshot_armed = false;
		timers_run(v);
		return 0;
	case VCPUOP_register_runstate_memory_area: {
		ulong addr;
		if (handle_from_guest(arg, &addr) ||
		    !arch_guest_va_ok(addr, sizeof(struct vcpu_runstate_info)))
			return -XEN_EFAULT;
		v->tm.runstate_area = addr;
		if (v == current()) {
			runstate_publish(v);
		} else if (addr) {
			struct vcpu_runstate_info rs = runstate_get(v);
			copy_to_guest(addr, &rs, sizeof(rs));
		}
		return 0;
	}
	case VCPUOP_get_runstate_info: {
		struct vcpu_runstate_info rs = runstate_get(v);
		return copy_to_guest(arg, &rs, sizeof(rs)) ? -XEN_EFAULT : 0;
	}
	case VCPUOP_register_vcpu_time_memory_area: {
		ulong addr;
		if (handle_from_guest(arg, &addr) ||
		    !arch_guest_va_ok(addr, sizeof(struct vcpu_time_info)))
			return -XEN_EFAULT;
		v->tm.time_area = addr;
		time_publish(v);
		return 0;
	}
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}
