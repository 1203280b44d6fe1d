# SPDX-License-Identifier: MIT
"""asyncio support: wait for a kipc descriptor through the running loop.

Every ``*_async`` method tries its operation without blocking and, when it
would block, awaits readiness of the object's descriptor with
loop.add_reader()/add_writer() and tries again: no helper thread. The
descriptors poll like the objects' states (a channel is readable while a
message waits and writable while a slot is free; a Semaphore readable
while its count is positive, a Lock while free, an Event while set).

One loop may have many awaiters on one descriptor, but add_reader() keeps
one callback per descriptor: _Mux keeps, per loop, the futures waiting on
each descriptor and registers a single callback that wakes them all (each
then retries; those that lose the race wait again). The callback is
removed as soon as it fires or its last waiter leaves (cancelled or timed
out), so a descriptor that stays ready never spins the loop.

A Barrier or Condition wait has no object-level readiness: each waiter
waits on its own ticket. Its steps (libipc's kipc_*_wait_step) name the
word they wait on, and retry(..., close=True) awaits a watch descriptor
made for that word after each step that would block (kipc_sync_watch:
readable once the word changed), then closes it, also when the wait is
cancelled or times out.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import TYPE_CHECKING, Callable, Dict, Optional, Set

if TYPE_CHECKING:
    import asyncio

# What an operation returns when it would block, and what retry() returns
# when the timeout passed first.
AGAIN = object()
TIMEOUT = object()


class _Mux:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._readers: Dict[int, Set[asyncio.Future]] = {}
        self._writers: Dict[int, Set[asyncio.Future]] = {}

    def _table(self, write: bool):
        if write:
            return self._writers, self._loop.add_writer, self._loop.remove_writer
        return self._readers, self._loop.add_reader, self._loop.remove_reader

    def _fire(self, fd: int, write: bool) -> None:
        table, _, remove = self._table(write)
        remove(fd)
        for fut in table.pop(fd, ()):
            if not fut.done():
                fut.set_result(None)

    def add(self, fd: int, write: bool, fut: asyncio.Future) -> None:
        table, add, _ = self._table(write)
        futs = table.get(fd)
        if futs is None:
            add(fd, self._fire, fd, write)
            futs = table[fd] = set()
        futs.add(fut)

    def discard(self, fd: int, write: bool, fut: asyncio.Future) -> None:
        table, _, remove = self._table(write)
        futs = table.get(fd)
        if futs is not None:
            futs.discard(fut)
            if not futs:
                del table[fd]
                remove(fd)


_muxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Mux]" = \
    weakref.WeakKeyDictionary()


def running_loop() -> "asyncio.AbstractEventLoop":
    """The running loop. A coroutine only runs in a loop, so asyncio is
    imported by then: kipc never imports it itself, which keeps the start
    of every process that imports kipc (spawned children too) cheap."""
    return sys.modules["asyncio"].get_running_loop()


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


async def retry(op: Callable[[], object], fd: Callable[[], int],
                write: bool = False, timeout: Optional[float] = None,
                close: bool = False):
    """op()'s first result that is not AGAIN, awaiting *fd()* readable
    (writable if *write*) in between; TIMEOUT once *timeout* seconds
    passed (None: no limit; 0 or less: try once). With *close*, fd()
    makes a new descriptor each time (a watch), which is closed once
    awaited."""
    loop = running_loop()
    end = None if timeout is None else loop.time() + max(timeout, 0)
    mux = _muxes.get(loop)
    if mux is None:
        mux = _muxes[loop] = _Mux(loop)
    while True:
        ret = op()
        if ret is not AGAIN:
            return ret
        if end is not None and loop.time() >= end:
            return TIMEOUT
        n = fd()    # after op(): a closed object has raised by now
        try:
            fut = loop.create_future()
            mux.add(n, write, fut)
            timer = None if end is None else loop.call_at(end, _wake, fut)
            try:
                await fut
            finally:
                if timer is not None:
                    timer.cancel()
                mux.discard(n, write, fut)
        finally:
            if close:   # after discard: the loop must not poll a closed fd
                os.close(n)
