// SPDX-License-Identifier: GPL-2.0-only
/*
 * Synchronisation objects through libipc against the driver: every type's
 * operations and exact errors, several processes (mutual exclusion,
 * Condition, Barrier), owner death (holders SIGKILLed at random points,
 * holders that closed their descriptor, dead waiters and parties),
 * scribbled shared memory, and permissions across users.
 *
 * KIPC_TEST_SCALE=N divides the iteration counts by N.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define SEC	1000000000ULL

/* Wait (bounded) until *p == v. */
static int wait_eq(volatile int *p, int v)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (*p == v)
			return 0;
		usleep(1000);
	}
	return -1;
}

FIXTURE(sync) {
	long objects, names;
};

FIXTURE_SETUP(sync)
{
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
	ASSERT_LE(0, self->names);
}

FIXTURE_TEARDOWN(sync)
{
	EXPECT_EQ(self->objects, kt_objects());
	EXPECT_EQ(self->names, kt_names());
}

/* ---- creation ------------------------------------------------------------ */

static int create_raw(__u32 type, struct kipc_sync_params *p)
{
	struct kipc_create args = { .type = type };
	int dev = kt_dev(), fd;

	if (dev < 0)
		return -errno;
	if (p)
		args.params.sync = *p;
	fd = kt_ioctl_fd(dev, KIPC_IOC_CREATE, &args);
	close(dev);
	return fd;
}

TEST_F(sync, params_validated)
{
	struct kipc_sync_params p;
	__u32 t;
	int fd;

	for (t = KIPC_TYPE_SEMAPHORE; t <= KIPC_TYPE_CONDITION; t++) {
		memset(&p, 0, sizeof(p));
		p.flags = 1;
		EXPECT_EQ(-EINVAL, create_raw(t, &p));
		memset(&p, 0, sizeof(p));
		p.reserved[10] = 1;
		EXPECT_EQ(-EINVAL, create_raw(t, &p));
		/* A field of another type. */
		memset(&p, 0, sizeof(p));
		if (t == KIPC_TYPE_BARRIER)
			p.parties = 2;
		p.nslots = t == KIPC_TYPE_CONDITION ? 0 : 4;
		if (t != KIPC_TYPE_CONDITION)
			EXPECT_EQ(-EINVAL, create_raw(t, &p));
	}
	memset(&p, 0, sizeof(p));
	p.value = 3;
	p.max = 2;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_SEMAPHORE, &p));
	p.max = KIPC_SYNC_SEM_MAX + 1;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_SEMAPHORE, &p));
	memset(&p, 0, sizeof(p));
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_BARRIER, &p));
	p.parties = KIPC_SYNC_PARTIES_MAX + 1;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_BARRIER, &p));
	memset(&p, 0, sizeof(p));
	p.nslots = 3;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_CONDITION, &p));
	p.nslots = KIPC_SYNC_SLOTS_MAX * 2;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_CONDITION, &p));
	p.nslots = KIPC_SYNC_SLOTS_MAX;
	fd = create_raw(KIPC_TYPE_CONDITION, &p);
	ASSERT_LE(0, fd);
	close(fd);
	memset(&p, 0, sizeof(p));
	p.value = 1;
	EXPECT_EQ(-EINVAL, create_raw(KIPC_TYPE_LOCK, &p));
	/* Type ioctls this driver does not know. */
	fd = create_raw(KIPC_TYPE_LOCK, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, kt_ioctl_fd(fd, _IO(KIPC_IOC_MAGIC, 0xb0), NULL));
	close(fd);
}

static int fdinfo_has(int fd, const char *line)
{
	char path[64], buf[4096];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, line) != NULL;
}

TEST_F(sync, info_and_fdinfo)
{
	struct kipc_sync *s, *l, *b, *c, *e, *r;
	struct kipc_info info;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 2, 5, 0, 0));
	ASSERT_EQ(0, kipc_object_info(kipc_sync_fd(s), &info));
	EXPECT_EQ(KIPC_TYPE_SEMAPHORE, info.type);
	EXPECT_EQ(2, info.params.sync.value);
	EXPECT_EQ(5, info.params.sync.max);
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(s), "kipc-type:\tkipc-semaphore"));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(s), "kipc-sem-value:\t2"));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(s), "kipc-sem-max:\t5"));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(l), "kipc-type:\tkipc-lock"));
	EXPECT_FALSE(fdinfo_has(kipc_sync_fd(l), "kipc-lock-owner:\t0\n"));
	ASSERT_EQ(0, kipc_rlock_create(&r, NULL, 0, 0));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(r), "kipc-rlock-count:\t0"));
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(e), "kipc-event-set:\t0"));
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 3, 0, 0));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(b), "kipc-barrier-parties:\t3"));
	EXPECT_EQ(3, kipc_barrier_parties(b));
	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 0, 0, 0));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(c), "kipc-cond-slots:\t64"));
	/* Wrong handle types. */
	EXPECT_EQ(-EINVAL, kipc_lock_acquire(s, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EINVAL, kipc_sem_release(l, 1));
	EXPECT_EQ(-EINVAL, kipc_cond_wait(c, s, KIPC_NO_DEADLINE));
	kipc_sync_close(s);
	kipc_sync_close(l);
	kipc_sync_close(r);
	kipc_sync_close(e);
	kipc_sync_close(b);
	kipc_sync_close(c);
}

/* ---- Lock ------------------------------------------------------------------ */

TEST_F(sync, lock_basic)
{
	struct kipc_sync *l;
	__u64 t0;
	pid_t pid;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	EXPECT_EQ(-EPERM, kipc_lock_release(l));
	EXPECT_EQ(0, kipc_lock_held(l));
	EXPECT_EQ(0, kipc_lock_try_acquire(l));
	EXPECT_EQ(1, kipc_lock_held(l));
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(l));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(l));
	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_lock_acquire(l, kt_in_ns(SEC / 10)));
	EXPECT_LE(t0 + SEC / 10, kt_now_ns());
	/* Deadline already passed. */
	EXPECT_EQ(-ETIMEDOUT, kipc_lock_acquire(l, 1));

	/* Another process may release it (multiprocessing.Lock). */
	pid = fork();
	if (!pid) {
		if (kipc_lock_held(l) != 0)
			_exit(1);
		_exit(-kipc_lock_release(l));
	}
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kipc_lock_held(l));
	EXPECT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(l);
}

static void on_alarm(int sig __attribute__((unused)))
{
}

TEST_F(sync, lock_signal_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kipc_sync *l;
	pid_t pid;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	pid = fork();
	if (!pid) {
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
		alarm(1);
		_exit(-kipc_lock_acquire(l, kt_in_ns(20 * SEC)));
	}
	EXPECT_EQ(EINTR, kt_reap(pid));
	EXPECT_EQ(0, kt_fdinfo(kipc_sync_fd(l), "kipc-sleepers"));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(l);
}

/* Several processes increment a counter non-atomically under the lock. */
TEST_F(sync, lock_mutual_exclusion)
{
	int nproc = 4, iters = kt_scaled(300), i, j;
	struct kipc_sync *l;
	volatile int *mem;
	pid_t pids[4];

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			for (j = 0; j < iters; j++) {
				int v;

				if (kipc_lock_acquire(l, kt_in_ns(20 * SEC)))
					_exit(1);
				if (mem[1]++)
					_exit(2);
				v = mem[0];
				if (!(j & 7))
					sched_yield();
				mem[0] = v + 1;
				mem[1]--;
				if (kipc_lock_release(l))
					_exit(3);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	EXPECT_EQ(nproc * iters, mem[0]);
	EXPECT_EQ(0, kipc_lock_held(l));
	kipc_sync_close(l);
	munmap((void *)mem, 4096);
}

TEST_F(sync, lock_owner_dead_protocol)
{
	struct kipc_sync *l;
	volatile int *mem;
	pid_t pid, w;

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));

	/* A holder dies while another process sleeps in acquire. */
	pid = fork();
	if (!pid) {
		if (kipc_lock_acquire(l, KIPC_NO_DEADLINE))
			_exit(1);
		mem[0] = 1;
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, wait_eq(mem, 1));
	w = fork();
	if (!w) {
		int ret = kipc_lock_acquire(l, kt_in_ns(20 * SEC));

		if (ret == -EOWNERDEAD && kipc_lock_held(l) == 1 &&
		    !kipc_lock_consistent(l) && !kipc_lock_release(l))
			_exit(0);
		_exit(100 - ret);
	}
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(l), "kipc-sleepers", 1));
	kt_kill_reap(pid);
	EXPECT_EQ(0, kt_reap(w));
	/* Consistent again: normal. */
	EXPECT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(0, kipc_lock_release(l));

	/* The next acquirer releases without consistent(): not recoverable. */
	mem[0] = 0;
	pid = fork();
	if (!pid) {
		kipc_lock_acquire(l, KIPC_NO_DEADLINE);
		mem[0] = 1;
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, wait_eq(mem, 1));
	kt_kill_reap(pid);
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(l), "kipc-lock-owner-died:\t1"));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(l));
	EXPECT_EQ(0, kipc_lock_release(l));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock_try_acquire(l));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EPERM, kipc_lock_release(l));
	kipc_sync_close(l);
	munmap((void *)mem, 4096);
}

/* The holder closed its descriptor and kept only the mapping. */
TEST_F(sync, lock_holder_closed_fd)
{
	struct kipc_sync *l, *r;
	volatile int *mem;
	pid_t pid;

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_rlock_create(&r, NULL, 0, 0));
	pid = fork();
	if (!pid) {
		if (kipc_lock_acquire(l, KIPC_NO_DEADLINE) ||
		    kipc_rlock_acquire(r, KIPC_NO_DEADLINE))
			_exit(1);
		close(kipc_sync_fd(l));
		close(kipc_sync_fd(r));
		mem[0] = 1;
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, wait_eq(mem, 1));
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(l));
	EXPECT_EQ(-EAGAIN, kipc_rlock_try_acquire(r));
	kt_kill_reap(pid);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_acquire(l, kt_in_ns(10 * SEC)));
	EXPECT_EQ(-EOWNERDEAD, kipc_rlock_acquire(r, kt_in_ns(10 * SEC)));
	EXPECT_EQ(0, kipc_lock_consistent(l));
	EXPECT_EQ(0, kipc_rlock_consistent(r));
	EXPECT_EQ(0, kipc_lock_release(l));
	EXPECT_EQ(0, kipc_rlock_release(r));
	kipc_sync_close(l);
	kipc_sync_close(r);
	munmap((void *)mem, 4096);
}

/* munmap (not death) by the holder also hands the lock on as dead. */
TEST_F(sync, lock_holder_unmapped)
{
	struct kipc_sync *l, *l2;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_sync_from_fd(&l2, kipc_sync_fd(l)));
	ASSERT_NE(kipc_sync_owner_id(l), kipc_sync_owner_id(l2));
	ASSERT_EQ(0, kipc_lock_acquire(l2, KIPC_NO_DEADLINE));
	EXPECT_EQ(0, kipc_lock_held(l));
	kipc_sync_close(l2);
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(l));
	EXPECT_EQ(0, kipc_lock_consistent(l));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(l);
}

/*
 * Holders SIGKILLed at random points never lose the lock: whoever acquires
 * next (this process or a contender that keeps acquiring meanwhile) is
 * told -EOWNERDEAD every time the dead process held it, and nobody hangs.
 */
TEST_F(sync, lock_killed_at_random)
{
	int rounds = kt_scaled(25), i, ret, holding, told, dead = 0;
	struct kipc_sync *l;
	volatile int *mem;
	pid_t pid, other;

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	srand(getpid());
	other = fork();
	if (!other) {
		for (;;) {
			ret = kipc_lock_acquire(l, KIPC_NO_DEADLINE);
			if (ret == -EOWNERDEAD) {
				mem[2]++;
				kipc_lock_consistent(l);
			} else if (ret) {
				_exit(1);
			}
			kipc_lock_release(l);
		}
	}
	for (i = 0; i < rounds; i++) {
		mem[0] = 0;
		pid = fork();
		if (!pid) {
			for (;;) {
				ret = kipc_lock_acquire(l, KIPC_NO_DEADLINE);
				if (ret)
					_exit(1);
				mem[0] = 1;
				for (ret = 0; ret < 20000; ret++)
					mem[1]++;
				mem[0] = 0;
				kipc_lock_release(l);
			}
		}
		usleep(rand() % 3000);
		told = mem[2];
		kt_kill_reap(pid);
		holding = mem[0];
		ret = kipc_lock_acquire(l, kt_in_ns(10 * SEC));
		ASSERT_TRUE(ret == 0 || ret == -EOWNERDEAD);
		if (holding) {
			EXPECT_TRUE(ret == -EOWNERDEAD || mem[2] == told + 1);
			dead++;
		}
		if (ret == -EOWNERDEAD)
			EXPECT_EQ(0, kipc_lock_consistent(l));
		EXPECT_EQ(0, kipc_lock_release(l));
	}
	kt_kill_reap(other);
	ret = kipc_lock_acquire(l, kt_in_ns(10 * SEC));
	EXPECT_TRUE(ret == 0 || ret == -EOWNERDEAD);
	TH_LOG("%d of %d kills hit a holder", dead, rounds);
	kipc_sync_close(l);
	munmap((void *)mem, 4096);
}

/* ---- RLock ----------------------------------------------------------------- */

static void *rlock_other_thread(void *arg)
{
	struct kipc_sync *r = arg;
	long ret = kipc_rlock_release(r);

	if (ret == -EPERM)
		ret = kipc_rlock_try_acquire(r);
	return (void *)ret;
}

TEST_F(sync, rlock_basic)
{
	struct kipc_sync *r;
	pthread_t th;
	void *res;
	pid_t pid;
	int i;

	ASSERT_EQ(0, kipc_rlock_create(&r, NULL, 0, 0));
	EXPECT_EQ(-EPERM, kipc_rlock_release(r));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, kipc_rlock_acquire(r, KIPC_NO_DEADLINE));
	EXPECT_EQ(1, kipc_rlock_held(r));
	EXPECT_TRUE(fdinfo_has(kipc_sync_fd(r), "kipc-rlock-count:\t5"));
	/* Another thread: not the owner. */
	ASSERT_EQ(0, pthread_create(&th, NULL, rlock_other_thread, r));
	ASSERT_EQ(0, pthread_join(th, &res));
	EXPECT_EQ(-EAGAIN, (long)res);
	/* Another process: not the owner either. */
	pid = fork();
	if (!pid) {
		if (kipc_rlock_held(r) != 0)
			_exit(1);
		if (kipc_rlock_release(r) != -EPERM)
			_exit(2);
		_exit(-kipc_rlock_acquire(r, kt_in_ns(SEC / 10)));
	}
	EXPECT_EQ(ETIMEDOUT, kt_reap(pid));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, kipc_rlock_release(r));
	EXPECT_EQ(0, kipc_rlock_held(r));
	EXPECT_EQ(-EPERM, kipc_rlock_release(r));
	kipc_sync_close(r);
}

/* ---- Semaphore --------------------------------------------------------------- */

TEST_F(sync, semaphore_basic)
{
	struct kipc_sync *s, *b;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 2, 0, 0, 0));
	EXPECT_EQ(2, kipc_sem_value(s));
	EXPECT_EQ(0, kipc_sem_try_acquire(s));
	EXPECT_EQ(0, kipc_sem_acquire(s, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EAGAIN, kipc_sem_try_acquire(s));
	EXPECT_EQ(-ETIMEDOUT, kipc_sem_acquire(s, kt_in_ns(SEC / 20)));
	EXPECT_EQ(-EINVAL, kipc_sem_release(s, 0));
	EXPECT_EQ(0, kipc_sem_release(s, KIPC_SYNC_SEM_MAX));
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(s, 1));
	EXPECT_EQ((int)KIPC_SYNC_SEM_MAX, kipc_sem_value(s));
	kipc_sync_close(s);

	ASSERT_EQ(0, kipc_semaphore_create(&b, NULL, 0, 2, 0, 0));
	pid = fork();
	if (!pid)
		_exit(-kipc_sem_acquire(b, kt_in_ns(20 * SEC)));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 1));
	EXPECT_EQ(0, kipc_sem_release(b, 2));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(1, kipc_sem_value(b));
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(b, 2));
	EXPECT_EQ(0, kipc_sem_release(b, 1));
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(b, 1));
	EXPECT_EQ(2, kipc_sem_value(b));
	kipc_sync_close(b);
}

/* Deaths of holders and sleepers never change the count. */
TEST_F(sync, semaphore_deaths)
{
	int rounds = kt_scaled(20), i, nheld;
	struct kipc_sync *s;
	volatile int *mem;
	pid_t pid, w;

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 3, 3, 0, 0));
	srand(getpid());
	for (i = 0; i < rounds; i++) {
		mem[0] = 0;
		pid = fork();
		if (!pid) {
			for (;;) {
				if (kipc_sem_acquire(s, KIPC_NO_DEADLINE))
					_exit(1);
				__atomic_add_fetch(&mem[0], 1, __ATOMIC_SEQ_CST);
				__atomic_sub_fetch(&mem[0], 1, __ATOMIC_SEQ_CST);
				kipc_sem_release(s, 1);
			}
		}
		w = fork();
		if (!w) {
			for (;;)
				if (kipc_sem_acquire(s, KIPC_NO_DEADLINE) ||
				    kipc_sem_release(s, 1))
					_exit(1);
		}
		usleep(rand() % 2000);
		kt_kill_reap(w);
		kill(pid, SIGSTOP);
		nheld = mem[0];
		kt_kill_reap(pid);
		/* Units a dead process held stay taken; nothing else moved. */
		ASSERT_LE(0, kipc_sem_value(s));
		ASSERT_GE(3, kipc_sem_value(s));
		if (kipc_sem_value(s) < 3)
			ASSERT_EQ(0, kipc_sem_release(s, 3 - kipc_sem_value(s)));
		(void)nheld;
	}
	EXPECT_EQ(3, kipc_sem_value(s));
	EXPECT_EQ(0, kt_fdinfo(kipc_sync_fd(s), "kipc-sleepers"));
	kipc_sync_close(s);
	munmap((void *)mem, 4096);
}

/*
 * A waiter killed just as a release wakes it does not take the wake-up to
 * its grave: if it died before taking the unit, another sleeper gets it.
 * (If it took the unit first, the unit died with it: we release another.)
 * A lost wake-up would leave the value at 1 with B asleep until its guard.
 */
TEST_F(sync, semaphore_woken_waiter_killed)
{
	int rounds = kt_scaled(20), i, j, st, given, done;
	struct kipc_sync *s;
	pid_t a, b;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	srand(getpid());
	for (i = 0; i < rounds; i++) {
		a = fork();
		if (!a)
			_exit(-kipc_sem_acquire(s, KIPC_NO_DEADLINE));
		ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(s), "kipc-sleepers", 1));
		b = fork();
		if (!b)
			_exit(-kipc_sem_acquire(s, kt_in_ns(20 * SEC)));
		ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(s), "kipc-sleepers", 2));
		ASSERT_EQ(0, kipc_sem_release(s, 1));
		if (rand() % 2)
			usleep(rand() % 200);
		kill(a, SIGKILL);
		st = kt_reap(a);
		EXPECT_TRUE(st == 0 || st == 128 + SIGKILL);
		/* B gets the unit A did not take; else we give it one. */
		for (j = 0, given = 0, done = 0; j < 40000 && !done; j++) {
			done = waitpid(b, &st, WNOHANG) == b;
			if (!done && !given && !kipc_sem_value(s) &&
			    kt_fdinfo(kipc_sync_fd(s), "kipc-sleepers") == 1) {
				given = 1;
				ASSERT_EQ(0, kipc_sem_release(s, 1));
			}
			if (!done)
				usleep(1000);
		}
		if (!done)
			kt_kill_reap(b);
		ASSERT_TRUE(done);
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		EXPECT_EQ(0, kipc_sem_value(s));
	}
	EXPECT_EQ(0, kt_fdinfo(kipc_sync_fd(s), "kipc-sleepers"));
	kipc_sync_close(s);
}

/* ---- Event ------------------------------------------------------------------- */

TEST_F(sync, event_basic)
{
	struct kipc_sync *e;
	pid_t pids[3];
	int i;

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	EXPECT_EQ(0, kipc_event_is_set(e));
	EXPECT_EQ(-ETIMEDOUT, kipc_event_wait(e, kt_in_ns(SEC / 20)));
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(-kipc_event_wait(e, kt_in_ns(20 * SEC)));
	}
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(e), "kipc-sleepers", 3));
	EXPECT_EQ(0, kipc_event_set(e));
	/* A clear right after the set does not strand the waiters. */
	EXPECT_EQ(0, kipc_event_clear(e));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	EXPECT_EQ(0, kipc_event_is_set(e));
	EXPECT_EQ(0, kipc_event_set(e));
	EXPECT_EQ(0, kipc_event_set(e));
	EXPECT_EQ(1, kipc_event_is_set(e));
	EXPECT_EQ(0, kipc_event_wait(e, 1));
	kipc_sync_close(e);
}

/* ---- Barrier ----------------------------------------------------------------- */

TEST_F(sync, barrier_processes)
{
	int nproc = 4, gens = kt_scaled(30), i, g, k;
	struct kipc_sync *b;
	volatile int *mem;
	pid_t pids[4];

	mem = kt_shared(4096 * 4);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, nproc, 0, 0));
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			for (g = 0; g < gens; g++) {
				int idx = kipc_barrier_wait(b, kt_in_ns(30 * SEC));

				if (idx < 0 || idx >= nproc)
					_exit(1);
				/* Each index once per generation. */
				__atomic_fetch_or(&mem[g], 1 << idx,
						  __ATOMIC_SEQ_CST);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	for (g = 0, k = 0; g < gens; g++)
		k += mem[g] == (1 << nproc) - 1;
	EXPECT_EQ(gens, k);
	EXPECT_EQ(0, kipc_barrier_waiting(b));
	kipc_sync_close(b);
	munmap((void *)mem, 4096 * 4);
}

TEST_F(sync, barrier_abort_reset_timeout)
{
	struct kipc_sync *b;
	pid_t pid;

	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 2, 0, 0));
	/* A waiter sees abort. */
	pid = fork();
	if (!pid)
		_exit(-kipc_barrier_wait(b, kt_in_ns(20 * SEC)));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 1));
	EXPECT_EQ(1, kipc_barrier_waiting(b));
	EXPECT_EQ(0, kipc_barrier_abort(b));
	EXPECT_EQ(EPIPE, kt_reap(pid));
	EXPECT_EQ(1, kipc_barrier_broken(b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(b, KIPC_NO_DEADLINE));
	EXPECT_EQ(0, kipc_barrier_reset(b));
	EXPECT_EQ(0, kipc_barrier_broken(b));

	/* A waiter sees reset. */
	pid = fork();
	if (!pid)
		_exit(-kipc_barrier_wait(b, kt_in_ns(20 * SEC)));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 1));
	EXPECT_EQ(0, kipc_barrier_reset(b));
	EXPECT_EQ(EPIPE, kt_reap(pid));
	EXPECT_EQ(0, kipc_barrier_broken(b));

	/* A timeout breaks it. */
	EXPECT_EQ(-ETIMEDOUT, kipc_barrier_wait(b, kt_in_ns(SEC / 20)));
	EXPECT_EQ(1, kipc_barrier_broken(b));
	EXPECT_EQ(0, kipc_barrier_reset(b));

	/* A party that dies while another waits breaks it: no hang. */
	pid = fork();
	if (!pid)
		_exit(-kipc_barrier_wait(b, kt_in_ns(20 * SEC)));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 1));
	EXPECT_EQ(1, kipc_barrier_waiting(b));
	kt_kill_reap(pid);
	EXPECT_EQ(1, kipc_barrier_broken(b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait(b, kt_in_ns(SEC)));
	EXPECT_EQ(0, kipc_barrier_reset(b));
	/* Usable again: this process and a child pass together. */
	pid = fork();
	if (!pid) {
		int idx = kipc_barrier_wait(b, kt_in_ns(20 * SEC));

		_exit(idx == 0 || idx == 1 ? 0 : 10 - idx);
	}
	EXPECT_LE(0, kipc_barrier_wait(b, kt_in_ns(20 * SEC)));
	EXPECT_EQ(0, kt_reap(pid));
	kipc_sync_close(b);
}

/* ---- Condition --------------------------------------------------------------- */

struct pc {
	volatile int items, produced, consumed;
};

static int pc_ready(void *arg)
{
	return ((struct pc *)arg)->items > 0;
}

/* Producers and consumers across processes, with a Lock and an RLock. */
static void cond_producer_consumer(struct __test_metadata *_metadata,
				   __u32 lock_type)
{
	int per = kt_scaled(100), np = 2, nc = 2, i, j;
	struct kipc_sync *c, *l;
	pid_t pids[4];
	struct pc *pc;

	pc = kt_shared(4096);
	ASSERT_NE(NULL, pc);
	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 0, 0, 0));
	ASSERT_EQ(0, kipc_sync_create(&l, lock_type, NULL, NULL, 0, 0));
	for (i = 0; i < np + nc; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		for (j = 0; j < per; j++) {
			int ret = lock_type == KIPC_TYPE_LOCK ?
				  kipc_lock_acquire(l, KIPC_NO_DEADLINE) :
				  kipc_rlock_acquire(l, KIPC_NO_DEADLINE);

			if (ret)
				_exit(1);
			if (lock_type == KIPC_TYPE_RLOCK &&
			    kipc_rlock_acquire(l, KIPC_NO_DEADLINE))
				_exit(2);
			if (i < np) {
				pc->items++;
				pc->produced++;
				if (kipc_cond_notify(c, l, 1) < 0)
					_exit(3);
			} else {
				if (kipc_cond_wait_for(c, l, pc_ready, pc,
						       kt_in_ns(30 * SEC)) != 1)
					_exit(4);
				pc->items--;
				pc->consumed++;
			}
			if (lock_type == KIPC_TYPE_RLOCK &&
			    kipc_rlock_release(l))
				_exit(5);
			ret = lock_type == KIPC_TYPE_LOCK ?
			      kipc_lock_release(l) : kipc_rlock_release(l);
			if (ret)
				_exit(6);
		}
		_exit(0);
	}
	for (i = 0; i < np + nc; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	EXPECT_EQ(np * per, pc->produced);
	EXPECT_EQ(nc * per, pc->consumed);
	EXPECT_EQ(0, pc->items);
	kipc_sync_close(c);
	kipc_sync_close(l);
	munmap(pc, 4096);
}

TEST_F(sync, cond_producer_consumer_lock)
{
	cond_producer_consumer(_metadata, KIPC_TYPE_LOCK);
}

TEST_F(sync, cond_producer_consumer_rlock)
{
	cond_producer_consumer(_metadata, KIPC_TYPE_RLOCK);
}

/* notify(n) notifies exactly n; a dead waiter never absorbs a notify. */
TEST_F(sync, cond_notify_exact)
{
	struct kipc_sync *c, *l;
	volatile int *mem;
	pid_t pids[4];
	int i, done;

	mem = kt_shared(4096);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 4, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	EXPECT_EQ(-EPERM, kipc_cond_notify(c, l, 1));
	EXPECT_EQ(-EPERM, kipc_cond_wait(c, l, KIPC_NO_DEADLINE));
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			int ret;

			if (kipc_lock_acquire(l, KIPC_NO_DEADLINE))
				_exit(1);
			ret = kipc_cond_wait(c, l, kt_in_ns(30 * SEC));
			__atomic_add_fetch(&mem[0], 1, __ATOMIC_SEQ_CST);
			if (kipc_lock_release(l))
				_exit(2);
			_exit(-ret);
		}
	}
	/* All four waiting: the condition's slots are full. */
	for (i = 0; i < 20000 && !fdinfo_has(kipc_sync_fd(c),
					      "kipc-cond-waiting:\t4"); i++)
		usleep(1000);
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(-ENOSPC, kipc_cond_wait(c, l, kt_in_ns(SEC)));
	EXPECT_EQ(1, kipc_lock_held(l));
	/* The oldest waiter dies: notify(2) still reaches two live ones. */
	kt_kill_reap(pids[0]);
	EXPECT_EQ(2, kipc_cond_notify(c, l, 2));
	EXPECT_EQ(0, kipc_lock_release(l));
	for (i = 0, done = 0; i < 1000 && done < 2; i++) {
		usleep(2000);
		done = mem[0];
	}
	usleep(50000);
	EXPECT_EQ(2, mem[0]);
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(1, kipc_cond_notify_all(c, l));
	EXPECT_EQ(0, kipc_cond_notify_all(c, l));
	EXPECT_EQ(0, kipc_lock_release(l));
	for (i = 1; i < 4; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	EXPECT_EQ(3, mem[0]);
	/* A timed wait with nobody notifying. */
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(c, l, kt_in_ns(SEC / 20)));
	EXPECT_EQ(1, kipc_lock_held(l));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(c);
	kipc_sync_close(l);
	munmap((void *)mem, 4096);
}

/* ---- hostile memory ---------------------------------------------------------- */

TEST_F(sync, scribbled_state)
{
	int rounds = kt_scaled(60), i, j, t, status;
	struct kipc_sync *objs[6], *o;
	struct pollfd pfd;
	__u32 *m[6];
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&objs[0], NULL, 1, 4, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&objs[1], NULL, 0, 0));
	ASSERT_EQ(0, kipc_rlock_create(&objs[2], NULL, 0, 0));
	ASSERT_EQ(0, kipc_event_create(&objs[3], NULL, 0, 0));
	ASSERT_EQ(0, kipc_barrier_create(&objs[4], NULL, 2, 0, 0));
	ASSERT_EQ(0, kipc_cond_create(&objs[5], NULL, 4, 0, 0));
	for (t = 0; t < 6; t++) {
		m[t] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			    kipc_sync_fd(objs[t]), 0);
		ASSERT_NE(MAP_FAILED, m[t]);
	}
	srand(getpid());
	for (i = 0; i < rounds; i++) {
		t = i % 6;
		o = objs[t];
		for (j = 0; j < 4; j++)
			m[t][rand() % 24] = rand() % 3 ? rand() :
					    (rand() % 4 ? 0 : 0xffff);
		/* Holders die on the scribbled state. */
		pid = fork();
		if (!pid) {
			__u64 d = kt_in_ns(SEC / 100);

			/* A scribbled resetter id makes reset() wait for ever. */
			alarm(2);
			kipc_sem_try_acquire(o);
			kipc_sem_release(o, 1);
			kipc_lock_acquire(o, d);
			kipc_rlock_acquire(o, d);
			kipc_event_set(o);
			kipc_event_wait(o, d);
			kipc_barrier_wait(o, d);
			kipc_barrier_reset(o);
			kipc_cond_wait(objs[5], objs[1], d);
			kipc_cond_notify(objs[5], objs[1], 1);
			_exit(0);
		}
		status = kt_reap(pid);
		EXPECT_TRUE(status == 0 || status == 128 + SIGALRM);
		pfd.fd = kipc_sync_fd(o);
		pfd.events = POLLIN;
		poll(&pfd, 1, 0);
		fdinfo_has(kipc_sync_fd(o), "kipc");
	}
	for (t = 0; t < 6; t++) {
		munmap(m[t], 4096);
		kipc_sync_close(objs[t]);
	}
}

/* ---- names and permissions --------------------------------------------------- */

static int open_as_other(void *arg)
{
	struct kipc_sync *l;
	int ret;

	ret = kipc_sync_open(&l, arg, KIPC_TYPE_LOCK);
	if (ret)
		return -ret;
	ret = kipc_lock_acquire(l, KIPC_NO_DEADLINE);
	if (!ret)
		ret = kipc_lock_release(l);
	kipc_sync_close(l);
	return -ret;
}

static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (!pid) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(arg));
	}
	return kt_reap(pid);
}

TEST_F(sync, named_and_permissions)
{
	struct kipc_sync *l, *l2, *s;
	char name[64];

	umask(0);
	snprintf(name, sizeof(name), "kipc-sync-test-%d", getpid());
	ASSERT_EQ(0, kipc_lock_create(&l, name, KIPC_CREATE_EXCL, 0600));
	EXPECT_EQ(-EEXIST, kipc_lock_create(&l2, name, KIPC_CREATE_EXCL, 0600));
	EXPECT_EQ(-EINVAL, kipc_sync_open(&s, name, KIPC_TYPE_SEMAPHORE));
	ASSERT_EQ(0, kipc_sync_open(&l2, name, KIPC_TYPE_LOCK));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(l2));
	EXPECT_EQ(0, kipc_lock_release(l2));
	EXPECT_EQ(EACCES, as_user(65534, open_as_other, name));
	EXPECT_EQ(0, kipc_sync_unlink(name));
	kipc_sync_close(l);
	kipc_sync_close(l2);

	ASSERT_EQ(0, kipc_lock_create(&l, name, KIPC_CREATE_EXCL, 0666));
	EXPECT_EQ(0, as_user(65534, open_as_other, name));
	EXPECT_EQ(0, kipc_sync_unlink(name));
	EXPECT_EQ(-ENOENT, kipc_sync_open(&l2, name, KIPC_TYPE_LOCK));
	kipc_sync_close(l);
}

TEST_HARNESS_MAIN
