# SPDX-License-Identifier: GPL-2.0-only
"""condition: wait/notify exchanges per second, strictly interleaved between
two processes (each wakes the other, then waits for it)."""

from harness import CTX, kipc_attr, measure, now, pin, row, unpin

IMPLS = {
    "multiprocessing.Condition": CTX.Condition,
    "kipc.Condition": lambda: kipc_attr("Condition")(),
}


def _child(cond, n):
    pin(0)
    with cond:
        cond.notify()
        for _ in range(n):
            cond.wait()
            cond.notify()


def _one_run(factory, n):
    cond = factory()
    p = CTX.Process(target=_child, args=(cond, n))
    pin(1)
    with cond:
        p.start()
        cond.wait()  # the child holds the lock only while not waiting
        t0 = now()
        for _ in range(n):
            cond.notify()
            cond.wait()
        elapsed = now() - t0
    p.join()
    unpin()
    if p.exitcode:
        raise RuntimeError(f"child exited with {p.exitcode}")
    return 2 * n / elapsed


def bench(settings, name, factory):
    n = settings.n(2000, 20000)
    vals = measure(settings, lambda k: _one_run(factory, k), n)
    return [row("condition", "wait-notify-2proc", name, "waits_per_s", vals, "wait/s")]
