// SPDX-License-Identifier: GPL-2.0-only
/*
 * Limits on the memory kipc objects and large-message buffers pin.
 *
 * That memory cannot be swapped or reclaimed. Besides the memory cgroup
 * charge of the pages themselves (object.c, channel.c), each charge counts
 * against:
 *
 * - the user who makes it (the effective uid);
 * - every user namespace it is in, up to (not including) the initial one:
 *   each namespace is an account of its own, so what happens inside a
 *   container is bounded however many uids are mapped in it;
 * - the owner of each of those namespaces, unless that is the initial
 *   root: a user who makes namespaces cannot multiply its quota with them,
 *   while the containers a root runtime makes do not share one budget.
 *
 * Each account may hold max_user_bytes and max_user_objects (EDQUOT
 * beyond); all together may hold max_total_bytes (ENOSPC beyond).
 *
 * A charge records its user, its user namespace (pinned) and its amounts,
 * so that the uncharge undoes exactly the same charge whatever happens to
 * the credentials or the limits in between.
 */

#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "kipc.h"
#include "trace.h"

static unsigned long max_user_bytes = 1UL << 30;
module_param(max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Most bytes of object and large-message memory one account (a user, or a user namespace) may hold; a user's account also counts namespaces it owns (default 1 GiB); EDQUOT beyond");

static unsigned int max_user_objects = 65536;
module_param(max_user_objects, uint, 0644);
MODULE_PARM_DESC(max_user_objects,
		 "Most objects one account (a user, or a user namespace) may hold; a user's account also counts namespaces it owns (default 65536); EDQUOT beyond");

static unsigned long max_total_bytes;
module_param(max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Most bytes of object and large-message memory all users together may hold (0 at load: half of RAM); ENOSPC beyond");

/* The uid, its user namespaces and their owners: namespaces nest 32 deep. */
#define KIPC_CHAIN_MAX	(1 + 2 * 32)

/*
 * An account: a user (@ns NULL, keyed by @uid) or a user namespace (keyed
 * by @ns; every charge that names it holds a reference on a namespace
 * inside it, so the pointer stays valid while the account exists).
 */
struct kipc_acct_key {
	const struct user_namespace *ns;
	kuid_t uid;
};

struct kipc_user {
	struct hlist_node node;
	struct kipc_acct_key key;
	size_t bytes;
	unsigned int objects;
};

/*
 * kipc_users_lock protects kipc_users, every kipc_user's counts and
 * kipc_total_bytes. An entry exists while it holds something.
 */
static DEFINE_SPINLOCK(kipc_users_lock);
static DEFINE_HASHTABLE(kipc_users, 6);
static size_t kipc_total_bytes;

static unsigned long kipc_key_hash(const struct kipc_acct_key *k)
{
	return k->ns ? (unsigned long)k->ns : __kuid_val(k->uid);
}

static bool kipc_key_eq(const struct kipc_acct_key *a,
			const struct kipc_acct_key *b)
{
	return a->ns == b->ns && (a->ns || uid_eq(a->uid, b->uid));
}

static struct kipc_user *kipc_user_find(const struct kipc_acct_key *k)
{
	struct kipc_user *u;

	lockdep_assert_held(&kipc_users_lock);
	hash_for_each_possible(kipc_users, u, node, kipc_key_hash(k))
		if (kipc_key_eq(&u->key, k))
			return u;
	return NULL;
}

static void kipc_user_drop_idle(struct kipc_user *u)
{
	lockdep_assert_held(&kipc_users_lock);
	if (u->bytes || u->objects)
		return;
	hash_del(&u->node);
	kfree(u);
}

static void kipc_chain_add(struct kipc_acct_key *keys, unsigned int *n,
			   const struct user_namespace *ns, kuid_t uid)
{
	struct kipc_acct_key k = { .ns = ns, .uid = uid };
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (kipc_key_eq(&keys[i], &k))
			return;
	keys[(*n)++] = k;
}

/* Fill @keys with the accounts a charge by @uid in @ns counts against. */
static unsigned int kipc_chain(const struct user_namespace *ns, kuid_t uid,
			       struct kipc_acct_key *keys)
{
	unsigned int n = 0;

	kipc_chain_add(keys, &n, NULL, uid);
	for (; ns != &init_user_ns && n + 2 <= KIPC_CHAIN_MAX; ns = ns->parent) {
		kipc_chain_add(keys, &n, ns, GLOBAL_ROOT_UID);
		if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
			kipc_chain_add(keys, &n, NULL, ns->owner);
	}
	return n;
}

static bool kipc_over(size_t held, size_t more, size_t max)
{
	return more > max || held > max - more;
}

/**
 * kipc_account_charge() - charge the caller for @bytes and @objects
 * @c:       filled in for kipc_account_uncharge()
 * @bytes:   memory pinned
 * @objects: 1 for an object, 0 for a large-message buffer
 *
 * Return: 0; -EDQUOT when a user of the chain would exceed max_user_bytes
 * or max_user_objects; -ENOSPC when all users together would exceed
 * max_total_bytes; -ENOMEM.
 */
int kipc_account_charge(struct kipc_charge *c, size_t bytes,
			unsigned int objects)
{
	const struct cred *cred = current_cred();
	unsigned long max_bytes = READ_ONCE(max_user_bytes);
	unsigned long max_total = READ_ONCE(max_total_bytes);
	unsigned int max_objects = READ_ONCE(max_user_objects);
	struct kipc_acct_key keys[KIPC_CHAIN_MAX];
	struct kipc_user *u, *fresh = NULL;
	unsigned int n, i;
	int ret = 0;

	n = kipc_chain(cred->user_ns, cred->euid, keys);
retry:
	spin_lock(&kipc_users_lock);
	for (i = 0; i < n; i++) {
		if (kipc_user_find(&keys[i]))
			continue;
		if (!fresh) {
			spin_unlock(&kipc_users_lock);
			fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
			if (fresh)
				goto retry;
			/* Below, drop the idle entries added so far. */
			ret = -ENOMEM;
			spin_lock(&kipc_users_lock);
			break;
		}
		fresh->key = keys[i];
		hash_add(kipc_users, &fresh->node, kipc_key_hash(&keys[i]));
		fresh = NULL;
	}

	for (i = 0; i < n && !ret; i++) {
		u = kipc_user_find(&keys[i]);
		/* A buffer adds no object: a lowered object limit spares it. */
		if (kipc_over(u->bytes, bytes, max_bytes) ||
		    (objects && kipc_over(u->objects, objects, max_objects)))
			ret = -EDQUOT;
	}
	if (!ret && kipc_over(kipc_total_bytes, bytes, max_total))
		ret = -ENOSPC;

	for (i = 0; i < n; i++) {
		u = kipc_user_find(&keys[i]);
		if (ret) {
			if (u)
				kipc_user_drop_idle(u);
			continue;
		}
		u->bytes += bytes;
		u->objects += objects;
	}
	if (!ret)
		kipc_total_bytes += bytes;
	spin_unlock(&kipc_users_lock);
	kfree(fresh);
	if (ret == -EDQUOT || ret == -ENOSPC)
		trace_kipc_quota_refused(from_kuid(&init_user_ns, cred->euid),
					 bytes, ret);
	if (ret)
		return ret;

	c->ns = get_user_ns(cred->user_ns);
	c->uid = cred->euid;
	c->bytes = bytes;
	c->objects = objects;
	return 0;
}

/* Undo what kipc_account_charge() charged into @c. */
void kipc_account_uncharge(struct kipc_charge *c)
{
	struct kipc_acct_key keys[KIPC_CHAIN_MAX];
	struct kipc_user *u;
	unsigned int n, i;

	n = kipc_chain(c->ns, c->uid, keys);
	spin_lock(&kipc_users_lock);
	for (i = 0; i < n; i++) {
		u = kipc_user_find(&keys[i]);
		if (WARN_ON_ONCE(!u || u->bytes < c->bytes ||
				 u->objects < c->objects))
			continue;
		u->bytes -= c->bytes;
		u->objects -= c->objects;
		kipc_user_drop_idle(u);
	}
	if (!WARN_ON_ONCE(kipc_total_bytes < c->bytes))
		kipc_total_bytes -= c->bytes;
	spin_unlock(&kipc_users_lock);
	put_user_ns(c->ns);
	c->ns = NULL;
}

/* All memory charged now, for sysfs. */
size_t kipc_account_total(void)
{
	size_t total;

	spin_lock(&kipc_users_lock);
	total = kipc_total_bytes;
	spin_unlock(&kipc_users_lock);
	return total;
}

/* KIPC_IOC_USAGE: the caller's own account (its uid) and the limits. */
long kipc_ioc_usage(struct kipc_usage __user *uarg)
{
	struct kipc_acct_key key = { .uid = current_euid() };
	struct kipc_usage usage;
	struct kipc_user *u;

	if (copy_from_user(&usage, uarg, sizeof(usage)))
		return -EFAULT;
	if (usage.flags || usage.pad || usage.bytes || usage.objects ||
	    usage.max_bytes || usage.max_objects || usage.total_bytes ||
	    usage.max_total_bytes ||
	    memchr_inv(usage.reserved, 0, sizeof(usage.reserved)))
		return -EINVAL;
	spin_lock(&kipc_users_lock);
	u = kipc_user_find(&key);
	if (u) {
		usage.bytes = u->bytes;
		usage.objects = u->objects;
	}
	usage.total_bytes = kipc_total_bytes;
	spin_unlock(&kipc_users_lock);
	usage.max_bytes = READ_ONCE(max_user_bytes);
	usage.max_objects = READ_ONCE(max_user_objects);
	usage.max_total_bytes = READ_ONCE(max_total_bytes);
	if (copy_to_user(uarg, &usage, sizeof(usage)))
		return -EFAULT;
	return 0;
}

/* Users holding something now, for sysfs. */
unsigned int kipc_account_users(void)
{
	struct kipc_user *u;
	unsigned int n = 0;
	int bkt;

	spin_lock(&kipc_users_lock);
	hash_for_each(kipc_users, bkt, u, node)
		n++;
	spin_unlock(&kipc_users_lock);
	return n;
}

void kipc_account_init(void)
{
	if (!max_total_bytes)
		max_total_bytes = totalram_pages() / 2 * PAGE_SIZE;
}

/* Every object is gone by now; anything left is a bookkeeping bug. */
void kipc_account_exit(void)
{
	struct hlist_node *tmp;
	struct kipc_user *u;
	int bkt;

	spin_lock(&kipc_users_lock);
	WARN_ONCE(kipc_total_bytes, "kipc: %zu bytes still charged\n",
		  kipc_total_bytes);
	hash_for_each_safe(kipc_users, bkt, tmp, u, node) {
		WARN_ONCE(1, "kipc: %zu bytes, %u objects still charged\n",
			  u->bytes, u->objects);
		hash_del(&u->node);
		kfree(u);
	}
	spin_unlock(&kipc_users_lock);
}
