"""The one way a project is made: answers → plan → render → lock → validate → place.

`new`, `init` and `update` differ only in where the answers come from and where the result goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import place
from bootstrap.catalog import Catalog
from bootstrap.errors import ValidationFailed
from bootstrap.lock import LockResult, Spinner, catalog_metadata, lock_project
from bootstrap.plan import Plan, make_plan
from bootstrap.render import render
from bootstrap.validate import Report, validate_project


@dataclass
class Outcome:
    target: Path
    plan: Plan
    lock: LockResult
    report: Report
    files: list[Path]


def generate(
    answers: Mapping[str, Any],
    catalog: Catalog,
    scratch: Path,
    *,
    catalogs: list[str] | None = None,
    ca_certs: Mapping[str, bytes] | None = None,
    offline: bool = False,
    index_url: str | None = None,
    show_progress: bool = False,
) -> tuple[Path, Plan, LockResult, Report]:
    """Render, lock and validate into ``scratch``; raises before anything reaches the user.

    ``show_progress`` puts a spinner on stderr while the index is asked (the only slow step).
    """
    plan = make_plan(answers, catalog)
    project = render(answers, scratch, catalogs=catalogs, ca_certs=ca_certs)
    waiting = show_progress and not offline
    with Spinner("Locking requirements for the container's Python") if waiting else nullcontext():
        lock = lock_project(
            project,
            plan["python"],
            offline=offline,
            index=index_url,
            metadata=catalog_metadata(catalog),
        )
    report = validate_project(project, catalog)
    if report.problems:
        raise ValidationFailed(report.problems)
    return project, plan, lock, report


def new_project(
    answers: Mapping[str, Any],
    catalog: Catalog,
    output_dir: Path,
    *,
    force: bool = False,
    **options: Any,
) -> Outcome:
    target = output_dir / answers["project"]
    place.check_target(target, force=force)
    with place.writing(target), place.scratch_near(target) as scratch:
        project, plan, lock, report = generate(answers, catalog, scratch, **options)
        files = place.move_into_place(project, target, force=force)
    return Outcome(target, plan, lock, report, files)
