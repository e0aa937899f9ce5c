"""`--json`: one JSON document on stdout for scripts, CI and editors; the exit code is unchanged.

While a command runs in JSON mode, everything it would print for people (progress, tables, build
logs, subprocess output) goes to stderr, so stdout carries exactly one document. Each document's
shape is bootstrap/schemas/output.<command>.schema.json; a failure is the error document
(output.error.schema.json:
``{"command": ..., "ok": false, "error": {"message": ..., "exit_code": ...}}``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bootstrap import __version__
from bootstrap.errors import BootstrapError, UsageError

SCHEMA_DIR = Path(__file__).parent / "schemas"  # output.<command>.schema.json

_stdout_fd: int | None = None


def document(command: str, ok: bool, **fields: Any) -> dict[str, Any]:
    """The keys every document starts with."""
    return {"command": command, "ok": ok, "bootstrap_version": __version__, **fields}


def error_document(command: str | None, message: str, exit_code: int) -> dict[str, Any]:
    return document(command or "", False, error={"message": message, "exit_code": exit_code})


@contextlib.contextmanager
def human_output_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr (subprocesses included) until the document is written."""
    global _stdout_fd
    sys.stdout.flush()
    _stdout_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(_stdout_fd, 1)
        os.close(_stdout_fd)
        _stdout_fd = None


def emit(doc: dict[str, Any]) -> None:
    """Write the one document to the real stdout."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    sys.stdout.flush()
    if _stdout_fd is not None:
        os.write(_stdout_fd, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Run ``args.command`` in JSON mode; failures become the error document, same exit code."""
    with human_output_to_stderr():
        try:
            doc, code = HANDLERS[args.command](args)
        except KeyboardInterrupt:
            emit(error_document(args.command, "interrupted: nothing was written", 130))
            raise
        except BootstrapError as error:
            emit(error_document(args.command, error.message, error.exit_code))
            raise
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            message = f"{where}{error.strerror or error}: check the path and its permissions"
            emit(error_document(args.command, message, 1))
            raise
        emit(doc)
        return code


# --- one handler per command: (document, exit code) ------------------------------------------


def _validate(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from bootstrap.cli import existing_dir
    from bootstrap.commands import _recorded_or_none, load_catalog
    from bootstrap.validate import validate_project

    project = existing_dir(args.project_dir)
    catalog = load_catalog(args, _recorded_or_none(project))
    report = validate_project(project, catalog)
    doc = document(
        "validate",
        not report.problems,
        project=str(project),
        problems=list(report.problems),
        warnings=list(report.warnings),
    )
    return doc, 1 if report.problems else 0


#: doctor's checks by stable id (the names people read may change; these do not).
DOCTOR_IDS = {
    "Docker engine": "engine",
    "BuildKit": "buildkit",
    "VS Code `code`": "vscode",
    "Dev Containers CLI": "devcontainer_cli",
    "Free disk": "disk",
}


def _doctor(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from bootstrap.doctor import run_checks

    checks = run_checks()
    essential_failed = any(c.essential and not c.ok for c in checks)
    doc = document(
        "doctor",
        not essential_failed,
        checks=[
            {
                "id": DOCTOR_IDS.get(c.name, c.name.lower().replace(" ", "_")),
                "name": c.name,
                "ok": c.ok,
                "essential": c.essential,
                "detail": c.detail,
                "fix": c.fix or None,
            }
            for c in checks
        ],
    )
    return doc, 1 if essential_failed else 0


def _lock(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from bootstrap.answers import read_recorded
    from bootstrap.cli import existing_dir
    from bootstrap.commands import _lock_and_report
    from bootstrap.layout import requirements_dir

    project = existing_dir(args.project_dir)
    folder = requirements_dir(project)
    if not (folder / "requirements.in").is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap lock on a folder made by bootstrap new or init"
        )
    result = _lock_and_report(
        project, args, upgrade=args.upgrade, upgrade_packages=tuple(args.upgrade_package)
    )
    lock = folder / "requirements.txt"
    pins = _pins(lock)
    doc = document(
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


def _pins(lock: Path) -> list[dict[str, str]]:
    """name==version per pinned line of a lock (hash continuation lines skipped)."""
    out = []
    for line in lock.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
        requirement = line.split(" #", 1)[0].split("--hash", 1)[0].strip()
        if "==" in requirement and not requirement.startswith(("#", "-")):
            name, _, version = requirement.partition("==")
            out.append(
                {"name": name.split("[", 1)[0].strip(), "version": version.split(";")[0].strip()}
            )
    return out


def _build(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from bootstrap.build import build_command

    result: dict[str, Any] = {}
    try:
        build_command(args, report=result)
    except BootstrapError as error:
        if "smoke" not in result:
            raise  # the build itself failed: the error document says why
        return _build_document(args, result, error.message), error.exit_code
    return _build_document(args, result, None), 0


def _build_document(
    args: argparse.Namespace, result: dict[str, Any], failure: str | None
) -> dict[str, Any]:
    smoke = result.get("smoke")
    doc = document(
        "build",
        failure is None,
        project=result["project"],
        image=result["image"],
        target=args.target,
        image_id=result["image_id"],
        size_bytes=result["size_bytes"],
        seconds=round(result["seconds"], 3),
        smoke=None
        if smoke is None
        else [
            {
                "component": o.check.component,
                "command": o.check.command,
                "passed": o.passed,
                "seconds": round(o.seconds, 3),
                "output": o.output[-4000:],
            }
            for o in smoke
        ],
    )
    if failure is not None:
        doc["error"] = {"message": failure, "exit_code": 1}
    return doc


def _init(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from bootstrap.init import init_command

    if not args.dry_run:
        raise UsageError("init --json describes what init would do: add --dry-run")
    found: dict[str, Any] = {}
    init_command(args, report=found)
    return found["document"], 0


def init_document(
    project: Path, facts: Any, proposal: Any, answers: dict[str, Any], placements: list[Any]
) -> dict[str, Any]:
    """What `init --dry-run` detected, with the evidence for each answer, and the files it would add."""
    return document(
        "init",
        True,
        dry_run=True,
        project=str(project),
        source_files=facts.code.files,
        answers={
            key: answers[key]
            for key in ("name", "description", "python", "stacks", "drivers", "options")
        },
        evidence=dict(proposal.evidence),
        requirements={
            "kept": [{"requirement": k.requirement, "source": k.source} for k in proposal.kept],
            "added": [
                {"requirement": a.requirement, "import": a.module, "where": a.where}
                for a in proposal.added
            ],
        },
        conflicts=list(proposal.conflicts),
        notes=list(proposal.notes),
        warnings=list(facts.warnings),
        files=[{"path": p.target, "instead_of": p.instead_of} for p in placements],
    )


HANDLERS = {
    "validate": _validate,
    "doctor": _doctor,
    "lock": _lock,
    "build": _build,
    "init": _init,
}
