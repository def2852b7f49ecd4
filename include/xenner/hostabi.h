/* hostabi.h — the private ABI between xenner (host) and its stub (in the VM). */
#ifndef XENNER_HOSTABI_H
#define XENNER_HOSTABI_H

/*
 * This header is shared by host code and by the freestanding stub, built
 * 64-bit and 32-bit. Only fixed-width types; every structure is pinned by
 * static asserts so both sides agree. Bump STUB_ABI_VERSION on any change.
 */
#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define STUB_ABI_VERSION 8
#define STUB_MAGIC 0x4255545352454e58   /* "XENRSTUB" little endian */

/*
 * Stub virtual layout.
 *
 * 64-bit guests: Xen reserves L4 slots 256-271. The M2P lives where the
 * headers say (MACH2PHYS_VIRT_START, slot 256); the stub region (image,
 * heap, per-vCPU stacks, GDTs, page tables, boot description) is mapped
 * linearly at STUB64_VIRT_BASE; all machine memory is mapped supervisor-only
 * at STUB64_PHYSMAP.
 *
 * 32-bit PAE guests: the hole is 0xF5800000-0xFFFFFFFF. The M2P is at
 * MACH2PHYS_VIRT_START_PAE (16 MiB), the stub region at STUB32_VIRT_BASE,
 * and STUB32_MAPCACHE is a window of 512 page slots the stub uses to reach
 * arbitrary machine frames.
 */
#define STUB64_VIRT_BASE      0xffff830000000000ull   /* L4 slot 262 */
#define STUB64_PHYSMAP        0xffff840000000000ull   /* L4 slot 264 */
#define STUB64_L4_FIRST       256
#define STUB64_L4_LAST        271
/* The M2P where slot 256 cannot be mapped (kvm_pvm): the next slot. */
#define STUB64_M2P_ALT        0xffff808000000000ull   /* L4 slot 257 */

/*
 * The 32-bit PAE hole, for host code (which sees the x86_64 headers). The
 * 32-bit stub asserts these equal xen-x86_32.h (arch32.c).
 */
#define XEN32_HYPERVISOR_VIRT_START 0xF5800000u
#define XEN32_MACH2PHYS_VIRT_START  0xF5800000u
#define XEN32_MACH2PHYS_VIRT_END    0xF6800000u

#define STUB32_VIRT_BASE      0xF6800000u
#define STUB32_VIRT_END       0xFF000000u
#define STUB32_MAPCACHE       0xFF000000u
#define STUB32_MAPCACHE_SLOTS 512
#define STUB32_L2_FIRST       428       /* (0xF5800000 >> 21) & 511 in L3 slot 3 */

/* The stub region may not grow beyond this (32-bit hole bound). */
#define STUB_REGION_MAX       (STUB32_VIRT_END - STUB32_VIRT_BASE)

#ifndef __ASSEMBLER__
/*
 * First bytes of the flat stub image (section .head). The host loads the
 * image at the start of the stub region and enters at entry_offset with
 * the boot description address (stub virtual) in %rdi / %eax... see
 * docs/architecture.md "Stub entry".
 */
struct stub_header {
	uint64_t magic;          /* STUB_MAGIC */
	uint32_t abi_version;    /* STUB_ABI_VERSION */
	uint32_t bits;           /* 64 or 32 */
	uint32_t entry_offset;   /* from the start of the image */
	uint32_t image_size;     /* bytes in the file */
	uint32_t mem_size;       /* bytes including bss, page aligned */
	uint32_t ap_entry_offset; /* secondary vCPUs: %rdi/%edi = struct vcpu, stack set */
	uint32_t ro_size;        /* bytes of code and read-only data from the start (never written) */
	uint32_t reserved;
};
_Static_assert(sizeof(struct stub_header) == 40, "stub_header layout");
#endif

/*
 * Hostcalls: the stub asks the host for a service with
 *     outl %eax, $HOSTCALL_PORT
 * where %eax is the offset of a struct hostcall inside the stub region.
 * The guest never has real I/O privilege (IOPL 0, no I/O bitmap), so every
 * I/O exit comes from the stub; the host still validates the offset.
 */
#define HOSTCALL_PORT 0x0510

#define HOSTCALL_CONSOLE_WRITE 1 /* data[0..len) to the console (console_io) */
#define HOSTCALL_SHUTDOWN      2 /* arg[0] = SHUTDOWN_* reason */
#define HOSTCALL_PANIC         3 /* data = message; regs = trap frame */
#define HOSTCALL_TRACE         4 /* data = one trace line (--trace) */
#define HOSTCALL_VCPU_UP       5 /* arg[0] = vCPU id, arg[1] = its struct vcpu (stub virtual), arg[2] = its stack top */

#define HOSTCALL_DATA_MAX 2048

#ifndef __ASSEMBLER__
struct hostcall_regs {       /* general registers for HOSTCALL_PANIC */
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, cs, ss, cr2, vector, error_code;
};

struct hostcall {
	uint32_t op;
	uint32_t len;            /* bytes valid in data */
	uint64_t arg[4];
	struct hostcall_regs regs;
	char data[HOSTCALL_DATA_MAX];
};
_Static_assert(sizeof(struct hostcall_regs) == 23 * 8, "hostcall_regs layout");
_Static_assert(sizeof(struct hostcall) == 8 + 32 + 23 * 8 + HOSTCALL_DATA_MAX,
	       "hostcall layout");
#endif

/*
 * Event channels to and from dom0 (the host's backends). The stub region
 * holds two bitmaps of HOST_EVTCHN_PORTS bits at the "events" offset:
 * to_host (dom0-side ports the guest signalled) then to_guest (dom0-side
 * ports the host signalled: the stub delivers each to the guest port bound
 * to it, the same number for the ports bound at boot). The guest's doorbell is a 32-bit write to
 * HOST_DOORBELL_PORT (a KVM ioeventfd); the host's is an MSI with
 * HOST_NOTIFY_VECTOR on vCPU 0 (a KVM irqfd).
 */
#define HOST_EVTCHN_PORTS   4096
#define HOST_DOORBELL_PORT  0x0514
#define HOST_NOTIFY_VECTOR  0xe0
/*
 * The stub's kick vector (IPIs between vCPUs). The host sends it too (an
 * MSI), as a watchdog, to a vCPU halted past its own timer deadline: a
 * LAPIC timer interrupt that never came must not hang the guest.
 */
#define HOST_KICK_VECTOR    0xf0
#define HOST_STORE_PORT     1       /* start_info.store_evtchn */
/* dom0 ports the host allocates for its backends start here (below: boot ports). */
#define HOST_BACKEND_PORT_FIRST 8
#define HOST_CONSOLE_PORT   2       /* start_info.console.domU.evtchn */

/*
 * The host page (the "events" offset, one page of the stub region) is what
 * the host and the stub share at run time besides the stub_stats blocks:
 *
 *  - the two event bitmaps above;
 *  - one request slot through which the host, playing dom0, binds its end
 *    of an event channel to a guest port that was allocated unbound for
 *    dom0 (EVTCHNOP_alloc_unbound with remote_dom 0, which a frontend
 *    writes to xenstore), or closes its end. The host fills op and the
 *    ports, stores HOST_REQ_PENDING (release) and raises HOST_NOTIFY_VECTOR;
 *    the stub answers with result (0 or -XEN_E*) and HOST_REQ_DONE. Dom0's
 *    port numbers are the host's to choose (HOST_BACKEND_PORT_FIRST up);
 *  - where the guest's grant-table frames are: the stub stores the machine
 *    frame of each before it raises gnttab_nr_frames (release), and frames
 *    never move or go away, so the host may read entries of frames below
 *    gnttab_nr_frames (acquire) at any time;
 *  - the lock that serialises every change of frame info (below): the
 *    stub's MMU and the host's grant mappings take it the same way
 *    (an atomic exchange of 1, store of 0), so a frame a backend writes
 *    through a grant holds a writable type reference exactly as a grant
 *    mapping does on Xen, and cannot become a page table meanwhile;
 *  - the stale-writable clock (hypercall/smp.c): whoever drops a frame's
 *    last writable type reference adds 1 to tlb_stale_gen, the host too
 *    (a guest mapping dropped earlier may still be in a vCPU's TLB).
 */
#define HOST_REQ_FREE     0
#define HOST_REQ_PENDING  1
#define HOST_REQ_DONE     2
#define HOST_EVTCHN_BIND   1    /* guest_port (unbound for dom0) <-> dom0_port */
#define HOST_EVTCHN_UNBIND 2    /* dom0 closes dom0_port: the guest port waits again */
#define HOST_GNTTAB_MAX_FRAMES 64       /* Xen's default max_grant_frames */
#ifndef __ASSEMBLER__
struct host_page {
	uint64_t to_host[HOST_EVTCHN_PORTS / 64];
	uint64_t to_guest[HOST_EVTCHN_PORTS / 64];
	struct {
		uint32_t state, op, guest_port, dom0_port;
		int32_t result;
		uint32_t pad;
	} req;
	uint32_t gnttab_nr_frames;
	int32_t mmu_lock;
	uint32_t tlb_stale_gen;
	uint32_t pad2;
	uint64_t gnttab_mfn[HOST_GNTTAB_MAX_FRAMES];
};
_Static_assert(sizeof(struct host_page) == 1024 + 24 + 16 + 8 * HOST_GNTTAB_MAX_FRAMES,
	       "host_page layout");
_Static_assert(sizeof(struct host_page) <= 4096, "host_page fits its page");

/*
 * Frame info: one struct frame_info per machine frame at the "frame-info"
 * offset, like Xen's page_info (the stub's hypercall/mmu.c owns the logic;
 * the host reads and changes it only under host_page.mmu_lock):
 *   count: bit 31 FRAME_GUEST (the guest owns or may map the frame), bit 30
 *          FRAME_XEN_SHARED (a stub frame shared with the guest), bit 29
 *          FRAME_FREE (guest RAM ballooned out), bits 0-28 references;
 *   type:  bits 28-31 the type (FRAME_TYPE_*), bit 27 validated, bit 26
 *          pinned, bit 25 the PAE L2 that holds the hypervisor hole, bits
 *          0-24 type references.
 */
struct frame_info {
	uint32_t count, type;
};
#define FRAME_GUEST          (1u << 31)
#define FRAME_XEN_SHARED     (1u << 30)
#define FRAME_FREE           (1u << 29)
#define FRAME_COUNT_MASK     ((1u << 29) - 1)
#define FRAME_TYPE_SHIFT     28
#define FRAME_TYPE_VALIDATED (1u << 27)
#define FRAME_TYPE_PINNED    (1u << 26)
#define FRAME_TYPE_PAE_XEN_L2 (1u << 25)
#define FRAME_TYPE_COUNT_MASK ((1u << 25) - 1)
#define FRAME_TYPE_NONE      0
#define FRAME_TYPE_WRITABLE  6          /* the stub's PGT_writable */
#endif

/*
 * Stub-entry counters (--stats), one block per vCPU in the stub region: the
 * stub counts every entry by cause; the host reads them at exit.
 */
#ifndef __ASSEMBLER__
#define STATS_HYPERCALLS 64
struct stub_stats {
	uint64_t hypercall[STATS_HYPERCALLS];   /* by hypercall number (last: all others) */
	uint64_t vector[256];                   /* exceptions and interrupts by vector */
	uint64_t user_syscall;                  /* 64-bit guest user syscalls bounced to the kernel */
	uint64_t upcall;                        /* event upcalls delivered */
	uint64_t tlb_ipi;                       /* TLB-flush requests sent to other vCPUs */
	/* Where the vCPU waits, for the host's state dump of a hung guest: */
	uint64_t wait_kind;                     /* STATS_WAIT_* */
	uint64_t wait_port;                     /* SCHEDOP_poll on one port: the port, else ~0 */
	uint64_t wait_since_ns;                 /* Xen system time when it began */
	uint64_t wait_timer_ns;                 /* its next timer deadline, ~0 = none */
	uint64_t wait_armed_tsc;                /* the TSC deadline the stub believes armed */
	uint64_t timer_rescue;                  /* overdue timers run after a host watchdog kick */
	/*
	 * The descriptor tables the CPU uses for the guest (stub virtual
	 * addresses, entries): the guest part of the vCPU's GDT and its LDT
	 * copy, for the host's --check-integrity.
	 */
	uint64_t gdt_va, gdt_ents, ldt_va, ldt_ents;
	uint64_t reserved[1];
};
#define STATS_WAIT_NONE  0
#define STATS_WAIT_BLOCK 1                      /* SCHEDOP_block */
#define STATS_WAIT_POLL  2                      /* SCHEDOP_poll */
#define STATS_WAIT_DOWN  3                      /* VCPUOP_down */
_Static_assert(sizeof(struct stub_stats) == (64 + 256 + 8 + 6) * 8, "stub_stats layout");
#endif

/*
 * Boot description: a flattened device tree written by the host (libfdt)
 * and read once by the stub at start-up. Node and property names:
 */
#define BOOT_FDT_COMPATIBLE     "xenner,boot-v1"
/* /xenner */
#define BOOT_PROP_GUEST_BITS    "guest-bits"      /* u32: 64 or 32 */
#define BOOT_PROP_DOMID         "domid"           /* u32 */
#define BOOT_PROP_NR_VCPUS      "nr-vcpus"        /* u32 */
#define BOOT_PROP_TSC_KHZ       "tsc-khz"         /* u32 */
#define BOOT_PROP_TRACE         "trace"           /* u32: trace flags */
#define BOOT_PROP_HOST_KIND     "host-kind"       /* string: "vmx", "svm", "pvm" */
#define BOOT_PROP_HOST_FLAGS    "host-flags"      /* u32: HOST_F_*, what the stub must do for this host */
/* CR0.TS raises no #NM: HYPERVISOR_iret delivers it (kvm_pvm). */
#define HOST_F_NO_NATIVE_NM     0x1u
/* A 32-bit stub runs in long mode's compatibility mode (kvm_pvm): docs/architecture.md. */
#define HOST_F_PV32_LONG_MODE   0x2u
#define BOOT_PROP_XEN_EXTRA     "xen-extraversion"/* string */
#define BOOT_PROP_XEN_CMDLINE   "xen-cmdline"     /* string: XENVER_commandline */
/*
 * u64 guest TSC, u64 host CLOCK_REALTIME in ns at that TSC: Xen system
 * time 0 and the shared_info wallclock. The host reads vCPU 0's TSC
 * (KVM_GET_MSRS) between two realtime samples before any vCPU runs.
 */
#define BOOT_PROP_TIME_ORIGIN   "time-origin"
/* /memory */
#define BOOT_PROP_GUEST_NR_PAGES "guest-nr-pages" /* u64 */
#define BOOT_PROP_MAX_MFN       "max-mfn"         /* u64: machine frames below this exist */
#define BOOT_PROP_STUB_MADDR    "stub-maddr"      /* u64: machine address of the stub region */
#define BOOT_PROP_STUB_SIZE     "stub-size"       /* u64 */
#define BOOT_PROP_HEAP          "heap"            /* u64 offset, u64 size in the stub region */
#define BOOT_PROP_EVENTS        "events"          /* u64 offset in the stub region: the two bitmaps */
#define BOOT_PROP_DOM0_PORTS    "dom0-ports"      /* u32 list: guest ports bound to dom0 at boot */
#define BOOT_PROP_STATS         "stats"           /* u64 offset in the stub region: stub_stats[nr_vcpus] */
#define BOOT_PROP_FRAME_INFO    "frame-info"      /* u64 offset, u64 size in the stub region */
#define BOOT_PROP_M2P           "m2p"             /* u64 offset, u64 size in the stub region, u64 guest virtual address */
#define BOOT_PROP_SHARED_INFO   "shared-info-offset" /* u64 offset in the stub region */
#define BOOT_PROP_RAM_RANGES    "ram-ranges"      /* (u64 mfn, u64 count)*: guest-owned frames */
/* /guest */
#define BOOT_PROP_ENTRY         "entry"           /* u64 virtual */
#define BOOT_PROP_START_INFO    "start-info"      /* u64 virtual */
#define BOOT_PROP_STACK         "stack"           /* u64 virtual: initial stack pointer */
#define BOOT_PROP_PT_ROOT_MFN   "pt-root-mfn"     /* u64 */
#define BOOT_PROP_PT_RANGE      "pt-range"        /* u64 first pfn, u64 count: bootstrap tables */
#define BOOT_PROP_HYPERCALL_PAGE "hypercall-page" /* u64 virtual, 0 = none */

/* Trace flags (--trace). */
#define TRACE_HYPERCALLS   (1u << 0)
#define TRACE_TRAPS        (1u << 1)
#define TRACE_UNKNOWN      (1u << 2)  /* unknown/unsupported calls (default on) */
#define TRACE_MMU          (1u << 3)  /* refused page-table updates and why */
#define TRACE_EVENTS       (1u << 4)  /* event channel sends, upcalls, dom0 notifications */
#define TRACE_EXITS        (1u << 5)  /* KVM exits to the host (host side, not the stub) */
#define TRACE_ALL          (TRACE_HYPERCALLS | TRACE_TRAPS | TRACE_MMU | TRACE_EVENTS | TRACE_EXITS)

#endif
