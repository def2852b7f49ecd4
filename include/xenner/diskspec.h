/* diskspec.h — xl disk specifications (`--disk`, xl.cfg `disk = [...]`), parsed and validated. */
#ifndef XENNER_DISKSPEC_H
#define XENNER_DISKSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The syntax of Xen's xl-disk-configuration: comma-separated, each item
 * either KEY=VALUE (target, format, vdev, access, devtype, backendtype,
 * script) or positional. Positional items are recognised as xl does: an
 * access mode (r, ro, w, rw), a format (raw, qcow, qcow2, vhd, ...), a
 * virtual device name (xvdX, hdX, sdX, optionally with a partition number),
 * else the target; the legacy prefixes "file:", "phy:", "raw:", "aio:",
 * "tap:aio:", "tap2:aio:" on the target select raw. `target=` must come
 * last, as in xl, because it takes the rest of the string.
 */
struct disk_spec {
	char target[4096];
	char vdev[16];
	uint32_t devid;         /* Xen's vbd number for vdev (docs/misc/vbd-interface) */
	bool readonly;
	bool cdrom;
};

/* Parse spec into d. Returns 0, or -1 with one line in err naming the reason. */
int disk_spec_parse(const char *spec, struct disk_spec *d, char *err, size_t errlen);

/* The vbd number of a virtual device name ("xvda" -> 51712); -1 if not one. */
int64_t disk_vdev_number(const char *vdev);

#endif
