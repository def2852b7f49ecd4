/* trap64.S — pv64 exception entry: Xen's bounce frame in, C dispatcher, HYPERVISOR_iret out. */
#include <xen/xen.h>

/*
 * Xen (create_bounce_frame, xen/arch/x86/x86_64/entry.S) enters the handler
 * on the guest kernel stack with
 *	rsp -> rcx, r11, [error code], rip, cs, rflags, rsp, ss
 * the same frame Linux's xen_pv_trap stubs pop rcx/r11 from. We save the
 * other registers, hand C a struct trap_regs (traps.h), then leave through
 * the iret hypercall with struct iret_context (arch-x86/xen-x86_64.h):
 * the frame's rip..ss, a flags word (0: not VGCF_in_syscall) pushed here,
 * and rcx, r11, rax pushed by the hypercall page's iret entry.
 */
.macro trap_entry vec:req, has_err:req
	.text
	.balign 16
trap_entry_\vec:
	push	%rax
	lea	8(%rsp), %rax		/* the Xen frame */
	push	%rbx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rax			/* trap_regs.frame */
	pushq	$\has_err
	pushq	$\vec
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp		/* the frame size varies; realign for C */
	call	trap_dispatch
	mov	%rbx, %rsp
	add	$24, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rbx
	pop	%rax
	pop	%rcx			/* the frame's rcx and r11 (the handler may edit them) */
	pop	%r11
	.if \has_err
	lea	8(%rsp), %rsp
	.endif
	pushq	$0			/* iret_context.flags */
	jmp	hypercall_page + __HYPERVISOR_iret * 32
.endm

/* Vectors 0-19; 8, 10-14 and 17 push an error code. */
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19
	trap_entry \v, 0
.endr
.irp v, 8,10,11,12,13,14,17
	trap_entry \v, 1
.endr

	.section .rodata
	.balign 8
	.globl trap_entries
trap_entries:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
	.quad	trap_entry_\v
.endr

	.section .note.GNU-stack, "", @progbits
