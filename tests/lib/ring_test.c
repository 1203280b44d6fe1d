// SPDX-License-Identifier: GPL-2.0-only
/*
 * The channel ring of include/kipc/ring.h, on the host: every operation and
 * its errors, wrap-around, multi-process SPSC and MPMC stress, processes
 * SIGKILLed at random instants with the parent recovering as the kernel
 * would, and hostile bytes written over the ring.
 *
 * The kernel's part is played by the test: it hands out owner ids, calls
 * kipc_ring_recover() for a dead process, and sleeps and wakes through
 * kernel_wait() and kernel_wake() below, a futex stand-in for the driver's
 * wait. KIPC_TEST_SCALE=N divides iteration counts and durations by N.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc/ring.h>

#include "kselftest_harness.h"

/* --- helpers ------------------------------------------------------------ */

static unsigned long scaled(unsigned long n)
{
	const char *s = getenv("KIPC_TEST_SCALE");
	unsigned long div = s ? strtoul(s, NULL, 10) : 1;

	if (div < 1)
		div = 1;
	return n / div ? n / div : 1;
}

static u64 rnd_state;

static u64 rnd(void)
{
	/* xorshift64*: cheap, and each process seeds its own. */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

static void rnd_seed(u64 seed)
{
	rnd_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	rnd();
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Shared anonymous memory, as every process of a channel sees it. */
static void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A ring in a shared mapping that ends exactly at a PROT_NONE guard page, with
 * another guard page in front: an access outside the ring faults.
 */
struct test_ring {
	struct kipc_ring_view v;
	char *map;
	size_t maplen;
	u64 bytes;
};

static int ring_create(struct test_ring *r, u32 capacity, u32 slot_size)
{
	size_t pg = sysconf(_SC_PAGESIZE), len;

	r->bytes = kipc_ring_bytes(capacity, slot_size);
	if (!r->bytes)
		return -EINVAL;
	len = (r->bytes + pg - 1) / pg * pg;
	r->maplen = len + 2 * pg;
	r->map = mmap(NULL, r->maplen, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (r->map == MAP_FAILED)
		return -errno;
	if (mprotect(r->map + pg, len, PROT_READ | PROT_WRITE))
		return -errno;
	r->v.base = r->map + pg + len - r->bytes;
	r->v.capacity = capacity;
	r->v.slot_size = slot_size;
	return kipc_ring_init(&r->v);
}

static void ring_destroy(struct test_ring *r)
{
	munmap(r->map, r->maplen);
}

static struct kipc_ring_hdr *hdr(struct test_ring *r)
{
	return r->v.base;
}

/*
 * Test stand-in for the driver's wait: count ourselves in, full barrier, the
 * final check of ring.h, then sleep while the word still holds @seq.
 */
static void kernel_wait(const struct kipc_ring_view *v, bool for_get, u32 seq)
{
	struct kipc_ring_hdr *h = v->base;
	u32 *waiters = for_get ? &h->get_waiters : &h->put_waiters;
	u32 *word = for_get ? &h->put_seq : &h->get_seq;
	bool sleep;

	__atomic_fetch_add(waiters, 1, __ATOMIC_SEQ_CST);
	kipc_mb();
	sleep = for_get ? kipc_ring_get_must_sleep(v, seq) :
			  kipc_ring_put_must_sleep(v, seq);
	if (sleep)
		syscall(SYS_futex, word, FUTEX_WAIT, seq, NULL, NULL, 0);
	__atomic_fetch_sub(waiters, 1, __ATOMIC_SEQ_CST);
}

static void kernel_wake(u32 *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void do_wakes(const struct kipc_ring_view *v, int mask)
{
	struct kipc_ring_hdr *h = v->base;

	if (mask & KIPC_RING_WAKE_GET)
		kernel_wake(&h->put_seq);
	if (mask & KIPC_RING_WAKE_PUT)
		kernel_wake(&h->get_seq);
}

static void after_put(const struct kipc_ring_view *v)
{
	if (kipc_ring_after_put(v))
		kernel_wake(&((struct kipc_ring_hdr *)v->base)->put_seq);
}

static void after_get(const struct kipc_ring_view *v)
{
	if (kipc_ring_after_get(v))
		kernel_wake(&((struct kipc_ring_hdr *)v->base)->get_seq);
}

/* Blocking put, as libipc will do it: until success, error or *@stop. */
static int put_wait(const struct kipc_ring_view *v, u16 owner, const void *p,
		    u32 len, bool use_claim, const int *stop)
{
	struct kipc_ring_hdr *h = v->base;

	for (;;) {
		u32 seq = kipc_load_acquire(&h->get_seq);
		struct kipc_ring_cookie c;
		int ret;

		if (stop && kipc_load(stop))
			return -EINTR;
		if (use_claim) {
			ret = kipc_ring_claim(v, owner, len, &c);
			if (!ret) {
				memcpy(c.data, p, len);
				ret = kipc_ring_commit(v, &c);
			}
		} else {
			ret = kipc_ring_try_put(v, owner, p, len);
		}
		if (ret != -EAGAIN) {
			if (!ret)
				after_put(v);
			return ret;
		}
		kernel_wait(v, false, seq);
	}
}

static int get_wait(const struct kipc_ring_view *v, u16 owner, void *buf,
		    u32 buflen, u32 *len, const int *stop)
{
	struct kipc_ring_hdr *h = v->base;

	for (;;) {
		u32 seq = kipc_load_acquire(&h->put_seq);
		int ret;

		if (stop && kipc_load(stop))
			return -EINTR;
		ret = kipc_ring_try_get(v, owner, buf, buflen, len);
		if (ret != -EAGAIN) {
			if (!ret)
				after_get(v);
			return ret;
		}
		kernel_wait(v, true, seq);
	}
}

/* Messages of the stress tests: who, which, and a checkable body. */
struct tmsg {
	u32 producer;
	u32 seq;
	u32 len;
	u32 check;
};

static u8 body_byte(u32 producer, u32 seq, u32 i)
{
	return (u8)(producer * 131 + seq * 7 + i * 13 + (seq >> 8));
}

static u32 msg_fill(u8 *buf, u32 slot, u32 producer, u32 seq)
{
	struct tmsg m = { producer, seq, 0, 0 };
	u32 i;

	m.len = sizeof(m) + (u32)(rnd() % (slot - sizeof(m) + 1));
	m.check = ~(producer ^ (seq * 2654435761U) ^ m.len);
	memcpy(buf, &m, sizeof(m));
	for (i = sizeof(m); i < m.len; i++)
		buf[i] = body_byte(producer, seq, i);
	return m.len;
}

/* 0 if @buf holds an intact message of @len bytes; *@m gets its header. */
static int msg_check(const u8 *buf, u32 len, struct tmsg *m)
{
	u32 i;

	if (len < sizeof(*m))
		return -1;
	memcpy(m, buf, sizeof(*m));
	if (m->len != len || m->check != ~(m->producer ^
					   (m->seq * 2654435761U) ^ m->len))
		return -1;
	for (i = sizeof(*m); i < len; i++)
		if (buf[i] != body_byte(m->producer, m->seq, i))
			return -1;
	return 0;
}

/* A child that dies with its parent and cannot outlive a wedge. */
static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(120);
	}
	return pid;
}

static int wait_ok(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* --- layout and geometry ------------------------------------------------ */

TEST(layout_is_fixed)
{
	ASSERT_EQ(256, sizeof(struct kipc_ring_hdr));
	ASSERT_EQ(16, sizeof(struct kipc_ring_slot));
	/* Producer and consumer fields on their own cache lines. */
	ASSERT_EQ(64, offsetof(struct kipc_ring_hdr, tail));
	ASSERT_EQ(72, offsetof(struct kipc_ring_hdr, put_seq));
	ASSERT_EQ(76, offsetof(struct kipc_ring_hdr, get_waiters));
	ASSERT_EQ(128, offsetof(struct kipc_ring_hdr, head));
	ASSERT_EQ(136, offsetof(struct kipc_ring_hdr, get_seq));
	ASSERT_EQ(140, offsetof(struct kipc_ring_hdr, put_waiters));
	ASSERT_EQ(192, offsetof(struct kipc_ring_hdr, dropped));
	ASSERT_EQ(16, offsetof(struct kipc_ring_slot, data));
}

TEST(geometry)
{
	struct test_ring r;

	ASSERT_EQ(256 + 4 * 64, kipc_ring_bytes(4, 48));
	ASSERT_EQ(256 + 4 * 128, kipc_ring_bytes(4, 64));
	ASSERT_EQ(256 + 1 * 128, kipc_ring_bytes(1, 104));
	ASSERT_EQ(256 + 1024ULL * (65536 + 64), kipc_ring_bytes(1024, 65536));
	ASSERT_EQ(0, kipc_ring_bytes(0, 64));
	ASSERT_EQ(0, kipc_ring_bytes(3, 64));
	ASSERT_EQ(0, kipc_ring_bytes(4, 60));
	ASSERT_EQ(0, kipc_ring_bytes(4, 0));
	ASSERT_EQ(0, kipc_ring_bytes(4, KIPC_RING_MAX_SLOT + 8));
	ASSERT_EQ(0, kipc_ring_bytes(KIPC_RING_MAX_CAPACITY * 2, 64));
	ASSERT_EQ(-EINVAL, ring_create(&r, 6, 64));

	ASSERT_EQ(0, ring_create(&r, 8, 64));
	ASSERT_EQ(KIPC_RING_MAGIC, hdr(&r)->magic);
	ASSERT_EQ(KIPC_RING_VERSION, hdr(&r)->version);
	ASSERT_EQ(8, hdr(&r)->capacity);
	ASSERT_EQ(64, hdr(&r)->slot_size);
	ASSERT_EQ(128, hdr(&r)->slot_stride);
	ASSERT_EQ(256, hdr(&r)->hdr_size);
	ASSERT_EQ(0, kipc_ring_check_header(&r.v));
	r.v.capacity = 16;
	ASSERT_EQ(-EPROTO, kipc_ring_check_header(&r.v));
	r.v.capacity = 8;
	hdr(&r)->magic ^= 1;
	ASSERT_EQ(-EPROTO, kipc_ring_check_header(&r.v));
	ring_destroy(&r);
}

/* --- single-process behaviour ------------------------------------------- */

TEST(put_get_errors)
{
	u8 in[72], out[128];
	struct test_ring r;
	u32 len = 0, i;

	ASSERT_EQ(0, ring_create(&r, 4, 64));
	for (i = 0; i < sizeof(in); i++)
		in[i] = i * 3;

	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 1, out, sizeof(out), &len));
	ASSERT_FALSE(kipc_ring_can_get(&r.v));
	ASSERT_TRUE(kipc_ring_can_put(&r.v));
	ASSERT_EQ(-EINVAL, kipc_ring_try_put(&r.v, 0, in, 1));
	ASSERT_EQ(-EINVAL, kipc_ring_try_get(&r.v, 0, out, 1, &len));
	ASSERT_EQ(-EMSGSIZE, kipc_ring_try_put(&r.v, 1, in, 65));

	/* Sizes 0 and the inline maximum, FIFO. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, in, 0));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 2, in, 64));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, KIPC_RING_OWNER_KERNEL, in, 5));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, in + 1, 7));
	ASSERT_EQ(4, kipc_ring_queued(&r.v));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_put(&r.v, 1, in, 1));
	ASSERT_FALSE(kipc_ring_can_put(&r.v));
	ASSERT_TRUE(kipc_ring_can_get(&r.v));

	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 3, out, 0, &len));
	ASSERT_EQ(0, len);
	/* Too small a buffer: reported, and the message stays. */
	ASSERT_EQ(-EMSGSIZE, kipc_ring_try_get(&r.v, 3, out, 63, &len));
	ASSERT_EQ(64, len);
	ASSERT_EQ(-EMSGSIZE, kipc_ring_try_get(&r.v, 3, out, 0, &len));
	ASSERT_EQ(3, kipc_ring_queued(&r.v));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 3, out, 64, &len));
	ASSERT_EQ(64, len);
	ASSERT_EQ(0, memcmp(in, out, 64));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 3, out, sizeof(out), &len));
	ASSERT_EQ(5, len);
	ASSERT_EQ(0, memcmp(in, out, 5));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 3, out, sizeof(out), &len));
	ASSERT_EQ(7, len);
	ASSERT_EQ(0, memcmp(in + 1, out, 7));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 3, out, sizeof(out), &len));
	ASSERT_EQ(0, kipc_ring_queued(&r.v));
	ASSERT_EQ(4, hdr(&r)->head);
	ASSERT_EQ(4, hdr(&r)->tail);
	ring_destroy(&r);
}

TEST(claim_commit_abort)
{
	struct kipc_ring_cookie c, c2;
	struct test_ring r;
	u8 out[64];
	u32 len;
	int ret;

	ASSERT_EQ(0, ring_create(&r, 2, 64));
	ASSERT_EQ(-EINVAL, kipc_ring_claim(&r.v, 0, 1, &c));
	ASSERT_EQ(-EMSGSIZE, kipc_ring_claim(&r.v, 1, 65, &c));

	ASSERT_EQ(0, kipc_ring_claim(&r.v, 1, 64, &c));
	ASSERT_EQ(0, c.pos);
	ASSERT_EQ(64, c.len);
	/* Claimed but unpublished: nothing to get. */
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ASSERT_FALSE(kipc_ring_can_get(&r.v));
	memcpy(c.data, "claimed", 7);
	c.len = 7;
	ASSERT_EQ(0, kipc_ring_commit(&r.v, &c));

	/* An aborted claim is skipped by consumers, FIFO continues. */
	ASSERT_EQ(0, kipc_ring_claim(&r.v, 1, 10, &c));
	ASSERT_EQ(1, c.pos);
	ASSERT_EQ(-EAGAIN, kipc_ring_claim(&r.v, 1, 10, &c2));
	ret = kipc_ring_abort(&r.v, &c);
	ASSERT_LE(0, ret);
	ASSERT_EQ(-ESTALE, kipc_ring_abort(&r.v, &c));
	ASSERT_EQ(2, hdr(&r)->tail);
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ASSERT_EQ(7, len);
	ASSERT_EQ(0, memcmp(out, "claimed", 7));
	ASSERT_EQ(0, kipc_ring_claim(&r.v, 1, 10, &c2));
	ASSERT_EQ(2, c2.pos);
	/* The head moves past the aborted position and waits at ours. */
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ASSERT_EQ(2, hdr(&r)->head);
	c2.len = 65;
	ASSERT_EQ(-EMSGSIZE, kipc_ring_commit(&r.v, &c2));
	c2.len = 3;
	memcpy(c2.data, "abc", 3);
	ASSERT_EQ(0, kipc_ring_commit(&r.v, &c2));

	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ASSERT_EQ(3, len);
	ASSERT_EQ(0, memcmp(out, "abc", 3));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ring_destroy(&r);
}

/*
 * Aborts move slots on without any consumer, so slots may run many laps
 * ahead of an idle head: that is no corruption. A state far ahead of the
 * tail is.
 */
TEST(aborts_run_laps_ahead_of_the_head)
{
	struct kipc_ring_rounds rounds = { 0 };
	struct kipc_ring_cookie c;
	struct test_ring r;
	u8 out[8];
	u32 len;
	int i;

	ASSERT_EQ(0, ring_create(&r, 1, 8));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, kipc_ring_claim(&r.v, 1, 8, &c));
		ASSERT_LE(0, kipc_ring_abort(&r.v, &c));
	}
	ASSERT_EQ(0, hdr(&r)->head);
	ASSERT_FALSE(kipc_ring_can_get(&r.v));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 2, out, 8, &len));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "x", 1));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, out, 8, &len));
	ASSERT_EQ(1, len);

	/* A slot state 2^45 positions ahead of the tail is corrupt. */
	kipc_ring_slot(&r.v, 0)->state =
		kipc_ring_state(1ULL << 45, KIPC_RING_READY, 0);
	ASSERT_EQ(-EIO, kipc_ring_try_get(&r.v, 2, out, 8, &len));
	ASSERT_EQ(-EIO, kipc_ring_try_put(&r.v, 1, "x", 1));
	ASSERT_TRUE(kipc_ring_can_get(&r.v));

	/* Rounds restart when the head moves on, not when it moves back. */
	for (i = 0; i < KIPC_RING_ROUNDS; i++)
		ASSERT_EQ(0, kipc_ring_spun(&r.v, false, &rounds));
	hdr(&r)->head += 1;
	ASSERT_EQ(0, kipc_ring_spun(&r.v, false, &rounds));
	hdr(&r)->head -= 1;
	for (i = 1; i < KIPC_RING_ROUNDS; i++)
		ASSERT_EQ(0, kipc_ring_spun(&r.v, false, &rounds));
	ASSERT_EQ(-EIO, kipc_ring_spun(&r.v, false, &rounds));
	ring_destroy(&r);
}

TEST(get_claim_and_indirect)
{
	struct kipc_ring_msg m;
	struct test_ring r;
	u8 out[64];
	u32 len = 0;

	ASSERT_EQ(0, ring_create(&r, 4, 8));
	ASSERT_EQ(-EAGAIN, kipc_ring_get_claim(&r.v, 1, 0, &m));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "12345678", 8));
	ASSERT_EQ(0, kipc_ring_try_put_indirect(&r.v, KIPC_RING_OWNER_KERNEL,
						0x1122334455667788ULL,
						64 << 20));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "z", 1));

	ASSERT_EQ(0, kipc_ring_get_claim(&r.v, 2, 0, &m));
	ASSERT_EQ(KIPC_RING_REC_INLINE, m.type);
	ASSERT_EQ(8, m.len);
	ASSERT_EQ(0, memcmp(m.data, "12345678", 8));
	/* Held: the next get moves on, the slot stays taken. */
	ASSERT_EQ(-EREMOTE, kipc_ring_try_get(&r.v, 3, out, 64, &len));
	ASSERT_EQ(64 << 20, len);
	kipc_ring_get_release(&r.v, &m);

	ASSERT_EQ(-EREMOTE, kipc_ring_get_claim(&r.v, 2, 0, &m));
	ASSERT_EQ(0, kipc_ring_get_claim(&r.v, KIPC_RING_OWNER_KERNEL,
					 KIPC_RING_TAKE_INDIRECT, &m));
	ASSERT_EQ(KIPC_RING_REC_INDIRECT, m.type);
	ASSERT_EQ(0x1122334455667788ULL, m.handle);
	ASSERT_EQ(64 << 20, m.len);
	kipc_ring_get_release(&r.v, &m);
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 3, out, 64, &len));
	ASSERT_EQ(1, len);
	ASSERT_EQ('z', out[0]);
	ring_destroy(&r);
}

/* Many laps of small rings, including one slot; lengths vary. */
TEST(wrap_around)
{
	static const u32 caps[] = { 1, 2, 4, 16 };
	u8 in[256], out[256];
	unsigned int k;

	rnd_seed(7);
	for (k = 0; k < ARRAY_SIZE(caps); k++) {
		u64 n = scaled(200000), i, got = 0;
		struct test_ring r;
		u32 len;

		ASSERT_EQ(0, ring_create(&r, caps[k], 128));
		for (i = 0; i < n; i++) {
			u32 want = msg_fill(in, 128, 1, (u32)i);
			struct tmsg m;

			ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, in, want));
			/* Empty messages in between, when there is room. */
			if (i % 3 != 2)
				kipc_ring_try_put(&r.v, 1, in, 0);
			while (kipc_ring_try_get(&r.v, 2, out, sizeof(out),
						 &len) == 0) {
				if (len == 0)
					continue;
				ASSERT_EQ(0, msg_check(out, len, &m));
				ASSERT_EQ(got, m.seq);
				got++;
				if (rnd() & 1)
					break;
			}
			if (!kipc_ring_can_put(&r.v)) {
				while (kipc_ring_try_get(&r.v, 2, out,
							 sizeof(out), &len) == 0)
					if (len) {
						ASSERT_EQ(0, msg_check(out, len,
								       &m));
						ASSERT_EQ(got, m.seq);
						got++;
					}
			}
		}
		while (kipc_ring_try_get(&r.v, 2, out, sizeof(out), &len) == 0) {
			struct tmsg m;

			if (!len)
				continue;
			ASSERT_EQ(0, msg_check(out, len, &m));
			ASSERT_EQ(got, m.seq);
			got++;
		}
		ASSERT_EQ(n, got);
		ASSERT_FALSE(kipc_ring_can_get(&r.v));
		ring_destroy(&r);
	}
}

/* Positions cross 2^46, where state words wrap and head/tail do not. */
TEST(position_wrap)
{
	const u64 base = (1ULL << KIPC_RING_POS_BITS) - 20;
	u8 in[64], out[64];
	struct test_ring r;
	u32 i, len;
	u64 n;

	ASSERT_EQ(0, ring_create(&r, 8, 64));
	for (i = 0; i < 8; i++)
		kipc_ring_slot(&r.v, base + i)->state =
			kipc_ring_state(base + i, KIPC_RING_FREE, 0);
	hdr(&r)->head = base;
	hdr(&r)->tail = base;
	for (n = 0; n < 100; n++) {
		memset(in, (int)n, sizeof(in));
		ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, in, n % 65));
		if (n % 3 == 0)
			continue;
		while (kipc_ring_try_get(&r.v, 2, out, 64, &len) == 0)
			;
	}
	while (kipc_ring_try_get(&r.v, 2, out, 64, &len) == 0)
		;
	ASSERT_EQ(base + 100, hdr(&r)->head);
	ASSERT_EQ(base + 100, hdr(&r)->tail);
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, in, 9));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, out, 64, &len));
	ASSERT_EQ(9, len);
	ring_destroy(&r);
}

TEST(wake_helpers)
{
	struct test_ring r;
	u32 seq, len;
	u8 b[8];

	ASSERT_EQ(0, ring_create(&r, 2, 8));
	/* Nobody asleep: no bump, no wake. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "a", 1));
	ASSERT_FALSE(kipc_ring_after_put(&r.v));
	ASSERT_EQ(0, hdr(&r)->put_seq);
	ASSERT_FALSE(kipc_ring_after_get(&r.v));

	/* A consumer asleep: the put bumps put_seq and asks for a wake. */
	seq = hdr(&r)->put_seq;
	ASSERT_FALSE(kipc_ring_get_must_sleep(&r.v, seq)); /* data there */
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, b, 8, &len));
	ASSERT_TRUE(kipc_ring_get_must_sleep(&r.v, seq));
	hdr(&r)->get_waiters = 1;
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "b", 1));
	ASSERT_TRUE(kipc_ring_after_put(&r.v));
	ASSERT_EQ(seq + 1, hdr(&r)->put_seq);
	ASSERT_FALSE(kipc_ring_get_must_sleep(&r.v, seq));
	/* A stale seq alone must not keep a sleeper from sleeping wrongly. */
	ASSERT_FALSE(kipc_ring_get_must_sleep(&r.v, seq + 1));
	hdr(&r)->get_waiters = 0;

	/* Producers asleep on a full ring. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "c", 1));
	seq = hdr(&r)->get_seq;
	ASSERT_TRUE(kipc_ring_put_must_sleep(&r.v, seq));
	hdr(&r)->put_waiters = 2;
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, b, 8, &len));
	ASSERT_TRUE(kipc_ring_after_get(&r.v));
	ASSERT_EQ(seq + 1, hdr(&r)->get_seq);
	ASSERT_FALSE(kipc_ring_put_must_sleep(&r.v, seq + 1));
	ring_destroy(&r);
}

/*
 * The interleaving that loses a wake-up when the sleeper compares only the
 * seq word: the publish lands after the consumer's failed get but before it
 * is counted as a waiter, so the producer sees no waiter and bumps nothing.
 */
TEST(no_lost_wakeup_interleaving)
{
	struct test_ring r;
	u32 seq, len;
	u8 b[8];

	ASSERT_EQ(0, ring_create(&r, 1, 8));
	/* Consumer: seq, then a failed get. */
	seq = kipc_load_acquire(&hdr(&r)->put_seq);
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 2, b, 8, &len));
	/* Producer: publish; no waiter counted yet, so no bump. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 1, "m", 1));
	ASSERT_FALSE(kipc_ring_after_put(&r.v));
	ASSERT_EQ(seq, hdr(&r)->put_seq);
	/* Sleeper: counted, barrier, final check: must not sleep. */
	hdr(&r)->get_waiters++;
	kipc_mb();
	ASSERT_FALSE(kipc_ring_get_must_sleep(&r.v, seq));
	hdr(&r)->get_waiters--;

	/* The same for a producer on a full ring. */
	seq = kipc_load_acquire(&hdr(&r)->get_seq);
	ASSERT_EQ(-EAGAIN, kipc_ring_try_put(&r.v, 1, "n", 1));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 2, b, 8, &len));
	ASSERT_FALSE(kipc_ring_after_get(&r.v));
	hdr(&r)->put_waiters++;
	kipc_mb();
	ASSERT_FALSE(kipc_ring_put_must_sleep(&r.v, seq));
	ring_destroy(&r);
}

/* --- recovery, deterministic -------------------------------------------- */

static u64 dropped_handles[4];
static int ndropped_handles;

static void note_handle(void *arg, u64 handle, u32 len)
{
	(void)arg;
	(void)len;
	if (ndropped_handles < 4)
		dropped_handles[ndropped_handles++] = handle;
}

TEST(recover_dead_producer)
{
	struct kipc_ring_recovery rec = { 0 };
	struct kipc_ring_cookie c;
	struct test_ring r;
	u8 out[64];
	u32 len;

	ASSERT_EQ(0, ring_create(&r, 4, 64));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "first", 5));
	/* Owner 5 claims and "dies" before committing. */
	ASSERT_EQ(0, kipc_ring_claim(&r.v, 5, 10, &c));
	memset(c.data, 0xee, 10);
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "third", 5));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "fourth", 6));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_put(&r.v, 7, "x", 1));

	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(0, memcmp(out, "first", 5));
	/* Wedged behind the dead claim until recovery. */
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_FALSE(kipc_ring_can_get(&r.v));

	ASSERT_EQ(-EINVAL, kipc_ring_recover(&r.v, 0, &rec));
	ASSERT_EQ(-EINVAL, kipc_ring_recover(&r.v, KIPC_RING_OWNER_KERNEL, &rec));
	ASSERT_EQ(0, kipc_ring_recover(&r.v, 6, &rec));
	ASSERT_EQ(0, rec.discarded + rec.dropped + rec.wake);

	ASSERT_EQ(0, kipc_ring_recover(&r.v, 5, &rec));
	ASSERT_EQ(1, rec.discarded);
	ASSERT_EQ(0, rec.dropped);
	ASSERT_EQ(KIPC_RING_WAKE_GET | KIPC_RING_WAKE_PUT, rec.wake);
	ASSERT_EQ(1, hdr(&r)->discarded);
	ASSERT_EQ(1, hdr(&r)->put_seq);
	ASSERT_EQ(1, hdr(&r)->get_seq);
	/* The dead claim can no longer be used. */
	ASSERT_EQ(-ESTALE, kipc_ring_abort(&r.v, &c));

	ASSERT_TRUE(kipc_ring_can_get(&r.v));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(0, memcmp(out, "third", 5));
	/* Its slot is free again: the ring takes a message in it. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "fifth", 5));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(0, memcmp(out, "fourth", 6));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(0, memcmp(out, "fifth", 5));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ring_destroy(&r);
}

TEST(recover_producer_dead_before_tail_moved)
{
	struct kipc_ring_recovery rec = { 0 };
	struct test_ring r;
	struct kipc_ring_slot *s;
	u8 out[64];
	u32 len;

	ASSERT_EQ(0, ring_create(&r, 4, 64));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "a", 1));
	/* Killed between the claim and its tail update. */
	s = kipc_ring_slot(&r.v, 1);
	s->state = kipc_ring_state(1, KIPC_RING_WRITING, 9);
	ASSERT_EQ(1, hdr(&r)->tail);
	/* Others help the tail past it. */
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "c", 1));
	ASSERT_EQ(3, hdr(&r)->tail);

	/* And the same once recovery freed it before anyone helped. */
	s = kipc_ring_slot(&r.v, 3);
	s->state = kipc_ring_state(3, KIPC_RING_WRITING, 9);
	ASSERT_EQ(0, kipc_ring_recover(&r.v, 9, &rec));
	ASSERT_EQ(2, rec.discarded);
	ASSERT_EQ(3, hdr(&r)->tail);
	/*
	 * Capacity counts positions: position 4 needs slot 0, which still
	 * holds "a", although two other slots are free.
	 */
	ASSERT_EQ(-EAGAIN, kipc_ring_try_put(&r.v, 7, "e", 1));
	ASSERT_EQ(4, hdr(&r)->tail);
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ('a', out[0]);
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "e", 1));
	ASSERT_EQ(5, hdr(&r)->tail);

	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ('c', out[0]);
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ('e', out[0]);
	ASSERT_EQ(-EAGAIN, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(5, hdr(&r)->head);
	ring_destroy(&r);
}

TEST(recover_dead_consumer)
{
	struct kipc_ring_recovery rec = { .drop_indirect = note_handle };
	struct kipc_ring_msg m, m2;
	struct test_ring r;
	u8 out[64];
	u32 len;

	ASSERT_EQ(0, ring_create(&r, 4, 64));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "one", 3));
	ASSERT_EQ(0, kipc_ring_try_put_indirect(&r.v, KIPC_RING_OWNER_KERNEL,
						42, 1000));
	ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "three", 5));
	/* Owner 4 takes two messages and dies holding them. */
	ASSERT_EQ(0, kipc_ring_get_claim(&r.v, 4, 0, &m));
	ASSERT_EQ(0, kipc_ring_get_claim(&r.v, 4, KIPC_RING_TAKE_INDIRECT, &m2));
	ASSERT_EQ(0, kipc_ring_try_get(&r.v, 8, out, 64, &len));
	ASSERT_EQ(0, memcmp(out, "three", 5));
	ASSERT_EQ(0, kipc_ring_queued(&r.v));

	ndropped_handles = 0;
	ASSERT_EQ(0, kipc_ring_recover(&r.v, 4, &rec));
	ASSERT_EQ(2, rec.dropped);
	ASSERT_EQ(0, rec.discarded);
	ASSERT_EQ(2, hdr(&r)->dropped);
	ASSERT_EQ(1, ndropped_handles);
	ASSERT_EQ(42, dropped_handles[0]);
	ASSERT_EQ(0, kipc_ring_recover(&r.v, 4, &rec));
	ASSERT_EQ(0, rec.dropped);
	ASSERT_EQ(2, hdr(&r)->dropped);

	/* Full capacity is usable again. */
	for (len = 0; len < 4; len++)
		ASSERT_EQ(0, kipc_ring_try_put(&r.v, 7, "r", 1));
	ASSERT_EQ(-EAGAIN, kipc_ring_try_put(&r.v, 7, "r", 1));
	ring_destroy(&r);
}

/* --- multi-process stress ----------------------------------------------- */

struct stress_shared {
	int done;		/* consumers: stop when the ring is empty */
	int failed;
	u64 received;
	u8 seen[];		/* [producer][seq] receive counts */
};

static int stress_producer(struct test_ring *r, u16 owner, u32 id, u32 n)
{
	u8 buf[4096];
	u32 seq;

	rnd_seed(owner * 1000 + id);
	for (seq = 0; seq < n; seq++) {
		u32 len = msg_fill(buf, r->v.slot_size, id, seq);

		if (put_wait(&r->v, owner, buf, len, rnd() & 1, NULL))
			return 1;
	}
	return 0;
}

static int stress_consumer(struct test_ring *r, struct stress_shared *sh,
			   u16 owner, u32 nprod, u32 n, bool alone)
{
	u32 next[16] = { 0 };
	u8 buf[4096];

	for (;;) {
		struct kipc_ring_msg km;
		struct tmsg m;
		u32 len = 0;
		int ret;

		if (owner & 1) {
			ret = get_wait(&r->v, owner, buf, sizeof(buf), &len,
				       &sh->done);
		} else {
			/* Zero-copy, checked in place. */
			ret = kipc_ring_get_claim(&r->v, owner, 0, &km);
			if (ret == -EAGAIN) {
				ret = get_wait(&r->v, owner, buf, sizeof(buf),
					       &len, &sh->done);
			} else if (!ret) {
				len = km.len;
				memcpy(buf, km.data, len);
				kipc_ring_get_release(&r->v, &km);
				after_get(&r->v);
			}
		}
		if (ret == -EINTR)
			return 0;
		if (ret || msg_check(buf, len, &m) || m.producer >= nprod ||
		    m.seq >= n)
			return 2;
		/* FIFO per producer, as this consumer sees it. */
		if (m.seq < next[m.producer] ||
		    (alone && m.seq != next[m.producer]))
			return 3;
		next[m.producer] = m.seq + 1;
		__atomic_fetch_add(&sh->seen[m.producer * n + m.seq], 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->received, 1, __ATOMIC_SEQ_CST);
	}
}

static void run_stress(struct __test_metadata *_metadata, u32 nprod,
		       u32 ncons, u32 cap, u32 slot, u32 n)
{
	struct stress_shared *sh;
	pid_t pids[32];
	struct test_ring r;
	u64 deadline, i;
	u32 k;

	ASSERT_EQ(0, ring_create(&r, cap, slot));
	sh = shared_alloc(sizeof(*sh) + (size_t)nprod * n);
	ASSERT_NE(NULL, sh);
	for (k = 0; k < nprod + ncons; k++) {
		pids[k] = spawn();
		ASSERT_LE(0, pids[k]);
		if (pids[k] == 0)
			_exit(k < nprod ?
			      stress_producer(&r, k + 1, k, n) :
			      stress_consumer(&r, sh, k + 1, nprod, n,
					      ncons == 1));
	}
	for (k = 0; k < nprod; k++)
		ASSERT_EQ(0, wait_ok(pids[k]));
	deadline = now_ms() + 20000;
	while (kipc_load_acquire(&sh->received) < (u64)nprod * n &&
	       now_ms() < deadline)
		usleep(1000);
	/* Done: wake every consumer so it sees the flag. */
	kipc_store(&sh->done, 1);
	kipc_ring_bump32(&hdr(&r)->put_seq);
	kernel_wake(&hdr(&r)->put_seq);
	for (k = nprod; k < nprod + ncons; k++)
		ASSERT_EQ(0, wait_ok(pids[k]));
	ASSERT_EQ((u64)nprod * n, sh->received);
	for (i = 0; i < (u64)nprod * n; i++)
		ASSERT_EQ(1, sh->seen[i]) TH_LOG("message %llu", i);
	ASSERT_FALSE(kipc_ring_can_get(&r.v));
	munmap(sh, sizeof(*sh) + (size_t)nprod * n);
	ring_destroy(&r);
}

TEST(spsc_processes)
{
	run_stress(_metadata, 1, 1, 16, 128, scaled(200000));
}

/* One slot: every message is a full/empty hand-over, every wake matters. */
TEST(spsc_one_slot_wakeups)
{
	run_stress(_metadata, 1, 1, 1, 64, scaled(30000));
}

TEST(mpmc_4x4_processes)
{
	run_stress(_metadata, 4, 4, 32, 96, scaled(40000));
}

TEST(mpmc_2x3_tiny_ring)
{
	run_stress(_metadata, 2, 3, 2, 32, scaled(30000));
}

/* --- kill -9 at random instants ----------------------------------------- */

#define CHAOS_INST	4096		/* process instances, both roles */
#define CHAOS_SEQS	2048		/* messages per producer instance */
#define CHAOS_PROD	3
#define CHAOS_CONS	3

struct chaos_journal {
	/* producer: */
	u32 attempt;		/* seq being put, or ~0 */
	u32 filled;		/* claim path: seq claimed and filled */
	u32 committed;		/* seqs below this are committed */
	/* consumer (try_get path): the message copied out, in shared memory */
	u8 buf[128];
};

struct chaos_shared {
	int stop;		/* producers stop */
	int drain;		/* consumers stop once the ring is empty */
	struct chaos_journal j[CHAOS_INST];
	u8 recv[CHAOS_INST][CHAOS_SEQS];
	u8 gone[CHAOS_INST][CHAOS_SEQS];	/* died with a consumer */
};

static int chaos_producer(struct test_ring *r, struct chaos_shared *sh,
			  u16 owner, u32 inst)
{
	struct chaos_journal *j = &sh->j[inst];
	u8 buf[128];
	u32 seq;

	rnd_seed(inst + 99);
	for (seq = 0; seq < CHAOS_SEQS; seq++) {
		u32 len = msg_fill(buf, r->v.slot_size, inst, seq);
		struct kipc_ring_cookie c;
		int ret;

		kipc_store(&j->attempt, seq);
		if (rnd() & 1) {
			ret = put_wait(&r->v, owner, buf, len, false, &sh->stop);
		} else {
			for (;;) {
				struct kipc_ring_hdr *h = r->v.base;
				u32 gseq = kipc_load_acquire(&h->get_seq);

				if (kipc_load(&sh->stop))
					return 0;
				ret = kipc_ring_claim(&r->v, owner, len, &c);
				if (ret != -EAGAIN)
					break;
				kernel_wait(&r->v, false, gseq);
			}
			if (ret)
				return 1;
			memcpy(c.data, buf, len);
			/* Now and then a slow producer: a wider window. */
			if (rnd() % 8 == 0)
				usleep(rnd() % 300);
			kipc_store(&j->filled, seq);
			if (rnd() % 16 == 0) {
				/* An abort now and then: the seq is retried. */
				kipc_store(&j->filled, ~0U);
				ret = kipc_ring_abort(&r->v, &c);
				if (ret < 0)
					return 1;
				do_wakes(&r->v, ret);
				seq--;
				continue;
			}
			ret = kipc_ring_commit(&r->v, &c);
			if (!ret)
				after_put(&r->v);
		}
		if (ret == -EINTR)
			return 0;
		if (ret)
			return 1;
		kipc_store_release(&j->committed, seq + 1);
	}
	/* Out of numbers: idle, so that every death is a kill. */
	while (!kipc_load(&sh->stop))
		usleep(1000);
	return 0;
}

static int chaos_consumer(struct test_ring *r, struct chaos_shared *sh,
			  u16 owner, u32 inst)
{
	struct chaos_journal *j = &sh->j[inst];
	struct kipc_ring_hdr *h = r->v.base;

	rnd_seed(inst + 7);
	for (;;) {
		u32 seq = kipc_load_acquire(&h->put_seq);
		struct kipc_ring_msg km;
		struct tmsg m;
		u32 len;
		int ret;

		if (rnd() & 1) {
			/* Zero-copy: counted while the slot is still held. */
			ret = kipc_ring_get_claim(&r->v, owner, 0, &km);
			if (!ret) {
				if (msg_check(km.data, km.len, &m) ||
				    m.producer >= CHAOS_INST ||
				    m.seq >= CHAOS_SEQS)
					return 2;
				if (rnd() % 8 == 0)
					usleep(rnd() % 300);
				__atomic_fetch_add(&sh->recv[m.producer][m.seq],
						   1, __ATOMIC_SEQ_CST);
				kipc_ring_get_release(&r->v, &km);
				after_get(&r->v);
				continue;
			}
		} else {
			/* Copy into shared memory the parent can inspect. */
			ret = kipc_ring_try_get(&r->v, owner, j->buf,
						sizeof(j->buf), &len);
			if (!ret) {
				after_get(&r->v);
				if (msg_check(j->buf, len, &m) ||
				    m.producer >= CHAOS_INST ||
				    m.seq >= CHAOS_SEQS)
					return 2;
				__atomic_fetch_add(&sh->recv[m.producer][m.seq],
						   1, __ATOMIC_SEQ_CST);
				continue;
			}
		}
		if (ret != -EAGAIN)
			return 3;
		if (kipc_load(&sh->drain) && !kipc_ring_can_get(&r->v))
			return 0;
		kernel_wait(&r->v, true, seq);
	}
}

struct chaos_child {
	pid_t pid;
	u16 owner;
	u32 inst;
	bool producer;
};

static u8 owner_used[0x10000];

static u16 owner_alloc(void)
{
	u32 i;

	/* Lowest free id: ids of the dead are reused after recovery. */
	for (i = 1; i < KIPC_RING_OWNER_KERNEL; i++)
		if (!owner_used[i]) {
			owner_used[i] = 1;
			return i;
		}
	return 0;
}

static int chaos_spawn(struct test_ring *r, struct chaos_shared *sh,
		       struct chaos_child *c, bool producer, u32 inst)
{
	c->owner = owner_alloc();
	c->inst = inst;
	c->producer = producer;
	sh->j[inst].attempt = ~0U;
	sh->j[inst].filled = ~0U;
	sh->j[inst].committed = 0;
	c->pid = spawn();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0)
		_exit(producer ? chaos_producer(r, sh, c->owner, inst) :
		      chaos_consumer(r, sh, c->owner, inst));
	return 0;
}

/* What the kernel does when a process dies, plus the test's bookkeeping. */
struct chaos_tally {
	u64 kills, dropped, discarded, lost_copy, uncertain, held_delivered;
	u8 certain[CHAOS_INST];	/* producer died: its last attempt known? */
	u8 sent_last[CHAOS_INST];	/* ...and committed? */
};

static int chaos_reap(struct test_ring *r, struct chaos_shared *sh,
		      struct chaos_child *c, struct chaos_tally *t)
{
	struct kipc_ring_recovery rec = { 0 };
	struct chaos_journal *j = &sh->j[c->inst];
	u32 i, held = 0, held_inst = 0, held_seq = 0;
	struct tmsg m;

	/* Test only: which message is the dead consumer holding? */
	for (i = 0; i < r->v.capacity; i++) {
		struct kipc_ring_slot *s = kipc_ring_slot(&r->v, i);
		u64 st = kipc_load(&s->state);

		if (kipc_ring_state_owner(st) == c->owner &&
		    kipc_ring_state_phase(st) == KIPC_RING_READING) {
			if (msg_check(s->data, s->len, &m))
				return -1;
			held++;
			held_inst = m.producer;
			held_seq = m.seq;
		}
	}
	if (kipc_ring_recover(&r->v, c->owner, &rec) || rec.corrupt)
		return -2;
	do_wakes(&r->v, rec.wake);
	owner_used[c->owner] = 0;
	if (rec.dropped != held || held > 1)
		return -3;
	t->dropped += rec.dropped;
	t->discarded += rec.discarded;
	if (c->producer) {
		u32 a = j->attempt;

		if (rec.dropped || rec.discarded > 1)
			return -4;
		if (a != ~0U && a >= j->committed) {
			/* Died inside a put of seq a. */
			if (rec.discarded) {
				t->certain[c->inst] = 1;	/* not sent */
			} else if (j->filled == a) {
				t->certain[c->inst] = 1;	/* committed */
				t->sent_last[c->inst] = 1;
			} else {
				t->uncertain++;
			}
		} else if (rec.discarded) {
			return -5;
		}
		return 0;
	}
	if (held) {
		/* Counted before the release? Then it was delivered. */
		if (!kipc_load(&sh->recv[held_inst][held_seq]))
			sh->gone[held_inst][held_seq] = 1;
		else
			t->held_delivered++;
		return 0;
	}
	/* try_get copied it out and released it, maybe not yet counted. */
	memcpy(&m, j->buf, sizeof(m));
	if (m.len <= sizeof(j->buf) && !msg_check(j->buf, m.len, &m) &&
	    m.producer < CHAOS_INST && m.seq < CHAOS_SEQS &&
	    !kipc_load(&sh->recv[m.producer][m.seq])) {
		sh->gone[m.producer][m.seq] = 1;
		t->lost_copy++;
	}
	return 0;
}

TEST(kill9_at_random_instants)
{
	struct chaos_child kids[CHAOS_PROD + CHAOS_CONS];
	u64 end, total = 0, dropped_check = 0;
	struct chaos_shared *sh;
	struct chaos_tally *t;
	struct test_ring r;
	u32 next_inst = 0, k, inst, seq;
	int status;

	ASSERT_EQ(0, ring_create(&r, 16, 64));
	sh = shared_alloc(sizeof(*sh));
	t = calloc(1, sizeof(*t));
	ASSERT_NE(NULL, sh);
	ASSERT_NE(NULL, t);
	memset(owner_used, 0, sizeof(owner_used));
	rnd_seed(getpid());
	for (k = 0; k < CHAOS_PROD + CHAOS_CONS; k++)
		ASSERT_EQ(0, chaos_spawn(&r, sh, &kids[k], k < CHAOS_PROD,
					 next_inst++));

	/* At least 300 ms, so that any scale still kills many times. */
	end = now_ms() + (scaled(5000) > 300 ? scaled(5000) : 300);
	while (now_ms() < end && next_inst < CHAOS_INST) {
		struct chaos_child *c;

		usleep(rnd() % 3000);
		c = &kids[rnd() % (CHAOS_PROD + CHAOS_CONS)];
		kill(c->pid, SIGKILL);
		ASSERT_EQ(c->pid, waitpid(c->pid, &status, 0));
		/* Killed, or a failure the child found on its own. */
		ASSERT_TRUE(WIFSIGNALED(status))
			TH_LOG("child exited %d", WEXITSTATUS(status));
		t->kills++;
		ASSERT_EQ(0, chaos_reap(&r, sh, c, t));
		ASSERT_EQ(0, chaos_spawn(&r, sh, c, c->producer, next_inst++));
	}

	/* Stop the producers (waking any asleep on a full ring)... */
	kipc_store(&sh->stop, 1);
	kipc_ring_bump32(&hdr(&r)->get_seq);
	kernel_wake(&hdr(&r)->get_seq);
	for (k = 0; k < CHAOS_PROD; k++) {
		ASSERT_EQ(0, wait_ok(kids[k].pid));
		/* Left on their own: the last attempt was not sent. */
		t->certain[kids[k].inst] = 1;
	}
	/* ...then let the consumers drain the ring and leave. */
	kipc_store(&sh->drain, 1);
	kipc_ring_bump32(&hdr(&r)->put_seq);
	kernel_wake(&hdr(&r)->put_seq);
	for (k = CHAOS_PROD; k < CHAOS_PROD + CHAOS_CONS; k++)
		ASSERT_EQ(0, wait_ok(kids[k].pid));
	ASSERT_FALSE(kipc_ring_can_get(&r.v));

	/* Exact accounting. */
	for (inst = 0; inst < next_inst; inst++) {
		struct chaos_journal *j = &sh->j[inst];
		u32 committed = j->committed;

		for (seq = 0; seq < CHAOS_SEQS; seq++) {
			u32 n = sh->recv[inst][seq] + sh->gone[inst][seq];

			total += sh->recv[inst][seq];
			dropped_check += sh->gone[inst][seq];
			if (seq < committed) {
				ASSERT_EQ(1, n) TH_LOG("%u/%u lost or dup",
						       inst, seq);
			} else if (seq == committed && t->certain[inst]) {
				ASSERT_EQ(t->sent_last[inst], n)
					TH_LOG("%u/%u", inst, seq);
			} else if (seq == committed) {
				ASSERT_GE(1, n) TH_LOG("%u/%u dup", inst, seq);
			} else {
				ASSERT_EQ(0, n) TH_LOG("%u/%u phantom",
						       inst, seq);
			}
		}
	}
	ASSERT_EQ(t->dropped, hdr(&r)->dropped);
	ASSERT_EQ(t->discarded, hdr(&r)->discarded);
	ASSERT_EQ(t->dropped - t->held_delivered + t->lost_copy, dropped_check);
	TH_LOG("kills %llu received %llu dropped %llu discarded %llu",
	       t->kills, total, t->dropped, t->discarded);
	TH_LOG("lost with a copy %llu, uncertain %llu", t->lost_copy,
	       t->uncertain);
	ASSERT_LT(10, t->kills);
	munmap(sh, sizeof(*sh));
	free(t);
	ring_destroy(&r);
}

/* --- hostile memory ----------------------------------------------------- */

static bool in_set(int v, const int *set, int n)
{
	while (n--)
		if (set[n] == v)
			return true;
	return false;
}

/* Every operation on whatever the ring holds now: bounded, in bounds. */
static int hammer(struct test_ring *r, int rounds)
{
	static const int put_ok[] = { 0, -EAGAIN, -EIO };
	static const int get_ok[] = { 0, -EAGAIN, -EIO, -EMSGSIZE, -EREMOTE,
				      -EBADMSG };
	struct kipc_ring_recovery rec = { 0 };
	u8 buf[256];
	int i, ret;

	for (i = 0; i < rounds; i++) {
		struct kipc_ring_cookie c;
		struct kipc_ring_msg m;
		u32 len = ~0U, buflen = rnd() % (r->v.slot_size + 2);

		ret = kipc_ring_try_put(&r->v, 1 + rnd() % 3, buf,
					rnd() % (r->v.slot_size + 1));
		if (!in_set(ret, put_ok, 3))
			return 1;
		ret = kipc_ring_try_get(&r->v, 2, buf, buflen, &len);
		if (!in_set(ret, get_ok, 6))
			return 2;
		if (!ret && len > buflen)
			return 3;
		ret = kipc_ring_claim(&r->v, 3, 8, &c);
		if (!in_set(ret, put_ok, 3))
			return 4;
		if (!ret) {
			if (rnd() & 1)
				kipc_ring_commit(&r->v, &c);
			else
				kipc_ring_abort(&r->v, &c);
		}
		ret = kipc_ring_get_claim(&r->v, 4, rnd() & 1, &m);
		if (!in_set(ret, get_ok, 6))
			return 5;
		if (!ret) {
			if (m.type == KIPC_RING_REC_INLINE &&
			    m.len > r->v.slot_size)
				return 6;
			if (m.len && m.type == KIPC_RING_REC_INLINE)
				memcpy(buf, m.data, m.len);
			kipc_ring_get_release(&r->v, &m);
		}
		kipc_ring_can_get(&r->v);
		kipc_ring_can_put(&r->v);
		if (kipc_ring_queued(&r->v) > r->v.capacity)
			return 7;
		kipc_ring_get_must_sleep(&r->v, rnd());
		kipc_ring_put_must_sleep(&r->v, rnd());
		kipc_ring_after_put(&r->v);
		kipc_ring_after_get(&r->v);
		ret = kipc_ring_recover(&r->v, 1 + rnd() % 0xfffe, &rec);
		if (ret != 0 && ret != -EIO)
			return 8;
		kipc_ring_check_header(&r->v);
	}
	return 0;
}

static void scribble(struct test_ring *r, int words, bool plausible)
{
	u64 *w = r->v.base;
	u64 n = r->bytes / 8;
	int i;

	for (i = 0; i < words; i++) {
		u64 at = rnd() % n, v = rnd();

		if (plausible) {
			/* States near real positions confuse the most. */
			u64 pos = kipc_load(&((struct kipc_ring_hdr *)r->v.base)->tail) +
				  (rnd() % 5) - 2;

			switch (rnd() % 4) {
			case 0:
				v = kipc_ring_state(pos + (rnd() % 3) * r->v.capacity,
						    rnd() % 4, rnd() % 4);
				break;
			case 1:
				v = pos + rnd() % 3;
				break;
			case 2:
				v = rnd() % 300;
				break;
			}
		}
		kipc_store(&w[at], v);
	}
}

TEST(hostile_bytes)
{
	static const u32 geo[][2] = { { 1, 8 }, { 4, 64 }, { 64, 24 },
				      { 256, 128 } };
	unsigned int g, round;

	alarm(25);
	for (g = 0; g < ARRAY_SIZE(geo); g++) {
		struct test_ring r;

		ASSERT_EQ(0, ring_create(&r, geo[g][0], geo[g][1]));
		for (round = 0; round < scaled(60); round++) {
			rnd_seed(g * 1000 + round);
			/* Some honest traffic, then garbage, then ops. */
			ASSERT_EQ(0, hammer(&r, 20));
			if (round % 3 == 0) {
				u64 *w = r.v.base;
				u64 i;

				for (i = 0; i < r.bytes / 8; i++)
					w[i] = rnd();
			} else {
				scribble(&r, 1 + rnd() % 8, round % 3 == 1);
			}
			ASSERT_EQ(0, hammer(&r, 50)) TH_LOG("geometry %u round %u",
							    g, round);
			if (round % 5 == 4) {
				memset(r.v.base, 0, r.bytes);
				ASSERT_EQ(0, kipc_ring_init(&r.v));
			}
		}
		ring_destroy(&r);
	}
}

/* A process scribbles while others run every operation. */
TEST(hostile_writer_concurrent)
{
	struct test_ring r;
	pid_t pid[3];
	u64 end;
	int k;

	ASSERT_EQ(0, ring_create(&r, 8, 32));
	for (k = 0; k < 3; k++) {
		pid[k] = spawn();
		ASSERT_LE(0, pid[k]);
		if (pid[k] == 0) {
			rnd_seed(getpid());
			end = now_ms() + scaled(1500);
			while (now_ms() < end) {
				if (k == 0) {
					scribble(&r, 1, rnd() & 1);
					if (rnd() % 64 == 0)
						usleep(100);
				} else if (hammer(&r, 10)) {
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, wait_ok(pid[k]));
	ring_destroy(&r);
}

TEST_HARNESS_MAIN
