/* descriptor.c — guest descriptor tables: set_gdt, update_descriptor, descriptor checks. */
#include "hypercall.h"
#include "mmu.h"

#define SEG_P        (1u << 15)          /* in the high word of a descriptor */
#define SEG_S        (1u << 12)          /* code/data (vs system) */
#define SEG_DPL_SHIFT 13
#define SEG_DPL      (3u << SEG_DPL_SHIFT)
#define SEG_CODE     (1u << 11)
#define SEG_EC       (1u << 10)          /* data: expand-down; code: conforming */
#define SEG_G        (1u << 23)
#define SEG_DB       (1u << 22)
#define SEG_L        (1u << 21)
#define SEG_TYPE     (15u << 8)
#define SEG_TYPE_CALL_GATE (12u << 8)

#if STUB_BITS == 64
#define GUEST_KERNEL_RPL 3
#define GUEST_FLAT_KERNEL_CS 0xe033     /* FLAT_RING3_CS64 */
#else
#define GUEST_KERNEL_RPL 1
#define GUEST_FLAT_KERNEL_CS 0xe019     /* FLAT_RING1_CS (Xen's FLAT_COMPAT_KERNEL_CS) */
/* Guest segments may reach the read-only M2P, never the stub above it (arch32.c). */
#define GUEST_SEGMENT_MAX_ADDR XEN32_MACH2PHYS_VIRT_END
#endif

/*
 * Xen's check_descriptor() (xen/arch/x86/pv/descriptor-tables.c): may the
 * guest have this descriptor in a GDT or LDT? Returns false to refuse; may
 * rewrite *d, and the rewritten form is what the guest's frame holds.
 * - not present: anything goes.
 * - the DPL is raised to the guest kernel's ring if lower.
 * - code and data: fine (pv32: not with the L bit). pv32 segments with
 *   base 0 that reach the hypervisor hole are extended to 4 GiB: Xen lives
 *   above 4 GiB and keeps the guest out of the hole by paging alone.
 * - system type 0: harmless (the second half of a 64-bit call gate).
 * - call gates whose target is a guest selector, the flat kernel cs or an
 *   LDT selector: stored with DPL 0 and the DPL in the target's RPL, so
 *   every use faults (Xen emulates them from the #GP; the stub does not).
 * - everything else (LDT, TSS, interrupt and trap gates): refused.
 * The stub, unlike Xen, sits inside a pv32 guest's 4 GiB at ring 0 and
 * ring 1 passes page protection: live GDT/LDT copies go through
 * live_descriptor(), which clamps the limits; expand-down segments that
 * reach the stub, and segments based above it, cannot be clamped and
 * stay refused.
 */
bool check_descriptor(uint64_t *d);
bool check_descriptor(uint64_t *d)
{
	uint32_t a = (uint32_t)*d, b = (uint32_t)(*d >> 32);
	if (!(b & SEG_P))
		return true;
	uint32_t dpl = (b & SEG_DPL) >> SEG_DPL_SHIFT;
	if (dpl < GUEST_KERNEL_RPL)
		dpl = GUEST_KERNEL_RPL;
	b = (b & ~SEG_DPL) | dpl << SEG_DPL_SHIFT;
	if (b & SEG_S) {
#if STUB_BITS == 32
		if (b & SEG_L)
			return false;
		uint32_t base = (a >> 16) | ((b & 0xff) << 16) | (b & 0xff000000u);
		uint64_t limit = (a & 0xffff) | (b & 0x000f0000u);
		if (b & SEG_G)
			limit = (limit << 12) | 0xfff;
		bool expand_down = !(b & SEG_CODE) && (b & SEG_EC);
		if (expand_down) {
			uint32_t top = (b & SEG_DB) ? 0xffffffffu : 0xffffu;
			if ((uint64_t)base + top >= GUEST_SEGMENT_MAX_ADDR)
				return false;
		} else if (base >= GUEST_SEGMENT_MAX_ADDR) {
			return false;
		}
		if (!expand_down && base == 0 && limit + 1 > XEN32_HYPERVISOR_VIRT_START) {
			a |= 0x0000ffffu;
			b |= 0x000f0000u;
		}
#endif
		*d = (uint64_t)b << 32 | a;
		return true;
	}
	uint32_t type = b & SEG_TYPE;
	if (type == 0)
		return true;
	if (type != SEG_TYPE_CALL_GATE)
		return false;
	uint32_t cs = a >> 16;
	if ((cs >> 3) >= FIRST_RESERVED_GDT_ENTRY && cs != GUEST_FLAT_KERNEL_CS && !(cs & 4))
		return false;
	b &= ~SEG_DPL;
	cs = (cs & ~3u) | dpl;
	a = (a & 0xffffu) | cs << 16;
	if (b & (STUB_BITS == 32 ? 0xe0 : 0xff))
		return false;
	*d = (uint64_t)b << 32 | a;
	return true;
}

/*
 * The form of a (checked) guest descriptor the CPU may see: pv32 code and
 * data segments end below the stub (GUEST_SEGMENT_MAX_ADDR), rounded down.
 */
static uint64_t live_descriptor(uint64_t d)
{
#if STUB_BITS == 32
	uint32_t a = (uint32_t)d, b = (uint32_t)(d >> 32);
	if (!(b & SEG_P) || !(b & SEG_S) || (!(b & SEG_CODE) && (b & SEG_EC)))
		return d;
	uint32_t base = (a >> 16) | ((b & 0xff) << 16) | (b & 0xff000000u);
	uint64_t limit = (a & 0xffff) | (b & 0x000f0000u);
	if (b & SEG_G)
		limit = (limit << 12) | 0xfff;
	if ((uint64_t)base + limit < GUEST_SEGMENT_MAX_ADDR)
		return d;
	limit = GUEST_SEGMENT_MAX_ADDR - 1 - base;
	if (b & SEG_G)
		limit >>= 12;
	a = (a & 0xffff0000u) | (limit & 0xffff);
	b = (b & ~0x000f0000u) | (limit & 0x000f0000u);
	return (uint64_t)b << 32 | a;
#else
	return d;
#endif
}

static void copy_live_descriptors(uint64_t *dst, const uint64_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = live_descriptor(src[i]);
}

/* Validate a frame's 512 descriptors for PGT_seg_desc (called by the MMU). */
int validate_seg_desc_page(uint64_t mfn);
int validate_seg_desc_page(uint64_t mfn)
{
	uint64_t *d = map_mfn(mfn);
	int rc = 0;
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
		if (!check_descriptor(&d[i])) {
			trace(TRACE_MMU, "mmu: descriptor %u in frame %llx refused (%llx)", i,
			      (unsigned long long)mfn, (unsigned long long)d[i]);
			rc = -XEN_EINVAL;
			break;
		}
	}
	unmap_mfn(d);
	return rc;
}

/* Copy a vCPU's guest GDT frames into its live GDT (the stub's part stays). */
static void load_guest_gdt(struct vcpu *v)
{
	uint64_t *gdt = (uint64_t *)v->gdt;
	memset(gdt, 0, FIRST_RESERVED_GDT_BYTE);
	for (unsigned f = 0; f < v->gdt_nr_frames; f++) {
		uint64_t *src = map_mfn(v->gdt_mfns[f]);
		unsigned first = f * 512, n = v->gdt_ents - first;
		if (n > 512)
			n = 512;
		copy_live_descriptors(gdt + first, src, n);
		unmap_mfn(src);
	}
}

/* Install nr guest frames as v's GDT (set_gdt, VCPUOP_initialise). */
int vcpu_set_gdt(struct vcpu *v, const ulong *mfns, unsigned nr, unsigned entries)
{
	if (entries > FIRST_RESERVED_GDT_ENTRY || nr > FIRST_RESERVED_GDT_PAGE)
		return -XEN_EINVAL;
	mmu_lock();
	unsigned i;
	int rc = 0;
	for (i = 0; i < nr; i++) {
		rc = get_page_and_type(mfns[i], PGT_seg_desc);
		if (rc)
			break;
	}
	if (rc) {
		while (i--)
			put_page_and_type(mfns[i]);
		mmu_unlock();
		return rc;
	}
	for (i = 0; i < v->gdt_nr_frames; i++)
		put_page_and_type(v->gdt_mfns[i]);
	for (i = 0; i < nr; i++)
		v->gdt_mfns[i] = mfns[i];
	v->gdt_nr_frames = nr;
	v->gdt_ents = entries;
	load_guest_gdt(v);
	v->stats->gdt_va = (ulong)v->gdt;
	v->stats->gdt_ents = entries;
	mmu_unlock();
	return 0;
}

long do_set_gdt(HC_ARGS)
{
	ulong list = a1, entries = a2;
	if (entries > FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	unsigned nr = (unsigned)((entries * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
	ulong mfns[FIRST_RESERVED_GDT_PAGE];
	if (nr && copy_from_guest(mfns, list, nr * sizeof(ulong)))
		return -XEN_EFAULT;
	return vcpu_set_gdt(current(), mfns, nr, (unsigned)entries);
}

/*
 * MMUEXT_SET_LDT: the LDT pages are looked up through the guest's page
 * tables now and must validate as descriptor pages (no writable mapping
 * left, every descriptor acceptable); their descriptors are copied into a
 * stub area the LDT register points at. Xen maps them lazily on first use
 * and the guest sees a fault there if a page is bad; here a bad page leaves
 * the vCPU without an LDT, so the first LDT selector load faults instead.
 * Called with the MMU lock held.
 */
/* Load the LDT register and tell the host where the live table is (hostabi.h stub_stats). */
static void load_ldt(struct vcpu *v, uint64_t *table, unsigned ents)
{
	arch_load_ldt(v, table, ents);
	v->stats->ldt_va = (ulong)table;
	v->stats->ldt_ents = table ? ents : 0;
}

int vcpu_set_ldt(struct vcpu *v, ulong base, unsigned ents)
{
	for (unsigned i = 0; i < v->ldt_nr_frames; i++)
		put_page_and_type(v->ldt_mfns[i]);
	v->ldt_nr_frames = 0;
	v->ldt_base = base;
	v->ldt_ents = ents;
	unsigned nr = (ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t mfn;
		if (mmu_translate(base + i * PAGE_SIZE, &mfn) ||
		    get_page_and_type(mfn, PGT_seg_desc)) {
			trace(TRACE_MMU, "mmu: LDT page %u at %lx does not validate; no LDT loaded",
			      i, base + i * PAGE_SIZE);
			for (unsigned j = 0; j < v->ldt_nr_frames; j++)
				put_page_and_type(v->ldt_mfns[j]);
			v->ldt_nr_frames = 0;
			load_ldt(v, NULL, 0);
			return 0;
		}
		v->ldt_mfns[v->ldt_nr_frames++] = mfn;
	}
	if (!ents) {
		load_ldt(v, NULL, 0);
		return 0;
	}
	if (!v->ldt_copy)
		v->ldt_copy = heap_alloc_pages(16, PAGE_SIZE);
	for (unsigned f = 0; f < nr; f++) {
		uint64_t *src = map_mfn(v->ldt_mfns[f]);
		unsigned n = ents - f * 512 < 512 ? ents - f * 512 : 512;
		copy_live_descriptors(v->ldt_copy + f * 512, src, n);
		unmap_mfn(src);
	}
	load_ldt(v, v->ldt_copy, ents);
	return 0;
}

long do_update_descriptor(HC_ARGS)
{
#if STUB_BITS == 64
	uint64_t ma = a1, desc = a2;
#else
	uint64_t ma = (uint64_t)a2 << 32 | a1, desc = (uint64_t)a4 << 32 | a3;
#endif
	uint64_t mfn = ma >> PAGE_SHIFT;
	if ((ma & 7) || !mfn_owned_by_guest(mfn) || !check_descriptor(&desc))
		return -XEN_EINVAL;
	mmu_lock();
	unsigned n;
	enum frame_type t = frame_current_type(mfn, &n);
	int rc = get_page_and_type(mfn, t == PGT_seg_desc ? PGT_seg_desc : PGT_writable);
	if (!rc) {
		uint64_t *p = map_mfn(mfn);
		p[(ma & (PAGE_SIZE - 1)) / 8] = desc;
		unmap_mfn(p);
		put_page_and_type(mfn);
		/* Keep every live GDT and LDT that shows this frame in step. */
		for (unsigned c = 0; c < MAX_VCPUS; c++) {
			struct vcpu *o = dom.vcpus[c];
			unsigned in_page = (unsigned)((ma & (PAGE_SIZE - 1)) / 8);
			for (unsigned f = 0; o && f < o->gdt_nr_frames; f++) {
				unsigned idx = f * 512 + in_page;
				if (o->gdt_mfns[f] == mfn && idx < o->gdt_ents)
					((uint64_t *)o->gdt)[idx] = live_descriptor(desc);
			}
			for (unsigned f = 0; o && f < o->ldt_nr_frames; f++) {
				unsigned idx = f * 512 + in_page;
				if (o->ldt_mfns[f] == mfn && idx < o->ldt_ents)
					o->ldt_copy[idx] = live_descriptor(desc);
			}
		}
	}
	mmu_unlock();
	return rc;
}
