/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A child in a new user namespace, for the driver's selftests.
 *
 * The VM runs the tests chrooted, and the kernel refuses a user namespace
 * to a chrooted process (EPERM), so the child leaves the chroot while it
 * is still root and goes back into the same root from the new namespace.
 */
#ifndef KIPC_USERNS_TEST_H
#define KIPC_USERNS_TEST_H

#include <grp.h>
#include <sched.h>

#include "kipc_test.h"

/* Make the namespace's root directory ours; 0 or -1. */
static inline int kt_unchroot(void)
{
	char dir[] = "/tmp/kt-unchroot-XXXXXX";
	int i;

	if (!mkdtemp(dir) || chdir("/"))
		return -1;
	if (chroot(dir)) {
		rmdir(dir);
		return -1;
	}
	/* The old root is our cwd, outside the new root: walk up from it. */
	if (rmdir(dir + 1))
		return -1;
	for (i = 0; i < 64; i++)
		if (chdir(".."))
			return -1;
	return chroot(".");
}

/*
 * Runs @fn(@arg) as uid 0 of a new user namespace created by uid/gid
 * @owner, whose uid and gid maps we (root outside) write as @map, e.g.
 * "0 100000 65536" (what subordinate ids allow) or "0 1000 1". Returns
 * fn's result as the child's exit code, 128 + a signal, or 200.. when the
 * namespace could not be set up.
 */
static inline int kt_in_userns(uid_t owner, const char *map,
			       int (*fn)(void *), void *arg)
{
	int ready[2], go[2], root, ok = 0;
	char path[64], c = 0;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0 || kt_unchroot())
			_exit(200);
		if (setgroups(0, NULL) || setresgid(owner, owner, owner) ||
		    setresuid(owner, owner, owner))
			_exit(201);
		if (unshare(CLONE_NEWUSER))
			_exit(202);
		if (fchdir(root) || chroot("."))
			_exit(203);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1 ||
		    c != 'g')
			_exit(204);
		if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
			_exit(205);
		_exit(fn(arg));
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		ok = !kt_write_str(path, map);
		snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
		ok = ok && !kt_write_str(path, map);
	}
	/* The child may be gone already: no SIGPIPE for us. */
	signal(SIGPIPE, SIG_IGN);
	if (write(go[1], ok ? "g" : "x", 1) != 1)
		ok = 0;
	signal(SIGPIPE, SIG_DFL);
	close(ready[0]);
	close(go[1]);
	return kt_reap(pid);
}

#endif /* KIPC_USERNS_TEST_H */
