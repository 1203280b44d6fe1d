// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transports "af_unix-stream", "af_unix-seqpacket", "af_unix-dgram": one
 * socketpair(AF_UNIX) with default buffer sizes. Every sender writes on
 * fd[0] and every receiver reads from fd[1]; packet sockets keep message
 * boundaries, so several processes may share an end (MPMC).
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

static int unix_create(struct chan *c, int type)
{
	return socketpair(AF_UNIX, type, 0, c->fd) ? -errno : 0;
}

static int stream_create(struct chan *c)
{
	return unix_create(c, SOCK_STREAM);
}

static int seqpacket_create(struct chan *c)
{
	return unix_create(c, SOCK_SEQPACKET);
}

static int dgram_create(struct chan *c)
{
	return unix_create(c, SOCK_DGRAM);
}

static int stream_send(struct chan *c, const void *buf)
{
	write_full(c->fd[0], buf, c->msg);
	return 0;
}

static int stream_recv(struct chan *c, void *buf)
{
	read_full(c->fd[1], buf, c->msg);
	return 0;
}

static int packet_send(struct chan *c, const void *buf)
{
	for (;;) {
		ssize_t n = send(c->fd[0], buf, c->msg, 0);

		if (n == (ssize_t)c->msg)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EMSGSIZE || errno == ENOBUFS))
			return -errno;
		die("send %zu bytes", c->msg);
	}
}

static int packet_recv(struct chan *c, void *buf)
{
	for (;;) {
		ssize_t n = recv(c->fd[1], buf, c->msg, 0);

		if (n == (ssize_t)c->msg)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		die("recv %zu bytes (got %zd)", c->msg, n);
	}
}

static void unix_destroy(struct chan *c)
{
	close(c->fd[0]);
	close(c->fd[1]);
}

const struct transport t_unix_stream = {
	.name = "af_unix-stream",
	.flags = T_SPSC,
	.create = stream_create,
	.send = stream_send,
	.recv = stream_recv,
	.destroy = unix_destroy,
};

const struct transport t_unix_seqpacket = {
	.name = "af_unix-seqpacket",
	.flags = T_SPSC | T_MPMC,
	.create = seqpacket_create,
	.send = packet_send,
	.recv = packet_recv,
	.destroy = unix_destroy,
};

const struct transport t_unix_dgram = {
	.name = "af_unix-dgram",
	.flags = T_MPMC,
	.create = dgram_create,
	.send = packet_send,
	.recv = packet_recv,
	.destroy = unix_destroy,
};
