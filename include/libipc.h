/* SPDX-License-Identifier: MIT */
/*
 * libipc: the userspace library for kipc.
 *
 * Conventions (as liburing): functions return 0 or a non-negative value on
 * success and a negative errno on failure; errno itself is not used.
 */
#ifndef LIBIPC_H
#define LIBIPC_H

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

#ifdef __cplusplus
}
#endif

#endif /* LIBIPC_H */
