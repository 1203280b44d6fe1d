# SPDX-License-Identifier: MIT
"""multiprocessing.sharedctypes on kipc shared memory.

RawValue, RawArray, Value, Array, copy and synchronized with the standard
library's signatures and behaviour; the objects live in the kipc heap
(kipc.heap) instead of files in /dev/shm. The synchronized wrappers are
multiprocessing's own classes (Synchronized, SynchronizedArray,
SynchronizedString), so isinstance checks and get_lock()/get_obj() work
unchanged. As in multiprocessing, these objects are passed to children by
inheritance: as Process arguments (any start method) or by fork.
"""

from __future__ import annotations

import ctypes
from multiprocessing import sharedctypes as _mpsc
from typing import Any

from . import heap

__all__ = ["RawValue", "RawArray", "Value", "Array", "copy", "synchronized"]

typecode_to_type = _mpsc.typecode_to_type
synchronized = _mpsc.synchronized
Synchronized = _mpsc.Synchronized
SynchronizedArray = _mpsc.SynchronizedArray
SynchronizedString = _mpsc.SynchronizedString


def _new_value(type_):
    wrapper = heap.BufferWrapper(ctypes.sizeof(type_))
    # multiprocessing's rebuild_ctype registers its pickling reducer for the
    # type; its pickle names (type, wrapper, length) and our wrapper pickles
    # as a kipc arena's descriptor.
    return _mpsc.rebuild_ctype(type_, wrapper, None)


def RawValue(typecode_or_type, *args):
    """A ctypes object allocated from shared memory."""
    type_ = typecode_to_type.get(typecode_or_type, typecode_or_type)
    obj = _new_value(type_)
    ctypes.memset(ctypes.addressof(obj), 0, ctypes.sizeof(obj))
    obj.__init__(*args)
    return obj


def RawArray(typecode_or_type, size_or_initializer):
    """A ctypes array allocated from shared memory."""
    type_ = typecode_to_type.get(typecode_or_type, typecode_or_type)
    if isinstance(size_or_initializer, int):
        type_ = type_ * size_or_initializer
        obj = _new_value(type_)
        ctypes.memset(ctypes.addressof(obj), 0, ctypes.sizeof(obj))
        return obj
    type_ = type_ * len(size_or_initializer)
    result = _new_value(type_)
    result.__init__(*size_or_initializer)
    return result


def _default_lock(ctx):
    # The one place that picks the lock of Value/Array(lock=True): a kipc
    # RLock (crash-safe: a holder's death is recovered), whatever the ctx.
    from .synchronize import RLock
    return RLock(ctx=ctx)


def _lock_for(lock, ctx):
    if lock is True or lock is None:
        lock = _default_lock(ctx)
    if not hasattr(lock, "acquire"):
        raise AttributeError("%r has no method 'acquire'" % lock)
    return lock


def Value(typecode_or_type, *args, lock=True, ctx=None) -> Any:
    """A synchronized shared object (a raw one with lock=False)."""
    obj = RawValue(typecode_or_type, *args)
    if lock is False:
        return obj
    return synchronized(obj, _lock_for(lock, ctx), ctx=ctx)


def Array(typecode_or_type, size_or_initializer, *, lock=True, ctx=None) -> Any:
    """A synchronized shared array (a raw one with lock=False)."""
    obj = RawArray(typecode_or_type, size_or_initializer)
    if lock is False:
        return obj
    return synchronized(obj, _lock_for(lock, ctx), ctx=ctx)


def copy(obj):
    """A new shared object holding a copy of *obj*'s contents."""
    new_obj = _new_value(type(obj))
    ctypes.pointer(new_obj)[0] = obj
    return new_obj
