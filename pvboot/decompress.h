/* decompress.h — the compression formats Linux kernels ship in, behind one call with a hard output limit. */
#ifndef PVBOOT_DECOMPRESS_H
#define PVBOOT_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Formats, told apart by their magic bytes (as Linux's lib/decompress.c does). */
enum pv_comp {
	PV_COMP_NONE = 0,   /* no known magic */
	PV_COMP_GZIP,       /* 1f 8b: gzip (deflate) */
	PV_COMP_BZIP2,      /* "BZh" */
	PV_COMP_LZMA,       /* 5d 00: legacy .lzma ("LZMA alone") */
	PV_COMP_XZ,         /* fd "7zXZ" 00 */
	PV_COMP_LZO,        /* 89 "LZO" 00 0d 0a 1a 0a: lzop file, lzo1x blocks */
	PV_COMP_LZ4,        /* 02 21 4c 18: lz4 *legacy* frames (lz4 -l), as Linux uses */
	PV_COMP_ZSTD,       /* 28 b5 2f fd */
};

/* What a real kernel never exceeds; callers pass their own limit. */
#define PV_DECOMP_DEFAULT_LIMIT ((size_t)512 << 20)

/* The format of the data at `in`, from its first bytes; PV_COMP_NONE if none. */
enum pv_comp pv_comp_detect(const uint8_t *in, size_t len);

/* "gzip", "bzip2", ... ("unknown" for PV_COMP_NONE). */
const char *pv_comp_name(enum pv_comp c);

/*
 * Decompress the stream at the start of `in` (its format from its magic)
 * into a new malloc'd buffer (*out, *out_len bytes; *out is never NULL on
 * success). The input is untrusted: corrupt or truncated data and output
 * beyond `limit` bytes are errors (-1 with one line in err, *out = NULL);
 * at most limit + 1 output bytes are ever allocated.
 *
 * Bytes after the end of the stream are ignored, as the kernel's own
 * decompressors ignore them (a bzImage appends the decompressed size, an
 * initramfs pads): gzip, bzip2, xz and zstd end after their first
 * stream/member/frame, lzma at its end marker or stated size, lzo at the
 * zero-length end block. lz4 legacy data has no end marker: it runs to a
 * zero chunk size or to the end of `in` (a concatenated legacy frame's
 * magic is skipped), so a caller holding a bzImage payload must cut the
 * size trailer off first, as Linux's boot decompressor does.
 */
int pv_decompress(const uint8_t *in, size_t len, size_t limit, uint8_t **out,
		  size_t *out_len, char *err, size_t errlen);

#endif
