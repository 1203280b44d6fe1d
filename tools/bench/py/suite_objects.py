# SPDX-License-Identifier: GPL-2.0-only
"""objects: 256-byte objects per second from one process to another.

Each factory returns (put, get), or a _Batched for the put_many/get_many
variants (batches of BATCH objects). The producer is a forked child pinned
to one CPU; the parent, pinned to the other, consumes and times N objects
after the first one has arrived, and checks it got exactly N.
"""

from harness import CTX, kipc_attr, measure, now, pin, row, unpin


def _queue(q):
    return q.put, q.get


class _Batched:
    """A queue driven with put_many/get_many in batches of BATCH objects."""

    def __init__(self, q):
        self.put_many, self.get_many = q.put_many, q.get_many


BATCH = 64


def _pipe(pipe=CTX.Pipe):
    r, w = pipe(duplex=False)
    return w.send, r.recv


IMPLS = {
    "multiprocessing.Queue": lambda: _queue(CTX.Queue()),
    "multiprocessing.SimpleQueue": lambda: _queue(CTX.SimpleQueue()),
    "multiprocessing.Pipe": _pipe,
    "kipc.Queue": lambda: _queue(kipc_attr("Queue")()),
    "kipc.SimpleQueue": lambda: _queue(kipc_attr("SimpleQueue")()),
    "kipc.Pipe": lambda: _pipe(kipc_attr("Pipe")),
    f"kipc.Queue put_many/get_many({BATCH})": lambda: _Batched(kipc_attr("Queue")()),
    f"kipc.SimpleQueue put_many/get_many({BATCH})":
        lambda: _Batched(kipc_attr("SimpleQueue")()),
}

PAYLOAD = b"x" * 256


def _producer(put, n):
    pin(0)
    for _ in range(n + 1):
        put(PAYLOAD)


def _batch_producer(b, n):
    pin(0)
    b.put_many([PAYLOAD])
    while n > 0:
        k = min(BATCH, n)
        b.put_many([PAYLOAD] * k)
        n -= k


def _consume(get, n):
    for _ in range(n):
        get()
    return n


def _batch_consume(b, n):
    got = 0
    while got < n:
        got += len(b.get_many(min(BATCH, n - got)))
    return got


def _one_run(factory, n):
    impl = factory()
    if isinstance(impl, _Batched):
        p = CTX.Process(target=_batch_producer, args=(impl, n))
        first, consume = lambda: impl.get_many(1), lambda k: _batch_consume(impl, k)
    else:
        put, get = impl
        p = CTX.Process(target=_producer, args=(put, n))
        first, consume = get, lambda k: _consume(get, k)
    pin(1)
    p.start()
    first()
    t0 = now()
    got = consume(n)
    elapsed = now() - t0
    if got != n:
        raise RuntimeError(f"got {got} objects, expected {n}")
    p.join()
    unpin()
    if p.exitcode:
        raise RuntimeError(f"producer exited with {p.exitcode}")
    return n / elapsed


def bench(settings, name, factory):
    n = settings.n(5000, 50000)
    vals = measure(settings, lambda k: _one_run(factory, k), n)
    return [row("objects", "256B 2proc", name, "objects_per_s", vals, "obj/s")]
