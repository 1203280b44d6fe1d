# SPDX-License-Identifier: MIT
"""The one place where libipc's negative errno values become exceptions.

libipc returns ``-errno`` on failure. :func:`check` turns that into the
exception the standard library raises for the same condition, so code
written for :mod:`multiprocessing` catches the same types:

==================  =======================================================
errno               exception
==================  =======================================================
ENOENT              FileNotFoundError (no object of that name)
EEXIST              FileExistsError
EACCES, EPERM       PermissionError
EINVAL              ValueError when the caller passed ``einval=ValueError``
                    (bad arguments), else OSError(EINVAL)
ETIMEDOUT           TimeoutError
EINTR               InterruptedError
EAGAIN              BlockingIOError
others              OSError with that errno (ENAMETOOLONG, EDQUOT, ENOMEM...)
==================  =======================================================

Errors about the device itself (module not loaded, not a kipc device, too
old) are :class:`DeviceError`, raised by :mod:`kipc._lib` before any object
call, so that ENOENT from an object call always means "no such name".
"""

from __future__ import annotations

import errno
import os
from typing import NoReturn, Optional, Type

__all__ = ["DeviceError", "check", "error"]


class DeviceError(OSError):
    """kipc cannot be used: the module is not loaded, the device is not a
    kipc device, or the driver lacks a needed feature. Deliberately not a
    FileNotFoundError, so it is never mistaken for a missing object name."""


def error(err: int, filename: Optional[str] = None,
          einval: Optional[Type[Exception]] = None,
          what: Optional[str] = None) -> Exception:
    """The exception for errno *err* (positive or negative)."""
    err = abs(err)
    msg = os.strerror(err)
    if what:
        msg = f"{what}: {msg}"
    if err == errno.EINVAL and einval is not None and not issubclass(einval, OSError):
        return einval(f"{msg}" + (f": {filename!r}" if filename is not None else ""))
    # OSError(errno, ...) picks the subclass itself: FileNotFoundError,
    # FileExistsError, PermissionError, TimeoutError, InterruptedError,
    # BlockingIOError...
    if filename is None:
        return OSError(err, msg)
    return OSError(err, msg, filename)


def check(ret: int, filename: Optional[str] = None,
          einval: Optional[Type[Exception]] = None,
          what: Optional[str] = None) -> int:
    """Return *ret* when it is not negative; raise the mapped error otherwise."""
    if ret < 0:
        raise error(ret, filename, einval, what)
    return ret


def raise_device_error(err: int, path: str) -> NoReturn:
    err = abs(err)
    if err == errno.ENOENT:
        msg = (f"kipc: {path} does not exist: the kipc kernel module is not "
               "loaded (insmod kipc.ko / modprobe kipc)")
    elif err == errno.ENODEV:
        msg = f"kipc: {path} is not a kipc device"
    elif err == errno.EPROTONOSUPPORT:
        msg = f"kipc: the driver behind {path} speaks an older ABI than libipc needs"
    elif err in (errno.EACCES, errno.EPERM):
        msg = f"kipc: no permission to open {path}"
    else:
        msg = f"kipc: cannot open {path}: {os.strerror(err)}"
    raise DeviceError(err, msg, path)
