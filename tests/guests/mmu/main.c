/* mmu — the PV MMU: page-table types and pins, mmu_update, update_va_mapping, mmuext_op. */
#include "guest.h"
#include "traps.h"
#include "mmu.h"

const char guest_name[] = "mmu";

/*
 * Expected results are what Xen 4.17 returns (xen/arch/x86/mm.c unless
 * noted; pv32 is Xen's compat PV, the only 32-bit PV Xen still runs):
 * - get_page_from_l1e: a frame that is not ours or that cannot take a
 *   writable type (a page table) fails "could_not_pin" -> -EBUSY; a frame
 *   that is not RAM at all (no page_info, not iomem-permitted) -> -EPERM;
 *   bad flags (l1_disallow_mask: PWT/PCD/PAT for a domU without I/O
 *   access) -> -EINVAL. Bits 52-62 are _PAGE_AVAIL_HIGH (bit 62 is reserved as
 *   _PAGE_GNTTAB only in debug builds, asm/page.h).
 * - L2-L4 entries: base_disallow_mask (PSE, PWT, PCD, GLOBAL) -> -EINVAL;
 *   a pv32 L3 entry: l3_disallow_mask 0xFFFFF198 (RW, USER, A, D allowed).
 * - mod_l2_entry: a hypervisor slot -> -EPERM; mod_l4_entry -> -EINVAL;
 *   mod_l3_entry: pv32 slot 3 -> -EINVAL.
 * - _get_page_type: a type change while typed -> -EINVAL; pinning twice,
 *   unpinning an unpinned frame -> -EINVAL.
 * - get_pg_owner (common/page_alloc.c): an unknown foreign domain -> -ESRCH.
 */

#define PAGE GUEST_PAGE_SIZE

#define DATA_RW  (PTE_P | PTE_RW | PTE_A | PTE_D)
#define DATA_RO  (PTE_P | PTE_A)
#define TABLE    (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)	/* an L2-L4 entry */
#ifdef __x86_64__
#define ROOT_PIN   MMUEXT_PIN_L4_TABLE
#define ROOT_LEVEL 4
#define XEN_SLOTS  "L4 slots 256-271"
#else
#define ROOT_PIN   MMUEXT_PIN_L3_TABLE
#define ROOT_LEVEL 3
#define PAE_L3E    PTE_P		/* a PDPTE: present only */
#define XEN_L2_FIRST 428		/* (0xF5800000 >> 21) & 511 */
#endif

static struct boot_region R;
static volatile struct vcpu_info *vi;	/* through our mapping of shared_info */

/* Frames beyond the region, taken from the top of the pseudo-physical space. */
struct frame {
	unsigned long pfn, mfn;
};
static unsigned long next_free_pfn;

static struct frame alloc_frame(void)
{
	struct frame f;

	if (next_free_pfn <= R.nr_pages)
		fail_now("out of free frames");
	f.pfn = --next_free_pfn;
	f.mfn = p2m()[f.pfn];
	return f;
}

/*
 * Windows: the last pages of the region's padding, whose L1 entries we
 * point at whatever frame a test needs to see.
 */
enum { W_SI, W_D1, W_D2, W_D3, W_L1, W_T0, W_T1, W_T2, W_T3, W_T4, W_SCRATCH, NR_WINDOWS };

static unsigned long win(unsigned int w)
{
	return R.virt_end - (w + 1) * (unsigned long)PAGE;
}

static long map_win(unsigned int w, unsigned long long mfn, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping(win(w), make_pte(mfn, flags), UVMF_INVLPG);
}

static long unmap_win(unsigned int w)
{
	return HYPERVISOR_update_va_mapping(win(w), 0, UVMF_INVLPG);
}

/* Machine address of entry idx of table mfn, with an mmu_update command. */
static uint64_t pte_ptr(unsigned long mfn, unsigned int idx, unsigned int cmd)
{
	return ((uint64_t)mfn << 12) + idx * sizeof(pte_t) + cmd;
}

static long uvm(unsigned long va, pte_t val, unsigned long flags)
{
	return HYPERVISOR_update_va_mapping(va, val, flags);
}

static long mmuext_va(unsigned int cmd, unsigned long va)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.linear_addr = va;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* Zero a frame through the scratch window. */
static void zero_frame(unsigned long mfn)
{
	if (map_win(W_SCRATCH, mfn, DATA_RW))
		fail_now("cannot map frame 0x%lx writable to clear it", mfn);
	memset((void *)win(W_SCRATCH), 0, PAGE);
	unmap_win(W_SCRATCH);
}

/* Write entries into a frame that is not (yet) a page table, through the scratch window. */
static void write_table(unsigned long mfn, const pte_t *ents, unsigned int first, unsigned int n)
{
	if (map_win(W_SCRATCH, mfn, DATA_RW))
		fail_now("cannot map frame 0x%lx writable to fill it", mfn);
	memcpy((pte_t *)win(W_SCRATCH) + first, ents, n * sizeof(pte_t));
	unmap_win(W_SCRATCH);
}

/* Read one entry of any table through a read-only mapping (window T4). */
static pte_t read_entry(unsigned long mfn, unsigned int idx)
{
	const pte_t *t = boot_mfn_to_virt(&R, mfn);

	if (t)
		return t[idx];
	if (map_win(W_T4, mfn, DATA_RO))
		fail_now("cannot map table 0x%lx read-only", mfn);
	return ((volatile pte_t *)win(W_T4))[idx];
}

/* Each data page holds tag ^ word index in every long. */
static void fill_pattern(unsigned long va, unsigned long tag)
{
	volatile unsigned long *p = (volatile unsigned long *)va;

	for (unsigned int i = 0; i < PAGE / sizeof(long); i++)
		p[i] = tag ^ i;
}

static bool has_pattern(unsigned long va, unsigned long tag)
{
	volatile unsigned long *p = (volatile unsigned long *)va;

	for (unsigned int i = 0; i < PAGE / sizeof(long); i += 61)
		if (p[i] != (tag ^ i))
			return false;
	return true;
}

#define TAG_D1 0xd1d1d100ul
#define TAG_D2 0xd2d2d200ul
#define TAG_D3 0xd3d3d300ul

/* ---- fault checks ---- */

static void check_pf(const char *what, const volatile void *addr, unsigned long err)
{
	if (!probe_faulted()) {
		check(false, "%s: no fault", what);
		return;
	}
	bool cr2_ok = !vi || probe_fault.cr2 == (unsigned long)addr;

	check(probe_fault.vector == 14 && probe_fault.err == err && cr2_ok,
	      "%s: %s error code 0x%lx (want #PF 0x%lx), cr2 0x%lx", what,
	      trap_name(probe_fault.vector), probe_fault.err, err, probe_fault.cr2);
}

static bool check_no_fault(const char *what)
{
	if (probe_faulted())
		return check(false, "%s: %s error code 0x%lx, cr2 0x%lx", what,
			     trap_name(probe_fault.vector), probe_fault.err, probe_fault.cr2);
	return check(true, "%s", what);
}

/* Read va (which must not fault) and compare with a pattern. */
static void check_reads(const char *what, unsigned long va, unsigned long tag)
{
	unsigned long v = probe_read((const void *)va);

	if (probe_faulted()) {
		check(false, "%s: read faulted (%s 0x%lx)", what, trap_name(probe_fault.vector),
		      probe_fault.err);
		return;
	}
	check(v == tag && has_pattern(va, tag), "%s (first word 0x%lx, want 0x%lx)", what, v, tag);
}

/* ---- the tests ---- */

static struct frame D1, D2, D3, FL1;
static unsigned int nidx;	/* the L2 slot of the new L1 */
static unsigned long newva;	/* what the new L1 maps: the 2 MiB after the region */
static unsigned long beyond;	/* the first mfn above the p2m's largest */
static unsigned long long far_mfn;	/* an mfn far beyond any machine memory */

static void test_shared_info(void)
{
	unsigned long si_mfn = start_info->shared_info >> 12;

	printf("\n== shared_info (machine address 0x%lx)\n", (unsigned long)start_info->shared_info);
	/* Xen shares the page with the guest (share_xen_page_with_guest): writable mappings allowed. */
	if (!check_rc("update_va_mapping of shared_info's frame, writable", map_win(W_SI, si_mfn,
										 DATA_RW), 0))
		return;
	shared_info_t *si = (shared_info_t *)win(W_SI);
	vi = &si->vcpu_info[0];
	probe_set_vcpu_info(vi);
	check_eq("vcpu_info[0].evtchn_upcall_mask read through it", vi->evtchn_upcall_mask, 1);
}

static void test_start_of_day(void)
{
	const volatile pte_t *root = (const volatile pte_t *)start_info->pt_base;
	unsigned long l2 = R.table_mfn[2];
	const volatile pte_t *l2v = boot_mfn_to_virt(&R, l2);
	const volatile pte_t *l1v = boot_mfn_to_virt(&R, R.table_mfn[1]);

	printf("\n== start of day: the bootstrap page tables\n");
	unsigned long w = probe_read(root);
	check_no_fault("read the root table through its read-only mapping (pt_base)");

	pte_t e = l1v[pt_index((unsigned long)_start, 1)];
	check((e & PTE_P) && PTE_MFN(e) == virt_to_mfn(_start),
	      "the L1 entry of _start (0x%llx) maps its p2m mfn 0x%lx", (unsigned long long)e,
	      virt_to_mfn(_start));

	/* xen.h: the page tables are mapped read-only in the region. */
	unsigned int pt_l2i = pt_index(start_info->pt_base, 2);
	pte_t pt_l1m = l2v[pt_l2i];
	pte_t pte_of_pt = read_entry((unsigned long)PTE_MFN(pt_l1m), pt_index(start_info->pt_base, 1));
	check((pte_of_pt & (PTE_P | PTE_RW)) == PTE_P,
	      "the region maps the root table present and read-only (0x%llx)",
	      (unsigned long long)pte_of_pt);

	check_rc("MMUEXT_PIN of the bootstrap root table (already pinned)",
		 mmuext1(ROOT_PIN, R.root_mfn), -XEN_EINVAL);

	/* No VMASST_TYPE_writable_pagetables: writes to page tables fault. */
	probe_write((volatile void *)root, w);
	check_pf("write to the root table", root, PFEC_PRESENT | PFEC_WRITE);
	probe_write((volatile void *)l2v, (unsigned long)l2v[0]);
	check_pf("write to the L2", l2v, PFEC_PRESENT | PFEC_WRITE);
	probe_write((volatile void *)l1v, (unsigned long)l1v[0]);
	check_pf("write to an L1 (no writable_pagetables assist)", l1v, PFEC_PRESENT | PFEC_WRITE);

#ifdef __x86_64__
	/* The hypervisor's memory (supervisor pages) is out of the guest kernel's reach. */
	probe_read((const void *)0xffff830000000000ul);
	check_pf("read at 0xffff830000000000 (L4 slot 262)", (void *)0xffff830000000000ul,
		 PFEC_PRESENT);
	/* (Xen: part of the directmap, present or not depending on its RAM) */
	probe_read((const void *)0xffff840000000000ul);
	check_pf("read at 0xffff840000000000 (L4 slot 264)", (void *)0xffff840000000000ul,
		 probe_fault.err & PFEC_PRESENT);
#endif

	/* An L1 that is in use but not pinned can be pinned and unpinned. */
	check_rc("MMUEXT_PIN_L1_TABLE of a bootstrap L1 (in use, not pinned)",
		 mmuext1(MMUEXT_PIN_L1_TABLE, R.table_mfn[1]), 0);
	check_rc("MMUEXT_PIN_L2_TABLE of that L1 (wrong type)",
		 mmuext1(MMUEXT_PIN_L2_TABLE, R.table_mfn[1]), -XEN_EINVAL);
	check_rc("MMUEXT_UNPIN_TABLE of it", mmuext1(MMUEXT_UNPIN_TABLE, R.table_mfn[1]), 0);
}

static void test_new_l1(void)
{
	printf("\n== a new L1 at L2 slot %u (0x%lx)\n", nidx, newva);
	/* Three data pages with known contents. */
	check_rc("map data page D1 writable", map_win(W_D1, D1.mfn, DATA_RW), 0);
	check_rc("map data page D2 writable", map_win(W_D2, D2.mfn, DATA_RW), 0);
	check_rc("map data page D3 writable", map_win(W_D3, D3.mfn, DATA_RW), 0);
	fill_pattern(win(W_D1), TAG_D1);
	fill_pattern(win(W_D2), TAG_D2);
	fill_pattern(win(W_D3), TAG_D3);

	/* Fill the L1 while it is ordinary memory. */
	check_rc("map the new L1's frame writable", map_win(W_L1, FL1.mfn, DATA_RW), 0);
	pte_t *l1w = (pte_t *)win(W_L1);
	memset(l1w, 0, PAGE);
	l1w[0] = make_pte(D1.mfn, DATA_RW);
	l1w[1] = make_pte(D2.mfn, DATA_RO);

	check_rc("MMUEXT_PIN_L1_TABLE of it while mapped writable",
		 mmuext1(MMUEXT_PIN_L1_TABLE, FL1.mfn), -XEN_EINVAL);
	check_rc("mmu_update: L2 entry -> it while mapped writable",
		 mmu_update1(pte_ptr(R.table_mfn[2], nidx, MMU_NORMAL_PT_UPDATE),
			     make_pte(FL1.mfn, TABLE)), -XEN_EINVAL);
	check_rc("update_va_mapping: its window becomes read-only", map_win(W_L1, FL1.mfn, DATA_RO),
		 0);

	mmu_update_t req = {
		.ptr = pte_ptr(R.table_mfn[2], nidx, MMU_NORMAL_PT_UPDATE),
		.val = make_pte(FL1.mfn, TABLE),
	};
	unsigned int done = 99;
	check_rc("mmu_update: L2 entry -> the new L1 (validates it)",
		 HYPERVISOR_mmu_update(&req, 1, &done, DOMID_SELF), 0);
	check_eq("success_count", done, 1);
	pte_t e = read_entry(R.table_mfn[2], nidx);
	check((e & PTE_P) && PTE_MFN(e) == FL1.mfn, "the L2 entry reads back (0x%llx)",
	      (unsigned long long)e);

	check_reads("the new L1's page 0 shows D1", newva, TAG_D1);
	check_reads("its page 1 shows D2", newva + PAGE, TAG_D2);
	volatile unsigned long *p = (volatile unsigned long *)newva;
	p[5] = 0x5a5a5a5a;
	check_eq("a write through page 0 lands in D1", ((volatile unsigned long *)win(W_D1))[5],
		 0x5a5a5a5a);
	p[5] = TAG_D1 ^ 5;
	probe_write((volatile void *)(newva + PAGE), 1);
	check_pf("write to page 1 (read-only)", (void *)(newva + PAGE), PFEC_PRESENT | PFEC_WRITE);
	probe_write((volatile void *)win(W_L1), 0);
	check_pf("write to the new L1 through its read-only window", (void *)win(W_L1),
		 PFEC_PRESENT | PFEC_WRITE);
	/* get_page_from_l1e: no writable type on a page table -> could_not_pin. */
	check_rc("update_va_mapping: the new L1 writable", map_win(W_T0, FL1.mfn, DATA_RW),
		 -XEN_EBUSY);

	/* An L1 that does not validate is refused when hooked in, and pinned. */
	struct frame bad = alloc_frame();
	zero_frame(bad.mfn);
	pte_t be = make_pte(R.root_mfn, DATA_RW);
	write_table(bad.mfn, &be, 7, 1);
	check_rc("mmu_update: L2 entry -> an L1 that maps the root writable",
		 mmu_update1(pte_ptr(R.table_mfn[2], nidx + 1, MMU_NORMAL_PT_UPDATE),
			     make_pte(bad.mfn, TABLE)), -XEN_EBUSY);
	check_rc("MMUEXT_PIN_L1_TABLE of that L1", mmuext1(MMUEXT_PIN_L1_TABLE, bad.mfn),
		 -XEN_EBUSY);
	be = make_pte(D1.mfn, DATA_RW | PTE_PCD);
	write_table(bad.mfn, &be, 7, 1);
	long rc = mmuext1(MMUEXT_PIN_L1_TABLE, bad.mfn);
	check_rc("MMUEXT_PIN_L1_TABLE of an L1 with PCD in an entry", rc, -XEN_EINVAL);
	if (!rc)
		mmuext1(MMUEXT_UNPIN_TABLE, bad.mfn);
	check_rc("the refused L1 is still ordinary memory: map it writable",
		 map_win(W_T0, bad.mfn, DATA_RW), 0);
	unmap_win(W_T0);
}

static void test_update_va_mapping(void)
{
	volatile unsigned long *p = (volatile unsigned long *)newva;

	printf("\n== update_va_mapping and TLB flushes at 0x%lx\n", newva);
	check_rc("update_va_mapping: D1 read-only (UVMF_INVLPG)",
		 uvm(newva, make_pte(D1.mfn, DATA_RO), UVMF_INVLPG), 0);
	check_reads("it still reads D1", newva, TAG_D1);
	probe_write(p, 0);
	check_pf("a write faults now", p, PFEC_PRESENT | PFEC_WRITE);

	check_rc("update_va_mapping: D3 writable (UVMF_INVLPG)",
		 uvm(newva, make_pte(D3.mfn, DATA_RW), UVMF_INVLPG), 0);
	check_reads("it reads D3", newva, TAG_D3);
	check_rc("update_va_mapping: D1 writable (UVMF_TLB_FLUSH)",
		 uvm(newva, make_pte(D1.mfn, DATA_RW), UVMF_TLB_FLUSH), 0);
	check_reads("it reads D1", newva, TAG_D1);

	/* The translation is in the TLB now; after each flush it must be gone. */
	check_rc("update_va_mapping: not present (UVMF_INVLPG)", uvm(newva, 0, UVMF_INVLPG), 0);
	probe_read(p);
	check_pf("the stale mapping is gone: a read faults", p, 0);

	check_rc("update_va_mapping: D2 read-only (UVMF_INVLPG | UVMF_ALL)",
		 uvm(newva, make_pte(D2.mfn, DATA_RO), UVMF_INVLPG | UVMF_ALL), 0);
	check_reads("it reads D2", newva, TAG_D2);
	check_rc("update_va_mapping: not present (UVMF_TLB_FLUSH | UVMF_ALL)",
		 uvm(newva, 0, UVMF_TLB_FLUSH | UVMF_ALL), 0);
	probe_read(p);
	check_pf("the stale mapping is gone: a read faults", p, 0);

	/* mmu_update does not flush; MMUEXT_INVLPG_LOCAL / TLB_FLUSH_LOCAL do. */
	check_rc("update_va_mapping: D1 writable", uvm(newva, make_pte(D1.mfn, DATA_RW),
						      UVMF_INVLPG), 0);
	check_reads("it reads D1", newva, TAG_D1);
	check_rc("mmu_update: the L1 entry -> D3",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), make_pte(D3.mfn, DATA_RW)),
		 0);
	check_rc("MMUEXT_INVLPG_LOCAL", mmuext_va(MMUEXT_INVLPG_LOCAL, newva), 0);
	check_reads("it reads D3", newva, TAG_D3);
	check_rc("mmu_update: the L1 entry -> not present",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), 0), 0);
	check_rc("MMUEXT_TLB_FLUSH_LOCAL", mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
	probe_read(p);
	check_pf("the stale mapping is gone: a read faults", p, 0);

	check_rc("mmu_update: the L1 entry -> D2",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), make_pte(D2.mfn, DATA_RO)),
		 0);
	check_rc("MMUEXT_INVLPG_ALL", mmuext_va(MMUEXT_INVLPG_ALL, newva), 0);
	check_reads("it reads D2", newva, TAG_D2);
	check_rc("mmu_update: the L1 entry -> D1",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), make_pte(D1.mfn, DATA_RW)),
		 0);
	check_rc("MMUEXT_TLB_FLUSH_ALL", mmuext1(MMUEXT_TLB_FLUSH_ALL, 0), 0);
	check_reads("it reads D1", newva, TAG_D1);

	static unsigned long vcpus = 1;	/* vCPU 0 */
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_MULTI };
	set_xen_guest_handle(op.arg2.vcpumask, &vcpus);
	check_rc("mmu_update: the L1 entry -> D3",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), make_pte(D3.mfn, DATA_RW)),
		 0);
	check_rc("MMUEXT_TLB_FLUSH_MULTI {vCPU 0}", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF),
		 0);
	check_reads("it reads D3", newva, TAG_D3);
	check_rc("mmu_update: the L1 entry -> D1",
		 mmu_update1(pte_ptr(FL1.mfn, 0, MMU_NORMAL_PT_UPDATE), make_pte(D1.mfn, DATA_RW)),
		 0);
	op.cmd = MMUEXT_INVLPG_MULTI;
	op.arg1.linear_addr = newva;
	check_rc("MMUEXT_INVLPG_MULTI {vCPU 0}", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	check_reads("it reads D1", newva, TAG_D1);
	/* vcpumask_to_pcpumask fails to read the mask: -EINVAL. */
	op.cmd = MMUEXT_TLB_FLUSH_MULTI;
	set_xen_guest_handle(op.arg2.vcpumask, (void *)0x1000);
	check_rc("MMUEXT_TLB_FLUSH_MULTI with an unmapped vcpumask",
		 HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);

	/* map_guest_l1e finds no L1 (L2 entry not present) or the va is Xen's. */
	check_rc("update_va_mapping of a va without an L1",
		 uvm(newva + 512ul * PAGE, make_pte(D1.mfn, DATA_RO), UVMF_INVLPG), -XEN_EINVAL);
	check_rc("update_va_mapping of a va in the hypervisor area",
		 uvm(HYPERVISOR_VIRT_START, make_pte(D1.mfn, DATA_RO), UVMF_INVLPG), -XEN_EINVAL);
}

static void test_refusals(void)
{
	printf("\n== refusals (beyond = mfn 0x%lx, far = mfn 0x%llx)\n", beyond, far_mfn);
	check_rc("update_va_mapping: the root table writable", map_win(W_T0, R.root_mfn, DATA_RW),
		 -XEN_EBUSY);
	check_rc("update_va_mapping: the L2 writable", map_win(W_T0, R.table_mfn[2], DATA_RW),
		 -XEN_EBUSY);
	check_rc("update_va_mapping: a bootstrap L1 writable", map_win(W_T0, R.table_mfn[1], DATA_RW),
		 -XEN_EBUSY);
	check_rc("update_va_mapping: the root table read-only", map_win(W_T0, R.root_mfn, DATA_RO), 0);
	check_eq("its first entry through that mapping", ((volatile pte_t *)win(W_T0))[0],
		 ((volatile pte_t *)start_info->pt_base)[0]);
	unmap_win(W_T0);

	/* A frame that is not ours: another owner's (or Xen's) -> -EBUSY; not RAM -> -EPERM. */
	check_rc("update_va_mapping: mfn beyond the p2m (a stub frame), read-only",
		 map_win(W_T0, beyond, DATA_RO), -XEN_EBUSY);
	check_rc("update_va_mapping: mfn beyond the p2m, writable", map_win(W_T0, beyond, DATA_RW),
		 -XEN_EBUSY);
	check_rc("update_va_mapping: mfn beyond machine memory", map_win(W_T0, far_mfn, DATA_RO),
		 -XEN_EPERM);
	check_rc("update_va_mapping: L1 entry with address bit 51 set",
		 map_win(W_T0, D1.mfn | (1ull << 39), DATA_RO), -XEN_EPERM);

	/*
	 * A linear (recursive) page table: Xen allows one only read-only
	 * (get_l2_linear_pagetable, get_l4_linear_pagetable: "Attempt to
	 * create linear p.t. with write perms"), as writable it would let the
	 * guest write its live tables directly. (xenner refuses read-only ones
	 * too: docs/architecture.md, the PV MMU.)
	 */
	check_rc("mmu_update: a writable linear L2 entry (the L2 -> itself)",
		 mmu_update1(pte_ptr(R.table_mfn[2], nidx + 2, MMU_NORMAL_PT_UPDATE),
			     make_pte(R.table_mfn[2], TABLE)), -XEN_EINVAL);
#ifdef __x86_64__
	check_rc("mmu_update: a writable linear L4 entry (slot 300 -> the root)",
		 mmu_update1(pte_ptr(R.root_mfn, 300, MMU_NORMAL_PT_UPDATE), make_pte(R.root_mfn, TABLE)),
		 -XEN_EINVAL);
#endif

	/* l1_disallow_mask */
	check_rc("update_va_mapping: L1 entry with PCD (a domU without I/O access)",
		 map_win(W_T0, D1.mfn, DATA_RW | PTE_PCD), -XEN_EINVAL);
	check_rc("update_va_mapping: L1 entry with PWT",
		 map_win(W_T0, D1.mfn, DATA_RW | PTE_PWT), -XEN_EINVAL);
	check_rc("update_va_mapping: L1 entry with NX", map_win(W_T0, D1.mfn, DATA_RO | PTE_NX), 0);
	check_rc("update_va_mapping: L1 entry with GLOBAL", map_win(W_T0, D1.mfn, DATA_RO | PTE_G),
		 0);
#ifdef __x86_64__
	/*
	 * Bits 52-62 are _PAGE_AVAIL_HIGH, the guest's own (Linux uses 57 and
	 * 58); only a debug Xen reserves bit 62 (_PAGE_GNTTAB).
	 */
	if (check_rc("update_va_mapping: L1 entry with bits 52, 58 and 62 (available to software)",
		     map_win(W_T0, D1.mfn, DATA_RO | (1ull << 52) | (1ull << 58) | (1ull << 62)), 0))
		check_reads("it maps D1", win(W_T0), TAG_D1);
#endif
	unmap_win(W_T0);

	/* base_disallow_mask for L2-L4 entries: no superpages, no cache attributes. */
	uint64_t l2e_ptr = pte_ptr(R.table_mfn[2], nidx + 1, MMU_NORMAL_PT_UPDATE);
	check_rc("mmu_update: L2 entry with PSE (a 2 MiB superpage)",
		 mmu_update1(l2e_ptr, make_pte(D1.mfn & ~511ul, DATA_RW | PTE_PSE)), -XEN_EINVAL);
	long rc = mmu_update1(l2e_ptr, make_pte(FL1.mfn, TABLE | PTE_PCD));
	check_rc("mmu_update: L2 entry with PCD", rc, -XEN_EINVAL);
	if (!rc)
		mmu_update1(l2e_ptr, 0);
#ifdef __x86_64__
	uint64_t l3e_ptr = pte_ptr(R.table_mfn[3], (pt_index(R.virt_base, 3) + 1) & 511,
				   MMU_NORMAL_PT_UPDATE);
	check_rc("mmu_update: L3 entry with PSE (a 1 GiB superpage)",
		 mmu_update1(l3e_ptr, make_pte(0, DATA_RW | PTE_PSE)), -XEN_EINVAL);
#endif

	/* The hypervisor's slots. */
#ifdef __x86_64__
	const volatile pte_t *root = (const volatile pte_t *)start_info->pt_base;
	check_rc("mmu_update: L4 slot 256 (its own value)",
		 mmu_update1(pte_ptr(R.root_mfn, 256, 0), root[256]), -XEN_EINVAL);
	check_rc("mmu_update: L4 slot 262 (its own value)",
		 mmu_update1(pte_ptr(R.root_mfn, 262, 0), root[262]), -XEN_EINVAL);
	check_rc("mmu_update: L4 slot 271 (its own value)",
		 mmu_update1(pte_ptr(R.root_mfn, 271, 0), root[271]), -XEN_EINVAL);
#else
	const volatile pte_t *l2v = boot_mfn_to_virt(&R, R.table_mfn[2]);
	check_rc("mmu_update: top L2 slot 428 = 0xF5800000 (its own value)",
		 mmu_update1(pte_ptr(R.table_mfn[2], XEN_L2_FIRST, 0), l2v[XEN_L2_FIRST]),
		 -XEN_EPERM);
	check_rc("mmu_update: top L2 slot 511 (its own value)",
		 mmu_update1(pte_ptr(R.table_mfn[2], 511, 0), l2v[511]), -XEN_EPERM);
	const volatile pte_t *l3v = (const volatile pte_t *)start_info->pt_base;
	check_rc("mmu_update: PAE L3 slot 3 (its own value)",
		 mmu_update1(pte_ptr(R.root_mfn, 3, 0), l3v[3]), -XEN_EINVAL);
#endif

	/* The ptr of an update must be a frame of ours. */
	check_rc("mmu_update: ptr in the frame beyond the p2m",
		 mmu_update1(pte_ptr(beyond, 0, MMU_NORMAL_PT_UPDATE), 0), -XEN_EINVAL);
	check_rc("mmu_update: ptr beyond machine memory",
		 mmu_update1(((uint64_t)far_mfn << 12) | MMU_NORMAL_PT_UPDATE, 0), -XEN_EINVAL);
	/* A plain page: Xen just writes the word (PGT_writable_page). */
	check_rc("mmu_update: ptr in a data page (D3 word 9)",
		 mmu_update1(pte_ptr(D3.mfn, 9, MMU_NORMAL_PT_UPDATE), 0x1234), 0);
	check_eq("D3 word 9", ((volatile uint64_t *)win(W_D3))[9], 0x1234);
	((volatile uint64_t *)win(W_D3))[9] = 0;
	fill_pattern(win(W_D3), TAG_D3);

	/* Foreign domains: get_pg_owner. */
	pte_t cur = read_entry(FL1.mfn, 1);
	mmu_update_t req = { .ptr = pte_ptr(FL1.mfn, 1, 0), .val = cur };
	check_rc("mmu_update with foreigndom 0x1234 (no such domain)",
		 HYPERVISOR_mmu_update(&req, 1, NULL, 0x1234), -XEN_ESRCH);
	check_rc("mmu_update with page-table domain 0x1234 (foreigndom bits 16-31)",
		 HYPERVISOR_mmu_update(&req, 1, NULL, (0x1234u + 1) << 16 | DOMID_SELF), -XEN_ESRCH);
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	check_rc("mmuext_op with foreigndom 0x1234", HYPERVISOR_mmuext_op(&op, 1, NULL, 0x1234),
		 -XEN_ESRCH);
	/* DOMID_XEN exists (dom_xen); XSM's default policy refuses a domU: -EPERM. */
	check_rc("mmu_update with foreigndom DOMID_XEN",
		 HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_XEN), -XEN_EPERM);
	check_rc("mmuext_op with foreigndom DOMID_XEN", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_XEN),
		 -XEN_EPERM);

	/* Commands: 3 is MMU_PT_UPDATE_NO_TRANSLATE, a normal update for a PV guest. */
	req.ptr = pte_ptr(FL1.mfn, 1, MMU_PT_UPDATE_NO_TRANSLATE);
	check_rc("mmu_update MMU_PT_UPDATE_NO_TRANSLATE (rewrite an L1 entry)",
		 HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF), 0);
	req.ptr = pte_ptr(FL1.mfn, 1, 7);
	check_rc("mmu_update command 7", HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF),
		 -XEN_ENOSYS);

	/* success_count: requests before the failing one are done, later ones are not. */
	mmu_update_t batch[4] = {
		{ pte_ptr(FL1.mfn, 2, MMU_NORMAL_PT_UPDATE), make_pte(D3.mfn, DATA_RO) },
		{ ((uint64_t)D3.mfn << 12) | MMU_MACHPHYS_UPDATE, D3.pfn },
		{ l2e_ptr, make_pte(D1.mfn & ~511ul, DATA_RW | PTE_PSE) },
		{ pte_ptr(FL1.mfn, 3, MMU_NORMAL_PT_UPDATE), make_pte(D3.mfn, DATA_RO) },
	};
	unsigned int done = 99;
	check_rc("mmu_update batch of 4, the third bad", HYPERVISOR_mmu_update(batch, 4, &done,
									      DOMID_SELF),
		 -XEN_EINVAL);
	check_eq("success_count", done, 2);
	check_eq("the first request took effect (L1 entry 2 -> D3)", PTE_MFN(read_entry(FL1.mfn, 2)),
		 D3.mfn);
	check_eq("the fourth did not (L1 entry 3)", read_entry(FL1.mfn, 3), 0);
	check_rc("clear L1 entry 2", mmu_update1(pte_ptr(FL1.mfn, 2, 0), 0), 0);

	struct mmuext_op ops[3] = { { .cmd = MMUEXT_TLB_FLUSH_LOCAL }, { .cmd = MMUEXT_UNPIN_TABLE },
				    { .cmd = MMUEXT_TLB_FLUSH_LOCAL } };
	ops[1].arg1.mfn = D1.mfn;
	done = 99;
	check_rc("mmuext_op batch of 3, the second unpins a frame that is not pinned",
		 HYPERVISOR_mmuext_op(ops, 3, &done, DOMID_SELF), -XEN_EINVAL);
	check_eq("success_count", done, 1);
}

static void test_pinning(void)
{
	struct frame P1 = alloc_frame(), P2 = alloc_frame(), P3 = alloc_frame();
	pte_t e;

	printf("\n== pin and unpin\n");
	zero_frame(P1.mfn);
	zero_frame(P2.mfn);
	zero_frame(P3.mfn);

	check_rc("MMUEXT_PIN_L1_TABLE of an empty frame", mmuext1(MMUEXT_PIN_L1_TABLE, P1.mfn), 0);
	check_rc("MMUEXT_PIN_L1_TABLE again (already pinned)", mmuext1(MMUEXT_PIN_L1_TABLE, P1.mfn),
		 -XEN_EINVAL);
	check_rc("MMUEXT_PIN_L2_TABLE of it (it is an L1)", mmuext1(MMUEXT_PIN_L2_TABLE, P1.mfn),
		 -XEN_EINVAL);
	check_rc("map the pinned L1 writable", map_win(W_T0, P1.mfn, DATA_RW), -XEN_EBUSY);
	check_rc("map it read-only", map_win(W_T0, P1.mfn, DATA_RO), 0);
	unmap_win(W_T0);
	check_rc("MMUEXT_UNPIN_TABLE", mmuext1(MMUEXT_UNPIN_TABLE, P1.mfn), 0);
	check_rc("MMUEXT_UNPIN_TABLE again (not pinned)", mmuext1(MMUEXT_UNPIN_TABLE, P1.mfn),
		 -XEN_EINVAL);
	check_rc("MMUEXT_UNPIN_TABLE of a frame that is not ours", mmuext1(MMUEXT_UNPIN_TABLE, beyond),
		 -XEN_EINVAL);
	check_rc("MMUEXT_PIN_L1_TABLE of a frame that is not ours",
		 mmuext1(MMUEXT_PIN_L1_TABLE, beyond), -XEN_EINVAL);
	check_rc("the unpinned L1 is ordinary memory: map it writable", map_win(W_T0, P1.mfn, DATA_RW),
		 0);
	unmap_win(W_T0);

	e = make_pte(P1.mfn, TABLE);
	write_table(P2.mfn, &e, 0, 1);
	check_rc("MMUEXT_PIN_L2_TABLE of an L2 whose entry 0 is that frame",
		 mmuext1(MMUEXT_PIN_L2_TABLE, P2.mfn), 0);
	check_rc("the L1 under it cannot be mapped writable", map_win(W_T0, P1.mfn, DATA_RW),
		 -XEN_EBUSY);
	check_rc("MMUEXT_PIN_L1_TABLE of that L1 (in use)", mmuext1(MMUEXT_PIN_L1_TABLE, P1.mfn), 0);
	check_rc("MMUEXT_UNPIN_TABLE of it", mmuext1(MMUEXT_UNPIN_TABLE, P1.mfn), 0);
	check_rc("still referenced by the L2: map it writable", map_win(W_T0, P1.mfn, DATA_RW),
		 -XEN_EBUSY);
	check_rc("MMUEXT_PIN_L1_TABLE of the pinned L2 (wrong type)",
		 mmuext1(MMUEXT_PIN_L1_TABLE, P2.mfn), -XEN_EINVAL);

#ifdef __x86_64__
	struct frame P4 = alloc_frame();
	zero_frame(P4.mfn);
	e = make_pte(P2.mfn, TABLE);
	write_table(P3.mfn, &e, 0, 1);
	check_rc("MMUEXT_PIN_L3_TABLE of an L3 -> that L2", mmuext1(MMUEXT_PIN_L3_TABLE, P3.mfn), 0);
	e = make_pte(P3.mfn, TABLE);
	write_table(P4.mfn, &e, 0, 1);
	e = make_pte(far_mfn, TABLE);
	write_table(P4.mfn, &e, 260, 1);	/* garbage in a Xen slot: ignored, then overwritten */
	check_rc("MMUEXT_PIN_L4_TABLE of an L4 -> that L3 (garbage in slot 260)",
		 mmuext1(MMUEXT_PIN_L4_TABLE, P4.mfn), 0);
	check(read_entry(P4.mfn, 260) != e, "slot 260 was rewritten by the hypervisor (0x%llx)",
	      (unsigned long long)read_entry(P4.mfn, 260));
	check_rc("map the pinned L4 writable", map_win(W_T0, P4.mfn, DATA_RW), -XEN_EBUSY);
	check_rc("MMUEXT_PIN_L3_TABLE of the L4 (wrong type)", mmuext1(MMUEXT_PIN_L3_TABLE, P4.mfn),
		 -XEN_EINVAL);
	check_rc("MMUEXT_NEW_USER_BASEPTR -> the pinned L4", mmuext1(MMUEXT_NEW_USER_BASEPTR, P4.mfn),
		 0);
	check_rc("MMUEXT_NEW_USER_BASEPTR -> an L1 (wrong type)",
		 mmuext1(MMUEXT_NEW_USER_BASEPTR, R.table_mfn[1]), -XEN_EINVAL);
	check_rc("MMUEXT_NEW_USER_BASEPTR -> 0", mmuext1(MMUEXT_NEW_USER_BASEPTR, 0), 0);
	check_rc("MMUEXT_UNPIN_TABLE of the L3 (pinned)", mmuext1(MMUEXT_UNPIN_TABLE, P3.mfn), 0);
	check_rc("MMUEXT_UNPIN_TABLE of the L4", mmuext1(MMUEXT_UNPIN_TABLE, P4.mfn), 0);
	check_rc("MMUEXT_UNPIN_TABLE of the L3 again (only was referenced)",
		 mmuext1(MMUEXT_UNPIN_TABLE, P3.mfn), -XEN_EINVAL);
	check_rc("the L3 is ordinary memory again", map_win(W_T0, P3.mfn, DATA_RW), 0);
	check_rc("the L4 is ordinary memory again", map_win(W_T0, P4.mfn, DATA_RW), 0);
	unmap_win(W_T0);
#else
	struct frame P2X = alloc_frame();
	zero_frame(P2X.mfn);
	/* promote_l3_table: slot 3 must be present, with an L2 of its own. */
	long rc = mmuext1(MMUEXT_PIN_L3_TABLE, P3.mfn);
	check_rc("MMUEXT_PIN_L3_TABLE of an L3 without slot 3", rc, -XEN_EINVAL);
	if (!rc)
		mmuext1(MMUEXT_UNPIN_TABLE, P3.mfn);
	e = make_pte(R.table_mfn[2], PAE_L3E);
	write_table(P3.mfn, &e, 3, 1);
	rc = mmuext1(MMUEXT_PIN_L3_TABLE, P3.mfn);
	check_rc("MMUEXT_PIN_L3_TABLE of an L3 sharing the bootstrap slot-3 L2", rc, -XEN_EINVAL);
	if (!rc)
		mmuext1(MMUEXT_UNPIN_TABLE, P3.mfn);
	e = make_pte(far_mfn, TABLE);
	write_table(P2X.mfn, &e, 500, 1);	/* garbage in a Xen slot: ignored, then overwritten */
	e = make_pte(P2X.mfn, PAE_L3E);
	write_table(P3.mfn, &e, 3, 1);
	check_rc("MMUEXT_PIN_L3_TABLE of an L3 with its own slot-3 L2 (garbage in its slot 500)",
		 mmuext1(MMUEXT_PIN_L3_TABLE, P3.mfn), 0);
	const volatile pte_t *l2v = boot_mfn_to_virt(&R, R.table_mfn[2]);
	unsigned int same = 0;
	for (unsigned int i = XEN_L2_FIRST; i < 512; i++)
		same += read_entry(P2X.mfn, i) == l2v[i];
	check_eq("Xen slots 428-511 of that L2 equal the bootstrap one's", same, 512 - XEN_L2_FIRST);
	check_rc("MMUEXT_PIN_L2_TABLE of the slot-3 L2 (a PAE Xen L2)",
		 mmuext1(MMUEXT_PIN_L2_TABLE, P2X.mfn), -XEN_EINVAL);
	check_rc("mmu_update: L3 slot 3 of the pinned L3", mmu_update1(pte_ptr(P3.mfn, 3, 0),
								       read_entry(P3.mfn, 3)),
		 -XEN_EINVAL);
	check_rc("mmu_update: L3 slot 0 -> the pinned L2", mmu_update1(pte_ptr(P3.mfn, 0, 0),
								       make_pte(P2.mfn, PAE_L3E)), 0);
	/*
	 * l3_disallow_mask(pv32) = 0xFFFFF198: PWT, PCD, PSE, GLOBAL and bits
	 * 52-63 (NX) are refused, RW, USER, A and D are not (64-bit Xen walks
	 * a compat L3 as a long-mode L3 and adds USER|RW itself,
	 * adjust_guest_l3e). Checked before the fast path for same-frame updates.
	 */
	uint64_t s1 = pte_ptr(P3.mfn, 1, 0), s2 = pte_ptr(P3.mfn, 2, 0);
	check_rc("mmu_update: L3 slot 2 (empty) with NX", mmu_update1(s2, make_pte(P2.mfn, PAE_L3E |
									  PTE_NX)), -XEN_EINVAL);
	mmu_update1(s2, 0);
	check_rc("mmu_update: L3 slot 2 (empty) with PWT", mmu_update1(s2, make_pte(P2.mfn, PAE_L3E |
									   PTE_PWT)), -XEN_EINVAL);
	mmu_update1(s2, 0);
	check_rc("mmu_update: L3 slot 1 -> the L2", mmu_update1(s1, make_pte(P2.mfn, PAE_L3E)), 0);
	check_rc("mmu_update: L3 slot 1, same L2, with PWT",
		 mmu_update1(s1, make_pte(P2.mfn, PAE_L3E | PTE_PWT)), -XEN_EINVAL);
	check_rc("mmu_update: L3 slot 1, same L2, with NX",
		 mmu_update1(s1, make_pte(P2.mfn, PAE_L3E | PTE_NX)), -XEN_EINVAL);
	check_rc("mmu_update: L3 slot 1, same L2, with PSE",
		 mmu_update1(s1, make_pte(P2.mfn, PAE_L3E | PTE_PSE)), -XEN_EINVAL);
	check_rc("mmu_update: L3 slot 1, same L2, with RW|USER|A",
		 mmu_update1(s1, make_pte(P2.mfn, PAE_L3E | PTE_RW | PTE_US | PTE_A)), 0);
	check_rc("mmu_update: L3 slot 1 -> not present", mmu_update1(s1, 0), 0);
	/* (the stub may have accepted some of these; the unpin below drops them) */
	/* MMUEXT_PIN_L4_TABLE is ignored for a 32-bit guest; a user base pointer of 0 is a no-op. */
	check_rc("MMUEXT_PIN_L4_TABLE (ignored on pv32)", mmuext1(MMUEXT_PIN_L4_TABLE, P1.mfn), 0);
	check_rc("... and it pinned nothing", mmuext1(MMUEXT_UNPIN_TABLE, P1.mfn), -XEN_EINVAL);
	check_rc("MMUEXT_NEW_USER_BASEPTR -> 0", mmuext1(MMUEXT_NEW_USER_BASEPTR, 0), 0);
	check_rc("MMUEXT_UNPIN_TABLE of the L3", mmuext1(MMUEXT_UNPIN_TABLE, P3.mfn), 0);
	check_rc("its slot-3 L2 is ordinary memory again", map_win(W_T0, P2X.mfn, DATA_RW), 0);
	check_rc("the L3 is ordinary memory again", map_win(W_T0, P3.mfn, DATA_RW), 0);
	unmap_win(W_T0);
#endif
	check_rc("MMUEXT_UNPIN_TABLE of the L2", mmuext1(MMUEXT_UNPIN_TABLE, P2.mfn), 0);
	check_rc("the L2 is ordinary memory again", map_win(W_T0, P2.mfn, DATA_RW), 0);
	check_rc("and so is the L1 under it", map_win(W_T0, P1.mfn, DATA_RW), 0);
	unmap_win(W_T0);

	/* The live root: unpinning leaves CR3's reference; pin it again. */
	check_rc("MMUEXT_UNPIN_TABLE of the loaded root", mmuext1(MMUEXT_UNPIN_TABLE, R.root_mfn), 0);
	check_rc("it is still a page table (in CR3): map it writable",
		 map_win(W_T0, R.root_mfn, DATA_RW), -XEN_EBUSY);
	check_rc("MMUEXT_PIN of the loaded root again", mmuext1(ROOT_PIN, R.root_mfn), 0);
}

static void test_new_baseptr(void)
{
	struct frame FR = alloc_frame();
	const volatile pte_t *root = (const volatile pte_t *)start_info->pt_base;
	const volatile unsigned long *m2p = m2p_table();
	unsigned long smfn = virt_to_mfn(_start);

	printf("\n== MMUEXT_NEW_BASEPTR to a copy of the root table\n");
	zero_frame(FR.mfn);
	if (map_win(W_SCRATCH, FR.mfn, DATA_RW))
		fail_now("cannot map the copy writable");
	pte_t *c = (pte_t *)win(W_SCRATCH);
#ifdef __x86_64__
	/* Guest slots copied, Xen slots left empty but for garbage in one. */
	for (unsigned int i = 0; i < 512; i++)
		c[i] = (i >= 256 && i <= 271) ? 0 : root[i];
	const pte_t garbage = make_pte(far_mfn, TABLE);
	c[260] = garbage;
	unmap_win(W_SCRATCH);
	struct frame L2C = FR;	/* no second table on pv64 */
#else
	/* A PAE L3 needs its own slot-3 L2: copy the guest part of that too. */
	struct frame L2C = alloc_frame();
	for (unsigned int i = 0; i < 3; i++)
		c[i] = root[i];
	c[3] = make_pte(L2C.mfn, PAE_L3E);
	unmap_win(W_SCRATCH);
	const volatile pte_t *l2v = boot_mfn_to_virt(&R, R.table_mfn[2]);
	zero_frame(L2C.mfn);
	if (map_win(W_SCRATCH, L2C.mfn, DATA_RW))
		fail_now("cannot map the L2 copy writable");
	c = (pte_t *)win(W_SCRATCH);
	for (unsigned int i = 0; i < XEN_L2_FIRST; i++)
		c[i] = l2v[i];
	c[500] = make_pte(far_mfn, TABLE);
	unmap_win(W_SCRATCH);
#endif
	check_rc("MMUEXT_NEW_BASEPTR -> the copy", mmuext1(MMUEXT_NEW_BASEPTR, FR.mfn), 0);
	/* We are running on it: code, stack, hypercalls (this line) all work. */
	check_reads("D1 still reads through the new L1", newva, TAG_D1);
	unsigned long v = probe_read(&m2p[smfn]);
	if (check_no_fault("the M2P reads through the copy"))
		check_eq("M2P[mfn of _start]", v, virt_to_pfn(_start));
#ifdef __x86_64__
	unsigned int m2p_slot = pt_index((unsigned long)m2p, 4);
	check((read_entry(FR.mfn, m2p_slot) & PTE_P) &&
	      read_entry(FR.mfn, m2p_slot) == root[m2p_slot],
	      "the hypervisor filled slot %u (the read-only M2P) of the copy", m2p_slot);
	check(read_entry(FR.mfn, 260) != garbage, "the garbage in slot 260 was replaced (0x%llx)",
	      (unsigned long long)read_entry(FR.mfn, 260));
#else
	unsigned int same = 0;
	for (unsigned int i = XEN_L2_FIRST; i < 512; i++)
		same += read_entry(L2C.mfn, i) == l2v[i];
	check_eq("the hypervisor filled slots 428-511 of the copy's slot-3 L2 (garbage in 500 replaced)",
		 same, 512 - XEN_L2_FIRST);
#endif
	check_rc("the loaded copy cannot be mapped writable", map_win(W_T0, FR.mfn, DATA_RW),
		 -XEN_EBUSY);
	check_rc("update_va_mapping walks the loaded table: D2 read-only at T0",
		 map_win(W_T0, D2.mfn, DATA_RO), 0);
	check_reads("T0 reads D2", win(W_T0), TAG_D2);
	unmap_win(W_T0);
	check_rc("MMUEXT_NEW_BASEPTR -> the copy again (already loaded)",
		 mmuext1(MMUEXT_NEW_BASEPTR, FR.mfn), 0);
	check_rc("MMUEXT_NEW_BASEPTR -> the bootstrap root", mmuext1(MMUEXT_NEW_BASEPTR, R.root_mfn),
		 0);
	check_reads("D1 still reads through the new L1", newva, TAG_D1);
	check_rc("the copy is ordinary memory again: map it writable", map_win(W_T0, FR.mfn, DATA_RW),
		 0);
	if (L2C.mfn != FR.mfn)
		check_rc("and its slot-3 L2", map_win(W_T0, L2C.mfn, DATA_RW), 0);
	unmap_win(W_T0);

	check_rc("MMUEXT_NEW_BASEPTR -> a data page mapped writable",
		 mmuext1(MMUEXT_NEW_BASEPTR, D1.mfn), -XEN_EINVAL);
	check_rc("MMUEXT_NEW_BASEPTR -> a frame that is not ours", mmuext1(MMUEXT_NEW_BASEPTR, beyond),
		 -XEN_EINVAL);
	check_rc("MMUEXT_NEW_BASEPTR -> an L1", mmuext1(MMUEXT_NEW_BASEPTR, FL1.mfn), -XEN_EINVAL);
}

static void test_m2p(void)
{
	xen_machphys_mapping_t mm;

	printf("\n== the M2P and MMU_MACHPHYS_UPDATE\n");
	memset(&mm, 0, sizeof(mm));
	check_rc("XENMEM_machphys_mapping", HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mm), 0);
	/* Xen's address, or (xenner on kvm_pvm) another slot of the hypervisor hole. */
#ifdef __x86_64__
	check(mm.v_start >= HYPERVISOR_VIRT_START && mm.v_end <= HYPERVISOR_VIRT_END &&
	      !(mm.v_start & ((1ul << 39) - 1)),
	      "machphys_mapping.v_start 0x%lx starts a slot of the hypervisor hole", mm.v_start);
#else
	check_eq("machphys_mapping.v_start", mm.v_start, MACH2PHYS_VIRT_START);
#endif
	check(mm.v_end - mm.v_start >= (mm.max_mfn + 1) * sizeof(long) && mm.max_mfn >= beyond - 1,
	      "machphys_mapping covers max_mfn 0x%lx (v_end 0x%lx)", mm.max_mfn, mm.v_end);
	volatile unsigned long *m2p = (volatile unsigned long *)mm.v_start;
#ifdef __x86_64__
	/* Moved (kvm_pvm): Xen's fixed address is unmapped, and xenner says why in its log. */
	if (mm.v_start != MACH2PHYS_VIRT_START) {
		probe_read((const volatile void *)MACH2PHYS_VIRT_START);
		check_pf("a read at Xen's fixed M2P address, where it is not",
			 (const volatile void *)MACH2PHYS_VIRT_START, 0);
	}
#endif
	unsigned long smfn = virt_to_mfn(_start);

	unsigned long v = probe_read(&m2p[smfn]);
	if (check_no_fault("read the M2P"))
		check_eq("M2P[mfn of _start] = its pfn", v, virt_to_pfn(_start));
	check_eq("M2P[D1's mfn] = its pfn", probe_read(&m2p[D1.mfn]), D1.pfn);

	check_rc("MMU_MACHPHYS_UPDATE: D1's mfn -> 0x12345",
		 mmu_update1(((uint64_t)D1.mfn << 12) | MMU_MACHPHYS_UPDATE, 0x12345), 0);
	check_eq("M2P[D1's mfn] reads back", probe_read(&m2p[D1.mfn]), 0x12345);
	check_rc("MMU_MACHPHYS_UPDATE: back to its pfn",
		 mmu_update1(((uint64_t)D1.mfn << 12) | MMU_MACHPHYS_UPDATE, D1.pfn), 0);
	check_eq("M2P[D1's mfn]", probe_read(&m2p[D1.mfn]), D1.pfn);
	check_rc("MMU_MACHPHYS_UPDATE of a frame that is not ours",
		 mmu_update1(((uint64_t)beyond << 12) | MMU_MACHPHYS_UPDATE, 0), -XEN_EINVAL);
	check_rc("MMU_MACHPHYS_UPDATE of an mfn beyond machine memory",
		 mmu_update1(((uint64_t)far_mfn << 12) | MMU_MACHPHYS_UPDATE, 0), -XEN_EINVAL);
	probe_write(&m2p[D1.mfn], D1.pfn);
	check_pf("a write to the M2P", &m2p[D1.mfn], PFEC_PRESENT | PFEC_WRITE);
}

static void test_clear_copy(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_COPY_PAGE };

	printf("\n== MMUEXT_CLEAR_PAGE and MMUEXT_COPY_PAGE\n");
	op.arg1.mfn = D3.mfn;
	op.arg2.src_mfn = D1.mfn;
	check_rc("MMUEXT_COPY_PAGE D1 -> D3", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	check_reads("D3 holds D1's contents", win(W_D3), TAG_D1);
	check_rc("MMUEXT_CLEAR_PAGE D3", mmuext1(MMUEXT_CLEAR_PAGE, D3.mfn), 0);
	unsigned int nonzero = 0;
	for (unsigned int i = 0; i < PAGE / sizeof(long); i++)
		nonzero += ((volatile unsigned long *)win(W_D3))[i] != 0;
	check_eq("non-zero words in D3", nonzero, 0);

	check_rc("MMUEXT_CLEAR_PAGE of the root table", mmuext1(MMUEXT_CLEAR_PAGE, R.root_mfn),
		 -XEN_EINVAL);
	check_rc("MMUEXT_CLEAR_PAGE of an L1", mmuext1(MMUEXT_CLEAR_PAGE, FL1.mfn), -XEN_EINVAL);
	check_rc("MMUEXT_CLEAR_PAGE of a frame that is not ours", mmuext1(MMUEXT_CLEAR_PAGE, beyond),
		 -XEN_EINVAL);
	op.arg1.mfn = R.root_mfn;
	op.arg2.src_mfn = D1.mfn;
	check_rc("MMUEXT_COPY_PAGE into the root table", HYPERVISOR_mmuext_op(&op, 1, NULL,
									      DOMID_SELF),
		 -XEN_EINVAL);
	op.arg1.mfn = D3.mfn;
	op.arg2.src_mfn = beyond;
	check_rc("MMUEXT_COPY_PAGE from a frame that is not ours",
		 HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);
	op.arg2.src_mfn = FL1.mfn;
	check_rc("MMUEXT_COPY_PAGE from a page table (reading it is fine)",
		 HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	pte_t e = ((volatile pte_t *)win(W_D3))[1];
	check(PTE_MFN(e) == D2.mfn, "D3 holds the L1's entry 1 (0x%llx)", (unsigned long long)e);
	fill_pattern(win(W_D3), TAG_D3);
}

static void test_preserve_ad(void)
{
	volatile unsigned long *p = (volatile unsigned long *)newva;
	uint64_t ptr = pte_ptr(FL1.mfn, 0, 0);

	printf("\n== MMU_PT_UPDATE_PRESERVE_AD\n");
	check_rc("mmu_update: L1 entry 0 -> D1 without A/D",
		 mmu_update1(ptr | MMU_NORMAL_PT_UPDATE, make_pte(D1.mfn, PTE_P | PTE_RW)), 0);
	mmuext_va(MMUEXT_INVLPG_LOCAL, newva);
	check_eq("its A/D bits", read_entry(FL1.mfn, 0) & (PTE_A | PTE_D), 0);
	(void)p[0];
	p[1] = p[1];
	check_eq("after a read and a write the CPU set A/D", read_entry(FL1.mfn, 0) & (PTE_A | PTE_D),
		 PTE_A | PTE_D);
	check_rc("MMU_PT_UPDATE_PRESERVE_AD: same entry without A/D",
		 mmu_update1(ptr | MMU_PT_UPDATE_PRESERVE_AD, make_pte(D1.mfn, PTE_P | PTE_RW)), 0);
	check_eq("A/D preserved", read_entry(FL1.mfn, 0) & (PTE_A | PTE_D), PTE_A | PTE_D);
	check_rc("MMU_PT_UPDATE_PRESERVE_AD: -> D2 read-only without A/D",
		 mmu_update1(ptr | MMU_PT_UPDATE_PRESERVE_AD, make_pte(D2.mfn, PTE_P)), 0);
	pte_t e = read_entry(FL1.mfn, 0);
	check(PTE_MFN(e) == D2.mfn && (e & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && !(e & PTE_RW),
	      "new frame, A/D ORed in (0x%llx)", (unsigned long long)e);
	check_rc("MMU_NORMAL_PT_UPDATE: -> D1 without A/D",
		 mmu_update1(ptr | MMU_NORMAL_PT_UPDATE, make_pte(D1.mfn, PTE_P | PTE_RW)), 0);
	check_eq("A/D cleared", read_entry(FL1.mfn, 0) & (PTE_A | PTE_D), 0);
	mmuext_va(MMUEXT_INVLPG_LOCAL, newva);
	check_reads("it reads D1", newva, TAG_D1);

	uint64_t l2p = pte_ptr(R.table_mfn[2], nidx, 0);
	pte_t l2e = read_entry(R.table_mfn[2], nidx);
	check(l2e & PTE_A, "the new L1's L2 entry has A set (0x%llx)", (unsigned long long)l2e);
	check_rc("MMU_PT_UPDATE_PRESERVE_AD on the L2 entry without A/D",
		 mmu_update1(l2p | MMU_PT_UPDATE_PRESERVE_AD, make_pte(FL1.mfn, TABLE & ~(PTE_A | PTE_D))),
		 0);
	check(read_entry(R.table_mfn[2], nidx) & PTE_A, "A preserved (0x%llx)",
	      (unsigned long long)read_entry(R.table_mfn[2], nidx));
}

static void test_other_mmuext(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
	static uint8_t ldt_page[PAGE] __attribute__((aligned(PAGE)));

	printf("\n== other mmuext_op commands\n");
	op.arg1.linear_addr = 0;
	op.arg2.nr_ents = 0;
	check_rc("MMUEXT_SET_LDT with no entries", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	op.arg1.linear_addr = (unsigned long)ldt_page + 8;
	op.arg2.nr_ents = 1;
	check_rc("MMUEXT_SET_LDT at a misaligned address", HYPERVISOR_mmuext_op(&op, 1, NULL,
										 DOMID_SELF),
		 -XEN_EINVAL);
	op.arg1.linear_addr = (unsigned long)ldt_page;
	op.arg2.nr_ents = 8193;
	check_rc("MMUEXT_SET_LDT with 8193 entries", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF),
		 -XEN_EINVAL);
#ifdef __x86_64__
	op.arg1.linear_addr = HYPERVISOR_VIRT_START;
	op.arg2.nr_ents = 1;
	check_rc("MMUEXT_SET_LDT in the hypervisor area", HYPERVISOR_mmuext_op(&op, 1, NULL,
										 DOMID_SELF),
		 -XEN_EINVAL);
#endif
	op.arg1.linear_addr = (unsigned long)ldt_page;
	op.arg2.nr_ents = 1;
	check_rc("MMUEXT_SET_LDT of one entry in a page of ours",
		 HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	op.arg1.linear_addr = 0;
	op.arg2.nr_ents = 0;
	check_rc("MMUEXT_SET_LDT back to none", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);

	/* A domU without I/O privileges may not flush caches. */
	check_rc("MMUEXT_FLUSH_CACHE", mmuext1(MMUEXT_FLUSH_CACHE, 0), -XEN_EACCES);
	check_rc("MMUEXT_FLUSH_CACHE_GLOBAL", mmuext1(MMUEXT_FLUSH_CACHE_GLOBAL, 0), -XEN_EINVAL);
	check_rc("MMUEXT_MARK_SUPER", mmuext1(MMUEXT_MARK_SUPER, D1.mfn), -XEN_EOPNOTSUPP);
	check_rc("MMUEXT_UNMARK_SUPER", mmuext1(MMUEXT_UNMARK_SUPER, D1.mfn), -XEN_EOPNOTSUPP);
	check_rc("mmuext_op command 14 (unassigned)", mmuext1(14, 0), -XEN_ENOSYS);
}

/*
 * VMASST_TYPE_writable_pagetables: writes to an L1 page table trap and
 * are emulated as validated updates (xen/arch/x86/pv/ro-page-fault.c);
 * an update that does not validate leaves the #PF to the guest. On pv32
 * we write the low half of the 8-byte entry, as a PAE kernel does (Xen
 * merges partial writes with the other half).
 */
static void test_writable_pagetables(void)
{
	volatile pte_t *l1 = (volatile pte_t *)win(W_L1);	/* the new L1, read-only */
	volatile unsigned long *e5 = (volatile unsigned long *)&l1[5];
	unsigned long va5 = newva + 5 * PAGE;

	printf("\n== VMASST_TYPE_writable_pagetables\n");
	check_rc("vm_assist enable writable_pagetables",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
	probe_write(e5, (unsigned long)make_pte(D2.mfn, DATA_RO));
	check_no_fault("a plain write of an L1 entry (-> D2) is emulated");
	check_eq("the entry", PTE_MFN(l1[5]), D2.mfn);
	mmuext_va(MMUEXT_INVLPG_LOCAL, va5);
	check_reads("the page it maps reads D2", va5, TAG_D2);
	probe_write(e5, (unsigned long)make_pte(R.root_mfn, DATA_RW));
	check_pf("a write mapping the root writable is refused", e5, PFEC_PRESENT | PFEC_WRITE);
	check_eq("the entry is unchanged", PTE_MFN(l1[5]), D2.mfn);
	unsigned long old = probe_xchg(e5, 0);
	check_no_fault("xchg of the entry with 0 (ptep_get_and_clear) is emulated");
	check(PTE_MFN(old) == D2.mfn && (old & PTE_P), "xchg returned the old entry (0x%lx)", old);
	check_eq("the entry", l1[5], 0);
	mmuext_va(MMUEXT_INVLPG_LOCAL, va5);
	probe_read((const void *)va5);
	check_pf("the page is unmapped", (void *)va5, 0);
	const volatile pte_t *l2v = boot_mfn_to_virt(&R, R.table_mfn[2]);
	probe_write((volatile void *)&l2v[nidx + 1], 0);
	check_pf("a write to an L2 still faults", &l2v[nidx + 1], PFEC_PRESENT | PFEC_WRITE);
	check_rc("vm_assist disable writable_pagetables",
		 HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);
	probe_write(e5, 0);
	check_pf("a write to the L1 faults again", e5, PFEC_PRESENT | PFEC_WRITE);
}

static void test_teardown(void)
{
	printf("\n== teardown: page tables become ordinary memory again\n");
	unsigned int done = 99;
	mmu_update_t req = { pte_ptr(R.table_mfn[2], nidx, MMU_NORMAL_PT_UPDATE), 0 };
	check_rc("mmu_update: the L2 entry -> not present (drops the new L1)",
		 HYPERVISOR_mmu_update(&req, 1, &done, DOMID_SELF), 0);
	check_eq("success_count", done, 1);
	mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	probe_read((const void *)newva);
	check_pf("its va is unmapped", (void *)newva, 0);
	check_rc("the former L1 maps writable", map_win(W_L1, FL1.mfn, DATA_RW), 0);
	pte_t *l1w = (pte_t *)win(W_L1);
	l1w[0] = 0;
	check_eq("and takes a plain write", l1w[0], 0);
	check_rc("MMUEXT_UNPIN_TABLE of it (never pinned)", mmuext1(MMUEXT_UNPIN_TABLE, FL1.mfn),
		 -XEN_EINVAL);
	check_rc("MMUEXT_PIN_L1_TABLE of it while writable", mmuext1(MMUEXT_PIN_L1_TABLE, FL1.mfn),
		 -XEN_EINVAL);
	unmap_win(W_L1);
	check_rc("unmapped: MMUEXT_PIN_L1_TABLE of it", mmuext1(MMUEXT_PIN_L1_TABLE, FL1.mfn), 0);
	check_rc("MMUEXT_UNPIN_TABLE of it", mmuext1(MMUEXT_UNPIN_TABLE, FL1.mfn), 0);
}

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

void guest_main(void)
{
	printf("mmu test (" GUEST_MODE ")\n");

	mmu_probes_init();
	check_rc("set_trap_table", traps_install(), 0);
	check_rc("stack_switch", HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack +
						       sizeof(kernel_stack)), 0);
	if (!boot_region_init(&R))
		fail_now("cannot make sense of the bootstrap page tables");
	printf("region 0x%lx-0x%lx (%lu pages, %u L1s from L2 slot %u), root mfn 0x%lx, "
	       "nr_pages %lu\n", R.virt_base, R.virt_end, R.nr_pages, R.nr_l1, R.l2_first,
	       R.root_mfn, (unsigned long)start_info->nr_pages);
	if (win(NR_WINDOWS - 1) <= start_info->pt_base + (start_info->nr_pt_frames + 1) * PAGE)
		fail_now("the region has too little padding for %u windows", NR_WINDOWS);
	nidx = R.l2_first + R.nr_l1;
#ifdef __i386__
	if (nidx >= XEN_L2_FIRST)
		fail_now("no free L2 slot after the region");
#endif
	if (nidx + 1 >= 512)
		fail_now("no free L2 slot after the region");
	newva = R.virt_end;
	next_free_pfn = start_info->nr_pages;
	beyond = p2m_max_mfn() + 1;
	far_mfn = 1ull << 28;	/* 1 TiB */
	D1 = alloc_frame();
	D2 = alloc_frame();
	D3 = alloc_frame();
	FL1 = alloc_frame();
	printf("D1 pfn 0x%lx mfn 0x%lx, D2 0x%lx/0x%lx, D3 0x%lx/0x%lx, new L1 0x%lx/0x%lx\n",
	       D1.pfn, D1.mfn, D2.pfn, D2.mfn, D3.pfn, D3.mfn, FL1.pfn, FL1.mfn);

	test_shared_info();
	test_start_of_day();
	test_new_l1();
	test_update_va_mapping();
	test_refusals();
	test_pinning();
	test_new_baseptr();
	test_m2p();
	test_clear_copy();
	test_preserve_ad();
	test_other_mmuext();
	test_writable_pagetables();
	test_teardown();
}
