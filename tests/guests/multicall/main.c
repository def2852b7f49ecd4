/* multicall — a batch of hypercalls: results in place, the iret stop rule, nesting and bad lists. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "mmu.h"

const char guest_name[] = "multicall";

#define SENTINEL ((xen_ulong_t)0x5e5e5e5e)

static multicall_entry_t calls[8];

static void entry(unsigned i, unsigned long op, unsigned long a0, unsigned long a1,
		  unsigned long a2)
{
	calls[i] = (multicall_entry_t){ .op = op, .result = SENTINEL,
					.args = { a0, a1, a2, 0, 0, 0 } };
}

/*
 * mc_with_iret(list, nr): a multicall whose iret entry returns to
 * mc_after, through an iret context laid out under the call as the
 * hypercall page leaves it (pv64: iret_context with rax, r11, rcx being
 * what the page pushed; pv32: eax being the return address). mc_after
 * records rax (the multicall's result) and returns.
 */
unsigned long mc_rax;
long mc_with_iret(multicall_entry_t *list, unsigned long nr);
extern const char mc_call_ret[];
#ifdef __x86_64__
#define R11_MAGIC 0x1eafcafe1eafcafe
asm(".text\n"
    ".globl mc_with_iret, mc_call_ret\n"
    "mc_with_iret:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	mov %rsp, %rdx\n"
    "	pushq $" STR(FLAT_KERNEL_SS) "\n"
    "	push %rdx\n"                            /* rsp after the iret: back here */
    "	pushq $0x2\n"                           /* rflags: IF clear (events masked) */
    "	pushq $" STR(FLAT_KERNEL_CS) " & ~3\n"     /* RPL 0: back to kernel mode */
    "	lea mc_after(%rip), %rax\n"
    "	push %rax\n"                            /* rip */
    "	pushq $0\n"                             /* flags */
    "	movabs $" STR(R11_MAGIC) ", %r11\n"     /* the page pushes it where rax is restored from */
    "	call hypercall_page + " STR(__HYPERVISOR_multicall) " * 32\n"
    "mc_call_ret:\n"
    "	ud2\n"
    "mc_after:\n"
    "	mov %rax, mc_rax(%rip)\n"
    "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "	ret\n");
#define IRET_RESULT R11_MAGIC
/* Xen's do_multicall keeps the result in an int: that is what it returns. */
#define IRET_MC_RESULT ((unsigned long)(long)(int)R11_MAGIC)
#else
asm(".text\n"
    ".globl mc_with_iret, mc_call_ret\n"
    "mc_with_iret:\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov 20(%esp), %ebx\n"
    "	mov 24(%esp), %ecx\n"
    "	pushl $0x2\n"                           /* eflags: IF clear */
    "	pushl $" STR(FLAT_KERNEL_CS) "\n"
    "	pushl $mc_after\n"                      /* eip; eax comes from the return address */
    "	call hypercall_page + " STR(__HYPERVISOR_multicall) " * 32\n"
    "mc_call_ret:\n"
    "	ud2\n"
    "mc_after:\n"
    "	mov %eax, mc_rax\n"
    "	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	ret\n");
#define IRET_RESULT ((unsigned long)mc_call_ret)
#define IRET_MC_RESULT IRET_RESULT
#endif

/* Our vcpu_info, to see what the iret did to the event mask. */
static uint8_t vcpu_info_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static volatile struct vcpu_info *const vi = (volatile struct vcpu_info *)vcpu_info_page;

static uint8_t two_pages[2 * GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));

static void batch(void)
{
	static char extra[sizeof(xen_extraversion_t)];
	long version = HYPERVISOR_xen_version(XENVER_version, NULL);

	printf("a batch of five\n");
	entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	entry(1, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	entry(2, 60, 0, 0, 0);                                  /* no such hypercall */
	entry(3, __HYPERVISOR_xen_version, XENVER_extraversion, (unsigned long)extra, 0);
	entry(4, __HYPERVISOR_xen_version, 1000, 0, 0);
	calls[5].result = SENTINEL;
	check_rc("multicall(5 entries)", HYPERVISOR_multicall(calls, 5), 0);
	check_eq("[0] xen_version(XENVER_version)", calls[0].result, (xen_ulong_t)version);
	check_eq("[1] sched_op(SCHEDOP_yield)", calls[1].result, 0);
	check_eq("[2] hypercall 60", calls[2].result, (xen_ulong_t)-XEN_ENOSYS);
	check_eq("[3] xen_version(XENVER_extraversion)", calls[3].result, 0);
	check(extra[sizeof(extra) - 1] == 0 && strlen(extra) > 0, "    wrote the string");
	check_eq("[4] xen_version(1000)", calls[4].result, (xen_ulong_t)-XEN_ENOSYS);
	check_eq("[5] beyond nr_calls untouched", calls[5].result, SENTINEL);
	check_eq("[0] op left as it was", calls[0].op, __HYPERVISOR_xen_version);

	entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	check_rc("multicall(0 entries)", HYPERVISOR_multicall(calls, 0), 0);
	check_eq("  nothing ran", calls[0].result, SENTINEL);
#ifdef __x86_64__
	/* The whole 64-bit op is the hypercall number: this is not xen_version. */
	entry(0, (1ul << 32) | __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	check_rc("multicall(op 2^32 + xen_version)", HYPERVISOR_multicall(calls, 1), 0);
	check_eq("  -ENOSYS", calls[0].result, (xen_ulong_t)-XEN_ENOSYS);
#endif
}

static void stop_rules(void)
{
	printf("an iret ends the batch\n");
	entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	entry(1, __HYPERVISOR_iret, 0, 0, 0);
	entry(2, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_upcall_mask = 0;
	mc_rax = 0;
	mc_with_iret(calls, 3);
	uint8_t mask = vi->evtchn_upcall_mask;
	vi->evtchn_upcall_mask = 1;
	check_eq("the multicall returned through the iret with the iret's result (an int)",
		 mc_rax, IRET_MC_RESULT);
	check(calls[0].result != SENTINEL, "[0] ran");
	check_eq("[1] the iret's result", calls[1].result, (xen_ulong_t)IRET_RESULT);
	check_eq("[2] never ran", calls[2].result, SENTINEL);
	check_eq("the iret restored the event mask from IF", mask, 1);

	printf("a multicall inside a multicall\n");
	static multicall_entry_t inner[1];
	inner[0] = (multicall_entry_t){ .op = __HYPERVISOR_xen_version, .result = SENTINEL };
	entry(0, __HYPERVISOR_multicall, (unsigned long)inner, 1, 0);
	entry(1, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	check_rc("multicall([multicall, yield])", HYPERVISOR_multicall(calls, 2), 0);
	check_eq("[0] nested multicall", calls[0].result, (xen_ulong_t)-XEN_EINVAL);
	check_eq("    its entry never ran", inner[0].result, SENTINEL);
	check_eq("[1] the batch went on", calls[1].result, 0);
}

static void bad_lists(void)
{
	printf("bad lists\n");
	check_rc("multicall(hole address, 1)", HYPERVISOR_multicall((void *)HOLE_ADDR, 1),
		 -XEN_EFAULT);
#ifdef __x86_64__
	/* nr_calls is a uint32_t (xen.h): 2^32 + 1 is one call. */
	entry(0, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	entry(1, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	check_rc("multicall(list, 2^32 + 1)", HYPERVISOR_multicall(calls, (1ul << 32) + 1), 0);
	check_eq("  [0] ran", calls[0].result, 0);
	check_eq("  [1] did not", calls[1].result, SENTINEL);
#else
	check_rc("multicall(list, 2^27 - 1): count * size overflows",
		 HYPERVISOR_multicall(calls, (1ul << 27) - 1), -XEN_EFAULT);
	check_rc("multicall(list reaching the hole)",
		 HYPERVISOR_multicall((void *)(HYPERVISOR_VIRT_START_PAE - 64), 3), -XEN_EFAULT);
#endif

	/* The second entry is on a page we unmap: the first runs, then -EFAULT. */
	multicall_entry_t *list = (multicall_entry_t *)(two_pages + GUEST_PAGE_SIZE) - 1;
	unsigned long page2 = (unsigned long)two_pages + GUEST_PAGE_SIZE;
	unsigned long mfn2 = virt_to_mfn((void *)page2);
	*list = (multicall_entry_t){ .op = __HYPERVISOR_sched_op, .result = SENTINEL,
				     .args = { SCHEDOP_yield } };
	if (!check_rc("unmap the page after the first entry",
		      HYPERVISOR_update_va_mapping(page2, 0, UVMF_INVLPG), 0))
		return;
	check_rc("multicall(2 entries, the second unmapped)", HYPERVISOR_multicall(list, 2),
		 -XEN_EFAULT);
	check_eq("  the first ran", list->result, 0);
	check_rc("map the page back",
		 HYPERVISOR_update_va_mapping(page2, make_pte(mfn2, PTE_P | PTE_RW | PTE_A | PTE_D),
					      UVMF_INVLPG), 0);
}

/*
 * mmu_update and update_va_mapping(UVMF_INVLPG) in one batch: the
 * mmu_update of the page's L1 entry flushes nothing (Xen's mod_l1_entry
 * leaves that to the guest), the update_va_mapping's UVMF_INVLPG of the
 * same address does (Xen's do_update_va_mapping, run by the multicall like
 * any other call). Afterwards the old translation is gone: a read faults.
 */
static uint32_t victim[GUEST_PAGE_SIZE / 4] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint32_t other[GUEST_PAGE_SIZE / 4] __attribute__((aligned(GUEST_PAGE_SIZE)));
#define VICTIM_MARK 0x71c71c71u
#define OTHER_MARK  0x0e0e0e0eu

/* The machine address of va's L1 entry, walking from the L2 that maps the region. */
static uint64_t l1e_maddr(const struct boot_region *r, unsigned long va)
{
	const pte_t *l2 = boot_mfn_to_virt(r, r->table_mfn[2]);
	if (!l2 || !(l2[pt_index(va, 2)] & PTE_P))
		return 0;
	return (PTE_MFN(l2[pt_index(va, 2)]) << 12) + pt_index(va, 1) * sizeof(pte_t);
}

static void flush_in_batch(void)
{
	printf("mmu_update + update_va_mapping(UVMF_INVLPG) in one multicall\n");
	struct boot_region r;
	if (!check(boot_region_init(&r), "the start-of-day page tables"))
		return;
	unsigned long va = (unsigned long)victim;
	uint64_t ptr = l1e_maddr(&r, va);
	if (!check(ptr != 0, "victim's L1 entry at machine address 0x%llx", (unsigned long long)ptr))
		return;
	victim[0] = VICTIM_MARK;
	other[0] = OTHER_MARK;
	pte_t orig = make_pte(virt_to_mfn(victim), PTE_P | PTE_RW | PTE_A | PTE_D);
	check_eq("victim reads its mark (translation cached)", probe_read(victim) & 0xffffffffu,
		 VICTIM_MARK);

	/* mmu_update: victim's address maps the other frame read-only; then unmapped and flushed. */
	static mmu_update_t req;
	req.ptr = ptr | MMU_NORMAL_PT_UPDATE;
	req.val = make_pte(virt_to_mfn(other), PTE_P | PTE_A);
	static unsigned int done;
	done = 0;
	entry(0, __HYPERVISOR_mmu_update, (unsigned long)&req, 1, (unsigned long)&done);
	calls[0].args[3] = DOMID_SELF;
#ifdef __x86_64__
	entry(1, __HYPERVISOR_update_va_mapping, va, 0, UVMF_INVLPG);
#else
	entry(1, __HYPERVISOR_update_va_mapping, va, 0, 0);
	calls[1].args[3] = UVMF_INVLPG;
#endif
	check_rc("multicall(mmu_update, update_va_mapping(UVMF_INVLPG))",
		 HYPERVISOR_multicall(calls, 2), 0);
	check_rc("  mmu_update result", (long)calls[0].result, 0);
	check_eq("  mmu_update success_count", done, 1);
	check_rc("  update_va_mapping result", (long)calls[1].result, 0);
	probe_read(victim);
	check(probe_pf(0), "the old translation is gone: a read faults (#PF 0; %u faults, vector %u, "
	      "error 0x%lx)", probe_fault.count, probe_fault.vector, probe_fault.err);

	/* Again, with update_va_mapping mapping the other frame: the read sees it. */
	check_rc("map victim again", HYPERVISOR_update_va_mapping(va, orig, UVMF_INVLPG), 0);
	check_eq("victim reads its mark again", probe_read(victim) & 0xffffffffu, VICTIM_MARK);
	req.val = 0;
	entry(0, __HYPERVISOR_mmu_update, (unsigned long)&req, 1, (unsigned long)&done);
	calls[0].args[3] = DOMID_SELF;
	pte_t to_other = make_pte(virt_to_mfn(other), PTE_P | PTE_A);
#ifdef __x86_64__
	entry(1, __HYPERVISOR_update_va_mapping, va, to_other, UVMF_INVLPG);
#else
	entry(1, __HYPERVISOR_update_va_mapping, va, (uint32_t)to_other, (uint32_t)(to_other >> 32));
	calls[1].args[3] = UVMF_INVLPG;
#endif
	check_rc("multicall(mmu_update: unmap, update_va_mapping(other frame, UVMF_INVLPG))",
		 HYPERVISOR_multicall(calls, 2), 0);
	check_rc("  results", (long)(calls[0].result | calls[1].result), 0);
	check_eq("victim's address reads the other frame", probe_read(victim) & 0xffffffffu,
		 OTHER_MARK);
	check_rc("map victim back", HYPERVISOR_update_va_mapping(va, orig, UVMF_INVLPG), 0);
	check_eq("victim reads its mark", probe_read(victim) & 0xffffffffu, VICTIM_MARK);
}

void guest_main(void)
{
	printf("multicall test (" GUEST_MODE ")\n");
	struct vcpu_register_vcpu_info info = { .mfn = virt_to_mfn(vcpu_info_page) };
	if (!check_rc("VCPUOP_register_vcpu_info",
		      HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &info), 0))
		fail_now("no vcpu_info");
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_pending_sel = 0;

	batch();
	stop_rules();
	bad_lists();
	mmu_probes_init();
	probe_set_vcpu_info(vi);
	check_rc("set_trap_table", traps_install(), 0);
	flush_in_batch();
}
