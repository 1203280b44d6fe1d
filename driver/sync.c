// SPDX-License-Identifier: GPL-2.0-only
/*
 * Synchronisation objects: Semaphore (and BoundedSemaphore), Lock, RLock,
 * Event, Barrier and Condition.
 *
 * Their state lives in the object's shared memory and follows the
 * protocols of include/kipc/sync.h, which libipc runs for the fast paths:
 * userspace sleeps and wakes through KIPC_OBJ_IOC_WAIT and _WAKE on the
 * words sync.h names. This file adds what only the kernel can do:
 *
 * - creation with trusted parameters: a semaphore's maximum, a barrier's
 *   parties and a condition's slot count are kept in obj->params (kernel
 *   memory) and passed to every sync.h call; the copies in shared memory
 *   are never read;
 * - recovery when a mapping goes away (->detach): a dead holder's lock
 *   becomes free with KIPC_LOCK_DIED, a killed process or a departing
 *   arrival breaks a barrier, a dead condition waiter's slot is cancelled;
 * - readiness for poll, select, epoll and io_uring, and read(2)/write(2)
 *   on a semaphore (acquire one unit, release n; eventfd-semaphore style).
 *
 * No lock of ours protects the shared state: every change is a CAS in
 * sync.h, bounded and validated, as hostile memory requires.
 */

#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include <kipc/sync.h>
#include "kipc.h"
#include "sync_priv.h"
#include "trace.h"

/* Trusted parameters, from the kernel's copy of the creation params. */
u32 kipc_sync_sem_max(const struct kipc_object *obj)
{
	return obj->params.sync.max ? obj->params.sync.max : KIPC_SEM_VALUE_MAX;
}

static u32 kipc_sync_parties(const struct kipc_object *obj)
{
	return obj->params.sync.parties;
}

static u32 kipc_sync_nslots(const struct kipc_object *obj)
{
	return obj->params.sync.nslots ? obj->params.sync.nslots :
	       KIPC_SYNC_SLOTS_DEFAULT;
}

/**
 * struct kipc_sync_counters - what the kernel repaired, for KIPC_OBJ_IOC_STAT
 * @owner_died: a lock freed from a holder that died
 * @recoveries: every repair (a freed lock, a broken barrier, a cancelled
 *              condition waiter)
 *
 * obj->priv of every synchronisation object; atomic, no lock.
 */
struct kipc_sync_counters {
	atomic64_t owner_died;
	atomic64_t recoveries;
};

static struct kipc_sync_counters *kipc_sync_counters(struct kipc_object *obj)
{
	return obj->priv;
}

static int kipc_sync_counters_alloc(struct kipc_object *obj)
{
	struct kipc_sync_counters *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	obj->priv = c;
	return c ? 0 : -ENOMEM;
}

static void kipc_sync_destroy(struct kipc_object *obj)
{
	kfree(obj->priv);
}

/* @n repairs of a detach or depart (a sync.h recover's positive result). */
static void kipc_sync_repaired(struct kipc_object *obj, int n)
{
	if (n > 0)
		atomic64_add(n, &kipc_sync_counters(obj)->recoveries);
}

/* A lock's recover found @dead holding it and freed it. */
static void kipc_sync_owner_died(struct kipc_object *obj, int ret, u16 dead)
{
	if (ret <= 0)
		return;
	atomic64_inc(&kipc_sync_counters(obj)->owner_died);
	kipc_sync_repaired(obj, 1);
	trace_kipc_owner_died(obj->id, obj->type->type, dead);
}

/* The common part of every sync type's ->stat: waiters and counters. */
static void kipc_sync_stat_common(struct kipc_object *obj, u32 *waiters,
				  struct kipc_sync_stat *ss)
{
	struct kipc_sync_counters *c = kipc_sync_counters(obj);

	ss->waiters = kipc_load(waiters) & ~KIPC_WAITERS_POLL;
	ss->owner_died = atomic64_read(&c->owner_died);
	ss->recoveries = atomic64_read(&c->recoveries);
}

/* Wake whom a sync.h operation asked for. */
void kipc_sync_wake(struct kipc_object *obj, const struct kipc_sync_wake *wk)
{
	if (wk->nr)
		kipc_wake_word(obj, wk->off, wk->waiters_off, wk->nr);
}

/* Fields a type does not use must be zero; flags and reserved always. */
static bool kipc_sync_params_clean(const struct kipc_sync_params *p,
				   bool sem, bool barrier, bool cond)
{
	if (p->flags || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return false;
	if (!sem && (p->value || p->max))
		return false;
	if (!barrier && p->parties)
		return false;
	if (!cond && p->nslots)
		return false;
	return true;
}

/* ---- Semaphore --------------------------------------------------------- */

static s64 kipc_sem_prepare(const union kipc_params *params)
{
	const struct kipc_sync_params *p = &params->sync;
	u32 max = p->max ? p->max : KIPC_SEM_VALUE_MAX;

	if (!kipc_sync_params_clean(p, true, false, false) ||
	    !kipc_sem_max_valid(max) || p->value > max)
		return -EINVAL;
	return KIPC_SEM_SIZE;
}

static int kipc_sem_init_obj(struct kipc_object *obj)
{
	int ret = kipc_sem_init(obj->mem, obj->params.sync.value,
				kipc_sync_sem_max(obj));

	return ret ? ret : kipc_sync_counters_alloc(obj);
}

static bool kipc_sem_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_sem_recover(obj->mem, kipc_sync_sem_max(obj), id, &wk);
	return ret || wk.nr;
}

static __poll_t kipc_sem_poll(struct kipc_object *obj, struct file *file,
			      struct poll_table_struct *pt)
{
	u32 max = kipc_sync_sem_max(obj);
	__poll_t mask = 0;
	int v;

	kipc_poll_watch(obj, file, pt, KIPC_SYNC_OFF_WAITERS);
	v = kipc_sem_value(obj->mem, max);
	if (v < 0)
		return EPOLLERR;
	if (v > 0)
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((u32)v < max)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/*
 * Rounds in a row that fail without sleeping before a take reports the
 * semaphore scribbled: each means the count changed between the attempt
 * and the sleep, which honest contention does a few times at most and a
 * hostile writer flipping the count can do for ever.
 */
#define KIPC_SYNC_SEM_ROUNDS	1024

/*
 * Take one unit, sleeping unless the file or the request is nonblocking.
 * Each round checks for signals and yields; -EBADMSG after
 * KIPC_SYNC_SEM_ROUNDS rounds in a row that did not sleep.
 */
int kipc_sync_sem_take(struct kipc_object *obj, bool nowait)
{
	u32 max = kipc_sync_sem_max(obj);
	unsigned int rounds = 0;
	struct kipc_sync_wait w;
	int ret;

	for (;;) {
		ret = kipc_sem_try_acquire(obj->mem, max, &w);
		if (ret != -EAGAIN)
			return ret;
		if (nowait)
			return -EAGAIN;
		ret = kipc_wait_word(obj, w.off, w.waiters_off, w.val, false, 0);
		if (!ret)
			rounds = 0;	/* a wake-up: somebody's system call */
		else if (ret != -EAGAIN)
			return ret;
		else if (++rounds > KIPC_SYNC_SEM_ROUNDS)
			return -EBADMSG;
		if (signal_pending(current))
			return -ERESTARTSYS;
		cond_resched();
	}
}

static int kipc_sync_sem_give(struct kipc_object *obj, u32 n)
{
	struct kipc_sync_wake wk;
	int ret, i;

	for (i = 0; i < 16; i++) {
		ret = kipc_sem_release(obj->mem, kipc_sync_sem_max(obj), n, &wk);
		if (ret != -EAGAIN)
			break;
		cond_resched();
	}
	if (!ret)
		kipc_sync_wake(obj, &wk);
	return ret;
}

/* read(2) of 8 bytes: acquire one unit; the buffer receives 1. */
static ssize_t kipc_sem_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct kipc_object *obj = file->private_data;
	u64 one = 1;
	int ret;

	if (iov_iter_count(to) < sizeof(one))
		return -EINVAL;
	ret = kipc_sync_sem_take(obj, (file->f_flags & O_NONBLOCK) ||
				 (iocb->ki_flags & IOCB_NOWAIT));
	if (ret)
		return ret;
	if (copy_to_iter(&one, sizeof(one), to) != sizeof(one)) {
		kipc_sync_sem_give(obj, 1);
		return -EFAULT;
	}
	return sizeof(one);
}

/* write(2) of an 8-byte value n: release n units (never blocks). */
static ssize_t kipc_sem_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kipc_object *obj = iocb->ki_filp->private_data;
	u64 n;
	int ret;

	if (iov_iter_count(from) < sizeof(n))
		return -EINVAL;
	if (copy_from_iter(&n, sizeof(n), from) != sizeof(n))
		return -EFAULT;
	if (!n)
		return -EINVAL;
	if (n > kipc_sync_sem_max(obj))
		return -EOVERFLOW;
	ret = kipc_sync_sem_give(obj, n);
	return ret ? ret : sizeof(n);
}

static void kipc_sem_show_fdinfo(struct kipc_object *obj, struct seq_file *m)
{
	struct kipc_sem *s = obj->mem;

	seq_printf(m, "kipc-sem-max:\t%u\n", kipc_sync_sem_max(obj));
	seq_printf(m, "kipc-sem-value:\t%d\n",
		   kipc_sem_value(s, kipc_sync_sem_max(obj)));
	seq_printf(m, "kipc-sem-waiters:\t%u\n",
		   kipc_load(&s->waiters) & ~KIPC_WAITERS_POLL);
}

static void kipc_sem_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_sem *s = obj->mem;
	int v = kipc_sem_value(s, kipc_sync_sem_max(obj));

	st->u.sync.value = v < 0 ? 0 : v;
	kipc_sync_stat_common(obj, &s->waiters, &st->u.sync);
}

const struct kipc_type kipc_sem_type = {
	.name		= "kipc-semaphore",
	.type		= KIPC_TYPE_SEMAPHORE,
	.fmode_nowait	= true,
	.prepare	= kipc_sem_prepare,
	.init		= kipc_sem_init_obj,
	.destroy	= kipc_sync_destroy,
	.detach		= kipc_sem_detach,
	.poll		= kipc_sem_poll,
	.read_iter	= kipc_sem_read_iter,
	.write_iter	= kipc_sem_write_iter,
	.show_fdinfo	= kipc_sem_show_fdinfo,
	.uring_try	= kipc_sync_uring_try,
	.stat		= kipc_sem_stat,
};

/* ---- Lock and RLock ---------------------------------------------------- */

static s64 kipc_lock_prepare(const union kipc_params *params)
{
	if (!kipc_sync_params_clean(&params->sync, false, false, false))
		return -EINVAL;
	return KIPC_LOCK_SIZE;
}

static int kipc_lock_init_obj(struct kipc_object *obj)
{
	kipc_lock_init(obj->mem);
	return kipc_sync_counters_alloc(obj);
}

static bool kipc_lock_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_lock_recover(obj->mem, id, &wk);
	kipc_sync_owner_died(obj, ret, id);
	return ret || wk.nr;
}

/* Readable when free (including free after a death); EPOLLERR if lost. */
static __poll_t kipc_lockword_poll(u32 v)
{
	if (!kipc_lock_word_valid(v) || v == KIPC_LOCK_NOTREC)
		return EPOLLERR;
	return (v & KIPC_LOCK_OWNER) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static __poll_t kipc_lock_poll(struct kipc_object *obj, struct file *file,
			       struct poll_table_struct *pt)
{
	struct kipc_lock *l = obj->mem;

	kipc_poll_watch(obj, file, pt, KIPC_SYNC_OFF_WAITERS);
	if (kipc_load(&l->magic) != KIPC_LOCK_MAGIC)
		return EPOLLERR;
	return kipc_lockword_poll(kipc_load(&l->word));
}

static void kipc_lockword_show(struct seq_file *m, u32 v, u32 waiters)
{
	seq_printf(m, "kipc-lock-owner:\t%u\n", v & KIPC_LOCK_OWNER);
	seq_printf(m, "kipc-lock-owner-died:\t%d\n", !!(v & KIPC_LOCK_DIED));
	seq_printf(m, "kipc-lock-notrecoverable:\t%d\n",
		   v == KIPC_LOCK_NOTREC);
	seq_printf(m, "kipc-lock-waiters:\t%u\n", waiters & ~KIPC_WAITERS_POLL);
}

static void kipc_lock_show_fdinfo(struct kipc_object *obj, struct seq_file *m)
{
	struct kipc_lock *l = obj->mem;

	kipc_lockword_show(m, kipc_load(&l->word), kipc_load(&l->waiters));
}

/* A lock word, as struct kipc_sync_stat tells it (@value: 1 if held). */
static void kipc_lockword_stat(u32 v, struct kipc_sync_stat *ss)
{
	if (!kipc_lock_word_valid(v) || v == KIPC_LOCK_NOTREC)
		return;
	ss->holder = v & KIPC_LOCK_OWNER;
	ss->value = !!ss->holder;
	if ((v & KIPC_LOCK_DIED) && !ss->holder)
		ss->flags |= KIPC_SYNC_STAT_DIED;
}

static void kipc_lock_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_lock *l = obj->mem;

	kipc_lockword_stat(kipc_load(&l->word), &st->u.sync);
	kipc_sync_stat_common(obj, &l->waiters, &st->u.sync);
}

const struct kipc_type kipc_lock_type = {
	.name		= "kipc-lock",
	.type		= KIPC_TYPE_LOCK,
	.prepare	= kipc_lock_prepare,
	.init		= kipc_lock_init_obj,
	.destroy	= kipc_sync_destroy,
	.detach		= kipc_lock_detach,
	.poll		= kipc_lock_poll,
	.show_fdinfo	= kipc_lock_show_fdinfo,
	.uring_try	= kipc_sync_uring_try,
	.stat		= kipc_lock_stat,
};

static s64 kipc_rlock_prepare(const union kipc_params *params)
{
	if (!kipc_sync_params_clean(&params->sync, false, false, false))
		return -EINVAL;
	return KIPC_RLOCK_SIZE;
}

static int kipc_rlock_init_obj(struct kipc_object *obj)
{
	kipc_rlock_init(obj->mem);
	return kipc_sync_counters_alloc(obj);
}

static bool kipc_rlock_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_rlock_recover(obj->mem, id, &wk);
	kipc_sync_owner_died(obj, ret, id);
	return ret || wk.nr;
}

static __poll_t kipc_rlock_poll(struct kipc_object *obj, struct file *file,
				struct poll_table_struct *pt)
{
	struct kipc_rlock *rl = obj->mem;

	kipc_poll_watch(obj, file, pt, KIPC_SYNC_OFF_WAITERS);
	if (kipc_load(&rl->magic) != KIPC_RLOCK_MAGIC)
		return EPOLLERR;
	return kipc_lockword_poll(kipc_load(&rl->word));
}

static void kipc_rlock_show_fdinfo(struct kipc_object *obj,
				   struct seq_file *m)
{
	struct kipc_rlock *rl = obj->mem;

	kipc_lockword_show(m, kipc_load(&rl->word), kipc_load(&rl->waiters));
	seq_printf(m, "kipc-rlock-count:\t%u\n", kipc_load(&rl->count));
}

static void kipc_rlock_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_rlock *rl = obj->mem;
	struct kipc_sync_stat *ss = &st->u.sync;
	u32 count = kipc_load(&rl->count);

	kipc_lockword_stat(kipc_load(&rl->word), ss);
	/* The holder writes @count after its CAS: bound what it says. */
	ss->value = ss->holder ? min(count, KIPC_RLOCK_COUNT_MAX) : 0;
	kipc_sync_stat_common(obj, &rl->waiters, ss);
}

const struct kipc_type kipc_rlock_type = {
	.name		= "kipc-rlock",
	.type		= KIPC_TYPE_RLOCK,
	.prepare	= kipc_rlock_prepare,
	.init		= kipc_rlock_init_obj,
	.destroy	= kipc_sync_destroy,
	.detach		= kipc_rlock_detach,
	.poll		= kipc_rlock_poll,
	.show_fdinfo	= kipc_rlock_show_fdinfo,
	.uring_try	= kipc_sync_uring_try,
	.stat		= kipc_rlock_stat,
};

/* ---- Event ------------------------------------------------------------- */

static s64 kipc_event_prepare(const union kipc_params *params)
{
	if (!kipc_sync_params_clean(&params->sync, false, false, false))
		return -EINVAL;
	return KIPC_EVENT_SIZE;
}

static int kipc_event_init_obj(struct kipc_object *obj)
{
	kipc_event_init(obj->mem);
	return kipc_sync_counters_alloc(obj);
}

static bool kipc_event_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_event_recover(obj->mem, id, &wk);
	return ret || wk.nr;
}

static __poll_t kipc_event_poll(struct kipc_object *obj, struct file *file,
				struct poll_table_struct *pt)
{
	int ret;

	kipc_poll_watch(obj, file, pt, KIPC_SYNC_OFF_WAITERS);
	ret = kipc_event_is_set(obj->mem);
	if (ret < 0)
		return EPOLLERR;
	return ret ? EPOLLIN | EPOLLRDNORM : 0;
}

static void kipc_event_show_fdinfo(struct kipc_object *obj,
				   struct seq_file *m)
{
	struct kipc_event *e = obj->mem;

	seq_printf(m, "kipc-event-set:\t%d\n", kipc_event_is_set(e));
	seq_printf(m, "kipc-event-waiters:\t%u\n",
		   kipc_load(&e->waiters) & ~KIPC_WAITERS_POLL);
}

static void kipc_event_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_event *e = obj->mem;

	if (kipc_event_is_set(e) > 0) {
		st->u.sync.value = 1;
		st->u.sync.flags |= KIPC_SYNC_STAT_SET;
	}
	kipc_sync_stat_common(obj, &e->waiters, &st->u.sync);
}

const struct kipc_type kipc_event_type = {
	.name		= "kipc-event",
	.type		= KIPC_TYPE_EVENT,
	.prepare	= kipc_event_prepare,
	.init		= kipc_event_init_obj,
	.destroy	= kipc_sync_destroy,
	.detach		= kipc_event_detach,
	.poll		= kipc_event_poll,
	.show_fdinfo	= kipc_event_show_fdinfo,
	.uring_try	= kipc_sync_uring_try,
	.stat		= kipc_event_stat,
};

/* ---- Barrier ----------------------------------------------------------- */

static s64 kipc_barrier_prepare(const union kipc_params *params)
{
	const struct kipc_sync_params *p = &params->sync;

	if (!kipc_sync_params_clean(p, false, true, false) || !p->parties ||
	    p->parties > KIPC_BARRIER_PARTIES_MAX)
		return -EINVAL;
	return KIPC_BARRIER_SIZE;
}

static int kipc_barrier_init_obj(struct kipc_object *obj)
{
	int ret = kipc_barrier_init(obj->mem, kipc_sync_parties(obj));

	return ret ? ret : kipc_sync_counters_alloc(obj);
}

static bool kipc_barrier_depart(struct kipc_object *obj, u16 id, bool killed)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_barrier_recover(obj->mem, kipc_sync_parties(obj), id,
				   killed, &wk);
	kipc_sync_repaired(obj, ret);
	return ret || wk.nr;
}

static void kipc_barrier_show_fdinfo(struct kipc_object *obj,
				     struct seq_file *m)
{
	struct kipc_barrier *b = obj->mem;
	u32 s = kipc_load(&b->state);

	seq_printf(m, "kipc-barrier-parties:\t%u\n", kipc_sync_parties(obj));
	seq_printf(m, "kipc-barrier-waiting:\t%u\n", s & KIPC_BARRIER_COUNT);
	seq_printf(m, "kipc-barrier-generation:\t%u\n", kipc_barrier_gen(s));
	seq_printf(m, "kipc-barrier-broken:\t%d\n",
		   !!(s & KIPC_BARRIER_BROKEN));
}

static void kipc_barrier_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_barrier *b = obj->mem;
	u32 s = kipc_load(&b->state);

	st->u.sync.value = min(s & KIPC_BARRIER_COUNT, kipc_sync_parties(obj));
	if (s & KIPC_BARRIER_BROKEN)
		st->u.sync.flags |= KIPC_SYNC_STAT_BROKEN;
	kipc_sync_stat_common(obj, &b->waiters, &st->u.sync);
}

const struct kipc_type kipc_barrier_type = {
	.name		= "kipc-barrier",
	.type		= KIPC_TYPE_BARRIER,
	.prepare	= kipc_barrier_prepare,
	.init		= kipc_barrier_init_obj,
	.destroy	= kipc_sync_destroy,
	.depart		= kipc_barrier_depart,
	.show_fdinfo	= kipc_barrier_show_fdinfo,
	.stat		= kipc_barrier_stat,
};

/* ---- Condition --------------------------------------------------------- */

static s64 kipc_cond_prepare(const union kipc_params *params)
{
	const struct kipc_sync_params *p = &params->sync;

	if (!kipc_sync_params_clean(p, false, false, true) ||
	    (p->nslots && !kipc_cond_nslots_valid(p->nslots)))
		return -EINVAL;
	return kipc_cond_size(p->nslots ? p->nslots : KIPC_SYNC_SLOTS_DEFAULT);
}

static int kipc_cond_init_obj(struct kipc_object *obj)
{
	int ret = kipc_cond_init(obj->mem, kipc_sync_nslots(obj));

	return ret ? ret : kipc_sync_counters_alloc(obj);
}

static bool kipc_cond_detach(struct kipc_object *obj, u16 id)
{
	struct kipc_sync_wake wk;
	int ret;

	ret = kipc_cond_recover(obj->mem, kipc_sync_nslots(obj), id, &wk);
	kipc_sync_repaired(obj, ret);
	return ret || wk.nr;
}

static void kipc_cond_show_fdinfo(struct kipc_object *obj, struct seq_file *m)
{
	struct kipc_cond *c = obj->mem;

	seq_printf(m, "kipc-cond-slots:\t%u\n", kipc_sync_nslots(obj));
	seq_printf(m, "kipc-cond-waiting:\t%u\n",
		   kipc_load(&c->seq) - kipc_load(&c->cursor));
}

static void kipc_cond_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct kipc_cond *c = obj->mem;
	u32 waiting = kipc_load(&c->seq) - kipc_load(&c->cursor);

	st->u.sync.value = min(waiting, kipc_sync_nslots(obj));
	kipc_sync_stat_common(obj, &c->waiters, &st->u.sync);
}

const struct kipc_type kipc_cond_type = {
	.name		= "kipc-condition",
	.type		= KIPC_TYPE_CONDITION,
	.prepare	= kipc_cond_prepare,
	.init		= kipc_cond_init_obj,
	.destroy	= kipc_sync_destroy,
	.detach		= kipc_cond_detach,
	.show_fdinfo	= kipc_cond_show_fdinfo,
	.stat		= kipc_cond_stat,
};
