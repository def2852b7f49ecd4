/* mmu.h — PV MMU helpers for the test guests: hypercalls, PTEs, fault probes, the boot region. */
#ifndef GUEST_MMU_H
#define GUEST_MMU_H

#include "guest.h"
#include "traps.h"
#include <xen/memory.h>

/* Architectural page-table entry bits (x86; PAE and long mode entries are both 64 bits). */
#define PTE_P    0x001ull
#define PTE_RW   0x002ull
#define PTE_US   0x004ull
#define PTE_PWT  0x008ull
#define PTE_PCD  0x010ull
#define PTE_A    0x020ull
#define PTE_D    0x040ull
#define PTE_PSE  0x080ull
#define PTE_G    0x100ull
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull	/* bits 12-51 */
#define PTE_MFN(e) (((e) & PTE_ADDR) >> 12)

typedef uint64_t pte_t;

static inline pte_t make_pte(unsigned long long mfn, uint64_t flags)
{
	return ((uint64_t)mfn << 12) | flags;
}

/* Page-table levels of the guest: 4 on pv64, 3 (PAE) on pv32. */
#ifdef __x86_64__
#define PT_LEVELS 4
#else
#define PT_LEVELS 3
#endif

/* Index of va in a table of the given level (1 = L1). */
static inline unsigned int pt_index(unsigned long va, unsigned int level)
{
#ifdef __i386__
	if (level == 3)
		return (unsigned int)(va >> 30) & 3;
#endif
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
}

/* ---- hypercalls ---- */

static inline long HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int count,
					 unsigned int *done, unsigned int foreigndom)
{
	return hypercall5(__HYPERVISOR_mmu_update, req, count, done, foreigndom, 0);
}

static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, unsigned int count,
					unsigned int *done, unsigned int foreigndom)
{
	return hypercall5(__HYPERVISOR_mmuext_op, op, count, done, foreigndom, 0);
}

/* The PTE is one argument on pv64 and two (low, high) on pv32. */
static inline long HYPERVISOR_update_va_mapping(unsigned long va, pte_t val, unsigned long flags)
{
#ifdef __x86_64__
	return hypercall3(__HYPERVISOR_update_va_mapping, va, val, flags);
#else
	return hypercall5(__HYPERVISOR_update_va_mapping, va, (uint32_t)val,
			  (uint32_t)(val >> 32), flags, 0);
#endif
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

/* One request of each kind (count 1, done ignored, DOMID_SELF). */
long mmu_update1(uint64_t ptr, uint64_t val);
long mmuext1(unsigned int cmd, unsigned long mfn);

/* The M2P table's address, from XENMEM_machphys_mapping. */
const unsigned long *m2p_table(void);

/* ---- fault probes ---- */

/*
 * Accesses that may fault: a #PF or #GP at the probe instruction is
 * recorded and the probe returns (a faulting read gives 0, a faulting
 * xchg gives 0 and stores nothing). Any other exception fails the test.
 * mmu_probes_init() routes #PF and #GP before traps_install().
 */
struct probe_fault {
	unsigned int count;	/* faults since the last probe began */
	unsigned int vector;
	unsigned long err;
	unsigned long cr2;	/* from vcpu_info.arch.cr2, if known */
};
extern struct probe_fault probe_fault;

void mmu_probes_init(void);
/* Where the hypervisor stores cr2 (vcpu_info.arch.cr2); NULL: unknown. */
void probe_set_vcpu_info(volatile struct vcpu_info *vi);

unsigned long probe_read(const volatile void *addr);		/* one long */
void probe_write(volatile void *addr, unsigned long val);	/* one long */
unsigned long probe_xchg(volatile void *addr, unsigned long val);	/* one long */

/* True when the last probe faulted with #PF and this error code. */
bool probe_faulted(void);
bool probe_pf(unsigned long err);

/* #PF error-code bits. */
#define PFEC_PRESENT 0x1
#define PFEC_WRITE   0x2

/* ---- p2m, M2P and the start-of-day region ---- */

/* start_info->mfn_list as an array; nr_pages entries. */
const unsigned long *p2m(void);
/* The pfn whose p2m entry is mfn, or ~0ul. Linear search. */
unsigned long p2m_find_pfn(unsigned long mfn);
/* Largest mfn in the p2m. */
unsigned long p2m_max_mfn(void);

/*
 * The bootstrap region: start_info->pt_base is its root table; the region
 * (virt_base up to the first unmapped 2 MiB) is what the L1s under the L2
 * that maps virt_base cover.
 */
struct boot_region {
	unsigned long virt_base, virt_end;	/* mapped [virt_base, virt_end) */
	unsigned long nr_pages;			/* (virt_end - virt_base) / 4096 */
	unsigned long root_mfn;
	unsigned long table_mfn[PT_LEVELS + 1];	/* [level]: the tables that map virt_base */
	unsigned int l2_first;			/* L2 index of virt_base */
	unsigned int nr_l1;			/* L1s under that L2, from l2_first */
};
/* Fill *r by walking the bootstrap tables; false (with a message) if they look wrong. */
bool boot_region_init(struct boot_region *r);

/* Virtual address of a pfn inside the region (read-only for page tables). */
static inline void *pfn_to_virt(unsigned long pfn)
{
	return (void *)((unsigned long)GUEST_VIRT_BASE + pfn * GUEST_PAGE_SIZE);
}

/* The region's mapping of a machine frame, or NULL when it is not in the region. */
void *boot_mfn_to_virt(const struct boot_region *r, unsigned long mfn);

#endif
