# SPDX-License-Identifier: MIT
"""multiprocessing contexts whose factories are kipc's where kipc has them.

``kipc.get_context(method=None)`` returns a subclass of multiprocessing's
context for that start method ('fork', 'spawn', 'forkserver'; None: the
start method multiprocessing would use). Process, start-method handling and
every factory kipc does not implement yet are multiprocessing's own.

Factories from kipc: Value, Array, RawValue, RawArray (kipc shared
memory); Queue, SimpleQueue, JoinableQueue (kipc channels); Pipe (kipc
pipes); Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event,
Barrier (kipc synchronisation objects). multiprocessing's: Manager, and
Pool (which runs on the context's SimpleQueue and Lock, hence on kipc's).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import context as _mpctx
from typing import Dict, Optional

__all__ = ["get_context", "KIPC_FACTORIES"]

KIPC_FACTORIES = ("Value", "Array", "RawValue", "RawArray", "Queue",
                  "SimpleQueue", "JoinableQueue", "Lock", "RLock",
                  "Semaphore", "BoundedSemaphore", "Condition", "Event",
                  "Barrier", "Pipe")


class _KipcFactories:
    """Mixed in before a multiprocessing context class."""

    def RawValue(self, typecode_or_type, *args):
        from .sharedctypes import RawValue
        return RawValue(typecode_or_type, *args)

    def RawArray(self, typecode_or_type, size_or_initializer):
        from .sharedctypes import RawArray
        return RawArray(typecode_or_type, size_or_initializer)

    def Value(self, typecode_or_type, *args, lock=True):
        from .sharedctypes import Value
        return Value(typecode_or_type, *args, lock=lock, ctx=self)

    def Array(self, typecode_or_type, size_or_initializer, *, lock=True):
        from .sharedctypes import Array
        return Array(typecode_or_type, size_or_initializer, lock=lock, ctx=self)

    def Queue(self, maxsize=0):
        from .queues import Queue
        return Queue(maxsize, ctx=self)

    def JoinableQueue(self, maxsize=0):
        from .queues import JoinableQueue
        return JoinableQueue(maxsize, ctx=self)

    def SimpleQueue(self):
        from .queues import SimpleQueue
        return SimpleQueue(ctx=self)

    def Pipe(self, duplex=True):
        from .connection import Pipe
        return Pipe(duplex)

    def Lock(self):
        from .synchronize import Lock
        return Lock(ctx=self)

    def RLock(self):
        from .synchronize import RLock
        return RLock(ctx=self)

    def Condition(self, lock=None):
        from .synchronize import Condition
        return Condition(lock, ctx=self)

    def Semaphore(self, value=1):
        from .synchronize import Semaphore
        return Semaphore(value, ctx=self)

    def BoundedSemaphore(self, value=1):
        from .synchronize import BoundedSemaphore
        return BoundedSemaphore(value, ctx=self)

    def Event(self):
        from .synchronize import Event
        return Event(ctx=self)

    def Barrier(self, parties, action=None, timeout=None):
        from .synchronize import Barrier
        return Barrier(parties, action, timeout, ctx=self)

    def get_context(self, method=None):
        if method is None:
            return self
        return get_context(method)

    def __repr__(self):
        return f"<kipc context {self._name!r}>"


class ForkContext(_KipcFactories, _mpctx.ForkContext):
    pass


class SpawnContext(_KipcFactories, _mpctx.SpawnContext):
    pass


class ForkServerContext(_KipcFactories, _mpctx.ForkServerContext):
    pass


_contexts: Dict[str, _mpctx.BaseContext] = {
    "fork": ForkContext(),
    "spawn": SpawnContext(),
    "forkserver": ForkServerContext(),
}


def get_context(method: Optional[str] = None) -> _mpctx.BaseContext:
    """The kipc context for *method*, or for multiprocessing's current
    start method when *method* is None."""
    if method is None:
        method = multiprocessing.get_start_method(allow_none=True) \
            or multiprocessing.get_context().get_start_method()
    try:
        return _contexts[method]
    except KeyError:
        raise ValueError("cannot find context for %r" % method) from None
