// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc: the subcommand dispatch, the usage text, the errors shared by
 * every subcommand and the device handshake. kipc.h says where the rest
 * of the command lives.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc.h"

#define EXIT_USAGE	2

/* --- errors ------------------------------------------------------------ */

static const char *cmd_name = "";	/* the subcommand, for messages */

void usage(FILE *f)
{
	fputs("Usage: kipc [--help] [--version] COMMAND [ARGS]\n"
	      "\n"
	      "List, inspect and remove kipc objects.\n"
	      "\n"
	      "Commands:\n"
	      "  ls [-t TYPE] [--json]         the objects you may see, one a line\n"
	      "  stat [--json] NAME | --id ID | --fd PID:FD\n"
	      "                                one object's statistics and holders\n"
	      "  rm NAME...                    remove names (objects in use live on)\n"
	      "  top [-d SECONDS] [-n COUNT]   objects with their rates, refreshed\n"
	      "  info [--json]                 driver, library, limits and your usage\n"
	      "\n"
	      "TYPE: shm, channel, pipe, semaphore, lock, rlock, event, barrier,\n"
	      "condition. Exit status: 0 done, 1 an error, 2 bad usage. See kipc(1).\n",
	      f);
}

void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kipc%s%s: ", *cmd_name ? " " : "", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	usage(stderr);
	exit(EXIT_USAGE);
}

/* After getopt_long returned '?' or ':' (opterr is 0). */
void __attribute__((noreturn)) bad_option(int c, char **argv)
{
	if (c == ':')
		usage_error("option '%s' requires an argument", argv[optind - 1]);
	if (optopt)
		usage_error("invalid option -- '%c'", optopt);
	usage_error("unrecognized option '%s'", argv[optind - 1]);
}

static const char *device_path(void)
{
	const char *path = secure_getenv("KIPC_DEVICE");

	return path && *path ? path : KIPC_DEVICE_PATH;
}

/* "kipc: WHAT: strerror", with a hint where the cause is known; exit 1. */
void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "kipc: %s: %s", what, strerror(-err));
	if (err == -ENOTTY)
		fputs(" (the loaded kipc driver cannot list objects:"
		      " no KIPC_FEATURE_LIST)", stderr);
	putc('\n', stderr);
	exit(1);
}

struct kipc_api api;

/* The handshake, so that a missing module is told apart from a name. */
void open_device(void)
{
	int fd = kipc_dev_open(&api);

	if (fd >= 0) {
		close(fd);
		return;
	}
	fprintf(stderr, "kipc: cannot open %s: %s%s\n", device_path(),
		strerror(-fd), fd == -ENOENT ? " (is the kipc module loaded?)" :
		fd == -ENODEV ? " (not a kipc device)" : "");
	exit(1);
}

static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "kipc: write error: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

/* --- arguments --------------------------------------------------------- */

/* The options of ls and info. */
const struct option json_help_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Digits only: strtoull alone would take blanks and a sign. */
bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* --- main -------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "ls", cmd_ls },
	{ "stat", cmd_stat },
	{ "rm", cmd_rm },
	{ "top", cmd_top },
	{ "info", cmd_info },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return finish(0);
		case 'V':
			printf("kipc (libipc %d.%d, built with %d.%d)\n",
			       kipc_lib_major(), kipc_lib_minor(),
			       KIPC_LIB_MAJOR, KIPC_LIB_MINOR);
			return finish(0);
		default:
			bad_option(c, argv);
		}
	}
	if (optind == argc)
		usage_error("no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		cmd_name = commands[i].name;
		argc -= optind;
		argv += optind;
		optind = 0;	/* glibc: start the next parse afresh */
		return finish(commands[i].fn(argc, argv));
	}
	usage_error("unknown command '%s'", argv[optind]);
}
