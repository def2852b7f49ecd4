/*
 * entrycost — what a stub entry costs on this host: a null hypercall, an
 * exception bounced to the guest and its HYPERVISOR_iret, an emulated port
 * read, an emulated CPUID. Each is checked (right result, every time); the
 * cycle counts are figures for bench/, printed, never judged.
 */
#include "guest.h"
#include "events.h"
#include "traps.h"
#include <xen/physdev.h>
#include <xen/arch-x86/cpuid.h>

const char guest_name[] = "entrycost";

#define ROUNDS 512u        /* a power of two: no 64-bit division on pv32 */

static unsigned ud_seen;

static void on_ud(struct trap_ctx *t)
{
	ud_seen++;
	t->rip_slot[0] += 2;    /* past the ud2 */
}

static void report(const char *what, uint64_t cycles, unsigned ok)
{
	check_eq(what, ok, ROUNDS);
	printf("COST: %s: %lu cycles each\n", what, (unsigned long)(cycles / ROUNDS));
}

void guest_main(void)
{
	trap_set_handler(6, on_ud, false);
	check_rc("set_trap_table", traps_install(), 0);
	struct physdev_set_iopl iopl = { .iopl = 1 };
	check_rc("set_iopl(1)", HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl), 0);

	unsigned ok = 0;
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < ROUNDS; i++)
		ok += HYPERVISOR_xen_version(XENVER_version, NULL) > 0;
	report("null hypercall (xen_version), calls that returned the version", rdtsc() - t0, ok);

	ud_seen = 0;
	t0 = rdtsc();
	for (unsigned i = 0; i < ROUNDS; i++)
		asm volatile("ud2" ::: "memory");
	report("#UD bounced to the guest and HYPERVISOR_iret, handler runs", rdtsc() - t0, ud_seen);

	ok = 0;
	t0 = rdtsc();
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint8_t v;
		asm volatile("inb $0x42, %0" : "=a"(v));
		ok += v == 0xff;
	}
	report("emulated inb (a domU's port: all ones)", rdtsc() - t0, ok);

	ok = 0;
	t0 = rdtsc();
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t r[4];
		xen_cpuid(0x40000000, r);
		ok += r[1] == XEN_CPUID_SIGNATURE_EBX;
	}
	report("forced-emulation CPUID (Xen leaf)", rdtsc() - t0, ok);
	verdict();
}
