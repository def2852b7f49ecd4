/* callback.h — per-vCPU guest callbacks and CPU state the guest sets through hypercalls. */
#ifndef STUB_CALLBACK_H
#define STUB_CALLBACK_H
#include <stdint.h>

struct vcpu_cb {
	/* callback_op / set_callbacks (CALLBACKTYPE_*); address 0 = not registered */
	unsigned long event_address, failsafe_address, syscall_address;
	unsigned long syscall32_address, sysenter_address, nmi_address;
	uint16_t event_cs, failsafe_cs, syscall32_cs, sysenter_cs;    /* 32-bit guests */
	uint16_t flags;                 /* CALLBACKF_mask_events per type, bit = type */
	/* set_segment_base (64-bit) */
	uint64_t fs_base, gs_base_kernel, gs_base_user;
	/* set_debugreg / get_debugreg */
	unsigned long debugreg[8];
	/* fpu_taskswitch: CR0.TS as the guest sees it */
	bool fpu_ts;
	/* set_iopl (physdev_op): virtual IOPL 0-3 */
	unsigned iopl;
};

#endif
