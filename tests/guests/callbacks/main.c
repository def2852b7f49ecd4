/* callbacks — callback_op and set_callbacks (errors as Xen's), faults on the way back to the guest, the failsafe callback. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "mmu.h"
#include "traps.h"

const char guest_name[] = "callbacks";


#ifdef __x86_64__
#define NONCANONICAL 0x0000800000000000ul
#define RAX_MAGIC    0x5ca1ab1e5ca1ab1e
#define RCX_MAGIC    0x0c0ffee00c0ffee0
#define R11_MAGIC    0x1eafcafe1eafcafe
#define BAD_CS       0x0008     /* GDT slot 1 (empty), RPL 0: iret to 0x000b faults */
#define FRAME_WORDS  1          /* no failsafe frames on pv64 */
#else
#define RAX_MAGIC    0x5ca1ab1e
#define BAD_CS       0x0009     /* GDT slot 1 (empty), RPL 1 */
#define FRAME_WORDS  7          /* failsafe: ds, es, fs, gs, eip, cs, eflags (ring 1 to ring 1) */
#endif

/*
 * trig_bad_iret(cs): HYPERVISOR_iret to bad_iret_target with that cs,
 * which the CPU refuses: Xen 4.17 reports the #GP as the guest's, at the
 * iret's target. The #GP handler resumes at iret_resume, which returns 2
 * from the trigger.
 *
 * trig_seg_reload(fs, gs, calls, nr) (pv32): load %fs and %gs, then run a
 * multicall (update_descriptor calls that make those descriptors not
 * present): the stub's return from it reloads the selectors and faults,
 * and the failsafe callback runs. failsafe_entry records the frame
 * (fs_frame) and the registers on entry (fs_entry), then returns 1 from
 * the trigger.
 */
unsigned long fs_saved_sp, fs_target_sp;
unsigned long fs_frame[FRAME_WORDS];
unsigned long fs_entry[5];      /* pv32: gs, fs, es, ds, eax */
long trig_bad_iret(unsigned long cs);
long trig_seg_reload(unsigned long fs, unsigned long gs, multicall_entry_t *calls,
		     unsigned long nr);
void failsafe_entry(void);
extern const char bad_iret_target[], iret_resume[];

#ifdef __x86_64__
asm(".text\n"
    ".globl trig_bad_iret, failsafe_entry, bad_iret_target, iret_resume\n"
    "trig_bad_iret:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	mov %rsp, fs_saved_sp(%rip)\n"
    "	lea -256(%rsp), %rax\n"
    "	mov %rax, fs_target_sp(%rip)\n"
    "	pushq $" STR(FLAT_KERNEL_SS) "\n"
    "	push %rax\n"                            /* rsp */
    "	pushq $0x202\n"                         /* rflags: IF */
    "	push %rdi\n"                            /* cs */
    "	lea bad_iret_target(%rip), %rax\n"
    "	push %rax\n"                            /* rip */
    "	pushq $0\n"                             /* flags */
    "	movabs $" STR(RAX_MAGIC) ", %rax\n"
    "	movabs $" STR(RCX_MAGIC) ", %rcx\n"
    "	movabs $" STR(R11_MAGIC) ", %r11\n"
    "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n"
    "bad_iret_target:\n"
    "	ud2\n"
    "iret_resume:\n"
    "	mov fs_saved_sp(%rip), %rsp\n"
    "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "	mov $2, %eax\n"
    "	ret\n"
    "failsafe_entry:\n"
    "	ud2\n");

long trig_seg_reload(unsigned long fs, unsigned long gs, multicall_entry_t *calls,
		     unsigned long nr)
{
	(void)fs; (void)gs; (void)calls; (void)nr;
	return 0;
}
#else
asm(".text\n"
    ".globl trig_bad_iret, trig_seg_reload, failsafe_entry, bad_iret_target, iret_resume\n"
    "trig_bad_iret:\n"
    "	mov 4(%esp), %ecx\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov %esp, fs_saved_sp\n"
    "	pushl $0x202\n"                         /* eflags: IF */
    "	push %ecx\n"                            /* cs */
    "	pushl $bad_iret_target\n"               /* eip */
    "	mov %esp, fs_target_sp\n"
    "	addl $12, fs_target_sp\n"               /* esp after the iret */
    "	mov $" STR(RAX_MAGIC) ", %eax\n"
    "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n"
    "bad_iret_target:\n"
    "	ud2\n"
    "iret_resume:\n"
    "	mov fs_saved_sp, %esp\n"
    "	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	mov $2, %eax\n"
    "	ret\n"
    "trig_seg_reload:\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov %esp, fs_saved_sp\n"
    "	mov 20(%esp), %eax\n"
    "	mov %eax, %fs\n"
    "	mov 24(%esp), %eax\n"
    "	mov %eax, %gs\n"
    "	mov 28(%esp), %ebx\n"                   /* multicall(calls, nr) */
    "	mov 32(%esp), %ecx\n"
    "	call hypercall_page + " STR(__HYPERVISOR_multicall) " * 32\n"
    "	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	xor %eax, %eax\n"                       /* no failsafe: return 0 */
    "	ret\n"
    /* Only %ss is sure to work until %ds is reloaded. */
    "failsafe_entry:\n"
    "	push %eax\n"
    "	mov %ds, %eax; push %eax\n"
    "	mov %es, %eax; push %eax\n"
    "	mov %fs, %eax; push %eax\n"
    "	mov %gs, %eax; push %eax\n"
    "	mov $" STR(FLAT_KERNEL_DS) ", %eax\n"
    "	mov %eax, %ds\n"
    "	mov %eax, %es\n"
    "	cld\n"
    "	mov %esp, %esi\n"
    "	mov $fs_entry, %edi\n"
    "	mov $5, %ecx\n"
    "	rep movsl\n"
    "	mov $fs_frame, %edi\n"
    "	mov $" STR(FRAME_WORDS) ", %ecx\n"
    "	rep movsl\n"
    "	mov fs_saved_sp, %esp\n"
    "	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	mov $1, %eax\n"
    "	ret\n");
#endif

static void unexpected_upcall(void)
{
	fail_now("unexpected event upcall");
}

/* Our vcpu_info, to watch evtchn_upcall_mask. */
#define VCPU_INFO_OFFSET 0x100
static uint8_t vcpu_info_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static volatile struct vcpu_info *const vi =
	(volatile struct vcpu_info *)(vcpu_info_page + VCPU_INFO_OFFSET);

static long reg(unsigned type, unsigned flags, unsigned long address)
{
	struct callback_register r = { .type = type, .flags = flags };
#ifdef __x86_64__
	r.address = address;
#else
	r.address.cs = FLAT_KERNEL_CS;
	r.address.eip = address;
#endif
	return HYPERVISOR_callback_op(CALLBACKOP_register, &r);
}

static long unreg(unsigned type)
{
	struct callback_unregister u = { .type = type };
	return HYPERVISOR_callback_op(CALLBACKOP_unregister, &u);
}

static void callback_op_errors(void)
{
	unsigned long ok = (unsigned long)unexpected_upcall;

	printf("callback_op\n");
	check_rc("register event", reg(CALLBACKTYPE_event, 0, ok), 0);
	check_rc("register failsafe", reg(CALLBACKTYPE_failsafe, 0, (unsigned long)failsafe_entry), 0);
#ifdef __x86_64__
	check_rc("register syscall", reg(CALLBACKTYPE_syscall, CALLBACKF_mask_events, ok), 0);
#else
	check_rc("register syscall (64-bit only)", reg(CALLBACKTYPE_syscall, 0, ok), -XEN_ENOSYS);
#endif
	check_rc("register syscall32", reg(CALLBACKTYPE_syscall32, 0, ok), 0);
	/* Xen accepts it; xenner does not deliver SYSENTER and refuses it (docs/architecture.md). */
	check_rc("register sysenter (not supported: refused)", reg(CALLBACKTYPE_sysenter, 0, ok), -XEN_ENOSYS);
	check_rc("register nmi", reg(CALLBACKTYPE_nmi, 0, ok), 0);
	check_rc("register type 3 (sysenter_deprecated)", reg(3, 0, ok), -XEN_ENOSYS);
	check_rc("register type 6", reg(6, 0, ok), -XEN_ENOSYS);
#ifdef __x86_64__
	/* The address is checked first, whatever the type. */
	check_rc("register event at a non-canonical address", reg(CALLBACKTYPE_event, 0, NONCANONICAL),
		 -XEN_EINVAL);
	check_rc("register type 6 at a non-canonical address", reg(6, 0, NONCANONICAL), -XEN_EINVAL);
#endif
	check_rc("unregister event", unreg(CALLBACKTYPE_event), -XEN_EINVAL);
	check_rc("unregister failsafe", unreg(CALLBACKTYPE_failsafe), -XEN_EINVAL);
#ifdef __x86_64__
	check_rc("unregister syscall", unreg(CALLBACKTYPE_syscall), -XEN_EINVAL);
#else
	check_rc("unregister syscall", unreg(CALLBACKTYPE_syscall), -XEN_ENOSYS);
#endif
	check_rc("unregister syscall32", unreg(CALLBACKTYPE_syscall32), -XEN_EINVAL);
	check_rc("unregister sysenter", unreg(CALLBACKTYPE_sysenter), -XEN_EINVAL);
	check_rc("unregister nmi", unreg(CALLBACKTYPE_nmi), 0);
	check_rc("unregister type 6", unreg(6), -XEN_ENOSYS);

	struct callback_register r = { .type = CALLBACKTYPE_event };
#ifdef __x86_64__
	check_rc("callback_op cmd 2", HYPERVISOR_callback_op(2, &r), -XEN_ENOSYS);
#else
	check_rc("callback_op cmd 2 (compat: -EINVAL)", HYPERVISOR_callback_op(2, &r), -XEN_EINVAL);
#endif
	check_rc("register from a hole address",
		 HYPERVISOR_callback_op(CALLBACKOP_register, (void *)HOLE_ADDR), -XEN_EFAULT);
	check_rc("unregister from an unmapped address",
		 HYPERVISOR_callback_op(CALLBACKOP_unregister, (void *)0x12345000ul), -XEN_EFAULT);

#ifdef __x86_64__
	check_rc("set_callbacks(event, failsafe, syscall)",
		 HYPERVISOR_set_callbacks(ok, (unsigned long)failsafe_entry, ok), 0);
	check_rc("set_callbacks with a non-canonical address (ignored, still 0)",
		 HYPERVISOR_set_callbacks(ok, (unsigned long)failsafe_entry, NONCANONICAL), 0);
#else
	check_rc("set_callbacks(cs, event, cs, failsafe)",
		 HYPERVISOR_set_callbacks(FLAT_KERNEL_CS, ok, FLAT_KERNEL_CS,
					  (unsigned long)failsafe_entry), 0);
#endif
}

#ifdef __i386__
/*
 * Distinct selectors in the data segment registers, so the failsafe frame
 * shows which is which (readable code segments load too).
 */
#define TEST_ES FLAT_RING3_CS
#define TEST_FS FLAT_RING1_CS
#define TEST_GS FLAT_RING3_DS

static void load_segs(unsigned long es, unsigned long fs, unsigned long gs)
{
	asm volatile("mov %0, %%es; mov %1, %%fs; mov %2, %%gs" : : "r"(es), "r"(fs), "r"(gs));
}

static unsigned long read_seg(int which)
{
	unsigned long v = 0;
	switch (which) {
	case 0: asm volatile("mov %%ds, %0" : "=r"(v)); break;
	case 1: asm volatile("mov %%es, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%fs, %0" : "=r"(v)); break;
	default: asm volatile("mov %%gs, %0" : "=r"(v)); break;
	}
	return v & 0xffff;
}
#endif

/* What the #GP handler saw. */
static struct {
	unsigned count;
	struct trap_ctx t;
	unsigned long ax;
} gp;

static void on_gp(struct trap_ctx *t)
{
	gp.count++;
	gp.t = *t;
#ifdef __x86_64__
	gp.ax = t->regs->rax;
#else
	gp.ax = t->regs->eax;
#endif
	t->rip_slot[0] = (unsigned long)iret_resume;
#ifdef __x86_64__
	t->rip_slot[1] = FLAT_KERNEL_CS & ~3;
#else
	t->rip_slot[1] = FLAT_KERNEL_CS;
#endif
}

/*
 * A bad iret: the #GP is the guest's, at the iret's target (Xen 4.17; the
 * failsafe callback, registered here, is not involved).
 */
static void bad_iret(void)
{
	if (pvm_cannot("a faulting iret", "its emulator checks a code descriptor's P bit before "
		       "its type: #NP where x86 gives #GP"))
		return;
	printf("a faulting iret (cs 0x%x): #GP at its target\n", BAD_CS);
	check_rc("register failsafe (mask events)",
		 reg(CALLBACKTYPE_failsafe, CALLBACKF_mask_events, (unsigned long)failsafe_entry), 0);
	memset(&gp, 0, sizeof(gp));
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_upcall_mask = 1;

	long how = trig_bad_iret(BAD_CS);
	uint8_t mask = vi->evtchn_upcall_mask;
	vi->evtchn_upcall_mask = 1;
	if (!check_eq("resumed from the #GP handler", how, 2) || !check_eq("#GP taken", gp.count, 1))
		return;
	const struct trap_ctx *t = &gp.t;
	check_eq("#GP error code (the selector)", t->err, BAD_CS & ~3);
	check_eq("frame rip (the iret's target)", t->rip, (unsigned long)bad_iret_target);
	/* Kernel context: RPL cleared on pv64 (0x000b -> 0x0008), as in any bounce frame. */
	check_eq("frame cs (selector, saved_upcall_mask 0)", t->cs_word, BAD_CS);
	check_eq("frame rflags (IF: events were unmasked by the iret)", t->rflags, 0x202);
#ifdef __x86_64__
	check_eq("frame rcx (restored by the iret)", t->rcx, RCX_MAGIC);
	check_eq("frame r11 (restored by the iret)", t->r11, R11_MAGIC);
	check_eq("frame rsp (the iret's target)", t->rsp, fs_target_sp);
	check_eq("frame ss", t->ss, FLAT_KERNEL_SS);
	check_eq("rax (restored by the iret)", gp.ax, RAX_MAGIC);
#else
	check_eq("frame above the iret's target esp", t->frame_top, fs_target_sp);
	check_eq("eax (restored by the iret)", gp.ax, RAX_MAGIC);
#endif
	check_eq("evtchn_upcall_mask (the iret's, #GP handler leaves it)", mask, 0);
}

#ifdef __i386__
/*
 * pv32: the stub reloads %ds-%gs on the way back; selectors whose
 * descriptors went away in the meantime fault there. As Xen's
 * load_segments(): those load NUL, the others stay, and the failsafe
 * callback gets the selectors that were meant.
 */
#define SEL_A 0x41              /* GDT entries 8 and 9, RPL 1 */
#define SEL_B 0x49
static uint64_t gdt_page[512] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t gdt_maddr;
static multicall_entry_t calls[2];

static bool gdt_setup(void)
{
	unsigned long va = (unsigned long)gdt_page;
	unsigned long mfn = virt_to_mfn(gdt_page);
	/* A GDT frame may not be writable: map it read-only first. */
	if (!check_rc("map the GDT page read-only",
		      HYPERVISOR_update_va_mapping(va, make_pte(mfn, PTE_P | PTE_A), UVMF_INVLPG), 0))
		return false;
	gdt_maddr = (uint64_t)mfn << 12;
	return check_rc("set_gdt(1 frame, 512 entries)", HYPERVISOR_set_gdt(&mfn, 512), 0);
}

static bool set_desc(unsigned sel, uint64_t desc)
{
	return HYPERVISOR_update_descriptor(gdt_maddr + (sel & ~7u), desc) == 0;
}

static void remove_desc_entry(unsigned i, unsigned sel)
{
	uint64_t ma = gdt_maddr + (sel & ~7u);
	calls[i] = (multicall_entry_t){ .op = __HYPERVISOR_update_descriptor,
					.args = { (uint32_t)ma, (uint32_t)(ma >> 32), 0, 0 } };
}

static void failsafe_segment_reload(unsigned fs, unsigned gs, unsigned nr_bad)
{
	const uint64_t flat_ds = 0x00cfb3000000ffffull;     /* base 0, 4 GiB, data RW, DPL 1 */
	printf("failsafe on segment reloads (%%fs 0x%x, %%gs 0x%x, %u descriptor%s removed)\n",
	       fs, gs, nr_bad, nr_bad > 1 ? "s" : "");
	check_rc("register failsafe (mask events)",
		 reg(CALLBACKTYPE_failsafe, CALLBACKF_mask_events, (unsigned long)failsafe_entry), 0);
	check(set_desc(SEL_A, flat_ds) && set_desc(SEL_B, flat_ds),
	      "update_descriptor(entries 8, 9: flat data, DPL 1)");
	remove_desc_entry(0, fs);
	remove_desc_entry(1, gs);
	unsigned long old[4], segs[4];
	for (int i = 0; i < 4; i++)
		old[i] = read_seg(i);
	load_segs(TEST_ES, TEST_FS, TEST_GS);
	segs[0] = read_seg(0);
	segs[1] = read_seg(1);
	memset(fs_frame, 0, sizeof(fs_frame));
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_upcall_mask = 0;

	long ran = trig_seg_reload(fs, gs, calls, nr_bad);
	uint8_t mask = vi->evtchn_upcall_mask;
	vi->evtchn_upcall_mask = 1;
	load_segs(old[1], old[2], old[3]);
	if (!check_eq("failsafe callback ran", ran, 1))
		return;
	const unsigned long *f = fs_frame, *e = fs_entry;
	check_eq("eax in the handler (the multicall's result)", e[4], 0);
	check_eq("%ds in the handler", e[3], segs[0]);
	check_eq("%es in the handler", e[2], segs[1]);
	check_eq("%fs in the handler (refused: NUL)", e[1], 0);
	check_eq("%gs in the handler", e[0], nr_bad > 1 ? 0 : gs);
	check_eq("frame ds", f[0], segs[0]);
	check_eq("frame es", f[1], segs[1]);
	check_eq("frame fs (meant)", f[2], fs);
	check_eq("frame gs (meant)", f[3], gs);
	check_eq("frame eip (after int $0x82 in the hypercall page)", f[4],
		 (unsigned long)hypercall_page + __HYPERVISOR_multicall * 32 + 7);
	check_eq("frame cs (saved_upcall_mask 0)", f[5], FLAT_KERNEL_CS);
	check_eq("frame eflags has IF", (f[6] >> 9) & 1, 1);
	check_eq("evtchn_upcall_mask (CALLBACKF_mask_events)", mask, 1);
}
#endif

void guest_main(void)
{
	printf("callbacks test (" GUEST_MODE ")\n");

	struct vcpu_register_vcpu_info info = {
		.mfn = virt_to_mfn(vcpu_info_page),
		.offset = VCPU_INFO_OFFSET,
	};
	if (!check_rc("VCPUOP_register_vcpu_info",
		      HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &info), 0))
		fail_now("no vcpu_info");
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_pending_sel = 0;

	callback_op_errors();
	trap_set_handler(13, on_gp, false);
	check_rc("set_trap_table", traps_install(), 0);
	bad_iret();
#ifdef __i386__
	if (gdt_setup()) {
		failsafe_segment_reload(SEL_A, TEST_GS, 1);
		failsafe_segment_reload(SEL_A, SEL_B, 2);
		check_rc("set_gdt(none)", HYPERVISOR_set_gdt(NULL, 0), 0);
	}
#endif
}
