// SPDX-License-Identifier: GPL-2.0-only
/*
 * KIPC_IOC_LIST, KIPC_IOC_STAT and KIPC_IOC_USAGE: a listing shows the
 * objects of the caller's IPC namespace only, ids and names find objects,
 * and the arguments are validated.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>

#include <libipc.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

static struct kipc_stat stats[KIPC_LIST_MAX];

/* Entries of the whole listing (every call), or -errno; *hidden summed. */
static int list_all(int dev, __u32 type, __u32 *hidden)
{
	struct kipc_list l;
	int n = 0, calls = 0, ret;

	*hidden = 0;
	memset(&l, 0, sizeof(l));
	do {
		l.version = KIPC_STAT_VERSION;
		l.stats = (uintptr_t)(stats + n);
		l.count = KIPC_LIST_MAX - n;
		l.type = type;
		l.start_id = l.next_id;
		l.next_id = 0;
		l.hidden = 0;
		if (!l.count)
			return -ENOSPC;
		ret = kt_ioctl_fd(dev, KIPC_IOC_LIST, &l);
		if (ret)
			return ret;
		n += l.count;
		*hidden += l.hidden;
	} while (l.next_id && ++calls < 100);
	return n;
}

static __u64 fd_id(int fd)
{
	return kt_fdinfo(fd, "kipc-id");
}

static int listed(int n, __u64 id)
{
	int i;

	for (i = 0; i < n; i++)
		if (stats[i].id == id)
			return 1;
	return 0;
}

TEST(feature_announced)
{
	struct kipc_api api;
	int dev = kipc_dev_open(&api);

	ASSERT_LE(0, dev);
	EXPECT_TRUE(api.features & KIPC_FEATURE_LIST);
	close(dev);
}

TEST(lists_own_objects_by_type)
{
	struct kipc_channel *ch = kt_chan_new(8, 64, 4096);
	int dev = kt_dev(), shm, sem, n;
	__u32 hidden;

	ASSERT_LE(0, dev);
	shm = kt_shm(dev, "kt-list-own", 4096, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, shm);
	ASSERT_NE(NULL, ch);
	sem = kipc_channel_fd(ch);
	n = list_all(dev, 0, &hidden);
	ASSERT_LE(2, n);
	EXPECT_TRUE(listed(n, fd_id(shm)));
	EXPECT_TRUE(listed(n, fd_id(sem)));
	n = list_all(dev, KIPC_TYPE_SHM, &hidden);
	ASSERT_LE(1, n);
	EXPECT_TRUE(listed(n, fd_id(shm)));
	EXPECT_FALSE(listed(n, fd_id(sem)));
	EXPECT_EQ(0, kt_unlink(dev, "kt-list-own"));
	close(shm);
	kipc_channel_close(ch);
	close(dev);
}

/* A child in a new IPC namespace sees only its own; we never see its. */
TEST(two_ipc_namespaces)
{
	int dev = kt_dev(), shm, go[2], back[2], n;
	__u64 mine, theirs;
	__u32 hidden;
	pid_t pid;

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(back));
	shm = kt_shm(dev, NULL, 4096, 0, 0);
	ASSERT_LE(0, shm);
	mine = fd_id(shm);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cdev, cfd;
		__u64 id;
		char c;

		if (unshare(CLONE_NEWIPC))
			_exit(100);
		cdev = kt_dev();
		if (list_all(cdev, 0, &hidden) != 0)
			_exit(101);
		cfd = kt_shm(cdev, "kt-list-ns", 4096, KIPC_CREATE_EXCL, 0600);
		if (cfd < 0)
			_exit(102);
		id = fd_id(cfd);
		n = list_all(cdev, 0, &hidden);
		if (n != 1 || stats[0].id != id || hidden)
			_exit(103);
		if (write(back[1], &id, sizeof(id)) != sizeof(id) ||
		    read(go[0], &c, 1) != 1)
			_exit(104);
		_exit(0);
	}
	ASSERT_EQ(sizeof(theirs), read(back[0], &theirs, sizeof(theirs)));
	n = list_all(dev, 0, &hidden);
	ASSERT_LE(1, n);
	EXPECT_TRUE(listed(n, mine));
	EXPECT_FALSE(listed(n, theirs));
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, kt_reap(pid));
	close(shm);
	close(dev);
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
}

TEST(stat_by_id_and_name)
{
	struct kipc_stat_query q;
	struct kipc_stat st;
	int dev = kt_dev(), fd;
	const char *name = "kt-list-stat";

	ASSERT_LE(0, dev);
	fd = kt_shm(dev, name, 8192, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	memset(&q, 0, sizeof(q));
	q.version = KIPC_STAT_VERSION;
	q.stat = (uintptr_t)&st;
	q.id = fd_id(fd);
	ASSERT_EQ(0, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	EXPECT_EQ(q.id, st.id);
	EXPECT_EQ(8192, st.size);
	EXPECT_EQ(KIPC_STAT_NAMED | KIPC_STAT_LINKED, st.flags);
	EXPECT_STREQ(name, st.name);
	q.id = 0;
	q.name = (uintptr_t)name;
	q.name_len = strlen(name);
	ASSERT_EQ(0, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	EXPECT_EQ(fd_id(fd), st.id);
	/* Both an id and a name, or neither: EINVAL. */
	q.id = st.id;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	q.name = 0;
	q.name_len = 0;
	q.id = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	q.id = ~0ULL;
	EXPECT_EQ(-ENOENT, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	EXPECT_EQ(0, kt_unlink(dev, name));
	q.id = 0;
	q.name = (uintptr_t)name;
	q.name_len = strlen(name);
	EXPECT_EQ(-ENOENT, kt_ioctl_fd(dev, KIPC_IOC_STAT, &q));
	close(fd);
	close(dev);
}

TEST(list_validation)
{
	struct kipc_list l;
	int dev = kt_dev();

	ASSERT_LE(0, dev);
#define BAD(field, val) do {						\
		memset(&l, 0, sizeof(l));				\
		l.version = KIPC_STAT_VERSION;				\
		l.stats = (uintptr_t)stats;				\
		l.count = 1;						\
		l.field = val;						\
		EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_LIST, &l))	\
			TH_LOG(#field " = " #val);			\
	} while (0)
	BAD(version, 2);
	BAD(flags, 1);
	BAD(count, 0);
	BAD(count, KIPC_LIST_MAX + 1);
	BAD(type, KIPC_TYPE_PIPE + 1);
	BAD(next_id, 1);
	BAD(hidden, 1);
	BAD(pad, 1);
	BAD(reserved[2], 1);
	BAD(stats, 0);
#undef BAD
	close(dev);
}

TEST(usage_follows_charges)
{
	struct kipc_usage before, after;
	int dev = kt_dev(), fd;

	ASSERT_LE(0, dev);
	memset(&before, 0, sizeof(before));
	ASSERT_EQ(0, kt_ioctl_fd(dev, KIPC_IOC_USAGE, &before));
	fd = kt_shm(dev, NULL, 1 << 20, 0, 0);
	ASSERT_LE(0, fd);
	memset(&after, 0, sizeof(after));
	ASSERT_EQ(0, kt_ioctl_fd(dev, KIPC_IOC_USAGE, &after));
	EXPECT_EQ(before.bytes + (1 << 20), after.bytes);
	EXPECT_EQ(before.objects + 1, after.objects);
	EXPECT_LE(after.bytes, after.total_bytes);
	EXPECT_NE(0, after.max_bytes);
	EXPECT_NE(0, after.max_objects);
	EXPECT_NE(0, after.max_total_bytes);
	close(fd);
	memset(&after, 0, sizeof(after));
	after.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(dev, KIPC_IOC_USAGE, &after));
	close(dev);
}

TEST_HARNESS_MAIN
