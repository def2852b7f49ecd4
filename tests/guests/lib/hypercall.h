/* hypercall.h — hypercalls through the hypercall page, for both guest modes. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

extern char hypercall_page[];

/*
 * Call entry nr of the hypercall page with five arguments. nr must be a
 * compile-time constant. 64-bit: rdi, rsi, rdx, r10, r8 -> rax; 32-bit:
 * ebx, ecx, edx, esi, edi -> eax. Argument registers count as clobbered
 * (debug Xen poisons them) and so do rcx/r11 (syscall).
 */
#ifdef __x86_64__
#define hypercall5(nr, a1, a2, a3, a4, a5) ({				\
	register unsigned long _a1 asm("rdi") = (unsigned long)(a1);	\
	register unsigned long _a2 asm("rsi") = (unsigned long)(a2);	\
	register unsigned long _a3 asm("rdx") = (unsigned long)(a3);	\
	register unsigned long _a4 asm("r10") = (unsigned long)(a4);	\
	register unsigned long _a5 asm("r8")  = (unsigned long)(a5);	\
	long _res;							\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(_res), "+r"(_a1), "+r"(_a2), "+r"(_a3),	\
		       "+r"(_a4), "+r"(_a5)				\
		     : [off] "i"((nr) * 32)				\
		     : "rcx", "r11", "memory");				\
	_res; })
#else
#define hypercall5(nr, a1, a2, a3, a4, a5) ({				\
	unsigned long _a1 = (unsigned long)(a1);			\
	unsigned long _a2 = (unsigned long)(a2);			\
	unsigned long _a3 = (unsigned long)(a3);			\
	unsigned long _a4 = (unsigned long)(a4);			\
	unsigned long _a5 = (unsigned long)(a5);			\
	long _res;							\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(_res), "+b"(_a1), "+c"(_a2), "+d"(_a3),	\
		       "+S"(_a4), "+D"(_a5)				\
		     : [off] "i"((nr) * 32)				\
		     : "memory");					\
	_res; })
#endif

#define hypercall0(nr)                 hypercall5(nr, 0, 0, 0, 0, 0)
#define hypercall2(nr, a1, a2)         hypercall5(nr, a1, a2, 0, 0, 0)
#define hypercall3(nr, a1, a2, a3)     hypercall5(nr, a1, a2, a3, 0, 0)

static inline long HYPERVISOR_console_io(int cmd, int count, const char *buf)
{
	return hypercall3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long HYPERVISOR_sched_op_compat(int cmd, unsigned long arg)
{
	return hypercall2(__HYPERVISOR_sched_op_compat, cmd, arg);
}

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
	return hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static inline long HYPERVISOR_set_trap_table(const struct trap_info *table)
{
	return hypercall2(__HYPERVISOR_set_trap_table, table, 0);
}

static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{
	return hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

#endif
