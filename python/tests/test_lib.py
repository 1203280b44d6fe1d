# SPDX-License-Identifier: MIT
"""Loading libipc, the device check and the errno mapping."""

import errno
import os
import subprocess
import sys

import pytest

import kipc
from kipc import _errors, _lib

PYTHON = sys.executable
PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(code, **env):
    e = dict(os.environ, PYTHONPATH=PYDIR, **env)
    return subprocess.run([PYTHON, "-c", code], env=e, capture_output=True,
                          text=True, timeout=120)


def test_library_from_build_tree():
    expected = os.path.join(os.path.dirname(PYDIR), "build", "lib", "libipc.so.0")
    if os.environ.get("KIPC_LIBRARY"):
        expected = os.environ["KIPC_LIBRARY"]
    assert os.path.samefile(kipc.library_path(), expected)


def test_kipc_library_env_is_used():
    lib = os.path.join(os.path.dirname(PYDIR), "build", "lib", "libipc.so.0")
    r = run("import kipc; print(kipc.library_path())", KIPC_LIBRARY=lib)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == lib


def test_missing_library_import_error_names_it():
    r = run("import kipc", KIPC_LIBRARY="/nonexistent/libipc.so.0")
    assert r.returncode == 1
    assert "ImportError" in r.stderr
    assert "/nonexistent/libipc.so.0" in r.stderr
    assert "KIPC_LIBRARY" in r.stderr


def test_module_not_loaded_is_a_clear_error():
    code = ("import kipc\n"
            "try:\n kipc.SharedMemory(create=True, size=1)\n"
            "except kipc.DeviceError as e:\n print(e.errno, e)\n")
    r = run(code, KIPC_DEVICE="/nonexistent/kipc")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{errno.ENOENT} ")
    assert "module is not loaded" in r.stdout
    r = run("import kipc\ntry:\n kipc.RawValue('i')\n"
            "except kipc.DeviceError as e:\n print(e)\n", KIPC_DEVICE="/dev/null")
    assert "is not a kipc device" in r.stdout, r.stderr


def test_device_error_is_not_file_not_found():
    assert not issubclass(kipc.DeviceError, FileNotFoundError)
    assert issubclass(kipc.DeviceError, OSError)


def test_features():
    assert "shm" in kipc.features()


@pytest.mark.parametrize("err, exc", [
    (errno.ENOENT, FileNotFoundError),
    (errno.EEXIST, FileExistsError),
    (errno.EACCES, PermissionError),
    (errno.EPERM, PermissionError),
    (errno.ETIMEDOUT, TimeoutError),
    (errno.EINTR, InterruptedError),
    (errno.EAGAIN, BlockingIOError),
])
def test_errno_mapping(err, exc):
    with pytest.raises(exc) as info:
        _errors.check(-err, "name")
    assert info.value.errno == err
    assert info.value.filename == "name"


def test_errno_mapping_einval_and_others():
    with pytest.raises(ValueError):
        _errors.check(-errno.EINVAL, "x", ValueError)
    with pytest.raises(OSError) as info:
        _errors.check(-errno.EINVAL)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        _errors.check(-errno.EDQUOT)
    assert type(info.value) is OSError and info.value.errno == errno.EDQUOT
    assert _errors.check(5) == 5


def test_structs_match_uapi():
    import ctypes
    assert ctypes.sizeof(_lib.kipc_api) == 64
    assert ctypes.sizeof(_lib.kipc_info) == 128
    assert _lib.kipc_lib_major() == 0


def test_version_is_the_projects():
    root = os.path.dirname(PYDIR)
    out = subprocess.run(["sh", os.path.join(root, "tools", "version")],
                         capture_output=True, text=True, check=True).stdout
    assert kipc.__version__ == out.strip()


def test_import_loads_only_what_is_used():
    # A spawned child imports kipc: it must not pay for asyncio, pathlib
    # or parts it never touches; the names still resolve on first use.
    code = ("import sys, kipc\n"
            "heavy = {'asyncio', 'pathlib', 'kipc.queues', 'kipc.synchronize',"
            " 'kipc.shared_memory', 'kipc.context'}\n"
            "print(sorted(heavy & set(sys.modules)))\n"
            "print(kipc.Queue.__module__, kipc.queues.Full.__name__,"
            " 'Lock' in dir(kipc))\n")
    r = run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["[]", "kipc.queues Full True"]
    r = run("import kipc; kipc.no_such_name")
    assert "AttributeError: module 'kipc' has no attribute 'no_such_name'" \
        in r.stderr
