"""The build engine under faults: edits saved mid-build, planted and damaged state, interrupts, a full disk.

Each test sets the fault up for real (files edited with python-docx while the build runs, state
files rewritten by hand, signals sent to a real process, a real tmpfs filled up) and reads the
output folder back afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from test_build import (
    ALL,
    ORIENTATION,
    PDF,
    cli,
    edit_cell,
    options,
    processes_mentioning,
    tree,
    written,
)

from pipeline.cli.progress import Progress
from pipeline.core.errors import os_reason
from pipeline.core.files import atomic_write
from pipeline.engine.build import build
from pipeline.engine.listing import document_states
from pipeline.engine.manifest import Manifest
from pipeline.engine.options import Listener
from pipeline.engine.report import Outcome
from pipeline.render.pdf.cache import (
    FOOTERS_FORMAT,
    FORMAT,
    decode_footers,
    decode_part,
    encode_footers,
    encode_part,
)
from pipeline.source.plans import load_plans, read_plan_files

from conftest import ROOT, SAMPLE

NOTE = "droeftelser/2017-05-30_BSU_droeftelse.docx"
NEW_NOTE = "droeftelser/2017-05-30_BSU_droeftelse (ny version).docx"


class Hook(Listener):
    """A listener that runs `action` once the build has decided what to write, before it writes."""

    def __init__(self, action: Callable[[], None]):
        self.action = action
        self.warnings: list[str] = []

    def start(self, total: int) -> None:
        self.action()

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def hand_edit(path: Path, text: str = "Tilføjet af sekretariatet under kørslen") -> bytes:
    """Add a paragraph the way Word would save it; return the file's new bytes."""
    document = docx.Document(path)
    document.add_paragraph(text)
    document.save(path)
    return path.read_bytes()


def states(project: Path) -> dict[str, str]:
    return {s.path: s.reason for s in document_states(options(project))}


# --- An edit saved while a build replaces files --------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("document", [NOTE, ORIENTATION])
def test_an_edit_saved_during_a_forced_build_is_kept_and_the_new_version_goes_beside_it(
        project, jobs, document):
    build(options(project))
    target = project / "output" / document
    edited: list[bytes] = []
    report = build(options(project, force=True, jobs=jobs), Hook(lambda: edited.append(hand_edit(target))))
    beside = document.replace(".docx", " (ny version).docx")
    assert target.read_bytes() == edited[0]
    assert report.files[Outcome.PRESERVED] == {
        document: f"ændret, mens pipelinen arbejdede; ny version: {beside}"}
    assert beside in written(report) and document not in written(report)
    assert report.exit_code == 0
    # Nothing new to offer: the next build leaves both files alone.
    again = build(options(project))
    assert written(again) == set() and target.read_bytes() == edited[0]


def test_an_edit_saved_during_a_build_after_a_template_change_is_kept(project):
    build(options(project))
    template = project / "templates" / "droeftelse.docx"
    hand_edit(template, "Ny fast tekst i skabelonen")
    target = project / "output" / NOTE
    edited: list[bytes] = []
    report = build(options(project), Hook(lambda: edited.append(hand_edit(target))))
    assert target.read_bytes() == edited[0]
    assert NEW_NOTE in written(report)
    assert "Ny fast tekst i skabelonen" in [p.text for p in docx.Document(project / "output" / NEW_NOTE).paragraphs]


def test_a_file_that_appears_where_a_new_document_goes_is_kept(project):
    (project / "output" / "droeftelser").mkdir(parents=True)
    target = project / "output" / NOTE
    report = build(options(project), Hook(lambda: target.write_bytes(b"en sagsbehandlers egen fil")))
    assert target.read_bytes() == b"en sagsbehandlers egen fil"
    assert NEW_NOTE in written(report)


def test_atomic_write_leaves_the_file_alone_when_the_last_check_fails(tmp_path):
    target = tmp_path / "dokument.docx"
    target.write_bytes(b"gammel")

    def refuse() -> None:
        raise RuntimeError("changed meanwhile")

    with pytest.raises(RuntimeError):
        atomic_write(target, b"ny", check=refuse)
    assert target.read_bytes() == b"gammel"
    assert [p.name for p in tmp_path.iterdir()] == ["dokument.docx"]  # no temporary file left


# --- Planted paths in the state files ------------------------------------------------------------

def _victim(tmp_path: Path) -> tuple[Path, dict]:
    victim = tmp_path / "victim" / "secret.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"hemmeligt")
    info = victim.stat()
    entry = {"fingerprint": "x", "parts": {}, "sha256": hashlib.sha256(b"hemmeligt").hexdigest(),
             "size": info.st_size, "mtime_ns": info.st_mtime_ns, "new_version_of": None}
    return victim, entry


@pytest.mark.parametrize("state", ["manifest", "journal"])
def test_planted_paths_in_the_state_files_touch_nothing_outside_the_output_folder(project, tmp_path, state):
    build(options(project))
    victim, entry = _victim(tmp_path)
    folder = project / "output" / ".pipeline"
    planted = ["../../victim/secret.txt", str(victim), "oversigter/../../victim/secret.txt",
               ".pipeline/manifest.json", "droeftelser\\..\\..\\victim\\secret.txt"]
    if state == "manifest":
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        manifest["entries"].update({path: entry for path in planted})
        manifest["inputs"] = ""
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    else:
        (folder / "journal.jsonl").write_text(
            "".join(json.dumps({"path": path, "entry": entry}) + "\n" for path in planted), "utf-8")
    hook = Hook(lambda: None)
    report = build(options(project, force=True), hook)
    assert victim.read_bytes() == b"hemmeligt"
    assert report.files[Outcome.REMOVED] == {} and report.exit_code == 0
    if state == "manifest":
        assert any('"../../victim/secret.txt", som ikke er et dokument i outputmappen' in w for w in hook.warnings)
    assert build(options(project)).files[Outcome.WRITTEN] == {}


def test_a_linked_parts_folder_and_linked_parts_touch_nothing_outside(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    reference = (project / "output" / PDF).read_bytes()
    outside = tmp_path / "andetsteds"
    outside.mkdir()
    (outside / "implementeringsplan_2017-gammel.part").write_bytes(b"en andens fil")
    parts = project / "output" / ".pipeline" / "parts"
    for part in parts.iterdir():  # every cached part becomes a link to a file outside
        part.unlink()
        part.symlink_to(outside / "implementeringsplan_2017-gammel.part")
    (project / "output" / PDF).unlink()
    report = build(options(project))
    assert written(report) == {PDF}
    assert (project / "output" / PDF).read_bytes() == reference
    assert (outside / "implementeringsplan_2017-gammel.part").read_bytes() == b"en andens fil"
    # The whole folder a link out of the output folder: set aside, never followed.
    for part in parts.iterdir():
        part.unlink()
    parts.rmdir()
    parts.symlink_to(outside)
    (project / "output" / PDF).unlink()
    hook = Hook(lambda: None)
    build(options(project), hook)
    assert sorted(p.name for p in outside.iterdir()) == ["implementeringsplan_2017-gammel.part"]
    assert (project / "output" / ".pipeline" / "parts.beskadiget").is_symlink()
    assert any("parts var ikke, hvad pipelinen selv lægger der" in w for w in hook.warnings)
    assert (project / "output" / PDF).read_bytes() == reference


def test_a_document_that_is_a_link_is_never_written_through(project, tmp_path):
    victim, _ = _victim(tmp_path)
    (project / "output" / "droeftelser").mkdir(parents=True)
    (project / "output" / NOTE).symlink_to(victim)
    report = build(options(project))
    assert victim.read_bytes() == b"hemmeligt"
    assert (project / "output" / NOTE).is_symlink()
    assert NEW_NOTE in written(report) and report.exit_code == 0


def test_a_folder_linked_out_of_the_output_folder_fails_its_documents_alone(project, tmp_path):
    outside = tmp_path / "andetsteds"
    outside.mkdir()
    (project / "output").mkdir()
    (project / "output" / "droeftelser").symlink_to(outside)
    report = build(options(project))
    assert list(outside.iterdir()) == []
    assert report.exit_code == 1
    assert NOTE in report.files[Outcome.FAILED]
    assert "ligger uden for outputmappen" in report.files[Outcome.FAILED][NOTE]
    assert written(report) == {p for p in ALL if not p.startswith("droeftelser/")}


# --- The part cache ------------------------------------------------------------------------------

def cache_records(project: Path, record_format: bytes) -> list[Path]:
    """The overview's cached parts (FORMAT) or footers (FOOTERS_FORMAT), in name order."""
    return [path for path in sorted((project / "output" / ".pipeline" / "parts").glob("*.part"))
            if path.read_bytes().startswith(record_format)]


RECORDS = [(FORMAT, decode_part, encode_part), (FOOTERS_FORMAT, decode_footers, encode_footers)]


@pytest.mark.parametrize(("record_format", "decode", "encode"), RECORDS, ids=["part", "footers"])
def test_every_single_byte_change_to_a_cached_record_is_a_miss(project, monkeypatch, record_format, decode, encode):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    stored = cache_records(project, record_format)[-1]
    data, key = stored.read_bytes(), stored.stem
    assert decode(data, key) is not None
    header_end = _header_span(data)[1]
    positions = list(range(header_end)) + list(range(header_end, len(data), 97))
    for position in positions:
        changed = bytearray(data)
        changed[position] ^= 0x01
        assert decode(bytes(changed), key) is None, position


def _header_span(data: bytes) -> tuple[int, int]:
    """Return where a stored record's JSON header begins and ends (after magic, hash and length)."""
    _, _, length, rest = data.split(b"\n", 3)
    start = len(data) - len(rest)
    return start, start + int(length)


def test_a_damaged_record_header_is_laid_out_again_into_a_correct_pdf(project, monkeypatch):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    reference = (project / "output" / PDF).read_bytes()
    chance = random.Random(11)
    records = sorted((project / "output" / ".pipeline" / "parts").glob("*.part"))
    assert cache_records(project, FOOTERS_FORMAT)[0] in records
    for record in records:  # one digit of each header changed, as the fault round did
        data = bytearray(record.read_bytes())
        digits = [i for i in range(*_header_span(bytes(data))) if chr(data[i]).isdigit()]
        position = chance.choice(digits)
        data[position] = ord(str((int(chr(data[position])) + 1) % 10))
        record.write_bytes(bytes(data))
    (project / "output" / PDF).unlink()
    build(options(project))
    assert (project / "output" / PDF).read_bytes() == reference


@pytest.mark.parametrize(("record_format", "decode", "encode"), RECORDS, ids=["part", "footers"])
def test_an_encoded_record_round_trips(project, monkeypatch, record_format, decode, encode):
    monkeypatch.setenv("PIPELINE_OVERVIEW_CHUNK", "3")
    build(options(project))
    stored = cache_records(project, record_format)[0]
    record = decode(stored.read_bytes(), stored.stem)
    assert encode(record, stored.stem) == stored.read_bytes()
    assert decode(stored.read_bytes(), stored.stem + "0") is None  # under another key: a miss


# --- The plan, hashed as read --------------------------------------------------------------------

def test_the_plan_bytes_that_are_hashed_are_the_bytes_that_are_read(project):
    files = read_plan_files([project / "input" / SAMPLE.name])
    edit_cell(project, "C7", "Ændret efter læsningen")
    (plan,) = load_plans(files)
    assert "Ændret efter læsningen" not in [a.text for a in plan.activities]


def test_a_plan_edited_during_a_build_and_changed_back_leaves_nothing_stale(project):
    plan = project / "input" / SAMPLE.name
    original = plan.read_bytes()
    build(options(project))
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    # Built from the bytes it read, whatever the plan holds by the time it writes.
    build(options(project), Hook(lambda: edit_cell(project, "C7", "Midlertidig tekst")))
    plan.write_bytes(original)
    report = build(options(project))
    assert written(report) == {ORIENTATION, *{p for p in ALL if p.startswith("oversigter/")}}
    assert set(states(project).values()) == {"opdateret"}
    assert written(build(options(project))) == set()


# --- Damaged state --------------------------------------------------------------------------------

def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _folder(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()
    (path / "noget").write_text("x")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "manifest []": lambda s: _write(s / "manifest.json", b"[]"),
    "manifest null": lambda s: _write(s / "manifest.json", b"null"),
    "manifest of another shape": lambda s: _write(s / "manifest.json", b'{"format": 1, "entries": []}'),
    "manifest entry of another shape": lambda s: _write(
        s / "manifest.json", b'{"format": 1, "entries": {"oversigter/x.pdf": {"sha256": 1}}}'),
    "manifest cut short": lambda s: _write(s / "manifest.json", (s / "manifest.json").read_bytes()[:100]),
    "manifest a folder": lambda s: _folder(s / "manifest.json"),
    "journal with a 0xFF byte": lambda s: _write(s / "journal.jsonl", b'{"path": "a"}\n\xff\xfe\n{"x": 1}\n'),
    "journal a folder": lambda s: _folder(s / "journal.jsonl"),
    "lock a folder": lambda s: _folder(s / "build.lock"),
    "parts a file": lambda s: _write(s / "parts", b"ikke en mappe"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_state_is_set_aside_hand_edits_are_kept_and_the_build_after_writes_nothing(project, damage):
    build(options(project))
    edited = hand_edit(project / "output" / NOTE, "Egne noter")
    state = project / "output" / ".pipeline"
    DAMAGE[damage](state)
    listed = states(project)  # `list` reads damaged state without a crash and changes nothing
    assert listed[NOTE].startswith(("manuelt ændret", "findes, men"))
    hook = Hook(lambda: None)
    report = build(options(project), hook)
    assert report.exit_code in (0, 1)
    assert (project / "output" / NOTE).read_bytes() == edited
    assert hook.warnings and all("beskadiget" in w or "lagt til side" in w for w in hook.warnings)
    assert list(state.glob("*.beskadiget")), "the damaged file is set aside, not deleted"
    again = build(options(project))
    assert written(again) == set() and again.warnings == []
    assert (project / "output" / NOTE).read_bytes() == edited


def test_the_bookkeeping_folder_being_a_file_is_set_aside(project):
    (project / "output").mkdir()
    (project / "output" / ".pipeline").write_text("ikke en mappe")
    hook = Hook(lambda: None)
    report = build(options(project), hook)
    assert report.exit_code == 0 and written(report) == ALL
    assert (project / "output" / ".pipeline.beskadiget").read_text() == "ikke en mappe"
    assert written(build(options(project))) == set()


def test_after_a_lost_manifest_with_changed_data_the_builds_settle(project):
    build(options(project))
    (project / "output" / ".pipeline" / "manifest.json").unlink()
    edit_cell(project, "C7", "Cykeltur med borgmesteren")
    first = build(options(project))
    assert written(first) == {ORIENTATION.replace(".docx", " (ny version).docx"),
                              PDF.replace(".pdf", " (ny version).pdf"),
                              "oversigter/implementeringsplan_2017 (ny version).html"}
    stamps = {path: (project / "output" / path).stat().st_mtime_ns for path in written(first)}
    second = build(options(project))
    assert written(second) == set()
    assert stamps == {path: (project / "output" / path).stat().st_mtime_ns for path in written(first)}


# --- Endings: signals, a full disk, closed pipes, odd plan paths ----------------------------------

@pytest.mark.parametrize("chunk", ["", "3"])
def test_a_finished_build_leaves_no_temporary_files(project, chunk):
    """Workers keep their libraries' temporary files in a scratch folder they remove as they end."""
    temporary = project / "tmp"
    temporary.mkdir()
    process = cli(project, "--jobs", "2",
                  env={**os.environ, "TMPDIR": str(temporary), "PIPELINE_OVERVIEW_CHUNK": chunk})
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("number, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_an_interrupted_build_ends_cleanly_with_its_own_exit_code(project, number, code):
    chance = random.Random(number)
    trials = 0
    temporary = project / "tmp"  # the build's own TMPDIR: what its workers leave there shows
    temporary.mkdir()
    while trials < 2:
        process = cli(project, "--force", "--jobs", "2", env={**os.environ, "TMPDIR": str(temporary)})
        time.sleep(chance.uniform(0.3, 1.5))
        process.send_signal(number)
        _, err = process.communicate(timeout=60)
        if "Resultat:" in err:  # it had finished before the signal came: that trial does not count
            continue
        trials += 1
        assert process.returncode == code, err
        assert "Afbrudt" in err and "Traceback" not in err and "Aborted" not in err
        assert not list((project / "output").rglob("*.pipeline-tmp"))
        for _ in range(50):
            if not processes_mentioning(str(project / "output")):
                break
            time.sleep(0.1)
        assert processes_mentioning(str(project / "output")) == []
        assert list(temporary.iterdir()) == [], "a stopped worker left its temporary files"
    finished = cli(project)
    assert finished.wait() == 0


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB file system (tmpfs), or a skip where this machine cannot mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last byte; return the file that fills it."""
    filler = folder / "fyld.bin"
    with filler.open("wb", buffering=0) as file:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    file.write(b"\0" * size)
            except OSError:
                pass
    return filler


def test_a_full_disk_fails_in_danish_with_a_summary_and_the_next_build_recovers(project, small_disk):
    output = small_disk / "output"
    build(options(project, output=output))
    fillers: list[Path] = []
    stream = io.StringIO()
    progress = Progress(stream=stream)
    progress.start = lambda total: fillers.append(_fill(small_disk))  # fill the disk mid-build
    report = build(options(project, output=output, force=True), progress)
    progress.summary(report)
    assert report.exit_code == 1
    reasons = set(report.files[Outcome.FAILED].values())
    assert any("der er ikke mere plads på disken" in reason for reason in reasons), reasons
    assert "No space left" not in stream.getvalue() and "Traceback" not in stream.getvalue()
    assert "Resultat: skrevet" in stream.getvalue()
    fillers[0].unlink()
    recovered = build(options(project, output=output))
    assert recovered.exit_code == 0
    assert tree(output) == tree(build_reference(project))


def build_reference(project: Path) -> Path:
    reference = project / "reference"
    build(options(project, output=reference))
    return reference


def test_os_errors_are_told_in_danish():
    assert os_reason(OSError(28, "No space left on device")) == "der er ikke mere plads på disken"
    assert os_reason(OSError(30, "Read-only file system")) == "mappen er skrivebeskyttet (et skrivebeskyttet drev)"


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          cwd=ROOT, **kwargs)


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.mkdir(), "er en mappe, ikke en fil"),
    (lambda p: os.mkfifo(p), "er ikke en almindelig fil (men fx et rør eller en enhed)"),
])
def test_a_plan_path_that_is_no_file_says_what_it_is(tmp_path, make, reason):
    path = tmp_path / "plan_2017.xlsx"
    make(path)
    done = _run("validate", str(path), timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"Fejl: Planen {path} {reason}.\n"


def test_a_device_as_plan_says_what_it_is():
    done = _run("validate", "/dev/null", timeout=60)
    assert done.returncode == 2
    assert done.stderr == "Fejl: Planen /dev/null er ikke en almindelig fil (men fx et rør eller en enhed).\n"


def test_list_into_a_closed_pipe_ends_quietly(project):
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "list", str(project / "input" / SAMPLE.name),
         "-o", str(project / "output"), "-t", str(project / "templates")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    process.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert err == ""


def test_a_build_whose_output_pipe_closes_still_builds_everything(project):
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", str(project / "input" / SAMPLE.name),
         "-o", str(project / "output"), "-t", str(project / "templates")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert set(tree(project / "output")) == ALL


def test_a_manifest_read_again_is_the_one_on_disk_now(project):
    # A build that found nothing to do reads the manifest again under the lock; it reuses what
    # it read only when the file holds the same bytes and no journal lies beside it.
    build(options(project))
    output = project / "output"
    first = Manifest.load(output)
    assert first.reload(repair=True) is first
    journal = output / ".pipeline" / "journal.jsonl"
    journal.write_text("", encoding="utf-8")  # another build has begun writing
    assert first.reload(repair=True) is not first
    journal.unlink()
    other = Manifest.load(output)  # another build finished meanwhile and dropped a document
    del other.entries[NOTE]
    other.save()
    again = first.reload(repair=True)
    assert NOTE in first.entries and NOTE not in again.entries
    assert again.entries == other.entries


def test_manifest_load_never_raises_on_any_single_byte_damage(project):
    build(options(project))
    path = project / "output" / ".pipeline" / "manifest.json"
    data = path.read_bytes()
    for position in range(0, len(data), 7):
        changed = bytearray(data)
        changed[position] = 0xFF if position % 2 else ord("[")
        path.write_bytes(bytes(changed))
        manifest = Manifest.load(project / "output")  # reads only, as `list` does
        assert isinstance(manifest.entries, dict)
    assert not list(path.parent.glob("*.beskadiget"))
