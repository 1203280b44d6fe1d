// SPDX-License-Identifier: GPL-2.0-only
/*
 * Watch descriptors (KIPC_OBJ_IOC_WATCH): readable exactly while the word
 * differs from the value the caller saw, woken by KIPC_OBJ_IOC_WAKE and by
 * the kernel's own recovery, usable from poll, epoll and io_uring; strict
 * validation; the object lives as long as a watch on it. Then libipc's
 * step-wise Barrier and Condition waits, which event loops build on.
 *
 * Timeouts in polls are guards against a hang only, never the expected
 * outcome, except where a test asserts that nothing is ready.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define WORD		0	/* offsets in the shm object */
#define WAITERS		4
#define NONE		KIPC_WAITERS_NONE
#define GUARD_MS	60000
#define SEC		1000000000ULL

/* poll(2) revents of @fd after at most @ms milliseconds. */
static int revents(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	return n < 0 ? -errno : p.revents;
}

FIXTURE(watch) {
	int dev, fd;
	volatile __u32 *mem;
};

FIXTURE_SETUP(watch)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->fd = kt_shm(self->dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(watch)
{
	munmap((void *)self->mem, 4096);
	close(self->fd);
	close(self->dev);
}

TEST_F(watch, announced)
{
	struct kipc_api api = { .version = KIPC_API_VERSION };

	ASSERT_EQ(0, kt_ioctl_fd(self->dev, KIPC_IOC_API, &api));
	EXPECT_TRUE(api.features & KIPC_FEATURE_WATCH);
}

TEST_F(watch, readable_while_word_differs)
{
	int w;

	self->mem[0] = 5;
	w = kipc_object_watch(self->fd, WORD, WAITERS, 4, 0);
	ASSERT_LE(0, w);
	EXPECT_EQ(POLLIN, revents(w, 0));
	self->mem[0] = 4;	/* level-triggered: read at every poll */
	EXPECT_EQ(0, revents(w, 0));
	close(w);

	w = kipc_object_watch(self->fd, WORD, WAITERS, 5, 0);
	ASSERT_LE(0, w);
	EXPECT_EQ(POLLIN, revents(w, 0));
	close(w);
}

TEST_F(watch, woken_by_a_waker_in_another_process)
{
	struct epoll_event ev = { .events = EPOLLIN };
	pid_t pid;
	int w, ep;

	w = kipc_object_watch(self->fd, WORD, WAITERS, 0, 0);
	ASSERT_LE(0, w);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, w, &ev));
	/* Watching marks the waiter word, so wakers know to call in. */
	EXPECT_EQ(KIPC_WAITERS_POLL, self->mem[1]);
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__atomic_store_n(&self->mem[0], 1, __ATOMIC_SEQ_CST);
		_exit(self->mem[1] ? kt_wake(self->fd, WORD, WAITERS, 1) : 99);
	}
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, GUARD_MS));
	EXPECT_EQ(EPOLLIN, ev.events);
	/* A watch is not a sleeper: the wake counted nobody. */
	EXPECT_EQ(0, kt_reap(pid));
	close(ep);
	close(w);
}

TEST_F(watch, wake_without_change_is_not_readiness)
{
	int w = kipc_object_watch(self->fd, WORD, WAITERS, 0, 0);

	ASSERT_LE(0, w);
	ASSERT_EQ(0, revents(w, 0));
	EXPECT_EQ(0, kt_wake(self->fd, WORD, WAITERS, 1));
	EXPECT_EQ(0, revents(w, 0));
	close(w);
}

TEST_F(watch, woken_without_a_waiter_word)
{
	pid_t pid;
	int w = kipc_object_watch(self->fd, WORD, NONE, 0, 0);

	ASSERT_LE(0, w);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		self->mem[0] = 7;
		_exit(kt_wake(self->fd, WORD, NONE, 1));
	}
	EXPECT_EQ(POLLIN, revents(w, GUARD_MS));
	EXPECT_EQ(0, kt_reap(pid));
	close(w);
}

TEST_F(watch, io_uring_poll)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int w;

	w = kipc_object_watch(self->fd, WORD, WAITERS, 0, 0);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, w, POLLIN);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));

	__atomic_store_n(&self->mem[0], 3, __ATOMIC_SEQ_CST);
	ASSERT_NE(0, self->mem[1]);
	kt_wake(self->fd, WORD, WAITERS, 1);
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(POLLIN, cqe->res & POLLIN);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(w);
}

TEST_F(watch, validation)
{
	struct kipc_watch args = { .waiters_offset = WAITERS };

	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, 2, WAITERS, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, 4096, WAITERS, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, 4094, WAITERS, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, ~0ULL - 3, WAITERS, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, WORD, 6, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, WORD, 4096, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, WORD, WAITERS, 0,
				    KIPC_FD_NONBLOCK));
	EXPECT_EQ(-EINVAL, kipc_object_watch(self->fd, WORD, WAITERS, 0, 1U << 31));
	args.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WATCH, &args));
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WATCH, NULL));
	/* The control device has no words to watch. */
	args.reserved[1] = 0;
	EXPECT_EQ(-ENOTTY, kt_ioctl_fd(self->dev, KIPC_OBJ_IOC_WATCH, &args));
}

TEST_F(watch, descriptor_does_only_poll)
{
	char buf[8];
	int w = kipc_object_watch(self->fd, WORD, WAITERS, 0, 0), w2;

	ASSERT_LE(0, w);
	EXPECT_EQ(FD_CLOEXEC, fcntl(w, F_GETFD));
	EXPECT_EQ(-1, read(w, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(w, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);	/* opened read-only */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, w, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-ENOTTY, kipc_object_watch(w, WORD, WAITERS, 0, 0));
	EXPECT_EQ(0, kt_fdinfo(w, "kipc-watch-offset"));
	close(w);

	w2 = kipc_object_watch(self->fd, 64, WAITERS, 9, KIPC_FD_INHERIT);
	ASSERT_LE(0, w2);
	EXPECT_EQ(0, fcntl(w2, F_GETFD));
	EXPECT_EQ(64, kt_fdinfo(w2, "kipc-watch-offset"));
	EXPECT_EQ(9, kt_fdinfo(w2, "kipc-watch-expected"));
	close(w2);
}

TEST_F(watch, keeps_the_object_alive)
{
	long before = kt_objects();
	int fd, w;

	fd = kt_shm(self->dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(before + 1, kt_objects());
	w = kipc_object_watch(fd, WORD, WAITERS, 1, 0);
	ASSERT_LE(0, w);
	close(fd);
	EXPECT_EQ(before + 1, kt_objects());
	EXPECT_EQ(POLLIN, revents(w, 0));
	close(w);
	EXPECT_EQ(0, kt_objects_back_to(before));
}

/* ---- libipc's waits in steps ------------------------------------------- */

/* Step @b until it returns something other than -EAGAIN, polling watches. */
static int barrier_steps(struct kipc_sync *b, struct kipc_sync_step *st)
{
	int ret, w;

	for (;;) {
		ret = kipc_barrier_wait_step(b, st);
		if (ret != -EAGAIN)
			return ret;
		w = kipc_sync_watch(b, st);
		if (w < 0)
			return w;
		ret = revents(w, GUARD_MS);
		close(w);
		if (ret != POLLIN)
			return -ETIME;
	}
}

TEST(barrier_steps_with_a_process)
{
	struct kipc_sync_step st = { 0 };
	struct kipc_sync *b;
	pid_t pid;
	int w;

	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 2, 0, 0));
	ASSERT_EQ(-EAGAIN, kipc_barrier_wait_step(b, &st));
	EXPECT_EQ(1, kipc_barrier_waiting(b));
	/* Stepping again while nothing changed neither arrives nor waits. */
	ASSERT_EQ(-EAGAIN, kipc_barrier_wait_step(b, &st));
	EXPECT_EQ(1, kipc_barrier_waiting(b));
	w = kipc_sync_watch(b, &st);
	ASSERT_LE(0, w);
	EXPECT_EQ(0, revents(w, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(kipc_barrier_wait(b, kt_in_ns(60 * SEC)));
	EXPECT_EQ(POLLIN, revents(w, GUARD_MS));
	close(w);
	EXPECT_EQ(0, barrier_steps(b, &st));
	EXPECT_EQ(1, kt_reap(pid));
	EXPECT_EQ(0, kipc_barrier_broken(b));
	kipc_sync_close(b);
}

TEST(barrier_party_killed_wakes_the_watch)
{
	struct kipc_sync_step st = { 0 };
	struct kipc_sync *b;
	pid_t pid;

	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 3, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		kipc_barrier_wait(b, kt_in_ns(60 * SEC));
		_exit(0);
	}
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(b), "kipc-sleepers", 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(-EPIPE, barrier_steps(b, &st));
	waitpid(pid, NULL, 0);
	kipc_sync_close(b);
}

TEST(barrier_cancel_breaks_unless_completed)
{
	struct kipc_sync_step st = { 0 }, st2 = { 0 };
	struct kipc_sync *b;

	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 2, 0, 0));
	ASSERT_EQ(-EAGAIN, kipc_barrier_wait_step(b, &st));
	EXPECT_EQ(-ECANCELED, kipc_barrier_wait_cancel(b, &st));
	EXPECT_EQ(1, kipc_barrier_broken(b));
	EXPECT_EQ(-EPIPE, kipc_barrier_wait_step(b, &st2));

	ASSERT_EQ(0, kipc_barrier_reset(b));
	memset(&st, 0, sizeof(st));
	memset(&st2, 0, sizeof(st2));
	ASSERT_EQ(-EAGAIN, kipc_barrier_wait_step(b, &st));
	ASSERT_EQ(1, kipc_barrier_wait_step(b, &st2));
	/* Its generation completed: the index, and nothing broken. */
	EXPECT_EQ(0, kipc_barrier_wait_cancel(b, &st));
	EXPECT_EQ(0, kipc_barrier_broken(b));
	kipc_sync_close(b);
}

TEST(cond_steps_with_a_process)
{
	struct kipc_sync_step st = { 0 };
	struct kipc_sync *c, *l;
	pid_t pid;
	int w, ret;

	ASSERT_EQ(0, kipc_rlock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 0, 0, 0));
	EXPECT_EQ(-EPERM, kipc_cond_wait_begin(c, l, &st));
	ASSERT_EQ(0, kipc_rlock_acquire(l, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, kipc_rlock_acquire(l, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, l, &st));
	/* Every level of the RLock was released and is remembered. */
	EXPECT_EQ(2, st.saved);
	EXPECT_EQ(0, kipc_rlock_held(l));
	ASSERT_EQ(-EAGAIN, kipc_cond_wait_step(c, &st));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_rlock_acquire(l, kt_in_ns(60 * SEC)))
			_exit(90);
		ret = kipc_cond_notify(c, l, 1);
		kipc_rlock_release(l);
		_exit(ret);
	}
	for (;;) {
		ret = kipc_cond_wait_step(c, &st);
		if (ret != -EAGAIN)
			break;
		w = kipc_sync_watch(c, &st);
		ASSERT_LE(0, w);
		ASSERT_EQ(POLLIN, revents(w, GUARD_MS));
		close(w);
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, kt_reap(pid));
	/* Notified: a cancel now reports that and changes nothing. */
	EXPECT_EQ(1, kipc_cond_wait_cancel(c, &st));
	kipc_sync_close(c);
	kipc_sync_close(l);
}

TEST(cond_cancel_frees_the_slot)
{
	struct kipc_sync_step st = { 0 };
	struct kipc_sync *c, *l;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 1, 0, 0));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, kipc_cond_wait_begin(c, l, &st));
	EXPECT_EQ(1, st.saved);
	EXPECT_EQ(0, kipc_lock_held(l));
	EXPECT_EQ(0, kipc_cond_wait_cancel(c, &st));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	/* A cancelled waiter is skipped: nobody is notified. */
	EXPECT_EQ(0, kipc_cond_notify(c, l, 1));
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(c, l, kt_in_ns(SEC / 100)));
	EXPECT_EQ(1, kipc_lock_held(l));
	kipc_lock_release(l);
	EXPECT_EQ(-EINVAL, kipc_sync_watch(c, NULL));
	kipc_sync_close(c);
	kipc_sync_close(l);
}

TEST_HARNESS_MAIN
