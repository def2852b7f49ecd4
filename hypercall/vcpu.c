/* vcpu.c — vcpu_op: per-vCPU registration and state queries. */
#include "hypercall.h"
#include <xen/vcpu.h>

/*
 * VCPUOP_register_vcpu_info: move this vCPU's vcpu_info from shared_info
 * into a guest page. Allowed once; the area must sit inside one guest RAM
 * frame. The current contents move with it.
 */
static long register_vcpu_info(struct vcpu *v, ulong arg)
{
	struct vcpu_register_vcpu_info info;
	if (copy_from_guest(&info, arg, sizeof(info)))
		return -XEN_EFAULT;
	if (v->vcpu_info_registered)
		return -XEN_EINVAL;
	if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info) ||
	    (info.offset & (sizeof(ulong) - 1)))
		return -XEN_EINVAL;
	if (!mfn_is_guest_ram(info.mfn))
		return -XEN_EINVAL;
	uint8_t *page = map_mfn_global(info.mfn);
	struct vcpu_info *new = (struct vcpu_info *)(page + info.offset);
	*new = *v->vcpu_info;
	/* As Xen does: the guest cannot know what it missed, so everything is pending. */
	new->evtchn_pending_sel = ~0ul;
	new->evtchn_upcall_pending = 1;
	v->vcpu_info = new;
	v->vcpu_info_registered = true;
	return 0;
}

long do_vcpu_op(HC_ARGS)
{
	ulong cmd = a1, id = a2, arg = a3;
	if (id >= dom.bi.nr_vcpus || !dom.vcpus[id])
		return -XEN_ENOENT;
	struct vcpu *v = dom.vcpus[id];

	switch (cmd) {
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, arg);
	case VCPUOP_is_up:
		return v->online;
	default:
		return HYPERCALL_UNSUPPORTED;
	}
}
