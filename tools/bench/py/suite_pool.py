# SPDX-License-Identifier: GPL-2.0-only
"""pool: tiny tasks per second through a process pool of one worker per CPU.

map-default: Pool.map's own chunking (len / (4 * workers)); the executor is
given that same chunksize, since its default of 1 measures something else.
map-chunksize-1: one task per message, i.e. the pool's IPC round trip.
Pool start-up is excluded (a warm-up map runs first).
"""

import concurrent.futures
import os

from harness import CTX, measure, now, row


def _tiny(x):
    return x


def _pool_chunksize(n, workers):
    chunks, extra = divmod(n, workers * 4)
    return chunks + 1 if extra else chunks


class _Pool:
    def __init__(self, workers):
        self.pool = CTX.Pool(workers)

    def map(self, n, chunksize):
        return self.pool.map(_tiny, range(n), chunksize)

    def close(self):
        self.pool.close()
        self.pool.join()


class _Executor:
    def __init__(self, workers):
        self.ex = concurrent.futures.ProcessPoolExecutor(workers, mp_context=CTX)

    def map(self, n, chunksize):
        return list(self.ex.map(_tiny, range(n), chunksize=chunksize))

    def close(self):
        self.ex.shutdown()


# Add a kipc-backed pool here: name -> class with map(n, chunksize), close().
IMPLS = {
    "multiprocessing.Pool": _Pool,
    "concurrent.futures.ProcessPoolExecutor": _Executor,
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
