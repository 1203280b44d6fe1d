// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping objects into processes, and owner ids.
 *
 * Each mapping (vma) of an object gets its own owner id, kept in
 * vm_private_data. Shared state records owner ids, so when a mapping goes
 * away - munmap, exec, exit, SIGKILL at any instruction - the object's type
 * is told which id died and repairs what that owner left half done. A
 * process that closed its descriptor but kept the mapping is covered too.
 * A forked child gets a new id for its copy of the mapping.
 *
 * Pages are supplied on fault rather than premapped, so that fork, which
 * does not copy the page tables of shared mappings, works.
 */

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "kipc.h"

static const struct vm_operations_struct kipc_vm_ops;

static u16 kipc_vma_id(struct vm_area_struct *vma)
{
	return (uintptr_t)vma->vm_private_data;
}

/* Returns KIPC_ID_NONE when every id is taken or memory is short. */
static u16 kipc_id_alloc(struct kipc_object *obj)
{
	int id = ida_alloc_range(&obj->ids, KIPC_ID_MIN, KIPC_ID_MAX, GFP_KERNEL);

	return id < 0 ? KIPC_ID_NONE : id;
}

/* A copy of a mapping: fork, or mremap (which we refuse, then undo). */
static void kipc_vm_open(struct vm_area_struct *vma)
{
	struct kipc_object *obj = vma->vm_file->private_data;

	vma->vm_private_data = (void *)(uintptr_t)kipc_id_alloc(obj);
	atomic_inc(&obj->mappings);
}

/*
 * Does @vma go away because its process was killed (a fatal signal, an
 * oops) rather than left it (munmap, mmap over it, exec, exit)? Only the
 * task tearing the address space down can tell: a dying process's last
 * thread (PF_EXITING, ->mm already cleared by exit_mm(); ->active_mm says
 * nothing, it is borrowed once the task was switched out), whose group
 * exit code - or its own, for a last thread that ended alone - holds the
 * signal. If a live task dropped the last reference to the address
 * space (it had borrowed the mm, e.g. through /proc), how the process
 * ended is unknown: say killed, since a needless break is safe and a
 * missed one hangs the others.
 */
static bool kipc_vma_killed(struct vm_area_struct *vma)
{
	struct task_struct *tsk = current;
	struct signal_struct *sig = tsk->signal;

	if ((tsk->flags & PF_EXITING) && !tsk->mm) {
		if ((READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) &&
		    (READ_ONCE(sig->group_exit_code) & 0x7f))
			return true;
		return tsk->exit_code & 0x7f;
	}
	if (tsk->mm == vma->vm_mm || tsk->in_execve)
		return false;
	return true;
}

static void kipc_vm_close(struct vm_area_struct *vma)
{
	struct kipc_object *obj = vma->vm_file->private_data;
	u16 id = kipc_vma_id(vma);
	bool repaired = false;

	if (id != KIPC_ID_NONE) {
		if (obj->type->depart)
			repaired = obj->type->depart(obj, id,
						     kipc_vma_killed(vma));
		else if (obj->type->detach)
			repaired = obj->type->detach(obj, id);
		ida_free(&obj->ids, id);
	}
	atomic_dec(&obj->mappings);
	/* Sleepers may have been waiting on what the dead owner held. */
	if (repaired)
		kipc_wake_all(obj);
}

/* One id per mapping: a mapping cannot be split in two... */
static int kipc_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

/* ...nor moved or duplicated. */
static int kipc_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static vm_fault_t kipc_vm_fault(struct vm_fault *vmf)
{
	struct kipc_object *obj = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff >= obj->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(obj->mem + (vmf->pgoff << PAGE_SHIFT));
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kipc_vm_ops = {
	.open		= kipc_vm_open,
	.close		= kipc_vm_close,
	.may_split	= kipc_vm_may_split,
	.mremap		= kipc_vm_mremap,
	.fault		= kipc_vm_fault,
};

int kipc_object_mmap(struct kipc_object *obj, struct vm_area_struct *vma)
{
	unsigned long pages = obj->size >> PAGE_SHIFT;
	u16 id;

	/* A private (copy-on-write) mapping would silently stop sharing. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	id = kipc_id_alloc(obj);
	if (id == KIPC_ID_NONE)
		return -ENOSPC;
	kipc_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &kipc_vm_ops;
	vma->vm_private_data = (void *)(uintptr_t)id;
	atomic_inc(&obj->mappings);
	return 0;
}

long kipc_ioc_map_id(struct kipc_object *obj, struct kipc_map_id __user *uarg)
{
	struct vm_area_struct *vma;
	struct kipc_map_id arg;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.id)
		return -EINVAL;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, arg.addr);
	if (!vma || vma->vm_ops != &kipc_vm_ops ||
	    vma->vm_file->private_data != obj)
		ret = -EINVAL;
	else
		arg.id = kipc_vma_id(vma);
	mmap_read_unlock(current->mm);

	if (!ret && arg.id == KIPC_ID_NONE)
		ret = -ENOSPC;
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	return ret;
}
