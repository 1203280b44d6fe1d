# SPDX-License-Identifier: MIT
"""Targets for child processes (importable by spawned children)."""

import ctypes


def write_shm(shm, offset, data):
    shm.buf[offset:offset + len(data)] = data
    shm.close()


def attach_and_write(name, data):
    from kipc.shared_memory import SharedMemory
    shm = SharedMemory(name)
    shm.buf[:len(data)] = data
    shm.close()


def set_list(sl, i, value):
    sl[i] = value
    sl.shm.close()


def attach_list_and_set(name, i, value):
    from kipc.shared_memory import ShareableList
    sl = ShareableList(name=name)
    sl[i] = value
    sl.shm.close()


def increment(value, n):
    for _ in range(n):
        with value.get_lock():
            value.value += 1


def fill_array(arr, start):
    for i in range(len(arr)):
        arr[i] = start + i


def set_raw(raw, value):
    raw.value = value


def set_struct(s):
    s.x = 11
    s.y = 2.5


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_double)]


# --- queues and synchronisation -------------------------------------------

def produce(q, start, n):
    for i in range(start, start + n):
        q.put(i)


def consume_into(q, out, n):
    got = [q.get(timeout=30) for _ in range(n)]
    out.put(sorted(got))


def worker_joinable(q, n):
    for _ in range(n):
        q.get(timeout=30)
        q.task_done()


def produce_forever(q):
    i = 0
    while True:
        q.put(("item", i, b"x" * (i % 200)))
        i += 1


def square(x):
    return x * x


def hold_lock_and_die(lock):
    lock.acquire()
    import os
    os._exit(0)


def notify_after_set(cond, ev, value):
    ev.wait(30)
    with cond:
        value.value = 1
        cond.notify_all()


def barrier_wait(barrier, out):
    out.put(barrier.wait(30))


def set_event(ev):
    ev.set()


def increment_locked(lock, value, n):
    for _ in range(n):
        with lock:
            value.value += 1
