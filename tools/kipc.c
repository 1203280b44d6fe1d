// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc: list, inspect and remove kipc objects, as ipcs(1) and ipcrm(1) do
 * for System V IPC. man/man1/kipc.1 describes the commands and the JSON
 * they print; Documentation/observability.rst the driver's side.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libipc.h>

#define EXIT_USAGE	2
/* "version" of every JSON document this program prints. */
#define JSON_VERSION	1

static const char *const type_names[] = {
	[KIPC_TYPE_SHM] = "shm",
	[KIPC_TYPE_CHANNEL] = "channel",
	[KIPC_TYPE_SEMAPHORE] = "semaphore",
	[KIPC_TYPE_LOCK] = "lock",
	[KIPC_TYPE_RLOCK] = "rlock",
	[KIPC_TYPE_EVENT] = "event",
	[KIPC_TYPE_BARRIER] = "barrier",
	[KIPC_TYPE_CONDITION] = "condition",
	[KIPC_TYPE_PIPE] = "pipe",
};

#define NTYPES	(sizeof(type_names) / sizeof(type_names[0]))

/* KIPC_FEATURE_* bit i is named feature_names[i]. */
static const char *const feature_names[] = {
	"shm", "channel", "sync", "uring_cmd", "watch", "list",
};

#define NFEATURES	(sizeof(feature_names) / sizeof(feature_names[0]))

static const char *type_name(uint32_t type)
{
	return type < NTYPES && type_names[type] ? type_names[type] : "unknown";
}

static uint32_t type_from_name(const char *s)
{
	uint32_t t;

	for (t = 1; t < NTYPES; t++)
		if (type_names[t] && !strcmp(s, type_names[t]))
			return t;
	return 0;
}

static bool is_sync(uint32_t type)
{
	return type >= KIPC_TYPE_SEMAPHORE && type <= KIPC_TYPE_CONDITION;
}

/* Rings in st->u.ring: a channel's one, a pipe's one or two. */
static unsigned int ring_count(const struct kipc_stat *st)
{
	if (st->type == KIPC_TYPE_CHANNEL)
		return 1;
	if (st->type == KIPC_TYPE_PIPE)
		return st->params.channel.flags & KIPC_PIPE_DUPLEX ? 2 : 1;
	return 0;
}

/* The name's bytes: at most name_len, never past the array. */
static size_t name_len(const struct kipc_stat *st)
{
	size_t max = st->name_len < KIPC_NAME_MAX ? st->name_len : KIPC_NAME_MAX;

	return strnlen(st->name, max);
}

/* --- output helpers --------------------------------------------------- */

/*
 * A name for people: bytes below 0x20, from 0x7f on, and the backslash as
 * \xHH, so that whatever a name holds prints as one line of ASCII.
 */
static void put_name(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
}

/*
 * A JSON string of ASCII only: the quote and backslash escaped, control
 * characters and every byte from 0x7f on as \u00XX (one code point per
 * byte: a reader gets the bytes back by encoding the string as Latin-1).
 */
static void json_str(FILE *f, const char *s, size_t len)
{
	size_t i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
	json_str(f, s, strlen(s));
}

static void json_ring(FILE *f, const struct kipc_ring_stat *r)
{
	fprintf(f, "{\"queued\":%llu,\"queued_bytes\":%llu,\"puts\":%llu,"
		"\"gets\":%llu,\"dropped\":%llu,\"discarded\":%llu,"
		"\"recoveries\":%llu,\"buffers\":%llu,\"buffer_bytes\":%llu,"
		"\"get_waiters\":%u,\"put_waiters\":%u,\"closed\":%u}",
		r->queued, r->queued_bytes, r->puts, r->gets, r->dropped,
		r->discarded, r->recoveries, r->buffers, r->buffer_bytes,
		r->get_waiters, r->put_waiters, r->closed);
}

/* One object, with the keys of kipc.stats() in Python. */
static void json_stat(FILE *f, const struct kipc_stat *st)
{
	unsigned int i, n = ring_count(st);

	fprintf(f, "{\"id\":%llu,\"type\":", st->id);
	json_cstr(f, type_name(st->type));
	fprintf(f, ",\"flags\":%u,\"uid\":%u,\"gid\":%u,\"mode\":%u,\"name\":",
		st->flags, st->uid, st->gid, st->mode);
	json_str(f, st->name, name_len(st));
	fprintf(f, ",\"ctime_ns\":%llu,\"size\":%llu,\"kmem\":%llu,"
		"\"mappings\":%u,\"sleepers\":%u,\"uring_pending\":%u,"
		"\"waits\":%llu,\"wakes\":%llu",
		st->ctime_ns, st->size, st->kmem, st->mappings, st->sleepers,
		st->uring_pending, st->waits, st->wakes);
	if (n) {
		fputs(",\"rings\":[", f);
		for (i = 0; i < n; i++) {
			if (i)
				putc(',', f);
			json_ring(f, &st->u.ring[i]);
		}
		putc(']', f);
	} else if (is_sync(st->type)) {
		const struct kipc_sync_stat *s = &st->u.sync;

		fprintf(f, ",\"sync\":{\"value\":%u,\"holder\":%u,\"waiters\":%u,"
			"\"flags\":%u,\"owner_died\":%llu,\"recoveries\":%llu}",
			s->value, s->holder, s->waiters, s->flags, s->owner_died,
			s->recoveries);
	}
	putc('}', f);
}

/* A short type-specific state for ls and top, in @buf. */
static void summary(const struct kipc_stat *st, char *buf, size_t size)
{
	const struct kipc_sync_stat *s = &st->u.sync;
	const struct kipc_ring_stat *r = st->u.ring;
	size_t n = 0;

	switch (st->type) {
	case KIPC_TYPE_CHANNEL:
		snprintf(buf, size, "queued=%llu waiters=%u/%u", r[0].queued,
			 r[0].get_waiters, r[0].put_waiters);
		return;
	case KIPC_TYPE_PIPE:
		if (ring_count(st) == 2)
			n = snprintf(buf, size, "queued=%llu/%llu", r[0].queued,
				     r[1].queued);
		else
			n = snprintf(buf, size, "queued=%llu", r[0].queued);
		if (n < size && (r[0].closed || (ring_count(st) == 2 && r[1].closed)))
			snprintf(buf + n, size - n, " closed");
		return;
	case KIPC_TYPE_SEMAPHORE:
		snprintf(buf, size, "value=%u waiters=%u", s->value, s->waiters);
		return;
	case KIPC_TYPE_LOCK:
	case KIPC_TYPE_RLOCK:
		n = snprintf(buf, size, "value=%u holder=%u waiters=%u",
			     s->value, s->holder, s->waiters);
		if (n < size && (s->flags & KIPC_SYNC_STAT_DIED))
			snprintf(buf + n, size - n, " died");
		return;
	case KIPC_TYPE_EVENT:
		snprintf(buf, size, "%s waiters=%u",
			 s->flags & KIPC_SYNC_STAT_SET ? "set" : "clear",
			 s->waiters);
		return;
	case KIPC_TYPE_BARRIER:
		n = snprintf(buf, size, "waiting=%u/%u", s->value,
			     st->params.sync.parties);
		if (n < size && (s->flags & KIPC_SYNC_STAT_BROKEN))
			snprintf(buf + n, size - n, " broken");
		return;
	case KIPC_TYPE_CONDITION:
		snprintf(buf, size, "pending=%u waiters=%u", s->value, s->waiters);
		return;
	default:
		snprintf(buf, size, "-");
	}
}

static void owner_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", uid);
}

static void group_name(uint32_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%u", gid);
}

/* --- errors ------------------------------------------------------------ */

static const char *cmd_name = "";	/* the subcommand, for messages */

static void usage(FILE *f)
{
	fputs("Usage: kipc [--help] [--version] COMMAND [ARGS]\n"
	      "\n"
	      "List, inspect and remove kipc objects.\n"
	      "\n"
	      "Commands:\n"
	      "  ls [-t TYPE] [--json]         the objects you may see, one a line\n"
	      "  stat [--json] NAME | --id ID | --fd PID:FD\n"
	      "                                one object's statistics and holders\n"
	      "  rm NAME...                    remove names (objects in use live on)\n"
	      "  top [-d SECONDS] [-n COUNT]   objects with their rates, refreshed\n"
	      "  info [--json]                 driver, library, limits and your usage\n"
	      "\n"
	      "TYPE: shm, channel, pipe, semaphore, lock, rlock, event, barrier,\n"
	      "condition. Exit status: 0 done, 1 an error, 2 bad usage. See kipc(1).\n",
	      f);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kipc%s%s: ", *cmd_name ? " " : "", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	usage(stderr);
	exit(EXIT_USAGE);
}

/* After getopt_long returned '?' or ':' (opterr is 0). */
static void __attribute__((noreturn)) bad_option(int c, char **argv)
{
	if (c == ':')
		usage_error("option '%s' requires an argument", argv[optind - 1]);
	if (optopt)
		usage_error("invalid option -- '%c'", optopt);
	usage_error("unrecognized option '%s'", argv[optind - 1]);
}

static const char *device_path(void)
{
	const char *path = secure_getenv("KIPC_DEVICE");

	return path && *path ? path : KIPC_DEVICE_PATH;
}

/* "kipc: WHAT: strerror", with a hint where the cause is known; exit 1. */
static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "kipc: %s: %s", what, strerror(-err));
	if (err == -ENOTTY)
		fputs(" (the loaded kipc driver cannot list objects:"
		      " no KIPC_FEATURE_LIST)", stderr);
	putc('\n', stderr);
	exit(1);
}

static struct kipc_api api;

/* The handshake, so that a missing module is told apart from a name. */
static void open_device(void)
{
	int fd = kipc_dev_open(&api);

	if (fd >= 0) {
		close(fd);
		return;
	}
	fprintf(stderr, "kipc: cannot open %s: %s%s\n", device_path(),
		strerror(-fd), fd == -ENOENT ? " (is the kipc module loaded?)" :
		fd == -ENODEV ? " (not a kipc device)" : "");
	exit(1);
}

static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "kipc: write error: %s\n", strerror(errno));
		return 1;
	}
	return status;
}

/* --- listings ---------------------------------------------------------- */

struct listing {
	struct kipc_stat *v;
	size_t n, cap;
	uint32_t hidden;
};

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

static void list_all(uint32_t type, struct listing *l)
{
	int ret;

	l->n = 0;
	ret = kipc_list_each(type, collect, l, &l->hidden);
	if (ret < 0)
		die("cannot list objects", ret);
}

/* --- kipc ls ----------------------------------------------------------- */

static const struct option json_help_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void ls_line(const struct kipc_stat *st)
{
	char owner[64], state[64];

	owner_name(st->uid, owner, sizeof(owner));
	summary(st, state, sizeof(state));
	printf("%-8llu %-9s %-10s %04o %10llu %10llu %5u %-28s ", st->id,
	       type_name(st->type), owner, st->mode, st->size, st->kmem,
	       st->mappings, state);
	if (st->flags & KIPC_STAT_NAMED) {
		put_name(stdout, st->name, name_len(st));
		if (!(st->flags & KIPC_STAT_LINKED))
			fputs(" (unlinked)", stdout);
	} else {
		putc('-', stdout);
	}
	putc('\n', stdout);
}

static int cmd_ls(int argc, char **argv)
{
	struct listing l = { 0 };
	uint32_t type = 0;
	bool json = false;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, ":t:h", json_help_opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = type_from_name(optarg);
			if (!type)
				usage_error("unknown type '%s'", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	open_device();
	list_all(type, &l);
	if (json) {
		printf("{\"version\":%d,\"objects\":[", JSON_VERSION);
		for (i = 0; i < l.n; i++) {
			fputs(i ? ",\n" : "\n", stdout);
			json_stat(stdout, &l.v[i]);
		}
		printf("\n],\"hidden\":%u}\n", l.hidden);
	} else {
		printf("%-8s %-9s %-10s %-4s %10s %10s %5s %-28s %s\n", "ID",
		       "TYPE", "OWNER", "MODE", "SIZE", "KMEM", "MAPS", "STATE",
		       "NAME");
		for (i = 0; i < l.n; i++)
			ls_line(&l.v[i]);
		if (l.hidden)
			printf("%u object%s hidden (no permission)\n", l.hidden,
			       l.hidden == 1 ? "" : "s");
	}
	free(l.v);
	return 0;
}

/* --- kipc stat --------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

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

static int cmd_stat(int argc, char **argv)
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

/* --- kipc rm ----------------------------------------------------------- */

static int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		bad_option(c, argv);
	}
	if (optind == argc)
		usage_error("name at least one object to remove");
	open_device();
	for (; optind < argc; optind++) {
		ret = kipc_object_unlink(argv[optind]);
		if (ret >= 0)
			continue;
		fputs("kipc: cannot remove '", stderr);
		put_name(stderr, argv[optind], strlen(argv[optind]));
		fprintf(stderr, "': %s\n", strerror(-ret));
		status = 1;
	}
	return status;
}

/* --- kipc top ---------------------------------------------------------- */

struct top_row {
	const struct kipc_stat *st;
	double puts, gets, waits, wakes;
};

static uint64_t ring_sum(const struct kipc_stat *st, bool puts)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < ring_count(st); i++)
		sum += puts ? st->u.ring[i].puts : st->u.ring[i].gets;
	return sum;
}

/* Per second; 0 when a counter went back (ring words are user-written). */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double ax = x->puts + x->gets + x->waits + x->wakes;
	double ay = y->puts + y->gets + y->waits + y->wakes;

	if (ax != ay)
		return ax < ay ? 1 : -1;
	return x->st->id < y->st->id ? -1 : x->st->id > y->st->id;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void top_block(const struct listing *prev, const struct listing *cur,
		      double dt, double interval, bool tty)
{
	const struct kipc_stat zero = { 0 };
	struct top_row *rows = calloc(cur->n ? cur->n : 1, sizeof(*rows));
	size_t i, j = 0, limit = cur->n;
	char clock[16] = "", state[64];
	struct winsize ws;
	time_t t = time(NULL);
	struct tm tm;

	if (!rows)
		die("top", -ENOMEM);
	/* Both listings are in id order: walk them together. */
	for (i = 0; i < cur->n; i++) {
		const struct kipc_stat *c = &cur->v[i], *p = &zero;

		while (j < prev->n && prev->v[j].id < c->id)
			j++;
		if (j < prev->n && prev->v[j].id == c->id)
			p = &prev->v[j];
		rows[i].st = c;
		rows[i].puts = rate(ring_sum(c, true), ring_sum(p, true), dt);
		rows[i].gets = rate(ring_sum(c, false), ring_sum(p, false), dt);
		rows[i].waits = rate(c->waits, p->waits, dt);
		rows[i].wakes = rate(c->wakes, p->wakes, dt);
	}
	qsort(rows, cur->n, sizeof(*rows), row_cmp);

	if (tty) {
		fputs("\033[H\033[2J", stdout);
		/* Leave room for the two header lines and the cursor's. */
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 3 &&
		    limit > (size_t)ws.ws_row - 3)
			limit = ws.ws_row - 3;
	}
	if (localtime_r(&t, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	printf("kipc top - %s, %zu objects, %u hidden, every %gs\n", clock,
	       cur->n, cur->hidden, interval);
	printf("%-8s %-9s %9s %9s %9s %9s %-28s %s\n", "ID", "TYPE", "PUTS/s",
	       "GETS/s", "WAITS/s", "WAKES/s", "STATE", "NAME");
	for (i = 0; i < limit; i++) {
		const struct kipc_stat *st = rows[i].st;

		summary(st, state, sizeof(state));
		printf("%-8llu %-9s %9.1f %9.1f %9.1f %9.1f %-28s ", st->id,
		       type_name(st->type), rows[i].puts, rows[i].gets,
		       rows[i].waits, rows[i].wakes, state);
		if (st->flags & KIPC_STAT_NAMED)
			put_name(stdout, st->name, name_len(st));
		else
			putc('-', stdout);
		putc('\n', stdout);
	}
	if (!tty)
		putc('\n', stdout);
	fflush(stdout);
	free(rows);
}

static int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct listing a = { 0 }, b = { 0 }, *prev = &a, *cur = &b, *tmp;
	double delay = 2, t0, t1;
	uint64_t count = 0, i;
	bool tty = isatty(STDOUT_FILENO);
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, ":d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			delay = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(delay >= 0.01) ||
			    delay > 86400)
				usage_error("-d takes seconds (0.01 to 86400), not '%s'",
					    optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, &count) || !count)
				usage_error("-n takes a positive count, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	open_device();

	list_all(0, prev);
	t0 = now_s();
	for (i = 0; !count || i < count; i++) {
		sleep_s(delay);
		list_all(0, cur);
		t1 = now_s();
		top_block(prev, cur, t1 > t0 ? t1 - t0 : delay, delay, tty);
		if (ferror(stdout))
			break;
		tmp = prev;
		prev = cur;
		cur = tmp;
		t0 = t1;
	}
	free(a.v);
	free(b.v);
	return 0;
}

/* --- kipc info --------------------------------------------------------- */

static void print_limit(const char *what, uint64_t used, uint64_t max)
{
	printf("  %-20s %" PRIu64 " of ", what, used);
	if (max)
		printf("%" PRIu64 "\n", max);
	else
		puts("unlimited");
}

static int cmd_info(int argc, char **argv)
{
	struct kipc_usage u;
	bool json = false, first = true;
	unsigned int i;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", json_help_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	open_device();
	ret = kipc_usage(&u);
	if (ret < 0 && ret != -ENOTTY)
		die("cannot read the usage", ret);

	if (json) {
		printf("{\"version\":%d,\"api\":{\"version\":%u,\"features\":%llu,"
		       "\"feature_names\":[", JSON_VERSION, api.version,
		       api.features);
		for (i = 0; i < 64; i++) {
			if (!(api.features & (1ULL << i)))
				continue;
			printf("%s", first ? "" : ",");
			first = false;
			if (i < NFEATURES)
				json_cstr(stdout, feature_names[i]);
			else
				printf("\"bit%u\"", i);
		}
		printf("]},\"libipc\":\"%d.%d\",\"usage\":", kipc_lib_major(),
		       kipc_lib_minor());
		if (ret < 0)
			fputs("null", stdout);
		else
			printf("{\"bytes\":%llu,\"objects\":%llu,\"max_bytes\":%llu,"
			       "\"max_objects\":%llu,\"total_bytes\":%llu,"
			       "\"max_total_bytes\":%llu}", u.bytes, u.objects,
			       u.max_bytes, u.max_objects, u.total_bytes,
			       u.max_total_bytes);
		puts("}");
		return 0;
	}
	printf("driver ABI version:  %u\n", api.version);
	fputs("driver features:    ", stdout);
	for (i = 0; i < 64; i++) {
		if (!(api.features & (1ULL << i)))
			continue;
		if (i < NFEATURES)
			printf(" %s", feature_names[i]);
		else
			printf(" bit%u", i);
	}
	printf(" (0x%llx)\n", api.features);
	printf("libipc version:      %d.%d\n", kipc_lib_major(), kipc_lib_minor());
	if (ret < 0) {
		puts("usage:               not reported by this driver"
		     " (no KIPC_FEATURE_LIST)");
		return 0;
	}
	printf("usage (uid %u):\n", (unsigned int)geteuid());
	print_limit("bytes:", u.bytes, u.max_bytes);
	print_limit("objects:", u.objects, u.max_objects);
	print_limit("all users' bytes:", u.total_bytes, u.max_total_bytes);
	return 0;
}

/* --- main -------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "ls", cmd_ls },
	{ "stat", cmd_stat },
	{ "rm", cmd_rm },
	{ "top", cmd_top },
	{ "info", cmd_info },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return finish(0);
		case 'V':
			printf("kipc (libipc %d.%d, built with %d.%d)\n",
			       kipc_lib_major(), kipc_lib_minor(),
			       KIPC_LIB_MAJOR, KIPC_LIB_MINOR);
			return finish(0);
		default:
			bad_option(c, argv);
		}
	}
	if (optind == argc)
		usage_error("no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		cmd_name = commands[i].name;
		argc -= optind;
		argv += optind;
		optind = 0;	/* glibc: start the next parse afresh */
		return finish(commands[i].fn(argc, argv));
	}
	usage_error("unknown command '%s'", argv[optind]);
}
