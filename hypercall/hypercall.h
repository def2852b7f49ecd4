/* hypercall.h — hypercall handler prototypes (one file per Xen subsystem implements them). */
#ifndef STUB_HYPERCALL_H
#define STUB_HYPERCALL_H
#include "stub.h"

#define HC_ARGS struct regs *r, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5

long do_console_io(HC_ARGS);            /* console.c */
long do_xen_version(HC_ARGS);           /* version.c */
long do_sched_op(HC_ARGS);              /* sched.c */
long do_sched_op_compat(HC_ARGS);
long do_set_trap_table(HC_ARGS);        /* traps.c */
long do_stack_switch(HC_ARGS);
long do_iret(HC_ARGS);                  /* iret.c */
long do_vm_assist(HC_ARGS);             /* domain.c */
long do_vcpu_op(HC_ARGS);               /* vcpu.c */

#endif
