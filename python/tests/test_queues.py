# SPDX-License-Identifier: MIT
"""kipc.Queue, SimpleQueue and JoinableQueue against multiprocessing's
documented behaviour, for each start method."""

import concurrent.futures
import errno
import os
import pickle
import queue
import signal
import threading
import time

import pytest
from multiprocessing.reduction import ForkingPickler

import children
import kipc
from kipc import queues as kq


def test_put_get_fifo_and_exact_qsize():
    q = kipc.Queue()
    assert q.empty() and not q.full() and q.qsize() == 0
    for i in range(10):
        q.put({"i": i})
        assert q.qsize() == i + 1
    assert not q.empty()
    assert [q.get()["i"] for _ in range(10)] == list(range(10))
    assert q.qsize() == 0 and q.empty()


@pytest.mark.parametrize("maxsize", [1, 3, 4, 5])
def test_maxsize_full_and_put_nowait(maxsize):
    q = kipc.Queue(maxsize)
    for i in range(maxsize):
        assert not q.full()
        q.put_nowait(i)
    assert q.full() and q.qsize() == maxsize
    with pytest.raises(queue.Full):
        q.put_nowait("x")
    with pytest.raises(queue.Full):
        q.put("x", block=False)
    t0 = time.monotonic()
    with pytest.raises(queue.Full):
        q.put("x", timeout=0.2)
    assert 0.18 <= time.monotonic() - t0 < 5
    assert q.get() == 0
    assert not q.full()
    q.put("y", timeout=1)
    assert q.qsize() == maxsize


def test_default_is_bounded_by_default_capacity():
    q = kipc.Queue()
    assert q._ch.capacity == kq.DEFAULT_CAPACITY
    q.put_many(range(kq.DEFAULT_CAPACITY))
    assert q.full() and q.qsize() == kq.DEFAULT_CAPACITY
    with pytest.raises(queue.Full):
        q.put_nowait(0)


def test_get_empty_and_timeouts():
    q = kipc.Queue()
    with pytest.raises(queue.Empty):
        q.get_nowait()
    with pytest.raises(queue.Empty):
        q.get(False)
    t0 = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.25)
    assert 0.23 <= time.monotonic() - t0 < 5
    with pytest.raises(queue.Empty):
        q.get(True, 0)
    with pytest.raises(queue.Empty):
        q.get(timeout=-1)
    q.put(1)
    assert q.get(timeout=0) == 1


def test_pickling_error_raised_at_put():
    q = kipc.Queue()
    with pytest.raises(TypeError):
        q.put(threading.Lock())
    with pytest.raises((pickle.PicklingError, AttributeError)):
        q.put(lambda: 0)
    assert q.empty()
    # put_many pickles everything first: nothing is put
    with pytest.raises(TypeError):
        q.put_many([1, 2, threading.Lock()])
    assert q.qsize() == 0


def test_message_larger_than_max_msg():
    q = kipc.Queue(slot_size=512)
    big = b"x" * 100000
    if q._ch.max_msg < len(pickle.dumps(big)):
        with pytest.raises(ValueError, match="largest message"):
            q.put(big)
        assert q.empty()
    else:   # large messages are supported by the driver
        q.put(big)
        assert q.get(timeout=5) == big
    # the largest pickle that fits a slot goes through
    small = b"y" * 400
    q.put(small)
    assert q.get() == small
    with pytest.raises(ValueError):
        kipc.Queue(slot_size=12)
    with pytest.raises(ValueError):
        kipc.Queue(capacity=3)


def test_large_messages_of_every_size_class():
    # get() grows its buffer for a large message; sizes around each step
    q = kipc.Queue(slot_size=512)
    if q._ch.max_msg <= 512:
        pytest.fail("the driver does not take large messages")
    sizes = [450, 600, 4096, 4200, 32768, 33000, 262144, 263000, 2100000]
    for n in sizes:
        q.put(bytes([n % 251]) * n)
    for n in sizes:
        assert q.get(timeout=30) == bytes([n % 251]) * n
    assert q.empty()


def test_put_many_get_many():
    q = kipc.Queue(8)
    q.put_many(range(5))
    assert q.qsize() == 5
    assert q.get_many(3) == [0, 1, 2]
    assert q.get_many(10) == [3, 4]
    with pytest.raises(queue.Empty):
        q.get_many(4, block=False)
    with pytest.raises(queue.Empty):
        q.get_many(4, timeout=0.05)
    q.put_many(range(6))
    with pytest.raises(queue.Full) as e:
        q.put_many(range(6), timeout=0.1)
    assert e.value.put == 2 and q.full()
    assert q.get_many(8) == [0, 1, 2, 3, 4, 5, 0, 1]
    with pytest.raises(ValueError):
        q.get_many(0)
    q.put_many([])
    assert q.empty()


def test_gate_put_many_get_many():
    q = kipc.Queue(3)
    with pytest.raises(queue.Full) as e:
        q.put_many(range(5), block=False)
    assert e.value.put == 3 and q.full()
    assert q.get_many(5) == [0, 1, 2]
    q.put_many(range(3))
    assert q.qsize() == 3


def test_batches_keep_order_across_partial_puts_and_gets():
    q = kipc.Queue(4)
    objs = [{"i": i, "s": "x" * i} for i in range(7)]
    with pytest.raises(queue.Full) as e:
        q.put_many(iter(objs), block=False)     # any iterable
    assert e.value.put == 4 and str(e.value) == "4 of 7 items put"
    assert q.get_many(3, block=False) == objs[:3]
    q.put_many(objs[4:6], timeout=5)
    assert q.get_many(100, timeout=5) == [objs[3]] + objs[4:6]
    with pytest.raises(queue.Empty):
        q.get_many(1, timeout=0.05)
    q.close()
    with pytest.raises(ValueError):
        q.put_many([1])
    with pytest.raises(ValueError):
        q.get_many(1)


def test_batch_with_large_messages():
    q = kipc.Queue(8, slot_size=512)
    if q._ch.max_msg <= 512:
        pytest.fail("the driver does not take large messages")
    items = [b"a", b"L" * 5000, b"b", b"c", b"M" * 70000, b"d"]
    q.put_many(items, timeout=30)
    got = []
    while len(got) < len(items):
        got += q.get_many(8, timeout=30)
    assert got == items and q.empty()


def test_put_many_too_large_puts_nothing():
    q = kipc.Queue(8, slot_size=512)
    big = b"x" * (q._ch.max_msg + 1)
    with pytest.raises(ValueError, match="largest message"):
        q.put_many([1, big, 2])
    assert q.empty()
    jq = kipc.JoinableQueue(8, slot_size=512)
    with pytest.raises(ValueError, match="largest message"):
        jq.put_many([1, big])
    assert jq._unfinished.get_value() == 0
    jq.join()


def test_joinable_put_many_counts_what_was_put():
    q = kipc.JoinableQueue(4)
    with pytest.raises(queue.Full) as e:
        q.put_many(range(6), timeout=0.1)
    assert e.value.put == 4
    assert q._unfinished.get_value() == 4
    assert q.get_many(10) == [0, 1, 2, 3]
    for _ in range(4):
        q.task_done()
    q.join()
    q.put_many(["a", "b"])
    assert q._unfinished.get_value() == 2
    assert q.get_many(2) == ["a", "b"]
    q.task_done()
    q.task_done()
    q.join()


def test_signal_handler_that_raises_ends_a_blocking_get_many():
    q = kipc.Queue()

    def handler(*a):
        raise InterruptedError("alarm")
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(InterruptedError, match="alarm"):
            q.get_many(4, timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    q.put(1)
    assert q.get_many(4) == [1]


def test_close_and_join_thread():
    q = kipc.Queue()
    q.put(1)
    q.cancel_join_thread()
    with pytest.raises(AssertionError):
        q.join_thread()
    q.close()
    q.close()
    q.join_thread()
    with pytest.raises(ValueError):
        q.put(2)
    with pytest.raises(ValueError):
        q.get()


def test_not_picklable_outside_spawning():
    for q in (kipc.Queue(), kipc.SimpleQueue(), kipc.JoinableQueue()):
        with pytest.raises(RuntimeError):
            pickle.dumps(q)


def test_blocking_get_releases_the_gil():
    q = kipc.Queue()
    out = []
    t = threading.Thread(target=lambda: out.append(q.get(timeout=30)))
    t.start()
    time.sleep(0.1)
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.2:     # this thread keeps running
        n += 1
    assert n > 1000 and t.is_alive()
    q.put("wake")
    t.join(10)
    assert out == ["wake"]


def test_signal_handler_during_blocking_get():
    q = kipc.Queue()
    hits = []
    old = signal.signal(signal.SIGALRM, lambda *a: hits.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(queue.Empty):
            q.get(timeout=0.3)
        assert hits and time.monotonic() - t0 >= 0.28
    finally:
        signal.signal(signal.SIGALRM, old)


def test_cross_process(ctx):
    q = ctx.Queue()
    assert isinstance(q, kipc.Queue)
    out = ctx.Queue()
    ps = [ctx.Process(target=children.produce, args=(q, k * 1000, 200))
          for k in range(3)]
    ps.append(ctx.Process(target=children.consume_into, args=(q, out, 300)))
    for p in ps:
        p.start()
    got = [q.get(timeout=30) for _ in range(300)]
    rest = out.get(timeout=30)
    for p in ps:
        p.join(30)
        assert p.exitcode == 0
    expect = sorted(k * 1000 + i for k in range(3) for i in range(200))
    assert sorted(got + rest) == expect
    assert q.empty()


def test_fork_inheritance():
    q = kipc.Queue(4)
    pid = os.fork()
    if pid == 0:
        try:
            q.put_many(range(10))
            os._exit(0)
        finally:
            os._exit(1)
    got = [q.get(timeout=30) for _ in range(10)]
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == list(range(10)) and q.empty()


def test_simple_queue(ctx):
    q = ctx.SimpleQueue()
    assert isinstance(q, kipc.SimpleQueue)
    assert q.empty()
    p = ctx.Process(target=children.produce, args=(q, 0, 50))
    p.start()
    assert [q.get() for _ in range(50)] == list(range(50))
    p.join(30)
    assert p.exitcode == 0 and q.empty()
    q.put_many([1, 2])
    assert q._reader.poll() and q.get_many(5) == [1, 2]
    assert not q._reader.poll(0.01)
    q.close()


def test_simple_queue_takes_no_options():
    # multiprocessing.SimpleQueue's put(obj) and get() take nothing else;
    # neither does kipc's, on the C fast path or the Python one.
    q = kipc.SimpleQueue()
    for call in (lambda: q.put(1, True), lambda: q.put(1, block=True),
                 lambda: q.get(True), lambda: q.get(timeout=None)):
        with pytest.raises(TypeError):
            call()
    assert q.empty()
    q.put(7)
    assert q.get() == 7
    q.close()


def test_joinable_queue(ctx):
    q = ctx.JoinableQueue()
    assert isinstance(q, kipc.JoinableQueue)
    with pytest.raises(ValueError):
        q.task_done()
    q.join()                      # nothing unfinished: returns at once
    q.put_many(range(20))
    for i in range(20):
        q.put(i)
    p = ctx.Process(target=children.worker_joinable, args=(q, 40))
    p.start()
    q.join()
    assert q.empty()
    p.join(30)
    assert p.exitcode == 0
    with pytest.raises(ValueError):
        q.task_done()


def test_joinable_queue_failed_put_is_not_unfinished():
    q = kipc.JoinableQueue(1)
    q.put(1)
    with pytest.raises(queue.Full):
        q.put(2, timeout=0.05)
    with pytest.raises(TypeError):
        q.put(threading.Lock())
    with pytest.raises(queue.Full):
        q.put_many([3, 4], block=False)
    q.get()
    q.task_done()
    q.join()


def test_killed_producer_does_not_wedge():
    q = kipc.Queue(64)
    pids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                children.produce_forever(q)
            finally:
                os._exit(1)
        pids.append(pid)
    seen = 0
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        item = q.get(timeout=10)
        assert item[0] == "item" and item[2] == b"x" * (item[1] % 200)
        seen += 1
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    # drain whatever was committed; then the queue works normally
    while True:
        try:
            q.get(timeout=0.2)
        except queue.Empty:
            break
    assert seen > 100
    assert q.empty() and q.qsize() == 0
    q.put_many(range(64), timeout=5)
    assert q.full()
    assert q.get_many(64, timeout=5) == list(range(64))


def test_pool(ctx):
    with ctx.Pool(3) as pool:
        assert pool.map(children.square, range(50)) == [x * x for x in range(50)]
        assert pool.apply_async(children.square, (7,)).get(30) == 49
        assert sorted(pool.imap_unordered(children.square, range(10))) == \
            [x * x for x in range(10)]
    pool.join()


def test_pool_terminate(ctx):
    pool = ctx.Pool(2)
    pool.map(children.square, range(4))
    pool.terminate()
    pool.join()


def test_process_pool_executor(ctx):
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        assert list(ex.map(children.square, range(20))) == \
            [x * x for x in range(20)]
        assert ex.submit(children.square, 9).result(30) == 81


def test_child_exits_without_flush_or_hang(ctx):
    # multiprocessing's child would wait in its feeder thread at exit until
    # the items are read; kipc's put is done when it returns.
    q = ctx.Queue()
    p = ctx.Process(target=children.produce, args=(q, 0, 500))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert q.qsize() == 500
    assert q.get_many(1000) == list(range(500))


class _Weak:
    pass


def test_put_keeps_no_reference_to_the_object():
    """put() reuses a pickler per thread: its memo must not keep the
    objects it pickled alive."""
    import weakref
    q = kipc.Queue()
    obj = _Weak()
    ref = weakref.ref(obj)
    q.put([obj])
    del obj
    assert ref() is None
    assert isinstance(q.get(), list)


# --- the single put()/get() path: pickling and the close/busy guarantee ---

# Objects the fast path pickles with pickle.dumps (nested exact builtins),
# and some just beyond its limits (deeper, longer) that take the
# ForkingPickler path: either way the bytes must be ForkingPickler's.
PLAIN = [b"x" * 256, b"", "text", "\u00e9t\u00e9", 0, -1, 2 ** 70, 1.5,
         True, False, None, (), (1, "a", b"b"), [1, [2, [3]]],
         {"a": 1, "b": [1, 2, 3], "c": "x" * 200}, (1,) * 20, [0] * 1000,
         {1: {2: {3: {4: {5: 6}}}}}, [{"k": (None, 2.0)}] * 3]


def test_put_pickles_as_forking_pickler():
    q = kipc.Queue()
    shared = [1, 2]
    for obj in PLAIN + [[shared, shared], {"a": shared, "b": shared}]:
        q.put(obj)
        assert q._ch.get(kq.NOWAIT) == ForkingPickler.dumps(obj), obj
    q.close()


class _Tagged(int):
    """An int subclass with a ForkingPickler reducer (registered below,
    after the queues are made)."""


class _Untagged(int):
    pass


def _reduce_tagged(obj):
    return str, ("reduced %d" % int(obj),)


def test_reducers_apply_wherever_the_object_is():
    q, sq = kipc.Queue(), kipc.SimpleQueue()
    r, w = kipc.Pipe(duplex=False)
    q.put(_Tagged(1))               # a per-thread pickler exists already
    assert type(q.get()) is _Tagged
    ForkingPickler.register(_Tagged, _reduce_tagged)
    cases = [(_Tagged(5), "reduced 5"), ((1, _Tagged(2)), (1, "reduced 2")),
             ([{"k": _Tagged(3)}], [{"k": "reduced 3"}]),
             ({_Tagged(4): 0}, {"reduced 4": 0})]
    for obj, want in cases:
        q.put(obj)
        assert q.get() == want
        sq.put(obj)
        assert sq.get() == want
        w.send(obj)
        assert r.recv() == want
    # a subclass without a reducer is pickled as itself
    q.put([_Untagged(7)])
    got = q.get()
    assert type(got[0]) is _Untagged and got == [7]
    for x in (q, sq, r, w):
        x.close()


def test_multiprocessing_reducers_still_apply():
    """A socket only pickles through ForkingPickler's reducer (DupFd)."""
    import socket
    q, sq = kipc.Queue(), kipc.SimpleQueue()
    a, b = socket.socketpair()
    try:
        q.put({"sock": a})
        sq.put([b])
        a2 = q.get()["sock"]
        b2 = sq.get()[0]
        with a2, b2:
            a2.sendall(b"ping")
            assert b2.recv(4) == b"ping"
    finally:
        a.close()
        b.close()
        q.close()
        sq.close()


def _wait_busy(ch, n):
    end = time.monotonic() + 30
    while ch._busy != n:
        assert time.monotonic() < end, "the other thread never got in"
        time.sleep(0.01)


def test_close_while_another_thread_waits_in_get():
    """close() refuses new calls at once but leaves the mapping to the
    thread still inside get(); the last call out releases it."""
    q = kipc.Queue()
    ch = q._ch
    other = kq.Channel(ch.capacity, ch.slot_size, os.dup(ch.fileno()))
    out = []
    t = threading.Thread(target=lambda: out.append(q.get(timeout=60)))
    t.start()
    _wait_busy(ch, 1)
    q.close()
    assert ch.closed and ch._busy == 1
    assert ch._finalize.still_active()      # still mapped: t uses it
    for call in (lambda: ch.put(b"x", kq.NOWAIT),
                 lambda: ch.put_obj(1, kq.NOWAIT),
                 lambda: ch.get(kq.NOWAIT),
                 lambda: ch.get_obj(kq.NOWAIT),
                 lambda: q.put(1), lambda: q.get()):
        with pytest.raises(ValueError):
            call()
    assert other.put_obj("wake", kq.NOWAIT) == 0
    t.join(60)
    assert out == ["wake"]
    assert ch._busy == 0 and not ch._finalize.still_active()
    other.close()


class _Interrupted(Exception):
    pass


def test_interrupted_get_leaves_no_call_in_progress():
    q = kipc.Queue()

    def handler(*args):
        raise _Interrupted
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(_Interrupted):
            q.get()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert q._ch._busy == 0
    q.close()
    assert not q._ch._finalize.still_active()   # released at once


def test_close_races_puts_and_gets():
    """Threads putting and getting while another closes: each call
    completes or raises ValueError, and the mapping is released once, after
    the last call."""
    q = kipc.Queue(capacity=64)
    ch = q._ch
    errors = []
    stop = threading.Event()

    def worker(i):
        try:
            while True:
                ret = ch.put_obj(("w", i), kq.NOWAIT)
                assert ret in (0, -errno.EAGAIN)
                ok, obj = ch.get_obj(kq.NOWAIT)
                assert (ok and obj[0] == "w") or obj == -errno.EAGAIN
                stop.set()
        except ValueError:
            return
        except BaseException as e:
            errors.append(e)
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    assert stop.wait(60)
    q.close()
    for t in ts:
        t.join(60)
    assert errors == [] and not any(t.is_alive() for t in ts)
    assert ch._busy == 0 and not ch._finalize.still_active()
