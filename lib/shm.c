// SPDX-License-Identifier: MIT
/* Shared-memory objects. */

#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include "libipc.h"
#include "private.h"

int kipc_shm_create(const char *name, size_t size, __u32 flags, mode_t mode)
{
	struct kipc_create args = {
		.type = KIPC_TYPE_SHM,
		.flags = flags,
		.mode = mode,
		.params.shm.size = size,
	};
	int ret;

	if (name) {
		ret = kipc__set_name(&args.name, &args.name_len, name);
		if (ret)
			return ret;
	}
	return kipc_object_create(&args);
}

int kipc_shm_open(const char *name)
{
	return kipc_object_open(name, KIPC_TYPE_SHM, 0);
}

int kipc_shm_unlink(const char *name)
{
	return kipc_object_unlink(name);
}

int kipc_shm_map(int fd, void **addr, size_t *size)
{
	struct kipc_info info;
	void *p;
	int ret;

	ret = kipc_object_info(fd, &info);
	if (ret)
		return ret;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	*size = info.size;
	return 0;
}

int kipc_shm_unmap(void *addr, size_t size)
{
	return munmap(addr, size) ? -errno : 0;
}
