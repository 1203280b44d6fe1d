// SPDX-License-Identifier: GPL-2.0-only
/*
 * Barrier death rules against the driver, through libipc: a process killed
 * while it has the barrier mapped breaks it (before anyone waits, while
 * others wait, between generations) so that nobody hangs; a mapping that
 * leaves normally (exit, exec, munmap) breaks it only if it is counted
 * among the current arrivals; reset() after a death makes it usable again;
 * and generations under stress, with and without mappings coming and
 * going, hand out every arrival index exactly once.
 *
 * Deadlines in waits are guards against a hang only, never the expected
 * outcome. KIPC_TEST_SCALE=N divides the iteration counts by N.
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define SEC	1000000000ULL
#define GUARD	(60 * SEC)

static int wait_eq(volatile int *p, int v)
{
	int i;

	for (i = 0; i < 30000; i++) {
		if (__atomic_load_n(p, __ATOMIC_SEQ_CST) == v)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* A party that waits once; its exit code is the index, or 100 + errno. */
static pid_t party(struct kipc_sync *b)
{
	pid_t pid = fork();
	int idx;

	if (pid)
		return pid;
	idx = kipc_barrier_wait(b, kt_in_ns(GUARD));
	_exit(idx >= 0 ? idx : 100 - idx);
}

/* A process that has the barrier mapped and works until it is killed. */
static pid_t worker(void)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (;;)
		pause();
}

FIXTURE(barrier) {
	long objects, names;
	struct kipc_sync *b;
};

FIXTURE_SETUP(barrier)
{
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
	ASSERT_EQ(0, kipc_barrier_create(&self->b, NULL, 3, 0, 0));
}

FIXTURE_TEARDOWN(barrier)
{
	kipc_sync_close(self->b);
	EXPECT_EQ(self->objects, kt_objects());
	EXPECT_EQ(self->names, kt_names());
}

/* The indices two parties exited with are two different ones of 0..2. */
static int distinct_indices(int a, int b)
{
	return a >= 0 && a < 3 && b >= 0 && b < 3 && a != b;
}

TEST_F(barrier, killed_before_anyone_waits)
{
	pid_t w = worker(), p1, p2;

	ASSERT_LT(0, w);
	usleep(10000);
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	kt_kill_reap(w);
	/* The kill alone breaks it: a killed process may be a party. */
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
	EXPECT_EQ(0, kipc_barrier_waiting(self->b));
	p1 = party(self->b);
	p2 = party(self->b);
	EXPECT_EQ(100 + EPIPE, kt_reap(p1));
	EXPECT_EQ(100 + EPIPE, kt_reap(p2));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
}

TEST_F(barrier, killed_while_others_wait)
{
	pid_t w = worker(), p1, p2;

	ASSERT_LT(0, w);
	p1 = party(self->b);
	p2 = party(self->b);
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 2));
	EXPECT_EQ(2, kipc_barrier_waiting(self->b));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	kt_kill_reap(w);
	EXPECT_EQ(100 + EPIPE, kt_reap(p1));
	EXPECT_EQ(100 + EPIPE, kt_reap(p2));
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
}

/* A waiting party that is killed breaks it as well. */
TEST_F(barrier, waiting_party_killed)
{
	pid_t p1 = party(self->b), p2;

	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 1));
	p2 = party(self->b);
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 2));
	kt_kill_reap(p1);
	EXPECT_EQ(100 + EPIPE, kt_reap(p2));
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
}

TEST_F(barrier, killed_between_generations)
{
	volatile int *mem = kt_shared(4096);
	pid_t pids[3];
	int i, st[3];

	ASSERT_NE(NULL, mem);
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		mem[i] = kipc_barrier_wait(self->b, kt_in_ns(GUARD));
		__atomic_add_fetch(&mem[3], 1, __ATOMIC_SEQ_CST);
		if (i == 2)
			for (;;)
				pause();	/* works until killed */
		/* Nobody waits at generation 1 when the kill comes. */
		if (wait_eq(&mem[4], 1))
			_exit(2);
		_exit(100 - kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
	}
	ASSERT_EQ(0, wait_eq(&mem[3], 3));
	kt_kill_reap(pids[2]);
	EXPECT_EQ(0, kipc_barrier_waiting(self->b));
	mem[4] = 1;
	for (i = 0; i < 2; i++)
		st[i] = kt_reap(pids[i]);
	/* Generation 0 completed with each index once; 1 broke. */
	EXPECT_EQ(100 + EPIPE, st[0]);
	EXPECT_EQ(100 + EPIPE, st[1]);
	EXPECT_TRUE(distinct_indices(mem[0], mem[1]));
	EXPECT_TRUE(distinct_indices(mem[0], mem[2]));
	EXPECT_TRUE(distinct_indices(mem[1], mem[2]));
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
	munmap((void *)mem, 4096);
}

/* Exit, exec and munmap of mappings that did not arrive: still completes. */
TEST_F(barrier, non_party_leaving_does_not_break)
{
	pid_t p1, p2, pid;
	void *m;
	int a, c;

	p1 = party(self->b);
	p2 = party(self->b);
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 2));
	/* A process that merely has it mapped exits normally... */
	pid = fork();
	if (!pid)
		_exit(0);
	EXPECT_EQ(0, kt_reap(pid));
	/* ...or with an error status... */
	pid = fork();
	if (!pid)
		exit(3);
	EXPECT_EQ(3, kt_reap(pid));
	/* ...or execs another program... */
	pid = fork();
	if (!pid) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(99);
	}
	EXPECT_EQ(0, kt_reap(pid));
	/* ...and the creator maps it once more and unmaps it. */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		 kipc_sync_fd(self->b), 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, munmap(m, 4096));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	EXPECT_EQ(2, kipc_barrier_waiting(self->b));
	c = kipc_barrier_wait(self->b, kt_in_ns(GUARD));
	EXPECT_EQ(2, c);
	a = kt_reap(p1);
	EXPECT_TRUE(distinct_indices(a, kt_reap(p2)));
	EXPECT_TRUE(a == 0 || a == 1);
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
}

/*
 * A creator that never waits exits normally while two parties wait; the
 * third arrives after that: all pass. The parties are the creator's
 * children, reparented to us (a subreaper) when it exits.
 */
TEST_F(barrier, creator_exits_while_parties_wait)
{
	volatile int *mem = kt_shared(4096);
	pid_t creator, pid;
	int i, n;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	creator = fork();
	if (!creator) {
		struct kipc_sync *b;

		if (kipc_barrier_create(&b, NULL, 3, 0, 0))
			_exit(1);
		for (i = 0; i < 3; i++) {
			if (fork())
				continue;
			/* The last party arrives once the creator is gone. */
			if (i == 2)
				while (getppid() != mem[0])
					usleep(1000);
			mem[1 + i] = kipc_barrier_wait(b, kt_in_ns(GUARD));
			_exit(0);
		}
		_exit(kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 2) ? 2 : 0);
	}
	mem[0] = getpid();
	EXPECT_EQ(0, kt_reap(creator));
	for (n = 0; n < 3; n++) {
		pid = waitpid(-1, &i, 0);
		ASSERT_LT(0, pid);
		EXPECT_TRUE(WIFEXITED(i) && !WEXITSTATUS(i));
	}
	EXPECT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 0));
	/* Each index once. */
	EXPECT_EQ(1 + 2 + 4, (1 << mem[1]) | (1 << mem[2]) | (1 << mem[3]));
	munmap((void *)mem, 4096);
}

/*
 * A party whose mapping leaves normally while it is counted among the
 * arrivals (a thread waits, another ends the process with exit()) breaks
 * the barrier: that arrival can never be released correctly.
 */
static void *thread_wait(void *arg)
{
	kipc_barrier_wait(arg, kt_in_ns(GUARD));
	return NULL;
}

TEST_F(barrier, arrival_leaving_normally_breaks)
{
	volatile int *mem = kt_shared(4096);
	pid_t pid, p1;

	ASSERT_NE(NULL, mem);
	p1 = party(self->b);
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 1));
	pid = fork();
	if (!pid) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_wait, self->b))
			_exit(1);
		while (!mem[0])
			usleep(1000);
		exit(0);
	}
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(self->b), "kipc-sleepers", 2));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	mem[0] = 1;
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(100 + EPIPE, kt_reap(p1));
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
	munmap((void *)mem, 4096);
}

TEST_F(barrier, reset_after_death)
{
	pid_t w = worker(), p1, p2;
	int a, c;

	ASSERT_LT(0, w);
	kt_kill_reap(w);
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
	EXPECT_EQ(0, kipc_barrier_reset(self->b));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	p1 = party(self->b);
	p2 = party(self->b);
	c = kipc_barrier_wait(self->b, kt_in_ns(GUARD));
	a = kt_reap(p1);
	EXPECT_TRUE(distinct_indices(a, kt_reap(p2)));
	EXPECT_TRUE(distinct_indices(a, c));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
	/* abort() breaks it for good, until reset() again. */
	EXPECT_EQ(0, kipc_barrier_abort(self->b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
	EXPECT_EQ(0, kipc_barrier_reset(self->b));
	EXPECT_EQ(0, kipc_barrier_broken(self->b));
}

/* ---- stress -------------------------------------------------------------- */

#define NPROC	4
#define MAXGEN	4096

/*
 * NPROC parties pass @gens generations; seen[g] collects the indices of
 * generation g. Meanwhile the parent keeps mapping and unmapping the
 * barrier and forking processes that exit at once: none of that breaks it.
 * With @victim >= 0 that party is killed after a random delay: the others
 * must then fail with EPIPE (no hang) and every generation that completed
 * still has each index exactly once.
 */
static void stress(struct __test_metadata *_metadata, struct kipc_sync *b,
		   int gens, int victim)
{
	int *seen = kt_shared(MAXGEN * sizeof(int)), i, g, full, st;
	pid_t pids[NPROC], pid;
	void *m;

	ASSERT_NE(NULL, seen);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		for (g = 0; g < gens; g++) {
			int idx = kipc_barrier_wait(b, kt_in_ns(GUARD));

			if (idx == -EPIPE && victim >= 0)
				_exit(100 + EPIPE);
			if (idx < 0 || idx >= NPROC)
				_exit(2);
			__atomic_fetch_or(&seen[g], 1 << idx,
					  __ATOMIC_SEQ_CST);
		}
		_exit(0);
	}
	srand(getpid());
	for (i = 0; i < kt_scaled(20); i++) {
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 kipc_sync_fd(b), 0);
		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, munmap(m, 4096));
		pid = fork();
		if (!pid)
			_exit(0);
		ASSERT_EQ(0, kt_reap(pid));
		usleep(rand() % 2000);
		if (victim >= 0 && i == 2)
			kt_kill_reap(pids[victim]);
	}
	for (i = 0; i < NPROC; i++) {
		if (i == victim)
			continue;
		st = kt_reap(pids[i]);
		if (victim >= 0) {
			EXPECT_TRUE(st == 0 || st == 100 + EPIPE);
		} else {
			EXPECT_EQ(0, st);
		}
	}
	/*
	 * Generations complete in order, each index once. A killed party may
	 * have died between leaving the last complete generation and noting
	 * its index: that one lacks exactly one bit. The rest are untouched.
	 */
	for (g = 0, full = 0; g < gens; g++) {
		if (seen[g] == (1 << NPROC) - 1) {
			EXPECT_EQ(full, g);
			full++;
		} else if (victim >= 0 && g == full && seen[g]) {
			EXPECT_EQ(NPROC - 1, __builtin_popcount(seen[g]));
		} else {
			EXPECT_EQ(0, seen[g]);
		}
	}
	if (victim < 0) {
		EXPECT_EQ(gens, full);
		EXPECT_EQ(0, kipc_barrier_broken(b));
	} else if (full < gens) {
		EXPECT_EQ(1, kipc_barrier_broken(b));
	}
	munmap(seen, MAXGEN * sizeof(int));
}

TEST(stress_generations)
{
	struct kipc_sync *b;
	int gens = kt_scaled(100);

	if (gens > MAXGEN)
		gens = MAXGEN;
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, NPROC, 0, 0));
	stress(_metadata, b, gens, -1);
	kipc_sync_close(b);
}

TEST(stress_party_killed)
{
	struct kipc_sync *b;
	int round;

	for (round = 0; round < kt_scaled(3); round++) {
		ASSERT_EQ(0, kipc_barrier_create(&b, NULL, NPROC, 0, 0));
		stress(_metadata, b, MAXGEN, round % NPROC);
		kipc_sync_close(b);
	}
}

static void on_alarm(int sig __attribute__((unused)))
{
}

/* A signal ends a wait like a timeout: the barrier breaks, no ghost stays. */
TEST_F(barrier, interrupted_wait_breaks)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;	/* no SA_RESTART */
	pid_t a, b;
	int me, sa_, sb;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));
	alarm(1);
	EXPECT_EQ(-EINTR, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));
	alarm(0);
	ASSERT_EQ(0, sigaction(SIGALRM, &old, NULL));
	EXPECT_EQ(1, kipc_barrier_broken(self->b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(self->b, kt_in_ns(GUARD)));

	/* After a reset, three new arrivals make one whole generation. */
	ASSERT_EQ(0, kipc_barrier_reset(self->b));
	a = party(self->b);
	b = party(self->b);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	me = kipc_barrier_wait(self->b, kt_in_ns(GUARD));
	sa_ = kt_reap(a);
	sb = kt_reap(b);
	EXPECT_TRUE(me >= 0 && me < 3 && me != sa_ && me != sb);
	EXPECT_TRUE(distinct_indices(sa_, sb)) TH_LOG("%d %d %d", me, sa_, sb);
}

TEST_HARNESS_MAIN
