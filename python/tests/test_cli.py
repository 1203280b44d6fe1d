# SPDX-License-Identifier: MIT
"""The kipc command (build/tools/kipc, man/man1/kipc.1): ls, stat, rm, top
and info against the loaded driver, as root and as uid 1000, with the
JSON keys the man page documents."""

import contextlib
import ctypes
import errno
import json
import os
import pty
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest

import kipc
import kipc.shared_memory
from kipc import _lib
from kipc.queues import Channel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KIPC = os.path.join(ROOT, "build", "tools", "kipc")
USER = 1000

COMMON = {"id", "type", "flags", "uid", "gid", "mode", "name", "ctime_ns",
          "size", "kmem", "mappings", "sleepers", "uring_pending", "waits",
          "wakes"}
RING = {"queued", "queued_bytes", "puts", "gets", "dropped", "discarded",
        "recoveries", "buffers", "buffer_bytes", "get_waiters", "put_waiters",
        "closed"}
SYNC = {"value", "holder", "waiters", "flags", "owner_died", "recoveries"}
USAGE = {"bytes", "objects", "max_bytes", "max_objects", "total_bytes",
         "max_total_bytes"}
HIDDEN_RE = re.compile(r"^(\d+) objects? hidden \(no permission\)$")


def uname(tag=""):
    return f"kipc-test-cli{tag}-" + uuid.uuid4().hex[:10]


def _as_user():
    os.setgroups([])
    os.setgid(USER)
    os.setuid(USER)


def run(*args, user=None):
    """The kipc command's result; as uid/gid 1000 when *user* is set."""
    r = subprocess.run([KIPC, *args], capture_output=True, timeout=120,
                       preexec_fn=_as_user if user else None)
    # Every byte it prints is ASCII, whatever the names hold.
    assert r.stdout.isascii() and r.stderr.isascii()
    r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
    return r


def ok(*args, user=None):
    r = run(*args, user=user)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ls_json(*args, user=None):
    doc = json.loads(ok("ls", "--json", *args, user=user))
    assert set(doc) == {"version", "objects", "hidden"}
    assert doc["version"] == 1
    return doc


def by_name(doc):
    return {o["name"]: o for o in doc["objects"]}


def ls_rows(text):
    """ls's lines as {name: (id, type, owner, mode)}, and the hidden count."""
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "OWNER", "MODE", "SIZE", "KMEM",
                                "MAPS", "STATE", "NAME"]
    hidden = 0
    m = HIDDEN_RE.match(lines[-1])
    if m:
        hidden = int(m.group(1))
        lines = lines[:-1]
    rows = {}
    for line in lines[1:]:
        f = line.split()
        rows.setdefault(f[-1], []).append((int(f[0]), f[1], f[2], f[3]))
    return rows, hidden


@contextlib.contextmanager
def umask0():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def named_channel(name, mode=0o600, capacity=8, slot=64):
    """A Channel under *name* with exactly *mode*, unlinked afterwards."""
    p = _lib.kipc_channel_params(capacity=capacity, slot_size=slot)
    with umask0():
        fd = _lib.kipc_channel_create(name.encode(), ctypes.byref(p),
                                      _lib.KIPC_CREATE_EXCL, mode)
    assert fd >= 0, os.strerror(-fd)
    ch = Channel(capacity, slot, fd=fd)
    try:
        yield ch
    finally:
        ch.close()
        _lib.kipc_object_unlink(name.encode())


@contextlib.contextmanager
def named_lock(name, mode=0o600):
    h = ctypes.c_void_p()
    with umask0():
        ret = _lib.kipc_lock_create(ctypes.byref(h), name.encode(),
                                    _lib.KIPC_CREATE_EXCL, mode)
    assert ret >= 0, os.strerror(-ret)
    try:
        yield h
    finally:
        _lib.kipc_sync_close(h)
        _lib.kipc_object_unlink(name.encode())


def exists(name):
    """Whether a lock of that name can be opened."""
    h = ctypes.c_void_p()
    ret = _lib.kipc_sync_open(ctypes.byref(h), name.encode(),
                              _lib.KIPC_TYPE_LOCK)
    if ret < 0:
        assert ret == -errno.ENOENT, os.strerror(-ret)
        return False
    _lib.kipc_sync_close(h)
    return True


@contextlib.contextmanager
def holder_child(fd, user=None):
    """A child process holding descriptor *fd* (same number) until the
    block ends."""
    p = subprocess.Popen([sys.executable, "-c",
                          "import sys; sys.stdin.read()"],
                         stdin=subprocess.PIPE, pass_fds=[fd],
                         preexec_fn=_as_user if user else None)
    try:
        yield p.pid
    finally:
        p.stdin.close()
        assert p.wait(timeout=60) == 0


# --- ls ---------------------------------------------------------------------

def test_ls_shows_each_type():
    names = {t: uname(t) for t in ("channel", "lock", "semaphore", "event",
                                   "shm")}
    with contextlib.ExitStack() as es:
        es.enter_context(named_channel(names["channel"]))
        es.enter_context(named_lock(names["lock"]))
        sem = kipc.Semaphore(2, name=names["semaphore"], create=True,
                             track=False)
        es.callback(sem.unlink)
        ev = kipc.Event(name=names["event"], create=True, track=False)
        es.callback(ev.unlink)
        shm = kipc.shared_memory.SharedMemory(names["shm"], create=True,
                                              size=4096, track=False)
        es.callback(shm.unlink)
        es.callback(shm.close)
        a, b = kipc.Pipe()
        es.callback(b.close)
        es.callback(a.close)
        pipe_id = kipc.stats(a)["id"]

        rows, hidden = ls_rows(ok("ls"))
        assert hidden == 0      # root sees everything
        for t, n in names.items():
            assert len(rows[n]) == 1
            oid, typ, owner, mode = rows[n][0]
            assert (typ, owner, mode) == (t, "root", "0600"), n
        assert any(r[0] == pipe_id and r[1] == "pipe" for r in rows["-"])

        only = ls_rows(ok("ls", "-t", "semaphore"))[0]
        assert names["semaphore"] in only
        assert all(r[1] == "semaphore" for rs in only.values() for r in rs)
        assert names["lock"] not in only


def test_ls_json_keys_and_traffic():
    name = uname()
    with named_channel(name) as ch:
        for i in range(3):
            assert ch.put(b"m%d" % i, _lib.KIPC_NOWAIT) == 0
        assert ch.get(_lib.KIPC_NOWAIT) == b"m0"
        doc = ls_json()
        assert doc["hidden"] == 0
        o = by_name(doc)[name]
        assert set(o) == COMMON | {"rings"}
        assert o["id"] == kipc.stats(ch)["id"]
        assert (o["type"], o["uid"], o["gid"], o["mode"]) == ("channel", 0, 0,
                                                              0o600)
        assert o["flags"] == 3     # named and linked
        assert o["mappings"] == 1 and o["size"] > 0 and o["kmem"] >= o["size"]
        assert abs(o["ctime_ns"] / 1e9 - time.time()) < 600
        assert len(o["rings"]) == 1 and set(o["rings"][0]) == RING
        r = o["rings"][0]
        assert (r["queued"], r["puts"], r["gets"]) == (2, 3, 1)
        assert r["queued_bytes"] == 4 and r["closed"] == 0  # m1, m2
        # -t filters in the JSON too.
        assert all(x["type"] == "lock"
                   for x in ls_json("-t", "lock")["objects"])


def test_ls_json_sync_and_duplex_pipe():
    name = uname()
    with named_lock(name) as h:
        assert _lib.kipc_lock_acquire(h, _lib.KIPC_NO_DEADLINE) == 0
        a, b = kipc.Pipe()
        try:
            a.send_bytes(b"x")
            doc = by_name(ls_json())
            lock = doc[name]
            assert set(lock) == COMMON | {"sync"} and set(lock["sync"]) == SYNC
            assert lock["type"] == "lock" and lock["sync"]["value"] == 1
            assert lock["sync"]["holder"] != 0
            pid = kipc.stats(a)["id"]
            pipe = next(o for o in ls_json("-t", "pipe")["objects"]
                        if o["id"] == pid)
            assert pipe["name"] == "" and pipe["flags"] == 0
            assert len(pipe["rings"]) == 2
            assert [r["queued"] for r in pipe["rings"]] == [1, 0]
        finally:
            a.close()
            b.close()
            _lib.kipc_lock_release(h)


def test_names_are_escaped():
    name = uname("-\u00e9\\")
    with named_lock(name):
        rows, _ = ls_rows(ok("ls"))
        shown = name.encode().replace(b"\\", b"\\x5c").replace(
            b"\xc3\xa9", b"\\xc3\\xa9").decode()
        assert shown in rows
        o = by_name(ls_json())
        js = [n for n in o if n.startswith("kipc-test-cli-")]
        # One code point per byte: Latin-1 gives the bytes back.
        assert name in [n.encode("latin-1").decode() for n in js]
        r = run("rm", name + "x")
        assert r.returncode == 1
        assert f"cannot remove '{shown}x'" in r.stderr


# --- stat -------------------------------------------------------------------

def test_stat_by_name_and_id():
    name = uname()
    with named_channel(name) as ch:
        for i in range(2):
            assert ch.put(b"abc", _lib.KIPC_NOWAIT) == 0
        doc = json.loads(ok("stat", "--json", name))
        assert set(doc) == {"version", "object", "holders", "holders_total"}
        o = doc["object"]
        assert set(o) == COMMON | {"rings"}
        assert o == kipc.stats(ch)     # the keys and values of Python's
        assert o["rings"][0]["queued"] == 2 and o["rings"][0]["puts"] == 2
        me = [h for h in doc["holders"] if h["pid"] == os.getpid()]
        assert me == [{"pid": os.getpid(), "fds": 1, "mappings": 1}]
        assert doc["holders_total"] == len(doc["holders"])

        by_id = json.loads(ok("stat", "--json", "--id", str(o["id"])))
        assert by_id["object"]["id"] == o["id"]
        assert by_id["object"]["name"] == name

        text = ok("stat", name)
        assert re.search(r"^type: +channel$", text, re.M)
        assert re.search(rf"^id: +{o['id']}$", text, re.M)
        assert re.search(r"^ring 0: +queued=2 queued_bytes=6 puts=2 gets=0$",
                         text, re.M)
        assert re.search(rf"^  {os.getpid()} +1 +1$", text, re.M)


def test_stat_missing_name_fails():
    r = run("stat", uname("-missing"))
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    assert r.stdout == ""


def test_stat_fd_of_a_child():
    lock = kipc.Lock()
    fd = lock._fd()
    oid = kipc.stats(lock)["id"]
    with holder_child(fd) as pid:
        doc = json.loads(ok("stat", "--json", "--fd", f"{pid}:{fd}"))
        assert doc["object"]["id"] == oid
        assert doc["object"]["type"] == "lock" and doc["object"]["name"] == ""
        holders = {h["pid"]: h for h in doc["holders"]}
        # The child got the descriptor across exec, not the mapping.
        assert holders[pid] == {"pid": pid, "fds": 1, "mappings": 0}
        assert holders[os.getpid()]["mappings"] == 1
        text = ok("stat", "--fd", f"{pid}:{fd}")
        assert re.search(r"^type: +lock$", text, re.M)
    del lock


YAMA = "/proc/sys/kernel/yama/ptrace_scope"


@contextlib.contextmanager
def ptrace_scope(value):
    """Yama's ptrace_scope set to *value* for the block (if Yama is on)."""
    if not os.path.exists(YAMA):
        yield
        return
    with open(YAMA) as f:
        old = f.read().strip()
    with open(YAMA, "w") as f:
        f.write(str(value))
    try:
        yield
    finally:
        with open(YAMA, "w") as f:
            f.write(old)


def test_stat_fd_falls_back_to_the_descriptor():
    """Root's anonymous lock is invisible to uid 1000 by id, but uid 1000
    may read the statistics through its own child's descriptor."""
    lock = kipc.Lock()
    fd = lock._fd()
    oid = kipc.stats(lock)["id"]
    # pidfd_getfd needs ptrace access: Yama's default allows only one's
    # descendants.
    with ptrace_scope(0), holder_child(fd, user=True) as pid:
        r = run("stat", "--json", "--id", str(oid), user=True)
        assert r.returncode == 1 and "No such file or directory" in r.stderr
        doc = json.loads(ok("stat", "--json", "--fd", f"{pid}:{fd}",
                            user=True))
        assert doc["object"]["id"] == oid and doc["object"]["uid"] == 0
        assert doc["holders"] is None and doc["holders_total"] is None
        text = ok("stat", "--fd", f"{pid}:{fd}", user=True)
        assert "holders:       not visible to you" in text
    del lock


def test_stat_fd_of_a_non_kipc_descriptor():
    r_fd, w_fd = os.pipe()
    try:
        r = run("stat", "--fd", f"{os.getpid()}:{r_fd}")
        assert r.returncode == 1
        assert "not a kipc object descriptor" in r.stderr
    finally:
        os.close(r_fd)
        os.close(w_fd)


# --- rm ---------------------------------------------------------------------

def test_rm_removes_and_goes_on_after_a_failure():
    a, b = uname(), uname()
    with named_lock(a), named_lock(b):
        assert exists(a) and exists(b)
        assert ok("rm", a) == ""
        assert not exists(a)
        r = run("rm", a, b)
        assert r.returncode == 1
        assert r.stderr == f"kipc: cannot remove '{a}': No such file or directory\n"
        assert not exists(b)


@pytest.mark.parametrize("mode", [0o600, 0o666])
def test_rm_of_roots_object_as_user_is_denied(mode):
    name = uname()
    with named_lock(name, mode=mode):
        r = run("rm", name, user=True)
        assert r.returncode == 1
        assert r.stderr == f"kipc: cannot remove '{name}': Permission denied\n"
        assert exists(name)
        assert name in by_name(ls_json())


# --- visibility -------------------------------------------------------------

def test_ls_as_user_hides_roots_private_objects():
    private, shared = uname("-private"), uname("-shared")
    with named_lock(private, mode=0o600), \
            named_channel(shared, mode=0o666):
        everything = ls_json()
        assert everything["hidden"] == 0
        mine = ls_json(user=True)
        names = by_name(mine)
        assert private not in names
        assert names[shared]["type"] == "channel"
        assert (names[shared]["uid"], names[shared]["mode"]) == (0, 0o666)
        assert mine["hidden"] >= 1
        assert len(mine["objects"]) + mine["hidden"] == \
            len(everything["objects"])

        rows, hidden = ls_rows(ok("ls", user=True))
        assert private not in rows and shared in rows
        assert hidden == mine["hidden"]
        assert HIDDEN_RE.match(ok("ls", user=True).splitlines()[-1])
        assert not HIDDEN_RE.match(ok("ls").splitlines()[-1])

        r = run("stat", private, user=True)
        assert r.returncode == 1 and "No such file or directory" in r.stderr
        assert json.loads(ok("stat", "--json", shared, user=True))[
            "object"]["name"] == shared


# --- top --------------------------------------------------------------------

def test_top_shows_rates_without_escapes_when_piped():
    name = uname()
    stop = threading.Event()
    results = []
    with named_channel(name) as ch:
        def traffic():
            while not stop.is_set():
                for _ in range(50):
                    results.append((ch.put(b"x", _lib.KIPC_NOWAIT),
                                    ch.get(_lib.KIPC_NOWAIT)))
                time.sleep(0.001)
        t = threading.Thread(target=traffic)
        t.start()
        try:
            out = ok("top", "-d", "0.5", "-n", "2")
        finally:
            stop.set()
            t.join()
    assert results and set(results) == {(0, b"x")}
    assert "\033" not in out
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert len(blocks) == 2
    for block in blocks:
        lines = block.splitlines()
        assert lines[0].startswith("kipc top - ")
        assert lines[1].split()[:6] == ["ID", "TYPE", "PUTS/s", "GETS/s",
                                        "WAITS/s", "WAKES/s"]
        row = next(ln.split() for ln in lines[2:] if ln.split()[-1] == name)
        assert row[1] == "channel"
        puts, gets = float(row[2]), float(row[3])
        assert puts > 0 and gets > 0


def test_top_clears_the_screen_on_a_terminal():
    master, slave = pty.openpty()
    try:
        r = subprocess.run([KIPC, "top", "-d", "0.2", "-n", "2"], stdout=slave,
                           stderr=subprocess.PIPE, timeout=60)
        os.close(slave)
        slave = -1
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:     # EIO: the writer is gone
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert r.returncode == 0, r.stderr
    assert out.count(b"\033[H\033[2J") == 2
    assert out.count(b"kipc top - ") == 2


# --- info and usage ---------------------------------------------------------

def test_info_shows_a_zero_limit_as_zero():
    # 0 refuses every charge (account.c): it must not read as "unlimited".
    param = "/sys/module/kipc/parameters/max_user_objects"
    with open(param) as f:
        saved = f.read().strip()
    try:
        with open(param, "w") as f:
            f.write("0")
        text = ok("info")
    finally:
        with open(param, "w") as f:
            f.write(saved)
    assert re.search(r"^  objects: +\d+ of 0$", text, re.M), text


def test_info_json_has_usage():
    name = uname()
    with named_lock(name):
        doc = json.loads(ok("info", "--json"))
        assert set(doc) == {"version", "api", "libipc", "usage"}
        assert doc["version"] == 1
        assert doc["api"]["version"] == 1
        assert "list" in doc["api"]["feature_names"]
        assert doc["api"]["features"] == _lib.features()
        assert doc["libipc"] == "%d.%d" % (_lib.kipc_lib_major(),
                                           _lib.kipc_lib_minor())
        u = doc["usage"]
        assert set(u) == USAGE
        assert u["objects"] >= 1 and u["bytes"] > 0
        assert u["total_bytes"] >= u["bytes"]
        text = ok("info")
        assert re.search(r"^libipc version: +\d+\.\d+$", text, re.M)
        assert re.search(r"^  objects: +\d+ of \d+$", text, re.M)


@pytest.mark.parametrize("args", [
    [], ["bogus"], ["--bogus"], ["ls", "--bogus"], ["ls", "-x"],
    ["ls", "-t"], ["ls", "-t", "queue"], ["ls", "extra"], ["stat"],
    ["stat", "a", "b"], ["stat", "a", "--id", "1"], ["stat", "--id", "0"],
    ["stat", "--fd", "12"], ["stat", "--fd", "1:x"], ["rm"],
    ["top", "-n", "0"], ["top", "-d", "x"], ["info", "extra"],
])
def test_bad_usage_exits_2(args):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("kipc") and "Usage: kipc" in r.stderr


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and r.stdout.startswith("Usage: kipc")
    for cmd in ("ls", "stat", "rm", "top", "info"):
        assert run(cmd, "--help").stdout.startswith("Usage: kipc")
    r = run("--version")
    assert r.returncode == 0 and "libipc" in r.stdout
