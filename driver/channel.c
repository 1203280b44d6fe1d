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
#include "compat.h"
#include "channel.h"
#include "trace.h"

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
 * @charge: what the putter was charged for @len bytes
 * @data:   the payload, written once before it is published
 */
struct kipc_channel_buf {
	refcount_t ref;
	u64 handle;
	u32 len;
	atomic_t state;
	struct kipc_charge charge;
	void *data;
};

static struct kipc_channel *kipc_channel(struct kipc_object *obj)
{
	return obj->priv;
}

/* Validate a ring's parameters (but not @p->flags); return its bytes. */
s64 kipc_channel_check_params(const struct kipc_channel_params *p)
{
	u64 bytes;

	if (p->pad || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	bytes = kipc_ring_bytes(p->capacity, p->slot_size);
	if (!bytes)
		return -EINVAL;
	if (p->max_msg > KIPC_CHANNEL_MAX_MSG)
		return -EINVAL;
	return bytes;
}

static s64 kipc_channel_prepare(const union kipc_params *params)
{
	if (params->channel.flags)
		return -EINVAL;
	return kipc_channel_check_params(&params->channel);
}

/* Lay out a ring at @off of the object's memory, as its params say. */
int kipc_channel_ring_init(struct kipc_object *obj, struct kipc_channel *ch,
			   u64 off)
{
	const struct kipc_channel_params *p = &obj->params.channel;

	ch->view.base = obj->mem + off;
	ch->view.capacity = p->capacity;
	ch->view.slot_size = p->slot_size;
	ch->off = off;
	ch->max_msg = p->max_msg ? p->max_msg : p->slot_size;
	ch->closed = 0;
	atomic64_set(&ch->dropped, 0);
	atomic64_set(&ch->discarded, 0);
	atomic64_set(&ch->recoveries, 0);
	xa_init_flags(&ch->bufs, XA_FLAGS_ALLOC1);
	ch->buf_limit = p->capacity + KIPC_CHANNEL_BUFS_SPARE;
	atomic64_set(&ch->buffers, 0);
	atomic64_set(&ch->buffer_bytes, 0);
	return kipc_ring_init(&ch->view);
}

static int kipc_channel_init(struct kipc_object *obj)
{
	struct kipc_channel *ch;
	int ret;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	ret = kipc_channel_ring_init(obj, ch, 0);
	if (ret) {
		kfree(ch);
		return ret;
	}
	obj->priv = ch;
	return 0;
}

/* The rings a descriptor of a channel or a pipe puts into and gets from. */
static void kipc_channel_end(struct kipc_object *obj, struct file *file,
			     struct kipc_channel_end *e)
{
	if (obj->type == &kipc_pipe_type) {
		kipc_pipe_end(obj, file, e);
		return;
	}
	e->put = kipc_channel(obj);
	e->get = e->put;
}

/* Has the other side of @ch gone (KIPC_RING_CLOSED_WRITER or _READER)? */
static bool kipc_channel_closed(struct kipc_channel *ch, unsigned long bit)
{
	/* Pairs with kipc_channel_ring_close(): the puts before the bit. */
	return smp_load_acquire(&ch->closed) & bit;
}

/*
 * A pipe's end went away for good: nobody will put into (@bit WRITER) or
 * get from (@bit READER) @ch again. The caller wakes everyone afterwards.
 */
void kipc_channel_ring_close(struct kipc_channel *ch, unsigned long bit)
{
	/* Whoever sees the bit sees the puts that came before it. */
	smp_mb__before_atomic();
	set_bit(__ffs(bit), &ch->closed);
	/* Rewritten whole from the trusted bits: undoes any scribble. */
	kipc_store_release(&kipc_ring_hdr(&ch->view)->closed,
			   (u32)READ_ONCE(ch->closed));
}

/* --- large-message buffers -------------------------------------------- */

static void kipc_channel_buf_put(struct kipc_channel_buf *buf)
{
	if (!refcount_dec_and_test(&buf->ref))
		return;
	kvfree(buf->data);
	kipc_account_uncharge(&buf->charge);
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
	ret = kipc_account_charge(&buf->charge, len, 0);
	if (ret) {
		kfree(buf);
		return ERR_PTR(ret);
	}
	buf->len = len;
	/* A full memory cgroup fails the put (ENOMEM), never OOM-kills. */
	buf->data = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
			     __GFP_NOWARN);
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
	kipc_account_uncharge(&buf->charge);
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
	u64 handle = buf->handle;
	u32 len = buf->len;
	struct kipc_ring_cookie c;
	int ret;

	ret = kipc_ring_claim(&ch->view, KIPC_RING_OWNER_KERNEL,
			      sizeof(handle), &c);
	if (ret)
		return ret;
	/*
	 * From here a consumer may find, take and free @buf: a co-mapper
	 * sees the handle in the slot and can forge a record naming it.
	 */
	atomic_set(&buf->state, KIPC_CHANNEL_BUF_QUEUED);
	memcpy(c.data, &handle, sizeof(handle));
	kipc_ring_publish(&ch->view, &c, KIPC_RING_REC_INDIRECT, len);
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

/* No file is left, so no put or get is running: free what is queued. */
void kipc_channel_ring_destroy(struct kipc_channel *ch)
{
	struct kipc_channel_buf *buf;
	unsigned long idx;

	xa_for_each(&ch->bufs, idx, buf)
		kipc_channel_buf_remove(ch, buf);
	xa_destroy(&ch->bufs);
}

static void kipc_channel_destroy(struct kipc_object *obj)
{
	kipc_channel_ring_destroy(kipc_channel(obj));
	kfree(obj->priv);
}

/* Wake the sleepers and pollers of one or both sides of @ch. */
static int kipc_channel_wake(struct kipc_object *obj, struct kipc_channel *ch,
			     u32 ops)
{
	int woken = 0, ret;

	if (ops & KIPC_CHANNEL_WAKE_GET) {
		ret = kipc_wake_word(obj, ch->off + KIPC_CHANNEL_OFF_PUT_SEQ,
				     ch->off + KIPC_CHANNEL_OFF_GET_WAITERS,
				     INT_MAX);
		if (ret > 0)
			woken += ret;
	}
	if (ops & KIPC_CHANNEL_WAKE_PUT) {
		ret = kipc_wake_word(obj, ch->off + KIPC_CHANNEL_OFF_GET_SEQ,
				     ch->off + KIPC_CHANNEL_OFF_PUT_WAITERS,
				     INT_MAX);
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
bool kipc_channel_ring_detach(struct kipc_object *obj, struct kipc_channel *ch,
			      u16 id)
{
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
	if (r.dropped || r.discarded || r.corrupt) {
		atomic64_inc(&ch->recoveries);
		trace_kipc_ring_recover(obj->id, ch->off, r.dropped,
					r.discarded);
	}
	return r.wake || ret == -EIO;
}

static bool kipc_channel_detach(struct kipc_object *obj, u16 id)
{
	return kipc_channel_ring_detach(obj, kipc_channel(obj), id);
}

/* --- sleeping --------------------------------------------------------- */

struct kipc_channel_sleep {
	struct kipc_channel *ch;
	u32 seq;
};

/* A consumer sleeps while nothing came and a writer may still come. */
static bool kipc_channel_get_must_sleep(struct kipc_object *obj, void *arg)
{
	struct kipc_channel_sleep *s = arg;

	return !kipc_channel_closed(s->ch, KIPC_RING_CLOSED_WRITER) &&
	       kipc_ring_get_must_sleep(&s->ch->view, s->seq);
}

static bool kipc_channel_put_must_sleep(struct kipc_object *obj, void *arg)
{
	struct kipc_channel_sleep *s = arg;

	return !kipc_channel_closed(s->ch, KIPC_RING_CLOSED_READER) &&
	       kipc_ring_put_must_sleep(&s->ch->view, s->seq);
}

/*
 * Sleep until a message (@op GET) or room (@op PUT) may be in @ch, given
 * the seq word read before the failed attempt. The predicate checks the
 * ring itself, not only the seq word: the waker bumps it only when it saw
 * a sleeper counted.
 */
static int kipc_channel_sleep(struct kipc_object *obj, struct kipc_channel *ch,
			      u32 op, u32 seq, bool has_deadline,
			      ktime_t deadline)
{
	struct kipc_channel_sleep s = { .ch = ch, .seq = seq };
	atomic_t *waiters;
	int err;

	if (op == KIPC_CHANNEL_GET) {
		waiters = kipc_waiters(obj, ch->off + KIPC_CHANNEL_OFF_GET_WAITERS,
				       &err);
		return kipc_wait_event(obj, ch->off + KIPC_CHANNEL_OFF_PUT_SEQ,
				       waiters, kipc_channel_get_must_sleep, &s,
				       has_deadline, deadline);
	}
	waiters = kipc_waiters(obj, ch->off + KIPC_CHANNEL_OFF_PUT_WAITERS, &err);
	return kipc_wait_event(obj, ch->off + KIPC_CHANNEL_OFF_GET_SEQ, waiters,
			       kipc_channel_put_must_sleep, &s, has_deadline,
			       deadline);
}

static long kipc_channel_ioc_wait(struct kipc_object *obj,
				  const struct kipc_channel_end *e,
				  struct kipc_channel_wait __user *uarg)
{
	struct kipc_channel_wait arg;
	struct kipc_channel *ch;
	ktime_t deadline;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.op != KIPC_CHANNEL_GET && arg.op != KIPC_CHANNEL_PUT) ||
	    arg.flags & ~KIPC_WAIT_DEADLINE || arg.pad ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	/* A deadline without its flag is a caller's bug, not "no deadline". */
	if (arg.deadline_ns && !(arg.flags & KIPC_WAIT_DEADLINE))
		return -EINVAL;
	ch = arg.op == KIPC_CHANNEL_GET ? e->get : e->put;
	if (!ch)
		return -EBADF;
	/* The end of the stream, whatever the header says. */
	if (arg.op == KIPC_CHANNEL_PUT &&
	    kipc_channel_closed(ch, KIPC_RING_CLOSED_READER))
		return -EPIPE;
	if (arg.op == KIPC_CHANNEL_GET &&
	    kipc_channel_closed(ch, KIPC_RING_CLOSED_WRITER) &&
	    !kipc_ring_can_get(&ch->view))
		return -ENODATA;
	deadline = arg.deadline_ns > KTIME_MAX ? KTIME_MAX : arg.deadline_ns;
	return kipc_channel_sleep(obj, ch, arg.op, arg.seq,
				  arg.flags & KIPC_WAIT_DEADLINE, deadline);
}

static long kipc_channel_ioc_wake(struct kipc_object *obj,
				  const struct kipc_channel_end *e,
				  struct kipc_channel_wake __user *uarg)
{
	struct kipc_channel_wake arg;
	int woken = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.ops || arg.ops & ~(KIPC_CHANNEL_WAKE_GET | KIPC_CHANNEL_WAKE_PUT) ||
	    arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	/* A pipe's end wakes its rings: sides nobody sleeps on cost little. */
	if (e->put)
		woken += kipc_channel_wake(obj, e->put, arg.ops);
	if (e->get && e->get != e->put)
		woken += kipc_channel_wake(obj, e->get, arg.ops);
	return woken;
}

static u32 kipc_channel_sleepers(struct kipc_object *obj, u64 offset)
{
	return kipc_load(kipc_word(obj, offset)) & ~KIPC_WAITERS_POLL;
}

/* Slots summed between two reschedules. */
#define KIPC_CHANNEL_STAT_BATCH	4096

/*
 * The lengths of the published messages in the @queued positions from
 * head, at most capacity slots. Informative: the ring is hostile and moves
 * meanwhile, so this is the sum of what the slots said as they were read,
 * each clamped to max_msg. May reschedule.
 */
static u64 kipc_channel_queued_bytes(struct kipc_channel *ch, u64 queued)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(&ch->view);
	u64 head = kipc_load_acquire(&h->head);
	u64 i, bytes = 0;

	queued = min_t(u64, queued, ch->view.capacity);
	for (i = 0; i < queued; i++) {
		struct kipc_ring_slot *slot = kipc_ring_slot(&ch->view, head + i);
		u64 st = kipc_load_acquire(&slot->state);

		/* Only a record published at this very position counts. */
		if (kipc_ring_state_phase(st) == KIPC_RING_READY &&
		    !((kipc_ring_state_pos(st) ^ (head + i)) & KIPC_RING_POS_MASK))
			bytes += min(kipc_load(&slot->len), ch->max_msg);
		if (!((i + 1) % KIPC_CHANNEL_STAT_BATCH))
			cond_resched();
	}
	return bytes;
}

/* struct kipc_ring_stat of @ch; never sleeps on user memory. */
void kipc_channel_ring_stat(struct kipc_object *obj, struct kipc_channel *ch,
			    struct kipc_ring_stat *rs)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(&ch->view);

	rs->queued = kipc_ring_queued(&ch->view);
	rs->queued_bytes = kipc_channel_queued_bytes(ch, rs->queued);
	rs->puts = kipc_load(&h->tail);
	rs->gets = kipc_load(&h->head);
	rs->dropped = atomic64_read(&ch->dropped);
	rs->discarded = atomic64_read(&ch->discarded);
	rs->recoveries = atomic64_read(&ch->recoveries);
	rs->buffers = atomic64_read(&ch->buffers);
	rs->buffer_bytes = atomic64_read(&ch->buffer_bytes);
	rs->get_waiters = kipc_channel_sleepers(obj, ch->off +
						KIPC_CHANNEL_OFF_GET_WAITERS);
	rs->put_waiters = kipc_channel_sleepers(obj, ch->off +
						KIPC_CHANNEL_OFF_PUT_WAITERS);
	rs->closed = READ_ONCE(ch->closed);
}

static void kipc_channel_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	kipc_channel_ring_stat(obj, kipc_channel(obj), &st->u.ring[0]);
	st->kmem += st->u.ring[0].buffer_bytes;
}

static void kipc_channel_add_stats(struct kipc_channel *ch,
				   struct kipc_channel_stats *st)
{
	st->dropped += atomic64_read(&ch->dropped);
	st->discarded += atomic64_read(&ch->discarded);
	st->buffers += atomic64_read(&ch->buffers);
	st->buffer_bytes += atomic64_read(&ch->buffer_bytes);
}

/*
 * A pipe's end reports the messages waiting for it (a one-way writer: the
 * messages it queued), its rings' counters summed.
 */
static long kipc_channel_ioc_stats(struct kipc_object *obj,
				   const struct kipc_channel_end *e,
				   struct kipc_channel_stats __user *uarg)
{
	struct kipc_channel *in = e->get ? e->get : e->put;
	struct kipc_channel_stats st;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (memchr_inv(&st, 0, sizeof(st)))
		return -EINVAL;
	st.queued = kipc_ring_queued(&in->view);
	if (e->get)
		st.get_waiters = kipc_channel_sleepers(obj, e->get->off +
						       KIPC_CHANNEL_OFF_GET_WAITERS);
	if (e->put)
		st.put_waiters = kipc_channel_sleepers(obj, e->put->off +
						       KIPC_CHANNEL_OFF_PUT_WAITERS);
	if (e->put)
		kipc_channel_add_stats(e->put, &st);
	if (e->get && e->get != e->put)
		kipc_channel_add_stats(e->get, &st);
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long kipc_channel_ioc_large(struct kipc_object *obj,
				   struct kipc_channel *ch, bool put,
				   struct kipc_channel_large __user *uarg);

long kipc_channel_ioctl(struct kipc_object *obj, struct file *file,
			unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	switch (cmd) {
	case KIPC_CHANNEL_IOC_WAIT:
		return kipc_channel_ioc_wait(obj, &e, argp);
	case KIPC_CHANNEL_IOC_WAKE:
		return kipc_channel_ioc_wake(obj, &e, argp);
	case KIPC_CHANNEL_IOC_STATS:
		return kipc_channel_ioc_stats(obj, &e, argp);
	case KIPC_CHANNEL_IOC_PUT_LARGE:
		return kipc_channel_ioc_large(obj, e.put, true, argp);
	case KIPC_CHANNEL_IOC_GET_LARGE:
		return kipc_channel_ioc_large(obj, e.get, false, argp);
	case KIPC_PIPE_IOC_END:
		if (obj->type != &kipc_pipe_type)
			return -ENOTTY;
		return kipc_pipe_ioc_end(obj, file, argp);
	}
	return -ENOTTY;
}

/* --- poll, read, write ------------------------------------------------ */

/* Tell userspace wakers of the side at @waiters_off that a watcher may be. */
static void kipc_channel_poll_bit(struct kipc_object *obj,
				  struct poll_table_struct *pt, u64 waiters_off)
{
	atomic_t *waiters;
	int err;

	if (poll_does_not_wait(pt))
		return;
	waiters = kipc_waiters(obj, waiters_off, &err);
	if (!waiters)
		return;
	atomic_or(KIPC_WAITERS_POLL, waiters);
	smp_mb__after_atomic(); /* the bit before readiness */
}

/*
 * Readable when a message is there, or at the end of the stream (then
 * also EPOLLHUP); writable when there is room, or when the reader is gone
 * (then also EPOLLERR: a write fails at once with EPIPE).
 */
__poll_t kipc_channel_poll(struct kipc_object *obj, struct file *file,
			   struct poll_table_struct *pt)
{
	__poll_t want = poll_requested_events(pt);
	struct kipc_channel_end e;
	__poll_t mask = 0;

	kipc_channel_end(obj, file, &e);
	/* One poll_wait; the waiter word of each side watched gets the bit. */
	kipc_poll_arm(obj, file, pt, KIPC_WAITERS_NONE);
	if (e.get && (want & (EPOLLIN | EPOLLRDNORM)))
		kipc_channel_poll_bit(obj, pt, e.get->off +
				      KIPC_CHANNEL_OFF_GET_WAITERS);
	if (e.put && (want & (EPOLLOUT | EPOLLWRNORM)))
		kipc_channel_poll_bit(obj, pt, e.put->off +
				      KIPC_CHANNEL_OFF_PUT_WAITERS);
	if (e.get) {
		if (kipc_channel_closed(e.get, KIPC_RING_CLOSED_WRITER))
			mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
		else if (kipc_ring_can_get(&e.get->view))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	if (e.put) {
		if (kipc_channel_closed(e.put, KIPC_RING_CLOSED_READER))
			mask |= EPOLLOUT | EPOLLWRNORM | EPOLLERR;
		else if (kipc_ring_can_put(&e.put->view))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	return mask;
}

/*
 * Between two attempts of a put or get, after one that failed without
 * sleeping. A hostile co-mapper can make every attempt fail that way (see
 * KIPC_RING_ROUNDS): bound them, stay killable and let others run.
 */
static int kipc_channel_spin(struct kipc_channel *ch, bool put, bool nowait,
			     struct kipc_ring_rounds *rounds)
{
	if (kipc_ring_spun(&ch->view, put, rounds))
		return -EIO;
	if (fatal_signal_pending(current))
		return -EINTR;
	if (!nowait && signal_pending(current))
		return -ERESTARTSYS;
	cond_resched();
	return 0;
}

/* How a kernel-side put or get may sleep, and where a get reports. */
struct kipc_channel_how {
	bool nowait;
	bool has_deadline;
	ktime_t deadline;
	u64 __user *lenp;	/* the length, stored before the take */
};

/* The message at @m is ours: free its slot and wake producers. */
static void kipc_channel_taken(struct kipc_object *obj, struct kipc_channel *ch,
			       struct kipc_ring_msg *m)
{
	kipc_ring_get_release(&ch->view, m);
	if (kipc_ring_after_get(&ch->view))
		kipc_channel_wake(obj, ch, KIPC_CHANNEL_WAKE_PUT);
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
				    struct kipc_channel *ch,
				    struct kipc_ring_msg *m, struct iov_iter *to,
				    u64 __user *lenp, bool *retry)
{
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
			kipc_channel_taken(obj, ch, m);
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
	kipc_channel_taken(obj, ch, m);
	return m->len;
}

/*
 * One message, inline or indirect, from @ch into @to. Returns its length,
 * or -ENODATA once @ch is empty and its writer gone (every message put
 * before is delivered first), -EBADF without a ring to get from, -EIO
 * after KIPC_RING_ROUNDS attempts in a row failed without sleeping.
 */
static ssize_t kipc_channel_kget(struct kipc_object *obj,
				 struct kipc_channel *ch, struct iov_iter *to,
				 const struct kipc_channel_how *how)
{
	struct kipc_ring_rounds rounds = { };
	struct kipc_ring_hdr *h;
	struct kipc_ring_msg m;
	ssize_t ret;

	if (!ch)
		return -EBADF;
	h = kipc_ring_hdr(&ch->view);
	for (;;) {
		u32 seq = kipc_load_acquire(&h->put_seq);
		/* Before the peek: an empty ring then means the end. */
		bool eof = kipc_channel_closed(ch, KIPC_RING_CLOSED_WRITER);

		ret = kipc_ring_peek(&ch->view, KIPC_RING_OWNER_KERNEL,
				     KIPC_RING_TAKE_INDIRECT, &m);
		if (!ret) {
			bool retry = false;

			ret = kipc_channel_get_one(obj, ch, &m, to, how->lenp,
						   &retry);
			if (!retry)
				return ret;
		} else {
			if (ret != -EAGAIN)
				return ret;
			if (eof)
				return -ENODATA;
			if (how->nowait)
				return -EAGAIN;
			ret = kipc_channel_sleep(obj, ch, KIPC_CHANNEL_GET, seq,
						 how->has_deadline,
						 how->deadline);
			if (!ret) {
				/* A wake-up: somebody's system call. */
				rounds.n = 0;
				continue;
			}
			if (ret != -EAGAIN)
				return ret;
		}
		ret = kipc_channel_spin(ch, false, how->nowait, &rounds);
		if (ret)
			return ret;
	}
}

/*
 * One message from @from into @ch. The payload is copied in before a slot
 * is claimed, so that no claim is ever held across a fault; a message
 * larger than a slot goes into a kernel buffer named by an indirect record.
 * Returns its length, or -EPIPE once the reader of @ch is gone, -EBADF
 * without a ring to put into.
 */
static ssize_t kipc_channel_kput(struct kipc_object *obj,
				 struct kipc_channel *ch, struct iov_iter *from,
				 const struct kipc_channel_how *how)
{
	size_t len = iov_iter_count(from);
	u8 stack_buf[KIPC_CHANNEL_STACK_BUF];
	struct kipc_channel_buf *large = NULL;
	struct kipc_ring_rounds rounds = { };
	struct kipc_ring_hdr *h;
	void *buf = stack_buf;
	ssize_t ret;

	if (!ch)
		return -EBADF;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	if (kipc_channel_closed(ch, KIPC_RING_CLOSED_READER))
		return -EPIPE;
	h = kipc_ring_hdr(&ch->view);
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

		if (kipc_channel_closed(ch, KIPC_RING_CLOSED_READER)) {
			ret = -EPIPE;
			break;
		}
		if (large)
			ret = kipc_channel_publish_buf(ch, large);
		else
			ret = kipc_ring_try_put(&ch->view, KIPC_RING_OWNER_KERNEL,
						buf, len);
		if (!ret) {
			if (kipc_ring_after_put(&ch->view))
				kipc_channel_wake(obj, ch, KIPC_CHANNEL_WAKE_GET);
			ret = len;
			break;
		}
		if (ret != -EAGAIN || how->nowait)
			break;
		ret = kipc_channel_sleep(obj, ch, KIPC_CHANNEL_PUT, seq,
					 how->has_deadline, how->deadline);
		if (!ret) {
			rounds.n = 0;	/* a wake-up: somebody's system call */
			continue;
		}
		if (ret != -EAGAIN)
			break;
		ret = kipc_channel_spin(ch, true, how->nowait, &rounds);
		if (ret)
			break;
	}
out:
	if (ret < 0)
		iov_iter_revert(from, len - iov_iter_count(from));
	if (large) {
		/*
		 * Published (ret >= 0), it belongs to the record and may be
		 * freed already: touch it only if it never was.
		 */
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

/**
 * kipc_channel_get_iter() - get one message of @file's channel or pipe end
 * @file:   a channel's or a pipe end's file
 * @to:     where the message goes
 * @nowait: fail with -EAGAIN rather than sleep
 *
 * Return: the message length; -ENODATA at the end of a pipe's stream;
 * -EBADF for an end that does not get; -EAGAIN, -EMSGSIZE, -EFAULT,
 * -ERESTARTSYS, -EBADMSG, -EIO.
 */
ssize_t kipc_channel_get_iter(struct file *file, struct iov_iter *to,
			      bool nowait)
{
	struct kipc_channel_how how = { .nowait = nowait };
	struct kipc_object *obj = file->private_data;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	return kipc_channel_kget(obj, e.get, to, &how);
}

/**
 * kipc_channel_put_iter() - put one message to @file's channel or pipe end
 * @file:   a channel's or a pipe end's file
 * @from:   the message, all of it
 * @nowait: fail with -EAGAIN rather than sleep
 *
 * Return: the message length; -EPIPE once a pipe's reader is gone (the
 * caller decides about SIGPIPE); -EBADF for an end that does not put;
 * -EAGAIN, -EMSGSIZE, -EFAULT, -ENOMEM, -EDQUOT, -ENOSPC, -ERESTARTSYS, -EIO.
 */
ssize_t kipc_channel_put_iter(struct file *file, struct iov_iter *from,
			      bool nowait)
{
	struct kipc_channel_how how = { .nowait = nowait };
	struct kipc_object *obj = file->private_data;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	return kipc_channel_kput(obj, e.put, from, &how);
}

/* One message per read; 0 at the end of a pipe's stream, as pipe(7). */
ssize_t kipc_channel_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	ssize_t ret = kipc_channel_get_iter(iocb->ki_filp, to,
					    kipc_channel_nowait(iocb));

	return ret == -ENODATA ? 0 : ret;
}

/* One message per write; EPIPE and SIGPIPE once the reader is gone. */
ssize_t kipc_channel_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret = kipc_channel_put_iter(iocb->ki_filp, from,
					    kipc_channel_nowait(iocb));

	if (ret == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return ret;
}

/* One message, never sleeping: for io_uring commands (channel_uring.c). */
ssize_t kipc_channel_put_nowait(struct file *file, struct iov_iter *from)
{
	struct kipc_channel_how how = { .nowait = true };
	struct kipc_object *obj = file->private_data;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	/* A pending put retried while full copies nothing in. */
	if (e.put && !kipc_channel_closed(e.put, KIPC_RING_CLOSED_READER) &&
	    !kipc_ring_can_put(&e.put->view))
		return -EAGAIN;
	return kipc_channel_kput(obj, e.put, from, &how);
}

ssize_t kipc_channel_get_nowait(struct file *file, struct iov_iter *to,
				u64 __user *lenp)
{
	struct kipc_channel_how how = { .nowait = true, .lenp = lenp };
	struct kipc_object *obj = file->private_data;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	return kipc_channel_kget(obj, e.get, to, &how);
}

/* The waiter word of the ring @file puts into (gets from). */
u64 kipc_channel_waiters_off(struct file *file, bool put)
{
	struct kipc_object *obj = file->private_data;
	struct kipc_channel_end e;

	kipc_channel_end(obj, file, &e);
	if (put)
		return e.put ? e.put->off + KIPC_CHANNEL_OFF_PUT_WAITERS :
			       KIPC_WAITERS_NONE;
	return e.get ? e.get->off + KIPC_CHANNEL_OFF_GET_WAITERS :
		       KIPC_WAITERS_NONE;
}

/* KIPC_CHANNEL_IOC_PUT_LARGE and GET_LARGE: put or get through the kernel. */
static long kipc_channel_ioc_large(struct kipc_object *obj,
				   struct kipc_channel *ch, bool put,
				   struct kipc_channel_large __user *uarg)
{
	struct kipc_channel_large arg;
	struct kipc_channel_how how = { };
	struct iov_iter iter;
	size_t len;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~(KIPC_WAIT_DEADLINE | KIPC_CHANNEL_LARGE_NOWAIT) ||
	    arg.pad || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    (arg.deadline_ns && !(arg.flags & KIPC_WAIT_DEADLINE)))
		return -EINVAL;
	if (!ch)
		return -EBADF;
	if (put && arg.len > ch->max_msg)
		return -EMSGSIZE;
	len = min_t(u64, arg.len, KIPC_CHANNEL_MAX_MSG);
	how.nowait = arg.flags & KIPC_CHANNEL_LARGE_NOWAIT;
	how.has_deadline = arg.flags & KIPC_WAIT_DEADLINE;
	how.deadline = arg.deadline_ns > KTIME_MAX ? KTIME_MAX : arg.deadline_ns;
	ret = kipc_import_ubuf(put ? WRITE : READ, u64_to_user_ptr(arg.data), len, &iter);
	if (ret)
		return ret;
	if (put)
		return kipc_channel_kput(obj, ch, &iter, &how);
	return kipc_channel_kget(obj, ch, &iter, &how);
}

/* fdinfo lines of one ring, each key starting with @prefix. */
void kipc_channel_show_ring(struct kipc_object *obj, struct kipc_channel *ch,
			    const char *prefix, struct seq_file *m)
{
	seq_printf(m, "%squeued:\t%llu\n", prefix, kipc_ring_queued(&ch->view));
	seq_printf(m, "%sget-waiters:\t%u\n", prefix,
		   kipc_channel_sleepers(obj, ch->off + KIPC_CHANNEL_OFF_GET_WAITERS));
	seq_printf(m, "%sput-waiters:\t%u\n", prefix,
		   kipc_channel_sleepers(obj, ch->off + KIPC_CHANNEL_OFF_PUT_WAITERS));
	seq_printf(m, "%sdropped:\t%lld\n", prefix, atomic64_read(&ch->dropped));
	seq_printf(m, "%sdiscarded:\t%lld\n", prefix, atomic64_read(&ch->discarded));
	seq_printf(m, "%sbuffers:\t%lld\n", prefix, atomic64_read(&ch->buffers));
	seq_printf(m, "%sbuffer-bytes:\t%lld\n", prefix,
		   atomic64_read(&ch->buffer_bytes));
	seq_printf(m, "%sclosed:\t%lu\n", prefix, READ_ONCE(ch->closed));
}

static void kipc_channel_show_fdinfo(struct kipc_object *obj, struct seq_file *m)
{
	struct kipc_channel *ch = kipc_channel(obj);

	seq_printf(m, "kipc-capacity:\t%u\n", ch->view.capacity);
	seq_printf(m, "kipc-slot-size:\t%u\n", ch->view.slot_size);
	seq_printf(m, "kipc-max-msg:\t%u\n", ch->max_msg);
	kipc_channel_show_ring(obj, ch, "kipc-", m);
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
	.stat		= kipc_channel_stat,
	.uring_try	= kipc_channel_uring_try,
};
