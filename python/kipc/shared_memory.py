# SPDX-License-Identifier: MIT
"""multiprocessing.shared_memory on kipc shared-memory objects.

Same API and errors as the standard library, but the memory is a kipc
object: nothing is ever created in /dev/shm, and no resource_tracker process
or "leaked shared_memory objects" warning is involved. A block created by
this process (``create=True``) and still linked when the process exits is
unlinked then, silently; pass ``track=False`` (as in Python 3.13) to keep
the name until someone calls unlink().
"""

from __future__ import annotations

import errno
import mmap
import os
import secrets
import struct
import threading
from functools import partial
from multiprocessing import shared_memory as _std
from multiprocessing import util as _util
from typing import Any, Dict, Iterable, Optional

from . import _lib
from ._errors import check

__all__ = ["SharedMemory", "ShareableList"]

_NAME_PREFIX = "psm_"
_MODE = 0o600

# Names this process created and has not unlinked: name -> Finalize that
# unlinks it when the process exits (only in the creating process: the
# Finalize remembers its pid).
_tracked: Dict[str, Any] = {}
_tracked_lock = threading.Lock()


def _exit_unlink(bname: bytes) -> None:
    _lib.kipc_object_unlink(bname)  # -ENOENT: someone else did; fine


def _track(name: str, bname: bytes) -> None:
    # exitpriority -1: after multiprocessing has joined this process's
    # children at exit (util._exit_function runs priority >= 0 first).
    fin = _util.Finalize(None, _exit_unlink, args=(bname,), exitpriority=-1)
    with _tracked_lock:
        _tracked[name] = fin


def _untrack(name: str) -> None:
    with _tracked_lock:
        fin = _tracked.pop(name, None)
    if fin is not None:
        fin.cancel()


class SharedMemory:
    """Creates a new shared memory block or attaches to an existing one.

    ``SharedMemory(name=None, create=False, size=0, *, track=True)`` as
    :class:`multiprocessing.shared_memory.SharedMemory`.
    """

    _name: Optional[str] = None
    _fd = -1
    _mmap: Optional[mmap.mmap] = None
    _buf: Optional[memoryview] = None
    _size = 0

    def __init__(self, name: Optional[str] = None, create: bool = False,
                 size: int = 0, *, track: bool = True) -> None:
        if not size >= 0:
            raise ValueError("'size' must be a positive integer")
        if create and size == 0:
            raise ValueError("'size' must be a positive number different from zero")
        if name is None and not create:
            raise ValueError("'name' can only be None if create=True")
        if size > _lib.KIPC_SHM_MAX_SIZE and create:
            raise ValueError(f"'size' must be at most {_lib.KIPC_SHM_MAX_SIZE}")
        bname = None if name is None else _lib.encode_name(name)
        _lib.require(_lib.KIPC_FEATURE_SHM)

        if not create:
            assert bname is not None
            fd = check(_lib.kipc_shm_open(bname), name)
        elif bname is None:
            while True:
                name = _NAME_PREFIX + secrets.token_hex(4)
                bname = name.encode()
                fd = _lib.kipc_shm_create(bname, size, _lib.KIPC_CREATE_EXCL, _MODE)
                if fd != -errno.EEXIST:  # draw another name
                    break
            check(fd, name, ValueError)
        else:
            fd = check(_lib.kipc_shm_create(bname, size, _lib.KIPC_CREATE_EXCL,
                                            _MODE), name, ValueError)
        self._fd = fd
        self._name = name
        try:
            info = _lib.object_info(fd)
            # The size asked for at creation (the object is whole pages).
            size = int(info.params.shm.size) or int(info.size)
            self._mmap = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            self._fd = -1
            if create:
                _lib.kipc_object_unlink(bname)
            raise
        self._size = size
        self._buf = memoryview(self._mmap)
        if create and track:
            _track(name, bname)

    def __del__(self) -> None:
        try:
            self.close()
        except OSError:
            pass

    def __reduce__(self):
        return (self.__class__, (self.name, False, self.size))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.name!r}, size={self.size})"

    @property
    def buf(self) -> Optional[memoryview]:
        "A memoryview of contents of the shared memory block."
        return self._buf

    @property
    def name(self) -> Optional[str]:
        "Unique name that identifies the shared memory block."
        return self._name

    @property
    def size(self) -> int:
        "Size in bytes."
        return self._size

    def close(self) -> None:
        """Closes access to the shared memory from this instance but does
        not destroy the shared memory block."""
        if self._buf is not None:
            self._buf.release()
            self._buf = None
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def unlink(self) -> None:
        """Requests that the underlying shared memory block be destroyed
        once every process has closed it. Call it once across all processes
        (a second call raises FileNotFoundError)."""
        if self._name:
            _untrack(self._name)
            check(_lib.kipc_shm_unlink(_lib.encode_name(self._name)), self._name)


_encoding = "utf8"


class ShareableList(_std.ShareableList):
    """:class:`multiprocessing.shared_memory.ShareableList` stored in a kipc
    :class:`SharedMemory`. Same memory layout as the standard library's;
    everything but the creation is inherited from it."""

    shm: SharedMemory

    def __init__(self, sequence: Optional[Iterable[Any]] = None, *,
                 name: Optional[str] = None) -> None:
        if name is None or sequence is not None:
            sequence = list(sequence or ())
            formats = []
            for item in sequence:
                fmt = self._types_mapping[type(item)]
                if isinstance(item, (str, bytes)):
                    fmt = fmt % (self._alignment * (len(item) // self._alignment + 1),)
                formats.append(fmt)
            self._list_len = len(formats)
            assert all(len(f) <= 8 for f in formats)
            offset = 0
            self._allocated_offsets = [0]
            for fmt in formats:
                offset += self._alignment if fmt[-1] != "s" else int(fmt[:-1])
                self._allocated_offsets.append(offset)
            codes = [self._extract_recreation_code(item) for item in sequence]
            requested_size = struct.calcsize(
                "q" + self._format_size_metainfo + "".join(formats)
                + self._format_packing_metainfo + self._format_back_transform_codes)
            self.shm = SharedMemory(name, create=True, size=requested_size)
            buf = self.shm.buf
            struct.pack_into("q" + self._format_size_metainfo, buf, 0,
                             self._list_len, *self._allocated_offsets)
            struct.pack_into("".join(formats), buf, self._offset_data_start,
                             *(v.encode(_encoding) if isinstance(v, str) else v
                               for v in sequence))
            struct.pack_into(self._format_packing_metainfo, buf,
                             self._offset_packing_formats,
                             *(f.encode(_encoding) for f in formats))
            struct.pack_into(self._format_back_transform_codes, buf,
                             self._offset_back_transform_codes, *codes)
        else:
            self.shm = SharedMemory(name)
            self._list_len = len(self)
            self._allocated_offsets = list(struct.unpack_from(
                self._format_size_metainfo, self.shm.buf, 1 * 8))

    def __reduce__(self):
        return partial(self.__class__, name=self.shm.name), ()
