/* blkif_layout32.c — the x86_32 blkif ABI: xen/io/blkif.h as an i386 compiler lays it out. */
#include "backends/blkif_layout.h"

/* Everything blkif.h includes keeps its host layout; only blkif.h is packed. */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/protocols.h>

/*
 * i386 aligns uint64_t to 4 bytes inside structures: packing to 4 gives
 * that layout. The names are changed so that nothing here can be mistaken
 * for (or linked against) the host's blkif types.
 */
#define blkif_request_segment blkif32_request_segment
#define blkif_request blkif32_request
#define blkif_request_t blkif32_request_t
#define blkif_request_discard blkif32_request_discard
#define blkif_request_discard_t blkif32_request_discard_t
#define blkif_request_indirect blkif32_request_indirect
#define blkif_request_indirect_t blkif32_request_indirect_t
#define blkif_response blkif32_response
#define blkif_response_t blkif32_response_t
#define blkif_sring blkif32_sring
#define blkif_sring_entry blkif32_sring_entry
#define blkif_front_ring blkif32_front_ring
#define blkif_back_ring blkif32_back_ring
#define blkif_sring_t blkif32_sring_t
#define blkif_front_ring_t blkif32_front_ring_t
#define blkif_back_ring_t blkif32_back_ring_t
#pragma pack(push, 4)
#include <xen/io/blkif.h>
#pragma pack(pop)

_Static_assert(offsetof(struct blkif32_request, id) == 4, "i386 blkif layout");
_Static_assert(sizeof(union blkif32_sring_entry) == 108, "i386 blkif entry size");

const struct blkif_layout blkif_layout_x86_32 = {
	.protocol = XEN_IO_PROTO_ABI_X86_32,
	.entry_size = sizeof(union blkif32_sring_entry),
	.nr_entries = __CONST_RING_SIZE(blkif32, 4096),
	.ring_offset = offsetof(struct blkif32_sring, ring),
	.id = offsetof(struct blkif32_request, id),
	.sector_number = offsetof(struct blkif32_request, sector_number),
	.seg = offsetof(struct blkif32_request, seg),
	.discard_id = offsetof(struct blkif32_request_discard, id),
	.discard_sector_number = offsetof(struct blkif32_request_discard, sector_number),
	.discard_nr_sectors = offsetof(struct blkif32_request_discard, nr_sectors),
	.ind_id = offsetof(struct blkif32_request_indirect, id),
	.ind_sector_number = offsetof(struct blkif32_request_indirect, sector_number),
	.ind_handle = offsetof(struct blkif32_request_indirect, handle),
	.ind_grefs = offsetof(struct blkif32_request_indirect, indirect_grefs),
	.rsp_id = offsetof(struct blkif32_response, id),
	.rsp_operation = offsetof(struct blkif32_response, operation),
	.rsp_status = offsetof(struct blkif32_response, status),
};
