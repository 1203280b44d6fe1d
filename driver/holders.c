// SPDX-License-Identifier: GPL-2.0-only
/*
 * KIPC_IOC_HOLDERS: the processes that hold or map an object.
 *
 * Walks the caller's pid namespace a process at a time, looking at its
 * descriptor table (as the tty layer's SAK does: task_lock, iterate_fd)
 * and its mappings (mmap_read_lock_killable). Only processes the caller
 * could inspect through /proc are looked at: the same user and group, or
 * CAP_SYS_PTRACE over them (the ptrace rule without the LSM and dumpable
 * checks, which a module cannot call). Every step reschedules and gives
 * way to a fatal signal.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kipc.h"

struct kipc_fd_count {
	const struct kipc_object *obj;
	unsigned int fds;
};

/* Called under the table's file_lock: look, count, never sleep. */
static int kipc_count_fd(const void *arg, struct file *file, unsigned int fd)
{
	struct kipc_fd_count *count = (struct kipc_fd_count *)arg;

	if ((kipc_is_object_file(file) && file->private_data == count->obj) ||
	    kipc_watch_object(file) == count->obj)
		count->fds++;
	return 0;
}

/* ptrace's PTRACE_MODE_READ_FSCREDS credential rule. */
static bool kipc_may_inspect(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->fsuid, tcred->euid) &&
	     uid_eq(cred->fsuid, tcred->suid) &&
	     uid_eq(cred->fsuid, tcred->uid) &&
	     gid_eq(cred->fsgid, tcred->egid) &&
	     gid_eq(cred->fsgid, tcred->sgid) &&
	     gid_eq(cred->fsgid, tcred->gid);
	if (!ok)
		ok = ns_capable_noaudit(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
}

static int kipc_count_maps(struct task_struct *task,
			   const struct kipc_object *obj, unsigned int *maps)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	struct mm_struct *mm;

	*maps = 0;
	mm = get_task_mm(task);
	if (!mm)
		return 0;
	if (mmap_read_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		if (vma->vm_file && kipc_is_object_file(vma->vm_file) &&
		    vma->vm_file->private_data == obj)
			(*maps)++;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}

/* What @task holds of @obj, in @h (pid set by the caller). */
static int kipc_task_holds(struct task_struct *task,
			   const struct kipc_object *obj, struct kipc_holder *h)
{
	struct kipc_fd_count count = { .obj = obj };
	unsigned int maps;
	int ret;

	task_lock(task);
	if (task->files)
		iterate_fd(task->files, 0, kipc_count_fd, &count);
	task_unlock(task);
	ret = kipc_count_maps(task, obj, &maps);
	h->fds = count.fds;
	h->mappings = maps;
	return ret;
}

/* The next process of @ns from pid @nr up, with a reference, or NULL. */
static struct task_struct *kipc_next_process(struct pid_namespace *ns, int *nr)
{
	struct task_struct *task = NULL;
	struct pid *pid;

	rcu_read_lock();
	while ((pid = find_ge_pid(*nr, ns))) {
		*nr = pid_nr_ns(pid, ns);
		task = pid_task(pid, PIDTYPE_TGID);
		if (task) {
			get_task_struct(task);
			break;
		}
		/* A thread's pid, or a process on its way out. */
		++*nr;
	}
	rcu_read_unlock();
	return task;
}

long kipc_ioc_holders(struct kipc_holders __user *uarg)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct kipc_holder *out = NULL, h;
	struct task_struct *task;
	struct kipc_holders arg;
	struct kipc_object *obj;
	long ret = 0;
	int nr = 1;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.pad || arg.total || !arg.id ||
	    arg.count > KIPC_LIST_MAX || (arg.count && !arg.holders) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	if (arg.count) {
		out = kvcalloc(arg.count, sizeof(*out), GFP_KERNEL);
		if (!out)
			return -ENOMEM;
	}
	obj = kipc_object_lookup(arg.id, 0, 0);
	if (IS_ERR(obj)) {
		kvfree(out);
		return PTR_ERR(obj);
	}

	while ((task = kipc_next_process(ns, &nr))) {
		memset(&h, 0, sizeof(h));
		h.pid = nr++;
		if (kipc_may_inspect(task))
			ret = kipc_task_holds(task, obj, &h);
		put_task_struct(task);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (ret)
			break;
		if (h.fds || h.mappings) {
			if (arg.total < arg.count)
				out[arg.total] = h;
			arg.total++;
		}
		cond_resched();
	}
	kipc_object_put(obj);
	if (!ret) {
		arg.count = min(arg.count, arg.total);
		if (copy_to_user(u64_to_user_ptr(arg.holders), out,
				 arg.count * sizeof(*out)) ||
		    copy_to_user(uarg, &arg, sizeof(arg)))
			ret = -EFAULT;
	}
	kvfree(out);
	return ret;
}
