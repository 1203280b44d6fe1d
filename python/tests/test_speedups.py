# SPDX-License-Identifier: MIT
"""kipc._speedups: used when built, not when KIPC_NO_SPEEDUPS is set. The
rest of the suite runs on whichever path is in use: run it once as is and
once with KIPC_NO_SPEEDUPS=1 to test both."""

import glob
import os
import subprocess
import sys
import sysconfig

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
        assert not hasattr(kipc.Lock, "_sp_acquire")
    else:
        assert synchronize.SPEEDUPS is _lib.speedups is not None
        assert os.path.samefile(_lib.speedups.__file__, BUILT)
        assert queues._sp is _lib.speedups
        assert kipc.Lock._sp_acquire is _lib.speedups.lock_acquire
        assert kipc.RLock._sp_release is _lib.speedups.rlock_release
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
    try:
        assert sp.channel_get(ch._hv, 64, ch.max_msg, _lib.KIPC_NOWAIT) == -errno.EAGAIN
        assert sp.channel_put(ch._hv, b"", _lib.KIPC_NOWAIT) == 0
        assert sp.channel_put(ch._hv, memoryview(b"abc"), _lib.KIPC_NOWAIT) == 0
        assert sp.channel_put(ch._hv, big, _lib.KIPC_NOWAIT) == 0
        assert sp.channel_get(ch._hv, 64, ch.max_msg, _lib.KIPC_NOWAIT) == b""
        assert sp.channel_get(ch._hv, 64, ch.max_msg, _lib.KIPC_NOWAIT) == b"abc"
        # a buffer that may not grow: the message stays queued
        assert sp.channel_get(ch._hv, 64, 64, _lib.KIPC_NOWAIT) == -errno.EMSGSIZE
        assert sp.channel_get(ch._hv, 64, ch.max_msg, _lib.KIPC_NOWAIT) == big
        with pytest.raises(ValueError):
            sp.channel_get(ch._hv, 0, 64, _lib.KIPC_NOWAIT)
        with pytest.raises(ValueError):
            sp.channel_put(0, b"x", _lib.KIPC_NOWAIT)
        with pytest.raises(TypeError):
            sp.channel_put(ch._hv, "text", _lib.KIPC_NOWAIT)
    finally:
        ch.close()
