/* upcall32.S — pv32 event callback: Xen's ring-1 frame in, events_upcall(), HYPERVISOR_iret out. */
#include <xen/xen.h>

/*
 * Xen enters with events masked and, ring 1 -> ring 1,
 *	esp -> eip, cs, eflags
 * We save the registers, hand C the frame and leave through the iret
 * hypercall (its page entry pushes eax on top), which restores events
 * from eflags.IF: no window for a lost event, unlike a plain iret.
 */
	.text
	.balign 16
	.globl upcall_entry
upcall_entry:
	pushal
	lea	32(%esp), %eax		/* the Xen frame */
	push	%eax
	call	events_upcall
	add	$4, %esp
	popal
	jmp	hypercall_page + __HYPERVISOR_iret * 32

	.section .note.GNU-stack, "", @progbits
