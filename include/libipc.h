/* SPDX-License-Identifier: MIT */
/*
 * libipc: the userspace library for kipc.
 *
 * Conventions (as liburing): functions return 0 or a non-negative value on
 * success and a negative errno on failure; errno itself is not used.
 */
#ifndef LIBIPC_H
#define LIBIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_LIB_MAJOR	0
#define KIPC_LIB_MINOR	3

/* Library version this program runs with (may differ from the headers). */
int kipc_lib_major(void);
int kipc_lib_minor(void);

/*
 * Open the kipc control device and perform the API handshake.
 *
 * The device is KIPC_DEVICE_PATH unless the environment variable KIPC_DEVICE
 * names another path (ignored in set-user-ID programs). The descriptor is
 * close-on-exec. When @api is not NULL it receives the driver's answer.
 *
 * Returns the descriptor, or:
 *   -ENOENT           no such device: the kipc module is not loaded
 *   -ENODEV           the path is not a kipc device
 *   -EPROTONOSUPPORT  the driver's ABI is older than this library needs
 *   another -errno    from open(2) or the handshake ioctl
 */
int kipc_dev_open(struct kipc_api *api);

/*
 * KIPC_IOC_API on an open control device: a thin wrapper that returns 0 or
 * -errno. The caller fills @api (version nonzero, everything else zero).
 */
int kipc_dev_api(int dev_fd, struct kipc_api *api);

/*
 * Objects of any type. These use a process-wide descriptor on the control
 * device, opened (with the handshake) on first use and kept open; it is
 * close-on-exec and shared with forked children.
 *
 * kipc_object_create: @args as for KIPC_IOC_CREATE; returns the new
 * object's descriptor. kipc_object_open: a named object of @type; returns
 * its descriptor (-ENOENT, -EACCES, -EINVAL for another type).
 * kipc_object_unlink: remove a name; the object lives on while in use.
 */
int kipc_object_create(struct kipc_create *args);
int kipc_object_open(const char *name, __u32 type, __u32 fd_flags);
int kipc_object_unlink(const char *name);
int kipc_object_info(int fd, struct kipc_info *info);

/* Statistics of @fd's object (KIPC_OBJ_IOC_STAT): 0 or -errno. */
int kipc_object_stat(int fd, struct kipc_stat *st);

/*
 * Seeing objects without a descriptor on them (Documentation/
 * observability.rst), through the process-wide control descriptor. Only
 * the objects of the caller's IPC namespace that it may see are reported:
 * those it owns, named ones it may open, all with CAP_IPC_OWNER. Every one
 * of these fails with -ENOTTY on a driver without KIPC_FEATURE_LIST.
 *
 * kipc_stat_id, kipc_stat_name: the statistics of the object with that id
 * (nonzero; 0 is -EINVAL) or name (KIPC_IOC_STAT): 0, or -ENOENT when
 * there is none or the caller may not see it.
 *
 * kipc_list: one KIPC_IOC_LIST: up to @count (1..KIPC_LIST_MAX) objects
 * with ids from @start_id on (0: the first), in id order, of @type only
 * (KIPC_TYPE_*, or 0 for all). Returns the entries written to @stats,
 * which may be fewer than @count, even 0, before the end: continue from
 * *@next_id while it is nonzero. *@hidden (either pointer may be NULL)
 * counts the objects this call passed over because the caller may not
 * see them.
 *
 * kipc_list_each: calls @fn(stat, @arg) for every visible object of @type
 * (0: all), in id order, looping over kipc_list. @fn returns 0 to go on;
 * any other value stops the walk and kipc_list_each returns it. Returns 0
 * after the last object, or -errno. *@hidden (may be NULL) gets the number
 * of objects passed over, summed over the calls made.
 *
 * kipc_holders: the processes of the caller's pid namespace that have a
 * descriptor on object @id or map it (KIPC_IOC_HOLDERS), in pid order:
 * returns the entries written (at most @count, 0..KIPC_LIST_MAX); *@total
 * (may be NULL) gets how many there were. -ENOENT as for kipc_stat_id.
 *
 * kipc_usage: what the caller's account is charged and the limits, in
 * bytes and objects (KIPC_IOC_USAGE; a limit of 0 refuses every charge):
 * 0 or -errno.
 */
int kipc_stat_id(uint64_t id, struct kipc_stat *st);
int kipc_stat_name(const char *name, struct kipc_stat *st);
int kipc_list(uint64_t start_id, uint32_t type, struct kipc_stat *stats,
	      uint32_t count, uint64_t *next_id, uint32_t *hidden);
int kipc_list_each(uint32_t type, int (*fn)(const struct kipc_stat *, void *),
		   void *arg, uint32_t *hidden);
int kipc_holders(uint64_t id, struct kipc_holder *h, uint32_t count,
		 uint32_t *total);
int kipc_usage(struct kipc_usage *u);

/* The owner id of the mapping of @fd's object that contains @addr. */
int kipc_object_map_id(int fd, const void *addr);

/*
 * Futex-like sleeping on a 32-bit word of an object's memory (see
 * KIPC_OBJ_IOC_WAIT and KIPC_OBJ_IOC_WAKE). kipc_object_wait returns 0
 * when woken, -EAGAIN if the word did not hold @expected, -ETIMEDOUT at
 * @deadline_ns (CLOCK_MONOTONIC; KIPC_NO_DEADLINE waits for ever), -EINTR.
 * kipc_object_wake returns how many sleepers it woke.
 */
#define KIPC_NO_DEADLINE	(~0ULL)
int kipc_object_wait(int fd, __u64 offset, __u64 waiters_offset,
		     __u32 expected, __u64 deadline_ns);
int kipc_object_wake(int fd, __u64 offset, __u64 waiters_offset, __u32 count);
/*
 * kipc_object_watch: a new descriptor (close-on-exec unless @fd_flags has
 * KIPC_FD_INHERIT) that polls readable once the word no longer holds
 * @expected (KIPC_OBJ_IOC_WATCH): kipc_object_wait for event loops.
 */
int kipc_object_watch(int fd, __u64 offset, __u64 waiters_offset,
		      __u32 expected, __u32 fd_flags);

/*
 * Shared memory. kipc_shm_create: @name NULL for an anonymous object
 * (@flags and @mode must then be 0, or -EINVAL); @flags KIPC_CREATE_EXCL to fail with -EEXIST when the name exists
 * (without it an existing object of that name is opened). Returns the
 * descriptor. kipc_shm_map maps the whole object read-write and shared.
 */
int kipc_shm_create(const char *name, size_t size, __u32 flags, mode_t mode);
int kipc_shm_open(const char *name);
int kipc_shm_unlink(const char *name);
int kipc_shm_map(int fd, void **addr, size_t *size);
int kipc_shm_unmap(void *addr, size_t size);

/*
 * Channels: bounded multi-producer multi-consumer message queues whose ring
 * every process maps; a put into a ring with room and a get from a ring
 * with a message make no system call. See Documentation/channels.rst.
 *
 * kipc_channel_create: @name NULL for an anonymous channel (@flags and
 * @mode must then be 0, or -EINVAL); @flags KIPC_CREATE_EXCL to fail with -EEXIST when the name exists (without it
 * an existing channel of that name is opened). Returns the descriptor.
 * kipc_channel_attach maps the channel of @fd into this process and takes
 * over @fd on success (kipc_channel_close closes it). A struct kipc_channel
 * may be used by every thread of the process, and by a forked child
 * (which gets its own owner id on first use).
 *
 * Deadlines are CLOCK_MONOTONIC nanoseconds: KIPC_NO_DEADLINE blocks as
 * long as needed, KIPC_NOWAIT (0) never blocks and fails with -EAGAIN,
 * any other value fails with -ETIMEDOUT once passed. A signal handler
 * interrupts a sleep with -EINTR. Other errors: -EMSGSIZE (message larger
 * than the channel's maximum, or than the buffer: the message then stays
 * in the channel), -EBADMSG (a corrupt record was dropped), -EIO (the ring
 * memory is corrupt).
 *
 * Messages longer than the slot size, up to max_msg (at most 64 MiB), are
 * carried in kernel buffers: put and get then make one system call each and
 * copy the payload once each way; put may also fail with -EDQUOT (the
 * per-user limit) or -ENOSPC. Zero-copy claims are for messages that fit a
 * slot: get_claim returns -EREMOTE when the next message is a large one.
 */
#define KIPC_NOWAIT	0ULL

struct kipc_channel;
struct iovec;		/* <sys/uio.h> */

/*
 * A zero-copy claim: @data and @len describe the slot (a producer writes up
 * to the slot size and may lower @len before committing; a consumer reads
 * @len bytes). The other fields are the library's.
 */
struct kipc_channel_claim {
	void *data;
	size_t len;
	__u64 pos;
	__u32 owner;
	__u32 type;
};

int kipc_channel_create(const char *name,
			const struct kipc_channel_params *params,
			__u32 flags, mode_t mode);
int kipc_channel_open(const char *name);
int kipc_channel_unlink(const char *name);
int kipc_channel_attach(int fd, struct kipc_channel **chp);
void kipc_channel_close(struct kipc_channel *ch);
int kipc_channel_fd(const struct kipc_channel *ch);
/* The channel's largest message and slot size, in bytes. */
size_t kipc_channel_max_msg(const struct kipc_channel *ch);
size_t kipc_channel_slot_size(const struct kipc_channel *ch);

/* Copying put and get. kipc_channel_get returns the message length. */
int kipc_channel_put(struct kipc_channel *ch, const void *buf, size_t len,
		     __u64 deadline_ns);
ssize_t kipc_channel_get(struct kipc_channel *ch, void *buf, size_t buflen,
			 __u64 deadline_ns);

/*
 * Batches: put (get) up to @n messages, sleeping only for the first;
 * return how many were put (got). For get, each iov_len is the buffer size
 * on input and the message length on output.
 */
int kipc_channel_put_many(struct kipc_channel *ch, const struct iovec *msgs,
			  unsigned int n, __u64 deadline_ns);
int kipc_channel_get_many(struct kipc_channel *ch, struct iovec *msgs,
			  unsigned int n, __u64 deadline_ns);

/*
 * Zero-copy. put_claim reserves a slot for up to @len bytes (at most the
 * slot size); fill c->data, then put_commit (publishes c->len bytes) or
 * put_abort. get_claim takes the next message in place; read c->data, then
 * get_release. Keep claims short: a claim holds back the channel at its
 * position. A process that dies holding a claim loses nothing committed:
 * an uncommitted put is discarded, a claimed get is dropped and counted.
 */
int kipc_channel_put_claim(struct kipc_channel *ch, size_t len,
			   struct kipc_channel_claim *c, __u64 deadline_ns);
int kipc_channel_put_commit(struct kipc_channel *ch,
			    struct kipc_channel_claim *c);
int kipc_channel_put_abort(struct kipc_channel *ch,
			   struct kipc_channel_claim *c);
int kipc_channel_get_claim(struct kipc_channel *ch,
			   struct kipc_channel_claim *c, __u64 deadline_ns);
int kipc_channel_get_release(struct kipc_channel *ch,
			     struct kipc_channel_claim *c);

/* Counters: KIPC_CHANNEL_IOC_STATS. */
int kipc_channel_stats(const struct kipc_channel *ch,
		       struct kipc_channel_stats *stats);

/*
 * Pipes: an anonymous channel with two ends, like multiprocessing.Pipe().
 * kipc_pipe_create makes one from @params (as for a channel) and returns
 * the descriptors of end 0 and end 1 in @fds. @flags: KIPC_PIPE_DUPLEX
 * (each end puts and gets; without it end 0 only gets and end 1 only puts)
 * and KIPC_FD_* for both descriptors. Use each end through
 * kipc_channel_attach(); every kipc_channel_* call works on it, and a call
 * in a direction the end lacks fails with -EBADF.
 *
 * Once every handle on one end is gone (closed, or its process died),
 * the other end gets what was already queued, then -ENODATA (get, get_many,
 * get_claim; read(2) returns 0); puts fail with -EPIPE (write(2) too, and
 * raises SIGPIPE). See Documentation/channels.rst.
 */
int kipc_pipe_create(const struct kipc_channel_params *params, __u32 flags,
		     int fds[2]);

/*
 * Synchronisation: Semaphore, Lock, RLock, Event, Barrier, Condition
 * (Documentation/sync.rst). Each object is a handle holding the object's
 * descriptor, its mapping and the mapping's owner id (re-queried after
 * fork). Uncontended operations make no system call.
 *
 * Create: @name NULL for an anonymous object (@flags and @mode must then be
 * 0, or -EINVAL); @flags KIPC_CREATE_EXCL to
 * fail with -EEXIST when the name exists (without it, an existing object of
 * that name and type is opened and the parameters are ignored). Blocking
 * calls take an absolute CLOCK_MONOTONIC @deadline_ns (KIPC_NO_DEADLINE:
 * none) and return -ETIMEDOUT when it passes, -EINTR on a signal. Every
 * call returns -EBADMSG when the object's memory was corrupted.
 */
struct kipc_sync;

int kipc_sync_create(struct kipc_sync **out, __u32 type, const char *name,
		     const struct kipc_sync_params *params, __u32 flags,
		     mode_t mode);
int kipc_sync_open(struct kipc_sync **out, const char *name, __u32 type);
/* A handle on the object @fd refers to; @fd is duplicated, not taken. */
int kipc_sync_from_fd(struct kipc_sync **out, int fd);
int kipc_sync_close(struct kipc_sync *s);
int kipc_sync_unlink(const char *name);
/* The object's descriptor (for poll, read/write, io_uring, wait-any). */
int kipc_sync_fd(const struct kipc_sync *s);
__u32 kipc_sync_type(const struct kipc_sync *s);
/* This process's owner id for the object (its mapping's). */
int kipc_sync_owner_id(struct kipc_sync *s);

/*
 * Semaphore: @max 0 for a plain Semaphore (up to KIPC_SYNC_SEM_MAX), else
 * a BoundedSemaphore. release: -EOVERFLOW (value unchanged) past the
 * maximum. try_acquire: -EAGAIN when the value is 0.
 */
int kipc_semaphore_create(struct kipc_sync **out, const char *name,
			  __u32 value, __u32 max, __u32 flags, mode_t mode);
int kipc_sem_acquire(struct kipc_sync *s, __u64 deadline_ns);
int kipc_sem_try_acquire(struct kipc_sync *s);
int kipc_sem_release(struct kipc_sync *s, __u32 n);
int kipc_sem_value(struct kipc_sync *s);

/*
 * Lock (multiprocessing.Lock): not recursive; any process may release it
 * (-EPERM when it is not locked). acquire returns 0, or -EOWNERDEAD: the
 * caller holds the lock, the previous holder died; call
 * kipc_lock_consistent() once the guarded state is repaired, otherwise the
 * next release makes the lock -ENOTRECOVERABLE for everyone.
 * kipc_lock_held: 1 if held by this process's mapping, 0 if not.
 */
int kipc_lock_create(struct kipc_sync **out, const char *name, __u32 flags,
		     mode_t mode);
int kipc_lock_acquire(struct kipc_sync *l, __u64 deadline_ns);
int kipc_lock_try_acquire(struct kipc_sync *l);
int kipc_lock_release(struct kipc_sync *l);
int kipc_lock_consistent(struct kipc_sync *l);
int kipc_lock_held(struct kipc_sync *l);

/*
 * RLock (threading.RLock across processes): the owner is a thread
 * (gettid()) of a process; only it releases (-EPERM otherwise). Recursion
 * up to 2^31-1 levels (-EOVERFLOW). Owner death as for Lock.
 */
int kipc_rlock_create(struct kipc_sync **out, const char *name, __u32 flags,
		      mode_t mode);
int kipc_rlock_acquire(struct kipc_sync *l, __u64 deadline_ns);
int kipc_rlock_try_acquire(struct kipc_sync *l);
int kipc_rlock_release(struct kipc_sync *l);
int kipc_rlock_consistent(struct kipc_sync *l);
int kipc_rlock_held(struct kipc_sync *l);

/* Event (threading.Event). is_set: 1 or 0. wait: 0 once set. */
int kipc_event_create(struct kipc_sync **out, const char *name, __u32 flags,
		      mode_t mode);
int kipc_event_set(struct kipc_sync *e);
int kipc_event_clear(struct kipc_sync *e);
int kipc_event_is_set(struct kipc_sync *e);
int kipc_event_wait(struct kipc_sync *e, __u64 deadline_ns);

/*
 * Barrier (threading.Barrier): wait returns the arrival index
 * 0..parties-1, or -EPIPE when the barrier is or becomes broken (abort,
 * reset while waiting, a process that had it mapped was killed, a waiting
 * arrival's mapping went away: Documentation/sync.rst), or -ENOSPC if this
 * mapping got no owner id. A wait that times out or is interrupted by a
 * signal breaks the barrier and returns -ETIMEDOUT or -EINTR, unless its
 * generation completed meanwhile (then the index). reset: back to the empty, unbroken state; current
 * waiters get -EPIPE. broken: 1 or 0. waiting: parties waiting now.
 */
int kipc_barrier_create(struct kipc_sync **out, const char *name,
			__u32 parties, __u32 flags, mode_t mode);
int kipc_barrier_wait(struct kipc_sync *b, __u64 deadline_ns);
int kipc_barrier_abort(struct kipc_sync *b);
int kipc_barrier_reset(struct kipc_sync *b);
int kipc_barrier_broken(struct kipc_sync *b);
int kipc_barrier_waiting(struct kipc_sync *b);
int kipc_barrier_parties(struct kipc_sync *b);

/*
 * Condition (threading.Condition) used with a Lock or RLock @lock that the
 * caller holds (-EPERM otherwise). @nslots: how many waiters may be not
 * yet notified at a time (0: KIPC_SYNC_SLOTS_DEFAULT); one more waits get
 * -ENOSPC. wait: releases @lock, sleeps until notified or @deadline_ns,
 * re-acquires @lock (whatever the result; -EOWNERDEAD if its holder died
 * meanwhile) and returns 0 when notified, -ETIMEDOUT, -EINTR. wait_for:
 * waits until @pred(@arg) is true; returns 1 when it is, 0 when the
 * deadline passed with it false. notify: wakes up to @n waiters, oldest
 * first, and returns how many it notified (exactly that many waits
 * return 0).
 */
int kipc_cond_create(struct kipc_sync **out, const char *name, __u32 nslots,
		     __u32 flags, mode_t mode);
int kipc_cond_wait(struct kipc_sync *c, struct kipc_sync *lock,
		   __u64 deadline_ns);
int kipc_cond_wait_for(struct kipc_sync *c, struct kipc_sync *lock,
		       int (*pred)(void *arg), void *arg, __u64 deadline_ns);
int kipc_cond_notify(struct kipc_sync *c, struct kipc_sync *lock, __u32 n);
int kipc_cond_notify_all(struct kipc_sync *c, struct kipc_sync *lock);

/*
 * Waits in steps, for event loops (asyncio, epoll, io_uring) that cannot
 * sleep in a call. No step blocks. Zero a struct kipc_sync_step before a
 * wait and pass it unchanged to every step of that wait. A step that
 * returns -EAGAIN names in it the word it waits on: kipc_sync_watch()
 * returns a descriptor (close-on-exec) that polls readable once that word
 * changed; close it and run the step again.
 *
 * Barrier: kipc_barrier_wait_step returns the arrival index, -EAGAIN or
 * the errors of kipc_barrier_wait. A waiter that gives up (timeout,
 * cancellation) calls kipc_barrier_wait_cancel: the index if its
 * generation completed meanwhile, else it breaks the barrier (as a
 * timeout does) and returns -ECANCELED.
 *
 * Condition: kipc_cond_wait_begin takes a ticket and releases @lock (all
 * levels of an RLock, kept in @st->saved); kipc_cond_wait_step returns 0
 * once notified, or -EAGAIN. A waiter that gives up calls
 * kipc_cond_wait_cancel: 0 if it was not notified, 1 if it was meanwhile
 * (the notification is the caller's: report it, or pass it on). Either
 * way the caller then re-acquires @lock itself (@st->saved levels of an
 * RLock), as kipc_cond_wait does.
 */
struct kipc_sync_step {
	__u64 ticket;
	__u32 off;
	__u32 waiters_off;
	__u32 val;
	__u32 saved;
	__u64 reserved[2];
};

int kipc_sync_watch(struct kipc_sync *s, const struct kipc_sync_step *st);
int kipc_barrier_wait_step(struct kipc_sync *b, struct kipc_sync_step *st);
int kipc_barrier_wait_cancel(struct kipc_sync *b, struct kipc_sync_step *st);
int kipc_cond_wait_begin(struct kipc_sync *c, struct kipc_sync *lock,
			 struct kipc_sync_step *st);
int kipc_cond_wait_step(struct kipc_sync *c, struct kipc_sync_step *st);
int kipc_cond_wait_cancel(struct kipc_sync *c, struct kipc_sync_step *st);

/*
 * Wait for any of @count (1..KIPC_WAIT_ANY_MAX) semaphores, locks, rlocks
 * and events (KIPC_IOC_WAIT_ANY): returns 0 or -EOWNERDEAD with *index the
 * one that fired. A semaphore unit or the lock is then taken by the caller
 * (an event is not consumed). -ENOTRECOVERABLE (a lock) and -EBADMSG (a
 * corrupt object) also set *index to the object that failed. -ETIMEDOUT,
 * -EINTR otherwise.
 */
int kipc_wait_any(struct kipc_sync *const *objs, unsigned int count,
		  __u64 deadline_ns, unsigned int *index);

#ifdef __cplusplus
}
#endif

#endif /* LIBIPC_H */
