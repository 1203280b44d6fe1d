/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by driver/sync.c and driver/sync_wait_any.c. */
#ifndef _KIPC_SYNC_PRIV_H
#define _KIPC_SYNC_PRIV_H

#include <kipc/sync.h>
#include "kipc.h"

/* The UAPI's offsets are the layouts of include/kipc/sync.h. */
static_assert(offsetof(struct kipc_lock, word) == KIPC_SYNC_OFF_WORD);
static_assert(offsetof(struct kipc_lock, waiters) == KIPC_SYNC_OFF_WAITERS);
static_assert(offsetof(struct kipc_rlock, word) == KIPC_SYNC_OFF_WORD);
static_assert(offsetof(struct kipc_rlock, waiters) == KIPC_SYNC_OFF_WAITERS);
static_assert(offsetof(struct kipc_sem, count) == KIPC_SYNC_OFF_WORD);
static_assert(offsetof(struct kipc_sem, waiters) == KIPC_SYNC_OFF_WAITERS);
static_assert(offsetof(struct kipc_event, word) == KIPC_SYNC_OFF_WORD);
static_assert(offsetof(struct kipc_event, waiters) == KIPC_SYNC_OFF_WAITERS);
static_assert(offsetof(struct kipc_barrier, state) == KIPC_SYNC_OFF_WORD);
static_assert(offsetof(struct kipc_barrier, waiters) == KIPC_SYNC_OFF_WAITERS);
static_assert(KIPC_SEM_VALUE_MAX == KIPC_SYNC_SEM_MAX);
static_assert(KIPC_SYNC_PARTIES_MAX == KIPC_BARRIER_PARTIES_MAX);
static_assert(KIPC_SYNC_SLOTS_MAX == KIPC_COND_SLOTS_MAX);
static_assert(KIPC_ID_KERNEL == KIPC_SYNC_ID_KERNEL);
static_assert(sizeof(struct kipc_sync_params) == sizeof(union kipc_params));

u32 kipc_sync_sem_max(const struct kipc_object *obj);
void kipc_sync_wake(struct kipc_object *obj, const struct kipc_sync_wake *wk);
int kipc_sync_sem_take(struct kipc_object *obj, bool nowait);

#endif /* _KIPC_SYNC_PRIV_H */
