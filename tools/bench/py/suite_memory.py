# SPDX-License-Identifier: GPL-2.0-only
"""memory: what 1,000 objects cost, per object.

A forked child creates the objects and reports the growth of its resident
set (VmRSS) and of the kernel's memory as /proc/meminfo shows it (Slab +
Shmem + PageTables; system-wide, so run on a quiet machine). Rows are
(case, impl, factory); ratios compare impls of the same case.
"""

import resource

from harness import CTX, kipc_attr, row

COUNT = 1000

IMPLS = {
    "multiprocessing.Lock": ("1000 locks", CTX.Lock),
    "multiprocessing.Queue": ("1000 queues", CTX.Queue),
    "kipc.Lock": ("1000 locks", lambda: kipc_attr("Lock")()),
    "kipc.Queue": ("1000 queues", lambda: kipc_attr("Queue")()),
}


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
    return sum(fields.get(k, 0) for k in ("Slab", "Shmem", "PageTables"))


def _child(factory, w):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 8 * COUNT)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    factory()  # first-use costs (imports, pages of code) are not counted
    rss, kern = _rss(), _kernel()
    keep = [factory() for _ in range(COUNT)]
    w.send(((_rss() - rss) / COUNT, (_kernel() - kern) / COUNT))
    del keep


def _one_run(factory):
    r, w = CTX.Pipe(duplex=False)
    p = CTX.Process(target=_child, args=(factory, w))
    p.start()
    got = r.recv()
    p.join()
    return got


def bench(settings, name, impl):
    case, factory = impl
    factory()  # raises Skip here, before forking
    runs = [_one_run(factory) for _ in range(settings.reps)]
    return [
        row("memory", case, name, "rss_per_object", [r[0] for r in runs], "B"),
        row("memory", case, name, "kernel_per_object", [r[1] for r in runs], "B"),
    ]
