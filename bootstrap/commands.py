"""The commands that make and check projects: new, validate, catalog, lock, add."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bootstrap import report_json, writer
from bootstrap.answers import RECORD_PATH, Answers, defaults, read_recorded, validate
from bootstrap.errors import UsageError, ValidationFailed
from bootstrap.inputs import Inputs, existing_dir, interactive, load_catalog
from bootstrap.layout import requirements_dir
from bootstrap.lock import Spinner, catalog_metadata, lock_project
from bootstrap.lock_legacy import read_in
from bootstrap.names import check_project_folder
from bootstrap.plan import compatible_pythons, make_plan
from bootstrap.requirements import why
from bootstrap.safe_io import read_project_file
from bootstrap.validate import validate_project


def new_command(args: argparse.Namespace) -> int:
    # lazy: `validate`, `catalog` and `lock` start without the template engine
    from bootstrap import pipeline
    from bootstrap.place import NewFolder

    if args.output and args.output_dir and args.output != args.output_dir:
        raise UsageError("OUTPUT_DIR and --output-dir differ: pass only one")
    output = Path(args.output_dir or args.output or ".")
    catalog = load_catalog(args)
    given = Inputs(args)
    answers = given.over(defaults(catalog))
    if interactive(args):
        answers = given.ask(answers, catalog)
    answers = validate(answers, catalog)
    check_project_folder(output, answers["project"])
    plan = make_plan(answers, catalog)  # refuses incompatible answers before any work
    settings = pipeline.Settings(
        catalogs=list(args.catalog),
        ca_certs=given.certs,
        offline=args.offline,
        index_url=answers["network"].get("pip_index_url"),
        show_progress=True,
    )
    target = output / answers["project"]
    outcome = pipeline.run(answers, plan, catalog, NewFolder(target, args.force), settings)
    _summary(outcome, target)
    return 0


def _summary(outcome: Any, target: Path) -> None:
    plan = outcome.plan
    parts = ", ".join(plan["stacks"] + plan["drivers"]) or "no stacks or drivers"
    print(f"Created {target} (Python {plan['python']}; {parts})")
    if outcome.lock.full:
        print(f"  requirements.txt: locked with hashes in {outcome.lock.seconds:.1f} s")
    else:
        print(f"  requirements.txt: {outcome.lock.message}")
    for warning in outcome.report.warnings:
        print(f"  note: {warning}")
    print("Next: open the folder in VS Code and run 'Dev Containers: Reopen in Container',")
    print(f"      or: docker build -t {plan['project']} {target}")


def validate_command(args: argparse.Namespace) -> int:
    project = existing_dir(args.project_dir)
    recorded = _recorded_or_none(project)
    catalog = load_catalog(args, recorded)
    report = validate_project(project, catalog)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        raise ValidationFailed(report.problems)
    print(f"{project}: valid (devcontainer.json, requirements.txt, Dockerfile, answers)")
    return 0


def _recorded_or_none(project: Path) -> Answers | None:
    try:
        return read_recorded(project)
    except UsageError:
        return None


def catalog_command(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    if args.json:
        json.dump(catalog.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    rows = [("KIND", "ID", "NAME", "PYTHON OR IMAGE", "SUMMARY")]
    for record_id, record in catalog.of("python").items():
        rows.append(("python", record_id, record["name"], record["image"], record["summary"]))
    for kind in ("stack", "driver"):
        for record_id, record in catalog.of(kind).items():
            pythons = compatible_pythons(catalog, record)
            span = (
                pythons[0] + "–" + pythons[-1]
                if len(pythons) > 1
                else (pythons[0] if pythons else "none")
            )
            if len(pythons) != len(catalog.pythons) and len(pythons) > 1:
                missing = [p for p in catalog.pythons if p not in pythons]
                span += (
                    f" (not {', '.join(missing)})" if pythons[0] < missing[0] < pythons[-1] else ""
                )
            options = ", ".join(f"{record_id}:{o}" for o in record.get("options", {}))
            summary = record["summary"] + (f" Options: {options}." if options else "")
            rows.append((kind, record_id, record["name"], span, summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return 0


def _lock_and_report(project: Path, args: argparse.Namespace, **options: Any) -> Any:
    """Lock ``project`` for its recorded Python, with a spinner, and say how it went."""
    recorded = read_recorded(project)
    python = recorded["python"]
    catalog = load_catalog(args, recorded)
    known = catalog.of("python")
    if python not in known:  # the lock's target: uv and the header both take it as it is
        raise UsageError(
            f"{RECORD_PATH}: python {python!r} is not in the catalog: choose one of "
            f"{', '.join(known)}: fix it or restore it from version control"
        )
    index = getattr(args, "index_url", None) or recorded.get("network", {}).get("pip_index_url")
    offline = bool(getattr(args, "offline", False))
    message = f"Locking {project / 'requirements.in'} for Python {python}"
    with nullcontext() if offline else Spinner(message):
        result = lock_project(
            project,
            python,
            offline=offline,
            index=index,
            metadata=catalog_metadata(catalog),
            command=getattr(args, "command", None) or "lock",
            **options,
        )
    if result.full:
        print(f"requirements.txt: locked with hashes for Python {python} in {result.seconds:.1f} s")
    else:
        print(f"warning: {result.message}", file=sys.stderr)
    return result


def lock_command(args: argparse.Namespace) -> int:
    project = existing_dir(args.project_dir)
    if not (requirements_dir(project) / "requirements.in").is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap lock on a folder made by bootstrap new or init"
        )
    if getattr(args, "why", None):
        return _why(project, args.why)
    _lock_and_report(
        project, args, upgrade=args.upgrade, upgrade_packages=tuple(args.upgrade_package)
    )
    return 0


def _why(project: Path, name: str) -> int:
    """``bootstrap lock --why NAME``: the lock's own comments for NAME, read, nothing locked."""
    path = requirements_dir(project) / "requirements.txt"
    if not path.is_file():
        raise UsageError(f"{path}: no lock yet: run bootstrap lock {shlex.quote(str(project))}")
    answer = why(read_project_file(path, "requirements.txt"), name)
    if answer is None:
        raise UsageError(
            f"{name}: not in {path.relative_to(project)}: nothing asks for it "
            f"(bootstrap add {shlex.quote(str(project))} {name} adds it)"
        )
    print("\n".join(answer))
    return 0


def add_command(args: argparse.Namespace) -> int:

    project = existing_dir(args.project_dir)
    path = requirements_dir(project) / "requirements.in"
    if not path.is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap add on a folder made by bootstrap new or init"
        )
    added: list[Requirement] = []
    for package in args.packages:
        try:
            requirement = Requirement(package)
        except InvalidRequirement:
            raise UsageError(
                f"package {package!r} is not a valid requirement: use NAME, NAME==VERSION or NAME>=VERSION"
            ) from None
        if requirement.url:
            raise UsageError(
                f"package {package!r} is a URL: a hashed lock needs packages from the index, use NAME==VERSION"
            )
        added.append(requirement)
    read_in(path.parent)  # refuses what cannot be locked safely, before anything changes
    text = read_project_file(path, "requirements.in")
    names = {canonicalize_name(r.name) for r in added}
    kept = []
    for line in text.splitlines():
        stripped = line.split(" #", 1)[0].strip()
        if stripped and not stripped.startswith(("#", "-")):
            try:
                if canonicalize_name(Requirement(stripped).name) in names:
                    continue  # replaced by the new spec
            except InvalidRequirement:
                pass
        kept.append(line)
    new_text = "\n".join(kept).rstrip("\n") + "\n" + "".join(str(r) + "\n" for r in added)
    restore_in = writer.restoring(path)
    restore_lock = writer.restoring(path.parent / "requirements.txt")
    try:
        writer.write_file(path, new_text)
        _lock_and_report(project, args)
    except BaseException:
        restore_in()
        restore_lock()
        raise
    print(f"added to requirements.in: {', '.join(str(r) for r in added)}")
    return 0


def validate_json(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """`validate --json`: the problems and warnings as one document."""
    project = existing_dir(args.project_dir)
    catalog = load_catalog(args, _recorded_or_none(project))
    report = validate_project(project, catalog)
    doc = report_json.document(
        "validate",
        not report.problems,
        project=str(project),
        problems=list(report.problems),
        warnings=list(report.warnings),
    )
    return doc, 1 if report.problems else 0


def lock_json(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """`lock --json`: the lock and every pin in it as one document."""
    project = existing_dir(args.project_dir)
    folder = requirements_dir(project)
    if not (folder / "requirements.in").is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap lock on a folder made by bootstrap new or init"
        )
    if getattr(args, "why", None):
        raise UsageError("--why answers in plain text: leave out --json")
    result = _lock_and_report(
        project, args, upgrade=args.upgrade, upgrade_packages=tuple(args.upgrade_package)
    )
    lock = folder / "requirements.txt"
    pins = report_json.pins(lock)
    doc = report_json.document(
        "lock",
        True,
        project=str(project),
        python=read_recorded(project)["python"],
        requirements_txt=str(lock),
        full=result.full,
        seconds=round(result.seconds, 3),
        message=result.message or None,
        packages=pins,
    )
    return doc, 0
