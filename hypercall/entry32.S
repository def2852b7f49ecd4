/* entry32.S — 32-bit PAE stub entry points: boot, exceptions and interrupts, int $0x82. */
#include <xenner/hostabi.h>

#define STUB_DS 0xe010

	.section .head, "a"
	.globl stub_header
stub_header:
	.quad STUB_MAGIC
	.long STUB_ABI_VERSION
	.long 32
	.long _start - stub_header
	.long __image_end - stub_header
	.long __mem_end - stub_header
	.long _start_ap - stub_header
	.long __ro_end - stub_header
	.long 0

	.text
/*
 * Host enters here in PAE protected mode on the stub's own page tables,
 * %edi = boot FDT. A boot GDT gives libfdt's stack protector a %gs:0x14.
 */
	.globl _start
_start:
	cli
	movl $boot_canary, %eax
	movw %ax, boot_gdt + 0x18 + 2
	shrl $16, %eax
	movb %al, boot_gdt + 0x18 + 4
	movb %ah, boot_gdt + 0x18 + 7
	lgdt boot_gdtr
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl $0x18, %eax
	movl %eax, %gs
	movl $boot_stack_top, %esp
	pushl %edi
	call stub_start
	ud2

/* A secondary vCPU (VCPUOP_up): the host set %esp to its stack, %edi = its struct vcpu. */
	.globl _start_ap
_start_ap:
	cli
	pushl %edi
	call stub_start_ap
	ud2

trap_common:
	pushl %gs
	pushl %fs
	pushl %es
	pushl %ds
	pushl %eax
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %edx
	pushl %ecx
	pushl %ebx
	movl $STUB_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	/*
	 * A 32-bit push of a segment register may write only its 16 bits
	 * (recent Intel CPUs, KVM's emulator): clear the rest of ds..gs.
	 */
	movw $0, 30(%esp)
	movw $0, 34(%esp)
	movw $0, 38(%esp)
	movw $0, 42(%esp)
	cld
	movl %esp, %eax
	pushl %eax
	call stub_trap
	addl $4, %esp
	movl %esp, %eax
	jmp 2f

/* Return to whatever the frame at 4(%esp) describes (guest or stub). */
	.globl stub_exit_to
stub_exit_to:
	movl 4(%esp), %eax
2:	movl %eax, %esp
	popl %ebx
	popl %ecx
	popl %edx
	popl %esi
	popl %edi
	popl %ebp
	popl %eax
	/* The segment reloads and the iret can fault on guest state: callback.c's failsafe. */
	.globl stub_exit_pop_ds, stub_exit_pop_es, stub_exit_pop_fs, stub_exit_pop_gs
stub_exit_pop_ds:
	popl %ds
stub_exit_pop_es:
	popl %es
stub_exit_pop_fs:
	popl %fs
stub_exit_pop_gs:
	popl %gs
	addl $8, %esp
	.globl stub_iret_insn
stub_iret_insn:
	iret

.macro VECTOR vec
	.align 16
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl $0
	.endif
	pushl $\vec
	jmp trap_common
.endm

	.align 16
vectors_start:
	.altmacro
	.set i, 0
	.rept 256
	VECTOR %i
	.set i, i + 1
	.endr

	.section .rodata
	.align 4
	.globl trap_entries
trap_entries:
	.set i, 0
	.rept 256
	.long vectors_start + i * 16
	.set i, i + 1
	.endr

	.text
/* size_t stub_copy_user(void *dst, const void *src, size_t len): bytes not copied. */
	.globl stub_copy_user, copy_user_start, copy_user_end, copy_user_fixup
stub_copy_user:
	pushl %esi
	pushl %edi
	movl 12(%esp), %edi
	movl 16(%esp), %esi
	movl 20(%esp), %ecx
copy_user_start:
	rep movsb
copy_user_end:
	xorl %eax, %eax
	popl %edi
	popl %esi
	ret
copy_user_fixup:
	movl %ecx, %eax
	popl %edi
	popl %esi
	ret

	.data
	.align 8
boot_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff        /* 0x08 code */
	.quad 0x00cf93000000ffff        /* 0x10 data */
	.quad 0x0040930000000040        /* 0x18 canary segment, base patched at boot */
boot_gdtr:
	.word 4 * 8 - 1
	.long boot_gdt

	.bss
	.align 16384
boot_stack:
	.space 16384
boot_stack_top = boot_stack + 16384 - 16
	.align 64
boot_canary:
	.space 64

	.section .note.GNU-stack, "", @progbits
