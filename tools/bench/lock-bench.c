// SPDX-License-Identifier: GPL-2.0-only
/*
 * c-lock: process-shared locks.
 *   uncontended      lock/unlock pairs per second in one process
 *   contended-2proc  pairs per second, two processes on two CPUs hammering
 *                    one lock around a shared counter (checked at the end)
 *   handoff          microseconds from unlock() in the holder to lock()
 *                    returning in a waiter already asleep on the lock
 *                    (p50 and p99 per repetition)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "lock.h"

/* Add kipc's process-shared lock here. */
static const struct lock_impl *const locks[] = {
	&l_robust_mutex,
	&l_named_sem,
	&l_kipc_lock,
	NULL,
};

/* How long the holder waits for the waiter to fall asleep, per hand-off. */
#define HANDOFF_SETTLE_US 500

struct shared {
	_Atomic int go;
	_Atomic long phase;	/* 2i+1: holder has lock i; 2i+2: waiter got it */
	_Atomic long ready;	/* i: waiter is about to lock for hand-off i */
	_Atomic uint64_t t_unlock;
	long counter;		/* protected by the lock */
	uint64_t end_ns[2];
	double *samples;
	_Alignas(64) unsigned char lock[256];
};

static void spin_until(_Atomic long *word, long val)
{
	while (atomic_load(word) < val)
		sched_yield();
}

static double uncontended(const struct lock_impl *l, struct shared *sh, long n)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < n; i++) {
		l->lock(sh->lock);
		l->unlock(sh->lock);
	}
	return (double)n * 1e9 / (double)(now_ns() - t0);
}

static double contended(const struct lock_impl *l, struct shared *sh, long n)
{
	int pids[2];

	sh->counter = 0;
	atomic_store(&sh->go, 0);
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			die("fork");
		if (pids[p] == 0) {
			pin_cpu(p);
			while (!atomic_load(&sh->go))
				sched_yield();
			for (long i = 0; i < n; i++) {
				l->lock(sh->lock);
				sh->counter++;
				l->unlock(sh->lock);
			}
			sh->end_ns[p] = now_ns();
			exit(0);
		}
	}
	usleep(20000);
	uint64_t t0 = now_ns();

	atomic_store(&sh->go, 1);
	reap(pids[0]);
	reap(pids[1]);
	if (sh->counter != 2 * n)
		die("%s: counter %ld, expected %ld", l->name, sh->counter, 2 * n);
	uint64_t end = sh->end_ns[0] > sh->end_ns[1] ? sh->end_ns[0] : sh->end_ns[1];

	return (double)(2 * n) * 1e9 / (double)(end - t0);
}

static void handoff(const struct lock_impl *l, struct shared *sh, long n, double p[2])
{
	struct timespec settle = { 0, HANDOFF_SETTLE_US * 1000L };
	int holder, waiter;

	atomic_store(&sh->phase, 0);
	atomic_store(&sh->ready, -1);
	waiter = fork();
	if (waiter == 0) {
		pin_cpu(1);
		for (long i = 0; i < n; i++) {
			spin_until(&sh->phase, 2 * i + 1);
			atomic_store(&sh->ready, i);
			l->lock(sh->lock);
			uint64_t t = now_ns();

			sh->samples[i] = (double)(t - atomic_load(&sh->t_unlock)) / 1e3;
			l->unlock(sh->lock);
			atomic_store(&sh->phase, 2 * i + 2);
		}
		exit(0);
	}
	holder = fork();
	if (holder == 0) {
		pin_cpu(0);
		for (long i = 0; i < n; i++) {
			l->lock(sh->lock);
			atomic_store(&sh->phase, 2 * i + 1);
			spin_until(&sh->ready, i);
			nanosleep(&settle, NULL);
			atomic_store(&sh->t_unlock, now_ns());
			l->unlock(sh->lock);
			spin_until(&sh->phase, 2 * i + 2);
		}
		exit(0);
	}
	if (waiter < 0 || holder < 0)
		die("fork");
	reap(holder);
	reap(waiter);
	sort_doubles(sh->samples, (size_t)n);
	p[0] = percentile(sh->samples, (size_t)n, 50);
	p[1] = percentile(sh->samples, (size_t)n, 99);
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_parse(&o, argc, argv, "");
	long n_unc = o.quick ? 200000 : 2000000;
	long n_con = o.quick ? 20000 : 200000;
	long n_hand = o.quick ? 200 : 2000;
	int reps = o.reps < 64 ? o.reps : 64;

	for (const struct lock_impl *const *lp = locks; *lp; lp++) {
		const struct lock_impl *l = *lp;
		double unc[64], con[64], h50[64], h99[64], p[2];
		struct shared *sh;

		if (o.only && strcmp(o.only, l->name))
			continue;
		if (l->size > sizeof(sh->lock))
			die("%s needs %zu bytes", l->name, l->size);
		sh = shared_alloc(sizeof(*sh));
		sh->samples = shared_alloc((size_t)n_hand * sizeof(double));
		int err = l->init(sh->lock);

		if (err) {
			note("c-lock %s: skipped: %s", l->name, strerror(-err));
			shared_free(sh->samples, (size_t)n_hand * sizeof(double));
			shared_free(sh, sizeof(*sh));
			continue;
		}
		pin_cpu(0);
		uncontended(l, sh, n_unc / 4);
		for (int r = 0; r < reps; r++)
			unc[r] = uncontended(l, sh, n_unc);
		contended(l, sh, n_con / 4);
		for (int r = 0; r < reps; r++)
			con[r] = contended(l, sh, n_con);
		handoff(l, sh, n_hand / 4 + 1, p);
		for (int r = 0; r < reps; r++) {
			handoff(l, sh, n_hand, p);
			h50[r] = p[0];
			h99[r] = p[1];
		}
		l->destroy(sh->lock);
		shared_free(sh->samples, (size_t)n_hand * sizeof(double));
		shared_free(sh, sizeof(*sh));
		emit_row("c-lock", "uncontended", l->name, "pairs_per_s", unc, (size_t)reps, "pair/s");
		emit_row("c-lock", "contended-2proc", l->name, "pairs_per_s", con, (size_t)reps, "pair/s");
		emit_row("c-lock", "handoff", l->name, "handoff_p50", h50, (size_t)reps, "us");
		emit_row("c-lock", "handoff", l->name, "handoff_p99", h99, (size_t)reps, "us");
	}
	return 0;
}
