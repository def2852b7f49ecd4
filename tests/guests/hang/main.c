/* hang — a guest that blocks forever: xenner stopped by a signal must say where it was. */
#include "guest.h"

const char guest_name[] = "hang";

void guest_main(void)
{
	printf("hang test: blocking forever with no timer and no event\n");
	/* No VIRQ_TIMER bound, no channel, no callback: nothing can wake it. */
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}
