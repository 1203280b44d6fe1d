/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc: list, inspect and remove kipc objects, as ipcs(1) and ipcrm(1) do
 * for System V IPC. man/man1/kipc.1 describes the commands and the JSON
 * they print; Documentation/observability.rst the driver's side.
 *
 * What the command's files share: main.c parses the arguments and reports
 * errors, output.c formats objects, listing.c collects them, and ls.c,
 * stat.c, rm.c, top.c and info.c are one subcommand each.
 */
#ifndef KIPC_TOOL_H
#define KIPC_TOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libipc.h>

/* "version" of every JSON document this program prints. */
#define JSON_VERSION	1

/* --- main.c: arguments, errors, the device --- */

extern struct kipc_api api;
extern const struct option json_help_opts[];

void usage(FILE *f);
void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...);
void __attribute__((noreturn)) bad_option(int c, char **argv);
bool parse_u64(const char *s, uint64_t *out);
void __attribute__((noreturn)) die(const char *what, int err);
void open_device(void);

/* --- output.c: type names and formatting --- */

const char *type_name(uint32_t type);
uint32_t type_from_name(const char *s);
bool is_sync(uint32_t type);
unsigned int ring_count(const struct kipc_stat *st);
size_t name_len(const struct kipc_stat *st);
void put_name(FILE *f, const char *s, size_t len);
void json_cstr(FILE *f, const char *s);
void json_stat(FILE *f, const struct kipc_stat *st);
void summary(const struct kipc_stat *st, char *buf, size_t size);
void owner_name(uint32_t uid, char *buf, size_t size);
void group_name(uint32_t gid, char *buf, size_t size);

/* --- listing.c --- */

struct listing {
	struct kipc_stat *v;
	size_t n, cap;
	uint32_t hidden;
};

void list_all(uint32_t type, struct listing *l);

/* --- the subcommands --- */

int cmd_ls(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif /* KIPC_TOOL_H */
