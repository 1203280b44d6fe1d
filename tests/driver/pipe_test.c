// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pipes: duplex and one-way pairs of ends. Round trips, wrong directions,
 * the end of the stream (drain, then ENODATA / read 0 / POLLHUP) and EPIPE
 * when an end goes away however it goes (close, dup, fork, mapping,
 * SIGKILL idle, blocked or mid-traffic), sleepers woken by the peer's
 * departure, large messages, io_uring READ at EOF, creation errors, and no
 * object left behind.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <liburing.h>

#include <libipc.h>
#include <kipc/ring.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

static struct kipc_channel_params params(__u32 cap, __u32 slot, __u64 max)
{
	struct kipc_channel_params p = {
		.capacity = cap, .slot_size = slot, .max_msg = max,
	};

	return p;
}

/* Both ends of a new pipe, attached; 0 or -errno. */
static int pipe_new(__u32 cap, __u32 slot, __u64 max, __u32 flags,
		    struct kipc_channel *ch[2])
{
	struct kipc_channel_params p = params(cap, slot, max);
	int fds[2], ret;

	ret = kipc_pipe_create(&p, flags, fds);
	if (ret)
		return ret;
	ret = kipc_channel_attach(fds[0], &ch[0]);
	if (ret) {
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	ret = kipc_channel_attach(fds[1], &ch[1]);
	if (ret) {
		kipc_channel_close(ch[0]);
		close(fds[1]);
	}
	return ret;
}

static short poll_events(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, 0) == 1 ? pfd.revents : 0;
}

static int raw_pipe(struct kipc_pipe *a)
{
	int dev = kt_dev();
	int ret;

	if (dev < 0)
		return -1;
	ret = ioctl(dev, KIPC_IOC_PIPE, a);
	close(dev);
	return ret;
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig __attribute__((unused)))
{
	sigpipes++;
}

FIXTURE(pipe) {
	long objects;
	struct kipc_channel *ch[2];
};

FIXTURE_SETUP(pipe)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	sigaction(SIGPIPE, &sa, NULL);
	sigpipes = 0;
	self->objects = kt_objects();
	self->ch[0] = NULL;
	self->ch[1] = NULL;
}

FIXTURE_TEARDOWN(pipe)
{
	int i;

	kipc_channel_close(self->ch[0]);
	kipc_channel_close(self->ch[1]);
	/* io_uring and exiting children drop their references late. */
	for (i = 0; i < 400 && kt_objects() != self->objects; i++)
		usleep(10000);
	EXPECT_EQ(self->objects, kt_objects());
}

static void close_end(struct kipc_channel **ch)
{
	kipc_channel_close(*ch);
	*ch = NULL;
}

TEST_F(pipe, duplex_round_trip)
{
	struct kipc_pipe_end end = { 0 };
	struct kipc_info info = { 0 };
	char buf[64];
	int e;

	ASSERT_EQ(0, pipe_new(4, 64, 0, KIPC_PIPE_DUPLEX, self->ch));
	for (e = 0; e < 2; e++) {
		int fd = kipc_channel_fd(self->ch[e]);

		EXPECT_EQ(0, kipc_object_info(fd, &info));
		EXPECT_EQ(KIPC_TYPE_PIPE, info.type);
		EXPECT_EQ(KIPC_PIPE_DUPLEX, info.params.channel.flags);
		memset(&end, 0, sizeof(end));
		EXPECT_EQ(0, ioctl(fd, KIPC_PIPE_IOC_END, &end));
		EXPECT_EQ(e, end.end);
		/* End e puts into ring e and gets from the other. */
		EXPECT_EQ(0, e ? end.get_ring : end.put_ring);
		EXPECT_EQ(kipc_ring_bytes(4, 64),
			  e ? end.put_ring : end.get_ring);
		EXPECT_EQ(KIPC_PIPE_DUPLEX, end.flags);
		EXPECT_EQ(e, kt_fdinfo(fd, "kipc-end"));
		EXPECT_EQ(1, kt_fdinfo(fd, "kipc-duplex"));
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	}
	EXPECT_NE(end.put_ring, end.get_ring);

	ASSERT_EQ(0, kipc_channel_put(self->ch[0], "ping", 4, KIPC_NOWAIT));
	/* Not back to the sender: its own get ring is the other one. */
	EXPECT_EQ(-EAGAIN, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					    KIPC_NOWAIT));
	EXPECT_EQ(1, kt_fdinfo(kipc_channel_fd(self->ch[1]), "kipc-in-queued"));
	EXPECT_EQ(4, kipc_channel_get(self->ch[1], buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "pong!", 5, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "", 0, KIPC_NOWAIT));
	EXPECT_EQ(5, kipc_channel_get(self->ch[0], buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "pong!", 5));
	EXPECT_EQ(0, kipc_channel_get(self->ch[0], buf, sizeof(buf), KIPC_NOWAIT));

	/* read(2)/write(2) too, one message each, each way. */
	EXPECT_EQ(3, write(kipc_channel_fd(self->ch[1]), "abc", 3));
	EXPECT_EQ(3, read(kipc_channel_fd(self->ch[0]), buf, sizeof(buf)));
	EXPECT_EQ(2, write(kipc_channel_fd(self->ch[0]), "de", 2));
	EXPECT_EQ(2, kipc_channel_get(self->ch[1], buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "de", 2));

	/* Each ring fills on its own. */
	for (e = 0; e < 4; e++)
		ASSERT_EQ(0, kipc_channel_put(self->ch[0], "x", 1, KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, kipc_channel_put(self->ch[0], "x", 1, KIPC_NOWAIT));
	EXPECT_EQ(0, kipc_channel_put(self->ch[1], "y", 1, KIPC_NOWAIT));
	/* End 0: "y" to get, its ring full; end 1: both. */
	EXPECT_EQ(POLLIN, poll_events(kipc_channel_fd(self->ch[0]),
				      POLLIN | POLLOUT));
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(kipc_channel_fd(self->ch[1]), POLLIN | POLLOUT));
}

TEST_F(pipe, one_way_directions)
{
	struct kipc_channel_wait w = { .op = KIPC_CHANNEL_PUT };
	struct kipc_channel_claim c;
	struct kipc_pipe_end end = { 0 };
	struct iovec iov = { .iov_base = "m", .iov_len = 1 };
	char buf[64];
	int r, wr;

	ASSERT_EQ(0, pipe_new(2, 64, 0, 0, self->ch));
	r = kipc_channel_fd(self->ch[0]);
	wr = kipc_channel_fd(self->ch[1]);
	EXPECT_EQ(0, ioctl(r, KIPC_PIPE_IOC_END, &end));
	EXPECT_EQ(0, end.end);
	EXPECT_EQ(0, end.flags);
	EXPECT_EQ(KIPC_PIPE_NO_RING, end.put_ring);
	EXPECT_EQ(0, end.get_ring);
	EXPECT_EQ(0, kt_fdinfo(r, "kipc-duplex"));

	/* The reader cannot put, the writer cannot get. */
	EXPECT_EQ(-EBADF, kipc_channel_put(self->ch[0], "m", 1, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_channel_put_many(self->ch[0], &iov, 1, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_channel_put_claim(self->ch[0], 1, &c, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_channel_get(self->ch[1], buf, sizeof(buf),
					   KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_channel_get_many(self->ch[1], &iov, 1, KIPC_NOWAIT));
	EXPECT_EQ(-EBADF, kipc_channel_get_claim(self->ch[1], &c, KIPC_NOWAIT));
	EXPECT_EQ(-1, write(r, "m", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(wr, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(r, KIPC_CHANNEL_IOC_WAIT, &w));
	EXPECT_EQ(EBADF, errno);
	w.op = KIPC_CHANNEL_GET;
	EXPECT_EQ(-1, ioctl(wr, KIPC_CHANNEL_IOC_WAIT, &w));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, poll_events(r, POLLOUT));
	EXPECT_EQ(0, poll_events(wr, POLLIN));

	/* The right direction works, through every path. */
	EXPECT_EQ(0, kipc_channel_put(self->ch[1], "one", 3, KIPC_NOWAIT));
	EXPECT_EQ(3, write(wr, "two", 3));
	EXPECT_EQ(-EAGAIN, kipc_channel_put(self->ch[1], "x", 1, KIPC_NOWAIT));
	EXPECT_EQ(POLLIN, poll_events(r, POLLIN | POLLOUT));
	EXPECT_EQ(3, read(r, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	EXPECT_EQ(3, kipc_channel_get(self->ch[0], buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	ASSERT_EQ(0, kipc_channel_put_claim(self->ch[1], 1, &c, KIPC_NOWAIT));
	memcpy(c.data, "z", 1);
	ASSERT_EQ(0, kipc_channel_put_commit(self->ch[1], &c));
	ASSERT_EQ(0, kipc_channel_get_claim(self->ch[0], &c, KIPC_NOWAIT));
	EXPECT_EQ(1, c.len);
	EXPECT_EQ(0, kipc_channel_get_release(self->ch[0], &c));
}

TEST_F(pipe, writer_gone_drain_then_eof)
{
	struct iovec iov = { 0 };
	char buf[64];
	int r, i;

	ASSERT_EQ(0, pipe_new(8, 64, 0, 0, self->ch));
	r = kipc_channel_fd(self->ch[0]);
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "a", 1, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "", 0, KIPC_NOWAIT));
	ASSERT_EQ(2, write(kipc_channel_fd(self->ch[1]), "bc", 2));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "d", 1, KIPC_NOWAIT));
	EXPECT_EQ(0, poll_events(r, POLLHUP) & POLLHUP);
	close_end(&self->ch[1]);

	/* Everything queued comes first, in order; then the end. */
	EXPECT_EQ(POLLIN | POLLHUP, poll_events(r, POLLIN));
	EXPECT_EQ(1, kt_fdinfo(r, "kipc-in-closed"));
	EXPECT_EQ(1, kipc_channel_get(self->ch[0], buf, sizeof(buf),
				      KIPC_NO_DEADLINE));
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ(0, kipc_channel_get(self->ch[0], buf, sizeof(buf),
				      KIPC_NO_DEADLINE));
	EXPECT_EQ(2, read(r, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "bc", 2));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	EXPECT_EQ(1, kipc_channel_get_many(self->ch[0], &iov, 1, KIPC_NO_DEADLINE));
	EXPECT_EQ('d', buf[0]);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
						     KIPC_NO_DEADLINE));
		EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
						     KIPC_NOWAIT));
		EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
						     kt_in_ns(1000000000)));
		iov.iov_len = sizeof(buf);
		EXPECT_EQ(-ENODATA, kipc_channel_get_many(self->ch[0], &iov, 1,
							  KIPC_NO_DEADLINE));
		EXPECT_EQ(0, read(r, buf, sizeof(buf)));
	}
	EXPECT_EQ(POLLIN | POLLHUP, poll_events(r, POLLIN));
	ASSERT_EQ(0, fcntl(r, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(0, read(r, buf, sizeof(buf)));
}

TEST_F(pipe, reader_gone_epipe)
{
	struct kipc_channel_claim c;
	struct iovec iov = { .iov_base = "m", .iov_len = 1 };
	char big[200] = { 0 };
	int w;

	ASSERT_EQ(0, pipe_new(2, 64, 4096, 0, self->ch));
	w = kipc_channel_fd(self->ch[1]);
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "q", 1, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], big, sizeof(big), KIPC_NOWAIT));
	EXPECT_EQ(0, poll_events(w, POLLOUT));
	close_end(&self->ch[0]);

	EXPECT_EQ(POLLOUT | POLLERR, poll_events(w, POLLOUT));
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[1], "m", 1, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[1], "m", 1, KIPC_NOWAIT));
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[1], big, sizeof(big),
					   KIPC_NO_DEADLINE));
	EXPECT_EQ(-EPIPE, kipc_channel_put_many(self->ch[1], &iov, 1,
						KIPC_NO_DEADLINE));
	EXPECT_EQ(-EPIPE, kipc_channel_put_claim(self->ch[1], 1, &c,
						 KIPC_NO_DEADLINE));
	EXPECT_EQ(0, sigpipes);
	EXPECT_EQ(-1, write(w, "m", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
	EXPECT_EQ(-1, write(w, big, sizeof(big)));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(2, sigpipes);
}

TEST_F(pipe, duplex_peer_gone_both_ways)
{
	char buf[64];

	ASSERT_EQ(0, pipe_new(4, 64, 0, KIPC_PIPE_DUPLEX, self->ch));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "last", 4, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(self->ch[0], "lost", 4, KIPC_NOWAIT));
	close_end(&self->ch[1]);
	EXPECT_EQ(POLLIN | POLLOUT | POLLHUP | POLLERR,
		  poll_events(kipc_channel_fd(self->ch[0]), POLLIN | POLLOUT));
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[0], "x", 1, KIPC_NO_DEADLINE));
	EXPECT_EQ(4, kipc_channel_get(self->ch[0], buf, sizeof(buf),
				      KIPC_NO_DEADLINE));
	EXPECT_EQ(0, memcmp(buf, "last", 4));
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
}

struct sleeper {
	struct kipc_channel *ch;
	bool put;
	long ret;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	char buf[64];

	if (s->put)
		s->ret = kipc_channel_put(s->ch, "s", 1, KIPC_NO_DEADLINE);
	else
		s->ret = kipc_channel_get(s->ch, buf, sizeof(buf),
					  KIPC_NO_DEADLINE);
	return NULL;
}

TEST_F_TIMEOUT(pipe, sleepers_woken_by_peer_close, 120)
{
	struct sleeper s = { 0 };
	pthread_t t;
	int i;

	/* A get asleep on an empty ring: the writer's close ends it. */
	ASSERT_EQ(0, pipe_new(1, 64, 0, 0, self->ch));
	s.ch = self->ch[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, sleeper_main, &s));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_channel_fd(self->ch[0]),
				   "kipc-in-get-waiters", 1));
	close_end(&self->ch[1]);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-ENODATA, s.ret);
	close_end(&self->ch[0]);

	/* A put asleep on a full ring: the reader's close ends it. */
	ASSERT_EQ(0, pipe_new(1, 64, 0, 0, self->ch));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "f", 1, KIPC_NOWAIT));
	s.ch = self->ch[1];
	s.put = true;
	ASSERT_EQ(0, pthread_create(&t, NULL, sleeper_main, &s));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_channel_fd(self->ch[1]),
				   "kipc-out-put-waiters", 1));
	close_end(&self->ch[0]);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EPIPE, s.ret);
	close_end(&self->ch[1]);

	/* read(2) and epoll asleep: woken too. */
	ASSERT_EQ(0, pipe_new(1, 64, 0, 0, self->ch));
	{
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN }, out;
		pid_t pid;

		ASSERT_LE(0, ep);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD,
				       kipc_channel_fd(self->ch[0]), &ev));
		EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			char buf[8];

			/* Only the parent may hold the writer. */
			kipc_channel_close(self->ch[1]);
			_exit(read(kipc_channel_fd(self->ch[0]), buf,
				   sizeof(buf)) == 0 ? 0 : 1);
		}
		for (i = 0; i < 2000; i++) {
			if (kt_fdinfo(kipc_channel_fd(self->ch[0]),
				   "kipc-sleepers") == 1)
				break;
			usleep(5000);
		}
		close_end(&self->ch[1]);
		EXPECT_EQ(1, epoll_wait(ep, &out, 1, 10000));
		EXPECT_EQ(EPOLLIN | EPOLLHUP, out.events);
		EXPECT_EQ(0, kt_reap(pid));
		close(ep);
	}
}

TEST_F(pipe, end_lives_while_any_handle_does)
{
	char buf[64];
	void *map;
	int fd2, w;
	pid_t pid;

	ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
	w = kipc_channel_fd(self->ch[1]);

	/* A dup. */
	fd2 = dup(w);
	ASSERT_LE(0, fd2);
	/* A mapping, made through the end, outliving every descriptor. */
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, w, 0);
	ASSERT_NE(MAP_FAILED, map);
	close_end(&self->ch[1]);
	EXPECT_EQ(-EAGAIN, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					    KIPC_NOWAIT));
	EXPECT_EQ(0, poll_events(kipc_channel_fd(self->ch[0]), POLLIN));
	EXPECT_EQ(1, write(fd2, "d", 1));
	close(fd2);
	EXPECT_EQ(1, kipc_channel_get(self->ch[0], buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					    KIPC_NOWAIT));
	munmap(map, 4096);
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
	close_end(&self->ch[0]);

	/* A fork child holding the writer after the parent closed it. */
	ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		kipc_channel_close(self->ch[0]);
		usleep(200000);
		_exit(kipc_channel_put(self->ch[1], "child", 5, KIPC_NO_DEADLINE));
	}
	close_end(&self->ch[1]);
	EXPECT_EQ(5, kipc_channel_get(self->ch[0], buf, sizeof(buf),
				      KIPC_NO_DEADLINE));
	EXPECT_EQ(0, memcmp(buf, "child", 5));
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
	EXPECT_EQ(0, kt_reap(pid));
}

TEST_F(pipe, end_passed_with_scm_rights)
{
	char cbuf[CMSG_SPACE(sizeof(int))], buf[64];
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], fd;

	ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	fd = kipc_channel_fd(self->ch[1]);
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	/* In flight, the writer is still there. */
	close_end(&self->ch[1]);
	EXPECT_EQ(-EAGAIN, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					    KIPC_NOWAIT));
	/* Received into writable memory, with room for the descriptor. */
	iov.iov_base = buf;
	msg.msg_controllen = sizeof(cbuf);
	ASSERT_EQ(1, recvmsg(sv[1], &msg, 0));
	cm = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cm);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	ASSERT_EQ(0, kipc_channel_attach(fd, &self->ch[1]));
	EXPECT_EQ(1, kt_fdinfo(fd, "kipc-end"));
	EXPECT_EQ(0, kipc_channel_put(self->ch[1], "via", 3, KIPC_NOWAIT));
	close_end(&self->ch[1]);
	EXPECT_EQ(3, kipc_channel_get(self->ch[0], buf, sizeof(buf),
				      KIPC_NO_DEADLINE));
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(pipe, scribbled_closed_word)
{
	struct kipc_pipe_end end = { 0 };
	__u32 *closed;
	char buf[64];
	int r;

	ASSERT_EQ(0, pipe_new(4, 64, 0, KIPC_PIPE_DUPLEX, self->ch));
	r = kipc_channel_fd(self->ch[0]);
	ASSERT_EQ(0, ioctl(r, KIPC_PIPE_IOC_END, &end));
	closed = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0);
	ASSERT_NE(MAP_FAILED, closed);
	closed = (__u32 *)((char *)closed + end.get_ring + KIPC_CHANNEL_OFF_CLOSED);

	/* A forged end: the kernel, trusting only itself, is not fooled. */
	*closed = KIPC_CHANNEL_CLOSED_WRITER | KIPC_CHANNEL_CLOSED_READER;
	ASSERT_EQ(0, fcntl(r, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(r, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, poll_events(r, POLLIN));
	EXPECT_EQ(0, kt_fdinfo(r, "kipc-in-closed"));
	/* The library believes the word (the damage stays in the pipe)... */
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[1], "fake", 4, KIPC_NOWAIT));
	/* ...the kernel does not. */
	EXPECT_EQ(4, write(kipc_channel_fd(self->ch[1]), "real", 4));
	EXPECT_EQ(4, read(r, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "real", 4));

	/* A hidden end: the kernel's wait reports it, nobody hangs. */
	close_end(&self->ch[1]);
	/* Rewritten from the kernel's own bits. */
	EXPECT_EQ(KIPC_CHANNEL_CLOSED_WRITER, *closed);
	*closed = 0;
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
	EXPECT_EQ(0, read(r, buf, sizeof(buf)));
	munmap((void *)((uintptr_t)closed & ~4095UL), 4096);
}

/* A child holding end @keep of a pipe only, running @fn. */
static pid_t child_with(struct kipc_channel *ch[2], int keep,
			void (*fn)(struct kipc_channel *ch))
{
	pid_t pid = fork();

	if (!pid) {
		kipc_channel_close(ch[1 - keep]);
		fn(ch[keep]);
		_exit(0);
	}
	return pid;
}

static void put_then_idle(struct kipc_channel *ch)
{
	int i;

	for (i = 0; i < 3; i++)
		if (kipc_channel_put(ch, &i, sizeof(i), KIPC_NO_DEADLINE))
			_exit(1);
	pause();
}

static void get_forever(struct kipc_channel *ch)
{
	char buf[64];

	kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE);
	_exit(2);	/* never: nothing is ever put */
}

TEST_F_TIMEOUT(pipe, peer_killed_idle_or_blocked, 120)
{
	char buf[64];
	pid_t pid;
	int i, v;

	/* A writer killed while idle: what it put, then the end. */
	ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
	pid = child_with(self->ch, 1, put_then_idle);
	ASSERT_LE(0, pid);
	close_end(&self->ch[1]);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(sizeof(v), kipc_channel_get(self->ch[0], &v, sizeof(v),
						      KIPC_NO_DEADLINE));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(-EAGAIN, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					    KIPC_NOWAIT));
	kt_kill_reap(pid);
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
	close_end(&self->ch[0]);

	/* A duplex peer killed while asleep in get: our put gets EPIPE. */
	ASSERT_EQ(0, pipe_new(4, 64, 0, KIPC_PIPE_DUPLEX, self->ch));
	pid = child_with(self->ch, 1, get_forever);
	ASSERT_LE(0, pid);
	close_end(&self->ch[1]);
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_channel_fd(self->ch[0]),
				   "kipc-out-get-waiters", 1));
	kt_kill_reap(pid);
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[0], "y", 1, KIPC_NO_DEADLINE));
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], buf, sizeof(buf),
					     KIPC_NO_DEADLINE));
}

static void put_sequence(struct kipc_channel *ch)
{
	unsigned int i;

	for (i = 0;; i++)
		if (kipc_channel_put(ch, &i, sizeof(i), KIPC_NO_DEADLINE))
			_exit(1);
}

static void get_sequence(struct kipc_channel *ch)
{
	unsigned int v;

	for (;;)
		if (kipc_channel_get(ch, &v, sizeof(v), KIPC_NO_DEADLINE) < 0)
			_exit(1);
}

TEST_F_TIMEOUT(pipe, peer_killed_mid_traffic, 180)
{
	unsigned int rounds = kt_scaled(6);
	unsigned int r, v, expect;
	long ret;
	pid_t pid;

	for (r = 0; r < rounds; r++) {
		/* The writer dies at a random instant: no gap, no duplicate. */
		ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
		pid = child_with(self->ch, 1, put_sequence);
		ASSERT_LE(0, pid);
		close_end(&self->ch[1]);
		for (expect = 0; expect < 200 + r * 50; expect++) {
			ASSERT_EQ(sizeof(v), kipc_channel_get(self->ch[0], &v,
							      sizeof(v),
							      KIPC_NO_DEADLINE));
			ASSERT_EQ(expect, v);
		}
		usleep(1000 * (r % 3));
		kt_kill_reap(pid);
		for (;;) {
			ret = kipc_channel_get(self->ch[0], &v, sizeof(v),
					       KIPC_NO_DEADLINE);
			if (ret < 0)
				break;
			ASSERT_EQ(expect, v);
			expect++;
		}
		EXPECT_EQ(-ENODATA, ret);
		close_end(&self->ch[0]);

		/* The reader dies at a random instant: EPIPE, promptly. */
		ASSERT_EQ(0, pipe_new(4, 64, 0, 0, self->ch));
		pid = child_with(self->ch, 0, get_sequence);
		ASSERT_LE(0, pid);
		close_end(&self->ch[0]);
		for (v = 0; v < 200 + r * 50; v++)
			ASSERT_EQ(0, kipc_channel_put(self->ch[1], &v, sizeof(v),
						      KIPC_NO_DEADLINE));
		usleep(1000 * (r % 3));
		kt_kill_reap(pid);
		do
			ret = kipc_channel_put(self->ch[1], &v, sizeof(v),
					       KIPC_NO_DEADLINE);
		while (!ret);
		EXPECT_EQ(-EPIPE, ret);
		close_end(&self->ch[1]);
	}
}

TEST_F(pipe, large_messages)
{
	struct kipc_channel_stats st;
	size_t n = 20000, i;
	char *out = malloc(n), *in = malloc(n);
	int e;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i < n; i++)
		out[i] = i * 7;
	ASSERT_EQ(0, pipe_new(4, 64, 65536, KIPC_PIPE_DUPLEX, self->ch));
	for (e = 0; e < 2; e++) {
		memset(in, 0, n);
		ASSERT_EQ(0, kipc_channel_put(self->ch[e], out, n, KIPC_NOWAIT));
		ASSERT_EQ((ssize_t)n, write(kipc_channel_fd(self->ch[e]), out, n));
		EXPECT_EQ((ssize_t)n, read(kipc_channel_fd(self->ch[1 - e]), in, n));
		EXPECT_EQ(0, memcmp(in, out, n));
		memset(in, 0, n);
		EXPECT_EQ((ssize_t)n, kipc_channel_get(self->ch[1 - e], in, n,
						       KIPC_NOWAIT));
		EXPECT_EQ(0, memcmp(in, out, n));
	}
	/* Queued when its writer goes: still delivered, then the end. */
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], out, n, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(self->ch[0], out, n, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_stats(self->ch[0], &st));
	EXPECT_EQ(2, st.buffers);
	close_end(&self->ch[1]);
	memset(in, 0, n);
	EXPECT_EQ((ssize_t)n, kipc_channel_get(self->ch[0], in, n,
					       KIPC_NO_DEADLINE));
	EXPECT_EQ(0, memcmp(in, out, n));
	EXPECT_EQ(-ENODATA, kipc_channel_get(self->ch[0], in, n, KIPC_NO_DEADLINE));
	EXPECT_EQ(-EPIPE, kipc_channel_put(self->ch[0], out, n, KIPC_NO_DEADLINE));
	/* The one nobody will read is freed with the pipe (teardown). */
	free(out);
	free(in);
}

static int uring_wait(struct io_uring *ring, int ms, int *res)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

TEST_F(pipe, io_uring_read_at_eof)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	char buf[64];
	int res;

	ASSERT_EQ(0, pipe_new(2, 64, 0, 0, self->ch));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));

	/* A READ pending on an empty pipe completes with 0 at the end. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, kipc_channel_fd(self->ch[0]), buf, sizeof(buf), 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "u", 1, KIPC_NOWAIT));
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res));
	EXPECT_EQ(1, res);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, kipc_channel_fd(self->ch[0]), buf, sizeof(buf), 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res));
	close_end(&self->ch[1]);
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res));
	EXPECT_EQ(0, res);
	/* And at once afterwards. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, kipc_channel_fd(self->ch[0]), buf, sizeof(buf), 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res));
	EXPECT_EQ(0, res);
	io_uring_queue_exit(&ring);
	close_end(&self->ch[0]);

	/* A WRITE pending on a full pipe fails with EPIPE when the reader goes. */
	ASSERT_EQ(0, pipe_new(1, 64, 0, 0, self->ch));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, kipc_channel_put(self->ch[1], "f", 1, KIPC_NOWAIT));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, kipc_channel_fd(self->ch[1]), "w", 1, 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-ETIME, uring_wait(&ring, 100, &res));
	close_end(&self->ch[0]);
	ASSERT_EQ(0, uring_wait(&ring, 10000, &res));
	EXPECT_EQ(-EPIPE, res);
	io_uring_queue_exit(&ring);
}

TEST_F(pipe, creation_errors)
{
	struct kipc_pipe a;
	struct kipc_create c = { .type = KIPC_TYPE_PIPE };
	int dev, fds[2];

	memset(&a, 0, sizeof(a));
	a.params = params(4, 64, 0);
	a.flags = KIPC_PIPE_DUPLEX;
	a.fd_flags = KIPC_FD_NONBLOCK;
	ASSERT_EQ(0, raw_pipe(&a));
	EXPECT_EQ(-1, read(a.fds[0], &dev, sizeof(dev)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a.fds[1], F_GETFD));
	close(a.fds[0]);
	close(a.fds[1]);

#define BAD(field, value) do {					\
		memset(&a, 0, sizeof(a));				\
		a.params = params(4, 64, 0);				\
		a.field = value;					\
		a.fds[0] = a.fds[1] = -7;				\
		EXPECT_EQ(-1, raw_pipe(&a));				\
		EXPECT_EQ(EINVAL, errno);				\
		EXPECT_EQ(-7, a.fds[0]);				\
	} while (0)
	BAD(flags, 1);
	BAD(flags, KIPC_PIPE_DUPLEX << 1);
	BAD(fd_flags, 1U << 2);
	BAD(reserved[0], 1);
	BAD(reserved[3], 1);
	BAD(params.capacity, 3);
	BAD(params.capacity, 0);
	BAD(params.capacity, KIPC_CHANNEL_MAX_CAPACITY * 2);
	BAD(params.slot_size, 12);
	BAD(params.slot_size, 0);
	BAD(params.max_msg, KIPC_CHANNEL_MAX_MSG + 1);
	BAD(params.flags, KIPC_PIPE_DUPLEX);
	BAD(params.pad, 1);
	BAD(params.reserved[4], 1);
#undef BAD

	/* Through the library: the same checks. */
	EXPECT_EQ(-EINVAL, kipc_pipe_create(NULL, 0, fds));
	{
		struct kipc_channel_params p = params(5, 64, 0);

		EXPECT_EQ(-EINVAL, kipc_pipe_create(&p, 0, fds));
		p = params(4, 64, 0);
		EXPECT_EQ(-EINVAL, kipc_pipe_create(&p, 1U << 2, fds));
	}

	/* A pipe is made by KIPC_IOC_PIPE only. */
	dev = kt_dev();
	ASSERT_LE(0, dev);
	c.params.channel = params(4, 64, 0);
	EXPECT_EQ(-1, ioctl(dev, KIPC_IOC_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(dev, KIPC_IOC_PIPE, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(dev);
}

TEST_F(pipe, pipe_ioctls_on_a_channel)
{
	struct kipc_channel *ch = kt_chan_new(2, 64, 0);
	struct kipc_pipe_end end = { 0 };
	struct kipc_api api;
	int dev;

	ASSERT_NE(NULL, ch);
	EXPECT_EQ(-1, ioctl(kipc_channel_fd(ch), KIPC_PIPE_IOC_END, &end));
	EXPECT_EQ(ENOTTY, errno);
	kipc_channel_close(ch);
	ASSERT_EQ(0, pipe_new(2, 64, 0, 0, self->ch));
	end.flags = 1;
	EXPECT_EQ(-1, ioctl(kipc_channel_fd(self->ch[0]), KIPC_PIPE_IOC_END, &end));
	EXPECT_EQ(EINVAL, errno);
	end.flags = 0;
	end.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(kipc_channel_fd(self->ch[0]), KIPC_PIPE_IOC_END, &end));
	EXPECT_EQ(EINVAL, errno);
	/* Channels, queues and pipes alike, are announced now. */
	dev = kipc_dev_open(&api);
	ASSERT_LE(0, dev);
	EXPECT_TRUE(api.features & KIPC_FEATURE_CHANNEL);
	close(dev);
}

TEST_HARNESS_MAIN
