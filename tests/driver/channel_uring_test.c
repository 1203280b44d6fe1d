// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring commands on channels (Documentation/uring.rst): put, get and
 * their batches, inline and pending, completed by userspace fast-path
 * traffic and by write(2)/read(2) in other processes, many in one
 * io_uring_enter, deadlines racing with traffic (every message counted),
 * large messages, strict validation with exact errors, commands left
 * pending by a killed submitter or a closed ring, and pipe ends (the ring
 * each end uses, end of stream, EPIPE, one-way EBADF).
 */

#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <libipc.h>
#include <libipc-uring.h>

#include "kipc_test.h"
#include "kipc_uring_test.h"
#include "kselftest_harness.h"

#define MSEC	1000000ULL

/* Prepare one raw command; returns the SQE (NULL if the ring is full). */
static struct io_uring_sqe *prep_raw(struct io_uring *r, int fd, __u32 op,
				     __u64 arg, __u64 data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);

	if (sqe) {
		kipc_prep_cmd(sqe, fd, op, KIPC_URING_NO_DEADLINE, arg);
		io_uring_sqe_set_data64(sqe, data);
	}
	return sqe;
}

/* Submit one raw command and return its result. */
static int raw_cmd(struct io_uring *r, int fd, __u32 op, __u64 arg)
{
	if (!prep_raw(r, fd, op, arg, 0))
		return 3000000;
	if (io_uring_submit(r) != 1)
		return 2000000;
	return kt_next_res(r, 20000, NULL);
}

static int waiters(struct kipc_channel *ch, bool get)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		return -1;
	return get ? st.get_waiters : st.put_waiters;
}

static long stat_of(struct kipc_channel *ch, int which)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		return -1;
	return which ? st.buffers : st.queued;
}

/* Wait (boundedly) until the channel's waiter count is @n. */
static int waiters_become(struct kipc_channel *ch, bool get, int n)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (waiters(ch, get) == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* A message naming its id: "m<id>" padded to @len with the id's byte. */
static void msg_fill(char *buf, size_t len, unsigned int id)
{
	memset(buf, 'a' + id % 26, len);
	if (len >= 8)
		snprintf(buf, 8, "m%05u", id);
}

/* The id of a message msg_fill() made, or -1 if it is not one. */
static int msg_id(const char *buf, size_t len)
{
	unsigned int id;
	size_t i;

	if (len < 8 || sscanf(buf, "m%05u", &id) != 1)
		return -1;
	for (i = 8; i < len; i++)
		if (buf[i] != (char)('a' + id % 26))
			return -1;
	return id;
}

FIXTURE(cu) {
	long objects;
	struct io_uring ring;
};

FIXTURE_SETUP(cu)
{
	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
	ASSERT_EQ(0, io_uring_queue_init(256, &self->ring, 0));
}

FIXTURE_TEARDOWN(cu)
{
	io_uring_queue_exit(&self->ring);
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
}

TEST_F(cu, feature_announced)
{
	struct kipc_api api = { .version = KIPC_API_VERSION };
	int dev = kt_dev();

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, KIPC_IOC_API, &api));
	EXPECT_TRUE(api.features & KIPC_FEATURE_URING_CMD);
	close(dev);
}

/* Room and a message there: both complete at submission. */
TEST_F(cu, inline_put_get)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(2, 64, 0);
	char out[64] = "hello", in[64] = "";
	struct iovec oiov = { out, 5 }, iiov = { in, sizeof(in) };
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	kipc_prep_channel_put(io_uring_get_sqe(r), fd, &oiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(1, stat_of(ch, 0));

	kipc_prep_channel_get(io_uring_get_sqe(r), fd, &iiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(5, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, memcmp(in, "hello", 6));
	EXPECT_EQ(sizeof(in), iiov.iov_len);	/* a single get reports in res */

	/* NOWAIT: empty, then full. */
	EXPECT_EQ(-EAGAIN, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET |
				   KIPC_URING_F_NOWAIT, (uintptr_t)&iiov));
	EXPECT_EQ(0, kipc_channel_put(ch, "x", 1, KIPC_NOWAIT));
	EXPECT_EQ(0, kipc_channel_put(ch, "y", 1, KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT |
				   KIPC_URING_F_NOWAIT, (uintptr_t)&oiov));
	/* A deadline already passed: ETIMEDOUT, and nothing put. */
	kipc_prep_channel_put(io_uring_get_sqe(r), fd, &oiov, 0);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(1, kipc_channel_get(ch, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ('x', in[0]);
	EXPECT_EQ(1, kipc_channel_get(ch, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ('y', in[0]);
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ(0, waiters(ch, true));
	EXPECT_EQ(0, waiters(ch, false));
	kipc_channel_close(ch);
}

/* A pending get, completed by a put in another process (@use_write: write(2)). */
static void pending_get(struct __test_metadata *_metadata, struct io_uring *r,
			bool use_write)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, 0);
	char in[64] = "";
	struct iovec iiov = { in, sizeof(in) };
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	kipc_prep_channel_get(io_uring_get_sqe(r), fd, &iiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	iiov.iov_base = NULL;	/* copied at submission: reuse is fine */
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(1, waiters(ch, true));

	pid = fork();
	if (!pid) {
		if (use_write)
			_exit(write(fd, "later!", 6) == 6 ? 0 : 1);
		_exit(kipc_channel_put(ch, "later!", 6, KIPC_NO_DEADLINE) ? 1 : 0);
	}
	EXPECT_EQ(6, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, memcmp(in, "later!", 6));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, waiters(ch, true));
	EXPECT_EQ(0, stat_of(ch, 0));
	kipc_channel_close(ch);
}

TEST_F(cu, pending_get_by_fast_put)
{
	pending_get(_metadata, &self->ring, false);
}

TEST_F(cu, pending_get_by_write)
{
	pending_get(_metadata, &self->ring, true);
}

/* A pending put, completed by gets in another process (fast path, read). */
TEST_F(cu, pending_put)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(1, 64, 0);
	char in[64] = "";
	struct iovec oiov[2] = { { "second", 6 }, { "third", 5 } };
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	EXPECT_EQ(0, kipc_channel_put(ch, "first", 5, KIPC_NOWAIT));
	kipc_prep_channel_put(io_uring_get_sqe(r), fd, &oiov[0],
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(1, waiters(ch, false));

	pid = fork();
	if (!pid) {
		char buf[64];

		if (kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE) != 5 ||
		    memcmp(buf, "first", 5))
			_exit(1);
		_exit(0);
	}
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, waiters(ch, false));

	/* Full again: a pending put completed by read(2) elsewhere. */
	kipc_prep_channel_put(io_uring_get_sqe(r), fd, &oiov[1],
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	pid = fork();
	if (!pid) {
		char buf[64];

		_exit(read(fd, buf, sizeof(buf)) == 6 &&
		      !memcmp(buf, "second", 6) ? 0 : 1);
	}
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(5, kipc_channel_get(ch, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(in, "third", 5));
	EXPECT_EQ(0, waiters(ch, false));
	kipc_channel_close(ch);
}

/*
 * IOSQE_ASYNC: the first attempt runs in an io-wq worker of the submitter
 * (same memory), retries in the submitter's task.
 */
TEST_F(cu, async_submission)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(2, 64, 0);
	char in[2][64] = { "", "" };
	struct iovec iiov[2] = { { in[0], 64 }, { in[1], 64 } };
	struct iovec oiov = { "async", 5 };
	struct io_uring_sqe *sqe;
	int fd, i;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	sqe = io_uring_get_sqe(r);
	kipc_prep_channel_put(sqe, fd, &oiov, KIPC_URING_NO_DEADLINE);
	io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	for (i = 0; i < 2; i++) {
		sqe = io_uring_get_sqe(r);
		kipc_prep_channel_get(sqe, fd, &iiov[i], KIPC_URING_NO_DEADLINE);
		io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(2, io_uring_submit(r));
	/* One completes with the message, the other waits for the next. */
	EXPECT_EQ(5, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, waiters_become(ch, true, 1));
	EXPECT_EQ(0, kipc_channel_put(ch, "later", 5, KIPC_NO_DEADLINE));
	EXPECT_EQ(5, kt_next_res(r, 20000, NULL));
	EXPECT_TRUE(!memcmp(in[0], "async", 5) || !memcmp(in[1], "async", 5));
	EXPECT_TRUE(!memcmp(in[0], "later", 5) || !memcmp(in[1], "later", 5));
	EXPECT_EQ(0, waiters(ch, true));
	kipc_channel_close(ch);
}

/* A get's positive result is a success: its link goes on. */
TEST_F(cu, linked_get)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(2, 64, 0);
	char in[64];
	struct iovec iiov = { in, sizeof(in) };
	struct io_uring_sqe *sqe;
	__u64 data;
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	ASSERT_EQ(0, kipc_channel_put(ch, "abc", 3, KIPC_NOWAIT));
	sqe = io_uring_get_sqe(r);
	kipc_prep_channel_get(sqe, fd, &iiov, KIPC_URING_NO_DEADLINE);
	io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(r);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(r));
	EXPECT_EQ(3, kt_next_res(r, 20000, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(0, kt_next_res(r, 20000, &data));
	EXPECT_EQ(2, data);
	kipc_channel_close(ch);
}

/* 64 puts in one io_uring_enter, then 64 gets in another: order kept. */
TEST_F(cu, many_in_one_enter)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(64, 32, 0);
	static char out[64][32], in[64][32];
	struct iovec iov[64];
	__u64 data;
	int fd, i, ret;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	for (i = 0; i < 64; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		msg_fill(out[i], 8 + i % 24, i);
		iov[i] = (struct iovec){ out[i], 8 + i % 24 };
		kipc_prep_channel_put(sqe, fd, &iov[i], KIPC_URING_NO_DEADLINE);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(64, io_uring_submit(r));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(64, stat_of(ch, 0));

	for (i = 0; i < 64; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		iov[i] = (struct iovec){ in[i], 32 };
		kipc_prep_channel_get(sqe, fd, &iov[i], KIPC_URING_NO_DEADLINE);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(64, io_uring_submit(r));
	for (i = 0; i < 64; i++) {
		ret = kt_next_res(r, 20000, &data);
		ASSERT_GT(64, data);
		/* Get number i received message i: submission order. */
		EXPECT_EQ(8 + data % 24, ret);
		EXPECT_EQ((int)data, msg_id(in[data], ret));
	}
	EXPECT_EQ(0, stat_of(ch, 0));
	kipc_channel_close(ch);
}

/*
 * 64 gets pending, then 64 messages from another process's fast path:
 * every message arrives exactly once.
 */
TEST_F(cu, many_pending_gets)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(8, 32, 0);
	static char in[64][32];
	struct iovec iov[64];	/* read when submitted */
	__u64 seen = 0, data;
	int fd, i, ret, id;
	pid_t pid;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	for (i = 0; i < 64; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		iov[i] = (struct iovec){ in[i], 32 };
		kipc_prep_channel_get(sqe, fd, &iov[i], KIPC_URING_NO_DEADLINE);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(64, io_uring_submit(r));
	EXPECT_EQ(0, waiters_become(ch, true, 64));
	EXPECT_TRUE(kt_none_ready(r));

	pid = fork();
	if (!pid) {
		char buf[32];

		for (i = 0; i < 64; i++) {
			msg_fill(buf, 16, i);
			if (kipc_channel_put(ch, buf, 16, KIPC_NO_DEADLINE))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < 64; i++) {
		ret = kt_next_res(r, 20000, &data);
		ASSERT_EQ(16, ret);
		ASSERT_GT(64, data);
		id = msg_id(in[data], 16);
		ASSERT_LE(0, id);
		ASSERT_GT(64, id);
		EXPECT_EQ(0, seen & (1ULL << id));
		seen |= 1ULL << id;
	}
	EXPECT_EQ(~0ULL, seen);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, waiters(ch, true));
	EXPECT_EQ(0, stat_of(ch, 0));
	kipc_channel_close(ch);
}

TEST_F(cu, batches)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(16, 32, 0);
	static char out[20][32], in[64][32];
	struct iovec oiov[20], iiov[64];
	struct kipc_uring_batch b;
	pid_t pid;
	int fd, i;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	for (i = 0; i < 20; i++) {
		msg_fill(out[i], 8 + i, i);
		oiov[i] = (struct iovec){ out[i], 8 + i };
	}
	for (i = 0; i < 64; i++)
		iiov[i] = (struct iovec){ in[i], 32 };

	/* 10 messages in one command. */
	kipc_uring_batch_init(&b, oiov, 10);
	kipc_prep_channel_put_many(io_uring_get_sqe(r), fd, &b,
				   KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(10, kt_next_res(r, 20000, NULL));
	/* 10 more: only 6 fit, a short put. */
	kipc_uring_batch_init(&b, oiov + 10, 10);
	kipc_prep_channel_put_many(io_uring_get_sqe(r), fd, &b,
				   KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(6, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(16, stat_of(ch, 0));

	/* Up to 64: all 16, in order, with their lengths. */
	kipc_uring_batch_init(&b, iiov, 64);
	kipc_prep_channel_get_many(io_uring_get_sqe(r), fd, &b,
				   KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(16, kt_next_res(r, 20000, NULL));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(8 + i, iiov[i].iov_len);
		EXPECT_EQ(i, msg_id(in[i], 8 + i));
	}
	EXPECT_EQ(32, iiov[16].iov_len);	/* untouched beyond the result */

	/* Pending: a batch get waits for the first message only. */
	for (i = 0; i < 64; i++)
		iiov[i].iov_len = 32;
	kipc_prep_channel_get_many(io_uring_get_sqe(r), fd, &b,
				   KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(1, waiters(ch, true));
	pid = fork();
	if (!pid)
		_exit(write(fd, "m00042aaaa", 10) == 10 ? 0 : 1);
	EXPECT_EQ(1, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(10, iiov[0].iov_len);
	EXPECT_EQ(0, memcmp(in[0], "m00042aaaa", 10));
	EXPECT_EQ(0, kt_reap(pid));

	/* Pending: a batch put into a full channel waits for room. */
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, "f", 1, KIPC_NOWAIT));
	kipc_uring_batch_init(&b, oiov, 3);
	kipc_prep_channel_put_many(io_uring_get_sqe(r), fd, &b,
				   KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	pid = fork();
	if (!pid) {
		char buf[32];

		_exit(kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE) == 1 ?
		      0 : 1);
	}
	i = kt_next_res(r, 20000, NULL);
	EXPECT_LE(1, i);
	EXPECT_GE(3, i);
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(15 + i, stat_of(ch, 0));
	EXPECT_EQ(0, waiters(ch, false));
	EXPECT_EQ(0, waiters(ch, true));
	kipc_channel_close(ch);
}

/*
 * Gets with deadlines racing with puts from another process: each message
 * is either received by exactly one get that reports it or still in the
 * channel afterwards.
 */
TEST_F(cu, get_deadline_race)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(64, 32, 0);
	static char in[48][32];
	int fd, i, ret, id, ok = 0, timedout = 0, left = 0;
	struct iovec iov[48];
	__u64 seen = 0, data;
	char buf[32];
	pid_t pid;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	for (i = 0; i < 48; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		iov[i] = (struct iovec){ in[i], 32 };
		kipc_prep_channel_get(sqe, fd, &iov[i],
				      kt_in_ns((20 + (i % 8) * 15) * MSEC));
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(48, io_uring_submit(r));
	pid = fork();
	if (!pid) {
		for (i = 0; i < 40; i++) {
			usleep(4000);
			msg_fill(buf, 12, i);
			if (i & 1 ? write(fd, buf, 12) != 12 :
			    kipc_channel_put(ch, buf, 12, KIPC_NO_DEADLINE))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < 48; i++) {
		ret = kt_next_res(r, 20000, &data);
		ASSERT_GT(48, data);
		if (ret == -ETIMEDOUT) {
			timedout++;
			continue;
		}
		ASSERT_EQ(12, ret);
		id = msg_id(in[data], 12);
		ASSERT_LE(0, id);
		ASSERT_GT(40, id);
		EXPECT_EQ(0, seen & (1ULL << id));
		seen |= 1ULL << id;
		ok++;
	}
	EXPECT_EQ(48, ok + timedout);
	EXPECT_EQ(0, kt_reap(pid));
	while ((ret = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT)) == 12) {
		id = msg_id(buf, 12);
		ASSERT_LE(0, id);
		ASSERT_GT(40, id);
		EXPECT_EQ(0, seen & (1ULL << id));
		seen |= 1ULL << id;
		left++;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(40, ok + left);
	EXPECT_EQ((1ULL << 40) - 1, seen);
	EXPECT_EQ(0, waiters(ch, true));
	kipc_channel_close(ch);
}

/*
 * Puts with deadlines into a small channel racing with a consumer: the
 * messages consumed or left are exactly those whose put reported 0.
 */
TEST_F(cu, put_deadline_race)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(4, 32, 0);
	static char out[32][32];
	__u64 put_ok = 0, seen = 0, data;
	struct iovec iov[32];
	int *got = kt_shared(4096);
	int fd, i, ret, id;
	char buf[32];
	pid_t pid;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, got);
	fd = kipc_channel_fd(ch);
	for (i = 0; i < 32; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(r);

		ASSERT_NE(NULL, sqe);
		msg_fill(out[i], 10, i);
		iov[i] = (struct iovec){ out[i], 10 };
		kipc_prep_channel_put(sqe, fd, &iov[i],
				      kt_in_ns((20 + (i % 8) * 15) * MSEC));
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(32, io_uring_submit(r));
	pid = fork();
	if (!pid) {
		/*
		 * got[0]: count; got[1..]: ids, in the order received. Up to
		 * 16, for as long as the puts last (they may all time out
		 * first on a slow machine).
		 */
		for (i = 0; i < 16; i++) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			usleep(4000);
			if (i & 1) {
				if (poll(&pfd, 1, 500) != 1)
					break;
				ret = read(fd, buf, sizeof(buf));
			} else {
				ret = kipc_channel_get(ch, buf, sizeof(buf),
						       kt_in_ns(500 * MSEC));
				if (ret == -ETIMEDOUT)
					break;
			}
			if (ret != 10)
				_exit(1);
			got[1 + i] = msg_id(buf, 10);
			got[0] = i + 1;
		}
		_exit(0);
	}
	for (i = 0; i < 32; i++) {
		ret = kt_next_res(r, 20000, &data);
		ASSERT_GT(32, data);
		if (ret == -ETIMEDOUT)
			continue;
		ASSERT_EQ(0, ret);
		put_ok |= 1ULL << data;
	}
	ASSERT_EQ(0, kt_reap(pid));
	/* The first four fitted at once. */
	ASSERT_LE(4, got[0]);
	ASSERT_GE(16, got[0]);
	for (i = 0; i < got[0]; i++) {
		id = got[1 + i];
		ASSERT_LE(0, id);
		ASSERT_GT(32, id);
		EXPECT_EQ(0, seen & (1ULL << id));
		seen |= 1ULL << id;
	}
	while ((ret = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT)) == 10) {
		id = msg_id(buf, 10);
		ASSERT_LE(0, id);
		ASSERT_GT(32, id);
		EXPECT_EQ(0, seen & (1ULL << id));
		seen |= 1ULL << id;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(put_ok, seen);
	EXPECT_EQ(0, waiters(ch, false));
	munmap(got, 4096);
	kipc_channel_close(ch);
}

TEST_F(cu, invalid)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(4, 32, 100);
	char in[64], big[128], *ro;
	struct iovec iov = { in, sizeof(in) }, bad[2];
	struct kipc_uring_batch b;
	struct kipc_sync *s;
	int fd, sfd, dev, shm;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 1, 3, 0, 0));
	sfd = kipc_sync_fd(s);
	dev = kt_dev();
	ASSERT_LE(0, dev);
	shm = kt_shm(dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, shm);

	/* Unknown operations; reserved bits. */
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, fd, 20, (uintptr_t)&iov));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, fd, 0, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET | (1U << 12),
				   (uintptr_t)&iov));
	/* Another type's operation, and ours on other types. */
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_SEM_ACQUIRE, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_EVENT_SET, 0));
	EXPECT_EQ(-EINVAL, raw_cmd(r, sfd, KIPC_URING_CHANNEL_GET,
				   (uintptr_t)&iov));
	EXPECT_EQ(-EINVAL, raw_cmd(r, sfd, KIPC_URING_CHANNEL_PUT_MANY,
				   (uintptr_t)&b));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(r, shm, KIPC_URING_CHANNEL_PUT,
				       (uintptr_t)&iov));
	EXPECT_EQ(1, kipc_sem_value(s));

	/* Bad addresses: of the iovec, the batch, the array, the buffers. */
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT, 0));
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET, 8));
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY, 0));
	kipc_uring_batch_init(&b, NULL, 1);
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT_MANY,
				   (uintptr_t)&b));
	bad[0] = (struct iovec){ (void *)8, 5 };
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT,
				   (uintptr_t)&bad[0]));
	kipc_uring_batch_init(&b, bad, 1);
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT_MANY,
				   (uintptr_t)&b));
	EXPECT_EQ(0, stat_of(ch, 0));

	/* Batch fields: count 0 or too many, flags, reserved. */
	kipc_uring_batch_init(&b, &iov, 0);
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY,
				   (uintptr_t)&b));
	kipc_uring_batch_init(&b, &iov, KIPC_URING_BATCH_MAX + 1);
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY,
				   (uintptr_t)&b));
	kipc_uring_batch_init(&b, &iov, 1);
	b.flags = 1;
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT_MANY,
				   (uintptr_t)&b));
	kipc_uring_batch_init(&b, &iov, 1);
	b.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT_MANY,
				   (uintptr_t)&b));
	EXPECT_EQ(0, stat_of(ch, 0));

	/* Larger than max_msg (100): EMSGSIZE, nothing put. */
	memset(big, 'b', sizeof(big));
	bad[0] = (struct iovec){ big, 101 };
	EXPECT_EQ(-EMSGSIZE, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT,
				     (uintptr_t)&bad[0]));
	bad[0].iov_len = ~0UL;
	EXPECT_EQ(-EMSGSIZE, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT,
				     (uintptr_t)&bad[0]));
	EXPECT_EQ(0, stat_of(ch, 0));

	/* A get that cannot deliver leaves the message in the channel. */
	ASSERT_EQ(0, kipc_channel_put(ch, big, 40, KIPC_NOWAIT));
	bad[0] = (struct iovec){ in, 39 };
	EXPECT_EQ(-EMSGSIZE, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET,
				     (uintptr_t)&bad[0]));
	kipc_uring_batch_init(&b, bad, 1);
	EXPECT_EQ(-EMSGSIZE, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY,
				     (uintptr_t)&b));
	bad[0] = (struct iovec){ (void *)8, 64 };
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET,
				   (uintptr_t)&bad[0]));
	/* GET_MANY cannot store the length (read-only array): EFAULT. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	((struct iovec *)ro)[0] = (struct iovec){ in, sizeof(in) };
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	kipc_uring_batch_init(&b, (struct iovec *)ro, 1);
	EXPECT_EQ(-EFAULT, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY,
				   (uintptr_t)&b));
	munmap(ro, 4096);
	EXPECT_EQ(1, stat_of(ch, 0));
	/* A batch whose second buffer is bad gets the first message only. */
	ASSERT_EQ(0, kipc_channel_put(ch, big, 41, KIPC_NOWAIT));
	bad[0] = (struct iovec){ in, sizeof(in) };
	bad[1] = (struct iovec){ (void *)8, 64 };
	kipc_uring_batch_init(&b, bad, 2);
	EXPECT_EQ(1, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY, (uintptr_t)&b));
	EXPECT_EQ(40, bad[0].iov_len);
	EXPECT_EQ(64, bad[1].iov_len);
	EXPECT_EQ(41, kipc_channel_get(ch, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ(0, stat_of(ch, 0));

	close(shm);
	close(dev);
	kipc_sync_close(s);
	kipc_channel_close(ch);
}

/* Messages larger than a slot, through kernel buffers, both ways. */
TEST_F(cu, large)
{
	struct io_uring *r = &self->ring;
	struct kipc_channel *ch = kt_chan_new(4, 64, 256 << 10);
	const size_t len = 100000;
	char *out = malloc(len), *in = malloc(256 << 10);
	struct iovec oiov = { out, len }, iiov = { in, 256 << 10 }, mixed[2];
	struct kipc_uring_batch b;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	fd = kipc_channel_fd(ch);
	msg_fill(out, len, 7);

	kipc_prep_channel_put(io_uring_get_sqe(r), fd, &oiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(1, stat_of(ch, 1));
	/* Too small a buffer: the message stays, and so does its buffer. */
	iiov.iov_len = len - 1;
	EXPECT_EQ(-EMSGSIZE, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET,
				     (uintptr_t)&iiov));
	EXPECT_EQ(1, stat_of(ch, 1));
	iiov.iov_len = 256 << 10;
	EXPECT_EQ((int)len, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET,
				    (uintptr_t)&iiov));
	EXPECT_EQ(7, msg_id(in, len));
	EXPECT_EQ(0, stat_of(ch, 1));

	/* A pending get completed by a large put from another process. */
	kipc_prep_channel_get(io_uring_get_sqe(r), fd, &iiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	usleep(50000);
	EXPECT_TRUE(kt_none_ready(r));
	pid = fork();
	if (!pid) {
		msg_fill(out, len, 9);
		_exit(kipc_channel_put(ch, out, len, KIPC_NO_DEADLINE) ? 1 : 0);
	}
	EXPECT_EQ((int)len, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(9, msg_id(in, len));
	EXPECT_EQ(0, kt_reap(pid));

	/* Batches mix inline and large messages. */
	mixed[0] = (struct iovec){ out, 20 };
	mixed[1] = (struct iovec){ out, len };
	msg_fill(out, len, 7);
	kipc_uring_batch_init(&b, mixed, 2);
	EXPECT_EQ(2, raw_cmd(r, fd, KIPC_URING_CHANNEL_PUT_MANY, (uintptr_t)&b));
	mixed[0] = (struct iovec){ in, 256 << 10 };
	mixed[1] = (struct iovec){ in + 100, (256 << 10) - 100 };
	EXPECT_EQ(2, raw_cmd(r, fd, KIPC_URING_CHANNEL_GET_MANY, (uintptr_t)&b));
	EXPECT_EQ(20, mixed[0].iov_len);
	EXPECT_EQ(len, mixed[1].iov_len);
	EXPECT_EQ(7, msg_id(in + 100, len));
	EXPECT_EQ(0, memcmp(in, out, 8));
	EXPECT_EQ(0, stat_of(ch, 1));
	EXPECT_EQ(0, stat_of(ch, 0));
	free(out);
	free(in);
	kipc_channel_close(ch);
}

/*
 * A process killed with gets and puts pending exits promptly; its
 * commands are completed without touching the channels (the fixture then
 * sees the objects released, the VM runner unloads the module).
 */
TEST_F(cu, killed_submitter)
{
	struct kipc_channel *a = kt_chan_new(4, 32, 0);
	struct kipc_channel *full = kt_chan_new(2, 32, 0);
	int p[2], afd, ffd;
	char buf[32];
	__u64 t0;
	pid_t pid;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, full);
	afd = kipc_channel_fd(a);
	ffd = kipc_channel_fd(full);
	ASSERT_EQ(0, kipc_channel_put(full, "one", 3, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(full, "two", 3, KIPC_NOWAIT));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (!pid) {
		static char in[4][32];
		struct iovec iov = { "pending", 7 }, g[3];
		struct kipc_uring_batch b;
		struct io_uring ring2;
		int i;

		if (io_uring_queue_init(16, &ring2, 0))
			_exit(1);
		for (i = 0; i < 3; i++)
			kipc_prep_channel_put(io_uring_get_sqe(&ring2), ffd, &iov,
					      KIPC_URING_NO_DEADLINE);
		for (i = 0; i < 3; i++) {
			g[i] = (struct iovec){ in[i], 32 };
			kipc_prep_channel_get(io_uring_get_sqe(&ring2), afd, &g[i],
					      kt_in_ns(60000 * MSEC));
		}
		kipc_uring_batch_init(&b, &iov, 1);
		kipc_prep_channel_put_many(io_uring_get_sqe(&ring2), ffd, &b,
					   KIPC_URING_NO_DEADLINE);
		if (io_uring_submit(&ring2) != 7)
			_exit(1);
		/* Only the test's own references: drop ours. */
		kipc_channel_close(a);
		kipc_channel_close(full);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], buf, 1));
	close(p[0]);
	EXPECT_EQ(0, waiters_become(a, true, 3));
	EXPECT_EQ(0, waiters_become(full, false, 4));
	t0 = kt_now_ns();
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_GT(t0 + 5000 * MSEC, kt_now_ns());
	EXPECT_EQ(0, waiters_become(a, true, 0));
	EXPECT_EQ(0, waiters_become(full, false, 0));
	/* Nothing was put by the dead commands, nothing taken. */
	EXPECT_EQ(0, kipc_channel_put(a, "mine", 4, KIPC_NOWAIT));
	EXPECT_EQ(4, kipc_channel_get(a, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(3, kipc_channel_get(full, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	EXPECT_EQ(3, kipc_channel_get(full, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(full, buf, sizeof(buf), KIPC_NOWAIT));
	kipc_channel_close(a);
	kipc_channel_close(full);
}

/* Closing a ring with commands pending: the driver completes them. */
TEST_F(cu, ring_closed)
{
	struct kipc_channel *ch = kt_chan_new(4, 32, 0);
	static char in[4][32];
	struct io_uring ring2;
	struct iovec g[4];
	char buf[32];
	int fd, i;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, 0));
	for (i = 0; i < 4; i++) {
		g[i] = (struct iovec){ in[i], 32 };
		kipc_prep_channel_get(io_uring_get_sqe(&ring2), fd, &g[i],
				      KIPC_URING_NO_DEADLINE);
	}
	ASSERT_EQ(4, io_uring_submit(&ring2));
	EXPECT_EQ(0, waiters_become(ch, true, 4));
	io_uring_queue_exit(&ring2);
	EXPECT_EQ(0, waiters_become(ch, true, 0));
	/* No dead command takes a message put afterwards. */
	EXPECT_EQ(0, kipc_channel_put(ch, "kept", 4, KIPC_NO_DEADLINE));
	usleep(20000);
	EXPECT_EQ(4, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	kipc_channel_close(ch);
}

/*
 * Pipe ends: a command acts on the ring of its end. A get pending on end 0
 * reads ring 1, so it must count itself in ring 1's waiter word, or end 1's
 * fast-path put (which enters the kernel only for counted waiters) would
 * never complete it. Then end of stream and EPIPE, and one-way EBADF.
 */
TEST_F(cu, pipe_ends)
{
	struct kipc_channel_params p = { .capacity = 2, .slot_size = 64 };
	struct io_uring *r = &self->ring;
	char in[64] = "", out[8] = "pong";
	struct iovec iiov = { in, sizeof(in) }, oiov = { out, 4 };
	struct io_uring_sqe *sqe;
	struct kipc_channel *a, *b;
	__u64 data;
	int fds[2];

	ASSERT_EQ(0, kipc_pipe_create(&p, KIPC_PIPE_DUPLEX, fds));
	ASSERT_EQ(0, kipc_channel_attach(fds[0], &a));
	ASSERT_EQ(0, kipc_channel_attach(fds[1], &b));

	kipc_prep_channel_get(io_uring_get_sqe(r), fds[0], &iiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, waiters_become(a, true, 1));	/* ring 1's word */
	EXPECT_TRUE(kt_none_ready(r));
	EXPECT_EQ(0, kipc_channel_put(b, "ping", 4, KIPC_NOWAIT));
	EXPECT_EQ(4, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(0, memcmp(in, "ping", 4));

	/* A command put on end 1 reaches end 0's get, and the reverse. */
	sqe = io_uring_get_sqe(r);
	ASSERT_NE(NULL, sqe);
	kipc_prep_channel_put(sqe, fds[1], &oiov, KIPC_URING_NO_DEADLINE);
	io_uring_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, kt_next_res(r, 20000, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(4, kipc_channel_get(a, in, sizeof(in), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(in, "pong", 4));

	/* End 1 goes: a pending get on end 0 ends the stream, a put EPIPE. */
	kipc_prep_channel_get(io_uring_get_sqe(r), fds[0], &iiov,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(r));
	EXPECT_EQ(0, waiters_become(a, true, 1));
	EXPECT_TRUE(kt_none_ready(r));
	kipc_channel_close(b);
	EXPECT_EQ(-ENODATA, kt_next_res(r, 20000, NULL));
	EXPECT_EQ(-EPIPE, raw_cmd(r, fds[0], KIPC_URING_CHANNEL_PUT,
				  (uintptr_t)&oiov));
	kipc_channel_close(a);

	/* One-way: end 0 only gets, end 1 only puts. */
	ASSERT_EQ(0, kipc_pipe_create(&p, 0, fds));
	EXPECT_EQ(-EBADF, raw_cmd(r, fds[0], KIPC_URING_CHANNEL_PUT,
				  (uintptr_t)&oiov));
	EXPECT_EQ(-EBADF, raw_cmd(r, fds[1], KIPC_URING_CHANNEL_GET,
				  (uintptr_t)&iiov));
	EXPECT_EQ(0, raw_cmd(r, fds[1], KIPC_URING_CHANNEL_PUT,
			     (uintptr_t)&oiov));
	EXPECT_EQ(4, raw_cmd(r, fds[0], KIPC_URING_CHANNEL_GET,
			     (uintptr_t)&iiov));
	close(fds[0]);
	close(fds[1]);
}

/*
 * SQPOLL: the SQ thread issues every SQE of its rings in turn, so a put of
 * a large message (a kernel buffer allocated and filled) must not run
 * there: it goes to io-wq, and the NOP submitted after it completes first.
 * The message arrives intact; a small put stays inline.
 */
TEST_F(cu, sqpoll_large_put)
{
	const size_t len = 8 << 20;
	struct kipc_channel *ch = kt_chan_new(4, 64, len);
	char *out = malloc(len), *in = malloc(len);
	struct iovec oiov = { out, len }, small = { "small", 5 };
	struct io_uring_sqe *sqe;
	struct io_uring ring2;
	__u64 first = 0, second = 0;
	int fd, res1, res2;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	fd = kipc_channel_fd(ch);
	msg_fill(out, len, 11);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL));
	sqe = io_uring_get_sqe(&ring2);
	kipc_prep_channel_put(sqe, fd, &oiov, KIPC_URING_NO_DEADLINE);
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(&ring2);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&ring2));
	res1 = kt_next_res(&ring2, 20000, &first);
	res2 = kt_next_res(&ring2, 20000, &second);
	EXPECT_EQ(0, res1);
	EXPECT_EQ(0, res2);
	/* The NOP did not wait for the copy. */
	EXPECT_EQ(2, first);
	EXPECT_EQ(1, second);
	EXPECT_EQ((ssize_t)len, kipc_channel_get(ch, in, len, KIPC_NOWAIT));
	EXPECT_EQ(11, msg_id(in, len));

	kipc_prep_channel_put(io_uring_get_sqe(&ring2), fd, &small,
			      KIPC_URING_NO_DEADLINE);
	ASSERT_EQ(1, io_uring_submit(&ring2));
	EXPECT_EQ(0, kt_next_res(&ring2, 20000, NULL));
	EXPECT_EQ(5, kipc_channel_get(ch, in, len, KIPC_NOWAIT));
	io_uring_queue_exit(&ring2);
	free(out);
	free(in);
	kipc_channel_close(ch);
}

/*
 * A large get punted to io-wq by the SQ thread still waits, and completes
 * when a message arrives; a deadline still ends another one.
 */
TEST_F(cu, sqpoll_large_get_pending)
{
	const size_t len = 1 << 20;
	struct kipc_channel *ch = kt_chan_new(4, 64, len);
	char *in = malloc(len), *in2 = malloc(len);
	struct iovec g = { in, len }, g2 = { in2, len };
	struct io_uring_sqe *sqe;
	struct io_uring ring2;
	__u64 data = 0;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, in2);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, IORING_SETUP_SQPOLL));
	sqe = io_uring_get_sqe(&ring2);
	kipc_prep_channel_get(sqe, kipc_channel_fd(ch), &g,
			      KIPC_URING_NO_DEADLINE);
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(&ring2);
	kipc_prep_channel_get(sqe, kipc_channel_fd(ch), &g2,
			      kt_in_ns(300 * MSEC));
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&ring2));
	EXPECT_EQ(0, waiters_become(ch, true, 2));
	EXPECT_EQ(-ETIMEDOUT, kt_next_res(&ring2, 20000, &data));
	EXPECT_EQ(2, data);
	EXPECT_EQ(0, kipc_channel_put(ch, "hello", 5, KIPC_NOWAIT));
	EXPECT_EQ(5, kt_next_res(&ring2, 20000, &data));
	EXPECT_EQ(1, data);
	EXPECT_EQ(0, memcmp(in, "hello", 5));
	EXPECT_EQ(0, waiters_become(ch, true, 0));
	io_uring_queue_exit(&ring2);
	free(in);
	free(in2);
	kipc_channel_close(ch);
}

TEST_HARNESS_MAIN
