// SPDX-License-Identifier: GPL-2.0-only
/*
 * read(2), write(2), poll(2) and epoll on object descriptors, with sizes at
 * the edges and buffers that fault part way.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"

static const int ring_errs[] = { EAGAIN, EINTR, EMSGSIZE, EFAULT, EBADMSG, EIO, EPIPE,
				 EBADF, EDQUOT, ENOSPC, ENOMEM, 0 };
static const int sync_errs[] = { EAGAIN, EINTR, EINVAL, EOVERFLOW, EBADMSG, EFAULT,
				 EBADF, EPERM, EOPNOTSUPP, 0 };

/* A buffer of @len bytes: the scratch pages, or one that faults part way. */
static char *rw_buf(struct fz_ctx *c, size_t len, int *faults)
{
	*faults = 0;
	if (len && fz_chance(c, 8)) {
		*faults = 1;
		return fz_badptr2(c, len, 1);
	}
	if (len <= 2 * FZ_PAGE)
		return c->scratch + 2 * FZ_PAGE - len;	/* ends at the guard */
	*faults = 1;
	return c->scratch;
}

static void rw_ring(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];
	size_t max = fz_msg_max(c, i), len;
	int wr = fz_chance(c, 50), faults, nowait, flags;
	struct iovec iov;
	char *buf;
	long ret;

	len = fz_chance(c, 70) ? fz_below(c, max + 1) : fz_interesting(c, max);
	if ((c->skip & FZ_SKIP_LARGE) && wr && len > o->ch.slot_size)
		len = o->ch.slot_size;
	if (len > 64 * FZ_PAGE)
		len = 64 * FZ_PAGE;
	buf = rw_buf(c, len, &faults);
	if (wr && !faults)
		fz_fill(c, buf, len);
	iov.iov_base = buf;
	iov.iov_len = len;
	/* RWF_NOWAIT is IOCB_NOWAIT: never blocks, whatever the fd's flags */
	nowait = (c->skip & FZ_SKIP_RW_BLOCK) || fz_chance(c, 60);
	flags = nowait ? RWF_NOWAIT : 0;
	if (!nowait)
		fz_interrupt_in(2 + fz_below(c, 20));
	if (wr)
		ret = fz_sys(pwritev2(o->fd, &iov, 1, -1, flags));
	else
		ret = fz_sys(preadv2(o->fd, &iov, 1, -1, flags));
	if (!nowait)
		fz_interrupt_in(0);
	if (wr && !faults && len > o->ch.max_msg && o->end < 0)
		fz_expect_err(c, "write of more than max_msg", ret, EMSGSIZE);
	else
		fz_expect_in(c, wr ? "write of a ring" : "read of a ring", ret, ring_errs);
	if (ret > 0 && (size_t)ret > len)
		fz_violation(c, "%s returned %ld for %zu bytes", wr ? "write" : "read", ret, len);
	if (wr && ret >= 0 && (size_t)ret != len)
		fz_violation(c, "write of one message: %ld of %zu bytes", ret, len);
}

static void rw_other(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];
	int wr = fz_chance(c, 50), faults;
	size_t len = fz_chance(c, 60) ? 8 : fz_interesting(c, 16);
	__u64 n = fz_chance(c, 80) ? 1 + fz_below(c, 3) : fz_interesting(c, ~0U);
	char *buf;
	long ret;

	if (len > FZ_PAGE)
		len = FZ_PAGE;
	buf = rw_buf(c, len, &faults);
	if (wr && !faults && len >= 8)
		memcpy(buf, &n, 8);
	fz_interrupt_in(2 + fz_below(c, 10));
	if (wr)
		ret = fz_sys(write(o->fd, buf, len));
	else
		ret = fz_sys(read(o->fd, buf, len));
	fz_interrupt_in(0);
	if (faults) {
		fz_expect_in(c, "read or write of a sync object", ret, sync_errs);
	} else if (o->type == KIPC_TYPE_SHM) {
		fz_expect_err(c, wr ? "write of shm" : "read of shm", ret, EINVAL);
	} else if (o->type == KIPC_TYPE_SEMAPHORE && len < 8) {
		fz_expect_err(c, wr ? "short write of a semaphore" : "short read of a semaphore",
			      ret, EINVAL);
	} else if (o->type == KIPC_TYPE_SEMAPHORE && wr && !n) {
		fz_expect_err(c, "write of 0 to a semaphore", ret, EINVAL);
	} else {
		fz_expect_in(c, wr ? "write of a sync object" : "read of a sync object", ret,
			     sync_errs);
		if (ret > (long)len)
			fz_violation(c, "%s returned %ld for %zu bytes", wr ? "write" : "read",
				     ret, len);
	}
}

void fz_op_rw(struct fz_ctx *c)
{
	int i = fz_obj_pick(c, 0);

	if (i < 0)
		return;
	if (fz_is_ring(c->objs[i].type))
		rw_ring(c, i);
	else
		rw_other(c, i);
}

void fz_op_poll(struct fz_ctx *c)
{
	struct pollfd pfd[8];
	unsigned int n = 1 + fz_below(c, 8), k;
	struct epoll_event ev[8];
	int ep;
	long ret;

	for (k = 0; k < n; k++) {
		pfd[k].fd = fz_obj_pick_fd(c);
		pfd[k].events = fz_rand(c);
		pfd[k].revents = 0;
	}
	if (fz_chance(c, 50)) {
		ret = fz_sys(poll(pfd, n, fz_below(c, 5)));
		if (ret < 0 && ret != -EINTR)
			fz_violation(c, "poll: %s", strerrorname_np((int)-ret));
		return;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return;
	for (k = 0; k < n; k++) {
		struct epoll_event e = {
			.events = (fz_rand(c) & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP)) |
				  (fz_chance(c, 30) ? EPOLLET : 0) |
				  (fz_chance(c, 20) ? EPOLLONESHOT : 0),
			.data.u64 = k,
		};
		epoll_ctl(ep, EPOLL_CTL_ADD, pfd[k].fd, &e);
	}
	ret = fz_sys(epoll_wait(ep, ev, 8, fz_below(c, 5)));
	if (ret < 0 && ret != -EINTR)
		fz_violation(c, "epoll_wait: %s", strerrorname_np((int)-ret));
	/* an epoll kept open watches the objects until exit */
	if (fz_chance(c, 90))
		close(ep);
}
