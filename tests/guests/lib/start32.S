/* start32.S — pv32 (PAE) entry: Xen starts us in ring 1 with %esi = start_info. */
#include "arch.h"

	.section .text.head, "ax"
	.code32
	.globl _start
_start:
	/* Record the start-of-day state before anything changes it. */
	mov	%esi, boot_start_info
	mov	%esp, boot_sp
	xor	%eax, %eax
	mov	%cs, %ax
	mov	%eax, boot_cs
	mov	%ss, %ax
	mov	%eax, boot_ss
	mov	%ds, %ax
	mov	%eax, boot_ds

	mov	$guest_stack_top, %esp
	pushfl
	popl	boot_flags
	xor	%ebp, %ebp
	push	%esi
	call	guest_start		/* does not return */
1:	ud2
	jmp	1b

	.section .note.GNU-stack, "", @progbits
