/* hypercall.h — hypercall handler prototypes (one file per Xen subsystem implements them). */
#ifndef STUB_HYPERCALL_H
#define STUB_HYPERCALL_H
#include "stub.h"

#define HC_ARGS struct regs *r, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5

/*
 * A handler (or one of its sub-ops) xenner does not implement yet returns
 * HYPERCALL_UNSUPPORTED: the guest gets -ENOSYS and the call is reported
 * with its arguments, once per hypercall number (always with --trace).
 */
#define HYPERCALL_UNSUPPORTED ((long)0x7ffffffe)

/* Call hypercall nr as if the guest had made it (multicall). */
long hypercall_call(struct regs *r, unsigned nr, const ulong args[5]);
const char *hypercall_name(unsigned nr);

long do_console_io(HC_ARGS);            /* console.c */
long do_xen_version(HC_ARGS);           /* version.c */
long do_sched_op(HC_ARGS);              /* sched.c */
long do_sched_op_compat(HC_ARGS);
long do_set_trap_table(HC_ARGS);        /* traps.c */
long do_stack_switch(HC_ARGS);
long do_iret(HC_ARGS);                  /* iret.c */
long do_vm_assist(HC_ARGS);             /* domain.c */
long do_vcpu_op(HC_ARGS);               /* vcpu.c */
long do_mmu_update(HC_ARGS);            /* mmu.c */
long do_update_va_mapping(HC_ARGS);
long do_mmuext_op(HC_ARGS);
long do_set_gdt(HC_ARGS);               /* descriptor.c */
long do_update_descriptor(HC_ARGS);
long do_memory_op(HC_ARGS);             /* memory.c */
long do_event_channel_op(HC_ARGS);      /* evtchn.c */
long do_event_channel_op_compat(HC_ARGS);
long do_set_timer_op(HC_ARGS);          /* time.c */
long do_set_callbacks(HC_ARGS);         /* callback.c */
long do_callback_op(HC_ARGS);
long do_fpu_taskswitch(HC_ARGS);
long do_set_debugreg(HC_ARGS);
long do_get_debugreg(HC_ARGS);
long do_set_segment_base(HC_ARGS);
long do_multicall(HC_ARGS);             /* multicall.c */
long do_physdev_op(HC_ARGS);            /* physdev.c */
long do_physdev_op_compat(HC_ARGS);
long do_grant_table_op(HC_ARGS);        /* grant.c */

#endif
