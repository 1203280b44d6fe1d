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
