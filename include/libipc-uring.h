/* SPDX-License-Identifier: MIT */
/*
 * liburing helpers for kipc's io_uring commands (Documentation/uring.rst).
 *
 * Header only: libipc does not link liburing; a program that includes this
 * links -luring itself. Each helper fills one SQE for IORING_OP_URING_CMD
 * on an object descriptor; the CQE's res is the command's result (0, the
 * message length of a channel get or a batch's count, or a negative errno). Deadlines are CLOCK_MONOTONIC nanoseconds; pass
 * KIPC_URING_NO_DEADLINE to wait without one.
 */
#ifndef _LIBIPC_URING_H
#define _LIBIPC_URING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <liburing.h>
#include <linux/kipc.h>

#define KIPC_URING_NO_DEADLINE	(~0ULL)

_Static_assert(offsetof(struct io_uring_sqe, addr3) ==
	       offsetof(struct io_uring_sqe, cmd) +
	       offsetof(struct kipc_uring_cmd, deadline_ns), "sqe layout");
_Static_assert(offsetof(struct io_uring_sqe, __pad2) ==
	       offsetof(struct io_uring_sqe, cmd) +
	       offsetof(struct kipc_uring_cmd, arg), "sqe layout");

/*
 * struct kipc_uring_cmd is the SQE's 16 command bytes: in 6.1's layout,
 * deadline_ns is sqe->addr3 and arg is sqe->__pad2[0].
 */
static inline void kipc_prep_cmd(struct io_uring_sqe *sqe, int fd, __u32 op,
				 __u64 deadline_ns, __u64 arg)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	if (deadline_ns != KIPC_URING_NO_DEADLINE) {
		op |= KIPC_URING_F_DEADLINE;
		sqe->addr3 = deadline_ns;
	}
	sqe->cmd_op = op;
	sqe->__pad2[0] = arg;
}

/* Take one unit of the semaphore @fd, waiting until @deadline_ns. */
static inline void kipc_prep_sem_acquire(struct io_uring_sqe *sqe, int fd,
					 __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_SEM_ACQUIRE, deadline_ns, 0);
}

/* Take one unit only if one is free now (else res is -EAGAIN). */
static inline void kipc_prep_sem_try_acquire(struct io_uring_sqe *sqe, int fd)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_SEM_ACQUIRE | KIPC_URING_F_NOWAIT,
		      KIPC_URING_NO_DEADLINE, 0);
}

/* Give @n units to the semaphore @fd. */
static inline void kipc_prep_sem_release(struct io_uring_sqe *sqe, int fd,
					 __u32 n)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_SEM_RELEASE, KIPC_URING_NO_DEADLINE, n);
}

/*
 * Lock or RLock @fd with the owner id of the caller's mapping @map of it
 * (res 0, or -EOWNERDEAD: taken, the previous holder died).
 */
static inline void kipc_prep_lock_acquire(struct io_uring_sqe *sqe, int fd,
					  const void *map, __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_LOCK_ACQUIRE, deadline_ns,
		      (__u64)(uintptr_t)map);
}

static inline void kipc_prep_lock_release(struct io_uring_sqe *sqe, int fd,
					  const void *map)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_LOCK_RELEASE, KIPC_URING_NO_DEADLINE,
		      (__u64)(uintptr_t)map);
}

static inline void kipc_prep_event_set(struct io_uring_sqe *sqe, int fd)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_EVENT_SET, KIPC_URING_NO_DEADLINE, 0);
}

/* Wait until the event @fd is set (or was set since submission). */
static inline void kipc_prep_event_wait(struct io_uring_sqe *sqe, int fd,
					__u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_EVENT_WAIT, deadline_ns, 0);
}

/*
 * Channels. The iovecs (and the batch) are read at submission and may be
 * reused at once; the message buffers are read or written when the command
 * completes and must stay valid until its completion. Results: put 0, get
 * the message length, the batches the number of messages done (>= 1).
 */
_Static_assert(sizeof(struct iovec) == 16, "kipc's iovecs are 64-bit");

/* Put the message @msg into the channel @fd, waiting for room. */
static inline void kipc_prep_channel_put(struct io_uring_sqe *sqe, int fd,
					 const struct iovec *msg,
					 __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_CHANNEL_PUT, deadline_ns,
		      (__u64)(uintptr_t)msg);
}

/* Get one message into @buf (res: its length), waiting for one. */
static inline void kipc_prep_channel_get(struct io_uring_sqe *sqe, int fd,
					 const struct iovec *buf,
					 __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_CHANNEL_GET, deadline_ns,
		      (__u64)(uintptr_t)buf);
}

/*
 * Fill @b to name @n iovecs at @msgs (n <= KIPC_URING_BATCH_MAX; the
 * driver checks).
 */
static inline void kipc_uring_batch_init(struct kipc_uring_batch *b,
					 const struct iovec *msgs,
					 unsigned int n)
{
	b->msgs = (__u64)(uintptr_t)msgs;
	b->count = n;
	b->flags = 0;
	b->reserved[0] = 0;
	b->reserved[1] = 0;
}

/*
 * Put @b's messages in order, waiting only while not even the first fits;
 * res is how many were put.
 */
static inline void kipc_prep_channel_put_many(struct io_uring_sqe *sqe, int fd,
					      const struct kipc_uring_batch *b,
					      __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_CHANNEL_PUT_MANY, deadline_ns,
		      (__u64)(uintptr_t)b);
}

/*
 * Get up to @b->count messages, waiting only for the first; res is how
 * many, and each of those iovecs' iov_len becomes its message's length.
 */
static inline void kipc_prep_channel_get_many(struct io_uring_sqe *sqe, int fd,
					      const struct kipc_uring_batch *b,
					      __u64 deadline_ns)
{
	kipc_prep_cmd(sqe, fd, KIPC_URING_CHANNEL_GET_MANY, deadline_ns,
		      (__u64)(uintptr_t)b);
}

#endif /* _LIBIPC_URING_H */
