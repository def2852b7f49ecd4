/* complib.h — compress test data in each kernel format with the compression libraries themselves (tests only). */
#ifndef TESTS_UNIT_COMPLIB_H
#define TESTS_UNIT_COMPLIB_H

#include "pvboot/decompress.h"
#include <bzlib.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/*
 * Usage: cl_compress(PV_COMP_XZ, data, len, 0, &out_len) returns a malloc'd
 * stream (NULL if the library failed). `block` sets the lz4 chunk / lzop
 * block size (0: Linux's 8 MiB / lzop's 256 KiB), so small data can still
 * have several of them.
 */

static inline void cl_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline void cl_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* gzip -9 as Linux's cmd_gzip makes it: deflate with a gzip wrapper. */
static inline uint8_t *cl_gzip(const uint8_t *in, size_t len, size_t *out_len)
{
	z_stream z;
	size_t cap = deflateBound(&(z_stream){ 0 }, len) + len / 100 + 64;
	uint8_t *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	if (!out || deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return free(out), NULL;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return free(out), NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static inline uint8_t *cl_bzip2(const uint8_t *in, size_t len, size_t *out_len)
{
	unsigned cap = (unsigned)(len + len / 100 + 600);
	uint8_t *out = malloc(cap);

	if (!out || BZ2_bzBuffToBuffCompress((char *)out, &cap, (char *)in, (unsigned)len, 9, 0, 0)
		    != BZ_OK)
		return free(out), NULL;
	*out_len = cap;
	return out;
}

/* The legacy .lzma format as `lzma` writes it from a pipe: size unknown, end marker. */
static inline uint8_t *cl_lzma(const uint8_t *in, size_t len, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	size_t cap = len + len / 2 + 1024;
	uint8_t *out = malloc(cap);

	if (!out || lzma_lzma_preset(&opt, 6) || lzma_alone_encoder(&s, &opt) != LZMA_OK)
		return free(out), NULL;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = cap;
	if (lzma_code(&s, LZMA_FINISH) != LZMA_STREAM_END) {
		lzma_end(&s);
		return free(out), NULL;
	}
	*out_len = s.total_out;
	lzma_end(&s);
	return out;
}

/* xz as Linux's xzkern makes it (x86 BCJ + LZMA2, CRC32), with a small dictionary. */
static inline uint8_t *cl_xz(const uint8_t *in, size_t len, size_t *out_len)
{
	lzma_options_lzma opt;
	lzma_filter filters[3];
	size_t cap = lzma_stream_buffer_bound(len), pos = 0;
	uint8_t *out = malloc(cap);

	if (!out || lzma_lzma_preset(&opt, 6))
		return free(out), NULL;
	opt.dict_size = 1u << 20;
	filters[0] = (lzma_filter){ .id = LZMA_FILTER_X86 };
	filters[1] = (lzma_filter){ .id = LZMA_FILTER_LZMA2, .options = &opt };
	filters[2] = (lzma_filter){ .id = LZMA_VLI_UNKNOWN };
	if (lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, len, out, &pos, cap)
	    != LZMA_OK)
		return free(out), NULL;
	*out_len = pos;
	return out;
}

/*
 * An lzop file as `lzop -9` writes it from a pipe: version 0x1040, method
 * LZO1X-999, adler32 of each block's data, blocks stored when they do not
 * shrink, a zero-length end block.
 */
static inline uint8_t *cl_lzo(const uint8_t *in, size_t len, size_t block, size_t *out_len)
{
	static const uint8_t magic[9] = { 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a, 0x0a };
	static const uint8_t hdr[] = {
		0x10, 0x40, 0x20, 0xa0, 0x09, 0x40,     /* version, lib version, needed */
		3, 9,                                   /* method LZO1X-999, level 9 */
		0x03, 0x00, 0x00, 0x01,                 /* flags: unix, F_ADLER32_D */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* mode, mtime low/high */
		0,                                      /* no name */
	};
	size_t bs = block ? block : 256 << 10;
	size_t cap = 64 + len + len / 16 + (len / bs + 1) * 96;
	uint8_t *out = malloc(cap), *tmp = malloc(bs + bs / 16 + 64 + 3);
	void *wrk = malloc(LZO1X_999_MEM_COMPRESS);
	size_t pos = 0;

	if (!out || !tmp || !wrk || lzo_init() != LZO_E_OK)
		goto fail;
	memcpy(out, magic, sizeof(magic));
	memcpy(out + 9, hdr, sizeof(hdr));
	pos = 9 + sizeof(hdr);
	cl_put_be32(out + pos, (uint32_t)adler32(1, hdr, sizeof(hdr)));
	pos += 4;
	for (size_t off = 0; off < len; off += bs) {
		size_t n = len - off < bs ? len - off : bs;
		lzo_uint clen = 0;

		if (lzo1x_999_compress(in + off, n, tmp, &clen, wrk) != LZO_E_OK)
			goto fail;
		cl_put_be32(out + pos, (uint32_t)n);
		cl_put_be32(out + pos + 4, (uint32_t)(clen < n ? clen : n));
		cl_put_be32(out + pos + 8, (uint32_t)adler32(1, in + off, (uInt)n));
		pos += 12;
		memcpy(out + pos, clen < n ? tmp : in + off, clen < n ? clen : n);
		pos += clen < n ? clen : n;
	}
	cl_put_be32(out + pos, 0);
	*out_len = pos + 4;
	free(tmp);
	free(wrk);
	return out;
fail:
	free(out);
	free(tmp);
	free(wrk);
	return NULL;
}

/* lz4 legacy frames as `lz4 -l` (and Linux's cmd_lz4) write them. */
static inline uint8_t *cl_lz4(const uint8_t *in, size_t len, size_t chunk, size_t *out_len)
{
	size_t cs = chunk ? chunk : 8 << 20;
	size_t cap = 4 + (len / cs + 1) * (4 + (size_t)LZ4_compressBound((int)cs));
	uint8_t *out = malloc(cap);
	size_t pos = 4;

	if (!out)
		return NULL;
	cl_put_le32(out, 0x184C2102u);
	for (size_t off = 0; off < len; off += cs) {
		size_t n = len - off < cs ? len - off : cs;
		int c = LZ4_compress_HC((const char *)in + off, (char *)out + pos + 4, (int)n,
					(int)(cap - pos - 4), 9);
		if (c <= 0)
			return free(out), NULL;
		cl_put_le32(out + pos, (uint32_t)c);
		pos += 4 + (size_t)c;
	}
	*out_len = pos;
	return out;
}

/* zstd with a content checksum (zstd's command line default). */
static inline uint8_t *cl_zstd(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(len), r;
	uint8_t *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();

	if (!out || !c)
		goto fail;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	r = ZSTD_compress2(c, out, cap, in, len);
	if (ZSTD_isError(r))
		goto fail;
	ZSTD_freeCCtx(c);
	*out_len = r;
	return out;
fail:
	ZSTD_freeCCtx(c);
	free(out);
	return NULL;
}

static inline uint8_t *cl_compress(enum pv_comp c, const uint8_t *in, size_t len, size_t block,
				   size_t *out_len)
{
	switch (c) {
	case PV_COMP_GZIP:  return cl_gzip(in, len, out_len);
	case PV_COMP_BZIP2: return cl_bzip2(in, len, out_len);
	case PV_COMP_LZMA:  return cl_lzma(in, len, out_len);
	case PV_COMP_XZ:    return cl_xz(in, len, out_len);
	case PV_COMP_LZO:   return cl_lzo(in, len, block, out_len);
	case PV_COMP_LZ4:   return cl_lz4(in, len, block, out_len);
	case PV_COMP_ZSTD:  return cl_zstd(in, len, out_len);
	default:            return NULL;
	}
}

/* Every format, for loops. */
static const enum pv_comp cl_formats[] = {
	PV_COMP_GZIP, PV_COMP_BZIP2, PV_COMP_LZMA, PV_COMP_XZ, PV_COMP_LZO, PV_COMP_LZ4,
	PV_COMP_ZSTD,
};
#define CL_NR_FORMATS (sizeof(cl_formats) / sizeof(cl_formats[0]))

/*
 * Deterministic test data that compresses like a kernel: text-ish runs,
 * repeated structures and some noise.
 */
static inline uint8_t *cl_test_data(size_t len, uint32_t seed)
{
	static const char words[] = "xen hypercall page table event channel grant ring vcpu ";
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; p && i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if ((i / 4096) % 4 == 3)
			p[i] = (uint8_t)x;                      /* noise */
		else if ((i / 4096) % 4 == 2)
			p[i] = (uint8_t)(i * 7 + (x & 1));      /* structure */
		else
			p[i] = (uint8_t)words[(i + (x % 3 == 0)) % (sizeof(words) - 1)];
	}
	return p;
}

#endif
