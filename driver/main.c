// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc: the control device, /dev/kipc.
 *
 * Opening /dev/kipc gives a handle on which userspace performs the API
 * handshake and, in later versions, creates and opens objects. Each object
 * is handed out as its own file descriptor, so this file only dispatches.
 */

#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/kipc.h>

#include "kipc.h"

/* Features this build implements in full; see KIPC_FEATURE_* in the UAPI. */
#define KIPC_FEATURES	(KIPC_FEATURE_SHM | KIPC_FEATURE_CHANNEL | \
			 KIPC_FEATURE_SYNC | KIPC_FEATURE_URING_CMD | \
			 KIPC_FEATURE_WATCH | KIPC_FEATURE_LIST)

/*
 * Open /dev/kipc files. Exposed in sysfs so that tests can prove that every
 * open is matched by a release.
 */
static atomic_t kipc_open_files = ATOMIC_INIT(0);

static int kipc_dev_open(struct inode *inode, struct file *file)
{
	atomic_inc(&kipc_open_files);
	return nonseekable_open(inode, file);
}

static int kipc_dev_release(struct inode *inode, struct file *file)
{
	atomic_dec(&kipc_open_files);
	return 0;
}

static long kipc_ioc_api(struct kipc_api __user *uapi)
{
	struct kipc_api api;

	if (copy_from_user(&api, uapi, sizeof(api)))
		return -EFAULT;
	if (!api.version || api.flags || api.features ||
	    memchr_inv(api.reserved, 0, sizeof(api.reserved)))
		return -EINVAL;

	api.version = KIPC_API_VERSION;
	api.features = KIPC_FEATURES;
	if (copy_to_user(uapi, &api, sizeof(api)))
		return -EFAULT;
	return 0;
}

static long kipc_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KIPC_IOC_API:
		return kipc_ioc_api(argp);
	case KIPC_IOC_CREATE:
		return kipc_ioc_create(argp);
	case KIPC_IOC_OPEN:
		return kipc_ioc_open(argp);
	case KIPC_IOC_UNLINK:
		return kipc_ioc_unlink(argp);
	case KIPC_IOC_WAIT_ANY:
		return kipc_sync_ioc_wait_any(argp);
	case KIPC_IOC_PIPE:
		return kipc_ioc_pipe(argp);
	case KIPC_IOC_LIST:
		return kipc_ioc_list(argp);
	case KIPC_IOC_STAT:
		return kipc_ioc_stat(argp);
	case KIPC_IOC_HOLDERS:
		return kipc_ioc_holders(argp);
	case KIPC_IOC_USAGE:
		return kipc_ioc_usage(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kipc_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= kipc_dev_open,
	.release	= kipc_dev_release,
	.unlocked_ioctl	= kipc_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static ssize_t open_files_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&kipc_open_files));
}
static DEVICE_ATTR_RO(open_files);

static ssize_t objects_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&kipc_objects_live));
}
static DEVICE_ATTR_RO(objects);

static ssize_t names_show(struct device *dev,
			  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&kipc_names_live));
}
static DEVICE_ATTR_RO(names);

/* Bytes of object and large-message memory charged now (account.c). */
static ssize_t charged_bytes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n", kipc_account_total());
}
static DEVICE_ATTR_RO(charged_bytes);

/* Users holding a charge now. */
static ssize_t charged_users_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kipc_account_users());
}
static DEVICE_ATTR_RO(charged_users);

static struct attribute *kipc_dev_attrs[] = {
	&dev_attr_open_files.attr,
	&dev_attr_objects.attr,
	&dev_attr_names.attr,
	&dev_attr_charged_bytes.attr,
	&dev_attr_charged_users.attr,
	NULL
};
ATTRIBUTE_GROUPS(kipc_dev);

static struct miscdevice kipc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kipc",
	.fops	= &kipc_dev_fops,
	.groups	= kipc_dev_groups,
	/* Any user may create objects; per-object modes guard sharing. */
	.mode	= 0666,
};

static int __init kipc_init(void)
{
	int ret;

	kipc_account_init();
	ret = kipc_names_init();
	if (ret)
		return ret;
	ret = misc_register(&kipc_misc);
	if (ret)
		kipc_names_exit();
	return ret;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	/* No file or mapping is left (each pins the module); names may be. */
	kipc_names_exit();
	WARN_ON(atomic_read(&kipc_objects_live));
	kipc_account_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_AUTHOR("kipc developers");
MODULE_DESCRIPTION("Fast, crash-safe inter-process channels and synchronisation");
MODULE_LICENSE("GPL");
