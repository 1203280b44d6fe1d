// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc top: the objects with their rates, refreshed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"

struct top_row {
	const struct kipc_stat *st;
	double puts, gets, waits, wakes;
};

static uint64_t ring_sum(const struct kipc_stat *st, bool puts)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < ring_count(st); i++)
		sum += puts ? st->u.ring[i].puts : st->u.ring[i].gets;
	return sum;
}

/* Per second; 0 when a counter went back (ring words are user-written). */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double ax = x->puts + x->gets + x->waits + x->wakes;
	double ay = y->puts + y->gets + y->waits + y->wakes;

	if (ax != ay)
		return ax < ay ? 1 : -1;
	return x->st->id < y->st->id ? -1 : x->st->id > y->st->id;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void top_block(const struct listing *prev, const struct listing *cur,
		      double dt, double interval, bool tty)
{
	const struct kipc_stat zero = { 0 };
	struct top_row *rows = calloc(cur->n ? cur->n : 1, sizeof(*rows));
	size_t i, j = 0, limit = cur->n;
	char clock[16] = "", state[64];
	struct winsize ws;
	time_t t = time(NULL);
	struct tm tm;

	if (!rows)
		die("top", -ENOMEM);
	/* Both listings are in id order: walk them together. */
	for (i = 0; i < cur->n; i++) {
		const struct kipc_stat *c = &cur->v[i], *p = &zero;

		while (j < prev->n && prev->v[j].id < c->id)
			j++;
		if (j < prev->n && prev->v[j].id == c->id)
			p = &prev->v[j];
		rows[i].st = c;
		rows[i].puts = rate(ring_sum(c, true), ring_sum(p, true), dt);
		rows[i].gets = rate(ring_sum(c, false), ring_sum(p, false), dt);
		rows[i].waits = rate(c->waits, p->waits, dt);
		rows[i].wakes = rate(c->wakes, p->wakes, dt);
	}
	qsort(rows, cur->n, sizeof(*rows), row_cmp);

	if (tty) {
		fputs("\033[H\033[2J", stdout);
		/* Leave room for the two header lines and the cursor's. */
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 3 &&
		    limit > (size_t)ws.ws_row - 3)
			limit = ws.ws_row - 3;
	}
	if (localtime_r(&t, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	printf("kipc top - %s, %zu objects, %u hidden, every %gs\n", clock,
	       cur->n, cur->hidden, interval);
	printf("%-8s %-9s %9s %9s %9s %9s %-28s %s\n", "ID", "TYPE", "PUTS/s",
	       "GETS/s", "WAITS/s", "WAKES/s", "STATE", "NAME");
	for (i = 0; i < limit; i++) {
		const struct kipc_stat *st = rows[i].st;

		summary(st, state, sizeof(state));
		printf("%-8llu %-9s %9.1f %9.1f %9.1f %9.1f %-28s ", st->id,
		       type_name(st->type), rows[i].puts, rows[i].gets,
		       rows[i].waits, rows[i].wakes, state);
		if (st->flags & KIPC_STAT_NAMED)
			put_name(stdout, st->name, name_len(st));
		else
			putc('-', stdout);
		putc('\n', stdout);
	}
	if (!tty)
		putc('\n', stdout);
	fflush(stdout);
	free(rows);
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct listing a = { 0 }, b = { 0 }, *prev = &a, *cur = &b, *tmp;
	double delay = 2, t0, t1;
	uint64_t count = 0, i;
	bool tty = isatty(STDOUT_FILENO);
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, ":d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			delay = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(delay >= 0.01) ||
			    delay > 86400)
				usage_error("-d takes seconds (0.01 to 86400), not '%s'",
					    optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, &count) || !count)
				usage_error("-n takes a positive count, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	open_device();

	list_all(0, prev);
	t0 = now_s();
	for (i = 0; !count || i < count; i++) {
		sleep_s(delay);
		list_all(0, cur);
		t1 = now_s();
		top_block(prev, cur, t1 > t0 ? t1 - t0 : delay, delay, tty);
		if (ferror(stdout))
			break;
		tmp = prev;
		prev = cur;
		cur = tmp;
		t0 = t1;
	}
	free(a.v);
	free(b.v);
	return 0;
}
