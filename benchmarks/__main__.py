"""`make bench`: the pipeline at 13, 100, 1,000 and 10,000 activities, against the libraries' own floor.

    python -m benchmarks            full run (13, 100, 1,000 and 10,000 rows, profiled; writes BENCHMARKS.md)
    python -m benchmarks --quick    13, 100 and 1,000 rows, one repetition each (prints only)
    python -m benchmarks --quick --profile --sizes 100    also where a small plan's time goes

Benchmarks are not tests: nothing here asserts on time. Every figure is measured in this one
run, so the ratios compare like with like on whatever machine runs it. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from benchmarks import generate, proc, profiled
from benchmarks.proc import Run

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "input" / "implementeringsplan_2017.xlsx"
TEMPLATES = ROOT / "templates"
PYTHON = Path(sys.executable)
CONSOLE_SCRIPT = PYTHON.parent / "pipeline"
REPORT = ROOT / "BENCHMARKS.md"
SIZES = (13, 100, 1_000, 10_000)
QUICK_SIZES = (13, 100, 1_000)
TARGET_SIZES = (1_000, 10_000)  # the sizes the ratio targets are set for
LIBRARIES = ("pandas", "python-calamine", "openpyxl", "docxtpl", "python-docx", "jinja2", "lxml",
             "weasyprint", "pydyf", "fonttools", "babel", "click", "filelock")


@dataclass(frozen=True)
class Reps:
    """How many times each measurement is repeated for one plan size (medians are reported)."""

    validate: int
    cold: int
    noop: int
    one_row: int
    floor: int  # read and docx inside the floor process
    floor_pdf: int
    pipeline_pdf: bool  # also time pipeline.render.overview.render_pdf in the floor process
    word_every: int = 1  # compare the pipeline's Word render with bare docxtpl on every K-th document
    pdf_ua: bool = False  # time bare WeasyPrint with PDF/UA-1 in the floor (implied by pipeline_pdf)


FULL_REPS = {
    13: Reps(validate=5, cold=5, noop=5, one_row=5, floor=5, floor_pdf=5, pipeline_pdf=True),
    # A large municipality's real plan: a few seconds a build.
    100: Reps(validate=3, cold=5, noop=5, one_row=5, floor=3, floor_pdf=3, pipeline_pdf=True),
    1_000: Reps(validate=3, cold=3, noop=5, one_row=3, floor=3, floor_pdf=1, pipeline_pdf=True),
    # The 10,000-row overview PDF alone takes a minute: the floor is measured once (with and
    # without the PDF/UA tagging), the cold build and the one-row change twice (one run varies by
    # ±6 % on a shared machine), the pipeline's own render_pdf is not timed separately, and the
    # per-document Word comparison runs on every 4th document of each kind (the floor has them all).
    10_000: Reps(validate=3, cold=2, noop=5, one_row=2, floor=1, floor_pdf=1, pipeline_pdf=False,
                 word_every=4, pdf_ua=True),
}
QUICK_REPS = Reps(validate=1, cold=1, noop=1, one_row=1, floor=1, floor_pdf=1, pipeline_pdf=False)


@dataclass
class SizeResult:
    """Everything measured for one plan."""

    rows: int
    plan: str
    reps: Reps
    documents: dict = field(default_factory=dict)
    validate_s: list[float] = field(default_factory=list)
    cold: list[dict] = field(default_factory=list)
    noop_s: list[float] = field(default_factory=list)
    one_row: list[dict] = field(default_factory=list)
    floor: dict = field(default_factory=dict)
    floor_wall_s: float = 0.0
    foreign_cpu_s: float = 0.0  # CPU other processes used during this plan's measured runs
    measured_s: float = 0.0  # wall time of this plan's measured runs
    waited_s: float = 0.0  # time spent waiting for the machine to go quiet
    not_quiet: int = 0  # measurements started while other processes were still busy
    # Profiled builds (benchmarks/profiled.py), by run ("cold", "one-row change", "no-op"): the
    # parent's profile summary, the workers' tasks, the profiled run's own wall time.
    profiles: dict = field(default_factory=dict)
    # A one-row change with the status page's and change log's functions timed, unprofiled
    # (benchmarks/entries.py): their seconds and the build's wall time.
    status_timed: dict = field(default_factory=dict)

    @property
    def cold_s(self) -> float:
        return statistics.median(r["seconds"] for r in self.cold)

    @property
    def max_single_mb(self) -> float:
        return max(r["max_single_mb"] for r in self.cold)

    @property
    def peak_rss_total_mb(self) -> float:
        return max(r["peak_rss_total_mb"] for r in self.cold)

    @property
    def peak_pss_total_mb(self) -> float:
        return max(r["peak_pss_total_mb"] for r in self.cold)

    @property
    def one_row_s(self) -> float:
        return statistics.median(r["seconds"] for r in self.one_row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="13 and 1,000 rows, one repetition")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="--jobs passed to `pipeline build` (default: the number of cores)")
    parser.add_argument("--sizes", type=lambda text: tuple(int(s) for s in text.split(",")),
                        help="plan sizes to run, e.g. 13,1000 (13 is the real sample plan)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (plans, outputs, logs)")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md also after --quick")
    parser.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--no-wait", action="store_true",
                        help="do not wait for other processes to go quiet before each measurement")
    parser.add_argument("--patience", type=float, default=300.0,
                        help="seconds to wait for quiet before one measurement (default 300)")
    parser.add_argument("--max-wait", type=float, default=900.0,
                        help="seconds to wait for quiet over the whole run, then measure regardless (default 900)")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="also profile a cold build of each plan, to show where the time goes (default: "
                             "on in the full run, off with --quick; the one-row change and the no-op build "
                             "are always profiled once, for the status page's and change log's share)")
    args = parser.parse_args(argv)
    if args.profile is None:
        args.profile = not args.quick
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    QUIET.update(enabled=not args.no_wait, patience=args.patience, budget=args.max_wait)

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    started = time.perf_counter()
    machine = describe_machine()
    before = cpu_counters()
    _say(f"Benchmark ({'quick' if args.quick else 'full'}), --jobs {args.jobs}, work folder {work}")
    _say(machine["summary"])
    try:
        help_s = measure_help(5 if args.quick else 15)
        results = [measure_size(rows, work, args.jobs, QUICK_REPS if args.quick else FULL_REPS[rows],
                                profile=args.profile) for rows in sizes]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    after = cpu_counters()
    machine["load"] = (f"load average {before.get('loadavg', float('nan')):.2f} at start, "
                       f"{after.get('loadavg', float('nan')):.2f} at end; CPU time stolen by the hypervisor "
                       f"during the run {after.get('steal_s', 0) - before.get('steal_s', 0):.1f} s; CPU time "
                       f"used by other processes on the machine during the run "
                       f"{_others_cpu(before, after):.0f} s "
                       f"(0 means the benchmark had the machine to itself)")
    machine["code_after"] = describe_machine()["code"]
    report = render_report(machine, results, help_s, args, total)
    print()
    print(report)
    if args.keep:
        (work / "results.json").write_text(json.dumps(
            {"help_s": help_s, "results": [_plain(r) for r in results], "machine": machine,
             "total_s": total}, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    if (not args.quick or args.write) and not args.no_write:
        REPORT.write_text(report, encoding="utf-8")
        _say(f"Wrote {REPORT.relative_to(ROOT)}")
    return 0


# --- Measuring -------------------------------------------------------------------------------------

def measure_help(reps: int) -> dict[str, list[float]]:
    """Time `pipeline --help` (the console script) and `python -m pipeline --help`."""
    times: dict[str, list[float]] = {"pipeline --help": [], "python -m pipeline --help": []}
    if QUIET["enabled"]:
        proc.wait_quiet()
    for _ in range(reps):
        times["pipeline --help"].append(proc.run([str(CONSOLE_SCRIPT), "--help"], cwd=ROOT, memory=False).seconds)
        times["python -m pipeline --help"].append(
            proc.run([str(PYTHON), "-m", "pipeline", "--help"], cwd=ROOT, memory=False).seconds)
    _say("  --help: " + ", ".join(f"{name} {statistics.median(t):.3f} s" for name, t in times.items()))
    return times


QUIET = {"enabled": True, "patience": 300.0, "budget": 900.0}  # seconds: per measurement, whole run


def run(command: list[str], *, result: SizeResult | None = None, **options) -> Run:
    """Run one measured command, first waiting for other processes to leave the machine alone."""
    if QUIET["enabled"] and QUIET["budget"] > 0:
        waited, quiet = proc.wait_quiet(patience=min(QUIET["patience"], QUIET["budget"]))
        QUIET["budget"] -= waited
        if result is not None:
            result.waited_s += waited
            result.not_quiet += 0 if quiet else 1
        if waited > 5:
            _say(f"    (waited {waited:.0f} s for other processes to finish{'' if quiet else '; gave up'})")
    measured = proc.run(command, **options)
    if result is not None:
        result.foreign_cpu_s += measured.foreign_cpu_s
        result.measured_s += measured.seconds
    return measured


def measure_size(rows: int, work: Path, jobs: int, reps: Reps, *, profile: bool = False) -> SizeResult:
    folder = work / f"plan-{rows}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if rows == 13:
        plan = folder / SAMPLE.name
        shutil.copy2(SAMPLE, plan)  # a copy: the one-row change edits it
    else:
        plan = generate.write_plan(folder, rows)
    result = SizeResult(rows, str(plan), reps)
    _say(f"\n== {rows:,} activities: {plan}")
    pipeline = [str(PYTHON), "-m", "pipeline"]
    logs = folder / "logs"
    logs.mkdir()

    # Start-up of a read-only command.
    for _ in range(reps.validate):
        validated = run([*pipeline, "validate", str(plan)], result=result, cwd=ROOT, memory=False,
                        log=logs / "validate.log")
        _check(validated, "validate")
        result.validate_s.append(validated.seconds)
    _say(f"  validate: {statistics.median(result.validate_s):.3f} s")

    # The floor, on the untouched file.
    floor_json = folder / "floor.json"
    command = [str(PYTHON), "-m", "benchmarks.floor", str(plan), str(TEMPLATES), str(floor_json),
               "--reps", str(reps.floor), "--pdf-reps", str(reps.floor_pdf), "--pipeline-word",
               "--pipeline-word-every", str(reps.word_every)]
    if reps.pipeline_pdf:
        command.append("--pipeline-pdf")
    elif reps.pdf_ua:
        command.append("--pdf-ua")
    _say(f"  floor: {reps.floor} rep(s) of read and docx, {reps.floor_pdf} of the PDF ...")
    floored = run(command, result=result, cwd=ROOT, memory=False, log=logs / "floor.log")
    _check(floored, "floor")
    result.floor = json.loads(floor_json.read_text("utf-8"))
    result.floor_wall_s = floored.seconds
    result.documents = result.floor["documents"]
    f = result.floor
    _say(f"  floor: read {f['read_s']:.3f} s, docx {f['docx_s']:.2f} s, pdf {f['pdf_s']:.2f} s "
         f"= {f['floor_s']:.2f} s; pipeline word render {f.get('pipeline_word_s', 0):.2f} s "
         f"(process {floored.seconds:.1f} s)")

    # Cold builds: a fresh process and an empty output folder each time.
    output = folder / "output"
    # Before every meeting of the plan: no document is closed, so an edit rebuilds what it shows.
    build = [*pipeline, "build", str(plan), "-o", str(output), "-t", str(TEMPLATES), "--jobs", str(jobs),
             "--today", f"{generate.YEAR}-01-01"]
    for number in range(reps.cold):
        shutil.rmtree(output, ignore_errors=True)
        cold = run(build, result=result, cwd=ROOT, log=logs / f"cold-{number}.log")
        _check(cold, "cold build")
        entry = _run_dict(cold)
        entry["phases"] = phases(cold)
        result.cold.append(entry)
        _say(f"  cold build {number + 1}/{reps.cold}: {cold.seconds:.2f} s, largest process "
             f"{cold.max_single_mb:.0f} MB, tree RSS {cold.peak_rss_total_mb:.0f} MB / PSS "
             f"{cold.peak_pss_total_mb:.0f} MB, {_summary(cold.log)}")

    # No-op rebuilds: nothing changed.
    for number in range(reps.noop):
        noop = run(build, result=result, cwd=ROOT, memory=False, log=logs / f"noop-{number}.log")
        _check(noop, "no-op build")
        result.noop_s.append(noop.seconds)
    _say(f"  no-op rebuild: {statistics.median(result.noop_s):.3f} s (median of {reps.noop})")

    # One ordinary activity's text changed (with openpyxl, untimed), then a build.
    ordinary = generate.ordinary_row_indexes(plan)
    target_row = ordinary[len(ordinary) // 2]
    for number in range(reps.one_row):
        generate.edit_row(plan, target_row, str(number + 1))
        changed = run(build, result=result, cwd=ROOT, log=logs / f"one-row-{number}.log")
        _check(changed, "one-row build")
        entry = _run_dict(changed)
        entry["summary"] = _summary(changed.log)
        entry["phases"] = phases(changed)
        entry["sheet_row"] = target_row
        result.one_row.append(entry)
        _say(f"  one-row change {number + 1}/{reps.one_row} (sheet row {target_row}): "
             f"{changed.seconds:.2f} s, {entry['summary']}")

    # The status page's and change log's real share of a one-row change: timed, not profiled.
    options = build[len(pipeline):]  # `build PLAN -o OUT ...`
    generate.edit_row(plan, target_row, "timed")
    timed = folder / "status-timed.json"
    done = run([str(PYTHON), "-m", "benchmarks.entries", str(timed), "--", *options], cwd=ROOT, memory=False,
               log=logs / "status-timed.log")
    _check(done, "timed one-row build")
    result.status_timed = json.loads(timed.read_text("utf-8"))
    _say(f"  status page and change log in a one-row change: {result.status_timed['status_and_change_log_s']:.3f} s "
         f"of {result.status_timed['wall_s']:.2f} s (timed, unprofiled)")

    # Where the time goes: the same builds again with the parent profiled (not timed runs).
    if profile:
        options_cold = [*options]
        options_cold[options_cold.index(str(output))] = str(folder / "output-profiled")
        result.profiles["cold build"] = profiled_build(options_cold, folder, "cold")
    generate.edit_row(plan, target_row, "profiled")
    result.profiles["one-row change"] = profiled_build(options, folder, "one-row")
    result.profiles["no-op build"] = profiled_build(options, folder, "no-op")
    for label, found in result.profiles.items():
        _say(f"  profiled {label}: {found['seconds']:.2f} s, parent waited for the workers "
             f"{found['parent']['waiting_for_workers_s']:.2f} s, status page and change log "
             f"{found['parent']['status_and_change_log_s']:.3f} s")
    return result


def profiled_build(options: list[str], folder: Path, name: str) -> dict:
    """Run `pipeline build OPTIONS` under benchmarks.profiled; return the summaries of the parent's
    profile and of the workers' tasks, and the profiled run's wall time (slower than a timed run)."""
    profile, tasks = folder / f"{name}.prof", folder / f"{name}-tasks.jsonl"
    tasks.unlink(missing_ok=True)
    command = [str(PYTHON), "-m", "benchmarks.profiled", str(profile), str(tasks), "--", *options]
    done = run(command, cwd=ROOT, memory=False, log=folder / "logs" / f"profiled-{name}.log")
    _check(done, f"profiled {name} build")
    return {"seconds": done.seconds, "summary": _summary(done.log), "phases": phases(done),
            "parent": profiled.parent_profile(profile),
            "tasks": profiled.worker_tasks(tasks, done.started_at)}


def _run_dict(result: Run) -> dict:
    data = asdict(result)
    data["log"] = str(result.log)
    return data


def _check(result: Run, what: str) -> None:
    if result.returncode != 0:
        tail = result.log.read_text("utf-8", errors="replace")[-3000:] if result.log else ""
        raise SystemExit(f"{what} failed with exit code {result.returncode}: {' '.join(result.command)}\n{tail}")


def phases(result: Run) -> dict[str, float]:
    """Return when (seconds after start, ±1 s: the log has whole seconds) a build began rendering,
    finished its last Word document, and wrote the overview PDF."""
    if not result.log:
        return {}
    found: dict[str, float] = {}
    for line in result.log.read_text("utf-8", errors="replace").splitlines():
        try:
            stamp = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            continue
        offset = max(0.0, stamp - int(result.started_at))
        if "Bygger" in line:
            found.setdefault("rendering starts", offset)
        elif line.endswith(".docx"):
            found["last Word document"] = offset
        elif line.endswith(".pdf"):
            found["overview PDF"] = offset
    return found


def _summary(log: Path | None) -> str:
    """Return the build's Danish summary counts as `written 9, unchanged 0`."""
    if not log:
        return ""
    lines = [line for line in log.read_text("utf-8", errors="replace").splitlines() if "Resultat:" in line]
    if not lines:
        return "no summary"
    text = lines[-1].split("Resultat:", 1)[1]
    counts = dict(part.strip().rsplit(" ", 1) for part in text.strip(" .").split(","))
    written = counts.get("skrevet", "?")
    return f"{written} written, {counts.get('uændret', '?')} unchanged"


# --- The machine -----------------------------------------------------------------------------------

def _others_cpu(before: dict, after: dict) -> float:
    """Return the CPU seconds other processes used between two `cpu_counters()` readings."""
    return (after.get("busy_s", 0) - before.get("busy_s", 0)) - (after.get("own_s", 0) - before.get("own_s", 0))


def cpu_counters() -> dict[str, float]:
    """Return the load average and the CPU time stolen by the hypervisor so far (seconds)."""
    counters = {}
    try:
        counters["loadavg"] = float(Path("/proc/loadavg").read_text().split()[0])
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        tick = os.sysconf("SC_CLK_TCK")
        counters["steal_s"] = int(fields[8]) / tick if len(fields) > 8 else 0.0
        # user, nice, system, irq, softirq: CPU busy machine-wide; minus our own gives others' load.
        counters["busy_s"] = sum(int(fields[i]) for i in (1, 2, 3, 6, 7)) / tick
        own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        counters["own_s"] = sum(u.ru_utime + u.ru_stime for u in own)
    except (OSError, ValueError, IndexError):
        pass
    return counters


def describe_machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        memory = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        info = subprocess.run([str(PYTHON), "-m", "weasyprint", "--info"], capture_output=True,
                              text=True, timeout=60).stdout
        pango = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Pango")), "?")
        pango = f"{int(pango) // 10000}.{int(pango) // 100 % 100}.{int(pango) % 100}" if pango.isdigit() else pango
    except (OSError, subprocess.SubprocessError):
        pango = "?"
    versions["Pango (system)"] = pango
    cores = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    data = {
        "cpu": cpu, "cores": cores, "usable_cores": affinity, "memory": memory,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "versions": versions,
    }
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "pipeline", "templates"],
                               cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        data["code"] = f"{commit or '?'}{' with uncommitted changes in pipeline/ or templates/' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        data["code"] = "?"
    data["summary"] = (f"Machine: {cpu}, {cores} cores ({affinity} usable), {memory} RAM, "
                       f"{data['os']}, Python {data['python']}")
    return data


# --- The report ------------------------------------------------------------------------------------

def _median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def targets(results: list[SizeResult], help_s: dict[str, list[float]], quick: bool) -> list[tuple[str, str, str, str]]:
    """Return (target, measured, limit, PASS/MISS) rows: the issue's targets, each a ratio or a
    figure of this one run."""
    by_rows = {r.rows: r for r in results}
    rows: list[tuple[str, str, str, str]] = []
    for result in results:  # an extra row per size: the pipeline's Word render next to bare docxtpl
        floor = result.floor
        if floor.get("pipeline_word_s") and floor.get("compared_bare_s"):
            count = floor["compared_docs"]
            ratio = floor["pipeline_word_s"] / floor["compared_bare_s"]
            rows.append((f"Word: pipeline time per document / bare docxtpl, {result.rows:,} rows ({count} docs)",
                         f"{1000 * floor['pipeline_word_s'] / count:.0f} ms vs "
                         f"{1000 * floor['compared_bare_s'] / count:.0f} ms "
                         f"= {ratio:.2f}×", "≤ 1.1×", _verdict(ratio <= 1.1)))
    # A cold build is a fresh process, so it is compared with the floor as a fresh process would
    # run it: the libraries' imports included (the ratio without them is in the floor table).
    if 13 in by_rows:
        sample = by_rows[13]
        floor = _cold_floor(sample)
        ratio = sample.cold_s / floor
        rows.append(("Sample plan (13 rows): cold build / (floor + imports)", f"{sample.cold_s:.2f} s / "
                     f"{floor:.2f} s = {ratio:.2f}×", "≤ 1.0×", _verdict(ratio <= 1.0)))
    for size in TARGET_SIZES:
        if (result := by_rows.get(size)) is None:
            continue
        floor = _cold_floor(result)
        ratio = result.cold_s / floor
        rows.append((f"{size:,} rows: cold build / (floor + imports)",
                     f"{result.cold_s:.1f} s / {floor:.1f} s = {ratio:.2f}×", "≤ 0.55×", _verdict(ratio <= 0.55)))
        share = result.one_row_s / result.cold_s
        rows.append((f"{size:,} rows: one-row change / full build",
                     f"{result.one_row_s:.1f} s / {result.cold_s:.1f} s = {100 * share:.0f} %", "≤ 10 %",
                     _verdict(share <= 0.10)))
    # Memory and the no-op build at 10,000 rows (the largest plan run, marked, when it was not).
    big = by_rows.get(10_000) or (by_rows[max(by_rows)] if max(by_rows) > 13 else None)
    if big is not None:
        note = "" if big.rows == 10_000 else " (indicative: the 10,000-row plan was not run)"
        rows.append((f"{big.rows:,} rows: peak RSS of any one process{note}", f"{big.max_single_mb:.0f} MB",
                     "≤ 600 MB", _verdict(big.max_single_mb <= 600)))
    # The status page and the change log: their share of a one-row change (timed, unprofiled), and
    # the no-op build that writes the status page every time.
    for size in sorted({*TARGET_SIZES, big.rows} if big else TARGET_SIZES):
        if (result := by_rows.get(size)) is None:
            continue
        noop = _median(result.noop_s)
        status_noop = result.profiles.get("no-op build", {}).get("parent", {}).get("status_and_change_log_s")
        of_it = f" (status page {1000 * status_noop:.0f} ms of it, profiled)" if status_noop is not None else ""
        rows.append((f"{size:,} rows: no-op build, status page included", f"{noop:.3f} s{of_it}", "≤ 0.3 s",
                     _verdict(noop <= 0.3)))
        changed, timed = result.profiles.get("one-row change"), result.status_timed
        if timed and size in TARGET_SIZES:  # timed without a profiler, in one one-row build
            seconds, wall = timed["status_and_change_log_s"], timed["wall_s"]
            share = seconds / wall
            bound = f"; profiled upper bound {changed['parent']['status_and_change_log_s']:.2f} s" if changed else ""
            rows.append((f"{size:,} rows: status page + change log / one-row change",
                         f"{seconds:.2f} s / {wall:.1f} s = {100 * share:.1f} % (timed{bound})", "≤ 5 %",
                         _verdict(share <= 0.05)))
    help_median = _median(help_s["pipeline --help"])
    rows.append(("`pipeline --help` start-up", f"{help_median:.3f} s", "≤ 0.2 s", _verdict(help_median <= 0.2)))
    return rows


def where_time_goes(results: list[SizeResult], jobs: int) -> list[str]:
    """Return the report's "Where the time goes" section: the profiled builds' phases, the
    workers' split between Word and the overview PDF, the parent's largest costs, and for each
    run what bounds it (a library, or the pipeline), with the measurement that shows it."""
    profiled_results = [r for r in results if r.profiles]
    if not profiled_results:
        return []
    parts = ["", "## Where the time goes", "",
             "From the profiled builds (not the timed ones; see Method): seconds after the build "
             "started, and worker seconds by kind of task (the overview PDF's tasks include cutting "
             "it into parts, laying out each part, and merging them in the parent).", ""]
    rows = []
    for r in profiled_results:
        for label, found in r.profiles.items():
            tasks = found["tasks"]
            groups = tasks["groups"]
            def cell(group, groups=groups):
                return (f"{groups[group]['wall_s']:.2f} s ({groups[group]['tasks']})"
                                              if group in groups else "–")
            span = (tasks["last_s"] - tasks["first_s"]) if tasks["first_s"] is not None else 0.0
            busy = sum(g["wall_s"] for name, g in groups.items() if not name.startswith("overview PDF: merge"))
            rows.append([f"{r.rows:,}", label, f"{found['seconds']:.2f} s", found["summary"],
                         f"{tasks['first_s']:.2f} s" if tasks["first_s"] is not None else "–",
                         f"{span:.2f} s", cell("Word"), cell("overview PDF"), cell("web page (HTML)"),
                         f"{100 * busy / (jobs * span):.0f} %" if span else "–",
                         f"{found['seconds'] - tasks['last_s']:.2f} s" if tasks["last_s"] is not None else "–"])
    parts.append(_table(["rows", "profiled run", "wall", "documents", "rendering starts", "rendering takes",
                         "Word (tasks)", "overview PDF (tasks)", "web page", f"workers busy (of {jobs})",
                         "after rendering"], rows))
    parts += ["", "The parent's own work (cProfile, cumulative seconds; the functions that only wait "
              "for the workers are left out):", ""]
    rows = []
    for r in profiled_results:
        for label, found in r.profiles.items():
            parent = found["parent"]
            top = "; ".join(f"`{t['function']}` {t['cumulative_s']:.2f} s" for t in parent["top"][:5])
            status = "; ".join(f"`{t['function']}` {1000 * t['cumulative_s']:.0f} ms"
                               for t in parent["status_and_change_log"][:3])
            rows.append([f"{r.rows:,}", label, f"{parent['total_s']:.2f} s", f"{parent['waiting_for_workers_s']:.2f} s",
                         top, f"{1000 * parent['status_and_change_log_s']:.0f} ms ({status})"])
    parts.append(_table(["rows", "profiled run", "parent", "waiting for workers", "largest (cumulative)",
                         "status page + change log"], rows))
    parts += ["", "What bounds each build:", ""]
    for r in profiled_results:
        parts += [f"- {line}" for line in bounds(r, jobs)]
    return parts


def bounds(result: SizeResult, jobs: int) -> list[str]:
    """Return, per profiled build of one plan, whether a library or the pipeline bounds it and
    the measurement that shows it."""
    floor, lines = result.floor, []
    cold_floor = _cold_floor(result)
    imports = sum(floor["import_seconds"].values())
    pdf_ua = floor.get("pdf_ua_s")
    for label, found in result.profiles.items():
        tasks, parent = found["tasks"], found["parent"]
        groups = tasks["groups"]
        word = groups.get("Word", {}).get("wall_s", 0.0)
        pdf = groups.get("overview PDF", {}).get("wall_s", 0.0)
        serial = (tasks["first_s"] or 0.0) + max(0.0, found["seconds"] - (tasks["last_s"] or found["seconds"]))
        largest = parent["top"][0] if parent["top"] else {"function": "?", "cumulative_s": 0.0}
        head = f"{result.rows:,} rows, {label} ({found['seconds']:.1f} s profiled): "
        if label == "no-op build":
            lines.append(head + f"all in the parent ({parent['total_s']:.2f} s profiled), largest "
                         f"`{largest['function']}` {largest['cumulative_s']:.2f} s; status page and change log "
                         f"{1000 * parent['status_and_change_log_s']:.0f} ms.")
            continue
        library = (word + pdf) / jobs
        text = (head + f"the workers' rendering is Word {word:.1f} s (bare docxtpl, all documents: "
                f"{floor['docx_s']:.1f} s) and overview PDF {pdf:.1f} s (bare WeasyPrint, whole PDF: "
                f"{floor['pdf_s']:.1f} s" + (f", with PDF/UA-1 tagging {pdf_ua:.1f} s" if pdf_ua else "")
                + f"), {library:.1f} s on {jobs} cores; the parent's serial work before and after "
                f"rendering takes {serial:.1f} s (largest: `{largest['function']}` {largest['cumulative_s']:.2f} s).")
        if label == "cold build":
            # The libraries' own work (bare, the PDF with the PDF/UA tagging the pipeline needs)
            # on all cores; an overview laid out in one task cannot be shared between them.
            bare_pdf = pdf_ua or floor["pdf_s"]
            split = groups.get("overview PDF", {}).get("tasks", 0) > 1
            bare = max((floor["docx_s"] + bare_pdf) / jobs, 0.0 if split else bare_pdf) + imports
            limit = (1.0 if result.rows == 13 else 0.55) * cold_floor
            if bare >= limit:
                text += (f" Bound by the libraries: their bare work on {jobs} cores plus imports "
                         f"({'the overview in one task, ' if not split else ''}PDF/UA tagging included) "
                         f"is {bare:.1f} s, over the target's {limit:.1f} s.")
            else:
                text += (f" Bound by the pipeline: the libraries' bare work on {jobs} cores plus imports "
                         f"({bare:.1f} s) fits the target's {limit:.1f} s; above it are the parent's serial "
                         f"{serial:.1f} s, the tasks' time above bare ({max(0.0, word - floor['docx_s']):.1f} s Word, "
                         f"{max(0.0, pdf - bare_pdf):.1f} s overview) and idle workers.")
        elif label == "one-row change":
            detail = tasks["detail"]
            longest = max((n for n in detail if not n.endswith("(parent)")),  # a worker's task
                          key=lambda n: detail[n]["wall_s"] / detail[n]["tasks"], default=None)
            tenth = 0.10 * result.cold_s
            if longest:
                each = detail[longest]["wall_s"] / detail[longest]["tasks"]
                rendered = ", ".join(f"{n} ×{d['tasks']} {d['wall_s']:.1f} s" for n, d in detail.items())
                text += (" Re-rendered: " + rendered
                         + f"; 10 % of the cold build is {tenth:.1f} s.")
                if each >= tenth:
                    text += (f" Bound by a library at the pipeline's current task size: one `{longest}` task "
                             f"alone takes {each:.1f} s.")
                elif serial >= tenth:
                    text += f" Bound by the pipeline's serial work in the parent ({serial:.1f} s)."
        lines.append(text)
    return lines


def _cold_floor(result: SizeResult) -> float:
    """The floor's sequential time as a fresh process pays it: read + docx + PDF + imports."""
    return result.floor["floor_s"] + sum(result.floor["import_seconds"].values())


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, rows)])


def render_report(machine: dict, results: list[SizeResult], help_s: dict[str, list[float]],
                  args, total: float) -> str:
    mode = "quick (`python -m benchmarks --quick`)" if args.quick else "full (`make bench`)"
    parts = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks` ({mode}); every figure below comes from that one run. "
        "Benchmarks are not tests: nothing asserts on time. Re-run `make bench` to refresh this file "
        "on your machine; compare ratios, not seconds, across machines.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores ({machine['usable_cores']} usable)",
        f"- Memory: {machine['memory']}",
        f"- OS: {machine['os']}; Python {machine['python']}",
        "- Libraries: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- Builds run with `--jobs {args.jobs}`; whole benchmark took {total / 60:.1f} min; "
        f"{machine.get('load', '')}.",
        f"- Code measured: commit {machine.get('code', '?')}"
        + ("" if machine.get("code_after") == machine.get("code")
           else f" at start, {machine.get('code_after')} at end (the tree changed during the run!)") + ".",
        "",
        "## Plans",
        "",
        "13 rows is the real sample `input/implementeringsplan_2017.xlsx`. The others are synthetic "
        "(`benchmarks/generate.py`, fixed seed): ~2 % discussion rows, 0.4 % orientation cases "
        "(KMB), the rest ordinary activities with every period form the parser reads.",
        "",
    ]
    header = ["rows", "orienteringssager", "drøftelser", "overview (PDF + HTML)", "plan file"]
    parts.append(_table(header, [[f"{r.rows:,}", r.documents.get("orienteringssag", 0),
                                  r.documents.get("droeftelse", 0),
                                  r.documents.get("oversigt", 0) + r.documents.get("webside", 0),
                                  f"{Path(r.plan).stat().st_size / 1024:.0f} kB" if Path(r.plan).exists() else ""]
                                 for r in results]))
    parts += ["", "## Pipeline (fresh `python -m pipeline` processes)", ""]
    header = ["rows", "reps (cold/no-op/1-row)", "cold build", "largest process RSS", "tree RSS (sum)",
              "tree PSS (sum)", "no-op rebuild", "one-row change", "validate"]
    rows = []
    for r in results:
        rows.append([f"{r.rows:,}", f"{r.reps.cold}/{r.reps.noop}/{r.reps.one_row}", f"{r.cold_s:.2f} s",
                     f"{r.max_single_mb:.0f} MB", f"{r.peak_rss_total_mb:.0f} MB", f"{r.peak_pss_total_mb:.0f} MB",
                     f"{_median(r.noop_s):.3f} s", f"{r.one_row_s:.2f} s ({r.one_row[-1]['summary']})",
                     f"{_median(r.validate_s):.3f} s"])
    parts.append(_table(header, rows))
    phase_rows = []
    for r in results:
        for label, runs in (("cold build", r.cold), ("one-row change", r.one_row)):
            run_ = runs[len(runs) // 2] if runs else None
            if run_ and run_.get("phases"):
                ph = run_["phases"]
                def cell(key, ph=ph):
                    return f"{ph[key]:.0f} s" if key in ph else "–"
                phase_rows.append([f"{r.rows:,}", label, f"{run_['seconds']:.1f} s", cell("rendering starts"),
                                   cell("last Word document"), cell("overview PDF")])
    parts += ["", "When each phase ended, from the build log's timestamps (whole seconds after start; "
              "workers render the overview PDF first, Word documents on the other core):", "",
              _table(["rows", "run", "wall", "parent done, rendering starts", "last Word document written",
                      "overview PDF written"], phase_rows)]
    quiet_rows = [[f"{r.rows:,}", f"{r.measured_s:.0f} s", f"{r.foreign_cpu_s:.1f} s",
                   f"{100 * r.foreign_cpu_s / max(r.measured_s, 1e-9):.0f} % of one core", f"{r.waited_s:.0f} s",
                   str(r.not_quiet)] for r in results]
    parts += ["", f"Other processes on the machine (before each measurement the benchmark waits up to "
              f"{args.patience:.0f} s, {args.max_wait:.0f} s in all, for them to go quiet; their CPU time during the "
              "measured runs shows how much the figures may be off):", "",
              _table(["rows", "measured wall time", "others' CPU meanwhile", "share",
                      "waited for quiet", "started while busy"], quiet_rows)]
    help_rows = [[name, f"{_median(t):.3f} s", f"{min(t):.3f} s", str(len(t))] for name, t in help_s.items()]
    parts += ["", _table(["start-up", "median", "min", "reps"], help_rows)]

    parts += ["", "## Floor (bare libraries, one process, sequential) and ratios", ""]
    header = ["rows", "reps (docx/PDF)", "read (pandas+calamine)", "docx (bare docxtpl, all Word docs)",
              "PDF (bare WeasyPrint)", "floor total", "cold build / floor", "floor + imports",
              "cold / (floor + imports)",
              "pipeline Word render / bare", "pipeline render_pdf / bare"]
    rows = []
    for r in results:
        f = r.floor
        word = (f"{f['pipeline_word_s'] / f['compared_bare_s']:.2f}× ({f['compared_docs']} docs)"
                if f.get("pipeline_word_s") and f.get("compared_bare_s") else "n/a")
        pdf = (f"{f['pipeline_pdf_s'] / f['pdf_s']:.2f}× ({f['pipeline_pdf_s']:.2f} s)"
               if f.get("pipeline_pdf_s") else "not timed")
        rows.append([f"{r.rows:,}", f"{r.reps.floor}/{r.reps.floor_pdf}", f"{f['read_s']:.3f} s",
                     f"{f['docx_s']:.2f} s",
                     f"{f['pdf_s']:.2f} s", f"{f['floor_s']:.2f} s", f"{r.cold_s / f['floor_s']:.2f}×",
                     f"{f['floor_s'] + sum(f['import_seconds'].values()):.2f} s",
                     f"{r.cold_s / (f['floor_s'] + sum(f['import_seconds'].values())):.2f}×", word, pdf])
    parts.append(_table(header, rows))
    rows = []
    for r in results:
        f = r.floor
        imports = sum(f["import_seconds"].values())
        rows.append([f"{r.rows:,}", f"{imports:.2f} s", f"{f['pipeline_load_plans_s']:.3f} s",
                     f"{f['pipeline_plan_documents_s']:.3f} s", f"{f['pipeline_build_contexts_s']:.3f} s",
                     f"{f['html_jinja_s']:.3f} s", f"{f['max_rss_mb']:.0f} MB"])
    parts += ["", "Not in the floor, for reference (same floor process):", "",
              _table(["rows", "imports (pandas, calamine, docxtpl, weasyprint)", "pipeline load_plans",
                      "plan_documents", "build_context (all docs)", "HTML (Jinja)", "floor process max RSS"], rows)]

    parts += ["", "## Targets", ""]
    target_rows = targets(results, help_s, args.quick)
    parts.append(_table(["target", "measured", "limit", "verdict"], [list(t) for t in target_rows]))
    parts += where_time_goes(results, args.jobs)
    parts += ["", "## Method", "",
              "- Cold build: `python -m pipeline build PLAN -o OUT -t templates --jobs N` in a fresh process "
              "with an empty OUT; wall time from start to exit. Memory: `ru_maxrss` from `wait4` (largest "
              "single process among the build and its workers) and a /proc poll every 50 ms summing RSS "
              "and PSS over the process tree (RSS counts pages forked workers share with the parent once "
              "per process; PSS splits them).",
              "- No-op rebuild: the same command again, nothing changed. One-row change: one ordinary "
              "activity's `Aktivitet` text edited with openpyxl (untimed), then the same command.",
              "- Floor (`benchmarks/floor.py`, its own fresh process): the pipeline builds the contexts "
              "and the overview HTML untimed; then timed, sequentially: `pandas.read_excel(..., "
              "sheet_name=None, header=None, dtype=object, engine=\"calamine\")`, `DocxTemplate(t)."
              "render(context, jinja_env, autoescape=True)` + `save(BytesIO)` for every Word document "
              "(a plain `jinja2.Environment` with the templates' filters), and `weasyprint.HTML(string="
              "html, base_url=templates).write_pdf()` with default options. Floor total = read + docx + "
              "PDF; imports are listed separately, and \"floor + imports\" adds them, as a fresh "
              "process running only the libraries pays them: the cold-build targets compare with "
              "that, since a cold build is a fresh process too. The floor process builds each "
              "context just before its timed render and drops it after, so like a build worker it holds "
              "the plan, not every context at once (a bigger heap slows every render through Python's GC).",
              "- Pipeline Word render / bare: in the floor process, `pipeline.render.dispatch.render(document, "
              "templates)` timed right after the bare docxtpl call on the same document, for every Word "
              "document (every 4th of each kind at 10,000 rows); the ratio of the sums.",
              "- Medians over the repetitions shown; memory is the maximum over repetitions.",
              "- Where the time goes (`benchmarks/profiled.py`): after the timed runs, the same builds "
              "again (a cold build into a second output folder with `--profile`; always a one-row "
              "change, another edit of the same row, and a no-op build) with the parent under "
              "cProfile and every worker task timed (workers are forked and switch the profiler "
              "off, so their times are real; the parent's are upper bounds, as profiling slows "
              "Python code). The status page's and change log's seconds are the calls into "
              "`status.py` and `changes.py` from the rest of the pipeline, each counted once with "
              "everything they call (their imports included).",
              "- Status page + change log / one-row change (the target row): one more one-row change "
              "(the same row edited again), unprofiled, with every function of `status.py` and "
              "`changes.py` wrapped in a timer (`benchmarks/entries.py`), counted once per call from "
              "outside them, against that build's wall time. The profiled figure beside it is the "
              "upper bound the section above uses.",
              ]
    return "\n".join(parts) + "\n"


def _plain(result: SizeResult) -> dict:
    data = asdict(result)
    data["floor"] = {k: v for k, v in result.floor.items() if k != "docx"}
    return data


def _say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
