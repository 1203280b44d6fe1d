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

#define RACERS	4
#define RACES	100

/*
 * Creators of one name at once: without EXCL all get the same object,
 * with EXCL exactly one wins and the others see EEXIST.
 */
TEST_F_TIMEOUT(names, concurrent_creates, 120)
{
	int *wins = kt_shared(RACES * sizeof(int));
	char name[32];
	pid_t pids[RACERS];
	int i, r, fd;
	__u32 *p;

	ASSERT_NE(NULL, wins);
	for (r = 0; r < RACERS; r++) {
		pids[r] = fork();
		ASSERT_LE(0, pids[r]);
		if (pids[r])
			continue;
		for (i = 0; i < RACES; i++) {
			snprintf(name, sizeof(name), "kt-nt-race-%d", i);
			fd = kt_shm(self->dev, name, 4096, 0, 0600);
			if (fd < 0)
				_exit(1);
			p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				_exit(2);
			__atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
			munmap(p, 4096);
			close(fd);
			snprintf(name, sizeof(name), "kt-nt-excl-%d", i);
			fd = kt_shm(self->dev, name, 4096, KIPC_CREATE_EXCL, 0600);
			if (fd >= 0) {
				__atomic_add_fetch(&wins[i], 1, __ATOMIC_SEQ_CST);
				close(fd);
			} else if (fd != -EEXIST) {
				_exit(3);
			}
		}
		_exit(0);
	}
	for (r = 0; r < RACERS; r++)
		EXPECT_EQ(0, kt_reap(pids[r]));
	for (i = 0; i < RACES; i++) {
		snprintf(name, sizeof(name), "kt-nt-race-%d", i);
		fd = kt_open(self->dev, name, KIPC_TYPE_SHM);
		ASSERT_LE(0, fd);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(RACERS, *p) TH_LOG("race %d: creators got different objects", i);
		munmap(p, 4096);
		close(fd);
		EXPECT_EQ(0, kt_unlink(self->dev, name));
		EXPECT_EQ(1, wins[i]) TH_LOG("race %d: %d exclusive winners", i, wins[i]);
		snprintf(name, sizeof(name), "kt-nt-excl-%d", i);
		EXPECT_EQ(0, kt_unlink(self->dev, name));
	}
	munmap(wins, RACES * sizeof(int));
}

#define MANY	10000	/* divided by KIPC_TEST_SCALE */

/* Many names at once: every one found, none lost, all unlinked again. */
TEST_F_TIMEOUT(names, many_names, 600)
{
	int i, fd, many = kt_scaled(MANY);
	char name[32];

	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "kt-nt-many-%d", i);
		fd = kt_shm(self->dev, name, 1, KIPC_CREATE_EXCL, 0600);
		ASSERT_LE(0, fd) TH_LOG("create %d: %s", i, strerror(-fd));
		close(fd);
	}
	EXPECT_EQ(self->names + many, kt_names());
	EXPECT_EQ(self->objects + many, kt_objects());
	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "kt-nt-many-%d", i);
		fd = kt_open(self->dev, name, KIPC_TYPE_SHM);
		ASSERT_LE(0, fd) TH_LOG("open %d: %s", i, strerror(-fd));
		close(fd);
		if (i % 1000 == 0)
			EXPECT_EQ(-EEXIST, kt_shm(self->dev, name, 1,
						  KIPC_CREATE_EXCL, 0600));
	}
	EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-nt-many-x", KIPC_TYPE_SHM));
	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "kt-nt-many-%d", i);
		ASSERT_EQ(0, kt_unlink(self->dev, name)) TH_LOG("unlink %d", i);
	}
	EXPECT_EQ(self->names, kt_names());
}

/* Fill an object's first page with @text; 0 or -1. */
static int put_text(int fd, const char *text)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	strcpy(p, text);
	munmap(p, 4096);
	return 0;
}

/* The object named @name holds @text and is @size bytes; 0 or -1. */
static int check_named(int dev, const char *name, const char *text,
		       __u64 size)
{
	struct kipc_info info;
	int fd = kt_open(dev, name, KIPC_TYPE_SHM), ret = -1;
	char *p;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		if (!kt_ioctl_fd(fd, KIPC_OBJ_IOC_INFO, &info) &&
		    info.size == size && !strcmp(p, text))
			ret = 0;
		munmap(p, 4096);
	}
	close(fd);
	return ret;
}

/*
 * The same string names two objects in two namespaces, and each lives on
 * while the other is unlinked.
 */
TEST_F(names, same_name_in_two_namespaces)
{
	int to_child[2], to_parent[2], fd;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	fd = kt_shm(self->dev, "kt-nt-twin", 4096, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_text(fd, "parent"));
	close(fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev;

		if (unshare(CLONE_NEWIPC))
			_exit(100);
		dev = kt_dev();
		fd = kt_shm(dev, "kt-nt-twin", 8192, KIPC_CREATE_EXCL, 0600);
		if (fd < 0 || put_text(fd, "child"))
			_exit(101);
		close(fd);
		if (write(to_parent[1], "c", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(102);
		/* The parent unlinked its own: ours is still here. */
		if (check_named(dev, "kt-nt-twin", "child", 8192))
			_exit(103);
		if (kt_unlink(dev, "kt-nt-twin"))
			_exit(104);
		_exit(kt_open(dev, "kt-nt-twin", KIPC_TYPE_SHM) == -ENOENT ? 0 : 105);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ(self->names + 2, kt_names());
	EXPECT_EQ(0, check_named(self->dev, "kt-nt-twin", "parent", 4096));
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-nt-twin"));
	EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-nt-twin", KIPC_TYPE_SHM));
	ASSERT_EQ(1, write(to_child[1], "p", 1));
	EXPECT_EQ(0, kt_reap(pid));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

#define DEAD_NS	20

/* More dead namespaces than one operation checks: all go, in a few calls. */
TEST_F(names, many_dead_namespaces_collected)
{
	int i, fd;
	pid_t pid;

	for (i = 0; i < DEAD_NS; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			if (unshare(CLONE_NEWIPC))
				_exit(100);
			fd = kt_shm(kt_dev(), "kt-nt-left", 1, KIPC_CREATE_EXCL, 0600);
			_exit(fd < 0 ? 101 : 0);
		}
		ASSERT_EQ(0, kt_reap(pid));
	}
	/* A live namespace's names stay. */
	fd = kt_shm(self->dev, "kt-nt-left", 1, KIPC_CREATE_EXCL, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	for (i = 0; i < DEAD_NS && kt_names() != self->names + 1; i++)
		EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-nt-none", KIPC_TYPE_SHM));
	EXPECT_EQ(self->names + 1, kt_names());
	EXPECT_GE(4, i) TH_LOG("%d operations to collect %d namespaces", i, DEAD_NS);
	EXPECT_EQ(0, kt_unlink(self->dev, "kt-nt-left"));
}

#define DEAD_NAMES	200	/* more than one operation drops (64) */

/* A dead namespace with many names: each operation drops a bounded part. */
TEST_F(names, dead_namespace_names_dropped_in_parts)
{
	long before, now, most = 0;
	int i, ops = 0;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char name[32];
		int dev;

		if (unshare(CLONE_NEWIPC))
			_exit(100);
		dev = kt_dev();
		for (i = 0; i < DEAD_NAMES; i++) {
			snprintf(name, sizeof(name), "kt-nt-part-%d", i);
			if (kt_shm(dev, name, 1, KIPC_CREATE_EXCL, 0600) < 0)
				_exit(101);
		}
		_exit(0);
	}
	ASSERT_EQ(0, kt_reap(pid));
	before = kt_names();
	while (before > self->names && ops < DEAD_NAMES) {
		EXPECT_EQ(-ENOENT, kt_open(self->dev, "kt-nt-none", KIPC_TYPE_SHM));
		now = kt_names();
		if (before - now > most)
			most = before - now;
		before = now;
		ops++;
	}
	EXPECT_EQ(self->names, kt_names());
	EXPECT_GE(64, most) TH_LOG("one operation dropped %ld names", most);
	EXPECT_LE(DEAD_NAMES / 64, ops) TH_LOG("%d operations", ops);
}

#define BIG	(256ULL << 20)
#define ROUNDS	5

struct progress {
	long ops;		/* small create/open/unlink rounds done */
	int stop;
	int err;
};

/*
 * Named create, open, unlink of a small object, until told to stop. It
 * pauses between rounds, so that a call of the other process waiting for
 * the names lock gets it at once instead of after many of our rounds.
 */
static void small_ops(struct progress *pr)
{
	int dev = kt_dev(), a, b;

	while (!__atomic_load_n(&pr->stop, __ATOMIC_ACQUIRE)) {
		a = kt_shm(dev, "kt-nt-small", 1, KIPC_CREATE_EXCL, 0600);
		b = kt_open(dev, "kt-nt-small", KIPC_TYPE_SHM);
		if (a < 0 || b < 0 || kt_unlink(dev, "kt-nt-small")) {
			pr->err = a < 0 ? -a : b < 0 ? -b : 1;
			_exit(1);
		}
		close(a);
		close(b);
		__atomic_add_fetch(&pr->ops, 1, __ATOMIC_SEQ_CST);
		usleep(500);
	}
	_exit(0);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static long median(long v[ROUNDS])
{
	qsort(v, ROUNDS, sizeof(v[0]), cmp_long);
	return v[ROUNDS / 2];
}

static long ops_now(struct progress *pr)
{
	return __atomic_load_n(&pr->ops, __ATOMIC_SEQ_CST);
}

/*
 * While this process makes (and frees) a 256 MiB named object, another
 * process's name operations go on. A held-up one could finish at most one
 * round before our create (or unlink) takes the lock and one after it
 * drops it, so more than two rounds during the call prove it was not
 * held up. The median of a few calls counts: a stalled virtual CPU may
 * let the small rounds run before a held-up call takes the lock, or stop
 * them while a call that does not hold it runs.
 */
TEST_F_TIMEOUT(names, large_create_does_not_block_names, 300)
{
	struct progress *pr = kt_shared(sizeof(*pr));
	long during_create[ROUNDS], during_free[ROUNDS], c0, c1, c2, c3;
	__u64 t0, t1, t2;
	int r, fd, i;
	pid_t pid;

	ASSERT_NE(NULL, pr);
	ASSERT_LE((long)(BIG + (1 << 20)),
		  kt_read_long("/sys/module/kipc/parameters/max_user_bytes"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		small_ops(pr);
	for (i = 0; i < 10000 && !ops_now(pr); i++)
		usleep(1000);
	ASSERT_LT(0, ops_now(pr));

	for (r = 0; r < ROUNDS; r++) {
		c0 = ops_now(pr);
		t0 = kt_now_ns();
		fd = kt_shm(self->dev, "kt-nt-big", BIG, KIPC_CREATE_EXCL, 0600);
		c1 = ops_now(pr);
		t1 = kt_now_ns();
		ASSERT_LE(0, fd);
		close(fd);
		c2 = ops_now(pr);
		/* The name holds the last reference: unlink frees 256 MiB. */
		EXPECT_EQ(0, kt_unlink(self->dev, "kt-nt-big"));
		c3 = ops_now(pr);
		t2 = kt_now_ns();
		TH_LOG("round %d: create %llu ms, %ld small rounds; free %llu ms, %ld",
		       r, (t1 - t0) / 1000000, c1 - c0, (t2 - t1) / 1000000,
		       c3 - c2);
		during_create[r] = c1 - c0;
		during_free[r] = c3 - c2;
	}
	__atomic_store_n(&pr->stop, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(0, kt_reap(pid)) TH_LOG("small ops failed: %d", pr->err);
	EXPECT_LT(2, median(during_create));
	EXPECT_LT(2, median(during_free));
	munmap(pr, sizeof(*pr));
}

TEST_HARNESS_MAIN
