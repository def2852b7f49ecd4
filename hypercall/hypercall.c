/* hypercall.c — the hypercall table and dispatcher. */
#include "hypercall.h"
#include <xenner/hcnames.h>

#define HC_64 1u
#define HC_32 2u
#define HC_BOTH (HC_64 | HC_32)
#if STUB_BITS == 64
#define HC_THIS HC_64
#else
#define HC_THIS HC_32
#endif

struct hypercall {
	long (*fn)(HC_ARGS);
	unsigned modes;         /* which guest widths Xen offers it to */
};

/* vPMU is off, as by default on Xen (vpmu=off): every xenpmu_op is -EOPNOTSUPP. */
static long do_xenpmu_op(HC_ARGS)
{
	(void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
	return -XEN_EOPNOTSUPP;
}

/* Implemented hypercalls. Anything else returns -ENOSYS and is reported. */
static const struct hypercall hypercalls[] = {
	[__HYPERVISOR_set_trap_table]   = { do_set_trap_table,  HC_BOTH },
	[__HYPERVISOR_stack_switch]     = { do_stack_switch,    HC_BOTH },
	[__HYPERVISOR_sched_op_compat]  = { do_sched_op_compat, HC_BOTH },
	[__HYPERVISOR_xen_version]      = { do_xen_version,     HC_BOTH },
	[__HYPERVISOR_console_io]       = { do_console_io,      HC_BOTH },
	[__HYPERVISOR_vm_assist]        = { do_vm_assist,       HC_BOTH },
	[__HYPERVISOR_iret]             = { do_iret,            HC_BOTH },
	[__HYPERVISOR_vcpu_op]          = { do_vcpu_op,         HC_BOTH },
	[__HYPERVISOR_sched_op]         = { do_sched_op,        HC_BOTH },
	[__HYPERVISOR_mmu_update]       = { do_mmu_update,      HC_BOTH },
	[__HYPERVISOR_update_va_mapping] = { do_update_va_mapping, HC_BOTH },
	[__HYPERVISOR_mmuext_op]        = { do_mmuext_op,       HC_BOTH },
	[__HYPERVISOR_set_gdt]          = { do_set_gdt,         HC_BOTH },
	[__HYPERVISOR_update_descriptor] = { do_update_descriptor, HC_BOTH },
	[__HYPERVISOR_memory_op]        = { do_memory_op,       HC_BOTH },
	[__HYPERVISOR_event_channel_op] = { do_event_channel_op, HC_BOTH },
	[__HYPERVISOR_event_channel_op_compat] = { do_event_channel_op_compat, HC_BOTH },
	[__HYPERVISOR_set_timer_op]     = { do_set_timer_op,    HC_BOTH },
	[__HYPERVISOR_set_callbacks]    = { do_set_callbacks,   HC_BOTH },
	[__HYPERVISOR_callback_op]      = { do_callback_op,     HC_BOTH },
	[__HYPERVISOR_fpu_taskswitch]   = { do_fpu_taskswitch,  HC_BOTH },
	[__HYPERVISOR_set_debugreg]     = { do_set_debugreg,    HC_BOTH },
	[__HYPERVISOR_get_debugreg]     = { do_get_debugreg,    HC_BOTH },
	[__HYPERVISOR_set_segment_base] = { do_set_segment_base, HC_64 },
	[__HYPERVISOR_multicall]        = { do_multicall,       HC_BOTH },
	[__HYPERVISOR_physdev_op]       = { do_physdev_op,      HC_BOTH },
	[__HYPERVISOR_physdev_op_compat] = { do_physdev_op_compat, HC_BOTH },
	[__HYPERVISOR_grant_table_op]   = { do_grant_table_op,  HC_BOTH },
	[__HYPERVISOR_xenpmu_op]        = { do_xenpmu_op,       HC_BOTH },
};

const char *hypercall_name(unsigned nr)
{
	return nr < ARRAY_SIZE(hypercall_names) ? hypercall_names[nr] : "unknown";
}

/* Unsupported calls are reported once per number (always, not only with --trace). */
static uint8_t reported[64];

static void report_unsupported(unsigned nr, const ulong *a)
{
	bool first = nr >= 64 * 8 || !(reported[nr / 8] & (1u << (nr % 8)));
	if (nr < 64 * 8)
		reported[nr / 8] |= (uint8_t)(1u << (nr % 8));
	unsigned flag = first ? TRACE_UNKNOWN : TRACE_HYPERCALLS;
	trace(flag, "unsupported hypercall %s (%u) args %lx %lx %lx %lx %lx: not supported "
	      "yet -> -ENOSYS",
	      hypercall_name(nr), nr, a[0], a[1], a[2], a[3], a[4]);
}

static bool implemented(unsigned nr)
{
	return nr < ARRAY_SIZE(hypercalls) && hypercalls[nr].fn && (hypercalls[nr].modes & HC_THIS);
}

long hypercall_call(struct regs *r, unsigned nr, const ulong a[5])
{
	long ret = implemented(nr) ? hypercalls[nr].fn(r, a[0], a[1], a[2], a[3], a[4])
				   : HYPERCALL_UNSUPPORTED;
	if (ret == HYPERCALL_UNSUPPORTED) {
		report_unsupported(nr, a);
		return -XEN_ENOSYS;
	}
	return ret;
}

void hypercall_dispatch(struct regs *r)
{
	ulong a[5];
#if STUB_BITS == 64
	unsigned nr = (unsigned)r->rax;
	a[0] = r->rdi; a[1] = r->rsi; a[2] = r->rdx; a[3] = r->r10; a[4] = r->r8;
	if (r->rax >> 32)
		nr = ~0u;
#else
	unsigned nr = r->eax;
	a[0] = r->ebx; a[1] = r->ecx; a[2] = r->edx; a[3] = r->esi; a[4] = r->edi;
#endif
	long ret = hypercall_call(r, nr, a);
	if (ret == HYPERCALL_REGS_SET)
		return;
	trace(TRACE_HYPERCALLS, "%s(%lx, %lx, %lx) = %ld", hypercall_name(nr), a[0], a[1],
	      a[2], ret);
	REG_RET(r) = (ulong)ret;
}
