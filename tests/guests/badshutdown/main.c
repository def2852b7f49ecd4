/* badshutdown — a shutdown reason Xen does not define: xenner must exit 4 and say why. */
#include "guest.h"

const char guest_name[] = "badshutdown";

void guest_main(void)
{
	printf("badshutdown test: shutdown reason 200\n");

	struct sched_shutdown s = { .reason = 200 };
	long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);

	fail_now("SCHEDOP_shutdown(200) returned %ld", rc);
}
