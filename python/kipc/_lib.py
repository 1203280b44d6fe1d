# SPDX-License-Identifier: MIT
"""Loading libipc with ctypes, the UAPI structures, and the device check.

Search order for the library (the first that exists is loaded):

1. ``$KIPC_LIBRARY`` -- when set, it is the only candidate: a path that
   fails to load is an ImportError, never silently replaced by another copy;
2. ``libipc.so.0`` in this package's folder (an installed wheel may ship it);
3. the build tree, ``build/lib/libipc.so.0`` of the repository that holds
   this package (``python/kipc/`` -> ``build/lib/``), i.e. after ``make``;
4. the system loader (``libipc.so.0`` from ``make install``).

The C extension ``kipc._speedups`` (optional; :data:`speedups`) gives
kipc.synchronize's hot paths a call without ctypes. It is looked for as
``kipc._speedups`` (beside this file, e.g. in a wheel), then in the build
tree, ``build/python/kipc/_speedups<EXT_SUFFIX>`` (``make``). It links no
libipc of its own: :func:`_load_speedups` hands it the addresses of the
functions of the libipc loaded above. ``KIPC_NO_SPEEDUPS=1`` (any
non-empty value but ``0``) leaves it unused: the pure ctypes path.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import List, Optional, Tuple

from ._errors import check, raise_device_error

SONAME = "libipc.so.0"
LIB_MAJOR = 0

# include/uapi/linux/kipc.h
KIPC_API_VERSION = 1
KIPC_DEVICE_PATH = "/dev/kipc"
KIPC_FEATURE_SHM = 1 << 0
KIPC_FEATURE_CHANNEL = 1 << 1
KIPC_FEATURE_SYNC = 1 << 2
KIPC_FEATURE_URING_CMD = 1 << 3
KIPC_FEATURE_WATCH = 1 << 4
KIPC_FEATURE_LIST = 1 << 5
KIPC_TYPE_SHM = 1
KIPC_NAME_MAX = 255
KIPC_CREATE_EXCL = 1 << 0
KIPC_FD_INHERIT = 1 << 0
KIPC_FD_NONBLOCK = 1 << 1
KIPC_INFO_NAMED = 1 << 0
KIPC_SHM_MAX_SIZE = 1 << 40

FEATURE_NAMES = {
    KIPC_FEATURE_SHM: "shm",
    KIPC_FEATURE_CHANNEL: "channel",
    KIPC_FEATURE_SYNC: "sync",
    KIPC_FEATURE_URING_CMD: "uring_cmd",
    KIPC_FEATURE_WATCH: "watch",
    KIPC_FEATURE_LIST: "list",
}


class kipc_api(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("features", ctypes.c_uint64),
                ("reserved", ctypes.c_uint64 * 6)]


class kipc_shm_params(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint64), ("reserved", ctypes.c_uint64 * 7)]


class kipc_sync_params(ctypes.Structure):
    _fields_ = [("value", ctypes.c_uint32), ("max", ctypes.c_uint32),
                ("parties", ctypes.c_uint32), ("nslots", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("reserved", ctypes.c_uint32 * 11)]


class kipc_channel_params(ctypes.Structure):
    _fields_ = [("capacity", ctypes.c_uint32), ("slot_size", ctypes.c_uint32),
                ("max_msg", ctypes.c_uint64), ("flags", ctypes.c_uint32),
                ("pad", ctypes.c_uint32), ("reserved", ctypes.c_uint64 * 5)]


class kipc_params(ctypes.Union):
    _fields_ = [("shm", kipc_shm_params), ("sync", kipc_sync_params),
                ("channel", kipc_channel_params), ("raw", ctypes.c_uint64 * 8)]


class kipc_info(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("size", ctypes.c_uint64), ("reserved", ctypes.c_uint64 * 6),
                ("params", kipc_params)]


assert ctypes.sizeof(kipc_api) == 64
assert ctypes.sizeof(kipc_info) == 128
assert ctypes.sizeof(kipc_sync_params) == ctypes.sizeof(kipc_channel_params) == 64


def _here() -> str:
    # os.path, not pathlib: importing pathlib costs every process that
    # imports kipc (spawned children included) more than this module.
    return os.path.dirname(os.path.realpath(__file__))


def _candidates() -> List[Tuple[str, str]]:
    env = os.environ.get("KIPC_LIBRARY")
    if env:
        return [("$KIPC_LIBRARY", env)]
    here = _here()
    return [
        ("package folder", os.path.join(here, SONAME)),
        ("build tree", os.path.normpath(
            os.path.join(here, "..", "..", "build", "lib", SONAME))),
        ("system loader", SONAME),
    ]


def _load() -> Tuple[ctypes.CDLL, str]:
    tried = []
    for where, path in _candidates():
        if where != "system loader" and where != "$KIPC_LIBRARY" \
                and not os.path.exists(path):
            tried.append(f"{path} ({where}): not found")
            continue
        try:
            return ctypes.CDLL(path, use_errno=True), path
        except OSError as e:
            tried.append(f"{path} ({where}): {e}")
    raise ImportError("kipc: cannot load libipc; tried:\n  " + "\n  ".join(tried)
                      + "\nBuild it with `make` in the kipc tree, install it, "
                      "or set KIPC_LIBRARY to its path.", name="kipc")


lib, path = _load()


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_int, _u32, _u64 = ctypes.c_int, ctypes.c_uint32, ctypes.c_uint64
kipc_lib_major = _declare("kipc_lib_major", _int)
kipc_lib_minor = _declare("kipc_lib_minor", _int)
kipc_dev_open = _declare("kipc_dev_open", _int, ctypes.POINTER(kipc_api))
kipc_object_info = _declare("kipc_object_info", _int, _int, ctypes.POINTER(kipc_info))
kipc_object_unlink = _declare("kipc_object_unlink", _int, ctypes.c_char_p)
kipc_object_wait = _declare("kipc_object_wait", _int, _int, _u64, _u64, _u32,
                            _u64)
kipc_object_watch = _declare("kipc_object_watch", _int, _int, _u64, _u64,
                             _u32, _u32)
kipc_shm_create = _declare("kipc_shm_create", _int, ctypes.c_char_p,
                           ctypes.c_size_t, _u32, ctypes.c_uint)  # mode_t
kipc_shm_open = _declare("kipc_shm_open", _int, ctypes.c_char_p)
kipc_shm_unlink = _declare("kipc_shm_unlink", _int, ctypes.c_char_p)

# --- channels (include/libipc.h "Channels") ---------------------------------
KIPC_TYPE_CHANNEL = 2
KIPC_NO_DEADLINE = (1 << 64) - 1
KIPC_NOWAIT = 0
KIPC_CHANNEL_MAX_CAPACITY = 0x100000
KIPC_CHANNEL_MAX_SLOT = 0x100000
KIPC_CHANNEL_MAX_MSG = 64 << 20
# Channel header words (Documentation/channels.rst, "Memory layout").
KIPC_CHANNEL_OFF_TAIL = 64
KIPC_CHANNEL_OFF_HEAD = 128
KIPC_CHANNEL_OFF_GET_SEQ = 136
KIPC_CHANNEL_OFF_PUT_WAITERS = 140


class kipc_channel_stats(ctypes.Structure):
    _fields_ = [("queued", _u64), ("dropped", _u64), ("discarded", _u64),
                ("get_waiters", _u32), ("put_waiters", _u32),
                ("reserved", _u64 * 4)]


class iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


assert ctypes.sizeof(kipc_channel_params) == 64
_vp, _sz = ctypes.c_void_p, ctypes.c_size_t
kipc_channel_create = _declare("kipc_channel_create", _int, ctypes.c_char_p,
                               ctypes.POINTER(kipc_channel_params), _u32,
                               ctypes.c_uint)
kipc_channel_open = _declare("kipc_channel_open", _int, ctypes.c_char_p)
kipc_channel_unlink = _declare("kipc_channel_unlink", _int, ctypes.c_char_p)
kipc_channel_attach = _declare("kipc_channel_attach", _int, _int,
                               ctypes.POINTER(_vp))
kipc_channel_close = _declare("kipc_channel_close", None, _vp)
kipc_channel_fd = _declare("kipc_channel_fd", _int, _vp)
kipc_channel_max_msg = _declare("kipc_channel_max_msg", _sz, _vp)
kipc_channel_slot_size = _declare("kipc_channel_slot_size", _sz, _vp)
kipc_channel_put = _declare("kipc_channel_put", _int, _vp, _vp, _sz, _u64)
kipc_channel_get = _declare("kipc_channel_get", ctypes.c_ssize_t, _vp, _vp,
                            _sz, _u64)
kipc_channel_put_many = _declare("kipc_channel_put_many", _int, _vp,
                                 ctypes.POINTER(iovec), ctypes.c_uint, _u64)
kipc_channel_get_many = _declare("kipc_channel_get_many", _int, _vp,
                                 ctypes.POINTER(iovec), ctypes.c_uint, _u64)
# --- pipes (include/libipc.h "Pipes") -------------------------------------
KIPC_TYPE_PIPE = 9
KIPC_PIPE_DUPLEX = 1 << 16
kipc_pipe_create = _declare("kipc_pipe_create", _int,
                            ctypes.POINTER(kipc_channel_params), _u32,
                            ctypes.POINTER(_int * 2))
kipc_channel_stats_fn = _declare("kipc_channel_stats", _int, _vp,
                                 ctypes.POINTER(kipc_channel_stats))

# --- synchronisation (include/libipc.h "Synchronisation") -------------------
KIPC_TYPE_SEMAPHORE = 3
KIPC_TYPE_LOCK = 4
KIPC_TYPE_RLOCK = 5
KIPC_TYPE_EVENT = 6
KIPC_TYPE_BARRIER = 7
KIPC_TYPE_CONDITION = 8
KIPC_SYNC_SEM_MAX = 0x7fffffff
KIPC_SYNC_PARTIES_MAX = 0xffff

_spp = ctypes.POINTER(_vp)
kipc_sync_open = _declare("kipc_sync_open", _int, _spp, ctypes.c_char_p, _u32)
kipc_sync_from_fd = _declare("kipc_sync_from_fd", _int, _spp, _int)
kipc_sync_close = _declare("kipc_sync_close", _int, _vp)
kipc_sync_fd = _declare("kipc_sync_fd", _int, _vp)
kipc_semaphore_create = _declare("kipc_semaphore_create", _int, _spp,
                                 ctypes.c_char_p, _u32, _u32, _u32, ctypes.c_uint)
kipc_sem_acquire = _declare("kipc_sem_acquire", _int, _vp, _u64)
kipc_sem_try_acquire = _declare("kipc_sem_try_acquire", _int, _vp)
kipc_sem_release = _declare("kipc_sem_release", _int, _vp, _u32)
kipc_sem_value = _declare("kipc_sem_value", _int, _vp)
for _k in ("lock", "rlock"):
    globals()[f"kipc_{_k}_create"] = _declare(
        f"kipc_{_k}_create", _int, _spp, ctypes.c_char_p, _u32, ctypes.c_uint)
    globals()[f"kipc_{_k}_acquire"] = _declare(f"kipc_{_k}_acquire", _int, _vp, _u64)
    for _op in ("try_acquire", "release", "consistent", "held"):
        globals()[f"kipc_{_k}_{_op}"] = _declare(f"kipc_{_k}_{_op}", _int, _vp)
kipc_event_create = _declare("kipc_event_create", _int, _spp, ctypes.c_char_p,
                             _u32, ctypes.c_uint)
kipc_event_set = _declare("kipc_event_set", _int, _vp)
kipc_event_clear = _declare("kipc_event_clear", _int, _vp)
kipc_event_is_set = _declare("kipc_event_is_set", _int, _vp)
kipc_event_wait = _declare("kipc_event_wait", _int, _vp, _u64)
kipc_barrier_create = _declare("kipc_barrier_create", _int, _spp,
                               ctypes.c_char_p, _u32, _u32, ctypes.c_uint)
kipc_barrier_wait = _declare("kipc_barrier_wait", _int, _vp, _u64)
for _op in ("abort", "reset", "broken", "waiting", "parties"):
    globals()[f"kipc_barrier_{_op}"] = _declare(f"kipc_barrier_{_op}", _int, _vp)
kipc_cond_create = _declare("kipc_cond_create", _int, _spp, ctypes.c_char_p,
                            _u32, _u32, ctypes.c_uint)
kipc_cond_wait = _declare("kipc_cond_wait", _int, _vp, _vp, _u64)
kipc_cond_notify = _declare("kipc_cond_notify", _int, _vp, _vp, _u32)
kipc_cond_notify_all = _declare("kipc_cond_notify_all", _int, _vp, _vp)


# --- waits in steps (include/libipc.h "Waits in steps", KIPC_0.2) ----------
if kipc_lib_major() == LIB_MAJOR and kipc_lib_minor() < 2:
    raise ImportError(f"kipc: {path} is libipc {LIB_MAJOR}."
                      f"{kipc_lib_minor()}; this package needs "
                      f"{LIB_MAJOR}.2 or later", name="kipc")


class kipc_sync_step(ctypes.Structure):
    _fields_ = [("ticket", _u64), ("off", _u32), ("waiters_off", _u32),
                ("val", _u32), ("saved", _u32), ("reserved", _u64 * 2)]


assert ctypes.sizeof(kipc_sync_step) == 40
_stepp = ctypes.POINTER(kipc_sync_step)
kipc_sync_watch = _declare("kipc_sync_watch", _int, _vp, _stepp)
kipc_barrier_wait_step = _declare("kipc_barrier_wait_step", _int, _vp, _stepp)
kipc_barrier_wait_cancel = _declare("kipc_barrier_wait_cancel", _int, _vp,
                                    _stepp)
kipc_cond_wait_begin = _declare("kipc_cond_wait_begin", _int, _vp, _vp, _stepp)
kipc_cond_wait_step = _declare("kipc_cond_wait_step", _int, _vp, _stepp)
kipc_cond_wait_cancel = _declare("kipc_cond_wait_cancel", _int, _vp, _stepp)

if kipc_lib_major() != LIB_MAJOR:
    raise ImportError(f"kipc: {path} is libipc {kipc_lib_major()}.x; "
                      f"this package needs {LIB_MAJOR}.x", name="kipc")



def _load_speedups():
    """kipc._speedups bound to :data:`lib`, or None (not built, or
    disabled by $KIPC_NO_SPEEDUPS)."""
    if os.environ.get("KIPC_NO_SPEEDUPS", "") not in ("", "0"):
        return None
    import importlib.machinery
    import importlib.util
    import sys
    name = __name__.rpartition(".")[0] + "._speedups"
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:
        spec = None
    if spec is None:
        built = os.path.normpath(
            os.path.join(_here(), "..", "..", "build", "python", "kipc"))
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            so = os.path.join(built, "_speedups" + suffix)
            if os.path.exists(so):
                loader = importlib.machinery.ExtensionFileLoader(name, so)
                spec = importlib.util.spec_from_file_location(
                    name, so, loader=loader)
                break
        else:
            return None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules[name] = mod
    mod.bind(*(ctypes.cast(getattr(lib, n), ctypes.c_void_p).value
               for n in mod.NAMES))
    return mod


speedups = _load_speedups()

_dev_lock = threading.Lock()
_features: Optional[int] = None


def device_path() -> str:
    return os.environ.get("KIPC_DEVICE") or KIPC_DEVICE_PATH


def features() -> int:
    """The driver's KIPC_FEATURE_* bits. Performs the handshake once per
    process; raises DeviceError when the module is not loaded."""
    global _features
    if _features is not None:
        return _features
    with _dev_lock:
        if _features is None:
            api = kipc_api()
            fd = kipc_dev_open(ctypes.byref(api))
            if fd < 0:
                raise_device_error(fd, device_path())
            os.close(fd)
            _features = int(api.features)
    return _features


def require(feature: int) -> None:
    """Raise DeviceError unless the loaded driver implements *feature*."""
    if not features() & feature:
        import errno
        from ._errors import DeviceError
        raise DeviceError(errno.EOPNOTSUPP,
                          f"kipc: the loaded driver does not implement "
                          f"{FEATURE_NAMES.get(feature, hex(feature))}",
                          device_path())


def encode_name(name: str) -> bytes:
    """A kipc object name as bytes: 1..255 bytes of UTF-8, no control
    character (the driver refuses them so that names print safely)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    b = name.encode("utf-8", "surrogateescape")
    if "\0" in name:
        raise ValueError("embedded null character in name")
    bad = next((c for c in name if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise ValueError(f"control character {bad!r} in name")
    return b


def object_info(fd: int) -> kipc_info:
    info = kipc_info()
    check(kipc_object_info(fd, ctypes.byref(info)))
    return info
