/* arch32.c — i386 PAE specifics: descriptor tables, the hole's L2 entries, guest entry. */
#include "stub.h"
#include "mmu.h"
#if STUB_BITS == 32

/*
 * The stub's selectors (entry32.S has the first two and STUB_CS64). In
 * long mode (pv32_long_mode) TSS and LDT descriptors take two slots and
 * the IDT's gates need a 64-bit code segment.
 */
#define STUB_CS   0xe008
#define STUB_DS   0xe010
#define STUB_TSS  0xe038
#define STUB_LDT  0xe040
#define STUB_CS64    0xe038
#define STUB_TSS_LM  0xe040
#define STUB_LDT_LM  0xe050

extern const uint32_t trap_entries[256], trap_entries64[256];  /* entry32.S */

struct tss32 {
	uint32_t prev, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss32) == 104, "tss32");

static uint64_t idt[512] __attribute__((aligned(4096)));   /* 256 gates of 8 or 16 bytes */
static uint64_t *mapcache_l1_ptr;
static uint64_t *own_top_l2;

/* The stub's own L2 under L3 slot 3: its entries from STUB32_L2_FIRST are the hole. */
uint64_t *stub32_own_top_l2(void)
{
	return own_top_l2;
}

/*
 * Guest segments (the flat ring-1 and ring-3 ones here, and later any the
 * guest installs) end where the read-only M2P ends: ring 1 is a supervisor
 * ring, so only the segment limit keeps it out of the stub's pages above.
 */
_Static_assert(XEN32_HYPERVISOR_VIRT_START == HYPERVISOR_VIRT_START_PAE, "hostabi.h");
_Static_assert(XEN32_MACH2PHYS_VIRT_START == MACH2PHYS_VIRT_START_PAE, "hostabi.h");
_Static_assert(XEN32_MACH2PHYS_VIRT_END == MACH2PHYS_VIRT_END_PAE, "hostabi.h");

#define GUEST_LIMIT_PAGES ((MACH2PHYS_VIRT_END_PAE >> 12) - 1)

static uint64_t seg_desc(uint32_t base, uint32_t limit_pages, unsigned access)
{
	return (uint64_t)(limit_pages & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit_pages >> 16) & 0xf) << 48 |
	       (uint64_t)0xc << 52 | (uint64_t)(base >> 24) << 56;
}

static inline uint32_t read_cr3(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

struct vcpu *current(void)
{
	ulong sp;
	__asm__("mov %%esp, %0" : "=r"(sp));
	return *(struct vcpu **)((sp & ~(STACK_SIZE - 1)) + STACK_SIZE - sizeof(void *));
}

uint64_t *mapcache_l1(void);
uint64_t *mapcache_l1(void)
{
	return mapcache_l1_ptr;
}

static void set_gate(unsigned vec, unsigned dpl)
{
	uint32_t handler = pv32_long_mode ? trap_entries64[vec] : trap_entries[vec];
	uint64_t g = (uint64_t)(handler & 0xffff) | (uint64_t)(pv32_long_mode ? STUB_CS64 : STUB_CS) << 16 |
		     (uint64_t)(0x8e | dpl << 5) << 40 | (uint64_t)(handler >> 16) << 48;
	if (pv32_long_mode) {
		idt[2 * vec] = g;
		idt[2 * vec + 1] = 0;           /* offset bits 63:32 */
	} else {
		idt[vec] = g;
	}
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(X86_BP, 3);
	set_gate(X86_OF, 3);
	set_gate(VEC_HYPERCALL, 1);             /* int $0x82 */
}

/* The stub's own tables were built by the host; find them through CR3 (in the stub region). */
static void *stub_table(uint64_t maddr)
{
	return stub_ptr((maddr & ~0xfffull) - dom.bi.stub_maddr);
}

static void find_stub_tables(void)
{
	uint64_t *l3 = stub_ptr((read_cr3() & ~0x1fu) - dom.bi.stub_maddr);
	if (pv32_long_mode)             /* the host's L4, slot 0 */
		l3 = stub_table(*l3 & 0x000ffffffffff000ull);
	uint64_t *l2 = stub_table(l3[3] & 0x000ffffffffff000ull);
	own_top_l2 = l2;
	uint64_t mc = l2[(STUB32_MAPCACHE >> 21) & 511];
	if (!(mc & 1) || (mc & 0x80))
		panic("mapcache L1 missing from the stub's page tables");
	mapcache_l1_ptr = stub_table(mc & 0x000ffffffffff000ull);
}

void arch_cpu_init(struct vcpu *v)
{
	uint64_t *gdt = (uint64_t *)v->gdt;
	gdt[STUB_CS >> 3] = seg_desc(0, 0xfffff, 0x9b);
	gdt[STUB_DS >> 3] = seg_desc(0, 0xfffff, 0x93);
	gdt[FLAT_RING1_CS >> 3] = seg_desc(0, GUEST_LIMIT_PAGES, 0xbb);
	gdt[FLAT_RING1_DS >> 3] = seg_desc(0, GUEST_LIMIT_PAGES, 0xb3);
	gdt[FLAT_RING3_CS >> 3] = seg_desc(0, GUEST_LIMIT_PAGES, 0xfb);
	gdt[FLAT_RING3_DS >> 3] = seg_desc(0, GUEST_LIMIT_PAGES, 0xf3);

	/* The 32-bit and the 64-bit TSS have the same size (no I/O bitmap). */
	unsigned tss_sel = pv32_long_mode ? STUB_TSS_LM : STUB_TSS;
	if (pv32_long_mode) {
		gdt[STUB_CS64 >> 3] = (seg_desc(0, 0xfffff, 0x9b) & ~(1ull << 54)) | 1ull << 53;  /* L, not D */
		struct tss64 *tss = v->tss;
		tss->rsp[0] = v->stack_top;     /* 16-byte aligned: entry32.S's frame sits at its top */
		tss->iomap_base = sizeof(*tss);
	} else {
		struct tss32 *tss = v->tss;
		tss->esp0 = v->stack_top;
		tss->ss0 = STUB_DS;
		tss->iomap_base = sizeof(*tss);
	}
	_Static_assert(sizeof(struct tss32) == sizeof(struct tss64), "TSS limit");
	set_system_desc(gdt, tss_sel, (uint32_t)v->tss, sizeof(struct tss32) - 1, SYS_DESC_TSS_AVAIL,
			pv32_long_mode);

	if (v->id == 0) {
		idt_init();
		find_stub_tables();
	}
	struct { uint16_t limit; uint32_t base; } __attribute__((packed))
		gdtr = { 16 * PAGE_SIZE - 1, (uint32_t)gdt },
		idtr = { (pv32_long_mode ? 16 : 8) * 256 - 1, (uint32_t)idt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"ljmp %1, $1f\n"
		"1:\n\t"
		"mov %2, %%ss\n\t"
		"mov %2, %%ds\n\t"
		"mov %2, %%es\n\t"
		"ltr %w3\n\t"
		"lidt %4"
		: : "m"(gdtr), "i"(STUB_CS), "r"(STUB_DS), "r"(tss_sel), "m"(idtr)
		: "memory");
}

/*
 * maddr: a PAE L3 (page-aligned: MMUEXT_NEW_BASEPTR takes a frame). In
 * long mode the vCPU's own L4 points at it from slot 0, so the guest's
 * 4 GiB are the same; the L3's entries then carry the permission bits
 * (mmu.c, as 64-bit Xen's adjust_guest_l3e for 32-bit guests).
 */
void arch_write_cr3(struct vcpu *v, uint64_t maddr)
{
	if (maddr >> 32)
		panic("PAE CR3 above 4 GiB: %llx", (unsigned long long)maddr);
	uint32_t gen = tlb_gen_now();
	if (pv32_long_mode) {
		v->pv32_l4[0] = (maddr & ~0xfffull) | _PAGE_PRESENT | _PAGE_RW |
				_PAGE_USER | _PAGE_ACCESSED;
		maddr = stub_virt_to_mfn(v->pv32_l4) << PAGE_SHIFT;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint32_t)maddr) : "memory");
	tlb_cr3_loaded(v, gen);
}

/* mov $nr,%eax; int $0x82; ret — the iret entry pushes %eax first and never returns. */
void arch_fill_hypercall_page(uint8_t *page)
{
	memset(page, 0xcc, PAGE_SIZE);
	for (unsigned nr = 0; nr < PAGE_SIZE / 32; nr++) {
		uint8_t *p = page + nr * 32;
		if (nr == __HYPERVISOR_iret) {
			static const uint8_t iret[] = { 0x50, 0xb8, 0, 0, 0, 0, 0xcd, 0x82 };
			memcpy(p, iret, sizeof(iret));
			p[2] = (uint8_t)nr;
			continue;
		}
		static const uint8_t call[] = { 0xb8, 0, 0, 0, 0, 0xcd, 0x82, 0xc3 };
		memcpy(p, call, sizeof(call));
		p[1] = (uint8_t)nr;
	}
}

bool arch_guest_va_ok(ulong va, size_t len)
{
	ulong end = va + len;
	return end >= va && end <= HYPERVISOR_VIRT_START_PAE;
}

void arch_guest_start_regs(struct regs *r, ulong entry, ulong sp, ulong si)
{
	r->ip = entry;
	r->cs = FLAT_KERNEL_CS;
	r->flags = X86_EFLAGS_IF | 2;
	r->sp = sp;
	r->ss = FLAT_KERNEL_SS;
	r->ds = r->es = r->fs = r->gs = FLAT_KERNEL_DS;
	r->esi = si;
}

bool guest_kernel_mode(const struct vcpu *v, const struct regs *r)
{
	return (r->cs & 3) == 1;
}

void arch_load_ldt(struct vcpu *v, const void *base, unsigned ents)
{
	uint64_t *gdt = (uint64_t *)v->gdt;
	if (!ents) {
		__asm__ volatile("lldt %w0" : : "r"(0));
		return;
	}
	unsigned sel = pv32_long_mode ? STUB_LDT_LM : STUB_LDT;
	set_system_desc(gdt, sel, (uint32_t)base, ents * 8 - 1, SYS_DESC_LDT, pv32_long_mode);
	__asm__ volatile("lldt %w0" : : "r"(sel));
}

#endif
