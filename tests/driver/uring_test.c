// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring commands on object descriptors (Documentation/uring.rst):
 * inline and pending completion, many commands in one io_uring_enter,
 * deadlines, strict validation, and pending commands completed by the
 * driver when their ring is closed or their submitter is killed.
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>
#include <libipc-uring.h>

#include "kipc_test.h"
#include "kipc_uring_test.h"
#include "kselftest_harness.h"

#define MSEC	1000000ULL


/* Submit one raw command and return its result. */
static int raw_cmd(struct io_uring *r, int fd, __u32 op, __u64 deadline,
		   __u64 arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);

	if (!sqe)
		return 3000;
	kipc_prep_cmd(sqe, fd, 0, KIPC_URING_NO_DEADLINE, arg);
	sqe->cmd_op = op;
	sqe->addr3 = deadline;
	if (io_uring_submit(r) != 1)
		return 2000;
	return kt_next_res(r, 20000, NULL);
}

FIXTURE(uring) {
	long objects;
	struct io_uring ring;
};

FIXTURE_SETUP(uring)
{
	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
}

TEST_F(uring, sem_inline)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *s;
	int fd;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 3, 0, 0));
	fd = kipc_sync_fd(s);

	kipc_prep_sem_acquire(io_uring_get_sqe(r), fd, KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kipc_sem_value(s));

	kipc_prep_sem_try_acquire(io_uring_get_sqe(r), fd);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-EAGAIN, kt_next_res(r, 20000, NULL));

	kipc_prep_sem_release(io_uring_get_sqe(r), fd, 2);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(2, kipc_sem_value(s));

	kipc_prep_sem_release(io_uring_get_sqe(r), fd, 4);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-EOVERFLOW, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(2, kipc_sem_value(s));

	/* A deadline already passed, with no unit free. */
	EXPECT_EQ(0, kipc_sem_try_acquire(s));
	EXPECT_EQ(0, kipc_sem_try_acquire(s));
	kipc_prep_sem_acquire(io_uring_get_sqe(r), fd, 0);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	kipc_sync_close(s);
}

/* Many acquires in one io_uring_enter, released by userspace elsewhere. */
TEST_F(uring, sem_pending_many)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *s;
	__u64 seen = 0, data;
	int fd, i;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 100, 0, 0));
	fd = kipc_sync_fd(s);
	for (i = 0; i < 32; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		kipc_prep_sem_acquire(sqe, fd, i & 1 ? kt_in_ns(20000 * MSEC) :
				      KIPC_URING_NO_DEADLINE);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(32, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(32, kt_fdinfo(fd, "kipc-sem-waiters"));

	pid = fork();
	if (!pid)
		_exit(kipc_sem_release(s, 32) ? 1 : 0);
	for (i = 0; i < 32; i++) {
		EXPECT_EQ(0, kt_next_res(r, 20000, &data));
		if (data < 32)
			seen |= 1ULL << data;
	}
	EXPECT_EQ(0xffffffffULL, seen);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, kipc_sem_value(s));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	kipc_sync_close(s);
}

TEST_F(uring, sem_deadline)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *s;
	__u64 t0;
	int fd;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	fd = kipc_sync_fd(s);
	t0 = kt_now_ns();
	kipc_prep_sem_acquire(io_uring_get_sqe(r), fd, t0 + 200 * MSEC);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	EXPECT_LE(t0 + 200 * MSEC, kt_now_ns());
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	/* The unit released later is still there: nothing took it. */
	EXPECT_EQ(0, kipc_sem_release(s, 1));
	EXPECT_EQ(1, kipc_sem_value(s));
	kipc_sync_close(s);
}

/*
 * Deadlines racing with releases: every unit released is either taken by
 * exactly one command that reports success or still in the semaphore.
 */
TEST_F(uring, sem_deadline_race)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *s;
	int fd, i, ret, ok = 0, timedout = 0;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 1000, 0, 0));
	fd = kipc_sync_fd(s);
	for (i = 0; i < 48; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		kipc_prep_sem_acquire(sqe, fd, kt_in_ns((20 + (i % 8) * 15) * MSEC));
	}
	ASSERT_EQ(48, io_uring_submit(r));
	pid = fork();
	if (!pid) {
		for (i = 0; i < 24; i++) {
			usleep(5000);
			if (kipc_sem_release(s, 1))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < 48; i++) {
		ret = kt_next_res(r, 20000, NULL);
		if (!ret)
			ok++;
		else if (ret == -ETIMEDOUT)
			timedout++;
	}
	EXPECT_EQ(48, ok + timedout);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(24, ok + kipc_sem_value(s));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	kipc_sync_close(s);
}

struct thread_arg {
	struct io_uring *r;
	int fd;
	int submitted;
};

static void *submit_and_exit(void *p)
{
	struct thread_arg *a = p;

	kipc_prep_sem_acquire(io_uring_get_sqe(a->r), a->fd,
			      KIPC_URING_NO_DEADLINE);
	a->submitted = io_uring_submit(a->r);
	return NULL;
}

/* A thread exits with a command pending: it completes with ECANCELED. */
TEST_F(uring, thread_exit)
{
	struct thread_arg a = { .r = &self->ring };
	struct kipc_sync *s;
	pthread_t t;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	a.fd = kipc_sync_fd(s);
	ASSERT_EQ(0, pthread_create(&t, NULL, submit_and_exit, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(1, a.submitted);
	EXPECT_EQ(-ECANCELED, kt_next_res(&self->ring, 20000, NULL));
	EXPECT_EQ(0, kt_fdinfo(a.fd, "kipc-sem-waiters"));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

TEST_F(uring, invalid)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *s, *e, *b;
	int fd, efd, dev, shm;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 3, 0, 0));
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	fd = kipc_sync_fd(s);
	efd = kipc_sync_fd(e);

	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_ACQUIRE | (1U << 20),
				   0, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, fd, 0, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, fd, 0x7f, 0, 0));
	/* A deadline without its flag, or with NOWAIT. */
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_ACQUIRE, 1, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_ACQUIRE |
				   KIPC_URING_F_DEADLINE | KIPC_URING_F_NOWAIT,
				   kt_in_ns(MSEC), 0));
	/* Unused arg, zero or too many units, wrong type. */
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_ACQUIRE, 0, 1));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_RELEASE, 0, 0));
	EXPECT_EQ(-EOVERFLOW, raw_cmd(r, fd, KIPC_URING_SEM_RELEASE, 0,
				      1ULL << 32));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_EVENT_SET, 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, efd, KIPC_URING_SEM_ACQUIRE, 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, efd, KIPC_URING_LOCK_ACQUIRE, 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, efd, KIPC_URING_EVENT_WAIT, 0, 1));
	EXPECT_EQ(1, kipc_sem_value(s));

	/* Objects without commands. */
	dev = kt_dev();
	ASSERT_LE(0, dev);
	shm = kt_shm(dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, shm);
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, shm, KIPC_URING_SEM_ACQUIRE, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, shm, 0x7f, 0, 0));
	/* A malformed command is EINVAL before the type is asked. */
	EXPECT_EQ(-EINVAL, raw_cmd(r, shm, KIPC_URING_SEM_ACQUIRE | (1U << 20),
				   0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, shm, 0x7f | (1U << 31), 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, shm, KIPC_URING_EVENT_WAIT, 1, 0));
	close(shm);
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 2, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, kipc_sync_fd(b),
				       KIPC_URING_EVENT_WAIT, 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, kipc_sync_fd(b), KIPC_URING_EVENT_WAIT |
				   KIPC_URING_F_DEADLINE | KIPC_URING_F_NOWAIT,
				   kt_in_ns(MSEC), 0));
	kipc_sync_close(b);
	close(dev);
	kipc_sync_close(e);
	kipc_sync_close(s);
}

TEST_F(uring, event)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *e;
	int fd;

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	fd = kipc_sync_fd(e);
	kipc_prep_event_wait(io_uring_get_sqe(r), fd, KIPC_URING_NO_DEADLINE);
	kipc_prep_event_wait(io_uring_get_sqe(r), fd, kt_in_ns(20000 * MSEC));
	ASSERT_EQ(2, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(2, kt_fdinfo(fd, "kipc-event-waiters"));

	kipc_prep_event_set(io_uring_get_sqe(r), fd);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(1, kipc_event_is_set(e));

	/* Set already: inline. Cleared: a deadline ends the wait. */
	kipc_prep_event_wait(io_uring_get_sqe(r), fd, KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kipc_event_clear(e));
	kipc_prep_event_wait(io_uring_get_sqe(r), fd, kt_in_ns(100 * MSEC));
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-event-waiters"));
	kipc_sync_close(e);
}

TEST_F(uring, lock)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *l;
	void *map;
	int fd;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	fd = kipc_sync_fd(l);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);

	kipc_prep_lock_acquire(io_uring_get_sqe(r), fd, map,
			       KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_LT(0, kt_fdinfo(fd, "kipc-lock-owner"));

	/* Held: a deadline ends a second acquire; another one waits. */
	kipc_prep_lock_acquire(io_uring_get_sqe(r), fd, map, kt_in_ns(100 * MSEC));
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	kipc_prep_lock_acquire(io_uring_get_sqe(r), fd, map,
			       KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));

	/* The release hands it over: two completions, both 0. */
	kipc_prep_lock_release(io_uring_get_sqe(r), fd, map);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_LT(0, kt_fdinfo(fd, "kipc-lock-owner"));
	EXPECT_EQ(0, raw_cmd(r, fd, KIPC_URING_LOCK_RELEASE, 0,
			     (uintptr_t)map));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-lock-owner"));
	EXPECT_EQ(-EPERM, raw_cmd(r, fd, KIPC_URING_LOCK_RELEASE, 0,
				  (uintptr_t)map));
	/* Not a mapping of this lock. */
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_LOCK_ACQUIRE, 0,
				   (uintptr_t)&fd));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_LOCK_ACQUIRE, 0, 0));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-lock-waiters"));
	munmap(map, 4096);
	kipc_sync_close(l);
}

TEST_F(uring, rlock)
{
	struct io_uring *r = &self->ring;
	struct kipc_sync *l;
	void *map;
	int fd;

	ASSERT_EQ(0, kipc_rlock_create(&l, NULL, 0, 0));
	fd = kipc_sync_fd(l);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, raw_cmd(r, fd, KIPC_URING_LOCK_ACQUIRE, 0, (uintptr_t)map));
	EXPECT_EQ(0, raw_cmd(r, fd, KIPC_URING_LOCK_ACQUIRE, 0, (uintptr_t)map));
	EXPECT_EQ(0, raw_cmd(r, fd, KIPC_URING_LOCK_RELEASE, 0, (uintptr_t)map));
	EXPECT_EQ(0, raw_cmd(r, fd, KIPC_URING_LOCK_RELEASE, 0, (uintptr_t)map));
	EXPECT_EQ(-EPERM, raw_cmd(r, fd, KIPC_URING_LOCK_RELEASE, 0,
				  (uintptr_t)map));
	munmap(map, 4096);
	kipc_sync_close(l);
}

/* Closing the ring with commands pending: the driver completes them. */
TEST_F(uring, ring_closed)
{
	struct io_uring ring2;
	struct kipc_sync *s;
	int fd, i;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	fd = kipc_sync_fd(s);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, 0));
	for (i = 0; i < 4; i++)
		kipc_prep_sem_acquire(io_uring_get_sqe(&ring2), fd,
				      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(4, io_uring_submit(&ring2));
	usleep(50000);
	EXPECT_EQ(4, kt_fdinfo(fd, "kipc-sem-waiters"));
	io_uring_queue_exit(&ring2);
	for (i = 0; i < 5000 && kt_fdinfo(fd, "kipc-sem-waiters"); i++)
		usleep(1000);
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

/*
 * A process killed with commands pending exits promptly; its commands are
 * completed, its ring freed and the objects released (the fixture checks
 * the objects counter; the VM runner then unloads the module).
 */
TEST_F(uring, killed_submitter)
{
	struct kipc_sync *s, *e;
	int p[2], fd, efd;
	__u64 t0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	fd = kipc_sync_fd(s);
	efd = kipc_sync_fd(e);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (!pid) {
		struct io_uring ring2;
		int i;

		if (io_uring_queue_init(8, &ring2, 0))
			_exit(1);
		for (i = 0; i < 4; i++)
			kipc_prep_sem_acquire(io_uring_get_sqe(&ring2), fd,
					      KIPC_URING_NO_DEADLINE);
		kipc_prep_event_wait(io_uring_get_sqe(&ring2), efd,
				     kt_in_ns(60000 * MSEC));
		if (io_uring_submit(&ring2) != 5)
			_exit(1);
		/* Only the test's own objects: drop our descriptors. */
		kipc_sync_close(s);
		kipc_sync_close(e);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	usleep(50000);
	EXPECT_EQ(4, kt_fdinfo(fd, "kipc-sem-waiters"));
	EXPECT_EQ(1, kt_fdinfo(efd, "kipc-event-waiters"));
	t0 = kt_now_ns();
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_GT(t0 + 5000 * MSEC, kt_now_ns());
	kipc_sync_close(s);
	kipc_sync_close(e);
	/* The fixture's teardown waits for both objects to be released. */
}

/* exec() waits for a task's io_uring requests: the driver ends them. */
TEST_F(uring, exec_submitter)
{
	struct kipc_sync *s;
	int fd, i, status = -1;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	fd = kipc_sync_fd(s);
	pid = fork();
	if (!pid) {
		struct io_uring ring2;

		if (io_uring_queue_init(8, &ring2, 0))
			_exit(1);
		kipc_prep_sem_acquire(io_uring_get_sqe(&ring2), fd,
				      KIPC_URING_NO_DEADLINE);
		if (io_uring_submit(&ring2) != 1)
			_exit(1);
		kipc_sync_close(s);
		execl("/bin/true", "true", (char *)NULL);
		_exit(1);
	}
	for (i = 0; i < 10000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	if (i == 10000) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

/* A child's exit within @ms, reaped; 0, or -1 (it is left running). */
static int reaped_within(pid_t pid, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		usleep(1000);
	}
	return -1;
}

static int get_waiters_reach(struct kipc_channel *ch, unsigned int n)
{
	struct kipc_channel_stats st;
	int i;

	for (i = 0; i < 10000; i++) {
		if (!kipc_channel_stats(ch, &st) && st.get_waiters == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * IORING_SETUP_SQPOLL: the ring's SQ thread issues the commands, so their
 * task is that io thread, not the owner. Killed with an Event WAIT and a
 * channel GET pending, the owner must still be reaped at once and the
 * objects freed (6.1's SQ thread waits for the driver's completions).
 */
TEST_F(uring, sqpoll_killed)
{
	struct kipc_channel *ch = kt_chan_new(4, 32, 0);
	struct kipc_sync *e;
	int p[2], efd, cfd;
	char c, buf[32];
	__u64 t0;
	pid_t pid;

	ASSERT_NE(NULL, ch);
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	efd = kipc_sync_fd(e);
	cfd = kipc_channel_fd(ch);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (!pid) {
		static char in[32];
		struct iovec g = { in, sizeof(in) };
		struct io_uring ring2;

		if (io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL))
			_exit(1);
		kipc_prep_event_wait(io_uring_get_sqe(&ring2), efd,
				     KIPC_URING_NO_DEADLINE);
		kipc_prep_channel_get(io_uring_get_sqe(&ring2), cfd, &g,
				      KIPC_URING_NO_DEADLINE);
		/* Descriptors stay open: the SQ thread looks them up later. */
		if (io_uring_submit(&ring2) != 2)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	/* The SQ thread issues them in its own time. */
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 1));
	EXPECT_EQ(0, get_waiters_reach(ch, 1));
	t0 = kt_now_ns();
	kill(pid, SIGKILL);
	EXPECT_EQ(0, reaped_within(pid, 5000));
	EXPECT_GT(t0 + 5000 * MSEC, kt_now_ns());
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 0));
	EXPECT_EQ(0, get_waiters_reach(ch, 0));
	/* The dead GET took nothing. */
	EXPECT_EQ(0, kipc_channel_put(ch, "mine", 4, KIPC_NOWAIT));
	EXPECT_EQ(4, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	kipc_sync_close(e);
	kipc_channel_close(ch);
	/* The fixture's teardown waits for both objects to be released. */
}

/* An SQPOLL ring closed with commands pending: the driver ends them. */
TEST_F(uring, sqpoll_ring_closed)
{
	struct kipc_channel *ch = kt_chan_new(4, 32, 0);
	struct io_uring ring2;
	struct kipc_sync *e;
	static char in[32];
	struct iovec g = { in, sizeof(in) };
	int efd, cfd;

	ASSERT_NE(NULL, ch);
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	efd = kipc_sync_fd(e);
	cfd = kipc_channel_fd(ch);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL));
	kipc_prep_event_wait(io_uring_get_sqe(&ring2), efd,
			     KIPC_URING_NO_DEADLINE);
	kipc_prep_channel_get(io_uring_get_sqe(&ring2), cfd, &g,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(2, io_uring_submit(&ring2));
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 1));
	EXPECT_EQ(0, get_waiters_reach(ch, 1));
	io_uring_queue_exit(&ring2);
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 0));
	EXPECT_EQ(0, get_waiters_reach(ch, 0));
	kipc_sync_close(e);
	kipc_channel_close(ch);
}

/*
 * A pending SQPOLL Event WAIT completes normally when the event is set:
 * its retry runs in the SQ thread.
 */
TEST_F(uring, sqpoll_event)
{
	struct io_uring ring2;
	struct kipc_sync *e;
	int efd;

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	efd = kipc_sync_fd(e);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL));
	kipc_prep_event_wait(io_uring_get_sqe(&ring2), efd,
			     kt_in_ns(20000 * MSEC));
	ASSERT_EQ(1, io_uring_submit(&ring2));
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 1));
	EXPECT_TRUE(kt_none_ready(&ring2));
	EXPECT_EQ(0, kipc_event_set(e));
	EXPECT_EQ(0, kt_next_res(&ring2, 20000, NULL));
	io_uring_queue_exit(&ring2);
	kipc_sync_close(e);
}

/* exec() by an SQPOLL ring's owner: its SQ thread must exit first. */
TEST_F(uring, sqpoll_exec)
{
	struct kipc_sync *e;
	int efd, i, status = -1;
	pid_t pid;

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	efd = kipc_sync_fd(e);
	pid = fork();
	if (!pid) {
		struct io_uring ring2;

		if (io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL))
			_exit(1);
		kipc_prep_event_wait(io_uring_get_sqe(&ring2), efd,
				     KIPC_URING_NO_DEADLINE);
		if (io_uring_submit(&ring2) != 1)
			_exit(1);
		if (kt_fdinfo_reaches(efd, "kipc-event-waiters", 1))
			_exit(1);
		execl("/bin/true", "true", (char *)NULL);
		_exit(1);
	}
	for (i = 0; i < 10000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	if (i == 10000)
		kill(pid, SIGKILL);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, kt_fdinfo_reaches(efd, "kipc-event-waiters", 0));
	kipc_sync_close(e);
}

/*
 * A WAKE storm from other processes kicks a pending command over and
 * over: its deadline still ends it, and a release still completes another.
 */
TEST_F(uring, kick_storm)
{
	volatile int *stop = kt_shared(4096);
	struct io_uring *r = &self->ring;
	struct kipc_sync *s;
	pid_t storms[2];
	__u64 t0, data = 0;
	int fd, i;

	ASSERT_NE(NULL, stop);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	fd = kipc_sync_fd(s);
	for (i = 0; i < 2; i++) {
		storms[i] = fork();
		ASSERT_LE(0, storms[i]);
		if (!storms[i]) {
			while (!*stop)
				kipc_object_wake(fd, KIPC_SYNC_OFF_WORD,
						 KIPC_SYNC_OFF_WAITERS, ~0U);
			_exit(0);
		}
	}
	t0 = kt_now_ns();
	kipc_prep_sem_acquire(io_uring_get_sqe(r), fd, t0 + 300 * MSEC);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	EXPECT_GT(t0 + 5000 * MSEC, kt_now_ns());

	kipc_prep_sem_acquire(io_uring_get_sqe(r), fd, KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(100000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(0, kipc_sem_release(s, 1));
	EXPECT_EQ(0, kt_next_res(r, 20000, &data));
	EXPECT_EQ(0, kipc_sem_value(s));
	*stop = 1;
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, kt_reap(storms[i]));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-sem-waiters"));
	kipc_sync_close(s);
}

TEST_HARNESS_MAIN
