// SPDX-License-Identifier: GPL-2.0-only
/* Transport "pipe": an anonymous pipe (default 64 KiB buffer). */
#include <errno.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

static int pipe_create(struct chan *c)
{
	return pipe(c->fd) ? -errno : 0;
}

static int pipe_send(struct chan *c, const void *buf)
{
	write_full(c->fd[1], buf, c->msg);
	return 0;
}

static int pipe_recv(struct chan *c, void *buf)
{
	read_full(c->fd[0], buf, c->msg);
	return 0;
}

static void pipe_destroy(struct chan *c)
{
	close(c->fd[0]);
	close(c->fd[1]);
}

const struct transport t_pipe = {
	.name = "pipe",
	.flags = T_SPSC,
	.create = pipe_create,
	.send = pipe_send,
	.recv = pipe_recv,
	.destroy = pipe_destroy,
};
