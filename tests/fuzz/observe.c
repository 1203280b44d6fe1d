// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seeing objects: KIPC_IOC_LIST, KIPC_IOC_STAT, KIPC_IOC_HOLDERS,
 * KIPC_IOC_USAGE and KIPC_OBJ_IOC_STAT. One bad field is a contract (the
 * exact errno); a valid call must answer consistently with what this
 * process holds: its own objects are there, with their type and size.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"

#define FZ_LIST_ROOM	6
#define FZ_HOLDER_ROOM	16

/* Root outside a setuid child sees every object of its namespace. */
static int sees_all(struct fz_ctx *c)
{
	return !c->unpriv && geteuid() == 0;
}

/* A reported entry must be well formed whoever wrote the shared ring. */
static void check_stat(struct fz_ctx *c, const char *what, const struct kipc_stat *st)
{
	if (!st->id || !st->type || st->type > KIPC_TYPE_PIPE)
		fz_violation(c, "%s: id %llu type %u", what,
			     (unsigned long long)st->id, st->type);
	if (st->name_len > KIPC_NAME_MAX || st->name[st->name_len] ||
	    strlen(st->name) != st->name_len)
		fz_violation(c, "%s: name of %u bytes not terminated there", what,
			     st->name_len);
	if (st->pad || st->reserved[0] || st->reserved[3])
		fz_violation(c, "%s: padding not zero", what);
}

/* KIPC_OBJ_IOC_STAT on object @i; returns its id, or 0 on failure. */
static __u64 obj_stat(struct fz_ctx *c, int i, int mutate)
{
	struct fz_obj *o = &c->objs[i];
	struct kipc_stat_query q;
	struct kipc_stat st;
	int want = 0;
	long ret;

	memset(&q, 0, sizeof(q));
	q.version = KIPC_STAT_VERSION;
	q.stat = (__u64)(uintptr_t)&st;
	switch (mutate ? fz_below(c, 12) : 99) {
	case 0: q.version = fz_chance(c, 50) ? 0 : KIPC_STAT_VERSION + 1 + fz_below(c, 9); want = EINVAL; break;
	case 1: q.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 2: q.id = fz_rand(c) | 1; want = EINVAL; break;
	case 3: q.name = (__u64)(uintptr_t)c->names[0]; want = EINVAL; break;
	case 4: q.name_len = 1 + fz_below(c, 300); want = EINVAL; break;
	case 5: q.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 6: q.reserved[fz_below(c, 2)] = fz_rand(c) | 1; want = EINVAL; break;
	case 7: q.stat = 0; want = EINVAL; break;
	case 8: q.stat = (__u64)(uintptr_t)fz_badptr2(c, sizeof(st), 1); want = EFAULT; break;
	case 9:
		ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_STAT, fz_badptr(c, sizeof(q))));
		fz_expect_err(c, "OBJ_STAT with a bad pointer", ret, EFAULT);
		return 0;
	default: break;
	}
	memset(&st, 0xa5, sizeof(st));
	ret = fz_sys(ioctl(o->fd, KIPC_OBJ_IOC_STAT, &q));
	if (want) {
		fz_expect_err(c, "OBJ_STAT with a bad field", ret, want);
		return 0;
	}
	if (ret) {
		fz_violation(c, "OBJ_STAT failed: %s", strerrorname_np((int)-ret));
		return 0;
	}
	check_stat(c, "OBJ_STAT", &st);
	if (st.type != o->type || st.size != o->size)
		fz_violation(c, "OBJ_STAT: type %u size %llu, INFO said %u %llu",
			     st.type, (unsigned long long)st.size, o->type,
			     (unsigned long long)o->size);
	return st.id;
}

/* KIPC_IOC_STAT by the id of an object held, or by one of the round's names. */
static void op_stat(struct fz_ctx *c)
{
	static const int name_errs[] = { ENOENT, EINVAL, ENAMETOOLONG, EFAULT, 0 };
	int i = fz_obj_pick(c, 0), k = fz_below(c, FZ_NAMES), want = 0;
	struct kipc_stat_query q;
	struct kipc_stat st;
	__u64 id = 0;
	long ret;

	if (i >= 0 && fz_chance(c, 70))
		id = obj_stat(c, i, 0);
	memset(&q, 0, sizeof(q));
	q.version = KIPC_STAT_VERSION;
	q.stat = (__u64)(uintptr_t)&st;
	if (id) {
		q.id = id;
	} else {
		q.name = (__u64)(uintptr_t)c->names[k];
		q.name_len = c->name_len[k];
	}
	switch (fz_below(c, 12)) {
	case 0: q.version = KIPC_STAT_VERSION + 1 + fz_below(c, 9); want = EINVAL; break;
	case 1: q.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 2: q.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 3: q.reserved[fz_below(c, 2)] = fz_rand(c) | 1; want = EINVAL; break;
	case 4: q.stat = 0; want = EINVAL; break;
	case 5: /* an id and a name, or neither */
		q.id = id ? id : fz_rand(c) | 1;
		q.name = fz_chance(c, 50) ? (__u64)(uintptr_t)c->names[k] : 0;
		q.name_len = q.name ? c->name_len[k] : 1 + fz_below(c, 9);
		if (!q.name && fz_chance(c, 50)) {
			q.id = 0;
			q.name_len = 0;
		}
		want = EINVAL;
		break;
	case 6:
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_STAT, fz_badptr(c, sizeof(q))));
		fz_expect_err(c, "STAT with a bad pointer", ret, EFAULT);
		return;
	default: break;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_STAT, &q));
	if (want) {
		fz_expect_err(c, "STAT with a bad field", ret, want);
	} else if (!id) {
		fz_expect_in(c, "STAT by name", ret, name_errs);
		if (!ret)
			check_stat(c, "STAT by name", &st);
	} else if (ret && (sees_all(c) || ret != -ENOENT)) {
		fz_violation(c, "STAT of a held object's id: %s", strerrorname_np((int)-ret));
	} else if (!ret) {
		check_stat(c, "STAT by id", &st);
		if (st.id != id || st.type != c->objs[i].type)
			fz_violation(c, "STAT by id %llu: id %llu type %u (held: type %u)",
				     (unsigned long long)id, (unsigned long long)st.id,
				     st.type, c->objs[i].type);
	}
}

/* A call to LIST with @arg prepared; checks what came back. */
static void list_once(struct fz_ctx *c, struct kipc_list *arg, struct kipc_stat *out)
{
	static const int errs[] = { ENOMEM, EINTR, 0 };
	__u64 start = arg->start_id, last = 0;
	__u32 room = arg->count, type = arg->type, n;
	long ret;

	ret = fz_sys(ioctl(c->dev, KIPC_IOC_LIST, arg));
	fz_expect_in(c, "LIST", ret, errs);
	if (ret)
		return;
	if (arg->count > room) {
		fz_violation(c, "LIST wrote %u entries into room for %u", arg->count, room);
		return;
	}
	for (n = 0; n < arg->count; n++) {
		check_stat(c, "LIST entry", &out[n]);
		if (out[n].id < start || out[n].id <= last)
			fz_violation(c, "LIST entry id %llu after %llu (from %llu)",
				     (unsigned long long)out[n].id,
				     (unsigned long long)last, (unsigned long long)start);
		if (type && out[n].type != type)
			fz_violation(c, "LIST of type %u reported type %u", type, out[n].type);
		last = out[n].id;
	}
	if (arg->next_id && (arg->next_id <= last || arg->next_id < start))
		fz_violation(c, "LIST next_id %llu after id %llu (from %llu)",
			     (unsigned long long)arg->next_id, (unsigned long long)last,
			     (unsigned long long)start);
}

static void op_list(struct fz_ctx *c)
{
	struct kipc_stat out[FZ_LIST_ROOM];
	struct kipc_list arg;
	int want = 0, i = fz_obj_pick(c, 0);
	long ret;

	memset(&arg, 0, sizeof(arg));
	arg.version = KIPC_STAT_VERSION;
	arg.stats = (__u64)(uintptr_t)out;
	arg.count = 1 + fz_below(c, FZ_LIST_ROOM);
	if (fz_chance(c, 40))
		arg.type = 1 + fz_below(c, KIPC_TYPE_PIPE);
	if (i >= 0 && fz_chance(c, 40))
		arg.start_id = obj_stat(c, i, 0);
	else if (fz_chance(c, 10))
		arg.start_id = fz_interesting(c, ~0ULL);
	switch (fz_below(c, 16)) {
	case 0: arg.version = fz_chance(c, 50) ? 0 : KIPC_STAT_VERSION + 1; want = EINVAL; break;
	case 1: arg.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 2: arg.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 3: arg.reserved[fz_below(c, 3)] = fz_rand(c) | 1; want = EINVAL; break;
	case 4: arg.next_id = fz_rand(c) | 1; want = EINVAL; break;
	case 5: arg.hidden = fz_rand(c) | 1; want = EINVAL; break;
	case 6: arg.count = fz_chance(c, 50) ? 0 : KIPC_LIST_MAX + 1 + fz_below(c, 1U << 20); want = EINVAL; break;
	case 7: arg.stats = 0; want = EINVAL; break;
	case 8: arg.type = KIPC_TYPE_PIPE + 1 + fz_below(c, 1000); want = EINVAL; break;
	case 9:
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_LIST, fz_badptr(c, sizeof(arg))));
		fz_expect_err(c, "LIST with a bad pointer", ret, EFAULT);
		return;
	case 10: { /* entries that cannot be written: EFAULT, or nothing to write */
		static const int errs[] = { EFAULT, 0 };

		arg.stats = (__u64)(uintptr_t)fz_badptr2(c, sizeof(out[0]), 1);
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_LIST, &arg));
		fz_expect_in(c, "LIST into bad memory", ret, errs);
		if (!ret && arg.count)
			fz_violation(c, "LIST wrote %u entries into bad memory", arg.count);
		return;
	}
	default: break;
	}
	if (want) {
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_LIST, &arg));
		fz_expect_err(c, "LIST with a bad field", ret, want);
		return;
	}
	list_once(c, &arg, out);
}

static void op_holders(struct fz_ctx *c)
{
	static const int errs[] = { ENOENT, ENOMEM, EINTR, 0 };
	struct kipc_holder out[FZ_HOLDER_ROOM];
	int i = fz_obj_pick(c, 0), want = 0, me = 0;
	struct kipc_holders arg;
	__u64 held_id;
	__u32 n, room;
	long ret;

	memset(&arg, 0, sizeof(arg));
	held_id = i >= 0 ? obj_stat(c, i, 0) : 0;
	arg.id = held_id;
	if (!arg.id)
		arg.id = fz_interesting(c, ~0ULL) | 1;
	arg.holders = (__u64)(uintptr_t)out;
	arg.count = fz_below(c, FZ_HOLDER_ROOM + 1);
	switch (fz_below(c, 12)) {
	case 0: arg.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 1: arg.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 2: arg.total = fz_rand(c) | 1; want = EINVAL; break;
	case 3: arg.id = 0; want = EINVAL; break;
	case 4: arg.count = KIPC_LIST_MAX + 1 + fz_below(c, 1U << 20); want = EINVAL; break;
	case 5: arg.count = 1 + fz_below(c, FZ_HOLDER_ROOM); arg.holders = 0; want = EINVAL; break;
	case 6: arg.reserved[fz_below(c, 2)] = fz_rand(c) | 1; want = EINVAL; break;
	case 7:
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_HOLDERS, fz_badptr(c, sizeof(arg))));
		fz_expect_err(c, "HOLDERS with a bad pointer", ret, EFAULT);
		return;
	default: break;
	}
	room = arg.count;
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_HOLDERS, &arg));
	if (want) {
		fz_expect_err(c, "HOLDERS with a bad field", ret, want);
		return;
	}
	fz_expect_in(c, "HOLDERS", ret, errs);
	if (ret == -ENOENT && held_id && arg.id == held_id && sees_all(c))
		fz_violation(c, "HOLDERS of an object we hold: ENOENT");
	if (ret)
		return;
	if (arg.count > room || arg.count > arg.total) {
		fz_violation(c, "HOLDERS count %u of %u in room for %u", arg.count,
			     arg.total, room);
		return;
	}
	for (n = 0; n < arg.count; n++) {
		if ((n && out[n].pid <= out[n - 1].pid) || out[n].pid <= 0 ||
		    !(out[n].fds || out[n].mappings) || out[n].pad)
			fz_violation(c, "HOLDERS entry %u: pid %d fds %u maps %u", n,
				     out[n].pid, out[n].fds, out[n].mappings);
		me |= out[n].pid == getpid();
	}
	/* We hold a descriptor on our own object: we are among its holders. */
	if (held_id && arg.id == held_id && sees_all(c) && arg.count == arg.total && !me)
		fz_violation(c, "HOLDERS of an object we hold does not name us");
}

static void op_usage(struct fz_ctx *c)
{
	struct kipc_usage u;
	int want = 0;
	long ret;

	memset(&u, 0, sizeof(u));
	switch (fz_below(c, 6)) {
	case 0: u.flags = 1U << fz_below(c, 32); want = EINVAL; break;
	case 1: u.pad = fz_rand(c) | 1; want = EINVAL; break;
	case 2: /* every out field must come in zero */
		(&u.bytes)[fz_below(c, 6)] = fz_rand(c) | 1;
		want = EINVAL;
		break;
	case 3: u.reserved[fz_below(c, 4)] = fz_rand(c) | 1; want = EINVAL; break;
	case 4:
		ret = fz_sys(ioctl(c->dev, KIPC_IOC_USAGE, fz_badptr(c, sizeof(u))));
		fz_expect_err(c, "USAGE with a bad pointer", ret, EFAULT);
		return;
	default: break;
	}
	ret = fz_sys(ioctl(c->dev, KIPC_IOC_USAGE, &u));
	if (want) {
		fz_expect_err(c, "USAGE with a bad field", ret, want);
	} else if (ret) {
		fz_violation(c, "USAGE failed: %s", strerrorname_np((int)-ret));
	} else if (u.bytes > u.total_bytes || u.reserved[0] || u.reserved[3]) {
		fz_violation(c, "USAGE: %llu bytes of a total of %llu",
			     (unsigned long long)u.bytes, (unsigned long long)u.total_bytes);
	}
}

void fz_op_observe(struct fz_ctx *c)
{
	int i;

	switch (fz_below(c, 6)) {
	case 0: op_list(c); break;
	case 1: op_stat(c); break;
	case 2: op_holders(c); break;
	case 3: op_usage(c); break;
	default:
		i = fz_obj_pick(c, 0);
		if (i >= 0)
			obj_stat(c, i, 1);
		else
			op_list(c);
		break;
	}
}
