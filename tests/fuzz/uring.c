// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring: kipc commands (IORING_OP_URING_CMD) with random operations,
 * flags and command bytes; READ, WRITE and POLL_ADD on objects; cancels;
 * SQPOLL and SQE128 rings; rings closed or abandoned with requests pending.
 * One command per ring checks a documented error: reserved cmd_op bits
 * (EINVAL), unknown operations (EOPNOTSUPP), deadline and NOWAIT together
 * (EINVAL), a deadline without the flag (EINVAL), shared memory (EOPNOTSUPP).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <liburing.h>

#include <libipc-uring.h>

#include "fuzz.h"

#define RING_ENTRIES	16

/* user_data of a command whose result is a contract */
#define UD_CHECK	(1ULL << 62)

struct check {
	int want;
	const char *what;
};

static void random_cmd(struct fz_ctx *c, struct io_uring_sqe *sqe, int i, char *bufs)
{
	struct fz_obj *o = &c->objs[i];
	static __thread struct iovec iov[4];
	static __thread struct kipc_uring_batch batch;
	__u32 op = 1 + fz_below(c, 6);
	__u64 arg = 0, dl = KIPC_URING_NO_DEADLINE;
	int k;

	if (fz_is_ring(o->type))
		op = KIPC_URING_CHANNEL_PUT + fz_below(c, 4);
	if (fz_chance(c, 10))
		op = fz_below(c, 256);
	for (k = 0; k < 4; k++) {
		iov[k].iov_base = bufs + k * 512;
		iov[k].iov_len = fz_below(c, 512);
		if (!(c->skip & FZ_SKIP_LARGE) && fz_chance(c, 10))
			iov[k].iov_len = fz_below(c, 4 * 512 - k * 512);
		if ((c->skip & FZ_SKIP_LARGE) && fz_is_ring(o->type) &&
		    iov[k].iov_len > o->ch.slot_size)
			iov[k].iov_len = o->ch.slot_size;
	}
	switch (op) {
	case KIPC_URING_SEM_RELEASE: arg = 1 + fz_below(c, 2); break;
	case KIPC_URING_LOCK_ACQUIRE: case KIPC_URING_LOCK_RELEASE:
		for (k = 0; k < FZ_MAX_MAPS; k++)
			if (c->maps[k].addr && c->maps[k].obj == i)
				arg = (__u64)(uintptr_t)c->maps[k].addr;
		break;
	case KIPC_URING_CHANNEL_PUT: case KIPC_URING_CHANNEL_GET:
		arg = (__u64)(uintptr_t)&iov[0];
		break;
	case KIPC_URING_CHANNEL_PUT_MANY: case KIPC_URING_CHANNEL_GET_MANY:
		kipc_uring_batch_init(&batch, iov, 1 + fz_below(c, 4));
		arg = (__u64)(uintptr_t)&batch;
		break;
	default: break;
	}
	if (fz_chance(c, 60))
		dl = fz_now_ns() + fz_below(c, 30) * 1000000ULL;
	if (fz_chance(c, 10))
		arg = fz_chance(c, 50) ? fz_rand(c) : (__u64)(uintptr_t)fz_badptr2(c, 16, 1);
	kipc_prep_cmd(sqe, o->fd, op, dl, arg);
	if (dl == KIPC_URING_NO_DEADLINE && fz_chance(c, 50))
		sqe->cmd_op |= KIPC_URING_F_NOWAIT;
	if (fz_chance(c, 5))
		fz_fill(c, sqe->cmd, 16);
	if (fz_chance(c, 3))
		sqe->cmd_op = fz_rand(c);
}

/* A command whose result is documented; *ck says which. */
static void check_cmd(struct fz_ctx *c, struct io_uring_sqe *sqe, int i, struct check *ck)
{
	struct fz_obj *o = &c->objs[i];
	int op;

	if (o->type == KIPC_TYPE_SHM) {
		kipc_prep_cmd(sqe, o->fd, 1 + fz_below(c, 6), KIPC_URING_NO_DEADLINE, 0);
		ck->want = EOPNOTSUPP;
		ck->what = "uring_cmd on shared memory";
		return;
	}
	op = o->type == KIPC_TYPE_SEMAPHORE ? KIPC_URING_SEM_ACQUIRE :
	     o->type == KIPC_TYPE_EVENT ? KIPC_URING_EVENT_WAIT :
	     fz_is_ring(o->type) ? KIPC_URING_CHANNEL_GET : 0;
	switch (op ? fz_below(c, 4) : 0) {
	case 0:
		kipc_prep_cmd(sqe, o->fd, fz_chance(c, 30) ? 0 : 20 + fz_below(c, 236),
			      KIPC_URING_NO_DEADLINE, 0);
		ck->want = EOPNOTSUPP;
		ck->what = "unknown uring_cmd operation";
		break;
	case 1:
		kipc_prep_cmd(sqe, o->fd, op | KIPC_URING_F_NOWAIT, KIPC_URING_NO_DEADLINE, 0);
		sqe->cmd_op |= 1U << (10 + fz_below(c, 22));
		ck->want = EINVAL;
		ck->what = "uring_cmd with a reserved cmd_op bit";
		break;
	case 2:
		kipc_prep_cmd(sqe, o->fd, op | KIPC_URING_F_NOWAIT, fz_now_ns() + 1000000000ULL, 0);
		ck->want = EINVAL;
		ck->what = "uring_cmd with DEADLINE and NOWAIT";
		break;
	default:
		kipc_prep_cmd(sqe, o->fd, op | KIPC_URING_F_NOWAIT, KIPC_URING_NO_DEADLINE, 0);
		sqe->addr3 = 1 + fz_below(c, 1000);	/* deadline_ns without the flag */
		ck->want = EINVAL;
		ck->what = "uring_cmd with a deadline but no DEADLINE flag";
		break;
	}
	if (fz_is_ring(o->type)) {
		static __thread struct iovec iov;

		iov.iov_base = c->scratch;
		iov.iov_len = 8;
		sqe->__pad2[0] = (__u64)(uintptr_t)&iov;	/* a valid arg */
	}
}

void fz_op_uring(struct fz_ctx *c)
{
	struct io_uring_params p;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	struct check ck = { 0 };
	char *bufs = c->scratch;	/* 2 pages: 4 iovecs of up to 2 KiB */
	unsigned int n, k, got = 0;
	int ret, sqpoll = 0, pending_exit;

	memset(&p, 0, sizeof(p));
	if (!(c->skip & FZ_SKIP_SQPOLL) && fz_chance(c, 15)) {
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1 + fz_below(c, 50);
		sqpoll = 1;
	}
	if (fz_chance(c, 30))
		p.flags |= IORING_SETUP_SQE128;
	ret = io_uring_queue_init_params(RING_ENTRIES, &ring, &p);
	if (ret)
		return;
	n = 1 + fz_below(c, RING_ENTRIES - 1);
	for (k = 0; k < n; k++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		int i = fz_obj_pick(c, 0);

		if (!sqe || i < 0)
			break;
		switch (fz_below(c, 10)) {
		case 0:
			if (!ck.what && !(p.flags & IORING_SETUP_SQE128) && !sqpoll) {
				check_cmd(c, sqe, i, &ck);
				sqe->user_data = UD_CHECK;
				continue;
			}
			/* fall through */
		case 1: case 2: case 3: case 4:
			random_cmd(c, sqe, i, bufs);
			if ((p.flags & IORING_SETUP_SQE128) && fz_chance(c, 20))
				fz_fill(c, sqe->cmd + 16, 64);
			break;
		case 5:
			if (fz_is_ring(c->objs[i].type) && (c->skip & FZ_SKIP_RW_BLOCK))
				io_uring_prep_poll_add(sqe, c->objs[i].fd, POLLIN);
			else if (fz_is_ring(c->objs[i].type) && (c->skip & FZ_SKIP_LARGE))
				io_uring_prep_read(sqe, c->objs[i].fd, bufs,
						   c->objs[i].ch.slot_size, 0);
			else
				io_uring_prep_read(sqe, c->objs[i].fd, bufs, fz_below(c, 2 * FZ_PAGE), 0);
			break;
		case 6: {
			size_t len = fz_below(c, 2 * FZ_PAGE);

			if (fz_is_ring(c->objs[i].type) && (c->skip & FZ_SKIP_LARGE))
				len = fz_below(c, c->objs[i].ch.slot_size + 1);
			if (c->objs[i].type == KIPC_TYPE_SEMAPHORE) {
				len = 8;
				memset(bufs, 0, 8);
				bufs[0] = 1;
			}
			/* io_uring may run it blocking in io-wq: the rw-block bug */
			if (fz_is_ring(c->objs[i].type) && (c->skip & FZ_SKIP_RW_BLOCK))
				io_uring_prep_poll_add(sqe, c->objs[i].fd, POLLOUT);
			else
				io_uring_prep_write(sqe, c->objs[i].fd, bufs, len, 0);
			break;
		}
		case 7:
			io_uring_prep_poll_add(sqe, c->objs[i].fd, fz_rand(c) & 0xffff);
			break;
		case 8:
			io_uring_prep_cancel64(sqe, fz_below(c, k + 1), fz_chance(c, 30) ?
					       IORING_ASYNC_CANCEL_ALL : 0);
			break;
		default:
			io_uring_prep_cancel_fd(sqe, c->objs[i].fd, IORING_ASYNC_CANCEL_ALL);
			break;
		}
		sqe->user_data = k;
		if (!fz_is_ring(c->objs[i].type) || !(c->skip & FZ_SKIP_RW_BLOCK))
			if (fz_chance(c, 5))
				sqe->flags |= IOSQE_ASYNC;
	}
	ret = io_uring_submit(&ring);
	if (ret < 0 && ret != -EBUSY && ret != -EINTR && ret != -EAGAIN)
		fz_violation(c, "io_uring_submit: %s", strerrorname_np(-ret));
	pending_exit = fz_chance(c, 25);	/* close (or exit) with requests pending */
	while (!pending_exit && got < k) {
		ts.tv_sec = 0;
		ts.tv_nsec = 40 * 1000000L;
		ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
		if (ret)
			break;
		if (cqe->user_data == UD_CHECK) {
			if (cqe->res != -ck.want)
				fz_violation(c, "%s: res %d, expected -%s", ck.what, cqe->res,
					     strerrorname_np(ck.want));
		}
		io_uring_cqe_seen(&ring, cqe);
		got++;
	}
	if (fz_chance(c, 10) && !sqpoll)
		return;	/* leak the ring: it goes at exit, maybe by SIGKILL */
	io_uring_queue_exit(&ring);
}
