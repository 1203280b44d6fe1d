/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between the kernels kipc supports (6.1 and 6.12 LTS), in
 * one place, so the rest of the driver is written once. KIPC_KERNEL is
 * the series built against (Kbuild): 601 for 6.1, 612 for 6.12.
 */
#ifndef KIPC_COMPAT_H
#define KIPC_COMPAT_H

#include <linux/mm.h>
#include <linux/uio.h>
#if KIPC_KERNEL >= 608
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

/* 6.3 made vma->vm_flags read-only behind vm_flags_set(). */
static inline void kipc_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if KIPC_KERNEL >= 603
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * An iterator over one user buffer. 6.1 has ITER_UBUF but not yet
 * import_ubuf(), which later replaced import_single_range().
 */
static inline int kipc_import_ubuf(int dir, void __user *buf, size_t len,
				   struct iov_iter *iter)
{
#if KIPC_KERNEL >= 604
	return import_ubuf(dir, buf, len, iter);
#else
	len = min_t(size_t, len, MAX_RW_COUNT);
	if (unlikely(!access_ok(buf, len)))
		return -EFAULT;
	iov_iter_ubuf(iter, dir, buf, len);
	return 0;
#endif
}

/* The command bytes of an SQE: 6.4 replaced ->cmd with ->sqe. */
static inline const void *kipc_uring_cmd_bytes(const struct io_uring_cmd *cmd)
{
#if KIPC_KERNEL >= 604
	return io_uring_sqe_cmd(cmd->sqe);
#else
	return cmd->cmd;
#endif
}

#endif /* KIPC_COMPAT_H */
