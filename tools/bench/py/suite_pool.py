# SPDX-License-Identifier: GPL-2.0-only
"""pool: tiny tasks per second through a process pool of one worker per CPU.

map-default: Pool.map's own chunking (len / (4 * workers)); the executor is
given that same chunksize, since its default of 1 measures something else.
map-chunksize-1: one task per message, i.e. the pool's IPC round trip.
Pool start-up is excluded (a warm-up map runs first).
"""

import concurrent.futures
import os

from harness import CTX, kipc_attr, measure, now, row


def _tiny(x):
    return x


def _pool_chunksize(n, workers):
    chunks, extra = divmod(n, workers * 4)
    return chunks + 1 if extra else chunks


class _Pool:
    def __init__(self, workers, ctx=CTX):
        self.pool = ctx.Pool(workers)

    def map(self, n, chunksize):
        return self.pool.map(_tiny, range(n), chunksize)

    def close(self):
        self.pool.close()
        self.pool.join()


class _Executor:
    def __init__(self, workers, ctx=CTX):
        self.ex = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx)

    def map(self, n, chunksize):
        return list(self.ex.map(_tiny, range(n), chunksize=chunksize))

    def close(self):
        self.ex.shutdown()


def _kipc_ctx():
    """kipc's multiprocessing context, with the suite's start method (fork)."""
    return kipc_attr("get_context")(CTX.get_start_method())


# name -> factory(workers) of an object with map(n, chunksize), close().
IMPLS = {
    "multiprocessing.Pool": _Pool,
    "concurrent.futures.ProcessPoolExecutor": _Executor,
    "kipc.get_context().Pool": lambda w: _Pool(w, _kipc_ctx()),
    "ProcessPoolExecutor(mp_context=kipc.get_context())":
        lambda w: _Executor(w, _kipc_ctx()),
}


def _timed_map(pool, n, chunksize):
    t0 = now()
    out = pool.map(n, chunksize or _pool_chunksize(n, pool.workers))
    elapsed = now() - t0
    if len(out) != n:
        raise RuntimeError("lost tasks")
    return n / elapsed


def bench(settings, name, cls):
    workers = len(os.sched_getaffinity(0))
    pool = cls(workers)
    pool.workers = workers
    rows = []
    try:
        for case, n, chunksize in (
            ("map-default", settings.n(20000, 100000), 0),
            ("map-chunksize-1", settings.n(2000, 10000), 1),
        ):
            vals = measure(settings, lambda k, c=chunksize: _timed_map(pool, k, c), n)
            rows.append(row("pool", case, name, "tasks_per_s", vals, "task/s"))
    finally:
        pool.close()
    return rows
