/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A single-producer single-consumer ring of fixed-size slots in shared
 * memory, with no kernel help: head and tail are free-running 64-bit
 * counters, each on its own cache line. The two ring transports share it
 * and differ only in how a side that must wait sleeps and is woken.
 */
#ifndef KIPC_BENCH_RING_H
#define KIPC_BENCH_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define RING_LINE 64

struct ring {
	/* Written by the consumer. */
	_Alignas(RING_LINE) _Atomic uint64_t head;
	/* Written by the producer. */
	_Alignas(RING_LINE) _Atomic uint64_t tail;
	/* The consumer sleeps on cons_seq after setting cons_waiting. */
	_Alignas(RING_LINE) _Atomic uint32_t cons_waiting;
	_Atomic uint32_t cons_seq;
	/* The producer sleeps on prod_seq after setting prod_waiting. */
	_Alignas(RING_LINE) _Atomic uint32_t prod_waiting;
	_Atomic uint32_t prod_seq;
	_Alignas(RING_LINE) uint32_t slots;	/* a power of two */
	uint32_t slot_size;	/* msg rounded up to a cache line */
	uint32_t msg;
	_Alignas(RING_LINE) unsigned char data[];
};

/* Bytes of shared memory for a ring of `msg`-byte messages. */
size_t ring_bytes(size_t msg);
void ring_init(struct ring *r, size_t msg);

static inline int ring_empty(struct ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_acquire) ==
	       atomic_load_explicit(&r->head, memory_order_relaxed);
}

static inline int ring_full(struct ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed) -
	       atomic_load_explicit(&r->head, memory_order_acquire) >= r->slots;
}

/* Copy one message in or out; 0 when the ring was full or empty. */
int ring_try_put(struct ring *r, const void *buf);
int ring_try_get(struct ring *r, void *buf);

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
