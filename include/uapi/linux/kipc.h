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

/* ioctl numbers: 'k' 0x80-0xbf, free in Documentation/userspace-api/ioctl. */
#define KIPC_IOC_MAGIC		'k'

/* Commands on the control device, /dev/kipc. */
#define KIPC_IOC_API		_IOWR(KIPC_IOC_MAGIC, 0x80, struct kipc_api)

#endif /* _UAPI_LINUX_KIPC_H */
