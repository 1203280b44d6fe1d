// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channels through file operations: read(2)/write(2) of one message each,
 * O_NONBLOCK, faults that must not lose a message, poll and epoll woken by
 * userspace puts and gets, and io_uring READ, WRITE and POLL_ADD completing
 * asynchronously (liburing).
 */

#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <liburing.h>

#include <libipc.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

static int waiters(struct kipc_channel *ch, bool get)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		return -1;
	return get ? st.get_waiters : st.put_waiters;
}

/* A child that puts (or gets) one message after @delay_us. */
static pid_t later(struct kipc_channel *ch, bool put, int delay_us)
{
	pid_t pid = fork();

	if (!pid) {
		char buf[64] = "later";

		usleep(delay_us);
		if (put)
			_exit(kipc_channel_put(ch, buf, 5, KIPC_NO_DEADLINE) ? 1 : 0);
		_exit(kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE) < 0);
	}
	return pid;
}

FIXTURE(io) {
	long objects;
	struct kipc_channel *ch;
	int fd;
};

FIXTURE_SETUP(io)
{
	self->objects = kt_objects();
	self->ch = kt_chan_new(2, 64, 48);
	ASSERT_NE(NULL, self->ch);
	self->fd = kipc_channel_fd(self->ch);
}

FIXTURE_TEARDOWN(io)
{
	int i;

	kipc_channel_close(self->ch);
	/* io_uring drops its file references asynchronously. */
	for (i = 0; i < 200 && kt_objects() != self->objects; i++)
		usleep(10000);
	EXPECT_EQ(self->objects, kt_objects());
}

TEST_F(io, read_write_one_message_each)
{
	char buf[64], a[] = "abc", b[] = "defgh";
	struct iovec iov[2] = { { a, 3 }, { b, 5 } };
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(8, writev(self->fd, iov, 2));
	EXPECT_EQ(0, write(self->fd, buf, 0));
	EXPECT_EQ(-1, write(self->fd, buf, 1));
	EXPECT_EQ(EAGAIN, errno);
	/* A buffer too small: EMSGSIZE, and the message stays. */
	EXPECT_EQ(-1, read(self->fd, buf, 7));
	EXPECT_EQ(EMSGSIZE, errno);
	/* A buffer that faults: EFAULT, and the message stays. */
	EXPECT_EQ(-1, read(self->fd, bad, 64));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(8, kipc_channel_get(self->ch, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "abcdefgh", 8));
	EXPECT_EQ(0, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* Larger than the channel's maximum, or faulting. */
	EXPECT_EQ(-1, write(self->fd, buf, 49));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, write(self->fd, bad, 4));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, kipc_channel_put(self->ch, "lib", 3, KIPC_NOWAIT));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, read(self->fd, buf, sizeof(buf)));
	EXPECT_STREQ("lib", buf);
	munmap(bad, 4096);
}

TEST_F(io, blocking_read_and_write)
{
	char buf[64];
	pid_t pid;

	pid = later(self->ch, true, 0);
	ASSERT_LE(0, pid);
	EXPECT_EQ(5, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, memcmp(buf, "later", 5));

	EXPECT_EQ(1, write(self->fd, "1", 1));
	EXPECT_EQ(1, write(self->fd, "2", 1));
	pid = later(self->ch, false, 0);
	ASSERT_LE(0, pid);
	EXPECT_EQ(1, write(self->fd, "3", 1));	/* sleeps until the get */
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ('2', buf[0]);
	EXPECT_EQ(1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ('3', buf[0]);
	EXPECT_EQ(0, waiters(self->ch, true));
	EXPECT_EQ(0, waiters(self->ch, false));
}

TEST_F(io, poll_readiness_and_wakeups)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[64];
	pid_t pid;

	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	ASSERT_EQ(0, kipc_channel_put(self->ch, "a", 1, KIPC_NOWAIT));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p.revents);
	ASSERT_EQ(0, kipc_channel_put(self->ch, "b", 1, KIPC_NOWAIT));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN, p.revents);

	/* Writable after a get in userspace, by another process. */
	p.events = POLLOUT;
	pid = later(self->ch, false, 100000);
	ASSERT_LE(0, pid);
	EXPECT_EQ(1, poll(&p, 1, 10000));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(1, kipc_channel_get(self->ch, buf, sizeof(buf), KIPC_NOWAIT));

	/* Readable after a put in userspace. */
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 0));
	pid = later(self->ch, true, 100000);
	ASSERT_LE(0, pid);
	EXPECT_EQ(1, poll(&p, 1, 10000));
	EXPECT_EQ(POLLIN, p.revents);
	EXPECT_EQ(0, kt_reap(pid));
	/* No poller left: a later put needs no wake. */
	EXPECT_EQ(0, waiters(self->ch, true) & ~KIPC_WAITERS_POLL);
}

TEST_F(io, epoll_edge_triggered)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), i;
	pid_t pid;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	for (i = 0; i < 2; i++) {
		char buf[64];

		pid = later(self->ch, true, 50000);
		ASSERT_LE(0, pid);
		EXPECT_EQ(1, epoll_wait(ep, &out, 1, 10000));
		EXPECT_EQ(EPOLLIN, out.events);
		EXPECT_EQ(0, kt_reap(pid));
		EXPECT_EQ(5, kipc_channel_get(self->ch, buf, sizeof(buf), KIPC_NOWAIT));
	}
	close(ep);
}

static int uring_wait(struct io_uring *ring, int ms, int *res, __u64 *data)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*res = cqe->res;
	*data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

TEST_F(io, io_uring_read_write_poll)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	char rbuf[64], wbuf[8] = "uring";
	__u64 data;
	int res, i;
	pid_t pid;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));

	/* READ on an empty channel completes when a message arrives. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, rbuf, sizeof(rbuf), 0);
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res, &data));
	/* Pending asynchronously, not in a worker asleep in read. */
	EXPECT_EQ(0, waiters(self->ch, true) & ~KIPC_WAITERS_POLL);
	pid = later(self->ch, true, 0);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(5, res);
	EXPECT_EQ(0, memcmp(rbuf, "later", 5));
	EXPECT_EQ(0, kt_reap(pid));

	/* WRITE on a full channel completes after a get. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kipc_channel_put(self->ch, "x", 1, KIPC_NOWAIT));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, self->fd, wbuf, 5, 0);
	sqe->user_data = 2;
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res, &data));
	ASSERT_EQ(1, kipc_channel_get(self->ch, rbuf, sizeof(rbuf), KIPC_NOWAIT));
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res, &data));
	EXPECT_EQ(2, data);
	EXPECT_EQ(5, res);
	ASSERT_EQ(1, kipc_channel_get(self->ch, rbuf, sizeof(rbuf), KIPC_NOWAIT));
	ASSERT_EQ(5, kipc_channel_get(self->ch, rbuf, sizeof(rbuf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(rbuf, "uring", 5));

	/* POLL_ADD for POLLIN. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, self->fd, POLLIN);
	sqe->user_data = 3;
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res, &data));
	ASSERT_EQ(0, kipc_channel_put(self->ch, "p", 1, KIPC_NOWAIT));
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res, &data));
	EXPECT_EQ(3, data);
	EXPECT_EQ(POLLIN, res & POLLIN);

	/* A READ left pending is cancelled when the ring goes away. */
	ASSERT_EQ(1, kipc_channel_get(self->ch, rbuf, sizeof(rbuf), KIPC_NOWAIT));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, self->fd, rbuf, sizeof(rbuf), 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
