/* fuzz_kernel.c — libFuzzer target: a kernel file as a user brings it (ELF, bzImage, compressed) through the loader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pvboot/pvboot.h"

/* Bigger than any seed decompresses to; small enough that a bomb costs little. */
#define FUZZ_UNPACK_LIMIT (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan sees any read past the file. */
	uint8_t *file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	uint8_t *elf = NULL;
	size_t elf_size = 0;
	char err[256];
	if (pv_kernel_unpack(file, size, FUZZ_UNPACK_LIMIT, &elf, &elf_size, err, sizeof(err)) == 0) {
		if (elf_size > FUZZ_UNPACK_LIMIT && elf != file)
			abort();        /* the limit was not kept */
		struct pv_kernel k;
		if (pv_kernel_parse(elf, elf_size, &k, err, sizeof(err)) == 0) {
			/* What the parser promises the builder. */
			if (k.nr_segments > PV_MAX_SEGMENTS || k.virt_kend < k.virt_kstart)
				abort();
			for (unsigned i = 0; i < k.nr_segments; i++)
				if (k.seg[i].filesz > k.seg[i].memsz || k.seg[i].offset > elf_size ||
				    k.seg[i].filesz > elf_size - k.seg[i].offset)
					abort();
			uint32_t offered[XENFEAT_NR_SUBMAPS] = { 0 };
			pv_kernel_check_features(&k, offered, err, sizeof(err));
		}
	}
	if (elf != file)
		free(elf);
	free(file);
	return 0;
}
