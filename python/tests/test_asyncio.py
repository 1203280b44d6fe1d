# SPDX-License-Identifier: MIT
"""The *_async coroutines: the running loop waits on the objects'
descriptors (no thread), with timeouts, cancellation and many awaiters."""

import asyncio
import queue
import threading
import warnings

import pytest

import children
import kipc
from kipc import _aio


def run(coro):
    """asyncio.run(coro), checking that no helper thread ran and that no
    reader or writer is left registered on the loop."""
    threads = threading.active_count()
    loops = []

    async def main():
        loops.append(asyncio.get_running_loop())
        return await coro
    try:
        return asyncio.run(main())
    finally:
        assert threading.active_count() == threads
        mux = _aio._muxes.get(loops[0])
        assert mux is None or (mux._readers == {} and mux._writers == {})


def test_get_async_waits_for_put():
    q = kipc.Queue()

    async def main():
        task = asyncio.ensure_future(q.get_async())
        await asyncio.sleep(0.05)
        assert not task.done()
        q.put("x")
        return await asyncio.wait_for(task, 60)
    assert run(main()) == "x"


def test_put_async_waits_for_room():
    q = kipc.Queue(1)

    async def main():
        await q.put_async(1)
        task = asyncio.ensure_future(q.put_async(2))
        await asyncio.sleep(0.05)
        assert not task.done()
        assert await q.get_async() == 1
        await asyncio.wait_for(task, 60)
        return await q.get_async()
    assert run(main()) == 2


def test_timeouts():
    q = kipc.Queue(2)
    lock, sem, ev = kipc.Lock(), kipc.Semaphore(0), kipc.Event()
    lock.acquire()

    async def main():
        with pytest.raises(queue.Empty):
            await q.get_async(timeout=0.05)
        with pytest.raises(queue.Empty):
            await q.get_async(timeout=0)
        await q.put_async(1)
        await q.put_async(2)
        with pytest.raises(queue.Full):
            await q.put_async(3, timeout=0.05)
        assert await lock.acquire_async(timeout=0.05) is False
        assert await sem.acquire_async(timeout=0) is False
        assert await ev.wait_async(timeout=0.05) is False
        ev.set()
        assert await ev.wait_async(timeout=0) is True
        assert await ev.wait_async() is True
    run(main())
    assert q.qsize() == 2


def test_cancellation_is_clean():
    q = kipc.Queue(3)   # not a power of two: a gate semaphore too
    lock = kipc.Lock()
    lock.acquire()

    async def main():
        task = asyncio.ensure_future(q.get_async())
        await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(q.get_async(), 0.05)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(lock.acquire_async(), 0.05)
        for i in range(3):
            await q.put_async(i)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(q.put_async(99), 0.05)
        # nothing was lost or taken by the cancelled calls
        assert q.qsize() == 3
        assert await q.get_async() == 0
        await q.put_async(3)
        assert q.full()
        lock.release()
        assert await lock.acquire_async(timeout=5)
        lock.release()
        return [await q.get_async() for _ in range(3)]
    assert run(main()) == [1, 2, 3]


def test_many_awaiters_on_one_loop():
    q, lock, sem = kipc.Queue(), kipc.Lock(), kipc.Semaphore(0)
    n = 50
    counter = [0]

    async def locked_increment():
        assert await lock.acquire_async()
        try:
            v = counter[0]
            await asyncio.sleep(0)
            counter[0] = v + 1
        finally:
            lock.release()

    async def main():
        getters = [asyncio.ensure_future(q.get_async()) for _ in range(n)]
        acquirers = [asyncio.ensure_future(sem.acquire_async())
                     for _ in range(n)]
        await asyncio.sleep(0.05)
        for i in range(n):
            q.put(i)
        sem.release(n)
        got = await asyncio.wait_for(asyncio.gather(*getters), 60)
        assert await asyncio.wait_for(asyncio.gather(*acquirers), 60) == \
            [True] * n
        await asyncio.wait_for(
            asyncio.gather(*(locked_increment() for _ in range(n))), 60)
        return sorted(got)
    assert run(main()) == list(range(n))
    assert counter == [n]
    assert sem.get_value() == 0


def test_simple_and_joinable_queues():
    sq, jq = kipc.SimpleQueue(), kipc.JoinableQueue()

    async def main():
        await sq.put_async("a")
        await jq.put_async("b")
        return await sq.get_async(), await jq.get_async()
    assert run(main()) == ("a", "b")
    jq.task_done()
    jq.join()
    with pytest.raises(ValueError):
        jq.task_done()


def test_two_processes(ctx):
    q, ev = ctx.Queue(), ctx.Event()

    async def main():
        p = ctx.Process(target=children.put_after, args=(q, 0.2, "hi"))
        p.start()
        got = await asyncio.wait_for(q.get_async(), 60)
        p.join()
        p = ctx.Process(target=children.set_after, args=(ev, 0.2))
        p.start()
        assert await ev.wait_async(60)
        p.join()
        return got, p.exitcode
    assert run(main()) == ("hi", 0)


def test_semaphore_released_by_another_process(ctx):
    sem, lock = ctx.Semaphore(0), ctx.Lock()
    lock.acquire()

    async def main():
        ps = [ctx.Process(target=children.release_after, args=(o, 0.2))
              for o in (sem, lock)]
        for p in ps:
            p.start()
        ok = await asyncio.wait_for(
            asyncio.gather(sem.acquire_async(), lock.acquire_async()), 60)
        for p in ps:
            p.join()
        lock.release()
        return ok
    assert run(main()) == [True, True]
    assert sem.get_value() == 0


def test_lock_owner_died_while_awaiting(ctx):
    lock, held, go = ctx.Lock(), ctx.Event(), ctx.Event()
    p = ctx.Process(target=children.hold_lock_until_set_then_die,
                    args=(lock, held, go))
    p.start()

    async def main():
        assert await held.wait_async(60)
        task = asyncio.ensure_future(lock.acquire_async())
        await asyncio.sleep(0.05)
        assert not task.done()
        go.set()
        with pytest.warns(kipc.OwnerDeadWarning):
            assert await asyncio.wait_for(task, 60) is True
    run(main())
    p.join()
    assert not lock.acquire(False)   # held by us, and consistent again
    lock.release()
    assert lock.acquire(False)
    lock.release()


def test_lock_owner_died_before():
    lock = kipc.Lock()
    p = kipc.get_context("fork").Process(target=children.hold_lock_and_die,
                                         args=(lock,))
    p.start()
    p.join()
    with warnings.catch_warnings():
        warnings.simplefilter("error", kipc.OwnerDeadWarning)
        with pytest.raises(kipc.OwnerDeadWarning):
            run(lock.acquire_async())
    assert lock.acquire(False)      # released, not held, after the error
    lock.release()


def test_closed_queue_raises():
    q = kipc.Queue()
    q.close()
    with pytest.raises(ValueError):
        run(q.get_async())
    with pytest.raises(ValueError):
        run(q.put_async(1))


def test_condition_and_barrier_have_no_async_form():
    assert not hasattr(kipc.Condition(), "wait_async")
    assert not hasattr(kipc.Barrier(1), "wait_async")
