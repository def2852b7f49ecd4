/* diskspec.c — xl disk specifications (see diskspec.h). */
#include "xenner/diskspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenner/util.h>


/* Disk letters as Xen counts them: a..z = 0..25, aa = 26, ... (bijective base 26). */
static int parse_letters(const char **p)
{
	int n = 0, len = 0;
	while (**p >= 'a' && **p <= 'z' && len < 3) {
		n = n * 26 + (**p - 'a' + 1);
		(*p)++;
		len++;
	}
	return len ? n - 1 : -1;
}

/* An optional partition number 1..15 (extended xvd disks: up to 255). */
static int parse_partition(const char *p, int max)
{
	if (!*p)
		return 0;
	if (*p == '0' || !isdigit((unsigned char)*p))
		return -1;
	char *end;
	long v = strtol(p, &end, 10);
	return *end || v > max ? -1 : (int)v;
}

int64_t disk_vdev_number(const char *vdev)
{
	const char *p = vdev;
	if (!strncmp(p, "xvd", 3)) {
		p += 3;
		int disk = parse_letters(&p);
		if (disk < 0)
			return -1;
		if (disk < 16) {
			int part = parse_partition(p, 15);
			return part < 0 ? -1 : (202 << 8) | (disk << 4) | part;
		}
		int part = parse_partition(p, 255);
		if (part < 0 || disk >= (1 << 20))
			return -1;
		return (1 << 28) | (disk << 8) | part;
	}
	if (!strncmp(p, "hd", 2)) {
		p += 2;
		int disk = parse_letters(&p);
		int part = parse_partition(p, 63);
		if (disk < 0 || disk > 3 || part < 0)
			return -1;
		return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
	}
	if (!strncmp(p, "sd", 2)) {
		p += 2;
		int disk = parse_letters(&p);
		int part = parse_partition(p, 15);
		if (disk < 0 || disk > 15 || part < 0)
			return -1;
		return (8 << 8) | (disk << 4) | part;
	}
	return -1;
}

static bool is_format(const char *s)
{
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd", "qed", "empty" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(s, formats[i]))
			return true;
	return false;
}

static int set_access(struct disk_spec *d, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "r") || !strcmp(v, "ro"))
		d->readonly = true;
	else if (!strcmp(v, "w") || !strcmp(v, "rw"))
		d->readonly = false;
	else
		return fail_with(err, errlen, "access '%s' is not r, ro, w or rw", v);
	return 0;
}

static int set_format(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "raw"))
		return fail_with(err, errlen, "format '%s' is not supported: xenner serves raw images "
			    "and block devices", v);
	return 0;
}

static int set_vdev(struct disk_spec *d, const char *v, char *err, size_t errlen)
{
	int64_t n = disk_vdev_number(v);
	if (n < 0 || strlen(v) >= sizeof(d->vdev))
		return fail_with(err, errlen, "vdev '%s' is not a virtual disk name (xvdX, hdX, sdX)", v);
	strcpy(d->vdev, v);
	d->devid = (uint32_t)n;
	return 0;
}

/* The target, without a legacy prefix that names the backend or format. */
static int set_target(struct disk_spec *d, const char *v, char *err, size_t errlen)
{
	static const char *const prefixes[] = { "tap2:aio:", "tap:aio:", "file:", "phy:", "raw:",
						"aio:" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(v, prefixes[i], strlen(prefixes[i]))) {
			v += strlen(prefixes[i]);
			break;
		}
	if (!strncmp(v, "tap:", 4) || !strncmp(v, "tap2:", 5) || !strncmp(v, "qcow", 4) ||
	    !strncmp(v, "vhd:", 4))
		return fail_with(err, errlen, "target '%s': only raw images and block devices are "
			    "supported", v);
	if (!*v)
		return fail_with(err, errlen, "empty target");
	if (strlen(v) >= sizeof(d->target))
		return fail_with(err, errlen, "target is longer than %zu bytes", sizeof(d->target) - 1);
	strcpy(d->target, v);
	return 0;
}

int disk_spec_parse(const char *spec, struct disk_spec *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		return fail_with(err, errlen, "out of memory");
	int rc = 0;
	bool have_target = false;
	for (char *item = copy; item && !rc; item = save) {
		save = NULL;
		while (*item == ' ')
			item++;
		if (!strncmp(item, "target=", 7)) {     /* the rest of the string, commas and all */
			rc = set_target(d, item + 7, err, errlen);
			have_target = true;
			break;
		}
		char *comma = strchr(item, ',');
		if (comma) {
			*comma = '\0';
			save = comma + 1;
		}
		char *eq = strchr(item, '=');
		if (eq) {
			*eq = '\0';
			const char *k = item, *v = eq + 1;
			if (!strcmp(k, "format"))
				rc = set_format(v, err, errlen);
			else if (!strcmp(k, "vdev"))
				rc = set_vdev(d, v, err, errlen);
			else if (!strcmp(k, "access"))
				rc = set_access(d, v, err, errlen);
			else if (!strcmp(k, "devtype")) {
				if (strcmp(v, "disk") && strcmp(v, "cdrom"))
					rc = fail_with(err, errlen, "devtype '%s' is not disk or cdrom", v);
				d->cdrom = !strcmp(v, "cdrom");
			} else if (!strcmp(k, "backendtype")) {
				if (strcmp(v, "phy"))
					rc = fail_with(err, errlen, "backendtype '%s': xenner's blkback is "
						  "phy-like; only phy is accepted", v);
			} else if (!strcmp(k, "script"))
				rc = fail_with(err, errlen, "script= (block scripts) is not supported");
			else
				rc = fail_with(err, errlen, "unknown key '%s'", k);
		} else if (!*item) {
			continue;               /* empty positional: xl skips it */
		} else if (!strcmp(item, "r") || !strcmp(item, "ro") || !strcmp(item, "w") ||
			   !strcmp(item, "rw")) {
			rc = set_access(d, item, err, errlen);
		} else if (is_format(item)) {
			rc = set_format(item, err, errlen);
		} else if (!strcmp(item, "cdrom")) {
			d->cdrom = true;
		} else if (disk_vdev_number(item) >= 0) {
			rc = set_vdev(d, item, err, errlen);
		} else if (strchr(item, ':') && !strcmp(strchr(item, ':'), ":cdrom")) {
			*strchr(item, ':') = '\0';     /* legacy "hdc:cdrom" */
			rc = set_vdev(d, item, err, errlen);
			d->cdrom = true;
		} else if (!have_target) {
			rc = set_target(d, item, err, errlen);
			have_target = true;
		} else {
			rc = fail_with(err, errlen, "'%s' is not an access mode, format or vdev, and the "
				  "target is already '%s'", item, d->target);
		}
	}
	free(copy);
	if (rc)
		return -1;
	if (!have_target)
		return fail_with(err, errlen, "no target (image file or block device)");
	if (!d->vdev[0])
		return fail_with(err, errlen, "no vdev (e.g. xvda)");
	if (d->cdrom)
		d->readonly = true;
	return 0;
}
