// SPDX-License-Identifier: GPL-2.0-only
/*
 * KIPC_IOC_WAIT_ANY's edges (Documentation/sync.rst): strict validation (a
 * deadline without its flag, descriptors that are not kipc objects), the
 * give-back when the index cannot be written (only the caller's own hold
 * is undone, whatever a hostile co-user does to the lock word meanwhile),
 * and a waiter under a wake-up storm from other processes: its deadline
 * still ends the wait, and so does SIGKILL.
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define MSEC	1000000ULL
/* An owner id no mapping of the tests' locks has. */
#define THIEF	0x7ffeU

static int wany(struct kipc_wait_any *args)
{
	int dev = kt_dev(), ret;

	if (dev < 0)
		return -1000;
	ret = kt_ioctl_fd(dev, KIPC_IOC_WAIT_ANY, args);
	close(dev);
	return ret;
}

static void wany_init(struct kipc_wait_any *a, struct kipc_wait_obj *o,
		      __u32 count)
{
	memset(a, 0, sizeof(*a));
	a->objs = (__u64)(uintptr_t)o;
	a->count = count;
}

/* A page holding a copy of @a, then made read-only. */
static struct kipc_wait_any *wany_readonly(const struct kipc_wait_any *a)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, a, sizeof(*a));
	if (mprotect(p, 4096, PROT_READ)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

FIXTURE(wany) {
	long objects;
};

FIXTURE_SETUP(wany)
{
	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
}

FIXTURE_TEARDOWN(wany)
{
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
}

/* deadline_ns is only valid with KIPC_WAIT_DEADLINE. */
TEST_F(wany, deadline_without_flag)
{
	struct kipc_wait_obj o = { 0 };
	struct kipc_wait_any a;
	struct kipc_sync *s;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 0, 0, 0));
	o.fd = kipc_sync_fd(s);
	wany_init(&a, &o, 1);
	a.deadline_ns = kt_in_ns(1000 * MSEC);
	EXPECT_EQ(-EINVAL, wany(&a));
	EXPECT_EQ(1, kipc_sem_value(s));
	a.flags = KIPC_WAIT_DEADLINE;
	EXPECT_EQ(0, wany(&a));
	EXPECT_EQ(0, a.index);
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

/* Only kipc object descriptors: not eventfds, pipes, the device, watches. */
TEST_F(wany, not_objects)
{
	struct kipc_wait_obj o[2] = { { 0 } };
	struct kipc_wait_any a;
	struct kipc_sync *s;
	int fds[5], p[2], i;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 0, 0, 0));
	ASSERT_EQ(0, pipe(p));
	fds[0] = eventfd(1, 0);
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = kt_dev();
	fds[4] = kipc_object_watch(kipc_sync_fd(s), KIPC_SYNC_OFF_WORD,
				   KIPC_SYNC_OFF_WAITERS, 1, 0);
	o[1].fd = kipc_sync_fd(s);
	for (i = 0; i < 5; i++) {
		ASSERT_LE(0, fds[i]);
		o[0].fd = fds[i];
		wany_init(&a, o, 2);
		EXPECT_EQ(-EINVAL, wany(&a));
	}
	for (i = 0; i < 5; i++)
		close(fds[i]);
	/* A closed descriptor. */
	o[0].fd = fds[0];
	wany_init(&a, o, 2);
	EXPECT_EQ(-EBADF, wany(&a));
	/* Nothing was taken from the valid one. */
	EXPECT_EQ(1, kipc_sem_value(s));
	kipc_sync_close(s);
}

/* The index cannot be written: EFAULT, and what was taken is given back. */
TEST_F(wany, readonly_index_gives_back)
{
	struct kipc_wait_any a, *ro;
	struct kipc_sync *s, *l, *rl;
	struct kipc_wait_obj o = { 0 };
	void *lmap, *rlmap;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_rlock_create(&rl, NULL, 0, 0));
	lmap = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		    kipc_sync_fd(l), 0);
	ASSERT_NE(MAP_FAILED, lmap);
	rlmap = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		     kipc_sync_fd(rl), 0);
	ASSERT_NE(MAP_FAILED, rlmap);

	o.fd = kipc_sync_fd(s);
	wany_init(&a, &o, 1);
	ro = wany_readonly(&a);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, wany(ro));
	EXPECT_EQ(1, kipc_sem_value(s));

	o.fd = kipc_sync_fd(l);
	o.addr = (__u64)(uintptr_t)lmap;
	EXPECT_EQ(-EFAULT, wany(ro));
	EXPECT_EQ(0, kt_fdinfo(o.fd, "kipc-lock-owner"));

	o.fd = kipc_sync_fd(rl);
	o.addr = (__u64)(uintptr_t)rlmap;
	EXPECT_EQ(-EFAULT, wany(ro));
	EXPECT_EQ(0, kt_fdinfo(o.fd, "kipc-lock-owner"));
	EXPECT_EQ(0, kt_fdinfo(o.fd, "kipc-rlock-count"));
	/* Given back entirely: taken again at once. */
	wany_init(&a, &o, 1);
	EXPECT_EQ(0, wany(&a));
	EXPECT_EQ(1, kt_fdinfo(o.fd, "kipc-rlock-count"));
	EXPECT_LT(0, kt_fdinfo(o.fd, "kipc-lock-owner"));

	munmap(ro, 4096);
	munmap(lmap, 4096);
	munmap(rlmap, 4096);
	kipc_sync_close(s);
	kipc_sync_close(l);
	kipc_sync_close(rl);
}

struct thief_state {
	volatile int stop;
	volatile long stolen;
	volatile long wiped;
};

/*
 * A hostile co-user: whenever the lock word shows another owner (the
 * caller's take, which exists only until its give-back), overwrite it
 * with its own id, hold a while, and check nobody released it for it.
 */
static void thief(volatile __u32 *word, int fd, struct thief_state *st)
{
	__u32 v;

	while (!st->stop) {
		v = *word;
		if (!(v & 0xffff) || (v & 0xffff) == THIEF)
			continue;
		if (!__sync_bool_compare_and_swap(word, v, THIEF))
			continue;
		usleep(2000);
		if (__sync_bool_compare_and_swap(word, THIEF, 0)) {
			st->stolen++;
		} else {
			st->wiped++;
			*word = 0;
		}
		kipc_object_wake(fd, KIPC_SYNC_OFF_WORD, KIPC_SYNC_OFF_WAITERS,
				 ~0U);
	}
	_exit(0);
}

/*
 * Flip a scratch page's protection: each mprotect() holds mmap_lock for
 * writing, so the caller's put_user() fault sometimes waits for it, which
 * widens the window between the take and the give-back.
 */
static void *mmap_writer(void *arg)
{
	struct thief_state *st = arg;
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	while (!st->stop) {
		mprotect(p, 4096, PROT_READ | PROT_WRITE);
		mprotect(p, 4096, PROT_READ);
	}
	munmap(p, 4096);
	return NULL;
}

/*
 * The give-back after EFAULT must undo only the caller's own hold: a
 * co-user that changed the lock word in between keeps what it wrote.
 */
TEST_F_TIMEOUT(wany, readonly_index_keeps_others_hold, 60)
{
	struct thief_state *st = kt_shared(4096);
	struct kipc_wait_obj o = { 0 };
	struct kipc_wait_any *ro;
	int i, ret, dev, efault = 0;
	volatile __u32 *word;
	struct kipc_sync *l;
	pthread_t writer;
	void *map;
	__u64 end;
	pid_t pid;

	ASSERT_NE(NULL, st);
	dev = kt_dev();
	ASSERT_LE(0, dev);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		   kipc_sync_fd(l), 0);
	ASSERT_NE(MAP_FAILED, map);
	word = (volatile __u32 *)((char *)map + KIPC_SYNC_OFF_WORD);
	o.fd = kipc_sync_fd(l);
	o.addr = (__u64)(uintptr_t)map;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		thief(word, o.fd, st);
	ASSERT_EQ(0, pthread_create(&writer, NULL, mmap_writer, st));

	/* The window is a few microseconds: try until a few steals. */
	end = kt_in_ns(kt_scaled(20000) * MSEC);
	for (i = 0; kt_now_ns() < end && st->stolen < 10; i++) {
		ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ | PROT_WRITE));
		wany_init(ro, &o, 1);
		ro->flags = KIPC_WAIT_DEADLINE;
		ro->deadline_ns = kt_in_ns(20 * MSEC);
		ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
		ret = kt_ioctl_fd(dev, KIPC_IOC_WAIT_ANY, ro);
		if (ret == -EFAULT)
			efault++;
		else
			ASSERT_EQ(-ETIMEDOUT, ret);
		if (st->wiped)
			break;
	}
	st->stop = 1;
	pthread_join(writer, NULL);
	EXPECT_EQ(0, kt_reap(pid));
	TH_LOG("%d calls, %d EFAULT, %ld stolen, %ld wiped", i, efault,
	       st->stolen, st->wiped);
	EXPECT_LT(0, efault);
	/* Without a single steal the test proved nothing. */
	EXPECT_LT(0, st->stolen + st->wiped);
	EXPECT_EQ(0, st->wiped);
	EXPECT_EQ(0, kt_fdinfo(o.fd, "kipc-lock-owner"));
	munmap(ro, 4096);
	close(dev);
	munmap(map, 4096);
	kipc_sync_close(l);
}

/* Other processes calling KIPC_OBJ_IOC_WAKE on a word as fast as they can. */
static pid_t storm(int fd, volatile int *stop)
{
	pid_t pid = fork();

	if (!pid) {
		while (!*stop)
			kipc_object_wake(fd, KIPC_SYNC_OFF_WORD,
					 KIPC_SYNC_OFF_WAITERS, ~0U);
		_exit(0);
	}
	return pid;
}

/*
 * Under a wake-up storm a waiter keeps being woken to find nothing ready:
 * its deadline must still end the wait, and SIGKILL must still end it.
 */
TEST_F(wany, wake_storm)
{
	volatile int *stop = kt_shared(4096);
	struct kipc_wait_obj o = { 0 };
	struct kipc_wait_any a;
	struct kipc_sync *s;
	pid_t storms[2], waiter;
	__u64 t0;
	int i;

	ASSERT_NE(NULL, stop);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	o.fd = kipc_sync_fd(s);
	for (i = 0; i < 2; i++) {
		storms[i] = storm(o.fd, stop);
		ASSERT_LE(0, storms[i]);
	}
	usleep(100000);

	for (i = 0; i < 3; i++) {
		wany_init(&a, &o, 1);
		a.flags = KIPC_WAIT_DEADLINE;
		t0 = kt_now_ns();
		a.deadline_ns = t0 + 200 * MSEC;
		alarm(20);
		EXPECT_EQ(-ETIMEDOUT, wany(&a));
		alarm(0);
		EXPECT_GT(t0 + 3000 * MSEC, kt_now_ns());
	}

	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter) {
		wany_init(&a, &o, 1);
		_exit(wany(&a) == 0 ? 0 : 1);
	}
	usleep(300000);
	t0 = kt_now_ns();
	kill(waiter, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(waiter));
	EXPECT_GT(t0 + 3000 * MSEC, kt_now_ns());

	*stop = 1;
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, kt_reap(storms[i]));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

TEST_HARNESS_MAIN
