# SPDX-License-Identifier: MIT
"""multiprocessing.connection's wait() over kipc objects and descriptors.

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

import select
import time
from typing import Any, Dict, Iterable, List, Optional

__all__ = ["wait"]

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
