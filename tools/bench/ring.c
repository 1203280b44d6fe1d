// SPDX-License-Identifier: GPL-2.0-only
/* The shared-memory SPSC ring; see ring.h. */
#include <string.h>

#include "ring.h"

/* About 64 KiB of slots, like a pipe's default buffer; 4 to 4096 slots. */
#define RING_DATA_BYTES (64 * 1024)

static uint32_t ring_slots(size_t msg)
{
	uint32_t n = 4;

	while (n < 4096 && (size_t)n * 2 * msg <= RING_DATA_BYTES)
		n *= 2;
	return n;
}

static size_t slot_bytes(size_t msg)
{
	return (msg + RING_LINE - 1) / RING_LINE * RING_LINE;
}

size_t ring_bytes(size_t msg)
{
	return sizeof(struct ring) + ring_slots(msg) * slot_bytes(msg);
}

void ring_init(struct ring *r, size_t msg)
{
	memset(r, 0, sizeof(*r));
	r->slots = ring_slots(msg);
	r->slot_size = (uint32_t)slot_bytes(msg);
	r->msg = (uint32_t)msg;
}

int ring_try_put(struct ring *r, const void *buf)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&r->head, memory_order_acquire) >= r->slots)
		return 0;
	memcpy(r->data + (t & (r->slots - 1)) * r->slot_size, buf, r->msg);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 1;
}

int ring_try_get(struct ring *r, void *buf)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (atomic_load_explicit(&r->tail, memory_order_acquire) == h)
		return 0;
	memcpy(buf, r->data + (h & (r->slots - 1)) * r->slot_size, r->msg);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 1;
}
