# SPDX-License-Identifier: MIT
"""Named objects: create, open by name, unlink, and pickling by name at
any time; anonymous objects pickle only while spawning."""

import pickle
import uuid

import pytest

import children
import kipc

SYNC = {
    "Lock": lambda **kw: kipc.Lock(**kw),
    "RLock": lambda **kw: kipc.RLock(**kw),
    "Semaphore": lambda **kw: kipc.Semaphore(2, **kw),
    "BoundedSemaphore": lambda **kw: kipc.BoundedSemaphore(2, **kw),
    "Event": lambda **kw: kipc.Event(**kw),
    "Barrier": lambda **kw: kipc.Barrier(3, **kw),
    "Condition": lambda **kw: kipc.Condition(kipc.Lock(), **kw),
}
QUEUES = ("Queue", "SimpleQueue", "JoinableQueue")


def uname():
    return "kipc-test-" + uuid.uuid4().hex[:12]


@pytest.mark.parametrize("kind", sorted(SYNC))
def test_sync_create_open_unlink(kind):
    name = uname()
    with pytest.raises(FileNotFoundError):
        SYNC[kind](name=name)
    a = SYNC[kind](name=name, create=True)
    assert a.name == name
    with pytest.raises(FileExistsError):
        SYNC[kind](name=name, create=True)
    b = SYNC[kind](name=name)
    assert b.name == name
    assert a._params().parties == b._params().parties  # the same object
    if kind != "Condition":     # its anonymous lock cannot travel
        c = pickle.loads(pickle.dumps(a))              # at any time
        assert c.name == name
    a.unlink()
    with pytest.raises(FileNotFoundError):
        b.unlink()
    with pytest.raises(FileNotFoundError):
        SYNC[kind](name=name)
    if kind != "Condition":
        with pytest.raises(FileNotFoundError):
            pickle.loads(pickle.dumps(b))   # by name: the name is gone


def test_opened_objects_share_state():
    name = uname()
    lock = kipc.Lock(name=name, create=True)
    other = kipc.Lock(name=name)
    assert lock.acquire(False)
    assert not other.acquire(False)
    other.release()
    lock.unlink()

    sem = kipc.BoundedSemaphore(3, name=name, create=True)
    again = pickle.loads(pickle.dumps(sem))
    assert again.acquire(False) and sem.get_value() == 2
    again.release()
    with pytest.raises(ValueError):
        again.release()     # the bound came from the object
    sem.unlink()

    b = kipc.Barrier(4, name=name, create=True)
    assert kipc.Barrier(name=name).parties == 4
    with pytest.raises(TypeError):
        kipc.Barrier()
    b.unlink()

    ev = kipc.Event(name=name, create=True)
    pickle.loads(pickle.dumps(ev)).set()
    assert ev.is_set()
    ev.unlink()


def test_open_with_the_wrong_type():
    name = uname()
    lock = kipc.Lock(name=name, create=True)
    with pytest.raises(ValueError, match="not a kipc Event"):
        kipc.Event(name=name)
    with pytest.raises(ValueError):
        kipc.Semaphore(name=name)
    with pytest.raises(ValueError, match="not a kipc queue"):
        kipc.Queue(name=name)
    lock.unlink()


def test_bad_names():
    with pytest.raises(TypeError):
        kipc.Lock(name=b"bytes", create=True)
    with pytest.raises(ValueError):
        kipc.Lock(name="a\0b", create=True)
    for bad in ("a\nkipc-type:\tshm", "tab\there", "del\x7f"):
        with pytest.raises(ValueError, match="control character"):
            kipc.Lock(name=bad, create=True)
    shm = kipc.SharedMemory(name="caf\u00e9 / ok", create=True, size=1)
    shm.close()
    shm.unlink()
    with pytest.raises(OSError) as e:
        kipc.Lock(name="x" * 256, create=True)
    assert e.value.errno == 36  # ENAMETOOLONG
    with pytest.raises(ValueError):
        kipc.Lock(name="", create=True)
    with pytest.raises(ValueError):
        kipc.Lock().unlink()    # anonymous: no name


def test_named_condition_needs_its_lock():
    with pytest.raises(TypeError):
        kipc.Condition(name=uname(), create=True)
    name = uname()
    lock = kipc.Lock(name=name + "-lock", create=True)
    cond = kipc.Condition(lock, name=name, create=True)
    again = pickle.loads(pickle.dumps(cond))   # its lock travels by name
    with again:
        again.notify()
        assert not lock.acquire(False)
        assert again.wait(0.01) is False
    cond.unlink()
    lock.unlink()


def test_anonymous_objects_pickle_only_while_spawning():
    objs = [kipc.Lock(), kipc.RLock(), kipc.Semaphore(), kipc.Event(),
            kipc.BoundedSemaphore(), kipc.Condition(), kipc.Barrier(2),
            kipc.Queue(), kipc.SimpleQueue(), kipc.JoinableQueue()]
    for obj in objs:
        with pytest.raises(RuntimeError, match="should only be shared "
                           "between processes through inheritance"):
            pickle.dumps(obj)
    # A named Condition over an anonymous lock: the lock cannot travel.
    name = uname()
    cond = kipc.Condition(kipc.Lock(), name=name, create=True)
    with pytest.raises(RuntimeError):
        pickle.dumps(cond)
    cond.unlink()


@pytest.mark.parametrize("kind", QUEUES)
def test_queue_create_open_unlink(kind):
    name = uname()
    cls = getattr(kipc, kind)
    with pytest.raises(FileNotFoundError):
        cls(name=name)
    q = cls(name=name, create=True)
    with pytest.raises(FileExistsError):
        cls(name=name, create=True)
    other = cls(name=name)
    other.put("x")
    again = pickle.loads(pickle.dumps(q))
    assert again.name == q.name == name
    assert again.get() == "x"
    q.unlink()
    with pytest.raises(FileNotFoundError):
        cls(name=name)
    with pytest.raises(FileNotFoundError):
        q.unlink()
    q.put("still usable after unlink")
    assert other.get() == "still usable after unlink"


def test_named_queue_keeps_maxsize_and_geometry():
    name = uname()
    q = kipc.Queue(3, name=name, create=True, slot_size=256)
    other = kipc.Queue(name=name)
    assert other._ch.slot_size == 256 and other._ch.capacity == 4
    for i in range(3):
        other.put(i)
    assert q.full() and other.full()
    with pytest.raises(kipc.queues.Full):
        other.put(3, timeout=0.01)
    assert q.get() == 0
    other.put(3)
    assert [q.get() for _ in range(3)] == [1, 2, 3]
    q.unlink()


def test_failed_create_leaves_no_name():
    name = uname()
    blocker = kipc.Lock(name=name + "#lock", create=True)
    with pytest.raises(FileExistsError):
        kipc.JoinableQueue(3, name=name, create=True)
    for n in (name, name + "#gate", name + "#unfinished"):
        with pytest.raises(FileNotFoundError):
            kipc.unlink(n)
    blocker.unlink()    # someone else's name was left alone


@pytest.mark.parametrize("kind", ("Queue", "SimpleQueue"))
def test_open_by_name_in_a_child(ctx, kind):
    name = uname()
    q = getattr(kipc, kind)(name=name, create=True)
    p = ctx.Process(target=children.open_queue_and_put,
                    args=(name, [1, "two", b"3"], kind))
    p.start()
    got = [q.get() for _ in range(3)]
    p.join()
    assert p.exitcode == 0 and got == [1, "two", b"3"]
    q.unlink()


def test_joinable_queue_by_name_in_a_child(ctx):
    name = uname()
    q = kipc.JoinableQueue(name=name, create=True)
    for i in range(5):
        q.put(i)
    p = ctx.Process(target=children.open_joinable_and_consume, args=(name, 5))
    p.start()
    q.join()
    p.join()
    assert p.exitcode == 0 and q.empty()
    q.unlink()
    for suffix in ("#unfinished", "#lock", "#cond"):
        with pytest.raises(FileNotFoundError):
            kipc.synchronize.unlink(name + suffix)


def test_named_objects_sent_through_a_queue(ctx):
    """Named objects pickle at any time: here through a queue to a running
    child, which opens them by name."""
    names = [uname() for _ in range(3)]
    lock = kipc.Lock(name=names[0], create=True)
    ev = kipc.Event(name=names[1], create=True)
    sem = kipc.Semaphore(0, name=names[2], create=True)
    q, out = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=children.get_named_and_use, args=(q, out))
    p.start()
    lock.acquire()
    q.put((lock, ev, sem))
    assert out.get(timeout=60) == tuple(names)
    p.join()
    assert p.exitcode == 0
    assert lock.acquire(False) and ev.is_set() and sem.get_value() == 1
    lock.release()
    for o in (lock, ev, sem):
        o.unlink()


def test_spawning_passes_the_descriptor_even_after_unlink(ctx):
    name = uname()
    lock = kipc.Lock(name=name, create=True)
    out = ctx.Queue()
    lock.unlink()
    p = ctx.Process(target=children.acquire_release, args=(lock, out))
    p.start()
    assert out.get(timeout=60) is True
    p.join()
    assert p.exitcode == 0


def test_module_unlink():
    name = uname()
    kipc.Event(name=name, create=True)
    kipc.unlink(name)
    with pytest.raises(FileNotFoundError):
        kipc.unlink(name)
