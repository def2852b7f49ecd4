/* physdev.c — physdev_op and physdev_op_compat, as Xen answers an unprivileged domU without devices. */
#include "hypercall.h"
#include "guestcheck.h"
#include "grant.h"
#include "mmu.h"
#include <xen/physdev.h>

/*
 * What Xen gives a PV domU: nr_pirqs = nr_irqs_gsi + extra_domU_irqs
 * (32 by default); nr_irqs_gsi is the host's GSI count, 24 on the usual
 * single-IO-APIC machine. No physical device is ever the guest's: the
 * privileged sub-ops fail Xen's XSM check (-EPERM), PCI lookups -ENODEV.
 */
#define NR_IRQS_GSI 24
#define NR_PIRQS    (NR_IRQS_GSI + 32)
#define IOBMP_BYTES 8192

static struct {
	uint64_t pirq_allocated;        /* PHYSDEVOP_get_free_pirq, bit = pirq */
	uint64_t eoi_map_mfn;           /* PHYSDEVOP_pirq_eoi_gmfn_*: 0 = none */
	bool eoi_auto_unmask;           /* registered with _v1 */
	volatile int lock;
} pd;
_Static_assert(NR_PIRQS <= 64, "pirq_allocated is one word");

static void pd_lock(void)
{
	spin_lock(&pd.lock);
}

static void pd_unlock(void)
{
	spin_unlock(&pd.lock);
}

/* Xen's get_free_pirq: GSI pirqs from 16 up, others from the top down. */
static long alloc_pirq(int type)
{
	long pirq = -XEN_ENOSPC;
	pd_lock();
	if (type == MAP_PIRQ_TYPE_GSI)
		for (unsigned i = 16; i < NR_IRQS_GSI && pirq < 0; i++)
			if (!(pd.pirq_allocated & (1ull << i)))
				pirq = i;
	for (unsigned i = NR_PIRQS - 1; i >= NR_IRQS_GSI && pirq < 0; i--)
		if (!(pd.pirq_allocated & (1ull << i)))
			pirq = i;
	if (pirq >= 0)
		pd.pirq_allocated |= 1ull << pirq;
	pd_unlock();
	return pirq;
}

/* The page where the hypervisor would flag pirqs needing an EOI: a writable guest page. */
static long set_eoi_map(uint64_t gmfn, bool v1)
{
	mmu_lock();
	int rc = get_page_and_type(gmfn, PGT_writable);
	mmu_unlock();
	if (rc)
		return -XEN_EINVAL;
	pd_lock();
	bool busy = pd.eoi_map_mfn != 0;
	if (!busy) {
		pd.eoi_map_mfn = gmfn;
		pd.eoi_auto_unmask = v1;
	}
	pd_unlock();
	if (busy) {
		mmu_lock();
		put_page_and_type(gmfn);
		mmu_unlock();
		return -XEN_EBUSY;
	}
	return 0;
}

/* Copy in the sub-op's argument: `if (copy_from_guest(...)) return -EFAULT;` */
#define COPY_IN(x) do { if (copy_from_guest(&(x), arg, sizeof(x))) return -XEN_EFAULT; } while (0)

static long physdev_op(struct vcpu *v, int cmd, ulong arg)
{
	switch (cmd) {
	case PHYSDEVOP_set_iopl: {
		struct physdev_set_iopl op;
		COPY_IN(op);
		if (op.iopl > 3)
			return -XEN_EINVAL;
		v->cb.iopl = op.iopl;
		return 0;
	}
	case PHYSDEVOP_set_iobitmap: {
		struct physdev_set_iobitmap op;
		COPY_IN(op);
		ulong bitmap = (ulong)op.bitmap.p;
		if (!gc_guest_array_ok(bitmap, IOBMP_BYTES, 1, STUB_BITS) || op.nr_ports > 65536)
			return -XEN_EINVAL;
		v->cb.iobmp = bitmap;
		v->cb.iobmp_nr = op.nr_ports;
		return 0;
	}
	case PHYSDEVOP_irq_status_query: {
		struct physdev_irq_status_query op;
		COPY_IN(op);
		if (op.irq >= NR_PIRQS)
			return -XEN_EINVAL;
		op.flags = XENIRQSTAT_needs_eoi;        /* never shared: no pirq is bound */
		return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
	}
	case PHYSDEVOP_eoi: {
		struct physdev_eoi op;
		COPY_IN(op);
		if (op.irq >= NR_PIRQS || !(pd.pirq_allocated & (1ull << op.irq)))
			return -XEN_EINVAL;
		return 0;
	}
	case PHYSDEVOP_IRQ_UNMASK_NOTIFY:
		return 0;
	case PHYSDEVOP_pirq_eoi_gmfn_v1:
	case PHYSDEVOP_pirq_eoi_gmfn_v2: {
		struct physdev_pirq_eoi_gmfn op;
		COPY_IN(op);
		return set_eoi_map(op.gmfn, cmd == PHYSDEVOP_pirq_eoi_gmfn_v1);
	}
	case PHYSDEVOP_get_free_pirq: {
		struct physdev_get_free_pirq op;
		COPY_IN(op);
		long pirq = alloc_pirq(op.type);
		if (pirq < 0)
			return pirq;
		op.pirq = (uint32_t)pirq;
		return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
	}
	case PHYSDEVOP_map_pirq: {
		struct physdev_map_pirq op;
		COPY_IN(op);
		if (op.type == MAP_PIRQ_TYPE_MSI_SEG)
			op.type = MAP_PIRQ_TYPE_MSI;
		else if (op.type == MAP_PIRQ_TYPE_MULTI_MSI && op.table_base)
			return -XEN_EINVAL;
		long rc = domain_lookup(op.domid) == DOMAIN_NONE ? -XEN_ESRCH : -XEN_EPERM;
		return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : rc;
	}
	case PHYSDEVOP_unmap_pirq: {
		struct physdev_unmap_pirq op;
		COPY_IN(op);
		return domain_lookup(op.domid) == DOMAIN_NONE ? -XEN_ESRCH : -XEN_EPERM;
	}
	case PHYSDEVOP_apic_read:
	case PHYSDEVOP_apic_write: {
		struct physdev_apic op;
		COPY_IN(op);
		return -XEN_EPERM;
	}
	case PHYSDEVOP_alloc_irq_vector: {
		struct physdev_irq op;
		COPY_IN(op);
		return -XEN_EPERM;
	}
	case PHYSDEVOP_manage_pci_add:
	case PHYSDEVOP_manage_pci_remove: {
		struct physdev_manage_pci op;
		COPY_IN(op);
		return -XEN_EPERM;
	}
	case PHYSDEVOP_manage_pci_add_ext: {
		struct physdev_manage_pci_ext op;
		COPY_IN(op);
		return op.is_extfn > 1 || op.is_virtfn > 1 ? -XEN_EINVAL : -XEN_EPERM;
	}
	case PHYSDEVOP_pci_device_add: {
		struct physdev_pci_device_add op;
		COPY_IN(op);
		uint32_t pxm;
		if ((op.flags & XEN_PCI_DEV_PXM) &&
		    copy_from_guest(&pxm, arg + offsetof(struct physdev_pci_device_add, optarr),
				    sizeof(pxm)))
			return -XEN_EFAULT;
		return -XEN_EPERM;
	}
	case PHYSDEVOP_pci_device_remove:
	case PHYSDEVOP_prepare_msix:
	case PHYSDEVOP_release_msix: {
		struct physdev_pci_device op;
		COPY_IN(op);
		return -XEN_EPERM;
	}
	case PHYSDEVOP_restore_msi: {
		struct physdev_restore_msi op;
		COPY_IN(op);
		return -XEN_ENODEV;
	}
	case PHYSDEVOP_restore_msi_ext: {
		struct physdev_pci_device op;
		COPY_IN(op);
		return -XEN_ENODEV;
	}
	case PHYSDEVOP_setup_gsi: {
		struct physdev_setup_gsi op;
		COPY_IN(op);
		return op.gsi < 0 || op.gsi >= NR_IRQS_GSI ? -XEN_EINVAL : -XEN_EPERM;
	}
	case PHYSDEVOP_pci_mmcfg_reserved:
	case PHYSDEVOP_dbgp_op:
		return -XEN_EPERM;                      /* refused before reading the argument */
	default:
		return -XEN_ENOSYS;
	}
}

long do_physdev_op(HC_ARGS)
{
	return physdev_op(current(), (int)a1, a2);
}

/* The pre-3.2 form: struct physdev_op { cmd; union u } in guest memory. */
long do_physdev_op_compat(HC_ARGS)
{
	struct physdev_op op;
	if (copy_from_guest(&op, a1, sizeof(op)))
		return -XEN_EFAULT;
	return physdev_op(current(), (int)op.cmd, a1 + offsetof(struct physdev_op, u));
}
