// SPDX-License-Identifier: MIT
/* The control device: opening it and the API handshake. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libipc.h"

int kipc_lib_major(void)
{
	return KIPC_LIB_MAJOR;
}

int kipc_lib_minor(void)
{
	return KIPC_LIB_MINOR;
}

int kipc_dev_api(int dev_fd, struct kipc_api *api)
{
	return ioctl(dev_fd, KIPC_IOC_API, api) ? -errno : 0;
}

int kipc_dev_open(struct kipc_api *api)
{
	const char *path = secure_getenv("KIPC_DEVICE");
	struct kipc_api answer;
	int fd, ret;

	if (!path || !*path)
		path = KIPC_DEVICE_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&answer, 0, sizeof(answer));
	answer.version = KIPC_API_VERSION;
	ret = kipc_dev_api(fd, &answer);
	if (ret == -ENOTTY || ret == -EINVAL)
		ret = -ENODEV;
	else if (!ret && answer.version < KIPC_API_VERSION)
		ret = -EPROTONOSUPPORT;
	if (ret) {
		close(fd);
		return ret;
	}
	if (api)
		*api = answer;
	return fd;
}
