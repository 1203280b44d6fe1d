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
#include <sys/types.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_LIB_MAJOR	0
#define KIPC_LIB_MINOR	1

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
 * Shared memory. kipc_shm_create: @name NULL for an anonymous object;
 * @flags KIPC_CREATE_EXCL to fail with -EEXIST when the name exists
 * (without it an existing object of that name is opened). Returns the
 * descriptor. kipc_shm_map maps the whole object read-write and shared.
 */
int kipc_shm_create(const char *name, size_t size, __u32 flags, mode_t mode);
int kipc_shm_open(const char *name);
int kipc_shm_unlink(const char *name);
int kipc_shm_map(int fd, void **addr, size_t *size);
int kipc_shm_unmap(void *addr, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LIBIPC_H */
