// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc info: the driver's ABI and features, libipc's version, and the
 * caller's usage against its limits.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "kipc.h"

/* KIPC_FEATURE_* bit i is named feature_names[i]. */
static const char *const feature_names[] = {
	"shm", "channel", "sync", "uring_cmd", "watch", "list",
};

#define NFEATURES	(sizeof(feature_names) / sizeof(feature_names[0]))

/* A limit of 0 is not "none": the driver then refuses every charge. */
static void print_limit(const char *what, uint64_t used, uint64_t max)
{
	printf("  %-20s %" PRIu64 " of %" PRIu64 "\n", what, used, max);
}

int cmd_info(int argc, char **argv)
{
	struct kipc_usage u;
	bool json = false, first = true;
	unsigned int i;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", json_help_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	open_device();
	ret = kipc_usage(&u);
	if (ret < 0 && ret != -ENOTTY)
		die("cannot read the usage", ret);

	if (json) {
		printf("{\"version\":%d,\"api\":{\"version\":%u,\"features\":%llu,"
		       "\"feature_names\":[", JSON_VERSION, api.version,
		       api.features);
		for (i = 0; i < 64; i++) {
			if (!(api.features & (1ULL << i)))
				continue;
			printf("%s", first ? "" : ",");
			first = false;
			if (i < NFEATURES)
				json_cstr(stdout, feature_names[i]);
			else
				printf("\"bit%u\"", i);
		}
		printf("]},\"libipc\":\"%d.%d\",\"usage\":", kipc_lib_major(),
		       kipc_lib_minor());
		if (ret < 0)
			fputs("null", stdout);
		else
			printf("{\"bytes\":%llu,\"objects\":%llu,\"max_bytes\":%llu,"
			       "\"max_objects\":%llu,\"total_bytes\":%llu,"
			       "\"max_total_bytes\":%llu}", u.bytes, u.objects,
			       u.max_bytes, u.max_objects, u.total_bytes,
			       u.max_total_bytes);
		puts("}");
		return 0;
	}
	printf("driver ABI version:  %u\n", api.version);
	fputs("driver features:    ", stdout);
	for (i = 0; i < 64; i++) {
		if (!(api.features & (1ULL << i)))
			continue;
		if (i < NFEATURES)
			printf(" %s", feature_names[i]);
		else
			printf(" bit%u", i);
	}
	printf(" (0x%llx)\n", api.features);
	printf("libipc version:      %d.%d\n", kipc_lib_major(), kipc_lib_minor());
	if (ret < 0) {
		puts("usage:               not reported by this driver"
		     " (no KIPC_FEATURE_LIST)");
		return 0;
	}
	printf("usage (uid %u):\n", (unsigned int)geteuid());
	print_limit("bytes:", u.bytes, u.max_bytes);
	print_limit("objects:", u.objects, u.max_objects);
	print_limit("all users' bytes:", u.total_bytes, u.max_total_bytes);
	return 0;
}
