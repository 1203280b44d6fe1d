// SPDX-License-Identifier: GPL-2.0-only
/* The table of transports of the C ladder, and helpers they share. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "transport.h"

extern const struct transport t_pipe, t_unix_stream, t_unix_seqpacket,
	t_unix_dgram, t_posix_mq, t_eventfd_ring, t_shm_ring_futex,
	t_kipc_channel_uring;

/* Order = order of the rows. Add kipc transports here. */
const struct transport *const transports[] = {
	&t_pipe,
	&t_unix_stream,
	&t_unix_seqpacket,
	&t_unix_dgram,
	&t_posix_mq,
	&t_eventfd_ring,
	&t_shm_ring_futex,
	&t_kipc_channel,
	&t_kipc_channel_uring,
	NULL,
};

int chan_create(struct chan *c, const struct transport *t, size_t msg)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 4; i++)
		c->fd[i] = -1;
	c->t = t;
	c->msg = msg;
	return t->create(c);
}

void write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += n;
		len -= (size_t)n;
	}
}

void read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (n == 0)
			die("read: unexpected end of stream");
		p += n;
		len -= (size_t)n;
	}
}
