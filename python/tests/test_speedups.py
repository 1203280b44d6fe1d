# SPDX-License-Identifier: MIT
"""kipc._speedups: used when built, not when KIPC_NO_SPEEDUPS is set. The
rest of the suite runs on whichever path is in use: run it once as is and
once with KIPC_NO_SPEEDUPS=1 to test both."""

import os
import pickle
import queue
import subprocess
import sys
import sysconfig
import threading
import time
import warnings

import kipc
import errno

import pytest

from kipc import _lib, queues, synchronize

PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT = os.path.join(os.path.dirname(PYDIR), "build", "python", "kipc",
                     "_speedups" + sysconfig.get_config_var("EXT_SUFFIX"))
DISABLED = os.environ.get("KIPC_NO_SPEEDUPS", "") not in ("", "0")

def probe(**env):
    e = dict(os.environ, PYTHONPATH=PYDIR)
    e.pop("KIPC_NO_SPEEDUPS", None)
    e.update(env)
    out = subprocess.run([sys.executable, "-c",
                          "import kipc.synchronize as s; "
                          "print(s.SPEEDUPS is not None)"],
                         env=e, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() == "True"


def test_in_use_as_expected():
    assert os.path.exists(BUILT), f"{BUILT}: run make"
    if DISABLED:
        assert _lib.speedups is None and synchronize.SPEEDUPS is None
        assert queues._sp is None
        assert not hasattr(kipc.Lock, "_sp_bind")
        assert type(kipc.Lock.__enter__) is type(lambda: 0)
    else:
        assert synchronize.SPEEDUPS is _lib.speedups is not None
        assert os.path.samefile(_lib.speedups.__file__, BUILT)
        assert queues._sp is _lib.speedups
        # C methods of the type: `with` finds __enter__/__exit__ there
        for cls in (kipc.Lock, kipc.RLock):
            assert issubclass(cls, _lib.speedups.LockCore)
            for m in ("acquire", "release", "__enter__", "__exit__"):
                assert getattr(cls, m) is \
                    _lib.speedups.LockCore.__dict__[m], m
        lock = kipc.RLock()
        assert type(lock.acquire) is type(len)   # a C method, no frame
        assert type(lock.release) is type(len)


def test_env_switch():
    assert probe() is True
    assert probe(KIPC_NO_SPEEDUPS="1") is False
    assert probe(KIPC_NO_SPEEDUPS="0") is True


def test_fast_lock_semantics():
    lock = kipc.Lock()
    assert lock.acquire()
    assert not lock.acquire(False)
    assert not lock.acquire(timeout=0.01)
    lock.release()
    try:
        lock.release()
    except ValueError:
        pass
    else:
        raise AssertionError("release of an unlocked Lock did not raise")
    sem = kipc.BoundedSemaphore(1)
    assert sem.acquire(timeout=0)
    assert not sem.acquire(False)
    sem.release()
    try:
        sem.release()
    except ValueError:
        pass
    else:
        raise AssertionError("BoundedSemaphore over-release did not raise")
    ev = kipc.Event()
    assert not ev.is_set()
    ev.set()
    assert ev.is_set()


def test_method_outlives_lock():
    acquire = kipc.Lock().acquire   # the lock object itself is gone
    assert acquire()
    assert not acquire(False)
    assert not acquire(True, 0.01)
    assert not acquire(timeout=0)
    del acquire


def test_channel_calls():
    ch = queues.Channel(4, 64)
    try:
        # Channel.put/get: the extension's calls or the ctypes path
        big = bytes(range(256)) * 40        # larger than a slot
        for msg in (b"", b"abc", big):
            assert ch.put(msg, _lib.KIPC_NOWAIT) == 0
        for msg in (b"", b"abc", big):
            assert ch.get(_lib.KIPC_NOWAIT) == msg
        assert ch.get(_lib.KIPC_NOWAIT) == -errno.EAGAIN
    finally:
        ch.close()
    if DISABLED:
        assert queues._sp is None
        return
    sp = _lib.speedups
    ch = queues.Channel(4, 64)
    # a second ChannelCore on the handle whose buffer may not grow
    small = sp.ChannelCore()
    small._sp_bind(ch._hv, 64, 64, lambda: None, queues._dumps,
                   pickle.dumps, pickle.loads)
    try:
        assert ch.get(_lib.KIPC_NOWAIT) == -errno.EAGAIN
        assert ch.put(b"", _lib.KIPC_NOWAIT) == 0
        assert ch.put(memoryview(b"abc"), _lib.KIPC_NOWAIT) == 0
        assert ch.put(big, _lib.KIPC_NOWAIT) == 0
        assert ch.get(_lib.KIPC_NOWAIT) == b""
        assert ch.get(_lib.KIPC_NOWAIT) == b"abc"
        # the message stays queued
        assert small.get(_lib.KIPC_NOWAIT) == -errno.EMSGSIZE
        assert small.get_obj(_lib.KIPC_NOWAIT) == (False, -errno.EMSGSIZE)
        assert ch.get(_lib.KIPC_NOWAIT) == big
        with pytest.raises(ValueError):
            sp.ChannelCore()._sp_bind(ch._hv, 0, 64, len, len, len, len)
        with pytest.raises(ValueError):
            sp.ChannelCore()._sp_bind(0, 64, 64, len, len, len, len)
        with pytest.raises(TypeError):
            sp.ChannelCore()._sp_bind(ch._hv, 64, 64, len, len, len, 0)
        with pytest.raises(ValueError, match="no handle"):
            sp.ChannelCore().put(b"x", _lib.KIPC_NOWAIT)
        with pytest.raises(TypeError):
            ch.put("text", _lib.KIPC_NOWAIT)
        # a pickle larger than max_msg: its length, nothing put
        assert small.put_obj(b"y" * 100, _lib.KIPC_NOWAIT) > 64
        assert ch.get(_lib.KIPC_NOWAIT) == -errno.EAGAIN
    finally:
        ch.close()


def python_frames(fn):
    """The Python functions fn() ran, as (file name, function name)."""
    seen = []

    def prof(frame, event, arg):
        if event == "call":
            seen.append((os.path.basename(frame.f_code.co_filename),
                         frame.f_code.co_name))
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return seen


def test_lock_fast_path_runs_no_python_frame():
    lock, rlock = kipc.Lock(), kipc.RLock()

    def with_lock():
        with lock:
            with rlock:
                with rlock:
                    pass

    def calls():
        assert lock.acquire()
        assert lock.acquire(False) is False
        assert lock.acquire(True, 0.01) is False
        lock.release()
        assert rlock.acquire(timeout=1)
        rlock.release()

    for fn in (with_lock, calls):
        frames = [f for f in python_frames(fn) if f[1] != fn.__name__]
        if DISABLED:
            assert ("synchronize.py", "acquire") in frames
        else:
            # only deadline() for the explicit timeouts
            assert set(frames) <= {("_util.py", "deadline")}, frames
    # multiprocessing's synchronized wrappers: no kipc frame
    arr = kipc.Array("i", range(4))
    val = kipc.Value("i", 7)

    def wrapped():
        arr[1] = arr[2]
        val.value += 1
    frames = python_frames(wrapped)
    assert arr[:] == [0, 2, 2, 3] and val.value == 8
    mine = [f for f in frames if f[0] in ("synchronize.py", "_util.py")]
    assert (mine == []) != DISABLED, frames


class _Obj:
    pass


def test_queue_fast_path():
    """With the extension, Queue and SimpleQueue put(obj) and get() run no
    Python frame (QueueCore, then ChannelCore: pickling of plain objects,
    the closed/busy bookkeeping and libipc in one C call), Connection send
    and recv one each; the Python methods and the locked bookkeeping on the
    ctypes path."""
    if DISABLED:
        assert queues.Channel.__bases__ == (queues._LockedCore,)
        assert kipc.Queue.put is kipc.Queue._put
        assert kipc.SimpleQueue.get is kipc.SimpleQueue._get
    else:
        core = _lib.speedups.ChannelCore
        assert queues.Channel.__bases__ == (core,)
        for m in ("put", "put_obj", "get", "get_obj", "close", "_enter",
                  "_leave"):
            assert getattr(queues.Channel, m) is core.__dict__[m], m
        qcore = _lib.speedups.QueueCore
        for cls in (kipc.Queue, kipc.SimpleQueue, kipc.JoinableQueue):
            assert qcore in cls.__mro__
            assert cls.get is qcore.__dict__["get"]
        for cls in (kipc.Queue, kipc.SimpleQueue):
            assert cls.put is qcore.__dict__["put"]
    q, sq = kipc.Queue(), kipc.SimpleQueue()
    r, w = kipc.Pipe(duplex=False)
    for obj in (b"x" * 256, {"a": [1, 2.5], "b": ("c", None)}):
        def fn():
            q.put(obj)
            assert q.get() == obj
            sq.put(obj)
            assert sq.get() == obj
            w.send(obj)
            assert r.recv() == obj
        frames = [f for f in python_frames(fn) if f[1] != "fn"]
        if DISABLED:
            assert ("queues.py", "_enter") in frames, frames
        else:
            assert frames == [("connection.py", "send"),
                              ("connection.py", "recv")], frames
    # the other forms of the calls: the Python methods, same results
    q.put(1, True)
    q.put(2, True, None)
    q.put(3, block=True)
    q.put(4, False)
    q.put(5, timeout=5)
    assert [q.get(True), q.get(True, None), q.get(block=True),
            q.get(False), q.get(timeout=5)] == [1, 2, 3, 4, 5]
    with pytest.raises(queue.Empty):
        q.get(timeout=0)
    with pytest.raises(TypeError):
        sq.get(False)
    gated = kipc.Queue(3)               # maxsize gate: the Python methods
    frames = python_frames(lambda: (gated.put(6), gated.get()))
    assert ("queues.py", "_put_data") in frames, frames
    gated.close()
    with pytest.raises(ValueError, match="is closed"):
        gated.put(7)
    # anything else: the per-thread ForkingPickler
    frames = python_frames(lambda: q.put(_Obj()))
    assert ("queues.py", "_dumps") in frames, frames
    assert type(q.get()) is _Obj
    if not DISABLED:
        ch = q._ch
        with pytest.raises(RuntimeError):
            ch._leave()                 # no call in progress
        with pytest.raises(RuntimeError):
            ch._sp_bind(ch._hv, 64, 64, len, len, len, len)
        with pytest.raises(TypeError):
            ch.put("text", _lib.KIPC_NOWAIT)
    for x in (q, sq, r, w):
        x.close()
    for x in (q, sq):
        with pytest.raises(ValueError, match="is closed"):
            x.put(1)
        with pytest.raises(ValueError, match="is closed"):
            x.get()


def test_lock_errors_as_on_ctypes_path():
    lock, rlock = kipc.Lock(), kipc.RLock()
    with pytest.raises(ValueError, match="released too many times"):
        lock.release()
    with pytest.raises(ValueError, match="released too many times"):
        lock.__exit__(None, None, None)
    with pytest.raises(AssertionError, match="not owned"):
        rlock.release()
    with pytest.raises(TypeError):
        lock.acquire(True, 1, 2)
    with pytest.raises(TypeError):
        lock.acquire(bogus=1)
    with pytest.raises(TypeError):
        lock.acquire(True, block=False)
    # an exception in the block propagates; the lock is released
    with pytest.raises(KeyError):
        with lock:
            raise KeyError(1)
    assert lock.acquire(False)
    lock.release()
    # the lock is owned by the thread that acquired it (RLock)
    with rlock:
        out = []
        t = threading.Thread(target=lambda: out.append(rlock.acquire(False)))
        t.start()
        t.join(30)
        assert out == [False]
    blank = kipc.Lock.__new__(kipc.Lock)    # never initialised
    with pytest.raises((ValueError, AttributeError)):
        blank.acquire()
    with pytest.raises((ValueError, AttributeError)):
        with blank:
            pass


def test_owner_dead_warning_points_at_the_caller():
    for how in ("acquire", "with"):
        for cls in (kipc.Lock, kipc.RLock):
            lock = cls()
            pid = os.fork()
            if pid == 0:
                lock.acquire()
                os._exit(0)
            os.waitpid(pid, 0)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                if how == "acquire":
                    assert lock.acquire() is True
                    lock.release()
                else:
                    with lock:
                        pass
            assert [x.category for x in w] == [kipc.OwnerDeadWarning]
            assert w[0].filename == __file__, (how, cls, w[0].filename)
            assert lock.acquire(False)
            lock.release()


def test_batch_calls():
    ch = queues.Channel(4, 64)
    big = bytes(range(256)) * 40        # larger than a slot
    nw = _lib.KIPC_NOWAIT
    try:
        # Channel.put_many/get_many: the extension's calls or ctypes
        assert ch.put_many([], nw) == 0
        assert ch.put_many([b"a", b"", b"c" * 64, b"d", b"e"], nw) == 4
        assert ch.put_many([b"x"], nw) == -errno.EAGAIN
        assert ch.get_many(10, nw) == [b"a", b"", b"c" * 64, b"d"]
        assert ch.get_many(3, nw) == -errno.EAGAIN
        dl = time.monotonic_ns() + 50_000_000
        assert ch.get_many(3, dl) == -errno.ETIMEDOUT
        # a large message ends a batch and then comes alone
        assert ch.put_many([b"1", big, b"2"], nw) == 3
        assert ch.get_many(4, nw) == [b"1"]
        assert ch.get_many(4, nw) == [big]
        assert ch.get_many(4, nw) == [b"2"]
        assert ch.put_many([b"z"] * 4, nw) == 4
        dl = time.monotonic_ns() + 50_000_000
        assert ch.put_many([b"y"], dl) == -errno.ETIMEDOUT
        assert ch.get_many(1, nw) == [b"z"]
        assert ch.get_many(4, nw) == [b"z"] * 3
    finally:
        ch.close()
    with pytest.raises(ValueError):
        ch.put_many([b"x"], nw)
    with pytest.raises(ValueError):
        ch.get_many(1, nw)
    if DISABLED:
        return
    sp = _lib.speedups
    ch = queues.Channel(4, 64)
    try:
        assert sp.channel_put_many(ch._hv, (b"a", memoryview(b"b")), nw) == 2
        assert sp.channel_get_many(ch._hv, 1, 64, ch.max_msg, nw) == [b"a"]
        # a bad item puts nothing
        with pytest.raises(TypeError):
            sp.channel_put_many(ch._hv, [b"c", "text"], nw)
        with pytest.raises(TypeError):
            sp.channel_put_many(ch._hv, 5, nw)
        assert sp.channel_get_many(ch._hv, 4, 64, ch.max_msg, nw) == [b"b"]
        assert sp.channel_put_many(ch._hv, [big], nw) == 1
        # a buffer that may not grow: the message stays queued
        assert sp.channel_get_many(ch._hv, 2, 64, 64, nw) == -errno.EMSGSIZE
        assert sp.channel_get_many(ch._hv, 2, 64, ch.max_msg, nw) == [big]
        for bad in ((0, 64, 64), (1, 0, 64), (1, 128, 64), (2**31, 64, 64)):
            with pytest.raises(ValueError):
                sp.channel_get_many(ch._hv, *bad, nw)
        with pytest.raises(ValueError):
            sp.channel_put_many(0, [b"x"], nw)
        with pytest.raises(ValueError):
            sp.channel_get_many(0, 1, 64, 64, nw)
        with pytest.raises(TypeError):
            sp.channel_get_many(ch._hv, 1, 64, 64)
    finally:
        ch.close()


def test_blocking_batch_calls_release_the_gil():
    ch = queues.Channel(2, 64)
    out = []
    dl = time.monotonic_ns() + 30_000_000_000
    try:
        t = threading.Thread(target=lambda: out.append(ch.get_many(2, dl)))
        t.start()
        time.sleep(0.2)             # this thread runs while t sleeps
        assert t.is_alive() and out == []
        assert ch.put_many([b"1", b"2"], dl) == 2
        t.join(30)
        assert out == [[b"1", b"2"]] or out == [[b"1"]]
        rest = ch.get_many(2, _lib.KIPC_NOWAIT)
        rest = [] if rest == -errno.EAGAIN else rest
        assert out[0] + rest == [b"1", b"2"]
        assert ch.put_many([b"3", b"4"], dl) == 2
        t = threading.Thread(target=lambda: out.append(
            ch.put_many([b"5"], dl)))
        t.start()
        time.sleep(0.2)
        assert t.is_alive()
        assert ch.get_many(1, dl) == [b"3"]
        t.join(30)
        assert out[1:] == [1]
        assert ch.get_many(4, dl) == [b"4", b"5"]
    finally:
        ch.close()
