/* mm.c — stub memory: heap, machine-frame mappings, checked guest accessors. */
#include "stub.h"

#if STUB_BITS == 64
#define STUB_VIRT_BASE STUB64_VIRT_BASE
#else
#define STUB_VIRT_BASE STUB32_VIRT_BASE
#endif

static uint64_t heap_next;      /* offset in the stub region */

void *stub_ptr(uint64_t off)
{
	if (off >= dom.bi.stub_size)
		panic("stub offset %llx outside the stub region", (unsigned long long)off);
	return (void *)(uintptr_t)(STUB_VIRT_BASE + off);
}

void *heap_alloc_pages(size_t nr, size_t align)
{
	if (!heap_next)
		heap_next = dom.bi.heap_off;
	uint64_t start = ALIGN_UP(heap_next, (uint64_t)align);
	uint64_t end = start + (uint64_t)nr * PAGE_SIZE;
	if (end > dom.bi.heap_off + dom.bi.heap_size)
		panic("stub heap exhausted (%zu pages wanted)", nr);
	heap_next = end;
	void *p = stub_ptr(start);
	memset(p, 0, nr * PAGE_SIZE);
	return p;
}

bool mfn_is_guest_ram(uint64_t mfn)
{
	for (unsigned i = 0; i < dom.bi.nr_ram_ranges; i++)
		if (mfn >= dom.bi.ram[i].mfn && mfn - dom.bi.ram[i].mfn < dom.bi.ram[i].count)
			return true;
	return false;
}

#if STUB_BITS == 64
void *map_mfn(uint64_t mfn)
{
	if (mfn >= dom.bi.max_mfn)
		panic("map_mfn: mfn %llx beyond machine memory", (unsigned long long)mfn);
	return (void *)(uintptr_t)(STUB64_PHYSMAP + (mfn << PAGE_SHIFT));
}

void unmap_mfn(void *p)
{
	(void)p;
}

void *map_mfn_global(uint64_t mfn)
{
	return map_mfn(mfn);
}
#else
/*
 * The 32-bit hole cannot map all of machine memory, so frames are reached
 * through the mapcache: one stub L1 page (host-built, STUB32_MAPCACHE).
 * Slots [0, GLOBAL) are handed out for good; the rest are a ring of
 * transient slots, each used for one short access and then unmapped.
 */
#define MAPCACHE_GLOBAL 256
static unsigned mapcache_global_next, mapcache_transient_next;

uint64_t *mapcache_l1(void);    /* arch32.c */

static void *mapcache_set(unsigned slot, uint64_t mfn)
{
	if (mfn >= dom.bi.max_mfn)
		panic("map_mfn: mfn %llx beyond machine memory", (unsigned long long)mfn);
	ulong va = STUB32_MAPCACHE + slot * PAGE_SIZE;
	mapcache_l1()[slot] = (mfn << PAGE_SHIFT) | 0x63;  /* P, RW, A, D; supervisor */
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return (void *)va;
}

void *map_mfn(uint64_t mfn)
{
	unsigned slot = MAPCACHE_GLOBAL + mapcache_transient_next;
	mapcache_transient_next = (mapcache_transient_next + 1) %
				  (STUB32_MAPCACHE_SLOTS - MAPCACHE_GLOBAL);
	return mapcache_set(slot, mfn);
}

void unmap_mfn(void *p)
{
	unsigned slot = (unsigned)(((ulong)p - STUB32_MAPCACHE) >> PAGE_SHIFT);
	mapcache_l1()[slot] = 0;
	__asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}

void *map_mfn_global(uint64_t mfn)
{
	if (mapcache_global_next >= MAPCACHE_GLOBAL)
		panic("mapcache: out of permanent slots");
	return mapcache_set(mapcache_global_next++, mfn);
}
#endif

/*
 * Guest virtual memory is reached through the guest's own page tables
 * (CR4.SMAP is off, the stub runs in ring 0). The range check keeps guest
 * pointers out of the hypervisor hole; a fault on the access itself is
 * caught by the fixup in stub_copy_user and becomes -EFAULT, exactly as a
 * bad guest handle does on Xen. Writes honour the guest's read-only
 * mappings because CR0.WP is set.
 */
int copy_from_guest(void *dst, ulong gva, size_t len)
{
	if (!arch_guest_va_ok(gva, len))
		return -XEN_EFAULT;
	return stub_copy_user(dst, (const void *)gva, len) ? -XEN_EFAULT : 0;
}

int copy_to_guest(ulong gva, const void *src, size_t len)
{
	if (!arch_guest_va_ok(gva, len))
		return -XEN_EFAULT;
	return stub_copy_user((void *)gva, src, len) ? -XEN_EFAULT : 0;
}

/* Machine frame of an address in the stub region (physically contiguous from stub_maddr). */
uint64_t stub_virt_to_mfn(const void *p)
{
	return (dom.bi.stub_maddr + ((uintptr_t)p - STUB_VIRT_BASE)) >> PAGE_SHIFT;
}
