# SPDX-License-Identifier: MIT
"""The heap behind kipc.sharedctypes: multiprocessing's allocator over
arenas that are anonymous kipc shared-memory objects.

multiprocessing.heap keeps its arenas in unlinked files in /dev/shm (or the
temporary directory); here every arena is an anonymous kipc object, so
nothing touches a file system. Forked children inherit the mappings;
spawn and forkserver children receive the arena's descriptor while the
process is being started (multiprocessing.reduction.DupFd), exactly as
multiprocessing does for its own arenas. Arenas are returned to the kernel
as soon as nothing in them is allocated any more.

The allocator itself is multiprocessing.heap.Heap (fork-safe, thread-safe,
frees deferred from finalizers); only its arena creation is replaced.
"""

from __future__ import annotations

import mmap
import os
import sys
from multiprocessing import heap as _mpheap
from multiprocessing import reduction, util

from . import _lib
from ._errors import check

__all__ = ["Arena", "Heap", "BufferWrapper"]


class Arena:
    """An anonymous kipc shared-memory object of *size* bytes, mapped."""

    def __init__(self, size: int, fd: int = -1) -> None:
        self.size = size
        if fd == -1:
            _lib.require(_lib.KIPC_FEATURE_SHM)
            fd = check(_lib.kipc_shm_create(None, size, 0, 0), einval=ValueError)
        self.fd = fd
        # Kept open (closed with the arena) so that the arena can be
        # handed to spawn and forkserver children.
        util.Finalize(self, os.close, (fd,))
        self.buffer = mmap.mmap(fd, size)


def reduce_arena(a: Arena):
    return rebuild_arena, (a.size, reduction.DupFd(a.fd))


def rebuild_arena(size: int, dupfd) -> Arena:
    return Arena(size, dupfd.detach())


reduction.register(Arena, reduce_arena)


class Heap(_mpheap.Heap):
    # Give every arena back as soon as it is entirely free: kipc objects
    # are cheap to create, and this keeps the driver's object count exact.
    _DISCARD_FREE_SPACE_LARGER_THAN = 0

    def _new_arena(self, size):
        length = self._roundup(max(self._size, size), mmap.PAGESIZE)
        if self._size < self._DOUBLE_ARENA_SIZE_UNTIL:
            self._size *= 2
        util.info("kipc: allocating a new arena of length %d", length)
        arena = Arena(length)
        self._arenas.append(arena)
        return (arena, 0, length)


class BufferWrapper:
    """A block of the kipc heap; what multiprocessing.sharedctypes'
    rebuild_ctype() expects of a wrapper (create_memoryview())."""

    _heap = Heap()

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("Size {0:n} out of range".format(size))
        if sys.maxsize <= size:
            raise OverflowError("Size {0:n} too large".format(size))
        block = BufferWrapper._heap.malloc(size)
        self._state = (block, size)
        util.Finalize(self, BufferWrapper._heap.free, args=(block,))

    def create_memoryview(self) -> memoryview:
        (arena, start, stop), size = self._state
        return memoryview(arena.buffer)[start:start + size]
