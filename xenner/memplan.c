/* memplan.c — guest-physical layout and the stub's own page tables (pure, unit-tested). */
#include <xenner/memplan.h>

#include <stdio.h>
#include <string.h>
#include <xen/xen.h>
#include <xenner/hostabi.h>
#include <xenner/util.h>

#define PTE_P   0x001ull
#define PTE_RW  0x002ull
#define PTE_US  0x004ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull
#define PTE_G   0x100ull
#define PTE_NX  (1ull << 63)
#define TWO_MB  (2 * MiB)

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Pages of stub page tables for a region of this shape. */
static uint64_t stub_pt_pages(unsigned bits, uint64_t stub_size, uint64_t m2p_size,
			      uint64_t max_gpa)
{
	if (bits == 32)
		return 4;                               /* L3, L2, mapcache L1, L4 (long mode) */
	return 1                                        /* L4 */
	       + 1 + div_up(m2p_size, GiB)              /* M2P: L3 + L2s */
	       + 1 + div_up(stub_size, GiB)             /* stub region */
	       + 1 + div_up(max_gpa, GiB);              /* physmap */
}

int mem_plan_compute(struct mem_plan *p, unsigned guest_bits, uint64_t nr_pages,
		     unsigned nr_vcpus, uint64_t image_mem_size, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->guest_bits = guest_bits;
	p->nr_pages = nr_pages;
	uint64_t low_limit = MEMPLAN_LOW_RAM_LIMIT >> PAGE_SHIFT;
	p->low_ram_pages = nr_pages < low_limit ? nr_pages : low_limit;
	p->high_ram_pages = nr_pages - p->low_ram_pages;
	p->stub_gpa = ALIGN_UP(p->low_ram_pages << PAGE_SHIFT, TWO_MB);
	p->stub_virt = guest_bits == 64 ? STUB64_VIRT_BASE : STUB32_VIRT_BASE;

	p->image_size = ALIGN_UP(image_mem_size, PAGE_SIZE);
	p->fdt_off = p->image_size;
	p->pt_off = p->fdt_off + MEMPLAN_FDT_SIZE;
	uint64_t entry_size = guest_bits == 64 ? 8 : 4;
	uint64_t high_end = p->high_ram_pages ?
		MEMPLAN_HIGH_RAM_BASE + (p->high_ram_pages << PAGE_SHIFT) : 0;

	/* The M2P covers every frame, its own included: iterate to a fixed point. */
	p->stub_size = TWO_MB;
	for (int round = 0; round < 8; round++) {
		uint64_t stub_end = p->stub_gpa + p->stub_size;
		uint64_t max_gpa = stub_end > high_end ? stub_end : high_end;
		p->max_mfn = max_gpa >> PAGE_SHIFT;
		p->m2p_size = ALIGN_UP(p->max_mfn * entry_size, TWO_MB);
		p->pt_pages = stub_pt_pages(guest_bits, p->stub_size, p->m2p_size, max_gpa);
		p->shared_info_off = p->pt_off + p->pt_pages * PAGE_SIZE;
		p->heap_off = p->shared_info_off + PAGE_SIZE;
		p->heap_size = MiB + (uint64_t)nr_vcpus * 256 * 1024;
		p->stats_off = p->heap_off + p->heap_size;
		p->stats_size = ALIGN_UP((uint64_t)nr_vcpus * sizeof(struct stub_stats), PAGE_SIZE);
		p->events_off = p->stats_off + p->stats_size;
		p->frame_info_off = p->events_off + PAGE_SIZE;
		p->frame_info_size = ALIGN_UP(p->max_mfn * MEMPLAN_FRAME_INFO_BYTES, PAGE_SIZE);
		p->m2p_off = ALIGN_UP(p->frame_info_off + p->frame_info_size, TWO_MB);
		uint64_t size = ALIGN_UP(p->m2p_off + p->m2p_size, TWO_MB);
		if (size == p->stub_size)
			break;
		p->stub_size = size;
	}
	p->stub_cr3 = p->stub_gpa + p->pt_off;
	p->m2p_virt = guest_bits == 64 ? MACH2PHYS_VIRT_START : XEN32_MACH2PHYS_VIRT_START;

	if (p->stub_gpa + p->stub_size > MEMPLAN_STUB_LIMIT) {
		snprintf(err, errlen, "stub region does not fit below 3 GiB (%llu MiB of guest RAM)",
			 (unsigned long long)(nr_pages >> 8));
		return -1;
	}
	if (guest_bits == 32) {
		if (p->m2p_size > XEN32_MACH2PHYS_VIRT_END - XEN32_MACH2PHYS_VIRT_START) {
			snprintf(err, errlen, "too much memory for a 32-bit PAE guest: its machine "
				 "frames would end above the 16 GiB its M2P can describe");
			return -1;
		}
		if (p->stub_size > STUB_REGION_MAX) {
			snprintf(err, errlen, "stub region too large for the 32-bit hypervisor hole");
			return -1;
		}
	}
	return 0;
}

/*
 * A 32-bit guest on a host that cannot run PAE paging outside long mode
 * (kvm_pvm): the stub runs in compatibility mode, its root is the L4 that
 * the fourth table page holds (mem_plan_build_stub_tables).
 */
void mem_plan_set_pv32_long_mode(struct mem_plan *p)
{
	if (p->guest_bits != 32)
		return;
	p->pv32_long_mode = true;
	p->stub_cr3 = p->stub_gpa + p->pt_off + 3 * PAGE_SIZE;
}

uint64_t mem_plan_ram_mfn(const struct mem_plan *p, uint64_t i)
{
	if (i < p->low_ram_pages)
		return i;
	return (MEMPLAN_HIGH_RAM_BASE >> PAGE_SHIFT) + (i - p->low_ram_pages);
}

/* Page-table page allocator inside the stub region's table area. */
struct pt_alloc {
	const struct mem_plan *p;
	uint8_t *stub;
	uint64_t next;
};

static uint64_t *pt_new(struct pt_alloc *a, uint64_t *gpa)
{
	if (a->next >= a->p->pt_pages) {
		fprintf(stderr, "xenner: internal error: stub page-table estimate too small\n");
		return NULL;
	}
	uint64_t off = a->p->pt_off + a->next++ * PAGE_SIZE;
	*gpa = a->p->stub_gpa + off;
	uint64_t *t = (uint64_t *)(a->stub + off);
	memset(t, 0, PAGE_SIZE);
	return t;
}

static uint64_t *pt_table(struct pt_alloc *a, uint64_t gpa)
{
	return (uint64_t *)(a->stub + (gpa - a->p->stub_gpa));
}

/* Map [va, va+size) -> [gpa, ...) with 2 MiB pages under one 64-bit L4 slot. */
static int map_2m_64(struct pt_alloc *a, uint64_t *l4, uint64_t va, uint64_t gpa,
		     uint64_t size, uint64_t leaf_flags, uint64_t table_flags)
{
	for (uint64_t off = 0; off < size; off += TWO_MB) {
		uint64_t v = va + off;
		uint64_t *e4 = &l4[(v >> 39) & 511];
		uint64_t t;
		if (!(*e4 & PTE_P)) {
			if (!pt_new(a, &t))
				return -1;
			*e4 = t | table_flags;
		}
		uint64_t *l3 = pt_table(a, *e4 & 0x000ffffffffff000ull);
		uint64_t *e3 = &l3[(v >> 30) & 511];
		if (!(*e3 & PTE_P)) {
			if (!pt_new(a, &t))
				return -1;
			*e3 = t | table_flags;
		}
		uint64_t *l2 = pt_table(a, *e3 & 0x000ffffffffff000ull);
		l2[(v >> 21) & 511] = (gpa + off) | leaf_flags | PTE_PS;
	}
	return 0;
}

void mem_plan_build_stub_tables(const struct mem_plan *p, uint8_t *stub)
{
	struct pt_alloc a = { p, stub, 0 };
	uint64_t root;
	uint64_t *top = pt_new(&a, &root);
	if (!top)
		return;
	uint64_t m2p_gpa = p->stub_gpa + p->m2p_off;

	if (p->guest_bits == 64) {
		uint64_t sup = PTE_P | PTE_RW | PTE_A;
		uint64_t user = sup | PTE_US;
		/* Read-only, guest-readable M2P; the stub region; all machine memory. */
		map_2m_64(&a, top, p->m2p_virt, m2p_gpa, p->m2p_size,
			  PTE_P | PTE_US | PTE_A | PTE_NX, user);
		map_2m_64(&a, top, STUB64_VIRT_BASE, p->stub_gpa, p->stub_size,
			  sup | PTE_D | PTE_G, sup);
		uint64_t low = ALIGN_UP(p->low_ram_pages << PAGE_SHIFT, TWO_MB);
		map_2m_64(&a, top, STUB64_PHYSMAP, 0, low, sup | PTE_D | PTE_G | PTE_NX, sup);
		map_2m_64(&a, top, STUB64_PHYSMAP + p->stub_gpa, p->stub_gpa, p->stub_size,
			  sup | PTE_D | PTE_G | PTE_NX, sup);
		if (p->high_ram_pages)
			map_2m_64(&a, top, STUB64_PHYSMAP + MEMPLAN_HIGH_RAM_BASE,
				  MEMPLAN_HIGH_RAM_BASE,
				  ALIGN_UP(p->high_ram_pages << PAGE_SHIFT, TWO_MB),
				  sup | PTE_D | PTE_G | PTE_NX, sup);
		return;
	}

	/*
	 * PAE: L3 slot 3 -> one L2 holding the hole from 0xF5800000. In long
	 * mode (pv32_long_mode) an L4 goes on top, its slot 0 -> the L3, whose
	 * entries then need the permission bits a PDPTE may not hold.
	 */
	uint64_t l2_gpa, l1_gpa, l4_gpa;
	uint64_t *l2 = pt_new(&a, &l2_gpa);
	uint64_t *l1 = pt_new(&a, &l1_gpa);
	uint64_t *l4 = pt_new(&a, &l4_gpa);
	if (!l2 || !l1 || !l4)
		return;
	(void)l1;
	if (p->pv32_long_mode) {
		l4[0] = root | PTE_P | PTE_RW | PTE_US | PTE_A;
		top[3] = l2_gpa | PTE_P | PTE_RW | PTE_US | PTE_A;
	} else {
		top[3] = l2_gpa | PTE_P;        /* PDPTEs allow no other bits */
	}
	uint64_t idx = (XEN32_MACH2PHYS_VIRT_START >> 21) & 511;
	for (uint64_t off = 0; off < p->m2p_size; off += TWO_MB)
		l2[idx++] = (m2p_gpa + off) | PTE_P | PTE_US | PTE_A | PTE_PS | PTE_NX;
	idx = (STUB32_VIRT_BASE >> 21) & 511;
	for (uint64_t off = 0; off < p->stub_size; off += TWO_MB)
		l2[idx++] = (p->stub_gpa + off) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS | PTE_G;
	l2[(STUB32_MAPCACHE >> 21) & 511] = l1_gpa | PTE_P | PTE_RW | PTE_A;
}

void mem_plan_fill_frame_info(const struct mem_plan *p, uint8_t *stub)
{
	struct frame_info *f = (struct frame_info *)(void *)(stub + p->frame_info_off);
	memset(f, 0, p->max_mfn * sizeof(*f));
	for (uint64_t i = 0; i < p->nr_pages; i++)
		f[mem_plan_ram_mfn(p, i)].count = FRAME_GUEST;
}

void mem_plan_fill_m2p(const struct mem_plan *p, uint8_t *stub, const uint64_t *p2m)
{
	uint8_t *m2p = stub + p->m2p_off;
	memset(m2p, 0xff, p->m2p_size);         /* INVALID_M2P_ENTRY everywhere */
	for (uint64_t pfn = 0; pfn < p->nr_pages; pfn++) {
		uint64_t mfn = p2m[pfn];
		if (mfn >= p->max_mfn)
			continue;
		if (p->guest_bits == 64)
			((uint64_t *)m2p)[mfn] = pfn;
		else
			((uint32_t *)m2p)[mfn] = (uint32_t)pfn;
	}
}
