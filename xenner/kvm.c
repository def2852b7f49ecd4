/* kvm.c — thin glue around the KVM ioctls: VM, memory slots, vCPUs, boot state. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenner/features.h>
#include <xenner/hostabi.h>
#include <xenner/util.h>

void kvm_open_vm(struct vm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("/dev/kvm: %s (is KVM available and are you allowed to use it?)",
		    strerror(errno));
	int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		die("/dev/kvm: API version %d, need %d", version, KVM_API_VERSION);
	static const struct { int cap; const char *name; } caps[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_EXT_CPUID, "CPUID setting" },
		{ KVM_CAP_GET_TSC_KHZ, "TSC frequency" },
		{ KVM_CAP_TSC_DEADLINE_TIMER, "TSC-deadline timer" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
			die("/dev/kvm: no %s support", caps[i].name);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)size;
}

void kvm_add_memory(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION (slot %u, %llu MiB): %s", slot,
		    (unsigned long long)(size >> 20), strerror(errno));
}

/* CPUID: what KVM supports, with Xen's leaves where KVM puts its own. */
static void setup_cpuid(struct vm *vm, struct vcpu *v)
{
	int n = 256;
	struct kvm_cpuid2 *c = xzalloc(sizeof(*c) + n * sizeof(c->entries[0]));
	c->nent = n;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	unsigned out = 0;
	for (unsigned i = 0; i < c->nent; i++) {
		/* KVM never reports the TSC-deadline timer here (it needs the
		 * in-kernel irqchip); the stub's timers use it. */
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
		if ((c->entries[i].function & 0xffffff00u) != 0x40000000u)
			c->entries[out++] = c->entries[i];
	}
	if (out + 3 > (unsigned)n)
		die("too many CPUID leaves");
	struct kvm_cpuid_entry2 *e = &c->entries[out];
	memset(e, 0, 3 * sizeof(*e));
	e[0].function = 0x40000000;
	e[0].eax = 0x40000002;
	memcpy(&e[0].ebx, "XenV", 4);
	memcpy(&e[0].ecx, "MMXe", 4);
	memcpy(&e[0].edx, "nVMM", 4);
	e[1].function = 0x40000001;
	e[1].eax = XENNER_XEN_MAJOR << 16 | XENNER_XEN_MINOR;
	e[2].function = 0x40000002;
	e[2].eax = 1;
	e[2].ebx = 0x40000000;
	c->nent = out + 3;
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		die("KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
}

void kvm_create_vcpu(struct vm *vm, struct vcpu *v)
{
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %u: %s", v->id, strerror(errno));
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap of vCPU %u run area: %s", v->id, strerror(errno));
	setup_cpuid(vm, v);
	if (v->id == 0) {
		int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
		if (khz <= 0)
			die("KVM_GET_TSC_KHZ: %s", strerror(errno));
		vm->tsc_khz = (unsigned)khz;
	}
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = code64;
	s->db = db;
	s->g = 1;
}

#define CR0_PE 0x1u
#define CR0_MP 0x2u
#define CR0_ET 0x10u
#define CR0_NE 0x20u
#define CR0_WP 0x10000u
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u
#define EFER_SCE 0x1u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u
#define EFER_NX 0x800u
/* PAE PDPTE bits 1-2 and 5-8: reserved (SDM 4.4.1). */
#define PDPTE_RESERVED_LOW 0x1e6ull

/*
 * vCPU 0 enters the stub directly in its final mode: long mode (64-bit
 * guests) or PAE protected mode (32-bit), on the stub's own page tables.
 * The stub loads its own GDT, IDT and TSS first thing.
 */
static void setup_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsp);

void kvm_setup_boot_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi)
{
	setup_cpu(vm, v, rip, rdi, 0);
}

/*
 * In-kernel, a secondary vCPU waits for INIT/SIPI. xenner starts it
 * directly in the stub instead (its thread calls this before its first
 * KVM_RUN), so no real-mode trampoline is needed.
 */
void kvm_setup_ap_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsp)
{
	/*
	 * PAE: KVM loads the four PDPTEs at KVM_SET_SREGS and refuses them all
	 * if one has a reserved bit. An emulated CPU (QEMU TCG's SVM, the test
	 * VM) may have set the accessed bit in them while vCPU 0 ran, which
	 * left the new vCPU unable to emulate anything (its first CPUID). The
	 * stub's start-up L3 is ours: clear what a PDPTE may not hold.
	 */
	if (vm->plan.guest_bits == 32 && !vm->plan.pv32_long_mode) {
		uint64_t *l3 = (uint64_t *)(vm->stub + (vm->plan.stub_cr3 - vm->plan.stub_gpa));
		for (unsigned i = 0; i < 4; i++)
			__atomic_and_fetch(&l3[i], ~PDPTE_RESERVED_LOW, __ATOMIC_SEQ_CST);
	}
	setup_cpu(vm, v, rip, rdi, rsp);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		die("KVM_SET_MP_STATE (vCPU %u): %s", v->id, strerror(errno));
}

static void setup_cpu(struct vm *vm, struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsp)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	bool is64 = vm->plan.guest_bits == 64;
	bool long_mode = is64 || vm->plan.pv32_long_mode;
	seg(&s.cs, 0xe008, 0xb, is64, !is64);  /* 32-bit in long mode: compatibility mode */
	seg(&s.ds, 0xe010, 0x3, false, true);
	s.es = s.ss = s.ds;
	seg(&s.fs, 0, 0x3, false, true);
	s.gs = s.fs;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.type = 11;                 /* busy TSS, as entry requires; the stub loads its own */
	s.tr.present = 1;
	s.tr.limit = 0x67;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.type = 2;
	s.ldt.unusable = 1;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.cr3 = vm->plan.stub_cr3;
	s.efer = is64 ? (EFER_SCE | EFER_LME | EFER_LMA | EFER_NX) :
		 long_mode ? (EFER_LME | EFER_LMA | EFER_NX) : EFER_NX;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));
	/*
	 * kvm_pvm accepts PAE paging without long mode but drops CR0.PG: the
	 * 32-bit stub would triple-fault at its first instruction (xenner
	 * picks long mode there; only a forced --host-kind gets here).
	 */
	if (!long_mode && (ioctl(v->fd, KVM_GET_SREGS, &s) < 0 || !(s.cr0 & CR0_PG)))
		die("32-bit PV guests: this host's KVM cannot run 32-bit PAE paging outside "
		    "long mode, but --host-kind %s asked for it; use --host-kind pvm",
		    vm->host_kind);

	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.rdi = rdi;
	r.rsp = rsp;
	r.rflags = 2;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
}

/*
 * The vCPU was in the stub: print the words on its stack that point into
 * the stub image, innermost first (return addresses and saved frames; look
 * them up in build/stub64.elf with addr2line).
 */
static void print_stub_stack(struct vm *vm, uint64_t sp)
{
	const struct mem_plan *p = &vm->plan;
	uint64_t lo = p->stub_virt, hi = p->stub_virt + p->stub_size;
	if (sp < lo || sp >= hi || (sp & 7))
		return;
	fprintf(stderr, "  stub stack:");
	unsigned shown = 0;
	for (uint64_t a = sp; a + 8 <= hi && a < sp + 4096 && shown < 16; a += 8) {
		uint64_t w;
		memcpy(&w, vm->stub + (a - lo), sizeof(w));
		if (w >= lo && w < lo + p->image_size) {
			fprintf(stderr, " %llx", (unsigned long long)w);
			shown++;
		}
	}
	fprintf(stderr, "\n");
}

/*
 * KVM's emulator could not run an instruction of guest code (not the
 * stub's: ring 0 gets no second chance): give it #UD there, as a CPU
 * without that instruction would; the stub completes what a PV kernel
 * needs (`int $n`, int3, into, fnclex: host_kind_stub_completes) and the
 * guest gets the rest.
 */
bool kvm_emulation_failure_to_ud(struct vcpu *v)
{
	struct kvm_sregs s;
	struct kvm_vcpu_events e;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0 || !(s.cs.selector & 3) ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) < 0 || e.exception.injected)
		return false;
	e.flags = 0;
	e.exception.injected = 1;
	e.exception.nr = 6;                     /* #UD */
	e.exception.has_error_code = 0;
	e.exception.error_code = 0;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) < 0)
		return false;
	/*
	 * What the stub does not complete is the guest's #UD: say so once
	 * (a process will die of SIGILL), then under --trace exits.
	 */
	const struct kvm_run *run = v->run;
	bool bytes = run->emulation_failure.ndata >= 3 &&
		     (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
	size_t len = bytes ? run->emulation_failure.insn_size : 0;
	if (len > sizeof(run->emulation_failure.insn_bytes))
		len = sizeof(run->emulation_failure.insn_bytes);
	bool completed = len && host_kind_stub_completes(run->emulation_failure.insn_bytes, len);
	bool say = !completed && !__atomic_exchange_n(&v->vm->emulator_gap_said, true, __ATOMIC_RELAXED);
	struct kvm_regs r;
	if ((say || (v->vm->cfg->trace & TRACE_EXITS)) && ioctl(v->fd, KVM_GET_REGS, &r) == 0) {
		char hex[3 * 15 + 1] = "";
		for (size_t i = 0; i < len && i < 6; i++)
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, " %02x", run->emulation_failure.insn_bytes[i]);
		fprintf(stderr, "xenner: %svcpu%u: the host's instruction emulator cannot run the guest "
			"instruction at %llx:%llx (%s%s): %s\n", say ? "" : "trace: ", v->id,
			(unsigned long long)s.cs.selector, (unsigned long long)r.rip,
			len ? "bytes" : "bytes unknown", hex, completed ? "#UD, which the stub completes" :
			"the guest gets #UD (kvm_pvm runs no x87 arithmetic, SSE, ldmxcsr or bound "
			"in 32-bit code; docs/architecture.md)");
	}
	return true;
}

void kvm_print_vcpu_state(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		pr_err("vCPU %u: cannot read registers: %s", v->id, strerror(errno));
		return;
	}
	fprintf(stderr,
		"xenner: vCPU %u registers:\n"
		"  rip %016llx rsp %016llx rflags %08llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cs %04x ss %04x ds %04x es %04x fs %04x gs %04x tr %04x\n"
		"  cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n",
		v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cs.selector,
		s.ss.selector, s.ds.selector, s.es.selector, s.fs.selector, s.gs.selector,
		s.tr.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	if (!(s.cs.selector & 3))
		print_stub_stack(v->vm, r.rsp);
}

void kvm_print_lapic_timer(struct vcpu *v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} m = { .h.nmsrs = 2, .e = { { .index = 0x10 }, { .index = 0x6e0 } } };   /* TSC, TSC_DEADLINE */
	struct kvm_lapic_state l;
	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 2 || ioctl(v->fd, KVM_GET_LAPIC, &l) < 0) {
		pr_err("vCPU %u: cannot read its LAPIC: %s", v->id, strerror(errno));
		return;
	}
	uint32_t ppr, isr, irr;           /* x2APIC register offsets 0xa0, 0x170, 0x270 */
	memcpy(&ppr, l.regs + 0xa0, 4);
	memcpy(&isr, l.regs + 0x170, 4);
	memcpy(&irr, l.regs + 0x270, 4);
	fprintf(stderr, "  lapic: tsc %#llx, tsc-deadline %#llx (0: none), ppr %#x, "
		"isr[224..255] %#x, irr[224..255] %#x\n", (unsigned long long)m.e[0].data,
		(unsigned long long)m.e[1].data, ppr, isr, irr);
}
