/* events.h — event channels and Xen time for the test guests: shared_info, the upcall, system time. */
#ifndef GUEST_EVENTS_H
#define GUEST_EVENTS_H

#include "guest.h"
#include "hypercall_cpu.h"

/*
 * events_init() maps shared_info at a page of ours (update_va_mapping),
 * registers the event callback (callback_op), masks the toolstack's
 * console and xenstore ports, and leaves events masked (evtchn_upcall_mask
 * 1), as at start of day. The upcall entry
 * (upcall{64,32}.S) calls events_upcall(), which consumes pending ports
 * the way Linux does (clear upcall_pending, xchg pending_sel, scan
 * pending & ~mask, clear each port's pending bit) and counts them; it
 * returns through HYPERVISOR_iret, which unmasks events again.
 */
extern shared_info_t *shared;
extern volatile struct vcpu_info *vcpu0;          /* shared_info's vcpu_info[0] */
bool events_init(void);
/* (Re-)register upcall_entry as the event callback (events_init does it once). */
long events_register_callback(void);

/* What the upcalls saw. Reset with events_reset_counts(). */
#define EV_MAX_PORTS EVTCHN_2L_NR_CHANNELS
struct upcall_seen {
	unsigned int upcalls;           /* entries into the callback */
	unsigned int events;            /* ports delivered */
	evtchn_port_t last_port;
	uint64_t last_time;             /* system time at the last delivered port */
	/* The first upcall's frame. */
	unsigned long rip, cs_word, rflags;
	uint8_t mask_in_handler;        /* evtchn_upcall_mask when the callback ran */
};
extern volatile struct upcall_seen seen;
extern volatile unsigned int port_count[EV_MAX_PORTS];
void events_reset_counts(void);
/* Called for every delivered port (may be NULL). */
extern void (*volatile event_hook)(evtchn_port_t port);

/* Virtual event mask of vCPU 0; enabling delivers whatever is pending (a hypercall). */
void events_mask(void);
void events_unmask(void);

/* Per-port mask and pending bits in shared_info (atomic, as a guest must). */
void port_mask(evtchn_port_t p);
void port_unmask_local(evtchn_port_t p);       /* the bit only: no hypercall */
bool port_pending(evtchn_port_t p);
void port_clear(evtchn_port_t p);

/* Xen system time (ns) from vcpu0->time and the TSC, with the version protocol. */
uint64_t system_time(void);
uint64_t system_time_from(const volatile struct vcpu_time_info *t);
/* The same, also giving the TSC value the time was computed from. */
uint64_t system_time_tsc(const volatile struct vcpu_time_info *t, uint64_t *tsc);
/*
 * Spin (events as they are) until cond() or until system time passes
 * deadline and then 5 ms more of it; true if cond().
 */
bool wait_until(bool (*cond)(void), uint64_t deadline);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define MS 1000000ull

/* n / d without libgcc (pv32 has no 64-bit division helpers). */
uint64_t div_u64(uint64_t n, uint32_t d);
/* ns as microseconds, signed (negative: early), for messages. */
static inline long long ns_to_us(int64_t ns)
{
	return ns < 0 ? -(long long)div_u64((uint64_t)-ns, 1000) : (long long)div_u64((uint64_t)ns, 1000);
}

/* ---- hypercalls ---- */

static inline long HYPERVISOR_event_channel_op_compat(struct evtchn_op *op)
{
	return hypercall2(__HYPERVISOR_event_channel_op_compat, op, 0);
}

/* The deadline is one argument on pv64 and two (low, high) on pv32. */
static inline long HYPERVISOR_set_timer_op(uint64_t deadline)
{
#ifdef __x86_64__
	return hypercall2(__HYPERVISOR_set_timer_op, deadline, 0);
#else
	return hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)deadline,
			  (uint32_t)(deadline >> 32));
#endif
}

#endif
