/* test_blkif.c — blkif requests in the x86_64 and i386 layouts: decoding, checks, responses. */
#define CHECK_SUITE "blkif"
#include "check.h"

#include "backends/blkif_req.h"

/*
 * The i386 layout written down by hand from the i386 ABI (uint64_t aligned
 * to 4 in structures), independently of blkif_layout32.c, which derives it
 * from xen/io/blkif.h: request {op 0, nr 1, handle 2, id 4, sector 12,
 * seg 20 (8 bytes each)}, 108 bytes; discard {.., id 4, sector 12,
 * nr_sectors 20}; indirect {op 0, indirect_op 1, nr_segments 2, id 4,
 * sector 12, handle 20, grefs 24}; response {id 0, op 8, status 10}.
 */
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

TEST(layouts_match_the_abis)
{
	const struct blkif_layout *a = &blkif_layout_x86_64, *b = &blkif_layout_x86_32;
	CHECK_EQ(a->entry_size, 112);
	CHECK_EQ(b->entry_size, 108);
	CHECK_EQ(a->nr_entries, 32);
	CHECK_EQ(b->nr_entries, 32);
	CHECK_EQ(a->ring_offset, 64);
	CHECK_EQ(b->ring_offset, 64);
	CHECK_EQ(a->id, 8);
	CHECK_EQ(b->id, 4);
	CHECK_EQ(b->sector_number, 12);
	CHECK_EQ(b->seg, 20);
	CHECK_EQ(b->discard_nr_sectors, 20);
	CHECK_EQ(b->ind_handle, 20);
	CHECK_EQ(b->ind_grefs, 24);
	CHECK_EQ(a->ind_grefs, 28);
	CHECK_EQ(b->rsp_operation, 8);
	CHECK_EQ(b->rsp_status, 10);
	CHECK(blkif_layout_find("x86_64-abi") == a);
	CHECK(blkif_layout_find("x86_32-abi") == b);
	CHECK(blkif_layout_find("arm-abi") == NULL);
	CHECK(blkif_layout_find("") == NULL);
}

TEST(native_read_request_decodes)
{
	struct blkif_request req = {
		.operation = BLKIF_OP_READ, .nr_segments = 2, .handle = 51712,
		.id = 0x1122334455667788ull, .sector_number = 4096,
		.seg = { { .gref = 77, .first_sect = 0, .last_sect = 7 },
			 { .gref = 78, .first_sect = 2, .last_sect = 3 } },
	};
	struct blk_req r;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, &req, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.op, BLKIF_OP_READ);
	CHECK_EQ(r.id, 0x1122334455667788ull);
	CHECK_EQ(r.sector, 4096);
	CHECK_EQ(r.nr_segs, 2);
	CHECK_EQ(r.seg[1].gref, 78);
	CHECK_EQ(r.seg[1].first_sect, 2);
	CHECK_EQ(r.seg[1].last_sect, 3);
	uint64_t n;
	CHECK_EQ(blk_segs_check(r.seg, r.nr_segs, &n), BLKIF_RSP_OKAY);
	CHECK_EQ(n, 10);
}

TEST(i386_write_request_decodes)
{
	uint8_t e[108] = { BLKIF_OP_WRITE, 3 };
	put64(e + 4, 0xdeadbeefcafef00dull);
	put64(e + 12, 123456789);
	for (unsigned i = 0; i < 3; i++) {
		put32(e + 20 + 8 * i, 100 + i);
		e[20 + 8 * i + 4] = (uint8_t)i;
		e[20 + 8 * i + 5] = 7;
	}
	struct blk_req r;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.op, BLKIF_OP_WRITE);
	CHECK_EQ(r.id, 0xdeadbeefcafef00dull);
	CHECK_EQ(r.sector, 123456789);
	CHECK_EQ(r.nr_segs, 3);
	CHECK_EQ(r.seg[2].gref, 102);
	CHECK_EQ(r.seg[2].first_sect, 2);
	uint64_t n;
	CHECK_EQ(blk_segs_check(r.seg, r.nr_segs, &n), BLKIF_RSP_OKAY);
	CHECK_EQ(n, 8 + 7 + 6);
}

TEST(segment_counts_are_checked)
{
	uint8_t e[112] = { BLKIF_OP_READ, 0 };
	struct blk_req r;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_ERROR);
	e[0] = BLKIF_OP_WRITE;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_ERROR);
	e[1] = 12;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_ERROR);
	e[1] = 255;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);
	e[1] = 11;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_OKAY);
	/* A flush or barrier may carry no data. */
	e[0] = BLKIF_OP_FLUSH_DISKCACHE;
	e[1] = 0;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_OKAY);
	e[0] = BLKIF_OP_WRITE_BARRIER;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_OKAY);
	e[1] = 12;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);
}

TEST(unknown_operations_are_not_supported_and_keep_their_id)
{
	for (unsigned op = 0; op < 256; op++) {
		if (op <= BLKIF_OP_DISCARD && op != BLKIF_OP_RESERVED_1)
			continue;
		if (op == BLKIF_OP_INDIRECT)
			continue;
		uint8_t e[112] = { (uint8_t)op, 1 };
		put64(e + 8, 42 + op);
		struct blk_req r;
		CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_EOPNOTSUPP);
		CHECK_EQ(r.id, 42 + op);
		CHECK_EQ(r.op, op);
	}
}

TEST(segments_inside_a_page_only)
{
	struct blk_seg s[3] = { { 1, 0, 7 }, { 2, 4, 3 }, { 3, 0, 8 } };
	uint64_t n;
	CHECK_EQ(blk_segs_check(s, 1, &n), BLKIF_RSP_OKAY);
	CHECK_EQ(n, 8);
	CHECK_EQ(blk_segs_check(s, 2, &n), BLKIF_RSP_ERROR);        /* first > last */
	CHECK_EQ(blk_segs_check(s + 2, 1, &n), BLKIF_RSP_ERROR);    /* sector 8 of a 4 KiB page */
	struct blk_seg t = { 9, 255, 255 };
	CHECK_EQ(blk_segs_check(&t, 1, &n), BLKIF_RSP_ERROR);
}

TEST(ranges_inside_the_disk_without_wrapping)
{
	CHECK(blk_range_ok(0, 100, 100));
	CHECK(blk_range_ok(99, 1, 100));
	CHECK(blk_range_ok(100, 0, 100));
	CHECK(!blk_range_ok(100, 1, 100));
	CHECK(!blk_range_ok(99, 2, 100));
	CHECK(!blk_range_ok(UINT64_MAX, 2, 100));
	CHECK(!blk_range_ok(1, UINT64_MAX, 100));
	CHECK(!blk_range_ok(UINT64_MAX - 1, 8, UINT64_MAX));
}

TEST(discard_decodes_in_both_layouts)
{
	struct blkif_request_discard d = {
		.operation = BLKIF_OP_DISCARD, .flag = BLKIF_DISCARD_SECURE, .id = 5,
		.sector_number = 64, .nr_sectors = 1024,
	};
	struct blk_req r;
	uint8_t e[112];
	memset(e, 0, sizeof(e));
	memcpy(e, &d, sizeof(d));
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_64, e, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.discard_sectors, 1024);
	CHECK_EQ(r.discard_flag, BLKIF_DISCARD_SECURE);
	CHECK_EQ(r.sector, 64);
	uint8_t f[108] = { BLKIF_OP_DISCARD, 0 };
	put64(f + 4, 6);
	put64(f + 12, 8);
	put64(f + 20, 16);
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, f, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.id, 6);
	CHECK_EQ(r.sector, 8);
	CHECK_EQ(r.discard_sectors, 16);
}

TEST(indirect_requests_are_checked)
{
	uint8_t e[108] = { BLKIF_OP_INDIRECT, BLKIF_OP_WRITE };
	uint16_t n = 300;
	memcpy(e + 2, &n, 2);
	put64(e + 4, 9);
	put64(e + 12, 2048);
	for (unsigned i = 0; i < 8; i++)
		put32(e + 24 + 4 * i, 500 + i);
	struct blk_req r;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);     /* > 256 */
	n = 256;
	memcpy(e + 2, &n, 2);
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.op, BLKIF_OP_WRITE);
	CHECK_EQ(r.operation, BLKIF_OP_INDIRECT);
	CHECK_EQ(r.nr_segs, 256);
	CHECK_EQ(r.nr_indirect, 1);
	CHECK_EQ(r.indirect_gref[0], 500);
	CHECK_EQ(r.sector, 2048);
	n = 0;
	memcpy(e + 2, &n, 2);
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);
	n = 12;
	memcpy(e + 2, &n, 2);
	e[1] = BLKIF_OP_FLUSH_DISKCACHE;                        /* only reads and writes */
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);
	e[1] = BLKIF_OP_INDIRECT;
	CHECK_EQ(blk_req_decode(&blkif_layout_x86_32, e, &r), BLKIF_RSP_ERROR);
	/* Segments come out of an indirect page as blkif_request_segment. */
	struct blkif_request_segment page[512] = { [3] = { .gref = 33, .first_sect = 1, .last_sect = 6 } };
	struct blk_seg out[2];
	blk_segs_from_indirect(page, 2, 2, out);
	CHECK_EQ(out[1].gref, 33);
	CHECK_EQ(out[1].first_sect, 1);
	CHECK_EQ(out[1].last_sect, 6);
}

TEST(responses_in_both_layouts)
{
	uint8_t e[112];
	memset(e, 0xee, sizeof(e));
	blk_rsp_encode(&blkif_layout_x86_64, e, 0x0102030405060708ull, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
	struct blkif_response rsp;
	memcpy(&rsp, e, sizeof(rsp));
	CHECK_EQ(rsp.id, 0x0102030405060708ull);
	CHECK_EQ(rsp.operation, BLKIF_OP_WRITE);
	CHECK_EQ((uint16_t)rsp.status, (uint16_t)BLKIF_RSP_ERROR);
	memset(e, 0xee, sizeof(e));
	blk_rsp_encode(&blkif_layout_x86_32, e, 77, BLKIF_OP_DISCARD, BLKIF_RSP_EOPNOTSUPP);
	uint64_t id;
	memcpy(&id, e, 8);
	int16_t st;
	memcpy(&st, e + 10, 2);
	CHECK_EQ(id, 77);
	CHECK_EQ(e[8], BLKIF_OP_DISCARD);
	CHECK_EQ((uint16_t)st, (uint16_t)BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(e[12], 0xee);                  /* nothing beyond the 12-byte response */
}

int main(void)
{
	RUN(layouts_match_the_abis);
	RUN(native_read_request_decodes);
	RUN(i386_write_request_decodes);
	RUN(segment_counts_are_checked);
	RUN(unknown_operations_are_not_supported_and_keep_their_id);
	RUN(segments_inside_a_page_only);
	RUN(ranges_inside_the_disk_without_wrapping);
	RUN(discard_decodes_in_both_layouts);
	RUN(indirect_requests_are_checked);
	RUN(responses_in_both_layouts);
	return check_done();
}
