/* evtchn.h — event channels: per-domain port table and per-vCPU state. */
#ifndef STUB_EVTCHN_H
#define STUB_EVTCHN_H
#include <stdint.h>

struct vcpu;
struct regs;

struct vcpu_ev {
	uint32_t virq_port[24];         /* NR_VIRQS: port bound to each VIRQ, 0 = none */
	int placeholder;
};

struct domain_ev {
	int placeholder;
};

/*
 * Called on every return to the guest: if an event is pending and not
 * masked, bounce to the guest's event callback (v->cb.event_address).
 */
void evtchn_check_upcall(struct vcpu *v, struct regs *r);
/* Raise a virtual IRQ on a vCPU (VIRQ_TIMER, VIRQ_DEBUG, ...). */
void evtchn_send_virq(struct vcpu *v, unsigned virq);
/* Handle an interrupt vector (LAPIC timer, IPI, irqfd) the IDT delivered. */
void evtchn_interrupt(struct vcpu *v, struct regs *r, unsigned vector);

#endif
