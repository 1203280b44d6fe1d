// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pipes: an anonymous channel with two ends (KIPC_IOC_PIPE).
 *
 * The object's memory holds one ring (one-way: end 1 puts, end 0 gets) or
 * two (duplex: end e puts into ring e and gets from ring 1-e); every channel
 * operation of driver/channel.c works on the rings of the caller's end.
 * Each end is exactly one struct file: dup, fork, SCM_RIGHTS and mappings
 * share it, so its ->release is the moment every handle on the end is
 * gone, however it went (close, exit, SIGKILL). Then the rings the end fed
 * are closed for writing and those it read for reading, and everyone is
 * woken: a reader drains what was queued and then sees the end of the
 * stream, a writer gets EPIPE.
 */

#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "channel.h"

/**
 * struct kipc_pipe_state - a pipe's private state
 * @ring:   the rings; only ring[0] in a one-way pipe
 * @duplex: two rings, both ends put and get
 * @file:   the file of each end, set before either can be used and never
 *          changed: only compared, to tell which end a file is
 */
struct kipc_pipe_state {
	struct kipc_channel ring[2];
	bool duplex;
	struct file *file[2];
};

static struct kipc_pipe_state *kipc_pipe(struct kipc_object *obj)
{
	return obj->priv;
}

/* Which end @file is. */
static unsigned int kipc_pipe_which(struct kipc_pipe_state *p,
				    struct file *file)
{
	return file == p->file[1];
}

void kipc_pipe_end(struct kipc_object *obj, struct file *file,
		   struct kipc_channel_end *e)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);
	unsigned int end = kipc_pipe_which(p, file);

	if (p->duplex) {
		e->put = &p->ring[end];
		e->get = &p->ring[1 - end];
	} else {
		e->put = end ? &p->ring[0] : NULL;
		e->get = end ? NULL : &p->ring[0];
	}
}

static s64 kipc_pipe_prepare(const union kipc_params *params)
{
	const struct kipc_channel_params *c = &params->channel;
	s64 bytes;

	if (c->flags & ~KIPC_PIPE_DUPLEX)
		return -EINVAL;
	bytes = kipc_channel_check_params(c);
	if (bytes < 0 || !(c->flags & KIPC_PIPE_DUPLEX))
		return bytes;
	return 2 * bytes;
}

static int kipc_pipe_init(struct kipc_object *obj)
{
	const struct kipc_channel_params *c = &obj->params.channel;
	struct kipc_pipe_state *p;
	int ret;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->duplex = c->flags & KIPC_PIPE_DUPLEX;
	ret = kipc_channel_ring_init(obj, &p->ring[0], 0);
	/* Ring 1 follows ring 0; ring sizes keep slots cache-line aligned. */
	if (!ret && p->duplex)
		ret = kipc_channel_ring_init(obj, &p->ring[1],
					     kipc_ring_bytes(c->capacity,
							     c->slot_size));
	if (ret) {
		kfree(p);
		return ret;
	}
	obj->priv = p;
	return 0;
}

static void kipc_pipe_destroy(struct kipc_object *obj)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);

	kipc_channel_ring_destroy(&p->ring[0]);
	if (p->duplex)
		kipc_channel_ring_destroy(&p->ring[1]);
	kfree(p);
}

static bool kipc_pipe_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);
	bool wake = kipc_channel_ring_detach(obj, &p->ring[0], id);

	if (p->duplex && kipc_channel_ring_detach(obj, &p->ring[1], id))
		wake = true;
	return wake;
}

/* Every handle on this end is gone: the other end sees EOF and EPIPE. */
static void kipc_pipe_release(struct kipc_object *obj, struct file *file)
{
	struct kipc_channel_end e;

	kipc_pipe_end(obj, file, &e);
	if (e.put)
		kipc_channel_ring_close(e.put, KIPC_RING_CLOSED_WRITER);
	if (e.get)
		kipc_channel_ring_close(e.get, KIPC_RING_CLOSED_READER);
	kipc_wake_all(obj);
}

/* Ring 0, and ring 1 of a duplex pipe; their buffers count as kmem. */
static void kipc_pipe_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);
	int i;

	for (i = 0; i < (p->duplex ? 2 : 1); i++) {
		kipc_channel_ring_stat(obj, &p->ring[i], &st->u.ring[i]);
		st->kmem += st->u.ring[i].buffer_bytes;
	}
}

long kipc_pipe_ioc_end(struct kipc_object *obj, struct file *file,
		       struct kipc_pipe_end __user *uarg)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);
	struct kipc_channel_end e;
	struct kipc_pipe_end arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	kipc_pipe_end(obj, file, &e);
	memset(&arg, 0, sizeof(arg));
	arg.end = kipc_pipe_which(p, file);
	arg.flags = p->duplex ? KIPC_PIPE_DUPLEX : 0;
	arg.put_ring = e.put ? e.put->off : KIPC_PIPE_NO_RING;
	arg.get_ring = e.get ? e.get->off : KIPC_PIPE_NO_RING;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

static void kipc_pipe_show_file(struct kipc_object *obj, struct file *file,
				struct seq_file *m)
{
	struct kipc_pipe_state *p = kipc_pipe(obj);
	const struct kipc_channel_params *c = &obj->params.channel;
	struct kipc_channel_end e;

	kipc_pipe_end(obj, file, &e);
	seq_printf(m, "kipc-end:\t%u\n", kipc_pipe_which(p, file));
	seq_printf(m, "kipc-duplex:\t%d\n", p->duplex);
	seq_printf(m, "kipc-capacity:\t%u\n", c->capacity);
	seq_printf(m, "kipc-slot-size:\t%u\n", c->slot_size);
	seq_printf(m, "kipc-max-msg:\t%u\n", p->ring[0].max_msg);
	if (e.get)
		kipc_channel_show_ring(obj, e.get, "kipc-in-", m);
	if (e.put)
		kipc_channel_show_ring(obj, e.put, "kipc-out-", m);
}

const struct kipc_type kipc_pipe_type = {
	.name		= "kipc-pipe",
	.type		= KIPC_TYPE_PIPE,
	.fmode_nowait	= true,
	.prepare	= kipc_pipe_prepare,
	.init		= kipc_pipe_init,
	.destroy	= kipc_pipe_destroy,
	.detach		= kipc_pipe_detach,
	.poll		= kipc_channel_poll,
	.read_iter	= kipc_channel_read_iter,
	.write_iter	= kipc_channel_write_iter,
	.ioctl		= kipc_channel_ioctl,
	.release	= kipc_pipe_release,
	.show_file	= kipc_pipe_show_file,
	.stat		= kipc_pipe_stat,
	.uring_try	= kipc_channel_uring_try,
};

/*
 * KIPC_IOC_PIPE. Both files exist, and the state knows them, before either
 * descriptor is installed: a process can never use half a pipe.
 */
long kipc_ioc_pipe(struct kipc_pipe __user *uarg)
{
	union kipc_params params = {};
	struct kipc_pipe_state *p;
	struct file *file[2] = {};
	struct kipc_object *obj;
	struct kipc_pipe arg;
	int fd[2] = { -1, -1 };
	int i, ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~KIPC_PIPE_DUPLEX ||
	    arg.fd_flags & ~(KIPC_FD_INHERIT | KIPC_FD_NONBLOCK) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    arg.params.flags)
		return -EINVAL;
	params.channel = arg.params;
	params.channel.flags = arg.flags;
	obj = kipc_object_create(&kipc_pipe_type, &params, "", 0);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	p = kipc_pipe(obj);

	for (i = 0; i < 2; i++) {
		fd[i] = get_unused_fd_flags(arg.fd_flags & KIPC_FD_INHERIT ?
					    0 : O_CLOEXEC);
		if (fd[i] < 0) {
			ret = fd[i];
			goto err;
		}
		file[i] = kipc_object_getfile(obj, arg.fd_flags);
		if (IS_ERR(file[i])) {
			ret = PTR_ERR(file[i]);
			file[i] = NULL;
			goto err;
		}
		p->file[i] = file[i];
	}
	arg.fds[0] = fd[0];
	arg.fds[1] = fd[1];
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto err;
	}
	fd_install(fd[0], file[0]);
	fd_install(fd[1], file[1]);
	kipc_object_put(obj);
	return 0;

err:
	for (i = 0; i < 2; i++) {
		if (file[i])
			fput(file[i]);
		if (fd[i] >= 0)
			put_unused_fd(fd[i]);
	}
	kipc_object_put(obj);
	return ret;
}
