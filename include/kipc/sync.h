/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * kipc synchronisation objects: the state words in shared memory and the
 * protocols that act on them.
 *
 * Compiled into kipc.ko (read/write/poll on object descriptors, recovery
 * after a death) and into libipc (the fast paths). Every object lives in
 * memory that every user maps read-write, so:
 *
 * - every word read from the object is validated before use, and every
 *   parameter that bounds a value (a semaphore's maximum, a barrier's
 *   parties, a condition's slots) is passed in by the caller from
 *   kernel-trusted data, never read from the object;
 * - every loop is bounded; a CAS that keeps failing ends in -EAGAIN (the
 *   caller waits and retries) and an impossible encoding in -EBADMSG;
 * - all changes to state words are CAS or exchange (full barriers), so a
 *   process killed at any instruction leaves a state that is either before
 *   or after each step, and recovery (which runs while other users live)
 *   can finish or undo it with CAS as well.
 *
 * Blocking is done outside: an operation that would block returns -EAGAIN
 * and fills a struct kipc_sync_wait naming a 32-bit word, the value to sleep
 * on and the kernel-maintained waiter counter. An operation that may have
 * made a sleeper runnable fills a struct kipc_sync_wake: nr is nonzero when
 * the waiter counter was nonzero after the (full-barrier) state change, and
 * the caller then asks the kernel to wake up to nr sleepers of that word.
 *
 * Documentation/sync-protocol.rst describes the encodings and rules.
 *
 * Not installed: an internal header of the kipc source tree.
 */
#ifndef _KIPC_SYNC_H
#define _KIPC_SYNC_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <linux/types.h>
#endif

#include "atomic.h"

/* Owner ids (the same values as KIPC_ID_* in the UAPI header). */
#define KIPC_SYNC_ID_NONE	0
#define KIPC_SYNC_ID_MIN	1
#define KIPC_SYNC_ID_MAX	0xfffe
#define KIPC_SYNC_ID_KERNEL	0xffff

/* How often a CAS is retried before giving up with -EAGAIN. */
#define KIPC_SYNC_RETRIES	1024

/* kipc_sync_wake.nr: every sleeper. */
#define KIPC_SYNC_WAKE_ALL	0xffffffffU

/* Magic words, the first word of every object. */
#define KIPC_LOCK_MAGIC		0x6b4c4f43U	/* "kLOC" */
#define KIPC_RLOCK_MAGIC	0x6b524c4bU	/* "kRLK" */
#define KIPC_SEM_MAGIC		0x6b53454dU	/* "kSEM" */
#define KIPC_EVENT_MAGIC	0x6b45564eU	/* "kEVN" */
#define KIPC_BARRIER_MAGIC	0x6b424152U	/* "kBAR" */
#define KIPC_COND_MAGIC		0x6b434f4eU	/* "kCON" */

/**
 * struct kipc_sync_wait - where to sleep after -EAGAIN
 * @off:         byte offset in the object of the 32-bit word to sleep on
 * @waiters_off: byte offset of the kernel-maintained waiter counter
 * @val:         sleep only while the word holds this value
 */
struct kipc_sync_wait {
	__u32 off;
	__u32 waiters_off;
	__u32 val;
};

/**
 * struct kipc_sync_wake - whom to wake after a state change
 * @off:         byte offset of the word whose sleepers to wake
 * @waiters_off: byte offset of its waiter counter
 * @nr:          how many sleepers to wake; 0: no kernel call needed
 */
struct kipc_sync_wake {
	__u32 off;
	__u32 waiters_off;
	__u32 nr;
};

/* Tickets (u64, private to the caller) used by multi-step waits. */
#define KIPC_SYNC_TICKET_INIT	0ULL
#define KIPC_SYNC_TICKET_VALID	0x8000000000000000ULL

#define kipc_sync_off(type, member)	((__u32)__builtin_offsetof(type, member))

static inline int kipc_sync_id_valid(__u32 id)
{
	return id >= KIPC_SYNC_ID_MIN && id <= KIPC_SYNC_ID_KERNEL;
}

static inline void kipc_sync_set_wait(struct kipc_sync_wait *w, __u32 off,
				      __u32 waiters_off, __u32 val)
{
	if (w) {
		w->off = off;
		w->waiters_off = waiters_off;
		w->val = val;
	}
}

static inline void kipc_sync_no_wake(struct kipc_sync_wake *wk)
{
	if (wk) {
		wk->off = 0;
		wk->waiters_off = 0;
		wk->nr = 0;
	}
}

/*
 * Decide whether a kernel wake is needed. Called after the state change,
 * which was a kipc_cmpxchg() or kipc_xchg() (full barriers): either the
 * sleeper's re-check after incrementing the counter sees the new state, or
 * this load sees the counter nonzero (Dekker). The counter's value only
 * says "maybe"; the kernel wakes min(nr, real sleepers).
 */
static inline void kipc_sync_wake_prepare(struct kipc_sync_wake *wk,
					  const __u32 *waiters, __u32 off,
					  __u32 waiters_off, __u32 nr)
{
	kipc_sync_no_wake(wk);
	if (!wk || !nr)
		return;
	if (kipc_load(waiters) != 0) {
		wk->off = off;
		wk->waiters_off = waiters_off;
		wk->nr = nr;
	}
}

/* ------------------------------------------------------------------------
 * Lock and RLock: the lock word
 *
 *   bits  0..15  owner id (0: unlocked)
 *   bit  16      KIPC_LOCK_DIED: a holder died; the state it guarded may be
 *                inconsistent. Without an owner: the next acquirer gets
 *                -EOWNERDEAD. With an owner: that owner got -EOWNERDEAD and
 *                has not called consistent() yet.
 *   bit  17      KIPC_LOCK_NOTREC: not recoverable (only alone: 0x20000)
 *   bits 18..31  zero
 */
#define KIPC_LOCK_OWNER		0x0000ffffU
#define KIPC_LOCK_DIED		0x00010000U
#define KIPC_LOCK_NOTREC	0x00020000U

static inline int kipc_lock_word_valid(__u32 v)
{
	if (v & ~(KIPC_LOCK_OWNER | KIPC_LOCK_DIED | KIPC_LOCK_NOTREC))
		return 0;
	if ((v & KIPC_LOCK_NOTREC) && v != KIPC_LOCK_NOTREC)
		return 0;
	return 1;
}

/**
 * struct kipc_lock - binary lock, owner-tracked (multiprocessing.Lock)
 * @magic:   KIPC_LOCK_MAGIC
 * @word:    the lock word; sleepers sleep on it
 * @waiters: kernel-maintained waiter counter for @word
 * @pad:     zero
 */
struct kipc_lock {
	__u32 magic;
	__u32 word;
	__u32 waiters;
	__u32 pad[13];
};

#define KIPC_LOCK_SIZE		((__u32)sizeof(struct kipc_lock))

static inline void kipc_lock_init(struct kipc_lock *l)
{
	kipc_store(&l->word, 0);
	kipc_store(&l->waiters, 0);
	kipc_store_release(&l->magic, KIPC_LOCK_MAGIC);
}

static inline void kipc_lock_set_wait(struct kipc_sync_wait *w, __u32 v)
{
	kipc_sync_set_wait(w, kipc_sync_off(struct kipc_lock, word),
			   kipc_sync_off(struct kipc_lock, waiters), v);
}

/* One attempt loop shared by Lock and RLock: take a free lock word. */
static inline int kipc_lockword_try_take(__u32 *word, __u32 me, __u32 *seen)
{
	__u32 v, old;
	int i;

	v = kipc_load(word);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (!kipc_lock_word_valid(v))
			return -EBADMSG;
		if (v == KIPC_LOCK_NOTREC)
			return -ENOTRECOVERABLE;
		if (v & KIPC_LOCK_OWNER) {
			*seen = v;
			return -EAGAIN;
		}
		old = kipc_cmpxchg(word, v, v | me);
		if (old == v)
			return (v & KIPC_LOCK_DIED) ? -EOWNERDEAD : 0;
		v = old;
	}
	*seen = v;
	return -EAGAIN;
}

/*
 * Returns 0 (acquired), -EOWNERDEAD (acquired; the previous holder died),
 * -EAGAIN (held: sleep as *w says), -ENOTRECOVERABLE, -EINVAL (bad id),
 * -EBADMSG (corrupt). A second acquire by the holder blocks (another thread
 * or process may release it, as with multiprocessing.Lock).
 */
static inline int kipc_lock_try_acquire(struct kipc_lock *l, __u32 me,
					struct kipc_sync_wait *w)
{
	__u32 seen = 0;
	int ret;

	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return -EBADMSG;
	if (!kipc_sync_id_valid(me))
		return -EINVAL;
	ret = kipc_lockword_try_take(&l->word, me, &seen);
	if (ret == -EAGAIN)
		kipc_lock_set_wait(w, seen);
	return ret;
}

/*
 * Release, by the holder or by anyone else (multiprocessing.Lock allows
 * it). -EPERM if not locked. Releasing while KIPC_LOCK_DIED is still set
 * (consistent() was not called) makes the lock not recoverable.
 */
static inline int kipc_lock_release(struct kipc_lock *l,
				    struct kipc_sync_wake *wk)
{
	__u32 v, nv, old;
	int i;

	kipc_sync_no_wake(wk);
	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return -EBADMSG;
	v = kipc_load(&l->word);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (!kipc_lock_word_valid(v))
			return -EBADMSG;
		if (!(v & KIPC_LOCK_OWNER))
			return -EPERM;
		nv = (v & KIPC_LOCK_DIED) ? KIPC_LOCK_NOTREC : 0;
		old = kipc_cmpxchg(&l->word, v, nv);
		if (old == v) {
			kipc_sync_wake_prepare(wk, &l->waiters,
					       kipc_sync_off(struct kipc_lock, word),
					       kipc_sync_off(struct kipc_lock, waiters),
					       nv ? KIPC_SYNC_WAKE_ALL : 1);
			return 0;
		}
		v = old;
	}
	return -EAGAIN;
}

/* After -EOWNERDEAD: the holder declares the guarded state repaired. */
static inline int kipc_lock_consistent(struct kipc_lock *l, __u32 me)
{
	__u32 v;

	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return -EBADMSG;
	if (!kipc_sync_id_valid(me))
		return -EINVAL;
	v = kipc_load(&l->word);
	if (!kipc_lock_word_valid(v))
		return -EBADMSG;
	if ((v & KIPC_LOCK_OWNER) != me)
		return -EPERM;
	if (!(v & KIPC_LOCK_DIED))
		return -EINVAL;
	if (kipc_cmpxchg(&l->word, v, me) != v)
		return -EAGAIN;
	return 0;
}

/* The holder's owner id, 0 when unlocked, or -EBADMSG. */
static inline int kipc_lock_owner(struct kipc_lock *l)
{
	__u32 v;

	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return -EBADMSG;
	v = kipc_load(&l->word);
	if (!kipc_lock_word_valid(v))
		return -EBADMSG;
	return v & KIPC_LOCK_OWNER;
}

/* Recovery of a lock word; 1 if @dead held it. */
static inline int kipc_lockword_recover(__u32 *word, __u32 dead)
{
	__u32 v, old;
	int i;

	v = kipc_load(word);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (!kipc_lock_word_valid(v))
			return -EBADMSG;
		if ((v & KIPC_LOCK_OWNER) != dead)
			return 0;
		old = kipc_cmpxchg(word, v, KIPC_LOCK_DIED);
		if (old == v)
			return 1;
		v = old;
	}
	return -EAGAIN;
}

/*
 * The kernel, after owner @dead died: a lock it held becomes free with
 * KIPC_LOCK_DIED. *wk always asks to wake every sleeper (the dead one may
 * have consumed a wake-up it can no longer pass on). Returns 1 if @dead
 * held the lock, 0 if not, negative on error.
 */
static inline int kipc_lock_recover(struct kipc_lock *l, __u32 dead,
				    struct kipc_sync_wake *wk)
{
	int ret;

	kipc_sync_no_wake(wk);
	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return -EBADMSG;
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	ret = kipc_lockword_recover(&l->word, dead);
	kipc_mb();
	kipc_sync_wake_prepare(wk, &l->waiters,
			       kipc_sync_off(struct kipc_lock, word),
			       kipc_sync_off(struct kipc_lock, waiters),
			       KIPC_SYNC_WAKE_ALL);
	return ret;
}

/* ------------------------------------------------------------------------
 * RLock: lock word as above, plus the owning thread and the recursion
 * count, written only by the holder after its acquiring CAS. A release
 * clears @tid before it frees @word, so a stale @tid is always 0.
 */
#define KIPC_RLOCK_COUNT_MAX	0x7fffffffU

/**
 * struct kipc_rlock - recursive lock (threading.RLock)
 * @magic:   KIPC_RLOCK_MAGIC
 * @word:    the lock word (owner id and flags); sleepers sleep on it
 * @waiters: kernel-maintained waiter counter for @word
 * @tid:     the holding thread (nonzero while held), written by the holder
 * @count:   recursion depth, written by the holder
 * @pad:     zero
 */
struct kipc_rlock {
	__u32 magic;
	__u32 word;
	__u32 waiters;
	__u32 tid;
	__u32 count;
	__u32 pad[11];
};

#define KIPC_RLOCK_SIZE		((__u32)sizeof(struct kipc_rlock))

static inline void kipc_rlock_init(struct kipc_rlock *rl)
{
	kipc_store(&rl->word, 0);
	kipc_store(&rl->waiters, 0);
	kipc_store(&rl->tid, 0);
	kipc_store(&rl->count, 0);
	kipc_store_release(&rl->magic, KIPC_RLOCK_MAGIC);
}

/* 1 if (me, tid) holds @rl, 0 if not, -EBADMSG. */
static inline int kipc_rlock_is_owner(struct kipc_rlock *rl, __u32 me,
				      __u32 tid)
{
	__u32 v;

	if (kipc_load(&rl->magic) != KIPC_RLOCK_MAGIC)
		return -EBADMSG;
	v = kipc_load_acquire(&rl->word);
	if (!kipc_lock_word_valid(v))
		return -EBADMSG;
	if (!me || (v & KIPC_LOCK_OWNER) != me)
		return 0;
	return tid && kipc_load(&rl->tid) == tid;
}

/*
 * Acquire @count levels at once (1 for a plain acquire; the saved depth
 * when a Condition wait re-acquires). Results as kipc_lock_try_acquire(),
 * plus -EOVERFLOW when the recursion count would pass the maximum.
 */
static inline int kipc_rlock_try_acquire_count(struct kipc_rlock *rl,
					       __u32 me, __u32 tid,
					       __u32 count,
					       struct kipc_sync_wait *w)
{
	__u32 seen = 0, c;
	int ret;

	if (!kipc_sync_id_valid(me) || !tid || !count ||
	    count > KIPC_RLOCK_COUNT_MAX)
		return -EINVAL;
	ret = kipc_rlock_is_owner(rl, me, tid);
	if (ret < 0)
		return ret;
	if (ret) {
		c = kipc_load(&rl->count);
		if (!c || c > KIPC_RLOCK_COUNT_MAX)
			return -EBADMSG;
		if (count > KIPC_RLOCK_COUNT_MAX - c)
			return -EOVERFLOW;
		kipc_store(&rl->count, c + count);
		return 0;
	}
	ret = kipc_lockword_try_take(&rl->word, me, &seen);
	if (ret == 0 || ret == -EOWNERDEAD) {
		kipc_store(&rl->tid, tid);
		kipc_store(&rl->count, count);
	} else if (ret == -EAGAIN) {
		kipc_sync_set_wait(w, kipc_sync_off(struct kipc_rlock, word),
				   kipc_sync_off(struct kipc_rlock, waiters),
				   seen);
	}
	return ret;
}

static inline int kipc_rlock_try_acquire(struct kipc_rlock *rl, __u32 me,
					 __u32 tid, struct kipc_sync_wait *w)
{
	return kipc_rlock_try_acquire_count(rl, me, tid, 1, w);
}

/* Drop every level; *saved gets the depth (for Condition.wait). */
static inline int kipc_rlock_release_save(struct kipc_rlock *rl, __u32 me,
					  __u32 tid, __u32 *saved,
					  struct kipc_sync_wake *wk)
{
	__u32 v, nv, c;
	int ret;

	kipc_sync_no_wake(wk);
	ret = kipc_rlock_is_owner(rl, me, tid);
	if (ret <= 0)
		return ret ? ret : -EPERM;
	c = kipc_load(&rl->count);
	if (!c || c > KIPC_RLOCK_COUNT_MAX)
		return -EBADMSG;
	v = kipc_load(&rl->word);
	if ((v & KIPC_LOCK_OWNER) != me)
		return -EBADMSG;
	kipc_store(&rl->count, 0);
	kipc_store(&rl->tid, 0);
	nv = (v & KIPC_LOCK_DIED) ? KIPC_LOCK_NOTREC : 0;
	/* Only the holder changes a held word: a failure is corruption. */
	if (kipc_cmpxchg(&rl->word, v, nv) != v)
		return -EBADMSG;
	if (saved)
		*saved = c;
	kipc_sync_wake_prepare(wk, &rl->waiters,
			       kipc_sync_off(struct kipc_rlock, word),
			       kipc_sync_off(struct kipc_rlock, waiters),
			       nv ? KIPC_SYNC_WAKE_ALL : 1);
	return 0;
}

/* Release one level; -EPERM unless (me, tid) holds it. */
static inline int kipc_rlock_release(struct kipc_rlock *rl, __u32 me,
				     __u32 tid, struct kipc_sync_wake *wk)
{
	__u32 c, saved;
	int ret;

	kipc_sync_no_wake(wk);
	ret = kipc_rlock_is_owner(rl, me, tid);
	if (ret <= 0)
		return ret ? ret : -EPERM;
	c = kipc_load(&rl->count);
	if (!c || c > KIPC_RLOCK_COUNT_MAX)
		return -EBADMSG;
	if (c > 1) {
		kipc_store(&rl->count, c - 1);
		return 0;
	}
	return kipc_rlock_release_save(rl, me, tid, &saved, wk);
}

static inline int kipc_rlock_consistent(struct kipc_rlock *rl, __u32 me,
					__u32 tid)
{
	__u32 v;
	int ret;

	ret = kipc_rlock_is_owner(rl, me, tid);
	if (ret <= 0)
		return ret ? ret : -EPERM;
	v = kipc_load(&rl->word);
	if ((v & KIPC_LOCK_OWNER) != me)
		return -EBADMSG;
	if (!(v & KIPC_LOCK_DIED))
		return -EINVAL;
	if (kipc_cmpxchg(&rl->word, v, me) != v)
		return -EBADMSG;
	return 0;
}

/*
 * As kipc_lock_recover(). While @dead holds the word nobody else writes
 * @tid, so it is cleared first: a thread of the next holder's process
 * must never match a stale @tid. @count is rewritten by the next holder.
 */
static inline int kipc_rlock_recover(struct kipc_rlock *rl, __u32 dead,
				     struct kipc_sync_wake *wk)
{
	int ret;

	kipc_sync_no_wake(wk);
	if (kipc_load(&rl->magic) != KIPC_RLOCK_MAGIC)
		return -EBADMSG;
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	if ((kipc_load(&rl->word) & KIPC_LOCK_OWNER) == dead)
		kipc_store(&rl->tid, 0);
	ret = kipc_lockword_recover(&rl->word, dead);
	kipc_mb();
	kipc_sync_wake_prepare(wk, &rl->waiters,
			       kipc_sync_off(struct kipc_rlock, word),
			       kipc_sync_off(struct kipc_rlock, waiters),
			       KIPC_SYNC_WAKE_ALL);
	return ret;
}

/* ------------------------------------------------------------------------
 * Semaphore and BoundedSemaphore: @count is the value, 0..max, where max
 * is the kernel-trusted limit (KIPC_SEM_VALUE_MAX for a plain Semaphore).
 * Only ever changed by CAS: a death cannot tear it.
 */
#define KIPC_SEM_VALUE_MAX	0x7fffffffU

/**
 * struct kipc_sem - counting semaphore
 * @magic:   KIPC_SEM_MAGIC
 * @count:   the value; sleepers sleep on it while it is 0
 * @waiters: kernel-maintained waiter counter for @count
 * @max:     the maximum at creation; informative only, never trusted
 * @pad:     zero
 */
struct kipc_sem {
	__u32 magic;
	__u32 count;
	__u32 waiters;
	__u32 max;
	__u32 pad[12];
};

#define KIPC_SEM_SIZE		((__u32)sizeof(struct kipc_sem))

static inline int kipc_sem_max_valid(__u32 max)
{
	return max >= 1 && max <= KIPC_SEM_VALUE_MAX;
}

static inline int kipc_sem_init(struct kipc_sem *s, __u32 value, __u32 max)
{
	if (!kipc_sem_max_valid(max) || value > max)
		return -EINVAL;
	kipc_store(&s->count, value);
	kipc_store(&s->waiters, 0);
	kipc_store(&s->max, max);
	kipc_store_release(&s->magic, KIPC_SEM_MAGIC);
	return 0;
}

/* The value, or -EBADMSG / -EINVAL. */
static inline int kipc_sem_value(struct kipc_sem *s, __u32 max)
{
	__u32 v;

	if (kipc_load(&s->magic) != KIPC_SEM_MAGIC)
		return -EBADMSG;
	if (!kipc_sem_max_valid(max))
		return -EINVAL;
	v = kipc_load(&s->count);
	if (v > max)
		return -EBADMSG;
	return (int)v;
}

/* Take one unit: 0, -EAGAIN (value 0: sleep as *w says), -EBADMSG. */
static inline int kipc_sem_try_acquire(struct kipc_sem *s, __u32 max,
				       struct kipc_sync_wait *w)
{
	__u32 v, old;
	int i;

	if (kipc_load(&s->magic) != KIPC_SEM_MAGIC)
		return -EBADMSG;
	if (!kipc_sem_max_valid(max))
		return -EINVAL;
	v = kipc_load(&s->count);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (v > max)
			return -EBADMSG;
		if (!v)
			break;
		old = kipc_cmpxchg(&s->count, v, v - 1);
		if (old == v)
			return 0;
		v = old;
	}
	kipc_sync_set_wait(w, kipc_sync_off(struct kipc_sem, count),
			   kipc_sync_off(struct kipc_sem, waiters), v);
	return -EAGAIN;
}

/* Give back @n units: 0, -EOVERFLOW (value would pass @max; unchanged). */
static inline int kipc_sem_release(struct kipc_sem *s, __u32 max, __u32 n,
				   struct kipc_sync_wake *wk)
{
	__u32 v, old;
	int i;

	kipc_sync_no_wake(wk);
	if (kipc_load(&s->magic) != KIPC_SEM_MAGIC)
		return -EBADMSG;
	if (!kipc_sem_max_valid(max) || !n)
		return -EINVAL;
	v = kipc_load(&s->count);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (v > max)
			return -EBADMSG;
		if (n > max - v)
			return -EOVERFLOW;
		old = kipc_cmpxchg(&s->count, v, v + n);
		if (old == v) {
			kipc_sync_wake_prepare(wk, &s->waiters,
					       kipc_sync_off(struct kipc_sem, count),
					       kipc_sync_off(struct kipc_sem, waiters),
					       n);
			return 0;
		}
		v = old;
	}
	return -EAGAIN;
}

/*
 * A semaphore has no owner: units a dead process took stay taken (as with
 * multiprocessing). Recovery only passes on a wake-up the dead sleeper may
 * have consumed.
 */
static inline int kipc_sem_recover(struct kipc_sem *s, __u32 max, __u32 dead,
				   struct kipc_sync_wake *wk)
{
	int ret;

	kipc_sync_no_wake(wk);
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	ret = kipc_sem_value(s, max);
	if (ret < 0)
		return ret;
	kipc_mb();
	kipc_sync_wake_prepare(wk, &s->waiters,
			       kipc_sync_off(struct kipc_sem, count),
			       kipc_sync_off(struct kipc_sem, waiters),
			       KIPC_SYNC_WAKE_ALL);
	return 0;
}

/* ------------------------------------------------------------------------
 * Event: @word bit 0 is the flag; bits 1..31 count set() calls that found
 * it clear (the generation), so a waiter that saw it clear returns after a
 * set() even if clear() followed before it ran (threading.Event).
 */
#define KIPC_EVENT_SET		1U

/**
 * struct kipc_event - event flag
 * @magic:   KIPC_EVENT_MAGIC
 * @word:    flag and generation; sleepers sleep on it
 * @waiters: kernel-maintained waiter counter for @word
 * @pad:     zero
 */
struct kipc_event {
	__u32 magic;
	__u32 word;
	__u32 waiters;
	__u32 pad[13];
};

#define KIPC_EVENT_SIZE		((__u32)sizeof(struct kipc_event))

static inline void kipc_event_init(struct kipc_event *e)
{
	kipc_store(&e->word, 0);
	kipc_store(&e->waiters, 0);
	kipc_store_release(&e->magic, KIPC_EVENT_MAGIC);
}

/* 1 if set, 0 if clear, -EBADMSG. */
static inline int kipc_event_is_set(struct kipc_event *e)
{
	if (kipc_load(&e->magic) != KIPC_EVENT_MAGIC)
		return -EBADMSG;
	return kipc_load_acquire(&e->word) & KIPC_EVENT_SET;
}

static inline int kipc_event_set(struct kipc_event *e,
				 struct kipc_sync_wake *wk)
{
	__u32 v, old;
	int i;

	kipc_sync_no_wake(wk);
	if (kipc_load(&e->magic) != KIPC_EVENT_MAGIC)
		return -EBADMSG;
	v = kipc_load(&e->word);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (v & KIPC_EVENT_SET)
			return 0;
		old = kipc_cmpxchg(&e->word, v, (v + 2) | KIPC_EVENT_SET);
		if (old == v) {
			kipc_sync_wake_prepare(wk, &e->waiters,
					       kipc_sync_off(struct kipc_event, word),
					       kipc_sync_off(struct kipc_event, waiters),
					       KIPC_SYNC_WAKE_ALL);
			return 0;
		}
		v = old;
	}
	return -EAGAIN;
}

static inline int kipc_event_clear(struct kipc_event *e)
{
	__u32 v, old;
	int i;

	if (kipc_load(&e->magic) != KIPC_EVENT_MAGIC)
		return -EBADMSG;
	v = kipc_load(&e->word);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (!(v & KIPC_EVENT_SET))
			return 0;
		old = kipc_cmpxchg(&e->word, v, v & ~KIPC_EVENT_SET);
		if (old == v)
			return 0;
		v = old;
	}
	return -EAGAIN;
}

/*
 * Wait for the event. *ticket starts as KIPC_SYNC_TICKET_INIT and is passed
 * back unchanged on every retry. 0 when set (or set since the first call),
 * -EAGAIN: sleep as *w says.
 */
static inline int kipc_event_try_wait(struct kipc_event *e, __u64 *ticket,
				      struct kipc_sync_wait *w)
{
	__u32 v;

	if (kipc_load(&e->magic) != KIPC_EVENT_MAGIC)
		return -EBADMSG;
	v = kipc_load_acquire(&e->word);
	if (v & KIPC_EVENT_SET)
		return 0;
	if (*ticket & KIPC_SYNC_TICKET_VALID) {
		if ((v >> 1) != (((__u32)*ticket) >> 1))
			return 0;
	} else {
		*ticket = KIPC_SYNC_TICKET_VALID | v;
	}
	kipc_sync_set_wait(w, kipc_sync_off(struct kipc_event, word),
			   kipc_sync_off(struct kipc_event, waiters), v);
	return -EAGAIN;
}

/* Nothing to repair: only pass on a possibly consumed wake-up. */
static inline int kipc_event_recover(struct kipc_event *e, __u32 dead,
				     struct kipc_sync_wake *wk)
{
	kipc_sync_no_wake(wk);
	if (kipc_load(&e->magic) != KIPC_EVENT_MAGIC)
		return -EBADMSG;
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	kipc_mb();
	kipc_sync_wake_prepare(wk, &e->waiters,
			       kipc_sync_off(struct kipc_event, word),
			       kipc_sync_off(struct kipc_event, waiters),
			       KIPC_SYNC_WAKE_ALL);
	return 0;
}

/* ------------------------------------------------------------------------
 * Barrier: @state
 *
 *   bits  0..15  parties arrived in the current generation (< parties)
 *   bits 16..29  generation (wraps)
 *   bit  30      KIPC_BARRIER_BROKEN (abort(), a timeout, or a departure
 *                kipc_barrier_recover() could not leave the barrier alone)
 *   bit  31      KIPC_BARRIER_FROZEN (a reset() in progress; arrivals wait)
 *
 * @history bit (g % 32) is set when generation g ended by reset() rather
 * than by its last arrival, so a waiter of g that wakes after the
 * generation moved on knows which. Only a resetter writes @history and
 * @last_reset (the last generation reset), while @state is frozen: it sets
 * bit g and clears the bits of the generations since @last_reset, which
 * all ended by their last arrival. @resetter holds the owner id of a
 * reset() in progress so that recovery can finish it.
 *
 * @seen records who is counted among the arrivals, so that the kernel can
 * tell whether a mapping that goes away normally takes an arrival with it.
 * Owner id i hashes to bucket i % 512: word (i / 16) % 32, bit i % 16. A
 * word is
 *
 *   bits  0..15  buckets with an arrival in generation tag
 *   bits 16..29  tag: the generation those arrivals belong to
 *   bits 30..31  zero
 *
 * An arrival sets its bucket, tagged with the generation it arrives in,
 * before the CAS that counts it; a word tagged with an older generation is
 * started afresh, so nothing ever has to clear @seen. A set bit may be
 * another id of the bucket or an arrival whose CAS then failed: false
 * positives, which only make recovery break the barrier when it need not.
 */
#define KIPC_BARRIER_COUNT		0x0000ffffU
#define KIPC_BARRIER_GEN_SHIFT		16
#define KIPC_BARRIER_GEN_MASK		0x3fffU
#define KIPC_BARRIER_BROKEN		0x40000000U
#define KIPC_BARRIER_FROZEN		0x80000000U
#define KIPC_BARRIER_PARTIES_MAX	0xffffU
#define KIPC_BARRIER_SEEN_WORDS		32
#define KIPC_BARRIER_SEEN_BUCKETS	0x0000ffffU

/**
 * struct kipc_barrier - barrier (threading.Barrier)
 * @magic:    KIPC_BARRIER_MAGIC
 * @state:    count, generation and flags; sleepers sleep on it
 * @waiters:  kernel-maintained waiter counter for @state
 * @resetter: owner id running reset(), or 0
 * @history:  one bit per recent generation: ended by reset()
 * @last_reset: the generation the last reset() ended
 * @parties:  the parties at creation; informative only, never trusted
 * @pad:      zero
 * @seen:     hashed owner ids of the arrivals, per generation (above); on
 *            their own cache lines, written once per arrival
 */
struct kipc_barrier {
	__u32 magic;
	__u32 state;
	__u32 waiters;
	__u32 resetter;
	__u32 history;
	__u32 last_reset;
	__u32 parties;
	__u32 pad[9];
	__u32 seen[KIPC_BARRIER_SEEN_WORDS];
};

#define KIPC_BARRIER_SIZE	((__u32)sizeof(struct kipc_barrier))

static inline __u32 kipc_barrier_gen(__u32 s)
{
	return (s >> KIPC_BARRIER_GEN_SHIFT) & KIPC_BARRIER_GEN_MASK;
}

static inline __u32 kipc_barrier_mkgen(__u32 g)
{
	return (g & KIPC_BARRIER_GEN_MASK) << KIPC_BARRIER_GEN_SHIFT;
}

static inline int kipc_barrier_init(struct kipc_barrier *b, __u32 parties)
{
	__u32 i;

	if (!parties || parties > KIPC_BARRIER_PARTIES_MAX)
		return -EINVAL;
	kipc_store(&b->state, 0);
	kipc_store(&b->waiters, 0);
	kipc_store(&b->resetter, 0);
	kipc_store(&b->history, 0);
	kipc_store(&b->last_reset, KIPC_BARRIER_GEN_MASK);
	kipc_store(&b->parties, parties);
	for (i = 0; i < KIPC_BARRIER_SEEN_WORDS; i++)
		kipc_store(&b->seen[i], 0);
	kipc_store_release(&b->magic, KIPC_BARRIER_MAGIC);
	return 0;
}

static inline int kipc_barrier_check(struct kipc_barrier *b, __u32 parties)
{
	if (kipc_load(&b->magic) != KIPC_BARRIER_MAGIC)
		return -EBADMSG;
	if (!parties || parties > KIPC_BARRIER_PARTIES_MAX)
		return -EINVAL;
	return 0;
}

static inline void kipc_barrier_wake(struct kipc_barrier *b,
				     struct kipc_sync_wake *wk)
{
	kipc_sync_wake_prepare(wk, &b->waiters,
			       kipc_sync_off(struct kipc_barrier, state),
			       kipc_sync_off(struct kipc_barrier, waiters),
			       KIPC_SYNC_WAKE_ALL);
}

static inline __u32 *kipc_barrier_seen_word(struct kipc_barrier *b, __u32 id)
{
	return &b->seen[(id >> 4) % KIPC_BARRIER_SEEN_WORDS];
}

static inline __u32 kipc_barrier_seen_bit(__u32 id)
{
	return 1U << (id & 15);
}

/*
 * Record that @id is about to arrive in generation @g. Gives up (a missing
 * record only makes a normal departure of @id leave the barrier alone) if
 * the word names a newer generation - our arrival's CAS will fail - or
 * keeps changing.
 */
static inline void kipc_barrier_note(struct kipc_barrier *b, __u32 g,
				     __u32 id)
{
	__u32 *p = kipc_barrier_seen_word(b, id);
	__u32 bit = kipc_barrier_seen_bit(id);
	__u32 v, nv, old, tag;
	int i;

	v = kipc_load(p);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		tag = kipc_barrier_gen(v);
		if (tag == g) {
			if (v & bit)
				return;
			nv = (v & KIPC_BARRIER_SEEN_BUCKETS) | bit |
			     kipc_barrier_mkgen(g);
		} else if (((g - tag) & KIPC_BARRIER_GEN_MASK) <
			   (KIPC_BARRIER_GEN_MASK + 1) / 2) {
			nv = bit | kipc_barrier_mkgen(g);
		} else {
			return;
		}
		old = kipc_cmpxchg(p, v, nv);
		if (old == v)
			return;
		v = old;
	}
}

/* Is @id (maybe: buckets are shared) among the arrivals of generation @g? */
static inline int kipc_barrier_noted(struct kipc_barrier *b, __u32 g,
				     __u32 id)
{
	__u32 v = kipc_load(kipc_barrier_seen_word(b, id));

	return kipc_barrier_gen(v) == g && (v & kipc_barrier_seen_bit(id));
}

/*
 * Wait at the barrier. *ticket starts as KIPC_SYNC_TICKET_INIT and is
 * passed back unchanged on every retry; the first call arrives, as owner
 * id @me (the caller's mapping). Returns 0 with *index the arrival index
 * (0..parties-1; parties-1 released the others), -EAGAIN (sleep as *w
 * says), -EPIPE (broken or reset while waiting; an arrival at a broken
 * barrier fails at once; a waiter whose generation completed gets its
 * index even if the barrier broke since), -EBADMSG, -EINVAL.
 */
static inline int kipc_barrier_try_wait(struct kipc_barrier *b,
					__u32 parties, __u32 me,
					__u64 *ticket, __u32 *index,
					struct kipc_sync_wait *w,
					struct kipc_sync_wake *wk)
{
	__u32 s, old, c, g;
	int i, ret;

	kipc_sync_no_wake(wk);
	ret = kipc_barrier_check(b, parties);
	if (ret)
		return ret;
	if (!kipc_sync_id_valid(me))
		return -EINVAL;
	s = kipc_load_acquire(&b->state);
	if (!(*ticket & KIPC_SYNC_TICKET_VALID)) {
		for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
			c = s & KIPC_BARRIER_COUNT;
			g = kipc_barrier_gen(s);
			if (c >= parties)
				return -EBADMSG;
			if (s & KIPC_BARRIER_BROKEN)
				return -EPIPE;
			if (s & KIPC_BARRIER_FROZEN)
				break;
			if (c + 1 == parties) {
				old = kipc_cmpxchg(&b->state, s,
						   kipc_barrier_mkgen(g + 1));
				if (old == s) {
					*index = parties - 1;
					kipc_barrier_wake(b, wk);
					return 0;
				}
			} else {
				kipc_barrier_note(b, g, me);
				old = kipc_cmpxchg(&b->state, s, s + 1);
				if (old == s) {
					*ticket = KIPC_SYNC_TICKET_VALID |
						  ((__u64)c << 32) | g;
					s = s + 1;
					goto arrived;
				}
			}
			s = old;
		}
		kipc_sync_set_wait(w, kipc_sync_off(struct kipc_barrier, state),
				   kipc_sync_off(struct kipc_barrier, waiters),
				   s);
		return -EAGAIN;
	}
arrived:
	g = (__u32)*ticket & KIPC_BARRIER_GEN_MASK;
	c = (__u32)(*ticket >> 32) & KIPC_BARRIER_COUNT;
	if (c >= parties)
		return -EINVAL;
	if (kipc_barrier_gen(s) != g) {
		/*
		 * Only a generation at or before the last reset can have
		 * ended by reset: the bits of those since then still hold
		 * older resets' marks until the next reset clears them.
		 */
		__u32 lr = kipc_load(&b->last_reset) & KIPC_BARRIER_GEN_MASK;

		if (((lr - g) & KIPC_BARRIER_GEN_MASK) < 32 &&
		    kipc_load(&b->history) & (1U << (g & 31)))
			return -EPIPE;
		*index = c;
		return 0;
	}
	if (s & KIPC_BARRIER_BROKEN)
		return -EPIPE;
	kipc_sync_set_wait(w, kipc_sync_off(struct kipc_barrier, state),
			   kipc_sync_off(struct kipc_barrier, waiters), s);
	return -EAGAIN;
}

/* Break the barrier: current and future waiters get -EPIPE until reset. */
static inline int kipc_barrier_abort(struct kipc_barrier *b, __u32 parties,
				     struct kipc_sync_wake *wk)
{
	__u32 s, old;
	int i, ret;

	kipc_sync_no_wake(wk);
	ret = kipc_barrier_check(b, parties);
	if (ret)
		return ret;
	s = kipc_load(&b->state);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if ((s & KIPC_BARRIER_COUNT) >= parties)
			return -EBADMSG;
		if (s & KIPC_BARRIER_BROKEN)
			return 0;
		old = kipc_cmpxchg(&b->state, s, s | KIPC_BARRIER_BROKEN);
		if (old == s) {
			kipc_barrier_wake(b, wk);
			return 0;
		}
		s = old;
	}
	return -EAGAIN;
}

/*
 * Frozen generation @g ends by reset: clear the bits of the generations
 * since the last reset (they ended by their last arrival), set bit @g.
 * Idempotent, so recovery may repeat it for a resetter that died.
 */
static inline void kipc_barrier_mark(struct kipc_barrier *b, __u32 g)
{
	__u32 lr, d, h, i;

	lr = kipc_load(&b->last_reset) & KIPC_BARRIER_GEN_MASK;
	d = (g - lr) & KIPC_BARRIER_GEN_MASK;
	h = kipc_load(&b->history);
	if (d > 32)
		h = 0;
	for (i = 1; i < d && i < 32; i++)
		h &= ~(1U << ((lr + i) & 31));
	h |= 1U << (g & 31);
	kipc_store(&b->history, h);
	kipc_store(&b->last_reset, g);
}

/* Steps 2-4 of reset(), also run by recovery for a dead resetter. */
static inline int kipc_barrier_reset_finish(struct kipc_barrier *b)
{
	__u32 s, old, g;
	int i;

	s = kipc_load(&b->state);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (s & KIPC_BARRIER_FROZEN)
			break;
		old = kipc_cmpxchg(&b->state, s, s | KIPC_BARRIER_FROZEN);
		if (old == s) {
			s |= KIPC_BARRIER_FROZEN;
			break;
		}
		s = old;
	}
	if (!(s & KIPC_BARRIER_FROZEN))
		return -EAGAIN;
	g = kipc_barrier_gen(s);
	kipc_barrier_mark(b, g);
	/* Frozen: only BROKEN may still be added (by abort or recovery). */
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if (!(s & KIPC_BARRIER_FROZEN) || kipc_barrier_gen(s) != g)
			return -EBADMSG;
		old = kipc_cmpxchg(&b->state, s, kipc_barrier_mkgen(g + 1));
		if (old == s)
			return 0;
		s = old;
	}
	return -EAGAIN;
}

/*
 * Return the barrier to its empty state; current waiters get -EPIPE. @me is
 * the caller's owner id (so that recovery can finish a reset whose caller
 * died). -EAGAIN when another reset is running: sleep as *w says, retry.
 */
static inline int kipc_barrier_reset(struct kipc_barrier *b, __u32 parties,
				     __u32 me, struct kipc_sync_wait *w,
				     struct kipc_sync_wake *wk)
{
	__u32 r;
	int ret;

	kipc_sync_no_wake(wk);
	ret = kipc_barrier_check(b, parties);
	if (ret)
		return ret;
	if (!kipc_sync_id_valid(me))
		return -EINVAL;
	r = kipc_cmpxchg(&b->resetter, 0, me);
	if (r) {
		kipc_sync_set_wait(w, kipc_sync_off(struct kipc_barrier, state),
				   kipc_sync_off(struct kipc_barrier, waiters),
				   kipc_load(&b->state));
		return -EAGAIN;
	}
	ret = kipc_barrier_reset_finish(b);
	kipc_cmpxchg(&b->resetter, me, 0);
	kipc_barrier_wake(b, wk);
	return ret;
}

/*
 * After the mapping with owner id @dead went away: finish a reset() it was
 * running, then break the barrier
 * - if @killed (its process was killed, see kipc_vma_killed()): it may
 *   have been a party that will now never arrive, whether or not anyone
 *   waits yet;
 * - otherwise (munmap, exec, normal exit) only if @dead is among the
 *   current generation's arrivals: they can never be released correctly.
 * A frozen barrier is left alone: the reset() under way comes after the
 * departure. Returns 1 if the barrier was broken or a reset finished, 0 if
 * nothing changed.
 */
static inline int kipc_barrier_recover(struct kipc_barrier *b, __u32 parties,
				       __u32 dead, int killed,
				       struct kipc_sync_wake *wk)
{
	__u32 s, old;
	int i, ret, changed = 0;

	kipc_sync_no_wake(wk);
	ret = kipc_barrier_check(b, parties);
	if (ret)
		return ret;
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	if (kipc_load(&b->resetter) == dead) {
		ret = kipc_barrier_reset_finish(b);
		kipc_cmpxchg(&b->resetter, dead, 0);
		if (ret)
			return ret;
		changed = 1;
	}
	s = kipc_load(&b->state);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		if ((s & KIPC_BARRIER_COUNT) >= parties) {
			ret = -EBADMSG;
			break;
		}
		if (s & (KIPC_BARRIER_BROKEN | KIPC_BARRIER_FROZEN))
			break;
		if (!killed) {
			if (!(s & KIPC_BARRIER_COUNT))
				break;
			/* An arrival's record precedes its count. */
			kipc_mb();
			if (!kipc_barrier_noted(b, kipc_barrier_gen(s), dead))
				break;
		}
		old = kipc_cmpxchg(&b->state, s, s | KIPC_BARRIER_BROKEN);
		if (old == s) {
			changed = 1;
			break;
		}
		s = old;
	}
	kipc_mb();
	kipc_barrier_wake(b, wk);
	return ret ? ret : changed;
}

/* ------------------------------------------------------------------------
 * Condition: FIFO tickets. @seq is the next ticket, @cursor the next ticket
 * to decide; ticket t's waiter claims slot (t % nslots) before it takes
 * the ticket, and the slot word is
 *
 *   bits  0..15  owner id (0: slot free)
 *   bit  16      zero
 *   bit  17      KIPC_COND_CANCELLED: gave up or died; notify skips it
 *   bit  18      zero
 *   bits 19..31  lap: (t / nslots) % 8192, so a slot names its ticket
 *
 * Granting ticket t frees its slot, then moves @cursor past t, then bumps
 * @wake_seq: a waiter whose slot no longer names it, once @cursor passed
 * its ticket, was notified. nslots (kernel-trusted) is a power of two, at
 * most KIPC_COND_SLOTS_MAX: the most waiters not yet notified at a time.
 * Waiters sleep on @wake_seq.
 */
#define KIPC_COND_OWNER		0x0000ffffU
#define KIPC_COND_CANCELLED	0x00020000U
#define KIPC_COND_LAP_SHIFT	19
#define KIPC_COND_LAP_MASK	0x1fffU
#define KIPC_COND_LAPS		(KIPC_COND_LAP_MASK + 1)
#define KIPC_COND_SLOTS_MAX	4096U

/**
 * struct kipc_cond - condition variable (threading.Condition)
 * @magic:    KIPC_COND_MAGIC
 * @nslots:   the slots at creation; informative only, never trusted
 * @seq:      next ticket (taken with the associated lock held)
 * @cursor:   next ticket to decide
 * @pad0:     zero
 * @wake_seq: bumped after every decision; sleepers sleep on it
 * @waiters:  kernel-maintained waiter counter for @wake_seq
 * @pad1:     zero
 * @slots:    one word per waiter not yet notified
 */
struct kipc_cond {
	__u32 magic;
	__u32 nslots;
	__u32 seq;
	__u32 cursor;
	__u32 pad0[12];
	__u32 wake_seq;
	__u32 waiters;
	__u32 pad1[14];
	__u32 slots[];
};

static inline int kipc_cond_nslots_valid(__u32 nslots)
{
	return nslots && nslots <= KIPC_COND_SLOTS_MAX &&
	       !(nslots & (nslots - 1));
}

/* Bytes of memory for a condition with @nslots slots (0 if invalid). */
static inline __u32 kipc_cond_size(__u32 nslots)
{
	if (!kipc_cond_nslots_valid(nslots))
		return 0;
	return (__u32)sizeof(struct kipc_cond) + nslots * 4;
}

static inline int kipc_cond_init(struct kipc_cond *c, __u32 nslots)
{
	__u32 i;

	if (!kipc_cond_nslots_valid(nslots))
		return -EINVAL;
	kipc_store(&c->seq, 0);
	kipc_store(&c->cursor, 0);
	kipc_store(&c->wake_seq, 0);
	kipc_store(&c->waiters, 0);
	kipc_store(&c->nslots, nslots);
	for (i = 0; i < nslots; i++)
		kipc_store(&c->slots[i], 0);
	kipc_store_release(&c->magic, KIPC_COND_MAGIC);
	return 0;
}

static inline int kipc_cond_check(struct kipc_cond *c, __u32 nslots)
{
	if (kipc_load(&c->magic) != KIPC_COND_MAGIC)
		return -EBADMSG;
	if (!kipc_cond_nslots_valid(nslots))
		return -EINVAL;
	return 0;
}

/* The slot word of ticket @t's waiter @me, before any flag. */
static inline __u32 kipc_cond_mine(__u32 t, __u32 nslots, __u32 me)
{
	return (((t / nslots) & KIPC_COND_LAP_MASK) << KIPC_COND_LAP_SHIFT) |
	       me;
}

static inline int kipc_cond_slot_valid(__u32 st)
{
	if (!st)
		return 1;
	return (st & KIPC_COND_OWNER) && !(st & 0x00050000U);
}

/*
 * Move the cursor: grant up to @n waiting tickets in order (freeing their
 * slots), free cancelled slots, pass tickets without a waiter; stop at a
 * waiting ticket once @n are granted, or at @seq. Each ticket is decided
 * (by a CAS on its slot) before the cursor moves past it, so a mover that
 * dies in between leaves nothing lost, and concurrent movers (notify with
 * the lock held, recovery without it) decide each ticket once.
 */
static inline int kipc_cond_advance(struct kipc_cond *c, __u32 nslots,
				    __u32 n, __u32 *granted)
{
	__u32 cur, s, st, *slot;
	int i, moved = 0;

	*granted = 0;
	for (i = 0; i < (int)(2 * nslots) + KIPC_SYNC_RETRIES; i++) {
		cur = kipc_load(&c->cursor);
		s = kipc_load(&c->seq);
		if (cur == s)
			return moved;
		if ((__u32)(s - cur) > 2 * nslots)
			return -EBADMSG;
		slot = &c->slots[cur & (nslots - 1)];
		st = kipc_load(slot);
		if (st && kipc_cond_slot_valid(st) &&
		    (st & ~KIPC_COND_CANCELLED) ==
		    kipc_cond_mine(cur, nslots, st & KIPC_COND_OWNER)) {
			/* The slot names ticket cur. */
			if (!(st & KIPC_COND_CANCELLED) && *granted >= n)
				return moved;
			if (kipc_cmpxchg(slot, st, 0) != st)
				continue;
			if (!(st & KIPC_COND_CANCELLED))
				(*granted)++;
		}
		kipc_cmpxchg(&c->cursor, cur, cur + 1);
		moved = 1;
	}
	return -EAGAIN;
}

static inline void kipc_cond_bump(struct kipc_cond *c,
				  struct kipc_sync_wake *wk)
{
	__u32 v, old;
	int i;

	v = kipc_load(&c->wake_seq);
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		old = kipc_cmpxchg(&c->wake_seq, v, v + 1);
		if (old == v)
			break;
		v = old;
	}
	/* A failed bump still means the word changed: sleepers see that. */
	kipc_sync_wake_prepare(wk, &c->waiters,
			       kipc_sync_off(struct kipc_cond, wake_seq),
			       kipc_sync_off(struct kipc_cond, waiters),
			       KIPC_SYNC_WAKE_ALL);
}

/*
 * Start waiting; the caller holds the associated lock and releases it
 * after this succeeds, then calls kipc_cond_try_wait() until it returns
 * 0. *ticket receives the ticket. -ENOSPC when nslots waiters are not yet
 * notified.
 */
static inline int kipc_cond_wait_begin(struct kipc_cond *c, __u32 nslots,
				       __u32 me, __u64 *ticket)
{
	__u32 t, old, mine, *slot;
	int i, ret;

	ret = kipc_cond_check(c, nslots);
	if (ret)
		return ret;
	if (!kipc_sync_id_valid(me))
		return -EINVAL;
	for (i = 0; i < KIPC_SYNC_RETRIES; i++) {
		t = kipc_load(&c->seq);
		slot = &c->slots[t & (nslots - 1)];
		mine = kipc_cond_mine(t, nslots, me);
		old = kipc_cmpxchg(slot, 0, mine);
		if (old)
			return kipc_cond_slot_valid(old) ? -ENOSPC : -EBADMSG;
		/* Slot first: nobody else can take ticket t meanwhile. */
		if (kipc_cmpxchg(&c->seq, t, t + 1) == t) {
			*ticket = KIPC_SYNC_TICKET_VALID | t;
			return 0;
		}
		/* @seq moved (the lock was not held): give the slot back. */
		kipc_cmpxchg(slot, mine, 0);
	}
	return -EAGAIN;
}

/*
 * 0 when notified, -EAGAIN: sleep as *w says, -EBADMSG if the slot was
 * taken from under us. Spurious kernel wake-ups are absorbed here; a 0 is
 * never spurious.
 */
static inline int kipc_cond_try_wait(struct kipc_cond *c, __u32 nslots,
				     __u32 me, __u64 ticket,
				     struct kipc_sync_wait *w)
{
	__u32 t = (__u32)ticket, ws, st, cur;
	int ret;

	ret = kipc_cond_check(c, nslots);
	if (ret)
		return ret;
	if (!(ticket & KIPC_SYNC_TICKET_VALID) || !kipc_sync_id_valid(me))
		return -EINVAL;
	ws = kipc_load_acquire(&c->wake_seq);
	st = kipc_load_acquire(&c->slots[t & (nslots - 1)]);
	if (st != kipc_cond_mine(t, nslots, me)) {
		if (st == (kipc_cond_mine(t, nslots, me) | KIPC_COND_CANCELLED))
			return -EBADMSG;
		/* Freed by a granter; notified once the cursor passed t. */
		cur = kipc_load_acquire(&c->cursor);
		if ((__s32)(cur - t) > 0)
			return 0;
	}
	kipc_sync_set_wait(w, kipc_sync_off(struct kipc_cond, wake_seq),
			   kipc_sync_off(struct kipc_cond, waiters), ws);
	return -EAGAIN;
}

/*
 * Give up waiting (timeout, signal). 0: cancelled, not notified; 1: it had
 * been notified meanwhile (the notification is consumed: report a normal
 * wake-up); negative on error.
 */
static inline int kipc_cond_wait_cancel(struct kipc_cond *c, __u32 nslots,
					__u32 me, __u64 ticket)
{
	__u32 t = (__u32)ticket, st, mine;
	int ret;

	ret = kipc_cond_check(c, nslots);
	if (ret)
		return ret;
	if (!(ticket & KIPC_SYNC_TICKET_VALID) || !kipc_sync_id_valid(me))
		return -EINVAL;
	mine = kipc_cond_mine(t, nslots, me);
	st = kipc_cmpxchg(&c->slots[t & (nslots - 1)], mine,
			  mine | KIPC_COND_CANCELLED);
	if (st == mine)
		return 0;
	if (st == (mine | KIPC_COND_CANCELLED))
		return -EINVAL;
	return 1;
}

/*
 * Notify up to @n waiters (KIPC_SYNC_WAKE_ALL: notify_all), oldest first;
 * the caller holds the associated lock. Returns how many were notified:
 * exactly that many waits end with 0.
 */
static inline int kipc_cond_notify(struct kipc_cond *c, __u32 nslots, __u32 n,
				   struct kipc_sync_wake *wk)
{
	__u32 granted = 0;
	int ret;

	kipc_sync_no_wake(wk);
	ret = kipc_cond_check(c, nslots);
	if (ret)
		return ret;
	ret = kipc_cond_advance(c, nslots, n, &granted);
	if (ret > 0 || granted)
		kipc_cond_bump(c, wk);
	if (ret < 0 && !granted)
		return ret;
	return (int)(granted & 0x7fffffffU);
}

/*
 * After owner @dead died: a slot it waits in is cancelled, or freed if it
 * died in wait_begin() before taking its ticket; then the cursor is moved
 * past decided tickets (finishing a notify the dead one was running).
 * Returns how many slots it held, or negative.
 */
static inline int kipc_cond_recover(struct kipc_cond *c, __u32 nslots,
				    __u32 dead, struct kipc_sync_wake *wk)
{
	__u32 i, st, old, t, seq, granted;
	int j, ret, found = 0;

	kipc_sync_no_wake(wk);
	ret = kipc_cond_check(c, nslots);
	if (ret)
		return ret;
	if (!kipc_sync_id_valid(dead))
		return -EINVAL;
	for (i = 0; i < nslots; i++) {
		st = kipc_load(&c->slots[i]);
		for (j = 0; j < KIPC_SYNC_RETRIES; j++) {
			if (!st || (st & KIPC_COND_OWNER) != dead ||
			    !kipc_cond_slot_valid(st) ||
			    (st & KIPC_COND_CANCELLED))
				break;
			/*
			 * The ticket this slot names was issued iff @seq moved
			 * past it: nobody else can take it while it is claimed.
			 */
			t = (((st >> KIPC_COND_LAP_SHIFT) & KIPC_COND_LAP_MASK) *
			     nslots) | i;
			seq = kipc_load(&c->seq);
			if (!((seq - t) & (nslots * KIPC_COND_LAPS - 1)))
				old = kipc_cmpxchg(&c->slots[i], st, 0);
			else
				old = kipc_cmpxchg(&c->slots[i], st,
						   st | KIPC_COND_CANCELLED);
			if (old == st) {
				found++;
				break;
			}
			st = old;
		}
	}
	ret = kipc_cond_advance(c, nslots, 0, &granted);
	kipc_cond_bump(c, wk);
	return ret < 0 ? ret : found;
}

#endif /* _KIPC_SYNC_H */
