// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc stat: one object's statistics and holders, found by name, by id or
 * through another process's descriptor.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"

/* The kipc-id of descriptor @fd of process @pid, from its fdinfo. */
static int fdinfo_id(int pid, int fd, uint64_t *id)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "kipc-id: %" SCNu64, id) == 1;
	fclose(f);
	return found ? 0 : -EBADF;
}

/* A duplicate of descriptor @fd of process @pid (pidfd_getfd). */
static int steal_fd(int pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret;

	if (pidfd < 0)
		return -errno;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (ret < 0)
		ret = -errno;
	close(pidfd);
	return ret;
}

/* PID:FD of --fd, or a usage error. */
static void parse_pid_fd(const char *arg, int *pid, int *fd)
{
	const char *colon = strchr(arg, ':');
	char buf[32];
	uint64_t v;

	if (!colon || colon - arg >= (long)sizeof(buf))
		usage_error("--fd takes PID:FD, not '%s'", arg);
	memcpy(buf, arg, colon - arg);
	buf[colon - arg] = '\0';
	if (!parse_u64(buf, &v) || !v || v > INT32_MAX)
		usage_error("--fd takes PID:FD, not '%s'", arg);
	*pid = (int)v;
	if (!parse_u64(colon + 1, &v) || v > INT32_MAX)
		usage_error("--fd takes PID:FD, not '%s'", arg);
	*fd = (int)v;
}

/*
 * Statistics of @pid's descriptor @fd: by its id when the caller may see
 * the object, else through a duplicate of the descriptor (whose holder
 * may always read them). *@by_fd tells which.
 */
static int stat_fd(int pid, int fd, struct kipc_stat *st, bool *by_fd)
{
	char what[48];
	int dup, ret;
	uint64_t id;

	snprintf(what, sizeof(what), "descriptor %d:%d", pid, fd);
	ret = fdinfo_id(pid, fd, &id);
	if (ret == -EBADF) {
		fprintf(stderr, "kipc: %s: not a kipc object descriptor\n", what);
		exit(1);
	}
	if (ret < 0)
		die(what, ret);
	*by_fd = false;
	ret = kipc_stat_id(id, st);
	if (ret != -ENOENT && ret != -ENOTTY)
		return ret;
	dup = steal_fd(pid, fd);
	if (dup < 0)
		die(what, dup);
	ret = kipc_object_stat(dup, st);
	close(dup);
	*by_fd = true;
	return ret;
}

struct holders {
	struct kipc_holder *v;
	int n;			/* -1: not known */
	uint32_t total;
};

static void get_holders(uint64_t id, struct holders *h)
{
	uint32_t room = 64;
	int ret;

	h->v = NULL;
	for (;;) {
		free(h->v);
		h->v = calloc(room, sizeof(*h->v));
		if (!h->v)
			die("holders", -ENOMEM);
		ret = kipc_holders(id, h->v, room, &h->total);
		if (ret < 0 || h->total <= (uint32_t)ret || room == KIPC_LIST_MAX)
			break;
		room = h->total < KIPC_LIST_MAX ? h->total : KIPC_LIST_MAX;
	}
	if (ret == -ENOENT || ret == -ENOTTY) {
		h->n = -1;	/* not visible (or gone), or not implemented */
		return;
	}
	if (ret < 0)
		die("cannot find the holders", ret);
	h->n = ret;
}

static void print_time(uint64_t ns)
{
	time_t t = ns / 1000000000;
	struct tm tm;
	char buf[64];

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)) {
		printf("%" PRIu64 " ns\n", ns);
		return;
	}
	printf("%s.%09" PRIu64, buf, ns % 1000000000);
	if (strftime(buf, sizeof(buf), " %Z", &tm))
		fputs(buf, stdout);
	putc('\n', stdout);
}

static void print_params(const struct kipc_stat *st)
{
	const union kipc_params *p = &st->params;

	fputs("params:        ", stdout);
	switch (st->type) {
	case KIPC_TYPE_CHANNEL:
	case KIPC_TYPE_PIPE:
		printf("capacity=%u slot_size=%u max_msg=%llu", p->channel.capacity,
		       p->channel.slot_size, p->channel.max_msg);
		if (st->type == KIPC_TYPE_PIPE)
			fputs(p->channel.flags & KIPC_PIPE_DUPLEX ? " duplex" :
			      " one-way", stdout);
		break;
	case KIPC_TYPE_SHM:
		printf("size=%llu", p->shm.size);
		break;
	case KIPC_TYPE_SEMAPHORE:
		printf("value=%u max=%u", p->sync.value, p->sync.max);
		break;
	case KIPC_TYPE_BARRIER:
		printf("parties=%u", p->sync.parties);
		break;
	case KIPC_TYPE_CONDITION:
		printf("nslots=%u", p->sync.nslots);
		break;
	default:
		putc('-', stdout);
	}
	putc('\n', stdout);
}

static const char *closed_str(uint32_t closed)
{
	switch (closed & (KIPC_CHANNEL_CLOSED_WRITER | KIPC_CHANNEL_CLOSED_READER)) {
	case KIPC_CHANNEL_CLOSED_WRITER:
		return "writer";
	case KIPC_CHANNEL_CLOSED_READER:
		return "reader";
	case KIPC_CHANNEL_CLOSED_WRITER | KIPC_CHANNEL_CLOSED_READER:
		return "writer,reader";
	}
	return "no";
}

static void print_stat(const struct kipc_stat *st, const struct holders *h)
{
	char owner[64], group[64];
	unsigned int i;

	owner_name(st->uid, owner, sizeof(owner));
	group_name(st->gid, group, sizeof(group));
	printf("id:            %llu\n", st->id);
	printf("type:          %s\n", type_name(st->type));
	fputs("name:          ", stdout);
	if (st->flags & KIPC_STAT_NAMED)
		put_name(stdout, st->name, name_len(st));
	else
		putc('-', stdout);
	putc('\n', stdout);
	printf("flags:         %s%s\n",
	       st->flags & KIPC_STAT_NAMED ? "named" : "anonymous",
	       !(st->flags & KIPC_STAT_NAMED) ? "" :
	       st->flags & KIPC_STAT_LINKED ? " linked" : " unlinked");
	printf("owner:         %s (uid %u), group %s (gid %u)\n", owner, st->uid,
	       group, st->gid);
	printf("mode:          %04o\n", st->mode);
	fputs("created:       ", stdout);
	print_time(st->ctime_ns);
	printf("size:          %llu\n", st->size);
	printf("kmem:          %llu\n", st->kmem);
	printf("mappings:      %u\n", st->mappings);
	printf("sleepers:      %u\n", st->sleepers);
	printf("uring_pending: %u\n", st->uring_pending);
	printf("waits:         %llu\n", st->waits);
	printf("wakes:         %llu\n", st->wakes);
	print_params(st);
	for (i = 0; i < ring_count(st); i++) {
		const struct kipc_ring_stat *r = &st->u.ring[i];

		printf("ring %u:        queued=%llu queued_bytes=%llu puts=%llu gets=%llu\n",
		       i, r->queued, r->queued_bytes, r->puts, r->gets);
		printf("               dropped=%llu discarded=%llu recoveries=%llu\n",
		       r->dropped, r->discarded, r->recoveries);
		printf("               buffers=%llu buffer_bytes=%llu\n",
		       r->buffers, r->buffer_bytes);
		printf("               get_waiters=%u put_waiters=%u closed=%s\n",
		       r->get_waiters, r->put_waiters, closed_str(r->closed));
	}
	if (is_sync(st->type)) {
		const struct kipc_sync_stat *s = &st->u.sync;

		printf("sync:          value=%u holder=%u waiters=%u%s%s%s\n",
		       s->value, s->holder, s->waiters,
		       s->flags & KIPC_SYNC_STAT_DIED ? " died" : "",
		       s->flags & KIPC_SYNC_STAT_BROKEN ? " broken" : "",
		       s->flags & KIPC_SYNC_STAT_SET ? " set" : "");
		printf("               owner_died=%llu recoveries=%llu\n",
		       s->owner_died, s->recoveries);
	}
	if (h->n < 0) {
		puts("holders:       not visible to you");
		return;
	}
	printf("holders:       %u\n", h->total);
	if (h->n)
		printf("  %-10s %6s %9s\n", "PID", "FDS", "MAPPINGS");
	for (i = 0; i < (unsigned int)h->n; i++)
		printf("  %-10d %6u %9u\n", h->v[i].pid, h->v[i].fds,
		       h->v[i].mappings);
	if (h->total > (uint32_t)h->n)
		printf("  (%u more not shown)\n", h->total - h->n);
}

static void json_holders(const struct holders *h)
{
	int i;

	if (h->n < 0) {
		fputs(",\"holders\":null,\"holders_total\":null", stdout);
		return;
	}
	fputs(",\"holders\":[", stdout);
	for (i = 0; i < h->n; i++)
		printf("%s{\"pid\":%d,\"fds\":%u,\"mappings\":%u}", i ? "," : "",
		       h->v[i].pid, h->v[i].fds, h->v[i].mappings);
	printf("],\"holders_total\":%u", h->total);
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "id", required_argument, NULL, 'i' },
		{ "fd", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id_arg = NULL, *fd_arg = NULL, *name = NULL;
	struct holders h = { .n = -1 };
	struct kipc_stat st;
	bool json = false, by_fd = false;
	int c, ret, pid = 0, fd = 0;
	uint64_t id = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'i':
			id_arg = optarg;
			break;
		case 'f':
			fd_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!!name + !!id_arg + !!fd_arg != 1)
		usage_error("name one object: NAME, --id ID or --fd PID:FD");
	if (id_arg && (!parse_u64(id_arg, &id) || !id))
		usage_error("--id takes a positive number, not '%s'", id_arg);
	if (fd_arg)
		parse_pid_fd(fd_arg, &pid, &fd);
	open_device();

	memset(&st, 0, sizeof(st));
	if (fd_arg) {
		ret = stat_fd(pid, fd, &st, &by_fd);
		if (ret < 0)
			die(fd_arg, ret);	/* KIPC_IOC_STAT or KIPC_OBJ_IOC_STAT */
	} else if (id_arg) {
		ret = kipc_stat_id(id, &st);
		if (ret < 0) {
			char what[32];

			snprintf(what, sizeof(what), "id %" PRIu64, id);
			die(what, ret);
		}
	} else {
		ret = kipc_stat_name(name, &st);
		if (ret < 0) {
			fputs("kipc: '", stderr);
			put_name(stderr, name, strlen(name));
			fprintf(stderr, "': %s", strerror(-ret));
			if (ret == -ENOTTY)
				fputs(" (the loaded kipc driver cannot list objects:"
				      " no KIPC_FEATURE_LIST)", stderr);
			putc('\n', stderr);
			return 1;
		}
	}
	/* The holders of an object seen only through a descriptor are not ours. */
	if (!by_fd)
		get_holders(st.id, &h);

	if (json) {
		printf("{\"version\":%d,\"object\":", JSON_VERSION);
		json_stat(stdout, &st);
		json_holders(&h);
		puts("}");
	} else {
		print_stat(&st, &h);
	}
	free(h.v);
	return 0;
}
