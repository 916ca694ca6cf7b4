"""Where a build's time goes: `python -m pipeline` with its parent profiled and every task timed.

    python -m benchmarks.profiled PROFILE TASKS -- build PLAN -o OUT ...

- PROFILE gets the cProfile statistics (pstats format) of the build's parent process only: a
  forked worker switches the inherited profiler off at once, so workers run at full speed.
- TASKS gets one JSON line per task a worker ran (and per merge of a long overview, which the
  parent does): what it made, when it started (wall clock), its wall and CPU seconds, the pid.

Profiling slows the parent's Python code, so a profiled build is never one of the timed runs:
its figures are shares and upper bounds (a function's time under the profiler is at least its
real time). The main benchmark (`python -m benchmarks`) runs it after the timed builds and
reads both files with `parent_profile` and `worker_tasks` below.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks import floor

# How a task's function is recognised when its first argument is not a document: by a piece of
# its qualified name (the worker functions wrap the real work in a lambda).
TASK_NAMES = (("_prepare", "overview PDF: cut into parts (parent)"), ("_layout", "overview PDF: lay out a part"),
              ("_footers", "overview PDF: lay out the footers"), ("library_versions", "overview PDF: library versions"),
              ("finish", "overview PDF: merge the parts (parent)"), ("import_module", "worker start-up import"))
# Document kinds (the pipeline's DocumentKind values) by the group the report shows them in.
GROUPS = {"orienteringssag": "Word", "droeftelse": "Word", "oversigt": "overview PDF",
          "webside": "web page (HTML)"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[2] != "--":
        raise SystemExit(__doc__)
    profile_path, tasks_path, arguments = Path(argv[0]), Path(argv[1]), argv[3:]
    _time_worker_tasks(tasks_path)
    profiler = cProfile.Profile()
    os.register_at_fork(after_in_child=profiler.disable)
    sys.argv = ["pipeline", *arguments]
    code: object = 0
    profiler.enable()
    try:
        runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
    except SystemExit as stop:  # Click ends with sys.exit
        code = stop.code
    finally:
        profiler.disable()
        profiler.dump_stats(profile_path)
    return code if isinstance(code, int) else (0 if code is None else 1)


def _time_worker_tasks(path: Path) -> None:
    """Wrap the function that runs every worker task, so each task appends a line to `path`."""
    module = floor.worker_tasks_module()
    run_task = module._guarded

    def timed(function, *arguments):
        started, wall, cpu = time.time(), time.perf_counter(), time.process_time()
        try:
            return run_task(function, *arguments)
        finally:
            record = {"task": _task_name(function, arguments), "pid": os.getpid(), "start": started,
                      "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, line)  # one small O_APPEND write: lines never interleave
            finally:
                os.close(descriptor)

    timed.__wrapped__ = run_task
    module._guarded = timed


def _task_name(function, arguments: tuple) -> str:
    kind = getattr(getattr(arguments[0], "kind", None), "value", None) if arguments else None
    if kind:
        return kind
    qualified = getattr(function, "__qualname__", repr(function))
    return next((name for piece, name in TASK_NAMES if piece in qualified), qualified)


# --- Reading the results ------------------------------------------------------------------------

def worker_tasks(path: Path, started_at: float) -> dict:
    """Summarise a TASKS file: seconds per group (wall and CPU), when rendering began and ended
    (seconds after `started_at`, the build's start), and how busy the worker processes were."""
    tasks = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()] if path.exists() else []
    tasks = [t for t in tasks if t["task"] != "worker start-up import"]
    # The parent's own timed steps (cutting and merging a long overview) are listed in the detail;
    # the groups, and when rendering began and ended, are the workers'.
    workers = [t for t in tasks if not t["task"].endswith("(parent)")]
    groups: dict[str, dict[str, float]] = defaultdict(lambda: {"tasks": 0, "wall_s": 0.0, "cpu_s": 0.0})
    for task in workers:
        group = GROUPS.get(task["task"]) or ("overview PDF" if task["task"].startswith("overview") else task["task"])
        groups[group]["tasks"] += 1
        groups[group]["wall_s"] += task["wall_s"]
        groups[group]["cpu_s"] += task["cpu_s"]
    detail: dict[str, dict[str, float]] = defaultdict(lambda: {"tasks": 0, "wall_s": 0.0})
    for task in tasks:
        detail[task["task"]]["tasks"] += 1
        detail[task["task"]]["wall_s"] += task["wall_s"]
    if not workers:
        return {"groups": {}, "detail": dict(detail), "first_s": None, "last_s": None, "processes": 0}
    return {
        "groups": dict(groups),
        "detail": dict(detail),
        "first_s": min(t["start"] for t in workers) - started_at,
        "last_s": max(t["start"] + t["wall_s"] for t in workers) - started_at,
        "processes": len({t["pid"] for t in workers}),
    }


def parent_profile(path: Path, top: int = 8) -> dict:
    """Summarise a PROFILE file: the parent's total, its time waiting for the workers, the
    pipeline functions with the most cumulative time (of those not waiting for the workers), and
    the status page's and change log's share."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # (file, line, name) → (primitive calls, calls, own s, cumulative s, callers)
    total = max((ct for _, _, _, ct, _ in entries.values()), default=0.0)
    waits = [key for key in entries
             if key[2] == "wait" and key[0].endswith(os.path.join("concurrent", "futures", "_base.py"))]
    waiting = sum(entries[key][3] for key in waits)
    # The functions that wait for the workers (the build's main line: cli → build → render_all)
    # and the entry points (which Click calls) have about the whole build as cumulative time;
    # the parent's own work is everything else.
    waiters = _callers_of(entries, waits)
    ours = [(_where(key), ct) for key, (_, _, _, ct, _) in entries.items()
            if _is_pipeline(key[0]) and key not in waiters and ct < 0.95 * total]
    ours.sort(key=lambda item: -item[1])
    return {"total_s": total, "waiting_for_workers_s": waiting,
            "top": [{"function": name, "cumulative_s": ct} for name, ct in ours[:top]],
            "status_and_change_log_s": module_share(entries, floor.STATUS_AND_CHANGE_LOG_MODULES),
            "status_and_change_log": _module_functions(entries, floor.STATUS_AND_CHANGE_LOG_MODULES)}


def _callers_of(entries: dict, keys: list) -> set:
    """Return the pipeline functions that (directly or not) called one of `keys`, and `keys`.

    Only pipeline code is followed: a profile knows callers per function, not per call stack,
    so going through shared library code (imports, pathlib) would reach everything."""
    found, todo = set(keys), list(keys)
    while todo:
        for caller in entries.get(todo.pop(), (0, 0, 0, 0, {}))[4]:
            if caller not in found and _is_pipeline(caller[0]):
                found.add(caller)
                todo.append(caller)
    return found


def module_share(entries: dict, file_names: tuple[str, ...]) -> float:
    """Return the seconds spent in the pipeline modules named `file_names`, counting each call
    into them from outside once (with everything it called), so nested calls are not counted twice."""
    def inside(file):
        return _is_pipeline(file) and os.path.basename(file) in file_names
    seconds = 0.0
    for (file, _, _), (_, _, _, _, callers) in entries.items():
        if inside(file):
            seconds += sum(edge[3] for caller, edge in callers.items() if not inside(caller[0]))
    return seconds


def _module_functions(entries: dict, file_names: tuple[str, ...]) -> list[dict]:
    """Return the functions of those modules entered from outside them, with their seconds."""
    def inside(file):
        return _is_pipeline(file) and os.path.basename(file) in file_names
    found = []
    for key, (_, _, _, _, callers) in entries.items():
        if inside(key[0]):
            seconds = sum(edge[3] for caller, edge in callers.items() if not inside(caller[0]))
            if seconds > 0:
                found.append({"function": _where(key), "cumulative_s": seconds})
    return sorted(found, key=lambda item: -item["cumulative_s"])


def _is_pipeline(file: str) -> bool:
    return f"{os.sep}pipeline{os.sep}" in file


def _where(key: tuple[str, int, str]) -> str:
    """`build.py:_Build.run`-style name of a profile entry: the file inside pipeline/ and the function."""
    file, _, name = key
    inside = file.split(f"{os.sep}pipeline{os.sep}", 1)[-1] if _is_pipeline(file) else os.path.basename(file)
    return f"{inside.replace(os.sep, '/')}:{name}"


if __name__ == "__main__":
    sys.exit(main())
