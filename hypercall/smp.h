/* smp.h — what vCPUs of one domain coordinate on: spin locks and TLB flushes on other vCPUs. */
#ifndef STUB_SMP_H
#define STUB_SMP_H
#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* Per-vCPU flush bookkeeping (in struct vcpu). Counters wrap: compare with tlb_after(). */
struct vcpu_tlb {
	unsigned long req;              /* flush requests made of this vCPU (a count) */
	unsigned long done;             /* the request count its last flush answered */
	uint32_t flushed_gen;           /* the stale-writable clock at its last full flush */
};

/*
 * Every busy-wait in the stub runs with interrupts off, so a vCPU that
 * waits must still answer the TLB-flush requests of the others (one of
 * them may be waiting for it while holding the lock it wants):
 * cpu_relax() does that. Spin locks are built on it.
 */
void cpu_relax(void);
void spin_lock(volatile int *lock);
void spin_unlock(volatile int *lock);

/*
 * TLB flushes, Xen's semantics: when tlb_flush() returns, no vCPU in mask
 * (bit n = vCPU n, this one included) holds a stale translation. This
 * vCPU invalidates va, or everything for TLB_ALL; the others get a request
 * and VEC_KICK, are always flushed in full, and are waited for.
 */
#define TLB_ALL (~0ul)
#define TLB_EVERY_VCPU (~0ull)
void tlb_flush(uint64_t mask, unsigned long va);
/* A full flush of this vCPU's TLB (of every guest mapping). */
void tlb_flush_local_full(void);
/* Answer pending flush requests for this vCPU (VEC_KICK and cpu_relax call it). */
void tlb_service_requests(struct vcpu *v);

/*
 * Stale writable mappings (Xen's tlbflush timestamps, one domain-wide
 * clock): the last writable type reference of a frame went away
 * (tlb_writable_dropped), so TLBs may still let the guest write it. Before
 * the frame becomes a page table or descriptor page, every vCPU that has
 * not flushed since is flushed (tlb_before_type_change). A CR3 load counts
 * as a flush: guest mappings are never global.
 */
void tlb_writable_dropped(void);
void tlb_before_type_change(void);
/* Record that this vCPU loaded CR3 (arch_write_cr3 calls it after the load). */
void tlb_cr3_loaded(struct vcpu *v, uint32_t gen_before);
uint32_t tlb_gen_now(void);

#endif
