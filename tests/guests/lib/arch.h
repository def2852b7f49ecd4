/* arch.h — per-mode constants of the test guests; safe in C, assembly and the linker script. */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

/*
 * Where the image is linked and what the notes announce. The ELF program
 * headers carry p_paddr = p_vaddr - GUEST_VIRT_BASE and the PADDR_OFFSET
 * note is 0, the convention of upstream Linux: Xen's libelf loads a segment
 * at p_paddr + VIRT_BASE - PADDR_OFFSET, which is its p_vaddr.
 */
#if defined(__x86_64__)
#define GUEST_VIRT_BASE 0xffffffff80000000
#define GUEST_MODE      "pv64"
#elif defined(__i386__)
#define GUEST_VIRT_BASE 0xC0000000
#define GUEST_MODE      "pv32"
#else
#error "test guests are x86 only"
#endif

#define GUEST_PAGE_SIZE  4096
#define GUEST_STACK_SIZE 16384

#endif
