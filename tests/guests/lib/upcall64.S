/* upcall64.S — pv64 event callback: Xen's bounce frame in, events_upcall(), HYPERVISOR_iret out. */
#include <xen/xen.h>

/*
 * Xen enters with events masked and
 *	rsp -> rcx, r11, rip, cs, rflags, rsp, ss
 * (no error code). We save what C may clobber, hand it the frame, and
 * leave like trap64.S: pop rcx/r11, push the iret_context flags word (0)
 * and jump to the iret entry, which restores events from rflags.IF.
 */
	.text
	.balign 16
	.globl upcall_entry
upcall_entry:
	push	%rax
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%rbx
	lea	64(%rsp), %rdi		/* the Xen frame */
	mov	%rsp, %rbx
	and	$-16, %rsp
	call	events_upcall
	mov	%rbx, %rsp
	pop	%rbx
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rax
	pop	%rcx
	pop	%r11
	pushq	$0			/* iret_context.flags */
	jmp	hypercall_page + __HYPERVISOR_iret * 32

	.section .note.GNU-stack, "", @progbits
