# SPDX-License-Identifier: MIT
"""kipc.stats(obj): KIPC_OBJ_IOC_STAT as a dict with kipc stat --json's keys."""

import pytest

import kipc

COMMON = {"id", "type", "flags", "uid", "gid", "mode", "name", "ctime_ns",
          "size", "kmem", "mappings", "sleepers", "uring_pending", "waits",
          "wakes"}
RING = {"queued", "queued_bytes", "puts", "gets", "dropped", "discarded",
        "recoveries", "buffers", "buffer_bytes", "get_waiters", "put_waiters",
        "closed"}
SYNC = {"value", "holder", "waiters", "flags", "owner_died", "recoveries"}


def test_queue_after_three_puts():
    q = kipc.Queue()
    try:
        for i in range(3):
            q.put(i)
        s = kipc.stats(q)
        assert set(s) == COMMON | {"rings"}
        assert s["type"] == "channel" and s["id"] > 0
        assert len(s["rings"]) == 1 and set(s["rings"][0]) == RING
        r = s["rings"][0]
        assert (r["queued"], r["puts"], r["gets"]) == (3, 3, 0)
        q.get()
        r = kipc.stats(q)["rings"][0]
        assert (r["queued"], r["puts"], r["gets"]) == (2, 3, 1)
    finally:
        q.close()
        q.join_thread()


def test_lock_held_shows_value_1():
    lock = kipc.Lock()
    s = kipc.stats(lock)
    assert set(s) == COMMON | {"sync"} and set(s["sync"]) == SYNC
    assert s["type"] == "lock" and s["sync"]["value"] == 0
    with lock:
        assert kipc.stats(lock)["sync"]["value"] == 1
    assert kipc.stats(lock)["sync"]["value"] == 0


def test_named_semaphore():
    sem = kipc.Semaphore(5, name="kipc-test-stats-sem", create=True)
    try:
        s = kipc.stats(sem)
        assert s["type"] == "semaphore" and s["name"] == "kipc-test-stats-sem"
        assert s["sync"]["value"] == 5
        # KIPC_STAT_NAMED | KIPC_STAT_LINKED, then only NAMED once unlinked.
        assert s["flags"] == 3
        with open(f"/proc/self/fdinfo/{sem._fd()}") as f:
            assert f"kipc-id:\t{s['id']}\n" in f.read()
        sem.unlink()
        assert kipc.stats(sem)["flags"] == 1
    finally:
        try:
            sem.unlink()
        except FileNotFoundError:
            pass


def test_pipe_and_shm():
    a, b = kipc.Pipe()
    s = kipc.stats(a)
    assert s["type"] == "pipe" and len(s["rings"]) == 2
    a.close()
    b.close()
    shm = kipc.SharedMemory(create=True, size=4096)
    try:
        s = kipc.stats(shm)
        assert set(s) == COMMON and s["type"] == "shm" and s["size"] == 4096
    finally:
        shm.close()
        shm.unlink()


def test_closed_objects_raise():
    q = kipc.Queue()
    q.close()
    q.join_thread()
    with pytest.raises(ValueError):
        kipc.stats(q)
    a, b = kipc.Pipe()
    a.close()
    with pytest.raises(OSError):
        kipc.stats(a)
    b.close()


def test_not_a_kipc_object():
    with pytest.raises(TypeError):
        kipc.stats(object())
