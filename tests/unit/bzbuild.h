/* bzbuild.h — assemble synthetic bzImages around a payload (tests and fuzz seeds only). */
#ifndef TESTS_UNIT_BZBUILD_H
#define TESTS_UNIT_BZBUILD_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "complib.h"

#define TEST_SETUP_SECTS 3
#define TEST_PM_PREFIX   0x300          /* payload_offset: decompressor code before it */
#define TEST_PM_SUFFIX   0x180          /* and after it */

/* A bzImage under construction: its header fields, then bz_build(). */
struct bz {
	uint8_t setup_sects;
	uint16_t version;
	uint32_t payload_offset;        /* relative to the protected-mode code */
	int64_t payload_length;         /* -1: the real length */
	const uint8_t *payload;
	size_t len;
};

/* Lay out boot sector + setup, protected-mode code around the payload. */
static inline uint8_t *bz_build(const struct bz *b, size_t *size)
{
	size_t sects = b->setup_sects ? b->setup_sects : 4;
	size_t pm = (sects + 1) * 512, total = pm + TEST_PM_PREFIX + b->len + TEST_PM_SUFFIX;
	struct boot_params bp;
	uint8_t *img = malloc(total);

	memset(img, 0x90, total);
	memset(&bp, 0, sizeof(bp));
	bp.hdr.setup_sects = b->setup_sects;
	bp.hdr.boot_flag = 0xAA55;
	bp.hdr.header = 0x53726448;     /* "HdrS" */
	bp.hdr.version = b->version;
	bp.hdr.loadflags = LOADED_HIGH;
	bp.hdr.payload_offset = b->payload_offset;
	bp.hdr.payload_length = b->payload_length < 0 ? (uint32_t)b->len
						      : (uint32_t)b->payload_length;
	memcpy(img, &bp, offsetof(struct boot_params, hdr) + sizeof(bp.hdr));
	/* At payload_offset, or where it would be if the offset is a bad one. */
	memcpy(img + pm + (b->payload_offset <= TEST_PM_PREFIX ? b->payload_offset : TEST_PM_PREFIX),
	       b->payload, b->len);
	*size = total;
	return img;
}

/* What Linux's build makes of vmlinux: the stream, then (not for gzip) le32 size. */
static inline uint8_t *make_payload(enum pv_comp c, const uint8_t *elf, size_t len, size_t *plen)
{
	size_t zlen;
	uint8_t *z = cl_compress(c, elf, len, 0, &zlen), *p;

	if (!z)
		return NULL;
	if (c == PV_COMP_GZIP) {
		*plen = zlen;
		return z;
	}
	p = realloc(z, zlen + 4);
	cl_put_le32(p + zlen, (uint32_t)len);
	*plen = zlen + 4;
	return p;
}

#endif
