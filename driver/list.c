// SPDX-License-Identifier: GPL-2.0-only
/*
 * Listing objects: KIPC_IOC_LIST and KIPC_IOC_STAT on /dev/kipc.
 *
 * Both see the objects of the caller's IPC namespace only, and of those
 * the ones it may see (kipc_may_see()); the others are counted, never
 * described. Statistics are filled outside every lock: a type's ->stat
 * may reschedule.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/user_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kipc.h"

/* Objects one KIPC_IOC_LIST looks at, at most: a call's cost is bounded. */
#define KIPC_LIST_SCAN		4096

/* References taken per visit to the object table. */
#define KIPC_LIST_BATCH		32

/* CAP_IPC_OWNER over the caller's IPC namespace: it sees every object. */
static bool kipc_sees_all(void)
{
	return ns_capable_noaudit(current->nsproxy->ipc_ns->user_ns,
				  CAP_IPC_OWNER);
}

/*
 * May the caller see @obj? Its owner may, and whoever may open it by its
 * (still linked) name; @all says the caller may see everything.
 */
bool kipc_may_see(struct kipc_object *obj, bool all)
{
	if (all || uid_eq(current_euid(), obj->owner_uid))
		return true;
	return READ_ONCE(obj->linked) && kipc_mode_permits(obj);
}

/*
 * The object @id (or, with @id 0, named @uname) of the caller's namespace
 * with a reference, if the caller may see it; -ENOENT otherwise.
 */
struct kipc_object *kipc_object_lookup(u64 id, u64 uname, u32 name_len)
{
	struct kipc_object *obj = NULL;
	struct kipc_ns *kns;

	if (!id) {
		obj = kipc_name_lookup(uname, name_len);
		if (IS_ERR(obj))
			return obj;
	} else {
		kns = kipc_ns_find_current();
		if (kns) {
			obj = kipc_object_find(id, kns);
			kipc_ns_put_ref(kns);
		}
		if (!obj)
			return ERR_PTR(-ENOENT);
	}
	if (!kipc_may_see(obj, kipc_sees_all())) {
		kipc_object_put(obj);
		return ERR_PTR(-ENOENT);
	}
	return obj;
}

long kipc_ioc_stat(struct kipc_stat_query __user *uarg)
{
	struct kipc_stat_query q;
	struct kipc_object *obj;
	struct kipc_stat *st;
	long ret;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.version != KIPC_STAT_VERSION || q.flags || q.pad || !q.stat ||
	    memchr_inv(q.reserved, 0, sizeof(q.reserved)))
		return -EINVAL;
	/* An id, or a name: never both, never neither. */
	if (q.id ? q.name || q.name_len : !q.name)
		return -EINVAL;
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	obj = kipc_object_lookup(q.id, q.name, q.name_len);
	ret = PTR_ERR(obj);
	if (IS_ERR(obj))
		goto out;
	ret = kipc_object_stat(obj, st);
	kipc_object_put(obj);
	if (!ret && copy_to_user(u64_to_user_ptr(q.stat), st, sizeof(*st)))
		ret = -EFAULT;
out:
	kfree(st);
	return ret;
}

static int kipc_list_check(const struct kipc_list *arg)
{
	if (arg->version != KIPC_STAT_VERSION || arg->flags || arg->pad ||
	    arg->next_id || arg->hidden ||
	    memchr_inv(arg->reserved, 0, sizeof(arg->reserved)))
		return -EINVAL;
	if (!arg->count || arg->count > KIPC_LIST_MAX || !arg->stats)
		return -EINVAL;
	if (arg->type > KIPC_TYPE_PIPE)
		return -EINVAL;
	return 0;
}

long kipc_ioc_list(struct kipc_list __user *uarg)
{
	struct kipc_object *batch[KIPC_LIST_BATCH];
	struct kipc_stat __user *out;
	unsigned int budget = KIPC_LIST_SCAN;
	unsigned int n, i, room;
	struct kipc_list arg;
	struct kipc_stat *st;
	struct kipc_ns *kns;
	long ret = 0;
	bool all;
	u64 pos;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = kipc_list_check(&arg);
	if (ret)
		return ret;
	out = u64_to_user_ptr(arg.stats);
	room = arg.count;
	arg.count = 0;
	pos = arg.start_id ?: 1;
	kns = kipc_ns_find_current();
	if (!kns) {
		/* No object was ever made here, or all are gone. */
		pos = 0;
		goto out_copy;
	}
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		kipc_ns_put_ref(kns);
		return -ENOMEM;
	}
	all = kipc_sees_all();

	while (pos && room > arg.count && budget) {
		n = kipc_objects_gather(kns, arg.type, &pos, batch,
					min(room - arg.count, KIPC_LIST_BATCH),
					&budget);
		for (i = 0; i < n; i++) {
			if (ret || !kipc_may_see(batch[i], all)) {
				arg.hidden += !ret;
			} else {
				ret = kipc_object_stat(batch[i], st);
				if (!ret && copy_to_user(out + arg.count, st,
							 sizeof(*st)))
					ret = -EFAULT;
				arg.count += !ret;
			}
			kipc_object_put(batch[i]);
		}
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(st);
	kipc_ns_put_ref(kns);
	if (ret)
		return ret;
	/* Out of budget before the end: go on from pos next time. */
out_copy:
	arg.next_id = pos;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}
