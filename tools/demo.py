# SPDX-License-Identifier: GPL-2.0-only
"""The `make demo` tour of kipc, run inside the VM with kipc.ko loaded.

Shows, each side by side with multiprocessing in the same run:
a Queue between two processes, a Pool on kipc's primitives, and a Lock
whose holder is killed - which kipc recovers and multiprocessing cannot.
"""

import gc
import multiprocessing as mp
import os
import signal
import sys
import time
import warnings

import kipc

MESSAGES = 2000
PAYLOAD = b"x" * 256


def _producer(q, n):
    for _ in range(n):
        q.put(PAYLOAD)


def _rate(ctx, queue):
    """256-byte objects per second from a child process to this one."""
    child = ctx.Process(target=_producer, args=(queue, MESSAGES))
    start = time.perf_counter()
    child.start()
    for _ in range(MESSAGES):
        queue.get()
    elapsed = time.perf_counter() - start
    child.join()
    return MESSAGES / elapsed


def _square(x):
    return x * x


def _hold_and_hang(lock, ready):
    lock.acquire()
    ready.set()
    time.sleep(3600)


def _objects():
    with open("/sys/class/misc/kipc/objects") as f:
        return int(f.read())


def main():
    ctx = kipc.get_context("fork")
    mp_ctx = mp.get_context("fork")
    print("kipc demo: Python", sys.version.split()[0])

    mp_rate = _rate(mp_ctx, mp_ctx.Queue())
    kipc_rate = _rate(ctx, ctx.Queue())
    print(f"Queue, 256-byte objects/s: multiprocessing {mp_rate:,.0f}, "
          f"kipc {kipc_rate:,.0f} ({kipc_rate / mp_rate:.1f}x)")

    with ctx.Pool(2) as pool:
        total = sum(pool.map(_square, range(1000)))
    print(f"kipc.get_context().Pool: sum of squares below 1000 = {total}")

    lock, ready = ctx.Lock(), ctx.Event()
    holder = ctx.Process(target=_hold_and_hang, args=(lock, ready))
    holder.start()
    ready.wait()
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = lock.acquire(timeout=10)
    died = any(issubclass(w.category, kipc.OwnerDeadWarning) for w in caught)
    lock.release()
    print(f"Lock holder killed with SIGKILL: next acquire "
          f"{'succeeded' if got else 'FAILED'}"
          f"{' with OwnerDeadWarning' if died else ''} "
          "(a multiprocessing.Lock would wait for ever)")

    del lock, ready, holder, pool
    gc.collect()
    print(f"kipc objects still alive in the kernel: {_objects()}")
    return 0 if got and died else 1


if __name__ == "__main__":
    raise SystemExit(main())
