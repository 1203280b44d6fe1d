# SPDX-License-Identifier: GPL-2.0-only
"""Shared pieces of the Python benchmarks: settings, timing, pinning, output.

Every suite module has a table of implementations (name -> factory) and a
run(settings) that yields result rows. A factory that raises ImportError or
AttributeError (``import kipc`` before kipc exists, or a kipc class not
there yet) is skipped with a note on stderr.
"""

import json
import multiprocessing
import os
import statistics
import sys
import time

# Every benchmark forks: objects are inherited, never pickled.
CTX = multiprocessing.get_context("fork")


class Settings:
    """Sizes of one run: --quick is short, the default is the full run."""

    def __init__(self, quick, reps=None):
        self.quick = quick
        self.reps = reps or (3 if quick else 5)

    def n(self, quick, full):
        return quick if self.quick else full


class Skip(Exception):
    """An implementation that cannot run here (kipc missing, ...)."""


def kipc_attr(path):
    """kipc's attribute at a dotted path, e.g. kipc_attr("Queue").

    Raises Skip when kipc, or that part of it, does not exist yet.
    """
    try:
        import kipc  # noqa: F401  (not there until the package lands)
    except ImportError as exc:
        raise Skip(f"kipc not importable ({exc})") from None
    obj = kipc
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Skip(f"kipc has no {path} yet") from None
    return obj


def note(msg):
    print(f"kipc-bench: {msg}", file=sys.stderr, flush=True)


# The CPUs this run may use, as found at start-up.
ALLOWED = sorted(os.sched_getaffinity(0))


def pin(cpu):
    """Pins the calling thread (and threads it starts later) to one CPU."""
    try:
        os.sched_setaffinity(0, {ALLOWED[cpu % len(ALLOWED)]})
    except OSError:
        pass


def unpin():
    try:
        os.sched_setaffinity(0, ALLOWED)
    except OSError:
        pass


now = time.perf_counter  # CLOCK_MONOTONIC: comparable between processes


def measure(settings, run, n):
    """Calls run(n) once with n // 4 as warm-up, then settings.reps times.

    run returns one value per call; the list of values is returned.
    """
    run(max(1, n // 4))
    return [run(n) for _ in range(settings.reps)]


def row(suite, case, impl, metric, values, unit):
    """A result row: the median of values, with their min and max."""
    med = statistics.median(values)
    print(f"  {suite:<12} {case:<18} {impl:<40} {metric:<14} {med:12.6g} {unit}"
          f"  [{min(values):.6g} .. {max(values):.6g}]", file=sys.stderr, flush=True)
    return {"suite": suite, "case": case, "impl": impl, "metric": metric,
            "value": med, "unit": unit, "min": min(values), "max": max(values),
            "reps": len(values)}


def emit(r):
    print(json.dumps(r), flush=True)
