# SPDX-License-Identifier: GPL-2.0-only
"""memory: what 1,000 objects cost, per object.

A forked child creates the objects and reports the growth of its resident
set (VmRSS) and of the kernel's memory as /proc/meminfo shows it (Slab +
Shmem + PageTables + VmallocUsed, where kipc's object memory is;
system-wide, so run on a quiet machine). For kipc
objects it also reports what the driver itself allocated per object: the
sum of ``kipc-size`` over the new descriptors' fdinfo (metric
``driver_per_object``) and how many driver objects each one took
(``/sys/class/misc/kipc/objects``, metric ``driver_objects_per_object``).
Rows are (case, impl, factory); ratios compare impls of the same case.
Queues are compared at a pipe's buffer: a kipc.Queue of 16 slots of 4 KiB
(64 KiB, like the 64 KiB pipe under a multiprocessing.Queue). Shared memory
blocks are one page each; named ones are unlinked before the child exits.
"""

import os
import resource

from harness import CTX, Skip, kipc_attr, row

COUNT = 1000



def _mp_shm():
    from multiprocessing import shared_memory
    return shared_memory.SharedMemory(create=True, size=4096)


IMPLS = {
    "multiprocessing.Lock": ("1000 locks", CTX.Lock),
    "multiprocessing.Semaphore": ("1000 semaphores", CTX.Semaphore),
    "multiprocessing.Queue": ("1000 queues", CTX.Queue),
    "multiprocessing.shared_memory.SharedMemory":
        ("1000 shm blocks", _mp_shm),
    "kipc.Lock": ("1000 locks", lambda: kipc_attr("Lock")()),
    "kipc.Semaphore": ("1000 semaphores", lambda: kipc_attr("Semaphore")()),
    "kipc.Queue": ("1000 queues", lambda: kipc_attr("Queue")(capacity=16)),
    "kipc.SharedMemory": ("1000 shm blocks",
                          lambda: kipc_attr("SharedMemory")(create=True,
                                                            size=4096)),
}


def _release(objs):
    """Unlink named blocks (nothing may stay in /dev/shm), close them."""
    for o in objs:
        for method in ("close", "unlink"):
            fn = getattr(o, method, None)
            if fn is not None and hasattr(o, "buf"):
                try:
                    fn()
                except OSError:
                    pass


def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _kernel():
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, val = line.split(":", 1)
            fields[key] = int(val.split()[0]) * 1024
    return sum(fields.get(k, 0)
               for k in ("Slab", "Shmem", "PageTables", "VmallocUsed"))


KIPC_OBJECTS = "/sys/class/misc/kipc/objects"


def _driver_objects():
    try:
        with open(KIPC_OBJECTS) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _kipc_sizes():
    """fd -> kipc-size of this process's descriptors on kipc objects."""
    sizes = {}
    for fd in os.listdir("/proc/self/fdinfo"):
        try:
            with open(f"/proc/self/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("kipc-size:"):
                        sizes[fd] = int(line.split()[1])
                        break
        except (OSError, ValueError):
            pass
    return sizes


def _child(factory, w):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 8 * COUNT)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    _release([factory()])  # first-use costs (imports, code) not counted
    before, objs = _kipc_sizes(), _driver_objects()
    rss, kern = _rss(), _kernel()
    try:
        keep = [factory() for _ in range(COUNT)]
    except OSError as exc:  # e.g. EDQUOT: the driver's per-user limit
        w.send(exc)
        return
    rss, kern = (_rss() - rss) / COUNT, (_kernel() - kern) / COUNT
    after, objs_after = _kipc_sizes(), _driver_objects()
    driver = sum(v for fd, v in after.items() if fd not in before) / COUNT
    nobj = None if objs is None or objs_after is None else (objs_after - objs) / COUNT
    w.send((rss, kern, driver, nobj))
    _release(keep)
    del keep


def _one_run(factory):
    r, w = CTX.Pipe(duplex=False)
    p = CTX.Process(target=_child, args=(factory, w))
    p.start()
    w.close()  # a child that dies makes recv() fail instead of hanging
    try:
        got = r.recv()
    except EOFError:
        got = None
    p.join()
    if isinstance(got, OSError):
        raise Skip(f"cannot create {COUNT} of them: {got}")
    if got is None:
        raise RuntimeError(f"child exited with {p.exitcode} without a result")
    return got


def bench(settings, name, impl):
    case, factory = impl
    _release([factory()])  # raises Skip here, before forking
    runs = [_one_run(factory) for _ in range(settings.reps)]
    rows = [
        row("memory", case, name, "rss_per_object", [r[0] for r in runs], "B"),
        row("memory", case, name, "kernel_per_object", [r[1] for r in runs], "B"),
    ]
    if name.startswith("kipc."):
        rows.append(row("memory", case, name, "driver_per_object",
                        [r[2] for r in runs], "B"))
        if all(r[3] is not None for r in runs):
            rows.append(row("memory", case, name, "driver_objects_per_object",
                            [r[3] for r in runs], "obj"))
    return rows
