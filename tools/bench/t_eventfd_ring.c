// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transport "eventfd-shm-ring": the same shared-memory SPSC ring, with the
 * kernel as doorbell. Every put writes the data eventfd (one system call per
 * message); a consumer that finds the ring empty sleeps in read() on it. A
 * producer that finds the ring full announces it and sleeps on a second
 * eventfd, which the consumer writes only when announced.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"
#include "ring.h"
#include "transport.h"

enum { EFD_DATA, EFD_SPACE };

static void efd_signal(int fd)
{
	uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) != sizeof(one)) {
		if (errno != EINTR)
			die("eventfd write");
	}
}

static void efd_wait(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) != sizeof(count)) {
		if (errno != EINTR)
			die("eventfd read");
	}
}

static int ering_create(struct chan *c)
{
	c->fd[EFD_DATA] = eventfd(0, EFD_CLOEXEC);
	c->fd[EFD_SPACE] = eventfd(0, EFD_CLOEXEC);
	if (c->fd[EFD_DATA] < 0 || c->fd[EFD_SPACE] < 0)
		return -errno;
	c->shm_len = ring_bytes(c->msg);
	c->shm = shared_alloc(c->shm_len);
	ring_init(c->shm, c->msg);
	return 0;
}

static int ering_send(struct chan *c, const void *buf)
{
	struct ring *r = c->shm;

	while (!ring_try_put(r, buf)) {
		atomic_store(&r->prod_waiting, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (ring_full(r))
			efd_wait(c->fd[EFD_SPACE]);
		atomic_store(&r->prod_waiting, 0);
	}
	efd_signal(c->fd[EFD_DATA]);
	return 0;
}

static int ering_recv(struct chan *c, void *buf)
{
	struct ring *r = c->shm;

	/* Every put signals after publishing: an empty ring is worth a read(). */
	while (!ring_try_get(r, buf))
		efd_wait(c->fd[EFD_DATA]);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->prod_waiting, memory_order_relaxed) &&
	    atomic_exchange(&r->prod_waiting, 0))
		efd_signal(c->fd[EFD_SPACE]);
	return 0;
}

static void ering_destroy(struct chan *c)
{
	close(c->fd[EFD_DATA]);
	close(c->fd[EFD_SPACE]);
	shared_free(c->shm, c->shm_len);
}

const struct transport t_eventfd_ring = {
	.name = "eventfd-shm-ring",
	.flags = T_SPSC,
	.create = ering_create,
	.send = ering_send,
	.recv = ering_recv,
	.destroy = ering_destroy,
};
