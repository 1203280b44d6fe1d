// SPDX-License-Identifier: GPL-2.0-only
/*
 * Synchronisation objects as descriptors: read(2)/write(2) on a semaphore,
 * poll on semaphores, locks and events (woken by userspace fast-path
 * releases in other processes), io_uring READ as an asynchronous acquire
 * (completion, cancellation, a killed submitter), and KIPC_IOC_WAIT_ANY.
 *
 * io_uring is driven through its system calls directly (tests link only
 * libipc).
 */

#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define SEC	1000000000ULL

/* A child that runs @fn after @delay_us and exits with its status. */
static pid_t later(int delay_us, int (*fn)(struct kipc_sync *), struct kipc_sync *s)
{
	pid_t pid = fork();

	if (!pid) {
		usleep(delay_us);
		_exit(fn(s) ? 1 : 0);
	}
	return pid;
}

static int sem_post1(struct kipc_sync *s)
{
	return kipc_sem_release(s, 1);
}

static int lock_free(struct kipc_sync *s)
{
	return kipc_lock_release(s);
}

static int event_raise(struct kipc_sync *s)
{
	return kipc_event_set(s);
}

FIXTURE(io) {
	long objects, names;
};

FIXTURE_SETUP(io)
{
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
}

FIXTURE_TEARDOWN(io)
{
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
	EXPECT_EQ(self->names, kt_names());
}

/* ---- read(2) and write(2) ---------------------------------------------------- */

TEST_F(io, sem_read_write)
{
	struct kipc_sync *s;
	__u64 v = 0;
	__u32 small;
	int fd, fl;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 3, 0, 0));
	fd = kipc_sync_fd(s);
	EXPECT_EQ(-1, read(fd, &small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	v = 4;
	EXPECT_EQ(-1, write(fd, &v, sizeof(v)));
	EXPECT_EQ(EOVERFLOW, errno);
	v = 2;
	EXPECT_EQ(8, write(fd, &v, sizeof(v)));
	EXPECT_EQ(2, kipc_sem_value(s));
	EXPECT_EQ(-1, write(fd, &v, sizeof(v)));
	EXPECT_EQ(EOVERFLOW, errno);
	EXPECT_EQ(2, kipc_sem_value(s));
	v = 0;
	EXPECT_EQ(8, read(fd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	EXPECT_EQ(1, kipc_sem_value(s));
	EXPECT_EQ(8, read(fd, &v, sizeof(v)));
	EXPECT_EQ(0, kipc_sem_value(s));

	/* Nonblocking. */
	fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, read(fd, &v, sizeof(v)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl));

	/* A blocking read is woken by a userspace release elsewhere. */
	pid = later(100000, sem_post1, s);
	EXPECT_EQ(8, read(fd, &v, sizeof(v)));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

static void on_alarm(int sig __attribute__((unused)))
{
}

TEST_F(io, sem_read_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kipc_sync *s;
	__u64 v;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	pid = fork();
	if (!pid) {
		sigaction(SIGALRM, &sa, NULL);
		alarm(1);
		if (read(kipc_sync_fd(s), &v, sizeof(v)) != -1)
			_exit(1);
		_exit(errno);
	}
	EXPECT_EQ(EINTR, kt_reap(pid));
	EXPECT_EQ(0, kipc_sem_value(s));
	kipc_sync_close(s);
}

/* ---- poll ------------------------------------------------------------------ */

static short poll1(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 ? p.revents : 0;
}

TEST_F(io, poll_readiness)
{
	struct kipc_sync *s, *l, *e;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));

	EXPECT_EQ(0, poll1(kipc_sync_fd(s), 0));
	pid = later(100000, sem_post1, s);
	EXPECT_EQ(POLLIN, poll1(kipc_sync_fd(s), 20000));
	EXPECT_EQ(0, kt_reap(pid));

	EXPECT_EQ(POLLIN, poll1(kipc_sync_fd(l), 0));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(0, poll1(kipc_sync_fd(l), 0));
	pid = later(100000, lock_free, l);
	EXPECT_EQ(POLLIN, poll1(kipc_sync_fd(l), 20000));
	EXPECT_EQ(0, kt_reap(pid));

	EXPECT_EQ(0, poll1(kipc_sync_fd(e), 0));
	pid = later(100000, event_raise, e);
	EXPECT_EQ(POLLIN, poll1(kipc_sync_fd(e), 20000));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kipc_event_clear(e));
	EXPECT_EQ(0, poll1(kipc_sync_fd(e), 0));

	kipc_sync_close(s);
	kipc_sync_close(l);
	kipc_sync_close(e);
}

/* ---- io_uring ---------------------------------------------------------------- */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_init(struct ring *r)
{
	struct io_uring_params p;
	size_t sqsz, cqsz;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return -errno;
	sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sqsz = cqsz = sqsz > cqsz ? sqsz : cqsz;
	sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (void *)(sq + p.sq_off.tail);
	r->sq_mask = (void *)(sq + p.sq_off.ring_mask);
	r->sq_array = (void *)(sq + p.sq_off.array);
	r->cq_head = (void *)(cq + p.cq_off.head);
	r->cq_tail = (void *)(cq + p.cq_off.tail);
	r->cq_mask = (void *)(cq + p.cq_off.ring_mask);
	r->cqes = (void *)(cq + p.cq_off.cqes);
	return 0;
}

static int ring_submit(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) == 1 ?
	       0 : -errno;
}

/* One completion, or -ETIMEDOUT after @ms. */
static int ring_reap(struct ring *r, struct io_uring_cqe *out, int ms)
{
	unsigned int head;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	for (;;) {
		head = *r->cq_head;
		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
			*out = r->cqes[head & *r->cq_mask];
			__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
			return 0;
		}
		if (poll(&p, 1, ms) == 0)
			return -ETIMEDOUT;
	}
}

static void read_sqe(struct io_uring_sqe *sqe, int fd, __u64 *buf, __u64 ud)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)buf;
	sqe->len = sizeof(*buf);
	sqe->off = -1ULL;
	sqe->user_data = ud;
}

TEST_F(io, uring_read_acquires)
{
	struct io_uring_sqe sqe;
	struct io_uring_cqe cqe;
	struct kipc_sync *s;
	struct ring r;
	__u64 buf = 0;
	pid_t pid;

	ASSERT_EQ(0, ring_init(&r));
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 0, 0, 0));
	/* Ready: completes at once. */
	read_sqe(&sqe, kipc_sync_fd(s), &buf, 1);
	ASSERT_EQ(0, ring_submit(&r, &sqe));
	ASSERT_EQ(0, ring_reap(&r, &cqe, 20000));
	EXPECT_EQ(8, cqe.res);
	EXPECT_EQ(1, buf);
	EXPECT_EQ(0, kipc_sem_value(s));

	/* Not ready: pending until another process releases a unit. */
	buf = 0;
	read_sqe(&sqe, kipc_sync_fd(s), &buf, 2);
	ASSERT_EQ(0, ring_submit(&r, &sqe));
	EXPECT_EQ(-ETIMEDOUT, ring_reap(&r, &cqe, 200));
	pid = later(0, sem_post1, s);
	ASSERT_EQ(0, ring_reap(&r, &cqe, 20000));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(8, cqe.res);
	EXPECT_EQ(1, buf);
	EXPECT_EQ(0, kipc_sem_value(s));

	/* Cancelled: no unit taken. */
	read_sqe(&sqe, kipc_sync_fd(s), &buf, 3);
	ASSERT_EQ(0, ring_submit(&r, &sqe));
	EXPECT_EQ(-ETIMEDOUT, ring_reap(&r, &cqe, 100));
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_ASYNC_CANCEL;
	sqe.fd = -1;
	sqe.addr = 3;
	sqe.user_data = 4;
	ASSERT_EQ(0, ring_submit(&r, &sqe));
	ASSERT_EQ(0, ring_reap(&r, &cqe, 20000));
	if (cqe.user_data == 4) {
		EXPECT_EQ(0, cqe.res);
		ASSERT_EQ(0, ring_reap(&r, &cqe, 20000));
		EXPECT_EQ(3, cqe.user_data);
		EXPECT_EQ(-ECANCELED, cqe.res);
	} else {
		EXPECT_EQ(3, cqe.user_data);
		EXPECT_EQ(-ECANCELED, cqe.res);
		ASSERT_EQ(0, ring_reap(&r, &cqe, 20000));
		EXPECT_EQ(0, cqe.res);
	}
	EXPECT_EQ(0, kipc_sem_release(s, 1));
	EXPECT_EQ(1, kipc_sem_value(s));
	close(r.fd);
	kipc_sync_close(s);
}

/* A submitter killed with a read pending: nothing stays pending. */
TEST_F(io, uring_killed_submitter)
{
	struct kipc_sync *s;
	volatile int *flag;
	pid_t pid;

	flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, flag);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	pid = fork();
	if (!pid) {
		struct io_uring_sqe sqe;
		struct ring r;
		__u64 buf;

		if (ring_init(&r))
			_exit(1);
		read_sqe(&sqe, kipc_sync_fd(s), &buf, 1);
		if (ring_submit(&r, &sqe))
			_exit(2);
		*flag = 1;
		pause();
		_exit(0);
	}
	while (!*flag)
		usleep(1000);
	usleep(50000);
	kt_kill_reap(pid);
	EXPECT_EQ(0, kipc_sem_release(s, 1));
	EXPECT_GE(1, kipc_sem_value(s));
	kipc_sync_close(s);
	munmap((void *)flag, 4096);
}

/* ---- wait-any ------------------------------------------------------------------ */

static int wany_raw(struct kipc_wait_obj *objs, __u32 count, __u32 flags,
		    __u64 deadline, __u32 *index)
{
	struct kipc_wait_any args = {
		.objs = (__u64)(uintptr_t)objs,
		.count = count,
		.flags = flags,
		.deadline_ns = deadline,
	};
	int dev = kt_dev(), ret;

	ret = kt_ioctl_fd(dev, KIPC_IOC_WAIT_ANY, &args);
	close(dev);
	if (index)
		*index = args.index;
	return ret;
}

TEST_F(io, wait_any_validation)
{
	struct kipc_sync *s, *l, *b;
	struct kipc_wait_obj o[2];
	struct kipc_wait_any args;
	int p[2], dev;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 2, 0, 0));
	ASSERT_EQ(0, pipe(p));
	memset(o, 0, sizeof(o));
	o[0].fd = kipc_sync_fd(s);
	EXPECT_EQ(-EINVAL, wany_raw(o, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, wany_raw(o, KIPC_WAIT_ANY_MAX + 1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 2, 0, NULL));
	o[0].flags = 1;
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].flags = 0;
	o[0].addr = 4096;	/* a semaphore takes no address */
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].addr = 0;
	o[0].fd = -1;
	EXPECT_EQ(-EBADF, wany_raw(o, 1, 0, 0, NULL));
	o[0].fd = p[0];
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].fd = kipc_sync_fd(b);
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].fd = kipc_sync_fd(l);	/* a lock needs the address */
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].addr = (__u64)(uintptr_t)o;	/* not its mapping */
	EXPECT_EQ(-EINVAL, wany_raw(o, 1, 0, 0, NULL));
	o[0].fd = kipc_sync_fd(s);
	o[0].addr = 0;
	EXPECT_EQ(-EFAULT, wany_raw((void *)8, 1, 0, 0, NULL));
	dev = kt_dev();
	memset(&args, 0, sizeof(args));
	args.objs = (__u64)(uintptr_t)o;
	args.count = 1;
	args.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_WAIT_ANY, &args));
	args.reserved[3] = 0;
	args.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_WAIT_ANY, &args));
	close(dev);
	EXPECT_EQ(1, kipc_sem_value(s));
	close(p[0]);
	close(p[1]);
	kipc_sync_close(s);
	kipc_sync_close(l);
	kipc_sync_close(b);
}

TEST_F(io, wait_any_fires)
{
	struct kipc_sync *s, *l, *e, *objs[3];
	unsigned int idx = 99;
	__u64 t0;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	objs[0] = e;
	objs[1] = s;
	objs[2] = l;

	t0 = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_wait_any(objs, 3, kt_in_ns(SEC / 10), &idx));
	EXPECT_LE(t0 + SEC / 10, kt_now_ns());

	/* A semaphore released elsewhere: one unit taken. */
	pid = later(100000, sem_post1, s);
	EXPECT_EQ(0, kipc_wait_any(objs, 3, kt_in_ns(20 * SEC), &idx));
	EXPECT_EQ(1, idx);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, kipc_sem_value(s));

	/* The lock, freed elsewhere: taken with our owner id. */
	pid = later(100000, lock_free, l);
	EXPECT_EQ(0, kipc_wait_any(objs, 3, kt_in_ns(20 * SEC), &idx));
	EXPECT_EQ(2, idx);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(1, kipc_lock_held(l));

	/* An event: fires, not consumed. */
	pid = later(100000, event_raise, e);
	EXPECT_EQ(0, kipc_wait_any(objs, 3, kt_in_ns(20 * SEC), &idx));
	EXPECT_EQ(0, idx);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(1, kipc_event_is_set(e));
	EXPECT_EQ(0, kipc_event_clear(e));

	/* Already ready: at once, first ready in order. */
	EXPECT_EQ(0, kipc_sem_release(s, 2));
	EXPECT_EQ(0, kipc_wait_any(objs, 3, 1, &idx));
	EXPECT_EQ(1, idx);
	EXPECT_EQ(1, kipc_sem_value(s));
	EXPECT_EQ(0, kipc_sem_try_acquire(s));
	EXPECT_EQ(0, kipc_lock_release(l));

	kipc_sync_close(s);
	kipc_sync_close(l);
	kipc_sync_close(e);
}

TEST_F(io, wait_any_owner_dead)
{
	struct kipc_sync *l, *s, *objs[2];
	unsigned int idx = 99;
	volatile int *flag;
	pid_t pid;

	flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, flag);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	pid = fork();
	if (!pid) {
		kipc_lock_acquire(l, KIPC_NO_DEADLINE);
		*flag = 1;
		pause();
		_exit(0);
	}
	while (!*flag)
		usleep(1000);
	objs[0] = s;
	objs[1] = l;
	EXPECT_EQ(-ETIMEDOUT, kipc_wait_any(objs, 2, kt_in_ns(SEC / 20), &idx));
	pid_t killer = fork();

	if (!killer) {
		usleep(100000);
		kill(pid, SIGKILL);
		_exit(0);
	}
	EXPECT_EQ(-EOWNERDEAD, kipc_wait_any(objs, 2, kt_in_ns(20 * SEC), &idx));
	EXPECT_EQ(1, idx);
	EXPECT_EQ(0, kt_reap(killer));
	waitpid(pid, NULL, 0);
	EXPECT_EQ(1, kipc_lock_held(l));
	EXPECT_EQ(0, kipc_lock_consistent(l));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(s);
	kipc_sync_close(l);
	munmap((void *)flag, 4096);
}

/* A lock that failed for good is named, as the one that fired would be. */
TEST_F(io, wait_any_names_the_unrecoverable_lock)
{
	struct kipc_sync *l, *s, *objs[2];
	unsigned int idx = 99;
	pid_t pid;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 0, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	pid = fork();
	if (!pid)
		_exit(kipc_lock_acquire(l, KIPC_NO_DEADLINE) ? 1 : 0);
	ASSERT_EQ(0, kt_reap(pid));
	/* Released without kipc_lock_consistent(): not recoverable. */
	ASSERT_EQ(-EOWNERDEAD, kipc_lock_try_acquire(l));
	ASSERT_EQ(0, kipc_lock_release(l));
	objs[0] = s;
	objs[1] = l;
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_wait_any(objs, 2, kt_in_ns(20 * SEC), &idx));
	EXPECT_EQ(1, idx);
	/* An error of the call itself leaves it alone. */
	idx = 99;
	EXPECT_EQ(-EINVAL, kipc_wait_any(objs, 0, KIPC_NO_DEADLINE, &idx));
	EXPECT_EQ(99, idx);
	kipc_sync_close(s);
	kipc_sync_close(l);
}

TEST_HARNESS_MAIN
