// SPDX-License-Identifier: GPL-2.0-only
/*
 * Watch descriptors (KIPC_OBJ_IOC_WATCH): KIPC_OBJ_IOC_WAIT made pollable.
 *
 * An event loop cannot sleep in an ioctl. For the multi-step waits of a
 * Barrier or a Condition (a ticket, then a word to wait on) it asks for a
 * descriptor that polls readable once a word of the object no longer holds
 * the value it saw, registers it with epoll or io_uring, and runs its next
 * step when it fires. A watch is level-triggered and stateless: readiness
 * is "word != expected", read each time it is polled.
 *
 * Wake-ups come from the object's poll wait queue, which kipc_wake_word()
 * wakes while the waiter word carries KIPC_WAITERS_POLL, and kipc_wake_all()
 * always does (recovery after a death). Polling marks the waiter word, so a
 * waker in userspace enters the kernel for us.
 *
 * The watch holds a reference on the object and nothing else: everything
 * it needs is copied at creation, and the word is read only through
 * kipc_word(), bounded by the object's size.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kipc/atomic.h>
#include "kipc.h"

struct kipc_watch_file {
	struct kipc_object *obj;
	u64 offset;
	u64 waiters_offset;
	u32 expected;
};

static __poll_t kipc_watch_poll(struct file *file, struct poll_table_struct *pt)
{
	struct kipc_watch_file *wf = file->private_data;
	u32 *word = kipc_word(wf->obj, wf->offset);

	kipc_poll_watch(wf->obj, file, pt, wf->waiters_offset);
	return kipc_load(word) != wf->expected ? EPOLLIN | EPOLLRDNORM : 0;
}

static int kipc_watch_release(struct inode *inode, struct file *file)
{
	struct kipc_watch_file *wf = file->private_data;

	kipc_object_put(wf->obj);
	kfree(wf);
	return 0;
}

static void kipc_watch_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_watch_file *wf = file->private_data;

	seq_printf(m, "kipc-watch-type:\t%s\n", wf->obj->type->name);
	seq_printf(m, "kipc-watch-offset:\t%llu\n", wf->offset);
	seq_printf(m, "kipc-watch-expected:\t%u\n", wf->expected);
}

static const struct file_operations kipc_watch_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_watch_release,
	.poll		= kipc_watch_poll,
	.show_fdinfo	= kipc_watch_show_fdinfo,
};

long kipc_ioc_watch(struct kipc_object *obj, struct kipc_watch __user *uarg)
{
	struct kipc_watch_file *wf;
	struct kipc_watch arg;
	struct file *file;
	int fd, err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.fd_flags & ~KIPC_FD_INHERIT ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	kipc_waiters(obj, arg.waiters_offset, &err);
	if (!kipc_word(obj, arg.offset) || err)
		return -EINVAL;

	wf = kzalloc(sizeof(*wf), GFP_KERNEL_ACCOUNT);
	if (!wf)
		return -ENOMEM;
	wf->obj = obj;
	wf->offset = arg.offset;
	wf->waiters_offset = arg.waiters_offset;
	wf->expected = arg.expected;

	fd = get_unused_fd_flags(arg.fd_flags & KIPC_FD_INHERIT ? 0 : O_CLOEXEC);
	if (fd < 0) {
		kfree(wf);
		return fd;
	}
	kipc_object_get(obj);
	file = anon_inode_getfile("kipc-watch", &kipc_watch_fops, wf, O_RDONLY);
	if (IS_ERR(file)) {
		kipc_object_put(obj);
		kfree(wf);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

/* The object @file watches, or NULL if it is not a watch descriptor. */
struct kipc_object *kipc_watch_object(const struct file *file)
{
	if (file->f_op != &kipc_watch_fops)
		return NULL;
	return ((struct kipc_watch_file *)file->private_data)->obj;
}
