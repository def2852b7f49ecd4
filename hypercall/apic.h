/* apic.h — the stub's local APIC (KVM's in-kernel LAPIC, x2APIC mode) and its interrupt vectors. */
#ifndef STUB_APIC_H
#define STUB_APIC_H
#include <stdint.h>
#include <xenner/hostabi.h>

/*
 * The interrupt vectors the stub uses, all of them. The guest never sees
 * them: its IDT is virtual (set_trap_table) and an `int $n` from the guest
 * on these vectors hits a DPL-0 gate and becomes the #GP Xen would give.
 * The stub runs with IF=0 and takes interrupts only while the guest runs
 * or while it waits in `sti; hlt` (SCHEDOP_block, SCHEDOP_poll).
 *
 *  VEC_HOST_NOTIFY  dom0 (host backends) -> guest events: the host signals
 *                   an irqfd routed (MSI) to vCPU 0 with this vector;
 *                   evtchn_host_notify() delivers the ports it marked.
 *  VEC_KICK         IPI between vCPUs: events became pending for the
 *                   target (it must re-check its upcall or wake from a
 *                   block/poll), its timers changed, or a TLB flush is
 *                   asked of it; also the host's timer watchdog.
 *  VEC_TIMER        the LAPIC timer, TSC-deadline mode: singleshot and
 *                   periodic VIRQ_TIMER, SCHEDOP_poll timeouts.
 *  VEC_SPURIOUS     the APIC's spurious-interrupt vector (no EOI).
 */
#define VEC_HOST_NOTIFY HOST_NOTIFY_VECTOR     /* 0xe0, in hostabi.h: the host's MSI */
#define VEC_KICK        HOST_KICK_VECTOR       /* 0xf0, in hostabi.h: the host's watchdog sends it too */
#define VEC_TIMER       0xf8
#define VEC_SPURIOUS    0xff

/* Switch this CPU's LAPIC to x2APIC mode, timer in TSC-deadline mode, nothing pending. */
void apic_init_cpu(void);
/* End of interrupt for the vector being handled (not for VEC_SPURIOUS). */
void apic_eoi(void);
/* Fire VEC_TIMER when the TSC reaches tsc; 0 disarms. */
void apic_set_tsc_deadline(uint64_t tsc);
/* Send vector to the vCPU with this id (its x2APIC id under KVM). */
void apic_send_ipi(unsigned vcpu_id, unsigned vector);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
