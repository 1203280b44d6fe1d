// SPDX-License-Identifier: GPL-2.0-only
/*
 * Futex-like sleeping on 32-bit words of an object's memory.
 *
 * A task sleeps while a word holds an expected value; a waker that changed
 * the word wakes it. The waiter word beside it counts sleepers and is kept
 * by the kernel (so a sleeper killed in its sleep is uncounted), letting a
 * waker in userspace skip the system call when nobody sleeps.
 *
 * Ordering (Dekker): the sleeper queues itself, increments the waiter word
 * (a full barrier) and then re-reads the word; the waker stores the word,
 * issues a full barrier and then reads the waiter word. One of them always
 * sees the other.
 */

#include <linux/hrtimer.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include <kipc/atomic.h>
#include "kipc.h"
#include "trace.h"

struct kipc_waiter {
	struct wait_queue_entry wqe;
	u64 offset;
	u32 woken;
};

/*
 * Called with the queue lock held. The sleeper is dequeued and marked woken
 * before it can run, so it never mistakes this wake-up for a spurious one;
 * it takes the queue lock before leaving, so @w stays valid here.
 */
static int kipc_waiter_wake(struct wait_queue_entry *wqe, unsigned int mode,
			    int sync, void *key)
{
	struct kipc_waiter *w = container_of(wqe, struct kipc_waiter, wqe);

	list_del_init(&wqe->entry);
	/* Publish the dequeue before the flag the sleeper tests unlocked. */
	smp_store_release(&w->woken, 1);
	default_wake_function(wqe, mode, sync, key);
	return 1;
}

/*
 * The word at byte @offset, or NULL when it is not an aligned word of @obj.
 * @offset comes from userspace: the word index is clamped under
 * speculation too, so a mispredicted bounds check reads nothing beyond.
 */
u32 *kipc_word(struct kipc_object *obj, u64 offset)
{
	size_t words = obj->size / sizeof(u32);
	u64 index = offset / sizeof(u32);

	if (offset % sizeof(u32) || index >= words)
		return NULL;
	return (u32 *)obj->mem + array_index_nospec((size_t)index, words);
}

/*
 * Userspace may scribble over waiter words: plain atomic read-modify-write
 * instructions never retry, so a hostile writer cannot make us spin.
 */
atomic_t *kipc_waiters(struct kipc_object *obj, u64 offset, int *err)
{
	u32 *word;

	*err = 0;
	if (offset == KIPC_WAITERS_NONE)
		return NULL;
	word = kipc_word(obj, offset);
	if (!word)
		*err = -EINVAL;
	return (atomic_t *)word;
}

/*
 * Sleep until woken while @must_sleep(@obj, @arg) holds. @key names what is
 * waited for (the offset of a word), so that wakers pick their sleepers.
 * Returns 0 when woken (a wake-up always wins over a signal or the deadline
 * arriving at the same time, so none is lost), -EAGAIN if the condition
 * did not hold to begin with, -ETIMEDOUT, or -ERESTARTSYS. A pending signal
 * wins over -EAGAIN: hostile memory can make the condition fail every time,
 * and a caller retrying on -EAGAIN must still end on a signal.
 */
int kipc_wait_event(struct kipc_object *obj, u64 key, atomic_t *waiters,
		    bool (*must_sleep)(struct kipc_object *obj, void *arg),
		    void *arg, bool has_deadline, ktime_t deadline)
{
	struct hrtimer_sleeper timer;
	struct kipc_waiter w;
	bool slept = false;
	u32 woken;
	int ret;

	trace_kipc_wait(obj->id, key);

	init_wait(&w.wqe);
	w.wqe.func = kipc_waiter_wake;
	w.offset = key;
	w.woken = 0;
	if (has_deadline) {
		hrtimer_init_sleeper_on_stack(&timer, CLOCK_MONOTONIC,
					      HRTIMER_MODE_ABS);
		hrtimer_set_expires_range_ns(&timer.timer, deadline,
					     current->timer_slack_ns);
		hrtimer_sleeper_start_expires(&timer, HRTIMER_MODE_ABS);
	}

	/*
	 * Queue first, then count: a waker that sees the count finds us
	 * queued. Then test the condition after a full barrier.
	 */
	prepare_to_wait_exclusive(&obj->wq, &w.wqe, TASK_INTERRUPTIBLE);
	if (waiters)
		atomic_inc(waiters);
	/* Count ourselves before reading the state (pairs with the waker). */
	smp_mb__after_atomic();
	ret = -EAGAIN;
	for (;;) {
		/* Our state is set before this load: a later wake-up is seen. */
		if (smp_load_acquire(&w.woken))
			break;
		if (!must_sleep(obj, arg))
			break;
		ret = 0;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (has_deadline && !timer.task) {
			ret = -ETIMEDOUT;
			break;
		}
		if (!slept) {
			slept = true;
			atomic64_inc(&obj->waits);
		}
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}

	if (ret == -EAGAIN && signal_pending(current))
		ret = -ERESTARTSYS;

	/* Decide under the queue lock whether a waker chose us. */
	spin_lock_irq(&obj->wq.lock);
	woken = w.woken;
	if (!woken)
		list_del_init(&w.wqe.entry);
	spin_unlock_irq(&obj->wq.lock);
	__set_current_state(TASK_RUNNING);
	if (woken)
		ret = 0;

	if (waiters)
		atomic_dec(waiters);
	if (has_deadline) {
		hrtimer_cancel(&timer.timer);
		destroy_hrtimer_on_stack(&timer.timer);
	}
	trace_kipc_wait_done(obj->id, key, ret);
	return ret;
}

struct kipc_word_wait {
	u32 *word;
	u32 expected;
};

static bool kipc_word_unchanged(struct kipc_object *obj, void *arg)
{
	struct kipc_word_wait *ww = arg;

	return kipc_load(ww->word) == ww->expected;
}

int kipc_wait_word(struct kipc_object *obj, u64 offset, u64 waiters_offset,
		   u32 expected, bool has_deadline, ktime_t deadline)
{
	struct kipc_word_wait ww = { .expected = expected };
	atomic_t *waiters;
	int ret;

	ww.word = kipc_word(obj, offset);
	waiters = kipc_waiters(obj, waiters_offset, &ret);
	if (!ww.word || ret)
		return -EINVAL;
	return kipc_wait_event(obj, offset, waiters, kipc_word_unchanged, &ww,
			       has_deadline, deadline);
}

/*
 * The sticky KIPC_WAITERS_POLL bit is cleared only while no watcher is
 * queued, under the queue's lock. A watcher queues itself (under that
 * lock) before it sets the bit and reads readiness, so the bit is never
 * clear while a watcher that could miss a change is queued.
 */
static void kipc_poll_settle(struct kipc_object *obj, atomic_t *waiters)
{
	unsigned long flags;

	if (!waiters) {
		/* No word to mark: watchers of this word count on us. */
		if (wq_has_sleeper(&obj->poll_wq))
			wake_up_poll(&obj->poll_wq, EPOLLIN | EPOLLRDNORM |
				     EPOLLOUT | EPOLLWRNORM);
		return;
	}
	if (!(atomic_read(waiters) & KIPC_WAITERS_POLL))
		return;
	wake_up_poll(&obj->poll_wq, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	spin_lock_irqsave(&obj->poll_wq.lock, flags);
	if (list_empty(&obj->poll_wq.head))
		atomic_andnot(KIPC_WAITERS_POLL, waiters);
	spin_unlock_irqrestore(&obj->poll_wq.lock, flags);
}

int kipc_wake_word(struct kipc_object *obj, u64 offset, u64 waiters_offset,
		   u32 count)
{
	struct wait_queue_entry *curr, *next;
	struct kipc_waiter *w;
	unsigned long flags;
	atomic_t *waiters;
	int woken = 0, ret;

	waiters = kipc_waiters(obj, waiters_offset, &ret);
	if (!kipc_word(obj, offset) || ret)
		return -EINVAL;

	spin_lock_irqsave(&obj->wq.lock, flags);
	list_for_each_entry_safe(curr, next, &obj->wq.head, entry) {
		w = container_of(curr, struct kipc_waiter, wqe);
		if (w->offset != offset)
			continue;
		if (curr->func(curr, TASK_NORMAL, 0, NULL) && ++woken == count)
			break;
	}
	spin_unlock_irqrestore(&obj->wq.lock, flags);
	if (woken)
		atomic64_add(woken, &obj->wakes);
	trace_kipc_wake(obj->id, offset, woken);

	kipc_poll_settle(obj, waiters);
	kipc_uring_kick(obj);
	return woken;
}

/* Tasks asleep in kipc_wait_event() on @obj, for fdinfo. */
unsigned int kipc_wait_sleepers(struct kipc_object *obj)
{
	struct wait_queue_entry *curr;
	unsigned int n = 0;

	spin_lock_irq(&obj->wq.lock);
	list_for_each_entry(curr, &obj->wq.head, entry)
		n++;
	spin_unlock_irq(&obj->wq.lock);
	return n;
}

/* Something every sleeper and watcher must re-check has happened. */
void kipc_wake_all(struct kipc_object *obj)
{
	struct wait_queue_entry *curr, *next;
	unsigned long flags;
	int woken = 0;

	/* Every entry of obj->wq is a struct kipc_waiter: count them. */
	spin_lock_irqsave(&obj->wq.lock, flags);
	list_for_each_entry_safe(curr, next, &obj->wq.head, entry)
		woken += curr->func(curr, TASK_NORMAL, 0, NULL);
	spin_unlock_irqrestore(&obj->wq.lock, flags);
	if (woken)
		atomic64_add(woken, &obj->wakes);
	trace_kipc_wake(obj->id, KIPC_WAITERS_NONE, woken);
	wake_up_poll(&obj->poll_wq, EPOLLIN | EPOLLRDNORM | EPOLLOUT |
		     EPOLLWRNORM | EPOLLHUP | EPOLLERR);
	kipc_uring_kick(obj);
}

/*
 * For a type's ->poll: watch the object and tell userspace wakers, through
 * the waiter word, that a watcher may be present. Readiness must be read
 * after this.
 */
void kipc_poll_arm(struct kipc_object *obj, struct file *file,
		   struct poll_table_struct *pt, u64 waiters_offset)
{
	atomic_t *waiters;
	int err;

	poll_wait(file, &obj->poll_wq, pt);
	waiters = kipc_waiters(obj, waiters_offset, &err);
	if (waiters && !poll_does_not_wait(pt)) {
		atomic_or(KIPC_WAITERS_POLL, waiters);
		smp_mb__after_atomic(); /* set the bit before reading readiness */
	}
}

/*
 * kipc_poll_arm() marks the waiter word only when the caller queues
 * itself. A poller that re-checks after a wake-up (poll, epoll and
 * wait-any do, without queueing again) must also be seen by a userspace
 * waker that races with kipc_poll_settle() clearing the mark, so mark it
 * again whenever somebody watches, before reading the state.
 */
void kipc_poll_watch(struct kipc_object *obj, struct file *file,
		     struct poll_table_struct *pt, u64 waiters_offset)
{
	atomic_t *waiters;
	int err;

	kipc_poll_arm(obj, file, pt, waiters_offset);
	waiters = kipc_waiters(obj, waiters_offset, &err);
	if (waiters && wq_has_sleeper(&obj->poll_wq)) {
		atomic_or(KIPC_WAITERS_POLL, waiters);
		smp_mb__after_atomic(); /* the mark before reading readiness */
	}
}

long kipc_ioc_wait(struct kipc_object *obj, struct kipc_wait __user *uarg)
{
	struct kipc_wait arg;
	ktime_t deadline;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* A deadline without its flag is a caller's bug, not "no deadline". */
	if (arg.flags & ~KIPC_WAIT_DEADLINE ||
	    (!(arg.flags & KIPC_WAIT_DEADLINE) && arg.deadline_ns) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	deadline = arg.deadline_ns > KTIME_MAX ? KTIME_MAX : arg.deadline_ns;
	return kipc_wait_word(obj, arg.offset, arg.waiters_offset, arg.expected,
			      arg.flags & KIPC_WAIT_DEADLINE, deadline);
}

long kipc_ioc_wake(struct kipc_object *obj, struct kipc_wake __user *uarg)
{
	struct kipc_wake arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.count || arg.flags ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	return kipc_wake_word(obj, arg.offset, arg.waiters_offset, arg.count);
}
