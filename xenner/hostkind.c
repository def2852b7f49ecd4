/* hostkind.c — which kind of KVM this host has: VMX, SVM or kvm_pvm. */
#include "vm.h"

#include <stdlib.h>
#include <unistd.h>

/*
 * kvm_pvm (pagetable-based KVM, no hardware virtualization) runs only
 * 64-bit ring-3 code natively and is not faithful x86 (docs/hosts.md). The
 * loaded module tells the kinds apart; XENNER_HOST_KIND overrides (tests).
 */
const char *host_kind_detect(void)
{
	const char *env = getenv("XENNER_HOST_KIND");
	if (env && *env)
		return env;
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "pvm";
	if (access("/sys/module/kvm_intel", F_OK) == 0)
		return "vmx";
	if (access("/sys/module/kvm_amd", F_OK) == 0)
		return "svm";
	return "unknown";
}
