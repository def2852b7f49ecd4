/* main.c — xenner: run a Xen PV guest as a KVM virtual machine. */
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenner/config.h>
#include <xenner/util.h>

int main(int argc, char **argv)
{
	struct xenner_config cfg;
	char err[256];

	config_init(&cfg);
	switch (options_parse(argc, argv, &cfg, err, sizeof(err))) {
	case OPTIONS_EXIT_OK:
		if (argc == 2 && !strcmp(argv[1], "--version"))
			printf("KVM host kind: %s\n", host_kind_detect());
		return 0;
	case OPTIONS_ERROR:
		die("%s", err);
	case OPTIONS_RUN:
		break;
	}
	int status = domain_run(&cfg);
	fflush(stdout);
	/* vCPU threads may still sit in KVM_RUN: leave without joining them. */
	_exit(status);
}
