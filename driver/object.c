// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc objects: creation, reference counting and their file descriptors.
 *
 * Every descriptor is an anon-inode file holding one reference. A mapping
 * holds its file, so an object lives while it is named, open or mapped.
 *
 * Every live object is in kipc_objects, keyed by its id, for KIPC_IOC_LIST
 * and KIPC_IOC_STAT. The xarray's lock orders an object's removal (first
 * thing of its release) before its memory is freed, so a reference taken
 * with kref_get_unless_zero() under that lock is always on live memory.
 */

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "kipc.h"
#include "trace.h"

/* Live objects; shown in sysfs so tests can prove nothing leaks. */
atomic_t kipc_objects_live = ATOMIC_INIT(0);

/* The last object id handed out; 64 bits never wrap. */
static atomic64_t kipc_last_id = ATOMIC64_INIT(0);

static DEFINE_XARRAY(kipc_objects);

static const struct kipc_type *const kipc_types[] = {
	&kipc_shm_type,
	&kipc_sem_type,
	&kipc_lock_type,
	&kipc_rlock_type,
	&kipc_event_type,
	&kipc_barrier_type,
	&kipc_cond_type,
	&kipc_channel_type,
};

const struct kipc_type *kipc_type_find(u32 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kipc_types); i++)
		if (kipc_types[i]->type == type)
			return kipc_types[i];
	return NULL;
}

/*
 * Object sizes are size_t and vmalloc's unsigned long; both must hold any
 * u64 a type accepts, so kipc builds for 64-bit kernels only.
 */
static_assert(sizeof(size_t) == sizeof(u64) &&
	      sizeof(unsigned long) == sizeof(u64),
	      "kipc needs a 64-bit kernel");

/*
 * Object memory, zeroed and charged to the caller's memory cgroup. Pages
 * are mapped by kipc_vm_fault() one at a time, never by
 * remap_vmalloc_range(), so the area needs no VM_USERMAP (vmalloc_user()
 * differs only in that flag, SHMLBA alignment and the missing charge).
 * __GFP_RETRY_MAYFAIL: a full cgroup or machine fails the create with
 * ENOMEM rather than calling the OOM killer on behalf of userspace.
 */
static void *kipc_object_alloc_mem(size_t size)
{
	return __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO |
			 __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
}

struct kipc_object *kipc_object_create(const struct kipc_type *type,
				       const union kipc_params *params,
				       const char *name, umode_t mode)
{
	struct kipc_object *obj;
	s64 bytes;
	int ret;

	bytes = type->prepare(params);
	if (bytes < 0)
		return ERR_PTR(bytes);
	/* Also keeps PAGE_ALIGN() from wrapping. */
	if (!bytes || bytes > S64_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->kns = kipc_ns_current();
	if (IS_ERR(obj->kns)) {
		ret = PTR_ERR(obj->kns);
		kfree(obj);
		return ERR_PTR(ret);
	}
	kref_init(&obj->ref);
	obj->type = type;
	obj->params = *params;
	obj->size = PAGE_ALIGN(bytes);
	obj->owner_uid = current_euid();
	obj->owner_gid = current_egid();
	obj->mode = mode;
	obj->ctime_ns = ktime_get_real_ns();
	obj->id = atomic64_inc_return(&kipc_last_id);
	strscpy(obj->name, name, sizeof(obj->name));
	ida_init(&obj->ids);
	init_waitqueue_head(&obj->wq);
	init_waitqueue_head(&obj->poll_wq);
	kipc_uring_init(obj);

	ret = kipc_account_charge(&obj->charge, obj->size, 1);
	if (ret)
		goto err_free;
	obj->mem = kipc_object_alloc_mem(obj->size);
	if (!obj->mem) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	ret = type->init(obj);
	if (ret)
		goto err_vfree;
	ret = xa_insert(&kipc_objects, obj->id, obj, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_destroy;
	atomic_inc(&kipc_objects_live);
	trace_kipc_object_create(obj->id, type->type, obj->size,
				 from_kuid(&init_user_ns, obj->owner_uid));
	return obj;

err_destroy:
	if (type->destroy)
		type->destroy(obj);
err_vfree:
	vfree(obj->mem);
err_uncharge:
	kipc_account_uncharge(&obj->charge);
err_free:
	kipc_ns_put_ref(obj->kns);
	kfree(obj);
	return ERR_PTR(ret);
}

void kipc_object_get(struct kipc_object *obj)
{
	kref_get(&obj->ref);
}

static void kipc_object_release(struct kref *ref)
{
	struct kipc_object *obj = container_of(ref, struct kipc_object, ref);

	xa_erase(&kipc_objects, obj->id);
	trace_kipc_object_destroy(obj->id, obj->type->type);
	kipc_uring_release(obj);
	if (obj->type->destroy)
		obj->type->destroy(obj);
	vfree(obj->mem);
	kipc_account_uncharge(&obj->charge);
	ida_destroy(&obj->ids);
	kipc_ns_put_ref(obj->kns);
	kfree(obj);
	atomic_dec(&kipc_objects_live);
}

/* Object @id of namespace @kns, with a reference; NULL if there is none. */
struct kipc_object *kipc_object_find(u64 id, const struct kipc_ns *kns)
{
	struct kipc_object *obj;

	xa_lock(&kipc_objects);
	obj = xa_load(&kipc_objects, id);
	if (obj && (obj->kns != kns || !kref_get_unless_zero(&obj->ref)))
		obj = NULL;
	xa_unlock(&kipc_objects);
	return obj;
}

/**
 * kipc_objects_gather() - take references on the next objects of a namespace
 * @kns:    the namespace
 * @type:   KIPC_TYPE_* to take only those, or 0
 * @pos:    in: the first id to look at; out: the first id not looked at,
 *          or 0 when there is none
 * @batch:  filled with referenced objects, in increasing id order
 * @max:    room at @batch
 * @budget: most objects to look at, decremented per object looked at
 *
 * Return: the objects put in @batch.
 */
unsigned int kipc_objects_gather(const struct kipc_ns *kns, u32 type, u64 *pos,
				 struct kipc_object **batch, unsigned int max,
				 unsigned int *budget)
{
	unsigned long index = *pos;
	struct kipc_object *obj;
	unsigned int n = 0;

	*pos = 0;
	xa_lock(&kipc_objects);
	xa_for_each_start(&kipc_objects, index, obj, index) {
		if (n == max || !*budget) {
			*pos = index;
			break;
		}
		--*budget;
		if (obj->kns != kns || (type && obj->type->type != type))
			continue;
		if (kref_get_unless_zero(&obj->ref))
			batch[n++] = obj;
	}
	xa_unlock(&kipc_objects);
	return n;
}

void kipc_object_put(struct kipc_object *obj)
{
	kref_put(&obj->ref, kipc_object_release);
}

static int kipc_obj_release(struct inode *inode, struct file *file)
{
	struct kipc_object *obj = file->private_data;

	if (obj->type->release)
		obj->type->release(obj, file);
	kipc_object_put(obj);
	return 0;
}

static int kipc_obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	return kipc_object_mmap(file->private_data, vma);
}

static __poll_t kipc_obj_poll(struct file *file, struct poll_table_struct *pt)
{
	struct kipc_object *obj = file->private_data;

	if (!obj->type->poll)
		return DEFAULT_POLLMASK;
	return obj->type->poll(obj, file, pt);
}

static ssize_t kipc_obj_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kipc_object *obj = iocb->ki_filp->private_data;

	if (!obj->type->read_iter)
		return -EINVAL;
	return obj->type->read_iter(iocb, to);
}

static ssize_t kipc_obj_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kipc_object *obj = iocb->ki_filp->private_data;

	if (!obj->type->write_iter)
		return -EINVAL;
	return obj->type->write_iter(iocb, from);
}

static long kipc_ioc_info(struct kipc_object *obj, struct kipc_info __user *uarg)
{
	struct kipc_info info;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags || memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.type = obj->type->type;
	info.flags = obj->name[0] ? KIPC_INFO_NAMED : 0;
	info.size = obj->size;
	info.params = obj->params;
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * Fill @st with what the kernel knows of @obj: the common fields here,
 * the type's statistics through its ->stat. The caller checked that it
 * may see @obj.
 */
int kipc_object_stat(struct kipc_object *obj, struct kipc_stat *st)
{
	struct user_namespace *ns = current_user_ns();

	memset(st, 0, sizeof(*st));
	st->id = obj->id;
	st->type = obj->type->type;
	if (obj->name[0])
		st->flags |= KIPC_STAT_NAMED;
	if (READ_ONCE(obj->linked))
		st->flags |= KIPC_STAT_LINKED;
	st->uid = from_kuid_munged(ns, obj->owner_uid);
	st->gid = from_kgid_munged(ns, obj->owner_gid);
	st->mode = obj->mode;
	st->name_len = strscpy(st->name, obj->name, sizeof(st->name));
	st->ctime_ns = obj->ctime_ns;
	st->size = obj->size;
	st->kmem = obj->size;
	st->mappings = atomic_read(&obj->mappings);
	st->sleepers = kipc_wait_sleepers(obj);
	st->uring_pending = atomic_read(&obj->uring.active);
	st->waits = atomic64_read(&obj->waits);
	st->wakes = atomic64_read(&obj->wakes);
	st->params = obj->params;
	if (obj->type->stat)
		obj->type->stat(obj, st);
	return 0;
}

/* KIPC_OBJ_IOC_STAT: the holder of a descriptor may always look. */
static long kipc_ioc_obj_stat(struct kipc_object *obj,
			      struct kipc_stat_query __user *uarg)
{
	struct kipc_stat_query q;
	struct kipc_stat *st;
	long ret;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.version != KIPC_STAT_VERSION || q.flags || q.id || q.name ||
	    q.name_len || q.pad || !q.stat ||
	    memchr_inv(q.reserved, 0, sizeof(q.reserved)))
		return -EINVAL;
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = kipc_object_stat(obj, st);
	if (!ret && copy_to_user(u64_to_user_ptr(q.stat), st, sizeof(*st)))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

static long kipc_obj_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct kipc_object *obj = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KIPC_OBJ_IOC_INFO:
		return kipc_ioc_info(obj, argp);
	case KIPC_OBJ_IOC_MAP_ID:
		return kipc_ioc_map_id(obj, argp);
	case KIPC_OBJ_IOC_WAIT:
		return kipc_ioc_wait(obj, argp);
	case KIPC_OBJ_IOC_WAKE:
		return kipc_ioc_wake(obj, argp);
	case KIPC_OBJ_IOC_WATCH:
		return kipc_ioc_watch(obj, argp);
	case KIPC_OBJ_IOC_STAT:
		return kipc_ioc_obj_stat(obj, argp);
	}
	if (obj->type->ioctl)
		return obj->type->ioctl(obj, file, cmd, arg);
	return -ENOTTY;
}

/* What fdinfo escapes in a name (as \ooo): backslash and every control. */
static const char kipc_name_esc[] = "\\\x7f"
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";

static void kipc_obj_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_object *obj = file->private_data;

	seq_printf(m, "kipc-id:\t%llu\n", obj->id);
	seq_printf(m, "kipc-type:\t%s\n", obj->type->name);
	/* Names have no control character; escape anyway, and '\\'. */
	seq_puts(m, "kipc-name:\t");
	seq_escape(m, obj->name, kipc_name_esc);
	seq_putc(m, '\n');
	seq_printf(m, "kipc-size:\t%zu\n", obj->size);
	seq_printf(m, "kipc-mappings:\t%d\n", atomic_read(&obj->mappings));
	seq_printf(m, "kipc-sleepers:\t%u\n", kipc_wait_sleepers(obj));
	if (obj->type->show_fdinfo)
		obj->type->show_fdinfo(obj, m);
	if (obj->type->show_file)
		obj->type->show_file(obj, file, m);
}

static const struct file_operations kipc_object_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_obj_release,
	.mmap		= kipc_obj_mmap,
	.poll		= kipc_obj_poll,
	.read_iter	= kipc_obj_read_iter,
	.write_iter	= kipc_obj_write_iter,
	.unlocked_ioctl	= kipc_obj_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_obj_show_fdinfo,
	.uring_cmd	= kipc_uring_cmd,
};

/*
 * A new file on @obj (not yet a descriptor), holding its own reference.
 * Only KIPC_FD_NONBLOCK of @fd_flags matters here.
 */
struct file *kipc_object_getfile(struct kipc_object *obj, u32 fd_flags)
{
	struct file *file;
	int flags = O_RDWR;

	if (fd_flags & KIPC_FD_NONBLOCK)
		flags |= O_NONBLOCK;
	kipc_object_get(obj);
	file = anon_inode_getfile(obj->type->name, &kipc_object_fops, obj, flags);
	if (IS_ERR(file)) {
		kipc_object_put(obj);
		return file;
	}
	if (obj->type->fmode_nowait)
		file->f_mode |= FMODE_NOWAIT;
	return file;
}

/*
 * Give the caller a new descriptor on @obj. Takes a reference for the file;
 * the caller keeps its own.
 */
int kipc_object_install_fd(struct kipc_object *obj, u32 fd_flags)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(fd_flags & KIPC_FD_INHERIT ? 0 : O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = kipc_object_getfile(obj, fd_flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

/* Is @file an object's descriptor (not the device, a watch or another's)? */
bool kipc_is_object_file(const struct file *file)
{
	return file->f_op == &kipc_object_fops;
}
