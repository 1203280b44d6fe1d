// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channels: bounded multi-producer multi-consumer message queues.
 *
 * The object's memory is a ring (include/kipc/ring.h) that every user
 * maps; puts into a ring with room and gets from a ring with a message
 * happen in userspace. The kernel is entered to sleep (KIPC_CHANNEL_IOC_WAIT),
 * to wake sleepers (KIPC_CHANNEL_IOC_WAKE), for read(2)/write(2)/poll and
 * io_uring, to carry messages larger than a slot (KIPC_CHANNEL_IOC_PUT_LARGE
 * and GET_LARGE: the payload lives in a kernel buffer, the ring holds an
 * indirect record naming it), and to recover the ring when a mapping goes
 * away.
 *
 * The ring memory is hostile: the geometry used here comes only from the
 * private struct kipc_ring_view, filled from the validated parameters.
 */

#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/random.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include <kipc/ring.h>
#include "kipc.h"
#include "channel_priv.h"

static_assert(offsetof(struct kipc_ring_hdr, put_seq) == KIPC_CHANNEL_OFF_PUT_SEQ);
static_assert(offsetof(struct kipc_ring_hdr, get_waiters) ==
	      KIPC_CHANNEL_OFF_GET_WAITERS);
static_assert(offsetof(struct kipc_ring_hdr, get_seq) == KIPC_CHANNEL_OFF_GET_SEQ);
static_assert(offsetof(struct kipc_ring_hdr, put_waiters) ==
	      KIPC_CHANNEL_OFF_PUT_WAITERS);
static_assert(KIPC_CHANNEL_MAX_CAPACITY == KIPC_RING_MAX_CAPACITY);
static_assert(KIPC_CHANNEL_MAX_SLOT == KIPC_RING_MAX_SLOT);
static_assert(sizeof(struct kipc_channel_params) == sizeof(union kipc_params));

/* Messages up to this size are bounced through the stack. */
#define KIPC_CHANNEL_STACK_BUF	128

/* Buffers one channel may hold beyond its capacity (putters in flight). */
#define KIPC_CHANNEL_BUFS_SPARE	64

/* struct kipc_channel_buf.state */
#define KIPC_CHANNEL_BUF_PENDING	0	/* being filled, not yet published */
#define KIPC_CHANNEL_BUF_QUEUED		1	/* named by a published record */

/**
 * struct kipc_channel_buf - the payload of one large message
 * @ref:    one for the channel's table while the buffer is in it, one for
 *          each consumer copying it out
 * @handle: the value of the indirect record: a random tag (high 32 bits)
 *          and the index in the table (low 32 bits)
 * @len:    payload bytes, slot_size+1..max_msg
 * @state:  KIPC_CHANNEL_BUF_*; consumers accept QUEUED buffers only
 * @uid:    the user charged for @len bytes
 * @data:   the payload, written once before it is published
 */
struct kipc_channel_buf {
	refcount_t ref;
	u64 handle;
	u32 len;
	atomic_t state;
	kuid_t uid;
	void *data;
};

/**
 * struct kipc_channel - a channel's private state
 * @view:      trusted geometry of the ring in the object's memory
 * @max_msg:   largest message accepted, in bytes
 * @dropped:   messages lost with a consumer that died holding them
 * @discarded: claims undone because their producer died
 * @bufs:      the large-message buffers, by index; its own lock protects it
 * @buf_limit: highest index of @bufs (bounds how many buffers exist)
 * @buffers:   buffers in @bufs
 * @buffer_bytes: their payload bytes
 *
 * Everything else is written once by init; the counters are atomic.
 */
struct kipc_channel {
	struct kipc_ring_view view;
	u32 max_msg;
	atomic64_t dropped;
	atomic64_t discarded;
	struct xarray bufs;
	u32 buf_limit;
	atomic64_t buffers;
	atomic64_t buffer_bytes;
};

static struct kipc_channel *kipc_channel(struct kipc_object *obj)
{
	return obj->priv;
}

static s64 kipc_channel_prepare(const union kipc_params *params)
{
	const struct kipc_channel_params *p = &params->channel;
	u64 bytes;

	if (p->flags || p->pad || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	bytes = kipc_ring_bytes(p->capacity, p->slot_size);
	if (!bytes)
		return -EINVAL;
	if (p->max_msg > KIPC_CHANNEL_MAX_MSG)
		return -EINVAL;
	return bytes;
}

static int kipc_channel_init(struct kipc_object *obj)
{
	const struct kipc_channel_params *p = &obj->params.channel;
	struct kipc_channel *ch;
	int ret;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	ch->view.base = obj->mem;
	ch->view.capacity = p->capacity;
	ch->view.slot_size = p->slot_size;
	ch->max_msg = p->max_msg ? p->max_msg : p->slot_size;
	atomic64_set(&ch->dropped, 0);
	atomic64_set(&ch->discarded, 0);
	xa_init_flags(&ch->bufs, XA_FLAGS_ALLOC1);
	ch->buf_limit = p->capacity + KIPC_CHANNEL_BUFS_SPARE;
	atomic64_set(&ch->buffers, 0);
	atomic64_set(&ch->buffer_bytes, 0);
	ret = kipc_ring_init(&ch->view);
	if (ret) {
		kfree(ch);
		return ret;
	}
	obj->priv = ch;
	return 0;
}

/* --- large-message buffers -------------------------------------------- */

static void kipc_channel_buf_put(struct kipc_channel_buf *buf)
{
	if (!refcount_dec_and_test(&buf->ref))
		return;
	kvfree(buf->data);
	kipc_account_uncharge(buf->uid, buf->len);
	kfree(buf);
}

/*
 * A new PENDING buffer of @len bytes in the table, charged to the caller's
 * user. Consumers refuse it until kipc_channel_publish_buf() queues it.
 */
static struct kipc_channel_buf *kipc_channel_buf_new(struct kipc_channel *ch,
						     u32 len)
{
	struct kipc_channel_buf *buf;
	u32 idx, tag;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->uid = current_uid();
	ret = kipc_account_charge(buf->uid, len);
	if (ret) {
		kfree(buf);
		return ERR_PTR(ret);
	}
	buf->len = len;
	buf->data = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buf->data) {
		ret = -ENOMEM;
		goto fail;
	}
	refcount_set(&buf->ref, 1);
	atomic_set(&buf->state, KIPC_CHANNEL_BUF_PENDING);
	tag = get_random_u32();
	/* The handle is set under the lock its readers hold. */
	xa_lock(&ch->bufs);
	ret = __xa_alloc(&ch->bufs, &idx, buf, XA_LIMIT(1, ch->buf_limit),
			 GFP_KERNEL_ACCOUNT);
	if (!ret)
		buf->handle = (u64)tag << 32 | idx;
	xa_unlock(&ch->bufs);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto fail;
	}
	atomic64_inc(&ch->buffers);
	atomic64_add(len, &ch->buffer_bytes);
	return buf;
fail:
	kvfree(buf->data);
	kipc_account_uncharge(buf->uid, len);
	kfree(buf);
	return ERR_PTR(ret);
}

/* Take @buf out of the table if it still is there; drop the table's ref. */
static void kipc_channel_buf_remove(struct kipc_channel *ch,
				    struct kipc_channel_buf *buf)
{
	u32 idx = lower_32_bits(buf->handle);

	if (xa_cmpxchg(&ch->bufs, idx, buf, NULL, 0) != buf)
		return;
	atomic64_dec(&ch->buffers);
	atomic64_sub(buf->len, &ch->buffer_bytes);
	kipc_channel_buf_put(buf);
}

/*
 * The buffer an indirect record names, with a reference for the caller,
 * or NULL. The handle and length come from hostile memory: they must name
 * a QUEUED buffer of this channel's table exactly.
 */
static struct kipc_channel_buf *kipc_channel_buf_find(struct kipc_channel *ch,
						      u64 handle, u32 len)
{
	struct kipc_channel_buf *buf;

	xa_lock(&ch->bufs);
	buf = xa_load(&ch->bufs, lower_32_bits(handle));
	if (buf && (buf->handle != handle || buf->len != len ||
		    atomic_read(&buf->state) != KIPC_CHANNEL_BUF_QUEUED))
		buf = NULL;
	if (buf)
		refcount_inc(&buf->ref);
	xa_unlock(&ch->bufs);
	return buf;
}

/*
 * Publish an indirect record naming @buf, as the kernel: the claim and the
 * publish happen here without sleeping, so nobody can leave them half done.
 */
static int kipc_channel_publish_buf(struct kipc_channel *ch,
				    struct kipc_channel_buf *buf)
{
	struct kipc_ring_cookie c;
	int ret;

	ret = kipc_ring_claim(&ch->view, KIPC_RING_OWNER_KERNEL,
			      sizeof(buf->handle), &c);
	if (ret)
		return ret;
	atomic_set(&buf->state, KIPC_CHANNEL_BUF_QUEUED);
	memcpy(c.data, &buf->handle, sizeof(buf->handle));
	kipc_ring_publish(&ch->view, &c, KIPC_RING_REC_INDIRECT, buf->len);
	return 0;
}

/* Recovery: a dead consumer held the record naming @handle. */
static void kipc_channel_drop_indirect(void *arg, u64 handle, u32 len)
{
	struct kipc_channel *ch = arg;
	struct kipc_channel_buf *buf = kipc_channel_buf_find(ch, handle, len);

	if (!buf)
		return;	/* forged by the dead process: nothing of ours */
	kipc_channel_buf_remove(ch, buf);
	kipc_channel_buf_put(buf);
}

static void kipc_channel_destroy(struct kipc_object *obj)
{
	struct kipc_channel *ch = kipc_channel(obj);
	struct kipc_channel_buf *buf;
	unsigned long idx;

	/* No file is left, so no put or get is running: free what is queued. */
	xa_for_each(&ch->bufs, idx, buf)
		kipc_channel_buf_remove(ch, buf);
	xa_destroy(&ch->bufs);
	kfree(ch);
}

/* Wake the sleepers and pollers of one or both sides. */
static int kipc_channel_wake(struct kipc_object *obj, u32 ops)
{
	int woken = 0, ret;

	if (ops & KIPC_CHANNEL_WAKE_GET) {
		ret = kipc_wake_word(obj, KIPC_CHANNEL_OFF_PUT_SEQ,
				     KIPC_CHANNEL_OFF_GET_WAITERS, INT_MAX);
		if (ret > 0)
			woken += ret;
	}
	if (ops & KIPC_CHANNEL_WAKE_PUT) {
		ret = kipc_wake_word(obj, KIPC_CHANNEL_OFF_GET_SEQ,
				     KIPC_CHANNEL_OFF_PUT_WAITERS, INT_MAX);
		if (ret > 0)
			woken += ret;
	}
	return woken;
}

/*
 * A mapping went away: its owner will never finish what it claimed.
 * Recovery only makes transitions live parties already expect, so it runs
 * concurrently with them; the core wakes everyone if we report a change.
 */
static bool kipc_channel_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_channel *ch = kipc_channel(obj);
	struct kipc_ring_recovery r = {
		.drop_indirect = kipc_channel_drop_indirect,
		.arg = ch,
	};
	int ret;

	ret = kipc_ring_recover(&ch->view, id, &r);
	if (r.dropped)
		atomic64_add(r.dropped, &ch->dropped);
	if (r.discarded)
		atomic64_add(r.discarded, &ch->discarded);
	return r.wake || ret == -EIO;
}

/* --- sleeping --------------------------------------------------------- */

struct kipc_channel_sleep {
	struct kipc_channel *ch;
	u32 seq;
};

static bool kipc_channel_get_must_sleep(struct kipc_object *obj, void *arg)
{
	struct kipc_channel_sleep *s = arg;

	return kipc_ring_get_must_sleep(&s->ch->view, s->seq);
}

static bool kipc_channel_put_must_sleep(struct kipc_object *obj, void *arg)
{
	struct kipc_channel_sleep *s = arg;

	return kipc_ring_put_must_sleep(&s->ch->view, s->seq);
}

/*
 * Sleep until a message (@op GET) or room (@op PUT) may be there, given
 * the seq word read before the failed attempt. The predicate checks the
 * ring itself, not only the seq word: the waker bumps it only when it saw
 * a sleeper counted.
 */
static int kipc_channel_sleep(struct kipc_object *obj, u32 op, u32 seq,
			      bool has_deadline, ktime_t deadline)
{
	struct kipc_channel_sleep s = { .ch = kipc_channel(obj), .seq = seq };
	atomic_t *waiters;
	int err;

	if (op == KIPC_CHANNEL_GET) {
		waiters = kipc_waiters(obj, KIPC_CHANNEL_OFF_GET_WAITERS, &err);
		return kipc_wait_event(obj, KIPC_CHANNEL_OFF_PUT_SEQ, waiters,
				       kipc_channel_get_must_sleep, &s,
				       has_deadline, deadline);
	}
	waiters = kipc_waiters(obj, KIPC_CHANNEL_OFF_PUT_WAITERS, &err);
	return kipc_wait_event(obj, KIPC_CHANNEL_OFF_GET_SEQ, waiters,
			       kipc_channel_put_must_sleep, &s, has_deadline,
			       deadline);
}

static long kipc_channel_ioc_wait(struct kipc_object *obj,
				  struct kipc_channel_wait __user *uarg)
{
	struct kipc_channel_wait arg;
	ktime_t deadline;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.op != KIPC_CHANNEL_GET && arg.op != KIPC_CHANNEL_PUT) ||
	    arg.flags & ~KIPC_WAIT_DEADLINE || arg.pad ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	deadline = arg.deadline_ns > KTIME_MAX ? KTIME_MAX : arg.deadline_ns;
	return kipc_channel_sleep(obj, arg.op, arg.seq,
				  arg.flags & KIPC_WAIT_DEADLINE, deadline);
}

static long kipc_channel_ioc_wake(struct kipc_object *obj,
				  struct kipc_channel_wake __user *uarg)
{
	struct kipc_channel_wake arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.ops || arg.ops & ~(KIPC_CHANNEL_WAKE_GET | KIPC_CHANNEL_WAKE_PUT) ||
	    arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	return kipc_channel_wake(obj, arg.ops);
}

static u32 kipc_channel_sleepers(struct kipc_object *obj, u64 offset)
{
	return kipc_load(kipc_word(obj, offset)) & ~KIPC_WAITERS_POLL;
}

static long kipc_channel_ioc_stats(struct kipc_object *obj,
				   struct kipc_channel_stats __user *uarg)
{
	struct kipc_channel *ch = kipc_channel(obj);
	struct kipc_channel_stats st;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (memchr_inv(&st, 0, sizeof(st)))
		return -EINVAL;
	st.queued = kipc_ring_queued(&ch->view);
	st.dropped = atomic64_read(&ch->dropped);
	st.discarded = atomic64_read(&ch->discarded);
	st.get_waiters = kipc_channel_sleepers(obj, KIPC_CHANNEL_OFF_GET_WAITERS);
	st.put_waiters = kipc_channel_sleepers(obj, KIPC_CHANNEL_OFF_PUT_WAITERS);
	st.buffers = atomic64_read(&ch->buffers);
	st.buffer_bytes = atomic64_read(&ch->buffer_bytes);
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long kipc_channel_ioc_large(struct kipc_object *obj, bool put,
				   struct kipc_channel_large __user *uarg);

static long kipc_channel_ioctl(struct kipc_object *obj, struct file *file,
			       unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KIPC_CHANNEL_IOC_WAIT:
		return kipc_channel_ioc_wait(obj, argp);
	case KIPC_CHANNEL_IOC_WAKE:
		return kipc_channel_ioc_wake(obj, argp);
	case KIPC_CHANNEL_IOC_STATS:
		return kipc_channel_ioc_stats(obj, argp);
	case KIPC_CHANNEL_IOC_PUT_LARGE:
		return kipc_channel_ioc_large(obj, true, argp);
	case KIPC_CHANNEL_IOC_GET_LARGE:
		return kipc_channel_ioc_large(obj, false, argp);
	}
	return -ENOTTY;
}

/* --- poll, read, write ------------------------------------------------ */

static __poll_t kipc_channel_poll(struct kipc_object *obj, struct file *file,
				  struct poll_table_struct *pt)
{
	struct kipc_channel *ch = kipc_channel(obj);
	__poll_t want = poll_requested_events(pt);
	__poll_t mask = 0;

	/*
	 * One poll_wait; the waiter word of each side watched gets the poll
	 * bit, so that userspace wakers of that side enter the kernel.
	 */
	if (want & (EPOLLIN | EPOLLRDNORM)) {
		kipc_poll_arm(obj, file, pt, KIPC_CHANNEL_OFF_GET_WAITERS);
		if ((want & (EPOLLOUT | EPOLLWRNORM)) && !poll_does_not_wait(pt)) {
			atomic_or(KIPC_WAITERS_POLL, (atomic_t *)
				  kipc_word(obj, KIPC_CHANNEL_OFF_PUT_WAITERS));
			smp_mb__after_atomic(); /* the bit before readiness */
		}
	} else {
		kipc_poll_arm(obj, file, pt, KIPC_CHANNEL_OFF_PUT_WAITERS);
	}
	if (kipc_ring_can_get(&ch->view))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kipc_ring_can_put(&ch->view))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* How a kernel-side put or get may sleep, and where a get reports. */
struct kipc_channel_how {
	bool nowait;
	bool has_deadline;
	ktime_t deadline;
	u64 __user *lenp;	/* the length, stored before the take */
};

/* The message at @m is ours: free its slot and wake producers. */
static void kipc_channel_taken(struct kipc_object *obj, struct kipc_ring_msg *m)
{
	struct kipc_channel *ch = kipc_channel(obj);

	kipc_ring_get_release(&ch->view, m);
	if (kipc_ring_after_get(&ch->view))
		kipc_channel_wake(obj, KIPC_CHANNEL_WAKE_PUT);
}

/*
 * Copy out the message kipc_ring_peek() described, then take it. The copy
 * comes first, so that a fault or a short buffer leaves the message in the
 * ring; the take (a CAS from READY at the same position) proves the copy was
 * not torn. An indirect record's buffer is pinned by a reference meanwhile,
 * and freed once the record is ours. Nothing is held while user memory is
 * touched. Return: the length or -errno; *@retry set (and 0 returned) if
 * another consumer took the message first: peek again. With @lenp, the
 * length is stored there before the take, so that it is never lost either.
 */
static ssize_t kipc_channel_get_one(struct kipc_object *obj,
				    struct kipc_ring_msg *m, struct iov_iter *to,
				    u64 __user *lenp, bool *retry)
{
	struct kipc_channel *ch = kipc_channel(obj);
	size_t room = iov_iter_count(to);
	struct kipc_channel_buf *buf = NULL;
	const void *data = m->data;

	if (m->type == KIPC_RING_REC_INDIRECT) {
		buf = kipc_channel_buf_find(ch, m->handle, m->len);
		if (!buf) {
			/* Not a record of ours, or taken meanwhile. */
			if (kipc_ring_take_peeked(&ch->view, m)) {
				*retry = true;
				return 0;
			}
			kipc_channel_taken(obj, m);
			return -EBADMSG;
		}
		data = buf->data;
	}
	if (m->len > room) {
		if (buf)
			kipc_channel_buf_put(buf);
		return -EMSGSIZE;
	}
	if (copy_to_iter(data, m->len, to) != m->len ||
	    (lenp && put_user((u64)m->len, lenp))) {
		iov_iter_revert(to, room - iov_iter_count(to));
		if (buf)
			kipc_channel_buf_put(buf);
		return -EFAULT;
	}
	if (kipc_ring_take_peeked(&ch->view, m)) {
		/* Another consumer took it: the copy is void. */
		iov_iter_revert(to, m->len);
		if (buf)
			kipc_channel_buf_put(buf);
		*retry = true;
		return 0;
	}
	if (buf) {
		kipc_channel_buf_remove(ch, buf);
		kipc_channel_buf_put(buf);
	}
	kipc_channel_taken(obj, m);
	return m->len;
}

/* One message, inline or indirect, into @to. */
static ssize_t kipc_channel_kget(struct kipc_object *obj, struct iov_iter *to,
				 const struct kipc_channel_how *how)
{
	struct kipc_channel *ch = kipc_channel(obj);
	struct kipc_ring_hdr *h = kipc_ring_hdr(&ch->view);
	struct kipc_ring_msg m;
	ssize_t ret;

	for (;;) {
		u32 seq = kipc_load_acquire(&h->put_seq);

		ret = kipc_ring_peek(&ch->view, KIPC_RING_OWNER_KERNEL,
				     KIPC_RING_TAKE_INDIRECT, &m);
		if (!ret) {
			bool retry = false;

			ret = kipc_channel_get_one(obj, &m, to, how->lenp,
						   &retry);
			if (retry)
				continue;
			return ret;
		}
		if (ret != -EAGAIN)
			return ret;
		if (how->nowait)
			return -EAGAIN;
		ret = kipc_channel_sleep(obj, KIPC_CHANNEL_GET, seq,
					 how->has_deadline, how->deadline);
		if (ret && ret != -EAGAIN)
			return ret;
	}
}

/*
 * One message from @from. The payload is copied in before a slot is
 * claimed, so that no claim is ever held across a fault; a message larger
 * than a slot goes into a kernel buffer named by an indirect record.
 */
static ssize_t kipc_channel_kput(struct kipc_object *obj, struct iov_iter *from,
				 const struct kipc_channel_how *how)
{
	struct kipc_channel *ch = kipc_channel(obj);
	struct kipc_ring_hdr *h = kipc_ring_hdr(&ch->view);
	size_t len = iov_iter_count(from);
	u8 stack_buf[KIPC_CHANNEL_STACK_BUF];
	struct kipc_channel_buf *large = NULL;
	void *buf = stack_buf;
	ssize_t ret;

	if (len > ch->max_msg)
		return -EMSGSIZE;
	if (len > ch->view.slot_size) {
		large = kipc_channel_buf_new(ch, len);
		if (IS_ERR(large))
			return PTR_ERR(large);
		buf = large->data;
	} else if (len > sizeof(stack_buf)) {
		buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}
	if (copy_from_iter(buf, len, from) != len) {
		ret = -EFAULT;
		goto out;
	}
	for (;;) {
		u32 seq = kipc_load_acquire(&h->get_seq);

		if (large)
			ret = kipc_channel_publish_buf(ch, large);
		else
			ret = kipc_ring_try_put(&ch->view, KIPC_RING_OWNER_KERNEL,
						buf, len);
		if (!ret) {
			if (kipc_ring_after_put(&ch->view))
				kipc_channel_wake(obj, KIPC_CHANNEL_WAKE_GET);
			ret = len;
			break;
		}
		if (ret != -EAGAIN || how->nowait)
			break;
		ret = kipc_channel_sleep(obj, KIPC_CHANNEL_PUT, seq,
					 how->has_deadline, how->deadline);
		if (ret && ret != -EAGAIN)
			break;
	}
out:
	if (ret < 0)
		iov_iter_revert(from, len - iov_iter_count(from));
	if (large) {
		/* Published: the table's reference now belongs to the record. */
		if (ret < 0)
			kipc_channel_buf_remove(ch, large);
	} else if (buf != stack_buf) {
		kvfree(buf);
	}
	return ret;
}

static bool kipc_channel_nowait(struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_NOWAIT) ||
	       (iocb->ki_filp->f_flags & O_NONBLOCK);
}

/* One message per read. */
static ssize_t kipc_channel_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kipc_channel_how how = { .nowait = kipc_channel_nowait(iocb) };

	return kipc_channel_kget(iocb->ki_filp->private_data, to, &how);
}

/* One message per write. */
static ssize_t kipc_channel_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kipc_channel_how how = { .nowait = kipc_channel_nowait(iocb) };

	return kipc_channel_kput(iocb->ki_filp->private_data, from, &how);
}

/* One message, never sleeping: for io_uring commands (channel_uring.c). */
ssize_t kipc_channel_put_nowait(struct file *file, struct iov_iter *from)
{
	struct kipc_channel_how how = { .nowait = true };
	struct kipc_object *obj = file->private_data;

	/* A pending put retried while full copies nothing in. */
	if (!kipc_ring_can_put(&kipc_channel(obj)->view))
		return -EAGAIN;
	return kipc_channel_kput(obj, from, &how);
}

ssize_t kipc_channel_get_nowait(struct file *file, struct iov_iter *to,
				u64 __user *lenp)
{
	struct kipc_channel_how how = { .nowait = true, .lenp = lenp };

	return kipc_channel_kget(file->private_data, to, &how);
}

/* KIPC_CHANNEL_IOC_PUT_LARGE and GET_LARGE: put or get through the kernel. */
static long kipc_channel_ioc_large(struct kipc_object *obj, bool put,
				   struct kipc_channel_large __user *uarg)
{
	struct kipc_channel_large arg;
	struct kipc_channel_how how = { };
	struct iov_iter iter;
	struct iovec iov;
	size_t len;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~(KIPC_WAIT_DEADLINE | KIPC_CHANNEL_LARGE_NOWAIT) ||
	    arg.pad || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	if (put && arg.len > kipc_channel(obj)->max_msg)
		return -EMSGSIZE;
	len = min_t(u64, arg.len, KIPC_CHANNEL_MAX_MSG);
	how.nowait = arg.flags & KIPC_CHANNEL_LARGE_NOWAIT;
	how.has_deadline = arg.flags & KIPC_WAIT_DEADLINE;
	how.deadline = arg.deadline_ns > KTIME_MAX ? KTIME_MAX : arg.deadline_ns;
	ret = import_single_range(put ? WRITE : READ,
				  u64_to_user_ptr(arg.data), len, &iov, &iter);
	if (ret)
		return ret;
	if (put)
		return kipc_channel_kput(obj, &iter, &how);
	return kipc_channel_kget(obj, &iter, &how);
}

static void kipc_channel_show_fdinfo(struct kipc_object *obj, struct seq_file *m)
{
	struct kipc_channel *ch = kipc_channel(obj);

	seq_printf(m, "kipc-capacity:\t%u\n", ch->view.capacity);
	seq_printf(m, "kipc-slot-size:\t%u\n", ch->view.slot_size);
	seq_printf(m, "kipc-max-msg:\t%u\n", ch->max_msg);
	seq_printf(m, "kipc-queued:\t%llu\n", kipc_ring_queued(&ch->view));
	seq_printf(m, "kipc-get-waiters:\t%u\n",
		   kipc_channel_sleepers(obj, KIPC_CHANNEL_OFF_GET_WAITERS));
	seq_printf(m, "kipc-put-waiters:\t%u\n",
		   kipc_channel_sleepers(obj, KIPC_CHANNEL_OFF_PUT_WAITERS));
	seq_printf(m, "kipc-dropped:\t%lld\n", atomic64_read(&ch->dropped));
	seq_printf(m, "kipc-discarded:\t%lld\n", atomic64_read(&ch->discarded));
	seq_printf(m, "kipc-buffers:\t%lld\n", atomic64_read(&ch->buffers));
	seq_printf(m, "kipc-buffer-bytes:\t%lld\n", atomic64_read(&ch->buffer_bytes));
}

const struct kipc_type kipc_channel_type = {
	.name		= "kipc-channel",
	.type		= KIPC_TYPE_CHANNEL,
	.fmode_nowait	= true,
	.prepare	= kipc_channel_prepare,
	.init		= kipc_channel_init,
	.destroy	= kipc_channel_destroy,
	.detach		= kipc_channel_detach,
	.poll		= kipc_channel_poll,
	.read_iter	= kipc_channel_read_iter,
	.write_iter	= kipc_channel_write_iter,
	.ioctl		= kipc_channel_ioctl,
	.show_fdinfo	= kipc_channel_show_fdinfo,
	.uring_try	= kipc_channel_uring_try,
};
