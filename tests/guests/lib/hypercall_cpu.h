/* hypercall_cpu.h — callbacks, CPU state, multicall, physdev and grant-table hypercalls for the test guests. */
#ifndef GUEST_HYPERCALL_CPU_H
#define GUEST_HYPERCALL_CPU_H

#include "hypercall.h"
#include <xen/callback.h>
#include <xen/grant_table.h>
#include <xen/physdev.h>

static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
	return hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

/* pv64: (event, failsafe, syscall) addresses; pv32: (event cs, eip, failsafe cs, eip). */
#ifdef __x86_64__
static inline long HYPERVISOR_set_callbacks(unsigned long event, unsigned long failsafe,
					    unsigned long syscall)
{
	return hypercall3(__HYPERVISOR_set_callbacks, event, failsafe, syscall);
}
#else
static inline long HYPERVISOR_set_callbacks(unsigned long event_cs, unsigned long event,
					    unsigned long failsafe_cs, unsigned long failsafe)
{
	return hypercall5(__HYPERVISOR_set_callbacks, event_cs, event, failsafe_cs, failsafe, 0);
}
#endif

static inline long HYPERVISOR_fpu_taskswitch(int set)
{
	return hypercall2(__HYPERVISOR_fpu_taskswitch, set, 0);
}

static inline long HYPERVISOR_set_debugreg(int reg, unsigned long value)
{
	return hypercall2(__HYPERVISOR_set_debugreg, reg, value);
}

static inline long HYPERVISOR_get_debugreg(int reg)
{
	return hypercall2(__HYPERVISOR_get_debugreg, reg, 0);
}

static inline long HYPERVISOR_set_segment_base(int which, unsigned long base)
{
	return hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

static inline long HYPERVISOR_multicall(multicall_entry_t *calls, unsigned long nr)
{
	return hypercall2(__HYPERVISOR_multicall, calls, nr);
}

static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

static inline long HYPERVISOR_physdev_op_compat(struct physdev_op *op)
{
	return hypercall2(__HYPERVISOR_physdev_op_compat, op, 0);
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
	return hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

/* pv32 takes the machine address and the descriptor as two 32-bit halves each. */
static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{
#ifdef __x86_64__
	return hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
#else
	return hypercall5(__HYPERVISOR_update_descriptor, (uint32_t)maddr, (uint32_t)(maddr >> 32),
			  (uint32_t)desc, (uint32_t)(desc >> 32), 0);
#endif
}

static inline long HYPERVISOR_set_gdt(unsigned long *frames, unsigned int entries)
{
	return hypercall2(__HYPERVISOR_set_gdt, frames, entries);
}

/* An address no guest may pass: inside the hypervisor hole. */
#ifdef __x86_64__
#define HOLE_ADDR 0xffff830000000000ul
#else
#define HOLE_ADDR 0xF6800000ul
#endif

#endif
