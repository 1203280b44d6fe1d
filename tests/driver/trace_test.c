// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kipc tracepoints (events/kipc/ in tracefs): each event fires, with
 * the object's id, for the operation that names it.
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libipc.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define USER_OBJECTS	"/sys/module/kipc/parameters/max_user_objects"

static int tracefs_ready(void)
{
	struct stat sb;

	if (!stat(TRACEFS "events/kipc", &sb))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return errno;
	return stat(TRACEFS "events/kipc", &sb) ? errno : 0;
}

/* The whole trace buffer as a string (malloc'ed), or NULL. */
static char *trace_read(void)
{
	size_t len = 0, room = 1 << 16;
	char *buf = malloc(room);
	FILE *f = fopen(TRACEFS "trace", "r");
	size_t n;

	if (!buf || !f) {
		free(buf);
		if (f)
			fclose(f);
		return NULL;
	}
	while ((n = fread(buf + len, 1, room - len - 1, f)) > 0) {
		len += n;
		if (room - len < 4096) {
			char *more = realloc(buf, room * 2);

			if (!more)
				break;
			buf = more;
			room *= 2;
		}
	}
	buf[len] = 0;
	fclose(f);
	return buf;
}

static __u64 obj_id(int fd)
{
	struct kipc_stat_query q = { .version = KIPC_STAT_VERSION };
	struct kipc_stat st;

	q.stat = (uintptr_t)&st;
	if (ioctl(fd, KIPC_OBJ_IOC_STAT, &q))
		return ~0ULL;
	return st.id;
}

/* Does @trace hold a line of @event whose fields start with @fields? */
static int has(const char *trace, const char *event, const char *fields)
{
	char want[256];

	snprintf(want, sizeof(want), "%s: %s", event, fields);
	return strstr(trace, want) != NULL;
}

FIXTURE(trace) {
	long objects;
	char old_objects[32];
};

FIXTURE_SETUP(trace)
{
	FILE *f;

	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
	ASSERT_EQ(0, tracefs_ready());
	f = fopen(USER_OBJECTS, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(self->old_objects, sizeof(self->old_objects), f));
	fclose(f);
	ASSERT_EQ(0, kt_write_str(TRACEFS "trace", ""));
	ASSERT_EQ(0, kt_write_str(TRACEFS "events/kipc/enable", "1"));
	ASSERT_EQ(0, kt_write_str(TRACEFS "tracing_on", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	EXPECT_EQ(0, kt_write_str(USER_OBJECTS, self->old_objects));
	EXPECT_EQ(0, kt_write_str(TRACEFS "events/kipc/enable", "0"));
	EXPECT_EQ(0, kt_write_str(TRACEFS "trace", ""));
	EXPECT_EQ(self->objects, kt_objects());
}

TEST_F(trace, every_event)
{
	struct kipc_sync *e, *l, *refused = NULL;
	char f[128], *t;
	__u64 eid, lid;
	pid_t pid;

	/* Create, and a blocking wait that a wake ends. */
	ASSERT_EQ(0, kipc_event_create(&e, NULL, 0, 0));
	eid = obj_id(kipc_sync_fd(e));
	ASSERT_NE(~0ULL, eid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-kipc_event_wait(e, KIPC_NO_DEADLINE));
	ASSERT_EQ(0, kt_fdinfo_reaches(kipc_sync_fd(e), "kipc-sleepers", 1));
	ASSERT_EQ(0, kipc_event_set(e));
	EXPECT_EQ(0, kt_reap(pid));

	/* A lock holder killed. */
	ASSERT_EQ(0, kipc_lock_create(&l, NULL, 0, 0));
	lid = obj_id(kipc_sync_fd(l));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_lock_acquire(l, KIPC_NO_DEADLINE))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));

	/* A create the quota refuses. */
	ASSERT_EQ(0, kt_write_str(USER_OBJECTS, "0"));
	EXPECT_EQ(-EDQUOT, kipc_event_create(&refused, NULL, 0, 0));
	ASSERT_EQ(0, kt_write_str(USER_OBJECTS, self->old_objects));

	kipc_sync_close(l);
	kipc_sync_close(e);
	ASSERT_EQ(0, kt_write_str(TRACEFS "events/kipc/enable", "0"));

	t = trace_read();
	ASSERT_NE(NULL, t);
	snprintf(f, sizeof(f), "id=%llu type=%u size=%d uid=%u",
		 (unsigned long long)eid, KIPC_TYPE_EVENT, getpagesize(),
		 geteuid());
	EXPECT_TRUE(has(t, "kipc_object_create", f)) TH_LOG("%s", t);
	snprintf(f, sizeof(f), "id=%llu offset=%u", (unsigned long long)eid,
		 KIPC_SYNC_OFF_WORD);
	EXPECT_TRUE(has(t, "kipc_wait", f));
	snprintf(f, sizeof(f), "id=%llu offset=%u result=0",
		 (unsigned long long)eid, KIPC_SYNC_OFF_WORD);
	EXPECT_TRUE(has(t, "kipc_wait_done", f));
	snprintf(f, sizeof(f), "id=%llu offset=%u woken=1",
		 (unsigned long long)eid, KIPC_SYNC_OFF_WORD);
	EXPECT_TRUE(has(t, "kipc_wake", f));
	snprintf(f, sizeof(f), "id=%llu type=%u owner=",
		 (unsigned long long)lid, KIPC_TYPE_LOCK);
	EXPECT_TRUE(has(t, "kipc_owner_died", f));
	snprintf(f, sizeof(f), "uid=%u bytes=%d err=%d", geteuid(),
		 getpagesize(), -EDQUOT);
	EXPECT_TRUE(has(t, "kipc_quota_refused", f));
	snprintf(f, sizeof(f), "id=%llu type=%u", (unsigned long long)lid,
		 KIPC_TYPE_LOCK);
	EXPECT_TRUE(has(t, "kipc_object_destroy", f));
	snprintf(f, sizeof(f), "id=%llu type=%u", (unsigned long long)eid,
		 KIPC_TYPE_EVENT);
	EXPECT_TRUE(has(t, "kipc_object_destroy", f));
	free(t);
}

/* A producer killed holding a claim: the ring's recovery is traced. */
TEST_F(trace, ring_recover)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, 0);
	struct kipc_channel_claim c;
	char f[128], *t;
	__u64 id;
	pid_t pid;

	ASSERT_NE(NULL, ch);
	id = obj_id(kipc_channel_fd(ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kipc_channel_put_claim(ch, 4, &c, KIPC_NOWAIT))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	kipc_channel_close(ch);
	t = trace_read();
	ASSERT_NE(NULL, t);
	snprintf(f, sizeof(f), "id=%llu ring=0 dropped=0 discarded=1",
		 (unsigned long long)id);
	EXPECT_TRUE(has(t, "kipc_ring_recover", f)) TH_LOG("%s", t);
	free(t);
}

TEST_HARNESS_MAIN
