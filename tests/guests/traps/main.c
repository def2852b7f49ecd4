/* traps — set_trap_table, stack_switch, vcpu_info, and the exception frames Xen delivers. */
#include "guest.h"
#include "traps.h"

const char guest_name[] = "traps";

/*
 * Expected frames (see README.md for the Xen/Linux sources):
 *   pv64: rcx, r11, [err], rip, cs, rflags, rsp, ss at (interrupted rsp & ~15) - size;
 *         cs is the kernel CS with RPL cleared (0xe030): "kernel context".
 *   pv32: [err], eip, cs, eflags directly below the interrupted esp; cs 0xe019.
 * cs bits 32-39 (pv64) / 16-23 (pv32) = saved_upcall_mask; rflags.IF = !mask.
 */
#ifdef __x86_64__
#define FRAME_CS     (FLAT_KERNEL_CS64 & ~3)
#else
#define FRAME_CS     FLAT_KERNEL_CS
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

#define GP_SELECTOR  0x0043	/* GDT index 8, never set up: #GP(0x40) */
#define PF_ADDR      0x12345678	/* below the image, never mapped */
#define PF_ERR_WRITE 0x2	/* x86 #PF error code W/R bit */
#ifdef __x86_64__
#define RAX_MAGIC    0x5ca1ab1e5ca1ab1e
#define RCX_MAGIC    0x0c0ffee00c0ffee0
#define R11_MAGIC    0x1eafcafe1eafcafe
#define BX           "%rbx"
#else
#define RAX_MAGIC    0x5ca1ab1e
#define RCX_MAGIC    0x0c0ffee0
#define BX           "%ebx"
#endif

/*
 * trig_<name>(): load known values into rax/rcx/r11, record the stack
 * pointer, fault at trig_<name>_insn, and (once the handler has moved the
 * saved rip there) record the registers at trig_<name>_resume. pad shifts
 * rsp by 8 so pv64 sees both stack alignments.
 */
#ifdef __x86_64__
#define TRIGGER(name, pad, setup, insn)					\
	asm(".text\n"							\
	    ".globl trig_" #name ", trig_" #name "_insn, trig_" #name "_resume\n" \
	    "trig_" #name ":\n"						\
	    "	push %rbx\n"						\
	    "	push %rbp\n"						\
	    "	sub $" #pad ", %rsp\n"					\
	    "	movabs $" STR(RAX_MAGIC) ", %rax\n"			\
	    "	movabs $" STR(RCX_MAGIC) ", %rcx\n"			\
	    "	movabs $" STR(R11_MAGIC) ", %r11\n"			\
	    "	" setup "\n"						\
	    "	mov %rsp, trig_sp(%rip)\n"				\
	    "trig_" #name "_insn:\n"					\
	    "	" insn "\n"						\
	    "trig_" #name "_resume:\n"					\
	    "	mov %rax, trig_rax_after(%rip)\n"			\
	    "	mov %rcx, trig_rcx_after(%rip)\n"			\
	    "	mov %r11, trig_r11_after(%rip)\n"			\
	    "	add $" #pad ", %rsp\n"					\
	    "	pop %rbp\n"						\
	    "	pop %rbx\n"						\
	    "	ret\n")
#else
#define TRIGGER(name, pad, setup, insn)					\
	asm(".text\n"							\
	    ".globl trig_" #name ", trig_" #name "_insn, trig_" #name "_resume\n" \
	    "trig_" #name ":\n"						\
	    "	push %ebx\n"						\
	    "	push %ebp\n"						\
	    "	sub $" #pad ", %esp\n"					\
	    "	mov $" STR(RAX_MAGIC) ", %eax\n"			\
	    "	mov $" STR(RCX_MAGIC) ", %ecx\n"			\
	    "	" setup "\n"						\
	    "	mov %esp, trig_sp\n"					\
	    "trig_" #name "_insn:\n"					\
	    "	" insn "\n"						\
	    "trig_" #name "_resume:\n"					\
	    "	mov %eax, trig_rax_after\n"				\
	    "	mov %ecx, trig_rcx_after\n"				\
	    "	add $" #pad ", %esp\n"					\
	    "	pop %ebp\n"						\
	    "	pop %ebx\n"						\
	    "	ret\n")
#endif

TRIGGER(de, 8, "xor %ebx, %ebx; xor %edx, %edx", "div %ebx");
TRIGGER(ud, 0, "", "ud2");
TRIGGER(gp, 8, "mov $" STR(GP_SELECTOR) ", %ebx", "mov %bx, %fs");
TRIGGER(pf, 0, "mov $" STR(PF_ADDR) ", %ebx", "mov (" BX "), %edx");
TRIGGER(pfw, 8, "mov $" STR(PF_ADDR) ", %ebx", "movl $0, (" BX ")");

#define DECLARE_TRIGGER(name) \
	void trig_##name(void); extern const char trig_##name##_insn[], trig_##name##_resume[]
DECLARE_TRIGGER(de);
DECLARE_TRIGGER(ud);
DECLARE_TRIGGER(gp);
DECLARE_TRIGGER(pf);
DECLARE_TRIGGER(pfw);

/* Written by the triggers. */
unsigned long trig_sp, trig_rax_after, trig_rcx_after, trig_r11_after;

struct trap_test {
	const char *what;
	void (*trigger)(void);
	const char *insn, *resume;
	unsigned int vector;
	bool has_err;
	unsigned long err;
	uint8_t mask_before;	/* evtchn_upcall_mask when the fault happens */
	bool plain_iret;	/* pv32: leave with iret instead of HYPERVISOR_iret */
};

static const struct trap_test tests[] = {
	{ "#DE: div by zero", trig_de, trig_de_insn, trig_de_resume,
	  0, false, 0, 1, true },
	{ "#UD: ud2, events unmasked", trig_ud, trig_ud_insn, trig_ud_resume,
	  6, false, 0, 0, false },
	{ "#GP: mov to %fs of selector " STR(GP_SELECTOR) " (empty GDT slot)",
	  trig_gp, trig_gp_insn, trig_gp_resume,
	  13, true, GP_SELECTOR & ~3, 1, false },
	{ "#PF: read of unmapped " STR(PF_ADDR) ", events unmasked",
	  trig_pf, trig_pf_insn, trig_pf_resume,
	  14, true, 0, 0, false },
	{ "#PF: write to unmapped " STR(PF_ADDR), trig_pfw, trig_pfw_insn, trig_pfw_resume,
	  14, true, PF_ERR_WRITE, 1, true },
};

/* Vectors whose trap_info has the IF flag: Xen masks events on entry. */
static bool vector_masks_events(unsigned int vector)
{
	return vector == 13 || vector == 14;
}

/* Our own vcpu_info, placed by VCPUOP_register_vcpu_info. */
#define VCPU_INFO_OFFSET 0x140
static uint8_t vcpu_info_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
static volatile struct vcpu_info *const vi =
	(volatile struct vcpu_info *)(vcpu_info_page + VCPU_INFO_OFFSET);

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

/* What the handler saw. */
static const struct trap_test *current_test;
static struct {
	unsigned int count;
	struct trap_ctx t;
	uint8_t mask_in_handler;
	unsigned long cr2;
	unsigned long handler_cs;
} seen;

static unsigned long read_cs(void)
{
	unsigned long cs = 0;

	asm volatile("mov %%cs, %w0" : "+r"(cs));
	return cs;
}

static void on_trap(struct trap_ctx *t)
{
	seen.count++;
	seen.t = *t;
	seen.mask_in_handler = vi->evtchn_upcall_mask;
	seen.cr2 = vi->arch.cr2;
	seen.handler_cs = read_cs();
	if (!current_test || seen.count > 1 || t->vector != current_test->vector)
		fail_now("unexpected %s at rip 0x%lx (error code 0x%lx)",
			 trap_name(t->vector), t->rip, t->err);
	*t->rip_slot = (unsigned long)current_test->resume;
	t->iret_hypercall = !current_test->plain_iret;
}

static void run(const struct trap_test *tt)
{
	const struct trap_ctx *t = &seen.t;
	bool masks = vector_masks_events(tt->vector);

	printf("%s\n", tt->what);
	memset(&seen, 0, sizeof(seen));
	trig_rax_after = trig_rcx_after = trig_r11_after = 0;

	vi->evtchn_upcall_pending = 0;	/* nothing is bound: nothing to deliver */
	vi->evtchn_upcall_mask = tt->mask_before;
	current_test = tt;
	tt->trigger();
	current_test = NULL;
	uint8_t mask_after = vi->evtchn_upcall_mask;
	vi->evtchn_upcall_mask = 1;

	if (!check_eq("traps taken", seen.count, 1))
		return;
	check_eq("vector", t->vector, tt->vector);
	check_eq("frame rip (the faulting instruction)", t->rip, (unsigned long)tt->insn);
	if (tt->has_err)
		check_eq("frame error code", t->err, tt->err);
	check_eq("frame cs selector", t->cs, FRAME_CS);
	check_eq("frame saved_upcall_mask", t->saved_upcall_mask, tt->mask_before);
	check(((t->rflags >> 9) & 1) == !tt->mask_before && (t->rflags & 0x3000) == 0 &&
	      (t->rflags & 0x2),
	      "frame rflags 0x%lx: IF = !saved_upcall_mask = %d, IOPL 0, bit 1 set",
	      t->rflags, !tt->mask_before);
#ifdef __x86_64__
	check_eq("frame rcx (value before the fault)", t->rcx, RCX_MAGIC);
	check_eq("frame r11 (value before the fault)", t->r11, R11_MAGIC);
	check_eq("frame rsp (rsp at the fault)", t->rsp, trig_sp);
	check_eq("frame ss", t->ss & 0xffff, FLAT_KERNEL_SS64);
	check_eq("frame top (16-byte aligned rsp at the fault)", t->frame_top, trig_sp & ~15ul);
#else
	check_eq("frame top (esp at the fault: ring 1 -> 1, no esp/ss)", t->frame_top, trig_sp);
#endif
	if (!pvm64_cannot("handler's cs", PVM_SELECTORS))
		check_eq("handler runs with cs", seen.handler_cs, FLAT_KERNEL_CS);
	check_eq("evtchn_upcall_mask in handler", seen.mask_in_handler, tt->mask_before | masks);
	if (tt->vector == 14)
		check_eq("vcpu_info.arch.cr2", seen.cr2, PF_ADDR);
	check_eq("rax after return", trig_rax_after, RAX_MAGIC);
	check_eq("rcx after return", trig_rcx_after, RCX_MAGIC);
#ifdef __x86_64__
	check_eq("r11 after return", trig_r11_after, R11_MAGIC);
#endif
	check_eq("evtchn_upcall_mask after return", mask_after, tt->mask_before);
}

void guest_main(void)
{
	printf("traps test (" GUEST_MODE ")\n");

	trap_set_handler(0, on_trap, vector_masks_events(0));
	trap_set_handler(6, on_trap, vector_masks_events(6));
	trap_set_handler(13, on_trap, vector_masks_events(13));
	trap_set_handler(14, on_trap, vector_masks_events(14));
	check_rc("set_trap_table", traps_install(), 0);
	check_rc("stack_switch(FLAT_KERNEL_SS, kernel stack top)",
		 HYPERVISOR_stack_switch(FLAT_KERNEL_SS,
					 (unsigned long)kernel_stack + sizeof(kernel_stack)), 0);

	struct vcpu_register_vcpu_info info = {
		.mfn = virt_to_mfn(vcpu_info_page),
		.offset = VCPU_INFO_OFFSET,
	};
	printf("vcpu_info at %p: pfn 0x%lx mfn 0x%llx offset 0x%x\n", (void *)vi,
	       virt_to_pfn(vcpu_info_page), (unsigned long long)info.mfn, info.offset);
	if (!check_rc("VCPUOP_register_vcpu_info", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info,
								      0, &info), 0))
		fail_now("no vcpu_info: cannot check cr2 and event masks");
	/* Xen copies the old vcpu_info (the builder masked events) and marks all pending. */
	check_eq("vcpu_info.evtchn_upcall_mask after registration", vi->evtchn_upcall_mask, 1);
	check_eq("vcpu_info.evtchn_upcall_pending after registration",
		 vi->evtchn_upcall_pending, 1);
	check_eq("vcpu_info.evtchn_pending_sel after registration",
		 vi->evtchn_pending_sel, (xen_ulong_t)~0ul);
	vi->evtchn_pending_sel = 0;

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		run(&tests[i]);
}
