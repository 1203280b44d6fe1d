// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transport "kipc-channel-uring": the kipc-channel geometry, with messages
 * moved by io_uring batch commands (KIPC_URING_CHANNEL_PUT_MANY and
 * GET_MANY, Documentation/uring.rst): up to KU_BATCH messages per
 * io_uring_enter each way. send() copies into a batch and submits it when
 * full (flush() submits the rest); recv() takes whatever the channel holds,
 * up to a batch, and hands it out one by one. A batch completes with how
 * many messages went (at least one), so a partial one is resubmitted from
 * where it stopped.
 *
 * Throughput only (T_BATCH): a ping-pong would wait for a batch to fill.
 * Each process makes its own ring after fork(); a ring is never shared.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <libipc.h>
#include <libipc-uring.h>

#include "bench.h"
#include "transport.h"

#define KU_BATCH	16u	/* divides every message count of the ladder */

/* This process's side of the channel. */
static struct {
	pid_t pid;
	struct io_uring ring;
	unsigned char *buf;	/* KU_BATCH messages */
	struct iovec iov[KU_BATCH];
	unsigned int n;		/* send: messages batched; recv: received */
	unsigned int next;	/* recv: the next one to hand out */
} ku;

static void ku_setup(struct chan *c)
{
	int err;

	if (ku.pid == getpid())
		return;
	err = io_uring_queue_init(8, &ku.ring, 0);
	if (err) {
		errno = -err;
		die("io_uring_queue_init");
	}
	ku.buf = malloc(KU_BATCH * c->msg);
	if (!ku.buf)
		die("malloc");
	ku.pid = getpid();
	ku.n = ku.next = 0;
}

/* Submit one batch command over iov[from..to) and return its result. */
static int ku_batch(struct chan *c, bool put, unsigned int from,
		    unsigned int to)
{
	struct kipc_uring_batch b;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fd = kipc_channel_fd(c->shm), ret;

	kipc_uring_batch_init(&b, &ku.iov[from], to - from);
	sqe = io_uring_get_sqe(&ku.ring);
	if (put)
		kipc_prep_channel_put_many(sqe, fd, &b, KIPC_URING_NO_DEADLINE);
	else
		kipc_prep_channel_get_many(sqe, fd, &b, KIPC_URING_NO_DEADLINE);
	do
		ret = io_uring_submit_and_wait(&ku.ring, 1);
	while (ret == -EINTR);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_submit_and_wait");
	}
	if (io_uring_peek_cqe(&ku.ring, &cqe))
		die("no completion");
	ret = cqe->res;
	io_uring_cqe_seen(&ku.ring, cqe);
	if (ret <= 0) {
		errno = -ret;
		die(put ? "channel put_many" : "channel get_many");
	}
	return ret;
}

static void ku_flush(struct chan *c)
{
	unsigned int done = 0;

	ku_setup(c);
	while (done < ku.n)
		done += ku_batch(c, true, done, ku.n);
	ku.n = 0;
}

static int ku_send(struct chan *c, const void *msg)
{
	ku_setup(c);
	memcpy(ku.buf + ku.n * c->msg, msg, c->msg);
	ku.iov[ku.n].iov_base = ku.buf + ku.n * c->msg;
	ku.iov[ku.n].iov_len = c->msg;
	if (++ku.n == KU_BATCH)
		ku_flush(c);
	return 0;
}

static int ku_recv(struct chan *c, void *msg)
{
	unsigned int i;

	ku_setup(c);
	if (ku.next == ku.n) {
		for (i = 0; i < KU_BATCH; i++) {
			ku.iov[i].iov_base = ku.buf + i * c->msg;
			ku.iov[i].iov_len = c->msg;
		}
		ku.n = ku_batch(c, false, 0, KU_BATCH);
		ku.next = 0;
	}
	if (ku.iov[ku.next].iov_len != c->msg)
		die("get_many: %zu bytes, expected %zu",
		    ku.iov[ku.next].iov_len, c->msg);
	memcpy(msg, ku.iov[ku.next].iov_base, c->msg);
	ku.next++;
	return 0;
}

static void ku_destroy(struct chan *c)
{
	t_kipc_channel.destroy(c);
}

const struct transport t_kipc_channel_uring = {
	.name = "kipc-channel-uring",
	.flags = T_SPSC | T_BATCH,
	.create = kipc_bench_channel_create,
	.send = ku_send,
	.recv = ku_recv,
	.flush = ku_flush,
	.destroy = ku_destroy,
};
