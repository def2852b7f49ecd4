/* entry32.S — 32-bit PAE stub entry points: boot, exceptions and interrupts, int $0x82. */
#include <xenner/hostabi.h>

/* Selectors: arch32.c. STUB_CS64 exists in long mode only. */
#define STUB_CS   0xe008
#define STUB_DS   0xe010
#define STUB_CS64 0xe038

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
	cmpb $0, %ss:pv32_long_mode     /* %ds is the guest's now */
	jne 1f
	.globl stub_iret_insn
stub_iret_insn:
	iret
1:	ljmp $STUB_CS64, $exit64

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

/*
 * Long mode (HOST_F_PV32_LONG_MODE, kvm_pvm): the same stub runs in
 * compatibility mode, as 64-bit Xen runs 32-bit guests. The IDT's gates
 * must lead to 64-bit code: each turns the CPU's 64-bit frame into the
 * one a 32-bit CPU would have pushed (error code, eip, cs, eflags, and
 * esp, ss from the guest; at the interrupted esp in the stub, on top of
 * the stack the TSS gives from the guest) and goes on at the 32-bit
 * vector above. r8-r15 are free: compatibility mode cannot reach them.
 */
	.code64
.macro VECTOR64 vec
	.align 16
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	pushq $(\vec | 0x100)
	.else
	pushq $\vec
	.endif
	jmp entry64_common
.endm

	.align 16
vectors64_start:
	.set i, 0
	.rept 256
	VECTOR64 %i
	.set i, i + 1
	.endr

entry64_common:
	popq %r8                        /* vector, | 0x100 with an error code */
	xorl %r9d, %r9d
	btl $8, %r8d
	jnc 1f
	popq %r9
1:	popq %r10                       /* rip */
	popq %r11                       /* cs */
	popq %r12                       /* rflags */
	popq %r13                       /* rsp */
	popq %r14                       /* ss */
	testb $3, %r11b
	jnz 2f
	movl %r13d, %esp
	jmp 3f
2:	subq $4, %rsp
	movl %r14d, (%rsp)
	subq $4, %rsp
	movl %r13d, (%rsp)
3:	subq $4, %rsp
	movl %r12d, (%rsp)
	subq $4, %rsp
	movl %r11d, (%rsp)
	subq $4, %rsp
	movl %r10d, (%rsp)
	btl $8, %r8d
	jnc 4f
	subq $4, %rsp
	movl %r9d, (%rsp)
4:	movl $STUB_DS, %r9d             /* an entry from the guest loaded a null %ss */
	movw %r9w, %ss
	movzbl %r8b, %r8d
	movl $trap_entries, %r9d
	movl (%r9,%r8,4), %r9d
	pushq $STUB_CS
	pushq %r9
	lretq

/*
 * stub_exit_to's iret, in long mode: the 32-bit frame at %esp (eip, cs,
 * eflags, and esp, ss to the guest) becomes an iretq frame below it. A
 * fault at the iretq leaves the 32-bit frame intact (callback.c).
 */
exit64:
	movl %esp, %esp
	movl (%rsp), %r8d
	movl 4(%rsp), %r9d
	movl 8(%rsp), %r10d
	testb $3, %r9b
	jnz 1f
	leaq 12(%rsp), %r11
	movl $STUB_DS, %r12d
	jmp 2f
1:	movl 12(%rsp), %r11d
	movl 16(%rsp), %r12d
2:	movq %r12, -8(%rsp)
	movq %r11, -16(%rsp)
	movq %r10, -24(%rsp)
	movq %r9, -32(%rsp)
	movq %r8, -40(%rsp)
	subq $40, %rsp
	.globl stub_iretq_insn
stub_iretq_insn:
	iretq
	.code32

	.section .rodata
	.align 4
	.globl trap_entries, trap_entries64
trap_entries:
	.set i, 0
	.rept 256
	.long vectors_start + i * 16
	.set i, i + 1
	.endr
trap_entries64:
	.set i, 0
	.rept 256
	.long vectors64_start + i * 16
	.set i, i + 1
	.endr

	.text
/*
 * size_t stub_copy_user(void *dst, const void *src, size_t len): bytes not
 * copied. No rep movs: kvm_pvm's emulator runs it one byte per exit.
 */
	.globl stub_copy_user, copy_user_start, copy_user_end, copy_user_fixup
stub_copy_user:
	pushl %esi
	pushl %edi
	movl 12(%esp), %edi
	movl 16(%esp), %esi
	movl 20(%esp), %ecx
copy_user_start:
	cmpl $4, %ecx
	jb 2f
1:	movl (%esi), %eax
	movl %eax, (%edi)
	addl $4, %esi
	addl $4, %edi
	subl $4, %ecx
	cmpl $4, %ecx
	jae 1b
2:	testb $2, %cl
	jz 3f
	movw (%esi), %ax
	movw %ax, (%edi)
	addl $2, %esi
	addl $2, %edi
	subl $2, %ecx
3:	testb $1, %cl
	jz 4f
	movb (%esi), %al
	movb %al, (%edi)
	decl %ecx
4:
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
