// SPDX-License-Identifier: GPL-2.0-only
/*
 * Futex-like waits on words of an object's memory: EAGAIN, wake counts,
 * keys, deadlines, signals, validation, and waiter words kept by the
 * kernel even when a sleeper is killed.
 */

#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define WORD		0	/* offsets in the object */
#define WORD2		64
#define WAITERS		4
#define NONE		KIPC_WAITERS_NONE

FIXTURE(wait) {
	int dev, fd;
	volatile __u32 *mem;
};

FIXTURE_SETUP(wait)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->fd = kt_shm(self->dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(wait)
{
	munmap((void *)self->mem, 4096);
	close(self->fd);
	close(self->dev);
}

/* Wait until the waiter word shows @n sleepers (bounded). */
static int wait_for_sleepers(volatile __u32 *waiters, __u32 n)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if ((*waiters & ~KIPC_WAITERS_POLL) == n)
			return 0;
		usleep(1000);
	}
	fprintf(stderr, "# expected %u sleepers, the waiter word is %#x\n", n, *waiters);
	return -1;
}

/* A child that sleeps on @offset and exits with its result (negated). */
static pid_t sleeper(int fd, __u64 offset, __u32 expected)
{
	pid_t pid = fork();

	if (!pid)
		_exit(-kt_wait(fd, offset, WAITERS, expected, 0));
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(wait, eagain_when_word_differs)
{
	self->mem[0] = 5;
	EXPECT_EQ(-EAGAIN, kt_wait(self->fd, WORD, WAITERS, 4, 0));
	EXPECT_EQ(0, self->mem[1]);
}

TEST_F(wait, deadline)
{
	__u64 start = kt_now_ns();

	EXPECT_EQ(-ETIMEDOUT, kt_wait(self->fd, WORD, WAITERS, 0,
				      start + 50 * 1000000ULL));
	EXPECT_LE(start + 50 * 1000000ULL, kt_now_ns());
	EXPECT_EQ(0, self->mem[1]);
	/* A deadline in the past still checks the word first. */
	self->mem[0] = 1;
	EXPECT_EQ(-EAGAIN, kt_wait(self->fd, WORD, WAITERS, 0, 1));
	self->mem[0] = 0;
	EXPECT_EQ(-ETIMEDOUT, kt_wait(self->fd, WORD, WAITERS, 0, 1));
}

TEST_F(wait, wake_nobody)
{
	EXPECT_EQ(0, kt_wake(self->fd, WORD, WAITERS, 1));
	EXPECT_EQ(0, kt_wake(self->fd, WORD, NONE, 100));
}

TEST_F(wait, wake_one_sleeper)
{
	pid_t pid = sleeper(self->fd, WORD, 0);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	self->mem[0] = 1;
	EXPECT_EQ(1, kt_wake(self->fd, WORD, WAITERS, 1));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, self->mem[1]);
}

TEST_F(wait, wake_count_is_exact)
{
	pid_t pids[3];
	int i;

	for (i = 0; i < 3; i++) {
		pids[i] = sleeper(self->fd, WORD, 0);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 3));
	EXPECT_EQ(1, kt_wake(self->fd, WORD, WAITERS, 1));
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 2));
	EXPECT_EQ(2, kt_wake(self->fd, WORD, WAITERS, 5));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, reap(pids[i]));
	EXPECT_EQ(0, self->mem[1]);
}

TEST_F(wait, wake_only_matching_word)
{
	pid_t pid = sleeper(self->fd, WORD2, 0);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	EXPECT_EQ(0, kt_wake(self->fd, WORD, WAITERS, 10));
	EXPECT_EQ(1, kt_wake(self->fd, WORD2, WAITERS, 10));
	EXPECT_EQ(0, reap(pid));
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST_F(wait, signal_interrupts)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pid_t pid;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	pid = sleeper(self->fd, WORD, 0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	kill(pid, SIGUSR1);
	EXPECT_EQ(EINTR, reap(pid));
	EXPECT_EQ(0, self->mem[1]);
}

TEST_F(wait, signal_with_restart_keeps_waiting)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pid_t pid;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	pid = sleeper(self->fd, WORD, 0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	kill(pid, SIGUSR1);
	/* Restarted: it sleeps again and is still counted. */
	usleep(100000);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	self->mem[0] = 1;
	EXPECT_EQ(1, kt_wake(self->fd, WORD, WAITERS, 1));
	EXPECT_EQ(0, reap(pid));
}

TEST_F(wait, killed_sleeper_is_uncounted)
{
	pid_t pid = sleeper(self->fd, WORD, 0);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_for_sleepers(&self->mem[1], 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(-1, reap(pid));
	EXPECT_EQ(0, self->mem[1]);
	EXPECT_EQ(0, kt_wake(self->fd, WORD, WAITERS, 1));
}

TEST_F(wait, rejects_bad_input)
{
	struct kipc_wait w = { .waiters_offset = NONE };
	struct kipc_wake k = { .waiters_offset = NONE, .count = 1 };

	EXPECT_EQ(-EINVAL, kt_wait(self->fd, 2, NONE, 0, 1));
	EXPECT_EQ(-EINVAL, kt_wait(self->fd, 4096, NONE, 0, 1));
	EXPECT_EQ(-EINVAL, kt_wait(self->fd, 4093, NONE, 0, 1));
	EXPECT_EQ(-EINVAL, kt_wait(self->fd, ~0ULL - 3, NONE, 0, 1));
	EXPECT_EQ(-EINVAL, kt_wait(self->fd, WORD, 4096, 0, 1));
	EXPECT_EQ(-EINVAL, kt_wait(self->fd, WORD, 6, 0, 1));
	EXPECT_EQ(-ETIMEDOUT, kt_wait(self->fd, 4092, 4088, 0, 1));

	w.flags = 2;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
	w.flags = 0;
	w.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, NULL));

	EXPECT_EQ(-EINVAL, kt_wake(self->fd, WORD, NONE, 0));
	EXPECT_EQ(-EINVAL, kt_wake(self->fd, 4096, NONE, 1));
	EXPECT_EQ(-EINVAL, kt_wake(self->fd, WORD, 4094, 1));
	k.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAKE, &k));
	k.flags = 0;
	k.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAKE, &k));
}

/* A deadline is valid only with its flag: without, it is refused. */
TEST_F(wait, deadline_without_flag_rejected)
{
	struct kipc_wait w = {
		.offset = WORD, .waiters_offset = NONE, .expected = 4,
		.deadline_ns = 1,
	};

	/* The word differs: a driver that ignored the deadline says EAGAIN. */
	self->mem[0] = 5;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
	w.deadline_ns = ~0ULL;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
	w.flags = KIPC_WAIT_DEADLINE;
	EXPECT_EQ(-EAGAIN, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
	/* The flag with deadline 0: long past. */
	w.deadline_ns = 0;
	w.expected = 5;
	EXPECT_EQ(-ETIMEDOUT, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_WAIT, &w));
}

/* Many rounds of a two-process hand-off: no wake-up is ever lost. */
TEST_F(wait, ping_pong_never_loses_a_wakeup)
{
	volatile __u32 *turn = &self->mem[0], *waiters = &self->mem[1];
	int rounds = 2000, i;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < rounds; i++) {
			while (__atomic_load_n(turn, __ATOMIC_SEQ_CST) != 1)
				kt_wait(self->fd, WORD, WAITERS, 0, 0);
			__atomic_store_n(turn, 0, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST))
				kt_wake(self->fd, WORD, WAITERS, 1);
		}
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		__atomic_store_n(turn, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST))
			kt_wake(self->fd, WORD, WAITERS, 1);
		while (__atomic_load_n(turn, __ATOMIC_SEQ_CST) != 0)
			kt_wait(self->fd, WORD, WAITERS, 1, 0);
	}
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, *waiters);
}

TEST_HARNESS_MAIN
