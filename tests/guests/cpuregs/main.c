/* cpuregs — fpu_taskswitch and #NM, Intel boot MSRs, set_debugreg/get_debugreg and #DB, as Xen has them. */
#include "guest.h"
#include "hypercall_cpu.h"
#include "traps.h"

const char guest_name[] = "cpuregs";

/*
 * The values reset and reserved bits leave: Xen's, except that with RTM
 * (CPUID.7.0:EBX[11]) DR6 bit 16 and DR7 bit 11 are the guest's, and with
 * bus-lock detect (CPUID.7.0:ECX[24]) DR6 bit 11 is (Xen's x86_adj_dr6_rsvd
 * and x86_adj_dr7_rsvd).
 */
static unsigned long dr6_writable, dr7_writable;
#define DR6_RESET   0xffff0ff0ul
#define DR6_DEFAULT (DR6_RESET & ~dr6_writable)
#define DR7_DEFAULT 0x00000400ul
#define DR6_B0      0x1ul
#define DR6_BS      0x4000ul
#define TF          0x100ul

/*
 * fpu_probe(): fninit, then the x87 control word (0x037f). The #NM
 * handler returns to the fninit itself: Xen has cleared TS by then.
 * step_probe(): sets TF with popf; the nop after it completes and #DB
 * reports step_probe_after. write_probe(p): a 4-byte store to *p.
 */
unsigned long fpu_probe(void);
void step_probe(void);
void write_probe(volatile uint32_t *p, uint32_t v);
extern const char fpu_probe_insn[], step_probe_after[], write_probe_after[];
#ifdef __x86_64__
asm(".text\n"
    ".globl fpu_probe, fpu_probe_insn, step_probe, step_probe_after, write_probe, write_probe_after\n"
    "fpu_probe:\n"
    "	sub $8, %rsp\n"
    "fpu_probe_insn:\n"
    "	fninit\n"
    "	fnstcw (%rsp)\n"
    "	movzwl (%rsp), %eax\n"
    "	add $8, %rsp\n"
    "	ret\n"
    "step_probe:\n"
    "	pushfq\n"
    "	orl $0x100, (%rsp)\n"
    "	popfq\n"
    "	nop\n"
    "step_probe_after:\n"
    "	ret\n"
    "write_probe:\n"
    "	movl %esi, (%rdi)\n"
    "write_probe_after:\n"
    "	ret\n");
#else
asm(".text\n"
    ".globl fpu_probe, fpu_probe_insn, step_probe, step_probe_after, write_probe, write_probe_after\n"
    "fpu_probe:\n"
    "	sub $4, %esp\n"
    "fpu_probe_insn:\n"
    "	fninit\n"
    "	fnstcw (%esp)\n"
    "	movzwl (%esp), %eax\n"
    "	add $4, %esp\n"
    "	ret\n"
    "step_probe:\n"
    "	pushfl\n"
    "	orl $0x100, (%esp)\n"
    "	popfl\n"
    "	nop\n"
    "step_probe_after:\n"
    "	ret\n"
    "write_probe:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %eax\n"
    "	movl %eax, (%ecx)\n"
    "write_probe_after:\n"
    "	ret\n");
#endif

static struct {
	unsigned count;
	unsigned long rip, rflags;
} nm, db;

static void on_nm(struct trap_ctx *t)
{
	nm.count++;
	nm.rip = t->rip;
}

static void on_db(struct trap_ctx *t)
{
	db.count++;
	db.rip = t->rip;
	db.rflags = t->rflags;
	t->rip_slot[2] &= ~TF;          /* rip, cs, rflags: stop stepping */
}

/*
 * msr_read(msr, &val) / msr_write(msr, val): 0, or 1 if the rdmsr/wrmsr
 * took #GP (on_gp resumes at msr_fault).
 */
int msr_read(uint32_t msr, uint64_t *val);
int msr_write(uint32_t msr, uint64_t val);
extern const char msr_read_insn[], msr_write_insn[], msr_fault[];
#ifdef __x86_64__
asm(".text\n"
    ".globl msr_read, msr_read_insn, msr_write, msr_write_insn, msr_fault\n"
    "msr_read:\n"
    "	mov %edi, %ecx\n"
    "msr_read_insn:\n"
    "	rdmsr\n"
    "	mov %eax, (%rsi)\n"
    "	mov %edx, 4(%rsi)\n"
    "	xor %eax, %eax\n"
    "	ret\n"
    "msr_write:\n"
    "	mov %edi, %ecx\n"
    "	mov %esi, %eax\n"
    "	shr $32, %rsi\n"
    "	mov %esi, %edx\n"
    "msr_write_insn:\n"
    "	wrmsr\n"
    "	xor %eax, %eax\n"
    "	ret\n"
    "msr_fault:\n"
    "	mov $1, %eax\n"
    "	ret\n");
#else
asm(".text\n"
    ".globl msr_read, msr_read_insn, msr_write, msr_write_insn, msr_fault\n"
    "msr_read:\n"
    "	mov 4(%esp), %ecx\n"
    "msr_read_insn:\n"
    "	rdmsr\n"
    "	mov 8(%esp), %ecx\n"
    "	mov %eax, (%ecx)\n"
    "	mov %edx, 4(%ecx)\n"
    "	xor %eax, %eax\n"
    "	ret\n"
    "msr_write:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %eax\n"
    "	mov 12(%esp), %edx\n"
    "msr_write_insn:\n"
    "	wrmsr\n"
    "	xor %eax, %eax\n"
    "	ret\n"
    "msr_fault:\n"
    "	mov $1, %eax\n"
    "	ret\n");
#endif

static void on_gp(struct trap_ctx *t)
{
	if (t->rip != (unsigned long)msr_read_insn && t->rip != (unsigned long)msr_write_insn)
		fail_now("unexpected #GP at 0x%lx (error code 0x%lx)", t->rip, t->err);
	t->rip_slot[0] = (unsigned long)msr_fault;
}

/*
 * The two Intel MSRs Linux reads unguarded at boot, as Xen gives them to
 * a PV guest: IA32_MISC_ENABLE with fast strings on (Linux's memmove
 * breaks without), IA32_UCODE_REV; writing back what a read gives is
 * accepted, anything else #GP. Other vendors: #GP.
 */
static void intel_msrs(void)
{
	uint32_t r[4];
	xen_cpuid(0, r);
	bool intel = r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e;
	uint64_t v = 0;

	printf("MSRs Linux reads at boot (%s CPU)\n", intel ? "Intel" : "not an Intel");
	if (!intel) {
		check_eq("rdmsr IA32_MISC_ENABLE: #GP", msr_read(0x1a0, &v), 1);
		check_eq("rdmsr IA32_UCODE_REV: #GP", msr_read(0x8b, &v), 1);
		return;
	}
	if (check_eq("rdmsr IA32_MISC_ENABLE", msr_read(0x1a0, &v), 0))
		check_eq("  fast strings, BTS and PEBS unavailable, xTPR disabled", v, 0x801801);
	check_eq("wrmsr IA32_MISC_ENABLE, the value read", msr_write(0x1a0, v), 0);
	check_eq("wrmsr IA32_MISC_ENABLE, fast strings off: #GP", msr_write(0x1a0, v & ~1ull), 1);
	check_eq("wrmsr IA32_UCODE_REV = 0 (Linux does, before reading it)", msr_write(0x8b, 0), 0);
	check_eq("wrmsr IA32_UCODE_REV = 1: #GP", msr_write(0x8b, 1), 1);
	check_eq("rdmsr IA32_UCODE_REV", msr_read(0x8b, &v), 0);
}

#define PVM_NO_DATA_BP "ring-3 code runs with the host's debug registers: no data breakpoints"

static void fpu_check(const char *what, unsigned want_nm)
{
	memset(&nm, 0, sizeof(nm));
	unsigned long cw = fpu_probe();
	if (want_nm && pvm64_cannot(what, "ring-3 code runs with the host's CR0: TS raises no #NM")) {
		/* The probe ran without the #NM: TS is still set; clear it as the handler would. */
		HYPERVISOR_fpu_taskswitch(0);
		return;
	}
	check_eq(what, nm.count, want_nm);
	if (want_nm)
		check_eq("  #NM at the FPU instruction", nm.rip, (unsigned long)fpu_probe_insn);
	check_eq("  x87 control word after fninit", cw, 0x037f);
}

static void fpu_taskswitch(void)
{
	printf("fpu_taskswitch\n");
	check_rc("fpu_taskswitch(0)", HYPERVISOR_fpu_taskswitch(0), 0);
	fpu_check("FPU use with TS clear: no #NM", 0);
	check_rc("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
	fpu_check("FPU use with TS set: one #NM, then the instruction runs", 1);
	fpu_check("FPU use after the #NM: TS was cleared by the hypervisor", 0);
	check_rc("fpu_taskswitch(1)", HYPERVISOR_fpu_taskswitch(1), 0);
	check_rc("fpu_taskswitch(0)", HYPERVISOR_fpu_taskswitch(0), 0);
	fpu_check("set then clear: no #NM", 0);
	check_rc("fpu_taskswitch(-1) sets", HYPERVISOR_fpu_taskswitch(-1), 0);
	fpu_check("TS set by a negative argument: one #NM", 1);
#ifdef __x86_64__
	check_rc("fpu_taskswitch(1 << 32): an int, so 0",
		 hypercall2(__HYPERVISOR_fpu_taskswitch, 1ul << 32, 0), 0);
	fpu_check("after fpu_taskswitch(1 << 32): no #NM", 0);
#endif
}

/* get_debugreg returns the register as a long: take it as the unsigned word it is. */
static unsigned long getdr(int reg)
{
	return (unsigned long)HYPERVISOR_get_debugreg(reg);
}

static volatile uint32_t watched __attribute__((aligned(8)));
static char xbuf[sizeof(xen_extraversion_t)] __attribute__((aligned(8)));

static void debug_registers(void)
{
	printf("set_debugreg / get_debugreg\n");
	check_eq("initial dr6", getdr(6), DR6_RESET);
	check_eq("initial dr7", getdr(7), DR7_DEFAULT);
	static const unsigned long addrs[4] = { 0x1000, 0x2008, 0x7ff0, 0xC0001000ul };
	for (int i = 0; i < 4; i++) {
		check_rc("set_debugreg(dr0-3, address)", HYPERVISOR_set_debugreg(i, addrs[i]), 0);
		check_eq("  reads back", getdr(i), addrs[i]);
	}
	check_rc("set_debugreg(0, in the hypervisor hole)",
		 HYPERVISOR_set_debugreg(0, HOLE_ADDR), -XEN_EPERM);
	check_eq("  dr0 unchanged", getdr(0), addrs[0]);
#ifdef __x86_64__
	check_rc("set_debugreg(1, non-canonical)",
		 HYPERVISOR_set_debugreg(1, 0x0000800000000000ul), -XEN_EPERM);
	check_rc("set_debugreg(6, upper bits)", HYPERVISOR_set_debugreg(6, 1ul << 32), -XEN_EINVAL);
	check_rc("set_debugreg(7, upper bits)", HYPERVISOR_set_debugreg(7, 1ul << 32), -XEN_EINVAL);
#else
	check_rc("set_debugreg(1, the read-only M2P)",
		 HYPERVISOR_set_debugreg(1, 0xF5800000ul), -XEN_EPERM);
#endif
	check_rc("set_debugreg(7, GD)", HYPERVISOR_set_debugreg(7, 0x2000), -XEN_EPERM);
	check_rc("set_debugreg(7, enabled I/O breakpoint)",
		 HYPERVISOR_set_debugreg(7, 0x00020001), -XEN_EPERM);
	check_rc("set_debugreg(8)", HYPERVISOR_set_debugreg(8, 0), -XEN_ENODEV);
	check_rc("set_debugreg(-1)", HYPERVISOR_set_debugreg(-1, 0), -XEN_ENODEV);
	check_rc("get_debugreg(8)", HYPERVISOR_get_debugreg(8), -XEN_ENODEV);
	check_rc("get_debugreg(-1)", HYPERVISOR_get_debugreg(-1), -XEN_ENODEV);

	check_rc("set_debugreg(6, 0)", HYPERVISOR_set_debugreg(6, 0), 0);
	check_eq("  dr6 keeps its reserved bits", getdr(6), DR6_DEFAULT);
	check_rc("set_debugreg(4, BS): DR4 is DR6", HYPERVISOR_set_debugreg(4, DR6_BS), 0);
	check_eq("  dr6", getdr(6), DR6_DEFAULT | DR6_BS);
	check_eq("  dr4 reads dr6", getdr(4), DR6_DEFAULT | DR6_BS);
	check_rc("set_debugreg(6, 0)", HYPERVISOR_set_debugreg(6, 0), 0);
	check_rc("set_debugreg(7, reserved bits 11-15 but GD)", HYPERVISOR_set_debugreg(7, 0xd800), 0);
	check_eq("  dr7 (forced to the default)", getdr(7), DR7_DEFAULT | (0xd800 & dr7_writable));
	check_eq("  dr5 reads dr7", getdr(5), DR7_DEFAULT | (0xd800 & dr7_writable));
}

static void debug_traps(void)
{
	printf("#DB: single step\n");
	memset(&db, 0, sizeof(db));
	step_probe();
	if (check_eq("#DB taken", db.count, 1)) {
		check_eq("  after the stepped instruction", db.rip, (unsigned long)step_probe_after);
		check(db.rflags & TF, "  frame rflags 0x%lx has TF", db.rflags);
		check_eq("  dr6 (BS)", getdr(6), DR6_DEFAULT | DR6_BS);
	}
	check_rc("set_debugreg(6, 0)", HYPERVISOR_set_debugreg(6, 0), 0);

	printf("#DB: data breakpoint on a 4-byte write\n");
	check_rc("dr0 = &watched", HYPERVISOR_set_debugreg(0, (unsigned long)&watched), 0);
	check_rc("dr7 = L0, write, 4 bytes", HYPERVISOR_set_debugreg(7, 0x000d0001), 0);
	check_eq("  dr7 reads back", getdr(7), 0x000d0401);
	memset(&db, 0, sizeof(db));
	write_probe(&watched, 5);
	if (pvm_cannot("#DB from a data breakpoint", PVM_NO_DATA_BP)) {
	} else if (check_eq("#DB taken", db.count, 1)) {
		check_eq("  after the write", db.rip, (unsigned long)write_probe_after);
		check_eq("  dr6 (B0)", getdr(6) & 0xf, DR6_B0);
	}
	check_eq("the write happened", watched, 5);
	check_rc("set_debugreg(6, 0)", HYPERVISOR_set_debugreg(6, 0), 0);

	printf("#DB: the hypervisor writing a watched buffer is not the guest's #DB\n");
	check_rc("dr0 = xbuf", HYPERVISOR_set_debugreg(0, (unsigned long)xbuf), 0);
	memset(&db, 0, sizeof(db));
	check_rc("xen_version(XENVER_extraversion, xbuf)",
		 HYPERVISOR_xen_version(XENVER_extraversion, xbuf), 0);
	check_eq("  no #DB for the guest", db.count, 0);
	check_eq("  dr6 untouched", getdr(6), DR6_DEFAULT);
	write_probe((volatile uint32_t *)xbuf, 0);
	if (!pvm_cannot("  the guest's own write traps", PVM_NO_DATA_BP))
		check_eq("  the breakpoint is still armed: the guest's own write traps", db.count, 1);
	check_rc("set_debugreg(7, 0)", HYPERVISOR_set_debugreg(7, 0), 0);
	check_rc("set_debugreg(6, 0)", HYPERVISOR_set_debugreg(6, 0), 0);
	memset(&db, 0, sizeof(db));
	write_probe((volatile uint32_t *)xbuf, 0);
	check_eq("disarmed: no #DB", db.count, 0);
}

void guest_main(void)
{
	printf("cpuregs test (" GUEST_MODE ")\n");
	uint32_t r[4];
	xen_cpuid(0, r);
	if (r[0] >= 7) {
		xen_cpuid(7, r);
		dr6_writable = (r[1] >> 11 & 1) << 16 | (r[2] >> 24 & 1) << 11;
		dr7_writable = (r[1] >> 11 & 1) << 11;
	}
	printf("DR6 bits the guest owns 0x%lx, DR7 0x%lx (RTM, bus-lock detect)\n", dr6_writable,
	       dr7_writable);
	trap_set_handler(1, on_db, false);
	trap_set_handler(7, on_nm, false);
	trap_set_handler(13, on_gp, false);
	check_rc("set_trap_table", traps_install(), 0);
	fpu_taskswitch();
	intel_msrs();
	debug_registers();
	debug_traps();
}
