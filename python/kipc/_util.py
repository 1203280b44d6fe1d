# SPDX-License-Identifier: MIT
"""Deadlines and blocking libipc calls, shared by queues and synchronize.

libipc takes absolute CLOCK_MONOTONIC deadlines in nanoseconds
(time.monotonic_ns() reads the same clock on Linux). A call that a signal
interrupts (-EINTR) is retried with the same absolute deadline once the
Python-level signal handlers have run (PEP 475), so a handler that raises
(KeyboardInterrupt) ends the wait and one that returns does not shorten it.
ctypes releases the GIL around every call into libipc.
"""

from __future__ import annotations

import errno
import time
from typing import Optional

from . import _lib

NO_DEADLINE = _lib.KIPC_NO_DEADLINE
NOWAIT = _lib.KIPC_NOWAIT


def deadline(block: bool = True, timeout: Optional[float] = None) -> int:
    """The libipc deadline for multiprocessing's (block, timeout) pair."""
    if not block:
        return NOWAIT
    if timeout is None:
        return NO_DEADLINE
    if timeout < 0:
        timeout = 0  # as multiprocessing: a negative timeout does not block
    ns = time.monotonic_ns() + int(timeout * 1e9)
    # 0 is KIPC_NOWAIT and ~0 KIPC_NO_DEADLINE; a passed deadline times out.
    return min(max(ns, 1), NO_DEADLINE - 1)


def call(fn, *args) -> int:
    """fn(*args), retried on -EINTR after running signal handlers."""
    while True:
        ret = fn(*args)
        if ret != -errno.EINTR:
            return ret
        # Looping back is a bytecode boundary: the eval loop runs pending
        # Python signal handlers here, and one that raises ends the call.


def next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()
