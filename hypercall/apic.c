/* apic.c — the local APIC in x2APIC mode: TSC-deadline timer, IPIs, EOI (vectors: apic.h). */
#include "stub.h"
#include "apic.h"

#define MSR_IA32_APIC_BASE    0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define APIC_BASE_EXTD        (1u << 10)        /* x2APIC mode */
#define APIC_BASE_EN          (1u << 11)
#define MSR_X2APIC_TPR        0x808
#define MSR_X2APIC_EOI        0x80b
#define MSR_X2APIC_SVR        0x80f
#define MSR_X2APIC_ESR        0x828
#define MSR_X2APIC_ICR        0x830
#define MSR_X2APIC_LVT_TIMER  0x832
#define MSR_X2APIC_LVT_LINT0  0x835
#define MSR_X2APIC_LVT_ERROR  0x837
#define APIC_SVR_ENABLE       (1u << 8)
#define APIC_LVT_MASKED       (1u << 16)
#define APIC_LVT_TSC_DEADLINE (2u << 17)
#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

static inline void apic_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t apic_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

/*
 * KVM offers x2APIC always and the TSC-deadline timer when the host sets
 * CPUID.1:ECX[24] (KVM_CAP_TSC_DEADLINE_TIMER; xenner/kvm.c does).
 */
void apic_init_cpu(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!(c & CPUID1_ECX_X2APIC))
		panic("KVM offers no x2APIC (CPUID.1:ECX[21]): the stub needs it for its timers");
	if (!(c & CPUID1_ECX_TSC_DEADLINE))
		panic("KVM offers no TSC-deadline timer (CPUID.1:ECX[24], "
		      "KVM_CAP_TSC_DEADLINE_TIMER): the stub needs it for its timers");

	uint64_t base = apic_rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_EN))
		apic_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN);
	apic_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);

	apic_wrmsr(MSR_X2APIC_TPR, 0);
	apic_wrmsr(MSR_X2APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	apic_wrmsr(MSR_X2APIC_LVT_LINT0, APIC_LVT_MASKED);     /* no 8259 interrupts */
	apic_wrmsr(MSR_X2APIC_LVT_ERROR, APIC_LVT_MASKED);
	apic_wrmsr(MSR_X2APIC_ESR, 0);
	apic_wrmsr(MSR_X2APIC_LVT_TIMER, APIC_LVT_TSC_DEADLINE | VEC_TIMER);
	/* The LVT write must be visible before the first deadline write (SDM 10.5.4.1). */
	__asm__ volatile("mfence" : : : "memory");
	apic_wrmsr(MSR_IA32_TSC_DEADLINE, 0);
}

void apic_eoi(void)
{
	apic_wrmsr(MSR_X2APIC_EOI, 0);
}

void apic_set_tsc_deadline(uint64_t tsc)
{
	apic_wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
}

void apic_send_ipi(unsigned vcpu_id, unsigned vector)
{
	/* Fixed delivery, physical destination, edge: just the vector and the x2APIC id. */
	apic_wrmsr(MSR_X2APIC_ICR, (uint64_t)vcpu_id << 32 | vector);
}
