# SPDX-License-Identifier: MIT
"""multiprocessing.synchronize on kipc synchronisation objects.

Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier with
multiprocessing's API. Each is an anonymous kipc object (its own
descriptor and one mapped page); uncontended operations make no system
call, blocking ones sleep in the kernel with the GIL released.

The hot paths (Lock/RLock acquire and release, Semaphore acquire and
release, Event set and is_set) go through the C extension kipc._speedups
when it is built (kipc._lib.speedups), else through ctypes; both give the
same results and exceptions. KIPC_NO_SPEEDUPS=1 forces ctypes.

Passing to children is as in multiprocessing: by fork inheritance, or as
Process arguments while a spawn/forkserver child is started (the descriptor
goes through multiprocessing.reduction.DupFd); pickling them at any other
time raises RuntimeError.

A Lock or RLock whose holder died: the next acquire() succeeds and warns
kipc.OwnerDeadWarning (the lock is marked consistent again first). Turn the
warning into an error (warnings.simplefilter("error", OwnerDeadWarning))
to have acquire() raise it instead; the lock is then released, not held.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import threading
import time
import warnings
from multiprocessing import context as _mpctx
from multiprocessing import reduction, util
from typing import Optional

from . import _aio, _lib
from ._errors import check, error
from ._util import NO_DEADLINE, NOWAIT, call, deadline
from .shared_memory import _track, _untrack

__all__ = ["Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event",
           "Condition", "Barrier", "OwnerDeadWarning", "unlink"]


#: kipc._speedups when in use, else None (the ctypes path).
SPEEDUPS = _lib.speedups
_sp = SPEEDUPS


class OwnerDeadWarning(RuntimeWarning):
    """The previous holder of a kipc Lock or RLock died holding it; the
    state the lock guards may be half-updated."""


class _SyncObject:
    """A libipc struct kipc_sync handle, closed when the object goes away.

    Anonymous (name None), created under a name (create=True: a new
    object, FileExistsError if the name is taken), or opened by name
    (create=False: FileNotFoundError if there is none; the creation
    parameters come from the object, the ones passed are ignored)."""

    _create = None  # set by subclasses: fn(out_handle, name, ...) -> int
    _type = 0       # KIPC_TYPE_*, for opening by name
    _name: Optional[str] = None

    def __init__(self, *create_args, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        _lib.require(_lib.KIPC_FEATURE_SYNC)
        h = ctypes.c_void_p()
        if name is None:
            check(self._create(ctypes.byref(h), None, *create_args, 0, 0),
                  einval=ValueError)
        else:
            bname = _lib.encode_name(name)
            if create:
                check(self._create(ctypes.byref(h), bname, *create_args,
                                   _lib.KIPC_CREATE_EXCL, _MODE),
                      name, einval=ValueError)
                if track:
                    _track(name, bname)
            else:
                _open(h, bname, name, self._type)
            self._name = name
        self._set_handle(h)

    def _set_handle(self, h: ctypes.c_void_p) -> None:
        self._h = h
        self._hv = h.value  # the address, for kipc._speedups
        self._close = util.Finalize(self, _lib.kipc_sync_close, (h,))

    def _fd(self) -> int:
        return _lib.kipc_sync_fd(self._h)

    def _kipc_poll_fd(self) -> int:
        """The descriptor kipc.connection.wait and asyncio poll."""
        return self._fd()

    def _params(self):
        return _lib.object_info(self._fd()).params.sync

    @property
    def name(self) -> Optional[str]:
        """The name given at creation or open; None if anonymous."""
        return self._name

    def unlink(self) -> None:
        """Remove the name (FileNotFoundError if it is gone already). The
        object lives on while any process still uses it."""
        if self._name is None:
            raise ValueError(f"{self!r} has no name")
        unlink(self._name)

    def __getstate__(self):
        # A named object travels by name at any time; while spawning, any
        # object travels as its descriptor (also after an unlink).
        if self._name is not None and _mpctx.get_spawning_popen() is None:
            return self._state(), self._name
        _mpctx.assert_spawning(self)
        return self._state(), reduction.DupFd(self._fd()), self._name

    def __setstate__(self, state) -> None:
        h = ctypes.c_void_p()
        if len(state) == 2:
            st, self._name = state
            _open(h, _lib.encode_name(self._name), self._name, self._type)
        else:
            st, dupfd, self._name = state
            fd = dupfd.detach()
            try:
                check(_lib.kipc_sync_from_fd(ctypes.byref(h), fd))
            finally:
                os.close(fd)
        self._set_handle(h)
        self._restore(st)

    def _state(self):
        return None

    def _restore(self, st) -> None:
        pass


_MODE = 0o600
_TYPE_NAMES = {_lib.KIPC_TYPE_SEMAPHORE: "Semaphore", _lib.KIPC_TYPE_LOCK: "Lock",
               _lib.KIPC_TYPE_RLOCK: "RLock", _lib.KIPC_TYPE_EVENT: "Event",
               _lib.KIPC_TYPE_BARRIER: "Barrier",
               _lib.KIPC_TYPE_CONDITION: "Condition"}


def _open(h: ctypes.c_void_p, bname: bytes, name: str, kind: int) -> None:
    ret = _lib.kipc_sync_open(ctypes.byref(h), bname, kind)
    if ret == -errno.EINVAL:
        raise ValueError(f"kipc object {name!r} is not a kipc "
                         f"{_TYPE_NAMES.get(kind, kind)}")
    check(ret, name)


def unlink(name: str) -> None:
    """Remove the name of a kipc object (FileNotFoundError if none)."""
    check(_lib.kipc_object_unlink(_lib.encode_name(name)), name)
    _untrack(name)


def _owner_died(lock, release) -> None:
    try:
        warnings.warn(f"{lock!r}: the previous holder died holding it; "
                      "the state it guards may be inconsistent",
                      OwnerDeadWarning, stacklevel=4)
    except BaseException:
        release()
        raise


# With kipc._speedups, Lock and RLock derive from its LockCore: acquire,
# release, __enter__ and __exit__ are C methods of the type, so neither
# lock.acquire() nor `with lock:` runs a Python frame when uncontended.
_LockCore = _sp.LockCore if _sp is not None else object


class _LockBase(_SyncObject, _LockCore):
    _kind = "lock"

    def __init__(self, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        super().__init__(name=name, create=create, track=track)

    def _fn(self, op):
        return getattr(_lib, f"kipc_{self._kind}_{op}")

    if _sp is not None:
        def _set_handle(self, h: ctypes.c_void_p) -> None:
            super()._set_handle(h)
            self._sp_bind(self._hv, self._kind == "rlock", deadline)

        # LockCore's calls on failure. _c_acquire_failed is one Python
        # frame, as acquire() is on the ctypes path: OwnerDeadWarning's
        # stacklevel points at the caller on both.
        def _c_acquire_failed(self, ret: int) -> bool:
            return self._acquire_failed(ret)

        def _c_release_failed(self, ret: int) -> None:
            self._release_failed(ret)
    else:
        def acquire(self, block: bool = True,
                    timeout: Optional[float] = None) -> bool:
            if not block:
                ret = self._fn("try_acquire")(self._h)
            else:
                dl = deadline(block, timeout)
                if dl == NOWAIT:
                    ret = self._fn("try_acquire")(self._h)
                else:
                    ret = call(self._fn("acquire"), self._h, dl)
            if ret == 0:
                return True
            return self._acquire_failed(ret)

        def release(self) -> None:
            ret = self._fn("release")(self._h)
            if ret:
                self._release_failed(ret)

        __enter__ = acquire

        def __exit__(self, *args) -> None:
            self.release()

    async def acquire_async(self, timeout: Optional[float] = None) -> bool:
        """Coroutine: acquire() for asyncio (the running loop waits for the
        lock's descriptor; no thread). True once acquired, False when
        *timeout* seconds passed. Owner death as for acquire(). An RLock
        is owned by the loop's thread: all its tasks share it."""
        ret = await self._acquire_async(timeout)
        if ret == -errno.EOWNERDEAD:
            _owner_died(self, self.release)
        return ret is not _aio.TIMEOUT

    async def _acquire_async(self, timeout: Optional[float]):
        """0 or -EOWNERDEAD (held, marked consistent, not yet warned) once
        acquired, _aio.TIMEOUT when *timeout* passed."""
        try_acquire = self._fn("try_acquire")

        def op():
            ret = try_acquire(self._h)
            if ret == -errno.EOWNERDEAD:
                check(self._fn("consistent")(self._h))
            elif ret:
                return self._acquire_failed(ret) or _aio.AGAIN
            return ret
        return await _aio.retry(op, self._fd, False, timeout)

    def _acquire_failed(self, ret: int) -> bool:
        # LockCore answers the first three itself (False) without a call.
        if ret in (-errno.EAGAIN, -errno.ETIMEDOUT, -errno.EBUSY):
            return False
        if ret == -errno.EOWNERDEAD:
            check(self._fn("consistent")(self._h))
            _owner_died(self, self.release)
            return True
        if ret == -errno.EOVERFLOW:
            raise OverflowError("maximum recursion level exceeded")
        raise error(ret, what=f"{type(self).__name__}.acquire")

    def _release_failed(self, ret: int) -> None:
        if ret == -errno.EPERM:
            self._release_error()
        check(ret)

    def _is_mine(self) -> bool:
        return self._fn("held")(self._h) == 1

    def __repr__(self) -> str:
        return f"<kipc.{type(self).__name__}(fd={self._fd()})>"


class Lock(_LockBase):
    """multiprocessing.Lock: not recursive; any process may release it."""
    _kind = "lock"
    _create = _lib.kipc_lock_create
    _type = _lib.KIPC_TYPE_LOCK

    def _release_error(self):
        raise ValueError("semaphore or lock released too many times")


class RLock(_LockBase):
    """multiprocessing.RLock: recursive, owned by one thread of a process."""
    _kind = "rlock"
    _create = _lib.kipc_rlock_create
    _type = _lib.KIPC_TYPE_RLOCK

    def _release_error(self):
        raise AssertionError("attempt to release recursive lock not owned "
                             "by thread")


class _SemLockShim:
    """What multiprocessing.queues.Queue reads of a semaphore's _semlock
    (ProcessPoolExecutor's call queue is such a Queue)."""

    def __init__(self, sem):
        self._sem = sem

    def _is_zero(self) -> bool:
        return self._sem.get_value() == 0

    def _get_value(self) -> int:
        return self._sem.get_value()


class Semaphore(_SyncObject):
    """multiprocessing.Semaphore (value up to 2**31-1)."""

    _create = _lib.kipc_semaphore_create
    _type = _lib.KIPC_TYPE_SEMAPHORE

    def __init__(self, value: int = 1, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        self._init(value, 0, name=name, create=create, track=track)

    def _init(self, value: int, maximum: int, **kw) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        if value > _lib.KIPC_SYNC_SEM_MAX:
            raise ValueError("semaphore initial value too large")
        super().__init__(value, maximum, **kw)

    @property
    def _semlock(self):
        return _SemLockShim(self)

    def acquire(self, block: bool = True, timeout: Optional[float] = None) -> bool:
        dl = deadline(block, timeout)
        if dl == NOWAIT:
            ret = _lib.kipc_sem_try_acquire(self._h)
        else:
            ret = call(_lib.kipc_sem_acquire, self._h, dl)
        if ret == 0:
            return True
        return self._acquire_failed(ret)

    async def acquire_async(self, timeout: Optional[float] = None) -> bool:
        """Coroutine: acquire() for asyncio. True once acquired, False
        when *timeout* seconds passed."""
        def op():
            ret = _lib.kipc_sem_try_acquire(self._h)
            if ret == 0:
                return True
            return self._acquire_failed(ret) or _aio.AGAIN
        return await _aio.retry(op, self._fd, False, timeout) is True

    def _acquire_failed(self, ret: int) -> bool:
        if ret in (-errno.EAGAIN, -errno.ETIMEDOUT):
            return False
        raise error(ret, what=f"{type(self).__name__}.acquire")

    def _acquire_deadline(self, dl: int) -> bool:
        if _sp is not None:
            ret = _sp.sem_acquire(self._hv, dl)
        else:
            ret = call(_lib.kipc_sem_acquire, self._h, dl) if dl != NOWAIT \
                else _lib.kipc_sem_try_acquire(self._h)
        if ret in (-errno.EAGAIN, -errno.ETIMEDOUT):
            return False
        check(ret)
        return True

    def release(self, n: int = 1) -> None:
        ret = _lib.kipc_sem_release(self._h, n)
        if ret:
            self._release_failed(ret)

    if _sp is not None:
        def acquire(self, block: bool = True,  # noqa: F811
                    timeout: Optional[float] = None) -> bool:
            ret = _sp.sem_acquire(
                self._hv, NO_DEADLINE if block and timeout is None
                else deadline(block, timeout))
            return True if ret == 0 else self._acquire_failed(ret)

        def release(self, n: int = 1) -> None:  # noqa: F811
            # & as ctypes' c_uint32 conversion, so both paths agree
            ret = _sp.sem_release(self._hv, n & 0xFFFFFFFF)
            if ret:
                self._release_failed(ret)

    def _release_failed(self, ret: int) -> None:
        if ret == -errno.EOVERFLOW:
            raise ValueError("semaphore or lock released too many times")
        check(ret)

    def get_value(self) -> int:
        return check(_lib.kipc_sem_value(self._h))

    __enter__ = acquire

    def __exit__(self, *args) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<kipc.{type(self).__name__}(value={self.get_value()})>"


class BoundedSemaphore(Semaphore):
    """multiprocessing.BoundedSemaphore: releasing past the initial value
    raises ValueError."""

    def __init__(self, value: int = 1, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        if value < 1:
            # kipc's maximum is 1..2**31-1; a bound of 0 can never be
            # acquired or released, which a Semaphore(0) with max 1 is not.
            if value < 0:
                raise ValueError("semaphore initial value must be >= 0")
        self._init(value, max(value, 1), name=name, create=create,
                   track=track)
        if value == 0:
            self._zero = True

    def release(self, n: int = 1) -> None:
        if getattr(self, "_zero", False):
            raise ValueError("semaphore or lock released too many times")
        super().release(n)

    def _state(self):
        return getattr(self, "_zero", False)

    def _restore(self, st) -> None:
        if st:
            self._zero = True


class Event(_SyncObject):
    """multiprocessing.Event."""

    _create = _lib.kipc_event_create
    _type = _lib.KIPC_TYPE_EVENT

    def __init__(self, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        super().__init__(name=name, create=create, track=track)

    def is_set(self) -> bool:
        return check(_lib.kipc_event_is_set(self._h)) == 1

    def set(self) -> None:
        check(_lib.kipc_event_set(self._h))

    if _sp is not None:
        def is_set(self) -> bool:  # noqa: F811
            return check(_sp.event_is_set(self._hv)) == 1

        def set(self) -> None:  # noqa: F811
            check(_sp.event_set(self._hv))

    def clear(self) -> None:
        check(_lib.kipc_event_clear(self._h))

    def wait(self, timeout: Optional[float] = None) -> bool:
        dl = deadline(True, timeout)
        ret = call(_lib.kipc_event_wait, self._h, dl)
        if ret == -errno.ETIMEDOUT:
            return self.is_set()
        check(ret)
        return True

    async def wait_async(self, timeout: Optional[float] = None) -> bool:
        """Coroutine: wait() for asyncio. True once set, False when
        *timeout* seconds passed unset."""
        ret = await _aio.retry(lambda: True if self.is_set() else _aio.AGAIN,
                               self._fd, False, timeout)
        return ret is True

    def __repr__(self) -> str:
        return f"<kipc.Event({'set' if self.is_set() else 'unset'})>"


class Condition(_SyncObject):
    """multiprocessing.Condition over a kipc Lock or RLock (default: a new
    RLock)."""

    _create = _lib.kipc_cond_create
    _type = _lib.KIPC_TYPE_CONDITION

    def __init__(self, lock=None, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True) -> None:
        if lock is None:
            if name is not None:
                raise TypeError("a named Condition needs its lock: pass the "
                                "same (named or inherited) Lock or RLock "
                                "in every process")
            lock = RLock()
        if not isinstance(lock, _LockBase):
            raise TypeError("kipc.Condition needs a kipc Lock or RLock, "
                            f"not {type(lock).__name__}")
        super().__init__(0, name=name, create=create, track=track)
        self._lock = lock
        self._bind()

    def _kipc_poll_fd(self) -> int:
        raise TypeError("a kipc Condition's descriptor does not poll (each "
                        "waiter waits on its own ticket): it cannot be "
                        "waited for with kipc.connection.wait; use "
                        "wait_async() under asyncio")

    def _bind(self) -> None:
        self.acquire = self._lock.acquire
        self.release = self._lock.release
        self.acquire_async = self._lock.acquire_async

    def _state(self):
        return self._lock

    def _restore(self, st) -> None:
        self._lock = st
        self._bind()

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._wait(deadline(True, timeout))

    def _wait(self, dl: int) -> bool:
        ret = call(_lib.kipc_cond_wait, self._h, self._lock._h, dl)
        if ret == 0:
            return True
        if ret == -errno.ETIMEDOUT:
            return False
        if ret == -errno.EOWNERDEAD:
            check(self._lock._fn("consistent")(self._lock._h))
            _owner_died(self._lock, lambda: None)
            return True
        if ret == -errno.EPERM:
            raise RuntimeError("cannot wait on un-acquired lock")
        raise error(ret, what="Condition.wait")

    def wait_for(self, predicate, timeout: Optional[float] = None):
        dl = deadline(True, timeout)
        result = predicate()
        while not result:
            if not self._wait(dl):     # the deadline passed
                return predicate()
            result = predicate()
        return result

    async def wait_async(self, timeout: Optional[float] = None) -> bool:
        """Coroutine: wait() for asyncio (the running loop awaits a watch
        descriptor per step; no thread). True once notified, False when
        *timeout* seconds passed. The lock is held again whenever this
        returns or raises, CancelledError included; a notification that
        arrives for a cancelled wait is passed on with notify(1)."""
        _lib.require(_lib.KIPC_FEATURE_WATCH)
        st = _lib.kipc_sync_step()
        ret = _lib.kipc_cond_wait_begin(self._h, self._lock._h,
                                        ctypes.byref(st))
        if ret == -errno.EPERM:
            raise RuntimeError("cannot wait on un-acquired lock")
        if ret:
            raise error(ret, what="Condition.wait")
        # The lock is released now: from here every way out re-acquires.

        def step():
            ret = _lib.kipc_cond_wait_step(self._h, ctypes.byref(st))
            if ret == -errno.EAGAIN:
                return _aio.AGAIN
            if ret:
                raise error(ret, what="Condition.wait")
            return 1

        def watch():
            return check(_lib.kipc_sync_watch(self._h, ctypes.byref(st)))

        try:
            ret = await _aio.retry(step, watch, False, timeout, close=True)
        except BaseException:
            # Cancelled (or failed): a notification already ours goes on.
            ret = _lib.kipc_cond_wait_cancel(self._h, ctypes.byref(st))
            await self._reacquire(st.saved, ret == 1, True)
            raise
        if ret is _aio.TIMEOUT:
            ret = _lib.kipc_cond_wait_cancel(self._h, ctypes.byref(st))
        await self._reacquire(st.saved, ret == 1, False)
        return check(ret) == 1

    async def _reacquire(self, saved: int, notified: bool,
                         failing: bool) -> None:
        """Take the lock back (*saved* levels of an RLock), as
        asyncio.Condition.wait does even when cancelled meanwhile. A
        notification (*notified*) is passed on to another waiter if the
        wait does not report it (*failing*, or cancelled here)."""
        import asyncio  # loaded already: see _aio.running_loop()
        lock, cancelled = self._lock, None
        while True:
            try:
                ret = await lock._acquire_async(None)
                break
            except asyncio.CancelledError as e:
                cancelled = e
        try:
            for _ in range(saved - 1):  # an RLock held by us: no wait
                lock.acquire(False)
            if notified and (failing or cancelled is not None):
                self.notify(1)
            if ret == -errno.EOWNERDEAD:
                _owner_died(lock, lambda: None)
        finally:
            if cancelled is not None:
                raise cancelled

    async def wait_for_async(self, predicate,
                             timeout: Optional[float] = None):
        """Coroutine: wait_for() for asyncio: wait_async() until
        *predicate()* is true or *timeout* seconds passed; returns the
        last value of predicate()."""
        loop = _aio.running_loop()
        end = None if timeout is None else loop.time() + timeout
        result = predicate()
        while not result:
            left = None if end is None else end - loop.time()
            if not await self.wait_async(left):     # the time passed
                return predicate()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if n < 0:
            raise ValueError("n must be non-negative")
        self._check(_lib.kipc_cond_notify(self._h, self._lock._h,
                                          min(n, 0xffffffff)))

    def notify_all(self) -> None:
        self._check(_lib.kipc_cond_notify_all(self._h, self._lock._h))

    def _check(self, ret: int) -> None:
        if ret == -errno.EPERM:
            raise RuntimeError("cannot notify on un-acquired lock")
        check(ret)

    def __repr__(self) -> str:
        return f"<kipc.Condition({self._lock!r})>"


class Barrier(_SyncObject):
    """multiprocessing.Barrier. *action*, if given, is called by the party
    that arrives last, after the others have been released (threading's
    Barrier calls it before); if it raises, the barrier is broken."""

    _create = _lib.kipc_barrier_create
    _type = _lib.KIPC_TYPE_BARRIER

    def __init__(self, parties: Optional[int] = None, action=None,
                 timeout=None, *, ctx=None, name: Optional[str] = None,
                 create: bool = False, track: bool = True):
        if name is not None and not create:
            parties = 1     # opening: the object has its own
        if parties is None:
            raise TypeError("Barrier() missing required argument 'parties'")
        if not 1 <= parties <= _lib.KIPC_SYNC_PARTIES_MAX:
            raise ValueError(f"parties must be 1..{_lib.KIPC_SYNC_PARTIES_MAX}")
        super().__init__(parties, name=name, create=create, track=track)
        self._action = action
        self._timeout = timeout

    def _kipc_poll_fd(self) -> int:
        raise TypeError("a kipc Barrier's descriptor does not poll (each "
                        "waiter waits on its own ticket): it cannot be "
                        "waited for with kipc.connection.wait; use "
                        "wait_async() under asyncio")

    def _state(self):
        return self._action, self._timeout

    def _restore(self, st) -> None:
        self._action, self._timeout = st

    def wait(self, timeout: Optional[float] = None) -> int:
        """The arrival index. A signal handler runs during the wait and the
        wait goes on, as in threading.Barrier; if the handler raises (as
        for Ctrl-C), the arrival is withdrawn and the barrier broken. So
        the wait is made of libipc's steps, sleeping on a watch of the
        word each step names, rather than one kipc_barrier_wait() call,
        which gives up on a signal."""
        if timeout is None:
            timeout = self._timeout
        if not _lib.features() & _lib.KIPC_FEATURE_WATCH:
            ret = call(_lib.kipc_barrier_wait, self._h,
                       deadline(True, timeout))
            return self._passed(ret)
        end = None if timeout is None else time.monotonic() + max(timeout, 0)
        st = _lib.kipc_sync_step()
        try:
            while True:
                ret = _lib.kipc_barrier_wait_step(self._h, ctypes.byref(st))
                if ret != -errno.EAGAIN:
                    break
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    ret = _lib.kipc_barrier_wait_cancel(self._h,
                                                        ctypes.byref(st))
                    break
                fd = check(_lib.kipc_sync_watch(self._h, ctypes.byref(st)))
                try:
                    p = select.poll()
                    p.register(fd, select.POLLIN)
                    # poll() retries after a handler that returns (PEP 475).
                    p.poll(None if left is None else max(1, int(left * 1000)))
                finally:
                    os.close(fd)
        except BaseException:
            # We arrived (the first step ran): leaving breaks the barrier.
            _lib.kipc_barrier_wait_cancel(self._h, ctypes.byref(st))
            raise
        return self._passed(ret)

    async def wait_async(self, timeout: Optional[float] = None) -> int:
        """Coroutine: wait() for asyncio (the running loop awaits a watch
        descriptor per step; no thread). The arrival index, or
        BrokenBarrierError; the action runs as for wait(). A timeout
        breaks the barrier unless the parties all arrived meanwhile (then
        the index is returned); so does cancelling, which re-raises
        CancelledError in any case."""
        _lib.require(_lib.KIPC_FEATURE_WATCH)
        if timeout is None:
            timeout = self._timeout
        st = _lib.kipc_sync_step()

        def step():
            ret = _lib.kipc_barrier_wait_step(self._h, ctypes.byref(st))
            return _aio.AGAIN if ret == -errno.EAGAIN else ret

        def watch():
            return check(_lib.kipc_sync_watch(self._h, ctypes.byref(st)))

        try:
            ret = await _aio.retry(step, watch, False, timeout, close=True)
        except BaseException:
            # We arrived (step() ran): giving up breaks the barrier.
            _lib.kipc_barrier_wait_cancel(self._h, ctypes.byref(st))
            raise
        if ret is _aio.TIMEOUT:
            ret = _lib.kipc_barrier_wait_cancel(self._h, ctypes.byref(st))
        return self._passed(ret)

    def _passed(self, ret: int) -> int:
        """What wait() returns or raises for libipc's result *ret*."""
        if ret in (-errno.EPIPE, -errno.ETIMEDOUT, -errno.ECANCELED):
            raise threading.BrokenBarrierError
        index = check(ret)
        if index == self.parties - 1 and self._action is not None:
            try:
                self._action()
            except BaseException:
                self.abort()
                raise
        return index

    def abort(self) -> None:
        check(_lib.kipc_barrier_abort(self._h))

    def reset(self) -> None:
        check(_lib.kipc_barrier_reset(self._h))

    @property
    def parties(self) -> int:
        return check(_lib.kipc_barrier_parties(self._h))

    @property
    def n_waiting(self) -> int:
        return check(_lib.kipc_barrier_waiting(self._h))

    @property
    def broken(self) -> bool:
        return check(_lib.kipc_barrier_broken(self._h)) == 1

    def __repr__(self) -> str:
        return (f"<kipc.Barrier(parties={self.parties}, "
                f"waiting={self.n_waiting}, broken={self.broken})>")
