// SPDX-License-Identifier: GPL-2.0-only
/*
 * The seeded generator (xorshift64*) and the values the fuzzer draws from
 * it: interesting sizes, bad pointers, odd names.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

void fz_seed(struct fz_ctx *c, __u64 seed, __u64 stream)
{
	/* splitmix64 of (seed, stream): distinct, never-zero states */
	__u64 z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	c->rng = z ? z : 1;
}

__u64 fz_rand(struct fz_ctx *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

__u32 fz_below(struct fz_ctx *c, __u32 n)
{
	return n ? (__u32)(fz_rand(c) % n) : 0;
}

int fz_chance(struct fz_ctx *c, unsigned int percent)
{
	return fz_below(c, 100) < percent;
}

/* A size or value around the edges of 0..@max. */
__u64 fz_interesting(struct fz_ctx *c, __u64 max)
{
	switch (fz_below(c, 14)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return max;
	case 3: return max + 1;
	case 4: return max - 1;
	case 5: return ~0ULL;
	case 6: return 1ULL << fz_below(c, 64);
	case 7: return (1ULL << fz_below(c, 64)) - 1;
	case 8: return 0x80000000ULL;
	case 9: return FZ_PAGE;
	case 10: return FZ_PAGE + 1;
	case 11: return fz_rand(c);
	case 12: return fz_below(c, 64);
	default:
		/* 0..max: the whole range when max + 1 wraps to 0 */
		return max == ~0ULL ? fz_rand(c) : fz_rand(c) % (max + 1);
	}
}

void fz_fill(struct fz_ctx *c, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)fz_rand(c);
}

/*
 * A pointer through which @len bytes cannot all be accessed: low,
 * non-canonical and kernel addresses, the guard page, and (when
 * @straddle) a region that starts readable and runs into the guard page.
 * Never NULL: 0 means "none" in several fields (an anonymous name).
 */
void *fz_badptr2(struct fz_ctx *c, size_t len, int straddle)
{
	char *guard = c->scratch + 2 * FZ_PAGE;
	size_t back = len > 1 ? 1 + fz_below(c, len - 1) : 0;

	switch (fz_below(c, straddle ? 5 : 4)) {
	case 0: return (void *)(uintptr_t)(1 + fz_below(c, 4096));
	case 1: return (void *)0x0000800000000000ULL;
	case 2: return (void *)0xffffffff81000000ULL;
	case 3: return guard + fz_below(c, FZ_PAGE);
	default: return guard - back;	/* straddles into the guard page */
	}
}

/* An ioctl argument that cannot be read whole (NULL included). */
void *fz_badptr(struct fz_ctx *c, size_t len)
{
	return fz_chance(c, 15) ? NULL : fz_badptr2(c, len, 1);
}

/*
 * The round's names: short, the longest allowed, binary bytes (no control
 * character: objects.rst), slashes and spaces. Deterministic from the
 * round's seed.
 */
void fz_make_names(struct fz_ctx *c)
{
	int k;

	for (k = 0; k < FZ_NAMES; k++) {
		char *n = c->names[k];
		__u32 len, i;

		switch (k % 4) {
		case 0:
			len = snprintf(n, FZ_NAME_BUF, "fz-%llu-%d-%d",
				       (unsigned long long)c->seed, c->round, k);
			break;
		case 1:
			len = KIPC_NAME_MAX;
			memset(n, 'a' + k, len);
			snprintf(n, 24, "fz-%d-%d-", c->round, k);
			n[strlen(n)] = 'x';
			break;
		case 2:
			len = 1 + fz_below(c, 64);
			for (i = 0; i < len; i++) {
				n[i] = (char)(0x20 + fz_below(c, 0xe0));
				if (n[i] == 0x7f)
					n[i] = '~';
			}
			n[0] = (char)(0x80 + k);
			break;
		default:
			len = snprintf(n, FZ_NAME_BUF, "/fz/ %d %d/..", c->round, k);
			break;
		}
		c->name_len[k] = len;
	}
}

__u64 fz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
