# SPDX-License-Identifier: MIT
"""The *_async coroutines: the running loop waits on the objects'
descriptors (no thread), with timeouts, cancellation and many awaiters."""

import asyncio
import contextlib
import gc
import os
import queue
import signal
import threading
import time
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
    q = kipc.Queue(3)   # not a power of two: gated too
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



# --- Condition, Barrier and JoinableQueue.join: watch descriptors ---------

FORK = kipc.get_context("fork")


@contextlib.contextmanager
def no_fd_leak():
    """The watch descriptors a wait made are all closed again (garbage,
    such as an earlier failed test's, is collected first)."""
    gc.collect()
    before = sorted(os.listdir("/proc/self/fd"))
    yield
    gc.collect()
    assert sorted(os.listdir("/proc/self/fd")) == before


def finish(p):
    p.join(60)
    assert p.exitcode == 0
    p.close()


def test_condition_between_tasks():
    cond = kipc.Condition(kipc.Lock())
    state = []

    async def waiter():
        assert await cond.acquire_async()
        try:
            ok = await cond.wait_for_async(lambda: state, 60)
            return ok, cond._lock._is_mine()
        finally:
            cond.release()

    async def main():
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        assert not task.done()
        assert await cond.acquire_async()
        state.append(1)
        cond.notify()
        cond.release()
        return await asyncio.wait_for(task, 60)
    with no_fd_leak():
        assert run(main()) == ([1], True)
    assert cond.acquire(False)      # released by the waiter
    cond.release()


def test_condition_notify_all_wakes_every_task():
    cond = kipc.Condition(kipc.Lock())
    n = 20

    async def waiter():
        await cond.acquire_async()
        try:
            return await cond.wait_async(60)
        finally:
            cond.release()

    async def main():
        tasks = [asyncio.ensure_future(waiter()) for _ in range(n)]
        await asyncio.sleep(0.1)
        assert not any(t.done() for t in tasks)
        await cond.acquire_async()
        cond.notify_all()
        cond.release()
        return await asyncio.wait_for(asyncio.gather(*tasks), 60)
    with no_fd_leak():
        assert run(main()) == [True] * n


def test_condition_timeouts():
    cond = kipc.Condition(kipc.Lock())

    async def main():
        with pytest.raises(RuntimeError, match="un-acquired"):
            await cond.wait_async()
        assert await cond.acquire_async()
        assert await cond.wait_async(0.05) is False
        assert cond._lock._is_mine()
        assert await cond.wait_async(0) is False
        assert await cond.wait_for_async(lambda: 0, 0.05) == 0
        assert await cond.wait_for_async(lambda: "yes", 0) == "yes"
        assert cond._lock._is_mine()
        cond.release()
        # Notified before the timeout was seen: the notification wins.
        task = asyncio.ensure_future(waiter(0.1))
        await asyncio.sleep(0)      # it waits
        await cond.acquire_async()
        cond.notify()
        cond.release()
        time.sleep(0.3)
        assert await asyncio.wait_for(task, 60) is True

    async def waiter(timeout):
        await cond.acquire_async()
        try:
            return await cond.wait_async(timeout)
        finally:
            cond.release()
    with no_fd_leak():
        run(main())
    assert cond.acquire(False)
    cond.release()


def test_condition_cancelled_wait_holds_the_lock():
    cond = kipc.Condition(kipc.Lock())
    seen = []

    async def waiter(timeout=None):
        await cond.acquire_async()
        try:
            return await cond.wait_async(timeout)
        except asyncio.CancelledError:
            seen.append(cond._lock._is_mine() and not cond.acquire(False))
            raise
        finally:
            cond.release()

    async def main():
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen == [True]
        # Not notified: nothing was passed on to the next waiter.
        assert await waiter(0.05) is False
        # Cancelled while another task holds the lock: it waits for it.
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        await cond.acquire_async()
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done()
        cond.release()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 60)
        assert seen == [True, True]
        # Cancelled again while re-acquiring: it still takes the lock.
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        await cond.acquire_async()
        task.cancel()
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done()
        cond.release()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 60)
        assert seen == [True, True, True]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(waiter(), 0.05)
        assert seen == [True] * 4
    with no_fd_leak():
        run(main())
    assert cond.acquire(False)
    cond.release()


def test_condition_cancelled_notification_is_passed_on():
    cond = kipc.Condition(kipc.Lock())
    seen = []

    async def waiter(name):
        await cond.acquire_async()
        try:
            ret = await cond.wait_async(60)
            seen.append(name)
            return ret
        except asyncio.CancelledError:
            seen.append("cancelled " + name)
            raise
        finally:
            cond.release()

    async def main():
        first = asyncio.ensure_future(waiter("first"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(waiter("second"))
        await asyncio.sleep(0.05)
        await cond.acquire_async()
        cond.notify(1)          # to the oldest waiter: first
        first.cancel()          # before it could see the notification
        cond.release()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await asyncio.wait_for(second, 60) is True
        # Notified, then cancelled while re-acquiring: passed on too.
        first = asyncio.ensure_future(waiter("first"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(waiter("second"))
        await asyncio.sleep(0.05)
        await cond.acquire_async()
        cond.notify(1)
        await asyncio.sleep(0.05)   # first sees it, waits for the lock
        assert not first.done()
        first.cancel()
        await asyncio.sleep(0.05)
        cond.release()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(first, 60)
        assert await asyncio.wait_for(second, 60) is True
    with no_fd_leak():
        run(main())
    assert seen == ["cancelled first", "second"] * 2


def test_condition_rlock_depth_restored():
    cond = kipc.Condition()     # an RLock
    rlock = cond._lock

    async def waiter():
        for _ in range(3):
            assert await cond.acquire_async()
        ret = await cond.wait_async(60)
        for _ in range(3):
            cond.release()
        return ret

    async def main():
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        assert not rlock._is_mine()     # every level released while waiting
        await cond.acquire_async()
        cond.notify()
        cond.release()
        assert await asyncio.wait_for(task, 60) is True
        cond.acquire()
        cond.acquire()
        assert await cond.wait_async(0.05) is False
        cond.release()
        assert rlock._is_mine()
        cond.release()
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert rlock._is_mine()     # the three levels are back
        for _ in range(3):
            rlock.release()
    with no_fd_leak():
        run(main())
    assert not rlock._is_mine()
    with pytest.raises(AssertionError):
        rlock.release()


def test_condition_notified_by_another_process():
    cond, ev = kipc.Condition(kipc.Lock()), kipc.Event()
    value = kipc.RawValue("i", 0)

    async def main():
        p = FORK.Process(target=children.notify_after_set,
                         args=(cond, ev, value))
        p.start()
        await cond.acquire_async()
        ev.set()
        ok = await asyncio.wait_for(
            cond.wait_for_async(lambda: value.value == 1), 60)
        assert cond._lock._is_mine()
        cond.release()
        return ok, p
    with no_fd_leak():
        ok, p = run(main())
        finish(p)
    assert ok is True


def test_condition_lock_owner_died_while_reacquiring():
    cond, held, go = kipc.Condition(kipc.Lock()), kipc.Event(), kipc.Event()

    async def main():
        await cond.acquire_async()
        task = asyncio.ensure_future(cond.wait_async(60))
        await asyncio.sleep(0.05)
        # A child takes the released lock, notifies us and dies holding it.
        p = FORK.Process(target=children.notify_hold_and_die,
                         args=(cond, held, go))
        p.start()
        assert await held.wait_async(60)
        await asyncio.sleep(0.05)
        assert not task.done()
        go.set()
        with pytest.warns(kipc.OwnerDeadWarning):
            assert await asyncio.wait_for(task, 60) is True
        assert cond._lock._is_mine()
        cond.release()
        return p
    with no_fd_leak():
        finish(run(main()))
    assert cond.acquire(False)
    cond.release()


def test_barrier_between_tasks():
    hits = []
    b = kipc.Barrier(3, action=lambda: hits.append(1))

    async def main():
        first = await asyncio.wait_for(
            asyncio.gather(*(b.wait_async() for _ in range(3))), 60)
        second = await asyncio.wait_for(
            asyncio.gather(*(b.wait_async(60) for _ in range(3))), 60)
        return sorted(first), sorted(second)
    with no_fd_leak():
        assert run(main()) == ([0, 1, 2], [0, 1, 2])
    assert hits == [1, 1]
    assert not b.broken and b.n_waiting == 0


def test_barrier_action_raises():
    def action():
        raise KeyError("action")
    b = kipc.Barrier(2, action=action)

    async def main():
        results = await asyncio.wait_for(asyncio.gather(
            b.wait_async(), b.wait_async(), return_exceptions=True), 60)
        assert sorted(type(r).__name__ for r in results) == \
            ["KeyError", "int"]
        assert b.broken
        with pytest.raises(threading.BrokenBarrierError):
            await b.wait_async()
    run(main())


def test_barrier_with_another_process():
    b, out = kipc.Barrier(2), kipc.Queue()

    async def main():
        p = FORK.Process(target=children.barrier_wait, args=(b, out))
        p.start()
        return await asyncio.wait_for(b.wait_async(), 60), p
    with no_fd_leak():
        mine, p = run(main())
        finish(p)
    assert sorted([mine, out.get(timeout=60)]) == [0, 1]


def test_barrier_timeout_breaks_it_for_everyone():
    b = kipc.Barrier(3)

    async def main():
        other = asyncio.ensure_future(b.wait_async())
        await asyncio.sleep(0.05)
        with pytest.raises(threading.BrokenBarrierError):
            await b.wait_async(0.1)
        with pytest.raises(threading.BrokenBarrierError):
            await asyncio.wait_for(other, 60)
        assert b.broken
        b.reset()
        with pytest.raises(threading.BrokenBarrierError):
            await b.wait_async(0)
        assert b.broken
    with no_fd_leak():
        run(main())
    b.reset()
    assert b.n_waiting == 0 and not b.broken


def test_barrier_completed_before_timeout_or_cancel_seen():
    b = kipc.Barrier(2, timeout=0.1)    # the default for wait_async too

    async def main():
        task = asyncio.ensure_future(b.wait_async())
        await asyncio.sleep(0)    # it arrives
        assert b.wait(0) == 1       # the generation completes...
        time.sleep(0.3)             # ...and the task's timeout passes
        assert await asyncio.wait_for(task, 60) == 0
        task = asyncio.ensure_future(b.wait_async(60))
        await asyncio.sleep(0)    # it arrives
        assert b.wait(0) == 1
        task.cancel()               # cancelled after it was let through
        with pytest.raises(asyncio.CancelledError):
            await task
    with no_fd_leak():
        run(main())
    assert not b.broken and b.n_waiting == 0


def test_barrier_cancelled_wait_breaks_it():
    b = kipc.Barrier(3)

    async def main():
        other = asyncio.ensure_future(b.wait_async())
        task = asyncio.ensure_future(b.wait_async())
        await asyncio.sleep(0.05)
        assert b.n_waiting == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(threading.BrokenBarrierError):
            await asyncio.wait_for(other, 60)
        assert b.broken
        b.reset()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(b.wait_async(), 0.05)
        assert b.broken
    with no_fd_leak():
        run(main())


def test_barrier_party_killed():
    b, out = kipc.Barrier(3), kipc.Queue()

    async def main():
        p = FORK.Process(target=children.barrier_wait, args=(b, out))
        p.start()
        while b.n_waiting != 1:
            await asyncio.sleep(0.01)
        task = asyncio.ensure_future(b.wait_async())
        while b.n_waiting != 2:
            await asyncio.sleep(0.01)
        os.kill(p.pid, signal.SIGKILL)
        with pytest.raises(threading.BrokenBarrierError):
            await asyncio.wait_for(task, 60)
        return p
    with no_fd_leak():
        p = run(main())
        p.join(60)
        assert p.exitcode == -signal.SIGKILL
        p.close()
    assert b.broken


def test_join_async_waits_for_another_process():
    q, n = kipc.JoinableQueue(), 20

    async def main():
        for i in range(n):
            await q.put_async(i)
        task = asyncio.ensure_future(q.join_async())
        await asyncio.sleep(0.05)
        assert not task.done()
        p = FORK.Process(target=children.worker_joinable, args=(q, n))
        p.start()
        await asyncio.wait_for(task, 60)
        await asyncio.wait_for(q.join_async(), 60)  # nothing left: at once
        return p
    with no_fd_leak():
        finish(run(main()))
    assert q.empty()
    with pytest.raises(ValueError):
        q.task_done()
