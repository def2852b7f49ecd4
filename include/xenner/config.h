/* config.h — a guest's configuration: keys named as in xl.cfg, set from the command line. */
#ifndef XENNER_CONFIG_H
#define XENNER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenner/diskspec.h>
#include <xenner/nicspec.h>

struct xenner_config {
	char *kernel;           /* kernel = "FILE" */
	char *ramdisk;          /* ramdisk = "FILE" */
	char *extra;            /* extra = "cmdline" */
	uint64_t memory_mib;    /* memory = MiB */
	unsigned vcpus;         /* vcpus = N */
	unsigned trace;         /* TRACE_* flags (--trace) */
	bool shuffle_frames;    /* --shuffle-frames SEED: random MFN order */
	uint64_t shuffle_seed;
	char *host_kind;        /* --host-kind: override detection (testing) */
	char *xenstore_socket;  /* --xenstore-socket PATH: serve xenstore to host tools there */
	bool stats;             /* --stats: print stub-entry counts at exit */
	bool check_integrity;   /* --check-integrity: the host's check of the stub and guest tables at exit */
	bool dry_run;           /* --dry-run: check config and kernel, print the plan, do not boot */
	unsigned nr_disks;      /* disk = [ ... ] (--disk SPEC, repeatable) */
	struct disk_spec *disks;
	unsigned nr_nics;       /* vif = [ ... ] (--nic SPEC, repeatable) */
	struct nic_spec *nics;
};

#define CONFIG_DEFAULT_MEMORY_MIB 128
#define CONFIG_MAX_MEMORY_MIB     (64 * 1024)
#define CONFIG_MAX_VCPUS          32
#define CONFIG_MAX_DISKS          16
#define CONFIG_MAX_NICS           8

void config_init(struct xenner_config *c);
void config_free(struct xenner_config *c);

/*
 * Set one key ("kernel", "memory", ...) from its string value, validating
 * it. The same entry point will serve the xl config-file parser.
 * Returns 0, or -1 with one line in err ("memory: not a number: 'x'").
 */
int config_set(struct xenner_config *c, const char *key, const char *value,
	       char *err, size_t errlen);

/* After all keys are set: required keys present, values consistent. */
int config_check(const struct xenner_config *c, char *err, size_t errlen);

enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR };

/*
 * Parse argv (--key VALUE, --key=VALUE, --flag). --help and --version print
 * and return OPTIONS_EXIT_OK. Errors return OPTIONS_ERROR with err set.
 */
enum options_result options_parse(int argc, char **argv, struct xenner_config *c,
				  char *err, size_t errlen);

#endif
