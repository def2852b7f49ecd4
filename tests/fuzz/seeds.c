/* seeds.c — write the fuzz targets' starting corpora (well-formed inputs) into DIR/<target>/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xen/io/xs_wire.h>
#include "backends/blkif_req.h"
#include "backends/netif_pkt.h"
#include "elfbuild.h"
#include "bzbuild.h"

static const char *root;

static void put(const char *target, const char *name, const void *a, size_t alen, const void *b, size_t blen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "seeds: mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) || fclose(f)) {
		fprintf(stderr, "seeds: writing %s failed\n", path);
		exit(1);
	}
}

static void kernels(void)
{
	static uint8_t elf[1 << 16];
	void (*kinds[])(struct eb_spec *) = { eb_linux64, eb_linux32_pae, eb_legacy32 };
	const char *names[] = { "linux64", "linux32-pae", "legacy32" };
	for (unsigned k = 0; k < 3; k++) {
		struct eb_spec s;
		kinds[k](&s);
		size_t len = eb_build(&s, elf, sizeof(elf), NULL);
		char name[64];
		snprintf(name, sizeof(name), "%s.elf", names[k]);
		put("kernel", name, elf, len, NULL, 0);
		if (k != 0)
			continue;
		/* The 64-bit one as bzImages in every format and as a gzip'd file. */
		for (unsigned i = 0; i < CL_NR_FORMATS; i++) {
			size_t plen, size;
			uint8_t *payload = make_payload(cl_formats[i], elf, len, &plen);
			struct bz b = { .setup_sects = TEST_SETUP_SECTS, .version = 0x020f,
					.payload_offset = TEST_PM_PREFIX, .payload_length = -1,
					.payload = payload, .len = plen };
			uint8_t *img = bz_build(&b, &size);
			snprintf(name, sizeof(name), "bzimage-%s", pv_comp_name(cl_formats[i]));
			put("kernel", name, img, size, NULL, 0);
			free(img);
			free(payload);
		}
		size_t zlen;
		uint8_t *z = cl_compress(PV_COMP_GZIP, elf, len, 0, &zlen);
		put("kernel", "linux64.elf.gz", z, zlen, NULL, 0);
		free(z);
	}
}

static void streams(void)
{
	uint8_t *data = cl_test_data(20000, 7);
	for (unsigned i = 0; i < CL_NR_FORMATS; i++) {
		size_t zlen;
		uint8_t *z = cl_compress(cl_formats[i], data, 20000, 4096, &zlen);
		uint8_t limit = 7;      /* 32 KiB: the stream fits */
		put("decompress", pv_comp_name(cl_formats[i]), &limit, 1, z, zlen);
		limit = 5;              /* 8 KiB: it does not */
		char name[64];
		snprintf(name, sizeof(name), "%s-too-big", pv_comp_name(cl_formats[i]));
		put("decompress", name, &limit, 1, z, zlen);
		free(z);
	}
	free(data);
}

static void blkif(void)
{
	union {
		struct blkif_request rw;
		struct blkif_request_discard discard;
		struct blkif_request_indirect ind;
		uint8_t bytes[112];
	} e;
	uint8_t page[4096] = { 0 };
	memset(&e, 0, sizeof(e));
	e.rw.operation = BLKIF_OP_READ;
	e.rw.nr_segments = 2;
	e.rw.id = 0x1234;
	e.rw.sector_number = 8;
	e.rw.seg[0] = (struct blkif_request_segment){ .gref = 9, .first_sect = 0, .last_sect = 7 };
	e.rw.seg[1] = (struct blkif_request_segment){ .gref = 10, .first_sect = 1, .last_sect = 3 };
	put("blkif", "read", &e, sizeof(e), NULL, 0);
	e.rw.operation = BLKIF_OP_WRITE;
	put("blkif", "write", &e, sizeof(e), NULL, 0);
	e.rw.operation = BLKIF_OP_FLUSH_DISKCACHE;
	e.rw.nr_segments = 0;
	put("blkif", "flush", &e, sizeof(e), NULL, 0);
	memset(&e, 0, sizeof(e));
	e.discard.operation = BLKIF_OP_DISCARD;
	e.discard.id = 5;
	e.discard.sector_number = 64;
	e.discard.nr_sectors = 128;
	put("blkif", "discard", &e, sizeof(e), NULL, 0);
	memset(&e, 0, sizeof(e));
	e.ind.operation = BLKIF_OP_INDIRECT;
	e.ind.indirect_op = BLKIF_OP_READ;
	e.ind.nr_segments = 40;
	e.ind.id = 6;
	e.ind.indirect_grefs[0] = 11;
	struct blkif_request_segment *s = (void *)page;
	for (unsigned i = 0; i < 40; i++)
		s[i] = (struct blkif_request_segment){ .gref = 20 + i, .first_sect = 0, .last_sect = 7 };
	/* The target reads the entry at its layout's size (the larger, x86_64); the page follows. */
	put("blkif", "indirect", &e, blkif_layout_x86_64.entry_size, page, sizeof(page));
}

static void netif(void)
{
	union net_tx_slot s[3];
	memset(s, 0, sizeof(s));
	uint8_t sel = 1;
	s[0].req = (struct netif_tx_request){ .gref = 3, .offset = 64, .flags = 0, .id = 1, .size = 60 };
	put("netif", "one-slot", &sel, 1, s, sizeof(s[0]));
	s[0].req = (struct netif_tx_request){ .gref = 3, .offset = 0, .id = 1, .size = 6000,
					      .flags = NETTXF_more_data | NETTXF_extra_info | NETTXF_csum_blank };
	s[1].extra.type = XEN_NETIF_EXTRA_TYPE_GSO;
	s[1].extra.u.gso.size = 1448;
	s[1].extra.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	s[2].req = (struct netif_tx_request){ .gref = 4, .offset = 0, .id = 2, .size = 2000 };
	put("netif", "gso-two-slots", &sel, 1, s, sizeof(s));
	/* Ethernet, IPv4 (ihl 5), TCP with a 20-byte header, some payload. */
	uint8_t f[14 + 20 + 20 + 16] = { 0 };
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = sizeof(f) - 14;
	f[22] = 64;
	f[23] = 6;
	f[14 + 20 + 12] = 5 << 4;
	sel = 0;
	put("netif", "tcp4-frame", &sel, 1, f, sizeof(f));
	/* Ethernet, IPv6, UDP. */
	uint8_t g[14 + 40 + 8 + 8] = { 0 };
	g[12] = 0x86;
	g[13] = 0xdd;
	g[14] = 0x60;
	g[19] = 16;
	g[20] = 17;
	g[21] = 64;
	put("netif", "udp6-frame", &sel, 1, g, sizeof(g));
}

/* One message in fuzz_xenstore's framing: [who][type][tx][len lo][len hi] payload. */
static size_t msg(uint8_t *at, int who, unsigned type, const char *payload, size_t len)
{
	at[0] = (uint8_t)who;
	at[1] = (uint8_t)type;
	at[2] = 0;
	at[3] = (uint8_t)len;
	at[4] = (uint8_t)(len >> 8);
	memcpy(at + 5, payload, len);
	return 5 + len;
}

static void xenstore(void)
{
	uint8_t buf[2048];
	size_t n = 0;
	buf[n++] = 0;   /* messages */
	n += msg(buf + n, 0, XS_READ, "name", 5);
	n += msg(buf + n, 0, XS_WRITE, "data/x\0hello", 12);
	n += msg(buf + n, 0, XS_DIRECTORY, "/local/domain/5", 16);
	n += msg(buf + n, 0, XS_WATCH, "device\0tok", 11);
	n += msg(buf + n, 1, XS_SET_PERMS, "/local/domain/5/data/x\0n5\0r0", 29);
	n += msg(buf + n, 0, XS_GET_PERMS, "data/x", 7);
	n += msg(buf + n, 0, XS_TRANSACTION_START, "", 1);
	n += msg(buf + n, 0, XS_RM, "data/x", 7);
	n += msg(buf + n, 0, XS_TRANSACTION_END, "T", 2);
	n += msg(buf + n, 1, XS_DIRECTORY_PART, "/local/domain\0" "0", 16);
	n += msg(buf + n, 0, XS_GET_DOMAIN_PATH, "5", 2);
	n += msg(buf + n, 0, XS_RESET_WATCHES, "", 1);
	put("xenstore", "messages", buf, n, NULL, 0);
	/* The ring: one READ request in the request area, indices from the short-input rule. */
	n = 0;
	buf[n++] = 1;
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = 5 };
	memcpy(buf + n, &h, sizeof(h));
	n += sizeof(h);
	memcpy(buf + n, "name", 5);
	n += 5;
	put("xenstore", "ring-read", buf, n, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) && errno != EEXIST) {
		fprintf(stderr, "seeds: mkdir %s: %s\n", root, strerror(errno));
		return 1;
	}
	kernels();
	streams();
	blkif();
	netif();
	xenstore();
	return 0;
}
