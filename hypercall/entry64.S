/* entry64.S — 64-bit stub entry points: boot, exceptions and interrupts, syscall. */
#include <xenner/hostabi.h>

#define VEC_SYSCALL 0x100
#define VCPU_SCRATCH_SP 0
#define VCPU_STACK_TOP  8
#define GUEST_CS64  0xe033      /* FLAT_KERNEL_CS64 */
#define GUEST_SS    0xe02b      /* FLAT_KERNEL_SS64 */
#define MSR_FS_BASE 0xc0000100

	.section .head, "a"
	.globl stub_header
stub_header:
	.quad STUB_MAGIC
	.long STUB_ABI_VERSION
	.long 64
	.long _start - stub_header
	.long __image_end - stub_header
	.long __mem_end - stub_header
	.long _start_ap - stub_header
	.long __ro_end - stub_header
	.long 0

	.text
/* Host enters here in long mode on the stub's own page tables, %rdi = boot FDT. */
	.globl _start
_start:
	cli
	leaq boot_stack_top(%rip), %rsp
	/* libfdt is built with the stack protector: give %fs:0x28 a home. */
	leaq boot_canary(%rip), %rax
	movq %rax, %rdx
	shrq $32, %rdx
	movl $MSR_FS_BASE, %ecx
	wrmsr
	call stub_start
	ud2

/* A secondary vCPU (VCPUOP_up): the host set %rsp to its stack, %rdi = its struct vcpu. */
	.globl _start_ap
_start_ap:
	cli
	call stub_start_ap
	ud2

/* Save the general registers below the vector/error-code words (struct regs). */
.macro SAVE_REGS
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

trap_common:
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call stub_trap
	movq %rsp, %rdi
	/* fall through */

/* Return to whatever the frame at %rdi describes (guest or stub). */
	.globl stub_exit_to
stub_exit_to:
	movq %rdi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	addq $16, %rsp
	.globl stub_iret_insn
stub_iret_insn:
	iretq

/*
 * syscall from the guest (ring 3). The hypercall page uses it, so does
 * guest user space. No stack switch happens in hardware: borrow the stub
 * per-vCPU pointer through %gs just long enough to find this vCPU's stack.
 * IF is masked by SFMASK, so nothing can interrupt the swapgs window.
 */
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:VCPU_SCRATCH_SP
	movq %gs:VCPU_STACK_TOP, %rsp
	pushq $GUEST_SS
	pushq %gs:VCPU_SCRATCH_SP
	swapgs
	pushq %r11                      /* rflags */
	pushq $GUEST_CS64
	pushq %rcx                      /* rip */
	pushq $0                        /* error code */
	pushq $VEC_SYSCALL
	jmp trap_common

/* syscall from 32-bit compat code: not supported by xenner yet. */
	.globl syscall_entry_compat
syscall_entry_compat:
	swapgs
	movq %rsp, %gs:VCPU_SCRATCH_SP
	movq %gs:VCPU_STACK_TOP, %rsp
	pushq $GUEST_SS
	pushq %gs:VCPU_SCRATCH_SP
	swapgs
	pushq %r11
	pushq $0xe023                   /* FLAT_RING3_CS32 */
	pushq %rcx
	pushq $0
	pushq $(VEC_SYSCALL + 1)
	jmp trap_common

/* One tiny entry per vector: push a dummy error code where the CPU pushes none. */
.macro VECTOR vec
	.align 16
vector_\vec:
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
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
	.align 8
	.globl trap_entries
trap_entries:
	.set i, 0
	.rept 256
	.quad vectors_start + i * 16
	.set i, i + 1
	.endr

	.text
/*
 * Copy to/from guest memory: eight bytes at a time, then 4, 2, 1. A fault on
 * any access in [copy_user_start, copy_user_end) is fixed up by
 * fixup_exception() to continue at copy_user_fixup, which returns the bytes
 * not copied (%rcx; up to 7 more than were, when a word faulted); 0 on
 * success. No `rep movs`: kvm_pvm emulates this code, one iteration at a
 * time, and these copies are on every bounce frame and iret.
 */
	.globl stub_copy_user, copy_user_start, copy_user_end, copy_user_fixup
stub_copy_user:
	movq %rdx, %rcx
copy_user_start:
	cmpq $8, %rcx
	jb 2f
1:	movq (%rsi), %rax
	movq %rax, (%rdi)
	addq $8, %rsi
	addq $8, %rdi
	subq $8, %rcx
	cmpq $8, %rcx
	jae 1b
2:	testb $4, %cl
	jz 3f
	movl (%rsi), %eax
	movl %eax, (%rdi)
	addq $4, %rsi
	addq $4, %rdi
	subq $4, %rcx
3:	testb $2, %cl
	jz 4f
	movw (%rsi), %ax
	movw %ax, (%rdi)
	addq $2, %rsi
	addq $2, %rdi
	subq $2, %rcx
4:	testb $1, %cl
	jz 5f
	movb (%rsi), %al
	movb %al, (%rdi)
	decq %rcx
5:
copy_user_end:
	xorl %eax, %eax
	ret
copy_user_fixup:
	movq %rcx, %rax
	ret

	.bss
	.align 16384
boot_stack:
	.space 16384
boot_stack_top = boot_stack + 16384 - 16
	.align 64
boot_canary:
	.space 64

	.section .note.GNU-stack, "", @progbits
