"""Run a command in a fresh process and measure its wall time and memory.

Memory comes from two sources, both without psutil:
- `os.wait4` gives the child's rusage; its `ru_maxrss` is the peak RSS of the largest single
  process among the child and the descendants it reaped (the build's worker processes).
- A thread polls /proc while the command runs and sums over the whole process tree: RSS (what
  `ps` shows; counts pages that forked workers share with the parent once per process) and PSS
  (each shared page divided among its sharers, so the sum is the real footprint). RSS is
  sampled 20× a second, PSS 4× a second. Polling can miss a short spike; the single-process
  figure from rusage cannot.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Run:
    """What one command run measured."""

    command: list[str]
    seconds: float
    returncode: int
    max_single_mb: float = 0.0  # peak RSS of the largest single process (rusage)
    peak_rss_total_mb: float = 0.0  # peak of the polled sum of RSS over the process tree
    peak_pss_total_mb: float = 0.0  # peak of the polled sum of PSS over the process tree
    processes: int = 1  # most processes seen at once in the tree
    log: Path | None = None
    started_at: float = 0.0  # wall-clock time.time() at start, to place the log's timestamps
    foreign_cpu_s: float = 0.0  # CPU time other processes on the machine used meanwhile
    samples: int = 0
    extra: dict = field(default_factory=dict)


def run(command: list[str], *, cwd: Path | None = None, log: Path | None = None,
        memory: bool = True, interval: float = 0.05, env: dict | None = None) -> Run:
    """Run `command` to the end; return its wall time, exit code and memory peaks."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in the finally below)
    try:
        started_at = time.time()
        busy_before, self_before = _machine_busy(), _self_cpu()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env)
        poller = _Poller(process.pid, interval) if memory else None
        if poller:
            poller.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        # The child's rusage covers it and the workers it reaped; the poller thread is in our own.
        foreign = (_machine_busy() - busy_before) - (_self_cpu() - self_before) - (usage.ru_utime + usage.ru_stime)
        process.returncode = os.waitstatus_to_exitcode(status)
        if poller:
            poller.stop()
    finally:
        if log:
            out.close()
    result = Run(command, seconds, process.returncode, usage.ru_maxrss / 1024, log=log,
                 started_at=started_at, foreign_cpu_s=max(0.0, foreign))
    if poller:
        result.peak_rss_total_mb = poller.peak_rss / 1024
        result.peak_pss_total_mb = poller.peak_pss / 1024
        result.processes = poller.most
        result.samples = poller.samples
    return result


def _machine_busy() -> float:
    """Return the CPU seconds the whole machine has been busy (user, nice, system, irq, softirq)."""
    try:
        with open("/proc/stat", "rb") as file:
            fields = file.readline().split()
        return sum(int(fields[i]) for i in (1, 2, 3, 6, 7)) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def others_busy(window: float = 1.0) -> float:
    """Return how many cores other processes kept busy during the next `window` seconds."""
    busy, own = _machine_busy(), _self_cpu()
    time.sleep(window)
    return max(0.0, (_machine_busy() - busy) - (_self_cpu() - own)) / window


def wait_quiet(limit: float = 0.15, patience: float = 300.0) -> tuple[float, bool]:
    """Wait until other processes use less than `limit` of a core for one second.

    Returns the seconds waited and whether the machine went quiet (False: gave up after
    `patience` seconds, and the next measurement shares the machine).
    """
    start = time.monotonic()
    while time.monotonic() - start < patience:
        if others_busy() < limit:
            return time.monotonic() - start, True
    return time.monotonic() - start, False


class _Poller(threading.Thread):
    """Samples the RSS and PSS of a process and all its descendants until stopped."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = 0  # kB
        self.most = self.samples = 0
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def run(self) -> None:
        tree = {self.root}
        last_scan = last_pss = 0.0
        while not self._halt.is_set():
            now = time.monotonic()
            if now - last_scan > 0.25:  # new worker processes appear rarely: rescan /proc 4× a second
                tree = _descendants(self.root)
                last_scan = now
            # RSS from statm is cheap; PSS (smaps_rollup walks every mapping, tens of ms for a
            # process of several GB) is sampled 4× a second so the poll does not slow the build.
            with_pss = now - last_pss > 0.25
            rss = pss = alive = 0
            for pid in tree:
                size = _rss(pid)
                if size is None:
                    continue
                rss, alive = rss + size, alive + 1
                if with_pss:
                    pss += _pss(pid) or 0
            if alive:
                self.samples += 1
                self.peak_rss = max(self.peak_rss, rss)
                self.most = max(self.most, alive)
                if with_pss:
                    self.peak_pss = max(self.peak_pss, pss)
                    last_pss = now
            self._halt.wait(self.interval)


def _descendants(root: int) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the fields after it are plain.
        fields = stat[stat.rfind(b")") + 2:].split()
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for child in parents.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _rss(pid: int) -> int | None:
    """Return the RSS of `pid` in kB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as file:
            return int(file.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return None


def _pss(pid: int) -> int | None:
    """Return the PSS of `pid` in kB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            text = file.read()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(b"Pss:"):
            return int(line.split()[1])
    return None
