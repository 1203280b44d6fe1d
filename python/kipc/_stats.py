# SPDX-License-Identifier: MIT
"""kipc.stats(obj): the statistics of a kipc object (KIPC_OBJ_IOC_STAT).

The dict has the keys of ``kipc stat --json`` (man/man1/kipc.1): the common
fields of struct kipc_stat, "rings" (a list of dicts) for channels and
pipes, "sync" (a dict) for the synchronisation objects. The extension's
object_stat() and the ctypes path both fill the same struct kipc_stat,
decoded here once.
"""

from __future__ import annotations

import ctypes
from typing import Any, Dict

from . import _lib
from ._errors import check

_u32, _u64 = ctypes.c_uint32, ctypes.c_uint64
KIPC_STAT_VERSION = 1
_TYPES = {1: "shm", 2: "channel", 3: "semaphore", 4: "lock", 5: "rlock",
          6: "event", 7: "barrier", 8: "condition", 9: "pipe"}


class kipc_ring_stat(ctypes.Structure):
    _fields_ = [(n, _u64) for n in ("queued", "queued_bytes", "puts", "gets",
                                    "dropped", "discarded", "recoveries",
                                    "buffers", "buffer_bytes")] + \
               [(n, _u32) for n in ("get_waiters", "put_waiters", "closed",
                                    "pad")]


class kipc_sync_stat(ctypes.Structure):
    _fields_ = [("value", _u32), ("holder", _u32), ("waiters", _u32),
                ("flags", _u32), ("owner_died", _u64), ("recoveries", _u64),
                ("reserved", _u64 * 4)]


class _stat_u(ctypes.Union):
    _fields_ = [("ring", kipc_ring_stat * 2), ("sync", kipc_sync_stat),
                ("raw", _u64 * 32)]


class kipc_stat(ctypes.Structure):
    _fields_ = [("id", _u64), ("type", _u32), ("flags", _u32), ("uid", _u32),
                ("gid", _u32), ("mode", _u32), ("name_len", _u32),
                ("ctime_ns", _u64), ("size", _u64), ("kmem", _u64),
                ("mappings", _u32), ("sleepers", _u32),
                ("uring_pending", _u32), ("pad", _u32), ("waits", _u64),
                ("wakes", _u64), ("reserved", _u64 * 4),
                ("params", _lib.kipc_params), ("u", _stat_u),
                ("name", ctypes.c_char * (_lib.KIPC_NAME_MAX + 1))]


assert ctypes.sizeof(kipc_stat) == 696

COMMON_KEYS = ("id", "type", "flags", "uid", "gid", "mode", "name",
               "ctime_ns", "size", "kmem", "mappings", "sleepers",
               "uring_pending", "waits", "wakes")
RING_KEYS = ("queued", "queued_bytes", "puts", "gets", "dropped", "discarded",
             "recoveries", "buffers", "buffer_bytes", "get_waiters",
             "put_waiters", "closed")
SYNC_KEYS = ("value", "holder", "waiters", "flags", "owner_died",
             "recoveries")

kipc_object_stat = _lib._declare("kipc_object_stat", ctypes.c_int,
                                 ctypes.c_int, ctypes.POINTER(kipc_stat))


def _fd(obj: Any) -> int:
    from .connection import Connection
    from .queues import Channel, Queue, SimpleQueue
    from .shared_memory import SharedMemory
    from .synchronize import _SyncObject
    if isinstance(obj, _SyncObject):
        return obj._fd()
    if isinstance(obj, (Queue, SimpleQueue, Connection)):
        return obj._kipc_poll_fd()   # raises as the object does when closed
    if isinstance(obj, Channel):
        return obj.fileno()
    if isinstance(obj, SharedMemory):
        if obj._fd < 0:
            raise ValueError("the SharedMemory is closed")
        return obj._fd
    raise TypeError(f"not a kipc object: {type(obj).__name__}")


def decode(st: kipc_stat) -> Dict[str, Any]:
    d: Dict[str, Any] = {k: getattr(st, k) for k in COMMON_KEYS}
    d["type"] = _TYPES.get(st.type, "unknown")
    d["name"] = st.name.decode("utf-8", "surrogateescape")
    if st.type == _lib.KIPC_TYPE_CHANNEL or st.type == _lib.KIPC_TYPE_PIPE:
        n = 2 if (st.type == _lib.KIPC_TYPE_PIPE and
                  st.params.channel.flags & _lib.KIPC_PIPE_DUPLEX) else 1
        d["rings"] = [{k: getattr(st.u.ring[i], k) for k in RING_KEYS}
                      for i in range(n)]
    elif _lib.KIPC_TYPE_SEMAPHORE <= st.type <= _lib.KIPC_TYPE_CONDITION:
        d["sync"] = {k: getattr(st.u.sync, k) for k in SYNC_KEYS}
    return d


def stats(obj: Any) -> Dict[str, Any]:
    """The statistics of kipc object *obj* (Queue, SimpleQueue, a Pipe
    connection, Lock, RLock, Semaphore, Event, Barrier, Condition,
    SharedMemory, Channel) as a dict; OSError from the driver, TypeError for
    anything else."""
    fd = _fd(obj)
    sp = _lib.speedups
    if sp is not None:
        r = sp.object_stat(fd)
        if isinstance(r, int):
            check(r)
        st = kipc_stat.from_buffer_copy(r)
    else:
        st = kipc_stat()
        check(kipc_object_stat(fd, ctypes.byref(st)))
    return decode(st)
