/* blkif_layout.c — the x86_64 blkif ABI: xen/io/blkif.h as a 64-bit compiler lays it out. */
#include "backends/blkif_layout.h"

#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

const struct blkif_layout blkif_layout_x86_64 = {
	.protocol = XEN_IO_PROTO_ABI_X86_64,
	.entry_size = sizeof(union blkif_sring_entry),
	.nr_entries = __CONST_RING_SIZE(blkif, 4096),
	.ring_offset = offsetof(struct blkif_sring, ring),
	.id = offsetof(struct blkif_request, id),
	.sector_number = offsetof(struct blkif_request, sector_number),
	.seg = offsetof(struct blkif_request, seg),
	.discard_id = offsetof(struct blkif_request_discard, id),
	.discard_sector_number = offsetof(struct blkif_request_discard, sector_number),
	.discard_nr_sectors = offsetof(struct blkif_request_discard, nr_sectors),
	.ind_id = offsetof(struct blkif_request_indirect, id),
	.ind_sector_number = offsetof(struct blkif_request_indirect, sector_number),
	.ind_handle = offsetof(struct blkif_request_indirect, handle),
	.ind_grefs = offsetof(struct blkif_request_indirect, indirect_grefs),
	.rsp_id = offsetof(struct blkif_response, id),
	.rsp_operation = offsetof(struct blkif_response, operation),
	.rsp_status = offsetof(struct blkif_response, status),
};

const struct blkif_layout *blkif_layout_find(const char *protocol)
{
	if (!strcmp(protocol, blkif_layout_x86_64.protocol))
		return &blkif_layout_x86_64;
	if (!strcmp(protocol, blkif_layout_x86_32.protocol))
		return &blkif_layout_x86_32;
	return NULL;
}
