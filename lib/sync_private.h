/* SPDX-License-Identifier: MIT */
/*
 * libipc internals: include/kipc/sync.h's protocols behind names that do
 * not collide with the public API of <libipc.h> (lib/sync_proto.c is the
 * only file that includes sync.h). Never installed.
 */
#ifndef LIBIPC_SYNC_PRIVATE_H
#define LIBIPC_SYNC_PRIVATE_H

#include <linux/types.h>

/* Layout-identical to struct kipc_sync_wait and struct kipc_sync_wake. */
struct kipc__sw {
	__u32 off, waiters_off, val;
};

struct kipc__sk {
	__u32 off, waiters_off, nr;
};

#define KIPC__WAKE_ALL		0xffffffffU
#define KIPC__TICKET_INIT	0ULL
#define KIPC__ID_KERNEL		0xffffU

int kipc__sem_try(void *m, __u32 max, struct kipc__sw *w);
int kipc__sem_post(void *m, __u32 max, __u32 n, struct kipc__sk *wk);
int kipc__sem_get(void *m, __u32 max);

int kipc__lock_try(void *m, __u32 me, struct kipc__sw *w);
int kipc__lock_unlock(void *m, struct kipc__sk *wk);
int kipc__lock_fix(void *m, __u32 me);
int kipc__lock_owner(void *m);

int kipc__rlock_try(void *m, __u32 me, __u32 tid, __u32 count,
		    struct kipc__sw *w);
int kipc__rlock_unlock(void *m, __u32 me, __u32 tid, struct kipc__sk *wk);
int kipc__rlock_unlock_all(void *m, __u32 me, __u32 tid, __u32 *saved,
			   struct kipc__sk *wk);
int kipc__rlock_fix(void *m, __u32 me, __u32 tid);
int kipc__rlock_mine(void *m, __u32 me, __u32 tid);

int kipc__event_raise(void *m, struct kipc__sk *wk);
int kipc__event_lower(void *m);
int kipc__event_get(void *m);
int kipc__event_try(void *m, __u64 *ticket, struct kipc__sw *w);

int kipc__barrier_try(void *m, __u32 parties, __u32 me, __u64 *ticket,
		      __u32 *index, struct kipc__sw *w, struct kipc__sk *wk);
int kipc__barrier_break(void *m, __u32 parties, struct kipc__sk *wk);
int kipc__barrier_restart(void *m, __u32 parties, __u32 me,
			  struct kipc__sw *w, struct kipc__sk *wk);
int kipc__barrier_is_broken(void *m, __u32 parties);
int kipc__barrier_waiting(void *m, __u32 parties);

int kipc__cond_begin(void *m, __u32 nslots, __u32 me, __u64 *ticket);
int kipc__cond_try(void *m, __u32 nslots, __u32 me, __u64 ticket,
		   struct kipc__sw *w);
int kipc__cond_cancel(void *m, __u32 nslots, __u32 me, __u64 ticket);
int kipc__cond_signal(void *m, __u32 nslots, __u32 n, struct kipc__sk *wk);

#endif /* LIBIPC_SYNC_PRIVATE_H */
