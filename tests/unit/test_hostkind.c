/* test_hostkind.c — what xenner decides from the host's kind of KVM. */
#define CHECK_SUITE "hostkind"
#include "check.h"
#include "xenner/vm.h"
#include <xenner/hostabi.h>

/* kvm_pvm: 32-bit guests in long mode; native 64-bit code raises no #NM. */
TEST(flags_follow_the_host_and_the_guest_width)
{
	CHECK_EQ(host_kind_flags("pvm", 64), HOST_F_NO_NATIVE_NM);
	CHECK_EQ(host_kind_flags("pvm", 32), HOST_F_PV32_LONG_MODE);
	CHECK_EQ(host_kind_flags("svm", 32), 0);
	CHECK_EQ(host_kind_flags("vmx", 64), 0);
	CHECK(host_kind_emulator_incomplete("pvm"));
	CHECK(!host_kind_emulator_incomplete("vmx"));
}

/* What KVM's emulator stops at and the stub completes; the rest is the guest's #UD. */
TEST(stub_completes_int_n_iret_and_fnclex_only)
{
	static const uint8_t int82[] = { 0xcd, 0x82, 0xc3 }, int3[] = { 0xcc }, into[] = { 0xce },
		iret[] = { 0xcf }, fnclex[] = { 0xdb, 0xe2 }, fclex[] = { 0x9b, 0xdb, 0xe2 },
		ldmxcsr[] = { 0x0f, 0xae, 0x15, 0, 0, 0, 0 }, fldz[] = { 0xd9, 0xee },
		fninit_w[] = { 0x9b, 0xdb, 0xe3 }, bound[] = { 0x62, 0x05 };
	CHECK(host_kind_stub_completes(int82, sizeof(int82)));
	CHECK(!host_kind_stub_completes(int82, 1));     /* cut short: not known to be int $n */
	CHECK(host_kind_stub_completes(int3, 1));
	CHECK(host_kind_stub_completes(into, 1));
	CHECK(host_kind_stub_completes(iret, 1));
	CHECK(host_kind_stub_completes(fnclex, 2));
	CHECK(host_kind_stub_completes(fclex, 3));
	CHECK(!host_kind_stub_completes(fclex, 2));
	CHECK(!host_kind_stub_completes(ldmxcsr, sizeof(ldmxcsr)));
	CHECK(!host_kind_stub_completes(fldz, sizeof(fldz)));
	CHECK(!host_kind_stub_completes(fninit_w, sizeof(fninit_w)));
	CHECK(!host_kind_stub_completes(bound, sizeof(bound)));
	CHECK(!host_kind_stub_completes(int3, 0));
}

int main(void)
{
	RUN(flags_follow_the_host_and_the_guest_width);
	RUN(stub_completes_int_n_iret_and_fnclex_only);
	return check_done();
}
