/* blkif_req.h — blkif requests taken off a ring and checked: pure logic, both ABIs. */
#ifndef BACKENDS_BLKIF_REQ_H
#define BACKENDS_BLKIF_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/blkif.h>
#include "backends/blkif_layout.h"

/* Segments per request with indirect descriptors (feature-max-indirect-segments, as Linux blkback). */
#define BLK_MAX_INDIRECT_SEGS 256
#define BLK_SEGS_PER_INDIRECT_PAGE (4096 / sizeof(struct blkif_request_segment))
#define BLK_SECTOR 512u
#define BLK_SECTORS_PER_PAGE (4096 / BLK_SECTOR)

struct blk_seg {
	grant_ref_t gref;
	uint8_t first_sect, last_sect;
};

struct blk_req {
	uint8_t operation;              /* BLKIF_OP_* as on the ring */
	uint8_t op;                     /* what to do: indirect_op for BLKIF_OP_INDIRECT */
	uint64_t id;
	uint64_t sector;
	unsigned nr_segs;               /* data segments (direct: in seg[]; indirect: in the pages) */
	unsigned nr_indirect;           /* indirect pages */
	grant_ref_t indirect_gref[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint64_t discard_sectors;       /* BLKIF_OP_DISCARD */
	uint8_t discard_flag;
	struct blk_seg seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/*
 * Decode one ring entry — a private copy, so that the guest cannot change
 * it between the checks and the use — and check what can be checked
 * without the data pages: the operation, the segment count. Returns
 * BLKIF_RSP_OKAY, or the status to answer with (BLKIF_RSP_EOPNOTSUPP for
 * an operation blkback does not know, BLKIF_RSP_ERROR for a malformed
 * one); r->id and r->op are set either way, for the response.
 */
int blk_req_decode(const struct blkif_layout *l, const void *entry, struct blk_req *r);

/*
 * Check segments (first_sect <= last_sect < 8) and add up their sectors.
 * BLKIF_RSP_OKAY or BLKIF_RSP_ERROR.
 */
int blk_segs_check(const struct blk_seg *s, unsigned n, uint64_t *sectors);

/* Decode n segments from an indirect page (its private copy). */
void blk_segs_from_indirect(const void *page, unsigned first, unsigned n, struct blk_seg *out);

/* Is [sector, sector + n) inside a disk of disk_sectors, without wrapping? */
bool blk_range_ok(uint64_t sector, uint64_t n, uint64_t disk_sectors);

/* Write a response into a ring entry. */
void blk_rsp_encode(const struct blkif_layout *l, void *entry, uint64_t id, uint8_t op, int16_t status);

#endif
