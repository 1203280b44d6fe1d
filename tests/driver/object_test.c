// SPDX-License-Identifier: GPL-2.0-only
/*
 * Objects and names: creation, validation, open/unlink, lifetime,
 * permissions across users, IPC-namespace scoping and the per-user limit.
 * Shared-memory objects stand in for every type here.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

#define LIMIT_PATH	"/sys/module/kipc/parameters/max_user_bytes"

FIXTURE(dev) {
	int dev;
	long objects, names;
};

FIXTURE_SETUP(dev)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
	ASSERT_LE(0, self->names);
}

/* Every test must leave no object and no name behind. */
FIXTURE_TEARDOWN(dev)
{
	close(self->dev);
	EXPECT_EQ(self->objects, kt_objects());
	EXPECT_EQ(self->names, kt_names());
}

/* Runs @fn in a child with the given ids; returns the child's exit code. */
static int as_user(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		/* Drop root's supplementary groups too. */
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(dev, create_anonymous)
{
	struct kipc_info info;
	int fd, fd2;

	fd = kt_shm(self->dev, NULL, 100, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	EXPECT_EQ(self->objects + 1, kt_objects());
	EXPECT_EQ(self->names, kt_names());

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, kt_ioctl_fd(fd, KIPC_OBJ_IOC_INFO, &info));
	EXPECT_EQ(KIPC_TYPE_SHM, info.type);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ((__u64)getpagesize(), info.size);
	EXPECT_EQ(100, info.params.shm.size);

	/* Nonzero input in INFO is refused. */
	info.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_INFO, &info));
	memset(&info, 0, sizeof(info));
	info.reserved[5] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_OBJ_IOC_INFO, &info));

	fd2 = kt_shm(self->dev, NULL, 1, 0, 0);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(self->objects + 2, kt_objects());
	close(fd2);
	close(fd);
	EXPECT_EQ(self->objects, kt_objects());
}

TEST_F(dev, fd_flags)
{
	struct kipc_create args;
	int fd;

	kt_shm_args(&args, NULL, 1, 0, 0);
	args.fd_flags = KIPC_FD_INHERIT | KIPC_FD_NONBLOCK;
	fd = kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD));
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);

	args.fd_flags = 1U << 2;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
}

TEST_F(dev, create_rejects_bad_input)
{
	struct kipc_create args;
	char bad_name[] = "a\0b";
	char long_name[KIPC_NAME_MAX + 2];

	kt_shm_args(&args, NULL, 1, 0, 0);
	args.type = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	args.type = 1000;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));

	kt_shm_args(&args, NULL, 1, 1U << 1, 0);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, 1, 0, 0);
	args.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, 1, 0, 0);
	args.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, "m", 1, 0, 01000);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));

	/* An anonymous object has no name length, exclusivity or mode. */
	kt_shm_args(&args, NULL, 1, 0, 0);
	args.name_len = 3;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, 1, KIPC_CREATE_EXCL, 0);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, 1, 0, 0600);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));

	/* Type parameters. */
	kt_shm_args(&args, NULL, 0, 0, 0);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, KIPC_SHM_MAX_SIZE + 1, 0, 0);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, NULL, 1, 0, 0);
	args.params.shm.reserved[6] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	/* ...are checked even when the name exists. */
	kt_shm_args(&args, "kt-params", 0, 0, 0600);
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));

	/* Names: length 1..KIPC_NAME_MAX, no NUL, readable memory. */
	kt_shm_args(&args, "x", 1, 0, 0600);
	args.name_len = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	memset(long_name, 'n', sizeof(long_name));
	long_name[KIPC_NAME_MAX + 1] = 0;
	kt_shm_args(&args, long_name, 1, 0, 0600);
	EXPECT_EQ(-ENAMETOOLONG, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, bad_name, 1, 0, 0600);
	args.name_len = 3;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	kt_shm_args(&args, "x", 1, 0, 0600);
	args.name = 8;
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, &args));
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(self->dev, KIPC_IOC_CREATE, NULL));
}

TEST_F(dev, longest_name)
{
	char name[KIPC_NAME_MAX + 1];
	int fd;

	memset(name, 'L', KIPC_NAME_MAX);
	name[KIPC_NAME_MAX] = 0;
	fd = kt_shm(self->dev, name, 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	fd = kt_open(self->dev, name, KIPC_TYPE_SHM);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, kt_unlink(self->dev, name));
}

TEST_F(dev, named_create_open_unlink)
{
	int a, b, c;
	char *pa, *pc;

	a = kt_shm(self->dev, "kt-named", 4096, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, a);
	EXPECT_EQ(self->names + 1, kt_names());
	EXPECT_EQ(-EEXIST, kt_shm(self->dev, "kt-named", 4096, KIPC_CREATE_EXCL, 0600));

	/* Without EXCL an existing name is opened, whatever the size asked. */
	b = kt_shm(self->dev, "kt-named", 99999, 0, 0600);
	ASSERT_LE(0, b);
	c = kt_open(self->dev, "kt-named", KIPC_TYPE_SHM);
	ASSERT_LE(0, c);
	EXPECT_EQ(self->objects + 1, kt_objects());

	pa = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	pc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0);
	ASSERT_NE(MAP_FAILED, pa);
	ASSERT_NE(MAP_FAILED, pc);
	strcpy(pa, "same object");
	EXPECT_STREQ("same object", pc);
	munmap(pa, 4096);
	munmap(pc, 4096);

	EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-missing", KIPC_TYPE_SHM));
	EXPECT_EQ(-EINVAL, kt_open(self->dev, "kt-named", 0));
	EXPECT_EQ(-EINVAL, kt_open(self->dev, "kt-named", 1000));

	EXPECT_EQ(0, kt_unlink(self->dev, "kt-named"));
	EXPECT_EQ(self->names, kt_names());
	EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-named", KIPC_TYPE_SHM));
	EXPECT_EQ(ENOENT, kt_unlink(self->dev, "kt-named"));
	/* Unlinked but open: still alive; the name is free again. */
	EXPECT_EQ(self->objects + 1, kt_objects());
	close(b);
	b = kt_shm(self->dev, "kt-named", 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, b);
	EXPECT_EQ(self->objects + 2, kt_objects());
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-named"));
	close(a);
	close(b);
	close(c);
}

TEST_F(dev, open_and_unlink_reject_bad_input)
{
	struct kipc_open op = { .type = KIPC_TYPE_SHM };
	struct kipc_unlink un = { 0 };

	op.name = (__u64)(unsigned long)"x";
	op.name_len = 1;
	op.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_OPEN, &op));
	op.flags = 0;
	op.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_OPEN, &op));
	op.reserved[0] = 0;
	op.fd_flags = 1U << 5;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_OPEN, &op));
	op.fd_flags = 0;
	op.name_len = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_OPEN, &op));

	un.name = (__u64)(unsigned long)"x";
	un.name_len = 1;
	un.flags = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_UNLINK, &un));
	un.flags = 0;
	un.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->dev, KIPC_IOC_UNLINK, &un));
	un.reserved[1] = 0;
	un.name_len = KIPC_NAME_MAX + 1;
	EXPECT_EQ(-ENAMETOOLONG, kt_ioctl_fd(self->dev, KIPC_IOC_UNLINK, &un));
}

TEST_F(dev, name_outlives_descriptors)
{
	int fd;
	char *p;

	fd = kt_shm(self->dev, "kt-persist", 4096, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	strcpy(p, "kept");
	munmap(p, 4096);
	close(fd);
	/* No descriptor, no mapping: the name alone keeps it. */
	EXPECT_EQ(self->objects + 1, kt_objects());

	fd = kt_open(self->dev, "kt-persist", KIPC_TYPE_SHM);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_STREQ("kept", p);
	munmap(p, 4096);
	close(fd);
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-persist"));
	EXPECT_EQ(self->objects, kt_objects());
}

static int try_open_as_other(void *name)
{
	int dev = kt_dev(), fd;

	if (dev < 0)
		return 100;
	fd = kt_open(dev, name, KIPC_TYPE_SHM);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -fd;
}

static int try_unlink_as_other(void *name)
{
	int dev = kt_dev();

	return dev < 0 ? 100 : kt_unlink(dev, name);
}

static int try_create_existing_as_other(void *name)
{
	int dev = kt_dev(), fd;

	if (dev < 0)
		return 100;
	fd = kt_shm(dev, name, 1, 0, 0666);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -fd;
}

TEST_F(dev, permissions_across_users)
{
	mode_t old = umask(0);
	int fd;

	fd = kt_shm(self->dev, "kt-private", 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_open_as_other, "kt-private"));
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_create_existing_as_other, "kt-private"));
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_unlink_as_other, "kt-private"));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-private"));
	close(fd);

	/* Read-only for others is not enough: objects need read and write. */
	fd = kt_shm(self->dev, "kt-readable", 1, KIPC_CREATE_EXCL, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_open_as_other, "kt-readable"));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-readable"));
	close(fd);

	fd = kt_shm(self->dev, "kt-group", 1, KIPC_CREATE_EXCL, 0660);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_open_as_other, "kt-group"));
	EXPECT_EQ(0, as_user(1000, 0, try_open_as_other, "kt-group"));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-group"));
	close(fd);

	fd = kt_shm(self->dev, "kt-shared", 1, KIPC_CREATE_EXCL, 0666);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, as_user(1000, 1000, try_open_as_other, "kt-shared"));
	/* Only the owner (or CAP_IPC_OWNER) unlinks. */
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_unlink_as_other, "kt-shared"));
	close(fd);
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-shared"));

	/* The umask applies to the mode. */
	umask(0066);
	fd = kt_shm(self->dev, "kt-umask", 1, KIPC_CREATE_EXCL, 0666);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EACCES, as_user(1000, 1000, try_open_as_other, "kt-umask"));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-umask"));
	close(fd);
	umask(old);
}

static int owner_unlinks_own(void *unused)
{
	int dev = kt_dev(), fd;

	(void)unused;
	if (dev < 0)
		return 100;
	fd = kt_shm(dev, "kt-theirs", 1, KIPC_CREATE_EXCL, 0600);
	if (fd < 0)
		return 101;
	close(fd);
	return kt_unlink(dev, "kt-theirs");
}

TEST_F(dev, owner_may_unlink)
{
	EXPECT_EQ(0, as_user(1000, 1000, owner_unlinks_own, NULL));
}

static int in_new_ipc_ns(void *unused)
{
	int dev, fd, ret = 0;

	(void)unused;
	if (unshare(CLONE_NEWIPC))
		return 100;
	dev = kt_dev();
	if (dev < 0)
		return 101;
	/* The parent's name is invisible here... */
	fd = kt_open(dev, "kt-ns", KIPC_TYPE_SHM);
	if (fd != -ENOENT)
		ret = 102;
	/* ...and free to take. */
	fd = kt_shm(dev, "kt-ns", 1, KIPC_CREATE_EXCL, 0600);
	if (fd < 0)
		return 103;
	close(fd);
	if (kt_unlink(dev, "kt-ns"))
		ret = 104;
	return ret;
}

TEST_F(dev, names_are_per_ipc_namespace)
{
	int fd;

	fd = kt_shm(self->dev, "kt-ns", 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, as_user(0, 0, in_new_ipc_ns, NULL));
	/* Ours is untouched. */
	close(fd);
	fd = kt_open(self->dev, "kt-ns", KIPC_TYPE_SHM);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-ns"));
}

/* A container that exits without unlinking leaves nothing behind. */
static int leave_name_in_new_ipc_ns(void *unused)
{
	int dev, fd;

	(void)unused;
	if (unshare(CLONE_NEWIPC))
		return 100;
	dev = kt_dev();
	if (dev < 0)
		return 101;
	fd = kt_shm(dev, "kt-abandoned", 1, KIPC_CREATE_EXCL, 0600);
	return fd < 0 ? 102 : 0;
}

TEST_F(dev, names_of_dead_namespace_are_dropped)
{
	EXPECT_EQ(0, as_user(0, 0, leave_name_in_new_ipc_ns, NULL));
	/* Only kipc still references that namespace now... */
	EXPECT_EQ(self->names + 1, kt_names());
	EXPECT_EQ(self->objects + 1, kt_objects());
	/* ...and the next name operation collects it. */
	EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-abandoned", KIPC_TYPE_SHM));
	EXPECT_EQ(self->names, kt_names());
	EXPECT_EQ(self->objects, kt_objects());
}

TEST_F(dev, per_user_memory_limit)
{
	long old = kt_read_long(LIMIT_PATH);
	char buf[32];
	int a, b;

	ASSERT_LT(0, old);
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, "1048576"));
	a = kt_shm(self->dev, NULL, 512 << 10, 0, 0);
	EXPECT_LE(0, a);
	EXPECT_EQ(-EDQUOT, kt_shm(self->dev, NULL, 768 << 10, 0, 0));
	EXPECT_EQ(-EDQUOT, kt_shm(self->dev, NULL, 2 << 20, 0, 0));
	b = kt_shm(self->dev, NULL, 512 << 10, 0, 0);
	EXPECT_LE(0, b);
	close(a);
	close(b);
	a = kt_shm(self->dev, NULL, 1 << 20, 0, 0);
	EXPECT_LE(0, a);
	close(a);
	snprintf(buf, sizeof(buf), "%ld", old);
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, buf));
}

TEST_F(dev, create_close_storm)
{
	int i, fd;

	for (i = 0; i < 2000; i++) {
		fd = kt_shm(self->dev, NULL, 4096 * (1 + i % 4), 0, 0);
		ASSERT_LE(0, fd);
		close(fd);
	}
}

TEST_F(dev, module_pinned_by_object)
{
	int fd = kt_shm(self->dev, NULL, 1, 0, 0);
	void *p;

	ASSERT_LE(0, fd);
	close(self->dev);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "kipc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* A mapping alone pins it too. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "kipc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	munmap(p, 4096);
	self->dev = kt_dev();
}

TEST_HARNESS_MAIN
