/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One ring of a channel or a pipe (driver/channel.c), and the ends of a
 * descriptor (driver/pipe.c). A channel is one ring that its descriptors
 * both put into and get from; a pipe's end puts into one ring and gets from
 * another (or only one of the two, for a one-way pipe).
 */
#ifndef _KIPC_CHANNEL_H
#define _KIPC_CHANNEL_H

#include <linux/atomic.h>
#include <linux/xarray.h>

#include <kipc/ring.h>
#include "kipc.h"

/**
 * struct kipc_channel - the private state of one ring
 * @view:      trusted geometry of the ring in the object's memory
 * @off:       byte offset of the ring in the object's memory
 * @max_msg:   largest message accepted, in bytes
 * @closed:    KIPC_RING_CLOSED_* bits, set once by a pipe's end release and
 *             never cleared: what the kernel trusts (the copy in the ring
 *             header is for userspace). Read with acquire, set after a full
 *             barrier, so that who sees a bit sees every message put before
 * @dropped:   messages lost with a consumer that died holding them
 * @discarded: claims undone because their producer died
 * @recoveries: times kipc_channel_ring_detach() repaired something
 * @bufs:      the large-message buffers, by index; its own lock protects it
 * @buf_limit: highest index of @bufs (bounds how many buffers exist)
 * @buffers:   buffers in @bufs
 * @buffer_bytes: their payload bytes
 *
 * Everything else is written once by init; the counters are atomic.
 */
struct kipc_channel {
	struct kipc_ring_view view;
	u64 off;
	u32 max_msg;
	unsigned long closed;
	atomic64_t dropped;
	atomic64_t discarded;
	atomic64_t recoveries;
	struct xarray bufs;
	u32 buf_limit;
	atomic64_t buffers;
	atomic64_t buffer_bytes;
};

/**
 * struct kipc_channel_end - the rings one descriptor uses
 * @put: the ring its puts go into, or NULL (EBADF)
 * @get: the ring its gets come from, or NULL (EBADF)
 */
struct kipc_channel_end {
	struct kipc_channel *put;
	struct kipc_channel *get;
};

/* channel.c: one ring at @off of @obj's memory. */
int kipc_channel_ring_init(struct kipc_object *obj, struct kipc_channel *ch,
			   u64 off);
void kipc_channel_ring_destroy(struct kipc_channel *ch);
bool kipc_channel_ring_detach(struct kipc_object *obj, struct kipc_channel *ch,
			      u16 id);
void kipc_channel_ring_stat(struct kipc_object *obj, struct kipc_channel *ch,
			    struct kipc_ring_stat *rs);
void kipc_channel_ring_close(struct kipc_channel *ch, unsigned long bit);
s64 kipc_channel_check_params(const struct kipc_channel_params *p);

/* channel.c: the descriptor operations of channels and pipes alike. */
__poll_t kipc_channel_poll(struct kipc_object *obj, struct file *file,
			   struct poll_table_struct *pt);
ssize_t kipc_channel_get_iter(struct file *file, struct iov_iter *to,
			      bool nowait);
ssize_t kipc_channel_put_iter(struct file *file, struct iov_iter *from,
			      bool nowait);
ssize_t kipc_channel_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t kipc_channel_write_iter(struct kiocb *iocb, struct iov_iter *from);
long kipc_channel_ioctl(struct kipc_object *obj, struct file *file,
			unsigned int cmd, unsigned long arg);
void kipc_channel_show_ring(struct kipc_object *obj, struct kipc_channel *ch,
			    const char *prefix, struct seq_file *m);

/*
 * channel.c, for io_uring commands: put one message from @from, or get one
 * into @to, through the channel or pipe end @file serves, never sleeping:
 * -EAGAIN when its ring is full (empty). A put returns the length; a get
 * the length, having stored it at @lenp first when @lenp is not NULL. A
 * get whose buffer is too small (-EMSGSIZE) or that faults (-EFAULT)
 * leaves the message in the channel. Both touch the caller's memory: call
 * them in the task owning it. kipc_channel_waiters_off() names the waiter
 * word of the ring @file puts into (gets from).
 */
ssize_t kipc_channel_put_nowait(struct file *file, struct iov_iter *from);
ssize_t kipc_channel_get_nowait(struct file *file, struct iov_iter *to,
				u64 __user *lenp);
u64 kipc_channel_waiters_off(struct file *file, bool put);

/* channel_uring.c: io_uring commands on channels and pipe ends */
int kipc_channel_uring_try(struct kipc_object *obj, struct kipc_ucmd *uc);

/* pipe.c */
void kipc_pipe_end(struct kipc_object *obj, struct file *file,
		   struct kipc_channel_end *e);
long kipc_pipe_ioc_end(struct kipc_object *obj, struct file *file,
		       struct kipc_pipe_end __user *uarg);

#endif /* _KIPC_CHANNEL_H */
