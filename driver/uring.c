// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring commands on object descriptors (file_operations.uring_cmd).
 *
 * A command runs once at submission. If it would wait, it stays pending
 * (-EIOCBQUEUED) on its object's list until a wake-up of the object makes
 * it worth trying again, its deadline passes, or its submitter or ring goes
 * away. On 6.1 io_uring never cancels a command a driver keeps: every path
 * below ends in exactly one io_uring_cmd_done().
 *
 * Ownership: a pending command belongs to obj->uring.pending. Whoever takes
 * it off the list under obj->uring.lock (a kick, the deadline timer, the
 * monitor) owns it and hands it to the submitter's task with
 * io_uring_cmd_complete_in_task(); there it is retried (kick) or completed
 * (timer, monitor). Only that task-context callback frees it, after
 * hrtimer_cancel(), so a timer racing with a kick finds it off the list and
 * does nothing. "On the list" is uc->listed, not a non-empty node: a kick
 * or the monitor moves what it takes to a list of its own, which it walks
 * without the lock. io_uring holds the object's file until the command
 * completes, so the object outlives all of this.
 *
 * Lost wake-ups: a pending command keeps itself counted in the object's
 * waiter word (so userspace wakers enter the kernel) and in
 * obj->uring.active (so kipc_uring_kick() looks), both before it reads the
 * state; a kick bumps obj->uring.gen, and a command that found "would
 * block" is listed only if no kick happened since its attempt began.
 *
 * Exiting submitters: the request holds the ring and the file; on 6.1 an
 * exiting or exec()ing task and a closed ring wait for it (or leak) until
 * we complete it. As ublk did on 6.1, a delayed work runs while commands
 * are pending and completes with -ECANCELED those whose task is exiting or
 * exec()ing or has a fatal signal, whose thread group is exiting or
 * exec()ing, or whose ring is being torn down (its ctx->refs is dying).
 * The thread group matters for IORING_SETUP_SQPOLL: the request's task is
 * then the ring's SQ thread, an io thread of the owner's group. When the
 * group is killed that thread dequeues its SIGKILL itself (get_signal()
 * leaves PF_IO_WORKER threads alive) and waits in io_uring_cancel_generic()
 * for our commands before it sets PF_EXITING; it shares the owner's file
 * table, so the ring is not closed (ctx->refs stays alive) until it exits.
 * Only the group's exit state (SIGNAL_GROUP_EXIT, or an exec's
 * group_exec_task) tells that it is going away.
 *
 * Hooking ->flush would not do: closing the object's descriptor says
 * nothing about the ring, and the ring's own release never runs while our
 * command holds a reference to it. The monitor polls every
 * KIPC_URING_MONITOR_PERIOD and only while something is pending.
 */

#include <linux/hrtimer.h>
#include <linux/io_uring_types.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "kipc.h"

#define KIPC_URING_MONITOR_PERIOD	(HZ / 10)

/*
 * Attempts in a row that a kick overtakes before kipc_ucmd_park() stops
 * looping and leaves the next one to the submitter's task work.
 */
#define KIPC_URING_PARK_ROUNDS	16

/* The command must fit the 16 bytes a 6.1 SQE without SQE128 carries. */
static_assert(sizeof(struct kipc_uring_cmd) == 16);

#define KIPC_URING_OP_VALID	(KIPC_URING_OP_MASK | KIPC_URING_F_DEADLINE | \
				 KIPC_URING_F_NOWAIT)

static struct kipc_ucmd *kipc_ucmd_of(struct io_uring_cmd *cmd)
{
	return *(struct kipc_ucmd **)cmd->pdu;
}

/*
 * Is @task's thread group exiting (exit_group(), a fatal signal) or being
 * replaced by an exec()? The request holds a reference on its task, and
 * ->signal lives as long as the task_struct; the flags are read racily,
 * which a periodic monitor tolerates.
 */
static bool kipc_ucmd_group_dying(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	return (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) ||
	       READ_ONCE(sig->group_exec_task);
}

/* Is the command's submitter, or its ring, going away? */
static bool kipc_ucmd_orphaned(struct kipc_ucmd *uc)
{
	struct io_kiocb *req = cmd_to_io_kiocb(uc->cmd);
	struct task_struct *task = uc->task;

	return (READ_ONCE(task->flags) & PF_EXITING) || task->in_execve ||
	       __fatal_signal_pending(task) || kipc_ucmd_group_dying(task) ||
	       percpu_ref_is_dying(&req->ctx->refs);
}

static atomic_t *kipc_ucmd_waiters(struct kipc_ucmd *uc)
{
	int err;

	return kipc_waiters(uc->obj, uc->waiters_off, &err);
}

/* Undo what a command past its first attempt holds, and free it. */
static void kipc_ucmd_free(struct kipc_ucmd *uc)
{
	struct kipc_object *obj = uc->obj;
	atomic_t *waiters = kipc_ucmd_waiters(uc);

	hrtimer_cancel(&uc->timer);
	if (waiters)
		atomic_dec(waiters);
	atomic_dec(&obj->uring.active);
	kfree(uc->priv);
	kfree(uc);
}

static void kipc_ucmd_finish(struct kipc_ucmd *uc, int res,
			     unsigned int issue_flags)
{
	struct io_uring_cmd *cmd = uc->cmd;

	kipc_ucmd_free(uc);
	io_uring_cmd_done(cmd, res, 0, issue_flags);
}

/* Completion in the submitter's task (or io_uring's fallback work). */
static void kipc_ucmd_cancelled(struct io_uring_cmd *cmd,
				unsigned int issue_flags)
{
	kipc_ucmd_finish(kipc_ucmd_of(cmd), -ECANCELED, issue_flags);
}

static void kipc_ucmd_timedout(struct io_uring_cmd *cmd,
			       unsigned int issue_flags)
{
	kipc_ucmd_finish(kipc_ucmd_of(cmd), -ETIMEDOUT, issue_flags);
}

static void kipc_uring_monitor_arm(struct kipc_object *obj)
{
	lockdep_assert_held(&obj->uring.lock);
	if (!list_empty(&obj->uring.pending))
		queue_delayed_work(system_wq, &obj->uring.monitor,
				   KIPC_URING_MONITOR_PERIOD);
}

/* One attempt; uc->punt tells a blocking -EAGAIN from a waiting one. */
static int kipc_ucmd_try(struct kipc_ucmd *uc)
{
	uc->punt = false;
	return uc->obj->type->uring_try(uc->obj, uc);
}

static void kipc_ucmd_retry(struct io_uring_cmd *cmd, unsigned int issue_flags);

/*
 * Try @uc until it completes or is listed. Returns its result, -EAGAIN
 * when a nonblocking attempt would block (uc->punt), or -EIOCBQUEUED when
 * it is pending (and no longer ours). A hostile waker can keep kicking:
 * after KIPC_URING_PARK_ROUNDS overtaken attempts the next one is left to
 * the submitter's task work, as if a kick had taken it off the list.
 */
static int kipc_ucmd_park(struct kipc_ucmd *uc)
{
	struct kipc_object *obj = uc->obj;
	unsigned long flags;
	unsigned int round;
	u64 gen;
	int ret;

	for (round = 0;; round++) {
		spin_lock_irqsave(&obj->uring.lock, flags);
		gen = obj->uring.gen;
		spin_unlock_irqrestore(&obj->uring.lock, flags);

		ret = kipc_ucmd_try(uc);
		if (ret != -EAGAIN || uc->punt)
			return ret;

		spin_lock_irqsave(&obj->uring.lock, flags);
		if (uc->expired) {
			spin_unlock_irqrestore(&obj->uring.lock, flags);
			return -ETIMEDOUT;
		}
		if (gen == obj->uring.gen) {
			list_add_tail(&uc->node, &obj->uring.pending);
			uc->listed = true;
			atomic64_inc(&obj->waits);
			kipc_uring_monitor_arm(obj);
			spin_unlock_irqrestore(&obj->uring.lock, flags);
			return -EIOCBQUEUED;
		}
		spin_unlock_irqrestore(&obj->uring.lock, flags);
		if (fatal_signal_pending(current))
			return -ECANCELED;
		if (round >= KIPC_URING_PARK_ROUNDS) {
			io_uring_cmd_complete_in_task(uc->cmd, kipc_ucmd_retry);
			return -EIOCBQUEUED;
		}
		cond_resched();
	}
}

/* A kick took @cmd off the list: try again in the submitter's task. */
static void kipc_ucmd_retry(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kipc_ucmd *uc = kipc_ucmd_of(cmd);
	int ret;

	if (current != uc->task || kipc_ucmd_orphaned(uc)) {
		kipc_ucmd_finish(uc, -ECANCELED, issue_flags);
		return;
	}
	/* Task work may block: no punt, whatever issued the command. */
	uc->nonblock = false;
	ret = kipc_ucmd_park(uc);
	if (ret == -EIOCBQUEUED)
		return;
	/* Woken (or overtaken by kicks) and done: one command woken. */
	atomic64_inc(&uc->obj->wakes);
	kipc_ucmd_finish(uc, ret, issue_flags);
}

static enum hrtimer_restart kipc_ucmd_deadline(struct hrtimer *timer)
{
	struct kipc_ucmd *uc = container_of(timer, struct kipc_ucmd, timer);
	struct kipc_object *obj = uc->obj;
	unsigned long flags;
	bool mine = false;

	spin_lock_irqsave(&obj->uring.lock, flags);
	uc->expired = true;
	if (uc->listed) {
		list_del_init(&uc->node);
		uc->listed = false;
		mine = true;
	}
	spin_unlock_irqrestore(&obj->uring.lock, flags);
	/* Safe in hard interrupt context, as for block completions. */
	if (mine)
		io_uring_cmd_complete_in_task(uc->cmd, kipc_ucmd_timedout);
	return HRTIMER_NORESTART;
}

static void kipc_uring_monitor(struct work_struct *work)
{
	struct kipc_object *obj = container_of(to_delayed_work(work),
					       struct kipc_object,
					       uring.monitor);
	struct kipc_ucmd *uc, *next;
	unsigned long flags;
	LIST_HEAD(gone);

	spin_lock_irqsave(&obj->uring.lock, flags);
	list_for_each_entry_safe(uc, next, &obj->uring.pending, node)
		if (kipc_ucmd_orphaned(uc)) {
			list_move_tail(&uc->node, &gone);
			uc->listed = false;
		}
	kipc_uring_monitor_arm(obj);
	spin_unlock_irqrestore(&obj->uring.lock, flags);

	list_for_each_entry_safe(uc, next, &gone, node) {
		list_del_init(&uc->node);
		io_uring_cmd_complete_in_task(uc->cmd, kipc_ucmd_cancelled);
	}
}

/*
 * The object was woken (kipc_wake_word(), kipc_wake_all()): every pending
 * command tries again. Any context; the waker changed the state before.
 */
void kipc_uring_kick(struct kipc_object *obj)
{
	struct kipc_ucmd *uc, *next;
	unsigned long flags;
	LIST_HEAD(woken);

	/* The waker's state change before reading @active (pairs with issue). */
	smp_mb();
	if (!atomic_read(&obj->uring.active))
		return;
	spin_lock_irqsave(&obj->uring.lock, flags);
	obj->uring.gen++;
	list_for_each_entry(uc, &obj->uring.pending, node)
		uc->listed = false;
	list_splice_init(&obj->uring.pending, &woken);
	spin_unlock_irqrestore(&obj->uring.lock, flags);

	list_for_each_entry_safe(uc, next, &woken, node) {
		list_del_init(&uc->node);
		io_uring_cmd_complete_in_task(uc->cmd, kipc_ucmd_retry);
	}
}

/* Copy and check the command; the SQE is shared with userspace. */
static int kipc_ucmd_parse(struct io_uring_cmd *cmd, unsigned int issue_flags,
			   u32 *op, u64 *deadline, u64 *arg)
{
	const struct kipc_uring_cmd *uarg = kipc_uring_cmd_bytes(cmd);
	u32 cmd_op = READ_ONCE(cmd->cmd_op);

	if (cmd_op & ~KIPC_URING_OP_VALID)
		return -EINVAL;
	*op = cmd_op;
	*deadline = READ_ONCE(uarg->deadline_ns);
	*arg = READ_ONCE(uarg->arg);
	if (!(cmd_op & KIPC_URING_F_DEADLINE) && *deadline)
		return -EINVAL;
	if ((cmd_op & KIPC_URING_F_DEADLINE) && (cmd_op & KIPC_URING_F_NOWAIT))
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv((const u8 *)uarg + sizeof(*uarg), 0,
		       sizeof(struct io_uring_sqe)))
		return -EINVAL;
	switch (cmd_op & KIPC_URING_OP_MASK) {
	case KIPC_URING_SEM_ACQUIRE:
	case KIPC_URING_SEM_RELEASE:
	case KIPC_URING_LOCK_ACQUIRE:
	case KIPC_URING_LOCK_RELEASE:
	case KIPC_URING_EVENT_SET:
	case KIPC_URING_EVENT_WAIT:
	case KIPC_URING_CHANNEL_PUT:
	case KIPC_URING_CHANNEL_GET:
	case KIPC_URING_CHANNEL_PUT_MANY:
	case KIPC_URING_CHANNEL_GET_MANY:
		return 0;
	}
	return -EOPNOTSUPP;
}

/*
 * Return the result of a command that completed at submission. 6.1's
 * io_uring_cmd() handles only results <= 0 itself: it would retry -EAGAIN
 * in io-wq, and a positive result (a channel get's length) fails the
 * request's links and, issued from io-wq, is never completed at all. Those
 * complete here.
 */
static int kipc_ucmd_result(struct io_uring_cmd *cmd, int ret,
			    unsigned int issue_flags)
{
	if (ret <= 0 && ret != -EAGAIN)
		return ret;
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}

int kipc_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kipc_object *obj = cmd->file->private_data;
	struct kipc_ucmd *uc;
	u64 deadline, arg;
	atomic_t *waiters;
	u32 op;
	int ret;

	/* A malformed command is EINVAL whatever the object's type. */
	ret = kipc_ucmd_parse(cmd, issue_flags, &op, &deadline, &arg);
	if (ret)
		return ret;
	if (!obj->type->uring_try)
		return -EOPNOTSUPP;

	uc = kzalloc(sizeof(*uc), GFP_KERNEL_ACCOUNT);
	if (!uc)
		return -ENOMEM;
	uc->op = op & KIPC_URING_OP_MASK;
	uc->arg = arg;
	uc->waiters_off = KIPC_WAITERS_NONE;
	uc->task = cmd_to_io_kiocb(cmd)->task;
	uc->nonblock = issue_flags & IO_URING_F_NONBLOCK;
	uc->cmd = cmd;
	uc->obj = obj;
	INIT_LIST_HEAD(&uc->node);
	hrtimer_init(&uc->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	uc->timer.function = kipc_ucmd_deadline;
	*(struct kipc_ucmd **)cmd->pdu = uc;

	/* The fast path: no counting, nothing to undo. */
	ret = kipc_ucmd_try(uc);
	if (ret == -EAGAIN && uc->punt)
		goto punt;
	if (ret != -EAGAIN || (op & KIPC_URING_F_NOWAIT) ||
	    ((op & KIPC_URING_F_DEADLINE) && ktime_get_ns() >= deadline)) {
		kfree(uc->priv);
		kfree(uc);
		if (ret == -EAGAIN && (op & KIPC_URING_F_DEADLINE))
			ret = -ETIMEDOUT;
		return kipc_ucmd_result(cmd, ret, issue_flags);
	}

	waiters = kipc_ucmd_waiters(uc);
	if (waiters)
		atomic_inc(waiters);
	atomic_inc(&obj->uring.active);
	/* Counted before the state is read again (pairs with the waker). */
	smp_mb__after_atomic();
	if (op & KIPC_URING_F_DEADLINE)
		hrtimer_start_range_ns(&uc->timer,
				       deadline > KTIME_MAX ? KTIME_MAX : deadline,
				       current->timer_slack_ns,
				       HRTIMER_MODE_ABS);
	ret = kipc_ucmd_park(uc);
	if (ret == -EIOCBQUEUED)
		return ret;
	if (ret == -EAGAIN) {
		/* uc->punt: start again from scratch in io-wq. */
		kipc_ucmd_free(uc);
		return -EAGAIN;
	}
	kipc_ucmd_free(uc);
	return kipc_ucmd_result(cmd, ret, issue_flags);

punt:
	/*
	 * 6.1's io_uring_cmd() copies the SQE's command bytes and io-wq
	 * issues the command again, without IO_URING_F_NONBLOCK.
	 */
	kfree(uc->priv);
	kfree(uc);
	return -EAGAIN;
}

void kipc_uring_init(struct kipc_object *obj)
{
	spin_lock_init(&obj->uring.lock);
	INIT_LIST_HEAD(&obj->uring.pending);
	atomic_set(&obj->uring.active, 0);
	INIT_DELAYED_WORK(&obj->uring.monitor, kipc_uring_monitor);
}

/*
 * The last reference is gone. Every pending command holds the object's
 * file through its request, so none can be left; only the monitor may
 * still be queued.
 */
void kipc_uring_release(struct kipc_object *obj)
{
	cancel_delayed_work_sync(&obj->uring.monitor);
	WARN_ON_ONCE(!list_empty(&obj->uring.pending) ||
		     atomic_read(&obj->uring.active));
}
