// SPDX-License-Identifier: GPL-2.0-only
/*
 * The permission matrix of named objects: every type, created 0600, 0640
 * and 0666 by root and by an unprivileged user, opened (with the right and
 * a wrong type) and unlinked by the owner, a group member, another user,
 * root, root of a user namespace and a process in another IPC namespace.
 * Every cell is printed as expected vs got; any mismatch fails.
 */

#define _GNU_SOURCE
#include <sys/stat.h>

#include "kipc_test.h"
#include "kipc_userns_test.h"
#include "kselftest_harness.h"

#define LIMIT_PATH	"/sys/module/kipc/parameters/max_user_bytes"
#define USERNS_CLONE	"/proc/sys/kernel/unprivileged_userns_clone"
#define NMODES		3

static const unsigned int modes[NMODES] = { 0600, 0640, 0666 };

/* Root of a user namespace of uid 1000: mapped to kuid 100000, or to 1000. */
#define NSROOT	{ "nsroot", USERNS, 100000, 100000, "0 100000 65536\n" }
#define NS1000	{ "ns1000", USERNS, 1000, 1000, "0 1000 1\n" }

enum who_kind { IDS, USERNS, IPCNS };

struct who {
	const char *name;
	enum who_kind kind;
	uid_t uid;		/* the kuid it runs as */
	gid_t gid;		/* the kgid it runs as */
	const char *map;	/* USERNS: owned by uid 1000, ids 0 mapped */
};

struct creator {
	const char *name;
	uid_t uid;
	gid_t gid;
};

static const struct creator creators[] = {
	{ "root", 0, 0 },
	{ "user", 1000, 1000 },
};

/* Who tries, for a creator: owner, group member, other... */
static void openers(const struct creator *c, struct who *w, int *n)
{
	const struct who common[] = {
		{ "other", IDS, 1002, 1002, NULL },
		NSROOT, NS1000,
		{ "ipcns", IPCNS, 0, 0, NULL },
	};
	int i;

	*n = 0;
	w[(*n)++] = (struct who){ "owner", IDS, c->uid, c->gid, NULL };
	w[(*n)++] = (struct who){ "group", IDS, 1001, c->gid, NULL };
	if (c->uid)
		w[(*n)++] = (struct who){ "root", IDS, 0, 0, NULL };
	for (i = 0; i < 4; i++)
		w[(*n)++] = common[i];
}

struct cell {
	int open, wrong, unlink;
};

static struct cell expect_cell(const struct who *w, const struct creator *c,
			       unsigned int mode)
{
	struct cell e = { 0, -EINVAL, 0 };
	uid_t uid = w->uid;
	gid_t gid = w->gid;
	unsigned int bits;

	if (w->kind == IPCNS)
		return (struct cell){ -ENOENT, -ENOENT, -ENOENT };
	if (w->kind == IDS && uid == 0)
		return e;	/* the owner, or CAP_IPC_OWNER */
	if (uid == c->uid)
		bits = mode >> 6;
	else if (gid == c->gid)
		bits = mode >> 3;
	else
		bits = mode;
	if ((bits & 6) != 6) {
		/* Permission is checked before the type: no type leaks. */
		e.open = -EACCES;
		e.wrong = -EACCES;
	}
	if (uid != c->uid)
		e.unlink = -EACCES;
	return e;
}

FIXTURE(matrix) {
	int dev;
	long objects, names;
	char saved_clone[8];
};

FIXTURE_VARIANT(matrix) {
	__u32 type;
	const char *name;
};

#define TYPE(t, n) FIXTURE_VARIANT_ADD(matrix, n) { .type = t, .name = #n }
TYPE(KIPC_TYPE_SHM, shm);
TYPE(KIPC_TYPE_CHANNEL, channel);
TYPE(KIPC_TYPE_SEMAPHORE, semaphore);
TYPE(KIPC_TYPE_LOCK, lock);
TYPE(KIPC_TYPE_RLOCK, rlock);
TYPE(KIPC_TYPE_EVENT, event);
TYPE(KIPC_TYPE_BARRIER, barrier);
TYPE(KIPC_TYPE_CONDITION, condition);

FIXTURE_SETUP(matrix)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->objects = kt_objects();
	self->names = kt_names();
	/* An unprivileged user may create a user namespace (Debian's knob). */
	if (!access(USERNS_CLONE, F_OK))
		ASSERT_EQ(0, kt_write_str(USERNS_CLONE, "1"));
}

FIXTURE_TEARDOWN(matrix)
{
	close(self->dev);
	EXPECT_EQ(self->names, kt_names());
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
}

static void create_args(struct kipc_create *a, __u32 type, const char *name,
			unsigned int mode)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->flags = KIPC_CREATE_EXCL;
	a->mode = mode;
	a->name = (__u64)(unsigned long)name;
	a->name_len = strlen(name);
	switch (type) {
	case KIPC_TYPE_SHM:
		a->params.shm.size = 4096;
		break;
	case KIPC_TYPE_CHANNEL:
		a->params.channel.capacity = 2;
		a->params.channel.slot_size = 16;
		break;
	case KIPC_TYPE_BARRIER:
		a->params.sync.parties = 1;
		break;
	}
}

static void obj_name(char *buf, size_t size, __u32 type, int creator,
		     unsigned int mode)
{
	snprintf(buf, size, "kt-pm-%u-%s-%o", type, creators[creator].name,
		 mode);
}

static __u32 wrong_type(__u32 type)
{
	return type == KIPC_TYPE_CONDITION ? KIPC_TYPE_SHM : type + 1;
}

/* Runs @fn(@arg) in a child as @w; the child's exit code. */
static int run_as(const struct who *w, int (*fn)(void *), void *arg)
{
	pid_t pid;

	if (w->kind == USERNS)
		return kt_in_userns(1000, w->map, fn, arg);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (w->kind == IPCNS && unshare(CLONE_NEWIPC))
			_exit(210);
		if (setgroups(0, NULL) || setresgid(w->gid, w->gid, w->gid) ||
		    setresuid(w->uid, w->uid, w->uid))
			_exit(211);
		_exit(fn(arg));
	}
	return kt_reap(pid);
}

struct job {
	__u32 type;
	int creator;
	unsigned int mode;
	struct cell *got;	/* shared: one per mode */
};

static int do_create(void *arg)
{
	struct job *j = arg;
	struct kipc_create a;
	char name[64];
	int dev = kt_dev(), fd;

	umask(0);
	obj_name(name, sizeof(name), j->type, j->creator, j->mode);
	create_args(&a, j->type, name, j->mode);
	fd = kt_ioctl_fd(dev, KIPC_IOC_CREATE, &a);
	return fd < 0 ? -fd : 0;
}

static int create_as_creator(__u32 type, int creator, unsigned int mode)
{
	const struct creator *c = &creators[creator];
	struct who w = { c->name, IDS, c->uid, c->gid, NULL };
	struct job j = { type, creator, mode, NULL };

	return run_as(&w, do_create, &j);
}

static int do_opens(void *arg)
{
	struct job *j = arg;
	int dev = kt_dev(), m, fd;
	char name[64];

	for (m = 0; m < NMODES; m++) {
		obj_name(name, sizeof(name), j->type, j->creator, modes[m]);
		fd = kt_open(dev, name, j->type);
		j->got[m].open = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
		fd = kt_open(dev, name, wrong_type(j->type));
		j->got[m].wrong = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int do_unlinks(void *arg)
{
	struct job *j = arg;
	int dev = kt_dev(), m;
	char name[64];

	for (m = 0; m < NMODES; m++) {
		obj_name(name, sizeof(name), j->type, j->creator, modes[m]);
		j->got[m].unlink = -kt_unlink(dev, name);
	}
	return 0;
}

static const char *err_name(int err)
{
	static char buf[NMODES * 3][16];
	static int next;
	char *b = buf[next++ % (NMODES * 3)];

	if (!err)
		return "ok";
	snprintf(b, 16, "%s", strerrorname_np(-err) ?: "?");
	return b;
}

/* One cell: 0 if @got is what @exp allows. */
static int cell_ok(int exp, int got)
{
	return got != exp;
}

TEST_F_TIMEOUT(matrix, cells, 300)
{
	struct cell *got = kt_shared(NMODES * sizeof(*got));
	int c, m, i, n, bad = 0;
	struct who w[8];
	char name[64];

	ASSERT_NE(NULL, got);
	for (c = 0; c < 2; c++)
		for (m = 0; m < NMODES; m++)
			ASSERT_EQ(0, create_as_creator(variant->type, c, modes[m]));

	for (c = 0; c < 2; c++) {
		struct job j = { variant->type, c, 0, got };

		openers(&creators[c], w, &n);
		for (i = 0; i < n; i++) {
			memset(got, 0x55, NMODES * sizeof(*got));
			EXPECT_EQ(0, run_as(&w[i], do_opens, &j)) TH_LOG("%s", w[i].name);
			EXPECT_EQ(0, run_as(&w[i], do_unlinks, &j)) TH_LOG("%s", w[i].name);
			for (m = 0; m < NMODES; m++) {
				struct cell e = expect_cell(&w[i], &creators[c], modes[m]);
				struct cell *g = &got[m];
				int wrong = cell_ok(e.open, g->open) ||
					    cell_ok(e.wrong, g->wrong) ||
					    cell_ok(e.unlink, g->unlink);

				TH_LOG("%-9s by %-4s %04o  %-6s  open %s/%s  wrong-type %s/%s  unlink %s/%s%s",
				       variant->name, creators[c].name, modes[m],
				       w[i].name, err_name(e.open), err_name(g->open),
				       err_name(e.wrong), err_name(g->wrong),
				       err_name(e.unlink), err_name(g->unlink),
				       wrong ? "  MISMATCH" : "");
				bad += wrong;
				/* Put back what the unlink took. */
				obj_name(name, sizeof(name), variant->type, c, modes[m]);
				if (!g->unlink)
					EXPECT_EQ(0, create_as_creator(variant->type, c,
								       modes[m]));
			}
		}
	}
	EXPECT_EQ(0, bad);

	/* Still there for their own IPC namespace. */
	for (c = 0; c < 2; c++)
		for (m = 0; m < NMODES; m++) {
			obj_name(name, sizeof(name), variant->type, c, modes[m]);
			EXPECT_EQ(0, kt_unlink(self->dev, name)) TH_LOG("%s", name);
		}
}

/* Root of a user namespace, against its owner's quota. */
static int quota_hold(void *unused)
{
	(void)unused;
	return kt_shm(kt_dev(), "kt-pm-quota", 768 << 10, KIPC_CREATE_EXCL,
		      0600) < 0;
}

static int quota_try(void *arg)
{
	int fd = kt_shm(kt_dev(), NULL, 512 << 10, 0, 0);

	*(int *)arg = fd < 0 ? fd : 0;
	return 0;
}

TEST(userns_root_quota)
{
	const struct {
		struct who w;
		int expect;
	} rows[] = {
		{ NSROOT, -EDQUOT },
		{ NS1000, -EDQUOT },
		{ { "owner", IDS, 1000, 1000, NULL }, -EDQUOT },
		{ { "other", IDS, 1002, 1002, NULL }, 0 },
		{ { "root", IDS, 0, 0, NULL }, 0 },
	};
	int *got = kt_shared(sizeof(int));
	char old[32] = "";
	unsigned int i;
	int bad = 0, dev = kt_dev();
	struct who nsroot;
	FILE *f = fopen(LIMIT_PATH, "r");

	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	if (!access(USERNS_CLONE, F_OK))
		ASSERT_EQ(0, kt_write_str(USERNS_CLONE, "1"));
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, "1048576"));
	/* uid 1000 holds 768 KiB of its 1 MiB, from inside a namespace it owns. */
	nsroot = rows[0].w;
	EXPECT_EQ(0, run_as(&nsroot, quota_hold, NULL));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		*got = 1;
		EXPECT_EQ(0, run_as(&rows[i].w, quota_try, got));
		TH_LOG("512 KiB by %-6s while uid 1000 holds 768 KiB: %s/%s%s",
		       rows[i].w.name, err_name(rows[i].expect), err_name(*got),
		       *got != rows[i].expect ? "  MISMATCH" : "");
		bad += *got != rows[i].expect;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, kt_unlink(dev, "kt-pm-quota"));
	EXPECT_EQ(0, kt_write_str(LIMIT_PATH, old));
	close(dev);
}

TEST_HARNESS_MAIN
