/* mkbadkernel.c — write one good or deliberately broken Xen PV kernel image for the CLI tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfbuild.h"

static uint8_t mk_image[1 << 16];

struct mk_kind {
	const char *name;
	const char *what;
};

static const struct mk_kind mk_kinds[] = {
	{ "notelf",         "a shell script, not ELF" },
	{ "truncated",      "the first 40 bytes of a valid 64-bit kernel" },
	{ "nonotes",        "a 64-bit ELF executable without Xen notes" },
	{ "entry-outside",  "ENTRY points past the end of the image" },
	{ "unaligned-base", "VIRT_BASE is not page aligned" },
	{ "overlap",        "two PT_LOAD segments overlap" },
	{ "nonpae32",       "a valid 32-bit kernel with PAE_MODE \"no\"" },
	{ "large",          "a valid 64-bit kernel with 64 MiB of bss" },
	{ "valid64",        "a valid 64-bit kernel" },
	{ "valid32",        "a valid 32-bit PAE kernel" },
};

/* Build the spec for a kind; returns how many bytes of the image to write (0 = all). */
static size_t mk_spec(const char *kind, struct eb_spec *s)
{
	eb_linux64(s);
	if (!strcmp(kind, "truncated"))
		return 40;
	if (!strcmp(kind, "nonotes"))
		s->notes_where = EB_NOTES_NOWHERE;
	else if (!strcmp(kind, "entry-outside"))
		eb_set_num(s, XEN_ELFNOTE_ENTRY, 0xffffffff81100000ull);
	else if (!strcmp(kind, "unaligned-base"))
		eb_set_num(s, XEN_ELFNOTE_VIRT_BASE, 0xffffffff80000200ull);
	else if (!strcmp(kind, "overlap"))
		s->seg[1].paddr = 0x1001000;
	else if (!strcmp(kind, "nonpae32")) {
		eb_linux32_pae(s);
		eb_set_str(s, XEN_ELFNOTE_PAE_MODE, "no");
	} else if (!strcmp(kind, "large"))
		s->seg[1].memsz = 64 << 20;
	else if (!strcmp(kind, "valid32"))
		eb_linux32_pae(s);
	return 0;
}

static int mk_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static void mk_usage(void)
{
	fprintf(stderr, "usage: mkbadkernel KIND FILE\nkinds:\n");
	for (size_t i = 0; i < sizeof(mk_kinds) / sizeof(mk_kinds[0]); i++)
		fprintf(stderr, "  %-15s %s\n", mk_kinds[i].name, mk_kinds[i].what);
}

int main(int argc, char **argv)
{
	static const char script[] = "#!/bin/sh\necho this is not a kernel\n";
	struct eb_spec s;
	size_t known = 0, len, cut;

	if (argc != 3) {
		mk_usage();
		return 2;
	}
	for (size_t i = 0; i < sizeof(mk_kinds) / sizeof(mk_kinds[0]); i++)
		known |= !strcmp(argv[1], mk_kinds[i].name);
	if (!known) {
		mk_usage();
		return 2;
	}
	if (!strcmp(argv[1], "notelf"))
		return mk_write(argv[2], script, sizeof(script) - 1);

	cut = mk_spec(argv[1], &s);
	len = eb_build(&s, mk_image, sizeof(mk_image), NULL);
	if (!len) {
		fprintf(stderr, "mkbadkernel: image for %s does not fit\n", argv[1]);
		return 1;
	}
	return mk_write(argv[2], mk_image, cut && cut < len ? cut : len);
}
