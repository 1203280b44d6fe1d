// SPDX-License-Identifier: GPL-2.0-only
/*
 * KIPC_IOC_WAIT_ANY: wait until one of several objects fires, and take it.
 *
 * Like ntsync's wait-any, on the control device: the caller passes an array
 * of object descriptors and a deadline; the call returns the index of the
 * first object found ready, and for a semaphore or a lock it has taken it
 * (one unit; the lock, with the owner id of the caller's mapping). Events
 * are not consumed: an event fires when set, or when it was set since the
 * call began even if cleared since (as kipc_event_try_wait()).
 *
 * Any other object whose type has a ->poll hook (channels) fires when its
 * descriptor is readable: ->poll is the "ready?" hook, so a type joins
 * wait-any by implementing poll, and nothing here needs to know it.
 *
 * Sleeping is poll's: one wait-queue entry on each object's poll_wq, added
 * through the type's ->poll (which marks the waiter word with
 * KIPC_WAITERS_POLL, so userspace wakers enter the kernel), then a
 * "triggered" flag as in fs/select.c. All entries are on this stack frame
 * and removed before returning, so nothing is left pending.
 */

#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "sync_priv.h"

/* Queue entries per object: ->poll may wait on the same head twice. */
#define KIPC_WANY_QUEUES	2

struct kipc_wany;

struct kipc_wany_queue {
	struct wait_queue_entry wqe;
	wait_queue_head_t *head;
	struct kipc_wany *wa;
};

struct kipc_wany_obj {
	struct file *file;
	struct kipc_object *obj;
	u64 addr;
	u64 ticket;	/* events: the first look, see kipc_event_try_wait() */
	u16 id;		/* locks: the owner id a take used */
};

/*
 * One call's state, private to the calling task except @triggered, which
 * wake functions set (under the woken head's lock) and the task clears.
 */
struct kipc_wany {
	poll_table pt;
	struct task_struct *task;
	int triggered;
	unsigned int nq, maxq;
	struct kipc_wany_queue *queues;
	unsigned int count;
	struct kipc_wany_obj *objs;
};

static int kipc_wany_wake(struct wait_queue_entry *wqe, unsigned int mode,
			  int sync, void *key)
{
	struct kipc_wany_queue *q = container_of(wqe, struct kipc_wany_queue, wqe);

	/* The flag before the wake-up; pairs with the sleeper's barrier. */
	smp_store_mb(q->wa->triggered, 1);
	wake_up_process(q->wa->task);
	return 0;
}

static void kipc_wany_queue(struct file *file, wait_queue_head_t *head,
			    poll_table *pt)
{
	struct kipc_wany *wa = container_of(pt, struct kipc_wany, pt);
	struct kipc_wany_queue *q;

	if (wa->nq >= wa->maxq)
		return;
	q = &wa->queues[wa->nq++];
	q->head = head;
	q->wa = wa;
	init_waitqueue_func_entry(&q->wqe, kipc_wany_wake);
	add_wait_queue(head, &q->wqe);
}

/* Later rounds: do not queue again, but let ->poll mark the waiter word. */
static void kipc_wany_requeue(struct file *file, wait_queue_head_t *head,
			      poll_table *pt)
{
}

static bool kipc_wany_is_sync(const struct kipc_object *obj)
{
	return obj->type == &kipc_sem_type || obj->type == &kipc_lock_type ||
	       obj->type == &kipc_rlock_type || obj->type == &kipc_event_type;
}

/*
 * The owner id of the caller's mapping at @addr of @o's object, with
 * mmap_lock held: the mapping, hence the id, cannot go away (and be
 * recovered) before the caller's acquire is done.
 */
static int kipc_wany_owner_id(struct kipc_wany_obj *o)
{
	struct vm_area_struct *vma;
	u16 id;

	mmap_assert_locked(current->mm);
	vma = vma_lookup(current->mm, o->addr);
	if (!vma || !vma->vm_file || vma->vm_file->f_op != o->file->f_op ||
	    vma->vm_file->private_data != o->obj)
		return -EINVAL;
	id = (uintptr_t)vma->vm_private_data;
	return id == KIPC_ID_NONE ? -ENOSPC : id;
}

static int kipc_wany_take_lock(struct kipc_wany_obj *o)
{
	struct kipc_object *obj = o->obj;
	int id, ret;

	mmap_read_lock(current->mm);
	id = kipc_wany_owner_id(o);
	if (id >= 0)
		o->id = id;
	if (id < 0)
		ret = id;
	else if (obj->type == &kipc_lock_type)
		ret = kipc_lock_try_acquire(obj->mem, id, NULL);
	else
		ret = kipc_rlock_try_acquire(obj->mem, id,
					     task_pid_vnr(current), NULL);
	mmap_read_unlock(current->mm);
	return ret;
}

/*
 * Take @o if it is ready: 0 or -EOWNERDEAD (taken), 1 (not ready), or
 * -errno (a corrupt object, a mapping gone).
 */
static int kipc_wany_try(struct kipc_wany_obj *o, __poll_t mask)
{
	struct kipc_object *obj = o->obj;
	int ret;

	if (!kipc_wany_is_sync(obj))
		return mask & (EPOLLIN | EPOLLERR | EPOLLHUP) ? 0 : 1;
	if (obj->type == &kipc_event_type)
		ret = kipc_event_try_wait(obj->mem, &o->ticket, NULL);
	else if (!(mask & (EPOLLIN | EPOLLERR)))
		return 1;
	else if (obj->type == &kipc_sem_type)
		ret = kipc_sem_try_acquire(obj->mem, kipc_sync_sem_max(obj),
					   NULL);
	else
		ret = kipc_wany_take_lock(o);
	return ret == -EAGAIN ? 1 : ret;
}

/*
 * Undo a take whose result the caller will never learn (@how: what the
 * take returned): a unit goes back; a lock is released, or made free with
 * KIPC_LOCK_DIED again when it was taken with -EOWNERDEAD. The lock word
 * is changed only from the value the take stored: if anyone changed it
 * since (a co-user released or stole the lock), it is theirs now, and so
 * is an RLock that is no longer (our id, our thread)'s. An RLock take here
 * is never nested: ->poll shows it ready only when free.
 */
static void kipc_wany_untake(struct kipc_wany_obj *o, int how)
{
	u32 mine = o->id | (how == -EOWNERDEAD ? KIPC_LOCK_DIED : 0);
	struct kipc_object *obj = o->obj;
	struct kipc_sync_wake wk = { 0 };
	struct kipc_rlock *rl = obj->mem;
	struct kipc_lock *l = obj->mem;
	u32 *word = &l->word;

	if (obj->type == &kipc_sem_type) {
		if (!kipc_sem_release(obj->mem, kipc_sync_sem_max(obj), 1, &wk))
			kipc_sync_wake(obj, &wk);
		return;
	}
	if (obj->type == &kipc_event_type)
		return;
	if (obj->type == &kipc_rlock_type) {
		word = &rl->word;
		if (kipc_rlock_is_owner(rl, o->id, task_pid_vnr(current)) <= 0 ||
		    kipc_load(word) != mine)
			return;
		kipc_store(&rl->count, 0);
		kipc_store(&rl->tid, 0);
	}
	if (kipc_cmpxchg(word, mine, how == -EOWNERDEAD ? KIPC_LOCK_DIED : 0) ==
	    mine)
		kipc_wake_all(obj);
}

static int kipc_wany_get(struct kipc_wany *wa,
			 const struct kipc_wait_obj __user *uobjs)
{
	struct kipc_wait_obj wo;
	struct kipc_wany_obj *o;
	struct file *file;
	unsigned int i;
	bool is_lock;

	for (i = 0; i < wa->count; i++) {
		if (copy_from_user(&wo, &uobjs[i], sizeof(wo)))
			return -EFAULT;
		if (wo.flags)
			return -EINVAL;
		file = fget(wo.fd);
		if (!file)
			return -EBADF;
		o = &wa->objs[i];
		o->file = file;
		if (!kipc_is_object_file(file))
			return -EINVAL;
		o->obj = file->private_data;
		o->addr = wo.addr;
		o->ticket = KIPC_SYNC_TICKET_INIT;
		is_lock = o->obj->type == &kipc_lock_type ||
			  o->obj->type == &kipc_rlock_type;
		if (!o->obj->type->poll || !!wo.addr != is_lock)
			return -EINVAL;
		if (o->obj->type == &kipc_barrier_type ||
		    o->obj->type == &kipc_cond_type)
			return -EINVAL;
		if (is_lock) {
			int id;

			mmap_read_lock(current->mm);
			id = kipc_wany_owner_id(o);
			mmap_read_unlock(current->mm);
			if (id < 0)
				return id;
		}
	}
	return 0;
}

static void kipc_wany_put(struct kipc_wany *wa)
{
	unsigned int i;

	for (i = 0; i < wa->nq; i++)
		remove_wait_queue(wa->queues[i].head, &wa->queues[i].wqe);
	for (i = 0; i < wa->count; i++)
		if (wa->objs[i].file)
			fput(wa->objs[i].file);
	kfree(wa->queues);
	kfree(wa->objs);
}

/*
 * Returns 0 or -EOWNERDEAD (taken), or the error of a corrupt object, with
 * *index set; or -ERESTARTSYS, -ETIMEDOUT.
 */
static int kipc_wany_loop(struct kipc_wany *wa, bool has_deadline,
			  ktime_t deadline, u32 *index)
{
	struct kipc_wany_obj *o;
	bool timed_out = false;
	unsigned int i;
	__poll_t mask;
	int ret;

	init_poll_funcptr(&wa->pt, kipc_wany_queue);
	for (;;) {
		for (i = 0; i < wa->count; i++) {
			o = &wa->objs[i];
			mask = o->obj->type->poll(o->obj, o->file, &wa->pt);
			ret = kipc_wany_try(o, mask);
			if (ret <= 0) {
				*index = i;
				return ret;
			}
		}
		init_poll_funcptr(&wa->pt, kipc_wany_requeue);
		if (signal_pending(current))
			return -ERESTARTSYS;
		/* A wake-up storm keeps @triggered set: look at the clock too. */
		if (timed_out || (has_deadline &&
				  ktime_compare(ktime_get(), deadline) >= 0))
			return -ETIMEDOUT;
		set_current_state(TASK_INTERRUPTIBLE);
		if (!READ_ONCE(wa->triggered))
			timed_out = !schedule_hrtimeout_range(has_deadline ?
							      &deadline : NULL,
							      current->timer_slack_ns,
							      HRTIMER_MODE_ABS);
		__set_current_state(TASK_RUNNING);
		/* Clear before the next round's reads (pairs with the waker). */
		smp_store_mb(wa->triggered, 0);
		/* Each round is bounded; a co-user can force endless rounds. */
		cond_resched();
	}
}

long kipc_sync_ioc_wait_any(struct kipc_wait_any __user *uarg)
{
	struct kipc_wait_any arg;
	struct kipc_wany wa = { .task = current };
	u32 index = U32_MAX;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~KIPC_WAIT_DEADLINE || arg.pad || arg.index ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	if (!(arg.flags & KIPC_WAIT_DEADLINE) && arg.deadline_ns)
		return -EINVAL;
	if (!arg.count || arg.count > KIPC_WAIT_ANY_MAX)
		return -EINVAL;

	wa.objs = kcalloc(arg.count, sizeof(*wa.objs), GFP_KERNEL);
	wa.maxq = arg.count * KIPC_WANY_QUEUES;
	wa.queues = kcalloc(wa.maxq, sizeof(*wa.queues), GFP_KERNEL);
	if (!wa.objs || !wa.queues) {
		ret = -ENOMEM;
		goto out;
	}
	wa.count = arg.count;
	ret = kipc_wany_get(&wa, u64_to_user_ptr(arg.objs));
	if (ret)
		goto out;

	ret = kipc_wany_loop(&wa, arg.flags & KIPC_WAIT_DEADLINE,
			     arg.deadline_ns > KTIME_MAX ? KTIME_MAX :
			     (ktime_t)arg.deadline_ns, &index);
	if (index != U32_MAX && put_user(index, &uarg->index)) {
		if (ret == 0 || ret == -EOWNERDEAD)
			kipc_wany_untake(&wa.objs[index], ret);
		ret = -EFAULT;
	}
out:
	kipc_wany_put(&wa);
	return ret;
}
