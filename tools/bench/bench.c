// SPDX-License-Identifier: GPL-2.0-only
/* Shared helpers of the C benchmarks; see bench.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void bench_parse(struct bench_opts *o, int argc, char **argv, const char *usage)
{
	o->quick = 0;
	o->reps = 0;
	o->only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			o->quick = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			o->reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--impl") && i + 1 < argc) {
			o->only = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--quick] [--reps N] [--impl NAME]\n%s",
				argv[0], usage);
			exit(2);
		}
	}
	if (o->reps <= 0)
		o->reps = o->quick ? 3 : 5;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

void pin_cpu(int cpu)
{
	static cpu_set_t all;
	static int have_all;
	cpu_set_t set;
	int n = 0;

	/* Pin among the CPUs we were allowed at first, not among 0..n-1. */
	if (!have_all) {
		if (sched_getaffinity(0, sizeof(all), &all))
			return;
		have_all = 1;
	}
	int want = cpu % (CPU_COUNT(&all) ? CPU_COUNT(&all) : 1);

	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		if (n++ == want) {
			CPU_ZERO(&set);
			CPU_SET(c, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

void raise_limits(void)
{
	struct rlimit rl;
	int res[] = { RLIMIT_MSGQUEUE, RLIMIT_NOFILE };

	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		if (getrlimit(res[i], &rl))
			continue;
		rl.rlim_cur = rl.rlim_max;
		if (res[i] == RLIMIT_MSGQUEUE) {
			struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };

			if (!setrlimit(res[i], &inf))
				continue;
		}
		setrlimit(res[i], &rl);
	}
}

void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "kipc-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", e, strerror(e));
	exit(1);
}

void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kipc-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes", size);
	return p;
}

void shared_free(void *p, size_t size)
{
	munmap(p, size);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

/* Nearest-rank percentile of a sorted array; p in [0, 100]. */
double percentile(double *sorted, size_t n, double p)
{
	if (!n)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void emit_row(const char *suite, const char *bcase, const char *impl,
	      const char *metric, double *values, size_t n, const char *unit)
{
	sort_doubles(values, n);
	double med = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;

	printf("{\"suite\": \"%s\", \"case\": \"%s\", \"impl\": \"%s\", "
	       "\"metric\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
	       "\"min\": %.6g, \"max\": %.6g, \"reps\": %zu}\n",
	       suite, bcase, impl, metric, med, unit, values[0], values[n - 1], n);
	fflush(stdout);
	fprintf(stderr, "  %-12s %-8s %-22s %-12s %12.6g %s  [%.6g .. %.6g]\n",
		suite, bcase, impl, metric, med, unit, values[0], values[n - 1]);
}

void reap(int pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid %d", pid);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("child %d failed (status 0x%x)", pid, status);
}
