/* version — xen_version sub-ops, Xen CPUID leaves, vm_assist, sched_op yield, unknown hypercalls. */
#include "guest.h"
#include "traps.h"
#include <xen/features.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/pmu.h>

const char guest_name[] = "version";

#ifdef __x86_64__
#define MY_CAPABILITY "xen-3.0-x86_64"
#else
#define MY_CAPABILITY "xen-3.0-x86_32p"
#endif

/* A xen_version sub-op no Xen defines: falls through to -ENOSYS. */
#define XENVER_UNKNOWN 1000

/* Fill buf with 0xff, so a buffer the call never wrote has no NUL. */
static bool nul_terminated(const char *buf, size_t size)
{
	return memchr(buf, 0, size) != NULL;
}

/* Every byte of buf after the first NUL is c. */
static bool tail_is(const char *buf, size_t size, unsigned char c)
{
	const char *nul = memchr(buf, 0, size);

	for (const char *p = nul ? nul + 1 : buf + size; p < buf + size; p++)
		if ((unsigned char)*p != c)
			return false;
	return true;
}

/*
 * Xen (xen/common/kernel.c) builds these strings in a zeroed array
 * (memset, safe_strcpy) and copies the whole array: nothing but zeroes
 * follows the NUL.
 */
static void check_zero_tail(const char *name, const char *buf, size_t size)
{
	check(tail_is(buf, size, 0), "%s: only zeroes after the NUL (%zu bytes)", name, size);
}

static void check_string_op(const char *name, int cmd, char *buf, size_t size)
{
	memset(buf, 0xff, size);
	long rc = HYPERVISOR_xen_version(cmd, buf);
	check_rc(name, rc, 0);
	check(nul_terminated(buf, size), "%s NUL-terminated within %zu bytes: \"%.*s\"",
	      name, size, (int)strnlen(buf, size < 80 ? size : 80), buf);
	if (cmd != XENVER_commandline)
		check_zero_tail(name, buf, size);
}

/* True when word appears in the space-separated list. */
static bool has_token(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p++)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void test_xen_version(long *version)
{
	long ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	*version = ver;
	check(ver > 0 && (ver >> 16) >= 4, "XENVER_version -> 0x%lx = Xen %ld.%ld (want major >= 4)",
	      ver, ver >> 16, ver & 0xffff);

	static xen_extraversion_t extra;
	check_string_op("XENVER_extraversion", XENVER_extraversion, extra, sizeof(extra));

	static xen_compile_info_t ci;
	memset(&ci, 0xff, sizeof(ci));
	check_rc("XENVER_compile_info", HYPERVISOR_xen_version(XENVER_compile_info, &ci), 0);
	check(nul_terminated(ci.compiler, sizeof(ci.compiler)) &&
	      nul_terminated(ci.compile_by, sizeof(ci.compile_by)) &&
	      nul_terminated(ci.compile_domain, sizeof(ci.compile_domain)) &&
	      nul_terminated(ci.compile_date, sizeof(ci.compile_date)),
	      "XENVER_compile_info fields NUL-terminated");
	check_zero_tail("compile_info.compiler", ci.compiler, sizeof(ci.compiler));
	check_zero_tail("compile_info.compile_by", ci.compile_by, sizeof(ci.compile_by));
	check_zero_tail("compile_info.compile_domain", ci.compile_domain, sizeof(ci.compile_domain));
	check_zero_tail("compile_info.compile_date", ci.compile_date, sizeof(ci.compile_date));

	static xen_capabilities_info_t caps;
	check_string_op("XENVER_capabilities", XENVER_capabilities, caps, sizeof(caps));
	check(nul_terminated(caps, sizeof(caps)) && has_token(caps, MY_CAPABILITY),
	      "XENVER_capabilities lists " MY_CAPABILITY);

	static xen_changeset_info_t chg;
	check_string_op("XENVER_changeset", XENVER_changeset, chg, sizeof(chg));

	/* Release Xen reports HYPERVISOR_VIRT_START (debug Xen: 0 for pv64). */
	xen_platform_parameters_t pp = { .virt_start = 0x5a5a5a5a };
	check_rc("XENVER_platform_parameters",
		 HYPERVISOR_xen_version(XENVER_platform_parameters, &pp), 0);
	check_eq("platform_parameters.virt_start", pp.virt_start, HYPERVISOR_VIRT_START);

	xen_feature_info_t fi = { .submap_idx = 0, .submap = 0x5a5a5a5a };
	check_rc("XENVER_get_features(submap 0)",
		 HYPERVISOR_xen_version(XENVER_get_features, &fi), 0);
	check_eq("get_features submap_idx unchanged", fi.submap_idx, 0);
	printf("  .... XENFEAT submap 0 = 0x%x\n", fi.submap);
	check(!(fi.submap & (1u << XENFEAT_auto_translated_physmap)) &&
	      !(fi.submap & (1u << XENFEAT_writable_page_tables)),
	      "PV: no auto_translated_physmap, no writable_page_tables (submap 0x%x)", fi.submap);
	fi.submap_idx = XENFEAT_NR_SUBMAPS;
	check_rc("XENVER_get_features(submap XENFEAT_NR_SUBMAPS)",
		 HYPERVISOR_xen_version(XENVER_get_features, &fi), -XEN_EINVAL);
	fi.submap_idx = 0xffffffffu;
	check_rc("XENVER_get_features(submap 0xffffffff)",
		 HYPERVISOR_xen_version(XENVER_get_features, &fi), -XEN_EINVAL);

	check_rc("XENVER_pagesize(NULL)", HYPERVISOR_xen_version(XENVER_pagesize, NULL),
		 GUEST_PAGE_SIZE);

	xen_domain_handle_t handle;
	memset(handle, 0xff, sizeof(handle));
	check_rc("XENVER_guest_handle", HYPERVISOR_xen_version(XENVER_guest_handle, handle), 0);
	printf("  .... guest handle %02x%02x%02x%02x-...-%02x%02x\n",
	       handle[0], handle[1], handle[2], handle[3], handle[14], handle[15]);

	/* A domU may get "<denied>" here from real Xen; still rc 0 and a string. */
	static xen_commandline_t cmdline;
	check_string_op("XENVER_commandline", XENVER_commandline, cmdline, sizeof(cmdline));
	/*
	 * Denied (XSM's default for a domU), Xen copies only
	 * strlen("<denied>") + 1 bytes and the rest is untouched; otherwise the
	 * whole saved_cmdline array, zero-padded.
	 */
	if (!strcmp(cmdline, "<denied>"))
		check(tail_is(cmdline, sizeof(cmdline), 0xff),
		      "XENVER_commandline \"<denied>\": the rest of the buffer untouched");
	else
		check_zero_tail("XENVER_commandline", cmdline, sizeof(cmdline));

	check_rc("XENVER_<unknown 1000>", HYPERVISOR_xen_version(XENVER_UNKNOWN, NULL),
		 -XEN_ENOSYS);
}

static void test_cpuid(long version)
{
	uint32_t r[4];

	xen_cpuid(XEN_CPUID_LEAF(0), r);
	printf("  .... cpuid 0x%x: eax 0x%x \"%.4s%.4s%.4s\"\n", XEN_CPUID_LEAF(0), r[0],
	       (char *)&r[1], (char *)&r[2], (char *)&r[3]);
	check(r[1] == XEN_CPUID_SIGNATURE_EBX && r[2] == XEN_CPUID_SIGNATURE_ECX &&
	      r[3] == XEN_CPUID_SIGNATURE_EDX, "forced cpuid 0x40000000 signature is XenVMMXenVMM");
	check(r[0] >= XEN_CPUID_LEAF(2), "forced cpuid 0x40000000 max leaf 0x%x >= 0x%x",
	      r[0], XEN_CPUID_LEAF(2));

	xen_cpuid(XEN_CPUID_LEAF(1), r);
	check_eq("forced cpuid 0x40000001 eax (version)", r[0], (unsigned long)version);

	xen_cpuid(XEN_CPUID_LEAF(2), r);
	check_eq("forced cpuid 0x40000002 eax (hypercall pages)", r[0], 1);
	printf("  .... hypercall MSR base 0x%x, features 0x%x 0x%x\n", r[1], r[2], r[3]);

#ifndef __x86_64__
	/*
	 * A 32-bit PV guest is offered no long mode and no fast system call the
	 * hypervisor does not deliver (its system calls are int $0x80).
	 */
	xen_cpuid(1, r);
	check(!(r[3] & (1u << 11)), "forced cpuid 1: no SEP (sysenter) for a 32-bit PV guest (edx 0x%x)", r[3]);
	xen_cpuid(0x80000001u, r);
	check(!(r[3] & (1u << 11 | 1u << 29)),
	      "forced cpuid 0x80000001: no SYSCALL, no LM for a 32-bit PV guest (edx 0x%x)", r[3]);
#endif
}

static void test_vm_assist(void)
{
	check_rc("vm_assist(enable, writable_pagetables)",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
	check_rc("vm_assist(disable, writable_pagetables)",
		 HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);
	check_rc("vm_assist(enable, runstate_update_flag)",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag), 0);
#ifdef __x86_64__
	/* m2p_strict is type 32: valid only for 64-bit PV guests. */
	check_rc("vm_assist(enable, m2p_strict)",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_m2p_strict), 0);
	check_rc("vm_assist(disable, m2p_strict)",
		 HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_m2p_strict), 0);
#else
	check_rc("vm_assist(enable, m2p_strict)",
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_m2p_strict), -XEN_EINVAL);
#endif
	check_rc("vm_assist(enable, type 31)", HYPERVISOR_vm_assist(VMASST_CMD_enable, 31),
		 -XEN_EINVAL);
	check_rc("vm_assist(cmd 2, writable_pagetables)",
		 HYPERVISOR_vm_assist(2, VMASST_TYPE_writable_pagetables), -XEN_ENOSYS);
}

void guest_main(void)
{
	long version;

	printf("version test (" GUEST_MODE ")\n");
	check_rc("set_trap_table (catch-all handlers)", traps_install(), 0);

	test_xen_version(&version);
	test_cpuid(version);
	test_vm_assist();

	check_rc("sched_op(SCHEDOP_yield)", HYPERVISOR_sched_op(SCHEDOP_yield, NULL), 0);
	check_rc("sched_op_compat(SCHEDOP_yield)",
		 HYPERVISOR_sched_op_compat(SCHEDOP_yield, 0), 0);
	check_rc("xenpmu_op(XENPMU_feature_get) (vPMU off, Xen's default)",
		 hypercall2(__HYPERVISOR_xenpmu_op, XENPMU_feature_get, 0), -XEN_EOPNOTSUPP);
	check_rc("hypercall 60 (unused)", hypercall0(60), -XEN_ENOSYS);
	check_rc("hypercall 127 (last page entry)", hypercall0(127), -XEN_ENOSYS);
}
