/* reboot — shuts down with SHUTDOWN_reboot: xenner must exit with status 3. */
#include "guest.h"

const char guest_name[] = "reboot";

void guest_main(void)
{
	printf("reboot test: asking to reboot\n");

	struct sched_shutdown s = { .reason = SHUTDOWN_reboot };
	long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);

	fail_now("SCHEDOP_shutdown(SHUTDOWN_reboot) returned %ld", rc);
}
