/* domain.c — build a PV domain (pvboot + the stub) in a fresh KVM VM and run it. */
#include "vm.h"
#include "xenner/integrity.h"
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <pvboot/pvboot.h>
#include <xenner/bootfdt.h>
#include <xenner/features.h>
#include <xenner/hostabi.h>
#include <xenner/util.h>

#define MAX_KERNEL_SIZE  (512 * MiB)
#define MAX_RAMDISK_SIZE (2 * GiB)
#define XENNER_DOMID     1

/* Embedded stub images (stubs.S). */
extern const uint8_t stub64_image[], stub64_image_end[];
extern const uint8_t stub32_image[], stub32_image_end[];

void *vm_mfn_to_host(void *opaque, uint64_t mfn)
{
	struct vm *vm = opaque;
	const struct mem_plan *p = &vm->plan;
	if (mfn < p->low_ram_pages)
		return vm->ram + (mfn << PAGE_SHIFT);
	uint64_t high = MEMPLAN_HIGH_RAM_BASE >> PAGE_SHIFT;
	if (mfn >= high && mfn - high < p->high_ram_pages)
		return vm->ram + ((p->low_ram_pages + (mfn - high)) << PAGE_SHIFT);
	return NULL;
}

static const struct stub_header *stub_image(unsigned bits, size_t *size)
{
	const uint8_t *start = bits == 64 ? stub64_image : stub32_image;
	const uint8_t *end = bits == 64 ? stub64_image_end : stub32_image_end;
	const struct stub_header *h = (const void *)start;
	*size = (size_t)(end - start);
	if (*size < sizeof(*h) || h->magic != STUB_MAGIC || h->abi_version != STUB_ABI_VERSION ||
	    h->bits != bits || h->image_size > h->mem_size || h->entry_offset >= *size ||
	    h->ap_entry_offset >= *size || h->ro_size > h->image_size)
		die("internal error: the embedded %u-bit stub image is damaged", bits);
	return h;
}

/*
 * --check-integrity: with the vCPUs stopped, the host's own check that the
 * stub is intact and that the guest's page and descriptor tables give it
 * only its own frames (integrity.c). True if it found a violation.
 */
static bool check_integrity(struct vm *vm, const struct stub_header *sh)
{
	if (!vm_stop_vcpus(vm)) {
		pr_err("integrity: a vCPU did not stop; not checked");
		return true;
	}
	struct integrity_in in = {
		.plan = &vm->plan, .stub = vm->stub, .image = (const uint8_t *)sh, .ro_size = sh->ro_size,
		.mfn_to_host = vm_mfn_to_host, .opaque = vm, .nr_vcpus = vm->nr_vcpus,
	};
	struct integrity_report r;
	char err[512];
	if (integrity_check(&in, &r, err, sizeof(err))) {
		pr_err("integrity: VIOLATION: %s", err);
		return true;
	}
	fprintf(stderr, "xenner: integrity: ok: stub code and read-only data (%llu bytes) and its page tables "
		"(%llu bytes) unchanged; M2P entries of %llu non-RAM frames invalid; guest tables "
		"L1 %u, L2 %u, L3 %u, L4 %u (%llu entries) and %u descriptor frames map only what is the guest's; "
		"%llu live descriptors keep out of the stub\n",
		(unsigned long long)r.ro_bytes, (unsigned long long)r.pt_bytes,
		(unsigned long long)r.m2p_entries, r.tables[1], r.tables[2], r.tables[3], r.tables[4],
		(unsigned long long)r.entries, r.desc_pages, (unsigned long long)r.live_descriptors);
	return false;
}

/* pfn -> mfn: machine order, or a seeded shuffle to catch MFN == PFN assumptions. */
static uint64_t *make_p2m(const struct mem_plan *p, const struct xenner_config *cfg)
{
	uint64_t *p2m = xzalloc(p->nr_pages * sizeof(*p2m));
	for (uint64_t i = 0; i < p->nr_pages; i++)
		p2m[i] = mem_plan_ram_mfn(p, i);
	if (cfg->shuffle_frames) {
		uint64_t s = cfg->shuffle_seed * 0x9e3779b97f4a7c15ull + 1;
		for (uint64_t i = p->nr_pages - 1; i > 0; i--) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			uint64_t j = s % (i + 1);
			uint64_t t = p2m[i];
			p2m[i] = p2m[j];
			p2m[j] = t;
		}
	}
	return p2m;
}

/* A random version-4 UUID for /vm/<uuid>, as libxl makes one per domain. */
static void make_uuid(uint8_t u[16])
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, u, 16) != 16)
		die("/dev/urandom: %s", strerror(errno));
	close(fd);
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}

static void alloc_memory(struct vm *vm)
{
	const struct mem_plan *p = &vm->plan;
	vm->ram_bytes = p->nr_pages << PAGE_SHIFT;
	uint64_t total = vm->ram_bytes + p->stub_size;
	vm->mem_fd = memfd_create("xenner-guest", MFD_CLOEXEC);
	if (vm->mem_fd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(vm->mem_fd, (off_t)total) < 0)
		die("cannot size guest memory (%llu MiB): %s",
		    (unsigned long long)(total >> 20), strerror(errno));
	uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, vm->mem_fd, 0);
	if (base == MAP_FAILED)
		die("cannot map guest memory (%llu MiB): %s",
		    (unsigned long long)(total >> 20), strerror(errno));
	vm->ram = base;
	vm->stub = base + vm->ram_bytes;
}

/*
 * The stub's time origin (BOOT_PROP_TIME_ORIGIN): vCPU 0's TSC, read
 * between two CLOCK_REALTIME samples, paired with their midpoint. All
 * vCPUs share the VM's TSC, which runs from vCPU creation on.
 */
static void time_origin(struct vm *vm, uint64_t *tsc, uint64_t *realtime_ns)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e.index = 0x10 /* IA32_TSC */,
	};
	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	if (ioctl(vm->vcpus[0].fd, KVM_GET_MSRS, &m) != 1)
		die("KVM_GET_MSRS (TSC): %s", strerror(errno));
	clock_gettime(CLOCK_REALTIME, &t1);
	uint64_t ns0 = (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec;
	uint64_t ns1 = (uint64_t)t1.tv_sec * 1000000000u + (uint64_t)t1.tv_nsec;
	*tsc = m.e.data;
	*realtime_ns = ns0 + (ns1 - ns0) / 2;
}

/*
 * What the devices need from the host, checked before anything starts, so
 * that a wrong path is one clear line and not a guest without its disk.
 */
static void check_device_paths(const struct xenner_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_spec *d = &cfg->disks[i];
		int fd = open(d->target, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0)
			die("disk %s: cannot open %s%s: %s", d->vdev, d->target,
			    d->readonly ? "" : " for writing", strerror(errno));
		close(fd);
	}
	struct stat st;
	if (cfg->xenstore_socket && lstat(cfg->xenstore_socket, &st) == 0 && !S_ISSOCK(st.st_mode))
		die("--xenstore-socket: %s exists and is not a socket", cfg->xenstore_socket);
}

int domain_run(const struct xenner_config *cfg)
{
	char err[256];
	check_device_paths(cfg);
	size_t kfile_size, ksize;
	uint8_t *kfile = read_file(cfg->kernel, &kfile_size, MAX_KERNEL_SIZE, err, sizeof(err));
	if (!kfile)
		die("%s: %s", cfg->kernel, err);
	/* bzImage or compressed ELF -> the ELF itself (kimage may be kfile). */
	uint8_t *kimage;
	if (pv_kernel_unpack(kfile, kfile_size, MAX_KERNEL_SIZE, &kimage, &ksize, err, sizeof(err)))
		die("%s: %s", cfg->kernel, err);
	if (kimage != kfile)
		free(kfile);

	struct pv_kernel k;
	if (pv_kernel_parse(kimage, ksize, &k, err, sizeof(err)))
		die("%s: %s", cfg->kernel, err);
	unsigned bits = k.is_64bit ? 64 : 32;
	if (!k.is_64bit && k.pae == PV_PAE_NONE)
		die("%s: 32-bit non-PAE kernels are not supported (Xen PV needs a PAE kernel)",
		    cfg->kernel);
	uint32_t offered[XENFEAT_NR_SUBMAPS] = { XENNER_FEATURES_REQUIRABLE0 };
	if (pv_kernel_check_features(&k, offered, err, sizeof(err)))
		die("%s: %s", cfg->kernel, err);

	uint8_t *ramdisk = NULL;
	size_t rsize = 0;
	if (cfg->ramdisk) {
		ramdisk = read_file(cfg->ramdisk, &rsize, MAX_RAMDISK_SIZE, err, sizeof(err));
		if (!ramdisk)
			die("%s: %s", cfg->ramdisk, err);
	}

	struct vm *vm = xzalloc(sizeof(*vm));
	vm->cfg = cfg;
	uint64_t nr_pages = cfg->memory_mib << (20 - PAGE_SHIFT);
	struct pv_layout layout;
	if (pv_layout_compute(&k, rsize, nr_pages, &layout, err, sizeof(err)))
		die("%s: %s", cfg->kernel, err);

	size_t stub_file_size;
	const struct stub_header *sh = stub_image(bits, &stub_file_size);
	if (mem_plan_compute(&vm->plan, bits, nr_pages, cfg->vcpus, sh->mem_size, err,
			     sizeof(err)))
		die("--memory %llu: %s", (unsigned long long)cfg->memory_mib, err);

	vm->host_kind = cfg->host_kind ? cfg->host_kind : host_kind_detect();
	vm->plan.m2p_virt = host_kind_m2p_virt(vm->host_kind, bits, vm->plan.m2p_virt);
	vm->host_flags = host_kind_flags(vm->host_kind, bits);
	if (vm->host_flags & HOST_F_PV32_LONG_MODE)
		mem_plan_set_pv32_long_mode(&vm->plan);
	if (cfg->dry_run) {
		printf("xenner: dry run: %s: %u-bit PV kernel, entry %#llx, %llu MiB, %u vCPU(s), "
		       "%u disk(s), %u nic(s), host KVM %s, M2P at %#llx%s; not booted\n",
		       cfg->kernel, bits, (unsigned long long)k.entry,
		       (unsigned long long)cfg->memory_mib, cfg->vcpus, cfg->nr_disks, cfg->nr_nics,
		       vm->host_kind, (unsigned long long)vm->plan.m2p_virt,
		       vm->plan.pv32_long_mode ? ", in long mode's compatibility mode" : "");
		return 0;
	}
	/* Memory: guest RAM frames first, then the stub region, in one memfd. */
	alloc_memory(vm);
	uint64_t *p2m = make_p2m(&vm->plan, cfg);
	struct pv_guest_mem mem = {
		.nr_pages = nr_pages, .p2m = p2m, .mfn_to_host = vm_mfn_to_host, .opaque = vm,
	};
	struct pv_build_args args = {
		.kernel = &k, .kernel_image = kimage, .kernel_image_size = ksize, .ramdisk = ramdisk, .ramdisk_len = rsize,
		.cmdline = cfg->extra,
		.shared_info_maddr = vm->plan.stub_gpa + vm->plan.shared_info_off,
		.store_evtchn = HOST_STORE_PORT, .console_evtchn = HOST_CONSOLE_PORT,
	};
	if (pv_build(&args, &mem, &layout, err, sizeof(err)))
		die("%s: %s", cfg->kernel, err);

	/* The stub region: image, page tables, M2P. */
	size_t copy = sh->image_size < stub_file_size ? sh->image_size : stub_file_size;
	memcpy(vm->stub, sh, copy);
	mem_plan_build_stub_tables(&vm->plan, vm->stub);
	mem_plan_fill_m2p(&vm->plan, vm->stub, p2m);
	mem_plan_fill_frame_info(&vm->plan, vm->stub);

	kvm_open_vm(vm);
	const struct mem_plan *p = &vm->plan;
	kvm_add_memory(vm, 0, 0, p->low_ram_pages << PAGE_SHIFT, vm->ram);
	if (p->high_ram_pages)
		kvm_add_memory(vm, 1, MEMPLAN_HIGH_RAM_BASE, p->high_ram_pages << PAGE_SHIFT,
			       vm->ram + (p->low_ram_pages << PAGE_SHIFT));
	kvm_add_memory(vm, 2, p->stub_gpa, p->stub_size, vm->stub);

	events_setup(vm);
	uint64_t store_mfn = p2m[pv_layout_pfn(&layout, layout.xenstore)];
	uint64_t console_mfn = p2m[pv_layout_pfn(&layout, layout.console)];
	struct devices_info dev = {
		.domid = XENNER_DOMID, .vcpus = cfg->vcpus, .guest_bits = bits, .name = "xenner-guest",
		.kernel = cfg->kernel, .ramdisk = cfg->ramdisk, .cmdline = cfg->extra,
		.memory_kib = cfg->memory_mib * 1024, .store_mfn = store_mfn,
		.console_mfn = console_mfn,
		.console_page = vm_mfn_to_host(vm, console_mfn),
		.store_page = vm_mfn_to_host(vm, store_mfn),
	};
	make_uuid(dev.uuid);
	devices_setup(vm, &dev);
	events_start(vm);

	vm->nr_vcpus = cfg->vcpus;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->done_cond, NULL);
	pthread_cond_init(&vm->start_cond, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		kvm_create_vcpu(vm, &vm->vcpus[i]);
	}

	uint64_t pt_root_pfn = pv_layout_pfn(&layout, layout.pt_root);
	uint64_t origin_tsc, origin_ns;
	time_origin(vm, &origin_tsc, &origin_ns);
	struct boot_params bp = {
		.plan = p, .domid = XENNER_DOMID, .nr_vcpus = vm->nr_vcpus,
		.tsc_khz = vm->tsc_khz, .trace = cfg->trace, .host_kind = vm->host_kind,
		.host_flags = vm->host_flags,
		.xen_extraversion = XENNER_XEN_EXTRAVERSION, .xen_cmdline = "",
		.time_origin_tsc = origin_tsc, .time_origin_realtime_ns = origin_ns,
		.entry = k.entry, .start_info = layout.start_info, .stack = layout.stack_end,
		.pt_root_mfn = p2m[pt_root_pfn],
		.pt_first_pfn = pv_layout_pfn(&layout, layout.pt_start),
		.pt_count = layout.nr_pt_frames, .hypercall_page = k.hypercall_page,
	};
	if (boot_fdt_write(vm->stub + p->fdt_off, MEMPLAN_FDT_SIZE, &bp, err, sizeof(err)))
		die("%s", err);
	free(p2m);
	free(kimage);
	free(ramdisk);

	kvm_setup_boot_cpu(vm, &vm->vcpus[0], p->stub_virt + sh->entry_offset,
			   p->stub_virt + p->fdt_off);
	vm->ap_entry = p->stub_virt + sh->ap_entry_offset;
	/* Secondary vCPU threads wait until the guest brings them up (VCPUOP_up). */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_start(&vm->vcpus[i]);
	profile_start(vm);
	int status = vm_wait(vm);
	profile_finish();
	events_stop(vm);
	devices_shutdown(vm);
	if (cfg->stats)
		stats_print(vm, stderr);
	if (cfg->check_integrity && check_integrity(vm, sh))
		status = EXIT_INTEGRITY;
	return status;
}
