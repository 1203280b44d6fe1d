/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Atomic accessors for memory shared by the kipc driver and userspace.
 *
 * The algorithms in include/kipc/ are compiled into both kipc.ko and libipc,
 * so that the kernel's slow paths and recovery act on exactly the protocol
 * the userspace fast paths follow. This header maps their few primitives to
 * the kernel's atomics or to the compiler's. Every access to shared memory
 * goes through these: the other side may be another CPU, a process killed
 * half-way, or a hostile writer.
 *
 * Not installed: an internal header of the kipc source tree.
 */
#ifndef _KIPC_ATOMIC_H
#define _KIPC_ATOMIC_H

#ifdef __KERNEL__

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <asm/barrier.h>

#define kipc_load(p)			READ_ONCE(*(p))
/* Acquire: later accesses cannot move before this load. */
#define kipc_load_acquire(p)		smp_load_acquire(p)
#define kipc_store(p, v)		WRITE_ONCE(*(p), (v))
/* Release: earlier accesses cannot move after this store. */
#define kipc_store_release(p, v)	smp_store_release((p), (v))
/* Full barrier; evaluates to the value found at @p. */
#define kipc_cmpxchg(p, old, new)	cmpxchg((p), (old), (new))
#define kipc_xchg(p, v)			xchg((p), (v))
/* Full barrier, for store-then-load protocols (sleeper and waker). */
#define kipc_mb()			smp_mb()

#else /* userspace */

#define kipc_load(p)			__atomic_load_n((p), __ATOMIC_RELAXED)
#define kipc_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define kipc_store(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define kipc_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define kipc_cmpxchg(p, old, new) ({					\
	__typeof__(p) __kipc_p = (p);					\
	__typeof__(*__kipc_p) __kipc_old = (old);			\
	__atomic_compare_exchange_n(__kipc_p, &__kipc_old, (new), 0,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__kipc_old;							\
})
#define kipc_xchg(p, v)			__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define kipc_mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* __KERNEL__ */

#endif /* _KIPC_ATOMIC_H */
