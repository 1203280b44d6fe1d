# SPDX-License-Identifier: MIT
"""kipc.synchronize against multiprocessing.synchronize's documented
behaviour, for each start method."""

import os
import pickle
import signal
import threading
import time
import warnings

import pytest

import children
import kipc
from kipc import sharedctypes as ksc


def test_lock():
    lock = kipc.Lock()
    assert lock.acquire()
    assert not lock.acquire(False)
    assert not lock.acquire(block=False)
    t0 = time.monotonic()
    assert not lock.acquire(timeout=0.2)
    assert 0.18 <= time.monotonic() - t0 < 5
    lock.release()
    with pytest.raises(ValueError):
        lock.release()
    with lock:
        assert not lock.acquire(False)
    assert lock.acquire(timeout=0)
    # any thread (or process) may release a Lock
    t = threading.Thread(target=lock.release)
    t.start()
    t.join()
    assert lock.acquire(False)
    lock.release()


def test_rlock():
    r = kipc.RLock()
    assert r.acquire() and r.acquire() and r.acquire(False)
    r.release()
    r.release()
    out = []
    t = threading.Thread(target=lambda: out.append(r.acquire(timeout=0.05)))
    t.start()
    t.join()
    assert out == [False]
    t = threading.Thread(target=lambda: out.append(
        pytest.raises(AssertionError, r.release)))
    t.start()
    t.join()
    r.release()
    with pytest.raises(AssertionError):
        r.release()
    with r:
        with r:
            pass


def test_semaphores():
    s = kipc.Semaphore(2)
    assert s.get_value() == 2
    assert s.acquire() and s.acquire(False)
    assert not s.acquire(False)
    assert not s.acquire(timeout=0.05)
    s.release()
    s.release()
    s.release()
    assert s.get_value() == 3
    with pytest.raises(ValueError):
        kipc.Semaphore(-1)
    b = kipc.BoundedSemaphore(2)
    with b:
        assert b.get_value() == 1
    with pytest.raises(ValueError):
        b.release()
    assert b.get_value() == 2
    z = kipc.BoundedSemaphore(0)
    assert not z.acquire(False)
    with pytest.raises(ValueError):
        z.release()


def test_event():
    e = kipc.Event()
    assert not e.is_set()
    t0 = time.monotonic()
    assert e.wait(0.1) is False
    assert time.monotonic() - t0 >= 0.09
    e.set()
    assert e.is_set() and e.wait() is True and e.wait(0) is True
    e.clear()
    assert not e.is_set()


def test_condition_local():
    c = kipc.Condition()
    with pytest.raises(RuntimeError):
        c.wait(0.01)
    with pytest.raises(RuntimeError):
        c.notify()
    with c:
        assert c.wait(0.05) is False
        c.notify()
        c.notify_all()
        assert c.wait_for(lambda: True) is True
        t0 = time.monotonic()
        assert c.wait_for(lambda: False, timeout=0.1) is False
        assert time.monotonic() - t0 >= 0.09
    lock = kipc.Lock()
    c2 = kipc.Condition(lock)
    with c2:
        assert not lock.acquire(False)
    assert lock.acquire(False)
    lock.release()
    with pytest.raises(TypeError):
        kipc.Condition(threading.Lock())


def test_condition_threads():
    c = kipc.Condition(kipc.Lock())
    state = []

    def waiter():
        with c:
            state.append(c.wait_for(lambda: len(state) >= 1 or None, 10))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    with c:
        state.append("go")
        c.notify()
    t.join(10)
    assert state[0] == "go" and state[1]


def test_condition_processes(ctx):
    cond = ctx.Condition()
    ev = ctx.Event()
    value = kipc.RawValue("i", 0)
    p = ctx.Process(target=children.notify_after_set, args=(cond, ev, value))
    p.start()
    with cond:
        ev.set()
        assert cond.wait_for(lambda: value.value == 1, timeout=30)
    p.join(30)
    assert p.exitcode == 0


def test_event_processes(ctx):
    ev = ctx.Event()
    p = ctx.Process(target=children.set_event, args=(ev,))
    p.start()
    assert ev.wait(30)
    p.join(30)
    assert p.exitcode == 0


def test_lock_processes(ctx):
    lock = ctx.Lock()
    value = kipc.RawValue("i", 0)
    ps = [ctx.Process(target=children.increment_locked, args=(lock, value, 500))
          for _ in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(60)
        assert p.exitcode == 0
    assert value.value == 1500


def test_value_uses_kipc_rlock(ctx):
    v = ctx.Value("i", 0)
    assert isinstance(v.get_lock(), kipc.RLock)
    ps = [ctx.Process(target=children.increment, args=(v, 300))
          for _ in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(60)
        assert p.exitcode == 0
    assert v.value == 900
    assert isinstance(ksc.Value("i").get_lock(), kipc.RLock)


class _Boom(Exception):
    pass


def _with_alarm(handler, fn):
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_barrier_wait_goes_on_after_a_signal_handler():
    b = kipc.Barrier(2)
    hits = []
    t = threading.Thread(target=lambda: (time.sleep(1.5), b.wait(60)))
    t.start()
    got = _with_alarm(lambda *a: hits.append(1), lambda: b.wait(60))
    t.join(60)
    assert hits and got in (0, 1)
    # One arrival each: the round ended with both, nothing is left over.
    assert not b.broken and b.n_waiting == 0


def test_barrier_wait_left_by_an_exception_breaks_it():
    b = kipc.Barrier(2)

    def boom(*args):
        raise _Boom

    with pytest.raises(_Boom):
        _with_alarm(boom, lambda: b.wait(60))
    assert b.broken


def test_barrier_local():
    b = kipc.Barrier(1)
    assert b.parties == 1 and b.n_waiting == 0 and not b.broken
    assert b.wait() == 0
    b2 = kipc.Barrier(2)
    with pytest.raises(threading.BrokenBarrierError):
        b2.wait(0.05)           # a timeout breaks the barrier
    assert b2.broken
    with pytest.raises(threading.BrokenBarrierError):
        b2.wait()
    b2.reset()
    assert not b2.broken
    b2.abort()
    assert b2.broken
    b2.reset()
    out = []
    t = threading.Thread(target=lambda: out.append(b2.wait(10)))
    t.start()
    out.append(b2.wait(10))
    t.join()
    assert sorted(out) == [0, 1]
    with pytest.raises(ValueError):
        kipc.Barrier(0)


def test_barrier_action():
    hits = []
    b = kipc.Barrier(2, action=lambda: hits.append(1))
    t = threading.Thread(target=b.wait, args=(10,))
    t.start()
    b.wait(10)
    t.join()
    assert hits == [1]


def test_barrier_processes(ctx):
    b = ctx.Barrier(3)
    out = ctx.SimpleQueue()
    ps = [ctx.Process(target=children.barrier_wait, args=(b, out))
          for _ in range(2)]
    for p in ps:
        p.start()
    mine = b.wait(30)
    got = sorted([mine, out.get(), out.get()])
    for p in ps:
        p.join(30)
        assert p.exitcode == 0
    assert got == [0, 1, 2]


def test_owner_dead_warns(ctx):
    lock = ctx.Lock()
    p = ctx.Process(target=children.hold_lock_and_die, args=(lock,))
    p.start()
    # A spawned child starts a new interpreter: under TCG with the debug
    # kernel that alone can take longer than half a minute.
    p.join(180)
    assert p.exitcode == 0, "the child did not take the lock and die"
    with pytest.warns(kipc.OwnerDeadWarning):
        assert lock.acquire(timeout=10)
    lock.release()
    assert lock.acquire(False)     # consistent again: a normal lock
    lock.release()


def test_owner_dead_raises_on_request():
    lock = kipc.Lock()
    pid = os.fork()
    if pid == 0:
        lock.acquire()
        os._exit(0)
    os.waitpid(pid, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kipc.OwnerDeadWarning)
        with pytest.raises(kipc.OwnerDeadWarning):
            lock.acquire()
    assert lock.acquire(False)     # released by the failed acquire
    lock.release()


def test_rlock_owner_dead():
    r = kipc.RLock()
    pid = os.fork()
    if pid == 0:
        r.acquire()
        r.acquire()
        os._exit(0)
    os.waitpid(pid, 0)
    with pytest.warns(kipc.OwnerDeadWarning):
        with r:
            pass
    with r:
        pass


def test_not_picklable_outside_spawning():
    for obj in (kipc.Lock(), kipc.RLock(), kipc.Semaphore(), kipc.Event(),
                kipc.Condition(), kipc.Barrier(2)):
        with pytest.raises(RuntimeError):
            pickle.dumps(obj)


def test_context_factories_are_kipc(ctx):
    assert isinstance(ctx.Lock(), kipc.Lock)
    assert isinstance(ctx.RLock(), kipc.RLock)
    assert isinstance(ctx.Semaphore(2), kipc.Semaphore)
    assert isinstance(ctx.BoundedSemaphore(2), kipc.BoundedSemaphore)
    assert isinstance(ctx.Event(), kipc.Event)
    assert isinstance(ctx.Condition(), kipc.Condition)
    assert isinstance(ctx.Barrier(2), kipc.Barrier)
    assert isinstance(ctx.Queue(), kipc.Queue)
    assert isinstance(ctx.SimpleQueue(), kipc.SimpleQueue)
    assert isinstance(ctx.JoinableQueue(), kipc.JoinableQueue)
