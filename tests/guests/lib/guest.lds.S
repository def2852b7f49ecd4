/* guest.lds.S — one image at GUEST_VIRT_BASE; p_paddr = p_vaddr - GUEST_VIRT_BASE. */
#include "arch.h"

#define LOAD(sec) AT(ADDR(sec) - GUEST_VIRT_BASE)

ENTRY(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);		/* R X */
	data PT_LOAD FLAGS(6);		/* R W */
	note PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = GUEST_VIRT_BASE;
	.text : LOAD(.text) {
		*(.text.head)
		. = ALIGN(4096);
		*(.text.hypercall_page)
		*(.text .text.*)
	} :text
	.rodata : LOAD(.rodata) { *(.rodata .rodata.*) } :text
	.note.Xen : LOAD(.note.Xen) { *(.note.Xen) } :text :note
	_etext = .;		/* the end of code and read-only data */

	. = ALIGN(4096);
	.data : LOAD(.data) { *(.data .data.*) } :data
	.bss : LOAD(.bss) { *(.bss .bss.*) *(COMMON) } :data
	. = ALIGN(4096);
	_end = .;

	/DISCARD/ : { *(.comment) *(.eh_frame) *(.note.GNU-stack) *(.note.gnu.*) }
}
