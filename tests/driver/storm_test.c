// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kill storms: over 1,000 SIGKILLs at random instants of channel producers
 * and consumers, Lock and RLock holders, Barrier parties and io_uring
 * submitters in the middle of their traffic, each followed by exact
 * accounting against the rules of Documentation/channels.rst, sync.rst and
 * uring.rst: no committed message lost (except one a killed consumer held,
 * counted in "dropped") or duplicated or corrupted, an uncommitted put only
 * "discarded", every dead holder's lock handed on with EOWNERDEAD, every
 * surviving party released with EPIPE, every pending command completed,
 * no stuck waiter (every wait is bounded), no object left behind.
 *
 * A kill cycle is cheap: fork, run 0-20 ms, SIGKILL, reap, check.
 * KIPC_TEST_SCALE=N divides the kill counts by N.
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <libipc.h>
#include <libipc-uring.h>

#include "kipc_test.h"
#include "kipc_uring_test.h"
#include "kselftest_harness.h"

#define MSEC	1000000ULL

/* SIGKILL @pid and reap it: 0 if that killed it (it had not exited). */
static int kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	return kt_reap(pid) == 128 + SIGKILL ? 0 : -1;
}

/* The exit code of @pid within @ms, else it is killed and -1: stuck. */
static int reap_within(pid_t pid, int ms)
{
	int status, i;

	for (i = 0; i < ms; i++) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (got < 0)
			return -1;
		usleep(1000);
	}
	kt_kill_reap(pid);
	return -1;
}

static void *shared(size_t size)
{
	void *p = kt_shared(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Messages: (producer, seq, length, checksum) and a patterned tail. */
struct smsg {
	__u32 producer;
	__u32 seq;
	__u32 len;
	__u32 check;
};

static __u32 msg_fill(__u8 *buf, __u32 room, __u32 producer, __u32 seq)
{
	struct smsg m = { producer, seq, 0, 0 };
	__u32 len = sizeof(m) + (seq * 7 + producer) % (room - sizeof(m) + 1);
	__u32 i;

	m.len = len;
	m.check = producer * 2654435761U ^ seq ^ len;
	memcpy(buf, &m, sizeof(m));
	for (i = sizeof(m); i < len; i++)
		buf[i] = (__u8)(seq + i + producer);
	return len;
}

static int msg_check(const __u8 *buf, __u32 len, struct smsg *m)
{
	__u32 i;

	if (len < sizeof(*m))
		return -1;
	memcpy(m, buf, sizeof(*m));
	if (m->len != len ||
	    m->check != (m->producer * 2654435761U ^ m->seq ^ len))
		return -1;
	for (i = sizeof(*m); i < len; i++)
		if (buf[i] != (__u8)(m->seq + i + m->producer))
			return -1;
	return 0;
}

static struct kipc_channel_stats stats(struct kipc_channel *ch)
{
	struct kipc_channel_stats st;

	if (kipc_channel_stats(ch, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

FIXTURE(storm) {
	long objects;
};

FIXTURE_SETUP(storm)
{
	self->objects = kt_objects();
	ASSERT_LE(0, self->objects);
	srand(getpid() ^ (unsigned int)kt_now_ns());
}

FIXTURE_TEARDOWN(storm)
{
	/* Every object of the test is gone, whatever died holding it. */
	EXPECT_EQ(0, kt_objects_back_to(self->objects));
}

/* --- channels: producers and consumers -------------------------------- */

#define CH_INST		1024	/* process instances (journal rows) */
#define CH_SEQS		2048	/* messages a producer instance may put */
#define CH_BATCH	2	/* put_many size */

struct ch_journal {
	__u32 committed;	/* producer: seqs below this are committed */
	__u32 pstate;		/* producer: 1 inside a put */
	__u32 cstate;		/* consumer: 1 counting, 2 counted, 3 releasing */
	__u32 hold_producer;	/* consumer: the message it holds */
	__u32 hold_seq;
};

struct ch_shared {
	int drain;
	struct ch_journal j[CH_INST];
	__u8 recv[CH_INST][CH_SEQS];
};

static void st_set(__u32 *p, __u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static int ch_producer(struct kipc_channel *ch, struct ch_shared *sh,
		       __u32 inst)
{
	struct ch_journal *j = &sh->j[inst];
	__u8 buf[CH_BATCH][48];
	__u32 seq = 0;

	while (seq + CH_BATCH <= CH_SEQS) {
		struct kipc_channel_claim c;
		struct iovec iov[CH_BATCH];
		__u32 len = msg_fill(buf[0], 48, inst, seq), n = 1, k;
		int ret = 0;

		st_set(&j->pstate, 1);
		switch (seq % 3) {
		case 0:
			ret = kipc_channel_put(ch, buf[0], len, KIPC_NO_DEADLINE);
			break;
		case 1:
			ret = kipc_channel_put_claim(ch, len, &c, KIPC_NO_DEADLINE);
			if (ret)
				break;
			memcpy(c.data, buf[0], len);
			if (seq % 8 == 1)
				usleep(300);	/* a kill here: discarded */
			ret = kipc_channel_put_commit(ch, &c);
			break;
		default:
			for (k = 0; k < CH_BATCH; k++) {
				iov[k].iov_base = buf[k];
				iov[k].iov_len = msg_fill(buf[k], 48, inst, seq + k);
			}
			ret = kipc_channel_put_many(ch, iov, CH_BATCH,
						    KIPC_NO_DEADLINE);
			if (ret > 0) {
				n = ret;
				ret = 0;
			}
			break;
		}
		if (ret)
			return 1;
		seq += n;
		st_set(&j->committed, seq);
		st_set(&j->pstate, 0);
	}
	pause();
	return 0;
}

static int ch_consumer(struct kipc_channel *ch, struct ch_shared *sh,
		       __u32 inst)
{
	static __u32 last[CH_INST];	/* FIFO per producer */
	struct ch_journal *j = &sh->j[inst];

	memset(last, 0xff, sizeof(last));
	for (;;) {
		struct kipc_channel_claim c;
		struct smsg m;
		int ret;

		ret = kipc_channel_get_claim(ch, &c, __atomic_load_n(&sh->drain,
			__ATOMIC_ACQUIRE) ? KIPC_NOWAIT : kt_in_ns(50 * MSEC));
		if (ret == -ETIMEDOUT)
			continue;
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return 1;
		if (msg_check(c.data, c.len, &m) || m.producer >= CH_INST ||
		    m.seq >= CH_SEQS)
			return 2;
		if (last[m.producer] != ~0U && m.seq <= last[m.producer])
			return 3;
		last[m.producer] = m.seq;
		/* Counted while the claim is held, journaled around it. */
		st_set(&j->hold_producer, m.producer);
		st_set(&j->hold_seq, m.seq);
		st_set(&j->cstate, 1);
		__atomic_fetch_add(&sh->recv[m.producer][m.seq], 1, __ATOMIC_SEQ_CST);
		st_set(&j->cstate, 2);
		if (m.seq % 8 == 3)
			usleep(300);	/* a kill here: dropped */
		st_set(&j->cstate, 3);
		kipc_channel_get_release(ch, &c);
		st_set(&j->cstate, 0);
	}
}

static pid_t ch_spawn(struct kipc_channel *ch, struct ch_shared *sh, int k,
		      __u32 inst)
{
	pid_t pid = fork();

	if (!pid)
		_exit(k < 3 ? ch_producer(ch, sh, inst) : ch_consumer(ch, sh, inst));
	return pid;
}

/*
 * Three producers (put, claim/commit, put_many) and three consumers
 * (claims) of a small ring, one of them killed at a random instant each
 * cycle. After each kill the kernel's counters move exactly as the rules
 * say: a producer's death discards at most its put in progress and drops
 * nothing; a consumer's death drops exactly the claim it held. At the end
 * every committed message was received exactly once, except the dropped
 * ones; nothing uncommitted arrived; every message was intact and in order
 * per producer.
 */
TEST_F_TIMEOUT(storm, channel_traffic, 300)
{
	struct kipc_channel *ch = kt_chan_new(8, 48, 0);
	long dropped = 0, discarded = 0, held_counted = 0, missing = 0;
	unsigned int kills = kt_scaled(420), n;
	__u32 insts[6], next = 0, inst, seq;
	struct ch_shared *sh;
	pid_t pids[6];
	int k;

	ASSERT_NE(NULL, ch);
	sh = shared(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (k = 0; k < 6; k++) {
		insts[k] = next++;
		pids[k] = ch_spawn(ch, sh, k, insts[k]);
		ASSERT_LE(0, pids[k]);
	}
	for (n = 0; n < kills; n++) {
		struct kipc_channel_stats before = stats(ch), after;
		struct ch_journal *j;
		long d, x;

		usleep(rand() % 20000);
		k = rand() % 6;
		ASSERT_EQ(0, kill_reap(pids[k])) TH_LOG("role %d exited", k);
		/* The mapping is gone, so recovery has run. */
		after = stats(ch);
		d = after.dropped - before.dropped;
		x = after.discarded - before.discarded;
		j = &sh->j[insts[k]];
		if (k < 3) {
			ASSERT_EQ(0, d);
			ASSERT_LE(0, x);
			ASSERT_GE(j->pstate ? CH_BATCH : 0, x);
		} else {
			ASSERT_EQ(0, x);
			if (j->cstate == 1 || j->cstate == 2)
				ASSERT_EQ(1, d) TH_LOG("a held claim not dropped");
			ASSERT_LE(0, d);
			ASSERT_GE(1, d);
			/* A dropped message that was already counted. */
			if (d && (j->cstate == 2 || j->cstate == 3 ||
				  (j->cstate == 1 &&
				   sh->recv[j->hold_producer][j->hold_seq])))
				held_counted++;
		}
		dropped += d;
		discarded += x;
		ASSERT_GT(CH_INST, next);
		insts[k] = next++;
		pids[k] = ch_spawn(ch, sh, k, insts[k]);
		ASSERT_LE(0, pids[k]);
	}
	for (k = 0; k < 3; k++) {
		struct kipc_channel_stats before = stats(ch);

		ASSERT_EQ(0, kill_reap(pids[k]));
		discarded += stats(ch).discarded - before.discarded;
	}
	/* The consumers drain the ring and leave, each within 30 s. */
	__atomic_store_n(&sh->drain, 1, __ATOMIC_RELEASE);
	for (k = 3; k < 6; k++)
		ASSERT_EQ(0, reap_within(pids[k], 30000));
	EXPECT_EQ(0, stats(ch).queued);
	EXPECT_EQ(dropped, stats(ch).dropped);
	EXPECT_EQ(discarded, stats(ch).discarded);
	EXPECT_EQ(0, stats(ch).get_waiters);
	EXPECT_EQ(0, stats(ch).put_waiters);

	for (inst = 0; inst < next; inst++) {
		__u32 committed = sh->j[inst].committed;

		for (seq = 0; seq < CH_SEQS; seq++) {
			__u8 r = sh->recv[inst][seq];

			ASSERT_GE(1, r) TH_LOG("%u/%u duplicated", inst, seq);
			/* A put in progress at the kill may have gone in. */
			if (seq >= committed + CH_BATCH)
				ASSERT_EQ(0, r) TH_LOG("%u/%u never put", inst, seq);
			if (seq < committed && !r)
				missing++;
		}
	}
	/* Each message lost is one a killed consumer held, and vice versa. */
	EXPECT_EQ(dropped, missing + held_counted);
	TH_LOG("%u kills, %u instances: dropped %ld (missing %ld, counted "
	       "before the kill %ld), discarded %ld", kills, next, dropped,
	       missing, held_counted, discarded);
	munmap(sh, sizeof(*sh));
	kipc_channel_close(ch);
}

/* --- Lock and RLock holders ------------------------------------------- */

struct lk_shared {
	__u32 state[2];		/* 1 acquiring, 2 holding, 3 releasing */
	__u32 owner_dead;	/* EOWNERDEAD seen by the children */
};

static int lk_acquire(struct kipc_sync *l, bool r, __u64 dl)
{
	return r ? kipc_rlock_acquire(l, dl) : kipc_lock_acquire(l, dl);
}

static int lk_release(struct kipc_sync *l, bool r)
{
	return r ? kipc_rlock_release(l) : kipc_lock_release(l);
}

static int lk_consistent(struct kipc_sync *l, bool r)
{
	return r ? kipc_rlock_consistent(l) : kipc_lock_consistent(l);
}

static int lk_holder(struct kipc_sync *l, bool r, struct lk_shared *sh, int i)
{
	for (;;) {
		int levels = r ? 1 + rand() % 3 : 1, k, ret;

		st_set(&sh->state[i], 1);
		ret = lk_acquire(l, r, kt_in_ns(30000 * MSEC));
		if (ret == -EOWNERDEAD) {
			__atomic_fetch_add(&sh->owner_dead, 1, __ATOMIC_SEQ_CST);
			if (lk_consistent(l, r))
				return 2;
		} else if (ret) {
			return 1;
		}
		for (k = 1; k < levels; k++)
			if (lk_acquire(l, r, KIPC_NOWAIT))
				return 3;
		st_set(&sh->state[i], 2);
		usleep(rand() % 2000);
		st_set(&sh->state[i], 3);
		for (k = 0; k < levels; k++)
			if (lk_release(l, r))
				return 4;
		st_set(&sh->state[i], 0);
		usleep(rand() % 500);
	}
}

static pid_t lk_spawn(struct kipc_sync *l, bool r, struct lk_shared *sh, int i)
{
	pid_t pid = fork();

	if (!pid) {
		srand(getpid());
		_exit(lk_holder(l, r, sh, i));
	}
	return pid;
}

/*
 * Two children contend for the lock, holding it most of the time; one is
 * killed at a random instant. This process then acquires it (bounded):
 * exactly one acquirer - this process or the surviving child - was told
 * EOWNERDEAD if and only if the victim held the lock.
 */
static void lock_storm(struct __test_metadata *_metadata, bool r,
		       unsigned int kills)
{
	struct kipc_sync *l;
	struct lk_shared *sh = shared(sizeof(*sh));
	unsigned int n, held = 0, unsure = 0, told = 0;
	pid_t pids[2];
	int i;

	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, r ? kipc_rlock_create(&l, NULL, 0, 0) :
		  kipc_lock_create(&l, NULL, 0, 0));
	for (i = 0; i < 2; i++) {
		pids[i] = lk_spawn(l, r, sh, i);
		ASSERT_LE(0, pids[i]);
	}
	for (n = 0; n < kills; n++) {
		__u32 state, seen;
		int ret;

		usleep(rand() % 20000);
		i = rand() % 2;
		ASSERT_EQ(0, kill_reap(pids[i]));
		state = sh->state[i];
		ret = lk_acquire(l, r, kt_in_ns(10000 * MSEC));
		ASSERT_TRUE(ret == 0 || ret == -EOWNERDEAD) TH_LOG("ret %d", ret);
		if (ret == -EOWNERDEAD)
			ASSERT_EQ(0, lk_consistent(l, r));
		/* The survivor releases before we get it: its count is final. */
		seen = __atomic_exchange_n(&sh->owner_dead, 0, __ATOMIC_SEQ_CST) +
		       (ret == -EOWNERDEAD);
		ASSERT_GE(1, seen) TH_LOG("one death told twice");
		if (state == 2)
			ASSERT_EQ(1, seen) TH_LOG("a dead holder's lock handed on silently");
		if (state == 0)
			ASSERT_EQ(0, seen) TH_LOG("owner death told for a free lock");
		held += state == 2;
		unsure += state == 1 || state == 3;
		told += seen;
		st_set(&sh->state[i], 0);
		pids[i] = lk_spawn(l, r, sh, i);
		ASSERT_LE(0, pids[i]);
		ASSERT_EQ(0, lk_release(l, r));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kill_reap(pids[i]));
	/* Whatever the last kill left, the lock is free and normal again. */
	{
		int ret = lk_acquire(l, r, kt_in_ns(10000 * MSEC));

		if (ret == -EOWNERDEAD)
			ASSERT_EQ(0, lk_consistent(l, r));
		ASSERT_TRUE(ret == 0 || ret == -EOWNERDEAD);
		ASSERT_EQ(0, lk_release(l, r));
		ASSERT_EQ(0, r ? kipc_rlock_try_acquire(l) : kipc_lock_try_acquire(l));
		ASSERT_EQ(0, lk_release(l, r));
	}
	EXPECT_LT(0, held);
	TH_LOG("%u kills: %u holding, %u acquiring or releasing, %u told",
	       kills, held, unsure, told);
	kipc_sync_close(l);
	munmap(sh, sizeof(*sh));
}

TEST_F_TIMEOUT(storm, lock_holders, 300)
{
	lock_storm(_metadata, false, kt_scaled(200));
}

TEST_F_TIMEOUT(storm, rlock_holders, 300)
{
	lock_storm(_metadata, true, kt_scaled(150));
}

/* --- Barrier parties --------------------------------------------------- */

struct br_shared {
	__u32 passed[3];	/* generations each party passed */
	__u32 broke[3];		/* 1: got EPIPE */
	int last[3];		/* the last wait's result */
};

static int br_party(struct kipc_sync *b, struct br_shared *sh, int i)
{
	for (;;) {
		int ret;

		usleep(rand() % 3000);		/* work */
		ret = kipc_barrier_wait(b, kt_in_ns(30000 * MSEC));
		st_set((__u32 *)&sh->last[i], ret);
		if (ret == -EPIPE) {
			st_set(&sh->broke[i], 1);
			return 0;
		}
		if (ret < 0 || ret > 2)
			return 1;
		st_set(&sh->passed[i], sh->passed[i] + 1);
	}
}

/*
 * Three parties meet over and over; one is killed at a random instant
 * (working, arriving or waiting). The two others get EPIPE within 10 s -
 * never a hang, never a wrong index - and reset() makes the barrier
 * usable for the next round.
 */
TEST_F_TIMEOUT(storm, barrier_parties, 300)
{
	unsigned int kills = kt_scaled(160), n;
	struct br_shared *sh = shared(sizeof(*sh));
	struct kipc_sync *b;
	__u64 worst = 0;

	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, kipc_barrier_create(&b, NULL, 3, 0, 0));
	for (n = 0; n < kills; n++) {
		pid_t pids[3];
		int i, victim = rand() % 3;
		__u64 t0;

		memset(sh, 0, sizeof(*sh));
		for (i = 0; i < 3; i++) {
			pids[i] = fork();
			if (!pids[i]) {
				srand(getpid());
				_exit(br_party(b, sh, i));
			}
			ASSERT_LE(0, pids[i]);
		}
		usleep(rand() % 20000);
		t0 = kt_now_ns();
		ASSERT_EQ(0, kill_reap(pids[victim]))
			TH_LOG("round %u: party %d left first: last %d passed %u",
			       n, victim, sh->last[victim], sh->passed[victim]);
		for (i = 0; i < 3; i++) {
			if (i == victim)
				continue;
			ASSERT_EQ(0, reap_within(pids[i], 10000)) TH_LOG("party stuck");
			ASSERT_EQ(1, sh->broke[i]);
		}
		if (kt_now_ns() - t0 > worst)
			worst = kt_now_ns() - t0;
		ASSERT_EQ(1, kipc_barrier_broken(b));
		ASSERT_EQ(0, kipc_barrier_reset(b));
		ASSERT_EQ(0, kipc_barrier_broken(b));
		ASSERT_EQ(0, kipc_barrier_waiting(b));
	}
	TH_LOG("%u kills; slowest release of the survivors %llu ms", kills,
	       (unsigned long long)(worst / MSEC));
	kipc_sync_close(b);
	munmap(sh, sizeof(*sh));
}

/* --- io_uring submitters ----------------------------------------------- */

#define UR_TAGS		96	/* commands per submitter: fewer than CQEs */
#define UR_INST		256
#define UR_MSG		40
#define UR_NO_CQE	(-1000000)

struct ur_shared {
	__u8 kind[UR_TAGS];		/* 1 get, 2 put */
	__u8 buf[UR_TAGS][UR_MSG];	/* get buffers, put payloads */
	struct iovec iov[UR_TAGS];
	__u8 recv[UR_INST][UR_TAGS];
	__u8 put_ok[UR_INST][UR_TAGS];
};

/* Submit random gets and puts, a few at a time, and reap completions. */
static int ur_submitter(struct io_uring *r, int fd, struct ur_shared *sh,
			__u32 inst)
{
	__u32 tag = 0;

	while (tag < UR_TAGS) {
		int k, batch = 1 + rand() % 4;

		for (k = 0; k < batch && tag < UR_TAGS; k++, tag++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(r);

			if (!sqe)
				break;
			sh->iov[tag].iov_base = sh->buf[tag];
			if (rand() % 2) {
				sh->kind[tag] = 1;
				sh->iov[tag].iov_len = UR_MSG;
				kipc_prep_channel_get(sqe, fd, &sh->iov[tag],
						      KIPC_URING_NO_DEADLINE);
			} else {
				sh->kind[tag] = 2;
				sh->iov[tag].iov_len = msg_fill(sh->buf[tag], UR_MSG,
								inst, tag);
				kipc_prep_channel_put(sqe, fd, &sh->iov[tag],
						      KIPC_URING_NO_DEADLINE);
			}
			io_uring_sqe_set_data64(sqe, tag);
		}
		if (io_uring_submit(r) < 0)
			return 1;
		usleep(rand() % 1000);
	}
	/* The completions stay in the shared ring, for the parent. */
	pause();
	return 0;
}

/*
 * A child submits io_uring channel gets and puts (many stay pending: the
 * ring is small and often empty or full) and is killed at a random
 * instant. The io_uring instance is the parent's, inherited: after the
 * kill the parent reads every completion the kernel owes for the
 * commands it consumed (each within 10 s: none is lost, none stuck):
 * a put completed with 0 is committed, a get with its length received the
 * message in shared memory, a command completed with ECANCELED did
 * nothing. At the end every committed put was received exactly once and
 * nothing else; nothing was dropped or discarded.
 */
TEST_F_TIMEOUT(storm, uring_submitters, 300)
{
	struct kipc_channel *ch = kt_chan_new(8, 64, 0);
	unsigned int kills = kt_scaled(150), n, canceled = 0, done = 0;
	struct ur_shared *sh = shared(sizeof(*sh));
	__u32 inst, tag;
	__u8 buf[64];
	int fd;

	ASSERT_NE(NULL, ch);
	ASSERT_NE(NULL, sh);
	ASSERT_GE(UR_INST, kills);
	fd = kipc_channel_fd(ch);
	for (n = 0; n < kills; n++) {
		struct io_uring r;
		__u32 consumed, got = 0;
		static int res[UR_TAGS];
		__u64 end;
		pid_t pid;

		ASSERT_EQ(0, io_uring_queue_init(64, &r, 0));
		memset(sh->kind, 0, sizeof(sh->kind));
		pid = fork();
		if (!pid) {
			srand(getpid());
			_exit(ur_submitter(&r, fd, sh, n));
		}
		ASSERT_LE(0, pid);
		usleep(rand() % 20000);
		ASSERT_EQ(0, kill_reap(pid));
		consumed = io_uring_smp_load_acquire(r.sq.khead);
		ASSERT_GE(UR_TAGS, consumed);
		for (tag = 0; tag < UR_TAGS; tag++)
			res[tag] = UR_NO_CQE;
		/* Every command the kernel took completes, promptly. */
		end = kt_in_ns(10000 * MSEC);
		while (got < consumed && kt_now_ns() < end) {
			struct io_uring_cqe *cqe;

			if (io_uring_peek_cqe(&r, &cqe)) {
				usleep(1000);
				continue;
			}
			tag = cqe->user_data;
			ASSERT_GT(consumed, tag);
			ASSERT_EQ(UR_NO_CQE, res[tag]);
			res[tag] = cqe->res;
			io_uring_cqe_seen(&r, cqe);
			got++;
		}
		ASSERT_EQ(consumed, got) TH_LOG("commands never completed");
		ASSERT_EQ(0, stats(ch).get_waiters);
		ASSERT_EQ(0, stats(ch).put_waiters);
		for (tag = 0; tag < consumed; tag++) {
			struct smsg m;

			if (res[tag] == -ECANCELED) {
				canceled++;
				continue;
			}
			done++;
			if (sh->kind[tag] == 2) {
				ASSERT_EQ(0, res[tag]) TH_LOG("put %u: %d", tag, res[tag]);
				sh->put_ok[n][tag] = 1;
				continue;
			}
			ASSERT_EQ(1, sh->kind[tag]);
			ASSERT_LE(0, res[tag]) TH_LOG("get %u: %d", tag, res[tag]);
			ASSERT_EQ(0, msg_check(sh->buf[tag], res[tag], &m));
			ASSERT_GT(kills, m.producer);
			ASSERT_GT(UR_TAGS, m.seq);
			sh->recv[m.producer][m.seq]++;
		}
		io_uring_queue_exit(&r);
	}
	for (;;) {
		struct smsg m;
		ssize_t len = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NOWAIT);

		if (len == -EAGAIN)
			break;
		ASSERT_LE(0, len);
		ASSERT_EQ(0, msg_check(buf, len, &m));
		ASSERT_GT(kills, m.producer);
		ASSERT_GT(UR_TAGS, m.seq);
		sh->recv[m.producer][m.seq]++;
	}
	for (inst = 0; inst < kills; inst++)
		for (tag = 0; tag < UR_TAGS; tag++)
			ASSERT_EQ(sh->put_ok[inst][tag], sh->recv[inst][tag])
				TH_LOG("%u/%u put %u received %u", inst, tag,
				       sh->put_ok[inst][tag], sh->recv[inst][tag]);
	EXPECT_EQ(0, stats(ch).dropped);
	EXPECT_EQ(0, stats(ch).discarded);
	TH_LOG("%u kills: %u commands completed, %u cancelled by the deaths",
	       kills, done, canceled);
	munmap(sh, sizeof(*sh));
	kipc_channel_close(ch);
}

TEST_HARNESS_MAIN
