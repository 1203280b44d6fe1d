// SPDX-License-Identifier: GPL-2.0-only
/*
 * include/kipc/sync.h on the host, without the driver: every operation and
 * its errors, then several processes on a MAP_SHARED anonymous mapping.
 *
 * TEST STAND-INS for the kernel: kwait() plays KIPC_OBJ_IOC_WAIT (bump the
 * waiter counter, full barrier, sleep with FUTEX_WAIT while the word holds
 * the value, drop the counter) and kwake() plays KIPC_OBJ_IOC_WAKE
 * (FUTEX_WAKE). The parent plays the kernel's death handling: it SIGKILLs a
 * child and calls kipc_*_recover() with the child's owner id.
 *
 * KIPC_TEST_SCALE (default 1) multiplies the iteration counts.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc/sync.h>

#include "kselftest_harness.h"

/* ---- test stand-ins for the kernel ------------------------------------ */

static void kwait(void *base, const struct kipc_sync_wait *w)
{
	__u32 *word = (__u32 *)((char *)base + w->off);
	__u32 *cnt = (__u32 *)((char *)base + w->waiters_off);

	__atomic_fetch_add(cnt, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == w->val)
		syscall(SYS_futex, word, FUTEX_WAIT, w->val, NULL, NULL, 0);
	__atomic_fetch_sub(cnt, 1, __ATOMIC_SEQ_CST);
}

static void kwake(void *base, const struct kipc_sync_wake *wk)
{
	if (!wk->nr)
		return;
	syscall(SYS_futex, (char *)base + wk->off, FUTEX_WAKE,
		wk->nr > INT_MAX ? INT_MAX : (int)wk->nr, NULL, NULL, 0);
}

/* ---- helpers ----------------------------------------------------------- */

static int scale(void)
{
	const char *s = getenv("KIPC_TEST_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

static void *shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static pid_t child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static __u32 tid(void)
{
	return (__u32)syscall(SYS_gettid);
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void spin(unsigned int n)
{
	volatile unsigned int i;

	for (i = 0; i < n; i++)
		;
}

static int lock_acquire(struct kipc_lock *l, __u32 me)
{
	struct kipc_sync_wait w = { 0 };
	int r;

	while ((r = kipc_lock_try_acquire(l, me, &w)) == -EAGAIN)
		kwait(l, &w);
	return r;
}

static int lock_release(struct kipc_lock *l)
{
	struct kipc_sync_wake wk;
	int r = kipc_lock_release(l, &wk);

	kwake(l, &wk);
	return r;
}

static int rlock_acquire(struct kipc_rlock *l, __u32 me, __u32 t)
{
	struct kipc_sync_wait w = { 0 };
	int r;

	while ((r = kipc_rlock_try_acquire(l, me, t, &w)) == -EAGAIN)
		kwait(l, &w);
	return r;
}

static int rlock_release(struct kipc_rlock *l, __u32 me, __u32 t)
{
	struct kipc_sync_wake wk;
	int r = kipc_rlock_release(l, me, t, &wk);

	kwake(l, &wk);
	return r;
}

static int barrier_wait(struct kipc_barrier *b, __u32 parties, __u32 me,
			__u32 *index)
{
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t = KIPC_SYNC_TICKET_INIT;
	int r;

	for (;;) {
		r = kipc_barrier_try_wait(b, parties, me, &t, index, &w, &wk);
		kwake(b, &wk);
		if (r != -EAGAIN)
			return r;
		kwait(b, &w);
	}
}

/* Condition.wait with a Lock: begin, release, sleep, re-acquire. */
static int cond_wait(struct kipc_cond *c, __u32 nslots, struct kipc_lock *l,
		     __u32 me)
{
	struct kipc_sync_wait w = { 0 };
	__u64 t;
	int r;

	r = kipc_cond_wait_begin(c, nslots, me, &t);
	if (r)
		return r;
	lock_release(l);
	while ((r = kipc_cond_try_wait(c, nslots, me, t, &w)) == -EAGAIN)
		kwait(c, &w);
	/* The lock's holder may have died meanwhile: repair, go on. */
	if (lock_acquire(l, me) == -EOWNERDEAD)
		kipc_lock_consistent(l, me);
	return r;
}

static int cond_notify(struct kipc_cond *c, __u32 nslots, __u32 n)
{
	struct kipc_sync_wake wk;
	int r = kipc_cond_notify(c, nslots, n, &wk);

	kwake(c, &wk);
	return r;
}

static void wait_until(volatile __u32 *p, __u32 v)
{
	while (__atomic_load_n(p, __ATOMIC_SEQ_CST) < v)
		usleep(1000);
}

/* ---- Lock -------------------------------------------------------------- */

TEST(lock_operations)
{
	struct kipc_lock l = { 0 };
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	ASSERT_EQ(64, KIPC_LOCK_SIZE);
	EXPECT_EQ(-EBADMSG, kipc_lock_try_acquire(&l, 1, &w));
	kipc_lock_init(&l);
	EXPECT_EQ(-EINVAL, kipc_lock_try_acquire(&l, 0, &w));
	EXPECT_EQ(-EINVAL, kipc_lock_try_acquire(&l, 0x10000, &w));
	EXPECT_EQ(-EPERM, kipc_lock_release(&l, &wk));
	EXPECT_EQ(0, kipc_lock_owner(&l));
	EXPECT_EQ(0, kipc_lock_try_acquire(&l, 7, &w));
	EXPECT_EQ(7, kipc_lock_owner(&l));
	memset(&w, 0xff, sizeof(w));
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(&l, 8, &w));
	EXPECT_EQ(offsetof(struct kipc_lock, word), w.off);
	EXPECT_EQ(offsetof(struct kipc_lock, waiters), w.waiters_off);
	EXPECT_EQ(7, w.val);
	/* Not recursive: the holder blocks too. */
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(&l, 7, &w));
	EXPECT_EQ(-EPERM, kipc_lock_consistent(&l, 8));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(&l, 7));
	/* No sleeper counted: no wake needed. */
	EXPECT_EQ(0, kipc_lock_release(&l, &wk));
	EXPECT_EQ(0, wk.nr);
	EXPECT_EQ(-EPERM, kipc_lock_release(&l, &wk));
	/* A sleeper counted: wake one. */
	EXPECT_EQ(0, kipc_lock_try_acquire(&l, KIPC_SYNC_ID_KERNEL, &w));
	l.waiters = 1;
	EXPECT_EQ(0, kipc_lock_release(&l, &wk));
	EXPECT_EQ(1, wk.nr);
	EXPECT_EQ(offsetof(struct kipc_lock, word), wk.off);
}

TEST(lock_release_by_another_owner)
{
	struct kipc_lock l;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	kipc_lock_init(&l);
	ASSERT_EQ(0, kipc_lock_try_acquire(&l, 3, &w));
	/* multiprocessing.Lock: anyone may release. */
	EXPECT_EQ(0, kipc_lock_release(&l, &wk));
	EXPECT_EQ(0, kipc_lock_try_acquire(&l, 4, &w));
}

TEST(lock_owner_died)
{
	struct kipc_lock l;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	kipc_lock_init(&l);
	ASSERT_EQ(0, kipc_lock_try_acquire(&l, 5, &w));
	EXPECT_EQ(0, kipc_lock_recover(&l, 6, &wk));	/* not the holder */
	EXPECT_EQ(5, kipc_lock_owner(&l));
	l.waiters = 2;
	EXPECT_EQ(1, kipc_lock_recover(&l, 5, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(0, kipc_lock_owner(&l));
	EXPECT_EQ(-EPERM, kipc_lock_release(&l, &wk));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(&l, 6, &w));
	EXPECT_EQ(-EAGAIN, kipc_lock_try_acquire(&l, 9, &w));
	EXPECT_EQ(-EPERM, kipc_lock_consistent(&l, 9));
	EXPECT_EQ(0, kipc_lock_consistent(&l, 6));
	EXPECT_EQ(-EINVAL, kipc_lock_consistent(&l, 6));
	EXPECT_EQ(0, kipc_lock_release(&l, &wk));
	EXPECT_EQ(0, kipc_lock_try_acquire(&l, 9, &w));

	/* The next holder dies too before consistent(): still owner-died. */
	EXPECT_EQ(1, kipc_lock_recover(&l, 9, &wk));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(&l, 10, &w));
	EXPECT_EQ(1, kipc_lock_recover(&l, 10, &wk));
	EXPECT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(&l, 11, &w));
	/* Released without consistent(): not recoverable, waking everyone. */
	EXPECT_EQ(0, kipc_lock_release(&l, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock_try_acquire(&l, 12, &w));
	EXPECT_EQ(-EPERM, kipc_lock_release(&l, &wk));
	EXPECT_EQ(0, kipc_lock_recover(&l, 12, &wk));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_lock_try_acquire(&l, 12, &w));
}

/* ---- RLock ------------------------------------------------------------- */

TEST(rlock_operations)
{
	struct kipc_rlock l;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u32 saved = 0;

	kipc_rlock_init(&l);
	EXPECT_EQ(-EINVAL, kipc_rlock_try_acquire(&l, 1, 0, &w));
	EXPECT_EQ(-EPERM, kipc_rlock_release(&l, 1, 100, &wk));
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 1, 100, &w));
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 1, 100, &w));
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 1, 100, &w));
	EXPECT_EQ(3, l.count);
	EXPECT_EQ(1, kipc_rlock_is_owner(&l, 1, 100));
	EXPECT_EQ(0, kipc_rlock_is_owner(&l, 1, 101));
	/* Same process, other thread; other process: blocked. */
	EXPECT_EQ(-EAGAIN, kipc_rlock_try_acquire(&l, 1, 101, &w));
	EXPECT_EQ(offsetof(struct kipc_rlock, word), w.off);
	EXPECT_EQ(1, w.val);
	EXPECT_EQ(-EAGAIN, kipc_rlock_try_acquire(&l, 2, 100, &w));
	/* Only the owner releases. */
	EXPECT_EQ(-EPERM, kipc_rlock_release(&l, 1, 101, &wk));
	EXPECT_EQ(-EPERM, kipc_rlock_release(&l, 2, 100, &wk));
	EXPECT_EQ(-EPERM, kipc_rlock_consistent(&l, 2, 100));
	EXPECT_EQ(-EINVAL, kipc_rlock_consistent(&l, 1, 100));
	EXPECT_EQ(0, kipc_rlock_release(&l, 1, 100, &wk));
	EXPECT_EQ(2, l.count);
	/* Condition.wait: drop every level, restore them. */
	EXPECT_EQ(0, kipc_rlock_release_save(&l, 1, 100, &saved, &wk));
	EXPECT_EQ(2, saved);
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 2, 200, &w));
	EXPECT_EQ(-EAGAIN, kipc_rlock_try_acquire_count(&l, 1, 100, saved, &w));
	EXPECT_EQ(0, kipc_rlock_release(&l, 2, 200, &wk));
	EXPECT_EQ(0, kipc_rlock_try_acquire_count(&l, 1, 100, saved, &w));
	EXPECT_EQ(0, kipc_rlock_release(&l, 1, 100, &wk));
	EXPECT_EQ(0, kipc_rlock_release(&l, 1, 100, &wk));
	EXPECT_EQ(-EPERM, kipc_rlock_release(&l, 1, 100, &wk));
	EXPECT_EQ(0, l.tid);

	/* Recursion limit. */
	EXPECT_EQ(0, kipc_rlock_try_acquire_count(&l, 1, 100,
						  KIPC_RLOCK_COUNT_MAX, &w));
	EXPECT_EQ(-EOVERFLOW, kipc_rlock_try_acquire(&l, 1, 100, &w));
	EXPECT_EQ(0, kipc_rlock_release_save(&l, 1, 100, &saved, &wk));
	EXPECT_EQ(KIPC_RLOCK_COUNT_MAX, saved);
}

TEST(rlock_owner_died)
{
	struct kipc_rlock l;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	kipc_rlock_init(&l);
	ASSERT_EQ(0, kipc_rlock_try_acquire(&l, 4, 40, &w));
	ASSERT_EQ(0, kipc_rlock_try_acquire(&l, 4, 40, &w));
	EXPECT_EQ(0, kipc_rlock_recover(&l, 5, &wk));
	EXPECT_EQ(1, kipc_rlock_recover(&l, 4, &wk));
	EXPECT_EQ(0, l.tid);
	/* The dead one's tid is meaningless now: (5, 40) is not it. */
	EXPECT_EQ(-EOWNERDEAD, kipc_rlock_try_acquire(&l, 5, 40, &w));
	EXPECT_EQ(1, l.count);
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 5, 40, &w));
	EXPECT_EQ(0, kipc_rlock_consistent(&l, 5, 40));
	EXPECT_EQ(0, kipc_rlock_release(&l, 5, 40, &wk));
	EXPECT_EQ(0, kipc_rlock_release(&l, 5, 40, &wk));
	EXPECT_EQ(0, kipc_rlock_try_acquire(&l, 6, 60, &w));
	EXPECT_EQ(1, kipc_rlock_recover(&l, 6, &wk));
	EXPECT_EQ(-EOWNERDEAD, kipc_rlock_try_acquire(&l, 7, 70, &w));
	EXPECT_EQ(0, kipc_rlock_release(&l, 7, 70, &wk));
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_rlock_try_acquire(&l, 7, 70, &w));
}

/* ---- Semaphore --------------------------------------------------------- */

TEST(semaphore_operations)
{
	struct kipc_sem s;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	EXPECT_EQ(-EINVAL, kipc_sem_init(&s, 3, 2));
	EXPECT_EQ(-EINVAL, kipc_sem_init(&s, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_sem_init(&s, 0, KIPC_SEM_VALUE_MAX + 1));
	ASSERT_EQ(0, kipc_sem_init(&s, 2, KIPC_SEM_VALUE_MAX));
	EXPECT_EQ(2, kipc_sem_value(&s, KIPC_SEM_VALUE_MAX));
	EXPECT_EQ(0, kipc_sem_try_acquire(&s, KIPC_SEM_VALUE_MAX, &w));
	EXPECT_EQ(0, kipc_sem_try_acquire(&s, KIPC_SEM_VALUE_MAX, &w));
	EXPECT_EQ(-EAGAIN, kipc_sem_try_acquire(&s, KIPC_SEM_VALUE_MAX, &w));
	EXPECT_EQ(offsetof(struct kipc_sem, count), w.off);
	EXPECT_EQ(offsetof(struct kipc_sem, waiters), w.waiters_off);
	EXPECT_EQ(0, w.val);
	EXPECT_EQ(-EINVAL, kipc_sem_release(&s, KIPC_SEM_VALUE_MAX, 0, &wk));
	s.waiters = 3;
	EXPECT_EQ(0, kipc_sem_release(&s, KIPC_SEM_VALUE_MAX, 5, &wk));
	EXPECT_EQ(5, wk.nr);
	EXPECT_EQ(5, kipc_sem_value(&s, KIPC_SEM_VALUE_MAX));
	/* A plain Semaphore still stops at SEM_VALUE_MAX. */
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(&s, KIPC_SEM_VALUE_MAX,
					       KIPC_SEM_VALUE_MAX, &wk));
	EXPECT_EQ(5, kipc_sem_value(&s, KIPC_SEM_VALUE_MAX));
	/* The trusted maximum decides, not the informative copy. */
	s.max = 1000;
	EXPECT_EQ(-EBADMSG, kipc_sem_value(&s, 4));
	EXPECT_EQ(-EBADMSG, kipc_sem_try_acquire(&s, 4, &w));
	EXPECT_EQ(0, kipc_sem_recover(&s, KIPC_SEM_VALUE_MAX, 9, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(5, kipc_sem_value(&s, KIPC_SEM_VALUE_MAX));
}

TEST(bounded_semaphore_overflow)
{
	struct kipc_sem s;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;

	ASSERT_EQ(0, kipc_sem_init(&s, 2, 2));
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(&s, 2, 1, &wk));
	EXPECT_EQ(2, kipc_sem_value(&s, 2));
	EXPECT_EQ(0, kipc_sem_try_acquire(&s, 2, &w));
	EXPECT_EQ(-EOVERFLOW, kipc_sem_release(&s, 2, 2, &wk));
	EXPECT_EQ(1, kipc_sem_value(&s, 2));
	EXPECT_EQ(0, kipc_sem_release(&s, 2, 1, &wk));
	EXPECT_EQ(0, wk.nr);
	EXPECT_EQ(2, kipc_sem_value(&s, 2));
}

/* ---- Event ------------------------------------------------------------- */

TEST(event_operations)
{
	struct kipc_event e;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t = KIPC_SYNC_TICKET_INIT, t2 = KIPC_SYNC_TICKET_INIT;

	kipc_event_init(&e);
	EXPECT_EQ(0, kipc_event_is_set(&e));
	EXPECT_EQ(-EAGAIN, kipc_event_try_wait(&e, &t, &w));
	EXPECT_EQ(offsetof(struct kipc_event, word), w.off);
	EXPECT_EQ(-EAGAIN, kipc_event_try_wait(&e, &t, &w));
	e.waiters = 1;
	EXPECT_EQ(0, kipc_event_set(&e, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(1, kipc_event_is_set(&e));
	EXPECT_EQ(0, kipc_event_set(&e, &wk));	/* already set: no wake */
	EXPECT_EQ(0, wk.nr);
	EXPECT_EQ(0, kipc_event_clear(&e));
	EXPECT_EQ(0, kipc_event_clear(&e));
	EXPECT_EQ(0, kipc_event_is_set(&e));
	/* Set and cleared while it waited: the wait still succeeds. */
	EXPECT_EQ(0, kipc_event_try_wait(&e, &t, &w));
	/* A new wait does not. */
	EXPECT_EQ(-EAGAIN, kipc_event_try_wait(&e, &t2, &w));
	EXPECT_EQ(0, kipc_event_set(&e, &wk));
	EXPECT_EQ(0, kipc_event_try_wait(&e, &t2, &w));
	EXPECT_EQ(0, kipc_event_recover(&e, 3, &wk));
	e.magic = 0;
	EXPECT_EQ(-EBADMSG, kipc_event_is_set(&e));
}

/* ---- Barrier ----------------------------------------------------------- */

TEST(barrier_operations)
{
	struct kipc_barrier b;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t[3] = { 0 };
	__u32 idx[3] = { 9, 9, 9 };
	int i;

	EXPECT_EQ(-EINVAL, kipc_barrier_init(&b, 0));
	EXPECT_EQ(-EINVAL, kipc_barrier_init(&b, 0x10000));
	ASSERT_EQ(0, kipc_barrier_init(&b, 3));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(offsetof(struct kipc_barrier, state), w.off);
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 2, &t[1], &idx[1], &w, &wk));
	b.waiters = 2;
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 3, 3, &t[2], &idx[2], &w, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(2, idx[2]);
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 3, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, idx[0]);
	EXPECT_EQ(1, idx[1]);

	/* abort: waiting and arriving parties get -EPIPE until reset. */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_abort(&b, 3, &wk));
	EXPECT_EQ(0, kipc_barrier_abort(&b, 3, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 3, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 3, 1, &w, &wk));
	/* A waiter of the aborted generation that wakes late: still broken. */
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));

	/* reset with a waiter, twice before it wakes: it gets -EPIPE. */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 3, 1, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 3, 2, &w, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));

	/* Completed, then reset twice before the waiter wakes: success. */
	memset(t, 0, sizeof(t));
	for (i = 0; i < 3; i++)
		kipc_barrier_try_wait(&b, 3, i + 1, &t[i], &idx[i], &w, &wk);
	EXPECT_EQ(0, kipc_barrier_reset(&b, 3, 1, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 3, 1, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 3, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(0, idx[0]);
	EXPECT_EQ(1, idx[1]);

	/* A reset in progress: the second resetter and arrivals wait. */
	b.resetter = 5;
	EXPECT_EQ(-EAGAIN, kipc_barrier_reset(&b, 3, 1, &w, &wk));
	b.resetter = 0;

	/* The parties value passed in decides, not the object's copy. */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 3, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(-EBADMSG, kipc_barrier_try_wait(&b, 2, 3, &t[2], &idx[2], &w, &wk));
	EXPECT_EQ(-EINVAL, kipc_barrier_try_wait(&b, 0, 3, &t[2], &idx[2], &w, &wk));
}

TEST(barrier_recover)
{
	struct kipc_barrier b;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t = 0;
	__u32 idx;

	ASSERT_EQ(0, kipc_barrier_init(&b, 2));
	/* Nobody waits: leaving leaves it alone, a kill breaks it. */
	EXPECT_EQ(0, kipc_barrier_recover(&b, 2, 7, 0, &wk));
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 7, 1, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_recover(&b, 2, 7, 1, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	/* 1 waits: 7 (not an arrival) leaving leaves it alone. */
	EXPECT_EQ(0, kipc_barrier_recover(&b, 2, 7, 0, &wk));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	/* The arrival leaving breaks it. */
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 1, 0, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	t = 0;
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));
	/* 7 killed while 1 waits breaks it. */
	t = 0;
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 7, 1, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));

	/* A resetter died after freezing: recovery finishes the reset. */
	t = 0;
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	b.resetter = 8;
	b.state |= KIPC_BARRIER_FROZEN;
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	{
		__u64 t2 = 0;

		EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 2, &t2, &idx,
							 &w, &wk));
		EXPECT_EQ(0, t2);	/* not arrived: frozen */
	}
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 8, 0, &wk));
	EXPECT_EQ(0, b.resetter);
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
	t = 0;
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t, &idx, &w, &wk));
}

/*
 * The arrival record: it follows generations without being cleared, a
 * party of a completed generation may leave, buckets are shared (a false
 * positive breaks), and a completed waiter keeps its index after a break.
 */
TEST(barrier_arrival_record)
{
	struct kipc_barrier b;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t[3] = { 0 };
	__u32 idx[3] = { 9, 9, 9 };
	int g;

	ASSERT_EQ(0, kipc_barrier_init(&b, 2));
	/* Generations pass; only the current one's arrivals count. */
	for (g = 0; g < 3; g++) {
		memset(t, 0, sizeof(t));
		EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
		EXPECT_EQ(1, kipc_barrier_noted(&b, g, 1));
		EXPECT_EQ(0, kipc_barrier_noted(&b, g, 2));
		EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 2, &t[1], &idx[1], &w, &wk));
		EXPECT_EQ(0, kipc_barrier_noted(&b, g + 1, 1));
	}
	/* 1 completed generation 2 but has not woken: leaving is harmless. */
	EXPECT_EQ(0, kipc_barrier_recover(&b, 2, 1, 0, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, idx[0]);

	/* A completed waiter gets its index although a kill broke it since. */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 2, 1, &wk));
	idx[0] = 9;
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, idx[0]);
	t[2] = 0;
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 3, &t[2], &idx[2], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));

	/* Ids 1 and 513 share a bucket: 513 leaving breaks (safe). */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_recover(&b, 2, 2, 0, &wk));
	EXPECT_EQ(1, kipc_barrier_recover(&b, 2, 513, 0, &wk));
	EXPECT_EQ(-EPIPE, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));

	/* A reset starts a generation whose record is empty. */
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_reset(&b, 2, 3, &w, &wk));
	EXPECT_EQ(0, kipc_barrier_noted(&b, kipc_barrier_gen(b.state), 1));

	/* Scribbled record: bounded, at worst a break or no break. */
	memset(b.seen, 0xff, sizeof(b.seen));
	memset(t, 0, sizeof(t));
	EXPECT_EQ(-EAGAIN, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 2, &t[1], &idx[1], &w, &wk));
	EXPECT_EQ(0, kipc_barrier_try_wait(&b, 2, 1, &t[0], &idx[0], &w, &wk));
	EXPECT_EQ(-EINVAL, kipc_barrier_try_wait(&b, 2, 0, &t[2], &idx[2], &w, &wk));
}

/* ---- Condition --------------------------------------------------------- */

#define NSLOTS 4

static struct kipc_cond *new_cond(__u32 nslots)
{
	struct kipc_cond *c = shared(kipc_cond_size(nslots));

	if (c && kipc_cond_init(c, nslots))
		return NULL;
	return c;
}

TEST(condition_operations)
{
	struct kipc_cond *c;
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u64 t[NSLOTS + 1];
	int i;

	EXPECT_EQ(0, kipc_cond_size(3));
	EXPECT_EQ(0, kipc_cond_size(0));
	EXPECT_EQ(0, kipc_cond_size(8192));
	c = new_cond(NSLOTS);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, cond_notify(c, NSLOTS, 1));	/* nobody waits */
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 10 + i, &t[i]));
	EXPECT_EQ(-ENOSPC, kipc_cond_wait_begin(c, NSLOTS, 20, &t[NSLOTS]));
	for (i = 0; i < NSLOTS; i++)
		EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 10 + i, t[i], &w));
	EXPECT_EQ(offsetof(struct kipc_cond, wake_seq), w.off);
	EXPECT_EQ(offsetof(struct kipc_cond, waiters), w.waiters_off);
	/* Someone else's ticket: not ours, not notified. */
	EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 11, t[0], &w));

	/* notify(2) notifies exactly the two oldest. */
	c->waiters = 1;
	EXPECT_EQ(2, kipc_cond_notify(c, NSLOTS, 2, &wk));
	EXPECT_EQ(KIPC_SYNC_WAKE_ALL, wk.nr);
	EXPECT_EQ(offsetof(struct kipc_cond, wake_seq), wk.off);
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 10, t[0], &w));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 11, t[1], &w));
	EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 12, t[2], &w));
	EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 13, t[3], &w));

	/* A cancelled waiter is skipped and does not count. */
	EXPECT_EQ(0, kipc_cond_wait_cancel(c, NSLOTS, 12, t[2]));
	EXPECT_EQ(1, kipc_cond_notify(c, NSLOTS, 1, &wk));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 13, t[3], &w));
	EXPECT_EQ(0, kipc_cond_notify(c, NSLOTS, KIPC_SYNC_WAKE_ALL, &wk));
	EXPECT_EQ(0, wk.nr);

	/* Cancelling after being notified reports the notification. */
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 10, &t[0]));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 11, &t[1]));
	EXPECT_EQ(1, kipc_cond_notify(c, NSLOTS, 1, &wk));
	EXPECT_EQ(1, kipc_cond_wait_cancel(c, NSLOTS, 10, t[0]));
	EXPECT_EQ(0, kipc_cond_wait_cancel(c, NSLOTS, 11, t[1]));
	EXPECT_EQ(0, kipc_cond_notify(c, NSLOTS, KIPC_SYNC_WAKE_ALL, &wk));

	/* notify_all, many laps around the slots. */
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 10, &t[0]));
		ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 11, &t[1]));
		ASSERT_EQ(2, kipc_cond_notify(c, NSLOTS, KIPC_SYNC_WAKE_ALL,
					      &wk));
		ASSERT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 11, t[1], &w));
		ASSERT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 10, t[0], &w));
	}
	munmap(c, kipc_cond_size(NSLOTS));
}

TEST(condition_recover)
{
	struct kipc_cond *c = new_cond(NSLOTS);
	struct kipc_sync_wait w;
	struct kipc_sync_wake wk;
	__u64 t[3];

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 5, &t[0]));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 6, &t[1]));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 7, &t[2]));
	/* 5 is notified, then dies: it consumed that notification. */
	EXPECT_EQ(1, kipc_cond_notify(c, NSLOTS, 1, &wk));
	EXPECT_EQ(0, kipc_cond_recover(c, NSLOTS, 5, &wk));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 5, t[0], &w));
	/* 6 dies waiting: the next notify skips it and reaches 7. */
	EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 6, t[1], &w));
	EXPECT_EQ(1, kipc_cond_recover(c, NSLOTS, 6, &wk));
	EXPECT_EQ(0, kipc_cond_recover(c, NSLOTS, 6, &wk));
	EXPECT_EQ(1, kipc_cond_notify(c, NSLOTS, 1, &wk));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 7, t[2], &w));
	EXPECT_EQ(0, kipc_cond_notify(c, NSLOTS, 1, &wk));

	/* Died in wait_begin after claiming a slot, before the ticket. */
	c->slots[c->seq & (NSLOTS - 1)] = kipc_cond_mine(c->seq, NSLOTS, 9);
	EXPECT_EQ(-ENOSPC, kipc_cond_wait_begin(c, NSLOTS, 10, &t[0]));
	EXPECT_EQ(1, kipc_cond_recover(c, NSLOTS, 9, &wk));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 10, &t[0]));
	EXPECT_EQ(1, kipc_cond_notify(c, NSLOTS, 1, &wk));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 10, t[0], &w));

	/* A notifier died after freeing the slot, before moving the cursor. */
	ASSERT_EQ(0, kipc_cond_wait_begin(c, NSLOTS, 10, &t[0]));
	c->slots[(__u32)t[0] & (NSLOTS - 1)] = 0;
	EXPECT_EQ(-EAGAIN, kipc_cond_try_wait(c, NSLOTS, 10, t[0], &w));
	EXPECT_EQ(0, kipc_cond_recover(c, NSLOTS, 11, &wk));
	EXPECT_EQ(0, kipc_cond_try_wait(c, NSLOTS, 10, t[0], &w));
	EXPECT_EQ(c->seq, c->cursor);
	munmap(c, kipc_cond_size(NSLOTS));
}

/* ---- several processes ------------------------------------------------- */

struct lock_arena {
	struct kipc_lock lock;
	__u64 counter;
	__u32 in_cs;
	__u32 bad;
	__u32 ownerdead;
};

TEST(lock_mutual_exclusion_processes)
{
	struct lock_arena *a = shared(sizeof(*a));
	int nproc = 4, iters = 6000 * scale(), i, j;
	pid_t pids[4];

	ASSERT_NE(NULL, a);
	kipc_lock_init(&a->lock);
	for (i = 0; i < nproc; i++) {
		pids[i] = child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			for (j = 0; j < iters; j++) {
				struct kipc_sync_wait w;

				/* Half spin on try (max. contention), half sleep. */
				if (i % 2) {
					int n = 0;

					while (kipc_lock_try_acquire(&a->lock, i + 1,
								     &w) == -EAGAIN)
						if (!(++n % 256))
							sched_yield();
				} else if (lock_acquire(&a->lock, i + 1)) {
					_exit(1);
				}
				if (a->in_cs)
					a->bad = 1;
				a->in_cs = i + 1;
				a->counter++;
				if (!(j % 64))
					sched_yield();
				a->in_cs = 0;
				if (lock_release(&a->lock))
					_exit(2);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, reap(pids[i]));
	EXPECT_EQ(0, a->bad);
	EXPECT_EQ((__u64)nproc * iters, a->counter);
	EXPECT_EQ(0, a->lock.word);
}

TEST(semaphore_processes)
{
	struct {
		struct kipc_sem sem;
		__u32 inside, most, bad;
	} *a = shared(sizeof(*a));
	int nproc = 5, iters = 5000 * scale(), i, j;
	pid_t pids[5];

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, kipc_sem_init(&a->sem, 2, 2));
	for (i = 0; i < nproc; i++) {
		pids[i] = child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct kipc_sync_wait w = { 0 };
			struct kipc_sync_wake wk;
			__u32 n;

			for (j = 0; j < iters; j++) {
				while (kipc_sem_try_acquire(&a->sem, 2, &w) ==
				       -EAGAIN)
					kwait(&a->sem, &w);
				n = __atomic_add_fetch(&a->inside, 1,
						       __ATOMIC_SEQ_CST);
				if (n > 2)
					a->bad = 1;
				if (n > a->most)
					a->most = n;
				__atomic_sub_fetch(&a->inside, 1,
						   __ATOMIC_SEQ_CST);
				if (kipc_sem_release(&a->sem, 2, 1, &wk))
					_exit(1);
				kwake(&a->sem, &wk);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, reap(pids[i]));
	EXPECT_EQ(0, a->bad);
	EXPECT_EQ(2, kipc_sem_value(&a->sem, 2));
}

TEST(event_processes)
{
	struct {
		struct kipc_event ev;
		__u32 woke;
	} *a = shared(sizeof(*a));
	int nproc = 4, i;
	pid_t pids[4];
	struct kipc_sync_wake wk;

	ASSERT_NE(NULL, a);
	kipc_event_init(&a->ev);
	for (i = 0; i < nproc; i++) {
		pids[i] = child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct kipc_sync_wait w = { 0 };
			__u64 t = 0;

			while (kipc_event_try_wait(&a->ev, &t, &w) == -EAGAIN)
				kwait(&a->ev, &w);
			__atomic_add_fetch(&a->woke, 1, __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	usleep(50000);
	EXPECT_EQ(0, a->woke);
	/* set then clear at once: every waiter still returns. */
	ASSERT_EQ(0, kipc_event_set(&a->ev, &wk));
	ASSERT_EQ(0, kipc_event_clear(&a->ev));
	kwake(&a->ev, &wk);
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, reap(pids[i]));
	EXPECT_EQ(nproc, a->woke);
}

struct cond_arena {
	struct kipc_lock lock;
	__u32 queue[16];
	__u32 head, tail;
	__u64 sum;
	__u32 got, ready, returned, bad;
};

TEST(condition_producer_consumer_processes)
{
	struct cond_arena *a = shared(sizeof(*a));
	struct kipc_cond *not_empty = new_cond(8), *not_full = new_cond(8);
	int items = 3000 * scale(), i, nprod = 2, ncons = 2;
	pid_t pids[4];
	__u64 want = 0;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, not_empty);
	ASSERT_NE(NULL, not_full);
	kipc_lock_init(&a->lock);
	for (i = 0; i < nprod + ncons; i++) {
		pids[i] = child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			__u32 me = i + 1;
			int k, r;

			if (i < nprod) {
				for (k = 0; k < items; k++) {
					lock_acquire(&a->lock, me);
					while (a->tail - a->head == 16) {
						r = cond_wait(not_full, 8, &a->lock, me);
						if (r)
							_exit(10);
					}
					a->queue[a->tail++ % 16] = k + 1;
					cond_notify(not_empty, 8, 1);
					lock_release(&a->lock);
				}
				_exit(0);
			}
			for (;;) {
				lock_acquire(&a->lock, me);
				while (a->tail == a->head &&
				       a->got < (__u32)(items * nprod)) {
					r = cond_wait(not_empty, 8, &a->lock, me);
					if (r)
						_exit(11);
				}
				if (a->got == (__u32)(items * nprod)) {
					cond_notify(not_empty, 8,
						    KIPC_SYNC_WAKE_ALL);
					lock_release(&a->lock);
					_exit(0);
				}
				a->sum += a->queue[a->head++ % 16];
				a->got++;
				if (a->got == (__u32)(items * nprod))
					cond_notify(not_empty, 8,
						    KIPC_SYNC_WAKE_ALL);
				cond_notify(not_full, 8, 1);
				lock_release(&a->lock);
			}
		}
	}
	for (i = 0; i < nprod + ncons; i++)
		EXPECT_EQ(0, reap(pids[i]));
	for (i = 0; i < items; i++)
		want += (__u64)(i + 1) * nprod;
	EXPECT_EQ(want, a->sum);
	EXPECT_EQ((__u32)(items * nprod), a->got);
}

TEST(condition_notify_n_is_exact_processes)
{
	struct cond_arena *a = shared(sizeof(*a));
	struct kipc_cond *c = new_cond(8);
	int nproc = 6, i, round;
	pid_t pids[6];

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, c);
	kipc_lock_init(&a->lock);
	for (round = 0; round < 3 * scale(); round++) {
		a->ready = 0;
		a->returned = 0;
		for (i = 0; i < nproc; i++) {
			pids[i] = child();
			ASSERT_LE(0, pids[i]);
			if (pids[i] == 0) {
				lock_acquire(&a->lock, i + 1);
				__atomic_add_fetch(&a->ready, 1,
						   __ATOMIC_SEQ_CST);
				if (cond_wait(c, 8, &a->lock, i + 1))
					_exit(1);
				__atomic_add_fetch(&a->returned, 1,
						   __ATOMIC_SEQ_CST);
				lock_release(&a->lock);
				_exit(0);
			}
		}
		wait_until(&a->ready, nproc);
		/* Every waiter holds a ticket once we get the lock. */
		lock_acquire(&a->lock, 100);
		EXPECT_EQ(2, cond_notify(c, 8, 2));
		lock_release(&a->lock);
		wait_until(&a->returned, 2);
		usleep(100000);
		EXPECT_EQ(2, a->returned);
		lock_acquire(&a->lock, 100);
		EXPECT_EQ(1, cond_notify(c, 8, 1));
		lock_release(&a->lock);
		wait_until(&a->returned, 3);
		usleep(50000);
		EXPECT_EQ(3, a->returned);
		lock_acquire(&a->lock, 100);
		EXPECT_EQ(3, cond_notify(c, 8, KIPC_SYNC_WAKE_ALL));
		lock_release(&a->lock);
		for (i = 0; i < nproc; i++)
			EXPECT_EQ(0, reap(pids[i]));
		EXPECT_EQ(nproc, a->returned);
	}
}

struct barrier_arena {
	struct kipc_barrier b;
	__u32 arrived[4096];
	__u32 seen[4096];
	__u32 bad;
	__u32 epipe;
};

TEST(barrier_generations_processes)
{
	struct barrier_arena *a = shared(sizeof(*a));
	int nproc = 4, gens = 400 * scale(), i;
	pid_t pids[4];

	if (gens > 4096)
		gens = 4096;
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, kipc_barrier_init(&a->b, nproc));
	for (i = 0; i < nproc; i++) {
		pids[i] = child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			__u32 idx;
			int g;

			for (g = 0; g < gens; g++) {
				__atomic_add_fetch(&a->arrived[g], 1,
						   __ATOMIC_SEQ_CST);
				if (barrier_wait(&a->b, nproc, i + 1, &idx))
					_exit(1);
				/* Nobody leaves before everyone arrived. */
				if (__atomic_load_n(&a->arrived[g],
						    __ATOMIC_SEQ_CST) != (__u32)nproc)
					a->bad = 1;
				if (idx >= (__u32)nproc)
					_exit(2);
				__atomic_or_fetch(&a->seen[g], 1U << idx,
						  __ATOMIC_SEQ_CST);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++)
		EXPECT_EQ(0, reap(pids[i]));
	EXPECT_EQ(0, a->bad);
	for (i = 0; i < gens; i++)
		ASSERT_EQ((1U << nproc) - 1, a->seen[i]);
}

/* Parties 0..n-2 wait; run @what; all of them must get -EPIPE. */
static int barrier_break_with(struct barrier_arena *a, int parties,
			      int what)
{
	pid_t pids[8], victim = 0;
	struct kipc_sync_wake wk;
	struct kipc_sync_wait w = { 0 };
	int i, fails = 0;

	kipc_barrier_init(&a->b, parties);
	a->epipe = 0;
	memset(a->arrived, 0, 4 * sizeof(__u32));
	for (i = 0; i < parties - 1; i++) {
		pids[i] = child();
		if (pids[i] == 0) {
			__u32 idx;

			__atomic_add_fetch(&a->arrived[0], 1, __ATOMIC_SEQ_CST);
			if (barrier_wait(&a->b, parties, i + 1, &idx) == -EPIPE)
				__atomic_add_fetch(&a->epipe, 1,
						   __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	if (what == 2) {
		/* The last party dies before arriving. */
		victim = child();
		if (victim == 0)
			pause();
	}
	wait_until(&a->arrived[0], parties - 1);
	while ((kipc_load(&a->b.state) & KIPC_BARRIER_COUNT) !=
	       (__u32)parties - 1)
		usleep(1000);
	if (what == 0) {
		kipc_barrier_abort(&a->b, parties, &wk);
	} else if (what == 1) {
		kipc_barrier_reset(&a->b, parties, 99, &w, &wk);
	} else {
		kill(victim, SIGKILL);
		reap(victim);
		if (kipc_barrier_recover(&a->b, parties, 42, 1, &wk) != 1)
			fails++;
	}
	kwake(&a->b, &wk);
	for (i = 0; i < parties - 1; i++)
		if (reap(pids[i]))
			fails++;
	if (a->epipe != (__u32)parties - 1)
		fails++;
	return fails;
}

TEST(barrier_abort_reset_death_processes)
{
	struct barrier_arena *a = shared(sizeof(*a));
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u32 idx;
	int r;

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, barrier_break_with(a, 4, 0));
	EXPECT_EQ(0, barrier_break_with(a, 4, 1));
	EXPECT_EQ(0, barrier_break_with(a, 4, 2));
	/* After reset the barrier works again. */
	ASSERT_EQ(0, kipc_barrier_reset(&a->b, 4, 1, &w, &wk));
	ASSERT_EQ(0, kipc_barrier_init(&a->b, 1));
	r = barrier_wait(&a->b, 1, 1, &idx);
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, idx);
}

/* ---- SIGKILL at random points ------------------------------------------ */

/*
 * Children loop acquire/critical section/release. The parent kills them at
 * random instants and recovers like the kernel. Checks: recover() reports
 * a held lock exactly when the dead one held it; the next acquirer after
 * such a death gets -EOWNERDEAD (the dead one's in_cs mark is never seen by
 * a plain acquire); never two holders; no hang (harness timeout).
 */
static void lock_killer_child(struct lock_arena *a, __u32 me)
{
	unsigned int seed = me;
	int r;

	for (;;) {
		r = lock_acquire(&a->lock, me);
		if (r == -EOWNERDEAD) {
			__atomic_add_fetch(&a->ownerdead, 1, __ATOMIC_SEQ_CST);
			a->in_cs = 0;
			if (kipc_lock_consistent(&a->lock, me))
				a->bad |= 4;
		} else if (r) {
			a->bad |= 8;
			_exit(1);
		} else if (a->in_cs) {
			a->bad |= 1;	/* two holders, or a hidden death */
		}
		a->in_cs = me;
		spin(rnd(&seed) % 200);
		a->in_cs = 0;
		if (lock_release(&a->lock))
			a->bad |= 2;
	}
}

TEST(lock_holder_sigkilled_at_random_points)
{
	struct lock_arena *a = shared(sizeof(*a));
	int rounds = 200 * scale(), round, held = 0, k;
	unsigned int seed = 12345;
	struct kipc_sync_wake wk;
	struct kipc_sync_wait w = { 0 };
	__u32 id = 1;

	ASSERT_NE(NULL, a);
	kipc_lock_init(&a->lock);
	for (round = 0; round < rounds; round++) {
		pid_t pid[2];
		__u32 ids[2];

		for (k = 0; k < 2; k++) {
			ids[k] = id;
			id = id % KIPC_SYNC_ID_MAX + 1;
			pid[k] = child();
			ASSERT_LE(0, pid[k]);
			if (pid[k] == 0)
				lock_killer_child(a, ids[k]);
		}
		for (k = 0; k < 2; k++) {
			__u32 before;
			int r;

			usleep(rnd(&seed) % 3000);
			kill(pid[k], SIGKILL);
			reap(pid[k]);
			before = kipc_load(&a->lock.word);
			r = kipc_lock_recover(&a->lock, ids[k], &wk);
			ASSERT_EQ((before & KIPC_LOCK_OWNER) == ids[k], r);
			held += r;
			kwake(&a->lock, &wk);
		}
		/* Both dead: the parent is the next acquirer. */
		{
			int r = kipc_lock_try_acquire(&a->lock, 0xfffe, &w);

			if (kipc_load(&a->lock.word) & KIPC_LOCK_DIED) {
				ASSERT_EQ(-EOWNERDEAD, r);
				a->in_cs = 0;
				ASSERT_EQ(0, kipc_lock_consistent(&a->lock, 0xfffe));
				__atomic_add_fetch(&a->ownerdead, 1,
						   __ATOMIC_SEQ_CST);
			} else {
				ASSERT_EQ(0, r);
				ASSERT_EQ(0, a->in_cs);
			}
			ASSERT_EQ(0, lock_release(&a->lock));
		}
		ASSERT_EQ(0, a->bad);
	}
	/*
	 * Every death while holding led to exactly one -EOWNERDEAD, unless
	 * the acquirer that got it died before counting (then the lock was
	 * still owner-died and the next one counted: at most as many).
	 */
	EXPECT_LE(a->ownerdead, held);
	EXPECT_LT(0, a->ownerdead);
	TH_LOG("%d rounds, %d deaths while holding, %u EOWNERDEAD seen",
	       rounds, held, a->ownerdead);
}

struct rlock_arena {
	struct kipc_rlock lock;
	__u32 in_cs;
	__u32 bad;
	__u32 ownerdead;
};

static void rlock_killer_child(struct rlock_arena *a, __u32 me)
{
	__u32 t = tid(), seed = me;
	int r, depth, d;

	for (;;) {
		r = rlock_acquire(&a->lock, me, t);
		if (r == -EOWNERDEAD) {
			__atomic_add_fetch(&a->ownerdead, 1, __ATOMIC_SEQ_CST);
			a->in_cs = 0;
			if (kipc_rlock_consistent(&a->lock, me, t))
				a->bad |= 4;
		} else if (r) {
			a->bad |= 8;
			_exit(1);
		} else if (a->in_cs) {
			a->bad |= 1;
		}
		a->in_cs = me;
		depth = rnd(&seed) % 4;
		for (d = 0; d < depth; d++)
			if (rlock_acquire(&a->lock, me, t))
				a->bad |= 16;
		for (d = 0; d < depth; d++)
			if (rlock_release(&a->lock, me, t))
				a->bad |= 32;
		a->in_cs = 0;
		if (rlock_release(&a->lock, me, t))
			a->bad |= 2;
	}
}

TEST(rlock_holder_sigkilled_at_random_points)
{
	struct rlock_arena *a = shared(sizeof(*a));
	int rounds = 150 * scale(), round, held = 0, k, r;
	unsigned int seed = 777;
	struct kipc_sync_wake wk;
	struct kipc_sync_wait w = { 0 };
	__u32 id = 100;

	ASSERT_NE(NULL, a);
	kipc_rlock_init(&a->lock);
	for (round = 0; round < rounds; round++) {
		pid_t pid[2];
		__u32 ids[2];

		for (k = 0; k < 2; k++) {
			ids[k] = id++;
			pid[k] = child();
			ASSERT_LE(0, pid[k]);
			if (pid[k] == 0)
				rlock_killer_child(a, ids[k]);
		}
		for (k = 0; k < 2; k++) {
			__u32 before;

			usleep(rnd(&seed) % 3000);
			kill(pid[k], SIGKILL);
			reap(pid[k]);
			before = kipc_load(&a->lock.word);
			r = kipc_rlock_recover(&a->lock, ids[k], &wk);
			ASSERT_EQ((before & KIPC_LOCK_OWNER) == ids[k], r);
			held += r;
			kwake(&a->lock, &wk);
		}
		r = kipc_rlock_try_acquire(&a->lock, 0xfffe, 1, &w);
		if (kipc_load(&a->lock.word) & KIPC_LOCK_DIED) {
			ASSERT_EQ(-EOWNERDEAD, r);
			a->in_cs = 0;
			ASSERT_EQ(0, kipc_rlock_consistent(&a->lock, 0xfffe, 1));
		} else {
			ASSERT_EQ(0, r);
			ASSERT_EQ(0, a->in_cs);
		}
		ASSERT_EQ(1, a->lock.count);
		ASSERT_EQ(0, kipc_rlock_release(&a->lock, 0xfffe, 1, &wk));
		ASSERT_EQ(0, a->bad);
	}
	TH_LOG("%d rounds, %d deaths while holding", rounds, held);
}

/*
 * Condition waiters, one killed at a random instant while all wait: after
 * recovery, notify(1) notifies exactly one LIVE waiter (the dead one
 * absorbs nothing) and notify_all the rest; no hang, no slot leaked.
 */
TEST(condition_waiter_sigkilled)
{
	struct cond_arena *a = shared(sizeof(*a));
	struct kipc_cond *c = new_cond(8);
	int rounds = 60 * scale(), round, i, nproc = 4, r;
	unsigned int seed = 99;
	struct kipc_sync_wake wk;
	__u32 id = 1;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, c);
	kipc_lock_init(&a->lock);
	for (round = 0; round < rounds; round++) {
		pid_t pids[4];
		__u32 ids[4];
		int victim = rnd(&seed) % nproc;

		a->ready = 0;
		a->returned = 0;
		for (i = 0; i < nproc; i++) {
			ids[i] = id++;
			pids[i] = child();
			ASSERT_LE(0, pids[i]);
			if (pids[i] == 0) {
				lock_acquire(&a->lock, ids[i]);
				__atomic_add_fetch(&a->ready, 1,
						   __ATOMIC_SEQ_CST);
				r = cond_wait(c, 8, &a->lock, ids[i]);
				__atomic_add_fetch(&a->returned, 1,
						   __ATOMIC_SEQ_CST);
				lock_release(&a->lock);
				_exit(r ? 1 : 0);
			}
		}
		wait_until(&a->ready, nproc);
		/* With the lock, every waiter has its ticket. */
		lock_acquire(&a->lock, 0xfffe);
		usleep(rnd(&seed) % 2000);
		kill(pids[victim], SIGKILL);
		reap(pids[victim]);
		ASSERT_EQ(0, kipc_lock_recover(&a->lock, ids[victim], &wk));
		ASSERT_EQ(1, kipc_cond_recover(c, 8, ids[victim], &wk));
		kwake(c, &wk);
		ASSERT_EQ(1, cond_notify(c, 8, 1));
		lock_release(&a->lock);
		wait_until(&a->returned, 1);
		usleep(20000);
		ASSERT_EQ(1, a->returned);
		lock_acquire(&a->lock, 0xfffe);
		ASSERT_EQ(nproc - 2, cond_notify(c, 8, KIPC_SYNC_WAKE_ALL));
		lock_release(&a->lock);
		for (i = 0; i < nproc; i++)
			if (i != victim)
				ASSERT_EQ(0, reap(pids[i]));
		ASSERT_EQ(nproc - 1, a->returned);
		/* Nothing leaked: every slot free, every ticket decided. */
		ASSERT_EQ(kipc_load(&c->seq), kipc_load(&c->cursor));
		for (i = 0; i < 8; i++)
			ASSERT_EQ(0, kipc_load(&c->slots[i]));
	}
}

/*
 * A waiter or a notifier killed anywhere in the Condition protocol
 * (begin, sleep, consume, notify): the survivors never hang and no slot
 * leaks.
 */
TEST(condition_anyone_sigkilled_at_random_points)
{
	struct cond_arena *a = shared(sizeof(*a));
	struct kipc_cond *c = new_cond(4);
	int rounds = 80 * scale(), round, i, r;
	unsigned int seed = 5;
	struct kipc_sync_wake wk;
	__u32 id = 1;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, c);
	kipc_lock_init(&a->lock);
	for (round = 0; round < rounds; round++) {
		pid_t pids[3];
		__u32 ids[3];

		a->bad = 0;
		for (i = 0; i < 3; i++) {
			ids[i] = id++;
			pids[i] = child();
			ASSERT_LE(0, pids[i]);
			if (pids[i] == 0) {
				__u32 me = ids[i];

				for (;;) {
					r = lock_acquire(&a->lock, me);
					if (r == -EOWNERDEAD)
						kipc_lock_consistent(&a->lock, me);
					else if (r)
						_exit(1);
					if (i == 0)
						cond_notify(c, 4, 1 + me % 2);
					else if (cond_wait(c, 4, &a->lock, me))
						a->bad = 1;
					lock_release(&a->lock);
				}
			}
		}
		for (i = 0; i < 3; i++) {
			usleep(rnd(&seed) % 3000);
			kill(pids[i], SIGKILL);
			reap(pids[i]);
			r = kipc_lock_recover(&a->lock, ids[i], &wk);
			ASSERT_LE(0, r);
			kwake(&a->lock, &wk);
			ASSERT_LE(0, kipc_cond_recover(c, 4, ids[i], &wk));
			kwake(c, &wk);
		}
		ASSERT_EQ(0, a->bad);
		ASSERT_EQ(kipc_load(&c->seq), kipc_load(&c->cursor));
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, kipc_load(&c->slots[i]));
		/* The lock is usable again. */
		r = lock_acquire(&a->lock, 0xfffe);
		if (r == -EOWNERDEAD)
			r = kipc_lock_consistent(&a->lock, 0xfffe);
		ASSERT_EQ(0, r);
		ASSERT_EQ(0, lock_release(&a->lock));
	}
}

/* ---- hostile memory ---------------------------------------------------- */

static int errno_ok(int r)
{
	return r >= 0 || r == -EAGAIN || r == -EBADMSG || r == -EPERM ||
	       r == -EINVAL || r == -EOWNERDEAD || r == -ENOTRECOVERABLE ||
	       r == -EOVERFLOW || r == -EPIPE || r == -ENOSPC;
}

static void scribble(void *p, size_t n, unsigned int *seed, int keep_magic)
{
	unsigned char *b = p;
	__u32 magic = *(__u32 *)p;
	size_t i;

	for (i = 0; i < n; i++)
		if (rnd(seed) % 3)
			b[i] = rnd(seed);
	/* Small values too, so that the checks past the magic run. */
	for (i = 4; i + 4 <= n; i += 4)
		if (!(rnd(seed) % 2))
			*(__u32 *)(b + i) = rnd(seed) % 5;
	if (keep_magic)
		*(__u32 *)p = magic;
}

struct all_objects {
	struct kipc_lock l;
	struct kipc_rlock rl;
	struct kipc_sem s;
	struct kipc_event e;
	struct kipc_barrier b;
};

static int ops_once(struct all_objects *o, struct kipc_cond *c,
		    unsigned int *seed)
{
	struct kipc_sync_wait w = { 0 };
	struct kipc_sync_wake wk;
	__u32 id = rnd(seed) % 4 + 1, idx, max = rnd(seed) % 4 + 1;
	__u64 t = rnd(seed) % 2 ? 0 : (KIPC_SYNC_TICKET_VALID | rnd(seed));
	int bad = 0;

#define CHK(x) do { if (!errno_ok(x)) bad++; } while (0)
	CHK(kipc_lock_try_acquire(&o->l, id, &w));
	CHK(kipc_lock_release(&o->l, &wk));
	CHK(kipc_lock_consistent(&o->l, id));
	CHK(kipc_lock_owner(&o->l));
	CHK(kipc_lock_recover(&o->l, id, &wk));
	CHK(kipc_rlock_try_acquire(&o->rl, id, id, &w));
	CHK(kipc_rlock_release(&o->rl, id, id, &wk));
	CHK(kipc_rlock_consistent(&o->rl, id, id));
	CHK(kipc_rlock_recover(&o->rl, id, &wk));
	CHK(kipc_sem_try_acquire(&o->s, max, &w));
	CHK(kipc_sem_release(&o->s, max, 1, &wk));
	CHK(kipc_sem_recover(&o->s, max, id, &wk));
	CHK(kipc_event_set(&o->e, &wk));
	CHK(kipc_event_clear(&o->e));
	CHK(kipc_event_try_wait(&o->e, &t, &w));
	CHK(kipc_event_recover(&o->e, id, &wk));
	t = rnd(seed) % 2 ? 0 : (KIPC_SYNC_TICKET_VALID | rnd(seed));
	CHK(kipc_barrier_try_wait(&o->b, max, id, &t, &idx, &w, &wk));
	CHK(kipc_barrier_abort(&o->b, max, &wk));
	if (!(rnd(seed) % 4))
		CHK(kipc_barrier_reset(&o->b, max, id, &w, &wk));
	CHK(kipc_barrier_recover(&o->b, max, id, rnd(seed) % 2, &wk));
	CHK(kipc_cond_wait_begin(c, NSLOTS, id, &t));
	CHK(kipc_cond_try_wait(c, NSLOTS, id, t, &w));
	CHK(kipc_cond_notify(c, NSLOTS, rnd(seed) % 3, &wk));
	CHK(kipc_cond_wait_cancel(c, NSLOTS, id, t));
	CHK(kipc_cond_recover(c, NSLOTS, id, &wk));
#undef CHK
	return bad;
}

static void init_all(struct all_objects *o, struct kipc_cond *c)
{
	kipc_lock_init(&o->l);
	kipc_rlock_init(&o->rl);
	kipc_sem_init(&o->s, 1, 4);
	kipc_event_init(&o->e);
	kipc_barrier_init(&o->b, 4);
	kipc_cond_init(c, NSLOTS);
}

TEST(scribbled_memory)
{
	struct all_objects *o = shared(sizeof(*o));
	struct kipc_cond *c = new_cond(NSLOTS);
	unsigned int seed = 4242;
	int i, bad = 0;

	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, c);
	for (i = 0; i < 20000 * scale(); i++) {
		init_all(o, c);
		bad += ops_once(o, c, &seed);
		scribble(o, sizeof(*o), &seed, i % 4);
		scribble(c, kipc_cond_size(NSLOTS), &seed, i % 4);
		bad += ops_once(o, c, &seed);
		bad += ops_once(o, c, &seed);
	}
	EXPECT_EQ(0, bad);
}

/* A process scribbles continuously while another runs every operation. */
TEST(scribbled_concurrently)
{
	struct all_objects *o = shared(sizeof(*o));
	struct kipc_cond *c = new_cond(NSLOTS);
	unsigned int seed = 1;
	int i, bad = 0;
	pid_t pid;

	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, c);
	init_all(o, c);
	pid = child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int s = 2;

		for (;;) {
			scribble(o, sizeof(*o), &s, 1);
			scribble(c, kipc_cond_size(NSLOTS), &s, 1);
			if (!(rnd(&s) % 16))
				init_all(o, c);
		}
	}
	for (i = 0; i < 20000 * scale(); i++)
		bad += ops_once(o, c, &seed);
	kill(pid, SIGKILL);
	reap(pid);
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
