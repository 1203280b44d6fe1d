// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control device /dev/kipc: open, API handshake, strict validation,
 * unknown commands, and that opens and closes leak nothing.
 * Runs inside the test VM with kipc.ko loaded.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define OPEN_FILES_PATH	SYSFS_KIPC "open_files"
#define REFCNT_PATH	"/sys/module/kipc/refcnt"

static int api_ioctl(int fd, struct kipc_api *api)
{
	return ioctl(fd, KIPC_IOC_API, api) ? errno : 0;
}

static void api_init(struct kipc_api *api)
{
	memset(api, 0, sizeof(*api));
	api->version = KIPC_API_VERSION;
}

TEST(device_node)
{
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	/* The control device is not a stream: seeking is refused. */
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(0, close(fd));
}

TEST(api_handshake)
{
	struct kipc_api api;
	unsigned int i;
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	api_init(&api);
	ASSERT_EQ(0, api_ioctl(fd, &api));
	EXPECT_EQ(KIPC_API_VERSION, api.version);
	EXPECT_EQ(0, api.flags);
	/* Only defined bits; shared memory is always there. */
	EXPECT_EQ(0, api.features & ~(KIPC_FEATURE_SHM | KIPC_FEATURE_CHANNEL |
				      KIPC_FEATURE_SYNC | KIPC_FEATURE_URING_CMD |
				      KIPC_FEATURE_WATCH | KIPC_FEATURE_LIST));
	EXPECT_TRUE(api.features & KIPC_FEATURE_SHM);
	for (i = 0; i < sizeof(api.reserved) / sizeof(api.reserved[0]); i++)
		EXPECT_EQ(0, api.reserved[i]);

	/* A caller built for a newer ABI still learns the driver's version. */
	api_init(&api);
	api.version = KIPC_API_VERSION + 7;
	ASSERT_EQ(0, api_ioctl(fd, &api));
	EXPECT_EQ(KIPC_API_VERSION, api.version);
	close(fd);
}

TEST(api_rejects_bad_input)
{
	struct kipc_api api;
	unsigned int i;
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);

	api_init(&api);
	api.version = 0;
	EXPECT_EQ(EINVAL, api_ioctl(fd, &api));

	api_init(&api);
	api.flags = 1;
	EXPECT_EQ(EINVAL, api_ioctl(fd, &api));

	api_init(&api);
	api.flags = 0x80000000u;
	EXPECT_EQ(EINVAL, api_ioctl(fd, &api));

	api_init(&api);
	api.features = 1;
	EXPECT_EQ(EINVAL, api_ioctl(fd, &api));

	for (i = 0; i < sizeof(api.reserved) / sizeof(api.reserved[0]); i++) {
		api_init(&api);
		api.reserved[i] = 1ULL << 63;
		EXPECT_EQ(EINVAL, api_ioctl(fd, &api));
		/* A rejected call writes nothing back. */
		EXPECT_EQ(KIPC_API_VERSION, api.version);
		EXPECT_EQ(1ULL << 63, api.reserved[i]);
	}

	EXPECT_EQ(EFAULT, api_ioctl(fd, NULL));
	EXPECT_EQ(EFAULT, api_ioctl(fd, (struct kipc_api *)8));
	close(fd);
}

TEST(unknown_ioctl)
{
	struct kipc_api api;
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	api_init(&api);
	/* Unused numbers in our range, the API number with the wrong size or
	 * direction, and another driver's command.
	 */
	EXPECT_EQ(-1, ioctl(fd, _IOWR(KIPC_IOC_MAGIC, 0xbf, struct kipc_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(KIPC_IOC_MAGIC, 0x80, __u64), &api));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOR(KIPC_IOC_MAGIC, 0x80, struct kipc_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO('N', 0x80), 0));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(read_write_refused)
{
	char buf[8] = "";
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(lib_dev_open)
{
	struct kipc_api api;
	int fd;

	memset(&api, 0xff, sizeof(api));
	fd = kipc_dev_open(&api);
	ASSERT_LE(0, fd);
	EXPECT_EQ(KIPC_API_VERSION, api.version);
	EXPECT_TRUE(api.features & KIPC_FEATURE_SHM);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);

	fd = kipc_dev_open(NULL);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST(module_pinned_while_open)
{
	long before = kt_read_long(REFCNT_PATH);
	int fd;

	ASSERT_LE(0, before);
	fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(before + 1, kt_read_long(REFCNT_PATH));
	/* Unloading must be refused while a file is open. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "kipc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
	EXPECT_EQ(before, kt_read_long(REFCNT_PATH));
}

/* Many opens at once, closed by close(), by exit and across fork. */
TEST(open_close_storm)
{
	enum { ROUNDS = 20, BATCH = 200, CHILDREN = 4 };
	long base = kt_read_long(OPEN_FILES_PATH);
	int fds[BATCH];
	int r, i, status;

	ASSERT_LE(0, base);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < BATCH; i++) {
			fds[i] = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, fds[i]);
		}
		ASSERT_EQ(base + BATCH, kt_read_long(OPEN_FILES_PATH));
		for (i = 0; i < BATCH; i++)
			ASSERT_EQ(0, close(fds[i]));
		ASSERT_EQ(base, kt_read_long(OPEN_FILES_PATH));
	}

	/* Children inherit a descriptor, open their own and exit without
	 * closing: the kernel must release every one.
	 */
	fds[0] = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	for (i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			for (r = 1; r < BATCH; r++)
				if (open(KIPC_DEVICE_PATH, O_RDWR) < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < CHILDREN; i++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fds[0]);
	EXPECT_EQ(base, kt_read_long(OPEN_FILES_PATH));
}

TEST_HARNESS_MAIN
