/* decompress.c — gzip, bzip2, lzma, xz, lzo, lz4 (legacy) and zstd kernel payloads, decoded with a hard output limit. */
#include "pvboot/decompress.h"
#include "pvboot/xennotes.h"    /* pv_elf_errf */

#define ZLIB_CONST              /* const next_in */
#include <bzlib.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* Decoder state (lzma/xz dictionaries): Linux uses 32 MiB (xz), 64 MiB (lzma -9). */
#define DECOMP_MEMLIMIT         ((uint64_t)256 << 20)
/* zstd window: 2^27 = 128 MiB, what zstd -22 --ultra (Linux's zstd22) needs. */
#define DECOMP_ZSTD_WINDOW_LOG  27
#define DECOMP_FIRST_ALLOC      ((size_t)1 << 20)

#define LZ4_LEGACY_MAGIC        0x184C2102u
#define LZ4_LEGACY_CHUNK        (8u << 20)      /* every chunk but the last decodes to this */

#define LZOP_MAGIC_LEN          9
#define LZOP_MAX_BLOCK          (64u << 20)     /* lzop's own MAX_BLOCK_SIZE */
#define LZOP_F_ADLER32_D        0x00000001u
#define LZOP_F_ADLER32_C        0x00000002u
#define LZOP_F_H_EXTRA_FIELD    0x00000040u
#define LZOP_F_CRC32_D          0x00000100u
#define LZOP_F_CRC32_C          0x00000200u
#define LZOP_F_H_FILTER         0x00000800u
#define LZOP_F_H_CRC32          0x00001000u
#define LZOP_M_LZO1X_1          1
#define LZOP_M_LZO1X_999        3

static const struct pv_comp_magic {
	enum pv_comp comp;
	const char *name;
	unsigned len;
	uint8_t bytes[LZOP_MAGIC_LEN];
} pv_comp_magics[] = {
	{ PV_COMP_GZIP,  "gzip",  2, { 0x1f, 0x8b } },
	{ PV_COMP_BZIP2, "bzip2", 3, { 'B', 'Z', 'h' } },
	{ PV_COMP_LZMA,  "lzma",  2, { 0x5d, 0x00 } },
	{ PV_COMP_XZ,    "xz",    6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
	{ PV_COMP_LZO,   "lzo",   9, { 0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a } },
	{ PV_COMP_LZ4,   "lz4",   4, { 0x02, 0x21, 0x4c, 0x18 } },
	{ PV_COMP_ZSTD,  "zstd",  4, { 0x28, 0xb5, 0x2f, 0xfd } },
};

enum pv_comp pv_comp_detect(const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < sizeof(pv_comp_magics) / sizeof(pv_comp_magics[0]); i++) {
		const struct pv_comp_magic *m = &pv_comp_magics[i];
		if (in && len >= m->len && !memcmp(in, m->bytes, m->len))
			return m->comp;
	}
	return PV_COMP_NONE;
}

const char *pv_comp_name(enum pv_comp c)
{
	for (size_t i = 0; i < sizeof(pv_comp_magics) / sizeof(pv_comp_magics[0]); i++)
		if (pv_comp_magics[i].comp == c)
			return pv_comp_magics[i].name;
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* The output buffer                                                   */
/* ------------------------------------------------------------------ */

/*
 * Output grows geometrically but never past limit + 1 bytes: a decoder
 * that fills that last byte has proved the data is too large.
 */
struct outbuf {
	uint8_t *buf;
	size_t len, cap;
	size_t limit;
	const char *name;           /* format name for messages */
};

static int outbuf_limit_error(const struct outbuf *o, char *err, size_t errlen)
{
	if (o->limit % (1u << 20) == 0)
		return pv_elf_errf(err, errlen, "%s data decompresses to more than the %zu MiB limit",
				   o->name, o->limit >> 20);
	return pv_elf_errf(err, errlen, "%s data decompresses to more than the %zu-byte limit",
			   o->name, o->limit);
}

/*
 * Make room for `want` more bytes, or as many as the limit leaves (at
 * least one). -1 if the limit is already passed or memory runs out.
 */
static int outbuf_reserve(struct outbuf *o, size_t want, char *err, size_t errlen)
{
	size_t max = o->limit + 1, ncap = o->cap ? o->cap : DECOMP_FIRST_ALLOC;
	uint8_t *nbuf;

	if (o->len > o->limit)
		return outbuf_limit_error(o, err, errlen);
	if (want > max - o->len)
		want = max - o->len;
	if (o->cap - o->len >= want && o->cap > o->len)
		return 0;
	while (ncap < max && ncap - o->len < want)
		ncap = ncap > max / 2 ? max : ncap * 2;
	if (ncap > max)
		ncap = max;
	nbuf = realloc(o->buf, ncap);
	if (!nbuf)
		return pv_elf_errf(err, errlen, "out of memory decompressing %s data (%zu MiB)",
				   o->name, ncap >> 20);
	o->buf = nbuf;
	o->cap = ncap;
	return 0;
}

static size_t outbuf_room(const struct outbuf *o)
{
	return o->cap - o->len;
}

static int corrupt(const struct outbuf *o, const char *why, char *err, size_t errlen)
{
	return pv_elf_errf(err, errlen, "%s data is corrupt (%s)", o->name, why);
}

static int truncated(const struct outbuf *o, char *err, size_t errlen)
{
	return pv_elf_errf(err, errlen, "%s data is truncated", o->name);
}

/* zlib and libbz2 count in unsigned int; stream_run() never offers more room. */
static unsigned clamp_uint(size_t v)
{
	return v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

/* ------------------------------------------------------------------ */
/* Streaming formats: one loop shape for all four libraries            */
/* ------------------------------------------------------------------ */

/*
 * A streaming decoder step: consume from in (in_left bytes), produce into
 * out (out_room bytes), advancing all four. Returns STEP_MORE, STEP_END or
 * STEP_ERROR (with err set).
 */
enum step { STEP_MORE, STEP_END, STEP_ERROR };

struct stream {
	enum step (*step)(void *state, const uint8_t **in, size_t *in_left, uint8_t **out,
			  size_t *out_room, const struct outbuf *o, char *err, size_t errlen);
	void *state;
};

/*
 * Drive a decoder to the end of its stream. "Truncated" is a decoder that
 * has eaten all input and still had output room: it cannot make progress.
 */
static int stream_run(const struct stream *s, const uint8_t *in, size_t len,
		      struct outbuf *o, char *err, size_t errlen)
{
	for (;;) {
		/* Full: double the buffer. */
		size_t want = outbuf_room(o) ? 1 : o->cap ? o->cap : DECOMP_FIRST_ALLOC;

		if (outbuf_reserve(o, want, err, errlen))
			return -1;
		uint8_t *out = o->buf + o->len;
		size_t room = clamp_uint(outbuf_room(o)), room_before = room;
		enum step r = s->step(s->state, &in, &len, &out, &room, o, err, errlen);

		o->len += room_before - room;
		if (r == STEP_ERROR)
			return -1;
		if (o->len > o->limit)
			return outbuf_limit_error(o, err, errlen);
		if (r == STEP_END)
			return 0;
		if (len == 0 && room > 0)
			return truncated(o, err, errlen);
	}
}

static enum step gzip_step(void *state, const uint8_t **in, size_t *in_left, uint8_t **out,
			   size_t *out_room, const struct outbuf *o, char *err, size_t errlen)
{
	z_stream *z = state;
	unsigned avail_in = clamp_uint(*in_left), avail_out = clamp_uint(*out_room);
	int ret;

	z->next_in = *in;
	z->avail_in = avail_in;
	z->next_out = *out;
	z->avail_out = avail_out;
	ret = inflate(z, Z_NO_FLUSH);
	*in += avail_in - z->avail_in;
	*in_left -= avail_in - z->avail_in;
	*out += avail_out - z->avail_out;
	*out_room -= avail_out - z->avail_out;
	if (ret == Z_STREAM_END)
		return STEP_END;
	if (ret == Z_OK || ret == Z_BUF_ERROR)
		return STEP_MORE;
	corrupt(o, z->msg ? z->msg : zError(ret), err, errlen);
	return STEP_ERROR;
}

static int decompress_gzip(const uint8_t *in, size_t len, struct outbuf *o,
			   char *err, size_t errlen)
{
	z_stream z;
	struct stream s = { gzip_step, &z };
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)       /* +16: gzip wrapper only */
		return pv_elf_errf(err, errlen, "zlib: cannot start a decoder");
	rc = stream_run(&s, in, len, o, err, errlen);
	inflateEnd(&z);
	return rc;
}

static const char *bzip2_error(int ret)
{
	switch (ret) {
	case BZ_DATA_ERROR_MAGIC: return "bad stream header";
	case BZ_DATA_ERROR:       return "data integrity error";
	case BZ_MEM_ERROR:        return "out of memory";
	default:                  return "libbz2 error";
	}
}

static enum step bzip2_step(void *state, const uint8_t **in, size_t *in_left, uint8_t **out,
			    size_t *out_room, const struct outbuf *o, char *err, size_t errlen)
{
	bz_stream *b = state;
	unsigned avail_in = clamp_uint(*in_left), avail_out = clamp_uint(*out_room);
	int ret;

	b->next_in = (char *)*in;
	b->avail_in = avail_in;
	b->next_out = (char *)*out;
	b->avail_out = avail_out;
	ret = BZ2_bzDecompress(b);
	*in += avail_in - b->avail_in;
	*in_left -= avail_in - b->avail_in;
	*out += avail_out - b->avail_out;
	*out_room -= avail_out - b->avail_out;
	if (ret == BZ_STREAM_END)
		return STEP_END;
	if (ret == BZ_OK)
		return STEP_MORE;
	corrupt(o, bzip2_error(ret), err, errlen);
	return STEP_ERROR;
}

static int decompress_bzip2(const uint8_t *in, size_t len, struct outbuf *o,
			    char *err, size_t errlen)
{
	bz_stream b;
	struct stream s = { bzip2_step, &b };
	int rc;

	memset(&b, 0, sizeof(b));
	if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
		return pv_elf_errf(err, errlen, "libbz2: cannot start a decoder");
	rc = stream_run(&s, in, len, o, err, errlen);
	BZ2_bzDecompressEnd(&b);
	return rc;
}

static const char *lzma_error(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR:      return "out of memory";
	case LZMA_FORMAT_ERROR:   return "bad header";
	case LZMA_OPTIONS_ERROR:  return "unsupported options";
	case LZMA_DATA_ERROR:     return "bad compressed data";
	case LZMA_BUF_ERROR:      return "unexpected end of input";
	case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
	default:                  return "liblzma error";
	}
}

static enum step lzma_step(void *state, const uint8_t **in, size_t *in_left, uint8_t **out,
			   size_t *out_room, const struct outbuf *o, char *err, size_t errlen)
{
	lzma_stream *l = state;
	lzma_ret ret;

	l->next_in = *in;
	l->avail_in = *in_left;
	l->next_out = *out;
	l->avail_out = *out_room;
	ret = lzma_code(l, LZMA_RUN);
	*in = l->next_in;
	*in_left = l->avail_in;
	*out = l->next_out;
	*out_room = l->avail_out;
	if (ret == LZMA_STREAM_END)
		return STEP_END;
	if (ret == LZMA_OK || (ret == LZMA_BUF_ERROR && *out_room == 0))
		return STEP_MORE;
	if (ret == LZMA_BUF_ERROR && *in_left == 0) {
		truncated(o, err, errlen);
		return STEP_ERROR;
	}
	if (ret == LZMA_MEMLIMIT_ERROR) {
		pv_elf_errf(err, errlen, "%s data needs more than %u MiB of decoder memory",
			    o->name, (unsigned)(DECOMP_MEMLIMIT >> 20));
		return STEP_ERROR;
	}
	corrupt(o, lzma_error(ret), err, errlen);
	return STEP_ERROR;
}

/* lzma ("alone") and xz share liblzma; only the decoder set-up differs. */
static int decompress_liblzma(const uint8_t *in, size_t len, struct outbuf *o, bool xz,
			      char *err, size_t errlen)
{
	lzma_stream l = LZMA_STREAM_INIT;
	struct stream s = { lzma_step, &l };
	lzma_ret ret;
	int rc;

	/* No LZMA_CONCATENATED: stop after the first xz stream, as Linux does. */
	ret = xz ? lzma_stream_decoder(&l, DECOMP_MEMLIMIT, 0)
		 : lzma_alone_decoder(&l, DECOMP_MEMLIMIT);
	if (ret != LZMA_OK)
		return pv_elf_errf(err, errlen, "liblzma: cannot start a decoder (%s)",
				   lzma_error(ret));
	rc = stream_run(&s, in, len, o, err, errlen);
	lzma_end(&l);
	return rc;
}

static int decompress_lzma(const uint8_t *in, size_t len, struct outbuf *o,
			   char *err, size_t errlen)
{
	return decompress_liblzma(in, len, o, false, err, errlen);
}

static int decompress_xz(const uint8_t *in, size_t len, struct outbuf *o,
			 char *err, size_t errlen)
{
	return decompress_liblzma(in, len, o, true, err, errlen);
}

static enum step zstd_step(void *state, const uint8_t **in, size_t *in_left, uint8_t **out,
			   size_t *out_room, const struct outbuf *o, char *err, size_t errlen)
{
	ZSTD_inBuffer ib = { *in, *in_left, 0 };
	ZSTD_outBuffer ob = { *out, *out_room, 0 };
	size_t ret = ZSTD_decompressStream(state, &ob, &ib);

	*in += ib.pos;
	*in_left -= ib.pos;
	*out += ob.pos;
	*out_room -= ob.pos;
	if (ZSTD_isError(ret) && ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
		pv_elf_errf(err, errlen, "%s data needs a window of more than %u MiB",
			    o->name, (1u << DECOMP_ZSTD_WINDOW_LOG) >> 20);
		return STEP_ERROR;
	}
	if (ZSTD_isError(ret)) {
		corrupt(o, ZSTD_getErrorName(ret), err, errlen);
		return STEP_ERROR;
	}
	return ret == 0 ? STEP_END : STEP_MORE;     /* 0: the frame is complete and flushed */
}

static int decompress_zstd(const uint8_t *in, size_t len, struct outbuf *o,
			   char *err, size_t errlen)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	struct stream s = { zstd_step, z };
	int rc;

	if (!z)
		return pv_elf_errf(err, errlen, "libzstd: cannot start a decoder");
	if (ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, DECOMP_ZSTD_WINDOW_LOG))) {
		ZSTD_freeDCtx(z);
		return pv_elf_errf(err, errlen, "libzstd: cannot limit the window size");
	}
	rc = stream_run(&s, in, len, o, err, errlen);
	ZSTD_freeDCtx(z);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Block formats: lz4 legacy and lzop, framed by hand                  */
/* ------------------------------------------------------------------ */

/* A bounds-checked reader: reads past the end yield 0 and set `over`. */
struct reader {
	const uint8_t *p;
	size_t len, pos;
	bool over;
};

static const uint8_t *rd_take(struct reader *r, size_t n)
{
	const uint8_t *p;

	if (r->over || n > r->len - r->pos) {
		r->over = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint32_t rd_le32(struct reader *r)
{
	const uint8_t *p = rd_take(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		   (uint32_t)p[3] << 24 : 0;
}

static uint32_t rd_be32(struct reader *r)
{
	const uint8_t *p = rd_take(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
		   (uint32_t)p[3] : 0;
}

static unsigned rd_be16(struct reader *r)
{
	const uint8_t *p = rd_take(r, 2);
	return p ? (unsigned)p[0] << 8 | p[1] : 0;
}

static unsigned rd_u8(struct reader *r)
{
	const uint8_t *p = rd_take(r, 1);
	return p ? p[0] : 0;
}

/* Output room for one lz4 block: what the buffer has, at most a chunk. */
static size_t lz4_room(const struct outbuf *o)
{
	size_t room = outbuf_room(o);
	return room < LZ4_LEGACY_CHUNK ? room : LZ4_LEGACY_CHUNK;
}

/* Decode an lz4 block into at least `want` bytes of room (fewer near the limit). */
static int lz4_try(const uint8_t *src, uint32_t csize, struct outbuf *o, size_t want, int *n,
		   char *err, size_t errlen)
{
	if (outbuf_reserve(o, want, err, errlen))
		return -1;
	*n = LZ4_decompress_safe((const char *)src, (char *)o->buf + o->len, (int)csize,
				 (int)lz4_room(o));
	return 0;
}

/*
 * Decode one lz4 block of at most LZ4_LEGACY_CHUNK bytes. Blocks shrink
 * 3-5x, so room for 8x the block is tried before a whole chunk's worth.
 * Near the limit the room is smaller than a chunk; a block that does not
 * fit is then re-run partially to tell "too large" from "corrupt".
 */
static int lz4_block(const uint8_t *src, uint32_t csize, struct outbuf *o,
		     char *err, size_t errlen)
{
	size_t guess = (size_t)csize * 8, room;
	int n;

	if (lz4_try(src, csize, o, guess < LZ4_LEGACY_CHUNK ? guess : LZ4_LEGACY_CHUNK, &n,
		    err, errlen))
		return -1;
	if (n < 0 && lz4_room(o) < LZ4_LEGACY_CHUNK &&
	    lz4_try(src, csize, o, LZ4_LEGACY_CHUNK, &n, err, errlen))
		return -1;
	room = lz4_room(o);
	if (n < 0 && room < LZ4_LEGACY_CHUNK &&
	    LZ4_decompress_safe_partial((const char *)src, (char *)o->buf + o->len, (int)csize,
					(int)room, (int)room) == (int)room)
		return outbuf_limit_error(o, err, errlen);
	if (n < 0)
		return corrupt(o, room < LZ4_LEGACY_CHUNK ? "bad block" :
			       "bad block, or one that decodes to more than 8 MiB", err, errlen);
	o->len += (size_t)n;
	if (o->len > o->limit)
		return outbuf_limit_error(o, err, errlen);
	return 0;
}

/*
 * Linux's lz4 format: the legacy magic, then chunks of (le32 compressed
 * size, lz4 block). A repeated magic starts a concatenated frame; a zero
 * size ends the data (padding).
 */
static int decompress_lz4(const uint8_t *in, size_t len, struct outbuf *o,
			  char *err, size_t errlen)
{
	struct reader r = { .p = in, .len = len, .pos = 4 };     /* magic checked by detection */

	while (r.pos < r.len) {
		uint32_t csize = rd_le32(&r);
		const uint8_t *block;

		if (r.over)
			return pv_elf_errf(err, errlen, "lz4 data is truncated (%zu stray bytes "
					   "after the last block)", r.len - r.pos);
		if (csize == LZ4_LEGACY_MAGIC)
			continue;
		if (csize == 0)
			break;
		if (csize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_CHUNK))
			return corrupt(o, "block larger than an 8 MiB chunk compresses to",
				       err, errlen);
		block = rd_take(&r, csize);
		if (!block)
			return truncated(o, err, errlen);
		if (lz4_block(block, csize, o, err, errlen))
			return -1;
	}
	return 0;
}

struct lzop_header {
	uint32_t flags;
	unsigned method;
};

static uint32_t lzop_checksum(bool crc, const uint8_t *p, size_t n)
{
	return crc ? (uint32_t)crc32(0, p, clamp_uint(n)) : (uint32_t)adler32(1, p, clamp_uint(n));
}

/* The lzop file header (lzop's own layout, which Linux's unlzo.c reads). */
static int lzop_read_header(struct reader *r, struct lzop_header *h, char *err, size_t errlen)
{
	unsigned version, namelen;
	size_t start, end;
	uint32_t sum;

	rd_take(r, LZOP_MAGIC_LEN);
	start = r->pos;
	version = rd_be16(r);
	rd_be16(r);                             /* library version */
	if (version >= 0x0940)
		rd_be16(r);                     /* version needed to extract */
	h->method = rd_u8(r);
	if (version >= 0x0940)
		rd_u8(r);                       /* level */
	h->flags = rd_be32(r);
	if (h->flags & LZOP_F_H_FILTER)
		return pv_elf_errf(err, errlen, "lzo data uses an lzop filter (not supported)");
	rd_be32(r);                             /* mode */
	rd_be32(r);                             /* mtime */
	if (version >= 0x0940)
		rd_be32(r);                     /* mtime, high word */
	namelen = rd_u8(r);
	rd_take(r, namelen);
	end = r->pos;
	sum = rd_be32(r);
	if (!r->over && sum != lzop_checksum(h->flags & LZOP_F_H_CRC32, r->p + start, end - start))
		return pv_elf_errf(err, errlen, "lzo data is corrupt (header checksum mismatch)");
	if (h->flags & LZOP_F_H_EXTRA_FIELD) {
		rd_take(r, rd_be32(r));
		rd_be32(r);                     /* its checksum */
	}
	if (r->over)
		return pv_elf_errf(err, errlen, "lzo data is truncated (in the header)");
	if (version < 0x0900)
		return pv_elf_errf(err, errlen, "lzo data is from an lzop too old (version %#x)",
				   version);
	if (h->method < LZOP_M_LZO1X_1 || h->method > LZOP_M_LZO1X_999)
		return pv_elf_errf(err, errlen, "lzo data uses method %u (only lzo1x is supported)",
				   h->method);
	return 0;
}

/* Checksums of one block: adler32 and/or crc32, as the header's flags say. */
struct lzop_sums {
	bool adler, crc;
	uint32_t adler_v, crc_v;
};

static void lzop_read_sums(struct reader *r, struct lzop_sums *s, bool adler, bool crc)
{
	s->adler = adler;
	s->crc = crc;
	s->adler_v = adler ? rd_be32(r) : 0;
	s->crc_v = crc ? rd_be32(r) : 0;
}

static bool lzop_sums_ok(const struct lzop_sums *s, const uint8_t *p, size_t n)
{
	return (!s->adler || lzop_checksum(false, p, n) == s->adler_v) &&
	       (!s->crc || lzop_checksum(true, p, n) == s->crc_v);
}

/* One block: be32 sizes, checksums, then lzo1x data (or stored, if not smaller). */
static int lzop_block(struct reader *r, const struct lzop_header *h, uint32_t dst_len,
		      struct outbuf *o, char *err, size_t errlen)
{
	uint32_t src_len = rd_be32(r);
	struct lzop_sums dsum, csum = { 0 };
	const uint8_t *src;
	lzo_uint n = dst_len;

	lzop_read_sums(r, &dsum, h->flags & LZOP_F_ADLER32_D, h->flags & LZOP_F_CRC32_D);
	if (src_len < dst_len)
		lzop_read_sums(r, &csum, h->flags & LZOP_F_ADLER32_C, h->flags & LZOP_F_CRC32_C);
	src = rd_take(r, src_len);
	if (!src)
		return truncated(o, err, errlen);
	if (src_len == 0 || src_len > dst_len)
		return corrupt(o, "bad block size", err, errlen);
	if (dst_len > o->limit - o->len)
		return outbuf_limit_error(o, err, errlen);
	if (outbuf_reserve(o, dst_len, err, errlen))
		return -1;
	if (!lzop_sums_ok(&csum, src, src_len))
		return corrupt(o, "compressed block checksum mismatch", err, errlen);
	if (src_len == dst_len)
		memcpy(o->buf + o->len, src, dst_len);
	else if (lzo1x_decompress_safe(src, src_len, o->buf + o->len, &n, NULL) != LZO_E_OK ||
		 n != dst_len)
		return corrupt(o, "bad lzo1x block", err, errlen);
	if (!lzop_sums_ok(&dsum, o->buf + o->len, dst_len))
		return corrupt(o, "block checksum mismatch", err, errlen);
	o->len += dst_len;
	return 0;
}

/* Linux's lzo format is an lzop file: header, blocks, a zero-length end block. */
static int decompress_lzo(const uint8_t *in, size_t len, struct outbuf *o,
			  char *err, size_t errlen)
{
	struct reader r = { .p = in, .len = len };
	struct lzop_header h;

	if (lzo_init() != LZO_E_OK)
		return pv_elf_errf(err, errlen, "liblzo2: initialisation failed");
	if (lzop_read_header(&r, &h, err, errlen))
		return -1;
	for (;;) {
		uint32_t dst_len = rd_be32(&r);

		if (r.over)
			return truncated(o, err, errlen);
		if (dst_len == 0)
			return 0;
		if (dst_len > LZOP_MAX_BLOCK)
			return corrupt(o, "block larger than 64 MiB", err, errlen);
		if (lzop_block(&r, &h, dst_len, o, err, errlen))
			return -1;
	}
}

/* ------------------------------------------------------------------ */

typedef int decompress_fn(const uint8_t *in, size_t len, struct outbuf *o,
			  char *err, size_t errlen);

static decompress_fn *const pv_decompressors[] = {
	[PV_COMP_GZIP] = decompress_gzip,
	[PV_COMP_BZIP2] = decompress_bzip2,
	[PV_COMP_LZMA] = decompress_lzma,
	[PV_COMP_XZ] = decompress_xz,
	[PV_COMP_LZO] = decompress_lzo,
	[PV_COMP_LZ4] = decompress_lz4,
	[PV_COMP_ZSTD] = decompress_zstd,
};

int pv_decompress(const uint8_t *in, size_t len, size_t limit, uint8_t **out,
		  size_t *out_len, char *err, size_t errlen)
{
	enum pv_comp c = pv_comp_detect(in, len);
	struct outbuf o = {
		.limit = limit < SIZE_MAX ? limit : SIZE_MAX - 1, .name = pv_comp_name(c),
	};
	uint8_t *shrunk;

	*out = NULL;
	*out_len = 0;
	if (c == PV_COMP_NONE)
		return pv_elf_errf(err, errlen, "not compressed data in a known format "
				   "(gzip, bzip2, lzma, xz, lzo, lz4, zstd)");
	if (pv_decompressors[c](in, len, &o, err, errlen)) {
		free(o.buf);
		return -1;
	}
	shrunk = realloc(o.buf, o.len ? o.len : 1);
	*out = shrunk ? shrunk : o.buf;
	*out_len = o.len;
	if (!*out)
		return pv_elf_errf(err, errlen, "out of memory");
	return 0;
}
