// SPDX-License-Identifier: GPL-2.0-only
/*
 * A worker: random operations, weighted, until the round ends. Every call
 * is bounded: waits carry deadlines, calls that could sleep for ever are
 * interrupted by a SIGUSR1 timer, and an alarm() watchdog ends a worker
 * whose single op took longer than --op-timeout (a violation: something
 * slept through its deadline and its timer).
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "fuzz.h"

unsigned int fz_op_timeout_s = 20;
static struct fz_ctx *watched;
static timer_t intr_timer;
static int intr_ready;

static void on_usr1(int sig)
{
	(void)sig;
}

static void on_alarm(int sig)
{
	char msg[256];
	int n;

	(void)sig;
	if (watched) {
		__atomic_add_fetch(&watched->sh->violations, 1, __ATOMIC_RELAXED);
		n = snprintf(msg, sizeof(msg),
			     "kipc-fuzz: VIOLATION seed=%llu round=%d worker=%d pid=%d op#%llu %s: still running after %u s\n",
			     (unsigned long long)watched->seed, watched->round, watched->worker,
			     getpid(), (unsigned long long)watched->opno,
			     watched->opname ? watched->opname : "-", fz_op_timeout_s);
		if (write(2, msg, n) < 0)
			n = 0;
	}
	_exit(3);
}

void fz_interrupt_in(unsigned int ms)
{
	struct itimerspec it = { 0 };

	if (!intr_ready)
		return;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_nsec = (ms % 1000) * 1000000L;
	timer_settime(intr_timer, 0, &it, NULL);
}

/*
 * A worker that dies of a fault the fuzzer does not provoke says where:
 * the instruction and the object file it is in, for addr2line.
 */
static void on_crash(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	void *ip = (void *)uc->uc_mcontext.gregs[REG_RIP];
	Dl_info di = { 0 };

	dladdr(ip, &di);
	fprintf(stderr, "kipc-fuzz: pid %d: signal %d (code %d) at %p = %s+0x%lx during %s\n",
		getpid(), sig, si->si_code, ip, di.dli_fname ? di.dli_fname : "?",
		(unsigned long)((char *)ip - (char *)di.dli_fbase),
		watched && watched->opname ? watched->opname : "?");
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Per process: timers are not inherited by fork. */
void fz_signals_init(struct fz_ctx *c)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	intr_ready = !timer_create(CLOCK_MONOTONIC, &sev, &intr_timer);
	watched = c;
}

struct fz_op {
	const char *name;
	void (*fn)(struct fz_ctx *c);
	unsigned int weight;
};

static const struct fz_op ops[] = {
	{ "create", fz_op_create, 8 },
	{ "ctl", fz_op_ctl, 8 },
	{ "wait-any", fz_op_wait_any, 4 },
	{ "observe", fz_op_observe, 4 },
	{ "obj-ioctl", fz_op_obj_ioctl, 14 },
	{ "chan-ioctl", fz_op_chan_ioctl, 8 },
	{ "rw", fz_op_rw, 8 },
	{ "poll", fz_op_poll, 4 },
	{ "mmap", fz_op_mmap, 5 },
	{ "vma", fz_op_vma, 4 },
	{ "scribble", fz_op_scribble, 10 },
	{ "honest", fz_op_honest, 20 },
	{ "uring", fz_op_uring, 4 },
	{ "scm", fz_op_scm, 3 },
	{ "fork", fz_op_fork, 1 },
};

static const struct fz_op *pick_op(struct fz_ctx *c)
{
	static unsigned int total;
	unsigned int i, r;

	if (!total)
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			total += ops[i].weight;
	r = fz_below(c, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return &ops[i];
}

/* Runs ops until @until_ns, the round's end or @max_ops (0: no limit). */
void fz_run_ops(struct fz_ctx *c, __u64 until_ns, unsigned int max_ops)
{
	unsigned int n = 0;

	while (!__atomic_load_n(&c->sh->stop, __ATOMIC_RELAXED)) {
		const struct fz_op *op;
		__u64 now = fz_now_ns();

		if (now >= until_ns || now >= c->deadline_ns || (max_ops && n++ >= max_ops))
			break;
		op = pick_op(c);
		c->opname = op->name;
		c->opno++;
		if (c->trace)
			fprintf(stderr, "kipc-fuzz: trace worker=%d pid=%d op#%llu %s\n", c->worker,
				getpid(), (unsigned long long)c->opno, op->name);
		alarm(fz_op_timeout_s);
		op->fn(c);
		alarm(0);
		__atomic_add_fetch(&c->sh->ops, 1, __ATOMIC_RELAXED);
	}
	c->opname = NULL;
}

void fz_worker_run(struct fz_ctx *c)
{
	fz_signals_init(c);
	fz_run_ops(c, ~0ULL, 0);
	/* exit with everything still open and mapped: the kernel cleans up */
	if (fz_chance(c, 50))
		fz_obj_close_all(c);
	if (fz_chance(c, 50))
		fz_mem_unmap_all(c);
}
