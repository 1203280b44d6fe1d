// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lock "kipc-lock": an anonymous kipc Lock (multiprocessing.Lock's
 * counterpart; kipc_lock_acquire/release through libipc). The shared
 * memory holds only the process-local handle, created before fork() and
 * inherited by the children (libipc re-queries the owner id after fork);
 * the lock word itself lives in the object's own mapping.
 */
#include <errno.h>

#include <libipc.h>

#include "bench.h"
#include "lock.h"

struct kl {
	struct kipc_sync *lock;
};

static int kl_init(void *mem)
{
	struct kl *k = mem;
	int err = kipc_lock_create(&k->lock, NULL, 0, 0);

	return err < 0 ? err : 0;
}

static void kl_lock(void *mem)
{
	struct kl *k = mem;
	int err;

	do
		err = kipc_lock_acquire(k->lock, KIPC_NO_DEADLINE);
	while (err == -EINTR);
	if (err == -EOWNERDEAD)
		err = kipc_lock_consistent(k->lock);
	if (err < 0) {
		errno = -err;
		die("kipc_lock_acquire");
	}
}

static void kl_unlock(void *mem)
{
	struct kl *k = mem;
	int err = kipc_lock_release(k->lock);

	if (err < 0) {
		errno = -err;
		die("kipc_lock_release");
	}
}

static void kl_destroy(void *mem)
{
	struct kl *k = mem;

	kipc_sync_close(k->lock);
	k->lock = NULL;
}

const struct lock_impl l_kipc_lock = {
	.name = "kipc-lock",
	.size = sizeof(struct kl),
	.init = kl_init,
	.lock = kl_lock,
	.unlock = kl_unlock,
	.destroy = kl_destroy,
};
