// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring commands on synchronisation objects (->uring_try): acquire and
 * release of semaphores, Locks and RLocks, set and wait of events. Each
 * runs the sync.h protocol once; driver/uring.c keeps a command that would
 * wait pending and calls this again after each wake-up of the object.
 *
 * A Lock or RLock is taken with the owner id of the caller's mapping at
 * the address the command names, looked up under mmap_lock in the
 * submitter's mm, as KIPC_IOC_WAIT_ANY does: the mapping, hence the id,
 * cannot go away (and be recovered) before the acquire is done. An RLock's
 * thread is the submitting task. A nonblocking attempt that finds mmap_lock
 * taken (a writer in mmap() or munmap()) punts to io-wq rather than wait.
 */

#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "sync_priv.h"

static bool kipc_sync_is_lock(const struct kipc_object *obj)
{
	return obj->type == &kipc_lock_type || obj->type == &kipc_rlock_type;
}

/* Run the lock operation with the id of the mapping at @addr; mmap locked. */
static int kipc_sync_uring_lock(struct kipc_object *obj, struct kipc_ucmd *uc,
				struct kipc_sync_wait *w,
				struct kipc_sync_wake *wk)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u32 tid = task_pid_vnr(uc->task);
	bool acquire = uc->op == KIPC_URING_LOCK_ACQUIRE;
	u16 id;
	int ret;

	if (!mm)
		return -ECANCELED;
	if (!uc->nonblock) {
		mmap_read_lock(mm);
	} else if (!mmap_read_trylock(mm)) {
		uc->punt = true;
		return -EAGAIN;
	}
	vma = vma_lookup(mm, uc->arg);
	if (!vma || !vma->vm_file || vma->vm_file->private_data != obj ||
	    vma->vm_file->f_op != uc->cmd->file->f_op) {
		ret = -EINVAL;
		goto out;
	}
	id = (uintptr_t)vma->vm_private_data;
	if (id == KIPC_ID_NONE) {
		ret = -ENOSPC;
		goto out;
	}
	if (obj->type == &kipc_lock_type)
		ret = acquire ? kipc_lock_try_acquire(obj->mem, id, w) :
				kipc_lock_release(obj->mem, wk);
	else
		ret = acquire ? kipc_rlock_try_acquire(obj->mem, id, tid, w) :
				kipc_rlock_release(obj->mem, id, tid, wk);
out:
	mmap_read_unlock(mm);
	return ret;
}

int kipc_sync_uring_try(struct kipc_object *obj, struct kipc_ucmd *uc)
{
	struct kipc_sync_wake wk = { 0 };
	struct kipc_sync_wait w;
	u32 max;
	int ret;

	switch (uc->op) {
	case KIPC_URING_SEM_ACQUIRE:
		if (obj->type != &kipc_sem_type || uc->arg)
			return -EINVAL;
		ret = kipc_sem_try_acquire(obj->mem, kipc_sync_sem_max(obj), &w);
		break;
	case KIPC_URING_SEM_RELEASE:
		if (obj->type != &kipc_sem_type || !uc->arg)
			return -EINVAL;
		max = kipc_sync_sem_max(obj);
		if (uc->arg > max)
			return -EOVERFLOW;
		ret = kipc_sem_release(obj->mem, max, uc->arg, &wk);
		break;
	case KIPC_URING_LOCK_ACQUIRE:
	case KIPC_URING_LOCK_RELEASE:
		if (!kipc_sync_is_lock(obj))
			return -EINVAL;
		ret = kipc_sync_uring_lock(obj, uc, &w, &wk);
		break;
	case KIPC_URING_EVENT_SET:
		if (obj->type != &kipc_event_type || uc->arg)
			return -EINVAL;
		ret = kipc_event_set(obj->mem, &wk);
		break;
	case KIPC_URING_EVENT_WAIT:
		if (obj->type != &kipc_event_type || uc->arg)
			return -EINVAL;
		ret = kipc_event_try_wait(obj->mem, &uc->ticket, &w);
		break;
	default:
		/* Known to kipc_uring_cmd(): another type's operation. */
		return -EINVAL;
	}

	if (ret == -EAGAIN && uc->punt)
		return ret;
	if (ret == -EAGAIN) {
		/* Only waiting operations wait; a CAS storm is -EBUSY. */
		if (uc->op == KIPC_URING_SEM_RELEASE ||
		    uc->op == KIPC_URING_LOCK_RELEASE ||
		    uc->op == KIPC_URING_EVENT_SET)
			return -EBUSY;
		uc->waiters_off = w.waiters_off;
		return -EAGAIN;
	}
	if (!ret)
		kipc_sync_wake(obj, &wk);
	return ret;
}
