/* domain.c — domain-wide settings: vm_assist. */
#include "hypercall.h"

/* The VMASST types Xen accepts from a PV guest of this width. */
#if STUB_BITS == 64
#define VM_ASSIST_VALID ((1ul << VMASST_TYPE_4gb_segments) |                      \
			 (1ul << VMASST_TYPE_4gb_segments_notify) |               \
			 (1ul << VMASST_TYPE_writable_pagetables) |               \
			 (1ul << VMASST_TYPE_pae_extended_cr3) |                  \
			 (1ul << VMASST_TYPE_architectural_iopl) |                \
			 (1ul << VMASST_TYPE_runstate_update_flag) |              \
			 (1ul << VMASST_TYPE_m2p_strict))
#else
#define VM_ASSIST_VALID ((1ul << VMASST_TYPE_4gb_segments) |                      \
			 (1ul << VMASST_TYPE_4gb_segments_notify) |               \
			 (1ul << VMASST_TYPE_writable_pagetables) |               \
			 (1ul << VMASST_TYPE_pae_extended_cr3) |                  \
			 (1ul << VMASST_TYPE_architectural_iopl) |                \
			 (1ul << VMASST_TYPE_runstate_update_flag))
#endif

long do_vm_assist(HC_ARGS)
{
	ulong cmd = a1, type = a2;
	if (type >= sizeof(ulong) * 8 || !(VM_ASSIST_VALID & (1ul << type)))
		return -XEN_EINVAL;
	switch (cmd) {
	case VMASST_CMD_enable:
		dom.vm_assist |= 1ul << type;
		return 0;
	case VMASST_CMD_disable:
		dom.vm_assist &= ~(1ul << type);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
