// SPDX-License-Identifier: GPL-2.0-only
/*
 * Processes: fork (children that run ops and exit or kill themselves), exec
 * (with inherited and close-on-exec descriptors and io_uring commands still
 * pending), set-user-ID children (permission contracts), new IPC
 * namespaces (name scoping), and SCM_RIGHTS passing through the round's
 * mailbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include <libipc-uring.h>

#include "fuzz.h"

/* Waits for @pid at most @ms; kills it after. Returns its status or -1. */
static int reap_bounded(pid_t pid, unsigned int ms)
{
	int st, i;

	for (i = 0; i < (int)ms; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	/* the main process is the subreaper: it will judge a child that stays */
	return waitpid(pid, &st, WNOHANG) == pid ? st : -1;
}

static int raw_name(struct fz_ctx *c, unsigned long cmd, const char *name, __u32 type,
		    __u32 mode)
{
	union {
		struct kipc_create cr;
		struct kipc_open op;
		struct kipc_unlink un;
	} a;

	memset(&a, 0, sizeof(a));
	if (cmd == KIPC_IOC_CREATE) {
		fz_valid_create(c, &a.cr, type);
		a.cr.fd_flags = 0;
		a.cr.name = (__u64)(uintptr_t)name;
		a.cr.name_len = strlen(name);
		a.cr.mode = mode;
		a.cr.flags = KIPC_CREATE_EXCL;
	} else if (cmd == KIPC_IOC_OPEN) {
		a.op.type = type;
		a.op.name = (__u64)(uintptr_t)name;
		a.op.name_len = strlen(name);
	} else {
		a.un.name = (__u64)(uintptr_t)name;
		a.un.name_len = strlen(name);
	}
	return fz_sys(ioctl(c->dev, cmd, &a));
}

/* A set-user-ID child may not open or unlink root's 0600 name. */
static void setuid_child(struct fz_ctx *c)
{
	char name[64];
	pid_t pid;
	int fd, st;

	if (c->unpriv)
		return;	/* already nobody (a child of a set-user-ID child) */
	snprintf(name, sizeof(name), "fz-priv-%llu-%d-%d", (unsigned long long)c->seed,
		 c->round, c->worker);
	fd = raw_name(c, KIPC_IOC_CREATE, name, KIPC_TYPE_SHM, 0600);
	if (fd < 0)
		return;	/* a previous incarnation's, or a lost race */
	pid = fork();
	if (pid == 0) {
		int ret;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		c->unpriv = 1;
		c->opname = "setuid-child";
		fz_signals_init(c);
		ret = raw_name(c, KIPC_IOC_OPEN, name, KIPC_TYPE_SHM, 0);
		fz_expect_err(c, "OPEN of root's 0600 name by nobody", ret, EACCES);
		ret = raw_name(c, KIPC_IOC_UNLINK, name, 0, 0);
		fz_expect_err(c, "UNLINK of root's name by nobody", ret, EACCES);
		/* inherited descriptors still work: permissions are checked at open */
		ret = fz_sys(ioctl(fd, KIPC_OBJ_IOC_INFO, &(struct kipc_info){ 0 }));
		if (ret)
			fz_violation(c, "INFO of an inherited fd as nobody: %s",
				     strerrorname_np((int)-ret));
		fz_run_ops(c, fz_now_ns() + 50000000ULL, 30);
		_exit(0);
	}
	if (pid > 0) {
		st = reap_bounded(pid, 3000);
		if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
			fz_violation(c, "setuid child could not drop privileges");
	}
	raw_name(c, KIPC_IOC_UNLINK, name, 0, 0);
	close(fd);
}

/* A new namespace's LIST reports its one object, @name, and nothing else. */
static void ns_list_only(struct fz_ctx *c, const char *name)
{
	static struct kipc_stat st[2];
	struct kipc_list arg = {
		.version = KIPC_STAT_VERSION, .stats = (__u64)(uintptr_t)st, .count = 2,
	};
	long ret;

	ret = fz_sys(ioctl(c->dev, KIPC_IOC_LIST, &arg));
	if (ret)
		fz_violation(c, "LIST in a new namespace: %s", strerrorname_np((int)-ret));
	else if (arg.count != 1 || arg.hidden || arg.next_id || strcmp(st[0].name, name))
		fz_violation(c, "LIST in a new namespace: %u entries, %u hidden, next %llu",
			     arg.count, arg.hidden, (unsigned long long)arg.next_id);
}

/* In a new IPC namespace no name of ours exists; its own are its own. */
static void netns_child(struct fz_ctx *c)
{
	pid_t pid;

	if (c->unpriv || c->deadline_ns - fz_now_ns() < 1000000000ULL)
		return;
	pid = fork();
	if (pid == 0) {
		char name[64];
		int k, ret, fd;

		setpgid(0, 0);	/* out of the worker's group: no random SIGKILL */
		c->opname = "ipcns-child";
		if (unshare(CLONE_NEWIPC)) {
			fz_violation(c, "unshare(CLONE_NEWIPC): %s", strerrorname_np(errno));
			_exit(1);
		}
		for (k = 0; k < FZ_NAMES; k++) {
			struct kipc_open o = {
				.type = KIPC_TYPE_SHM, .name = (__u64)(uintptr_t)c->names[k],
				.name_len = c->name_len[k],
			};

			ret = fz_sys(ioctl(c->dev, KIPC_IOC_OPEN, &o));
			fz_expect_err(c, "OPEN of the parent namespace's name", ret, ENOENT);
			if (ret >= 0)
				close(ret);
		}
		snprintf(name, sizeof(name), "fz-ns-%d", getpid());
		fd = raw_name(c, KIPC_IOC_CREATE, name, KIPC_TYPE_EVENT, 0600);
		if (fd < 0) {
			fz_violation(c, "CREATE in a new namespace: %s", strerrorname_np(-fd));
			_exit(1);
		}
		ns_list_only(c, name);
		ret = raw_name(c, KIPC_IOC_OPEN, name, KIPC_TYPE_EVENT, 0);
		if (ret < 0)
			fz_violation(c, "OPEN in a new namespace: %s", strerrorname_np(-ret));
		else
			close(ret);
		ret = raw_name(c, KIPC_IOC_UNLINK, name, 0, 0);
		if (ret)
			fz_violation(c, "UNLINK in a new namespace: %s", strerrorname_np(-ret));
		ret = raw_name(c, KIPC_IOC_OPEN, name, KIPC_TYPE_EVENT, 0);
		fz_expect_err(c, "OPEN after UNLINK", ret, ENOENT);
		_exit(0);
	}
	if (pid > 0)
		reap_bounded(pid, 3000);
}

/* Leaves io_uring commands pending in the driver (the exec must cancel them). */
static void pending_cmds(struct fz_ctx *c, struct io_uring *ring)
{
	int i, k;

	if (io_uring_queue_init(8, ring, 0))
		return;
	for (k = 0; k < 4; k++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		i = fz_obj_pick(c, fz_chance(c, 50) ? KIPC_TYPE_EVENT : KIPC_TYPE_SEMAPHORE);
		if (!sqe || i < 0)
			break;
		if (c->objs[i].type == KIPC_TYPE_EVENT)
			kipc_prep_event_wait(sqe, c->objs[i].fd, KIPC_URING_NO_DEADLINE);
		else
			kipc_prep_sem_acquire(sqe, c->objs[i].fd, KIPC_URING_NO_DEADLINE);
	}
	io_uring_submit(ring);
}

static void exec_child(struct fz_ctx *c)
{
	char *argv[FZ_MAX_OBJS + 4], args[FZ_MAX_OBJS][32];
	int n = 0, i, st;
	pid_t pid;

	pid = fork();
	if (pid)
		goto parent;
	argv[n++] = "kipc-fuzz";
	argv[n++] = "--exec-child";
	for (i = 0; i < FZ_MAX_OBJS; i++) {
		int fl;

		if (!c->objs[i].type)
			continue;
		fl = fcntl(c->objs[i].fd, F_GETFD);
		if (fl < 0)
			continue;
		snprintf(args[i], sizeof(args[i]), "%d:%u:%d", c->objs[i].fd,
			 c->objs[i].type, !!(fl & FD_CLOEXEC));
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	if (fz_chance(c, 60)) {
		struct io_uring ring;

		pending_cmds(c, &ring);
	}
	execv("/proc/self/exe", argv);
	_exit(2);
parent:
	if (pid < 0)
		return;
	st = reap_bounded(pid, 5000);
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1)
		fz_violation(c, "the exec'd child found a broken contract (its stderr says)");
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
		fz_violation(c, "exec of /proc/self/exe failed");
}

/* After exec: inherited descriptors work, close-on-exec ones are gone. */
int fz_exec_child(int argc, char **argv)
{
	int bad = 0, i;

	for (i = 0; i < argc; i++) {
		struct kipc_info info = { 0 };
		int fd, cloexec;
		unsigned int type;

		if (sscanf(argv[i], "%d:%u:%d", &fd, &type, &cloexec) != 3)
			continue;
		if (cloexec) {
			if (fcntl(fd, F_GETFD) >= 0 && !ioctl(fd, KIPC_OBJ_IOC_INFO, &info) &&
			    info.type == type) {
				fprintf(stderr, "kipc-fuzz: VIOLATION exec-child: close-on-exec fd %d survived exec\n", fd);
				bad = 1;
			}
			continue;
		}
		if (ioctl(fd, KIPC_OBJ_IOC_INFO, &info) || info.type != type) {
			fprintf(stderr, "kipc-fuzz: VIOLATION exec-child: inherited fd %d (type %u): INFO %s, type %u\n",
				fd, type, strerrorname_np(errno), info.type);
			bad = 1;
		}
	}
	return bad;
}

static void fork_child(struct fz_ctx *c)
{
	pid_t pid = fork();

	if (pid == 0) {
		fz_seed(c, fz_rand(c), getpid());
		c->opname = "fork-child";
		fz_signals_init(c);
		fz_run_ops(c, fz_now_ns() + (1 + fz_below(c, 100)) * 1000000ULL, 50);
		if (fz_chance(c, 40))
			raise(SIGKILL);	/* die with whatever is half done */
		_exit(0);
	}
	if (pid > 0 && fz_chance(c, 50))
		reap_bounded(pid, 3000);
	/* else: left running; the worker's exit or the main process reaps it */
}

void fz_op_fork(struct fz_ctx *c)
{
	switch (fz_below(c, 8)) {
	case 0: exec_child(c); break;
	case 1: setuid_child(c); break;
	case 2: netns_child(c); break;
	default: fork_child(c); break;
	}
}

struct scm_msg {
	__u32 type;
	__s32 end;
};

void fz_op_scm(struct fz_ctx *c)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct scm_msg m;
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int i, fd;

	memset(cbuf, 0, sizeof(cbuf));
	if (fz_chance(c, 50)) {
		i = fz_obj_pick(c, 0);
		if (i < 0)
			return;
		m.type = c->objs[i].type;
		m.end = c->objs[i].end;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c->objs[i].fd, sizeof(int));
		sendmsg(c->mbox[0], &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	if (recvmsg(c->mbox[1], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != sizeof(m))
		return;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	fz_obj_add(c, fd, m.type, m.end);
}
