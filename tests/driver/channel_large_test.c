// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channels: messages larger than a slot, carried in kernel buffers named
 * by indirect records. Sizes up to 64 MiB, read(2)/write(2), EMSGSIZE, the
 * per-user limit, a consumer killed holding an indirect claim, a producer
 * killed while waiting for room, scribbled
 * handles, buffers left queued at destruction, and a mixed-size MPMC run
 * across processes with content checks.
 * KIPC_TEST_SCALE=N divides iteration counts by N.
 */

#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <libipc.h>
#include <kipc/ring.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

#define LIMIT_PATH	"/sys/module/kipc/parameters/max_user_bytes"
#define MIB		(1UL << 20)

static struct kipc_channel_stats stats(struct kipc_channel *ch)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed * 13 + (i >> 12));
}

static int check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 7 + seed * 13 + (i >> 12)))
			return -1;
	return 0;
}

/* The ring of @ch mapped once more, as a hostile process would. */
struct raw {
	void *base;
	size_t size;
	struct kipc_ring_view v;
	int owner;
};

static int raw_map(struct kipc_channel *ch, struct raw *r)
{
	int fd = kipc_channel_fd(ch);
	struct kipc_info info;

	if (kipc_object_info(fd, &info))
		return -1;
	r->size = info.size;
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED)
		return -1;
	r->v.base = r->base;
	r->v.capacity = info.params.channel.capacity;
	r->v.slot_size = info.params.channel.slot_size;
	r->owner = kipc_object_map_id(fd, r->base);
	return r->owner > 0 ? 0 : -1;
}

FIXTURE(large) {
	long objects, names;
};

FIXTURE_SETUP(large)
{
	self->objects = kt_objects();
	self->names = kt_names();
	ASSERT_LE(0, self->objects);
}

FIXTURE_TEARDOWN(large)
{
	EXPECT_EQ(self->objects, kt_objects());
	EXPECT_EQ(self->names, kt_names());
}

TEST_F(large, sizes)
{
	static const size_t sizes[] = { 0, 1, 64, 65, 4096, 100000, MIB };
	struct kipc_channel *ch = kt_chan_new(4, 64, 2 * MIB);
	unsigned char *in = malloc(MIB), *out = malloc(MIB);
	unsigned int i;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(2 * MIB, kipc_channel_max_msg(ch));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill(in, sizes[i], i);
		ASSERT_EQ(0, kipc_channel_put(ch, in, sizes[i], KIPC_NOWAIT));
		EXPECT_EQ(sizes[i] > 64, stats(ch).buffers);
		EXPECT_EQ(sizes[i] > 64 ? sizes[i] : 0, stats(ch).buffer_bytes);
		memset(out, 0, MIB);
		ASSERT_EQ((ssize_t)sizes[i],
			  kipc_channel_get(ch, out, MIB, KIPC_NOWAIT));
		EXPECT_EQ(0, check(out, sizes[i], i));
		EXPECT_EQ(0, stats(ch).buffers);
	}
	/* A buffer too small leaves the message where it is. */
	fill(in, 1000, 5);
	ASSERT_EQ(0, kipc_channel_put(ch, in, 1000, KIPC_NOWAIT));
	EXPECT_EQ(-EMSGSIZE, kipc_channel_get(ch, out, 999, KIPC_NOWAIT));
	EXPECT_EQ(-1, read(kipc_channel_fd(ch), out, 999));
	EXPECT_EQ(EMSGSIZE, errno);
	/* read(2) takes it; write(2) puts large messages too. */
	ASSERT_EQ(1000, read(kipc_channel_fd(ch), out, MIB));
	EXPECT_EQ(0, check(out, 1000, 5));
	fill(in, MIB, 6);
	ASSERT_EQ((ssize_t)MIB, write(kipc_channel_fd(ch), in, MIB));
	memset(out, 0, MIB);
	ASSERT_EQ((ssize_t)MIB, kipc_channel_get(ch, out, MIB, KIPC_NOWAIT));
	EXPECT_EQ(0, check(out, MIB, 6));
	/* Full of large messages: non-blocking and timed puts fail cleanly. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, in, 4096, KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, kipc_channel_put(ch, in, 4096, KIPC_NOWAIT));
	EXPECT_EQ(-ETIMEDOUT, kipc_channel_put(ch, in, 4096,
					       kt_now_ns() + 20000000));
	EXPECT_EQ(4, stats(ch).buffers);
	/* Batches mix both kinds. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(4096, kipc_channel_get(ch, out, MIB, KIPC_NOWAIT));
	{
		struct iovec put[3] = {
			{ in, 8 }, { in, 5000 }, { in, 64 },
		};
		struct iovec get[3] = {
			{ out, MIB / 2 }, { out + MIB / 2, MIB / 4 },
			{ out + 3 * MIB / 4, MIB / 4 },
		};

		ASSERT_EQ(3, kipc_channel_put_many(ch, put, 3, KIPC_NOWAIT));
		ASSERT_EQ(3, kipc_channel_get_many(ch, get, 3, KIPC_NOWAIT));
		EXPECT_EQ(8, get[0].iov_len);
		EXPECT_EQ(5000, get[1].iov_len);
		EXPECT_EQ(0, memcmp(out + MIB / 2, in, 5000));
		EXPECT_EQ(64, get[2].iov_len);
	}
	EXPECT_EQ(0, stats(ch).buffers);
	kipc_channel_close(ch);
	free(in);
	free(out);
}

TEST_F(large, sixty_four_mib)
{
	size_t len = KIPC_CHANNEL_MAX_MSG;
	struct kipc_channel *ch = kt_chan_new(2, 64, len);
	unsigned char *in = malloc(len), *out = malloc(len);

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	fill(in, len, 64);
	ASSERT_EQ(0, kipc_channel_put(ch, in, len, KIPC_NOWAIT));
	EXPECT_EQ(len, stats(ch).buffer_bytes);
	memset(out, 0, len);
	ASSERT_EQ((ssize_t)len, kipc_channel_get(ch, out, len, KIPC_NOWAIT));
	EXPECT_EQ(0, memcmp(in, out, len));
	EXPECT_EQ(0, stats(ch).buffers);
	EXPECT_EQ(-EMSGSIZE, kipc_channel_put(ch, in, len + 1, KIPC_NOWAIT));
	kipc_channel_close(ch);
	free(in);
	free(out);
}

TEST_F(large, msgsize_and_validation)
{
	struct kipc_channel *ch = kt_chan_new(2, 64, 4096);
	struct kipc_channel_params p = {
		.capacity = 2, .slot_size = 64,
		.max_msg = KIPC_CHANNEL_MAX_MSG + 1,
	};
	struct kipc_channel_large a;
	char buf[8192];
	int fd;

	ASSERT_NE(NULL, ch);
	fd = kipc_channel_fd(ch);
	EXPECT_EQ(-EINVAL, kipc_channel_create(NULL, &p, 0, 0));
	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ(-EMSGSIZE, kipc_channel_put(ch, buf, 4097, KIPC_NOWAIT));
	EXPECT_EQ(-1, write(fd, buf, 4097));
	EXPECT_EQ(EMSGSIZE, errno);
	memset(&a, 0, sizeof(a));
	a.data = (uintptr_t)buf;
	a.len = 4097;
	EXPECT_EQ(-EMSGSIZE, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	a.len = 100;
	a.flags = 4;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	a.flags = 0;
	a.pad = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	a.pad = 0;
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	a.reserved[1] = 0;
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, NULL));
	a.data = 8;
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	EXPECT_EQ(0, stats(ch).buffers);
	/* Through the ioctls directly: both return the length... */
	a.data = (uintptr_t)buf;
	a.flags = KIPC_CHANNEL_LARGE_NOWAIT;
	EXPECT_EQ(100, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &a));
	/* ...a fault leaves the message in place... */
	a.data = 8;
	EXPECT_EQ(-EFAULT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	a.data = (uintptr_t)buf;
	a.len = 99;
	EXPECT_EQ(-EMSGSIZE, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	a.len = sizeof(buf);
	EXPECT_EQ(100, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	EXPECT_EQ(-EAGAIN, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	a.flags = KIPC_WAIT_DEADLINE;
	a.deadline_ns = kt_now_ns() + 10000000;
	EXPECT_EQ(-ETIMEDOUT, kt_ioctl_fd(fd, KIPC_CHANNEL_IOC_GET_LARGE, &a));
	kipc_channel_close(ch);
}

TEST_F(large, per_user_limit)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, MIB);
	char old[32] = "";
	FILE *f = fopen(LIMIT_PATH, "r");
	char *buf = calloc(1, MIB);
	char lim[32];

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	/* The ring's page is charged already; leave room for 64 KiB more. */
	snprintf(lim, sizeof(lim), "%d", getpagesize() + 65536);
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, lim));
	EXPECT_EQ(-EDQUOT, kipc_channel_put(ch, buf, MIB, KIPC_NOWAIT));
	EXPECT_EQ(-1, write(kipc_channel_fd(ch), buf, 65537));
	EXPECT_EQ(EDQUOT, errno);
	EXPECT_EQ(0, kipc_channel_put(ch, buf, 65536, KIPC_NOWAIT));
	EXPECT_EQ(-EDQUOT, kipc_channel_put(ch, buf, 65, KIPC_NOWAIT));
	EXPECT_EQ(65536, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	/* Freed on get: the charge is back. */
	EXPECT_EQ(0, kipc_channel_put(ch, buf, 65536, KIPC_NOWAIT));
	ASSERT_EQ(0, kt_write_str(LIMIT_PATH, old));
	kipc_channel_close(ch);
	free(buf);
}

TEST_F(large, consumer_killed_holding_indirect_claim)
{
	struct kipc_channel *ch = kt_chan_new(2, 64, MIB);
	char *buf = malloc(MIB);
	pid_t pid;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, buf);
	fill((unsigned char *)buf, 5000, 1);
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 5000, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 6000, KIPC_NOWAIT));
	EXPECT_EQ(2, stats(ch).buffers);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kipc_ring_msg m;
		struct raw r;

		if (raw_map(ch, &r))
			_exit(1);
		if (kipc_ring_get_claim(&r.v, r.owner, KIPC_RING_TAKE_INDIRECT, &m))
			_exit(2);
		if (m.type != KIPC_RING_REC_INDIRECT || m.len != 5000)
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	EXPECT_EQ(1, stats(ch).dropped);
	EXPECT_EQ(1, stats(ch).buffers);
	EXPECT_EQ(6000, stats(ch).buffer_bytes);
	EXPECT_EQ(6000, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	EXPECT_EQ(0, stats(ch).buffers);
	kipc_channel_close(ch);
	free(buf);
}

TEST_F(large, producer_killed_while_waiting_for_room)
{
	struct kipc_channel *ch = kt_chan_new(1, 64, MIB);
	char *buf = calloc(1, MIB);
	pid_t pid;
	int i;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 3000, KIPC_NOWAIT));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-kipc_channel_put(ch, buf, 4000, KIPC_NO_DEADLINE));
	for (i = 0; i < 20000 && stats(ch).put_waiters != 1; i++)
		usleep(1000);
	EXPECT_EQ(1, stats(ch).put_waiters);
	EXPECT_EQ(2, stats(ch).buffers);
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_reap(pid));
	/* Its buffer went with it; nothing was published. */
	EXPECT_EQ(1, stats(ch).buffers);
	EXPECT_EQ(3000, stats(ch).buffer_bytes);
	EXPECT_EQ(3000, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	EXPECT_EQ(0, stats(ch).buffers);
	kipc_channel_close(ch);
	free(buf);
}

/* The slot of the next message, from a raw mapping. */
static struct kipc_ring_slot *head_slot(struct raw *r)
{
	struct kipc_ring_hdr *h = r->base;

	return kipc_ring_slot(&r->v, h->head);
}

TEST_F(large, scribbled_handles)
{
	struct kipc_channel *ch = kt_chan_new(4, 64, MIB);
	char *buf = malloc(MIB);
	struct kipc_ring_slot *s;
	struct raw r;
	__u64 handle;
	int i;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, raw_map(ch, &r));
	memset(buf, 'q', MIB);

	/* A handle off by one bit of the tag, then of the index. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kipc_channel_put(ch, buf, 1000, KIPC_NOWAIT));
		s = head_slot(&r);
		ASSERT_EQ(KIPC_RING_REC_INDIRECT, s->type);
		memcpy(&handle, s->data, sizeof(handle));
		handle ^= i ? 1 : 1ULL << 40;
		memcpy(s->data, &handle, sizeof(handle));
		EXPECT_EQ(-EBADMSG, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
		EXPECT_EQ(-EAGAIN, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	}
	/* A wrong length. */
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 1000, KIPC_NOWAIT));
	s = head_slot(&r);
	s->len = 999;
	EXPECT_EQ(-EBADMSG, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	/* Inline records turned indirect, with garbage and zero handles. */
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 16, KIPC_NOWAIT));
	s = head_slot(&r);
	s->type = KIPC_RING_REC_INDIRECT;
	s->len = 0xffffffff;
	EXPECT_EQ(-EBADMSG, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 16, KIPC_NOWAIT));
	s = head_slot(&r);
	memset(s->data, 0, 8);
	s->type = KIPC_RING_REC_INDIRECT;
	EXPECT_EQ(-1, read(kipc_channel_fd(ch), buf, MIB));
	EXPECT_EQ(EBADMSG, errno);
	/* The orphaned buffers stay charged to the channel, freed with it. */
	EXPECT_EQ(3, stats(ch).buffers);
	/* Still usable. */
	ASSERT_EQ(0, kipc_channel_put(ch, buf, 2000, KIPC_NOWAIT));
	EXPECT_EQ(2000, kipc_channel_get(ch, buf, MIB, KIPC_NOWAIT));
	munmap(r.base, r.size);
	kipc_channel_close(ch);
	free(buf);
}

TEST_F(large, destroyed_with_buffers_queued)
{
	struct kipc_channel *ch = kt_chan_new(8, 64, MIB);
	char *buf = calloc(1, MIB);
	int i;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, kipc_channel_put(ch, buf, 1000 * (i + 1) * 100,
					      KIPC_NOWAIT));
	EXPECT_EQ(8, stats(ch).buffers);
	kipc_channel_close(ch);
	free(buf);
}

/* Message: a header (producer, sequence, length) then filler from both. */
struct hdr {
	__u32 producer;
	__u32 seq;
	__u32 len;
	__u32 pad;
};

static size_t mixed_len(unsigned int p, unsigned int seq)
{
	static const size_t lens[] = { 16, 64, 65, 1000, 70000, 300000 };

	return lens[(p * 7 + seq * 5) % 6];
}

TEST_F(large, mixed_sizes_mpmc)
{
	enum { PRODUCERS = 2, CONSUMERS = 2 };
	unsigned int per = kt_scaled(200), i;
	struct kipc_channel *ch = kt_chan_new(8, 64, MIB);
	pid_t pids[PRODUCERS + CONSUMERS];
	__u64 *got;

	ASSERT_NE(NULL, ch);
	got = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, got);
	for (i = 0; i < PRODUCERS + CONSUMERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i])
			continue;
		if (i < PRODUCERS) {
			unsigned char *m = malloc(MIB);
			unsigned int s;

			for (s = 0; s < per; s++) {
				size_t len = mixed_len(i, s);
				struct hdr h = { i, s, len, 0 };

				fill(m, len, i * 1000 + s);
				memcpy(m, &h, sizeof(h));
				if (kipc_channel_put(ch, m, len, KIPC_NO_DEADLINE))
					_exit(10);
			}
			_exit(0);
		} else {
			unsigned char *m = malloc(MIB);
			for (;;) {
				ssize_t n = kipc_channel_get(ch, m, MIB,
							     kt_now_ns() + 2000000000ULL);
				struct hdr h;

				if (n == -ETIMEDOUT)
					break;
				if (n < (ssize_t)sizeof(h))
					_exit(20);
				memcpy(&h, m, sizeof(h));
				if (h.producer >= PRODUCERS || h.len != n ||
				    n != (ssize_t)mixed_len(h.producer, h.seq))
					_exit(21);
				fill(m, sizeof(h), h.producer * 1000 + h.seq);
				if (check(m, n, h.producer * 1000 + h.seq))
					_exit(22);
				__atomic_add_fetch(&got[500], 1, __ATOMIC_RELAXED);
			}
			_exit(0);
		}
	}
	for (i = 0; i < PRODUCERS + CONSUMERS; i++)
		EXPECT_EQ(0, kt_reap(pids[i]));
	EXPECT_EQ(PRODUCERS * per, got[500]);
	EXPECT_EQ(0, stats(ch).buffers);
	EXPECT_EQ(0, stats(ch).dropped);
	munmap(got, 4096);
	kipc_channel_close(ch);
}

TEST_HARNESS_MAIN
