/* pagetables.c — the bootstrap page tables that map a PV guest's start-of-day region. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pvboot/pagetables.h"

#define PT_ENTRIES 512u
#define PAE_L3_ENTRIES 4u   /* a PAE root holds four PDPTEs; the rest of its page stays zero */

/*
 * Entry flags per level, as Xen's domain builder (tools/libs/guest/
 * xg_dom_x86.c) writes them, with two deliberate differences noted.
 *
 * x86_64: every level P|RW|A|D|U. The builder leaves USER and DIRTY off
 * its L1s and Xen adds USER while validating (the kernel runs in ring 3);
 * our tables are used as written, so the L1s carry both already.
 *
 * PAE: L2 P|RW|A|D|U, L1 P|RW|A (the kernel runs in ring 1, its pages are
 * supervisor pages). The L3 entries are PDPTEs, loaded by the CPU from CR3
 * in real PAE mode, where RW, USER, ACCESSED and DIRTY are reserved bits:
 * PRESENT only, as the 32-bit-Xen builder did (64-bit Xen's builder sets
 * more because it walks those entries as long-mode L3s).
 */
#define PROT_64      (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED | PV_PTE_DIRTY | PV_PTE_USER)
#define PROT_PAE_L1  (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED)
#define PROT_PAE_L2  (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED | PV_PTE_DIRTY | PV_PTE_USER)
#define PROT_PAE_L3  (PV_PTE_PRESENT)

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Bytes of address space one table at level l covers (level 0 = an L1). */
static uint64_t table_span(unsigned l)
{
	return 1ull << (PV_PAGE_SHIFT + 9 * (l + 1));
}

/* Bytes one entry of a level-l table covers. */
static uint64_t entry_span(unsigned l)
{
	return 1ull << (PV_PAGE_SHIFT + 9 * l);
}

static uint64_t space_mask(bool is_64bit)
{
	return is_64bit ? (1ull << 48) - 1 : 0xffffffffull;
}

void pv_pt_shape(bool is_64bit, uint64_t virt_base, uint64_t virt_end,
		 struct pv_pt_shape *s)
{
	uint64_t from = virt_base & space_mask(is_64bit);
	uint64_t last = (virt_end - 1) & space_mask(is_64bit);

	memset(s, 0, sizeof(*s));
	s->levels = is_64bit ? 4 : 3;
	for (unsigned l = 0; l + 1 < s->levels; l++) {
		unsigned shift = PV_PAGE_SHIFT + 9 * (l + 1);
		uint64_t first = from >> shift, final = last >> shift;

		/*
		 * PAE: one L2 for every L3 slot from the region's up to slot 3,
		 * as Xen's builder allocates them. The slot-3 L2 must exist and be
		 * a page of its own because the hypervisor's mappings
		 * (0xF5800000 up) are installed into it later.
		 */
		if (!is_64bit && l == 1)
			final = 3;
		s->tables[l] = final - first + 1;
		s->cover[l] = first << shift;
	}
	s->tables[s->levels - 1] = 1;
	s->cover[s->levels - 1] = 0;
	for (unsigned l = 0; l < s->levels; l++)
		s->total += s->tables[l];
}

void *pv_guest_page(const struct pv_guest_mem *mem, uint64_t pfn,
		    char *err, size_t errlen)
{
	uint64_t mfn;
	void *p;

	if (pfn >= mem->nr_pages) {
		fail(err, errlen, "guest pfn 0x%" PRIx64 " is beyond guest memory (%" PRIu64 " pages)",
		     pfn, mem->nr_pages);
		return NULL;
	}
	mfn = mem->p2m[pfn];
	p = mem->mfn_to_host(mem->opaque, mfn);
	if (!p)
		fail(err, errlen, "guest pfn 0x%" PRIx64 " (mfn 0x%" PRIx64 ") has no host memory",
		     pfn, mfn);
	return p;
}

static int pfn_to_mfn(const struct pv_guest_mem *mem, uint64_t pfn, uint64_t *mfn,
		      char *err, size_t errlen)
{
	if (pfn >= mem->nr_pages)
		return fail(err, errlen, "page table refers to pfn 0x%" PRIx64 " beyond guest memory", pfn);
	*mfn = mem->p2m[pfn];
	if (*mfn > PV_MAX_MFN)
		return fail(err, errlen, "mfn 0x%" PRIx64 " of pfn 0x%" PRIx64 " is too large for a page-table entry",
			    *mfn, pfn);
	return 0;
}

static uint64_t nonleaf_prot(bool is_64bit, unsigned l, unsigned levels)
{
	if (is_64bit)
		return PROT_64;
	return l == levels - 1 ? PROT_PAE_L3 : PROT_PAE_L2;
}

struct pt_ctx {
	const struct pv_layout *l;
	const struct pv_guest_mem *mem;
	struct pv_pt_shape s;
	uint64_t first_pfn[4];      /* pfn of each level's first table */
	uint64_t from, end;         /* the region in the walked address space */
	uint64_t pt_pfn, pt_pfn_end;
};

/* The entry that maps address va from a level-lvl table, or 0 if none. */
static int pt_entry(const struct pt_ctx *c, unsigned lvl, uint64_t va, uint64_t *pte,
		    char *err, size_t errlen)
{
	bool is_64bit = c->l->is_64bit;
	uint64_t pfn, mfn = 0, prot;

	*pte = 0;
	if (lvl == 0) {
		if (va < c->from || va >= c->end)
			return 0;
		pfn = (va - c->from) >> PV_PAGE_SHIFT;
		prot = is_64bit ? PROT_64 : PROT_PAE_L1;
		if (pfn >= c->pt_pfn && pfn < c->pt_pfn_end)
			prot &= ~PV_PTE_RW;     /* xen.h: the bootstrap tables are mapped read-only */
	} else {
		uint64_t lo = c->s.cover[lvl - 1];
		uint64_t hi = lo + c->s.tables[lvl - 1] * table_span(lvl - 1);

		if (va < lo || va >= hi)
			return 0;
		pfn = c->first_pfn[lvl - 1] + (va - lo) / table_span(lvl - 1);
		prot = nonleaf_prot(is_64bit, lvl, c->s.levels);
	}
	if (pfn_to_mfn(c->mem, pfn, &mfn, err, errlen))
		return -1;
	*pte = (mfn << PV_PAGE_SHIFT) | prot;
	return 0;
}

static int pt_write_table(const struct pt_ctx *c, unsigned lvl, uint64_t t,
			  char *err, size_t errlen)
{
	bool root = lvl == c->s.levels - 1;
	unsigned n = (root && !c->l->is_64bit) ? PAE_L3_ENTRIES : PT_ENTRIES;
	uint64_t base = c->s.cover[lvl] + (root ? 0 : t * table_span(lvl));
	uint8_t *page = pv_guest_page(c->mem, c->first_pfn[lvl] + t, err, errlen);

	if (!page)
		return -1;
	memset(page, 0, PV_PAGE_SIZE);
	for (unsigned e = 0; e < n; e++) {
		uint64_t pte;

		if (pt_entry(c, lvl, base + e * entry_span(lvl), &pte, err, errlen))
			return -1;
		memcpy(page + e * sizeof(pte), &pte, sizeof(pte));
	}
	return 0;
}

int pv_pt_write(const struct pv_layout *l, const struct pv_guest_mem *mem,
		char *err, size_t errlen)
{
	struct pt_ctx c = { .l = l, .mem = mem };
	uint64_t next;

	pv_pt_shape(l->is_64bit, l->virt_base, l->virt_end, &c.s);
	if (c.s.total != l->nr_pt_frames || l->pt_end - l->pt_start != c.s.total * PV_PAGE_SIZE)
		return fail(err, errlen, "page-table area does not match the region it maps");
	c.from = l->virt_base & space_mask(l->is_64bit);
	c.end = c.from + (l->virt_end - l->virt_base);
	c.pt_pfn = pv_layout_pfn(l, l->pt_start);
	c.pt_pfn_end = pv_layout_pfn(l, l->pt_end);

	/* Root first, then each level down: the order of Xen's builder. */
	next = c.pt_pfn;
	for (unsigned lvl = c.s.levels; lvl-- > 0;) {
		c.first_pfn[lvl] = next;
		next += c.s.tables[lvl];
	}
	for (unsigned lvl = c.s.levels; lvl-- > 0;)
		for (uint64_t t = 0; t < c.s.tables[lvl]; t++)
			if (pt_write_table(&c, lvl, t, err, errlen))
				return -1;
	return 0;
}
