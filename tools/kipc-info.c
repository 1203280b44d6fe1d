// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc-info: open the kipc device, perform the API handshake and print
 * what the driver and the library report.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libipc.h>

int main(void)
{
	struct kipc_api api;
	int fd = kipc_dev_open(&api);

	if (fd < 0) {
		fprintf(stderr, "kipc-info: cannot open kipc: %s%s\n", strerror(-fd),
			fd == -ENOENT ? " (is the kipc module loaded?)" : "");
		return 1;
	}
	printf("kipc driver ABI version: %u\n", api.version);
	printf("kipc driver features:    0x%llx\n", (unsigned long long)api.features);
	printf("libipc version:          %d.%d\n", kipc_lib_major(), kipc_lib_minor());
	close(fd);
	return 0;
}
