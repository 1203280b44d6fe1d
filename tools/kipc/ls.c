// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc ls: the objects you may see, one a line or as JSON.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kipc.h"

static void ls_line(const struct kipc_stat *st)
{
	char owner[64], state[64];

	owner_name(st->uid, owner, sizeof(owner));
	summary(st, state, sizeof(state));
	printf("%-8llu %-9s %-10s %04o %10llu %10llu %5u %-28s ", st->id,
	       type_name(st->type), owner, st->mode, st->size, st->kmem,
	       st->mappings, state);
	if (st->flags & KIPC_STAT_NAMED) {
		put_name(stdout, st->name, name_len(st));
		if (!(st->flags & KIPC_STAT_LINKED))
			fputs(" (unlinked)", stdout);
	} else {
		putc('-', stdout);
	}
	putc('\n', stdout);
}

int cmd_ls(int argc, char **argv)
{
	struct listing l = { 0 };
	uint32_t type = 0;
	bool json = false;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, ":t:h", json_help_opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = type_from_name(optarg);
			if (!type)
				usage_error("unknown type '%s'", optarg);
			break;
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
	list_all(type, &l);
	if (json) {
		printf("{\"version\":%d,\"objects\":[", JSON_VERSION);
		for (i = 0; i < l.n; i++) {
			fputs(i ? ",\n" : "\n", stdout);
			json_stat(stdout, &l.v[i]);
		}
		printf("\n],\"hidden\":%u}\n", l.hidden);
	} else {
		printf("%-8s %-9s %-10s %-4s %10s %10s %5s %-28s %s\n", "ID",
		       "TYPE", "OWNER", "MODE", "SIZE", "KMEM", "MAPS", "STATE",
		       "NAME");
		for (i = 0; i < l.n; i++)
			ls_line(&l.v[i]);
		if (l.hidden)
			printf("%u object%s hidden (no permission)\n", l.hidden,
			       l.hidden == 1 ? "" : "s");
	}
	free(l.v);
	return 0;
}
