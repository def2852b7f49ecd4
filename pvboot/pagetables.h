/* pagetables.h — bootstrap page tables of the start-of-day region (private to pvboot). */
#ifndef PVBOOT_PAGETABLES_H
#define PVBOOT_PAGETABLES_H

#include "pvboot/pvboot.h"

#define PV_PAGE_SHIFT 12
#define PV_PAGE_SIZE  4096ull

/* x86 page-table entry bits (architecture, not Xen ABI). */
#define PV_PTE_PRESENT  0x001ull
#define PV_PTE_RW       0x002ull
#define PV_PTE_USER     0x004ull
#define PV_PTE_ACCESSED 0x020ull
#define PV_PTE_DIRTY    0x040ull
#define PV_PTE_PSE      0x080ull
#define PV_PTE_ADDR     0x000ffffffffff000ull   /* bits 12-51: frame address */

/* Largest machine frame a PTE can name (52-bit physical addresses). */
#define PV_MAX_MFN      (PV_PTE_ADDR >> PV_PAGE_SHIFT)

/*
 * How many tables each level needs to map [virt_base, virt_end) and which
 * part of the address space each level's tables cover. Level 0 holds the
 * L1 tables; level levels-1 is the single root (L4, or the PAE L3).
 * Addresses here live in the walked address space: 48-bit for x86_64
 * (the sign extension is dropped), 32-bit for PAE.
 */
struct pv_pt_shape {
	unsigned levels;        /* 4 (x86_64) or 3 (PAE) */
	uint64_t tables[4];     /* tables per level */
	uint64_t cover[4];      /* lowest address covered by the first table */
	uint64_t total;         /* sum of tables[] */
};

/*
 * Compute the shape for a region; virt_base < virt_end, both inside the
 * guest's address space (the caller checked). Pure.
 */
void pv_pt_shape(bool is_64bit, uint64_t virt_base, uint64_t virt_end,
		 struct pv_pt_shape *s);

/*
 * Write the bootstrap tables of a validated layout into guest memory:
 * the root first, then each level down to the L1s, at pfns
 * [pfn(pt_start), pfn(pt_end)). Entries hold machine frames from
 * mem->p2m; the frames of the tables themselves are mapped read-only.
 * -1 with a reason if a frame has no host memory or an mfn is too large.
 */
int pv_pt_write(const struct pv_layout *l, const struct pv_guest_mem *mem,
		char *err, size_t errlen);

/*
 * Host pointer to guest page pfn (pfn < mem->nr_pages), or NULL with a
 * reason in err.
 */
void *pv_guest_page(const struct pv_guest_mem *mem, uint64_t pfn,
		    char *err, size_t errlen);

#endif
