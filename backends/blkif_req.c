/* blkif_req.c — decoding and checking blkif requests (xen/io/blkif.h, Linux blkback's rules). */
#include "backends/blkif_req.h"

#include <string.h>

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

int blk_req_decode(const struct blkif_layout *l, const void *entry, struct blk_req *r)
{
	const uint8_t *e = entry;
	memset(r, 0, sizeof(*r));
	r->operation = r->op = e[0];
	switch (e[0]) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		r->id = get64(e, l->id);
		r->sector = get64(e, l->sector_number);
		r->nr_segs = e[1];
		if (r->nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST ||
		    (r->nr_segs == 0 && (e[0] == BLKIF_OP_READ || e[0] == BLKIF_OP_WRITE)))
			return BLKIF_RSP_ERROR;
		for (unsigned i = 0; i < r->nr_segs; i++) {
			const uint8_t *s = e + l->seg + i * sizeof(struct blkif_request_segment);
			memcpy(&r->seg[i].gref, s, sizeof(grant_ref_t));
			r->seg[i].first_sect = s[offsetof(struct blkif_request_segment, first_sect)];
			r->seg[i].last_sect = s[offsetof(struct blkif_request_segment, last_sect)];
		}
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_DISCARD:
		r->id = get64(e, l->discard_id);
		r->sector = get64(e, l->discard_sector_number);
		r->discard_sectors = get64(e, l->discard_nr_sectors);
		r->discard_flag = e[1];
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_INDIRECT: {
		r->id = get64(e, l->ind_id);
		r->op = e[1];
		r->sector = get64(e, l->ind_sector_number);
		uint16_t n;
		memcpy(&n, e + 2, sizeof(n));
		r->nr_segs = n;
		if ((r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE) || n == 0 ||
		    n > BLK_MAX_INDIRECT_SEGS)
			return BLKIF_RSP_ERROR;
		r->nr_indirect = (n + BLK_SEGS_PER_INDIRECT_PAGE - 1) / BLK_SEGS_PER_INDIRECT_PAGE;
		memcpy(r->indirect_gref, e + l->ind_grefs, r->nr_indirect * sizeof(grant_ref_t));
		return BLKIF_RSP_OKAY;
	}
	default:
		r->id = get64(e, l->id);
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

int blk_segs_check(const struct blk_seg *s, unsigned n, uint64_t *sectors)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i].first_sect > s[i].last_sect || s[i].last_sect >= BLK_SECTORS_PER_PAGE)
			return BLKIF_RSP_ERROR;
		total += (uint64_t)(s[i].last_sect - s[i].first_sect + 1);
	}
	*sectors = total;
	return BLKIF_RSP_OKAY;
}

void blk_segs_from_indirect(const void *page, unsigned first, unsigned n, struct blk_seg *out)
{
	const struct blkif_request_segment *in = page;
	for (unsigned i = 0; i < n; i++) {
		out[i].gref = in[first + i].gref;
		out[i].first_sect = in[first + i].first_sect;
		out[i].last_sect = in[first + i].last_sect;
	}
}

bool blk_range_ok(uint64_t sector, uint64_t n, uint64_t disk_sectors)
{
	return sector <= disk_sectors && n <= disk_sectors - sector;
}

void blk_rsp_encode(const struct blkif_layout *l, void *entry, uint64_t id, uint8_t op, int16_t status)
{
	uint8_t *e = entry;
	memcpy(e + l->rsp_id, &id, sizeof(id));
	e[l->rsp_operation] = op;
	memcpy(e + l->rsp_status, &status, sizeof(status));
}
