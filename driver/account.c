// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-user limit on the memory kipc objects pin in the kernel.
 *
 * Object memory cannot be swapped or reclaimed, so each user may hold at
 * most max_user_bytes of it; beyond that, creation fails with EDQUOT.
 */

#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kipc.h"

static unsigned long max_user_bytes = 1UL << 30;
module_param(max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Most bytes of object memory one user may hold (default 1 GiB)");

struct kipc_user {
	struct hlist_node node;
	kuid_t uid;
	size_t bytes;
};

/* kipc_users_lock protects kipc_users and every kipc_user's bytes. */
static DEFINE_SPINLOCK(kipc_users_lock);
static DEFINE_HASHTABLE(kipc_users, 6);

static struct kipc_user *kipc_user_find(kuid_t uid)
{
	struct kipc_user *u;

	lockdep_assert_held(&kipc_users_lock);
	hash_for_each_possible(kipc_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

int kipc_account_charge(kuid_t uid, size_t bytes)
{
	struct kipc_user *fresh, *u;
	unsigned long max = READ_ONCE(max_user_bytes);
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	spin_lock(&kipc_users_lock);
	u = kipc_user_find(uid);
	if (!u && !fresh) {
		ret = -ENOMEM;
		goto out;
	}
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(kipc_users, &u->node, __kuid_val(uid));
	}
	if (bytes > max || u->bytes > max - bytes) {
		ret = -EDQUOT;
		if (!u->bytes) {
			hash_del(&u->node);
			fresh = u;
		}
		goto out;
	}
	u->bytes += bytes;
out:
	spin_unlock(&kipc_users_lock);
	kfree(fresh);
	return ret;
}

void kipc_account_uncharge(kuid_t uid, size_t bytes)
{
	struct kipc_user *u, *dead = NULL;

	spin_lock(&kipc_users_lock);
	u = kipc_user_find(uid);
	if (!WARN_ON_ONCE(!u || u->bytes < bytes)) {
		u->bytes -= bytes;
		if (!u->bytes) {
			hash_del(&u->node);
			dead = u;
		}
	}
	spin_unlock(&kipc_users_lock);
	kfree(dead);
}

/* Every object is gone by now; anything left is a bookkeeping bug. */
void kipc_account_exit(void)
{
	struct hlist_node *tmp;
	struct kipc_user *u;
	int bkt;

	spin_lock(&kipc_users_lock);
	hash_for_each_safe(kipc_users, bkt, tmp, u, node) {
		WARN_ONCE(1, "kipc: %zu bytes still charged\n", u->bytes);
		hash_del(&u->node);
		kfree(u);
	}
	spin_unlock(&kipc_users_lock);
}
