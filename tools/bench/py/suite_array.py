# SPDX-License-Identifier: GPL-2.0-only
"""array: integers read per second from a shared sequence of 1,000 ints,
indexing element by element (the synchronized Array takes its lock per
element)."""

from harness import CTX, kipc_attr, measure, now, row

LENGTH = 1000

IMPLS = {
    "list": lambda: list(range(LENGTH)),
    "multiprocessing.Array(lock=False)": lambda: CTX.Array("i", range(LENGTH), lock=False),
    "multiprocessing.Array(lock=True)": lambda: CTX.Array("i", range(LENGTH), lock=True),
    "kipc.Array(lock=False)": lambda: kipc_attr("Array")("i", range(LENGTH), lock=False),
    "kipc.Array(lock=True)": lambda: kipc_attr("Array")("i", range(LENGTH), lock=True),
}


def _read(seq, n):
    rounds = max(1, n // LENGTH)
    t0 = now()
    for _ in range(rounds):
        for j in range(LENGTH):
            seq[j]
    return rounds * LENGTH / (now() - t0)


def bench(settings, name, factory):
    seq = factory()
    vals = measure(settings, lambda k: _read(seq, k), settings.n(100000, 1000000))
    return [row("array", "read-1000-ints", name, "ints_per_s", vals, "int/s")]
