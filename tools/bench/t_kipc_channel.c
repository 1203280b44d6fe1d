// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transport "kipc-channel": an anonymous kipc channel, copying blocking
 * put/get through libipc (kipc_channel_put/get, KIPC_NO_DEADLINE).
 *
 * Geometry mirrors the reference rings of ring.c so that kipc-channel and
 * shm-ring-futex compare like for like: the slot holds one message
 * (rounded up to 8 bytes) and there are 4 to 4,096 slots of about 64 KiB in
 * total. max_msg is the message size, so a message larger than the slot
 * (none here unless KIPC_BENCH_SLOT caps the slot size) takes the kernel's
 * large-message path by itself. The channel is multi-producer
 * multi-consumer, hence T_MPMC as well.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <libipc.h>

#include "bench.h"
#include "transport.h"

/* About 64 KiB of slots, like a pipe's buffer and ring.c. */
#define KC_DATA_BYTES	65536u
#define KC_MIN_SLOTS	4u
#define KC_MAX_SLOTS	4096u

static size_t kc_slot_size(size_t msg)
{
	size_t slot = (msg + 7) & ~(size_t)7;
	const char *s = getenv("KIPC_BENCH_SLOT");

	if (s && atol(s) >= 8) {
		size_t cap = (size_t)atol(s) & ~(size_t)7;

		if (slot > cap)
			slot = cap;
	}
	if (slot < 8)
		slot = 8;
	if (slot > KIPC_CHANNEL_MAX_SLOT)
		slot = KIPC_CHANNEL_MAX_SLOT;
	return slot;
}

static __u32 kc_capacity(size_t slot)
{
	__u32 n = KC_MIN_SLOTS;

	while (n < KC_MAX_SLOTS && (size_t)n * 2 * slot <= KC_DATA_BYTES)
		n *= 2;
	return n;
}

int kipc_bench_channel_create(struct chan *c)
{
	struct kipc_channel_params p = { 0 };
	struct kipc_channel *ch;
	int fd, err;

	if (c->msg > KIPC_CHANNEL_MAX_MSG)
		return -EMSGSIZE;
	p.slot_size = (__u32)kc_slot_size(c->msg);
	p.capacity = kc_capacity(p.slot_size);
	p.max_msg = c->msg > p.slot_size ? c->msg : 0;
	fd = kipc_channel_create(NULL, &p, 0, 0);
	if (fd < 0)
		return fd;
	err = kipc_channel_attach(fd, &ch);
	if (err < 0) {
		close(fd);
		return err;
	}
	c->shm = ch;	/* process-local handle, inherited by fork() */
	return 0;
}

static int kc_send(struct chan *c, const void *buf)
{
	int err;

	do
		err = kipc_channel_put(c->shm, buf, c->msg, KIPC_NO_DEADLINE);
	while (err == -EINTR);
	if (err < 0) {
		errno = -err;
		die("kipc_channel_put");
	}
	return 0;
}

static int kc_recv(struct chan *c, void *buf)
{
	ssize_t n;

	do
		n = kipc_channel_get(c->shm, buf, c->msg, KIPC_NO_DEADLINE);
	while (n == -EINTR);
	if (n < 0) {
		errno = (int)-n;
		die("kipc_channel_get");
	}
	if ((size_t)n != c->msg)
		die("kipc_channel_get: %zd bytes, expected %zu", n, c->msg);
	return 0;
}

static void kc_destroy(struct chan *c)
{
	kipc_channel_close(c->shm);
	c->shm = NULL;
}

const struct transport t_kipc_channel = {
	.name = "kipc-channel",
	.flags = T_SPSC | T_MPMC,
	.create = kipc_bench_channel_create,
	.send = kc_send,
	.recv = kc_recv,
	.destroy = kc_destroy,
};
