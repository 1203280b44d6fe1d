# SPDX-License-Identifier: MIT
"""kipc.sharedctypes against multiprocessing.sharedctypes' documented
behaviour."""

import ctypes
import gc
import multiprocessing
from multiprocessing import sharedctypes as mpsc

import pytest

import children
import kipc
from conftest import kipc_counts
from kipc import sharedctypes as ksc
from kipc.sharedctypes import Array, RawArray, RawValue, Value, copy


def in_kipc_memory(obj):
    addr = ctypes.addressof(obj)
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= addr < hi:
                return line.rstrip().endswith("anon_inode:kipc-shm")
    return False


def test_raw_value():
    v = RawValue("i", 7)
    assert isinstance(v, ctypes.c_int) and v.value == 7
    assert in_kipc_memory(v)
    d = RawValue(ctypes.c_double)
    assert d.value == 0.0
    p = RawValue(children.Point, 1, 2.0)
    assert (p.x, p.y) == (1, 2.0)


def test_raw_array():
    a = RawArray("d", 5)
    assert isinstance(a, ctypes.Array) and len(a) == 5 and a[:] == [0.0] * 5
    b = RawArray("i", range(4))
    assert b[:] == [0, 1, 2, 3]
    c = RawArray("c", b"abc")
    assert c.value == b"abc" and c.raw == b"abc"
    assert in_kipc_memory(a)


def test_value_with_and_without_lock():
    v = Value("i", 3)
    assert isinstance(v, mpsc.Synchronized)
    assert v.value == 3
    with v.get_lock():
        v.value += 1
    assert v.get_obj().value == 4
    assert in_kipc_memory(v.get_obj())
    raw = Value("i", 3, lock=False)
    assert isinstance(raw, ctypes.c_int)
    lock = multiprocessing.Lock()
    assert Value("i", lock=lock).get_lock() is lock
    with pytest.raises(AttributeError):
        Value("i", lock="not a lock")
    # the stdlib raises the same
    with pytest.raises(AttributeError):
        mpsc.Value("i", lock="not a lock")


def test_array_with_lock():
    a = Array("i", [1, 2, 3])
    assert isinstance(a, mpsc.SynchronizedArray)
    assert a[:] == [1, 2, 3] and len(a) == 3
    a[1] = 20
    assert a[1] == 20
    s = Array("c", b"hello")
    assert isinstance(s, mpsc.SynchronizedString)
    assert s.value == b"hello"
    s.value = b"hi"
    assert s.value == b"hi"
    assert isinstance(Array("i", 4, lock=False), ctypes.Array)
    with pytest.raises(AttributeError):
        Array("i", 4, lock=1)


def test_copy():
    v = RawValue("i", 5)
    c = copy(v)
    assert c.value == 5 and ctypes.addressof(c) != ctypes.addressof(v)
    c.value = 6
    assert v.value == 5 and in_kipc_memory(c)


def test_synchronized_is_multiprocessings():
    obj = RawValue("i", 1)
    s = ksc.synchronized(obj)
    assert isinstance(s, mpsc.Synchronized) and s.value == 1


def test_pickling_outside_spawning_refused():
    # as multiprocessing: shared ctypes go to children by inheritance only
    from multiprocessing.reduction import ForkingPickler
    with pytest.raises(RuntimeError):
        ForkingPickler.dumps(RawValue("i"))


def test_memory_given_back():
    gc.collect()
    objects = kipc_counts()[0]
    vals = [RawValue("q", i) for i in range(1000)]
    big = RawArray("b", 10 << 20)
    assert objects < kipc_counts()[0] <= objects + 12
    del vals, big
    gc.collect()
    assert kipc_counts()[0] == objects


def test_children_increment(ctx):
    v = ctx.Value("i", 0)
    procs = [ctx.Process(target=children.increment, args=(v, 200)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert v.value == 600


def test_children_arrays_raw_and_struct(ctx):
    a = ctx.Array("i", 10)
    raw = ctx.RawValue("d")
    st = ctx.RawValue(children.Point)
    ra = ctx.RawArray("i", 3)
    for target, args in ((children.fill_array, (a, 100)),
                         (children.set_raw, (raw, 1.5)),
                         (children.set_struct, (st,)),
                         (children.fill_array, (ra, 5))):
        p = ctx.Process(target=target, args=args)
        p.start()
        p.join()
        assert p.exitcode == 0
    assert a[:] == list(range(100, 110))
    assert raw.value == 1.5 and (st.x, st.y) == (11, 2.5)
    assert ra[:] == [5, 6, 7]


def test_fork_inherits():
    import os
    v = RawValue("i", 1)
    pid = os.fork()
    if pid == 0:
        v.value = 2
        os._exit(0)
    os.waitpid(pid, 0)
    assert v.value == 2


def test_context_api(ctx):
    assert isinstance(ctx, multiprocessing.context.BaseContext)
    assert ctx.get_start_method() in ("fork", "spawn", "forkserver")
    assert ctx.get_context() is ctx
    for m in ("fork", "spawn", "forkserver"):
        assert kipc.get_context(m).get_start_method() == m
        assert ctx.get_context(m) is kipc.get_context(m)
    assert in_kipc_memory(ctx.Value("i").get_obj())
    assert in_kipc_memory(ctx.RawArray("i", 2))
    # multiprocessing's factories for what kipc does not have yet
    q = ctx.SimpleQueue()
    q.close()


def test_default_context():
    assert kipc.get_context().get_start_method() == multiprocessing.get_start_method()
    with pytest.raises(ValueError):
        kipc.get_context("nope")
