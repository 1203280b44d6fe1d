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

import importlib

from . import _lib
from ._errors import DeviceError

# The project has one version (tools/version); the package and the libipc
# it loads always come together (the build tree, a wheel's bundled copy or
# the Debian packages), so the library's version is the package's.
__version__ = f"{_lib.kipc_lib_major()}.{_lib.kipc_lib_minor()}.0"

# Each public name and the module that defines it, imported on first use
# (PEP 562) as multiprocessing does: a process that imports kipc -- every
# spawned child does -- pays only for the parts it touches.
_PUBLIC = {
    "get_context": "context",
    "SharedMemory": "shared_memory", "ShareableList": "shared_memory",
    "Queue": "queues", "SimpleQueue": "queues", "JoinableQueue": "queues",
    "RawValue": "sharedctypes", "RawArray": "sharedctypes",
    "Value": "sharedctypes", "Array": "sharedctypes",
    "Lock": "synchronize", "RLock": "synchronize", "Semaphore": "synchronize",
    "BoundedSemaphore": "synchronize", "Event": "synchronize",
    "Condition": "synchronize", "Barrier": "synchronize",
    "OwnerDeadWarning": "synchronize", "unlink": "synchronize",
    "Pipe": "connection", "stats": "_stats",
}
_SUBMODULES = frozenset(("connection", "context", "heap", "queues",
                         "shared_memory", "sharedctypes", "synchronize"))

__all__ = ["DeviceError", "get_context", "SharedMemory", "ShareableList",
           "RawValue", "RawArray", "Value", "Array", "Queue", "SimpleQueue",
           "JoinableQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
           "Event", "Condition", "Barrier", "OwnerDeadWarning", "unlink",
           "connection", "Pipe", "stats", "features", "library_path"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module("." + name, __name__)
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


def features() -> frozenset:
    """Names of the features the loaded driver implements ("shm", ...).
    Raises DeviceError when the kipc module is not loaded."""
    bits = _lib.features()
    return frozenset(n for b, n in _lib.FEATURE_NAMES.items() if bits & b)


def library_path() -> str:
    """The libipc that was loaded."""
    return _lib.path
