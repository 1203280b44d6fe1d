// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared-memory objects and mappings: zero fill, sharing across mappings
 * and fork, mmap validation, refused splits and moves, owner ids per
 * mapping, lifetime through mappings, and libipc's wrappers.
 */

#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>

#include "kipc_test.h"
#include "kselftest_harness.h"

FIXTURE(shm) {
	int dev, fd;
	long objects;
	size_t page;
};

FIXTURE_SETUP(shm)
{
	self->page = getpagesize();
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->fd = kt_shm(self->dev, NULL, 4 * self->page, 0, 0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(shm)
{
	close(self->fd);
	close(self->dev);
	EXPECT_EQ(self->objects, kt_objects());
}

static void *map(int fd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
}

TEST_F(shm, zero_filled_and_shared)
{
	size_t i, len = 4 * self->page;
	unsigned char *a = map(self->fd, len, 0), *b = map(self->fd, len, 0);

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, a[i]);
	a[0] = 1;
	a[len - 1] = 2;
	EXPECT_EQ(1, b[0]);
	EXPECT_EQ(2, b[len - 1]);
	munmap(a, len);
	munmap(b, len);
}

TEST_F(shm, shared_with_forked_child)
{
	size_t len = 4 * self->page;
	volatile unsigned int *p = map(self->fd, len, 0);
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 7;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's copy of the mapping faults its pages in anew. */
		_exit(p[0] == 7 ? (p[len / 4 - 1] = 9, 0) : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(9, p[len / 4 - 1]);
	munmap((void *)p, len);
}

TEST_F(shm, mmap_validation)
{
	size_t page = self->page;
	void *p;

	/* A private mapping would silently stop sharing. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ, MAP_PRIVATE, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Beyond the end. */
	EXPECT_EQ(MAP_FAILED, map(self->fd, 5 * page, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map(self->fd, page, 4 * page));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map(self->fd, 2 * page, 3 * page));
	EXPECT_EQ(EINVAL, errno);
	/* Any whole-page window inside is fine. */
	p = map(self->fd, 2 * page, 2 * page);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 2 * page);
}

TEST_F(shm, mapping_cannot_split_or_move)
{
	size_t page = self->page;
	char *p = map(self->fd, 4 * page, 0), *q;
	/*
	 * A place of our own to try moving it to: MREMAP_FIXED unmaps what
	 * is at the target before it is refused, and an address guessed near
	 * p may hold the C library.
	 */
	char *spot = mmap(NULL, 4 * page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, spot);
	/* Unmapping or reprotecting part of it would split it. */
	EXPECT_EQ(-1, munmap(p + page, page));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mprotect(p, page, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	/* Growing, moving and duplicating are refused. */
	q = mremap(p, 4 * page, 8 * page, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	q = mremap(p, 4 * page, 4 * page, MREMAP_MAYMOVE | MREMAP_FIXED, spot);
	EXPECT_EQ(MAP_FAILED, q);
	munmap(spot, 4 * page);
	/* Still intact and usable. */
	p[4 * page - 1] = 1;
	EXPECT_EQ(0, munmap(p, 4 * page));
}

TEST_F(shm, mapping_keeps_object_alive)
{
	char *p = map(self->fd, self->page, 0);

	ASSERT_NE(MAP_FAILED, p);
	close(self->fd);
	EXPECT_EQ(self->objects + 1, kt_objects());
	p[0] = 1;
	munmap(p, self->page);
	EXPECT_EQ(self->objects, kt_objects());
	self->fd = kt_shm(self->dev, NULL, 1, 0, 0);
	ASSERT_LE(0, self->fd);
}

static int map_id(int fd, void *addr)
{
	struct kipc_map_id args = { .addr = (unsigned long)addr };
	int ret = kt_ioctl_fd(fd, KIPC_OBJ_IOC_MAP_ID, &args);

	return ret < 0 ? ret : (int)args.id;
}

TEST_F(shm, owner_id_per_mapping)
{
	size_t page = self->page;
	char *a = map(self->fd, page, 0), *b = map(self->fd, page, 0);
	int other = kt_shm(self->dev, NULL, 1, 0, 0), ida, idb, status;
	struct kipc_map_id args = { 0 };
	char *c;
	pid_t pid;

	ASSERT_LE(0, other);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	ida = map_id(self->fd, a + 5);
	idb = map_id(self->fd, b);
	EXPECT_LE(KIPC_ID_MIN, ida);
	EXPECT_GE(KIPC_ID_MAX, ida);
	EXPECT_LE(KIPC_ID_MIN, idb);
	EXPECT_NE(ida, idb);

	/* Not a mapping of this object. */
	EXPECT_EQ(-EINVAL, map_id(self->fd, &args));
	EXPECT_EQ(-EINVAL, map_id(other, a));
	c = map(other, page, 0);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(-EINVAL, map_id(self->fd, c));
	args.addr = (unsigned long)a;
	args.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(self->fd, KIPC_OBJ_IOC_MAP_ID, &args));

	/* A forked child's copy has an id of its own. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int id = map_id(self->fd, a);

		_exit(id > 0 && id != ida && id != idb ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* The parent's is unchanged. */
	EXPECT_EQ(ida, map_id(self->fd, a));
	munmap(a, page);
	munmap(b, page);
	munmap(c, page);
	close(other);
}

TEST_F(shm, fdinfo)
{
	char path[64], buf[512] = "";
	void *p = map(self->fd, self->page, 0);
	FILE *f;

	ASSERT_NE(MAP_FAILED, p);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_LT(0, fread(buf, 1, sizeof(buf) - 1, f));
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "kipc-type:\tkipc-shm\n"));
	EXPECT_NE(NULL, strstr(buf, "kipc-mappings:\t1\n"));
	munmap(p, self->page);
}

TEST_F(shm, no_read_write)
{
	char buf[8] = "";
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KIPC_IOC_MAGIC, 0xbe)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_F(shm, libipc)
{
	size_t size;
	char *p;
	int fd;

	fd = kipc_shm_create("kt-lib", 10000, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, kipc_shm_create("kt-lib", 10000, KIPC_CREATE_EXCL, 0600));
	ASSERT_EQ(0, kipc_shm_map(fd, (void **)&p, &size));
	EXPECT_EQ(3 * self->page, size);
	strcpy(p, "via libipc");
	EXPECT_EQ(0, kipc_shm_unmap(p, size));
	close(fd);

	fd = kipc_shm_open("kt-lib");
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_EQ(0, kipc_shm_map(fd, (void **)&p, &size));
	EXPECT_STREQ("via libipc", p);
	EXPECT_LE(KIPC_ID_MIN, kipc_object_map_id(fd, p));
	kipc_shm_unmap(p, size);
	close(fd);
	EXPECT_EQ(0, kipc_shm_unlink("kt-lib"));
	EXPECT_EQ(-ENOENT, kipc_shm_open("kt-lib"));
	EXPECT_EQ(-ENOENT, kipc_shm_unlink("kt-lib"));
	EXPECT_EQ(-EINVAL, kipc_shm_open(""));
	EXPECT_EQ(-EINVAL, kipc_shm_open(NULL));

	fd = kipc_shm_create(NULL, 1, 0, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN
