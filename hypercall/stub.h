/* stub.h — the in-guest stub ("emu"): shared declarations for both images. */
#ifndef STUB_STUB_H
#define STUB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/version.h>
#include <xenner/hostabi.h>
#include "callback.h"
#include "evtchn.h"
#include "vtime.h"
#include "vmce.h"
#include "smp.h"

#if STUB_BITS != 64 && STUB_BITS != 32
#error "build the stub with -DSTUB_BITS=64 or 32"
#endif

typedef unsigned long ulong;            /* the guest's native word */

#define PAGE_SIZE   4096ul
#define PAGE_SHIFT  12
#define STACK_SIZE  16384ul             /* per vCPU, aligned to its size */
#define MAX_VCPUS   32                  /* XEN_LEGACY_MAX_VCPUS */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)

/*
 * Register frame built by the entry code on the stub stack (entry64.S /
 * entry32.S push it; the exit path pops it). Field names that both
 * variants share (ip, cs, flags, sp, ss, vector, error_code) let common
 * code stay common.
 */
#if STUB_BITS == 64
struct regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t vector, error_code;
	uint64_t ip, cs, flags, sp, ss;         /* hardware iret frame */
};
#define REG_RET(r)  ((r)->rax)
#else
struct regs {
	uint32_t ebx, ecx, edx, esi, edi, ebp, eax;
	uint32_t ds, es, fs, gs;
	uint32_t vector, error_code;
	uint32_t ip, cs, flags;
	uint32_t sp, ss;                        /* valid only if (cs & 3) != 0 */
};
#define REG_RET(r)  ((r)->eax)
#endif

/* Pseudo vector numbers the entry code uses for non-exception entries. */
#define VEC_SYSCALL   0x100     /* 64-bit: syscall instruction */
#define VEC_HYPERCALL 0x82      /* 32-bit: int $0x82 */

/* Exceptions (architectural vectors). */
enum {
	X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5,
	X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12,
	X86_GP = 13, X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_MC = 18, X86_XM = 19,
};
#define X86_EFLAGS_IF   0x200ul
#define X86_EFLAGS_IOPL 0x3000ul
#define X86_EFLAGS_OF   0x800ul
#define X86_EFLAGS_VM   0x20000ul
#define X86_EFLAGS_TF   0x100ul
#define X86_EFLAGS_NT   0x4000ul
#define X86_EFLAGS_RF   0x10000ul
#define X86_EFLAGS_DF   0x400ul
#define X86_EFLAGS_AC   0x40000ul
#define PFEC_PRESENT    0x1u
#define PFEC_USER       0x4u
#define PFEC_RSVD       0x8u

/* One guest trap-table slot (set_trap_table). */
struct trap_slot {
	ulong address;
	uint16_t cs;
	uint8_t flags;          /* trap_info.flags: DPL and the "mask events" bit */
};

/* The long-mode TSS (the 64-bit stub, and the 32-bit one in long mode). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "tss64");

/*
 * Per-vCPU state. The first fields are read by entry64.S through
 * %gs (syscall entry): keep their offsets in sync with VCPU_* there.
 */
struct vcpu {
	ulong scratch_sp;               /* +0: guest rsp at syscall entry */
	ulong stack_top;                /* +8: top of this vCPU's stub stack */
	struct vcpu *self;              /* +16 */
	unsigned id;
	bool online;
	bool kernel_mode;               /* 64-bit PV: guest kernel vs guest user */
	ulong kernel_ss, kernel_sp;     /* stack_switch */
	struct trap_slot traps[256];
	struct vcpu_info *vcpu_info;    /* stub-virtual pointer to the live copy */
	bool vcpu_info_registered;
	uint64_t user_pt_mfn, kernel_pt_mfn;
	uint64_t *pv32_l4;              /* 32-bit in long mode: this vCPU's L4 (arch_write_cr3) */
	struct hostcall *hostcall;
	uint8_t *gdt;                   /* 16 pages: guest part + stub entries */
	ulong gdt_mfns[FIRST_RESERVED_GDT_PAGE];        /* set_gdt frames (seg_desc type) */
	unsigned gdt_nr_frames, gdt_ents;
	/* MMUEXT_SET_LDT: guest frames (PGT_seg_desc) copied into ldt_copy */
	ulong ldt_base;
	unsigned ldt_ents, ldt_nr_frames;
	uint64_t ldt_mfns[16];
	uint64_t *ldt_copy;             /* 16 pages, allocated on first use */
	ulong guest_cr4;                /* the guest's own CR4 bits (emulate.c) */
	void *tss;
	struct vcpu_cb cb;              /* callback.c */
	struct stub_stats *stats;       /* --stats counters, read by the host */
	/* VCPUOP_initialise / up / down */
	bool initialised;
	volatile bool up;               /* Xen's !_VPF_down */
	void *ctxt;                     /* the vcpu_guest_context it was initialised with */
	struct vcpu_ev ev;              /* evtchn.c */
	struct vcpu_time tm;            /* time.c */
	struct vmce vmce;               /* machine-check MSRs (vmce.c) */
	struct vcpu_tlb tlb;            /* flush requests (smp.c) */
};

/* Boot description, parsed once from the FDT (boot.c). */
struct boot_info {
	unsigned guest_bits, domid, nr_vcpus, tsc_khz, trace;
	char host_kind[8];
	uint32_t host_flags;             /* HOST_F_* */
	char xen_extra[XEN_EXTRAVERSION_LEN];
	char xen_cmdline[1024];
	uint64_t guest_nr_pages, max_mfn;
	uint64_t stub_maddr, stub_size;
	uint64_t heap_off, heap_size, m2p_off, m2p_size, m2p_virt, shared_info_off;
	uint64_t frame_info_off, frame_info_size, stats_off;
	unsigned nr_ram_ranges;
	struct { uint64_t mfn, count; } ram[4];
	uint64_t entry, start_info, stack, pt_root_mfn, pt_first_pfn, pt_count;
	uint64_t hypercall_page;
};

struct domain {
	struct boot_info bi;
	shared_info_t *shared_info;     /* stub-virtual */
	ulong vm_assist;                /* enabled VMASST_TYPE_* bits */
	struct vcpu *vcpus[MAX_VCPUS];
	struct domain_ev ev;            /* evtchn.c */
	struct host_page *host;         /* shared with the host (hostabi.h) */
	/*
	 * kvm_pvm: natively-run guest code ignores CR0.TS, so no #NM comes
	 * from the FPU (docs/architecture.md, "kvm_pvm hosts").
	 */
	bool no_native_nm;
};
extern struct domain dom;
/*
 * HOST_F_PV32_LONG_MODE: the 32-bit stub runs in long mode's compatibility
 * mode (kvm_pvm keeps no paging outside long mode), as 64-bit Xen runs
 * 32-bit guests; the guest sees the same ABI. Always false in the 64-bit
 * stub. A byte: entry32.S's exit path reads it.
 */
extern bool pv32_long_mode;

/* ---- arch.h-like helpers (arch64.c / arch32.c) ---- */
struct vcpu *current(void);
void arch_cpu_init(struct vcpu *v);          /* GDT, TSS, IDT, MSRs */
void arch_enter_guest(struct vcpu *v, struct regs *r) __attribute__((noreturn));
#if STUB_BITS == 32
uint64_t *stub32_own_top_l2(void);
#endif
/* Load CR3 on the CPU that runs v (v: current(), or vCPU 0 on the boot stack). */
void arch_write_cr3(struct vcpu *v, uint64_t maddr);
ulong arch_read_cr2(void);
void arch_fill_hypercall_page(uint8_t *page);
bool arch_guest_va_ok(ulong va, size_t len);  /* outside the hypervisor hole */
void arch_guest_start_regs(struct regs *r, ulong entry, ulong sp, ulong si);
bool guest_kernel_mode(const struct vcpu *v, const struct regs *r);
void arch_halt(void) __attribute__((noreturn));
/* Point the LDT register at base (stub virtual) with ents entries; 0 = no LDT. */
void arch_load_ldt(struct vcpu *v, const void *base, unsigned ents);
/* 64-bit: switch guest kernel <-> user mode (page tables, GS base). */
void arch_toggle_guest_mode(struct vcpu *v);

#define SYS_DESC_LDT       0x2  /* system descriptor types */
#define SYS_DESC_TSS_AVAIL 0x9  /* ltr marks it busy */

/*
 * A present, DPL-0, byte-granular system descriptor (TSS, LDT) in the GDT
 * at selector sel. In long mode it takes two slots, the second holding
 * base bits 63:32.
 */
static inline void set_system_desc(uint64_t *gdt, unsigned sel, uint64_t base, uint32_t limit,
				   unsigned type, bool long_mode)
{
	gdt[sel >> 3] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)(0x80 | type) << 40 |
			(uint64_t)((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	if (long_mode)
		gdt[(sel >> 3) + 1] = base >> 32;
}

static inline void wrmsr64(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdmsr64(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

#define MSR_EFER           0xc0000080
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* ---- memory (mm.c) ---- */
void *heap_alloc_pages(size_t nr, size_t align);       /* zeroed; panics when exhausted */
void *stub_ptr(uint64_t off);                         /* pointer into the stub region */
void *map_mfn(uint64_t mfn);                          /* transient */
void unmap_mfn(void *p);
void *map_mfn_global(uint64_t mfn);                   /* permanent */
bool mfn_is_guest_ram(uint64_t mfn);
uint64_t stub_virt_to_mfn(const void *p);             /* a stub-region address */
/*
 * Stub frames the guest may map (shared_info, grant-table frames): the PV
 * MMU accepts them in guest page tables like the guest's own RAM.
 */
void mm_share_frame_with_guest(uint64_t mfn);
bool mfn_is_shared_with_guest(uint64_t mfn);

/* Guest virtual memory, through the current page tables; 0 or -EFAULT. */
int copy_from_guest(void *dst, ulong gva, size_t len);
int copy_to_guest(ulong gva, const void *src, size_t len);
/* Fixup support for the two routines above (entry*.S). */
size_t stub_copy_user(void *dst, const void *src, size_t len);
bool fixup_exception(struct regs *r);

/* ---- output (console.c, lib.c) ---- */
int vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void trace_print(unsigned flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Trace when --trace asked for flag; the test is inline: trace points sit on hot paths. */
#define trace(flag, ...) \
	do { \
		if (dom.bi.trace & (flag)) \
			trace_print((flag), __VA_ARGS__); \
	} while (0)
void panic_regs(const struct regs *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
#define panic(...) panic_regs(NULL, __VA_ARGS__)
void hostcall(uint32_t op, const void *data, size_t len, uint64_t arg0);
void domain_crash(const struct regs *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void domain_shutdown(unsigned reason) __attribute__((noreturn));

/* ---- vcpu.c / boot.c ---- */
struct vcpu *vcpu_create(unsigned id);
/* The register frame a vCPU starts with, from its initialise context. */
void vcpu_context_regs(struct vcpu *v, struct regs *r);
void hostcall3(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2);

/* ---- traps.c ---- */
void stub_trap(struct regs *r);                       /* called by entry code */
int deliver_trap(struct vcpu *v, struct regs *r, unsigned vector,
		 bool has_error_code, uint32_t error_code);
void create_bounce_frame(struct vcpu *v, struct regs *r, ulong handler, uint16_t cs,
			 bool mask_events, bool has_error_code, uint32_t error_code);
/* 64-bit: a syscall from guest user mode, bounced to the kernel's syscall callback. */
void guest_user_syscall(struct vcpu *v, struct regs *r);
void guest_user_syscall32(struct vcpu *v, struct regs *r);

/* ---- hypercall.c ---- */
#define HYPERCALL_REGS_SET  ((long)0x7fffffff)       /* handler set the frame itself */
void hypercall_dispatch(struct regs *r);

/* ---- emulate.c ---- */
bool emulate_forced_cpuid(struct regs *r);
void cpuid_for_guest(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
