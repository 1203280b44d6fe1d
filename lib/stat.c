// SPDX-License-Identifier: MIT
/*
 * Seeing objects through the control device: statistics by id or name,
 * listings, holders and the caller's usage (KIPC_IOC_STAT, _LIST,
 * _HOLDERS, _USAGE; Documentation/observability.rst).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libipc.h"
#include "private.h"

static int stat_query(struct kipc_stat_query *q, struct kipc_stat *st)
{
	int dev = kipc__dev();

	if (dev < 0)
		return dev;
	q->version = KIPC_STAT_VERSION;
	q->stat = (__u64)(uintptr_t)st;
	return kipc__ioctl(dev, KIPC_IOC_STAT, q);
}

int kipc_stat_id(uint64_t id, struct kipc_stat *st)
{
	struct kipc_stat_query q = { .id = id };

	/* Id 0 would mean "by name" to the driver. */
	if (!id)
		return -EINVAL;
	return stat_query(&q, st);
}

int kipc_stat_name(const char *name, struct kipc_stat *st)
{
	struct kipc_stat_query q = { 0 };
	int ret = kipc__set_name(&q.name, &q.name_len, name);

	return ret ? ret : stat_query(&q, st);
}

int kipc_list(uint64_t start_id, uint32_t type, struct kipc_stat *stats,
	      uint32_t count, uint64_t *next_id, uint32_t *hidden)
{
	struct kipc_list args = {
		.version = KIPC_STAT_VERSION,
		.start_id = start_id,
		.stats = (__u64)(uintptr_t)stats,
		.count = count,
		.type = type,
	};
	int dev = kipc__dev(), ret;

	if (dev < 0)
		return dev;
	ret = kipc__ioctl(dev, KIPC_IOC_LIST, &args);
	if (ret < 0)
		return ret;
	if (args.count > count)
		return -EPROTO;
	if (next_id)
		*next_id = args.next_id;
	if (hidden)
		*hidden = args.hidden;
	return (int)args.count;
}

/* Entries asked for per KIPC_IOC_LIST of kipc_list_each (44 KiB). */
#define LIST_CHUNK	64

int kipc_list_each(uint32_t type, int (*fn)(const struct kipc_stat *, void *),
		   void *arg, uint32_t *hidden)
{
	uint64_t start = 0, next;
	uint32_t hid, total = 0;
	struct kipc_stat *buf;
	int n, i, ret = 0;

	if (!fn)
		return -EINVAL;
	buf = malloc(LIST_CHUNK * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	do {
		n = kipc_list(start, type, buf, LIST_CHUNK, &next, &hid);
		if (n < 0) {
			ret = n;
			break;
		}
		total += hid;
		for (i = 0; i < n && !ret; i++)
			ret = fn(&buf[i], arg);
		if (ret)
			break;
		/* Ids only grow: a next_id that does not would loop for ever. */
		if (next && next <= start) {
			ret = -EPROTO;
			break;
		}
		start = next;
	} while (start);
	free(buf);
	if (hidden)
		*hidden = total;
	return ret;
}

int kipc_holders(uint64_t id, struct kipc_holder *h, uint32_t count,
		 uint32_t *total)
{
	struct kipc_holders args = {
		.id = id,
		.holders = (__u64)(uintptr_t)h,
		.count = count,
	};
	int dev = kipc__dev(), ret;

	if (dev < 0)
		return dev;
	ret = kipc__ioctl(dev, KIPC_IOC_HOLDERS, &args);
	if (ret < 0)
		return ret;
	if (args.count > count)
		return -EPROTO;
	if (total)
		*total = args.total;
	return (int)args.count;
}

int kipc_usage(struct kipc_usage *u)
{
	int dev = kipc__dev();

	if (dev < 0)
		return dev;
	memset(u, 0, sizeof(*u));
	return kipc__ioctl(dev, KIPC_IOC_USAGE, u);
}
