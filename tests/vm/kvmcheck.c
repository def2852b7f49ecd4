/*
 * kvmcheck — prove that /dev/kvm really runs guest code.
 *
 * Creates a VM with 64 KiB of RAM and one vCPU in real mode, runs
 *     mov $0x5a, %al ; out %al, $0x10 ; hlt
 * and checks that KVM reports the port write (KVM_EXIT_IO, port 0x10, value
 * 0x5a) and then the halt (KVM_EXIT_HLT). Prints "kvmcheck: ok" and exits 0
 * on success; prints what went wrong and exits 1 otherwise.
 *
 * Used by tests/vm/selftest to check that the xvm harness gives a working
 * KVM and that a dynamically linked host binary runs inside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE   0x10000
#define CODE_ADDR  0x1000
#define TEST_PORT  0x10
#define TEST_VALUE 0x5a

static void fail(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	fputs("kvmcheck: FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(" (%s)", strerror(err));
	putchar('\n');
	exit(1);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO:             return "KVM_EXIT_IO";
	case KVM_EXIT_HLT:            return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:           return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:       return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:     return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default:                      return "another exit";
	}
}

int main(void)
{
	static const uint8_t code[] = {
		0xb0, TEST_VALUE,	/* mov $TEST_VALUE, %al */
		0xe6, TEST_PORT,	/* out %al, $TEST_PORT */
		0xf4,			/* hlt */
	};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, run_size, api;
	uint8_t *mem, value;

	errno = 0;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("open /dev/kvm");
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		fail("KVM API version %d, expected %d", api, KVM_API_VERSION);

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail("KVM_CREATE_VM");

	/* Guest RAM at guest-physical 0, code at CODE_ADDR. */
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap guest memory");
	memcpy(mem + CODE_ADDR, code, sizeof(code));
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		fail("KVM_GET_VCPU_MMAP_SIZE returned %d", run_size);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap kvm_run");

	/* Real mode, flat CS at 0 (the reset state has CS base 0xffff0000). */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rflags = 0x2;	/* bit 1 is reserved and must be set */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		fail("KVM_SET_REGS");

	/* First exit: the port write. */
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO)
		fail("first exit was %s (%u), expected KVM_EXIT_IO",
		     exit_name(run->exit_reason), run->exit_reason);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != TEST_PORT ||
	    run->io.size != 1 || run->io.count != 1)
		fail("unexpected I/O exit: dir %u port %#x size %u count %u",
		     run->io.direction, run->io.port, run->io.size, run->io.count);
	value = *((uint8_t *)run + run->io.data_offset);
	if (value != TEST_VALUE)
		fail("guest wrote %#x to port %#x, expected %#x",
		     value, TEST_PORT, TEST_VALUE);

	/* Second exit: the hlt (no in-kernel irqchip, so it comes to us). */
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		fail("KVM_RUN after the I/O exit");
	if (run->exit_reason != KVM_EXIT_HLT)
		fail("second exit was %s (%u), expected KVM_EXIT_HLT",
		     exit_name(run->exit_reason), run->exit_reason);

	printf("kvmcheck: ok (guest wrote %#x to port %#x, then halted)\n",
	       value, TEST_PORT);
	return 0;
}
