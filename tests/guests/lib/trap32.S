/* trap32.S — pv32 exception entry: Xen's ring-1 bounce frame in, C dispatcher, iret out. */
#include <xen/xen.h>

/*
 * For a fault in ring 1 Xen (compat_create_bounce_frame,
 * xen/arch/x86/x86_64/compat/entry.S) pushes on the current ring-1 stack
 *	esp -> [error code], eip, cs, eflags
 * like a same-privilege hardware interrupt: no esp/ss. We save the
 * registers, hand C a struct trap_regs (traps.h), then return with either a
 * plain ring-1 `iret` or the iret hypercall (whose page entry pushes eax on
 * top of eip, cs, eflags), as the handler chose in trap_iret_hypercall.
 */
.macro trap_entry vec:req, has_err:req
	.text
	.balign 16
trap_entry_\vec:
	pushal
	lea	32(%esp), %eax		/* the Xen frame */
	push	%eax			/* trap_regs.frame */
	pushl	$\has_err
	pushl	$\vec
	mov	%esp, %eax
	push	%eax
	call	trap_dispatch
	add	$16, %esp
	popal
	.if \has_err
	lea	4(%esp), %esp
	.endif
	cmpb	$0, trap_iret_hypercall	/* flags are restored from the frame either way */
	jne	1f
	iret
1:	jmp	hypercall_page + __HYPERVISOR_iret * 32
.endm

/* Vectors 0-19; 8, 10-14 and 17 push an error code. */
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19
	trap_entry \v, 0
.endr
.irp v, 8,10,11,12,13,14,17
	trap_entry \v, 1
.endr

	.section .rodata
	.balign 4
	.globl trap_entries
trap_entries:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
	.long	trap_entry_\v
.endr

	.section .note.GNU-stack, "", @progbits
