/* blkif_layout.h — where the fields of a blkif ring entry are, in the x86_64 and x86_32 ABIs. */
#ifndef BACKENDS_BLKIF_LAYOUT_H
#define BACKENDS_BLKIF_LAYOUT_H

#include <stddef.h>

/*
 * A 64-bit host backend serves frontends of either ABI, which the frontend
 * names in its "protocol" node (xen/io/protocols.h). The two differ only
 * in the alignment of the 64-bit fields (4 bytes on i386). Both layouts
 * are taken from xen/io/blkif.h itself: blkif_layout.c compiles it as the
 * host does, blkif_layout32.c with 4-byte packing, as an i386 compiler
 * lays it out. Offsets are from the start of a ring entry.
 */
struct blkif_layout {
	const char *protocol;                   /* XEN_IO_PROTO_ABI_* */
	size_t entry_size;                      /* one union blkif_sring_entry */
	unsigned nr_entries;                    /* entries in a one-page shared ring */
	size_t ring_offset;                     /* entries start here in the shared page */
	/* blkif_request: operation @0, nr_segments @1, handle @2 */
	size_t id, sector_number, seg;
	/* blkif_request_discard: operation @0, flag @1, handle @2 */
	size_t discard_id, discard_sector_number, discard_nr_sectors;
	/* blkif_request_indirect: operation @0, indirect_op @1, nr_segments @2 (16 bits) */
	size_t ind_id, ind_sector_number, ind_handle, ind_grefs;
	/* blkif_response */
	size_t rsp_id, rsp_operation, rsp_status;
};

extern const struct blkif_layout blkif_layout_x86_64, blkif_layout_x86_32;

/* The layout a "protocol" value names (NULL for anything else). */
const struct blkif_layout *blkif_layout_find(const char *protocol);

#endif
