# SPDX-License-Identifier: MIT
"""kipc: kernel-backed drop-ins for multiprocessing's primitives.

Available now: shared memory -- kipc.shared_memory (SharedMemory,
ShareableList), kipc.sharedctypes (RawValue, RawArray, Value, Array); queues
on kipc channels -- kipc.queues (Queue, SimpleQueue, JoinableQueue);
synchronisation objects -- kipc.synchronize (Lock, RLock, Semaphore,
BoundedSemaphore, Event, Condition, Barrier); pipes -- kipc.connection
(Pipe, Connection, and wait() over kipc objects and descriptors); and
get_context(), a multiprocessing context using them.

Queues and synchronisation objects may be named (name=..., create=True to
make one, create=False to open it; unlink() or kipc.unlink(name)); named
ones pickle at any time, anonymous ones only while spawning a child, as in
multiprocessing. Blocking calls have asyncio forms (get_async, put_async,
acquire_async, wait_async, recv_async, send_async) that wait on the
object's descriptor in the running loop.
Importing kipc needs libipc (see kipc._lib for the search order); using an
object needs the kipc module loaded (else kipc.DeviceError).
"""

from __future__ import annotations

from . import _lib
from ._errors import DeviceError
from .context import get_context
from .shared_memory import ShareableList, SharedMemory
from .queues import JoinableQueue, Queue, SimpleQueue
from .sharedctypes import Array, RawArray, RawValue, Value
from .synchronize import (Barrier, BoundedSemaphore, Condition, Event, Lock,
                          OwnerDeadWarning, RLock, Semaphore, unlink)
from . import connection
from .connection import Pipe
from ._stats import stats

__version__ = "0.1.0"
__all__ = ["DeviceError", "get_context", "SharedMemory", "ShareableList",
           "RawValue", "RawArray", "Value", "Array", "Queue", "SimpleQueue",
           "JoinableQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
           "Event", "Condition", "Barrier", "OwnerDeadWarning", "unlink",
           "connection", "Pipe", "stats", "features", "library_path"]


def features() -> frozenset:
    """Names of the features the loaded driver implements ("shm", ...).
    Raises DeviceError when the kipc module is not loaded."""
    bits = _lib.features()
    return frozenset(n for b, n in _lib.FEATURE_NAMES.items() if bits & b)


def library_path() -> str:
    """The libipc that was loaded."""
    return _lib.path
