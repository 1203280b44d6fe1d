// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared-memory objects: zero-filled memory to map, nothing more. All the
 * work (naming, permissions, lifetime, mapping) is the core's.
 */

#include <linux/string.h>

#include "kipc.h"

static s64 kipc_shm_prepare(const union kipc_params *params)
{
	const struct kipc_shm_params *p = &params->shm;

	if (!p->size || p->size > KIPC_SHM_MAX_SIZE ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	return p->size;
}

static int kipc_shm_init(struct kipc_object *obj)
{
	return 0;
}

const struct kipc_type kipc_shm_type = {
	.name		= "kipc-shm",
	.type		= KIPC_TYPE_SHM,
	.prepare	= kipc_shm_prepare,
	.init		= kipc_shm_init,
};
