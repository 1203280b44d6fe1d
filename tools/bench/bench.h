/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the C benchmarks: clocks, CPU pinning, statistics,
 * the common command line, and the one output format (JSON lines).
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* The command line every benchmark program accepts. */
struct bench_opts {
	int quick;		/* --quick: short runs */
	int reps;		/* --reps N: measured repetitions (after one warm-up) */
	const char *only;	/* --impl NAME: run only this implementation */
};

void bench_parse(struct bench_opts *o, int argc, char **argv, const char *usage);

uint64_t now_ns(void);
int ncpus(void);
/* Pins the calling process to CPU (cpu % ncpus()); silently does nothing on failure. */
void pin_cpu(int cpu);
/* Raises RLIMIT_MSGQUEUE / RLIMIT_NOFILE as far as allowed. */
void raise_limits(void);

noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Shared anonymous memory that survives fork(); never fails (dies). */
void *shared_alloc(size_t size);
void shared_free(void *p, size_t size);

/* Statistics over doubles (sorts the array in place). */
void sort_doubles(double *v, size_t n);
double percentile(double *sorted, size_t n, double p);

/*
 * One result row on stdout: the median of `n` repetition values, with their
 * min and max. The host side (tools/bench/report) adds baseline and ratio.
 */
void emit_row(const char *suite, const char *bcase, const char *impl,
	      const char *metric, double *values, size_t n, const char *unit);

/* Waits for a child and dies unless it exited with status 0. */
void reap(int pid);

#endif
