/* integrity.c — after a run, from the host: is the stub intact, and does the guest map only what is its own? */
#include "xenner/integrity.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenner/hostabi.h>

/*
 * The rules are Xen's (xen/arch/x86/mm.c get_page_from_lNe, check_descriptor)
 * as the stub applies them (hypercall/mmu.c, descriptor.c), restated here
 * from the ABI rather than shared with the stub: this is the second
 * opinion, not the same code run twice.
 */

#define PG_P    (1ull << 0)
#define PG_RW   (1ull << 1)
#define PG_PWT  (1ull << 3)
#define PG_AD   (3ull << 5)             /* accessed, dirty: the CPU sets them */
#define PG_PCD  (1ull << 4)
#define PG_PSE  (1ull << 7)             /* PAT in an L1 entry */
#define PG_G    (1ull << 8)
#define PG_MFN  0x000ffffffffff000ull
#define PAE_HIGH_RESERVED 0x7ff0000000000000ull

/* The stub's frame types (hypercall/mmu.h, enum frame_type): L1..L4, then descriptors. */
enum { T_L1 = 1, T_L2, T_L3, T_L4, T_SEG_DESC, T_WRITABLE };
_Static_assert(T_WRITABLE == FRAME_TYPE_WRITABLE, "frame types");

struct ctx {
	const struct integrity_in *in;
	const struct mem_plan *p;
	const struct frame_info *frames;
	const uint64_t *xen_entries;    /* the stub's own entries for its slots */
	struct integrity_report *r;
	char *err;
	size_t errlen;
};

static int violation(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned type_of(const struct frame_info *f)
{
	return f->type >> FRAME_TYPE_SHIFT;
}

static bool in_use_as(const struct frame_info *f, unsigned type)
{
	return type_of(f) == type && (f->type & FRAME_TYPE_VALIDATED) && (f->type & FRAME_TYPE_COUNT_MASK);
}

static bool is_ram(const struct mem_plan *p, uint64_t mfn)
{
	uint64_t high = MEMPLAN_HIGH_RAM_BASE >> 12;
	return mfn < p->low_ram_pages || (mfn >= high && mfn - high < p->high_ram_pages);
}

/* Owned by the guest outright (not a stub frame it is shown). */
static bool owned(const struct frame_info *f)
{
	return (f->count & FRAME_GUEST) && !(f->count & (FRAME_XEN_SHARED | FRAME_FREE));
}

static int check_stub_image(struct ctx *c)
{
	const uint8_t *now = c->in->stub, *img = c->in->image;
	for (size_t i = 0; i < c->in->ro_size; i++)
		if (now[i] != img[i])
			return violation(c, "the stub's code or read-only data changed at offset %#zx "
					 "(%02x, was %02x)", i, now[i], img[i]);
	c->r->ro_bytes = c->in->ro_size;
	return 0;
}

/* The stub's page tables as the host built them; the 32-bit map cache (third page) changes. */
static int check_stub_tables(struct ctx *c, uint8_t *fresh)
{
	const struct mem_plan *p = c->p;
	mem_plan_build_stub_tables(p, fresh);
	for (uint64_t pg = 0; pg < p->pt_pages; pg++) {
		if (p->guest_bits == 32 && pg == 2)
			continue;
		uint64_t off = p->pt_off + pg * 4096;
		const uint64_t *now = (const uint64_t *)(const void *)(c->in->stub + off);
		const uint64_t *want = (const uint64_t *)(const void *)(fresh + off);
		for (unsigned i = 0; i < 512; i++)
			if ((now[i] ^ want[i]) & ~PG_AD)
				return violation(c, "the stub's page table %llu entry %u changed "
						 "(%#llx, built as %#llx)", (unsigned long long)pg, i,
						 (unsigned long long)now[i], (unsigned long long)want[i]);
		c->r->pt_bytes += 4096;
	}
	return 0;
}

static int check_m2p(struct ctx *c)
{
	const struct mem_plan *p = c->p;
	const uint8_t *m2p = c->in->stub + p->m2p_off;
	unsigned esize = p->guest_bits == 64 ? 8 : 4;
	uint64_t n = p->m2p_size / esize < p->max_mfn ? p->m2p_size / esize : p->max_mfn;
	for (uint64_t mfn = 0; mfn < n; mfn++) {
		if (is_ram(p, mfn))
			continue;
		uint64_t v = 0;
		memcpy(&v, m2p + mfn * esize, esize);
		if (v != (esize == 8 ? ~0ull : 0xffffffffull))
			return violation(c, "the M2P entry of frame %#llx, which is not guest RAM, is %#llx",
					 (unsigned long long)mfn, (unsigned long long)v);
		c->r->m2p_entries++;
	}
	return 0;
}

static bool xen_slot(const struct ctx *c, unsigned level, unsigned idx, const struct frame_info *f)
{
	if (c->p->guest_bits == 64)
		return level == 4 && idx >= STUB64_L4_FIRST && idx <= STUB64_L4_LAST;
	return level == 2 && (f->type & FRAME_TYPE_PAE_XEN_L2) && idx >= STUB32_L2_FIRST;
}

static int check_entry(struct ctx *c, uint64_t mfn, unsigned level, unsigned idx, uint64_t e)
{
	bool pae = c->p->guest_bits == 32;
	uint64_t bad = level == 1 ? PG_PWT | PG_PCD | PG_PSE : PG_PWT | PG_PCD | PG_PSE | PG_G;
	if (pae)
		bad |= level == 3 ? 0xfff0000000000000ull : PAE_HIGH_RESERVED;
	if (e & bad)
		return violation(c, "L%u table %#llx entry %u (%#llx) has flags a domU may not set", level,
				 (unsigned long long)mfn, idx, (unsigned long long)e);
	uint64_t to = (e & PG_MFN) >> 12;
	const struct frame_info *t = to < c->p->max_mfn ? &c->frames[to] : NULL;
	if (level == 1) {
		if (!t || !(t->count & FRAME_GUEST) || (t->count & FRAME_FREE))
			return violation(c, "L1 table %#llx entry %u maps frame %#llx, which is not the guest's",
					 (unsigned long long)mfn, idx, (unsigned long long)to);
		if ((e & PG_RW) && !in_use_as(t, T_WRITABLE))
			return violation(c, "L1 table %#llx entry %u maps frame %#llx writable, but that frame "
					 "is typed %u (a page table or descriptor table?)", (unsigned long long)mfn,
					 idx, (unsigned long long)to, t ? type_of(t) : 0);
		return 0;
	}
	if (!t || !owned(t) || !is_ram(c->p, to) || !in_use_as(t, level - 1))
		return violation(c, "L%u table %#llx entry %u points at frame %#llx, which is not a validated "
				 "L%u table of the guest's", level, (unsigned long long)mfn, idx,
				 (unsigned long long)to, level - 1);
	return 0;
}

static int check_table(struct ctx *c, uint64_t mfn, unsigned level)
{
	const struct frame_info *f = &c->frames[mfn];
	const uint64_t *t = is_ram(c->p, mfn) && owned(f) ? c->in->mfn_to_host(c->in->opaque, mfn) : NULL;
	if (!t)
		return violation(c, "frame %#llx is an L%u table but not guest RAM the guest owns",
				 (unsigned long long)mfn, level);
	unsigned n = c->p->guest_bits == 32 && level == 3 ? 4 : 512;
	for (unsigned i = 0; i < n; i++) {
		if (xen_slot(c, level, i, f)) {
			if ((t[i] ^ c->xen_entries[i]) & ~PG_AD)
				return violation(c, "L%u table %#llx: hypervisor slot %u is %#llx, not the stub's %#llx",
						 level, (unsigned long long)mfn, i, (unsigned long long)t[i],
						 (unsigned long long)c->xen_entries[i]);
			continue;
		}
		if (!(t[i] & PG_P))
			continue;
		if (check_entry(c, mfn, level, i, t[i]))
			return -1;
		c->r->entries++;
	}
	c->r->tables[level]++;
	return 0;
}

/* Descriptor words: high word bits. */
#define D_P     (1u << 15)
#define D_S     (1u << 12)
#define D_DPL(b) (((b) >> 13) & 3)
#define D_TYPE(b) (((b) >> 8) & 15)
#define D_CALL_GATE 12
#define D_CODE  (1u << 11)
#define D_EC    (1u << 10)
#define D_G     (1u << 23)
#define D_DB    (1u << 22)
#define D_L     (1u << 21)

/*
 * One descriptor (hypercall/descriptor.c, Xen's check_descriptor): code and
 * data at the guest kernel's ring or less (pv32: no 64-bit code), call
 * gates only with DPL 0 (every use faults), the empty type-0 half of a
 * 64-bit gate; nothing else. On pv32 a segment may not reach the stub:
 * in the guest's frame a base-0 segment may say 4 GiB (Xen's form), in
 * the live copy the CPU uses (live) it must end below the read-only M2P.
 */
static const char *descriptor_problem(const struct ctx *c, uint64_t d, bool live, uint64_t *reach)
{
	uint32_t a = (uint32_t)d, b = (uint32_t)(d >> 32);
	unsigned kernel_ring = c->p->guest_bits == 64 ? 3 : 1;
	if (!(b & D_P))
		return NULL;
	if (!(b & D_S)) {
		if (D_TYPE(b) == 0)
			return NULL;
		if (D_TYPE(b) == D_CALL_GATE)
			return D_DPL(b) == 0 ? NULL : "a call gate usable from the guest";
		return "a system descriptor (TSS, LDT, interrupt or trap gate)";
	}
	if (D_DPL(b) < kernel_ring)
		return "a segment below the guest kernel's ring";
	if (c->p->guest_bits == 64)
		return NULL;
	if ((b & D_CODE) && (b & D_L))
		return "64-bit code in a 32-bit guest";
	uint64_t base = (a >> 16) | ((b & 0xff) << 16) | (b & 0xff000000u);
	uint64_t limit = (a & 0xffff) | (b & 0x000f0000u);
	if (b & D_G)
		limit = (limit << 12) | 0xfff;
	bool down = !(b & D_CODE) && (b & D_EC);
	*reach = down ? base + ((b & D_DB) ? 0xffffffffull : 0xffffull) : base + limit;
	if (down || base >= XEN32_MACH2PHYS_VIRT_END || live)
		return *reach >= XEN32_MACH2PHYS_VIRT_END ? "a segment reaching into the stub" : NULL;
	return NULL;
}

static int check_descriptor_words(struct ctx *c, const uint64_t *d, unsigned n, bool live, const char *where,
				  uint64_t which)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t reach = 0;
		const char *why = descriptor_problem(c, d[i], live, &reach);
		if (!why)
			continue;
		char end[48] = "";
		if (reach >= XEN32_MACH2PHYS_VIRT_END)
			snprintf(end, sizeof(end), " (it ends at %#llx)", (unsigned long long)reach);
		return violation(c, "%s %#llx entry %u (%#llx): %s%s", where, (unsigned long long)which, i,
				 (unsigned long long)d[i], why, end);
	}
	return 0;
}

static int check_descriptors(struct ctx *c, uint64_t mfn)
{
	const uint64_t *d = is_ram(c->p, mfn) && owned(&c->frames[mfn]) ? c->in->mfn_to_host(c->in->opaque, mfn)
									  : NULL;
	if (!d)
		return violation(c, "frame %#llx is a descriptor table but not guest RAM the guest owns",
				 (unsigned long long)mfn);
	if (check_descriptor_words(c, d, 512, false, "descriptor frame", mfn))
		return -1;
	c->r->desc_pages++;
	return 0;
}

/* The GDT part and LDT copy the CPU uses for each vCPU, where the stub says they are. */
static int check_live_tables(struct ctx *c)
{
	const struct mem_plan *p = c->p;
	const struct stub_stats *st = (const struct stub_stats *)(const void *)(c->in->stub + p->stats_off);
	for (unsigned v = 0; v < c->in->nr_vcpus; v++) {
		const uint64_t va[2] = { st[v].gdt_va, st[v].ldt_va }, n[2] = { st[v].gdt_ents, st[v].ldt_ents };
		for (unsigned t = 0; t < 2; t++) {
			if (!n[t])
				continue;
			uint64_t off = va[t] - p->stub_virt;
			if (va[t] < p->stub_virt || off >= p->stub_size || n[t] > 8192 || n[t] * 8 > p->stub_size - off)
				return violation(c, "vCPU %u: the stub reports its %s at %#llx (%llu entries), outside "
						 "its region", v, t ? "LDT" : "GDT", (unsigned long long)va[t],
						 (unsigned long long)n[t]);
			const uint64_t *d = (const uint64_t *)(const void *)(c->in->stub + off);
			if (check_descriptor_words(c, d, (unsigned)n[t], true, t ? "live LDT of vCPU" : "live GDT of vCPU", v))
				return -1;
			c->r->live_descriptors += n[t];
		}
	}
	return 0;
}

int integrity_check(const struct integrity_in *in, struct integrity_report *out, char *err, size_t errlen)
{
	const struct mem_plan *p = in->plan;
	memset(out, 0, sizeof(*out));
	struct ctx c = {
		.in = in, .p = p, .frames = (const struct frame_info *)(const void *)(in->stub + p->frame_info_off),
		.r = out, .err = err, .errlen = errlen,
	};
	if (p->max_mfn * sizeof(struct frame_info) > p->frame_info_size)
		return violation(&c, "the frame info area is smaller than max_mfn frames");
	if (check_stub_image(&c))
		return -1;
	uint8_t *fresh = calloc(1, p->pt_off + p->pt_pages * 4096);
	if (!fresh)
		return violation(&c, "out of memory");
	int rc = check_stub_tables(&c, fresh);
	free(fresh);
	if (rc || check_m2p(&c))
		return -1;
	/* The stub's entries for its slots: its root (64-bit) or its top L2 (32-bit PAE). */
	const uint64_t *own = (const uint64_t *)(const void *)(in->stub + p->pt_off + (p->guest_bits == 64 ? 0 : 4096));
	c.xen_entries = own;
	unsigned top = p->guest_bits == 64 ? 4 : 3;
	for (uint64_t mfn = 0; mfn < p->max_mfn; mfn++) {
		const struct frame_info *f = &c.frames[mfn];
		for (unsigned level = 1; level <= top; level++)
			if (in_use_as(f, level) && check_table(&c, mfn, level))
				return -1;
		if (in_use_as(f, T_SEG_DESC) && check_descriptors(&c, mfn))
			return -1;
	}
	return check_live_tables(&c);
}
