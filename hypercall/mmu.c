/* mmu.c — the PV MMU: frame types and references, validated page-table updates. */
#include "hypercall.h"
#include "mmu.h"

/*
 * Frame info, one per machine frame, like Xen's page_info (the layout is
 * struct frame_info in hostabi.h: the host's grant mappings take
 * references too, under the same lock). A page table holds one type
 * reference for each entry that points at a lower table (and validates it
 * on the first), plus one for being pinned and one for being in CR3. A
 * writable mapping holds a PGT_writable reference, so a frame can never be
 * a page table and writable at once: this is the security boundary
 * (design.md, "Memory model").
 */
#define PGC_GUEST      FRAME_GUEST
#define PGC_XEN_SHARED FRAME_XEN_SHARED
#define PGC_FREE       FRAME_FREE
#define PGC_COUNT_MASK FRAME_COUNT_MASK
#define PGT_TYPE_SHIFT FRAME_TYPE_SHIFT
#define PGT_VALIDATED  FRAME_TYPE_VALIDATED
#define PGT_PINNED     FRAME_TYPE_PINNED
#define PGT_PAE_XEN_L2 FRAME_TYPE_PAE_XEN_L2
#define PGT_COUNT_MASK FRAME_TYPE_COUNT_MASK
_Static_assert(PGT_writable == FRAME_TYPE_WRITABLE && PGT_none == FRAME_TYPE_NONE, "hostabi.h");

static struct frame_info *frames;
/* The frame-info lock: the host page's once the host page is known (mmu_use_host_lock). */
static volatile int boot_lock_word;
static volatile int *mmu_lock_word = &boot_lock_word;

#define TYPE_OF(f)  ((enum frame_type)((f)->type >> PGT_TYPE_SHIFT))
#define TCOUNT(f)   ((f)->type & PGT_COUNT_MASK)

#if STUB_BITS == 64
#define LEVELS 4
#define ROOT_TYPE PGT_l4
static bool is_xen_slot(unsigned level, unsigned idx, const struct frame_info *f)
{
	(void)f;
	return level == 4 && idx >= STUB64_L4_FIRST && idx <= STUB64_L4_LAST;
}
static unsigned entries_in(unsigned level)
{
	(void)level;
	return 512;
}
/*
 * Flags a domU may not set, as release Xen: no cache-control bits in an L1
 * (a domU has no I/O memory), no PWT/PCD/PSE/G above it; bits 52-62 are
 * free for the guest in long mode (Linux keeps software bits there).
 */
#define L1_DISALLOW (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE /* PAT */)
#define LN_DISALLOW (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL)
#else
#define LEVELS 3
#define ROOT_TYPE PGT_l3
static bool is_xen_slot(unsigned level, unsigned idx, const struct frame_info *f)
{
	return level == 2 && (f->type & PGT_PAE_XEN_L2) && idx >= STUB32_L2_FIRST;
}
static unsigned entries_in(unsigned level)
{
	return level == 3 ? 4 : 512;
}
/* In PAE paging bits 52-62 are reserved, so they are refused too. */
#define PAE_RESERVED (0x7ff0000000000000ull)
#define L1_DISALLOW (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE | PAE_RESERVED)
#define LN_DISALLOW (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL | PAE_RESERVED)
/*
 * PAE L3 entries (PDPTEs): Xen accepts RW/USER/A/D (meaningless there) and
 * refuses PWT/PCD/PSE/G and the high bits. RW/USER/A/D are reserved in a
 * real PDPTE, so they are stripped before the entry is written.
 */
#define L3_PAE_DISALLOW (_PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL | 0xfff0000000000000ull)
#define L3_PAE_STRIP (_PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

#if STUB_BITS == 32
/*
 * A present PAE L3 entry as the CPU will see it: in PAE protected mode
 * without the bits a PDPTE may not hold; in long mode (the vCPU's L4
 * points at the L3) with them all, so that the L2 and L1 entries decide,
 * as 64-bit Xen's adjust_guest_l3e does for 32-bit guests.
 */
static uint64_t pae_l3_entry(uint64_t v)
{
	return pv32_long_mode ? v | L3_PAE_STRIP : v & ~L3_PAE_STRIP;
}
#endif
#endif

void mmu_use_host_lock(volatile int *lock)
{
	mmu_lock_word = lock;
}

void mmu_lock(void)
{
	spin_lock(mmu_lock_word);
}

void mmu_unlock(void)
{
	spin_unlock(mmu_lock_word);
}

static struct frame_info *frame(uint64_t mfn)
{
	return mfn < dom.bi.max_mfn ? &frames[mfn] : NULL;
}

bool mfn_owned_by_guest(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	return f && (f->count & PGC_GUEST) && !(f->count & PGC_XEN_SHARED);
}

enum frame_type frame_current_type(uint64_t mfn, unsigned *type_count)
{
	struct frame_info *f = frame(mfn);
	if (!f) {
		*type_count = 0;
		return PGT_none;
	}
	*type_count = TCOUNT(f);
	return TCOUNT(f) ? TYPE_OF(f) : PGT_none;
}

void mmu_init(void)
{
	if (dom.bi.frame_info_size < dom.bi.max_mfn * sizeof(struct frame_info))
		panic("frame info area too small for %llu frames",
		      (unsigned long long)dom.bi.max_mfn);
	/* The host filled it: guest RAM frames PGC_GUEST, the rest zero (memplan.h). */
	frames = stub_ptr(dom.bi.frame_info_off);
}

/*
 * A stub frame the guest may map writable (shared_info, grant frames): it
 * carries a permanent writable type reference so it can never become a
 * page table, and is never the guest's to give away.
 */
void mm_share_frame_with_guest(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f)
		panic("sharing frame %llx beyond machine memory", (unsigned long long)mfn);
	if (f->count & PGC_XEN_SHARED)
		return;
	f->count = PGC_GUEST | PGC_XEN_SHARED | 1;
	f->type = (uint32_t)PGT_writable << PGT_TYPE_SHIFT | PGT_VALIDATED | 1;
}

bool mfn_is_shared_with_guest(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	return f && (f->count & PGC_XEN_SHARED);
}

int get_page(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_GUEST)) {
		trace(TRACE_MMU, "mmu: frame %llx is not the guest's", (unsigned long long)mfn);
		return -XEN_EINVAL;
	}
	if ((f->count & PGC_COUNT_MASK) == PGC_COUNT_MASK)
		return -XEN_EINVAL;
	f->count++;
	return 0;
}

void put_page(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_COUNT_MASK))
		panic("put_page: frame %llx has no reference", (unsigned long long)mfn);
	f->count--;
}

/*
 * Ballooning. A frame the guest gives back must hold no reference at all
 * (Xen's steal_page); it is scrubbed when it comes back.
 */
int mmu_frame_release(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_GUEST) || (f->count & PGC_XEN_SHARED) ||
	    (f->count & PGC_COUNT_MASK) || TCOUNT(f))
		return -XEN_EINVAL;
	f->count = PGC_FREE;
	f->type = 0;
	return 0;
}

/* A freed frame returns to the guest with its contents (a grant transfer to ourselves). */
int mmu_frame_adopt(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_FREE))
		return -XEN_EINVAL;
	f->count = PGC_GUEST;
	return 0;
}

int mmu_frame_claim(uint64_t *mfn)
{
	static uint64_t hint;
	for (uint64_t n = 0; n < dom.bi.max_mfn; n++) {
		uint64_t m = (hint + n) % dom.bi.max_mfn;
		if (frames[m].count & PGC_FREE) {
			void *p = map_mfn(m);
			memset(p, 0, PAGE_SIZE);
			unmap_mfn(p);
			frames[m].count = PGC_GUEST;
			hint = m + 1;
			*mfn = m;
			return 0;
		}
	}
	return -XEN_ENOMEM;
}

/* ---- entries ---- */

static int validate_table(uint64_t mfn, unsigned level);
static void devalidate_table(uint64_t mfn, unsigned level);

static enum frame_type level_type(unsigned level)
{
	return (enum frame_type)(PGT_l1 + level - 1);
}

static int get_page_type_flags(uint64_t mfn, enum frame_type type, uint32_t flavour)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_GUEST))
		return -XEN_EINVAL;
	if (TCOUNT(f)) {
		if (TYPE_OF(f) != type || (f->type & PGT_PAE_XEN_L2) != flavour) {
			trace(TRACE_MMU, "mmu: frame %llx is in use as type %u, wanted %u",
			      (unsigned long long)mfn, TYPE_OF(f), type);
			return -XEN_EINVAL;
		}
		if (TCOUNT(f) == PGT_COUNT_MASK)
			return -XEN_EINVAL;
		f->type++;
		return 0;
	}
	if (f->count & PGC_XEN_SHARED)
		return -XEN_EINVAL;
	/* No vCPU may still hold a writable translation of a page table to be. */
	if (type != PGT_writable)
		tlb_before_type_change();
	f->type = (uint32_t)type << PGT_TYPE_SHIFT | flavour | 1;
	if ((type >= PGT_l1 && type <= PGT_l4) || type == PGT_seg_desc) {
		int rc = type == PGT_seg_desc ? validate_seg_desc_page(mfn)
					      : validate_table(mfn, (unsigned)(type - PGT_l1 + 1));
		if (rc) {
			f->type = 0;
			return rc;
		}
	}
	f->type |= PGT_VALIDATED;
	return 0;
}

static void put_page_type(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !TCOUNT(f))
		panic("put_page_type: frame %llx has no type reference", (unsigned long long)mfn);
	if (TCOUNT(f) == 1) {
		enum frame_type t = TYPE_OF(f);
		if (t >= PGT_l1 && t <= PGT_l4 && (f->type & PGT_VALIDATED))
			devalidate_table(mfn, (unsigned)(t - PGT_l1 + 1));
		if (t == PGT_writable)
			tlb_writable_dropped();
		f->type = 0;
		return;
	}
	f->type--;
}

int get_page_and_type(uint64_t mfn, enum frame_type type)
{
	int rc = get_page(mfn);
	if (rc)
		return rc;
	rc = get_page_type_flags(mfn, type, 0);
	if (rc)
		put_page(mfn);
	return rc;
}

void put_page_and_type(uint64_t mfn)
{
	put_page_type(mfn);
	put_page(mfn);
}

static bool entry_flags_ok(uint64_t v, unsigned level)
{
#if STUB_BITS == 32
	if (level == 3)
		return !(v & L3_PAE_DISALLOW);
#endif
	return !(v & (level == 1 ? L1_DISALLOW : LN_DISALLOW));
}

/* A frame that is memory at all (guest RAM or the stub region), owned or not. */
static bool mfn_is_memory(uint64_t mfn)
{
	uint64_t stub_first = dom.bi.stub_maddr >> PAGE_SHIFT;
	return mfn_is_guest_ram(mfn) ||
	       (mfn >= stub_first && mfn - stub_first < (dom.bi.stub_size >> PAGE_SHIFT));
}

/*
 * What a guest entry may be, and the references it holds. On 64-bit the
 * kernel runs in ring 3, so every guest mapping is made user-accessible
 * (Xen's adjust_guest_lNe); user space is kept out of kernel memory by
 * having its own top-level table.
 */
static int get_entry(uint64_t *e, unsigned level, unsigned idx)
{
	uint64_t v = *e;
	if (!(v & _PAGE_PRESENT))
		return 0;
	uint64_t mfn = (v & PTE_MFN_MASK) >> PAGE_SHIFT;
	int rc = 0;
	if (!entry_flags_ok(v, level)) {
		trace(TRACE_MMU, "mmu: bad L%u flags %llx", level, (unsigned long long)v);
		return -XEN_EINVAL;
	}
	if (level == 1) {
		/*
		 * PV guests are shown no PGE (Xen's CPUID policy), and a global
		 * entry would outlive the CR3 switches that keep guest user space
		 * out of guest kernel memory: the bit is dropped.
		 */
		v &= ~_PAGE_GLOBAL;
		/* Xen: a frame that is not ours is -EBUSY, one that is not memory -EPERM. */
		if (!frame(mfn) || !mfn_is_memory(mfn))
			return -XEN_EPERM;
		if (get_page(mfn))
			return -XEN_EBUSY;
		if (v & _PAGE_RW) {
			rc = get_page_type_flags(mfn, PGT_writable, 0);
			if (rc) {
				trace(TRACE_MMU, "mmu: frame %llx cannot be mapped writable "
				      "(it is a page table or descriptor table)", (unsigned long long)mfn);
				put_page(mfn);
				rc = -XEN_EBUSY;
			}
		}
	} else {
		uint32_t flavour = 0;
#if STUB_BITS == 32
		if (level == 3 && idx == 3) {
			flavour = PGT_PAE_XEN_L2;
			/* The L2 holding the stub's hole belongs to exactly one L3. */
			unsigned n;
			if (frame_current_type(mfn, &n) != PGT_none) {
				trace(TRACE_MMU, "mmu: L2 %llx for L3 slot 3 is already in use",
				      (unsigned long long)mfn);
				return -XEN_EINVAL;
			}
		}
		if (level == 3)
			v = pae_l3_entry(v);
#endif
		if (!mfn_owned_by_guest(mfn))
			return -XEN_EINVAL;
		rc = get_page(mfn);
		if (!rc) {
			rc = get_page_type_flags(mfn, level_type(level - 1), flavour);
			if (rc)
				put_page(mfn);
		}
	}
	(void)idx;
#if STUB_BITS == 64
	if (!rc)
		*e = v | _PAGE_USER;
#else
	if (!rc)
		*e = v;
#endif
	return rc;
}

static void put_entry(uint64_t v, unsigned level)
{
	if (!(v & _PAGE_PRESENT))
		return;
	uint64_t mfn = (v & PTE_MFN_MASK) >> PAGE_SHIFT;
	if (level == 1 && !(v & _PAGE_RW)) {
		put_page(mfn);
		return;
	}
	put_page_and_type(mfn);
}

/* The stub's own entries for its hole, captured from its boot page tables. */
static uint64_t xen_entries[512];

static void install_xen_entries(uint64_t *t, unsigned level, const struct frame_info *f)
{
	for (unsigned i = 0; i < 512; i++)
		if (is_xen_slot(level, i, f))
			t[i] = xen_entries[i];
}

static int validate_table(uint64_t mfn, unsigned level)
{
	struct frame_info *f = frame(mfn);
	uint64_t *t = map_mfn(mfn);
	unsigned n = entries_in(level);
	int rc = 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		if (is_xen_slot(level, i, f))
			continue;
		rc = get_entry(&t[i], level, i);
		if (rc)
			break;
	}
#if STUB_BITS == 32
	if (!rc && level == 3 && !(t[3] & _PAGE_PRESENT)) {
		trace(TRACE_MMU, "mmu: PAE L3 %llx has no L2 in slot 3", (unsigned long long)mfn);
		rc = -XEN_EINVAL;
		i = 3;
	}
#endif
	if (rc) {
		trace(TRACE_MMU, "mmu: L%u table %llx entry %u (%llx) refused", level,
		      (unsigned long long)mfn, i, (unsigned long long)t[i]);
		while (i--)
			if (!is_xen_slot(level, i, f))
				put_entry(t[i], level);
	} else {
		install_xen_entries(t, level, f);
	}
	unmap_mfn(t);
	return rc;
}

static void devalidate_table(uint64_t mfn, unsigned level)
{
	struct frame_info *f = frame(mfn);
	uint64_t *t = map_mfn(mfn);
	unsigned n = entries_in(level);
	for (unsigned i = 0; i < n; i++)
		if (!is_xen_slot(level, i, f))
			put_entry(t[i], level);
	unmap_mfn(t);
}

/*
 * Change one entry of a validated table: take the new entry's references
 * before dropping the old one's, so replacing a mapping by itself works.
 */
static int mod_entry(uint64_t table_mfn, unsigned idx, uint64_t val, bool preserve_ad)
{
	struct frame_info *f = frame(table_mfn);
	enum frame_type t = TYPE_OF(f);
	unsigned level = (unsigned)(t - PGT_l1 + 1);
	if (idx >= entries_in(level) || (STUB_BITS == 32 && level == 3 && idx >= 3)) {
		trace(TRACE_MMU, "mmu: L%u entry %u cannot be updated", level, idx);
		return -XEN_EINVAL;
	}
	if (is_xen_slot(level, idx, f)) {
		trace(TRACE_MMU, "mmu: L%u entry %u belongs to the hypervisor", level, idx);
		return STUB_BITS == 32 ? -XEN_EPERM : -XEN_EINVAL;
	}
	uint64_t *tab = map_mfn(table_mfn);
	uint64_t old = tab[idx];
	if (preserve_ad)
		val |= old & (_PAGE_ACCESSED | _PAGE_DIRTY);
	/* Same frame and permissions: only A/D or software bits change. */
	uint64_t same = PTE_MFN_MASK | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE;
	int rc = 0;
	if ((old & _PAGE_PRESENT) && (val & _PAGE_PRESENT) && !((old ^ val) & same) &&
	    entry_flags_ok(val, level)) {
#if STUB_BITS == 64
		val |= _PAGE_USER;
#else
		if (level == 3)
			val = pae_l3_entry(val);
#endif
		tab[idx] = val;
	} else {
		rc = get_entry(&val, level, idx);
		if (!rc) {
			tab[idx] = val;
			put_entry(old, level);
		}
	}
	unmap_mfn(tab);
#if STUB_BITS == 32
	/*
	 * The CPU caches PAE PDPTEs at CR3 load: reload if this L3 is live (in
	 * long mode that flushes what the old entry mapped).
	 */
	struct vcpu *cur = current();
	if (!rc && level == 3 && cur && cur->kernel_pt_mfn == table_mfn)
		arch_write_cr3(cur, table_mfn << PAGE_SHIFT);
#endif
	return rc;
}

/* ---- TLB ---- */

void flush_tlb_local(void)
{
	ulong cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

void invlpg_local(ulong va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* ---- boot ---- */

int mmu_take_over_boot_tables(uint64_t root_mfn)
{
	uint64_t *own;
#if STUB_BITS == 64
	ulong cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	own = map_mfn(cr3 >> PAGE_SHIFT);
	for (unsigned i = STUB64_L4_FIRST; i <= STUB64_L4_LAST; i++)
		xen_entries[i] = own[i];
	unmap_mfn(own);
#else
	own = stub32_own_top_l2();
	for (unsigned i = STUB32_L2_FIRST; i < 512; i++)
		xen_entries[i] = own[i];
#endif
	/* Pinned (as Xen's domain builder does) and referenced by CR3. */
	int rc = get_page_and_type(root_mfn, ROOT_TYPE);
	if (rc)
		return rc;
	frame(root_mfn)->type |= PGT_PINNED;
	rc = get_page_and_type(root_mfn, ROOT_TYPE);
	if (rc)
		return rc;
	struct vcpu *v = dom.vcpus[0];
	v->kernel_pt_mfn = root_mfn;
	arch_write_cr3(v, root_mfn << PAGE_SHIFT);
	return 0;
}

/* ---- hypercalls ---- */

static int machphys_update(uint64_t mfn, ulong pfn)
{
	if (!mfn_owned_by_guest(mfn))
		return -XEN_EINVAL;
	uint8_t *m2p = stub_ptr(dom.bi.m2p_off);
#if STUB_BITS == 64
	((uint64_t *)m2p)[mfn] = pfn;
#else
	((uint32_t *)m2p)[mfn] = (uint32_t)pfn;
#endif
	return 0;
}

/* A normal write to a guest frame that is not a page table (Xen allows it). */
static int write_plain(uint64_t mfn, unsigned idx, uint64_t val)
{
	int rc = get_page_and_type(mfn, PGT_writable);
	if (rc)
		return rc;
	uint64_t *p = map_mfn(mfn);
	p[idx] = val;
	unmap_mfn(p);
	put_page_and_type(mfn);
	return 0;
}

static int pt_update(uint64_t ptr, uint64_t val, bool preserve_ad)
{
	uint64_t mfn = ptr >> PAGE_SHIFT;
	unsigned idx = (unsigned)((ptr & (PAGE_SIZE - 1)) >> 3);
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_GUEST) || (f->count & PGC_XEN_SHARED)) {
		trace(TRACE_MMU, "mmu: update of frame %llx, not the guest's",
		      (unsigned long long)mfn);
		return -XEN_EINVAL;
	}
	enum frame_type t = TCOUNT(f) ? TYPE_OF(f) : PGT_none;
	if (t >= PGT_l1 && t <= PGT_l4)
		return mod_entry(mfn, idx, val, preserve_ad);
	if (t == PGT_seg_desc)
		return -XEN_EINVAL;
	return write_plain(mfn, idx, val);
}

/*
 * Xen's get_pg_owner() for a domU: only DOMID_SELF names itself (its own id
 * is refused), DOMID_XEN/DOMID_IO need privilege, anything else does not
 * exist for it. mmu_update's page-table owner (bits 16-31, id + 1) may
 * only be the guest itself.
 */
static long check_foreigndom(ulong foreigndom, bool pt_owner_bits)
{
	if (pt_owner_bits) {
		ulong pt_dom = (foreigndom >> 16) & 0xffff;
		if (pt_dom && pt_dom - 1 != dom.bi.domid)
			return -XEN_ESRCH;
		foreigndom &= 0xffff;
	}
	if (foreigndom == DOMID_SELF)
		return 0;
	if (foreigndom == DOMID_XEN || foreigndom == DOMID_IO || foreigndom == 0)
		return -XEN_EPERM;
	return -XEN_ESRCH;
}

long do_mmu_update(HC_ARGS)
{
	ulong reqs = a1, count = a2, done_ptr = a3, foreigndom = a4;
	long frc = check_foreigndom(foreigndom, true);
	if (frc)
		return frc;
	long rc = 0;
	ulong i;
	mmu_lock();
	for (i = 0; i < count; i++) {
		mmu_update_t req;
		if (copy_from_guest(&req, reqs + i * sizeof(req), sizeof(req))) {
			rc = -XEN_EFAULT;
			break;
		}
		switch (req.ptr & 7) {
		case MMU_NORMAL_PT_UPDATE:
		case MMU_PT_UPDATE_NO_TRANSLATE:        /* the same thing for PV */
			rc = pt_update(req.ptr & ~7ull, req.val, false);
			break;
		case MMU_PT_UPDATE_PRESERVE_AD:
			rc = pt_update(req.ptr & ~7ull, req.val, true);
			break;
		case MMU_MACHPHYS_UPDATE:
			rc = machphys_update(req.ptr >> PAGE_SHIFT, (ulong)req.val);
			break;
		default:
			rc = -XEN_ENOSYS;
		}
		if (rc)
			break;
	}
	mmu_unlock();
	if (done_ptr) {
		unsigned int done = (unsigned int)i;
		if (copy_to_guest(done_ptr, &done, sizeof(done)))
			rc = rc ? rc : -XEN_EFAULT;
	}
	return rc;
}

/* The L1 entry that maps va in the current guest page tables: table mfn and index. */
static int find_l1e(ulong va, uint64_t *l1_mfn, unsigned *idx)
{
	if (!arch_guest_va_ok(va, 1))
		return -XEN_EINVAL;
	struct vcpu *v = current();
	uint64_t mfn = v->kernel_mode ? v->kernel_pt_mfn : v->user_pt_mfn;
	for (unsigned level = LEVELS; level > 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned i = (unsigned)((uint64_t)va >> shift) & (entries_in(level) - 1);
		uint64_t *t = map_mfn(mfn);
		uint64_t e = t[i];
		unmap_mfn(t);
		if (!(e & _PAGE_PRESENT))
			return -XEN_EINVAL;
		if ((e & _PAGE_PSE) && !(STUB_BITS == 32 && level == 3))
			return -XEN_EINVAL;
		mfn = (e & PTE_MFN_MASK) >> PAGE_SHIFT;
	}
	*l1_mfn = mfn;
	*idx = (unsigned)(va >> 12) & 511;
	return 0;
}

/* The machine frame va maps to in the current guest tables (for the ptwr emulator). */
int mmu_translate(ulong va, uint64_t *mfn)
{
	uint64_t l1;
	unsigned idx;
	int rc = find_l1e(va, &l1, &idx);
	if (rc)
		return rc;
	uint64_t *t = map_mfn(l1);
	uint64_t e = t[idx];
	unmap_mfn(t);
	if (!(e & _PAGE_PRESENT))
		return -XEN_EINVAL;
	*mfn = (e & PTE_MFN_MASK) >> PAGE_SHIFT;
	return 0;
}

/* Emulated write of a whole entry into a live L1 (writable page tables). */
int mmu_ptwr_update(uint64_t l1_mfn, unsigned idx, uint64_t *old, uint64_t val, bool cmpxchg)
{
	unsigned n;
	if (frame_current_type(l1_mfn, &n) != PGT_l1)
		return -XEN_EINVAL;
	uint64_t *t = map_mfn(l1_mfn);
	uint64_t cur = t[idx];
	unmap_mfn(t);
	if (cmpxchg && cur != *old) {
		*old = cur;
		return 1;               /* compare failed: nothing written */
	}
	*old = cur;
	return mod_entry(l1_mfn, idx, val, false);
}

/* A guest vCPU bitmap (MMUEXT_*_MULTI, UVMF_MULTI): one guest word, as many bits as vCPUs. */
static int guest_vcpumask(ulong ptr, uint64_t *mask)
{
	ulong m;
	if (copy_from_guest(&m, ptr, sizeof(m)))
		return -XEN_EFAULT;
	*mask = m;
	return 0;
}

/* update_va_mapping's flags: flush type, and whose TLBs (local, all, or a guest bitmap). */
static int flush_after(struct vcpu *v, ulong flags, ulong va)
{
	ulong type = flags & UVMF_FLUSHTYPE_MASK, whom = flags & ~UVMF_FLUSHTYPE_MASK;
	if (type != UVMF_TLB_FLUSH && type != UVMF_INVLPG)
		return 0;
	uint64_t mask = 1ull << v->id;
	if (whom == UVMF_ALL)
		mask = TLB_EVERY_VCPU;
	else if (whom != UVMF_LOCAL && guest_vcpumask(whom, &mask))
		return -XEN_EFAULT;
	tlb_flush(mask, type == UVMF_INVLPG ? va : TLB_ALL);
	return 0;
}

long do_update_va_mapping(HC_ARGS)
{
	ulong va = a1;
#if STUB_BITS == 64
	uint64_t val = a2;
	ulong flags = a3;
#else
	uint64_t val = (uint64_t)a3 << 32 | a2;   /* PAE: the entry is split over two args */
	ulong flags = a4;
#endif
	uint64_t l1;
	unsigned idx;
	mmu_lock();
	int rc = find_l1e(va, &l1, &idx);
	if (!rc) {
		unsigned n;
		if (frame_current_type(l1, &n) != PGT_l1)
			rc = -XEN_EINVAL;
		else
			rc = mod_entry(l1, idx, val, false);
	}
	mmu_unlock();
	if (rc)
		trace(TRACE_MMU, "mmu: update_va_mapping %lx = %llx refused", va,
		      (unsigned long long)val);
	else
		rc = flush_after(current(), flags, va);
	return rc;
}

static int pin_table(uint64_t mfn, enum frame_type type)
{
	int rc = get_page_and_type(mfn, type);
	if (rc)
		return rc;
	struct frame_info *f = frame(mfn);
	if (f->type & PGT_PINNED) {
		put_page_and_type(mfn);
		return -XEN_EINVAL;
	}
	f->type |= PGT_PINNED;
	return 0;
}

static int unpin_table(uint64_t mfn)
{
	struct frame_info *f = frame(mfn);
	if (!f || !(f->count & PGC_GUEST) || !(f->type & PGT_PINNED))
		return -XEN_EINVAL;
	f->type &= ~PGT_PINNED;
	put_page_and_type(mfn);
	return 0;
}

static int new_baseptr(struct vcpu *v, uint64_t mfn, bool user)
{
#if STUB_BITS == 32
	if (user)
		return mfn ? -XEN_EINVAL : 0;
#endif
	uint64_t *slot = user ? &v->user_pt_mfn : &v->kernel_pt_mfn;
	if (user && mfn == 0) {
		if (*slot)
			put_page_and_type(*slot);
		*slot = 0;
		return 0;
	}
	int rc = get_page_and_type(mfn, ROOT_TYPE);
	if (rc)
		return rc;
#if STUB_BITS == 32
	if (mfn >> 20) {        /* a PAE CR3 holds a 32-bit address */
		put_page_and_type(mfn);
		return -XEN_EINVAL;
	}
#endif
	uint64_t old = *slot;
	*slot = mfn;
	bool live = user ? !v->kernel_mode : v->kernel_mode;
	if (live)
		arch_write_cr3(v, mfn << PAGE_SHIFT);
	if (old)
		put_page_and_type(old);
	return 0;
}

/* mov to %cr3 from the guest kernel (the privileged-instruction emulator). */
int mmu_new_baseptr_from_cr3(struct vcpu *v, uint64_t mfn)
{
	mmu_lock();
	int rc = new_baseptr(v, mfn, false);
	mmu_unlock();
	return rc;
}

static int mmuext_one(struct vcpu *v, const struct mmuext_op *op)
{
	uint64_t mfn = op->arg1.mfn;
	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
		return pin_table(mfn, PGT_l1);
	case MMUEXT_PIN_L2_TABLE:
		return pin_table(mfn, PGT_l2);
	case MMUEXT_PIN_L3_TABLE:
		return pin_table(mfn, PGT_l3);
	case MMUEXT_PIN_L4_TABLE:
		return STUB_BITS == 64 ? pin_table(mfn, PGT_l4) : 0;    /* Xen ignores it for PAE */
	case MMUEXT_UNPIN_TABLE:
		return unpin_table(mfn);
	case MMUEXT_NEW_BASEPTR:
		return new_baseptr(v, mfn, false);
	case MMUEXT_NEW_USER_BASEPTR:
		return new_baseptr(v, mfn, true);
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI: {
		uint64_t mask;
		if (guest_vcpumask((ulong)op->arg2.vcpumask.p, &mask))
			return -XEN_EINVAL;     /* Xen's mmuext_op, unlike update_va_mapping */
		if (op->cmd == MMUEXT_TLB_FLUSH_MULTI)
			tlb_flush(mask, TLB_ALL);
		else if (arch_guest_va_ok(op->arg1.linear_addr, 1))
			tlb_flush(mask, op->arg1.linear_addr);
		return 0;
	}
	case MMUEXT_TLB_FLUSH_LOCAL:
		tlb_flush_local_full();
		return 0;
	case MMUEXT_TLB_FLUSH_ALL:
		tlb_flush(TLB_EVERY_VCPU, TLB_ALL);
		return 0;
	case MMUEXT_INVLPG_LOCAL:
		if (arch_guest_va_ok(op->arg1.linear_addr, 1))
			invlpg_local(op->arg1.linear_addr);
		return 0;
	case MMUEXT_INVLPG_ALL:
		if (arch_guest_va_ok(op->arg1.linear_addr, 1))
			tlb_flush(TLB_EVERY_VCPU, op->arg1.linear_addr);
		return 0;
	case MMUEXT_FLUSH_CACHE:
		return -XEN_EACCES;             /* a domU has no cache-flush permission */
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		return -XEN_EINVAL;
	case MMUEXT_MARK_SUPER:
	case MMUEXT_UNMARK_SUPER:
		return -XEN_EOPNOTSUPP;
	case MMUEXT_SET_LDT: {
		ulong base = op->arg1.linear_addr;
		unsigned ents = op->arg2.nr_ents;
		if (ents > 8192 || (base & (PAGE_SIZE - 1)) ||
		    (ents && !arch_guest_va_ok(base, ents * 8)))
			return -XEN_EINVAL;
		return vcpu_set_ldt(v, base, ents);
	}
	case MMUEXT_CLEAR_PAGE: {
		int rc = get_page_and_type(mfn, PGT_writable);
		if (rc)
			return rc;
		void *p = map_mfn(mfn);
		memset(p, 0, PAGE_SIZE);
		unmap_mfn(p);
		put_page_and_type(mfn);
		return 0;
	}
	case MMUEXT_COPY_PAGE: {
		uint64_t src = op->arg2.src_mfn;
		int rc = get_page(src);
		if (rc)
			return rc;
		rc = get_page_and_type(mfn, PGT_writable);
		if (!rc) {
			uint8_t *d = map_mfn(mfn);
			uint8_t *s = map_mfn(src);
			memcpy(d, s, PAGE_SIZE);
			unmap_mfn(s);
			unmap_mfn(d);
			put_page_and_type(mfn);
		}
		put_page(src);
		return rc;
	}
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}

long do_mmuext_op(HC_ARGS)
{
	ulong ops = a1, count = a2, done_ptr = a3, foreigndom = a4;
	long frc = check_foreigndom(foreigndom, false);
	if (frc)
		return frc;
	struct vcpu *v = current();
	long rc = 0;
	ulong i;
	for (i = 0; i < count; i++) {
		struct mmuext_op op;
		if (copy_from_guest(&op, ops + i * sizeof(op), sizeof(op))) {
			rc = -XEN_EFAULT;
			break;
		}
		mmu_lock();
		rc = mmuext_one(v, &op);
		mmu_unlock();
		if (rc == HYPERCALL_UNSUPPORTED) {
			trace(TRACE_UNKNOWN, "mmuext_op cmd %u: not supported yet -> -ENOSYS", op.cmd);
			rc = -XEN_ENOSYS;
		}
		if (rc) {
			trace(TRACE_MMU, "mmu: mmuext_op cmd %u mfn %llx refused (%ld)", op.cmd,
			      (unsigned long long)op.arg1.mfn, rc);
			break;
		}
	}
	if (done_ptr) {
		unsigned int done = (unsigned int)i;
		if (copy_to_guest(done_ptr, &done, sizeof(done)))
			rc = rc ? rc : -XEN_EFAULT;
	}
	return rc;
}
