# SPDX-License-Identifier: MIT
"""multiprocessing.connection on kipc pipes: Pipe, Connection, and
wait() over kipc objects and descriptors.

``Pipe(duplex=True)`` returns two Connections on the ends of one kipc
pipe (an anonymous channel with two ends, Documentation/channels.rst):
duplex, each end sends and receives; one-way, the first only receives and
the second only sends. Each message is one ring entry, so send() costs no
system call while the peer is not asleep and there is room. When the peer
end is gone -- closed, or its process exited or was killed -- recv() drains
what was sent before and then raises EOFError, and send() raises
BrokenPipeError.

A Connection pickles at any time, as multiprocessing's does: its
descriptor travels through multiprocessing.reduction.DupFd (the spawning
Popen while a child starts, else the resource sharer).

``wait(object_list, timeout=None)`` is multiprocessing.connection.wait
for any mix of: descriptors (ints), objects with fileno() (sockets,
multiprocessing Connections, ...), kipc Queue, SimpleQueue and
JoinableQueue (ready: a message waits), SimpleQueue._reader, kipc
Semaphore and BoundedSemaphore (ready: the count is positive), Lock and
RLock (ready: free), Event (ready: set). Condition and Barrier descriptors
do not poll: TypeError.

Ready means ready when poll(2) looked: another process may take the
message or the lock before this one does, so follow it with a
non-blocking call (get_nowait(), acquire(False)).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import time
from multiprocessing import BufferTooShort, reduction
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import _aio, _lib
from ._errors import check, error
from ._util import NO_DEADLINE, NOWAIT
from .queues import Channel, _dumps

__all__ = ["wait", "Pipe", "Connection", "BufferTooShort"]

#: Each ring's geometry: PIPE_CAPACITY slots of PIPE_SLOT_SIZE bytes.
#: Larger messages (up to the driver's max_msg) travel in kernel buffers.
PIPE_CAPACITY = 128
PIPE_SLOT_SIZE = 4096

# What counts as ready: readable, or an error/hang-up the next call reports.
_READY = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | \
    select.POLLNVAL


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    fd = getattr(obj, "_kipc_poll_fd", None)
    if fd is not None:
        return fd()
    try:
        return obj.fileno()
    except AttributeError:
        raise TypeError(f"cannot wait for {type(obj).__name__!r}: not a "
                        "descriptor, a kipc object or an object with "
                        "fileno()") from None


def wait(object_list: Iterable[Any],
         timeout: Optional[float] = None) -> List[Any]:
    """The objects of *object_list* that are ready, in the list's order;
    waits until at least one is or *timeout* seconds passed (None: no
    limit), then returns an empty list."""
    objects = list(object_list)
    by_fd: Dict[int, List[int]] = {}
    for i, obj in enumerate(objects):
        by_fd.setdefault(_fileno(obj), []).append(i)
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        ms = None if end is None else \
            max(0, int((end - time.monotonic()) * 1000 + 0.999))
        # poll(2) is retried on EINTR (PEP 475) with the time left.
        events = poller.poll(ms)
        ready = sorted(i for fd, ev in events if ev & _READY
                       for i in by_fd[fd])
        if ready or (end is not None and time.monotonic() >= end):
            return [objects[i] for i in ready]


# --- Pipe and Connection -------------------------------------------------

def Pipe(duplex: bool = True, *, capacity: int = PIPE_CAPACITY,
         slot_size: int = PIPE_SLOT_SIZE) -> Tuple["Connection", "Connection"]:
    """A pair of Connections, as multiprocessing.Pipe(duplex). *capacity*
    (a power of two) and *slot_size* (a multiple of 8) size each ring."""
    _lib.require(_lib.KIPC_FEATURE_CHANNEL)
    flags = _lib.KIPC_PIPE_DUPLEX if duplex else 0
    fds = (ctypes.c_int * 2)()
    # The largest messages the driver takes; max_msg 0 (the slot size) if
    # it has no large messages.
    p = _lib.kipc_channel_params(capacity=capacity, slot_size=slot_size,
                                 max_msg=_lib.KIPC_CHANNEL_MAX_MSG)
    ret = _lib.kipc_pipe_create(ctypes.byref(p), flags, ctypes.byref(fds))
    if ret == -errno.EINVAL:
        p.max_msg = 0
        ret = _lib.kipc_pipe_create(ctypes.byref(p), flags, ctypes.byref(fds))
    check(ret, einval=ValueError, what="kipc Pipe")
    try:
        a = Connection(fds[0], readable=True, writable=duplex)
    except BaseException:
        os.close(fds[1])
        raise
    b = Connection(fds[1], readable=duplex, writable=True)  # a closes by GC
    return a, b


class Connection:
    """One end of a kipc pipe, with multiprocessing.connection.Connection's
    API. Connection(fd, readable=True, writable=True) takes ownership of
    *fd*, a pipe end's descriptor (closed on error too)."""

    _ch = None

    def __init__(self, fd: int, readable: bool = True,
                 writable: bool = True) -> None:
        try:
            if not readable and not writable:
                raise ValueError("at least one of `readable` and `writable` "
                                 "must be True")
            info = _lib.object_info(fd)
            if info.type != _lib.KIPC_TYPE_PIPE:
                raise ValueError(f"descriptor {fd} is not a kipc pipe end")
        except BaseException:
            os.close(fd)
            raise
        # Channel closes fd itself if it cannot attach.
        self._ch = Channel(int(info.params.channel.capacity), 0, fd)
        self._readable = readable
        self._writable = writable

    # -- state -------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True if the connection is closed."""
        return self._ch is None

    @property
    def readable(self) -> bool:
        """True if the connection is readable."""
        return self._readable

    @property
    def writable(self) -> bool:
        """True if the connection is writable."""
        return self._writable

    def _check_closed(self) -> None:
        if self._ch is None:
            raise OSError("handle is closed")

    def _check_readable(self) -> None:
        if not self._readable:
            raise OSError("connection is write-only")

    def _check_writable(self) -> None:
        if not self._writable:
            raise OSError("connection is read-only")

    def fileno(self) -> int:
        """The descriptor of this end."""
        self._check_closed()
        return self._ch.fileno()

    _kipc_poll_fd = fileno

    def close(self) -> None:
        """Close this end (this process's handle). The peer sees the end
        gone once every process has closed it."""
        ch, self._ch = self._ch, None
        if ch is not None:
            ch.close()

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._ch is None:
            return "<kipc.connection.Connection closed>"
        return (f"<kipc.connection.Connection fd={self.fileno()} "
                f"readable={self._readable} writable={self._writable}>")

    # -- pickling ------------------------------------------------------------
    def __reduce__(self):
        self._check_closed()
        return _rebuild, (reduction.DupFd(self.fileno()), self._readable,
                          self._writable)

    # -- sending -------------------------------------------------------------
    def _put(self, data, dl: int) -> int:
        ret = self._ch.put(data, dl)
        if ret < 0 and ret != -errno.EAGAIN:
            raise error(ret, what="send")   # EPIPE: BrokenPipeError
        return ret

    def _check_size(self, n: int) -> None:
        if n > self._ch.max_msg:
            raise ValueError(f"kipc Pipe: a {n}-byte message is larger than "
                             f"the pipe's largest, {self._ch.max_msg} bytes")

    def send(self, obj: Any) -> None:
        """Send a picklable object. BrokenPipeError if the peer end is
        gone."""
        ch = self._ch
        if ch is None or not self._writable:   # the checks, off the fast path
            self._check_closed()
            self._check_writable()
        ret = ch.put_obj(obj, NO_DEADLINE)
        if ret > 0:
            self._check_size(ret)
        if ret < 0:
            raise error(ret, what="send")   # EPIPE: BrokenPipeError

    def send_bytes(self, buf, offset: int = 0,
                   size: Optional[int] = None) -> None:
        """Send the bytes of a bytes-like object (from *offset*, *size*
        bytes) as one message."""
        self._check_closed()
        self._check_writable()
        self._put(self._slice(buf, offset, size), NO_DEADLINE)

    def _slice(self, buf, offset: int, size: Optional[int]) -> bytes:
        if type(buf) is bytes and offset == 0 and size is None:
            self._check_size(len(buf))
            return buf
        with memoryview(buf) as m:
            if m.itemsize > 1:
                m = m.cast("B")
            n = len(m)
            if offset < 0:
                raise ValueError("offset is negative")
            if n < offset:
                raise ValueError("buffer length < offset")
            if size is None:
                size = n - offset
            elif size < 0:
                raise ValueError("size is negative")
            elif offset + size > n:
                raise ValueError("buffer length < offset + size")
            self._check_size(size)
            return bytes(m[offset:offset + size])

    # -- receiving -----------------------------------------------------------
    def _get(self, dl: int):
        """The next message as bytes; None when *dl* passed first."""
        data = self._ch.get(dl)
        if isinstance(data, int):
            return self._get_failed(data)
        return data

    def _get_failed(self, ret: int):
        if ret in (-errno.EAGAIN, -errno.ETIMEDOUT):
            return None
        if ret == -errno.ENODATA:
            raise EOFError
        raise error(ret, what="recv")

    def recv(self) -> Any:
        """Receive an object sent with send(). EOFError once the peer end
        is gone and nothing is left."""
        ch = self._ch
        if ch is None or not self._readable:
            self._check_closed()
            self._check_readable()
        ok, obj = ch.get_obj(NO_DEADLINE)
        if not ok:
            self._get_failed(obj)
        return obj

    def recv_bytes(self, maxlength: Optional[int] = None) -> bytes:
        """Receive a message sent with send_bytes(). A message longer than
        *maxlength*: OSError and the connection is closed, as in
        multiprocessing."""
        self._check_closed()
        self._check_readable()
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        data = self._get(NO_DEADLINE)
        if maxlength is not None and len(data) > maxlength:
            self.close()
            raise OSError("bad message length")
        return data

    def recv_bytes_into(self, buf, offset: int = 0) -> int:
        """Receive a message into the writable buffer *buf* at byte
        *offset*; returns its length. BufferTooShort (holding the message)
        when it does not fit."""
        self._check_closed()
        self._check_readable()
        with memoryview(buf) as m:
            itemsize = m.itemsize
            bytesize = itemsize * len(m)
            if offset < 0:
                raise ValueError("negative offset")
            if offset > bytesize:
                raise ValueError("offset too large")
            if m.readonly:
                raise TypeError("recv_bytes_into needs a writable buffer")
            data = self._get(NO_DEADLINE)
            size = len(data)
            if bytesize < offset + size:
                raise BufferTooShort(data)
            m.cast("B")[offset:offset + size] = data
            return size

    def poll(self, timeout: Optional[float] = 0.0) -> bool:
        """Whether there is anything to read (a message, or the end of the
        stream), waiting up to *timeout* seconds (None: no limit)."""
        self._check_closed()
        self._check_readable()
        return bool(wait([self], timeout))

    # -- asyncio -------------------------------------------------------------
    async def recv_async(self, timeout: Optional[float] = None) -> Any:
        """Coroutine: recv() for asyncio (the running loop waits for the
        descriptor; no thread). TimeoutError after *timeout* seconds."""
        self._check_closed()
        self._check_readable()

        def op():
            ok, obj = self._ch.get_obj(NOWAIT)
            if ok:
                return (obj,)
            self._get_failed(obj)   # raises unless EAGAIN
            return _aio.AGAIN
        ret = await _aio.retry(op, self.fileno, False, timeout)
        if ret is _aio.TIMEOUT:
            raise TimeoutError("recv_async timed out")
        return ret[0]

    async def send_async(self, obj: Any,
                         timeout: Optional[float] = None) -> None:
        """Coroutine: send() for asyncio; waits for room without blocking
        the loop. TimeoutError after *timeout* seconds."""
        self._check_closed()
        self._check_writable()
        data = _dumps(obj)
        self._check_size(len(data))

        def op():
            return _aio.AGAIN if self._put(data, NOWAIT) < 0 else None
        if await _aio.retry(op, self.fileno, True, timeout) is _aio.TIMEOUT:
            raise TimeoutError("send_async timed out")


def _rebuild(dupfd, readable: bool, writable: bool) -> Connection:
    return Connection(dupfd.detach(), readable, writable)
