/* head.S — Xen ELF notes, the hypercall page and the boot stack (both modes). */
#include <xen/elfnote.h>
#include "arch.h"

#ifdef __x86_64__
#define NOTE_WORD .quad
#else
#define NOTE_WORD .long
#endif

/* One "Xen" note: namesz, descsz, type, "Xen\0", desc, padded to 4. */
.macro xen_note type:req, desc:vararg
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long \type
1:	.asciz "Xen"
2:	.balign 4
3:	\desc
4:	.balign 4
	.popsection
.endm

	xen_note XEN_ELFNOTE_GUEST_OS,       .asciz "xenner-test"
	xen_note XEN_ELFNOTE_GUEST_VERSION,  .asciz "1"
	xen_note XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0"
	xen_note XEN_ELFNOTE_LOADER,         .asciz "generic"
	xen_note XEN_ELFNOTE_VIRT_BASE,      NOTE_WORD GUEST_VIRT_BASE
	xen_note XEN_ELFNOTE_PADDR_OFFSET,   NOTE_WORD 0
	xen_note XEN_ELFNOTE_ENTRY,          NOTE_WORD _start
	xen_note XEN_ELFNOTE_HYPERCALL_PAGE, NOTE_WORD hypercall_page
	/* Supported, none required: nothing here may stop the image loading. */
	xen_note XEN_ELFNOTE_FEATURES,       .asciz "writable_descriptor_tables|pae_pgdir_above_4gb"
#ifdef __i386__
	xen_note XEN_ELFNOTE_PAE_MODE,       .asciz "yes"
#endif

/*
 * The hypervisor overwrites this page with 128 32-byte stubs; entry N makes
 * hypercall N. Until then every byte is int3, so a missing fill traps at once.
 */
	.section .text.hypercall_page, "ax"
	.balign GUEST_PAGE_SIZE
	.globl hypercall_page
hypercall_page:
	.fill GUEST_PAGE_SIZE, 1, 0xcc

	.section .bss
	.balign 16
	.globl guest_stack, guest_stack_top
guest_stack:
	.skip GUEST_STACK_SIZE
guest_stack_top:

	.section .note.GNU-stack, "", @progbits
