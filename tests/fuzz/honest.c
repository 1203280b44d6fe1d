// SPDX-License-Identifier: GPL-2.0-only
/*
 * The honest userspace half: libipc's own protocols (fast paths in shared
 * memory, sleeps and wakes in the kernel) on the round's objects, while
 * other processes scribble over the same memory and get killed. Results
 * must stay within what libipc documents; everything is bounded by a
 * deadline of a few milliseconds.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"

static const int sync_errs[] = {
	ETIMEDOUT, EINTR, EAGAIN, EBADMSG, EOWNERDEAD, ENOTRECOVERABLE, EPERM,
	EOVERFLOW, EPIPE, ENOSPC, EINVAL, ECANCELED, EBUSY, 0
};
static const int chan_errs[] = {
	ETIMEDOUT, EINTR, EAGAIN, EMSGSIZE, EBADMSG, EIO, EDQUOT, ENOSPC, ENOMEM,
	EREMOTE, ENODATA, EPIPE, EBADF, EFAULT, EINVAL, 0
};

static __u64 soon(struct fz_ctx *c)
{
	switch (fz_below(c, 4)) {
	case 0: return KIPC_NOWAIT;
	case 1: return fz_now_ns() - 1000;	/* already passed */
	default: return fz_now_ns() + (1 + fz_below(c, 20)) * 1000000ULL;
	}
}

static void honest_lock(struct fz_ctx *c, struct kipc_sync *s, int rlock)
{
	long ret;

	ret = rlock ? kipc_rlock_acquire(s, soon(c)) : kipc_lock_acquire(s, soon(c));
	fz_expect_in(c, rlock ? "rlock_acquire" : "lock_acquire", ret, sync_errs);
	if (ret == -EOWNERDEAD && fz_chance(c, 70)) {
		ret = rlock ? kipc_rlock_consistent(s) : kipc_lock_consistent(s);
		fz_expect_in(c, "consistent", ret, sync_errs);
	}
	if (fz_chance(c, 85)) {
		ret = rlock ? kipc_rlock_release(s) : kipc_lock_release(s);
		fz_expect_in(c, "release", ret, sync_errs);
	}
	ret = rlock ? kipc_rlock_held(s) : kipc_lock_held(s);
	fz_expect_in(c, "held", ret, sync_errs);
}

static void honest_sync(struct fz_ctx *c, int i)
{
	struct kipc_sync *s = fz_obj_sync(c, i), *l;
	struct kipc_sync_step st;
	int j, w;
	long ret = 0;

	if (!s)
		return;
	switch (c->objs[i].type) {
	case KIPC_TYPE_SEMAPHORE:
		switch (fz_below(c, 4)) {
		case 0: ret = kipc_sem_acquire(s, soon(c)); break;
		case 1: ret = kipc_sem_try_acquire(s); break;
		case 2: ret = kipc_sem_release(s, 1 + fz_below(c, 3)); break;
		default: ret = kipc_sem_value(s); break;
		}
		break;
	case KIPC_TYPE_LOCK:
	case KIPC_TYPE_RLOCK:
		honest_lock(c, s, c->objs[i].type == KIPC_TYPE_RLOCK);
		return;
	case KIPC_TYPE_EVENT:
		switch (fz_below(c, 4)) {
		case 0: ret = kipc_event_set(s); break;
		case 1: ret = kipc_event_clear(s); break;
		case 2: ret = kipc_event_is_set(s); break;
		default: ret = kipc_event_wait(s, soon(c)); break;
		}
		break;
	case KIPC_TYPE_BARRIER:
		switch (fz_below(c, 6)) {
		case 0: ret = kipc_barrier_abort(s); break;
		case 1: ret = kipc_barrier_reset(s); break;
		case 2: ret = kipc_barrier_broken(s); break;
		case 3:	/* step-wise, with a watch on the word it names */
			memset(&st, 0, sizeof(st));
			ret = kipc_barrier_wait_step(s, &st);
			if (ret == -EAGAIN) {
				w = kipc_sync_watch(s, &st);
				if (w >= 0)
					close(w);
				ret = kipc_barrier_wait_cancel(s, &st);
				if (ret == -ECANCELED)
					ret = 0;
			}
			break;
		default: ret = kipc_barrier_wait(s, soon(c)); break;
		}
		break;
	case KIPC_TYPE_CONDITION:
		j = fz_obj_pick(c, fz_chance(c, 50) ? KIPC_TYPE_LOCK : KIPC_TYPE_RLOCK);
		l = j >= 0 ? fz_obj_sync(c, j) : NULL;
		if (!l)
			return;
		if (c->objs[j].type == KIPC_TYPE_LOCK)
			ret = kipc_lock_acquire(l, soon(c));
		else
			ret = kipc_rlock_acquire(l, soon(c));
		if (ret && ret != -EOWNERDEAD)
			return;
		if (ret == -EOWNERDEAD)
			c->objs[j].type == KIPC_TYPE_LOCK ? kipc_lock_consistent(l) :
							    kipc_rlock_consistent(l);
		switch (fz_below(c, 3)) {
		case 0: ret = kipc_cond_wait(s, l, soon(c)); break;
		case 1: ret = kipc_cond_notify(s, l, 1 + fz_below(c, 3)); break;
		default: ret = kipc_cond_notify_all(s, l); break;
		}
		fz_expect_in(c, "condition", ret, sync_errs);
		c->objs[j].type == KIPC_TYPE_LOCK ? kipc_lock_release(l) : kipc_rlock_release(l);
		return;
	default:
		return;
	}
	fz_expect_in(c, "sync", ret, sync_errs);
}

static void honest_chan(struct fz_ctx *c, int i)
{
	struct kipc_channel *ch = fz_obj_chan(c, i);
	struct kipc_channel_claim cl;
	struct iovec iov[4];
	size_t max = fz_msg_max(c, i), len = fz_below(c, max + 1), k;
	char *buf = c->scratch;
	long ret;

	if (!ch)
		return;
	if (len > 2 * FZ_PAGE)
		len = 2 * FZ_PAGE;
	for (k = 0; k < 4; k++) {
		iov[k].iov_base = buf + k * 64;
		iov[k].iov_len = fz_below(c, 64);
	}
	switch (fz_below(c, 7)) {
	case 0:	/* more than a slot goes to PUT_LARGE: kput's loop */
		ret = kipc_channel_put(ch, buf, len, (c->skip & FZ_SKIP_RW_BLOCK) &&
				       len > c->objs[i].ch.slot_size ? KIPC_NOWAIT : soon(c));
		break;
	case 1:
		/* a scribbled indirect record sends it to GET_LARGE: kget's loop */
		ret = kipc_channel_get(ch, buf, 2 * FZ_PAGE, c->skip & FZ_SKIP_RW_BLOCK ?
				       KIPC_NOWAIT : soon(c));
		if (ret > (long)(2 * FZ_PAGE))
			fz_violation(c, "channel_get of %ld bytes", ret);
		break;
	case 2:
		ret = kipc_channel_put_many(ch, iov, 1 + fz_below(c, 4), soon(c));
		break;
	case 3:
		ret = kipc_channel_get_many(ch, iov, 1 + fz_below(c, 4),
					    c->skip & FZ_SKIP_RW_BLOCK ? KIPC_NOWAIT : soon(c));
		break;
	case 4:
		ret = kipc_channel_put_claim(ch, fz_below(c, c->objs[i].ch.slot_size + 1), &cl,
					     soon(c));
		if (!ret) {
			memset(cl.data, 0x5a, cl.len);
			ret = fz_chance(c, 80) ? kipc_channel_put_commit(ch, &cl) :
						 kipc_channel_put_abort(ch, &cl);
		}
		break;
	case 5:
		ret = kipc_channel_get_claim(ch, &cl, soon(c));
		if (!ret)
			ret = kipc_channel_get_release(ch, &cl);
		break;
	default: {
		struct kipc_channel_stats st;

		ret = kipc_channel_stats(ch, &st);
		break;
	}
	}
	fz_expect_in(c, "channel", ret, chan_errs);
}

void fz_op_honest(struct fz_ctx *c)
{
	int i = fz_obj_pick(c, 0);

	if (i < 0)
		return;
	if (fz_is_ring(c->objs[i].type))
		honest_chan(c, i);
	else
		honest_sync(c, i);
}
