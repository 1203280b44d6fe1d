// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table of object descriptors a fuzzer process holds, valid creation
 * arguments to mutate, and libipc handles (the "honest" userspace half)
 * made on demand over the same descriptors.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"

int fz_is_sync(__u32 type)
{
	return type >= KIPC_TYPE_SEMAPHORE && type <= KIPC_TYPE_CONDITION;
}

int fz_is_ring(__u32 type)
{
	return type == KIPC_TYPE_CHANNEL || type == KIPC_TYPE_PIPE;
}

/* Records @fd (which the table then owns); the index, or -1 (fd closed). */
int fz_obj_add(struct fz_ctx *c, int fd, __u32 type, int end)
{
	struct kipc_info info;
	struct fz_obj *o;
	int i;

	for (i = 0; i < FZ_MAX_OBJS && c->objs[i].type; i++)
		;
	memset(&info, 0, sizeof(info));
	if (i == FZ_MAX_OBJS || ioctl(fd, KIPC_OBJ_IOC_INFO, &info)) {
		close(fd);
		return -1;
	}
	if (type && info.type != type)
		fz_violation(c, "INFO of a new object: type %u, created as %u",
			     info.type, type);
	o = &c->objs[i];
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->type = info.type;
	o->end = end;
	o->size = info.size;
	if (fz_is_ring(o->type)) {
		o->ch = info.params.channel;
		o->pipe_flags = o->ch.flags;
		o->ch.flags = 0;
		if (!o->ch.max_msg)
			o->ch.max_msg = o->ch.slot_size;
	} else if (fz_is_sync(o->type)) {
		o->sp = info.params.sync;
	}
	return i;
}

/* A random live entry of @type (any when 0), or -1. */
int fz_obj_pick(struct fz_ctx *c, __u32 type)
{
	int i, n = 0, pick = -1;

	for (i = 0; i < FZ_MAX_OBJS; i++) {
		if (!c->objs[i].type || (type && c->objs[i].type != type))
			continue;
		if (!fz_below(c, ++n))
			pick = i;
	}
	return pick;
}

/* Mostly a live object's fd; sometimes a closed, foreign or absurd one. */
int fz_obj_pick_fd(struct fz_ctx *c)
{
	int i;

	switch (fz_below(c, 16)) {
	case 0: return -1;
	case 1: return 1000 + fz_below(c, 100);	/* not open */
	case 2: return c->dev;
	case 3: return c->mbox[0];		/* not kipc */
	default:
		i = fz_obj_pick(c, 0);
		return i < 0 ? c->dev : c->objs[i].fd;
	}
}

void fz_obj_drop(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];

	fz_mem_forget_obj(c, i);
	if (o->sync)
		kipc_sync_close(o->sync);
	if (o->chan)
		kipc_channel_close(o->chan);
	close(o->fd);
	memset(o, 0, sizeof(*o));
}

void fz_obj_close_all(struct fz_ctx *c)
{
	int i;

	for (i = 0; i < FZ_MAX_OBJS; i++)
		if (c->objs[i].type)
			fz_obj_drop(c, i);
}

struct kipc_sync *fz_obj_sync(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];

	if (!o->sync && fz_is_sync(o->type) && kipc_sync_from_fd(&o->sync, o->fd))
		o->sync = NULL;
	return o->sync;
}

struct kipc_channel *fz_obj_chan(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];
	int fd;

	if (o->chan || !fz_is_ring(o->type))
		return o->chan;
	fd = dup(o->fd);
	if (fd < 0)
		return NULL;
	if (kipc_channel_attach(fd, &o->chan)) {
		close(fd);
		o->chan = NULL;
	}
	return o->chan;
}

/* Small valid ring geometry: the fuzzer runs under emulation. */
void fz_valid_chparams(struct fz_ctx *c, struct kipc_channel_params *p)
{
	memset(p, 0, sizeof(*p));
	p->capacity = 1U << fz_below(c, 6);
	p->slot_size = 8 * (1 + fz_below(c, 32));
	if (fz_chance(c, 30) && !(c->skip & FZ_SKIP_LARGE))
		p->max_msg = p->slot_size + fz_below(c, 3 * FZ_PAGE);
}

/* Valid, anonymous creation arguments for @type. */
void fz_valid_create(struct fz_ctx *c, struct kipc_create *a, __u32 type)
{
	struct kipc_sync_params *sp = &a->params.sync;

	memset(a, 0, sizeof(*a));
	a->type = type;
	a->fd_flags = fz_below(c, 4);
	switch (type) {
	case KIPC_TYPE_SHM:
		a->params.shm.size = 1 + fz_below(c, 3 * FZ_PAGE);
		break;
	case KIPC_TYPE_CHANNEL:
		fz_valid_chparams(c, &a->params.channel);
		break;
	case KIPC_TYPE_SEMAPHORE:
		sp->max = fz_chance(c, 50) ? 0 : 1 + fz_below(c, 4);
		sp->value = fz_below(c, (sp->max ? sp->max : 4) + 1);
		break;
	case KIPC_TYPE_BARRIER:
		sp->parties = 1 + fz_below(c, 4);
		break;
	case KIPC_TYPE_CONDITION:
		sp->nslots = fz_chance(c, 50) ? 0 : 1U << fz_below(c, 4);
		break;
	default:
		break;
	}
}

/* The longest message worth sending on ring @i. */
size_t fz_msg_max(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];

	if (c->skip & FZ_SKIP_LARGE)
		return o->ch.slot_size;
	return o->ch.max_msg;
}
