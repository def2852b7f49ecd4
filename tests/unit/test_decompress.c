/* test_decompress.c — pv_decompress(): every kernel compression format, round trips and hostile input. */
#define CHECK_SUITE "decompress"
#include "pvboot/decompress.h"
#include <stdlib.h>
#include "check.h"
#include "complib.h"
#include "decompress_fixtures.h"

static char test_err[256];
static uint8_t test_sentinel;   /* pv_decompress must overwrite *out */
static uint8_t *test_out;
static size_t test_out_len;

/*
 * Decompress a copy of in held in a heap block of exactly len bytes (so
 * ASan sees any overread); the result stays in test_out/test_out_len.
 */
static int dec(const uint8_t *in, size_t len, size_t limit)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, in, len);
	if (test_out != &test_sentinel)
		free(test_out);
	test_out = &test_sentinel;
	test_out_len = 12345;
	memset(test_err, 0, sizeof(test_err));
	rc = pv_decompress(copy, len, limit, &test_out, &test_out_len, test_err, sizeof(test_err));
	free(copy);
	return rc;
}

static bool out_is(const uint8_t *want, size_t len)
{
	return test_out && test_out_len == len && !memcmp(test_out, want, len);
}

/* A compressed copy of data in format c (small blocks for lzo/lz4 if `block`). */
struct sample {
	uint8_t *data, *z;
	size_t len, zlen;
};

static bool sample_make(struct sample *s, enum pv_comp c, size_t len, size_t block, uint32_t seed)
{
	s->len = len;
	s->data = cl_test_data(len, seed);
	s->z = cl_compress(c, s->data, len, block, &s->zlen);
	return s->data && s->z;
}

static void sample_free(struct sample *s)
{
	free(s->data);
	free(s->z);
}

/* Append `extra` bytes to a compressed stream (a new buffer). */
static uint8_t *with_tail(const uint8_t *z, size_t zlen, const void *extra, size_t n)
{
	uint8_t *p = malloc(zlen + n);

	memcpy(p, z, zlen);
	memcpy(p + zlen, extra, n);
	return p;
}

TEST(detects_each_format_by_magic)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8 }, bz[] = "BZh9", lzma[] = { 0x5d, 0, 0, 0x80 },
		xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 }, lz4[] = { 0x02, 0x21, 0x4c, 0x18 },
		zst[] = { 0x28, 0xb5, 0x2f, 0xfd }, elf[] = { 0x7f, 'E', 'L', 'F' };

	CHECK_EQ(pv_comp_detect(gz, sizeof(gz)), PV_COMP_GZIP);
	CHECK_EQ(pv_comp_detect(bz, 3), PV_COMP_BZIP2);
	CHECK_EQ(pv_comp_detect(lzma, sizeof(lzma)), PV_COMP_LZMA);
	CHECK_EQ(pv_comp_detect(xz, sizeof(xz)), PV_COMP_XZ);
	CHECK_EQ(pv_comp_detect(fx_lzop, sizeof(fx_lzop)), PV_COMP_LZO);
	CHECK_EQ(pv_comp_detect(lz4, sizeof(lz4)), PV_COMP_LZ4);
	CHECK_EQ(pv_comp_detect(zst, sizeof(zst)), PV_COMP_ZSTD);
	CHECK_EQ(pv_comp_detect(elf, sizeof(elf)), PV_COMP_NONE);
	CHECK_EQ(pv_comp_detect(xz, 5), PV_COMP_NONE);           /* magic cut short */
	CHECK_EQ(pv_comp_detect(fx_lzop, 8), PV_COMP_NONE);
	CHECK_EQ(pv_comp_detect(NULL, 0), PV_COMP_NONE);
	CHECK_STR(pv_comp_name(PV_COMP_LZ4), "lz4");
	CHECK_STR(pv_comp_name(PV_COMP_NONE), "unknown");
}

TEST(round_trips_every_format)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		struct sample s;
		enum pv_comp c = cl_formats[i];
		bool ok = sample_make(&s, c, (1 << 20) + 123, 0, (uint32_t)i);

		if (!ok || pv_comp_detect(s.z, s.zlen) != c) {
			printf("    %s: compressor failed\n", pv_comp_name(c));
			sample_free(&s);
			CHECK(0);
		}
		int rc = dec(s.z, s.zlen, PV_DECOMP_DEFAULT_LIMIT);
		if (rc)
			printf("    %s: %s\n", pv_comp_name(c), test_err);
		ok = rc == 0 && out_is(s.data, s.len);
		sample_free(&s);
		CHECK(ok);
	}
}

TEST(round_trips_empty_data)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t zlen;
		uint8_t *z = cl_compress(cl_formats[i], (const uint8_t *)"", 0, 0, &zlen);
		int rc;

		CHECK(z);
		rc = dec(z, zlen, 100);
		free(z);
		CHECK_EQ(rc, 0);
		CHECK(test_out != NULL);
		CHECK_EQ(test_out_len, 0);
	}
}

/* The same 3200 bytes the fixtures hold. */
static size_t fixture_text(uint8_t *buf)
{
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf((char *)buf + n, "xen pv kernel fixture line %04d\n", i);
	return n;
}

TEST(decodes_files_from_the_real_lzop_and_lz4_tools)
{
	uint8_t want[4096];
	size_t n = fixture_text(want);

	CHECK_EQ(n, 3200);
	CHECK_EQ(dec(fx_lzop, sizeof(fx_lzop), 1 << 20), 0);
	CHECK(out_is(want, n));
	CHECK_EQ(dec(fx_lzop_crc32, sizeof(fx_lzop_crc32), 1 << 20), 0);
	CHECK(out_is(want, n));
	CHECK_EQ(dec(fx_lz4_legacy, sizeof(fx_lz4_legacy), 1 << 20), 0);
	CHECK(out_is(want, n));
}

TEST(lz4_legacy_chunks_of_8_mib)
{
	struct sample s;
	bool ok = sample_make(&s, PV_COMP_LZ4, (17u << 20) + 5, 0, 7);

	CHECK(ok);
	ok = dec(s.z, s.zlen, PV_DECOMP_DEFAULT_LIMIT) == 0 && out_is(s.data, s.len);
	/* Limits around a chunk boundary. */
	ok = ok && dec(s.z, s.zlen, (8u << 20) - 1) == -1 && strstr(test_err, "limit");
	ok = ok && dec(s.z, s.zlen, 8u << 20) == -1 && strstr(test_err, "limit");
	ok = ok && dec(s.z, s.zlen, s.len - 1) == -1 && strstr(test_err, "limit");
	ok = ok && dec(s.z, s.zlen, s.len) == 0 && out_is(s.data, s.len);
	sample_free(&s);
	CHECK(ok);
}

TEST(lz4_concatenated_legacy_frames_are_joined)
{
	struct sample a, b;
	bool ok = sample_make(&a, PV_COMP_LZ4, 5000, 0, 1) && sample_make(&b, PV_COMP_LZ4, 7000, 0, 2);
	uint8_t *both = ok ? with_tail(a.z, a.zlen, b.z, b.zlen) : NULL;
	uint8_t *want = ok ? with_tail(a.data, a.len, b.data, b.len) : NULL;

	ok = ok && dec(both, a.zlen + b.zlen, 1 << 20) == 0 && out_is(want, a.len + b.len);
	free(both);
	free(want);
	sample_free(&a);
	sample_free(&b);
	CHECK(ok);
}

/*
 * Is a cut of an lz4 stream at `cut` bytes on a chunk boundary? The legacy
 * format has no end marker, so such a cut is a valid shorter stream.
 */
static bool lz4_chunk_boundary(const uint8_t *z, size_t zlen, size_t cut)
{
	size_t pos = 4;

	while (pos < cut && pos + 4 <= zlen)
		pos += 4 + ((size_t)z[pos] | (size_t)z[pos + 1] << 8 | (size_t)z[pos + 2] << 16 |
			    (size_t)z[pos + 3] << 24);
	return pos == cut;
}

/* The cut lengths tried: every one near both ends, every 53rd in between. */
static bool cut_tried(size_t cut, size_t zlen)
{
	return cut < 48 || zlen - cut <= 48 || cut % 53 == 0;
}

TEST(truncated_input_is_an_error_at_every_length)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		enum pv_comp c = cl_formats[i];
		struct sample s;
		bool ok = sample_make(&s, c, 40000, 8192, 100 + (uint32_t)i);

		CHECK(ok);
		for (size_t cut = 0; ok && cut < s.zlen; cut++) {
			if (!cut_tried(cut, s.zlen))
				continue;
			int rc = dec(s.z, cut, PV_DECOMP_DEFAULT_LIMIT);
			if (rc == 0 && c == PV_COMP_LZ4 && lz4_chunk_boundary(s.z, s.zlen, cut)) {
				ok = test_out_len < s.len && out_is(s.data, test_out_len);
				continue;
			}
			if (rc == 0 || test_out != NULL || !test_err[0]) {
				printf("    %s cut at %zu of %zu: rc %d, %zu bytes out\n",
				       pv_comp_name(c), cut, s.zlen, rc, test_out_len);
				ok = false;
			}
		}
		sample_free(&s);
		CHECK(ok);
	}
}

TEST(truncation_says_truncated)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		struct sample s;
		bool ok = sample_make(&s, cl_formats[i], 40000, 8192, 3);
		int rc = ok ? dec(s.z, s.zlen - 10, PV_DECOMP_DEFAULT_LIMIT) : 0;

		sample_free(&s);
		CHECK(ok);
		CHECK_EQ(rc, -1);
		CHECK_CONTAINS(test_err, pv_comp_name(cl_formats[i]));
		CHECK_CONTAINS(test_err, "truncated");
	}
}

/* Formats whose data is checksummed end to end (lz4 legacy and lzma are not). */
static bool checksummed(enum pv_comp c)
{
	return c != PV_COMP_LZ4 && c != PV_COMP_LZMA;
}

TEST(corrupted_bytes_are_caught_or_harmless)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		enum pv_comp c = cl_formats[i];
		struct sample s;
		bool ok = sample_make(&s, c, 40000, 8192, 200 + (uint32_t)i);

		CHECK(ok);
		for (size_t pos = 16; ok && pos < s.zlen; pos += pos < 120 ? 1 : 41) {
			s.z[pos] ^= 0x55;
			int rc = dec(s.z, s.zlen, 4 * s.len);
			s.z[pos] ^= 0x55;
			if (rc == 0 && (checksummed(c) || test_out_len > 4 * s.len)) {
				printf("    %s: byte %zu of %zu corrupted, no error (%zu bytes out)\n",
				       pv_comp_name(c), pos, s.zlen, test_out_len);
				ok = false;
			}
			if (rc && (test_out || !test_err[0]))
				ok = false;
		}
		sample_free(&s);
		CHECK(ok);
	}
}

TEST(output_limit_is_enforced)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		enum pv_comp c = cl_formats[i];
		struct sample s;
		bool ok = sample_make(&s, c, 300000, 65536, 300 + (uint32_t)i);
		static const size_t under[] = { 0, 1, 4096, 65535, 65536, 150000, 299999 };

		CHECK(ok);
		for (size_t j = 0; ok && j < sizeof(under) / sizeof(under[0]); j++) {
			if (dec(s.z, s.zlen, under[j]) != -1 || test_out ||
			    !strstr(test_err, "limit") || !strstr(test_err, pv_comp_name(c))) {
				printf("    %s limit %zu: %s\n", pv_comp_name(c), under[j], test_err);
				ok = false;
			}
		}
		ok = ok && dec(s.z, s.zlen, s.len) == 0 && out_is(s.data, s.len);
		sample_free(&s);
		CHECK(ok);
	}
}

TEST(decompression_bomb_stops_at_the_limit)
{
	size_t len = 32u << 20;
	uint8_t *zeros = calloc(1, len);

	CHECK(zeros);
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t zlen;
		uint8_t *z;
		int rc;

		if (cl_formats[i] == PV_COMP_LZO)
			continue;       /* lzo1x-999 on 32 MiB is slow; lzo is covered below */
		z = cl_compress(cl_formats[i], zeros, len, 0, &zlen);
		CHECK(z);
		rc = dec(z, zlen, 1 << 20);
		free(z);
		CHECK_EQ(rc, -1);
		CHECK_CONTAINS(test_err, "more than the 1 MiB limit");
	}
	free(zeros);
}

TEST(odd_limits_are_reported_in_bytes)
{
	struct sample s;
	bool ok = sample_make(&s, PV_COMP_GZIP, 5000, 0, 4);
	int rc = ok ? dec(s.z, s.zlen, 1000) : 0;

	sample_free(&s);
	CHECK_EQ(rc, -1);
	CHECK_STR(test_err, "gzip data decompresses to more than the 1000-byte limit");
}

TEST(data_after_the_stream_is_ignored)
{
	/* A bzImage's size trailer, initramfs-style zero padding, then junk. */
	static const uint8_t tail[] = { 0x40, 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'j', 'u', 'n', 'k',
					0x1f, 0x8b, 8, 0, 'B', 'Z', 'h' };

	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		enum pv_comp c = cl_formats[i];
		struct sample s;
		bool ok = sample_make(&s, c, 40000, 8192, 5);
		uint8_t *z;
		int rc;

		CHECK(ok);
		if (c == PV_COMP_LZ4) {         /* no end marker: a zero chunk size ends it */
			z = with_tail(s.z, s.zlen, tail + 4, sizeof(tail) - 4);
			rc = dec(z, s.zlen + sizeof(tail) - 4, 1 << 20);
		} else {
			z = with_tail(s.z, s.zlen, tail, sizeof(tail));
			rc = dec(z, s.zlen + sizeof(tail), 1 << 20);
		}
		if (rc)
			printf("    %s: %s\n", pv_comp_name(c), test_err);
		ok = rc == 0 && out_is(s.data, s.len);
		free(z);
		sample_free(&s);
		CHECK(ok);
	}
}

TEST(lz4_stray_bytes_after_the_last_block_are_an_error)
{
	struct sample s;
	bool ok = sample_make(&s, PV_COMP_LZ4, 40000, 0, 6);
	static const uint8_t size_trailer[4] = { 0x40, 0x9c, 0, 0 };

	for (size_t n = 1; ok && n <= 4; n++) {
		uint8_t *z = with_tail(s.z, s.zlen, size_trailer, n);

		ok = dec(z, s.zlen + n, 1 << 20) == -1 && strstr(test_err, "lz4") &&
		     strstr(test_err, n < 4 ? "truncated" : "lz4 data is");
		free(z);
	}
	sample_free(&s);
	CHECK(ok);
}

TEST(unknown_data_is_not_compressed_data)
{
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };

	CHECK_EQ(dec((const uint8_t *)"", 0, 100), -1);
	CHECK_CONTAINS(test_err, "not compressed data in a known format");
	CHECK(test_out == NULL);
	CHECK_EQ(dec((const uint8_t *)"\x1f", 1, 100), -1);
	CHECK_EQ(dec((const uint8_t *)"hello, world", 12, 100), -1);
	CHECK_EQ(dec(elf, sizeof(elf), 100), -1);
	CHECK_CONTAINS(test_err, "not compressed data");
}

TEST(magic_followed_by_garbage_is_an_error)
{
	static const uint8_t magics[][9] = {
		{ 0x1f, 0x8b }, { 'B', 'Z', 'h' }, { 0x5d, 0 }, { 0xfd, '7', 'z', 'X', 'Z', 0 },
		{ 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a, 0x0a }, { 0x02, 0x21, 0x4c, 0x18 },
		{ 0x28, 0xb5, 0x2f, 0xfd },
	};
	static const unsigned lens[] = { 2, 3, 2, 6, 9, 4, 4 };
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (unsigned fill = 0; fill < 3; fill++) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = fill == 0 ? 0xff : fill == 1 ? (uint8_t)(j * 37 + 11) : 0x41;
			memcpy(buf, magics[i], lens[i]);
			CHECK(pv_comp_detect(buf, sizeof(buf)) != PV_COMP_NONE);
			CHECK_EQ(dec(buf, sizeof(buf), 1 << 20), -1);
			CHECK(test_err[0]);
		}
	}
}

TEST(lz4_hostile_chunk_sizes)
{
	uint8_t buf[16] = { 0x02, 0x21, 0x4c, 0x18 };

	cl_put_le32(buf + 4, 0x7fffffffu);
	CHECK_EQ(dec(buf, sizeof(buf), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "lz4 data is corrupt");
	cl_put_le32(buf + 4, 100);                      /* more than is there */
	CHECK_EQ(dec(buf, sizeof(buf), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "truncated");
}

/* The fixture with its header patched and the header checksum redone. */
static uint8_t *lzop_patched(size_t off, uint8_t val)
{
	uint8_t *z = with_tail(fx_lzop, sizeof(fx_lzop), "", 0);
	size_t hdr_end = 34;                            /* name length 0, checksum at 34 */

	z[off] = val;
	cl_put_be32(z + hdr_end, (uint32_t)adler32(1, z + 9, (uInt)(hdr_end - 9)));
	return z;
}

TEST(lzo_rejects_bad_headers_and_blocks)
{
	uint8_t *z = with_tail(fx_lzop, sizeof(fx_lzop), "", 0);

	CHECK_EQ(fx_lzop[33], 0);                       /* the name length byte */
	z[30] ^= 1;                                     /* mtime: covered by the header checksum */
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "header checksum");
	free(z);

	z = lzop_patched(20, 0x0d | 0x00);              /* a control: flags unchanged */
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), 0);
	free(z);
	z = lzop_patched(19, 0x08);                     /* F_H_FILTER */
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "filter");
	free(z);
	z = lzop_patched(15, 7);                        /* method */
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "method 7");
	free(z);

	/* First block: dst_len at 38. Huge, and larger than the limit. */
	z = with_tail(fx_lzop, sizeof(fx_lzop), "", 0);
	cl_put_be32(z + 38, 0xffffffffu);
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "larger than 64 MiB");
	cl_put_be32(z + 38, 60u << 20);
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	CHECK_CONTAINS(test_err, "limit");
	/* src_len larger than dst_len. */
	cl_put_be32(z + 38, 3200);
	cl_put_be32(z + 42, 3201);
	CHECK_EQ(dec(z, sizeof(fx_lzop), 1 << 20), -1);
	free(z);
}

TEST(lzma_dictionary_beyond_the_memory_limit_is_refused)
{
	struct sample s;
	bool ok = sample_make(&s, PV_COMP_LZMA, 10000, 0, 8);
	int rc;

	CHECK(ok);
	s.z[2] = s.z[3] = s.z[4] = 0xff;                /* dictionary size (byte 1 is magic) */
	rc = dec(s.z, s.zlen, 1 << 20);
	sample_free(&s);
	CHECK_EQ(rc, -1);
	CHECK_CONTAINS(test_err, "lzma data needs more than 256 MiB of decoder memory");
}

TEST(zstd_window_beyond_128_mib_is_refused)
{
	/* A hand-made frame: no content size, window descriptor, one raw block "hello". */
	uint8_t frame[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x29, 0, 0, 'h', 'e', 'l', 'l', 'o' };

	CHECK_EQ(dec(frame, sizeof(frame), 100), 0);            /* window 2^21 */
	CHECK(out_is((const uint8_t *)"hello", 5));
	frame[5] = 0x90;                                        /* window 2^28 */
	CHECK_EQ(dec(frame, sizeof(frame), 100), -1);
	CHECK_STR(test_err, "zstd data needs a window of more than 128 MiB");
}

int main(void)
{
	RUN(detects_each_format_by_magic);
	RUN(round_trips_every_format);
	RUN(round_trips_empty_data);
	RUN(decodes_files_from_the_real_lzop_and_lz4_tools);
	RUN(lz4_legacy_chunks_of_8_mib);
	RUN(lz4_concatenated_legacy_frames_are_joined);
	RUN(truncated_input_is_an_error_at_every_length);
	RUN(truncation_says_truncated);
	RUN(corrupted_bytes_are_caught_or_harmless);
	RUN(output_limit_is_enforced);
	RUN(decompression_bomb_stops_at_the_limit);
	RUN(odd_limits_are_reported_in_bytes);
	RUN(data_after_the_stream_is_ignored);
	RUN(lz4_stray_bytes_after_the_last_block_are_an_error);
	RUN(unknown_data_is_not_compressed_data);
	RUN(magic_followed_by_garbage_is_an_error);
	RUN(lz4_hostile_chunk_sizes);
	RUN(lzo_rejects_bad_headers_and_blocks);
	RUN(lzma_dictionary_beyond_the_memory_limit_is_refused);
	RUN(zstd_window_beyond_128_mib_is_refused);
	if (test_out != &test_sentinel)
		free(test_out);
	return check_done();
}
