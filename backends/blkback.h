/* blkback.h — virtual disks: the blkif backend on raw image files and block devices. */
#ifndef BACKENDS_BLKBACK_H
#define BACKENDS_BLKBACK_H

#include <stdbool.h>
#include <stdint.h>
#include "backends/backend.h"

struct blk_disk_config {
	const char *target;             /* image file or block device */
	const char *vdev;               /* "xvda" */
	uint32_t devid;                 /* its vbd number */
	bool readonly, cdrom;
};

struct blk_disk;

/*
 * Open the target (exit-worthy errors come back as -errno with a message in
 * err) and write the device's frontend and backend nodes the way libxl
 * does, with the backend in InitWait: the guest's blkfront takes it from
 * there.
 */
struct blk_disk *blkback_create(struct backend_host *h, const struct blk_disk_config *cfg,
				char *err, size_t errlen);
/* Guest gone: stop the queues, flush the image to stable storage, close, state Closed. */
void blkback_destroy(struct blk_disk *d);

/* Counters for --stats. */
struct blk_stats {
	uint64_t requests, errors, unsupported, sectors_read, sectors_written, flushes, discards;
	uint64_t queues;        /* most queues connected at once */
};
void blkback_stats(const struct blk_disk *d, struct blk_stats *out);

#endif
