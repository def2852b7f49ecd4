/* bzimage.c — kernel files as users bring them: plain ELF, bzImage (boot protocol >= 2.08), compressed ELF. */
#include "pvboot/pvboot.h"
#include "pvboot/decompress.h"
#include "pvboot/xennotes.h"    /* pv_elf_errf */

#include <asm/bootparam.h>
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* File offsets of setup header fields (Documentation/arch/x86/boot.rst). */
#define SETUP_OFF(field) (offsetof(struct boot_params, hdr) + offsetof(struct setup_header, field))
#define SETUP_END(field) (SETUP_OFF(field) + sizeof(((struct setup_header *)0)->field))

#define SETUP_HDRS          0x53726448u     /* "HdrS" */
#define SETUP_BOOT_FLAG     0xAA55u
#define SETUP_SECTOR        512u
#define SETUP_DEFAULT_SECTS 4u              /* setup_sects 0 means 4 */
#define BOOT_PROTO_PAYLOAD  0x0208u         /* payload_offset/payload_length */

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static bool is_elf(const uint8_t *p, size_t n)
{
	return n >= SELFMAG && !memcmp(p, ELFMAG, SELFMAG);
}

/* The file carries an x86 Linux setup header (boot sector flag and "HdrS"). */
static bool is_bzimage(const uint8_t *f, size_t n)
{
	return n >= SETUP_END(version) && le16(f + SETUP_OFF(boot_flag)) == SETUP_BOOT_FLAG &&
	       le32(f + SETUP_OFF(header)) == SETUP_HDRS;
}

/* "it starts with 1f 8b 08 00" (or "it is empty"), for saying what some data is not. */
static const char *first_bytes(const uint8_t *p, size_t n, char *buf, size_t buflen)
{
	size_t used = (size_t)snprintf(buf, buflen, "it starts with");

	if (!n)
		return "it is empty";
	for (size_t i = 0; i < n && i < 4 && used + 4 <= buflen; i++)
		used += (size_t)snprintf(buf + used, buflen - used, " %02x", p[i]);
	return buf;
}

/*
 * Where the protected-mode payload lies in a bzImage: after the boot
 * sector and setup_sects sectors of real-mode setup, at payload_offset,
 * payload_length bytes. -1 with a reason if the header cannot say or
 * points outside the file.
 */
static int bzimage_payload(const uint8_t *f, size_t n, size_t *off, size_t *len,
			   char *err, size_t errlen)
{
	unsigned version = le16(f + SETUP_OFF(version));
	uint64_t sects = f[SETUP_OFF(setup_sects)], start, poff, plen;

	if (version < BOOT_PROTO_PAYLOAD)
		return pv_elf_errf(err, errlen, "bzImage boot protocol %u.%02u is older than 2.08 "
				   "and does not locate its payload", version >> 8, version & 0xff);
	if (n < SETUP_END(payload_length))
		return pv_elf_errf(err, errlen, "bzImage setup header is truncated");
	if (sects == 0)
		sects = SETUP_DEFAULT_SECTS;
	start = (sects + 1) * SETUP_SECTOR;
	poff = le32(f + SETUP_OFF(payload_offset));
	plen = le32(f + SETUP_OFF(payload_length));
	if (start > n || poff > n - start || plen > n - start - poff)
		return pv_elf_errf(err, errlen, "bzImage payload (%#" PRIx64 " bytes at offset %#"
				   PRIx64 ") lies outside the %#zx-byte file", plen, start + poff, n);
	if (plen < 4)
		return pv_elf_errf(err, errlen, "bzImage payload is only %" PRIu64 " bytes", plen);
	*off = (size_t)(start + poff);
	*len = (size_t)plen;
	return 0;
}

/*
 * Decompress a bzImage payload. Linux's build appends the decompressed
 * size (le32) to every payload; for gzip those are the stream's own last
 * bytes, for the others an extra trailer that their decoders never reach
 * (lz4, which has no end marker, is cut before it, as Linux's boot code
 * does). Every format is checked against it.
 */
static int bzimage_decompress(const uint8_t *p, size_t len, size_t limit, uint8_t **out,
			      size_t *out_len, char *err, size_t errlen)
{
	enum pv_comp c = pv_comp_detect(p, len);
	uint32_t want = le32(p + len - 4);
	char why[200], b[32];

	if (c == PV_COMP_NONE)
		return pv_elf_errf(err, errlen, "bzImage payload is not in a known compression "
				   "format (%s)", first_bytes(p, len, b, sizeof(b)));
	if (want > limit)
		return pv_elf_errf(err, errlen, "bzImage payload would decompress to %" PRIu32
				   " bytes, over the %zu-byte limit", want, limit);
	if (pv_decompress(p, c == PV_COMP_GZIP ? len : len - 4, limit, out, out_len,
			  why, sizeof(why)))
		return pv_elf_errf(err, errlen, "bzImage payload: %s", why);
	if ((uint32_t)*out_len != want) {
		free(*out);
		*out = NULL;
		return pv_elf_errf(err, errlen, "bzImage payload: %s data decompressed to %zu bytes, "
				   "but the image records %" PRIu32, pv_comp_name(c), *out_len, want);
	}
	return 0;
}

/* The payload of a bzImage as a new ELF buffer. */
static int bzimage_extract(const uint8_t *f, size_t n, size_t limit, uint8_t **elf,
			   size_t *elf_size, char *err, size_t errlen)
{
	size_t off = 0, len = 0;
	char b[32];

	if (bzimage_payload(f, n, &off, &len, err, errlen))
		return -1;
	if (is_elf(f + off, len)) {     /* stored uncompressed */
		if (len > limit)
			return pv_elf_errf(err, errlen, "bzImage payload is over the %zu-byte limit",
					   limit);
		*elf = malloc(len);
		if (!*elf)
			return pv_elf_errf(err, errlen, "out of memory");
		memcpy(*elf, f + off, len);
		*elf_size = len;
		return 0;
	}
	if (bzimage_decompress(f + off, len, limit, elf, elf_size, err, errlen))
		return -1;
	if (!is_elf(*elf, *elf_size)) {
		pv_elf_errf(err, errlen, "bzImage payload is not an ELF kernel (decompressed, "
			    "%s)", first_bytes(*elf, *elf_size, b, sizeof(b)));
		free(*elf);
		*elf = NULL;
		return -1;
	}
	return 0;
}

/* A whole file compressed in one of the known formats (RHEL5's gzip'd vmlinuz). */
static int compressed_extract(const uint8_t *f, size_t n, size_t limit, uint8_t **elf,
			      size_t *elf_size, char *err, size_t errlen)
{
	const char *name = pv_comp_name(pv_comp_detect(f, n));
	char why[200], b[32];

	if (pv_decompress(f, n, limit, elf, elf_size, why, sizeof(why)))
		return pv_elf_errf(err, errlen, "%s-compressed kernel: %s", name, why);
	if (!is_elf(*elf, *elf_size)) {
		pv_elf_errf(err, errlen, "%s-compressed file is not an ELF kernel (decompressed, "
			    "%s)", name, first_bytes(*elf, *elf_size, b, sizeof(b)));
		free(*elf);
		*elf = NULL;
		return -1;
	}
	return 0;
}

int pv_kernel_unpack(const uint8_t *file, size_t size, size_t limit, uint8_t **elf,
		     size_t *elf_size, char *err, size_t errlen)
{
	char b[32];

	*elf = NULL;
	*elf_size = 0;
	if (is_elf(file, size)) {
		*elf = (uint8_t *)file;
		*elf_size = size;
		return 0;
	}
	if (is_bzimage(file, size))
		return bzimage_extract(file, size, limit, elf, elf_size, err, errlen);
	if (pv_comp_detect(file, size) != PV_COMP_NONE)
		return compressed_extract(file, size, limit, elf, elf_size, err, errlen);
	return pv_elf_errf(err, errlen, "not an ELF file, a bzImage or a compressed kernel "
			   "(%s)", first_bytes(file, size, b, sizeof(b)));
}
