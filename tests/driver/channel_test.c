// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channels: creation and validation, names (also across users), the
 * per-user limit, put/get
 * (blocking, non-blocking, timed, interrupted), batches, zero-copy claims,
 * the wake protocol, recovery after a process dies holding a claim, fork,
 * hostile scribbles over the ring, fdinfo, an MPMC stress across processes
 * and SIGKILL at random instants with exact accounting.
 * KIPC_TEST_SCALE=N divides iteration counts and durations by N.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <libipc.h>
#include <kipc/ring.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

#define LIMIT_PATH	"/sys/module/kipc/parameters/max_user_bytes"

static void chan_args(struct kipc_create *a, __u32 cap, __u32 slot, __u64 max)
{
	memset(a, 0, sizeof(*a));
	a->type = KIPC_TYPE_CHANNEL;
	a->params.channel.capacity = cap;
	a->params.channel.slot_size = slot;
	a->params.channel.max_msg = max;
}

/* A channel's fd or -errno. */
static int chan_fd(int dev, __u32 cap, __u32 slot, __u64 max)
{
	struct kipc_create a;

	chan_args(&a, cap, slot, max);
	return kt_ioctl_fd(dev, KIPC_IOC_CREATE, &a);
}

static struct kipc_channel_stats stats(struct kipc_channel *ch)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

static int wait_for(struct kipc_channel *ch, bool get, __u32 n)
{
	int i;

	for (i = 0; i < 20000; i++) {
		struct kipc_channel_stats st = stats(ch);

		if ((get ? st.get_waiters : st.put_waiters) == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

FIXTURE(chan) {
	int dev;
	long objects, names;
};

FIXTURE_SETUP(chan)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
}

FIXTURE_TEARDOWN(chan)
{
	close(self->dev);
	EXPECT_EQ(self->objects, kt_objects());
	EXPECT_EQ(self->names, kt_names());
}

TEST_F(chan, create_and_validate)
{
	struct kipc_create a;
	struct kipc_info info;
	int fd;

	fd = chan_fd(self->dev, 4, 64, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_EQ(0, kipc_object_info(fd, &info));
	EXPECT_EQ(KIPC_TYPE_CHANNEL, info.type);
	EXPECT_EQ(4, info.params.channel.capacity);
	EXPECT_EQ(64, info.params.channel.slot_size);
	EXPECT_EQ((__u64)getpagesize(), info.size);
	EXPECT_EQ(4, kt_fdinfo(fd, "kipc-capacity"));
	EXPECT_EQ(64, kt_fdinfo(fd, "kipc-max-msg"));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-queued"));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-dropped"));
	EXPECT_EQ(0, kt_fdinfo(fd, "kipc-get-waiters"));
	close(fd);

	/* Geometry, sizes, flags and reserved fields. */
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 0, 64, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 3, 64, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, KIPC_CHANNEL_MAX_CAPACITY * 2, 64, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 4, 0, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 4, 60, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 4, KIPC_CHANNEL_MAX_SLOT + 8, 0));
	EXPECT_EQ(-EINVAL, chan_fd(self->dev, 4, 64, KIPC_CHANNEL_MAX_MSG + 1));
	/* Messages larger than a slot: tests/driver/channel_large_test.c. */
	fd = chan_fd(self->dev, 4, 64, 65);
	EXPECT_LE(0, fd);
	close(fd);
	chan_args(&a, 4, 64, 0);
	a.params.channel.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &a));
	chan_args(&a, 4, 64, 0);
	a.params.channel.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &a));
	chan_args(&a, 4, 64, 0);
	a.params.channel.reserved[4] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &a));

	/* Largest geometry: beyond the default per-user limit. */
	EXPECT_EQ(-EDQUOT, chan_fd(self->dev, KIPC_CHANNEL_MAX_CAPACITY,
				   KIPC_CHANNEL_MAX_SLOT, 0));
}

TEST_F(chan, per_user_limit)
{
	char old[32] = "";
	FILE *f = fopen(LIMIT_PATH, "r");
	int fd;

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, "65536"));
	fd = chan_fd(self->dev, 256, 448, 0);	/* 128 KiB */
	EXPECT_EQ(-EDQUOT, fd);
	if (fd >= 0)
		close(fd);
	fd = chan_fd(self->dev, 16, 48, 0);
	EXPECT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, old));
}

TEST_F(chan, names)
{
	struct kipc_channel_params p = { .capacity = 2, .slot_size = 8 };
	struct kipc_channel *a, *b;
	int fd, fd2;
	char buf[8];

	fd = kipc_channel_create("kt-chan", &p, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(self->names + 1, kt_names());
	EXPECT_EQ(-EEXIST, kipc_channel_create("kt-chan", &p, KIPC_CREATE_EXCL, 0600));
	EXPECT_EQ(-EINVAL, kipc_shm_open("kt-chan"));
	fd2 = kipc_channel_open("kt-chan");
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kipc_channel_attach(fd, &a));
	ASSERT_EQ(0, kipc_channel_attach(fd2, &b));
	EXPECT_EQ(0, kipc_channel_put(a, "hi", 2, KIPC_NOWAIT));
	EXPECT_EQ(2, kipc_channel_get(b, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	EXPECT_EQ(0, kipc_channel_unlink("kt-chan"));
	EXPECT_EQ(-ENOENT, kipc_channel_open("kt-chan"));
	kipc_channel_close(a);
	kipc_channel_close(b);
}

/* As uid/gid 1000: what a second user gets from the named channels. */
static int other_user_opens(void)
{
	struct kipc_channel *ch;
	int fd;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
	    setresuid(1000, 1000, 1000))
		return 10;
	if (kipc_channel_open("kt-chan-private") != -EACCES)
		return 11;
	if (kipc_channel_unlink("kt-chan-shared") != -EACCES)
		return 12;
	if (kipc_channel_open("kt-chan-missing") != -ENOENT)
		return 13;
	fd = kipc_channel_open("kt-chan-shared");
	if (fd < 0 || kipc_channel_attach(fd, &ch))
		return 14;
	if (kipc_channel_put(ch, "from 1000", 9, KIPC_NOWAIT))
		return 15;
	kipc_channel_close(ch);
	return 0;
}

TEST_F(chan, names_across_users)
{
	struct kipc_channel_params p = { .capacity = 2, .slot_size = 16 };
	mode_t old = umask(0);	/* the mode is filtered by the umask */
	struct kipc_channel *ch;
	int status, priv, shared;
	char buf[16];
	pid_t pid;

	priv = kipc_channel_create("kt-chan-private", &p, KIPC_CREATE_EXCL, 0600);
	shared = kipc_channel_create("kt-chan-shared", &p, KIPC_CREATE_EXCL, 0666);
	umask(old);
	ASSERT_LE(0, priv);
	ASSERT_LE(0, shared);
	ASSERT_EQ(0, kipc_channel_attach(shared, &ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user_opens());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(9, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(buf, "from 1000", 9));
	EXPECT_EQ(0, kipc_channel_unlink("kt-chan-private"));
	EXPECT_EQ(0, kipc_channel_unlink("kt-chan-shared"));
	kipc_channel_close(ch);
	close(priv);
}

TEST_F(chan, put_get_sizes_and_errors)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, 0);
	char in[64], out[64];
	int len, i;

	ASSERT_NE(NULL, ch);
	EXPECT_EQ(64, kipc_channel_max_msg(ch));
	for (i = 0; i < 64; i++)
		in[i] = i * 3 + 1;
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, out, sizeof(out), KIPC_NOWAIT));
	for (len = 0; len <= 64; len++) {
		ASSERT_EQ(0, kipc_channel_put(ch, in, len, KIPC_NO_DEADLINE));
		memset(out, 0, sizeof(out));
		ASSERT_EQ(len, kipc_channel_get(ch, out, sizeof(out), KIPC_NO_DEADLINE));
		ASSERT_EQ(0, memcmp(in, out, len));
	}
	EXPECT_EQ(-EMSGSIZE, kipc_channel_put(ch, in, 65, KIPC_NOWAIT));

	/* A buffer too small leaves the message in place. */
	ASSERT_EQ(0, kipc_channel_put(ch, in, 10, KIPC_NOWAIT));
	EXPECT_EQ(-EMSGSIZE, kipc_channel_get(ch, out, 9, KIPC_NOWAIT));
	EXPECT_EQ(10, kipc_channel_get(ch, out, 10, KIPC_NOWAIT));

	/* Full: non-blocking and timed. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, &i, sizeof(i), KIPC_NOWAIT));
	EXPECT_EQ(4, stats(ch).queued);
	EXPECT_EQ(4, kt_fdinfo(kipc_channel_fd(ch), "kipc-queued"));
	EXPECT_EQ(-EAGAIN, kipc_channel_put(ch, in, 1, KIPC_NOWAIT));
	EXPECT_EQ(-ETIMEDOUT, kipc_channel_put(ch, in, 1, kt_now_ns() + 20000000));
	EXPECT_EQ(-ETIMEDOUT, kipc_channel_put(ch, in, 1, 1));
	for (i = 0; i < 4; i++) {
		int v = -1;

		ASSERT_EQ(sizeof(v), kipc_channel_get(ch, &v, sizeof(v), KIPC_NOWAIT));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(-ETIMEDOUT, kipc_channel_get(ch, out, 64, kt_now_ns() + 20000000));
	/* Nobody slept for long: the waiter words are back to zero. */
	EXPECT_EQ(0, stats(ch).get_waiters);
	EXPECT_EQ(0, stats(ch).put_waiters);
	kipc_channel_close(ch);
}

TEST_F(chan, ioctl_validation)
{
	struct kipc_channel_wait w = { .op = KIPC_CHANNEL_GET };
	struct kipc_channel_wake k = { .ops = KIPC_CHANNEL_WAKE_GET };
	struct kipc_channel_stats st;
	int fd = chan_fd(self->dev, 2, 8, 0);

	ASSERT_LE(0, fd);
	w.op = 2;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.op = KIPC_CHANNEL_GET;
	w.flags = 2;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.flags = 0;
	w.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.pad = 0;
	w.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.reserved[1] = 0;
	/* seq differs from put_seq (0): no need to sleep. */
	w.seq = 5;
	EXPECT_EQ(-EAGAIN, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.seq = 0;
	w.flags = KIPC_WAIT_DEADLINE;
	w.deadline_ns = kt_now_ns() + 10000000;
	EXPECT_EQ(-ETIMEDOUT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	w.op = KIPC_CHANNEL_PUT;
	EXPECT_EQ(-EAGAIN, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w));
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, NULL));

	EXPECT_EQ(0, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAKE, &k));
	k.ops = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAKE, &k));
	k.ops = 4;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAKE, &k));
	k.ops = 1;
	k.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAKE, &k));

	memset(&st, 0, sizeof(st));
	st.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_STATS, &st));
	EXPECT_EQ(-ENOTTY, kt_ioctl_fd(fd, _IO('k', 0xaf), NULL));
	close(fd);
}

TEST_F(chan, blocking_wakeups_across_processes)
{
	struct kipc_channel *ch = kt_chan_new(1, 8, 0);
	pid_t pid;
	int v = 0;

	ASSERT_NE(NULL, ch);
	/* A consumer asleep on an empty ring is woken by a put. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int x = 0;

		_exit(kipc_channel_get(ch, &x, sizeof(x), KIPC_NO_DEADLINE) ==
		      sizeof(x) && x == 42 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_for(ch, true, 1));
	EXPECT_EQ(1, kt_fdinfo(kipc_channel_fd(ch), "kipc-get-waiters"));
	v = 42;
	ASSERT_EQ(0, kipc_channel_put(ch, &v, sizeof(v), KIPC_NOWAIT));
	EXPECT_EQ(0, kt_reap(pid));
	EXPECT_EQ(0, stats(ch).get_waiters);

	/* A producer asleep on a full ring is woken by a get. */
	ASSERT_EQ(0, kipc_channel_put(ch, &v, sizeof(v), KIPC_NOWAIT));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int x = 43;

		_exit(kipc_channel_put(ch, &x, sizeof(x), KIPC_NO_DEADLINE));
	}
	ASSERT_EQ(0, wait_for(ch, false, 1));
	ASSERT_EQ(sizeof(v), kipc_channel_get(ch, &v, sizeof(v), KIPC_NOWAIT));
	EXPECT_EQ(42, v);
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(sizeof(v), kipc_channel_get(ch, &v, sizeof(v), KIPC_NOWAIT));
	EXPECT_EQ(43, v);
	kipc_channel_close(ch);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(chan, signals_interrupt)
{
	struct kipc_channel *ch = kt_chan_new(2, 8, 0);
	struct sigaction sa = { .sa_handler = on_alarm };
	char buf[8];
	pid_t pid;

	ASSERT_NE(NULL, ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
		_exit(-kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE));
	}
	ASSERT_EQ(0, wait_for(ch, true, 1));
	kill(pid, SIGUSR1);
	EXPECT_EQ(EINTR, kt_reap(pid));

	/* With SA_RESTART the sleep goes on; a timeout still ends it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		_exit(-kipc_channel_get(ch, buf, sizeof(buf),
					kt_now_ns() + 2000000000ULL));
	}
	ASSERT_EQ(0, wait_for(ch, true, 1));
	kill(pid, SIGUSR1);
	EXPECT_EQ(ETIMEDOUT, kt_reap(pid));
	EXPECT_EQ(0, stats(ch).get_waiters);
	kipc_channel_close(ch);
}

TEST_F(chan, batches)
{
	struct kipc_channel *ch = kt_chan_new(8, 16, 0);
	int vals[10], outv[10], i;
	struct iovec iov[10];

	ASSERT_NE(NULL, ch);
	for (i = 0; i < 10; i++) {
		vals[i] = i + 100;
		iov[i].iov_base = &vals[i];
		iov[i].iov_len = sizeof(int);
	}
	EXPECT_EQ(8, kipc_channel_put_many(ch, iov, 10, KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, kipc_channel_put_many(ch, iov, 1, KIPC_NOWAIT));
	for (i = 0; i < 10; i++) {
		iov[i].iov_base = &outv[i];
		iov[i].iov_len = sizeof(int);
	}
	EXPECT_EQ(3, kipc_channel_get_many(ch, iov, 3, KIPC_NOWAIT));
	EXPECT_EQ(5, kipc_channel_get_many(ch, iov + 3, 7, KIPC_NOWAIT));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(100 + i, outv[i]);
		EXPECT_EQ(sizeof(int), iov[i].iov_len);
	}
	EXPECT_EQ(-EAGAIN, kipc_channel_get_many(ch, iov, 2, KIPC_NOWAIT));
	EXPECT_EQ(0, kipc_channel_get_many(ch, iov, 0, KIPC_NOWAIT));
	kipc_channel_close(ch);
}

TEST_F(chan, claim_commit_abort)
{
	struct kipc_channel *ch = kt_chan_new(2, 32, 0);
	struct kipc_channel_claim c, g;
	char buf[32];

	ASSERT_NE(NULL, ch);
	ASSERT_EQ(0, kipc_channel_put_claim(ch, 32, &c, KIPC_NOWAIT));
	memcpy(c.data, "zero-copy", 9);
	c.len = 9;
	ASSERT_EQ(0, kipc_channel_put_commit(ch, &c));
	EXPECT_EQ(-EMSGSIZE, kipc_channel_put_claim(ch, 33, &c, KIPC_NOWAIT));

	ASSERT_EQ(0, kipc_channel_put_claim(ch, 4, &c, KIPC_NOWAIT));
	/* Claimed but unpublished: nothing to get behind the first. */
	ASSERT_EQ(0, kipc_channel_get_claim(ch, &g, KIPC_NOWAIT));
	EXPECT_EQ(9, g.len);
	EXPECT_EQ(0, memcmp(g.data, "zero-copy", 9));
	EXPECT_EQ(0, kipc_channel_get_release(ch, &g));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	EXPECT_EQ(0, kipc_channel_put_abort(ch, &c));
	EXPECT_EQ(-ESTALE, kipc_channel_put_abort(ch, &c));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	/* The aborted position is skipped. */
	ASSERT_EQ(0, kipc_channel_put(ch, "x", 1, KIPC_NOWAIT));
	EXPECT_EQ(1, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	kipc_channel_close(ch);
}

/* A child that claims and then dies (SIGKILL) holding the claim. */
TEST_F(chan, recovery_of_dead_claims)
{
	struct kipc_channel *ch = kt_chan_new(2, 16, 0);
	struct kipc_channel_claim c;
	int fd, v = 7, i;
	char buf[16];
	pid_t pid;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	/* Producer dies between claim and commit: the claim is discarded. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_put_claim(ch, 4, &c, KIPC_NOWAIT))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(1, kt_fdinfo(fd, "kipc-discarded"));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, &i, sizeof(i), KIPC_NOWAIT));
	/* Consumer dies holding a message: dropped and counted. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_get_claim(ch, &c, KIPC_NOWAIT))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(1, kt_fdinfo(fd, "kipc-dropped"));
	EXPECT_EQ(1, stats(ch).dropped);
	ASSERT_EQ(sizeof(v), kipc_channel_get(ch, &v, sizeof(v), KIPC_NOWAIT));
	EXPECT_EQ(1, v);
	/* A producer asleep on the full ring is woken by the recovery. */
	ASSERT_EQ(0, kipc_channel_put(ch, &v, sizeof(v), KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(ch, &v, sizeof(v), KIPC_NOWAIT));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_get_claim(ch, &c, KIPC_NOWAIT))
			_exit(1);
		pause();
		_exit(2);
	}
	usleep(100000);
	i = fork();
	ASSERT_LE(0, i);
	if (!i)
		_exit(-kipc_channel_put(ch, &v, sizeof(v), KIPC_NO_DEADLINE));
	ASSERT_EQ(0, wait_for(ch, false, 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(0, kt_reap(i));
	EXPECT_EQ(2, kt_fdinfo(fd, "kipc-dropped"));
	kipc_channel_close(ch);
}

TEST_F(chan, fork_gets_its_own_owner_id)
{
	struct kipc_channel *ch = kt_chan_new(2, 8, 0);
	struct kipc_channel_claim c;
	int parent_id;
	pid_t pid;

	ASSERT_NE(NULL, ch);
	ASSERT_EQ(0, kipc_channel_put_claim(ch, 1, &c, KIPC_NOWAIT));
	parent_id = c.owner;
	ASSERT_EQ(0, kipc_channel_put_abort(ch, &c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_put_claim(ch, 1, &c, KIPC_NOWAIT))
			_exit(1);
		if ((int)c.owner == parent_id)
			_exit(2);
		/* Dies holding it: only its claim may be undone. */
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(1, stats(ch).discarded);
	ASSERT_EQ(0, kipc_channel_put_claim(ch, 1, &c, KIPC_NOWAIT));
	EXPECT_EQ(parent_id, (int)c.owner);
	EXPECT_EQ(0, kipc_channel_put_commit(ch, &c));
	kipc_channel_close(ch);
}

/* Garbage over the ring: errors, never a hang, fault or splat. */
TEST_F(chan, hostile_scribbles)
{
	struct kipc_channel *ch = kt_chan_new(4, 32, 0);
	struct kipc_channel_wait w = { .op = KIPC_CHANNEL_GET };
	int fd, round, i, ret;
	size_t size;
	char buf[64];
	__u8 *mem;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	size = kipc_ring_bytes(4, 32);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	srand(1);
	for (round = 0; round < 200; round++) {
		if (round % 2) {
			for (i = 0; i < (int)size; i++)
				mem[i] = rand();
		} else {
			/* Plausible-looking: states with odd positions. */
			for (i = 0; i < 4; i++) {
				__u64 *st = (__u64 *)(mem + 256 + i * 64);

				*st = ((__u64)(rand() % 64) << 18) | (rand() % 4) << 16 |
				      (rand() % 3);
				((__u32 *)st)[2] = rand() % 128;
				((__u32 *)st)[3] = rand() % 4;
			}
			*(__u64 *)(mem + 64) = rand() % 64;
			*(__u64 *)(mem + 128) = rand() % 64;
		}
		ret = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT);
		EXPECT_TRUE(ret >= 0 || ret == -EAGAIN || ret == -EIO ||
			    ret == -EBADMSG || ret == -EMSGSIZE)
			TH_LOG("get %d", ret);
		ret = kipc_channel_put(ch, buf, 8, KIPC_NOWAIT);
		EXPECT_TRUE(ret == 0 || ret == -EAGAIN || ret == -EIO)
			TH_LOG("put %d", ret);
		ret = read(fd, buf, sizeof(buf));
		EXPECT_TRUE(ret >= 0 || errno == EAGAIN || errno == EIO ||
			    errno == EBADMSG || errno == EMSGSIZE)
			TH_LOG("read %d", errno);
		/* The kernel's wait never sleeps for ever on garbage. */
		w.seq = *(__u32 *)(mem + KIPC_CHANNEL_OFF_PUT_SEQ);
		w.flags = KIPC_WAIT_DEADLINE;
		w.deadline_ns = kt_now_ns() + 1000000;
		ret = kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_WAIT, &w);
		EXPECT_TRUE(ret == 0 || ret == -EAGAIN || ret == -ETIMEDOUT);
		kt_fdinfo(fd, "kipc-queued");
		stats(ch);
	}
	/* Waiter words scribbled too: closing must still be clean. */
	munmap(mem, size);
	kipc_channel_close(ch);
}

/* --- MPMC across processes ---------------------------------------------- */

#define NPROD	4
#define NCONS	4
#define MAXSEQ	20000

struct tmsg {
	__u32 producer;
	__u32 seq;
	__u32 len;
	__u32 check;
};

static __u32 msg_fill(__u8 *buf, __u32 slot, __u32 producer, __u32 seq)
{
	struct tmsg m = { producer, seq, 0, 0 };
	__u32 len = sizeof(m) + (seq * 7 + producer) % (slot - sizeof(m) + 1);
	__u32 i;

	m.len = len;
	m.check = producer * 2654435761U ^ seq;
	memcpy(buf, &m, sizeof(m));
	for (i = sizeof(m); i < len; i++)
		buf[i] = (__u8)(seq + i + producer);
	return len;
}

static int msg_check(const __u8 *buf, __u32 len, struct tmsg *m)
{
	__u32 i;

	if (len < sizeof(*m))
		return -1;
	memcpy(m, buf, sizeof(*m));
	if (m->len != len || m->check != (m->producer * 2654435761U ^ m->seq))
		return -1;
	for (i = sizeof(*m); i < len; i++)
		if (buf[i] != (__u8)(m->seq + i + m->producer))
			return -1;
	return 0;
}

struct mpmc_shared {
	__u8 recv[NPROD][MAXSEQ];
};

static int mpmc_consumer(struct kipc_channel *ch, struct mpmc_shared *sh)
{
	__u32 last[NPROD];
	__u8 buf[64];
	struct tmsg m;
	int i, n;

	memset(last, 0xff, sizeof(last));
	for (i = 0;; i++) {
		struct kipc_channel_claim c;

		if (i % 2) {
			n = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE);
			if (n < 0)
				return 10;
		} else {
			if (kipc_channel_get_claim(ch, &c, KIPC_NO_DEADLINE))
				return 11;
			n = c.len;
			memcpy(buf, c.data, n);
			kipc_channel_get_release(ch, &c);
		}
		if (n == 0)
			return 0;	/* the end */
		if (msg_check(buf, n, &m) || m.producer >= NPROD || m.seq >= MAXSEQ)
			return 12;
		if (last[m.producer] != ~0U && m.seq <= last[m.producer])
			return 13;	/* FIFO per producer */
		last[m.producer] = m.seq;
		__atomic_fetch_add(&sh->recv[m.producer][m.seq], 1, __ATOMIC_SEQ_CST);
	}
}

static int mpmc_producer(struct kipc_channel *ch, __u32 p, __u32 n)
{
	__u8 buf[64];
	__u32 seq;

	for (seq = 0; seq < n; seq++) {
		__u32 len = msg_fill(buf, 48, p, seq);

		if (seq % 3 == 2) {
			struct kipc_channel_claim c;

			if (kipc_channel_put_claim(ch, len, &c, KIPC_NO_DEADLINE))
				return 20;
			memcpy(c.data, buf, len);
			if (kipc_channel_put_commit(ch, &c))
				return 21;
		} else if (kipc_channel_put(ch, buf, len, KIPC_NO_DEADLINE)) {
			return 22;
		}
	}
	return 0;
}

TEST_F(chan, mpmc_4x4_processes)
{
	struct kipc_channel *ch = kt_chan_new(8, 48, 0);
	__u32 n = kt_scaled(4000), p, s;
	pid_t pids[NPROD + NCONS];
	struct mpmc_shared *sh;
	int i;

	ASSERT_NE(NULL, ch);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	for (i = 0; i < NPROD + NCONS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(i < NPROD ? mpmc_producer(ch, i, n) :
			      mpmc_consumer(ch, sh));
	}
	for (i = 0; i < NPROD; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	for (i = 0; i < NCONS; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, NULL, 0, KIPC_NO_DEADLINE));
	for (i = NPROD; i < NPROD + NCONS; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	for (p = 0; p < NPROD; p++)
		for (s = 0; s < n; s++)
			ASSERT_EQ(1, sh->recv[p][s]) TH_LOG("%u/%u", p, s);
	EXPECT_EQ(0, stats(ch).queued);
	EXPECT_EQ(0, stats(ch).get_waiters);
	EXPECT_EQ(0, stats(ch).put_waiters);
	EXPECT_EQ(0, stats(ch).dropped);
	munmap(sh, sizeof(*sh));
	kipc_channel_close(ch);
}

/* --- SIGKILL at random instants --------------------------------------- */

#define CHAOS_INST	512
#define CHAOS_SEQS	4096

struct chaos_journal {
	__u32 committed;	/* producer: seqs below this are committed */
	__u32 cstate;		/* consumer: 1 counting, 2 counted */
};

struct chaos_shared {
	int drain;
	struct chaos_journal j[CHAOS_INST];
	__u8 recv[CHAOS_INST][CHAOS_SEQS];
};

static int chaos_producer(struct kipc_channel *ch, struct chaos_shared *sh,
			  __u32 inst)
{
	__u8 buf[64];
	__u32 seq;

	for (seq = 0; seq < CHAOS_SEQS; seq++) {
		__u32 len = msg_fill(buf, 48, inst, seq);

		if (seq % 2) {
			struct kipc_channel_claim c;

			if (kipc_channel_put_claim(ch, len, &c, KIPC_NO_DEADLINE))
				return 1;
			memcpy(c.data, buf, len);
			if (seq % 16 == 1) {
				/* An abort: the same seq is sent again. */
				if (kipc_channel_put_abort(ch, &c))
					return 2;
				if (kipc_channel_put(ch, buf, len, KIPC_NO_DEADLINE))
					return 3;
			} else if (kipc_channel_put_commit(ch, &c)) {
				return 4;
			}
		} else if (kipc_channel_put(ch, buf, len, KIPC_NO_DEADLINE)) {
			return 5;
		}
		__atomic_store_n(&sh->j[inst].committed, seq + 1, __ATOMIC_RELEASE);
	}
	pause();
	return 0;
}

static int chaos_consumer(struct kipc_channel *ch, struct chaos_shared *sh,
			  __u32 inst)
{
	struct chaos_journal *j = &sh->j[inst];

	for (;;) {
		struct kipc_channel_claim c;
		struct tmsg m;
		int ret;

		ret = kipc_channel_get_claim(ch, &c, __atomic_load_n(&sh->drain,
			__ATOMIC_ACQUIRE) ? KIPC_NOWAIT : kt_now_ns() + 50000000);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return 1;
		if (msg_check(c.data, c.len, &m) || m.producer >= CHAOS_INST ||
		    m.seq >= CHAOS_SEQS)
			return 2;
		/* Counted while the claim is held, journaled around it. */
		__atomic_store_n(&j->cstate, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&sh->recv[m.producer][m.seq], 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&j->cstate, 2, __ATOMIC_SEQ_CST);
		kipc_channel_get_release(ch, &c);
		__atomic_store_n(&j->cstate, 0, __ATOMIC_SEQ_CST);
	}
}

TEST_F(chan, kill9_at_random_instants)
{
	struct kipc_channel *ch = kt_chan_new(16, 48, 0);
	long dropped = 0, held_counted = 0, maybe = 0, missing = 0;
	pid_t pids[6];
	__u32 insts[6], next = 0, inst, seq;
	struct chaos_shared *sh;
	__u64 end;
	int k, fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	srand(getpid());
	for (k = 0; k < 6; k++) {
		insts[k] = next++;
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k])
			_exit(k < 3 ? chaos_producer(ch, sh, insts[k]) :
			      chaos_consumer(ch, sh, insts[k]));
	}
	end = kt_now_ns() + (__u64)kt_scaled(4000) * 1000000;
	while (kt_now_ns() < end && next < CHAOS_INST) {
		long before = stats(ch).dropped, after;
		__u32 cstate;

		usleep(rand() % 20000);
		k = rand() % 6;
		kill(pids[k], SIGKILL);
		ASSERT_EQ(128 + SIGKILL, kt_reap(pids[k]));
		/* The mapping is gone, so recovery has run. */
		after = stats(ch).dropped;
		cstate = sh->j[insts[k]].cstate;
		if (k < 3) {
			ASSERT_EQ(before, after);
		} else {
			ASSERT_GE(1, after - before);
			if (after > before && cstate == 2)
				held_counted++;
			else if (after > before && cstate == 1)
				maybe++;
		}
		dropped += after - before;
		insts[k] = next++;
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k])
			_exit(k < 3 ? chaos_producer(ch, sh, insts[k]) :
			      chaos_consumer(ch, sh, insts[k]));
	}
	/* Producers stop (killed while idle or busy: both are fine)... */
	for (k = 0; k < 3; k++) {
		kill(pids[k], SIGKILL);
		ASSERT_EQ(128 + SIGKILL, kt_reap(pids[k]));
	}
	/* ...consumers drain the ring and leave. */
	__atomic_store_n(&sh->drain, 1, __ATOMIC_RELEASE);
	for (k = 3; k < 6; k++)
		ASSERT_EQ(0, kt_reap(pids[k]));
	EXPECT_EQ(0, stats(ch).queued);
	EXPECT_EQ(dropped, stats(ch).dropped);
	EXPECT_EQ(dropped, kt_fdinfo(fd, "kipc-dropped"));

	for (inst = 0; inst < next; inst++) {
		__u32 committed = sh->j[inst].committed;

		for (seq = 0; seq < CHAOS_SEQS; seq++) {
			__u8 n = sh->recv[inst][seq];

			ASSERT_GE(1, n) TH_LOG("%u/%u duplicated", inst, seq);
			if (seq > committed)
				ASSERT_EQ(0, n) TH_LOG("%u/%u phantom", inst, seq);
			if (seq < committed && !n)
				missing++;
		}
	}
	/* Every message lost is one a dead consumer held, and vice versa. */
	EXPECT_LE(missing + held_counted, dropped);
	EXPECT_GE(missing + held_counted + maybe, dropped);
	TH_LOG("instances %u dropped %ld missing %ld discarded %lld", next,
	       dropped, missing, (long long)stats(ch).discarded);
	munmap(sh, sizeof(*sh));
	kipc_channel_close(ch);
}

TEST_HARNESS_MAIN
