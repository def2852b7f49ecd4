/* verdict.c — checks, the final VERDICT line and shutdown. */
#include "guest.h"

static unsigned int nchecks, nfailed, nskipped;
static char first_failure[160];

static bool record(bool ok, const char *desc)
{
	nchecks++;
	printf("  %s %s\n", ok ? "ok  " : "FAIL", desc);
	if (!ok && nfailed++ == 0)
		snprintf(first_failure, sizeof(first_failure), "%s", desc);
	return ok;
}

bool check(bool ok, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return record(ok, desc);
}

bool check_eq(const char *what, unsigned long long got, unsigned long long want)
{
	if (got == want)
		return check(true, "%s = 0x%llx", what, got);
	return check(false, "%s = 0x%llx, want 0x%llx", what, got, want);
}

bool check_rc(const char *what, long got, long want)
{
	if (got == want)
		return check(true, "%s -> %ld", what, got);
	return check(false, "%s -> %ld, want %ld", what, got, want);
}

bool host_is_pvm(void)
{
	return strstr((const char *)start_info->cmd_line, "xenner.host=pvm") != NULL;
}

bool pvm_cannot(const char *what, const char *why)
{
	if (!host_is_pvm())
		return false;
	nskipped++;
	printf("  skip %s: kvm_pvm: %s\n", what, why);
	return true;
}

void shutdown(unsigned int reason)
{
	struct sched_shutdown s = { .reason = reason };
	long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);

	/* Only reached if the hypervisor ignored us: say so and spin. */
	printf("SCHEDOP_shutdown(%u) returned %ld\n", reason, rc);
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

void verdict(void)
{
	if (nskipped)
		printf("%u checks skipped: what kvm_pvm cannot do\n", nskipped);
	if (nfailed == 0) {
		printf("%u checks passed\nVERDICT: PASS %s\n", nchecks, guest_name);
	} else {
		printf("%u of %u checks failed\n", nfailed, nchecks);
		printf("VERDICT: FAIL %s: %s%s\n", guest_name, first_failure,
		       nfailed > 1 ? " (and more)" : "");
	}
	shutdown(SHUTDOWN_poweroff);
}

void fail_now(const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	record(false, desc);
	verdict();
}
