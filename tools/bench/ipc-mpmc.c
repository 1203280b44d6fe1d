// SPDX-License-Identifier: GPL-2.0-only
/*
 * c-mpmc: P producer processes and C consumer processes share one channel
 * (P, C in 1, 2, 4) and move a fixed number of 64-byte messages. Producers
 * are pinned to even CPU slots and consumers to odd ones (on two CPUs:
 * producers on one, consumers on the other). All start together at a
 * barrier; the clock stops at the last data message any consumer receives.
 * When the producers are done, the parent sends one stop message per
 * consumer, which arrives after all data on these FIFO transports.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

#define MSG 64
#define MAXC 4

static const int counts[] = { 1, 2, 4 };

struct mpmc_shared {
	uint64_t last_ns[MAXC];
	long received[MAXC];
};

static void wait_barrier(int fd)
{
	char c;

	/* Returns at end of file: when the parent closes the write end. */
	while (read(fd, &c, 1) > 0)
		;
}

static void producer(struct chan *c, int idx, long n, int barrier)
{
	unsigned char buf[MSG] = { 0 };

	pin_cpu(2 * idx);
	wait_barrier(barrier);
	buf[1] = (unsigned char)idx;
	for (long i = 0; i < n; i++)
		c->t->send(c, buf);
	exit(0);
}

static void consumer(struct chan *c, int idx, struct mpmc_shared *sh, int barrier)
{
	unsigned char buf[MSG];
	long got = 0;

	pin_cpu(2 * idx + 1);
	wait_barrier(barrier);
	for (;;) {
		c->t->recv(c, buf);
		if (buf[0])
			break;
		got++;
		sh->last_ns[idx] = now_ns();
	}
	sh->received[idx] = got;
	exit(0);
}

static int run_once(const struct transport *t, int np, int nc, long total, double *rate)
{
	struct mpmc_shared *sh = shared_alloc(sizeof(*sh));
	int pids[8], barrier[2], k = 0;
	long per = total / np;
	struct chan c;
	int err = chan_create(&c, t, MSG);

	if (err) {
		shared_free(sh, sizeof(*sh));
		return err;
	}
	if (pipe(barrier))
		die("pipe");
	for (int i = 0; i < nc; i++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(barrier[1]);
			consumer(&c, i, sh, barrier[0]);
		}
		if (pids[k++] < 0)
			die("fork");
	}
	for (int i = 0; i < np; i++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(barrier[1]);
			producer(&c, i, per, barrier[0]);
		}
		if (pids[k++] < 0)
			die("fork");
	}
	close(barrier[0]);
	usleep(20000);	/* let everyone reach the barrier */
	uint64_t start = now_ns();

	close(barrier[1]);
	for (int i = nc; i < k; i++)
		reap(pids[i]);
	unsigned char stop[MSG] = { 1 };

	for (int i = 0; i < nc; i++)
		t->send(&c, stop);
	for (int i = 0; i < nc; i++)
		reap(pids[i]);
	t->destroy(&c);

	uint64_t last = start;
	long got = 0;

	for (int i = 0; i < nc; i++) {
		got += sh->received[i];
		if (sh->last_ns[i] > last)
			last = sh->last_ns[i];
	}
	if (got != per * np)
		die("%s %dp%dc: %ld of %ld messages arrived", t->name, np, nc, got, per * np);
	*rate = (double)got * 1e9 / (double)(last - start);
	shared_free(sh, sizeof(*sh));
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_parse(&o, argc, argv, "");
	raise_limits();
	long total = o.quick ? 20000 : 200000;

	for (const struct transport *const *tp = transports; *tp; tp++) {
		const struct transport *t = *tp;

		if (!(t->flags & T_MPMC) || (o.only && strcmp(o.only, t->name)))
			continue;
		for (size_t p = 0; p < sizeof(counts) / sizeof(counts[0]); p++) {
			for (size_t q = 0; q < sizeof(counts) / sizeof(counts[0]); q++) {
				int np = counts[p], nc = counts[q];
				int err, reps = o.reps < 64 ? o.reps : 64;
				double v[64], warm;
				char bcase[32];

				snprintf(bcase, sizeof(bcase), "%dp%dc", np, nc);
				err = run_once(t, np, nc, total / 4, &warm);
				for (int r = 0; !err && r < reps; r++)
					err = run_once(t, np, nc, total, &v[r]);
				if (err) {
					note("c-mpmc %s %s: skipped: %s", bcase, t->name,
					     strerror(-err));
					continue;
				}
				emit_row("c-mpmc", bcase, t->name, "msgs_per_s", v,
					 (size_t)reps, "msg/s");
			}
		}
	}
	return 0;
}
