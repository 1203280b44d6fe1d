/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tiny interface of the process-shared locks of c-lock. The parent
 * calls init() on shared memory of `size` bytes before fork(); every
 * process then locks and unlocks it. Adding kipc.Lock's C counterpart is
 * one l_*.c file and one line in lock-bench.c.
 */
#ifndef KIPC_BENCH_LOCK_H
#define KIPC_BENCH_LOCK_H

#include <stddef.h>

struct lock_impl {
	const char *name;	/* the impl name in results.json */
	size_t size;		/* shared bytes init() needs */
	int (*init)(void *mem);	/* 0, or -errno to skip */
	void (*lock)(void *mem);
	void (*unlock)(void *mem);
	void (*destroy)(void *mem);
};

extern const struct lock_impl l_robust_mutex, l_named_sem, l_kipc_lock;

#endif
