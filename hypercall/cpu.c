/* cpu.c — what both stub widths do the same way: CR2, entering the guest, halting. */
#include "stub.h"

void stub_exit_to(struct regs *frame) __attribute__((noreturn));     /* entry*.S */

ulong arch_read_cr2(void)
{
	ulong v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* Leave the stub for the guest state in r, from the top of v's stack. */
void arch_enter_guest(struct vcpu *v, struct regs *r)
{
	struct regs *frame = (struct regs *)(v->stack_top - sizeof(*frame));
	/* r may sit on this same stack, just below frame (a starting vCPU): they can overlap. */
	memmove(frame, r, sizeof(*frame));
	stub_exit_to(frame);
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
