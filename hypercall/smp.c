/* smp.c — spin locks that keep answering flush requests, and TLB flushes across vCPUs (smp.h). */
#include "stub.h"
#include "apic.h"
#include "mmu.h"

/* tlb_writable_dropped() count; the host page's once it is known (the host adds to it too). */
static uint32_t boot_stale_gen;
#define stale_gen (*(dom.host ? &dom.host->tlb_stale_gen : &boot_stale_gen))

void cpu_relax(void)
{
	struct vcpu *v = current();
	if (v)
		tlb_service_requests(v);
	__asm__ volatile("pause" ::: "memory");
}

void spin_lock(volatile int *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			cpu_relax();
}

void spin_unlock(volatile int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

uint32_t tlb_gen_now(void)
{
	return __atomic_load_n(&stale_gen, __ATOMIC_SEQ_CST);
}

void tlb_cr3_loaded(struct vcpu *v, uint32_t gen_before)
{
	if (v)
		__atomic_store_n(&v->tlb.flushed_gen, gen_before, __ATOMIC_SEQ_CST);
}

/* Guest mappings are never global (mmu.c strips _PAGE_GLOBAL): a CR3 reload drops them all. */
void tlb_flush_local_full(void)
{
	struct vcpu *v = current();
	uint32_t gen = tlb_gen_now();
	flush_tlb_local();
	if (v)
		__atomic_store_n(&v->tlb.flushed_gen, gen, __ATOMIC_SEQ_CST);
}

void tlb_service_requests(struct vcpu *v)
{
	unsigned long req = __atomic_load_n(&v->tlb.req, __ATOMIC_SEQ_CST);
	if (likely(req == __atomic_load_n(&v->tlb.done, __ATOMIC_RELAXED)))
		return;
	tlb_flush_local_full();
	__atomic_store_n(&v->tlb.done, req, __ATOMIC_SEQ_CST);
}

/*
 * Ask every vCPU in mask but this one for a full flush, then wait for all
 * of them. vCPUs never started have nothing cached: they load CR3 and
 * flush when they start.
 */
static void flush_remote(uint64_t mask)
{
	struct vcpu *me = current();
	unsigned long want[MAX_VCPUS];
	uint64_t waiting = 0;
	for (unsigned i = 0; i < dom.bi.nr_vcpus && i < MAX_VCPUS; i++) {
		struct vcpu *v = dom.vcpus[i];
		if (!(mask & (1ull << i)) || !v || v == me || !__atomic_load_n(&v->online, __ATOMIC_SEQ_CST))
			continue;
		want[i] = __atomic_add_fetch(&v->tlb.req, 1, __ATOMIC_SEQ_CST);
		apic_send_ipi(v->id, VEC_KICK);
		waiting |= 1ull << i;
		if (me)
			me->stats->tlb_ipi++;
	}
	while (waiting) {
		for (unsigned i = 0; i < MAX_VCPUS; i++)
			if ((waiting & (1ull << i)) &&
			    (long)(__atomic_load_n(&dom.vcpus[i]->tlb.done, __ATOMIC_SEQ_CST) - want[i]) >= 0)
				waiting &= ~(1ull << i);
		cpu_relax();
	}
}

void tlb_flush(uint64_t mask, unsigned long va)
{
	struct vcpu *me = current();
	if (me && (mask & (1ull << me->id))) {
		if (va == TLB_ALL)
			tlb_flush_local_full();
		else
			invlpg_local(va);
	}
	flush_remote(mask);
}

void tlb_writable_dropped(void)
{
	__atomic_add_fetch(&stale_gen, 1, __ATOMIC_SEQ_CST);
}

void tlb_before_type_change(void)
{
	uint32_t gen = tlb_gen_now();
	uint64_t mask = 0;
	for (unsigned i = 0; i < dom.bi.nr_vcpus && i < MAX_VCPUS; i++) {
		struct vcpu *v = dom.vcpus[i];
		if (v && __atomic_load_n(&v->tlb.flushed_gen, __ATOMIC_SEQ_CST) != gen)
			mask |= 1ull << i;
	}
	if (mask)
		tlb_flush(mask, TLB_ALL);
}
