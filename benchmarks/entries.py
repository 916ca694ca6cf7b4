"""The status page's and the change log's real share of a build, timed without a profiler.

    python -m benchmarks.entries OUT.json -- build PLAN -o OUT ...

Runs `python -m pipeline` with every function of the modules that keep the status page and the
change log (`floor.STATUS_AND_CHANGE_LOG_MODULES`) wrapped in a timer, and writes to OUT.json
the seconds spent in them, counting each call from outside the modules once (calls between their
own functions are inside it), and the build's wall time. cProfile slows exactly this kind of
pure-Python code most, so the profiled figure is only an upper bound; this one is the real cost.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import runpy
import sys
import time
from pathlib import Path

from benchmarks import floor

MODULES = tuple(f"pipeline.engine.{name.removesuffix('.py')}" for name in floor.STATUS_AND_CHANGE_LOG_MODULES)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[1] != "--":
        raise SystemExit(__doc__)
    out, arguments = Path(argv[0]), argv[2:]
    spent = {"seconds": 0.0, "depth": 0, "calls": 0}
    for name in MODULES:
        _wrap_functions(importlib.import_module(name), spent)
    sys.argv = ["pipeline", *arguments]
    code: object = 0
    started = time.perf_counter()
    try:
        runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
    except SystemExit as stop:  # Click ends with sys.exit
        code = stop.code
    finally:
        wall = time.perf_counter() - started
        out.write_text(json.dumps({"status_and_change_log_s": spent["seconds"], "calls": spent["calls"],
                                   "wall_s": wall}), "utf-8")
    return code if isinstance(code, int) else (0 if code is None else 1)


def _wrap_functions(module, spent: dict) -> None:
    """Replace each function defined in `module` by one that adds its time to `spent` when it
    is entered from outside the timed modules."""
    for name, function in list(vars(module).items()):
        if inspect.isfunction(function) and function.__module__ == module.__name__:
            setattr(module, name, _timed(function, spent))


def _timed(function, spent: dict):
    @functools.wraps(function)
    def timed(*arguments, **keywords):
        if spent["depth"]:
            return function(*arguments, **keywords)
        spent["depth"] += 1
        spent["calls"] += 1
        started = time.perf_counter()
        try:
            return function(*arguments, **keywords)
        finally:
            spent["seconds"] += time.perf_counter() - started
            spent["depth"] -= 1
    return timed


if __name__ == "__main__":
    sys.exit(main())
