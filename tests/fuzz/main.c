// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc-fuzz: rounds of N workers sharing a round's objects, SIGKILLed at
 * random; after each round every process must be gone within 60 s and the
 * driver's counts (objects, names, open files) back to where they started.
 * Usage: kipc-fuzz --help. Documentation/testing.rst describes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define FZ_MAX_WORKERS	16
#define FZ_KILL_GRACE_S	60	/* a SIGKILLed process must be gone by then */

struct fz_opts {
	__u64 seed;
	unsigned int seconds;
	unsigned int workers;
	unsigned int round_ms;
	unsigned int kill_pct;
	unsigned int settle_s;
	unsigned int skip;
	int trace;
	int check;
	int have_seed;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: kipc-fuzz [--seconds N] [--seed S] [--workers N] [--round-ms MS]\n"
		"                 [--kill-pct P] [--settle S] [--op-timeout S] [--trace]\n"
		"                 [--skip rw-block,sqpoll,large] [--check]\n"
		"--check: TAP over seeds 1, 2 and a random one, --seconds in all\n");
}

static unsigned int parse_skip(const char *list)
{
	unsigned int skip = 0;

	if (strstr(list, "rw-block"))
		skip |= FZ_SKIP_RW_BLOCK;
	if (strstr(list, "sqpoll"))
		skip |= FZ_SKIP_SQPOLL;
	if (strstr(list, "large"))
		skip |= FZ_SKIP_LARGE;
	return skip;
}

/* The --skip argument that gives @skip, for the reproduce hints. */
static const char *skip_arg(unsigned int skip)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s%s", skip ? " --skip " : "",
		 skip & FZ_SKIP_RW_BLOCK ? "rw-block," : "",
		 skip & FZ_SKIP_SQPOLL ? "sqpoll," : "", skip & FZ_SKIP_LARGE ? "large," : "");
	if (skip)
		buf[strlen(buf) - 1] = 0;
	return buf;
}

static int parse(int argc, char **argv, struct fz_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--trace")) {
			o->trace = 1;
		} else if (!strcmp(a, "--check")) {
			o->check = 1;
		} else if (!v) {
			usage();
			return -1;
		} else if (!strcmp(a, "--seconds")) {
			o->seconds = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0), o->have_seed = 1, i++;
		} else if (!strcmp(a, "--workers")) {
			o->workers = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--round-ms")) {
			o->round_ms = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--kill-pct")) {
			o->kill_pct = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--settle")) {
			o->settle_s = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--op-timeout")) {
			fz_op_timeout_s = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--skip")) {
			o->skip |= parse_skip(v), i++;
		} else {
			usage();
			return -1;
		}
	}
	if (o->workers < 1 || o->workers > FZ_MAX_WORKERS || !o->seconds || !o->round_ms) {
		usage();
		return -1;
	}
	return 0;
}

/* Children of this process (the subreaper), read from /proc. */
static int children(pid_t *out, int max)
{
	char path[300], buf[512], *p;
	struct dirent *d;
	int n = 0, ppid;
	DIR *dir = opendir("/proc");
	FILE *f;

	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
			out[n++] = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return n;
}

/* How a process of ours ended: a violation unless normal or SIGKILL. */
static void judge(struct fz_ctx *c, pid_t pid, int st, int worker)
{
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		fz_violation(c, "%s %d died of signal %d (%s)", worker >= 0 ? "worker" : "child",
			     pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 2 && worker >= 0)
		fz_violation(c, "worker %d failed to start", worker);
}

struct round {
	pid_t pid[FZ_MAX_WORKERS];
	unsigned int incarnation[FZ_MAX_WORKERS];
};

static void spawn(struct fz_ctx *c, struct round *r, int w)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		c->worker = w;
		fz_seed(c, c->seed, (__u64)c->round * 100000 + w * 1000 + r->incarnation[w]);
		fz_worker_run(c);
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
	r->pid[w] = pid > 0 ? pid : 0;
	r->incarnation[w]++;
}

static void reap_some(struct fz_ctx *c, struct round *r, int flags)
{
	unsigned int w;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, flags)) > 0) {
		int worker = -1;

		for (w = 0; w < FZ_MAX_WORKERS; w++)
			if (r->pid[w] == pid) {
				worker = w;
				r->pid[w] = 0;
			}
		judge(c, pid, st, worker);
		if (flags)
			continue;
	}
}

/* Ends every process of the round; false if one would not die. */
static int end_round(struct fz_ctx *c, struct round *r, const struct fz_opts *o)
{
	__u64 t0 = fz_now_ns(), grace = t0 + 3000000000ULL;
	pid_t kids[256];
	unsigned int w;
	int n, i;

	__atomic_store_n(&c->sh->stop, 1, __ATOMIC_RELAXED);
	while (fz_now_ns() < grace) {	/* let workers exit by themselves */
		reap_some(c, r, WNOHANG);
		for (w = 0; w < o->workers && !r->pid[w]; w++)
			;
		if (w == o->workers)
			break;
		usleep(10000);
	}
	t0 = fz_now_ns();
	for (;;) {
		for (w = 0; w < o->workers; w++)
			if (r->pid[w])
				kill(-r->pid[w], SIGKILL);
		n = children(kids, 256);
		for (i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		reap_some(c, r, WNOHANG);
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return 1;
		if (fz_now_ns() - t0 > FZ_KILL_GRACE_S * 1000000000ULL)
			break;
		usleep(20000);
	}
	n = children(kids, 256);
	for (i = 0; i < n; i++) {
		fz_violation(c, "process %d still alive %d s after SIGKILL", kids[i],
			     FZ_KILL_GRACE_S);
		fz_dump_task(kids[i]);
	}
	return 0;
}

static void round_objects(struct fz_ctx *c)
{
	__u32 type;
	int k = 0, fd;

	for (type = KIPC_TYPE_SHM; type <= KIPC_TYPE_CONDITION; type++) {
		struct kipc_create a;

		fz_valid_create(c, &a, type);
		if (fz_chance(c, 50)) {
			a.name = (__u64)(uintptr_t)c->names[k];
			a.name_len = c->name_len[k];
			a.mode = fz_chance(c, 50) ? 0600 : 0666;
			k = (k + 1) % FZ_NAMES;
		}
		fd = ioctl(c->dev, KIPC_IOC_CREATE, &a);
		if (fd < 0)
			fz_violation(c, "round object of type %u: %s", type, strerrorname_np(errno));
		else
			fz_obj_add(c, fd, type, -1);
	}
	for (k = 0; k < 2; k++) {
		struct kipc_pipe p;

		memset(&p, 0, sizeof(p));
		p.flags = k ? KIPC_PIPE_DUPLEX : 0;
		p.fd_flags = fz_below(c, 4);
		fz_valid_chparams(c, &p.params);
		if (ioctl(c->dev, KIPC_IOC_PIPE, &p)) {
			fz_violation(c, "round pipe: %s", strerrorname_np(errno));
			continue;
		}
		fz_obj_add(c, p.fds[0], KIPC_TYPE_PIPE, 0);
		fz_obj_add(c, p.fds[1], KIPC_TYPE_PIPE, 1);
	}
}

static void unlink_names(struct fz_ctx *c, const struct fz_opts *o)
{
	char priv[64];
	unsigned int k;

	for (k = 0; k < FZ_NAMES + o->workers; k++) {
		struct kipc_unlink u = { 0 };

		if (k < FZ_NAMES) {
			u.name = (__u64)(uintptr_t)c->names[k];
			u.name_len = c->name_len[k];
		} else {
			u.name_len = snprintf(priv, sizeof(priv), "fz-priv-%llu-%d-%d",
					      (unsigned long long)c->seed, c->round,
					      k - FZ_NAMES);
			u.name = (__u64)(uintptr_t)priv;
		}
		ioctl(c->dev, KIPC_IOC_UNLINK, &u);
	}
}

struct counts {
	long objects, names, files;
};

static void read_counts(struct counts *n)
{
	n->objects = fz_read_sysfs("objects");
	n->names = fz_read_sysfs("names");
	n->files = fz_read_sysfs("open_files");
}

/* Waits (deferred frees) for the counts to come back to @base. */
static void settle(struct fz_ctx *c, struct counts *base, unsigned int seconds)
{
	__u64 until = fz_now_ns() + seconds * 1000000000ULL;
	struct counts now;
	int k;

	for (;;) {
		read_counts(&now);
		if (!memcmp(&now, base, sizeof(now)))
			return;
		if (fz_now_ns() > until)
			break;
		usleep(20000);
	}
	c->opname = "settle";
	fz_violation(c, "after the round: objects %ld names %ld open_files %ld, baseline %ld %ld %ld",
		     now.objects, now.names, now.files, base->objects, base->names, base->files);
	for (k = 0; k < FZ_NAMES; k++) {	/* is it one of ours the unlink missed? */
		struct kipc_unlink u = {
			.name = (__u64)(uintptr_t)c->names[k], .name_len = c->name_len[k],
		};

		if (!ioctl(c->dev, KIPC_IOC_UNLINK, &u))
			fprintf(stderr, "kipc-fuzz:   name %d of the round was still there\n", k);
	}
	c->opname = NULL;
	*base = now;	/* go on from here */
}

static int run(const struct fz_opts *o, __u64 seed)
{
	struct fz_ctx *c = calloc(1, sizeof(*c));
	__u64 start = fz_now_ns(), end = start + o->seconds * 1000000000ULL, last = start;
	struct kipc_api api = { .version = KIPC_API_VERSION };
	struct counts base;
	struct round r;
	double secs;
	int alive = 1;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	umask(0);
	signal(SIGPIPE, SIG_IGN);
	c->sh = mmap(NULL, sizeof(*c->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	c->scratch = mmap(NULL, 3 * FZ_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->dev = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (c->sh == MAP_FAILED || c->scratch == MAP_FAILED || c->dev < 0 ||
	    mprotect(c->scratch + 2 * FZ_PAGE, FZ_PAGE, PROT_NONE) ||
	    ioctl(c->dev, KIPC_IOC_API, &api)) {
		fprintf(stderr, "kipc-fuzz: cannot set up (is kipc loaded?): %s\n", strerror(errno));
		return 2;
	}
	c->seed = seed;
	c->worker = -1;
	c->skip = o->skip;
	c->trace = o->trace;
	read_counts(&base);
	if (base.objects < 0 || base.names < 0 || base.files < 0) {
		fprintf(stderr, "kipc-fuzz: no %s counts\n", FZ_SYSFS);
		return 2;
	}
	printf("kipc-fuzz: seed=%llu seconds=%u workers=%u round-ms=%u skip=0x%x (reproduce: kipc-fuzz --seed %llu --seconds %u%s)\n",
	       (unsigned long long)seed, o->seconds, o->workers, o->round_ms, o->skip,
	       (unsigned long long)seed, o->seconds, skip_arg(o->skip));
	fflush(stdout);
	for (c->round = 0; alive && fz_now_ns() + 500000000ULL < end; c->round++) {
		__u64 round_end;
		unsigned int w;

		memset(&r, 0, sizeof(r));
		memset(c->objs, 0, sizeof(c->objs));
		fz_seed(c, seed, (__u64)c->round * 100000 + 99999);
		fz_make_names(c);
		round_objects(c);
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c->mbox)) {
			fprintf(stderr, "kipc-fuzz: socketpair: %s\n", strerror(errno));
			return 2;
		}
		round_end = fz_now_ns() + o->round_ms * 1000000ULL;
		if (round_end > end)
			round_end = end;
		c->deadline_ns = round_end;
		__atomic_store_n(&c->sh->stop, 0, __ATOMIC_RELAXED);
		fflush(stdout);
		fflush(stderr);
		for (w = 0; w < o->workers; w++)
			spawn(c, &r, w);
		while (fz_now_ns() < round_end) {
			struct timespec ts = { 0, (2 + fz_below(c, 200)) * 1000000L };

			nanosleep(&ts, NULL);
			w = fz_below(c, o->workers);
			if (r.pid[w] && fz_chance(c, o->kill_pct))
				kill(-r.pid[w], SIGKILL);
			reap_some(c, &r, WNOHANG);
			for (w = 0; w < o->workers; w++)
				if (!r.pid[w] && fz_now_ns() + 300000000ULL < round_end)
					spawn(c, &r, w);
		}
		alive = end_round(c, &r, o);
		fz_obj_close_all(c);
		unlink_names(c, o);
		close(c->mbox[0]);
		close(c->mbox[1]);
		if (alive)
			settle(c, &base, o->settle_s);
		if (fz_now_ns() - last > 10000000000ULL || !alive) {
			last = fz_now_ns();
			printf("kipc-fuzz: progress round=%d ops=%llu violations=%llu seconds=%.0f\n",
			       c->round + 1, (unsigned long long)c->sh->ops,
			       (unsigned long long)c->sh->violations, (last - start) / 1e9);
			fflush(stdout);
		}
	}
	secs = (fz_now_ns() - start) / 1e9;
	printf("kipc-fuzz: seed=%llu ops=%llu rounds=%d violations=%llu seconds=%.0f ops/hour=%.0f\n",
	       (unsigned long long)seed, (unsigned long long)c->sh->ops, c->round,
	       (unsigned long long)c->sh->violations, secs, c->sh->ops * 3600.0 / secs);
	if (!alive)
		printf("kipc-fuzz: stopped early: a process could not be killed\n");
	fflush(stdout);
	return c->sh->violations ? 1 : 0;
}

static __u64 random_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((__u64)ts.tv_nsec ^ ((__u64)getpid() << 32) ^ ts.tv_sec) % 1000000000ULL;
}

/* make check: fixed seeds and one random one, each a TAP line. */
static int check(struct fz_opts *o)
{
	__u64 seeds[3] = { 1, 2, random_seed() };
	unsigned int total = o->seconds, i, failed = 0;

	printf("1..3\n# kipc-fuzz --check: seeds 1, 2 and %llu, %u s in all\n",
	       (unsigned long long)seeds[2], total);
	fflush(stdout);
	o->seconds = total / 3 ? total / 3 : 1;
	for (i = 0; i < 3; i++) {
		pid_t pid = fork();
		int st = -1;

		if (pid == 0)
			_exit(run(o, seeds[i]));
		if (pid > 0)
			waitpid(pid, &st, 0);
		if (pid > 0 && WIFEXITED(st) && !WEXITSTATUS(st)) {
			printf("ok %u seed %llu\n", i + 1, (unsigned long long)seeds[i]);
		} else {
			printf("not ok %u seed %llu (rerun: kipc-fuzz --seed %llu --seconds %u%s)\n",
			       i + 1, (unsigned long long)seeds[i], (unsigned long long)seeds[i],
			       o->seconds, skip_arg(o->skip));
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct fz_opts o = {
		.seconds = 60, .workers = 4, .round_ms = 3000, .kill_pct = 10, .settle_s = 30,
	};

	if (argc > 1 && !strcmp(argv[1], "--exec-child"))
		return fz_exec_child(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage();
		return 0;
	}
	if (parse(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.check)
		return check(&o);
	return run(&o, o.have_seed ? o.seed : random_seed());
}
