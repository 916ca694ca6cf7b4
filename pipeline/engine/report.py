"""The outcome of a build: what happened to each file, and the exit code that follows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Outcome(enum.Enum):
    """What a build did with one file; the value is the Danish word the summary uses."""

    WRITTEN = "skrevet"
    UNCHANGED = "uændret"
    FAILED = "fejlede"
    PRESERVED = "bevaret pga. manuelle ændringer"
    REMOVED = "fjernet"
    CLOSED = "afsluttet"  # a held meeting's document: never rewritten, replaced or removed


@dataclass
class Report:
    """Per outcome, the files (relative to the output folder) and a note for each."""

    files: dict[Outcome, dict[str, str]] = field(
        default_factory=lambda: {outcome: {} for outcome in Outcome})
    warnings: list[str] = field(default_factory=list)  # Danish: damaged bookkeeping set aside, …

    def add(self, outcome: Outcome, path: str, note: str = "") -> None:
        """Record that `path` had `outcome`, with an optional Danish note (a reason, a new name)."""
        self.files[outcome][path] = note

    def count(self, outcome: Outcome) -> int:
        return len(self.files[outcome])

    @property
    def exit_code(self) -> int:
        """0 when every document was built, 1 when some failed (README "Afslutningskoder")."""
        return 1 if self.files[Outcome.FAILED] else 0

    def summary(self) -> str:
        """Return the one-line Danish summary: `Skrevet 3, uændret 5, fejlede 0, …`."""
        parts = [f"{outcome.value} {self.count(outcome)}" for outcome in Outcome]
        return "Resultat: " + ", ".join(parts) + "."


@dataclass(frozen=True)
class Failure:
    """What a task returns instead of its result when it failed: the reason, in Danish, for the
    build to report beside the document's name."""

    reason: str
