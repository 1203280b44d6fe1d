// SPDX-License-Identifier: GPL-2.0-only
/*
 * libipc's device opening where no kipc driver answers: a missing device,
 * a device that is not kipc, an unreadable path. Runs on the host.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <libipc.h>

#include "kselftest_harness.h"

static int open_at(const char *path)
{
	int ret;

	setenv("KIPC_DEVICE", path, 1);
	ret = kipc_dev_open(NULL);
	unsetenv("KIPC_DEVICE");
	return ret;
}

TEST(missing_device_is_enoent)
{
	EXPECT_EQ(-ENOENT, open_at("/nonexistent/kipc"));
}

TEST(other_device_is_enodev)
{
	/* /dev/null answers every ioctl with ENOTTY. */
	EXPECT_EQ(-ENODEV, open_at("/dev/null"));
}

TEST(directory_is_eisdir)
{
	EXPECT_EQ(-EISDIR, open_at("/"));
}

TEST(no_descriptor_leaks_on_failure)
{
	int before = dup(0), after;

	ASSERT_LE(0, before);
	close(before);
	EXPECT_EQ(-ENODEV, open_at("/dev/null"));
	after = dup(0);
	EXPECT_EQ(before, after);
	close(after);
}

TEST(api_wrapper_returns_negative_errno)
{
	struct kipc_api api = { .version = KIPC_API_VERSION };
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, kipc_dev_api(fd, &api));
	EXPECT_EQ(-EBADF, kipc_dev_api(-1, &api));
	close(fd);
}

static int never_called(const struct kipc_stat *st, void *arg)
{
	(void)st;
	(void)arg;
	abort();
}

/* The control-device calls of KIPC_0.3 report a missing driver as the rest. */
TEST(stat_calls_without_a_device)
{
	struct kipc_stat st;
	struct kipc_usage u;
	struct kipc_holder h;
	uint64_t next = 7;
	uint32_t hidden = 7;

	setenv("KIPC_DEVICE", "/nonexistent/kipc", 1);
	EXPECT_EQ(-ENOENT, kipc_stat_id(1, &st));
	EXPECT_EQ(-ENOENT, kipc_stat_name("x", &st));
	EXPECT_EQ(-ENOENT, kipc_list(0, 0, &st, 1, &next, &hidden));
	EXPECT_EQ(7, next);		/* untouched on failure */
	EXPECT_EQ(-ENOENT, kipc_list_each(0, never_called, NULL, &hidden));
	EXPECT_EQ(0, hidden);
	EXPECT_EQ(-ENOENT, kipc_holders(1, &h, 1, NULL));
	EXPECT_EQ(-ENOENT, kipc_usage(&u));
	/* Arguments the library refuses before asking the driver. */
	EXPECT_EQ(-EINVAL, kipc_stat_id(0, &st));
	EXPECT_EQ(-EINVAL, kipc_stat_name("", &st));
	EXPECT_EQ(-ENAMETOOLONG, kipc_stat_name(
		"0123456789012345678901234567890123456789012345678901234567890123"
		"0123456789012345678901234567890123456789012345678901234567890123"
		"0123456789012345678901234567890123456789012345678901234567890123"
		"0123456789012345678901234567890123456789012345678901234567890123",
		&st));
	EXPECT_EQ(-EINVAL, kipc_list_each(0, NULL, NULL, NULL));
	unsetenv("KIPC_DEVICE");
}

TEST(version)
{
	EXPECT_EQ(KIPC_LIB_MAJOR, kipc_lib_major());
	EXPECT_EQ(KIPC_LIB_MINOR, kipc_lib_minor());
}

TEST_HARNESS_MAIN
