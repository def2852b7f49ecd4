/* guest.h — the small runtime shared by the Xen PV test guests. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include "arch.h"
#include "hypercall.h"

/* Each guest defines its name (used in the verdict) and its body. */
extern const char guest_name[];
void guest_main(void);

/* Start-of-day state recorded by start{64,32}.S before it switched stacks. */
/* CPUID (subleaf 0) through Xen's forced-emulation prefix (ud2; .ascii "xen"; cpuid). */
static inline void xen_cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile(XEN_CPUID
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "0"(leaf), "2"(0));
}

/* A macro's value as a string, for inline assembly. */
#define STR_(x) #x
#define STR(x) STR_(x)

extern unsigned long boot_start_info, boot_sp, boot_cs, boot_ss, boot_ds, boot_flags;
extern start_info_t *start_info;
extern char _start[], _end[];

/* pfn/mfn of an address inside the initial mapping (xen.h start of day, 6.). */
unsigned long virt_to_pfn(const void *va);
unsigned long virt_to_mfn(const void *va);

/* console.c: output through console_io(CONSOLEIO_write). */
void console_write(const char *s, size_t len);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * verdict.c: every check prints one "  ok  ..." or "  FAIL ..." line; the
 * first failure names the verdict. verdict() prints
 * "VERDICT: PASS <name>" or "VERDICT: FAIL <name>: <first failure>" and
 * powers off.
 */
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool check_eq(const char *what, unsigned long long got, unsigned long long want);
bool check_rc(const char *what, long got, long want);
__attribute__((noreturn)) void verdict(void);

/*
 * The host kind, from "xenner.host=pvm" on the guest's command line
 * (run-guests.sh adds it on kvm_pvm). pvm_cannot(what, why): on kvm_pvm,
 * prints "  skip <what>: kvm_pvm: <why>", counts it and returns true, so
 * the caller skips a check that host cannot pass (docs/architecture.md,
 * "kvm_pvm"); elsewhere returns false.
 */
bool host_is_pvm(void);
#define PVM_SELECTORS "ring-3 code reads the host's own selectors (0x33, 0x2b) from %cs and %ss"
bool pvm_cannot(const char *what, const char *why);
/*
 * Only 64-bit guests' code runs natively on kvm_pvm, with its quirks; a
 * 32-bit guest runs in KVM's instruction emulator, with others.
 */
#ifdef __x86_64__
#define pvm64_cannot(what, why) pvm_cannot(what, why)
#define pvm32_cannot(what, why) ((void)(what), (void)(why), false)
#else
#define pvm64_cannot(what, why) ((void)(what), (void)(why), false)
#define pvm32_cannot(what, why) pvm_cannot(what, why)
#endif
#define PVM_NO_FPU_EMULATION "32-bit code runs in KVM's instruction emulator, which has no x87 " \
	"arithmetic, SSE or ldmxcsr"
__attribute__((noreturn, format(printf, 1, 2))) void fail_now(const char *fmt, ...);
__attribute__((noreturn)) void shutdown(unsigned int reason);

/* string.c */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *haystack, const char *needle);

#endif
