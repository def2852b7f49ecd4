/* test_bzimage.c — pv_kernel_unpack(): plain ELF, synthetic bzImages in every format, compressed ELF files, hostile headers. */
#define CHECK_SUITE "bzimage"
#include "pvboot/pvboot.h"
#include <asm/bootparam.h>
#include <stdlib.h>
#include "check.h"
#include "complib.h"
#include "elfbuild.h"
#include "bzbuild.h"

static char test_err[256];
static uint8_t *test_elf;
static size_t test_elf_size;
static uint8_t elf_img[1 << 16];
static size_t elf_len;

/* The ELF every image wraps: the elfbuild Linux-like 64-bit kernel. */
static void make_elf(void)
{
	struct eb_spec s;

	eb_linux64(&s);
	elf_len = eb_build(&s, elf_img, sizeof(elf_img), NULL);
}

/* A standard test bzImage of format c. */
static uint8_t *make_bzimage(enum pv_comp c, size_t *size)
{
	size_t plen;
	uint8_t *payload = make_payload(c, elf_img, elf_len, &plen), *img;
	struct bz b = {
		.setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
		.payload_offset = TEST_PM_PREFIX, .payload_length = -1,
		.payload = payload, .len = plen,
	};

	if (!payload)
		return NULL;
	img = bz_build(&b, size);
	free(payload);
	return img;
}

/* Unpack a copy of file held in a heap block of exactly len bytes. */
static int unpack(const uint8_t *file, size_t len, size_t limit, bool *same)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, file, len);
	free(test_elf);
	test_elf = NULL;
	memset(test_err, 0, sizeof(test_err));
	rc = pv_kernel_unpack(copy, len, limit, &test_elf, &test_elf_size, test_err,
			      sizeof(test_err));
	if (same)
		*same = test_elf == copy;
	if (test_elf != copy)
		free(copy);
	else
		test_elf = copy;        /* freed by the next call */
	return rc;
}

static bool got_the_elf(void)
{
	return test_elf && test_elf_size == elf_len && !memcmp(test_elf, elf_img, elf_len);
}

TEST(header_offsets_are_the_boot_protocol_ones)
{
	/* Documentation/arch/x86/boot.rst, "The real-mode kernel header". */
	CHECK_EQ(offsetof(struct boot_params, hdr), 0x1f1);
	CHECK_EQ(offsetof(struct boot_params, hdr.boot_flag), 0x1fe);
	CHECK_EQ(offsetof(struct boot_params, hdr.header), 0x202);
	CHECK_EQ(offsetof(struct boot_params, hdr.version), 0x206);
	CHECK_EQ(offsetof(struct boot_params, hdr.payload_offset), 0x248);
	CHECK_EQ(offsetof(struct boot_params, hdr.payload_length), 0x24c);
}

TEST(plain_elf_is_returned_as_it_is)
{
	bool same = false;

	CHECK_EQ(unpack(elf_img, elf_len, 1 << 20, &same), 0);
	CHECK(same);
	CHECK_EQ(test_elf_size, elf_len);
}

TEST(extracts_the_elf_from_a_bzimage_in_every_format)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t size;
		uint8_t *img = make_bzimage(cl_formats[i], &size);
		struct pv_kernel k;
		bool same = true;
		int rc;

		CHECK(img);
		rc = unpack(img, size, PV_DECOMP_DEFAULT_LIMIT, &same);
		free(img);
		if (rc)
			printf("    %s: %s\n", pv_comp_name(cl_formats[i]), test_err);
		CHECK_EQ(rc, 0);
		CHECK(!same);
		CHECK(got_the_elf());
		CHECK_EQ(pv_kernel_parse(test_elf, test_elf_size, &k, test_err, sizeof(test_err)), 0);
		CHECK_EQ(k.entry, 0xffffffff81000100ull);
	}
}

TEST(setup_sects_zero_means_four)
{
	size_t plen, size;
	uint8_t *p = make_payload(PV_COMP_XZ, elf_img, elf_len, &plen), *img;
	struct bz b = { .setup_sects = 0, .version = 0x0208, .payload_offset = TEST_PM_PREFIX,
			.payload_length = -1, .payload = p, .len = plen };

	CHECK(p);
	img = bz_build(&b, &size);
	free(p);
	CHECK_EQ(unpack(img, size, 1 << 20, NULL), 0);
	free(img);
	CHECK(got_the_elf());
}

TEST(payload_stored_uncompressed_is_copied)
{
	size_t size;
	struct bz b = { .setup_sects = 1, .version = 0x020f, .payload_offset = 0,
			.payload_length = -1, .payload = elf_img, .len = elf_len };
	uint8_t *img = bz_build(&b, &size);
	bool same = true;

	CHECK_EQ(unpack(img, size, 1 << 20, &same), 0);
	free(img);
	CHECK(!same);
	CHECK(got_the_elf());
	img = bz_build(&b, &size);
	CHECK_EQ(unpack(img, size, elf_len - 1, NULL), -1);
	free(img);
	CHECK_CONTAINS(test_err, "limit");
}

TEST(compressed_elf_files_are_decompressed)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t zlen;
		uint8_t *z = cl_compress(cl_formats[i], elf_img, elf_len, 0, &zlen);
		bool same = true;
		int rc;

		CHECK(z);
		rc = unpack(z, zlen, PV_DECOMP_DEFAULT_LIMIT, &same);
		free(z);
		CHECK_EQ(rc, 0);
		CHECK(!same);
		CHECK(got_the_elf());
	}
}

TEST(compressed_file_errors_name_the_format)
{
	size_t zlen;
	uint8_t *z = cl_compress(PV_COMP_GZIP, elf_img, elf_len, 0, &zlen);

	CHECK(z);
	CHECK_EQ(unpack(z, zlen - 3, 1 << 20, NULL), -1);
	CHECK_STR(test_err, "gzip-compressed kernel: gzip data is truncated");
	CHECK_EQ(unpack(z, zlen, 1000, NULL), -1);
	CHECK_STR(test_err, "gzip-compressed kernel: gzip data decompresses to more than "
		  "the 1000-byte limit");
	free(z);
	CHECK(test_elf == NULL);
}

TEST(compressed_file_that_is_not_elf_is_refused)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	size_t zlen;
	uint8_t *z = cl_compress(PV_COMP_BZIP2, (const uint8_t *)text, sizeof(text) - 1, 0, &zlen);

	CHECK(z);
	CHECK_EQ(unpack(z, zlen, 1 << 20, NULL), -1);
	free(z);
	CHECK_STR(test_err, "bzip2-compressed file is not an ELF kernel (decompressed, it starts "
		  "with 23 21 2f 62)");
	CHECK(test_elf == NULL);
}

TEST(other_files_are_not_an_elf_file)
{
	CHECK_EQ(unpack((const uint8_t *)"#!/bin/sh\n", 10, 1 << 20, NULL), -1);
	CHECK_STR(test_err, "not an ELF file, a bzImage or a compressed kernel "
		  "(it starts with 23 21 2f 62)");
	CHECK_EQ(unpack((const uint8_t *)"", 0, 1 << 20, NULL), -1);
	CHECK_STR(test_err, "not an ELF file, a bzImage or a compressed kernel (it is empty)");
	CHECK_EQ(unpack((const uint8_t *)"\x7f" "EL", 3, 1 << 20, NULL), -1);
	CHECK_CONTAINS(test_err, "not an ELF file");
}

/* Build a bzImage from b with the standard xz payload and unpack it. */
static int unpack_bz(struct bz *b)
{
	size_t plen, size;
	uint8_t *p = make_payload(PV_COMP_XZ, elf_img, elf_len, &plen), *img;
	int rc;

	if (!p)
		return -2;
	b->payload = p;
	b->len = plen;
	img = bz_build(b, &size);
	rc = unpack(img, size, PV_DECOMP_DEFAULT_LIMIT, NULL);
	free(img);
	free(p);
	return rc;
}

TEST(boot_protocol_older_than_2_08_is_refused)
{
	struct bz b = { .setup_sects = 4, .version = 0x0207, .payload_offset = TEST_PM_PREFIX,
			.payload_length = -1 };

	CHECK_EQ(unpack_bz(&b), -1);
	CHECK_STR(test_err, "bzImage boot protocol 2.07 is older than 2.08 and does not locate "
		  "its payload");
	b.version = 0x0208;
	CHECK_EQ(unpack_bz(&b), 0);
}

TEST(payload_outside_the_file_is_refused)
{
	static const struct { uint32_t off; int64_t len; } bad[] = {
		{ 0x10000000, -1 },             /* offset past the end */
		{ TEST_PM_PREFIX, 0x10000000 }, /* length past the end */
		{ 0xffffffff, 0xffffffff },     /* both wrap */
		{ TEST_PM_PREFIX + TEST_PM_SUFFIX + 1, -1 },    /* just past the end */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bz b = { .setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
				.payload_offset = bad[i].off, .payload_length = bad[i].len };
		CHECK_EQ(unpack_bz(&b), -1);
		CHECK_CONTAINS(test_err, "lies outside the");
	}
	/* setup_sects claims more setup than the file holds. */
	struct bz b = { .setup_sects = 255, .version = 0x020f, .payload_offset = 0,
			.payload_length = 0x100 };
	size_t size;
	uint8_t *img;

	b.payload = elf_img;
	b.len = 0x100;
	img = bz_build(&b, &size);
	CHECK_EQ(unpack(img, size - (255 + 1) * 512 + 4 * 512, 1 << 20, NULL), -1);
	free(img);
	CHECK_CONTAINS(test_err, "lies outside the");
}

TEST(payload_shorter_than_its_size_trailer_is_refused)
{
	struct bz b = { .setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
			.payload_offset = TEST_PM_PREFIX, .payload_length = 3 };

	CHECK_EQ(unpack_bz(&b), -1);
	CHECK_STR(test_err, "bzImage payload is only 3 bytes");
}

TEST(truncated_setup_header_is_refused)
{
	size_t size;
	uint8_t *img = make_bzimage(PV_COMP_XZ, &size);

	CHECK(img);
	CHECK_EQ(unpack(img, 0x230, 1 << 20, NULL), -1);
	free(img);
	CHECK_STR(test_err, "bzImage setup header is truncated");
}

TEST(size_trailer_must_match_the_decompressed_size)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		enum pv_comp c = cl_formats[i];
		size_t plen, size;
		uint8_t *p = make_payload(c, elf_img, elf_len, &plen), *img;
		struct bz b = { .setup_sects = 2, .version = 0x020c, .payload_offset = 0x40,
				.payload_length = -1, .payload = p, .len = plen };

		CHECK(p);
		if (c == PV_COMP_GZIP)
			p[plen - 1] ^= 0x10;    /* ISIZE itself: zlib notices first */
		else
			cl_put_le32(p + plen - 4, (uint32_t)elf_len + 1);
		img = bz_build(&b, &size);
		free(p);
		CHECK_EQ(unpack(img, size, PV_DECOMP_DEFAULT_LIMIT, NULL), -1);
		free(img);
		if (c == PV_COMP_GZIP) {
			CHECK_CONTAINS(test_err, "bzImage payload: gzip data is corrupt");
		} else {
			char want[128];
			snprintf(want, sizeof(want), "%s data decompressed to %zu bytes, but the "
				 "image records %zu", pv_comp_name(c), elf_len, elf_len + 1);
			CHECK_CONTAINS(test_err, want);
		}
	}
}

TEST(size_trailer_over_the_limit_is_refused_before_decompressing)
{
	size_t size;
	uint8_t *img = make_bzimage(PV_COMP_LZ4, &size);

	CHECK(img);
	CHECK_EQ(unpack(img, size, 1000, NULL), -1);
	free(img);
	CHECK_CONTAINS(test_err, "would decompress to");
	CHECK_CONTAINS(test_err, "over the 1000-byte limit");
}

TEST(payload_in_an_unknown_format_is_refused)
{
	static const uint8_t junk[64] = { 'M', 'Z', 0x90, 0 };
	struct bz b = { .setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
			.payload_offset = TEST_PM_PREFIX, .payload_length = -1,
			.payload = junk, .len = sizeof(junk) };
	size_t size;
	uint8_t *img = bz_build(&b, &size);

	CHECK_EQ(unpack(img, size, 1 << 20, NULL), -1);
	free(img);
	CHECK_STR(test_err, "bzImage payload is not in a known compression format "
		  "(it starts with 4d 5a 90 00)");
}

TEST(payload_that_is_not_elf_is_refused)
{
	static const char text[] = "MZ this is an EFI stub, not vmlinux";
	size_t plen, size;
	uint8_t *p = make_payload(PV_COMP_ZSTD, (const uint8_t *)text, sizeof(text), &plen), *img;
	struct bz b = { .setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
			.payload_offset = TEST_PM_PREFIX, .payload_length = -1,
			.payload = p, .len = plen };

	CHECK(p);
	img = bz_build(&b, &size);
	free(p);
	CHECK_EQ(unpack(img, size, 1 << 20, NULL), -1);
	free(img);
	CHECK_STR(test_err, "bzImage payload is not an ELF kernel (decompressed, it starts with "
		  "4d 5a 20 74)");
}

TEST(truncated_bzimages_are_refused_at_every_length)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t size;
		uint8_t *img = make_bzimage(cl_formats[i], &size);

		CHECK(img);
		/* Every cut up to the payload's end (what follows it is not needed). */
		for (size_t cut = 0; cut < size - TEST_PM_SUFFIX; cut += cut < 0x260 ? 1 : 7) {
			if (unpack(img, cut, 1 << 20, NULL) != -1 || test_elf || !test_err[0]) {
				printf("    %s cut at %zu: %s\n", pv_comp_name(cl_formats[i]), cut,
				       test_err);
				free(img);
				CHECK(0);
			}
		}
		free(img);
	}
}

TEST(corrupted_payloads_give_an_error_or_the_elf_checks_them)
{
	for (size_t i = 0; i < CL_NR_FORMATS; i++) {
		size_t size, start = 4 * 512 + TEST_PM_PREFIX;
		uint8_t *img = make_bzimage(cl_formats[i], &size);

		CHECK(img);
		for (size_t pos = start; pos < size - TEST_PM_SUFFIX; pos += 11) {
			img[pos] ^= 0xa5;
			/* Either an error, or an ELF the parser will check in turn. */
			if (unpack(img, size, 1 << 20, NULL) == 0 &&
			    (test_elf_size > (1 << 20) || memcmp(test_elf, ELFMAG, SELFMAG))) {
				free(img);
				CHECK(0);
			}
			img[pos] ^= 0xa5;
		}
		free(img);
	}
}

int main(void)
{
	make_elf();
	RUN(header_offsets_are_the_boot_protocol_ones);
	RUN(plain_elf_is_returned_as_it_is);
	RUN(extracts_the_elf_from_a_bzimage_in_every_format);
	RUN(setup_sects_zero_means_four);
	RUN(payload_stored_uncompressed_is_copied);
	RUN(compressed_elf_files_are_decompressed);
	RUN(compressed_file_errors_name_the_format);
	RUN(compressed_file_that_is_not_elf_is_refused);
	RUN(other_files_are_not_an_elf_file);
	RUN(boot_protocol_older_than_2_08_is_refused);
	RUN(payload_outside_the_file_is_refused);
	RUN(payload_shorter_than_its_size_trailer_is_refused);
	RUN(truncated_setup_header_is_refused);
	RUN(size_trailer_must_match_the_decompressed_size);
	RUN(size_trailer_over_the_limit_is_refused_before_decompressing);
	RUN(payload_in_an_unknown_format_is_refused);
	RUN(payload_that_is_not_elf_is_refused);
	RUN(truncated_bzimages_are_refused_at_every_length);
	RUN(corrupted_payloads_give_an_error_or_the_elf_checks_them);
	free(test_elf);
	return check_done();
}
