/* check.h — a tiny unit-test framework: one line per case, counted by tests/run. */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

/*
 * Usage:
 *   TEST(elf_rejects_truncated_header) { ... CHECK(x == 1); CHECK_EQ(a, b); }
 *   int main(void) { RUN(elf_rejects_truncated_header); return check_done(); }
 * Each case prints "PASS: <file>/<case>" or "FAIL: <file>/<case>: <why>".
 */
static int check_failures_total;
static int check_case_failed;
static const char *check_case_name;

#define TEST(name) static void test_##name(void)

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("FAIL: %s/%s: %s:%d: CHECK(%s)\n", CHECK_SUITE, check_case_name, \
		       __FILE__, __LINE__, #cond); \
		check_case_failed = 1; return; \
	} } while (0)

#define CHECK_EQ(a, b) do { \
	uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b); \
	if (check_a_ != check_b_) { \
		printf("FAIL: %s/%s: %s:%d: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
		       CHECK_SUITE, check_case_name, __FILE__, __LINE__, #a, #b, check_a_, check_b_); \
		check_case_failed = 1; return; \
	} } while (0)

#define CHECK_STR(a, b) do { \
	const char *check_sa_ = (a), *check_sb_ = (b); \
	if (!check_sa_ || !check_sb_ || strcmp(check_sa_, check_sb_)) { \
		printf("FAIL: %s/%s: %s:%d: %s == \"%s\" (got \"%s\")\n", CHECK_SUITE, \
		       check_case_name, __FILE__, __LINE__, #a, check_sb_ ? check_sb_ : "(null)", \
		       check_sa_ ? check_sa_ : "(null)"); \
		check_case_failed = 1; return; \
	} } while (0)

/* CHECK that haystack contains needle (for error messages). */
#define CHECK_CONTAINS(hay, needle) do { \
	const char *check_h_ = (hay); \
	if (!check_h_ || !strstr(check_h_, (needle))) { \
		printf("FAIL: %s/%s: %s:%d: \"%s\" does not contain \"%s\"\n", CHECK_SUITE, \
		       check_case_name, __FILE__, __LINE__, check_h_ ? check_h_ : "(null)", needle); \
		check_case_failed = 1; return; \
	} } while (0)

#define RUN(name) do { \
	check_case_name = #name; check_case_failed = 0; \
	test_##name(); \
	if (check_case_failed) check_failures_total++; \
	else printf("PASS: %s/%s\n", CHECK_SUITE, #name); \
	fflush(stdout); \
} while (0)

static inline int check_done(void) { return check_failures_total ? 1 : 0; }

#endif
