/* start64.S — pv64 entry: Xen starts us in ring 3 with %rsi = start_info. */
#include "arch.h"

	.section .text.head, "ax"
	.code64
	.globl _start
_start:
	/* Record the start-of-day state before anything changes it. */
	mov	%rsi, boot_start_info(%rip)
	mov	%rsp, boot_sp(%rip)
	xor	%eax, %eax
	mov	%cs, %ax
	mov	%rax, boot_cs(%rip)
	mov	%ss, %ax
	mov	%rax, boot_ss(%rip)
	mov	%ds, %ax
	mov	%rax, boot_ds(%rip)

	lea	guest_stack_top(%rip), %rsp
	pushfq
	popq	boot_flags(%rip)
	xor	%ebp, %ebp
	mov	%rsi, %rdi
	call	guest_start		/* does not return */
1:	ud2
	jmp	1b

	.section .note.GNU-stack, "", @progbits
