/* vtime.h — guest time: vcpu_time_info, wallclock, runstate, timers on the LAPIC. */
#ifndef STUB_VTIME_H
#define STUB_VTIME_H
#include <stdbool.h>
#include <stdint.h>
#include <xen/vcpu.h>
#include "time_scale.h"

struct vcpu;

/*
 * Per-vCPU timers, in Xen system time (ns). Only the vCPU itself touches
 * its LAPIC, so another vCPU changing them (VCPUOP_set_periodic_timer on
 * a remote vCPU, binding its VIRQ_TIMER) leaves a request and kicks it.
 */
struct vcpu_time {
	bool singleshot_armed;
	uint64_t singleshot;            /* set_timer_op, VCPUOP_set_singleshot_timer */
	uint64_t period;                /* VCPUOP_set_periodic_timer; 0 = stopped */
	bool period_set;                /* by the guest; otherwise Xen's 10 ms default */
	uint64_t periodic_last, periodic_next;
	bool virq_timer_bound;          /* periodic ticks only reach the LAPIC if bound */
	bool poll_armed;
	uint64_t poll_deadline;         /* SCHEDOP_poll timeout */
	uint64_t armed_tsc;             /* what IA32_TSC_DEADLINE holds (0: disarmed) */
	/* Requests from other vCPUs, applied at the next VEC_KICK. */
	bool remote_request;
	int remote_lock;                /* guards the two below */
	uint64_t remote_period;
	bool remote_period_set;
	/* Guest areas (guest virtual, 0 = none). */
	unsigned long time_area;        /* VCPUOP_register_vcpu_time_memory_area */
	unsigned long runstate_area;    /* VCPUOP_register_runstate_memory_area */
	struct vcpu_runstate_info runstate;
};

/* Boot: where system time 0 is (a guest TSC value) and the host's CLOCK_REALTIME then. */
void time_set_origin(uint64_t tsc, uint64_t realtime_ns);
/* Boot, once shared_info is known: the TSC scale and the shared_info wallclock. */
void time_init(void);
/* Set up time for a vCPU (called once per vCPU, on that vCPU, before it enters the guest). */
void time_init_vcpu(struct vcpu *v);
/* Xen system time in ns (since the time origin), from the TSC. */
uint64_t time_now_ns(void);

/* VEC_TIMER on this vCPU; VEC_KICK (apply other vCPUs' requests). */
void time_timer_interrupt(struct vcpu *v);
void time_kick(struct vcpu *v);
/* v's next timer deadline in Xen system time (UINT64_MAX: none), for the state dump. */
uint64_t time_next_deadline(const struct vcpu *v);
/* Fire v's due timers and re-arm its LAPIC (v is the current vCPU). */
void time_timers_run(struct vcpu *v);
/* VIRQ_TIMER of v was bound or closed: start or stop feeding it periodic ticks. */
void time_virq_timer_bound(struct vcpu *v, bool bound);
/* SCHEDOP_poll timeout of the current vCPU (absolute system time; 0 cancels). */
void time_set_poll_timeout(struct vcpu *v, uint64_t deadline);
/* The current vCPU enters RUNSTATE_blocked or goes back to RUNSTATE_running. */
void time_runstate_change(struct vcpu *v, int state);
/* The VCPUOP_* timer, runstate and time-area sub-ops (vcpu.c passes them on). */
long time_vcpu_op(int cmd, struct vcpu *v, unsigned long arg);

#endif
