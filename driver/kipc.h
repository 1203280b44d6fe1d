/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc internals shared by the driver's files.
 *
 * An object is a block of kernel memory that every user maps, plus the
 * kernel-private state its type needs. Userspace can write every byte of
 * that memory at any time, so the kernel reads it only through the
 * accessors of include/kipc/atomic.h and bounds every value it uses.
 */
#ifndef _KIPC_DRIVER_H
#define _KIPC_DRIVER_H

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/kipc.h>

struct kipc_object;
struct kipc_ns;
struct ipc_namespace;
struct kipc_name;
struct io_uring_cmd;
struct user_namespace;

/**
 * struct kipc_ucmd - what a type's ->uring_try sees of one io_uring command
 * @op:          KIPC_URING_* operation (validated against the known set)
 * @arg:         struct kipc_uring_cmd's arg, copied once at submission
 * @ticket:      the type's state across retries (an event wait's ticket)
 * @waiters_off: set by ->uring_try when it returns -EAGAIN: the waiter word
 *               the pending command counts itself in
 * @task:        the submitter (io_uring's request task; for an SQPOLL ring,
 *               its SQ thread)
 * @priv:        the type's kmalloc'ed state across retries, or NULL;
 *               kfree'd with the command
 * @nonblock:    this attempt must not block (io_uring's IO_URING_F_NONBLOCK:
 *               inline at submission, maybe in an SQPOLL thread)
 * @punt:        set by ->uring_try with -EAGAIN when, under @nonblock, it
 *               would block (mmap_lock taken, a large copy): io-wq then
 *               issues the command again from scratch, without @nonblock
 *
 * The rest is private to driver/uring.c.
 */
struct kipc_ucmd {
	u32 op;
	u64 arg;
	u64 ticket;
	u64 waiters_off;
	struct task_struct *task;
	void *priv;
	bool nonblock;
	bool punt;
	/* private to driver/uring.c */
	struct list_head node;
	struct hrtimer timer;
	struct io_uring_cmd *cmd;
	struct kipc_object *obj;
	bool listed;	/* on obj->uring.pending, not on a taker's list */
	bool expired;
};

/**
 * struct kipc_uring - an object's pending io_uring commands (driver/uring.c)
 * @lock:    protects @pending, @gen and each listed command's node,
 *           listed and expired flags; irq-safe (taken by the hrtimer)
 * @pending: commands waiting for a wake-up of the object
 * @gen:     bumped by every kick, so a command that tried before a kick
 *           and found it would block tries again instead of sleeping
 * @active:  commands alive past their first attempt (pending, retrying
 *           or being parked); wakers skip all work while it is zero
 * @monitor: completes commands whose submitter or ring is going away
 */
struct kipc_uring {
	spinlock_t lock;	/* see above; irq-safe */
	struct list_head pending;
	u64 gen;
	atomic_t active;
	struct delayed_work monitor;
};

/**
 * struct kipc_type - what one kind of object does
 * @name:        shown in fdinfo and as the anon inode's name
 * @type:        KIPC_TYPE_*
 * @fmode_nowait: the type implements read_iter/write_iter without blocking
 *               under IOCB_NOWAIT, so its files get FMODE_NOWAIT
 * @prepare:     validate @params (unused parts must be zero) and return the
 *               bytes of shared memory the object needs, or -errno
 * @init:        set up a new object: its memory is allocated and zeroed
 * @destroy:     free what @init allocated; the memory is freed by the core
 * @detach:      a mapping with owner id @id went away (munmap, exit, kill):
 *               undo whatever that owner left half done and return true if
 *               that changed the shared state (every sleeper and watcher is
 *               then woken to re-check). Runs with the mapping's mmap_lock
 *               held: must not sleep on user memory.
 * @depart:      instead of @detach, for a type that must also know whether
 *               the mapping's process was @killed (a fatal signal) rather
 *               than left (munmap, exec, normal exit); see kipc_vma_killed()
 * @poll, @read_iter, @write_iter, @ioctl, @show_fdinfo: optional; @ioctl
 *               returns -ENOTTY for commands it does not know
 * @release:     optional: the last reference to @file went (every dup,
 *               fork copy, mapping and io_uring request is gone); runs
 *               before the file's reference on the object is dropped
 * @show_file:   optional: fdinfo lines about @file itself, after @show_fdinfo
 * @stat:        optional: fill @st->u (struct kipc_stat) with the type's
 *               statistics and add the kernel memory it holds beyond
 *               obj->size to @st->kmem; never sleeps on user memory,
 *               but may cond_resched(): call it where sleeping is allowed
 * @uring_try:   optional: run io_uring command @uc once without sleeping
 *               and return its result, -EINVAL for an operation of
 *               another type, or -EAGAIN (only for operations that
 *               wait) with @uc->waiters_off set (the same word on every
 *               call for one command): the command then stays
 *               pending and is tried again after each wake-up of the
 *               object. Under @uc->nonblock, -EAGAIN with @uc->punt
 *               set instead of blocking (see struct kipc_ucmd).
 *               Called at submission (by the submitter, or its io-wq
 *               or SQPOLL thread: the same mm) and in the submitter's
 *               task, never atomic.
 */
struct kipc_type {
	const char *name;
	u32 type;
	bool fmode_nowait;
	s64 (*prepare)(const union kipc_params *params);
	int (*init)(struct kipc_object *obj);
	void (*destroy)(struct kipc_object *obj);
	bool (*detach)(struct kipc_object *obj, u16 id);
	bool (*depart)(struct kipc_object *obj, u16 id, bool killed);
	__poll_t (*poll)(struct kipc_object *obj, struct file *file,
			 struct poll_table_struct *pt);
	ssize_t (*read_iter)(struct kiocb *iocb, struct iov_iter *to);
	ssize_t (*write_iter)(struct kiocb *iocb, struct iov_iter *from);
	long (*ioctl)(struct kipc_object *obj, struct file *file,
		      unsigned int cmd, unsigned long arg);
	void (*show_fdinfo)(struct kipc_object *obj, struct seq_file *m);
	void (*release)(struct kipc_object *obj, struct file *file);
	void (*show_file)(struct kipc_object *obj, struct file *file,
			  struct seq_file *m);
	void (*stat)(struct kipc_object *obj, struct kipc_stat *st);
	int (*uring_try)(struct kipc_object *obj, struct kipc_ucmd *uc);
};

/**
 * struct kipc_charge - what one object or large buffer was charged (account.c)
 * @ns:      the charged user's user namespace, pinned; it, its ancestors
 *           and their owners other than the initial root were
 *           charged too
 * @uid:     the charged user (the effective uid of the caller)
 * @bytes:   bytes charged
 * @objects: objects charged (0 or 1)
 */
struct kipc_charge {
	struct user_namespace *ns;
	kuid_t uid;
	size_t bytes;
	unsigned int objects;
};

/**
 * struct kipc_object - one shared object
 * @ref:      held by each file, by the name (while linked), by waiters
 * @type:     its kind
 * @params:   creation parameters, validated by @type->prepare
 * @mem:      memory shared with userspace, charged to the creator's memory
 *            cgroup; hostile
 * @size:     bytes of @mem, a whole number of pages; never changes
 * @charge:   what the creator was charged for it (account.c)
 * @owner_uid, @owner_gid, @mode: permissions of a named object
 * @name:     the name it was created with ("" if anonymous); immutable
 * @linked:   1 while its name is linked (written under the names lock,
 *            read with READ_ONCE)
 * @id:       its id, never reused while the module is loaded; immutable
 * @ctime_ns: CLOCK_REALTIME of the creation; immutable
 * @waits:    times a task or io_uring command went to sleep on it
 * @wakes:    tasks and commands woken from it
 * @ids:      owner ids of live mappings
 * @mappings: number of live mappings
 * @wq:       tasks sleeping in KIPC_OBJ_IOC_WAIT (keyed by word offset)
 * @poll_wq:  poll, select and epoll watchers
 * @uring:    pending io_uring commands
 * @priv:     the type's private state
 */
struct kipc_object {
	struct kref ref;
	const struct kipc_type *type;
	union kipc_params params;
	void *mem;
	size_t size;
	struct kipc_charge charge;
	kuid_t owner_uid;
	kgid_t owner_gid;
	umode_t mode;
	char name[KIPC_NAME_MAX + 1];
	u8 linked;
	struct kipc_ns *kns;		/* the IPC namespace it was made in */
	u64 id;
	u64 ctime_ns;
	atomic64_t waits;
	atomic64_t wakes;
	struct ida ids;
	atomic_t mappings;
	wait_queue_head_t wq;
	wait_queue_head_t poll_wq;
	struct kipc_uring uring;
	void *priv;
};

/* object.c: lifetime and descriptors */
struct kipc_object *kipc_object_create(const struct kipc_type *type,
				       const union kipc_params *params,
				       const char *name, umode_t mode);
void kipc_object_get(struct kipc_object *obj);
void kipc_object_put(struct kipc_object *obj);
int kipc_object_install_fd(struct kipc_object *obj, u32 fd_flags);
struct file *kipc_object_getfile(struct kipc_object *obj, u32 fd_flags);
bool kipc_is_object_file(const struct file *file);
int kipc_object_stat(struct kipc_object *obj, struct kipc_stat *st);
struct kipc_object *kipc_object_find(u64 id, const struct kipc_ns *kns);
unsigned int kipc_objects_gather(const struct kipc_ns *kns, u32 type, u64 *pos,
				 struct kipc_object **batch, unsigned int max,
				 unsigned int *budget);
const struct kipc_type *kipc_type_find(u32 type);
extern atomic_t kipc_objects_live;

/* mapping.c: mmap and owner ids */
int kipc_object_mmap(struct kipc_object *obj, struct vm_area_struct *vma);
long kipc_ioc_map_id(struct kipc_object *obj, struct kipc_map_id __user *uarg);

/* wait.c: futex-like waits on words of an object's memory */
u32 *kipc_word(struct kipc_object *obj, u64 offset);
atomic_t *kipc_waiters(struct kipc_object *obj, u64 offset, int *err);
int kipc_wait_event(struct kipc_object *obj, u64 key, atomic_t *waiters,
		    bool (*must_sleep)(struct kipc_object *obj, void *arg),
		    void *arg, bool has_deadline, ktime_t deadline);
int kipc_wait_word(struct kipc_object *obj, u64 offset, u64 waiters_offset,
		   u32 expected, bool has_deadline, ktime_t deadline);
int kipc_wake_word(struct kipc_object *obj, u64 offset, u64 waiters_offset,
		   u32 count);
void kipc_wake_all(struct kipc_object *obj);
unsigned int kipc_wait_sleepers(struct kipc_object *obj);
void kipc_poll_arm(struct kipc_object *obj, struct file *file,
		   struct poll_table_struct *pt, u64 waiters_offset);
void kipc_poll_watch(struct kipc_object *obj, struct file *file,
		     struct poll_table_struct *pt, u64 waiters_offset);
long kipc_ioc_watch(struct kipc_object *obj, struct kipc_watch __user *uarg);
struct kipc_object *kipc_watch_object(const struct file *file);
long kipc_ioc_wait(struct kipc_object *obj, struct kipc_wait __user *uarg);
long kipc_ioc_wake(struct kipc_object *obj, struct kipc_wake __user *uarg);

/* uring.c: io_uring commands on object descriptors */
void kipc_uring_init(struct kipc_object *obj);
void kipc_uring_release(struct kipc_object *obj);
void kipc_uring_kick(struct kipc_object *obj);
int kipc_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
int kipc_sync_uring_try(struct kipc_object *obj, struct kipc_ucmd *uc);

/* names.c: named objects, scoped to the IPC namespace */
long kipc_ioc_create(struct kipc_create __user *uarg);
long kipc_ioc_open(struct kipc_open __user *uarg);
long kipc_ioc_unlink(struct kipc_unlink __user *uarg);
struct kipc_ns *kipc_ns_current(void);
struct kipc_ns *kipc_ns_find_current(void);
void kipc_ns_put_ref(struct kipc_ns *kns);
struct kipc_object *kipc_name_lookup(u64 uname, u32 len);
bool kipc_mode_permits(const struct kipc_object *obj);
int kipc_names_init(void);
void kipc_names_exit(void);
extern atomic_t kipc_names_live;

/* list.c: KIPC_IOC_LIST and KIPC_IOC_STAT */
bool kipc_may_see(struct kipc_object *obj, bool all);
struct kipc_object *kipc_object_lookup(u64 id, u64 uname, u32 name_len);
long kipc_ioc_list(struct kipc_list __user *uarg);
long kipc_ioc_stat(struct kipc_stat_query __user *uarg);

/* holders.c: KIPC_IOC_HOLDERS */
long kipc_ioc_holders(struct kipc_holders __user *uarg);

/* account.c: per-user and global limits */
int kipc_account_charge(struct kipc_charge *c, size_t bytes,
			unsigned int objects);
void kipc_account_uncharge(struct kipc_charge *c);
size_t kipc_account_total(void);
long kipc_ioc_usage(struct kipc_usage __user *uarg);
unsigned int kipc_account_users(void);
void kipc_account_init(void);
void kipc_account_exit(void);

/* The object types. */
extern const struct kipc_type kipc_shm_type;
extern const struct kipc_type kipc_sem_type;
extern const struct kipc_type kipc_lock_type;
extern const struct kipc_type kipc_rlock_type;
extern const struct kipc_type kipc_event_type;
extern const struct kipc_type kipc_barrier_type;
extern const struct kipc_type kipc_cond_type;
/* sync_wait_any.c: KIPC_IOC_WAIT_ANY on the control device */
long kipc_sync_ioc_wait_any(struct kipc_wait_any __user *uarg);
extern const struct kipc_type kipc_channel_type;
/* pipe.c: KIPC_IOC_PIPE; pipes are created only there, never by type. */
extern const struct kipc_type kipc_pipe_type;
long kipc_ioc_pipe(struct kipc_pipe __user *uarg);

#endif /* _KIPC_DRIVER_H */
