/* usermode — guest user mode and back: exceptions, int $n and syscall from ring 3; more kernel-mode vectors. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "mmu.h"
#include "traps.h"

const char guest_name[] = "usermode";

/*
 * Every expected value is Xen 4.17's:
 *  - frames: create_bounce_frame (x86_64/entry.S) and
 *    compat_create_bounce_frame (x86_64/compat/entry.S). From user mode the
 *    frame goes to the stack_switch stack: pv64 at kernel_sp & ~15 with the
 *    user cs (RPL 3 kept), pv32 at kernel_sp with esp/ss as the last words;
 *  - int $n: do_general_protection (traps.c): delivered when the trap-table
 *    DPL permits (permit_softint: >= 1 from kernel, 3 from user), else
 *    #GP((n << 3) | 2) at the int; int3/into come through their own gates
 *    and the guest's DPL for them is not checked;
 *  - #PF: pv_inject_event (pv/traps.c) sets the U bit from the guest mode;
 *  - pv64 syscall from user mode: lstar_enter/switch_to_kernel
 *    (x86_64/entry.S): the syscall callback, #UD at the syscall without one,
 *    DF cleared; create_bounce_frame clears AC; HYPERVISOR_iret with
 *    VGCF_in_syscall returns through sysret (rcx = rip, r11 = rflags);
 *  - HYPERVISOR_iret to an RPL-3 cs switches to user mode
 *    (pv/iret.c), which on pv64 needs MMUEXT_NEW_USER_BASEPTR first.
 */
#define STR_(x) #x
#define STR(x) STR_(x)

#define PF_ADDR     0x12345678
#define GP_SELECTOR 0x43        /* GDT slot 8, never set up: #GP(0x40) */
#define SOFTINT_OK  0x80        /* trap-table DPL 3 */
#define SOFTINT_DPL0 0x81       /* trap-table DPL 0: #GP from user and kernel */
#define EFLAGS_IF   0x200ul
#define EFLAGS_DF   0x400ul
#define EFLAGS_IOPL 0x3000ul
#define EFLAGS_AC   0x40000ul
#define PFEC_USER   0x4

#ifdef __x86_64__
#define USER_CS      FLAT_USER_CS64
#define USER_SS      FLAT_USER_SS64
#define KFRAME_CS    (FLAT_KERNEL_CS64 & ~3)    /* "kernel context" in a frame */
#define NONCANONICAL 0x0000800000000000ul
#define RAX_MAGIC    0x5ca1ab1e5ca1ab1e
#define RCX_MAGIC    0x0c0ffee00c0ffee0
#define R11_MAGIC    0x1eafcafe1eafcafe
#define SYS_RET      0x5ca1ab1e0000cafe
#else
#define USER_CS      FLAT_USER_CS
#define USER_SS      FLAT_USER_SS
#define KFRAME_CS    FLAT_KERNEL_CS
#define RAX_MAGIC    0x5ca1ab1e
#endif

/* Pages user mode may touch: code (read-only) and stack/data. */
extern char user_text_start[], user_text_end[];
static uint8_t user_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
#ifdef __i386__
static uint8_t kernel_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
#else
static uint64_t user_l4[512] __attribute__((aligned(GUEST_PAGE_SIZE)));
#endif
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
#define KSTACK_TOP ((unsigned long)kernel_stack + sizeof(kernel_stack))

/* Our vcpu_info (cr2, evtchn_upcall_mask); the syscall callback reads it from asm. */
#define VCPU_INFO_OFFSET 0x140
static uint8_t vcpu_info_page[GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));
volatile struct vcpu_info *usermode_vi =
	(volatile struct vcpu_info *)(vcpu_info_page + VCPU_INFO_OFFSET);
#define vi usermode_vi
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 1, "mask at byte 1");

/*
 * guarded_run(fn, user): save the callee-saved registers and the stack
 * pointer, then call fn in kernel mode (user 0) or HYPERVISOR_iret to it
 * in user mode (user 1: cs USER_CS, ss USER_SS, sp user_sp, IF set).
 * Returns 0 if fn returns, 1 when a handler resumes at guard_return (in
 * kernel mode, any stack). int80_entry, the handler of the software
 * interrupt vectors, copies its frame to int80_frame and does that.
 */
long guarded_run(void (*fn)(void), long user);
void int80_entry(void);
extern const char guard_return[];
unsigned long guard_sp, user_sp;
unsigned long int80_frame[7], int80_sp, int80_count;

#ifdef __x86_64__
asm(".text\n"
    ".globl guarded_run, guard_return, int80_entry\n"
    "guarded_run:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	mov %rsp, guard_sp(%rip)\n"
    "	test %rsi, %rsi\n"
    "	jnz 1f\n"
    "	call *%rdi\n"
    "	xor %eax, %eax\n"
    "	jmp 2f\n"
    "1:	pushq $" STR(USER_SS) "\n"
    "	pushq user_sp(%rip)\n"
    "	pushq $0x202\n"
    "	pushq $" STR(USER_CS) "\n"
    "	push %rdi\n"
    "	pushq $0\n"                         /* flags: not VGCF_in_syscall */
    "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n"
    "guard_return:\n"
    "	mov guard_sp(%rip), %rsp\n"
    "	mov $1, %eax\n"
    "2:	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "	ret\n"
    /* rcx, r11, rip, cs, rflags, rsp, ss */
    "int80_entry:\n"
    "	mov %rsp, int80_sp(%rip)\n"
    "	lea int80_frame(%rip), %rdi\n"
    "	mov $7, %ecx\n"
    "1:	mov -8(%rsp,%rcx,8), %rax\n"
    "	mov %rax, -8(%rdi,%rcx,8)\n"
    "	loop 1b\n"
    "	incq int80_count(%rip)\n"
    "	jmp guard_return\n");
#else
asm(".text\n"
    ".globl guarded_run, guard_return, int80_entry\n"
    "guarded_run:\n"
    "	mov 4(%esp), %eax\n"
    "	mov 8(%esp), %edx\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov %esp, guard_sp\n"
    "	test %edx, %edx\n"
    "	jnz 1f\n"
    "	call *%eax\n"
    "	xor %eax, %eax\n"
    "	jmp 2f\n"
    "1:	pushl $" STR(USER_SS) "\n"
    "	pushl user_sp\n"
    "	pushl $0x202\n"
    "	pushl $" STR(USER_CS) "\n"
    "	push %eax\n"
    "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n"
    /* From a ring-3 trap %ds is still the user's: reload the kernel's first. */
    "guard_return:\n"
    "	mov $" STR(FLAT_KERNEL_DS) ", %eax\n"
    "	mov %eax, %ds\n"
    "	mov %eax, %es\n"
    "	mov guard_sp, %esp\n"
    "	mov $1, %eax\n"
    "2:	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	ret\n"
    /* eip, cs, eflags[, esp, ss]: copy 5 words */
    "int80_entry:\n"
    "	mov %esp, int80_sp\n"
    "	mov $5, %ecx\n"
    "1:	mov -4(%esp,%ecx,4), %eax\n"
    "	mov %eax, int80_frame-4(,%ecx,4)\n"
    "	loop 1b\n"
    "	incl int80_count\n"
    "	jmp guard_return\n");
#endif

/*
 * The user-mode code, alone on its own page(s). Each snippet loads known
 * values, then executes the instruction under test at <name>_insn; a ud2
 * after it catches a missing trap. pv32 first loads the user %ds/%es: the
 * iret to ring 3 nulls the kernel's (DPL 1) ones.
 */
#ifdef __x86_64__
#define U_PROLOGUE "movabs $" STR(RAX_MAGIC) ", %rax; movabs $" STR(RCX_MAGIC) ", %rcx; " \
		   "movabs $" STR(R11_MAGIC) ", %r11\n"
#define U_ADDR_REG "%rbx"
#else
#define U_PROLOGUE "mov $" STR(FLAT_USER_DS) ", %eax; mov %eax, %ds; mov %eax, %es; " \
		   "mov $" STR(RAX_MAGIC) ", %eax\n"
#define U_ADDR_REG "%ebx"
#endif
#define USNIP(name, setup, insn)				\
	".globl " #name ", " #name "_insn\n"			\
	#name ":\n"						\
	"	" setup "\n"					\
	"	" U_PROLOGUE					\
	#name "_insn:\n"					\
	"	" insn "\n"					\
	"	ud2\n"

asm(".section .text.user, \"ax\"\n"
    ".balign 4096\n"
    ".globl user_text_start, user_text_end\n"
    "user_text_start:\n"
    USNIP(u_pf_read, "mov $" STR(PF_ADDR) ", %ebx", "mov (" U_ADDR_REG "), %edx")
    USNIP(u_pf_write, "mov $" STR(PF_ADDR) ", %ebx", "movl $0, (" U_ADDR_REG ")")
    USNIP(u_pf_ro, "mov $user_text_start, " U_ADDR_REG, "movl $0, (" U_ADDR_REG ")")
    USNIP(u_gp, "mov $" STR(GP_SELECTOR) ", %ebx", "mov %bx, %fs")
    USNIP(u_ud, "", "ud2")
    USNIP(u_fpu, "", "fninit\n.globl u_fpu_after\nu_fpu_after:")
    USNIP(u_de, "xor %ebx, %ebx; xor %edx, %edx", "div %ebx")
    USNIP(u_int_dpl0, "", "int $" STR(SOFTINT_DPL0))
    USNIP(u_int80, "", "int $" STR(SOFTINT_OK) "\n.globl u_int80_after\nu_int80_after:")
    /* int3, back to user mode, then record the registers and ud2 at u_bp_ud. */
    USNIP(u_bp, "", "int3\n.globl u_bp_after\nu_bp_after:\n"
#ifdef __x86_64__
	  "	mov %rax, user_page(%rip)\n"
	  "	mov %rcx, user_page+8(%rip)\n"
	  "	mov %r11, user_page+16(%rip)\n"
#else
	  "	mov %eax, user_page\n"
#endif
	  ".globl u_bp_ud\nu_bp_ud:")
#ifdef __x86_64__
    USNIP(u_noncanon, "movabs $" STR(NONCANONICAL) ", %rbx", "mov (%rbx), %edx")
    /* syscall with no callback registered: #UD at the syscall. */
    USNIP(u_sys_nocb, "", "syscall\n.globl u_sys_nocb_after\nu_sys_nocb_after:")
    /*
     * syscall with AC and DF set; after the return, record rax, rcx, r11
     * and rflags, clear AC and DF, and ud2 at u_sys_ud.
     */
    USNIP(u_sys, "pushfq; orl $" STR(EFLAGS_AC | EFLAGS_DF) ", (%rsp); popfq",
	  "syscall\n.globl u_sys_after\nu_sys_after:\n"
	  "	mov %rax, user_page(%rip)\n"
	  "	mov %rcx, user_page+8(%rip)\n"
	  "	mov %r11, user_page+16(%rip)\n"
	  "	pushfq; pop %rax; mov %rax, user_page+24(%rip)\n"
	  "	pushfq; andl $~" STR(EFLAGS_AC | EFLAGS_DF) ", (%rsp); popfq\n"
	  ".globl u_sys_ud\nu_sys_ud:")
#else
    USNIP(u_pf_super, "mov $kernel_page, %ebx", "mov (%ebx), %edx")
    USNIP(u_int82, "", "int $0x82")
#endif
    ".balign 4096\n"
    "user_text_end:\n"
    ".text\n");

#define DECLARE_USNIP(name) void name(void); extern const char name##_insn[]
DECLARE_USNIP(u_pf_read);
DECLARE_USNIP(u_pf_write);
DECLARE_USNIP(u_pf_ro);
DECLARE_USNIP(u_gp);
DECLARE_USNIP(u_ud);
DECLARE_USNIP(u_fpu);
extern const char u_fpu_after[];
DECLARE_USNIP(u_de);
DECLARE_USNIP(u_int_dpl0);
DECLARE_USNIP(u_int80);
DECLARE_USNIP(u_bp);
extern const char u_int80_after[], u_bp_after[], u_bp_ud[];
#ifdef __x86_64__
DECLARE_USNIP(u_noncanon);
DECLARE_USNIP(u_sys_nocb);
DECLARE_USNIP(u_sys);
extern const char u_sys_nocb_after[], u_sys_after[], u_sys_ud[];
#else
DECLARE_USNIP(u_pf_super);
DECLARE_USNIP(u_int82);
#endif

/* ---- what the exception handlers saw ---- */

struct seen_trap {
	unsigned int vector;
	bool has_err;
	unsigned long err, rip, cs_word, rflags, rcx, r11, rsp, ss;
	unsigned long frame_top, handler_cs, cr2;
	uint8_t saved_mask, mask;
};
static struct seen_trap seen[2];
static unsigned int nseen;
static bool continue_in_user;   /* the first trap returns to where it came from */

static unsigned long read_cs(void)
{
	unsigned long cs = 0;

	asm volatile("mov %%cs, %w0" : "+r"(cs));
	return cs;
}

/* Rewrite the frame so that HYPERVISOR_iret lands at guard_return in kernel mode, events masked. */
static void resume_in_kernel(struct trap_ctx *t)
{
	t->rip_slot[0] = (unsigned long)guard_return;
	t->rip_slot[1] = KFRAME_CS;
	t->rip_slot[2] = 0x2;
#ifdef __x86_64__
	t->rip_slot[3] = guard_sp;
	t->rip_slot[4] = FLAT_KERNEL_SS;
#endif
}

static void on_trap(struct trap_ctx *t)
{
	struct seen_trap *s = &seen[nseen < 2 ? nseen : 1];

	*s = (struct seen_trap){
		.vector = t->vector, .has_err = t->has_err, .err = t->err, .rip = t->rip,
		.cs_word = t->cs_word, .rflags = t->rflags, .rcx = t->rcx, .r11 = t->r11,
		.rsp = t->rsp, .ss = t->ss, .frame_top = t->frame_top,
		.handler_cs = read_cs(), .cr2 = vi->arch.cr2,
		.saved_mask = t->saved_upcall_mask, .mask = vi->evtchn_upcall_mask,
	};
#ifdef __i386__
	if ((t->cs & 3) == 3) {         /* ring 3 -> 1: esp, ss follow eflags */
		s->rsp = ((unsigned long *)t->frame_top)[0];
		s->ss = ((unsigned long *)t->frame_top)[1];
		s->frame_top += 8;
	}
#endif
	if (nseen++ == 0 && continue_in_user)
		return;
	resume_in_kernel(t);
}

static void reset_seen(void)
{
	memset(seen, 0, sizeof(seen));
	nseen = 0;
	continue_in_user = false;
	int80_count = 0;
	memset(int80_frame, 0, sizeof(int80_frame));
	memset(user_page, 0, 64);
	vi->evtchn_upcall_pending = 0;
}

/* ---- set-up ---- */

extern const unsigned long trap_entries[TRAP_NR_VECTORS];      /* trap{64,32}.S */

/* Vectors 0-19 to the library entries (int3 and into DPL 3, as Linux), SOFTINT_OK DPL 3, SOFTINT_DPL0 DPL 0. */
static long install_trap_table(void)
{
	static struct trap_info table[TRAP_NR_VECTORS + 3];
	unsigned int n = 0;

	for (unsigned int v = 0; v < TRAP_NR_VECTORS; v++, n++) {
		table[n] = (struct trap_info){ .vector = (uint8_t)v, .cs = FLAT_KERNEL_CS,
					       .address = trap_entries[v] };
		TI_SET_DPL(&table[n], (v == 3 || v == 4) ? 3 : 0);
		trap_set_handler(v, on_trap, false);
	}
	table[n] = (struct trap_info){ .vector = SOFTINT_OK, .cs = FLAT_KERNEL_CS,
				       .address = (unsigned long)int80_entry };
	TI_SET_DPL(&table[n], 3);
	n++;
	table[n++] = (struct trap_info){ .vector = SOFTINT_DPL0, .cs = FLAT_KERNEL_CS,
					 .address = (unsigned long)int80_entry };
	return HYPERVISOR_set_trap_table(table);
}

static bool map_page(const void *va, uint64_t flags, const char *what)
{
	pte_t pte = make_pte(virt_to_mfn(va), flags);

	return check_rc(what, HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG), 0);
}

/*
 * pv64: user mode runs on its own top-level table. Ours maps the guest's
 * part of the kernel's (slot 511: the image), so the user code is where the
 * kernel linked it; Xen's slots (256-271) stay empty for the hypervisor to
 * fill. Xen validates it as an L4 when it becomes the user base pointer,
 * so it must be mapped read-only first.
 */
#ifdef __x86_64__
static bool user_page_table(void)
{
	const pte_t *kl4 = (const pte_t *)start_info->pt_base;

	for (unsigned int i = 0; i < 512; i++)
		user_l4[i] = (i >= 256 && i <= 271) ? 0 : kl4[i];
	if (!map_page(user_l4, PTE_P | PTE_A, "map the user L4 read-only"))
		return false;
	return check_rc("MMUEXT_NEW_USER_BASEPTR(user L4)",
			mmuext1(MMUEXT_NEW_USER_BASEPTR, virt_to_mfn(user_l4)), 0);
}
#endif

static bool setup(void)
{
	struct vcpu_register_vcpu_info info = {
		.mfn = virt_to_mfn(vcpu_info_page), .offset = VCPU_INFO_OFFSET,
	};

	if (!check_rc("VCPUOP_register_vcpu_info",
		      HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &info), 0))
		return false;
	vi->evtchn_upcall_pending = 0;
	vi->evtchn_pending_sel = 0;
	check_rc("set_trap_table", install_trap_table(), 0);
	check_rc("stack_switch(FLAT_KERNEL_SS, kernel stack top)",
		 HYPERVISOR_stack_switch(FLAT_KERNEL_SS, KSTACK_TOP), 0);
	/* Xen 4.17 adds _PAGE_USER itself on pv64; pv32 user pages need it in the L1. */
	for (const char *p = user_text_start; p < user_text_end; p += GUEST_PAGE_SIZE)
		if (!map_page(p, PTE_P | PTE_A | PTE_US, "map the user code page user, read-only"))
			return false;
	if (!map_page(user_page, PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US,
		      "map the user stack page user, writable"))
		return false;
	user_sp = (unsigned long)user_page + GUEST_PAGE_SIZE - 64;
#ifdef __i386__
	if (!map_page(kernel_page, PTE_P | PTE_RW | PTE_A, "map a kernel-only page (no _PAGE_USER)"))
		return false;
#else
	if (!user_page_table())
		return false;
#endif
	return true;
}

/* ---- user mode ---- */

struct user_test {
	const char *what;
	void (*entry)(void);
	const char *rip;        /* expected frame rip */
	unsigned int vector;
	long err;               /* -1: no error code */
	const void *cr2;        /* #PF: expected vcpu_info.arch.cr2 */
};

/* The frame of a trap from user mode, on the stack_switch stack. */
static void check_user_frame(const struct seen_trap *s, const char *rip, unsigned int vector,
			     long err, bool magic)
{
	check_eq("  vector", s->vector, vector);
	check_eq("  frame rip", s->rip, (unsigned long)rip);
	if (err >= 0)
		check(s->has_err && s->err == (unsigned long)err,
		      "  error code 0x%lx (want 0x%lx)", s->err, (unsigned long)err);
	check_eq("  frame cs (user cs, RPL 3)", s->cs_word & 0xffff, USER_CS);
	check_eq("  frame saved_upcall_mask (user mode ran unmasked)", s->saved_mask, 0);
	check((s->rflags & EFLAGS_IF) && !(s->rflags & EFLAGS_IOPL) && (s->rflags & 2),
	      "  frame rflags 0x%lx: IF set, IOPL 0", s->rflags);
	check_eq("  frame rsp (the user stack pointer)", s->rsp, user_sp);
	check_eq("  frame ss (user ss)", s->ss & 0xffff, USER_SS);
#ifdef __x86_64__
	if (magic) {
		check_eq("  frame rcx", s->rcx, RCX_MAGIC);
		check_eq("  frame r11", s->r11, R11_MAGIC);
	}
	check_eq("  frame ends at the stack_switch stack top & ~15", s->frame_top,
		 KSTACK_TOP & ~15ul);
#else
	(void)magic;
	check_eq("  frame (with esp, ss) ends at the stack_switch stack top", s->frame_top,
		 KSTACK_TOP);
#endif
	if (!pvm64_cannot("  handler's cs", PVM_SELECTORS))
		check_eq("  handler runs with the kernel cs", s->handler_cs, FLAT_KERNEL_CS);
	check_eq("  evtchn_upcall_mask in the handler (no IF flag: unchanged)", s->mask, 0);
}

static bool run_user(void (*entry)(void))
{
	long r = guarded_run(entry, 1);

	vi->evtchn_upcall_mask = 1;
	return check_eq("  back in kernel mode from the handler", r, 1);
}

static void user_trap(const struct user_test *u)
{
	printf("user mode: %s\n", u->what);
	reset_seen();
	if (!run_user(u->entry) || !check_eq("  traps taken", nseen, 1))
		return;
	check_user_frame(&seen[0], u->rip, u->vector, u->err, true);
	if (u->vector == 14)
		check_eq("  vcpu_info.arch.cr2", seen[0].cr2, (unsigned long)u->cr2);
}

static const struct user_test user_tests[] = {
	{ "read of unmapped " STR(PF_ADDR) ": #PF, U set", u_pf_read, u_pf_read_insn, 14,
	  PFEC_USER, (const void *)PF_ADDR },
	{ "write to unmapped " STR(PF_ADDR) ": #PF, U|W", u_pf_write, u_pf_write_insn, 14,
	  PFEC_USER | PFEC_WRITE, (const void *)PF_ADDR },
	{ "write to the read-only user code page: #PF, U|W|P", u_pf_ro, u_pf_ro_insn, 14,
	  PFEC_USER | PFEC_WRITE | PFEC_PRESENT, user_text_start },
#ifdef __i386__
	{ "read of a page without _PAGE_USER: #PF, U|P", u_pf_super, u_pf_super_insn, 14,
	  PFEC_USER | PFEC_PRESENT, kernel_page },
#endif
	{ "mov to %fs of selector " STR(GP_SELECTOR) ": #GP(0x40)", u_gp, u_gp_insn, 13,
	  GP_SELECTOR & ~3, NULL },
	{ "ud2: #UD", u_ud, u_ud_insn, 6, -1, NULL },
	{ "div by zero: #DE", u_de, u_de_insn, 0, -1, NULL },
	{ "int $" STR(SOFTINT_DPL0) " (trap-table DPL 0): #GP((n << 3) | 2) at the int",
	  u_int_dpl0, u_int_dpl0_insn, 13, SOFTINT_DPL0 << 3 | 2, NULL },
#ifdef __x86_64__
	{ "read of non-canonical " STR(NONCANONICAL) ": #GP(0)", u_noncanon, u_noncanon_insn,
	  13, 0, NULL },
#else
	{ "int $0x82 (the hypercall gate is DPL 1): #GP(0x412)", u_int82, u_int82_insn, 13,
	  0x82 << 3 | 2, NULL },
#endif
};

/* int3 from user mode, back to user mode, then ud2: two traps from user mode. */
static void user_bp_and_back(void)
{
	printf("user mode: int3 (DPL 3), HYPERVISOR_iret back to user mode, then ud2\n");
	reset_seen();
	continue_in_user = true;
	if (!run_user(u_bp) || !check_eq("  traps taken", nseen, 2))
		return;
	check_user_frame(&seen[0], u_bp_after, 3, -1, true);
	printf("  the ud2 after returning to user mode:\n");
	check_user_frame(&seen[1], u_bp_ud, 6, -1, false);
	check_eq("  rax in user mode after the iret", *(unsigned long *)user_page, RAX_MAGIC);
#ifdef __x86_64__
	check_eq("  rcx in user mode after the iret (flags 0: restored)",
		 ((unsigned long *)user_page)[1], RCX_MAGIC);
	check_eq("  r11 in user mode after the iret", ((unsigned long *)user_page)[2], R11_MAGIC);
#endif
}

/* int $0x80 with a DPL 3 trap-table entry: delivered, rip after the int. */
static void user_int80(void)
{
	const unsigned long *f = int80_frame;

	printf("user mode: int $" STR(SOFTINT_OK) " (trap-table DPL 3)\n");
	reset_seen();
	if (!run_user(u_int80) || !check_eq("  vector " STR(SOFTINT_OK) " taken", int80_count, 1))
		return;
	check_eq("  no exception", nseen, 0);
#ifdef __x86_64__
	check_eq("  frame rcx", f[0], RCX_MAGIC);
	check_eq("  frame r11", f[1], R11_MAGIC);
	f += 2;
	check_eq("  frame at the stack_switch stack top & ~15 - 56", int80_sp,
		 (KSTACK_TOP & ~15ul) - 56);
#else
	check_eq("  frame (eip, cs, eflags, esp, ss) at the stack_switch stack top - 20",
		 int80_sp, KSTACK_TOP - 20);
#endif
	check_eq("  frame rip (after the int)", f[0], (unsigned long)u_int80_after);
	check_eq("  frame cs (user cs, saved_upcall_mask 0)", f[1], USER_CS);
	check((f[2] & EFLAGS_IF) && !(f[2] & EFLAGS_IOPL), "  frame rflags 0x%lx: IF, IOPL 0", f[2]);
	check_eq("  frame rsp", f[3], user_sp);
	check_eq("  frame ss", f[4], USER_SS);
}

#ifdef __x86_64__
/*
 * The syscall callback: records its frame (rcx, r11, rip, cs, rflags, rsp,
 * ss), rsp, rflags and the event mask on entry, then returns to user mode
 * as Linux does: HYPERVISOR_iret with VGCF_in_syscall and rax = SYS_RET.
 */
unsigned long sys_frame[7], sys_sp, sys_flags, sys_mask, sys_count;
void syscall_cb(void);
asm(".text\n"
    ".globl syscall_cb\n"
    "syscall_cb:\n"
    "	pushfq\n"
    "	popq sys_flags(%rip)\n"
    "	mov %rsp, sys_sp(%rip)\n"
    "	lea sys_frame(%rip), %rdi\n"
    "	mov $7, %ecx\n"
    "1:	mov -8(%rsp,%rcx,8), %rax\n"
    "	mov %rax, -8(%rdi,%rcx,8)\n"
    "	loop 1b\n"
    "	mov usermode_vi(%rip), %rax\n"
    "	movzbl 1(%rax), %eax\n"
    "	mov %rax, sys_mask(%rip)\n"
    "	incq sys_count(%rip)\n"
    "	pop %rcx\n"
    "	pop %r11\n"
    "	pushq $" STR(VGCF_in_syscall) "\n"
    "	movabs $" STR(SYS_RET) ", %rax\n"
    "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n");

static void user_syscall_no_callback(void)
{
	printf("user mode: syscall without a syscall callback: #UD at the syscall\n");
	reset_seen();
	if (!run_user(u_sys_nocb) || !check_eq("  traps taken", nseen, 1))
		return;
	check_user_frame(&seen[0], u_sys_nocb_insn, 6, -1, false);
	check_eq("  frame rcx (written by syscall: the next rip)", seen[0].rcx,
		 (unsigned long)u_sys_nocb_after);
}

static long register_syscall_callback(unsigned long address)
{
	struct callback_register r = { .type = CALLBACKTYPE_syscall,
				       .flags = CALLBACKF_mask_events, .address = address };

	return HYPERVISOR_callback_op(CALLBACKOP_register, &r);
}

static void user_syscall(void)
{
	const unsigned long *f = sys_frame, *after = (const unsigned long *)user_page;

	printf("user mode: syscall to the CALLBACKTYPE_syscall callback (AC and DF set)\n");
	if (!check_rc("register the syscall callback (CALLBACKF_mask_events)",
		      register_syscall_callback((unsigned long)syscall_cb), 0))
		return;
	reset_seen();
	sys_count = 0;
	if (!run_user(u_sys) || !check_eq("  callback entered", sys_count, 1) ||
	    !check_eq("  traps taken (the ud2 after the return)", nseen, 1))
		return;
	check_eq("  frame rcx (the return rip)", f[0], (unsigned long)u_sys_after);
	check((f[1] & (EFLAGS_AC | EFLAGS_DF | EFLAGS_IF)) == (EFLAGS_AC | EFLAGS_DF | EFLAGS_IF),
	      "  frame r11 0x%lx: the user rflags (AC, DF, IF)", f[1]);
	check_eq("  frame rip", f[2], (unsigned long)u_sys_after);
	check_eq("  frame cs (FLAT_USER_CS64, saved_upcall_mask 0)", f[3], FLAT_USER_CS64);
	check((f[4] & (EFLAGS_AC | EFLAGS_DF | EFLAGS_IF)) == (EFLAGS_AC | EFLAGS_DF | EFLAGS_IF) &&
	      !(f[4] & EFLAGS_IOPL), "  frame rflags 0x%lx: AC, DF, IF, IOPL 0", f[4]);
	check_eq("  frame rsp", f[5], user_sp);
	check_eq("  frame ss", f[6], FLAT_USER_SS64);
	check_eq("  frame at the stack_switch stack top & ~15 - 56", sys_sp,
		 (KSTACK_TOP & ~15ul) - 56);
	check_eq("  callback runs with DF clear (switch_to_kernel)", sys_flags & EFLAGS_DF, 0);
	check_eq("  callback runs with AC clear (create_bounce_frame)", sys_flags & EFLAGS_AC, 0);
	check_eq("  evtchn_upcall_mask in the callback (CALLBACKF_mask_events)", sys_mask, 1);
	printf("  back in user mode (HYPERVISOR_iret, VGCF_in_syscall: sysret)\n");
	check_eq("  rax (from the iret)", after[0], SYS_RET);
	check_eq("  rcx = rip (sysret)", after[1], (unsigned long)u_sys_after);
	check_eq("  r11 = rflags (sysret)", after[2], after[3]);
	check((after[3] & (EFLAGS_AC | EFLAGS_DF)) == (EFLAGS_AC | EFLAGS_DF),
	      "  rflags 0x%lx: AC and DF as in the frame", after[3]);
	check_user_frame(&seen[0], u_sys_ud, 6, -1, false);
}
#endif

/*
 * A lazy-FPU kernel (2.6.18) sets TS at a context switch and loads the
 * process's FPU state at its #NM. On kvm_pvm the FPU raises none, so the
 * stub gives it on the way back to user mode, at the first instruction.
 */
static void user_fpu_ts(void)
{
	printf("user mode: x87 with TS set: #NM, TS cleared, then the instruction runs\n");
	check_rc("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
	reset_seen();
	if (!run_user(u_fpu) || !check_eq("  traps taken", nseen, 1))
		return;
	if (sizeof(long) == 8 && host_is_pvm())        /* native 64-bit code: no #NM */
		check_user_frame(&seen[0], (const char *)u_fpu, 7, -1, false);
	else
		check_user_frame(&seen[0], u_fpu_insn, 7, -1, true);
	reset_seen();
	if (!run_user(u_fpu) || !check_eq("  traps taken", nseen, 1))
		return;
	check_eq("  again: the fninit runs, ud2 after it (#UD)", seen[0].vector, 6);
	check_eq("  at", seen[0].rip, (unsigned long)u_fpu_after);
}

static void user_mode(void)
{
	for (size_t i = 0; i < sizeof(user_tests) / sizeof(user_tests[0]); i++)
		user_trap(&user_tests[i]);
	user_fpu_ts();
	user_bp_and_back();
	user_int80();
#ifdef __x86_64__
	user_syscall_no_callback();
	user_syscall();
#endif
}

/* ---- kernel mode ---- */

/*
 * k_<name>: the instruction under test at k_<name>_insn, then ud2 to catch
 * a missing trap (k_<name>_after is the address after the instruction).
 */
#define KSNIP(name, setup, insn)				\
	".globl k_" #name ", k_" #name "_insn, k_" #name "_after\n" \
	"k_" #name ":\n"					\
	"	" setup "\n"					\
	"k_" #name "_insn:\n"					\
	"	" insn "\n"					\
	"k_" #name "_after:\n"					\
	"	ud2\n"

/* Operands of the snippets below (used from asm only). */
#define ASM_ONLY __attribute__((used))
ASM_ONLY const uint16_t x87_cw_unmasked = 0x0340;      /* all x87 exceptions unmasked */
ASM_ONLY const uint32_t mxcsr_zm_unmasked = 0x1d80;    /* SSE divide-by-zero unmasked */
ASM_ONLY const uint32_t one_f = 0x3f800000;            /* 1.0f */
ASM_ONLY const uint32_t bound_pair[2] = { 0, 10 };

#ifdef __x86_64__
#define KSYM(s) #s "(%rip)"
#else
#define KSYM(s) #s
#endif

asm(".text\n"
    KSNIP(bp, "", "int3")
    KSNIP(bp2, "", ".byte 0xcd, 0x03")      /* int $3: the two-byte form */
    KSNIP(int80, "", "int $" STR(SOFTINT_OK))
    KSNIP(int_dpl0, "", "int $" STR(SOFTINT_DPL0))
    KSNIP(mf, "fninit; fldcw " KSYM(x87_cw_unmasked) "; fldz; fldz; fdivp", "fwait")
    KSNIP(xm, "ldmxcsr " KSYM(mxcsr_zm_unmasked) "; xorps %xmm1, %xmm1; movss "
	  KSYM(one_f) ", %xmm0", "divss %xmm1, %xmm0")
#ifdef __x86_64__
    KSNIP(into, "", ".byte 0xce")          /* into: invalid in 64-bit mode */
    KSNIP(noncanon, "movabs $" STR(NONCANONICAL) ", %rbx", "mov (%rbx), %edx")
#else
    KSNIP(into, "mov $0x7f, %al; add $1, %al", "into")
    KSNIP(bound, "mov $20, %eax", "bound %eax, bound_pair")
#endif
    );

#define DECLARE_KSNIP(name) \
	void k_##name(void); extern const char k_##name##_insn[], k_##name##_after[]
DECLARE_KSNIP(bp);
DECLARE_KSNIP(bp2);
DECLARE_KSNIP(int80);
DECLARE_KSNIP(int_dpl0);
DECLARE_KSNIP(mf);
DECLARE_KSNIP(xm);
DECLARE_KSNIP(into);
#ifdef __x86_64__
DECLARE_KSNIP(noncanon);
#else
DECLARE_KSNIP(bound);
#endif

struct kernel_test {
	const char *what;
	void (*fn)(void);
	const char *rip;        /* expected frame rip */
	unsigned int vector;
	long err;               /* -1: none */
};

static const struct kernel_test kernel_tests[] = {
	{ "int3: #BP after the int3", k_bp, k_bp_after, 3, -1 },
	{ "int $3: #BP after the int", k_bp2, k_bp2_after, 3, -1 },
	{ "int $" STR(SOFTINT_DPL0) " (DPL 0): #GP((n << 3) | 2) at the int", k_int_dpl0,
	  k_int_dpl0_insn, 13, SOFTINT_DPL0 << 3 | 2 },
	{ "x87 divide with exceptions unmasked: #MF at the next fwait", k_mf, k_mf_insn, 16, -1 },
#ifdef __x86_64__
	{ "into (invalid in 64-bit mode): #UD", k_into, k_into_insn, 6, -1 },
	{ "read of non-canonical " STR(NONCANONICAL) ": #GP(0)", k_noncanon, k_noncanon_insn,
	  13, 0 },
#else
	{ "into with OF set: #OF after the into", k_into, k_into_after, 4, -1 },
	{ "bound out of range: #BR at the bound", k_bound, k_bound_insn, 5, -1 },
#endif
};

/*
 * Clear what the #MF and #XM tests left: non-waiting x87 forms, default
 * MXCSR. A 32-bit guest on kvm_pvm skips those tests and has no ldmxcsr
 * (its fnclex is the stub's, emulated).
 */
static void fpu_reset(void)
{
	static const uint32_t mxcsr_default = 0x1f80;

	asm volatile("fnclex; fninit");
	if (sizeof(long) == 8 || !host_is_pvm())
		asm volatile("ldmxcsr %0" : : "m"(mxcsr_default));
}

static bool fpu_emulated_without_x87(const char *what)
{
	return pvm32_cannot(what, PVM_NO_FPU_EMULATION);
}

static void kernel_trap(const struct kernel_test *k)
{
	const struct seen_trap *s = &seen[0];

	printf("kernel mode: %s\n", k->what);
	reset_seen();
	long r = guarded_run(k->fn, 0);
	fpu_reset();
	vi->evtchn_upcall_mask = 1;
	if (!check_eq("  resumed from the handler", r, 1) || !check_eq("  traps taken", nseen, 1))
		return;
	check_eq("  vector", s->vector, k->vector);
	check_eq("  frame rip", s->rip, (unsigned long)k->rip);
	if (k->err >= 0)
		check(s->has_err && s->err == (unsigned long)k->err,
		      "  error code 0x%lx (want 0x%lx)", s->err, (unsigned long)k->err);
	check_eq("  frame cs (kernel context)", s->cs_word & 0xffff, KFRAME_CS);
}

/* int $0x80 in kernel mode: DPL 3 also permits the kernel; no privilege change. */
static void kernel_int80(void)
{
	const unsigned long *f = int80_frame;

	printf("kernel mode: int $" STR(SOFTINT_OK) " (DPL 3)\n");
	reset_seen();
	long r = guarded_run(k_int80, 0);
	vi->evtchn_upcall_mask = 1;
	if (!check_eq("  resumed from the handler", r, 1) ||
	    !check_eq("  vector " STR(SOFTINT_OK) " taken", int80_count, 1))
		return;
#ifdef __x86_64__
	f += 2;
#endif
	check_eq("  frame rip (after the int)", f[0], (unsigned long)k_int80_after);
	check_eq("  frame cs (kernel context)", f[1] & 0xffff, KFRAME_CS);
}

/*
 * #XM: Xen delivers it like any fault (do_simd_coprocessor_error). QEMU's
 * TCG, which runs the test VM, raises no SIMD exceptions at all: then the
 * divss completes and the ud2 after it traps, which is reported, not judged.
 */
static void kernel_xm(void)
{
	static const struct kernel_test xm = {
		"SSE divss by zero with ZM clear: #XM at the divss", k_xm, k_xm_insn, 19, -1,
	};

	if (fpu_emulated_without_x87(xm.what))
		return;
	reset_seen();
	long r = guarded_run(k_xm, 0);
	fpu_reset();
	vi->evtchn_upcall_mask = 1;
	if (r == 1 && nseen == 1 && seen[0].vector == 6 && seen[0].rip == (unsigned long)k_xm_after) {
		printf("kernel mode: %s\n  INFO   no #XM: this CPU raises no SIMD exceptions "
		       "(QEMU TCG); not judged\n", xm.what);
		return;
	}
	kernel_trap(&xm);
}

#ifdef __x86_64__
/*
 * A jump to the stub's syscall entry with a forged r11 (IOPL 3): on
 * kvm_pvm a syscall arrives as exactly that fault, so the stub takes it as
 * a syscall (here, in kernel mode, a hypercall), but the rflags it irets
 * with are only what ring 3 can hold. The address comes from the command
 * line (xenner.syscall_entry=, run-guests.sh reads it from the stub's
 * symbols); without it the check is not made.
 */
unsigned long forged_syscall(unsigned long entry);
long forged_ret;
asm(".text\n"
    ".globl forged_syscall\n"
    "forged_syscall:\n"
    "	lea 1f(%rip), %rcx\n"
    "	mov $0x3202, %r11\n"                  /* IOPL 3, IF */
    "	mov %rdi, %rdx\n"
    "	mov $" STR(__HYPERVISOR_xen_version) ", %eax\n"
    "	xor %edi, %edi\n"
    "	xor %esi, %esi\n"
    "	jmp *%rdx\n"
    "1:	mov %rax, forged_ret(%rip)\n"
    "	pushfq\n"
    "	pop %rax\n"
    "	ret\n");

static unsigned long cmdline_hex(const char *key)
{
	const char *p = strstr((const char *)start_info->cmd_line, key);
	unsigned long v = 0;
	if (!p)
		return 0;
	for (p += strlen(key);; p++) {
		unsigned d = *p >= '0' && *p <= '9' ? (unsigned)(*p - '0') :
			     *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10) : 16u;
		if (d == 16)
			return v;
		v = v << 4 | d;
	}
}

static void kernel_forged_syscall(void)
{
	unsigned long entry = cmdline_hex("xenner.syscall_entry=");
	if (!entry)
		return;
	printf("kernel mode: a jump to the stub's syscall entry (0x%lx) with r11 = IOPL 3\n", entry);
	forged_ret = 0;
	unsigned long flags = forged_syscall(entry);
	check(forged_ret > 0, "  taken as the hypercall it names (xen_version: 0x%lx)",
	      (unsigned long)forged_ret);
	check(!(flags & EFLAGS_IOPL) && (flags & EFLAGS_IF), "  back with rflags 0x%lx: IOPL 0, IF",
	      flags);
}
#endif

static void kernel_mode(void)
{
	for (size_t i = 0; i < sizeof(kernel_tests) / sizeof(kernel_tests[0]); i++) {
		if (kernel_tests[i].fn == k_mf && fpu_emulated_without_x87(kernel_tests[i].what))
			continue;
#ifndef __x86_64__
		if (kernel_tests[i].fn == k_bound &&
		    pvm32_cannot(kernel_tests[i].what, "KVM's instruction emulator has no bound: #UD"))
			continue;
#endif
		kernel_trap(&kernel_tests[i]);
	}
	kernel_xm();
	kernel_int80();
#ifdef __x86_64__
	kernel_forged_syscall();
#endif
}

void guest_main(void)
{
	printf("usermode test (" GUEST_MODE ")\n");
	if (!setup())
		fail_now("set-up failed");
	kernel_mode();
	user_mode();
	if (!pvm64_cannot("cs at the end", PVM_SELECTORS))
		check_eq("still in kernel mode at the end (cs)", read_cs(), FLAT_KERNEL_CS);
}
