/* stubs.S — the two stub images, embedded so xenner is one self-contained binary. */
	.section .rodata
	.balign 4096
	.globl stub64_image, stub64_image_end
stub64_image:
	.incbin STUB64_BIN
stub64_image_end:
	.balign 4096
	.globl stub32_image, stub32_image_end
stub32_image:
	.incbin STUB32_BIN
stub32_image_end:
	.section .note.GNU-stack, "", @progbits
