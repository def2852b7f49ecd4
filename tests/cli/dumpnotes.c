/* dumpnotes.c — print what pvboot makes of a kernel file: container, raw Xen notes, the parsed pv_kernel (tests only). */
#include "pvboot/pvboot.h"
#include "pvboot/decompress.h"
#include <asm/bootparam.h>
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Usage: dumpnotes KERNEL [ELF_OUT]. Exit 0 if pv_kernel_unpack() and
 * pv_kernel_parse() accept it, 1 with the reason otherwise. The output is
 * "key: value" lines, stable enough for tests to grep. ELF_OUT receives
 * the unpacked ELF.
 */

static const char *const note_names[] = {
	"INFO", "ENTRY", "HYPERCALL_PAGE", "VIRT_BASE", "PADDR_OFFSET", "XEN_VERSION",
	"GUEST_OS", "GUEST_VERSION", "LOADER", "PAE_MODE", "FEATURES", "BSD_SYMTAB",
	"HV_START_LOW", "L1_MFN_VALID", "SUSPEND_CANCEL", "INIT_P2M", "MOD_START_PFN",
	"SUPPORTED_FEATURES", "PHYS32_ENTRY",
};

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*size = n;
	return buf;
}

static int write_all(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc = f && fwrite(p, 1, n, f) == n ? 0 : -1;

	if (f && fclose(f))
		rc = -1;
	return rc;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* What the file is, as pv_kernel_unpack() will see it. */
static void print_container(const uint8_t *f, size_t n)
{
	const struct setup_header *h = (const void *)(f + offsetof(struct boot_params, hdr));

	if (n >= SELFMAG && !memcmp(f, ELFMAG, SELFMAG)) {
		printf("container: ELF\n");
	} else if (n >= offsetof(struct boot_params, hdr) + sizeof(*h) && h->header == 0x53726448) {
		uint64_t off = ((uint64_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512 +
			       h->payload_offset;
		printf("container: bzImage, boot protocol %u.%02u, payload %" PRIu32
		       " bytes at %#" PRIx64 "\n", h->version >> 8, h->version & 0xff,
		       h->payload_length, off);
		if (off < n)
			printf("payload: %s\n", pv_comp_name(pv_comp_detect(f + off, n - off)));
	} else {
		printf("container: %s-compressed file\n", pv_comp_name(pv_comp_detect(f, n)));
	}
}

/*
 * One note: printable bytes (NUL-terminated or not: Linux writes FEATURES
 * with .ascii) as text, up to 8 other bytes as a little-endian number.
 */
static void print_note(uint32_t type, const uint8_t *desc, uint32_t descsz)
{
	const char *name = type < sizeof(note_names) / sizeof(note_names[0]) ? note_names[type] : NULL;
	uint32_t len = descsz && desc[descsz - 1] == 0 ? descsz - 1 : descsz;
	bool text = len > 1;
	uint64_t v = 0;

	for (uint32_t i = 0; text && i < len; i++)
		text = desc[i] >= 0x20 && desc[i] < 0x7f;
	if (name)
		printf("note %s: ", name);
	else
		printf("note %" PRIu32 ": ", type);
	if (text) {
		printf("\"%.*s\"\n", (int)len, (const char *)desc);
	} else if (descsz <= 8) {
		for (uint32_t i = 0; i < descsz; i++)
			v |= (uint64_t)desc[i] << (8 * i);
		printf("%#" PRIx64 " (%" PRIu32 " bytes)\n", v, descsz);
	} else {
		for (uint32_t i = 0; i < descsz; i++)
			printf("%02x", desc[i]);
		printf("\n");
	}
}

/* The "Xen" notes of every PT_NOTE segment (64-bit ELF only; the parser validated it). */
static void print_raw_notes(const uint8_t *e, size_t n)
{
	const Elf64_Ehdr *eh = (const void *)e;

	if (e[EI_CLASS] != ELFCLASS64)
		return;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(e + eh->e_phoff + i * sizeof(*ph));
		uint64_t pos = ph->p_offset, end = ph->p_offset + ph->p_filesz;

		if (ph->p_type != PT_NOTE || end > n)
			continue;
		while (end - pos >= sizeof(Elf64_Nhdr)) {
			const Elf64_Nhdr *nh = (const void *)(e + pos);
			uint64_t name = pos + sizeof(*nh), desc = name + ((nh->n_namesz + 3) & ~3u);
			uint64_t next = desc + ((nh->n_descsz + 3ull) & ~3ull);

			if (next > end)
				break;
			if (nh->n_namesz == 4 && !memcmp(e + name, "Xen", 4))
				print_note(nh->n_type, e + desc, nh->n_descsz);
			pos = next;
		}
	}
}

static void print_features(const char *what, const uint32_t *map)
{
	printf("%s:", what);
	for (unsigned bit = 0; bit < XENFEAT_NR_SUBMAPS * 32; bit++) {
		if (!(map[bit / 32] & (1u << (bit % 32))))
			continue;
		const char *name = pv_feature_name(bit);
		if (name)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
	}
	printf("\n");
}

static void print_kernel(const struct pv_kernel *k)
{
	static const char *const pae[] = { "none", "yes", "yes[extended-cr3]", "bimodal" };

	printf("class: %s\n", k->is_64bit ? "64-bit" : "32-bit");
	if (!k->is_64bit)
		printf("pae: %s\n", pae[k->pae]);
	printf("guest_os: %s\nguest_version: %s\nxen_version: %s\nloader: %s\n",
	       k->guest_os, k->guest_version, k->xen_version, k->loader);
	printf("virt_base: %#" PRIx64 "\npaddr_offset: %#" PRIx64 "\nentry: %#" PRIx64 "\n",
	       k->virt_base, k->paddr_offset, k->entry);
	printf("hypercall_page: %#" PRIx64 "\nhv_start_low: %#" PRIx64 "\ninit_p2m: %#" PRIx64
	       "\n", k->hypercall_page, k->hv_start_low, k->init_p2m);
	printf("virt_kstart: %#" PRIx64 "\nvirt_kend: %#" PRIx64 "\n", k->virt_kstart,
	       k->virt_kend);
	printf("suspend_cancel: %d\nmod_start_pfn: %d\nlegacy_guest_section: %d\n",
	       k->suspend_cancel, k->mod_start_pfn, k->legacy_guest_section);
	print_features("features_supported", k->features_supported);
	print_features("features_required", k->features_required);
	for (unsigned i = 0; i < k->nr_segments; i++)
		printf("segment %u: vaddr %#" PRIx64 " filesz %#" PRIx64 " memsz %#" PRIx64 "\n",
		       i, k->seg[i].vaddr, k->seg[i].filesz, k->seg[i].memsz);
}

int main(int argc, char **argv)
{
	uint8_t *file, *elf;
	size_t size, elf_size;
	struct pv_kernel k;
	char err[256];
	double t0, t1;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: dumpnotes KERNEL [ELF_OUT]\n");
		return 2;
	}
	file = read_all(argv[1], &size);
	if (!file) {
		fprintf(stderr, "dumpnotes: %s: cannot read\n", argv[1]);
		return 1;
	}
	printf("file: %s (%zu bytes)\n", argv[1], size);
	print_container(file, size);
	t0 = now_ms();
	if (pv_kernel_unpack(file, size, PV_DECOMP_DEFAULT_LIMIT, &elf, &elf_size, err, sizeof(err))) {
		fprintf(stderr, "dumpnotes: %s: %s\n", argv[1], err);
		return 1;
	}
	t1 = now_ms();
	printf("elf: %zu bytes, unpacked in %.0f ms\n", elf_size, t1 - t0);
	if (pv_kernel_parse(elf, elf_size, &k, err, sizeof(err))) {
		fprintf(stderr, "dumpnotes: %s: %s\n", argv[1], err);
		return 1;
	}
	print_raw_notes(elf, elf_size);
	print_kernel(&k);
	if (argc == 3 && write_all(argv[2], elf, elf_size)) {
		fprintf(stderr, "dumpnotes: %s: cannot write\n", argv[2]);
		return 1;
	}
	if (elf != file)
		free(file);
	free(elf);
	return 0;
}
