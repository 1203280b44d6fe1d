// SPDX-License-Identifier: MIT
/*
 * Synchronisation objects: handles, the blocking loops around the protocol
 * of include/kipc/sync.h (lib/sync_proto.c), and wait-any.
 *
 * A handle maps the object and caches the mapping's owner id. A forked
 * child has its own copy of the mapping with its own id, so the cache is
 * tagged with a fork generation that a pthread_atfork() child handler
 * bumps; likewise the thread id that RLock needs. Neither costs a system
 * call on the fast path.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libipc.h"
#include "private.h"
#include "sync_private.h"

struct kipc_sync {
	int fd;
	__u32 type;
	void *mem;
	size_t size;
	__u32 param;		/* kernel-trusted: max, parties or nslots */
	__u32 id;		/* owner id of our mapping, for id_gen */
	unsigned long id_gen;
};

static unsigned long fork_gen = 1;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static __thread __u32 tid_cache;
static __thread unsigned long tid_gen;

static void on_fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void fork_init(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

static unsigned long gen(void)
{
	return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

static __u32 my_tid(void)
{
	if (tid_gen != gen()) {
		tid_cache = (__u32)syscall(SYS_gettid);
		tid_gen = gen();
	}
	return tid_cache;
}

/* Our mapping's owner id, or -errno. */
static int my_id(struct kipc_sync *s)
{
	int id;

	if (s->id_gen == gen())
		return (int)s->id;
	id = kipc_object_map_id(s->fd, s->mem);
	if (id < 0)
		return id;
	s->id = id;
	s->id_gen = gen();
	return id;
}

static int is_sync_type(__u32 type)
{
	return type >= KIPC_TYPE_SEMAPHORE && type <= KIPC_TYPE_CONDITION;
}

/* Map @fd's object; on success the handle owns @fd. */
static int handle_new(struct kipc_sync **out, int fd)
{
	struct kipc_info info;
	struct kipc_sync *s;
	void *mem;
	int ret;

	pthread_once(&fork_once, fork_init);
	ret = kipc_object_info(fd, &info);
	if (ret)
		return ret;
	if (!is_sync_type(info.type))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	mem = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		free(s);
		return ret;
	}
	s->fd = fd;
	s->type = info.type;
	s->mem = mem;
	s->size = info.size;
	switch (info.type) {
	case KIPC_TYPE_SEMAPHORE:
		s->param = info.params.sync.max ? info.params.sync.max :
			   KIPC_SYNC_SEM_MAX;
		break;
	case KIPC_TYPE_BARRIER:
		s->param = info.params.sync.parties;
		break;
	case KIPC_TYPE_CONDITION:
		s->param = info.params.sync.nslots ? info.params.sync.nslots :
			   KIPC_SYNC_SLOTS_DEFAULT;
		break;
	}
	*out = s;
	return 0;
}

int kipc_sync_create(struct kipc_sync **out, __u32 type, const char *name,
		     const struct kipc_sync_params *params, __u32 flags,
		     mode_t mode)
{
	struct kipc_create args = {
		.type = type,
		.flags = flags,
		.mode = mode,
	};
	int fd, ret;

	if (!is_sync_type(type))
		return -EINVAL;
	if (params)
		args.params.sync = *params;
	if (name) {
		ret = kipc__set_name(&args.name, &args.name_len, name);
		if (ret)
			return ret;
	}
	fd = kipc_object_create(&args);
	if (fd < 0)
		return fd;
	ret = handle_new(out, fd);
	if (ret)
		close(fd);
	return ret;
}

int kipc_sync_open(struct kipc_sync **out, const char *name, __u32 type)
{
	int fd, ret;

	if (!is_sync_type(type))
		return -EINVAL;
	fd = kipc_object_open(name, type, 0);
	if (fd < 0)
		return fd;
	ret = handle_new(out, fd);
	if (ret)
		close(fd);
	return ret;
}

int kipc_sync_from_fd(struct kipc_sync **out, int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0), ret;

	if (nfd < 0)
		return -errno;
	ret = handle_new(out, nfd);
	if (ret)
		close(nfd);
	return ret;
}

int kipc_sync_close(struct kipc_sync *s)
{
	if (!s)
		return 0;
	munmap(s->mem, s->size);
	close(s->fd);
	free(s);
	return 0;
}

int kipc_sync_unlink(const char *name)
{
	return kipc_object_unlink(name);
}

int kipc_sync_fd(const struct kipc_sync *s)
{
	return s->fd;
}

__u32 kipc_sync_type(const struct kipc_sync *s)
{
	return s->type;
}

int kipc_sync_owner_id(struct kipc_sync *s)
{
	return my_id(s);
}

/* ---- sleeping and waking ---------------------------------------------- */

static int do_wake(struct kipc_sync *s, const struct kipc__sk *wk)
{
	int ret;

	if (!wk->nr)
		return 0;
	ret = kipc_object_wake(s->fd, wk->off, wk->waiters_off, wk->nr);
	return ret < 0 ? ret : 0;
}

/*
 * Polls of the watched word before sleeping. A holder on another CPU
 * usually lets go within a few hundred cycles; sleeping then costs the
 * waiter a system call and the holder a wake-up call on release.
 */
#define SYNC_SPINS	100

static inline void sync_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Sleep as @w says: 0 (look again), -ETIMEDOUT, -EINTR, -errno. */
static int do_sleep(struct kipc_sync *s, const struct kipc__sw *w,
		    __u64 deadline_ns)
{
	const __u32 *word = (const __u32 *)((const char *)s->mem + w->off);
	int ret, i;

	if (deadline_ns != KIPC_NOWAIT)
		for (i = 0; i < SYNC_SPINS; i++) {
			if (__atomic_load_n(word, __ATOMIC_RELAXED) != w->val)
				return 0;
			sync_cpu_relax();
		}
	ret = kipc_object_wait(s->fd, w->off, w->waiters_off, w->val,
			       deadline_ns);
	return ret == -EAGAIN ? 0 : ret;
}

static int check(struct kipc_sync *s, __u32 type)
{
	return s && s->type == type ? 0 : -EINVAL;
}

/* ---- Semaphore ---------------------------------------------------------- */

int kipc_semaphore_create(struct kipc_sync **out, const char *name,
			  __u32 value, __u32 max, __u32 flags, mode_t mode)
{
	struct kipc_sync_params p = { .value = value, .max = max };

	return kipc_sync_create(out, KIPC_TYPE_SEMAPHORE, name, &p, flags, mode);
}

int kipc_sem_acquire(struct kipc_sync *s, __u64 deadline_ns)
{
	struct kipc__sw w;
	int ret = check(s, KIPC_TYPE_SEMAPHORE);

	while (!ret) {
		ret = kipc__sem_try(s->mem, s->param, &w);
		if (ret != -EAGAIN)
			break;
		ret = do_sleep(s, &w, deadline_ns);
	}
	return ret;
}

int kipc_sem_try_acquire(struct kipc_sync *s)
{
	int ret = check(s, KIPC_TYPE_SEMAPHORE);

	return ret ? ret : kipc__sem_try(s->mem, s->param, NULL);
}

int kipc_sem_release(struct kipc_sync *s, __u32 n)
{
	struct kipc__sk wk;
	int ret = check(s, KIPC_TYPE_SEMAPHORE);

	if (ret)
		return ret;
	do
		ret = kipc__sem_post(s->mem, s->param, n, &wk);
	while (ret == -EAGAIN);
	return ret ? ret : do_wake(s, &wk);
}

int kipc_sem_value(struct kipc_sync *s)
{
	int ret = check(s, KIPC_TYPE_SEMAPHORE);

	return ret ? ret : kipc__sem_get(s->mem, s->param);
}

/* ---- Lock and RLock ----------------------------------------------------- */

/*
 * One path for both. An RLock's operations also name the calling thread,
 * and take a recursion count (a Condition wait restores its depth); a
 * Lock has one level and may be released by anyone.
 */
static int lock_me(struct kipc_sync *l, __u32 type)
{
	int ret = check(l, type);

	return ret ? ret : my_id(l);
}

static int lock_try(struct kipc_sync *l, int me, __u32 count,
		    struct kipc__sw *w)
{
	if (l->type == KIPC_TYPE_LOCK)
		return kipc__lock_try(l->mem, me, w);
	return kipc__rlock_try(l->mem, me, my_tid(), count, w);
}

static int lock_take(struct kipc_sync *l, __u32 type, __u32 count,
		     __u64 deadline_ns)
{
	struct kipc__sw w;
	int ret, me = lock_me(l, type);

	if (me < 0)
		return me;
	for (;;) {
		ret = lock_try(l, me, count, &w);
		if (ret != -EAGAIN)
			return ret;
		ret = do_sleep(l, &w, deadline_ns);
		if (ret)
			return ret;
	}
}

static int lock_try_take(struct kipc_sync *l, __u32 type)
{
	int me = lock_me(l, type);

	return me < 0 ? me : lock_try(l, me, 1, NULL);
}

static int lock_release(struct kipc_sync *l, __u32 type)
{
	struct kipc__sk wk;
	int ret = check(l, type), me;

	if (ret)
		return ret;
	if (type == KIPC_TYPE_LOCK) {
		do
			ret = kipc__lock_unlock(l->mem, &wk);
		while (ret == -EAGAIN);
	} else {
		me = my_id(l);
		if (me < 0)
			return me;
		ret = kipc__rlock_unlock(l->mem, me, my_tid(), &wk);
	}
	return ret ? ret : do_wake(l, &wk);
}

static int lock_consistent(struct kipc_sync *l, __u32 type)
{
	int ret, me = lock_me(l, type);

	if (me < 0)
		return me;
	if (type == KIPC_TYPE_RLOCK)
		return kipc__rlock_fix(l->mem, me, my_tid());
	do
		ret = kipc__lock_fix(l->mem, me);
	while (ret == -EAGAIN);
	return ret;
}

/* 1 if this thread (RLock) or process (Lock) holds @l, 0 if not. */
static int lock_held(struct kipc_sync *l, __u32 type)
{
	int ret, me = lock_me(l, type);

	if (me < 0)
		return me;
	if (type == KIPC_TYPE_RLOCK)
		return kipc__rlock_mine(l->mem, me, my_tid());
	ret = kipc__lock_owner(l->mem);
	return ret < 0 ? ret : ret == me;
}

int kipc_lock_create(struct kipc_sync **out, const char *name, __u32 flags,
		     mode_t mode)
{
	return kipc_sync_create(out, KIPC_TYPE_LOCK, name, NULL, flags, mode);
}

int kipc_lock_acquire(struct kipc_sync *l, __u64 deadline_ns)
{
	return lock_take(l, KIPC_TYPE_LOCK, 1, deadline_ns);
}

int kipc_lock_try_acquire(struct kipc_sync *l)
{
	return lock_try_take(l, KIPC_TYPE_LOCK);
}

int kipc_lock_release(struct kipc_sync *l)
{
	return lock_release(l, KIPC_TYPE_LOCK);
}

int kipc_lock_consistent(struct kipc_sync *l)
{
	return lock_consistent(l, KIPC_TYPE_LOCK);
}

int kipc_lock_held(struct kipc_sync *l)
{
	return lock_held(l, KIPC_TYPE_LOCK);
}

int kipc_rlock_create(struct kipc_sync **out, const char *name, __u32 flags,
		      mode_t mode)
{
	return kipc_sync_create(out, KIPC_TYPE_RLOCK, name, NULL, flags, mode);
}

int kipc_rlock_acquire(struct kipc_sync *l, __u64 deadline_ns)
{
	return lock_take(l, KIPC_TYPE_RLOCK, 1, deadline_ns);
}

int kipc_rlock_try_acquire(struct kipc_sync *l)
{
	return lock_try_take(l, KIPC_TYPE_RLOCK);
}

int kipc_rlock_release(struct kipc_sync *l)
{
	return lock_release(l, KIPC_TYPE_RLOCK);
}

int kipc_rlock_consistent(struct kipc_sync *l)
{
	return lock_consistent(l, KIPC_TYPE_RLOCK);
}

int kipc_rlock_held(struct kipc_sync *l)
{
	return lock_held(l, KIPC_TYPE_RLOCK);
}

/* ---- Event -------------------------------------------------------------- */

int kipc_event_create(struct kipc_sync **out, const char *name, __u32 flags,
		      mode_t mode)
{
	return kipc_sync_create(out, KIPC_TYPE_EVENT, name, NULL, flags, mode);
}

int kipc_event_set(struct kipc_sync *e)
{
	struct kipc__sk wk;
	int ret = check(e, KIPC_TYPE_EVENT);

	if (ret)
		return ret;
	do
		ret = kipc__event_raise(e->mem, &wk);
	while (ret == -EAGAIN);
	return ret ? ret : do_wake(e, &wk);
}

int kipc_event_clear(struct kipc_sync *e)
{
	int ret = check(e, KIPC_TYPE_EVENT);

	if (ret)
		return ret;
	do
		ret = kipc__event_lower(e->mem);
	while (ret == -EAGAIN);
	return ret;
}

int kipc_event_is_set(struct kipc_sync *e)
{
	int ret = check(e, KIPC_TYPE_EVENT);

	return ret ? ret : kipc__event_get(e->mem);
}

int kipc_event_wait(struct kipc_sync *e, __u64 deadline_ns)
{
	__u64 ticket = KIPC__TICKET_INIT;
	struct kipc__sw w;
	int ret = check(e, KIPC_TYPE_EVENT);

	while (!ret) {
		ret = kipc__event_try(e->mem, &ticket, &w);
		if (ret != -EAGAIN)
			break;
		ret = do_sleep(e, &w, deadline_ns);
	}
	return ret;
}

/* ---- Barrier ------------------------------------------------------------ */

int kipc_barrier_create(struct kipc_sync **out, const char *name,
			__u32 parties, __u32 flags, mode_t mode)
{
	struct kipc_sync_params p = { .parties = parties };

	return kipc_sync_create(out, KIPC_TYPE_BARRIER, name, &p, flags, mode);
}

/* Step state <-> the protocol's wait description. */
static void step_set_wait(struct kipc_sync_step *st, const struct kipc__sw *w)
{
	st->off = w->off;
	st->waiters_off = w->waiters_off;
	st->val = w->val;
}

static void step_get_wait(const struct kipc_sync_step *st, struct kipc__sw *w)
{
	w->off = st->off;
	w->waiters_off = st->waiters_off;
	w->val = st->val;
}

int kipc_sync_watch(struct kipc_sync *s, const struct kipc_sync_step *st)
{
	if (!s || !st || !st->waiters_off)
		return -EINVAL;
	return kipc_object_watch(s->fd, st->off, st->waiters_off, st->val, 0);
}

int kipc_barrier_wait_step(struct kipc_sync *b, struct kipc_sync_step *st)
{
	struct kipc__sw w;
	struct kipc__sk wk;
	__u32 index = 0;
	int ret = check(b, KIPC_TYPE_BARRIER), me;

	if (ret)
		return ret;
	/* Arrivals are recorded by owner id: see kipc_barrier_recover(). */
	me = my_id(b);
	if (me < 0)
		return me;
	ret = kipc__barrier_try(b->mem, b->param, me, &st->ticket, &index, &w,
				&wk);
	if (ret == 0) {
		ret = do_wake(b, &wk);
		return ret ? ret : (int)index;
	}
	if (ret == -EAGAIN)
		step_set_wait(st, &w);
	return ret;
}

int kipc_barrier_wait_cancel(struct kipc_sync *b, struct kipc_sync_step *st)
{
	struct kipc__sk wk;
	int ret;

	/* As threading.Barrier: giving up breaks the barrier... */
	ret = kipc_barrier_wait_step(b, st);
	if (ret != -EAGAIN)
		return ret;
	/* ...unless the generation completed meanwhile (above). */
	do
		ret = kipc__barrier_break(b->mem, b->param, &wk);
	while (ret == -EAGAIN);
	if (!ret)
		do_wake(b, &wk);
	return ret ? ret : -ECANCELED;
}

int kipc_barrier_wait(struct kipc_sync *b, __u64 deadline_ns)
{
	struct kipc_sync_step st = { .ticket = KIPC__TICKET_INIT };
	struct kipc__sw w;
	int ret;

	for (;;) {
		ret = kipc_barrier_wait_step(b, &st);
		if (ret != -EAGAIN)
			return ret;
		step_get_wait(&st, &w);
		ret = do_sleep(b, &w, deadline_ns);
		if (ret) {
			/*
			 * A timeout, a signal or a failed sleep: the arrival
			 * cannot stay counted for a caller that has left, so
			 * it breaks the barrier as threading.Barrier does -
			 * unless its generation completed meanwhile.
			 */
			int cret = kipc_barrier_wait_cancel(b, &st);

			return cret == -ECANCELED ? ret : cret;
		}
	}
}

int kipc_barrier_abort(struct kipc_sync *b)
{
	struct kipc__sk wk;
	int ret = check(b, KIPC_TYPE_BARRIER);

	if (ret)
		return ret;
	do
		ret = kipc__barrier_break(b->mem, b->param, &wk);
	while (ret == -EAGAIN);
	return ret ? ret : do_wake(b, &wk);
}

int kipc_barrier_reset(struct kipc_sync *b)
{
	struct kipc__sw w;
	struct kipc__sk wk;
	int ret = check(b, KIPC_TYPE_BARRIER), me;

	if (ret)
		return ret;
	me = my_id(b);
	if (me < 0)
		return me;
	for (;;) {
		ret = kipc__barrier_restart(b->mem, b->param, me, &w, &wk);
		if (ret != -EAGAIN || wk.nr)
			break;
		/* Another reset is running: wait for it to end. */
		ret = do_sleep(b, &w, KIPC_NO_DEADLINE);
		if (ret)
			return ret;
	}
	do_wake(b, &wk);
	return ret;
}

int kipc_barrier_broken(struct kipc_sync *b)
{
	int ret = check(b, KIPC_TYPE_BARRIER);

	return ret ? ret : kipc__barrier_is_broken(b->mem, b->param);
}

int kipc_barrier_waiting(struct kipc_sync *b)
{
	int ret = check(b, KIPC_TYPE_BARRIER);

	return ret ? ret : kipc__barrier_waiting(b->mem, b->param);
}

int kipc_barrier_parties(struct kipc_sync *b)
{
	int ret = check(b, KIPC_TYPE_BARRIER);

	return ret ? ret : (int)b->param;
}

/* ---- Condition ---------------------------------------------------------- */

int kipc_cond_create(struct kipc_sync **out, const char *name, __u32 nslots,
		     __u32 flags, mode_t mode)
{
	struct kipc_sync_params p = { .nslots = nslots };

	return kipc_sync_create(out, KIPC_TYPE_CONDITION, name, &p, flags, mode);
}

/* 0 if the caller holds @lock (a Lock or an RLock), else -errno. */
static int lock_check_held(struct kipc_sync *lock)
{
	int ret;

	if (!lock || (lock->type != KIPC_TYPE_LOCK &&
		      lock->type != KIPC_TYPE_RLOCK))
		return -EINVAL;
	ret = lock_held(lock, lock->type);
	if (ret < 0)
		return ret;
	return ret ? 0 : -EPERM;
}

int kipc_cond_wait_begin(struct kipc_sync *c, struct kipc_sync *lock,
			 struct kipc_sync_step *st)
{
	struct kipc__sk wk;
	int ret, me, lme;

	ret = check(c, KIPC_TYPE_CONDITION);
	if (!ret)
		ret = lock_check_held(lock);
	if (ret)
		return ret;
	me = my_id(c);
	lme = my_id(lock);
	if (me < 0 || lme < 0)
		return me < 0 ? me : lme;
	ret = kipc__cond_begin(c->mem, c->param, me, &st->ticket);
	if (ret)
		return ret;

	st->saved = 1;
	if (lock->type == KIPC_TYPE_LOCK)
		ret = kipc__lock_unlock(lock->mem, &wk);
	else
		ret = kipc__rlock_unlock_all(lock->mem, lme, my_tid(),
					     &st->saved, &wk);
	if (ret) {
		kipc__cond_cancel(c->mem, c->param, me, st->ticket);
		return ret;
	}
	do_wake(lock, &wk);
	return 0;
}

int kipc_cond_wait_step(struct kipc_sync *c, struct kipc_sync_step *st)
{
	struct kipc__sw w;
	int ret = check(c, KIPC_TYPE_CONDITION), me;

	if (ret)
		return ret;
	me = my_id(c);
	if (me < 0)
		return me;
	ret = kipc__cond_try(c->mem, c->param, me, st->ticket, &w);
	if (ret == -EAGAIN)
		step_set_wait(st, &w);
	return ret;
}

int kipc_cond_wait_cancel(struct kipc_sync *c, struct kipc_sync_step *st)
{
	int ret = check(c, KIPC_TYPE_CONDITION), me;

	if (ret)
		return ret;
	me = my_id(c);
	if (me < 0)
		return me;
	return kipc__cond_cancel(c->mem, c->param, me, st->ticket);
}

int kipc_cond_wait(struct kipc_sync *c, struct kipc_sync *lock,
		   __u64 deadline_ns)
{
	struct kipc_sync_step st = { .ticket = KIPC__TICKET_INIT };
	struct kipc__sw w;
	int ret, lret;

	ret = kipc_cond_wait_begin(c, lock, &st);
	if (ret)
		return ret;
	for (;;) {
		ret = kipc_cond_wait_step(c, &st);
		if (ret != -EAGAIN)
			break;
		step_get_wait(&st, &w);
		ret = do_sleep(c, &w, deadline_ns);
		if (ret) {
			/* Notified meanwhile: that wins over the timeout. */
			if (kipc_cond_wait_cancel(c, &st) == 1)
				ret = 0;
			break;
		}
	}

	/* Re-acquire whatever happened, as threading.Condition does. */
	do
		lret = lock_take(lock, lock->type, st.saved, KIPC_NO_DEADLINE);
	while (lret == -EINTR);
	return lret ? lret : ret;
}

int kipc_cond_wait_for(struct kipc_sync *c, struct kipc_sync *lock,
		       int (*pred)(void *arg), void *arg, __u64 deadline_ns)
{
	int ret;

	while (!pred(arg)) {
		ret = kipc_cond_wait(c, lock, deadline_ns);
		if (ret == -ETIMEDOUT)
			return pred(arg) ? 1 : 0;
		if (ret)
			return ret;
	}
	return 1;
}

int kipc_cond_notify(struct kipc_sync *c, struct kipc_sync *lock, __u32 n)
{
	struct kipc__sk wk;
	int ret, woken;

	ret = check(c, KIPC_TYPE_CONDITION);
	if (!ret)
		ret = lock_check_held(lock);
	if (ret)
		return ret;
	if (!n)
		return 0;
	do
		woken = kipc__cond_signal(c->mem, c->param, n, &wk);
	while (woken == -EAGAIN);
	if (woken < 0)
		return woken;
	ret = do_wake(c, &wk);
	return ret ? ret : woken;
}

int kipc_cond_notify_all(struct kipc_sync *c, struct kipc_sync *lock)
{
	return kipc_cond_notify(c, lock, KIPC__WAKE_ALL);
}

/* ---- wait-any ----------------------------------------------------------- */

int kipc_wait_any(struct kipc_sync *const *objs, unsigned int count,
		  __u64 deadline_ns, unsigned int *index)
{
	struct kipc_wait_obj wo[KIPC_WAIT_ANY_MAX];
	struct kipc_wait_any args = { 0 };
	unsigned int i;
	int dev, ret;

	if (!count || count > KIPC_WAIT_ANY_MAX)
		return -EINVAL;
	memset(wo, 0, sizeof(wo[0]) * count);
	for (i = 0; i < count; i++) {
		wo[i].fd = objs[i]->fd;
		if (objs[i]->type == KIPC_TYPE_LOCK ||
		    objs[i]->type == KIPC_TYPE_RLOCK)
			wo[i].addr = (__u64)(uintptr_t)objs[i]->mem;
	}
	args.objs = (__u64)(uintptr_t)wo;
	args.count = count;
	if (deadline_ns != KIPC_NO_DEADLINE) {
		args.flags = KIPC_WAIT_DEADLINE;
		args.deadline_ns = deadline_ns;
	}
	dev = kipc__dev();
	if (dev < 0)
		return dev;
	ret = kipc__ioctl(dev, KIPC_IOC_WAIT_ANY, &args);
	/* These come from one object, which the kernel names. */
	if ((ret == 0 || ret == -EOWNERDEAD || ret == -ENOTRECOVERABLE ||
	     ret == -EBADMSG) && index)
		*index = args.index;
	return ret;
}
