"""The one way a project is made: answers → plan → render → lock → validate → place.

`new`, `init` and `update` all call :func:`run`. They differ only in where the answers come from
and in their :class:`Placement` — how the finished render reaches the user's folder (a new folder,
files beside the user's, or a merge with the user's edits). A placement is handed in by the
command, so this module imports no command.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bootstrap.answers import Answers
from bootstrap.catalog import Catalog
from bootstrap.errors import ValidationFailed
from bootstrap.lock import LockResult, Spinner, catalog_metadata, lock_project
from bootstrap.plan import Plan
from bootstrap.render import render
from bootstrap.validate import Report, validate_project


@dataclass(frozen=True)
class Settings:
    """How to make it, as opposed to what to make (the answers)."""

    catalogs: list[str] = field(default_factory=list)
    ca_certs: Mapping[str, bytes] = field(default_factory=dict)
    offline: bool = False
    index_url: str | None = None
    show_progress: bool = False
    command: str = "new"  # the command running: a failed lock suggests its own flags


@dataclass
class Made:
    """A rendered, locked and validated project in a scratch folder, and what it was made from."""

    project: Path
    answers: Answers
    plan: Plan
    lock: LockResult
    report: Report


class Placement(Protocol):
    """Where a made project goes; everything it writes goes through :mod:`bootstrap.writer`."""

    def scratch(self) -> contextlib.AbstractContextManager[Path]:
        """A folder for the render, removed afterwards."""
        ...

    def prepare(self, rendered: Path) -> None:
        """Adjust the render before it is locked and validated (update: the merged inputs)."""
        ...

    def place(self, made: Made) -> list[str]:
        """Write the result into the user's folder, all or none; the paths written."""
        ...


@dataclass
class Outcome:
    made: Made
    files: list[str]

    @property
    def plan(self) -> Plan:
        return self.made.plan

    @property
    def lock(self) -> LockResult:
        return self.made.lock

    @property
    def report(self) -> Report:
        return self.made.report


def run(
    answers: Answers,
    plan: Plan,
    catalog: Catalog,
    placement: Placement,
    settings: Settings,
) -> Outcome:
    """Render, lock and validate in scratch, then place; nothing reaches the user before the end."""
    with placement.scratch() as scratch:
        made = make(answers, plan, catalog, scratch, settings, prepare=placement.prepare)
        return Outcome(made, placement.place(made))


def make(
    answers: Answers,
    plan: Plan,
    catalog: Catalog,
    scratch: Path,
    settings: Settings,
    *,
    prepare: Any = None,
) -> Made:
    """The stages between the plan and the placement; raises before anything is placed."""
    project = render(answers, plan, scratch, catalogs=settings.catalogs, ca_certs=settings.ca_certs)
    if prepare is not None:
        prepare(project)
    waiting = settings.show_progress and not settings.offline
    with Spinner("Locking requirements for the container's Python") if waiting else nullcontext():
        lock = lock_project(
            project,
            plan["python"],
            offline=settings.offline,
            index=settings.index_url,
            metadata=catalog_metadata(catalog),
            command=settings.command,
        )
    report = validate_project(project, catalog)
    if report.problems:
        raise ValidationFailed(report.problems)
    return Made(project, answers, plan, lock, report)


@contextlib.contextmanager
def temporary_scratch(prefix: str) -> Iterator[Path]:
    """A scratch folder in the system's temporary folder (the user's folder is never touched)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
