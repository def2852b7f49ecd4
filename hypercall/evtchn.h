/* evtchn.h — event channels: per-domain port table, per-vCPU wake state, upcalls, interrupts. */
#ifndef STUB_EVTCHN_H
#define STUB_EVTCHN_H
#include <stdbool.h>
#include <stdint.h>
#include "evtchn_table.h"

struct vcpu;
struct regs;

/* Per vCPU: what SCHEDOP_block / SCHEDOP_poll wait for (sched.c), written by any vCPU. */
struct vcpu_ev {
	bool blocked;                   /* in SCHEDOP_block or SCHEDOP_poll */
	bool woken;                     /* vcpu_kick() (or a poll wake-up) since it blocked */
	bool polling;                   /* in SCHEDOP_poll (Xen's poll_mask bit) */
	int32_t poll_port;              /* the one port polled, or -1: any port wakes it */
};

struct domain_ev {
	struct evtchn_table t;          /* the ports (evtchn_table.c) */
	int lock;                       /* the event lock: held around every table access */
	unsigned nr_polling;            /* vCPUs in SCHEDOP_poll */
	/* The host's bitmaps (hostabi.h, BOOT_PROP_EVENTS), HOST_EVTCHN_PORTS bits each. */
	uint32_t *to_host, *to_guest;
};

/*
 * Boot (while the boot description is parsed): which of our ports are
 * bound to dom0 (BOOT_PROP_DOM0_PORTS: dom0 uses the same port numbers).
 * The bitmaps are in dom.host.
 */
void evtchn_set_host(const uint32_t *dom0_ports, unsigned n);
/* Set up the port table (boot, once shared_info is known). */
void evtchn_init(void);

/*
 * Called on every return to the guest: if an event is pending and not
 * masked, bounce to the guest's event callback (v->cb.event_address).
 */
void evtchn_check_upcall(struct vcpu *v, struct regs *r);
/* Raise a virtual IRQ on a vCPU (VIRQ_TIMER, VIRQ_DEBUG, ...). */
void evtchn_send_virq(struct vcpu *v, unsigned virq);
/* Handle an interrupt vector (LAPIC timer, IPI, irqfd) the IDT delivered. */
void evtchn_interrupt(struct vcpu *v, struct regs *r, unsigned vector);
/* Is this VIRQ bound to a port on that vCPU? */
bool evtchn_virq_bound(unsigned vcpu, unsigned virq);
/* SCHEDOP_poll: 1 if the port is pending, 0 if not, -XEN_EINVAL if it is not bound. */
int evtchn_port_poll(uint32_t port);

/*
 * dom0 (the host's backends). Guest -> dom0: EVTCHNOP_send on a port bound
 * to dom0 calls evtchn_send_to_dom0(dom0's port), which marks it in the
 * to_host bitmap and, if it was not marked yet, writes the doorbell
 * (HOST_DOORBELL_PORT): KVM turns that into an eventfd signal for the
 * host's event thread without an exit to user space (ioeventfd).
 * dom0 -> guest: the host marks its port in to_guest and signals an irqfd
 * that injects VEC_HOST_NOTIFY on vCPU 0; evtchn_host_notify() sets
 * pending the port of ours bound to each marked dom0 port.
 */
void evtchn_send_to_dom0(uint32_t dom0_port);
void evtchn_host_notify(void);

/*
 * Waking vCPUs (sched.c). vcpu_kick(): Xen's vcpu_kick — events became
 * pending for v: wake it from SCHEDOP_block/poll and, if it runs on
 * another CPU, interrupt it (VEC_KICK) so it delivers the upcall.
 * sched_poll_timeout(): the SCHEDOP_poll timeout of the current vCPU expired.
 */
void vcpu_kick(struct vcpu *v);
void sched_poll_timeout(struct vcpu *v);
/* Wake every vCPU polling this port (Xen's evtchn_check_pollers). */
void sched_check_pollers(uint32_t port);

#endif
