/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The kipc channel ring: a bounded multi-producer multi-consumer queue of
 * fixed-size slots in memory shared by the driver and every process that maps
 * the channel. Compiled into kipc.ko and into libipc, so that the kernel's
 * read/write/poll paths and the recovery after a process dies follow exactly
 * the protocol of the userspace fast paths.
 *
 * Rules that hold for every function here:
 *  - The ring memory is hostile: any process may write any bytes to it at any
 *    time. Geometry (capacity, slot size) comes from struct kipc_ring_view,
 *    which lives in private memory and is trusted; every position read from
 *    the ring is masked with it, every length is checked against it, and
 *    every loop is bounded.
 *  - A slot is claimed by a compare-and-swap of its state word that records
 *    the claimer's owner id, so a claim left behind by a killed process is
 *    attributable and kipc_ring_recover() can undo it.
 *  - Functions return 0 or a negative errno; nothing sleeps.
 *
 * Documentation/channel-ring.rst describes the protocol and why it is safe.
 * Not installed: an internal header of the kipc source tree.
 */
#ifndef _KIPC_RING_H
#define _KIPC_RING_H

#include <linux/types.h>
#include <kipc/atomic.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
/* The kernel's names for the fixed-width types, so the code reads the same. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
#endif

#define KIPC_RING_MAGIC		0x4b52494eU	/* "KRIN" */
#define KIPC_RING_VERSION	1

/* Geometry limits: capacity is a power of two, the slot size a multiple of 8. */
#define KIPC_RING_MIN_CAPACITY	1U
#define KIPC_RING_MAX_CAPACITY	0x100000U
#define KIPC_RING_MIN_SLOT	8U	/* room for an indirect handle */
#define KIPC_RING_MAX_SLOT	0x100000U

/* Owner ids: 1..0xfffe are processes, 0xffff the kernel itself, 0 nobody. */
#define KIPC_RING_OWNER_NONE	0
#define KIPC_RING_OWNER_KERNEL	0xffffU

/* struct kipc_ring_hdr.closed: a pipe's end that put or got is gone. */
#define KIPC_RING_CLOSED_WRITER	0x1
#define KIPC_RING_CLOSED_READER	0x2

/* Record types, in struct kipc_ring_slot.type. */
#define KIPC_RING_REC_INLINE	1	/* @len bytes of payload in the slot */
#define KIPC_RING_REC_INDIRECT	2	/* payload: a __u64 kernel handle */

/* Flags of kipc_ring_get_claim(). */
#define KIPC_RING_TAKE_INDIRECT	0x1	/* claim indirect records too */
#define KIPC_RING_PEEK		0x2	/* look only: see kipc_ring_peek() */

/* Wake mask returned by kipc_ring_abort() and in kipc_ring_recovery. */
#define KIPC_RING_WAKE_GET	0x1	/* wake sleepers on put_seq */
#define KIPC_RING_WAKE_PUT	0x2	/* wake sleepers on get_seq */

/*
 * Retries of a try operation before it gives up with -EAGAIN. Each retry
 * means another party made progress, so only a hostile writer or extreme
 * contention ever reaches the bound.
 */
#define KIPC_RING_SPIN		256

/*
 * Attempts in a row that a blocking put or get may make, each failing with
 * -EAGAIN without sleeping and without the ring moving on, before it
 * reports the ring corrupt (-EIO): see kipc_ring_spun().
 */
#define KIPC_RING_ROUNDS	1024

/*
 * Slot state word: position (46 bits) | phase (2 bits) | owner (16 bits).
 * The position is the ring position modulo 2^46; comparisons are modular.
 */
#define KIPC_RING_POS_BITS	46
#define KIPC_RING_POS_SHIFT	18
#define KIPC_RING_POS_MASK	((1ULL << KIPC_RING_POS_BITS) - 1)
#define KIPC_RING_PHASE_SHIFT	16

#define KIPC_RING_FREE		0	/* free for the producer at pos */
#define KIPC_RING_WRITING	1	/* claimed at pos by owner, being filled */
#define KIPC_RING_READY		2	/* published at pos, owner 0 */
#define KIPC_RING_READING	3	/* taken at pos by consumer owner */

/**
 * struct kipc_ring_hdr - the shared header, 256 bytes at offset 0
 * @magic:       KIPC_RING_MAGIC
 * @version:     KIPC_RING_VERSION
 * @capacity:    number of slots (informational: never trusted)
 * @slot_size:   inline payload bytes per slot (informational)
 * @slot_stride: bytes from one slot to the next (informational)
 * @hdr_size:    offset of slot 0 (informational)
 * @flags:       zero
 * @closed:      KIPC_RING_CLOSED_* bits, written by the kernel only when a
 *               pipe's end goes away (never trusted by the kernel itself)
 * @tail:        next position a producer claims (a hint that lags, helped)
 * @put_seq:     event count, bumped after a publish when consumers sleep
 * @get_waiters: consumers sleeping on @put_seq, maintained by the kernel
 * @head:        next position a consumer takes (a hint that lags, helped)
 * @get_seq:     event count, bumped after a slot is freed if producers sleep
 * @put_waiters: producers sleeping on @get_seq, maintained by the kernel
 * @dropped:     messages lost because their consumer died holding them
 * @discarded:   claims dropped because their producer died or aborted
 *
 * Producer-side and consumer-side fields live on separate cache lines. The
 * statistics are written by recovery only and are informational.
 */
struct kipc_ring_hdr {
	/* Line 0: identity and geometry, written once by kipc_ring_init(). */
	u32 magic;
	u32 version;
	u32 capacity;
	u32 slot_size;
	u32 slot_stride;
	u32 hdr_size;
	u32 flags;
	u32 closed;
	u64 reserved1[4];
	/* Line 1: producers. */
	u64 tail;
	u32 put_seq;
	u32 get_waiters;
	u64 reserved2[6];
	/* Line 2: consumers. */
	u64 head;
	u32 get_seq;
	u32 put_waiters;
	u64 reserved3[6];
	/* Line 3: statistics. */
	u64 dropped;
	u64 discarded;
	u64 reserved4[6];
};

/**
 * struct kipc_ring_slot - one slot; the payload follows the 16-byte header
 * @state: position, phase and owner (see KIPC_RING_POS_SHIFT)
 * @len:   message length in bytes (inline: at most the slot size)
 * @type:  KIPC_RING_REC_*
 * @data:  payload, slot_size bytes; an indirect record holds a __u64 handle
 */
struct kipc_ring_slot {
	u64 state;
	u32 len;
	u32 type;
	u8 data[];
};

#define KIPC_RING_HDR_SIZE	256U
#define KIPC_RING_SLOT_HDR	16U

static_assert(sizeof(struct kipc_ring_hdr) == KIPC_RING_HDR_SIZE, "ring header");
static_assert(sizeof(struct kipc_ring_slot) == KIPC_RING_SLOT_HDR, "slot header");

/**
 * struct kipc_ring_view - trusted description of a ring, in private memory
 * @base:      start of the shared memory (the struct kipc_ring_hdr)
 * @capacity:  number of slots, a power of two
 * @slot_size: inline payload bytes per slot, a multiple of 8
 *
 * The kernel fills it from the creation parameters; userspace from what the
 * kernel reported, after kipc_ring_check_header() agreed.
 */
struct kipc_ring_view {
	void *base;
	u32 capacity;
	u32 slot_size;
};

/**
 * struct kipc_ring_cookie - a producer's claim, in private memory
 * @data:  where to write the payload (slot_size bytes)
 * @pos:   the claimed position
 * @len:   bytes to publish; kipc_ring_claim() sets the requested length, the
 *         producer may change it (up to slot_size) before kipc_ring_commit()
 * @owner: the claimer
 */
struct kipc_ring_cookie {
	void *data;
	u64 pos;
	u32 len;
	u16 owner;
};

/**
 * struct kipc_ring_msg - a consumer's claim, in private memory
 * @data:   the payload in the slot (valid until kipc_ring_get_release())
 * @pos:    the claimed position
 * @handle: the handle of an indirect record, else 0
 * @len:    message length (inline: at most slot_size; indirect: unchecked)
 * @type:   KIPC_RING_REC_INLINE or KIPC_RING_REC_INDIRECT
 * @owner:  the claimer
 */
struct kipc_ring_msg {
	const void *data;
	u64 pos;
	u64 handle;
	u32 len;
	u32 type;
	u16 owner;
};

/**
 * struct kipc_ring_recovery - outcome of kipc_ring_recover()
 * @drop_indirect: in, may be NULL: called for each indirect record the dead
 *                 consumer held, so the kernel can free its buffer
 * @arg:           in: passed to @drop_indirect
 * @discarded:     out: unpublished claims of the dead owner, discarded
 * @dropped:       out: messages the dead owner had taken, dropped
 * @corrupt:       out: slots naming the dead owner in an impossible state
 * @wake:          out: KIPC_RING_WAKE_* the caller must perform
 */
struct kipc_ring_recovery {
	void (*drop_indirect)(void *arg, u64 handle, u32 len);
	void *arg;
	u32 discarded;
	u32 dropped;
	u32 corrupt;
	u32 wake;
};

/* --- geometry --------------------------------------------------------- */

static inline bool kipc_ring_geometry_ok(u32 capacity, u32 slot_size)
{
	return capacity >= KIPC_RING_MIN_CAPACITY &&
	       capacity <= KIPC_RING_MAX_CAPACITY &&
	       !(capacity & (capacity - 1)) &&
	       slot_size >= KIPC_RING_MIN_SLOT &&
	       slot_size <= KIPC_RING_MAX_SLOT && !(slot_size & 7);
}

/* Slots start on their own cache line: no false sharing between neighbours. */
static inline u32 kipc_ring_stride(u32 slot_size)
{
	return (KIPC_RING_SLOT_HDR + slot_size + 63) & ~63U;
}

/**
 * kipc_ring_bytes() - size of the shared memory of a ring
 * @capacity:  number of slots
 * @slot_size: inline payload bytes per slot
 *
 * Return: the number of bytes, or 0 if the geometry is invalid.
 */
static inline u64 kipc_ring_bytes(u32 capacity, u32 slot_size)
{
	if (!kipc_ring_geometry_ok(capacity, slot_size))
		return 0;
	return KIPC_RING_HDR_SIZE + (u64)capacity * kipc_ring_stride(slot_size);
}

static inline struct kipc_ring_hdr *kipc_ring_hdr(const struct kipc_ring_view *v)
{
	return v->base;
}

/* The slot of @pos, from trusted geometry only. */
static inline struct kipc_ring_slot *kipc_ring_slot(const struct kipc_ring_view *v,
						    u64 pos)
{
	u64 idx = pos & (v->capacity - 1);

	return (struct kipc_ring_slot *)((u8 *)v->base + KIPC_RING_HDR_SIZE +
					 idx * kipc_ring_stride(v->slot_size));
}

/* --- state words ------------------------------------------------------ */

static inline u64 kipc_ring_state(u64 pos, u32 phase, u16 owner)
{
	return ((pos & KIPC_RING_POS_MASK) << KIPC_RING_POS_SHIFT) |
	       ((u64)phase << KIPC_RING_PHASE_SHIFT) | owner;
}

static inline u64 kipc_ring_state_pos(u64 state)
{
	return state >> KIPC_RING_POS_SHIFT;
}

static inline u32 kipc_ring_state_phase(u64 state)
{
	return (state >> KIPC_RING_PHASE_SHIFT) & 3;
}

static inline u16 kipc_ring_state_owner(u64 state)
{
	return state & 0xffff;
}

/*
 * Signed distance from position @pos to the position recorded in @state,
 * modulo 2^46. Valid states are within one lap of any position a live party
 * reads from head or tail, so the sign is meaningful. Ahead of the tail
 * they are at most one lap: see kipc_ring_too_far().
 */
static inline s64 kipc_ring_dist(u64 state, u64 pos)
{
	u64 d = (kipc_ring_state_pos(state) - pos) << KIPC_RING_POS_SHIFT;

	return (s64)d >> KIPC_RING_POS_SHIFT;
}

/*
 * Laps a state may be ahead of the tail (read after the state) before it
 * is corrupt. A slot is claimed only at the tail's value and the tail
 * never moves back, so a claim, publish, take, abort or recovery at
 * position p leaves the slot at most at p + capacity while the tail is at
 * least p: one lap. The head gives no such bound: producers that abort
 * (or die) move slots a lap on without any consumer, so they may run any
 * number of laps ahead of an idle head. One lap of slack on top.
 */
#define KIPC_RING_MAX_AHEAD	2

/* Is @state further ahead of the tail than any run of the protocol goes? */
static inline bool kipc_ring_too_far(const struct kipc_ring_view *v, u64 state)
{
	u64 tail = kipc_load_acquire(&kipc_ring_hdr(v)->tail);

	return kipc_ring_dist(state, tail) >
	       (s64)KIPC_RING_MAX_AHEAD * v->capacity;
}

/* Does @state belong to the slot that @pos maps to? */
static inline bool kipc_ring_state_in_slot(const struct kipc_ring_view *v,
					   u64 state, u64 pos)
{
	return ((kipc_ring_state_pos(state) ^ pos) & (v->capacity - 1)) == 0;
}

static inline bool kipc_ring_owner_ok(u16 owner)
{
	return owner != KIPC_RING_OWNER_NONE;
}

/* Bounded increments: the words are shared, a hostile writer may race. */
static inline void kipc_ring_bump32(u32 *p)
{
	int i;

	for (i = 0; i < KIPC_RING_SPIN; i++) {
		u32 old = kipc_load(p);

		if (kipc_cmpxchg(p, old, old + 1) == old)
			return;
	}
}

static inline void kipc_ring_add64(u64 *p, u64 n)
{
	int i;

	for (i = 0; i < KIPC_RING_SPIN; i++) {
		u64 old = kipc_load(p);

		if (kipc_cmpxchg(p, old, old + n) == old)
			return;
	}
}

/**
 * kipc_ring_init() - lay out a ring in zeroed memory
 * @v: trusted view; @v->base points to kipc_ring_bytes() zeroed bytes
 *
 * Return: 0, or -EINVAL for an invalid geometry.
 */
static inline int kipc_ring_init(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u32 i;

	if (!kipc_ring_geometry_ok(v->capacity, v->slot_size))
		return -EINVAL;
	h->version = KIPC_RING_VERSION;
	h->capacity = v->capacity;
	h->slot_size = v->slot_size;
	h->slot_stride = kipc_ring_stride(v->slot_size);
	h->hdr_size = KIPC_RING_HDR_SIZE;
	for (i = 0; i < v->capacity; i++)
		kipc_store(&kipc_ring_slot(v, i)->state,
			   kipc_ring_state(i, KIPC_RING_FREE, 0));
	/* Whoever sees the magic sees an initialised ring. */
	kipc_store_release(&h->magic, KIPC_RING_MAGIC);
	return 0;
}

/**
 * kipc_ring_check_header() - does the shared header match the trusted view?
 * @v: the view built from what the kernel reported
 *
 * For userspace when it maps a ring; the kernel never needs it.
 * Return: 0, or -EPROTO if the header disagrees.
 */
static inline int kipc_ring_check_header(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);

	if (kipc_load_acquire(&h->magic) != KIPC_RING_MAGIC ||
	    kipc_load(&h->version) != KIPC_RING_VERSION ||
	    kipc_load(&h->capacity) != v->capacity ||
	    kipc_load(&h->slot_size) != v->slot_size ||
	    kipc_load(&h->slot_stride) != kipc_ring_stride(v->slot_size) ||
	    kipc_load(&h->hdr_size) != KIPC_RING_HDR_SIZE)
		return -EPROTO;
	return 0;
}

/**
 * kipc_ring_closed() - KIPC_RING_CLOSED_* bits the kernel set
 * @v: trusted view
 *
 * With acquire: a consumer that sees KIPC_RING_CLOSED_WRITER and then finds
 * the ring empty has seen every message put before the writer went away.
 */
static inline u32 kipc_ring_closed(const struct kipc_ring_view *v)
{
	return kipc_load_acquire(&kipc_ring_hdr(v)->closed);
}

/* --- waking ----------------------------------------------------------- */

/**
 * kipc_ring_after_put() - after a publish: must consumers be woken?
 * @v: trusted view
 *
 * Return: true if put_seq was bumped and the caller must wake the sleepers
 * on it (all of them).
 */
static inline bool kipc_ring_after_put(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);

	/* Dekker with the sleeper: publish, mb, read its counter. */
	kipc_mb();
	if (!kipc_load(&h->get_waiters))
		return false;
	kipc_ring_bump32(&h->put_seq);
	return true;
}

/**
 * kipc_ring_after_get() - after freeing a slot: must producers be woken?
 * @v: trusted view
 *
 * Return: true if get_seq was bumped and the caller must wake its sleepers.
 */
static inline bool kipc_ring_after_get(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);

	kipc_mb();
	if (!kipc_load(&h->put_waiters))
		return false;
	kipc_ring_bump32(&h->get_seq);
	return true;
}

/**
 * struct kipc_ring_rounds - a blocking put's or get's failed attempts
 * @mark:    the furthest tail (put) or head (get) seen so far
 * @n:       attempts in a row that failed without sleeping or progress
 * @started: @mark is set
 *
 * Zero-initialise; set @n to 0 after each real sleep.
 */
struct kipc_ring_rounds {
	u64 mark;
	u32 n;
	bool started;
};

/**
 * kipc_ring_spun() - count an attempt that failed without sleeping
 * @v:   trusted view
 * @put: the caller puts (watches the tail) or gets (the head)
 * @r:   the caller's count
 *
 * An attempt fails that way when the ring changed under it or its words
 * contradict each other (the try operations give up after KIPC_RING_SPIN
 * steps while kipc_ring_can_get()/can_put() err towards true). A position
 * beyond any seen before means other parties made progress, so the count
 * starts again: honest contention never ends in -EIO however long it
 * lasts. Positions never move back in an honest ring, so a co-mapper
 * rewinding them cannot fake progress; one that keeps advancing them looks
 * like traffic, and the caller then stays as killable as a sleeper.
 *
 * Return: 0 to try again, -EIO after KIPC_RING_ROUNDS attempts in a row.
 */
static inline int kipc_ring_spun(const struct kipc_ring_view *v, bool put,
				 struct kipc_ring_rounds *r)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u64 pos = put ? kipc_load_acquire(&h->tail) : kipc_load_acquire(&h->head);

	if (!r->started || (s64)(pos - r->mark) > 0) {
		r->started = true;
		r->mark = pos;
		r->n = 0;
	}
	return ++r->n > KIPC_RING_ROUNDS ? -EIO : 0;
}

/* --- producers -------------------------------------------------------- */

/**
 * kipc_ring_claim() - reserve the next slot for a message of @len bytes
 * @v:     trusted view
 * @owner: the caller's owner id (nonzero)
 * @len:   message length, at most the slot size
 * @c:     out: the claim, to pass to kipc_ring_commit() or kipc_ring_abort()
 *
 * Return: 0; -EAGAIN if the ring is full (or, rarely, contended); -EMSGSIZE
 * if @len does not fit inline; -EINVAL for owner 0; -EIO if the ring memory
 * is corrupt.
 */
static inline int kipc_ring_claim(const struct kipc_ring_view *v, u16 owner,
				  u32 len, struct kipc_ring_cookie *c)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	s64 cap = v->capacity;
	int i;

	if (!kipc_ring_owner_ok(owner))
		return -EINVAL;
	if (len > v->slot_size)
		return -EMSGSIZE;
	for (i = 0; i < KIPC_RING_SPIN; i++) {
		u64 pos = kipc_load_acquire(&h->tail);
		struct kipc_ring_slot *s = kipc_ring_slot(v, pos);
		u64 st = kipc_load_acquire(&s->state);
		u64 free = kipc_ring_state(pos, KIPC_RING_FREE, 0);
		s64 d = kipc_ring_dist(st, pos);

		if (!kipc_ring_state_in_slot(v, st, pos))
			return -EIO;
		if (d > cap && kipc_ring_too_far(v, st))
			return -EIO;
		if (st == free) {
			u64 mine = kipc_ring_state(pos, KIPC_RING_WRITING, owner);

			/* The claim: from here on the slot names its owner. */
			if (kipc_cmpxchg(&s->state, free, mine) != free)
				continue;
			kipc_cmpxchg(&h->tail, pos, pos + 1);
			c->data = s->data;
			c->pos = pos;
			c->len = len;
			c->owner = owner;
			return 0;
		}
		if (d == 0 && kipc_ring_state_phase(st) == KIPC_RING_FREE)
			return -EIO;	/* free with an owner */
		if (d >= 0) {
			/* Claimed at or after pos: the tail lags, help it. */
			kipc_cmpxchg(&h->tail, pos, pos + 1);
			continue;
		}
		/* Slot still holds the previous lap: full. */
		if (d == -cap && kipc_ring_state_phase(st) != KIPC_RING_FREE)
			return -EAGAIN;
		return -EIO;
	}
	return -EAGAIN;
}

static inline void kipc_ring_publish(const struct kipc_ring_view *v,
				     const struct kipc_ring_cookie *c, u32 type,
				     u32 len)
{
	struct kipc_ring_slot *s = kipc_ring_slot(v, c->pos);

	kipc_store(&s->len, len);
	kipc_store(&s->type, type);
	/* Payload and record header before the state that publishes them. */
	kipc_store_release(&s->state, kipc_ring_state(c->pos, KIPC_RING_READY, 0));
}

/**
 * kipc_ring_commit() - publish a claimed slot
 * @v: trusted view
 * @c: the claim; @c->len bytes of @c->data are published
 *
 * Call kipc_ring_after_put() next.
 * Return: 0, or -EMSGSIZE (nothing published) if @c->len exceeds the slot.
 */
static inline int kipc_ring_commit(const struct kipc_ring_view *v,
				   const struct kipc_ring_cookie *c)
{
	if (c->len > v->slot_size)
		return -EMSGSIZE;
	kipc_ring_publish(v, c, KIPC_RING_REC_INLINE, c->len);
	return 0;
}

/**
 * kipc_ring_abort() - give a claimed slot back unpublished
 * @v: trusted view
 * @c: the claim
 *
 * The slot moves straight to the next lap; consumers skip its position.
 * Return: a KIPC_RING_WAKE_* mask of the wakes to perform (the seq words are
 * already bumped), or -ESTALE if the claim was no longer the caller's.
 */
static inline int kipc_ring_abort(const struct kipc_ring_view *v,
				  const struct kipc_ring_cookie *c)
{
	struct kipc_ring_slot *s = kipc_ring_slot(v, c->pos);
	u64 mine = kipc_ring_state(c->pos, KIPC_RING_WRITING, c->owner);
	u64 next = kipc_ring_state(c->pos + v->capacity, KIPC_RING_FREE, 0);
	int wake = 0;

	if (kipc_cmpxchg(&s->state, mine, next) != mine)
		return -ESTALE;
	/* Consumers waiting at this position, producers waiting for room. */
	if (kipc_ring_after_put(v))
		wake |= KIPC_RING_WAKE_GET;
	if (kipc_ring_after_get(v))
		wake |= KIPC_RING_WAKE_PUT;
	return wake;
}

/**
 * kipc_ring_try_put() - copy a message into the ring
 * @v:     trusted view
 * @owner: the caller's owner id
 * @data:  the message
 * @len:   its length, 0..slot_size
 *
 * Call kipc_ring_after_put() after a success.
 * Return: 0, or an error of kipc_ring_claim().
 */
static inline int kipc_ring_try_put(const struct kipc_ring_view *v, u16 owner,
				    const void *data, u32 len)
{
	struct kipc_ring_cookie c;
	int ret;

	ret = kipc_ring_claim(v, owner, len, &c);
	if (ret)
		return ret;
	if (len)
		memcpy(c.data, data, len);
	kipc_ring_publish(v, &c, KIPC_RING_REC_INLINE, len);
	return 0;
}

/**
 * kipc_ring_try_put_indirect() - publish a record naming a kernel buffer
 * @v:      trusted view
 * @owner:  the caller's owner id (the kernel's, normally)
 * @handle: what the kernel needs to find and validate the buffer
 * @len:    the message length
 *
 * Return: 0, or an error of kipc_ring_claim().
 */
static inline int kipc_ring_try_put_indirect(const struct kipc_ring_view *v,
					     u16 owner, u64 handle, u32 len)
{
	struct kipc_ring_cookie c;
	int ret;

	ret = kipc_ring_claim(v, owner, sizeof(handle), &c);
	if (ret)
		return ret;
	memcpy(c.data, &handle, sizeof(handle));
	kipc_ring_publish(v, &c, KIPC_RING_REC_INDIRECT, len);
	return 0;
}

/* --- consumers -------------------------------------------------------- */

/*
 * Take the message at the head. @buflen is checked before the claim, so a
 * message that does not fit is left in place (-EMSGSIZE, *@msglen set).
 */
static inline int kipc_ring_take(const struct kipc_ring_view *v, u16 owner,
				 u32 flags, u32 buflen, struct kipc_ring_msg *m,
				 u32 *msglen)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	s64 cap = v->capacity;
	int i;

	if (!kipc_ring_owner_ok(owner))
		return -EINVAL;
	for (i = 0; i < KIPC_RING_SPIN; i++) {
		u64 pos = kipc_load_acquire(&h->head);
		struct kipc_ring_slot *s = kipc_ring_slot(v, pos);
		u64 st = kipc_load_acquire(&s->state);
		u64 ready = kipc_ring_state(pos, KIPC_RING_READY, 0);
		u64 next = kipc_ring_state(pos + cap, KIPC_RING_FREE, 0);
		s64 d = kipc_ring_dist(st, pos);
		u32 phase = kipc_ring_state_phase(st);
		u32 len, type;

		if (!kipc_ring_state_in_slot(v, st, pos))
			return -EIO;
		if (d > cap && kipc_ring_too_far(v, st))
			return -EIO;
		if (d > 0 || (d == 0 && phase == KIPC_RING_READING)) {
			/* Taken or skipped already: the head lags, help it. */
			kipc_cmpxchg(&h->head, pos, pos + 1);
			continue;
		}
		if (d == 0 && (st == kipc_ring_state(pos, KIPC_RING_FREE, 0) ||
			       phase == KIPC_RING_WRITING))
			return -EAGAIN;	/* not yet published */
		if (d == -cap && phase == KIPC_RING_READING)
			return -EAGAIN;	/* previous lap still being read */
		if (st != ready)
			return -EIO;

		/* Read the record while the slot is READY at pos... */
		len = kipc_load_acquire(&s->len);
		type = kipc_load_acquire(&s->type);
		if ((type != KIPC_RING_REC_INLINE &&
		     type != KIPC_RING_REC_INDIRECT) ||
		    (type == KIPC_RING_REC_INLINE && len > v->slot_size)) {
			/* Not a record any producer wrote: drop it. */
			if (kipc_cmpxchg(&s->state, ready, next) == ready) {
				kipc_cmpxchg(&h->head, pos, pos + 1);
				return -EBADMSG;
			}
			continue;
		}
		if (type == KIPC_RING_REC_INDIRECT &&
		    !(flags & KIPC_RING_TAKE_INDIRECT)) {
			/* ...and confirm it still is before reporting. */
			if (kipc_load(&s->state) != st)
				continue;
			*msglen = len;
			return -EREMOTE;
		}
		if (type == KIPC_RING_REC_INLINE && len > buflen) {
			if (kipc_load(&s->state) != st)
				continue;
			*msglen = len;
			return -EMSGSIZE;
		}
		if (flags & KIPC_RING_PEEK) {
			/* Described, not taken: kipc_ring_take_peeked(). */
			m->data = s->data;
			m->pos = pos;
			m->len = len;
			m->type = type;
			m->owner = owner;
			m->handle = 0;
			if (type == KIPC_RING_REC_INDIRECT)
				memcpy(&m->handle, s->data, sizeof(m->handle));
			*msglen = len;
			return 0;
		}
		/* ...the claim confirms it: nobody rewrites a READY slot. */
		if (kipc_cmpxchg(&s->state, ready,
				 kipc_ring_state(pos, KIPC_RING_READING, owner)) != ready)
			continue;
		kipc_cmpxchg(&h->head, pos, pos + 1);
		m->data = s->data;
		m->pos = pos;
		m->len = len;
		m->type = type;
		m->owner = owner;
		m->handle = 0;
		if (type == KIPC_RING_REC_INDIRECT)
			memcpy(&m->handle, s->data, sizeof(m->handle));
		*msglen = len;
		return 0;
	}
	return -EAGAIN;
}

/**
 * kipc_ring_get_release() - free the slot of a message taken from the ring
 * @v: trusted view
 * @m: the message; its data must not be used afterwards
 *
 * Call kipc_ring_after_get() next.
 */
static inline void kipc_ring_get_release(const struct kipc_ring_view *v,
					 const struct kipc_ring_msg *m)
{
	struct kipc_ring_slot *s = kipc_ring_slot(v, m->pos);

	/* Our reads of the payload before the slot is reused. */
	kipc_store_release(&s->state,
			   kipc_ring_state(m->pos + v->capacity, KIPC_RING_FREE, 0));
}

/**
 * kipc_ring_get_claim() - take the next message without copying it
 * @v:     trusted view
 * @owner: the caller's owner id
 * @flags: KIPC_RING_TAKE_INDIRECT to take indirect records as well
 * @m:     out: the message, to pass to kipc_ring_get_release()
 *
 * Return: 0; -EAGAIN if empty; -EREMOTE (message left in place, @m->len set)
 * for an indirect record without KIPC_RING_TAKE_INDIRECT; -EBADMSG if a
 * corrupt record was dropped; -EINVAL for owner 0; -EIO if corrupt.
 */
static inline int kipc_ring_get_claim(const struct kipc_ring_view *v, u16 owner,
				      u32 flags, struct kipc_ring_msg *m)
{
	return kipc_ring_take(v, owner, flags, v->slot_size, m, &m->len);
}

/**
 * kipc_ring_try_get() - copy the next message out of the ring
 * @v:      trusted view
 * @owner:  the caller's owner id
 * @buf:    where to copy it
 * @buflen: size of @buf
 * @len:    out: the message length (also on -EMSGSIZE and -EREMOTE)
 *
 * Call kipc_ring_after_get() after a success.
 * Return: 0; -EAGAIN if empty; -EMSGSIZE if @buflen is too small (the
 * message stays in the ring); -EREMOTE if the next message is indirect (read
 * it through the kernel); -EBADMSG if a corrupt record was dropped; -EINVAL
 * for owner 0; -EIO if the ring memory is corrupt.
 */
static inline int kipc_ring_try_get(const struct kipc_ring_view *v, u16 owner,
				    void *buf, u32 buflen, u32 *len)
{
	struct kipc_ring_msg m;
	int ret;

	ret = kipc_ring_take(v, owner, 0, buflen, &m, len);
	if (ret)
		return ret;
	if (m.len)
		memcpy(buf, m.data, m.len);
	kipc_ring_get_release(v, &m);
	return 0;
}

/**
 * kipc_ring_peek() - describe the next message without taking it
 * @v:     trusted view
 * @owner: the caller's owner id
 * @flags: KIPC_RING_TAKE_INDIRECT to describe indirect records as well
 * @m:     out: the message at the head, READY at @m->pos
 *
 * For a consumer that must copy a message out before it may commit to it
 * (the kernel copying to a user buffer that may fault): copy @m->len bytes
 * of @m->data, then kipc_ring_take_peeked(). The copy may be torn by a
 * concurrent consumer; a successful take proves it was not, since a slot
 * never returns to READY at the same position.
 * Return: as kipc_ring_get_claim().
 */
static inline int kipc_ring_peek(const struct kipc_ring_view *v, u16 owner,
				 u32 flags, struct kipc_ring_msg *m)
{
	return kipc_ring_take(v, owner, flags | KIPC_RING_PEEK, v->slot_size,
			      m, &m->len);
}

/**
 * kipc_ring_take_peeked() - take the message kipc_ring_peek() described
 * @v: trusted view
 * @m: from kipc_ring_peek(); on success a claim for kipc_ring_get_release()
 *
 * Return: 0, or -EAGAIN if another consumer took it first (peek again).
 */
static inline int kipc_ring_take_peeked(const struct kipc_ring_view *v,
					const struct kipc_ring_msg *m)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	struct kipc_ring_slot *s = kipc_ring_slot(v, m->pos);
	u64 ready = kipc_ring_state(m->pos, KIPC_RING_READY, 0);

	if (kipc_cmpxchg(&s->state, ready,
			 kipc_ring_state(m->pos, KIPC_RING_READING, m->owner)) != ready)
		return -EAGAIN;
	kipc_cmpxchg(&h->head, m->pos, m->pos + 1);
	return 0;
}

/* --- readiness, statistics -------------------------------------------- */

/**
 * kipc_ring_can_get() - would kipc_ring_try_get() find a message?
 * @v: trusted view
 *
 * Read-only; errs towards true when the ring is corrupt, so that a get
 * reports the corruption instead of a poller sleeping forever.
 */
static inline bool kipc_ring_can_get(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u64 pos = kipc_load_acquire(&h->head);
	s64 cap = v->capacity;
	int i;

	for (i = 0; i < KIPC_RING_SPIN; i++, pos++) {
		u64 st = kipc_load_acquire(&kipc_ring_slot(v, pos)->state);
		s64 d = kipc_ring_dist(st, pos);
		u32 phase = kipc_ring_state_phase(st);

		if (!kipc_ring_state_in_slot(v, st, pos) ||
		    (d > cap && kipc_ring_too_far(v, st)))
			return true;
		if (d > 0 || (d == 0 && phase == KIPC_RING_READING))
			continue;	/* taken or skipped: look further */
		if (d == 0 && phase == KIPC_RING_READY)
			return true;
		if (d == 0 && st == kipc_ring_state(pos, KIPC_RING_FREE, 0))
			return false;
		if (d == 0 && phase == KIPC_RING_WRITING)
			return false;
		if (d == -cap && phase == KIPC_RING_READING)
			return false;
		return true;
	}
	return true;
}

/**
 * kipc_ring_can_put() - would kipc_ring_try_put() find room?
 * @v: trusted view
 *
 * Read-only; errs towards true when the ring is corrupt.
 */
static inline bool kipc_ring_can_put(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u64 pos = kipc_load_acquire(&h->tail);
	s64 cap = v->capacity;
	int i;

	for (i = 0; i < KIPC_RING_SPIN; i++, pos++) {
		u64 st = kipc_load_acquire(&kipc_ring_slot(v, pos)->state);
		s64 d = kipc_ring_dist(st, pos);
		u32 phase = kipc_ring_state_phase(st);

		if (!kipc_ring_state_in_slot(v, st, pos) ||
		    (d > cap && kipc_ring_too_far(v, st)))
			return true;
		if (d == 0 && phase == KIPC_RING_FREE)
			return true;
		if (d >= 0)
			continue;	/* claimed: the tail lags */
		if (d == -cap && phase != KIPC_RING_FREE)
			return false;
		return true;
	}
	return true;
}

/**
 * kipc_ring_queued() - messages in the ring, approximately (for fdinfo)
 * @v: trusted view
 *
 * Counts claimed and published positions, clamped to 0..capacity.
 */
static inline u64 kipc_ring_queued(const struct kipc_ring_view *v)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u64 head = kipc_load_acquire(&h->head);
	s64 n = (s64)(kipc_load_acquire(&h->tail) - head);

	if (n < 0)
		return 0;
	return (u64)n > v->capacity ? v->capacity : (u64)n;
}

/* --- sleeping --------------------------------------------------------- */

/**
 * kipc_ring_get_must_sleep() - the sleeper's final check before a get sleeps
 * @v:   trusted view
 * @seq: put_seq as read before the failed kipc_ring_try_get()
 *
 * The sleeper (the kernel) increments get_waiters and issues a full barrier,
 * then calls this; it sleeps only if true, and then only while put_seq still
 * equals @seq. Checking the ring itself, not only @seq, is what makes the
 * conditional bump of kipc_ring_after_put() safe: a publish this check
 * misses is followed by a producer that sees the incremented counter.
 */
static inline bool kipc_ring_get_must_sleep(const struct kipc_ring_view *v,
					    u32 seq)
{
	return kipc_load(&kipc_ring_hdr(v)->put_seq) == seq &&
	       !kipc_ring_can_get(v);
}

/**
 * kipc_ring_put_must_sleep() - the sleeper's final check before a put sleeps
 * @v:   trusted view
 * @seq: get_seq as read before the failed kipc_ring_try_put()
 */
static inline bool kipc_ring_put_must_sleep(const struct kipc_ring_view *v,
					    u32 seq)
{
	return kipc_load(&kipc_ring_hdr(v)->get_seq) == seq &&
	       !kipc_ring_can_put(v);
}

/* --- recovery --------------------------------------------------------- */

/**
 * kipc_ring_recover() - undo what a dead process left claimed
 * @v:    trusted view
 * @dead: the owner id of the dead process; no thread of it runs any more
 * @r:    in: drop_indirect and arg; out: what was done
 *
 * Runs concurrently with live producers and consumers. Scans each slot once:
 * a slot WRITING for @dead is discarded (moved to the next lap, so consumers
 * skip its position); a slot READING for @dead is dropped the same way and
 * counted. Afterwards both seq words are bumped if anything changed; the
 * caller wakes every sleeper named in @r->wake.
 *
 * Return: 0, -EINVAL for an id that cannot die, -EIO if slots naming @dead
 * were corrupt (the rest is recovered all the same).
 */
static inline int kipc_ring_recover(const struct kipc_ring_view *v, u16 dead,
				    struct kipc_ring_recovery *r)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(v);
	u32 i;
	int t;

	r->discarded = 0;
	r->dropped = 0;
	r->corrupt = 0;
	r->wake = 0;
	if (dead == KIPC_RING_OWNER_NONE || dead == KIPC_RING_OWNER_KERNEL)
		return -EINVAL;
	for (i = 0; i < v->capacity; i++) {
		struct kipc_ring_slot *s = kipc_ring_slot(v, i);

		/* Only a hostile writer makes the CAS fail: retry a little. */
		for (t = 0; t < 4; t++) {
			u64 st = kipc_load_acquire(&s->state);
			u64 pos = kipc_ring_state_pos(st);
			u64 next = kipc_ring_state(pos + v->capacity,
						   KIPC_RING_FREE, 0);
			u32 phase = kipc_ring_state_phase(st);
			u32 type, len;
			u64 handle;

			if (kipc_ring_state_owner(st) != dead)
				break;
			if ((pos & (v->capacity - 1)) != i ||
			    (phase != KIPC_RING_WRITING &&
			     phase != KIPC_RING_READING)) {
				r->corrupt++;
				break;
			}
			/* The record, before the slot can be reused. */
			type = kipc_load(&s->type);
			len = kipc_load(&s->len);
			memcpy(&handle, s->data, sizeof(handle));
			if (kipc_cmpxchg(&s->state, st, next) != st)
				continue;
			if (phase == KIPC_RING_WRITING) {
				r->discarded++;
				break;
			}
			r->dropped++;
			if (type == KIPC_RING_REC_INDIRECT && r->drop_indirect)
				r->drop_indirect(r->arg, handle, len);
			break;
		}
	}
	if (r->discarded)
		kipc_ring_add64(&h->discarded, r->discarded);
	if (r->dropped)
		kipc_ring_add64(&h->dropped, r->dropped);
	if (r->discarded || r->dropped) {
		/* Both sides may be asleep on the positions just freed. */
		kipc_ring_bump32(&h->put_seq);
		kipc_ring_bump32(&h->get_seq);
		r->wake = KIPC_RING_WAKE_GET | KIPC_RING_WAKE_PUT;
	}
	return r->corrupt ? -EIO : 0;
}

#endif /* _KIPC_RING_H */
