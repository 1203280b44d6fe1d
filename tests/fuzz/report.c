// SPDX-License-Identifier: GPL-2.0-only
/*
 * Violations: every broken contract is printed with what reproduces it
 * (seed, round, worker, op number) and counted in the run's shared state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

void fz_violation(struct fz_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&c->sh->violations, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "kipc-fuzz: VIOLATION seed=%llu round=%d worker=%d pid=%d op#%llu %s: %s\n",
		(unsigned long long)c->seed, c->round, c->worker, getpid(),
		(unsigned long long)c->opno, c->opname ? c->opname : "-", msg);
}

long fz_sys(long ret)
{
	return ret < 0 ? -errno : ret;
}

void fz_expect_err(struct fz_ctx *c, const char *what, long ret, int want)
{
	if (ret == -want)
		return;
	if (ret >= 0)
		fz_violation(c, "%s: succeeded (%ld), expected %s", what, ret,
			     strerrorname_np(want));
	else
		fz_violation(c, "%s: %s, expected %s", what,
			     strerrorname_np((int)-ret), strerrorname_np(want));
}

void fz_expect_in(struct fz_ctx *c, const char *what, long ret, const int *allowed)
{
	const int *a;

	if (ret >= 0)
		return;
	for (a = allowed; *a; a++)
		if (ret == -*a)
			return;
	fz_violation(c, "%s: undocumented error %s", what,
		     strerrorname_np((int)-ret) ?: "?");
}

long fz_read_sysfs(const char *attr)
{
	char path[128], buf[32] = "";
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), FZ_SYSFS "%s", attr);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			val = strtol(buf, NULL, 10);
		fclose(f);
	}
	return val;
}

static void cat_file(pid_t pid, const char *what)
{
	char path[64], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "kipc-fuzz:   /proc/%d/%s:\n%s%s", pid, what, buf,
		n && buf[n - 1] == '\n' ? "" : "\n");
}

/* What an unkillable process is doing. */
void fz_dump_task(pid_t pid)
{
	cat_file(pid, "stat");
	cat_file(pid, "wchan");
	cat_file(pid, "syscall");
	cat_file(pid, "stack");
}
