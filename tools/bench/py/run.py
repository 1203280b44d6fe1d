# SPDX-License-Identifier: GPL-2.0-only
"""Runs the Python suites; result rows go to stdout as JSON lines.

usage: /usr/bin/python3 tools/bench/py/run.py [--quick] [--reps N]
       [--suite NAME]... [--impl NAME]...
"""

import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import suite_array  # noqa: E402
import suite_condition  # noqa: E402
import suite_lock  # noqa: E402
import suite_memory  # noqa: E402
import suite_objects  # noqa: E402
import suite_pool  # noqa: E402

SUITES = {
    "objects": suite_objects,
    "lock": suite_lock,
    "condition": suite_condition,
    "array": suite_array,
    "pool": suite_pool,
    "memory": suite_memory,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--suite", action="append", choices=sorted(SUITES))
    ap.add_argument("--impl", action="append")
    args = ap.parse_args()
    settings = harness.Settings(args.quick, args.reps)
    failed = []
    for suite in args.suite or SUITES:
        module = SUITES[suite]
        for name, impl in module.IMPLS.items():
            if args.impl and name not in args.impl:
                continue
            try:
                for r in module.bench(settings, name, impl):
                    harness.emit(r)
            except harness.Skip as exc:
                harness.note(f"{suite} {name}: skipped: {exc}")
            except Exception:  # report, go on with the other rows
                traceback.print_exc()
                harness.note(f"{suite} {name}: FAILED")
                failed.append(f"{suite}/{name}")
    if failed:
        harness.note("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
