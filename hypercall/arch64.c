/* arch64.c — x86_64 specifics: descriptor tables, MSRs, page-table hookup, guest entry. */
#include "stub.h"
#if STUB_BITS == 64

#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_SFMASK         0xc0000084

#define STUB_CS   0xe008
#define STUB_DS   0xe010
#define STUB_TSS  0xe040
#define STUB_LDT  0xe050

extern const uint64_t trap_entries[256];        /* entry64.S */
extern char syscall_entry[], syscall_entry_compat[];

struct gate64 {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

static struct gate64 idt[256] __attribute__((aligned(4096)));

#define wrmsr wrmsr64

struct vcpu *current(void)
{
	ulong sp;
	__asm__("mov %%rsp, %0" : "=r"(sp));
	return *(struct vcpu **)((sp & ~(STACK_SIZE - 1)) + STACK_SIZE - sizeof(void *));
}

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl, unsigned ist)
{
	struct gate64 *g = &idt[vec];
	g->off_lo = (uint16_t)handler;
	g->sel = STUB_CS;
	g->ist = (uint8_t)ist;
	g->type_attr = (uint8_t)(0x80 | dpl << 5 | 0xe);     /* present, interrupt gate */
	g->off_mid = (uint16_t)(handler >> 16);
	g->off_hi = (uint32_t)(handler >> 32);
	g->zero = 0;
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, trap_entries[v], 0, 0);
	/* int3 and into are allowed from the guest, as on Xen. */
	set_gate(X86_BP, trap_entries[X86_BP], 3, 0);
	set_gate(X86_OF, trap_entries[X86_OF], 3, 0);
	/* Double fault, NMI and machine check run on their own stack. */
	set_gate(X86_DF, trap_entries[X86_DF], 0, 1);
	set_gate(X86_NMI, trap_entries[X86_NMI], 0, 1);
	set_gate(X86_MC, trap_entries[X86_MC], 0, 1);
}

void arch_cpu_init(struct vcpu *v)
{
	uint64_t *gdt = (uint64_t *)v->gdt;
	gdt[STUB_CS >> 3] = 0x00af9b000000ffffull;              /* 64-bit code, DPL 0 */
	gdt[STUB_DS >> 3] = 0x00cf93000000ffffull;              /* data, DPL 0 */
	gdt[(FLAT_RING3_CS32 & ~3) >> 3] = 0x00cffb000000ffffull; /* 32-bit code, DPL 3 */
	gdt[(FLAT_RING3_SS64 & ~3) >> 3] = 0x00cff3000000ffffull; /* data, DPL 3 */
	gdt[(FLAT_RING3_CS64 & ~3) >> 3] = 0x00affb000000ffffull; /* 64-bit code, DPL 3 */

	struct tss64 *tss = v->tss;
	uint8_t *ist = heap_alloc_pages(STACK_SIZE / PAGE_SIZE, STACK_SIZE);
	*(struct vcpu **)(ist + STACK_SIZE - sizeof(void *)) = v;
	tss->rsp[0] = v->stack_top;
	tss->ist[0] = (uint64_t)(ist + STACK_SIZE - 16);
	tss->iomap_base = sizeof(*tss);                         /* no I/O bitmap */
	set_system_desc(gdt, STUB_TSS, (uint64_t)tss, sizeof(*tss) - 1, SYS_DESC_TSS_AVAIL, true);

	struct { uint16_t limit; uint64_t base; } __attribute__((packed))
		gdtr = { 16 * PAGE_SIZE - 1, (uint64_t)gdt },
		idtr = { sizeof(idt) - 1, (uint64_t)idt };
	if (v->id == 0)
		idt_init();
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"mov %2, %%ss\n\t"
		"ltr %w3\n\t"
		"lidt %4"
		: : "m"(gdtr), "i"(STUB_CS), "r"(STUB_DS), "r"(STUB_TSS), "m"(idtr)
		: "rax", "memory");

	wrmsr(MSR_STAR, (uint64_t)FLAT_RING3_CS32 << 48 | (uint64_t)STUB_CS << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_CSTAR, (uint64_t)syscall_entry_compat);
	wrmsr(MSR_SFMASK, 0x47700);     /* TF IF DF IOPL NT AC: the stub runs with IF=0 */
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)v);
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_FS_BASE, 0);
}

void arch_write_cr3(struct vcpu *v, uint64_t maddr)
{
	uint32_t gen = tlb_gen_now();
	__asm__ volatile("mov %0, %%cr3" : : "r"(maddr) : "memory");
	tlb_cr3_loaded(v, gen);
}

/*
 * Each 32-byte entry saves the registers syscall clobbers, as Xen's page
 * does: push %rcx; push %r11; mov $nr,%eax; syscall; pop %r11; pop %rcx; ret.
 * The iret entry also pushes %rax and never returns.
 */
void arch_fill_hypercall_page(uint8_t *page)
{
	memset(page, 0xcc, PAGE_SIZE);
	for (unsigned nr = 0; nr < PAGE_SIZE / 32; nr++) {
		uint8_t *p = page + nr * 32;
		if (nr == __HYPERVISOR_iret) {
			static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 0, 0, 0, 0,
							0x0f, 0x05 };
			memcpy(p, iret, sizeof(iret));
			p[5] = (uint8_t)nr;
			continue;
		}
		static const uint8_t call[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
						0x41, 0x5b, 0x59, 0xc3 };
		memcpy(p, call, sizeof(call));
		p[4] = (uint8_t)nr;
	}
}

/* Guest pointers must be canonical and stay out of the hypervisor hole. */
bool arch_guest_va_ok(ulong va, size_t len)
{
	ulong end = va + len;
	if (end < va)
		return false;
	if (end <= 0x0000800000000000ul)
		return true;
	return va >= HYPERVISOR_VIRT_END;
}

void arch_guest_start_regs(struct regs *r, ulong entry, ulong sp, ulong si)
{
	r->ip = entry;
	r->cs = FLAT_KERNEL_CS64;
	r->flags = X86_EFLAGS_IF | 2;
	r->sp = sp;
	r->ss = FLAT_KERNEL_SS64;
	r->rsi = si;
}

bool guest_kernel_mode(const struct vcpu *v, const struct regs *r)
{
	return v->kernel_mode;
}

#define rdmsr rdmsr64

/*
 * 64-bit PV kernel and user both run in ring 3: what tells them apart is
 * the page tables (kernel or user top level) and the GS base. The stub
 * keeps its own per-vCPU pointer in KERNEL_GS_BASE, so the inactive guest
 * GS base lives in vcpu_cb instead of behind swapgs as on Xen.
 */
void arch_toggle_guest_mode(struct vcpu *v)
{
	if (v->kernel_mode) {
		v->cb.gs_base_kernel = rdmsr(MSR_GS_BASE);
		wrmsr(MSR_GS_BASE, v->cb.gs_base_user);
		arch_write_cr3(v, v->user_pt_mfn << PAGE_SHIFT);
		v->kernel_mode = false;
	} else {
		v->cb.gs_base_user = rdmsr(MSR_GS_BASE);
		wrmsr(MSR_GS_BASE, v->cb.gs_base_kernel);
		arch_write_cr3(v, v->kernel_pt_mfn << PAGE_SHIFT);
		v->kernel_mode = true;
	}
}

void arch_load_ldt(struct vcpu *v, const void *base, unsigned ents)
{
	uint64_t *gdt = (uint64_t *)v->gdt;
	if (!ents) {
		__asm__ volatile("lldt %w0" : : "r"(0));
		return;
	}
	set_system_desc(gdt, STUB_LDT, (uint64_t)base, ents * 8 - 1, SYS_DESC_LDT, true);
	__asm__ volatile("lldt %w0" : : "r"(STUB_LDT));
}

#endif
