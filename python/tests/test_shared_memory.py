# SPDX-License-Identifier: MIT
"""kipc.shared_memory against multiprocessing.shared_memory's documented
behaviour."""

import errno
import mmap
import os
import pickle
import subprocess
import sys

import pytest

import children
from conftest import kipc_counts
from kipc import shared_memory as ksm
from kipc.shared_memory import ShareableList, SharedMemory
from multiprocessing import shared_memory as stdsm

PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def shm():
    s = SharedMemory(create=True, size=1000)
    yield s
    s.close()
    try:
        s.unlink()
    except FileNotFoundError:
        pass


def test_create_attach_share(shm):
    assert shm.size == 1000
    assert len(shm.buf) == 1000
    assert bytes(shm.buf[:10]) == bytes(10)
    assert shm.name.startswith("psm_")
    shm.buf[:5] = b"hello"
    other = SharedMemory(shm.name)
    assert other.size == 1000 and other.name == shm.name
    assert bytes(other.buf[:5]) == b"hello"
    other.buf[999] = 7
    assert shm.buf[999] == 7
    other.close()
    assert repr(shm) == f"SharedMemory({shm.name!r}, size=1000)"


def test_named_create_and_names_count():
    names = kipc_counts()[1]
    s = SharedMemory("kipc-pytest-named", create=True, size=1)
    assert s.name == "kipc-pytest-named" and s.size == 1
    assert kipc_counts()[1] == names + 1
    s.close()
    assert kipc_counts()[1] == names + 1  # the name keeps it
    s.unlink()
    assert kipc_counts()[1] == names


def test_errors_like_stdlib(shm):
    with pytest.raises(FileNotFoundError):
        SharedMemory("kipc-pytest-missing")
    with pytest.raises(FileExistsError):
        SharedMemory(shm.name, create=True, size=10)
    with pytest.raises(ValueError):
        SharedMemory(create=True, size=0)
    with pytest.raises(ValueError):
        SharedMemory(create=True, size=-1)
    with pytest.raises(ValueError):
        SharedMemory()
    with pytest.raises(ValueError):
        SharedMemory("a\0b")
    with pytest.raises(OSError) as info:
        SharedMemory("x" * 256)
    assert info.value.errno == errno.ENAMETOOLONG
    # the stdlib raises the same types
    with pytest.raises(ValueError):
        stdsm.SharedMemory(create=True, size=0)
    with pytest.raises(ValueError):
        stdsm.SharedMemory()


def test_close_and_unlink(shm):
    name = shm.name
    shm.close()
    assert shm.buf is None
    shm.close()  # twice is fine
    shm.unlink()
    with pytest.raises(FileNotFoundError):
        SharedMemory(name)
    with pytest.raises(FileNotFoundError):
        shm.unlink()


def test_unlinked_memory_lives_while_attached(shm):
    other = SharedMemory(shm.name)
    shm.unlink()
    other.buf[0] = 9
    assert shm.buf[0] == 9
    other.close()


def test_close_with_exported_buffer_raises(shm):
    view = memoryview(shm.buf)
    with pytest.raises(BufferError):
        shm.close()
    view.release()
    shm.close()


def test_pickle_attaches_by_name(shm):
    shm.buf[3] = 33
    other = pickle.loads(pickle.dumps(shm))
    assert isinstance(other, SharedMemory)
    assert other.name == shm.name and other.size == shm.size
    assert other.buf[3] == 33
    other.close()


def test_children(ctx, shm):
    p = ctx.Process(target=children.write_shm, args=(shm, 10, b"child"))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert bytes(shm.buf[10:15]) == b"child"
    p = ctx.Process(target=children.attach_and_write, args=(shm.name, b"byname"))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert bytes(shm.buf[:6]) == b"byname"


def test_fork_inherits_mapping(shm):
    pid = os.fork()
    if pid == 0:
        shm.buf[0] = 99
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert shm.buf[0] == 99


def test_permission_denied_for_other_user(shm):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            SharedMemory(shm.name)
        except PermissionError:
            code = 0
        except BaseException:
            code = 2
        os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0


def test_nothing_in_dev_shm_and_memory_is_kipc(shm):
    assert os.listdir("/dev/shm") == []
    with open("/proc/self/maps") as f:
        assert "anon_inode:kipc-shm" in f.read()


def _run(code):
    env = dict(os.environ, PYTHONPATH=PYDIR)
    return subprocess.run([sys.executable, "-W", "always", "-c", code], env=env,
                          capture_output=True, text=True, timeout=120)


def test_exit_unlinks_created_names_without_warnings():
    names = kipc_counts()[1]
    r = _run("from kipc.shared_memory import SharedMemory, ShareableList\n"
             "a = SharedMemory('kipc-pytest-exit', create=True, size=10)\n"
             "b = SharedMemory(create=True, size=10)\n"
             "c = ShareableList([1, 2])\n"
             "d = SharedMemory('kipc-pytest-kept', create=True, size=10, track=False)\n"
             "e = SharedMemory('kipc-pytest-gone', create=True, size=1)\n"
             "e.unlink()\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no resource_tracker warning, nothing at all
    assert kipc_counts()[1] == names + 1
    kept = SharedMemory("kipc-pytest-kept")
    kept.close()
    kept.unlink()
    assert kipc_counts()[1] == names


def test_child_does_not_unlink_parents_names(ctx, shm):
    p = ctx.Process(target=children.write_shm, args=(shm, 0, b"x"))
    p.start()
    p.join()
    SharedMemory(shm.name).close()  # still there


def test_shareable_list_api():
    sl = ShareableList([1, 2.5, "text", b"bytes", None, True, -7])
    try:
        assert isinstance(sl, stdsm.ShareableList)
        assert list(sl) == [1, 2.5, "text", b"bytes", None, True, -7]
        assert len(sl) == 7
        assert sl.count(1) == 2 and sl.index("text") == 2  # True == 1
        sl[0] = 42
        sl[2] = "other"
        sl[4] = 3.0
        assert sl[0] == 42 and sl[2] == "other" and sl[4] == 3.0
        assert sl[-1] == -7
        with pytest.raises(IndexError):
            sl[7]
        with pytest.raises(ValueError):
            sl[2] = "x" * 100
        with pytest.raises(ValueError):
            sl.index("missing")
        other = ShareableList(name=sl.shm.name)
        assert list(other) == list(sl)
        other.shm.close()
        copy = pickle.loads(pickle.dumps(sl))
        assert list(copy) == list(sl) and type(copy) is ShareableList
        copy.shm.close()
        assert isinstance(sl.shm, ksm.SharedMemory)
    finally:
        sl.shm.close()
        sl.shm.unlink()


def test_shareable_list_same_layout_as_stdlib():
    sl = ShareableList([1, "ab", None])
    std = stdsm.ShareableList([1, "ab", None])
    try:
        assert bytes(sl.shm.buf[:sl.shm.size]) == bytes(std.shm.buf[:sl.shm.size])
        assert sl.format == std.format
    finally:
        std.shm.close()
        std.shm.unlink()
        sl.shm.close()
        sl.shm.unlink()


def test_shareable_list_empty_and_named():
    sl = ShareableList([], name="kipc-pytest-list")
    assert len(sl) == 0 and sl.shm.name == "kipc-pytest-list"
    other = ShareableList(name="kipc-pytest-list")  # no sequence: attach
    assert len(other) == 0
    other.shm.close()
    sl.shm.close()
    sl.shm.unlink()
    with pytest.raises(FileNotFoundError):
        ShareableList(name="kipc-pytest-list")


def test_shareable_list_children(ctx):
    sl = ShareableList([0, "....", 0.0])
    try:
        p = ctx.Process(target=children.set_list, args=(sl, 1, "kid"))
        p.start()
        p.join()
        assert p.exitcode == 0 and sl[1] == "kid"
        p = ctx.Process(target=children.attach_list_and_set, args=(sl.shm.name, 0, 5))
        p.start()
        p.join()
        assert p.exitcode == 0 and sl[0] == 5
    finally:
        sl.shm.close()
        sl.shm.unlink()


def test_size_is_the_requested_size_not_pages():
    s = SharedMemory(create=True, size=mmap.PAGESIZE + 1)
    try:
        assert s.size == mmap.PAGESIZE + 1
        o = SharedMemory(s.name)
        assert o.size == s.size and len(o.buf) == s.size
        o.close()
    finally:
        s.close()
        s.unlink()
