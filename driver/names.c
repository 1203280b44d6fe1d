// SPDX-License-Identifier: GPL-2.0-only
/*
 * Creating and opening objects, and their names.
 *
 * Names work like POSIX message queue names: scoped to the creator's IPC
 * namespace, with an owner, a group and a mode checked on open. A name
 * holds a reference on its object, so an object lives until it is unlinked
 * and its last descriptor and mapping are gone - or until its namespace is
 * gone: a namespace that only we still reference can never be entered
 * again, so its names are dropped (checked on every create, open and
 * unlink).
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>

#include "kipc.h"

/* An IPC namespace that has names; holds one reference on it. */
struct kipc_ns {
	struct list_head node;
	struct ipc_namespace *ns;
	unsigned int names;
};

struct kipc_name {
	struct hlist_node node;
	struct kipc_ns *kns;
	struct kipc_object *obj;
	u32 hash;
};

/*
 * kipc_names_lock protects kipc_names, kipc_namespaces and every kipc_name
 * and kipc_ns in them.
 */
static DEFINE_MUTEX(kipc_names_lock);
static DEFINE_HASHTABLE(kipc_names, 8);
static LIST_HEAD(kipc_namespaces);

/* Linked names; shown in sysfs so tests can prove nothing is left over. */
atomic_t kipc_names_live = ATOMIC_INIT(0);

/* put_ipc_ns() is not exported; the namespace's own operations reach it. */
static void kipc_ns_put(struct ipc_namespace *ns)
{
#ifdef CONFIG_IPC_NS
	ns->ns.ops->put(&ns->ns);
#endif
}

/* The kipc_ns of the caller's namespace, made if needed; NULL if no memory. */
static struct kipc_ns *kipc_ns_current(void)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct kipc_ns *kns;

	lockdep_assert_held(&kipc_names_lock);
	list_for_each_entry(kns, &kipc_namespaces, node)
		if (kns->ns == ns)
			return kns;
	kns = kzalloc(sizeof(*kns), GFP_KERNEL);
	if (!kns)
		return NULL;
	kns->ns = get_ipc_ns(ns);
	list_add(&kns->node, &kipc_namespaces);
	return kns;
}

static void kipc_ns_release_if_unused(struct kipc_ns *kns)
{
	lockdep_assert_held(&kipc_names_lock);
	if (kns->names)
		return;
	list_del(&kns->node);
	kipc_ns_put(kns->ns);
	kfree(kns);
}

/*
 * A kernel copy of a name from userspace (kfree it), or an ERR_PTR. Names
 * hold no control character (a byte below 0x20, or 0x7f): they are shown
 * one per line, and no name can pass for another line.
 */
static char *kipc_name_dup(u64 uname, u32 len)
{
	char *name;
	u32 i;

	if (!len)
		return ERR_PTR(-EINVAL);
	if (len > KIPC_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	name = memdup_user_nul(u64_to_user_ptr(uname), len);
	if (IS_ERR(name))
		return name;
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			kfree(name);
			return ERR_PTR(-EINVAL);
		}
	}
	return name;
}

static u32 kipc_name_hash(struct ipc_namespace *ns, const char *name, u32 len)
{
	return full_name_hash(ns, name, len);
}

static struct kipc_name *kipc_name_find(struct ipc_namespace *ns,
					const char *name, u32 len)
{
	u32 hash = kipc_name_hash(ns, name, len);
	struct kipc_name *ent;

	lockdep_assert_held(&kipc_names_lock);
	hash_for_each_possible(kipc_names, ent, node, hash)
		if (ent->hash == hash && ent->kns->ns == ns &&
		    !strcmp(ent->obj->name, name))
			return ent;
	return NULL;
}

/* Read and write permission, as the IPC objects check it. */
static bool kipc_may_open(struct kipc_object *obj, struct ipc_namespace *ns)
{
	umode_t mode = obj->mode;

	if (uid_eq(current_euid(), obj->owner_uid))
		mode >>= 6;
	else if (in_egroup_p(obj->owner_gid))
		mode >>= 3;
	if ((mode & 0006) == 0006)
		return true;
	return ns_capable(ns->user_ns, CAP_IPC_OWNER);
}

static bool kipc_may_unlink(struct kipc_object *obj, struct ipc_namespace *ns)
{
	return uid_eq(current_euid(), obj->owner_uid) ||
	       ns_capable(ns->user_ns, CAP_IPC_OWNER);
}

static int kipc_check_fd_flags(u32 fd_flags)
{
	return fd_flags & ~(KIPC_FD_INHERIT | KIPC_FD_NONBLOCK) ? -EINVAL : 0;
}

static void kipc_name_remove(struct kipc_name *ent)
{
	struct kipc_ns *kns = ent->kns;

	lockdep_assert_held(&kipc_names_lock);
	hash_del(&ent->node);
	atomic_dec(&kipc_names_live);
	kipc_object_put(ent->obj);
	kfree(ent);
	kns->names--;
	kipc_ns_release_if_unused(kns);
}

/*
 * Drop the names of namespaces nobody but us references: no task is in
 * them and no nsfs file or mount holds them, so they cannot be entered.
 *
 * Without CONFIG_IPC_NS there is one namespace, init_ipc_ns, which lives
 * for ever, and get_ipc_ns() takes no reference: its count stays at the
 * static 1 and would read as "only us". So nothing is ever collected then.
 * With CONFIG_IPC_NS init_ipc_ns keeps its static reference besides ours
 * and is never collected either.
 */
static void kipc_names_collect(void)
{
	struct kipc_ns *kns, *next_kns;
	struct hlist_node *tmp;
	struct kipc_name *ent;
	int bkt;

	lockdep_assert_held(&kipc_names_lock);
	if (!IS_ENABLED(CONFIG_IPC_NS))
		return;
	list_for_each_entry_safe(kns, next_kns, &kipc_namespaces, node) {
		if (refcount_read(&kns->ns->ns.count) != 1)
			continue;
		/* Removing its last name frees kns: stop before that. */
		hash_for_each_safe(kipc_names, bkt, tmp, ent, node) {
			if (ent->kns != kns)
				continue;
			if (kns->names == 1) {
				kipc_name_remove(ent);
				break;
			}
			kipc_name_remove(ent);
		}
	}
}

/* The caller's name, after dropping those of dead namespaces. */
static struct kipc_name *kipc_name_lookup(const char *name, u32 len)
{
	lockdep_assert_held(&kipc_names_lock);
	kipc_names_collect();
	return kipc_name_find(current->nsproxy->ipc_ns, name, len);
}

static long kipc_create_anonymous(const struct kipc_type *type,
				  struct kipc_create *arg)
{
	struct kipc_object *obj;
	int fd;

	if (arg->name_len || arg->mode || arg->flags)
		return -EINVAL;
	obj = kipc_object_create(type, &arg->params, "", 0);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	fd = kipc_object_install_fd(obj, arg->fd_flags);
	kipc_object_put(obj);
	return fd;
}

long kipc_ioc_create(struct kipc_create __user *uarg)
{
	const struct kipc_type *type;
	struct ipc_namespace *ns;
	struct kipc_object *obj;
	struct kipc_name *ent, *ent_found;
	struct kipc_create arg;
	char *name;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~KIPC_CREATE_EXCL || arg.pad || arg.mode & ~0777 ||
	    kipc_check_fd_flags(arg.fd_flags) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	type = kipc_type_find(arg.type);
	if (!type)
		return -EINVAL;
	if (!arg.name)
		return kipc_create_anonymous(type, &arg);
	/* Parameters are checked even when the name turns out to exist. */
	ret = type->prepare(&arg.params);
	if (ret < 0)
		return ret;

	name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(name))
		return PTR_ERR(name);
	ent = kzalloc(sizeof(*ent), GFP_KERNEL);
	ret = -ENOMEM;
	if (!ent)
		goto out_free;

	ns = current->nsproxy->ipc_ns;
	mutex_lock(&kipc_names_lock);
	ent_found = kipc_name_lookup(name, arg.name_len);
	if (ent_found) {
		obj = ent_found->obj;
		/* Permission first: a stranger learns nothing of the type. */
		if (arg.flags & KIPC_CREATE_EXCL)
			ret = -EEXIST;
		else if (!kipc_may_open(obj, ns))
			ret = -EACCES;
		else if (obj->type != type)
			ret = -EINVAL;
		else
			ret = kipc_object_install_fd(obj, arg.fd_flags);
		goto out_unlock;
	}

	ent->kns = kipc_ns_current();
	if (!ent->kns) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	obj = kipc_object_create(type, &arg.params, name,
				 arg.mode & ~current_umask());
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_release_ns;
	}
	ret = kipc_object_install_fd(obj, arg.fd_flags);
	if (ret < 0) {
		kipc_object_put(obj);
		goto out_release_ns;
	}
	/* The name takes over our reference. */
	ent->obj = obj;
	ent->hash = kipc_name_hash(ns, name, arg.name_len);
	ent->kns->names++;
	hash_add(kipc_names, &ent->node, ent->hash);
	atomic_inc(&kipc_names_live);
	mutex_unlock(&kipc_names_lock);
	kfree(name);
	return ret;

out_release_ns:
	kipc_ns_release_if_unused(ent->kns);
out_unlock:
	mutex_unlock(&kipc_names_lock);
out_free:
	kfree(ent);
	kfree(name);
	return ret;
}

long kipc_ioc_open(struct kipc_open __user *uarg)
{
	struct ipc_namespace *ns;
	struct kipc_open arg;
	struct kipc_name *ent;
	char *name;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || kipc_check_fd_flags(arg.fd_flags) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    !kipc_type_find(arg.type))
		return -EINVAL;
	name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(name))
		return PTR_ERR(name);

	ns = current->nsproxy->ipc_ns;
	mutex_lock(&kipc_names_lock);
	ent = kipc_name_lookup(name, arg.name_len);
	if (!ent)
		ret = -ENOENT;
	else if (!kipc_may_open(ent->obj, ns))
		ret = -EACCES;
	else if (ent->obj->type->type != arg.type)
		ret = -EINVAL;
	else
		ret = kipc_object_install_fd(ent->obj, arg.fd_flags);
	mutex_unlock(&kipc_names_lock);
	kfree(name);
	return ret;
}

long kipc_ioc_unlink(struct kipc_unlink __user *uarg)
{
	struct ipc_namespace *ns;
	struct kipc_unlink arg;
	struct kipc_name *ent;
	char *name;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(name))
		return PTR_ERR(name);

	ns = current->nsproxy->ipc_ns;
	mutex_lock(&kipc_names_lock);
	ent = kipc_name_lookup(name, arg.name_len);
	ret = 0;
	if (!ent)
		ret = -ENOENT;
	else if (!kipc_may_unlink(ent->obj, ns))
		ret = -EACCES;
	else
		kipc_name_remove(ent);
	mutex_unlock(&kipc_names_lock);
	kfree(name);
	return ret;
}

/* Module unload: names do not pin the module; their objects go with it. */
void kipc_names_exit(void)
{
	struct hlist_node *tmp;
	struct kipc_name *ent;
	int bkt;

	mutex_lock(&kipc_names_lock);
	hash_for_each_safe(kipc_names, bkt, tmp, ent, node)
		kipc_name_remove(ent);
	mutex_unlock(&kipc_names_lock);
}
