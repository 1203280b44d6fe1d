// SPDX-License-Identifier: GPL-2.0-only
/*
 * Creating and opening objects, and their names.
 *
 * Names work like POSIX message queue names: scoped to the creator's IPC
 * namespace, with an owner, a group and a mode checked on open. A name
 * holds a reference on its object, so an object lives until it is unlinked
 * and its last descriptor and mapping are gone - or until its namespace is
 * gone: a namespace that only we still reference can never be entered
 * again, so its names are dropped (a few namespaces are checked on every
 * create, open and unlink, and every KIPC_NS_SWEEP_PERIOD).
 *
 * Every object, named or not, belongs to the namespace it was made in
 * (its kipc_ns), which is what KIPC_IOC_LIST shows. Objects hold a
 * reference on their kipc_ns, not on the namespace: once the namespace is
 * dead its kipc_ns is unhashed and lets the namespace go, and its
 * remaining objects (anonymous ones, held by descriptors that went
 * elsewhere) are listed nowhere.
 *
 * The names lock only guards the tables: objects are made before it is
 * taken and freed after it is dropped, so one user's gigabyte object never
 * stalls another user's names.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/rhashtable.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "kipc.h"

/*
 * An IPC namespace that has had objects. While hashed (@ns not NULL) it
 * holds one reference on the namespace, and the table holds one on it
 * (@ref), dropped when the namespace is found dead. Each of its objects
 * holds a reference too; it is freed with the last, always unhashed by
 * then, so a lookup under the names lock never meets a dying one.
 */
struct kipc_ns {
	struct kref ref;
	struct rhash_head node;		/* in kipc_nss, keyed by @ns */
	struct ipc_namespace *ns;	/* NULL once unhashed */
	struct list_head sweep;		/* in kipc_ns_sweep */
	struct list_head names;		/* its kipc_name.ns_node */
	struct rcu_head rcu;
};

/* A linked name; holds one reference on its object. */
struct kipc_name {
	struct rhash_head node;		/* in kipc_names, keyed by ns and name */
	struct list_head ns_node;	/* in kns->names; then on a dead list */
	struct kipc_ns *kns;
	struct kipc_object *obj;	/* obj->name is the name */
	u32 len;
	struct rcu_head rcu;
};

struct kipc_name_key {
	const struct ipc_namespace *ns;
	const char *name;
	u32 len;
};

/*
 * kipc_names_lock serialises every change to kipc_names, kipc_nss and
 * kipc_ns_sweep and every lookup that may lead to one (so a lookup and the
 * insert after it are atomic), and protects kipc_ns.sweep, kipc_ns.names
 * and kipc_name.ns_node. It is taken for table work only: never across
 * making an object or dropping an object reference (those allocate and
 * free up to KIPC_SHM_MAX_SIZE bytes), nor across installing a descriptor.
 * The rhashtables have their own bucket locks, nested inside it. Entries
 * are freed after an RCU grace period, as rhashtable asks.
 */
static DEFINE_MUTEX(kipc_names_lock);
static struct rhashtable kipc_names;
static struct rhashtable kipc_nss;
static LIST_HEAD(kipc_ns_sweep);

/* Namespaces checked for death per name operation, oldest checked first. */
#define KIPC_NS_SWEEP	8

/* Names of dead namespaces unhashed per name operation, at most. */
#define KIPC_NAMES_REAP	64

/*
 * Without name operations, dead namespaces are looked for this often, so
 * that anonymous objects do not keep a dead namespace (and the SysV
 * objects in it) for long.
 */
#define KIPC_NS_SWEEP_PERIOD	(10 * HZ)

static void kipc_ns_sweep_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kipc_ns_sweep_work, kipc_ns_sweep_fn);

/* Linked names; shown in sysfs so tests can prove nothing is left over. */
atomic_t kipc_names_live = ATOMIC_INIT(0);

static u32 kipc_name_hash(const struct ipc_namespace *ns, const char *name,
			  u32 len, u32 seed)
{
	return jhash(name, len, seed ^ hash_ptr(ns, 32));
}

static u32 kipc_name_key_hash(const void *data, u32 len, u32 seed)
{
	const struct kipc_name_key *key = data;

	return kipc_name_hash(key->ns, key->name, key->len, seed);
}

static u32 kipc_name_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct kipc_name *ent = data;

	return kipc_name_hash(ent->kns->ns, ent->obj->name, ent->len, seed);
}

static int kipc_name_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kipc_name_key *key = arg->key;
	const struct kipc_name *ent = obj;

	return ent->kns->ns != key->ns || ent->len != key->len ||
	       memcmp(ent->obj->name, key->name, key->len);
}

static const struct rhashtable_params kipc_names_params = {
	.head_offset = offsetof(struct kipc_name, node),
	.key_len = sizeof(struct kipc_name_key),
	.hashfn = kipc_name_key_hash,
	.obj_hashfn = kipc_name_obj_hash,
	.obj_cmpfn = kipc_name_cmp,
	.automatic_shrinking = true,
};

static const struct rhashtable_params kipc_nss_params = {
	.head_offset = offsetof(struct kipc_ns, node),
	.key_offset = offsetof(struct kipc_ns, ns),
	.key_len = sizeof(struct ipc_namespace *),
	.automatic_shrinking = true,
};

/*
 * The initial IPC namespace, which never dies (init_ipc_ns is not
 * exported; the first task's never changes).
 */
static bool kipc_ns_is_init(const struct ipc_namespace *ns)
{
	return ns == init_task.nsproxy->ipc_ns;
}

/* put_ipc_ns() is not exported; the namespace's own operations reach it. */
static void kipc_ns_put(struct ipc_namespace *ns)
{
#ifdef CONFIG_IPC_NS
	ns->ns.ops->put(&ns->ns);
#endif
}

/*
 * The kipc_ns of @ns: the existing one, else *@spare (which then becomes
 * NULL), else NULL when inserting it failed.
 */
static struct kipc_ns *kipc_ns_get(struct ipc_namespace *ns,
				   struct kipc_ns **spare)
{
	struct kipc_ns *kns;

	lockdep_assert_held(&kipc_names_lock);
	kns = rhashtable_lookup_fast(&kipc_nss, &ns, kipc_nss_params);
	if (kns) {
		kref_get(&kns->ref);
		return kns;
	}
	kns = *spare;
	kref_init(&kns->ref);		/* the table's */
	kref_get(&kns->ref);		/* the caller's */
	kns->ns = ns;
	INIT_LIST_HEAD(&kns->names);
	if (rhashtable_insert_fast(&kipc_nss, &kns->node, kipc_nss_params))
		return NULL;
	get_ipc_ns(ns);
	list_add_tail(&kns->sweep, &kipc_ns_sweep);
	*spare = NULL;
	if (IS_ENABLED(CONFIG_IPC_NS) && !kipc_ns_is_init(ns))
		mod_delayed_work(system_wq, &kipc_ns_sweep_work,
				 KIPC_NS_SWEEP_PERIOD);
	return kns;
}

static void kipc_ns_free(struct kref *ref)
{
	struct kipc_ns *kns = container_of(ref, struct kipc_ns, ref);

	/* Names hold objects, which hold @kns: none is left. */
	WARN_ON_ONCE(!list_empty(&kns->names));
	kfree_rcu(kns, rcu);
}

/* Let the namespace go: nobody can find @kns any more. */
static void kipc_ns_unhash(struct kipc_ns *kns)
{
	lockdep_assert_held(&kipc_names_lock);
	if (!kns->ns)
		return;
	rhashtable_remove_fast(&kipc_nss, &kns->node, kipc_nss_params);
	list_del(&kns->sweep);
	kipc_ns_put(kns->ns);
	kns->ns = NULL;
	kref_put(&kns->ref, kipc_ns_free);
}

/* Drop an object's reference on its namespace. */
void kipc_ns_put_ref(struct kipc_ns *kns)
{
	kref_put(&kns->ref, kipc_ns_free);
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

static struct kipc_name *kipc_name_find(const struct kipc_name_key *key)
{
	lockdep_assert_held(&kipc_names_lock);
	return rhashtable_lookup_fast(&kipc_names, key, kipc_names_params);
}

/* Do @obj's mode bits give the caller read and write permission? */
bool kipc_mode_permits(const struct kipc_object *obj)
{
	umode_t mode = obj->mode;

	if (uid_eq(current_euid(), obj->owner_uid))
		mode >>= 6;
	else if (in_egroup_p(obj->owner_gid))
		mode >>= 3;
	return (mode & 0006) == 0006;
}

/* Read and write permission, as the IPC objects check it. */
static bool kipc_may_open(struct kipc_object *obj, struct ipc_namespace *ns)
{
	return kipc_mode_permits(obj) || ns_capable(ns->user_ns, CAP_IPC_OWNER);
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

/*
 * Unlink @ent and move it to @dead, for kipc_names_release() after the
 * lock is dropped.
 */
static void kipc_name_unhash(struct kipc_name *ent, struct list_head *dead)
{
	lockdep_assert_held(&kipc_names_lock);
	rhashtable_remove_fast(&kipc_names, &ent->node, kipc_names_params);
	WRITE_ONCE(ent->obj->linked, 0);
	list_move(&ent->ns_node, dead);
	atomic_dec(&kipc_names_live);
}

/* Drop the object references of unhashed names, without the names lock. */
static void kipc_names_release(struct list_head *dead)
{
	struct kipc_name *ent, *tmp;

	list_for_each_entry_safe(ent, tmp, dead, ns_node) {
		kipc_object_put(ent->obj);
		kfree_rcu(ent, rcu);
		cond_resched();
	}
}

/*
 * Unhash up to *@budget names of @kns (all of them for a NULL @budget),
 * then @kns itself. Returns true if @kns is unhashed.
 */
static bool kipc_ns_drop(struct kipc_ns *kns, struct list_head *dead,
			 unsigned int *budget)
{
	struct kipc_name *ent, *tmp;

	list_for_each_entry_safe(ent, tmp, &kns->names, ns_node) {
		if (budget && !*budget)
			return false;
		kipc_name_unhash(ent, dead);
		if (budget)
			--*budget;
	}
	kipc_ns_unhash(kns);
	return true;
}

/*
 * Move the names of namespaces nobody but us references to @dead: no task
 * is in them and no nsfs file or mount holds them, so they cannot be
 * entered. Up to KIPC_NS_SWEEP namespaces are checked and up to
 * KIPC_NAMES_REAP names unhashed per call, in turn, so that a call costs
 * the same however many namespaces and names are dead: the names lock
 * serialises everyone's name operations.
 *
 * Without CONFIG_IPC_NS there is one namespace, init_ipc_ns, which lives
 * for ever, and get_ipc_ns() takes no reference: its count stays at the
 * static 1 and would read as "only us". So nothing is ever collected then.
 * With CONFIG_IPC_NS init_ipc_ns keeps its static reference besides ours
 * and is never collected either.
 */
static void kipc_names_collect(struct list_head *dead)
{
	unsigned int n = 0, budget = KIPC_NAMES_REAP;
	struct kipc_ns *kns, *next;

	lockdep_assert_held(&kipc_names_lock);
	if (!IS_ENABLED(CONFIG_IPC_NS))
		return;
	list_for_each_entry_safe(kns, next, &kipc_ns_sweep, sweep) {
		if (n++ == KIPC_NS_SWEEP) {
			/* Start at the first one unchecked next time. */
			list_rotate_to_front(&kns->sweep, &kipc_ns_sweep);
			break;
		}
		if (refcount_read(&kns->ns->ns.count) != 1)
			continue;
		if (!kipc_ns_drop(kns, dead, &budget)) {
			/* Out of budget: go on with this one next time. */
			list_rotate_to_front(&kns->sweep, &kipc_ns_sweep);
			break;
		}
	}
}

/*
 * The object named @key, with a reference, if the caller may open it as a
 * @type; an ERR_PTR otherwise: -ENOENT if there is no such name. The
 * permission is checked before the type, so that a caller who may not
 * open the object learns nothing about it.
 */
static struct kipc_object *kipc_name_open(const struct kipc_name_key *key,
					  u32 type, bool excl)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct kipc_name *ent = kipc_name_find(key);

	if (!ent)
		return ERR_PTR(-ENOENT);
	if (excl)
		return ERR_PTR(-EEXIST);
	if (!kipc_may_open(ent->obj, ns))
		return ERR_PTR(-EACCES);
	if (ent->obj->type->type != type)
		return ERR_PTR(-EINVAL);
	kipc_object_get(ent->obj);
	return ent->obj;
}

/* kipc_name_open() after collecting dead namespaces, taking the lock. */
static struct kipc_object *kipc_name_open_locked(const struct kipc_name_key *key,
						 u32 type, bool excl)
{
	struct kipc_object *obj;
	LIST_HEAD(dead);

	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	obj = kipc_name_open(key, type, excl);
	mutex_unlock(&kipc_names_lock);
	kipc_names_release(&dead);
	return obj;
}

/*
 * The caller's namespace, with a reference for a new object: -ENOMEM if
 * it had no kipc_ns and making one failed.
 */
struct kipc_ns *kipc_ns_current(void)
{
	struct kipc_ns *kns, *spare;

	kns = kipc_ns_find_current();
	if (kns)
		return kns;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&kipc_names_lock);
	kns = kipc_ns_get(current->nsproxy->ipc_ns, &spare);
	mutex_unlock(&kipc_names_lock);
	kfree(spare);
	return kns ?: ERR_PTR(-ENOMEM);
}

/* The caller's namespace, with a reference, or NULL if it never had objects. */
struct kipc_ns *kipc_ns_find_current(void)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct kipc_ns *kns;

	mutex_lock(&kipc_names_lock);
	kns = rhashtable_lookup_fast(&kipc_nss, &ns, kipc_nss_params);
	if (kns)
		kref_get(&kns->ref);
	mutex_unlock(&kipc_names_lock);
	return kns;
}

/* Look for dead namespaces while there are namespaces besides init's. */
static void kipc_ns_sweep_fn(struct work_struct *work)
{
	struct kipc_ns *kns;
	bool again;
	LIST_HEAD(dead);

	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	again = false;
	list_for_each_entry(kns, &kipc_ns_sweep, sweep) {
		if (!kipc_ns_is_init(kns->ns)) {
			again = true;
			break;
		}
	}
	mutex_unlock(&kipc_names_lock);
	kipc_names_release(&dead);
	if (again)
		schedule_delayed_work(&kipc_ns_sweep_work, KIPC_NS_SWEEP_PERIOD);
}

/*
 * The object named @uname in the caller's namespace, with a reference,
 * whatever its type and permissions (the caller checks what it may see).
 */
struct kipc_object *kipc_name_lookup(u64 uname, u32 len)
{
	struct kipc_name_key key;
	struct kipc_object *obj;
	struct kipc_name *ent;

	key.ns = current->nsproxy->ipc_ns;
	key.len = len;
	key.name = kipc_name_dup(uname, len);
	if (IS_ERR(key.name))
		return ERR_CAST(key.name);
	mutex_lock(&kipc_names_lock);
	ent = kipc_name_find(&key);
	obj = ent ? ent->obj : ERR_PTR(-ENOENT);
	if (ent)
		kipc_object_get(obj);
	mutex_unlock(&kipc_names_lock);
	kfree(key.name);
	return obj;
}

/* A new descriptor on @obj, dropping the caller's reference. */
static int kipc_install_put(struct kipc_object *obj, u32 fd_flags)
{
	int fd = kipc_object_install_fd(obj, fd_flags);

	kipc_object_put(obj);
	return fd;
}

static long kipc_create_anonymous(const struct kipc_type *type,
				  struct kipc_create *arg)
{
	struct kipc_object *obj;

	if (arg->name_len || arg->mode || arg->flags)
		return -EINVAL;
	obj = kipc_object_create(type, &arg->params, "", 0);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return kipc_install_put(obj, arg->fd_flags);
}

/*
 * Link @obj (whose reference the name takes) as @key unless the name
 * exists. Returns NULL when linked; else what kipc_name_open() returned
 * for the existing name (the object that won a race), or -ENOMEM.
 */
static struct kipc_object *kipc_name_link(const struct kipc_name_key *key,
					  struct kipc_object *obj, bool excl)
{
	struct kipc_ns *kns = obj->kns;
	struct kipc_object *found;
	struct kipc_name *ent;
	LIST_HEAD(dead);

	ent = kzalloc(sizeof(*ent), GFP_KERNEL_ACCOUNT);
	if (!ent)
		return ERR_PTR(-ENOMEM);
	ent->obj = obj;
	ent->len = key->len;
	ent->kns = kns;

	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	found = kipc_name_open(key, obj->type->type, excl);
	if (PTR_ERR(found) != -ENOENT)
		goto out_unlock;
	/* @obj was made in the caller's namespace, alive while it is in it. */
	found = ERR_PTR(-ENOMEM);
	if (WARN_ON_ONCE(kns->ns != key->ns) ||
	    rhashtable_insert_fast(&kipc_names, &ent->node, kipc_names_params))
		goto out_unlock;
	list_add_tail(&ent->ns_node, &kns->names);
	WRITE_ONCE(obj->linked, 1);
	atomic_inc(&kipc_names_live);
	ent = NULL;
	found = NULL;
out_unlock:
	mutex_unlock(&kipc_names_lock);
	kipc_names_release(&dead);
	kfree(ent);
	return found;
}

long kipc_ioc_create(struct kipc_create __user *uarg)
{
	struct kipc_name_key key;
	const struct kipc_type *type;
	struct kipc_object *obj, *found;
	struct kipc_create arg;
	struct file *file;
	bool excl;
	long ret;
	int fd;

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

	key.ns = current->nsproxy->ipc_ns;
	key.len = arg.name_len;
	key.name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(key.name))
		return PTR_ERR(key.name);
	excl = arg.flags & KIPC_CREATE_EXCL;

	/* An existing name is opened without making an object first. */
	found = kipc_name_open_locked(&key, type->type, excl);
	if (PTR_ERR(found) != -ENOENT) {
		ret = IS_ERR(found) ? PTR_ERR(found) :
				      kipc_install_put(found, arg.fd_flags);
		goto out_free;
	}

	/*
	 * Make the object and its file unlocked: zeroing its memory may take
	 * long. The file is made before the name is linked, so that a linked
	 * name's creator never fails.
	 */
	fd = get_unused_fd_flags(arg.fd_flags & KIPC_FD_INHERIT ? 0 : O_CLOEXEC);
	ret = fd;
	if (fd < 0)
		goto out_free;
	obj = kipc_object_create(type, &arg.params, key.name,
				 arg.mode & ~current_umask());
	ret = PTR_ERR(obj);
	if (IS_ERR(obj))
		goto out_put_fd;
	file = kipc_object_getfile(obj, arg.fd_flags);
	ret = PTR_ERR(file);
	if (IS_ERR(file)) {
		kipc_object_put(obj);
		goto out_put_fd;
	}

	found = kipc_name_link(&key, obj, excl);
	if (!found) {
		fd_install(fd, file);
		kfree(key.name);
		return fd;
	}
	/* Lost a race with a create of the same name: open the winner. */
	fput(file);
	kipc_object_put(obj);
	ret = PTR_ERR(found);
	if (IS_ERR(found))
		goto out_put_fd;
	file = kipc_object_getfile(found, arg.fd_flags);
	kipc_object_put(found);
	ret = PTR_ERR(file);
	if (IS_ERR(file))
		goto out_put_fd;
	fd_install(fd, file);
	kfree(key.name);
	return fd;

out_put_fd:
	put_unused_fd(fd);
out_free:
	kfree(key.name);
	return ret;
}

long kipc_ioc_open(struct kipc_open __user *uarg)
{
	struct kipc_name_key key;
	struct kipc_object *obj;
	struct kipc_open arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || kipc_check_fd_flags(arg.fd_flags) ||
	    memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    !kipc_type_find(arg.type))
		return -EINVAL;
	key.ns = current->nsproxy->ipc_ns;
	key.len = arg.name_len;
	key.name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(key.name))
		return PTR_ERR(key.name);
	obj = kipc_name_open_locked(&key, arg.type, false);
	kfree(key.name);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return kipc_install_put(obj, arg.fd_flags);
}

long kipc_ioc_unlink(struct kipc_unlink __user *uarg)
{
	struct kipc_name_key key;
	struct kipc_unlink arg;
	struct kipc_name *ent;
	LIST_HEAD(dead);
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;
	key.ns = current->nsproxy->ipc_ns;
	key.len = arg.name_len;
	key.name = kipc_name_dup(arg.name, arg.name_len);
	if (IS_ERR(key.name))
		return PTR_ERR(key.name);

	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	ent = kipc_name_find(&key);
	if (!ent)
		ret = -ENOENT;
	else if (!kipc_may_unlink(ent->obj, current->nsproxy->ipc_ns))
		ret = -EACCES;
	else
		kipc_name_unhash(ent, &dead);
	mutex_unlock(&kipc_names_lock);
	/* The last reference may go here, and with it gigabytes. */
	kipc_names_release(&dead);
	kfree(key.name);
	return ret;
}

int kipc_names_init(void)
{
	int ret = rhashtable_init(&kipc_names, &kipc_names_params);

	if (ret)
		return ret;
	ret = rhashtable_init(&kipc_nss, &kipc_nss_params);
	if (ret)
		rhashtable_destroy(&kipc_names);
	return ret;
}

/* Module unload: names do not pin the module; their objects go with it. */
void kipc_names_exit(void)
{
	struct kipc_ns *kns, *next;
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&kipc_ns_sweep_work);
	mutex_lock(&kipc_names_lock);
	list_for_each_entry_safe(kns, next, &kipc_ns_sweep, sweep)
		kipc_ns_drop(kns, &dead, NULL);
	mutex_unlock(&kipc_names_lock);
	kipc_names_release(&dead);
	rhashtable_destroy(&kipc_nss);
	rhashtable_destroy(&kipc_names);
}
