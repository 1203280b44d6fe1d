// SPDX-License-Identifier: GPL-2.0-only
/*
 * c-throughput: one-way messages per second from one producer process to
 * one consumer process (pinned to different CPUs), for every SPSC
 * transport and message size. The consumer times from its first message to
 * its last; each repetition uses fresh processes and a fresh channel, after
 * one shorter warm-up run. Every message is checked for its sequence byte.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

static const size_t sizes[] = { 8, 64, 256, 4096, 65536 };

/* Messages per run: a fixed byte volume, bounded both ways. */
static long count_for(size_t size, int quick)
{
	long n = (long)((quick ? 8L << 20 : 128L << 20) / size);
	long lo = quick ? 400 : 4000, hi = quick ? 20000 : 200000;

	return n < lo ? lo : n > hi ? hi : n;
}

static void producer(struct chan *c, long n)
{
	unsigned char *buf = calloc(1, c->msg);

	pin_cpu(0);
	for (long i = 0; i < n; i++) {
		buf[0] = (unsigned char)i;
		c->t->send(c, buf);
	}
	if (c->t->flush)
		c->t->flush(c);
	exit(0);
}

static void consumer(struct chan *c, long n, double *rate)
{
	unsigned char *buf = calloc(1, c->msg);
	uint64_t t0 = 0;

	pin_cpu(1);
	for (long i = 0; i < n; i++) {
		c->t->recv(c, buf);
		if (buf[0] != (unsigned char)i)
			die("%s: message %ld out of order", c->t->name, i);
		if (i == 0)
			t0 = now_ns();
	}
	*rate = (double)(n - 1) * 1e9 / (double)(now_ns() - t0);
	exit(0);
}

/* One run: 0 and the rate in *rate, or -errno when the transport cannot. */
static int run_once(const struct transport *t, size_t size, long n, double *rate)
{
	struct chan c;
	double *shared = shared_alloc(sizeof(double));
	int err = chan_create(&c, t, size);

	if (err) {
		shared_free(shared, sizeof(double));
		return err;
	}
	int cons = fork();

	if (cons == 0)
		consumer(&c, n, shared);
	int prod = fork();

	if (prod == 0)
		producer(&c, n);
	if (cons < 0 || prod < 0)
		die("fork");
	reap(prod);
	reap(cons);
	t->destroy(&c);
	*rate = *shared;
	shared_free(shared, sizeof(double));
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_parse(&o, argc, argv, "");
	raise_limits();
	for (const struct transport *const *tp = transports; *tp; tp++) {
		const struct transport *t = *tp;

		if (!(t->flags & T_SPSC) || (o.only && strcmp(o.only, t->name)))
			continue;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			long n = count_for(sizes[s], o.quick);
			double v[64], warm;
			char bcase[32];
			int err, reps = o.reps < 64 ? o.reps : 64;

			snprintf(bcase, sizeof(bcase), "%zuB", sizes[s]);
			err = run_once(t, sizes[s], n / 4 + 2, &warm);
			for (int r = 0; !err && r < reps; r++)
				err = run_once(t, sizes[s], n, &v[r]);
			if (err) {
				note("c-throughput %s %s: skipped: %s", bcase, t->name,
				     strerror(-err));
				continue;
			}
			emit_row("c-throughput", bcase, t->name, "msgs_per_s", v,
				 (size_t)reps, "msg/s");
		}
	}
	return 0;
}
