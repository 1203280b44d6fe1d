/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tiny interface every message transport of the C ladder implements.
 *
 * A channel is one-way and carries fixed-size messages of c->msg bytes. The
 * parent creates it before fork(); producer and consumer processes inherit
 * it and call send()/recv(), which block until the whole message has been
 * handed over. Adding a transport (kipc-channel, ...) is one t_*.c file and
 * one line in transports.c.
 */
#ifndef KIPC_BENCH_TRANSPORT_H
#define KIPC_BENCH_TRANSPORT_H

#include <stddef.h>

enum {
	T_SPSC = 1,	/* one producer, one consumer (c-throughput, c-latency) */
	T_MPMC = 2,	/* many processes may send and receive on one channel */
	T_BATCH = 4,	/* sends are batched until flush(): no ping-pong */
};

struct chan {
	const struct transport *t;
	size_t msg;		/* message size in bytes */
	int fd[4];		/* descriptors, as the transport likes */
	void *shm;		/* shared mapping, as the transport likes */
	size_t shm_len;
	char name[64];		/* a name in a global namespace (mq) */
};

struct transport {
	const char *name;	/* the impl name in results.json */
	unsigned int flags;	/* T_SPSC | T_MPMC */
	/* Creates the channel for c->msg; 0, or -errno to skip this row. */
	int (*create)(struct chan *c);
	int (*send)(struct chan *c, const void *buf);
	int (*recv)(struct chan *c, void *buf);
	/* T_BATCH: hands over what send() batched; the producer calls it last. */
	void (*flush)(struct chan *c);
	/* Releases everything; called once, in the parent, after the children exit. */
	void (*destroy)(struct chan *c);
};

extern const struct transport *const transports[];

/* kipc-channel's create and destroy, shared with kipc-channel-uring. */
extern const struct transport t_kipc_channel;
int kipc_bench_channel_create(struct chan *c);

/* Creates a channel of `t` for `msg`-byte messages; 0 or -errno. */
int chan_create(struct chan *c, const struct transport *t, size_t msg);

/* Helpers for stream descriptors: move exactly len bytes or die. */
void write_full(int fd, const void *buf, size_t len);
void read_full(int fd, void *buf, size_t len);

#endif
