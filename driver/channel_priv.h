/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What driver/channel.c offers the other channel files.
 */
#ifndef _KIPC_CHANNEL_PRIV_H
#define _KIPC_CHANNEL_PRIV_H

#include <linux/uio.h>

#include "kipc.h"

/*
 * Put one message from @from, or get one into @to, through the channel
 * @file serves, never sleeping: -EAGAIN when the channel is full (empty).
 * A put returns the length; a get the length, having stored it at @lenp
 * first when @lenp is not NULL. A get whose buffer is too small
 * (-EMSGSIZE) or that faults (-EFAULT) leaves the message in the channel.
 * Both touch the caller's memory: call them in the task owning it.
 */
ssize_t kipc_channel_put_nowait(struct file *file, struct iov_iter *from);
ssize_t kipc_channel_get_nowait(struct file *file, struct iov_iter *to,
				u64 __user *lenp);

/* channel_uring.c: io_uring commands on channels */
int kipc_channel_uring_try(struct kipc_object *obj, struct kipc_ucmd *uc);

#endif /* _KIPC_CHANNEL_PRIV_H */
