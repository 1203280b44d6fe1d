// SPDX-License-Identifier: GPL-2.0-only
/*
 * Object-descriptor ioctls: INFO, MAP_ID, WAIT, WAKE, WATCH (and what a
 * watch descriptor refuses), the channel and pipe commands, commands an
 * object does not have, dup and close.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* Does an object of @type serve @cmd? */
static int obj_cmd(__u32 type, unsigned long cmd)
{
	switch (cmd) {
	case KIPC_OBJ_IOC_INFO: case KIPC_OBJ_IOC_MAP_ID: case KIPC_OBJ_IOC_WAIT:
	case KIPC_OBJ_IOC_WAKE: case KIPC_OBJ_IOC_WATCH: case KIPC_OBJ_IOC_STAT:
		return 1;
	case KIPC_CHANNEL_IOC_WAIT: case KIPC_CHANNEL_IOC_WAKE: case KIPC_CHANNEL_IOC_STATS:
	case KIPC_CHANNEL_IOC_PUT_LARGE: case KIPC_CHANNEL_IOC_GET_LARGE:
		return fz_is_ring(type);
	case KIPC_PIPE_IOC_END:
		return type == KIPC_TYPE_PIPE;
	default:
		return 0;
	}
}

/* An offset inside (4-aligned) object @o, or one EINVAL must reject. */
static __u64 word_off(struct fz_ctx *c, struct fz_obj *o, int *bad)
{
	switch (fz_below(c, 10)) {
	case 0: *bad = 1; return o->size + 4 * fz_below(c, 1024);
	case 1: *bad = 1; return 4 * fz_below(c, o->size / 4) + 1 + fz_below(c, 3);
	case 2: *bad = 1; return ~0ULL - 3 - 4 * fz_below(c, 4);
	case 3: *bad = 1; return o->size - 4 + 1 + fz_below(c, 3);
	case 4: return fz_is_sync(o->type) ? KIPC_SYNC_OFF_WORD : KIPC_CHANNEL_OFF_PUT_SEQ;
	case 5: return o->size - 4;
	default: return 4 * fz_below(c, o->size / 4);
	}
}

static __u64 waiters_off(struct fz_ctx *c, struct fz_obj *o, int *bad)
{
	if (fz_chance(c, 30))
		return KIPC_WAITERS_NONE;
	if (fz_chance(c, 40) && fz_is_sync(o->type))
		return KIPC_SYNC_OFF_WAITERS;
	return word_off(c, o, bad);
}

static void op_info(struct fz_ctx *c, struct fz_obj *o)
{
	struct kipc_info info;
	int bad = 1;
	long ret;

	memset(&info, 0, sizeof(info));
	switch (fz_below(c, 5)) {
	case 0: info.flags = 1U << fz_below(c, 32); break;
	case 1: info.reserved[fz_below(c, 6)] = fz_rand(c) | 1; break;
	case 2:
		ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_INFO, fz_badptr(c, sizeof(info))));
		fz_expect_err(c, "INFO with a bad pointer", ret, EFAULT);
		return;
	default:
		bad = 0;
		fz_fill(c, &info.params, sizeof(info.params));	/* out only */
		info.type = fz_rand(c);
		info.size = fz_rand(c);
		break;
	}
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_INFO, &info));
	if (bad) {
		fz_expect_err(c, "INFO with a bad field", ret, EINVAL);
	} else if (ret) {
		fz_violation(c, "INFO failed: %s", strerrorname_np((int)-ret));
	} else if (info.type != o->type || info.size != o->size || info.reserved[0] ||
		   info.reserved[5]) {
		fz_violation(c, "INFO changed: type %u size %llu (was %u %llu)",
			     info.type, (unsigned long long)info.size, o->type,
			     (unsigned long long)o->size);
	}
}

static void op_map_id(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];
	struct kipc_map_id m;
	int k = fz_below(c, FZ_MAX_MAPS), mine = 0;
	long ret;

	memset(&m, 0, sizeof(m));
	if (c->maps[k].addr && c->maps[k].obj == i) {
		m.addr = (__u64)(uintptr_t)c->maps[k].addr + fz_below(c, c->maps[k].len);
		mine = 1;
	} else {
		m.addr = fz_chance(c, 50) ? (__u64)(uintptr_t)c->scratch : fz_rand(c);
	}
	if (mine && fz_chance(c, 20)) {
		m.pad = fz_rand(c) | 1;
		ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_MAP_ID, &m));
		fz_expect_err(c, "MAP_ID with nonzero pad", ret, EINVAL);
		return;
	}
	if (fz_chance(c, 5)) {
		ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_MAP_ID, fz_badptr(c, sizeof(m))));
		fz_expect_err(c, "MAP_ID with a bad pointer", ret, EFAULT);
		return;
	}
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_MAP_ID, &m));
	if (!mine && m.addr == (__u64)(uintptr_t)c->scratch) {
		fz_expect_err(c, "MAP_ID of an address outside every mapping", ret, EINVAL);
	} else if (mine) {
		static const int errs[] = { ENOSPC, 0 };

		fz_expect_in(c, "MAP_ID of a mapping", ret, errs);
		if (!ret && (m.id < KIPC_ID_MIN || m.id > KIPC_ID_MAX))
			fz_violation(c, "MAP_ID returned id %u", m.id);
	}
}

static void op_wait(struct fz_ctx *c, struct fz_obj *o)
{
	struct kipc_wait w;
	int bad = 0, forever = fz_chance(c, 3);
	long ret;
	static const int errs[] = { EAGAIN, ETIMEDOUT, EINTR, 0 };

	memset(&w, 0, sizeof(w));
	w.offset = word_off(c, o, &bad);
	w.waiters_offset = waiters_off(c, o, &bad);
	w.expected = fz_chance(c, 50) ? 0 : fz_rand(c);
	w.flags = forever ? 0 : KIPC_WAIT_DEADLINE;
	if (!forever)
		w.deadline_ns = fz_now_ns() + fz_below(c, 10) * 1000000ULL;
	if (!forever && fz_chance(c, 10)) {
		w.deadline_ns = fz_chance(c, 50) ? 0 : 1ULL << 63;
		if (w.deadline_ns)
			forever = 1;
	}
	if (!bad && fz_chance(c, 15)) {
		bad = 1;
		switch (fz_below(c, 3)) {
		case 0:
			w.flags |= 2U << fz_below(c, 31);
			break;
		case 1:
			w.reserved[fz_below(c, 2)] = fz_rand(c) | 1;
			break;
		default:	/* a deadline without its flag */
			w.flags = 0;
			w.deadline_ns = fz_rand(c) | 1;
			forever = 1;
			break;
		}
	}
	if (forever)
		fz_interrupt_in(5 + fz_below(c, 20));
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_WAIT, &w));
	if (forever)
		fz_interrupt_in(0);
	if (bad)
		fz_expect_err(c, "WAIT with a bad argument", ret, EINVAL);
	else
		fz_expect_in(c, "WAIT", ret, errs);
}

static void op_wake(struct fz_ctx *c, struct fz_obj *o)
{
	struct kipc_wake w;
	int bad = 0;
	long ret;

	memset(&w, 0, sizeof(w));
	w.offset = word_off(c, o, &bad);
	w.waiters_offset = waiters_off(c, o, &bad);
	w.count = fz_chance(c, 50) ? 1 + fz_below(c, 4) : fz_interesting(c, ~0U);
	if (!w.count)
		bad = 1;
	if (!bad && fz_chance(c, 15)) {
		bad = 1;
		if (fz_chance(c, 50))
			w.flags = 1U << fz_below(c, 32);
		else
			w.reserved[fz_below(c, 2)] = fz_rand(c) | 1;
	}
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_WAKE, &w));
	if (bad)
		fz_expect_err(c, "WAKE with a bad argument", ret, EINVAL);
	else if (ret < 0)
		fz_violation(c, "valid WAKE: %s", strerrorname_np((int)-ret));
}

/* A watch descriptor: what it refuses, then a bounded poll of it. */
static void use_watch(struct fz_ctx *c, int wfd)
{
	char buf[16];
	struct pollfd pfd = { .fd = wfd, .events = POLLIN };
	long ret;

	switch (fz_below(c, 5)) {
	case 0:
		ret = fz_sys(read(wfd, buf, sizeof(buf)));
		fz_expect_err(c, "read of a watch", ret, EINVAL);
		break;
	case 1:
		ret = fz_sys(write(wfd, buf, sizeof(buf)));
		fz_expect_err(c, "write of a watch", ret, EBADF);
		break;
	case 2: {
		void *p = mmap(NULL, FZ_PAGE, PROT_READ, MAP_SHARED, wfd, 0);

		if (p != MAP_FAILED) {
			munmap(p, FZ_PAGE);
			fz_violation(c, "mmap of a watch succeeded");
		} else {
			fz_expect_err(c, "mmap of a watch", -errno, ENODEV);
		}
		break;
	}
	case 3:
		ret = fz_sys(ioctl(wfd, _IOC(fz_below(c, 4), fz_chance(c, 80) ? 'k' : fz_below(c, 256),
					     fz_below(c, 256), fz_below(c, 256)), c->scratch));
		fz_expect_err(c, "ioctl on a watch", ret, ENOTTY);
		break;
	default:
		ret = fz_sys(poll(&pfd, 1, fz_below(c, 5)));
		if (ret < 0 && ret != -EINTR)
			fz_violation(c, "poll of a watch: %s", strerrorname_np((int)-ret));
		break;
	}
}

static void op_watch(struct fz_ctx *c, int i)
{
	struct fz_obj *o = &c->objs[i];
	struct kipc_watch w;
	int bad = 0;
	long ret;
	static const int errs[] = { EMFILE, ENOMEM, 0 };

	memset(&w, 0, sizeof(w));
	w.offset = word_off(c, o, &bad);
	w.waiters_offset = waiters_off(c, o, &bad);
	w.expected = fz_chance(c, 50) ? 0 : fz_rand(c);
	w.fd_flags = fz_chance(c, 50) ? KIPC_FD_INHERIT : 0;
	if (!bad && fz_chance(c, 15)) {
		bad = 1;
		if (fz_chance(c, 50))
			w.fd_flags |= 2U << fz_below(c, 31);
		else
			w.reserved[fz_below(c, 2)] = fz_rand(c) | 1;
	}
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_WATCH, &w));
	if (bad) {
		fz_expect_err(c, "WATCH with a bad argument", ret, EINVAL);
	} else {
		fz_expect_in(c, "WATCH", ret, errs);
	}
	if (ret < 0)
		return;
	use_watch(c, ret);
	/* some watches stay open until exit (or a SIGKILL) */
	if (fz_chance(c, 80))
		close(ret);
}

static void op_unknown(struct fz_ctx *c, struct fz_obj *o)
{
	unsigned long cmd;
	long ret;

	cmd = _IOC(fz_below(c, 4), KIPC_IOC_MAGIC, fz_chance(c, 70) ? 0x80 + fz_below(c, 0x40) :
		   fz_below(c, 256), fz_chance(c, 50) ? fz_below(c, 160) : fz_below(c, 1U << 14));
	if (fz_chance(c, 20)) {	/* a real command of another object type */
		static const unsigned long cmds[] = {
			KIPC_CHANNEL_IOC_WAIT, KIPC_CHANNEL_IOC_WAKE, KIPC_CHANNEL_IOC_STATS,
			KIPC_CHANNEL_IOC_PUT_LARGE, KIPC_CHANNEL_IOC_GET_LARGE, KIPC_PIPE_IOC_END,
			KIPC_IOC_API, KIPC_IOC_CREATE, KIPC_IOC_PIPE, KIPC_IOC_WAIT_ANY,
			KIPC_IOC_LIST, KIPC_IOC_STAT, KIPC_IOC_HOLDERS, KIPC_IOC_USAGE,
		};
		cmd = cmds[fz_below(c, sizeof(cmds) / sizeof(cmds[0]))];
	}
	if (obj_cmd(o->type, cmd))
		return;
	fz_fill(c, c->scratch, 256);
	ret = fz_sys(ioctl(o->fd, cmd, fz_chance(c, 80) ? c->scratch : fz_badptr(c, 8)));
	fz_expect_err(c, "a command the object does not have", ret, ENOTTY);
}

void fz_op_obj_ioctl(struct fz_ctx *c)
{
	int i = fz_obj_pick(c, 0), fd;

	if (i < 0) {
		fz_op_create(c);
		return;
	}
	switch (fz_below(c, 10)) {
	case 0: op_info(c, &c->objs[i]); break;
	case 1: op_map_id(c, i); break;
	case 2: case 3: op_wait(c, &c->objs[i]); break;
	case 4: op_wake(c, &c->objs[i]); break;
	case 5: op_watch(c, i); break;
	case 6: op_unknown(c, &c->objs[i]); break;
	case 7: /* dup: the same file twice in the table */
		fd = dup(c->objs[i].fd);
		if (fd >= 0)
			fz_obj_add(c, fd, c->objs[i].type, c->objs[i].end);
		break;
	default:
		if (fz_chance(c, 40))
			fz_obj_drop(c, i);
		else
			op_info(c, &c->objs[i]);
		break;
	}
}

/* Channel and pipe commands. */
void fz_op_chan_ioctl(struct fz_ctx *c)
{
	int i = fz_obj_pick(c, fz_chance(c, 50) ? KIPC_TYPE_CHANNEL : KIPC_TYPE_PIPE);
	struct fz_obj *o;
	long ret;
	int bad = 0;

	if (i < 0)
		return;
	o = &c->objs[i];
	switch (fz_below(c, 6)) {
	case 0: {
		struct kipc_channel_wait w = {
			.op = fz_below(c, 2), .seq = fz_chance(c, 50) ? 0 : fz_rand(c),
			.flags = KIPC_WAIT_DEADLINE,
			.deadline_ns = fz_now_ns() + fz_below(c, 10) * 1000000ULL,
		};
		static const int errs[] = { EAGAIN, ETIMEDOUT, EINTR, ENODATA, EPIPE, EBADF, 0 };

		switch (fz_below(c, 8)) {
		case 0: w.op = 2 + fz_below(c, 1000); bad = 1; break;
		case 1: w.flags |= 2U << fz_below(c, 31); bad = 1; break;
		case 2: w.pad = fz_rand(c) | 1; bad = 1; break;
		case 3: w.reserved[fz_below(c, 2)] = fz_rand(c) | 1; bad = 1; break;
		case 4: w.flags = 0; bad = 1; break;	/* a deadline without its flag */
		default: break;
		}
		ret = fz_sys(ioctl(o->fd, KIPC_CHANNEL_IOC_WAIT, &w));
		if (bad)
			fz_expect_err(c, "CHANNEL_WAIT with a bad field", ret, EINVAL);
		else
			fz_expect_in(c, "CHANNEL_WAIT", ret, errs);
		break;
	}
	case 1: {
		struct kipc_channel_wake w = { .ops = 1 + fz_below(c, 3) };

		switch (fz_below(c, 6)) {
		case 0: w.ops = fz_chance(c, 50) ? 0 : 4U << fz_below(c, 30); bad = 1; break;
		case 1: w.flags = 1U << fz_below(c, 32); bad = 1; break;
		case 2: w.reserved[fz_below(c, 2)] = fz_rand(c) | 1; bad = 1; break;
		default: break;
		}
		ret = fz_sys(ioctl(o->fd, KIPC_CHANNEL_IOC_WAKE, &w));
		if (bad)
			fz_expect_err(c, "CHANNEL_WAKE with a bad field", ret, EINVAL);
		else if (ret < 0)
			fz_violation(c, "valid CHANNEL_WAKE: %s", strerrorname_np((int)-ret));
		break;
	}
	case 2: {
		struct kipc_channel_stats st;

		memset(&st, 0, sizeof(st));
		if (fz_chance(c, 30)) {
			((__u64 *)&st)[fz_below(c, sizeof(st) / 8)] = fz_rand(c) | 1;
			bad = 1;
		}
		ret = fz_sys(ioctl(o->fd, KIPC_CHANNEL_IOC_STATS, fz_chance(c, 5) ?
				   fz_badptr(c, sizeof(st)) : &st));
		if (bad)
			fz_expect_in(c, "STATS with nonzero input", ret, (const int[]){ EINVAL, EFAULT, 0 });
		if (bad && ret >= 0)
			fz_violation(c, "STATS with nonzero input succeeded");
		break;
	}
	case 3: case 4: {
		int put = fz_chance(c, 50);
		size_t cap = 2 * FZ_PAGE;
		struct kipc_channel_large l = {
			.data = (__u64)(uintptr_t)c->scratch,
			.len = fz_below(c, fz_msg_max(c, i) + 1),
			.flags = fz_chance(c, 50) ? KIPC_CHANNEL_LARGE_NOWAIT : KIPC_WAIT_DEADLINE,
			.deadline_ns = fz_now_ns() + fz_below(c, 10) * 1000000ULL,
		};
		static const int errs[] = { EAGAIN, ETIMEDOUT, EINTR, EMSGSIZE, EFAULT, EDQUOT,
					    ENOSPC, ENOMEM, EIO, EBADMSG, ENODATA, EPIPE, EBADF, 0 };
		int want = 0;

		if (put && (c->skip & FZ_SKIP_LARGE))
			break;
		if (c->skip & FZ_SKIP_RW_BLOCK)	/* kget/kput's loop */
			l.flags = KIPC_CHANNEL_LARGE_NOWAIT;
		if (l.len > cap)
			l.len = cap;
		if (!(l.flags & KIPC_WAIT_DEADLINE))
			l.deadline_ns = 0;
		switch (fz_below(c, 10)) {
		case 0: l.flags |= 4U << fz_below(c, 30); want = EINVAL; break;
		case 1: l.pad = fz_rand(c) | 1; want = EINVAL; break;
		case 2: l.reserved[fz_below(c, 2)] = fz_rand(c) | 1; want = EINVAL; break;
		case 3:
			if (put && o->ch.max_msg < cap) {
				l.len = o->ch.max_msg + 1 + fz_below(c, cap - o->ch.max_msg);
				want = EMSGSIZE;
			}
			break;
		case 4:
			l.data = (__u64)(uintptr_t)fz_badptr2(c, l.len, 1);
			if (put && l.len > o->ch.slot_size && o->ch.max_msg >= l.len)
				want = EFAULT;
			break;
		case 5:	/* a deadline without its flag */
			l.flags &= ~KIPC_WAIT_DEADLINE;
			l.deadline_ns = 1 + fz_below(c, 1000);
			want = EINVAL;
			break;
		default: break;
		}
		/* EBADF for a one-way end's missing direction may come first */
		if (want == EFAULT && o->end >= 0 && !(o->pipe_flags & KIPC_PIPE_DUPLEX))
			want = 0;
		ret = fz_sys(ioctl(o->fd, put ? KIPC_CHANNEL_IOC_PUT_LARGE : KIPC_CHANNEL_IOC_GET_LARGE,
				   &l));
		if (want == EINVAL)
			fz_expect_err(c, put ? "PUT_LARGE, a bad field" : "GET_LARGE, a bad field",
				      ret, want);
		else if (want && o->end < 0)
			fz_expect_err(c, "PUT_LARGE", ret, want);
		else
			fz_expect_in(c, put ? "PUT_LARGE" : "GET_LARGE", ret, errs);
		if (!put && ret > (long)cap)
			fz_violation(c, "GET_LARGE returned %ld into %zu bytes", ret, cap);
		break;
	}
	default: {
		struct kipc_pipe_end e;

		memset(&e, 0, sizeof(e));
		if (fz_chance(c, 20)) {
			if (fz_chance(c, 50))
				e.flags = 1U << fz_below(c, 32);
			else
				e.reserved[fz_below(c, 2)] = fz_rand(c) | 1;
			bad = 1;
		}
		ret = fz_sys(ioctl(o->fd, KIPC_PIPE_IOC_END, &e));
		if (o->type != KIPC_TYPE_PIPE)
			fz_expect_err(c, "PIPE_END on a channel", ret, ENOTTY);
		else if (bad)
			fz_expect_err(c, "PIPE_END with a bad field", ret, EINVAL);
		else if (ret)
			fz_violation(c, "PIPE_END: %s", strerrorname_np((int)-ret));
		else if (e.end != (__u32)o->end && o->end >= 0)
			fz_violation(c, "PIPE_END says end %u, created as end %d", e.end, o->end);
		break;
	}
	}
}
