/* crash — shuts down with SHUTDOWN_crash: xenner must exit with status 2. */
#include "guest.h"

const char guest_name[] = "crash";

void guest_main(void)
{
	printf("crash test: crashing on purpose\n");

	struct sched_shutdown s = { .reason = SHUTDOWN_crash };
	long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);

	fail_now("SCHEDOP_shutdown(SHUTDOWN_crash) returned %ld", rc);
}
