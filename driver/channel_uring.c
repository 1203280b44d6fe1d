// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring commands on channels (->uring_try): PUT and GET of one message,
 * PUT_MANY and GET_MANY of up to KIPC_URING_BATCH_MAX. driver/uring.c keeps
 * a command that would wait pending and calls this again, in the
 * submitter's task, after each wake-up of the channel.
 *
 * The first attempt, at submission, copies in the iovecs the command names
 * and keeps them in uc->priv: a program may reuse its iovec array and batch
 * struct once the SQE is submitted. The message buffers themselves are
 * read (put) or written (get) by the attempt that completes the command,
 * as IORING_OP_WRITE and READ do, so they must stay valid until then.
 *
 * Attempts run where uring.c calls ->uring_try: at submission (the
 * submitter, or its io-wq or SQPOLL thread, which share its memory) and in
 * the submitter's task, so user memory is always the submitter's.
 *
 * Each attempt is a non-waiting put or get per message through channel.c:
 * a put copies the message in before it claims a slot, a get copies the
 * message out, and stores its length for GET_MANY, before it takes it. A
 * fault or a short buffer thus leaves that message where it was, and no
 * message is lost or duplicated, whichever attempt completes the command.
 *
 * An SQPOLL ring's SQ thread issues every SQE of its rings in turn: an
 * attempt there (IO_URING_F_NONBLOCK in an io thread) that may copy more
 * than KIPC_URING_INLINE_BYTES punts to io-wq instead, which issues the
 * command again from scratch (iovecs included): a put of a large message
 * allocates a kernel buffer and copies it in, a get may copy a large
 * message out. What counts is the iovec lengths, bounded by the largest
 * message the channel accepts. Inline in io_uring_enter() the copy only
 * delays the submitter itself, which keeps the iovecs-copied-at-submission
 * promise, so it stays inline there.
 *
 * A batch stops at the first message it cannot put or get: it completes
 * with the number done if that is not zero (like a short write), else with
 * that message's error, or stays pending when the channel is full (empty).
 * It never waits after progress, so a retry always starts at message 0.
 */

#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "channel.h"

/* The UAPI's iovecs have the 64-bit layout. */
static_assert(sizeof(struct iovec) == 16);

/* Bytes a nonblocking attempt may copy before it punts to io-wq. */
#define KIPC_URING_INLINE_BYTES	(64U << 10)

/**
 * struct kipc_channel_ucmd - a channel command's iovecs, copied in once
 * @msgs:  user address of the iovec array (GET_MANY stores lengths there)
 * @count: iovecs in @iov: 1..KIPC_URING_BATCH_MAX
 * @iov:   the messages (put) or buffers (get)
 */
struct kipc_channel_ucmd {
	u64 msgs;
	u32 count;
	struct iovec iov[];
};

static bool kipc_channel_uring_many(u32 op)
{
	return op == KIPC_URING_CHANNEL_PUT_MANY ||
	       op == KIPC_URING_CHANNEL_GET_MANY;
}

/* Copy in and check what the command's arg names. */
static int kipc_channel_uring_load(struct kipc_ucmd *uc)
{
	struct kipc_channel_ucmd *c;
	struct kipc_uring_batch b;
	u64 msgs = uc->arg;
	u32 count = 1;

	if (kipc_channel_uring_many(uc->op)) {
		if (copy_from_user(&b, u64_to_user_ptr(uc->arg), sizeof(b)))
			return -EFAULT;
		if (!b.count || b.count > KIPC_URING_BATCH_MAX || b.flags ||
		    memchr_inv(b.reserved, 0, sizeof(b.reserved)))
			return -EINVAL;
		msgs = b.msgs;
		count = b.count;
	}
	/* count <= KIPC_URING_BATCH_MAX: no overflow. */
	c = kmalloc(offsetof(struct kipc_channel_ucmd, iov) +
		    count * sizeof(struct iovec), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	if (copy_from_user(c->iov, u64_to_user_ptr(msgs),
			   count * sizeof(struct iovec))) {
		kfree(c);
		return -EFAULT;
	}
	c->msgs = msgs;
	c->count = count;
	uc->priv = c;
	return 0;
}

/* Could an attempt of @c copy more than a nonblocking one should? */
static bool kipc_channel_uring_large(struct kipc_object *obj,
				     const struct kipc_channel_ucmd *c)
{
	const struct kipc_channel_params *p = &obj->params.channel;
	u64 msg_max = max_t(u64, p->slot_size, p->max_msg), bytes = 0;
	u32 i;

	for (i = 0; i < c->count; i++)
		bytes += min_t(u64, c->iov[i].iov_len, msg_max);
	return bytes > KIPC_URING_INLINE_BYTES;
}

/* Put or get message @i of @c without sleeping. */
static ssize_t kipc_channel_uring_one(struct kipc_ucmd *uc,
				      struct kipc_channel_ucmd *c, u32 i,
				      bool put)
{
	struct file *file = uc->cmd->file;
	size_t len = c->iov[i].iov_len;
	u64 __user *lenp = NULL;
	struct iov_iter iter;
	int ret;

	if (put && len > KIPC_CHANNEL_MAX_MSG)
		return -EMSGSIZE;
	/* A larger buffer than any message is of no use. */
	len = min_t(size_t, len, KIPC_CHANNEL_MAX_MSG);
	ret = kipc_import_ubuf(put ? WRITE : READ, c->iov[i].iov_base, len, &iter);
	if (ret)
		return ret;
	if (put)
		return kipc_channel_put_nowait(file, &iter);
	if (uc->op == KIPC_URING_CHANNEL_GET_MANY)
		lenp = u64_to_user_ptr(c->msgs + i * sizeof(struct iovec) +
				       offsetof(struct iovec, iov_len));
	return kipc_channel_get_nowait(file, &iter, lenp);
}

int kipc_channel_uring_try(struct kipc_object *obj, struct kipc_ucmd *uc)
{
	struct kipc_channel_ucmd *c;
	ssize_t ret = 0;
	bool put;
	u32 i;

	switch (uc->op) {
	case KIPC_URING_CHANNEL_PUT:
	case KIPC_URING_CHANNEL_PUT_MANY:
		put = true;
		break;
	case KIPC_URING_CHANNEL_GET:
	case KIPC_URING_CHANNEL_GET_MANY:
		put = false;
		break;
	default:
		/* Known to kipc_uring_cmd(): another type's operation. */
		return -EINVAL;
	}
	if (!uc->priv) {
		ret = kipc_channel_uring_load(uc);
		if (ret)
			return ret;
	}
	c = uc->priv;
	/* io-wq never issues a uring_cmd nonblocking: this is an SQ thread. */
	if (uc->nonblock && (current->flags & PF_IO_WORKER) &&
	    kipc_channel_uring_large(obj, c)) {
		uc->punt = true;
		return -EAGAIN;
	}

	for (i = 0; i < c->count; i++) {
		ret = kipc_channel_uring_one(uc, c, i, put);
		if (ret < 0)
			break;
	}
	if (ret == -EAGAIN && !i) {
		/* The ring this end puts into (gets from): pipes have two. */
		uc->waiters_off = kipc_channel_waiters_off(uc->cmd->file, put);
		return -EAGAIN;
	}
	if (kipc_channel_uring_many(uc->op))
		return i ? i : ret;
	if (ret < 0)
		return ret;
	return put ? 0 : ret;
}
