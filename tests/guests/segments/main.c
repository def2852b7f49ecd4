/*
 * segments — set_segment_base (FS/GS bases, selectors, errors) and the
 * descriptor tables: update_descriptor, set_gdt, MMUEXT_SET_LDT.
 */
#include "guest.h"
#include "hypercall_cpu.h"
#include "mmu.h"

const char guest_name[] = "segments";

#ifdef __x86_64__
#define IS_PV32 0
#else
#define IS_PV32 1
#endif

#ifdef __x86_64__
#define NONCANONICAL 0x0000800000000000ul

static const unsigned long fs_area[2] = { 0x1111111111111111ul, 0x2222222222222222ul };
static const unsigned long gs_area[2] = { 0x3333333333333333ul, 0x4444444444444444ul };

static unsigned long fs_read(unsigned long off)
{
	unsigned long v;
	asm volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static unsigned long gs_read(unsigned long off)
{
	unsigned long v;
	asm volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static unsigned long gs_selector(void)
{
	unsigned long v = 0;
	asm volatile("mov %%gs, %k0" : "=r"(v));
	return v & 0xffff;
}

static void user_gs_selector(unsigned long sel, unsigned long want)
{
	check_rc("set_segment_base(SEGBASE_GS_USER_SEL)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, sel), 0);
	if (!pvm64_cannot("  %gs selector", PVM_SELECTORS))
		check_eq("  %gs selector", gs_selector(), want);
	check_eq("  kernel GS base untouched: %gs:0", gs_read(0), gs_area[0]);
}

static void segbase_tests(void)
{
	check_rc("set_segment_base(SEGBASE_FS, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, (unsigned long)fs_area), 0);
	check_eq("%fs:0", fs_read(0), fs_area[0]);
	check_eq("%fs:8", fs_read(8), fs_area[1]);

	check_rc("set_segment_base(SEGBASE_GS_KERNEL, gs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)gs_area), 0);
	check_eq("%gs:0", gs_read(0), gs_area[0]);
	check_eq("%gs:8", gs_read(8), gs_area[1]);

	/* The user base is the inactive one in kernel mode. */
	check_rc("set_segment_base(SEGBASE_GS_USER, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, (unsigned long)fs_area), 0);
	check_eq("  kernel GS base untouched: %gs:0", gs_read(0), gs_area[0]);

	check_rc("SEGBASE_FS non-canonical", HYPERVISOR_set_segment_base(SEGBASE_FS, NONCANONICAL),
		 -XEN_EINVAL);
	check_eq("  %fs:0 unchanged", fs_read(0), fs_area[0]);
	check_rc("SEGBASE_GS_USER non-canonical",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, NONCANONICAL), -XEN_EINVAL);
	check_rc("SEGBASE_GS_KERNEL non-canonical",
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0xffff7fffffffffff), -XEN_EINVAL);
	check_eq("  %gs:0 unchanged", gs_read(0), gs_area[0]);
	check_rc("set_segment_base(4, 0)", HYPERVISOR_set_segment_base(4, 0), -XEN_EINVAL);

	/* Upper kernel-half bases are canonical: allowed. */
	check_rc("SEGBASE_FS in the kernel half",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, 0xffff900000000000ul), 0);
	check_rc("set_segment_base(SEGBASE_FS, fs_area)",
		 HYPERVISOR_set_segment_base(SEGBASE_FS, (unsigned long)fs_area), 0);
	check_eq("%fs:8", fs_read(8), fs_area[1]);

	printf("user %%gs selectors\n");
	user_gs_selector(FLAT_USER_DS32, FLAT_USER_DS32);
	user_gs_selector(FLAT_USER_DS32 & ~3, FLAT_USER_DS32);  /* RPL raised to 3 */
	user_gs_selector(0, 0);
	user_gs_selector(0x43, 0);              /* empty GDT slot: NUL loaded, still 0 */
	user_gs_selector(0x10000 | FLAT_USER_DS32, FLAT_USER_DS32);   /* bits 16+ ignored */
	user_gs_selector(0, 0);
}
#else
static void segbase_tests(void)
{
	/* x86-64 only: Xen answers a 32-bit guest -ENOSYS. */
	check_rc("set_segment_base(SEGBASE_FS, 0)", HYPERVISOR_set_segment_base(0, 0), -XEN_ENOSYS);
	check_rc("set_segment_base(SEGBASE_GS_USER_SEL, 0)", HYPERVISOR_set_segment_base(3, 0),
		 -XEN_ENOSYS);
}
#endif

/*
 * ---- descriptor tables ----
 * Xen checks every descriptor a guest installs (check_descriptor() in
 * xen/arch/x86/pv/descriptor-tables.c) and stores it in the guest's own
 * frame as checked, so the frames read back what Xen made of them.
 */
#ifdef __x86_64__
#define KRPL 3                  /* the guest kernel's ring */
#else
#define KRPL 1
#endif
#define XEN_CS 0xe008           /* Xen's own ring-0 code segment (__HYPERVISOR_CS) */
#define GDT_SEL(i) ((i) << 3 | KRPL)
#define LDT_SEL(i) ((i) << 3 | 4 | KRPL)
#define DESC_DPL(d) ((unsigned)((d) >> 45) & 3)

/* Access bytes (present, accessed: the CPU never writes the A bit back). */
#define ACC_DATA  0x93          /* P, S, data read/write, accessed; DPL 0 */
#define ACC_CODE  0x9b          /* P, S, code read/execute, accessed; DPL 0 */
#define FL_G  0x8
#define FL_DB 0x4
#define FL_L  0x2

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
	       (uint64_t)(base >> 24) << 56;
}

/* A system descriptor: type, DPL and the low byte of the high word (gate IST/parameters). */
static uint64_t sys_desc(unsigned type, unsigned dpl, unsigned sel, uint32_t off, unsigned low)
{
	return (off & 0xffff) | (uint64_t)(sel & 0xffff) << 16 | (uint64_t)(low & 0xff) << 32 |
	       (uint64_t)(0x80 | dpl << 5 | type) << 40 | (uint64_t)(off >> 16) << 48;
}

static uint64_t with_dpl(uint64_t d, unsigned dpl)
{
	return (d & ~(3ull << 45)) | (uint64_t)dpl << 45;
}

/*
 * What %fs:off reads once %fs holds sel; then %fs is NUL again. A #GP at
 * the load or the read resumes after them with 0 and is counted.
 */
#ifdef __x86_64__
asm(".text\n"
    "seg_fs_read:\n"
    "	xor %eax, %eax\n"
    "seg_fs_load:\n"
    "	mov %edi, %fs\n"
    "	mov %fs:(%rsi), %rax\n"
    "seg_fs_resume:\n"
    "	xor %ecx, %ecx\n"
    "	mov %ecx, %fs\n"
    "	ret\n");
#else
asm(".text\n"
    "seg_fs_read:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %edx\n"
    "	xor %eax, %eax\n"
    "seg_fs_load:\n"
    "	mov %ecx, %fs\n"
    "	mov %fs:(%edx), %eax\n"
    "seg_fs_resume:\n"
    "	xor %ecx, %ecx\n"
    "	mov %ecx, %fs\n"
    "	ret\n");
#endif
unsigned long seg_fs_read(unsigned long sel, unsigned long off);
extern const char seg_fs_load[], seg_fs_resume[];

static struct {
	unsigned count;
	unsigned long err;
} gp;

static void on_gp(struct trap_ctx *t)
{
	if (t->rip < (unsigned long)seg_fs_load || t->rip >= (unsigned long)seg_fs_resume)
		fail_now("unexpected #GP at 0x%lx (error code 0x%lx)", t->rip, t->err);
	gp.count++;
	gp.err = t->err;
	*t->rip_slot = (unsigned long)seg_fs_resume;
}

/*
 * seg_load_<reg>(sel): load sel into <reg> at seg_load_<reg>_insn, then put
 * the old selector back. A fault at the mov resumes at the restore. pv64
 * puts back FLAT_KERNEL_SS for %ss rather than what it reads: on kvm_pvm
 * ring-3 code reads the host's selector there.
 */
#ifdef __x86_64__
#define SEG_LOADER(reg)	SEG_LOADER_SAVE(reg, "mov %" #reg ", %eax")
#define SEG_LOADER_SAVE(reg, save)					\
	".globl seg_load_" #reg ", seg_load_" #reg "_insn, seg_load_" #reg "_resume\n" \
	"seg_load_" #reg ":\n"						\
	"	" save "\n"						\
	"seg_load_" #reg "_insn:\n"					\
	"	mov %edi, %" #reg "\n"					\
	"seg_load_" #reg "_resume:\n"					\
	"	mov %eax, %" #reg "\n"					\
	"	ret\n"
#else
#define SEG_LOADER(reg)							\
	".globl seg_load_" #reg ", seg_load_" #reg "_insn, seg_load_" #reg "_resume\n" \
	"seg_load_" #reg ":\n"						\
	"	mov 4(%esp), %ecx\n"					\
	"	mov %" #reg ", %eax\n"					\
	"seg_load_" #reg "_insn:\n"					\
	"	mov %ecx, %" #reg "\n"					\
	"seg_load_" #reg "_resume:\n"					\
	"	mov %eax, %" #reg "\n"					\
	"	ret\n"
#endif
#ifdef __x86_64__
asm(".text\n" SEG_LOADER(ds) SEG_LOADER(es) SEG_LOADER(fs) SEG_LOADER(gs)
    SEG_LOADER_SAVE(ss, "mov $" STR(FLAT_KERNEL_SS) ", %eax"));
#else
asm(".text\n" SEG_LOADER(ds) SEG_LOADER(es) SEG_LOADER(fs) SEG_LOADER(gs) SEG_LOADER(ss));
#endif

#define DECLARE_SEG_LOADER(reg) \
	void seg_load_##reg(unsigned long sel); \
	extern const char seg_load_##reg##_insn[], seg_load_##reg##_resume[]
DECLARE_SEG_LOADER(ds);
DECLARE_SEG_LOADER(es);
DECLARE_SEG_LOADER(fs);
DECLARE_SEG_LOADER(gs);
DECLARE_SEG_LOADER(ss);

enum seg_reg { DS, ES, FS, GS, SS };

static const struct seg_loader {
	const char *name;
	void (*load)(unsigned long sel);
	const char *insn, *resume;
} loaders[] = {
#define LOADER(reg) { "%" #reg, seg_load_##reg, seg_load_##reg##_insn, seg_load_##reg##_resume }
	[DS] = LOADER(ds), [ES] = LOADER(es), [FS] = LOADER(fs), [GS] = LOADER(gs),
	[SS] = LOADER(ss),
#undef LOADER
};

/* The last fault a seg_load_<reg>() took. */
static struct {
	unsigned count, vector;
	unsigned long err, rip;
} segf;

/* #NP, #SS and #GP: from a seg_load_<reg>() mov, else the seg_fs_read() #GP. */
static void on_seg_fault(struct trap_ctx *t)
{
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++) {
		if (t->rip != (unsigned long)loaders[i].insn)
			continue;
		segf.count++;
		segf.vector = t->vector;
		segf.err = t->err;
		segf.rip = t->rip;
		*t->rip_slot = (unsigned long)loaders[i].resume;
		return;
	}
	if (t->vector != 13)
		fail_now("unexpected %s at 0x%lx (error code 0x%lx)", trap_name(t->vector), t->rip,
			 t->err);
	on_gp(t);
}

/* Loading sel into reg raises vector(err), delivered with the mov's address in the frame. */
static void load_traps(const char *what, enum seg_reg reg, unsigned sel, unsigned vector,
		       unsigned long err)
{
	const struct seg_loader *l = &loaders[reg];
	char desc[200];

	memset(&segf, 0, sizeof(segf));
	l->load(sel);
	snprintf(desc, sizeof(desc), "%s loading %s (0x%x) with %s: error code 0x%lx, at the mov",
		 trap_name(vector), l->name, sel, what, err);
	if (segf.count == 1 && segf.vector == vector && segf.err == err &&
	    segf.rip == (unsigned long)l->insn)
		check(true, "%s", desc);
	else if (!segf.count)
		check(false, "%s; no fault", desc);
	else
		check(false, "%s; got %u faults, the last %s(0x%lx) at 0x%lx (mov at %p)", desc,
		      segf.count, trap_name(segf.vector), segf.err, segf.rip, (const void *)l->insn);
}

static const volatile unsigned long target[4] = { 0x5e9a, 0x5e9b, 0x5e9c, 0x5e9d };

/*
 * A segment base that reaches p: pv32 p itself; pv64 bases are 32 bits, so
 * the low half of p, with the rest in the offset (seg_off()) and the
 * 64-bit addition wrapping to p.
 */
static uint32_t seg_base(const volatile void *p)
{
	return (uint32_t)(unsigned long)p;
}

static unsigned long seg_off(const volatile void *p)
{
	return (unsigned long)p - seg_base(p);
}

/* Load sel into %fs and read target[i] through it (its base is seg_base(target)). */
static void read_through(const char *what, unsigned sel, unsigned i)
{
	gp.count = 0;
	unsigned long v = seg_fs_read(sel, seg_off(target) + i * sizeof(long));
	if (gp.count)
		check(false, "%s: %%fs 0x%x: #GP(0x%lx)", what, sel, gp.err);
	else
		check(v == target[i], "%s: %%fs 0x%x reads 0x%lx (want 0x%lx)", what, sel, v,
		      target[i]);
}

/* Loading sel into %fs raises #GP with this error code. */
static void load_faults(const char *what, unsigned sel, unsigned long err)
{
	gp.count = 0;
	seg_fs_read(sel, seg_off(target));
	check(gp.count == 1 && gp.err == err, "%s: %%fs 0x%x: #GP(0x%lx) (%u faults, error 0x%lx)",
	      what, sel, err, gp.count, gp.err);
}

/* Read/write data based at target with this DPL, P clear. */
static uint64_t not_present_data(unsigned dpl)
{
	return seg_desc(seg_base(target), 0xfffff, (ACC_DATA & ~0x80) | dpl << 5, FL_G | FL_DB);
}

static uint64_t gdt_page[512] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t ldt_page[512] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t spare_page[512] __attribute__((aligned(GUEST_PAGE_SIZE)));
static uint64_t gdt_maddr;

static long map_page(const void *va, bool writable)
{
	uint64_t flags = writable ? PTE_P | PTE_RW | PTE_A | PTE_D : PTE_P | PTE_A;
	return HYPERVISOR_update_va_mapping((unsigned long)va, make_pte(virt_to_mfn(va), flags),
					    UVMF_INVLPG);
}

/* update_descriptor of GDT entry idx: rc, then what the frame holds. */
static void update_entry(const char *what, unsigned idx, uint64_t d, long want_rc, uint64_t want)
{
	uint64_t before = gdt_page[idx];
	long rc = HYPERVISOR_update_descriptor(gdt_maddr + idx * 8, d);
	char buf[160];

	snprintf(buf, sizeof(buf), "update_descriptor(%s: 0x%016llx)", what,
		 (unsigned long long)d);
	check_rc(buf, rc, want_rc);
	if (want_rc)
		check_eq("  entry unchanged", gdt_page[idx], before);
	else
		check_eq("  entry reads back", gdt_page[idx], want);
}

static void gdt_tests(void)
{
	unsigned long gdt_mfn = virt_to_mfn(gdt_page), spare_mfn = virt_to_mfn(spare_page);
	const uint64_t data = seg_desc(seg_base(target), 0xfffff, ACC_DATA, FL_G | FL_DB);

	printf("set_gdt\n");
	gdt_maddr = (uint64_t)gdt_mfn << 12;
	/* Entry 9 is fixed up by Xen's validate_segdesc_page() when the frame becomes a GDT. */
	gdt_page[9] = data;
	check_rc("map the GDT frame read-only", map_page(gdt_page, false), 0);
	check_rc("set_gdt(FIRST_RESERVED_GDT_ENTRY + 1 entries)",
		 HYPERVISOR_set_gdt(&gdt_mfn, FIRST_RESERVED_GDT_ENTRY + 1), -XEN_EINVAL);
	/* pv_set_gdt(): get_page_and_type(PGT_seg_desc_page) fails for a writable frame. */
	check_rc("set_gdt(a frame mapped writable)", HYPERVISOR_set_gdt(&spare_mfn, 512),
		 -XEN_EINVAL);
	check_rc("set_gdt(1 frame, 512 entries)", HYPERVISOR_set_gdt(&gdt_mfn, 512), 0);
	check_eq("entry 9 (DPL 0) reads back with the kernel's DPL", gdt_page[9],
		 with_dpl(data, KRPL));
	read_through("GDT entry 9", GDT_SEL(9), 0);
	load_faults("empty GDT entry 13", GDT_SEL(13), 13 << 3);
	/*
	 * Past the guest's entries Xen maps the zero page (pv_destroy_gdt(),
	 * pv/descriptor-tables.c): an empty descriptor. Past Xen's GDT limit
	 * (LAST_RESERVED_GDT_BYTE, 0xefff) the CPU refuses the index itself.
	 * Both: #GP(selector).
	 */
	load_faults("GDT entry 512, past the guest's 512 entries", GDT_SEL(512), 512 << 3);
	load_faults("selector 0xfff8, past Xen's GDT limit 0xefff", 0xfff8 | KRPL, 0xfff8);

	printf("update_descriptor: code and data\n");
	update_entry("data, DPL 0", 8, data, 0, with_dpl(data, KRPL));
	read_through("GDT entry 8", GDT_SEL(8), 1);
	update_entry("data, DPL 3", 8, with_dpl(data, 3), 0, with_dpl(data, 3));
	read_through("GDT entry 8 (DPL 3)", GDT_SEL(8), 2);
	update_entry("code, DPL 0", 12, seg_desc(0, 0xfffff, ACC_CODE, FL_G | FL_DB), 0,
		     seg_desc(0, 0xfffff, ACC_CODE | KRPL << 5, FL_G | FL_DB));
	/* Not present: stored as given. */
	update_entry("not present", 12, 0x0000090012345678ull, 0, 0x0000090012345678ull);
#ifdef __x86_64__
	update_entry("64-bit code (L), DPL 3", 12, seg_desc(0, 0xfffff, ACC_CODE | 0x60, FL_G | FL_L),
		     0, seg_desc(0, 0xfffff, ACC_CODE | 0x60, FL_G | FL_L));
	/* No limit processing for 64-bit guests. */
	update_entry("data, base 0, limit 0xF67FF pages", 12,
		     seg_desc(0, 0xf67ff, ACC_DATA | 0x60, FL_G | FL_DB), 0,
		     seg_desc(0, 0xf67ff, ACC_DATA | 0x60, FL_G | FL_DB));
#else
	/* A compat guest gets no 64-bit code segment. */
	update_entry("64-bit code (L)", 12, seg_desc(0, 0xfffff, ACC_CODE | 0x20, FL_G | FL_L),
		     -XEN_EINVAL, 0);
	/*
	 * Base-0 segments reaching past HYPERVISOR_COMPAT_VIRT_START (0xF5800000)
	 * are extended to 4 GiB (old PAE Linux limited them to 0xF6800000); Xen
	 * lives above 4 GiB. Others are left alone.
	 */
	update_entry("data, base 0, limit 0xF67FF pages", 12,
		     seg_desc(0, 0xf67ff, ACC_DATA | 0x20, FL_G | FL_DB), 0,
		     seg_desc(0, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB));
	update_entry("data, base 0, limit 0xF5800 pages", 12,
		     seg_desc(0, 0xf5800, ACC_DATA | 0x20, FL_G | FL_DB), 0,
		     seg_desc(0, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB));
	update_entry("data, base 0, limit 0xF57FF pages (ends at the hole)", 12,
		     seg_desc(0, 0xf57ff, ACC_DATA | 0x20, FL_G | FL_DB), 0,
		     seg_desc(0, 0xf57ff, ACC_DATA | 0x20, FL_G | FL_DB));
	update_entry("data, base 0x1000, limit 4 GiB", 12,
		     seg_desc(0x1000, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB), 0,
		     seg_desc(0x1000, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB));
	update_entry("data, base 0, 4 GiB", 8, seg_desc(0, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB),
		     0, seg_desc(0, 0xfffff, ACC_DATA | 0x20, FL_G | FL_DB));
	{
		gp.count = 0;
		unsigned long v = seg_fs_read(GDT_SEL(8), (unsigned long)&target[3]);
		check(!gp.count && v == target[3], "flat %%fs reads target[3]: 0x%lx (%u #GP)", v,
		      gp.count);
	}
	/* A byte-granular limit. */
	update_entry("data, 8 bytes at target", 8, seg_desc(seg_base(target), 7, ACC_DATA, FL_DB),
		     0, seg_desc(seg_base(target), 7, ACC_DATA | 0x20, FL_DB));
	read_through("8-byte segment, offset 4", GDT_SEL(8), 1);
	/*
	 * Past the limit the CPU raises #GP(0); not judged: QEMU's TCG, which
	 * runs the test VM, does not check data segment limits.
	 */
	gp.count = 0;
	seg_fs_read(GDT_SEL(8), 8);
	printf("INFO 8-byte segment, offset 8: %u #GP\n", gp.count);
#endif

	printf("update_descriptor: system descriptors\n");
	/* Call gates are stored with DPL 0 and the (fixed-up) DPL in the target's RPL. */
	update_entry("call gate to Xen's cs", 10, sys_desc(0xc, 3, XEN_CS, 0x1000, 0), -XEN_EINVAL, 0);
	update_entry("call gate to the kernel cs, DPL 3", 10,
		     sys_desc(0xc, 3, FLAT_KERNEL_CS, 0x12345678, 0), 0,
		     sys_desc(0xc, 0, (FLAT_KERNEL_CS & ~3) | 3, 0x12345678, 0));
	update_entry("call gate to the kernel cs, DPL 0", 10,
		     sys_desc(0xc, 0, FLAT_KERNEL_CS, 0x12345678, 0), 0,
		     sys_desc(0xc, 0, (FLAT_KERNEL_CS & ~3) | KRPL, 0x12345678, 0));
	/* guest_gate_selector_okay() takes the flat kernel cs only with its RPL. */
	update_entry("call gate to the kernel cs with RPL 0", 10,
		     sys_desc(0xc, 3, FLAT_KERNEL_CS & ~3, 0x12345678, 0), -XEN_EINVAL, 0);
	update_entry("call gate to GDT entry 12", 10, sys_desc(0xc, 3, 12 << 3, 0x1000, 0), 0,
		     sys_desc(0xc, 0, 12 << 3 | 3, 0x1000, 0));
#ifdef __x86_64__
	/* The upper half of a 16-byte gate: type 0 or not present. */
	update_entry("call gate, upper half", 11, 0xffffffffull, 0, 0xffffffffull);
	update_entry("call gate with IST bits", 10, sys_desc(0xc, 3, FLAT_KERNEL_CS, 0x1000, 1),
		     -XEN_EINVAL, 0);
#else
	update_entry("call gate with 3 parameters", 10, sys_desc(0xc, 1, FLAT_KERNEL_CS, 0x1000, 3),
		     0, sys_desc(0xc, 0, FLAT_KERNEL_CS, 0x1000, 3));
	update_entry("call gate with reserved bit 5", 10,
		     sys_desc(0xc, 1, FLAT_KERNEL_CS, 0x1000, 0x20), -XEN_EINVAL, 0);
#endif
	update_entry("type 0, present (harmless)", 11, sys_desc(0, 0, 0, 0x1000, 0), 0,
		     sys_desc(0, 0, 0, 0x1000, 0));
	update_entry("LDT descriptor", 13, sys_desc(0x2, 3, 0, 0x1000, 0), -XEN_EINVAL, 0);
	update_entry("available TSS", 13, sys_desc(0x9, 3, 0, 0x1000, 0), -XEN_EINVAL, 0);
	update_entry("busy TSS", 13, sys_desc(0xb, 3, 0, 0x1000, 0), -XEN_EINVAL, 0);
	update_entry("interrupt gate", 13, sys_desc(0xe, 3, FLAT_KERNEL_CS, 0x1000, 0), -XEN_EINVAL, 0);
	update_entry("trap gate", 13, sys_desc(0xf, 3, FLAT_KERNEL_CS, 0x1000, 0), -XEN_EINVAL, 0);

	printf("update_descriptor: addresses\n");
	/* do_update_descriptor(): misaligned, no page (get_page_from_gfn), wrong type: -EINVAL. */
	check_rc("misaligned by 4", HYPERVISOR_update_descriptor(gdt_maddr + 8 * 8 + 4, data),
		 -XEN_EINVAL);
	check_rc("misaligned by 1", HYPERVISOR_update_descriptor(gdt_maddr + 8 * 8 + 1, data),
		 -XEN_EINVAL);
	check_eq("  entry 8 unchanged", gdt_page[8],
		 IS_PV32 ? seg_desc(seg_base(target), 7, ACC_DATA | 0x20, FL_DB) : with_dpl(data, 3));
	check_rc("a frame not ours (after the p2m's largest)",
		 HYPERVISOR_update_descriptor((uint64_t)(p2m_max_mfn() + 1) << 12, data), -XEN_EINVAL);
	check_rc("a frame beyond machine memory",
		 HYPERVISOR_update_descriptor(1ull << 40, data), -XEN_EINVAL);
	check_rc("the root page table",
		 HYPERVISOR_update_descriptor(
			 (uint64_t)virt_to_mfn((const void *)start_info->pt_base) << 12, data),
		 -XEN_EINVAL);
	check_rc("ordinary writable memory",
		 HYPERVISOR_update_descriptor(((uint64_t)spare_mfn << 12) + 3 * 8, data), 0);
	check_eq("  it reads back with the kernel's DPL", spare_page[3], with_dpl(data, KRPL));

	/* A frame that does not validate (a TSS descriptor) is no GDT; the old one stays. */
	spare_page[5] = sys_desc(0x9, 3, 0, 0x1000, 0);
	check_rc("map the spare frame read-only", map_page(spare_page, false), 0);
	check_rc("set_gdt(a frame holding a TSS descriptor)", HYPERVISOR_set_gdt(&spare_mfn, 512),
		 -XEN_EINVAL);
	read_through("the old GDT still in use: entry 9", GDT_SEL(9), 3);
	check_rc("map the spare frame writable again", map_page(spare_page, true), 0);
	/* While it is a GDT, the frame cannot be mapped writable (get_page_from_l1e: -EBUSY). */
	check_rc("map the GDT frame writable", map_page(gdt_page, true), -XEN_EBUSY);
}

/*
 * Not-present descriptors. Xen stores them as given ("A not-present
 * descriptor will always fault, so is safe": check_descriptor(),
 * pv/descriptor-tables.c), DPL included. The CPU checks type and privilege
 * before presence, so only a descriptor the kernel's ring may use raises
 * #NP (%ds..%gs) or #SS (%ss); a DPL 0 one raises #GP. handle_exception
 * (x86_64/entry.S) sends #NP and #SS to do_trap() (traps.c), which bounces
 * them to the guest's trap_table handler with the hardware error code: the
 * selector with the RPL cleared. #TS is not covered: it needs a task
 * switch, and check_descriptor() refuses TSS descriptors and task gates
 * (Xen has no do_trap() route for it either: do_unhandled_trap()).
 */
static void not_present_tests(void)
{
	const uint64_t np = not_present_data(KRPL), np_dpl0 = not_present_data(0);
	const unsigned long err14 = 14 << 3, err15 = 15 << 3;

	printf("not-present GDT descriptors: #NP, #SS\n");
	update_entry("data, DPL of the kernel's ring, not present", 14, np, 0, np);
	load_traps("a not-present GDT descriptor", DS, GDT_SEL(14), 11, err14);
	load_traps("a not-present GDT descriptor", ES, GDT_SEL(14), 11, err14);
	load_traps("a not-present GDT descriptor", FS, GDT_SEL(14), 11, err14);
	load_traps("a not-present GDT descriptor", GS, GDT_SEL(14), 11, err14);
	load_traps("a not-present GDT descriptor", SS, GDT_SEL(14), 12, err14);
	update_entry("data, DPL 0, not present (the DPL stays 0)", 15, np_dpl0, 0, np_dpl0);
	if (!pvm64_cannot("%fs and a not-present DPL 0 GDT descriptor",
			"its emulator loads it into ring-3 %fs without checking the DPL"))
		load_traps("a not-present DPL 0 GDT descriptor (privilege checked first)", FS,
			   GDT_SEL(15), 13, err15);
	load_traps("a not-present DPL 0 GDT descriptor (privilege checked first)", SS,
		   GDT_SEL(15), 13, err15);
	/* With P set the same selector loads: the P bit was the only fault. */
	update_entry("entry 14, now present", 14, np | 1ull << 47, 0, np | 1ull << 47);
	read_through("GDT entry 14, now present", GDT_SEL(14), 1);
	memset(&segf, 0, sizeof(segf));
	seg_load_ss(GDT_SEL(14));
	check(!segf.count, "%%ss 0x%x loads GDT entry 14, now present (%u faults)", GDT_SEL(14),
	      segf.count);
}

static void ldt_tests(void)
{
	printf("MMUEXT_SET_LDT\n");
	const uint64_t data = seg_desc(seg_base(target), 0xfffff, ACC_DATA, FL_G | FL_DB);
	struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };

	ldt_page[0] = data;
	check_rc("map the LDT frame read-only", map_page(ldt_page, false), 0);
	op.arg1.linear_addr = (unsigned long)ldt_page;
	op.arg2.nr_ents = 2;
	check_rc("MMUEXT_SET_LDT(2 entries)", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	read_through("LDT entry 0", LDT_SEL(0), 2);
	/* Xen validates (and fixes up) LDT frames when it maps them, at first use. */
	check_eq("LDT entry 0 reads back with the kernel's DPL", ldt_page[0], with_dpl(data, KRPL));
	load_faults("LDT entry 1 (empty)", LDT_SEL(1), 1 << 3 | 4);
	load_faults("LDT entry 2 (past the limit)", LDT_SEL(2), 2 << 3 | 4);
	/* The live LDT follows update_descriptor; the error code keeps the TI bit. */
	check_rc("update_descriptor(LDT entry 1: data, not present)",
		 HYPERVISOR_update_descriptor(((uint64_t)virt_to_mfn(ldt_page) << 12) + 8,
					      not_present_data(KRPL)),
		 0);
	check_eq("  LDT entry 1 reads back as given", ldt_page[1], not_present_data(KRPL));
	load_traps("a not-present LDT descriptor", GS, LDT_SEL(1), 11, 1 << 3 | 4);
	load_traps("a not-present LDT descriptor", SS, LDT_SEL(1), 12, 1 << 3 | 4);
	op.arg1.linear_addr = 0;
	op.arg2.nr_ents = 0;
	check_rc("MMUEXT_SET_LDT(none)", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
	load_faults("no LDT: entry 0", LDT_SEL(0), 4);
}

void guest_main(void)
{
	printf("segments test (" GUEST_MODE ")\n");
	segbase_tests();

	trap_set_handler(11, on_seg_fault, false);
	trap_set_handler(12, on_seg_fault, false);
	trap_set_handler(13, on_seg_fault, false);
	check_rc("set_trap_table", traps_install(), 0);
	gdt_tests();
	not_present_tests();
	ldt_tests();
	check_rc("set_gdt(none)", HYPERVISOR_set_gdt(NULL, 0), 0);
	check_rc("map the GDT frame writable again", map_page(gdt_page, true), 0);
}
