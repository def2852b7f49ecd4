/* vtime.h — guest time: vcpu_time_info, wallclock, timers on the LAPIC. */
#ifndef STUB_VTIME_H
#define STUB_VTIME_H
#include <stdint.h>

struct vcpu;

struct vcpu_time {
	uint64_t singleshot_deadline;   /* system time ns, 0 = none */
	uint64_t periodic_period;       /* ns, 0 = none */
	int placeholder;
};

/* Set up time for a vCPU (called once per vCPU before it enters the guest). */
void time_init_vcpu(struct vcpu *v);
/* Xen system time in ns (since boot), from the TSC. */
uint64_t time_now_ns(void);

#endif
