/* SPDX-License-Identifier: MIT */
/*
 * kipc: fast, crash-safe inter-process channels and synchronisation objects.
 *
 * This header is the whole ABI between the kipc driver and userspace. Every
 * structure has fixed-width fields and explicit padding; fields marked
 * "reserved" must be zero on input and are rejected with EINVAL otherwise,
 * so they can be given a meaning later without breaking old binaries.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version. Raised only for incompatible changes; additions are announced
 * through the feature bits below instead.
 */
#define KIPC_API_VERSION	1

/* Path of the control device. */
#define KIPC_DEVICE_PATH	"/dev/kipc"

/*
 * Feature bits reported by KIPC_IOC_API. A bit is set only when the driver
 * implements the whole feature; userspace must ignore bits it does not know.
 */
#define KIPC_FEATURE_SHM	(1ULL << 0)	/* shared-memory objects */
#define KIPC_FEATURE_CHANNEL	(1ULL << 1)	/* channels: queues and pipes */
#define KIPC_FEATURE_SYNC	(1ULL << 2)	/* semaphores, locks, events... */
#define KIPC_FEATURE_URING_CMD	(1ULL << 3)	/* io_uring commands on objects */
#define KIPC_FEATURE_WATCH	(1ULL << 4)	/* KIPC_OBJ_IOC_WATCH */
#define KIPC_FEATURE_LIST	(1ULL << 5)	/* object ids, statistics, listing */

/**
 * struct kipc_api - API handshake, argument of KIPC_IOC_API
 * @version:  in: the ABI version the caller was built for (nonzero);
 *            out: the driver's ABI version (KIPC_API_VERSION)
 * @flags:    in: must be zero
 * @features: out: KIPC_FEATURE_* bits the driver supports
 * @reserved: in: must be zero; out: zero
 */
struct kipc_api {
	__u32 version;
	__u32 flags;
	__u64 features;
	__u64 reserved[6];
};

/* Object types. */
#define KIPC_TYPE_SHM		1	/* zero-filled shared memory */
#define KIPC_TYPE_CHANNEL	2	/* message queue (driver/channel.c) */
#define KIPC_TYPE_SEMAPHORE	3	/* the rest: driver/sync.c */
#define KIPC_TYPE_LOCK		4
#define KIPC_TYPE_RLOCK		5
#define KIPC_TYPE_EVENT		6
#define KIPC_TYPE_BARRIER	7
#define KIPC_TYPE_CONDITION	8
#define KIPC_TYPE_PIPE		9	/* two-ended channel (driver/pipe.c) */

/*
 * Longest object name, in bytes; names are 1..KIPC_NAME_MAX bytes without
 * control characters (0x00-0x1f, 0x7f).
 */
#define KIPC_NAME_MAX		255

/* struct kipc_create.flags */
#define KIPC_CREATE_EXCL	(1U << 0)	/* fail with EEXIST if the name exists */

/* fd_flags of struct kipc_create, struct kipc_open and struct kipc_pipe */
#define KIPC_FD_INHERIT		(1U << 0)	/* no O_CLOEXEC: keep the fd across exec */
#define KIPC_FD_NONBLOCK	(1U << 1)	/* O_NONBLOCK for read/write */

/**
 * struct kipc_shm_params - parameters of a shared-memory object
 * @size:     bytes, 1..KIPC_SHM_MAX_SIZE; rounded up to whole pages
 * @reserved: must be zero
 */
struct kipc_shm_params {
	__u64 size;
	__u64 reserved[7];
};

#define KIPC_SHM_MAX_SIZE	(1ULL << 40)

/* Synchronisation objects: creation parameters (more below) */

/**
 * struct kipc_sync_params - parameters of KIPC_TYPE_SEMAPHORE .. CONDITION
 * @value:    semaphore: initial value, 0..@max; others: zero
 * @max:      semaphore: largest value, 1..KIPC_SYNC_SEM_MAX, or 0 for
 *            KIPC_SYNC_SEM_MAX (a plain Semaphore); others: zero
 * @parties:  barrier: 1..KIPC_SYNC_PARTIES_MAX; others: zero
 * @nslots:   condition: waiters not yet notified at a time, a power of two
 *            1..KIPC_SYNC_SLOTS_MAX, or 0 for KIPC_SYNC_SLOTS_DEFAULT;
 *            others: zero
 * @flags:    must be zero
 * @reserved: must be zero
 *
 * The kernel keeps its own copy: the values in the object's memory are
 * informative only. Documentation/sync.rst has the memory layouts.
 */
struct kipc_sync_params {
	__u32 value;
	__u32 max;
	__u32 parties;
	__u32 nslots;
	__u32 flags;
	__u32 reserved[11];
};

#define KIPC_SYNC_SEM_MAX	0x7fffffffU
#define KIPC_SYNC_PARTIES_MAX	0xffffU
#define KIPC_SYNC_SLOTS_MAX	4096U
#define KIPC_SYNC_SLOTS_DEFAULT	64U

/**
 * struct kipc_channel_params - parameters of a channel (KIPC_TYPE_CHANNEL)
 * @capacity:  number of slots: a power of two, 1..KIPC_CHANNEL_MAX_CAPACITY
 * @slot_size: largest inline message in bytes: a multiple of 8,
 *             8..KIPC_CHANNEL_MAX_SLOT
 * @max_msg:   largest message in bytes, 0..KIPC_CHANNEL_MAX_MSG; 0 means
 *             @slot_size. Messages larger than @slot_size travel in kernel
 *             buffers (KIPC_CHANNEL_IOC_PUT_LARGE / GET_LARGE)
 * @flags:     must be zero
 * @pad:       must be zero
 * @reserved:  must be zero
 */
struct kipc_channel_params {
	__u32 capacity;
	__u32 slot_size;
	__u64 max_msg;
	__u32 flags;
	__u32 pad;
	__u64 reserved[5];
};

#define KIPC_CHANNEL_MAX_CAPACITY	0x100000U
#define KIPC_CHANNEL_MAX_SLOT		0x100000U
#define KIPC_CHANNEL_MAX_MSG		(64ULL << 20)

/* Type-specific creation parameters: always 64 bytes. */
union kipc_params {
	struct kipc_shm_params shm;
	struct kipc_sync_params sync;
	struct kipc_channel_params channel;
	__u64 raw[8];
};

/**
 * struct kipc_create - argument of KIPC_IOC_CREATE
 * @type:     KIPC_TYPE_*
 * @flags:    KIPC_CREATE_*
 * @name:     pointer to the name, or 0 for an anonymous object
 * @name_len: length of the name in bytes (0 when @name is 0)
 * @mode:     permission bits (0..0777) of a named object, less the umask
 * @fd_flags: KIPC_FD_*
 * @pad:      must be zero
 * @reserved: must be zero
 * @params:   type-specific; unused parts must be zero
 *
 * Besides the errors of Documentation/objects.rst: EDQUOT when the creator
 * or the owner of one of its user namespaces would exceed max_user_bytes
 * or max_user_objects, ENOSPC when all users together would exceed
 * max_total_bytes, ENOMEM when the creator's memory cgroup is full.
 */
struct kipc_create {
	__u32 type;
	__u32 flags;
	__u64 name;
	__u32 name_len;
	__u32 mode;
	__u32 fd_flags;
	__u32 pad;
	__u64 reserved[4];
	union kipc_params params;
};

/**
 * struct kipc_open - argument of KIPC_IOC_OPEN
 * @type:     KIPC_TYPE_* the caller expects
 * @flags:    must be zero
 * @name:     pointer to the name
 * @name_len: length of the name in bytes
 * @fd_flags: KIPC_FD_*
 * @reserved: must be zero
 */
struct kipc_open {
	__u32 type;
	__u32 flags;
	__u64 name;
	__u32 name_len;
	__u32 fd_flags;
	__u64 reserved[4];
};

/**
 * struct kipc_unlink - argument of KIPC_IOC_UNLINK
 * @name:     pointer to the name
 * @name_len: length of the name in bytes
 * @flags:    must be zero
 * @reserved: must be zero
 */
struct kipc_unlink {
	__u64 name;
	__u32 name_len;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct kipc_info - argument of KIPC_OBJ_IOC_INFO
 * @type:     out: KIPC_TYPE_*
 * @flags:    in: must be zero; out: KIPC_INFO_*
 * @size:     out: bytes of the object's memory (what mmap may map)
 * @reserved: in: must be zero; out: zero
 * @params:   out: the parameters the object was created with
 */
struct kipc_info {
	__u32 type;
	__u32 flags;
	__u64 size;
	__u64 reserved[6];
	union kipc_params params;
};

#define KIPC_INFO_NAMED		(1U << 0)	/* created with a name */

/* Owner ids: one per mapping, used inside objects' shared state. */
#define KIPC_ID_NONE		0
#define KIPC_ID_MIN		1
#define KIPC_ID_MAX		0xfffe
#define KIPC_ID_KERNEL		0xffff

/**
 * struct kipc_map_id - argument of KIPC_OBJ_IOC_MAP_ID
 * @addr: in: an address inside a mapping of this object
 * @id:   out: that mapping's owner id (KIPC_ID_MIN..KIPC_ID_MAX)
 * @pad:  must be zero
 */
struct kipc_map_id {
	__u64 addr;
	__u32 id;
	__u32 pad;
};

/*
 * Waiter words: 32-bit words in an object's memory that the kernel keeps.
 * The low 31 bits count tasks sleeping in KIPC_OBJ_IOC_WAIT on words that
 * name this counter; KIPC_WAITERS_POLL is set while poll, select or epoll
 * may be watching. A waker in userspace calls KIPC_OBJ_IOC_WAKE only when
 * the word is nonzero, after a full barrier.
 */
#define KIPC_WAITERS_POLL	0x80000000U
#define KIPC_WAITERS_NONE	(~0ULL)	/* waiters_offset: no counter */

/* struct kipc_wait.flags */
#define KIPC_WAIT_DEADLINE	(1U << 0)	/* deadline_ns is valid */

/**
 * struct kipc_wait - argument of KIPC_OBJ_IOC_WAIT
 * @offset:         byte offset of a 32-bit word in the object's memory
 * @waiters_offset: byte offset of its waiter word, or KIPC_WAITERS_NONE
 * @expected:       sleep only while the word holds this value
 * @flags:          KIPC_WAIT_*
 * @deadline_ns:    CLOCK_MONOTONIC time to give up at (KIPC_WAIT_DEADLINE)
 * @reserved:       must be zero
 */
struct kipc_wait {
	__u64 offset;
	__u64 waiters_offset;
	__u32 expected;
	__u32 flags;
	__u64 deadline_ns;
	__u64 reserved[2];
};

/**
 * struct kipc_wake - argument of KIPC_OBJ_IOC_WAKE
 * @offset:         byte offset of the word whose sleepers to wake
 * @waiters_offset: its waiter word, or KIPC_WAITERS_NONE
 * @count:          how many sleepers to wake at most (nonzero)
 * @flags:          must be zero
 * @reserved:       must be zero
 */
struct kipc_wake {
	__u64 offset;
	__u64 waiters_offset;
	__u32 count;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct kipc_watch - argument of KIPC_OBJ_IOC_WATCH
 * @offset:         byte offset of a 32-bit word in the object's memory
 * @waiters_offset: its waiter word, or KIPC_WAITERS_NONE
 * @expected:       the value the caller saw (struct kipc_wait.expected)
 * @fd_flags:       KIPC_FD_INHERIT only; the descriptor never blocks
 * @reserved:       must be zero
 *
 * Returns a new descriptor that polls readable (EPOLLIN) once the word no
 * longer holds @expected: the wait of KIPC_OBJ_IOC_WAIT, made pollable for
 * event loops. It is level-triggered, keeps the object alive and does
 * nothing else (no read, write or mmap). Wakers wake it the way they wake
 * sleepers: KIPC_OBJ_IOC_WAKE on the word, or any state change the kernel
 * makes (recovery after a process died).
 */
struct kipc_watch {
	__u64 offset;
	__u64 waiters_offset;
	__u32 expected;
	__u32 fd_flags;
	__u64 reserved[2];
};

/*
 * ioctl numbers: 'k' 0x80-0xbf, free in Documentation/userspace-api/ioctl:
 * 0x80-0x8f control device, 0x90-0x9f any object, 0xa0-0xaf channels,
 * 0xb0-0xbb synchronisation objects, 0xbc-0xbf never used.
 */
#define KIPC_IOC_MAGIC		'k'

/* Synchronisation objects */

/*
 * Byte offsets in a Semaphore, Lock, RLock, Event and Barrier (after the
 * magic word); Documentation/sync.rst has the whole layouts.
 */
#define KIPC_SYNC_OFF_WORD	4	/* lock word, count, event or state */
#define KIPC_SYNC_OFF_WAITERS	8	/* its kernel-maintained waiter word */

/* Most objects one KIPC_IOC_WAIT_ANY takes. */
#define KIPC_WAIT_ANY_MAX	64

/**
 * struct kipc_wait_obj - one object of KIPC_IOC_WAIT_ANY
 * @fd:    descriptor of a semaphore, lock, rlock or event, or of any object
 *         whose descriptor polls (readable counts as ready)
 * @flags: must be zero
 * @addr:  lock and rlock: an address inside the caller's mapping of the
 *         object, whose owner id the acquired lock gets; others: zero
 */
struct kipc_wait_obj {
	__s32 fd;
	__u32 flags;
	__u64 addr;
};

/**
 * struct kipc_wait_any - argument of KIPC_IOC_WAIT_ANY
 * @objs:        pointer to @count struct kipc_wait_obj
 * @count:       1..KIPC_WAIT_ANY_MAX
 * @flags:       KIPC_WAIT_DEADLINE
 * @deadline_ns: CLOCK_MONOTONIC time to give up at (KIPC_WAIT_DEADLINE)
 * @index:       out: the object that fired (a semaphore unit or the lock
 *               is then taken by the caller)
 * @pad:         must be zero
 * @reserved:    must be zero
 *
 * Returns 0, or -EOWNERDEAD when @index is a lock whose previous holder
 * died (the caller holds it), -ETIMEDOUT, -EINTR, -EINVAL, -EBADF.
 */
struct kipc_wait_any {
	__u64 objs;
	__u32 count;
	__u32 flags;
	__u64 deadline_ns;
	__u32 index;
	__u32 pad;
	__u64 reserved[4];
};

#define KIPC_IOC_WAIT_ANY	_IOWR(KIPC_IOC_MAGIC, 0x84, struct kipc_wait_any)

/* Channels */

/*
 * A channel's memory is a struct kipc_ring_hdr followed by its slots; see
 * Documentation/channels.rst. Byte offsets of the words the wait and wake
 * protocol uses:
 */
#define KIPC_CHANNEL_OFF_PUT_SEQ	72	/* bumped after a put if consumers sleep */
#define KIPC_CHANNEL_OFF_GET_WAITERS	76	/* consumers asleep (kernel-kept) */
#define KIPC_CHANNEL_OFF_GET_SEQ	136	/* bumped after a get if producers sleep */
#define KIPC_CHANNEL_OFF_PUT_WAITERS	140	/* producers asleep (kernel-kept) */

/* struct kipc_channel_wait.op */
#define KIPC_CHANNEL_GET	0	/* wait for a message */
#define KIPC_CHANNEL_PUT	1	/* wait for room */

/**
 * struct kipc_channel_wait - argument of KIPC_CHANNEL_IOC_WAIT
 * @op:          KIPC_CHANNEL_GET or KIPC_CHANNEL_PUT
 * @seq:         put_seq (GET) or get_seq (PUT) as loaded, with acquire,
 *               before the failed attempt
 * @flags:       KIPC_WAIT_DEADLINE
 * @pad:         must be zero
 * @deadline_ns: CLOCK_MONOTONIC time to give up at (KIPC_WAIT_DEADLINE);
 *               must be zero without KIPC_WAIT_DEADLINE (-EINVAL)
 * @reserved:    must be zero
 *
 * Sleeps while @seq is unchanged and the ring still has no message (GET) or
 * no room (PUT). Returns 0 when woken, -EAGAIN if there was no need to
 * sleep, -ETIMEDOUT, -EINTR (restarted after SA_RESTART handlers; a pending
 * signal wins over -EAGAIN), -EINVAL.
 */
struct kipc_channel_wait {
	__u32 op;
	__u32 seq;
	__u32 flags;
	__u32 pad;
	__u64 deadline_ns;
	__u64 reserved[2];
};

/* struct kipc_channel_wake.ops */
#define KIPC_CHANNEL_WAKE_GET	(1U << 0)	/* consumers (put_seq) */
#define KIPC_CHANNEL_WAKE_PUT	(1U << 1)	/* producers (get_seq) */

/**
 * struct kipc_channel_wake - argument of KIPC_CHANNEL_IOC_WAKE
 * @ops:      KIPC_CHANNEL_WAKE_* (nonzero)
 * @flags:    must be zero
 * @reserved: must be zero
 *
 * Wakes every sleeper and poller of the chosen sides; returns how many
 * sleepers were woken. Called by userspace after kipc_ring_after_put() or
 * kipc_ring_after_get() returned true.
 */
struct kipc_channel_wake {
	__u32 ops;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct kipc_channel_stats - argument of KIPC_CHANNEL_IOC_STATS
 * @queued:    out: messages in the ring (approximate)
 * @dropped:   out: messages lost because the consumer holding them died
 * @discarded: out: claims undone because their producer died
 * @get_waiters: out: consumers asleep
 * @put_waiters: out: producers asleep
 * @buffers:   out: kernel buffers of large messages held by the channel
 * @buffer_bytes: out: their bytes (charged to the putters' users)
 * @reserved:  in: must be zero; out: zero
 */
struct kipc_channel_stats {
	__u64 queued;
	__u64 dropped;
	__u64 discarded;
	__u32 get_waiters;
	__u32 put_waiters;
	__u64 buffers;
	__u64 buffer_bytes;
	__u64 reserved[2];
};

/**
 * struct kipc_channel_large - argument of KIPC_CHANNEL_IOC_PUT_LARGE/GET_LARGE
 * @data:        user address of the message (put) or of the buffer (get)
 * @len:         put: the message length, up to max_msg; get: buffer size
 * @flags:       KIPC_WAIT_DEADLINE, KIPC_CHANNEL_LARGE_NOWAIT
 * @pad:         must be zero
 * @deadline_ns: CLOCK_MONOTONIC deadline with KIPC_WAIT_DEADLINE; must be
 *               zero without it (-EINVAL)
 * @reserved:    must be zero
 *
 * PUT_LARGE copies the message into a kernel buffer, charged to the
 * caller's user, and publishes an indirect record naming it; the kernel
 * does the whole publish, so a caller's death cannot leave it half done.
 * GET_LARGE takes the next message (indirect or inline), copies it out and
 * frees its buffer; it returns the message length. A message that does not
 * fit (-EMSGSIZE) or a fault (-EFAULT) leaves the message in the channel.
 * A ring whose words are corrupt or keep contradicting each other (a
 * co-mapper's scribbles) fails them, read(2) and write(2) with -EIO.
 */
struct kipc_channel_large {
	__u64 data;
	__u64 len;
	__u32 flags;
	__u32 pad;
	__u64 deadline_ns;
	__u64 reserved[2];
};

#define KIPC_CHANNEL_LARGE_NOWAIT	(1U << 1)	/* never sleep: -EAGAIN */

#define KIPC_CHANNEL_IOC_WAIT	_IOW(KIPC_IOC_MAGIC, 0xa0, struct kipc_channel_wait)
#define KIPC_CHANNEL_IOC_WAKE	_IOW(KIPC_IOC_MAGIC, 0xa1, struct kipc_channel_wake)
#define KIPC_CHANNEL_IOC_STATS	_IOWR(KIPC_IOC_MAGIC, 0xa2, struct kipc_channel_stats)
#define KIPC_CHANNEL_IOC_PUT_LARGE _IOW(KIPC_IOC_MAGIC, 0xa3, struct kipc_channel_large)
#define KIPC_CHANNEL_IOC_GET_LARGE _IOW(KIPC_IOC_MAGIC, 0xa4, struct kipc_channel_large)

/* Pipes */

/*
 * A pipe is an anonymous channel with two ends, each one descriptor. A
 * duplex pipe holds two rings: end e puts into ring e and gets from ring
 * 1-e. A one-way pipe holds one ring: end 0 only gets, end 1 only puts
 * (other operations fail with EBADF). Ring 1 starts right after ring 0,
 * at kipc_ring_bytes(capacity, slot_size). When the last reference to an
 * end goes (close, exit, munmap of the last mapping made through it), the
 * rings that end fed are marked KIPC_CHANNEL_CLOSED_WRITER and those it
 * read KIPC_CHANNEL_CLOSED_READER. A get then drains what is queued and
 * fails with ENODATA (read(2) returns 0); a put fails with EPIPE.
 * Documentation/channels.rst describes the rules.
 */

/* Word of a ring header (byte offset from the ring) the kernel keeps. */
#define KIPC_CHANNEL_OFF_CLOSED		28
#define KIPC_CHANNEL_CLOSED_WRITER	(1U << 0)	/* every putter is gone */
#define KIPC_CHANNEL_CLOSED_READER	(1U << 1)	/* every getter is gone */

/*
 * struct kipc_pipe.flags. Distinct from the KIPC_FD_* bits, so that the
 * library takes both in one argument.
 */
#define KIPC_PIPE_DUPLEX	(1U << 16)	/* both ends put and get */

/**
 * struct kipc_pipe - argument of KIPC_IOC_PIPE
 * @flags:    in: KIPC_PIPE_DUPLEX or 0 (one-way)
 * @fd_flags: in: KIPC_FD_* for both descriptors
 * @fds:      out: the descriptors of end 0 and end 1
 * @reserved: in: must be zero
 * @params:   in: as for a channel (capacity, slot_size, max_msg; its
 *            flags, pad and reserved must be zero); each ring gets them.
 *            KIPC_OBJ_IOC_INFO reports them with @flags in params.flags
 *
 * Returns 0, or EINVAL (bad flags, nonzero reserved fields, bad geometry),
 * EFAULT, EMFILE, ENOMEM, EDQUOT (a per-user limit), ENOSPC (the global
 * cap), as KIPC_IOC_CREATE.
 */
struct kipc_pipe {
	__u32 flags;
	__u32 fd_flags;
	__s32 fds[2];
	__u64 reserved[4];
	struct kipc_channel_params params;
};

/* KIPC_PIPE_IOC_END: a ring offset the end does not use. */
#define KIPC_PIPE_NO_RING	(~0ULL)

/**
 * struct kipc_pipe_end - argument of KIPC_PIPE_IOC_END
 * @end:      out: 0 or 1
 * @flags:    in: must be zero; out: the pipe's KIPC_PIPE_* flags
 * @put_ring: out: byte offset of the ring this end puts into, or
 *            KIPC_PIPE_NO_RING
 * @get_ring: out: byte offset of the ring this end gets from, or
 *            KIPC_PIPE_NO_RING
 * @reserved: in: must be zero; out: zero
 *
 * On a pipe's end, the channel commands act on its rings: WAIT with op GET
 * and GET_LARGE on the get ring, WAIT with op PUT and PUT_LARGE on the put
 * ring (EBADF if the end has no such ring), WAKE on both. WAIT fails with
 * ENODATA when the get ring is empty and its writer gone, with EPIPE when
 * the put ring's reader is gone. ENOTTY on other objects.
 */
struct kipc_pipe_end {
	__u32 end;
	__u32 flags;
	__u64 put_ring;
	__u64 get_ring;
	__u64 reserved[2];
};

#define KIPC_PIPE_IOC_END	_IOWR(KIPC_IOC_MAGIC, 0xa5, struct kipc_pipe_end)

/*
 * io_uring commands on object descriptors (IORING_OP_URING_CMD).
 *
 * sqe->cmd_op holds the operation in bits 0..7 and KIPC_URING_F_* flags;
 * every other bit must be zero (-EINVAL). An unknown operation fails with
 * -EOPNOTSUPP, a known one on an object of another type with -EINVAL.
 * The 16 command bytes of the SQE (sqe->cmd) hold struct kipc_uring_cmd;
 * with IORING_SETUP_SQE128 the 64 further bytes must be zero.
 * Documentation/uring.rst describes each operation and its results.
 *
 * @deadline_ns: CLOCK_MONOTONIC deadline with KIPC_URING_F_DEADLINE, else 0
 * @arg:         SEM_RELEASE: units to release (1..max); LOCK_*: the address
 *               of the caller's mapping of the lock (its owner id);
 *               CHANNEL_*: see below; else 0
 */
struct kipc_uring_cmd {
	__u64 deadline_ns;
	__u64 arg;
};

#define KIPC_URING_OP_MASK		0xffU
#define KIPC_URING_SEM_ACQUIRE		1	/* take one unit; may wait */
#define KIPC_URING_SEM_RELEASE		2	/* give arg units */
#define KIPC_URING_LOCK_ACQUIRE		3	/* Lock or RLock; may wait */
#define KIPC_URING_LOCK_RELEASE		4	/* Lock or RLock */
#define KIPC_URING_EVENT_SET		5
#define KIPC_URING_EVENT_WAIT		6	/* until set; may wait */

/*
 * Channel commands (Documentation/uring.rst). @arg is the user address of
 * one struct iovec (PUT, GET) or of a struct kipc_uring_batch (PUT_MANY,
 * GET_MANY), read once at submission. Results: PUT 0; GET the message
 * length; the batches the number of messages put or got (>= 1).
 */
#define KIPC_URING_CHANNEL_PUT		16	/* one message; may wait */
#define KIPC_URING_CHANNEL_GET		17	/* one message; may wait */
#define KIPC_URING_CHANNEL_PUT_MANY	18	/* up to count; may wait */
#define KIPC_URING_CHANNEL_GET_MANY	19	/* up to count; may wait */

/* Most messages one batch command names. */
#define KIPC_URING_BATCH_MAX		64

/**
 * struct kipc_uring_batch - what @arg names for PUT_MANY and GET_MANY
 * @msgs:     user address of @count struct iovec (64-bit layout): the
 *            messages (put) or buffers (get; each iov_len becomes the
 *            length of the message received in it)
 * @count:    1..KIPC_URING_BATCH_MAX
 * @flags:    must be zero
 * @reserved: must be zero
 */
struct kipc_uring_batch {
	__u64 msgs;
	__u32 count;
	__u32 flags;
	__u64 reserved[2];
};

#define KIPC_URING_F_DEADLINE		(1U << 8)	/* deadline_ns is valid */
#define KIPC_URING_F_NOWAIT		(1U << 9)	/* never wait: -EAGAIN */

/*
 * Seeing objects: ids, statistics and listing (Documentation/observability.rst).
 *
 * Every object has an id, nonzero and never reused while the module is
 * loaded (shown in fdinfo as kipc-id). KIPC_IOC_LIST, _STAT, _HOLDERS
 * and _USAGE are announced by KIPC_FEATURE_LIST (ENOTTY on drivers
 * without it). A caller sees
 * an object when it owns it, may open it by name (read and write
 * permission), or has CAP_IPC_OWNER in the namespace's user namespace; of
 * the others it learns only how many there are. The holder of a
 * descriptor may always read the statistics of its object.
 */

/* Layout versions of struct kipc_stat; the caller names the one it knows. */
#define KIPC_STAT_VERSION	1

/* struct kipc_stat.flags */
#define KIPC_STAT_NAMED		(1U << 0)	/* created with a name */
#define KIPC_STAT_LINKED	(1U << 1)	/* that name is still linked */

/**
 * struct kipc_ring_stat - one ring of a channel or pipe
 * @queued:       messages in the ring
 * @queued_bytes: their lengths, summed
 * @puts:         messages put since creation (the ring's tail position)
 * @gets:         messages taken since creation (its head position)
 * @dropped:      messages lost with a consumer that died holding them
 * @discarded:    claims undone because their producer died
 * @recoveries:   times the kernel repaired the ring after a mapping went
 *                away in the middle of a put or get
 * @buffers:      kernel buffers of large messages in the ring
 * @buffer_bytes: their bytes
 * @get_waiters:  consumers asleep (including pending io_uring commands)
 * @put_waiters:  producers asleep (likewise)
 * @closed:       KIPC_CHANNEL_CLOSED_* (pipes)
 * @pad:          zero
 *
 * @queued, @queued_bytes, @puts and @gets are read from the shared ring,
 * which every mapper may write: they describe the ring, not a promise.
 */
struct kipc_ring_stat {
	__u64 queued;
	__u64 queued_bytes;
	__u64 puts;
	__u64 gets;
	__u64 dropped;
	__u64 discarded;
	__u64 recoveries;
	__u64 buffers;
	__u64 buffer_bytes;
	__u32 get_waiters;
	__u32 put_waiters;
	__u32 closed;
	__u32 pad;
};

/* struct kipc_sync_stat.flags */
/* lock: freed from a dead holder, not yet retaken */
#define KIPC_SYNC_STAT_DIED	(1U << 0)
#define KIPC_SYNC_STAT_BROKEN	(1U << 1)	/* barrier: broken */
#define KIPC_SYNC_STAT_SET	(1U << 2)	/* event: set */

/**
 * struct kipc_sync_stat - a semaphore, lock, rlock, event, barrier or condition
 * @value:      semaphore: its count; lock: 1 if held; rlock: the holder's
 *              recursion count; barrier: parties waiting; condition:
 *              waiters not yet notified; event: 1 if set
 * @holder:     lock and rlock: the holder's owner id (KIPC_ID_*), else 0
 * @waiters:    tasks asleep (including pending io_uring commands)
 * @flags:      KIPC_SYNC_STAT_*
 * @owner_died: locks: times the kernel freed it from a holder that died
 * @recoveries: every repair the kernel made after a mapping went away (a
 *              freed lock, a broken barrier, a cancelled condition waiter,
 *              a semaphore unit given back)
 * @reserved:   zero
 */
struct kipc_sync_stat {
	__u32 value;
	__u32 holder;
	__u32 waiters;
	__u32 flags;
	__u64 owner_died;
	__u64 recoveries;
	__u64 reserved[4];
};

/**
 * struct kipc_stat - one object, as KIPC_IOC_LIST, KIPC_IOC_STAT and
 * KIPC_OBJ_IOC_STAT report it (version KIPC_STAT_VERSION)
 * @id:            the object's id
 * @type:          KIPC_TYPE_*
 * @flags:         KIPC_STAT_*
 * @uid:           owner (the creator's effective uid), as seen from the
 *                 caller's user namespace (the overflow uid if unmapped)
 * @gid:           owner's group, likewise
 * @mode:          permission bits of a named object (0 if anonymous)
 * @name_len:      bytes of @name
 * @ctime_ns:      CLOCK_REALTIME of the creation, in nanoseconds
 * @size:          bytes of shared memory
 * @kmem:          bytes charged for it now: its memory and the kernel
 *                 buffers of the large messages it holds
 * @mappings:      live mappings (across all processes)
 * @sleepers:      tasks asleep in KIPC_OBJ_IOC_WAIT on it
 * @uring_pending: io_uring commands waiting on it
 * @pad:           zero
 * @waits:         times a task or command went to sleep on it
 * @wakes:         tasks and commands woken from it
 * @reserved:      zero
 * @params:        the parameters it was created with
 * @u:             the type's statistics: @u.ring[0] for a channel, both
 *                 rings of a duplex pipe (one-way: @u.ring[0]), @u.sync
 *                 for the synchronisation objects; zero for shm
 * @name:          the name, NUL-terminated ("" if anonymous)
 */
struct kipc_stat {
	__u64 id;
	__u32 type;
	__u32 flags;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 name_len;
	__u64 ctime_ns;
	__u64 size;
	__u64 kmem;
	__u32 mappings;
	__u32 sleepers;
	__u32 uring_pending;
	__u32 pad;
	__u64 waits;
	__u64 wakes;
	__u64 reserved[4];
	union kipc_params params;
	union {
		struct kipc_ring_stat ring[2];
		struct kipc_sync_stat sync;
		__u64 raw[32];
	} u;
	char name[KIPC_NAME_MAX + 1];
};

/**
 * struct kipc_stat_query - argument of KIPC_IOC_STAT and KIPC_OBJ_IOC_STAT
 * @version:  in: KIPC_STAT_VERSION
 * @flags:    in: must be zero
 * @id:       in: KIPC_IOC_STAT: the object's id, or 0 to find it by @name;
 *            KIPC_OBJ_IOC_STAT: must be zero
 * @name:     in: KIPC_IOC_STAT with @id 0: user address of the name;
 *            else must be zero
 * @name_len: in: bytes of the name (zero without @name)
 * @pad:      in: must be zero
 * @stat:     in: user address of the struct kipc_stat to fill
 * @reserved: in: must be zero
 *
 * KIPC_IOC_STAT fails with ENOENT when no object of the caller's IPC
 * namespace has that id or name, or the caller may not see it.
 */
struct kipc_stat_query {
	__u32 version;
	__u32 flags;
	__u64 id;
	__u64 name;
	__u32 name_len;
	__u32 pad;
	__u64 stat;
	__u64 reserved[2];
};

/* Most entries one KIPC_IOC_LIST or KIPC_IOC_HOLDERS fills. */
#define KIPC_LIST_MAX		1024

/**
 * struct kipc_list - argument of KIPC_IOC_LIST
 * @version:  in: KIPC_STAT_VERSION
 * @flags:    in: must be zero
 * @start_id: in: report objects with this id or higher (0: from the start)
 * @stats:    in: user address of @count struct kipc_stat
 * @count:    in: room at @stats, 1..KIPC_LIST_MAX; out: entries written
 * @type:     in: KIPC_TYPE_* to report only that type, or 0 for all
 * @next_id:  out: @start_id of the next call, or 0 when every object was
 *            reported
 * @hidden:   out: objects passed over in this call because the caller
 *            may not see them (their sum over calls is the hidden total)
 * @pad:      in: must be zero
 * @reserved: in: must be zero
 *
 * Objects of the caller's IPC namespace, in increasing id order. A call
 * scans a bounded number of objects, so it may return fewer entries than
 * @count (even none) with a nonzero @next_id: call again from there.
 */
struct kipc_list {
	__u32 version;
	__u32 flags;
	__u64 start_id;
	__u64 stats;
	__u32 count;
	__u32 type;
	__u64 next_id;
	__u32 hidden;
	__u32 pad;
	__u64 reserved[3];
};

/**
 * struct kipc_holder - one process that holds or maps an object
 * @pid:      its process id in the caller's pid namespace
 * @fds:      its descriptors on the object (object and watch descriptors)
 * @mappings: its mappings of the object
 * @pad:      zero
 */
struct kipc_holder {
	__s32 pid;
	__u32 fds;
	__u32 mappings;
	__u32 pad;
};

/**
 * struct kipc_holders - argument of KIPC_IOC_HOLDERS
 * @id:       in: the object's id (as for KIPC_IOC_STAT)
 * @holders:  in: user address of @count struct kipc_holder
 * @count:    in: room at @holders, 0..KIPC_LIST_MAX; out: entries written
 * @total:    out: processes found (more than @count when room ran out)
 * @flags:    in: must be zero
 * @pad:      in: must be zero
 * @reserved: in: must be zero
 *
 * The processes of the caller's pid namespace that have a descriptor on
 * the object or map it, in increasing pid order, among those the caller
 * may inspect (same user and group, or CAP_SYS_PTRACE over them). Descriptors in flight
 * (SCM_RIGHTS), registered with io_uring, or held by processes outside the
 * caller's pid namespace are not found. ENOENT as for KIPC_IOC_STAT.
 */
struct kipc_holders {
	__u64 id;
	__u64 holders;
	__u32 count;
	__u32 total;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct kipc_usage - argument of KIPC_IOC_USAGE
 * @flags:           in: must be zero
 * @pad:             in: must be zero
 * @bytes:           out: bytes charged to the caller's account (its
 *                   effective uid in its user namespace)
 * @objects:         out: objects charged to it
 * @max_bytes:       out: the max_user_bytes limit
 * @max_objects:     out: the max_user_objects limit
 * @total_bytes:     out: bytes charged to all accounts
 * @max_total_bytes: out: the max_total_bytes limit
 * @reserved:        in: must be zero; out: zero
 */
struct kipc_usage {
	__u32 flags;
	__u32 pad;
	__u64 bytes;
	__u64 objects;
	__u64 max_bytes;
	__u64 max_objects;
	__u64 total_bytes;
	__u64 max_total_bytes;
	__u64 reserved[4];
};

/* Commands on the control device, /dev/kipc. */
#define KIPC_IOC_API		_IOWR(KIPC_IOC_MAGIC, 0x80, struct kipc_api)
#define KIPC_IOC_CREATE		_IOW(KIPC_IOC_MAGIC, 0x81, struct kipc_create)
#define KIPC_IOC_OPEN		_IOW(KIPC_IOC_MAGIC, 0x82, struct kipc_open)
#define KIPC_IOC_UNLINK		_IOW(KIPC_IOC_MAGIC, 0x83, struct kipc_unlink)
#define KIPC_IOC_PIPE		_IOWR(KIPC_IOC_MAGIC, 0x85, struct kipc_pipe)
#define KIPC_IOC_LIST		_IOWR(KIPC_IOC_MAGIC, 0x86, struct kipc_list)
#define KIPC_IOC_STAT		_IOW(KIPC_IOC_MAGIC, 0x87, struct kipc_stat_query)
#define KIPC_IOC_HOLDERS	_IOWR(KIPC_IOC_MAGIC, 0x88, struct kipc_holders)
#define KIPC_IOC_USAGE		_IOWR(KIPC_IOC_MAGIC, 0x89, struct kipc_usage)

/* Commands on any object's descriptor. */
#define KIPC_OBJ_IOC_INFO	_IOWR(KIPC_IOC_MAGIC, 0x90, struct kipc_info)
#define KIPC_OBJ_IOC_MAP_ID	_IOWR(KIPC_IOC_MAGIC, 0x91, struct kipc_map_id)
#define KIPC_OBJ_IOC_WAIT	_IOW(KIPC_IOC_MAGIC, 0x92, struct kipc_wait)
#define KIPC_OBJ_IOC_WAKE	_IOW(KIPC_IOC_MAGIC, 0x93, struct kipc_wake)
#define KIPC_OBJ_IOC_WATCH	_IOW(KIPC_IOC_MAGIC, 0x94, struct kipc_watch)
#define KIPC_OBJ_IOC_STAT	_IOW(KIPC_IOC_MAGIC, 0x95, struct kipc_stat_query)

#endif /* _UAPI_LINUX_KIPC_H */
