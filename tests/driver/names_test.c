// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names: what a name may hold and how fdinfo shows it, what a stranger
 * learns from a failed open, races between creators, many names, names of
 * two IPC namespaces, and that one user's large object never holds up
 * another user's names while it is made or freed.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

FIXTURE(names) {
	int dev;
	long objects, names;
};

FIXTURE_SETUP(names)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
	ASSERT_LE(0, self->names);
}

/* Every test must leave no object and no name behind. */
FIXTURE_TEARDOWN(names)
{
	close(self->dev);
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
	EXPECT_EQ(self->names, kt_names());
}

/* Runs @fn in a child with the given ids; returns the child's exit code. */
static int as_user(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(arg));
	}
	return kt_reap(pid);
}

/* A named lock: its fd or -errno (a lock's parameters are all zero). */
static int kt_lock(int dev, const char *name, __u32 flags, __u32 mode)
{
	struct kipc_create args;

	kt_shm_args(&args, name, 0, flags, mode);
	args.type = KIPC_TYPE_LOCK;
	return kt_ioctl_fd(dev, KIPC_IOC_CREATE, &args);
}

static int open_as_lock(void *name)
{
	int dev = kt_dev(), fd;

	if (dev < 0)
		return 100;
	fd = kt_open(dev, name, KIPC_TYPE_LOCK);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -fd : 0;
}

static int create_as_lock(void *name)
{
	int dev = kt_dev(), fd;

	if (dev < 0)
		return 100;
	fd = kt_lock(dev, name, 0, 0666);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -fd : 0;
}

/* The owner may open its object: a wrong type is then EINVAL. */
static int own_object_wrong_type(void *unused)
{
	int dev = kt_dev(), fd, ret;

	(void)unused;
	if (dev < 0)
		return 100;
	fd = kt_shm(dev, "kt-nt-own", 1, KIPC_CREATE_EXCL, 0600);
	if (fd < 0)
		return 101;
	close(fd);
	ret = open_as_lock("kt-nt-own");
	if (ret == EINVAL)
		ret = create_as_lock("kt-nt-own");
	if (kt_unlink(dev, "kt-nt-own"))
		return 102;
	return ret;
}

/* A stranger learns nothing about an object it may not open, not its type. */
TEST_F(names, permission_checked_before_type)
{
	mode_t old = umask(0);
	int fd;

	fd = kt_shm(self->dev, "kt-nt-private", 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1000, 1000, open_as_lock, "kt-nt-private"));
	EXPECT_EQ(EACCES, as_user(1000, 1000, create_as_lock, "kt-nt-private"));
	EXPECT_EQ(EINVAL, as_user(1000, 1000, own_object_wrong_type, NULL));
	/* With EXCL the name's existence is the answer, as for O_EXCL. */
	EXPECT_EQ(-EEXIST, kt_lock(self->dev, "kt-nt-private", KIPC_CREATE_EXCL, 0600));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-nt-private"));
	close(fd);
	umask(old);
}

/* The "kipc-name:" line of @fd's fdinfo, and how many "kipc-type:" lines. */
static int read_fdinfo(int fd, char *name, size_t size)
{
	char path[64], line[1024];
	int types = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	name[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "kipc-type:", 10))
			types++;
		if (!strncmp(line, "kipc-name:\t", 11))
			snprintf(name, size, "%s", line + 11);
	}
	fclose(f);
	return types;
}

TEST_F(names, control_characters_rejected)
{
	static const char *const bad[] = {
		"kt-nt\nkipc-type:\tforged", "kt-nt\t", "\n", "kt-nt\r",
		"kt-nt\x1b[2J", "kt-nt\x7f", "\x01",
	};
	char shown[1024];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = kt_shm(self->dev, bad[i], 1, 0, 0600);
		EXPECT_EQ(-EINVAL, fd) TH_LOG("name %u was accepted", i);
		if (fd >= 0) {
			EXPECT_EQ(1, read_fdinfo(fd, shown, sizeof(shown)));
			close(fd);
			kt_unlink(self->dev, bad[i]);
		}
		EXPECT_EQ(-EINVAL, kt_open(self->dev, bad[i], KIPC_TYPE_SHM));
		EXPECT_EQ(EINVAL, kt_unlink(self->dev, bad[i]));
	}
}

/* Anything else is a name, shown with backslashes escaped. */
TEST_F(names, printable_names_and_fdinfo)
{
	static const char name[] = "kt-nt /slash\\back \xc3\xa9 #1";
	char shown[1024];
	int fd;

	fd = kt_shm(self->dev, name, 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, read_fdinfo(fd, shown, sizeof(shown)));
	EXPECT_STREQ("kt-nt /slash\\134back \xc3\xa9 #1\n", shown);
	close(fd);
	fd = kt_open(self->dev, name, KIPC_TYPE_SHM);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, kt_unlink(self->dev, name));
}

TEST_HARNESS_MAIN
