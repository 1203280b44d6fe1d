/* SPDX-License-Identifier: MIT */
/* libipc internals shared by its files; never installed. */
#ifndef LIBIPC_PRIVATE_H
#define LIBIPC_PRIVATE_H

#include <linux/types.h>

/* The process-wide control descriptor, or -errno. */
int kipc__dev(void);
/* ioctl(2) returning its result or -errno. */
int kipc__ioctl(int fd, unsigned long cmd, void *arg);
/* Fill a UAPI name pointer and length from a C string. */
int kipc__set_name(__u64 *uname, __u32 *len, const char *name);

#endif /* LIBIPC_PRIVATE_H */
