# SPDX-License-Identifier: MIT
"""multiprocessing contexts whose factories are kipc's where kipc has them.

``kipc.get_context(method=None)`` returns a subclass of multiprocessing's
context for that start method ('fork', 'spawn', 'forkserver'; None: the
start method multiprocessing would use). Process, start-method handling and
every factory kipc does not implement yet are multiprocessing's own.

Factories from kipc today: Value, Array, RawValue, RawArray.
multiprocessing's for now: Queue, SimpleQueue, JoinableQueue, Pipe, Lock,
RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier, Manager,
Pool. Extension point: when kipc's channels and synchronisation objects
exist, each becomes a method of _KipcFactories below (and sharedctypes'
_default_lock switches to kipc's RLock).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import context as _mpctx
from typing import Dict, Optional

__all__ = ["get_context", "KIPC_FACTORIES"]

KIPC_FACTORIES = ("Value", "Array", "RawValue", "RawArray")


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
