/* mmu.c — PV MMU helpers for the test guests (see mmu.h). */
#include "mmu.h"

long mmu_update1(uint64_t ptr, uint64_t val)
{
	mmu_update_t req = { .ptr = ptr, .val = val };

	return HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

long mmuext1(unsigned int cmd, unsigned long mfn)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.mfn = mfn;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/*
 * The read-only M2P, where XENMEM_machphys_mapping says (Xen's default
 * address if it fails, as Linux does): xenner moves it on hosts that
 * cannot map Xen's slot.
 */
const unsigned long *m2p_table(void)
{
	static unsigned long base;
	if (!base) {
		xen_machphys_mapping_t mm = { 0 };
		base = HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mm) == 0 ? mm.v_start
									       : MACH2PHYS_VIRT_START;
	}
	return (const unsigned long *)base;
}

/* ---- fault probes ---- */

/*
 * Each probe: the access at *_insn, then *_resume. The handler sends a
 * faulting access to *_resume with the result register still 0.
 */
#ifdef __x86_64__
asm(".text\n"
    ".globl probe_read_asm, probe_write_asm, probe_xchg_asm\n"
    "probe_read_asm:\n"
    "	xor %eax, %eax\n"
    "probe_read_insn:\n"
    "	mov (%rdi), %rax\n"
    "probe_read_resume:\n"
    "	ret\n"
    "probe_write_asm:\n"
    "probe_write_insn:\n"
    "	mov %rsi, (%rdi)\n"
    "probe_write_resume:\n"
    "	ret\n"
    "probe_xchg_asm:\n"
    "	xor %eax, %eax\n"
    "probe_xchg_insn:\n"
    "	xchg %rsi, (%rdi)\n"
    "	mov %rsi, %rax\n"
    "probe_xchg_resume:\n"
    "	ret\n");
#else
asm(".text\n"
    ".globl probe_read_asm, probe_write_asm, probe_xchg_asm\n"
    "probe_read_asm:\n"
    "	mov 4(%esp), %ecx\n"
    "	xor %eax, %eax\n"
    "probe_read_insn:\n"
    "	mov (%ecx), %eax\n"
    "probe_read_resume:\n"
    "	ret\n"
    "probe_write_asm:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %edx\n"
    "probe_write_insn:\n"
    "	mov %edx, (%ecx)\n"
    "probe_write_resume:\n"
    "	ret\n"
    "probe_xchg_asm:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %edx\n"
    "	xor %eax, %eax\n"
    "probe_xchg_insn:\n"
    "	xchg %edx, (%ecx)\n"
    "	mov %edx, %eax\n"
    "probe_xchg_resume:\n"
    "	ret\n");
#endif

unsigned long probe_read_asm(const volatile void *addr);
void probe_write_asm(volatile void *addr, unsigned long val);
unsigned long probe_xchg_asm(volatile void *addr, unsigned long val);
extern const char probe_read_insn[], probe_read_resume[];
extern const char probe_write_insn[], probe_write_resume[];
extern const char probe_xchg_insn[], probe_xchg_resume[];

struct probe_fault probe_fault;
static volatile struct vcpu_info *probe_vi;

void probe_set_vcpu_info(volatile struct vcpu_info *vi)
{
	probe_vi = vi;
}

static void probe_trap(struct trap_ctx *t)
{
	static const struct {
		const char *insn, *resume;
	} sites[] = {
		{ probe_read_insn, probe_read_resume },
		{ probe_write_insn, probe_write_resume },
		{ probe_xchg_insn, probe_xchg_resume },
	};

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		if (t->rip != (unsigned long)sites[i].insn)
			continue;
		probe_fault.count++;
		probe_fault.vector = t->vector;
		probe_fault.err = t->err;
		probe_fault.cr2 = probe_vi ? probe_vi->arch.cr2 : 0;
		*t->rip_slot = (unsigned long)sites[i].resume;
		return;
	}
	printf("unexpected trap %u (%s) err=0x%lx rip=0x%lx cr2=0x%lx\n", t->vector,
	       trap_name(t->vector), t->err, t->rip,
	       probe_vi ? (unsigned long)probe_vi->arch.cr2 : 0ul);
	fail_now("unexpected %s at rip 0x%lx (error code 0x%lx)", trap_name(t->vector),
		 t->rip, t->err);
}

void mmu_probes_init(void)
{
	trap_set_handler(13, probe_trap, true);
	trap_set_handler(14, probe_trap, true);
}

unsigned long probe_read(const volatile void *addr)
{
	probe_fault.count = 0;
	return probe_read_asm(addr);
}

void probe_write(volatile void *addr, unsigned long val)
{
	probe_fault.count = 0;
	probe_write_asm(addr, val);
}

unsigned long probe_xchg(volatile void *addr, unsigned long val)
{
	probe_fault.count = 0;
	return probe_xchg_asm(addr, val);
}

bool probe_faulted(void)
{
	return probe_fault.count != 0;
}

bool probe_pf(unsigned long err)
{
	return probe_fault.count == 1 && probe_fault.vector == 14 && probe_fault.err == err;
}

/* ---- p2m and the start-of-day region ---- */

const unsigned long *p2m(void)
{
	return (const unsigned long *)start_info->mfn_list;
}

unsigned long p2m_find_pfn(unsigned long mfn)
{
	const unsigned long *m = p2m();

	for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++)
		if (m[pfn] == mfn)
			return pfn;
	return ~0ul;
}

unsigned long p2m_max_mfn(void)
{
	const unsigned long *m = p2m();
	unsigned long max = 0;

	for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++)
		if (m[pfn] > max)
			max = m[pfn];
	return max;
}

void *boot_mfn_to_virt(const struct boot_region *r, unsigned long mfn)
{
	const unsigned long *m = p2m();

	for (unsigned long pfn = 0; pfn < r->nr_pages && pfn < start_info->nr_pages; pfn++)
		if (m[pfn] == mfn)
			return pfn_to_virt(pfn);
	return NULL;
}

bool boot_region_init(struct boot_region *r)
{
	unsigned long base = (unsigned long)GUEST_VIRT_BASE;

	memset(r, 0, sizeof(*r));
	r->virt_base = base;
	/* Enough to find the tables: they lie in the region, below the stack. */
	r->nr_pages = (start_info->pt_base - base) / GUEST_PAGE_SIZE + start_info->nr_pt_frames;
	r->root_mfn = virt_to_mfn((const void *)start_info->pt_base);
	r->table_mfn[PT_LEVELS] = r->root_mfn;
	for (unsigned int level = PT_LEVELS; level > 1; level--) {
		const pte_t *t = boot_mfn_to_virt(r, r->table_mfn[level]);

		if (!t) {
			printf("L%u table (mfn 0x%lx) is not in the region\n", level,
			       r->table_mfn[level]);
			return false;
		}
		pte_t e = t[pt_index(base, level)];
		if (!(e & PTE_P) || (e & PTE_PSE)) {
			printf("L%u entry for 0x%lx is 0x%llx\n", level, base, (unsigned long long)e);
			return false;
		}
		r->table_mfn[level - 1] = (unsigned long)PTE_MFN(e);
		if (level == 2) {
			r->l2_first = pt_index(base, 2);
			for (unsigned int i = r->l2_first; i < 512 && (t[i] & PTE_P); i++)
				r->nr_l1++;
		}
	}
	r->virt_end = base + (unsigned long)r->nr_l1 * (512ul * GUEST_PAGE_SIZE);
	r->nr_pages = (r->virt_end - base) / GUEST_PAGE_SIZE;
	return true;
}
