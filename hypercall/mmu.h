/* mmu.h — the PV MMU: frame ownership, types and references (like Xen's page_info). */
#ifndef STUB_MMU_H
#define STUB_MMU_H
#include "stub.h"

/* Architectural page-table entry bits (x86, not Xen ABI). */
#define _PAGE_PRESENT  0x001ull
#define _PAGE_RW       0x002ull
#define _PAGE_USER     0x004ull
#define _PAGE_PWT      0x008ull
#define _PAGE_PCD      0x010ull
#define _PAGE_ACCESSED 0x020ull
#define _PAGE_DIRTY    0x040ull
#define _PAGE_PSE      0x080ull
#define _PAGE_GLOBAL   0x100ull
#define _PAGE_NX       (1ull << 63)
#define PTE_MFN_MASK   0x000ffffffffff000ull

/* Frame types (one at a time; changes only when no type reference is held). */
enum frame_type {
	PGT_none = 0, PGT_l1, PGT_l2, PGT_l3, PGT_l4, PGT_seg_desc, PGT_writable,
};

/* Set up frame info at boot: guest RAM frames owned by the guest. */
void mmu_init(void);
/* Take over the bootstrap page tables: validate, pin and load them. */
int mmu_take_over_boot_tables(uint64_t root_mfn);

/* References, as Xen's get_page / get_page_and_type. 0 or -errno. */
int get_page(uint64_t mfn);
void put_page(uint64_t mfn);
int get_page_and_type(uint64_t mfn, enum frame_type type);
void put_page_and_type(uint64_t mfn);
bool mfn_owned_by_guest(uint64_t mfn);
enum frame_type frame_current_type(uint64_t mfn, unsigned *type_count);

/* Writable page tables: translate va; update a live L1 entry (1 = cmpxchg mismatch). */
int mmu_translate(ulong va, uint64_t *mfn);
int mmu_ptwr_update(uint64_t l1_mfn, unsigned idx, uint64_t *old, uint64_t val, bool cmpxchg);

/* mov to %cr3 by the guest kernel: as MMUEXT_NEW_BASEPTR. */
int mmu_new_baseptr_from_cr3(struct vcpu *v, uint64_t mfn);

/* Ballooning: a guest frame with no references leaves the guest / a free one returns. */
int mmu_frame_release(uint64_t mfn);
int mmu_frame_claim(uint64_t *mfn);
int mmu_frame_adopt(uint64_t mfn);
/* memory.c: the same with the domain's page count (GNTTABOP_transfer). */
int memory_frame_steal(uint64_t mfn);
int memory_frame_return(uint64_t mfn);

/* descriptor.c: MMUEXT_SET_LDT (MMU lock held). */
int vcpu_set_ldt(struct vcpu *v, ulong base, unsigned ents);
/* descriptor.c: install guest frames as a vCPU's GDT (takes PGT_seg_desc references). */
int vcpu_set_gdt(struct vcpu *v, const ulong *mfns, unsigned nr, unsigned entries);
/* descriptor.c: every descriptor of a frame acceptable (for PGT_seg_desc). */
int validate_seg_desc_page(uint64_t mfn);

/* TLB maintenance on this vCPU. */
void flush_tlb_local(void);
void invlpg_local(ulong va);

/* Serialises all frame-info changes (SMP guests update tables concurrently; the host's grant mappings). */
void mmu_use_host_lock(volatile int *lock);
void mmu_lock(void);
void mmu_unlock(void);

#endif
