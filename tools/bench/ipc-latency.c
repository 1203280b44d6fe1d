// SPDX-License-Identifier: GPL-2.0-only
/*
 * c-latency: ping-pong round trips between two processes (pinned to
 * different CPUs) over two channels of the same transport. Every round trip
 * is timed; each repetition reports its p50, p99 and p99.9, and the rows
 * give the median of those over the repetitions (after one warm-up run).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

static const size_t sizes[] = { 8, 256, 4096 };

static void pinger(struct chan *ab, struct chan *ba, long n, double *us)
{
	unsigned char *buf = calloc(1, ab->msg);

	pin_cpu(0);
	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		buf[0] = (unsigned char)i;
		ab->t->send(ab, buf);
		ba->t->recv(ba, buf);
		us[i] = (double)(now_ns() - t0) / 1e3;
		if (buf[0] != (unsigned char)i)
			die("%s: reply %ld out of order", ab->t->name, i);
	}
	exit(0);
}

static void ponger(struct chan *ab, struct chan *ba, long n)
{
	unsigned char *buf = calloc(1, ab->msg);

	pin_cpu(1);
	for (long i = 0; i < n; i++) {
		ab->t->recv(ab, buf);
		ba->t->send(ba, buf);
	}
	exit(0);
}

/* One run; fills p[0..2] with p50, p99, p99.9 in microseconds. */
static int run_once(const struct transport *t, size_t size, long n, double p[3])
{
	struct chan ab, ba;
	double *us = shared_alloc((size_t)n * sizeof(double));
	int err = chan_create(&ab, t, size);

	if (!err) {
		err = chan_create(&ba, t, size);
		if (err)
			t->destroy(&ab);
	}
	if (err) {
		shared_free(us, (size_t)n * sizeof(double));
		return err;
	}
	int pong = fork();

	if (pong == 0)
		ponger(&ab, &ba, n);
	int ping = fork();

	if (ping == 0)
		pinger(&ab, &ba, n, us);
	if (pong < 0 || ping < 0)
		die("fork");
	reap(ping);
	reap(pong);
	t->destroy(&ab);
	t->destroy(&ba);
	sort_doubles(us, (size_t)n);
	p[0] = percentile(us, (size_t)n, 50);
	p[1] = percentile(us, (size_t)n, 99);
	p[2] = percentile(us, (size_t)n, 99.9);
	shared_free(us, (size_t)n * sizeof(double));
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const metrics[3] = { "rtt_p50", "rtt_p99", "rtt_p99.9" };
	struct bench_opts o;

	bench_parse(&o, argc, argv, "");
	raise_limits();
	long n = o.quick ? 2000 : 20000;

	for (const struct transport *const *tp = transports; *tp; tp++) {
		const struct transport *t = *tp;

		if (!(t->flags & T_SPSC) || (t->flags & T_BATCH) ||
		    (o.only && strcmp(o.only, t->name)))
			continue;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double v[3][64], p[3];
			char bcase[32];
			int err, reps = o.reps < 64 ? o.reps : 64;

			snprintf(bcase, sizeof(bcase), "%zuB", sizes[s]);
			err = run_once(t, sizes[s], n / 4 + 2, p);
			for (int r = 0; !err && r < reps; r++) {
				err = run_once(t, sizes[s], n, p);
				for (int m = 0; m < 3; m++)
					v[m][r] = p[m];
			}
			if (err) {
				note("c-latency %s %s: skipped: %s", bcase, t->name,
				     strerror(-err));
				continue;
			}
			for (int m = 0; m < 3; m++)
				emit_row("c-latency", bcase, t->name, metrics[m], v[m],
					 (size_t)reps, "us");
		}
	}
	return 0;
}
