/* fuzz_blkif.c — libFuzzer target: blkif ring entries and indirect pages as a hostile frontend writes them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "backends/blkif_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const struct blkif_layout *l, const uint8_t *data, size_t size)
{
	/* The entry, then the indirect page (what is missing of either is zero). */
	uint8_t *entry = calloc(1, l->entry_size), *page = calloc(1, 4096);
	if (!entry || !page)
		abort();
	memcpy(entry, data, size < l->entry_size ? size : l->entry_size);
	if (size > l->entry_size)
		memcpy(page, data + l->entry_size, size - l->entry_size < 4096 ? size - l->entry_size : 4096);
	struct blk_req r;
	memset(&r, 0xa5, sizeof(r));
	int st = blk_req_decode(l, entry, &r);
	if (st != BLKIF_RSP_OKAY && st != BLKIF_RSP_ERROR && st != BLKIF_RSP_EOPNOTSUPP)
		abort();
	if (st == BLKIF_RSP_OKAY) {
		uint64_t sectors = 0;
		if (r.nr_indirect) {
			/* What blkback does: each page's share of the segments, then the checks. */
			if (r.nr_indirect > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST || r.nr_segs > BLK_MAX_INDIRECT_SEGS ||
			    r.nr_segs > r.nr_indirect * BLK_SEGS_PER_INDIRECT_PAGE)
				abort();
			struct blk_seg segs[BLK_MAX_INDIRECT_SEGS];
			for (unsigned p = 0, done = 0; done < r.nr_segs; p++) {
				unsigned n = r.nr_segs - done < BLK_SEGS_PER_INDIRECT_PAGE ? r.nr_segs - done
											 : BLK_SEGS_PER_INDIRECT_PAGE;
				blk_segs_from_indirect(page, 0, n, segs + done);
				done += n;
			}
			st = blk_segs_check(segs, r.nr_segs, &sectors);
		} else {
			if (r.nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST)
				abort();
			st = blk_segs_check(r.seg, r.nr_segs, &sectors);
		}
		if (st == BLKIF_RSP_OKAY && sectors > (uint64_t)r.nr_segs * BLK_SECTORS_PER_PAGE)
			abort();
		uint64_t disk = 0;
		memcpy(&disk, data, size < 8 ? size : 8);
		bool ok = blk_range_ok(r.sector, sectors, disk);
		if (ok && (r.sector > disk || sectors > disk - r.sector))
			abort();        /* a range past the end passed */
	}
	blk_rsp_encode(l, entry, r.id, r.operation, (int16_t)st);
	free(entry);
	free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(&blkif_layout_x86_64, data, size);
	one(&blkif_layout_x86_32, data, size);
	return 0;
}
