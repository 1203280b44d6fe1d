// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc: every object the caller may see, in one array (ls and top).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "kipc.h"

static int collect(const struct kipc_stat *st, void *arg)
{
	struct listing *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct kipc_stat *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *st;
	return 0;
}

void list_all(uint32_t type, struct listing *l)
{
	int ret;

	l->n = 0;
	ret = kipc_list_each(type, collect, l, &l->hidden);
	if (ret < 0)
		die("cannot list objects", ret);
}
