/* test_config.c — option parsing: xl key names, validation, one-line errors. */
#define CHECK_SUITE "config"
#include "check.h"
#include <xenner/config.h>
#include <xenner/hostabi.h>

static int parse(struct xenner_config *c, char *err, const char *const *args, int n)
{
	char *argv[16] = { "xenner" };
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	config_init(c);
	return options_parse(n + 1, argv, c, err, 256);
}

TEST(defaults_follow_xl)
{
	struct xenner_config c;
	char err[256];
	const char *a[] = { "--kernel", "k" };
	CHECK_EQ(parse(&c, err, a, 2), OPTIONS_RUN);
	CHECK_STR(c.kernel, "k");
	CHECK_EQ(c.memory_mib, 128);
	CHECK_EQ(c.vcpus, 1);
	CHECK(c.ramdisk == NULL && c.extra == NULL);
	CHECK_EQ(c.trace, TRACE_UNKNOWN);
	config_free(&c);
}

TEST(trace_lists_combine)
{
	struct xenner_config c;
	char err[256];
	const char *a[] = { "--kernel=k", "--trace=events,exits" };
	CHECK_EQ(parse(&c, err, a, 2), OPTIONS_RUN);
	CHECK_EQ(c.trace, TRACE_UNKNOWN | TRACE_EVENTS | TRACE_EXITS);
	config_free(&c);
	const char *b[] = { "--kernel=k", "--trace=mmu,event" };
	CHECK(parse(&c, err, b, 2) != OPTIONS_RUN);
	config_free(&c);
	CHECK_CONTAINS(err, "events, exits or all");
}

TEST(all_keys_both_spellings)
{
	struct xenner_config c;
	char err[256];
	const char *a[] = { "--kernel=k", "--ramdisk", "r", "--extra=console=hvc0 ro",
			    "--memory", "512", "--vcpus=2", "--trace", "all",
			    "--shuffle-frames", "7" };
	CHECK_EQ(parse(&c, err, a, 11), OPTIONS_RUN);
	CHECK_STR(c.kernel, "k");
	CHECK_STR(c.ramdisk, "r");
	CHECK_STR(c.extra, "console=hvc0 ro");
	CHECK_EQ(c.memory_mib, 512);
	CHECK_EQ(c.vcpus, 2);
	CHECK_EQ(c.trace, TRACE_UNKNOWN | TRACE_ALL);
	CHECK(c.shuffle_frames);
	CHECK_EQ(c.shuffle_seed, 7);
	config_free(&c);
}

TEST(missing_kernel_is_an_error)
{
	struct xenner_config c;
	char err[256];
	const char *a[] = { "--memory", "64" };
	CHECK_EQ(parse(&c, err, a, 2), OPTIONS_ERROR);
	CHECK_CONTAINS(err, "--kernel");
	config_free(&c);
}

TEST(bad_values_name_the_key)
{
	static const struct { const char *opt, *val, *want; } cases[] = {
		{ "--memory", "abc", "memory: not a number" },
		{ "--memory", "0", "out of range" },
		{ "--memory", "-5", "not a number" },
		{ "--memory", "99999999999999999999", "not a number" },
		{ "--vcpus", "0", "vcpus" },
		{ "--vcpus", "33", "out of range" },
		{ "--trace", "bogus", "trace" },
		{ "--kernel", "", "empty" },
		{ "--host-kind", "tcg", "host-kind" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xenner_config c;
		char err[256] = "";
		const char *a[] = { "--kernel", "k", cases[i].opt, cases[i].val };
		CHECK_EQ(parse(&c, err, a, 4), OPTIONS_ERROR);
		CHECK_CONTAINS(err, cases[i].want);
		CHECK(!strchr(err, '\n'));
		config_free(&c);
	}
}

TEST(unknown_option_and_missing_value)
{
	struct xenner_config c;
	char err[256];
	const char *a[] = { "--kernel", "k", "--bogus", "1" };
	CHECK_EQ(parse(&c, err, a, 4), OPTIONS_ERROR);
	CHECK_CONTAINS(err, "unknown option '--bogus'");
	config_free(&c);
	const char *b[] = { "--kernel" };
	CHECK_EQ(parse(&c, err, b, 1), OPTIONS_ERROR);
	CHECK_CONTAINS(err, "--kernel needs a value");
	config_free(&c);
	const char *d[] = { "kernel" };
	CHECK_EQ(parse(&c, err, d, 1), OPTIONS_ERROR);
	CHECK_CONTAINS(err, "unexpected argument");
	config_free(&c);
}

TEST(config_set_is_the_file_parser_entry)
{
	struct xenner_config c;
	char err[256];
	config_init(&c);
	CHECK_EQ(config_set(&c, "memory", "2048", err, sizeof(err)), 0);
	CHECK_EQ(c.memory_mib, 2048);
	CHECK_EQ(config_set(&c, "kernel", "/boot/vmlinuz", err, sizeof(err)), 0);
	CHECK_EQ(config_set(&c, "kernel", "/boot/other", err, sizeof(err)), 0);
	CHECK_STR(c.kernel, "/boot/other");
	CHECK_EQ(config_set(&c, "nosuchkey", "1", err, sizeof(err)), -1);
	config_free(&c);
}

int main(void)
{
	RUN(defaults_follow_xl);
	RUN(trace_lists_combine);
	RUN(all_keys_both_spellings);
	RUN(missing_kernel_is_an_error);
	RUN(bad_values_name_the_key);
	RUN(unknown_option_and_missing_value);
	RUN(config_set_is_the_file_parser_entry);
	return check_done();
}
