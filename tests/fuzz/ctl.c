// SPDX-License-Identifier: GPL-2.0-only
/*
 * Control-device operations: KIPC_IOC_API, CREATE, OPEN, UNLINK, PIPE,
 * WAIT_ANY and unknown commands. Each call starts from valid arguments and
 * mutates them: one mutation of a field the docs say is checked is a
 * contract (the exact errno); several mutations only must not break the
 * kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"

static const int create_errs[] = {
	EINVAL, ENAMETOOLONG, EEXIST, EACCES, EDQUOT, ENOMEM, EMFILE, EFAULT, 0
};

/* Is @cmd one of the control device's commands? */
static int dev_cmd(unsigned long cmd)
{
	return cmd == KIPC_IOC_API || cmd == KIPC_IOC_CREATE ||
	       cmd == KIPC_IOC_OPEN || cmd == KIPC_IOC_UNLINK ||
	       cmd == KIPC_IOC_WAIT_ANY || cmd == KIPC_IOC_PIPE ||
	       cmd == KIPC_IOC_LIST || cmd == KIPC_IOC_STAT ||
	       cmd == KIPC_IOC_HOLDERS || cmd == KIPC_IOC_USAGE;
}

/* A 'k' command that is not @fd's: another number, size or direction. */
static unsigned long unknown_cmd(struct fz_ctx *c)
{
	unsigned int dir = fz_below(c, 4), nr, size;

	nr = fz_chance(c, 70) ? 0x80 + fz_below(c, 0x40) : fz_below(c, 256);
	size = fz_chance(c, 50) ? fz_below(c, 160) : fz_below(c, 1U << 14);
	return _IOC(dir, KIPC_IOC_MAGIC, nr, size);
}

static void op_api(struct fz_ctx *c)
{
	struct kipc_api api;
	int mut = fz_below(c, 6);
	long ret;

	memset(&api, 0, sizeof(api));
	api.version = fz_chance(c, 80) ? KIPC_API_VERSION : fz_rand(c) | 1;
	switch (mut) {
	case 0: api.version = 0; break;
	case 1: api.flags = 1U << fz_below(c, 32); break;
	case 2: api.features = 1ULL << fz_below(c, 64); break;
	case 3: api.reserved[fz_below(c, 6)] = fz_rand(c) | 1; break;
	case 4:
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_API, fz_badptr(c, sizeof(api))));
		fz_expect_err(c, "API with a bad pointer", ret, EFAULT);
		return;
	default: break;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_API, &api));
	if (mut < 4) {
		fz_expect_err(c, "API with a bad field", ret, EINVAL);
		return;
	}
	if (ret)
		fz_violation(c, "valid API failed: %s", strerrorname_np((int)-ret));
	else if (api.version != KIPC_API_VERSION || api.reserved[0] || api.reserved[5])
		fz_violation(c, "API answer: version %u reserved %llx", api.version,
			     (unsigned long long)api.reserved[0]);
}

/* Mutation @m of valid @a; the errno a single one must give, 0 if unsure. */
static int mutate_create(struct fz_ctx *c, struct kipc_create *a, unsigned int m)
{
	struct kipc_sync_params *sp = &a->params.sync;
	struct kipc_channel_params *ch = &a->params.channel;
	__u32 t = a->type;

	switch (m) {
	case 0: a->type = fz_chance(c, 50) ? 0 : 10 + fz_below(c, 1000); return EINVAL;
	case 1: a->flags = 2U << fz_below(c, 31); return EINVAL;
	case 2: a->fd_flags = 4U << fz_below(c, 30); return EINVAL;
	case 3: a->pad = fz_rand(c) | 1; return EINVAL;
	case 4: a->reserved[fz_below(c, 4)] = fz_rand(c) | 1; return EINVAL;
	case 5: /* a name length without a name; never another name (a leak) */
		if (a->name)
			return 0;
		a->name_len = 1 + fz_below(c, 300);
		return EINVAL;
	case 6: a->mode = 1 + fz_below(c, 0777); return EINVAL;
	case 7: a->flags = KIPC_CREATE_EXCL; return EINVAL;
	case 8: /* bad parameters */
		if (t == KIPC_TYPE_SHM) {
			if (fz_chance(c, 50))
				a->params.shm.size = fz_chance(c, 50) ? 0 : KIPC_SHM_MAX_SIZE + 1 +
					fz_below(c, 1000);
			else
				a->params.shm.reserved[fz_below(c, 7)] = 1;
			return EINVAL;
		}
		if (t == KIPC_TYPE_CHANNEL) {
			switch (fz_below(c, 7)) {
			case 0: ch->capacity = fz_chance(c, 50) ? 0 : 3 + 2 * fz_below(c, 100); break;
			case 1: ch->capacity = KIPC_CHANNEL_MAX_CAPACITY << (1 + fz_below(c, 8)); break;
			case 2: ch->slot_size = fz_chance(c, 50) ? 0 : 8 * fz_below(c, 100) + 1 + fz_below(c, 7); break;
			case 3: ch->slot_size = KIPC_CHANNEL_MAX_SLOT + 8 * (1 + fz_below(c, 100)); break;
			case 4: ch->max_msg = KIPC_CHANNEL_MAX_MSG + 1 + fz_below(c, 1 << 20); break;
			case 5: ch->flags = 1U << fz_below(c, 32); break;
			default: ch->reserved[fz_below(c, 5)] = 1; break;
			}
			return EINVAL;
		}
		if (t == KIPC_TYPE_SEMAPHORE) {
			switch (fz_below(c, 3)) {
			case 0: sp->max = KIPC_SYNC_SEM_MAX + 1 + fz_below(c, 100); break;
			case 1: sp->max = 1 + fz_below(c, 10); sp->value = sp->max + 1; break;
			default: sp->parties = 1; break;
			}
			return EINVAL;
		}
		if (t == KIPC_TYPE_BARRIER) {
			sp->parties = fz_chance(c, 50) ? 0 : KIPC_SYNC_PARTIES_MAX + 1 + fz_below(c, 9);
			return EINVAL;
		}
		if (t == KIPC_TYPE_CONDITION) {
			sp->nslots = fz_chance(c, 50) ? 3 + 2 * fz_below(c, 100) :
				KIPC_SYNC_SLOTS_MAX * 2;
			return EINVAL;
		}
		/* lock, rlock, event: every parameter unused */
		sp->value = 1 + fz_below(c, 5);
		return EINVAL;
	case 9:
		if (t == KIPC_TYPE_SHM || fz_is_sync(t) || t == KIPC_TYPE_CHANNEL) {
			a->params.raw[7] = 1ULL << fz_below(c, 64);
			return EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

/* A name for @a: the round's, an odd one, or a broken one; errno, 0 if unsure. */
static int pick_name(struct fz_ctx *c, __u64 *name, __u32 *len, int valid_only)
{
	char *buf = c->scratch + FZ_PAGE - 300 + fz_below(c, 40);
	int k = fz_below(c, FZ_NAMES);

	*name = (__u64)(uintptr_t)c->names[k];
	*len = c->name_len[k];
	if (valid_only)
		return 0;
	switch (fz_below(c, 12)) {
	case 0: /* too long */
		memset(buf, 'z', 300);
		*name = (__u64)(uintptr_t)buf;
		*len = KIPC_NAME_MAX + 1 + fz_below(c, 44);
		return ENAMETOOLONG;
	case 1: /* a NUL inside */
		memcpy(buf, c->names[k], c->name_len[k]);
		buf[fz_below(c, c->name_len[k])] = 0;
		*name = (__u64)(uintptr_t)buf;
		return EINVAL;
	case 2:
		*name = (__u64)(uintptr_t)fz_badptr2(c, *len, 1);
		return EFAULT;
	case 4: /* a control character inside: it could forge fdinfo lines */
		memcpy(buf, c->names[k], c->name_len[k]);
		buf[fz_below(c, c->name_len[k])] = fz_chance(c, 50) ? '\n' :
			(char)(fz_chance(c, 10) ? 0x7f : 1 + fz_below(c, 0x1f));
		*name = (__u64)(uintptr_t)buf;
		return EINVAL;
	case 3: /* ends one byte into the guard page */
		buf = c->scratch + 2 * FZ_PAGE - *len + 1;
		memcpy(buf, c->names[k], *len - 1);
		*name = (__u64)(uintptr_t)buf;
		return EFAULT;
	default:
		return 0;
	}
}

void fz_op_create(struct fz_ctx *c)
{
	struct kipc_create a;
	__u32 type = 1 + fz_below(c, KIPC_TYPE_CONDITION);
	int want = 0, ret;
	unsigned int nmut;

	fz_valid_create(c, &a, type);
	if (fz_chance(c, 50)) {	/* named */
		want = pick_name(c, &a.name, &a.name_len, fz_chance(c, 60));
		a.mode = fz_chance(c, 50) ? 0600 : 0666;
		if (fz_chance(c, 30))
			a.flags |= KIPC_CREATE_EXCL;
		if (want) {
			ret = fz_sys(ioctl(c->dev, KIPC_IOC_CREATE, &a));
			fz_expect_err(c, "CREATE with a bad name", ret, want);
			if (ret >= 0)
				close(ret);
			return;
		}
		if (fz_chance(c, 10)) {
			a.mode = 01000 + fz_below(c, 07777);
			want = EINVAL;
		}
	}
	nmut = fz_chance(c, 60) ? 0 : 1 + fz_below(c, 3);
	if (!want && nmut == 1)
		want = mutate_create(c, &a, fz_below(c, a.name ? 5 : 10) +
				     (a.name && fz_chance(c, 50) ? 8 : 0));
	else if (nmut > 1)
		while (nmut--)
			mutate_create(c, &a, fz_below(c, 12));
	/* who wins between EEXIST or EACCES and a bad field is not documented */
	if (a.name && (c->unpriv || (a.flags & KIPC_CREATE_EXCL)) && (want || nmut))
		want = 0, nmut = 2;
	if (fz_chance(c, 3)) {
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_CREATE, fz_badptr(c, sizeof(a))));
		fz_expect_err(c, "CREATE with a bad pointer", ret, EFAULT);
		return;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_CREATE, &a));
	if (want && nmut <= 1) {
		fz_expect_err(c, "CREATE, one bad field", ret, want);
	} else {
		fz_expect_in(c, "CREATE", ret, create_errs);
		/* the valid ones made by the fuzzer are all small */
		if (!nmut && !a.name && ret < 0 && ret != -EMFILE)
			fz_violation(c, "valid anonymous CREATE of type %u: %s",
				     type, strerrorname_np(-ret));
	}
	if (ret >= 0 && fz_obj_add(c, ret, nmut ? 0 : type, -1) < 0)
		return;
}

static void op_open_unlink(struct fz_ctx *c)
{
	struct kipc_open o;
	struct kipc_unlink u;
	int want, ret;
	static const int open_errs[] = { ENOENT, EACCES, EINVAL, ENAMETOOLONG, EFAULT, EMFILE, 0 };

	memset(&o, 0, sizeof(o));
	memset(&u, 0, sizeof(u));
	want = pick_name(c, &o.name, &o.name_len, fz_chance(c, 60));
	/* a type that may be opened: a name error must then be the answer */
	o.type = 1 + fz_below(c, want ? KIPC_TYPE_CONDITION : KIPC_TYPE_PIPE);
	o.fd_flags = fz_below(c, 4);
	if (fz_chance(c, 40)) {
		u.name = o.name;
		u.name_len = o.name_len;
		if (!want && fz_chance(c, 30)) {
			if (fz_chance(c, 50))
				u.flags = 1U << fz_below(c, 32);
			else
				u.reserved[fz_below(c, 2)] = fz_rand(c) | 1;
			want = EINVAL;
		}
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_UNLINK, &u));
		if (want)
			fz_expect_err(c, "UNLINK with a bad argument", ret, want);
		else
			fz_expect_in(c, "UNLINK", ret, open_errs);
		return;
	}
	if (!want && fz_chance(c, 30)) {
		switch (fz_below(c, 3)) {
		case 0: o.flags = 1U << fz_below(c, 32); break;
		case 1: o.reserved[fz_below(c, 4)] = fz_rand(c) | 1; break;
		default: o.fd_flags = 4U << fz_below(c, 30); break;
		}
		want = EINVAL;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_OPEN, &o));
	if (want)
		fz_expect_err(c, "OPEN with a bad argument", ret, want);
	else
		fz_expect_in(c, "OPEN", ret, open_errs);
	if (ret >= 0)
		fz_obj_add(c, ret, o.type, -1);
}

static void op_pipe(struct fz_ctx *c)
{
	struct kipc_pipe p;
	int want = 0, ret, e0, e1;
	static const int errs[] = { EINVAL, EFAULT, EMFILE, ENOMEM, EDQUOT, 0 };

	memset(&p, 0, sizeof(p));
	p.flags = fz_chance(c, 50) ? KIPC_PIPE_DUPLEX : 0;
	p.fd_flags = fz_below(c, 4);
	fz_valid_chparams(c, &p.params);
	switch (fz_below(c, 10)) {
	case 0: p.flags |= 1U << (20 + fz_below(c, 12)); want = EINVAL; break;
	case 1: p.reserved[fz_below(c, 4)] = fz_rand(c) | 1; want = EINVAL; break;
	case 2: p.params.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 3: p.params.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 4: p.params.reserved[fz_below(c, 5)] = 1; want = EINVAL; break;
	case 5: p.params.capacity = 3 + 2 * fz_below(c, 50); want = EINVAL; break;
	case 6: p.params.slot_size = 1 + 8 * fz_below(c, 50); want = EINVAL; break;
	case 7: p.fd_flags = 4U << fz_below(c, 30); want = EINVAL; break;
	default: break;
	}
	if (fz_chance(c, 5)) {
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_PIPE, fz_badptr(c, sizeof(p))));
		fz_expect_err(c, "PIPE with a bad pointer", ret, EFAULT);
		return;
	}
	p.fds[0] = p.fds[1] = -7;
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_PIPE, &p));
	if (want) {
		fz_expect_err(c, "PIPE with a bad field", ret, want);
		return;
	}
	fz_expect_in(c, "PIPE", ret, errs);
	if (ret < 0)
		return;
	e0 = fz_obj_add(c, p.fds[0], KIPC_TYPE_PIPE, 0);
	e1 = fz_obj_add(c, p.fds[1], KIPC_TYPE_PIPE, 1);
	(void)e0;
	(void)e1;
}

static void op_unknown(struct fz_ctx *c)
{
	unsigned long cmd = unknown_cmd(c);
	char *arg = c->scratch + fz_below(c, FZ_PAGE);
	long ret;

	if (dev_cmd(cmd))
		return;
	fz_fill(c, arg, 64);
	ret = fz_sys(ioctl(c->dev, cmd, fz_chance(c, 80) ? arg : fz_badptr(c, 8)));
	fz_expect_err(c, "unknown command on /dev/kipc", ret, ENOTTY);
}

static void op_dev_file(struct fz_ctx *c)
{
	char buf[16];
	long ret;
	int fd;

	switch (fz_below(c, 4)) {
	case 0:
		ret = fz_sys(read(c->dev, buf, fz_below(c, sizeof(buf))));
		fz_expect_err(c, "read of /dev/kipc", ret, EINVAL);
		break;
	case 1:
		ret = fz_sys(write(c->dev, buf, fz_below(c, sizeof(buf))));
		fz_expect_err(c, "write of /dev/kipc", ret, EINVAL);
		break;
	case 2:
		ret = fz_sys(lseek(c->dev, fz_rand(c) % 100, fz_below(c, 3)));
		fz_expect_err(c, "lseek of /dev/kipc", ret, ESPIPE);
		break;
	default: /* a fresh device file, closed again at once or later */
		fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fz_violation(c, "open of /dev/kipc: %s", strerrorname_np(errno));
			break;
		}
		if (fz_chance(c, 50)) {
			close(fd);
		} else {
			close(c->dev);
			c->dev = fd;
		}
		break;
	}
}

void fz_op_ctl(struct fz_ctx *c)
{
	switch (fz_below(c, 6)) {
	case 0: op_api(c); break;
	case 1: case 2: op_open_unlink(c); break;
	case 3: op_pipe(c); break;
	case 4: op_unknown(c); break;
	default: op_dev_file(c); break;
	}
}

void fz_op_wait_any(struct fz_ctx *c)
{
	struct kipc_wait_obj objs[KIPC_WAIT_ANY_MAX + 2];
	struct kipc_wait_any w;
	unsigned int n = 1 + fz_below(c, 8), k;
	int want = 0;
	long ret;
	static const int errs[] = { EOWNERDEAD, ETIMEDOUT, EINTR, EINVAL, EBADF,
				    EFAULT, EBADMSG, ENOTRECOVERABLE, ENOSPC, ENOMEM, 0 };

	if (fz_chance(c, 5))
		n = KIPC_WAIT_ANY_MAX - 2 + fz_below(c, 4);
	memset(objs, 0, sizeof(objs));
	for (k = 0; k < n && k < KIPC_WAIT_ANY_MAX + 2; k++) {
		int i = fz_obj_pick(c, 0);

		objs[k].fd = i >= 0 && fz_chance(c, 90) ? c->objs[i].fd : fz_obj_pick_fd(c);
		if (i >= 0 && (c->objs[i].type == KIPC_TYPE_LOCK ||
			       c->objs[i].type == KIPC_TYPE_RLOCK)) {
			int m = fz_below(c, FZ_MAX_MAPS);

			if (c->maps[m].addr && c->maps[m].obj == i)
				objs[k].addr = (__u64)(uintptr_t)c->maps[m].addr;
			else if (fz_chance(c, 30))
				objs[k].addr = fz_rand(c);
		}
	}
	memset(&w, 0, sizeof(w));
	w.objs = (__u64)(uintptr_t)objs;
	w.count = n;
	w.flags = KIPC_WAIT_DEADLINE;
	w.deadline_ns = fz_now_ns() + fz_below(c, 20) * 1000000ULL;
	switch (fz_below(c, 12)) {
	case 0: w.count = fz_chance(c, 50) ? 0 : KIPC_WAIT_ANY_MAX + 1 + fz_below(c, 1000); want = EINVAL; break;
	case 1: w.flags |= 2U << fz_below(c, 31); want = EINVAL; break;
	case 2: w.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 3: w.reserved[fz_below(c, 4)] = fz_rand(c) | 1; want = EINVAL; break;
	case 4: /* read entry by entry: a straddling array may fail on an entry */
		w.objs = (__u64)(uintptr_t)fz_badptr2(c, n * sizeof(objs[0]), 0);
		want = EFAULT;
		break;
	case 5: w.flags = 0; want = EINVAL; break;	/* a deadline without its flag */
	default: break;
	}
	if (w.count > KIPC_WAIT_ANY_MAX && want != EINVAL)
		want = EINVAL;
	if (fz_chance(c, 3)) {
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_WAIT_ANY, fz_badptr(c, sizeof(w))));
		fz_expect_err(c, "WAIT_ANY with a bad pointer", ret, EFAULT);
		return;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_WAIT_ANY, &w));
	if (want)
		fz_expect_err(c, "WAIT_ANY with a bad header", ret, want);
	else
		fz_expect_in(c, "WAIT_ANY", ret, errs);
	if ((ret == 0 || ret == -EOWNERDEAD) && w.index >= n)
		fz_violation(c, "WAIT_ANY index %u of %u", w.index, n);
}
