// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile co-mapper against blocking calls. A child blocks in read(2),
 * write(2), GET_LARGE or PUT_LARGE on a channel or on a pipe's end while
 * the parent, which maps the same ring, writes slot states far ahead of
 * head and tail, or rewinds head or tail from a thread without pause. The
 * kernel must neither spin for ever nor ignore SIGKILL: the call fails with
 * EIO (the documented report of a ring whose words contradict each other),
 * or at least SIGKILL ends the child within seconds. Also: a deadline_ns
 * without KIPC_WAIT_DEADLINE is rejected with EINVAL, not ignored.
 */

#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <libipc.h>
#include <kipc/ring.h>
#include "kipc_test.h"
#include "kselftest_harness.h"

/* How a child blocks: the four system calls that sleep on a ring. */
enum op { OP_READ, OP_WRITE, OP_GET_LARGE, OP_PUT_LARGE };

static const char *const op_name[] = { "read", "write", "GET_LARGE", "PUT_LARGE" };

static bool op_puts(enum op op)
{
	return op == OP_WRITE || op == OP_PUT_LARGE;
}

#define SLOT		32
#define BIG		(2 * SLOT)	/* a large message: an indirect record */

/* A channel (@pipe false) or a one-way pipe: the fd @op works on, mapped. */
struct target {
	int fd;		/* where the child blocks */
	int other;	/* the pipe's other end (-1 for a channel) */
	__u8 *mem;	/* the ring, mapped by the parent */
	size_t size;
	__u32 cap;
};

static int target_new(struct target *t, bool pipe, __u32 cap, enum op op)
{
	struct kipc_channel_params p = {
		.capacity = cap, .slot_size = SLOT, .max_msg = 4096,
	};
	int fds[2], ret;

	t->cap = cap;
	t->size = kipc_ring_bytes(cap, SLOT);
	t->other = -1;
	if (pipe) {
		/* One-way: end 1 puts into ring 0, end 0 gets from it. */
		ret = kipc_pipe_create(&p, 0, fds);
		if (ret)
			return ret;
		t->fd = op_puts(op) ? fds[1] : fds[0];
		t->other = op_puts(op) ? fds[0] : fds[1];
	} else {
		ret = kipc_channel_create(NULL, &p, 0, 0);
		if (ret < 0)
			return ret;
		t->fd = ret;
	}
	/* The hostile side maps through the other end, as a peer would. */
	t->mem = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      t->other >= 0 ? t->other : t->fd, 0);
	return t->mem == MAP_FAILED ? -errno : 0;
}

static void target_free(struct target *t)
{
	munmap(t->mem, t->size);
	close(t->fd);
	if (t->other >= 0)
		close(t->other);
}

static __u64 *slot_state(struct target *t, __u64 pos)
{
	return (__u64 *)(t->mem + KIPC_RING_HDR_SIZE +
			 (pos & (t->cap - 1)) * kipc_ring_stride(SLOT));
}

static __u64 *hdr_word(struct target *t, size_t off)
{
	return (__u64 *)(t->mem + off);
}

#define OFF_TAIL	offsetof(struct kipc_ring_hdr, tail)
#define OFF_HEAD	offsetof(struct kipc_ring_hdr, head)

/* The blocking call, in the child: 0 or the errno. */
static int do_op(int fd, enum op op)
{
	char buf[BIG] = "hostile";
	struct kipc_channel_large l = {
		.data = (__u64)(uintptr_t)buf,
		.len = op == OP_PUT_LARGE ? BIG : sizeof(buf),
	};
	long ret;

	switch (op) {
	case OP_READ:
		ret = read(fd, buf, sizeof(buf));
		break;
	case OP_WRITE:
		ret = write(fd, buf, 8);
		break;
	case OP_GET_LARGE:
		ret = ioctl(fd, KIPC_CHANNEL_IOC_GET_LARGE, &l);
		break;
	default:
		ret = ioctl(fd, KIPC_CHANNEL_IOC_PUT_LARGE, &l);
		break;
	}
	return ret < 0 ? errno : 0;
}

/* waitpid with a timeout: the status, or -1 if @pid still runs. */
static int wait_child(pid_t pid, int ms)
{
	int status, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

struct outcome {
	int err;	/* the call's errno, or -1 if it never returned */
	bool killed;	/* it did not return, and SIGKILL ended it */
	bool stuck;	/* it did not return, and ignored SIGKILL */
	double secs;	/* until the call returned */
};

/*
 * Run @op in a child on @t->fd; give it @ms to return, then SIGKILL it and
 * give it 10 s to die.
 */
static struct outcome run_child(struct target *t, enum op op, int ms)
{
	struct outcome o = { .err = -1 };
	__u64 start = kt_now_ns();
	int res[2], status;
	pid_t pid;

	if (pipe(res))
		return o;
	pid = fork();
	if (!pid) {
		int err = do_op(t->fd, op);

		if (write(res[1], &err, sizeof(err)) != sizeof(err))
			_exit(2);
		_exit(0);
	}
	close(res[1]);
	status = wait_child(pid, ms);
	if (status == -1) {
		kill(pid, SIGKILL);
		status = wait_child(pid, 10000);
		if (status == -1) {
			o.stuck = true;
			close(res[0]);
			return o;
		}
		o.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	}
	o.secs = (kt_now_ns() - start) / 1e9;
	if (!o.killed && read(res[0], &o.err, sizeof(o.err)) != sizeof(o.err))
		o.err = -1;
	close(res[0]);
	return o;
}

FIXTURE(hostile) {
	int dev;
};

FIXTURE_VARIANT(hostile) {
	bool pipe;
	enum op op;
};

FIXTURE_VARIANT_ADD(hostile, channel_read) { .pipe = false, .op = OP_READ };
FIXTURE_VARIANT_ADD(hostile, channel_write) { .pipe = false, .op = OP_WRITE };
FIXTURE_VARIANT_ADD(hostile, channel_get_large) { .pipe = false, .op = OP_GET_LARGE };
FIXTURE_VARIANT_ADD(hostile, channel_put_large) { .pipe = false, .op = OP_PUT_LARGE };
FIXTURE_VARIANT_ADD(hostile, pipe_read) { .pipe = true, .op = OP_READ };
FIXTURE_VARIANT_ADD(hostile, pipe_write) { .pipe = true, .op = OP_WRITE };
FIXTURE_VARIANT_ADD(hostile, pipe_get_large) { .pipe = true, .op = OP_GET_LARGE };
FIXTURE_VARIANT_ADD(hostile, pipe_put_large) { .pipe = true, .op = OP_PUT_LARGE };

FIXTURE_SETUP(hostile)
{
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(hostile)
{
	close(self->dev);
}

/* Near 2^45 positions ahead, and a whole number of laps. */
#define FAR	((1ULL << 45) - 64)

/*
 * Every slot names a position about 2^45 ahead of head and tail. The old
 * driver helped head or tail forward one position per CAS, 256 a round, for
 * 2^37 rounds. The state cannot be produced by any run of the protocol:
 * the call must fail with EIO at once.
 */
TEST_F_TIMEOUT(hostile, states_far_ahead, 60)
{
	struct target t;
	struct outcome o;
	__u32 i;

	ASSERT_EQ(0, target_new(&t, variant->pipe, 4, variant->op));
	for (i = 0; i < t.cap; i++)
		*slot_state(&t, i) = kipc_ring_state(i + FAR,
						     variant->op == OP_READ ||
						     variant->op == OP_GET_LARGE ?
						     KIPC_RING_READY : KIPC_RING_FREE, 0);
	o = run_child(&t, variant->op, 20000);
	TH_LOG("%s: errno %d after %.2f s%s%s", op_name[variant->op], o.err,
	       o.secs, o.killed ? ", killed" : "",
	       o.stuck ? ", ignored SIGKILL" : "");
	ASSERT_FALSE(o.stuck);
	EXPECT_FALSE(o.killed);
	EXPECT_EQ(EIO, o.err);
	target_free(&t);
}

/* The rewinder: puts head (or tail) back to @to, without pause. */
struct rewinder {
	__u64 *word;
	__u64 to;
	atomic_bool stop;
};

static void *rewind_loop(void *arg)
{
	struct rewinder *r = arg;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed))
		__atomic_store_n(r->word, r->to, __ATOMIC_RELAXED);
	return NULL;
}

/* A ring the kernel needs more than its budget of rounds to walk across. */
#define BIG_CAP		(1U << 19)

/*
 * Every slot FREE one lap ahead, head and tail a lap behind, and a thread
 * that keeps putting head (for a get) or tail (for a put) back to 0. Each
 * try helps the hint forward by 256 positions and gives up, while
 * can_get()/can_put() see nothing but lagging positions and answer
 * "ready": the old driver went round for as long as the rewinder ran,
 * deaf to SIGKILL. Honest hints never lag by more than a few positions,
 * so the call must now fail with EIO once its budget of rounds is spent.
 */
TEST_F_TIMEOUT(hostile, lap_behind_rewound, 120)
{
	struct rewinder r = { .to = 0 };
	struct target t;
	struct outcome o;
	pthread_t thr;
	__u32 i;

	ASSERT_EQ(0, target_new(&t, variant->pipe, BIG_CAP, variant->op));
	for (i = 0; i < BIG_CAP; i++)
		*slot_state(&t, i) = kipc_ring_state(i + BIG_CAP,
						     KIPC_RING_FREE, 0);
	r.word = hdr_word(&t, op_puts(variant->op) ? OFF_TAIL : OFF_HEAD);
	atomic_init(&r.stop, false);
	ASSERT_EQ(0, pthread_create(&thr, NULL, rewind_loop, &r));
	o = run_child(&t, variant->op, 30000);
	atomic_store(&r.stop, true);
	pthread_join(thr, NULL);
	TH_LOG("%s: errno %d after %.2f s%s%s", op_name[variant->op], o.err,
	       o.secs, o.killed ? ", killed" : "",
	       o.stuck ? ", ignored SIGKILL" : "");
	ASSERT_FALSE(o.stuck);
	EXPECT_FALSE(o.killed);
	EXPECT_EQ(EIO, o.err);
	target_free(&t);
}

/*
 * Channel commands take a deadline only with KIPC_WAIT_DEADLINE: a nonzero
 * deadline_ns without it is a caller's mistake, rejected with EINVAL (it
 * used to be ignored, so that a timed wait slept for ever).
 */
TEST_F(hostile, deadline_needs_flag)
{
	char buf[BIG] = "";
	struct kipc_channel_wait w = {
		.op = op_puts(variant->op) ? KIPC_CHANNEL_PUT : KIPC_CHANNEL_GET,
		.deadline_ns = kt_now_ns() + 1000000,
	};
	struct kipc_channel_large l = {
		.data = (__u64)(uintptr_t)buf,
		.len = op_puts(variant->op) ? BIG : sizeof(buf),
		.flags = KIPC_CHANNEL_LARGE_NOWAIT,
		.deadline_ns = 1,
	};
	unsigned long cmd = op_puts(variant->op) ? KIPC_CHANNEL_IOC_PUT_LARGE :
						   KIPC_CHANNEL_IOC_GET_LARGE;
	struct target t;

	ASSERT_EQ(0, target_new(&t, variant->pipe, 4, variant->op));
	/* A seq that already moved: the old driver returned EAGAIN at once. */
	w.seq = ~*(__u32 *)(t.mem + (w.op == KIPC_CHANNEL_GET ?
				     KIPC_CHANNEL_OFF_PUT_SEQ :
				     KIPC_CHANNEL_OFF_GET_SEQ));
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(t.fd, KIPC_CHANNEL_IOC_WAIT, &w));
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(t.fd, cmd, &l));
	l.flags = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl_fd(t.fd, cmd, &l));
	/* With the flag, the same deadline is taken. */
	w.flags = KIPC_WAIT_DEADLINE;
	EXPECT_EQ(-EAGAIN, kt_ioctl_fd(t.fd, KIPC_CHANNEL_IOC_WAIT, &w));
	l.flags = KIPC_WAIT_DEADLINE;
	EXPECT_EQ(op_puts(variant->op) ? BIG : -ETIMEDOUT,
		  kt_ioctl_fd(t.fd, cmd, &l));
	target_free(&t);
}

TEST_HARNESS_MAIN
