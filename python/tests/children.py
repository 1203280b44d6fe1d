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


# --- wait(), asyncio and named objects --------------------------------------

def put_after(q, delay, obj):
    import time
    time.sleep(delay)
    q.put(obj)


def set_after(ev, delay):
    import time
    time.sleep(delay)
    ev.set()


def hold_lock_until_set_then_die(lock, held, go):
    lock.acquire()
    held.set()
    go.wait(60)
    import os
    os._exit(0)


def notify_hold_and_die(cond, held, go):
    cond.acquire()
    cond.notify()
    held.set()
    go.wait(60)
    import os
    os._exit(0)


def open_queue_and_put(name, objs, kind="Queue"):
    import kipc
    q = getattr(kipc, kind)(name=name)
    for o in objs:
        q.put(o)


def open_joinable_and_consume(name, n):
    import kipc
    q = kipc.JoinableQueue(name=name)
    for _ in range(n):
        q.get(timeout=60)
        q.task_done()


def get_named_and_use(q, out):
    """Take named objects from queue *q* (pickled at any time) and use
    them: release the lock, set the event, release the semaphore."""
    lock, ev, sem = q.get(timeout=60)
    lock.release()
    ev.set()
    sem.release()
    out.put((lock.name, ev.name, sem.name))


def acquire_release(lock, out):
    out.put(lock.acquire(timeout=60))
    lock.release()


def release_after(lock_or_sem, delay):
    import time
    time.sleep(delay)
    lock_or_sem.release()


# --- Pipe / Connection --------------------------------------------------------

def echo(conn):
    """Send back every object until None."""
    while True:
        obj = conn.recv()
        if obj is None:
            break
        conn.send(obj)
    conn.close()


def send_and_exit(conn, objs):
    for o in objs:
        conn.send(o)
    conn.close()


def recv_forever(conn, ready):
    ready.set()
    while True:
        conn.recv()


def send_conn(q, conn):
    """Pickle a Connection at an ordinary time: through a queue."""
    q.put(conn)


def recv_conn_and_send(q, obj):
    conn = q.get(timeout=60)
    conn.send(obj)
    conn.close()
