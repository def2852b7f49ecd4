/* config.c — the configuration table and the command-line parser built on it. */
#include "xenner/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenner/hostabi.h>

enum key_type { KEY_STRING, KEY_MIB, KEY_UINT, KEY_TRACE, KEY_SEED, KEY_FLAG, KEY_DISK, KEY_NIC };

struct config_key {
	const char *name;       /* xl.cfg key; also the --option name */
	enum key_type type;
	size_t offset;
	const char *arg;        /* help: argument name */
	const char *help;
	uint64_t min, max;      /* numeric range */
};

#define OFF(field) offsetof(struct xenner_config, field)

static const struct config_key keys[] = {
	{ "kernel", KEY_STRING, OFF(kernel), "FILE", "Xen PV kernel (ELF, or bzImage later)", 0, 0 },
	{ "ramdisk", KEY_STRING, OFF(ramdisk), "FILE", "initial ramdisk, passed as the boot module", 0, 0 },
	{ "extra", KEY_STRING, OFF(extra), "CMDLINE", "kernel command line", 0, 0 },
	{ "memory", KEY_MIB, OFF(memory_mib), "MiB", "guest memory (default 128)", 1, CONFIG_MAX_MEMORY_MIB },
	{ "vcpus", KEY_UINT, OFF(vcpus), "N", "number of vCPUs (default 1)", 1, CONFIG_MAX_VCPUS },
	{ "trace", KEY_TRACE, OFF(trace), "WHAT", "trace hypercalls,traps,mmu,events,exits or all to stderr", 0, 0 },
	{ "shuffle-frames", KEY_SEED, OFF(shuffle_seed), "SEED",
	  "give the guest its machine frames in a random order (testing)", 0, 0 },
	{ "stats", KEY_FLAG, OFF(stats), "",
	  "at exit, print how often the guest entered the stub, by cause", 0, 0 },
	{ "check-integrity", KEY_FLAG, OFF(check_integrity), "",
	  "at exit, check that the stub is intact and the guest mapped only its own frames (exit 5 if not)", 0, 0 },
	{ "disk", KEY_DISK, OFF(disks), "SPEC",
	  "a virtual disk, in xl's disk syntax (repeatable)", 0, 0 },
	{ "nic", KEY_NIC, OFF(nics), "SPEC",
	  "a virtual network interface, in xl's vif syntax (repeatable)", 0, 0 },
	{ "xenstore-socket", KEY_STRING, OFF(xenstore_socket), "PATH",
	  "serve the guest's xenstore on this unix socket (XENSTORED_PATH for xenstore-*)", 0, 0 },
	{ "dry-run", KEY_FLAG, OFF(dry_run), "",
	  "check the configuration and the kernel, print the guest's layout and exit 0 without booting it", 0, 0 },
	{ "host-kind", KEY_STRING, OFF(host_kind), "KIND",
	  "override KVM host detection: vmx, svm or pvm (testing)", 0, 0 },
};

void config_init(struct xenner_config *c)
{
	memset(c, 0, sizeof(*c));
	c->memory_mib = CONFIG_DEFAULT_MEMORY_MIB;
	c->vcpus = 1;
	c->trace = TRACE_UNKNOWN;
}

void config_free(struct xenner_config *c)
{
	free(c->kernel);
	free(c->xenstore_socket);
	free(c->ramdisk);
	free(c->extra);
	free(c->host_kind);
	free(c->disks);
	free(c->nics);
	memset(c, 0, sizeof(*c));
}

static const struct config_key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_trace(const char *s, unsigned *out)
{
	unsigned flags = TRACE_UNKNOWN;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "hypercalls"))
			flags |= TRACE_HYPERCALLS;
		else if (!strcmp(t, "traps"))
			flags |= TRACE_TRAPS;
		else if (!strcmp(t, "mmu"))
			flags |= TRACE_MMU;
		else if (!strcmp(t, "events"))
			flags |= TRACE_EVENTS;
		else if (!strcmp(t, "exits"))
			flags |= TRACE_EXITS;
		else if (!strcmp(t, "all"))
			flags |= TRACE_ALL;
		else {
			free(copy);
			return -1;
		}
	}
	free(copy);
	*out = flags;
	return 0;
}

int config_set(struct xenner_config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	if (!k) {
		snprintf(err, errlen, "unknown option '%s'", key);
		return -1;
	}
	void *field = (char *)c + k->offset;
	uint64_t v;
	switch (k->type) {
	case KEY_STRING: {
		if (!*value) {
			snprintf(err, errlen, "%s: empty value", key);
			return -1;
		}
		char **s = field;
		free(*s);
		*s = strdup(value);
		if (!*s) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	case KEY_MIB:
	case KEY_UINT:
		if (parse_u64(value, &v)) {
			snprintf(err, errlen, "%s: not a number: '%s'", key, value);
			return -1;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %s out of range (%llu to %llu)", key, value,
				 (unsigned long long)k->min, (unsigned long long)k->max);
			return -1;
		}
		if (k->type == KEY_MIB)
			*(uint64_t *)field = v;
		else
			*(unsigned *)field = (unsigned)v;
		return 0;
	case KEY_DISK: {
		char why[200];
		if (c->nr_disks >= CONFIG_MAX_DISKS) {
			snprintf(err, errlen, "disk: more than %d disks", CONFIG_MAX_DISKS);
			return -1;
		}
		struct disk_spec *d = realloc(c->disks, (c->nr_disks + 1) * sizeof(*d));
		if (!d) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		c->disks = d;
		if (disk_spec_parse(value, &d[c->nr_disks], why, sizeof(why))) {
			snprintf(err, errlen, "disk '%s': %s", value, why);
			return -1;
		}
		for (unsigned i = 0; i < c->nr_disks; i++)
			if (d[i].devid == d[c->nr_disks].devid) {
				snprintf(err, errlen, "disk '%s': vdev %s is given twice", value,
					 d[i].vdev);
				return -1;
			}
		c->nr_disks++;
		return 0;
	}
	case KEY_NIC: {
		char why[200];
		if (c->nr_nics >= CONFIG_MAX_NICS) {
			snprintf(err, errlen, "nic: more than %d network interfaces", CONFIG_MAX_NICS);
			return -1;
		}
		struct nic_spec *n = realloc(c->nics, (c->nr_nics + 1) * sizeof(*n));
		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		c->nics = n;
		if (nic_spec_parse(value, &n[c->nr_nics], why, sizeof(why))) {
			snprintf(err, errlen, "nic '%s': %s", value, why);
			return -1;
		}
		for (unsigned i = 0; i < c->nr_nics; i++)
			if (n[c->nr_nics].ifname[0] && !strcmp(n[i].ifname, n[c->nr_nics].ifname)) {
				snprintf(err, errlen, "nic '%s': interface %s is given twice", value, n[i].ifname);
				return -1;
			}
		c->nr_nics++;
		return 0;
	}
	case KEY_TRACE:
		if (parse_trace(value, field)) {
			snprintf(err, errlen, "%s: '%s' is not a list of hypercalls, traps, "
				 "mmu, events, exits or all", key, value);
			return -1;
		}
		return 0;
	case KEY_FLAG:
		if (strcmp(value, "1") && strcmp(value, "yes") && strcmp(value, "0") &&
		    strcmp(value, "no")) {
			snprintf(err, errlen, "%s: '%s' is not yes or no", key, value);
			return -1;
		}
		*(bool *)field = !strcmp(value, "1") || !strcmp(value, "yes");
		return 0;
	case KEY_SEED:
		if (parse_u64(value, &v)) {
			snprintf(err, errlen, "%s: not a number: '%s'", key, value);
			return -1;
		}
		c->shuffle_seed = v;
		c->shuffle_frames = true;
		return 0;
	}
	return -1;
}

int config_check(const struct xenner_config *c, char *err, size_t errlen)
{
	if (!c->kernel) {
		snprintf(err, errlen, "no kernel given (--kernel FILE)");
		return -1;
	}
	if (c->host_kind && strcmp(c->host_kind, "vmx") && strcmp(c->host_kind, "svm") &&
	    strcmp(c->host_kind, "pvm")) {
		snprintf(err, errlen, "host-kind: '%s' is not vmx, svm or pvm", c->host_kind);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	printf("usage: xenner --kernel FILE [options]\n\n"
	       "Runs a Xen PV guest as a KVM virtual machine. Options (xl.cfg key names):\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char left[40];
		snprintf(left, sizeof(left), "--%s %s", keys[i].name, keys[i].arg);
		printf("  %-26s %s\n", left, keys[i].help);
	}
	printf("  %-26s %s\n  %-26s %s\n\n", "--help", "this text", "--version",
	       "version and KVM host kind");
	printf("Exit status: 0 guest powered off, 1 set-up error, 2 guest crashed,\n"
	       "3 guest asked to reboot, 4 guest died otherwise (details on stderr).\n");
}

enum options_result options_parse(int argc, char **argv, struct xenner_config *c,
				  char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return OPTIONS_EXIT_OK;
		}
		if (!strcmp(a, "--version")) {
			printf("xenner %s\n", XENNER_VERSION);
			return OPTIONS_EXIT_OK;
		}
		if (strncmp(a, "--", 2) || !a[2]) {
			snprintf(err, errlen, "unexpected argument '%s' (see --help)", a);
			return OPTIONS_ERROR;
		}
		char name[64];
		const char *value;
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		if (len >= sizeof(name)) {
			snprintf(err, errlen, "unknown option '%s'", a);
			return OPTIONS_ERROR;
		}
		memcpy(name, a + 2, len);
		name[len] = '\0';
		const struct config_key *k = find_key(name);
		if (!k) {
			snprintf(err, errlen, "unknown option '--%s' (see --help)", name);
			return OPTIONS_ERROR;
		}
		if (k->type == KEY_FLAG && !eq) {
			value = "yes";          /* --stats alone switches it on */
		} else if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--%s needs a value", name);
				return OPTIONS_ERROR;
			}
			value = argv[++i];
		}
		if (config_set(c, name, value, err, errlen))
			return OPTIONS_ERROR;
	}
	if (config_check(c, err, errlen))
		return OPTIONS_ERROR;
	return OPTIONS_RUN;
}
