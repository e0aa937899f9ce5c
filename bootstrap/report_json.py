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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bootstrap import __version__
from bootstrap.errors import BootstrapError
from bootstrap.safe_io import MAX_MANIFEST, read_project_file

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


Handler = Callable[[argparse.Namespace], tuple[dict[str, Any], int]]


def run(args: argparse.Namespace, handler: Handler) -> int:
    """Run a command's JSON ``handler``; failures become the error document, same exit code."""
    with human_output_to_stderr():
        try:
            doc, code = handler(args)
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


def pins(lock: Path) -> list[dict[str, str]]:
    """name==version per pinned line of a lock (hash continuation lines skipped)."""
    out = []
    text = read_project_file(lock, "requirements.txt", MAX_MANIFEST)
    for line in text.replace("\\\n", " ").splitlines():
        requirement = line.split(" #", 1)[0].split("--hash", 1)[0].strip()
        if "==" in requirement and not requirement.startswith(("#", "-")):
            name, _, version = requirement.partition("==")
            out.append(
                {"name": name.split("[", 1)[0].strip(), "version": version.split(";")[0].strip()}
            )
    return out


def build_document(
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
        }
        | {key: answers[key] for key in ("post_build", "start") if answers.get(key)},
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
