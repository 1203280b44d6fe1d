// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lock "pthread-robust-mutex": a PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST
 * mutex in shared memory (glibc: futex-based, no spinning).
 */
#include <errno.h>
#include <pthread.h>

#include "bench.h"
#include "lock.h"

static int rm_init(void *mem)
{
	pthread_mutexattr_t a;
	int err;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(mem, &a);
	pthread_mutexattr_destroy(&a);
	return -err;
}

static void rm_lock(void *mem)
{
	int err = pthread_mutex_lock(mem);

	if (err == EOWNERDEAD)
		err = pthread_mutex_consistent(mem);
	if (err) {
		errno = err;
		die("pthread_mutex_lock");
	}
}

static void rm_unlock(void *mem)
{
	pthread_mutex_unlock(mem);
}

static void rm_destroy(void *mem)
{
	pthread_mutex_destroy(mem);
}

const struct lock_impl l_robust_mutex = {
	.name = "pthread-robust-mutex",
	.size = sizeof(pthread_mutex_t),
	.init = rm_init,
	.lock = rm_lock,
	.unlock = rm_unlock,
	.destroy = rm_destroy,
};
