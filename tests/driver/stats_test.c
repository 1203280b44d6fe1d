// SPDX-License-Identifier: GPL-2.0-only
/*
 * KIPC_OBJ_IOC_STAT: a known sequence of operations gives exact
 * statistics for channels, pipes and the synchronisation objects, and the
 * query is validated field by field.
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>

#include <libipc.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

static void query(struct kipc_stat_query *q, struct kipc_stat *st)
{
	memset(q, 0, sizeof(*q));
	q->version = KIPC_STAT_VERSION;
	q->stat = (uintptr_t)st;
}

/* 0 or -errno. */
static int obj_stat(int fd, struct kipc_stat *st)
{
	struct kipc_stat_query q;

	query(&q, st);
	memset(st, 0xa5, sizeof(*st));
	return kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q);
}

/* Poll until the statistics report @n sleepers on @fd. */
static int sleepers_reach(int fd, __u32 n)
{
	struct kipc_stat st;
	int i;

	for (i = 0; i < 20000; i++) {
		if (!obj_stat(fd, &st) && st.sleepers == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

FIXTURE(stats) {
	long objects;
};

FIXTURE_SETUP(stats)
{
	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
}

FIXTURE_TEARDOWN(stats)
{
	EXPECT_EQ(self->objects, kt_objects());
}

TEST_F(stats, channel_counts)
{
	struct kipc_channel *ch = kt_chan_new(8, 64, 4096);
	struct kipc_channel_large a;
	struct kipc_channel_claim c;
	static char big[1000];
	char buf[64] = "";
	struct kipc_stat st;
	struct kipc_ring_stat *r = &st.u.ring[0];
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(KIPC_TYPE_CHANNEL, st.type);
	EXPECT_EQ(0, r->queued);
	EXPECT_EQ(st.size, st.kmem);
	EXPECT_EQ(8, st.params.channel.capacity);

	ASSERT_EQ(0, kipc_channel_put(ch, buf, 10, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 20, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 30, KIPC_NOWAIT));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(3, r->queued);
	EXPECT_EQ(60, r->queued_bytes);
	EXPECT_EQ(3, r->puts);
	EXPECT_EQ(0, r->gets);
	EXPECT_EQ(0, r->buffers);
	EXPECT_EQ(0, r->closed);
	EXPECT_EQ(0, r->pad);

	ASSERT_EQ(10, kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(2, r->queued);
	EXPECT_EQ(50, r->queued_bytes);
	EXPECT_EQ(3, r->puts);
	EXPECT_EQ(1, r->gets);

	/* A large message: a kernel buffer, charged as kmem. */
	memset(&a, 0, sizeof(a));
	a.data = (uintptr_t)big;
	a.len = sizeof(big);
	ASSERT_EQ(sizeof(big), kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(3, r->queued);
	EXPECT_EQ(50 + sizeof(big), r->queued_bytes);
	EXPECT_EQ(1, r->buffers);
	EXPECT_EQ(sizeof(big), r->buffer_bytes);
	EXPECT_EQ(st.size + sizeof(big), st.kmem);

	/* A producer killed between claim and commit. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_put_claim(ch, 4, &c, KIPC_NOWAIT))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(1, r->discarded);
	EXPECT_EQ(0, r->dropped);
	EXPECT_EQ(1, r->recoveries);
	kipc_channel_close(ch);
}

TEST_F(stats, pipe_rings)
{
	struct kipc_channel_params p = { .capacity = 4, .slot_size = 64 };
	struct kipc_stat st;
	int fds[2];

	/* One-way: end 1 puts into ring 0, end 0 gets from it. */
	ASSERT_EQ(0, kipc_pipe_create(&p, 0, fds));
	ASSERT_EQ(5, write(fds[1], "hello", 5));
	ASSERT_EQ(0, obj_stat(fds[0], &st));
	EXPECT_EQ(KIPC_TYPE_PIPE, st.type);
	EXPECT_EQ(1, st.u.ring[0].queued);
	EXPECT_EQ(5, st.u.ring[0].queued_bytes);
	EXPECT_EQ(0, st.u.ring[0].closed);
	EXPECT_EQ(0, st.u.ring[1].queued);
	EXPECT_EQ(0, st.u.ring[1].puts);
	close(fds[1]);
	ASSERT_EQ(0, obj_stat(fds[0], &st));
	EXPECT_EQ(KIPC_CHANNEL_CLOSED_WRITER, st.u.ring[0].closed);
	close(fds[0]);

	/* Duplex: end e puts into ring e. */
	ASSERT_EQ(0, kipc_pipe_create(&p, KIPC_PIPE_DUPLEX, fds));
	ASSERT_EQ(1, write(fds[0], "a", 1));
	ASSERT_EQ(2, write(fds[1], "bb", 2));
	ASSERT_EQ(3, write(fds[1], "ccc", 3));
	ASSERT_EQ(0, obj_stat(fds[1], &st));
	EXPECT_EQ(1, st.u.ring[0].queued);
	EXPECT_EQ(1, st.u.ring[0].queued_bytes);
	EXPECT_EQ(2, st.u.ring[1].queued);
	EXPECT_EQ(5, st.u.ring[1].queued_bytes);
	EXPECT_EQ(2, st.u.ring[1].puts);
	close(fds[1]);
	ASSERT_EQ(0, obj_stat(fds[0], &st));
	EXPECT_EQ(KIPC_CHANNEL_CLOSED_READER, st.u.ring[0].closed);
	EXPECT_EQ(KIPC_CHANNEL_CLOSED_WRITER, st.u.ring[1].closed);
	close(fds[0]);
}

TEST_F(stats, lock_owner_died)
{
	struct kipc_sync *l;
	struct kipc_stat st;
	pid_t pid;
	int ret;

	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(l), &st));
	EXPECT_EQ(0, st.u.sync.value);
	EXPECT_EQ(0, st.u.sync.holder);
	EXPECT_EQ(0, st.u.sync.owner_died);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_lock_acquire(l, KIPC_NO_DEADLINE))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(l), &st));
	EXPECT_EQ(1, st.u.sync.owner_died);
	EXPECT_EQ(1, st.u.sync.recoveries);
	EXPECT_EQ(KIPC_SYNC_STAT_DIED, st.u.sync.flags);
	EXPECT_EQ(0, st.u.sync.holder);
	EXPECT_EQ(0, st.u.sync.value);

	ret = kipc_lock_acquire(l, KIPC_NO_DEADLINE);
	EXPECT_TRUE(ret == -EOWNERDEAD || ret == 0);
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(l), &st));
	EXPECT_EQ(1, st.u.sync.value);
	EXPECT_EQ(kipc_sync_owner_id(l), st.u.sync.holder);
	EXPECT_EQ(0, st.u.sync.flags);
	if (ret == -EOWNERDEAD)
		EXPECT_EQ(0, kipc_lock_consistent(l));
	EXPECT_EQ(0, kipc_lock_release(l));
	kipc_sync_close(l);
}

TEST_F(stats, semaphore_and_event)
{
	struct kipc_sync *s, *e;
	struct kipc_stat st;

	ASSERT_EQ(0, kipc_semaphore_create(&s, NULL, 3, 0, 0, 0));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(s), &st));
	EXPECT_EQ(KIPC_TYPE_SEMAPHORE, st.type);
	EXPECT_EQ(3, st.u.sync.value);
	ASSERT_EQ(0, kipc_sem_try_acquire(s));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(s), &st));
	EXPECT_EQ(2, st.u.sync.value);
	EXPECT_EQ(0, st.u.sync.holder);
	kipc_sync_close(s);

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(e), &st));
	EXPECT_EQ(0, st.u.sync.flags);
	EXPECT_EQ(0, st.u.sync.value);
	ASSERT_EQ(0, kipc_event_set(e));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(e), &st));
	EXPECT_EQ(KIPC_SYNC_STAT_SET, st.u.sync.flags);
	EXPECT_EQ(1, st.u.sync.value);
	kipc_sync_close(e);
}

TEST_F(stats, barrier_waiting_and_broken)
{
	struct kipc_sync *b;
	struct kipc_stat st;
	int fd, i;
	pid_t pid;

	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 3, 0, 0));
	fd = kipc_sync_fd(b);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-kipc_barrier_wait(b, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, sleepers_reach(fd, 1));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(1, st.u.sync.value);
	EXPECT_EQ(1, st.u.sync.waiters);
	EXPECT_EQ(0, st.u.sync.flags);
	ASSERT_EQ(0, kipc_barrier_abort(b));
	i = kt_reap(pid);
	EXPECT_NE(0, i);
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(KIPC_SYNC_STAT_BROKEN, st.u.sync.flags);
	EXPECT_EQ(0, st.u.sync.waiters);
	kipc_sync_close(b);
}

TEST_F(stats, condition_waiters)
{
	struct kipc_sync *c, *l;
	struct kipc_stat st;
	pid_t pid;

	ASSERT_EQ(0, kipc_cond_create(&c, NULL, 0, 0, 0));
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_lock_acquire(l, KIPC_NO_DEADLINE))
			_exit(1);
		if (kipc_cond_wait(c, l, KIPC_NO_DEADLINE))
			_exit(2);
		_exit(kipc_lock_release(l) ? 3 : 0);
	}
	ASSERT_EQ(0, sleepers_reach(kipc_sync_fd(c), 1));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(c), &st));
	EXPECT_EQ(KIPC_TYPE_CONDITION, st.type);
	EXPECT_EQ(1, st.u.sync.value);
	EXPECT_EQ(1, st.u.sync.waiters);
	ASSERT_EQ(0, kipc_lock_acquire(l, KIPC_NO_DEADLINE));
	EXPECT_EQ(1, kipc_cond_notify(c, l, 1));
	ASSERT_EQ(0, kipc_lock_release(l));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, obj_stat(kipc_sync_fd(c), &st));
	EXPECT_EQ(0, st.u.sync.value);
	kipc_sync_close(l);
	kipc_sync_close(c);
}

TEST_F(stats, waits_and_wakes)
{
	struct kipc_sync *e;
	struct kipc_stat st;
	pid_t pid;
	int fd;

	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	fd = kipc_sync_fd(e);
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(0, st.waits);
	EXPECT_EQ(0, st.wakes);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-kipc_event_wait(e, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, sleepers_reach(fd, 1));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(1, st.waits);
	EXPECT_EQ(0, st.wakes);
	EXPECT_EQ(1, st.u.sync.waiters);
	ASSERT_EQ(0, kipc_event_set(e));
	EXPECT_EQ(0, kt_reap(pid));
	ASSERT_EQ(0, obj_stat(fd, &st));
	EXPECT_EQ(1, st.waits);
	EXPECT_EQ(1, st.wakes);
	EXPECT_EQ(0, st.sleepers);
	kipc_sync_close(e);
}

TEST_F(stats, query_validation)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, 0);
	struct kipc_stat_query q;
	struct kipc_stat st;
	char name[] = "x";
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	query(&q, &st);
	q.version = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.version = KIPC_STAT_VERSION + 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.id = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.name = (uintptr_t)name;
	q.name_len = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.name_len = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.stat = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	query(&q, &st);
	q.stat = 8;
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, NULL));
	query(&q, &st);
	EXPECT_EQ(0, kt_ioctl_fd(fd, KIPC_OBJ_IOC_STAT, &q));
	kipc_channel_close(ch);
}

TEST_HARNESS_MAIN
