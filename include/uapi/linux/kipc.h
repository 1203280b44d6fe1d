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

/* Longest object name, in bytes; names are 1..KIPC_NAME_MAX bytes, no NUL. */
#define KIPC_NAME_MAX		255

/* struct kipc_create.flags */
#define KIPC_CREATE_EXCL	(1U << 0)	/* fail with EEXIST if the name exists */

/* fd_flags of struct kipc_create and struct kipc_open */
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

/* Type-specific creation parameters: always 64 bytes. */
union kipc_params {
	struct kipc_shm_params shm;
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

/*
 * ioctl numbers: 'k' 0x80-0xbf, free in Documentation/userspace-api/ioctl:
 * 0x80-0x8f control device, 0x90-0x9f any object, 0xa0-0xaf channels,
 * 0xb0-0xbb synchronisation objects, 0xbc-0xbf never used.
 */
#define KIPC_IOC_MAGIC		'k'

/* Commands on the control device, /dev/kipc. */
#define KIPC_IOC_API		_IOWR(KIPC_IOC_MAGIC, 0x80, struct kipc_api)
#define KIPC_IOC_CREATE		_IOW(KIPC_IOC_MAGIC, 0x81, struct kipc_create)
#define KIPC_IOC_OPEN		_IOW(KIPC_IOC_MAGIC, 0x82, struct kipc_open)
#define KIPC_IOC_UNLINK		_IOW(KIPC_IOC_MAGIC, 0x83, struct kipc_unlink)

/* Commands on any object's descriptor. */
#define KIPC_OBJ_IOC_INFO	_IOWR(KIPC_IOC_MAGIC, 0x90, struct kipc_info)
#define KIPC_OBJ_IOC_MAP_ID	_IOWR(KIPC_IOC_MAGIC, 0x91, struct kipc_map_id)
#define KIPC_OBJ_IOC_WAIT	_IOW(KIPC_IOC_MAGIC, 0x92, struct kipc_wait)
#define KIPC_OBJ_IOC_WAKE	_IOW(KIPC_IOC_MAGIC, 0x93, struct kipc_wake)

#endif /* _UAPI_LINUX_KIPC_H */
