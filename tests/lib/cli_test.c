// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kipc command's output helpers, on the host: name escaping for
 * people, JSON string escaping, the JSON of each kind of object, the ls
 * summaries, type names. The commands themselves need the driver:
 * python/tests/test_cli.py runs them in the VM.
 */

#include "../../tools/kipc/output.c"

#include "kselftest_harness.h"

/* What @fn(f, ...) wrote, as a malloc'ed string. */
#define CAPTURE(buf, call) do {					\
	size_t len_;						\
	FILE *f = open_memstream(&(buf), &len_);		\
	ASSERT_NE(NULL, f);					\
	call;							\
	ASSERT_EQ(0, fclose(f));				\
} while (0)

static const char nasty[] = "a\"b\\c\x01\x1f \x7f\xc3\xa9~";

TEST(name_escaping_for_people)
{
	char *out;

	CAPTURE(out, put_name(f, nasty, strlen(nasty)));
	EXPECT_STREQ("a\"b\\x5cc\\x01\\x1f \\x7f\\xc3\\xa9~", out);
	free(out);
}

TEST(json_strings_are_ascii)
{
	char *out;
	size_t i;

	CAPTURE(out, json_str(f, nasty, strlen(nasty)));
	EXPECT_STREQ("\"a\\\"b\\\\c\\u0001\\u001f \\u007f\\u00c3\\u00a9~\"", out);
	for (i = 0; out[i]; i++)
		EXPECT_TRUE(out[i] >= 0x20 && out[i] < 0x7f);
	free(out);
	CAPTURE(out, json_str(f, "", 0));
	EXPECT_STREQ("\"\"", out);
	free(out);
}

static void fill_common(struct kipc_stat *st, uint32_t type)
{
	memset(st, 0, sizeof(*st));
	st->id = 42;
	st->type = type;
	st->flags = KIPC_STAT_NAMED | KIPC_STAT_LINKED;
	st->uid = 1000;
	st->gid = 100;
	st->mode = 0640;
	strcpy(st->name, "q\xff");
	st->name_len = 2;
	st->ctime_ns = 123456789012345678ULL;
	st->size = 8192;
	st->kmem = 12288;
	st->mappings = 2;
	st->sleepers = 1;
	st->uring_pending = 3;
	st->waits = 7;
	st->wakes = 6;
}

#define COMMON_JSON(type) \
	"{\"id\":42,\"type\":\"" type "\",\"flags\":3,\"uid\":1000," \
	"\"gid\":100,\"mode\":416,\"name\":\"q\\u00ff\"," \
	"\"ctime_ns\":123456789012345678,\"size\":8192,\"kmem\":12288," \
	"\"mappings\":2,\"sleepers\":1,\"uring_pending\":3,\"waits\":7," \
	"\"wakes\":6"

TEST(json_of_a_channel)
{
	struct kipc_stat st;
	char *out;

	fill_common(&st, KIPC_TYPE_CHANNEL);
	st.u.ring[0] = (struct kipc_ring_stat){
		.queued = 1, .queued_bytes = 10, .puts = 3, .gets = 2,
		.dropped = 4, .discarded = 5, .recoveries = 6, .buffers = 7,
		.buffer_bytes = 8, .get_waiters = 9, .put_waiters = 10,
		.closed = 0,
	};
	st.u.ring[1].queued = 99;	/* not a channel's: not shown */
	CAPTURE(out, json_stat(f, &st));
	EXPECT_STREQ(COMMON_JSON("channel")
		     ",\"rings\":[{\"queued\":1,\"queued_bytes\":10,\"puts\":3,"
		     "\"gets\":2,\"dropped\":4,\"discarded\":5,\"recoveries\":6,"
		     "\"buffers\":7,\"buffer_bytes\":8,\"get_waiters\":9,"
		     "\"put_waiters\":10,\"closed\":0}]}", out);
	free(out);
}

TEST(json_of_pipes_has_one_ring_per_direction)
{
	struct kipc_stat st;
	char *out;

	fill_common(&st, KIPC_TYPE_PIPE);
	st.u.ring[1].queued = 5;
	st.u.ring[1].closed = KIPC_CHANNEL_CLOSED_WRITER;
	CAPTURE(out, json_stat(f, &st));
	EXPECT_EQ(NULL, strstr(out, "\"queued\":5"));	/* one-way */
	free(out);
	st.params.channel.flags = KIPC_PIPE_DUPLEX;
	CAPTURE(out, json_stat(f, &st));
	EXPECT_NE(NULL, strstr(out, "},{\"queued\":5,"));
	EXPECT_NE(NULL, strstr(out, "\"closed\":1}]}"));
	free(out);
}

TEST(json_of_sync_objects_and_shm)
{
	struct kipc_stat st;
	char *out;

	fill_common(&st, KIPC_TYPE_LOCK);
	st.u.sync = (struct kipc_sync_stat){
		.value = 1, .holder = 17, .waiters = 2,
		.flags = KIPC_SYNC_STAT_DIED, .owner_died = 3, .recoveries = 4,
	};
	CAPTURE(out, json_stat(f, &st));
	EXPECT_STREQ(COMMON_JSON("lock")
		     ",\"sync\":{\"value\":1,\"holder\":17,\"waiters\":2,"
		     "\"flags\":1,\"owner_died\":3,\"recoveries\":4}}", out);
	free(out);
	fill_common(&st, KIPC_TYPE_SHM);
	CAPTURE(out, json_stat(f, &st));
	EXPECT_STREQ(COMMON_JSON("shm") "}", out);
	free(out);
}

TEST(summaries)
{
	struct kipc_stat st;
	char buf[64];

	fill_common(&st, KIPC_TYPE_CHANNEL);
	st.u.ring[0].queued = 4;
	st.u.ring[0].get_waiters = 1;
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("queued=4 waiters=1/0", buf);

	fill_common(&st, KIPC_TYPE_PIPE);
	st.params.channel.flags = KIPC_PIPE_DUPLEX;
	st.u.ring[1].queued = 2;
	st.u.ring[1].closed = KIPC_CHANNEL_CLOSED_READER;
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("queued=0/2 closed", buf);

	fill_common(&st, KIPC_TYPE_RLOCK);
	st.u.sync.value = 2;
	st.u.sync.holder = 5;
	st.u.sync.flags = KIPC_SYNC_STAT_DIED;
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("value=2 holder=5 waiters=0 died", buf);

	fill_common(&st, KIPC_TYPE_BARRIER);
	st.params.sync.parties = 3;
	st.u.sync.value = 1;
	st.u.sync.flags = KIPC_SYNC_STAT_BROKEN;
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("waiting=1/3 broken", buf);

	fill_common(&st, KIPC_TYPE_EVENT);
	st.u.sync.flags = KIPC_SYNC_STAT_SET;
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("set waiters=0", buf);

	fill_common(&st, KIPC_TYPE_SHM);
	summary(&st, buf, sizeof(buf));
	EXPECT_STREQ("-", buf);
}

TEST(name_length_is_bounded)
{
	struct kipc_stat st;

	fill_common(&st, KIPC_TYPE_SHM);
	memset(st.name, 'x', sizeof(st.name));	/* no NUL at all */
	st.name_len = 1000;
	EXPECT_EQ(KIPC_NAME_MAX, name_len(&st));
	st.name_len = 3;
	EXPECT_EQ(3, name_len(&st));
}

TEST(type_names_round_trip)
{
	uint32_t t;

	for (t = KIPC_TYPE_SHM; t <= KIPC_TYPE_PIPE; t++)
		EXPECT_EQ(t, type_from_name(type_name(t)));
	EXPECT_EQ(0, type_from_name("unknown"));
	EXPECT_EQ(0, type_from_name("queue"));
	EXPECT_STREQ("unknown", type_name(0));
	EXPECT_STREQ("unknown", type_name(77));
}

TEST_HARNESS_MAIN
