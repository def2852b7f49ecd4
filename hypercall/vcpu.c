/* vcpu.c — vcpu_op: per-vCPU registration and state queries. */
#include "hypercall.h"
#include <xen/vcpu.h>

/*
 * VCPUOP_register_vcpu_info: move this vCPU's vcpu_info from shared_info
 * into a guest page. Allowed once; the area must sit inside one guest RAM
 * frame. The current contents move with it.
 */
static long register_vcpu_info(struct vcpu *v, ulong arg)
{
	struct vcpu_register_vcpu_info info;
	if (copy_from_guest(&info, arg, sizeof(info)))
		return -XEN_EFAULT;
	if (v->vcpu_info_registered)
		return -XEN_EINVAL;
	if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info) ||
	    (info.offset & (sizeof(ulong) - 1)))
		return -XEN_EINVAL;
	if (!mfn_is_guest_ram(info.mfn))
		return -XEN_EINVAL;
	uint8_t *page = map_mfn_global(info.mfn);
	struct vcpu_info *new = (struct vcpu_info *)(page + info.offset);
	*new = *v->vcpu_info;
	/* As Xen does: the guest cannot know what it missed, so everything is pending. */
	new->evtchn_pending_sel = ~0ul;
	new->evtchn_upcall_pending = 1;
	v->vcpu_info = new;
	v->vcpu_info_registered = true;
	return 0;
}

#include "mmu.h"
#include <xen/callback.h>

/*
 * VCPUOP_initialise: take a vcpu_guest_context (native layout) for a vCPU
 * that has not run yet. Page tables and GDT frames are validated and
 * referenced now, as Xen's arch_set_info_guest does; the registers are
 * applied when the vCPU starts (stub_start_ap).
 */
static long vcpu_initialise(struct vcpu *v, ulong arg)
{
	if (v->initialised || v->online)
		return -XEN_EEXIST;
	vcpu_guest_context_t *c = v->ctxt;
	if (!c)
		c = v->ctxt = heap_alloc_pages((sizeof(*c) + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
	if (copy_from_guest(c, arg, sizeof(*c)))
		return -XEN_EFAULT;
#if STUB_BITS == 64
	if (!(c->flags & VGCF_in_kernel))
		return -XEN_EINVAL;
#endif
	if (c->ldt_ents)
		return HYPERCALL_UNSUPPORTED;
	if (c->gdt_ents > FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;

	mmu_lock();
	uint64_t kernel = xen_cr3_to_pfn(c->ctrlreg[3]);
	int rc = get_page_and_type(kernel, STUB_BITS == 64 ? PGT_l4 : PGT_l3);
	uint64_t user = 0;
#if STUB_BITS == 64
	user = xen_cr3_to_pfn(c->ctrlreg[1]);
	if (!rc && user) {
		rc = get_page_and_type(user, PGT_l4);
		if (rc)
			put_page_and_type(kernel);
	}
#endif
	mmu_unlock();
	if (rc)
		return rc;
	unsigned nr = (c->gdt_ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	rc = vcpu_set_gdt(v, c->gdt_frames, nr, c->gdt_ents);
	if (rc) {
		mmu_lock();
		put_page_and_type(kernel);
		if (user)
			put_page_and_type(user);
		mmu_unlock();
		return rc;
	}
	v->kernel_pt_mfn = kernel;
	v->user_pt_mfn = user;

	for (unsigned i = 0; i < 256; i++) {
		const struct trap_info *t = &c->trap_ctxt[i];
		uint16_t cs = t->cs;
#if STUB_BITS == 32
		if (!(cs & 3))
			cs |= 1;
#endif
		v->traps[i] = (struct trap_slot){ t->address, cs, t->flags };
	}
	v->kernel_ss = c->kernel_ss;
	v->kernel_sp = c->kernel_sp;
	v->cb.failsafe_address = c->failsafe_callback_eip;
	v->cb.event_address = c->event_callback_eip;
#if STUB_BITS == 64
	v->cb.syscall_address = c->syscall_callback_eip;
	v->cb.fs_base = c->fs_base;
	v->cb.gs_base_kernel = c->gs_base_kernel;
	v->cb.gs_base_user = c->gs_base_user;
	if (c->flags & VGCF_syscall_disables_events)
		v->cb.flags |= 1u << CALLBACKTYPE_syscall;
#else
	v->cb.failsafe_cs = (uint16_t)c->failsafe_callback_cs;
	v->cb.event_cs = (uint16_t)c->event_callback_cs;
#endif
	if (c->flags & VGCF_failsafe_disables_events)
		v->cb.flags |= 1u << CALLBACKTYPE_failsafe;
	v->cb.iopl = (unsigned)(c->user_regs.eflags >> 12) & 3;
	v->kernel_mode = true;
	v->initialised = true;
	return 0;
}

/* The registers a secondary vCPU starts with (stub_start_ap). */
void vcpu_context_regs(struct vcpu *v, struct regs *r)
{
	const vcpu_guest_context_t *c = v->ctxt;
	const struct cpu_user_regs *u = &c->user_regs;
	memset(r, 0, sizeof(*r));
#if STUB_BITS == 64
	r->rax = u->rax; r->rbx = u->rbx; r->rcx = u->rcx; r->rdx = u->rdx;
	r->rsi = u->rsi; r->rdi = u->rdi; r->rbp = u->rbp;
	r->r8 = u->r8; r->r9 = u->r9; r->r10 = u->r10; r->r11 = u->r11;
	r->r12 = u->r12; r->r13 = u->r13; r->r14 = u->r14; r->r15 = u->r15;
	r->ip = u->rip;
	r->sp = u->rsp;
	r->cs = FLAT_KERNEL_CS64;
	r->ss = FLAT_KERNEL_SS64;
	wrmsr64(MSR_FS_BASE, v->cb.fs_base);
	wrmsr64(MSR_GS_BASE, v->cb.gs_base_kernel);
#else
	r->eax = u->eax; r->ebx = u->ebx; r->ecx = u->ecx; r->edx = u->edx;
	r->esi = u->esi; r->edi = u->edi; r->ebp = u->ebp;
	r->ip = u->eip;
	r->sp = u->esp;
	r->cs = (u->cs & 3) ? u->cs : u->cs | 1;
	r->ss = (u->ss & 3) ? u->ss : u->ss | 1;
	r->ds = u->ds; r->es = u->es; r->fs = u->fs; r->gs = u->gs;
#endif
	r->flags = (u->eflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF | 2;
	arch_write_cr3(v, v->kernel_pt_mfn << PAGE_SHIFT);
}

/* VCPUOP_down on oneself: stop until another vCPU says VCPUOP_up. */
static long vcpu_down_self(struct vcpu *v)
{
	v->up = false;
	v->stats->wait_kind = STATS_WAIT_DOWN;
	while (!__atomic_load_n(&v->up, __ATOMIC_SEQ_CST))
		cpu_relax();
	v->stats->wait_kind = STATS_WAIT_NONE;
	tlb_flush_local_full();
	return 0;
}

long do_vcpu_op(HC_ARGS)
{
	ulong cmd = a1, id = a2, arg = a3;
	if (id >= dom.bi.nr_vcpus || !dom.vcpus[id])
		return -XEN_ENOENT;
	struct vcpu *v = dom.vcpus[id];

	switch (cmd) {
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, arg);
	case VCPUOP_initialise:
		return vcpu_initialise(v, arg);
	case VCPUOP_up:
		if (!v->initialised && !v->online)
			return -XEN_EINVAL;
		if (v->up)
			return 0;
		v->up = true;
		if (!v->online)
			hostcall3(HOSTCALL_VCPU_UP, v->id, (uintptr_t)v, v->stack_top);
		return 0;
	case VCPUOP_down:
		if (v != current())
			return HYPERCALL_UNSUPPORTED;
		return vcpu_down_self(v);
	case VCPUOP_is_up:
		return v->up;
	case VCPUOP_set_periodic_timer:
	case VCPUOP_stop_periodic_timer:
	case VCPUOP_set_singleshot_timer:
	case VCPUOP_stop_singleshot_timer:
	case VCPUOP_register_runstate_memory_area:
	case VCPUOP_get_runstate_info:
	case VCPUOP_register_vcpu_time_memory_area:
		return time_vcpu_op((int)cmd, v, arg);          /* time.c */
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}
