# SPDX-License-Identifier: GPL-2.0-only
"""lock: acquire/release pairs per second.

uncontended: one process loops. contended-2proc: two processes (pinned to
different CPUs) loop on the same lock; only for locks that can be shared
between processes. The table maps impl -> (factory, shareable).
"""

import threading

from harness import CTX, kipc_attr, measure, now, pin, row, unpin

IMPLS = {
    "threading.Lock": (threading.Lock, False),
    "multiprocessing.Lock": (CTX.Lock, True),
    "multiprocessing.RLock": (CTX.RLock, True),
    "kipc.Lock": (lambda: kipc_attr("Lock")(), True),
    "kipc.RLock": (lambda: kipc_attr("RLock")(), True),
}


def _loop(lock, n):
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def _uncontended(lock, n):
    t0 = now()
    _loop(lock, n)
    return n / (now() - t0)


def _child(lock, n, go, done):
    pin(0)
    go.wait()
    _loop(lock, n)
    done.send(now())


def _contended(factory, n):
    lock = factory()
    go = CTX.Event()
    r, w = CTX.Pipe(duplex=False)
    p = CTX.Process(target=_child, args=(lock, n, go, w))
    pin(1)
    p.start()
    t0 = now()
    go.set()
    _loop(lock, n)
    end = max(now(), r.recv())
    p.join()
    unpin()
    if p.exitcode:
        raise RuntimeError(f"child exited with {p.exitcode}")
    return 2 * n / (end - t0)


def bench(settings, name, impl):
    factory, shareable = impl
    lock = factory()
    rows = []
    n = settings.n(100000, 1000000)
    vals = measure(settings, lambda k: _uncontended(lock, k), n)
    rows.append(row("lock", "uncontended", name, "pairs_per_s", vals, "pair/s"))
    if shareable:
        n = settings.n(20000, 200000)
        vals = measure(settings, lambda k: _contended(factory, k), n)
        rows.append(row("lock", "contended-2proc", name, "pairs_per_s", vals, "pair/s"))
    return rows
