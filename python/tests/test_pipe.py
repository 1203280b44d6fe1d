# SPDX-License-Identifier: MIT
"""kipc.Pipe and Connection against multiprocessing.Pipe's documented
behaviour, for each start method."""

import array
import asyncio
import os
import pickle
import signal
import threading
import time

import pytest
from multiprocessing import BufferTooShort

import children
from kipc.connection import Connection, Pipe, wait


def test_duplex_round_trip():
    a, b = Pipe()
    assert a.readable and a.writable and b.readable and b.writable
    a.send({"x": [1, 2]})
    b.send(("back", None))
    assert b.recv() == {"x": [1, 2]}
    assert a.recv() == ("back", None)
    a.send_bytes(b"raw")
    assert b.recv_bytes() == b"raw"
    a.send_bytes(b"")
    assert b.recv_bytes() == b""        # an empty message is not EOF
    a.close()
    b.close()
    assert a.closed and b.closed


def test_one_way():
    r, w = Pipe(duplex=False)
    assert r.readable and not r.writable
    assert w.writable and not w.readable
    with pytest.raises(OSError, match="read-only"):
        r.send(1)
    with pytest.raises(OSError, match="write-only"):
        w.recv()
    w.send(1)
    assert r.recv() == 1
    r.close()
    w.close()


def test_send_bytes_offset_size_and_errors():
    a, b = Pipe()
    data = bytearray(b"0123456789")
    a.send_bytes(data, 2)
    a.send_bytes(data, 2, 3)
    a.send_bytes(array.array("i", [1, 2, 3]), 4, 4)  # byte offset and size
    assert b.recv_bytes() == b"23456789"
    assert b.recv_bytes() == b"234"
    assert b.recv_bytes() == array.array("i", [2]).tobytes()
    with pytest.raises(ValueError, match="offset is negative"):
        a.send_bytes(data, -1)
    with pytest.raises(ValueError, match="buffer length < offset"):
        a.send_bytes(data, 11)
    with pytest.raises(ValueError, match="size is negative"):
        a.send_bytes(data, 0, -1)
    with pytest.raises(ValueError, match=r"buffer length < offset \+ size"):
        a.send_bytes(data, 5, 6)
    assert not b.poll()         # the failed calls sent nothing


def test_recv_bytes_maxlength():
    a, b = Pipe()
    a.send_bytes(b"12345")
    with pytest.raises(ValueError):
        b.recv_bytes(-1)
    with pytest.raises(OSError, match="bad message length"):
        b.recv_bytes(4)
    assert b.closed     # as multiprocessing: the connection is closed
    with pytest.raises(BrokenPipeError):
        a.send_bytes(b"x")
    a.close()


def test_recv_bytes_into():
    a, b = Pipe()
    buf = bytearray(8)
    a.send_bytes(b"abc")
    assert b.recv_bytes_into(buf) == 3
    assert buf[:3] == b"abc"
    a.send_bytes(b"xyz")
    assert b.recv_bytes_into(buf, 5) == 3
    assert buf == b"abc\0\0xyz"
    arr = array.array("i", [0] * 4)
    a.send_bytes(array.array("i", [7, 8]))
    assert b.recv_bytes_into(arr, 4) == 8
    assert arr.tolist() == [0, 7, 8, 0]
    with pytest.raises(ValueError, match="negative offset"):
        b.recv_bytes_into(buf, -1)
    with pytest.raises(ValueError, match="offset too large"):
        b.recv_bytes_into(buf, 9)
    a.send_bytes(b"too long for the buffer")
    with pytest.raises(BufferTooShort) as e:
        b.recv_bytes_into(buf)
    assert e.value.args[0] == b"too long for the buffer"
    assert not b.poll()         # the message was consumed


def test_poll_and_timeouts():
    a, b = Pipe()
    assert not b.poll()
    assert not b.poll(0)
    t0 = time.monotonic()
    assert not b.poll(0.2)
    assert time.monotonic() - t0 >= 0.19
    a.send(1)
    assert b.poll() and b.poll(None)
    assert b.recv() == 1
    a.close()
    assert b.poll(None)         # EOF counts as readable
    with pytest.raises(EOFError):
        b.recv()


def test_eof_after_drain_and_broken_pipe():
    a, b = Pipe()
    for i in range(3):
        a.send(i)
    a.close()
    assert [b.recv() for _ in range(3)] == [0, 1, 2]
    with pytest.raises(EOFError):
        b.recv()
    with pytest.raises(EOFError):
        b.recv_bytes()
    with pytest.raises(BrokenPipeError):
        b.send("nobody reads")
    with pytest.raises(BrokenPipeError):
        b.send_bytes(b"nobody reads")
    b.close()


def test_closed_connection():
    a, b = Pipe()
    a.close()
    a.close()       # twice is fine
    for call in (lambda: a.send(1), a.recv, a.recv_bytes, a.fileno, a.poll,
                 lambda: a.send_bytes(b"x"),
                 lambda: a.recv_bytes_into(bytearray(1))):
        with pytest.raises(OSError, match="handle is closed"):
            call()
    with pytest.raises(OSError):
        wait([a], 0)
    b.close()


def test_large_messages():
    a, b = Pipe()
    big = os.urandom(100_000)
    a.send(big)
    a.send_bytes(big)
    assert b.recv() == big
    assert b.recv_bytes() == big
    a.close()
    b.close()


def test_context_manager_and_fileno():
    a, b = Pipe()
    with a, b:
        assert isinstance(a.fileno(), int) and a.fileno() != b.fileno()
    assert a.closed and b.closed


def test_wait_on_connections():
    a, b = Pipe()
    r, w = Pipe(duplex=False)
    assert wait([b, r], 0) == []
    a.send(1)
    assert wait([b, r], 0) == [b]
    w.close()
    assert wait([b, r], 0) == [b, r]    # EOF is ready
    for c in (a, b, r):
        c.close()


def test_context_pipe_is_kipc(ctx):
    a, b = ctx.Pipe()
    assert isinstance(a, Connection)
    r, w = ctx.Pipe(False)
    assert not r.writable and not w.readable
    for c in (a, b, r, w):
        c.close()


def test_echo_child(ctx):
    a, b = ctx.Pipe()
    p = ctx.Process(target=children.echo, args=(b,))
    p.start()
    b.close()
    objs = [1, "two", b"3" * 5000, list(range(100))]
    for o in objs:
        a.send(o)
        assert a.recv() == o
    a.send(None)    # stop (a forked child holds our end too: no EOF)
    p.join()
    a.close()
    assert p.exitcode == 0


def test_child_exits_reader_gets_eof(ctx):
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=children.send_and_exit, args=(w, [1, 2, 3]))
    p.start()
    w.close()
    got = [r.recv() for _ in range(3)]
    with pytest.raises(EOFError):
        r.recv()
    p.join()
    assert got == [1, 2, 3]
    r.close()


def test_killed_peer(ctx):
    """A peer killed with SIGKILL: a blocked recv() ends with EOFError,
    and send() raises BrokenPipeError, at once."""
    a, b = ctx.Pipe()
    ready = ctx.Event()
    p = ctx.Process(target=children.recv_forever, args=(b, ready))
    p.start()
    b.close()
    assert ready.wait(60)
    a.send("one")
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    with pytest.raises(BrokenPipeError):
        a.send("after")
    with pytest.raises(EOFError):
        a.recv()
    a.close()


def test_blocked_recv_woken_by_kill(ctx):
    """recv() blocked on a peer that gets killed raises EOFError."""
    a, b = ctx.Pipe()
    ready = ctx.Event()
    p = ctx.Process(target=children.recv_forever, args=(b, ready))
    p.start()
    b.close()
    assert ready.wait(60)
    out = []

    def reader():
        try:
            a.recv()
        except EOFError as e:
            out.append(e)
    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.2)
    assert t.is_alive()         # blocked: nothing was sent
    os.kill(p.pid, signal.SIGKILL)
    t.join(60)
    assert not t.is_alive() and len(out) == 1
    p.join()
    a.close()


def test_pickled_at_any_time(ctx):
    """A Connection pickles while the child runs (not only as a Process
    argument): through a queue, as multiprocessing's does."""
    q = ctx.Queue()
    a, b = Pipe()
    p = ctx.Process(target=children.recv_conn_and_send, args=(q, "hi"))
    p.start()
    q.put(b)
    assert a.recv() == "hi"
    p.join()
    assert p.exitcode == 0
    b.close()
    with pytest.raises(EOFError):
        a.recv()
    a.close()


def test_pickle_in_process_round_trip():
    a, b = Pipe()
    c = pickle.loads(pickle.dumps(b))
    c.send(5)
    assert a.recv() == 5
    for x in (a, b, c):
        x.close()


def test_asyncio_recv_send():
    a, b = Pipe(capacity=2)

    async def main():
        task = asyncio.ensure_future(b.recv_async())
        await asyncio.sleep(0.05)
        assert not task.done()
        a.send("x")
        assert await asyncio.wait_for(task, 60) == "x"
        await a.send_async(1)
        await a.send_async(2)
        sender = asyncio.ensure_future(a.send_async(3))   # ring full
        await asyncio.sleep(0.05)
        assert not sender.done()
        assert await b.recv_async() == 1
        await asyncio.wait_for(sender, 60)
        with pytest.raises(TimeoutError):
            await a.send_async(4, timeout=0.05)
        assert [await b.recv_async(), await b.recv_async()] == [2, 3]
        with pytest.raises(TimeoutError):
            await b.recv_async(timeout=0.05)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(b.recv_async(), 0.05)
        a.close()
        with pytest.raises(EOFError):
            await b.recv_async()
        with pytest.raises(BrokenPipeError):
            await b.send_async(0)
    asyncio.run(main())
    b.close()


def test_asyncio_with_a_child(ctx):
    a, b = ctx.Pipe()
    p = ctx.Process(target=children.echo, args=(b,))
    p.start()
    b.close()

    async def main():
        out = []
        for i in range(20):
            await a.send_async(i)
            out.append(await asyncio.wait_for(a.recv_async(), 60))
        await a.send_async(None)
        return out
    assert asyncio.run(main()) == list(range(20))
    p.join()
    a.close()


def test_bad_arguments():
    with pytest.raises(ValueError):
        Pipe(capacity=3)
    with pytest.raises(ValueError):
        Pipe(slot_size=7)
    r, w = os.pipe()
    with pytest.raises(OSError):
        Connection(r)       # not a kipc descriptor: closed
    with pytest.raises(OSError):
        os.close(r)
    os.close(w)
