// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc rm: remove names; objects in use live on until their last holder
 * lets go.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "kipc.h"

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		bad_option(c, argv);
	}
	if (optind == argc)
		usage_error("name at least one object to remove");
	open_device();
	for (; optind < argc; optind++) {
		ret = kipc_object_unlink(argv[optind]);
		if (ret >= 0)
			continue;
		fputs("kipc: cannot remove '", stderr);
		put_name(stderr, argv[optind], strlen(argv[optind]));
		fprintf(stderr, "': %s\n", strerror(-ret));
		status = 1;
	}
	return status;
}
