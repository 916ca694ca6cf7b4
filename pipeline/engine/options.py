"""What a build is asked to do, the day it counts as today, and who hears how it goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.engine.report import Outcome


@dataclass(frozen=True)
class BuildOptions:
    """What `pipeline build` was asked to do."""

    plans: tuple[Path, ...] = ()
    output: Path = Path("output")
    templates: Path = Path("templates")
    year: int | None = None
    force: bool = False
    jobs: int = 1
    wait: float = 5.0
    today: date | None = None  # None: today in Copenhagen; documents of earlier meetings are closed
    reopen: tuple[Path, ...] = ()  # closed documents to rebuild on purpose (`--reopen FILE`)

    @property
    def day(self) -> date:
        """The day the build counts as today: meetings before it are held."""
        return self.today or copenhagen_today()


def copenhagen_today() -> date:
    """Return today's date in Copenhagen (the municipality's day, whatever the server's zone)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


class Listener:
    """Receives a build's progress; the CLI's `Progress` shows it. This one stays silent."""

    def start(self, total: int) -> None:
        """Called once the build knows what to render, before it renders or writes anything."""

    def done(self, path: str, outcome: Outcome, note: str = "") -> None:
        """Called as each file is written, kept, removed or fails."""

    def warn(self, message: str) -> None:
        """Called with a Danish warning (damaged bookkeeping set aside, a path refused)."""
