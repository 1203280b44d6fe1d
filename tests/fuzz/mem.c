// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mappings: mmap with random offsets, lengths, prots and flags; munmap,
 * mprotect and mremap of parts and wholes; scribbles over every mapped word
 * while other processes run the protocols. A fault on a mapping the kernel
 * granted is a violation, caught with a SIGSEGV/SIGBUS handler.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fault_handlers(void)
{
	static int done;
	struct sigaction sa;

	if (done)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	done = 1;
}

static int map_slot(struct fz_ctx *c)
{
	int k;

	for (k = 0; k < FZ_MAX_MAPS; k++)
		if (!c->maps[k].addr)
			return k;
	return -1;
}

static void map_forget(struct fz_ctx *c, int k)
{
	memset(&c->maps[k], 0, sizeof(c->maps[k]));
}

/* The object @i was closed: its mappings stay (they hold the object). */
void fz_mem_forget_obj(struct fz_ctx *c, int i)
{
	int k;

	for (k = 0; k < FZ_MAX_MAPS; k++)
		if (c->maps[k].addr && c->maps[k].obj == i)
			c->maps[k].obj = -1;
}

void fz_mem_unmap_all(struct fz_ctx *c)
{
	int k;

	for (k = 0; k < FZ_MAX_MAPS; k++)
		if (c->maps[k].addr) {
			munmap(c->maps[k].addr, c->maps[k].len);
			map_forget(c, k);
		}
}

void fz_op_mmap(struct fz_ctx *c)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_READ, PROT_NONE, PROT_WRITE,
				     PROT_READ | PROT_WRITE | PROT_EXEC };
	int i = fz_obj_pick(c, 0), k = map_slot(c), prot, flags, outside = 0, priv = 0;

	__u64 pages, off, len;
	struct fz_obj *o;
	void *p;

	if (i < 0 || k < 0) {
		if (k < 0)
			fz_op_vma(c);
		return;
	}
	o = &c->objs[i];
	pages = (o->size + FZ_PAGE - 1) / FZ_PAGE;
	off = fz_below(c, pages);
	len = (1 + fz_below(c, pages - off)) * FZ_PAGE;
	if (fz_chance(c, 50)) {
		off = 0;
		len = pages * FZ_PAGE;
	}
	switch (fz_below(c, 12)) {
	case 0: off = pages + fz_below(c, 4); outside = 1; break;
	case 1: len = fz_interesting(c, pages * FZ_PAGE); break;
	case 2: off = fz_interesting(c, ~0ULL >> 13); break;
	default: break;
	}
	off = (off * FZ_PAGE) / FZ_PAGE;	/* the page offset mmap will see */
	prot = prots[fz_below(c, 6)];
	flags = MAP_SHARED;
	if (fz_chance(c, 5)) {
		flags = MAP_PRIVATE;
		priv = 1;
	}
	if (fz_chance(c, 5))
		flags |= MAP_POPULATE;
	if (fz_chance(c, 3)) {
		flags = fz_rand(c) & ~(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_HUGETLB |
				       MAP_ANONYMOUS | 0xfc000000);
		priv = (flags & MAP_TYPE) == MAP_PRIVATE;
	}
	p = mmap(NULL, len, prot, flags, o->fd, off * FZ_PAGE);
	if (p == MAP_FAILED)
		return;
	if (priv)
		fz_violation(c, "MAP_PRIVATE mmap of an object succeeded");
	if (outside || off + (len + FZ_PAGE - 1) / FZ_PAGE > pages) {
		/* granted beyond the object: SIGBUS waits there; say so once */
		fz_violation(c, "mmap of pages %llu+%llu of a %llu-page object succeeded",
			     (unsigned long long)off, (unsigned long long)(len / FZ_PAGE),
			     (unsigned long long)pages);
		munmap(p, len);
		return;
	}
	c->maps[k].addr = p;
	c->maps[k].len = (len + FZ_PAGE - 1) & ~(FZ_PAGE - 1);
	c->maps[k].prot = prot;
	c->maps[k].obj = i;
}

void fz_op_vma(struct fz_ctx *c)
{
	int k = fz_below(c, FZ_MAX_MAPS), ret, prot;
	struct fz_map *m = &c->maps[k];
	size_t pages, lo, n;
	void *p;

	if (!m->addr) {
		fz_op_mmap(c);
		return;
	}
	pages = m->len / FZ_PAGE;
	lo = fz_below(c, pages);
	n = 1 + fz_below(c, pages - lo);
	switch (fz_below(c, 6)) {
	case 0: /* unmap the whole mapping */
		if (munmap(m->addr, m->len))
			fz_violation(c, "munmap of a whole mapping: %s", strerrorname_np(errno));
		map_forget(c, k);
		break;
	case 1: /* a split: part of it */
		if (pages < 2 || n == pages)
			break;
		ret = munmap(m->addr + lo * FZ_PAGE, n * FZ_PAGE);
		fz_expect_err(c, "partial munmap", ret ? -errno : 0, EINVAL);
		if (!ret)
			map_forget(c, k);	/* lost track: leave it */
		break;
	case 2:
		if (pages < 2 || n == pages)
			break;
		/* a prot it does not have: the same one changes nothing */
		prot = m->prot == PROT_READ ? PROT_READ | PROT_WRITE : PROT_READ;
		ret = mprotect(m->addr + lo * FZ_PAGE, n * FZ_PAGE, prot);
		fz_expect_err(c, "partial mprotect", ret ? -errno : 0, EINVAL);
		if (!ret)
			m->prot = PROT_NONE;	/* split: do not scribble any more */
		break;
	case 3: /* grow, move, duplicate: all refused */
		p = mremap(m->addr, m->len, m->len + FZ_PAGE * (1 + fz_below(c, 4)), MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			fz_violation(c, "mremap grew a mapping");
			m->addr = p;
			m->len += FZ_PAGE;
			m->prot = PROT_NONE;
		}
		break;
	case 4:
		p = mremap(m->addr, 0, m->len, MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			fz_violation(c, "mremap duplicated a mapping");
			munmap(p, m->len);
		}
		break;
	default: /* whole-mapping mprotect: undocumented, only exercised */
		prot = fz_chance(c, 50) ? PROT_READ : PROT_READ | PROT_WRITE;
		if (!mprotect(m->addr, m->len, prot))
			m->prot = prot;
		break;
	}
}

/* Writes (and reads) random words of a random mapping. */
void fz_op_scribble(struct fz_ctx *c)
{
	int k = fz_below(c, FZ_MAX_MAPS), sig, n;
	struct fz_map *m = &c->maps[k];
	volatile __u32 *w;
	size_t words;

	if (!m->addr || !(m->prot & PROT_READ)) {
		fz_op_mmap(c);
		return;
	}
	fault_handlers();
	words = m->len / 4;
	sig = sigsetjmp(fault_jmp, 1);
	if (sig) {
		fault_armed = 0;
		fz_violation(c, "signal %d touching a granted %s mapping of %zu bytes", sig,
			     m->prot & PROT_WRITE ? "rw" : "ro", m->len);
		m->prot = PROT_NONE;
		return;
	}
	fault_armed = 1;
	for (n = 1 + fz_below(c, 16); n--;) {
		size_t at = fz_chance(c, 50) ? fz_below(c, 64) : fz_below(c, words);
		__u32 v;

		if (at >= words)
			at = words - 1;
		w = (volatile __u32 *)m->addr + at;
		v = *w;
		if (!(m->prot & PROT_WRITE) || (m->prot & PROT_EXEC))
			continue;
		switch (fz_below(c, 6)) {
		case 0: v = 0; break;
		case 1: v = ~0U; break;
		case 2: v ^= 1U << fz_below(c, 32); break;
		case 3: v += fz_chance(c, 50) ? 1 : -1; break;
		case 4: v = 0x80000000U | fz_below(c, 3); break;
		default: v = fz_rand(c); break;
		}
		*w = v;
	}
	fault_armed = 0;
}
