/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the io_uring tests share: reaping one completion with a bound.
 */
#ifndef KIPC_URING_TEST_H
#define KIPC_URING_TEST_H

#include <stdbool.h>
#include <liburing.h>

/* A result no command returns: the wait for a completion timed out. */
#define KT_NO_CQE	1000000

/* The next completion within @ms: its res, with *data its user_data. */
static inline int kt_next_res(struct io_uring *r, int ms, __u64 *data)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000LL
	};
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(r, &cqe, &ts);
	if (ret)
		return KT_NO_CQE + -ret;
	ret = cqe->res;
	if (data)
		*data = cqe->user_data;
	io_uring_cqe_seen(r, cqe);
	return ret;
}

/* No completion is waiting. */
static inline bool kt_none_ready(struct io_uring *r)
{
	struct io_uring_cqe *cqe;

	return io_uring_peek_cqe(r, &cqe) == -EAGAIN;
}

#endif /* KIPC_URING_TEST_H */
