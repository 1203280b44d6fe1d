// SPDX-License-Identifier: MIT
/* Objects of any type: create, open, unlink, inspect, wait and wake. */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libipc.h"
#include "private.h"

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static int dev_fd = -1;

/*
 * The process-wide control descriptor. Opened once; a failure is not
 * remembered, so loading the module later is noticed.
 */
int kipc__dev(void)
{
	int fd = __atomic_load_n(&dev_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&dev_lock);
	fd = dev_fd;
	if (fd < 0) {
		fd = kipc_dev_open(NULL);
		if (fd >= 0)
			__atomic_store_n(&dev_fd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dev_lock);
	return fd;
}

int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int kipc__set_name(__u64 *uname, __u32 *len, const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strlen(name);
	if (!n)
		return -EINVAL;
	if (n > KIPC_NAME_MAX)
		return -ENAMETOOLONG;
	*uname = (__u64)(uintptr_t)name;
	*len = n;
	return 0;
}

int kipc_object_create(struct kipc_create *args)
{
	int dev = kipc__dev();

	return dev < 0 ? dev : kipc__ioctl(dev, KIPC_IOC_CREATE, args);
}

int kipc_object_open(const char *name, __u32 type, __u32 fd_flags)
{
	struct kipc_open args = { .type = type, .fd_flags = fd_flags };
	int dev, ret;

	ret = kipc__set_name(&args.name, &args.name_len, name);
	if (ret)
		return ret;
	dev = kipc__dev();
	return dev < 0 ? dev : kipc__ioctl(dev, KIPC_IOC_OPEN, &args);
}

int kipc_object_unlink(const char *name)
{
	struct kipc_unlink args = { 0 };
	int dev, ret;

	ret = kipc__set_name(&args.name, &args.name_len, name);
	if (ret)
		return ret;
	dev = kipc__dev();
	return dev < 0 ? dev : kipc__ioctl(dev, KIPC_IOC_UNLINK, &args);
}

int kipc_object_info(int fd, struct kipc_info *info)
{
	memset(info, 0, sizeof(*info));
	return kipc__ioctl(fd, KIPC_OBJ_IOC_INFO, info);
}

int kipc_object_stat(int fd, struct kipc_stat *st)
{
	struct kipc_stat_query q = {
		.version = KIPC_STAT_VERSION,
		.stat = (__u64)(uintptr_t)st,
	};

	return kipc__ioctl(fd, KIPC_OBJ_IOC_STAT, &q);
}

int kipc_object_map_id(int fd, const void *addr)
{
	struct kipc_map_id args = { .addr = (__u64)(uintptr_t)addr };
	int ret = kipc__ioctl(fd, KIPC_OBJ_IOC_MAP_ID, &args);

	return ret < 0 ? ret : (int)args.id;
}

int kipc_object_wait(int fd, __u64 offset, __u64 waiters_offset,
		     __u32 expected, __u64 deadline_ns)
{
	struct kipc_wait args = {
		.offset = offset,
		.waiters_offset = waiters_offset,
		.expected = expected,
	};

	if (deadline_ns != KIPC_NO_DEADLINE) {
		args.flags = KIPC_WAIT_DEADLINE;
		args.deadline_ns = deadline_ns;
	}
	return kipc__ioctl(fd, KIPC_OBJ_IOC_WAIT, &args);
}

int kipc_object_watch(int fd, __u64 offset, __u64 waiters_offset,
		      __u32 expected, __u32 fd_flags)
{
	struct kipc_watch args = {
		.offset = offset,
		.waiters_offset = waiters_offset,
		.expected = expected,
		.fd_flags = fd_flags,
	};

	return kipc__ioctl(fd, KIPC_OBJ_IOC_WATCH, &args);
}

int kipc_object_wake(int fd, __u64 offset, __u64 waiters_offset, __u32 count)
{
	struct kipc_wake args = {
		.offset = offset,
		.waiters_offset = waiters_offset,
		.count = count,
	};

	return kipc__ioctl(fd, KIPC_OBJ_IOC_WAKE, &args);
}
