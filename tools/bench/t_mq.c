// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transport "posix-mq": a POSIX message queue of 10 messages (the default
 * /proc/sys/fs/mqueue/msg_max). Messages larger than msgsize_max are
 * skipped; tools/bench/run-all raises msgsize_max in the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

#define MQ_DEPTH 10

static int mq_create(struct chan *c)
{
	static unsigned int seq;
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH, .mq_msgsize = (long)c->msg };
	mqd_t q;

	snprintf(c->name, sizeof(c->name), "/kipc-bench-%d-%u", (int)getpid(), seq++);
	q = mq_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1)
		return -errno;
	mq_unlink(c->name);
	c->fd[0] = q;
	return 0;
}

static int mq_send_msg(struct chan *c, const void *buf)
{
	while (mq_send(c->fd[0], buf, c->msg, 0)) {
		if (errno != EINTR)
			die("mq_send");
	}
	return 0;
}

static int mq_recv_msg(struct chan *c, void *buf)
{
	for (;;) {
		ssize_t n = mq_receive(c->fd[0], buf, c->msg, NULL);

		if (n == (ssize_t)c->msg)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		die("mq_receive (got %zd)", n);
	}
}

static void mq_destroy(struct chan *c)
{
	mq_close(c->fd[0]);
}

const struct transport t_posix_mq = {
	.name = "posix-mq",
	.flags = T_SPSC | T_MPMC,
	.create = mq_create,
	.send = mq_send_msg,
	.recv = mq_recv_msg,
	.destroy = mq_destroy,
};
