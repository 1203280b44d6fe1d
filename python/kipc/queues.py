# SPDX-License-Identifier: MIT
"""multiprocessing.queues on kipc channels: Queue, SimpleQueue,
JoinableQueue.

Each queue is an anonymous kipc channel (a ring of fixed-size slots that
every process maps). put() pickles in the caller -- a pickling error is
raised by put() itself -- and copies the pickle into the ring: there is no
feeder thread, nothing is buffered in the process, and nothing can hang at
exit. Blocking calls sleep in the kernel with the GIL released.

Geometry: ``capacity`` slots (a power of two) of ``slot_size`` bytes
(default 4 KiB). The channel is created with the largest ``max_msg`` the
driver accepts (up to 64 MiB once large messages land; today the slot
size): a put whose pickle is larger raises ValueError.

maxsize: a power of two is the ring's capacity; any other positive value
rounds the ring up and gates puts (_Gate): a put goes in only while the
ring holds fewer than maxsize, so full(), put() blocking and qsize() follow
maxsize exactly, and a process killed anywhere never changes it. maxsize <= 0 means
DEFAULT_CAPACITY (1024) items: put() then blocks when that many wait,
where multiprocessing's feeder thread would buffer without bound.
"""

from __future__ import annotations

import copyreg
import ctypes
import errno
import io
import mmap
import os
import pickle
import threading
import time
from multiprocessing import context as _mpctx
from multiprocessing import reduction, util
from queue import Empty, Full
from typing import Any, Iterable, List, Optional

from . import _aio, _lib
from ._errors import check, error
from ._util import NO_DEADLINE, NOWAIT, call, deadline, next_pow2

__all__ = ["Queue", "SimpleQueue", "JoinableQueue", "Empty", "Full",
           "DEFAULT_CAPACITY", "DEFAULT_SLOT_SIZE"]

DEFAULT_CAPACITY = 1024
DEFAULT_SLOT_SIZE = 4096

_ForkingPickler = reduction.ForkingPickler
_pickle_dumps = pickle.dumps
_loads = _ForkingPickler.loads
_put_fn, _get_fn = _lib.kipc_channel_put, _lib.kipc_channel_get


class _PerThread(threading.local):
    """What put() and get() reuse in a thread instead of building it per
    call: a ForkingPickler on a BytesIO (ForkingPickler.dumps makes both
    and copies copyreg's dispatch table every time) and a receive buffer.
    Each is taken (set to None) while in use, so a nested put or get (from
    a __reduce__ or __setstate__) builds its own."""

    pickler = None
    pickler_key = None
    buf = None


_tl = _PerThread()


# Types that no reducer can change (pickle saves them before it looks at
# any dispatch table): plain pickle.dumps gives ForkingPickler's bytes.
_ATOMS = frozenset((bytes, str, int, float, bool, type(None)))


def _dumps(obj: Any) -> bytes:
    """ForkingPickler.dumps(obj) as bytes."""
    t = type(obj)
    if t in _ATOMS or (t is tuple and len(obj) <= 8 and
                       all(type(o) in _ATOMS for o in obj)):
        return _pickle_dumps(obj)
    tl = _tl
    # Reducers registered after the pickler was made: make another.
    key = (len(copyreg.dispatch_table), len(_ForkingPickler._extra_reducers))
    pickler = tl.pickler
    if pickler is None or tl.pickler_key != key:
        f = io.BytesIO()
        pickler = _ForkingPickler(f)
        pickler.f = f
    tl.pickler = None
    f = pickler.f
    f.seek(0)
    f.truncate()
    pickler.dump(obj)
    # The memo holds every object pickled: drop them now, not at the
    # next put (nothing may outlive the put because of us).
    pickler.clear_memo()
    data = f.getvalue()
    tl.pickler, tl.pickler_key = pickler, key
    return data


def _recv_buffer(size: int):
    """This thread's receive buffer of at least *size* bytes (taken: give
    it back with _tl.buf = buf)."""
    buf = _tl.buf
    if buf is None or len(buf) < size:
        buf = ctypes.create_string_buffer(size)
    _tl.buf = None
    return buf
_TIMEOUT = (-errno.EAGAIN, -errno.ETIMEDOUT)
_GROW = 8       # buffer growth for a large message of unknown length
_sp = _lib.speedups     # the C fast paths, or None (ctypes only)


class _LockedCore:
    """The close/busy bookkeeping of the ctypes path, under a
    threading.Lock: _busy counts the calls using the mapping, _closing
    refuses new ones, and the last call out after close() releases the
    mapping. kipc._speedups.ChannelCore does the same in C with the GIL as
    the lock, and put/get/put_obj/get_obj in the same C call."""

    def _core_init(self) -> None:
        self._mutex = threading.Lock()
        self._busy = 0
        self._closing = False

    def _enter(self) -> None:
        with self._mutex:
            if self._closing:
                raise ValueError("the queue is closed")
            self._busy += 1

    def _leave(self) -> None:
        with self._mutex:
            self._busy -= 1
            last = self._closing and self._busy == 0
        if last:
            self._finalize()

    def close(self) -> None:
        with self._mutex:
            if self._closing:
                return
            self._closing = True
            idle = self._busy == 0
        if idle:
            self._finalize()

    @property
    def closed(self) -> bool:
        return self._closing

    def put(self, data: bytes, dl: int) -> int:
        self._enter()
        try:
            ret = _put_fn(self._h, data, len(data), dl)
            if ret == -errno.EINTR:
                ret = call(_put_fn, self._h, data, len(data), dl)
            return ret
        finally:
            self._leave()

    def put_obj(self, obj: Any, dl: int) -> int:
        """Pickle *obj* (errors raise here) and put it: 0, -errno, or the
        pickle's length when it exceeds max_msg (nothing put)."""
        data = _dumps(obj)
        if len(data) > self.max_msg:
            return len(data)
        return self.put(data, dl)

    def get_obj(self, dl: int):
        """(True, the unpickled message) or (False, -errno)."""
        self._enter()
        try:
            size = self.slot_size
            buf = _recv_buffer(size)
            n = _get_fn(self._h, buf, size, dl)
            if n == -errno.EINTR:
                n = call(_get_fn, self._h, buf, size, dl)
            if n >= 0:
                # Unpickled from the buffer: no copy of the message.
                obj = _loads(memoryview(buf)[:n])
                _tl.buf = buf
                return True, obj
            _tl.buf = buf
        finally:
            self._leave()
        if n == -errno.EMSGSIZE and self.max_msg > self.slot_size:
            data = self.get(dl)     # a large message: see get()
            if not isinstance(data, int):
                return True, _loads(data)
            n = data
        return False, n

    def get(self, dl: int):
        """bytes, or a negative errno."""
        self._enter()
        try:
            h = self._h
            size = self.slot_size
            buf = _recv_buffer(size)
            n = call(_get_fn, h, buf, size, dl)
            if n >= 0:
                data = ctypes.string_at(buf, n)
            _tl.buf = buf
            while n == -errno.EMSGSIZE and size < self.max_msg:
                # A large message (indirect record), still queued: retry
                # with a larger buffer. Growing by 8 keeps the retries few
                # without zeroing max_msg (64 MiB) bytes for every message.
                size = min(size * _GROW, self.max_msg)
                buf = ctypes.create_string_buffer(size)
                n = call(_get_fn, h, buf, size, dl)
                if n >= 0:
                    data = ctypes.string_at(buf, n)
            return n if n < 0 else data
        finally:
            self._leave()


class Channel(_sp.ChannelCore if _sp is not None else _LockedCore):
    """An attached kipc channel (struct kipc_channel *) of this process.

    Thread-safe; close() while other threads are inside a call defers the
    release of the mapping to the last of them. put, put_obj, get, get_obj,
    close, closed, _enter and _leave come from the base class."""

    def __init__(self, capacity: int, slot_size: int, fd: int = -1,
                 name: Optional[str] = None) -> None:
        if fd == -1:
            _lib.features()     # DeviceError when the module is not loaded
            fd = _create(capacity, slot_size, name)
        h = ctypes.c_void_p()
        ret = _lib.kipc_channel_attach(fd, ctypes.byref(h))
        if ret < 0:
            os.close(fd)
            check(ret)
        self._h = h
        self._hv = h.value      # the address, for kipc._speedups
        self.capacity = capacity
        self.slot_size = _lib.kipc_channel_slot_size(h)
        self.max_msg = _lib.kipc_channel_max_msg(h)
        self._finalize = util.Finalize(self, _lib.kipc_channel_close, (h,))
        if _sp is not None:
            self._sp_bind(self._hv, self.slot_size,
                          max(self.max_msg, self.slot_size), self._finalize,
                          _dumps, _pickle_dumps, _loads)
        else:
            self._core_init()

    def fileno(self) -> int:
        return _lib.kipc_channel_fd(self._h)

    # -- pickling (spawn/forkserver: descriptor passing) -----------------
    def __getstate__(self):
        _mpctx.assert_spawning(self)
        return self.capacity, self.slot_size, reduction.DupFd(self.fileno())

    def __setstate__(self, state) -> None:
        capacity, slot_size, dupfd = state
        self.__init__(capacity, slot_size, dupfd.detach())

    def put_many(self, datas: List[bytes], dl: int) -> int:
        """How many of *datas* were put (from the start), or -errno."""
        self._enter()
        try:
            if _sp is not None:
                return _sp.channel_put_many(self._hv, datas, dl)
            n = len(datas)
            iov = (_lib.iovec * n)()
            keep = [ctypes.c_char_p(d) for d in datas]
            for i, p in enumerate(keep):
                iov[i].iov_base = ctypes.cast(p, ctypes.c_void_p)
                iov[i].iov_len = len(datas[i])
            return call(_lib.kipc_channel_put_many, self._h, iov, n, dl)
        finally:
            self._leave()

    def get_many(self, n: int, dl: int):
        """A list of up to *n* bytes objects, or -errno."""
        n = min(n, self.capacity)   # never more in the ring at once
        self._enter()
        try:
            if _sp is not None:
                return _sp.channel_get_many(
                    self._hv, n, self.slot_size,
                    max(self.max_msg, self.slot_size), dl)
            size = self.slot_size
            buf = ctypes.create_string_buffer(size * n)
            base = ctypes.addressof(buf)
            iov = (_lib.iovec * n)()
            for i in range(n):
                iov[i].iov_base = base + i * size
                iov[i].iov_len = size
            got = call(_lib.kipc_channel_get_many, self._h, iov, n, dl)
            if got == -errno.EMSGSIZE:
                # The first message is a large one: take it alone.
                one = self.get(dl)
                return one if isinstance(one, int) else [one]
            if got < 0:
                return got
            return [ctypes.string_at(base + i * size, iov[i].iov_len)
                    for i in range(got)]
        finally:
            self._leave()

    def qsize(self) -> int:
        self._enter()
        try:
            st = _lib.kipc_channel_stats()
            check(_lib.kipc_channel_stats_fn(self._h, ctypes.byref(st)))
            return int(st.queued)
        finally:
            self._leave()


_large_ok: Optional[bool] = None   # does the driver take max_msg > slot?


def _create(capacity: int, slot_size: int, name: Optional[str] = None) -> int:
    """A new channel's descriptor (anonymous, or exclusively under *name*),
    with the largest max_msg the driver accepts: KIPC_CHANNEL_MAX_MSG once
    large messages are supported, else the slot size (EINVAL for max_msg >
    slot_size today)."""
    global _large_ok
    p = _lib.kipc_channel_params(capacity=capacity, slot_size=slot_size)
    bname, flags, mode = None, 0, 0
    if name is not None:
        bname, flags, mode = _lib.encode_name(name), _lib.KIPC_CREATE_EXCL, 0o600
    if _large_ok is not False:
        p.max_msg = _lib.KIPC_CHANNEL_MAX_MSG
        ret = _lib.kipc_channel_create(bname, ctypes.byref(p), flags, mode)
        if ret >= 0:
            _large_ok = True
        if ret != -errno.EINVAL:
            return check(ret, name, what="kipc channel")
        p.max_msg = 0
    ret = _lib.kipc_channel_create(bname, ctypes.byref(p), flags, mode)
    if ret >= 0 and _large_ok is None:
        _large_ok = False   # the geometry is fine: no large messages yet
    return check(ret, name, einval=ValueError, what="kipc channel")


class _Gate:
    """maxsize for a ring of more slots: a put goes in only while the ring
    holds fewer than maxsize messages, with the producers' kipc Lock held
    from that check to the end of the put.

    The count is the ring's own (tail - head: published, claimed and
    skipped positions not yet passed by a consumer), so no process holds
    any part of it: a producer or consumer killed at any instruction is
    recovered by the kernel (channels.rst, "Crash semantics") and the
    capacity stays maxsize. (A counting semaphore could not do this: a
    unit taken by a process that then dies is lost, and the queue would
    shrink by one with every such death.) A holder of the lock killed
    mid-put leaves nothing to repair, so EOWNERDEAD is simply cleared.

    A producer that finds the ring at maxsize waits for get_seq (bumped
    by every get while producers sleep: the kernel counts the sleeper in
    put_waiters) to move, in slices of _SLICE_NS: a get that read
    put_waiters just before the sleeper counted itself bumps nothing, and
    the slice bounds that rare wait."""

    def __init__(self, lock, maxsize: int) -> None:
        self.lock = lock
        self.maxsize = maxsize
        self._view: Optional[tuple] = None

    def __getstate__(self):
        return self.lock, self.maxsize

    def __setstate__(self, state) -> None:
        self.__init__(*state)

    def _words(self, ch: "Channel") -> tuple:
        """(mapping, tail, head, get_seq): this process's view of the
        channel header (mapped on first use)."""
        v = self._view
        if v is None:
            # The driver maps only shared; nothing is ever written here.
            m = mmap.mmap(ch.fileno(), mmap.PAGESIZE)
            v = self._view = (
                m, ctypes.c_uint64.from_buffer(m, _lib.KIPC_CHANNEL_OFF_TAIL),
                ctypes.c_uint64.from_buffer(m, _lib.KIPC_CHANNEL_OFF_HEAD),
                ctypes.c_uint32.from_buffer(m, _lib.KIPC_CHANNEL_OFF_GET_SEQ))
        return v

    def close(self) -> None:
        v, self._view = self._view, None
        if v is not None:
            m = v[0]
            del v
            m.close()

    def room(self, ch: "Channel") -> tuple:
        """(free places, get_seq read before counting them). Called with
        the lock held: only a consumer can change the count meanwhile, and
        only down."""
        _, tail, head, seq = self._words(ch)
        s = seq.value
        n = (tail.value - head.value) & 0xffffffffffffffff
        if n >= 1 << 63:
            n = 0   # head read past a tail that moved: never here, but safe
        return self.maxsize - n, s

    def try_lock(self) -> int:
        """0 (held), or a negative errno of the try."""
        h = self.lock._h
        ret = _lib.kipc_lock_try_acquire(h)
        if ret == -errno.EOWNERDEAD:
            ret = check(_lib.kipc_lock_consistent(h))
        return ret

    def lock_until(self, dl: int) -> bool:
        h = self.lock._h
        ret = call(_lib.kipc_lock_acquire, h, dl)
        if ret == -errno.EOWNERDEAD:
            ret = check(_lib.kipc_lock_consistent(h))
        if ret in _TIMEOUT or ret == -errno.EBUSY:
            return False
        check(ret)
        return True

    def unlock(self) -> None:
        check(_lib.kipc_lock_release(self.lock._h))

    def acquire(self, ch: "Channel", dl: int) -> int:
        """Hold the lock with room for at least one message: the free
        places (>= 1), or 0 (lock not held) once *dl* passed."""
        while True:
            if not self.lock_until(dl):
                return 0
            free, seq = self.room(ch)
            if free > 0:
                return free
            self.unlock()
            now = time.monotonic_ns()
            if dl == NOWAIT or (dl != NO_DEADLINE and now >= dl):
                return 0
            call(_lib.kipc_object_wait, ch.fileno(),
                 _lib.KIPC_CHANNEL_OFF_GET_SEQ,
                 _lib.KIPC_CHANNEL_OFF_PUT_WAITERS, seq,
                 min(dl, now + _SLICE_NS))

    def watch(self, ch: "Channel", seq: int) -> int:
        """A descriptor readable once get_seq moved from *seq*."""
        return check(_lib.kipc_object_watch(
            ch.fileno(), _lib.KIPC_CHANNEL_OFF_GET_SEQ,
            _lib.KIPC_CHANNEL_OFF_PUT_WAITERS, seq, 0))


_SLICE_NS = 20_000_000


def _geometry(maxsize: int, capacity: Optional[int], slot_size: int):
    if not (isinstance(slot_size, int) and 8 <= slot_size <= _lib.KIPC_CHANNEL_MAX_SLOT
            and slot_size % 8 == 0):
        raise ValueError("slot_size must be a multiple of 8 in 8..%d"
                         % _lib.KIPC_CHANNEL_MAX_SLOT)
    gate = 0
    if capacity is None:
        if maxsize <= 0:
            capacity = DEFAULT_CAPACITY
        else:
            capacity = next_pow2(maxsize)
            if capacity != maxsize:
                gate = maxsize
    if not 1 <= capacity <= _lib.KIPC_CHANNEL_MAX_CAPACITY or \
            capacity & (capacity - 1):
        raise ValueError("capacity must be a power of two in 1..%d"
                         % _lib.KIPC_CHANNEL_MAX_CAPACITY)
    if maxsize > capacity:
        raise ValueError(f"maxsize {maxsize} exceeds the largest capacity "
                         f"{_lib.KIPC_CHANNEL_MAX_CAPACITY}")
    return capacity, gate


# With the extension, Queue and SimpleQueue derive from its QueueCore: put(obj)
# and get() with the default arguments are C methods that go straight to the
# channel set by _sp_fast() (kept None while closed or gated), and any other
# call goes to _put/_get. Without it, _put/_get are put/get.
_QueueBase = _sp.QueueCore if _sp is not None else object


class Queue(_QueueBase):
    """multiprocessing.Queue on a kipc channel.

    Queue(maxsize=0, *, ctx=None, capacity=None, slot_size=4096,
    name=None, create=False, track=True): with a *name*, create=True
    makes a new named queue (FileExistsError if the name is taken) and
    create=False opens an existing one (FileNotFoundError if none; the
    geometry is the queue's own). A named queue pickles at any time."""

    _name: Optional[str] = None
    # Names of the helper objects of a named queue: name + suffix.
    _PARTS = ("#gate", "#maxsize")

    def __init__(self, maxsize: int = 0, *, ctx=None,
                 capacity: Optional[int] = None,
                 slot_size: int = DEFAULT_SLOT_SIZE,
                 name: Optional[str] = None, create: bool = False,
                 track: bool = True) -> None:
        self._closed = False
        if name is not None and not create:
            self._open(name)
            return
        capacity, gate = _geometry(maxsize, capacity, slot_size)
        self._maxsize = maxsize if maxsize > 0 else 0
        self._ch = Channel(capacity, slot_size, name=name)
        self._name = name
        self._gate = None
        if name is not None and track:
            from .shared_memory import _track
            _track(name, _lib.encode_name(name))
        made = [name]   # names to unlink if a part cannot be made
        try:
            if gate:
                from .synchronize import BoundedSemaphore, Lock
                if name is None:
                    lock = Lock()
                else:
                    lock = Lock(name=name + "#gate", create=True, track=track)
                    made.append(name + "#gate")
                    # Only its bound is used: it tells openers maxsize.
                    BoundedSemaphore(gate, name=name + "#maxsize",
                                     create=True, track=track)._close()
                    made.append(name + "#maxsize")
                self._gate = _Gate(lock, gate)
            self._create_parts(name, track, made)
        except BaseException:
            if name is not None:
                from .synchronize import unlink
                for n in made:
                    unlink(n)
            raise
        self._set_fast()

    def _create_parts(self, name: Optional[str], track: bool,
                      made: List[Optional[str]]) -> None:
        pass

    def _open(self, name: str) -> None:
        """Open the named queue *name* and its parts."""
        from .synchronize import Lock, Semaphore
        fd = _lib.kipc_channel_open(_lib.encode_name(name))
        if fd == -errno.EINVAL:
            raise ValueError(f"kipc object {name!r} is not a kipc queue")
        check(fd, name)
        try:
            info = _lib.object_info(fd)
        except BaseException:
            os.close(fd)
            raise
        self._ch = Channel(int(info.params.channel.capacity),
                           int(info.params.channel.slot_size), fd)
        self._name = name
        try:
            size = Semaphore(name=name + "#maxsize")
        except FileNotFoundError:
            self._gate = None
            self._maxsize = self._ch.capacity
        else:
            self._maxsize = int(size._params().max)
            size._close()
            self._gate = _Gate(Lock(name=name + "#gate"), self._maxsize)
        self._open_parts(name)
        self._set_fast()

    def _open_parts(self, name: str) -> None:
        pass

    def _set_fast(self) -> None:
        if _sp is not None:
            self._sp_fast(None if self._closed or self._gate is not None
                          else self._ch, True)

    @property
    def name(self) -> Optional[str]:
        """The queue's name; None if anonymous."""
        return self._name

    def unlink(self) -> None:
        """Remove the queue's name (FileNotFoundError if it is gone) and
        its helper objects' names. The queue lives on while in use."""
        if self._name is None:
            raise ValueError(f"{self!r} has no name")
        from .synchronize import unlink
        unlink(self._name)
        self._unlink_parts()

    def _unlink_parts(self) -> None:
        from .synchronize import unlink
        for suffix in self._PARTS:
            try:
                unlink(self._name + suffix)
            except FileNotFoundError:
                pass

    # -- pickling --------------------------------------------------------
    def __getstate__(self):
        # Named: by name at any time; anonymous (or while spawning): the
        # descriptors, only while spawning.
        if self._name is not None and _mpctx.get_spawning_popen() is None:
            return self._name
        _mpctx.assert_spawning(self)
        return self._maxsize, self._ch, self._gate, self._name

    def __setstate__(self, state) -> None:
        self._closed = False
        if isinstance(state, str):
            self._open(state)
        else:
            self._maxsize, self._ch, self._gate, self._name = state
            self._set_fast()

    def __repr__(self) -> str:
        return (f"<kipc.{type(self).__name__} capacity={self._ch.capacity} "
                f"slot_size={self._ch.slot_size}>")

    # -- the API ---------------------------------------------------------
    def _check_closed(self) -> None:
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")

    def _encode(self, obj: Any) -> bytes:
        data = _dumps(obj)
        if len(data) > self._ch.max_msg:
            self._too_large(len(data))
        return data

    def _too_large(self, n: int) -> None:
        why = ("the slot size: this driver does not support messages "
               "larger than a slot yet; pass a larger slot_size"
               if self._ch.max_msg <= self._ch.slot_size
               else "the driver's limit")
        raise ValueError(
            f"kipc queue: the pickled object is {n} bytes, more than this "
            f"queue's largest message, {self._ch.max_msg} bytes ({why})")

    def _put(self, obj: Any, block: bool = True,
             timeout: Optional[float] = None) -> None:
        if self._closed:
            self._check_closed()
        if self._gate is None and block and timeout is None:
            # The common case: pickled and put in one call.
            ret = self._ch.put_obj(obj, NO_DEADLINE)
            if ret:
                self._put_failed(ret)
            return
        self._put_data(self._encode(obj), block, timeout)

    def _put_failed(self, ret: int) -> None:
        """put_obj()'s failure: the pickle's length, or -errno."""
        if ret > 0:
            self._too_large(ret)
        raise error(ret, what="Queue.put")

    def _put_data(self, data: bytes, block, timeout) -> None:
        dl = deadline(block, timeout)
        gate = self._gate
        if gate is None:
            ret = self._ch.put(data, dl)
        elif not gate.acquire(self._ch, dl):
            raise Full
        else:
            try:
                ret = self._ch.put(data, dl)
            finally:
                gate.unlock()
        if ret < 0:
            if ret in _TIMEOUT:
                raise Full
            raise error(ret, what="Queue.put")

    def put_nowait(self, obj: Any) -> None:
        return self.put(obj, False)

    def _get(self, block: bool = True,
             timeout: Optional[float] = None) -> Any:
        if self._closed:
            self._check_closed()
        ok, obj = self._ch.get_obj(NO_DEADLINE if block and timeout is None
                                   else deadline(block, timeout))
        if not ok:
            self._get_failed(obj)
        return obj

    def _get_failed(self, ret: int) -> None:
        if ret in _TIMEOUT:
            raise Empty
        raise error(ret, what="Queue.get")

    if _sp is None:
        put, get = _put, _get

    def get_nowait(self) -> Any:
        return self.get(False)

    def _kipc_poll_fd(self) -> int:
        """The descriptor kipc.connection.wait and asyncio poll: readable
        while a message waits, writable while a slot is free."""
        self._check_closed()
        return self._ch.fileno()

    async def get_async(self, timeout: Optional[float] = None) -> Any:
        """Coroutine: get() for asyncio (the running loop waits for the
        channel's descriptor; no thread). queue.Empty after *timeout*
        seconds."""
        self._check_closed()

        def op():
            data = self._ch.get(NOWAIT)
            if not isinstance(data, int):
                return data
            if data in _TIMEOUT:
                return _aio.AGAIN
            raise error(data, what="Queue.get_async")
        data = await _aio.retry(op, self._kipc_poll_fd, False, timeout)
        if data is _aio.TIMEOUT:
            raise Empty
        return _loads(data)

    async def put_async(self, obj: Any,
                        timeout: Optional[float] = None) -> None:
        """Coroutine: put() for asyncio. queue.Full after *timeout*
        seconds."""
        self._check_closed()
        await self._put_data_async(self._encode(obj), timeout)

    async def _put_data_async(self, data: bytes, timeout) -> None:
        gate = self._gate
        if gate is not None:
            return await self._put_gated_async(gate, data, timeout)

        def op():
            ret = self._ch.put(data, NOWAIT)
            if ret == 0:
                return None
            if ret in _TIMEOUT:
                return _aio.AGAIN
            raise error(ret, what="Queue.put_async")
        if await _aio.retry(op, self._kipc_poll_fd, True, timeout) \
                is _aio.TIMEOUT:
            raise Full

    async def _put_gated_async(self, gate: _Gate, data: bytes,
                               timeout) -> None:
        """put_async() through the gate. Nothing is held across an await:
        each attempt takes the lock, puts if there is room and lets go;
        else it awaits the lock's descriptor (busy) or a watch of get_seq
        (no room in the gate or the ring), a slice at a time (_Gate)."""
        loop = _aio.running_loop()
        end = None if timeout is None else loop.time() + timeout
        ch = self._ch
        seen = [0]     # the lock's (-1) or get_seq's value to wait on

        def op():
            ret = gate.try_lock()
            if ret in (-errno.EBUSY, -errno.EAGAIN):
                seen[0] = -1
                return _aio.AGAIN
            check(ret)
            try:
                free, seq = gate.room(ch)
                ret = ch.put(data, NOWAIT) if free > 0 else -errno.EAGAIN
            finally:
                gate.unlock()
            if ret == 0:
                return None
            if ret in _TIMEOUT:
                seen[0] = seq
                return _aio.AGAIN
            raise error(ret, what="Queue.put_async")

        def fd():
            if seen[0] < 0:
                return os.dup(gate.lock._fd())
            return gate.watch(ch, seen[0])
        while True:
            left = None if end is None else end - loop.time()
            part = _SLICE_NS / 1e9 if left is None else min(left, _SLICE_NS / 1e9)
            if await _aio.retry(op, fd, False, part, close=True) \
                    is not _aio.TIMEOUT:
                return
            if end is not None and loop.time() >= end:
                raise Full

    def put_many(self, items: Iterable[Any], block: bool = True,
                 timeout: Optional[float] = None) -> None:
        """Put every item, in order, as one batch where the ring has room
        (one barrier and at most one wake-up per batch). All items are
        pickled first: a pickling error puts nothing. queue.Full when the
        deadline passes; its ``put`` attribute says how many were put."""
        self._check_closed()
        self._put_datas([self._encode(o) for o in items], block, timeout)

    def _put_datas(self, datas: List[bytes], block, timeout) -> None:
        dl = deadline(block, timeout)
        gate = self._gate
        done = 0
        while done < len(datas):
            if gate is None:
                ret = self._ch.put_many(datas[done:], dl)
            else:
                free = gate.acquire(self._ch, dl)
                if not free:
                    ret = -errno.ETIMEDOUT
                else:
                    try:
                        ret = self._ch.put_many(datas[done:done + free], dl)
                    finally:
                        gate.unlock()
            if ret < 0:
                if ret in _TIMEOUT:
                    e = Full(f"{done} of {len(datas)} items put")
                    e.put = done
                    raise e
                raise error(ret, what="Queue.put_many")
            done += ret
            self._put_hook(ret)
        return None

    def _put_hook(self, n: int) -> None:
        pass

    def get_many(self, n: int, block: bool = True,
                 timeout: Optional[float] = None) -> List[Any]:
        """Up to *n* items as one batch: waits (as get) for the first, then
        takes whatever else is queued. queue.Empty when none came."""
        self._check_closed()
        if n < 1:
            raise ValueError("n must be at least 1")
        datas = self._ch.get_many(n, deadline(block, timeout))
        if isinstance(datas, int):
            if datas in _TIMEOUT:
                raise Empty
            raise error(datas, what="Queue.get_many")
        return list(map(_loads, datas))

    def qsize(self) -> int:
        """Items in the queue (exact when no put or get is in progress)."""
        return self._ch.qsize()

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return self.qsize() >= (self._maxsize or self._ch.capacity)

    def close(self) -> None:
        """No more put/get from this process; its mapping of the channel
        is released (the channel lives on in the other processes)."""
        if not self._closed:
            self._closed = True
            self._set_fast()
            if self._gate is not None:
                self._gate.close()
            self._ch.close()

    def join_thread(self) -> None:
        # There is no feeder thread; multiprocessing asserts close() first.
        assert self._closed, "Queue {0!r} not closed".format(self)

    def cancel_join_thread(self) -> None:
        pass  # no feeder thread: nothing is ever left unflushed

    # multiprocessing.Queue's internals used by the standard library (none
    # needed) are absent on purpose.


class JoinableQueue(Queue):
    """multiprocessing.JoinableQueue: task_done() and join().

    The count of unfinished tasks is a kipc Semaphore (raised before an
    item is put, so join() never returns while an item is queued); join()
    sleeps on a kipc Condition that task_done() notifies when the count
    reaches zero."""

    _PARTS = Queue._PARTS + ("#unfinished", "#lock", "#cond")

    def __init__(self, maxsize: int = 0, *, ctx=None, **kw) -> None:
        super().__init__(maxsize, **kw)

    def _create_parts(self, name: Optional[str], track: bool,
                      made: List[Optional[str]]) -> None:
        from .synchronize import Condition, Lock, Semaphore
        if name is None:
            self._unfinished = Semaphore(0)
            self._cond = Condition(Lock())
            return
        kw = dict(create=True, track=track)
        self._unfinished = Semaphore(0, name=name + "#unfinished", **kw)
        made.append(name + "#unfinished")
        lock = Lock(name=name + "#lock", **kw)
        made.append(name + "#lock")
        self._cond = Condition(lock, name=name + "#cond", **kw)
        made.append(name + "#cond")

    def _open_parts(self, name: str) -> None:
        from .synchronize import Condition, Lock, Semaphore
        self._unfinished = Semaphore(name=name + "#unfinished")
        self._cond = Condition(Lock(name=name + "#lock"), name=name + "#cond")

    def __getstate__(self):
        st = super().__getstate__()
        if isinstance(st, str):
            return st
        return st + (self._unfinished, self._cond)

    def __setstate__(self, state) -> None:
        if isinstance(state, str):
            return super().__setstate__(state)
        super().__setstate__(state[:-2])
        self._unfinished, self._cond = state[-2:]

    def _undo(self, n: int) -> None:
        with self._cond:
            for _ in range(n):
                self._unfinished.acquire(False)
            if self._unfinished.get_value() == 0:
                self._cond.notify_all()

    def put(self, obj: Any, block: bool = True,
            timeout: Optional[float] = None) -> None:
        self._check_closed()
        data = self._encode(obj)
        self._unfinished.release()
        try:
            self._put_data(data, block, timeout)
        except BaseException:
            self._undo(1)
            raise

    async def put_async(self, obj: Any,
                        timeout: Optional[float] = None) -> None:
        self._check_closed()
        data = self._encode(obj)
        self._unfinished.release()
        try:
            await self._put_data_async(data, timeout)
        except BaseException:
            self._undo(1)
            raise

    def put_many(self, items: Iterable[Any], block: bool = True,
                 timeout: Optional[float] = None) -> None:
        self._check_closed()
        datas = [self._encode(o) for o in items]  # before the count moves
        if not datas:
            return
        self._unfinished.release(len(datas))
        try:
            self._put_datas(datas, block, timeout)
        except Full as e:
            self._undo(len(datas) - e.put)
            raise
        except BaseException:
            self._undo(len(datas))
            raise

    def task_done(self) -> None:
        with self._cond:
            if not self._unfinished.acquire(False):
                raise ValueError("task_done() called too many times")
            if self._unfinished.get_value() == 0:
                self._cond.notify_all()

    def join(self) -> None:
        with self._cond:
            while self._unfinished.get_value() != 0:
                self._cond.wait()

    async def join_async(self) -> None:
        """Coroutine: join() for asyncio (Condition.wait_async; no
        thread)."""
        await self._cond.acquire_async()
        try:
            while self._unfinished.get_value() != 0:
                await self._cond.wait_async()
        finally:
            self._cond.release()


class _Reader:
    """The ``_reader`` end multiprocessing.Pool and ProcessPoolExecutor use
    on a SimpleQueue: fileno() (the channel polls readable while a message
    waits, so multiprocessing.connection.wait works), poll(), recv()."""

    def __init__(self, q: "SimpleQueue") -> None:
        self._q = q

    def fileno(self) -> int:
        return self._q._ch.fileno()

    def poll(self, timeout: Optional[float] = 0.0) -> bool:
        import select
        p = select.poll()
        p.register(self.fileno(), select.POLLIN)
        ms = None if timeout is None else max(0, int(timeout * 1000))
        return bool(p.poll(ms))

    def recv(self) -> Any:
        return self._q.get()

    def close(self) -> None:
        pass  # the channel is shared by both ends: nothing to close


class _Writer:
    def __init__(self, q: "SimpleQueue") -> None:
        self._q = q

    def send(self, obj: Any) -> None:
        self._q.put(obj)

    def close(self) -> None:
        pass


class SimpleQueue(_QueueBase):
    """multiprocessing.SimpleQueue on a kipc channel: put(obj), get(),
    empty(), close(); plus get_many/put_many and, for multiprocessing.Pool
    and concurrent.futures.ProcessPoolExecutor, ``_reader``, ``_writer``
    and ``_rlock``."""

    def __init__(self, *, ctx=None, capacity: int = DEFAULT_CAPACITY,
                 slot_size: int = DEFAULT_SLOT_SIZE,
                 name: Optional[str] = None, create: bool = False,
                 track: bool = True) -> None:
        self._q = Queue(capacity=capacity, slot_size=slot_size, name=name,
                        create=create, track=track)
        self._init()

    def _init(self) -> None:
        self._ch = self._q._ch
        self._reader = _Reader(self)
        self._writer = _Writer(self)
        # Pool._help_stuff_finish acquires it (and never releases) to keep
        # workers from reading; kipc's get needs no lock, so a process-local
        # one does.
        self._rlock = threading.Lock()
        self._set_fast()

    def _set_fast(self) -> None:
        if _sp is not None:
            q = self._q
            self._sp_fast(None if q._closed or q._gate is not None
                          else q._ch, False)

    def __getstate__(self):
        if self._q._name is None:
            _mpctx.assert_spawning(self)
        return self._q

    def __setstate__(self, q) -> None:
        self._q = q
        self._init()

    @property
    def name(self) -> Optional[str]:
        return self._q.name

    def unlink(self) -> None:
        self._q.unlink()

    # put and get: Queue's common case without its frame.
    def _put(self, obj: Any) -> None:
        q = self._q
        if q._closed or q._gate is not None:
            return q._put(obj)
        ret = self._ch.put_obj(obj, NO_DEADLINE)
        if ret:
            q._put_failed(ret)

    def _get(self) -> Any:
        q = self._q
        if q._closed or q._gate is not None:
            return q._get()
        ok, obj = self._ch.get_obj(NO_DEADLINE)
        if not ok:
            q._get_failed(obj)
        return obj

    def _put_failed(self, ret: int) -> None:
        self._q._put_failed(ret)

    def _get_failed(self, ret: int) -> None:
        self._q._get_failed(ret)

    if _sp is None:
        put, get = _put, _get

    def put_many(self, items: Iterable[Any]) -> None:
        self._q.put_many(items)

    def _kipc_poll_fd(self) -> int:
        return self._q._kipc_poll_fd()

    async def get_async(self, timeout: Optional[float] = None) -> Any:
        """Coroutine: get() for asyncio (queue.Empty after *timeout*)."""
        return await self._q.get_async(timeout)

    async def put_async(self, obj: Any,
                        timeout: Optional[float] = None) -> None:
        """Coroutine: put() for asyncio (queue.Full after *timeout*)."""
        await self._q.put_async(obj, timeout)

    def get_many(self, n: int) -> List[Any]:
        return self._q.get_many(n)

    def empty(self) -> bool:
        return self._q.empty()

    def close(self) -> None:
        self._q.close()
        self._set_fast()

    def __repr__(self) -> str:
        return f"<kipc.SimpleQueue capacity={self._ch.capacity}>"
