// SPDX-License-Identifier: MIT
/*
 * include/kipc/sync.h compiled into libipc: the same protocol code the
 * driver runs, wrapped for lib/sync.c (see sync_private.h for why).
 */

#include <stddef.h>
#include <kipc/sync.h>

#include "sync_private.h"

#define SW(w)	((struct kipc_sync_wait *)(w))
#define SK(wk)	((struct kipc_sync_wake *)(wk))

_Static_assert(sizeof(struct kipc__sw) == sizeof(struct kipc_sync_wait) &&
	       offsetof(struct kipc__sw, val) ==
	       offsetof(struct kipc_sync_wait, val), "wait layout");
_Static_assert(sizeof(struct kipc__sk) == sizeof(struct kipc_sync_wake) &&
	       offsetof(struct kipc__sk, nr) ==
	       offsetof(struct kipc_sync_wake, nr), "wake layout");
_Static_assert(KIPC__WAKE_ALL == KIPC_SYNC_WAKE_ALL, "wake all");
_Static_assert(KIPC__TICKET_INIT == KIPC_SYNC_TICKET_INIT, "ticket");

int kipc__sem_try(void *m, __u32 max, struct kipc__sw *w)
{
	return kipc_sem_try_acquire(m, max, SW(w));
}

int kipc__sem_post(void *m, __u32 max, __u32 n, struct kipc__sk *wk)
{
	return kipc_sem_release(m, max, n, SK(wk));
}

int kipc__sem_get(void *m, __u32 max)
{
	return kipc_sem_value(m, max);
}

int kipc__lock_try(void *m, __u32 me, struct kipc__sw *w)
{
	return kipc_lock_try_acquire(m, me, SW(w));
}

int kipc__lock_unlock(void *m, struct kipc__sk *wk)
{
	return kipc_lock_release(m, SK(wk));
}

int kipc__lock_fix(void *m, __u32 me)
{
	return kipc_lock_consistent(m, me);
}

int kipc__lock_owner(void *m)
{
	return kipc_lock_owner(m);
}

int kipc__rlock_try(void *m, __u32 me, __u32 tid, __u32 count,
		    struct kipc__sw *w)
{
	return kipc_rlock_try_acquire_count(m, me, tid, count, SW(w));
}

int kipc__rlock_unlock(void *m, __u32 me, __u32 tid, struct kipc__sk *wk)
{
	return kipc_rlock_release(m, me, tid, SK(wk));
}

int kipc__rlock_unlock_all(void *m, __u32 me, __u32 tid, __u32 *saved,
			   struct kipc__sk *wk)
{
	return kipc_rlock_release_save(m, me, tid, saved, SK(wk));
}

int kipc__rlock_fix(void *m, __u32 me, __u32 tid)
{
	return kipc_rlock_consistent(m, me, tid);
}

int kipc__rlock_mine(void *m, __u32 me, __u32 tid)
{
	return kipc_rlock_is_owner(m, me, tid);
}

int kipc__event_raise(void *m, struct kipc__sk *wk)
{
	return kipc_event_set(m, SK(wk));
}

int kipc__event_lower(void *m)
{
	return kipc_event_clear(m);
}

int kipc__event_get(void *m)
{
	return kipc_event_is_set(m);
}

int kipc__event_try(void *m, __u64 *ticket, struct kipc__sw *w)
{
	return kipc_event_try_wait(m, ticket, SW(w));
}

int kipc__barrier_try(void *m, __u32 parties, __u32 me, __u64 *ticket,
		      __u32 *index, struct kipc__sw *w, struct kipc__sk *wk)
{
	return kipc_barrier_try_wait(m, parties, me, ticket, index, SW(w),
				     SK(wk));
}

int kipc__barrier_break(void *m, __u32 parties, struct kipc__sk *wk)
{
	return kipc_barrier_abort(m, parties, SK(wk));
}

int kipc__barrier_restart(void *m, __u32 parties, __u32 me,
			  struct kipc__sw *w, struct kipc__sk *wk)
{
	return kipc_barrier_reset(m, parties, me, SW(w), SK(wk));
}

int kipc__barrier_is_broken(void *m, __u32 parties)
{
	struct kipc_barrier *b = m;
	int ret = kipc_barrier_check(b, parties);

	if (ret)
		return ret;
	return !!(kipc_load(&b->state) & KIPC_BARRIER_BROKEN);
}

int kipc__barrier_waiting(void *m, __u32 parties)
{
	struct kipc_barrier *b = m;
	int ret = kipc_barrier_check(b, parties);
	__u32 s;

	if (ret)
		return ret;
	s = kipc_load(&b->state);
	if ((s & KIPC_BARRIER_COUNT) >= parties)
		return -EBADMSG;
	return s & KIPC_BARRIER_COUNT;
}

int kipc__cond_begin(void *m, __u32 nslots, __u32 me, __u64 *ticket)
{
	return kipc_cond_wait_begin(m, nslots, me, ticket);
}

int kipc__cond_try(void *m, __u32 nslots, __u32 me, __u64 ticket,
		   struct kipc__sw *w)
{
	return kipc_cond_try_wait(m, nslots, me, ticket, SW(w));
}

int kipc__cond_cancel(void *m, __u32 nslots, __u32 me, __u64 ticket)
{
	return kipc_cond_wait_cancel(m, nslots, me, ticket);
}

int kipc__cond_signal(void *m, __u32 nslots, __u32 n, struct kipc__sk *wk)
{
	return kipc_cond_notify(m, nslots, n, SK(wk));
}
