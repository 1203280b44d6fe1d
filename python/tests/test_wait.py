# SPDX-License-Identifier: MIT
"""kipc.connection.wait: multiprocessing.connection.wait's contract over
kipc objects, descriptors and objects with fileno()."""

import os
import socket
import time

import pytest

import children
import kipc
from kipc.connection import wait


def test_descriptors_and_fileno_objects():
    r, w = os.pipe()
    a, b = socket.socketpair()
    try:
        assert wait([r, a], 0) == []
        os.write(w, b"x")
        assert wait([r, a], 0) == [r]
        b.send(b"y")
        assert wait([a, r], 0) == [a, r]     # in the list's order
        assert wait([a], None) == [a]
    finally:
        for fd in (r, w):
            os.close(fd)
        a.close()
        b.close()


def test_timeout_returns_empty_list():
    q = kipc.Queue()
    t0 = time.monotonic()
    assert wait([q], 0.2) == []
    assert time.monotonic() - t0 >= 0.19
    assert wait([q], 0) == []
    assert wait([q], -1) == []


def test_queues_ready_while_a_message_waits():
    q, sq, jq = kipc.Queue(), kipc.SimpleQueue(), kipc.JoinableQueue()
    assert wait([q, sq, jq, sq._reader], 0) == []
    q.put(1)
    sq.put(2)
    assert wait([q, sq, jq, sq._reader], 0) == [q, sq, sq._reader]
    jq.put(3)
    assert wait([jq], 0) == [jq]
    assert q.get_nowait() == 1 and sq.get() == 2 and jq.get_nowait() == 3
    assert wait([q, sq, jq], 0) == []


def test_sync_objects_ready_when_acquirable_or_set():
    sem, bsem = kipc.Semaphore(0), kipc.BoundedSemaphore(1)
    lock, rlock, ev = kipc.Lock(), kipc.RLock(), kipc.Event()
    objs = [sem, bsem, lock, rlock, ev]
    assert wait(objs, 0) == [bsem, lock, rlock]
    bsem.acquire()
    lock.acquire()
    rlock.acquire()
    assert wait(objs, 0) == []
    sem.release()
    ev.set()
    assert wait(objs, 0) == [sem, ev]
    lock.release()
    rlock.release()
    ev.clear()
    assert wait(objs, 0) == [sem, lock, rlock]


def test_mixed_kipc_and_fds():
    r, w = os.pipe()
    q, ev = kipc.Queue(), kipc.Event()
    try:
        assert wait([r, q, ev], 0) == []
        os.write(w, b"x")
        ev.set()
        assert wait([q, ev, r], 0) == [ev, r]
    finally:
        os.close(r)
        os.close(w)


def test_condition_barrier_and_others_are_type_errors():
    with pytest.raises(TypeError, match="Condition"):
        wait([kipc.Condition()], 0)
    with pytest.raises(TypeError, match="Barrier"):
        wait([kipc.Barrier(2)], 0)
    with pytest.raises(TypeError):
        wait([object()], 0)


def test_closed_queue_is_an_error():
    q = kipc.Queue()
    q.close()
    with pytest.raises(ValueError):
        wait([q], 0)


def test_wakes_on_another_process(ctx):
    q, ev = ctx.Queue(), ctx.Event()
    p = ctx.Process(target=children.put_after, args=(q, 0.3, "hello"))
    p.start()
    assert wait([ev, q], 60) == [q]
    assert q.get_nowait() == "hello"
    p.join()
    p = ctx.Process(target=children.set_after, args=(ev, 0.3))
    p.start()
    assert wait([q, ev], 60) == [ev]
    p.join()
    assert p.exitcode == 0


def test_wakes_when_another_process_releases(ctx):
    lock, sem = ctx.Lock(), ctx.Semaphore(0)
    lock.acquire()
    p = ctx.Process(target=children.release_after, args=(lock, 0.3))
    p.start()
    assert wait([sem, lock], 60) == [lock]
    p.join()
    p = ctx.Process(target=children.release_after, args=(sem, 0.3))
    p.start()
    assert wait([sem], 60) == [sem]
    assert sem.acquire(False)
    p.join()
    assert p.exitcode == 0
