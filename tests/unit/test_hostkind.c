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

int main(void)
{
	RUN(flags_follow_the_host_and_the_guest_width);
	return check_done();
}
