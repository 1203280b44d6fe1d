// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transport "shm-ring-futex": the shared-memory SPSC ring with futex
 * wake-ups and no other kernel help. A put or get that finds room or data
 * makes no system call. A side that must wait spins briefly, then announces
 * itself (a *_waiting flag), re-checks, and sleeps in FUTEX_WAIT on a
 * sequence word; the other side wakes it only when the flag was set. This
 * is the reference kipc's channel fast path must come within 1.25x of.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "ring.h"
#include "transport.h"

/* Re-checks before sleeping; KIPC_BENCH_SPIN overrides. */
#define DEFAULT_SPIN 100

static int spin_count(void)
{
	static int spin = -1;

	if (spin < 0) {
		const char *s = getenv("KIPC_BENCH_SPIN");

		spin = s ? atoi(s) : DEFAULT_SPIN;
	}
	return spin;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0) &&
	    errno != EAGAIN && errno != EINTR)
		die("futex wait");
}

static void futex_wake(_Atomic uint32_t *word)
{
	if (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
		die("futex wake");
}

/* Sleeps until `ready(r)` may be true; the caller re-checks. */
static void wait_for(struct ring *r, int (*blocked)(struct ring *),
		     _Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	for (int i = spin_count(); i > 0; i--) {
		if (!blocked(r))
			return;
		cpu_relax();
	}
	uint32_t s = atomic_load(seq);

	atomic_store(waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	if (blocked(r))
		futex_wait(seq, s);
	atomic_store_explicit(waiting, 0, memory_order_relaxed);
}

/* After publishing, wakes the other side if it announced it sleeps. */
static void wake(_Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(waiting, memory_order_relaxed) &&
	    atomic_exchange(waiting, 0)) {
		atomic_fetch_add(seq, 1);
		futex_wake(seq);
	}
}

static int fring_create(struct chan *c)
{
	c->shm_len = ring_bytes(c->msg);
	c->shm = shared_alloc(c->shm_len);
	ring_init(c->shm, c->msg);
	return 0;
}

static int fring_send(struct chan *c, const void *buf)
{
	struct ring *r = c->shm;

	while (!ring_try_put(r, buf))
		wait_for(r, ring_full, &r->prod_waiting, &r->prod_seq);
	wake(&r->cons_waiting, &r->cons_seq);
	return 0;
}

static int fring_recv(struct chan *c, void *buf)
{
	struct ring *r = c->shm;

	while (!ring_try_get(r, buf))
		wait_for(r, ring_empty, &r->cons_waiting, &r->cons_seq);
	wake(&r->prod_waiting, &r->prod_seq);
	return 0;
}

static void fring_destroy(struct chan *c)
{
	shared_free(c->shm, c->shm_len);
}

const struct transport t_shm_ring_futex = {
	.name = "shm-ring-futex",
	.flags = T_SPSC,
	.create = fring_create,
	.send = fring_send,
	.recv = fring_recv,
	.destroy = fring_destroy,
};
