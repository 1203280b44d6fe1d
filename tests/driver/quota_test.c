// SPDX-License-Identifier: GPL-2.0-only
/*
 * Limits on object memory: the per-user byte and object limits, counted
 * for each user namespace and its non-root owner too, the global cap, large-message
 * buffers counted with objects under the effective uid, exact uncharge,
 * the module parameters in sysfs, and the memory cgroup charge.
 */

#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>

#include "kipc_test.h"
#include "kipc_userns_test.h"
#include "kselftest_harness.h"

#define PARAMS		"/sys/module/kipc/parameters/"
#define USER_BYTES	PARAMS "max_user_bytes"
#define USER_OBJECTS	PARAMS "max_user_objects"
#define TOTAL_BYTES	PARAMS "max_total_bytes"
#define CHARGED		SYSFS_KIPC "charged_bytes"
#define CHARGED_USERS	SYSFS_KIPC "charged_users"
#define USERNS_CLONE	"/proc/sys/kernel/unprivileged_userns_clone"
#define CGROOT		"/sys/fs/cgroup"
#define CG		CGROOT "/kipc-quota-test"
#define KIB		1024L
#define MIB		(1024L * KIB)

static const char *const params[] = { USER_BYTES, USER_OBJECTS, TOTAL_BYTES };

FIXTURE(quota) {
	int dev;
	long objects, charged, users;
	char saved[3][32];
};

static void read_str(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, size, f))
			buf[0] = 0;
		fclose(f);
	}
}

FIXTURE_SETUP(quota)
{
	unsigned int i;

	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->charged = kt_read_long(CHARGED);
	self->users = kt_read_long(CHARGED_USERS);
	for (i = 0; i < 3; i++)
		read_str(params[i], self->saved[i], sizeof(self->saved[i]));
	/* An unprivileged user may create a user namespace (Debian's knob). */
	if (!access(USERNS_CLONE, F_OK))
		ASSERT_EQ(0, kt_write_str(USERNS_CLONE, "1"));
}

/* The limits come back; every charge was undone to the byte. */
FIXTURE_TEARDOWN(quota)
{
	unsigned int i;

	close(self->dev);
	for (i = 0; i < 3; i++)
		if (self->saved[i][0])
			EXPECT_EQ(0, kt_write_str(params[i], self->saved[i]));
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
	EXPECT_EQ(self->charged, kt_read_long(CHARGED));
	EXPECT_EQ(self->users, kt_read_long(CHARGED_USERS));
}

static int set_long(const char *path, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return kt_write_str(path, buf);
}

/* Checks in a child: prints what differs, counts it into the exit code. */
static int fails;
#define CHECK(expect, expr) do {					\
	long _got = (expr), _exp = (expect);				\
	if (_got != _exp) {						\
		fprintf(stderr, "# %s:%d: %s: expected %ld, got %ld\n",	\
			__FILE__, __LINE__, #expr, _exp, _got);		\
		fails++;						\
	}								\
} while (0)

/* An anonymous shm object of @size bytes: its fd or -errno. */
static int shm(long size)
{
	int dev = kt_dev(), fd;

	if (dev < 0)
		return -errno;
	fd = kt_shm(dev, NULL, size, 0, 0);
	close(dev);
	return fd;
}

static int is_fd(int fd)
{
	return fd >= 0 ? 0 : fd;
}

/* Runs @fn(@arg) in a child with the given ids; its exit code. */
static int as_ids(uid_t ruid, uid_t euid, gid_t gid, int (*fn)(void *),
		  void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(ruid, euid, euid))
			_exit(200);
		fails = 0;
		_exit(fn(arg) || fails);
	}
	return kt_reap(pid);
}

static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	return as_ids(uid, uid, uid, fn, arg);
}

/* As root of a namespace of uid 1000 mapping kuids 100000..165535. */
static int in_userns(int (*fn)(void *), void *arg)
{
	return kt_in_userns(1000, "0 100000 65536\n", fn, arg);
}

TEST_F(quota, params_in_sysfs)
{
	unsigned int i;
	struct stat st;
	char buf[32];

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat(params[i], &st)) TH_LOG("%s", params[i]);
		EXPECT_EQ(0644, st.st_mode & 07777) TH_LOG("%s", params[i]);
		EXPECT_LT(0, kt_read_long(params[i])) TH_LOG("%s", params[i]);
		ASSERT_EQ(0, set_long(params[i], 12345 + i));
		read_str(params[i], buf, sizeof(buf));
		EXPECT_EQ(12345 + i, atol(buf)) TH_LOG("%s", params[i]);
	}
	EXPECT_EQ(1L << 30, atol(self->saved[0]));
	EXPECT_EQ(65536, atol(self->saved[1]));
	/* Half of RAM unless given at load. */
	EXPECT_GE((long)sysconf(_SC_PHYS_PAGES) * getpagesize(),
		  2 * atol(self->saved[2]) - 2 * getpagesize());
}

static int fill_user_bytes(void *unused)
{
	int a, b;

	(void)unused;
	a = shm(512 * KIB);
	CHECK(0, is_fd(a));
	CHECK(-EDQUOT, shm(768 * KIB));
	CHECK(-EDQUOT, shm(2 * MIB));
	b = shm(512 * KIB);
	CHECK(0, is_fd(b));
	CHECK(-EDQUOT, shm(1));
	close(a);
	CHECK(-EDQUOT, shm(768 * KIB));
	a = shm(512 * KIB);
	CHECK(0, is_fd(a));
	return fails;
}

/* Another user's charge is its own. */
static int small_object(void *unused)
{
	(void)unused;
	CHECK(0, is_fd(shm(512 * KIB)));
	return fails;
}

TEST_F(quota, per_user_bytes)
{
	int held;

	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	held = shm(MIB);
	ASSERT_LE(0, held);
	EXPECT_EQ(0, as_user(1000, fill_user_bytes, NULL));
	EXPECT_EQ(0, as_user(1001, small_object, NULL));
	close(held);
}

static int fill_user_objects(void *unused)
{
	struct kipc_channel_params p = {
		.capacity = 2, .slot_size = 16, .max_msg = 64 * KIB,
	};
	struct kipc_channel *ch = NULL;
	char *buf = calloc(1, 64 * KIB);
	int a, b, c;

	(void)unused;
	a = shm(1);
	b = shm(1);
	c = kipc_channel_create(NULL, &p, 0, 0);
	CHECK(0, is_fd(a));
	CHECK(0, is_fd(b));
	CHECK(0, is_fd(c));
	/* Every type counts... */
	CHECK(-EDQUOT, shm(1));
	CHECK(-EDQUOT, kipc_channel_create(NULL, &p, 0, 0));
	/* ...large-message buffers do not. */
	CHECK(0, kipc_channel_attach(c, &ch));
	CHECK(0, buf && ch ? kipc_channel_put(ch, buf, 64 * KIB, KIPC_NOWAIT) : -1);
	close(a);
	a = shm(1);
	CHECK(0, is_fd(a));
	CHECK(-EDQUOT, shm(1));
	free(buf);
	return fails;
}

static int enospc_half_mib(void *unused)
{
	(void)unused;
	CHECK(-ENOSPC, shm(512 * KIB));
	return fails;
}

TEST_F(quota, per_user_objects)
{
	ASSERT_EQ(0, set_long(USER_OBJECTS, 3));
	EXPECT_EQ(0, as_user(1000, fill_user_objects, NULL));
	/* Each user has its own count. */
	EXPECT_EQ(0, as_user(1001, fill_user_objects, NULL));
}

TEST_F(quota, global_cap)
{
	struct kipc_channel_params p = {
		.capacity = 2, .slot_size = 16, .max_msg = MIB,
	};
	struct kipc_channel *ch = NULL;
	char *buf = calloc(1, MIB);
	int a, c;

	ASSERT_NE(NULL, buf);
	c = kipc_channel_create(NULL, &p, 0, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, kipc_channel_attach(c, &ch));
	/* Room for 1 MiB more than what is charged now. */
	ASSERT_EQ(0, set_long(TOTAL_BYTES, kt_read_long(CHARGED) + MIB));
	a = shm(768 * KIB);
	EXPECT_LE(0, a);
	EXPECT_EQ(-ENOSPC, shm(512 * KIB));
	EXPECT_EQ(-ENOSPC, kipc_channel_put(ch, buf, 512 * KIB, KIPC_NOWAIT));
	EXPECT_EQ(0, kipc_channel_put(ch, buf, 128 * KIB, KIPC_NOWAIT));
	/* Another user meets the same cap. */
	EXPECT_EQ(0, as_user(1000, enospc_half_mib, NULL));
	/* Past both limits: the user's own is reported. */
	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	EXPECT_EQ(-EDQUOT, shm(MIB));
	close(a);
	a = shm(512 * KIB);
	EXPECT_LE(0, a);
	close(a);
	kipc_channel_close(ch);
	free(buf);
}

/* In the namespace: each uid inside is charged to the owner, uid 1000. */
static int ns_other_uid(void *unused)
{
	(void)unused;
	if (setresuid(1, 1, 1))
		return 100;
	CHECK(-EDQUOT, shm(768 * KIB));
	CHECK(0, is_fd(shm(128 * KIB)));
	return fails;
}

static int ns_fill(void *unused)
{
	int dev = kt_dev(), fd, ret;
	pid_t pid;

	(void)unused;
	fd = kt_shm(dev, "kt-quota-ns", 768 * KIB, KIPC_CREATE_EXCL, 0600);
	CHECK(0, is_fd(fd));
	CHECK(-EDQUOT, shm(512 * KIB));
	pid = fork();
	if (!pid) {
		fails = 0;
		ret = ns_other_uid(NULL);
		_exit(ret || fails);
	}
	CHECK(0, kt_reap(pid));
	return fails;
}

static int outside_owner(void *unused)
{
	(void)unused;
	CHECK(-EDQUOT, shm(512 * KIB));
	CHECK(0, is_fd(shm(128 * KIB)));
	return fails;
}

TEST_F(quota, user_namespace_counts_against_owner)
{
	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	EXPECT_EQ(0, in_userns(ns_fill, NULL));
	/* The name keeps 768 KiB charged to kuid 100000 and to uid 1000. */
	EXPECT_EQ(0, as_user(1000, outside_owner, NULL));
	EXPECT_EQ(0, as_user(1001, small_object, NULL));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-quota-ns"));
}

/*
 * A namespace made by root (a container runtime): its uids share the
 * namespace's own budget, and neither root's budget nor a second such
 * namespace's is touched.
 */
static int root_ns_fill(void *unused)
{
	int dev = kt_dev(), fd;
	pid_t pid;

	(void)unused;
	fd = kt_shm(dev, "kt-quota-rootns", 768 * KIB, KIPC_CREATE_EXCL, 0600);
	CHECK(0, is_fd(fd));
	pid = fork();
	if (!pid) {
		fails = 0;
		if (setresuid(7, 7, 7))
			_exit(100);
		/* Another uid of the same namespace: the namespace is full. */
		CHECK(-EDQUOT, shm(512 * KIB));
		CHECK(0, is_fd(shm(128 * KIB)));
		_exit(fails);
	}
	CHECK(0, kt_reap(pid));
	return fails;
}

static int root_ns_other(void *unused)
{
	(void)unused;
	CHECK(0, is_fd(shm(768 * KIB)));
	return fails;
}

TEST_F(quota, root_made_namespaces_have_their_own_budget)
{
	int a;

	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	EXPECT_EQ(0, kt_in_userns(0, "0 200000 65536\n", root_ns_fill, NULL));
	/* Root itself still has its whole budget... */
	a = shm(768 * KIB);
	EXPECT_LE(0, a);
	close(a);
	/* ...and so has another namespace root made. */
	EXPECT_EQ(0, kt_in_userns(0, "0 300000 65536\n", root_ns_other, NULL));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-quota-rootns"));
}

/* Real uid 0, effective uid 1000: both kinds of memory go to the euid. */
static int buffers_with_objects(void *unused)
{
	struct kipc_channel_params p = {
		.capacity = 4, .slot_size = 64, .max_msg = MIB,
	};
	struct kipc_channel *ch = NULL;
	char *buf = calloc(1, MIB);
	long before;
	int a, c;

	(void)unused;
	c = kipc_channel_create(NULL, &p, 0, 0);
	CHECK(0, is_fd(c));
	CHECK(0, kipc_channel_attach(c, &ch));
	if (!ch || !buf)
		return 1;
	a = shm(512 * KIB);
	CHECK(0, is_fd(a));
	CHECK(-EDQUOT, kipc_channel_put(ch, buf, 768 * KIB, KIPC_NOWAIT));
	before = kt_read_long(CHARGED);
	CHECK(0, kipc_channel_put(ch, buf, 256 * KIB, KIPC_NOWAIT));
	CHECK(before + 256 * KIB, kt_read_long(CHARGED));
	CHECK(-EDQUOT, shm(256 * KIB));
	CHECK(256 * KIB, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	CHECK(before, kt_read_long(CHARGED));
	CHECK(0, is_fd(shm(256 * KIB)));
	kipc_channel_close(ch);
	free(buf);
	return fails;
}

TEST_F(quota, large_buffers_count_with_objects)
{
	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	EXPECT_EQ(0, as_ids(0, 1000, 1000, buffers_with_objects, NULL));
}

static int fail_first_charge(void *unused)
{
	(void)unused;
	CHECK(-EDQUOT, shm(8 * MIB));
	return fails;
}

static int ns_named(void *unused)
{
	int dev = kt_dev();

	(void)unused;
	CHECK(0, is_fd(kt_shm(dev, "kt-quota-exact", 100 * KIB,
			      KIPC_CREATE_EXCL, 0600)));
	return fails;
}

TEST_F(quota, uncharge_is_exact)
{
	struct kipc_channel_params p = {
		.capacity = 8, .slot_size = 64, .max_msg = 300 * KIB,
	};
	long charged = kt_read_long(CHARGED);
	struct kipc_channel *ch = NULL;
	char *buf = calloc(1, 300 * KIB);
	int fds[8], i, c;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 8; i++) {
		fds[i] = shm(1 + i * 5000);
		EXPECT_LE(0, fds[i]);
	}
	c = kipc_channel_create(NULL, &p, 0, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, kipc_channel_attach(c, &ch));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kipc_channel_put(ch, buf, 100 * KIB + i, KIPC_NOWAIT));
	EXPECT_EQ(0, in_userns(ns_named, NULL));
	EXPECT_LT(charged + 300 * KIB, kt_read_long(CHARGED));

	/* Lower every limit while all of it lives. */
	ASSERT_EQ(0, set_long(USER_BYTES, 4096));
	ASSERT_EQ(0, set_long(USER_OBJECTS, 1));
	ASSERT_EQ(0, set_long(TOTAL_BYTES, 4096));
	EXPECT_EQ(-EDQUOT, shm(1));
	for (i = 0; i < 8; i++)
		close(fds[i]);
	kipc_channel_close(ch);
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-quota-exact"));
	free(buf);
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
	EXPECT_EQ(charged, kt_read_long(CHARGED));
	EXPECT_EQ(self->users, kt_read_long(CHARGED_USERS));

	/* A refused first charge leaves no user behind. */
	ASSERT_EQ(0, set_long(USER_BYTES, MIB));
	ASSERT_EQ(0, set_long(USER_OBJECTS, 100));
	ASSERT_EQ(0, set_long(TOTAL_BYTES, 1L << 30));
	EXPECT_EQ(0, as_user(1002, fail_first_charge, NULL));
	EXPECT_EQ(self->users, kt_read_long(CHARGED_USERS));
}

static long cg_read(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), CG "/%s", file);
	return kt_read_long(path);
}

struct cg_result {
	long delta;	/* memory.current after one 1 MiB object, less before */
	int objects;	/* created before the first failure */
	int err;	/* that failure */
};

/* In the cgroup: objects until the cgroup is full. */
static int fill_cgroup(void *arg)
{
	struct cg_result *r = arg;
	static int fds[64];
	long before;
	int i, fd;

	memset(fds, 0xff, sizeof(fds));
	if (kt_write_str(CG "/cgroup.procs", "0"))
		return 100;
	before = cg_read("memory.current");
	fd = shm(MIB);
	r->delta = cg_read("memory.current") - before;
	close(fd);
	for (i = 0; i < 64; i++) {
		fds[i] = shm(MIB);
		if (fds[i] < 0) {
			r->err = -fds[i];
			break;
		}
		r->objects++;
	}
	for (i = 0; i < 64; i++)
		close(fds[i]);
	return fails;
}

TEST_F(quota, memcg_charged)
{
	struct cg_result *r = kt_shared(sizeof(*r));
	int mounted = 0;
	char ctl[256];

	ASSERT_NE(NULL, r);
	if (access(CGROOT "/cgroup.controllers", F_OK)) {
		ASSERT_EQ(0, mount("none", CGROOT, "cgroup2", 0, NULL));
		mounted = 1;
	}
	read_str(CGROOT "/cgroup.controllers", ctl, sizeof(ctl));
	/* Every kernel kipc is tested on must have it (CONFIG_MEMCG). */
	ASSERT_NE(NULL, strstr(ctl, "memory"))
		TH_LOG("no memory controller (CONFIG_MEMCG) in: %s", ctl);
	ASSERT_EQ(0, kt_write_str(CGROOT "/cgroup.subtree_control", "+memory"));
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	ASSERT_EQ(0, kt_write_str(CG "/memory.max", "16777216"));

	EXPECT_EQ(0, as_user(0, fill_cgroup, r));
	TH_LOG("memory.current +%ld for 1 MiB; %d MiB objects, then errno %d",
	       r->delta, r->objects, r->err);
	EXPECT_LE(MIB, r->delta);
	EXPECT_GE(MIB + 512 * KIB, r->delta);
	EXPECT_EQ(ENOMEM, r->err);
	EXPECT_GT(16, r->objects);
	EXPECT_LT(8, r->objects);

	EXPECT_EQ(0, kt_objects_back_to(self->objects));
	EXPECT_EQ(0, rmdir(CG));
	if (mounted)
		EXPECT_EQ(0, umount(CGROOT));
}

TEST_HARNESS_MAIN
