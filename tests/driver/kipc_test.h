/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Thin wrappers for the driver's selftests: each returns 0 (or an fd or a
 * count) on success and the errno on failure, so that tests can compare
 * exact error codes.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kipc.h>

#include <libipc.h>

#define SYSFS_KIPC	"/sys/class/misc/kipc/"

static inline long kt_read_long(const char *path)
{
	char buf[32] = "";
	long val = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			val = strtol(buf, NULL, 10);
		fclose(f);
	}
	return val;
}

static inline int kt_write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return errno;
	ret = fputs(val, f) < 0 ? EIO : 0;
	return fclose(f) ? errno : ret;
}

static inline long kt_objects(void)
{
	return kt_read_long(SYSFS_KIPC "objects");
}

static inline long kt_names(void)
{
	return kt_read_long(SYSFS_KIPC "names");
}

static inline int kt_dev(void)
{
	return open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* Returns the new fd (>= 0) or -errno. */
static inline int kt_ioctl_fd(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline void kt_shm_args(struct kipc_create *args, const char *name,
			       __u64 size, __u32 flags, __u32 mode)
{
	memset(args, 0, sizeof(*args));
	args->type = KIPC_TYPE_SHM;
	args->flags = flags;
	args->mode = mode;
	args->params.shm.size = size;
	if (name) {
		args->name = (__u64)(unsigned long)name;
		args->name_len = strlen(name);
	}
}

/* A shared-memory object: its fd, or -errno. */
static inline int kt_shm(int dev, const char *name, __u64 size, __u32 flags,
			 __u32 mode)
{
	struct kipc_create args;

	kt_shm_args(&args, name, size, flags, mode);
	return kt_ioctl_fd(dev, KIPC_IOC_CREATE, &args);
}

static inline int kt_open(int dev, const char *name, __u32 type)
{
	struct kipc_open args = {
		.type = type,
		.name = (__u64)(unsigned long)name,
		.name_len = strlen(name),
	};

	return kt_ioctl_fd(dev, KIPC_IOC_OPEN, &args);
}

static inline int kt_unlink(int dev, const char *name)
{
	struct kipc_unlink args = {
		.name = (__u64)(unsigned long)name,
		.name_len = strlen(name),
	};

	return -kt_ioctl_fd(dev, KIPC_IOC_UNLINK, &args);
}

static inline __u64 kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* 0 or -errno; when @deadline_ns is 0 there is none. */
static inline int kt_wait(int fd, __u64 offset, __u64 waiters_offset,
			  __u32 expected, __u64 deadline_ns)
{
	struct kipc_wait args = {
		.offset = offset,
		.waiters_offset = waiters_offset,
		.expected = expected,
		.flags = deadline_ns ? KIPC_WAIT_DEADLINE : 0,
		.deadline_ns = deadline_ns,
	};

	return kt_ioctl_fd(fd, KIPC_OBJ_IOC_WAIT, &args);
}

/* The number woken, or -errno. */
static inline int kt_wake(int fd, __u64 offset, __u64 waiters_offset,
			  __u32 count)
{
	struct kipc_wake args = {
		.offset = offset,
		.waiters_offset = waiters_offset,
		.count = count,
	};

	return kt_ioctl_fd(fd, KIPC_OBJ_IOC_WAKE, &args);
}

/*
 * KIPC_TEST_SCALE=N (default 1) divides the iteration counts and durations
 * of the long tests by N, never below 1: make check's shorter pass on the
 * debug kernel. Python's tests read the same variable the same way.
 */
static inline int kt_scaled(int n)
{
	const char *s = getenv("KIPC_TEST_SCALE");
	int d = s ? atoi(s) : 1;

	n /= d > 0 ? d : 1;
	return n ? n : 1;
}

/* A CLOCK_MONOTONIC deadline @ns from now. */
static inline __u64 kt_in_ns(__u64 ns)
{
	return kt_now_ns() + ns;
}

/* Shared scratch memory for the processes of one test, or NULL. */
static inline void *kt_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A child's exit code; 128 + the signal if a signal killed it; -1. */
static inline int kt_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static inline void kt_kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* An anonymous channel, mapped; NULL on failure. */
/* Wait (bounded: 10 s) until the driver counts @n live objects; 0 or -1. */
static inline int kt_objects_back_to(long n)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (kt_objects() == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* The number after "@key:" in /proc/self/fdinfo/@fd, or -1. */
static inline long kt_fdinfo(int fd, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			val = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return val;
}

/* Wait (bounded: 30 s) until fdinfo @key of @fd reads @val; 0 or -1. */
static inline int kt_fdinfo_reaches(int fd, const char *key, long val)
{
	int i;

	for (i = 0; i < 30000; i++) {
		if (kt_fdinfo(fd, key) == val)
			return 0;
		usleep(1000);
	}
	return -1;
}

static inline struct kipc_channel *kt_chan_new(__u32 cap, __u32 slot,
					       __u64 max)
{
	struct kipc_channel_params p = {
		.capacity = cap, .slot_size = slot, .max_msg = max,
	};
	struct kipc_channel *ch = NULL;
	int fd = kipc_channel_create(NULL, &p, 0, 0);

	if (fd < 0)
		return NULL;
	if (kipc_channel_attach(fd, &ch)) {
		close(fd);
		return NULL;
	}
	return ch;
}

#endif /* KIPC_TEST_H */
