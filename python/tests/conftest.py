# SPDX-License-Identifier: MIT
"""kipc's Python tests. They need the kipc module loaded: run them in the
VM (tools/vm/run -- /usr/bin/python3 -m pytest -p no:cacheprovider
python/tests). Without /dev/kipc they fail -- never skip."""

import gc
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # python/, for kipc
sys.path.insert(0, HERE)                   # helpers for spawned children

SYSFS = "/sys/class/misc/kipc/"
METHODS = ("fork", "spawn", "forkserver")


def kipc_counts():
    with open(SYSFS + "objects") as f:
        objects = int(f.read())
    with open(SYSFS + "names") as f:
        names = int(f.read())
    return objects, names


def dev_shm():
    return sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else []


@pytest.fixture(autouse=True)
def no_leaks():
    """Every test leaves the driver's object and name counts as it found
    them and nothing in /dev/shm."""
    assert os.path.exists("/dev/kipc"), "the kipc module is not loaded"
    gc.collect()
    before = kipc_counts()
    shm_before = dev_shm()
    yield
    gc.collect()
    assert kipc_counts() == before, "kipc objects or names leaked"
    assert dev_shm() == shm_before == [], "something was left in /dev/shm"


@pytest.fixture(params=METHODS)
def ctx(request):
    import kipc
    return kipc.get_context(request.param)
