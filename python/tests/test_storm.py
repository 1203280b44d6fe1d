# SPDX-License-Identifier: MIT
"""Kill storms: over 1,000 SIGKILLs of forked producers, consumers, lock
holders and barrier parties in the middle of their work, with exact
accounting afterwards (Documentation/python.rst, "Crashes").

Every cycle is cheap: fork (the fork start method's own primitive), let the
child run 0-20 ms, SIGKILL it, reap it, check. Every wait has a deadline,
so a stuck waiter fails the test instead of hanging it. KIPC_TEST_SCALE=N
divides the kill counts by N."""

import ctypes
import mmap
import os
import queue
import random
import signal
import struct
import threading
import time
import warnings
import zlib

import pytest

import kipc


def _scaled(n):
    s = max(1, int(os.environ.get("KIPC_TEST_SCALE", "1") or 1))
    return max(1, n // s)


def _fork(fn, *args):
    """A child running fn(*args); it exits 0 on return, 1 on an exception,
    and never runs the parent's atexit or pytest machinery."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn(*args)
            code = 0
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _kill(pid):
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
        f"child {pid} ended with status {status:#x} before it was killed"


def _reap(pid, seconds=10.0):
    """The child's exit code, within *seconds* (else it is killed and the
    test fails: a stuck waiter)."""
    end = time.monotonic() + seconds
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"child {pid} did not finish within {seconds} s")
        time.sleep(0.002)


def _Journal(words):
    """Shared anonymous memory (inherited by fork) of 32-bit words, each
    written by one process at a time with one store (struct.pack_into
    writes byte by byte: a kill could tear a word)."""
    return (ctypes.c_uint32 * words).from_buffer(mmap.mmap(-1, 4 * words))


# --- queues ---------------------------------------------------------------

PRODUCERS = 256         # producer instances per run (journal rows)
SEQS = 8192
CONSUMERS = 1024        # consumer instances (journal words)


def _item(inst, seq):
    crc = zlib.crc32(struct.pack("=II", inst, seq))
    return (inst, seq, crc, b"x" * (seq % 23))


def _check_item(it):
    inst, seq, crc, pad = it
    assert crc == zlib.crc32(struct.pack("=II", inst, seq)), it
    assert pad == b"x" * (seq % 23), it
    return inst, seq


class _QState:
    """committed[inst]: producer inst's seqs below it are committed (put
    returned); busy[c]: consumer c is inside get() or has not yet counted
    what it returned; recv[inst * SEQS + seq]: times received."""

    def __init__(self):
        self.committed = _Journal(PRODUCERS)
        self.busy = _Journal(CONSUMERS)
        self.recv = mmap.mmap(-1, PRODUCERS * SEQS)

    def count(self, inst, seq):
        i = inst * SEQS + seq
        self.recv[i] = self.recv[i] + 1  # one consumer per item: no race


def _producer(q, st, inst):
    for seq in range(SEQS):
        if seq % 5 == 4:
            q.put_many([_item(inst, seq)], timeout=30)
        else:
            q.put(_item(inst, seq), timeout=30)
        st.committed[inst] = seq + 1
    time.sleep(3600)    # until killed


def _consumer(q, st, c, drain=False):
    while True:
        st.busy[c] = 1
        try:
            it = q.get(timeout=0.3 if drain else 30)
        except queue.Empty:
            st.busy[c] = 0
            return
        inst, seq = _check_item(it)
        st.count(inst, seq)
        st.busy[c] = 0


def _queue_storm(q, kills, maxsize):
    """Random kills of 2 producers and 2 consumers of *q*; then a drain and
    the accounting. Returns how many kills happened."""
    st = _QState()
    rng = random.Random(os.getpid())
    prods, cons = [], []
    nprod = ncons = 0
    for _ in range(2):
        prods.append((nprod, _fork(_producer, q, st, nprod)))
        nprod += 1
        cons.append((ncons, _fork(_consumer, q, st, ncons)))
        ncons += 1
    maybe_lost = 0
    dropped0 = _stats(q).dropped
    for k in range(kills):
        time.sleep(rng.random() * 0.02)
        if k % 2:
            i = rng.randrange(len(prods))
            inst, pid = prods[i]
            _kill(pid)
            # Each instance sends its own seqs: the put a killed producer
            # may have finished without journaling is never sent twice.
            assert nprod < PRODUCERS
            prods[i] = (nprod, _fork(_producer, q, st, nprod))
            nprod += 1
        else:
            i = rng.randrange(len(cons))
            c, pid = cons[i]
            _kill(pid)
            maybe_lost += st.busy[c]
            assert ncons < CONSUMERS
            cons[i] = (ncons, _fork(_consumer, q, st, ncons))
            ncons += 1
        # No kill ever moves the gate: the queue never holds more (qsize
        # counts positions: a put killed between its two CASes can leave
        # one skipped position counted until a consumer passes it).
        assert q.qsize() <= (maxsize or q._ch.capacity) + 1
    for _, pid in prods:
        _kill(pid)
    for c, pid in cons:
        _kill(pid)
        maybe_lost += st.busy[c]
    # Drain in this process (counted as consumer instance ncons).
    _consumer(q, st, ncons, drain=True)
    assert q.qsize() == 0 and q.empty()
    dropped = _stats(q).dropped - dropped0

    missing = 0
    for inst in range(nprod):
        committed = st.committed[inst]
        row = st.recv[inst * SEQS:(inst + 1) * SEQS]
        assert max(row) <= 1, f"producer {inst}: a message was duplicated"
        extra = [i for i in range(committed + 1, SEQS) if row[i]]
        assert not extra, f"producer {inst} committed {committed} seqs " \
            f"but these never put were received: {extra[:10]}"
        missing += row[:committed].count(0)
    # A message vanishes only with a consumer killed while it held it:
    # inside get() (the kernel counts it dropped) or before it counted
    # what get() returned.
    assert dropped <= missing <= maybe_lost, (dropped, missing, maybe_lost)
    return kills


def _stats(q):
    import ctypes
    from kipc import _lib
    s = _lib.kipc_channel_stats()
    assert _lib.kipc_channel_stats_fn(q._ch._h, ctypes.byref(s)) == 0
    return s


def _exact_capacity(q, maxsize):
    """The queue takes exactly maxsize items, qsize() counts them, and the
    next put finds it full; then it is empty again."""
    assert q.qsize() == 0
    for i in range(maxsize):
        assert not q.full()
        q.put_nowait(i)
        assert q.qsize() == i + 1
    assert q.full()
    with pytest.raises(queue.Full):
        q.put_nowait("one too many")
    with pytest.raises(queue.Full):
        q.put("one too many", timeout=0.05)
    assert [q.get_nowait() for _ in range(maxsize)] == list(range(maxsize))
    with pytest.raises(queue.Empty):
        q.get_nowait()
    assert q.qsize() == 0


@pytest.mark.parametrize("maxsize,kills", [(5, 260), (3, 120), (0, 120)])
def test_queue_kill_storm(maxsize, kills):
    """Producers and consumers of a Queue killed at random instants: no
    message duplicated, corrupted or invented; every committed message
    received unless a killed consumer held it; and a maxsize that is not a
    power of two is exactly the capacity afterwards (no kill moved the
    gate)."""
    q = kipc.Queue(maxsize, capacity=16 if maxsize == 0 else None)
    _queue_storm(q, _scaled(kills), maxsize)
    _exact_capacity(q, maxsize or 16)
    q.close()


def _hold_gate_then_die(q, how):
    """Die where a kill costs an old gate its unit: a producer between the
    gate and the ring, a consumer between the ring and the gate."""
    if how == "put":
        q.put(1)
        q.put(2, timeout=30)    # full: blocks until killed
    else:
        q.get(timeout=30)       # empty: blocks until killed


@pytest.mark.parametrize("how", ["put", "get"])
def test_blocked_gate_kills_keep_maxsize(how):
    """Many producers killed while blocked on a full gated queue, and
    consumers killed while blocked on an empty one, change nothing."""
    q = kipc.Queue(3)
    if how == "put":
        q.put_many([0, 0])
    for _ in range(_scaled(40)):
        pid = _fork(_hold_gate_then_die, q, how)
        time.sleep(0.005 + random.random() * 0.01)
        _kill(pid)
    while not q.empty():
        q.get_nowait()
    _exact_capacity(q, 3)
    q.close()


# --- locks ----------------------------------------------------------------

def _lock_holder(lock, st, rlock):
    """Take the lock, hold it briefly, release; again. st[0]: 1 about to
    acquire or acquiring, 2 holding, 3 releasing, 0 not holding."""
    rng = random.Random(os.getpid())
    while True:
        st[0] = 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kipc.OwnerDeadWarning)
            assert lock.acquire(timeout=30)
        levels = 1
        if rlock:
            levels += rng.randrange(3)
            for _ in range(levels - 1):
                assert lock.acquire(timeout=1)
        st[0] = 2
        time.sleep(rng.random() * 0.002)
        st[0] = 3
        for _ in range(levels):
            lock.release()
        st[0] = 0
        time.sleep(rng.random() * 0.001)


@pytest.mark.parametrize("kind,kills", [("Lock", 170), ("RLock", 170)])
def test_lock_holder_kill_storm(kind, kills):
    """A holder killed at a random instant: the next acquirer (this
    process) gets the lock within its deadline, with OwnerDeadWarning
    exactly when the dead child held it, and the lock works on."""
    lock = getattr(kipc, kind)()
    st = _Journal(1)
    rng = random.Random(os.getpid())
    died_holding = 0
    for _ in range(_scaled(kills)):
        st[0] = 0
        pid = _fork(_lock_holder, lock, st, kind == "RLock")
        # A forked child may take longer to start than the kill delay
        # (the debug kernel): kill it in its loop, not before it.
        start = time.monotonic()
        while st[0] == 0 and time.monotonic() - start < 30:
            time.sleep(0.0002)
        time.sleep(rng.random() * 0.02)
        _kill(pid)
        state = st[0]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always", kipc.OwnerDeadWarning)
            t0 = time.monotonic()
            assert lock.acquire(timeout=10), "stuck: the dead holder's lock"
            assert time.monotonic() - t0 < 10
        warned = any(issubclass(x.category, kipc.OwnerDeadWarning) for x in w)
        if state == 2:
            assert warned, "a dead holder's lock was handed over silently"
        elif state == 0:
            assert not warned, "owner death reported for a free lock"
        died_holding += warned
        lock.release()
        # Recovered (marked consistent): an ordinary lock again.
        assert lock.acquire(False)
        lock.release()
    assert died_holding > 0


# --- barriers -------------------------------------------------------------

def _party(b, st, i):
    """Wait at the barrier until it breaks; st[i] = generations passed,
    then st[i] |= BROKE when BrokenBarrierError arrived."""
    n = 0
    while True:
        try:
            b.wait(timeout=30)
        except threading.BrokenBarrierError:
            st[i] = n | _BROKE
            return
        n += 1
        st[i] = n


_BROKE = 1 << 31


def test_barrier_party_kill_storm():
    """Three parties; one killed at a random instant (working or waiting):
    the two others get BrokenBarrierError promptly, never hang; reset()
    makes the barrier usable for the next round."""
    b = kipc.Barrier(3)
    st = _Journal(3)
    rng = random.Random(os.getpid())
    for _ in range(_scaled(150)):
        for i in range(3):
            st[i] = 0
        pids = [_fork(_party, b, st, i) for i in range(3)]
        time.sleep(rng.random() * 0.02)
        victim = rng.randrange(3)
        _kill(pids[victim])
        for i in range(3):
            if i != victim:
                assert _reap(pids[i], 10) == 0
                assert st[i] & _BROKE, "a party returned without the break"
        # The survivors passed the same generations (or one fewer: the
        # last generation's releases raced the kill).
        gens = [st[i] & ~_BROKE for i in range(3) if i != victim]
        assert abs(gens[0] - gens[1]) <= 1
        assert b.broken
        b.reset()
        assert not b.broken and b.n_waiting == 0
