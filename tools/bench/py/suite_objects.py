# SPDX-License-Identifier: GPL-2.0-only
"""objects: 256-byte objects per second from one process to another.

Each factory returns (put, get). The producer is a forked child pinned to
one CPU; the parent, pinned to the other, consumes and times N objects
after the first one has arrived.
"""

from harness import CTX, kipc_attr, measure, now, pin, row, unpin


def _queue(q):
    return q.put, q.get


def _pipe():
    r, w = CTX.Pipe(duplex=False)
    return w.send, r.recv


IMPLS = {
    "multiprocessing.Queue": lambda: _queue(CTX.Queue()),
    "multiprocessing.SimpleQueue": lambda: _queue(CTX.SimpleQueue()),
    "multiprocessing.Pipe": _pipe,
    "kipc.Queue": lambda: _queue(kipc_attr("Queue")()),
}

PAYLOAD = b"x" * 256


def _producer(put, n):
    pin(0)
    for _ in range(n + 1):
        put(PAYLOAD)


def _one_run(factory, n):
    put, get = factory()
    p = CTX.Process(target=_producer, args=(put, n))
    pin(1)
    p.start()
    get()
    t0 = now()
    for _ in range(n):
        get()
    elapsed = now() - t0
    p.join()
    unpin()
    if p.exitcode:
        raise RuntimeError(f"producer exited with {p.exitcode}")
    return n / elapsed


def bench(settings, name, factory):
    n = settings.n(5000, 50000)
    vals = measure(settings, lambda k: _one_run(factory, k), n)
    return [row("objects", "256B 2proc", name, "objects_per_s", vals, "obj/s")]
