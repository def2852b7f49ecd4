/* version.c — xen_version: who the guest thinks it runs on. */
#include "hypercall.h"
#include <xen/version.h>
#include <xenner/features.h>

long do_xen_version(HC_ARGS)
{
	ulong cmd = a1, arg = a2;

	switch (cmd) {
	case XENVER_version:
		return XENNER_XEN_MAJOR << 16 | XENNER_XEN_MINOR;
	case XENVER_extraversion: {
		xen_extraversion_t s;
		memset(s, 0, sizeof(s));
		memcpy(s, dom.bi.xen_extra, strnlen(dom.bi.xen_extra, sizeof(s) - 1));
		return copy_to_guest(arg, s, sizeof(s));
	}
	case XENVER_compile_info: {
		xen_compile_info_t ci;
		memset(&ci, 0, sizeof(ci));
		memcpy(ci.compiler, "gcc", 3);
		memcpy(ci.compile_by, "xenner", 6);
		memcpy(ci.compile_domain, "xenner", 6);
		memcpy(ci.compile_date, __DATE__, sizeof(__DATE__) - 1);
		return copy_to_guest(arg, &ci, sizeof(ci));
	}
	case XENVER_capabilities: {
		/* A 64-bit Xen runs both kinds of PV guest; say so, like Xen does. */
		xen_capabilities_info_t caps;
		static const char s[] = "xen-3.0-x86_64 xen-3.0-x86_32p";
		memset(caps, 0, sizeof(caps));
		memcpy(caps, s, sizeof(s) - 1);
		return copy_to_guest(arg, caps, sizeof(caps));
	}
	case XENVER_changeset: {
		xen_changeset_info_t cs;
		static const char s[] = "xenner";
		memset(cs, 0, sizeof(cs));
		memcpy(cs, s, sizeof(s) - 1);
		return copy_to_guest(arg, cs, sizeof(cs));
	}
	case XENVER_platform_parameters: {
		xen_platform_parameters_t pp = { .virt_start = HYPERVISOR_VIRT_START };
		return copy_to_guest(arg, &pp, sizeof(pp));
	}
	case XENVER_get_features: {
		xen_feature_info_t fi;
		if (copy_from_guest(&fi, arg, sizeof(fi)))
			return -XEN_EFAULT;
		if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
			return -XEN_EINVAL;
		fi.submap = fi.submap_idx == 0 ? XENNER_FEATURES_SUBMAP0 : 0;
		return copy_to_guest(arg, &fi, sizeof(fi));
	}
	case XENVER_pagesize:
		return PAGE_SIZE;
	case XENVER_guest_handle: {
		xen_domain_handle_t h;
		memset(h, 0, sizeof(h));
		return copy_to_guest(arg, h, sizeof(h));
	}
	case XENVER_commandline: {
		xen_commandline_t cl;
		memset(cl, 0, sizeof(cl));
		memcpy(cl, dom.bi.xen_cmdline, strnlen(dom.bi.xen_cmdline, sizeof(cl) - 1));
		return copy_to_guest(arg, cl, sizeof(cl));
	}
	default:
		return -XEN_ENOSYS;
	}
}
