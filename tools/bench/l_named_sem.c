// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lock "posix-named-semaphore": sem_open() with an initial value of 1, used
 * as a binary semaphore. Children inherit the mapping of /dev/shm/sem.NAME.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"
#include "lock.h"

struct named_sem {
	sem_t *sem;
	char name[64];
};

static int ns_init(void *mem)
{
	static unsigned int seq;
	struct named_sem *s = mem;

	snprintf(s->name, sizeof(s->name), "/kipc-bench-%d-%u", (int)getpid(), seq++);
	s->sem = sem_open(s->name, O_CREAT | O_EXCL, 0600, 1);
	return s->sem == SEM_FAILED ? -errno : 0;
}

static void ns_lock(void *mem)
{
	struct named_sem *s = mem;

	while (sem_wait(s->sem)) {
		if (errno != EINTR)
			die("sem_wait");
	}
}

static void ns_unlock(void *mem)
{
	struct named_sem *s = mem;

	sem_post(s->sem);
}

static void ns_destroy(void *mem)
{
	struct named_sem *s = mem;

	sem_close(s->sem);
	sem_unlink(s->name);
}

const struct lock_impl l_named_sem = {
	.name = "posix-named-semaphore",
	.size = sizeof(struct named_sem),
	.init = ns_init,
	.lock = ns_lock,
	.unlock = ns_unlock,
	.destroy = ns_destroy,
};
