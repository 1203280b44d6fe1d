// SPDX-License-Identifier: MIT
/*
 * Channels and pipe ends: the userspace fast paths of include/kipc/ring.h,
 * with the kernel entered only to sleep and to wake sleepers. A channel
 * puts into and gets from one ring; a pipe's end puts into one ring and
 * gets from another (a one-way end has only one of them).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <kipc/ring.h>
#include "libipc.h"
#include "private.h"

struct kipc_channel {
	int fd;
	void *base;
	size_t size;
	size_t max_msg;
	/* The rings puts go to and gets come from; base NULL: EBADF. */
	struct kipc_ring_view pv;
	struct kipc_ring_view gv;
	/* A pipe's end: the rings' closed words mean something. */
	bool pipe;
	/* The owner id of our mapping, valid while fork_gen matches. */
	u32 owner;
	unsigned int owner_gen;
};

/*
 * Owner ids belong to a mapping; a forked child's copy of a mapping has
 * its own. The child learns it through this counter, bumped in the child
 * at fork, without a system call on the fast path.
 */
static unsigned int fork_gen = 1;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void fork_register(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}

/* Our owner id, or -errno. */
static int ch_owner(struct kipc_channel *ch)
{
	unsigned int gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	int id;

	if (__atomic_load_n(&ch->owner_gen, __ATOMIC_ACQUIRE) == gen)
		return __atomic_load_n(&ch->owner, __ATOMIC_RELAXED);
	id = kipc_object_map_id(ch->fd, ch->base);
	if (id < 0)
		return id;
	__atomic_store_n(&ch->owner, id, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->owner_gen, gen, __ATOMIC_RELEASE);
	return id;
}

static struct kipc_ring_view *ch_view(struct kipc_channel *ch, __u32 op)
{
	return op == KIPC_CHANNEL_GET ? &ch->gv : &ch->pv;
}

/*
 * A pipe's put ring whose reader is gone. Checked on every put: one load
 * of a line that is only written once.
 */
static bool ch_epipe(struct kipc_channel *ch)
{
	return ch->pipe &&
	       (kipc_ring_closed(&ch->pv) & KIPC_RING_CLOSED_READER);
}

static void ch_wake(struct kipc_channel *ch, __u32 ops)
{
	struct kipc_channel_wake args = { .ops = ops };

	kipc__ioctl(ch->fd, KIPC_CHANNEL_IOC_WAKE, &args);
}

static void ch_after_put(struct kipc_channel *ch)
{
	if (kipc_ring_after_put(&ch->pv))
		ch_wake(ch, KIPC_CHANNEL_WAKE_GET);
}

static void ch_after_get(struct kipc_channel *ch)
{
	if (kipc_ring_after_get(&ch->gv))
		ch_wake(ch, KIPC_CHANNEL_WAKE_PUT);
}

/*
 * Blocking calls look this many times before sleeping: a peer on another
 * CPU usually brings a message (or room) sooner than a sleep and a
 * wake-up would, and then neither side enters the kernel.
 */
#define CH_SPINS	200

static inline void ch_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static bool ch_ready(struct kipc_channel *ch, __u32 op)
{
	return op == KIPC_CHANNEL_GET ? kipc_ring_can_get(&ch->gv) :
					kipc_ring_can_put(&ch->pv);
}

/*
 * The end of a pipe's stream, checked only once a get found nothing: the
 * writer is gone and, after that was seen, the ring still has nothing.
 */
static bool ch_eof(struct kipc_channel *ch)
{
	return ch->pipe &&
	       (kipc_ring_closed(&ch->gv) & KIPC_RING_CLOSED_WRITER) &&
	       !kipc_ring_can_get(&ch->gv);
}

/*
 * A round of a blocking call that failed without sleeping: hostile memory
 * can make every attempt fail while the ring looks ready, so give up with
 * -EIO after KIPC_RING_ROUNDS of them in a row, as the kernel does.
 */
static int ch_spun(struct kipc_channel *ch, __u32 op,
		   struct kipc_ring_rounds *rounds)
{
	return kipc_ring_spun(ch_view(ch, op), op == KIPC_CHANNEL_PUT, rounds);
}

/*
 * After a failed attempt that saw @seq: sleep if the deadline allows.
 * Returns 0 to try again, or the error to return; @rounds counts the
 * rounds in a row that did not sleep.
 */
static int ch_wait(struct kipc_channel *ch, __u32 op, __u32 seq,
		   __u64 deadline_ns, struct kipc_ring_rounds *rounds)
{
	struct kipc_channel_wait args = { .op = op, .seq = seq };
	int ret, i;

	/* Before sleeping: would the pipe's peer never come? */
	if (op == KIPC_CHANNEL_GET && ch_eof(ch))
		return -ENODATA;
	if (op == KIPC_CHANNEL_PUT && ch_epipe(ch))
		return -EPIPE;
	if (deadline_ns == KIPC_NOWAIT)
		return -EAGAIN;
	for (i = 0; i < CH_SPINS; i++) {
		if (ch_ready(ch, op))
			return ch_spun(ch, op, rounds);
		ch_cpu_relax();
	}
	if (deadline_ns != KIPC_NO_DEADLINE) {
		args.flags = KIPC_WAIT_DEADLINE;
		args.deadline_ns = deadline_ns;
	}
	ret = kipc__ioctl(ch->fd, KIPC_CHANNEL_IOC_WAIT, &args);
	if (!ret)
		rounds->n = 0;	/* woken: somebody made a system call */
	return ret == -EAGAIN ? ch_spun(ch, op, rounds) : ret;
}

/*
 * A message larger than a slot, or the indirect record at the head: the
 * kernel copies it through one of its buffers. Returns 0 / the length, or
 * -errno.
 */
static long ch_large(struct kipc_channel *ch, unsigned long cmd, const void *buf,
		     size_t len, __u64 deadline_ns)
{
	struct kipc_channel_large args = {
		.data = (__u64)(uintptr_t)buf,
		.len = len,
	};

	if (deadline_ns == KIPC_NOWAIT) {
		args.flags = KIPC_CHANNEL_LARGE_NOWAIT;
	} else if (deadline_ns != KIPC_NO_DEADLINE) {
		args.flags = KIPC_WAIT_DEADLINE;
		args.deadline_ns = deadline_ns;
	}
	return kipc__ioctl(ch->fd, cmd, &args);
}

static int ch_put_large(struct kipc_channel *ch, const void *buf, size_t len,
			__u64 deadline_ns)
{
	long ret = ch_large(ch, KIPC_CHANNEL_IOC_PUT_LARGE, buf, len, deadline_ns);

	return ret < 0 ? ret : 0;
}

static __u32 ch_seq(struct kipc_channel *ch, __u32 op)
{
	struct kipc_ring_hdr *h = kipc_ring_hdr(ch_view(ch, op));

	return op == KIPC_CHANNEL_GET ? kipc_load_acquire(&h->put_seq) :
					kipc_load_acquire(&h->get_seq);
}

int kipc_channel_create(const char *name,
			const struct kipc_channel_params *params,
			__u32 flags, mode_t mode)
{
	struct kipc_create args = {
		.type = KIPC_TYPE_CHANNEL,
		.flags = flags,
		.mode = mode,
	};
	int ret;

	if (!params)
		return -EINVAL;
	args.params.channel = *params;
	if (name) {
		ret = kipc__set_name(&args.name, &args.name_len, name);
		if (ret)
			return ret;
	}
	return kipc_object_create(&args);
}

int kipc_channel_open(const char *name)
{
	return kipc_object_open(name, KIPC_TYPE_CHANNEL, 0);
}

int kipc_channel_unlink(const char *name)
{
	return kipc_object_unlink(name);
}

/* Point @v at the ring at @off, if the end has one. */
static int ch_ring(struct kipc_channel *ch, struct kipc_ring_view *v, __u64 off,
		   const struct kipc_channel_params *p)
{
	if (off == KIPC_PIPE_NO_RING)
		return 0;
	v->base = (char *)ch->base + off;
	v->capacity = p->capacity;
	v->slot_size = p->slot_size;
	return kipc_ring_check_header(v);
}

int kipc_channel_attach(int fd, struct kipc_channel **chp)
{
	struct kipc_pipe_end end = { .put_ring = 0, .get_ring = 0 };
	const struct kipc_channel_params *p;
	struct kipc_channel *ch;
	struct kipc_info info;
	u64 bytes;
	int ret;

	pthread_once(&fork_once, fork_register);
	ret = kipc_object_info(fd, &info);
	if (ret)
		return ret;
	if (info.type == KIPC_TYPE_PIPE) {
		ret = kipc__ioctl(fd, KIPC_PIPE_IOC_END, &end);
		if (ret)
			return ret;
	} else if (info.type != KIPC_TYPE_CHANNEL) {
		return -EINVAL;
	}
	p = &info.params.channel;
	bytes = kipc_ring_bytes(p->capacity, p->slot_size);
	if (!bytes ||
	    (end.put_ring != KIPC_PIPE_NO_RING &&
	     (end.put_ring > info.size || bytes > info.size - end.put_ring)) ||
	    (end.get_ring != KIPC_PIPE_NO_RING &&
	     (end.get_ring > info.size || bytes > info.size - end.get_ring)))
		return -EPROTO;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->fd = fd;
	ch->pipe = info.type == KIPC_TYPE_PIPE;
	ch->size = info.size;
	ch->max_msg = p->max_msg ? p->max_msg : p->slot_size;
	ch->base = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ch->base == MAP_FAILED) {
		ret = -errno;
		free(ch);
		return ret;
	}
	ret = ch_ring(ch, &ch->pv, end.put_ring, p);
	if (!ret)
		ret = ch_ring(ch, &ch->gv, end.get_ring, p);
	if (!ret) {
		ret = ch_owner(ch);
		if (ret > 0)
			ret = 0;
	}
	if (ret) {
		munmap(ch->base, ch->size);
		free(ch);
		return ret;
	}
	*chp = ch;
	return 0;
}

void kipc_channel_close(struct kipc_channel *ch)
{
	if (!ch)
		return;
	munmap(ch->base, ch->size);
	close(ch->fd);
	free(ch);
}

int kipc_channel_fd(const struct kipc_channel *ch)
{
	return ch->fd;
}

size_t kipc_channel_max_msg(const struct kipc_channel *ch)
{
	return ch->max_msg;
}

size_t kipc_channel_slot_size(const struct kipc_channel *ch)
{
	return ch->pv.base ? ch->pv.slot_size : ch->gv.slot_size;
}

int kipc_channel_stats(const struct kipc_channel *ch,
		       struct kipc_channel_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return kipc__ioctl(ch->fd, KIPC_CHANNEL_IOC_STATS, stats);
}

/* --- copying put and get ------------------------------------------------ */

int kipc_channel_put(struct kipc_channel *ch, const void *buf, size_t len,
		     __u64 deadline_ns)
{
	struct kipc_ring_rounds rounds = { 0 };
	int owner, ret;

	if (!ch->pv.base)
		return -EBADF;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	if (len > ch->pv.slot_size)
		return ch_put_large(ch, buf, len, deadline_ns);
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	for (;;) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_PUT);

		if (ch_epipe(ch))
			return -EPIPE;
		ret = kipc_ring_try_put(&ch->pv, owner, buf, len);
		if (!ret) {
			ch_after_put(ch);
			return 0;
		}
		if (ret != -EAGAIN)
			return ret;
		ret = ch_wait(ch, KIPC_CHANNEL_PUT, seq, deadline_ns, &rounds);
		if (ret)
			return ret;
	}
}

ssize_t kipc_channel_get(struct kipc_channel *ch, void *buf, size_t buflen,
			 __u64 deadline_ns)
{
	u32 len, room = buflen > UINT32_MAX ? UINT32_MAX : buflen;
	struct kipc_ring_rounds rounds = { 0 };
	int owner, ret;

	if (!ch->gv.base)
		return -EBADF;
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	for (;;) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_GET);

		ret = kipc_ring_try_get(&ch->gv, owner, buf, room, &len);
		if (!ret) {
			ch_after_get(ch);
			return len;
		}
		if (ret == -EREMOTE) {
			/*
			 * The kernel takes it, checking the true length; if
			 * someone was faster, the next message.
			 */
			ret = ch_large(ch, KIPC_CHANNEL_IOC_GET_LARGE, buf, room,
				       KIPC_NOWAIT);
			if (ret != -EAGAIN)
				return ret;
			ret = ch_spun(ch, KIPC_CHANNEL_GET, &rounds);
			if (ret)
				return ret;
			continue;
		}
		if (ret != -EAGAIN)
			return ret;
		ret = ch_wait(ch, KIPC_CHANNEL_GET, seq, deadline_ns, &rounds);
		if (ret)
			return ret;
	}
}

int kipc_channel_put_many(struct kipc_channel *ch, const struct iovec *msgs,
			  unsigned int n, __u64 deadline_ns)
{
	struct kipc_ring_rounds rounds = { 0 };
	unsigned int done = 0;
	int owner, ret = 0;

	if (!ch->pv.base)
		return -EBADF;
	if (!n)
		return 0;
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	while (done < n) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_PUT);

		if (ch_epipe(ch)) {
			ret = -EPIPE;
			break;
		}
		if (msgs[done].iov_len > ch->max_msg) {
			ret = -EMSGSIZE;
			break;
		}
		if (msgs[done].iov_len > ch->pv.slot_size) {
			ret = ch_put_large(ch, msgs[done].iov_base,
					   msgs[done].iov_len,
					   done ? KIPC_NOWAIT : deadline_ns);
			if (!ret) {
				done++;
				continue;
			}
			break;
		}
		ret = kipc_ring_try_put(&ch->pv, owner, msgs[done].iov_base,
					msgs[done].iov_len);
		if (!ret) {
			done++;
			continue;
		}
		if (ret != -EAGAIN || done)
			break;
		ret = ch_wait(ch, KIPC_CHANNEL_PUT, seq, deadline_ns, &rounds);
		if (ret)
			break;
	}
	/* One barrier and one wake for the whole batch. */
	if (done) {
		ch_after_put(ch);
		return done;
	}
	return ret;
}

int kipc_channel_get_many(struct kipc_channel *ch, struct iovec *msgs,
			  unsigned int n, __u64 deadline_ns)
{
	struct kipc_ring_rounds rounds = { 0 };
	unsigned int done = 0;
	int owner, ret = 0;

	if (!ch->gv.base)
		return -EBADF;
	if (!n)
		return 0;
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	while (done < n) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_GET);
		size_t room = msgs[done].iov_len;
		u32 len;

		ret = kipc_ring_try_get(&ch->gv, owner, msgs[done].iov_base,
					room > UINT32_MAX ? UINT32_MAX : room,
					&len);
		if (!ret) {
			msgs[done++].iov_len = len;
			continue;
		}
		if (ret == -EREMOTE) {
			long n = ch_large(ch, KIPC_CHANNEL_IOC_GET_LARGE,
					  msgs[done].iov_base, room, KIPC_NOWAIT);

			if (n >= 0) {
				msgs[done++].iov_len = n;
				continue;
			}
			if (n == -EAGAIN && !ch_spun(ch, KIPC_CHANNEL_GET, &rounds))
				continue;
			ret = n == -EAGAIN ? -EIO : n;
		}
		if (ret != -EAGAIN || done)
			break;
		ret = ch_wait(ch, KIPC_CHANNEL_GET, seq, deadline_ns, &rounds);
		if (ret)
			break;
	}
	if (done) {
		ch_after_get(ch);
		return done;
	}
	return ret;
}

/* --- zero-copy ---------------------------------------------------------- */

int kipc_channel_put_claim(struct kipc_channel *ch, size_t len,
			   struct kipc_channel_claim *c, __u64 deadline_ns)
{
	struct kipc_ring_cookie k;
	struct kipc_ring_rounds rounds = { 0 };
	int owner, ret;

	if (!ch->pv.base)
		return -EBADF;
	if (len > ch->max_msg)
		return -EMSGSIZE;
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	for (;;) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_PUT);

		if (ch_epipe(ch))
			return -EPIPE;
		ret = kipc_ring_claim(&ch->pv, owner, len, &k);
		if (!ret)
			break;
		if (ret != -EAGAIN)
			return ret;
		ret = ch_wait(ch, KIPC_CHANNEL_PUT, seq, deadline_ns, &rounds);
		if (ret)
			return ret;
	}
	c->data = k.data;
	c->len = k.len;
	c->pos = k.pos;
	c->owner = k.owner;
	c->type = KIPC_RING_REC_INLINE;
	return 0;
}

static void claim_to_cookie(struct kipc_channel *ch,
			    const struct kipc_channel_claim *c,
			    struct kipc_ring_cookie *k)
{
	k->data = c->data;
	k->pos = c->pos;
	k->len = c->len;
	k->owner = c->owner;
	(void)ch;
}

int kipc_channel_put_commit(struct kipc_channel *ch,
			    struct kipc_channel_claim *c)
{
	struct kipc_ring_cookie k;
	int ret;

	if (!ch->pv.base)
		return -EBADF;
	if (c->len > ch->max_msg)
		return -EMSGSIZE;
	claim_to_cookie(ch, c, &k);
	ret = kipc_ring_commit(&ch->pv, &k);
	if (ret)
		return ret;
	ch_after_put(ch);
	return 0;
}

int kipc_channel_put_abort(struct kipc_channel *ch,
			   struct kipc_channel_claim *c)
{
	struct kipc_ring_cookie k;
	__u32 ops = 0;
	int ret;

	if (!ch->pv.base)
		return -EBADF;
	claim_to_cookie(ch, c, &k);
	ret = kipc_ring_abort(&ch->pv, &k);
	if (ret < 0)
		return ret;
	if (ret & KIPC_RING_WAKE_GET)
		ops |= KIPC_CHANNEL_WAKE_GET;
	if (ret & KIPC_RING_WAKE_PUT)
		ops |= KIPC_CHANNEL_WAKE_PUT;
	if (ops)
		ch_wake(ch, ops);
	return 0;
}

int kipc_channel_get_claim(struct kipc_channel *ch,
			   struct kipc_channel_claim *c, __u64 deadline_ns)
{
	struct kipc_ring_msg m;
	struct kipc_ring_rounds rounds = { 0 };
	int owner, ret;

	if (!ch->gv.base)
		return -EBADF;
	owner = ch_owner(ch);
	if (owner < 0)
		return owner;
	for (;;) {
		__u32 seq = ch_seq(ch, KIPC_CHANNEL_GET);

		ret = kipc_ring_get_claim(&ch->gv, owner, 0, &m);
		if (!ret)
			break;
		if (ret != -EAGAIN)
			return ret;
		ret = ch_wait(ch, KIPC_CHANNEL_GET, seq, deadline_ns, &rounds);
		if (ret)
			return ret;
	}
	c->data = (void *)m.data;
	c->len = m.len;
	c->pos = m.pos;
	c->owner = m.owner;
	c->type = m.type;
	return 0;
}

int kipc_channel_get_release(struct kipc_channel *ch,
			     struct kipc_channel_claim *c)
{
	struct kipc_ring_msg m = {
		.data = c->data,
		.pos = c->pos,
		.len = c->len,
		.type = c->type,
		.owner = c->owner,
	};

	if (!ch->gv.base)
		return -EBADF;
	kipc_ring_get_release(&ch->gv, &m);
	ch_after_get(ch);
	return 0;
}

/* --- pipes -------------------------------------------------------------- */

int kipc_pipe_create(const struct kipc_channel_params *params, __u32 flags,
		     int fds[2])
{
	struct kipc_pipe args = {
		.flags = flags & KIPC_PIPE_DUPLEX,
		.fd_flags = flags & ~KIPC_PIPE_DUPLEX,
	};
	int dev, ret;

	if (!params || !fds)
		return -EINVAL;
	args.params = *params;
	dev = kipc__dev();
	if (dev < 0)
		return dev;
	ret = kipc__ioctl(dev, KIPC_IOC_PIPE, &args);
	if (ret)
		return ret;
	fds[0] = args.fds[0];
	fds[1] = args.fds[1];
	return 0;
}
