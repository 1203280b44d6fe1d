/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc-fuzz: a seeded, multi-process fuzzer of the whole kipc ABI.
 * Documentation/testing.rst ("The fuzzer") describes what it does and checks.
 */
#ifndef KIPC_FUZZ_H
#define KIPC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kipc.h>

#include <libipc.h>

#define FZ_MAX_OBJS	48
#define FZ_MAX_MAPS	48
#define FZ_NAMES	8	/* names of a round: created, opened, unlinked */
#define FZ_NAME_BUF	(KIPC_NAME_MAX + 8)
#define FZ_SYSFS	"/sys/class/misc/kipc/"

/* Areas of operations --skip leaves out, to narrow a violation down. */
/* blocking gets and puts through the kernel: read, write, GET/PUT_LARGE */
#define FZ_SKIP_RW_BLOCK	(1U << 0)
#define FZ_SKIP_SQPOLL		(1U << 1)	/* SQPOLL io_uring rings */
#define FZ_SKIP_LARGE		(1U << 2)	/* messages larger than a slot */

/* One object descriptor a process holds. */
struct fz_obj {
	int fd;
	__u32 type;		/* KIPC_TYPE_*, 0 for a free entry */
	int end;		/* pipe end 0/1, else -1 */
	__u32 pipe_flags;
	__u64 size;		/* KIPC_OBJ_IOC_INFO's size */
	struct kipc_channel_params ch;	/* channels and pipes */
	struct kipc_sync_params sp;	/* sync objects */
	struct kipc_sync *sync;		/* libipc handle, lazily */
	struct kipc_channel *chan;	/* libipc handle, lazily */
};

/* One mapping the fuzzer made itself (libipc's are its own). */
struct fz_map {
	char *addr;
	size_t len;
	int prot;
	int obj;		/* index in objs, -1 once the object is gone */
};

/* State shared by every process of a run (MAP_SHARED | MAP_ANONYMOUS). */
struct fz_shared {
	__u64 ops;
	__u64 violations;
	int stop;		/* the round is over: workers exit */
};

/* Per-process state. */
struct fz_ctx {
	__u64 seed;
	__u64 rng;
	int round;
	int worker;		/* -1 in the parent */
	unsigned int skip;
	int trace;
	int unpriv;		/* a setuid child: fewer name contracts */
	__u64 deadline_ns;	/* the round's end */
	__u64 opno;		/* ops of this process */
	const char *opname;	/* the op running, for reports */
	struct fz_shared *sh;
	int dev;		/* a raw /dev/kipc descriptor */
	int mbox[2];		/* SCM_RIGHTS mailbox shared by the round */
	char *scratch;		/* 2 rw pages then a PROT_NONE page */
	char names[FZ_NAMES][FZ_NAME_BUF];
	__u32 name_len[FZ_NAMES];
	struct fz_obj objs[FZ_MAX_OBJS];
	struct fz_map maps[FZ_MAX_MAPS];
};

#define FZ_PAGE		4096UL

/* rng.c: the seeded generator and the values it draws. */
void fz_seed(struct fz_ctx *c, __u64 seed, __u64 stream);
__u64 fz_rand(struct fz_ctx *c);
__u32 fz_below(struct fz_ctx *c, __u32 n);
int fz_chance(struct fz_ctx *c, unsigned int percent);
__u64 fz_interesting(struct fz_ctx *c, __u64 max);
void fz_fill(struct fz_ctx *c, void *buf, size_t len);
void *fz_badptr(struct fz_ctx *c, size_t len);
void *fz_badptr2(struct fz_ctx *c, size_t len, int straddle);
void fz_make_names(struct fz_ctx *c);
__u64 fz_now_ns(void);

/* report.c: violations and traces. */
void fz_violation(struct fz_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* @ret is >= 0 or -errno; a violation unless it is -@want. */
void fz_expect_err(struct fz_ctx *c, const char *what, long ret, int want);
/* A violation unless @ret is >= 0 or -errno for one errno of @allowed (0-terminated). */
void fz_expect_in(struct fz_ctx *c, const char *what, long ret, const int *allowed);
long fz_sys(long ret);	/* ret < 0 ? -errno : ret */
long fz_read_sysfs(const char *attr);
void fz_dump_task(pid_t pid);
/* Interrupt a possibly endless call in @ms with SIGUSR1 (0: cancel). */
void fz_interrupt_in(unsigned int ms);

/* objects.c: the object table. */
int fz_obj_add(struct fz_ctx *c, int fd, __u32 type, int end);
int fz_obj_pick(struct fz_ctx *c, __u32 type);	/* type 0: any; -1 if none */
int fz_obj_pick_fd(struct fz_ctx *c);		/* any fd, sometimes a bad one */
void fz_obj_drop(struct fz_ctx *c, int i);
void fz_obj_close_all(struct fz_ctx *c);
struct kipc_sync *fz_obj_sync(struct fz_ctx *c, int i);
struct kipc_channel *fz_obj_chan(struct fz_ctx *c, int i);
int fz_is_sync(__u32 type);
int fz_is_ring(__u32 type);
void fz_valid_create(struct fz_ctx *c, struct kipc_create *a, __u32 type);
void fz_valid_chparams(struct fz_ctx *c, struct kipc_channel_params *p);
size_t fz_msg_max(struct fz_ctx *c, int i);

/* The operations, one family per file. */
void fz_op_ctl(struct fz_ctx *c);	/* ctl.c: the control device */
void fz_op_create(struct fz_ctx *c);	/* ctl.c */
void fz_op_wait_any(struct fz_ctx *c);	/* ctl.c */
void fz_op_obj_ioctl(struct fz_ctx *c);	/* obj.c: object ioctls */
void fz_op_chan_ioctl(struct fz_ctx *c);	/* obj.c: channel/pipe ioctls */
void fz_op_rw(struct fz_ctx *c);	/* rw.c: read, write, poll, epoll */
void fz_op_poll(struct fz_ctx *c);	/* rw.c */
void fz_op_mmap(struct fz_ctx *c);	/* mem.c */
void fz_op_vma(struct fz_ctx *c);	/* mem.c: munmap, mremap, mprotect */
void fz_op_scribble(struct fz_ctx *c);	/* mem.c */
void fz_mem_forget_obj(struct fz_ctx *c, int i);
void fz_mem_unmap_all(struct fz_ctx *c);
void fz_op_honest(struct fz_ctx *c);	/* honest.c: libipc's protocols */
void fz_op_uring(struct fz_ctx *c);	/* uring.c */
void fz_op_fork(struct fz_ctx *c);	/* proc.c: fork, exec, setuid, netns */
void fz_op_scm(struct fz_ctx *c);	/* proc.c: SCM_RIGHTS */
void fz_op_observe(struct fz_ctx *c);	/* observe.c: LIST, STAT, HOLDERS, USAGE */
int fz_exec_child(int argc, char **argv);	/* proc.c: after exec */

/* worker.c */
void fz_worker_run(struct fz_ctx *c);
void fz_signals_init(struct fz_ctx *c);
extern unsigned int fz_op_timeout_s;
void fz_run_ops(struct fz_ctx *c, __u64 until_ns, unsigned int max_ops);

#endif /* KIPC_FUZZ_H */
